"""Orbit Mean-Elements Messages (CCSDS 502.0-B-3 OMM) for SGP4: XML, KVN and JSON, and CelesTrak's CSV layout.

One message holds one satellite's mean elements; a file holds one or many (an NDM/XML ``<ndm>`` of ``<omm>``
elements, KVN messages one after another, a JSON list, CSV rows). Only SGP4 element sets are read: TEME, UTC,
centred on the Earth. CelesTrak's JSON and CSV leave out CENTER_NAME, REF_FRAME, TIME_SYSTEM and
MEAN_ELEMENT_THEORY; absent, they are taken as EARTH, TEME, UTC and SGP4.

Catalog numbers run to nine digits; sgp4's ``satnum`` holds at most 339999 (Alpha-5), and SGP4 does not use it,
so a larger number is kept in ``OMM.norad_id`` and the Satrec gets 0.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..constants import R_EARTH

MAX_OMM_FILE_BYTES = 64 * 2**20
"""Largest OMM file read, bytes (64 MiB; the whole public catalogue as XML is about 30 MB)."""

FORMATS = ("xml", "kvn", "json", "csv")

MANDATORY = (
    "OBJECT_NAME", "OBJECT_ID", "EPOCH", "MEAN_MOTION", "ECCENTRICITY", "INCLINATION", "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER", "MEAN_ANOMALY", "BSTAR", "MEAN_MOTION_DOT", "MEAN_MOTION_DDOT",
)
"""Fields an SGP4 OMM must have: the mean elements, and BSTAR, MEAN_MOTION_DOT and MEAN_MOTION_DDOT, which
CCSDS 502.0-B-3 makes mandatory for MEAN_ELEMENT_THEORY = SGP4."""

MAX_CATALOG_NUMBER = 999_999_999
SGP4_MAX_SATNUM = 339_999
"""The largest satellite number sgp4 stores (Alpha-5 'Z9999')."""

_FIXED = {"CENTER_NAME": ("EARTH",), "REF_FRAME": ("TEME",), "TIME_SYSTEM": ("UTC",)}
_THEORIES = ("SGP4", "SGP/SGP4")
_EPOCH = re.compile(
    r"^(?P<year>\d{4})-(?:(?P<month>\d{2})-(?P<day>\d{2})|(?P<doy>\d{3}))"
    r"T(?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})(?P<frac>\.\d*)?Z?$"
)
_KVN_LINE = re.compile(r"^(?P<key>[A-Z0-9_]+)\s*=\s*(?P<value>.*?)\s*(?:\[[^\]]*\])?\s*$")


class OMMError(ValueError):
    """An OMM that cannot be read: ``record`` (1-based), ``name`` (OBJECT_NAME) and ``field`` say where."""

    def __init__(self, message: str, record: int | None = None, name: str | None = None, field: str | None = None):
        where = ""
        if record is not None:
            where = f"OMM record {record}" + (f" ({name})" if name else "") + ": "
        super().__init__(f"{where}{field + ': ' if field else ''}{message}")
        self.record, self.name, self.field = record, name, field


@dataclass(frozen=True)
class OMM:
    """One SGP4 element set from an OMM; angles in deg, mean motion in rev/day, as the message gives them.

    ``epoch`` is UTC, ISO 8601 to the microsecond. ``norad_id`` is 0 when the message has no NORAD_CAT_ID (an
    object not yet catalogued).
    """

    name: str
    object_id: str
    norad_id: int
    epoch: str
    mean_motion: float
    eccentricity: float
    inclination: float
    ra_of_asc_node: float
    arg_of_pericenter: float
    mean_anomaly: float
    bstar: float
    mean_motion_dot: float
    mean_motion_ddot: float
    classification: str = "U"
    ephemeris_type: int = 0
    element_set_no: int = 999
    rev_at_epoch: int = 0

    def sgp4_fields(self) -> dict[str, str]:
        """The fields ``sgp4.omm.initialize`` reads, with a satellite number sgp4 accepts."""
        return {
            "OBJECT_ID": self.object_id,
            "NORAD_CAT_ID": str(self.norad_id if self.norad_id <= SGP4_MAX_SATNUM else 0),
            "CLASSIFICATION_TYPE": self.classification,
            "EPHEMERIS_TYPE": str(self.ephemeris_type),
            "ELEMENT_SET_NO": str(self.element_set_no),
            "REV_AT_EPOCH": str(self.rev_at_epoch),
            "EPOCH": self.epoch,
            "MEAN_MOTION": repr(self.mean_motion),
            "ECCENTRICITY": repr(self.eccentricity),
            "INCLINATION": repr(self.inclination),
            "RA_OF_ASC_NODE": repr(self.ra_of_asc_node),
            "ARG_OF_PERICENTER": repr(self.arg_of_pericenter),
            "MEAN_ANOMALY": repr(self.mean_anomaly),
            "BSTAR": repr(self.bstar),
            "MEAN_MOTION_DOT": repr(self.mean_motion_dot),
            "MEAN_MOTION_DDOT": repr(self.mean_motion_ddot),
        }

    def satrec(self):
        from sgp4.api import Satrec
        from sgp4.omm import initialize

        sat = Satrec()
        initialize(sat, self.sgp4_fields())
        return sat

    @property
    def epoch_jd(self) -> float:
        sat = self.satrec()
        return sat.jdsatepoch + sat.jdsatepochF


def parse_omm(text: str, fmt: str | None = None) -> list[OMM]:
    """Every element set in OMM ``text``; ``fmt`` is one of ``FORMATS``, or None to tell it from the text."""
    fmt = sniff(text) if fmt is None else fmt.lower()
    if fmt not in FORMATS:
        raise OMMError(f"unknown OMM format {fmt!r}: expected one of {', '.join(FORMATS)}")
    records = {"xml": _xml_records, "kvn": _kvn_records, "json": _json_records, "csv": _csv_records}[fmt](text)
    if not records:
        raise OMMError(f"no OMM record found in the {fmt.upper()} text")
    return [_omm(fields, k) for k, fields in enumerate(records, 1)]


def load_omm(path: str | Path) -> list[OMM]:
    """Every element set in an OMM file (at most ``MAX_OMM_FILE_BYTES``, UTF-8 text)."""
    from ..scenario.base import read_text_limited

    return parse_omm(read_text_limited(path, "OMM file", MAX_OMM_FILE_BYTES))


def sniff(text: str) -> str:
    """The OMM format of ``text``: 'xml', 'json', 'kvn' or 'csv' (OMMError when it is none of them)."""
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("<"):
        return "xml"
    if body.startswith(("[", "{")):
        return "json"
    first = next((ln.strip() for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("COMMENT")), "")
    if _KVN_LINE.match(first):
        return "kvn"
    if "," in first and "OBJECT_NAME" in first.upper():
        return "csv"
    raise OMMError("not an OMM: expected CCSDS XML (<ndm> or <omm>), KVN (CCSDS_OMM_VERS = ...), a JSON list of "
                   "records, or CSV with a header row naming OBJECT_NAME, EPOCH, ...")


def _xml_records(text: str) -> list[dict]:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(text.lstrip("\ufeff"), forbid_dtd=True)
    except DefusedXmlException as exc:
        raise OMMError(f"the XML declares a DTD or entities, which an OMM never needs: refused ({exc})") from None
    except ParseError as exc:
        raise OMMError(f"malformed XML: {exc}") from None

    def local(tag) -> str:
        return tag.rpartition("}")[2] if isinstance(tag, str) else ""

    records = []
    for segment in (e for e in root.iter() if local(e.tag) == "segment"):
        fields: dict[str, str] = {}
        for block in segment.iter():
            if local(block.tag) not in ("metadata", "meanElements", "spacecraftParameters", "tleParameters"):
                continue
            for item in block:
                key = local(item.tag)
                if key != "COMMENT" and len(item) == 0:
                    fields[key] = (item.text or "").strip()
        records.append(fields)
    return records


def _kvn_records(text: str) -> list[dict]:
    records: list[dict] = []
    fields: dict[str, str] | None = None
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("COMMENT"):
            continue
        match = _KVN_LINE.match(line)
        if match is None:
            raise OMMError(f"KVN line {number} is not 'KEYWORD = value': {line[:60]!r}")
        key, value = match["key"], match["value"]
        if key == "CCSDS_OMM_VERS" or fields is None:
            fields = {}
            records.append(fields)
        if key in fields:
            raise OMMError(f"KVN line {number}: {key} appears twice in one message")
        fields[key] = value
    return records


def _json_records(text: str) -> list[dict]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OMMError(f"malformed JSON: {exc}") from None
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise OMMError("the JSON must be an object or a list of objects, one per element set")
    return [{str(k).upper(): v for k, v in item.items() if v is not None} for item in data]


def _csv_records(text: str) -> list[dict]:
    from sgp4.omm import parse_csv

    try:
        rows = list(parse_csv(io.StringIO(text.lstrip("\ufeff"))))
    except csv.Error as exc:
        raise OMMError(f"malformed CSV: {exc}") from None
    return [{str(k).strip().upper(): v.strip() for k, v in row.items() if k is not None and isinstance(v, str)
             and v.strip()} for row in rows]


def _omm(fields: dict, record: int) -> OMM:
    name = str(fields.get("OBJECT_NAME", "")).strip() or None

    def fail(field: str, message: str):
        return OMMError(message, record, name, field)

    missing = [key for key in MANDATORY if str(fields.get(key, "")).strip() == ""]
    if missing:
        raise fail(missing[0], "mandatory field is missing" + (f" (also missing: {', '.join(missing[1:])})"
                                                                 if len(missing) > 1 else ""))
    theory = str(fields.get("MEAN_ELEMENT_THEORY", "SGP4")).strip().upper()
    if theory not in _THEORIES:
        why = ("SGP4-XP elements need the SGP4-XP propagator, which the sgp4 package does not have"
               if theory.startswith("SGP4-XP") else "only SGP4 element sets are read")
        raise fail("MEAN_ELEMENT_THEORY", f"{theory!r}: {why}")
    for key, allowed in _FIXED.items():
        value = str(fields.get(key, allowed[0])).strip().upper()
        if value not in allowed:
            raise fail(key, f"{value!r}: SGP4 elements are {' or '.join(allowed)}")

    def number(key: str, low: float | None = None, high: float | None = None, *, closed: bool = True) -> float:
        raw = fields[key]
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw)
        except (TypeError, ValueError):
            raise fail(key, f"{raw!r} is not a number") from None
        if not math.isfinite(value):
            raise fail(key, f"{raw!r} is not a finite number")
        if (low is not None and value < low) or (high is not None and (value > high if closed else value >= high)):
            raise fail(key, f"{value:g} is out of range [{low:g}, {high:g}{']' if closed else ')'}")
        return value

    def integer(key: str, default: int, low: int, high: int) -> int:
        raw = fields.get(key, default)
        try:
            if isinstance(raw, bool) or float(raw) != int(float(raw)):
                raise ValueError
            value = int(float(raw))
        except (TypeError, ValueError, OverflowError):
            raise fail(key, f"{raw!r} is not a whole number") from None
        if not low <= value <= high:
            raise fail(key, f"{value} is out of range [{low}, {high}]")
        return value

    mean_motion = number("MEAN_MOTION", 0.0, None)
    if mean_motion <= 0.0:
        raise fail("MEAN_MOTION", f"{mean_motion:g} rev/day: the mean motion must be above 0")
    ephemeris_type = integer("EPHEMERIS_TYPE", 0, 0, 9)
    if ephemeris_type == 4:
        raise fail("EPHEMERIS_TYPE", "4 marks an SGP4-XP element set, which the sgp4 package cannot propagate")
    classification = str(fields.get("CLASSIFICATION_TYPE", "U")).strip() or "U"
    if len(classification) != 1:
        raise fail("CLASSIFICATION_TYPE", f"{classification!r} is not one letter (U, C or S)")
    omm = OMM(
        name=name,
        object_id=str(fields["OBJECT_ID"]).strip(),
        norad_id=integer("NORAD_CAT_ID", 0, 0, MAX_CATALOG_NUMBER),
        epoch=_epoch(fields["EPOCH"], fail),
        mean_motion=mean_motion,
        eccentricity=number("ECCENTRICITY", 0.0, 1.0, closed=False),
        inclination=number("INCLINATION", 0.0, 180.0),
        ra_of_asc_node=number("RA_OF_ASC_NODE", -360.0, 360.0),
        arg_of_pericenter=number("ARG_OF_PERICENTER", -360.0, 360.0),
        mean_anomaly=number("MEAN_ANOMALY", -360.0, 360.0),
        bstar=number("BSTAR"),
        mean_motion_dot=number("MEAN_MOTION_DOT"),
        mean_motion_ddot=number("MEAN_MOTION_DDOT"),
        classification=classification,
        ephemeris_type=ephemeris_type,
        element_set_no=integer("ELEMENT_SET_NO", 999, 0, MAX_CATALOG_NUMBER),
        rev_at_epoch=integer("REV_AT_EPOCH", 0, 0, MAX_CATALOG_NUMBER),
    )
    try:
        sat = omm.satrec()
    except Exception as exc:  # sgp4 raises several kinds on values it cannot take
        raise fail("", f"sgp4 cannot initialise these elements: {exc}") from None
    perigee = sat.a * (1.0 - sat.ecco) * sat.radiusearthkm - R_EARTH
    if sat.error or perigee < 0.0:
        raise fail("MEAN_MOTION", f"{mean_motion:g} rev/day with eccentricity {omm.eccentricity:g} puts the perigee "
                   f"{-perigee:.0f} km under the Earth's surface" if perigee < 0.0 else
                   f"SGP4 refuses these elements (error code {sat.error})")
    return omm


def _epoch(raw, fail) -> str:
    """EPOCH as ISO 8601 UTC to the microsecond (calendar or day-of-year form, optional Z); finer digits rounded."""
    text = str(raw).strip()
    match = _EPOCH.match(text)
    try:
        if match is None:
            raise ValueError
        year = int(match["year"])
        if match["doy"] is not None:
            day = datetime(year, 1, 1) + timedelta(days=int(match["doy"]) - 1)
            if day.year != year or int(match["doy"]) < 1:
                raise ValueError
        else:
            day = datetime(year, int(match["month"]), int(match["day"]))
        if int(match["h"]) > 23 or int(match["m"]) > 59 or int(match["s"]) > 59:
            raise ValueError
        micro = round(float("0" + (match["frac"] or ".")) * 1e6)
        moment = day + timedelta(hours=int(match["h"]), minutes=int(match["m"]), seconds=int(match["s"]),
                                 microseconds=micro)
    except ValueError:
        raise fail("EPOCH", f"{text!r} is not a UTC time such as 2026-11-01T00:00:00.000000") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")

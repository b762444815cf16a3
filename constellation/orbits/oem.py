"""CCSDS Orbit Ephemeris Messages (OEM, KVN or XML) read as trajectories, through the ``oem`` package.

Each state is turned to the GCRS at load (REF_FRAME EME2000, GCRF, ICRF, ITRF of any realisation, TEME; astropy
does the rotation, see ``statevector.to_gcrs``) and its epoch to UTC (TIME_SYSTEM UTC, TAI, TT or GPS). Segments of
the object whose usable spans touch are joined into one trajectory, each contributing its states from its usable
start on (rows a segment carries before it for interpolation, and a state the earlier segment has at the same
epoch, are dropped).
Segments apart from each other give separate trajectories, each usable only over its own span.

Interpolation follows each segment's INTERPOLATION (LAGRANGE, HERMITE, LINEAR) and INTERPOLATION_DEGREE; a segment
that names none is interpolated as the ``oem`` package does, Lagrange of degree 5.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np

from .tabulated import EDGE_TOLERANCE_S, Trajectory

MAX_OEM_FILE_BYTES = 64 * 2**20
"""Largest OEM file read, bytes (64 MiB: about 400,000 states)."""

DEFAULT_INTERPOLATION = ("lagrange", 5)
"""Interpolation of a segment whose metadata names none: the ``oem`` package's own default."""

TIME_SYSTEMS = ("UTC", "TAI", "TT", "GPS")
GPS_MINUS_TAI_S = -19.0
"""GPS time runs a constant 19 s behind TAI."""

_FRAMES = {"EME2000": "eme2000", "J2000": "eme2000", "GCRF": "gcrs", "ICRF": "gcrs", "TEME": "teme"}
_ITRF = re.compile(r"^ITRF(?:-?\d{2}|\d{4})?$")


class OEMError(ValueError):
    """An OEM that cannot be used as a satellite: malformed, or in a frame, centre or time system not supported."""


class OEMTrajectory(Trajectory):
    """A trajectory from an OEM, usable between its USEABLE_START_TIME and USEABLE_STOP_TIME (s after ``epoch``);
    the states outside that span only feed the interpolation near its ends."""

    def __init__(self, epoch, t, r, v, *, usable: tuple[float, float], object_id: str = "", **kwargs):
        super().__init__(epoch, t, r, v, **kwargs)
        self.usable = (float(usable[0]), float(usable[1]))
        self.object_id = object_id

    @property
    def coverage(self) -> tuple[float, float]:
        return self.usable

    def span(self) -> tuple[str, str]:
        """First and last usable instants, ISO 8601 UTC to the second."""
        return self._iso(self.usable[0]), self._iso(self.usable[1])


def load_oem(path: str | Path) -> list[OEMTrajectory]:
    """The trajectories of an OEM file (at most ``MAX_OEM_FILE_BYTES``, KVN or XML), in time order."""
    from ..scenario.base import read_text_limited

    return parse_oem(read_text_limited(path, "OEM file", MAX_OEM_FILE_BYTES))


def parse_oem(text: str) -> list[OEMTrajectory]:
    """The trajectories of OEM text (KVN, or XML when it starts with '<'), in time order."""
    from oem import OrbitEphemerisMessage
    from oem.parsers import parse_kvn_oem, parse_xml_oem

    body = text.lstrip("\ufeff \t\r\n")
    parse = parse_xml_oem if body.startswith("<") else parse_kvn_oem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            message = OrbitEphemerisMessage._from_raw_data(parse(io.StringIO(body)))
            pieces = [_segment(s, k) for k, s in enumerate(message.segments, 1)]
        except OEMError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, SyntaxError) as exc:
            reason = str(exc).strip("'\"") or type(exc).__name__
            raise OEMError(f"not a readable OEM: {reason}") from None
    pieces.sort(key=lambda p: p["usable"][0])
    if not pieces:
        raise OEMError("the OEM has no ephemeris segment")
    joined = [pieces[0]]
    for piece in pieces[1:]:
        last = joined[-1]
        if (piece["usable"][0] - last["usable"][1]).sec > EDGE_TOLERANCE_S:
            joined.append(piece)
            continue
        boundary = piece["usable"][0]
        keep = (boundary - last["times"]).sec > EDGE_TOLERANCE_S
        take = (piece["times"] - boundary).sec >= -EDGE_TOLERANCE_S
        last["times"] = _concat(last["times"][keep], piece["times"][take])
        last["r"] = np.concatenate([last["r"][keep], piece["r"][take]])
        last["v"] = np.concatenate([last["v"][keep], piece["v"][take]])
        last["usable"] = (last["usable"][0], max(last["usable"][1], piece["usable"][1]))
    return [_trajectory(p) for p in joined]


def _concat(a, b):
    from astropy.time import Time

    return Time(np.concatenate([a.jd1, b.jd1]), np.concatenate([a.jd2, b.jd2]), format="jd", scale="utc")


def _segment(segment, number: int) -> dict:
    """One segment's states in the GCRS, its UTC epochs, usable span and interpolation."""
    import astropy.units as u
    from astropy.time import Time

    from .statevector import to_gcrs

    meta = segment.metadata
    where = f"segment {number} ({meta['OBJECT_NAME']})"
    center = str(meta["CENTER_NAME"]).strip().upper()
    if center != "EARTH":
        raise OEMError(f"{where}: CENTER_NAME is {center!r}; only orbits about the EARTH are read")
    frame_name = str(meta["REF_FRAME"]).strip().upper()
    frame = "itrs" if _ITRF.match(frame_name) else _FRAMES.get(frame_name)
    if frame is None:
        raise OEMError(f"{where}: REF_FRAME {frame_name!r} is not supported (EME2000, GCRF, ICRF, ITRF, TEME)")
    system = str(meta["TIME_SYSTEM"]).strip().upper()
    if system not in TIME_SYSTEMS:
        raise OEMError(f"{where}: TIME_SYSTEM {system!r} is not supported ({', '.join(TIME_SYSTEMS)})")

    def utc(epochs):
        if system == "GPS":
            return (Time(epochs, scale="tai") - GPS_MINUS_TAI_S * u.s).utc
        return Time(epochs).utc

    states = list(segment.states)
    times = utc([s.epoch for s in states])
    r = np.array([s.position for s in states], dtype=float)
    v = np.array([s.velocity for s in states], dtype=float)
    r, v = to_gcrs(r, v, times, frame)
    start, stop = utc([segment.useable_start_time, segment.useable_stop_time])
    if "INTERPOLATION" in meta:
        method = str(meta["INTERPOLATION"]).strip().lower()
        degree = int(meta["INTERPOLATION_DEGREE"])
        if method == "linear":
            method, degree = "lagrange", 1
        if method not in ("lagrange", "hermite"):
            raise OEMError(f"{where}: INTERPOLATION {method.upper()!r} is not supported (LAGRANGE, HERMITE, LINEAR)")
    else:
        method, degree = DEFAULT_INTERPOLATION
    return {"name": str(meta["OBJECT_NAME"]).strip(), "id": str(meta["OBJECT_ID"]).strip(), "times": times.utc,
            "r": r, "v": v, "usable": (start.utc, stop.utc), "method": method, "degree": degree, "where": where}


def _trajectory(piece: dict) -> OEMTrajectory:
    times = piece["times"]
    epoch = times[0]
    t = (times - epoch).sec
    usable = ((piece["usable"][0] - epoch).sec, (piece["usable"][1] - epoch).sec)
    try:
        return OEMTrajectory(epoch, t, piece["r"], piece["v"], usable=usable, object_id=piece["id"],
                             interpolation=piece["method"], degree=piece["degree"], name=piece["name"])
    except ValueError as exc:
        raise OEMError(f"{piece['where']}: {exc}") from None

"""Scenarios: the validated description of a run, written as YAML or built in Python.

Physical values are given as astropy Quantities, strings with a unit (``"510 km"``, ``"1 d"``) or bare numbers in
the field's canonical unit (km for orbits, m for station heights, deg, s), and stored as floats in that unit.
Every problem found while loading comes back at once in a ``ScenarioError``, each with its field path and the
line of the YAML file it concerns.
"""

from __future__ import annotations

import contextvars
import math
import numbers
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = [
    "BUNDLED_DIR", "ORBIT_KINDS", "Circular", "Classical", "Defaults", "Deg", "Geostationary", "GroundStation",
    "Hours", "Km", "Meters", "Orbit", "Problem", "Relay", "Scenario", "ScenarioError", "Seconds", "SunSynchronous",
    "Swarm", "TLESet", "Walker", "Links", "FixedRateLink", "LinkBudgetSpec", "bundled_scenarios", "load_scenario", "scenario_json_schema",
]

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "scenarios"
"""Folder of the scenarios shipped with the package, found by bare name in ``load_scenario``."""

_CHECK_EPOCH = "2000-01-01T12:00:00"
_BASE_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar("scenario_base_dir", default=None)


class _Unit:
    """Annotation marker: the field is a physical value stored in ``unit``; shapes its JSON Schema."""

    def __init__(self, unit: str, kind: str, example: str):
        self.unit, self.kind, self.example = unit, kind, example

    def __get_pydantic_json_schema__(self, core_schema, handler):
        inner = handler(core_schema)
        return {
            "anyOf": [inner, {"type": "string"}],
            "description": f"{self.kind.capitalize()} in {self.unit}, or a string with a unit such as "
            f"'{self.example}'.",
        }


def _a(noun: Any) -> str:
    """The noun with its indefinite article."""
    text = str(noun)
    return f"{'an' if text[:1].lower() in 'aeiou' else 'a'} {text}"


def _to_unit(value: Any, marker: _Unit) -> float:
    unit, kind, example = marker.unit, marker.kind, marker.example
    hint = f"give a number in {unit} or a value with a unit such as '{example}'"
    if isinstance(value, bool):
        raise ValueError(f"expected {_a(kind)}: {hint} (got {value!r})")
    if isinstance(value, numbers.Real):
        x = float(value)
    elif isinstance(value, str) or hasattr(value, "unit"):
        import astropy.units as u

        try:
            q = u.Quantity(value)
        except Exception:
            raise ValueError(f"cannot read {value!r} as {_a(kind)}: {hint}") from None
        if not q.isscalar:
            raise ValueError(f"expected one {kind}, not an array: {hint}")
        if q.unit == u.dimensionless_unscaled:
            x = float(q.value)
        elif q.unit.is_equivalent(unit):
            x = float(q.to_value(unit))
        else:
            shown = value if isinstance(value, str) else f"{q}"
            raise ValueError(f"'{shown}' is {_a(q.unit.physical_type)}, not {_a(kind)}: {hint}")
    else:
        raise ValueError(f"expected {_a(kind)}: {hint} (got {type(value).__name__})")
    if not math.isfinite(x):
        raise ValueError(f"expected a finite {kind} (got {value!r})")
    return x


def _quantity(unit: str, kind: str, example: str, **limits):
    marker = _Unit(unit, kind, example)
    return Annotated[float, Field(**limits), BeforeValidator(lambda v: _to_unit(v, marker)), marker]


Km = _quantity("km", "length", "510 km")
Meters = _quantity("m", "length", "1200 m")
Deg = _quantity("deg", "angle", "53 deg")
Seconds = _quantity("s", "duration", "1 d")
Inclination = _quantity("deg", "angle", "53 deg", ge=0, le=180)
Latitude = _quantity("deg", "angle", "35.7 deg", ge=-90, le=90)
Longitude = _quantity("deg", "angle", "51.4 deg", ge=-180, lt=360)
Elevation = _quantity("deg", "angle", "10 deg", ge=0, lt=90)
Spacing = _quantity("deg", "angle", "72 deg", gt=0)
Hertz = _quantity("Hz", "frequency", "8.2 GHz", gt=0)
Watts = _quantity("W", "power", "5 W", gt=0)
Kelvin = _quantity("K", "temperature", "500 K", gt=0)
_RATE = _Unit("bit/s", "data rate", "100 Mbit/s")


def _rate(value: Any) -> float:
    if isinstance(value, str):
        value = re.sub(r"(?i)\b([kMGT]?)bps\b", lambda m: f"{m.group(1)}bit/s", value.strip())
    return _to_unit(value, _RATE)


BitRate = Annotated[float, Field(gt=0), BeforeValidator(_rate), _RATE]
_ENERGY = _Unit("W h", "energy", "200 W h")
Energy = Annotated[
    float, Field(gt=0),
    BeforeValidator(lambda v: _to_unit(re.sub(r"\b([kM]?)Wh\b", r"\1W h", v) if isinstance(v, str) else v, _ENERGY)),
    _ENERGY,
]
Bits = _quantity("bit", "data size", "1.5 GB", gt=0)
PerHour = _quantity("1/h", "rate of events", "6 / h", ge=0)


def _hours(value: Any) -> float:
    from .orbits.elements import parse_ltan

    if isinstance(value, bool):
        raise ValueError(f"local time of the ascending node must be hours (10.5) or 'HH:MM' (got {value!r})")
    if (isinstance(value, str) and ":" not in value) or hasattr(value, "unit"):
        import astropy.units as u

        try:
            q = u.Quantity(value)
        except Exception:
            raise ValueError(
                f"local time of the ascending node must be hours (10.5) or 'HH:MM' (got {value!r})"
            ) from None
        if q.unit == u.dimensionless_unscaled:
            value = float(q.value)
        elif q.unit.is_equivalent(u.h):
            value = float(q.to_value(u.h))
        elif q.unit.is_equivalent(u.hourangle):
            value = float(q.to_value(u.hourangle))
        else:
            raise ValueError(f"'{value}' is a {q.unit.physical_type}, not a local time: give hours or 'HH:MM'")
    return parse_ltan(value)


Hours = Annotated[
    float,
    BeforeValidator(_hours),
    WithJsonSchema(
        {
            "anyOf": [{"type": "number", "minimum": 0, "exclusiveMaximum": 24}, {"type": "string"}],
            "description": "Local time of the ascending node: hours (10.5) or 'HH:MM' (quote it in YAML).",
        }
    ),
]


def _epoch(value: Any) -> str:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            dt = datetime.fromisoformat(value.strip())
        except ValueError:
            return _epoch_astropy(value)
    elif hasattr(value, "isot") and hasattr(value, "utc"):
        return _epoch_astropy(value)
    else:
        raise ValueError(f"epoch must be an ISO 8601 UTC time such as '2026-03-20T00:00:00Z' (got {value!r})")
    if dt.tzinfo is not None:
        dt = dt.astimezone(timezone.utc).replace(tzinfo=None)
    dt += timedelta(microseconds=500)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}"


def _epoch_astropy(value: Any) -> str:
    from astropy.time import Time

    try:
        t = Time(value, scale="utc", precision=3) if isinstance(value, str) else Time(value, precision=3)
    except Exception:
        raise ValueError(
            f"epoch must be an ISO 8601 UTC time such as '2026-03-20T00:00:00Z' (got {value!r})"
        ) from None
    if not t.isscalar:
        raise ValueError("epoch must be a single time, not an array")
    return t.utc.isot


Epoch = Annotated[
    str,
    BeforeValidator(_epoch),
    WithJsonSchema(
        {
            "type": "string",
            "description": "Start of the run: ISO 8601, UTC unless an offset is given (2026-03-20T00:00:00Z).",
        }
    ),
]

ScenarioName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$")]
Name = Annotated[str, StringConstraints(min_length=1)]
Propagator = Literal["j2", "twobody"]


def _invalid(title: str, errors: list[tuple[tuple, str, Any, dict]]) -> ValidationError:
    """A ValidationError whose errors point at ``loc`` inside the model being validated."""
    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(
                type=PydanticCustomError("scenario", "{reason}", {"reason": message, **extra}), loc=loc, input=value
            )
            for loc, message, value, extra in errors
        ],
    )


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Defaults(_Model):
    """Values that apply wherever an entry does not set its own."""

    min_elevation: Elevation = 10.0
    propagator: Propagator = "j2"


class _OrbitEntry(_Model):
    """One entry of ``satellites``: a satellite or a group that expands into many."""

    _blamed: ClassVar[str | None] = None

    def member_names(self) -> list[str]:
        """Names of the satellites this entry makes, in the order of its element rows."""
        return [self.name]

    def members(self, epoch, default_propagator: str = "j2") -> list:
        """The fleet ``Member`` of every satellite this entry makes, from its ``elements(epoch)``."""
        from .orbits.fleet import Member

        els = self.elements(epoch)
        model = self.propagator or default_propagator
        return [Member(n, els[i], model, group=self.name) for i, n in enumerate(self.member_names())]

    def _blame(self) -> str | None:
        """The field an infeasible-orbit error from the builder belongs to (None: the entry as a whole)."""
        return self._blamed

    def _check(self) -> None:
        try:
            self.elements(_CHECK_EPOCH)
        except ValueError as exc:
            field = self._blame()
            loc = (field,) if field else ()
            raise _invalid(type(self).__name__, [(loc, str(exc), getattr(self, field, None) if field else None, {})])

    @model_validator(mode="after")
    def _feasible(self):
        self._check()
        return self


class Classical(_OrbitEntry):
    """One satellite from classical mean elements."""

    orbit: Literal["classical"] = "classical"
    name: Name
    propagator: Propagator | None = None
    semi_major_axis: Km = Field(gt=0)
    eccentricity: float = Field(0.0, ge=0, lt=1)
    inclination: Inclination = 0.0
    raan: Deg = 0.0
    arg_perigee: Deg = 0.0
    mean_anomaly: Deg = 0.0

    _blamed = "semi_major_axis"

    def elements(self, epoch):
        from .orbits.elements import classical

        return classical(
            self.semi_major_axis, self.eccentricity, self.inclination, self.raan, self.arg_perigee, self.mean_anomaly
        )


class Circular(_OrbitEntry):
    """One satellite on a circular orbit; ``altitude`` is above the equatorial radius."""

    orbit: Literal["circular"] = "circular"
    name: Name
    propagator: Propagator | None = None
    altitude: Km = Field(gt=0)
    inclination: Inclination = 0.0
    raan: Deg = 0.0
    arg_latitude: Deg = 0.0

    _blamed = "altitude"

    def elements(self, epoch):
        from .orbits.elements import circular

        return circular(self.altitude, self.inclination, self.raan, self.arg_latitude)


class SunSynchronous(_OrbitEntry):
    """One satellite on a sun-synchronous orbit: the inclination follows from the altitude, the RAAN from ``ltan``."""

    orbit: Literal["sun_synchronous"] = "sun_synchronous"
    name: Name
    propagator: Propagator | None = None
    altitude: Km = Field(gt=0)
    ltan: Hours
    eccentricity: float = Field(0.0, ge=0, lt=1)
    arg_perigee: Deg = 0.0
    mean_anomaly: Deg = 0.0

    _blamed = "altitude"

    def elements(self, epoch):
        from .orbits.elements import sun_synchronous

        return sun_synchronous(
            self.altitude, self.ltan, epoch, self.eccentricity, self.arg_perigee, self.mean_anomaly
        )


class Walker(_OrbitEntry):
    """A Walker constellation i: total/planes/phasing; satellites are named ``{name}-{plane:02d}-{slot:02d}``."""

    orbit: Literal["walker"] = "walker"
    name: Name
    propagator: Propagator | None = None
    pattern: Literal["delta", "star"] = "delta"
    total: int = Field(ge=1)
    planes: int = Field(ge=1)
    phasing: int = Field(0, ge=0)
    altitude: Km = Field(gt=0)
    inclination: Inclination
    raan0: Deg = 0.0

    def member_names(self) -> list[str]:
        per_plane = self.total // self.planes
        return [f"{self.name}-{p + 1:02d}-{k + 1:02d}" for p in range(self.planes) for k in range(per_plane)]

    def elements(self, epoch):
        from .orbits.elements import walker

        return walker(self.total, self.planes, self.phasing, self.altitude, self.inclination, self.pattern, self.raan0)

    def members(self, epoch, default_propagator: str = "j2") -> list:
        """Members with their plane and slot in the pattern, for grid inter-satellite links."""
        from dataclasses import replace

        per_plane = self.total // self.planes
        return [
            replace(m, plane=i // per_plane, slot=i % per_plane)
            for i, m in enumerate(super().members(epoch, default_propagator))
        ]

    def _blame(self):
        if not 0 <= self.phasing < self.planes:
            return "phasing"
        if self.total % self.planes:
            return "total"
        return "altitude"


class Swarm(_OrbitEntry):
    """``count`` satellites over ``planes`` circular planes, named ``{name}-{k:02d}``.

    Give ``inclination`` or, for sun-synchronous planes, ``ltan`` (of the first plane). ``raan_spacing`` defaults to
    spreading the planes over 360 deg (180 deg when sun-synchronous), ``in_plane_spacing`` to an even spread;
    plane p is shifted along-track by ``p * phase_offset``.
    """

    orbit: Literal["swarm"] = "swarm"
    name: Name
    propagator: Propagator | None = None
    count: int = Field(ge=1)
    planes: int = Field(1, ge=1)
    altitude: Km = Field(gt=0)
    inclination: Inclination | None = None
    ltan: Hours | None = None
    raan_spacing: Deg | None = None
    in_plane_spacing: Spacing | None = None
    phase_offset: Deg = 0.0
    raan0: Deg = 0.0

    def member_names(self) -> list[str]:
        return [f"{self.name}-{k + 1:02d}" for k in range(self.count)]

    def elements(self, epoch):
        from .orbits.elements import swarm

        return swarm(
            self.count, self.planes, self.altitude, self.inclination, ltan=self.ltan, epoch=epoch,
            raan_spacing=self.raan_spacing, in_plane_spacing=self.in_plane_spacing, phase_offset=self.phase_offset,
            raan0=self.raan0,
        )

    def _blame(self):
        if (self.inclination is None) == (self.ltan is None):
            return None
        if self.planes > self.count:
            return "planes"
        per_plane = -(-self.count // self.planes)
        if self.in_plane_spacing is not None and per_plane * self.in_plane_spacing > 360.0 + 1e-9:
            return "in_plane_spacing"
        return "altitude"


class Geostationary(_OrbitEntry):
    """One geostationary satellite over ``longitude`` (deg east) at the epoch."""

    orbit: Literal["geostationary"] = "geostationary"
    name: Name
    propagator: Propagator | None = None
    longitude: Longitude

    def elements(self, epoch):
        from .orbits.elements import geostationary

        return geostationary(self.longitude, epoch)

    def _check(self) -> None:
        """Nothing beyond the longitude range can fail; the builder needs Earth orientation, so it waits for fleet()."""


class TLESet(_OrbitEntry):
    """Satellites from two-line element sets, propagated with SGP4.

    Give ``file`` (relative to the scenario file's folder, or to the script's folder for a scenario script) or
    ``lines`` (the TLE text). Satellites take the TLE name line, or ``{name}-{k}`` when there is none.
    """

    orbit: Literal["tle"] = "tle"
    name: Name
    propagator: Literal["sgp4"] | None = None
    file: str | None = None
    lines: str | None = None

    @field_validator("file")
    @classmethod
    def _resolve(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute():
            base = (info.context or {}).get("base_dir") or _BASE_DIR.get() or Path.cwd()
            path = Path(base) / path
        return str(path.resolve())

    def tles(self) -> list:
        """The parsed element sets (``constellation.orbits.TLE``)."""
        from .orbits.tle import parse_tles

        if self.lines is not None:
            return parse_tles(self.lines)
        return parse_tles(Path(self.file).read_text())

    def member_names(self) -> list[str]:
        out = []
        for k, tle in enumerate(self.tles(), 1):
            anonymous = tle.name == f"NORAD {tle.line1[2:7].strip()}"
            out.append(f"{self.name}-{k}" if anonymous else tle.name)
        return out

    def members(self, epoch, default_propagator: str = "j2") -> list:
        from .orbits.fleet import Member

        return [Member(n, tle, "sgp4", group=self.name) for n, tle in zip(self.member_names(), self.tles())]

    def _check(self) -> None:
        from .orbits.tle import TLEError

        title = type(self).__name__
        if (self.file is None) == (self.lines is None):
            raise _invalid(title, [((), "give exactly one of 'file' (a TLE file) or 'lines' (the TLE text)", None, {})])
        field = "lines" if self.lines is not None else "file"
        try:
            self.tles()
        except TLEError as exc:
            text = str(exc)
            if exc.line is not None:
                text = text.removeprefix(f"line {exc.line}: ")
                where = "the TLE text" if field == "lines" else self.file
                text = f"line {exc.line} of {where}: {text}"
            extra = {"tle_line": exc.line} if exc.line is not None and field == "lines" else {}
            raise _invalid(title, [((field,), text, getattr(self, field), extra)]) from None
        except OSError as exc:
            raise _invalid(
                title, [(("file",), f"cannot read TLE file {self.file}: {exc.strerror or exc}", self.file, {})]
            ) from None


Orbit = Annotated[
    Union[Classical, Circular, SunSynchronous, Walker, Swarm, Geostationary, TLESet], Field(discriminator="orbit")
]
"""One entry of ``Scenario.satellites``, told apart by its ``orbit`` key."""

ORBIT_KINDS: dict[str, type[_OrbitEntry]] = {
    cls.model_fields["orbit"].default: cls
    for cls in (Classical, Circular, SunSynchronous, Walker, Swarm, Geostationary, TLESet)
}


class Relay(_Model):
    """A geostationary relay satellite over ``longitude`` (deg east); ``enabled: false`` leaves it out of the run."""

    name: Name = "relay"
    longitude: Longitude
    propagator: Propagator | None = None
    enabled: bool = True


class FixedRateLink(_Model):
    """A link that carries the same rate at any range."""

    rate: BitRate

    def build(self):
        from .links import link_model_from_dict

        return link_model_from_dict({"kind": "fixed", "rate_bps": self.rate})


class LinkBudgetSpec(_Model):
    """A radio link budget: the rate follows from range, with DVB-S2 steps or the Shannon bound.

    Give the transmitter as ``eirp_dbw`` or ``tx_power`` + ``tx_gain_dbi``, and the receiver as ``g_over_t_dbk`` or
    ``rx_gain_dbi`` + ``system_noise_temperature``.
    """

    frequency: Hertz
    bandwidth: Hertz
    eirp_dbw: float | None = None
    tx_power: Watts | None = None
    tx_gain_dbi: float | None = None
    g_over_t_dbk: float | None = None
    rx_gain_dbi: float | None = None
    system_noise_temperature: Kelvin | None = None
    losses_db: float = Field(0.0, ge=0)
    margin_db: float = Field(0.0, ge=0)
    coding: Literal["dvb-s2", "shannon"] = "dvb-s2"
    rolloff: float = Field(0.2, ge=0, le=1)
    max_rate: BitRate | None = None

    @model_validator(mode="after")
    def _buildable(self):
        self.build()
        return self

    def build(self):
        from .links import link_model_from_dict

        spec = {
            "kind": "budget", "frequency_hz": self.frequency, "bandwidth_hz": self.bandwidth,
            "eirp_dbw": self.eirp_dbw, "tx_power_w": self.tx_power, "tx_gain_dbi": self.tx_gain_dbi,
            "g_over_t_dbk": self.g_over_t_dbk, "rx_gain_dbi": self.rx_gain_dbi,
            "system_noise_temperature_k": self.system_noise_temperature, "losses_db": self.losses_db,
            "margin_db": self.margin_db, "coding": self.coding, "rolloff": self.rolloff,
            "max_rate_bps": self.max_rate,
        }
        return link_model_from_dict({k: v for k, v in spec.items() if v is not None})


_LINK_TAGS = ("fixed", "budget")
_LINK_SLOTS = ("downlink", "model")


def _link_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "fixed" if "rate" in value else "budget"
    return "fixed" if isinstance(value, FixedRateLink) else "budget"


LinkModel = Annotated[
    Union[Annotated[FixedRateLink, Tag("fixed")], Annotated[LinkBudgetSpec, Tag("budget")]],
    Discriminator(_link_kind),
]


class IslLinks(_Model):
    """Inter-satellite links: ``+grid`` for Walker shells, ``line-of-sight`` for any pair in view, or none."""

    policy: Literal["none", "+grid", "line-of-sight"] = "none"
    grazing_altitude: Km = Field(80.0, ge=0)
    max_range: Km | None = Field(None, gt=0)
    cross_plane_max_latitude: Deg | None = Field(None, ge=0, le=90)
    model: LinkModel = FixedRateLink(rate=1e9)


class RelayLinks(_Model):
    """Satellite-to-relay links: line of sight to the relay, and how many satellites it serves at once."""

    channels: int = Field(1, ge=1)
    grazing_altitude: Km = Field(80.0, ge=0)
    model: LinkModel = FixedRateLink(rate=10e6)


class FeederLinks(_Model):
    """Relay-to-ground links; ``stations`` limits them to named stations (default: any station in view)."""

    stations: list[Name] | None = None
    model: LinkModel = FixedRateLink(rate=500e6)


class Links(_Model):
    """Which links exist and what each carries."""

    downlink: LinkModel = FixedRateLink(rate=100e6)
    isl: IslLinks = Field(default_factory=IslLinks)
    relay: RelayLinks = Field(default_factory=RelayLinks)
    feeder: FeederLinks = Field(default_factory=FeederLinks)
    stations_relay: bool = False


class GroundStation(_Model):
    """A ground station on the WGS84 ellipsoid; ``min_elevation`` falls back to the scenario default."""

    name: Name
    latitude: Latitude
    longitude: Longitude
    height: Meters = 0.0
    min_elevation: Elevation | None = None


class TargetSpec(_Model):
    """A point to image; higher ``priority`` goes first when the downlink is shared."""

    name: Name
    latitude: Latitude
    longitude: Longitude
    priority: int = Field(1, ge=0)


class RegionSpec(_Model):
    """A latitude-longitude box sampled into targets about ``spacing`` km apart."""

    name: Name
    lat_min: Latitude
    lat_max: Latitude
    lon_min: Longitude
    lon_max: Longitude
    spacing: Km = Field(100.0, gt=0)
    priority: int = Field(1, ge=0)

    @model_validator(mode="after")
    def _ordered(self):
        if self.lat_max < self.lat_min:
            raise ValueError(f"lat_max ({self.lat_max:g}) is below lat_min ({self.lat_min:g})")
        if self.lon_max < self.lon_min:
            raise ValueError(f"lon_max ({self.lon_max:g}) is below lon_min ({self.lon_min:g})")
        return self


class Imaging(_Model):
    """An Earth-observation payload: images targets inside its field of regard when they are sunlit."""

    satellites: list[Name] | None = None
    max_off_nadir: Deg = Field(30.0, gt=0, lt=90)
    min_sun_elevation: Deg | None = Field(10.0, ge=-90, le=90)
    image_size: Bits = 1.2e10
    capture_time: Seconds = Field(10.0, gt=0)
    power: float = Field(40.0, ge=0, description="Payload power while capturing, W.")
    targets: list[TargetSpec] = Field(default_factory=list)
    regions: list[RegionSpec] = Field(default_factory=list)


class Terminal(_Model):
    """A ground terminal that sends messages up to passing satellites."""

    name: Name
    latitude: Latitude
    longitude: Longitude


class Messaging(_Model):
    """Store-and-forward messaging: terminals generate messages (Poisson) that satellites collect in view."""

    satellites: list[Name] | None = None
    terminals: list[Terminal] = Field(default_factory=list)
    rate: PerHour = 6.0
    message_size: Bits = 2048.0
    min_elevation: Elevation = 10.0
    priority: int = Field(2, ge=0)


class PowerSpec(_Model):
    """Each satellite's battery, solar array and loads."""

    battery: Energy = 100.0
    initial_charge: float = Field(0.9, ge=0, le=1)
    solar_power: float = Field(60.0, ge=0, description="Array output in sunlight, W.")
    bus_load: float = Field(15.0, ge=0, description="Always-on load, W.")
    min_charge: float = Field(0.3, ge=0, lt=1, description="Below this fraction, activities are refused.")


class DownlinkSpec(_Model):
    """How stations share their antennas and what transmitting costs."""

    policy: Literal["fifo", "priority", "highest_elevation"] = "fifo"
    antennas: int = Field(1, ge=1)
    transmitter_power: float = Field(20.0, ge=0, description="Transmitter power while sending, W.")


class ScheduledFault(_Model):
    """A node (satellite, relay or station) or a link between two nodes out of service from ``start`` to ``end``."""

    node: Name | None = None
    link: list[Name] | None = Field(None, min_length=2, max_length=2)
    start: Seconds = Field(ge=0)
    end: Seconds = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self):
        if (self.node is None) == (self.link is None):
            raise ValueError("give exactly one of node (a satellite, relay or station) or link ([a, b])")
        if self.end <= self.start:
            raise ValueError(f"end ({self.end:g} s) must come after start ({self.start:g} s)")
        return self


class RandomFaults(_Model):
    """Random outages of each named node: exponential times between failures and to repair (seeded)."""

    nodes: list[Name] = Field(min_length=1)
    mtbf: Seconds = Field(gt=0)
    mttr: Seconds = Field(gt=0)


class Mission(_Model):
    """What the satellites do: payloads, storage, power, downlink sharing and faults."""

    seed: int = 0
    storage: Bits = 5.12e11
    power: PowerSpec = Field(default_factory=PowerSpec)
    imaging: Imaging | None = None
    messaging: Messaging | None = None
    downlink: DownlinkSpec = Field(default_factory=DownlinkSpec)
    faults: list[ScheduledFault] = Field(default_factory=list)
    random_faults: list[RandomFaults] = Field(default_factory=list)


class Scenario(_Model):
    """A simulation scenario: when, for how long, which satellites and which ground stations."""

    name: ScenarioName
    description: str = ""
    epoch: Epoch
    duration: Seconds = Field(gt=0)
    defaults: Defaults = Field(default_factory=Defaults)
    satellites: list[Orbit] = Field(default_factory=list)
    relay: Relay | None = None
    ground_stations: list[GroundStation] = Field(default_factory=list)
    links: Links = Field(default_factory=Links)
    mission: Mission | None = None

    @model_validator(mode="after")
    def _cross_check(self):
        errors: list[tuple[tuple, str, Any, dict]] = []
        if self.mission is not None:
            errors += self._check_mission(self.mission)
        station_names = {s.name for s in self.ground_stations}
        for k, name in enumerate(self.links.feeder.stations or []):
            if name not in station_names:
                known = ", ".join(sorted(station_names)) or "none"
                errors.append((("links", "feeder", "stations", k), f"no ground station named {name!r} "
                               f"(stations: {known})", name, {}))
        if self.links.isl.policy == "+grid":
            loose = [e.name for e in self.satellites if not isinstance(e, Walker)]
            if loose:
                errors.append((("links", "isl", "policy"), "+grid links Walker shells only; not a Walker entry: "
                               + ", ".join(loose[:5]), "+grid", {}))
        if not self.satellites and self.relay is None:
            errors.append((("satellites",), "a scenario needs at least one satellite or a relay", [], {}))
        seen: dict[str, str] = {}

        def claim(names: list[str], loc: tuple) -> None:
            where = f"{loc[0]}[{loc[1]}]" if len(loc) > 2 else loc[0]
            taken = []
            for n in names:
                if n in seen:
                    taken.append(f"{n!r} (by {seen[n]})")
                else:
                    seen[n] = where
            if taken:
                more = f" and {len(taken) - 3} more" if len(taken) > 3 else ""
                errors.append((loc, f"name{'s' if len(taken) > 1 else ''} already used: {', '.join(taken[:3])}{more}",
                               names[0] if len(names) == 1 else None, {}))

        for i, entry in enumerate(self.satellites):
            claim(entry.member_names(), ("satellites", i, "name"))
        if self.relay is not None:
            claim([self.relay.name], ("relay", "name"))
        for j, station in enumerate(self.ground_stations):
            claim([station.name], ("ground_stations", j, "name"))
        if errors:
            raise _invalid("Scenario", errors)
        return self

    def _node_names(self) -> tuple[set[str], set[str]]:
        """Every node name (satellites, relay, stations) and the names of satellite groups."""
        nodes = {n for e in self.satellites for n in e.member_names()}
        nodes |= {s.name for s in self.ground_stations}
        if self.relay is not None:
            nodes.add(self.relay.name)
        return nodes, {e.name for e in self.satellites}

    def _check_mission(self, mission: Mission) -> list:
        nodes, groups = self._node_names()
        errors = []

        def unknown(name: str, loc: tuple, allow_groups: bool) -> None:
            if name in nodes or (allow_groups and name in groups):
                return
            import difflib

            close = difflib.get_close_matches(name, sorted(nodes | groups), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            errors.append((loc, f"no satellite{', group' if allow_groups else ''}, relay or station named "
                           f"{name!r}{hint}", name, {}))

        for part in ("imaging", "messaging"):
            payload = getattr(mission, part)
            for k, name in enumerate((payload.satellites or []) if payload is not None else []):
                unknown(name, ("mission", part, "satellites", k), True)
        for k, fault in enumerate(mission.faults):
            if fault.node is not None:
                unknown(fault.node, ("mission", "faults", k, "node"), False)
            for j, name in enumerate(fault.link or []):
                unknown(name, ("mission", "faults", k, "link", j), False)
            if fault.start >= self.duration:
                errors.append((("mission", "faults", k, "start"), f"starts at {fault.start:g} s, after the run ends "
                               f"({self.duration:g} s)", fault.start, {}))
        for k, spec in enumerate(mission.random_faults):
            for j, name in enumerate(spec.nodes):
                unknown(name, ("mission", "random_faults", k, "nodes", j), False)
        return errors

    @property
    def epoch_time(self):
        """The epoch as an astropy Time (UTC)."""
        from astropy.time import Time

        return Time(self.epoch, scale="utc")

    @property
    def duration_s(self) -> float:
        """Length of the run, s."""
        return float(self.duration)

    def fleet(self):
        """Every satellite and the relay as a ``Fleet`` at the scenario epoch."""
        from .orbits.elements import geostationary
        from .orbits.fleet import Fleet, Member

        epoch = self.epoch_time
        default = self.defaults.propagator
        members = [m for entry in self.satellites for m in entry.members(epoch, default)]
        if self.relay is not None and self.relay.enabled:
            members.append(
                Member(
                    self.relay.name, geostationary(self.relay.longitude, epoch), self.relay.propagator or default,
                    kind="relay", group=self.relay.name,
                )
            )
        return Fleet(epoch, members)

    def link_config(self):
        """The ``links`` section as a ``topology.LinkConfig`` with built link models."""
        import math

        from .topology import LinkConfig

        isl, relay, feeder = self.links.isl, self.links.relay, self.links.feeder
        return LinkConfig(
            downlink=self.links.downlink.build(),
            isl_policy=isl.policy,
            isl_model=isl.model.build(),
            isl_grazing_altitude_km=isl.grazing_altitude,
            isl_max_range_km=math.inf if isl.max_range is None else isl.max_range,
            isl_cross_plane_max_latitude_deg=isl.cross_plane_max_latitude,
            relay_model=relay.model.build(),
            relay_channels=relay.channels,
            relay_grazing_altitude_km=relay.grazing_altitude,
            feeder_model=feeder.model.build(),
            feeder_stations=None if feeder.stations is None else tuple(feeder.stations),
            stations_relay=self.links.stations_relay,
        )

    def network(self, fleet=None):
        """The link topology of this scenario (``topology.Network``), on ``fleet`` if one is already built."""
        from .topology import Network

        return Network(fleet if fleet is not None else self.fleet(), self.stations(), self.link_config())

    def stations(self) -> list:
        """The ground stations as ``access.Station`` objects."""
        from .access import Station

        return [
            Station(
                s.name, s.latitude, s.longitude, s.height / 1000.0,
                self.defaults.min_elevation if s.min_elevation is None else s.min_elevation,
            )
            for s in self.ground_stations
        ]

    def to_yaml(self) -> str:
        """The scenario as YAML in canonical units (km, m, deg, s) that ``from_yaml_text`` reads back equal."""
        data = self.model_dump(mode="json", exclude_none=True)
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)

    @classmethod
    def from_yaml_text(cls, text: str, source: str = "<string>", base_dir: str | Path | None = None) -> "Scenario":
        """A scenario from YAML text; relative TLE files are read from ``base_dir`` (default: the working folder)."""
        data, lines, problems = _read_yaml(text)
        if lines is None:
            raise ScenarioError(problems, source)
        if not isinstance(data, dict):
            problems.append(Problem(
                "", f"the top level must be a mapping of keys (name, epoch, ...); found a {type(data).__name__}",
                lines.line(()),
            ))
            raise ScenarioError(problems, source)
        return _validate(data, source, lines, problems, base_dir)


def _validate(data: Any, source: str, lines: "_LineMap | None" = None, problems: list | None = None,
              base_dir: str | Path | None = None) -> Scenario:
    problems = list(problems or [])
    scenario = None
    try:
        scenario = Scenario.model_validate(data, context={"base_dir": Path(base_dir) if base_dir else None})
    except ValidationError as exc:
        problems += _problems(exc, lines)
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line is None, p.line or 0)), source)
    return scenario


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: the field path, what is wrong, and the YAML line (1-based) if known."""

    path: str
    message: str
    line: int | None = None

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be loaded; ``problems`` lists everything found wrong, not just the first."""

    def __init__(self, problems: list[Problem], source: str = "<scenario>"):
        super().__init__(list(problems), source)
        self.problems = list(problems)
        self.source = source

    def __str__(self) -> str:
        return "\n".join(p.format(self.source) for p in self.problems)


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 base-60 numbers, so ``ltan: 10:30`` stays the string '10:30'."""

    yaml_implicit_resolvers = {
        k: [r for r in v if r[0] not in (_INT, _FLOAT)] for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings (TLE text, descriptions) as literal blocks."""


_Dumper.add_representer(
    str,
    lambda dumper, s: dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None),
)


class _LineMap:
    """The 1-based line of every key and list item in a YAML document, by path."""

    def __init__(self, root: yaml.Node):
        self.root = root
        self.lines: dict[tuple, int] = {}
        self.nodes: dict[tuple, yaml.Node] = {}
        self.duplicates: list[Problem] = []
        self._walk(root, (), set())

    def _walk(self, node: yaml.Node, path: tuple, active: set) -> None:
        if id(node) in active:
            return
        active = active | {id(node)}
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    continue
                p = path + (key.value,)
                if p in self.lines:
                    self.duplicates.append(Problem(
                        _dotted(p), f"key {key.value!r} appears twice (first at line {self.lines[p]})",
                        key.start_mark.line + 1,
                    ))
                self.lines[p] = key.start_mark.line + 1
                self.nodes[p] = value
                self._walk(value, p, active)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                p = path + (i,)
                self.lines[p] = item.start_mark.line + 1
                self.nodes[p] = item
                self._walk(item, p, active)

    def line(self, path: tuple, text_line: int | None = None) -> int:
        """Line of ``path``, or of its nearest parent present; ``text_line`` picks a line inside a ``|`` block."""
        node = self.nodes.get(path)
        if text_line is not None and isinstance(node, yaml.ScalarNode) and node.style == "|":
            return node.start_mark.line + 1 + text_line
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.root.start_mark.line + 1


def _read_yaml(text: str) -> tuple[Any, _LineMap | None, list[Problem]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, [Problem("", "the file is empty: a scenario needs name, epoch, duration, ...", 1)]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"malformed YAML: {exc.problem or exc.context}"
        if exc.problem and exc.context and exc.context_mark is not None:
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        return None, None, [Problem("", message, mark.line + 1 if mark else None)]
    except yaml.YAMLError as exc:
        return None, None, [Problem("", f"malformed YAML: {exc}", None)]
    finally:
        loader.dispose()
    lines = _LineMap(node)
    return data, lines, list(lines.duplicates)


def _dotted(path: tuple) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


_NESTED = {("defaults",): Defaults, ("relay",): Relay, ("ground_stations",): GroundStation}


def _owner(loc: tuple) -> type[BaseModel] | None:
    """The model class whose key ``loc[-1]`` is, for a raw pydantic error location."""
    keys = tuple(k for k in loc[:-1] if not isinstance(k, int))
    if not keys:
        return Scenario
    if keys[0] == "satellites":
        return ORBIT_KINDS.get(keys[1]) if len(keys) == 2 else None
    return _NESTED.get(keys)


def _unit(model: type[BaseModel] | None, field: Any) -> str:
    if model is None or field not in model.model_fields:
        return ""
    info = model.model_fields[field]
    stack = [info.annotation, *info.metadata]
    while stack:
        item = stack.pop()
        if isinstance(item, _Unit):
            return item.unit
        stack += list(getattr(item, "__metadata__", ())) + list(getattr(item, "__args__", ()) or ())
    return ""


def _got(value: Any, unit: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g} {unit}".rstrip()
    return repr(value)


def _message(err: dict) -> str:
    kind, loc, ctx = err["type"], err["loc"], err.get("ctx") or {}
    kinds = ", ".join(ORBIT_KINDS)
    if kind == "scenario":
        return ctx.get("reason", err["msg"])
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        model = _owner(loc)
        allowed = f"; allowed keys here: {', '.join(model.model_fields)}" if model else ""
        return f"unknown key {loc[-1]!r}{allowed}"
    if kind == "union_tag_invalid":
        return f"unknown orbit kind {ctx.get('tag')!r}; the orbit kinds are: {kinds}"
    if kind == "union_tag_not_found":
        return f"required key is missing: the orbit kind, one of {kinds}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys (got {_got(err.get('input'), '')})"
    msg = re.sub(r"^(Input|Value) should be", "must be", err["msg"])
    value = err.get("input")
    if isinstance(value, (str, int, float, bool)) or value is None:
        unit = _unit(_owner(loc), loc[-1]) if loc else ""
        msg += f" (got {_got(value, unit)})"
    return msg


def _problems(exc: ValidationError, lines: _LineMap | None) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = loc[:2] + loc[3:] if len(loc) >= 3 and loc[0] == "satellites" and loc[2] in ORBIT_KINDS else loc
        path = tuple(p for k, p in enumerate(path) if not (p in _LINK_TAGS and k > 0 and path[k - 1] in _LINK_SLOTS))
        if err["type"] == "union_tag_not_found":
            path += ("orbit",)
        ctx = err.get("ctx") or {}
        line = lines.line(path, ctx.get("tle_line")) if lines is not None else None
        out.append(Problem(_dotted(path), _message(err), line))
    return out


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped in ``scenarios/``, loadable by name."""
    if not BUNDLED_DIR.is_dir():
        return []
    return sorted(p.stem for p in BUNDLED_DIR.iterdir() if p.suffix in (".yaml", ".yml", ".py"))


def _find(path_or_name: str | Path) -> Path:
    path = Path(path_or_name).expanduser()
    if path.exists() or path.suffix:
        return path
    for suffix in (".yaml", ".yml", ".py"):
        candidate = BUNDLED_DIR / f"{path.name}{suffix}"
        if candidate.is_file():
            return candidate
    known = ", ".join(bundled_scenarios()) or "none"
    raise ScenarioError([Problem("", f"no such file, and no bundled scenario of that name (bundled: {known})")],
                        str(path_or_name))


def load_scenario(path_or_name: str | Path) -> Scenario:
    """A scenario from a YAML file, a Python scenario script, or the name of a bundled scenario.

    A script defines a module-level ``scenario`` or a function ``build()`` returning one; relative TLE files in it
    are read from the script's folder.
    """
    path = _find(path_or_name)
    source = str(path)
    if path.suffix not in (".yaml", ".yml", ".py"):
        raise ScenarioError([Problem("", f"unknown scenario file type {path.suffix!r}: expected .yaml, .yml or .py")],
                            source)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError([Problem("", f"cannot read the file: {reason}")], source) from None
    if path.suffix == ".py":
        return _run_script(path)
    return Scenario.from_yaml_text(text, source=source, base_dir=path.parent)


def _run_script(path: Path) -> Scenario:
    import runpy
    import traceback

    source = str(path)
    token = _BASE_DIR.set(path.resolve().parent)
    try:
        namespace = runpy.run_path(source, run_name="__scenario__")
        result = namespace.get("scenario")
        if result is None and callable(namespace.get("build")):
            result = namespace["build"]()
    except ScenarioError:
        raise
    except ValidationError as exc:
        raise ScenarioError(_problems(exc, None), source) from None
    except Exception as exc:
        line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
        for frame in traceback.extract_tb(exc.__traceback__):
            if Path(frame.filename).resolve() == path.resolve():
                line = frame.lineno
        raise ScenarioError([Problem("", f"the script raised {type(exc).__name__}: {exc}", line)], source) from exc
    finally:
        _BASE_DIR.reset(token)
    if isinstance(result, Scenario):
        return result
    if isinstance(result, dict):
        return _validate(result, source, base_dir=path.parent)
    if result is None:
        message = "the script defines neither a module-level `scenario` nor a function `build()` returning one"
    else:
        message = f"the script's scenario is a {type(result).__name__}, not a Scenario"
    raise ScenarioError([Problem("", message)], source)


def scenario_json_schema() -> dict:
    """The JSON Schema of a scenario file, for editors and validators."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema

"""The orbit entries of ``satellites``: satellites, shells and swarms from elements, TLE and OMM sets, states, OEMs."""

from __future__ import annotations

import contextvars
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema, field_validator, model_validator

from .base import MAX_TLE_FILE_BYTES, Model, invalid, read_text_limited
from .forces import Forces
from .units import Deg, Hours, Inclination, Km, Longitude, Name, Propagator, Spacing

SCRIPT_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar("scenario_base_dir", default=None)
"""The folder of the scenario script being run: relative TLE files are read from there (set by ``load_scenario``)."""

_CHECK_EPOCH = "2000-01-01T12:00:00"


class _OrbitEntry(Model):
    """One entry of ``satellites``: a satellite or a group that expands into many."""

    _blamed: ClassVar[str | None] = None

    forces: Forces | None = Field(None, description="What acts on the satellites besides the Earth's central "
                                  "gravity (propagator: numerical only); keys left out come from defaults.forces.")

    def member_names(self) -> list[str]:
        """Names of the satellites this entry makes, in the order of its element rows."""
        return [self.name]

    def propagator_for(self, default: str) -> str:
        """The propagator of this entry's satellites when the scenario's default is ``default``."""
        from typing import get_args

        allowed = [v for arg in get_args(type(self).model_fields["propagator"].annotation) for v in get_args(arg)]
        model = str(self.propagator or default)
        return model if model in allowed or not allowed else allowed[0]

    def force_model(self, default_forces: Forces | None = None):
        """The ``ForceModel`` of this entry's satellites: its ``forces`` over ``default_forces``."""
        return (self.forces or Forces()).over(default_forces).force_model()

    def members(self, epoch, default_propagator: str = "j2", **kwargs) -> list:
        """The fleet ``Member`` of every satellite this entry makes, from its ``elements(epoch)``: mean elements,
        or a ``NumericalOrbit`` per satellite integrated under ``force_model`` (``default_propagator`` may carry
        ``defaults.forces``, as ``forces.DefaultPropagator`` does)."""
        from ..orbits.fleet import Member

        els = self.elements(epoch)
        model = self.propagator_for(default_propagator)
        if model != "numerical":
            return [Member(n, els[i], model, group=self.name) for i, n in enumerate(self.member_names())]
        from ..orbits.numerical import NumericalOrbit

        forces = self.force_model(getattr(default_propagator, "forces", None))
        return [Member(n, NumericalOrbit(els[i], epoch, forces, name=n), model, group=self.name)
                for i, n in enumerate(self.member_names())]

    def _blame(self) -> str | None:
        """The field an infeasible-orbit error from the builder belongs to (None: the entry as a whole)."""
        return self._blamed

    def _check(self) -> None:
        try:
            self.elements(_CHECK_EPOCH)
        except ValueError as exc:
            field = self._blame()
            loc = (field,) if field else ()
            raise invalid(type(self).__name__, [(loc, str(exc), getattr(self, field, None) if field else None, {})])

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
        from ..orbits.elements import classical

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
        from ..orbits.elements import circular

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
        from ..orbits.elements import sun_synchronous

        return sun_synchronous(
            self.altitude, self.ltan, epoch, self.eccentricity, self.arg_perigee, self.mean_anomaly
        )


MAX_SATELLITES = 100_000
"""Most satellites one entry may make: above every constellation filed (the largest, about 50,000)."""


class Walker(_OrbitEntry):
    """A Walker constellation i: total/planes/phasing; satellites are named ``{name}-{plane:02d}-{slot:02d}``."""

    orbit: Literal["walker"] = "walker"
    name: Name
    propagator: Propagator | None = None
    pattern: Literal["delta", "star"] = "delta"
    total: int = Field(ge=1, le=MAX_SATELLITES)
    planes: int = Field(ge=1, le=MAX_SATELLITES)
    phasing: int = Field(0, ge=0)
    altitude: Km = Field(gt=0)
    inclination: Inclination
    raan0: Deg = 0.0

    def member_names(self) -> list[str]:
        per_plane = self.total // self.planes
        return [f"{self.name}-{p + 1:02d}-{k + 1:02d}" for p in range(self.planes) for k in range(per_plane)]

    def elements(self, epoch):
        from ..orbits.elements import walker

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
    count: int = Field(ge=1, le=MAX_SATELLITES)
    planes: int = Field(1, ge=1, le=MAX_SATELLITES)
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
        from ..orbits.elements import swarm

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
        from ..orbits.elements import geostationary

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
            base = (info.context or {}).get("base_dir") or SCRIPT_DIR.get() or Path.cwd()
            path = Path(base) / path
        return str(path.resolve())

    def tles(self) -> list:
        """The parsed element sets (``constellation.orbits.TLE``)."""
        from ..orbits.tle import parse_tles

        if self.lines is not None:
            return parse_tles(self.lines)
        return parse_tles(read_text_limited(self.file, "TLE file", MAX_TLE_FILE_BYTES))

    def member_names(self) -> list[str]:
        out = []
        for k, tle in enumerate(self.tles(), 1):
            anonymous = tle.name == f"NORAD {tle.line1[2:7].strip()}"
            out.append(f"{self.name}-{k}" if anonymous else tle.name)
        return out

    def members(self, epoch, default_propagator: str = "j2") -> list:
        from ..orbits.fleet import Member

        return [Member(n, tle, "sgp4", group=self.name) for n, tle in zip(self.member_names(), self.tles())]

    def _check(self) -> None:
        from ..orbits.tle import TLEError

        title = type(self).__name__
        if (self.file is None) == (self.lines is None):
            raise invalid(title, [((), "give exactly one of 'file' (a TLE file) or 'lines' (the TLE text)", None, {})])
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
            raise invalid(title, [((field,), text, getattr(self, field), extra)]) from None
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise invalid(title, [(("file",), f"cannot read TLE file {self.file}: {reason}", self.file, {})]) from None


def _read_checked(title: str, what: str, field: str, value: str, read, error_type):
    """``read(value)``, with its errors raised at ``field``: the reader's own as it words them, and a file that
    cannot be read (missing, a folder, too big, not text) as such."""
    try:
        return read(value)
    except error_type as exc:
        where = f"{value}: " if field == "file" else ""
        raise invalid(title, [((field,), f"{where}{exc}", value, {})]) from None
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        text = reason if str(value) in reason else f"cannot read {what} file {value}: {reason}"
        raise invalid(title, [((field,), text, value, {})]) from None


class OMMSet(_OrbitEntry):
    """Satellites from Orbit Mean-Elements Messages (CCSDS OMM as XML, KVN or JSON, or CelesTrak's CSV), propagated
    with SGP4.

    Give ``file`` (relative to the scenario file's folder, or to the script's folder for a scenario script) or
    ``text`` (the message itself). Satellites take their OBJECT_NAME; a name that occurs more than once is followed
    by the catalog number (``STARLINK-1007 (100007)``), and by the record's place if that is still not unique.
    """

    orbit: Literal["omm"] = "omm"
    name: Name
    propagator: Literal["sgp4"] | None = None
    file: str | None = None
    text: str | None = None

    @field_validator("file")
    @classmethod
    def _resolve(cls, value: str | None, info: ValidationInfo) -> str | None:
        return TLESet._resolve(value, info)

    def records(self) -> list:
        """The parsed element sets (``constellation.orbits.OMM``)."""
        if self.text is not None:
            return list(_omm_text_cached(self.text))
        stat = Path(self.file).stat()
        return list(_omm_file_cached(self.file, stat.st_mtime_ns, stat.st_size))

    def member_names(self) -> list[str]:
        from collections import Counter

        records = self.records()
        counts = Counter(r.name for r in records)
        names = [r.name if counts[r.name] == 1 else f"{r.name} ({r.norad_id})" for r in records]
        again = Counter(names)
        return [n if again[n] == 1 else f"{n} #{k}" for k, n in enumerate(names, 1)]

    def members(self, epoch, default_propagator: str = "j2", **kwargs) -> list:
        from ..orbits.fleet import Member

        return [Member(n, omm, "sgp4", group=self.name) for n, omm in zip(self.member_names(), self.records())]

    def _check(self) -> None:
        from ..orbits.omm import OMMError

        title = type(self).__name__
        if (self.file is None) == (self.text is None):
            raise invalid(title, [((), "give exactly one of 'file' (an OMM file) or 'text' (the OMM itself)", None,
                                   {})])
        field = "text" if self.text is not None else "file"
        _read_checked(title, "OMM", field, getattr(self, field), lambda _: self.records(), OMMError)


@lru_cache(maxsize=8)
def _omm_text_cached(text: str) -> tuple:
    """The element sets of OMM text, parsed once: validation, names and the fleet all ask for them."""
    from ..orbits.omm import parse_omm

    return tuple(parse_omm(text))


@lru_cache(maxsize=8)
def _omm_file_cached(path: str, mtime_ns: int, size: int) -> tuple:
    """The element sets of an OMM file, parsed once for each version of the file."""
    from ..orbits.omm import load_omm

    return tuple(load_omm(path))


def _read_vector(value: Any, unit: str, kind: str, example: str) -> list[float]:
    """x, y, z in ``unit`` from three numbers (in ``unit``) or strings with a unit, or a Quantity of three."""
    import math
    import numbers

    import astropy.units as u
    import numpy as np

    hint = f"give x, y and z, each a number in {unit} or a value with a unit such as '{example}'"
    if hasattr(value, "unit") and not isinstance(value, str):
        items = list(u.Quantity(value).reshape(-1)) if np.ndim(value) == 1 else [value]
    elif isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        items = list(value)
    else:
        raise ValueError(f"expected a list of 3 components: {hint} (got {value!r})")
    if len(items) != 3:
        raise ValueError(f"expected 3 components (x, y, z), got {len(items)}: {hint}")
    out = []
    for axis, item in zip("xyz", items):
        if isinstance(item, numbers.Real) and not isinstance(item, (bool, np.bool_)):
            x = float(item)
        elif isinstance(item, str) or hasattr(item, "unit"):
            try:
                q = u.Quantity(item)
            except Exception:
                raise ValueError(f"{axis}: cannot read {item!r} as a {kind}: {hint}") from None
            if not q.isscalar:
                raise ValueError(f"{axis}: expected one {kind}, not an array: {hint}")
            if q.unit == u.dimensionless_unscaled:
                x = float(q.value)
            elif q.unit.is_equivalent(unit):
                x = float(q.to_value(unit))
            else:
                raise ValueError(f"{axis}: '{item}' is {q.unit.physical_type}, not a {kind}: {hint}")
        else:
            raise ValueError(f"{axis}: expected a {kind}: {hint} (got {item!r})")
        if not math.isfinite(x):
            raise ValueError(f"{axis}: expected a finite {kind} (got {item!r})")
        out.append(x)
    return out


def _vector(unit: str, kind: str, example: str, what: str):
    return Annotated[
        list[float],
        BeforeValidator(lambda v: _read_vector(v, unit, kind, example)),
        WithJsonSchema({
            "type": "array", "items": {"anyOf": [{"type": "number"}, {"type": "string"}]}, "minItems": 3,
            "maxItems": 3,
            "description": f"{what} [x, y, z] in the frame: each a number in {unit} or a string with a unit such as "
                           f"'{example}'.",
        }),
    ]


PositionKm = _vector("km", "length", "7000 km", "Position")
VelocityKmS = _vector("km/s", "speed", "7.5 km/s", "Velocity")


def _frame(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


Frame = Annotated[Literal["gcrs", "itrs", "teme", "eme2000", "j2000"], BeforeValidator(_frame)]


def _state_epoch(value: Any) -> str:
    from .units import EPOCH_YEARS, utc_time

    from astropy.time import Time

    text = Time(utc_time(value, "epoch"), precision=9).utc.isot
    first, last = EPOCH_YEARS
    if not first <= int(text[:4]) < last:
        raise ValueError(f"epoch {text[:10]} is outside the years {first} to {last - 1} this model serves")
    return text


StateEpoch = Annotated[
    str,
    BeforeValidator(_state_epoch),
    WithJsonSchema({"type": "string", "description": "When the state holds: ISO 8601, UTC unless an offset is given "
                                                     "(2026-11-01T00:00:00Z)."}),
]


class StateVector(_OrbitEntry):
    """One satellite from a position and velocity at an epoch, in the GCRS, ITRS, TEME or EME2000 (J2000) frame.

    The state's osculating elements are the satellite's mean elements at ``epoch``; at the scenario epoch its node,
    perigee and mean anomaly have moved by the secular rates of the propagator (J2, or two-body; J2 for any other
    propagator, which starts from those elements at the scenario epoch).
    """

    orbit: Literal["state_vector"] = "state_vector"
    name: Name
    propagator: Propagator | None = None
    epoch: StateEpoch
    frame: Frame
    position: PositionKm
    velocity: VelocityKmS

    def elements(self, epoch, propagator: str | None = None):
        from ..orbits.statevector import state_elements

        r, v = _state_in_gcrs(tuple(self.position), tuple(self.velocity), self.epoch, self.frame)
        model = propagator or self.propagator or "j2"
        return state_elements(r, v, self.epoch, epoch, j2=model != "twobody")

    def members(self, epoch, default_propagator: str = "j2", **kwargs) -> list:
        model = str(self.propagator or default_propagator)
        if model not in ("j2", "twobody"):
            return super().members(epoch, default_propagator, **kwargs)
        from ..orbits.fleet import Member

        return [Member(self.name, self.elements(epoch, model), model, group=self.name)]

    def _check(self) -> None:
        import numpy as np

        from ..frames import itrs_to_geodetic

        title = type(self).__name__
        height = float(itrs_to_geodetic(np.array(self.position))[2])
        if height < 0.0:
            raise invalid(title, [(("position",), f"the position is {-height:.1f} km under the Earth's surface "
                                   f"({np.linalg.norm(self.position):.1f} km from its centre)", None, {})])
        try:
            self.elements(self.epoch)
        except ValueError as exc:
            raise invalid(title, [(("velocity",), f"with this velocity {exc}", None, {})]) from None


@lru_cache(maxsize=256)
def _state_in_gcrs(position: tuple, velocity: tuple, epoch: str, frame: str):
    """A state's GCRS position and velocity, kept: validation and every fleet built from the scenario ask again."""
    from astropy.time import Time

    from ..orbits.statevector import to_gcrs

    r, v = to_gcrs(position, velocity, Time(epoch, scale="utc"), frame)
    return r[0], v[0]


class OEMFile(_OrbitEntry):
    """One satellite from a CCSDS Orbit Ephemeris Message (KVN or XML), interpolated from its states.

    ``file`` is relative to the scenario file's folder (or the script's). The satellite takes ``name``, or the OEM's
    OBJECT_NAME. The OEM must cover the whole run.
    """

    orbit: Literal["oem"] = "oem"
    name: Name | None = None
    propagator: Literal["tabulated"] | None = None
    file: str

    @field_validator("file")
    @classmethod
    def _resolve(cls, value: str | None, info: ValidationInfo) -> str | None:
        return TLESet._resolve(value, info)

    def trajectories(self) -> list:
        """The OEM's trajectories (``constellation.orbits.oem.OEMTrajectory``), one per stretch of joined
        segments."""
        stat = Path(self.file).stat()
        return _oem_cached(self.file, stat.st_mtime_ns, stat.st_size)

    def member_names(self) -> list[str]:
        return [self.name]

    def members(self, epoch, default_propagator: str = "j2", **kwargs) -> list:
        from astropy.time import Time

        from ..orbits.fleet import Member

        epoch = Time(epoch, scale="utc")
        stretches = self.trajectories()
        chosen = next((s for s in stretches if s.coverage[0] <= (epoch - s.epoch).sec <= s.coverage[1]),
                      stretches[0])
        return [Member(self.name, chosen, "tabulated", group=self.name)]

    def uncovered(self, epoch, duration_s: float) -> str | None:
        """Why the OEM does not cover the run from ``epoch`` (astropy Time) for ``duration_s``, or None."""
        from ..orbits.tabulated import EDGE_TOLERANCE_S

        stretches = self.trajectories()
        for s in stretches:
            start = (epoch - s.epoch).sec
            if s.coverage[0] - EDGE_TOLERANCE_S <= start and start + duration_s <= s.coverage[1] + EDGE_TOLERANCE_S:
                return None
        import astropy.units as u

        spans = " and ".join(" to ".join(s.span()) for s in stretches)
        end = (epoch + duration_s * u.s).utc.isot[:19]
        return (f"the OEM covers {spans}; the run needs {epoch.utc.isot[:19]} to {end}"
                + (" in one stretch" if len(stretches) > 1 else ""))

    def _check(self) -> None:
        from ..orbits.oem import OEMError

        stretches = _read_checked(type(self).__name__, "OEM", "file", self.file, lambda _: self.trajectories(),
                                  OEMError)
        if self.name is None:
            self.name = stretches[0].name


@lru_cache(maxsize=32)
def _oem_cached(path: str, mtime_ns: int, size: int) -> tuple:
    """An OEM file's trajectories, read once for each version of the file."""
    from ..orbits.oem import load_oem

    return tuple(load_oem(path))


def uncovered_runs(satellites: list, epoch, duration_s: float) -> list[tuple[tuple, str, Any, dict]]:
    """The errors (at ``satellites[k].file``) of every OEM entry that does not cover the run."""
    errors = []
    for k, entry in enumerate(satellites):
        why = entry.uncovered(epoch, duration_s) if isinstance(entry, OEMFile) else None
        if why:
            errors.append((("satellites", k, "file"), why, entry.file, {}))
    return errors

Orbit = Annotated[
    Union[Classical, Circular, SunSynchronous, Walker, Swarm, Geostationary, TLESet, OMMSet, StateVector, OEMFile],
    Field(discriminator="orbit"),
]
"""One entry of ``Scenario.satellites``, told apart by its ``orbit`` key."""

ORBIT_KINDS: dict[str, type[_OrbitEntry]] = {
    cls.model_fields["orbit"].default: cls
    for cls in (Classical, Circular, SunSynchronous, Walker, Swarm, Geostationary, TLESet, OMMSet, StateVector, OEMFile)
}
"""Each orbit entry class by its ``orbit`` key."""


"""The orbit entries of ``satellites``: one satellite, a Walker shell, a swarm, a GEO satellite or a TLE set."""

from __future__ import annotations

import contextvars
from pathlib import Path
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .base import MAX_TLE_FILE_BYTES, Model, invalid, read_text_limited
from .units import Deg, Hours, Inclination, Km, Longitude, Name, Propagator, Spacing

SCRIPT_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar("scenario_base_dir", default=None)
"""The folder of the scenario script being run: relative TLE files are read from there (set by ``load_scenario``)."""

_CHECK_EPOCH = "2000-01-01T12:00:00"


class _OrbitEntry(Model):
    """One entry of ``satellites``: a satellite or a group that expands into many."""

    _blamed: ClassVar[str | None] = None

    def member_names(self) -> list[str]:
        """Names of the satellites this entry makes, in the order of its element rows."""
        return [self.name]

    def members(self, epoch, default_propagator: str = "j2") -> list:
        """The fleet ``Member`` of every satellite this entry makes, from its ``elements(epoch)``."""
        from ..orbits.fleet import Member

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


Orbit = Annotated[
    Union[Classical, Circular, SunSynchronous, Walker, Swarm, Geostationary, TLESet], Field(discriminator="orbit")
]
"""One entry of ``Scenario.satellites``, told apart by its ``orbit`` key."""

ORBIT_KINDS: dict[str, type[_OrbitEntry]] = {
    cls.model_fields["orbit"].default: cls
    for cls in (Classical, Circular, SunSynchronous, Walker, Swarm, Geostationary, TLESet)
}
"""Each orbit entry class by its ``orbit`` key."""


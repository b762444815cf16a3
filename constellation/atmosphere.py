"""Atmospheric attenuation on an Earth-space path: ITU-R rain, gases, clouds and scintillation through ``itur``.

``itur`` (and its data files) is imported on the first table made, never on import of this module. One station's
attenuation for one link depends only on elevation, so it is computed once over an elevation grid
(``elevation_grid``) and interpolated; ``AttenuationTable`` holds it and ``Atmosphere.table`` keeps one per
(frequency, station).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

COMPONENTS = ("rain", "gas", "cloud", "scintillation")
"""What the attenuation may include: rain (P.618), gases (P.676), clouds (P.840), scintillation (P.618)."""

FREQUENCY_RANGE_HZ = (1e9, 55e9)
"""Frequencies the ITU-R P.618 slant-path method serves (rain attenuation up to 55 GHz, P.838 from 1 GHz)."""

EXCEEDANCE_RANGE_PERCENT = (0.001, 5.0)
"""Percentages of an average year the P.618 rain method serves."""

EXCEEDANCE_RANGE_WITHOUT_RAIN_PERCENT = (0.001, 50.0)
"""Percentages of an average year the gas, cloud and scintillation methods serve (P.618 section 2.5)."""

MIN_ELEVATION_DEG = 5.0
"""Lowest elevation of the ITU-R slant-path methods (P.618, P.676 Annex 2, P.840 go as 1 / sin(elevation)); the
attenuation below it is the one at 5 deg."""

RAIN_SWITCH_DEG = 25.0
"""Elevation at which P.618's rain extrapolation to other percentages changes form (step 10, |latitude| < 36 deg):
the attenuation jumps there, so the grid has a node on each side."""

GRID_STEP_DEG = 0.5
GRID_RELATIVE_STEP = 0.02
ZENITH_STEP = 0.05
ZENITH_SPAN = 3.0


def elevation_grid(lowest_deg: float) -> np.ndarray:
    """Elevations (deg) a table is computed at, from ``lowest_deg`` (at least 5) to 90.

    Every 0.5 deg, closer at low elevation (2 % of the elevation: the attenuation goes as 1 / sin), on both sides
    of ``RAIN_SWITCH_DEG``, and from 81 deg up evenly in sqrt(90 - elevation) (steps of 0.05 sqrt(deg)): P.618's rain
    attenuation has a square-root cusp at the zenith.
    """
    e = max(float(lowest_deg), MIN_ELEVATION_DEG)
    nodes = [e]
    while nodes[-1] < 90.0 - GRID_STEP_DEG:
        nodes.append(nodes[-1] + min(GRID_STEP_DEG, GRID_RELATIVE_STEP * nodes[-1]))
    zenith = 90.0 - np.arange(0.0, ZENITH_SPAN + ZENITH_STEP / 2, ZENITH_STEP) ** 2
    x = np.concatenate([nodes, zenith, [RAIN_SWITCH_DEG, RAIN_SWITCH_DEG + 1e-6, 90.0]])
    return np.unique(x[x >= e])


def _zenith_distance(elevation_deg) -> np.ndarray:
    """-sqrt(90 - elevation): what tables interpolate linearly in, rising with elevation."""
    return -np.sqrt(np.maximum(90.0 - np.asarray(elevation_deg, dtype=float), 0.0))


def _number(name: str, value, low: float, high: float, *, low_open: bool = False) -> float:
    if isinstance(value, bool):
        raise ValueError(f"atmosphere: {name} must be a number (got {value!r})")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"atmosphere: {name} must be a number (got {value!r})") from None
    if not (low < x <= high if low_open else low <= x <= high):
        bounds = f"{'(' if low_open else '['}{low:g}, {high:g}]"
        raise ValueError(f"atmosphere: {name} must be in {bounds} (got {x:g})")
    return x


def check_components(components) -> tuple[str, ...]:
    """``components`` as a tuple when each is one of ``COMPONENTS``, given once; ValueError saying why not."""
    if isinstance(components, str) or not hasattr(components, "__iter__"):
        raise ValueError(f"must be a list of {', '.join(COMPONENTS)} (got {components!r})")
    components = tuple(components)
    if not components:
        raise ValueError(f"must name at least one of {', '.join(COMPONENTS)}")
    unknown = [c for c in components if c not in COMPONENTS]
    if unknown:
        raise ValueError(f"has unknown {unknown[0]!r} (expected {', '.join(COMPONENTS)})")
    twice = sorted({c for c in components if components.count(c) > 1})
    if twice:
        raise ValueError(f"has {', '.join(twice)} twice")
    return components


def check_exceedance(percent: float, components) -> float:
    """``percent`` when the ITU-R methods of ``components`` serve it; ValueError saying the range otherwise."""
    rain = "rain" in components
    low, high = EXCEEDANCE_RANGE_PERCENT if rain else EXCEEDANCE_RANGE_WITHOUT_RAIN_PERCENT
    if not low <= percent <= high:
        which = "P.618's rain method" if rain else "the ITU-R gas, cloud and scintillation methods"
        raise ValueError(f"must be {low:g} % to {high:g} % of the year, the range {which} serves (got {percent:g} %)")
    return percent


@dataclass(frozen=True)
class Atmosphere:
    """ITU-R attenuation on a ground link, exceeded ``exceedance_percent`` of an average year.

    ``components`` are among ``COMPONENTS``, combined as P.618 section 2.5 does: A = A_gas + sqrt((A_rain +
    A_cloud)^2 + A_scintillation^2), gas and cloud taken at max(1 %, exceedance). Scintillation depends on the
    station antenna (``antenna_diameter_m``, ``antenna_efficiency``), rain on the polarisation tilt (45 deg for
    circular) and on the rain rate exceeded 0.01 % of the year (``rain_rate_mm_h``; P.837's map when None). Rain
    height (P.839), temperature, pressure, water vapour and cloud liquid content come from the ITU-R maps at the
    station.
    """

    exceedance_percent: float
    components: tuple[str, ...] = COMPONENTS
    antenna_diameter_m: float = 1.0
    antenna_efficiency: float = 0.5
    polarization_tilt_deg: float = 45.0
    rain_rate_mm_h: float | None = None

    def __post_init__(self):
        try:
            components = check_components(self.components)
        except ValueError as exc:
            raise ValueError(f"atmosphere: components {exc}") from None
        object.__setattr__(self, "components", tuple(c for c in COMPONENTS if c in components))
        p = _number("exceedance_percent", self.exceedance_percent, -math.inf, math.inf)
        try:
            check_exceedance(p, components)
        except ValueError as exc:
            raise ValueError(f"atmosphere: exceedance {exc}") from None
        object.__setattr__(self, "exceedance_percent", p)
        object.__setattr__(self, "antenna_diameter_m",
                           _number("antenna_diameter_m", self.antenna_diameter_m, 0.0, 1e3, low_open=True))
        object.__setattr__(self, "antenna_efficiency",
                           _number("antenna_efficiency", self.antenna_efficiency, 0.0, 1.0, low_open=True))
        object.__setattr__(self, "polarization_tilt_deg",
                           _number("polarization_tilt_deg", self.polarization_tilt_deg, -90.0, 90.0))
        if self.rain_rate_mm_h is not None:
            object.__setattr__(self, "rain_rate_mm_h",
                               _number("rain_rate_mm_h", self.rain_rate_mm_h, 0.0, 1e3, low_open=True))

    @classmethod
    def from_mapping(cls, fields: dict) -> Atmosphere:
        """An Atmosphere from a mapping of its fields; ValueError naming an unknown or missing one."""
        known = cls.__dataclass_fields__
        unknown = [k for k in fields if k not in known]
        if unknown:
            raise ValueError(f"atmosphere: unknown field {unknown[0]!r} (expected {', '.join(known)})")
        if "exceedance_percent" not in fields:
            raise ValueError("atmosphere: exceedance_percent is required")
        return cls(**fields)

    def check_frequency(self, frequency_hz: float) -> None:
        """ValueError unless ``frequency_hz`` is in ``FREQUENCY_RANGE_HZ``."""
        low, high = FREQUENCY_RANGE_HZ
        if not low <= frequency_hz <= high:
            raise ValueError(f"atmosphere: the ITU-R methods serve {low / 1e9:g} to {high / 1e9:g} GHz "
                             f"(frequency is {frequency_hz / 1e9:g} GHz)")

    def attenuation_db(self, frequency_hz: float, latitude_deg: float, longitude_deg: float, height_km: float,
                       elevation_deg) -> np.ndarray:
        """Attenuation (dB) straight from ``itur`` at each elevation (deg; below 5 deg, the value at 5 deg).

        ``height_km`` is the station's height above mean sea level, where the rain path begins.
        """
        self.check_frequency(frequency_hz)
        itur = _itur()
        el = np.maximum(np.asarray(elevation_deg, dtype=float), MIN_ELEVATION_DEG)
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            # P.676's approximation warns below 5 deg, and at 90 deg too: it tests elevation mod 90.
            warnings.filterwarnings("ignore", "The approximated method to compute the gaseous", RuntimeWarning)
            total = itur.atmospheric_attenuation_slant_path(
                float(latitude_deg), float(longitude_deg), frequency_hz / 1e9, el.ravel(), self.exceedance_percent,
                self.antenna_diameter_m, hs=float(height_km), R001=self.rain_rate_mm_h, eta=self.antenna_efficiency,
                tau=self.polarization_tilt_deg, include_rain="rain" in self.components,
                include_gas="gas" in self.components, include_clouds="cloud" in self.components,
                include_scintillation="scintillation" in self.components,
            )
        return np.asarray(getattr(total, "value", total), dtype=float).reshape(el.shape)

    def table(self, frequency_hz: float, station) -> AttenuationTable:
        """The attenuation at ``station`` (``lat_deg``, ``lon_deg``, ``height_km``, ``min_elevation_deg``) over
        ``elevation_grid(mask)``; made once per atmosphere, frequency and station."""
        return _table(self, float(frequency_hz), float(station.lat_deg), float(station.lon_deg),
                      float(station.height_km), float(station.min_elevation_deg))

    def describe(self) -> str:
        """One line for people, e.g. 'ITU-R rain, gas exceeded 0.1 % of the year'."""
        return f"ITU-R {', '.join(self.components)} exceeded {self.exceedance_percent:g} % of the year"


@dataclass(frozen=True, eq=False)
class AttenuationTable:
    """Attenuation (dB) at one station for one link over elevation (deg, ascending).

    Interpolated linearly in -sqrt(90 - elevation), which follows the zenith cusp of P.618's rain attenuation; below
    the first node (the station's mask or 5 deg, whichever is higher) the first value holds.
    """

    elevation_deg: np.ndarray
    attenuation_db: np.ndarray

    def __post_init__(self):
        worst = np.maximum.accumulate(self.attenuation_db[::-1])[::-1]
        object.__setattr__(self, "_x", _zenith_distance(self.elevation_deg))
        object.__setattr__(self, "_worst", worst)
        for x in (self.elevation_deg, self.attenuation_db, self._x, worst):
            x.flags.writeable = False

    def __call__(self, elevation_deg) -> np.ndarray:
        """Attenuation (dB) at each elevation."""
        return np.interp(_zenith_distance(elevation_deg), self._x, self.attenuation_db)

    def worst_above(self, elevation_deg) -> np.ndarray:
        """The greatest attenuation (dB) at each elevation or any higher one: what a pass that never goes lower can
        count on (P.618's rain attenuation is not monotone near the zenith)."""
        e = np.asarray(elevation_deg, dtype=float)
        nxt = np.minimum(np.searchsorted(self.elevation_deg, e, side="right"), len(self.elevation_deg) - 1)
        return np.maximum(self(e), self._worst[nxt])


@lru_cache(maxsize=512)
def _table(atmosphere: Atmosphere, frequency_hz: float, lat: float, lon: float, height_km: float,
           mask_deg: float) -> AttenuationTable:
    grid = elevation_grid(mask_deg)
    return AttenuationTable(grid, atmosphere.attenuation_db(frequency_hz, lat, lon, height_km, grid))


@lru_cache(maxsize=1)
def _itur():
    """The ``itur`` package, imported once; its import switches off numpy's divide-by-zero warnings for the whole
    process, which is undone."""
    saved = np.geterr()
    try:
        import itur
    finally:
        np.seterr(**saved)
    return itur

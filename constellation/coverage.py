"""Coverage of a region by a constellation: an equal-area grid of cells and figures of merit per cell and region.

Three table-to-table steps, each a pure function of the tables before it:

- ``grid(region, spacing)``: the cells, with their centre, bounds and area on the WGS84 ellipsoid;
- ``cell_accesses(fleet, cells, ...)``: every (cell, satellite, start, end) in which the sensor sees the cell's
  centre, from ``access.target_windows`` (an off-nadir limit, optionally sunlit) or ``access.contact_windows``
  (a minimum elevation);
- ``cell_figures(accesses, cells, ...)`` per cell, then ``region_figures(cells)`` over the region.

``coverage`` runs the accesses and the cells' figures chunk by chunk (one chunk of cells per task), in this process
or on Dask, then the region's, and returns a ``Coverage``.

Over the span [T0, T1] of length T, a cell is covered while at least one satellite sees it:

- ``percent_covered``: the time covered (the union over satellites) as a percentage of T;
- gaps are the intervals of [T0, T1] not covered, including those at either end, measured only up to T0 and T1
  (STK's "optimistic" end gaps); a cell never covered has one gap of length T, a cell always covered none;
- ``revisit_*``: the mean, longest and percentiles (linear interpolation over the gaps by count, as
  ``numpy.percentile``) of the gap durations, 0 with no gap;
- ``response_mean_s``: the mean, over a request time drawn uniformly in [T0, T1], of the wait until the next
  coverage starts (0 while covered): sum(g^2) / (2 T) over the gaps g, a request in the last gap waiting until T1
  (STK's and TAT-C's time-averaged response time); ``response_max_s`` is the longest wait, the longest gap;
- ``in_view_*``: the number of satellites that see the cell, exact from the accesses: its time average and its
  least and greatest value over [T0, T1]; ``in_view_series`` samples it (access intervals closed at both ends).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from .constants import F_EARTH, R_EARTH

__all__ = [
    "ACCESS_COLUMNS", "FIGURE_COLUMNS", "GRID_COLUMNS", "PERCENTILES", "Coverage", "CoverageError", "Region",
    "Sensor", "cell_accesses", "cell_figures", "coverage", "expected_accesses", "figure_names", "grid",
    "in_view_series", "map_figure", "parse_region", "region_figures", "save_map", "spacing_deg", "summary_rows",
    "zone_area_km2",
]

GRID_COLUMNS = ["cell", "lat_deg", "lon_deg", "lat_min_deg", "lat_max_deg", "lon_min_deg", "lon_max_deg", "area_km2"]
ACCESS_COLUMNS = ["cell", "satellite", "start_s", "end_s", "duration_s"]
PERCENTILES = (50.0, 90.0, 95.0)
FIGURE_COLUMNS = [
    "accesses", "percent_covered", "gaps", "revisit_mean_s", "revisit_max_s", "response_mean_s", "response_max_s",
    "in_view_mean", "in_view_max", "in_view_min",
]
"""Figures of every cell; ``revisit_pNN_s`` columns follow ``revisit_max_s``, one per percentile asked for."""

CELL_BYTES = 512
"""Memory per cell of the grid and its figures, with the temporaries of building them (an upper estimate)."""
ACCESS_BYTES = 64
"""Memory per access kept in memory, with the temporaries of joining the chunks' tables."""
SERIES_BYTES = 24
"""Memory per sample of the satellites-in-view series kept in memory."""
WINDOWS_PER_CHUNK = 400_000
"""Accesses a chunk of cells is sized for (about 0.5 GB of working memory in ``access.target_windows``)."""
MAX_CHUNK_CELLS = 4000
MEMORY_SHARE = 0.8
"""Share of the memory available now that a coverage run may plan to use."""

_E2 = F_EARTH * (2.0 - F_EARTH)
_E = math.sqrt(_E2)


class CoverageError(ValueError):
    """Bad input to a coverage run: the message starts with the field it concerns."""


def _q(lat_deg):
    """The authalic function q(phi) of the WGS84 ellipsoid: a zone's area is a^2 dlon (q1 - q0) / 2."""
    s = np.sin(np.radians(lat_deg))
    return (1.0 - _E2) * (s / (1.0 - _E2 * s * s) - np.log((1.0 - _E * s) / (1.0 + _E * s)) / (2.0 * _E))


def zone_area_km2(lat0_deg, lat1_deg, dlon_deg):
    """Area (km^2) on the WGS84 ellipsoid between two parallels over ``dlon_deg`` of longitude."""
    return R_EARTH**2 * np.radians(dlon_deg) * (_q(lat1_deg) - _q(lat0_deg)) / 2.0


# ---------------------------------------------------------------------------------------------------------- region

@dataclass(frozen=True)
class Region:
    """A region to grid: a latitude-longitude box (``lon_max`` up to 360 for one across the antimeridian), the
    whole globe, or polygons in longitude-latitude (each a list of rings, the first the outline, the rest holes)."""

    kind: str
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float
    label: str
    polygons: tuple = dataclass_field(default=(), repr=False, compare=False)

    def contains(self, lat, lon) -> np.ndarray:
        """Whether points lie inside: in the box, or inside an outline of a polygon and none of its holes."""
        lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
        if self.kind != "polygon":
            return np.ones(lat.shape, dtype=bool)
        from matplotlib.path import Path as MplPath

        xy = np.column_stack([lon.ravel(), lat.ravel()])
        inside = np.zeros(len(xy), dtype=bool)
        for rings in self.polygons:
            here = MplPath(rings[0]).contains_points(xy)
            for hole in rings[1:]:
                here &= ~MplPath(hole).contains_points(xy)
            inside |= here
        return inside.reshape(lat.shape)

    def bbox_area_km2(self) -> float:
        """Area of the latitude-longitude box (the grid is laid over it before a polygon keeps its cells)."""
        return float(zone_area_km2(self.lat_min, self.lat_max, self.lon_max - self.lon_min))


GLOBE = Region("globe", -90.0, 90.0, -180.0, 180.0, "globe")
_REGION_HINT = "give box:LAT0,LON0,LAT1,LON1 (deg), globe, a GeoJSON file or inline GeoJSON"


def parse_region(value, field: str = "region") -> Region:
    """A ``Region`` from ``"globe"``, ``"box:LAT0,LON0,LAT1,LON1"`` (deg), a GeoJSON file, GeoJSON text or a
    GeoJSON mapping (Polygon, MultiPolygon, Feature or FeatureCollection of them), or (lat0, lon0, lat1, lon1).

    A box's latitudes may come in either order; a box whose LON1 is below LON0 runs east across the antimeridian.
    Polygons follow RFC 7946: positions are [lon, lat], rings are closed, and one that crosses the antimeridian is
    split there. A ring that is not closed, has fewer than 3 distinct points or crosses itself is refused.
    """
    if isinstance(value, Region):
        return value
    if isinstance(value, dict):
        return _polygon_region(value, field, "GeoJSON")
    if isinstance(value, (tuple, list)) and len(value) == 4:
        return _box(list(value), field, f"box {tuple(value)}")
    if isinstance(value, Path):
        return _geojson_file(value, field)
    if not isinstance(value, str):
        raise CoverageError(f"{field}: cannot read {value!r} as a region: {_REGION_HINT}")
    text = value.strip()
    if text.lower() == "globe":
        return GLOBE
    if text.lower().startswith("box:"):
        parts = text[4:].split(",")
        if len(parts) != 4:
            raise CoverageError(f"{field}: {text!r} needs four numbers, box:LAT0,LON0,LAT1,LON1 (deg)")
        try:
            numbers = [float(p) for p in parts]
        except ValueError:
            raise CoverageError(f"{field}: {text!r} needs four numbers, box:LAT0,LON0,LAT1,LON1 (deg)") from None
        return _box(numbers, field, text)
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CoverageError(f"{field}: the inline GeoJSON is not valid JSON ({exc.msg} at character "
                                f"{exc.pos})") from None
        return _polygon_region(data, field, "inline GeoJSON")
    path = Path(text)
    if path.suffix.lower() in (".geojson", ".json") or path.exists():
        return _geojson_file(path, field)
    raise CoverageError(f"{field}: cannot read {text!r} as a region: {_REGION_HINT}")


def _box(numbers: list, field: str, label: str) -> Region:
    lat0, lon0, lat1, lon1 = numbers
    if not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in numbers):
        raise CoverageError(f"{field}: the box's corners must be finite numbers (got {numbers})")
    lat_min, lat_max = sorted((float(lat0), float(lat1)))
    if not -90.0 <= lat_min < lat_max <= 90.0:
        raise CoverageError(f"{field}: the box's latitudes must be two different values in [-90, 90] deg "
                            f"(got {lat0:g} and {lat1:g})")
    if not (-180.0 <= lon0 <= 180.0 and -180.0 <= lon1 <= 180.0) or lon0 == lon1:
        raise CoverageError(f"{field}: the box's longitudes must be two different values in [-180, 180] deg "
                            f"(got {lon0:g} and {lon1:g})")
    lon_max = lon1 if lon1 > lon0 else lon1 + 360.0
    return Region("box", lat_min, lat_max, float(lon0), float(lon_max), label)


def _geojson_file(path: Path, field: str) -> Region:
    if not path.is_file():
        raise CoverageError(f"{field}: no such file: {path} ({_REGION_HINT})")
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise CoverageError(f"{field}: cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CoverageError(f"{field}: {path} is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return _polygon_region(data, field, path.name)


def _geometries(obj, field: str) -> list:
    """The polygons (lists of rings as given) in a GeoJSON object."""
    if not isinstance(obj, dict) or "type" not in obj:
        raise CoverageError(f"{field}: expected a GeoJSON object with a 'type' (got {type(obj).__name__})")
    kind = obj["type"]
    if kind == "FeatureCollection":
        return [p for f in obj.get("features") or [] for p in _geometries(f, field)]
    if kind == "Feature":
        return _geometries(obj.get("geometry"), field)
    if kind == "GeometryCollection":
        return [p for g in obj.get("geometries") or [] for p in _geometries(g, field)]
    if kind == "Polygon":
        return [obj.get("coordinates")]
    if kind == "MultiPolygon":
        return list(obj.get("coordinates") or [])
    raise CoverageError(f"{field}: a GeoJSON {kind} has no area: give a Polygon or a MultiPolygon")


def _polygon_region(obj, field: str, label: str) -> Region:
    polygons = []
    for n, rings in enumerate(_geometries(obj, field), start=1):
        if not isinstance(rings, list) or not rings:
            raise CoverageError(f"{field}: polygon {n} has no rings")
        polygons.append(tuple(_ring(ring, f"{field}: polygon {n}, ring {k}{' (outline)' if k == 1 else ''}")
                              for k, ring in enumerate(rings, start=1)))
    if not polygons:
        raise CoverageError(f"{field}: the GeoJSON holds no polygon")
    pts = np.concatenate([p[0] for p in polygons])
    return Region("polygon", float(pts[:, 1].min()), float(pts[:, 1].max()), float(pts[:, 0].min()),
                  float(pts[:, 0].max()), label, tuple(polygons))


def _ring(coords, where: str) -> np.ndarray:
    """A ring's positions (n, 2) lon-lat, closed, checked; consecutive repeats dropped."""
    try:
        xy = np.array([[float(p[0]), float(p[1])] for p in coords], dtype=float)
    except (TypeError, ValueError, IndexError):
        raise CoverageError(f"{where}: positions must be [lon, lat] pairs of numbers") from None
    if len(xy) == 0:
        raise CoverageError(f"{where} is empty")
    if not np.all(np.isfinite(xy)):
        raise CoverageError(f"{where}: positions must be finite numbers")
    bad = np.nonzero((np.abs(xy[:, 0]) > 180.0) | (np.abs(xy[:, 1]) > 90.0))[0]
    if len(bad):
        lon, lat = xy[bad[0]]
        raise CoverageError(f"{where}: position {bad[0] + 1} ({lon:g}, {lat:g}) is outside lon [-180, 180], "
                            "lat [-90, 90] deg (GeoJSON positions are [lon, lat])")
    if not np.array_equal(xy[0], xy[-1]):
        raise CoverageError(f"{where} is not closed: its last position ({xy[-1, 0]:g}, {xy[-1, 1]:g}) must repeat "
                            f"its first ({xy[0, 0]:g}, {xy[0, 1]:g})")
    distinct = len(np.unique(xy[:-1], axis=0))
    if distinct < 3:
        raise CoverageError(f"{where} has {distinct} distinct position{'s' if distinct != 1 else ''}; a ring needs "
                            "at least 3")
    keep = np.concatenate([[True], np.any(xy[1:] != xy[:-1], axis=1)])
    xy = xy[keep]
    crossing = _self_crossing(xy)
    if crossing is not None:
        i, j = crossing
        raise CoverageError(f"{where} crosses itself: the edge from ({xy[i, 0]:g}, {xy[i, 1]:g}) to "
                            f"({xy[i + 1, 0]:g}, {xy[i + 1, 1]:g}) meets the edge from ({xy[j, 0]:g}, {xy[j, 1]:g}) "
                            f"to ({xy[j + 1, 0]:g}, {xy[j + 1, 1]:g})")
    return xy


def _self_crossing(xy: np.ndarray, block: int = 2_000_000):
    """(i, j) of the first two edges of a closed ring that meet other than at the vertex two neighbours share
    (a touch or a fold back counts), or None. Edges in plane lon-lat coordinates, as GeoJSON draws them."""
    p, d = xy[:-1], xy[1:] - xy[:-1]
    n = len(p)

    def cross(a, b):
        return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]

    nxt = np.roll(np.arange(n), -1)
    fold = (cross(d, d[nxt]) == 0) & (np.sum(d * d[nxt], axis=1) < 0)
    if np.any(fold):
        i = int(np.nonzero(fold)[0][0])
        return (i, int(nxt[i])) if i < nxt[i] else (int(nxt[i]), i)
    rows = max(1, block // max(n, 1))
    for lo in range(0, n, rows):
        i = np.arange(lo, min(n, lo + rows))[:, None]
        j = np.arange(n)[None, :]
        cand = (j > i + 1) & ~((i == 0) & (j == n - 1))
        pi, di, pj, dj = p[i[:, 0]][:, None], d[i[:, 0]][:, None], p[None, :], d[None, :]
        d1 = cross(dj, pi - pj)
        d2 = cross(dj, pi + di - pj)
        d3 = cross(di, pj - pi)
        d4 = cross(di, pj + dj - pi)
        meet = (d1 * d2 <= 0) & (d3 * d4 <= 0)
        collinear = (d1 == 0) & (d2 == 0)
        if np.any(collinear & cand):
            lo_i, hi_i = np.minimum(pi, pi + di), np.maximum(pi, pi + di)
            lo_j, hi_j = np.minimum(pj, pj + dj), np.maximum(pj, pj + dj)
            overlap = np.all((lo_i <= hi_j) & (lo_j <= hi_i), axis=-1)
            meet &= ~collinear | overlap
        hit = np.nonzero(meet & cand)
        if len(hit[0]):
            return int(i[hit[0][0], 0]), int(hit[1][0])
    return None


# ---------------------------------------------------------------------------------------------------------- grid

def _angle(value, field: str) -> float:
    """A finite angle in deg from a number (deg), a string with a unit or a Quantity."""
    from pydantic import TypeAdapter, ValidationError

    from .scenario import Deg

    try:
        return float(TypeAdapter(Deg).validate_python(value))
    except ValidationError as exc:
        err = exc.errors()[0]
        message = str(err.get("ctx", {}).get("error", err["msg"]))
        raise CoverageError(f"{field}: {message}") from None


def spacing_deg(value, field: str = "spacing") -> float:
    """The grid spacing in deg, from an angle (a number in deg, '1 deg', '30 arcmin') or a length along the ground
    ('100 km', taken on the equatorial radius); in (0, 90] deg."""
    import astropy.units as u

    try:
        q = u.Quantity(value) if isinstance(value, str) or hasattr(value, "unit") else None
    except (TypeError, ValueError):
        q = None
    if q is not None and q.isscalar and q.unit.is_equivalent(u.km):
        km = float(q.to_value(u.km))
        d = math.degrees(km / R_EARTH) if math.isfinite(km) else km
        shown = f"{value}"
    else:
        d = _angle(value, field)
        shown = f"{d:g} deg"
    if not (math.isfinite(d) and d > 0.0):
        raise CoverageError(f"{field}: must be a finite angle or length above 0 (got {shown})")
    if d > 90.0:
        raise CoverageError(f"{field}: at most 90 deg (got {shown})")
    return d


def estimate_cells(region: Region, spacing: float) -> float:
    """About how many cells ``grid`` lays over the region's box at ``spacing`` deg (before a polygon keeps some)."""
    return region.bbox_area_km2() / float(zone_area_km2(-spacing / 2.0, spacing / 2.0, spacing))


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:.0f} B"


def available_bytes() -> float:
    """Memory a coverage run may plan on: a share of what the machine has available now."""
    import psutil

    return MEMORY_SHARE * psutil.virtual_memory().available


def _check_size(need: float, what: str, region: Region, spacing: float, n_cells: float, field: str,
                hint: str = "") -> None:
    have = available_bytes()
    if need > have:
        raise CoverageError(
            f"{field}: {spacing:g} deg over {region.label} gives about {n_cells:,.0f} cells, about {_bytes(need)} "
            f"for {what}; {_bytes(have)} of memory can be used here. Use a coarser spacing or a smaller region{hint}")


def _check_grid_size(region: Region, spacing: float, field: str) -> None:
    n = estimate_cells(region, spacing)
    _check_size(n * CELL_BYTES, "the grid and its figures", region, spacing, n, field)


def grid(region, spacing, *, field: str = "spacing") -> pd.DataFrame:
    """The equal-area cells of a region at ``spacing`` (deg, or any form ``spacing_deg`` reads), as a DataFrame.

    Rows of equal latitude step (the box's height divided into whole rows about ``spacing`` high); each row is
    divided into n equal cells, n the number of equatorial cells ``spacing`` wide and as high as the row that
    its area holds, rounded, at least one (n proportional to cos(lat), on the ellipsoid). The rounding keeps a
    cell's area within 1 / (2 n) of the equatorial cell's: on the globe at 1 deg, 1 % below 80 deg of latitude,
    6 % in the rows at the poles (about pi cells' worth cut into 3). Areas are exact on the WGS84 ellipsoid, and a
    box's cells add up to its area.
    A polygon keeps the cells of its box whose centres lie inside it.
    Refused, naming ``field``, when the grid would not fit in memory.
    """
    region = parse_region(region)
    d = spacing_deg(spacing, field)
    _check_grid_size(region, d, field)
    return _grid(region, d)


def _grid(region: Region, d: float) -> pd.DataFrame:
    n_rows = max(1, int(round((region.lat_max - region.lat_min) / d)))
    edges = np.linspace(region.lat_min, region.lat_max, n_rows + 1)
    width = region.lon_max - region.lon_min
    h = edges[1] - edges[0]
    row_area = zone_area_km2(edges[:-1], edges[1:], width)
    n_lon = np.maximum(1, np.rint(row_area / zone_area_km2(-h / 2.0, h / 2.0, d))).astype(np.int64)
    rows = np.repeat(np.arange(n_rows), n_lon)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(n_lon) - n_lon, n_lon)
    step = width / n_lon[rows]
    lon_min = region.lon_min + k * step
    lon_max = np.where(k + 1 == n_lon[rows], region.lon_max, lon_min + step)
    lat = 0.5 * (edges[rows] + edges[rows + 1])
    lon = (0.5 * (lon_min + lon_max) + 180.0) % 360.0 - 180.0
    cells = pd.DataFrame({
        "lat_deg": lat, "lon_deg": lon, "lat_min_deg": edges[rows], "lat_max_deg": edges[rows + 1],
        "lon_min_deg": lon_min, "lon_max_deg": lon_max, "area_km2": (row_area / n_lon)[rows],
    })
    if region.kind == "polygon":
        cells = cells[region.contains(lat, lon)]
        if cells.empty:
            raise CoverageError(f"region: no cell centre at {d:g} deg spacing falls inside {region.label}; use a "
                                "finer spacing")
    cells.insert(0, "cell", np.arange(len(cells), dtype=np.int64))
    return cells.reset_index(drop=True)


# -------------------------------------------------------------------------------------------------------- sensor

@dataclass(frozen=True)
class Sensor:
    """What sees a cell: an off-nadir limit or a minimum elevation at the cell, optionally with the Sun above
    ``min_sun_elevation_deg`` there (off-nadir only)."""

    max_off_nadir_deg: float | None = None
    min_elevation_deg: float | None = None
    min_sun_elevation_deg: float | None = None

    def __post_init__(self):
        if (self.max_off_nadir_deg is None) == (self.min_elevation_deg is None):
            raise CoverageError("sensor: give an off-nadir limit or a minimum elevation, one of the two")
        if self.max_off_nadir_deg is not None and not 0.0 < self.max_off_nadir_deg < 90.0:
            raise CoverageError(f"off_nadir: must be in (0, 90) deg (got {self.max_off_nadir_deg:g} deg)")
        if self.min_elevation_deg is not None and not 0.0 <= self.min_elevation_deg < 90.0:
            raise CoverageError(f"min_elevation: must be in [0, 90) deg (got {self.min_elevation_deg:g} deg)")
        if self.min_sun_elevation_deg is not None:
            if not -90.0 <= self.min_sun_elevation_deg <= 90.0:
                raise CoverageError(f"sunlit: the Sun's elevation must be in [-90, 90] deg "
                                    f"(got {self.min_sun_elevation_deg:g} deg)")
            if self.min_elevation_deg is not None:
                raise CoverageError("sunlit: works with an off-nadir limit only, not with a minimum elevation")

    @property
    def label(self) -> str:
        text = (f"off-nadir <= {self.max_off_nadir_deg:g} deg" if self.max_off_nadir_deg is not None
                else f"elevation >= {self.min_elevation_deg:g} deg")
        if self.min_sun_elevation_deg is not None:
            text += f", Sun above {self.min_sun_elevation_deg:g} deg"
        return text

    def reach_rad(self, radius_km: np.ndarray) -> np.ndarray:
        """Earth central angle (rad, on a sphere of the equatorial radius) from a satellite at ``radius_km`` to
        the edge of what the sensor sees."""
        horizon = np.arccos(np.minimum(1.0, R_EARTH / radius_km))
        if self.max_off_nadir_deg is not None:
            eta = np.radians(self.max_off_nadir_deg)
            s = radius_km / R_EARTH * np.sin(eta)
            return np.where(s < 1.0, np.arcsin(np.minimum(s, 1.0)) - eta, horizon)
        el = np.radians(self.min_elevation_deg)
        return np.arccos(np.minimum(1.0, R_EARTH * np.cos(el) / radius_km)) - el


def expected_accesses(fleet, sensor: Sensor, span_s: float, lat_deg) -> np.ndarray:
    """About how many accesses a cell at each latitude gets over the span: what chunks and memory are sized by,
    not a bound.

    A satellite whose sensor reaches lambda (central angle) sweeps a share lambda of the sphere per orbit, so a cell
    sees lambda (T / P + 1) passes on average. A circular orbit inclined i spends cos(phi) / (pi sqrt(sin^2 i -
    sin^2 phi)) of its time per radian of latitude at phi, which multiplies the passes at phi by 2 / (pi
    sqrt(sin^2 i - sin^2 phi)), the singularity at i spread over the reach, and none beyond i + lambda.
    """
    r, v = fleet.states(np.zeros(len(fleet)), np.arange(len(fleet)))
    h = np.cross(r, v)
    inc = np.arccos(np.clip(h[:, 2] / np.linalg.norm(h, axis=1), -1.0, 1.0))
    inc = np.minimum(inc, np.pi - inc)
    lam = np.minimum(sensor.reach_rad(fleet.semi_major_axes()), np.pi / 2)
    passes = lam * (span_s / fleet.periods() + 1.0)
    groups, counts = np.unique(np.round(np.column_stack([inc, lam, passes]), 6), axis=0, return_counts=True)
    lat = np.asarray(lat_deg, dtype=float)
    rows, where = np.unique(np.radians(np.abs(lat)), return_inverse=True)
    i, lam, passes = (groups[None, :, k] for k in range(3))
    floor = np.maximum(np.abs(np.sin(2 * i)) * lam, lam * lam)
    rho = 2.0 / (np.pi * np.sqrt(np.maximum(np.sin(i) ** 2 - np.sin(rows[:, None]) ** 2, floor)))
    per_row = np.sum(np.where(rows[:, None] <= i + lam, rho, 0.0) * passes * counts, axis=1)
    return per_row[where.reshape(lat.shape)]


def _chunks(expected: np.ndarray, budget: float, max_cells: int) -> list[tuple[int, int]]:
    """Consecutive cell ranges of about ``budget`` expected accesses each, at most ``max_cells`` cells."""
    cum = np.cumsum(expected)
    out, lo = [], 0
    while lo < len(expected):
        base = cum[lo - 1] if lo else 0.0
        hi = int(np.searchsorted(cum, base + budget, side="right"))
        hi = min(max(hi, lo + 1), lo + max_cells, len(expected))
        out.append((lo, hi))
        lo = hi
    return out


# ------------------------------------------------------------------------------------------------------ accesses

def cell_accesses(fleet, cells: pd.DataFrame, start_s: float, end_s: float, sensor: Sensor) -> pd.DataFrame:
    """Every interval (cell, satellite, start_s, end_s, duration_s) in which the sensor sees a cell's centre.

    The windows of ``access.target_windows`` (an off-nadir limit) or ``access.contact_windows`` (a minimum
    elevation) with the cells' centres, on the ellipsoid, as targets or stations; ordered by cell, start and
    satellite. ``satellite`` is categorical over the fleet's names.
    """
    from .access import Station, Target, contact_windows, target_windows

    lat = cells["lat_deg"].to_numpy(float)
    lon = cells["lon_deg"].to_numpy(float)
    if sensor.max_off_nadir_deg is not None:
        points = [Target(str(j), float(a), float(o)) for j, (a, o) in enumerate(zip(lat, lon))]
        df = target_windows(fleet, points, start_s, end_s, max_off_nadir_deg=sensor.max_off_nadir_deg,
                            min_sun_elevation_deg=sensor.min_sun_elevation_deg)
        local, t0, t1 = df["target"], df["start_s"], df["end_s"]
    else:
        points = [Station(str(j), float(a), float(o), 0.0, sensor.min_elevation_deg)
                  for j, (a, o) in enumerate(zip(lat, lon))]
        df = contact_windows(fleet, points, start_s, end_s)
        local, t0, t1 = df["station"], df["rise_s"], df["set_s"]
    ids = cells["cell"].to_numpy()
    out = pd.DataFrame({
        "cell": ids[local.astype(np.int64).to_numpy()] if len(df) else np.zeros(0, dtype=ids.dtype),
        "satellite": pd.Categorical(df["satellite"], categories=fleet.names),
        "start_s": t0.to_numpy(float),
        "end_s": t1.to_numpy(float),
    })
    out["duration_s"] = out["end_s"] - out["start_s"]
    order = np.lexsort((out["satellite"].cat.codes.to_numpy(), out["start_s"].to_numpy(), out["cell"].to_numpy()))
    return out.iloc[order].reset_index(drop=True)


# ------------------------------------------------------------------------------------------------------- figures

def _local_rows(accesses: pd.DataFrame, cells: pd.DataFrame):
    """Row in ``cells`` of each access, and the accesses' starts and ends, ordered by row and start."""
    pos = pd.Index(cells["cell"]).get_indexer(accesses["cell"])
    if np.any(pos < 0):
        raise CoverageError("accesses: some accesses are of cells not in the grid")
    s = accesses["start_s"].to_numpy(float)
    e = accesses["end_s"].to_numpy(float)
    order = np.lexsort((s, pos))
    return pos[order], s[order], e[order]


def _union(pos, s, e):
    """The union of the intervals of each row (``pos`` sorted, then ``s``): (row, start, end) disjoint, sorted."""
    if len(s) == 0:
        return pos, s, e
    reach = pd.Series(e).groupby(pos, sort=False).cummax().to_numpy()
    new = np.ones(len(s), dtype=bool)
    new[1:] = (pos[1:] != pos[:-1]) | (s[1:] > reach[:-1])
    first = np.nonzero(new)[0]
    return pos[first], s[first], np.maximum.reduceat(e, first)


def _gaps(u_pos, u_s, u_e, n: int, start_s: float, end_s: float):
    """(row, length) of every gap between and around each row's covered intervals, ordered by row and length."""
    same = u_pos[1:] == u_pos[:-1]
    head = np.ones(len(u_pos), dtype=bool)
    head[1:] = ~same
    tail = np.ones(len(u_pos), dtype=bool)
    tail[:-1] = ~same
    never = np.setdiff1d(np.arange(n), u_pos)
    pos = np.concatenate([u_pos[1:][same], u_pos[head], u_pos[tail], never])
    g = np.concatenate([u_s[1:][same] - u_e[:-1][same], u_s[head] - start_s, end_s - u_e[tail],
                        np.full(len(never), end_s - start_s)])
    keep = g > 0
    pos, g = pos[keep], g[keep]
    order = np.lexsort((g, pos))
    return pos[order], g[order]


def _percentiles(pos, values, n: int, qs) -> np.ndarray:
    """Per-row percentiles (n, len(qs)) of ``values`` grouped by ``pos`` (both sorted by row then value), linear
    interpolation as numpy's default; 0 for a row without values."""
    counts = np.bincount(pos, minlength=n)
    first = np.cumsum(counts) - counts
    out = np.zeros((n, len(qs)))
    has = counts > 0
    for k, q in enumerate(qs):
        x = (counts[has] - 1) * (q / 100.0)
        lo = np.floor(x).astype(np.int64)
        hi = np.minimum(lo + 1, counts[has] - 1)
        a, b = values[first[has] + lo], values[first[has] + hi]
        out[has, k] = a + (b - a) * (x - lo)
    return out


def _in_view_extremes(pos, s, e, n: int, full: np.ndarray):
    """Least and greatest number of intervals open at once over each row's span; ``full`` rows are covered
    throughout (elsewhere the least is 0). Counted between successive distinct event times."""
    if len(s) == 0:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    t = np.concatenate([s, e])
    p = np.concatenate([pos, pos])
    delta = np.concatenate([np.ones(len(s), np.int64), -np.ones(len(e), np.int64)])
    order = np.lexsort((t, p))
    t, p = t[order], p[order]
    level = np.cumsum(delta[order])
    last = np.concatenate([(p[1:] != p[:-1]) | (t[1:] != t[:-1]), [True]])
    lv, lp = level[last], p[last]
    inner = np.concatenate([lp[1:] == lp[:-1], [False]])
    hi = np.zeros(n, dtype=np.int64)
    np.maximum.at(hi, lp[inner], lv[inner])
    lo = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(lo, lp[inner], lv[inner])
    lo = np.where(full, lo, 0)
    return lo, hi


def cell_figures(accesses: pd.DataFrame, cells: pd.DataFrame, start_s: float, end_s: float,
                 percentiles: Sequence[float] = PERCENTILES) -> pd.DataFrame:
    """The cells with their figures of merit over [start_s, end_s] (see the module's definitions)."""
    n = len(cells)
    span = float(end_s - start_s)
    pos, s, e = _local_rows(accesses, cells)
    u_pos, u_s, u_e = _union(pos, s, e)
    covered = np.bincount(u_pos, weights=u_e - u_s, minlength=n)
    g_pos, g = _gaps(u_pos, u_s, u_e, n, start_s, end_s)
    n_gaps = np.bincount(g_pos, minlength=n)
    g_sum = np.bincount(g_pos, weights=g, minlength=n)
    g_max = np.zeros(n)
    np.maximum.at(g_max, g_pos, g)
    full = n_gaps == 0
    lo, hi = _in_view_extremes(pos, s, e, n, full)
    out = cells.reset_index(drop=True).copy()
    out["accesses"] = np.bincount(pos, minlength=n)
    out["percent_covered"] = 100.0 * covered / span
    out["gaps"] = n_gaps
    out["revisit_mean_s"] = np.divide(g_sum, n_gaps, out=np.zeros(n), where=n_gaps > 0)
    out["revisit_max_s"] = g_max
    for q, col in zip(percentiles, _percentiles(g_pos, g, n, percentiles).T):
        out[f"revisit_p{q:g}_s"] = col
    out["response_mean_s"] = np.bincount(g_pos, weights=g * g, minlength=n) / (2.0 * span)
    out["response_max_s"] = g_max
    out["in_view_mean"] = np.bincount(pos, weights=e - s, minlength=n) / span
    out["in_view_max"] = hi
    out["in_view_min"] = lo
    return out


def in_view_series(accesses: pd.DataFrame, cells: pd.DataFrame, times) -> pd.DataFrame:
    """Satellites in view of each cell at ``times``: (cell, t_s, in_view), cell by cell; an access counts at its
    start and end times."""
    times = np.asarray(times, dtype=float)
    n, m = len(cells), len(times)
    pos, s, e = _local_rows(accesses, cells)
    q_pos = np.repeat(np.arange(n), m)
    p = np.concatenate([pos, pos, q_pos])
    t = np.concatenate([s, e, np.tile(times, n)])
    kind = np.concatenate([np.zeros(len(s), np.int8), np.full(len(e), 2, np.int8), np.ones(n * m, np.int8)])
    delta = np.concatenate([np.ones(len(s), np.int64), -np.ones(len(e), np.int64), np.zeros(n * m, np.int64)])
    order = np.lexsort((kind, t, p))
    level = np.cumsum(delta[order])
    at_query = kind[order] == 1
    counts = np.empty(n * m, dtype=np.int32)
    counts[order[at_query] - 2 * len(s)] = level[at_query]
    return pd.DataFrame({"cell": np.repeat(cells["cell"].to_numpy(), m), "t_s": np.tile(times, n),
                         "in_view": counts})


def figure_names(percentiles: Sequence[float] = PERCENTILES) -> list[str]:
    """The numeric columns of ``Coverage.cells`` that a map can draw."""
    cols = list(FIGURE_COLUMNS)
    at = cols.index("revisit_max_s") + 1
    cols[at:at] = [f"revisit_p{q:g}_s" for q in percentiles]
    return GRID_COLUMNS[1:] + cols


def region_figures(cells: pd.DataFrame) -> pd.DataFrame:
    """Aggregates over the region (one row): the share of cells and of area covered at least once, and the
    area-weighted means and worst values of the cells' figures."""
    w = cells["area_km2"].to_numpy(float)
    total = float(w.sum())
    seen = cells["accesses"].to_numpy() > 0

    def mean(col):
        return float(np.dot(w, cells[col].to_numpy(float)) / total)

    row = {
        "cells": len(cells),
        "area_km2": total,
        "accesses": int(cells["accesses"].sum()),
        "cells_covered_pct": 100.0 * float(seen.mean()),
        "area_covered_pct": 100.0 * float(w[seen].sum()) / total,
        "time_covered_pct": mean("percent_covered"),
        "revisit_mean_s": mean("revisit_mean_s"),
        "revisit_max_s": float(cells["revisit_max_s"].max()),
        "response_mean_s": mean("response_mean_s"),
        "response_max_s": float(cells["response_max_s"].max()),
        "in_view_mean": mean("in_view_mean"),
        "in_view_min": int(cells["in_view_min"].min()),
        "in_view_max": int(cells["in_view_max"].max()),
    }
    return pd.DataFrame([row])


def summary_rows(region: pd.DataFrame) -> list[tuple[str, str]]:
    """The region's aggregates worded for people, (figure, value) in the order they are printed."""
    from .metrics import format_duration

    r = region.iloc[0]
    return [
        ("cells", f"{int(r['cells']):,} ({r['area_km2']:,.0f} km^2)"),
        ("accesses", f"{int(r['accesses']):,} ({r['accesses'] / r['cells']:.3g} per cell)"),
        ("cells covered at least once", f"{r['cells_covered_pct']:.1f} %"),
        ("area covered at least once", f"{r['area_covered_pct']:.1f} %"),
        ("time covered (area-weighted)", f"{r['time_covered_pct']:.2f} %"),
        ("mean revisit (area-weighted)", format_duration(r["revisit_mean_s"])),
        ("worst revisit", format_duration(r["revisit_max_s"])),
        ("mean response time (area-weighted)", format_duration(r["response_mean_s"])),
        ("worst response time", format_duration(r["response_max_s"])),
        ("satellites in view: mean (area-weighted)", f"{r['in_view_mean']:.3g}"),
        ("satellites in view: least, most", f"{int(r['in_view_min'])}, {int(r['in_view_max'])}"),
    ]


# ------------------------------------------------------------------------------------------------------ the run

@dataclass
class Coverage:
    """The tables of a coverage run: ``cells`` (grid and figures), ``region`` (one row of aggregates),
    ``accesses`` and ``in_view`` (None unless kept), and ``info`` (what was run, as JSON-ready values)."""

    cells: pd.DataFrame
    region: pd.DataFrame
    accesses: pd.DataFrame | None
    in_view: pd.DataFrame | None
    info: dict


@dataclass(frozen=True)
class _Job:
    """One chunk of cells: what a task needs besides the fleet."""

    cells: pd.DataFrame
    sensor: Sensor
    start_s: float
    end_s: float
    percentiles: tuple
    series_times: np.ndarray | None
    send_tables: bool


def _run_job(job: _Job, fleet):
    """(figures, accesses or None, series or None) of one chunk of cells."""
    acc = cell_accesses(fleet, job.cells, job.start_s, job.end_s, job.sensor)
    figures = cell_figures(acc, job.cells, job.start_s, job.end_s, job.percentiles)
    series = None
    if job.series_times is not None and job.send_tables:
        series = in_view_series(acc, job.cells, job.series_times)
    return figures, (acc if job.send_tables else None), series


def _in_order(jobs: list, fleet, kind: str, workers, scheduler):
    """(index, result) of every job, in job order, run here or on Dask."""
    if kind == "inprocess":
        for i, job in enumerate(jobs):
            yield i, _run_job(job, fleet)
        return
    from distributed import as_completed

    from .sweeps.execute import Executor

    with Executor(kind, workers=workers, scheduler=scheduler) as ex:
        client = ex.client
        shared = client.scatter(fleet, broadcast=True)
        futures = client.map(_run_job, jobs, fleet=shared, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        done, nxt = {}, 0
        try:
            for future in as_completed(futures):
                done[index[future.key]] = future.result()
                future.release()
                while nxt in done:
                    yield nxt, done.pop(nxt)
                    nxt += 1
        finally:
            client.cancel([f for f in futures if not f.done()])


class _ParquetStream:
    """A Parquet file written one table at a time."""

    def __init__(self, path: Path):
        self.path, self.writer = path, None

    def write(self, table: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        t = pa.Table.from_pandas(table, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, t.schema)
        self.writer.write_table(t)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _fleet_and_span(scenario, start, end, satellites):
    """The fleet of the satellites to use (relays left out unless named), the span (s) and a name."""
    from .orbits.fleet import Fleet
    from .scenario import Scenario, to_seconds

    if isinstance(scenario, Fleet):
        fleet, name, epoch, duration = scenario, "fleet", scenario.epoch, None
        if end is None:
            raise CoverageError("end: give the end of the span (s after the fleet's epoch) with a Fleet")
    elif isinstance(scenario, Scenario):
        fleet, name = scenario.fleet(), scenario.name
        epoch, duration = scenario.epoch_time, scenario.duration_s
    else:
        raise CoverageError(f"scenario: expected a Scenario, a scenario file or name, or a Fleet "
                            f"(got {type(scenario).__name__})")
    try:
        t0 = 0.0 if start is None else to_seconds(start, epoch=epoch, end=duration, name="start")
        t1 = duration if end is None else to_seconds(end, epoch=epoch, end=duration, name="end")
    except ValueError as exc:
        raise CoverageError(str(exc)) from None
    if not t1 > t0:
        raise CoverageError(f"end: the span must end after it starts (got {t0:g} s to {t1:g} s)")
    if satellites is None:
        members = [m for m in fleet.members if m.kind == "satellite"]
    else:
        wanted = [satellites] if isinstance(satellites, str) else list(satellites)
        members = [m for m in fleet.members if m.name in wanted or m.group in wanted]
        unknown = sorted(set(wanted) - {m.name for m in members} - {m.group for m in members})
        if unknown:
            raise CoverageError(f"satellites: no satellite or group named {', '.join(unknown)}")
    if not members:
        raise CoverageError("satellites: the scenario has no satellite to cover the region with")
    if len(members) < len(fleet.members):
        fleet = Fleet(fleet.epoch, members, rotation=fleet.rotation)
    return fleet, float(t0), float(t1), name


def _sensor(scenario, off_nadir, min_elevation, sunlit) -> Sensor:
    """The sensor from the options; without either angle, the scenario's imaging payload's off-nadir limit, else
    its default minimum elevation."""
    from .scenario import Scenario

    eta = None if off_nadir is None else _angle(off_nadir, "off_nadir")
    el = None if min_elevation is None else _angle(min_elevation, "min_elevation")
    if eta is not None and el is not None:
        raise CoverageError("sensor: give an off-nadir limit or a minimum elevation, not both")
    if eta is None and el is None and isinstance(scenario, Scenario):
        imaging = scenario.mission.imaging if scenario.mission is not None else None
        if imaging is not None:
            eta = imaging.max_off_nadir
        else:
            el = scenario.defaults.min_elevation
    sun = None
    if sunlit is True:
        sun = 0.0
    elif sunlit is not False and sunlit is not None:
        sun = _angle(sunlit, "sunlit")
    return Sensor(eta, el, sun)


def coverage(
    scenario,
    region,
    spacing,
    *,
    off_nadir=None,
    min_elevation=None,
    sunlit=False,
    satellites: Sequence[str] | str | None = None,
    start=None,
    end=None,
    series_step=None,
    percentiles: Sequence[float] = PERCENTILES,
    chunk_cells: int | None = None,
    executor: str | None = None,
    workers: int | None = None,
    scheduler=None,
    out: str | Path | None = None,
    keep: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Coverage:
    """Coverage of ``region`` (see ``parse_region``) at ``spacing`` (see ``spacing_deg``) by a scenario's
    satellites, from geometry alone.

    ``scenario``: a Scenario, a file or bundled name, or a ``Fleet`` (then ``end`` is required). The sensor is
    ``off_nadir`` or ``min_elevation`` (angles: deg, '30 deg' or a Quantity); without either, the scenario's
    imaging payload's ``max_off_nadir``, else its ``defaults.min_elevation``. ``sunlit``: True for the Sun above the
    horizon at the cell, or the least Sun elevation. ``satellites``: names or group names (default every
    satellite, relays left out). ``start`` and ``end``: the span, in any form ``to_seconds`` reads (default the
    scenario's run). ``series_step``: the step of the satellites-in-view series (none by default).

    Cells go in chunks of ``chunk_cells`` (default: about ``WINDOWS_PER_CHUNK`` expected accesses each) to
    ``executor``: ``"inprocess"`` (the default), ``"local"`` (a Dask LocalCluster of ``workers`` processes) or
    ``"dask"`` (the cluster of ``scheduler``, an address or a ``distributed.Client``); the tables are the same
    on all three. With ``out``, the tables are written there as Parquet (``cells``, ``region``, ``accesses``,
    ``in_view``) with ``coverage.json``, the accesses and series chunk by chunk; ``keep=False`` leaves them out of
    the returned ``Coverage`` (memory then stays bounded by the chunk, whatever the region). ``progress(done,
    total)`` is called with cells done. Bad input raises ``CoverageError`` naming the argument.
    """
    started = time.perf_counter()
    reg = parse_region(region)
    d = spacing_deg(spacing)
    if isinstance(scenario, (str, Path)):
        from .scenario import ScenarioError, load_scenario

        try:
            scenario = load_scenario(scenario)
        except ScenarioError as exc:
            raise CoverageError(f"scenario: {exc}") from None
    sensor = _sensor(scenario, off_nadir, min_elevation, sunlit)
    fleet, t0, t1, name = _fleet_and_span(scenario, start, end, satellites)
    qs = tuple(float(q) for q in percentiles)
    if not all(0.0 <= q <= 100.0 for q in qs):
        raise CoverageError(f"percentiles: each must be in [0, 100] (got {list(percentiles)})")
    times, step = None, None
    if series_step is not None:
        from .scenario import to_duration

        try:
            step = to_duration(series_step, name="series_step")
        except ValueError as exc:
            raise CoverageError(str(exc)) from None
        times = t0 + step * np.arange(int(np.floor((t1 - t0) / step + 1e-9)) + 1)
    kind = "dask" if scheduler is not None else (executor or "inprocess")
    if kind not in ("inprocess", "local", "dask"):
        raise CoverageError(f"executor: one of inprocess, local, dask (got {executor!r})")
    _check_grid_size(reg, d, "spacing")
    cells = _grid(reg, d)
    expected = expected_accesses(fleet, sensor, t1 - t0, cells["lat_deg"].to_numpy())
    if keep:
        samples = len(cells) * (0 if times is None else len(times))
        _check_size(len(cells) * CELL_BYTES + expected.sum() * ACCESS_BYTES + samples * SERIES_BYTES,
                    "the grid, its figures and the accesses and series kept in memory", reg, d, len(cells),
                    "spacing", " (or keep=False, with the accesses written to out)")
    if chunk_cells is None:
        ranges = _chunks(expected, WINDOWS_PER_CHUNK, MAX_CHUNK_CELLS)
    elif isinstance(chunk_cells, bool) or not isinstance(chunk_cells, (int, np.integer)) or chunk_cells < 1:
        raise CoverageError(f"chunk_cells: a whole number of cells, at least 1 (got {chunk_cells!r})")
    else:
        ranges = [(lo, min(lo + chunk_cells, len(cells))) for lo in range(0, len(cells), chunk_cells)]
    folder = None if out is None else Path(out)
    send = keep or folder is not None
    jobs = [_Job(cells.iloc[lo:hi], sensor, t0, t1, qs, times, send) for lo, hi in ranges]
    streams = {}
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        streams = {"accesses": _ParquetStream(folder / "accesses.parquet")}
        if times is not None:
            streams["in_view"] = _ParquetStream(folder / "in_view.parquet")
    figures, accesses, series = [], [], []
    done = 0
    try:
        for i, (fig, acc, ser) in _in_order(jobs, fleet, kind, workers, scheduler):
            figures.append(fig)
            for key, table, kept in (("accesses", acc, accesses), ("in_view", ser, series)):
                if table is None:
                    continue
                if key in streams:
                    streams[key].write(table)
                if keep:
                    kept.append(table)
            done += len(jobs[i].cells)
            if progress is not None:
                progress(done, len(cells))
    finally:
        for stream in streams.values():
            stream.close()
    per_cell_table = pd.concat(figures, ignore_index=True)
    info = {
        "scenario": name, "region": reg.label, "spacing_deg": d, "sensor": asdict(sensor), "sensor_label":
        sensor.label, "start_s": t0, "end_s": t1, "satellites": len(fleet), "cells": len(cells),
        "chunks": len(jobs), "expected_accesses": round(float(expected.sum())), "executor": kind,
        "percentiles": list(qs),
        "series_step_s": step,
    }
    result = Coverage(
        cells=per_cell_table,
        region=region_figures(per_cell_table),
        accesses=_concat(accesses, ACCESS_COLUMNS) if keep else None,
        in_view=(_concat(series, ["cell", "t_s", "in_view"]) if times is not None else None) if keep else None,
        info=info,
    )
    info["wall_s"] = round(time.perf_counter() - started, 3)
    if folder is not None:
        result.cells.to_parquet(folder / "cells.parquet", index=False)
        result.region.to_parquet(folder / "region.parquet", index=False)
        (folder / "coverage.json").write_text(json.dumps(info, indent=2) + "\n")
    return result


def _concat(tables: list, columns: list) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame({c: [] for c in columns})
    return pd.concat(tables, ignore_index=True)


# -------------------------------------------------------------------------------------------------------- the map

def map_figure(cells: pd.DataFrame, figure: str = "percent_covered", *, title: str | None = None,
               cartopy: bool = False):
    """A map of one figure of merit per cell (a column of ``Coverage.cells``) as a matplotlib Figure: cells
    coloured on plain longitude-latitude axes under coastlines, or on cartopy's PlateCarree with ``cartopy``.
    Durations (``*_s``) are drawn in minutes."""
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure

    numeric = [c for c in cells.columns if c != "cell" and pd.api.types.is_numeric_dtype(cells[c])]
    if figure not in numeric:
        raise CoverageError(f"figure: no figure {figure!r} per cell; one of {', '.join(numeric)}")
    values = cells[figure].to_numpy(float)
    label = figure
    if figure.endswith("_s"):
        values, label = values / 60.0, f"{figure[:-2]} (min)"
    x0, x1 = cells["lon_min_deg"].to_numpy(), cells["lon_max_deg"].to_numpy()
    y0, y1 = cells["lat_min_deg"].to_numpy(), cells["lat_max_deg"].to_numpy()
    verts = np.stack([np.column_stack(c) for c in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))], axis=1)
    lon_lo, lon_hi = float(x0.min()), float(x1.max())
    lat_lo, lat_hi = float(y0.min()), float(y1.max())
    pad = 0.03 * max(lon_hi - lon_lo, lat_hi - lat_lo)
    mid = math.radians(0.5 * (lat_lo + lat_hi))
    aspect = 1.0 / max(math.cos(mid), 0.2) if lat_hi - lat_lo < 120 else 1.0
    height = float(np.clip(9.0 * (lat_hi - lat_lo) * aspect / max(lon_hi - lon_lo, 1e-9), 3.0, 9.0))
    fig = Figure(figsize=(10.0, height + 1.0), layout="constrained")
    if cartopy:
        try:
            import cartopy.crs as ccrs
        except ImportError:
            raise CoverageError("cartopy: not installed; draw on plain longitude-latitude axes instead") from None
        ax = fig.add_subplot(projection=ccrs.PlateCarree())
        cells_art = PolyCollection(verts, array=values, cmap="viridis", edgecolors="none",
                                   transform=ccrs.PlateCarree())
        ax.add_collection(cells_art)
        ax.coastlines(linewidth=0.6)
        ax.set_extent((lon_lo - pad, lon_hi + pad, lat_lo - pad, lat_hi + pad), crs=ccrs.PlateCarree())
        ax.gridlines(draw_labels=True, linewidth=0.3)
    else:
        ax = fig.add_subplot()
        cells_art = PolyCollection(verts, array=values, cmap="viridis", edgecolors="none")
        ax.add_collection(cells_art)
        _coastlines(ax, lon_lo, lon_hi)
        ax.set_xlim(lon_lo - pad, lon_hi + pad)
        ax.set_ylim(max(-90.0, lat_lo - pad), min(90.0, lat_hi + pad))
        ax.set_aspect(aspect)
        ax.set_xlabel("longitude (deg)")
        ax.set_ylabel("latitude (deg)")
        ax.grid(True, color="0.85", linewidth=0.5)
        ax.set_axisbelow(True)
    fig.colorbar(cells_art, ax=ax, label=label, shrink=0.9)
    if title:
        ax.set_title(title)
    return fig


def _coastlines(ax, lon_lo: float, lon_hi: float) -> None:
    """Coastlines from the package's 0.5 deg land mask, repeated east of 180 deg for a map that runs past it."""
    from .viz.plots import LAND_MASK

    land = np.unpackbits(np.load(LAND_MASK), axis=1)[:, :720].astype(float)
    lat = -89.75 + 0.5 * np.arange(land.shape[0])
    lon = -179.75 + 0.5 * np.arange(land.shape[1])
    for shift in (-360.0, 0.0, 360.0):
        if lon_hi > -180.0 + shift and lon_lo < 180.0 + shift:
            ax.contour(lon + shift, lat, land, levels=[0.5], colors="0.15", linewidths=0.6)


def save_map(cells: pd.DataFrame, path: str | Path, figure: str = "percent_covered", **kwargs) -> Path:
    """Write ``map_figure`` to ``path`` (.png or .svg, folders created) and return the path."""
    from .viz.plots import save

    return save(map_figure(cells, figure, **kwargs), path)

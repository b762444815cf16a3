"""A run as one GeoJSON FeatureCollection for GIS tools.

RFC 7946 (WGS84, [longitude, latitude]): the ground track of every chosen satellite, the ground stations, and each
satellite's footprint every ``footprint_step``.

A footprint is the ground a satellite sees down to the stations' lowest elevation mask, or, for a satellite with
the mission's imager, its field of regard (the ground within ``max_off_nadir`` of nadir). Both are caps of a sphere
of the Earth's equatorial radius around the geodetic sub-satellite point, drawn with 72 vertices. Lines and
polygons that cross the antimeridian are cut there (RFC 7946, 3.1.9); a cap over a pole runs along the
antimeridian and the pole's parallel. Coordinates have 6 decimals (0.1 m).
"""

from __future__ import annotations

import json

import numpy as np

from .base import (
    MAX_FOOTPRINTS,
    ExportRun,
    Folder,
    check_count,
    check_states,
    file_stems,
    register_format,
    sample_times,
)

VERTICES = 72
"""Vertices of a footprint's outline (every 5 degrees of azimuth)."""


def _check(run: ExportRun) -> None:
    check_states(run)
    check_count(run, run.footprint_step_s, "footprint_step", MAX_FOOTPRINTS, "footprints")


@register_format("geojson", check=_check)
def write_geojson(run: ExportRun, folder: Folder) -> None:
    """GeoJSON FeatureCollection: ground tracks, ground stations and footprints (lon/lat, WGS84)."""
    features = _tracks(run) + _stations(run) + _footprints(run)
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)
    stem = file_stems([run.results.scenario_name])[run.results.scenario_name]
    folder.write_text(f"{stem}.geojson", text + "\n")


def _feature(geometry: dict, properties: dict) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _tracks(run: ExportRun) -> list[dict]:
    stamps = run.time_strings()
    out = []
    for eph in run.ephemerides():
        lat, lon, _ = eph.geodetic()
        for s, name in enumerate(eph.names):
            parts = track_parts(lon[s], lat[s])
            geometry = {"type": "LineString", "coordinates": parts[0]} if len(parts) == 1 else \
                {"type": "MultiLineString", "coordinates": parts}
            out.append(_feature(geometry, {"kind": "ground_track", "satellite": name, "start_utc": stamps[0] + "Z",
                                           "end_utc": stamps[-1] + "Z", "step_s": run.step_s}))
    return out


def _stations(run: ExportRun) -> list[dict]:
    return [
        _feature({"type": "Point", "coordinates": _rounded([[(s.lon_deg + 180.0) % 360.0 - 180.0, s.lat_deg]])[0]},
                 {"kind": "ground_station", "name": s.name, "min_elevation_deg": s.min_elevation_deg,
                  "height_m": round(s.height_km * 1000.0, 3)})
        for s in run.scenario.stations()
    ]


def _footprints(run: ExportRun) -> list[dict]:
    from ..constants import R_EARTH
    from ..sim.build import members

    sc = run.scenario
    imaging = sc.mission.imaging if sc.mission is not None else None
    imagers = set(members(run.full_fleet, imaging.satellites)) if imaging is not None else set()
    stations = sc.stations()
    mask = min(s.min_elevation_deg for s in stations) if stations else sc.defaults.min_elevation
    t = sample_times(run.duration_s, run.footprint_step_s)
    stamps = run.time_strings(t)
    out = []
    for eph in run.ephemerides(t):
        lat, lon, _ = eph.geodetic()
        radius = np.linalg.norm(eph.r_itrs, axis=-1)
        for s, name in enumerate(eph.names):
            if name in imagers:
                angle = field_of_regard_angle(radius[s], imaging.max_off_nadir, R_EARTH)
                what = {"footprint": "field_of_regard", "max_off_nadir_deg": imaging.max_off_nadir}
            else:
                angle = visibility_angle(radius[s], mask, R_EARTH)
                what = {"footprint": "visibility", "min_elevation_deg": mask}
            for k in range(len(t)):
                out.append(_feature(cap_geometry(lat[s, k], lon[s, k], angle[k]), {
                    "kind": "footprint", "satellite": name, "utc": stamps[k] + "Z", "t_s": float(t[k]), **what,
                    "earth_central_angle_deg": round(float(angle[k]), 6)}))
    return out


def visibility_angle(radius_km, min_elevation_deg: float, earth_radius_km: float) -> np.ndarray:
    """Earth central angle (deg) from the sub-satellite point to where a satellite at ``radius_km`` is seen at
    ``min_elevation_deg``, on a sphere of ``earth_radius_km``."""
    eps = np.radians(min_elevation_deg)
    ratio = np.clip(earth_radius_km * np.cos(eps) / np.asarray(radius_km, dtype=float), -1.0, 1.0)
    return np.degrees(np.maximum(np.arccos(ratio) - eps, 0.0))


def field_of_regard_angle(radius_km, max_off_nadir_deg: float, earth_radius_km: float) -> np.ndarray:
    """Earth central angle (deg) of the ground within ``max_off_nadir_deg`` of nadir from ``radius_km``, on a sphere
    of ``earth_radius_km``; the horizon when the cone is wider than the Earth."""
    eta = np.radians(max_off_nadir_deg)
    r = np.asarray(radius_km, dtype=float)
    s = r / earth_radius_km * np.sin(eta)
    horizon = np.arccos(np.clip(earth_radius_km / r, -1.0, 1.0))
    return np.degrees(np.where(s < 1.0, np.arcsin(np.minimum(s, 1.0)) - eta, horizon))


def _rounded(points) -> list[list[float]]:
    return np.round(np.asarray(points, dtype=float), 6).tolist()


def track_parts(lon, lat) -> list[list[list[float]]]:
    """A ground track as lines of [lon, lat] cut where it crosses the antimeridian, each cut ending and the next
    starting on it at the latitude interpolated across."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    parts, start, head = [], 0, []
    for j in np.nonzero(np.abs(np.diff(lon)) > 180.0)[0]:
        ahead = lon[j + 1] + (360.0 if lon[j + 1] < lon[j] else -360.0)
        edge = 180.0 if ahead > lon[j] else -180.0
        f = (edge - lon[j]) / (ahead - lon[j])
        crossing = lat[j] + f * (lat[j + 1] - lat[j])
        parts.append(head + np.column_stack([lon[start:j + 1], lat[start:j + 1]]).tolist() + [[edge, crossing]])
        head, start = [[-edge, crossing]], j + 1
    parts.append(head + np.column_stack([lon[start:], lat[start:]]).tolist())
    return [_rounded(p) for p in parts]


def cap_geometry(lat0: float, lon0: float, angle_deg: float, vertices: int = VERTICES) -> dict:
    """The Polygon or MultiPolygon of the spherical cap of ``angle_deg`` around (lat0, lon0), cut at the
    antimeridian, exterior rings counterclockwise."""
    phi0, lam = np.radians(lat0), np.radians(angle_deg)
    bearing = np.linspace(0.0, 2.0 * np.pi, vertices, endpoint=False)
    sin_phi = np.clip(np.sin(phi0) * np.cos(lam) + np.cos(phi0) * np.sin(lam) * np.cos(bearing), -1.0, 1.0)
    dlon = np.arctan2(np.sin(bearing) * np.sin(lam) * np.cos(phi0), np.cos(lam) - np.sin(phi0) * sin_phi)
    lat = np.degrees(np.arcsin(sin_phi))
    if lat0 + angle_deg > 90.0 or lat0 - angle_deg < -90.0:
        rings = [_polar_ring(lon0 + np.degrees(np.unwrap(np.append(dlon, dlon[0]))), np.append(lat, lat[0]),
                             90.0 if lat0 > 0 else -90.0)]
    else:
        lon = lon0 + np.degrees(dlon)
        if lon.max() > 180.0:
            rings = [_clip(lon, lat, 180.0, True), _clip(lon - 360.0, lat, -180.0, False)]
        elif lon.min() < -180.0:
            rings = [_clip(lon, lat, -180.0, False), _clip(lon + 360.0, lat, 180.0, True)]
        else:
            rings = [np.column_stack([lon, lat])]
    rings = [_closed_ccw(r) for r in rings if len(r) >= 3]
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": [rings[0]]}
    return {"type": "MultiPolygon", "coordinates": [[r] for r in rings]}


def _polar_ring(lon: np.ndarray, lat: np.ndarray, pole: float) -> np.ndarray:
    """The ring of a cap over a pole: its outline from -180 to 180 deg of longitude, then along the antimeridian to
    the pole and back along the pole's parallel. ``lon`` is unwrapped and closed (last = first +- 360)."""
    if lon[-1] < lon[0]:
        lon, lat = lon[::-1], lat[::-1]
    lon, lat = lon[:-1], lat[:-1]
    turns = np.arange(-2, 3)[:, None] * 360.0
    lon_all = (lon[None, :] + turns).ravel()
    lat_all = np.tile(lat, len(turns))
    at_edge = float(np.interp(-180.0, lon_all, lat_all))
    inside = (lon_all > -180.0) & (lon_all < 180.0)
    outline = [[-180.0, at_edge], *np.column_stack([lon_all[inside], lat_all[inside]]).tolist(), [180.0, at_edge]]
    over = [[x, pole] for x in (180.0, 90.0, 0.0, -90.0, -180.0)]
    return np.array(outline + over, dtype=float)


def _clip(lon: np.ndarray, lat: np.ndarray, edge: float, below: bool) -> np.ndarray:
    """The part of the ring (lon, lat) on one side of the meridian ``edge`` (west of it when ``below``)."""
    inside = lon <= edge if below else lon >= edge
    out = []
    for i in range(len(lon)):
        j = i - 1
        if inside[i] != inside[j]:
            f = (edge - lon[j]) / (lon[i] - lon[j])
            out.append((edge, lat[j] + f * (lat[i] - lat[j])))
        if inside[i]:
            out.append((lon[i], lat[i]))
    return np.array(out, dtype=float).reshape(-1, 2)


def _closed_ccw(ring: np.ndarray) -> list[list[float]]:
    """The ring counterclockwise (positive area in the lon/lat plane), rounded, its first point repeated last."""
    x, y = ring[:, 0], ring[:, 1]
    area = np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y)
    if area < 0:
        ring = ring[::-1]
    points = _rounded(ring)
    return points + [points[0]]

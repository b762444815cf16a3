"""Visibility between satellites and ground stations: contact windows refined by root finding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .frames import geodetic_to_itrs, geodetic_up


class _OnEllipsoid:
    """Position and local vertical of a named point given by ``lat_deg``, ``lon_deg`` and ``height_km``."""

    @property
    def itrs(self) -> np.ndarray:
        """ITRS position, km."""
        return geodetic_to_itrs(self.lat_deg, self.lon_deg, self.height_km)

    @property
    def up(self) -> np.ndarray:
        """Unit vector along the local vertical (ellipsoid normal)."""
        return geodetic_up(self.lat_deg, self.lon_deg)


@dataclass(frozen=True)
class Station(_OnEllipsoid):
    """A ground station on the WGS84 ellipsoid; angles in deg, height in km."""

    name: str
    lat_deg: float
    lon_deg: float
    height_km: float = 0.0
    min_elevation_deg: float = 10.0

    def __post_init__(self):
        if not -90.0 <= self.lat_deg <= 90.0:
            raise ValueError(f"{self.name}: latitude must be in [-90, 90] deg (got {self.lat_deg:g})")
        if not -180.0 <= self.lon_deg <= 360.0:
            raise ValueError(f"{self.name}: longitude must be in [-180, 360] deg (got {self.lon_deg:g})")
        if not 0.0 <= self.min_elevation_deg < 90.0:
            raise ValueError(
                f"{self.name}: minimum elevation must be in [0, 90) deg (got {self.min_elevation_deg:g})"
            )


def station_arrays(stations: list[Station]):
    """Positions (N, 3) km, local verticals (N, 3) and sines of the elevation masks (N,) of ground points."""
    pos = np.array([s.itrs for s in stations]).reshape(-1, 3)
    up = np.array([s.up for s in stations]).reshape(-1, 3)
    sin_mask = np.sin(np.radians([s.min_elevation_deg for s in stations]))
    return pos, up, sin_mask


class _Geometry:
    """Satellite-station geometry for (satellite, station, time) triples, evaluated on demand."""

    def __init__(self, fleet, stations: list[Station]):
        self.fleet = fleet
        self.pos, self.up, self.sin_mask = station_arrays(stations)

    def relative(self, sat, sta, t):
        r, v = self.fleet.states(t, sat, frame="itrs")
        return r - self.pos[sta], v, self.up[sta]

    def visibility(self, sat, sta, t):
        """rho . up - |rho| sin(mask): positive exactly when the satellite is above the station's mask."""
        rho, _, up = self.relative(sat, sta, t)
        return np.sum(rho * up, axis=-1) - np.linalg.norm(rho, axis=-1) * self.sin_mask[sta]

    def elevation_and_range(self, sat, sta, t):
        """sin(elevation), its time derivative, range (km) and range rate (km/s)."""
        rho, v, up = self.relative(sat, sta, t)
        rng = np.linalg.norm(rho, axis=-1)
        z = np.sum(rho * up, axis=-1)
        zd = np.sum(v * up, axis=-1)
        rate = np.sum(rho * v, axis=-1) / rng
        sin_el = z / rng
        return sin_el, (zd - sin_el * rate) / rng, rng, rate


def _illinois(func, a, b, fa, fb, tol: float = 1e-4, ftol: float = 1e-9, max_iter: int = 100):
    """Roots of ``func`` in brackets [a, b] (fa, fb of opposite signs), all brackets at once (Illinois method).

    A root is done when its bracket is narrower than ``tol`` or ``|func|`` falls below ``ftol``.
    """
    a, b, fa, fb = (np.array(x, dtype=float) for x in (a, b, fa, fb))
    root = 0.5 * (a + b)
    active = np.ones(a.shape, dtype=bool)
    for _ in range(max_iter):
        if not np.any(active):
            break
        i = np.nonzero(active)[0]
        denom = fb[i] - fa[i]
        c = np.where(denom != 0, (a[i] * fb[i] - b[i] * fa[i]) / np.where(denom != 0, denom, 1.0), 0.5 * (a[i] + b[i]))
        lo, hi = np.minimum(a[i], b[i]), np.maximum(a[i], b[i])
        c = np.where((c > lo) & (c < hi), c, 0.5 * (a[i] + b[i]))
        fc = func(i, c)
        flip = np.sign(fc) != np.sign(fb[i])
        a[i] = np.where(flip, b[i], a[i])
        fa[i] = np.where(flip, fb[i], 0.5 * fa[i])
        b[i], fb[i] = c, fc
        root[i] = c
        done = (np.abs(b[i] - a[i]) < tol) | (np.abs(fc) < ftol)
        active[i[done]] = False
    return root


def _golden_max(func, a, b, tol: float = 1e-3):
    """Maximiser of unimodal ``func`` on every interval [a, b] at once (golden-section search)."""
    g = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = np.array(a, dtype=float), np.array(b, dtype=float)
    idx = np.arange(a.size)
    c = b - g * (b - a)
    d = a + g * (b - a)
    fc, fd = func(idx, c), func(idx, d)
    width = float(np.max(b - a)) if a.size else 0.0
    n = int(np.ceil(np.log(max(width, tol) / tol) / np.log(1.0 / g))) if width > 0 else 0
    for _ in range(n):
        left = fc > fd
        a, b = np.where(left, a, c), np.where(left, d, b)
        keep_t, keep_f = np.where(left, c, d), np.where(left, fc, fd)
        x = np.where(left, b - g * (b - a), a + g * (b - a))
        fx = func(idx, x)
        c, fc = np.where(left, x, keep_t), np.where(left, fx, keep_f)
        d, fd = np.where(left, keep_t, x), np.where(left, keep_f, fx)
    return np.where(fc > fd, c, d)


def sample_step(fleet, sats=None) -> float:
    """Grid step (s) for scanning visibility: a thirtieth of the shortest orbital period, within [10, 300] s.

    Misses are ruled out by the curvature bound in ``_curvature_bound``, not by the step itself; the step only has
    to keep each extremum of the visibility function isolated within two samples.
    """
    periods = fleet.periods() if sats is None else fleet.periods()[sats]
    return float(np.clip(np.min(periods) / 30.0, 10.0, 300.0))


def _curvature_bound(fleet, sin_mask_max: float) -> np.ndarray:
    """Upper bound (km/s^2) of |d^2/dt^2 (rho . up - |rho| sin mask)| for each satellite.

    (rho . up)'' = rho'' . up with rho'' the ITRS acceleration (gravity at perigee plus Coriolis and centripetal
    terms); |rho|'' <= v^2 / |rho| + |rho''| with |rho| no less than the perigee altitude.
    """
    from .constants import MU_EARTH, OMEGA_EARTH, R_EARTH

    rp = fleet.perigee_radii()
    a = fleet.semi_major_axes()
    v = fleet.max_speeds()
    acc = MU_EARTH / rp**2 + 2.0 * OMEGA_EARTH * v + OMEGA_EARTH**2 * a
    d_min = np.maximum(rp - R_EARTH - 10.0, 50.0)
    return acc * (1.0 + sin_mask_max) + sin_mask_max * v**2 / d_min


CONTACT_COLUMNS = [
    "satellite", "station", "rise_s", "culmination_s", "set_s", "duration_s", "max_elevation_deg",
    "min_range_km", "open_at_start", "open_at_end",
]


def find_windows(samples, grid: np.ndarray, evaluate):
    """Intervals where a smooth function of time is positive, for many independent pairs at once.

    ``samples`` yields ``(pairs, f, margin)`` chunks: integer pair ids (P,), the function sampled on ``grid``
    (P, T), and for each pair a bound on how far the true extremum can exceed the sampled one near a sample
    (|f''| h^2 / 8 for step h). ``evaluate(pairs, t)`` gives the function for pair ids and times of one shape.
    Sign changes are refined by root finding; sampled local maxima within ``margin`` below zero (and minima within
    it above zero) are refined too, so a window shorter than the step is not lost. Windows open at the grid's ends
    are clipped there. Returns (pair, start, end) arrays ordered by pair and start.
    """
    n_t = len(grid)
    starts, ends, peaks, dips = [], [], [], []
    for pairs, f, margin in samples:
        above = f > 0
        i, k = np.nonzero(above[:, 1:] != above[:, :-1])
        rising = above[i, k + 1]
        for out, sel in ((starts, rising), (ends, ~rising)):
            out.append((pairs[i[sel]], grid[k[sel]], grid[k[sel] + 1], f[i[sel], k[sel]], f[i[sel], k[sel] + 1]))
        starts.append((pairs[above[:, 0]], np.full(int(above[:, 0].sum()), grid[0]), None, None, None))
        ends.append((pairs[above[:, -1]], np.full(int(above[:, -1].sum()), grid[-1]), None, None, None))
        m = np.asarray(margin, dtype=float)[:, None]
        edge = np.full((len(pairs), 1), np.inf)
        lower = np.concatenate([-edge, f, -edge], axis=1)
        is_max = (f >= lower[:, :-2]) & (f >= lower[:, 2:]) & (f <= 0) & (f > -m)
        higher = np.concatenate([edge, f, edge], axis=1)
        is_min = (f <= higher[:, :-2]) & (f <= higher[:, 2:]) & (f > 0) & (f < m)
        for out, mask in ((peaks, is_max), (dips, is_min)):
            i, k = np.nonzero(mask)
            out.append((pairs[i], grid[np.maximum(k - 1, 0)], grid[np.minimum(k + 1, n_t - 1)]))

    for sign, first, second, found in ((1.0, starts, ends, peaks), (-1.0, ends, starts, dips)):
        if not found:
            continue
        pair, a, b = (np.concatenate([x[n] for x in found]) for n in range(3))
        if len(pair) == 0:
            continue
        t_ext = _golden_max(lambda ii, t: sign * evaluate(pair[ii], t), a, b)
        f_ext = evaluate(pair, t_ext)
        hit = sign * f_ext > 0
        pair, a, b, t_ext, f_ext = pair[hit], a[hit], b[hit], t_ext[hit], f_ext[hit]
        first.append((pair, a, t_ext, evaluate(pair, a), f_ext))
        second.append((pair, t_ext, b, f_ext, evaluate(pair, b)))

    p_start, t_start = _resolve(starts, evaluate)
    p_end, t_end = _resolve(ends, evaluate)
    if len(p_start) != len(p_end):
        raise RuntimeError("window search found unmatched start and end events")
    o_start = np.lexsort((t_start, p_start))
    o_end = np.lexsort((t_end, p_end))
    pair, t0, t1 = p_start[o_start], t_start[o_start], t_end[o_end]
    keep = t1 > t0
    return pair[keep], t0[keep], t1[keep]


def contact_windows(fleet, stations: list[Station], start_s: float, end_s: float, *, progress=None):
    """Every window in which a satellite is above a station's elevation mask, as a pandas DataFrame.

    Visibility is scanned on a grid and refined by ``find_windows`` (rise and set to 0.1 ms); culmination is a
    root of the elevation rate, minimum range a root of the range rate. Windows already open at ``start_s`` or
    still open at ``end_s`` are clipped there and flagged. ``progress(done, total)`` is called as satellites
    are scanned.
    """
    import pandas as pd

    if not stations or len(fleet) == 0 or end_s <= start_s:
        return pd.DataFrame({c: [] for c in CONTACT_COLUMNS})
    geo = _Geometry(fleet, stations)
    pos, up, sin_mask = geo.pos, geo.up, geo.sin_mask
    n_sta, n_sat = len(stations), len(fleet)
    grid = time_grid(start_s, end_s, sample_step(fleet))
    h = grid[1] - grid[0]
    margin = _curvature_bound(fleet, float(np.max(sin_mask))) * h * h / 8.0
    c_up = np.sum(pos * up, axis=1)
    s2 = np.sum(pos * pos, axis=1)
    chunk = max(1, int(4_000_000 // (len(grid) * n_sta)))

    def samples():
        for lo in range(0, n_sat, chunk):
            sats = np.arange(lo, min(n_sat, lo + chunk))
            flat = grid_positions(fleet, sats, grid).reshape(-1, 3)
            z = flat @ up.T - c_up
            rho2 = np.sum(flat * flat, axis=1)[:, None] - 2.0 * (flat @ pos.T) + s2
            f = (z - np.sqrt(np.maximum(rho2, 0.0)) * sin_mask).reshape(len(sats), len(grid), n_sta)
            pairs = (sats[:, None] * n_sta + np.arange(n_sta)).ravel()
            yield pairs, f.transpose(0, 2, 1).reshape(-1, len(grid)), np.repeat(margin[sats], n_sta)
            if progress is not None:
                progress(int(sats[-1]) + 1, n_sat)

    pair, t_rise, t_set = find_windows(samples(), grid, lambda p, t: geo.visibility(p // n_sta, p % n_sta, t))
    sat, sta = pair // n_sta, pair % n_sta
    t_cul, max_el, min_rng = _window_extremes(geo, sat, sta, t_rise, t_set)
    df = pd.DataFrame(
        {
            "satellite": np.array(fleet.names, dtype=object)[sat],
            "station": np.array([s.name for s in stations], dtype=object)[sta],
            "rise_s": t_rise,
            "culmination_s": t_cul,
            "set_s": t_set,
            "duration_s": t_set - t_rise,
            "max_elevation_deg": max_el,
            "min_range_km": min_rng,
            "open_at_start": t_rise <= start_s,
            "open_at_end": t_set >= end_s,
        }
    )
    return df.sort_values(["rise_s", "satellite", "station"], kind="stable").reset_index(drop=True)


def time_grid(start_s: float, end_s: float, step_s: float) -> np.ndarray:
    """Evenly spaced times from start to end inclusive, no further apart than ``step_s``."""
    return np.linspace(start_s, end_s, int(np.ceil((end_s - start_s) / step_s)) + 1)


def grid_positions(fleet, sats, grid, frame: str = "itrs") -> np.ndarray:
    """Positions (len(sats), T, 3), km, of some of the fleet's satellites on a time grid, in ``frame``."""
    if np.array_equal(sats, np.arange(len(fleet))):
        return fleet.states(grid, frame=frame)[0]
    idx = np.repeat(sats, len(grid))
    t = np.tile(grid, len(sats))
    return fleet.states(t, idx, frame=frame)[0].reshape(len(sats), len(grid), 3)


def _resolve(events, evaluate):
    """(pair, t) of events: bracketed ones solved by root finding, the rest taken as given."""
    pairs, ts = [], []
    for pair, a, b, fa, fb in events:
        if len(pair) == 0:
            continue
        t = a if b is None else _illinois(lambda ii, tt, p=pair: evaluate(p[ii], tt), a, b, fa, fb)
        pairs.append(pair)
        ts.append(t)
    if not pairs:
        return np.zeros(0, int), np.zeros(0)
    return np.concatenate(pairs), np.concatenate(ts)


def _window_extremes(geo: _Geometry, sat, sta, t0, t1):
    """Culmination time, maximum elevation (deg) and minimum range (km) within each window."""
    if len(sat) == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    el0, d0, rng0, rate0 = geo.elevation_and_range(sat, sta, t0)
    el1, d1, rng1, rate1 = geo.elevation_and_range(sat, sta, t1)

    def extremum(value, deriv, v0, v1, d_0, d_1, sign):
        """Time of the maximum of sign * value: a root of the derivative where it changes sign, else golden."""
        t = np.empty(len(sat))
        simple = (sign * d_0 > 0) & (sign * d_1 < 0)
        ii = np.nonzero(simple)[0]
        if len(ii):
            t[ii] = _illinois(lambda k, tt: deriv(sat[ii][k], sta[ii][k], tt), t0[ii], t1[ii], d_0[ii], d_1[ii])
        jj = np.nonzero(~simple)[0]
        if len(jj):
            tg = _golden_max(lambda k, tt: sign * value(sat[jj][k], sta[jj][k], tt), t0[jj], t1[jj])
            vg = sign * value(sat[jj], sta[jj], tg)
            best_end = np.where(sign * v0[jj] >= sign * v1[jj], t0[jj], t1[jj])
            t[jj] = np.where(vg >= np.maximum(sign * v0[jj], sign * v1[jj]), tg, best_end)
        return t

    def part(n):
        return lambda s, j, tt: geo.elevation_and_range(s, j, tt)[n]

    t_cul = extremum(part(0), part(1), el0, el1, d0, d1, 1.0)
    t_rng = extremum(part(2), part(3), rng0, rng1, rate0, rate1, -1.0)
    max_el = np.degrees(np.arcsin(np.clip(geo.elevation_and_range(sat, sta, t_cul)[0], -1, 1)))
    min_rng = geo.elevation_and_range(sat, sta, t_rng)[2]
    return t_cul, max_el, min_rng


ECLIPSE_COLUMNS = ["satellite", "start_s", "end_s", "duration_s"]
TARGET_COLUMNS = ["satellite", "target", "start_s", "end_s", "duration_s", "best_s", "min_off_nadir_deg"]
_SUNS: dict = {}
_HORIZON_CLEARANCE_RAD = np.radians(0.5)
_STEP_DIV = 4.0
_BLOCK = 8
_CHUNK = 4_000_000


def sun_ephemeris(epoch):
    """The shared ``SunEphemeris`` for a scenario epoch (one per epoch, extended as later times are asked for)."""
    from .frames import SunEphemeris

    key = (float(epoch.jd1), float(epoch.jd2))
    if key not in _SUNS:
        if len(_SUNS) >= 16:
            _SUNS.clear()
        _SUNS[key] = SunEphemeris(epoch, 0.0, 86400.0)
    return _SUNS[key]


def shadow_function(r, sun) -> np.ndarray:
    """R_EARTH minus the distance (km) from the Earth's centre to the ray from a satellite at ``r`` to the Sun's centre.

    Positive exactly in eclipse, the definition of skyfield's ``is_sunlit`` (the ray meets the sphere of radius
    R_EARTH). With u the unit vector from the satellite to the Sun and c = -r . u, the distance is sqrt(|r|^2 - c^2)
    for c > 0 and |r| otherwise, which makes the function continuously differentiable. Positions in one frame, km.
    """
    from .constants import R_EARTH

    d = sun - r
    c = -np.sum(r * d, axis=-1) / np.linalg.norm(d, axis=-1)
    dist2 = np.sum(r * r, axis=-1) - np.maximum(c, 0.0) ** 2
    return R_EARTH - np.sqrt(np.maximum(dist2, 0.0))


def _sat_indices(fleet, sats) -> np.ndarray:
    """Sorted distinct fleet indices from None (all), indices or names."""
    if sats is None:
        return np.arange(len(fleet))
    return np.unique(np.array([fleet.index(s) if isinstance(s, str) else int(s) for s in sats], dtype=int))


def _eclipse_margin(fleet, h: float) -> np.ndarray:
    """Curvature margin (km) of the shadow function for each satellite on a grid of step ``h``.

    Near a zero, R_EARTH - |r_perp| with r_perp the satellite's offset from the shadow axis: |r_perp|'' <= |r''| +
    v^2 / |r_perp|, and within a step of a near-zero extremum |r_perp| >= R_EARTH - v h. The axis turns at 2e-7 rad/s
    (negligible), so |f''| <= 1.01 mu / r_p^2 + v_p^2 / (R_EARTH - 1.1 v_p h), perigee radius r_p and speed v_p.
    """
    from .constants import MU_EARTH, R_EARTH

    rp = fleet.perigee_radii()
    v = np.sqrt(MU_EARTH * (2.0 / rp - 1.0 / fleet.semi_major_axes()))
    d = np.maximum(R_EARTH - 1.1 * v * h, 0.25 * R_EARTH)
    return (1.01 * MU_EARTH / rp**2 + v**2 / d) * h * h / 8.0


def eclipse_windows(fleet, start_s: float, end_s: float):
    """Every interval in which a satellite is in the Earth's shadow (``shadow_function`` > 0), as a DataFrame.

    The shadow function is scanned on the contact grid (``sample_step``) and refined by ``find_windows`` with the
    margin of ``_eclipse_margin``. Intervals in progress at ``start_s`` or ``end_s`` are clipped there.
    """
    import pandas as pd

    if len(fleet) == 0 or end_s <= start_s:
        return pd.DataFrame({c: [] for c in ECLIPSE_COLUMNS})
    sun = sun_ephemeris(fleet.epoch)
    grid = time_grid(start_s, end_s, sample_step(fleet))
    margin = _eclipse_margin(fleet, grid[1] - grid[0])
    s_grid = sun.gcrs(grid)
    chunk = max(1, int(_CHUNK // len(grid)))

    def samples():
        for lo in range(0, len(fleet), chunk):
            sats = np.arange(lo, min(len(fleet), lo + chunk))
            yield sats, shadow_function(grid_positions(fleet, sats, grid, "gcrs"), s_grid), margin[sats]

    def evaluate(p, t):
        return shadow_function(fleet.states(t, p)[0], sun.gcrs(t))

    sat, t0, t1 = find_windows(samples(), grid, evaluate)
    df = pd.DataFrame(
        {
            "satellite": np.array(fleet.names, dtype=object)[sat],
            "start_s": t0,
            "end_s": t1,
            "duration_s": t1 - t0,
        }
    )
    return df.sort_values(["start_s", "satellite"], kind="stable").reset_index(drop=True)


def sunlit(fleet, idx, t) -> np.ndarray:
    """Whether satellites (indices or names) are in sunlight at times ``t``, broadcast together."""
    idx = np.asarray(idx)
    if idx.dtype.kind in "OUS":
        idx = np.vectorize(fleet.index, otypes=[int])(idx)
    idx, t = np.broadcast_arrays(idx.astype(int), np.asarray(t, dtype=float))
    sun = sun_ephemeris(fleet.epoch)
    flat_t = t.ravel()
    r = fleet.states(flat_t, idx.ravel())[0]
    return (shadow_function(r, sun.gcrs(flat_t)) <= 0.0).reshape(t.shape)


@dataclass(frozen=True)
class Target(_OnEllipsoid):
    """A point to image on the WGS84 ellipsoid; angles in deg, height in km."""

    name: str
    lat_deg: float
    lon_deg: float
    priority: int = 1
    height_km: float = 0.0

    def __post_init__(self):
        if not -90.0 <= self.lat_deg <= 90.0:
            raise ValueError(f"target {self.name!r}: lat_deg must be in [-90, 90] (got {self.lat_deg:g})")
        if not -180.0 <= self.lon_deg < 360.0:
            raise ValueError(f"target {self.name!r}: lon_deg must be in [-180, 360) (got {self.lon_deg:g})")
        if isinstance(self.priority, bool) or not isinstance(self.priority, (int, np.integer)):
            raise ValueError(f"target {self.name!r}: priority must be an integer (got {self.priority!r})")
        if not -1.0 < self.height_km < 10.0:
            raise ValueError(f"target {self.name!r}: height_km must be in (-1, 10) km (got {self.height_km:g})")


def region_targets(
    name: str, lat_min: float, lat_max: float, lon_min: float, lon_max: float, spacing_km: float, priority: int = 1
) -> list[Target]:
    """Points about ``spacing_km`` apart covering a latitude-longitude box, named ``{name}-0000`` and on.

    Rows of latitude split the box into bands spacing_km high (on a sphere of radius R_EARTH); each row is split into
    cells spacing_km wide at its latitude (longitude step scaled by 1 / cos lat), and every cell contributes its
    centre, so each point stands for a near-equal area. ``lon_max`` may exceed 180 for a box across the antimeridian;
    longitudes come back in [-180, 180).
    """
    from .constants import R_EARTH

    if not -90.0 <= lat_min <= lat_max <= 90.0:
        raise ValueError(f"region {name!r}: need -90 <= lat_min <= lat_max <= 90 (got {lat_min:g}, {lat_max:g})")
    if not (-180.0 <= lon_min <= lon_max <= 360.0 and lon_max - lon_min <= 360.0):
        raise ValueError(
            f"region {name!r}: need lon_min <= lon_max, both in [-180, 360] and at most 360 deg apart "
            f"(got {lon_min:g}, {lon_max:g})"
        )
    if not spacing_km > 0:
        raise ValueError(f"region {name!r}: spacing_km must be positive (got {spacing_km:g})")
    step = np.degrees(spacing_km / R_EARTH)
    n_lat = max(1, int(round((lat_max - lat_min) / step)))
    lats = lat_min + (np.arange(n_lat) + 0.5) * (lat_max - lat_min) / n_lat
    out: list[Target] = []
    for lat in lats:
        width = (lon_max - lon_min) * np.cos(np.radians(lat))
        n_lon = max(1, int(round(width / step)))
        lons = lon_min + (np.arange(n_lon) + 0.5) * (lon_max - lon_min) / n_lon
        for lon in (lons + 180.0) % 360.0 - 180.0:
            out.append(Target(f"{name}-{len(out):04d}", float(lat), float(lon), priority))
    return out


def _orbit_bounds(fleet):
    """Per satellite: greatest radius, bound of |d2 r_hat/dt2| in ITRS, of |d|r|/dt|, |d2|r|/dt2| and of |r''|.

    For a unit vector u = x / s: u'' = P x'' / s - 2 s' P x' / s^2 - u |P x'|^2 / s^2 (P removes the radial part), so
    |u''| <= a_perp / s + (2 |s'| v + v^2) / s^2. In ITRS a_perp <= 2 Omega v + Omega^2 r + 10 J2 (R/r_p)^2 mu / r_p^2
    (Coriolis, centripetal, and J2's non-radial pull and secular turning); v <= v_p + Omega r_max. Kepler gives
    |s'| <= e sqrt(mu / p) and |s''| <= e mu / r_p^2, plus an allowance for short-period J2 oscillations of the
    radius (amplitude 2 J2 R^2 / a at twice the mean motion).
    """
    from .constants import J2_EARTH, MU_EARTH, OMEGA_EARTH, R_EARTH

    a = fleet.semi_major_axes()
    rp = fleet.perigee_radii()
    e = np.clip(1.0 - rp / a, 0.0, 0.99)
    n = np.sqrt(MU_EARTH / a**3)
    amp = 2.0 * J2_EARTH * R_EARTH**2 / a
    r_max = a * (1.0 + e) + amp
    g = MU_EARTH / rp**2
    v = np.sqrt(MU_EARTH * (2.0 / rp - 1.0 / a)) + OMEGA_EARTH * r_max
    a_perp = 2.0 * OMEGA_EARTH * v + OMEGA_EARTH**2 * r_max + 10.0 * J2_EARTH * (R_EARTH / rp) ** 2 * g
    s1 = e * np.sqrt(MU_EARTH / (a * (1.0 - e**2))) + 2.0 * n * amp
    s2 = e * g + 4.0 * n**2 * amp
    u2 = a_perp / rp + (2.0 * s1 * v + v**2) / rp**2
    acc = g * (1.0 + 10.0 * J2_EARTH) + a_perp
    return r_max, u2, s1, s2, acc, v, rp


class _TargetGeometry:
    """Satellite-target geometry for pair ids ``i * n_targets + j`` (i indexes ``sats``, j the targets)."""

    def __init__(self, fleet, sats, pos, up, limit_rad):
        self.fleet, self.sats, self.pos, self.up = fleet, sats, pos, up
        self.n = len(pos)
        self.p2 = np.sum(pos * pos, axis=1)
        self.p_up = np.sum(pos * up, axis=1)
        self.cos_l, self.sin2_l = np.cos(limit_rad), np.sin(limit_rad) ** 2

    def split(self, pair):
        return self.sats[pair // self.n], pair % self.n

    def position(self, pair, t):
        sat, j = self.split(pair)
        return self.fleet.states(t, sat, frame="itrs")[0], j

    def cone_inside(self, pair, t):
        """r_hat . p - |r| sin^2 L - cos L sqrt(|p|^2 - |r|^2 sin^2 L) (km): zero where the off-nadir angle is L on
        the near side of the Earth (plane triangle centre-satellite-target), positive inside the cone there."""
        r, j = self.position(pair, t)
        rn = np.linalg.norm(r, axis=-1)
        return np.sum(r * self.pos[j], axis=-1) / rn - self._g(rn, self.p2[j])

    def _g(self, rn, p2):
        return rn * self.sin2_l + self.cos_l * np.sqrt(np.maximum(p2 - rn * rn * self.sin2_l, 0.0))

    def cone_general(self, pair, t):
        """-r_hat . rho - |rho| cos L (km): positive inside the cone, on either side of the Earth."""
        r, j = self.position(pair, t)
        rn = np.linalg.norm(r, axis=-1)
        rho = self.pos[j] - r
        return -np.sum(r * rho, axis=-1) / rn - np.linalg.norm(rho, axis=-1) * self.cos_l

    def horizon(self, pair, t):
        """(r - p) . up (km): positive when the satellite is above the target's horizon."""
        r, j = self.position(pair, t)
        return np.sum((r - self.pos[j]) * self.up[j], axis=-1)

    def cos_off_nadir(self, sat, j, t):
        """cos of the off-nadir angle and its time derivative for fleet indices ``sat`` and target indices ``j``."""
        r, v = self.fleet.states(t, sat, frame="itrs")
        rn = np.linalg.norm(r, axis=-1)[..., None]
        rho = self.pos[j] - r
        dn = np.linalg.norm(rho, axis=-1)[..., None]
        n_hat, rho_hat = -r / rn, rho / dn
        cos_eta = np.sum(n_hat * rho_hat, axis=-1)
        dn_hat = -(v - n_hat * np.sum(n_hat * v, axis=-1)[..., None]) / rn
        drho_hat = -(v - rho_hat * np.sum(rho_hat * v, axis=-1)[..., None]) / dn
        return cos_eta, np.sum(dn_hat * rho_hat + n_hat * drho_hat, axis=-1)


def _cone_margins(bounds, p_norm, cos_l, sin2_l, h, inside):
    """Curvature margins (S, N) of the cone functions on a grid of step ``h``.

    Inside: (r_hat . p)'' <= |p| |u''|, and g(|r|)'' <= |g'| |s''| + |g''| s'^2 with g' = sin^2 L - cos L s sin^2 L / q,
    g'' = -cos L sin^2 L |p|^2 / q^3, q = sqrt(|p|^2 - s^2 sin^2 L) taken at the greatest radius. General:
    (-r_hat . rho)'' = (|r| - r_hat . p)'' <= |s''| + |p| |u''|, and |rho|'' <= |r''| + v^2 / (r_p - |p|).
    """
    r_max, u2, s1, s2, acc, v, rp = (x[:, None] for x in bounds)
    p = p_norm[None, :]
    if inside:
        q = np.sqrt(np.maximum(p * p - r_max**2 * sin2_l, 1e-6))
        g1 = sin2_l * (1.0 + cos_l * r_max / q)
        g2 = cos_l * sin2_l * p * p / q**3
        curv = p * u2 + g1 * s2 + g2 * s1**2
    else:
        curv = s2 + p * u2 + cos_l * (acc + v**2 / np.maximum(rp - p, 1.0))
    return curv * h * h / 8.0


def _intersect(ka, sa, ea, kb, sb, eb):
    """Overlaps (key, start, end) of two sets of keyed intervals, each set disjoint within a key.

    A sweep over all edges sorted by key and time (ends before starts at equal times) counts the open intervals;
    an overlap runs from each edge after which two are open to the next edge.
    """
    n_a, n_b = len(ka), len(kb)
    key = np.concatenate([ka, ka, kb, kb])
    t = np.concatenate([sa, ea, sb, eb])
    delta = np.repeat([1, -1, 1, -1], [n_a, n_a, n_b, n_b])
    order = np.lexsort((delta, t, key))
    key, t, delta = key[order], t[order], delta[order]
    both = np.nonzero(np.cumsum(delta)[:-1] == 2)[0]
    keep = both[t[both + 1] > t[both]]
    return key[keep], t[keep], t[keep + 1]


def _expand(keys, n, owner, s, e):
    """Intervals (s, e) of owners 0..n-1 (``owner`` sorted), repeated under every key in ``keys`` owned by key % n."""
    first = np.searchsorted(owner, np.arange(n + 1))
    j = keys % n
    counts = first[j + 1] - first[j]
    rows = np.repeat(first[j] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(int(counts.sum()))
    return np.repeat(keys, counts), s[rows], e[rows]


def _best_times(geo, sat, j, t0, t1):
    """Time of the least off-nadir angle in each window: a root of its rate where that falls across the window,
    else the better of a golden-section search and the two ends."""
    c0, d0 = geo.cos_off_nadir(sat, j, t0)
    c1, d1 = geo.cos_off_nadir(sat, j, t1)
    best = np.where(c0 >= c1, t0, t1)
    simple = (d0 > 0) & (d1 < 0)

    def part(rows, n):
        return lambda k, tt: geo.cos_off_nadir(sat[rows][k], j[rows][k], tt)[n]

    ii = np.nonzero(simple)[0]
    if len(ii):
        best[ii] = _illinois(part(ii, 1), t0[ii], t1[ii], d0[ii], d1[ii])
    jj = np.nonzero(~simple)[0]
    if len(jj):
        tg = _golden_max(part(jj, 0), t0[jj], t1[jj])
        cg = geo.cos_off_nadir(sat[jj], j[jj], tg)[0]
        best[jj] = np.where(cg >= np.maximum(c0[jj], c1[jj]), tg, best[jj])
    return best


def _inside_cone_windows(geo, local, bounds, start_s: float, end_s: float, step: float):
    """Windows of ``_TargetGeometry.cone_inside`` for satellites ``local`` (indices into ``geo.sats``), block by block.

    The grid is cut into blocks of ``_BLOCK`` steps. Within a block a satellite's direction stays within the angle c
    (from the samples) of its direction mid-block, so a target more than c + lambda_reach away from that direction,
    with cos lambda_reach = (g(r_max) - margin) / |p| (largest over the targets), has every sample below -margin
    there (g falls as |r| grows) and is skipped. The remaining (satellite, block, target) rows share one
    block-relative grid in ``find_windows``; windows cut at block ends are joined again.
    """
    fleet, n_tgt = geo.fleet, geo.n
    n_int = max(1, int(np.ceil((end_s - start_s) / step)))
    h = (end_s - start_s) / n_int
    n_blk = -(-n_int // _BLOCK)
    rel = np.arange(_BLOCK + 1) * h
    t_blk = start_s + np.arange(n_blk) * (_BLOCK * h)
    grid = start_s + np.arange(n_blk * _BLOCK + 1) * h
    p_norm = np.sqrt(geo.p2)
    p_hat = geo.pos / p_norm[:, None]
    b_loc = [b[local] for b in bounds]
    margin = _cone_margins(b_loc, p_norm, geo.cos_l, geo.sin2_l, h, True)
    g_min = geo._g(b_loc[0][:, None], geo.p2[None, :])
    reach_max = np.max(np.arccos(np.clip((g_min - margin) / p_norm, -1.0, 1.0)), axis=1)
    take = np.arange(n_blk)[:, None] * _BLOCK + np.arange(_BLOCK + 1)
    per = max(1, int(_CHUNK // (n_blk * n_tgt)))

    def samples():
        for lo in range(0, len(local), per):
            ii = np.arange(lo, min(len(local), lo + per))
            r = grid_positions(fleet, geo.sats[local[ii]], grid)
            rn = np.linalg.norm(r, axis=-1)
            ub, rb = (r / rn[..., None])[:, take], rn[:, take]
            mid = ub[:, :, _BLOCK // 2]
            spread = np.arccos(np.clip(np.min(np.einsum("sbki,sbi->sbk", ub, mid), axis=2), -1.0, 1.0))
            lim = np.minimum(spread + reach_max[ii][:, None] + 1e-6, np.pi)
            si, bi, ji = np.nonzero(mid @ p_hat.T > np.cos(lim)[:, :, None])
            f = np.einsum("rki,ri->rk", ub[si, bi], geo.pos[ji]) - geo._g(rb[si, bi], geo.p2[ji][:, None])
            yield (local[ii][si] * n_blk + bi) * n_tgt + ji, f, margin[ii[si], ji]

    def evaluate(tri, t):
        return geo.cone_inside((tri // (n_blk * n_tgt)) * n_tgt + tri % n_tgt, t_blk[(tri // n_tgt) % n_blk] + t)

    tri, s_rel, e_rel = find_windows(samples(), rel, evaluate)
    if len(tri) == 0:
        return tri, s_rel, e_rel
    pair = (tri // (n_blk * n_tgt)) * n_tgt + tri % n_tgt
    blk = (tri // n_tgt) % n_blk
    o = np.lexsort((s_rel, blk, pair))
    pair, blk, s_rel, e_rel = pair[o], blk[o], s_rel[o], e_rel[o]
    join = (e_rel[:-1] == rel[-1]) & (s_rel[1:] == 0.0) & (pair[1:] == pair[:-1]) & (blk[1:] == blk[:-1] + 1)
    first = np.concatenate([[True], ~join])
    last = np.concatenate([~join, [True]])
    t0 = np.maximum(t_blk[blk[first]] + s_rel[first], start_s)
    t1 = np.minimum(t_blk[blk[last]] + e_rel[last], end_s)
    keep = t1 > t0
    return pair[first][keep], t0[keep], t1[keep]


def _beyond_limb_windows(geo, local, bounds, start_s: float, end_s: float, step: float):
    """Windows of the general cone function intersected with the target's horizon, for satellites ``local``."""
    fleet, n_tgt = geo.fleet, geo.n
    grid = time_grid(start_s, end_s, step)
    h = grid[1] - grid[0]
    p_norm = np.sqrt(geo.p2)
    chunk = max(1, int(_CHUNK // (len(grid) * n_tgt)))

    def samples(horizon):
        for lo in range(0, len(local), chunk):
            loc = local[lo:lo + chunk]
            r = grid_positions(fleet, geo.sats[loc], grid).reshape(-1, 3)
            if horizon:
                f = r @ geo.up.T - geo.p_up
                margin = np.broadcast_to(bounds[4][loc, None] * h * h / 8.0, (len(loc), n_tgt))
            else:
                rn = np.linalg.norm(r, axis=1)[:, None]
                rp = r @ geo.pos.T
                f = rn - rp / rn - np.sqrt(np.maximum(rn * rn - 2.0 * rp + geo.p2, 0.0)) * geo.cos_l
                margin = _cone_margins([b[loc] for b in bounds], p_norm, geo.cos_l, geo.sin2_l, h, False)
            f = f.reshape(len(loc), len(grid), n_tgt).transpose(0, 2, 1).reshape(-1, len(grid))
            yield (loc[:, None] * n_tgt + np.arange(n_tgt)).ravel(), f, margin.ravel()

    cone = find_windows(samples(False), grid, geo.cone_general)
    above = find_windows(samples(True), grid, geo.horizon)
    return _intersect(*cone, *above)


def _sunlit_target_windows(fleet, pos, up, start_s: float, end_s: float, step: float, min_elevation_deg: float):
    """(target, start, end) of the windows with the Sun above ``min_elevation_deg`` at each target.

    The Sun's direction from a target turns at no more than Omega + 2.1e-7 rad/s in ITRS, so the margin of
    sin(elevation) is 1.1 (Omega + 2.1e-7)^2 h^2 / 8.
    """
    from .constants import OMEGA_EARTH

    sun = sun_ephemeris(fleet.epoch)
    sin_min = np.sin(np.radians(min_elevation_deg))

    def height(j, t):
        s = sun.itrs(t, fleet.rotation) - pos[j]
        return np.sum(s * up[j], axis=-1) / np.linalg.norm(s, axis=-1) - sin_min

    grid = time_grid(start_s, end_s, step)
    h = grid[1] - grid[0]
    s = sun.itrs(grid, fleet.rotation)[None, :, :] - pos[:, None, :]
    f = np.sum(s * up[:, None, :], axis=-1) / np.linalg.norm(s, axis=-1) - sin_min
    margin = np.full(len(pos), 1.1 * (OMEGA_EARTH + 2.1e-7) ** 2 * h * h / 8.0)
    return find_windows(iter([(np.arange(len(pos)), f, margin)]), grid, height)


def target_windows(
    fleet,
    targets: list[Target],
    start_s: float,
    end_s: float,
    *,
    max_off_nadir_deg: float,
    min_sun_elevation_deg: float | None = None,
    sats=None,
):
    """Every window in which a target lies in a satellite's field of regard, as a pandas DataFrame.

    In view: the off-nadir angle (between -r_sat and the line of sight) is at most ``max_off_nadir_deg`` and the
    target sees the satellite above its horizon. For a satellite whose cone stays 0.5 deg inside the Earth's limb
    (sin L r_max <= cos 0.5 deg |p|) the near-side cone function ``_TargetGeometry.cone_inside`` covers both
    conditions (``_inside_cone_windows``); otherwise the general cone function is intersected with the horizon.
    With ``min_sun_elevation_deg`` the windows are intersected with the Sun above that elevation at the target
    (ellipsoid normal, no refraction). Every condition is scanned every quarter of the contact step (48 s in LEO)
    and refined by ``find_windows``. ``best_s`` is the time of the
    least off-nadir angle in the window; ``sats`` restricts the search to some satellites (indices or names).
    """
    import pandas as pd

    if not 0.0 < max_off_nadir_deg < 90.0:
        raise ValueError(f"max_off_nadir_deg must be in (0, 90) (got {max_off_nadir_deg:g})")
    if min_sun_elevation_deg is not None and not -90.0 <= min_sun_elevation_deg <= 90.0:
        raise ValueError(f"min_sun_elevation_deg must be in [-90, 90] (got {min_sun_elevation_deg:g})")
    sel = _sat_indices(fleet, sats)
    if not targets or len(sel) == 0 or end_s <= start_s:
        return pd.DataFrame({c: [] for c in TARGET_COLUMNS})
    n_tgt = len(targets)
    pos = np.array([t.itrs for t in targets]).reshape(-1, 3)
    up = np.array([t.up for t in targets]).reshape(-1, 3)
    geo = _TargetGeometry(fleet, sel, pos, up, np.radians(max_off_nadir_deg))
    step = sample_step(fleet, sel) / _STEP_DIV
    bounds = tuple(b[sel] for b in _orbit_bounds(fleet))
    inside = np.sqrt(geo.sin2_l) * bounds[0] <= np.cos(_HORIZON_CLEARANCE_RAD) * np.sqrt(geo.p2.min())
    parts = [(np.zeros(0, int), np.zeros(0), np.zeros(0))]
    local_in, local_out = np.nonzero(inside)[0], np.nonzero(~inside)[0]
    if len(local_in):
        parts.append(_inside_cone_windows(geo, local_in, bounds, start_s, end_s, step))
    if len(local_out):
        parts.append(_beyond_limb_windows(geo, local_out, bounds, start_s, end_s, step))
    pair, t0, t1 = (np.concatenate([p[n] for p in parts]) for n in range(3))
    if min_sun_elevation_deg is not None and len(pair):
        lit = _sunlit_target_windows(fleet, pos, up, start_s, end_s, step, min_sun_elevation_deg)
        pair, t0, t1 = _intersect(pair, t0, t1, *_expand(np.unique(pair), n_tgt, *lit))

    sat, j = geo.split(pair)
    best = _best_times(geo, sat, j, t0, t1)
    cos_eta = geo.cos_off_nadir(sat, j, best)[0]
    df = pd.DataFrame(
        {
            "satellite": np.array(fleet.names, dtype=object)[sat],
            "target": np.array([t.name for t in targets], dtype=object)[j],
            "start_s": t0,
            "end_s": t1,
            "duration_s": t1 - t0,
            "best_s": best,
            "min_off_nadir_deg": np.degrees(np.arccos(np.clip(cos_eta, -1.0, 1.0))),
        }
    )
    return df.sort_values(["start_s", "satellite", "target"], kind="stable").reset_index(drop=True)


def within_range(fleet, stations, contacts, max_range_km):
    """Contact windows (``access.contact_windows``' table) cut to where the satellite is within ``max_range_km`` of
    the station (km: one number, or one per row; inf leaves a window as it is); a window never within it is dropped.

    The range over a pass falls to its minimum and rises again, so the part within range is one span around the
    closest approach: its ends are roots of range - max_range (to 0.1 ms) between the window's ends and the
    culmination, or the time of least range when the culmination is out of range. ``open_at_start`` and
    ``open_at_end`` stay true only where that end was not moved.
    """
    limit = np.broadcast_to(np.asarray(max_range_km, dtype=float), (len(contacts),))
    if not np.isfinite(limit).any():
        return contacts
    out = contacts.copy()
    t0, t1 = out["rise_s"].to_numpy(float).copy(), out["set_s"].to_numpy(float).copy()
    keep = ~(out["min_range_km"].to_numpy(float) > limit)
    rows = np.nonzero(keep & np.isfinite(limit))[0]
    if len(rows):
        index = {n: k for k, n in enumerate(fleet.names)}
        sat = np.array([index[n] for n in out["satellite"].to_numpy(object)[rows]])
        sta = out["station"].map({s.name: k for k, s in enumerate(stations)}).to_numpy(int)[rows]
        cap, a, b = limit[rows], t0[rows], t1[rows]
        geo = _Geometry(fleet, stations)

        def excess(k, t):
            return geo.elevation_and_range(sat[k], sta[k], t)[2] - cap[k]

        every = np.arange(len(rows))
        pivot = out["culmination_s"].to_numpy(float)[rows].copy()
        at_pivot = excess(every, pivot)
        far = np.nonzero(at_pivot > 0.0)[0]
        if len(far):
            pivot[far] = _golden_max(lambda k, t: -excess(far[k], t), a[far], b[far])
            at_pivot[far] = excess(far, pivot[far])
            keep[rows[at_pivot > 0.0]] = False
        near = at_pivot <= 0.0
        at_a, at_b = excess(every, a), excess(every, b)

        def crossing(cut, lo, hi, f_lo, f_hi):
            return _illinois(lambda k, t: excess(cut[k], t), lo[cut], hi[cut], f_lo[cut], f_hi[cut])

        rise = np.nonzero(near & (at_a > 0.0))[0]
        fall = np.nonzero(near & (at_b > 0.0))[0]
        a[rise] = crossing(rise, a, pivot, at_a, at_pivot)
        b[fall] = crossing(fall, pivot, b, at_pivot, at_b)
        t0[rows], t1[rows] = a, b
    moved0, moved1 = t0 != out["rise_s"].to_numpy(float), t1 != out["set_s"].to_numpy(float)
    out["rise_s"], out["set_s"], out["duration_s"] = t0, t1, t1 - t0
    out["open_at_start"] = out["open_at_start"].to_numpy(bool) & ~moved0
    out["open_at_end"] = out["open_at_end"].to_numpy(bool) & ~moved1
    return out[keep].reset_index(drop=True)

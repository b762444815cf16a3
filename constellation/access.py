"""Visibility between satellites and ground stations: contact windows refined by root finding."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .frames import geodetic_to_itrs, geodetic_up


@dataclass(frozen=True)
class Station:
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

    @property
    def itrs(self) -> np.ndarray:
        """ITRS position, km."""
        return geodetic_to_itrs(self.lat_deg, self.lon_deg, self.height_km)

    @property
    def up(self) -> np.ndarray:
        """Unit vector along the local vertical (ellipsoid normal)."""
        return geodetic_up(self.lat_deg, self.lon_deg)


def _station_arrays(stations: list[Station]):
    pos = np.array([s.itrs for s in stations]).reshape(-1, 3)
    up = np.array([s.up for s in stations]).reshape(-1, 3)
    sin_mask = np.sin(np.radians([s.min_elevation_deg for s in stations]))
    return pos, up, sin_mask


class _Geometry:
    """Satellite-station geometry for (satellite, station, time) triples, evaluated on demand."""

    def __init__(self, fleet, stations: list[Station]):
        self.fleet = fleet
        self.pos, self.up, self.sin_mask = _station_arrays(stations)

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


def grid_positions(fleet, sats, grid) -> np.ndarray:
    """ITRS positions (len(sats), T, 3) of some of the fleet's satellites on a time grid."""
    if len(sats) == len(fleet):
        return fleet.states(grid, frame="itrs")[0]
    idx = np.repeat(sats, len(grid))
    t = np.tile(grid, len(sats))
    return fleet.states(t, idx, frame="itrs")[0].reshape(len(sats), len(grid), 3)


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

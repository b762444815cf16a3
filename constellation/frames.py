"""Time scales and the GCRS <-> ITRS rotation, vectorised over many epochs.

The rotation is the IAU 2006/2000A CIO-based chain astropy uses for GCRS -> ITRS:
``r_itrs = W(xp, yp, s') R3(ERA) C2I r_gcrs``. Precession-nutation (C2I), polar motion and UT1 - TAI change slowly,
so they are evaluated by ERFA on a sparse grid of nodes and interpolated; the Earth rotation angle is evaluated
exactly at every epoch. Earth orientation comes from the IERS tables astropy bundles; nothing is downloaded, and
epochs beyond the tables use the last predicted values.

Times are float seconds elapsed since an epoch (SI seconds, as ``epoch + t * u.s`` in astropy).
"""

from __future__ import annotations

import math

import numpy as np

from .constants import F_EARTH, OMEGA_EARTH, R_EARTH

_NODE_STEP_S = 3 * 3600.0
_TABLE_STEP_S = 600.0


def _configure_iers() -> None:
    from astropy.utils import iers

    iers.conf.auto_download = False


_EOP = None


def _eop_cache_path():
    import os
    from pathlib import Path

    import astropy
    import astropy_iers_data

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "constellation"
    return base / f"eop-astropy{astropy.__version__}-iers{astropy_iers_data.__version__}.npz"


def _eop_arrays() -> dict:
    """Earth orientation (MJD, UT1-UTC in s, pole xp, yp in rad) from the IERS table astropy bundles.

    astropy parses the text table in about a second on every start; the four columns used here are kept in a
    small cache file beside the user's other caches, named after the astropy and IERS-data versions.
    """
    import os

    global _EOP
    if _EOP is not None:
        return _EOP
    path = _eop_cache_path()
    try:
        with np.load(path) as data:
            _EOP = {k: data[k] for k in ("mjd", "ut1_utc", "xp", "yp")}
            return _EOP
    except (OSError, KeyError, ValueError):
        pass
    from astropy.utils import iers

    _configure_iers()
    table = iers.earth_orientation_table.get()
    _EOP = {
        "mjd": np.asarray(table["MJD"].value, dtype=float),
        "ut1_utc": np.asarray(table["UT1_UTC"].to_value("s"), dtype=float),
        "xp": np.asarray(table["PM_x"].to_value("rad"), dtype=float),
        "yp": np.asarray(table["PM_y"].to_value("rad"), dtype=float),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, **_EOP)
        tmp.replace(path)
    except OSError:
        pass
    return _EOP


def _eop_at(jd1, jd2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UT1-UTC (s) and pole xp, yp (rad) at UTC Julian dates, interpolated as astropy's IERS tables do.

    Linear between daily values, a leap second inside an interval taken out of the UT1-UTC difference, and the
    first or last value held outside the table.
    """
    eop = _eop_arrays()
    total = (np.asarray(jd1, dtype=float) - 2400000.5) + np.asarray(jd2, dtype=float)
    mjd = np.floor(total)
    frac = total - mjd
    table = eop["mjd"]
    i = np.searchsorted(table, mjd, side="right")
    i1 = np.clip(i, 1, len(table) - 1)
    i0 = i1 - 1
    w = (mjd - table[i0] + frac) / (table[i1] - table[i0])
    out = []
    for name in ("ut1_utc", "xp", "yp"):
        col = eop[name]
        d = col[i1] - col[i0]
        if name == "ut1_utc":
            d = d - np.round(d)
        val = col[i0] + w * d
        val = np.where(i == 0, col[0], np.where(i == len(table), col[-1], val))
        out.append(val)
    return tuple(out)


class _JD:
    """A two-part Julian date (the ``jd1``, ``jd2`` pair ERFA takes)."""

    def __init__(self, jd1, jd2):
        self.jd1, self.jd2 = jd1, jd2


def _ut1_tt(times):
    """UT1 and TT (two-part Julian dates) of an astropy Time (UTC), Earth orientation from ``_eop_at``."""
    utc = times.utc
    dut1, _, _ = _eop_at(utc.jd1, utc.jd2)
    tt = utc.tt
    return _JD(utc.jd1, utc.jd2 + dut1 / 86400.0), _JD(tt.jd1, tt.jd2)


def _polar_motion(times) -> tuple[np.ndarray, np.ndarray]:
    """Pole coordinates xp, yp in radians from the IERS table (last values held beyond it)."""
    utc = times.utc
    _, xp, yp = _eop_at(utc.jd1, utc.jd2)
    return xp, yp


def earth_rotation_angle_at(time) -> float:
    """Earth rotation angle (rad) at an astropy Time."""
    import erfa

    ut1, _ = _ut1_tt(time)
    return float(erfa.era00(ut1.jd1, ut1.jd2))


def r3(angle: np.ndarray) -> np.ndarray:
    """Frame rotation about z by ``angle`` (rad), shape angle.shape + (3, 3)."""
    return r3_cs(np.cos(angle), np.sin(angle))


def r3_cs(c: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Frame rotation about z by the angle whose cosine and sine are ``c`` and ``s``."""
    m = np.zeros(np.shape(c) + (3, 3))
    m[..., 0, 0] = c
    m[..., 0, 1] = s
    m[..., 1, 0] = -s
    m[..., 1, 1] = c
    m[..., 2, 2] = 1.0
    return m


def rotate(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Apply rotation matrices ``m`` (..., 3, 3) to vectors ``v`` (..., 3), broadcasting."""
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    return np.stack(
        [
            m[..., 0, 0] * x + m[..., 0, 1] * y + m[..., 0, 2] * z,
            m[..., 1, 0] * x + m[..., 1, 1] * y + m[..., 1, 2] * z,
            m[..., 2, 0] * x + m[..., 2, 1] * y + m[..., 2, 2] * z,
        ],
        axis=-1,
    )


def rotate_each_time(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``rotate`` of vectors ``v`` (S, T, 3) by one matrix per time ``m`` (T, 3, 3), as T batched matrix products."""
    out = np.matmul(np.swapaxes(v, 0, 1), np.swapaxes(m, -1, -2))
    return np.ascontiguousarray(np.swapaxes(out, 0, 1))


def rotate_t(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Apply the transposes of rotation matrices ``m`` to vectors ``v``."""
    return rotate(np.swapaxes(m, -1, -2), v)


def _interp_rows(t, nodes, values):
    """Linear interpolation of ``values`` (N, ...) given at ``nodes`` (N,) to times ``t`` (any shape)."""
    t = np.asarray(t, dtype=float)
    idx = np.clip(np.searchsorted(nodes, t, side="right") - 1, 0, len(nodes) - 2)
    w = (t - nodes[idx]) / (nodes[idx + 1] - nodes[idx])
    w = w.reshape(w.shape + (1,) * (values.ndim - 1))
    return values[idx] * (1.0 - w) + values[idx + 1] * w


class EarthRotation:
    """GCRS <-> ITRS (and TEME -> ITRS) rotations for times in seconds since ``epoch``.

    ERFA evaluates precession-nutation and polar motion every three hours; those are interpolated onto a table
    every ten minutes, and each epoch uses the nearest row (nutation moves the pole by under 2e-9 rad in five
    minutes: under 0.1 m at geostationary distance). The Earth rotation angle is exact at every epoch. The tables
    grow lazily to cover every time asked for, so one instance serves a whole scenario.
    """

    def __init__(self, epoch, start_s: float = 0.0, end_s: float = 86400.0):
        from astropy.time import Time

        self.epoch = Time(epoch, scale="utc")
        ut1, tt = _ut1_tt(self.epoch)
        self._ut1_jd = (ut1.jd1, ut1.jd2)
        self._tt_jd = (tt.jd1, tt.jd2)
        self._utc_jd = (self.epoch.jd1, self.epoch.jd2)
        self._span = None
        self._cover(start_s, end_s)

    def _cover(self, start_s: float, end_s: float) -> None:
        if self._span is not None and self._span[0] <= start_s and end_s <= self._span[1]:
            return
        import astropy.units as u
        import erfa

        if self._span is not None:
            start_s, end_s = min(start_s, self._span[0]), max(end_s, self._span[1])
        lo = np.floor(start_s / _NODE_STEP_S) - 1
        hi = np.ceil(end_s / _NODE_STEP_S) + 1
        nodes = np.arange(lo, hi + 1) * _NODE_STEP_S
        times = self.epoch + nodes * u.s
        ut1, tt = _ut1_tt(times)
        # UT1 minus the epoch's UT1 advanced by elapsed SI seconds: a smooth offset of milliseconds per day.
        dut = ((ut1.jd1 - self._ut1_jd[0]) + (ut1.jd2 - self._ut1_jd[1])) * 86400.0 - nodes
        c2i = erfa.c2i06a(tt.jd1, tt.jd2)
        xp, yp = _polar_motion(times)
        w = erfa.pom00(xp, yp, erfa.sp00(tt.jd1, tt.jd2))
        self._table_t0 = nodes[0]
        fine = np.arange(nodes[0], nodes[-1] + 0.5 * _TABLE_STEP_S, _TABLE_STEP_S)
        self._dut = _interp_rows(fine, nodes, dut)
        self._c2i = _interp_rows(fine, nodes, c2i)
        self._w = _interp_rows(fine, nodes, w)
        self._span = (nodes[1], nodes[-2])

    def _rows(self, t: np.ndarray):
        """Table row nearest to each time, and the UT1 offset interpolated there."""
        self._cover(float(np.min(t)), float(np.max(t)))
        x = (t - self._table_t0) / _TABLE_STEP_S
        k = np.rint(x).astype(np.intp)
        j = np.minimum(np.floor(x).astype(np.intp), len(self._dut) - 2)
        frac = x - j
        dut = self._dut[j] * (1.0 - frac) + self._dut[j + 1] * frac
        return k, dut

    def era(self, t) -> np.ndarray:
        """Earth rotation angle (rad) at ``t`` seconds after the epoch."""
        import erfa

        t = np.asarray(t, dtype=float)
        _, dut = self._rows(t)
        return erfa.era00(self._ut1_jd[0], self._ut1_jd[1] + (t + dut) / 86400.0)

    def gcrs_to_itrs_matrix(self, t) -> np.ndarray:
        """Rotation matrices (..., 3, 3) taking GCRS vectors to ITRS at ``t``."""
        t = np.asarray(t, dtype=float)
        k, _ = self._rows(t)
        return np.matmul(self._w[k], np.matmul(r3(self.era(t)), self._c2i[k]))

    def utc_jd(self, t) -> tuple[float, np.ndarray]:
        """Two-part UTC Julian date at ``t`` (leap seconds inside the span are ignored)."""
        return self._utc_jd[0], self._utc_jd[1] + np.asarray(t, dtype=float) / 86400.0

    def tt_jd(self, t) -> tuple[float, np.ndarray]:
        """Two-part TT Julian date at ``t``."""
        return self._tt_jd[0], self._tt_jd[1] + np.asarray(t, dtype=float) / 86400.0

    def _angle(self, t, angle_fn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Table rows at ``t`` and cos, sin of the sidereal angle ``angle_fn`` gives for UT1 there."""
        t = np.asarray(t, dtype=float)
        k, dut = self._rows(t)
        theta = angle_fn(self._ut1_jd[0], self._ut1_jd[1] + (t + dut) / 86400.0)
        return k, np.cos(theta), np.sin(theta)

    @staticmethod
    def _spin(c, s, r):
        """Frame rotation about z by the angle whose cosine and sine are ``c`` and ``s``."""
        out = np.empty(np.broadcast_shapes(r.shape, np.shape(c) + (3,)))
        out[..., 0] = c * r[..., 0] + s * r[..., 1]
        out[..., 1] = c * r[..., 1] - s * r[..., 0]
        out[..., 2] = r[..., 2]
        return out

    def gcrs_to_itrs(self, t, r, v=None):
        """ITRS position (and velocity, with the Earth's rotation removed) from GCRS at ``t``."""
        import erfa

        k, c, s = self._angle(t, erfa.era00)
        w, c2i = self._w[k], self._c2i[k]
        r_tirs = self._spin(c, s, rotate(c2i, r))
        r_itrs = rotate(w, r_tirs)
        if v is None:
            return r_itrs
        v_tirs = self._spin(c, s, rotate(c2i, v)) - np.cross([0.0, 0.0, OMEGA_EARTH], r_tirs)
        return r_itrs, rotate(w, v_tirs)

    def gcrs_to_itrs_matrices(self, t) -> tuple[np.ndarray, np.ndarray]:
        """Matrices M and K (T, 3, 3) at ``t`` (T,) with r_itrs = M r and v_itrs = M v + K r for GCRS r, v.

        M = W R3(era) C2I; K = -omega W J R3(era) C2I, J the cross product with the z axis (the Earth's rotation
        removed from the velocity, as ``gcrs_to_itrs`` does). The same transformation as ``gcrs_to_itrs`` with
        its products regrouped (equal to ~1e-16 relative), for whole ephemerides: one batched matrix product per
        vector.
        """
        import erfa

        t = np.atleast_1d(np.asarray(t, dtype=float))
        k, c, s = self._angle(t, erfa.era00)
        n = np.matmul(r3_cs(c, s), self._c2i[k])
        w = self._w[k]
        m = np.matmul(w, n)
        jn = np.zeros_like(n)
        jn[:, 0, :] = -n[:, 1, :]
        jn[:, 1, :] = n[:, 0, :]
        return m, -OMEGA_EARTH * np.matmul(w, jn)

    def gcrs_to_itrs_one(self, t: float, x: float, y: float, z: float) -> tuple[float, float, float]:
        """``gcrs_to_itrs`` of one position at one time on Python floats, to the last bit, without array overhead."""
        import erfa

        self._cover(t, t)
        u = (t - self._table_t0) / _TABLE_STEP_S
        k = int(np.rint(u))
        j = min(math.floor(u), len(self._dut) - 2)
        frac = u - j
        dut = float(self._dut[j]) * (1.0 - frac) + float(self._dut[j + 1]) * frac
        theta = float(erfa.era00(self._ut1_jd[0], self._ut1_jd[1] + (t + dut) / 86400.0))
        c, s = math.cos(theta), math.sin(theta)
        (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = self._c2i[k].tolist()
        px, py, pz = a0 * x + a1 * y + a2 * z, b0 * x + b1 * y + b2 * z, c0 * x + c1 * y + c2 * z
        qx, qy = c * px + s * py, c * py - s * px
        (a0, a1, a2), (b0, b1, b2), (c0, c1, c2) = self._w[k].tolist()
        return a0 * qx + a1 * qy + a2 * pz, b0 * qx + b1 * qy + b2 * pz, c0 * qx + c1 * qy + c2 * pz

    def itrs_to_gcrs(self, t, r, v=None):
        """GCRS position (and velocity) from ITRS at ``t``."""
        import erfa

        k, c, s = self._angle(t, erfa.era00)
        w, c2i = self._w[k], self._c2i[k]
        r_tirs = rotate_t(w, r)
        r_gcrs = rotate_t(c2i, self._spin(c, -s, r_tirs))
        if v is None:
            return r_gcrs
        v_tirs = rotate_t(w, v) + np.cross([0.0, 0.0, OMEGA_EARTH], r_tirs)
        return r_gcrs, rotate_t(c2i, self._spin(c, -s, v_tirs))

    def teme_to_itrs(self, t, r, v):
        """ITRS state from SGP4's TEME state (Vallado et al. 2006, AIAA 2006-6753, via the pseudo-Earth-fixed frame)."""
        import erfa

        k, c, s = self._angle(t, erfa.gmst82)
        w = self._w[k]
        r_pef = self._spin(c, s, r)
        v_pef = self._spin(c, s, v) - np.cross([0.0, 0.0, OMEGA_EARTH], r_pef)
        return rotate(w, r_pef), rotate(w, v_pef)

    def cip_in_gcrs(self, t: float) -> np.ndarray:
        """Unit vector of the celestial intermediate pole (the true rotation axis) in GCRS."""
        k, _ = self._rows(np.asarray(t, dtype=float))
        return self._c2i[k][2]


def geodetic_to_itrs(lat_deg, lon_deg, alt_km) -> np.ndarray:
    """WGS84 geodetic latitude, longitude (deg) and height (km) to ITRS positions (..., 3) in km."""
    import erfa

    return erfa.gd2gce(
        R_EARTH, F_EARTH, np.radians(np.asarray(lon_deg, dtype=float)), np.radians(np.asarray(lat_deg, dtype=float)),
        np.asarray(alt_km, dtype=float),
    )


def geodetic_up(lat_deg, lon_deg) -> np.ndarray:
    """Unit normal to the WGS84 ellipsoid (local 'up') at geodetic latitude and longitude (deg)."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)


def itrs_to_geodetic(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 geodetic latitude, longitude (deg) and height (km) of ITRS positions (..., 3) in km."""
    import erfa

    flat = np.asarray(r, dtype=float).reshape(-1, 3)
    lon, lat, h = erfa.gc2gde(R_EARTH, F_EARTH, flat)
    shape = np.shape(r)[:-1]
    return np.degrees(lat).reshape(shape), np.degrees(lon).reshape(shape), h.reshape(shape)


_SUN_NODE_STEP_S = 600.0
_SUN_PAD_NODES = 3


class SunEphemeris:
    """The Sun's apparent geocentric position (GCRS, km) for times in seconds since ``epoch``.

    astropy's ``get_sun`` (light time and annual aberration applied: the direction sunlight arrives from in a frame
    moving with the Earth, hence the axis of the Earth's shadow) is evaluated on nodes and interpolated by cubic
    Hermite polynomials per component (slopes by central differences): within 2 cm of ``get_sun``, negligible beside
    get_sun's own error. The apparent and geometric Sun differ by 20". Nodes are added
    lazily to cover every time asked for.
    """

    def __init__(self, epoch, start_s: float = 0.0, end_s: float = 86400.0):
        from astropy.time import Time

        self.epoch = Time(epoch, scale="utc")
        self._nodes = np.zeros(0, dtype=np.int64)
        self._xyz = np.zeros((0, 3))
        self._slopes = np.zeros((0, 3))
        self._span = None
        self._cover(start_s, end_s)

    def _cover(self, start_s: float, end_s: float) -> None:
        if self._span is not None and self._span[0] <= start_s and end_s <= self._span[1]:
            return
        import astropy.units as u
        from astropy.coordinates import get_sun

        lo = int(np.floor(start_s / _SUN_NODE_STEP_S)) - _SUN_PAD_NODES
        hi = int(np.ceil(end_s / _SUN_NODE_STEP_S)) + _SUN_PAD_NODES
        if len(self._nodes):
            lo, hi = min(lo, int(self._nodes[0])), max(hi, int(self._nodes[-1]))
        nodes = np.arange(lo, hi + 1, dtype=np.int64)
        xyz = np.empty((len(nodes), 3))
        new = np.ones(len(nodes), dtype=bool)
        if len(self._nodes):
            old = slice(int(self._nodes[0]) - lo, int(self._nodes[-1]) - lo + 1)
            xyz[old] = self._xyz
            new[old] = False
        times = self.epoch + nodes[new] * _SUN_NODE_STEP_S * u.s
        xyz[new] = get_sun(times).cartesian.xyz.to_value(u.km).T
        self._nodes, self._xyz = nodes, xyz
        self._slopes = np.gradient(xyz, _SUN_NODE_STEP_S, axis=0)
        self._span = ((lo + _SUN_PAD_NODES) * _SUN_NODE_STEP_S, (hi - _SUN_PAD_NODES) * _SUN_NODE_STEP_S)

    def gcrs(self, t) -> np.ndarray:
        """GCRS position of the Sun (..., 3) in km at ``t`` seconds after the epoch."""
        t = np.asarray(t, dtype=float)
        if t.size:
            self._cover(float(np.min(t)), float(np.max(t)))
        h = _SUN_NODE_STEP_S
        x = t / h - self._nodes[0]
        k = np.clip(np.floor(x).astype(np.intp), 1, len(self._nodes) - 3)
        s = (x - k)[..., None]
        s2, s3 = s * s, s * s * s
        return ((2 * s3 - 3 * s2 + 1) * self._xyz[k] + (s3 - 2 * s2 + s) * h * self._slopes[k]
                + (-2 * s3 + 3 * s2) * self._xyz[k + 1] + (s3 - s2) * h * self._slopes[k + 1])

    def itrs(self, t, rotation: EarthRotation) -> np.ndarray:
        """ITRS position of the Sun (..., 3) in km at ``t``; ``rotation`` must share the epoch."""
        ep = rotation.epoch
        if abs((ep.jd1 - self.epoch.jd1) + (ep.jd2 - self.epoch.jd2)) > 1e-9:
            raise ValueError(f"Earth rotation epoch {ep.isot} differs from the Sun ephemeris epoch {self.epoch.isot}")
        t = np.asarray(t, dtype=float)
        return rotation.gcrs_to_itrs(t, self.gcrs(t))

"""Orbits given as states over time (an OEM ephemeris, a numerically integrated orbit), interpolated on demand.

A ``Trajectory`` is what a fleet member is when its orbit is not a formula: GCRS states at tabulated instants,
evaluated anywhere in between by a sliding-window polynomial. ``Tabulated`` holds a fixed table (it refuses times
outside it); subclasses that can extend their table (``NumericalOrbit``) override ``cover``.
"""

from __future__ import annotations

import numpy as np

from ..constants import MU_EARTH

INTERPOLATIONS = ("hermite", "lagrange")
EDGE_TOLERANCE_S = 1e-6
"""How far outside its table a trajectory is still evaluated (rounding of epoch differences), s."""


class OutsideCoverage(ValueError):
    """A time outside the span a trajectory's table covers."""


def nodes_for(method: str, degree: int) -> int:
    """Table rows one interpolation uses: degree + 1 for Lagrange, (degree + 1) / 2 for Hermite (positions and
    velocities at each row fix a polynomial of degree 2n - 1, the convention of the OEM's INTERPOLATION_DEGREE)."""
    if method not in INTERPOLATIONS:
        raise ValueError(f"interpolation must be one of {', '.join(INTERPOLATIONS)} (got {method!r})")
    degree = int(degree)
    if degree < 1:
        raise ValueError(f"interpolation degree must be at least 1 (got {degree})")
    if method == "lagrange":
        return degree + 1
    if degree % 2 == 0:
        raise ValueError(f"a Hermite interpolation degree is odd, 2n - 1 for n rows (got {degree})")
    return (degree + 1) // 2


def _windows(nodes: np.ndarray, t: np.ndarray, n: int) -> np.ndarray:
    """First row of the n-row window centred on each query time, arrays of ints (M,): around the interval holding
    t for an even n, around the nearest row for an odd n (shifted inward at the ends of the table)."""
    right = np.searchsorted(nodes, t, side="right")
    if n % 2:
        after = np.minimum(right, len(nodes) - 1)
        before = np.maximum(right - 1, 0)
        nearest = np.where(nodes[after] - t < t - nodes[before], after, before)
        first = nearest - n // 2
    else:
        first = right - n // 2
    return np.clip(first, 0, len(nodes) - n)


def _basis(x: np.ndarray, t: np.ndarray):
    """Lagrange basis values L_j(t) and derivatives L_j'(t) over each query's window: x (M, n), t (M,) -> (M, n)."""
    n = x.shape[1]
    dt = t[:, None] - x
    ell = np.ones_like(x)
    d_ell = np.zeros_like(x)
    for j in range(n):
        for k in range(n):
            if k == j:
                continue
            inv = 1.0 / (x[:, j] - x[:, k])
            term = dt[:, k] * inv
            d_ell[:, j] = d_ell[:, j] * term + ell[:, j] * inv
            ell[:, j] = ell[:, j] * term
    return ell, d_ell


def interpolate(nodes, r, v, t, method: str = "hermite", degree: int = 5):
    """Positions and velocities at ``t`` from states (r, v) at ``nodes``: sliding-window Lagrange or Hermite.

    Lagrange interpolates positions and velocities separately (degree + 1 rows); Hermite takes each row's velocity
    as the derivative of position (degree 2n - 1 over n rows) and returns the derivative of the interpolant as the
    velocity. The window is the n rows around ``t`` (shifted inward at the ends of the table).
    """
    nodes = np.asarray(nodes, dtype=float)
    t = np.atleast_1d(np.asarray(t, dtype=float))
    n = nodes_for(method, degree)
    if len(nodes) < n:
        raise ValueError(f"{method} interpolation of degree {degree} needs {n} rows; the table has {len(nodes)}")
    first = _windows(nodes, t, n)
    rows = first[:, None] + np.arange(n)
    scale = np.maximum(nodes[rows[:, -1]] - nodes[rows[:, 0]], 1e-300)
    origin = nodes[rows[:, 0]]
    x = (nodes[rows] - origin[:, None]) / scale[:, None]
    u = (t - origin) / scale
    ell, d_ell = _basis(x, u)
    f, df = r[rows], v[rows]
    if method == "lagrange":
        return np.einsum("mj,mjc->mc", ell, f), np.einsum("mj,mjc->mc", ell, df)
    df = df * scale[:, None, None]
    c = np.zeros_like(x)
    for j in range(n):
        for k in range(n):
            if k != j:
                c[:, j] += 1.0 / (x[:, j] - x[:, k])
    du = (u[:, None] - x)[:, :, None]
    lin = f * (1.0 - 2.0 * c[:, :, None] * du) + df * du
    d_lin = -2.0 * c[:, :, None] * f + df
    ell3, d_ell3 = ell[:, :, None], d_ell[:, :, None]
    pos = np.sum(ell3**2 * lin, axis=1)
    vel = np.sum(2.0 * ell3 * d_ell3 * lin + ell3**2 * d_lin, axis=1) / scale[:, None]
    return pos, vel


class Trajectory:
    """An orbit known as GCRS states (km, km/s) at times ``t`` (s after ``epoch``, UTC), interpolated between."""

    def __init__(self, epoch, t, r, v, *, interpolation: str = "hermite", degree: int = 5, name: str = ""):
        from astropy.time import Time

        self.epoch = Time(epoch, scale="utc")
        self.name = name
        self.interpolation = interpolation
        self.degree = int(degree)
        self._n = nodes_for(interpolation, degree)
        self._set(t, r, v)

    def _set(self, t, r, v) -> None:
        t = np.asarray(t, dtype=float)
        r = np.asarray(r, dtype=float).reshape(-1, 3)
        v = np.asarray(v, dtype=float).reshape(-1, 3)
        if not (t.ndim == 1 and len(t) == len(r) == len(v)):
            raise ValueError("times, positions and velocities must have one row per time")
        if len(t) < self._n:
            raise ValueError(f"{self.interpolation} interpolation of degree {self.degree} needs at least {self._n} "
                             f"states; got {len(t)}")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(r)) and np.all(np.isfinite(v))):
            raise ValueError("every time, position and velocity must be a finite number")
        if np.any(np.diff(t) <= 0):
            k = int(np.argmax(np.diff(t) <= 0))
            raise ValueError(f"times must increase strictly (row {k + 2} does not come after row {k + 1})")
        self.t, self.r, self.v = t, r, v

    @property
    def coverage(self) -> tuple[float, float]:
        """First and last tabulated time, s after ``epoch``."""
        return float(self.t[0]), float(self.t[-1])

    def cover(self, start: float, end: float) -> None:
        """Make the table reach [start, end] (s after ``epoch``), or raise ``OutsideCoverage``."""
        t0, t1 = self.coverage
        if start < t0 - EDGE_TOLERANCE_S or end > t1 + EDGE_TOLERANCE_S:
            raise OutsideCoverage(
                f"{self.name or 'the ephemeris'} covers {self._iso(t0)} to {self._iso(t1)}; asked for "
                f"{self._iso(start)} to {self._iso(end)}"
            )

    def _iso(self, s: float) -> str:
        import astropy.units as u

        return (self.epoch + s * u.s).utc.isot[:19]

    def states(self, t):
        """GCRS positions (km) and velocities (km/s) at ``t`` (s after ``epoch``), arrays (N, 3)."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        if len(t):
            self.cover(float(np.min(t)), float(np.max(t)))
        return interpolate(self.t, self.r, self.v, t, self.interpolation, self.degree)

    def radius_range(self) -> tuple[float, float]:
        """Smallest and largest tabulated distance from the Earth's centre, km."""
        radius = np.linalg.norm(self.r, axis=1)
        return float(radius.min()), float(radius.max())

    def semi_major_axis(self) -> float:
        """Osculating semi-major axis at the first tabulated state (vis-viva), km."""
        r = float(np.linalg.norm(self.r[0]))
        v2 = float(np.dot(self.v[0], self.v[0]))
        energy = 2.0 / r - v2 / MU_EARTH
        return 1.0 / energy if energy > 0 else float("inf")

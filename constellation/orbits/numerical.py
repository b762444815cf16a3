"""Numerically integrated orbits: boinor's Cowell propagator under a chosen force model, tabulated as a trajectory.

A ``NumericalOrbit`` is a fleet member's ``Trajectory`` like an OEM, except that it makes its own table: the first
time it is evaluated it integrates the equations of motion (two-body plus the accelerations of its ``ForceModel``)
with boinor's DOP853 over the span asked for, once, and keeps the GCRS states every ``step`` seconds; between them
the sliding-window Hermite interpolation of ``Trajectory`` gives the state anywhere. Asked for more, it extends its
table. Nothing here imports boinor until an orbit is integrated (its kernels compile for seconds in a fresh process).
"""

from __future__ import annotations

import logging
import math
import sys
import time
from dataclasses import dataclass

import numpy as np

from ..constants import J2_EARTH, MU_EARTH, R_EARTH
from .elements import Elements
from .propagation import mean_elements_state
from .tabulated import EDGE_TOLERANCE_S, Trajectory, interpolate, nodes_for

log = logging.getLogger(__name__)

DRAG_MODELS = ("exponential", "coesa76", "jacchia77")
"""Atmospheric density models: boinor's exponential atmosphere (rho0 exp(-h / H0) from sea level, a textbook
model far too thin above ~150 km), the U.S. Standard Atmosphere 1976 (one profile, moderate solar activity) and
Jacchia 1977 (its exospheric temperature sets the solar activity)."""

THIRD_BODIES = ("sun", "moon")

REENTRY_ALTITUDE_KM = 100.0
"""Height above the equatorial radius at which an orbit has re-entered: the integration stops there."""

RTOL = 1e-11
"""Relative tolerance of the integration (boinor's default): about 1 mm of error per day in LEO."""

DEGREE = 7
"""Hermite interpolation degree of the table (4 states per window)."""

STEPS_PER_REVOLUTION = 48
"""Table rows per revolution at the perigee's angular rate: 119 s at 530 km, interpolation error ~3e-5 m."""

MAX_STEP_S = 600.0

CHUNK_S = 86400.0
"""Longest stretch integrated in one call of boinor's Cowell propagator (its dense output is kept in memory)."""

MAX_SHARED_ROWS = 1_000_000
"""Table rows kept for orbits built again in the same process (56 MB; 1,400 satellite-days in LEO)."""

_SHARED: dict[tuple, tuple] = {}


@dataclass(frozen=True)
class ForceModel:
    """What acts on a numerically integrated satellite besides the Earth's central gravity (km, s, kg).

    ``ballistic`` is Cd A / m (km^2/kg) and ``srp`` is Cr A / m (km^2/kg, 0 for none); ``exospheric_temperature``
    (K) sets the solar activity of the 'jacchia77' atmosphere (about 700 K at solar minimum, 1000 K moderate, 1400 K
    and more at maximum).
    """

    j2: bool = True
    j3: bool = False
    drag: str | None = None
    ballistic: float = 0.0
    exospheric_temperature: float = 1000.0
    srp: float = 0.0
    third_body: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "third_body", tuple(self.third_body))
        if self.drag is not None and self.drag not in DRAG_MODELS:
            raise ValueError(f"drag model must be one of {', '.join(DRAG_MODELS)} (got {self.drag!r})")
        if self.drag is not None and not (math.isfinite(self.ballistic) and self.ballistic > 0.0):
            raise ValueError(f"drag needs Cd A / m > 0 km^2/kg (got {self.ballistic!r})")
        if not (math.isfinite(self.srp) and self.srp >= 0.0):
            raise ValueError(f"radiation pressure needs Cr A / m >= 0 km^2/kg (got {self.srp!r})")
        if not (math.isfinite(self.exospheric_temperature) and self.exospheric_temperature > 0.0):
            raise ValueError(f"exospheric temperature must be > 0 K (got {self.exospheric_temperature!r})")
        unknown = [b for b in self.third_body if b not in THIRD_BODIES]
        if unknown or len(set(self.third_body)) != len(self.third_body):
            raise ValueError(f"third bodies are {' and '.join(THIRD_BODIES)}, each once (got {list(self.third_body)})")

    @property
    def ballistic_coefficient(self) -> float:
        """m / (Cd A), kg/m^2 (inf without drag)."""
        return 1e-6 / self.ballistic if self.ballistic > 0.0 else math.inf

    def describe(self) -> str:
        """The model in words: 'J2, drag (coesa76, m/(Cd A) 72.7 kg/m^2), Sun'."""
        parts = [name for name, on in (("J2", self.j2), ("J3", self.j3)) if on]
        if self.drag:
            extra = f", {self.exospheric_temperature:g} K" if self.drag == "jacchia77" else ""
            parts.append(f"drag ({self.drag}{extra}, m/(Cd A) {self.ballistic_coefficient:.3g} kg/m^2)")
        if self.srp:
            parts.append(f"radiation pressure (m/(Cr A) {1e-6 / self.srp:.3g} kg/m^2)")
        parts += [b.capitalize() for b in self.third_body]
        return ", ".join(parts) if parts else "two-body"


class Density:
    """Atmospheric density (kg/km^3) of one of ``DRAG_MODELS`` at heights (km) above the equatorial radius.

    A natural cubic spline of ln rho through boinor's values at every whole km (smooth, so that adaptive
    integrators keep long steps; within 0.12 % of log-linear interpolation), exact for the exponential model, and
    beyond the ends of the model along the spline's end slope.
    """

    def __init__(self, model: str, exospheric_temperature: float = 1000.0):
        from . import boinor_bridge

        if model == "exponential":
            rho0, h0 = boinor_bridge.exponential_atmosphere()
            z = np.array([0.0, 1.0])
            coef = np.array([[0.0], [0.0], [-1.0 / h0], [np.log(rho0)]])
        else:
            from scipy.interpolate import CubicSpline

            z, log_rho = boinor_bridge.density_table(model, exospheric_temperature)
            coef = CubicSpline(z, log_rho, bc_type="natural").c
        self.model = model
        self.z0, self.dz, self.n = float(z[0]), float(z[1] - z[0]), len(z) - 1
        self.top = self.z0 + self.n * self.dz
        self.coef = coef
        self._rows = [tuple(map(float, coef[:, i])) for i in range(self.n)]
        self.log_bottom, self.slope_bottom = float(coef[3, 0]), float(coef[2, 0])
        c = coef[:, -1]
        self.log_top = float(((c[0] * self.dz + c[1]) * self.dz + c[2]) * self.dz + c[3])
        self.slope_top = float((3.0 * c[0] * self.dz + 2.0 * c[1]) * self.dz + c[2])

    def __call__(self, h):
        if np.ndim(h) == 0:
            x = float(h) - self.z0
            if x <= 0.0:
                return math.exp(self.log_bottom + self.slope_bottom * x)
            i = int(x / self.dz)
            if i >= self.n:
                return math.exp(self.log_top + self.slope_top * (float(h) - self.top))
            x -= i * self.dz
            c0, c1, c2, c3 = self._rows[i]
            return math.exp(((c0 * x + c1) * x + c2) * x + c3)
        h = np.asarray(h, dtype=float)
        x = h - self.z0
        i = np.clip((x // self.dz).astype(int), 0, self.n - 1)
        x = x - i * self.dz
        c = self.coef[:, i]
        out = ((c[0] * x + c[1]) * x + c[2]) * x + c[3]
        out = np.where(h > self.top, self.log_top + self.slope_top * (h - self.top), out)
        out = np.where(h < self.z0, self.log_bottom + self.slope_bottom * (h - self.z0), out)
        return np.exp(out)


_DENSITIES: dict[tuple, Density] = {}


def density_of(forces: ForceModel) -> Density | None:
    """The ``Density`` of a force model's drag (one per model and temperature per process), None without drag."""
    if not forces.drag:
        return None
    key = (forces.drag, forces.exospheric_temperature if forces.drag == "jacchia77" else None)
    if key not in _DENSITIES:
        _DENSITIES[key] = Density(forces.drag, forces.exospheric_temperature)
    return _DENSITIES[key]


def table_step(elements: Elements) -> float:
    """Seconds between table rows for an orbit: ``STEPS_PER_REVOLUTION`` per turn at its perigee's angular rate,
    whole seconds, at most ``MAX_STEP_S``."""
    a, e = float(elements.a[0]), float(elements.ecc[0])
    rp = a * (1.0 - e)
    rate = np.sqrt(MU_EARTH * (2.0 / rp - 1.0 / a)) / rp
    return float(min(MAX_STEP_S, max(1.0, np.floor(2.0 * np.pi / rate / STEPS_PER_REVOLUTION))))


class NumericalOrbit(Trajectory):
    """One satellite integrated by boinor's Cowell propagator (DOP853) under a ``ForceModel`` from ``epoch`` (UTC).

    The elements are taken as OSCULATING at the epoch; a mean-element set (such as the 'j2' model's) started this
    way flies a mean semi-major axis off by the J2 short-period term, up to 1.5 J2 R^2 / a (9 km at 530 km).
    Until its first evaluation nothing is integrated; ``radius_range`` and ``semi_major_axis`` then come from the
    elements (drag only lowers an orbit: with drag the lowest radius is the re-entry altitude's). An orbit that
    descends through ``REENTRY_ALTITUDE_KM`` stops there (``reentry_s``); its states after are NaN. With ``shared``
    the same orbit (elements, epoch, forces, tolerance and step) built again in the process starts from the table
    already integrated (a scenario's fleet is built by the run, its network, its plots...).
    """

    def __init__(self, elements: Elements, epoch, forces: ForceModel | None = None, *, name: str = "",
                 rtol: float = RTOL, step: float | None = None, degree: int = DEGREE, shared: bool = True):
        from astropy.time import Time

        if len(elements) != 1:
            raise ValueError(f"a NumericalOrbit is one satellite; got {len(elements)} element sets")
        self.epoch = Time(epoch, scale="utc")
        self.name = name
        self.interpolation = "hermite"
        self.degree = int(degree)
        self._n = nodes_for("hermite", degree)
        self.elements = elements
        self.forces = forces if forces is not None else ForceModel()
        self.rtol = float(rtol)
        self.step = table_step(elements) if step is None else float(step)
        r0, v0 = mean_elements_state(elements.a, elements.ecc, elements.inc, elements.raan, elements.argp,
                                     elements.mean_anomaly, 0.0, j2=False)
        self.t, self.r, self.v = np.zeros(1), r0.reshape(1, 3), v0.reshape(1, 3)
        self.reentry_s: float | None = None
        self.integration_s = 0.0
        self._together: _Together | None = None
        self._key = None
        if shared:
            self._key = (tuple(float(getattr(elements, f)[0]) for f in ("a", "ecc", "inc", "raan", "argp",
                                                                         "mean_anomaly")),
                         float(self.epoch.jd1), float(self.epoch.jd2), self.forces, self.rtol, self.step)
            if self._key in _SHARED:
                self.t, self.r, self.v, self.reentry_s = _SHARED[self._key]

    @property
    def integrated(self) -> bool:
        """Whether any of the orbit has been integrated yet."""
        return len(self.t) > 1 or self.reentry_s is not None

    @property
    def coverage(self) -> tuple[float, float]:
        """First and last time integrated so far, s after ``epoch`` (the epoch alone before any integration)."""
        return float(self.t[0]), float(self.t[-1])

    def cover(self, start: float, end: float) -> None:
        """Integrate (once, or further) so that the table reaches [start, end] s after ``epoch``; past a re-entry
        there is nothing more to integrate."""
        if not self.integrated and self._together is not None:
            self._together.run(start, end)
        self._extend(start, end)

    def _extend(self, start: float, end: float) -> None:
        if self._key is not None and len(_SHARED.get(self._key, ((),))[0]) > len(self.t):
            self.t, self.r, self.v, self.reentry_s = _SHARED[self._key]
        h = self.step
        lo, hi = round(self.t[0] / h), round(self.t[-1] / h)
        k0 = min(lo, math.floor((start + EDGE_TOLERANCE_S) / h))
        k1 = max(hi, math.ceil((end - EDGE_TOLERANCE_S) / h))
        k1 = max(k1, k0 + self._n - 1)
        if (k0 >= lo and (k1 <= hi or self.reentry_s is not None)) or not (np.isfinite(start) and np.isfinite(end)):
            return
        from . import boinor_bridge

        boinor_bridge.prepare(self.forces)
        started = time.perf_counter()
        per_chunk = max(1, int(CHUNK_S // h))
        density = density_of(self.forces)
        while hi < k1 and self.reentry_s is None:
            k_next = min(k1, hi + per_chunk)
            t_from = hi * h
            tofs = np.arange(hi + 1, k_next + 1) * h - t_from
            f = boinor_bridge.dynamics(self.forces, density, self.epoch, t_from, k_next * h, 1)
            times, r, v, stopped = boinor_bridge.cowell_states(
                self.r[-1], self.v[-1], tofs, f, rtol=self.rtol, stop_altitude=REENTRY_ALTITUDE_KM)
            keep = times > 1e-9
            self.t = np.concatenate([self.t, t_from + times[keep]])
            self.r = np.concatenate([self.r, r[keep]])
            self.v = np.concatenate([self.v, v[keep]])
            if stopped:
                self.reentry_s = float(self.t[-1])
            hi = k_next
        while lo > k0:
            k_next = max(k0, lo - per_chunk)
            t_from = lo * h
            tofs = t_from - np.arange(lo - 1, k_next - 1, -1) * h
            f = boinor_bridge.dynamics(self.forces, density, self.epoch, t_from, k_next * h, -1)
            times, r, v, _ = boinor_bridge.cowell_states(self.r[0], self.v[0], tofs, f, rtol=self.rtol)
            self.t = np.concatenate([(t_from - times)[::-1], self.t])
            self.r = np.concatenate([r[::-1], self.r])
            self.v = np.concatenate([v[::-1], self.v])
            lo = k_next
        self.integration_s += time.perf_counter() - started
        if self._key is not None:
            _share(self._key, (self.t, self.r, self.v, self.reentry_s))

    def states(self, t):
        """GCRS positions (km) and velocities (km/s) at ``t`` (s after ``epoch``), arrays (N, 3); NaN after a
        re-entry."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        finite = t[np.isfinite(t)]
        if len(finite):
            self.cover(float(np.min(finite)), float(np.max(finite)))
        degree = min(self.degree, 2 * len(self.t) - 1)
        r, v = interpolate(self.t, self.r, self.v, t, "hermite", degree)
        if self.reentry_s is not None:
            gone = ~(t <= self.reentry_s + EDGE_TOLERANCE_S)
            r[gone] = np.nan
            v[gone] = np.nan
        return r, v

    def radius_range(self) -> tuple[float, float]:
        """Bounds of the distance from the Earth's centre, km: from the table once integrated (widened by what the
        interpolation can reach between rows), before that from the elements widened by the J2 short-period and
        long-period terms (with drag, down to the re-entry altitude)."""
        a, e = float(self.elements.a[0]), float(self.elements.ecc[0])
        floor = R_EARTH + REENTRY_ALTITUDE_KM
        if self.integrated:
            radius = np.linalg.norm(self.r, axis=1)
            pad = 0.01 * a * e + 0.01
            return max(float(radius.min()) - pad, floor), float(radius.max()) + pad
        margin = 3.0 * J2_EARTH * R_EARTH**2 / a + 10.0
        low = floor if self.forces.drag else max(a * (1.0 - e) - margin, floor)
        return low, a * (1.0 + e) + margin

    def semi_major_axis(self) -> float:
        """The osculating semi-major axis at the epoch, km (drag only lowers it)."""
        return float(self.elements.a[0])


def _share(key: tuple, table: tuple) -> None:
    """Keep an orbit's table for the same orbit built again in this process, oldest out first past
    ``MAX_SHARED_ROWS``."""
    _SHARED.pop(key, None)
    _SHARED[key] = table
    rows = sum(len(t[0]) for t in _SHARED.values())
    while rows > MAX_SHARED_ROWS and len(_SHARED) > 1:
        rows -= len(_SHARED.pop(next(iter(_SHARED)))[0])


class _Together:
    """Numerical orbits integrated one after the other the first time any of them is evaluated, over a common span."""

    def __init__(self, orbits: list[NumericalOrbit], start: float, end: float, progress=None):
        self.orbits, self.start, self.end, self.progress = orbits, float(start), float(end), progress

    def run(self, start: float, end: float) -> None:
        start, end = min(start, self.start), max(end, self.end)
        began = time.perf_counter()
        for k, orbit in enumerate(self.orbits):
            orbit._extend(start, end)
            if self.progress is not None:
                self.progress("numerical orbits", k + 1, len(self.orbits))
        days = (end - start) / 86400.0
        log.info("integrated %d orbits over %.3g d in %.2f s", len(self.orbits), days, time.perf_counter() - began)


def integrate_together(orbits, start_s: float, end_s: float, progress=None) -> None:
    """Integrate every orbit of ``orbits`` over [start_s, end_s] the first time any of them is evaluated (a fleet
    needs them all at once); ``progress(stage, done, total)`` is called after each."""
    together = _Together(list(orbits), start_s, end_s, progress)
    for orbit in together.orbits:
        orbit._together = together


def compile_cost() -> float | None:
    """Seconds boinor took in this process to import and compile its propagator's kernels (once per process), or
    None when no orbit has been integrated here."""
    bridge = sys.modules.get(f"{__package__}.boinor_bridge")
    cost = bridge.compile_cost() if bridge is not None else 0.0
    return cost or None


def compile_note() -> str | None:
    """'boinor compiled its propagator in 8.9 s (once per process)', or None when it has not."""
    cost = compile_cost()
    return None if cost is None else f"boinor compiled its propagator in {cost:.1f} s (once per process)"

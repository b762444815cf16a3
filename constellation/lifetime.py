"""Orbital lifetime under atmospheric drag: each satellite's decay rate now, its re-entry date, its altitude over time.

Following every revolution for years costs too much (boinor's Cowell propagator needs about 0.05 s per satellite-day
at the loosest tolerance that still dates a re-entry to 0.3 %), so the lifetime integrates the orbit-averaged
equations of drag instead (King-Hele): the rates of the mean semi-major axis and eccentricity, averaged over a
revolution of the Kepler ellipse, with the scenario's density model and ballistic coefficient, by an adaptive
Runge-Kutta method (Dormand-Prince 5(4)) whose steps grow to weeks while the decay is slow. The mean elements are those of the first
revolution of each satellite's numerical orbit (Cowell, with all its forces), so the lifetime starts from the orbit
the scenario flies, and the density is taken at the mean radius that orbit keeps (J2 holds it a few km off the mean
semi-major axis). The satellite has re-entered when that radius (the perigee's, for an eccentric orbit) is
``reentry_altitude`` above the equatorial radius.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .constants import MU_EARTH, R_EARTH
from .orbits.numerical import REENTRY_ALTITUDE_KM, NumericalOrbit, density_of

DEFAULT_HORIZON = "25 yr"
YEAR_S = 365.25 * 86400.0
MAX_HORIZON_S = 200 * YEAR_S
"""Longest horizon, s: two centuries, far past what any density model foresees."""

RTOL = 1e-8
"""Relative tolerance of the orbit-averaged integration."""

POINTS_PER_REVOLUTION = 64
"""Eccentric anomalies the drag rates are averaged over (a periodic trapezoid: spectral accuracy)."""

SUMMARY_COLUMNS = ["satellite", "group", "mean_altitude_km", "perigee_altitude_km", "decay_km_per_day", "reentry_utc",
                   "lifetime_years", "status", "ballistic_kg_m2", "density"]
ALTITUDE_COLUMNS = ["satellite", "days", "mean_altitude_km", "perigee_altitude_km", "apogee_altitude_km"]

DENSITY_WORDS = {
    "coesa76": "U.S. Standard Atmosphere 1976 (boinor's COESA76): one fixed profile, about moderate solar activity, "
               "no solar cycle",
    "exponential": "boinor's exponential atmosphere, 1.3 kg/m3 exp(-h / 8.5 km) from sea level: a textbook model, "
                   "far too thin above ~150 km",
}


class LifetimeError(ValueError):
    """A lifetime that cannot be computed: no satellite with drag, or a bad horizon."""


@dataclass
class Decay:
    """One orbit's decay: times (s), mean semi-major axis (km) and eccentricity at them, the radius offset (km) of
    the mean orbit, the decay rate at the start (km/day) and the re-entry time (s, None beyond the horizon)."""

    t: np.ndarray
    a: np.ndarray
    e: np.ndarray
    offset: float
    rate_km_per_day: float
    reentry_s: float | None


_ANOMALIES = 2.0 * np.pi * np.arange(POINTS_PER_REVOLUTION) / POINTS_PER_REVOLUTION
_COS_E = np.cos(_ANOMALIES)


def averaged_rates(a: float, e: float, ballistic: float, density, offset: float = 0.0) -> tuple[float, float]:
    """Orbit-averaged da/dt (km/s) and de/dt (1/s) of drag on the inertial velocity, -1/2 rho (Cd A / m) v v.

    Gauss's equations for a force along -v: da/dt = -(a^2 B / mu) rho v^3 and de/dt = -B rho v (e + cos nu), averaged
    over the mean anomaly (dM = (1 - e cos E) dE) at ``POINTS_PER_REVOLUTION`` eccentric anomalies; B is
    ``ballistic`` (km^2/kg), ``density(h)`` is kg/km^3 at the height h of the radius plus ``offset``.
    """
    e = max(e, 0.0)
    weight = 1.0 - e * _COS_E
    r = a * weight
    v = np.sqrt(MU_EARTH * (2.0 / r - 1.0 / a))
    rho = density(r + offset - R_EARTH)
    da = -(a * a * ballistic / MU_EARTH) * float(np.mean(rho * v**3 * weight))
    cos_nu = (_COS_E - e) / weight
    de = -ballistic * float(np.mean(rho * v * (e + cos_nu) * weight))
    return da, de


def decay(a: float, e: float, ballistic: float, density, horizon_s: float, *, offset: float = 0.0,
          reentry_altitude: float = REENTRY_ALTITUDE_KM, step_s: float | None = None) -> Decay:
    """Integrate the orbit-averaged drag equations from mean (a, e) until the perigee radius (plus ``offset``) is
    ``reentry_altitude`` above the equatorial radius, or ``horizon_s``; sampled every ``step_s`` (default: a
    thousandth of the horizon, at least a day) and at the end."""
    from scipy.integrate import solve_ivp

    def rates(_, y):
        return averaged_rates(y[0], y[1], ballistic, density, offset)

    def reentry(_, y):
        return y[0] * (1.0 - max(y[1], 0.0)) + offset - R_EARTH - reentry_altitude

    reentry.terminal, reentry.direction = True, -1
    sol = solve_ivp(rates, (0.0, horizon_s), [a, e], method="RK45", rtol=RTOL, atol=[1e-7, 1e-12],
                    events=reentry, dense_output=True)
    if not sol.success:
        raise RuntimeError(f"the orbit-averaged drag integration failed: {sol.message}")
    end = float(sol.t[-1])
    gone = len(sol.t_events[0]) > 0
    step = step_s if step_s is not None else max(86400.0, horizon_s / 1000.0)
    t = np.append(np.arange(0.0, end, step), end)
    y = sol.sol(t)
    rate = -rates(0.0, [a, e])[0] * 86400.0
    return Decay(t, y[0], np.maximum(y[1], 0.0), offset, rate, end if gone else None)


def mean_orbit(orbit: NumericalOrbit, points: int = 96) -> tuple[float, float, float, float | None]:
    """Mean semi-major axis (km), eccentricity and radius offset (km) of a numerical orbit's first revolution, and
    its re-entry time (s) if it re-enters within it: averages of its osculating a and eccentricity vector at
    ``points`` instants, and its mean radius less the Kepler mean radius a (1 + e^2 / 2)."""
    period = 2.0 * np.pi * math.sqrt(orbit.semi_major_axis() ** 3 / MU_EARTH)
    t = np.linspace(0.0, period, points + 1)[:-1]
    first = NumericalOrbit(orbit.elements, orbit.epoch, orbit.forces, rtol=orbit.rtol)
    r, v = first.states(t)
    ok = np.all(np.isfinite(r), axis=1)
    r, v = r[ok], v[ok]
    rn = np.linalg.norm(r, axis=1)
    v2 = np.sum(v * v, axis=1)
    a = 1.0 / (2.0 / rn - v2 / MU_EARTH)
    evec = ((v2 - MU_EARTH / rn)[:, None] * r - np.sum(r * v, axis=1)[:, None] * v) / MU_EARTH
    a_mean = float(np.mean(a))
    e_mean = float(np.linalg.norm(np.mean(evec, axis=0)))
    return a_mean, e_mean, float(np.mean(rn) - a_mean * (1.0 + e_mean**2 / 2.0)), first.reentry_s


@dataclass
class Lifetime:
    """The lifetime of a scenario's satellites: ``summary`` (one row per satellite, ``SUMMARY_COLUMNS``),
    ``altitude`` (each satellite over time, ``ALTITUDE_COLUMNS``) and the ``assumptions`` in words."""

    scenario: str
    epoch: object
    horizon_s: float
    summary: object
    altitude: object
    assumptions: list[str] = field(default_factory=list)

    def save(self, out_dir) -> list[Path]:
        """Write ``lifetime.csv`` (the summary) and ``altitude.csv`` (altitude over time) into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / "lifetime.csv", out / "altitude.csv"]
        self.summary.to_csv(paths[0], index=False)
        self.altitude.to_csv(paths[1], index=False, float_format="%.4f")
        return paths

    def plot(self, path) -> Path:
        """Mean altitude (per revolution) of every satellite over time, as a PNG or SVG image."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        path = Path(path)
        fig, ax = plt.subplots(figsize=(9, 5))
        groups = list(dict.fromkeys(self.summary["group"]))
        colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        shown = set()
        for name, rows in self.altitude.groupby("satellite", sort=False):
            group = self.summary.loc[self.summary["satellite"] == name, "group"].iloc[0]
            colour = colours[groups.index(group) % len(colours)]
            years = rows["days"].to_numpy() / 365.25
            ax.plot(years, rows["mean_altitude_km"], color=colour, lw=1.0, alpha=0.8,
                    label=group if group not in shown else None)
            shown.add(group)
            reentered = self.summary.loc[self.summary["satellite"] == name, "status"].iloc[0] == "re-enters"
            if reentered:
                ax.plot(years[-1], rows["mean_altitude_km"].iloc[-1], "x", color=colour)
        ax.axvline(self.horizon_s / YEAR_S, color="0.5", ls=":", lw=1, label="horizon")
        ax.set_xlabel(f"years after {self.epoch.utc.isot[:10]}")
        ax.set_ylabel("mean altitude per revolution (km)")
        ax.set_title(f"{self.scenario}: orbital decay under drag (x: re-entry)")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def _density_words(forces) -> str:
    if forces.drag == "jacchia77":
        return (f"Jacchia 1977 (boinor's Jacchia77) at an exospheric temperature of {forces.exospheric_temperature:g} K "
                "(about 700 K at solar minimum, 1000 K moderate, 1400 K at maximum), held for the whole horizon")
    return DENSITY_WORDS[forces.drag]


def _iso(epoch, seconds: float) -> str:
    """The UTC time ``seconds`` after ``epoch`` (past the published leap seconds, none are added)."""
    import warnings

    import astropy.units as u
    from erfa import ErfaWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ErfaWarning)
        return (epoch + seconds * u.s).utc.isot[:19]


def _horizon_s(horizon) -> float:
    from .scenario import to_duration

    try:
        seconds = to_duration(horizon, name="horizon")
    except ValueError as exc:
        raise LifetimeError(str(exc)) from None
    if seconds > MAX_HORIZON_S:
        raise LifetimeError(f"horizon: {seconds / YEAR_S:.4g} years is past the {MAX_HORIZON_S / YEAR_S:.0f} years "
                            "this estimate serves")
    return seconds


def lifetime(scenario, *, horizon=DEFAULT_HORIZON, step=None, reentry_altitude: float = REENTRY_ALTITUDE_KM,
             progress=None) -> Lifetime:
    """The orbital lifetime of every satellite of ``scenario`` (a Scenario, or the path or bundled name of one)
    whose force model has drag, over ``horizon`` (a duration: '25 yr', '6 months' in seconds...).

    ``step`` is the spacing of the altitude table (a duration; default a thousandth of the horizon, at least a day).
    Satellites without drag are listed as such. ``progress(stage, done, total)`` is called after each satellite.
    Raises ``LifetimeError`` for a bad horizon or step, or when no satellite has drag.
    """
    import pandas as pd

    from .scenario import Scenario, load_scenario, to_duration

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    horizon_s = _horizon_s(horizon)
    try:
        step_s = None if step is None else to_duration(step, name="step")
    except ValueError as exc:
        raise LifetimeError(str(exc)) from None
    fleet = scenario.fleet()
    sats = [m for m in fleet.members if m.kind == "satellite"]
    dragged = [m for m in sats if isinstance(m.orbit, NumericalOrbit) and m.orbit.forces.drag]
    if not dragged:
        raise LifetimeError(f"no satellite of {scenario.name} has drag: the lifetime needs entries with propagator: "
                            "numerical and forces.drag (a density model, and mass and area or a ballistic "
                            "coefficient)")
    epoch = scenario.epoch_time
    rows, series, cache = [], [], {}
    for k, m in enumerate(sats):
        forces = m.orbit.forces if isinstance(m.orbit, NumericalOrbit) else None
        if forces is None or not forces.drag:
            rows.append({"satellite": m.name, "group": m.group, "status": "no drag", "reentry_utc": "",
                         "density": "", "ballistic_kg_m2": math.nan})
            continue
        a, e, offset, early = mean_orbit(m.orbit)
        key = (round(a, 6), round(e, 9), round(offset, 6), forces.drag, forces.ballistic,
               forces.exospheric_temperature)
        if key not in cache:
            cache[key] = decay(a, e, forces.ballistic, density_of(forces), horizon_s, offset=offset,
                               reentry_altitude=reentry_altitude, step_s=step_s)
        d = cache[key]
        reentry_s = early if early is not None and early <= horizon_s else d.reentry_s
        mean_alt = d.a + offset - R_EARTH
        series.append(pd.DataFrame({
            "satellite": m.name, "days": d.t / 86400.0, "mean_altitude_km": mean_alt,
            "perigee_altitude_km": d.a * (1.0 - d.e) + offset - R_EARTH,
            "apogee_altitude_km": d.a * (1.0 + d.e) + offset - R_EARTH,
        }))
        rows.append({
            "satellite": m.name, "group": m.group, "mean_altitude_km": float(mean_alt[0]),
            "perigee_altitude_km": float(a * (1.0 - e) + offset - R_EARTH), "decay_km_per_day": d.rate_km_per_day,
            "reentry_utc": _iso(epoch, reentry_s) if reentry_s is not None else "",
            "lifetime_years": reentry_s / YEAR_S if reentry_s is not None else math.nan,
            "status": "re-enters" if reentry_s is not None else "beyond horizon",
            "ballistic_kg_m2": forces.ballistic_coefficient, "density": forces.drag,
        })
        if progress is not None:
            progress("lifetime", k + 1, len(sats))
    summary = pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)
    altitude = pd.concat(series, ignore_index=True).reindex(columns=ALTITUDE_COLUMNS)
    assumptions = []
    for forces in dict.fromkeys(m.orbit.forces for m in dragged):
        names = sorted({m.group for m in dragged if m.orbit.forces == forces})
        assumptions.append(f"{', '.join(names)}: density {_density_words(forces)}; ballistic coefficient m/(Cd A) "
                           f"{forces.ballistic_coefficient:.3g} kg/m2")
    assumptions.append(
        "drag on the inertial velocity (no co-rotating atmosphere) at the height above the equatorial radius "
        f"({R_EARTH} km), averaged over each revolution from the mean elements of the first revolution of the "
        f"numerical orbit; J3, radiation pressure, the Sun and the Moon do not enter the decay; re-entry at "
        f"{reentry_altitude:g} km")
    return Lifetime(scenario.name, epoch, horizon_s, summary, altitude, assumptions)

"""Numerical propagation benchmarks: boinor's Cowell integration per satellite-day, and its one-time compile cost.

Prints wall times and ratios against a baseline measured in the same run (machines are shared and noisy), with the
load average at every round; with ``--rounds N`` every figure is measured N times, the cases interleaved, and shown
as min and median. The satellites: the ten of the bundled swarm (530 km, sun-synchronous), one day.
  (a) cost per satellite-day of a ``NumericalOrbit`` (integration, DOP853 at rtol 1e-11, and the table), with J2
      only and with J2 + drag (COESA76), against the secular-J2 mean-element path of the same satellites
      (``Fleet.states`` on a 60 s grid, the day's ephemeris the run would sample); then the 60 s grid read from
      the numerical tables against the same grid from the mean elements (what every later evaluation costs);
  (b) the one-time compile cost: a fresh interpreter importing boinor's propagation modules and compiling the
      kernels (``boinor_bridge.prepare``, as reported by ``numerical.compile_cost``), J2 alone then drag added;
  (c) how far the other propagators drift from the numerical one over a day and a month, for the swarm's first
      satellite: 'j2', 'twobody' and SGP4 from the same elements (SGP4: the elements turned into the TEME frame,
      B* = 0 against J2 alone and B* = (Cd A / m) 0.157 kg/m2/ER / 2 against J2 + drag), and 'j2' and SGP4 from
      the mean elements fitted to the numerical orbit's first two revolutions (the fit of tests/test_orbits.py);
      largest distance over the span, 60 s samples. Not a timing: measured once.

Usage: python benchmarks/numerical.py [--rounds N] [--days D] [--skip-drift]
"""

from __future__ import annotations

from common import ROOT  # first: pins numpy to one thread before it loads

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from sweep import load, spread  # noqa: E402

HERE = Path(__file__).resolve().parent
# benchmarks/coverage.py would stand in for the coverage package that numba imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

from constellation.constants import MU_EARTH  # noqa: E402
from constellation.orbits import Fleet, Member  # noqa: E402
from constellation.orbits.numerical import ForceModel, NumericalOrbit  # noqa: E402
from constellation.scenario import load_scenario  # noqa: E402

J2 = ForceModel()
J2_DRAG = ForceModel(drag="coesa76", ballistic=2.2 * 0.08e-6 / 16.0)


def swarm_elements():
    """The elements of the bundled swarm's ten satellites, and the epoch."""
    sc = load_scenario("soleimani_swarm")
    members = [m for m in sc.fleet().members if m.kind == "satellite"]
    return [m.orbit for m in members], sc.epoch_time


def numerical(elements, epoch, forces, grid) -> tuple[float, float]:
    """Seconds to integrate every satellite over the grid's span (fresh orbits, nothing shared), and to read the
    grid from the tables."""
    orbits = [NumericalOrbit(el, epoch, forces, shared=False) for el in elements]
    t0 = time.perf_counter()
    for orbit in orbits:
        orbit.cover(float(grid[0]), float(grid[-1]))
    built = time.perf_counter() - t0
    fleet = Fleet(epoch, [Member(f"s{k}", o, "numerical") for k, o in enumerate(orbits)])
    t0 = time.perf_counter()
    fleet.states(grid)
    return built, time.perf_counter() - t0


def mean_elements(elements, epoch, grid) -> float:
    fleet = Fleet(epoch, [Member(f"s{k}", el, "j2") for k, el in enumerate(elements)])
    t0 = time.perf_counter()
    fleet.states(grid)
    return time.perf_counter() - t0


def per_satellite_day(rounds: int, days: float) -> None:
    elements, epoch = swarm_elements()
    grid = np.arange(0.0, days * 86400.0 + 1.0, 60.0)
    sat_days = len(elements) * days
    numerical(elements[:1], epoch, J2_DRAG, grid[:10])
    print(f"(a) {len(elements)} swarm satellites over {days:g} d ({sat_days:g} satellite-days), 60 s grid; "
          f"load average {load()}")
    cases = {"J2": J2, "J2 + drag": J2_DRAG}
    built = {name: [] for name in cases}
    read = {name: [] for name in cases}
    base = []
    for r in range(rounds):
        base.append(mean_elements(elements, epoch, grid))
        for name, forces in cases.items():
            b, g = numerical(elements, epoch, forces, grid)
            built[name].append(b)
            read[name].append(g)
        print(f"    round {r + 1}: mean elements {base[-1] * 1e3:.1f} ms; numerical J2 {built['J2'][-1]:.2f} s + "
              f"{read['J2'][-1] * 1e3:.1f} ms, J2 + drag {built['J2 + drag'][-1]:.2f} s + "
              f"{read['J2 + drag'][-1] * 1e3:.1f} ms; load average {load()}")
    per_day = [b / sat_days * 1e3 for b in base]
    print(f"    secular J2, mean elements: {spread(per_day)} ms per satellite-day (the baseline)")
    for name in cases:
        cost = [b / sat_days for b in built[name]]
        ratio = [(b + g) / m for b, g, m in zip(built[name], read[name], base)]
        print(f"    numerical {name}: {spread(cost, '{:.3f}')} s per satellite-day to integrate; with the grid read, "
              f"{spread(ratio, '{:.0f}')}x the mean-element path")
        again = [g / m for g, m in zip(read[name], base)]
        print(f"      reading the 60 s grid from the tables: {spread([g * 1e3 for g in read[name]], '{:.1f}')} ms, "
              f"{spread(again, '{:.1f}')}x the mean-element path")


def child_compile() -> None:
    """In a fresh interpreter: compile cost of J2 alone, then with drag added (what ``compile_cost`` reports)."""
    from constellation.orbits import boinor_bridge
    from constellation.orbits.numerical import compile_cost

    t0 = time.perf_counter()
    boinor_bridge.prepare(J2)
    j2 = time.perf_counter() - t0
    t0 = time.perf_counter()
    boinor_bridge.prepare(J2_DRAG)
    drag = time.perf_counter() - t0
    print(json.dumps({"j2_s": j2, "drag_s": drag, "reported_s": compile_cost()}))


def compile_cost_rounds(rounds: int) -> None:
    print("(b) one-time compile cost in a fresh interpreter (imports and numba kernels)")
    j2, drag, reported = [], [], []
    for r in range(rounds):
        proc = subprocess.run([sys.executable, __file__, "--child-compile"], capture_output=True, text=True,
                              cwd=ROOT)
        if proc.returncode:
            raise SystemExit(proc.stderr)
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        j2.append(out["j2_s"])
        drag.append(out["drag_s"])
        reported.append(out["reported_s"])
        print(f"    round {r + 1}: J2 {j2[-1]:.1f} s, drag added {drag[-1]:.1f} s (reported {reported[-1]:.1f} s); "
              f"load average {load()}")
    print(f"    J2: {spread(j2, '{:.1f}')} s; drag added: {spread(drag, '{:.1f}')} s; "
          f"compile_cost(): {spread(reported, '{:.1f}')} s, once per process")


SGP4_RHO0 = 0.15696615
"""SGP4's reference density times the Earth radius, kg/m2/ER: B* = (Cd A / m) SGP4_RHO0 / 2."""


def sgp4_member(elements, epoch, ballistic_m2_kg: float) -> Member:
    """A satellite propagated by SGP4 from our elements turned into the TEME frame at the epoch (taken as SGP4's
    mean elements, as 'j2' takes them as its own)."""
    import astropy.units as u
    from astropy.coordinates import GCRS, TEME, CartesianDifferential, CartesianRepresentation
    from sgp4.api import WGS72, Satrec

    from constellation.orbits import boinor_bridge
    from constellation.orbits.propagation import mean_elements_state

    r, v = mean_elements_state(elements.a, elements.ecc, elements.inc, elements.raan, elements.argp,
                               elements.mean_anomaly, 0.0, j2=False)
    rep = CartesianRepresentation(r[0] * u.km, differentials=CartesianDifferential(v[0] * u.km / u.s))
    teme = GCRS(rep, obstime=epoch).transform_to(TEME(obstime=epoch)).cartesian
    a, e, i, raan, argp, m = boinor_bridge.osculating_elements(teme.xyz.to_value(u.km),
                                                               teme.differentials["s"].d_xyz.to_value(u.km / u.s),
                                                               epoch)
    sat = Satrec()
    sat.sgp4init(WGS72, "i", 99999, epoch.utc.jd - 2433281.5, ballistic_m2_kg * SGP4_RHO0 / 2.0, 0.0, 0.0, e, argp,
                 i, m, np.sqrt(MU_EARTH / a**3) * 60.0, raan)

    class Orbit:
        def satrec(self):
            return sat

    return Member("sgp4", Orbit(), "sgp4")


def drift() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_orbits import mean_elements_of

    from constellation.orbits import Elements

    elements, epoch = swarm_elements()
    el = elements[0]
    month = np.arange(0.0, 30 * 86400.0 + 1.0, 60.0)
    day = month <= 86400.0
    print(f"(c) drift from the numerical orbit, the swarm's first satellite (530 km, sun-synchronous), largest "
          f"distance over 1 day and over 30 days, km")
    period = 2.0 * np.pi * np.sqrt(el.a[0] ** 3 / MU_EARTH)
    for name, forces in (("J2", J2), ("J2 + drag", J2_DRAG)):
        r_num, v_num = NumericalOrbit(el, epoch, forces, shared=False).states(month)
        two = month <= 2.0 * period
        fit = mean_elements_of(month[two], r_num[two], v_num[two])
        e_fit, w_fit = np.hypot(fit["ex"], fit["ey"]), np.arctan2(fit["ey"], fit["ex"])
        fitted = Elements(fit["a"], e_fit, fit["inc"], fit["raan"], w_fit, fit["lam"] - w_fit)
        ballistic = 1e6 * forces.ballistic
        members = {"j2, same elements": Member("j2", el, "j2"), "twobody, same elements": Member("tb", el, "twobody"),
                   "sgp4, same elements": sgp4_member(el, epoch, ballistic),
                   "j2, mean elements fitted": Member("fit", fitted, "j2"),
                   "sgp4, mean elements fitted": sgp4_member(fitted, epoch, ballistic)}
        for label, member in members.items():
            r, _ = Fleet(epoch, [member]).states(month)
            gap = np.linalg.norm(r[0] - r_num, axis=1)
            print(f"    against numerical {name}: {label}: {np.nanmax(gap[day]):.1f} km over a day, "
                  f"{np.nanmax(gap):.0f} km over 30 days")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every figure, cases interleaved")
    parser.add_argument("--days", type=float, default=1.0, help="days integrated per satellite in (a)")
    parser.add_argument("--skip-drift", action="store_true", help="skip (c), the drift over a month")
    parser.add_argument("--child-compile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_compile:
        child_compile()
        return
    per_satellite_day(args.rounds, args.days)
    compile_cost_rounds(args.rounds)
    if not args.skip_drift:
        drift()


if __name__ == "__main__":
    main()

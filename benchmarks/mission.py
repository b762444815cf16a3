"""Mission benchmarks: the bundled swarm over a week and the 1,584-satellite shell with 100 stations over a day.

Prints wall times, split into geometry and the SimPy run, and ratios against baselines measured in the same run
(machines are shared and noisy: best of several where a run is short enough to repeat):
  (a) ``scenarios/soleimani_swarm.yaml`` over 7 days: ``constellation.run`` end to end (target under 10 s); the
      geometry stages timed on their own (``access.contact_windows``, ``Network.link_plan``,
      ``access.eclipse_windows``, ``access.target_windows``, the messaging terminals' passes); then
      ``sim.simulate`` given the contacts and link plan, split into its own geometry, building the per-satellite
      plans, the SimPy run and the result tables;
  (b) ``scenarios/walker_shell.yaml`` (1,584 satellites, imaging and downlink) with 100 random stations (seeded,
      uniform in area, |lat| < 60 deg, the scenario's 25 deg mask) instead of its five, one day:
      ``constellation.run`` end to end, once (target under 2 minutes), split by stage in the same run; the geometry
      functions timed on their own.

Events: the SimPy events the environment processed (``Environment.step`` calls: timeouts, process starts and
resumptions, resource requests and releases, condition events, container puts and gets), counted from the
environment's event ids after the run, at no cost while it runs; also the mission's own log (captures, collections,
deliveries, drops) and the number of processes. Baseline: a bare SimPy loop, as many processes each yielding
``env.timeout`` until the environment has processed as many events, measured in the same run; the ratio is the
mission's cost per event over SimPy's own. ``DownlinkRate`` calls (a propagation per call) are counted and timed,
as they are most of the run.

To measure, the script wraps ``access.contact_windows``, ``Network.link_plan``, ``Mission.__init__``,
``Mission.run``, ``DownlinkRate.__call__`` and ``Environment.process`` (a timestamp or a counter each; nothing else
changes).

Then (b)'s SimPy run again ``--rounds`` times given its contacts and link plan, each round followed by the bare loop of
as many events: the cost per event of each and their ratio, min and median over the rounds (target: at most 3x).

Usage: python benchmarks/mission.py [--skip-walker] [--walker-hours H] [--rounds R]
"""

from __future__ import annotations

from common import ROOT, best_of  # first: pins numpy to one thread before it loads

import argparse  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import numpy as np  # noqa: E402


import simpy  # noqa: E402

import constellation  # noqa: E402
from constellation import access  # noqa: E402
from constellation import sim as sim_package  # noqa: E402
from constellation.access import Station, contact_windows, eclipse_windows, target_windows  # noqa: E402
from constellation.scenario import Scenario, load_scenario  # noqa: E402
from constellation.sim import DownlinkRate, mission_targets, simulate  # noqa: E402
from constellation.sim.mission import Mission  # noqa: E402
from constellation.topology import Network  # noqa: E402

SWARM = ROOT / "scenarios" / "soleimani_swarm.yaml"
SHELL = ROOT / "scenarios" / "walker_shell.yaml"
N_STATIONS, MAX_LAT_DEG, SEED = 100, 60.0, 2026




def with_changes(scenario: Scenario, **changes) -> Scenario:
    return Scenario.model_validate({**scenario.model_dump(mode="json"), **changes})


def random_ground_stations(n: int = N_STATIONS, seed: int = SEED) -> list[dict]:
    """``n`` stations uniform in area over |lat| < MAX_LAT_DEG, as scenario entries (the default mask applies)."""
    rng = np.random.default_rng(seed)
    top = np.sin(np.radians(MAX_LAT_DEG))
    lat = np.degrees(np.arcsin(rng.uniform(-top, top, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    return [{"name": f"gs-{k:03d}", "latitude": float(lat[k]), "longitude": float(lon[k])} for k in range(n)]


class Probe:
    """What one simulated mission did: stage timestamps, the Mission, its run time, DownlinkRate calls."""

    def __init__(self):
        self.marks: list[tuple[str, float]] = []
        self.mission = None
        self.run_s = 0.0
        self.processes = 0
        self.rate_calls = 0
        self.rate_s = 0.0

    def mark(self, name: str) -> None:
        self.marks.append((name, time.perf_counter()))

    def progress(self, stage, done, total) -> None:
        """Mark the end of each stage ``simulate`` reports (not the contact scan ``run`` reports as it goes)."""
        if done == total and total == 1:
            self.mark(stage)

    def events(self) -> int:
        """SimPy events processed: every event scheduled (they are numbered) less those still queued."""
        env = self.mission.env
        return next(env._eid) - len(env._queue)

    def split(self, start: float) -> list[tuple[str, float]]:
        """Seconds from each mark to the next, from ``start``."""
        out, prev = [], start
        for name, t in self.marks:
            out.append((name, t - prev))
            prev = t
        return out


@contextmanager
def probe():
    """Wrap Mission.__init__, Mission.run and DownlinkRate.__call__ to record into a Probe."""
    p = Probe()
    init, run, rate = Mission.__init__, Mission.run, DownlinkRate.__call__
    process = vars(simpy.Environment)["process"]  # the BoundClass descriptor itself, to put back
    windows, link_plan = access.contact_windows, Network.link_plan

    def timed_windows(*args, **kwargs):
        value = windows(*args, **kwargs)
        if not p.marks:  # run() computes the contacts first; later calls (terminal passes) end simulate stages
            p.mark("contact windows")
        return value

    def timed_link_plan(self, *args, **kwargs):
        value = link_plan(self, *args, **kwargs)
        p.mark("link plan")
        return value

    def timed_init(self, *args, **kwargs):
        p.mark("plans")  # everything simulate does before it builds the Mission: per-satellite plans, outages
        init(self, *args, **kwargs)
        p.mission = self

    def timed_run(self):
        p.mark("start")  # Mission.__init__ and start(): resources and processes
        t0 = time.perf_counter()
        run(self)
        p.run_s = time.perf_counter() - t0
        p.mark("simpy")

    def timed_rate(self, *args):
        t0 = time.perf_counter()
        value = rate(self, *args)
        p.rate_s += time.perf_counter() - t0
        p.rate_calls += 1
        return value

    def counted_process(self, generator):
        p.processes += 1
        return simpy.Process(self, generator)

    Mission.__init__, Mission.run, DownlinkRate.__call__ = timed_init, timed_run, timed_rate
    simpy.Environment.process = counted_process
    access.contact_windows, Network.link_plan = timed_windows, timed_link_plan
    try:
        yield p
    finally:
        Mission.__init__, Mission.run, DownlinkRate.__call__ = init, run, rate
        simpy.Environment.process = process
        access.contact_windows, Network.link_plan = windows, link_plan


def bare_simpy(processes: int, events: int) -> tuple[float, int]:
    """Seconds for a bare SimPy loop: ``processes`` processes yielding timeouts until ``events`` are processed."""
    env = simpy.Environment()
    per = max(1, (events - 2 * processes) // processes)

    def ticker(k):
        for _ in range(per):
            yield env.timeout(1.0 + k * 1e-6)

    for k in range(processes):
        env.process(ticker(k))
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0, next(env._eid) - len(env._queue)


def geometry_stages(scenario: Scenario, repeat: int) -> tuple[list[tuple[str, float, str]], object, object]:
    """Each geometry stage on its own: (name, best seconds, what it found); also the contacts and link plan."""
    fleet = scenario.fleet()
    stations = scenario.stations()
    duration = scenario.duration_s
    mission = scenario.mission
    rows = []
    s, contacts = best_of(lambda: contact_windows(fleet, stations, 0.0, duration), repeat)
    rows.append(("contacts", s, f"{len(contacts)} windows"))
    network = scenario.network(fleet)
    s, plan = best_of(lambda: network.link_plan(0.0, duration, contacts=contacts), repeat)
    rows.append(("link plan", s, f"{len(plan)} windows"))
    s, eclipses = best_of(lambda: eclipse_windows(fleet, 0.0, duration), repeat)
    rows.append(("eclipses", s, f"{len(eclipses)} windows"))
    targets = mission_targets(mission)
    if targets and mission.imaging is not None:
        idx = np.array([fleet.index(n) for n in sim_package.members(fleet, mission.imaging.satellites)])
        s, tw = best_of(lambda: target_windows(
            fleet, targets, 0.0, duration, max_off_nadir_deg=mission.imaging.max_off_nadir,
            min_sun_elevation_deg=mission.imaging.min_sun_elevation, sats=idx), repeat)
        rows.append(("targets", s, f"{len(targets)} targets, {len(tw)} windows"))
    msg = mission.messaging
    if msg is not None and msg.terminals:
        terminals = [Station(t.name, t.latitude, t.longitude, 0.0, msg.min_elevation) for t in msg.terminals]
        s, passes = best_of(lambda: contact_windows(fleet, terminals, 0.0, duration), repeat)
        rows.append(("terminal passes", s, f"{len(passes)} windows"))
    return rows, contacts, plan


def print_geometry(rows) -> float:
    total = sum(s for _, s, _ in rows)
    parts = "; ".join(f"{name} {s:.2f} s ({what})" for name, s, what in rows)
    print(f"    geometry on its own: {total:.2f} s = {parts}")
    return total


def print_simpy(p: Probe, ledger_events: int) -> None:
    events = p.events()
    bare_s, bare_events = bare_simpy(max(1, p.processes), events)
    bare_s = min(bare_s, *(bare_simpy(max(1, p.processes), events)[0] for _ in range(2)))
    ours_per, bare_per = p.run_s / events, bare_s / bare_events
    print(f"    SimPy run {p.run_s:.2f} s: {events} events in {p.processes} processes, {events / p.run_s:,.0f} "
          f"events/s ({ours_per * 1e6:.1f} us per event); {ledger_events} logged mission events")
    print(f"    bare SimPy loop of timeouts, {p.processes} processes, {bare_events} events: {bare_s:.2f} s "
          f"({bare_per * 1e6:.2f} us per event); the mission costs {ours_per / bare_per:.0f}x SimPy's own per event")
    print(f"    DownlinkRate: {p.rate_calls} calls, {p.rate_s:.2f} s ({p.rate_s / p.run_s:.0%} of the SimPy run, "
          f"{p.rate_s / max(p.rate_calls, 1) * 1e6:.0f} us per call)")


def print_split(label: str, p: Probe, start: float, total: float) -> None:
    names = {"contacts": "contact tables", "eclipses": "eclipses", "targets": "targets", "relay": "relay rows",
             "terminals": "terminal passes", "plans": "per-satellite plans", "start": "Mission setup",
             "simpy": "SimPy run", "simulation": "-", "end": "result tables"}
    parts = [(names.get(n, n), s) for n, s in p.split(start) if names.get(n, n) != "-"]
    print(f"    {label}: {total:.2f} s = " + "; ".join(f"{n} {s:.2f} s" for n, s in parts))


def bench_swarm(days: int) -> None:
    scenario = with_changes(load_scenario(SWARM), duration=days * 86400.0)
    constellation.run(with_changes(scenario, duration=3600.0))  # imports and first-call costs
    total, results = best_of(lambda: constellation.run(scenario), 3)
    print(f"(a) {scenario.name} ({len(scenario.fleet())} members, {len(scenario.ground_stations)} stations) over "
          f"{days} day{'' if days == 1 else 's'}, constellation.run: best of 3 {total:.2f} s (target < 10 s: "
          f"{'met' if total < 10 else 'not met'}); {results.summary['mission']['products']} products, "
          f"{len(results.contacts)} contacts")
    rows, contacts, plan = geometry_stages(scenario, 3)
    print_geometry(rows)
    fleet = scenario.fleet()
    with probe() as p:
        start = time.perf_counter()
        outcome = simulate(scenario, fleet=fleet, contacts=contacts, link_plan=plan,
                           progress=lambda stage, done, total: p.progress(stage, done, total))
        p.mark("end")
    print_split("simulate (given contacts and link plan)", p, start, time.perf_counter() - start)
    print_simpy(p, len(outcome.events))


def bench_walker(hours: float, rounds: int) -> None:
    base = load_scenario(SHELL)
    scenario = with_changes(base, ground_stations=random_ground_stations(), duration=hours * 3600.0)
    n_sats = len(scenario.fleet())
    with probe() as p:
        start = time.perf_counter()
        results = constellation.run(scenario, progress=p.progress)
        total = time.perf_counter() - start
    marks = dict(p.marks)
    p.mark("end")
    target = 120.0 * hours / 24.0
    print(f"(b) {base.name} ({n_sats} satellites) with {N_STATIONS} random stations instead of "
          f"{len(base.ground_stations)}, {hours:g} h, constellation.run once: {total:.1f} s (target < "
          f"{'' if hours == 24 else 'pro rata '}{target:.0f} s: {'met' if total < target else 'not met'}); "
          f"{results.summary['mission']['products']} products, {len(results.contacts)} contacts")
    print_split("stages", p, start, total)
    print_simpy(p, len(results.events))
    print(f"    geometry in the run: {marks['targets'] - start:.1f} s; everything after it (plans, SimPy, tables): "
          f"{start + total - marks['targets']:.1f} s")
    rows, _, _ = geometry_stages(scenario, 1)
    print_geometry(rows)
    simpy_rounds(scenario, results, rounds)


def simpy_rounds(scenario: Scenario, results, rounds: int) -> None:
    """The SimPy run again ``rounds`` times (given the contacts and link plan), each followed by the bare SimPy loop
    of as many events: cost per event of each, and their ratio, min and median over the rounds."""
    if rounds <= 0:
        return
    import statistics

    fleet = scenario.fleet()
    ours, bare, ratios = [], [], []
    for _ in range(rounds):
        with probe() as p:
            simulate(scenario, fleet=fleet, contacts=results.contacts, link_plan=results.links)
        events = p.events()
        bare_s, bare_events = bare_simpy(max(1, p.processes), events)
        ours.append(p.run_s / events * 1e6)
        bare.append(bare_s / bare_events * 1e6)
        ratios.append(ours[-1] / bare[-1])

    def fmt(values, unit=""):
        return f"min {min(values):.2f}{unit}, median {statistics.median(values):.2f}{unit}"

    print(f"    {rounds} rounds, SimPy run then bare loop ({events} events): mission {fmt(ours, ' us')} per event; "
          f"bare SimPy {fmt(bare, ' us')}; ratio {fmt(ratios, 'x')} (target <= 3x: "
          f"{'met' if statistics.median(ratios) <= 3 else 'not met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="length of the swarm run, days")
    parser.add_argument("--skip-walker", action="store_true", help="skip (b), the 1,584-satellite day")
    parser.add_argument("--walker-hours", type=float, default=24.0, help="length of the shell run, hours")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the shell's SimPy run interleaved with the bare SimPy loop")
    args = parser.parse_args()
    bench_swarm(args.days)
    if not args.skip_walker:
        bench_walker(args.walker_hours, args.rounds)


if __name__ == "__main__":
    main()

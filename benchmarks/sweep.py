"""Sweep benchmarks: parallel speed-up on the local Dask cluster, and what Dask costs per run.

Prints wall times and ratios against baselines measured in the same run (machines are shared and noisy), with the
load average before and after; with ``--rounds N`` every figure is measured N times and shown as min and median:
  (a) 40 one-day runs of the ten-satellite swarm (``scenarios/sweep_swarm.py``'s base: 1, 2, 5 or 10 planes x
      relay on/off x 5 messaging seeds) with ``executor="local"`` on 2 worker processes against 1 (target: at least
      1.7x faster). Each figure is the whole ``sweep()`` call: starting the LocalCluster, each worker's first-run
      warm-up (imports, Earth orientation tables) and the runs; also the runs' own mean wall time, which grows
      when the processes share a busy machine;
  (b) Dask's cost per run: N tiny runs (the same swarm over 1 h) on the sweep's own LocalCluster of one worker
      process, already started and warmed up, against the same runs in-process (target: under 0.2 s per run).
      Starting the cluster is shown on its own.

Usage: python benchmarks/sweep.py [--runs N] [--tiny N] [--rounds N]
"""

from __future__ import annotations

from common import ROOT  # first: pins numpy to one thread before it loads
import os  # noqa: E402

import argparse  # noqa: E402
import runpy  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402


from constellation.scenario import Scenario  # noqa: E402
from constellation.sweeps import sweep  # noqa: E402
from constellation.sweeps.execute import Executor  # noqa: E402

SPEEDUP_TARGET = 1.7
OVERHEAD_TARGET_S = 0.2


def base() -> Scenario:
    """The swarm of ``scenarios/sweep_swarm.py``: satellites spread evenly over any number of planes."""
    return runpy.run_path(str(ROOT / "scenarios" / "sweep_swarm.py"), run_name="__scenario__")["build"]()


def with_duration(scenario: Scenario, seconds: float) -> Scenario:
    return Scenario.model_validate({**scenario.model_dump(mode="json"), "duration": seconds})


def timed(**kw):
    t0 = time.perf_counter()
    table = sweep(progress=False, **kw)
    wall = time.perf_counter() - t0
    failed = int((table["status"] != "ok").sum())
    if failed:
        raise SystemExit(f"{failed} runs failed: {table.loc[table['status'] != 'ok', 'error'].iloc[0]}")
    return wall, table


def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    """``x`` for one value; ``min x, median y`` for more."""
    if len(values) == 1:
        return fmt.format(values[0])
    return f"min {fmt.format(min(values))}, median {fmt.format(statistics.median(values))}"


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def speedup(runs: int, rounds: int) -> None:
    seeds = max(1, runs // 8)
    space = {"soleimani.planes": [1, 2, 5, 10], "relay.enabled": [True, False]}
    sc = base()
    n = len(space["soleimani.planes"]) * 2 * seeds
    print(f"(a) {n} one-day swarm runs, executor='local' (a Dask LocalCluster)")
    walls: dict[int, list[float]] = {1: [], 2: []}
    means: dict[int, list[float]] = {1: [], 2: []}
    for r in range(rounds):
        for workers in (1, 2):
            wall, table = timed(scenario=sc, parameters=space, seeds=seeds, executor="local", workers=workers)
            walls[workers].append(wall)
            means[workers].append(float(table["wall_time_s"].mean()))
        print(f"    round {r + 1}: 1 worker {walls[1][-1]:6.1f} s, 2 workers {walls[2][-1]:6.1f} s, "
              f"{walls[1][-1] / walls[2][-1]:.2f}x; load average {load()}")
    for workers in (1, 2):
        print(f"    {workers} worker{'s' if workers > 1 else ''}: {spread(walls[workers], '{:.1f}')} s, "
              f"{spread([n / w for w in walls[workers]])} runs/s; mean run {spread(means[workers])} s "
              "(first of each worker includes its warm-up)")
    ratios = [a / b for a, b in zip(walls[1], walls[2])]
    best = min(walls[1]) / min(walls[2])
    print(f"    2 workers against 1: {spread(ratios)}x faster per round, {best:.2f}x best against best (target >= "
          f"{SPEEDUP_TARGET}x: {'met' if max(best, statistics.median(ratios)) >= SPEEDUP_TARGET else 'NOT met'})")


def dask_overhead(n: int, rounds: int) -> None:
    sc = with_duration(base(), 3600.0)
    print(f"(b) {n} tiny runs (the swarm over 1 h), the sweep's LocalCluster of 1 worker process against in-process")
    timed(scenario=sc, parameters={}, executor="inprocess")
    inprocess, on_dask, same = [], [], True
    t0 = time.perf_counter()
    with Executor("local", workers=1) as cluster:
        start = time.perf_counter() - t0
        timed(scenario=sc, parameters={"mission.seed": [n]}, scheduler=cluster.client)
        for _ in range(rounds):
            wall, table = timed(scenario=sc, parameters={}, seeds=n, executor="inprocess")
            inprocess.append(wall)
            wall, dask_table = timed(scenario=sc, parameters={}, seeds=n, scheduler=cluster.client)
            on_dask.append(wall)
            cols = [c for c in table.columns if c != "wall_time_s"]
            same = same and dask_table[cols].equals(table[cols])
    per_run = [(d - i) / n for d, i in zip(on_dask, inprocess)]
    print(f"    in-process: {spread(inprocess)} s, {spread([w / n * 1e3 for w in inprocess], '{:.0f}')} ms per run")
    print(f"    Dask: {spread(on_dask)} s, {spread([w / n * 1e3 for w in on_dask], '{:.0f}')} ms per run (cluster "
          f"start {start:.1f} s and the worker's warm-up not counted); same table as in-process: {same}")
    met = statistics.median(per_run) < OVERHEAD_TARGET_S
    print(f"    overhead {spread([p * 1e3 for p in per_run], '{:.0f}')} ms per run (target < "
          f"{OVERHEAD_TARGET_S * 1e3:.0f} ms: {'met' if met else 'NOT met'}); ratio Dask / in-process "
          f"{spread([d / i for d, i in zip(on_dask, inprocess)])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="one-day runs for (a), a multiple of 8 (default 40)")
    parser.add_argument("--tiny", type=int, default=40, help="tiny runs for (b) (default 40)")
    parser.add_argument("--rounds", type=int, default=1, help="times to measure each figure (default 1)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {load()}")
    speedup(args.runs, args.rounds)
    dask_overhead(args.tiny, args.rounds)
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()

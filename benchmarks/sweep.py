"""Sweep benchmarks: parallel speed-up on local processes, and what Dask costs per run.

Prints wall times and ratios against baselines measured in the same run (machines are shared and noisy):
  (a) 40 one-day runs of the ten-satellite swarm (``scenarios/sweep_swarm.py``'s base: 1, 2, 5 or 10 planes x
      relay on/off x 5 messaging seeds) with ``executor="local"`` on 2 worker processes against 1 (target: at least
      1.7x faster). Each figure is the whole ``sweep()`` call: starting the pool, each worker's first-run warm-up
      (imports, Earth orientation tables) and the runs; also the runs' own mean wall time, which grows when the
      processes share a busy machine;
  (b) Dask's cost per run: N tiny runs (the same swarm over 1 h) through a LocalCluster of one worker process,
      already started and warmed up, against the same runs in-process (target: under 0.2 s per run). Connecting
      the client is counted; starting the cluster is shown on its own.

Usage: python benchmarks/sweep.py [--runs N] [--tiny N]
"""

from __future__ import annotations

from common import ROOT  # first: pins numpy to one thread before it loads
import os  # noqa: E402

import argparse  # noqa: E402
import logging  # noqa: E402
import runpy  # noqa: E402
import time  # noqa: E402


from constellation.scenario import Scenario  # noqa: E402
from constellation.sweep import sweep  # noqa: E402

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


def speedup(runs: int) -> None:
    seeds = max(1, runs // 8)
    space = {"soleimani.planes": [1, 2, 5, 10], "relay.enabled": [True, False]}
    sc = base()
    print(f"(a) {len(space['soleimani.planes']) * 2 * seeds} one-day swarm runs, executor='local'")
    walls = {}
    for workers in (1, 2):
        wall, table = timed(scenario=sc, parameters=space, seeds=seeds, executor="local", workers=workers)
        walls[workers] = wall
        print(f"    {workers} worker{'s' if workers > 1 else ''}: {wall:6.1f} s, {len(table) / wall:.2f} runs/s; "
              f"mean run {table['wall_time_s'].mean():.2f} s (first of each worker includes its warm-up)")
    ratio = walls[1] / walls[2]
    print(f"    2 workers against 1: {ratio:.2f}x faster (target >= {SPEEDUP_TARGET}x: "
          f"{'met' if ratio >= SPEEDUP_TARGET else 'NOT met'})")


def dask_overhead(n: int) -> None:
    from distributed import LocalCluster

    sc = with_duration(base(), 3600.0)
    print(f"(b) {n} tiny runs (the swarm over 1 h), Dask LocalCluster of 1 worker process against in-process")
    timed(scenario=sc, parameters={}, executor="inprocess")
    inprocess, table = timed(scenario=sc, parameters={}, seeds=n, executor="inprocess")
    print(f"    in-process: {inprocess:.2f} s, {inprocess / n * 1e3:.0f} ms per run")
    t0 = time.perf_counter()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        start = time.perf_counter() - t0
        address = cluster.scheduler_address
        timed(scenario=sc, parameters={"mission.seed": [n]}, scheduler=address)
        on_dask, dask_table = timed(scenario=sc, parameters={}, seeds=n, scheduler=address)
    cols = [c for c in table.columns if c != "wall_time_s"]
    same = dask_table[cols].equals(table[cols])
    per_run = (on_dask - inprocess) / n
    print(f"    Dask: {on_dask:.2f} s, {on_dask / n * 1e3:.0f} ms per run (cluster start {start:.1f} s and the "
          f"worker's warm-up not counted); same table as in-process: {same}")
    print(f"    overhead {per_run * 1e3:.0f} ms per run (target < {OVERHEAD_TARGET_S * 1e3:.0f} ms: "
          f"{'met' if per_run < OVERHEAD_TARGET_S else 'NOT met'}); ratio Dask / in-process "
          f"{on_dask / inprocess:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="one-day runs for (a), a multiple of 8 (default 40)")
    parser.add_argument("--tiny", type=int, default=40, help="tiny runs for (b) (default 40)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    speedup(args.runs)
    dask_overhead(args.tiny)


if __name__ == "__main__":
    main()

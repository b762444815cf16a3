"""Coverage benchmarks: the figures of merit against the access search under them, and the 1-deg globe at scale.

Prints wall times and ratios against baselines measured in the same run (machines are shared and noisy), with the
load average before, at every round and after; with ``--rounds N`` every figure is measured N times, the cases
interleaved, and shown as min and median. The case: the 1,584-satellite shell of ``walker_shell.yaml`` over its
day, 30 deg off nadir.
  (a) one row of the 1-deg globe grid (30-31 N, 309 cells, about 400,000 accesses) as one chunk: ``coverage()``
      in this process against ``access.target_windows`` on the same cell centres, the access search it calls
      (target: the grid, the tables and the figures add under 10 %);
  (b) the whole globe at 1 deg (41,440 cells), ``coverage(keep=False)`` in a child process of its own (wall time
      and that process's peak resident memory, target under 2 GiB) against the same call on a Dask LocalCluster
      of ``--workers`` single-threaded processes (wall time, speed-up, each worker's peak resident memory); the
      two cell tables must be identical.

Usage: python benchmarks/coverage_grid.py [--rounds N] [--workers N] [--skip-globe]
"""

from __future__ import annotations

from common import ROOT  # first: pins numpy to one thread before it loads
import os  # noqa: E402

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from sweep import load, spread  # noqa: E402
from topology import maxrss_mib  # noqa: E402

from constellation import coverage as cv  # noqa: E402
from constellation.access import Target, target_windows  # noqa: E402
from constellation.scenario import load_scenario  # noqa: E402

SCENARIO = ROOT / "constellation" / "scenarios" / "walker_shell.yaml"
OFF_NADIR = 30.0
ROW = "box:30,-180,31,180"
OVERHEAD_TARGET = 1.10
MEMORY_TARGET_MIB = 2048.0


def worker_peak_mib() -> float:
    """``maxrss_mib`` of a Dask worker (a function of this script travels by value; one of topology.py would not)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def shell():
    sc = load_scenario(SCENARIO)
    return sc.fleet(), sc.duration_s


def row_chunk(rounds: int) -> None:
    fleet, span = shell()
    cells = cv.grid(ROW, "1 deg")
    targets = [Target(str(j), float(a), float(o)) for j, (a, o) in enumerate(zip(cells["lat_deg"], cells["lon_deg"]))]
    print(f"(a) one chunk: the 1-deg grid's row at 30-31 N ({len(cells)} cells), {len(fleet)} satellites, one day")
    target_windows(fleet, targets[:2], 0.0, 600.0, max_off_nadir_deg=OFF_NADIR)
    ours, base, ratios = [], [], []
    for r in range(rounds):
        t0 = time.perf_counter()
        windows = target_windows(fleet, targets, 0.0, span, max_off_nadir_deg=OFF_NADIR)
        base.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        res = cv.coverage(fleet, ROW, "1 deg", off_nadir=OFF_NADIR, end=span, chunk_cells=len(cells))
        ours.append(time.perf_counter() - t0)
        ratios.append(ours[-1] / base[-1])
        if len(res.accesses) != len(windows):
            raise SystemExit(f"coverage found {len(res.accesses)} accesses, target_windows {len(windows)}")
        print(f"    round {r + 1}: target_windows {base[-1]:.1f} s, coverage {ours[-1]:.1f} s, {ratios[-1]:.3f}x; "
              f"{len(windows)} accesses; load average {load()}")
    met = statistics.median(ratios) < OVERHEAD_TARGET
    print(f"    target_windows (baseline) {spread(base, '{:.1f}')} s; coverage {spread(ours, '{:.1f}')} s; ratio "
          f"{spread(ratios, '{:.3f}')}x (target < {OVERHEAD_TARGET:.2f}x: {'met' if met else 'NOT met'}); "
          f"{len(windows) / min(base) / 1e3:.1f} k accesses/s")


def globe_child(folder: str) -> None:
    """The in-process globe run of (b), in a process of its own so that its peak memory is its own."""
    t0 = time.perf_counter()
    res = cv.coverage(SCENARIO, "globe", "1 deg", off_nadir=OFF_NADIR, keep=False)
    wall = time.perf_counter() - t0
    res.cells.to_parquet(Path(folder) / "cells.parquet", index=False)
    print(json.dumps({"wall_s": wall, "maxrss_mib": maxrss_mib(), "chunks": res.info["chunks"],
                      "cells": res.info["cells"], "accesses": int(res.cells["accesses"].sum()),
                      "region": res.region.iloc[0].to_dict()}))


def globe(rounds: int, workers: int) -> None:
    from constellation.sweeps.execute import Executor

    print(f"(b) the globe at 1 deg, {SCENARIO.name}, one day, {OFF_NADIR:g} deg off nadir, keep=False")
    here, on_dask, worker_peaks, same = [], [], [], True
    child = None
    for r in range(rounds):
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run([sys.executable, __file__, "--child", tmp], capture_output=True, text=True,
                                  cwd=Path(__file__).parent)
            if proc.returncode:
                raise SystemExit(proc.stderr)
            child = json.loads(proc.stdout.strip().splitlines()[-1])
            cells = pd.read_parquet(Path(tmp) / "cells.parquet")
        here.append(child["wall_s"])
        print(f"    round {r + 1}: in one process {child['wall_s']:.0f} s, peak {child['maxrss_mib']:.0f} MiB; "
              f"load average {load()}")
        with Executor("local", workers=workers) as ex:
            t0 = time.perf_counter()
            res = cv.coverage(SCENARIO, "globe", "1 deg", off_nadir=OFF_NADIR, keep=False, scheduler=ex.client)
            on_dask.append(time.perf_counter() - t0)
            peaks = ex.client.run(worker_peak_mib)
        worker_peaks.append(max(peaks.values()))
        same = same and res.cells.equals(cells)
        print(f"    round {r + 1}: Dask, {workers} workers {on_dask[-1]:.0f} s, worker peaks "
              f"{', '.join(f'{p:.0f}' for p in peaks.values())} MiB; same cells: {res.cells.equals(cells)}; "
              f"load average {load()}")
    region = child["region"]
    print(f"    {child['cells']} cells in {child['chunks']} chunks, {child['accesses']:,} accesses; "
          f"{region['cells_covered_pct']:.1f} % of cells covered at least once, {region['time_covered_pct']:.1f} % "
          f"of the time (area-weighted), worst revisit {region['revisit_max_s'] / 60:.1f} min")
    peak = child["maxrss_mib"]
    print(f"    in one process: {spread(here, '{:.0f}')} s, peak resident memory {peak:.0f} MiB (target < "
          f"{MEMORY_TARGET_MIB:.0f} MiB: {'met' if peak < MEMORY_TARGET_MIB else 'NOT met'})")
    speedup = spread([h / d for h, d in zip(here, on_dask)])
    print(f"    Dask LocalCluster of {workers}: {spread(on_dask, '{:.0f}')} s, {speedup}x faster than one process; "
          f"worker peak {spread(worker_peaks, '{:.0f}')} MiB; same tables: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="times to measure each figure (default 1)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the Dask run (default 2)")
    parser.add_argument("--skip-globe", action="store_true", help="only (a)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        globe_child(args.child)
        return
    print(f"{os.cpu_count()} CPUs; load average {load()}")
    row_chunk(max(args.rounds, 1))
    if not args.skip_globe:
        globe(max(args.rounds, 1), args.workers)
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()

"""Parameter sweeps: one scenario run over a grid or a sample of its parameters, in this process or on Dask.

A sweep is a list of scenarios (``sweep_runs``): the base scenario with some values replaced, each run a pure
function of its scenario. ``sweep`` runs them and returns one row per run, and with ``out`` keeps every finished
run on disk so that running the same sweep again only does what is left.

The package has one module per part: ``plan`` (sampling and parameter paths into validated scenarios),
``execute`` (where runs go: in process, or Dask; ``worker`` is the part that runs in a Dask worker), ``store``
(the resumable folder), ``table`` (metrics and the results table) and ``progress`` (the progress bar).
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import SweepError
from .execute import EXECUTORS, Executor, Task, executor_kind
from .plan import METHODS, SweepRun, make_plan, resolve_path, scenario_json, sweep_runs
from .progress import ProgressBar
from .store import MANIFEST_FILE, RUNS_DIR, Store, read_manifest, read_records
from .table import DERIVED_METRICS, build_table, check_metrics, metric_names

__all__ = [
    "DERIVED_METRICS", "EXECUTORS", "METHODS", "SweepError", "SweepRun", "read_sweep", "resolve_path", "sweep",
    "sweep_runs",
]


def sweep(
    scenario,
    parameters: Mapping[str, Any] | None = None,
    *,
    method: str = "grid",
    samples: int | None = None,
    seeds: int | Sequence[int] | None = None,
    rng: int = 0,
    metrics: Sequence[str] | None = None,
    executor: str | None = None,
    workers: int | None = None,
    scheduler=None,
    out: str | Path | None = None,
    progress: bool = True,
    retries: int = 2,
    retry_failed: bool = False,
    timeout: float | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` over a parameter space and return one row per run.

    ``scenario`` is a Scenario, a file or a bundled scenario name. ``parameters`` maps dotted paths to values: a
    list of values (a single value is a list of one) or, for ``method="random"`` and ``"latin_hypercube"``, a
    ``(low, high)`` tuple for a range (integers when both ends are). ``grid`` runs the product of the value lists;
    the samplers draw ``samples`` points, seeded by ``rng``. ``seeds=K`` runs every point with mission seeds
    0..K-1 (or give the seeds as a list); without it each run keeps the scenario's seed. Every scenario is
    validated before anything runs: a bad path or value raises ``SweepError`` (a ValueError) naming it.

    ``metrics`` are dotted paths into ``Results.metrics`` (``latency_message.mean_s``) or ``DERIVED_METRICS``.
    ``executor``: ``"local"`` (a Dask LocalCluster of ``workers`` single-threaded processes on this machine,
    default one per core), ``"inprocess"`` (one after another here, for debugging) or ``"dask"`` (the cluster of
    ``scheduler``, an address or a ``distributed.Client``, where ``workers`` does not apply; without a scheduler,
    the same LocalCluster as ``"local"``); the default is ``"dask"`` when a scheduler is given, else ``"local"``.
    A run that raises is recorded as failed and the others go on; a run whose worker process died is run again,
    up to ``retries`` times on the sweep's own cluster (a running cluster's scheduler has its own
    ``distributed.scheduler.allowed-failures``). A run still going after ``timeout`` seconds is stopped and recorded
    as failed (see ``constellation.sweeps.execute`` for how).

    With ``out``, each finished run is written to ``out/runs/KEY.json`` as it comes in, ``out/sweep.json`` records
    the sweep, and the table is written to ``out/results.parquet``; the same sweep run again skips the runs
    already there (failed ones too, unless ``retry_failed``), and a folder holding another sweep is refused.
    """
    plan = make_plan(scenario, parameters, method, samples, seeds, rng)
    names = metric_names(metrics, plan.base)
    kind = executor_kind(executor, scheduler)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer))
                                or workers < 1):
        raise SweepError(f"workers must be a whole number >= 1 (got {workers!r})")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise SweepError(f"retries must be a whole number >= 0 (got {retries!r})")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float, np.number))
                                or not math.isfinite(timeout) or timeout <= 0):
        raise SweepError(f"timeout must be a number of seconds > 0 (got {timeout!r})")
    store = Store(Path(out), plan) if out is not None else None
    records = store.existing() if store is not None else {}
    if retry_failed:
        records = {k: r for k, r in records.items() if r.get("status") == "ok"}
    checked = check_metrics(names, records)
    runs, tasks = {}, []
    for run in plan.runs:
        if run.key not in records and run.key not in runs:
            runs[run.key] = run
            tasks.append(Task(run.key, scenario_json(run.scenario)))
    bar = ProgressBar(progress, plan.base.name, len(records) + len(tasks), len(records),
                      sum(r.get("status") != "ok" for r in records.values()))

    def on_done(task: Task, result: dict, attempts: int) -> None:
        nonlocal checked
        run = runs[task.key]
        record = {"key": run.key, "params": run.params, "seed": run.seed, "overrides": run.overrides, **result,
                  "attempts": attempts, "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if store is not None:
            store.write(record)
        records[run.key] = record
        bar.advance(record["status"] == "ok")
        if not checked and record["status"] == "ok":
            checked = check_metrics(names, {run.key: record})

    try:
        if tasks:
            with Executor(kind, workers=None if workers is None else int(workers), scheduler=scheduler,
                          retries=retries, timeout=None if timeout is None else float(timeout)) as running:
                if store is not None:
                    store.create()
                running.run(tasks, on_done)
    finally:
        bar.close()
    table = build_table([(r.key, r.params, r.seed) for r in plan.runs], records, plan.names, names)
    if store is not None:
        store.write_table(table)
    return table


def read_sweep(out: str | Path, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The table of the sweep in folder ``out`` as it stands: finished runs, and ``pending`` rows for the rest."""
    from ..scenario import Scenario

    out = Path(out)
    manifest = read_manifest(out)
    if manifest is None:
        raise SweepError(f"{out} holds no {MANIFEST_FILE}: it is not a sweep folder")
    base = Scenario.model_validate(manifest["scenario"])
    names = metric_names(metrics, base)
    records = read_records(out / RUNS_DIR)
    rows = [(r["key"], r["params"], r["seed"]) for r in manifest["runs"]]
    return build_table(rows, records, list(manifest["space"]["parameters"]), names)

"""Parameter sweeps: one scenario run over a grid or a sample of its parameters, on local processes or Dask.

A sweep is a list of scenarios (``sweep_runs``): the base scenario with some values replaced, each run a pure
function of its scenario. ``sweep`` runs them and returns one row per run, and with ``out`` keeps every finished
run on disk so that running the same sweep again only does what is left.

Parameters are dotted paths into the scenario: mapping keys, list indices (``satellites.0.planes``) and, inside a
list, the ``name`` of one of its elements (``satellites.soleimani.planes``). A first segment that is not a key of
the scenario but names an element of a top-level list (``satellites``, ``ground_stations``) selects that element,
so ``soleimani.planes`` and ``mahdasht.min_elevation`` work too; a scenario key always wins over a name.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import json
import math
import os
import signal
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "DERIVED_METRICS", "EXECUTORS", "METHODS", "SweepError", "SweepRun", "read_sweep", "resolve_path", "sweep",
    "sweep_runs",
]

METHODS = ("grid", "random", "latin_hypercube")
EXECUTORS = ("local", "inprocess", "dask")
MANIFEST_FILE = "sweep.json"
RESULTS_FILE = "results.parquet"
RUNS_DIR = "runs"
FORMAT = 1
SCHEDULER_TIMEOUT_S = 5.0
"""Longest wait to reach a Dask scheduler address (shorter if Dask's ``distributed.comm.timeouts.connect`` is)."""

DERIVED_METRICS = {
    "passes_per_day": "satellite passes per day, mean over the ground stations",
    "longest_gap_s": "longest time some ground station had no satellite in view, s",
    "contacts": "satellite-station contact windows over the run",
    "delivered_fraction": "share of the mission's data products delivered",
    "target_max_gap_s": "longest wait for an image of any imaging target, start and end of the run included, s",
}
"""Metrics computed from a run's tables rather than read from ``Results.metrics``."""

MISSION_METRICS = (
    "coverage", "revisit_mean_s", "latency_image.mean_s", "latency_message.mean_s", "latency_message.p90_s",
    "delivered", "dropped", "relay_utilisation", "lowest_charge", "passes_per_day",
)
STATION_METRICS = ("passes_per_day", "longest_gap_s", "contacts")
_RESERVED = ("run", "seed", "status", "error", "wall_time_s")


class SweepError(ValueError):
    """A sweep that cannot start or go on: a bad parameter path or value, metric, executor or output folder."""


@dataclass
class SweepRun:
    """One run of a sweep: its key, the parameter values as given, the mission seed and the validated scenario.

    ``overrides`` maps canonical paths (``satellites.0.planes``) to values; ``key`` hashes them with the seed.
    """

    key: str
    params: dict
    seed: int | None
    overrides: dict
    scenario: Any


@dataclass
class _Plan:
    base: Any
    base_data: dict
    names: list[str]
    runs: list[SweepRun]
    space: dict


def sweep_runs(scenario, parameters: Mapping[str, Any] | None = None, *, method: str = "grid",
               samples: int | None = None, seeds: int | Sequence[int] | None = None, rng: int = 0) -> list[SweepRun]:
    """The runs of a sweep, in order, each with its validated scenario (see ``sweep`` for the arguments)."""
    return _plan(scenario, parameters, method, samples, seeds, rng).runs


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
) -> pd.DataFrame:
    """Run ``scenario`` over a parameter space and return one row per run.

    ``scenario`` is a Scenario, a file or a bundled scenario name. ``parameters`` maps dotted paths to values: a
    list of values (a single value is a list of one) or, for ``method="random"`` and ``"latin_hypercube"``, a
    ``(low, high)`` tuple for a range (integers when both ends are). ``grid`` runs the product of the value lists;
    the samplers draw ``samples`` points, seeded by ``rng``. ``seeds=K`` runs every point with mission seeds
    0..K-1 (or give the seeds as a list); without it each run keeps the scenario's seed. Every scenario is
    validated before anything runs: a bad path or value raises ``SweepError`` (a ValueError) naming it.

    ``metrics`` are dotted paths into ``Results.metrics`` (``latency_message.mean_s``) or ``DERIVED_METRICS``.
    ``executor``: ``"local"`` (processes on this machine, ``workers`` of them, default all cores), ``"inprocess"``
    (one after another here, for debugging) or ``"dask"`` (a LocalCluster of ``workers`` processes, or the
    cluster of ``scheduler``, an address or a ``distributed.Client``, where ``workers`` does not apply); the
    default is ``"dask"`` when a scheduler is given, else ``"local"``. A run that raises is recorded as failed and
    the others go on; a run whose worker process died is retried up to ``retries`` times.

    With ``out``, each finished run is written to ``out/runs/KEY.json`` as it comes in, ``out/sweep.json`` records
    the sweep, and the table is written to ``out/results.parquet``; the same sweep run again skips the runs
    already there (failed ones too, unless ``retry_failed``), and a folder holding another sweep is refused.
    """
    plan = _plan(scenario, parameters, method, samples, seeds, rng)
    names = _metric_names(metrics, plan.base)
    kind = _executor_kind(executor, scheduler)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer))
                                or workers < 1):
        raise SweepError(f"workers must be a whole number >= 1 (got {workers!r})")
    if not isinstance(retries, int) or retries < 0:
        raise SweepError(f"retries must be a whole number >= 0 (got {retries!r})")
    store = _Store(Path(out), plan) if out is not None else None
    records = store.existing() if store is not None else {}
    if retry_failed:
        records = {k: r for k, r in records.items() if r.get("status") == "ok"}
    checked = _check_metrics(names, records)
    seen, tasks = set(records), []
    for run in plan.runs:
        if run.key not in seen:
            seen.add(run.key)
            tasks.append(_Task(run.key, run))
    bar = _Bar(progress, plan.base.name, len(seen), len(records),
               sum(r.get("status") != "ok" for r in records.values()))

    def on_done(task: _Task, result: dict, attempts: int | None) -> None:
        nonlocal checked
        run = task.run
        record = {"key": run.key, "params": run.params, "seed": run.seed, "overrides": run.overrides, **result,
                  "attempts": attempts, "finished_utc": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if store is not None:
            store.write(record)
        records[run.key] = record
        bar.advance(record["status"] == "ok")
        if not checked and record["status"] == "ok":
            checked = _check_metrics(names, {run.key: record})

    try:
        if tasks:
            with _Executor(kind, workers, scheduler, retries) as execute:
                if store is not None:
                    store.create()
                execute(tasks, on_done)
    finally:
        bar.close()
    table = _table([(r.key, r.params, r.seed) for r in plan.runs], records, plan.names, names)
    if store is not None:
        store.write_table(table)
    return table


def read_sweep(out: str | Path, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """The table of the sweep in folder ``out`` as it stands: finished runs, and ``pending`` rows for the rest."""
    from .scenario import Scenario

    out = Path(out)
    manifest = _read_manifest(out)
    if manifest is None:
        raise SweepError(f"{out} holds no {MANIFEST_FILE}: it is not a sweep folder")
    base = Scenario.model_validate(manifest["scenario"])
    names = _metric_names(metrics, base)
    records = _read_records(out / RUNS_DIR)
    rows = [(r["key"], r["params"], r["seed"]) for r in manifest["runs"]]
    return _table(rows, records, list(manifest["space"]["parameters"]), names)


def _plan(scenario, parameters, method, samples, seeds, rng) -> _Plan:
    from .scenario import Scenario, load_scenario

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    base_data = _portable(base.model_dump(mode="json"))
    if method not in METHODS:
        raise SweepError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    parameters = dict(parameters or {})
    for name in parameters:
        if not isinstance(name, str):
            raise SweepError(f"parameter names are dotted paths as strings (got {name!r})")
        if name in _RESERVED:
            raise SweepError(f"parameter {name!r}: that name is a column of the results table; give the full path")
    specs = {name: _spec(name, spec, method) for name, spec in parameters.items()}
    paths = {name: resolve_path(base_data, name) for name in parameters}
    by_path: dict[tuple, str] = {}
    for name, path in paths.items():
        if path in by_path:
            raise SweepError(f"parameters {by_path[path]!r} and {name!r} are the same field ({_dotted(path)})")
        by_path[path] = name
    seed_list = _seeds(seeds, base, by_path)
    points = _points(specs, method, samples, rng)
    runs = []
    validated: dict[str, Any] = {}
    for point in points:
        overrides = {".".join(map(str, paths[n])): v for n, v in point.items()}
        token = _canonical(overrides)
        if token not in validated:
            validated[token] = _validated(base_data, point, paths)
        sc = validated[token]
        for s in seed_list:
            run_sc = sc if s is None else sc.model_copy(update={"mission": sc.mission.model_copy(update={"seed": s})})
            seed = run_sc.mission.seed if run_sc.mission is not None else None
            key = hashlib.sha256(_canonical({"overrides": overrides, "seed": seed}).encode()).hexdigest()[:16]
            runs.append(SweepRun(key, dict(point), seed, overrides, run_sc))
    space = {
        "method": method,
        "parameters": {n: _spec_json(s) for n, s in specs.items()},
        "samples": samples if method != "grid" else None,
        "seeds": seed_list if seeds is not None else None,
        "rng": rng if method != "grid" else None,
    }
    return _Plan(base, base_data, list(parameters), runs, space)


def resolve_path(data: Mapping, path: str) -> tuple:
    """The canonical key path (``('satellites', 0, 'planes')``) of a dotted parameter path in a scenario's JSON form."""
    if not isinstance(path, str) or not path or any(not s for s in path.split(".")):
        raise SweepError(f"parameter {path!r}: expected a dotted path such as 'satellites.0.planes'")
    node: Any = data
    out: list = []
    for i, seg in enumerate(path.split(".")):
        where = _dotted(tuple(out)) or "the scenario"
        if isinstance(node, Mapping):
            if seg in node:
                out.append(seg)
                node = node[seg]
                continue
            if i == 0:
                hits = [(k, j) for k, v in data.items() if isinstance(v, list)
                        for j, e in enumerate(v) if isinstance(e, Mapping) and e.get("name") == seg]
                if len(hits) == 1:
                    out += list(hits[0])
                    node = data[hits[0][0]][hits[0][1]]
                    continue
                if len(hits) > 1:
                    raise SweepError(f"parameter {path!r}: {seg!r} names more than one element "
                                     f"({', '.join(_dotted(h) for h in hits)}); give the full path")
            import difflib

            close = difflib.get_close_matches(seg, list(node), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; keys there: {', '.join(node)}"
            raise SweepError(f"parameter {path!r}: {where} has no key {seg!r}{hint}")
        if isinstance(node, list):
            if seg.isdigit():
                idx = int(seg)
                if idx >= len(node):
                    raise SweepError(f"parameter {path!r}: {where} has {len(node)} entries, so no index {idx}")
            else:
                named = [j for j, e in enumerate(node) if isinstance(e, Mapping) and e.get("name") == seg]
                if len(named) != 1:
                    known = ", ".join(str(e.get("name")) for e in node if isinstance(e, Mapping) and "name" in e)
                    raise SweepError(f"parameter {path!r}: {where} is a list with no entry named {seg!r} "
                                     f"(give an index 0..{len(node) - 1}" + (f" or a name: {known})" if known else ")"))
                idx = named[0]
            out.append(idx)
            node = node[idx]
            continue
        if node is None:
            raise SweepError(f"parameter {path!r}: {where} is not set in the scenario, so it has no {seg!r}")
        raise SweepError(f"parameter {path!r}: {where} is a value ({node!r}), not a section with {seg!r}")
    return tuple(out)


def _dotted(path: tuple) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _plain(value: Any, where: str) -> Any:
    """``value`` as plain JSON data: numpy scalars as Python numbers, Quantities as strings with their unit."""
    if isinstance(value, np.generic):
        value = value.item()
    if hasattr(value, "unit") and hasattr(value, "value") and np.ndim(value.value) == 0:
        return f"{float(value.value)!r} {value.unit.to_string()}"
    if isinstance(value, Mapping):
        return {str(k): _plain(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SweepError(f"parameter {where!r}: {value!r} is not a finite number")
        return value
    raise SweepError(f"parameter {where!r}: cannot use a {type(value).__name__} ({value!r}) as a scenario value")


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _spec(name: str, spec: Any, method: str) -> tuple:
    if isinstance(spec, tuple):
        if len(spec) != 2 or not all(_is_number(v) for v in spec):
            raise SweepError(f"parameter {name!r}: a tuple is a (low, high) range of two numbers (got {spec!r}); "
                             "give a list for a set of values")
        if method == "grid":
            raise SweepError(f"parameter {name!r}: a (low, high) range needs method 'random' or 'latin_hypercube'; "
                             "a grid takes a list of values")
        low, high = (_plain(v, name) for v in spec)
        if not low < high:
            raise SweepError(f"parameter {name!r}: the range needs low < high (got {spec!r})")
        return ("range", low, high)
    values = list(spec) if isinstance(spec, (list, np.ndarray, range)) else [spec]
    if not values:
        raise SweepError(f"parameter {name!r}: no values given")
    return ("values", [_plain(v, name) for v in values])


def _spec_json(spec: tuple) -> Any:
    return {"low": spec[1], "high": spec[2]} if spec[0] == "range" else spec[1]


def _seeds(seeds, base, by_path) -> list:
    if seeds is None:
        return [None]
    if base.mission is None:
        raise SweepError("seeds: the scenario has no mission section, so nothing in its runs is random; "
                         "leave seeds out")
    if ("mission", "seed") in by_path:
        raise SweepError(f"seeds and parameter {by_path[('mission', 'seed')]!r} both set mission.seed; give one")
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise SweepError(f"seeds must be >= 1 (got {seeds})")
        return list(range(int(seeds)))
    try:
        out = [int(s) for s in seeds if _is_number(s) and int(s) == s]
    except TypeError:
        out = []
    if not out or len(out) != len(list(seeds)) or len(set(out)) != len(out):
        raise SweepError(f"seeds must be a count K (seeds 0..K-1) or a list of distinct whole numbers (got {seeds!r})")
    return out


def _points(specs: dict, method: str, samples, rng) -> list[dict]:
    names = list(specs)
    if method == "grid":
        if samples is not None:
            raise SweepError("samples: a grid runs every combination of the values; samples is for the random and "
                             "latin_hypercube methods")
        return [dict(zip(names, combo)) for combo in itertools.product(*(specs[n][1] for n in names))]
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise SweepError(f"samples: method {method!r} needs a number of samples >= 1 (got {samples!r})")
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise SweepError(f"rng: the samplers' seed must be a whole number (got {rng!r})")
    samples = int(samples)
    gen = np.random.default_rng(int(rng))
    if not names:
        return [{} for _ in range(samples)]
    if method == "random":
        u = gen.random((samples, len(names)))
    else:
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(names), rng=gen).random(samples)
    columns = {n: [_draw(specs[n], x) for x in u[:, j]] for j, n in enumerate(names)}
    return [{n: columns[n][i] for n in names} for i in range(samples)]


def _draw(spec: tuple, u: float) -> Any:
    """The value of a parameter at ``u`` in [0, 1): strata of equal width over the range or the choices."""
    if spec[0] == "values":
        values = spec[1]
        return values[min(int(u * len(values)), len(values) - 1)]
    low, high = spec[1], spec[2]
    if isinstance(low, int) and isinstance(high, int):
        return min(low + int(u * (high - low + 1)), high)
    return float(low + u * (high - low))


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _portable(data: dict) -> dict:
    """The scenario's JSON form with TLE files read into ``lines``, so that a worker elsewhere needs no files."""
    if not any(e.get("orbit") == "tle" and e.get("file") for e in data.get("satellites") or []):
        return data
    data = copy.deepcopy(data)
    for e in data["satellites"]:
        if e.get("orbit") == "tle" and e.get("file"):
            e["lines"], e["file"] = Path(e["file"]).read_text(), None
    return data


def _validated(base_data: dict, point: dict, paths: dict):
    from .scenario import ScenarioError, _validate

    data = copy.deepcopy(base_data)
    for name, value in point.items():
        node = data
        for k in paths[name][:-1]:
            node = node[k]
        node[paths[name][-1]] = copy.deepcopy(value)
    try:
        return _validate(data, "sweep")
    except ScenarioError as exc:
        raise SweepError(_explain(exc.problems, point, paths)) from None


def _explain(problems, point: dict, paths: dict) -> str:
    lines = []
    for p in problems:
        blamed = [n for n in point if _related(_dotted(paths[n]), p.path)]
        where = f"{p.path}: " if p.path else ""
        others = ", ".join(f"{n} = {v!r}" for n, v in point.items() if n not in blamed)
        if blamed:
            given = ", ".join(f"{n} = {point[n]!r}" for n in blamed)
            context = f" (with {others})" if others else ""
            lines.append(f"parameter {given}{context}: the scenario rejects it: {where}{p.message}")
        else:
            lines.append(f"the run with {others or 'no overrides'} is not a valid scenario: {where}{p.message}")
    return "\n".join(lines)


def _related(a: str, b: str) -> bool:
    return a == b or any(x.startswith(y + s) for x, y in ((a, b), (b, a)) for s in (".", "["))


def _metric_names(metrics, base) -> list[str]:
    if metrics is None:
        return list(MISSION_METRICS if base.mission is not None else STATION_METRICS)
    if isinstance(metrics, str):
        metrics = [metrics]
    names = list(metrics)
    for n in names:
        if not isinstance(n, str) or not n or any(not s for s in n.split(".")):
            raise SweepError(f"metric {n!r}: expected a dotted path such as 'latency_message.mean_s'")
        if n in _RESERVED:
            raise SweepError(f"metric {n!r} is already a column of the results table")
    if base.mission is None:
        station = [m for m in DERIVED_METRICS if m in STATION_METRICS]
        bad = [n for n in names if n not in station]
        if bad:
            raise SweepError(f"metric {bad[0]!r}: the scenario has no mission section, so its runs have only the "
                             f"metrics {', '.join(station)}")
    if len(set(names)) != len(names):
        raise SweepError("metrics: a metric is named twice")
    return names


def _check_metrics(names: list[str], records: dict) -> bool:
    """Check the metric names against one successful run's metrics; False while there is none to check against."""
    ok = next((r for r in records.values() if r.get("status") == "ok"), None)
    if ok is None:
        return False
    for name in names:
        if name in DERIVED_METRICS:
            continue
        node: Any = ok.get("metrics") or {}
        segs = name.split(".")
        for i, seg in enumerate(segs):
            if isinstance(node, Mapping) and seg in node:
                node = node[seg]
            elif isinstance(node, Mapping) and 0 < i == len(segs) - 1 and _counts(node):
                node = 0
            else:
                raise SweepError(f"metric {name!r}: no such metric; a run's metrics are "
                                 f"{', '.join(list(DERIVED_METRICS) + _flat_names(ok.get('metrics') or {}))}")
        if isinstance(node, Mapping):
            raise SweepError(f"metric {name!r} is a group: pick one of "
                             f"{', '.join(f'{name}.{k}' for k in node)}")
    return True


def _counts(node: Mapping) -> bool:
    """A mapping of counts by open-ended keys (``drops_by_reason``), where a missing key means zero."""
    return all(isinstance(v, int) and not isinstance(v, bool) for v in node.values())


def _flat_names(metrics: Mapping, prefix: str = "") -> list[str]:
    out = []
    for k, v in metrics.items():
        if isinstance(v, Mapping) and v:
            out += _flat_names(v, f"{prefix}{k}.")
        else:
            out.append(f"{prefix}{k}")
    return out


def _metric(record: dict | None, name: str) -> Any:
    if record is None or record.get("status") != "ok":
        return math.nan
    if name in DERIVED_METRICS:
        value = (record.get("derived") or {}).get(name)
        return math.nan if value is None else value
    node: Any = record.get("metrics") or {}
    for i, seg in enumerate(name.split(".")):
        if isinstance(node, Mapping) and seg in node:
            node = node[seg]
        elif isinstance(node, Mapping) and i > 0 and _counts(node):
            return 0
        else:
            return math.nan
    return math.nan if node is None or isinstance(node, Mapping) else node


def _table(rows: list[tuple], records: dict, params: list[str], metrics: list[str]) -> pd.DataFrame:
    out = []
    for key, point, seed in rows:
        rec = records.get(key)
        row = {"run": key, **{p: point.get(p) for p in params}, "seed": seed,
               "status": rec["status"] if rec is not None else "pending",
               "error": rec.get("error") if rec is not None else None}
        row.update({m: _metric(rec, m) for m in metrics})
        row["wall_time_s"] = rec.get("wall_time_s", math.nan) if rec is not None else math.nan
        out.append(row)
    return pd.DataFrame(out, columns=["run", *params, "seed", "status", "error", *metrics, "wall_time_s"])


def _parquet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with object columns of mixed or nested values as text, so Parquet can hold them."""
    table = table.copy()
    for col in table.columns:
        if table[col].dtype != object:
            continue
        kinds = {type(v) for v in table[col] if v is not None and not (isinstance(v, float) and math.isnan(v))}
        if len(kinds) > 1 or kinds & {dict, list}:
            table[col] = [None if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else str(v))
                          for v in table[col]]
    return table


def _finite(value):
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _derived(results) -> dict:
    st = results.stations
    out = {
        "passes_per_day": float(st["passes_per_day"].mean()) if len(st) else None,
        "longest_gap_s": float(st["longest_gap_s"].max()) if len(st) else None,
        "contacts": int(st["passes"].sum()) if len(st) else 0,
    }
    m = results.metrics
    if m:
        out["delivered_fraction"] = m["delivered"] / m["products"] if m.get("products") else None
        targets = results.targets
        out["target_max_gap_s"] = (float(targets["max_gap_s"].max())
                                   if targets is not None and len(targets) else None)
    return _finite(out)


def _execute(scenario: Mapping) -> dict:
    """Run one scenario given in its JSON form; the record a sweep keeps: status, error, metrics and wall time."""
    from . import runner
    from .scenario import Scenario

    started = time.perf_counter()
    try:
        results = runner.run(Scenario.model_validate(scenario))
        out = {"status": "ok", "error": None, "metrics": _finite(results.metrics), "derived": _derived(results)}
    except (Exception, SystemExit) as exc:
        out = _failed(exc, traceback.format_exc())
    out["wall_time_s"] = round(time.perf_counter() - started, 4)
    out["host"] = f"{socket.gethostname()}:{os.getpid()}"
    return out


def _failed(exc: BaseException, trace: str | None = None, error: str | None = None) -> dict:
    return {"status": "failed", "error": error or f"{type(exc).__name__}: {exc}", "traceback": trace,
            "metrics": {}, "derived": {}}


@dataclass
class _Task:
    key: str
    run: SweepRun

    @property
    def payload(self) -> dict:
        return _portable(self.run.scenario.model_dump(mode="json"))


def _executor_kind(executor, scheduler) -> str:
    if executor is None:
        return "dask" if scheduler is not None else "local"
    if executor not in EXECUTORS:
        raise SweepError(f"executor must be one of {', '.join(EXECUTORS)} (got {executor!r})")
    if scheduler is not None and executor != "dask":
        raise SweepError(f"a scheduler address runs on Dask: use executor 'dask', not {executor!r}")
    return executor


class _Executor:
    """Context manager giving ``execute(tasks, on_done)`` for an executor kind; set-up errors are SweepErrors."""

    def __init__(self, kind: str, workers: int | None, scheduler, retries: int):
        self.kind, self.workers, self.scheduler, self.retries = kind, workers, scheduler, retries
        self.client = self.cluster = None
        self.own_client = False

    def __enter__(self) -> Callable:
        if self.kind == "inprocess":
            return lambda tasks, on_done: [on_done(t, _execute(t.payload), 1) for t in tasks]
        if self.kind == "local":
            return lambda tasks, on_done: _run_local(tasks, self.workers or _cores(), self.retries, on_done)
        self.client, self.cluster, self.own_client = _dask_client(self.scheduler, self.workers, self.retries)
        return lambda tasks, on_done: _run_dask(self.client, tasks, on_done)

    def __exit__(self, *exc) -> None:
        if self.own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


_STARTED = None


def _init_worker(started) -> None:
    global _STARTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STARTED = started


def _reporting(key: str, payload, fn: Callable) -> dict:
    """Tell the parent which run this worker starts, then run it (so a dead worker's run is known)."""
    if _STARTED is not None:
        _STARTED.put(key)
    return fn(payload)


def _run_local(tasks: list[_Task], workers: int, retries: int, on_done: Callable, fn: Callable = _execute) -> None:
    """Run ``fn(task.payload)`` for every task on a pool of worker processes.

    A dead worker breaks the whole pool; the runs then in flight are suspects. They are run again one at a time
    on a pool of one, which tells the run that kills its worker from those that were only beside it; a run that
    has killed its worker ``retries + 1`` times is recorded as failed, and the rest go on with a fresh pool.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    waiting, suspects = list(tasks), []
    deaths: dict[str, int] = {}
    stalled = 0
    while waiting or suspects:
        isolate = bool(suspects)
        batch = suspects if isolate else waiting
        if isolate:
            suspects = []
        else:
            waiting = []
        done, started = _local_round(ctx, batch, 1 if isolate else min(workers, len(batch)), fn, on_done, deaths)
        stalled = 0 if (done or started) else stalled + 1
        if stalled > retries:
            raise SweepError("the worker processes died before starting any run. A script that calls sweep() must "
                             "do so under `if __name__ == \"__main__\":` (each worker imports it again); "
                             "executor='inprocess' shows other causes")
        for task in batch:
            if task.key in done:
                continue
            if task.key in started:
                deaths[task.key] = deaths.get(task.key, 0) + 1
                if deaths[task.key] > retries:
                    n = deaths[task.key]
                    on_done(task, _failed(RuntimeError(), error=f"the worker process died running it ({n} times)"),
                            n)
                    continue
                suspects.append(task)
            elif isolate:
                suspects.append(task)
            else:
                waiting.append(task)


def _local_round(ctx, batch, n, fn, on_done, deaths) -> tuple[set, set]:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    started_queue = ctx.SimpleQueue()
    started, done = set(), set()
    pool = ProcessPoolExecutor(n, mp_context=ctx, initializer=_init_worker, initargs=(started_queue,))
    clean = False
    try:
        with _sigint_ignored():
            futures = {pool.submit(_reporting, t.key, t.payload, fn): t for t in batch}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            _drain(started_queue, started)
            for f in finished:
                task = futures[f]
                exc = f.exception()
                if isinstance(exc, BrokenProcessPool):
                    continue
                if exc is not None:
                    raise SweepError(f"a worker process could not run a task: {type(exc).__name__}: {exc}")
                done.add(task.key)
                on_done(task, f.result(), deaths.get(task.key, 0) + 1)
        clean = True
    finally:
        if not clean:
            _terminate(pool)
        pool.shutdown(wait=clean, cancel_futures=True)
        _drain(started_queue, started)
        started_queue.close()
    return done, started


@contextlib.contextmanager
def _sigint_ignored():
    """Ignore Ctrl-C while starting worker processes: they inherit it, so that only this process stops on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _drain(queue, into: set) -> None:
    while not queue.empty():
        into.add(queue.get())


def _terminate(pool) -> None:
    stop = getattr(pool, "terminate_workers", None)
    if stop is not None:
        stop()
        return
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.terminate()


def _dask_client(scheduler, workers, retries):
    """A Dask client: on ``scheduler`` (an address or a Client), or on a new LocalCluster of processes."""
    import logging

    import dask
    from distributed import Client, LocalCluster

    if scheduler is None:
        with dask.config.set({"distributed.scheduler.allowed-failures": retries}), _sigint_ignored():
            cluster = LocalCluster(n_workers=workers or _cores(), threads_per_worker=1, processes=True,
                                   dashboard_address=":0", silence_logs=logging.ERROR)
        try:
            return Client(cluster), cluster, True
        except BaseException:
            cluster.close()
            raise
    if hasattr(scheduler, "submit") and hasattr(scheduler, "map"):
        return scheduler, None, False
    if not isinstance(scheduler, str):
        raise SweepError(f"scheduler must be an address such as 'tcp://host:8786' or a distributed.Client "
                         f"(got {scheduler!r})")
    from dask.utils import parse_timedelta

    timeout = min(SCHEDULER_TIMEOUT_S, parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s"))
    try:
        return Client(scheduler, timeout=timeout), None, True
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {reason}. Is `dask scheduler` running "
                         "there, and is the address right?") from None


def _run_dask(client, tasks: list[_Task], on_done: Callable) -> None:
    import uuid

    from distributed import as_completed

    tag = uuid.uuid4().hex[:8]
    futures = client.map(_execute, [t.payload for t in tasks], key=[f"run-{t.key}-{tag}" for t in tasks],
                         pure=False)
    by_key = {f.key: t for f, t in zip(futures, tasks)}
    try:
        for f in as_completed(futures):
            task = by_key.pop(f.key)
            if f.status == "finished":
                on_done(task, f.result(), None)
            elif f.status == "error" and type(f.exception()).__name__ == "KilledWorker":
                exc = f.exception()
                on_done(task, _failed(exc, error=f"the worker process died running it ({exc})"), None)
            else:
                exc = f.exception() if f.status == "error" else f"the task was {f.status}"
                raise SweepError(f"the Dask cluster could not run the sweep ({exc}); is the same version of "
                                 "constellation installed on its workers? The runs that finished are kept")
            f.release()
    except BaseException:
        client.cancel([f for f in futures if f.key in by_key])
        raise


class _Store:
    """A sweep's output folder: ``sweep.json``, one ``runs/KEY.json`` per finished run, ``results.parquet``."""

    def __init__(self, out: Path, plan: _Plan):
        self.out, self.runs_dir = out, out / RUNS_DIR
        self.manifest = {
            "format": FORMAT,
            "scenario_name": plan.base.name,
            "scenario_sha256": hashlib.sha256(_canonical(plan.base_data).encode()).hexdigest(),
            "space": json.loads(json.dumps(plan.space)),
            "runs": [{"key": r.key, "params": r.params, "seed": r.seed} for r in plan.runs],
            "scenario": plan.base_data,
        }

    def existing(self) -> dict:
        """The finished runs already in the folder; a SweepError if it holds something else."""
        out = self.out
        if out.exists() and not out.is_dir():
            raise SweepError(f"out: {out} exists and is not a folder")
        found = _read_manifest(out)
        if found is None:
            if out.is_dir() and any(out.iterdir()):
                raise SweepError(f"out: {out} is not empty and holds no {MANIFEST_FILE}, so it is not a sweep "
                                 "folder; give a new or empty folder")
            return {}
        if found.get("format") != FORMAT:
            raise SweepError(f"out: {out} holds a sweep in another format ({found.get('format')!r}); use a new folder")
        if found.get("scenario_sha256") != self.manifest["scenario_sha256"]:
            raise SweepError(f"out: {out} holds a sweep of a different base scenario "
                             f"({found.get('scenario_name')!r}, hash {str(found.get('scenario_sha256'))[:12]}, "
                             f"not {self.manifest['scenario_sha256'][:12]}); give another folder, nothing was "
                             "written")
        if found.get("space") != self.manifest["space"]:
            diff = [k for k in self.manifest["space"] if found["space"].get(k) != self.manifest["space"][k]]
            raise SweepError(f"out: {out} holds a sweep over a different parameter space (its "
                             + "; ".join(f"{k}: {found['space'].get(k)!r}" for k in diff)
                             + "; this sweep's " + "; ".join(f"{k}: {self.manifest['space'][k]!r}" for k in diff)
                             + "); give another folder, nothing was written")
        keys = {r["key"] for r in self.manifest["runs"]}
        return {k: r for k, r in _read_records(self.runs_dir).items() if k in keys}

    def create(self) -> None:
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        if not (self.out / MANIFEST_FILE).exists():
            _atomic_text(self.out / MANIFEST_FILE, json.dumps(self.manifest, indent=1) + "\n")

    def write(self, record: dict) -> None:
        _atomic_text(self.runs_dir / f"{record['key']}.json", json.dumps(_finite(record), indent=1) + "\n")

    def write_table(self, table: pd.DataFrame) -> None:
        path = self.out / RESULTS_FILE
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            _parquet_safe(table).to_parquet(tmp, index=False)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_manifest(out: Path) -> dict | None:
    path = out / MANIFEST_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SweepError(f"out: cannot read {path}: {exc}") from None


def _read_records(runs_dir: Path) -> dict:
    records = {}
    if not runs_dir.is_dir():
        return records
    for path in runs_dir.glob("*.json"):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("key") == path.stem:
            records[path.stem] = record
    return records


class _Bar:
    """The sweep's progress bar on stderr: runs done of all, and how many failed."""

    def __init__(self, enabled: bool, name: str, total: int, done: int, failed: int):
        self.progress = None
        if not enabled:
            return
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.failed = failed
        self.progress = Progress(
            TextColumn("sweep {task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[failed]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self.task = self.progress.add_task(name, total=total, completed=done, failed=self._failed_text())
        self.progress.start()

    def _failed_text(self) -> str:
        return f"[red]{self.failed} failed[/]" if self.failed else ""

    def advance(self, ok: bool) -> None:
        if self.progress is None:
            return
        self.failed += not ok
        self.progress.update(self.task, advance=1, failed=self._failed_text())

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()

"""The ``sweep`` command: a parameter sweep from the command line."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Optional

import typer

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*\.\.\s*({_NUMBER})\s*$")
MAX_SUMMARY_ROWS = 40


def parse_param(text: str) -> tuple[str, object]:
    """``PATH=V1,V2,...`` as (path, list of YAML scalars), or ``PATH=LOW..HIGH`` as (path, (low, high))."""
    import yaml

    from ..scenario import YamlLoader

    path, eq, values = text.partition("=")
    path = path.strip()
    if not eq or not path:
        raise ValueError("expected PATH=VALUES, such as satellites.0.planes=1,2,5")
    m = _RANGE.match(values)
    if m:
        low, high = (float(g) if re.search(r"[.eE]", g) else int(g) for g in m.groups())
        return path, (low, high)
    try:
        parsed = yaml.load(f"[{values}]", Loader=YamlLoader)
    except yaml.YAMLError as exc:
        raise ValueError(f"cannot read the values {values!r}: {getattr(exc, 'problem', None) or exc}") from None
    if not parsed:
        raise ValueError(f"no values after '=' for {path}")
    if any(isinstance(v, (list, dict)) for v in parsed):
        raise ValueError(f"values are plain scalars separated by commas (got {values!r})")
    return path, parsed


def sweep_command(
    scenario: str = typer.Argument(..., help="Scenario YAML file or Python scenario script."),
    param: Optional[list[str]] = typer.Option(
        None, "--param", "-p",
        help="PATH=V1,V2,... (values read as YAML: 5, true, '530 km') or PATH=LOW..HIGH (a range, for the random "
             "and latin_hypercube methods). PATH is dotted: satellites.0.planes, or by name: soleimani.planes. "
             "Repeat for each parameter."),
    out: Path = typer.Option(..., "--out", "-o", help="Output folder: one file per finished run, sweep.json and "
                             "results.parquet. Run the same command again to resume."),
    seeds: Optional[int] = typer.Option(None, "--seeds", help="Run every point with mission seeds 0..K-1."),
    method: str = typer.Option("grid", "--method", help="grid, random or latin_hypercube."),
    samples: Optional[int] = typer.Option(None, "--samples", help="Points to draw (random, latin_hypercube)."),
    rng: int = typer.Option(0, "--rng", help="Seed of the random and latin_hypercube samplers."),
    metric: Optional[list[str]] = typer.Option(
        None, "--metric", "-m", help="Metric column: a dotted path into the run's metrics (latency_message.mean_s) "
                                     "or passes_per_day, longest_gap_s, contacts, delivered_fraction, "
                                     "target_max_gap_s. Repeatable."),
    executor: Optional[str] = typer.Option(
        None, "--executor", help="local (a Dask LocalCluster of worker processes here, the default), inprocess "
                                 "(one by one, for debugging) or dask (the Dask cluster at --scheduler)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="Worker processes (default: all cores)."),
    timeout: Optional[float] = typer.Option(
        None, "--timeout", help="Seconds a run may take; one still going then is stopped (its worker process is "
                                "restarted) and recorded as failed."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler, "
                                            "such as tcp://10.0.0.5:8786."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Run again the runs recorded as failed."),
) -> None:
    """Run a scenario over a grid or a sample of its parameters; one row per run in OUT/results.parquet."""
    from rich.markup import escape

    from .common import console, err_console, fail, load
    from ..sweeps import SweepError, sweep

    parameters = {}
    for text in param or []:
        try:
            path, values = parse_param(text)
        except ValueError as exc:
            fail(f"--param {text!r}: {exc}")
        if path in parameters:
            fail(f"--param: {path} is given twice")
        parameters[path] = values
    sc = load(scenario)
    started = time.perf_counter()
    try:
        table = sweep(sc, parameters, method=method, samples=samples, seeds=seeds, rng=rng, metrics=metric,
                      executor=executor, workers=workers, scheduler=scheduler, out=out, progress=True,
                      retry_failed=retry_failed, timeout=timeout)
    except SweepError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        err_console.print(f"interrupted: the runs that finished are kept in {out}; run the same command again to "
                          "go on from there", highlight=False, soft_wrap=True)
        raise typer.Exit(130)
    except OSError as exc:
        fail(str(exc))
    _print_summary(table, list(parameters), console)
    failed = table[table["status"] == "failed"]
    console.print(f"{len(table)} runs: {len(table) - len(failed)} ok, {len(failed)} failed, in "
                  f"{time.perf_counter() - started:.1f} s; table in {out / 'results.parquet'}",
                  highlight=False, soft_wrap=True)
    for row in failed.drop_duplicates("run").head(5).itertuples():
        err_console.print(f"[red]failed[/] run {row.run}: {escape(str(row.error))}", highlight=False, soft_wrap=True)


def _print_summary(table, params: list[str], console) -> None:
    """One row per parameter point: ok runs of all, and the mean of each metric that fits the console's width."""
    from rich.table import Table

    skip = {"run", "seed", "status", "error", *params}
    metrics = [c for c in table.columns if c not in skip]
    keys = [table[p].map(repr) for p in params]
    groups = list(table.groupby(keys, sort=False, dropna=False)) if params else [((), table)]
    rows = []
    for _, group in groups[:MAX_SUMMARY_ROWS]:
        ok = group[group["status"] == "ok"]
        rows.append(([str(group.iloc[0][p]) for p in params] + [f"{len(ok)}/{len(group)}"],
                     {c: _number(ok[c].mean()) if len(ok) else "-" for c in metrics}))
    lead = [*params, "ok"]
    used = sum(max([_width(h)] + [len(r[0][i]) for r in rows]) + 3 for i, h in enumerate(lead)) + 1
    shown = []
    for c in metrics:
        used += max([_width(c)] + [len(r[1][c]) for r in rows]) + 3
        if used > console.width:
            break
        shown.append(c)
    view = Table(title="sweep: mean over seeds" if table["seed"].nunique() > 1 else "sweep")
    for col in lead:
        view.add_column(col.replace(".", "\n"), justify="left" if col in params else "right")
    for col in shown:
        view.add_column(col.replace(".", "\n"), justify="right", no_wrap=True)
    for head, values in rows:
        view.add_row(*head, *(values[c] for c in shown))
    notes = []
    if len(groups) > MAX_SUMMARY_ROWS:
        notes.append(f"{len(groups) - MAX_SUMMARY_ROWS} more points")
    if len(shown) < len(metrics):
        notes.append(f"{len(metrics) - len(shown)} more columns ({', '.join(metrics[len(shown):])})")
    if notes:
        view.caption = " and ".join(notes) + " in results.parquet"
    console.print(view)


def _width(header: str) -> int:
    return max(len(part) for part in header.split("."))


def _number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.4g}"

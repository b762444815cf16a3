"""The ``constellation plot`` and ``constellation report`` commands, registered in ``cli.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def _run(run_dir: Path):
    from .cli import _fail
    from .results import Results

    try:
        return Results.load(run_dir)
    except FileNotFoundError as exc:
        _fail(f"{exc} (make one with: constellation run SCENARIO --out DIR)")


def _matching_scenario(scenario: Optional[str], results):
    from .cli import _fail, _load

    if scenario is None:
        return None
    sc = _load(scenario)
    if sc.name != results.scenario_name:
        _fail(f"--scenario: {scenario} is the scenario {sc.name!r}, but the run is of {results.scenario_name!r}")
    return sc


def plot_command(
    run_dir: Path = typer.Argument(..., help="Run folder written by `constellation run SCENARIO --out DIR`."),
    kind: str = typer.Argument(..., help="groundtracks, contacts, topology, latency, storage or revisit."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Image file, .png or .svg (default: KIND.png)."),
    scenario: Optional[str] = typer.Option(None, "--scenario", "-s", help="The run's scenario file: needed for "
                                           "groundtracks and topology, whose geometry the run does not save."),
    at: Optional[str] = typer.Option(None, "--at", help="Time of the topology snapshot: seconds, a duration "
                                     "('6 h') or an ISO time."),
) -> None:
    """Draw one plot of a run: ground tracks, contact timeline, link topology, latency, storage or revisit."""
    from .cli import _fail, _time_s, console
    from .viz import plots

    if kind not in plots.KINDS:
        _fail(f"unknown plot {kind!r}; the kinds are: {', '.join(plots.KINDS)}")
    out = out if out is not None else Path(f"{kind}.png")
    if out.suffix.lower() not in plots.FORMATS:
        _fail(f"--out: {out} must end in {' or '.join(plots.FORMATS)}")
    results = _run(run_dir)
    if kind in plots.NEEDS_SCENARIO and scenario is None:
        _fail(f"the {kind} plot needs the run's scenario: add --scenario FILE")
    if kind == "topology" and at is None:
        _fail("the topology plot is a snapshot: add --at T (seconds, a duration such as '6 h', or an ISO time)")
    sc = _matching_scenario(scenario, results)
    t = _time_s(at, "--at", sc) if at is not None and sc is not None else 0.0
    try:
        path = plots.plot(kind, results, out, scenario=sc, at=t)
    except plots.PlotError as exc:
        _fail(str(exc))
    console.print(f"wrote the {kind} plot of {results.scenario_name} to {path}", highlight=False, soft_wrap=True)


def report_command(
    run_dir: Path = typer.Argument(..., help="Run folder written by `constellation run SCENARIO --out DIR`."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file (default: RUN-report.html here, "
                                       "named after the run folder)."),
    scenario: Optional[str] = typer.Option(None, "--scenario", "-s", help="The run's scenario file: adds the "
                                           "ground tracks and the link topology."),
    at: Optional[str] = typer.Option(None, "--at", help="Time of the topology snapshot (default: the epoch)."),
) -> None:
    """Write a self-contained HTML report of a run: summary, passes per station, mission metrics and plots."""
    from .cli import _fail, _time_s, console
    from .viz import plots
    from .viz.report import report

    results = _run(run_dir)
    out = out if out is not None else Path(f"{Path(run_dir).resolve().name}-report.html")
    if out.suffix.lower() not in (".html", ".htm"):
        _fail(f"--out: {out} must end in .html")
    sc = _matching_scenario(scenario, results)
    if at is not None and sc is None:
        _fail("--at needs --scenario (it places the topology snapshot)")
    t = _time_s(at, "--at", sc) if at is not None else 0.0
    try:
        path = report(results, out, scenario=sc, at=t)
    except plots.PlotError as exc:
        _fail(str(exc))
    console.print(f"wrote the report of {results.scenario_name} to {path}", highlight=False, soft_wrap=True)

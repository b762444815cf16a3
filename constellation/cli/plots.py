"""The ``plot`` and ``report`` commands: pictures and a self-contained HTML report of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..viz import KINDS


def _run(run_dir: Path):
    from .common import fail
    from ..results import Results, RunFolderError

    try:
        return Results.load(run_dir)
    except RunFolderError as exc:
        fail(f"{exc} (make one with: constellation run SCENARIO --out DIR)")


def _matching_scenario(scenario: Optional[str], results):
    from .common import fail, load

    if scenario is None:
        return None
    sc = load(scenario)
    if sc.name != results.scenario_name:
        fail(f"--scenario: {scenario} is the scenario {sc.name!r}, but the run is of {results.scenario_name!r}")
    return sc


def plot_command(
    run_dir: Path = typer.Argument(..., help="Run folder written by `constellation run SCENARIO --out DIR`."),
    kind: str = typer.Argument(..., help=f"One of: {', '.join(KINDS)}."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Image file, .png or .svg (default: KIND.png)."),
    scenario: Optional[str] = typer.Option(None, "--scenario", "-s", help="The run's scenario file: needed for "
                                           "groundtracks and topology, whose geometry the run does not save."),
    at: Optional[str] = typer.Option(None, "--at", help="Time of the topology snapshot: seconds, a duration "
                                     "('6 h') or an ISO time."),
) -> None:
    """Draw one plot of a run: ground tracks, contacts, topology, latency, storage, battery or revisit."""
    from .common import console, fail, time_s
    from ..viz import plots

    if kind not in plots.KINDS:
        fail(f"unknown plot {kind!r}; the kinds are: {', '.join(plots.KINDS)}")
    out = out if out is not None else Path(f"{kind}.png")
    if out.suffix.lower() not in plots.FORMATS:
        fail(f"--out: {out} must end in {' or '.join(plots.FORMATS)}")
    results = _run(run_dir)
    if kind in plots.NEEDS_SCENARIO and scenario is None:
        fail(f"the {kind} plot needs the run's scenario: add --scenario FILE")
    if kind == "topology" and at is None:
        fail("the topology plot is a snapshot: add --at T (seconds, a duration such as '6 h', or an ISO time)")
    sc = _matching_scenario(scenario, results)
    t = time_s(at, "--at", sc) if at is not None and sc is not None else 0.0
    try:
        path = plots.plot(kind, results, out, scenario=sc, at=t)
    except plots.PlotError as exc:
        fail(str(exc))
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
    from .common import console, fail, time_s
    from ..viz import plots
    from ..viz.report import report

    results = _run(run_dir)
    out = out if out is not None else Path(f"{Path(run_dir).resolve().name}-report.html")
    if out.suffix.lower() not in (".html", ".htm"):
        fail(f"--out: {out} must end in .html")
    sc = _matching_scenario(scenario, results)
    if at is not None and sc is None:
        fail("--at needs --scenario (it places the topology snapshot)")
    t = time_s(at, "--at", sc) if at is not None else 0.0
    try:
        path = report(results, out, scenario=sc, at=t)
    except plots.PlotError as exc:
        fail(str(exc))
    console.print(f"wrote the report of {results.scenario_name} to {path}", highlight=False, soft_wrap=True)

"""The ``constellation`` command line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Simulate satellite constellations: orbits, ground stations, contacts.",
)
console = Console()
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _load(path: str):
    from .scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        _fail(str(exc))


class _Progress:
    """A rich progress bar that only appears once work has taken more than a second."""

    def __init__(self, delay_s: float = 1.0):
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
            console=err_console, transient=True,
        )
        self._tasks: dict[str, int] = {}
        self._start = time.perf_counter()
        self._delay = delay_s
        self._shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)
        if not self._shown and time.perf_counter() - self._start > self._delay:
            self._progress.start()
            self._shown = True

    def close(self) -> None:
        if self._shown:
            self._progress.stop()


def _new_run_dir(name: str) -> Path:
    base = Path(name)
    if not base.exists():
        return base
    k = 2
    while Path(f"{name}-{k}").exists():
        k += 1
    return Path(f"{name}-{k}")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60.0:.1f}"


def _print_station_table(results) -> None:
    table = Table(title=f"{results.scenario_name}: passes per ground station over {results.duration_s / 86400:g} d")
    for col, justify in (
        ("station", "left"), ("passes/day", "right"), ("mean pass (min)", "right"), ("max pass (min)", "right"),
        ("total contact (min)", "right"), ("longest gap (h)", "right"),
    ):
        table.add_column(col, justify=justify)
    for row in results.stations.itertuples():
        table.add_row(
            row.station, f"{row.passes_per_day:.2f}", _minutes(row.mean_duration_s), _minutes(row.max_duration_s),
            _minutes(row.total_contact_s), f"{row.longest_gap_s / 3600.0:.2f}",
        )
    console.print(table)
    relay = results.info.get("relay_visible_fraction") or {}
    if relay:
        seen = ", ".join(f"{k} {v:.0%}" for k, v in relay.items())
        console.print(f"relay in view of: {seen}")


@app.command()
def run(
    scenario: str = typer.Argument(..., help="Scenario YAML file or Python scenario script."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: a new folder named "
                                       "after the scenario)."),
) -> None:
    """Propagate the scenario, compute every contact window, write contacts.parquet and summary.json."""
    from .runner import run as run_scenario

    sc = _load(scenario)
    out_dir = out if out is not None else _new_run_dir(sc.name)
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out: {out_dir} exists and is not a folder")
    progress = _Progress()
    try:
        results = run_scenario(sc, progress=progress)
    finally:
        progress.close()
    results.save(out_dir)
    _print_station_table(results)
    console.print(
        f"{len(results.contacts)} contact windows; wrote {out_dir / 'contacts.parquet'} and "
        f"{out_dir / 'summary.json'} in {results.info['wall_time_s']:.2f} s",
        highlight=False,
    )


@app.command()
def validate(
    scenario: str = typer.Argument(..., help="Scenario YAML file or Python scenario script."),
    deep: bool = typer.Option(False, "--deep", help="Also rebuild every orbit in boinor and compare (slow: JIT)."),
) -> None:
    """Check a scenario file and report every problem with its field path and line."""
    sc = _load(scenario)
    fleet = sc.fleet()
    if deep:
        from .orbits.boinor_bridge import check_fleet

        problems = check_fleet(fleet)
        if problems:
            _fail("boinor disagrees with the scenario's orbits:\n" + "\n".join(problems))
    kinds = [m.kind for m in fleet.members]
    console.print(
        f"{scenario}: ok ({kinds.count('satellite')} satellites, {kinds.count('relay')} relays, "
        f"{len(sc.stations())} ground stations, {sc.duration_s / 86400:g} d)",
        highlight=False,
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    from .scenario import scenario_json_schema

    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()

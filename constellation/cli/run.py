"""The scenario commands: ``run``, ``validate``, ``scenarios`` and ``schema``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .common import Progress, console, fail, load, new_run_dir, plural


def print_station_table(results) -> None:
    from ..metrics import STATION_HEADER, station_rows

    table = Table(title=f"{results.scenario_name}: passes per ground station over {results.duration_s / 86400:g} d")
    for col in STATION_HEADER:
        table.add_column(col, justify="left" if col == "station" else "right")
    for row in station_rows(results.stations):
        table.add_row(*row)
    console.print(table)
    relay = results.info.get("relay_visible_fraction") or {}
    if relay:
        from ..metrics import format_fraction

        seen = ", ".join(f"{k} {format_fraction(v, 0)}" for k, v in relay.items())
        console.print(f"relay in view of: {seen}", highlight=False)


def print_mission(metrics: dict) -> None:
    from ..metrics import mission_rows

    table = Table(title="mission", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in mission_rows(metrics):
        table.add_row(k, v)
    console.print(table)


def run_command(
    scenario: str = typer.Argument(..., help="Scenario YAML file or Python scenario script."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: a new folder "
                                       "runs/SCENARIO-UTCTIME)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the run already in --out (its tables "
                                   "only)."),
    max_memory: Optional[str] = typer.Option(None, "--max-memory", help="Refuse the run, before any work, when "
                                             "its estimated peak memory exceeds this size (e.g. 4GB, 512 MiB; "
                                             "default: 80% of the memory available now)."),
) -> None:
    """Run a scenario: contacts, link plan and, when it has one, the mission; tables as Parquet and summary.json."""
    from ..estimate import RunTooLarge, check, format_duration, parse_size
    from ..results import RunFolderError, check_destination
    from ..runner import run
    from .common import err_console


    limit = None
    if max_memory is not None:
        try:
            limit = parse_size(max_memory)
        except ValueError as exc:
            fail(f"--max-memory: {exc}")
    sc = load(scenario)
    try:
        est = check(sc, limit)
    except RunTooLarge as exc:
        fail(str(exc))
    if est.long:
        err_console.print(f"warning: this run is estimated to take {format_duration(est.time_s)} "
                          f"({est.describe()})", highlight=False, soft_wrap=True, markup=False)
    out_dir = out if out is not None else new_run_dir(sc.name)
    try:
        check_destination(out_dir, overwrite=overwrite)
    except RunFolderError as exc:
        fail(f"--out: {exc}")
    from ..sim import BehaviourFailed

    try:
        with Progress() as progress:
            results = run(sc, progress=progress, max_memory=limit)
    except BehaviourFailed as exc:
        fail(str(exc))
    try:
        results.save(out_dir, overwrite=overwrite)
    except (RunFolderError, OSError) as exc:
        fail(f"--out: {exc}")
    print_station_table(results)
    if results.metrics:
        print_mission(results.metrics)
    from ..metrics import contact_sentence

    console.print(
        f"{contact_sentence(results.contacts)}; wrote the tables and summary.json to {out_dir} in "
        f"{results.info['wall_time_s']:.2f} s",
        highlight=False, soft_wrap=True,
    )
    compiled = results.info.get("boinor_compile_s")
    if compiled:
        console.print(f"(of which boinor compiled its propagator in {compiled:.1f} s, once per process)",
                      highlight=False)


def validate_command(
    scenario: str = typer.Argument(..., help="Scenario YAML file or Python scenario script."),
    deep: bool = typer.Option(False, "--deep", help="Also rebuild every orbit in boinor and compare (slow: JIT)."),
) -> None:
    """Check a scenario file and report every problem with its field path and line."""
    sc = load(scenario)
    fleet = sc.fleet()
    if deep:
        from ..orbits.boinor_bridge import check_elements
        from ..orbits.elements import Elements

        kepler = [m for m in fleet.members if isinstance(m.orbit, Elements)]
        worst: dict = {}
        problems = check_elements(Elements.concat([m.orbit for m in kepler]), sc.epoch_time,
                                  [m.name for m in kepler], worst=worst) if kepler else []
        if worst:
            table = Table(title=f"largest deviation from boinor per check ({len(kepler)} orbits)")
            for col in ("check", "largest deviation", "tolerance", "satellite"):
                table.add_column(col, justify="left" if col in ("check", "satellite") else "right")
            for check, (value, unit, tolerance, who) in worst.items():
                table.add_row(check, f"{value:.3g} {unit}".strip(), f"{tolerance:.3g} {unit}".strip(), who)
            console.print(table)
        if problems:
            fail("boinor disagrees with the scenario's orbits:\n" + "\n".join(problems))
    kinds = [m.kind for m in fleet.members]
    console.print(
        f"{scenario}: ok ({plural(kinds.count('satellite'), 'satellite')}, {plural(kinds.count('relay'), 'relay')}, "
        f"{plural(len(sc.stations()), 'ground station')}, {sc.duration_s / 86400:g} d)",
        highlight=False, soft_wrap=True,
    )


def scenarios_command() -> None:
    """List the bundled scenarios (load any of them by name, e.g. `constellation run khayyam`)."""
    from ..scenario import bundled_description, bundled_scenarios

    table = Table(title="bundled scenarios", show_lines=False)
    table.add_column("name", no_wrap=True)
    table.add_column("what")
    for name in bundled_scenarios():
        table.add_row(name, bundled_description(name))
    console.print(table)


def behaviours_command() -> None:
    """List the behaviours a scenario can choose by name (`mission.behaviours[].use`), with their parameters."""
    from ..sim.behaviour import behaviour_names, resolve

    table = Table(title="behaviours", show_lines=False)
    for column in ("name", "binds to", "role", "parameters (default)", "what"):
        table.add_column(column, no_wrap=column == "name")
    for name in behaviour_names():
        cls = resolve(name)
        params = ", ".join(f"{k} ({f.default!r})" for k, f in cls.Params.model_fields.items()) or "-"
        doc = (cls.__doc__ or "").strip().splitlines()
        table.add_row(name, ", ".join(cls.agents), cls.role, params, doc[0] if doc else "")
    console.print(table)


def schema_command() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    from ..scenario import scenario_json_schema

    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")

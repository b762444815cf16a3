"""The ``lifetime`` command: how fast each satellite decays under drag, and when it re-enters."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .common import Progress, console, fail, load


def _years(value: float) -> str:
    return "-" if math.isnan(value) else (f"{value:.2f} yr" if value >= 0.1 else f"{value * 365.25:.1f} d")


def lifetime_command(
    scenario: str = typer.Argument(..., help="Scenario YAML file or Python scenario script (with drag)."),
    horizon: str = typer.Option("25 yr", "--horizon", help="How far ahead to follow the orbits (a duration: "
                                "'5yr', '18 months' in days such as '540 d')."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder to write lifetime.csv (the table) and "
                                       "altitude.csv (altitude over time) into."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Image of the mean altitude over time (.png or .svg)."),
) -> None:
    """Orbital lifetime under drag: each satellite's decay rate now, its re-entry date, and its altitude over time."""
    from ..lifetime import LifetimeError, lifetime
    from ..orbits.numerical import compile_note

    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        fail(f"--plot: {plot} must end in .png or .svg")
    sc = load(scenario)
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail(f"--out: {exc}")
    try:
        with Progress() as progress:
            result = lifetime(sc, horizon=horizon, progress=progress)
    except LifetimeError as exc:
        fail(str(exc).replace("horizon:", "--horizon:", 1))
    years = result.horizon_s / (365.25 * 86400.0)
    table = Table(title=f"{result.scenario}: lifetime under drag from {result.epoch.utc.isot[:10]} "
                  f"(horizon {years:.3g} yr)")
    for col in ("satellite", "altitude km", "decay m/day", "re-entry UTC", "lifetime", "m/(Cd A) kg/m2"):
        table.add_column(col, justify="left" if col in ("satellite", "re-entry UTC") else "right",
                         no_wrap=col == "satellite")
    for row in result.summary.itertuples(index=False):
        if row.status == "no drag":
            table.add_row(row.satellite, "-", "-", "no drag in its force model", "-", "-")
            continue
        when = row.reentry_utc[:10] if row.status == "re-enters" else "beyond"
        if row.status == "re-enters" and row.lifetime_years < 30 / 365.25:
            when = row.reentry_utc[:16].replace("T", " ")
        table.add_row(row.satellite, f"{row.mean_altitude_km:.1f}", f"{row.decay_km_per_day * 1000:.1f}", when,
                      _years(row.lifetime_years) if row.status == "re-enters" else f"> {years:.3g} yr",
                      f"{row.ballistic_kg_m2:.3g}")
    console.print(table)
    console.print("assumptions:", highlight=False)
    for line in result.assumptions:
        console.print(f"  - {line}", highlight=False, soft_wrap=True)
    note = compile_note()
    if note:
        console.print(note, highlight=False)
    for option, target, write in (("--out", out, result.save), ("--plot", plot, result.plot)):
        if target is None:
            continue
        try:
            written = write(target)
        except OSError as exc:
            fail(f"{option}: {exc}")
        shown = ", ".join(map(str, written)) if isinstance(written, list) else f"the altitude plot to {written}"
        console.print(f"wrote {shown}", highlight=False, soft_wrap=True)

"""What every command shares: the consoles, clean exits on bad input, scenario loading, times and progress."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2
"""The exit code of every refusal of bad input (a scenario, a flag, a run folder)."""


def fail(message: str) -> None:
    """Print ``error: message`` on stderr and exit with ``EXIT_BAD_INPUT``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def load(path: str):
    """The scenario at ``path`` (a file or a bundled name), or a clean exit listing its problems."""
    from ..scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        fail(str(exc))


def time_s(text: str, option: str, sc) -> float:
    """Seconds since the scenario epoch from seconds, a duration with a unit ('6 h'), or an ISO time, in the run."""
    from ..scenario import to_seconds

    try:
        return to_seconds(text, epoch=sc.epoch_time, end=sc.duration_s, name=option)
    except ValueError as exc:
        fail(str(exc))


def step_s(text: str, option: str = "--span STEP") -> float:
    """A positive, finite duration in seconds from seconds or a duration with a unit."""
    from ..scenario import to_duration

    try:
        return to_duration(text, name=option)
    except ValueError as exc:
        fail(str(exc))


def span_times(start: float, end: float, step: float):
    """Sample times from ``start`` every ``step`` up to ``end``, never past it."""
    import numpy as np

    n = int(np.floor((end - start) / step + 1e-9))
    return start + step * np.arange(n + 1)


def plural(n: int, noun: str) -> str:
    """'1 relay', '3 ground stations'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def new_run_dir(name: str) -> Path:
    """``runs/<scenario>-<UTC time>``, with a suffix if a run of the same second is already there."""
    from datetime import datetime, timezone

    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = Path("runs") / f"{name}-{stamp}"
    k, out = 2, base
    while out.exists():
        out, k = Path(f"{base}-{k}"), k + 1
    return out


class Progress:
    """A rich progress bar that only appears once work has taken more than a second; ``with Progress() as p:``
    closes it however the block ends."""

    def __init__(self, delay_s: float = 1.0):
        from rich.progress import BarColumn, TaskProgressColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self._progress = Bar(
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

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

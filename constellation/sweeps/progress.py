"""The sweep's progress bar on stderr: runs done of all, how many failed, time spent and left."""

from __future__ import annotations

__all__ = ["ProgressBar"]


class ProgressBar:
    """A rich progress bar of a sweep's runs; with ``enabled`` False, it does nothing."""

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
        """One more run done, failed unless ``ok``."""
        if self.progress is None:
            return
        self.failed += not ok
        self.progress.update(self.task, advance=1, failed=self._failed_text())

    def close(self) -> None:
        """Stop drawing the bar, leaving it on the terminal as it stands."""
        if self.progress is not None:
            self.progress.stop()

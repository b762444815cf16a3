"""The one exception a sweep raises for what it cannot start or go on with."""

from __future__ import annotations

__all__ = ["SweepError"]


class SweepError(ValueError):
    """A sweep that cannot start or go on: a bad parameter path or value, metric, executor or output folder."""


SweepError.__module__ = "constellation.sweeps"  # where users import it from, and how tracebacks name it

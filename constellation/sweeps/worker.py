"""What a sweep runs inside a Dask worker process: the task around each run, and the plugin that sets it up."""

from __future__ import annotations

import contextlib
import signal
from typing import Callable

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

__all__ = ["SigintIgnored", "run_task"]


def run_task(payload, fn: Callable, topic: str | None) -> dict:
    """The task of one run: announce its start on ``topic`` (a Dask event, when the sweep has a timeout), then
    return ``fn(payload)``. The event carries the task's key; the scheduler adds the worker's address."""
    if topic is not None:
        worker = get_worker()
        worker.log_event(topic, {"key": worker.get_current_task()})
    return fn(payload)


class SigintIgnored(WorkerPlugin):
    """Worker plugin of the sweep's own LocalCluster: the worker process ignores SIGINT, so that Ctrl-C in a
    terminal (sent to every process of the group) stops only the sweep, which then closes its cluster. A plugin
    also reaches the worker processes that a nanny starts again after a death."""

    name = "constellation-sweep-sigint-ignored"
    idempotent = True

    def setup(self, worker) -> None:
        with contextlib.suppress(ValueError):  # only the main thread may set a signal handler
            signal.signal(signal.SIGINT, signal.SIG_IGN)

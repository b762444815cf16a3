"""The executors of a sweep: its runs one after another in this process, or on Dask, here or on a cluster.

Every parallel run goes through Dask. ``executor="local"`` (and ``"dask"`` without a scheduler) starts a
``distributed.LocalCluster`` on this machine: ``workers`` worker processes of one thread each, watched by nannies,
with the scheduler (and its web endpoint, on a free port), the nannies and the workers listening on 127.0.0.1 only;
it is closed when the sweep ends. ``executor="dask"`` with a ``scheduler`` (an address or a ``distributed.Client``)
sends the same tasks to a running cluster. Each task is one run: the scenario goes to the worker as JSON, the run's
record (status, error, metrics, wall time) comes back.

What can go wrong with a run is Dask's to handle, on both paths:

- a run that raises is caught on the worker and comes back as a ``failed`` record; the other runs go on;
- a worker process that dies (killed, out of memory, a crash in native code) is noticed by the scheduler, which
  runs its task again elsewhere, up to ``distributed.scheduler.allowed-failures`` times (``retries`` on a cluster
  the sweep starts; the cluster's own setting on a running one), then gives up with ``KilledWorker``, recorded as
  failed. The sweep's LocalCluster sets ``distributed.scheduler.worker-saturation`` to 1.0, so a single-threaded
  worker holds only the run it is running, and a death is blamed on that run alone;
- with ``timeout``, each worker says when it starts a run (a Dask event), and a run still going ``timeout``
  seconds later is cancelled, recorded as failed, and its worker process restarted by its nanny (a Python thread
  cannot be stopped from outside, a process can), so the run stops taking a core and the sweep goes on;
- Ctrl-C (``KeyboardInterrupt``) cancels what is left and closes the cluster; the worker processes ignore SIGINT,
  so that only the sweep's own process decides what Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Sequence

from .errors import SweepError
from .table import derived_metrics, finite

__all__ = ["EXECUTORS", "SCHEDULER_TIMEOUT_S", "Executor", "RunTimeout", "Task", "executor_kind", "failed_record",
           "run_scenario"]

EXECUTORS = ("local", "inprocess", "dask")
"""Where runs go: ``local`` (a LocalCluster on this machine), ``inprocess`` (one by one here) or ``dask``."""

SCHEDULER_TIMEOUT_S = 5.0
"""Longest wait to reach a Dask scheduler address (shorter if Dask's ``distributed.comm.timeouts.connect`` is)."""

_MAIN_GUARD = ("A script that calls sweep() must do so under `if __name__ == \"__main__\":` (each worker process "
               "imports it again); executor='inprocess' shows other causes")

OnDone = Callable[["Task", dict, int], None]
"""``on_done(task, record, attempts)``: called in the sweep's own thread as each run finishes, in any order."""


@dataclass
class Task:
    """One run to execute: its key and its payload, the scenario's JSON form that the run function takes."""

    key: str
    payload: Any


class RunTimeout(Exception):
    """A run still going after the sweep's ``timeout``."""


def run_scenario(scenario: Mapping) -> dict:
    """Run one scenario given in its JSON form; the record a sweep keeps: status, error, metrics and wall time."""
    from .. import runner
    from ..scenario import Scenario

    started = time.perf_counter()
    try:
        results = runner.run(Scenario.model_validate(scenario))
        out = {"status": "ok", "error": None, "metrics": finite(results.metrics),
               "derived": derived_metrics(results)}
    except (Exception, SystemExit) as exc:
        out = failed_record(f"{type(exc).__name__}: {exc}", traceback.format_exc())
    out["wall_time_s"] = round(time.perf_counter() - started, 4)
    out["host"] = f"{socket.gethostname()}:{os.getpid()}"
    return out


def failed_record(error: str, trace: str | None = None) -> dict:
    """The record of a run that failed with ``error`` (a one-line message) and, if it raised, its traceback."""
    return {"status": "failed", "error": error, "traceback": trace, "metrics": {}, "derived": {}}


def executor_kind(executor: str | None, scheduler) -> str:
    """The executor to use: ``executor`` checked, or ``"dask"`` if a scheduler is given and ``"local"`` if not."""
    if executor is None:
        return "dask" if scheduler is not None else "local"
    if executor not in EXECUTORS:
        raise SweepError(f"executor must be one of {', '.join(EXECUTORS)} (got {executor!r})")
    if scheduler is not None and executor != "dask":
        raise SweepError(f"a scheduler address runs on Dask: use executor 'dask', not {executor!r}")
    return executor


class Executor:
    """Context manager that starts an executor (a LocalCluster, a client of a scheduler, or nothing for
    ``"inprocess"``) and closes what it started; ``run`` executes tasks on it. Set-up errors are SweepErrors."""

    def __init__(self, kind: str, *, workers: int | None = None, scheduler=None, retries: int = 2,
                 timeout: float | None = None):
        self.kind, self.workers, self.scheduler = kind, workers, scheduler
        self.retries, self.timeout = retries, timeout
        self.client = self.cluster = None
        self.own_client = False

    def __enter__(self) -> Executor:
        if self.kind == "inprocess":
            if self.timeout is not None and (not hasattr(signal, "setitimer")
                                             or threading.current_thread() is not threading.main_thread()):
                raise SweepError("timeout with executor='inprocess' is enforced with SIGALRM, which needs the main "
                                 "thread of a POSIX process; use executor='local'")
        elif self.scheduler is None:
            self._start_local_cluster()
        else:
            self._connect()
        return self

    def __exit__(self, *exc) -> None:
        if self.own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def run(self, tasks: Sequence[Task], on_done: OnDone, fn: Callable[[Any], dict] = run_scenario) -> None:
        """Run ``fn(task.payload)`` for every task, calling ``on_done(task, record, attempts)`` as each ends.

        ``fn`` returns the run's record and catches what the run raises; on Dask it must be picklable (a function
        of an importable module, or one cloudpickle sends by value).
        """
        if self.kind == "inprocess":
            for task in tasks:
                record, fired = None, [False]
                try:
                    with _alarm(self.timeout) as fired:
                        record = fn(task.payload)
                except RunTimeout as exc:  # raised outside the run's own try, or by a run function without one
                    record = record or failed_record(f"RunTimeout: {exc}")
                if fired[0] and (record is None or record.get("status") == "ok"):
                    record = {**(record or {}), **failed_record(
                        f"RunTimeout: still running after the timeout of {self.timeout:g} s")}
                on_done(task, record, 1)
            return
        self._run_dask(list(tasks), on_done, fn)

    def _start_local_cluster(self) -> None:
        import multiprocessing

        import dask
        from distributed import Client, LocalCluster

        from .worker import SigintIgnored

        # The check multiprocessing makes itself: a worker process that is importing the main script again.
        if getattr(multiprocessing.current_process(), "_inheriting", False):
            raise SweepError(f"sweep() was called while a worker process was starting. {_MAIN_GUARD}")
        config = {
            "distributed.scheduler.allowed-failures": self.retries,
            "distributed.scheduler.worker-saturation": 1.0,
            # A run is a long pure-Python task: Dask's profiler, sampling its stack every 10 ms, made it ~8% slower;
            # and without Dask's 64 KiB MALLOC_TRIM_THRESHOLD_ a worker allocates as a plain Python process does.
            "distributed.worker.profile.enabled": False,
            "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1,
                                                    "OPENBLAS_NUM_THREADS": 1},
        }
        try:
            with dask.config.set(config), _sigint_ignored():
                self.cluster = LocalCluster(n_workers=self.workers or _cores(), threads_per_worker=1,
                                            processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                            memory_limit=0, silence_logs=logging.CRITICAL)
        except Exception as exc:
            reason = str(exc).rstrip(".") or type(exc).__name__
            raise SweepError(f"the local Dask cluster could not start its worker processes ({reason}). "
                             f"{_MAIN_GUARD}") from None
        try:
            self.client, self.own_client = Client(self.cluster), True
            self.client.register_plugin(SigintIgnored())
        except BaseException:
            self.__exit__()
            raise

    def _connect(self) -> None:
        import dask
        from dask.utils import parse_timedelta
        from distributed import Client

        scheduler = self.scheduler
        if hasattr(scheduler, "submit") and hasattr(scheduler, "map"):
            self.client = scheduler
            return
        if not isinstance(scheduler, str):
            raise SweepError(f"scheduler must be an address such as 'tcp://host:8786' or a distributed.Client "
                             f"(got {scheduler!r})")
        wait = min(SCHEDULER_TIMEOUT_S, parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "s"))
        try:
            self.client, self.own_client = Client(scheduler, timeout=wait), True
        except Exception as exc:
            reason = str(exc) or type(exc).__name__
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {reason}. Is `dask scheduler` "
                             "running there, and is the address right?") from None

    def _run_dask(self, tasks: list[Task], on_done: OnDone, fn: Callable) -> None:
        from distributed import KilledWorker, as_completed

        from .worker import run_task

        client = self.client
        tag = uuid.uuid4().hex[:8]
        by_key = {f"run-{t.key}-{tag}": t for t in tasks}
        watch = _Watch(client, self.timeout, tag)
        watch.start()
        pending: dict = {}
        try:
            futures = client.map(run_task, [t.payload for t in tasks], key=list(by_key), pure=False, fn=fn,
                                 topic=watch.topic)
            pending.update((f.key, f) for f in futures)
            watch.futures = pending
            for future, result in as_completed(futures, with_results=True, raise_errors=False):
                key = future.key
                task, attempts = by_key[key], watch.deaths[key] + 1
                if future.status == "finished":
                    on_done(task, result, attempts)
                elif key in watch.timed_out:
                    on_done(task, failed_record(watch.timed_out[key]), attempts)
                elif future.status == "error" and isinstance(future.exception(), KilledWorker):
                    n = future.exception().allowed_failures + 1
                    on_done(task, failed_record(f"the worker process died running it ({n} times)"), n)
                else:
                    exc = future.exception() if future.status == "error" else f"the task was {future.status}"
                    raise SweepError(f"the Dask cluster could not run the sweep ({exc}); is the same version of "
                                     "constellation installed on its workers? The runs that finished are kept")
                del pending[key]
                future.release()
        except BaseException:
            client.cancel(list(pending.values()))
            raise
        finally:
            watch.close()


class _Watch:
    """What the scheduler tells a sweep about its tasks while they run.

    Worker deaths come from the scheduler's ``remove-worker`` events (topic ``all``; on a ``Client`` the caller
    gives, this takes the place of any handler it has for that topic while the sweep runs): a task that was running
    on a worker that went away has had one more attempt. With a timeout, every task announces its start on the
    sweep's own topic, and a thread stops a task that runs too long: it cancels the task, then has the task's
    worker process restarted by its nanny, the one sure way to stop a Python run.
    """

    def __init__(self, client, timeout: float | None, tag: str):
        self.client, self.timeout = client, timeout
        self.topic = f"constellation-sweep-{tag}" if timeout is not None else None
        self.deaths: Counter = Counter()
        self.started: dict[str, tuple[float, str]] = {}
        self.timed_out: dict[str, str] = {}
        self.futures: dict = {}  # by key, set once the tasks are submitted
        self.stop = threading.Event()
        self.thread = None

    def start(self) -> None:
        self.client.subscribe_topic("all", self._on_scheduler_event)
        if self.topic is not None:
            self.client.subscribe_topic(self.topic, self._on_start)
            self.thread = threading.Thread(target=self._enforce, name="sweep timeout", daemon=True)
            self.thread.start()

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic("all")
            if self.topic is not None:
                self.client.unsubscribe_topic(self.topic)

    def _on_scheduler_event(self, event) -> None:
        msg = event[1]
        if isinstance(msg, dict) and msg.get("action") == "remove-worker" and not msg.get("expected"):
            for key in msg.get("processing-tasks") or ():
                self.deaths[key] += 1
                self.started.pop(key, None)

    def _on_start(self, event) -> None:
        msg = event[1]
        self.started[msg["key"]] = (time.monotonic(), msg["worker"])

    def _enforce(self) -> None:
        period = min(1.0, max(self.timeout / 10, 0.05))
        while not self.stop.wait(period):
            now = time.monotonic()
            for key, (t0, worker) in list(self.started.items()):
                future = self.futures.get(key)
                if now - t0 <= self.timeout or future is None:
                    continue
                self.started.pop(key, None)
                if future.done():
                    continue
                self.timed_out[key] = (f"RunTimeout: still running after the timeout of {self.timeout:g} s; "
                                       "stopped by restarting its worker process")
                future.cancel()
                with contextlib.suppress(Exception):
                    self.client.restart_workers([worker], raise_for_error=False)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore Ctrl-C while starting worker processes: they inherit it, so that only this process stops on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _alarm(timeout: float | None) -> Iterator[list[bool]]:
    """Raise ``RunTimeout`` in this (main) thread after ``timeout`` seconds, with SIGALRM; nothing if None.

    Yields a one-item list that turns true once the time is up. Code that swallows exceptions (a ``__del__``, a
    library's broad ``except``) can swallow the first raise, so the alarm raises again every 0.1 s until the block
    ends, and the caller checks the flag for a run that ended despite it.
    """
    fired = [False]
    if timeout is None:
        yield fired
        return

    def expire(signum, frame):
        fired[0] = True
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        raise RunTimeout(f"still running after the timeout of {timeout:g} s; stopped by SIGALRM")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1

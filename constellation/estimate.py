"""How big a run will be, before any of it is done: peak memory and time from the scenario's counts alone.

``estimate(scenario)`` reads only the validated scenario (no fleet is built, nothing is propagated) and returns a
``RunEstimate``; ``check(scenario, max_memory_bytes)`` raises ``RunTooLarge`` when the estimate does not fit in the
limit (by default the machine's available memory, less a margin). ``runner.run`` calls ``check`` first.

The model (a handful of terms, fitted to measurements and rounded up, so that it over-estimates):

    memory = 96 MiB                         fixed: the run's libraries, tables and working buffers
           + 40 B x min(samples, 4M)        one chunk of visibility sampling: samples = satellites x (stations +
                                            imaging targets + terminals) x epochs; ``access.contact_windows`` and
                                            the imaging windows sample at most 4M of them at a time
           + 400 B x satellites x epochs    what grows with the whole run: the link plan holds every
                                            satellite's positions on the grid, and the contact, imaging-window
                                            and product tables grow with satellites x duration
           + 1 kB x expected messages       one product row and its events per message
           + 64 B x link-plan pairs x epochs  relay and inter-satellite pairs (sampled in chunks of 2M, counted
                                            whole to stay conservative)
    time   = 8 s + 0.25 ms x satellites x epochs + 2 ms x expected messages + 2 us x link-plan pairs x epochs

where epochs = duration / grid step + 1 and the grid step is ``access.sample_step``: a thirtieth of the shortest
orbital period, within [10, 300] s (191 s for a 550 km orbit).

Measured growth of peak RSS over a process that has already imported the package and loaded the scenario
(``resource.getrusage(RUSAGE_SELF).ru_maxrss`` before and after ``runner.run``), and the wall time of ``run``;
2 shared cores (x86-64 Linux, 23 GB RAM), Python 3 with numpy, 2026-11-30:

    run                                   sat x sta  epochs  sat-epochs  peak growth  time    estimate
    walker_shell 1 h                      1584 x 5     20      31.7k       75 MB     8.6 s  215 MB, 16 s
    walker_shell 3 h                      1584 x 5     58      91.9k      119 MB    18.6 s  297 MB, 31 s
    walker_shell 6 h                      1584 x 5    114     181k        234 MB    28.2 s  333 MB, 53 s
    walker_shell 1 d                      1584 x 5    453     718k        320 MB     150 s  548 MB, 187 s
    walker_shell 3 h, 792 satellites       792 x 5     58      45.9k       73 MB     8.6 s  266 MB, 19 s
    walker_shell 2 h, 396 satellites       396 x 5     39      15.4k       47 MB            156 MB
    soleimani_swarm 1 d (relay, messages)   11 x 3    455       5.0k       28 MB     4.2 s  109 MB, 12 s

(the same table is in docs/limits.md, "Run size").
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass

# Coefficients of the model (see the module docstring for the measurements behind them).
BASE_BYTES = 96 * 2**20
BYTES_PER_SAT_EPOCH = 400.0
BYTES_PER_SAMPLE = 40.0
SAMPLE_CHUNK = 4_000_000
BYTES_PER_MESSAGE = 1024.0
BYTES_PER_PAIR_EPOCH = 64.0
BASE_SECONDS = 8.0
SECONDS_PER_SAT_EPOCH = 2.5e-4
SECONDS_PER_MESSAGE = 2e-3
SECONDS_PER_PAIR_EPOCH = 2e-6

LONG_RUN_S = 600.0
"""Runs estimated to take longer than this (10 minutes) are warned about."""

MEMORY_MARGIN = 0.8
"""The default limit is this fraction of the machine's available memory."""

_MU_EARTH = 398600.4418
_R_EARTH = 6378.137


class RunTooLarge(ValueError):
    """A run whose estimated peak memory does not fit in the limit; ``estimate`` holds the figures."""

    def __init__(self, message: str, estimate: "RunEstimate", limit_bytes: int):
        super().__init__(message)
        self.estimate = estimate
        self.limit_bytes = limit_bytes


@dataclass(frozen=True)
class RunEstimate:
    """A run's estimated peak memory (bytes, growth over the loaded scenario) and time (s), and its counts."""

    memory_bytes: int
    time_s: float
    satellites: int
    stations: int
    pairs: int
    epochs: int
    samples: int
    step_s: float
    duration_s: float
    targets: int
    terminals: int
    expected_products: int
    expected_messages: int
    link_pairs: int

    @property
    def long(self) -> bool:
        """Whether the run is expected to take over ``LONG_RUN_S``."""
        return self.time_s > LONG_RUN_S

    def as_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (f"about {format_bytes(self.memory_bytes)} and {format_duration(self.time_s)} for "
                f"{self.satellites:,} satellites x {self.stations:,} stations over {self.duration_s / 3600:g} h "
                f"({self.epochs:,} samples every {self.step_s:.0f} s)")


def format_bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def format_duration(s: float) -> str:
    if s >= 86400:
        return f"{s / 86400:.3g} d"
    if s >= 3600:
        return f"{s / 3600:.3g} h"
    if s >= 60:
        return f"{s / 60:.3g} min"
    return f"{s:.3g} s"


_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_size(text: str) -> int:
    """Bytes from a size such as '4GB', '512 MiB', '1.5 G' or '1000000'; ValueError otherwise."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)\s*", str(text))
    unit = m.group(2).lower() if m else None
    if m is None or unit not in _UNITS:
        raise ValueError(f"{text!r} is not a size: give a number and a unit, such as 4GB or 512 MiB")
    value = float(m.group(1)) * _UNITS[unit]
    if not math.isfinite(value) or value < 1:
        raise ValueError(f"{text!r} is not a positive size")
    return int(value)


def available_memory() -> int:
    """Bytes of memory available now: MemAvailable of /proc/meminfo, else the physical memory."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def default_limit() -> int:
    """The default memory limit: ``MEMORY_MARGIN`` of the available memory."""
    return int(available_memory() * MEMORY_MARGIN)


def _entry_count_and_period(entry) -> tuple[int, float | None]:
    """How many satellites an entry of ``satellites`` makes and their orbital period (s; None if unknown)."""
    count = getattr(entry, "total", None) or getattr(entry, "count", None)
    a = getattr(entry, "semi_major_axis", None)
    if a is None and getattr(entry, "altitude", None) is not None:
        a = _R_EARTH + float(entry.altitude)
    if a is None and type(entry).__name__ == "Geostationary":
        a = 42164.0
    period = 2 * math.pi * math.sqrt(a**3 / _MU_EARTH) if a else None
    if count is None and hasattr(entry, "tles"):
        tles = entry.tles()
        count = len(tles)
        periods = []
        for t in tles:
            try:
                periods.append(86400.0 / float(t.line2[52:63]))
            except (ValueError, ZeroDivisionError, AttributeError):
                pass
        period = min(periods) if periods else None
    return int(count or 1), period


def estimate(scenario) -> RunEstimate:
    """The estimated peak memory and time of ``runner.run(scenario)``, from the scenario's counts only."""
    n_sat, periods = 0, []
    for entry in scenario.satellites:
        n, period = _entry_count_and_period(entry)
        n_sat += n
        if period is not None:
            periods.append(period)
    n_relay = 1 if scenario.relay is not None else 0
    n_fleet = n_sat + n_relay
    n_sta = len(scenario.ground_stations)
    duration = float(scenario.duration_s)
    step = float(min(max(min(periods) / 30.0, 10.0), 300.0)) if periods else 10.0
    epochs = int(math.ceil(duration / step)) + 1

    targets = terminals = 0
    messages = products = 0.0
    mission = scenario.mission
    if mission is not None:
        imaging = getattr(mission, "imaging", None)
        if imaging is not None:
            from .access import region_targets

            targets = len(imaging.targets) + sum(
                len(region_targets(r.name, r.lat_min, r.lat_max, r.lon_min, r.lon_max, r.spacing, r.priority))
                for r in imaging.regions)
            # at most about one imaging opportunity per satellite, target and day
            products += targets * n_sat * max(duration / 86400.0, 1.0 / 24)
        messaging = getattr(mission, "messaging", None)
        if messaging is not None:
            terminals = len(messaging.terminals)
            messages = terminals * float(messaging.rate) * duration / 3600.0
            products += messages

    links = scenario.links
    link_pairs = n_sat * n_relay
    policy = getattr(getattr(links, "isl", None), "policy", "none")
    if policy == "+grid":
        link_pairs += 2 * n_sat
    elif policy == "line-of-sight":
        link_pairs += n_sat * (n_sat - 1) // 2

    sat_epochs = n_fleet * epochs
    pair_epochs = link_pairs * epochs
    samples = n_fleet * (n_sta + targets + terminals) * epochs
    memory = (BASE_BYTES + BYTES_PER_SAMPLE * min(samples, SAMPLE_CHUNK) + BYTES_PER_SAT_EPOCH * sat_epochs + BYTES_PER_MESSAGE * messages
              + BYTES_PER_PAIR_EPOCH * pair_epochs)
    time_s = (BASE_SECONDS + SECONDS_PER_SAT_EPOCH * sat_epochs + SECONDS_PER_MESSAGE * messages
              + SECONDS_PER_PAIR_EPOCH * pair_epochs)
    return RunEstimate(
        memory_bytes=int(memory), time_s=float(time_s), satellites=n_fleet, stations=n_sta,
        pairs=n_fleet * n_sta, epochs=epochs, samples=samples, step_s=step, duration_s=duration, targets=targets,
        terminals=terminals, expected_products=int(round(products)), expected_messages=int(round(messages)),
        link_pairs=link_pairs,
    )


def _knobs(est: RunEstimate, scenario) -> str:
    knobs = [f"a shorter `duration` (now {est.duration_s / 3600:g} h)",
             f"fewer satellites (now {est.satellites:,}) or stations (now {est.stations:,})"]
    mission = scenario.mission
    if mission is not None and getattr(mission, "imaging", None) is not None and mission.imaging.regions:
        knobs.append("a coarser region `spacing`")
    if est.expected_messages:
        knobs.append(f"a lower `messaging.rate` ({est.expected_messages:,} messages expected)")
    if est.link_pairs > est.satellites * 2:
        knobs.append(f"fewer inter-satellite links ({est.link_pairs:,} link pairs; `links.isl.policy`)")
    return "; ".join(knobs)


def check(scenario, max_memory_bytes: int | None = None) -> RunEstimate:
    """The estimate of a run, or ``RunTooLarge`` when its peak memory would exceed ``max_memory_bytes``
    (default: ``default_limit()``, a margin below the machine's available memory)."""
    est = estimate(scenario)
    explicit = max_memory_bytes is not None
    limit = int(max_memory_bytes) if explicit else default_limit()
    if est.memory_bytes > limit:
        where = "--max-memory" if explicit else f"{MEMORY_MARGIN:.0%} of the memory available now"
        raise RunTooLarge(
            f"run {scenario.name!r} would need {est.describe()}, over the limit of {format_bytes(limit)} "
            f"({where}); make it smaller with {_knobs(est, scenario)}", est, limit)
    return est

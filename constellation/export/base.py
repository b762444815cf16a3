"""What every export format shares: the registry, the run being exported, and files written whole or not at all."""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

MAX_STATES = 10_000_000
"""Most satellite states (rows) one ephemeris export writes: about 1.5 GB of CSV."""

MIN_STEP_S = 1e-3
"""Shortest step between states, s: OEM and CSV times are written to the microsecond."""

MAX_FOOTPRINTS = 100_000
"""Most sensor or visibility footprints (polygons) one GeoJSON export writes."""

STATES_PER_CHUNK = 250_000
"""Satellite states computed at once (about 24 MB of positions and velocities in both frames)."""

NEEDS = ("scenario", "links")
"""What a format may need from a run: its scenario (to rebuild the fleet) or its link plan (the ``links`` table)."""


class ExportError(ValueError):
    """An export that cannot be made; ``option`` names the argument at fault (``step``, ``satellites``...) or is
    None when the run itself is the problem."""

    def __init__(self, message: str, option: str | None = None):
        super().__init__(f"{option}: {message}" if option else message)
        self.option = option
        self.message = message


@dataclass(frozen=True)
class Format:
    """An export format: ``write(run, folder)`` writes its files through ``folder`` (a ``Folder``); ``needs`` is what
    it takes from the run (see ``NEEDS``); ``check(run)``, when given, raises an ``ExportError`` before anything of
    any format is written. Calling a Format calls ``write``."""

    name: str
    write: Callable
    needs: tuple[str, ...] = ("scenario",)
    description: str = ""
    check: Callable | None = None

    def __call__(self, run: "ExportRun", folder: "Folder") -> None:
        self.write(run, folder)


FORMATS: dict[str, Format] = {}
"""Every export format by name, in the order ``all`` writes them."""


def register_format(name: str, write: Callable | None = None, *, needs=("scenario",), description: str = "",
                    check: Callable | None = None):
    """Make ``write(run, folder)`` the writer of format ``name`` (replacing one of the same name); usable as a
    decorator. ``description`` defaults to the first line of the writer's docstring."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):
        raise ValueError(f"a format name is lower-case letters, digits and '-' (got {name!r})")
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"needs must be among {', '.join(NEEDS)} (got {', '.join(sorted(unknown))})")

    def register(fn: Callable) -> Callable:
        doc = description or ((fn.__doc__ or "").strip().splitlines() or [""])[0]
        FORMATS[name] = Format(name, fn, tuple(needs), doc, check)
        return fn

    return register if write is None else register(write)


class Folder:
    """The folder one format writes into: each file is written to a hidden temporary name beside it and renamed into
    place when complete, so an interrupted export leaves no partial file under a real name."""

    def __init__(self, path: Path, *, overwrite: bool = False):
        self.path = Path(path)
        self.overwrite = overwrite
        self.files: list[Path] = []

    @contextmanager
    def target(self, name: str) -> Iterator[Path]:
        """A temporary path to write file ``name`` to; it becomes ``name`` when the block ends without error."""
        if not name or Path(name).name != name or name.startswith("."):
            raise ValueError(f"an export file name is a plain, visible file name (got {name!r})")
        final = self.path / name
        if final in self.files:
            raise ValueError(f"{final} is written twice in one export")
        if final.exists() and not self.overwrite:
            raise ExportError(f"{final} already exists: choose another folder, or overwrite it "
                              "(--overwrite; overwrite=True in Python)", "out")
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.path / f".{name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            yield tmp
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                tmp.unlink()
        self.files.append(final)

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` (UTF-8) to file ``name``; return its path."""
        with self.target(name) as tmp:
            tmp.write_text(text, encoding="utf-8")
        return self.path / name


def check_count(run: "ExportRun", step_s: float, option: str, limit: int, what: str) -> None:
    """An ``ExportError`` on ``option`` when one item per satellite every ``step_s`` over the run would pass
    ``limit``; ``what`` names the items ('states')."""
    count = len(run.fleet) * (min(run.duration_s / step_s, limit) + 1)
    if count > limit:
        least = run.duration_s * len(run.fleet) / limit
        raise ExportError(f"{step_s:g} s over {run.duration_s:g} s for {len(run.fleet)} satellites would make more "
                          f"than {limit:,} {what}: choose a step of at least {least:.3g} s", option)


def check_states(run: "ExportRun") -> None:
    """An ``ExportError`` on ``step`` when the ephemeris would hold more than ``MAX_STATES`` states."""
    check_count(run, run.step_s, "step", MAX_STATES, "states")


INTERPOLATION_TOLERANCE_KM = 1e-6
"""Interpolation error the declared Hermite degree aims under, km (1 mm)."""


def hermite_points(fleet, step_s: float, tolerance_km: float = INTERPOLATION_TOLERANCE_KM) -> np.ndarray:
    """For each satellite, how many consecutive states (n, degree 2n - 1) a Hermite interpolation of positions and
    velocities needs to stay within ``tolerance_km`` between states ``step_s`` apart: the least n in 2..8 whose
    remainder bound, r (w h)^2n max|prod(s - i)^2| / (2n)! for a circular orbit of the satellite's apogee radius r
    at its fastest angular rate w, is under the tolerance (n = 3, degree 5, in low orbit at 60 s); past 8, the n of
    the least bound.
    """
    from ..constants import MU_EARTH

    a, rp, ra = fleet.semi_major_axes(), fleet.perigee_radii(), fleet.apogee_radii()
    omega = np.sqrt(MU_EARTH * (2.0 / rp - 1.0 / a)) / rp
    counts = np.arange(2, 9)
    bounds = np.array([ra * (omega * step_s) ** (2 * n) * _node_product(n) / math.factorial(2 * n) for n in counts])
    ok = bounds <= tolerance_km
    return np.where(ok.any(axis=0), counts[np.argmax(ok, axis=0)], counts[np.argmin(bounds, axis=0)])


def _node_product(n: int) -> float:
    """max over s in [0, n - 1] of prod_i (s - i)^2, i = 0..n-1 (nodes one step apart)."""
    s = np.linspace(0.0, n - 1.0, 20001)
    return float(np.max(np.prod((s[:, None] - np.arange(n)) ** 2, axis=1)))


def sample_times(duration_s: float, step_s: float) -> np.ndarray:
    """0, step, 2 step... and ``duration_s`` itself, s: the whole run, the last interval up to one step long."""
    n = int(np.floor(duration_s / step_s + 1e-9))
    t = step_s * np.arange(n + 1, dtype=float)
    if duration_s - t[-1] >= MIN_STEP_S:
        t = np.append(t, duration_s)
    else:
        t[-1] = duration_s
    return t


def file_stems(names) -> dict[str, str]:
    """A distinct, portable file name stem for each name: characters other than letters, digits, '-', '_' and '.'
    become '_', and stems that would clash (ignoring case) get '-2', '-3'..."""
    out, taken = {}, set()
    for name in names:
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", str(name)).strip(".") or "_"
        candidate, k = stem, 2
        while candidate.lower() in taken:
            candidate, k = f"{stem}-{k}", k + 1
        taken.add(candidate.lower())
        out[name] = candidate
    return out


@dataclass
class ExportRun:
    """A finished run as the formats see it: its results, scenario, the satellites chosen and the sampling asked for.

    ``satellites`` are fleet member names (satellites and the relay); None stands for every member.
    """

    results: object
    source: str
    step_s: float = 60.0
    frame: str = "gcrs"
    footprint_step_s: float = 600.0
    satellites: list[str] | None = None

    @cached_property
    def scenario(self):
        """The run's scenario (``Scenario``), rebuilt from its scenario.json without its behaviours: no format needs
        them, and reading one names code that would run."""
        import copy

        from ..results import RunFolderError
        from ..scenario import ScenarioError
        from ..scenario.loading import validate_data

        data = self.results.scenario
        if data is None:
            raise ExportError(f"{self.source} has no scenario.json (the run was saved before runs kept their "
                              "scenario): run the scenario again to export its ephemerides or footprints")
        data = copy.deepcopy(data)
        if isinstance(data.get("mission"), dict):
            data["mission"].pop("behaviours", None)
        where = f"{self.source}/scenario.json" if self.source != "the run" else "the run's scenario"
        try:
            return validate_data(data, where)
        except ScenarioError as exc:
            first = exc.problems[0].format(where) if exc.problems else where
            more = f" (and {len(exc.problems) - 1} more problems)" if len(exc.problems) > 1 else ""
            raise RunFolderError(f"{where} is not a valid scenario: {first}{more}") from None

    @cached_property
    def full_fleet(self):
        """Every satellite and the relay of the scenario (``Fleet``)."""
        return self.scenario.fleet()

    @cached_property
    def fleet(self):
        """The chosen satellites as a ``Fleet`` (sharing the full fleet's Earth rotation tables)."""
        from ..orbits.fleet import Fleet

        full = self.full_fleet
        if self.satellites is None:
            return full
        chosen = set(self.satellites)
        return Fleet(full.epoch, [m for m in full.members if m.name in chosen], rotation=full.rotation)

    @property
    def epoch(self):
        """The run's start (astropy Time, UTC)."""
        from astropy.time import Time

        return Time(self.results.epoch, scale="utc")

    @property
    def duration_s(self) -> float:
        return float(self.results.duration_s)

    @cached_property
    def times(self) -> np.ndarray:
        """The ephemeris sample times, s after the epoch: every ``step_s`` over the run, its end included."""
        return sample_times(self.duration_s, self.step_s)

    @cached_property
    def stems(self) -> dict[str, str]:
        """File name stem of each chosen satellite."""
        return file_stems(self.fleet.names)

    def ephemerides(self, times=None) -> Iterator:
        """``Ephemeris`` of the chosen satellites at ``times`` (default ``self.times``), a few satellites at a time.

        An ``ExportError`` names the first satellite without a state (an element set that has decayed).
        """
        from ..orbits.fleet import Fleet

        fleet = self.fleet
        t = self.times if times is None else np.asarray(times, dtype=float)
        per_chunk = max(1, STATES_PER_CHUNK // max(1, len(t)))
        for lo in range(0, len(fleet), per_chunk):
            members = fleet.members[lo:lo + per_chunk]
            part = fleet if len(members) == len(fleet) else Fleet(fleet.epoch, members, rotation=fleet.rotation)
            eph = part.ephemeris(t)
            bad = ~np.isfinite(eph.r_gcrs).all(axis=-1) | ~np.isfinite(eph.v_gcrs).all(axis=-1)
            if bad.any():
                s, k = np.argwhere(bad)[0]
                raise ExportError(f"{eph.names[s]} has no state from {t[k]:g} s after the epoch (its element set "
                                  "has decayed or is too far from its epoch): choose the other satellites with "
                                  "--satellite")
            yield eph

    def stamps(self, times=None):
        """``times`` (default ``self.times``) as an astropy Time array (UTC), shown to the microsecond."""
        import astropy.units as u

        t = self.times if times is None else np.asarray(times, dtype=float)
        stamps = (self.epoch + t * u.s).utc
        stamps.precision = 6
        return stamps

    def time_strings(self, times=None) -> np.ndarray:
        """ISO 8601 UTC times (microseconds, no zone letter) of ``times`` (default ``self.times``)."""
        return np.asarray(self.stamps(times).isot)

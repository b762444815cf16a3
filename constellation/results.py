"""The outcome of a run: tidy tables and a summary, saved as Parquet and JSON."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

CONTACTS_FILE = "contacts.parquet"
SUMMARY_FILE = "summary.json"
SCENARIO_FILE = "scenario.json"


def merged_intervals(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The union of intervals [start, end) as disjoint sorted intervals."""
    if len(starts) == 0:
        return np.zeros(0), np.zeros(0)
    order = np.argsort(starts, kind="stable")
    s, e = np.asarray(starts)[order], np.asarray(ends)[order]
    reach = np.maximum.accumulate(e)
    new = np.ones(len(s), dtype=bool)
    new[1:] = s[1:] > reach[:-1]
    first = np.nonzero(new)[0]
    return s[first], np.maximum.reduceat(e, first)


def longest_gap(starts, ends, span_start: float, span_end: float) -> float:
    """Longest stretch of [span_start, span_end] covered by none of the intervals, s."""
    s, e = merged_intervals(np.asarray(starts, float), np.asarray(ends, float))
    edges_start = np.concatenate([[span_start], e])
    edges_end = np.concatenate([s, [span_end]])
    return float(np.max(np.clip(edges_end - edges_start, 0.0, None)))


def station_table(contacts: pd.DataFrame, stations: list[str], duration_s: float) -> pd.DataFrame:
    """Per-station pass statistics over the run: passes per day, durations, total contact time, longest gap.

    Total contact time counts each pass; the longest gap is the longest time no satellite at all was in view.
    """
    days = duration_s / 86400.0
    rows = []
    for name in stations:
        c = contacts[contacts["station"] == name]
        d = c["duration_s"].to_numpy()
        rows.append(
            {
                "station": name,
                "passes": len(c),
                "passes_per_day": len(c) / days,
                "mean_duration_s": float(d.mean()) if len(d) else 0.0,
                "max_duration_s": float(d.max()) if len(d) else 0.0,
                "total_contact_s": float(d.sum()),
                "longest_gap_s": longest_gap(c["rise_s"].to_numpy(), c["set_s"].to_numpy(), 0.0, duration_s),
            }
        )
    return pd.DataFrame(rows)


TABLES = ("contacts", "links", "products", "events", "targets", "satellites", "throughput", "outages", "battery")


@dataclass
class Results:
    """Tables from one run: ``contacts`` (one row per satellite-station window), ``stations`` (one per station),
    ``links`` (every link window), and for a mission ``products``, ``events``, ``targets`` (revisit),
    ``satellites`` (storage, battery), ``throughput`` (per station), ``outages`` and ``battery`` (charge over time,
    one row per change of slope); ``metrics`` are its headline
    figures. Each table is saved as ``NAME.parquet``. ``scenario`` is the run's scenario as JSON data
    (``Scenario.model_validate`` reads it back), saved as scenario.json; None for a run saved without it.
    """

    scenario_name: str
    epoch: str
    duration_s: float
    contacts: pd.DataFrame
    stations: pd.DataFrame
    info: dict = field(default_factory=dict)
    links: pd.DataFrame | None = None
    products: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    satellites: pd.DataFrame | None = None
    throughput: pd.DataFrame | None = None
    outages: pd.DataFrame | None = None
    battery: pd.DataFrame | None = None
    metrics: dict = field(default_factory=dict)
    scenario: dict | None = None

    @property
    def summary(self) -> dict:
        """Everything in summary.json: the run's identity, counts, the per-station table and mission metrics."""
        out = {
            "scenario": self.scenario_name,
            "epoch": self.epoch,
            "duration_s": self.duration_s,
            **self.info,
            "contacts": int(len(self.contacts)),
            "stations": self.stations.to_dict(orient="records"),
        }
        if self.metrics:
            out["mission"] = self.metrics
        return out

    def save(self, out_dir: str | Path, *, overwrite: bool = False) -> Path:
        """Write every table as Parquet, the scenario as scenario.json and summary.json into ``out_dir``; return it.

        The files are written into a new folder beside ``out_dir`` and moved in at the end, summary.json last, so an
        interrupted save leaves nothing that ``load`` takes for a finished run. A folder that already holds files is
        refused (``RunFolderError``) unless ``overwrite``, which first removes the previous run's files (and only
        those).
        """
        out = check_destination(out_dir, overwrite=overwrite)
        written = [name for name in TABLES if getattr(self, name) is not None]
        summary = dict(self.summary, tables=written)
        text = json.dumps(_finite(summary), indent=2, default=_json_default) + "\n"
        files = [f"{name}.parquet" for name in written]
        if self.scenario is not None:
            files.append(SCENARIO_FILE)
            scenario_text = json.dumps(self.scenario, indent=2, allow_nan=False, default=_json_default) + "\n"
        stage = _staging_folder(out)
        try:
            for name in written:
                getattr(self, name).to_parquet(stage / f"{name}.parquet", index=False)
            if self.scenario is not None:
                (stage / SCENARIO_FILE).write_text(scenario_text)
            (stage / SUMMARY_FILE).write_text(text)
            if out.is_dir():
                _remove_run_files(out)
                for name in files:
                    os.replace(stage / name, out / name)
                os.replace(stage / SUMMARY_FILE, out / SUMMARY_FILE)
            else:
                os.replace(stage, out)
        finally:
            if stage.exists():
                shutil.rmtree(stage, ignore_errors=True)
        return out

    @classmethod
    def load(cls, run_dir: str | Path) -> "Results":
        """Read a run folder written by ``save``: the tables its summary.json lists, and its scenario.json when it
        has one (a run saved before runs kept their scenario has none)."""
        run = Path(run_dir)
        if not run.is_dir():
            raise RunFolderError(f"{run} is not a run folder: {'no such folder' if not run.exists() else 'not a folder'}")
        if not (run / SUMMARY_FILE).is_file():
            raise RunFolderError(f"{run} is not a run folder: it has no {SUMMARY_FILE} (not a run, or one that did "
                                 "not finish)")
        try:
            summary = json.loads((run / SUMMARY_FILE).read_text())
            stations = pd.DataFrame(summary.pop("stations"))
            name, epoch, duration = summary.pop("scenario"), summary.pop("epoch"), summary.pop("duration_s")
            written = summary.pop("tables")
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RunFolderError(f"{run / SUMMARY_FILE} is damaged or not a run summary ({type(exc).__name__}: "
                                 f"{exc})") from None
        if not isinstance(written, list) or "contacts" not in written or not set(written) <= set(TABLES):
            raise RunFolderError(f"{run / SUMMARY_FILE}: 'tables' must list the run's tables, contacts included "
                                 f"(got {written!r})")
        summary.pop("contacts", None)
        metrics = summary.pop("mission", {})
        tables = {}
        for table in written:
            path = run / f"{table}.parquet"
            try:
                tables[table] = pd.read_parquet(path)
            except FileNotFoundError:
                raise RunFolderError(f"{run} is incomplete: {SUMMARY_FILE} lists {path.name}, which is missing") \
                    from None
            except Exception as exc:
                raise RunFolderError(f"{path} is damaged ({type(exc).__name__}: {exc})") from None
        contacts = tables.pop("contacts")
        scenario = _read_scenario(run / SCENARIO_FILE) if (run / SCENARIO_FILE).exists() else None
        return cls(name, epoch, duration, contacts, stations, summary, metrics=metrics, scenario=scenario, **tables)


class RunFolderError(ValueError):
    """A run folder that cannot be written to or read: missing, damaged, partial or holding another run."""


RUN_FILES = tuple(f"{name}.parquet" for name in TABLES) + (SCENARIO_FILE, SUMMARY_FILE)


def _read_scenario(path: Path) -> dict:
    """The scenario data in a run's scenario.json, or a ``RunFolderError`` naming the file."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunFolderError(f"{path} is damaged ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise RunFolderError(f"{path} is damaged: it holds a JSON {type(data).__name__}, not a scenario")
    return data


def check_destination(out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """``out_dir`` as a Path if a run can be saved there, else a ``RunFolderError`` saying why.

    The folder may be missing (its parent must then be creatable and writable), empty, or, with ``overwrite``,
    hold a previous run, whose files ``save`` replaces; a folder holding anything else is never written into.
    """
    out = Path(out_dir).expanduser()
    if out.exists() and not out.is_dir():
        raise RunFolderError(f"{out} exists and is not a folder")
    if out.is_dir():
        present = sorted(p.name for p in out.iterdir())
        others = [n for n in present if n not in RUN_FILES]
        if others:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise RunFolderError(f"{out} holds files that are not a run's ({shown}): choose a new or empty folder")
        if present and not overwrite:
            raise RunFolderError(f"{out} holds another run's files ({', '.join(present[:4])}"
                                 f"{', ...' if len(present) > 4 else ''}): choose a new folder, or overwrite it "
                                 "(--overwrite; overwrite=True in Python)")
        if not os.access(out, os.W_OK | os.X_OK):
            raise RunFolderError(f"{out} is not writable")
        return out
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise RunFolderError(f"{out} cannot be created: {parent} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise RunFolderError(f"{out} cannot be created: {parent} is not writable")
    return out


def _staging_folder(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        stage = out.parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            stage.mkdir()
            return stage
        except FileExistsError:
            continue
    raise RunFolderError(f"cannot make a staging folder beside {out}")


def _remove_run_files(out: Path) -> None:
    """Remove a previous run's files from ``out``, summary.json first so no half-removed run looks finished."""
    for name in (SUMMARY_FILE,) + tuple(n for n in RUN_FILES if n != SUMMARY_FILE):
        path = out / name
        if path.is_file():
            path.unlink()


def _finite(value):
    """The same structure with NaN and infinities as None, so summary.json is strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return None
    return value


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")

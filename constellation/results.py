"""The outcome of a run: tidy tables and a summary, saved as Parquet and JSON."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

CONTACTS_FILE = "contacts.parquet"
SUMMARY_FILE = "summary.json"


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


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@dataclass
class Results:
    """Tables from one run. ``contacts`` has one row per satellite-station window; ``stations`` one per station."""

    scenario_name: str
    epoch: str
    duration_s: float
    contacts: pd.DataFrame
    stations: pd.DataFrame
    info: dict = field(default_factory=dict)

    @property
    def summary(self) -> dict:
        """Everything in summary.json: the run's identity, counts and the per-station table."""
        return {
            "scenario": self.scenario_name,
            "epoch": self.epoch,
            "duration_s": self.duration_s,
            **self.info,
            "contacts": int(len(self.contacts)),
            "stations": self.stations.to_dict(orient="records"),
        }

    def save(self, out_dir: str | Path) -> Path:
        """Write contacts.parquet and summary.json into ``out_dir`` (created if needed), each file atomically."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        _atomic_write(out / CONTACTS_FILE, lambda p: self.contacts.to_parquet(p, index=False))
        text = json.dumps(self.summary, indent=2, default=_json_default)
        _atomic_write(out / SUMMARY_FILE, lambda p: Path(p).write_text(text + "\n"))
        return out

    @classmethod
    def load(cls, run_dir: str | Path) -> "Results":
        """Read a run folder written by ``save``."""
        run = Path(run_dir)
        if not (run / SUMMARY_FILE).is_file() or not (run / CONTACTS_FILE).is_file():
            raise FileNotFoundError(f"{run} is not a run folder: it needs {SUMMARY_FILE} and {CONTACTS_FILE}")
        summary = json.loads((run / SUMMARY_FILE).read_text())
        stations = pd.DataFrame(summary.pop("stations"))
        name, epoch, duration = summary.pop("scenario"), summary.pop("epoch"), summary.pop("duration_s")
        summary.pop("contacts", None)
        return cls(name, epoch, duration, pd.read_parquet(run / CONTACTS_FILE), stations, summary)


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON")

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


TABLES = ("contacts", "links", "products", "events", "targets", "satellites", "throughput", "outages", "battery")


@dataclass
class Results:
    """Tables from one run: ``contacts`` (one row per satellite-station window), ``stations`` (one per station),
    ``links`` (every link window), and for a mission ``products``, ``events``, ``targets`` (revisit),
    ``satellites`` (storage, battery), ``throughput`` (per station), ``outages`` and ``battery`` (charge over time,
    one row per change of slope); ``metrics`` are its headline
    figures. Each table is saved as ``NAME.parquet``.
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

    def save(self, out_dir: str | Path) -> Path:
        """Write every table as Parquet and summary.json into ``out_dir`` (created if needed), each atomically."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            table = getattr(self, name)
            if table is not None:
                _atomic_write(out / f"{name}.parquet", lambda p, t=table: t.to_parquet(p, index=False))
        text = json.dumps(_finite(self.summary), indent=2, default=_json_default)
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
        metrics = summary.pop("mission", {})
        tables = {n: pd.read_parquet(run / f"{n}.parquet") for n in TABLES if (run / f"{n}.parquet").is_file()}
        contacts = tables.pop("contacts")
        return cls(name, epoch, duration, contacts, stations, summary, metrics=metrics, **tables)


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

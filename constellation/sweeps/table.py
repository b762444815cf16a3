"""The sweep's results table: metric names and their checks, the metrics derived from a run, one row per run."""

from __future__ import annotations

import json
import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .errors import SweepError

__all__ = ["DERIVED_METRICS", "MISSION_METRICS", "RESERVED_COLUMNS", "STATION_METRICS", "build_table",
           "check_metrics", "derived_metrics", "finite", "metric_names", "parquet_safe"]

DERIVED_METRICS = {
    "passes_per_day": "satellite passes per day, mean over the ground stations",
    "longest_gap_s": "longest time some ground station had no satellite in view, s",
    "contacts": "satellite-station contact windows over the run",
    "delivered_fraction": "share of the mission's data products delivered",
    "target_max_gap_s": "longest wait for an image of any imaging target, start and end of the run included, s",
}
"""Metrics computed from a run's tables rather than read from ``Results.metrics``."""

MISSION_METRICS = (
    "coverage", "revisit_mean_s", "latency_image.mean_s", "latency_message.mean_s", "latency_message.p90_s",
    "delivered", "dropped", "relay_utilisation", "lowest_charge", "passes_per_day",
)
"""The metric columns of a sweep of a scenario with a mission, when none are asked for."""

STATION_METRICS = ("passes_per_day", "longest_gap_s", "contacts")
"""The metric columns of a sweep of a scenario without a mission (the only ones it has)."""

RESERVED_COLUMNS = ("run", "seed", "status", "error", "wall_time_s")
"""Columns of every results table, so names no parameter or metric may take."""


def metric_names(metrics: str | Sequence[str] | None, base) -> list[str]:
    """The metric columns asked for (the defaults for ``base`` if none), checked as names; a ``SweepError`` if not."""
    if metrics is None:
        return list(MISSION_METRICS if base.mission is not None else STATION_METRICS)
    if isinstance(metrics, str):
        metrics = [metrics]
    names = list(metrics)
    for n in names:
        if not isinstance(n, str) or not n or any(not s for s in n.split(".")):
            raise SweepError(f"metric {n!r}: expected a dotted path such as 'latency_message.mean_s'")
        if n in RESERVED_COLUMNS:
            raise SweepError(f"metric {n!r} is already a column of the results table")
    if base.mission is None:
        station = [m for m in DERIVED_METRICS if m in STATION_METRICS]
        bad = [n for n in names if n not in station]
        if bad:
            raise SweepError(f"metric {bad[0]!r}: the scenario has no mission section, so its runs have only the "
                             f"metrics {', '.join(station)}")
    if len(set(names)) != len(names):
        raise SweepError("metrics: a metric is named twice")
    return names


def check_metrics(names: list[str], records: Mapping[str, dict]) -> bool:
    """Check the metric names against one successful run's metrics; False while there is none to check against."""
    ok = next((r for r in records.values() if r.get("status") == "ok"), None)
    if ok is None:
        return False
    for name in names:
        if name in DERIVED_METRICS:
            continue
        node: Any = ok.get("metrics") or {}
        segs = name.split(".")
        for i, seg in enumerate(segs):
            if isinstance(node, Mapping) and seg in node:
                node = node[seg]
            elif isinstance(node, Mapping) and 0 < i == len(segs) - 1 and _counts(node):
                node = 0
            else:
                raise SweepError(f"metric {name!r}: no such metric; a run's metrics are "
                                 f"{', '.join(list(DERIVED_METRICS) + _flat_names(ok.get('metrics') or {}))}")
        if isinstance(node, Mapping):
            raise SweepError(f"metric {name!r} is a group: pick one of "
                             f"{', '.join(f'{name}.{k}' for k in node)}")
    return True


def build_table(rows: list[tuple], records: Mapping[str, dict], params: list[str],
                metrics: list[str]) -> pd.DataFrame:
    """One row per ``(key, params, seed)`` of ``rows``, filled from the run records by key (``pending`` if none)."""
    out = []
    for key, point, seed in rows:
        rec = records.get(key)
        row = {"run": key, **{p: point.get(p) for p in params}, "seed": seed,
               "status": rec["status"] if rec is not None else "pending",
               "error": rec.get("error") if rec is not None else None}
        row.update({m: _metric(rec, m) for m in metrics})
        row["wall_time_s"] = rec.get("wall_time_s", math.nan) if rec is not None else math.nan
        out.append(row)
    return pd.DataFrame(out, columns=["run", *params, "seed", "status", "error", *metrics, "wall_time_s"])


def parquet_safe(table: pd.DataFrame) -> pd.DataFrame:
    """The table with object columns of mixed or nested values as text, so Parquet can hold them."""
    table = table.copy()
    for col in table.columns:
        if table[col].dtype != object:
            continue
        kinds = {type(v) for v in table[col] if v is not None and not (isinstance(v, float) and math.isnan(v))}
        if len(kinds) > 1 or kinds & {dict, list}:
            table[col] = [None if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else str(v))
                          for v in table[col]]
    return table


def finite(value):
    """``value`` as plain JSON data: numpy scalars as Python numbers, NaN and infinities as None."""
    if isinstance(value, Mapping):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def derived_metrics(results) -> dict:
    """The ``DERIVED_METRICS`` of one run's ``Results``."""
    st = results.stations
    out = {
        "passes_per_day": float(st["passes_per_day"].mean()) if len(st) else None,
        "longest_gap_s": float(st["longest_gap_s"].max()) if len(st) else None,
        "contacts": int(st["passes"].sum()) if len(st) else 0,
    }
    m = results.metrics
    if m:
        out["delivered_fraction"] = m["delivered"] / m["products"] if m.get("products") else None
        targets = results.targets
        out["target_max_gap_s"] = (float(targets["max_gap_s"].max())
                                   if targets is not None and len(targets) else None)
    return finite(out)


def _counts(node: Mapping) -> bool:
    """A mapping of counts by open-ended keys (``drops_by_reason``), where a missing key means zero."""
    return all(isinstance(v, int) and not isinstance(v, bool) for v in node.values())


def _flat_names(metrics: Mapping, prefix: str = "") -> list[str]:
    out = []
    for k, v in metrics.items():
        if isinstance(v, Mapping) and v:
            out += _flat_names(v, f"{prefix}{k}.")
        else:
            out.append(f"{prefix}{k}")
    return out


def _metric(record: dict | None, name: str) -> Any:
    if record is None or record.get("status") != "ok":
        return math.nan
    if name in DERIVED_METRICS:
        value = (record.get("derived") or {}).get(name)
        return math.nan if value is None else value
    node: Any = record.get("metrics") or {}
    for i, seg in enumerate(name.split(".")):
        if isinstance(node, Mapping) and seg in node:
            node = node[seg]
        elif isinstance(node, Mapping) and i > 0 and _counts(node):
            return 0
        else:
            return math.nan
    return math.nan if node is None or isinstance(node, Mapping) else node

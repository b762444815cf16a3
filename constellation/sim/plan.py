"""An agent's view of the contact plan: its windows of each kind, sorted, with what each window is to."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Rows grouped by key, each group in table order: the stable order that sorts ``keys``, the sorted keys, and
    each group's (first, end) positions in that order."""
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    firsts = np.concatenate([[0], cuts]).astype(int) if len(keys) else np.zeros(0, dtype=int)
    return order, keys, list(zip(firsts.tolist(), np.append(cuts, len(keys)).tolist()))


@dataclass
class Windows:
    """Time windows of one kind for one node, sorted by start, with what each window is to (``other``).

    ``extra`` holds per-window columns (``rate_bps``, ``delay_s``, ``max_elevation_deg``, ``best_s``).
    """

    start: np.ndarray
    end: np.ndarray
    other: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_frame(cls, df, start="start_s", end="end_s", other=None, **extra):
        """Windows from a table's ``start``/``end`` columns; ``other`` and each ``extra`` name a column."""
        if df is None or len(df) == 0:
            return cls(np.zeros(0), np.zeros(0), [], {k: np.zeros(0) for k in extra})
        df = df.sort_values([start, end], kind="stable")
        return cls(
            df[start].to_numpy(float), df[end].to_numpy(float),
            [] if other is None else df[other].tolist(),
            {k: df[col].to_numpy() for k, col in extra.items()},
        )

    @classmethod
    def by_node(cls, df, node: str, start="start_s", end="end_s", other=None, **extra) -> dict:
        """``from_frame`` of each node's rows (the rows whose ``node`` column names it), from one sort of ``df``."""
        if df is None or len(df) == 0:
            return {}
        df = df.sort_values([start, end], kind="stable")
        order, keys, bounds = groups(df[node].to_numpy())
        s, e = df[start].to_numpy(float)[order], df[end].to_numpy(float)[order]
        o = None if other is None else df[other].to_numpy()[order]
        cols = {k: df[col].to_numpy()[order] for k, col in extra.items()}
        return {
            keys[a]: cls(s[a:b], e[a:b], [] if o is None else o[a:b].tolist(), {k: v[a:b] for k, v in cols.items()})
            for a, b in bounds
        }

    def __len__(self) -> int:
        return len(self.start)

    def open_at(self, t: float) -> np.ndarray:
        """Indices of the windows open at ``t`` (start <= t < end)."""
        return np.nonzero((self.start <= t) & (self.end > t))[0]

    def next_after(self, t: float) -> int | None:
        """Index of the first window that opens after ``t``, or None."""
        k = int(np.searchsorted(self.start, t, side="right"))
        return k if k < len(self.start) else None


@dataclass
class SatellitePlan:
    """A satellite's view of the plan: station passes, targets in view, eclipses and relay windows.

    ``downlink`` windows are to stations (``max_elevation_deg`` per pass; ``min_rate_bps``, when present, a rate the
    link never falls below during the pass), ``targets`` to target names (``best_s``:
    the moment closest to nadir), ``relay`` to the relay (``rate_bps``, ``delay_s``); ``isl`` routing uses the
    mission's router, built from the whole link plan.
    """

    downlink: Windows
    targets: Windows
    eclipses: Windows
    relay: Windows

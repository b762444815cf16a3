"""Outages: when each node (satellite, relay, station) is out of service."""

from __future__ import annotations

import numpy as np


def link_key(a: str, b: str) -> str:
    """The name outages use for the link between two nodes (either order)."""
    return " <-> ".join(sorted((a, b)))


class Outages:
    """Intervals of outage per node or link (``link_key``), from scheduled faults and seeded random failures."""

    def __init__(self):
        self._intervals: dict[str, list[tuple[float, float]]] = {}

    def add(self, node: str, start: float, end: float) -> None:
        spans = sorted(self._intervals.get(node, []) + [(float(start), float(end))])
        merged: list[tuple[float, float]] = []
        for a, b in spans:
            if merged and a <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], b))
            else:
                merged.append((a, b))
        self._intervals[node] = merged

    def add_random(self, node: str, mtbf_s: float, mttr_s: float, end_s: float, rng: np.random.Generator) -> None:
        """Alternate exponential up times (mean ``mtbf_s``) and repair times (mean ``mttr_s``) up to ``end_s``."""
        t = 0.0
        while True:
            t += rng.exponential(mtbf_s)
            if t >= end_s:
                return
            repair = rng.exponential(mttr_s)
            self.add(node, t, min(t + repair, end_s))
            t += repair

    def __bool__(self) -> bool:
        """Whether any node or link has an outage."""
        return bool(self._intervals)

    def intervals(self, node: str) -> list[tuple[float, float]]:
        return list(self._intervals.get(node, []))

    def down(self, node: str, t: float) -> bool:
        return any(a <= t < b for a, b in self._intervals.get(node, ()))

    def link_down(self, a: str, b: str, t: float) -> bool:
        """Whether the link between ``a`` and ``b`` or either end is out of service at ``t``."""
        return self.down(a, t) or self.down(b, t) or self.down(link_key(a, b), t)

    def link_up_again(self, a: str, b: str, t: float) -> float:
        """The first time at or after ``t`` when the link and both its ends are in service."""
        while self.link_down(a, b, t):
            t = max(self.up_again(a, t), self.up_again(b, t), self.up_again(link_key(a, b), t))
        return t

    def up_again(self, node: str, t: float) -> float:
        """The first time at or after ``t`` when ``node`` is in service."""
        for a, b in self._intervals.get(node, ()):
            if a <= t < b:
                return b
        return t

    def down_time(self, node: str, start: float, end: float) -> float:
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self._intervals.get(node, ()))

    def table(self):
        import pandas as pd

        rows = [(n, a, b) for n in sorted(self._intervals) for a, b in self._intervals[n]]
        return pd.DataFrame(rows, columns=["node", "start_s", "end_s"])

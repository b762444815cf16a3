"""Store-and-forward routing over a contact plan: the earliest arrival through timed link windows.

This is contact graph routing as DTN uses it (Fraire et al., "Routing in the Space Internet: A contact graph routing
tutorial", JNCA 2021): data waits on board at any node until a window it can use opens, and storage is unlimited.

Times are seconds since the scenario epoch; every function that takes a start time also takes it in any form
``scenario.to_seconds`` reads (``"10 min"``, a ``timedelta``, an astropy Quantity, or, given ``epoch``, an ISO time,
a ``datetime`` or an astropy Time).

A contact plan is a DataFrame with one row per link window: ``a``, ``b`` (node names), ``start_s``, ``end_s``,
``delay_s`` (one-way propagation delay for that window), ``rate_bps`` and, optionally, ``directed`` (True: the row
serves a -> b only; otherwise both ways). Other columns (``kind``, ``range_km``...) are carried along and ignored.

Crossing a window u -> v, departing at ``d`` (no earlier than the window opens nor than the data reaches u), arrives at
``d + delay_s + size_bits / rate_bps`` and is allowed only when ``d + size_bits / rate_bps <= end_s``: the whole
transmission fits in the window; the last bit may still be in flight when the window closes.
"""

from __future__ import annotations

import difflib
import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

PLAN_COLUMNS = ("a", "b", "start_s", "end_s", "delay_s", "rate_bps")
"""Columns a contact plan must have; ``directed`` is optional."""

_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class Hop:
    """One window crossed: from ``a`` to ``b`` (the direction travelled), and ``plan.iloc[window_index]`` is its row."""

    a: str
    b: str
    depart_s: float
    arrive_s: float
    window_index: int


@dataclass(frozen=True)
class Arrival:
    """The earliest journey to a node: arrival time and latency since creation (s), nodes visited, windows crossed."""

    time_s: float
    latency_s: float
    path: list[str]
    hops: list[Hop]


def earliest_arrival(
    plan: pd.DataFrame,
    source: str,
    target: str,
    t0,
    *,
    size_bits: float = 0.0,
    no_transit: Iterable[str] = (),
    max_hops: int | None = None,
    epoch=None,
) -> Arrival | None:
    """The earliest time data created at ``source`` at ``t0`` can reach ``target``; None when it never can.

    ``t0`` is seconds since the epoch or any time form ``scenario.to_seconds`` reads; an absolute time (ISO string,
    ``datetime``, astropy Time) needs ``epoch``.

    Dijkstra on (node, hops) labels by arrival time. That is exact because every window is FIFO: the arrival through
    it, ``max(t, start_s) + delay_s + size_bits / rate_bps``, never decreases with the time ``t`` data reaches its
    tail, so arriving earlier at a node never loses a later option. Equal arrivals go to the journey with fewer hops,
    then to the one whose last hop leaves from the node first by name, then to the lower plan row. Nodes in
    ``no_transit`` (ground stations, say) can be the source or the target but are never passed through;
    ``max_hops`` bounds the number of windows crossed.
    """
    t0 = _start_time(t0, epoch)
    return _earliest(_Arcs(plan, size_bits), source, target, t0, no_transit, max_hops)


def _earliest(arcs, source, target, t0: float, no_transit, max_hops) -> Arrival | None:
    src = arcs.node_id(source, "source")
    dst = arcs.node_id(target, "target")
    if max_hops is not None and not (isinstance(max_hops, int | np.integer) and max_hops >= 0):
        raise ValueError(f"max_hops must be a whole number >= 0 or None (got {max_hops!r})")
    labels, first = _search(arcs, src, t0, arcs.ids_of(no_transit), dst, max_hops)
    if dst not in first:
        return None
    path, hops = _journey(arcs, labels, first[dst])
    time_s = labels[first[dst]][0]
    return Arrival(time_s=time_s, latency_s=time_s - t0, path=path, hops=hops)


class ContactPlan:
    """A contact plan prepared once for many ``earliest_arrival`` queries (its index is kept per data size).

    ``epoch`` (an astropy Time or ISO string) lets queries start at an absolute time; with ``duration_s`` (the run
    length) a start time outside [0, duration_s] is a ValueError.
    """

    def __init__(self, plan: pd.DataFrame, *, epoch=None, duration_s: float | None = None):
        from .scenario import utc_time, to_duration

        self.plan = plan
        self.epoch = None if epoch is None else utc_time(epoch, "epoch")
        self.duration_s = None if duration_s is None else to_duration(duration_s, name="duration_s")
        self._arcs: dict[float, _Arcs] = {}

    def earliest_arrival(self, source: str, target: str, t0, *, size_bits: float = 0.0,
                         no_transit: Iterable[str] = (), max_hops: int | None = None) -> Arrival | None:
        """As the module function ``earliest_arrival`` on this plan; ``t0`` takes any time form."""
        t0 = _start_time(t0, self.epoch, self.duration_s)
        key = float(size_bits)
        if key not in self._arcs:
            self._arcs[key] = _Arcs(self.plan, size_bits)
        return _earliest(self._arcs[key], source, target, t0, no_transit, max_hops)


def earliest_arrivals(
    plan: pd.DataFrame,
    source: str,
    t0,
    *,
    size_bits: float = 0.0,
    no_transit: Iterable[str] = (),
    epoch=None,
) -> pd.DataFrame:
    """The earliest arrival at every node reachable from ``source``: columns node, arrival_s, hops, path.

    One search serves every node, with the rules (and tie-breaks) of ``earliest_arrival``; ``hops`` counts windows
    crossed, ``path`` lists the nodes visited. The source is included (hops 0) and rows are ordered by arrival.
    ``t0`` takes any time form, as in ``earliest_arrival``.
    """
    t0 = _start_time(t0, epoch)
    arcs = _Arcs(plan, size_bits)
    src = arcs.node_id(source, "source")
    labels, first = _search(arcs, src, t0, arcs.ids_of(no_transit), None, None)
    rows = []
    for v, state in first.items():
        path, hops = _journey(arcs, labels, state)
        rows.append((path[-1], labels[state][0], len(hops), path))
    table = pd.DataFrame(rows, columns=["node", "arrival_s", "hops", "path"])
    return table.sort_values(["arrival_s", "hops", "node"], kind="stable", ignore_index=True)


class _Arcs:
    """The plan as directed arcs grouped by tail node, each group sorted by the latest departure that still fits.

    That key is rounded up by a few ulps, so a searchsorted on it never drops a usable arc; the exact rule
    (``d + size_bits / rate_bps <= end_s``) is then applied to what it keeps.
    """

    def __init__(self, plan: pd.DataFrame, size_bits: float):
        if not isinstance(plan, pd.DataFrame):
            raise ValueError(f"contact plan must be a pandas DataFrame (got {type(plan).__name__})")
        if not (isinstance(size_bits, int | float | np.integer | np.floating) and 0.0 <= size_bits < math.inf):
            raise ValueError(f"size_bits must be a finite number >= 0 (got {size_bits!r})")
        cols = _validated_columns(plan)
        a, b = cols["a"], cols["b"]
        codes, uniques = pd.factorize(np.concatenate([a, b]))
        by_name = np.argsort(uniques.astype(str))
        inverse = np.empty_like(by_name)
        inverse[by_name] = np.arange(len(by_name))
        inverse = inverse[codes]
        self.names: list[str] = uniques[by_name].tolist()
        self.index = {name: i for i, name in enumerate(self.names)}
        n_rows = len(a)
        ia, ib = inverse[:n_rows], inverse[n_rows:]
        back = ~cols["directed"]
        tail = np.concatenate([ia, ib[back]])
        head = np.concatenate([ib, ia[back]])
        row = np.concatenate([np.arange(n_rows), np.flatnonzero(back)])
        start, end = cols["start_s"][row], cols["end_s"][row]
        delay = cols["delay_s"][row]
        with np.errstate(divide="ignore", over="ignore"):
            tx = float(size_bits) / cols["rate_bps"][row]
        usable = np.isfinite(tx) & (start + tx <= end) & (end > -math.inf)
        tail, head, row, start, end, delay, tx = (x[usable] for x in (tail, head, row, start, end, delay, tx))
        with np.errstate(invalid="ignore"):
            key = (end - tx) + 4.0 * _EPS * (np.abs(end) + tx)
        order = np.lexsort((key, tail))
        self.head, self.row = head[order], row[order]
        self.start, self.end, self.delay, self.tx = start[order], end[order], delay[order], tx[order]
        self.key = key[order]
        self.offsets = np.searchsorted(tail[order], np.arange(len(self.names) + 1)).tolist()

    def node_id(self, name, role: str) -> int:
        if name in self.index:
            return self.index[name]
        close = difflib.get_close_matches(str(name), [str(x) for x in self.names], n=3, cutoff=0.6)
        hint = f"; close matches: {', '.join(map(repr, close))}" if close else ""
        raise ValueError(f"unknown {role} {name!r}: no window in the contact plan touches it{hint}")

    def ids_of(self, names: Iterable[str]) -> frozenset[int]:
        if isinstance(names, str):
            names = (names,)
        return frozenset(self.index[x] for x in names if x in self.index)


def _validated_columns(plan: pd.DataFrame) -> dict[str, np.ndarray]:
    missing = [c for c in PLAN_COLUMNS if c not in plan.columns]
    if missing:
        raise ValueError(
            f"contact plan is missing column(s) {', '.join(map(repr, missing))} (it needs {', '.join(PLAN_COLUMNS)})"
        )
    cols: dict[str, np.ndarray] = {}
    for c in ("a", "b"):
        values = plan[c].to_numpy(dtype=object)
        _check_rows(np.array([not isinstance(x, str) for x in values], bool), f"{c} must be a node name (str)",
                    lambda i, v=values: f"{c}={v[i]!r}")
        cols[c] = values
    _check_rows(cols["a"] == cols["b"], "a and b must name different nodes", lambda i: f"a=b={cols['a'][i]!r}")
    for c in ("start_s", "end_s", "delay_s", "rate_bps"):
        try:
            values = pd.to_numeric(plan[c], errors="raise").to_numpy(dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"contact plan: {c} must be numeric ({err})") from None
        _check_rows(np.isnan(values), f"{c} must not be NaN", lambda i, c=c: f"{c}=nan")
        cols[c] = values
    delay, rate, start, end = cols["delay_s"], cols["rate_bps"], cols["start_s"], cols["end_s"]
    _check_rows(~(np.isfinite(delay) & (delay >= 0)), "delay_s must be finite and >= 0",
                lambda i: f"delay_s={delay[i]}")
    _check_rows(~(rate > 0), "rate_bps must be > 0", lambda i: f"rate_bps={rate[i]}")
    _check_rows(end < start, "end_s must be >= start_s", lambda i: f"start_s={start[i]}, end_s={end[i]}")
    if "directed" in plan.columns:
        raw = plan["directed"].to_numpy(dtype=object)
        flags = [_flag(x) for x in raw]
        _check_rows(np.array([f is None for f in flags], bool), "directed must be True or False",
                    lambda i: f"directed={raw[i]!r}")
        cols["directed"] = np.array(flags, dtype=bool)
    else:
        cols["directed"] = np.zeros(len(plan), dtype=bool)
    return cols


def _flag(x) -> bool | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return False
    if isinstance(x, bool | np.bool_ | int | np.integer) and x in (0, 1):
        return bool(x)
    return None


def _check_rows(bad: np.ndarray, message: str, show) -> None:
    where = np.flatnonzero(bad)
    if where.size:
        rows = f"{where.size} rows, the first" if where.size > 1 else "row"
        raise ValueError(f"contact plan: {message} ({rows} at position {where[0]}: {show(where[0])})")


def _start_time(t0, epoch=None, end: float | None = None) -> float:
    """Seconds since the epoch from any time form: a finite float within [0, end] passes at once."""
    if isinstance(t0, float | int | np.integer | np.floating) and not isinstance(t0, bool | np.timedelta64):
        t = float(t0)
        if not math.isfinite(t):
            raise ValueError(f"t0 must be finite (got {t0!r})")
        if end is None or 0.0 <= t <= end:
            return t
    from .scenario import to_seconds

    return to_seconds(t0, epoch=epoch, end=end, name="t0")


def _search(arcs: _Arcs, src: int, t0: float, no_transit: frozenset[int], target: int | None, max_hops: int | None):
    """Labels ``(node, hops) -> (arrival, previous state, row, departure)`` and the first (earliest) state per node.

    States are popped in (arrival, hops, node, previous node, row) order. One is kept only if no state already queued
    for its node has no more hops and arrives no later (within[v, h]: the earliest queued arrival at v in <= h hops);
    a later arrival in fewer hops is kept, since it can still tie downstream or be the only one within max_hops.
    """
    n = len(arcs.names)
    fewest = np.full(n, np.iinfo(np.int64).max)
    cols = 2 + (max_hops if max_hops is not None else 6)
    within = np.full((n, cols), math.inf)
    exact_t = np.full((n, cols), math.inf)
    exact_p = np.zeros((n, cols), dtype=np.int64)
    exact_r = np.zeros((n, cols), dtype=np.int64)
    within[src], exact_t[src, 0] = t0, t0
    labels: dict[tuple[int, int], tuple[float, tuple[int, int] | None, int, float]] = {}
    first: dict[int, tuple[int, int]] = {}
    heap = [(t0, 0, src, -1, -1, t0)]
    head, row, start, end, delay, tx, key, offsets = (
        arcs.head, arcs.row, arcs.start, arcs.end, arcs.delay, arcs.tx, arcs.key, arcs.offsets
    )
    while heap:
        t, h, u, p, r, d = heapq.heappop(heap)
        if fewest[u] <= h:
            continue
        fewest[u] = h
        labels[(u, h)] = (t, (p, h - 1) if p >= 0 else None, r, d)
        first.setdefault(u, (u, h))
        if u == target:
            break
        if (u in no_transit and u != src) or (max_hops is not None and h >= max_hops):
            continue
        lo, hi = offsets[u], offsets[u + 1]
        lo += int(np.searchsorted(key[lo:hi], t))
        if lo >= hi:
            continue
        hn = h + 1
        if hn >= cols:
            grow = cols
            within = np.concatenate([within, np.repeat(within[:, -1:], grow, axis=1)], axis=1)
            exact_t = np.concatenate([exact_t, np.full((n, grow), math.inf)], axis=1)
            exact_p = np.concatenate([exact_p, np.zeros((n, grow), dtype=np.int64)], axis=1)
            exact_r = np.concatenate([exact_r, np.zeros((n, grow), dtype=np.int64)], axis=1)
            cols += grow
        dep = np.maximum(t, start[lo:hi])
        arr = dep + delay[lo:hi] + tx[lo:hi]
        hd, rw = head[lo:hi], row[lo:hi]
        et, ep = exact_t[hd, hn], exact_p[hd, hn]
        dominated = (within[hd, h] <= arr) | (et < arr) | (
            (et == arr) & ((ep < u) | ((ep == u) & (exact_r[hd, hn] <= rw)))
        )
        keep = np.flatnonzero((dep + tx[lo:hi] <= end[lo:hi]) & ~dominated)
        if keep.size > 1:
            keep = keep[np.lexsort((rw[keep], arr[keep]))]
        for v, a, rr, dd in zip(hd[keep].tolist(), arr[keep].tolist(), rw[keep].tolist(), dep[keep].tolist()):
            e = exact_t[v, hn]
            if within[v, h] <= a or e < a or (e == a and (exact_p[v, hn], exact_r[v, hn]) <= (u, rr)):
                continue
            exact_t[v, hn], exact_p[v, hn], exact_r[v, hn] = a, u, rr
            np.minimum(within[v, hn:], a, out=within[v, hn:])
            heapq.heappush(heap, (a, hn, v, u, rr, dd))
    return labels, first


def _journey(arcs: _Arcs, labels, state) -> tuple[list[str], list[Hop]]:
    hops: list[Hop] = []
    nodes = [state[0]]
    while True:
        t, prev, r, d = labels[state]
        if prev is None:
            break
        hops.append(Hop(arcs.names[prev[0]], arcs.names[state[0]], d, t, r))
        nodes.append(prev[0])
        state = prev
    return [arcs.names[v] for v in reversed(nodes)], hops[::-1]

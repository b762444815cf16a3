"""Earliest arrival over a contact plan: cases worked by hand, and agreement with a brute-force search."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from constellation.routing import Arrival, Hop, earliest_arrival, earliest_arrivals


def plan_of(*rows, directed=None) -> pd.DataFrame:
    """A contact plan from (a, b, start_s, end_s, delay_s, rate_bps) tuples."""
    plan = pd.DataFrame(rows, columns=["a", "b", "start_s", "end_s", "delay_s", "rate_bps"])
    plan.insert(2, "kind", "test")
    if directed is not None:
        plan["directed"] = directed
    return plan


def test_store_and_forward_waits_on_board_for_the_next_window():
    # A-B open [0, 10], B-C open [20, 30]; 2 bits at 1 bit/s take 2 s to send, each hop has 1 s of delay.
    # A sends at 0 -> B holds it from 0 + 1 + 2 = 3 until B-C opens at 20 -> C at 20 + 1 + 2 = 23.
    plan = plan_of(("A", "B", 0.0, 10.0, 1.0, 1.0), ("B", "C", 20.0, 30.0, 1.0, 1.0))
    got = earliest_arrival(plan, "A", "C", 0.0, size_bits=2.0)
    assert got == Arrival(
        time_s=23.0,
        latency_s=23.0,
        path=["A", "B", "C"],
        hops=[Hop("A", "B", 0.0, 3.0, 0), Hop("B", "C", 20.0, 23.0, 1)],
    )
    # Created at 5 it still makes the first window: 5 + 3 = 8 at B, and C again at 23 (latency 18).
    later = earliest_arrival(plan, "A", "C", 5.0, size_bits=2.0)
    assert later.time_s == 23.0 and later.latency_s == 18.0
    # The way back needs B-A after B-C has closed at 30 less the 2 s sending time; B-A closes at 10: unreachable.
    assert earliest_arrival(plan, "C", "A", 0.0, size_bits=2.0) is None


def test_a_long_chain_waits_at_every_node():
    # n0 - n1 - ... - n11, the window to n(i+1) open [10 i, 10 i + 5] with 1 s delay: each hop lands at 10 i + 1 and
    # waits for the next window at 10 (i + 1). The last (i = 10) departs at 100 and lands at 101, after 11 hops.
    plan = plan_of(*[(f"n{i}", f"n{i + 1}", 10.0 * i, 10.0 * i + 5.0, 1.0, 1.0) for i in range(11)])
    got = earliest_arrival(plan, "n0", "n11", 0.0)
    assert got.time_s == 101.0 and len(got.hops) == 11
    assert [h.depart_s for h in got.hops] == [10.0 * i for i in range(11)]
    assert earliest_arrival(plan, "n0", "n11", 0.0, max_hops=10) is None


def test_a_fast_window_worth_waiting_for_beats_the_always_open_relay_only_when_it_opens_soon():
    # 1e6 bits. Through the relay R (open all day, 1e5 bit/s, 0.25 s delay): each hop takes 10 + 0.25 s, so data
    # created at t0 reaches G at t0 + 20.5. The direct S-G pass opens at 30 (1e8 bit/s, 4 ms): it reaches G at
    # max(t0, 30) + 0.004 + 0.01.
    plan = plan_of(
        ("S", "R", 0.0, 86400.0, 0.25, 1e5),
        ("R", "G", 0.0, 86400.0, 0.25, 1e5),
        ("S", "G", 30.0, 40.0, 0.004, 1e8),
    )
    # t0 = 0: relay 20.5 against direct 30.014 -> the relay.
    early = earliest_arrival(plan, "S", "G", 0.0, size_bits=1e6)
    assert early.path == ["S", "R", "G"] and early.time_s == pytest.approx(20.5, abs=1e-12)
    # t0 = 25: relay 45.5 against direct 30.014 -> wait five seconds for the pass.
    late = earliest_arrival(plan, "S", "G", 25.0, size_bits=1e6)
    assert late.path == ["S", "G"] and late.time_s == pytest.approx(30.014, abs=1e-12)
    assert late.hops[0].depart_s == 30.0 and late.hops[0].window_index == 2


def test_windows_too_short_for_the_transmission_are_skipped():
    # 10 bits at 1 bit/s take 10 s to send, 0.5 s delay per hop.
    # A-B [0, 9.99] is too short; A-B [12, 22] fits exactly (12 + 10 = 22): B at 12 + 0.5 + 10 = 22.5.
    # B-C [0, 30] is open when the data reaches B, but 22.5 + 10 > 30; B-C [40, 60]: C at 40 + 0.5 + 10 = 50.5.
    plan = plan_of(
        ("A", "B", 0.0, 9.99, 0.5, 1.0),
        ("A", "B", 12.0, 22.0, 0.5, 1.0),
        ("B", "C", 0.0, 30.0, 0.5, 1.0),
        ("B", "C", 40.0, 60.0, 0.5, 1.0),
    )
    got = earliest_arrival(plan, "A", "C", 0.0, size_bits=10.0)
    assert got.time_s == 50.5
    assert [h.window_index for h in got.hops] == [1, 3]
    # With nothing to send (size 0) the first windows serve: B at 0.5, C at 1.0.
    assert earliest_arrival(plan, "A", "C", 0.0).time_s == 1.0


def test_no_transit_station_is_never_a_relay_even_when_faster():
    # S1-GS-S2 through the station takes 0.01 + 0.01 s; the S1-S2 crosslink only opens at 500 (1 ms).
    plan = plan_of(
        ("S1", "GS", 0.0, 100.0, 0.01, 1e6),
        ("GS", "S2", 0.0, 100.0, 0.01, 1e6),
        ("S1", "S2", 500.0, 600.0, 0.001, 1e6),
    )
    assert earliest_arrival(plan, "S1", "S2", 0.0).path == ["S1", "GS", "S2"]
    barred = earliest_arrival(plan, "S1", "S2", 0.0, no_transit=("GS",))
    assert barred.path == ["S1", "S2"] and barred.time_s == 500.001
    # The station may still be where data starts or ends.
    assert earliest_arrival(plan, "S1", "GS", 0.0, no_transit=["GS"]).time_s == 0.01
    assert earliest_arrival(plan, "GS", "S2", 0.0, no_transit="GS").time_s == 0.01
    table = earliest_arrivals(plan, "S1", 0.0, no_transit={"GS"}).set_index("node")
    assert table.loc["S2", "arrival_s"] == 500.001 and table.loc["GS", "arrival_s"] == 0.01


def test_unreachable_target_gives_none():
    # D only has a window with C, and C never hears from A; after 10 nothing is open at all.
    plan = plan_of(("A", "B", 0.0, 10.0, 0.0, 1.0), ("C", "D", 0.0, 10.0, 0.0, 1.0))
    assert earliest_arrival(plan, "A", "D", 0.0) is None
    assert earliest_arrival(plan, "A", "B", 11.0) is None
    assert earliest_arrivals(plan, "A", 0.0)["node"].tolist() == ["A", "B"]


def test_directed_rows_serve_one_way_only():
    # Row 0 (directed) carries A -> B only; B gets back to A through C (1 + 1 s).
    plan = plan_of(("A", "B", 0.0, 10.0, 0.0, 1.0), ("B", "C", 0.0, 10.0, 1.0, 1.0), ("C", "A", 0.0, 10.0, 1.0, 1.0),
                   directed=[True, False, None])
    assert earliest_arrival(plan, "A", "B", 0.0).time_s == 0.0
    assert earliest_arrival(plan, "B", "A", 0.0).path == ["B", "C", "A"]


def test_max_hops_and_ties():
    # A-B direct opens at 10; A-C-B arrives at 10 too (C at 1, then waits for C-B at 10), and so does A-D-B (D at 0).
    # Equal arrivals: fewer hops wins, then the earlier name for the node before the last hop (C, reached after D).
    plan = plan_of(
        ("A", "D", 0.0, 50.0, 0.0, 1.0),
        ("D", "B", 10.0, 50.0, 0.0, 1.0),
        ("A", "C", 1.0, 50.0, 0.0, 1.0),
        ("C", "B", 10.0, 50.0, 0.0, 1.0),
        ("A", "B", 10.0, 50.0, 0.0, 1.0),
    )
    assert earliest_arrival(plan, "A", "B", 0.0).path == ["A", "B"]
    assert earliest_arrival(plan.iloc[:4], "A", "B", 0.0).path == ["A", "C", "B"]
    # Zero-delay A-B-C-D reaches D at 0 in three hops, A-D directly at 5 in one; D-T opens at 10 (T at 10 either way).
    # The later, shorter arrival at D must be kept: it gives T in two hops, and is the only way with max_hops=2.
    detour = plan_of(
        ("A", "B", 0.0, 50.0, 0.0, 1.0),
        ("B", "C", 0.0, 50.0, 0.0, 1.0),
        ("C", "D", 0.0, 50.0, 0.0, 1.0),
        ("A", "D", 5.0, 50.0, 0.0, 1.0),
        ("D", "T", 10.0, 50.0, 0.0, 1.0),
    )
    assert earliest_arrival(detour, "A", "T", 0.0).path == ["A", "D", "T"]
    assert earliest_arrival(detour, "A", "T", 0.0, max_hops=2).time_s == 10.0
    assert earliest_arrival(detour, "A", "D", 0.0, max_hops=2).time_s == 5.0
    # A-B-C: 2 s per hop; A-C direct opens at 100. One hop allowed -> wait for it.
    chain = plan_of(
        ("A", "B", 0.0, 50.0, 2.0, 1.0), ("B", "C", 0.0, 50.0, 2.0, 1.0), ("A", "C", 100.0, 110.0, 2.0, 1.0)
    )
    assert earliest_arrival(chain, "A", "C", 0.0).time_s == 4.0
    assert earliest_arrival(chain, "A", "C", 0.0, max_hops=1).time_s == 102.0
    assert earliest_arrival(chain, "A", "C", 0.0, max_hops=0) is None
    assert earliest_arrival(chain, "A", "A", 7.0, max_hops=0) == Arrival(7.0, 0.0, ["A"], [])


GOOD = plan_of(("sat-1", "gs-svalbard", 0.0, 10.0, 0.01, 1e6))


@pytest.mark.parametrize(
    ("change", "call", "message"),
    [
        (lambda p: p.drop(columns=["delay_s", "rate_bps"]), {}, "missing column.*'delay_s', 'rate_bps'"),
        (lambda p: p.assign(delay_s=-0.1), {}, "delay_s must be finite and >= 0.*delay_s=-0.1"),
        (lambda p: p.assign(rate_bps=0.0), {}, "rate_bps must be > 0"),
        (lambda p: p.assign(end_s=-1.0), {}, "end_s must be >= start_s.*start_s=0.0, end_s=-1.0"),
        (lambda p: p.assign(start_s=math.nan), {}, "start_s must not be NaN"),
        (lambda p: p.assign(start_s="soon"), {}, "start_s must be numeric"),
        (lambda p: p.assign(b="sat-1"), {}, "a and b must name different nodes"),
        (lambda p: p.assign(a=7), {}, "a must be a node name"),
        (lambda p: p.assign(directed="yes"), {}, "directed must be True or False"),
        (lambda p: p, {"size_bits": -1.0}, "size_bits must be a finite number >= 0"),
        (lambda p: p, {"source": "sat1"}, "unknown source 'sat1'.*close matches: 'sat-1'"),
        (lambda p: p, {"target": "gs-svalbrd"}, "unknown target 'gs-svalbrd'.*'gs-svalbard'"),
        (lambda p: p, {"t0": math.nan}, "t0 must be finite"),
        (lambda p: p, {"max_hops": -1}, "max_hops must be"),
    ],
)
def test_validation_names_the_field(change, call, message):
    with pytest.raises(ValueError, match=message):
        earliest_arrival(change(GOOD.copy()), **({"source": "sat-1", "target": "gs-svalbard", "t0": 0.0} | call))


def test_earliest_arrivals_rejects_unknown_source_too():
    with pytest.raises(ValueError, match="unknown source 'sat-2'.*'sat-1'"):
        earliest_arrivals(GOOD, "sat-2", 0.0)


def brute_force(plan, source, target, t0, size_bits, no_transit, max_hops):
    """(arrival, hops) of the best simple time-respecting path, by trying every sequence of windows; None if none."""
    arcs = []
    for i, r in enumerate(plan.itertuples(index=False)):
        arcs.append((r.a, r.b, i, r))
        if not ("directed" in plan.columns and r.directed):
            arcs.append((r.b, r.a, i, r))
    best = None

    def walk(u, t, visited, n):
        nonlocal best
        if u == target:
            best = (t, n) if best is None else min(best, (t, n))
            return
        if (u != source and u in no_transit) or (max_hops is not None and n >= max_hops):
            return
        for x, y, _, r in arcs:
            if x == u and y not in visited:
                depart = max(t, r.start_s)
                if depart + size_bits / r.rate_bps <= r.end_s:
                    walk(y, depart + r.delay_s + size_bits / r.rate_bps, visited | {y}, n + 1)

    walk(source, t0, {source}, 0)
    return best


def check_journey(plan, got, source, target, t0, size_bits, no_transit, max_hops):
    assert got.path[0] == source and got.path[-1] == target and len(got.path) == len(got.hops) + 1
    assert len(set(got.path)) == len(got.path)
    assert not set(got.path[1:-1]) & set(no_transit)
    assert max_hops is None or len(got.hops) <= max_hops
    t = t0
    for hop, u, v in zip(got.hops, got.path, got.path[1:]):
        r = plan.iloc[hop.window_index]
        directed = "directed" in plan.columns and r.directed
        assert (hop.a, hop.b) == (u, v) and ((r.a, r.b) == (u, v) or (not directed and (r.b, r.a) == (u, v)))
        assert hop.depart_s >= t and hop.depart_s >= r.start_s
        assert hop.depart_s + size_bits / r.rate_bps <= r.end_s
        assert hop.arrive_s == pytest.approx(hop.depart_s + r.delay_s + size_bits / r.rate_bps, abs=1e-9)
        t = hop.arrive_s
    assert got.time_s == t and got.latency_s == pytest.approx(t - t0, abs=1e-9)


NODES = ["A", "B", "C", "D", "E", "F"]
times = st.integers(0, 30).map(float) | st.floats(0.0, 30.0)


@st.composite
def scenarios(draw):
    nodes = NODES[: draw(st.sampled_from([5, 4, 6, 3, 2]))]
    rows = []
    for _ in range(draw(st.integers(6, 12) | st.integers(1, 5))):
        a, b = draw(st.permutations(nodes))[:2]
        start = draw(times)
        rows.append(
            {
                "a": a,
                "b": b,
                "kind": "isl",
                "start_s": start,
                "end_s": start + draw(st.sampled_from([0.0, 2.0, 10.0, 30.0]) | st.floats(0.0, 30.0)),
                "delay_s": draw(st.sampled_from([0.0, 0.5, 1.0]) | st.floats(0.0, 5.0)),
                "rate_bps": draw(st.sampled_from([0.5, 1.0, 4.0]) | st.floats(0.1, 100.0)),
                "directed": draw(st.booleans()),
            }
        )
    plan = pd.DataFrame(rows, columns=["a", "b", "kind", "start_s", "end_s", "delay_s", "rate_bps", "directed"])
    source, target = draw(st.permutations(sorted(set(plan["a"]) | set(plan["b"]))))[:2]
    return {
        "plan": plan,
        "source": source,
        "target": target,
        "t0": draw(st.integers(0, 10).map(float) | st.floats(0.0, 10.0)),
        "size_bits": draw(st.sampled_from([0.0, 1.0, 2.0]) | st.floats(0.0, 5.0)),
        "no_transit": draw(st.sets(st.sampled_from(nodes), max_size=3)),
        "max_hops": draw(st.none() | st.integers(0, 4)),
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_earliest_arrival_equals_brute_force(case):
    plan = case["plan"]
    args = (case["source"], case["target"], case["t0"])
    for opts in (
        {"size_bits": case["size_bits"], "no_transit": (), "max_hops": None},
        {"size_bits": case["size_bits"], "no_transit": case["no_transit"], "max_hops": case["max_hops"]},
    ):
        want = brute_force(plan, *args, **opts)
        got = earliest_arrival(plan, *args, **opts)
        if want is None:
            assert got is None
            continue
        assert got is not None
        assert got.time_s == pytest.approx(want[0], abs=1e-9)
        assert len(got.hops) == want[1]
        check_journey(plan, got, *args, **opts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_earliest_arrivals_agrees_with_brute_force_for_every_node(case):
    plan = case["plan"]
    source, t0 = case["source"], case["t0"]
    opts = {"size_bits": case["size_bits"], "no_transit": case["no_transit"]}
    table = earliest_arrivals(plan, source, t0, **opts).set_index("node")
    for node in sorted(set(plan["a"]) | set(plan["b"])):
        want = brute_force(plan, source, node, t0, max_hops=None, **opts)
        if want is None:
            assert node not in table.index
        else:
            assert table.loc[node, "arrival_s"] == pytest.approx(want[0], abs=1e-9)
            assert table.loc[node, "hops"] == want[1] and len(table.loc[node, "path"]) == want[1] + 1

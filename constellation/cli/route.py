"""The ``route`` command: lowest-latency routes at a time or over a span, and store-and-forward arrivals."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from .common import console, fail, load, span_times, step_s, time_s

MAX_SAMPLES = 100_000
"""Most samples a ``--span`` may ask for."""


def _network(sc):
    try:
        return sc.network()
    except ValueError as exc:
        fail(str(exc))


def _node(net, name: str, option: str) -> str:
    try:
        net.index(name)
    except ValueError as exc:
        fail(f"{option}: {exc}")
    return name


def route_command(
    scenario: str = typer.Argument(..., help="Scenario YAML file or Python scenario script."),
    source: str = typer.Option(..., "--from", help="Node the data starts at (satellite, relay or station)."),
    target: str = typer.Option(..., "--to", help="Node the data goes to."),
    at: Optional[str] = typer.Option(None, "--at", help="Time: seconds, a duration ('6 h') or an ISO time."),
    span: Optional[tuple[str, str, str]] = typer.Option(
        None, "--span", help="START END STEP: a latency series over a span."),
    store_and_forward: bool = typer.Option(
        False, "--store-and-forward", help="Earliest arrival through the contact plan, waiting on board."),
) -> None:
    """Lowest-latency route between two nodes at one time, over a span, or by store-and-forward."""
    sc = load(scenario)
    if (at is None) == (span is None):
        fail("give exactly one of --at T or --span START END STEP")
    net = _network(sc)
    _node(net, source, "--from")
    _node(net, target, "--to")
    if at is not None:
        t = time_s(at, "--at", sc)
        if store_and_forward:
            _print_store_and_forward(net, sc, source, target, t)
        else:
            _print_route(net, source, target, t)
        return
    start, end = time_s(span[0], "--span START", sc), time_s(span[1], "--span END", sc)
    step = step_s(span[2])
    if end <= start:
        fail("--span: END must come after START")
    if (end - start) / step > MAX_SAMPLES:
        fail(f"--span STEP: {step:g} s gives more than {MAX_SAMPLES} samples over {end - start:g} s; use a larger step")
    if store_and_forward:
        _print_store_and_forward_series(net, sc, source, target, start, end, step)
    else:
        _print_series(net, source, target, start, end, step)


def step_s(text: str) -> float:
    """A positive, finite step in seconds from seconds or a duration with a unit."""
    from ..scenario import to_duration

    try:
        return to_duration(text, name="--span STEP")
    except ValueError as exc:
        fail(str(exc))


def span_times(start: float, end: float, step: float):
    """Sample times from ``start`` every ``step`` up to ``end``, never past it."""
    import numpy as np

    n = int(np.floor((end - start) / step + 1e-9))
    return start + step * np.arange(n + 1)


def _print_route(net, source: str, target: str, t: float) -> None:
    r = net.lowest_latency(source, target, t)
    if r is None:
        console.print(f"no route from {source} to {target} at t = {t:g} s", highlight=False)
        raise typer.Exit(1)
    graph = net.graph_at(t)
    table = Table(title=f"{source} -> {target} at t = {t:g} s: {r.latency_s * 1e3:.3f} ms one way, {r.hops} hops")
    for col in ("from", "to", "link", "range (km)", "delay (ms)", "rate (Mbit/s)"):
        table.add_column(col, justify="left" if col in ("from", "to", "link") else "right")
    for a, b in zip(r.path, r.path[1:]):
        e = graph.edges[a, b]
        table.add_row(a, b, e["kind"], f"{e['range_km']:.1f}", f"{e['delay_s'] * 1e3:.3f}",
                      f"{e['rate_bps'] / 1e6:.2f}")
    console.print(table)


def _print_series(net, source: str, target: str, start: float, end: float, step: float) -> None:
    import numpy as np

    series = net.latency_series(source, target, span_times(start, end, step))
    table = Table(title=f"{source} -> {target}: lowest latency every {step:g} s")
    for col in ("t (s)", "one way (ms)", "round trip (ms)", "hops", "path"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for row in series.itertuples():
        if np.isnan(row.latency_s):
            table.add_row(f"{row.t_s:g}", "-", "-", "-", "unreachable")
        else:
            table.add_row(f"{row.t_s:g}", f"{row.latency_s * 1e3:.3f}", f"{row.round_trip_s * 1e3:.3f}",
                          str(row.hops), " > ".join(row.path))
    console.print(table)
    gaps = net.unreachable_intervals(series)
    reach = series["latency_s"].notna().mean()
    console.print(f"reachable at {reach:.0%} of the samples; unreachable intervals: "
                  + (", ".join(f"{a:g}-{b:g} s" for a, b in gaps) or "none"), highlight=False)


def _contact_plan(net, sc):
    """The link plan as a store-and-forward ``ContactPlan``, and the nodes that may not pass data on."""
    from ..routing import ContactPlan

    plan = net.link_plan(0.0, sc.duration_s)
    plan = plan[plan["rate_bps"] > 0]
    no_transit = () if net.config.stations_relay else {s.name for s in sc.stations()}
    return ContactPlan(plan), no_transit, set(plan["a"]) | set(plan["b"])


def _arrival(plan, nodes, no_transit, source, target, t):
    if source not in nodes or target not in nodes:
        return None
    return plan.earliest_arrival(source, target, t, no_transit=set(no_transit) - {source, target})


def _print_store_and_forward(net, sc, source: str, target: str, t: float) -> None:
    plan, no_transit, nodes = _contact_plan(net, sc)
    arrival = _arrival(plan, nodes, no_transit, source, target, t)
    if arrival is None:
        console.print(f"{target} cannot be reached from {source} after t = {t:g} s within the scenario",
                      highlight=False)
        raise typer.Exit(1)
    table = Table(title=f"{source} -> {target}, created at t = {t:g} s: arrives at {arrival.time_s:.1f} s "
                  f"(after {arrival.latency_s:.1f} s)")
    for col in ("from", "to", "depart (s)", "arrive (s)"):
        table.add_column(col, justify="left" if col in ("from", "to") else "right")
    for hop in arrival.hops:
        table.add_row(hop.a, hop.b, f"{hop.depart_s:.3f}", f"{hop.arrive_s:.3f}")
    console.print(table)


def _print_store_and_forward_series(net, sc, source: str, target: str, start: float, end: float,
                                    step: float) -> None:
    import numpy as np

    from ..metrics import format_duration as _duration

    plan, no_transit, nodes = _contact_plan(net, sc)
    table = Table(title=f"{source} -> {target}: earliest store-and-forward arrival for data created every {step:g} s")
    for col in ("created (s)", "arrives (s)", "latency", "hops", "path"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for t in span_times(start, end, step):
        a = _arrival(plan, nodes, no_transit, source, target, float(t))
        if a is None:
            table.add_row(f"{t:g}", "-", "-", "-", "not within the scenario")
        else:
            table.add_row(f"{t:g}", f"{a.time_s:.1f}", _duration(a.latency_s), str(len(a.hops)), " > ".join(a.path))
    console.print(table)

"""The ``constellation`` command line."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Simulate satellite constellations: orbits, contacts, links and routes, missions, sweeps.",
)
console = Console()
err_console = Console(stderr=True)

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _load(path: str):
    from .scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as exc:
        _fail(str(exc))


class _Progress:
    """A rich progress bar that only appears once work has taken more than a second."""

    def __init__(self, delay_s: float = 1.0):
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
            console=err_console, transient=True,
        )
        self._tasks: dict[str, int] = {}
        self._start = time.perf_counter()
        self._delay = delay_s
        self._shown = False

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self._tasks:
            self._tasks[stage] = self._progress.add_task(stage, total=total)
        self._progress.update(self._tasks[stage], completed=done, total=total)
        if not self._shown and time.perf_counter() - self._start > self._delay:
            self._progress.start()
            self._shown = True

    def close(self) -> None:
        if self._shown:
            self._progress.stop()


def _new_run_dir(name: str) -> Path:
    base = Path(name)
    if not base.exists():
        return base
    k = 2
    while Path(f"{name}-{k}").exists():
        k += 1
    return Path(f"{name}-{k}")


def _minutes(seconds: float) -> str:
    return f"{seconds / 60.0:.1f}"


def _print_station_table(results) -> None:
    table = Table(title=f"{results.scenario_name}: passes per ground station over {results.duration_s / 86400:g} d")
    for col, justify in (
        ("station", "left"), ("passes/day", "right"), ("mean pass (min)", "right"), ("max pass (min)", "right"),
        ("total contact (min)", "right"), ("longest gap (h)", "right"),
    ):
        table.add_column(col, justify=justify)
    for row in results.stations.itertuples():
        table.add_row(
            row.station, f"{row.passes_per_day:.2f}", _minutes(row.mean_duration_s), _minutes(row.max_duration_s),
            _minutes(row.total_contact_s), f"{row.longest_gap_s / 3600.0:.2f}",
        )
    console.print(table)
    relay = results.info.get("relay_visible_fraction") or {}
    if relay:
        seen = ", ".join(f"{k} {v:.0%}" for k, v in relay.items())
        console.print(f"relay in view of: {seen}")


def _print_mission(metrics: dict) -> None:
    from .metrics import format_duration as _duration
    from .results import _finite

    m = _finite(metrics)
    table = Table(title="mission", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    drops = ", ".join(f"{k} {v}" for k, v in m["drops_by_reason"].items()) or "none"
    rows = [
        ("products", f"{m['products']} ({m['delivered']} delivered, {m['on_board']} on board, {m['dropped']} dropped)"),
        ("drops by reason", drops),
        ("data delivered", f"{m['bits_delivered'] / 8e9:.2f} of {m['bits_created'] / 8e9:.2f} GB"),
    ]
    for kind in ("image", "message"):
        lat = m[f"latency_{kind}"]
        if lat["count"]:
            rows.append((f"{kind} latency mean / p90 / max",
                         f"{_duration(lat['mean_s'])} / {_duration(lat['p90_s'])} / {_duration(lat['max_s'])}"))
    if m["coverage"] is not None:
        rows.append(("targets imaged", f"{m['coverage']:.0%}"))
        rows.append(("mean revisit", _duration(m["revisit_mean_s"])))
    rows += [
        ("storage high-water", f"{m['storage_high_water_fraction']:.1%}"),
        ("lowest battery", f"{m['lowest_charge']:.0%}"),
    ]
    if m["relay_utilisation"] is not None:
        rows.append(("relay utilisation", f"{m['relay_utilisation']:.2%}"))
    if m["messages_pending_at_terminals"]:
        rows.append(("messages still at terminals", str(m["messages_pending_at_terminals"])))
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)


@app.command()
def run(
    scenario: str = typer.Argument(..., help="Scenario YAML file or Python scenario script."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Output folder (default: a new folder named "
                                       "after the scenario)."),
) -> None:
    """Run a scenario: contacts, link plan and, when it has one, the mission; tables as Parquet and summary.json."""
    from .runner import run as run_scenario

    sc = _load(scenario)
    out_dir = out if out is not None else _new_run_dir(sc.name)
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"--out: {out_dir} exists and is not a folder")
    progress = _Progress()
    try:
        results = run_scenario(sc, progress=progress)
    finally:
        progress.close()
    results.save(out_dir)
    _print_station_table(results)
    if results.metrics:
        _print_mission(results.metrics)
    console.print(
        f"{len(results.contacts)} contact windows; wrote the tables and summary.json to {out_dir} in "
        f"{results.info['wall_time_s']:.2f} s",
        highlight=False, soft_wrap=True,
    )


@app.command()
def validate(
    scenario: str = typer.Argument(..., help="Scenario YAML file or Python scenario script."),
    deep: bool = typer.Option(False, "--deep", help="Also rebuild every orbit in boinor and compare (slow: JIT)."),
) -> None:
    """Check a scenario file and report every problem with its field path and line."""
    sc = _load(scenario)
    fleet = sc.fleet()
    if deep:
        from .orbits.boinor_bridge import check_elements
        from .orbits.elements import Elements

        kepler = [m for m in fleet.members if isinstance(m.orbit, Elements)]
        problems = check_elements(Elements.concat([m.orbit for m in kepler]), sc.epoch_time,
                                  [m.name for m in kepler]) if kepler else []
        if problems:
            _fail("boinor disagrees with the scenario's orbits:\n" + "\n".join(problems))
    kinds = [m.kind for m in fleet.members]
    console.print(
        f"{scenario}: ok ({kinds.count('satellite')} satellites, {kinds.count('relay')} relays, "
        f"{len(sc.stations())} ground stations, {sc.duration_s / 86400:g} d)",
        highlight=False, soft_wrap=True,
    )


def _time_s(text: str, option: str, sc) -> float:
    """Seconds since the scenario epoch from seconds, a duration with a unit ('6 h'), or an ISO time."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None:
        import astropy.units as u
        from astropy.time import Time

        try:
            value = float(u.Quantity(text).to_value(u.s))
        except Exception:
            try:
                value = float((Time(text, scale="utc") - sc.epoch_time).to_value(u.s))
            except Exception:
                _fail(f"{option}: {text!r} is not seconds, a duration such as '6 h', or an ISO time")
    if not 0.0 <= value <= sc.duration_s:
        _fail(f"{option}: {value:g} s is outside the scenario (0 to {sc.duration_s:g} s after the epoch)")
    return value


def _network(sc):
    try:
        return sc.network()
    except ValueError as exc:
        _fail(str(exc))


def _node(net, name: str, option: str) -> str:
    try:
        net.index(name)
    except ValueError as exc:
        _fail(f"{option}: {exc}")
    return name


@app.command()
def route(
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
    sc = _load(scenario)
    if (at is None) == (span is None):
        _fail("give exactly one of --at T or --span START END STEP")
    net = _network(sc)
    _node(net, source, "--from")
    _node(net, target, "--to")
    if at is not None:
        t = _time_s(at, "--at", sc)
        if store_and_forward:
            _print_store_and_forward(net, sc, source, target, t)
        else:
            _print_route(net, source, target, t)
        return
    start, end = _time_s(span[0], "--span START", sc), _time_s(span[1], "--span END", sc)
    step = _step_s(span[2])
    if end <= start:
        _fail("--span: END must come after START")
    if (end - start) / step > MAX_SAMPLES:
        _fail(f"--span STEP: {step:g} s gives more than {MAX_SAMPLES} samples over {end - start:g} s; use a larger step")
    if store_and_forward:
        _print_store_and_forward_series(net, sc, source, target, start, end, step)
    else:
        _print_series(net, source, target, start, end, step)


MAX_SAMPLES = 100_000


def _step_s(text: str) -> float:
    """A positive, finite step in seconds from seconds or a duration with a unit."""
    import math

    try:
        step = float(text)
    except ValueError:
        import astropy.units as u

        try:
            step = float(u.Quantity(text).to_value(u.s))
        except Exception:
            _fail(f"--span STEP: {text!r} is not a duration")
    if not (math.isfinite(step) and step > 0):
        _fail(f"--span STEP: must be a finite duration > 0 (got {text!r})")
    return step


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

    times = np.arange(start, end + 0.5 * step, step)
    series = net.latency_series(source, target, times)
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
    from .routing import ContactPlan

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

    from .metrics import format_duration as _duration

    plan, no_transit, nodes = _contact_plan(net, sc)
    table = Table(title=f"{source} -> {target}: earliest store-and-forward arrival for data created every {step:g} s")
    for col in ("created (s)", "arrives (s)", "latency", "hops", "path"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for t in np.arange(start, end + 0.5 * step, step):
        a = _arrival(plan, nodes, no_transit, source, target, float(t))
        if a is None:
            table.add_row(f"{t:g}", "-", "-", "-", "not within the scenario")
        else:
            table.add_row(f"{t:g}", f"{a.time_s:.1f}", _duration(a.latency_s), str(len(a.hops)), " > ".join(a.path))
    console.print(table)


@app.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    from .scenario import scenario_json_schema

    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


from .cli_sweep import sweep_command  # noqa: E402

app.command("sweep")(sweep_command)

from .cli_viz import plot_command, report_command  # noqa: E402

app.command("plot")(plot_command)
app.command("report")(report_command)

from .cli_view import view_command  # noqa: E402

app.command("view")(view_command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

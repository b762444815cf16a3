"""Plots of a run: ground tracks, contact timeline, link topology, latency, storage, battery and revisit.

Each kind has a ``*_figure`` function that returns a matplotlib ``Figure`` (for a notebook or a test) and a function
that saves it and returns the path; the format follows the suffix (``.png`` or ``.svg``). ``figure(kind, ...)`` and
``plot(kind, ...)`` do the same by name. Figures are built without pyplot, so nothing depends on a GUI backend.
A run is a ``Results`` or the path of a run folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from . import KINDS

NEEDS_SCENARIO = ("groundtracks", "topology")
FORMATS = (".png", ".svg")
TRACK_SPAN_S = 3 * 3600.0


class PlotError(ValueError):
    """A plot that cannot be drawn from what it was given: an unknown kind, or data the run does not have."""


def as_results(run):
    """A run as ``Results``: itself, or read from its folder."""
    from ..results import Results

    return run if isinstance(run, Results) else Results.load(run)


def as_scenario(scenario):
    """A scenario as ``Scenario``: itself, or loaded from a file or a bundled name."""
    from ..scenario import Scenario, load_scenario

    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def _new_figure(width: float = 10.0, height: float = 5.0):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _colours(names) -> dict:
    from matplotlib import colormaps

    names = list(names)
    cmap = colormaps["tab10" if len(names) <= 10 else "tab20" if len(names) <= 20 else "turbo"]
    if len(names) <= 20:
        return {n: cmap(i % cmap.N) for i, n in enumerate(names)}
    return {n: cmap(i / max(1, len(names) - 1)) for i, n in enumerate(names)}


def save(fig, out: str | Path) -> Path:
    """Write ``fig`` to ``out`` (.png or .svg, folders created) and return the path."""
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise PlotError(f"{out}: the file name must end in {' or '.join(FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    return out


LAND_MASK = Path(__file__).resolve().parent / "static" / "land_mask_0.5deg.npy"


def _world_axes(fig):
    """Equirectangular axes over land and sea (a 0.5 deg land mask, see scripts/make_land_mask.py) and a 30 deg grid."""
    from matplotlib.colors import ListedColormap

    ax = fig.add_subplot()
    land = np.unpackbits(np.load(LAND_MASK), axis=1)[:, :720].astype(bool)
    ax.imshow(land, origin="lower", extent=(-180, 180, -90, 90), cmap=ListedColormap(["#eef4fa", "#dcdccf"]),
              interpolation="nearest", zorder=0)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_aspect("equal")
    ax.set_xticks(np.arange(-180, 181, 30))
    ax.set_yticks(np.arange(-90, 91, 30))
    ax.grid(True, color="0.85", linewidth=0.6)
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    ax.set_facecolor("#eef4fa")
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    return ax


def _wrapped(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The track with NaN inserted where it crosses the antimeridian, so no line spans the map."""
    jumps = np.nonzero(np.abs(np.diff(lon)) > 180.0)[0] + 1
    return np.insert(lon, jumps, np.nan), np.insert(lat, jumps, np.nan)


def _lon(deg: float) -> float:
    return (deg + 180.0) % 360.0 - 180.0


def _ground_points(ax, scenario) -> None:
    from ..sim import mission_targets

    stations = scenario.stations()
    if stations:
        ax.scatter([_lon(s.lon_deg) for s in stations], [s.lat_deg for s in stations], marker="^", s=60,
                   color="black", zorder=5, label="ground station")
        for s in stations:
            ax.annotate(s.name, (_lon(s.lon_deg), s.lat_deg), xytext=(4, 4), textcoords="offset points", fontsize=7)
    if scenario.mission is not None:
        targets = mission_targets(scenario.mission)
        if targets:
            ax.scatter([_lon(t.lon_deg) for t in targets], [t.lat_deg for t in targets], marker="*", s=50,
                       color="crimson", zorder=5, label="target")
        terminals = scenario.mission.messaging.terminals if scenario.mission.messaging is not None else []
        if terminals:
            ax.scatter([_lon(t.longitude) for t in terminals], [t.latitude for t in terminals], marker="s", s=14,
                       color="darkgreen", zorder=5, label="terminal")


def ground_tracks_figure(scenario, *, start_s: float = 0.0, span_s: float | None = None, step_s: float = 30.0):
    """Sub-satellite tracks over ``span_s`` (default: 3 h, or the whole run if shorter) with stations and targets.

    ``scenario`` is a Scenario or a scenario file; tracks come from ``scenario.fleet().ephemeris(t).geodetic()``.
    """
    sc = as_scenario(scenario)
    end = min(sc.duration_s, start_s + (TRACK_SPAN_S if span_s is None else span_s))
    if end <= start_s:
        raise PlotError(f"no time to draw: start {start_s:g} s is at or after the end of the scenario ({end:g} s)")
    fleet = sc.fleet()
    t = np.append(np.arange(start_s, end, step_s), end)
    lat, lon, _ = fleet.ephemeris(t).geodetic()
    fig = _new_figure(11, 5.8)
    ax = _world_axes(fig)
    colours = _colours(fleet.names)
    for i, member in enumerate(fleet.members):
        x, y = _wrapped(lon[i], lat[i])
        if member.kind == "relay":
            ax.scatter(lon[i, :1], lat[i, :1], marker="D", s=60, color=colours[member.name], zorder=6,
                       label=member.name)
        else:
            ax.plot(x, y, color=colours[member.name], linewidth=1.0, label=member.name if len(fleet) <= 20 else None)
            ax.scatter(lon[i, -1:], lat[i, -1:], s=14, color=colours[member.name], zorder=4)
    _ground_points(ax, sc)
    if len(fleet) <= 20:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    ax.set_title(f"{sc.name}: ground tracks from {start_s / 3600:g} h to {end / 3600:g} h "
                 f"(dots: positions at the end)")
    return fig


def ground_tracks(scenario, out: str | Path, **kwargs) -> Path:
    """Save ``ground_tracks_figure`` to ``out``."""
    return save(ground_tracks_figure(scenario, **kwargs), out)


def contacts_figure(run):
    """Gantt timeline of the run's satellite-station contact windows: one row per station, one colour per satellite.

    Relay-station visibility is left out (a geostationary relay is in view all the time).
    """
    res = as_results(run)
    c = res.contacts
    if "kind" in c.columns:
        c = c[c["kind"] == "satellite"]
    stations = list(res.stations["station"]) if len(res.stations) else sorted(c["station"].unique())
    if len(c) == 0:
        raise PlotError(f"the run {res.scenario_name!r} has no satellite-station contact windows")
    satellites = sorted(c["satellite"].unique())
    colours = _colours(satellites)
    fig = _new_figure(11, 1.2 + 0.45 * len(stations))
    ax = fig.add_subplot()
    for row, station in enumerate(stations):
        mine = c[c["station"] == station]
        for sat, group in mine.groupby("satellite"):
            spans = list(zip(group["rise_s"] / 3600.0, group["duration_s"] / 3600.0))
            ax.broken_barh(spans, (row - 0.35, 0.7), facecolors=colours[sat], edgecolor="black", linewidth=0.3)
    ax.set_yticks(range(len(stations)), stations)
    ax.set_ylim(len(stations) - 0.5, -0.5)
    ax.set_xlim(0, res.duration_s / 3600.0)
    ax.set_xlabel(f"hours after {res.epoch[:19]} UTC")
    ax.grid(True, axis="x", color="0.85")
    if len(satellites) <= 20:
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(color=colours[s], label=s) for s in satellites], loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), fontsize=7)
    ax.set_title(f"{res.scenario_name}: {len(c)} contact windows")
    return fig


def contacts(run, out: str | Path) -> Path:
    """Save ``contacts_figure`` to ``out``."""
    return save(contacts_figure(run), out)


EDGE_COLOURS = {"downlink": "tab:blue", "isl": "tab:orange", "relay": "tab:purple", "feeder": "tab:green"}


def topology_figure(scenario, at: float = 0.0):
    """The link topology at ``at`` (s after the epoch) from ``scenario.network().graph_at(at)``, on a lat/lon map."""
    from ..frames import itrs_to_geodetic

    sc = as_scenario(scenario)
    if not 0.0 <= at <= sc.duration_s:
        raise PlotError(f"at = {at:g} s is outside the scenario (0 to {sc.duration_s:g} s after the epoch)")
    graph = sc.network().graph_at(at)
    names = list(graph.nodes)
    lat, lon, _ = itrs_to_geodetic(np.array([graph.nodes[n]["position_km"] for n in names]))
    where = {n: (lon[i], lat[i]) for i, n in enumerate(names)}
    fig = _new_figure(11, 5.8)
    ax = _world_axes(fig)
    seen = set()
    for a, b, data in graph.edges(data=True):
        kind = data["kind"]
        (xa, ya), (xb, yb) = where[a], where[b]
        if abs(xb - xa) > 180.0:
            shift = 360.0 if xb < xa else -360.0
            segments = [((xa, xb + shift), (ya, yb)), ((xa - shift, xb), (ya, yb))]
        else:
            segments = [((xa, xb), (ya, yb))]
        for xs, ys in segments:
            ax.plot(xs, ys, color=EDGE_COLOURS.get(kind, "0.4"), linewidth=1.0, alpha=0.8,
                    label=f"{kind} link" if kind not in seen else None)
            seen.add(kind)
    markers = {"satellite": ("o", "tab:red", 16), "relay": ("D", "tab:purple", 60), "station": ("^", "black", 60)}
    for kind, (marker, colour, size) in markers.items():
        mine = [n for n in names if graph.nodes[n]["kind"] == kind]
        if mine:
            ax.scatter([where[n][0] for n in mine], [where[n][1] for n in mine], marker=marker, color=colour, s=size,
                       zorder=5, label=kind)
            if len(mine) <= 20:
                for n in mine:
                    ax.annotate(n, where[n], xytext=(3, 3), textcoords="offset points", fontsize=6)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    ax.set_title(f"{sc.name}: {graph.number_of_edges()} links at t = {at:g} s")
    fig.graph = graph
    return fig


def topology(scenario, out: str | Path, at: float = 0.0) -> Path:
    """Save ``topology_figure`` to ``out``."""
    return save(topology_figure(scenario, at), out)


def _products(res):
    if res.products is None:
        raise PlotError(f"the run {res.scenario_name!r} has no mission, so no data products")
    return res.products


def latency_figure(run):
    """Cumulative distribution of the latency (creation to delivery) of delivered products, one curve per kind."""
    res = as_results(run)
    p = _products(res)
    done = p[(p["state"] == "delivered") & np.isfinite(p["latency_s"])]
    if len(done) == 0:
        raise PlotError(f"the run {res.scenario_name!r} delivered no products")
    fig = _new_figure(8, 4.5)
    ax = fig.add_subplot()
    for kind, group in done.groupby("kind"):
        v = np.sort(group["latency_s"].to_numpy()) / 60.0
        ax.step(v, np.arange(1, len(v) + 1) / len(v), where="post", linewidth=1.6,
                label=f"{kind} ({len(v)}, median {np.median(v):.1f} min)")
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("latency (min, log scale)")
    ax.set_ylabel("fraction delivered within")
    ax.grid(True, which="both", color="0.9")
    ax.legend(loc="lower right")
    ax.set_title(f"{res.scenario_name}: latency of delivered products")
    return fig


def latency(run, out: str | Path) -> Path:
    """Save ``latency_figure`` to ``out``."""
    return save(latency_figure(run), out)


def _product_ids(events: pd.DataFrame, event: str) -> pd.DataFrame:
    """Rows of ``event`` with the product id parsed from their detail ('... image 12', 'message 12 from ...')."""
    e = events[events["event"] == event]
    ids = e["detail"].str.extract(r"(?:image|message) (\d+)")[0]
    return pd.DataFrame({"t_s": e["t_s"].to_numpy(), "node": e["node"].to_numpy(),
                         "product": pd.to_numeric(ids, errors="coerce").to_numpy(),
                         "to": e["detail"].str.extract(r" to (\S+)$")[0].to_numpy()})


def storage_on_board(run) -> pd.DataFrame:
    """Data on board each satellite over the run, rebuilt from the products and events tables.

    One row per change: ``satellite``, ``t_s``, ``bits`` (the level from ``t_s`` on). A product is on board from
    its capture (images) or collection (messages) until it is delivered to a station, moves over an ISL, or the run
    ends; dropped products never took room. The time a product went up to the relay is not logged, so relayed
    products count until their delivery on the ground: ``attrs["upper_bound"]`` is then True and the curve is an
    upper bound.
    """
    res = as_results(run)
    p = _products(res)
    if res.events is None:
        raise PlotError(f"the run {res.scenario_name!r} has no events table")
    c = res.contacts
    relays = set(c.loc[c["kind"] == "relay", "satellite"]) if "kind" in c.columns else set()
    kept = p[p["state"] != "dropped"].set_index("product")
    boarded = _product_ids(res.events, "collect").set_index("product")["t_s"]
    start = kept["created_s"].copy()
    messages = kept.index[kept["kind"] == "message"]
    start.loc[messages] = boarded.reindex(messages).fillna(kept.loc[messages, "created_s"]).to_numpy()
    first_holder = kept["satellite"]
    relayed = kept["path"].map(lambda s: bool(relays & set(s.split(" > "))))
    end = kept["delivered_s"].where(kept["state"] == "delivered", res.duration_s)
    hops = _product_ids(res.events, "isl")
    hops = hops[hops["product"].isin(kept.index)].sort_values(["product", "t_s"])

    changes = []
    for pid, group in hops.groupby("product"):
        holder, since = first_holder[pid], start[pid]
        for row in group.itertuples():
            changes += [(holder, since, kept.at[pid, "size_bits"]), (holder, row.t_s, -kept.at[pid, "size_bits"])]
            holder, since = row.to, row.t_s
        changes += [(holder, since, kept.at[pid, "size_bits"]), (holder, end[pid], -kept.at[pid, "size_bits"])]
    plain = kept.index.difference(hops["product"].unique())
    for col_t, sign in ((start, 1.0), (end, -1.0)):
        changes += list(zip(first_holder[plain], col_t[plain], sign * kept.loc[plain, "size_bits"]))
    sats = sorted(res.satellites["satellite"]) if res.satellites is not None and len(res.satellites) else \
        sorted(set(first_holder))
    table = pd.DataFrame(changes, columns=["satellite", "t_s", "delta"])
    rows = []
    for sat in sats:
        mine = table[table["satellite"] == sat].groupby("t_s")["delta"].sum().sort_index()
        t = np.concatenate([[0.0], mine.index.to_numpy(), [res.duration_s]])
        level = np.concatenate([[0.0], np.cumsum(mine.to_numpy()), [np.nan]])
        level[-1] = level[-2]
        rows.append(pd.DataFrame({"satellite": sat, "t_s": t, "bits": np.clip(level, 0.0, None)}))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["satellite", "t_s", "bits"])
    out.attrs["upper_bound"] = bool(relayed.any())
    return out


def _per_satellite_over_time(res, table: pd.DataFrame, values, ylabel: str, *, step: bool):
    """A figure of one curve per satellite of ``values(rows)`` against time, over the run, with its legend."""
    fig = _new_figure(10, 4.5)
    ax = fig.add_subplot()
    satellites = list(dict.fromkeys(table["satellite"]))
    colours = _colours(satellites)
    for sat in satellites:
        rows = table[table["satellite"] == sat]
        draw = ax.step if step else ax.plot
        extra = {"where": "post"} if step else {}
        draw(rows["t_s"] / 3600.0, values(rows), color=colours[sat], linewidth=1.2 if step else 1.0,
             label=sat if len(satellites) <= 20 else None, **extra)
    ax.set_xlim(0, res.duration_s / 3600.0)
    ax.set_xlabel(f"hours after {res.epoch[:19]} UTC")
    ax.set_ylabel(ylabel)
    ax.grid(True, color="0.9")
    if len(satellites) <= 20:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    return fig, ax


def storage_figure(run):
    """Data on board each satellite over time (``storage_on_board``), in MB."""
    res = as_results(run)
    series = storage_on_board(res)
    fig, ax = _per_satellite_over_time(res, series, lambda rows: rows["bits"] / 8e6, "on board (MB)", step=True)
    bound = " (upper bound: relayed products count until delivered)" if series.attrs["upper_bound"] else ""
    ax.set_title(f"{res.scenario_name}: storage on board{bound}", fontsize=10)
    fig.series = series
    return fig


def storage(run, out: str | Path) -> Path:
    """Save ``storage_figure`` to ``out``."""
    return save(storage_figure(run), out)


def battery_figure(run):
    """State of charge of each satellite's battery over time, from the run's ``battery`` table."""
    res = as_results(run)
    b = res.battery
    if b is None or len(b) == 0:
        raise PlotError(f"the run {res.scenario_name!r} has no battery history (it has no mission)")
    fig, ax = _per_satellite_over_time(res, b, lambda rows: 100.0 * rows["charge"], "state of charge (%)",
                                       step=False)
    ax.set_ylim(0, 100)
    ax.set_title(f"{res.scenario_name}: battery (lowest {100 * b['charge'].min():.0f} %)", fontsize=10)
    return fig


def battery(run, out: str | Path) -> Path:
    """Save ``battery_figure`` to ``out``."""
    return save(battery_figure(run), out)


def revisit_figure(run):
    """Per target: mean revisit between captures and the longest gap without one (including the run's ends), h.

    A target never captured has no revisit bar and a gap as long as the run; the label gives its capture count.
    """
    res = as_results(run)
    t = res.targets
    if t is None or len(t) == 0:
        raise PlotError(f"the run {res.scenario_name!r} has no imaging targets")
    fig = _new_figure(max(6.0, 0.5 * len(t) + 3), 4.5)
    ax = fig.add_subplot()
    x = np.arange(len(t))
    ax.bar(x - 0.2, t["revisit_mean_s"].fillna(0.0) / 3600.0, 0.4, label="mean revisit", color="tab:blue")
    ax.bar(x + 0.2, t["max_gap_s"] / 3600.0, 0.4, label="longest gap", color="tab:orange")
    ax.set_xticks(x, [f"{n}\n({c})" for n, c in zip(t["target"], t["captures"])], rotation=45, ha="right",
                  fontsize=7)
    ax.set_ylabel("hours")
    ax.grid(True, axis="y", color="0.9")
    ax.legend()
    ax.set_title(f"{res.scenario_name}: revisit per target (captures in brackets), "
                 f"coverage {res.metrics.get('coverage', float('nan')):.0%}")
    return fig


def revisit(run, out: str | Path) -> Path:
    """Save ``revisit_figure`` to ``out``."""
    return save(revisit_figure(run), out)


def figure(kind: str, run=None, *, scenario=None, at: float = 0.0):
    """The figure of ``kind`` (one of ``KINDS``); ``groundtracks`` and ``topology`` need ``scenario``."""
    if kind not in KINDS:
        raise PlotError(f"unknown plot {kind!r}; the kinds are {', '.join(KINDS)}")
    if kind in NEEDS_SCENARIO:
        if scenario is None:
            raise PlotError(f"the {kind} plot needs the scenario (its geometry is not saved in the run)")
        return ground_tracks_figure(scenario) if kind == "groundtracks" else topology_figure(scenario, at)
    if run is None:
        raise PlotError(f"the {kind} plot needs a run")
    return {"contacts": contacts_figure, "latency": latency_figure, "storage": storage_figure,
            "battery": battery_figure, "revisit": revisit_figure}[kind](run)


def plot(kind: str, run, out: str | Path, *, scenario=None, at: float = 0.0) -> Path:
    """Save the figure of ``kind`` to ``out`` and return the path."""
    return save(figure(kind, run, scenario=scenario, at=at), out)


def available(run, scenario=None) -> list[str]:
    """The kinds this run (and scenario, if given) has the data for, in ``KINDS`` order."""
    res = as_results(run)
    has = {
        "groundtracks": scenario is not None,
        "topology": scenario is not None,
        "contacts": bool(len(res.contacts)) and ("kind" not in res.contacts
                                                 or bool((res.contacts["kind"] == "satellite").any())),
        "latency": res.products is not None and bool((res.products["state"] == "delivered").any()),
        "storage": res.products is not None and res.events is not None,
        "battery": res.battery is not None and len(res.battery) > 0,
        "revisit": res.targets is not None and len(res.targets) > 0,
    }
    return [k for k in KINDS if has[k]]

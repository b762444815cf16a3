"""One run: scenario -> fleet -> contacts and link plan -> mission simulation -> Results."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def run(scenario, *, progress=None, max_memory=None):
    """Run a scenario (a Scenario, or the path of a YAML file or scenario script) and return its Results.

    ``progress(stage, done, total)`` is called as work advances. Before any work, ``estimate.check`` raises
    ``estimate.RunTooLarge`` (a ValueError) when the run's estimated peak memory exceeds ``max_memory`` (bytes, or
    a size such as '4GB'; default: a margin below the machine's available memory).
    """
    from .access import contact_windows
    from .estimate import check, parse_size
    from .results import Results, station_table
    from .scenario import Scenario, load_scenario
    from .sweeps.plan import scenario_json

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(Path(scenario))
    if isinstance(max_memory, str):
        max_memory = parse_size(max_memory)
    check(scenario, max_memory)
    started = time.perf_counter()
    duration = scenario.duration_s
    fleet = scenario.fleet()
    stations = scenario.stations()

    def report(done, total):
        if progress is not None:
            progress("contacts", done, total)

    contacts = contact_windows(fleet, stations, 0.0, duration, progress=report)
    network = scenario.network(fleet)
    links = network.link_plan(0.0, duration, contacts=contacts)
    kinds = {m.name: m.kind for m in fleet.members}
    contacts.insert(1, "kind", contacts["satellite"].map(kinds).astype(str))
    epoch = scenario.epoch_time
    base = np.datetime64(epoch.utc.isot[:23], "ms")
    contacts["rise_utc"] = base + (contacts["rise_s"].to_numpy() * 1e3).astype("timedelta64[ms]")
    contacts["set_utc"] = base + (contacts["set_s"].to_numpy() * 1e3).astype("timedelta64[ms]")
    sat_contacts = contacts[contacts["kind"] == "satellite"]
    table = station_table(sat_contacts, [s.name for s in stations], duration)
    relay = {
        st.name: float(contacts[(contacts["kind"] == "relay") & (contacts["station"] == st.name)]["duration_s"].sum()
                       / duration)
        for st in stations
    } if any(m.kind == "relay" for m in fleet.members) else {}
    info = {
        "satellites": sum(m.kind == "satellite" for m in fleet.members),
        "relays": sum(m.kind == "relay" for m in fleet.members),
        "ground_stations": len(stations),
        "relay_visible_fraction": relay,
    }
    mission = {}
    if scenario.mission is not None:
        from .sim import simulate

        outcome = simulate(scenario, fleet=fleet, contacts=contacts, link_plan=links, progress=progress)
        mission = dict(products=outcome.products, events=outcome.events, targets=outcome.targets,
                       satellites=outcome.satellites, throughput=outcome.stations, outages=outcome.outages,
                       battery=outcome.battery, metrics=outcome.metrics)
    info["wall_time_s"] = round(time.perf_counter() - started, 3)
    if any(m.model == "numerical" for m in fleet.members):
        from .orbits.numerical import compile_cost

        info["boinor_compile_s"] = round(compile_cost() or 0.0, 3)
    return Results(scenario.name, epoch.utc.isot, duration, contacts, table, info, links=links,
                   scenario=scenario_json(scenario), **mission)

"""Tables and headline metrics of a finished mission run."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import metrics as m


@dataclass
class MissionResults:
    """Tables of one simulated mission, and its headline metrics."""

    products: object
    events: object
    targets: object
    satellites: object
    stations: object
    outages: object
    battery: object
    metrics: dict = field(default_factory=dict)


def _groups(table, key: str, column: str) -> dict:
    """``column`` of ``table`` as one array per value of ``key``, rows in table order."""
    from .plan import groups

    order, keys, bounds = groups(table[key].to_numpy())
    values = table[column].to_numpy()[order]
    return {keys[a]: values[a:b] for a, b in bounds}


def mission_metrics(sim, targets: list, target_windows, duration_s: float) -> MissionResults:
    """Assemble ``MissionResults`` from a finished ``Mission``."""
    products = sim.ledger.products_table()
    events = sim.ledger.events_table()
    images = products[(products["kind"] == "image") & (products["state"] != "dropped")]
    captures = _groups(images, "source", "created_s")
    accesses = (_groups(target_windows, "target", "best_s")
                if target_windows is not None and len(target_windows) else {})
    none = np.zeros(0)
    rows = []
    for t in targets:
        captured = captures.get(t.name, none)
        access = accesses.get(t.name, none)
        r = m.revisit(captured, 0.0, duration_s)
        g = m.revisit(access, 0.0, duration_s)
        rows.append({
            "target": t.name, "priority": t.priority, "captures": r["count"], "first_capture_s": r["first_s"],
            "revisit_mean_s": r["mean_s"], "revisit_p50_s": r["p50_s"], "revisit_p90_s": r["p90_s"],
            "revisit_max_s": r["max_s"], "max_gap_s": r["max_gap_s"], "access_windows": g["count"],
            "access_revisit_mean_s": g["mean_s"], "access_max_gap_s": g["max_gap_s"],
        })
    target_table = pd.DataFrame(rows, columns=[
        "target", "priority", "captures", "first_capture_s", "revisit_mean_s", "revisit_p50_s", "revisit_p90_s",
        "revisit_max_s", "max_gap_s", "access_windows", "access_revisit_mean_s", "access_max_gap_s"])

    made = products["satellite"].value_counts()
    delivered_by = products.loc[products["state"] == "delivered", "satellite"].value_counts()
    held = products.loc[products["state"] == "on_board", "holder"].value_counts()
    sat_rows = []
    for sat in sorted(sim.satellites):
        agent = sim.satellites[sat]
        sat_rows.append({
            "satellite": sat, "products": int(made.get(sat, 0)),
            "delivered": int(delivered_by.get(sat, 0)),
            "on_board": int(held.get(sat, 0)),
            "storage_high_water_bits": agent.high_water,
            "storage_high_water_fraction": agent.high_water / agent.storage.capacity,
            "lowest_charge": agent.battery.lowest_fraction,
            "final_charge": agent.battery.fraction,
            "down_s": sim.outages.down_time(sat, 0.0, duration_s),
        })
    satellite_table = pd.DataFrame(sat_rows)

    delivered = products[products["state"] == "delivered"]
    received = delivered["station"].value_counts()
    station_rows = []
    for st in sorted(sim.stations):
        station = sim.stations[st]
        station_rows.append({
            "station": st, "products": int(received.get(st, 0)), "bits": station.bits,
            "antenna_busy_s": station.busy_s,
            "throughput_bps": station.bits / duration_s,
            "down_s": sim.outages.down_time(st, 0.0, duration_s),
        })
    station_table = pd.DataFrame(station_rows)

    drops = products[products["state"] == "dropped"]["reason"].value_counts().sort_index()
    created_bits = float(products["size_bits"].sum())
    by_state = products.groupby("state")["size_bits"].sum()
    names = [t.name for t in targets]
    relay = sim.relay
    relay_util = relay.busy_s / (relay.channels.capacity * duration_s) if relay is not None else float("nan")
    metrics = {
        "products": int(len(products)),
        "delivered": int((products["state"] == "delivered").sum()),
        "on_board": int((products["state"] == "on_board").sum()),
        "dropped": int((products["state"] == "dropped").sum()),
        "drops_by_reason": {k: int(v) for k, v in drops.items()},
        "bits_created": created_bits,
        "bits_delivered": float(by_state.get("delivered", 0.0)),
        "bits_on_board": float(by_state.get("on_board", 0.0)),
        "bits_dropped": float(by_state.get("dropped", 0.0)),
        "latency_image": m.latency(delivered.loc[delivered["kind"] == "image", "latency_s"]),
        "latency_message": m.latency(delivered.loc[delivered["kind"] == "message", "latency_s"]),
        "coverage": m.coverage(set(images["source"]), names),
        "revisit_mean_s": float(np.nanmean(target_table["revisit_mean_s"])) if len(target_table) and
        target_table["revisit_mean_s"].notna().any() else float("nan"),
        "storage_high_water_fraction": float(satellite_table["storage_high_water_fraction"].max())
        if len(satellite_table) else 0.0,
        "lowest_charge": float(satellite_table["lowest_charge"].min()) if len(satellite_table) else 1.0,
        "relay_utilisation": relay_util,
        "relay_bits": relay.bits if relay is not None else 0.0,
        "messages_pending_at_terminals": int(sum(t.pending for t in sim.terminals.values())),
        "events": int(len(events)),
    }
    battery = pd.DataFrame(
        [(sat, t, f) for sat in sorted(sim.satellites) for t, f in sim.satellites[sat].battery.history],
        columns=["satellite", "t_s", "charge"],
    )
    return MissionResults(products, events, target_table, satellite_table, station_table, sim.outages.table(),
                          battery, metrics)

"""Contact plans for DTN stacks (ION, HDTN) from the run's link plan.

ION's ionadmin commands and HDTN's JSON come from the ``links`` table, with the node numbers of every name in a
sidecar ``nodes.json``.

Each link window becomes one contact per direction data can take: satellite to station (downlink), satellite to
relay, relay to station (feeder), and both ways between satellites (ISL). Times are whole seconds after the run's
start, rounded inward (start up, end down) so that a contact never claims time its window lacks; the rate is the
window's rate at its farthest range; one-way light time is that range's, rounded up to a whole second, so no
contact is faster than light. Windows with no rate, or shorter than a whole second once rounded, are left out.
"""

from __future__ import annotations

import json
import math

import numpy as np

from .base import ExportRun, Folder, register_format

BIDIRECTIONAL = frozenset({"isl"})
"""Link kinds that carry data both ways; the others carry it from ``a`` to ``b`` only."""


def node_numbers(run: ExportRun) -> dict[str, int]:
    """A positive node number for every node: the scenario's satellites, relay and stations in that order from 1,
    or, for a run without its scenario, the link plan's nodes in sorted order."""
    if run.results.scenario is not None:
        names = list(run.full_fleet.names) + [s.name for s in run.scenario.ground_stations]
    else:
        links = run.results.links
        names = sorted(set(links["a"]) | set(links["b"]))
    return {name: k for k, name in enumerate(names, 1)}


def contacts(run: ExportRun, min_rate_bps: float = 1.0):
    """The directed contacts of the link plan as a DataFrame (source, dest, kind, start_s, end_s, rate_bps, owlt_s,
    whole seconds but the rate) sorted by start, and a line saying how many windows there were and how many were
    left out for which reason."""
    import pandas as pd

    links = run.results.links
    if run.satellites is not None:
        chosen = set(run.satellites)
        links = links[links["a"].isin(chosen) | links["b"].isin(chosen)]
    start = np.ceil(links["start_s"].to_numpy(float))
    end = np.floor(links["end_s"].to_numpy(float))
    rate = links["rate_bps"].to_numpy(float)
    slow = ~(rate >= min_rate_bps)
    short = ~slow & (end <= start)
    keep = ~slow & ~short
    kept = links[keep]
    one = pd.DataFrame({
        "source": kept["a"].to_numpy(object),
        "dest": kept["b"].to_numpy(object),
        "kind": kept["kind"].to_numpy(object),
        "start_s": start[keep].astype(np.int64),
        "end_s": end[keep].astype(np.int64),
        "rate_bps": rate[keep],
        "owlt_s": np.ceil(kept["delay_s"].to_numpy(float)).astype(np.int64),
    })
    back = one[one["kind"].isin(BIDIRECTIONAL)].rename(columns={"source": "dest", "dest": "source"})
    table = pd.concat([one, back[one.columns]], ignore_index=True)
    table = table.sort_values(["start_s", "source", "dest"], kind="stable").reset_index(drop=True)
    skipped = {"no rate at the farthest range": int(slow.sum()), "shorter than a whole second": int(short.sum())}
    left = "; ".join(f"{n} {reason}" for reason, n in skipped.items() if n)
    return table, f"{len(links)} link windows, {len(table)} contacts" + (f"; left out: {left}" if left else "")


def _sidecar(run: ExportRun, folder: Folder, nodes: dict[str, int]) -> None:
    data = {"scenario": run.results.scenario_name, "epoch_utc": run.results.epoch, "nodes": nodes}
    folder.write_text("nodes.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@register_format("ion", needs=("links",))
def write_ion(run: ExportRun, folder: Folder) -> None:
    """ION contact plan (ionadmin 'a contact' and 'a range' commands, rates in bytes/s) and nodes.json."""
    nodes = node_numbers(run)
    table, counts = contacts(run, min_rate_bps=8.0)
    width = len(str(len(nodes)))
    lines = [
        f"# ION contact plan of the run {run.results.scenario_name}: ionadmin commands (ionrc).",
        f"# Times (+seconds) count from the run's start, {run.results.epoch} UTC; ionadmin counts them from its",
        f"# reference time: when it starts, or the instant a line '@ {_ion_time(run)}' before them sets.",
        "# Rates are bytes per second; ranges are one-way light time in whole seconds, rounded up.",
        f"# {counts}.",
        "# Node numbers:",
        *(f"#   {number:>{width}} {name}" for name, number in nodes.items()),
    ]
    source = table["source"].map(nodes).to_numpy()
    dest = table["dest"].map(nodes).to_numpy()
    span = [f"+{a} +{b} {s} {d}" for a, b, s, d in zip(table["start_s"], table["end_s"], source, dest)]
    byte_rate = (table["rate_bps"].to_numpy() // 8).astype(np.int64)
    lines += [f"a contact {w} {r}" for w, r in zip(span, byte_rate)]
    lines += [f"a range {w} {o}" for w, o in zip(span, table["owlt_s"])]
    folder.write_text("contact-plan.ionrc", "\n".join(lines) + "\n")
    _sidecar(run, folder, nodes)


def _ion_time(run: ExportRun) -> str:
    """The run's start in ION's absolute time form, yyyy/mm/dd-hh:mm:ss (whole seconds)."""
    stamp = run.epoch.utc.copy()
    stamp.precision = 0
    date, clock = stamp.isot.split("T")
    return f"{date.replace('-', '/')}-{clock}"


@register_format("hdtn", needs=("links",))
def write_hdtn(run: ExportRun, folder: Folder) -> None:
    """HDTN contact plan JSON (rates in bits/s) and nodes.json."""
    nodes = node_numbers(run)
    table, _ = contacts(run, min_rate_bps=1.0)
    plan = {"contacts": [
        {"contact": k, "source": nodes[s], "dest": nodes[d], "startTime": int(a), "endTime": int(b),
         "rateBitsPerSec": int(math.floor(r)), "owlt": int(o)}
        for k, (s, d, a, b, r, o) in enumerate(zip(table["source"], table["dest"], table["start_s"], table["end_s"],
                                                   table["rate_bps"], table["owlt_s"]), 1)
    ]}
    folder.write_text("contact-plan.json", json.dumps(plan, indent=2) + "\n")
    _sidecar(run, folder, nodes)

"""Mission metrics from tables (revisit, coverage, latency), and the one place they are worded for people.

``run_rows``, ``station_rows`` and ``mission_rows`` turn a run's summary into the rows that the CLI, the HTML report
and any other view print, so every view shows the same statistics in the same form: counts as integers, rates
with one decimal, durations in the unit a reader uses, data in bytes.
"""

from __future__ import annotations

import numpy as np


def revisit(times, start_s: float, end_s: float) -> dict:
    """Revisit statistics of events at ``times`` over [start_s, end_s].

    ``mean_s``, ``p50_s``, ``p90_s`` and ``max_s`` describe the gaps between successive events; ``max_gap_s`` also
    counts the wait from the start to the first event and from the last to the end.
    """
    t = np.sort(np.asarray(times, dtype=float))
    gaps = np.diff(t)
    edges = np.diff(np.concatenate([[start_s], t, [end_s]]))
    return {
        "count": int(len(t)),
        "first_s": float(t[0] - start_s) if len(t) else float("nan"),
        "mean_s": float(gaps.mean()) if len(gaps) else float("nan"),
        "p50_s": float(np.percentile(gaps, 50)) if len(gaps) else float("nan"),
        "p90_s": float(np.percentile(gaps, 90)) if len(gaps) else float("nan"),
        "max_s": float(gaps.max()) if len(gaps) else float("nan"),
        "max_gap_s": float(edges.max()),
    }


def latency(values) -> dict:
    """Summary of latencies (s): count, mean, median, 90th percentile and maximum."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return {"count": 0, "mean_s": float("nan"), "p50_s": float("nan"), "p90_s": float("nan"),
                "max_s": float("nan")}
    return {"count": int(len(v)), "mean_s": float(v.mean()), "p50_s": float(np.percentile(v, 50)),
            "p90_s": float(np.percentile(v, 90)), "max_s": float(v.max())}


def coverage(captured: set, targets: list) -> float:
    """Fraction of ``targets`` (names) captured at least once."""
    return len(captured & set(targets)) / len(targets) if targets else float("nan")


def format_duration(seconds) -> str:
    """A duration for people: seconds below two minutes, minutes below two hours, hours above; '-' for none."""
    if seconds is None or not np.isfinite(seconds):
        return "-"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def format_count(value) -> str:
    """A count as an integer; '-' for none."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return f"{int(round(float(value))):d}"


def format_bytes(bits) -> str:
    """A data size given in bits, in bytes with a decimal prefix: '4.20 GB'."""
    if bits is None or not np.isfinite(bits):
        return "-"
    size = float(bits) / 8.0
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000.0 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.2f} {unit}"
        size /= 1000.0
    return f"{size:.2f} TB"


def format_fraction(value, digits: int = 1) -> str:
    """A fraction as a percentage: 0.0125 -> '1.3 %'."""
    if value is None or not np.isfinite(value):
        return "-"
    return f"{100.0 * float(value):.{digits}f} %"


def contact_counts(contacts) -> dict:
    """Contact windows by kind of node: satellite-station and relay-station."""
    kinds = contacts["kind"] if "kind" in contacts else None
    total = int(len(contacts))
    relay = int((kinds == "relay").sum()) if kinds is not None else 0
    return {"total": total, "satellite": total - relay, "relay": relay}


def contact_sentence(contacts) -> str:
    """'95 contact windows (92 satellite-station, 3 relay-station)'."""
    c = contact_counts(contacts)
    text = f"{c['total']} contact windows"
    return text + (f" ({c['satellite']} satellite-station, {c['relay']} relay-station)" if c["relay"] else "")


STATION_HEADER = ["station", "passes", "per day", "mean pass", "longest pass", "in contact", "longest gap"]


def station_rows(stations) -> list[list[str]]:
    """The per-station pass table of a run, one row of text per station (header: ``STATION_HEADER``)."""
    return [[str(r.station), format_count(r.passes), f"{r.passes_per_day:.1f}", format_duration(r.mean_duration_s),
             format_duration(r.max_duration_s), format_duration(r.total_contact_s), format_duration(r.longest_gap_s)]
            for r in stations.itertuples()]


def run_rows(results) -> list[tuple[str, str]]:
    """What was run: epoch, duration, nodes, contact windows by kind, wall time."""
    info = results.info
    counts = contact_counts(results.contacts)
    rows = [
        ("epoch (UTC)", str(results.epoch)),
        ("duration", format_duration(results.duration_s)),
        ("satellites", format_count(info.get("satellites"))),
        ("relays", format_count(info.get("relays"))),
        ("ground stations", format_count(info.get("ground_stations", len(results.stations)))),
        ("contact windows", format_count(counts["total"])),
        ("satellite-station windows", format_count(counts["satellite"])),
    ]
    if counts["relay"]:
        rows.append(("relay-station windows", format_count(counts["relay"])))
    for station, share in (info.get("relay_visible_fraction") or {}).items():
        rows.append((f"relay in view of {station}", format_fraction(share, 0)))
    if info.get("wall_time_s") is not None:
        rows.append(("wall time", format_duration(info["wall_time_s"])))
    return rows


def mission_rows(metrics: dict) -> list[tuple[str, str]]:
    """The mission's headline figures as (label, text) rows."""
    m = metrics
    drops = ", ".join(f"{k} {format_count(v)}" for k, v in (m.get("drops_by_reason") or {}).items()) or "none"
    rows = [
        ("products", f"{format_count(m['products'])} ({format_count(m['delivered'])} delivered, "
                     f"{format_count(m['on_board'])} on board, {format_count(m['dropped'])} dropped)"),
        ("drops by reason", drops),
        ("data delivered", f"{format_bytes(m['bits_delivered'])} of {format_bytes(m['bits_created'])}"),
    ]
    for kind in ("image", "message"):
        lat = m.get(f"latency_{kind}") or {}
        if lat.get("count"):
            rows.append((f"{kind} latency mean / median / p90 / max",
                         " / ".join(format_duration(lat[k]) for k in ("mean_s", "p50_s", "p90_s", "max_s"))))
    if m.get("coverage") is not None and np.isfinite(m["coverage"]):
        rows.append(("targets imaged", format_fraction(m["coverage"], 0)))
        rows.append(("mean revisit", format_duration(m.get("revisit_mean_s"))))
    rows += [
        ("storage high-water", format_fraction(m["storage_high_water_fraction"])),
        ("lowest battery", format_fraction(m["lowest_charge"])),
    ]
    if m.get("relay_utilisation") is not None and np.isfinite(m["relay_utilisation"]):
        rows.append(("relay utilisation", format_fraction(m["relay_utilisation"], 2)))
    if m.get("messages_pending_at_terminals"):
        rows.append(("messages still at terminals", format_count(m["messages_pending_at_terminals"])))
    return rows

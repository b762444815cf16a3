"""A self-contained HTML report of a run: what was simulated, its key metrics and its plots, in one file.

Plots are embedded as base64 PNG and the styles are inline, so the file opens anywhere with no other resource.
"""

from __future__ import annotations

import base64
import io
import math
from html import escape
from pathlib import Path

from ..metrics import format_duration as _duration
from . import plots

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f0f3f6; }
img { max-width: 100%; border: 1px solid #ddd; margin-bottom: 1.5em; }
.note { color: #666; font-size: 0.9em; }
"""


def _number(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    if isinstance(value, (int,)) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e15):
        return str(int(value))
    return f"{value:.{digits}g}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _mission_rows(m: dict) -> list[list[str]]:
    rows = [
        ["products", _number(m["products"])],
        ["delivered", _number(m["delivered"])],
        ["on board at the end", _number(m["on_board"])],
        ["dropped", _number(m["dropped"])],
        ["drops by reason", ", ".join(f"{k} {v}" for k, v in m.get("drops_by_reason", {}).items()) or "none"],
        ["data created (Gbit)", _number(m["bits_created"] / 1e9)],
        ["data delivered (Gbit)", _number(m["bits_delivered"] / 1e9)],
    ]
    for kind in ("image", "message"):
        lat = m.get(f"latency_{kind}") or {}
        if lat.get("count"):
            rows.append([f"{kind} latency: median / 90 % / max",
                         f"{_duration(lat['p50_s'])} / {_duration(lat['p90_s'])} / {_duration(lat['max_s'])}"])
    if m.get("coverage") is not None:
        rows.append(["target coverage", f"{m['coverage']:.0%}"])
    rows.append(["mean revisit", _duration(m.get("revisit_mean_s"))])
    rows.append(["storage high-water", f"{m['storage_high_water_fraction']:.2%}"])
    rows.append(["lowest battery charge", f"{m['lowest_charge']:.0%}"])
    if m.get("relay_utilisation") is not None:
        rows.append(["relay utilisation", f"{m['relay_utilisation']:.2%}"])
    if m.get("messages_pending_at_terminals"):
        rows.append(["messages still at terminals", _number(m["messages_pending_at_terminals"])])
    return rows


def render(run, *, scenario=None, at: float = 0.0) -> str:
    """The report of ``run`` (a Results or a run folder) as HTML text.

    With ``scenario`` (a Scenario or a file) the ground tracks and the link topology at ``at`` are added; it must be
    the scenario the run was made from.
    """
    from ..results import _finite

    res = plots._results(run)
    sc = plots._scenario(scenario) if scenario is not None else None
    if sc is not None and sc.name != res.scenario_name:
        raise plots.PlotError(f"the scenario is {sc.name!r} but the run is of {res.scenario_name!r}")
    info = res.info
    sat_contacts = res.contacts[res.contacts["kind"] == "satellite"] if "kind" in res.contacts else res.contacts
    parts = [
        f"<h1>{escape(res.scenario_name)}</h1>",
        _table(["run", ""], [
            ["epoch (UTC)", res.epoch],
            ["duration", _duration(res.duration_s)],
            ["satellites", _number(info.get("satellites"))],
            ["relays", _number(info.get("relays"))],
            ["ground stations", _number(info.get("ground_stations", len(res.stations)))],
            ["contact windows", _number(len(res.contacts))],
            ["satellite-station contact windows", _number(len(sat_contacts))],
            ["wall time", _duration(info.get("wall_time_s"))],
        ]),
        "<h2>Passes per ground station</h2>",
        _table(["station", "passes", "passes/day", "mean pass (min)", "max pass (min)", "total contact (min)",
                "longest gap (h)"],
               [[r.station, _number(r.passes), f"{r.passes_per_day:.2f}", f"{r.mean_duration_s / 60:.1f}",
                 f"{r.max_duration_s / 60:.1f}", f"{r.total_contact_s / 60:.1f}", f"{r.longest_gap_s / 3600:.2f}"]
                for r in res.stations.itertuples()]),
    ]
    relay = info.get("relay_visible_fraction") or {}
    if relay:
        parts.append(_table(["station", "relay in view"], [[k, f"{v:.0%}"] for k, v in relay.items()]))
    if res.metrics:
        parts += ["<h2>Mission</h2>", _table(["metric", "value"], _mission_rows(_finite(res.metrics)))]
    kinds = plots.available(res, sc)
    if kinds:
        parts.append("<h2>Plots</h2>")
    for kind in kinds:
        fig = plots.figure(kind, res, scenario=sc, at=at)
        parts.append(f'<h3>{escape(kind)}</h3>\n<img alt="{escape(kind)}" src="data:image/png;base64,{_png(fig)}">')
    notes = []
    if "storage" in kinds:
        notes.append("Storage over time is rebuilt from the products and events tables; battery charge comes from the "
                     "run's battery table.")
    if sc is None:
        notes.append("Ground tracks and link topology need the scenario (report --scenario FILE).")
    parts += [f'<p class="note">{escape(n)}</p>' for n in notes]
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(res.scenario_name)}: run report</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n</body>\n</html>\n")


def report(run, out: str | Path, *, scenario=None, at: float = 0.0) -> Path:
    """Write the HTML report of ``run`` to ``out`` (folders created) and return the path."""
    out = Path(out)
    html = render(run, scenario=scenario, at=at)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out

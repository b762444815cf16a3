"""A self-contained HTML report of a run: what was simulated, its key metrics and its plots, in one file.

Plots are embedded as base64 PNG and the styles are inline, so the file opens anywhere with no other resource.
"""

from __future__ import annotations

import base64
import io
from html import escape
from pathlib import Path

from ..metrics import STATION_HEADER, mission_rows, run_rows, station_rows
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


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def render(run, *, scenario=None, at: float = 0.0) -> str:
    """The report of ``run`` (a Results or a run folder) as HTML text.

    With ``scenario`` (a Scenario or a file) the ground tracks and the link topology at ``at`` are added; it must be
    the scenario the run was made from.
    """
    res = plots.as_results(run)
    sc = plots.as_scenario(scenario) if scenario is not None else None
    if sc is not None and sc.name != res.scenario_name:
        raise plots.PlotError(f"the scenario is {sc.name!r} but the run is of {res.scenario_name!r}")
    parts = [
        f"<h1>{escape(res.scenario_name)}</h1>",
        _table(["run", "value"], [list(row) for row in run_rows(res)]),
        "<h2>Passes per ground station</h2>",
        _table(STATION_HEADER, station_rows(res.stations)),
    ]
    if res.metrics:
        parts += ["<h2>Mission</h2>", _table(["metric", "value"], [list(r) for r in mission_rows(res.metrics)])]
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

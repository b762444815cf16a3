"""Plots and the HTML report of a run: the pictures carry the run's data, and bad input exits 2 with a message."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from constellation.viz import plots
from constellation.viz.report import report

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def scenario():
    """The swarm over six morning hours (from 04:00 UTC), so the cameras see daylight and images are taken."""
    from constellation.scenario import Scenario, load_scenario

    sc = load_scenario(ROOT / "scenarios" / "soleimani_swarm.yaml")
    return Scenario.model_validate({**sc.model_dump(mode="json"), "epoch": "2026-03-20T04:00:00Z",
                                    "duration": 21600})


@pytest.fixture(scope="module")
def run_dir(scenario, tmp_path_factory):
    import constellation

    return constellation.run(scenario).save(tmp_path_factory.mktemp("viz") / "run")


@pytest.fixture(scope="module")
def results(run_dir):
    from constellation.results import Results

    return Results.load(run_dir)


@pytest.fixture(scope="module")
def scenario_file(scenario, tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "swarm_6h.yaml"
    path.write_text(scenario.to_yaml())
    return path


def _pixels(path_or_bytes) -> np.ndarray:
    from PIL import Image

    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with Image.open(source) as im:
        return np.asarray(im.convert("RGB"))


def assert_not_blank(path_or_bytes, min_colours: int = 8) -> None:
    rgb = _pixels(path_or_bytes)
    assert rgb.shape[0] > 200 and rgb.shape[1] > 300
    assert rgb.std() > 10.0, "the image is (nearly) one flat colour"
    colours = np.unique(rgb.reshape(-1, 3), axis=0)
    assert len(colours) > min_colours, f"only {len(colours)} colours"


def _colours_in(rgb: np.ndarray, rgba) -> int:
    """Pixels within a few levels of a matplotlib colour."""
    target = np.round(np.asarray(rgba[:3]) * 255)
    return int((np.abs(rgb.astype(int) - target).max(axis=2) <= 3).sum())


@pytest.mark.parametrize("kind", plots.KINDS)
def test_every_kind_draws_a_picture_of_the_run(kind, results, scenario, tmp_path):
    out = plots.plot(kind, results, tmp_path / f"{kind}.png", scenario=scenario, at=7200.0)
    assert out == tmp_path / f"{kind}.png"
    assert_not_blank(out)


def test_svg_by_suffix(results, tmp_path):
    out = plots.contacts(results, tmp_path / "contacts.svg")
    text = out.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    assert "mahdasht" in text


def test_contact_timeline_has_one_row_per_station_and_a_bar_per_window(results):
    fig = plots.contacts_figure(results)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(results.stations["station"])
    windows = results.contacts[results.contacts["kind"] == "satellite"]
    bars = sum(len(c.get_paths()) for c in ax.collections)
    assert bars == len(windows) > 0
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == sorted(windows["satellite"].unique())


def test_ground_tracks_show_every_satellite_in_its_colour(scenario, tmp_path):
    fig = plots.ground_tracks_figure(scenario)
    ax = fig.axes[0]
    labels = [line.get_label() for line in ax.get_lines()]
    satellites = [m.name for m in scenario.fleet().members if m.kind == "satellite"]
    assert set(satellites) <= set(labels)
    line = ax.get_lines()[labels.index(satellites[0])]
    lon = line.get_xdata()
    assert np.nanmin(lon) >= -180 and np.nanmax(lon) <= 180 and np.isnan(lon).any()  # cut at the antimeridian
    rgb = _pixels(plots.save(fig, tmp_path / "tracks.png"))
    assert _colours_in(rgb, line.get_color()) > 200


def test_topology_is_the_network_graph_at_that_time(scenario):
    fig = plots.topology_figure(scenario, 7200.0)
    expected = scenario.network().graph_at(7200.0)
    assert fig.graph.number_of_edges() == expected.number_of_edges() > 0
    assert str(expected.number_of_edges()) in fig.axes[0].get_title()


def test_latency_cdf_has_one_curve_per_kind_ending_at_one(results):
    ax = plots.latency_figure(results).axes[0]
    delivered = results.products[results.products["state"] == "delivered"]
    assert len(ax.get_lines()) == delivered["kind"].nunique() == 2
    for line, (kind, group) in zip(ax.get_lines(), delivered.groupby("kind")):
        assert line.get_ydata()[-1] == pytest.approx(1.0)
        assert len(line.get_xdata()) == len(group)
        assert line.get_xdata().max() == pytest.approx(group["latency_s"].max() / 60.0)


def test_storage_rebuilt_from_products_peaks_at_the_recorded_high_water(results):
    series = plots.storage_on_board(results)
    peaks = series.groupby("satellite")["bits"].max()
    recorded = results.satellites.set_index("satellite")["storage_high_water_bits"]
    assert (recorded > 0).any()
    np.testing.assert_allclose(peaks.reindex(recorded.index).to_numpy(), recorded.to_numpy(), rtol=1e-9)
    assert series.attrs["upper_bound"] == results.products["path"].str.contains("relay-53e").any()
    final = series.groupby("satellite")["bits"].last()
    assert final.sum() == pytest.approx(results.metrics["bits_on_board"])


def test_revisit_bars_are_the_target_table(results):
    ax = plots.revisit_figure(results).axes[0]
    gaps = [p.get_height() for p in ax.containers[1]]
    np.testing.assert_allclose(gaps, results.targets["max_gap_s"] / 3600.0)
    assert len(ax.get_xticklabels()) == len(results.targets)


def test_kinds_without_data_or_scenario_say_why(run_dir, tmp_path):
    from constellation.results import Results

    res = Results.load(run_dir)
    bare = Results(res.scenario_name, res.epoch, res.duration_s, res.contacts, res.stations, res.info)
    for kind in ("latency", "storage"):
        with pytest.raises(plots.PlotError, match="no mission"):
            plots.figure(kind, bare)
    with pytest.raises(plots.PlotError, match="no imaging targets"):
        plots.figure("revisit", bare)
    with pytest.raises(plots.PlotError, match="needs the scenario"):
        plots.figure("groundtracks", res)
    with pytest.raises(plots.PlotError, match="the kinds are groundtracks, contacts"):
        plots.figure("heatmap", res)
    with pytest.raises(plots.PlotError, match=r"\.png or \.svg"):
        plots.contacts(res, tmp_path / "x.jpg")
    assert plots.available(bare) == ["contacts"]


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_report_holds_the_runs_figures_and_plots(run_dir, scenario, tmp_path):
    summary = json.loads((run_dir / "summary.json").read_text())
    out = report(run_dir, tmp_path / "report.html", scenario=scenario)
    html = out.read_text()
    assert f"<td>contact windows</td><td>{summary['contacts']}</td>" in html
    m = summary["mission"]
    assert (f"<td>products</td><td>{m['products']} ({m['delivered']} delivered, {m['on_board']} on board, "
            f"{m['dropped']} dropped)</td>") in html
    for row in summary["stations"]:
        assert f"<td>{row['station']}</td><td>{row['passes']}</td>" in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "the report must not load anything from outside"
    images = _images(html)
    assert len(images) == len(plots.KINDS)
    for png in images:
        assert_not_blank(png)


def test_report_without_scenario_leaves_out_geometry(run_dir, tmp_path):
    html = report(run_dir, tmp_path / "r.html").read_text()
    assert len(_images(html)) == len(plots.KINDS) - len(plots.NEEDS_SCENARIO)
    assert "report --scenario FILE" in html


# --- command line ---------------------------------------------------------------------------------------------


def _app():
    """The real CLI once ``plot`` and ``report`` are registered in it; until then a local app with both."""
    from constellation.cli import app
    from constellation.cli.plots import plot_command, report_command

    names = {c.name for c in app.registered_commands}
    if {"plot", "report"} <= names:
        return app
    local = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    local.command("plot")(plot_command)
    local.command("report")(report_command)
    return local


def invoke(*args):
    return CliRunner().invoke(_app(), [str(a) for a in args], env={"COLUMNS": "200"})


def test_cli_plot_and_report(run_dir, scenario_file, tmp_path):
    r = invoke("plot", run_dir, "contacts", "--out", tmp_path / "c.png")
    assert r.exit_code == 0, r.output
    assert_not_blank(tmp_path / "c.png")
    r = invoke("plot", run_dir, "topology", "--scenario", scenario_file, "--at", "2 h", "--out", tmp_path / "t.svg")
    assert r.exit_code == 0, r.output
    assert "<svg" in (tmp_path / "t.svg").read_text()
    r = invoke("report", run_dir, "--out", tmp_path / "report.html")
    assert r.exit_code == 0, r.output
    assert len(_images((tmp_path / "report.html").read_text())) == 5


@pytest.mark.parametrize(
    "args, message",
    [
        (["plot", "{tmp}", "contacts"], "is not a run folder"),
        (["plot", "{run}", "heatmap"], "the kinds are: groundtracks, contacts, topology, latency, storage, battery, revisit"),
        (["plot", "{run}", "groundtracks"], "needs the run's scenario: add --scenario"),
        (["plot", "{run}", "topology", "--scenario", "{scenario}"], "add --at"),
        (["plot", "{run}", "topology", "--scenario", "{scenario}", "--at", "99 h"], "outside the scenario"),
        (["plot", "{run}", "contacts", "--out", "{tmp}/c.jpg"], ".png or .svg"),
        (["plot", "{run}", "groundtracks", "--scenario", "{khayyam}"], "but the run is of 'soleimani_swarm'"),
        (["report", "{tmp}"], "is not a run folder"),
        (["report", "{run}", "--out", "{tmp}/r.pdf"], "must end in .html"),
    ],
)
def test_cli_bad_input_exits_2_with_a_message(args, message, run_dir, scenario_file, tmp_path):
    fill = {"tmp": tmp_path, "run": run_dir, "scenario": scenario_file,
            "khayyam": ROOT / "scenarios" / "khayyam.yaml"}
    r = invoke(*[a.format(**fill) for a in args])
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert "Traceback" not in r.output
    assert not isinstance(r.exception, Exception) or isinstance(r.exception, SystemExit)


def test_cli_plot_without_mission_data(run_dir, tmp_path):
    import shutil

    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("contacts.parquet", "links.parquet"):
        shutil.copy(run_dir / name, bare / name)
    summary = json.loads((run_dir / "summary.json").read_text())
    summary.pop("mission", None)
    (bare / "summary.json").write_text(json.dumps({**summary, "tables": ["contacts", "links"]}))
    r = invoke("plot", bare, "latency", "--out", tmp_path / "l.png")
    assert r.exit_code == 2 and "has no mission" in r.output
    assert not (tmp_path / "l.png").exists()


def test_the_map_knows_land_from_sea():
    # Geography, not our output: Tehran, central Australia and the Sahara are land; the middle of the Pacific,
    # the South Atlantic and the Arabian Sea are not. Cells are 0.5 deg, centres at 0.25 deg.
    from constellation.viz.plots import LAND_MASK

    land = np.unpackbits(np.load(LAND_MASK), axis=1)[:, :720].astype(bool)

    def at(lat, lon):
        return bool(land[int((lat + 90) // 0.5), int((lon + 180) // 0.5)])

    assert at(35.7, 51.4) and at(-25.0, 134.0) and at(23.0, 10.0)
    assert not at(0.0, -160.0) and not at(-30.0, -15.0) and not at(15.0, 65.0)
    assert 0.28 < land.mean() < 0.36

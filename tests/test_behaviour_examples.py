"""The behaviour examples of scenarios/behaviours/ (guides/behaviours.md): they run from the command line as YAML and
as scripts with the same results, do what their rules say, and bad parameters are refused cleanly."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from constellation.cli import app
from constellation.results import Results
from constellation.sim import (Battery, Downlink, GroundStation, Imaging, Mission, Satellite, SatellitePlan, Windows,
                               resolve)
from constellation.sim.ranges import Ranges

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "scenarios" / "behaviours"
EXAMPLES = ("compress", "clouds", "scheduler")

# From survey.yaml: 200 MB scenes (1.6e9 bit), 5 s at 10 W per capture, a 40 Wh (144 kJ) battery, 80 s at 10 W to
# send a scene at 20 Mbit/s. From compress.yaml: ratio 4, 2 s at 20 W per image. From clouds.yaml: mean cover 0.5,
# at most 0.3, seed 7. From scheduler.yaml: 3 products per pass.
IMAGE_BITS = 1.6e9
CAPTURE_J = 5.0 * 10.0
COMPRESS_J = 2.0 * 20.0
SEND_J = 80.0 * 10.0
BATTERY_J = 40.0 * 3600.0
QUOTA = 3


def example(name: str, cls: str):
    """The class ``cls`` of the example ``name``.py, loaded by its path as the scenarios load it."""
    return resolve(f"{FOLDER / name}.py:{cls}")


def cloud_cover(*args):
    return sys.modules[example("clouds", "CloudSkippingImaging").__module__].cloud_cover(*args)


def cli_run(path: Path, out: Path) -> Results:
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, f"{path.name}: {result.output}\n{result.exception!r}"
    return Results.load(out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every example run by ``constellation run`` from the repository root, by the path a user types there."""
    out = tmp_path_factory.mktemp("runs")
    files = ["survey.yaml"] + [f"{name}{suffix}" for name in EXAMPLES for suffix in (".yaml", "_script.py")]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return {file: cli_run(Path("scenarios/behaviours") / file, out / file) for file in files}


# --- every example runs, and its YAML and script agree ---------------------------------------------------------------

@pytest.mark.parametrize("name", EXAMPLES)
def test_the_yaml_and_the_script_give_the_same_tables(runs, name):
    yaml_run, script_run = runs[f"{name}.yaml"], runs[f"{name}_script.py"]
    assert yaml_run.metrics["products"] > 0
    for table in ("products", "events", "targets", "throughput", "battery"):
        pd.testing.assert_frame_equal(getattr(yaml_run, table), getattr(script_run, table), obj=table)


def test_the_folder_runs_when_copied_elsewhere(runs, tmp_path, monkeypatch):
    # Both ways of naming a file (a YAML's relative path, a script's resolve) work from another folder and another
    # working directory, and give the repository's results.
    copy = tmp_path / "mine"
    shutil.copytree(FOLDER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for file in ("clouds.yaml", "compress_script.py"):
        moved = cli_run(copy / file, tmp_path / "out" / file)
        pd.testing.assert_frame_equal(moved.products, runs[file].products)


def test_the_guide_shows_each_scenarios_entry():
    page = (ROOT / "docs" / "guides" / "behaviours.md").read_text()
    shown = [block for block in re.findall(r"```yaml\n(.*?)```", page, flags=re.S) if block.startswith("  behaviours:")]
    assert len(shown) == len(EXAMPLES)
    for name, block in zip(EXAMPLES, shown):
        assert block in (FOLDER / f"{name}.yaml").read_text()


# --- compression ---------------------------------------------------------------------------------------------------

def test_every_compressed_image_is_a_quarter_of_the_scene(runs):
    # Exact: dividing by 4 is exact in binary floating point.
    assert (runs["survey.yaml"].products["size_bits"] == IMAGE_BITS).all()
    products = runs["compress.yaml"].products
    assert len(products) > 0 and (products["size_bits"] == IMAGE_BITS / 4).all()
    delivered = products[products["state"] == "delivered"]
    assert len(delivered) == len(products)
    assert runs["compress.yaml"].metrics["bits_delivered"] == len(delivered) * IMAGE_BITS / 4


def test_the_compression_energy_shows_in_the_battery(runs):
    # At the moment of each capture the battery falls by the capture's 50 J and, compressed, the processing's 40 J;
    # without compression by 50 J, or by 850 J when the downlink starts sending that scene (800 J) at that instant.
    # Tolerance 1e-6 J: the charge is a fraction of 144 kJ in doubles.
    def drops_j(run):
        battery = run.battery
        out = []
        for image in run.products.itertuples():
            charge = battery[(battery["satellite"] == image.satellite) & (battery["t_s"] == image.created_s)]["charge"]
            out.append((charge.iloc[0] - charge.iloc[-1]) * BATTERY_J)
        return np.array(out)

    compressed = drops_j(runs["compress.yaml"])
    assert compressed == pytest.approx(CAPTURE_J + COMPRESS_J, abs=1e-6)
    raw = drops_j(runs["survey.yaml"])
    assert np.all(np.isclose(raw, CAPTURE_J, atol=1e-6) | np.isclose(raw, CAPTURE_J + SEND_J, atol=1e-6))
    assert np.isclose(raw, CAPTURE_J, atol=1e-6).sum() > len(raw) / 2


def by_hand(behaviours, *, targets=None, downlink=None, min_charge=0.0, end=2000.0) -> Mission:
    """A mission of satellites at fixed points above one station g, run with only ``behaviours``.

    ``targets``/``downlink`` map each satellite to its (start, end, name[, best]) windows; the battery holds 1 Wh
    (3600 J), full, with no array and no bus load.
    """
    targets, downlink = targets or {}, downlink or {}
    names = sorted(set(targets) | set(downlink))
    where = {"g": (6378.137, 0.0, 0.0)} | {n: (7378.137, 0.0, 1000.0 * k) for k, n in enumerate(names)}
    sim = Mission(end, ranges=Ranges(fixed=where), downlink_rate=lambda sat, station, t: 1e7)
    station = sim.add(GroundStation(sim, "g", antennas=1))
    for name in names:
        rows = sorted(targets.get(name, ()))
        passes = sorted(downlink.get(name, ()))
        plan = SatellitePlan(
            downlink=Windows(np.array([r[0] for r in passes], float), np.array([r[1] for r in passes], float),
                             [r[2] for r in passes], {"max_elevation_deg": np.full(len(passes), 90.0)}),
            targets=Windows(np.array([r[0] for r in rows], float), np.array([r[1] for r in rows], float),
                            [r[2] for r in rows], {"best_s": np.array([r[3] for r in rows], float)}),
            eclipses=Windows(np.zeros(0), np.zeros(0)),
            relay=Windows(np.zeros(0), np.zeros(0), [], {"rate_bps": np.zeros(0), "delay_s": np.zeros(0)}),
        )
        battery = Battery(sim.env, 1.0, 1.0, 0.0, 0.0, min_charge)
        sat = sim.add(Satellite(sim, name, plan, storage_bits=1e12, battery=battery))
        for cls, params in behaviours.get("satellite", ()):
            sim.add_behaviour(sat, cls, params)
    for cls, params in behaviours.get("station", ()):
        sim.add_behaviour(station, cls, params)
    sim.start()
    sim.run()
    return sim


def test_compression_by_hand():
    # One 1 Gbit image at t=100: 5 s at 10 W (50 J) to capture, 2 s at 20 W (40 J) to compress 4x, stored at 102 s;
    # the 3600 J battery ends at 3510 J. With a 98 % reserve (3528 J) the capture leaves 3550 J, compressing would
    # leave 3510 J: refused, the image is stored at 100 s as captured, and a "compress" event says why.
    compressed = example("compress", "CompressedImaging")
    params = {"image_size": 1e9, "capture_time": 5.0, "power": 10.0, "ratio": 4, "processing_time": "2 s",
              "processing_power": "20 W"}
    plan = {"s": [(90.0, 110.0, "A", 100.0)]}

    sim = by_hand({"satellite": [(compressed, params)]}, targets=plan)
    image = sim.ledger.products[0]
    assert (image.size_bits, image.created_s) == (2.5e8, 100.0)
    events = sim.ledger.events_table().set_index("event")
    assert events.loc["capture", "t_s"] == 102.0
    assert sim.satellites["s"].battery.store.level == pytest.approx(3510.0, abs=1e-9)

    sim = by_hand({"satellite": [(compressed, params)]}, targets=plan, min_charge=0.98)
    image = sim.ledger.products[0]
    assert image.size_bits == 1e9 and image.state == "on_board"
    events = sim.ledger.events_table().set_index("event")
    assert events.loc["compress", "t_s"] == 100.0 and "battery low" in events.loc["compress", "detail"]
    assert events.loc["capture", "t_s"] == 100.0
    assert sim.satellites["s"].battery.store.level == pytest.approx(3550.0, abs=1e-9)


# --- clouds --------------------------------------------------------------------------------------------------------

def skipped(run) -> pd.DataFrame:
    events = run.events[(run.events["event"] == "skip") & run.events["detail"].str.contains("cloud cover")]
    parts = events["detail"].str.extract(r"^(?P<target>.+): cloud cover (?P<cover>[0-9.]+)$")
    return events.assign(target=parts["target"], cover=parts["cover"].astype(float),
                         day=(events["t_s"] // 86400).astype(int))


def test_cloud_cover_is_reproducible_for_a_seed():
    draws = [cloud_cover(f"t{k}", day, 0.5, 7) for k in range(20) for day in range(5)]
    assert draws == [cloud_cover(f"t{k}", day, 0.5, 7) for k in reversed(range(20)) for day in reversed(range(5))][::-1]
    assert draws != [cloud_cover(f"t{k}", day, 0.5, 8) for k in range(20) for day in range(5)]
    assert all(0.0 <= c <= 1.0 for c in draws)


def test_every_skip_is_the_days_cover_and_every_capture_under_the_limit(runs):
    # The cover in each skip event is the module's cloud_cover for (seed 7, target, day) to the 2 decimals logged;
    # every captured (target, day) has a cover at most 0.3.
    run = runs["clouds.yaml"]
    skips = skipped(run)
    assert len(skips) > 0
    for row in skips.itertuples():
        exact = cloud_cover(row.target, row.day, 0.5, 7)
        assert exact > 0.3 and f"{exact:.2f}" == f"{row.cover:.2f}"
    for image in run.products.itertuples():
        assert cloud_cover(image.source, int(image.created_s // 86400), 0.5, 7) <= 0.3


def test_captures_are_the_chances_minus_the_skips(runs):
    # Exact, per target. Without clouds every chance is a capture (nothing dropped, no target missed while busy), so
    # the skips are the only difference.
    base = runs["survey.yaml"].targets.set_index("target")
    assert (base["captures"] == base["access_windows"]).all()
    clouds = runs["clouds.yaml"].targets.set_index("target")
    per_target = skipped(runs["clouds.yaml"]).groupby("target").size().reindex(clouds.index, fill_value=0)
    assert (clouds["captures"] == clouds["access_windows"] - per_target).all()
    assert (clouds["access_windows"] == base["access_windows"]).all()


def test_the_share_skipped_follows_the_cover_distribution(runs):
    # P(cover > m) for Beta(c, 1 - c): with c = 0.5 the arcsine law, 1 - (2/pi) asin(sqrt(m)) = 0.6310 at m = 0.3;
    # for c = 0.2, m = 0.5 scipy's Beta survival function. 5,000 independent (target, day) draws each: the binomial
    # standard deviation is at most 0.0071, tolerance 0.03 (4 sd).
    from scipy.stats import beta

    for c, m, expected in ((0.5, 0.3, 1 - 2 / math.pi * math.asin(math.sqrt(0.3))),
                           (0.2, 0.5, float(beta.sf(0.5, 0.2, 0.8)))):
        draws = np.array([cloud_cover(f"iran-{k:04d}", day, c, 7) for k in range(100) for day in range(50)])
        assert np.mean(draws > m) == pytest.approx(expected, abs=0.03)
    # In the run each (target, day) with a chance to image is one draw, all of its chances skipped or none: 52 draws,
    # binomial sd 0.067; tolerance 0.2 (3 sd).
    run = runs["clouds.yaml"]
    chances = pd.DataFrame({"target": np.concatenate([run.products["source"], skipped(run)["target"]]),
                            "day": np.concatenate([run.products["created_s"] // 86400, skipped(run)["day"]])})
    pairs = chances.drop_duplicates()
    share = np.mean([cloud_cover(t, int(d), 0.5, 7) > 0.3 for t, d in pairs.itertuples(index=False)])
    assert len(pairs) >= 50
    assert share == pytest.approx(1 - 2 / math.pi * math.asin(math.sqrt(0.3)), abs=0.2)


# --- the station scheduler -----------------------------------------------------------------------------------------

def deliveries_per_pass(run) -> pd.Series:
    """Products each satellite delivered to each station in each of its passes (by the time sending started)."""
    sent = run.events[run.events["event"] == "deliver"]
    counts = {}
    for p in run.contacts[run.contacts["kind"] == "satellite"].itertuples():
        mine = sent[(sent["src"] == p.satellite) & (sent["dst"] == p.station)]
        counts[(p.satellite, p.station, p.rise_s)] = int(mine["sent_s"].between(p.rise_s, p.set_s).sum())
    assert sum(counts.values()) == len(sent)
    return pd.Series(counts)


def test_no_satellite_delivers_more_than_its_quota_in_a_pass(runs):
    # Exact. First come lets a satellite deliver up to 5 products in a pass here (passes of about 450 s, 80 s a scene),
    # so the quota binds.
    assert deliveries_per_pass(runs["survey.yaml"]).max() > QUOTA
    shared = deliveries_per_pass(runs["scheduler.yaml"])
    assert shared.max() == QUOTA and (shared == QUOTA).sum() > 1


def test_a_satellite_at_its_quota_gives_way_and_does_not_come_back_by_hand():
    # s1 and s2 both see g from 50 s to 1000 s, with 3 and 2 images of 1 Gbit (100 s each at 10 Mbit/s) captured
    # before. First come: s1 (first to ask, by name) sends its 3, then s2 its 2. With a quota of 2: s1 sends 2 and
    # lets go, s2 sends its 2, and s1's third stays on board although the antenna is free from about 450 s.
    quota = example("scheduler", "PassQuota")
    imaging = (Imaging, {"image_size": 1e9, "capture_time": 10.0, "power": 0.0})
    downlink = (Downlink, {"transmitter_power": 0.0})
    targets = {"s1": [(0.0, 40.0, f"A{k}", 0.0) for k in range(3)], "s2": [(0.0, 40.0, f"B{k}", 0.0) for k in range(2)]}
    passes = {"s1": [(50.0, 1000.0, "g")], "s2": [(50.0, 1000.0, "g")]}

    def order(station_behaviours):
        sim = by_hand({"satellite": [imaging, downlink], "station": station_behaviours}, targets=targets,
                            downlink=passes)
        products = sim.ledger.products_table()
        delivered = products[products["state"] == "delivered"].sort_values("delivered_s")
        return list(delivered["satellite"]), list(products.loc[products["state"] == "on_board", "source"])

    assert order([]) == (["s1", "s1", "s1", "s2", "s2"], [])
    assert order([(quota, {"quota": 2})]) == (["s1", "s1", "s2", "s2"], ["A2"])


# --- bad input -----------------------------------------------------------------------------------------------------

def test_bad_parameters_fail_validate_with_their_field_path(tmp_path):
    # A negative ratio, then a misspelled parameter, each in a copy of compress.yaml next to compress.py: exit 2, the
    # field path and the reason, no traceback (the first through a real process, the second in this one).
    shutil.copy(FOLDER / "compress.py", tmp_path)
    text = (FOLDER / "compress.yaml").read_text()
    entry = "params: {ratio: 4, processing_time: 2 s, processing_power: 20 W}"
    assert entry in text
    (tmp_path / "negative.yaml").write_text(text.replace(entry, "params: {ratio: -1}"))
    (tmp_path / "misspelled.yaml").write_text(text.replace(entry, "params: {ratio: 4, procesing_time: 2 s}"))

    proc = subprocess.run([sys.executable, "-m", "constellation.cli", "validate", str(tmp_path / "negative.yaml")],
                          capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, timeout=120)
    line = text[:text.index(entry)].count("\n") + 1
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"negative.yaml:{line}: mission.behaviours[0].params.ratio: Input should be greater than or equal to 1" \
        in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr

    result = CliRunner().invoke(app, ["validate", str(tmp_path / "misspelled.yaml")])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "mission.behaviours[0].params.procesing_time: CompressedImaging has no parameter 'procesing_time'; did you mean processing_time, processing_power?" in result.stderr

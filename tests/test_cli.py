"""The command line end to end: run, validate, schema, and bad input (exit 2, a message, no traceback)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "constellation.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd,
        env={**__import__("os").environ, "COLUMNS": "200"},
    )


@pytest.fixture(scope="module")
def swarm_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "swarm"
    proc = cli("run", SCENARIOS / "soleimani_swarm.yaml", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out, proc


def test_run_writes_contacts_and_summary(swarm_run):
    out, proc = swarm_run
    contacts = pd.read_parquet(out / "contacts.parquet")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "soleimani_swarm"
    assert summary["satellites"] == 10 and summary["relays"] == 1 and summary["ground_stations"] == 3
    assert summary["contacts"] == len(contacts) > 0
    assert set(contacts["station"]) == {s["station"] for s in summary["stations"]}
    for col in ("rise_s", "culmination_s", "set_s", "max_elevation_deg", "min_range_km", "rise_utc", "set_utc"):
        assert col in contacts.columns
    assert (contacts["rise_s"] <= contacts["culmination_s"]).all()
    assert (contacts["culmination_s"] <= contacts["set_s"]).all()
    # The table printed per station names every station and the columns the issue asks for.
    for word in ("per day", "longest gap", "mahdasht", "qeshm", "tabriz"):
        assert word in proc.stdout


def test_run_from_python_matches_cli(swarm_run):
    import constellation

    out, _ = swarm_run
    results = constellation.run(SCENARIOS / "soleimani_swarm.yaml")
    on_disk = pd.read_parquet(out / "contacts.parquet")
    pd.testing.assert_frame_equal(results.contacts.reset_index(drop=True), on_disk, check_dtype=False)
    again = constellation.Results.load(out)
    pd.testing.assert_frame_equal(again.stations, results.stations, check_dtype=False)


def test_run_default_folder_is_new(tmp_path):
    first = cli("run", SCENARIOS / "khayyam.yaml", cwd=tmp_path)
    second = cli("run", SCENARIOS / "khayyam.yaml", cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2 and all(r.name.startswith("khayyam-") for r in runs)
    assert all((r / "summary.json").is_file() for r in runs)
    assert [p.name for p in tmp_path.iterdir()] == ["runs"]


def test_run_accepts_a_scenario_script(tmp_path):
    proc = cli("run", SCENARIOS / "swarm_layout.py", "--out", tmp_path / "script")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "script" / "contacts.parquet").is_file()


def test_validate_ok():
    proc = cli("validate", SCENARIOS / "soleimani_swarm.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "10 satellites" in proc.stdout and "1 relay," in proc.stdout and "3 ground stations" in proc.stdout


def test_schema_is_json_schema():
    proc = cli("schema")
    assert proc.returncode == 0
    schema = json.loads(proc.stdout)
    assert "properties" in schema and "satellites" in schema["properties"]


BAD = {
    "malformed.yaml": ("name: x\nepoch: [2026\n", None),
    "unknown_key.yaml": ("name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\ncolour: red\n", "colour"),
    "negative_altitude.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: a, orbit: circular, altitude: -5 km, inclination: 53 deg}\n",
        "altitude",
    ),
    "eccentric.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: a, orbit: classical, semi_major_axis: 9000 km, eccentricity: 1.2, inclination: 53 deg}\n",
        "eccentricity",
    ),
    "mask.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}\n"
        "ground_stations:\n  - {name: g, latitude: 10, longitude: 20, min_elevation: 90 deg}\n",
        "min_elevation",
    ),
    "target_latitude.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}\n"
        "mission:\n  imaging:\n    targets: [{name: t, latitude: 95 deg, longitude: 20 deg}]\n",
        "mission.imaging.targets[0].latitude",
    ),
    "target_longitude.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}\n"
        "mission:\n  imaging:\n    targets: [{name: t, latitude: 10 deg, longitude: 400 deg}]\n",
        "mission.imaging.targets[0].longitude",
    ),
    "negative_size.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}\n"
        "mission:\n  imaging:\n    image_size: -5 MB\n",
        "mission.imaging.image_size",
    ),
    "negative_rate.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}\n"
        "links:\n  downlink: {rate: -10 Mbit/s}\n",
        "links.downlink.rate",
    ),
    "policy.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}\n"
        "mission:\n  downlink: {policy: loudest}\n",
        "mission.downlink.policy",
    ),
    "fault_node.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n"
        "  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}\n"
        "mission:\n  faults: [{node: b, start: 1 h, end: 2 h}]\n",
        "mission.faults[0].node",
    ),
    "duration.yaml": (
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 0 s\nsatellites:\n"
        "  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}\n",
        "duration",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_scenarios_exit_2_without_traceback(tmp_path, name, command):
    text, field = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    proc = cli(command, path, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert "error" in proc.stderr
    if field:
        assert field in proc.stderr
    assert not any(p.is_dir() for p in tmp_path.iterdir()), "nothing is written for a bad scenario"


def test_bad_tle_checksum_names_the_field(tmp_path):
    good = (SCENARIOS / "tles" / "khayyam.tle").read_text().splitlines()
    line1 = next(ln for ln in good if ln.startswith("1 "))
    broken = line1[:68] + str((int(line1[68]) + 1) % 10)
    text = "\n".join(broken if ln == line1 else ln for ln in good)
    path = tmp_path / "bad_tle.yaml"
    path.write_text(
        "name: x\nepoch: 2026-03-20T00:00:00Z\nduration: 1 d\nsatellites:\n  - name: t\n    orbit: tle\n"
        "    lines: |\n" + "".join(f"      {ln}\n" for ln in text.splitlines())
    )
    proc = cli("validate", path)
    assert proc.returncode == 2
    assert "checksum" in proc.stderr and "satellites[0]" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_file_and_bad_flag():
    proc = cli("run", "no/such/scenario.yaml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    proc = cli("run", SCENARIOS / "khayyam.yaml", "--no-such-flag")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_out_that_is_a_file_is_refused_and_kept(tmp_path):
    target = tmp_path / "taken"
    target.write_text("keep me")
    proc = cli("run", SCENARIOS / "khayyam.yaml", "--out", target)
    assert proc.returncode == 2 and "--out" in proc.stderr
    assert target.read_text() == "keep me"


def test_validate_deep_rebuilds_orbits_in_boinor():
    proc = cli("validate", "--deep", SCENARIOS / "khayyam.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "ok" in proc.stdout
    # The largest deviation of every check is printed, with its tolerance.
    for check in ("semi-major axis", "eccentricity", "inclination", "RAAN", "period", "position at the epoch",
                  "velocity at the epoch"):
        assert check in proc.stdout
    assert "largest deviation" in proc.stdout and "tolerance" in proc.stdout


def test_cli_report_and_summary_show_the_same_statistics(swarm_run):
    """One source of truth: every mission row the CLI prints is in the report, worded the same, from summary.json."""
    from html import escape

    from constellation.metrics import mission_rows, run_rows
    from constellation.results import Results
    from constellation.viz.report import render

    out, proc = swarm_run
    summary = json.loads((out / "summary.json").read_text())
    html = render(out)
    rows = mission_rows(summary["mission"])
    assert len(rows) >= 8
    for label, value in rows:
        assert label in proc.stdout and value in proc.stdout, (label, value)
        assert f"<td>{escape(label)}</td><td>{escape(value)}</td>" in html, (label, value)
    for label, value in run_rows(Results.load(out)):
        if label != "wall time":
            assert f"<td>{escape(label)}</td><td>{escape(value)}</td>" in html, (label, value)
    # The figures themselves, recomputed from the tables: data in bytes, latency statistics, counts.
    products = pd.read_parquet(out / "products.parquet")
    delivered = products[products["state"] == "delivered"]
    gb = delivered["size_bits"].sum() / 8e9
    assert f"{gb:.2f} GB of {products['size_bits'].sum() / 8e9:.2f} GB" in proc.stdout
    images = delivered.loc[delivered["kind"] == "image", "latency_s"]
    assert summary["mission"]["latency_image"]["p50_s"] == pytest.approx(images.median())
    assert summary["mission"]["latency_image"]["mean_s"] == pytest.approx(images.mean())
    # Rates with one decimal, counts as integers; the contact line says how many are relay-station windows.
    contacts = pd.read_parquet(out / "contacts.parquet")
    per_day = (contacts[contacts["station"] == "mahdasht"]["kind"] == "satellite").sum() / (summary["duration_s"] / 86400)
    assert f" {per_day:.1f} " in proc.stdout
    relay = int((contacts["kind"] == "relay").sum())
    assert relay > 0
    assert f"{len(contacts)} contact windows ({len(contacts) - relay} satellite-station, {relay} relay-station)" \
        in proc.stdout

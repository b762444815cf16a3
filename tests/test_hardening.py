"""Bad input ends in a clean error naming the field or file (exit 2, no traceback), never a hang or a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from constellation.scenario import ScenarioError, load_scenario

BASE = "name: x\nepoch: '2026-03-20T00:00:00Z'\nduration: 1 h\n"
SAT = "satellites:\n  - name: s\n    orbit: circular\n    altitude: 500 km\n"
STATION = "ground_stations:\n  - name: g\n    latitude: 35\n    longitude: 51\n"


def cli(*args, cwd=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "constellation.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, env={**os.environ, "COLUMNS": "200"})


def refused(tmp_path, text: str, name: str = "s.yaml", data: bytes | None = None):
    path = tmp_path / name
    path.write_bytes(data if data is not None else text.encode())
    proc = cli("validate", path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr


@pytest.mark.parametrize("text, field, words", [
    ("name: x\nepoch: 2026-02-30\nduration: 1 d\n" + SAT, "epoch", "2026-02-30"),
    ("name: x\nepoch: 2026-13-01\nduration: 1 d\n" + SAT, "epoch", "2026-13-01"),
    ("name: x\nepoch: 2026-03-20T24:00:00\nduration: 1 d\n" + SAT, "epoch", "24:00:00"),
    ("name: 2026-02-30\nepoch: '2026-03-20'\nduration: 1 d\n" + SAT, None, None),
    ("name: x\nepoch: 2016-12-31T23:59:60\nduration: 1 d\n" + SAT, "epoch", "leap second"),
    ("name: x\nepoch: 0001-01-01\nduration: 1 d\n" + SAT, "epoch", "1957 to 2099"),
])
def test_unquoted_dates_are_text_for_the_schema(tmp_path, text, field, words):
    """YAML would make these dates (or fail constructing them); they reach the schema as text."""
    path = tmp_path / "s.yaml"
    path.write_text(text)
    if field is None:
        assert load_scenario(path).name == "2026-02-30"
        return
    err = refused(tmp_path, text)
    assert f":2: {field}:" in err and words in err


def test_an_alias_bomb_is_refused_at_once(tmp_path):
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    err = refused(tmp_path, "\n".join(rows) + "\n")
    assert "200,000 nodes" in err and "aliases" in err


def test_deep_nesting_nul_bytes_and_long_names(tmp_path):
    assert "nested" in refused(tmp_path, "name: " + "[" * 500 + "]" * 500 + "\n")
    assert "NUL" in refused(tmp_path, "", data=b"name: x\x00\n")
    assert "UTF-8" in refused(tmp_path, "", data=b"name: \xff\xfe\n")
    proc = cli("validate", "a" * 300 + ".yaml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "too long" in proc.stderr


def test_files_over_the_size_limit_are_refused_unread(tmp_path):
    from constellation.scenario.base import MAX_FILE_BYTES

    path = tmp_path / "big.yaml"
    with open(path, "wb") as f:
        f.seek(MAX_FILE_BYTES + 10)
        f.write(b"\n")
    with pytest.raises(ScenarioError, match="MiB limit"):
        load_scenario(path)


def test_a_tle_file_that_is_a_device_is_refused(tmp_path):
    text = BASE + "satellites:\n  - name: s\n    orbit: tle\n    file: /dev/urandom\n"
    err = refused(tmp_path, text)
    assert "satellites[0].file" in err and "not a regular file" in err


def test_a_script_that_exits_is_an_error_not_an_exit_code(tmp_path):
    err = refused(tmp_path, "import sys\nsys.exit(3)\n", name="exits.py")
    assert "sys.exit(3)" in err


@pytest.mark.parametrize("text, field, words", [
    (BASE + "satellites:\n  - name: s\n    orbit: sun_synchronous\n    altitude: 500 km\n    ltan: '10:61'\n",
     "satellites[0].ltan", "below 60"),
    (BASE + SAT + "ground_stations:\n  - name: g\n    latitude: 35\n    longitude: 51\n    height: -7000 km\n",
     "ground_stations[0].height", "greater than or equal to -500"),
    (BASE + SAT + STATION + "mission:\n  seed: -1\n", "mission.seed", "greater than or equal to 0"),
    ("name: x\nepoch: '2026-03-20'\nduration: 1e30\n" + SAT, "duration", "less than or equal to 315360000"),
    (BASE + "satellites:\n  - {name: w, orbit: walker, total: 720000000, planes: 1000, phasing: 1, altitude: 550 km,"
     " inclination: 53 deg}\n", "satellites[0].total", "less than or equal to 100000"),
    (BASE + SAT + STATION + "mission:\n  imaging:\n    targets:\n      - {name: t, latitude: 30, longitude: 50, "
     "priority: 100000000000000000000}\n", "mission.imaging.targets[0].priority", "less than or equal to 1000000"),
    (BASE + SAT + STATION + "mission:\n  messaging:\n    rate: 1e9 / h\n    terminals:\n"
     "      - {name: t, latitude: 30, longitude: 50}\n", "mission.messaging.rate", "less than or equal to 3600"),
    (BASE + SAT + STATION + "mission:\n  random_faults:\n    - {nodes: [s], mtbf: 1 ms, mttr: 1 s}\n",
     "mission.random_faults[0].mtbf", "greater than or equal to 1"),
    (BASE + SAT + STATION + "mission:\n  imaging:\n    regions:\n      - {name: r, lat_min: 25, lat_max: 40, "
     "lon_min: 44, lon_max: 63, spacing: 1 m}\n", "mission.imaging.regions[0].spacing", "greater than or equal to 1"),
    (BASE + SAT + STATION + "mission:\n  imaging:\n    targets:\n      - {name: t, latitude: 30, longitude: 50}\n"
     "      - {name: t, latitude: 31, longitude: 51}\n", "mission", "'t' is used twice"),
    (BASE + SAT + STATION + "mission:\n  messaging:\n    terminals:\n      - {name: g, latitude: 30, longitude: 50}\n",
     "mission.messaging.terminals[0].name", "already used"),
])
def test_physical_ranges_and_unique_names(tmp_path, text, field, words):
    err = refused(tmp_path, text)
    assert f" {field}: " in err and words in err, err


def test_plots_of_a_run_with_no_products_say_so(tmp_path):
    import constellation

    sc = load_scenario("khayyam").model_copy(update={"duration": 600.0})
    run = constellation.run(sc).save(tmp_path / "short")
    proc = cli("plot", run, "latency", "--out", tmp_path / "l.png")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "delivered no products" in proc.stderr

"""A new user's first hour: the README's two commands, bundled scenarios by name from any folder, the CLI basics."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from constellation.scenario import ScenarioError, bundled_scenarios, load_scenario

ROOT = Path(__file__).resolve().parent.parent


def readme_commands() -> list[str]:
    """The README's shell blocks, in order, each as one command line."""
    blocks = re.findall(r"```(?:bash|sh|shell|console)?\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    return [b.strip().replace("\n", " ") for b in blocks]


def first_cli_call() -> list[str]:
    """The ``constellation ...`` part of the README's first command, as arguments."""
    first = readme_commands()[0]
    call = first[first.index("constellation run"):]
    return shlex.split(call)[1:]


def test_ci_runs_the_readme_commands_as_written():
    first, second = readme_commands()[:2]
    assert "pip install ." in first and "constellation run" in first
    assert 'pip install ".[test]"' in second and "pytest" in second
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    # Both commands, whole lines, the first before the second: what a new user types, in that order.
    assert first in ci and second in ci and ci.index(first) < ci.index(second)


def test_first_command_leaves_nothing_that_shadows_a_bundled_scenario(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from constellation.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, first_cli_call())
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["runs"]
    # Even a folder named like a bundled scenario does not shadow it.
    (tmp_path / "khayyam").mkdir()
    for name in bundled_scenarios():
        assert load_scenario(name).name, name


def test_a_folder_is_never_taken_for_a_scenario_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    with pytest.raises(ScenarioError, match="folder, not a scenario file"):
        load_scenario("mine")
    with pytest.raises(ScenarioError, match="folder, not a scenario file"):
        load_scenario(tmp_path / "mine")
    with pytest.raises(ScenarioError, match="no bundled scenario of that name"):
        load_scenario("no_such_scenario")
    # A file of the bundled name here is the user's own file, and it wins.
    (tmp_path / "khayyam").write_text("name: mine\n")
    with pytest.raises(ScenarioError, match="unknown scenario file type"):
        load_scenario("khayyam")


def test_installed_package_carries_the_bundled_scenarios(tmp_path):
    """Build the wheel as pip does, install it alone into a folder, and load scenarios by name from elsewhere."""
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True)
    if build.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {build.stderr.strip()[-300:]}")
    (wheel,) = wheels.glob("constellation-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for name in bundled_scenarios():
        assert any(re.fullmatch(rf"constellation/scenarios/{name}\.(yaml|py)", n) for n in names), name
    assert "constellation/scenarios/tles/khayyam.tle" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("import constellation, sys; from constellation.scenario import load_scenario, bundled_scenarios; "
            "assert constellation.__file__.startswith(sys.argv[1]), constellation.__file__; "
            "print(sorted(bundled_scenarios())); print(load_scenario('khayyam').satellites[0].name)")
    proc = subprocess.run([sys.executable, "-c", code, str(target)], cwd=elsewhere, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(target)})
    assert proc.returncode == 0, proc.stderr
    assert str(sorted(bundled_scenarios())) in proc.stdout and "khayyam" in proc.stdout.splitlines()[-1]


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "constellation.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "COLUMNS": "200"})


def test_scenarios_lists_every_bundled_scenario_with_its_description(tmp_path):
    proc = _cli("scenarios", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in bundled_scenarios():
        assert name in proc.stdout
    assert "Kanopus-V" in proc.stdout and "geostationary relay" in proc.stdout


def test_run_by_bundled_name_from_another_folder(tmp_path):
    proc = _cli("run", "khayyam", "--out", tmp_path / "k", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "k" / "summary.json").is_file()


def test_version():
    import constellation

    proc = _cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"constellation {constellation.__version__}"


def test_help_shows_flags_as_flags_and_every_plot_kind():
    from constellation.viz import KINDS

    for args in (["--help"], ["run", "--help"], ["route", "--help"], ["validate", "--help"], ["plot", "--help"]):
        proc = _cli(*args)
        assert proc.returncode == 0 and "<bool>" not in proc.stdout, args
    plot_help = _cli("plot", "--help").stdout
    for kind in KINDS:
        assert kind in plot_help, kind


def test_fetch_cesium_is_a_command():
    proc = _cli("fetch-cesium", "--help")
    assert proc.returncode == 0 and "--dest" in proc.stdout
    assert "--install" in _cli("view", "--help").stdout


def test_low_orbits_are_refused_with_the_floor_named(tmp_path):
    text = ("name: low\nepoch: '2026-03-20T00:00:00Z'\nduration: 1 h\nsatellites:\n"
            "  - name: s\n    orbit: sun_synchronous\n    altitude: 50 km\n    ltan: '10:30'\n")
    (tmp_path / "low.yaml").write_text(text)
    proc = _cli("validate", tmp_path / "low.yaml")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "100 km floor" in proc.stderr and "Karman" in proc.stderr

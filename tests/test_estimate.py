"""Run size: peak memory and time estimated before any work, refusals over a limit, and the CLI's --max-memory."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from constellation import estimate as E
from constellation.scenario import load_scenario


@pytest.fixture(scope="module")
def walker():
    return load_scenario("walker_shell")


def resized(sc, duration_s=None, fraction=None):
    data = sc.model_dump()
    if duration_s is not None:
        data["duration"] = duration_s
    if fraction is not None:
        entry = data["satellites"][0]
        entry["total"] = int(entry["total"] * fraction)
        entry["planes"] = max(1, int(entry["planes"] * fraction))
    return type(sc).model_validate(data)


def test_estimate_grows_with_duration_and_satellites_as_the_model_says(walker):
    # 6 h and 1 d: both past one chunk of visibility samples, so only the satellite-epoch term moves
    short, long = E.estimate(resized(walker, 6 * 3600.0)), E.estimate(resized(walker, 86400.0))
    half = E.estimate(resized(walker, 6 * 3600.0, 0.5))
    assert min(short.samples, long.samples, half.samples) > E.SAMPLE_CHUNK
    assert short.satellites == 1584 and half.satellites == 792 and short.stations == 5
    assert short.pairs == 1584 * 5 and short.step_s == pytest.approx(191.3, abs=0.1)
    assert long.epochs > short.epochs and long.memory_bytes > short.memory_bytes and long.time_s > short.time_s
    assert half.memory_bytes < short.memory_bytes and half.time_s < short.time_s
    d_mem = long.memory_bytes - short.memory_bytes
    assert d_mem == pytest.approx(E.BYTES_PER_SAT_EPOCH * 1584 * (long.epochs - short.epochs), rel=1e-6)
    d_sat = short.memory_bytes - half.memory_bytes
    assert d_sat == pytest.approx(E.BYTES_PER_SAT_EPOCH * 792 * short.epochs, rel=1e-6)
    assert short.targets > 4 and short.expected_products > 0
    # below the chunk the sampling term grows too
    tiny, small = E.estimate(resized(walker, 3600.0, 0.25)), E.estimate(resized(walker, 3600.0, 0.5))
    assert small.samples < E.SAMPLE_CHUNK
    assert small.memory_bytes - tiny.memory_bytes == pytest.approx(
        (E.BYTES_PER_SAMPLE * (small.samples - tiny.samples)
         + E.BYTES_PER_SAT_EPOCH * (small.satellites - tiny.satellites) * small.epochs), rel=1e-6)


def test_messages_and_links_are_counted():
    est = E.estimate(load_scenario("soleimani_swarm"))
    assert est.terminals == 10 and est.expected_messages == 10 * 6 * 24
    assert est.link_pairs == 10  # ten satellites to the relay
    assert est.satellites == 11


_MEASURE = """
import json, tracemalloc
from constellation.scenario import load_scenario
from constellation.runner import run
from constellation.estimate import estimate
sc = load_scenario("walker_shell")
data = sc.model_dump()
data["duration"] = 7200.0
data["satellites"][0]["total"] = 396
data["satellites"][0]["planes"] = 18
sc = type(sc).model_validate(data)
run(sc.model_copy(update={"duration": 600.0}))
tracemalloc.start()
run(sc)
growth = tracemalloc.get_traced_memory()[1]
print(json.dumps({"growth": growth, "estimate": estimate(sc).memory_bytes}))
"""


def test_estimate_bounds_the_measured_peak_of_a_small_run():
    # 396 satellites x 5 stations over 2 h, with its imaging mission, in a fresh process after a short warm-up run
    # (imports, Earth-orientation tables): the peak of the memory the run allocates, traced by tracemalloc (numpy
    # arrays included). Tolerance: none; the estimate must be at least that peak.
    proc = subprocess.run([sys.executable, "-c", _MEASURE], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["growth"] > 0
    assert out["estimate"] >= out["growth"], out


def test_check_refuses_a_month_of_the_shell_under_4_gb_at_once(walker):
    sc = resized(walker, 30 * 86400.0)
    with pytest.raises(E.RunTooLarge) as info:
        E.check(sc, 4 * 10**9)
    text = str(info.value)
    assert isinstance(info.value, ValueError)
    assert "GB" in text and "4 GB" in text and "duration" in text and "fewer satellites" in text
    assert "spacing" in text
    assert info.value.estimate.memory_bytes > 4 * 10**9


def test_runner_checks_before_any_work(walker, monkeypatch):
    from constellation import runner

    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("work started")

    monkeypatch.setattr("constellation.access.contact_windows", boom)
    with pytest.raises(E.RunTooLarge):
        runner.run(walker, max_memory="100MB")


def test_check_passes_within_the_limit(walker):
    est = E.check(resized(walker, 3600.0), 64 * 10**9)
    assert est.memory_bytes < 64 * 10**9 and not est.long
    assert E.estimate(resized(walker, 30 * 86400.0)).long


@pytest.mark.parametrize("text, value", [("4GB", 4 * 10**9), ("512 MiB", 512 * 2**20), ("1.5g", 1.5e9),
                                         ("1000000", 10**6), ("2 GiB", 2 * 2**30)])
def test_parse_size(text, value):
    assert E.parse_size(text) == int(value)


@pytest.mark.parametrize("text", ["", "GB", "4XB", "-1GB", "0", "1e9", "four GB"])
def test_parse_size_refuses(text):
    with pytest.raises(ValueError):
        E.parse_size(text)


def test_default_limit_is_below_available_memory():
    assert 0 < E.default_limit() < E.available_memory()


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "constellation.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, "COLUMNS": "200"}, timeout=120)


def test_cli_refuses_over_max_memory_quickly_and_writes_nothing(tmp_path):
    proc = cli("run", "walker_shell", "--max-memory", "100MB", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr
    assert re.search(r"would need about [0-9.]+ [MG]B", proc.stderr), proc.stderr
    assert "100 MB" in proc.stderr and "duration" in proc.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["lots", "4XB", "-2GB"])
def test_cli_refuses_a_bad_max_memory(tmp_path, value):
    proc = cli("run", "walker_shell", "--max-memory", value, cwd=tmp_path)
    assert proc.returncode == 2
    assert "--max-memory" in proc.stderr and "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_warns_on_stderr_about_a_long_run(tmp_path, monkeypatch, capsys):
    from constellation import runner
    from constellation.cli.run import run_command

    class Reached(Exception):
        pass

    def reached(*args, **kwargs):
        raise Reached(kwargs.get("max_memory"))

    monkeypatch.setattr(E, "LONG_RUN_S", 1.0)  # every run is "long"; the run itself is not done
    monkeypatch.setattr(runner, "run", reached)
    with pytest.raises(Reached) as info:
        run_command("soleimani_swarm", out=tmp_path / "out", overwrite=False, max_memory="512 MiB")
    assert info.value.args == (512 * 2**20,)
    captured = capsys.readouterr()
    assert "warning: this run is estimated to take" in captured.err and "warning" not in captured.out

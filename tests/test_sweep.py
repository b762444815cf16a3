"""Parameter sweeps: run plans, path and value checks, executors, the resumable store and the sweep command."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from constellation.sweeps import execute as execute_module
from constellation.scenario import Scenario, load_scenario
from constellation.sweeps import SweepError, read_sweep, sweep, sweep_runs
from constellation.sweeps.execute import Executor, Task

LAYOUT = {"soleimani.planes": [2, 5], "relay.enabled": [True, False]}
METRICS = ["latency_message.mean_s", "delivered", "relay_utilisation", "passes_per_day", "contacts"]


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    """The bundled swarm over 3 h, its satellites spread evenly in each plane so that any number of planes fits."""
    data = load_scenario("soleimani_swarm").model_dump(mode="json")
    data["duration"] = 3 * 3600.0
    data["satellites"][0].update(in_plane_spacing=None, raan_spacing=None)
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def tiny_file(tiny, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "tiny.yaml"
    path.write_text(tiny.to_yaml())
    return path


@pytest.fixture
def counted(monkeypatch):
    """``constellation.runner.run`` wrapped to count its calls in this process."""
    from constellation import runner

    calls = []
    real = runner.run

    def run(scenario, **kw):
        calls.append(scenario)
        return real(scenario, **kw)

    monkeypatch.setattr(runner, "run", run)
    return calls


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.rglob("*") if p.is_file()}


def records(out: Path) -> dict:
    return {p.stem: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")}


# Plans: sizes, seeds, samplers


def test_grid_is_the_product_of_the_values_times_the_seeds(tiny):
    runs = sweep_runs(tiny, {"soleimani.planes": [1, 2, 5], "relay.enabled": [True, False]}, seeds=3)
    assert len(runs) == 3 * 2 * 3 == len({r.key for r in runs})
    assert {(r.params["soleimani.planes"], r.params["relay.enabled"], r.seed) for r in runs} == {
        (p, e, s) for p in (1, 2, 5) for e in (True, False) for s in range(3)}
    for r in runs:
        assert r.scenario.satellites[0].planes == r.params["soleimani.planes"]
        assert r.scenario.relay.enabled is r.params["relay.enabled"]
        assert r.scenario.mission.seed == r.seed
    assert [r.seed for r in sweep_runs(tiny, LAYOUT)] == [tiny.mission.seed] * 4


def test_a_path_by_index_by_name_or_by_shortcut_is_the_same_run(tiny):
    keys = [[r.key for r in sweep_runs(tiny, {path: [2, 5]})]
            for path in ("satellites.0.planes", "satellites.soleimani.planes", "soleimani.planes")]
    assert keys[0] == keys[1] == keys[2]
    station = sweep_runs(tiny, {"mahdasht.min_elevation": ["20 deg"]})[0]
    assert station.overrides == {"ground_stations.0.min_elevation": "20 deg"}
    assert station.scenario.ground_stations[0].min_elevation == 20.0


def test_random_samples_are_seeded_and_in_range(tiny):
    space = {"soleimani.altitude": (500.0, 600.0), "soleimani.planes": (1, 5), "relay.enabled": [True, False]}
    runs = sweep_runs(tiny, space, method="random", samples=7, seeds=2)
    assert len(runs) == 14
    points = [tuple(r.params.values()) for r in runs[::2]]
    again = sweep_runs(tiny, space, method="random", samples=7, seeds=2)
    assert points == [tuple(r.params.values()) for r in again[::2]]
    assert points != [tuple(r.params.values()) for r in sweep_runs(tiny, space, method="random", samples=7, rng=1)]
    for alt, planes, enabled in points:
        assert 500.0 <= alt < 600.0 and isinstance(planes, int) and 1 <= planes <= 5 and enabled in (True, False)


def test_latin_hypercube_puts_one_sample_in_each_stratum(tiny):
    n = 10
    space = {"soleimani.altitude": (500.0, 600.0), "soleimani.raan0": (0.0, 90.0), "soleimani.planes": (1, 5),
             "mahdasht.min_elevation": [5, 10, 15, 20, 25]}
    runs = sweep_runs(tiny, space, method="latin_hypercube", samples=n, rng=3)
    assert len(runs) == n
    for name, (low, high) in (("soleimani.altitude", (500.0, 600.0)), ("soleimani.raan0", (0.0, 90.0))):
        x = np.array([r.params[name] for r in runs])
        assert sorted(np.floor((x - low) / (high - low) * n).astype(int)) == list(range(n))
    assert sorted(r.params["soleimani.planes"] for r in runs) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert sorted(r.params["mahdasht.min_elevation"] for r in runs) == [5, 5, 10, 10, 15, 15, 20, 20, 25, 25]


# Checks before anything runs


@pytest.mark.parametrize("path, words", [
    ("satellites.0.plane", ["satellites.0.plane", "planes"]),
    ("satellites.3.planes", ["satellites.3.planes", "no index 3"]),
    ("satellites.nobody.planes", ["satellites.nobody.planes", "soleimani"]),
    ("nobody.planes", ["nobody.planes", "no key 'nobody'"]),
    ("duration.hours", ["duration.hours", "is a value"]),
    ("mission.imaging.targets.atlantis.priority", ["atlantis", "tehran"]),
    ("satellites..planes", ["dotted path"]),
])
def test_a_wrong_path_fails_at_once_naming_it(tiny, counted, tmp_path, path, words):
    with pytest.raises(ValueError) as info:
        sweep(tiny, {path: [1]}, executor="inprocess", out=tmp_path / "out", progress=False)
    for word in words:
        assert word in str(info.value)
    assert not counted and not (tmp_path / "out").exists()


@pytest.mark.parametrize("space, words", [
    ({"soleimani.planes": [2, 0]}, ["soleimani.planes = 0", "greater than or equal to 1"]),
    ({"relay.enabled": [True, "maybe"]}, ["relay.enabled = 'maybe'", "boolean"]),
    ({"mahdasht.min_elevation": ["10 km"]}, ["mahdasht.min_elevation = '10 km'", "is a length"]),
    ({"soleimani.in_plane_spacing": ["72 deg"], "soleimani.planes": [2, 1]}, ["soleimani.planes = 1", "do not fit"]),
])
def test_a_value_the_schema_rejects_fails_at_once_naming_the_parameter(tiny, counted, tmp_path, space, words):
    with pytest.raises(ValueError) as info:
        sweep(tiny, space, executor="inprocess", out=tmp_path / "out", progress=False)
    for word in words:
        assert word in str(info.value)
    assert not counted and not (tmp_path / "out").exists()


def test_other_bad_arguments(tiny):
    with pytest.raises(SweepError, match="random' or 'latin_hypercube"):
        sweep_runs(tiny, {"soleimani.altitude": (500, 600)})
    with pytest.raises(SweepError, match="samples"):
        sweep_runs(tiny, LAYOUT, samples=5)
    with pytest.raises(SweepError, match="samples"):
        sweep_runs(tiny, LAYOUT, method="latin_hypercube")
    with pytest.raises(SweepError, match="same field"):
        sweep_runs(tiny, {"satellites.0.planes": [1], "soleimani.planes": [2]})
    with pytest.raises(SweepError, match="both set mission.seed"):
        sweep_runs(tiny, {"mission.seed": [1, 2]}, seeds=2)
    no_mission = tiny.model_copy(update={"mission": None})
    with pytest.raises(SweepError, match="no mission"):
        sweep_runs(no_mission, LAYOUT, seeds=2)
    with pytest.raises(SweepError, match="no mission"):
        sweep(no_mission, LAYOUT, metrics=["coverage"], executor="inprocess", progress=False)
    with pytest.raises(SweepError, match="executor"):
        sweep(tiny, LAYOUT, executor="threads", progress=False)


# Running: metrics, failures, executors


def test_metrics_are_paths_into_the_results_and_derived_figures(tiny):
    table = sweep(tiny, {"soleimani.planes": [2]}, metrics=[*METRICS, "drops_by_reason.storage_full"],
                  executor="inprocess", progress=False)
    assert list(table.columns) == ["run", "soleimani.planes", "seed", "status", "error", *METRICS,
                                   "drops_by_reason.storage_full", "wall_time_s"]
    row = table.iloc[0]
    assert row["status"] == "ok" and row["delivered"] > 0 and row["contacts"] > 0 and row["passes_per_day"] > 0
    assert row["drops_by_reason.storage_full"] == 0 and row["wall_time_s"] > 0
    with pytest.raises(SweepError, match="no such metric"):
        sweep(tiny, {"soleimani.planes": [2]}, metrics=["latency_message.mean"], executor="inprocess", progress=False)
    with pytest.raises(SweepError, match="is a group"):
        sweep(tiny, {"soleimani.planes": [2]}, metrics=["latency_message"], executor="inprocess", progress=False)


def test_a_failing_run_is_recorded_and_the_others_go_on(tiny, monkeypatch, tmp_path):
    from constellation import runner

    real = runner.run

    def run(scenario, **kw):
        if scenario.satellites[0].planes == 5:
            raise RuntimeError("orbit builder gave up")
        return real(scenario, **kw)

    monkeypatch.setattr(runner, "run", run)
    table = sweep(tiny, LAYOUT, metrics=METRICS, executor="inprocess", out=tmp_path, progress=False)
    failed = table[table["soleimani.planes"] == 5]
    assert (failed["status"] == "failed").all() and failed["error"].str.contains("orbit builder gave up").all()
    assert failed[METRICS].isna().all().all()
    ok = table[table["soleimani.planes"] == 2]
    assert (ok["status"] == "ok").all() and (ok["delivered"] > 0).all()
    record = json.loads((tmp_path / "runs" / f"{failed['run'].iloc[0]}.json").read_text())
    assert "RuntimeError" in record["traceback"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), table)


@pytest.fixture(scope="module")
def dask_cluster():
    import logging

    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                      silence_logs=logging.ERROR) as cluster:
        yield cluster


def test_in_process_local_processes_and_dask_give_the_same_table(tiny, dask_cluster):
    tables = {
        "inprocess": sweep(tiny, LAYOUT, metrics=METRICS, executor="inprocess", progress=False),
        "local": sweep(tiny, LAYOUT, metrics=METRICS, executor="local", workers=2, progress=False),
        "dask": sweep(tiny, LAYOUT, metrics=METRICS, scheduler=dask_cluster.scheduler_address, progress=False),
    }
    same = [c for c in tables["inprocess"].columns if c != "wall_time_s"]
    assert (tables["inprocess"]["status"] == "ok").all()
    for name in ("local", "dask"):
        pd.testing.assert_frame_equal(tables[name][same], tables["inprocess"][same], obj=name)


def test_dask_without_a_scheduler_starts_a_local_cluster(tiny):
    table = sweep(tiny, {"soleimani.planes": [2]}, metrics=METRICS, executor="dask", workers=1, progress=False)
    assert list(table["status"]) == ["ok"]


def test_an_unreachable_scheduler_is_a_clear_error_and_writes_nothing(tiny, monkeypatch, tmp_path):
    monkeypatch.setattr(execute_module, "SCHEDULER_TIMEOUT_S", 1.0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SweepError, match=f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}"):
        sweep(tiny, LAYOUT, scheduler=f"tcp://127.0.0.1:{port}", out=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def listening(process) -> set:
    """The (address, port) pairs a process listens on."""
    return {(c.laddr.ip, c.laddr.port) for c in process.net_connections("inet") if c.status == psutil.CONN_LISTEN}


def _exit_on_boom(marker: str):
    """A run function that kills its worker process on 'boom' every time, and on 'once' the first time only."""
    def run(payload):
        if payload == "boom" or (payload == "once" and not os.path.exists(marker)):
            if payload == "once":
                open(marker, "w").close()
            os._exit(3)
        return {"status": "ok", "error": None, "metrics": {"value": payload}, "derived": {}}

    return run


def _run_killing(tasks, fn):
    done = {}
    with Executor("local", workers=2, retries=1) as executor:
        executor.run(tasks, lambda t, r, n: done.__setitem__(t.key, (r, n)), fn=fn)
    assert set(done) == {t.key for t in tasks}
    assert all(done[str(k)][0]["status"] == "ok" and done[str(k)][0]["metrics"]["value"] == k for k in range(6))
    return done


def test_a_run_that_kills_its_worker_is_retried_then_recorded_and_the_rest_finish(tmp_path):
    """On the sweep's LocalCluster, through Dask: a run that kills its worker process every time is run again
    ``retries`` times and then recorded as failed; the others finish. Every socket the cluster opens listens on
    127.0.0.1 only."""
    me = psutil.Process()
    before, children = listening(me), {p.pid for p in me.children(recursive=True)}
    with Executor("local", workers=2, retries=1):
        opened = (listening(me) - before).union(*(listening(p) for p in me.children(recursive=True)
                                                   if p.pid not in children))
        assert len(opened) >= 5 and {ip for ip, _ in opened} == {"127.0.0.1"}, opened
    tasks = [Task(str(k), k) for k in range(6)] + [Task("b", "boom")]
    done = _run_killing(tasks, _exit_on_boom(str(tmp_path / "died once")))
    result, attempts = done["b"]
    assert result["status"] == "failed" and "worker process died" in result["error"] and attempts == 2


def test_a_run_that_kills_its_worker_once_is_retried_and_succeeds(tmp_path):
    """A worker that dies under a run once: Dask runs it again elsewhere and it succeeds on its second attempt.
    (Apart from the run that always kills its worker: a death is blamed on every run its worker held.)"""
    tasks = [Task(str(k), k) for k in range(6)] + [Task("o", "once")]
    done = _run_killing(tasks, _exit_on_boom(str(tmp_path / "died once")))
    result, attempts = done["o"]
    assert result["status"] == "ok" and result["metrics"]["value"] == "once" and attempts == 2


def test_a_run_past_the_timeout_is_stopped_and_recorded_and_the_rest_finish():
    """The timeout on the Dask path: the run is cancelled, its worker process restarted, and the sweep goes on."""
    def sleep_on_slow(payload):
        if payload == "slow":
            time.sleep(600)
        return {"status": "ok", "error": None, "metrics": {"value": payload}, "derived": {}}

    tasks = [Task(str(k), k) for k in range(4)] + [Task("s", "slow")]
    done = {}
    with Executor("local", workers=2, retries=1, timeout=10) as executor:
        executor.run(tasks, lambda t, r, n: done.__setitem__(t.key, (r, n)), fn=sleep_on_slow)
    assert set(done) == {t.key for t in tasks}
    assert all(done[str(k)][0]["status"] == "ok" for k in range(4))
    result, attempts = done["s"]
    assert result["status"] == "failed" and attempts == 1
    assert "RunTimeout" in result["error"] and "timeout of 10 s" in result["error"]


def test_a_run_past_the_timeout_in_process_is_recorded_as_failed(tiny, tmp_path):
    table = sweep(tiny, {"soleimani.planes": [2]}, metrics=["contacts"], executor="inprocess", timeout=0.001,
                  out=tmp_path, progress=False)
    assert list(table["status"]) == ["failed"] and "RunTimeout" in table["error"].iloc[0]
    assert "timeout of 0.001 s" in table["error"].iloc[0]
    with pytest.raises(SweepError, match="timeout"):
        sweep(tiny, LAYOUT, executor="inprocess", timeout=0, progress=False)


def test_a_run_that_swallows_the_timeout_in_process_is_still_recorded_as_failed():
    """A run whose code catches the first RunTimeout (a library's broad except, a __del__) and then ends 'ok'."""
    def swallow(payload):
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            try:
                time.sleep(0.01)
            except execute_module.RunTimeout:
                break
        return {"status": "ok", "error": None, "metrics": {"value": payload}, "derived": {}}

    done = {}
    with Executor("inprocess", timeout=0.02) as executor:
        executor.run([Task("a", 1)], lambda t, r, n: done.__setitem__(t.key, r), fn=swallow)
    assert done["a"]["status"] == "failed" and "timeout of 0.02 s" in done["a"]["error"]


def test_a_script_without_a_main_guard_is_told_to_add_one(tiny_file, tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(f"from constellation.sweeps import sweep\n"
                      f"sweep({str(tiny_file)!r}, {{'soleimani.planes': [2]}}, workers=1, progress=False)\n")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode != 0
    assert "SweepError" in proc.stderr and 'if __name__ == "__main__":' in proc.stderr


# The store: resume, refusal


def test_the_same_sweep_again_runs_nothing(tiny, counted, tmp_path):
    first = sweep(tiny, LAYOUT, metrics=METRICS, executor="inprocess", out=tmp_path, progress=False)
    assert len(counted) == 4
    before = records(tmp_path)
    again = sweep(tiny, LAYOUT, metrics=METRICS, executor="inprocess", out=tmp_path, progress=False)
    assert len(counted) == 4 and records(tmp_path) == before
    pd.testing.assert_frame_equal(again, first)
    pd.testing.assert_frame_equal(read_sweep(tmp_path, metrics=METRICS), first)
    manifest = json.loads((tmp_path / "sweep.json").read_text())
    assert manifest["space"]["parameters"] == {k: v for k, v in LAYOUT.items()}
    assert len(manifest["scenario_sha256"]) == 64


def _subprocess(code: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kw)


def _wait_for_records(proc: subprocess.Popen, out: Path, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(records(out)) < n if (out / "runs").is_dir() else True:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no results in time"
        time.sleep(0.02)


def test_a_killed_sweep_loses_nothing_and_resumes(tiny_file, tiny, counted, tmp_path):
    space = {"soleimani.planes": [1, 2, 5], "relay.enabled": [True, False]}
    code = (f"from constellation.sweeps import sweep\nsweep({str(tiny_file)!r}, {space!r}, seeds=2, "
            f"executor='local', workers=2, out={str(tmp_path)!r}, progress=False)\n")
    proc = _subprocess(code)
    _wait_for_records(proc, tmp_path, 2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = records(tmp_path)
    assert 2 <= len(kept) < 12, "the sweep should be killed mid-way"
    table = sweep(tiny_file, space, seeds=2, metrics=METRICS, executor="inprocess", out=tmp_path, progress=False)
    assert len(counted) == 12 - len(kept)
    assert {k: v for k, v in records(tmp_path).items() if k in kept} == kept
    assert len(table) == 12 and (table["status"] == "ok").all() and set(table["run"]) == set(records(tmp_path))


def test_a_folder_holding_another_sweep_is_refused_and_kept(tiny, tmp_path):
    sweep(tiny, {"soleimani.planes": [2]}, executor="inprocess", out=tmp_path, progress=False)
    before = snapshot(tmp_path)
    with pytest.raises(SweepError, match="different parameter space"):
        sweep(tiny, {"soleimani.planes": [2, 5]}, executor="inprocess", out=tmp_path, progress=False)
    longer = tiny.model_copy(update={"duration": 4 * 3600.0})
    with pytest.raises(SweepError, match="different base scenario"):
        sweep(longer, {"soleimani.planes": [2]}, executor="inprocess", out=tmp_path, progress=False)
    assert snapshot(tmp_path) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(SweepError, match="not a sweep folder"):
        sweep(tiny, {"soleimani.planes": [2]}, executor="inprocess", out=other, progress=False)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


# The command line


def _sweep_registered() -> bool:
    from constellation import cli

    return any(c.name == "sweep" for c in cli.app.registered_commands)


TINY_APP = ("import typer; from constellation.cli.sweep import sweep_command; "
            "app = typer.Typer(add_completion=False, pretty_exceptions_enable=False); "
            "app.command()(sweep_command); app()")


def sweep_cli(*args, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """``constellation sweep ARGS``: through ``python -m constellation.cli`` once cli.py registers the command.

    Dask's connect timeout is cut to 1 s so that an unreachable scheduler is reported sooner than the usual 5 s.
    """
    cmd = ([sys.executable, "-m", "constellation.cli", "sweep"] if _sweep_registered()
           else [sys.executable, "-c", TINY_APP])
    return subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200", "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"})


def test_cli_sweep_writes_the_table_and_prints_a_summary(tiny_file, tmp_path):
    proc = sweep_cli(tiny_file, "--param", "soleimani.planes=2,5", "--param", "relay.enabled=true,false",
                     "--seeds", "2", "--executor", "inprocess", "--metric", "delivered", "-m", "passes_per_day",
                     "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_parquet(tmp_path / "results.parquet")
    assert len(table) == 8 and (table["status"] == "ok").all()
    assert list(table.columns) == ["run", "soleimani.planes", "relay.enabled", "seed", "status", "error",
                                   "delivered", "passes_per_day", "wall_time_s"]
    assert "8 runs: 8 ok, 0 failed" in proc.stdout and "mean over seeds" in proc.stdout
    assert "2/2" in proc.stdout


def test_cli_ranges_and_samples(tiny_file, tmp_path):
    proc = sweep_cli(tiny_file, "--param", "soleimani.altitude=500..600", "--param", "soleimani.planes=1..3",
                     "--method", "latin_hypercube", "--samples", "3", "--executor", "inprocess",
                     "--metric", "passes_per_day", "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_parquet(tmp_path / "results.parquet")
    assert sorted(table["soleimani.planes"]) == [1, 2, 3]
    assert sorted(np.floor((table["soleimani.altitude"] - 500) / 100 * 3).astype(int)) == [0, 1, 2]


def test_cli_timeout_records_the_run_as_failed(tiny_file, tmp_path):
    proc = sweep_cli(tiny_file, "--param", "soleimani.planes=2", "--executor", "inprocess", "--timeout", "0.001",
                     "--metric", "contacts", "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 runs: 0 ok, 1 failed" in proc.stdout and "RunTimeout" in proc.stderr
    table = pd.read_parquet(tmp_path / "results.parquet")
    assert list(table["status"]) == ["failed"] and "timeout of 0.001 s" in table["error"].iloc[0]


@pytest.fixture(scope="module")
def taken(tiny_file, tmp_path_factory):
    """A folder holding a finished one-run sweep of the tiny scenario."""
    out = tmp_path_factory.mktemp("taken")
    sweep(tiny_file, {"soleimani.planes": [2]}, executor="inprocess", out=out, progress=False)
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case", ["no file", "bad path", "bad value", "bad param", "scheduler", "other sweep"])
def test_cli_bad_input_exits_2_with_a_message(tiny_file, tmp_path, taken, case):
    before = snapshot(taken)
    out = tmp_path / "new"
    args = {
        "no file": [tmp_path / "nothing.yaml", "-p", "soleimani.planes=2", "--out", out],
        "bad path": [tiny_file, "-p", "satellites.0.plane=2", "--out", out],
        "bad value": [tiny_file, "-p", "soleimani.planes=2,0", "--out", out],
        "bad param": [tiny_file, "-p", "soleimani.planes", "--out", out],
        "scheduler": [tiny_file, "-p", "soleimani.planes=2", "--scheduler", f"tcp://127.0.0.1:{_free_port()}",
                      "--out", out],
        "other sweep": [tiny_file, "-p", "soleimani.planes=2,5", "--out", taken],
    }[case]
    proc = sweep_cli(*args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "error:" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout
    word = {"no file": "nothing.yaml", "bad path": "satellites.0.plane", "bad value": "soleimani.planes = 0",
            "bad param": "PATH=VALUES", "scheduler": "cannot reach the Dask scheduler",
            "other sweep": "different parameter space"}[case]
    assert word in proc.stderr
    assert not out.exists() and snapshot(taken) == before


def test_cli_ctrl_c_keeps_what_finished_and_the_same_command_resumes(tiny_file, tmp_path):
    args = [tiny_file, "--param", "soleimani.planes=1,2,5", "--param", "relay.enabled=true,false", "--seeds", "6",
            "--workers", "2", "--metric", "delivered", "--out", tmp_path]
    cmd = ([sys.executable, "-m", "constellation.cli", "sweep"] if _sweep_registered()
           else [sys.executable, "-c", TINY_APP])
    # A shell starts background jobs with SIGINT ignored, and Python then never turns it into KeyboardInterrupt:
    # give the sweep the default disposition a terminal's Ctrl-C meets.
    proc = subprocess.Popen([*cmd, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    _wait_for_records(proc, tmp_path, 1)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    kept = records(tmp_path)
    assert 1 <= len(kept) < 36
    again = sweep_cli(*args, "--executor", "inprocess")
    assert again.returncode == 0, again.stderr
    assert {k: v for k, v in records(tmp_path).items() if k in kept} == kept
    assert len(pd.read_parquet(tmp_path / "results.parquet")) == 36


def test_constellation_sweep_stays_callable(tiny):
    """``constellation.sweep`` is the function, on every call, even after the sweeps module has been imported."""
    import importlib

    import constellation

    importlib.import_module("constellation.sweeps")
    small = tiny.model_copy(update={"duration": 1800.0})
    first = constellation.sweep(small, {"soleimani.planes": [2]}, metrics=["contacts"], executor="inprocess",
                                progress=False)
    second = constellation.sweep(small, {"soleimani.planes": [2]}, metrics=["contacts"], executor="inprocess",
                                 progress=False)
    assert callable(constellation.sweep)
    pd.testing.assert_frame_equal(first.drop(columns="wall_time_s"), second.drop(columns="wall_time_s"))

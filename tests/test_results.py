"""Per-station statistics worked out by hand, and Results round trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from constellation.results import Results, RunFolderError, longest_gap, merged_intervals, station_table


def test_merged_intervals_by_hand():
    # [0,10) and [5,20) overlap, [20,25) touches the end of the union, [30,31) stands alone.
    s, e = merged_intervals(np.array([5.0, 0.0, 30.0, 20.0]), np.array([20.0, 10.0, 31.0, 25.0]))
    assert s.tolist() == [0.0, 30.0] and e.tolist() == [25.0, 31.0]


def test_longest_gap_by_hand():
    # Over [0, 100]: covered [10, 20] and [15, 40] and [70, 90]; gaps 10, 30, 10 -> 30.
    assert longest_gap([10, 15, 70], [20, 40, 90], 0.0, 100.0) == 30.0
    assert longest_gap([], [], 0.0, 100.0) == 100.0
    assert longest_gap([0.0], [100.0], 0.0, 100.0) == 0.0


def test_station_table_by_hand():
    contacts = pd.DataFrame(
        {
            "satellite": ["a", "b", "a"],
            "station": ["g1", "g1", "g2"],
            "rise_s": [100.0, 150.0, 1000.0],
            "set_s": [400.0, 500.0, 1600.0],
        }
    )
    contacts["duration_s"] = contacts["set_s"] - contacts["rise_s"]
    table = station_table(contacts, ["g1", "g2", "g3"], 43200.0).set_index("station")
    assert table.loc["g1", "passes"] == 2 and table.loc["g1", "passes_per_day"] == pytest.approx(4.0)
    assert table.loc["g1", "mean_duration_s"] == pytest.approx(325.0)
    assert table.loc["g1", "max_duration_s"] == pytest.approx(350.0)
    assert table.loc["g1", "total_contact_s"] == pytest.approx(650.0)
    assert table.loc["g1", "longest_gap_s"] == pytest.approx(43200.0 - 500.0)
    assert table.loc["g3", "passes"] == 0 and table.loc["g3", "longest_gap_s"] == pytest.approx(43200.0)


def test_results_save_load_round_trip(tmp_path):
    contacts = pd.DataFrame({"satellite": ["a"], "station": ["g"], "rise_s": [1.0], "set_s": [2.0],
                             "duration_s": [1.0]})
    table = station_table(contacts, ["g"], 86400.0)
    res = Results("demo", "2026-03-20T00:00:00.000", 86400.0, contacts, table, {"satellites": 1})
    res.save(tmp_path / "run")
    back = Results.load(tmp_path / "run")
    pd.testing.assert_frame_equal(back.contacts, contacts)
    assert back.summary == res.summary


def test_load_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(RunFolderError, match="not a run folder"):
        Results.load(tmp_path)


def _tiny(name="demo", with_products=False):
    contacts = pd.DataFrame({"satellite": ["a"], "station": ["g"], "rise_s": [1.0], "set_s": [2.0],
                             "duration_s": [1.0]})
    products = pd.DataFrame({"id": [0], "kind": ["image"]}) if with_products else None
    return Results(name, "2026-03-20T00:00:00.000", 86400.0, contacts, station_table(contacts, ["g"], 86400.0),
                   {"satellites": 1}, products=products)


def test_summary_names_the_scenario_and_the_tables_written(tmp_path):
    import json

    _tiny(with_products=True).save(tmp_path / "run")
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["scenario"] == "demo"
    assert summary["tables"] == ["contacts", "products"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["contacts.parquet", "products.parquet",
                                                                     "summary.json"]


def test_a_folder_holding_a_run_is_refused_unless_overwrite(tmp_path):
    out = tmp_path / "run"
    _tiny("first", with_products=True).save(out)
    with pytest.raises(RunFolderError, match="holds another run"):
        _tiny("second").save(out)
    assert Results.load(out).scenario_name == "first"
    _tiny("second").save(out, overwrite=True)
    back = Results.load(out)
    # The old run's products table is gone: nothing of the first run mixes into the second.
    assert back.scenario_name == "second" and back.products is None
    assert not (out / "products.parquet").exists()


def test_a_folder_holding_other_files_is_never_written_into(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    for overwrite in (False, True):
        with pytest.raises(RunFolderError, match="not a run's"):
            _tiny().save(out, overwrite=overwrite)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_an_interrupted_save_leaves_nothing_load_takes_for_a_run(tmp_path, monkeypatch):
    calls = []
    real = pd.DataFrame.to_parquet

    def interrupted(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _tiny(with_products=True).save(tmp_path / "run")
    monkeypatch.undo()
    assert list(tmp_path.iterdir()) == []
    # Into a folder that held a run (overwrite): the old run stays whole and loadable.
    _tiny("old").save(tmp_path / "run")
    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupted)
    calls.clear()
    with pytest.raises(KeyboardInterrupt):
        _tiny("new", with_products=True).save(tmp_path / "run", overwrite=True)
    monkeypatch.undo()
    assert Results.load(tmp_path / "run").scenario_name == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_files_follow_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        _tiny().save(tmp_path / "run")
    finally:
        os.umask(old)
    assert (tmp_path / "run").stat().st_mode & 0o777 == 0o755
    for path in (tmp_path / "run").iterdir():
        assert path.stat().st_mode & 0o777 == 0o644, path.name


def test_load_refuses_damaged_and_partial_folders(tmp_path):
    out = tmp_path / "run"
    _tiny(with_products=True).save(out)
    (out / "products.parquet").write_bytes(b"PAR1 truncated")
    with pytest.raises(RunFolderError, match="products.parquet is damaged"):
        Results.load(out)
    (out / "products.parquet").unlink()
    with pytest.raises(RunFolderError, match="incomplete.*products.parquet"):
        Results.load(out)
    (out / "summary.json").write_text("{not json")
    with pytest.raises(RunFolderError, match="damaged"):
        Results.load(out)

"""Per-station statistics worked out by hand, and Results round trips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from constellation.results import Results, longest_gap, merged_intervals, station_table


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
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        Results.load(tmp_path)

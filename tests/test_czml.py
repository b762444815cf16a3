"""CZML of a run: one packet per node and per linked pair, the clock over the scenario, satellite positions in
the fixed frame, and each link available exactly over its link-plan windows (read back from the written JSON)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("czml3", reason="czml3 is not installed: pip install 'czml3>=4,<5'")

from constellation.results import merged_intervals  # noqa: E402
from constellation.runner import run  # noqa: E402
from constellation.scenario import load_scenario  # noqa: E402
from constellation.sim import mission_targets  # noqa: E402
from constellation.viz.czml import entity_id, link_id, read_czml, write_czml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SWARM = ROOT / "scenarios" / "soleimani_swarm.yaml"


@pytest.fixture(scope="module")
def swarm(tmp_path_factory):
    sc = load_scenario(SWARM)
    results = run(sc)
    run_dir = results.save(tmp_path_factory.mktemp("run") / "swarm")
    out = write_czml(sc, run_dir, tmp_path_factory.mktemp("czml") / "swarm.czml")
    return sc, results, run_dir, read_czml(out)


def _seconds(epoch, iso: str) -> float:
    from astropy.time import Time

    return float((Time(iso.rstrip("Z"), scale="utc") - epoch).sec)


def _intervals(epoch, availability) -> list[tuple[float, float]]:
    items = [availability] if isinstance(availability, str) else availability
    return [tuple(_seconds(epoch, part) for part in item.split("/")) for item in items]


def test_one_packet_per_node_and_per_linked_pair(swarm):
    sc, results, _, packets = swarm
    fleet = sc.fleet()
    pairs = results.links[["a", "b"]].drop_duplicates()
    targets = mission_targets(sc.mission)
    assert len(targets) > 0 and len(pairs) > 0
    n_sats = sum(m.kind == "satellite" for m in fleet.members)
    n_relays = sum(m.kind == "relay" for m in fleet.members)
    assert (n_sats, n_relays) == (10, 1)
    assert len(packets) == 1 + n_sats + n_relays + len(sc.stations()) + len(targets) + len(pairs)
    ids = [p["id"] for p in packets]
    assert ids[0] == "document" and len(set(ids)) == len(ids)
    kinds = [i.split("/")[0] for i in ids[1:]]
    assert {k: kinds.count(k) for k in set(kinds)} == {
        "satellite": n_sats, "relay": n_relays, "station": len(sc.stations()), "target": len(targets),
        "link": len(pairs),
    }


def test_document_clock_spans_the_scenario(swarm):
    sc, _, _, packets = swarm
    clock = packets[0]["clock"]
    assert packets[0]["version"] == "1.0" and packets[0]["name"] == sc.name
    start, end = _intervals(sc.epoch_time, clock["interval"])[0]
    assert start == pytest.approx(0.0, abs=1e-3) and end == pytest.approx(sc.duration_s, abs=1e-3)
    assert _seconds(sc.epoch_time, clock["currentTime"]) == pytest.approx(0.0, abs=1e-3)


def test_link_availability_is_the_link_plan(swarm):
    sc, results, _, packets = swarm
    by_id = {p["id"]: p for p in packets}
    plan = results.links
    for (a, b), rows in plan.groupby(["a", "b"]):
        packet = by_id[link_id(a, b)]
        got = np.array(_intervals(sc.epoch_time, packet["availability"]))
        starts, ends = merged_intervals(rows["start_s"].to_numpy(float), rows["end_s"].to_numpy(float))
        want = np.column_stack([starts, ends])
        assert got.shape == want.shape, (a, b)
        np.testing.assert_allclose(got, want, atol=1e-3)
        refs = packet["polyline"]["positions"]["references"]
        assert [r.split("#")[0].split("/", 1)[1] for r in refs] == [a, b]
        assert all(r.split("#")[0] in by_id for r in refs)
        assert packet["description"].startswith(rows["kind"].iloc[0])


def test_satellite_positions_are_itrs_metres(swarm):
    sc, _, _, packets = swarm
    fleet = sc.fleet()
    by_id = {p["id"]: p for p in packets}
    for k in (0, len(fleet) - 1):
        member = fleet.members[k]
        pos = by_id[entity_id(member.kind, member.name)]["position"]
        assert pos["referenceFrame"] == "FIXED"
        assert _seconds(sc.epoch_time, pos["epoch"]) == pytest.approx(0.0, abs=1e-3)
        samples = np.array(pos["cartesian"]).reshape(-1, 4)
        t = samples[:, 0]
        assert t[0] == 0.0 and t[-1] == sc.duration_s and np.allclose(np.diff(t), 60.0)
        want = fleet.states(t, np.full(len(t), k), frame="itrs")[0] * 1e3
        np.testing.assert_allclose(samples[:, 1:], want, atol=0.1)


def test_stations_and_targets_sit_at_their_coordinates(swarm):
    sc, _, _, packets = swarm
    by_id = {p["id"]: p for p in packets}
    for s in sc.stations():
        lon, lat, h = by_id[entity_id("station", s.name)]["position"]["cartographicDegrees"]
        assert (lon, lat, h) == pytest.approx((s.lon_deg, s.lat_deg, s.height_km * 1e3))
        assert by_id[entity_id("station", s.name)]["label"]["text"] == s.name
    for tg in mission_targets(sc.mission):
        lon, lat, _ = by_id[entity_id("target", tg.name)]["position"]["cartographicDegrees"]
        assert (lon, lat) == pytest.approx((tg.lon_deg, tg.lat_deg))


def test_results_object_and_run_folder_give_the_same_document(swarm, tmp_path):
    sc, results, _, packets = swarm
    again = read_czml(write_czml(sc, results, tmp_path / "again.czml"))
    assert again == packets


def test_without_a_run_there_are_no_links(swarm, tmp_path):
    sc, _, _, packets = swarm
    bare = read_czml(write_czml(sc, None, tmp_path / "bare.czml", step_s=600))
    assert [p["id"] for p in bare] == [p["id"] for p in packets if not p["id"].startswith("link/")]
    samples = np.array(bare[1]["position"]["cartesian"]).reshape(-1, 4)
    assert len(samples) == sc.duration_s / 600 + 1


def test_a_run_of_another_scenario_is_refused(swarm, tmp_path):
    _, _, run_dir, _ = swarm
    other = load_scenario(ROOT / "scenarios" / "khayyam.yaml")
    with pytest.raises(ValueError, match="another scenario"):
        write_czml(other, run_dir, tmp_path / "x.czml")


def test_bad_step_is_refused(swarm, tmp_path):
    sc = swarm[0]
    with pytest.raises(ValueError, match="step_s"):
        write_czml(sc, None, tmp_path / "x.czml", step_s=0)

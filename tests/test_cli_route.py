"""`constellation route` end to end: lowest-latency paths, latency series, store-and-forward, and bad input.

Every expectation comes from outside the routing code: the great-circle distance between two cities and the speed of
light (Kuiper), the geometry of a geostationary hop (swarm with relay), and the contact windows that `constellation
run` writes (store-and-forward).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
KUIPER = SCENARIOS / "kuiper_shell.yaml"
SWARM = SCENARIOS / "soleimani_swarm.yaml"
NO_RELAY = SCENARIOS / "soleimani_swarm_no_relay.yaml"

C_KM_S = 299_792.458  # SI definition of the speed of light
R_SPHERE_KM = 6378.137  # WGS84 equatorial radius, as the sphere for the great-circle distance
GEO_ALTITUDE_KM = 35_786.0  # geostationary altitude above the equator
LONDON = (51.51, -0.13)  # as in kuiper_shell.yaml
NEW_YORK = (40.71, -74.01)


def cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "constellation.cli", *map(str, args)], capture_output=True, text=True, cwd=cwd,
        env={**os.environ, "COLUMNS": "250"},
    )


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the rich table in ``text``, cells stripped; a wrapped row (blank first cell) is joined."""
    rows: list[list[str]] = []
    body = False
    for line in text.splitlines():
        if line.startswith("┡"):
            body = True
        elif line.startswith("└"):
            body = False
        elif body and line.startswith("│"):
            cells = [c.strip() for c in line.strip().strip("│").split("│")]
            if rows and not cells[0]:
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
            else:
                rows.append(cells)
    return rows


def haversine_km(p, q, radius=R_SPHERE_KM) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*p, *q))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2.0 * radius * math.asin(math.sqrt(h))


def light_time_ms(p, q) -> float:
    return haversine_km(p, q) / C_KM_S * 1e3


def assert_bad_input(proc, *words):
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "Traceback" not in out, out
    assert "error" in proc.stderr
    for word in words:
        assert word in proc.stderr, (word, proc.stderr)


# --- fixtures: one run of the swarm, one route of each kind on Kuiper -------------------------------------------


@pytest.fixture(scope="module")
def swarm_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "swarm"
    proc = cli("run", SWARM, "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def kuiper_at_0():
    proc = cli("route", KUIPER, "--from", "london", "--to", "new-york", "--at", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def kuiper_span():
    proc = cli("route", KUIPER, "--from", "london", "--to", "new-york", "--span", "0", "3600", "600")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


# --- 1, 2: Kuiper, London to New York ---------------------------------------------------------------------------


def test_kuiper_route_at_one_time_is_no_faster_than_light(kuiper_at_0):
    # Light along the surface is the floor; a path up to 630 km shells and along a grid is slower, not 3x slower.
    floor_ms = light_time_ms(LONDON, NEW_YORK)
    assert 18.0 < floor_ms < 19.0  # about 5,570 km
    latency_ms = float(re.search(r"([\d.]+) ms one way", kuiper_at_0).group(1))
    assert floor_ms <= latency_ms < 3.0 * floor_ms

    rows = table_rows(kuiper_at_0)
    path = [rows[0][0]] + [r[1] for r in rows]
    assert path[0] == "london" and path[-1] == "new-york"
    assert all(re.fullmatch(r"kuiper-\d\d-\d\d", n) for n in path[1:-1]), path
    assert all(a[1] == b[0] for a, b in zip(rows, rows[1:])), "each hop starts where the last ended"
    hops = int(re.search(r"(\d+) hops", kuiper_at_0).group(1))
    assert hops == len(rows) == len(path) - 1
    assert [r[2] for r in rows] == ["downlink"] + ["isl"] * (hops - 2) + ["downlink"]
    # Each link's delay is its range over c, and the hops add up to the latency (to the printed rounding).
    for r in rows:
        assert float(r[4]) == pytest.approx(float(r[3]) / C_KM_S * 1e3, abs=2e-3)
    assert sum(float(r[4]) for r in rows) == pytest.approx(latency_ms, abs=1e-3 * (hops + 1))
    # A station sees a 630 km satellite at 35 deg or more: slant range from about 630 km to about 1,010 km.
    for r in (rows[0], rows[-1]):
        assert 600.0 < float(r[3]) < 1100.0


def test_kuiper_latency_series_over_an_hour(kuiper_span, kuiper_at_0):
    rows = table_rows(kuiper_span)
    assert len(rows) == 7
    assert [float(r[0]) for r in rows] == [0, 600, 1200, 1800, 2400, 3000, 3600]
    floor_ms = light_time_ms(LONDON, NEW_YORK)
    for t, one_way, round_trip, hops, path in rows:
        one_way, round_trip = float(one_way), float(round_trip)
        assert floor_ms <= one_way < 3.0 * floor_ms, t
        assert round_trip == pytest.approx(2.0 * one_way, abs=2e-3)
        nodes = path.split(" > ")
        assert nodes[0] == "london" and nodes[-1] == "new-york"
        assert all(re.fullmatch(r"kuiper-\d\d-\d\d", n) for n in nodes[1:-1]), nodes
        assert int(hops) == len(nodes) - 1
    assert "reachable at 100% of the samples" in kuiper_span
    # The series (scipy csgraph) and the route at one time (networkx) agree at t = 0.
    assert rows[0][1] == re.search(r"([\d.]+) ms one way", kuiper_at_0).group(1)


# --- 3: swarm, through the relay --------------------------------------------------------------------------------


def _relay_only_time(links: pd.DataFrame, sat: str) -> float:
    """Middle of the longest stretch in which ``sat`` sees the relay and no station."""
    mine = links[(links["a"] == sat) | (links["b"] == sat)]
    down = mine[mine["kind"] == "downlink"][["start_s", "end_s"]].to_numpy()
    best = (0.0, None)
    for start, end in mine[mine["kind"] == "relay"][["start_s", "end_s"]].to_numpy():
        cuts = sorted([start, end] + [x for s, e in down for x in (s, e) if start < x < end])
        for lo, hi in zip(cuts, cuts[1:]):
            mid = 0.5 * (lo + hi)
            if hi - lo > best[0] and not any(s <= mid <= e for s, e in down):
                best = (hi - lo, mid)
    assert best[1] is not None, f"{sat} never sees the relay out of sight of the stations"
    return float(round(best[1]))


def test_swarm_route_out_of_station_view_goes_through_the_relay(swarm_run):
    from constellation.scenario import load_scenario

    links = pd.read_parquet(swarm_run / "links.parquet")
    t = _relay_only_time(links, "soleimani-01")
    feeder = links[(links["kind"] == "feeder") & (links["b"] == "mahdasht")]
    assert ((feeder["start_s"] <= t) & (t <= feeder["end_s"])).any(), "the relay feeds mahdasht at t"
    # The instantaneous topology agrees with the plan: at t, soleimani-01 has a relay link and no downlink.
    net = load_scenario(SWARM).network()
    now = net.links_at(t)
    mine = {(net.names[i], net.names[j], str(k)) for i, j, k in zip(now.i, now.j, now.kind)
            if "soleimani-01" in (net.names[i], net.names[j])}
    assert mine == {("soleimani-01", "relay-53e", "relay")}

    proc = cli("route", SWARM, "--from", "soleimani-01", "--to", "mahdasht", "--at", t)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = table_rows(proc.stdout)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("soleimani-01", "relay-53e", "relay"), ("relay-53e", "mahdasht", "feeder"),
    ]
    latency_s = float(re.search(r"([\d.]+) ms one way", proc.stdout).group(1)) / 1e3
    # Up to GEO and down again: two slant ranges of 35,786 km (overhead) to about 42,000 km (near the horizon).
    assert 0.235 <= latency_s <= 0.285
    assert latency_s >= (2 * GEO_ALTITUDE_KM - 530.0 - 50.0) / C_KM_S


# --- 4: store-and-forward ---------------------------------------------------------------------------------------


def _arrival_s(stdout: str) -> float:
    return float(re.search(r"arrives\s+at\s+([\d.]+)\s+s", stdout).group(1))


def test_store_and_forward_waits_on_board_without_the_relay(swarm_run):
    from constellation.scenario import load_scenario

    # The two scenarios fly the same satellites over the same stations, so the run's contact windows hold.
    assert load_scenario(NO_RELAY).satellites == load_scenario(SWARM).satellites
    assert load_scenario(NO_RELAY).ground_stations == load_scenario(SWARM).ground_stations
    contacts = pd.read_parquet(swarm_run / "contacts.parquet")
    mine = contacts[contacts["satellite"] == "soleimani-01"]
    first_any = mine["rise_s"].min()
    first_here = mine[mine["station"] == "mahdasht"]["rise_s"].min()

    alone = cli("route", NO_RELAY, "--from", "soleimani-01", "--to", "mahdasht", "--at", "0", "--store-and-forward")
    assert alone.returncode == 0, alone.stdout + alone.stderr
    arrival = _arrival_s(alone.stdout)  # printed to 0.1 s
    assert arrival >= first_any - 0.05 > 0.0, "the data waited on board for a station"
    # No relay, no ISLs and stations do not forward: the data goes down on mahdasht's first pass, at most one
    # slant range (under 2,000 km for a 530 km orbit above 10 deg) after it opens.
    assert first_here - 0.05 <= arrival <= first_here + 2000.0 / C_KM_S + 0.05
    rows = table_rows(alone.stdout)
    assert [(r[0], r[1]) for r in rows] == [("soleimani-01", "mahdasht")]

    relayed = cli("route", SWARM, "--from", "soleimani-01", "--to", "mahdasht", "--at", "0", "--store-and-forward")
    assert relayed.returncode == 0, relayed.stdout + relayed.stderr
    assert _arrival_s(relayed.stdout) <= arrival


# --- 5: links.parquet -------------------------------------------------------------------------------------------


def test_run_writes_the_link_plan(swarm_run):
    links = pd.read_parquet(swarm_run / "links.parquet")
    for col in ("a", "b", "kind", "start_s", "end_s", "delay_s", "rate_bps"):
        assert col in links.columns
    assert {"downlink", "relay", "feeder"} <= set(links["kind"])
    assert ((0.0 <= links["start_s"]) & (links["start_s"] <= links["end_s"]) & (links["end_s"] <= 86400.0)).all()
    assert (links["delay_s"] > 0).all() and (links["rate_bps"] >= 0).all()
    # The relay feeds only mahdasht, from about 37,000 km: between GEO altitude and the horizon slant range.
    feeder = links[links["kind"] == "feeder"]
    assert set(zip(feeder["a"], feeder["b"])) == {("relay-53e", "mahdasht")}
    horizon_km = math.sqrt((R_SPHERE_KM + GEO_ALTITUDE_KM) ** 2 - R_SPHERE_KM**2)
    assert feeder["delay_s"].between(GEO_ALTITUDE_KM / C_KM_S, horizon_km / C_KM_S).all()
    relay = links[links["kind"] == "relay"]
    assert (relay["b"] == "relay-53e").all() and relay["a"].str.fullmatch(r"soleimani-\d\d").all()
    # Downlink windows are the satellites' passes that contacts.parquet lists.
    contacts = pd.read_parquet(swarm_run / "contacts.parquet")
    passes = contacts[contacts["kind"] == "satellite"]
    down = links[links["kind"] == "downlink"]
    assert sorted(zip(down["a"], down["b"], down["start_s"].round(3), down["end_s"].round(3))) == sorted(
        zip(passes["satellite"], passes["station"], passes["rise_s"].round(3), passes["set_s"].round(3)))


# --- 6: bad input -----------------------------------------------------------------------------------------------

BAD_FLAGS = {  # route SWARM ...: flags, words the message must hold
    "unknown-from": (["--from", "soleimani-1", "--to", "mahdasht", "--at", "0"], ["--from", "'soleimani-01'"]),
    "unknown-to": (["--from", "soleimani-01", "--to", "mahdsht", "--at", "0"], ["--to", "'mahdasht'"]),
    "at-and-span": (["--from", "soleimani-01", "--to", "mahdasht", "--at", "0", "--span", "0", "600", "60"],
                    ["--at", "--span"]),
    "no-time": (["--from", "soleimani-01", "--to", "mahdasht"], ["--at", "--span"]),
    "at-after-end": (["--from", "soleimani-01", "--to", "mahdasht", "--at", "90000"], ["--at", "86400"]),
    "span-backwards": (["--from", "soleimani-01", "--to", "mahdasht", "--span", "600", "0", "60"],
                       ["--span", "END"]),
    "at-banana": (["--from", "soleimani-01", "--to", "mahdasht", "--at", "banana"], ["--at", "banana"]),
}


def _swarm_text() -> str:
    return SWARM.read_text()


def _edit(old: str, new: str):
    def make() -> str:
        text = _swarm_text()
        assert text.count(old) == 1, old
        return text.replace(old, new)
    return make


_BUDGET = re.compile(r"  downlink:\n    frequency: 8\.2 GHz\n(?:    .*\n)*?    margin_db: 3\n")

BAD_FILES = {  # route on the swarm edited: how to edit it, the field the message must name
    "relay-without-longitude": (_edit("  name: relay-53e\n  longitude: 53 deg\n", "  name: relay-53e\n"),
                                "relay.longitude"),
    "grid-isl-on-a-swarm": (_edit("links:\n", "links:\n  isl:\n    policy: +grid\n"), "links.isl.policy"),
    "negative-isl-range": (_edit("links:\n", "links:\n  isl:\n    policy: line-of-sight\n    max_range: -3 km\n"),
                           "links.isl.max_range"),
    "negative-downlink-rate": (lambda: _BUDGET.sub("  downlink:\n    rate: -5 Mbit/s\n", _swarm_text(), count=1),
                               "links.downlink"),
    "unknown-feeder-station": (_edit("stations: [mahdasht]", "stations: [mahdsht]"), "links.feeder.stations[0]"),
}


ROUTE_ARGS = ["--from", "soleimani-01", "--to", "mahdasht", "--at", "0"]


@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    """Every bad-input command, each in a folder of its own, run four at a time (each is a second or two of imports
    and scenario loading): ``{key: (CompletedProcess, folder, files the folder held before)}``."""
    jobs = {}
    for case, (args, _) in BAD_FLAGS.items():
        jobs[case] = (["route", SWARM, *args], tmp_path_factory.mktemp(case))
    for case, (make, _) in BAD_FILES.items():
        folder = tmp_path_factory.mktemp(case)
        path = folder / f"{case}.yaml"
        path.write_text(make())
        jobs[case] = (["route", path, *ROUTE_ARGS], folder)
    before = {key: sorted(folder.iterdir()) for key, (_, folder) in jobs.items()}
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = {key: pool.submit(cli, *args, cwd=folder) for key, (args, folder) in jobs.items()}
    return {key: (done[key].result(), folder, before[key]) for key, (_, folder) in jobs.items()}


@pytest.mark.parametrize("case", sorted(BAD_FLAGS))
def test_bad_flags_exit_2_with_the_flag_named(bad_runs, case):
    proc, folder, before = bad_runs[case]
    assert_bad_input(proc, *BAD_FLAGS[case][1])
    assert sorted(folder.iterdir()) == before == [], "nothing is written"


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_link_scenarios_exit_2_with_the_field_named(bad_runs, case):
    make, field = BAD_FILES[case]
    assert make() != _swarm_text()
    proc, folder, before = bad_runs[case]
    assert_bad_input(proc, field)
    assert sorted(folder.iterdir()) == before, "nothing is written"


# --- flags at their limits --------------------------------------------------------------------------------------


def test_span_step_infinite_is_bad_input(tmp_path):
    proc = cli("route", SWARM, "--from", "soleimani-01", "--to", "mahdasht", "--span", "0", "600", "inf",
               cwd=tmp_path)
    assert_bad_input(proc, "--span")


def test_store_and_forward_to_a_station_never_in_view_is_unreachable(tmp_path):
    # A station at the south pole that only takes a satellite within 0.1 deg of its zenith: the swarm's
    # sun-synchronous orbits (inclination about 97.5 deg) never pass higher than 82.5 deg of latitude.
    text = NO_RELAY.read_text()
    if text.count("ground_stations:\n") != 1:
        pytest.fail("cannot add the pole station to the scenario")  # not an AssertionError: a real failure
    path = tmp_path / "pole.yaml"
    path.write_text(text.replace(
        "ground_stations:\n",
        "ground_stations:\n  - {name: pole, latitude: -89.9 deg, longitude: 0 deg, min_elevation: 89.9 deg}\n"))
    proc = cli("route", path, "--from", "soleimani-01", "--to", "pole", "--at", "0", "--store-and-forward",
               cwd=tmp_path)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == 1 and "pole" in proc.stdout + proc.stderr


def test_store_and_forward_series_over_a_span(tmp_path):
    # Data created later never arrives earlier (store-and-forward arrival is FIFO), and every arrival is no earlier
    # than its creation.
    proc = cli("route", NO_RELAY, "--from", "soleimani-01", "--to", "mahdasht", "--span", "0", "3h", "1h",
               "--store-and-forward", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [ln for ln in proc.stdout.splitlines() if ln.startswith("│") and "soleimani-01" in ln]
    assert len(rows) == 4
    created = [float(r.split("│")[1]) for r in rows]
    arrives = [float(r.split("│")[2]) for r in rows]
    assert created == [0.0, 3600.0, 7200.0, 10800.0]
    assert all(a >= c for a, c in zip(arrives, created)) and arrives == sorted(arrives)

"""The link topology against sources outside the code: the speed of light, circle and GEO geometry, brute force."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from constellation.access import Station, contact_windows
from constellation.constants import C_KM_S, GEO_A_KM, R_EARTH
from constellation.links import FixedRate
from constellation.orbits import Fleet, Member, circular, walker
from constellation.scenario import load_scenario
from constellation.topology import LinkConfig, Network, unreachable_intervals

EPOCH = "2026-03-20T00:00:00"
FAST = FixedRate(1e9)
DOWN = FixedRate(100e6)

# City coordinates (deg), as any atlas gives them.
CITIES = {
    "london": (51.5074, -0.1278),
    "new-york": (40.7128, -74.0060),
    "tehran": (35.6892, 51.3890),
    "mashhad": (36.2605, 59.6168),
    "tokyo": (35.6762, 139.6503),
    "sydney": (-33.8688, 151.2093),
}


def walker_fleet(total, planes, phasing, altitude_km, inc_deg, model="j2", name="w"):
    elements = walker(total, planes, phasing, altitude_km, inc_deg)
    per_plane = total // planes
    return Fleet(EPOCH, [
        Member(f"{name}-{i // per_plane:02d}-{i % per_plane:02d}", elements[i], model, group=name,
               plane=i // per_plane, slot=i % per_plane)
        for i in range(total)
    ])


def city_stations(min_elevation_deg=25.0):
    return [Station(n, lat, lon, 0.0, min_elevation_deg) for n, (lat, lon) in CITIES.items()]


def great_circle_km(a, b):
    """Haversine distance on the sphere of radius R_EARTH."""
    (la1, lo1), (la2, lo2) = (np.radians(CITIES[a]), np.radians(CITIES[b]))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.sqrt(h))


@pytest.fixture(scope="module")
def shell():
    """The benchmark shell: Walker delta 1156/34/1 at 630 km, 51.9 deg, +grid, city stations."""
    fleet = walker_fleet(1156, 34, 1, 630.0, 51.9)
    return Network(fleet, city_stations(), LinkConfig(downlink=DOWN, isl_policy="+grid", isl_model=FAST))


@pytest.fixture(scope="module")
def swarm():
    scenario = load_scenario("scenarios/soleimani_swarm.yaml")
    return scenario.fleet(), scenario.stations()


def relay_config(**kw):
    return LinkConfig(downlink=DOWN, relay_model=FixedRate(10e6), feeder_model=FixedRate(500e6), **kw)


def edge_set(links, kind=None):
    rows = zip(links.i.tolist(), links.j.tolist(), links.kind.tolist())
    return {(i, j) for i, j, k in rows if kind is None or k == kind}


# --- routes against physics ---------------------------------------------------------------------------------


@pytest.mark.parametrize("a, b", [("london", "new-york"), ("tehran", "mashhad"), ("tokyo", "sydney")])
def test_no_route_beats_light_along_the_great_circle(shell, a, b):
    """Lower bound: the great-circle distance on the sphere R_EARTH over c. Routes climb to 630 km and cannot
    cut through the Earth, so every one is slower (strictly; no tolerance needed)."""
    bound = great_circle_km(a, b) / C_KM_S
    for t in (0.0, 1234.0, 4321.0):
        route = shell.lowest_latency(a, b, t)
        assert route is not None and route.path[0] == a and route.path[-1] == b
        assert route.latency_s > bound
        assert shell.latency_matrix(t, [a], [b])[0, 0] > bound


def test_route_through_geo_relay_takes_two_geo_slant_ranges(swarm):
    """Delay of satellite -> relay-53e -> station against slant ranges from circle geometry, within 0.1 ms.

    Satellite to relay: at least a_GEO - a_LEO (relay at the zenith), at most the two tangent lengths to the
    sphere R_EARTH + 80 km (the line grazing the Earth). Relay to station: law of cosines between the radii
    a_GEO and R_EARTH with the station's central angle to the sub-relay point (0 N, 53 E). Together they make
    the one-way band of a GEO relay hop, about 0.24-0.28 s; the 0.1 ms tolerance covers the stations' place on the
    ellipsoid (up to ~15 km of slant range) that the spherical formula leaves out.
    """
    fleet, stations = swarm
    net = Network(fleet, stations, relay_config())
    a_leo, grazing = R_EARTH + 530.0, R_EARTH + 80.0
    up_min, up_max = GEO_A_KM - a_leo, math.sqrt(GEO_A_KM**2 - grazing**2) + math.sqrt(a_leo**2 - grazing**2)
    checked = 0
    for t in np.arange(0.0, 86400.0, 3600.0):
        links = net.links_at(t)
        in_view = {net.names[i] for i, k in zip(links.i, links.kind) if k == "downlink"}
        for sat in fleet.names[:10]:
            if sat in in_view:
                continue
            for s in stations:
                psi = math.acos(math.cos(math.radians(s.lat_deg)) * math.cos(math.radians(s.lon_deg - 53.0)))
                down = math.sqrt(GEO_A_KM**2 + R_EARTH**2 - 2 * GEO_A_KM * R_EARTH * math.cos(psi))
                route = net.lowest_latency(sat, s.name, t)
                if route is None:
                    continue
                assert "relay-53e" in route.path
                assert (up_min + down) / C_KM_S - 1e-4 <= route.latency_s <= (up_max + down) / C_KM_S + 1e-4
                assert 0.235 < route.latency_s < 0.285
                checked += 1
    assert checked > 50


@pytest.mark.parametrize("stations_relay", [False, True])
def test_csgraph_latencies_equal_networkx(swarm, stations_relay):
    """latency_matrix (scipy csgraph) against lowest_latency (networkx Dijkstra): 1e-12 s relative, same reach."""
    rng = np.random.default_rng(7)
    fleet, stations = swarm
    nets = [
        Network(fleet, stations, relay_config(isl_policy="line-of-sight", isl_model=FAST, isl_max_range_km=4500.0,
                                              stations_relay=stations_relay)),
        Network(walker_fleet(64, 8, 3, 700.0, 53.0), city_stations(10.0),
                LinkConfig(downlink=DOWN, isl_policy="+grid", isl_model=FAST, isl_cross_plane_max_latitude_deg=45.0,
                           stations_relay=stations_relay)),
    ]
    for net in nets:
        for t in rng.uniform(0.0, 86400.0, 4):
            names = list(rng.choice(net.names, 10, replace=False))
            matrix = net.latency_matrix(t, names[:5], names[5:])
            for r, a in enumerate(names[:5]):
                for c, b in enumerate(names[5:]):
                    route = net.lowest_latency(a, b, t)
                    if route is None:
                        assert np.isinf(matrix[r, c])
                    else:
                        assert matrix[r, c] == pytest.approx(route.latency_s, rel=1e-12)
                        assert route.hops == len(route.path) - 1
        stations_names = [s.name for s in net.stations]
        full = net.latency_matrix(1000.0)
        assert full.shape == (len(stations_names), len(stations_names))
        assert np.all(np.diag(full) == 0.0)


def test_latency_series_matches_routes_and_gaps(swarm):
    """Series rows equal lowest_latency at each time (1e-12 relative); gaps are the NaN runs."""
    fleet, stations = swarm
    net = Network(fleet, stations, LinkConfig(downlink=DOWN))
    times = np.arange(0.0, 6 * 3600.0, 120.0)
    series = net.latency_series("soleimani-03", "qeshm", times)
    assert list(series.columns) == ["t_s", "latency_s", "round_trip_s", "hops", "path"]
    for row in series.itertuples():
        route = net.lowest_latency("soleimani-03", "qeshm", row.t_s)
        if route is None:
            assert np.isnan(row.latency_s) and row.path == [] and pd.isna(row.hops)
        else:
            assert row.latency_s == pytest.approx(route.latency_s, rel=1e-12)
            assert row.path == route.path and row.hops == 1
            assert row.round_trip_s == pytest.approx(2 * route.latency_s, rel=1e-15)
    expected, start = [], None
    for t, down in zip(times, series["latency_s"].isna()):
        if down and start is None:
            start = t
        elif not down and start is not None:
            expected.append((start, t))
            start = None
    if start is not None:
        expected.append((start, times[-1]))
    assert expected and unreachable_intervals(series) == expected


def test_unreachable_intervals_by_hand():
    """Hand-made series: NaN runs at 0-10 and 30-40 s give (0, 20) and (30, 40)."""
    series = pd.DataFrame({"t_s": [0.0, 10.0, 20.0, 30.0, 40.0], "latency_s": [np.nan, np.nan, 0.1, np.nan, np.nan]})
    assert unreachable_intervals(series) == [(0.0, 20.0), (30.0, 40.0)]
    assert unreachable_intervals(series.fillna(0.2)) == []


# --- +grid ------------------------------------------------------------------------------------------------------


def test_grid_degree_and_in_plane_chord(shell):
    """At most four ISLs each; in-plane neighbours at the chord 2 a sin(pi / S) of a circle, 1e-9 relative.

    All satellites share a, e and i, so the J2 secular rates are equal and the in-plane spacing never drifts.
    """
    a = R_EARTH + 630.0
    chord = 2 * a * math.sin(math.pi / 34)
    plane = np.array([m.plane for m in shell.fleet.members])
    for t in (0.0, 3000.0, 40000.0):
        links = shell.links_at(t)
        isl = links.kind == "isl"
        i, j, km = links.i[isl], links.j[isl], links.range_km[isl]
        assert np.bincount(np.concatenate([i, j])).max() <= 4
        same_plane = plane[i] == plane[j]
        assert same_plane.sum() == 1156
        np.testing.assert_allclose(km[same_plane], chord, rtol=1e-9)


def test_grid_seam_follows_walker_phasing():
    """Every cross-plane link, seam included, joins satellites whose Walker arguments of latitude differ by
    2 pi F / T (plane p+1 minus plane p), from the builder's formula u = 2 pi k / S + 2 pi F p / T: the seam
    links slot k of the last plane to slot (k + F) mod S of the first. Exact to 1e-9 rad."""
    total, planes, phasing = 80, 10, 3
    fleet = walker_fleet(total, planes, phasing, 800.0, 60.0)
    net = Network(fleet, [], LinkConfig(downlink=DOWN, isl_policy="+grid", isl_model=FAST))
    per_plane = total // planes
    p = np.array([m.plane for m in fleet.members])
    k = np.array([m.slot for m in fleet.members])
    u = 2 * np.pi * k / per_plane + 2 * np.pi * phasing * p / total
    links = net.links_at(0.0)
    cross = p[links.i] != p[links.j]
    lo, hi = links.i[cross], links.j[cross]
    seam = (p[lo] == 0) & (p[hi] == planes - 1)
    first = np.where(seam, hi, lo)
    second = np.where(seam, lo, hi)
    step = (u[second] - u[first] + np.pi) % (2 * np.pi) - np.pi
    np.testing.assert_allclose(step, 2 * np.pi * phasing / total, atol=1e-9)
    assert seam.sum() == per_plane
    assert set(zip(k[hi[seam]], k[lo[seam]])) == {(s, (s + phasing) % per_plane) for s in range(per_plane)}


def test_grid_cross_plane_cutoff_removes_links_above_latitude():
    """With a 45 deg cutoff, exactly the cross-plane links with an end above 45 deg |geodetic latitude| (astropy's
    EarthLocation) go; in-plane links stay."""
    from astropy.coordinates import EarthLocation

    fleet = walker_fleet(1156, 34, 1, 630.0, 51.9)
    base = Network(fleet, [], LinkConfig(downlink=DOWN, isl_policy="+grid", isl_model=FAST))
    cut = Network(fleet, [], LinkConfig(downlink=DOWN, isl_policy="+grid", isl_model=FAST,
                                        isl_cross_plane_max_latitude_deg=45.0))
    plane = np.array([m.plane for m in fleet.members])
    for t in (0.0, 2500.0):
        r = fleet.positions_itrs(np.array([t]))[:, 0]
        lat = np.abs(EarthLocation.from_geocentric(r[:, 0], r[:, 1], r[:, 2], unit="km").lat.deg)
        expected = {(i, j) for i, j in edge_set(base.links_at(t))
                    if plane[i] == plane[j] or max(lat[i], lat[j]) <= 45.0}
        got = edge_set(cut.links_at(t))
        assert got == expected
        assert len(got) < len(edge_set(base.links_at(t)))


# --- line of sight ----------------------------------------------------------------------------------------------


def brute_force_line_of_sight(r, max_range_km, radius):
    """Pairs whose segment, sampled at 20,001 points, stays above ``radius`` and whose range is within reach;
    pairs within 0.05 km of either threshold are returned apart as undecidable."""
    s = np.linspace(0.0, 1.0, 20001)[:, None]
    sure, unsure = set(), set()
    for i in range(len(r)):
        for j in range(i + 1, len(r)):
            closest = np.min(np.linalg.norm(r[i] + s * (r[j] - r[i]), axis=1)) - radius
            spare = max_range_km - np.linalg.norm(r[j] - r[i])
            if abs(closest) < 0.05 or abs(spare) < 0.05:
                unsure.add((i, j))
            elif closest > 0 and spare > 0:
                sure.add((i, j))
    return sure, unsure


def test_line_of_sight_equals_brute_force():
    """Edge set against a pairwise loop over a mixed fleet (Walker shell, an eccentric orbit, a higher circle)."""
    from constellation.orbits import classical

    shell = walker(12, 3, 1, 800.0, 60.0)
    members = [Member(f"w{i}", shell[i], "twobody") for i in range(12)]
    members += [Member("ecc", classical(R_EARTH + 3000.0, 0.25, 30.0, 40.0, 10.0, 0.0), "twobody"),
                Member("meo", circular(8000.0, 20.0, 100.0, 45.0), "twobody")]
    fleet = Fleet(EPOCH, members)
    net = Network(fleet, [], LinkConfig(downlink=DOWN, isl_policy="line-of-sight", isl_model=FAST,
                                        isl_max_range_km=9000.0))
    for t in np.linspace(0.0, 20000.0, 9):
        r = fleet.positions_itrs(np.array([t]))[:, 0]
        sure, unsure = brute_force_line_of_sight(r, 9000.0, R_EARTH + 80.0)
        got = edge_set(net.links_at(t))
        assert got - unsure == sure
        assert len(sure) > 3


@pytest.mark.parametrize("grazing_km, linked", [(70.0, False), (90.0, True)])
def test_line_of_sight_grazing_altitude(grazing_km, linked):
    """Two satellites on one circle of radius a, an angle 2 arccos((R + h) / a) apart: their chord's lowest point
    is at altitude h (circle geometry). Below the 80 km grazing altitude the link is refused."""
    a = R_EARTH + 550.0
    gap = math.degrees(2 * math.acos((R_EARTH + grazing_km) / a))
    fleet = Fleet(EPOCH, [Member("x", circular(550.0, 53.0, 10.0, 0.0), "twobody"),
                          Member("y", circular(550.0, 53.0, 10.0, gap), "twobody")])
    net = Network(fleet, [], LinkConfig(downlink=DOWN, isl_policy="line-of-sight", isl_model=FAST))
    assert (edge_set(net.links_at(0.0)) == {(0, 1)}) is linked


# --- link plan --------------------------------------------------------------------------------------------------


def scan_runs(net, start, end):
    """Presence of every (a, b, kind) link in links_at on a 1-s grid, as runs (first, last second present)."""
    seen: dict[tuple, list[float]] = {}
    for t in np.arange(start, end + 0.5, 1.0):
        links = net.links_at(t)
        for i, j, k in zip(links.i.tolist(), links.j.tolist(), links.kind.tolist()):
            seen.setdefault((net.names[i], net.names[j], k), []).append(t)
    runs = []
    for key, ts in seen.items():
        ts = np.array(ts)
        breaks = np.nonzero(np.diff(ts) > 1.5)[0]
        for lo, hi in zip(np.concatenate([[0], breaks + 1]), np.concatenate([breaks, [len(ts) - 1]])):
            runs.append((*key, ts[lo], ts[hi]))
    return runs


def assert_plan_matches_scan(plan, runs):
    """Every scanned run is a plan window to within 1 s at each end; every plan window over 2 s was scanned."""
    windows = {}
    for row in plan.itertuples():
        windows.setdefault((row.a, row.b, row.kind), []).append((row.start_s, row.end_s))
    matched = set()
    for a, b, kind, first, last in runs:
        hits = [w for w in windows.get((a, b, kind), []) if abs(w[0] - first) <= 1.0 and abs(w[1] - last) <= 1.0]
        assert hits, (a, b, kind, first, last)
        matched.add((a, b, kind, hits[0]))
    for key, ws in windows.items():
        for w in ws:
            assert w[1] - w[0] <= 2.0 or (*key, w) in matched, (key, w)


def test_link_plan_equals_one_second_scan_swarm(swarm):
    """Relay, feeder, downlink and range-limited line-of-sight windows over 2 h of Iran passes against a 1-s scan."""
    fleet, stations = swarm
    net = Network(fleet, stations, relay_config(isl_policy="line-of-sight", isl_model=FAST, isl_max_range_km=4500.0,
                                                feeder_stations=("qeshm", "tabriz")))
    start, end = 19000.0, 26200.0
    plan = net.link_plan(start, end)
    assert set(plan["kind"]) == {"downlink", "feeder", "relay", "isl"}
    assert set(plan.loc[plan["kind"] == "feeder", "b"]) == {"qeshm", "tabriz"}
    assert_plan_matches_scan(plan, scan_runs(net, start, end))
    assert (plan["min_range_km"] <= plan["max_range_km"]).all()
    np.testing.assert_allclose(plan["delay_s"], plan["max_range_km"] / C_KM_S, rtol=1e-15)
    np.testing.assert_allclose(plan["duration_s"], plan["end_s"] - plan["start_s"], rtol=1e-15)
    isl = plan[plan["kind"] == "isl"]
    assert len(isl) and (isl["max_range_km"] <= 4500.0 + 1e-3).all()


def test_link_plan_finds_windows_shorter_than_the_sampling_step():
    """Crossing orbits with a 1,500 km reach make ISL windows of a minute or two, under the 190 s grid step;
    against a 1-s scan over 3 h, each end to within 1 s."""
    from constellation.access import sample_step

    rng = np.random.default_rng(3)
    fleet = Fleet(EPOCH, [
        Member(f"x{k}", circular(float(rng.uniform(500, 900)), float(rng.uniform(30, 100)),
                                 float(rng.uniform(0, 360)), float(rng.uniform(0, 360))), "twobody")
        for k in range(10)
    ])
    net = Network(fleet, [], LinkConfig(downlink=DOWN, isl_policy="line-of-sight", isl_model=FAST,
                                        isl_max_range_km=1500.0))
    plan = net.link_plan(0.0, 10800.0)
    assert (plan["duration_s"] < sample_step(fleet) / 2).sum() >= 3
    assert_plan_matches_scan(plan, scan_runs(net, 0.0, 10800.0))


def test_link_plan_equals_one_second_scan_grid_cutoff():
    """+grid windows with a 40 deg cross-plane cutoff over 1 h against a 1-s scan; uncut links span the hour."""
    fleet = walker_fleet(48, 6, 1, 1000.0, 65.0)
    net = Network(fleet, [], LinkConfig(downlink=DOWN, isl_policy="+grid", isl_model=FAST,
                                        isl_cross_plane_max_latitude_deg=40.0))
    plan = net.link_plan(0.0, 3600.0)
    assert_plan_matches_scan(plan, scan_runs(net, 0.0, 3600.0))
    plane = {m.name: m.plane for m in fleet.members}
    in_plane = plan[[plane[a] == plane[b] for a, b in zip(plan["a"], plan["b"])]]
    assert len(in_plane) == 48
    assert (in_plane["start_s"] == 0.0).all() and (in_plane["end_s"] == 3600.0).all()
    assert len(plan) > 100


def test_link_plan_finds_outages_shorter_than_the_sampling_step():
    """A sparse +grid shell (48/6/1 at 1,215 km, 65 deg) whose cross-plane lines dip under the 80 km grazing
    altitude by about 1 km, for 80 s at a time (a 218 s grid step): every outage a 1-s scan over 2 h sees splits
    a window."""
    fleet = walker_fleet(48, 6, 1, 1215.0, 65.0, model="twobody")
    net = Network(fleet, [], LinkConfig(downlink=DOWN, isl_policy="+grid", isl_model=FAST))
    plan = net.link_plan(0.0, 7200.0)
    gaps = [later - earlier for _, w in plan.groupby(["a", "b"])
            for earlier, later in zip(w["end_s"].to_numpy()[:-1], w["start_s"].to_numpy()[1:])]
    assert len(gaps) > 50 and max(gaps) < 100.0
    assert_plan_matches_scan(plan, scan_runs(net, 0.0, 7200.0))


def test_link_plan_station_windows_are_contact_windows(swarm):
    """Downlink and feeder rows carry contact_windows' rise, set and minimum range unchanged."""
    fleet, stations = swarm
    net = Network(fleet, stations, relay_config())
    plan = net.link_plan(0.0, 43200.0)
    contacts = contact_windows(fleet, stations, 0.0, 43200.0)
    ours = plan[plan["kind"].isin(["downlink", "feeder"])]
    key = ["a", "b", "start_s"]
    left = ours.sort_values(key).reset_index(drop=True)
    right = contacts.rename(columns={"satellite": "a", "station": "b", "rise_s": "start_s"}).sort_values(key)
    right = right.reset_index(drop=True)
    assert len(left) == len(right)
    for col in ("a", "b", "start_s", "min_range_km"):
        assert (left[col].to_numpy() == right[col].to_numpy()).all()
    assert (left["end_s"].to_numpy() == right["set_s"].to_numpy()).all()
    assert (left.loc[left["a"] == "relay-53e", "kind"] == "feeder").all()
    given = net.link_plan(0.0, 43200.0, contacts=contacts.copy())
    pd.testing.assert_frame_equal(given, plan)


# --- graphs and bad input --------------------------------------------------------------------------------------


def test_graph_carries_nodes_and_links(swarm):
    """graph_at holds every node with its kind and position, and every link of links_at with its attributes."""
    fleet, stations = swarm
    net = Network(fleet, stations, relay_config())
    graph = net.graph_at(600.0)
    links = net.links_at(600.0)
    assert graph.number_of_nodes() == len(fleet) + len(stations)
    assert graph.number_of_edges() == len(links)
    assert graph.nodes["relay-53e"]["kind"] == "relay" and graph.nodes["qeshm"]["kind"] == "station"
    assert np.linalg.norm(graph.nodes["relay-53e"]["position_km"]) == pytest.approx(GEO_A_KM, rel=1e-3)
    for u, v, data in graph.edges(data=True):
        assert data["delay_s"] == pytest.approx(data["range_km"] / C_KM_S, rel=1e-15) and data["rate_bps"] > 0
    assert [g.graph["t_s"] for g in net.snapshots([0.0, 60.0])] == [0.0, 60.0]


def test_bad_input_is_refused(swarm):
    """+grid off a Walker shell, unknown or repeated node names and unknown feeder stations: clear ValueErrors."""
    fleet, stations = swarm
    with pytest.raises(ValueError, match=r"\+grid needs Walker shells: soleimani-01, .* are not in one"):
        Network(fleet, stations, relay_config(isl_policy="+grid", isl_model=FAST))
    net = Network(fleet, stations, relay_config())
    with pytest.raises(ValueError, match="no satellite, relay or station named 'mahdash'.*'mahdasht'"):
        net.lowest_latency("soleimani-01", "mahdash", 0.0)
    with pytest.raises(ValueError, match="'soleimani-01'"):
        net.latency_matrix(0.0, ["solemani-01"], ["qeshm"])
    with pytest.raises(ValueError, match="repeated: qeshm"):
        Network(fleet, stations + [Station("qeshm", 10.0, 10.0)], relay_config())
    with pytest.raises(ValueError, match="feeder station 'kish' is not a ground station"):
        Network(fleet, stations, relay_config(feeder_stations=("kish",)))

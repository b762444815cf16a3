"""Light time on every hop of the mission simulation, checked over every bundled mission scenario.

Reference: a signal sent at t from a to b travels the straight-line range |r_a(t) - r_b(t)| at c = 299792.458 km/s
(the SI definition), so the last bit of a hop cannot land before sent + range / c, and a product cannot reach the
ground before the sum over its hops of range / c after it was created. More precisely, each hop takes exactly its
transmission time (size over the link's rate: the terminals' uplink rate, the downlink model at that range, or the
rate of the relay, feeder or inter-satellite window it was sent in) plus that light time. The ranges are recomputed
here independently of the simulation's ``sim.ranges.Ranges``: satellites and the relay from ``Fleet.states`` (ITRS,
km) at each hop's send time, stations and messaging terminals from astropy's ``EarthLocation.from_geodetic`` (WGS84,
the scenario's latitude, longitude and height; terminals at height 0).

Tolerances: hop and product times to 1e-9 s (float rounding at t ~ 1e6 s is ~1e-10 s), hop durations to 1e-8 s; the
range each hop logs agrees with the independent one to 1e-6 km (1 mm: the two geodetic-to-ITRS conversions differ by
far less, and satellites come from the same propagator).

The big shells (``walker_shell``, ``kuiper_shell``) run for 2 h only; no bundled scenario enables inter-satellite
links, so a small +grid Walker shell (96 satellites, 6 h) covers the ISL hops.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import EarthLocation

import constellation
from constellation.scenario import Scenario, bundled_scenarios, load_scenario

C_KM_S = 299792.458
TIME_TOL_S = 1e-9
DURATION_TOL_S = 1e-8
RANGE_TOL_KM = 1e-6
SHORT = {"walker_shell", "kuiper_shell"}

ISL_SHELL = """
name: isl_light_time
epoch: 2026-03-20T00:00:00Z
duration: 6 h
satellites:
  - {name: w, orbit: walker, total: 96, planes: 8, phasing: 1, altitude: 550 km, inclination: 53 deg}
links:
  downlink: {rate: 200 Mbit/s}
  isl: {policy: +grid, model: {rate: 1 Gbit/s}}
ground_stations:
  - {name: tehran, latitude: 35.69 deg, longitude: 51.39 deg, height: 1200 m}
mission:
  imaging:
    image_size: 100 MB
    min_sun_elevation: null
    targets:
      - {name: sydney, latitude: -33.87 deg, longitude: 151.21 deg}
      - {name: lima, latitude: -12.05 deg, longitude: -77.04 deg}
"""


def _mission_scenarios() -> list[str]:
    return [n for n in bundled_scenarios() if load_scenario(n).mission is not None]


def _scenario(name: str) -> Scenario:
    if name == "isl_shell":
        return Scenario.from_yaml_text(ISL_SHELL)
    scenario = load_scenario(name)
    if name in SHORT:
        scenario = scenario.model_copy(update={"duration": 7200.0})
    return scenario


def ground_positions(scenario: Scenario) -> dict[str, np.ndarray]:
    """ITRS positions (km) of the stations and terminals, from astropy's WGS84 geodetic conversion."""
    points = [(s.name, s.latitude, s.longitude, s.height) for s in scenario.ground_stations]
    msg = scenario.mission.messaging
    if msg is not None:
        points += [(t.name, t.latitude, t.longitude, 0.0) for t in msg.terminals]
    out = {}
    for name, lat, lon, height_m in points:
        x, y, z = EarthLocation.from_geodetic(lon * u.deg, lat * u.deg, height_m * u.m).to_geocentric()
        out[name] = np.array([x.to_value(u.km), y.to_value(u.km), z.to_value(u.km)])
    return out


def independent_ranges(fleet, ground: dict, src, dst, t) -> np.ndarray:
    """Range (km) from src[i] to dst[i] at t[i]."""
    index = {n: i for i, n in enumerate(fleet.names)}

    def positions(nodes):
        pos = np.full((len(nodes), 3), np.nan)
        moving = np.array([n in index for n in nodes], dtype=bool)
        if moving.any():
            idx = np.array([index[n] for n in nodes[moving]])
            pos[moving] = fleet.states(t[moving], idx, frame="itrs")[0]
        for k in np.nonzero(~moving)[0]:
            pos[k] = ground[nodes[k]]
        return pos

    return np.linalg.norm(positions(src) - positions(dst), axis=1)


def hop_rates(scenario: Scenario, links, hops, rng: np.ndarray) -> np.ndarray:
    """The rate (bit/s) each hop was sent at, from the scenario and the run's link windows."""
    downlink = scenario.link_config().downlink
    kinds = {"relay_up": "relay", "feeder": "feeder", "isl": "isl"}
    out = np.full(len(hops), np.nan)
    for k, (hop, src, dst, sent) in enumerate(zip(hops["hop"], hops["src"], hops["dst"], hops["sent_s"])):
        if hop == "uplink":
            out[k] = scenario.mission.messaging.uplink_rate
        elif hop == "downlink":
            out[k] = float(downlink.rate_bps(np.array([rng[k]]))[0])
        else:
            pair = ((links["a"] == src) & (links["b"] == dst)) | ((links["a"] == dst) & (links["b"] == src))
            window = links[pair & (links["kind"] == kinds[hop]) & (links["start_s"] <= sent)
                           & (sent < links["end_s"])]
            assert len(window) == 1, (hop, src, dst, sent)
            out[k] = float(window["rate_bps"].iloc[0])
    return out


@pytest.mark.parametrize("name", _mission_scenarios() + ["isl_shell"])
def test_every_hop_waits_at_least_its_light_time(name):
    scenario = _scenario(name)
    fleet = scenario.fleet()
    results = constellation.run(scenario)
    products, events = results.products, results.events

    hops = events[events["hop"] != ""].sort_values(["product", "sent_s"], kind="stable")
    assert set(hops["hop"]) <= {"uplink", "isl", "relay_up", "feeder", "downlink"}
    assert len(hops) > 0
    sent = hops["sent_s"].to_numpy(float)
    received = hops["received_s"].to_numpy(float)
    rng = independent_ranges(fleet, ground_positions(scenario), hops["src"].to_numpy(object),
                             hops["dst"].to_numpy(object), sent)
    light = rng / C_KM_S
    assert np.isfinite(rng).all() and (rng > 0).all()
    np.testing.assert_allclose(hops["range_km"].to_numpy(float), rng, rtol=0.0, atol=RANGE_TOL_KM)
    assert (received >= sent + light - TIME_TOL_S).all(), "a hop landed before its light time"
    assert (hops["t_s"].to_numpy(float) == received).all()
    sizes = products.set_index("product").loc[hops["product"], "size_bits"].to_numpy(float)
    expected = sizes / hop_rates(scenario, results.links, hops, rng) + light
    np.testing.assert_allclose(received - sent, expected, rtol=0.0, atol=DURATION_TOL_S)

    delivered = products[products["state"] == "delivered"].set_index("product")
    assert (delivered["delivered_s"] >= delivered["created_s"]).all(), "a product was delivered before it was made"
    assert (delivered["latency_s"] >= 0).all()
    hops = hops.assign(light_s=light)
    by_product = dict(tuple(hops.groupby("product", sort=False)))
    for pid, row in delivered.iterrows():
        mine = by_product[pid]
        path = row["path"].split(" > ")
        # The hops chain along the product's path, each leaving after the last one landed and after creation.
        assert mine["src"].tolist() == path[:-1] and mine["dst"].tolist() == path[1:], pid
        starts = mine["sent_s"].to_numpy(float)
        ends = mine["received_s"].to_numpy(float)
        assert starts[0] >= row["created_s"] - TIME_TOL_S
        assert (starts[1:] >= ends[:-1] - TIME_TOL_S).all()
        assert ends[-1] == pytest.approx(row["delivered_s"], abs=TIME_TOL_S)
        assert mine["event"].iloc[-1] == "deliver"
        assert row["latency_s"] >= mine["light_s"].sum() - TIME_TOL_S, pid

    # Nothing still on its way at the end of the run is delivered: every delivery landed within the run.
    assert (delivered["delivered_s"] < scenario.duration_s).all()

"""The mission simulation: hand-worked timelines on synthetic plans, and whole bundled missions."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import constellation
from constellation.scenario import Scenario, load_scenario
from constellation.scenario.units import Bits, Seconds
from constellation.sim import simulate
from constellation.sim.faults import Outages, link_key
from constellation.sim import (Battery, GroundStation, Mission, Relay, Satellite, SatellitePlan, Terminal, Windows,
                               bind_behaviours, members)
from constellation.sim.ranges import Ranges

C_KM_S = 299792.458  # speed of light (SI definition), km/s

# The hand-worked timelines place every node at a fixed point (ITRS, km): s and s1 1000 km above g1 (and terminal
# t1, at the same place), s2 2000 km from s1 along z, g2 a quarter turn round the equator, the relay at the
# geostationary radius above g1; s3 3000 km from s1 the other way along z. Each hop's light time is then the
# hand formula light(a, b) = |P[a] - P[b]| / c, e.g. 1000 km / c = 3.336 ms between s and g1.
R_E, R_GEO = 6378.137, 42164.0
P = {"g1": (R_E, 0.0, 0.0), "t1": (R_E, 0.0, 0.0), "g2": (0.0, R_E, 0.0), "s": (R_E + 1000.0, 0.0, 0.0),
     "s1": (R_E + 1000.0, 0.0, 0.0), "s2": (R_E + 1000.0, 0.0, 2000.0), "s3": (R_E + 1000.0, 0.0, -3000.0),
     "relay": (R_GEO, 0.0, 0.0)}


def light(a: str, b: str) -> float:
    return float(np.linalg.norm(np.subtract(P[a], P[b]))) / C_KM_S


def policy(**overrides) -> dict:
    """The mission parameters of a hand-worked timeline, in SI units."""
    base = dict(storage_bits=1e12, image_bits=1e9, capture_s=10.0, imaging_w=0.0, transmitter_w=0.0,
                downlink_policy="fifo", antennas=1, relay_channels=1, battery_wh=100.0, initial_charge=1.0,
                solar_w=0.0, bus_w=0.0, min_charge=0.0)
    base.update(overrides)
    return base


def windows(rows, **extra) -> Windows:
    """Windows from (start, end, other[, extra...]) rows."""
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    out = Windows(np.array([r[0] for r in rows], float), np.array([r[1] for r in rows], float),
                  [r[2] for r in rows])
    for k, name in enumerate(extra):
        out.extra[name] = np.array([r[3 + k] for r in rows], float)
    return out


def plan(downlink=(), targets=(), eclipses=(), relay=()) -> SatellitePlan:
    return SatellitePlan(
        downlink=windows([(a, b, s, 90.0) for a, b, s in downlink], max_elevation_deg=None),
        targets=windows([(a, b, n, best) for a, b, n, best in targets], best_s=None),
        eclipses=windows([(a, b, "") for a, b in eclipses]),
        relay=windows([(a, b, "relay", rate, delay) for a, b, rate, delay in relay], rate_bps=None, delay_s=None),
    )


def constant_rate(rate):
    return lambda sat, station, t: rate


class MissionSection:
    """The parts of a scenario's mission section the built-in behaviours read, from ``policy()``."""

    def __init__(self, pol: dict):
        self.imaging = type("Imaging", (), dict(image_size=pol["image_bits"], capture_time=pol["capture_s"],
                                                 power=pol["imaging_w"]))()
        self.downlink = type("Downlink", (), dict(policy=pol["downlink_policy"], antennas=pol["antennas"],
                                                   transmitter_power=pol["transmitter_w"]))()
        self.behaviours = []


def build_only(plans, *, pol=None, rate=1e7, stations=("g1",), outages=None, end=5000.0, relay=None, feeder=None,
               router=None, terminals=None, section=None) -> Mission:
    """The mission built agent by agent through the public API, with its behaviours bound, not started."""
    pol = pol or policy()
    sim = Mission(end, ranges=Ranges(fixed=P), downlink_rate=constant_rate(rate), outages=outages, router=router)
    for name in stations:
        sim.add(GroundStation(sim, name, antennas=pol["antennas"]))
    if relay is not None:
        sim.add(Relay(sim, relay, channels=pol["relay_channels"], feeder=feeder))
    for name, sat_plan in plans.items():
        battery = Battery(sim.env, pol["battery_wh"], pol["initial_charge"], pol["solar_w"], pol["bus_w"],
                          pol["min_charge"])
        sim.add(Satellite(sim, name, sat_plan, storage_bits=pol["storage_bits"], battery=battery))
    for name, (created, passes, size, prio, uplink_bps) in (terminals or {}).items():
        sim.add(Terminal(sim, name, created=created, passes=passes, size_bits=size, priority=prio,
                         uplink_bps=uplink_bps))
    bind_behaviours(sim, section or MissionSection(pol))
    return sim


def run(plans, **kwargs):
    """Build the mission, run it, and return it with its products table."""
    sim = build_only(plans, **kwargs)
    sim.start()
    sim.run()
    return sim, sim.ledger.products_table()


def test_one_satellite_one_station_by_hand():
    # Image A at t=50 (1 Gbit). The pass opens at 100: 1 Gbit at 10 Mbit/s takes 100 s, and the last bit lands
    # light(s, g1) = 3.336 ms later -> delivered at 200 + L. Image B at t=350 would need until 450 but the pass closes
    # at 400, so it waits for the pass at 1000 and is delivered at 1100 + L. Image C at t=1490 cannot fit in the 10 s
    # left of that pass: still on board at the end.
    L = light("s", "g1")
    sats = {"s": plan(downlink=[(100, 400, "g1"), (1000, 1500, "g1")],
                      targets=[(0, 100, "A", 50), (300, 400, "B", 350), (1480, 1495, "C", 1490)])}
    sim, products = run(sats)
    by = products.set_index("source")
    assert by.loc["A", "delivered_s"] == pytest.approx(200.0 + L, abs=1e-9)
    assert by.loc["B", "delivered_s"] == pytest.approx(1100.0 + L, abs=1e-9)
    assert by.loc["C", "state"] == "on_board" and by.loc["C", "holder"] == "s"
    assert by.loc["A", "latency_s"] == pytest.approx(150.0 + L) and by.loc["B", "latency_s"] == pytest.approx(750.0 + L)
    # Each downlink is logged as a hop, on its "deliver" row: sent when the transmission starts, received when its
    # last bit lands.
    events = sim.ledger.events_table()
    hops = events[events["hop"] == "downlink"].set_index("product")
    assert (hops["event"] == "deliver").all() and len(hops) == 2
    a = int(by.loc["A", "product"])
    assert (hops.loc[a, "src"], hops.loc[a, "dst"]) == ("s", "g1")
    assert hops.loc[a, "sent_s"] == pytest.approx(100.0, abs=1e-9)
    assert hops.loc[a, "received_s"] == pytest.approx(200.0 + L, abs=1e-9) == hops.loc[a, "t_s"]
    assert hops.loc[a, "range_km"] == pytest.approx(1000.0, abs=1e-9)
    assert (events["event"] == "deliver").sum() == 2


def test_an_antenna_serves_one_satellite_at_a_time():
    # Both satellites image at t=0 and see g1 from 10 to 500 with one antenna. FIFO: s1 asked first (name order at
    # equal times), holds the antenna from 10 until its last bit lands at 110 + light(s1, g1), then s2 sends for 100 s
    # and its last bit lands light(s2, g1) later.
    sats = {"s1": plan(downlink=[(10, 500, "g1")], targets=[(0, 5, "A", 0.0)]),
            "s2": plan(downlink=[(10, 500, "g1")], targets=[(0, 5, "B", 0.0)])}
    _, products = run(sats)
    by = products.set_index("source")
    assert by.loc["A", "delivered_s"] == pytest.approx(110.0 + light("s1", "g1"))
    assert by.loc["B", "delivered_s"] == pytest.approx(210.0 + light("s1", "g1") + light("s2", "g1"))


def test_two_antennas_serve_two_satellites_at_once():
    sats = {"s1": plan(downlink=[(10, 500, "g1")], targets=[(0, 5, "A", 0.0)]),
            "s2": plan(downlink=[(10, 500, "g1")], targets=[(0, 5, "B", 0.0)])}
    _, products = run(sats, pol=policy(antennas=2))
    assert products["delivered_s"].tolist() == pytest.approx([110.0 + light("s1", "g1"), 110.0 + light("s2", "g1")])


def test_storage_full_and_low_power_drop_with_their_reasons():
    # 1.5 images fit: the second is dropped for storage. A 100 Wh battery at 35 % with a 30 % floor holds 5 Wh
    # (18 kJ) above the floor; a capture costs 1 kW x 10 s = 10 kJ, so the second capture is refused for power.
    sats = {"s": plan(targets=[(0, 10, "A", 1.0), (20, 30, "B", 21.0)])}
    _, products = run(sats, pol=policy(storage_bits=1.5e9))
    assert products["reason"].tolist() == ["", "storage_full"]
    _, products = run(sats, pol=policy(imaging_w=1000.0, initial_charge=0.35, min_charge=0.3))
    assert products["reason"].tolist() == ["", "power"]


def test_eclipse_stops_charging_by_hand():
    # 100 W array, 40 W bus, 100 Wh battery starting at 50 %. Sunlit 0-1000 s: +60 W -> +60 kJ. Eclipse
    # 1000-3000 s: -40 W -> -80 kJ. Lowest charge at 3000 s: 180 + 60 - 80 = 160 kJ of 360 kJ.
    sats = {"s": plan(eclipses=[(1000, 3000)])}
    sim, _ = run(sats, pol=policy(initial_charge=0.5, solar_w=100.0, bus_w=40.0), end=3000.0)
    assert sim.satellites["s"].battery.lowest_fraction == pytest.approx(160e3 / 360e3)


def test_a_station_outage_sends_data_to_another_station():
    # g1 and g2 are both in view; g1 is down from 0 to 1000 s, so the image goes to g2 (sent 150-250, plus the light
    # time over the 9754 km from s to g2).
    sats = {"s": plan(downlink=[(100, 400, "g1"), (150, 400, "g2")], targets=[(0, 10, "A", 5.0)])}
    outages = Outages()
    outages.add("g1", 0.0, 1000.0)
    _, products = run(sats, stations=("g1", "g2"), outages=outages)
    assert products.loc[0, "station"] == "g2"
    assert products.loc[0, "delivered_s"] == pytest.approx(250.0 + light("s", "g2"))
    _, products = run(sats, stations=("g1", "g2"))
    assert products.loc[0, "station"] == "g1"
    assert products.loc[0, "delivered_s"] == pytest.approx(200.0 + light("s", "g1"))


def test_a_link_outage_keeps_both_ends_working():
    # The s-g1 link is down 0-1000 s but g1 and s are not: s uses g2 (opens at 150, delivered at 250 + light time).
    sats = {"s": plan(downlink=[(100, 400, "g1"), (150, 400, "g2")], targets=[(0, 10, "A", 5.0)])}
    outages = Outages()
    outages.add(link_key("g1", "s"), 0.0, 1000.0)
    _, products = run(sats, stations=("g1", "g2"), outages=outages)
    assert products.loc[0, "station"] == "g2"
    assert products.loc[0, "delivered_s"] == pytest.approx(250.0 + light("s", "g2"))
    assert not outages.down("g1", 500.0) and outages.link_down("s", "g1", 500.0)


def test_a_satellite_outage_drops_its_captures_as_failures():
    sats = {"s": plan(targets=[(0, 10, "A", 5.0), (100, 110, "B", 105.0)])}
    outages = Outages()
    outages.add("s", 50.0, 200.0)
    _, products = run(sats, outages=outages)
    assert products["reason"].tolist() == ["", "failure"]


def test_relay_then_feeder_by_hand():
    # Relay in view 0-2000 s at 1 Mbit/s; a 10 Mbit image made at t=5 goes up in 10 s, plus the light time over the
    # 34786 km from s to the relay (0.1160 s), and reaches the relay at 15.116; the feeder to g1 (always open,
    # 100 Mbit/s) delivers it 0.1 s + light(relay, g1) = 0.1194 s later, at 15.335. No station pass at all. The
    # windows' planned 0.12 s delays are not used: each hop takes the light time at the moment it is sent.
    sats = {"s": plan(targets=[(0, 10, "A", 5.0)], relay=[(0, 2000, 1e6, 0.12)])}
    feeder = windows([(0.0, 5000.0, "g1", 1e8, 0.12)], rate_bps=None, delay_s=None)
    sim, products = run(sats, pol=policy(image_bits=1e7), relay="relay", feeder=feeder)
    up, down = light("s", "relay"), light("relay", "g1")
    assert products.loc[0, "delivered_s"] == pytest.approx(15.1 + up + down, abs=1e-9)
    assert products.loc[0, "path"] == "s > relay > g1"
    events = sim.ledger.events_table()
    hops = events[events["product"] == 0].set_index("hop")
    assert hops.loc["relay_up", "event"] == "relay_up" and hops.loc["feeder", "event"] == "deliver"
    assert (hops.loc["relay_up", "src"], hops.loc["relay_up", "dst"]) == ("s", "relay")
    assert hops.loc["relay_up", "sent_s"] == pytest.approx(5.0, abs=1e-9)
    assert hops.loc["relay_up", "received_s"] == pytest.approx(15.0 + up, abs=1e-9)
    assert hops.loc["relay_up", "range_km"] == pytest.approx(R_GEO - R_E - 1000.0, abs=1e-9)
    assert (hops.loc["feeder", "src"], hops.loc["feeder", "dst"]) == ("relay", "g1")
    assert hops.loc["feeder", "sent_s"] == pytest.approx(15.0 + up, abs=1e-9)
    assert hops.loc["feeder", "range_km"] == pytest.approx(R_GEO - R_E, abs=1e-9)


def test_a_message_goes_up_at_the_uplink_rate_plus_light_time():
    # Terminal t1 (under g1) sees s from 100 to 700 s; a 2048-bit message made at t=50 starts up at 100, takes
    # 2048 / 9600 s plus light(t1, s) and lands on s; g1 is in view all along, so s sends it straight down
    # (2048 bits at 10 Mbit/s, plus light(s, g1)). Its latency counts from its creation at the terminal.
    sats = {"s": plan(downlink=[(0, 1000, "g1")])}
    terminals = {"t1": (np.array([50.0]), windows([(100.0, 700.0, "s")]), 2048.0, 2, 9600.0)}
    sim, products = run(sats, terminals=terminals)
    arrive = 100.0 + 2048.0 / 9600.0 + light("t1", "s")
    delivered = arrive + 2048.0 / 1e7 + light("s", "g1")
    m = products.iloc[0]
    assert m["kind"] == "message" and m["path"] == "t1 > s > g1" and m["state"] == "delivered"
    assert m["delivered_s"] == pytest.approx(delivered, abs=1e-9)
    assert m["latency_s"] == pytest.approx(delivered - 50.0, abs=1e-9)
    events = sim.ledger.events_table()
    up = events[events["event"] == "collect"].iloc[0]
    assert (up["node"], up["hop"], up["src"], up["dst"]) == ("s", "uplink", "t1", "s")
    assert up["detail"] == "message 0 from t1"
    assert up["sent_s"] == pytest.approx(100.0) and up["received_s"] == pytest.approx(arrive, abs=1e-9)
    assert up["range_km"] == pytest.approx(1000.0, abs=1e-9)


def test_an_inter_satellite_hop_takes_its_light_time():
    # A router sends s1's image (1 Gbit, made at t=5) to s2 at t=20 over a 1 Gbit/s link: 1 s plus the light time
    # over the 2000 km between them. s2 sees g1 all along and sends it down: 100 s plus light(s2, g1).
    sats = {"s1": plan(targets=[(0, 10, "A", 5.0)]), "s2": plan(downlink=[(0, 1000, "g1")])}

    def router(sat, t, size_bits):
        return [("s1", "s2", 20.0, 1e9)] if sat == "s1" else []

    sim, products = run(sats, router=router)
    arrive = 21.0 + light("s1", "s2")
    assert products.loc[0, "path"] == "s1 > s2 > g1"
    assert products.loc[0, "delivered_s"] == pytest.approx(arrive + 100.0 + light("s2", "g1"), abs=1e-9)
    events = sim.ledger.events_table()
    isl = events[events["event"] == "isl"].iloc[0]
    assert (isl["node"], isl["src"], isl["dst"], isl["detail"]) == ("s1", "s1", "s2", "image 0 to s2")
    assert isl["sent_s"] == pytest.approx(20.0) and isl["received_s"] == pytest.approx(arrive, abs=1e-9)
    assert isl["range_km"] == pytest.approx(2000.0, abs=1e-9)


def test_a_product_landing_after_the_end_is_not_delivered():
    # Image A (1 Gbit, t=50) is sent from 100 to 200 s; its last bit lands at 200 + light(s, g1) = 200.0033 s. A run
    # ending at 200.002 s leaves it in transit, counted on board s; one ending at 200.004 s delivers it.
    sats = {"s": plan(downlink=[(100, 400, "g1")], targets=[(0, 100, "A", 50)])}
    assert 200.002 < 200.0 + light("s", "g1") < 200.004
    _, products = run(sats, end=200.002)
    assert products.loc[0, "state"] == "on_board" and products.loc[0, "holder"] == "s"
    assert np.isnan(products.loc[0, "delivered_s"])
    _, products = run(sats, end=200.004)
    assert products.loc[0, "state"] == "delivered"


@pytest.fixture(scope="module")
def swarm():
    scenario = load_scenario("scenarios/soleimani_swarm.yaml")
    return scenario, constellation.run(scenario)


def test_every_byte_is_delivered_on_board_or_dropped(swarm):
    scenario, results = swarm
    p = results.products
    assert set(p["state"]) <= {"delivered", "on_board", "dropped"}
    m = results.metrics
    assert m["bits_delivered"] + m["bits_on_board"] + m["bits_dropped"] == pytest.approx(m["bits_created"])
    assert (p["state"] == "delivered").sum() + (p["state"] == "on_board").sum() + (p["state"] == "dropped").sum() \
        == len(p)
    delivered = p[p["state"] == "delivered"]
    assert (delivered["delivered_s"] >= delivered["created_s"]).all()
    assert p["product"].is_unique


def test_message_counts_follow_the_poisson_rate(swarm):
    # 10 terminals x 6 per hour x 24 h = 1440 expected; a Poisson count lies within 5 sigma (sqrt(1440) = 38).
    _, results = swarm
    made = (results.products["kind"] == "message").sum() + results.metrics["messages_pending_at_terminals"]
    assert abs(made - 1440) < 5 * np.sqrt(1440)


def test_same_scenario_and_seed_give_identical_tables(swarm):
    scenario, results = swarm
    again = constellation.run(scenario)
    for name in ("products", "events", "targets", "satellites", "throughput"):
        pd.testing.assert_frame_equal(getattr(results, name), getattr(again, name))


def test_the_relay_shortens_message_latency(swarm):
    _, with_relay = swarm
    without = constellation.run("scenarios/soleimani_swarm_no_relay.yaml")
    lat_with = with_relay.metrics["latency_message"]["mean_s"]
    lat_without = without.metrics["latency_message"]["mean_s"]
    assert lat_with < lat_without
    assert without.metrics["relay_bits"] == 0.0 and with_relay.metrics["relay_bits"] > 0


def test_a_failed_station_mid_run_moves_deliveries_elsewhere(swarm):
    scenario, results = swarm
    data = scenario.model_dump(mode="json")
    data["mission"]["faults"] = [{"node": "qeshm", "start": 0.0, "end": 86400.0}]
    failed = constellation.run(Scenario.model_validate(data))
    assert (failed.products["station"] == "qeshm").sum() == 0
    assert (results.products["station"] == "qeshm").sum() > 0
    assert failed.throughput.set_index("station").loc["qeshm", "down_s"] == pytest.approx(86400.0)


def test_simulate_needs_a_mission():
    scenario = load_scenario("scenarios/kuiper_shell.yaml")
    with pytest.raises(ValueError, match="no mission"):
        simulate(scenario)


ISL_SHELL = """
name: isl_demo
epoch: 2026-03-20T00:00:00Z
duration: 6 h
satellites:
  - {name: w, orbit: walker, total: 96, planes: 8, phasing: 1, altitude: 550 km, inclination: 53 deg}
links:
  downlink: {rate: 200 Mbit/s}
  isl: {policy: POLICY, model: {rate: 1 Gbit/s}}
ground_stations:
  - {name: tehran, latitude: 35.69 deg, longitude: 51.39 deg}
mission:
  imaging:
    image_size: 100 MB
    min_sun_elevation: null
    targets:
      - {name: sydney, latitude: -33.87 deg, longitude: 151.21 deg}
      - {name: lima, latitude: -12.05 deg, longitude: -77.04 deg}
"""


def test_inter_satellite_links_carry_images_to_the_station():
    # With +grid links an image taken over Sydney or Lima (never in view of Tehran) crosses the shell and is down in
    # seconds: each 800 Mbit hop takes 0.8 s at 1 Gbit/s and a downlink 4 s at 200 Mbit/s. Without links it waits
    # on board for the satellite's own pass over Tehran (tens of minutes to hours).
    with_isl = constellation.run(Scenario.from_yaml_text(ISL_SHELL.replace("POLICY", "+grid")))
    without = constellation.run(Scenario.from_yaml_text(ISL_SHELL.replace("POLICY", "none")))
    hopped = with_isl.products[with_isl.products["path"].str.count(">") > 1]
    assert len(hopped) > 0
    for path in hopped["path"]:
        nodes = path.split(" > ")
        assert nodes[-1] == "tehran" and all(n.startswith("w-") for n in nodes[:-1])
    delivered = with_isl.products[with_isl.products["state"] == "delivered"]
    assert delivered["latency_s"].max() < 60.0
    assert with_isl.metrics["latency_image"]["mean_s"] < without.metrics["latency_image"]["mean_s"] / 10


def test_battery_history_by_hand():
    # 100 Wh (360 kJ) at 50 %, +60 W net in sunlight: 1000 s later 240 kJ; eclipse 1000-3000 s at -40 W: 160 kJ;
    # then +60 W again: full (360 kJ) 200 kJ / 60 W = 3333.3 s later, at 6333.3 s, and flat to the end (8000 s).
    sats = {"s": plan(eclipses=[(1000, 3000)])}
    sim, _ = run(sats, pol=policy(initial_charge=0.5, solar_w=100.0, bus_w=40.0), end=8000.0)
    t, f = zip(*sim.satellites["s"].battery.history)
    assert t == pytest.approx([0.0, 1000.0, 3000.0, 3000.0 + 200e3 / 60.0, 8000.0])
    assert f == pytest.approx([0.5, 240 / 360, 160 / 360, 1.0, 1.0])


# --- station schedulers and user behaviours ------------------------------------------------------------------------

def test_the_priority_scheduler_serves_the_waiting_satellite_with_the_higher_priority_first():
    # One antenna at g1, all three satellites in view 10-1000 s, each with a 1 Gbit image (100 s at 10 Mbit/s). s1
    # asks first (name order) and holds the antenna from 10 to 110 + L. s2 (priority 1) and s3 (priority 5) queue;
    # first come serves s2 next, the priority scheduler s3; each lands its own light time after its last bit leaves.
    sats = {name: plan(downlink=[(10, 1000, "g1")], targets=[(0, 5, name.upper(), 0.0)]) for name in ("s1", "s2", "s3")}

    def second(downlink_policy):
        sim = build_only(sats, pol=policy(downlink_policy=downlink_policy))
        sim.target_priority.update({"S1": 1, "S2": 1, "S3": 5})
        sim.start()
        sim.run()
        products = sim.ledger.products_table().set_index("source")
        return products.loc["S2", "delivered_s"], products.loc["S3", "delivered_s"]

    L1, L2, L3 = light("s1", "g1"), light("s2", "g1"), light("s3", "g1")
    s2, s3 = second("fifo")
    assert s2 == pytest.approx(210.0 + L1 + L2, abs=1e-9) and s3 == pytest.approx(310.0 + L1 + L2 + L3, abs=1e-9)
    s2, s3 = second("priority")
    assert s3 == pytest.approx(210.0 + L1 + L3, abs=1e-9) and s2 == pytest.approx(310.0 + L1 + L3 + L2, abs=1e-9)


def test_max_weight_assignment_sends_each_satellite_to_its_own_station():
    # s1 sees g1 (10-1000 s) and g2 (10-500 s); s2 sees only g1. First come: s1 takes g1 (the longer pass) and s2
    # waits for it: s2's image lands at 210 + light(s1, g1) + light(s2, g1). The network-wide assignment at t=10 puts
    # s1 on g2 and s2 on g1 (total weight 2 x (1 Gbit + 1) against 1 Gbit + 1), so both land 100 s after 10 s plus
    # their own light time.
    sats = {"s1": plan(downlink=[(10, 1000, "g1"), (10, 500, "g2")], targets=[(0, 5, "A", 0.0)]),
            "s2": plan(downlink=[(10, 1000, "g1")], targets=[(0, 5, "B", 0.0)])}
    _, fifo = run(sats, stations=("g1", "g2"))
    by = fifo.set_index("source")
    assert by.loc["A", "station"] == "g1"
    assert by.loc["B", "delivered_s"] == pytest.approx(210.0 + light("s1", "g1") + light("s2", "g1"), abs=1e-9)
    _, matched = run(sats, stations=("g1", "g2"), pol=policy(downlink_policy="max_weight"))
    by = matched.set_index("source")
    assert (by.loc["A", "station"], by.loc["B", "station"]) == ("g2", "g1")
    assert by.loc["A", "delivered_s"] == pytest.approx(110.0 + light("s1", "g2"), abs=1e-9)
    assert by.loc["B", "delivered_s"] == pytest.approx(110.0 + light("s2", "g1"), abs=1e-9)


def brute_force_assignment(weights: np.ndarray, capacity) -> float:
    """The best total weight found by trying every assignment of satellites to stations (or to none)."""
    n_sat, n_st = weights.shape
    best = 0.0
    for choice in itertools.product(range(-1, n_st), repeat=n_sat):
        used = np.bincount([j for j in choice if j >= 0], minlength=n_st)
        if np.any(used > np.asarray(capacity)):
            continue
        best = max(best, sum(weights[i, j] for i, j in enumerate(choice) if j >= 0 and weights[i, j] > 0))
    return best


@pytest.mark.parametrize("seed", range(40))
def test_max_weight_assignment_equals_brute_force(seed):
    # Random small cases: up to 5 satellites, 3 stations of 1-2 antennas, about half the pairs in view (weight 0 =
    # not in view). The best total weight found by trying every assignment is the reference (exact to 1e-9).
    from constellation.sim.scheduling import max_weight_assignment

    rng = np.random.default_rng(seed)
    n_sat, n_st = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    weights = np.where(rng.random((n_sat, n_st)) < 0.5, rng.uniform(1.0, 100.0, (n_sat, n_st)), 0.0)
    capacity = rng.integers(1, 3, n_st)
    pairs = max_weight_assignment(weights, capacity)
    assert len({i for i, _ in pairs}) == len(pairs)
    assert all(np.bincount([j for _, j in pairs], minlength=n_st) <= capacity)
    assert all(weights[i, j] > 0 for i, j in pairs)
    assert sum(weights[i, j] for i, j in pairs) == pytest.approx(brute_force_assignment(weights, capacity), abs=1e-9)


def heartbeat(agent, every_s: Seconds = 100.0, size_bits: Bits = 1e6):
    """A user's behaviour as a generator function: a telemetry product every ``every_s`` (units accepted)."""
    while True:
        yield agent.env.timeout(every_s)
        agent.keep(agent.make("telemetry", agent.name, size_bits))


heartbeat.role = "heartbeat"


def test_a_user_behaviour_runs_beside_the_built_ins_by_hand():
    # Telemetry of 1 Mbit every 100 s from t=100; g1 is in view 0-1000 s at 10 Mbit/s, so each goes down at once:
    # 0.1 s plus light(s, g1). Nine are made before 1000 s (100..900; the one at 1000 s finds the pass closed).
    sats = {"s": plan(downlink=[(0, 1000, "g1")])}
    sim = build_only(sats)
    sim.add_behaviour(sim.satellites["s"], heartbeat, {"every_s": 100.0})
    sim.start()
    sim.run()
    products = sim.ledger.products_table()
    delivered = products[products["state"] == "delivered"]
    assert list(delivered["created_s"]) == pytest.approx([100.0 * k for k in range(1, 10)])
    assert (delivered["delivered_s"] - delivered["created_s"]).to_numpy() == pytest.approx(
        0.1 + light("s", "g1"), abs=1e-9)
    assert set(products["kind"]) == {"telemetry"} and products["path"].iloc[0] == "s > g1"


def test_a_user_behaviour_from_the_mission_section_replaces_the_built_in_of_its_role():
    # The same heartbeat chosen by a scenario entry {use: <the function>, params} with its period as "5 min": it runs
    # beside the built-ins; an entry whose role is "imaging" replaces the built-in imaging, so no image is made.
    from constellation.scenario import BehaviourSpec

    sats = {"s": plan(downlink=[(0, 1000, "g1")], targets=[(0, 10, "A", 5.0)])}

    def quiet(agent):
        return
        yield

    quiet.role = "imaging"
    section = MissionSection(policy())
    section.behaviours = [BehaviourSpec(use=heartbeat, params={"every_s": "5 min"}), BehaviourSpec(use=quiet)]
    sim = build_only(sats, section=section)
    sim.start()
    sim.run()
    products = sim.ledger.products_table()
    assert set(products["kind"]) == {"telemetry"}
    assert list(products["created_s"]) == [300.0 * k for k in range(1, 17)]  # every 5 min up to the end at 5000 s


def test_the_lowest_rate_of_a_pass_bounds_every_rate_in_it():
    # Reference: the swarm's link budget at the range between satellite and station at 25 instants across each pass
    # of its day (fleet positions, exact); the bound must not exceed any of them, as it is the rate at the farthest
    # point the satellite could be while in view. It is also a useful bound: within 10x of the pass's worst rate.
    from constellation.access import contact_windows
    from constellation.sim.build import lowest_rates

    scenario = load_scenario("scenarios/soleimani_swarm.yaml")
    fleet, stations = scenario.fleet(), scenario.stations()
    model = scenario.link_config().downlink
    contacts = contact_windows(fleet, stations, 0.0, scenario.duration_s)
    contacts = contacts[contacts["satellite"].isin(members(fleet, None))].reset_index(drop=True)
    low = lowest_rates(fleet, stations, contacts, model)
    ranges = Ranges.of(fleet, stations)
    for k, row in contacts.iterrows():
        times = np.linspace(row["rise_s"], row["set_s"], 25)
        rng = np.array([ranges.range_km(row["satellite"], row["station"], t) for t in times])
        rates = np.asarray(model.rate_bps(rng))
        assert low[k] <= rates.min(), (row["satellite"], row["station"], low[k], rates.min())
        assert low[k] >= rates.min() / 10


def test_a_plan_view_answers_what_is_open_and_what_comes_next():
    # Three passes, by hand: (100, 400) and (300, 500) overlap, (1000, 1500) comes later. At 350 s the first two
    # are open; the next to open after 350 s is the third, and nothing opens after 1000 s. Ends are exclusive.
    w = windows([(100, 400, "g1"), (300, 500, "g2"), (1000, 1500, "g1")])
    assert list(w.open_at(350.0)) == [0, 1] and list(w.open_at(400.0)) == [1] and list(w.open_at(600.0)) == []
    assert w.next_after(350.0) == 2 and w.next_after(50.0) == 0 and w.next_after(1000.0) is None


def test_a_send_along_a_hop_that_does_not_exist_is_refused_before_it_starts():
    # Terminals only send; a satellite sending to one is a mistake in the behaviour, caught before any time passes.
    sim = build_only({"s": plan()}, terminals={"t1": (np.array([]), windows([]), 2048.0, 1, 9600.0)})
    sat, terminal = sim.satellites["s"], sim.terminals["t1"]
    p = sat.make("message", "s", 1e3)
    with pytest.raises(ValueError, match="satellite 's' cannot send to terminal 't1'"):
        next(sat.send(p, terminal, 1e6))
    assert p.state == "on_board" and sim.env.now == 0.0

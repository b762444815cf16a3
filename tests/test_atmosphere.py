"""The atmosphere in ground-link budgets, and ground links' maximum range.

Sources and tolerances:

- ITU-R Study Group 3's validation examples for P.618-13 (total attenuation on an Earth-space path, with its gas,
  cloud, rain and scintillation parts), as ITU-Rpy, the ``itur`` package's project, keeps them for its own tests
  (``test/test_data/618/ITURP618-13_A_total.csv``). Our use of ``itur`` reproduces gas, cloud and scintillation to
  1e-6 dB and rain and the total to 0.03 % (measured: 0.024 %, 0.015 dB of 88 dB; ``itur`` and the ITU
  spreadsheet interpolate the rain maps slightly differently).
- A station's table against direct ``itur`` calls: within 0.02 dB + 0.1 % of the attenuation. Measured over 12,
  20, 30 and 50 GHz, 0.001 % to 1 %, six sites from 64 N to 3 N, 5 to 90 deg: at most 0.018 dB where the
  attenuation is under 40 dB, 0.046 dB (0.06 %) at worst (234 dB: 50 GHz, 0.001 %, Kuala Lumpur).
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from constellation.access import Station, contact_windows
from constellation.atmosphere import Atmosphere, elevation_grid
from constellation.cli import app
from constellation.links import FixedRate, LinkBudget
from constellation.scenario import Scenario, ScenarioError, load_scenario
from constellation.access import within_range
from constellation.topology import LinkConfig, Network

VALIDATION_REL = 3e-4
COMPONENT_DB = 1e-6
TABLE_DB, TABLE_REL = 0.02, 1e-3

# lat, lon, hs (km), f (GHz), el (deg), D (m), eta, tau (deg), p (%), A_gas, A_cloud, A_rain, A_scin, A_total (dB);
# gas and cloud at max(p, 1 %), as P.618 section 2.5 combines them.
ITU_P618_13 = """
51.5,-0.14,0.031382984,14.25,31.07699124,1,0.65,0,0.1,0.226874038,0.455169824,2.185843298,0.422845379,2.901523272
51.5,-0.14,0.031382984,29.0,31.07699124,1,0.65,0,1.0,0.837659939,1.772469073,2.207781995,0.388492522,4.836825478
51.5,-0.14,0.031382984,29.0,31.07699124,1,0.65,0,0.01,0.837659939,1.772469073,23.44440963,0.931864062,26.07175081
51.5,-0.14,0.031382984,29.0,31.07699124,1,0.65,0,0.001,0.837659939,1.772469073,45.19859485,1.350011513,47.82812043
22.9,-43.23,0.0,14.25,22.27833468,1,0.65,0,0.1,0.41148401,0.541832931,8.271672355,1.001043961,9.28165675
22.9,-43.23,0.0,29.0,22.27833468,1,0.65,0,1.0,1.627537069,2.109942403,6.813388372,0.923410291,10.59851911
22.9,-43.23,0.0,29.0,22.27833468,1,0.65,0,0.01,1.627537069,2.109942403,59.62591066,2.214953485,63.40311131
22.9,-43.23,0.0,29.0,22.27833468,1,0.65,0,0.001,1.627537069,2.109942403,83.59982399,3.208850762,87.39734982
3.133,101.7,0.051251456,14.25,85.80459566,1,0.65,90,0.1,0.191742949,0.622118617,11.00143254,0.357851345,11.82080134
9.05,38.7,2.539861878,14.25,20.14335809,1,0.65,90,0.1,0.222223506,0.657652048,5.881076621,0.783500358,6.807726176
3.133,101.7,0.051251456,29.0,85.80459566,1,0.65,90,1.0,0.778114483,2.422581525,10.21312531,0.324868797,13.41799688
9.05,38.7,2.539861878,29.0,20.14335809,1,0.65,90,1.0,0.704136355,2.560951657,3.701587179,0.723521308,7.008331446
3.133,101.7,0.051251456,29.0,85.80459566,1,0.65,90,0.01,0.778114483,2.422581525,83.37841085,0.779251955,86.5826454
9.05,38.7,2.539861878,29.0,20.14335809,1,0.65,90,0.01,0.704136355,2.560951657,35.97040281,1.735486444,39.27455494
3.133,101.7,0.051251456,29.0,85.80459566,1,0.65,90,0.001,0.778114483,2.422581525,96.67505344,1.128919071,99.88217955
9.05,38.7,2.539861878,29.0,20.14335809,1,0.65,90,0.001,0.704136355,2.560951657,45.67422065,2.514236546,49.00479094
"""
ROWS = [tuple(map(float, line.split(","))) for line in ITU_P618_13.split()]
PARTS = {"gas": 9, "cloud": 10, "rain": 11, "scintillation": 12}

TEHRAN = Station("tehran", 35.69, 51.39, 1.2, 10.0)


def ka_budget(exceedance=None, **extra) -> LinkBudget:
    """The Ka-band downlink of docs/links.md: 20 GHz, 200 MHz, EIRP 24 dBW, G/T 22 dB/K."""
    return LinkBudget(20e9, 200e6, tx_power_w=5.0, tx_gain_dbi=17.0, g_over_t_dbk=22.0, losses_db=1.0,
                      pointing_loss_db=0.5, polarization_loss_db=0.2, margin_db=1.0,
                      atmosphere=None if exceedance is None else Atmosphere(exceedance), **extra)


# --- against ITU-R's validation examples --------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS, ids=[f"{r[0]:g}N-{r[3]:g}GHz-{r[8]:g}%" for r in ROWS])
def test_itu_p618_validation_examples(row):
    lat, lon, hs, f, el, d, eta, tau, p = row[:9]
    whole = Atmosphere(p, antenna_diameter_m=d, antenna_efficiency=eta, polarization_tilt_deg=tau)
    got = float(whole.attenuation_db(f * 1e9, lat, lon, hs, el))
    assert got == pytest.approx(row[13], rel=VALIDATION_REL)
    for part, column in PARTS.items():
        alone = dataclasses.replace(whole, components=(part,))
        got = float(alone.attenuation_db(f * 1e9, lat, lon, hs, el))
        if part == "rain":
            assert got == pytest.approx(row[column], rel=VALIDATION_REL), part
        else:
            assert got == pytest.approx(row[column], abs=COMPONENT_DB), part


def test_budget_takes_the_validated_attenuation_off_c_over_n0():
    lat, lon, hs, f, el, d, eta, tau, p = ROWS[2][:9]
    station = Station("london", lat, lon, hs, 5.0)
    atmosphere = Atmosphere(p, antenna_diameter_m=d, antenna_efficiency=eta, polarization_tilt_deg=tau)
    link = LinkBudget(f * 1e9, 10e6, eirp_dbw=10.0, g_over_t_dbk=20.0, atmosphere=atmosphere)
    clear = float(link.cn0_dbhz(1000.0))
    wet = float(link.cn0_dbhz(1000.0, el, station))
    assert clear - wet == pytest.approx(ROWS[2][13], rel=VALIDATION_REL + TABLE_REL, abs=TABLE_DB)


# --- tables against direct calls ----------------------------------------------------------------------------


@pytest.mark.parametrize("exceedance", [1.0, 0.1, 0.01])
def test_table_equals_direct_itur_within_the_interpolation_tolerance(exceedance):
    atmosphere = Atmosphere(exceedance)
    table = atmosphere.table(20e9, TEHRAN)
    elevation = np.unique(np.concatenate([np.linspace(10.0, 90.0, 641), 90.0 - np.geomspace(1e-5, 2.0, 40),
                                          25.0 + np.linspace(-0.05, 0.05, 11)]))
    direct = atmosphere.attenuation_db(20e9, TEHRAN.lat_deg, TEHRAN.lon_deg, TEHRAN.height_km, elevation)
    np.testing.assert_array_less(np.abs(table(elevation) - direct), TABLE_DB + TABLE_REL * direct)
    assert table is atmosphere.table(20e9, TEHRAN)


def test_below_five_degrees_the_attenuation_at_five_holds():
    low = Station("low", TEHRAN.lat_deg, TEHRAN.lon_deg, TEHRAN.height_km, 0.0)
    atmosphere = Atmosphere(0.1)
    assert elevation_grid(0.0)[0] == 5.0 and elevation_grid(12.0)[0] == 12.0
    at_five = float(atmosphere.attenuation_db(20e9, low.lat_deg, low.lon_deg, low.height_km, 5.0))
    assert float(atmosphere.table(20e9, low)(2.0)) == pytest.approx(at_five, abs=1e-12)
    assert float(atmosphere.attenuation_db(20e9, low.lat_deg, low.lon_deg, low.height_km, 0.0)) == at_five


def test_worst_above_bounds_the_table_from_each_elevation_up():
    table = Atmosphere(0.01).table(20e9, TEHRAN)
    fine = np.linspace(10.0, 90.0, 4001)
    values = table(fine)
    for e in (10.0, 40.0, 89.0, 89.99):
        assert float(table.worst_above(e)) == pytest.approx(values[fine >= e].max(), abs=1e-9)


# --- the rate along a pass ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pass_geometry():
    """Range and elevation every second of Khayyam's first pass over Mahdasht in the bundled Ka example."""
    scenario = load_scenario("ka_downlink_rain")
    fleet, stations = scenario.fleet(), scenario.stations()
    mahdasht = next(s for s in stations if s.name == "mahdasht")
    contacts = contact_windows(fleet, stations, 0.0, scenario.duration_s)
    window = contacts[contacts["station"] == "mahdasht"].iloc[0]
    t = np.arange(window.rise_s, window.set_s, 1.0)
    rho = fleet.states(t, np.zeros(len(t), dtype=int), frame="itrs")[0] - mahdasht.itrs
    range_km = np.linalg.norm(rho, axis=1)
    return range_km, np.degrees(np.arcsin(rho @ mahdasht.up / range_km)), mahdasht


def test_rain_lowers_the_rate_along_a_pass_and_more_the_rarer_the_weather(pass_geometry):
    range_km, elevation, station = pass_geometry
    rates = [ka_budget().rate_bps(range_km, elevation, station)]
    for p in (5.0, 1.0, 0.1, 0.01, 0.001):
        rates.append(ka_budget(p).rate_bps(range_km, elevation, station))
    for wetter, drier in zip(rates[1:], rates[:-1]):
        assert np.all(wetter <= drier)
        assert wetter.sum() < drier.sum()
    assert rates[0].min() > 0 and rates[-1].min() == 0.0
    assert np.array_equal(ka_budget(0.1).rate_bps(range_km), rates[0]), "without a station the sky is clear"


def test_lowest_is_a_floor_of_the_pass(pass_geometry):
    range_km, elevation, station = pass_geometry
    link = ka_budget(0.01)
    floor = float(link.rate_bps(range_km.max(), elevation.min(), station, lowest=True))
    assert floor <= link.rate_bps(range_km, elevation, station).min()


def test_pointing_and_polarisation_losses_count_as_losses():
    plain = LinkBudget(20e9, 200e6, eirp_dbw=24.0, g_over_t_dbk=22.0, losses_db=1.7)
    split = LinkBudget(20e9, 200e6, eirp_dbw=24.0, g_over_t_dbk=22.0, losses_db=1.0, pointing_loss_db=0.5,
                       polarization_loss_db=0.2)
    np.testing.assert_allclose(split.cn0_dbhz([600.0, 1500.0]), plain.cn0_dbhz([600.0, 1500.0]), atol=1e-12)
    assert split.max_range_km() == pytest.approx(plain.max_range_km())
    assert "pointing 0.5 dB" in split.describe() and "polarisation 0.2 dB" in split.describe()


def test_one_station_per_elevation():
    link = ka_budget(0.1)
    qeshm = Station("qeshm", 26.76, 55.98, 0.01, 10.0)
    elevation = np.array([15.0, 15.0, 60.0])
    mixed = link.attenuation_db(elevation, [TEHRAN, qeshm, TEHRAN])
    assert mixed[0] == float(link.attenuation_db(15.0, TEHRAN))
    assert mixed[1] == float(link.attenuation_db(15.0, qeshm)) and mixed[1] != mixed[0]
    with pytest.raises(ValueError, match="2 stations for 3 elevations"):
        link.attenuation_db(elevation, [TEHRAN, qeshm])


# --- ground links' maximum range ----------------------------------------------------------------------------


def test_range_limit_zeroes_the_rate_beyond_it():
    fixed = FixedRate(100e6, range_limit_km=1200.0)
    np.testing.assert_array_equal(fixed.rate_bps([1199.0, 1200.0, 1201.0]), [100e6, 100e6, 0.0])
    assert fixed.max_range_km() == 1200.0 and eval(repr(fixed)) == fixed  # noqa: S307 - the repr is the call
    assert fixed.describe() == "fixed 100 Mbit/s up to 1,200 km"
    budget = ka_budget(range_limit_km=1200.0)
    assert budget.max_range_km() == 1200.0 and float(budget.rate_bps(1201.0)) == 0.0
    assert float(budget.rate_bps(1199.0)) == float(ka_budget().rate_bps(1199.0))


@pytest.fixture(scope="module")
def ka_example():
    scenario = load_scenario("ka_downlink_rain")
    network = scenario.network()
    return scenario, network, network.link_plan(0.0, scenario.duration_s)


def test_link_plan_cuts_station_windows_at_the_maximum_range(ka_example):
    scenario, network, plan = ka_example
    limit = scenario.links.downlink.max_range
    contacts = contact_windows(network.fleet, network.stations, 0.0, scenario.duration_s)
    assert len(plan) < len(contacts), "a pass that never comes within range has no window"
    assert plan["max_range_km"].max() <= limit + 1e-3
    for row in plan.itertuples():
        assert row.min_range_km <= limit
        inside = contacts[(contacts["station"] == row.b) & (contacts["rise_s"] <= row.start_s)
                          & (contacts["set_s"] >= row.end_s)]
        assert len(inside) == 1 and row.end_s - row.start_s < float(inside["duration_s"].iloc[0])


def test_within_range_matches_sampled_ranges(ka_example):
    scenario, network, _ = ka_example
    fleet, stations = network.fleet, network.stations
    contacts = contact_windows(fleet, stations, 0.0, scenario.duration_s)
    cut = within_range(fleet, stations, contacts, 1200.0)
    assert within_range(fleet, stations, contacts, math.inf) is contacts
    assert not (contacts["open_at_start"] | contacts["open_at_end"]).any()
    for row in cut.itertuples():
        station = next(s for s in stations if s.name == row.station)
        t = np.array([row.rise_s - 0.01, row.rise_s + 0.01, row.set_s - 0.01, row.set_s + 0.01])
        rng = np.linalg.norm(fleet.states(t, np.zeros(4, dtype=int), frame="itrs")[0] - station.itrs, axis=1)
        assert rng[0] > 1200.0 > rng[1] and rng[2] < 1200.0 < rng[3]
    barely = within_range(fleet, stations, contacts, contacts["min_range_km"].to_numpy() + 0.1)
    assert len(barely) == len(contacts) and barely["duration_s"].between(0.0, 10.0).all()
    far = within_range(fleet, stations, contacts, 1e4)
    assert far[["rise_s", "set_s"]].equals(contacts[["rise_s", "set_s"]])
    one = within_range(fleet, stations, contacts, np.where(contacts["station"] == "qeshm", 1200.0, math.inf))
    others = contacts[contacts["station"] != "qeshm"].reset_index(drop=True)
    assert one[one["station"] != "qeshm"].reset_index(drop=True).equals(others)


def test_graph_and_plan_agree_on_links_and_the_plan_rate_is_a_floor(ka_example):
    scenario, network, plan = ka_example
    limit = scenario.links.downlink.max_range
    busy = plan.iloc[0]
    for t in np.linspace(busy.start_s - 30.0, busy.end_s + 30.0, 41):
        links = network.links_at(t)
        assert np.all(links.range_km[links.kind == "downlink"] <= limit)
        open_now = plan[(plan["start_s"] <= t) & (plan["end_s"] >= t)]
        for k in range(len(links)):
            a, b = network.names[links.i[k]], network.names[links.j[k]]
            row = open_now[(open_now["a"] == a) & (open_now["b"] == b)]
            assert len(row) == 1 and float(row["rate_bps"].iloc[0]) <= links.rate_bps[k]


def test_a_satellite_above_the_mask_but_beyond_the_range_has_no_link(ka_example):
    scenario, network, _ = ka_example
    contacts = contact_windows(network.fleet, network.stations, 0.0, scenario.duration_s)
    first = contacts.iloc[0]
    t = first.rise_s + 5.0
    clear = dataclasses.replace(network.config.downlink, atmosphere=None)
    capped = Network(network.fleet, network.stations, LinkConfig(downlink=clear))
    free = Network(network.fleet, network.stations, LinkConfig(downlink=dataclasses.replace(clear, range_limit_km=None)))
    assert list(free.links_at(t).i) == [0] and free.links_at(t).range_km[0] > clear.range_limit_km
    assert len(capped.links_at(t)) == 0


# --- from a scenario, and bad input -------------------------------------------------------------------------


def test_bundled_example_builds_and_round_trips():
    scenario = load_scenario("ka_downlink_rain")
    link = scenario.link_config().downlink
    assert link.atmosphere == Atmosphere(0.1, antenna_diameter_m=2.4, antenna_efficiency=0.6)
    assert link.range_limit_km == 1200.0 and link.frequency_hz == 20e9
    assert Scenario.from_yaml_text(scenario.to_yaml()) == scenario


BASE = """name: x
epoch: 2026-03-20T00:00:00Z
duration: 1 d
satellites:
  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}
ground_stations:
  - {name: g, latitude: 35 deg, longitude: 51 deg}
links:
  downlink:
    frequency: 20 GHz
    bandwidth: 100 MHz
    eirp_dbw: 20
    g_over_t_dbk: 20
"""


@pytest.mark.parametrize("text", ["0.1 %", "0.1%", "0.1", "1e-3 %"])
def test_exceedance_is_a_percentage(text):
    scenario = Scenario.from_yaml_text(BASE + f"    atmosphere: {{exceedance: '{text}'}}\n")
    assert scenario.link_config().downlink.atmosphere.exceedance_percent == pytest.approx(float(text.rstrip(" %")))


@pytest.mark.parametrize(
    "extra, field, words",
    [
        ("    atmosphere: {exceedance: 10 %}\n", "links.downlink.atmosphere.exceedance", "0.001 % to 5 %"),
        ("    atmosphere: {exceedance: 0.0001 %}\n", "links.downlink.atmosphere.exceedance", "P.618's rain"),
        ("    atmosphere: {exceedance: 60 %, components: [gas, cloud]}\n", "links.downlink.atmosphere.exceedance",
         "0.001 % to 50 %"),
        ("    atmosphere: {exceedance: 1 %, components: [rain, hail]}\n",
         "links.downlink.atmosphere.components[1]", "'rain', 'gas', 'cloud' or 'scintillation'"),
        ("    atmosphere: {exceedance: 1 %, components: [rain, rain]}\n", "links.downlink.atmosphere.components",
         "has rain twice"),
        ("    atmosphere: {exceedance: 1 %, components: []}\n", "links.downlink.atmosphere.components",
         "at least one"),
        ("    atmosphere: {exceedance: 1 km}\n", "links.downlink.atmosphere.exceedance", "not a percentage"),
        ("    atmosphere: {exceedance: 1 %, antenna_diameter: -2 m}\n",
         "links.downlink.atmosphere.antenna_diameter", "greater than 0"),
        ("    pointing_loss_db: -0.5\n", "links.downlink.pointing_loss_db", "greater than or equal to 0"),
        ("    polarization_loss_db: -1 dB\n", "links.downlink.polarization_loss_db", "greater than or equal to 0"),
        ("    max_range: -5 km\n", "links.downlink.max_range", "greater than 0"),
        ("    frequency: 70 GHz\n    atmosphere: {exceedance: 1 %}\n", "links.downlink", "1 to 55 GHz"),
        ("  isl: {policy: line-of-sight, model: {rate: 1 Gbit/s, max_range: 500 km}}\n", "links.isl.model",
         "give isl.max_range"),
        ("  relay: {model: {frequency: 20 GHz, bandwidth: 1 MHz, eirp_dbw: 1, g_over_t_dbk: 1, "
         "atmosphere: {exceedance: 1 %}}}\n", "links.relay.model", "ground links"),
    ],
)
def test_bad_input_exits_2_naming_the_field(tmp_path, extra, field, words):
    text = BASE + extra
    if extra.startswith("    frequency"):
        text = text.replace("    frequency: 20 GHz\n", "")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and "Traceback" not in result.output
    line = next(ln for ln in result.output.splitlines() if field + ":" in ln)
    assert words in line, line


def test_validation_and_the_clear_sky_path_never_import_itur():
    code = ("import sys; from constellation.scenario import load_scenario; s = load_scenario('ka_downlink_rain'); "
            "s.link_config(); from constellation.links import LinkBudget; "
            "LinkBudget(8e9, 1e6, eirp_dbw=1, g_over_t_dbk=1).rate_bps([1e3]); print('itur' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_numpy_error_handling_survives_itur():
    before = np.geterr()
    Atmosphere(0.5).table(12e9, TEHRAN)
    assert np.geterr() == before


def _with_mission(scenario, **downlink_changes):
    """The Ka example with a small imaging mission over Iran, its downlink changed by ``downlink_changes``."""
    data = scenario.model_dump(mode="json")
    data["links"]["downlink"].update(downlink_changes)
    data["mission"] = {"imaging": {"image_size": "20 Gbit", "min_sun_elevation": None, "max_off_nadir": 45,
                                   "targets": [{"name": "tehran", "latitude": 35.69, "longitude": 51.39},
                                               {"name": "isfahan", "latitude": 32.65, "longitude": 51.67},
                                               {"name": "tabriz", "latitude": 38.08, "longitude": 46.29}]}}
    return type(scenario).model_validate(data)


def test_the_mission_sends_within_the_range_cap_at_the_weathered_rate(ka_example):
    """Every downlink hop of the mission starts within the 1,200 km cap (range from our geometry, 1 m), and goes at
    the rate the budget gives for the range and elevation at its start with the 0.1 % weather (the transmission
    time plus light time equals size / that rate + range / c to 1 us); the same mission in clear sky without the
    cap delivers at least as many bits."""
    from constellation.constants import C_KM_S
    from constellation.sim import simulate

    wet = _with_mission(ka_example[0])
    out = simulate(wet)
    hops = out.events[out.events["hop"] == "downlink"]
    assert len(hops) >= 3, "the mission sent too little down to check"
    fleet, stations = wet.fleet(), {s.name: s for s in wet.stations()}
    budget = wet.link_config().downlink
    sizes = dict(zip(out.products["product"], out.products["size_bits"]))
    for hop in hops.itertuples(index=False):
        station = stations[hop.dst]
        los = fleet.positions_itrs(np.array([hop.sent_s]), np.array([fleet.index(hop.src)]))[0] - station.itrs
        range_km = float(np.linalg.norm(los))
        elevation = float(np.degrees(np.arcsin(los @ station.up / range_km)))
        assert range_km <= 1200.0 + 1e-3 and range_km == pytest.approx(hop.range_km, abs=1e-3)
        rate = float(budget.rate_bps(np.array([range_km]), np.array([elevation]), station)[0])
        assert rate > 0
        assert hop.received_s - hop.sent_s == pytest.approx(sizes[hop.product] / rate + range_km / C_KM_S,
                                                             abs=1e-6)
    clear = simulate(_with_mission(ka_example[0], atmosphere=None, max_range=None))
    delivered = out.products[out.products["state"] == "delivered"]["size_bits"].sum()
    assert clear.products[clear.products["state"] == "delivered"]["size_bits"].sum() >= delivered

"""The scenario's ``links`` section: link models, relay switch, and its bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

from constellation.links import FixedRate, LinkBudget, fspl_db
from constellation.scenario import Scenario, ScenarioError, load_scenario

BASE = """
name: x
epoch: 2026-03-20T00:00:00Z
duration: 1 d
satellites:
  - {name: a, orbit: circular, altitude: 500 km, inclination: 53 deg}
ground_stations:
  - {name: g, latitude: 35 deg, longitude: 51 deg}
"""


def load(extra: str) -> Scenario:
    return Scenario.from_yaml_text(BASE + extra)


def problems(extra: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load(extra)
    return str(info.value)


def test_defaults_are_fixed_rates():
    config = load("").link_config()
    assert isinstance(config.downlink, FixedRate) and config.isl_policy == "none"
    assert float(config.downlink.rate_bps(np.array([1000.0]))[0]) == 100e6


def test_rate_units_are_read():
    config = load("links:\n  downlink: {rate: 25 Mbps}\n  isl: {policy: line-of-sight, model: {rate: 2 Gbit/s}}\n"
                  ).link_config()
    assert float(config.downlink.rate_bps(np.array([1.0]))[0]) == 25e6
    assert float(config.isl_model.rate_bps(np.array([1.0]))[0]) == 2e9


def test_budget_from_yaml_matches_free_space_loss():
    config = load(
        "links:\n  downlink:\n    frequency: 8.2 GHz\n    bandwidth: 50 MHz\n    eirp_dbw: 13\n"
        "    g_over_t_dbk: 20\n    losses_db: 3\n"
    ).link_config()
    assert isinstance(config.downlink, LinkBudget)
    # C/N0 = EIRP - FSPL - losses + G/T - 10 log10(k): k = 1.380649e-23 J/K (SI), FSPL from the textbook form.
    expected = 13 - fspl_db(1000.0, 8.2e9) - 3 + 20 - 10 * np.log10(1.380649e-23)
    assert float(config.downlink.cn0_dbhz(np.array([1000.0]))[0]) == pytest.approx(float(expected), abs=1e-9)


def test_relay_can_be_switched_off():
    on = load("relay: {longitude: 53 deg}\n").fleet()
    off = load("relay: {longitude: 53 deg, enabled: false}\n").fleet()
    assert "relay" in on.names and "relay" not in off.names


def test_bundled_swarm_scenarios_differ_only_by_the_relay():
    with_relay = load_scenario("scenarios/soleimani_swarm.yaml")
    without = load_scenario("scenarios/soleimani_swarm_no_relay.yaml")
    assert with_relay.relay.enabled and not without.relay.enabled
    assert with_relay.satellites == without.satellites and with_relay.links == without.links


@pytest.mark.parametrize(
    "extra, field",
    [
        ("links:\n  downlink: {frequency: 8 GHz, bandwidth: -5 MHz, eirp_dbw: 10, g_over_t_dbk: 20}\n",
         "links.downlink"),
        ("links:\n  downlink: {rate: -1 Mbps}\n", "links.downlink"),
        ("links:\n  downlink: {frequency: 8 GHz, bandwidth: 5 MHz}\n", "links.downlink"),
        ("links:\n  isl: {policy: +grid}\n", "links.isl.policy"),
        ("links:\n  isl: {policy: mesh}\n", "links.isl.policy"),
        ("links:\n  feeder: {stations: [nowhere]}\n", "links.feeder.stations[0]"),
        ("links:\n  relay: {channels: 0}\n", "links.relay.channels"),
        ("links:\n  isl: {policy: line-of-sight, max_range: -3 km}\n", "links.isl.max_range"),
        ("links:\n  downlink: {rate: 5 km}\n", "links.downlink"),
    ],
)
def test_bad_links_name_the_field(extra, field):
    text = problems(extra)
    assert field in text, text

"""Units everywhere the public API takes a physical value: scenario fields, times and durations, the Network and
routing methods. Expected values come from astropy's and datetime's own arithmetic, not from the code under test."""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
from datetime import datetime, timedelta, timezone

import astropy.units as u
import numpy as np
import pandas as pd
import pytest
from astropy.time import Time
from pydantic import BaseModel, BeforeValidator, ValidationError

import constellation.scenario as scenario_module
from constellation.routing import ContactPlan, earliest_arrival, earliest_arrivals
from constellation.scenario import (
    Circular,
    Classical,
    Defaults,
    DownlinkSpec,
    Drag,
    AtmosphereSpec,
    FixedRateLink,
    Geostationary,
    GroundStation,
    Imaging,
    IslLinks,
    LinkBudgetSpec,
    Messaging,
    Mission,
    PowerSpec,
    RadiationPressure,
    RandomFaults,
    RegionSpec,
    Relay,
    RelayLinks,
    Scenario,
    ScheduledFault,
    SunSynchronous,
    Swarm,
    TargetSpec,
    Terminal,
    Walker,
    scenario_json_schema,
    to_duration,
    to_seconds,
)
from constellation.scenario.problems import field_unit
from constellation.topology import Network

EPOCH = "2026-03-20T00:00:00Z"
EPOCH_DT = datetime(2026, 3, 20, tzinfo=timezone.utc)


# --- scenario fields ---------------------------------------------------------------------------------------------


def test_power_spec_takes_a_quantity_and_a_string():
    assert PowerSpec(solar_power=30 * u.W).solar_power == 30.0
    assert PowerSpec(solar_power="30 W").solar_power == 30.0
    assert PowerSpec(bus_load="0.5 kW").bus_load == 500.0
    assert PowerSpec(solar_power=0).solar_power == 0.0  # 0 is allowed where it was
    assert PowerSpec().solar_power == 60.0 and PowerSpec().bus_load == 15.0


BUDGET_EIRP = {"frequency": 8.2e9, "bandwidth": 50e6, "eirp_dbw": 13.0, "g_over_t_dbk": 20.0}
BUDGET_PARTS = {"frequency": 8.2e9, "bandwidth": 50e6, "tx_power": 5.0, "tx_gain_dbi": 30.0, "rx_gain_dbi": 40.0,
                "system_noise_temperature": 500.0}
BASE = {
    Defaults: {},
    Classical: {"name": "c", "semi_major_axis": 7000.0},
    Circular: {"name": "c", "altitude": 550.0},
    SunSynchronous: {"name": "s", "altitude": 550.0, "ltan": 10.5},
    Walker: {"name": "w", "total": 6, "planes": 2, "altitude": 550.0, "inclination": 53.0},
    Swarm: {"name": "s", "count": 4, "altitude": 550.0, "inclination": 53.0},
    Geostationary: {"name": "g", "longitude": 0.0},
    Relay: {"longitude": 0.0},
    FixedRateLink: {"rate": 1e6},
    AtmosphereSpec: {"exceedance": 0.1},
    IslLinks: {},
    RelayLinks: {},
    GroundStation: {"name": "g", "latitude": 0.0, "longitude": 0.0},
    TargetSpec: {"name": "t", "latitude": 0.0, "longitude": 0.0},
    RegionSpec: {"name": "r", "lat_min": 0.0, "lat_max": 20.0, "lon_min": 0.0, "lon_max": 20.0},
    Imaging: {},
    Terminal: {"name": "t", "latitude": 0.0, "longitude": 0.0},
    Messaging: {},
    PowerSpec: {},
    DownlinkSpec: {},
    ScheduledFault: {"node": "a", "start": 0.0, "end": 1000.0},
    RandomFaults: {"nodes": ["a"], "mtbf": 1000.0, "mttr": 100.0},
    Mission: {},
    Drag: {},
    RadiationPressure: {},
    Scenario: {"name": "s", "epoch": EPOCH, "duration": 3600.0, "satellites": [{"orbit": "circular", "name": "c",
                                                                                 "altitude": 550.0}]},
}
DB = u.dB(u.one)

# (model, field, value, canonical unit, base kwargs if not BASE[model]): expected = value.to_value(canonical unit).
FIELDS = [
    (Defaults, "min_elevation", 600 * u.arcmin, u.deg),
    (Classical, "semi_major_axis", 7.0e6 * u.m, u.km),
    (Classical, "inclination", 0.9 * u.rad, u.deg),
    (Classical, "raan", 0.5 * u.rad, u.deg),
    (Classical, "arg_perigee", 0.5 * u.rad, u.deg),
    (Classical, "mean_anomaly", 0.5 * u.rad, u.deg),
    (Circular, "altitude", 550_000 * u.m, u.km),
    (Circular, "inclination", 0.9 * u.rad, u.deg),
    (Circular, "raan", 0.5 * u.rad, u.deg),
    (Circular, "arg_latitude", 0.5 * u.rad, u.deg),
    (SunSynchronous, "altitude", 550_000 * u.m, u.km),
    (SunSynchronous, "arg_perigee", 0.5 * u.rad, u.deg),
    (SunSynchronous, "mean_anomaly", 0.5 * u.rad, u.deg),
    (SunSynchronous, "ltan", 630 * u.min, u.h),
    (Swarm, "ltan", 630 * u.min, u.h, {"name": "s", "count": 4, "altitude": 550.0}),
    (Walker, "altitude", 550_000 * u.m, u.km),
    (Walker, "inclination", 0.9 * u.rad, u.deg),
    (Walker, "raan0", 0.5 * u.rad, u.deg),
    (Swarm, "altitude", 550_000 * u.m, u.km),
    (Swarm, "inclination", 0.9 * u.rad, u.deg),
    (Swarm, "raan_spacing", 0.5 * u.rad, u.deg),
    (Swarm, "in_plane_spacing", 1.5 * u.rad, u.deg),
    (Swarm, "phase_offset", 0.1 * u.rad, u.deg),
    (Swarm, "raan0", 0.5 * u.rad, u.deg),
    (Geostationary, "longitude", 0.5 * u.rad, u.deg),
    (Relay, "longitude", 0.5 * u.rad, u.deg),
    (FixedRateLink, "rate", 100 * u.Mbit / u.s, u.bit / u.s),
    (FixedRateLink, "max_range", 1.2e6 * u.m, u.km),
    (AtmosphereSpec, "exceedance", 0.1 * u.percent, u.percent),
    (AtmosphereSpec, "antenna_diameter", 240 * u.cm, u.m),
    (AtmosphereSpec, "polarization_tilt", np.pi / 4 * u.rad, u.deg),
    (AtmosphereSpec, "rain_rate", 0.01 * u.mm / u.s, u.mm / u.h),
    (LinkBudgetSpec, "frequency", 8.2 * u.GHz, u.Hz, BUDGET_EIRP),
    (LinkBudgetSpec, "bandwidth", 50 * u.MHz, u.Hz, BUDGET_EIRP),
    (LinkBudgetSpec, "eirp_dbw", 1 * u.kW, u.dB(u.W), BUDGET_EIRP),
    (LinkBudgetSpec, "eirp_dbw", 13 * u.dB(u.W), u.dB(u.W), BUDGET_EIRP),
    (LinkBudgetSpec, "eirp_dbw", 43 * u.dB(u.mW), u.dB(u.W), BUDGET_EIRP),
    (LinkBudgetSpec, "g_over_t_dbk", 20 * u.dB(1 / u.K), u.dB(1 / u.K), BUDGET_EIRP),
    (LinkBudgetSpec, "g_over_t_dbk", 100 / u.K, u.dB(1 / u.K), BUDGET_EIRP),
    (LinkBudgetSpec, "losses_db", 3 * DB, DB, BUDGET_EIRP),
    (LinkBudgetSpec, "pointing_loss_db", 0.5 * DB, DB, BUDGET_EIRP),
    (LinkBudgetSpec, "polarization_loss_db", 0.2 * DB, DB, BUDGET_EIRP),
    (LinkBudgetSpec, "max_range", 1.2e6 * u.m, u.km, BUDGET_EIRP),
    (LinkBudgetSpec, "margin_db", 1 * DB, DB, BUDGET_EIRP),
    (LinkBudgetSpec, "max_rate", 1 * u.Gbit / u.s, u.bit / u.s, BUDGET_EIRP),
    (LinkBudgetSpec, "tx_power", 5000 * u.mW, u.W, BUDGET_PARTS),
    (LinkBudgetSpec, "tx_gain_dbi", 30 * DB, DB, BUDGET_PARTS),
    (LinkBudgetSpec, "rx_gain_dbi", 40 * DB, DB, BUDGET_PARTS),
    (LinkBudgetSpec, "system_noise_temperature", 0.5 * u.kK, u.K, BUDGET_PARTS),
    (IslLinks, "grazing_altitude", 80_000 * u.m, u.km),
    (IslLinks, "max_range", 5.0e6 * u.m, u.km),
    (IslLinks, "cross_plane_max_latitude", 1.0 * u.rad, u.deg),
    (RelayLinks, "grazing_altitude", 80_000 * u.m, u.km),
    (GroundStation, "latitude", 0.5 * u.rad, u.deg),
    (GroundStation, "longitude", 0.5 * u.rad, u.deg),
    (GroundStation, "height", 1.2 * u.km, u.m),
    (GroundStation, "min_elevation", 600 * u.arcmin, u.deg),
    (TargetSpec, "latitude", 0.5 * u.rad, u.deg),
    (TargetSpec, "longitude", 0.5 * u.rad, u.deg),
    (RegionSpec, "lat_min", 0.1 * u.rad, u.deg),
    (RegionSpec, "lat_max", 0.2 * u.rad, u.deg),
    (RegionSpec, "lon_min", 0.1 * u.rad, u.deg),
    (RegionSpec, "lon_max", 0.2 * u.rad, u.deg),
    (RegionSpec, "spacing", 100_000 * u.m, u.km),
    (Imaging, "max_off_nadir", 0.5 * u.rad, u.deg),
    (Imaging, "min_sun_elevation", 0.1 * u.rad, u.deg),
    (Imaging, "image_size", 1.5 * u.GB, u.bit),
    (Imaging, "capture_time", 0.5 * u.min, u.s),
    (Imaging, "power", 0.04 * u.kW, u.W),
    (Terminal, "latitude", 0.5 * u.rad, u.deg),
    (Terminal, "longitude", 0.5 * u.rad, u.deg),
    (Messaging, "rate", 144 / u.d, 1 / u.h),
    (Messaging, "message_size", 256 * u.byte, u.bit),
    (Messaging, "uplink_rate", 9.6 * u.kbit / u.s, u.bit / u.s),
    (Messaging, "min_elevation", 600 * u.arcmin, u.deg),
    (PowerSpec, "battery", 0.2 * u.kW * u.h, u.W * u.h),
    (PowerSpec, "solar_power", 0.5 * u.kW, u.W),
    (PowerSpec, "bus_load", 15_000 * u.mW, u.W),
    (DownlinkSpec, "transmitter_power", 0.02 * u.kW, u.W),
    (ScheduledFault, "start", 1 * u.min, u.s),
    (ScheduledFault, "end", 2 * u.min, u.s),
    (RandomFaults, "mtbf", 2 * u.h, u.s),
    (RandomFaults, "mttr", 30 * u.min, u.s),
    (Mission, "storage", 64 * u.GB, u.bit),
    (Scenario, "duration", 1 * u.d, u.s),
    (Drag, "mass", 12_000 * u.g, u.kg),
    (Drag, "area", 600 * u.cm**2, u.m**2),
    (Drag, "ballistic_coefficient", 9.1 * u.g / u.cm**2, u.kg / u.m**2),
    (Drag, "exospheric_temperature", 1.2 * u.kK, u.K),
    (RadiationPressure, "mass", 12_000 * u.g, u.kg),
    (RadiationPressure, "area", 600 * u.cm**2, u.m**2),
]
CASES = [(case[0], case[1], case[2], case[3], case[4] if len(case) > 4 else BASE[case[0]]) for case in FIELDS]
IDS = [f"{m.__name__}.{f}={v}" for m, f, v, _, _ in CASES]


@pytest.mark.parametrize("model, field, value, unit, base", CASES, ids=IDS)
def test_every_unit_field_takes_a_quantity(model, field, value, unit, base):
    expected = value.to_value(unit)
    assert getattr(model(**{**base, field: value}), field) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("model, field, value, unit, base", CASES, ids=IDS)
def test_every_unit_field_takes_a_string_with_a_unit(model, field, value, unit, base):
    expected = value.to_value(unit)
    text = value.to_string()
    assert getattr(model(**{**base, field: text}), field) == pytest.approx(expected, rel=1e-12)


def test_strings_as_people_write_them():
    assert PowerSpec(solar_power="0.5 kW").solar_power == 500.0
    assert LinkBudgetSpec(**{**BUDGET_EIRP, "eirp_dbw": "13 dBW"}).eirp_dbw == 13.0
    assert LinkBudgetSpec(**{**BUDGET_EIRP, "eirp_dbw": "1 kW"}).eirp_dbw == pytest.approx(30.0)
    assert LinkBudgetSpec(**{**BUDGET_EIRP, "eirp_dbw": "43 dBm"}).eirp_dbw == pytest.approx(13.0)
    assert LinkBudgetSpec(**{**BUDGET_EIRP, "g_over_t_dbk": "20 dB/K"}).g_over_t_dbk == 20.0
    assert LinkBudgetSpec(**{**BUDGET_PARTS, "tx_gain_dbi": "30 dBi"}).tx_gain_dbi == 30.0
    assert LinkBudgetSpec(**{**BUDGET_EIRP, "losses_db": "3 dB"}).losses_db == 3.0
    assert ScheduledFault(node="a", start=timedelta(minutes=5), end="2 hours").end == 7200.0
    assert Imaging(capture_time="1 min 30 s").capture_time == 90.0


def test_every_field_with_a_unit_is_covered_and_no_plain_float_hides_one():
    covered = {(m.__name__, f) for m, f, *_ in FIELDS}
    dimensionless = {("Classical", "eccentricity"), ("SunSynchronous", "eccentricity"),
                     ("LinkBudgetSpec", "rolloff"), ("PowerSpec", "initial_charge"), ("PowerSpec", "min_charge"),
                     ("Drag", "cd"), ("RadiationPressure", "cr"),
                     ("AtmosphereSpec", "antenna_efficiency")}
    for name, model in vars(scenario_module).items():
        if not (inspect.isclass(model) and issubclass(model, BaseModel)
                and model.__module__.startswith(f"{scenario_module.__name__}.") and not name.startswith("_")):
            continue
        for field, info in model.model_fields.items():
            unit = field_unit(model, field)
            if unit:
                assert (name, field) in covered, f"{name}.{field} ({unit}) has no case in FIELDS"
            elif info.annotation in (float, float | None) and not any(
                isinstance(m, BeforeValidator) for m in info.metadata
            ):
                assert (name, field) in dimensionless, f"{name}.{field} is a plain float: does it have a unit?"


@pytest.mark.parametrize("model, field, default, bound, description", [
    (PowerSpec, "solar_power", 60.0, ("minimum", 0), "Array output in sunlight, W."),
    (PowerSpec, "bus_load", 15.0, ("minimum", 0), "Always-on load, W."),
    (Imaging, "power", 40.0, ("minimum", 0), "Payload power while capturing, W."),
    (DownlinkSpec, "transmitter_power", 20.0, ("minimum", 0), "Transmitter power while sending, W."),
    (LinkBudgetSpec, "losses_db", 0.0, ("minimum", 0), "Ratio in dB, or a string with a unit such as '3 dB'."),
    (LinkBudgetSpec, "margin_db", 0.0, ("minimum", 0), "Ratio in dB, or a string with a unit such as '3 dB'."),
])
def test_converted_fields_keep_default_limit_and_schema(model, field, default, bound, description):
    prop = scenario_json_schema()["$defs"][model.__name__]["properties"][field]
    assert prop["default"] == default
    assert prop["description"] == description
    number, string = prop["anyOf"]
    assert number["type"] == "number" and number[bound[0]] == bound[1]
    assert string == {"type": "string"}
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        model(**{**BASE.get(model, {}), **(BUDGET_EIRP if model is LinkBudgetSpec else {}), field: "-1 " + (
            "dB" if field.endswith("_db") else "W")})


@pytest.mark.parametrize("model, base, field, value, message", [
    (PowerSpec, {}, "solar_power", "30 km", "'30 km' is a length, not a power"),
    (PowerSpec, {}, "bus_load", True, "expected a power"),
    (LinkBudgetSpec, BUDGET_EIRP, "eirp_dbw", "13 dB", "'13 dB' is not a power level in dBW"),
    (LinkBudgetSpec, BUDGET_EIRP, "eirp_dbw", "-5 W", "not above zero"),
    (LinkBudgetSpec, BUDGET_PARTS, "tx_gain_dbi", "3 dB(W)", "not an antenna gain in dBi"),
])
def test_wrong_units_are_refused_clearly(model, base, field, value, message):
    with pytest.raises(ValidationError, match=message):
        model(**{**base, field: value})


# --- exports -----------------------------------------------------------------------------------------------------


# Public in their module for the package's own use, not part of what a scenario is written with.
BUILDING_BLOCKS = {"Model", "UnitMarker", "LineMap", "YamlDumper"}


def test_star_import_exports_every_public_class_and_type():
    exported = set(scenario_module.__all__)
    assert len(exported) == len(scenario_module.__all__), "a name appears twice in __all__"
    assert all(hasattr(scenario_module, name) for name in exported)
    modules = [importlib.import_module(f"{scenario_module.__name__}.{m.name}")
               for m in pkgutil.iter_modules(scenario_module.__path__)]
    assert {m.__name__.rsplit(".", 1)[1] for m in modules} >= {"units", "orbits", "links", "mission", "model",
                                                               "problems", "loading"}
    for module in [scenario_module, *modules]:
        unexported = set() if module is scenario_module else BUILDING_BLOCKS
        classes = {name for name, obj in vars(module).items()
                   if inspect.isclass(obj) and f"{obj.__module__}.".startswith(f"{scenario_module.__name__}.")
                   and not name.startswith("_")}
        assert classes - exported - unexported == set(), module.__name__
        types = {name for name, obj in vars(module).items()
                 if not name.startswith("_") and getattr(obj, "__metadata__", None) is not None}
        assert types - exported == set(), module.__name__
    namespace: dict = {}
    exec("from constellation.scenario import *", namespace)
    for name in ("Mission", "Imaging", "PowerSpec", "Messaging", "Terminal", "TargetSpec", "RegionSpec",
                 "DownlinkSpec", "ScheduledFault", "RandomFaults", "IslLinks", "RelayLinks", "FeederLinks", "Power",
                 "to_seconds", "to_duration"):
        assert name in namespace


# --- to_seconds and to_duration ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (600, 600.0),
    (600.5, 600.5),
    (np.float64(90.0), 90.0),
    ("600", 600.0),
    (10 * u.min, (10 * u.min).to_value(u.s)),
    (1.5 * u.h, (1.5 * u.h).to_value(u.s)),
    (timedelta(hours=6, seconds=3), timedelta(hours=6, seconds=3).total_seconds()),
    (np.timedelta64(90, "s"), 90.0),
    ("10 min", (10 * u.min).to_value(u.s)),
    ("2 days", (2 * u.day).to_value(u.s)),
    ("6 h", (6 * u.h).to_value(u.s)),
    ("90 s", 90.0),
    ("6 hours", (6 * u.h).to_value(u.s)),
    ("1 h 30 min", (1 * u.h + 30 * u.min).to_value(u.s)),
    ("2026-03-20T06:00:00Z", (Time("2026-03-20T06:00:00", scale="utc") - Time(EPOCH[:-1], scale="utc")).sec),
    ("2026-03-20T07:30:00+01:00", (datetime(2026, 3, 20, 6, 30, tzinfo=timezone.utc) - EPOCH_DT).total_seconds()),
    ("2026-03-21", (datetime(2026, 3, 21, tzinfo=timezone.utc) - EPOCH_DT).total_seconds()),
    (datetime(2026, 3, 20, 6, 0, 0), (datetime(2026, 3, 20, 6, tzinfo=timezone.utc) - EPOCH_DT).total_seconds()),
    (datetime(2026, 3, 20, 8, tzinfo=timezone(timedelta(hours=2))),
     (datetime(2026, 3, 20, 6, tzinfo=timezone.utc) - EPOCH_DT).total_seconds()),
    (Time("2026-03-20T06:00:00", scale="utc"), 21600.0),
    (Time("2026-03-20T06:01:09.184", scale="tt"),
     (Time("2026-03-20T06:01:09.184", scale="tt") - Time(EPOCH[:-1], scale="utc")).sec),
    (np.datetime64("2026-03-20T06:00:00"), 21600.0),
])
def test_to_seconds_reads_every_form(value, expected):
    assert to_seconds(value, epoch=EPOCH) == pytest.approx(expected, abs=1e-6)
    assert to_seconds(value, epoch=Time(EPOCH[:-1], scale="utc")) == pytest.approx(expected, abs=1e-6)


def test_to_seconds_counts_leap_seconds_as_astropy_does():
    epoch = Time("2016-12-31T23:00:00", scale="utc")
    expected = (Time("2017-01-01T00:00:00", scale="utc") - epoch).sec
    assert expected == pytest.approx(3601.0)
    assert to_seconds("2017-01-01T00:00:00Z", epoch=epoch) == pytest.approx(expected, abs=1e-6)


def test_relative_forms_need_no_epoch():
    assert to_seconds("10 min") == 600.0
    assert to_seconds(timedelta(minutes=1)) == 60.0
    assert to_seconds(-5.0) == -5.0


@pytest.mark.parametrize("value", ["2026-03-20T06:00:00Z", datetime(2026, 3, 20), Time(EPOCH[:-1], scale="utc")])
def test_an_absolute_time_without_an_epoch_is_a_clear_error(value):
    with pytest.raises(ValueError, match=r"^--at: .* is an absolute time.*needs? the scenario epoch"):
        to_seconds(value, name="--at")


@pytest.mark.parametrize("value, shown", [
    (math.nan, "nan"), (math.inf, "inf"), (-math.inf, "-inf"), ("nan", "'nan'"), (True, "True"), (None, "None"),
    ("5 km", "'5 km'"), (5 * u.km, "'5.0 km'"), ("soon", "'soon'"), ("", "empty string"),
    (np.array([1.0, 2.0]), "array"), ("2026-13-45", "'2026-13-45'"),
])
def test_to_seconds_refuses_what_is_not_a_finite_time(value, shown):
    with pytest.raises(ValueError) as info:
        to_seconds(value, epoch=EPOCH, name="--at")
    message = str(info.value)
    assert message.startswith("--at: ") and shown in message


@pytest.mark.parametrize("value, seconds", [(86400.5, 86400.5), (-1, -1.0), ("25 h", 90000.0),
                                            ("2026-03-19T23:00:00Z", -3600.0), (timedelta(days=2), 172800.0)])
def test_a_time_outside_the_run_is_refused(value, seconds):
    with pytest.raises(ValueError) as info:
        to_seconds(value, epoch=EPOCH, end=86400.0, name="--at")
    message = str(info.value)
    assert message.startswith("--at: ")
    assert f"{seconds:g} s" in message
    assert "is outside the scenario (0 to 86400 s after the epoch" in message


def test_the_run_ends_are_inside_it():
    assert to_seconds(0, epoch=EPOCH, end=86400.0) == 0.0
    assert to_seconds("1 d", epoch=EPOCH, end=86400.0) == 86400.0
    assert to_seconds("2026-03-21T00:00:00Z", epoch=EPOCH, end=86400.0) == pytest.approx(86400.0, abs=1e-6)


@pytest.mark.parametrize("value, expected", [
    (60, 60.0), (0.25, 0.25), ("10 min", 600.0), ("2 days", (2 * u.day).to_value(u.s)), (2 * u.h, 7200.0),
    (timedelta(seconds=90), 90.0), ("90", 90.0),
])
def test_to_duration_reads_every_relative_form(value, expected):
    assert to_duration(value) == pytest.approx(expected)


@pytest.mark.parametrize("value, text", [
    (0, "> 0"), (-5, "> 0"), ("-1 min", "> 0"), (math.nan, "> 0"), (math.inf, "> 0"), (True, "True"),
    ("2026-03-20T00:00:00Z", "point in time"), (datetime(2026, 1, 1), "point in time"), ("5 km", "length"),
])
def test_to_duration_refuses_the_rest(value, text):
    with pytest.raises(ValueError, match=r"^--span STEP: ") as info:
        to_duration(value, name="--span STEP")
    assert text in str(info.value)


# --- Network and routing -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenario():
    """An Iridium-like Walker star (66/6/2 at 780 km, +grid) over two hours, with three stations."""
    return Scenario(
        name="units", epoch=EPOCH, duration="2 h",
        satellites=[Walker(name="w", pattern="star", total=66, planes=6, phasing=2, altitude="780 km",
                           inclination="86.4 deg")],
        ground_stations=[GroundStation(name="london", latitude=51.5, longitude=-0.13),
                         GroundStation(name="new-york", latitude=40.71, longitude=-74.0),
                         GroundStation(name="tehran", latitude=35.7, longitude=51.4)],
        defaults={"min_elevation": 8}, links={"isl": {"policy": "+grid"}},
    )


@pytest.fixture(scope="module")
def net(scenario):
    return scenario.network()


def test_the_scenario_network_knows_its_epoch_and_run(scenario, net):
    assert (net.epoch - scenario.epoch_time).sec == 0.0
    assert net.duration_s == 7200.0


@pytest.mark.parametrize("t", ["10 min", 10 * u.min, timedelta(minutes=10), "2026-03-20T00:10:00Z",
                               datetime(2026, 3, 20, 0, 10), Time("2026-03-20T00:10:00", scale="utc"), 600])
def test_lowest_latency_takes_any_time_form(net, t):
    expected = net.lowest_latency("london", "tehran", 600.0)
    assert expected is not None
    assert net.lowest_latency("london", "tehran", t) == expected


def test_an_iso_time_equals_the_seconds(net):
    a, b = net.links_at("2026-03-20T00:20:00Z"), net.links_at(1200.0)
    for name in ("i", "j", "kind", "range_km", "delay_s", "rate_bps"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert net.graph_at("2026-03-20T00:20:00Z").graph["t_s"] == pytest.approx(1200.0)
    np.testing.assert_array_equal(net.latency_matrix("20 min"), net.latency_matrix(1200.0))


def test_latency_series_takes_arrays_and_lists_of_any_form(net):
    seconds = np.array([0.0, 600.0, 1200.0, 1800.0])
    expected = net.latency_series("london", "new-york", seconds)
    forms = [0, "10 min", timedelta(minutes=20), "2026-03-20T00:30:00Z"]
    for times in (forms, seconds * u.s, (seconds / 60.0) * u.min, Time(EPOCH[:-1], scale="utc") + seconds * u.s,
                  np.datetime64("2026-03-20T00:00:00") + seconds.astype("timedelta64[s]"),
                  seconds.astype("timedelta64[s]"), pd.Series(seconds)):
        got = net.latency_series("london", "new-york", times)
        np.testing.assert_array_equal(got["t_s"], seconds)
        np.testing.assert_array_equal(got["latency_s"], expected["latency_s"])


def test_a_float_array_passes_without_per_time_parsing(net, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("to_seconds called on the fast path")

    monkeypatch.setattr(scenario_module, "to_seconds", refuse)
    net.latency_series("london", "tehran", np.arange(0.0, 7201.0, 1800.0))
    net.lowest_latency("london", "tehran", 3600.0)
    net.latency_matrix(0)


def test_snapshots_take_any_forms(net):
    graphs = list(net.snapshots(["0 s", "1 h", "2026-03-20T02:00:00Z"]))
    assert [g.graph["t_s"] for g in graphs] == pytest.approx([0.0, 3600.0, 7200.0])
    lazy = net.snapshots(t for t in ("30 min",))
    assert next(lazy).graph["t_s"] == 1800.0


@pytest.mark.parametrize("call, message", [
    (lambda n: n.links_at(7201.0), r"^t: 7201 s is outside the scenario \(0 to 7200 s after the epoch"),
    (lambda n: n.graph_at("3 h"), r"^t: '3 h' \(10800 s\) is outside the scenario"),
    (lambda n: n.lowest_latency("london", "tehran", "2026-03-19T23:00:00Z"), r"^t: .*\(-3600 s\) is outside"),
    (lambda n: n.latency_matrix(-1), r"^t: -1 s is outside the scenario"),
    (lambda n: n.latency_series("london", "tehran", np.array([0.0, 60.0, 9000.0])), r"^times\[2\]: 9000 s is out"),
    (lambda n: n.latency_series("london", "tehran", [0, "3 h"]), r"^times\[1\]: '3 h'"),
    (lambda n: n.link_plan(0.0, "3 h"), r"^end_s: '3 h' \(10800 s\) is outside the scenario"),
    (lambda n: n.link_plan("-1 min", 60.0), r"^start_s: '-1 min' \(-60 s\) is outside the scenario"),
    (lambda n: n.links_at(math.nan), r"^t: expected a finite time"),
    (lambda n: n.links_at("5 km"), r"^t: '5 km' is a length, not a time"),
])
def test_a_time_outside_the_run_is_an_error_naming_the_argument(net, call, message):
    with pytest.raises(ValueError, match=message):
        call(net)


def test_a_network_without_a_duration_takes_any_finite_time(scenario):
    fleet = scenario.fleet()
    free = Network(fleet, scenario.stations(), scenario.link_config())
    assert free.duration_s is None
    assert (free.epoch - scenario.epoch_time).sec == 0.0  # the fleet's epoch
    assert free.links_at(1e6).t_s == 1e6 and free.links_at(-60).t_s == -60.0
    assert free.links_at("2026-03-20T00:10:00Z").t_s == pytest.approx(600.0)
    with pytest.raises(ValueError, match="^t: expected a finite time"):
        free.links_at(math.inf)
    bounded = Network(fleet, scenario.stations(), scenario.link_config(), epoch="2026-03-20T01:00:00Z",
                      duration_s="1 h")
    assert bounded.links_at("2026-03-20T01:10:00Z").t_s == pytest.approx(600.0)
    with pytest.raises(ValueError, match="outside the scenario"):
        bounded.links_at("2 h")


def test_link_plan_takes_any_time_form(net):
    expected = net.link_plan(0.0, 900.0)
    pd.testing.assert_frame_equal(net.link_plan("0 s", "15 min"), expected)
    pd.testing.assert_frame_equal(net.link_plan("2026-03-20T00:00:00Z", timedelta(minutes=15)), expected)


PLAN = pd.DataFrame({
    "a": ["s", "r"], "b": ["r", "t"], "start_s": [0.0, 1000.0], "end_s": [500.0, 2000.0], "delay_s": [0.01, 0.02],
    "rate_bps": [1e6, 1e6],
})


@pytest.mark.parametrize("t0", ["5 min", 5 * u.min, timedelta(minutes=5), "2026-03-20T00:05:00Z",
                                datetime(2026, 3, 20, 0, 5)])
def test_store_and_forward_takes_any_time_form(t0):
    expected = earliest_arrival(PLAN, "s", "t", 300.0)
    assert expected is not None and expected.time_s == pytest.approx(1000.02)
    assert earliest_arrival(PLAN, "s", "t", t0, epoch=EPOCH) == expected
    assert ContactPlan(PLAN, epoch=EPOCH, duration_s=3600.0).earliest_arrival("s", "t", t0) == expected
    pd.testing.assert_frame_equal(earliest_arrivals(PLAN, "s", t0, epoch=EPOCH), earliest_arrivals(PLAN, "s", 300.0))


def test_store_and_forward_time_errors():
    with pytest.raises(ValueError, match=r"^t0: .* is an absolute time"):
        earliest_arrival(PLAN, "s", "t", "2026-03-20T00:05:00Z")
    with pytest.raises(ValueError, match=r"^t0: '2 h' \(7200 s\) is outside the scenario \(0 to 3600 s"):
        ContactPlan(PLAN, epoch=EPOCH, duration_s=3600.0).earliest_arrival("s", "t", "2 h")
    assert ContactPlan(PLAN).earliest_arrival("s", "t", 1e6) is None  # no run length: any finite time

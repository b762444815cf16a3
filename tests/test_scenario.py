"""Scenario schema, loading and error reporting."""

import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import astropy.units as u
import pytest
from astropy.time import Time
from pydantic import ValidationError

from constellation.scenario import (
    BUNDLED_DIR,
    Circular,
    Classical,
    GroundStation,
    Problem,
    Relay,
    Scenario,
    ScenarioError,
    SunSynchronous,
    Swarm,
    TLESet,
    Walker,
    bundled_scenarios,
    load_scenario,
    scenario_json_schema,
)

HEAD = """\
name: test
epoch: 2026-03-20T00:00:00Z
duration: 1 d
"""

KHAYYAM_TLE = (BUNDLED_DIR / "tles" / "khayyam.tle").read_text()


def fail(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml_text(text, source="bad.yaml")
    return info.value


def line_of(text: str, fragment: str) -> int:
    """1-based line of the first line of ``text`` that contains ``fragment``."""
    return next(i for i, ln in enumerate(text.splitlines(), 1) if fragment in ln)


def assert_problem(err: ScenarioError, path: str, line: int, *words: str) -> None:
    shown = str(err)
    assert f"bad.yaml:{line}: {path}: " in shown, shown
    problem = next(p for p in err.problems if p.path == path and p.line == line)
    for word in words:
        assert word in problem.message, problem.message


@pytest.mark.parametrize(
    "name, satellites, relays, days",
    [("khayyam", 1, 0, 7), ("soleimani_swarm", 10, 1, 1), ("soleimani_swarm_no_relay", 10, 0, 1),
     ("walker_shell", 1584, 0, 1), ("kuiper_shell", 1156, 0, 1), ("swarm_layout", 10, 1, 1)],
)
def test_bundled_scenario_loads_and_builds_its_fleet(name, satellites, relays, days):
    scenario = load_scenario(name)
    fleet = scenario.fleet()
    kinds = [m.kind for m in fleet.members]
    assert kinds.count("satellite") == satellites
    assert kinds.count("relay") == relays
    assert len(scenario.stations()) >= 3
    assert scenario.duration_s == days * 86400.0
    assert scenario.epoch_time == Time("2026-03-20T00:00:00", scale="utc")


def test_bundled_scenarios_are_listed_and_load_by_path():
    assert {"khayyam", "soleimani_swarm", "walker_shell", "swarm_layout"} <= set(bundled_scenarios())
    assert load_scenario(BUNDLED_DIR / "khayyam.yaml") == load_scenario("khayyam")


@pytest.mark.parametrize("name", ["khayyam", "soleimani_swarm", "walker_shell", "swarm_layout"])
def test_to_yaml_round_trips(name):
    scenario = load_scenario(name)
    assert Scenario.from_yaml_text(scenario.to_yaml()) == scenario


def test_khayyam_assumptions():
    scenario = load_scenario("khayyam")
    (sat,) = scenario.satellites
    assert isinstance(sat, SunSynchronous)
    assert sat.altitude == 510.0 and sat.ltan == 10.5
    assert {s.name for s in scenario.stations()} >= {"mahdasht", "qeshm"}
    assert all(s.min_elevation_deg == 10.0 for s in scenario.stations())
    mahdasht = scenario.stations()[0]
    assert mahdasht.height_km == pytest.approx(1.2)


def test_soleimani_swarm_layout():
    scenario = load_scenario("soleimani_swarm")
    fleet = scenario.fleet()
    assert fleet.names[:2] == ["soleimani-01", "soleimani-02"]
    relay = fleet.members[fleet.index("relay-53e")]
    assert relay.kind == "relay"
    assert relay.orbit.a[0] == pytest.approx(42164.0, abs=10.0)


def test_python_and_yaml_scenarios_are_equal():
    text = HEAD + textwrap.dedent("""\
        defaults: {min_elevation: 5 deg}
        satellites:
          - {name: eo, orbit: sun_synchronous, altitude: 510 km, ltan: "10:30"}
          - {name: sw, orbit: swarm, count: 4, planes: 2, altitude: 0.53 Mm, inclination: 50 deg}
          - {name: wk, orbit: walker, total: 6, planes: 3, phasing: 1, altitude: 550, inclination: 53}
          - {name: ell, orbit: classical, semi_major_axis: 7000 km, eccentricity: 0.01, inclination: 98}
        relay: {longitude: 53 deg}
        ground_stations:
          - {name: tehran, latitude: 35.69, longitude: 51.39, height: 1.2 km}
        """)
    built = Scenario(
        name="test",
        epoch=datetime(2026, 3, 20, tzinfo=timezone.utc),
        duration=24 * u.h,
        defaults={"min_elevation": 5 * u.deg},
        satellites=[
            SunSynchronous(name="eo", altitude=510 * u.km, ltan="10:30"),
            Swarm(name="sw", count=4, planes=2, altitude=530 * u.km, inclination=50 * u.deg),
            Walker(name="wk", total=6, planes=3, phasing=1, altitude=550 * u.km, inclination=53 * u.deg),
            Classical(name="ell", semi_major_axis=7000 * u.km, eccentricity=0.01, inclination=98 * u.deg),
        ],
        relay=Relay(longitude=53 * u.deg),
        ground_stations=[GroundStation(name="tehran", latitude=35.69, longitude=51.39, height=1200 * u.m)],
    )
    assert built == Scenario.from_yaml_text(text)
    fleet = built.fleet()
    assert fleet.names[:3] == ["eo", "sw-01", "sw-02"]
    assert fleet.names[5:8] == ["wk-01-01", "wk-01-02", "wk-02-01"]
    assert fleet.names[-2:] == ["ell", "relay"]
    assert {m.group for m in fleet.members if m.name.startswith("wk")} == {"wk"}


@pytest.mark.parametrize(
    "value, km",
    [("0.51 Mm", 510.0), ("510 km", 510.0), ("510000 m", 510.0), (510, 510.0), ("510", 510.0),
     (510 * u.km, 510.0), (0.51 * u.Mm, 510.0), ("1.5e5 m", 150.0)],
)
def test_lengths_convert_to_km(value, km):
    assert Circular(name="a", altitude=value).altitude == pytest.approx(km)


@pytest.mark.parametrize(
    "value, deg", [("53 deg", 53.0), (53, 53.0), ("1 rad", 57.29577951308232), (0.5 * u.rad, 28.64788975654116),
                   ("3000 arcmin", 50.0)],
)
def test_angles_convert_to_deg(value, deg):
    assert Circular(name="a", altitude=500, inclination=value).inclination == pytest.approx(deg)


@pytest.mark.parametrize("value", ["1 d", "24 h", "1440 min", 86400, 1 * u.day, "86400 s"])
def test_durations_convert_to_seconds(value):
    scenario = Scenario(name="t", epoch="2026-03-20", duration=value, relay=Relay(longitude=0))
    assert scenario.duration_s == pytest.approx(86400.0)


@pytest.mark.parametrize("value", ["1.2 km", 1200, "1200 m", 1.2 * u.km])
def test_station_height_converts_to_metres(value):
    assert GroundStation(name="g", latitude=0, longitude=0, height=value).height == pytest.approx(1200.0)


@pytest.mark.parametrize("value", ["10:30", 10.5, "10.5", "10.5 h", 10.5 * u.h, 157.5 * u.deg])
def test_ltan_forms(value):
    assert SunSynchronous(name="s", altitude=500, ltan=value).ltan == pytest.approx(10.5)


def test_unquoted_ltan_in_yaml_is_a_time_not_a_base_60_number():
    scenario = Scenario.from_yaml_text(HEAD + "satellites:\n  - {name: s, orbit: sun_synchronous, altitude: 500, "
                                              "ltan: 13:30}\n")
    assert scenario.satellites[0].ltan == 13.5


@pytest.mark.parametrize(
    "value",
    ["2026-03-20T00:00:00Z", "2026-03-20T03:30:00+03:30", "2026-03-20", "2026-03-20T00:00:00.0002",
     datetime(2026, 3, 20), datetime(2026, 3, 19, 20, tzinfo=timezone(timedelta(hours=-4))),
     Time("2026-03-20T00:00:00", scale="utc"), Time("2026-03-20T00:01:09.184", scale="tt")],
)
def test_epoch_is_normalised_to_utc(value):
    scenario = Scenario(name="t", epoch=value, duration=1, relay=Relay(longitude=0))
    assert scenario.epoch == "2026-03-20T00:00:00.000"
    assert scenario.epoch_time.scale == "utc"


def test_tle_file_relative_to_the_scenario_folder(tmp_path):
    (tmp_path / "tles").mkdir()
    (tmp_path / "tles" / "k.tle").write_text(KHAYYAM_TLE)
    path = tmp_path / "tle.yaml"
    path.write_text(HEAD + "satellites:\n  - {name: k, orbit: tle, file: tles/k.tle}\n")
    fleet = load_scenario(path).fleet()
    (member,) = fleet.members
    assert member.name == "KHAYYAM-LIKE SSO 510 KM (SYNTHETIC)"
    assert member.model == "sgp4" and member.group == "k"
    assert fleet.semi_major_axes()[0] == pytest.approx(6888.0, abs=15.0)


def test_tle_lines_without_a_name_take_the_entry_name():
    data_lines = KHAYYAM_TLE.splitlines()[1:]
    scenario = Scenario(name="t", epoch="2026-03-20", duration="1 h",
                        satellites=[TLESet(name="k", lines="\n".join(data_lines))])
    assert scenario.fleet().names == ["k-1"]


def test_scenario_script_forms(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("from constellation.scenario import Scenario, Relay\n"
                      "scenario = Scenario(name='s', epoch='2026-03-20', duration='2 h', relay=Relay(longitude=10))\n")
    assert load_scenario(script).duration_s == 7200.0


def test_json_schema():
    schema = scenario_json_schema()
    assert set(schema["required"]) == {"name", "epoch", "duration"}
    assert schema["properties"]["satellites"]["items"]["discriminator"]["propertyName"] == "orbit"
    altitude = schema["$defs"]["Circular"]["properties"]["altitude"]
    assert {"type": "string"} in altitude["anyOf"]
    assert "km" in altitude["description"]
    assert schema["$defs"]["Circular"]["additionalProperties"] is False


def test_import_is_light():
    code = "import sys, constellation.scenario; print(sorted({m.split('.')[0] for m in sys.modules}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "boinor" not in out and "astropy" not in out


LAYERS = ["units", "base", "forces", "orbits", "links", "behaviours", "mission", "model", "problems", "loading"]


@pytest.mark.parametrize("module", LAYERS)
def test_each_module_imports_alone_and_only_the_ones_above_it(module):
    # The package's __init__ is replaced by an empty package, so only the module's own imports run.
    code = textwrap.dedent(f"""
        import importlib, sys, types
        import constellation
        package = types.ModuleType("constellation.scenario")
        package.__path__ = [constellation.__path__[0] + "/scenario"]
        sys.modules["constellation.scenario"] = package
        importlib.import_module("constellation.scenario.{module}")
        print(" ".join(sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("constellation.scenario."))))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(out.split())
    assert module in loaded
    assert loaded <= set(LAYERS[:LAYERS.index(module) + 1])


# Bad inputs: every problem names the field path and the YAML line.


def test_malformed_yaml():
    text = HEAD + "satellites:\n  - {name: a, orbit: circular, altitude: [500}\n"
    err = fail(text)
    (problem,) = err.problems
    assert problem.line == line_of(text, "altitude: [500")
    assert "malformed YAML" in problem.message
    assert f"bad.yaml:{problem.line}: malformed YAML" in str(err)


def test_top_level_must_be_a_mapping():
    err = fail("- name: a\n- name: b\n")
    assert err.problems == [Problem("", err.problems[0].message, 1)]
    assert "mapping" in err.problems[0].message


def test_unknown_key_top_level_and_nested():
    text = HEAD + textwrap.dedent("""\
        colour: red
        defaults:
          speed: 3
        satellites:
          - name: a
            orbit: circular
            altitude: 500
            wobble: 1
        """)
    err = fail(text)
    assert_problem(err, "colour", line_of(text, "colour"), "unknown key 'colour'", "satellites")
    assert_problem(err, "defaults.speed", line_of(text, "speed"), "unknown key", "min_elevation")
    assert_problem(err, "satellites[0].wobble", line_of(text, "wobble"), "unknown key", "arg_latitude")


def test_negative_altitude():
    text = HEAD + "satellites:\n  - name: a\n    orbit: circular\n    altitude: -5 km\n"
    assert_problem(fail(text), "satellites[0].altitude", line_of(text, "-5 km"), "greater than 0", "-5 km")


def test_sub_surface_perigee():
    text = HEAD + "satellites:\n  - name: a\n    orbit: classical\n    semi_major_axis: 6000 km\n"
    assert_problem(fail(text), "satellites[0].semi_major_axis", line_of(text, "6000 km"), "hit the Earth")


def test_eccentricity_of_one_or_more():
    text = HEAD + "satellites:\n  - name: a\n    orbit: classical\n    semi_major_axis: 8000\n    eccentricity: 1\n"
    assert_problem(fail(text), "satellites[0].eccentricity", line_of(text, "eccentricity"), "less than 1")


@pytest.mark.parametrize("value, words", [("90", ("less than 90",)), ("-5 deg", ("greater than or equal to 0",))])
def test_min_elevation_out_of_range(value, words):
    text = HEAD + textwrap.dedent(f"""\
        defaults:
          min_elevation: {value}
        relay: {{longitude: 50}}
        ground_stations:
          - name: g
            latitude: 30
            longitude: 50
            min_elevation: {value}
        """)
    err = fail(text)
    assert_problem(err, "defaults.min_elevation", line_of(text, "  min_elevation"), *words)
    assert_problem(err, "ground_stations[0].min_elevation", line_of(text, "    min_elevation"), *words)


@pytest.mark.parametrize("value", ["0", "-1 d"])
def test_duration_must_be_positive(value):
    text = f"name: t\nepoch: 2026-03-20\nduration: {value}\nrelay: {{longitude: 0}}\n"
    assert_problem(fail(text), "duration", 3, "greater than 0")


def test_tle_with_a_bad_checksum_in_lines():
    name, line1, line2 = KHAYYAM_TLE.splitlines()
    bad2 = line2[:68] + str((int(line2[68]) + 1) % 10)
    text = HEAD + "satellites:\n  - name: k\n    orbit: tle\n    lines: |\n" + "".join(
        f"      {ln}\n" for ln in (name, line1, bad2))
    err = fail(text)
    assert_problem(err, "satellites[0].lines", line_of(text, bad2), "line 3 of the TLE text", "checksum")


def test_tle_file_with_a_bad_checksum(tmp_path):
    name, line1, line2 = KHAYYAM_TLE.splitlines()
    bad1 = line1[:68] + str((int(line1[68]) + 1) % 10)
    (tmp_path / "bad.tle").write_text(f"{name}\n{bad1}\n{line2}\n")
    text = HEAD + "satellites:\n  - name: k\n    orbit: tle\n    file: bad.tle\n"
    with pytest.raises(ScenarioError) as info:
        Scenario.from_yaml_text(text, source="bad.yaml", base_dir=tmp_path)
    assert_problem(info.value, "satellites[0].file", line_of(text, "file:"), "line 2 of", "bad.tle", "checksum")


def test_unknown_orbit_kind():
    text = HEAD + "satellites:\n  - name: a\n    orbit: hyperbolic\n"
    assert_problem(fail(text), "satellites[0]", line_of(text, "- name: a"), "'hyperbolic'", "sun_synchronous", "tle")


def test_missing_orbit_kind():
    text = HEAD + "satellites:\n  - name: a\n    altitude: 500\n"
    assert_problem(fail(text), "satellites[0].orbit", line_of(text, "- name: a"), "walker")


def test_duplicate_names():
    text = HEAD + textwrap.dedent("""\
        satellites:
          - {name: a, orbit: circular, altitude: 500}
          - {name: s, orbit: swarm, count: 3, altitude: 500, inclination: 50}
          - {name: s-02, orbit: circular, altitude: 600}
        relay: {name: a, longitude: 50}
        ground_stations:
          - {name: s-01, latitude: 30, longitude: 50}
        """)
    err = fail(text)
    assert_problem(err, "satellites[2].name", line_of(text, "name: s-02"), "'s-02' (by satellites[1])")
    assert_problem(err, "relay.name", line_of(text, "relay:"), "'a' (by satellites[0])")
    assert_problem(err, "ground_stations[0].name", line_of(text, "name: s-01"), "'s-01'")


def test_duplicate_yaml_key():
    text = HEAD + "duration: 2 d\nrelay: {longitude: 50}\n"
    assert_problem(fail(text), "duration", 4, "twice", "line 3")


def test_wrong_unit_dimension():
    text = HEAD + "satellites:\n  - name: a\n    orbit: circular\n    altitude: 5 s\n"
    assert_problem(fail(text), "satellites[0].altitude", line_of(text, "5 s"), "'5 s' is a time, not a length")


def test_sun_synchronous_at_7000_km_has_no_solution():
    text = HEAD + "satellites:\n  - name: a\n    orbit: sun_synchronous\n    altitude: 7000 km\n    ltan: '10:30'\n"
    assert_problem(fail(text), "satellites[0].altitude", line_of(text, "7000 km"), "no sun-synchronous orbit")


def test_walker_phasing_and_swarm_choice_are_blamed_on_their_fields():
    text = HEAD + textwrap.dedent("""\
        satellites:
          - {name: w, orbit: walker, total: 12, planes: 3, phasing: 3, altitude: 550, inclination: 53}
          - name: s
            orbit: swarm
            count: 4
            altitude: 500
        """)
    err = fail(text)
    assert_problem(err, "satellites[0].phasing", line_of(text, "name: w"), "phasing")
    assert_problem(err, "satellites[1]", line_of(text, "name: s"), "inclination or ltan")


def test_missing_required_keys_point_at_the_parent():
    text = "name: t\nsatellites:\n  - name: a\n    orbit: circular\n"
    err = fail(text)
    assert_problem(err, "epoch", 1, "missing")
    assert_problem(err, "satellites[0].altitude", 3, "missing")


def test_scenario_error_collects_every_problem():
    text = HEAD + textwrap.dedent("""\
        satellites:
          - {name: a, orbit: circular, altitude: -1}
          - {name: b, orbit: classical, semi_major_axis: 7000, eccentricity: 2}
          - {name: c, orbit: sun_synchronous, altitude: 7000, ltan: "10:30"}
        ground_stations:
          - {name: g, latitude: 95, longitude: 0}
        """)
    err = fail(text)
    assert [p.path for p in err.problems] == [
        "satellites[0].altitude", "satellites[1].eccentricity", "satellites[2].altitude", "ground_stations[0].latitude",
    ]
    assert len(str(err).splitlines()) == 4
    assert all(line.startswith("bad.yaml:") for line in str(err).splitlines())


def test_python_built_infeasible_orbit_names_the_field():
    with pytest.raises(ValidationError) as info:
        SunSynchronous(name="s", altitude=7000 * u.km, ltan=10.5)
    assert info.value.errors()[0]["loc"] == ("altitude",)


def test_file_problems(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "absent")
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "absent.yaml")
    (tmp_path / "s.txt").write_text("name: x")
    with pytest.raises(ScenarioError, match="unknown scenario file type"):
        load_scenario(tmp_path / "s.txt")


def test_script_problems(tmp_path):
    raises = tmp_path / "raises.py"
    raises.write_text("import math\n\ndef build():\n    return math.sqrt(-1)\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(raises)
    assert info.value.problems[0].line == 4
    assert f"{raises}:4: the script raised ValueError" in str(info.value)

    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(ScenarioError, match="neither a module-level `scenario` nor a function `build"):
        load_scenario(empty)

    invalid = tmp_path / "invalid.py"
    invalid.write_text("from constellation.scenario import Scenario\n"
                       "scenario = Scenario(name='s', epoch='2026-03-20', duration=-1)\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(invalid)
    assert [p.path for p in info.value.problems] == ["duration"]

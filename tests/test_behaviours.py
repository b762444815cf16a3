"""Choosing behaviours in a scenario: names, import paths and files, their checks, and how they travel as JSON."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest

from constellation.scenario import Scenario, ScenarioError, validate_data
from constellation.sim import Imaging, behaviour, behaviour_names, resolve

BASE = """
name: choose
epoch: 2026-03-20T00:00:00Z
duration: 2 h
satellites:
  - {name: w, orbit: walker, total: 4, planes: 2, phasing: 1, altitude: 550 km, inclination: 53 deg}
ground_stations:
  - {name: tehran, latitude: 35.69 deg, longitude: 51.39 deg}
mission:
  imaging:
    targets: [{name: a, latitude: 30, longitude: 50}]
  behaviours:
"""

QUIET = '''
from constellation.sim import Imaging


class Quiet(Imaging):
    """Imaging that never wants a target."""

    def wants(self, target):
        return False
'''


def scenario_with(entries: str, tmp_path=None):
    return Scenario.from_yaml_text(BASE + entries, base_dir=tmp_path)


def problems(entries: str, tmp_path=None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        scenario_with(entries, tmp_path)
    return [f"{p.path}: {p.message}" for p in info.value.problems]


def test_an_unknown_name_lists_the_known_ones():
    (msg,) = problems("    - {use: imagin}\n")
    assert msg.startswith("mission.behaviours[0].use: no behaviour named 'imagin'; known: ")
    for name in ("imaging", "downlink", "max_weight", "first_come"):
        assert name in msg


def test_an_import_that_fails_names_the_path():
    (msg,) = problems("    - {use: 'no_such_package.mod:Thing'}\n")
    assert "cannot import 'no_such_package.mod'" in msg and "ModuleNotFoundError" in msg
    (msg,) = problems("    - {use: 'constellation.sim:NoSuchThing'}\n")
    assert "module 'constellation.sim' has no 'NoSuchThing'" in msg
    (msg,) = problems("    - {use: 'constellation.sim:Ranges'}\n")
    assert "neither a Behaviour subclass nor a generator function" in msg


def test_nodes_must_exist_and_be_of_a_kind_the_behaviour_binds_to():
    msgs = problems("    - {use: imaging, nodes: [tehran, ww]}\n")
    assert msgs == ["mission.behaviours[0].nodes[0]: 'tehran' is a station; behaviour 'imaging' binds to satellite",
                    "mission.behaviours[0].nodes[1]: no satellite group, satellite, station, relay or terminal named "
                    "'ww'; did you mean w?"]


def test_parameters_are_checked_with_units_and_hints():
    msgs = problems("    - {use: imaging, params: {capture_time: -1 s, image_size: 2 parsecs, captur_time: 3}}\n")
    assert any(m.startswith("mission.behaviours[0].params.capture_time: Input should be greater than 0") for m in msgs)
    assert any(m.startswith("mission.behaviours[0].params.image_size") for m in msgs)
    assert ("mission.behaviours[0].params.captur_time: Imaging has no parameter 'captur_time'; did you mean "
            "capture_time?") in msgs
    ok = scenario_with("    - {use: imaging, params: {capture_time: 2 min}}\n")
    assert ok.mission.behaviours[0].params == {"capture_time": "2 min"}


def test_a_file_next_to_the_scenario_is_found_and_travels_as_an_absolute_path(tmp_path):
    (tmp_path / "quiet.py").write_text(QUIET)
    scenario = scenario_with("    - {use: 'quiet.py:Quiet', nodes: [w]}\n", tmp_path)
    use = scenario.mission.behaviours[0].use
    assert use == f"{(tmp_path / 'quiet.py').resolve()}:Quiet"
    assert issubclass(resolve(use), Imaging) and resolve(use) is resolve(use)
    again = Scenario.model_validate(scenario.model_dump(mode="json"))
    assert again.mission.behaviours[0].use == use
    import constellation

    results = constellation.run(scenario)
    assert results.metrics["products"] == 0  # the only imaging behaviour wants no target


def test_a_class_given_in_python_is_written_out_by_its_import_path():
    data = validate_data({"name": "x", "epoch": "2026-03-20T00:00:00Z", "duration": "1 h",
                          "satellites": [{"name": "s", "orbit": "circular", "altitude": "500 km",
                                          "inclination": "97 deg"}],
                          "mission": {"behaviours": [{"use": Imaging, "params": {"capture_time": "5 s"}}]}},
                         "<python>")
    dumped = data.model_dump(mode="json")["mission"]["behaviours"][0]
    assert dumped["use"] == "constellation.sim.imaging:Imaging"
    assert resolve(dumped["use"]) is Imaging


def test_bad_behaviours_exit_2_from_the_cli_without_a_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BASE + "    - {use: 'missing.py:Nothing'}\n    - {use: downlink, params: {order: random}}\n")
    proc = subprocess.run([sys.executable, "-m", "constellation.cli", "validate", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "mission.behaviours[0].use: no behaviour file" in proc.stderr
    assert "mission.behaviours[1].params.order" in proc.stderr


def test_an_installed_package_names_its_behaviours_through_entry_points(monkeypatch):
    # An entry point in the group "constellation.behaviours" is loaded the first time a name is looked up.
    entry = EntryPoint("imaging_plugin_alias", "constellation.sim.imaging:Imaging", behaviour.ENTRY_POINT_GROUP)
    monkeypatch.setattr(behaviour, "_PLUGINS_LOADED", False)
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group=None: [entry] if group ==
                        behaviour.ENTRY_POINT_GROUP else [])
    monkeypatch.setitem(behaviour._REGISTRY, "imaging", Imaging)
    try:
        assert "imaging_plugin_alias" in behaviour_names()
        assert resolve("imaging_plugin_alias") is Imaging
    finally:
        behaviour._REGISTRY.pop("imaging_plugin_alias", None)


BOOM = '''
def boom(agent, after_s: float = 60.0):
    """Fails a minute into the run."""
    yield agent.env.timeout(after_s)
    raise ValueError("a bad value")
'''


def test_a_behaviour_that_raises_is_named_with_its_agent_time_and_line(tmp_path):
    (tmp_path / "boom.py").write_text(BOOM)
    text = BASE + "    - {use: 'boom.py:boom', nodes: [w-01-01]}\n"
    import constellation
    from constellation.sim import BehaviourFailed

    with pytest.raises(BehaviourFailed) as info:
        constellation.run(scenario_with("    - {use: 'boom.py:boom', nodes: [w-01-01]}\n", tmp_path))
    message = str(info.value)
    assert message.startswith("behaviour boom (role 'boom') on satellite 'w-01-01' raised ValueError at t = 60 s: "
                              "a bad value")
    assert message.endswith(f"({(tmp_path / 'boom.py').resolve()}:5)")
    assert isinstance(info.value.__cause__, ValueError)
    path = tmp_path / "boom.yaml"
    path.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "constellation.cli", "run", str(path), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "behaviour boom (role 'boom') on satellite 'w-01-01' raised ValueError at t = 60 s" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_a_behaviour_must_bind_to_known_agents_and_define_what_it_does():
    from constellation.sim import Behaviour, BehaviourError, Mission, Ranges, Satellite, SatellitePlan, Windows
    from constellation.sim.power import Battery

    class Nowhere(Behaviour):
        agents = ("satelite",)

        def run(self):
            yield self.env.timeout(1)

    with pytest.raises(BehaviourError, match="agents must name some of satellite, station, relay, terminal"):
        resolve(Nowhere)

    class Idle(Behaviour):
        role = "idle"

    sim = Mission(10.0, ranges=Ranges(fixed={}))
    empty = Windows.from_frame(None)
    sat = sim.add(Satellite(sim, "s", SatellitePlan(empty, empty, empty, empty), storage_bits=1e9,
                            battery=Battery(sim.env, 10.0, 1.0, 0.0, 0.0, 0.0)), [Idle])
    with pytest.raises(BehaviourError, match="behaviour Idle applies to satellite 's' but defines no run"):
        sim.start()
    assert sat.behaviour("idle") is not None

"""Scenario script: survey.yaml with the targets under more than 30 % cloud skipped, the behaviour given as the class.

The same mission as clouds.yaml; see compress_script.py for why the class is loaded with ``resolve``.
"""

from pathlib import Path

from constellation.scenario import Scenario, load_scenario
from constellation.sim import resolve

HERE = Path(__file__).resolve().parent
CloudSkippingImaging = resolve(f"{HERE / 'clouds.py'}:CloudSkippingImaging")


def build() -> Scenario:
    data = load_scenario(HERE / "survey.yaml").model_dump(mode="json")
    data["name"] = "behaviour-clouds"
    data["mission"]["behaviours"] = [
        {"use": CloudSkippingImaging, "params": {"cloud_fraction": 0.5, "max_cloud": 0.3, "seed": 7}},
    ]
    return Scenario.model_validate(data)

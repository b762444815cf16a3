"""Scenario script: survey.yaml with each station's passes shared, three products per satellite per pass, the
scheduler given as the class itself.

The same mission as scheduler.yaml; see compress_script.py for why the class is loaded with ``resolve``.
"""

from pathlib import Path

from constellation.scenario import Scenario, load_scenario
from constellation.sim import resolve

HERE = Path(__file__).resolve().parent
PassQuota = resolve(f"{HERE / 'scheduler.py'}:PassQuota")


def build() -> Scenario:
    data = load_scenario(HERE / "survey.yaml").model_dump(mode="json")
    data["name"] = "behaviour-scheduler"
    data["mission"]["behaviours"] = [{"use": PassQuota, "nodes": ["mahdasht", "qeshm"], "params": {"quota": 3}}]
    return Scenario.model_validate(data)

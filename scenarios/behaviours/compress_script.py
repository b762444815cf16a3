"""Scenario script: survey.yaml with every image compressed 4x on board, the behaviour given as the class itself.

The same mission as compress.yaml. ``resolve`` loads compress.py from this script's folder by its path, so the
script runs from any working directory, and the class keeps an import path (``/.../compress.py:CompressedImaging``)
by which a sweep's worker processes load it again.
"""

from pathlib import Path

from constellation.scenario import Scenario, load_scenario
from constellation.sim import resolve

HERE = Path(__file__).resolve().parent
CompressedImaging = resolve(f"{HERE / 'compress.py'}:CompressedImaging")


def build() -> Scenario:
    data = load_scenario(HERE / "survey.yaml").model_dump(mode="json")
    data["name"] = "behaviour-compress"
    data["mission"]["behaviours"] = [
        {"use": CompressedImaging, "params": {"ratio": 4, "processing_time": "2 s", "processing_power": "20 W"}},
    ]
    return Scenario.model_validate(data)

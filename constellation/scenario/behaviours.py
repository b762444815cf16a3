"""Behaviours a scenario chooses: which behaviour, on which agents, with which parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, ValidationInfo, WithJsonSchema, field_validator

from .base import Model
from .units import Name

MAX_BEHAVIOURS = 1000
"""Most entries a scenario's ``mission.behaviours`` may have."""


def _reference(value: Any) -> str:
    if isinstance(value, str):
        return value
    from ..sim.behaviour import import_path

    return import_path(value)


BehaviourRef = Annotated[
    Any,
    PlainSerializer(_reference, return_type=str),
    WithJsonSchema({"type": "string", "description": "A registered behaviour name, 'package.module:Name' or "
                    "'file.py:Name'."}),
]
"""A behaviour: its registered name, its import path ``package.module:Name``, a file ``file.py:Name``, or (in a
Python scenario) the class or generator function itself."""


class BehaviourSpec(Model):
    """A behaviour bound to agents; it takes the place of the built-in behaviour of the same role on them.

    ``use`` is a registered name (``constellation behaviours`` lists them), ``package.module:Name``, or
    ``file.py:Name`` (a file relative to the scenario's folder); in a Python scenario also the class or generator
    function itself. ``nodes`` names satellite groups, satellites, ground
    stations, the relay or terminals (default: every agent of the kinds the behaviour binds to). ``params`` are checked against
    the behaviour's own parameters; those of a built-in role not given come from the mission section.
    """

    use: BehaviourRef
    nodes: list[Name] | None = Field(None, min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("use")
    @classmethod
    def _use(cls, value, info: ValidationInfo):
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("give a behaviour name or 'package.module:Name'")
            if len(value) > 1000:
                raise ValueError(f"a behaviour name of {len(value)} characters; at most 1000")
            where, colon, name = value.rpartition(":")
            if colon and where.endswith(".py"):
                from .orbits import SCRIPT_DIR

                path = Path(where).expanduser()
                if not path.is_absolute():
                    path = Path((info.context or {}).get("base_dir") or SCRIPT_DIR.get() or Path.cwd()) / path
                return f"{path.resolve()}:{name}"
            return value
        if callable(value):
            return value
        raise ValueError(f"a behaviour is a name, 'package.module:Name', a class or a generator function, not "
                         f"{type(value).__name__}")

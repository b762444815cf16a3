"""Behaviours a scenario chooses: which behaviour, on which agents, with which parameters."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainSerializer, WithJsonSchema, field_validator

from .base import Model
from .units import Name

MAX_BEHAVIOURS = 1000
"""Most entries a scenario's ``mission.behaviours`` may have."""


def _reference(value: Any) -> str:
    if isinstance(value, str):
        return value
    return f"{value.__module__}:{value.__qualname__}"


BehaviourRef = Annotated[
    Any,
    PlainSerializer(_reference, return_type=str),
    WithJsonSchema({"type": "string", "description": "A registered behaviour name, or 'package.module:Name'."}),
]
"""A behaviour: its registered name, its import path ``package.module:Name``, or (in a Python scenario) the class or
generator function itself."""


class BehaviourSpec(Model):
    """A behaviour bound to agents; it takes the place of the built-in behaviour of the same role on them.

    ``use`` is a registered name (``constellation behaviours`` lists them) or ``package.module:Name``; in a Python
    scenario also the class or generator function itself. ``nodes`` names satellite groups, satellites, ground
    stations, the relay or terminals (default: every agent of the kinds the behaviour binds to). ``params`` are checked against
    the behaviour's own parameters; those of a built-in role not given come from the mission section.
    """

    use: BehaviourRef
    nodes: list[Name] | None = Field(None, min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("use")
    @classmethod
    def _use(cls, value):
        if isinstance(value, str):
            if not value.strip():
                raise ValueError("give a behaviour name or 'package.module:Name'")
            if len(value) > 300:
                raise ValueError(f"a behaviour name of {len(value)} characters; at most 300")
            return value
        if callable(value):
            return value
        raise ValueError(f"a behaviour is a name, 'package.module:Name', a class or a generator function, not "
                         f"{type(value).__name__}")

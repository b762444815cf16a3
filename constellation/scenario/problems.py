"""Problems: what is wrong with a scenario, where (field path, YAML line), and how pydantic's errors become them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from .base import dotted
from .links import LINK_SLOTS, LINK_TAGS, Relay
from .model import Defaults, GroundStation, Scenario
from .orbits import ORBIT_KINDS
from .units import UnitMarker

if TYPE_CHECKING:
    from .loading import LineMap


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: the field path, what is wrong, and the YAML line (1-based) if known."""

    path: str
    message: str
    line: int | None = None

    def format(self, source: str) -> str:
        """The problem as one line of a report: ``source:line: path: message``."""
        where = f"{source}:{self.line}" if self.line is not None else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario that cannot be loaded; ``problems`` lists everything found wrong, not just the first."""

    def __init__(self, problems: list[Problem], source: str = "<scenario>"):
        super().__init__(list(problems), source)
        self.problems = list(problems)
        self.source = source

    def __str__(self) -> str:
        return "\n".join(p.format(self.source) for p in self.problems)


_NESTED = {("defaults",): Defaults, ("relay",): Relay, ("ground_stations",): GroundStation}


def _owner(loc: tuple) -> type[BaseModel] | None:
    """The model class whose key ``loc[-1]`` is, for a raw pydantic error location."""
    keys = tuple(k for k in loc[:-1] if not isinstance(k, int))
    if not keys:
        return Scenario
    if keys[0] == "satellites":
        return ORBIT_KINDS.get(keys[1]) if len(keys) == 2 else None
    return _NESTED.get(keys)


def field_unit(model: type[BaseModel] | None, field: Any) -> str:
    """The unit a field of ``model`` is stored in, from its annotation ("" when it has none)."""
    if model is None or field not in model.model_fields:
        return ""
    info = model.model_fields[field]
    stack = [info.annotation, *info.metadata]
    while stack:
        item = stack.pop()
        if isinstance(item, UnitMarker):
            return item.unit
        stack += list(getattr(item, "__metadata__", ())) + list(getattr(item, "__args__", ()) or ())
    return ""


def _got(value: Any, unit: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g} {unit}".rstrip()
    return repr(value)


def _message(err: dict) -> str:
    kind, loc, ctx = err["type"], err["loc"], err.get("ctx") or {}
    kinds = ", ".join(ORBIT_KINDS)
    if kind == "scenario":
        return ctx.get("reason", err["msg"])
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        model = _owner(loc)
        allowed = f"; allowed keys here: {', '.join(model.model_fields)}" if model else ""
        return f"unknown key {loc[-1]!r}{allowed}"
    if kind == "union_tag_invalid":
        return f"unknown orbit kind {ctx.get('tag')!r}; the orbit kinds are: {kinds}"
    if kind == "union_tag_not_found":
        return f"required key is missing: the orbit kind, one of {kinds}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys (got {_got(err.get('input'), '')})"
    msg = re.sub(r"^(Input|Value) should be", "must be", err["msg"])
    value = err.get("input")
    if isinstance(value, (str, int, float, bool)) or value is None:
        unit = field_unit(_owner(loc), loc[-1]) if loc else ""
        msg += f" (got {_got(value, unit)})"
    return msg


def problems_from(exc: ValidationError, lines: LineMap | None) -> list[Problem]:
    """The problems of a pydantic error raised while validating a scenario, with their YAML lines when ``lines``."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = loc[:2] + loc[3:] if len(loc) >= 3 and loc[0] == "satellites" and loc[2] in ORBIT_KINDS else loc
        path = tuple(p for k, p in enumerate(path) if not (p in LINK_TAGS and k > 0 and path[k - 1] in LINK_SLOTS))
        if err["type"] == "union_tag_not_found":
            path += ("orbit",)
        ctx = err.get("ctx") or {}
        line = lines.line(path, ctx.get("tle_line")) if lines is not None else None
        out.append(Problem(dotted(path), _message(err), line))
    return out

"""Behaviours: SimPy processes bound to an agent, the registry of their names, and how a scenario names one.

A behaviour is a class derived from ``Behaviour`` whose ``run`` is a generator yielding what it waits for, or a plain
generator function ``fn(agent, **params)``. Each has a ``role``: on an agent, a behaviour given in the scenario
takes the place of the built-in behaviour of the same role, and one of a new role runs beside the built-ins.
Parameters are a pydantic model (``Params``), checked when the scenario is read.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any, Callable, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["AGENT_KINDS", "ENTRY_POINT_GROUP", "Behaviour", "BehaviourError", "BehaviourFailed", "FunctionBehaviour",
           "NoParams",
           "as_behaviour", "behaviour_names", "check_params", "import_path", "register", "resolve"]

AGENT_KINDS = ("satellite", "station", "relay", "terminal")
"""The kinds of agent a behaviour can be bound to."""


class BehaviourError(ValueError):
    """A behaviour that cannot be found, imported or given its parameters."""


class BehaviourFailed(RuntimeError):
    """A behaviour raised while the mission ran: which one, on which agent, when, and where in its code (the
    original exception is the ``__cause__``)."""


class NoParams(BaseModel):
    """Parameters of a behaviour that takes none."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Behaviour:
    """A SimPy process bound to one agent: subclass it, set ``role`` and ``agents``, and write ``run``, a generator
    method (a behaviour that only answers questions, such as a station scheduler, has none and does not apply).

    ``self.agent`` is the agent (``Satellite``, ``GroundStation``, ``Relay`` or ``Terminal``), ``self.env`` its
    SimPy environment and ``self.params`` the validated ``Params``. ``applies()`` says whether the behaviour has
    anything to do on its agent (no process is started when it has not).
    """

    role: ClassVar[str] = ""
    agents: ClassVar[tuple[str, ...]] = ("satellite",)
    Params: ClassVar[type[BaseModel]] = NoParams

    def __init__(self, agent, params: BaseModel | dict | None = None):
        self.agent = agent
        self.env = agent.env
        self.params = params if isinstance(params, self.Params) else check_params(type(self), params)
        self.process = None

    def applies(self) -> bool:
        return True

    def start(self) -> None:
        """Bind to the agent: start ``run`` as a SimPy process if the behaviour applies."""
        if self.applies():
            if not hasattr(self, "run"):
                raise BehaviourError(f"behaviour {type(self).__name__} applies to {self.agent.kind} "
                                     f"{self.agent.name!r} but defines no run()")
            self.process = self.spawn(self.run())

    def spawn(self, generator):
        """Start another process of this behaviour (e.g. one per product); what it raises names the behaviour."""
        return self.env.process(self._guarded(generator))

    def _guarded(self, generator):
        try:
            return (yield from generator)
        except BehaviourFailed:
            raise
        except Exception as exc:  # noqa: BLE001 -- a user's code may raise anything; it is reported with its place
            raise BehaviourFailed(self._failure(exc)) from exc

    def _failure(self, exc: Exception) -> str:
        import traceback

        frames = traceback.extract_tb(exc.__traceback__)
        where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
        return (f"behaviour {type(self).__name__} (role {self.role!r}) on {self.agent.kind} {self.agent.name!r} "
                f"raised {type(exc).__name__} at t = {self.env.now:g} s: {exc}{where}")


class FunctionBehaviour(Behaviour):
    """A generator function ``fn(agent, **params)`` as a behaviour; its keyword arguments are its parameters."""

    fn: ClassVar[Callable]

    def run(self):
        return type(self).fn(self.agent, **self.params.model_dump())


_REGISTRY: dict[str, type[Behaviour]] = {}


def register(name: str) -> Callable[[type[Behaviour]], type[Behaviour]]:
    """Class decorator: make a behaviour available to scenarios under ``name``."""

    def add(cls: type[Behaviour]) -> type[Behaviour]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise BehaviourError(f"a behaviour is already registered as {name!r}: {import_path(_REGISTRY[name])}")
        _REGISTRY[name] = cls
        cls.registered_name = name
        return cls

    return add


def behaviour_names() -> list[str]:
    """Registered behaviour names, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


def import_path(obj: Any) -> str:
    """``module:QualName`` of a class or function; ``file.py:QualName`` for one defined in a file loaded by path (a
    behaviour file, a scenario script) that no import would find."""
    import sys

    module = sys.modules.get(obj.__module__)
    file = getattr(module, "__file__", None) if module is not None else _defining_file(obj)
    if file and (module is None or obj.__module__ == "__main__"
                 or obj.__module__.startswith("constellation_behaviours_")):
        return f"{file}:{obj.__qualname__}"
    return f"{obj.__module__}:{obj.__qualname__}"


def _defining_file(obj: Any) -> str | None:
    """The file a class or function was defined in, from its code (for modules that are not in ``sys.modules``,
    such as a scenario script run by path)."""
    code = getattr(obj, "__code__", None)
    if code is None and isinstance(obj, type) and issubclass(obj, FunctionBehaviour):
        code = obj.fn.__code__
    if code is None and isinstance(obj, type):
        code = next((f.__code__ for f in vars(obj).values() if hasattr(f, "__code__")), None)
    return code.co_filename if code is not None else None


ENTRY_POINT_GROUP = "constellation.behaviours"
"""Entry-point group through which an installed package makes its behaviours known by name: each entry point is
loaded (importing its module registers the names it defines) the first time a name is looked up."""

_PLUGINS_LOADED = False


def _load_builtins() -> None:
    global _PLUGINS_LOADED
    from . import downlink, imaging, isl, messaging, power, relay, scheduling  # noqa: F401

    if _PLUGINS_LOADED:
        return
    _PLUGINS_LOADED = True
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except (Exception, SystemExit) as exc:  # noqa: BLE001 -- a broken plugin is reported, not raised
            raise BehaviourError(f"cannot load behaviour plugin {entry.name!r} ({entry.value}): "
                                 f"{type(exc).__name__}: {exc}") from None
        if isinstance(loaded, type) and issubclass(loaded, Behaviour) and entry.name not in _REGISTRY:
            register(entry.name)(loaded)


def as_behaviour(obj: Any) -> type[Behaviour]:
    """A ``Behaviour`` subclass from a class or a generator function (wrapped, its keywords as ``Params``)."""
    if isinstance(obj, type) and issubclass(obj, Behaviour):
        cls = obj
    elif inspect.isgeneratorfunction(obj):
        cls = _wrap(obj)
    else:
        raise BehaviourError(f"{obj!r} is neither a Behaviour subclass nor a generator function fn(agent, **params)")
    unknown = [k for k in cls.agents if k not in AGENT_KINDS]
    if unknown or not cls.agents:
        raise BehaviourError(f"{import_path(obj)}: agents must name some of {', '.join(AGENT_KINDS)} (got "
                             f"{', '.join(map(repr, cls.agents)) or 'none'})")
    return cls


_WRAPPED: dict[Callable, type[Behaviour]] = {}


def _wrap(fn: Callable) -> type[Behaviour]:
    if fn in _WRAPPED:
        return _WRAPPED[fn]
    from pydantic import create_model

    try:
        sig = inspect.signature(fn, eval_str=True)
    except NameError as exc:
        raise BehaviourError(f"{import_path(fn)}: an annotation names something undefined: {exc}") from None
    params = list(sig.parameters.values())
    if not params or params[0].kind not in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        raise BehaviourError(f"{import_path(fn)}: a behaviour function takes its agent as its first argument")
    fields = {}
    for p in params[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise BehaviourError(f"{import_path(fn)}: parameters must be named (no *args or **kwargs)")
        annotation = Any if p.annotation is p.empty else p.annotation
        fields[p.name] = (annotation, ... if p.default is p.empty else p.default)
    model = create_model(f"{fn.__name__}_params", __config__=ConfigDict(extra="forbid", frozen=True), **fields)
    cls = type(fn.__name__, (FunctionBehaviour,), {
        "fn": staticmethod(fn), "Params": model, "__doc__": fn.__doc__, "__module__": fn.__module__,
        "__qualname__": fn.__qualname__, "role": getattr(fn, "role", fn.__name__),
        "agents": tuple(getattr(fn, "agents", ("satellite",))),
    })
    _WRAPPED[fn] = cls
    return cls


def resolve(use: Any) -> type[Behaviour]:
    """The behaviour ``use`` names: a registered name, ``package.module:Name``, a class or a generator function."""
    if not isinstance(use, str):
        return as_behaviour(use)
    _load_builtins()
    if ":" not in use:
        if use in _REGISTRY:
            return _REGISTRY[use]
        raise BehaviourError(f"no behaviour named {use!r}; known: {', '.join(sorted(_REGISTRY))}, or give "
                             "'package.module:Name'")
    module_name, _, attr = use.rpartition(":")
    if not module_name or not attr:
        raise BehaviourError(f"{use!r}: an import path is 'package.module:Name' or 'file.py:Name'")
    try:
        module = _load_file(module_name) if module_name.endswith(".py") else importlib.import_module(module_name)
    except BehaviourError:
        raise
    except (Exception, SystemExit) as exc:  # noqa: BLE001 -- any failure of a user's module is reported
        raise BehaviourError(f"cannot import {module_name!r} for behaviour {use!r}: {type(exc).__name__}: {exc}"
                             ) from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise BehaviourError(f"module {module_name!r} has no {attr!r} (behaviour {use!r})")
        obj = getattr(obj, part)
    return as_behaviour(obj)


def _load_file(path: str):
    """The module of a Python file, loaded once (it stays in ``sys.modules`` under a name made from its resolved
    path); a relative path is taken from the folder of the scenario script being run, else the working folder."""
    import hashlib
    import importlib.util
    import sys
    from pathlib import Path

    file = Path(path).expanduser()
    if not file.is_absolute():
        from ..scenario.orbits import SCRIPT_DIR

        file = (SCRIPT_DIR.get() or Path.cwd()) / file
    file = file.resolve()
    if not file.is_file():
        raise BehaviourError(f"no behaviour file {str(file)!r}")
    name = f"constellation_behaviours_{file.stem}_{hashlib.sha1(str(file).encode()).hexdigest()[:10]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def check_params(cls: type[Behaviour], params: dict | None) -> BaseModel:
    """``params`` validated by the behaviour's ``Params``; pydantic's ValidationError if they do not fit.

    A name the ``Params`` model has no field for is refused even when the model itself would ignore it, with the
    closest field names as a hint.
    """
    from pydantic_core import InitErrorDetails, PydanticCustomError

    from ..scenario.base import did_you_mean

    params = dict(params or {})
    fields = cls.Params.model_fields
    details = []
    for key in [k for k in params if k not in fields]:
        hint = did_you_mean(key, fields) or (f"; it takes {', '.join(fields)}" if fields else "; it takes none")
        details.append(InitErrorDetails(type=PydanticCustomError(
            "unknown_parameter", "{name} has no parameter '{key}'{hint}",
            {"name": cls.__name__, "key": str(key), "hint": hint}), loc=(key,), input=params.pop(key)))
    try:
        model = cls.Params.model_validate(params)
    except ValidationError as exc:
        details = [InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"], **({"ctx": e["ctx"]}
                   if "ctx" in e else {})) for e in exc.errors()] + details
    if details:
        raise ValidationError.from_exception_data(cls.Params.__name__, details)
    return model


"""The plan of a sweep: its parameter space sampled into points and seeds, each point resolved into a scenario.

Parameters are dotted paths into the scenario: mapping keys, list indices (``satellites.0.planes``) and, inside a
list, the ``name`` of one of its elements (``satellites.soleimani.planes``). A first segment that is not a key of
the scenario but names an element of a top-level list (``satellites``, ``ground_stations``) selects that element,
so ``soleimani.planes`` and ``mahdasht.min_elevation`` work too; a scenario key always wins over a name. Every
run's scenario is validated here, before anything runs.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import SweepError
from .table import RESERVED_COLUMNS

__all__ = ["METHODS", "Plan", "SweepRun", "canonical_json", "make_plan", "resolve_path", "scenario_json",
           "sweep_runs"]

METHODS = ("grid", "random", "latin_hypercube")
"""How a sweep samples its parameter space: every combination, random draws, or a Latin hypercube."""


@dataclass
class SweepRun:
    """One run of a sweep: its key, the parameter values as given, the mission seed and the validated scenario.

    ``overrides`` maps canonical paths (``satellites.0.planes``) to values; ``key`` hashes them with the seed.
    """

    key: str
    params: dict
    seed: int | None
    overrides: dict
    scenario: Any


@dataclass
class Plan:
    """A whole sweep before it runs: the base scenario (and its portable JSON form), the parameter names as given,
    the runs in order, and ``space``, the JSON record of the method, values or ranges, samples, seeds and rng."""

    base: Any
    base_data: dict
    names: list[str]
    runs: list[SweepRun]
    space: dict


def sweep_runs(scenario, parameters: Mapping[str, Any] | None = None, *, method: str = "grid",
               samples: int | None = None, seeds: int | Sequence[int] | None = None, rng: int = 0) -> list[SweepRun]:
    """The runs of a sweep, in order, each with its validated scenario (see ``sweep`` for the arguments)."""
    return make_plan(scenario, parameters, method, samples, seeds, rng).runs


def make_plan(scenario, parameters: Mapping[str, Any] | None, method: str = "grid", samples: int | None = None,
              seeds: int | Sequence[int] | None = None, rng: int = 0) -> Plan:
    """The plan of a sweep (see ``sweep`` for the arguments); a ``SweepError`` for anything wrong in them."""
    from ..scenario import Scenario, load_scenario

    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    base_data = scenario_json(base)
    if method not in METHODS:
        raise SweepError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    parameters = dict(parameters or {})
    for name in parameters:
        if not isinstance(name, str):
            raise SweepError(f"parameter names are dotted paths as strings (got {name!r})")
        if name in RESERVED_COLUMNS:
            raise SweepError(f"parameter {name!r}: that name is a column of the results table; give the full path")
    specs = {name: _spec(name, spec, method) for name, spec in parameters.items()}
    paths = {name: resolve_path(base_data, name) for name in parameters}
    by_path: dict[tuple, str] = {}
    for name, path in paths.items():
        if path in by_path:
            raise SweepError(f"parameters {by_path[path]!r} and {name!r} are the same field ({_dotted(path)})")
        by_path[path] = name
    seed_list = _seeds(seeds, base, by_path)
    points = _points(specs, method, samples, rng)
    runs = []
    validated: dict[str, Any] = {}
    for point in points:
        overrides = {".".join(map(str, paths[n])): v for n, v in point.items()}
        token = canonical_json(overrides)
        if token not in validated:
            validated[token] = _validated(base_data, point, paths)
        sc = validated[token]
        for s in seed_list:
            run_sc = sc if s is None else sc.model_copy(update={"mission": sc.mission.model_copy(update={"seed": s})})
            seed = run_sc.mission.seed if run_sc.mission is not None else None
            key = hashlib.sha256(canonical_json({"overrides": overrides, "seed": seed}).encode()).hexdigest()[:16]
            runs.append(SweepRun(key, dict(point), seed, overrides, run_sc))
    space = {
        "method": method,
        "parameters": {n: _spec_json(s) for n, s in specs.items()},
        "samples": samples if method != "grid" else None,
        "seeds": seed_list if seeds is not None else None,
        "rng": rng if method != "grid" else None,
    }
    return Plan(base, base_data, list(parameters), runs, space)


def resolve_path(data: Mapping, path: str) -> tuple:
    """The canonical key path (``('satellites', 0, 'planes')``) of a dotted parameter path in a scenario's JSON form."""
    if not isinstance(path, str) or not path or any(not s for s in path.split(".")):
        raise SweepError(f"parameter {path!r}: expected a dotted path such as 'satellites.0.planes'")
    node: Any = data
    out: list = []
    for i, seg in enumerate(path.split(".")):
        where = _dotted(tuple(out)) or "the scenario"
        if isinstance(node, Mapping):
            if seg in node:
                out.append(seg)
                node = node[seg]
                continue
            if i == 0:
                hits = [(k, j) for k, v in data.items() if isinstance(v, list)
                        for j, e in enumerate(v) if isinstance(e, Mapping) and e.get("name") == seg]
                if len(hits) == 1:
                    out += list(hits[0])
                    node = data[hits[0][0]][hits[0][1]]
                    continue
                if len(hits) > 1:
                    raise SweepError(f"parameter {path!r}: {seg!r} names more than one element "
                                     f"({', '.join(_dotted(h) for h in hits)}); give the full path")
            import difflib

            close = difflib.get_close_matches(seg, list(node), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; keys there: {', '.join(node)}"
            raise SweepError(f"parameter {path!r}: {where} has no key {seg!r}{hint}")
        if isinstance(node, list):
            if seg.isdigit():
                idx = int(seg)
                if idx >= len(node):
                    raise SweepError(f"parameter {path!r}: {where} has {len(node)} entries, so no index {idx}")
            else:
                named = [j for j, e in enumerate(node) if isinstance(e, Mapping) and e.get("name") == seg]
                if len(named) != 1:
                    known = ", ".join(str(e.get("name")) for e in node if isinstance(e, Mapping) and "name" in e)
                    raise SweepError(f"parameter {path!r}: {where} is a list with no entry named {seg!r} "
                                     f"(give an index 0..{len(node) - 1}" + (f" or a name: {known})" if known else ")"))
                idx = named[0]
            out.append(idx)
            node = node[idx]
            continue
        if node is None:
            raise SweepError(f"parameter {path!r}: {where} is not set in the scenario, so it has no {seg!r}")
        raise SweepError(f"parameter {path!r}: {where} is a value ({node!r}), not a section with {seg!r}")
    return tuple(out)


def canonical_json(obj: Any) -> str:
    """``obj`` as compact JSON with sorted keys: the same data always gives the same text, and so the same hash."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def scenario_json(scenario) -> dict:
    """A scenario's JSON form with TLE and OMM files read into the entry (``lines``, ``text``), so that a worker
    elsewhere needs no files (an OEM stays a path: its states are the satellite)."""
    data = scenario.model_dump(mode="json")
    inline = {"tle": "lines", "omm": "text"}
    for e in data.get("satellites") or []:
        key = inline.get(e.get("orbit"))
        if key and e.get("file"):
            e[key], e["file"] = Path(e["file"]).read_text(), None
    return data


def _dotted(path: tuple) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _plain(value: Any, where: str) -> Any:
    """``value`` as plain JSON data: numpy scalars as Python numbers, Quantities as strings with their unit."""
    if isinstance(value, np.generic):
        value = value.item()
    if hasattr(value, "unit") and hasattr(value, "value") and np.ndim(value.value) == 0:
        return f"{float(value.value)!r} {value.unit.to_string()}"
    if isinstance(value, Mapping):
        return {str(k): _plain(v, where) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, where) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SweepError(f"parameter {where!r}: {value!r} is not a finite number")
        return value
    raise SweepError(f"parameter {where!r}: cannot use a {type(value).__name__} ({value!r}) as a scenario value")


def _is_number(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _spec(name: str, spec: Any, method: str) -> tuple:
    if isinstance(spec, tuple):
        if len(spec) != 2 or not all(_is_number(v) for v in spec):
            raise SweepError(f"parameter {name!r}: a tuple is a (low, high) range of two numbers (got {spec!r}); "
                             "give a list for a set of values")
        if method == "grid":
            raise SweepError(f"parameter {name!r}: a (low, high) range needs method 'random' or 'latin_hypercube'; "
                             "a grid takes a list of values")
        low, high = (_plain(v, name) for v in spec)
        if not low < high:
            raise SweepError(f"parameter {name!r}: the range needs low < high (got {spec!r})")
        return ("range", low, high)
    values = list(spec) if isinstance(spec, (list, np.ndarray, range)) else [spec]
    if not values:
        raise SweepError(f"parameter {name!r}: no values given")
    return ("values", [_plain(v, name) for v in values])


def _spec_json(spec: tuple) -> Any:
    return {"low": spec[1], "high": spec[2]} if spec[0] == "range" else spec[1]


def _seeds(seeds, base, by_path) -> list:
    if seeds is None:
        return [None]
    if base.mission is None:
        raise SweepError("seeds: the scenario has no mission section, so nothing in its runs is random; "
                         "leave seeds out")
    if ("mission", "seed") in by_path:
        raise SweepError(f"seeds and parameter {by_path[('mission', 'seed')]!r} both set mission.seed; give one")
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        if seeds < 1:
            raise SweepError(f"seeds must be >= 1 (got {seeds})")
        return list(range(int(seeds)))
    try:
        out = [int(s) for s in seeds if _is_number(s) and int(s) == s]
    except TypeError:
        out = []
    if not out or len(out) != len(list(seeds)) or len(set(out)) != len(out):
        raise SweepError(f"seeds must be a count K (seeds 0..K-1) or a list of distinct whole numbers (got {seeds!r})")
    return out


def _points(specs: dict, method: str, samples, rng) -> list[dict]:
    names = list(specs)
    if method == "grid":
        if samples is not None:
            raise SweepError("samples: a grid runs every combination of the values; samples is for the random and "
                             "latin_hypercube methods")
        return [dict(zip(names, combo)) for combo in itertools.product(*(specs[n][1] for n in names))]
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise SweepError(f"samples: method {method!r} needs a number of samples >= 1 (got {samples!r})")
    if isinstance(rng, bool) or not isinstance(rng, (int, np.integer)):
        raise SweepError(f"rng: the samplers' seed must be a whole number (got {rng!r})")
    samples = int(samples)
    gen = np.random.default_rng(int(rng))
    if not names:
        return [{} for _ in range(samples)]
    if method == "random":
        u = gen.random((samples, len(names)))
    else:
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(names), rng=gen).random(samples)
    columns = {n: [_draw(specs[n], x) for x in u[:, j]] for j, n in enumerate(names)}
    return [{n: columns[n][i] for n in names} for i in range(samples)]


def _draw(spec: tuple, u: float) -> Any:
    """The value of a parameter at ``u`` in [0, 1): strata of equal width over the range or the choices."""
    if spec[0] == "values":
        values = spec[1]
        return values[min(int(u * len(values)), len(values) - 1)]
    low, high = spec[1], spec[2]
    if isinstance(low, int) and isinstance(high, int):
        return min(low + int(u * (high - low + 1)), high)
    return float(low + u * (high - low))


def _validated(base_data: dict, point: dict, paths: dict):
    from ..scenario import ScenarioError, validate_data

    data = copy.deepcopy(base_data)
    for name, value in point.items():
        node = data
        for k in paths[name][:-1]:
            node = node[k]
        node[paths[name][-1]] = copy.deepcopy(value)
    try:
        return validate_data(data, "sweep")
    except ScenarioError as exc:
        raise SweepError(_explain(exc.problems, point, paths)) from None


def _explain(problems, point: dict, paths: dict) -> str:
    lines = []
    for p in problems:
        blamed = [n for n in point if _related(_dotted(paths[n]), p.path)]
        where = f"{p.path}: " if p.path else ""
        others = ", ".join(f"{n} = {v!r}" for n, v in point.items() if n not in blamed)
        if blamed:
            given = ", ".join(f"{n} = {point[n]!r}" for n in blamed)
            context = f" (with {others})" if others else ""
            lines.append(f"parameter {given}{context}: the scenario rejects it: {where}{p.message}")
        else:
            lines.append(f"the run with {others or 'no overrides'} is not a valid scenario: {where}{p.message}")
    return "\n".join(lines)


def _related(a: str, b: str) -> bool:
    return a == b or any(x.startswith(y + s) for x, y in ((a, b), (b, a)) for s in (".", "["))

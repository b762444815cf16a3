"""Loading: scenario files read as YAML with the line of every key, scenario scripts, and the bundled scenarios."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .base import MAX_FILE_BYTES, dotted, read_text_limited
from .model import Scenario
from .orbits import SCRIPT_DIR
from .problems import Problem, ScenarioError, problems_from


def _bundled_dir() -> Path:
    from importlib.resources import files

    return Path(str(files("constellation") / "scenarios"))


BUNDLED_DIR = _bundled_dir()
"""Folder of the scenarios shipped in the package (package data), found by bare name in ``load_scenario``."""


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


_TIMESTAMP = "tag:yaml.org,2002:timestamp"

MAX_YAML_NODES = 200_000
"""Most YAML nodes a scenario may hold once its aliases are expanded (an alias bomb is refused before it grows)."""

MAX_YAML_DEPTH = 64
"""Deepest nesting of YAML mappings and lists accepted (a scenario needs about 6)."""


class YamlLoader(yaml.SafeLoader):
    """SafeLoader that keeps times of day and dates as text, for the schema to read.

    YAML 1.1 would make ``ltan: 10:30`` the base-60 number 630 and ``epoch: 2026-03-20`` a date object (and an
    impossible date such as ``2026-02-30`` an exception); here both stay strings.
    """

    yaml_implicit_resolvers = {
        k: [r for r in v if r[0] not in (_INT, _FLOAT, _TIMESTAMP)]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


YamlLoader.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
YamlLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


class YamlDumper(yaml.SafeDumper):
    """SafeDumper that writes multi-line strings (TLE text, descriptions) as literal blocks."""


YamlDumper.add_representer(
    str,
    lambda dumper, s: dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|" if "\n" in s else None),
)


class LineMap:
    """The 1-based line of every key and list item in a YAML document, by path."""

    def __init__(self, root: yaml.Node):
        self.root = root
        self.lines: dict[tuple, int] = {}
        self.nodes: dict[tuple, yaml.Node] = {}
        self.duplicates: list[Problem] = []
        self._walk(root, (), set())

    def _walk(self, node: yaml.Node, path: tuple, active: set) -> None:
        if id(node) in active:
            return
        active = active | {id(node)}
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    continue
                p = path + (key.value,)
                if p in self.lines:
                    self.duplicates.append(Problem(
                        dotted(p), f"key {key.value!r} appears twice (first at line {self.lines[p]})",
                        key.start_mark.line + 1,
                    ))
                self.lines[p] = key.start_mark.line + 1
                self.nodes[p] = value
                self._walk(value, p, active)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                p = path + (i,)
                self.lines[p] = item.start_mark.line + 1
                self.nodes[p] = item
                self._walk(item, p, active)

    def line(self, path: tuple, text_line: int | None = None) -> int:
        """Line of ``path``, or of its nearest parent present; ``text_line`` picks a line inside a ``|`` block."""
        node = self.nodes.get(path)
        if text_line is not None and isinstance(node, yaml.ScalarNode) and node.style == "|":
            return node.start_mark.line + 1 + text_line
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.root.start_mark.line + 1


def _expanded_size(root: yaml.Node) -> tuple[int, int, bool]:
    """(nodes once aliases are expanded, deepest nesting, whether an alias refers to itself), without expanding.

    Each distinct node is visited once and its expanded size remembered, so an alias bomb costs its own size.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    state: dict[int, int] = {}
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = ([c for kv in node.value for c in kv] if isinstance(node, yaml.MappingNode)
                    else list(node.value) if isinstance(node, yaml.SequenceNode) else [])
        if done:
            size[key] = min(1 + sum(size[id(c)] for c in children), 10 * MAX_YAML_NODES)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            state[key] = 2
            continue
        if state.get(key) == 2:
            continue
        if state.get(key) == 1:
            return 0, 0, True
        state[key] = 1
        stack.append((node, True))
        for c in children:
            if state.get(id(c)) == 1:
                return 0, 0, True
            if state.get(id(c)) != 2:
                stack.append((c, False))
    return size[id(root)], depth[id(root)], False


def read_yaml(text: str) -> tuple[Any, LineMap | None, list[Problem]]:
    """(data, line map, problems) of YAML text; the line map is None when the text cannot be read.

    Text over ``MAX_FILE_BYTES``, aliases that expand beyond ``MAX_YAML_NODES`` nodes, and nesting deeper than
    ``MAX_YAML_DEPTH`` are refused before anything is built from them.
    """
    if len(text) > MAX_FILE_BYTES:
        return None, None, [Problem("", f"the text is {len(text) / 2**20:.1f} MiB, over the "
                                        f"{MAX_FILE_BYTES / 2**20:.0f} MiB a scenario may be")]
    loader = YamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, [Problem("", "the file is empty: a scenario needs name, epoch, duration, ...", 1)]
        nodes, deepest, recursive = _expanded_size(node)
        if recursive:
            return None, None, [Problem("", "an alias refers to the node that contains it (a recursive structure)")]
        if nodes > MAX_YAML_NODES:
            return None, None, [Problem("", f"the YAML expands to more than {MAX_YAML_NODES:,} nodes once its aliases "
                                            "(*name) are expanded: write the scenario out, or build it in a script")]
        if deepest > MAX_YAML_DEPTH:
            return None, None, [Problem("", f"the YAML is nested {deepest} levels deep; a scenario needs far fewer "
                                            f"(at most {MAX_YAML_DEPTH} are read)")]
        data = loader.construct_document(node)
    except RecursionError:
        return None, None, [Problem("", f"the YAML is nested too deeply to read (a scenario needs about 6 levels; at "
                                        f"most {MAX_YAML_DEPTH} are read)")]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = f"malformed YAML: {exc.problem or exc.context}"
        if exc.problem and exc.context and exc.context_mark is not None:
            message += f" ({exc.context} at line {exc.context_mark.line + 1})"
        return None, None, [Problem("", message, mark.line + 1 if mark else None)]
    except yaml.YAMLError as exc:
        return None, None, [Problem("", f"malformed YAML: {exc}", None)]
    finally:
        loader.dispose()
    lines = LineMap(node)
    return data, lines, list(lines.duplicates)


def validate_data(data: Any, source: str, lines: LineMap | None = None, problems: list | None = None,
                  base_dir: str | Path | None = None) -> Scenario:
    """The Scenario in plain data (a dict), or a ScenarioError with every problem found, ``problems`` included."""
    problems = list(problems or [])
    scenario = None
    try:
        scenario = Scenario.model_validate(data, context={"base_dir": Path(base_dir) if base_dir else None})
    except ValidationError as exc:
        problems += problems_from(exc, lines)
    if problems:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line is None, p.line or 0)), source)
    return scenario


def scenario_from_yaml(text: str, source: str = "<string>", base_dir: str | Path | None = None) -> Scenario:
    """``Scenario.from_yaml_text``: a scenario from YAML text, every problem with its line."""
    data, lines, problems = read_yaml(text)
    if lines is None:
        raise ScenarioError(problems, source)
    if not isinstance(data, dict):
        problems.append(Problem(
            "", f"the top level must be a mapping of keys (name, epoch, ...); found a {type(data).__name__}",
            lines.line(()),
        ))
        raise ScenarioError(problems, source)
    return validate_data(data, source, lines, problems, base_dir)


def scenario_to_yaml(scenario: Scenario) -> str:
    """``Scenario.to_yaml``: the scenario as YAML in canonical units, multi-line strings as literal blocks."""
    data = scenario.model_dump(mode="json", exclude_none=True)
    return yaml.dump(data, Dumper=YamlDumper, sort_keys=False, allow_unicode=True, width=100)


def bundled_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package, loadable by name."""
    if not BUNDLED_DIR.is_dir():
        return []
    return sorted(p.stem for p in BUNDLED_DIR.iterdir() if p.suffix in (".yaml", ".yml", ".py") and p.is_file()
                  and not p.name.startswith("_"))


def bundled_description(name: str) -> str:
    """The one-line description of a bundled scenario: its ``description`` field, or a script's docstring."""
    import ast

    path = _bundled_path(name)
    if path is None:
        raise KeyError(name)
    text = path.read_text()
    if path.suffix == ".py":
        doc = ast.get_docstring(ast.parse(text)) or ""
    else:
        data = yaml.load(text, Loader=YamlLoader)
        doc = str(data.get("description", "")) if isinstance(data, dict) else ""
    return " ".join(doc.split())


def _bundled_path(name: str) -> Path | None:
    for suffix in (".yaml", ".yml", ".py"):
        candidate = BUNDLED_DIR / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _find(path_or_name: str | Path) -> Path:
    """The file a scenario argument names: an existing file, else a bundled scenario of that bare name."""
    try:
        return _locate(path_or_name)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError([Problem("", f"cannot use this path: {reason}")], repr(str(path_or_name))[1:-1][:200]) \
            from None


def _locate(path_or_name: str | Path) -> Path:
    path = Path(path_or_name).expanduser()
    if path.is_file():
        return path
    text = str(path_or_name)
    bare = path.name == text and not path.suffix and text not in ("", ".", "..")
    found = _bundled_path(text) if bare else None
    if found is not None:
        return found
    known = ", ".join(bundled_scenarios()) or "none"
    if path.is_dir():
        reason = f"this is a folder, not a scenario file (a .yaml file, a .py script or a bundled name: {known})"
    elif bare:
        reason = f"no such file, and no bundled scenario of that name (bundled: {known})"
    elif path.suffix:
        return path
    else:
        reason = "no such file"
    raise ScenarioError([Problem("", reason)], text)


def load_scenario(path_or_name: str | Path) -> Scenario:
    """A scenario from a YAML file, a Python scenario script, or the name of a bundled scenario.

    A script defines a module-level ``scenario`` or a function ``build()`` returning one; relative TLE files in it
    are read from the script's folder.
    """
    path = _find(path_or_name)
    source = str(path)
    if path.suffix not in (".yaml", ".yml", ".py"):
        raise ScenarioError([Problem("", f"unknown scenario file type {path.suffix!r}: expected .yaml, .yml or .py")],
                            source)
    try:
        text = read_text_limited(path, "scenario file")
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ScenarioError([Problem("", f"cannot read the file: {reason}")], source) from None
    if path.suffix == ".py":
        return _run_script(path)
    return scenario_from_yaml(text, source=source, base_dir=path.parent)


def _run_script(path: Path) -> Scenario:
    import runpy
    import traceback

    source = str(path)
    token = SCRIPT_DIR.set(path.resolve().parent)
    try:
        namespace = runpy.run_path(source, run_name="__scenario__")
        result = namespace.get("scenario")
        if result is None and callable(namespace.get("build")):
            result = namespace["build"]()
    except ScenarioError:
        raise
    except ValidationError as exc:
        raise ScenarioError(problems_from(exc, None), source) from None
    except SystemExit as exc:
        raise ScenarioError([Problem("", f"the script called sys.exit({exc.code!r}) instead of defining a scenario")],
                            source) from None
    except Exception as exc:
        line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
        for frame in traceback.extract_tb(exc.__traceback__):
            if Path(frame.filename).resolve() == path.resolve():
                line = frame.lineno
        raise ScenarioError([Problem("", f"the script raised {type(exc).__name__}: {exc}", line)], source) from exc
    finally:
        SCRIPT_DIR.reset(token)
    if isinstance(result, Scenario):
        return result
    if isinstance(result, dict):
        return validate_data(result, source, base_dir=path.parent)
    if result is None:
        message = "the script defines neither a module-level `scenario` nor a function `build()` returning one"
    else:
        message = f"the script's scenario is a {type(result).__name__}, not a Scenario"
    raise ScenarioError([Problem("", message)], source)


def scenario_json_schema() -> dict:
    """The JSON Schema of a scenario file, for editors and validators."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema

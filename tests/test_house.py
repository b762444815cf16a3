"""The package's layout keeps its promises: every module says what it is, no import circle, no private names
imported across modules."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "constellation"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "scenarios" in rel.parts or "static" in rel.parts:
            continue
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _package_of(name: str, path: Path) -> str:
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imports(name: str, path: Path, top_level_only: bool):
    """(imported module, [names]) for each import of a constellation module in ``path``."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    package = _package_of(name, path)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "constellation":
                continue
            names = [a.name for a in node.names]
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            if subs and len(subs) == len(names):
                for sub in subs:
                    yield sub, []
            else:
                yield target, names
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "constellation":
                    yield alias.name, []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_says_what_it_is(name):
    doc = ast.get_docstring(ast.parse(MODULES[name].read_text()))
    assert doc, f"{name} has no docstring"
    first = doc.strip().splitlines()[0]
    assert first.endswith((".", ":")) and len(first) > 10, f"{name}: first line {first!r} is not a sentence"


def test_no_private_name_is_imported_across_modules():
    found = []
    for name, path in MODULES.items():
        for target, names in _imports(name, path, top_level_only=False):
            if target == name:
                continue
            found += [f"{name} imports {target}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    assert not found, "\n".join(found)


def test_no_import_circle_at_module_level():
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        for target, _ in _imports(name, path, top_level_only=True):
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]
            if target != name and target in MODULES:
                graph.add_edge(name, target)
    # A package importing its own submodules to re-export them is not a circle; a submodule importing its
    # package back while the package imports it is.
    cycles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert not cycles, cycles

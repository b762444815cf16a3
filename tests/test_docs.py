"""The documentation: every Python example in docs/ runs, and the site builds with ``mkdocs build --strict``.

Examples are collected with Sybil: a ```python block runs as code, one whose first line starts with ``>>>`` runs as
a doctest whose printed output must match. The blocks of one page run in order in one namespace, from the
repository root (the folder the README's commands run in).
"""

from __future__ import annotations

import doctest
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

SYBIL = Sybil(
    parsers=[PythonCodeBlockParser(doctest_optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)],
    path=str(DOCS),
    patterns=["*.md"],
)


def _pages_with_examples() -> list[Path]:
    return [p for p in sorted(DOCS.rglob("*.md")) if any(True for _ in SYBIL.parse(p).examples())]


PAGES = _pages_with_examples()


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_page_examples_run(page, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    document = SYBIL.parse(page)
    for example in document.examples():
        example.evaluate()


def test_the_guides_have_examples():
    names = {str(p.relative_to(DOCS)) for p in PAGES}
    expected = {"getting-started.md", "concepts.md", "scenarios.md", "links.md", "mission.md", "guides/khayyam.md",
                "guides/swarm.md", "guides/relay.md", "guides/faults.md",
                "guides/behaviours.md"}
    assert expected <= names, f"pages without a runnable example: {sorted(expected - names)}"


def test_getting_started_has_the_readme_commands():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)
    assert len(commands) >= 2
    page = (DOCS / "getting-started.md").read_text()
    for command in commands[:2]:
        assert f"```bash\n{command}\n```" in page


def _reference_hook():
    spec = importlib.util.spec_from_file_location("scenario_reference", DOCS / "hooks" / "scenario_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scenario_reference_lists_every_model_and_field():
    from constellation.scenario import scenario_json_schema

    schema = scenario_json_schema()
    page = _reference_hook().render(schema)
    for name, model in {"Scenario": schema, **schema["$defs"]}.items():
        assert f"## {name} {{#{name}}}" in page
        section = page.split(f"## {name} {{#{name}}}", 1)[1].split("\n## ", 1)[0]
        for field in model["properties"]:
            assert f"| `{field}` |" in section, f"{name}.{field} missing from the reference"
    assert "| `altitude` | number or string with a unit (`510 km`) | km | **required** | > 0 |" in page


def test_mkdocs_build_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml"),
         "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "site" / "scenario-reference" / "index.html").is_file()
    assert (tmp_path / "site" / "api" / "scenario" / "index.html").is_file()

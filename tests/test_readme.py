"""The README's Python examples run as written, in a folder holding the files they name."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

from paperkg.extractors.errors import MissingDependency
from paperkg.graph.build import build

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "fixtures" / "example-papers.txt"
BLOCKS = re.findall(r"^```python\n(.*?)^```", (ROOT / "README.md").read_text(encoding="utf-8"), re.M | re.S)
#: A block that loads Neo4j runs against the tests' Bolt server, named to it by the environment.
NEEDS_BOLT = "Neo4jSettings.from_env()"


@pytest.fixture
def example_folder(tmp_path, monkeypatch):
    """The files the examples name: the example papers, a listing page, a Zotero CSV and a graph."""
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    shutil.copy(EXAMPLES, tmp_path / "tests" / "fixtures" / EXAMPLES.name)
    shutil.copy(EXAMPLES, tmp_path / "page.txt")
    (tmp_path / "zotero.csv").write_text('Key,Title,Abstract Note\nK1,StepTune: Tuning Steps,"We propose '
                                         'StepTune and evaluate it on GSM8K."\n', encoding="utf-8")
    build([EXAMPLES], tmp_path / "kg.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_has_python_examples():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_example_runs(example_folder, index, request, monkeypatch):
    block = BLOCKS[index]
    if NEEDS_BOLT in block:
        from paperkg.graph.neo4j import run_query_neo4j

        settings = request.getfixturevalue("bolt_settings")
        for name, value in (("NEO4J_URI", settings.uri), ("NEO4J_USERNAME", settings.username),
                            ("NEO4J_PASSWORD", settings.password), ("NEO4J_DATABASE", settings.database)):
            if value:
                monkeypatch.setenv(name, value)
        run_query_neo4j("MATCH (n) DETACH DELETE n", {}, settings)
    try:
        exec(compile(block, f"README.md python block {index + 1}", "exec"), {})
    except MissingDependency:
        # only an extra the test environment does not install (neo4j-graphrag) may be missing
        assert importlib.util.find_spec("neo4j_graphrag") is None

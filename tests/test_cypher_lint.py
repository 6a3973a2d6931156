"""Every Cypher statement paperkg emits passes Neo4j's own grammar and semantic checks.

The checker is @neo4j-cypher/language-support (npm), run by tests/cypher_lint/lint.mjs;
install it with `npm ci --prefix tests/cypher_lint`. Labels and relationship types are
declared from graph/model.py and each statement's parameters are declared, so a
misspelt label or an undeclared $parameter is a diagnostic too. Any diagnostic fails.
"""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import export_sample_extractions
from paperkg.graph.export import cypher_statements
from paperkg.graph.guide import guide_path
from paperkg.graph.model import ENTITY_LABEL, LABELS, RELATIONSHIP_TYPES
from paperkg.graph.falkordb import INDEXES_QUERY, falkordb_schema_statements
from paperkg.graph.neo4j import loader_statements, schema_statements
from paperkg.graph.query import catalogue, catalogue_params
from paperkg.graph.store import build_graph

LINT_DIR = Path(__file__).parent / "cypher_lint"
ROW = {"id": "x", "start": "a", "end": "b", "props": {"id": "x", "paper": "p"}}


def guide_statements():
    """(name, text, parameters) of each Cypher block of the shipped Neo4j Browser guide; a query
    block declares the parameters its slide sets with ``:param``, which are Browser commands."""
    statements = []
    for number, slide in enumerate(re.findall(r"<slide\b.*?</slide>", guide_path().read_text(encoding="utf-8"), re.S), 1):
        title = html.unescape(re.search(r"<h3>(.*?)</h3>", slide).group(1))
        blocks = [html.unescape(text) for text in re.findall(r'<pre mode="cypher"[^>]*>(.*?)</pre>', slide, re.S)]
        declared = {name: "x" for name in re.findall(r"^:param (\w+) =>", "\n".join(blocks), re.M)}
        statements += [(f"guide slide {number} ({title}) block {i}", text, {} if text.startswith(":") else declared)
                       for i, text in enumerate(blocks, 1)]
    return statements


def emitted_statements(source):
    """(name, text, parameters) of every statement of one source the project sends to a server or writes."""
    if source == "schema":
        return [(f"schema.cypher #{i}", text, {}) for i, text in enumerate(schema_statements(), 1)]
    if source == "falkordb schema":  # what the tests' server is sent instead of schema.cypher
        return [(f"falkordb schema #{i}", text, params) for i, (text, params) in
                enumerate([(INDEXES_QUERY, {}), *falkordb_schema_statements()], 1)]
    if source == "loader":
        return [(f"loader {name}", text, {"rows": [ROW]} if "$rows" in text else {})
                for name, text in loader_statements().items()]
    if source == "catalogue":
        return [(f"cypher/{name}.cypher", query.text, catalogue_params(query, {arg: "GSM8K" for arg in query.arguments}))
                for name, query in catalogue().items()]
    if source == "guide":
        return guide_statements()
    graph = build_graph(export_sample_extractions())
    return [(f"export cypher #{i}", text, {}) for i, text in enumerate(cypher_statements(graph, batch_size=2), 1)]


def lint(statements):
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed; the Cypher check needs it (node >= 20)")
    if not (LINT_DIR / "node_modules" / "@neo4j-cypher" / "language-support").is_dir():
        pytest.skip("the Cypher checker is not installed: run `npm ci --prefix tests/cypher_lint`")
    payload = {"labels": [*LABELS, ENTITY_LABEL], "relationshipTypes": list(RELATIONSHIP_TYPES),
               "statements": [{"name": name, "text": text, "parameters": params, "consoleCommands": text.startswith(":")}
                              for name, text, params in statements]}
    done = subprocess.run([node, str(LINT_DIR / "lint.mjs")], input=json.dumps(payload), capture_output=True,
                          text=True, cwd=LINT_DIR, timeout=300)
    assert done.returncode == 0, done.stderr
    return {entry["name"]: entry["diagnostics"] for entry in json.loads(done.stdout)}


@pytest.mark.parametrize("source", [
    "schema", "falkordb schema", "loader", "catalogue", "export", "guide",
])
def test_cypher_lint_every_emitted_statement_is_valid_neo4j_cypher(source):
    statements = emitted_statements(source)
    assert statements
    report = lint(statements)
    assert len(report) == len(statements)
    problems = [f"{name}: {d['severity']} at {d['line']}:{d['column']}: {d['message']}"
                for name, diagnostics in report.items() for d in diagnostics]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name, text", [
    ("syntax", "MATCH (p:Paper RETURN p"),
    ("misspelt label", "MATCH (p:Papr) RETURN p"),
    ("unknown type", "MATCH (p:Paper)-[:CITES]->(q:Paper) RETURN q"),
    ("undeclared parameter", "MATCH (p:Paper {id: $paper}) RETURN p"),
    ("unfinished parameter command", ":param key => 'gsm8k"),
])
def test_cypher_lint_catches_bad_statements(name, text):
    assert lint([(name, text, {})])[name]

"""Every export format read back by the tool its users read it with: counts and attributes survive."""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
import rdflib
from click.testing import CliRunner
from rdflib.namespace import RDF, RDFS
from rdflib.collection import Collection

from paperkg.extractors.errors import UsageError
from paperkg.graph.export import (
    EXPORT_FORMATS,
    LIST_ATTRIBUTES,
    ExportError,
    VOCAB,
    cypher_statements,
    export_graph,
    generate_csv,
    node_name,
    restore_lists,
    write_csv,
)
from paperkg.graph.catalogue import schema_statements
from paperkg.graph.cli import cli
from paperkg.graph.model import new_graph
from paperkg.graph.store import read_graph, write_graph


def _nodes(graph):
    return {node: dict(data) for node, data in graph.nodes(data=True)}


def _edges(graph):
    return {(u, v, k): dict(d) for u, v, k, d in graph.edges(keys=True, data=True)}


def test_export_sample_has_the_tricky_values(export_graph_sample):
    """The fixture really holds what the round trips claim to preserve."""
    evidence = [d.get("evidence", "") for _, _, d in export_graph_sample.edges(data=True)]
    assert any('"' in e and "\\" in e and "\n" in e and "\r" in e and "中" in e for e in evidence)
    assert any(d["label"] == "Paper" and export_graph_sample.degree(n) == 0
               for n, d in export_graph_sample.nodes(data=True))


def test_export_graphml_roundtrips_with_networkx(export_graph_sample, tmp_path):
    export_graph(export_graph_sample, "graphml", tmp_path / "g.graphml")
    back = restore_lists(nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True))
    assert _nodes(back) == _nodes(export_graph_sample)
    edges = _edges(back)
    for data in edges.values():
        data.pop("key")
    assert edges == _edges(export_graph_sample)


def test_export_gexf_roundtrips_with_networkx(export_graph_sample, tmp_path):
    export_graph(export_graph_sample, "gexf", tmp_path / "g.gexf")
    back = restore_lists(nx.read_gexf(tmp_path / "g.gexf"))
    assert isinstance(back, nx.MultiDiGraph)
    nodes = _nodes(back)
    for node, data in nodes.items():
        assert data.pop("label") == node_name(export_graph_sample.nodes[node])
        data["label"] = data.pop("type")
    assert nodes == _nodes(export_graph_sample)
    edges = _edges(back)
    for (_, _, key), data in edges.items():
        del data["id"]
        assert data.pop("label") == data["type"]
    assert edges == _edges(export_graph_sample)


def test_export_json_roundtrips_with_networkx_and_the_store(export_graph_sample, tmp_path):
    export_graph(export_graph_sample, "json", tmp_path / "g.json")
    data = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    back = nx.node_link_graph(data, edges="edges")
    expected = _nodes(export_graph_sample)
    for node_data in expected.values():
        del node_data["id"]  # node-link JSON holds it once, as the node's key
    assert (_nodes(back), _edges(back)) == (expected, _edges(export_graph_sample))
    stored = read_graph(tmp_path / "g.json", missing_ok=False)
    assert _edges(stored) == _edges(export_graph_sample)


def test_export_jsonl_triples_hold_every_relationship(export_graph_sample, tmp_path):
    export_graph(export_graph_sample, "jsonl", tmp_path / "g.jsonl")
    lines = (tmp_path / "g.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == export_graph_sample.number_of_edges()
    back = nx.MultiDiGraph()
    for line in lines:
        t = json.loads(line)
        assert t["subject_name"] == node_name(export_graph_sample.nodes[t["subject"]])
        assert t["object_label"] == export_graph_sample.nodes[t["object"]]["label"]
        props = {k: v for k, v in t.items() if k not in ("subject", "predicate", "object") and "_" not in k}
        props.update({k: t[k] for k in ("as_type",) if k in t})
        props = {k: v for k, v in props.items() if v is not None}
        back.add_edge(t["subject"], t["object"], key=f'{t["predicate"]}|{t["paper"]}', type=t["predicate"], **props)
    assert _edges(back) == _edges(export_graph_sample)


def _csv_value(cell: str, column_type: str, array_delimiter: str):
    if cell == "":
        return None
    return {"long": int, "double": float, "boolean": lambda c: c == "true",
            "string[]": lambda c: c.split(array_delimiter)}.get(column_type, str)(cell)


def _read_neo4j_csv(directory: Path, array_delimiter=";"):
    """Nodes and relationships from neo4j-admin files, read with the csv module."""
    nodes, spaces, edges = {}, {}, []
    for path in sorted(directory.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        header = [col.rsplit(":", 1) for col in rows[0]]
        for row in rows[1:]:
            record = {}
            for (name, column_type), cell in zip(header, row):
                record[name or ":" + column_type.split("(")[0]] = (cell, column_type)
            if ":LABEL" in record:
                space = rows[0][0][len("id:ID("):-1]
                node_id = record.pop("id")[0]
                labels = record.pop(":LABEL")[0].split(array_delimiter)
                nodes[node_id] = {"label": labels[-1], "id": node_id, **{
                    k: v for k, (c, t) in record.items() if (v := _csv_value(c, t, array_delimiter)) is not None}}
                spaces[node_id] = space
            else:
                start, start_space = record.pop(":START_ID")[0], rows[0][0][len(":START_ID("):-1]
                end, end_space = record.pop(":END_ID")[0], rows[0][1][len(":END_ID("):-1]
                props = {k: _csv_value(c, t, array_delimiter) for k, (c, t) in record.items()}
                edges.append((start, start_space, end, end_space, props.pop(":TYPE"), props))
    return nodes, spaces, edges


def test_export_csv_is_neo4j_admin_input_with_one_id_space_per_label(export_graph_sample, tmp_path):
    files = write_csv(export_graph_sample, tmp_path / "csv")
    names = {p.name for p in files}
    assert {"Paper.csv", "Model.csv", "Benchmark.csv", "Method.csv", "import.sh",
            "Paper-EVALUATES_ON-Benchmark.csv", "Model-COMPARES_WITH-Model.csv", "Model-VARIANT_OF-Model.csv"} <= names
    nodes, spaces, edges = _read_neo4j_csv(tmp_path / "csv")
    for data in nodes.values():  # empty strings are written quoted but read back like missing cells
        data.update({k: v for k, v in export_graph_sample.nodes[data["id"]].items() if v == ""})
    expected = _nodes(export_graph_sample)
    for data in expected.values():  # neo4j-admin skips an empty array cell: the property is absent
        for name in [n for n in LIST_ATTRIBUTES if data.get(n) == []]:
            del data[name]
    assert any("aliases" not in data for data in expected.values())
    assert nodes == expected
    assert all(spaces[n] == d["label"] for n, d in nodes.items())
    assert len(edges) == export_graph_sample.number_of_edges()
    back = {}
    for start, start_space, end, end_space, rel_type, props in edges:
        assert (spaces[start], spaces[end]) == (start_space, end_space)
        props = {k: v for k, v in props.items() if v is not None}
        props.setdefault("paper", "")  # VARIANT_OF's "" paper
        back[start, end, f"{rel_type}|{props['paper']}"] = {"type": rel_type, **props}
    assert back == _edges(export_graph_sample)
    command = (tmp_path / "csv" / "import.sh").read_text()
    assert 'neo4j-admin database import full "${1:-neo4j}"' in command
    assert "cypher-shell -d DATABASE -f schema.cypher" in command
    assert (tmp_path / "csv" / "schema.cypher").read_text() == "".join(s + ";\n" for s in schema_statements())
    assert sorted(name for name in names if name.endswith(".csv")) == sorted(
        part.split("=", 1)[1] for part in command.split() if part.startswith(("--nodes=", "--relationships=")))


def test_export_csv_header_types_each_column(export_graph_sample):
    headers = {name: next(lines).strip() for name, lines in generate_csv(export_graph_sample)}
    assert headers["Paper.csv"].startswith("id:ID(Paper),")
    assert "authors:string[]" in headers["Paper.csv"] and "upvotes:long" in headers["Paper.csv"]
    assert headers["Model.csv"].endswith(",inferred:boolean,:LABEL")
    assert headers["Paper-EVALUATES_ON-Benchmark.csv"].startswith(":START_ID(Paper),:END_ID(Benchmark),")
    assert "confidence:double" in headers["Paper-EVALUATES_ON-Benchmark.csv"]


def test_export_csv_array_delimiter_avoids_a_character_in_the_data(tmp_path):
    graph = new_graph()
    graph.add_node("ab", label="Method", id="ab", name="A;B", aliases=["A;B alias", "AB"], keys=["ab"], inferred=False)
    write_csv(graph, tmp_path)
    assert "--array-delimiter='|'" in (tmp_path / "import.sh").read_text()
    nodes, _, _ = _read_neo4j_csv(tmp_path, array_delimiter="|")
    assert nodes["ab"]["aliases"] == ["A;B alias", "AB"]


@pytest.mark.parametrize("aliases, tags, delimiter", [
    (["A;B", "A|B", "A\u001fB", "AB"], ["x"], "\u001e"),
    (["A;B"], ["x|y", "z\u001f"], "\u001e"),  # any list attribute, not only the usual ones
])
def test_export_csv_array_delimiter_avoids_every_character_in_the_data(tmp_path, aliases, tags, delimiter):
    graph = new_graph()
    graph.add_node("ab", label="Method", id="ab", name="A;B", aliases=aliases, keys=["ab"], inferred=False, tags=tags)
    write_csv(graph, tmp_path / "csv")
    assert f"--array-delimiter=U+{ord(delimiter):04X}" in (tmp_path / "csv" / "import.sh").read_text()
    nodes, _, _ = _read_neo4j_csv(tmp_path / "csv", array_delimiter=delimiter)
    assert (nodes["ab"]["aliases"], nodes["ab"]["tags"]) == (aliases, tags)


CRAFTED_NAMES = [  # a label or type that would name a file outside the export directory
    (lambda g: g.nodes["gsm8k"].update(label="../../escaped"), "node 'gsm8k' has label '../../escaped'"),
    (lambda g: g.add_edge("gsm8k", "gpt4", key="X|", type="../../escaped", paper=""),
     "relationship 'gsm8k'->'gpt4' has type '../../escaped'"),
]


@pytest.mark.parametrize("change, message", CRAFTED_NAMES)
def test_export_csv_crafted_label_or_type_writes_nothing(export_graph_sample, tmp_path, change, message):
    change(export_graph_sample)
    target = tmp_path / "out" / "csv"
    with pytest.raises(ExportError, match=message):
        write_csv(export_graph_sample, target)
    assert [p.relative_to(tmp_path) for p in tmp_path.rglob("*")] == [Path("out")]


def test_export_csv_failure_leaves_no_half_export_and_keeps_the_old_one(export_graph_sample, tmp_path):
    target = tmp_path / "csv"
    old = write_csv(export_graph_sample, target)
    before = {p.name: p.read_bytes() for p in old}
    bad = export_graph_sample.copy()
    bad.add_edge("gsm8k", "gpt4", key="LIKES|", type="LIKES", paper="")
    with pytest.raises(ExportError, match="type 'LIKES'"):  # raised once the temporary directory exists
        write_csv(bad, target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv"]


def test_export_csv_replaces_an_earlier_export_whole(export_graph_sample, tmp_path):
    target = tmp_path / "csv"
    write_csv(export_graph_sample, target)
    (target / "Paper-CITES-Paper.csv").write_text("stale\n")
    written = write_csv(export_graph_sample, target)
    assert sorted(p.name for p in target.iterdir()) == sorted(p.name for p in written)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csv"]


def test_export_csv_refuses_a_directory_holding_other_files(export_graph_sample, tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    with pytest.raises(UsageError, match=r"holds notes.txt, which a csv export would replace"):
        write_csv(export_graph_sample, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_export_turtle_parses_with_rdflib(export_graph_sample, tmp_path):
    export_graph(export_graph_sample, "turtle", tmp_path / "g.ttl")
    rdf = rdflib.Graph().parse(tmp_path / "g.ttl", format="turtle")
    pkg = rdflib.Namespace(VOCAB)
    by_id = {str(rdf.value(s, pkg.id)): s for s in rdf.subjects(pkg.id)}
    assert set(by_id) == set(export_graph_sample.nodes)
    for node, data in export_graph_sample.nodes(data=True):
        subject = by_id[node]
        assert (subject, RDF.type, pkg[data["label"]]) in rdf
        assert str(rdf.value(subject, RDFS.label)) == node_name(data)
        for name, value in data.items():
            if name == "authors":
                assert [str(a) for a in Collection(rdf, rdf.value(subject, pkg.authors))] == value
            elif name in LIST_ATTRIBUTES:
                assert sorted(str(o) for o in rdf.objects(subject, pkg[name])) == sorted(value)
            elif name != "label":
                assert rdf.value(subject, pkg[name]).toPython() == value
    statements = list(rdf.subjects(RDF.type, RDF.Statement))
    assert len(statements) == export_graph_sample.number_of_edges()
    back = Counter()
    for st in statements:
        s, p, o = rdf.value(st, RDF.subject), rdf.value(st, RDF.predicate), rdf.value(st, RDF.object)
        assert (s, p, o) in rdf
        evidence = rdf.value(st, pkg.evidence)
        back[str(rdf.value(s, pkg.id)), str(p)[len(VOCAB):], str(o and rdf.value(o, pkg.id)),
             evidence and str(evidence)] += 1
    assert back == Counter((u, d["type"], v, d.get("evidence")) for u, v, d in export_graph_sample.edges(data=True))


@pytest.mark.parametrize("fmt", [f for f in EXPORT_FORMATS if f != "csv"])
def test_export_formats_write_an_empty_graph(fmt, tmp_path):
    export_graph(new_graph(), fmt, tmp_path / f"empty.{fmt}")
    assert (tmp_path / f"empty.{fmt}").exists()


def test_export_unknown_format_names_the_choices(export_graph_sample, tmp_path):
    with pytest.raises(UsageError, match=r"'dot'.*graphml, gexf, json, csv, cypher, jsonl, turtle"):
        export_graph(export_graph_sample, "dot", tmp_path / "g.dot")


def test_export_failed_write_keeps_the_old_file(export_graph_sample, tmp_path):
    target = tmp_path / "g.jsonl"
    target.write_text("old\n")
    bad = export_graph_sample.copy()
    bad.add_edge("gsm8k", "gpt4", key="USES|x", type="USES", paper="x", evidence=object())
    with pytest.raises(TypeError):
        export_graph(bad, "jsonl", target)
    assert target.read_text() == "old\n"
    assert list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_export_cli_writes_each_format(export_graph_sample, tmp_path, fmt):
    write_graph(export_graph_sample, tmp_path / "kg.json")
    target = tmp_path / f"out.{fmt}"
    result = CliRunner().invoke(cli, ["export", "--format", fmt, "-o", str(target), "--graph", str(tmp_path / "kg.json")])
    assert result.exit_code == 0, result.output
    written = sorted(target.iterdir()) if fmt == "csv" else [target]
    assert written and all(path.stat().st_size > 0 for path in written)
    assert f"export {fmt}: 13 nodes, 23 relationships" in result.output


@pytest.mark.parametrize("args, message", [
    (["--format", "graphml", "-o", "{tmp}"], "{tmp}: is a directory; the graphml export writes one file"),
    (["--format", "csv", "-o", "-"], "the csv export writes a directory of files"),
    (["--format", "dot", "-o", "g.dot"], "'dot' is not one of 'graphml', 'gexf'"),
])
def test_export_cli_bad_target_is_a_one_line_error(export_graph_sample, tmp_path, args, message):
    write_graph(export_graph_sample, tmp_path / "kg.json")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(cli, ["export", *args, "--graph", str(tmp_path / "kg.json")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert message.replace("{tmp}", str(tmp_path)) in result.output


def test_export_cli_crafted_graph_is_one_line_naming_the_file(export_graph_sample, tmp_path):
    # The graph file's reader refuses the label before the export sees it.
    export_graph_sample.nodes["gsm8k"]["label"] = "../../escaped"
    write_graph(export_graph_sample, tmp_path / "kg.json")
    result = CliRunner().invoke(cli, ["export", "--format", "csv", "-o", str(tmp_path / "csv"),
                                      "--graph", str(tmp_path / "kg.json")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith(f"Error: {tmp_path / 'kg.json'}: node ") and result.output.count("\n") == 1
    assert "has label '../../escaped'; a node's label is one of Paper, Model" in result.output
    assert not (tmp_path / "csv").exists()


def test_export_cypher_script_creates_the_schema_the_loader_creates(export_graph_sample):
    statements = list(cypher_statements(export_graph_sample))
    schema = schema_statements()
    assert statements[: len(schema)] == schema
    assert any(s.startswith("CREATE FULLTEXT INDEX entity_names") for s in schema)


def test_export_cypher_script_loads_over_bolt_and_reruns_idempotently(export_graph_sample, bolt_driver):
    """The script's statements, run twice on a live Bolt server, leave exactly the graph.

    FalkorDB (the default server) has no Neo4j schema statements; a real Neo4j (NEO4J_URI) runs them too.
    """
    neo4j = bool(os.environ.get("NEO4J_URI"))
    statements = [s for s in cypher_statements(export_graph_sample, batch_size=2)
                  if neo4j or not s.startswith("CREATE ")]
    for _ in range(2):
        for statement in statements:
            bolt_driver.execute_query(statement)
    records, _, _ = bolt_driver.execute_query("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
    nodes = {}
    for record in records:
        label = next(label for label in record["labels"] if label != "Entity")
        nodes[record["props"]["id"]] = {"label": label, **record["props"]}
    assert nodes == _nodes(export_graph_sample)
    records, _, _ = bolt_driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN a.id AS start, type(r) AS type, b.id AS end, properties(r) AS props")
    edges = {(r["start"], r["end"], f'{r["type"]}|{r["props"]["paper"]}'): {"type": r["type"], **r["props"]}
             for r in records}
    assert len(records) == export_graph_sample.number_of_edges()
    assert edges == _edges(export_graph_sample)

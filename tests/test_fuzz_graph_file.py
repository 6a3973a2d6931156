"""The graph-file loader on arbitrary bytes and on structured garbage: a graph or one InputError.

A graph it accepts is one the builder, the query engine and the writer take without a traceback.
"""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperkg.extractors.errors import InputError
from paperkg.extractors.records import Entity, Extraction, Paper, Relation
from paperkg.graph.model import LABELS, RELATIONSHIP_TYPES
from paperkg.graph.query import run_query
from paperkg.graph.store import build_graph, generate_graph_json, parse_graph_json, read_graph

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                      max_leaves=6)
ids = st.sampled_from(["gsm8k", "dpo", "title:a", "arxiv:1", "x", ""]) | st.text(max_size=4)
nodes = st.fixed_dictionaries(
    {"id": ids, "label": st.sampled_from(LABELS) | values},
    optional={"name": st.text(max_size=6) | values, "aliases": st.lists(st.text(max_size=4), max_size=2) | values,
              "keys": st.lists(ids, max_size=2) | values, "inferred": st.booleans() | values,
              "title": st.text(max_size=6), "abstract": st.text(max_size=6), "sources": st.just([]) | values,
              "extra": values},
) | values
edges = st.fixed_dictionaries(
    {"source": ids, "target": ids, "key": st.text(max_size=6) | values, "type": st.sampled_from(RELATIONSHIP_TYPES) | values},
    optional={"paper": st.text(max_size=6) | values, "as_type": st.sampled_from(LABELS) | values, "extra": values},
) | values
documents = st.fixed_dictionaries(
    {"graph": st.just({"name": "paperkg", "format": 1}) | values, "nodes": st.lists(nodes, max_size=5) | values,
     "edges": st.lists(edges, max_size=5) | values},
    optional={"directed": values, "multigraph": values},
)


def loads_or_refuses(load):
    """The graph ``load`` gives, checked to build, query and write; None when it refused the file."""
    try:
        graph = load()
    except InputError as err:
        assert "\n" not in str(err)
        return None
    run_query(graph, "MATCH (n) RETURN count(n) AS total")
    build_graph([Extraction(Paper(id="title:fuzz", title="Fuzz", abstract="x"), [Entity("gsm8k", "GSM8K", "Benchmark")])],
                graph)  # resolves the entities of the whole graph again
    generate_graph_json(graph).encode("utf-8")
    return graph


@FUZZ
@given(raw=st.binary(max_size=300))
def test_fuzz_graph_file_arbitrary_bytes(tmp_path, raw):
    path = tmp_path / "kg.json"
    path.write_bytes(raw)
    loads_or_refuses(lambda: read_graph(path))


@FUZZ
@given(document=documents)
def test_fuzz_graph_file_structured_garbage(document):
    loads_or_refuses(lambda: parse_graph_json(json.dumps(document), source="kg.json"))


@FUZZ
@given(document=documents, cut=st.integers(min_value=0, max_value=400))
def test_fuzz_graph_file_truncated_or_surrogates(document, cut):
    text = json.dumps(document)
    loads_or_refuses(lambda: parse_graph_json(text[:cut] + '"\\ud800"' + text[cut:], source="kg.json"))


def valid_document():
    """A graph file's JSON from a real build: two papers, an acronym and its expansion, a relation."""
    graph = build_graph([
        Extraction(Paper(id="title:a", title="A", abstract="x"), [Entity("dpo", "DPO", "Method"), Entity("gsm8k", "GSM8K", "Benchmark")],
                   [Relation("DPO", "EVALUATES_ON", "GSM8K", "e", 0, 1, "t", 0.5)]),
        Extraction(Paper(id="title:b", title="B", abstract="y"),
                   [Entity("dpo", "Direct Preference Optimization", "Method", aliases=["DPO"]), Entity("llama38b", "LLaMA-3-8B", "Model")]),
    ])
    return json.loads(generate_graph_json(graph))


@st.composite
def mutated_documents(draw):
    """A valid graph file with a few of its nodes' or edges' properties replaced, dropped or swapped."""
    document = valid_document()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        records = document[draw(st.sampled_from(["nodes", "edges"]))]
        record = draw(st.sampled_from(records))
        name = draw(st.sampled_from(sorted(record)))
        action = draw(st.sampled_from(["replace", "drop", "swap"]))
        if action == "replace":  # mostly with another id of the file: a well-formed but misplaced edge
            record[name] = draw(st.sampled_from([node.get("id") for node in document["nodes"]]) | values)
        elif action == "drop":
            del record[name]
        else:
            other = draw(st.sampled_from(records))
            record[name], other[name] = other.get(name), record[name]
    return document


@FUZZ
@given(document=mutated_documents())
def test_fuzz_graph_file_mutated_real_graph(document):
    loads_or_refuses(lambda: parse_graph_json(json.dumps(document), source="kg.json"))

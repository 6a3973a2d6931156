import pytest

from extractors.errors import UsageError
from extractors.records import Entity, Extraction, Paper, Relation
from graph.query import QueryError, catalogue, catalogue_params, run_catalogue, run_query
from graph.store import build_graph


def rel(head, rtype, tail, direction=None):
    return Relation(head, rtype, tail, f"{head} {rtype} {tail}", 0, 5, "test", 0.8, direction)


@pytest.fixture(scope="module")
def graph():
    return build_graph([
        Extraction(
            Paper(id="title:1", title="Step Tuning", abstract="..."),
            [Entity("steptuner", "StepTuner", "Method"), Entity("dpo", "DPO", "Method"),
             Entity("gsm8k", "GSM8K", "Benchmark", aliases=["GSM-8K"]), Entity("reinforcementlearning", "reinforcement learning", "Method")],
            [rel("PAPER", "PROPOSES", "StepTuner"), rel("StepTuner", "COMPARES_WITH", "DPO", "better"),
             rel("PAPER", "EVALUATES_ON", "GSM8K")],
        ),
        Extraction(
            Paper(id="title:2", title="Another Paper", abstract="..."),
            [Entity("dpo", "DPO", "Method"), Entity("gsm8k", "GSM8K", "Benchmark"), Entity("thepile", "The Pile", "Dataset")],
            [rel("PAPER", "USES", "DPO"), rel("PAPER", "USES", "GSM8K"), rel("PAPER", "USES", "The Pile")],
        ),
    ])


@pytest.mark.parametrize(
    "name, values, expected",
    [
        ("papers-using", {"key": "gsm-8k"}, [("title:2", "Another Paper"), ("title:1", "Step Tuning")]),
        ("papers-proposing", {"key": "steptuner"}, [("title:1", "Step Tuning")]),
        ("outperforms", {"key": "DPO"}, [("StepTuner", "title:1")]),
        ("compared-with", {"key": "StepTuner"}, [("DPO", "title:1")]),
        ("top-datasets", {"limit": 1}, [("GSM8K", 2)]),
        ("datasets-used-with", {"key": "Reinforcement Learning"}, [("GSM8K", 1)]),
    ],
)
def test_query_catalogue_answers(graph, name, values, expected):
    rows = run_catalogue(name, graph, values).rows
    assert [tuple(row.values())[:2] for row in rows] == expected


def test_query_catalogue_lists_every_cypher_file():
    assert {"papers-using", "papers-proposing", "compared-with", "outperforms", "top-datasets", "entity",
            "datasets-used-with"} <= set(catalogue())
    assert all(q.description and q.example.startswith("paperkg ") for q in catalogue().values())


def test_query_parameters_and_single_quotes(graph):
    rows = run_query(graph, "MATCH (e:Entity) WHERE e.name = $name OR e.name = 'DPO' RETURN e.name AS name ORDER BY name",
                     {"name": "GSM8K"}).rows
    assert rows == [{"name": "DPO"}, {"name": "GSM8K"}]


@pytest.mark.parametrize("bad", ["MATCH (n RETURN n", "MATCH (n) RETURN m"])
def test_query_bad_cypher_is_a_query_error(graph, bad):
    with pytest.raises(QueryError, match="query failed"):
        run_query(graph, bad)


def test_query_unknown_catalogue_name_lists_the_valid_ones(graph):
    with pytest.raises(UsageError, match="papers-using"):
        run_catalogue("papers-usng", graph, {})


@pytest.mark.parametrize("name", ["outperforms", "compared-with", "papers-using", "papers-proposing", "entity"])
def test_query_catalogue_no_match_is_no_row(graph, name):
    assert run_catalogue(name, graph, {"key": "nothing-of-the-kind"}).rows == []


@pytest.mark.parametrize("name, key", [("papers-using", "GSM8K"), ("compared-with", "StepTuner"),
                                       ("outperforms", "DPO"), ("datasets-used-with", "reinforcement learning"),
                                       ("entity", "GSM8K"), ("papers-proposing", "StepTuner")])
def test_query_catalogue_scope_gives_the_rows_of_the_whole_graph(graph, name, key):
    query = catalogue()[name]
    assert query.scope is not None
    whole = run_query(graph, query.text, catalogue_params(query, {"key": key}))
    assert whole.rows and run_catalogue(name, graph, {"key": key}).rows == whole.rows

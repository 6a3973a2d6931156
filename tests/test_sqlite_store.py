"""The SQLite store (graph/sqlite_store.py): the same graph as the in-memory builder, built in
batches, resumed, shared by two processes, read whole or around an entity."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paperkg.extractors.records import Entity, Extraction, Paper, Relation
from paperkg.graph.build import build, migrate
from paperkg.graph.catalogue import read_catalogue, sql_form
from paperkg.graph.query import QueryError, UnknownEntity, answer_catalogue, catalogue
from paperkg.graph.sqlite_store import GraphStore
from paperkg.graph.store import build_graph, read_graph, write_graph

from conftest import export_sample_extractions
from test_store import acronym_inputs, dpo_extractions, extraction_a  # noqa: F401 (a fixture)

EXAMPLES = Path(__file__).parent / "fixtures" / "example-papers.txt"


def full_content(graph):
    """Every node and relationship with every property: what two graphs must share to be equal."""
    nodes = sorted((node, json.dumps(data, sort_keys=True)) for node, data in graph.nodes(data=True))
    edges = sorted((u, v, k, json.dumps(d, sort_keys=True)) for u, v, k, d in graph.edges(keys=True, data=True))
    return nodes, edges


def size_variant_extractions():
    def paper(n, title):
        return Paper(id=f"title:{n}", title=title, abstract="x")
    return [
        Extraction(paper(1, "A"), [Entity("llama38b", "LLaMA-3-8B", "Model")]),
        Extraction(paper(2, "B"), [Entity("llama370b", "LLaMA-3-70B", "Model")]),
        Extraction(paper(3, "C"), [Entity("llama3", "LLaMA-3", "Model"), Entity("gsm8k", "GSM8K", "Benchmark")],
                   [Relation("LLaMA-3", "EVALUATES_ON", "GSM8K", "e", 0, 1, "rules", 0.5)]),
        Extraction(paper(4, "D"), [Entity("sma", "SMA", "Method"), Entity("clip", "CLIP", "Model")]),
        Extraction(paper(5, "E"), [Entity("sparsemixtureadapters", "Sparse Mixture Adapters", "Method", aliases=["SMA"]),
                                   Entity("clip", "CLIP", "Method")]),
        Extraction(paper(6, "F"), [Entity("contrastivelanguageimagepretraining", "Contrastive Language-Image Pretraining",
                                          "Method", aliases=["CLIP"]), Entity("clip", "CLIP", "Model")]),
        Extraction(paper(7, "G"), [Entity("slidingmemoryattention", "Sliding Memory Attention", "Method",
                                          aliases=["SMA"])]),
    ]


def hand_extractions():
    return [extraction_a(), *dpo_extractions(), *export_sample_extractions(), *size_variant_extractions()]


def store_graph(path, batches):
    with GraphStore(path) as store:
        for batch in batches:
            store.add_extractions(batch)
        return store.graph()


@pytest.mark.parametrize("order", [
    pytest.param(lambda ex: [ex], id="one-batch"),
    pytest.param(lambda ex: [[e] for e in ex], id="paper-by-paper"),
    pytest.param(lambda ex: [[e] for e in reversed(ex)], id="reversed"),
    pytest.param(lambda ex: [ex[::2], ex[1::2], ex[:3]], id="halves-then-again"),
    pytest.param(lambda ex: [ex[5:], ex[:5], [e for e in ex if e.paper.id.startswith("title:")]], id="shuffled"),
])
def test_sqlite_store_gives_the_in_memory_builders_graph(tmp_path, order):
    extractions = hand_extractions()
    graph = store_graph(tmp_path / "kg.db", order(extractions))
    assert full_content(graph) == full_content(build_graph(extractions))


def test_sqlite_store_removes_what_a_re_extracted_paper_no_longer_names(tmp_path):
    extractions = hand_extractions()
    dpo_only = Extraction(Paper(id="title:c", title="Paper C", abstract="We evaluate on GSM8K."),
                          [Entity("gsm8k", "GSM8K", "Benchmark")])
    graph = store_graph(tmp_path / "kg.db", [extractions, [dpo_only]])
    assert full_content(graph) == full_content(build_graph([*extractions, dpo_only]))
    assert "directpreferenceoptimization" in graph  # still named by doi:10.1000/x;y


def test_sqlite_store_better_id_and_second_source_of_a_paper(tmp_path):
    first = Extraction(Paper(id="title:x", title="Same Paper", abstract="We use GSM8K.", source="a.txt:1"),
                       [Entity("gsm8k", "GSM8K", "Benchmark")])
    better = Extraction(Paper(id="arxiv:2401.00009", title="Same paper", abstract="We use GSM8K.", source="b.atom:3"),
                        [Entity("gsm8k", "GSM8K", "Benchmark")])
    graph = store_graph(tmp_path / "kg.db", [[first], [better]])
    assert full_content(graph) == full_content(build_graph([first, better]))
    assert graph.nodes["arxiv:2401.00009"]["sources"] == ["a.txt:1", "b.atom:3"]


@pytest.mark.parametrize("runs", [
    pytest.param([[0, 1, 2]], id="once"),
    pytest.param([[1], [0, 2]], id="acronyms-first"),
    pytest.param([[2], [1], [2], [0]], id="again-and-again"),
])
def test_sqlite_store_build_of_the_examples_equals_the_json_build(tmp_path, acronym_inputs, runs):
    build(acronym_inputs, tmp_path / "once.json")
    for run in runs:
        build([acronym_inputs[i] for i in run], tmp_path / "runs.db", store_batch=2)
    assert full_content(read_graph(tmp_path / "runs.db")) == full_content(read_graph(tmp_path / "once.json"))


def test_sqlite_store_build_again_extracts_nothing(tmp_path):
    path = tmp_path / "kg.db"
    build([EXAMPLES], path)
    before = full_content(read_graph(path))
    again = build([EXAMPLES], path)
    assert (again.stats.papers_added, again.stats.papers_updated, again.stats.papers_unchanged) == (0, 0, 5)
    assert full_content(read_graph(path)) == before


def test_sqlite_store_migrate_of_a_json_graph_holds_the_same_graph(tmp_path):
    write_graph(build_graph(hand_extractions()), tmp_path / "kg.json")
    counts = migrate(tmp_path / "kg.json", tmp_path / "kg.db")
    assert full_content(read_graph(tmp_path / "kg.db")) == full_content(read_graph(tmp_path / "kg.json"))
    assert sum(counts["nodes"].values()) == read_graph(tmp_path / "kg.json").number_of_nodes()


def _keyed_queries():
    return [name for name, query in catalogue().items() if "key" in query.arguments]


@pytest.mark.parametrize("name", _keyed_queries())
def test_sqlite_store_catalogue_around_an_entity_answers_as_the_whole_graph(tmp_path, acronym_inputs, name):
    build(acronym_inputs, tmp_path / "kg.db")
    build(acronym_inputs, tmp_path / "kg.json")
    whole = read_graph(tmp_path / "kg.json")
    keys = sorted({key for _, data in whole.nodes(data=True) for key in data.get("keys", ())})
    for key in keys[::7] + ["gsm8k", "gd", "clip", "learning", "net", "GSM9K"]:  # every 7th: nxcypher is slow
        assert _answer(name, tmp_path / "kg.db", key) == _answer(name, tmp_path / "kg.json", key), key


def _answer(name, path, key):
    try:
        return answer_catalogue(name, path, {"key": key}).rows
    except UnknownEntity as err:
        return str(err)


def test_sqlite_store_subgraph_reads_only_the_neighbourhood(tmp_path):
    path = tmp_path / "kg.db"
    store_graph(path, [hand_extractions()])
    with GraphStore(path, read_only=True) as store:
        part = store.subgraph("gsm8k", 1)
    results = [node for node in part if node.startswith("result:")]  # the scores reported on GSM8K
    assert sorted(set(part) - set(results)) == ["arxiv:2401.00001", "doi:10.1000/x;y", "gsm8k", "llama3", "title:3",
                                                "title:a"]
    assert results and all(part.nodes[r]["benchmark"] == "GSM8K" for r in results)


def test_sqlite_store_subgraph_of_types_holds_the_same_nodes_and_only_those_relationships(tmp_path):
    path = tmp_path / "kg.db"
    store_graph(path, [hand_extractions()])
    with GraphStore(path, read_only=True) as store:
        part = store.subgraph("gsm8k", 1)
        typed = store.subgraph("gsm8k", 1, {"EVALUATES_ON", "USES"})
    assert set(typed) == set(part)
    kept = {(start, end, key) for start, end, key, kind in part.edges(keys=True, data="type")
            if kind in {"EVALUATES_ON", "USES"}}
    assert kept and set(typed.edges(keys=True)) == kept


# -- processes: killed, concurrent ---------------------------------------------------
#: A build in a process of its own, of the papers of argv[2:] into argv[1], one paper per transaction.
BUILD_SCRIPT = """
import sys
from paperkg.graph.build import build
build(sys.argv[2:], sys.argv[1], store_batch=1)
"""

#: The same build, killed (SIGKILL) in the middle of its third transaction.
KILLED_BUILD_SCRIPT = """
import os, signal, sys
from paperkg.graph.build import build
from paperkg.graph.sqlite_store import GraphStore
write_edges, calls = GraphStore._write_paper_edges, []
def write_then_die(self, paper):
    write_edges(self, paper)
    calls.append(paper)
    if len(calls) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
GraphStore._write_paper_edges = write_then_die
build(sys.argv[2:], sys.argv[1], store_batch=1)
"""


def _python(script, *args):
    return subprocess.Popen([sys.executable, "-c", script, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_sqlite_store_killed_build_keeps_its_committed_batches_and_the_next_run_completes_it(tmp_path):
    path = tmp_path / "kg.db"
    killed = _python(KILLED_BUILD_SCRIPT, path, EXAMPLES)
    killed.communicate(timeout=300)
    assert killed.returncode == -9
    with GraphStore(path) as store:
        assert store.counts()[0]["Paper"] == 2  # two batches committed, the third lost whole
    resumed = build([EXAMPLES], path)
    assert (resumed.stats.papers_unchanged, resumed.stats.papers_added) == (2, 3)
    build([EXAMPLES], tmp_path / "once.json")
    assert full_content(read_graph(path)) == full_content(read_graph(tmp_path / "once.json"))


def test_sqlite_store_two_concurrent_builds_keep_each_others_papers(tmp_path, acronym_inputs):
    path = tmp_path / "kg.db"
    first, second = _python(BUILD_SCRIPT, path, acronym_inputs[0]), _python(BUILD_SCRIPT, path, *acronym_inputs[1:])
    for process in (first, second):
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    build(acronym_inputs, tmp_path / "once.json")
    assert full_content(read_graph(path)) == full_content(read_graph(tmp_path / "once.json"))


# -- the command line on a store ---------------------------------------------------------
def _paperkg(*args, cwd):
    return subprocess.run([sys.executable, "-c", "from paperkg.graph.cli import main; main()", *map(str, args)], cwd=cwd,
                          capture_output=True, env={**os.environ, "PAPERKG_GRAPH": ""},
                          text=True, timeout=300)


def test_sqlite_store_cli_builds_the_default_store_and_answers_from_it(tmp_path):
    env_free = _paperkg("build", EXAMPLES, cwd=tmp_path)
    assert env_free.returncode == 0, env_free.stderr
    assert (tmp_path / "paperkg-graph.db").read_bytes()[:16] == b"SQLite format 3\x00"
    stats = json.loads(_paperkg("stats", "--json", cwd=tmp_path).stdout)
    assert {"kind": "node", "name": "Paper", "count": 5} in stats
    using = json.loads(_paperkg("papers-using", "gsm-8k", "--json", cwd=tmp_path).stdout)
    assert len(using) == 2
    again = _paperkg("build", EXAMPLES, cwd=tmp_path)
    assert "0 papers added, 0 updated, 5 unchanged (not extracted again)" in again.stderr


@pytest.mark.parametrize("flag, shown", [("--progress", True), ("--no-progress", False), (None, False)])
def test_sqlite_store_cli_progress_shows_bytes_rate_and_eta_when_asked_or_on_a_terminal(tmp_path, flag, shown):
    result = _paperkg("build", EXAMPLES, "--graph", tmp_path / "kg.db", *([flag] if flag else []), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    size_kb = f"{EXAMPLES.stat().st_size / 1000:.1f}/{EXAMPLES.stat().st_size / 1000:.1f} kB"
    assert (size_kb in result.stderr and "5 papers" in result.stderr and "ETA" in result.stderr) == shown


def test_sqlite_store_cli_migrate_copies_a_json_graph_once(tmp_path):
    assert _paperkg("build", EXAMPLES, "--graph", "kg.json", cwd=tmp_path).returncode == 0
    result = _paperkg("migrate", "kg.json", "kg.db", cwd=tmp_path)
    assert result.returncode == 0 and "-> kg.db" in result.stderr, result.stderr
    assert full_content(read_graph(tmp_path / "kg.db")) == full_content(read_graph(tmp_path / "kg.json"))
    again = _paperkg("migrate", "kg.json", "kg.db", cwd=tmp_path)
    assert again.returncode == 2 and "kg.db: already exists" in again.stderr


@pytest.fixture(scope="module")
def store_and_graph_file(tmp_path_factory, acronym_inputs):
    """The acronym papers built into a store and into a JSON graph file."""
    folder = tmp_path_factory.mktemp("built")
    build(acronym_inputs, folder / "kg.db")
    build(acronym_inputs, folder / "kg.json")
    return folder / "kg.db", folder / "kg.json"


@pytest.mark.parametrize("name", [name for name, query in catalogue().items() if not query.arguments])
def test_sqlite_store_catalogue_over_the_graph_answers_from_the_relationships_its_patterns_name(store_and_graph_file,
                                                                                                  name):
    store_file, graph_file = store_and_graph_file
    rows = answer_catalogue(name, store_file, {}).rows
    assert rows == answer_catalogue(name, graph_file, {}).rows  # the whole graph, read from the JSON file
    assert rows or "trends" in name  # the papers are undated


def test_sqlite_store_relationships_of_types_holds_those_and_their_ends(store_and_graph_file):
    with GraphStore(store_and_graph_file[0], read_only=True) as store:
        part = store.relationships_of({"USES", "EVALUATES_ON"})
        whole = store.graph()
    edges = {(start, end, key) for start, end, key, kind in whole.edges(keys=True, data="type")
             if kind in {"USES", "EVALUATES_ON"}}
    assert edges and set(part.edges(keys=True)) == edges
    assert set(part) == {node for start, end, _ in edges for node in (start, end)}
    assert all(part.nodes[node] == whole.nodes[node] for node in part)


def _sql_queries():
    return [name for name, query in catalogue().items() if sql_form(query) is not None]


def tie_extractions():
    """Datasets used by as many papers as each other (ties in ORDER BY), a paper that both uses and
    evaluates on one benchmark, and one naming a benchmark only by an alias; dated to the day, the
    year and the month."""
    def paper(n):
        return Paper(id=f"title:tie{n}", title=f"Tie {n}", abstract="x", date={1: "2023-05-02", 2: "2023", 3: "2024-01"}[n])
    return [
        Extraction(paper(1), [Entity("mmlu", "MMLU", "Benchmark"), Entity("c4", "C4", "Dataset")],
                   [Relation("PAPER", "USES", "MMLU", "e", 0, 1, "rules", 0.5),
                    Relation("PAPER", "EVALUATES_ON", "MMLU", "e", 0, 1, "rules", 0.5),
                    Relation("PAPER", "USES", "C4", "e", 0, 1, "rules", 0.5)]),
        Extraction(paper(2), [Entity("c4", "C4", "Dataset", aliases=["Colossal Clean Crawled Corpus"]),
                              Entity("mmlu", "MMLU", "Benchmark")],
                   [Relation("PAPER", "EVALUATES_ON", "C4", "e", 0, 1, "rules", 0.5),
                    Relation("PAPER", "EVALUATES_ON", "MMLU", "e", 0, 1, "rules", 0.5)]),
        Extraction(paper(3), [Entity("gsm8k", "GSM8K", "Benchmark", aliases=["GSM-8K"])],
                   [Relation("PAPER", "USES", "GSM-8K", "e", 0, 1, "rules", 0.5)]),
    ]


def trend_extractions():
    """Papers dated to the day, the month and the year, and one undated, using entities of several types:
    an acronym two methods expand (SMA), a paper using both, relationships that are no use (PROPOSES,
    MENTIONS, an entity's TRAINED_ON), a model and a method sharing the key CLIP."""
    def paper(n, date, entities, relations):
        return Extraction(Paper(id=f"title:trend{n}", title=f"Trend {n}", abstract="x", date=date), entities,
                          [Relation(head, rel_type, tail, "e", 0, 1, "rules", 0.5) for head, rel_type, tail in relations])
    adapters = Entity("sparsemixtureadapters", "Sparse Mixture Adapters", "Method", aliases=["SMA"])
    attention = Entity("slidingmemoryattention", "Sliding Memory Attention", "Method", aliases=["SMA"])
    return [
        paper(1, "2021-03-04", [adapters, Entity("mmlu", "MMLU", "Benchmark")],
              [("PAPER", "USES", "Sparse Mixture Adapters"), ("PAPER", "EVALUATES_ON", "MMLU")]),
        paper(2, "2021-03", [adapters, attention],
              [("PAPER", "USES", "Sparse Mixture Adapters"), ("PAPER", "EVALUATES_ON", "Sliding Memory Attention")]),
        paper(3, "2021", [adapters, Entity("gsm8k", "GSM8K", "Benchmark")],
              [("PAPER", "PROPOSES", "Sparse Mixture Adapters"), ("PAPER", "EVALUATES_ON", "GSM8K")]),
        paper(4, "2022-11-30", [Entity("llama38b", "LLaMA-3-8B", "Model"), Entity("c4", "C4", "Dataset")],
              [("PAPER", "USES", "LLaMA-3-8B"), ("LLaMA-3-8B", "TRAINED_ON", "C4")]),
        paper(5, "2022-11", [Entity("clip", "CLIP", "Model"), Entity("c4", "C4", "Dataset")],
              [("PAPER", "USES", "CLIP"), ("PAPER", "EVALUATES_ON", "C4")]),
        paper(6, "2022", [Entity("clip", "CLIP", "Method")], [("PAPER", "EVALUATES_ON", "CLIP")]),
        paper(7, None, [attention, Entity("mmlu", "MMLU", "Benchmark")],
              [("PAPER", "USES", "Sliding Memory Attention"), ("PAPER", "USES", "MMLU")]),
    ]


@pytest.fixture(scope="module")
def sql_store(tmp_path_factory, acronym_inputs):
    """A store of the example and acronym papers and the hand-written ones, and its graph as a JSON file."""
    folder = tmp_path_factory.mktemp("sql")
    build(acronym_inputs, folder / "kg.db")
    with GraphStore(folder / "kg.db") as store:
        store.add_extractions([*hand_extractions(), *tie_extractions(), *trend_extractions()])
        write_graph(store.graph(), folder / "kg.json")
    return folder / "kg.db", folder / "kg.json"


#: The keys of entities of several types, acronyms and expansions, that dated papers use.
TREND_KEYS = [{"key": key} for key in ("GSM8K", "gsm-8k", "MMLU", "C4", "colossal clean crawled corpus", "SMA",
                                       "Sparse Mixture Adapters", "sliding memory attention", "CLIP",
                                       "Contrastive Language-Image Pretraining", "LLaMA-3-8B", "DPO", "GSM9K")]
#: The values each query with an SQL form is asked with: its example's and argument's, limits
#: cutting ties, an alias key, an unknown key, a limit that is no whole number.
SQL_FORM_VALUES = {
    "top-datasets": [{}, {"limit": 10}, {"limit": 0}, {"limit": 1}, {"limit": 3}, {"limit": 4}, {"limit": 1000},
                     {"limit": -1}],
    "papers-using": [{"key": "GSM8K"}, {"key": "gsm-8k"}, {"key": "MMLU"}, {"key": "colossal clean crawled corpus"},
                     {"key": "DPO"}, {"key": "Direct Preference Optimization"}, {"key": "GSM9K"}, {"key": "mmlu"},
                     {"key": "中文理解评测"}, {"key": "LLaMA-3-8B"}],
    "trends-datasets": [{}],
    "trends-datasets-monthly": [{}],
    "trends-entity": TREND_KEYS,
    "trends-entity-monthly": TREND_KEYS,
    "trends-papers": [{}],
    "trends-papers-monthly": [{}],
}
#: Keys known but used only by undated papers (DPO's names a venue and no year): no rows, and no error.
NO_DATED_USE = {"DPO"}


def test_sqlite_store_sql_forms_have_values_to_test():
    assert set(_sql_queries()) == set(SQL_FORM_VALUES)


@pytest.mark.parametrize("name, values", [(name, values) for name in _sql_queries()
                                          for values in SQL_FORM_VALUES.get(name, [])])
def test_sqlite_store_sql_form_answers_as_nxcypher(sql_store, name, values):
    store_file, graph_file = sql_store
    sql_rows, cypher_rows = _answer_with(name, store_file, values), _answer_with(name, graph_file, values)
    assert sql_rows == cypher_rows  # the JSON file of the store's graph is answered by nxcypher
    answered = (values.get("limit", 1) > 0 and values.get("key") != "GSM9K"
                and not (name.startswith("trends-entity") and values.get("key") in NO_DATED_USE))
    assert bool(isinstance(sql_rows, tuple) and sql_rows[1]) == answered


def _answer_with(name, path, values):
    try:
        result = answer_catalogue(name, path, values)
    except QueryError as err:  # an unknown entity, a bad limit: the same message
        return str(err)
    return result.columns, result.rows


@pytest.mark.parametrize("args, graph_engine", [
    pytest.param(["papers-using", "gsm-8k"], False, id="papers-using"),
    pytest.param(["top-datasets", "--limit", "3"], False, id="top-datasets"),
    pytest.param(["compared-with", "GSM8K"], True, id="compared-with-has-no-sql-form"),
])
def test_sqlite_store_cli_answers_sql_forms_without_networkx(sql_store, args, graph_engine):
    done, imported = run_cli_noting_graph_engines([*args, "--graph", sql_store[0], "--json"])
    assert bool(imported) == graph_engine, done.stderr
    assert json.loads(done.stdout) == answer_catalogue(args[0], sql_store[0], {"key": "gsm-8k", "limit": 3}).rows


def run_cli_noting_graph_engines(args):
    """``paperkg ARGS`` in a process of its own, and which of NetworkX, nxcypher and numpy it imported."""
    script = ("import json, runpy, sys\ncode = 0\n"
              "try:\n    runpy.run_module('paperkg', run_name='__main__')\nexcept SystemExit as stop:\n    code = stop.code\n"
              "print(json.dumps(sorted(m for m in ('networkx', 'nxcypher', 'numpy') if m in sys.modules)), file=sys.stderr)\n"
              "sys.exit(code)\n")
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=120)
    return done, json.loads(done.stderr.strip().splitlines()[-1])


def test_sqlite_store_sql_form_only_for_the_shipped_query_text(tmp_path):
    shipped = Path(__file__).parent.parent / "cypher"
    for query in shipped.glob("*.cypher"):
        (tmp_path / query.name).write_bytes(query.read_bytes())
    changed = (shipped / "papers-using.cypher").read_text().replace("ORDER BY title, id", "ORDER BY id")
    (tmp_path / "papers-using.cypher").write_text(changed)
    (tmp_path / "top-datasets.sql").write_text("SELECT 'not ours' AS name")  # a folder's SQL is never run
    copied = read_catalogue(tmp_path).queries
    assert sql_form(copied["papers-using"]) is None
    assert sql_form(copied["top-datasets"]) == (shipped / "top-datasets.sql").read_text()

"""Sharded extraction: local worker processes and a real Dask cluster give one process's output, in order."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperkg.extractors.parallel import DaskCluster, extract_sharded, partitions
from paperkg.extractors.readers import ReadReport, read_papers
from paperkg.extractors.records import Paper
from paperkg.extractors.shards import read_extractions
from paperkg.graph.cli import cli
from paperkg.graph.store import read_graph

EXAMPLES = Path(__file__).parent / "fixtures" / "example-papers.txt"
ABSTRACT = ("We propose {name}, a small verifier, and evaluate it on GSM8K and MATH against Self-Consistency. "
            "{name} reaches 81.2% accuracy on GSM8K.")


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    """The README's five papers and a JSON Lines file: a good record, a bad one (no abstract), a good one."""
    extra = tmp_path_factory.mktemp("inputs") / "extra.jsonl"
    records = [{"title": "StepProbe: Probing Steps", "abstract": ABSTRACT.format(name="StepProbe")},
               {"title": "No Abstract Here"},
               {"title": "LoopCheck: Checking Loops", "abstract": ABSTRACT.format(name="LoopCheck")}]
    extra.write_text("".join(json.dumps(r) + "\n" for r in records))
    return [EXAMPLES, extra]


@pytest.fixture(scope="module")
def one_process(inputs, tmp_path_factory) -> tuple[bytes, list[str]]:
    """``paperkg extract`` in one process: the output and the problem lines."""
    out = tmp_path_factory.mktemp("one") / "one.jsonl"
    result = run("extract", *inputs, "-o", out)
    assert result.exit_code == 0, result.output
    return out.read_bytes(), result.stderr.splitlines()


@pytest.mark.parametrize("count, size, ending, expected", [
    (0, 2, 1, []), (5, 2, 1, [2, 2, 1]), (4, 2, 1, [2, 2]), (3, 10, 1, [3]),
    # the last size * ending // 2 papers are cut into `ending` even partitions
    (0, 200, 4, []), (3, 200, 4, [1, 1, 1]), (1000, 200, 4, [200, 200, 200, 100, 100, 100, 100]),
    (1100, 200, 4, [200, 200, 200, 200, 75, 75, 75, 75]),
])
def test_parallel_partitions_cut_the_papers_in_order(count, size, ending, expected):
    papers = [Paper(id=str(i), title="t", abstract="a") for i in range(count)]
    cut = list(partitions(papers, size, ending))
    assert [len(p.papers) for p in cut] == expected and [p.index for p in cut] == list(range(len(expected)))
    assert [paper for p in cut for paper in p.papers] == papers


def test_parallel_local_workers_merge_partitions_in_input_order(inputs, one_process):
    """Four partitions on two processes, finishing in any order: the merged lines are one process's."""
    papers = read_papers(map(str, inputs))
    lines = [json.dumps(e.to_dict(), ensure_ascii=False) + "\n"
             for e in extract_sharded(papers, workers=2, partition_size=2)]
    assert "".join(lines).encode() == one_process[0]


def test_parallel_local_workers_from_a_forkserver_when_threads_run(inputs, one_process):
    """A process running a thread forks no worker (the child would inherit its locks in any state):
    the workers come from a forkserver, with the same output."""
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)
    waiting.start()
    try:
        lines = [json.dumps(e.to_dict(), ensure_ascii=False) + "\n"
                 for e in extract_sharded(read_papers(map(str, inputs)), workers=2, partition_size=2)]
    finally:
        stop.set()
        waiting.join()
    assert "".join(lines).encode() == one_process[0]


@pytest.mark.parametrize("option", ["--workers", "--n-process"])  # --n-process N: paperkg's N workers too
def test_parallel_cli_extract_workers_equals_one_process(inputs, one_process, tmp_path, option):
    out = tmp_path / "workers.jsonl"
    result = run("extract", *inputs, option, "2", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == one_process[0]
    assert result.stderr.splitlines() == one_process[1]  # the bad record: the same line, naming file and record
    assert any("extra.jsonl:2" in line for line in one_process[1])


def test_parallel_dask_cluster_gives_the_graph_of_one_process(dask_scheduler, inputs, one_process, tmp_path):
    """Shards from a real Dask cluster: their lines are one process's, and build --from-extractions
    gives the graph a one-process build gives."""
    shards = tmp_path / "shards"
    result = run("extract", *inputs, "--scheduler", dask_scheduler, "-o", f"{shards}/")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == one_process[1][0]
    assert b"".join(p.read_bytes() for p in sorted(shards.iterdir())) == one_process[0]

    assert run("build", *inputs, "--graph", tmp_path / "direct.json").exit_code == 0
    result = run("build", "--from-extractions", shards, "--graph", tmp_path / "sharded.json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "sharded.json").read_bytes() == (tmp_path / "direct.json").read_bytes()


def test_parallel_build_from_extractions_equals_build(inputs, one_process, tmp_path):
    extractions = tmp_path / "extractions.jsonl"
    extractions.write_bytes(one_process[0])
    assert run("build", *inputs, "--graph", tmp_path / "direct.json").exit_code == 0
    result = run("build", "--from-extractions", extractions, "--graph", tmp_path / "loaded.json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "loaded.json").read_bytes() == (tmp_path / "direct.json").read_bytes()


def test_parallel_build_from_extractions_into_a_store_equals_build(inputs, one_process, tmp_path):
    extractions = tmp_path / "extractions.jsonl"
    extractions.write_bytes(one_process[0])
    assert run("build", *inputs, "--graph", tmp_path / "direct.db").exit_code == 0
    assert run("build", "--from-extractions", extractions, "--graph", tmp_path / "loaded.db").exit_code == 0
    direct, loaded = read_graph(tmp_path / "direct.db"), read_graph(tmp_path / "loaded.db")
    assert any(label == "Result" for _, label in loaded.nodes(data="label"))
    assert sorted(map(repr, loaded.nodes(data=True))) == sorted(map(repr, direct.nodes(data=True)))
    assert sorted(map(repr, loaded.edges(keys=True, data=True))) == sorted(map(repr, direct.edges(keys=True, data=True)))


def test_parallel_build_workers_equals_one_process(inputs, tmp_path):
    assert run("build", *inputs, "--graph", tmp_path / "one.json").exit_code == 0
    result = run("build", *inputs, "--workers", "2", "--graph", tmp_path / "two.json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "two.json").read_bytes() == (tmp_path / "one.json").read_bytes()


def test_parallel_failed_run_leaves_the_shard_directory_as_it_was(inputs, tmp_path):
    shards = tmp_path / "shards"
    assert run("extract", EXAMPLES, "--workers", "2", "-o", f"{shards}/").exit_code == 0
    before = {p.name: p.read_bytes() for p in shards.iterdir()}
    result = run("extract", *inputs, "--workers", "2", "--strict", "-o", shards)  # stops at the bad record
    assert result.exit_code == 1 and "extra.jsonl:2" in result.stderr
    assert {p.name: p.read_bytes() for p in shards.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shards"]  # no temporary directory left


# -- extraction files read back: each bad line is one problem naming file and line; good lines kept --

GOOD = {"paper": {"id": "title:a", "title": "A", "abstract": "B"},
        "entities": [{"id": "gsm8k", "name": "GSM8K", "type": "Benchmark"}],
        "relations": [{"head": "PAPER", "type": "EVALUATES_ON", "tail": "GSM8K", "evidence": "on GSM8K",
                       "start": 0, "end": 8, "extractor": "rule", "confidence": 0.9}],
        "results": [{"subject": "PAPER", "benchmark": "GSM8K", "metric": "accuracy", "value": "81.2", "unit": "%",
                     "kind": "absolute", "baseline": None, "setting": None, "evidence": "81.2% accuracy on GSM8K",
                     "start": 0, "end": 23, "extractor": "rule", "confidence": 0.8}]}


def _with(path: str, value) -> dict:
    """GOOD with the value at a dotted path (list indexes as numbers) replaced."""
    record = json.loads(json.dumps(GOOD))
    *parents, last = [int(k) if k.isdigit() else k for k in path.split(".")]
    target = record
    for key in parents:
        target = target[key]
    target[last] = value
    return record


@pytest.mark.parametrize(
    "line, reason",
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not an extraction"),
        (json.dumps({"paper": {"title": "A", "abstract": "B"}}), "paper has no 'id'"),
        (json.dumps(_with("entities.0.type", "Model`) DETACH DELETE (n")), "entities[0].type is \"Model`) DETACH"),
        (json.dumps(_with("relations.0.type", "LIKES")), "relations[0].type is \"LIKES\", not one of PROPOSES"),
        (json.dumps(_with("relations.0.start", -1)), "relations[0].start is -1, not a whole number"),
        (json.dumps(_with("relations.0.tail", "MATH")), "relations[0] names \"MATH\", which is no entity"),
        (json.dumps(_with("paper.title", "\ud800")), "lone surrogate (\\ud800)"),
        ('{"paper": {"id": "a", "id": "b", "title": "A", "abstract": "B"}}', "paper repeats the key 'id'"),
        (json.dumps(_with("entities", {"GSM8K": 1})), "entities is {\"GSM8K\": 1}, not a list"),
        (json.dumps(_with("results.0.kind", "best")), "results[0].kind is \"best\", not one of absolute"),
        (json.dumps(_with("results.0.benchmark", "MATH")), "results[0] names \"MATH\", which is no entity"),
        (json.dumps(_with("results.0.baseline", 3)), "results[0].baseline is 3, not a string"),
    ],
)
def test_parallel_read_extractions_reports_a_bad_line_and_keeps_the_rest(tmp_path, line, reason):
    path = tmp_path / "extractions.jsonl"
    second = _with("paper.id", "title:b")
    path.write_text(json.dumps(GOOD) + "\n" + line + "\n" + json.dumps(second) + "\n", encoding="utf-8")
    problems, report = [], ReadReport()
    kept = list(read_extractions([path], report=report, on_problem=problems.append))
    assert [e.paper.id for e in kept] == ["title:a", "title:b"]
    assert [str(p) for p in problems] == [f"{path}:2: " + str(problems[0]).split(": ", 1)[1]]
    assert reason in str(problems[0]) and (report.read, report.kept, sum(report.skipped.values())) == (3, 2, 1)


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--scheduler", "localhost"], 2, "--scheduler 'localhost': expected the scheduler's address, tcp://HOST:PORT"),
        (["--workers", "2", "--n-process", "2"], 2, "--n-process 2 with --workers/--scheduler: give one"),
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], 2, "--workers 2 and --scheduler"),
        (["--scheduler", "tcp://127.0.0.1:1"], 1, "tcp://127.0.0.1:1: cannot reach the Dask scheduler"),
    ],
)
def test_parallel_cli_bad_options_are_one_line(monkeypatch, args, code, message):
    monkeypatch.setattr(DaskCluster, "CONNECT_TIMEOUT", "1s")
    result = run("extract", EXAMPLES, *args)
    assert result.exit_code == code and message in result.stderr, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "setup, args, code, message",
    [
        ("foreign", ["extract", EXAMPLES, "--workers", "2", "-o", "{dir}"], 2, "holds notes.txt, which sharded output"),
        ("empty", ["build", "--from-extractions", "{dir}", "--graph", "{dir}.json"], 1, "is a directory without shards"),
        ("empty", ["build", "--from-extractions", "{dir}", "--workers", "2"], 2, "--workers (options of extraction)"),
    ],
)
def test_parallel_cli_bad_shard_directories_are_one_line(tmp_path, setup, args, code, message):
    directory = tmp_path / "out"
    directory.mkdir()
    if setup == "foreign":
        (directory / "notes.txt").write_text("mine")
    result = run(*[str(a).format(dir=directory) for a in args])
    assert result.exit_code == code and message in result.stderr, result.output
    assert (setup != "foreign") or (directory / "notes.txt").read_text() == "mine"

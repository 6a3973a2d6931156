"""The ``paperkg`` command end to end: real inputs, the real pipeline, the graph file on disk."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph.cli import cli

EXAMPLES = Path(__file__).parent / "fixtures" / "example-papers.txt"


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "kg.json"
    result = run("build", EXAMPLES, "--graph", path)
    assert result.exit_code == 0, result.output
    return path


def test_cli_build_then_papers_using_lists_exactly_the_papers_that_use_it(built):
    result = run("papers-using", "gsm-8k", "--graph", built, "--json")
    titles = sorted(row["title"] for row in json.loads(result.stdout))
    assert titles == [
        "StepCritic: Verifying Each Step of Mathematical Reasoning with a Learned Critic",
        "TinyCoder: Small Code Models Trained on Verified Programs",
    ]


@pytest.mark.parametrize(
    "command, expected",
    [
        (["papers-proposing", "StepCritic"], "StepCritic: Verifying"),
        (["outperforms", "IQL"], "Curriculum Rollouts"),
        (["top-datasets", "--limit", "3"], "GSM8K"),
        (["entity", "Direct Preference Optimization"], "DPO"),
    ],
)
def test_cli_catalogue_commands_answer(built, command, expected):
    result = run(*command, "--graph", built)
    assert result.exit_code == 0, result.output
    assert expected in result.stdout


def test_cli_query_takes_parameters_and_prints_csv(built):
    result = run("query", "MATCH (b:Entity) WHERE $key IN b.keys RETURN b.name AS name", "--graph", built,
                 "-p", "key=humaneval", "--csv")
    assert list(csv.reader(io.StringIO(result.stdout))) == [["name"], ["HumanEval"]]


def test_cli_stats_counts_papers_and_relationships(built):
    rows = json.loads(run("stats", "--graph", built, "--json").stdout)
    counts = {(r["kind"], r["name"]): r["count"] for r in rows}
    assert counts[("node", "Paper")] == 5
    assert counts[("relationship", "EVALUATES_ON")] >= 4


def test_cli_build_again_is_idempotent(built, tmp_path):
    copy = tmp_path / "again.json"
    copy.write_bytes(built.read_bytes())
    run("build", EXAMPLES, "--graph", copy)
    before = json.loads(run("stats", "--graph", built, "--json").stdout)
    assert json.loads(run("stats", "--graph", copy, "--json").stdout) == before


def test_cli_extract_writes_one_json_object_per_paper(tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("extract", EXAMPLES, "-o", out)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 5
    first = records[0]
    assert set(first) == {"paper", "entities", "relations"}
    assert {"id", "title", "abstract"} <= set(first["paper"])
    assert {"id", "name", "type", "aliases", "mentions"} <= set(first["entities"][0])
    relation = first["relations"][0]
    assert {"head", "type", "tail", "evidence", "confidence", "extractor", "start", "end"} <= set(relation)
    assert relation["evidence"] in first["paper"]["title"] + "\n\n" + first["paper"]["abstract"]


def test_cli_eval_scores_against_gold(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({
        "id": "1", "title": "TinyCoder: Small Code Models Trained on Verified Programs",
        "entities": [{"name": "TinyCoder-1B", "type": "Model", "aliases": []},
                     {"name": "HumanEval", "type": "Benchmark", "aliases": []}],
        "relations": [{"head": "PAPER", "type": "EVALUATES_ON", "tail": "HumanEval"}],
    }) + "\n")
    result = run("eval", gold, EXAMPLES, "--json")
    scores = json.loads(result.stdout)
    assert scores["papers"] == {"gold": 1, "matched": 1}
    assert scores["relations"]["EVALUATES_ON"]["tp"] == 1


# -- bad input: one line naming the file and the problem, exit code 1, no traceback ---------------

def _paperkg(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "from graph.cli import main; main()", *map(str, args)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.txt", b"", "empty input"),
        ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "not text"),
        ("chrome.txt", b"Daily Papers\n\nSubscribe\n\nNov 20\n", "no paper"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_1(tmp_path, name, content, message):
    bad = tmp_path / name
    bad.write_bytes(content)
    result = _paperkg("build", bad, "--graph", tmp_path / "kg.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert name in result.stderr or message in result.stderr
    assert message in result.stderr
    assert not (tmp_path / "kg.json").exists()


def test_cli_failed_build_leaves_the_graph_as_it_was(built, tmp_path):
    graph = tmp_path / "kg.json"
    graph.write_bytes(built.read_bytes())
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = _paperkg("build", empty, "--graph", graph, cwd=tmp_path)
    assert result.returncode == 1
    assert graph.read_bytes() == built.read_bytes()


def test_cli_usage_error_exits_2(tmp_path):
    result = _paperkg("build", EXAMPLES, "--format", "docx", cwd=tmp_path)
    assert result.returncode == 2
    assert "docx" in result.stderr and "Traceback" not in result.stderr


COMPARISONS = """Zorb: Small Chat Models
We present Zorb, a small chat model trained on curated dialogues. Our Zorb outperforms Quux-7B on BarQA2 and still trails Blick-13B.

Revisiting Tricks for Chat Model Tuning
We revisit ten tricks for tuning chat models. We find that the tricks do not generally outperform Quux-7B on BarQA2.

Plink: Tiny Chat Models
We present Plink, a tiny chat model for phones. Our Plink is on par with Quux-7B on BarQA2.
"""


@pytest.fixture(scope="module")
def compared(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("compared")
    (folder / "papers.txt").write_text(COMPARISONS, encoding="utf-8")
    result = run("build", folder / "papers.txt", "--graph", folder / "kg.json")
    assert result.exit_code == 0, result.output
    return folder / "kg.json"


@pytest.mark.parametrize("name, challengers", [("Quux-7B", ["Zorb"]), ("Zorb", ["Blick-13B"]), ("Plink", [])])
def test_cli_outperforms_lists_only_what_is_claimed_better(compared, name, challengers):
    result = run("outperforms", name, "--graph", compared, "--json")
    assert [row["challenger"] for row in json.loads(result.stdout)] == challengers


def test_cli_compared_with_shows_each_direction(compared):
    rows = json.loads(run("compared-with", "Zorb", "--graph", compared, "--json").stdout)
    assert [(row["baseline"], row["direction"]) for row in rows] == [("Blick-13B", "worse"), ("Quux-7B", "better")]

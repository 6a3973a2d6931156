"""The ``paperkg`` command end to end: real inputs, the real pipeline, the graph file on disk."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperkg.graph.cli import cli

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
        (["datasets-used-with", "Conservative Q-Learning"], "D4RL"),
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
    assert set(first) == {"paper", "entities", "relations", "results"}
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
    command = [sys.executable, "-c", "from paperkg.graph.cli import main; main()", *map(str, args)]
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


# -- writes go only where asked ------------------------------------------------------------------

def _copy_of(built: Path, directory: Path) -> Path:
    graph = directory / "kg.json"
    graph.write_bytes(built.read_bytes())
    return graph


@pytest.mark.parametrize(
    "command, what",
    [
        (["extract", "{input}", "-o", "{input}"], "is also an input"),
        (["extract", "{input}", "-o", "{link}"], "is also an input"),
        (["build", "{graph}", "--graph", "{graph}"], "is also an input"),
        (["export", "--format", "graphml", "-o", "{graph}", "--graph", "{graph}"], "is also the graph file"),
        (["export", "--format", "json", "-o", "{link}", "--graph", "{graph}"], "is also the graph file"),
        (["viz", "-o", "{graph}", "--graph", "{graph}"], "is also the graph file"),
    ],
)
def test_cli_output_that_is_an_input_or_the_graph_is_refused(built, tmp_path, command, what):
    graph = _copy_of(built, tmp_path)
    source = tmp_path / "papers.txt"
    source.write_bytes(EXAMPLES.read_bytes())
    names = {"input": source, "graph": graph, "link": tmp_path / "link"}
    names["link"].symlink_to(graph if "{graph}" in command else source)
    result = run(*(arg.format(**names) for arg in command))
    assert result.exit_code == 2, result.output
    assert what in result.stderr
    assert graph.read_bytes() == built.read_bytes()
    assert source.read_bytes() == EXAMPLES.read_bytes()


def test_cli_build_through_a_symlink_updates_the_target_and_keeps_its_mode(built, tmp_path):
    target = tmp_path / "store" / "kg.json"
    target.parent.mkdir()
    target.write_text("")
    target.unlink()
    link = tmp_path / "kg.json"
    link.symlink_to(target)
    assert run("build", EXAMPLES, "--graph", link).exit_code == 0
    target.chmod(0o640)
    assert run("build", EXAMPLES, "--graph", link).exit_code == 0
    assert link.is_symlink() and target.stat().st_mode & 0o777 == 0o640
    assert json.loads(run("stats", "--graph", link, "--json").stdout) == json.loads(
        run("stats", "--graph", built, "--json").stdout)


def test_cli_build_on_a_read_only_graph_is_refused_before_extracting(built, tmp_path):
    graph = _copy_of(built, tmp_path)
    graph.chmod(0o444)
    result = _paperkg("build", EXAMPLES, "--graph", graph, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: {graph}: is read-only; it was not replaced "
                                                  "(make it writable, or choose another file)"]
    assert graph.read_bytes() == built.read_bytes()


def test_cli_build_on_a_full_disk_keeps_the_graph_and_leaves_no_temporary(built, small_disk):
    graph = small_disk.path / "kg.json"
    graph.write_bytes(b'{"graph":{"name":"paperkg","format":1},"directed":true,"multigraph":true,'
                      b'"nodes":[],"edges":[]}')
    before = graph.read_bytes()
    small_disk.fill()
    result = _paperkg("build", EXAMPLES, "--graph", graph, cwd=small_disk.path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"Error: {graph}: cannot write: No space left on device" in result.stderr
    assert graph.read_bytes() == before
    assert sorted(p.name for p in small_disk.path.iterdir()) == ["filler", "kg.json"]


def test_cli_extract_on_a_full_disk_leaves_no_file(small_disk):
    small_disk.fill()
    result = _paperkg("extract", EXAMPLES, "-o", small_disk.path / "out.jsonl", cwd=small_disk.path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "out.jsonl: cannot write: No space left on device" in result.stderr
    assert [p.name for p in small_disk.path.iterdir()] == ["filler"]


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--batch-size", "-5", "Invalid value for '--batch-size': -5 is not in the range x>=1"),
        ("--batch-size", "0", "Invalid value for '--batch-size': 0 is not in the range x>=1"),
        ("--n-process", "0", "Invalid value for '--n-process': 0 is not in the range x>=1"),
    ],
)
def test_cli_bad_batch_options_are_usage_errors(tmp_path, option, value, message):
    result = _paperkg("build", EXAMPLES, option, value, "--graph", tmp_path / "kg.json", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["build", "-", "--graph", "kg.json"], ["extract", "-"]])
def test_cli_reading_a_closed_standard_input_is_one_line(tmp_path, command):
    result = subprocess.run([sys.executable, "-c", "from paperkg.graph.cli import main; main()", *command],
                            cwd=tmp_path, capture_output=False, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=None, text=True, timeout=300, preexec_fn=lambda: os.close(0))
    assert result.returncode == 1
    assert "<stdin>: standard input is closed" in result.stderr and "Traceback" not in result.stderr


# -- a broken catalogue file is reported and skipped; the other commands work ---------------------

@pytest.mark.parametrize(
    "content, problem",
    [
        (b"// Broken.\n// scope: x hops\nMATCH (n) RETURN n\n", "broken.cypher:2: scope 'x hops' is not a whole number"),
        (b"// Broken.\n// scope:\nMATCH (n) RETURN n\n", "broken.cypher:2: scope '' is not a whole number"),
        (b"// Broken.\n// option: limit how many\nMATCH (n) RETURN n\n", "broken.cypher:2: option 'limit' has no default"),
        (b"// Broken.\n// argument: $key the name\nMATCH (n) RETURN n\n", "broken.cypher:2: argument name '$key' is not"),
        (b"", "broken.cypher:1: the first line must be a '// description'"),
        (b"// Broken.\n// example: paperkg broken\n", "broken.cypher: holds no query"),
        (b"// Broken \xff\nMATCH (n) RETURN n\n", "broken.cypher: cannot be read"),
    ],
)
def test_cli_broken_catalogue_file_is_one_line_and_skipped(tmp_path, content, problem):
    folder = tmp_path / "cypher"
    folder.mkdir()
    for query in (Path(__file__).parent.parent / "cypher").glob("*.cypher"):
        (folder / query.name).write_bytes(query.read_bytes())
    (folder / "broken.cypher").write_bytes(content)
    command = [sys.executable, "-c", "from paperkg.graph.cli import main; main()", "--help"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PAPERKG_QUERIES": str(folder)})
    assert result.returncode == 0, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"{folder}/{problem}") and line.endswith("; the command 'broken' is skipped")
    assert "papers-using" in result.stdout and "broken" not in result.stdout


# -- what a file holds is printed, never obeyed ----------------------------------------------------

HOSTILE_TITLE = "Evil\x1b]0;owned\x07 \x1b[2J[/bold] [red]x\r\u202eflipped\x9b1m\ttab\nline é 中"


def test_cli_table_escapes_control_characters_and_json_stays_exact(tmp_path):
    from paperkg.extractors.records import Extraction, Paper
    from paperkg.graph.store import build_graph, write_graph

    graph = tmp_path / "kg.json"
    write_graph(build_graph([Extraction(Paper(id="title:1", title=HOSTILE_TITLE, abstract="A."))]), graph)
    cypher = "MATCH (p:Paper) RETURN p.title AS title"
    table = CliRunner().invoke(cli, ["query", cypher, "--graph", str(graph)], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert not any(ord(c) < 32 and c != "\n" or 0x7f <= ord(c) <= 0x9f or c == "\u202e" for c in table.stdout)
    assert r"Evil\x1b]0;owned\x07 \x1b[2J[/bold] [red]x\r\u202eflipped\x9b1m\ttab\nline é 中" in table.stdout
    assert json.loads(run("query", cypher, "--graph", graph, "--json").stdout) == [{"title": HOSTILE_TITLE}]


def _hand_graph(path: Path, *papers: tuple[str, str, str, str]) -> Path:
    """A graph file of papers ``(title, entity name, its type, the benchmark it evaluates on)``."""
    from paperkg.extractors.normalize import canonical_key
    from paperkg.extractors.records import Entity, Extraction, Paper, Relation
    from paperkg.graph.store import build_graph, write_graph

    extractions = [
        Extraction(Paper(id=f"title:{i}", title=title, abstract="A."),
                   [Entity(canonical_key(name), name, kind), Entity(canonical_key(bench), bench, "Benchmark")],
                   [Relation("PAPER", "EVALUATES_ON", bench, "A.", 0, 2, "rules", 0.9)])
        for i, (title, name, kind, bench) in enumerate(papers)
    ]
    write_graph(build_graph(extractions), path)
    return path


@pytest.mark.parametrize(
    "name, datasets",
    [
        ("reinforcement learning", ["MuJoCo"]),
        ("offline RL", ["D4RL"]),
        ("DRL", ["Atari"]),
        ("representation learning", ["ImageNet"]),
    ],
)
def test_cli_datasets_used_with_a_task_or_method_matches_longer_names_ending_in_it(tmp_path, name, datasets):
    result = run("datasets-used-with", name, "--graph", _rl_graph(tmp_path), "--json")
    assert sorted(row["name"] for row in json.loads(result.stdout)) == datasets


def test_cli_datasets_used_with_a_short_key_names_exactly(tmp_path):
    # "drl" ends in "rl" but names another method
    result = run("datasets-used-with", "RL", "--graph", _rl_graph(tmp_path))
    assert result.exit_code == 1 and "no entity is named 'RL'" in result.stderr


def _rl_graph(tmp_path: Path) -> Path:
    return _hand_graph(tmp_path / "kg.json",
                       ("P1", "Offline RL", "Method", "D4RL"),
                       ("P2", "model-based reinforcement learning", "Method", "MuJoCo"),
                       ("P3", "DRL", "Method", "Atari"),
                       ("P4", "contrastive representation learning", "Method", "ImageNet"))


# -- an unknown name is said so, with the closest known names --------------------------------------

@pytest.mark.parametrize(
    "command, message",
    [
        (["papers-using", "GSM9K"], "no entity is named 'GSM9K'; the closest names: GSM8K"),
        (["datasets-used-with", "Conservative Q-Lerning"],
         "no entity is named 'Conservative Q-Lerning'; the closest names: Conservative Q-Learning"),
        (["entity", "Direct Preference Optimisation"],
         "no entity is named 'Direct Preference Optimisation'; the closest names: Direct Preference Optimization"),
        (["outperforms", "zzzzqq"], "no entity is named 'zzzzqq'; no name is close"),
    ],
)
def test_cli_unknown_name_is_one_line_with_the_closest_names_and_exit_1(built, command, message):
    result = run(*command, "--graph", built)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"Error: {message}"] and result.stdout == ""


def test_cli_known_name_with_no_row_is_an_empty_answer(built):
    result = run("papers-using", "IQL", "--graph", built, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_cli_unknown_name_on_neo4j_names_the_closest(built, bolt_driver, bolt_settings):
    from paperkg.graph.neo4j import load_graph
    from paperkg.graph.store import read_graph

    load_graph(read_graph(built), bolt_driver, database=bolt_settings.database)
    result = run("papers-using", "GSM9K", "--neo4j", "--uri", bolt_settings.uri)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["Error: no entity is named 'GSM9K'; the closest names: GSM8K"]


def test_cli_entity_shows_type_aliases_and_the_papers_by_relationship(built):
    rows = json.loads(run("entity", "dpo", "--graph", built, "--json").stdout)
    assert {(r["name"], r["type"], tuple(r["aliases"])) for r in rows} == {
        ("Direct Preference Optimization", "Method", ("DPO",))}
    stepcritic = "StepCritic: Verifying Each Step of Mathematical Reasoning with a Learned Critic"
    assert [(r["relation"], r["title"]) for r in rows] == [("MENTIONS", stepcritic), ("USES", stepcritic)]


def test_cli_build_on_an_immutable_graph_is_one_line_and_keeps_it(built, tmp_path, make_immutable):
    graph = _copy_of(built, tmp_path)
    make_immutable(graph)
    result = _paperkg("build", EXAMPLES, "--graph", graph, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"Error: {graph}: is read-only; it was not replaced "
                                                  "(make it writable, or choose another file)"]
    assert graph.read_bytes() == built.read_bytes() and [p.name for p in tmp_path.iterdir()] == ["kg.json"]


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

"""Leaderboards: the scores reported on a benchmark, best first per metric, on every engine and in the HTML panel."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from paperkg.extractors.records import Entity, Extraction, Paper, Relation, Result
from paperkg.graph.cli import cli
from paperkg.graph.neo4j import load_graph, run_catalogue_neo4j
from paperkg.graph.query import run_catalogue
from paperkg.graph.store import build_graph, read_graph

# Written so that the real pipeline reads one result per score: a lower-is-better metric (top-1 error)
# beside a higher-is-better one, settings on COCO, the paper's own unnamed approach, and a gain.
ABSTRACTS = [
    ("CVPR 2022", "FastDet: Fast Object Detection",
     "We propose FastDet, a one-stage detector for object detection. FastDet reaches 46.6 box AP on COCO test-dev."),
    ("ICCV 2023", "SlowDet: Accurate Detection",
     "We present SlowDet, a two-stage detector. SlowDet achieves 48.1 box AP on the COCO validation set. "
     "SlowDet also reaches 47.5 box AP on COCO test-dev."),
    ("ICML 2021", "Residual Networks Revisited",
     "We propose ResNeXt-Lite, a compact residual network. ResNeXt-Lite achieves a top-1 error of 12.1% on "
     "ImageNet and reaches 81.5% top-1 accuracy on ImageNet."),
    ("NeurIPS 2022", "Wide Vision Transformers",
     "We introduce WideViT, a vision transformer. WideViT achieves a top-1 error of 9.8% on ImageNet and 84.2% "
     "top-1 accuracy on ImageNet."),
    ("AAAI 2023", "Sharper Training for Convolutional Networks",
     "We propose a new training recipe. Our method achieves 83.0% top-1 accuracy on ImageNet, a gain of 1.2 "
     "points over ResNet-50."),
    ("ICLR 2024", "TinyNet: Small Models",
     "We propose TinyNet, a small convolutional network. Our model achieves 77.0% top-1 accuracy on ImageNet "
     "and improves top-1 accuracy on ImageNet by 2.5%."),
]

#: ImageNet's leaderboard: (metric, model, value, better, date); TinyNet's "by 2.5%" is a gain, not listed.
IMAGENET = [
    ("top-1 accuracy", "WideViT", "84.2%", "higher", "2022"),
    ("top-1 accuracy", "(this paper)", "83.0%", "higher", "2023"),
    ("top-1 accuracy", "ResNeXt-Lite", "81.5%", "higher", "2021"),
    ("top-1 accuracy", "TinyNet", "77.0%", "higher", "2024"),
    ("top-1 error", "WideViT", "9.8%", "lower", "2022"),
    ("top-1 error", "ResNeXt-Lite", "12.1%", "lower", "2021"),
]


@pytest.fixture(scope="module")
def abstracts_graph(build_from_abstracts):
    """The SQLite store (the default graph file) built by the command from :data:`ABSTRACTS`."""
    return build_from_abstracts(ABSTRACTS, "kg.db")


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def leaderboard_json(graph_file, *args) -> list[dict]:
    done = run("leaderboard", *args, "--json", "--graph", graph_file)
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout)


def test_leaderboard_ranks_best_first_per_metric(abstracts_graph):
    rows = leaderboard_json(abstracts_graph, "imagenet", "--confidence", 0)  # every row: the bar has its own test
    assert [(r["metric"], r["model"], r["value"], r["better"], r["date"]) for r in rows] == IMAGENET
    assert rows[0]["title"] == "Wide Vision Transformers"
    assert rows[0]["evidence"].startswith("WideViT achieves a top-1 error of 9.8% on ImageNet")
    assert [(r["model"], r["value"], r["setting"]) for r in leaderboard_json(abstracts_graph, "coco")] == [
        ("SlowDet", "48.1", "validation set"), ("SlowDet", "47.5", "test-dev"), ("FastDet", "46.6", "test-dev")]


@pytest.mark.parametrize("args, expected", [
    (["ImageNet", "--metric", "TOP-1 Error"], [("WideViT", "9.8%"), ("ResNeXt-Lite", "12.1%")]),
    (["COCO", "--setting", "Test-Dev"], [("SlowDet", "47.5"), ("FastDet", "46.6")]),
    (["COCO", "--metric", "box ap", "--setting", "validation set"], [("SlowDet", "48.1")]),
    (["COCO", "--metric", "top-1 error"], []),
    # FastDet's abstract names its task, SlowDet's none
    (["COCO", "--task", "DETECTION"], [("FastDet", "46.6")]),
    (["ImageNet", "--task", "detection"], []),
])
def test_leaderboard_filters_by_metric_setting_and_task(abstracts_graph, args, expected):
    assert [(r["model"], r["value"]) for r in leaderboard_json(abstracts_graph, *args)] == expected


def test_leaderboard_csv_has_the_json_rows(abstracts_graph):
    done = run("leaderboard", "ImageNet", "--csv", "--graph", abstracts_graph)
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == ["metric", "model", "value", "setting", "task", "better", "title", "date", "confidence", "evidence"]
    assert rows == [{k: "" if v is None else str(v) for k, v in row.items()}
                    for row in leaderboard_json(abstracts_graph, "ImageNet")]


def test_leaderboard_confidence_keeps_the_rows_at_least_that_sure(abstracts_graph):
    rows = leaderboard_json(abstracts_graph, "ImageNet") + leaderboard_json(abstracts_graph, "COCO")
    confidences = sorted({r["confidence"] for r in rows})
    assert len(confidences) > 1 and all(0 < c <= 1 for c in confidences)
    bar = confidences[len(confidences) // 2]
    sure = leaderboard_json(abstracts_graph, "ImageNet", "--confidence", str(bar)) + \
        leaderboard_json(abstracts_graph, "COCO", "--confidence", str(bar))
    assert sure == [r for r in rows if r["confidence"] >= bar] != rows


def test_leaderboard_unknown_name_is_one_line_error(abstracts_graph):
    done = run("leaderboard", "ImageNett", "--graph", abstracts_graph)
    assert done.exit_code == 1 and "Traceback" not in done.output
    assert done.output.strip() == "Error: no entity is named 'ImageNett'; the closest names: ImageNet"


def gsm8k_paper(n: int, proposed: list[str], value: str, confidence: float = 0.8) -> Extraction:
    """Paper ``Tn``, proposing ``proposed``, whose own approach reaches ``value``% on GSM8K."""
    entities = [Entity("gsm8k", "GSM8K", "Benchmark")] + [Entity(name.lower(), name, "Model") for name in proposed]
    relations = [Relation("PAPER", "PROPOSES", name, f"We propose {name}.", 0, 10, "rules", 0.9) for name in proposed]
    result = Result("PAPER", "GSM8K", "accuracy", value, "%", "absolute", None, None,
                    f"Our model reaches {value}% accuracy on GSM8K.", 0, 40, "model", confidence)
    return Extraction(Paper(id=f"title:{n}", title=f"T{n}", abstract="A."), entities, relations, [result])


def own_approach_graph():
    """Two papers reporting their own approach's score on GSM8K: one proposes one model, one proposes two."""
    return build_graph([gsm8k_paper(1, ["MathNet"], "71.0"), gsm8k_paper(2, ["MathNet-S", "MathNet-L"], "75.5")])


def test_leaderboard_names_the_one_model_a_paper_proposes():
    rows = run_catalogue("leaderboard", own_approach_graph(), {"key": "GSM8K"}).rows
    assert [(r["model"], r["value"], r["title"]) for r in rows] == [("(this paper)", "75.5%", "T2"),
                                                                    ("MathNet", "71.0%", "T1")]


@pytest.mark.parametrize("values, listed", [({}, ["71.0%"]), ({"confidence": 0.0}, ["75.5%", "71.0%"])])
def test_leaderboard_lists_by_default_the_rows_the_extractor_is_at_least_half_sure_of(values, listed):
    graph = build_graph([gsm8k_paper(1, ["MathNet"], "71.0", 0.8), gsm8k_paper(2, ["StepNet"], "75.5", 0.3)])
    assert [r["value"] for r in run_catalogue("leaderboard", graph, {"key": "GSM8K", **values}).rows] == listed


# ---- the same rows over a Bolt server ---------------------------------------------------------------


def test_leaderboard_neo4j_gives_the_embedded_rows(bolt_driver, bolt_settings, abstracts_graph):
    graph = read_graph(abstracts_graph)
    load_graph(graph, bolt_driver, database=bolt_settings.database)
    for values in ({"key": "ImageNet"}, {"key": "coco", "setting": "TEST-DEV"}, {"key": "ImageNet", "metric": "top-1 error"}):
        embedded = run_catalogue("leaderboard", graph, values)
        assert embedded.rows and run_catalogue_neo4j("leaderboard", values, bolt_settings) == embedded
    load_graph(own_approach_graph(), bolt_driver, database=bolt_settings.database)
    assert (run_catalogue_neo4j("leaderboard", {"key": "gsm8k"}, bolt_settings)
            == run_catalogue("leaderboard", own_approach_graph(), {"key": "gsm8k"}))


# ---- the HTML view: a benchmark's panel shows the best rows of its leaderboard ----------------------


def test_leaderboard_viz_panel_shows_the_best_rows_per_metric(abstracts_graph):
    from paperkg.graph.viz import LEADERBOARD_ROWS, select_top, view_data

    graph = read_graph(abstracts_graph)
    boards = {n["name"]: n["details"].get("leaderboard") for n in view_data(graph, select_top(graph))["nodes"]}
    assert LEADERBOARD_ROWS == 3
    # the rows the command lists by default: the extractor is less sure of "(this paper)"'s 83.0% than
    # the bar (0.48 against 0.5), so top-1 accuracy has 3 rows here, and 4 in the command's every row
    sure = {(r["model"], r["value"]) for r in leaderboard_json(abstracts_graph, "ImageNet")}
    assert [(r["metric"], r["model"], r["value"]) for r in boards["ImageNet"]] == [
        (metric, model, value) for metric, model, value, *_ in IMAGENET if (model, value) in sure][:3] + [
        ("top-1 error", "WideViT", "9.8%"), ("top-1 error", "ResNeXt-Lite", "12.1%")]
    assert [r["value"] for r in boards["COCO"]] == ["48.1", "47.5", "46.6"]
    assert boards["WideViT"] == []  # results of a model are not on it


@pytest.mark.parametrize("graph_of", [lambda path: read_graph(path), lambda path: own_approach_graph()])
def test_leaderboard_viz_panel_rows_are_the_commands(abstracts_graph, graph_of):
    from paperkg.graph.viz import LEADERBOARD_METRICS, LEADERBOARD_ROWS, select_top, view_data

    graph = graph_of(abstracts_graph)
    panels = [n for n in view_data(graph, select_top(graph))["nodes"] if n["details"].get("leaderboard")]
    assert panels
    for node in panels:
        by_metric = {}
        for row in run_catalogue("leaderboard", graph, {"key": node["name"]}).rows:
            if row["metric"]:
                by_metric.setdefault(row["metric"].lower(), []).append(row)
        shown = sorted(by_metric.items(), key=lambda item: (-len(item[1]), item[0]))[:LEADERBOARD_METRICS]
        expected = [{k: row[k] for k in ("metric", "model", "value", "setting", "task", "better", "title")}
                    for _, rows in shown for row in rows[:LEADERBOARD_ROWS]]
        assert node["details"]["leaderboard"] == expected


def test_leaderboard_viz_page_panel_draws_the_leaderboard(chromium_path, abstracts_graph, tmp_path):
    from test_viz import _page_check

    from paperkg.graph.viz import write_html

    page = write_html(read_graph(abstracts_graph), tmp_path / "graph.html")
    report = _page_check(chromium_path, page, "ImageNet", tmp_path)
    assert report["errors"] == [] and report["found"] == "ImageNet"
    assert "Leaderboardtop-1 accuracy (higher is better)84.2%WideViT" in report["panel"]
    assert "top-1 error (lower is better)9.8%WideViT12.1%ResNeXt-Lite" in report["panel"]

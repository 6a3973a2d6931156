"""Trends: papers using an entity per period, the rising datasets, the chart, the command, and the rows of
a SQLite store and of Neo4j."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from paperkg.extractors.errors import UsageError
from paperkg.extractors.records import Entity, Extraction, Paper, Relation
from paperkg.graph.cli import cli
from paperkg.graph.neo4j import load_graph
from paperkg.graph.query import UnknownEntity
from paperkg.graph.sqlite_store import GraphStore
from paperkg.graph.store import build_graph
from paperkg.graph.trends import embedded_engine, neo4j_engine, rising, store_engine, trend_table

from test_sqlite_store import run_cli_noting_graph_engines

ENTITIES = {"imagenet": ("ImageNet", "Dataset", ["ILSVRC"]), "coco": ("COCO", "Dataset", ["MS COCO"]),
            "gsm8k": ("GSM8K", "Benchmark", []), "resnet50": ("ResNet-50", "Model", [])}


def dated_paper(n: int, date: str | None, uses: dict[str, str]) -> Extraction:
    """Paper ``n`` dated ``date`` stating each relation of ``uses`` (entity key -> USES, EVALUATES_ON or MENTIONS)."""
    entities, relations = [], []
    for key, rel_type in uses.items():
        name, label, aliases = ENTITIES[key]
        entities.append(Entity(key, name, label, aliases=aliases))
        if rel_type != "MENTIONS":  # every named entity is mentioned; these also state a relation
            relations.append(Relation("PAPER", rel_type, name, f"We use {name}.", 0, 10, "rules", 0.9))
    paper = Paper(id=f"title:{n:04d}", title=f"Paper {n}", abstract="We use things.", date=date)
    return Extraction(paper, entities, relations)


def sample_extractions():
    """2020: 2 dated papers, 2021: none, 2022: 3, 2023: 4; one undated paper."""
    return [
        dated_paper(1, "2020-03-05", {"imagenet": "USES"}),
        dated_paper(2, "2020", {"coco": "MENTIONS"}),
        dated_paper(3, "2022-01", {"imagenet": "USES", "coco": "EVALUATES_ON"}),
        dated_paper(4, "2022-01-20", {"imagenet": "EVALUATES_ON", "resnet50": "USES"}),
        dated_paper(5, "2022", {"coco": "USES"}),
        dated_paper(6, "2023-02", {"gsm8k": "EVALUATES_ON", "coco": "USES"}),
        dated_paper(7, "2023-02-11", {"gsm8k": "EVALUATES_ON"}),
        dated_paper(8, "2023-05", {"gsm8k": "EVALUATES_ON", "imagenet": "MENTIONS"}),
        dated_paper(9, "2023", {"gsm8k": "USES", "coco": "EVALUATES_ON"}),
        dated_paper(10, None, {"imagenet": "USES", "gsm8k": "USES"}),
    ]


def sample_graph():
    return build_graph(sample_extractions())


@pytest.fixture(params=["embedded", "store"])
def engine_of(request, tmp_path):
    """A function giving the engine of a graph built from extractions: NetworkX's, or a SQLite store's."""
    stores = []

    def engine(extractions):
        if request.param == "embedded":
            return embedded_engine(build_graph(extractions))
        stores.append(GraphStore(tmp_path / f"kg{len(stores)}.db"))
        stores[-1].add_extractions(extractions)
        return store_engine(stores[-1])

    yield engine
    for store in stores:
        store.close()


@pytest.mark.parametrize("names, by, share, expected", [
    # USES or EVALUATES_ON counted once per paper; MENTIONS only and undated papers not; 2021 is an empty year
    (["ImageNet", "coco"], "year", False,
     [("2020", 2, 1, 0), ("2021", 0, 0, 0), ("2022", 3, 2, 2), ("2023", 4, 0, 2)]),
    (["ilsvrc"], "year", True, [("2020", 2, 50.0), ("2021", 0, 0.0), ("2022", 3, 66.67), ("2023", 4, 0.0)]),
    # by month: only papers dated to the month or day, every month between the first and the last
    (["GSM8K"], "month", False, [("2020-03", 1, 0)] + [(f"2020-{m:02d}", 0, 0) for m in range(4, 13)]
     + [(f"2021-{m:02d}", 0, 0) for m in range(1, 13)] + [("2022-01", 2, 0)]
     + [(f"2022-{m:02d}", 0, 0) for m in range(2, 13)] + [("2023-01", 0, 0), ("2023-02", 2, 2), ("2023-03", 0, 0),
                                                         ("2023-04", 0, 0), ("2023-05", 1, 1)]),
])
def test_trends_table_counts_papers_per_period(engine_of, names, by, share, expected):
    result = trend_table(engine_of(sample_extractions()), names, by=by).result(share=share)
    assert [tuple(row.values()) for row in result.rows] == expected


def test_trends_table_names_each_entity_once_by_its_name(engine_of):
    table = trend_table(engine_of(sample_extractions()), ["MS COCO", "coco", "ResNet-50"])
    assert table.result().columns == ["period", "papers", "COCO", "ResNet-50"]


@pytest.mark.parametrize("names, error, message", [
    (["ImageNet", "ImageNett"], UnknownEntity, "no entity is named 'ImageNett'; the closest names: ImageNet"),
    ([], UsageError, "name at least one entity"),
])
def test_trends_table_bad_names_are_one_clear_error(engine_of, names, error, message):
    with pytest.raises(error, match=message):
        trend_table(engine_of(sample_extractions()), names)


def rising_extractions():
    """2021-2022: 10 papers a year; 2023: 20. ImageNet falls, COCO holds, GSM8K is new, ResNet-50 is no dataset."""
    extractions, n = [], 0
    plan = {"2021": {"imagenet": 6, "coco": 2}, "2022": {"imagenet": 4, "coco": 2, "gsm8k": 1},
            "2023": {"imagenet": 2, "coco": 4, "gsm8k": 8, "resnet50": 10}}
    for year, uses in plan.items():
        papers = 10 if year != "2023" else 20
        for i in range(papers):
            n += 1
            extractions.append(dated_paper(n, year, {key: "USES" for key, count in uses.items() if i < count}))
    return extractions


def test_trends_rising_ranks_by_growth_of_the_share(engine_of):
    ranking = rising(engine_of(rising_extractions()), periods=1, min_papers=2)
    assert (ranking.earlier, ranking.recent, ranking.papers_earlier, ranking.papers_recent) == (
        ["2021", "2022"], ["2023"], 20, 20)
    assert [tuple(e) for e in ranking.entities] == [
        # name, papers before, recent, share before %, share recent %, growth (recent share / earlier share)
        ("GSM8K", 1, 8, 5.0, 40.0, 8.0), ("COCO", 4, 4, 20.0, 20.0, 1.0), ("ImageNet", 10, 2, 50.0, 10.0, 0.2)]
    assert ranking.describe() == "recent: 2023 (20 dated papers); before: 2021 to 2022 (20 dated papers)"


@pytest.mark.parametrize("options, names", [
    ({"periods": 1, "min_papers": 5}, ["GSM8K"]),  # COCO and ImageNet have fewer recent papers
    ({"periods": 1, "min_papers": 2, "top": 1}, ["GSM8K"]),
    ({"periods": 2, "min_papers": 1}, ["GSM8K", "COCO", "ImageNet"]),
])
def test_trends_rising_options(engine_of, options, names):
    assert [e.name for e in rising(engine_of(rising_extractions()), **options).entities] == names


@pytest.mark.parametrize("options, message", [
    ({"periods": 3}, r"--periods 3: the graph's dated papers span 3 year\(s\) \(2021 to 2023\); .* \(at most 2\)"),
    ({"by": "week"}, "a period is one of year, month, not 'week'"),
    ({"top": 0}, "--top must be at least 1, not 0"),
])
def test_trends_rising_bad_options_are_usage_errors(engine_of, options, message):
    with pytest.raises(UsageError, match=message):
        rising(engine_of(rising_extractions()), **options)


# ---- the command, on a graph built by the real pipeline from a small JSON Lines file ----------------

CONFERENCE_PAPERS = [
    ("ICML 2021", "Sharper Residual Networks",
     "We propose SharpNet, a residual network with sharper skip connections. We evaluate SharpNet on ImageNet and "
     "CIFAR-10, where it improves top-1 accuracy over ResNet-50."),
    ("NeurIPS 2021", "Label Noise in Image Classification",
     "Label noise hurts image classifiers. We study it on CIFAR-10 and show that a simple loss correction helps."),
    ("CVPR 2022", "Detecting Small Objects with Feature Pyramids",
     "Small objects are hard to detect. We propose PyraDet and evaluate it on COCO, where it improves box AP."),
    ("CVPR 2022", "Masked Image Pretraining at Scale",
     "We pretrain vision transformers with masked image modelling and evaluate them on ImageNet and COCO."),
    ("AAAI 2023", "Open-Vocabulary Detection without Boxes",
     "We train a detector from captions only and evaluate it on COCO and LVIS, with gains on rare classes."),
]


@pytest.fixture(scope="module")
def conference_graph(build_from_abstracts):
    return build_from_abstracts(CONFERENCE_PAPERS, "kg.json")


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def test_trends_cli_table_csv_and_json(conference_graph):
    done = run("trends", "ImageNet", "CIFAR-10", "coco", "--graph", conference_graph, "--csv")
    assert done.exit_code == 0, done.output
    assert list(csv.reader(io.StringIO(done.stdout))) == [
        ["period", "papers", "ImageNet", "CIFAR-10", "COCO"],
        ["2021", "2", "1", "2", "0"], ["2022", "2", "1", "0", "2"], ["2023", "1", "0", "0", "1"]]
    done = run("trends", "COCO", "--share", "--json", "--graph", conference_graph)
    assert json.loads(done.stdout) == [{"period": "2021", "papers": 2, "COCO": 0.0},
                                       {"period": "2022", "papers": 2, "COCO": 100.0},
                                       {"period": "2023", "papers": 1, "COCO": 100.0}]


def test_trends_cli_png_is_a_picture(conference_graph, tmp_path):
    picture = tmp_path / "t.png"
    done = run("trends", "ImageNet", "COCO", "--png", picture, "--graph", conference_graph)
    assert done.exit_code == 0, done.output
    assert picture.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and picture.stat().st_size > 10_000
    done = run("trends", "--rising", "--periods", "1", "--min-papers", "1", "--png", tmp_path / "r.png",
               "--graph", conference_graph)
    assert done.exit_code == 0, done.output
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")


def test_trends_cli_rising(conference_graph):
    done = run("trends", "--rising", "--periods", "1", "--min-papers", "1", "--csv", "--graph", conference_graph)
    assert done.exit_code == 0, done.output
    assert "recent: 2023 (1 dated papers); before: 2021 to 2022 (4 dated papers)" in done.stderr
    # LVIS, new in 2023, counts as used by one earlier paper; ImageNet and CIFAR-10 have no recent paper
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(row["name"], float(row["growth"])) for row in rows] == [("LVIS", 4.0), ("COCO", 2.0)]


@pytest.mark.parametrize("args, code, message", [
    (["trends"], 2, "name one or more entities, or give --rising (not both)"),
    (["trends", "COCO", "--rising"], 2, "name one or more entities, or give --rising (not both)"),
    (["trends", "COCO", "--by", "week"], 2, "'week' is not one of 'year', 'month'"),
    (["trends", "--rising", "--periods", "3"], 2, "--periods 3: the graph's dated papers span 3 year(s)"),
    (["trends", "COCOO"], 1, "no entity is named 'COCOO'; the closest names: COCO"),
])
def test_trends_cli_bad_use_is_one_line(conference_graph, args, code, message):
    done = run(*args, "--graph", conference_graph)
    assert done.exit_code == code and message in done.output and "Traceback" not in done.output


@pytest.fixture(scope="module")
def conference_store(build_from_abstracts):
    return build_from_abstracts(CONFERENCE_PAPERS, "kg.db")


@pytest.mark.parametrize("args", [
    ["trends", "ImageNet", "CIFAR-10", "coco", "--csv"],
    ["trends", "COCO", "cifar10", "--share", "--json"],
    ["trends", "ImageNet", "--by", "month", "--json"],  # dated by venue years: no month
    ["trends", "--rising", "--periods", "1", "--min-papers", "1", "--csv"],
    ["trends", "--rising", "--periods", "2", "--min-papers", "1", "--json"],
])
def test_trends_cli_on_a_store_answers_in_sql_as_on_the_json_graph(conference_graph, conference_store, args):
    done, engines = run_cli_noting_graph_engines([*args, "--graph", conference_store])
    assert done.returncode == 0 and engines == [], done.stderr
    assert done.stdout == run(*args, "--graph", conference_graph).stdout


def test_trends_cli_png_onto_the_graph_file_is_refused(conference_graph):
    before = conference_graph.read_bytes()
    done = run("trends", "COCO", "--png", conference_graph, "--graph", conference_graph)
    assert done.exit_code == 2 and "is also the graph file" in done.output
    assert conference_graph.read_bytes() == before


# ---- the same rows over a Bolt server ---------------------------------------------------------------


@pytest.mark.parametrize("extractions_of", [sample_extractions, rising_extractions])
def test_trends_store_and_neo4j_give_the_embedded_rows(bolt_driver, bolt_settings, tmp_path, extractions_of):
    extractions = extractions_of()
    graph = build_graph(extractions)
    load_graph(graph, bolt_driver, database=bolt_settings.database)
    embedded, names = embedded_engine(graph), ["ImageNet", "ilsvrc", "COCO", "GSM8K", "ResNet-50"]
    with GraphStore(tmp_path / "kg.db") as store:
        store.add_extractions(extractions)
        for engine in (store_engine(store), neo4j_engine(bolt_settings)):
            for by in ("year", "month"):
                assert trend_table(engine, names, by=by) == trend_table(embedded, names, by=by)
            for periods in (1, 2):
                assert rising(engine, periods=periods, min_papers=1) == rising(embedded, periods=periods, min_papers=1)


# ---- the HTML view: an entity's panel shows its use per year ---------------------------------------


def test_trends_viz_panel_shows_use_per_year():
    from paperkg.graph.viz import select_top, view_data

    graph = sample_graph()
    usage = {n["name"]: n["details"].get("usage") for n in view_data(graph, select_top(graph))["nodes"]}
    # as trends counts: USES or EVALUATES_ON, dated papers, every year between the first and the last
    assert usage["ImageNet"] == [{"year": "2020", "papers": 1}, {"year": "2021", "papers": 0},
                                 {"year": "2022", "papers": 2}]
    assert usage["COCO"] == [{"year": "2022", "papers": 2}, {"year": "2023", "papers": 2}]


def test_trends_viz_page_panel_draws_the_use_per_year(chromium_path, tmp_path):
    from test_viz import _page_check

    from paperkg.graph.viz import write_html

    page = write_html(sample_graph(), tmp_path / "graph.html")
    report = _page_check(chromium_path, page, "COCO", tmp_path)
    assert report["errors"] == [] and report["found"] == "COCO"
    assert "Use per year2022220232" in report["panel"]

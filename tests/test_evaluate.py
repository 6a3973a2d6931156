import json
import shutil

import pytest

from paperkg.extractors.crossval import TrainingRun, cross_validate, fold_run, split_folds, train_folds, train_recognisers
from paperkg.extractors.errors import BadRecord, UsageError
from paperkg.extractors.evaluate import HEADLINE_MEASURES, aggregate, bootstrap, evaluate, headline, paper_scores, read_gold
from paperkg.extractors.name_filter import NAME_FILTER_FILE
from paperkg.extractors.pipeline import ENTITY_MODEL
from paperkg.extractors.records import Entity, Extraction, Paper, Relation
from paperkg.extractors.type_model import TYPE_MODEL_FILE, TypeModel

GOLD = [
    {"id": "1", "title": "Step Tuning for Maths",
     "entities": [{"name": "StepTuner", "type": "Method", "aliases": []},
                  {"name": "Direct Preference Optimization", "type": "Method", "aliases": ["DPO"]},
                  {"name": "GSM8K", "type": "Benchmark", "aliases": []},
                  {"name": "GPT-4", "type": "Model", "aliases": []}],
     "optional": [{"name": "mathematical reasoning", "type": "Task"}],
     "relations": [{"head": "PAPER", "type": "PROPOSES", "tail": "StepTuner"},
                   {"head": "PAPER", "type": "EVALUATES_ON", "tail": "GSM8K"},
                   {"head": "StepTuner", "type": "COMPARES_WITH", "tail": "DPO"}]},
    {"id": "2", "title": "Another Paper",
     "entities": [{"name": "GSM8K", "type": "Benchmark", "aliases": []}],
     "relations": [{"head": "PAPER", "type": "USES", "tail": "GSM8K"}]},
]


def rel(head, rtype, tail):
    return Relation(head, rtype, tail, "", 0, 0, "test", 1.0)


def predictions():
    return [
        Extraction(Paper(id="a", title="Step tuning for maths.", abstract=""),
                   [Entity("steptuner", "StepTuner", "Method"), Entity("dpo", "DPO", "Method"),
                    Entity("gsm8k", "GSM-8K", "Dataset"),  # Dataset for Benchmark counts as right
                    Entity("gpt4", "GPT-4", "Method"),  # wrong type: a false positive and a miss
                    Entity("mathematicalreasoning", "mathematical reasoning", "Task"),  # optional: ignored
                    Entity("llms", "LLMs", "Model")],  # false positive
                   [rel("PAPER", "PROPOSES", "StepTuner"), rel("PAPER", "EVALUATES_ON", "GSM-8K"),
                    rel("StepTuner", "COMPARES_WITH", "DPO"), rel("PAPER", "USES", "LLMs")]),
        Extraction(Paper(id="b", title="Another paper", abstract=""), [], []),
    ]


def test_evaluate_scores_entities_with_aliases_types_and_optionals():
    report = evaluate(GOLD, predictions())
    micro = report.entity_score()
    assert (micro.tp, micro.fp, micro.fn) == (3, 2, 2)
    assert report.false_negatives["Model"] == {"GPT-4": 1}
    assert report.false_positives["Model"] == {"LLMs": 1}
    assert report.papers_matched == 2


def test_evaluate_scores_relations_through_aliases():
    report = evaluate(GOLD, predictions())
    score = report.relation_score()
    assert (score.tp, score.fp, score.fn) == (3, 1, 1)


def test_evaluate_papers_using_dataset_question():
    report = evaluate(GOLD, predictions())
    assert report.datasets == 1
    assert report.dataset_precision == pytest.approx(1.0)
    assert report.dataset_recall == pytest.approx(0.5)


def test_evaluate_bad_gold_line_names_file_and_line(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(GOLD[0]) + "\n{oops\n")
    with pytest.raises(BadRecord, match=r"gold.jsonl:2: not a gold record"):
        read_gold(path)


# -- bootstrap intervals and cross-validation ---------------------------------------------------

def test_evaluate_paper_scores_add_up_to_the_report():
    scores = paper_scores(GOLD, predictions())
    report = aggregate(scores)
    assert len(scores) == 2
    assert headline(scores)["entity_f1"] == pytest.approx(report.entity_score().f1)
    assert headline(scores)["dataset_recall"] == pytest.approx(report.dataset_recall)


def test_evaluate_bootstrap_is_seeded_and_brackets_the_value():
    scores = paper_scores(GOLD, predictions()) * 10
    intervals = bootstrap(scores, samples=200, seed=3)
    assert intervals == bootstrap(scores, samples=200, seed=3)
    for measure in HEADLINE_MEASURES:
        low, value, high = intervals[measure].low, intervals[measure].value, intervals[measure].high
        assert low <= value <= high
    assert intervals["dataset_recall"].low < intervals["dataset_recall"].high  # papers differ: the interval has width


def test_evaluate_bootstrap_of_alike_papers_is_a_point():
    scores = paper_scores(GOLD[:1], predictions()) * 5
    interval = bootstrap(scores, samples=50)["entity_f1"]
    assert interval.low == interval.value == interval.high


@pytest.mark.parametrize("folds", [2, 3, 7])
def test_evaluate_folds_cover_every_paper_once(folds):
    records = [{"title": f"Paper {i}"} for i in range(7)]
    splits = split_folds(records, folds, seed=1)
    tested = [r["title"] for fold in splits for r in fold.test]
    assert sorted(tested) == sorted(r["title"] for r in records)
    assert all(not {r["title"] for r in f.test} & {r["title"] for r in f.train} for f in splits)
    assert [f.test for f in splits] == [f.test for f in split_folds(records, folds, seed=1)]


@pytest.mark.parametrize("folds", [1, 8])
def test_evaluate_folds_out_of_range_is_a_usage_error(folds):
    with pytest.raises(UsageError, match=rf"--folds {folds}: needs at least 2 folds and at most one per gold paper \(7\)"):
        split_folds([{"title": f"Paper {i}"} for i in range(7)], folds)


def test_evaluate_gold_without_abstract_cannot_be_trained_on(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text(json.dumps(TINY_GOLD[0]) + "\n" + json.dumps(GOLD[0]) + "\n")
    assert len(read_gold(path)) == 2
    with pytest.raises(BadRecord, match=r"gold.jsonl:2: gold record has no abstract to train on"):
        read_gold(path, with_text=True)


#: A tiny annotated file, abstracts included: enough for a fold to train on with a tiny budget.
TINY_GOLD = [
    {"id": str(i), "title": f"{name}: {topic}",
     "abstract": f"We propose {name}, a method for {task}. We fine-tune {model} with {method} and evaluate on {bench}. "
                 f"{name} outperforms {method} on {bench}.",
     "entities": [{"name": name, "type": "Method", "aliases": []}, {"name": model, "type": "Model", "aliases": []},
                  {"name": method, "type": "Method", "aliases": []}, {"name": bench, "type": "Benchmark", "aliases": []},
                  {"name": task, "type": "Task", "aliases": []}],
     "relations": [{"head": "PAPER", "type": "PROPOSES", "tail": name}, {"head": "PAPER", "type": "USES", "tail": model},
                   {"head": "PAPER", "type": "EVALUATES_ON", "tail": bench},
                   {"head": name, "type": "COMPARES_WITH", "tail": method}]}
    for i, (name, topic, task, model, method, bench) in enumerate([
        ("StepTuner", "Tuning in Steps", "mathematical reasoning", "LLaMA-2-7B", "DPO", "GSM8K"),
        ("QuickPrune", "Pruning Fast", "image classification", "ResNet-50", "knowledge distillation", "ImageNet"),
        ("CodeFixer", "Repairing Programs", "program repair", "CodeLlama-7B", "LoRA", "HumanEval"),
        ("GraphMix", "Mixing Graphs", "node classification", "GCN", "dropout", "Cora"),
        ("TextLift", "Lifting Text", "machine translation", "mT5", "beam search", "WMT14"),
        ("VisionBoost", "Boosting Vision", "object detection", "ViT-B", "AdamW", "COCO"),
    ])
]


def _eval_cli(*args):
    from click.testing import CliRunner

    from paperkg.graph.cli import cli

    return CliRunner().invoke(cli, ["eval", *map(str, args)])


def test_evaluate_cli_folds_prints_each_fold_the_mean_and_intervals(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in TINY_GOLD))
    result = _eval_cli("--folds", 2, "--train-steps", 3, "--bootstrap", 20, "--json", gold)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [row["fold"] for row in report["folds"]] == ["1", "2", "mean"]
    assert report["folds"][-1]["papers"] == len(TINY_GOLD)
    assert set(report["intervals"]) == set(HEADLINE_MEASURES)
    assert all(i["low"] <= i["value"] <= i["high"] for i in report["intervals"].values())


def test_evaluate_crossval_reuses_kept_fold_models(tmp_path):
    for fold in ("fold-0", "fold-1"):  # kept by an earlier run: the shipped recogniser stands in
        shutil.copytree(ENTITY_MODEL, tmp_path / fold)
    weights = (tmp_path / "fold-0" / "ner" / "model").read_bytes()
    results = list(cross_validate(TINY_GOLD, 2, keep=tmp_path, reuse=True, overrides={"training.max_steps": 2},
                                  quiet=True))
    assert sum(len(r.scores["trained"]) for r in results) == len(TINY_GOLD)
    assert (tmp_path / "fold-0" / "ner" / "model").read_bytes() == weights  # scored, not trained again


def test_evaluate_crossval_folds_trained_at_once_are_those_trained_in_turn(tmp_path):
    folds = split_folds(TINY_GOLD, 2)
    for jobs in (1, 2):  # two: each fold in its own spawned process
        train_recognisers([fold_run(fold, tmp_path / f"jobs-{jobs}") for fold in folds], overrides={"training.max_steps": 2},
                          jobs=jobs, quiet=True)
    weights = [[(tmp_path / f"jobs-{jobs}" / f"fold-{k}" / "ner" / "model").read_bytes() for k in (0, 1)] for jobs in (1, 2)]
    assert weights[0] == weights[1] and weights[0][0] != weights[0][1]


def test_evaluate_crossval_fold_recogniser_names_only_its_training_papers_generic_phrases(tmp_path):
    said = [{"title": f"Paper {i}", "abstract": "We apply transfer learning to graphs.",
             "entities": [{"name": "transfer learning", "type": "Method"}] if i < 5 else []} for i in range(12)]
    list(cross_validate(said, 2, keep=tmp_path, overrides={"training.max_steps": 2}, quiet=True))
    named = [json.loads((tmp_path / f"fold-{k}" / "meta.json").read_text())["named_generic_phrases"] for k in (0, 1)]
    folds = split_folds(said, 2)
    expected = [["transfer learning"] if sum(bool(r["entities"]) for r in fold.train) * 2 >= len(fold.train) else []
                for fold in folds]
    assert named == expected and sorted(named) == [[], ["transfer learning"]]  # 5 of all 12 papers: too few


def test_evaluate_crossval_fold_typing_learns_only_from_the_other_folds(tmp_path):
    folds = split_folds([{"title": f"Paper {i}"} for i in range(8)], 2)
    coined = {fold.index: ("AlphaNet", "BetaNet")[fold.index] for fold in folds}  # a name said only in each fold's papers
    papers = [{"title": r["title"], "abstract": f"We train {coined[fold.index]} on graphs.",
               "entities": [{"name": coined[fold.index], "type": "Model"}]} for fold in folds for r in fold.test]
    train_folds(papers, tmp_path, 2, main=TrainingRun(papers, papers[:1], tmp_path / "main"),
                overrides={"training.max_steps": 2}, quiet=True)
    learned = {name: TypeModel.load(tmp_path / name / TYPE_MODEL_FILE).features for name in ("fold-0", "fold-1", "main")}
    assert ("name=betanet" in learned["fold-0"], "name=alphanet" in learned["fold-0"]) == (True, False)
    assert ("name=alphanet" in learned["fold-1"], "name=betanet" in learned["fold-1"]) == (True, False)
    assert {"name=alphanet", "name=betanet"} <= learned["main"].keys()
    assert all((tmp_path / name / NAME_FILTER_FILE).is_file() for name in learned)


@pytest.mark.parametrize("args, message", [
    (["--folds", 2, "INPUT"], "--folds scores GOLD's own abstracts: give no INPUTS"),
    ([], "give the INPUTS to score against GOLD"),
    (["--folds", 1], "--folds"),
])
def test_evaluate_cli_folds_usage_errors(tmp_path, args, message):
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in TINY_GOLD))
    args = [tmp_path / "gold.jsonl" if a == "INPUT" else a for a in args]
    result = _eval_cli(*args[:2], gold, *args[2:]) if args else _eval_cli(gold)
    assert result.exit_code == 2
    assert message in result.output


def test_evaluate_cli_folds_gold_without_abstract_is_one_line(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps(TINY_GOLD[0]) + "\n" + json.dumps(GOLD[0]) + "\n")
    result = _eval_cli("--folds", 2, gold)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: {gold}:2: gold record has no abstract to train on (--folds needs the text)"]

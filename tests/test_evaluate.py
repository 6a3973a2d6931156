import json

import pytest

from extractors.errors import BadRecord
from extractors.evaluate import evaluate, read_gold
from extractors.records import Entity, Extraction, Paper, Relation

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

"""Relation rules and the relation model on abstracts written for these tests.

The rule tests run the pipeline with the rules alone (``rules_text``); the model tests the
shipped pipeline, where the model decides over the rules."""

from __future__ import annotations

import pytest

from functools import lru_cache

from paperkg.extractors.extract import extract_text
from paperkg.extractors.pipeline import make_pipeline
from paperkg.extractors.records import COMPARISON_DIRECTIONS, Extraction
from paperkg.extractors.relations import COMPARISON_CUES


@lru_cache(maxsize=1)
def _rules_pipeline():
    return make_pipeline(relation_model=False)


def rules_text(title: str, abstract: str) -> Extraction:
    """The extraction of the rules alone."""
    return extract_text(title, abstract, _rules_pipeline())


def triples(title: str, abstract: str) -> set[tuple[str, str, str]]:
    return {(r.head, r.type, r.tail) for r in rules_text(title, abstract).relations}


@pytest.mark.parametrize(
    "title, abstract, present, absent",
    [
        (
            "BoostStep: Boosting Mathematical Reasoning Step by Step",
            "We evaluate BoostStep on GSM8K and MATH, where it outperforms GPT-4 and Self-Consistency.",
            [("PAPER", "PROPOSES", "BoostStep"), ("PAPER", "EVALUATES_ON", "GSM8K"),
             ("PAPER", "EVALUATES_ON", "MATH"), ("BoostStep", "COMPARES_WITH", "GPT-4")],
            [("PAPER", "USES", "GSM8K")],
        ),
        (
            "Cheap Adapters for Code Models",
            "Large language models such as GPT-4 write code well. We fine-tune Llama-3-8B with LoRA "
            "and report pass@1 on HumanEval.",
            [("PAPER", "USES", "Llama-3-8B"), ("PAPER", "EVALUATES_ON", "HumanEval")],
            [("PAPER", "USES", "GPT-4"), ("PAPER", "COMPARES_WITH", "GPT-4")],
        ),
        (
            "Pretraining Small Models on Curated Text",
            "We introduce TinyPile-LM, a 1B model trained on The Pile. TinyPile-LM matches Pythia-1B on LAMBADA.",
            [("PAPER", "PROPOSES", "TinyPile-LM"), ("PAPER", "USES", "The Pile"),
             ("TinyPile-LM", "TRAINED_ON", "The Pile"), ("TinyPile-LM", "COMPARES_WITH", "Pythia-1B")],
            [("PAPER", "EVALUATES_ON", "The Pile")],
        ),
        (
            "Adapters for Small Models",
            "Results favour GlueAdapt, a new adapter method for small models, on GLUE.",
            [("PAPER", "PROPOSES", "GlueAdapt"), ("PAPER", "EVALUATES_ON", "GLUE")],
            [],
        ),
        (
            "Near-optimal Exploration under Constraints",
            "A randomised algorithm, EpsWalk, is also proposed and shown to be near-optimal.",
            [("PAPER", "PROPOSES", "EpsWalk")],
            [],
        ),
        (
            "Mistral: Notes on a Known Name",  # a known name before the colon is the paper's own
            "We train Mistral-9B and Mistral-Coder, and compare them with Llama-3-8B.",
            [("PAPER", "PROPOSES", "Mistral"), ("PAPER", "PROPOSES", "Mistral-9B"),
             ("PAPER", "PROPOSES", "Mistral-Coder")],
            [("PAPER", "PROPOSES", "Llama-3-8B")],
        ),
        (
            "Loop Tuning with Learned Costs",
            "Our proposed approach, Ferret, is 2x faster than Tiramisu and Pluto.",
            [("PAPER", "PROPOSES", "Ferret"), ("Ferret", "COMPARES_WITH", "Tiramisu"),
             ("Ferret", "COMPARES_WITH", "Pluto")],
            [],
        ),
        (
            "Small Models Solve Word Problems",  # a name at a sentence start is the name met mid-sentence
            "We present Zeta-Math, a 7B model. Zeta-Math surpasses larger models such as WizardMath-70B.",
            [("PAPER", "PROPOSES", "Zeta-Math"), ("Zeta-Math", "COMPARES_WITH", "WizardMath-70B")],
            [],
        ),
        (
            "KELP: Sparse Rehearsal with GapNet Regularisers",  # a title's coined names are the paper's own
            "We study forgetting in continual learning and fine-tune Llama-3-8B.",
            [("PAPER", "PROPOSES", "KELP"), ("PAPER", "PROPOSES", "GapNet")],
            [("PAPER", "USES", "GapNet"), ("PAPER", "PROPOSES", "Llama-3-8B")],
        ),
        (
            "Faster Decoders via Knowledge Distillation",  # a title's means is a tool; its topic is not
            "Decoders are slow. We show that small decoders keep most of their quality.",
            [("PAPER", "USES", "Knowledge Distillation")],
            [],
        ),
        (
            "Rethinking Knowledge Distillation for Decoders",
            "Decoders are slow. We show that small decoders keep most of their quality.",
            [],
            [("PAPER", "USES", "Knowledge Distillation")],
        ),
        (
            "Soft Prompts for Small Models",  # a known name before a kind noun describes the proposal
            "We propose a novel prompt tuning method, HintPT, that needs four soft tokens.",
            [("PAPER", "PROPOSES", "HintPT")],
            [("PAPER", "PROPOSES", "prompt tuning")],
        ),
        (
            "Hinting Agents",  # a variant of a proposed method is proposed with it
            "We propose Hintr, a way to guide exploration, and a variant, Hintr-GRPO, that trains with GRPO.",
            [("PAPER", "PROPOSES", "Hintr"), ("PAPER", "PROPOSES", "Hintr-GRPO")],
            [("PAPER", "USES", "Hintr-GRPO")],
        ),
        (
            "Optimizers for Deep Nets",  # a passive statement of use, in the paper's own voice or background
            "A ZorbNet backbone is used in the experiments. BorkNet is widely used in vision.",
            [("PAPER", "USES", "ZorbNet")],
            [("PAPER", "USES", "BorkNet")],
        ),
        (
            "Zorb: Faster Agents",  # said in the paper's voice, a known technique is a tool, a coined one not yet
            "We study Gradient Flux Routing in our agents. We also tune dropout in our agents.",
            [("PAPER", "USES", "dropout")],
            [("PAPER", "USES", "Gradient Flux Routing")],
        ),
        (
            "Zorb: Small Chat Models",  # parity and trailing are comparisons too
            "Our Zorb reaches parity with LLaMA-2 on chat. Our Zorb still trails GPT-4.",
            [("Zorb", "COMPARES_WITH", "LLaMA-2"), ("Zorb", "COMPARES_WITH", "GPT-4")],
            [],
        ),
        (
            "Diagonal State Spaces",  # "our model X" is the paper's own
            "Our final model ZS4D is a simple diagonal version of S4.",
            [("PAPER", "PROPOSES", "ZS4D")],
            [("PAPER", "USES", "ZS4D")],
        ),
        (
            "Zorbacter: Small Adapters",  # a training word inside a baseline's name trains nothing
            "Zorbacter outperforms full fine-tuning on SuperGLUE.",
            [("PAPER", "EVALUATES_ON", "SuperGLUE")],
            [("PAPER", "USES", "SuperGLUE")],
        ),
        (
            "Better Prompts",  # "new" and "called" say it of the words right after them
            "Models grow a capability called in-context learning. We propose new ICL methods that simplify the ICL templates.",
            [],
            [("PAPER", "PROPOSES", "in-context learning")],
        ),
        (
            "Fast Video Models",  # a name a proposal cue reaches only through "on" is where results are
            "We present strong results on BarQA2 with little compute.",
            [("PAPER", "EVALUATES_ON", "BarQA2")],
            [("PAPER", "PROPOSES", "BarQA2")],
        ),
        (
            "Scaling Laws for Pruned Data",  # a name the comparison is made on is no baseline
            "We observe better than power law scaling on ResNets trained on CIFAR-10.",
            [],
            [("PAPER", "COMPARES_WITH", "ResNets")],
        ),
        (
            "Zorbfit: Parameter-Efficient Fine-Tuning with Singular Values",  # the title names a topic
            "We propose Zorbfit. It trains few weights.",
            [("PAPER", "PROPOSES", "Zorbfit")],
            [("PAPER", "USES", "Parameter-Efficient Fine-Tuning")],
        ),
    ],
)
def test_relations_from_cues(title, abstract, present, absent):
    found = triples(title, abstract)
    for triple in present:
        assert triple in found, f"{triple} missing from {sorted(found)}"
    for triple in absent:
        assert triple not in found, f"{triple} should not be stated"


def test_relations_carry_evidence_offsets_and_confidence():
    extraction = extract_text("StepTune: Tuning Steps", "We propose StepTune and evaluate it on GSM8K.")
    text = extraction.paper.text
    for relation in extraction.relations:
        assert text[relation.start : relation.end].strip() == relation.evidence
        assert 0 < relation.confidence <= 1 and relation.extractor


def test_relations_acronym_and_expansion_are_one_entity():
    extraction = extract_text("A Study of Preference Learning",
                              "We apply Direct Preference Optimization (DPO) to code. DPO helps.")
    names = [e.name for e in extraction.entities]
    assert "Direct Preference Optimization" in names and "DPO" not in names
    entity = next(e for e in extraction.entities if e.name == "Direct Preference Optimization")
    assert "DPO" in entity.aliases


@pytest.mark.parametrize("cue", COMPARISON_CUES, ids=lambda cue: cue.name)
def test_relations_comparison_cue_names_are_examples_of_their_pattern(cue):
    assert cue.pattern.fullmatch(cue.name) and cue.direction in COMPARISON_DIRECTIONS


@pytest.mark.parametrize(
    "abstract, baseline, direction",
    [
        ("Our Zorb outperforms Blick-13B on BarQA2.", "Blick-13B", "better"),
        ("Our Zorb surpasses Blick-13B and Quux-7B.", "Quux-7B", "better"),
        ("Our Zorb beats Blick-13B on BarQA2.", "Blick-13B", "better"),
        ("Our Zorb is 3x faster than Blick-13B.", "Blick-13B", "better"),
        ("Our Zorb improves over Blick-13B by 4 points.", "Blick-13B", "better"),
        ("Our Zorb gives a speedup of 1.8x over Blick-13B.", "Blick-13B", "better"),
        ("Our Zorb is not only faster but also outperforms Blick-13B.", "Blick-13B", "better"),
        ("Our Zorb does not generally outperform Blick-13B.", "Blick-13B", "not_better"),
        ("Our Zorb fails to beat Blick-13B on BarQA2.", "Blick-13B", "not_better"),
        ("Our Zorb is no better than Blick-13B.", "Blick-13B", "not_better"),
        ("Our Zorb cannot match Blick-13B on BarQA2.", "Blick-13B", "worse"),
        ("Our Zorb performs worse than Blick-13B on BarQA2.", "Blick-13B", "worse"),
        ("Our Zorb still lags behind Blick-13B.", "Blick-13B", "worse"),
        ("Our Zorb trails Blick-13B by two points.", "Blick-13B", "worse"),
        ("Our Zorb falls short of Blick-13B on BarQA2.", "Blick-13B", "worse"),
        ("Our Zorb is outperformed by Blick-13B.", "Blick-13B", "worse"),
        ("Our Zorb is on par with Blick-13B.", "Blick-13B", "on_par"),
        ("Our Zorb is comparable to Blick-13B at a tenth of the cost.", "Blick-13B", "on_par"),
        ("Our Zorb matches Blick-13B on BarQA2.", "Blick-13B", "on_par"),
        ("Our Zorb is competitive with Blick-13B.", "Blick-13B", "on_par"),
        ("We compare Zorb with Blick-13B.", "Blick-13B", "compared"),
        ("Compared with Blick-13B, our Zorb is 2x faster.", "Blick-13B", "better"),
        # one sentence, two outcomes: each baseline takes the cue nearest before it
        ("Our Zorb fails to beat Blick-13B but surpasses Quux-7B.", "Blick-13B", "not_better"),
        ("Our Zorb fails to beat Blick-13B but surpasses Quux-7B.", "Quux-7B", "better"),
        ("Our Zorb outperforms Quux-7B and is on par with Blick-13B.", "Blick-13B", "on_par"),
        # a cue says nothing of the names in the next clause
        ("Our Zorb outperforms Quux-7B, while Blick-13B needs more memory.", "Blick-13B", "compared"),
        ("Our Zorb outperforms Quux-7B; Blick-13B is larger.", "Blick-13B", "compared"),
        # said twice, the claim outweighs the mere comparison
        ("We compare Zorb with Blick-13B. Our Zorb outperforms Blick-13B.", "Blick-13B", "better"),
    ],
)
def test_relations_comparison_direction_from_cue_words(abstract, baseline, direction):
    comparisons = {r.tail: r.direction for r in rules_text("Zorb: Small Chat Models", abstract).relations
                   if r.type == "COMPARES_WITH" and r.head == "Zorb"}
    assert comparisons.get(baseline) == direction, comparisons


def test_relations_direction_only_on_comparisons_and_through_the_json_form():
    extraction = rules_text("Zorb: Small Chat Models", "Our Zorb trails Blick-13B on BarQA2.")
    lines = extraction.to_dict()["relations"]
    assert {"PROPOSES", "COMPARES_WITH"} <= {r["type"] for r in lines}
    assert all(("direction" in r) == (r["type"] == "COMPARES_WITH") for r in lines)
    assert next(r["direction"] for r in lines if r["type"] == "COMPARES_WITH") == "worse"
    assert Extraction.from_dict(extraction.to_dict()) == extraction


@pytest.mark.parametrize(
    "abstract, comparison",
    [
        ("We show that Blick-13B can perform worse than Quux-7B on BarQA2.", ("Blick-13B", "Quux-7B", "worse")),
        ("We find that Blick-13B does not generally outperform Quux-7B.", ("Blick-13B", "Quux-7B", "not_better")),
        ("We show that Blick-13B is outperformed by Quux-7B.", ("Blick-13B", "Quux-7B", "worse")),
        # no name right before the cue, or more than verbs between: the paper's own claim
        ("We find that these tricks do not generally outperform Quux-7B.", ("PAPER", "Quux-7B", "not_better")),
        ("We find that prompting Blick-13B with hints outperforms Quux-7B.", ("PAPER", "Quux-7B", "better")),
        ("We report better accuracy with Blick-13B compared to Quux-7B.", ("PAPER", "Quux-7B", "better")),
    ],
)
def test_relations_comparison_is_said_of_the_name_before_its_cue(abstract, comparison):
    found = {(r.head, r.tail, r.direction) for r in rules_text("A Study of Chat Models", abstract).relations
             if r.type == "COMPARES_WITH"}
    assert comparison in found, found


@pytest.mark.parametrize(
    "title, abstract, triple, rule",
    [
        ("StepTune: Tuning Steps", "We evaluate it on GSM8K.", ("PAPER", "PROPOSES", "StepTune"), "title-colon"),
        ("Tuning Steps", "We propose StepTune, a new tuner.", ("PAPER", "PROPOSES", "StepTune"), "propose-cue"),
        ("Tuning Steps", "We fine-tune Llama-3-8B on code.", ("PAPER", "USES", "Llama-3-8B"), "use-cue"),
        ("Tuning Steps", "We propose StepTune. It is trained on The Pile.", ("PAPER", "USES", "The Pile"), "train-on"),
    ],
)
def test_relations_rule_relations_name_their_rule(title, abstract, triple, rule):
    from paperkg.extractors.pipeline import load_pipeline
    from paperkg.extractors.records import Paper
    from paperkg.extractors.relations import RULES, rule_relations

    doc = load_pipeline()(Paper(id="x", title=title, abstract=abstract).text)
    names = {k: name for k, name in ((e.kb_id_, e.text) for e in doc.ents)}
    groups = doc._.entity_groups
    found = {(h if h == "PAPER" else names.get(h, h), t, names.get(tail, tail)): extractor
             for h, t, tail, _, _, extractor, _, _ in rule_relations(doc, groups)}
    assert found[triple] == f"rule:{rule}"
    assert {r.name for r in RULES} >= {e.removeprefix("rule:") for e in found.values()}


def test_relations_rules_are_one_list_of_unique_names():
    from paperkg.extractors.relations import READINGS, RULES

    assert len({r.name for r in RULES}) == len(RULES)
    assert {r.reading for r in RULES if r.scope == "mention"} <= {name for name, _ in READINGS}


MODEL_ABSTRACT = (
    "Quorix: Verified Steps for Math Word Problems",
    "Large language models such as GPT-4 solve many math problems. We propose Quorix, a step verifier "
    "that scores each reasoning step. We fine-tune Llama-3-8B with Quorix feedback on the MetaMathQA data. "
    "Experiments on GSM8K and MATH show that Quorix outperforms Self-Consistency and Math-Shepherd by 4 points.",
)


@pytest.mark.parametrize(
    "triple",
    [("PAPER", "PROPOSES", "Quorix"), ("PAPER", "USES", "Llama-3-8B"), ("PAPER", "EVALUATES_ON", "GSM8K"),
     ("PAPER", "EVALUATES_ON", "MATH"), ("Quorix", "COMPARES_WITH", "Self-Consistency")],
)
def test_relations_model_decides_the_guideline_relations(triple):
    relations = {(r.head, r.type, r.tail): r for r in extract_text(*MODEL_ABSTRACT).relations}
    assert triple in relations, sorted(relations)
    relation = relations[triple]
    assert relation.extractor == "model" and 0 < relation.confidence <= 1


def test_relations_model_is_never_sure_of_a_background_name():
    # The model (decision threshold for USES 0.25, chosen on inner folds) may state a background
    # name's USES, but with a calibrated confidence that says it is likely wrong, below every relation
    # the abstract does state.
    relations = extract_text(*MODEL_ABSTRACT).relations
    background = [r for r in relations if r.tail == "GPT-4"]
    assert all(r.type == "USES" and r.confidence < 0.5 for r in background)
    assert all(r.confidence < min(s.confidence for s in relations if s.tail != "GPT-4") for r in background)


def test_relations_model_relations_keep_their_evidence_sentence():
    title, abstract = MODEL_ABSTRACT
    extraction = extract_text(title, abstract)
    text = extraction.paper.text
    for relation in extraction.relations:
        assert text[relation.start : relation.end].strip() == relation.evidence
        assert relation.tail in relation.evidence or relation.start == 0


def test_relations_model_weights_round_trip_through_a_file(tmp_path):
    import numpy as np

    from paperkg.extractors.relation_model import MODEL_PATH, RelationModel

    model = RelationModel.load()
    model.write(tmp_path / "weights.json")
    again = RelationModel.load(tmp_path / "weights.json")
    features = [{"type=Dataset", "L:eval", "S:first-person", "data|L:where"}]
    assert np.allclose(model.probabilities(features), again.probabilities(features), atol=1e-4)
    assert MODEL_PATH.stat().st_size < 2_000_000


@pytest.mark.parametrize(
    "label, probabilities, expected",
    [
        # a dataset the model says the paper proposes, but neither uses nor evaluates on, is evaluated on
        # (confidence: 0.74 of its PROPOSES probability)
        ("Dataset", [0.9, 0.1, 0.2, 0.0], {("PROPOSES", 0.9), ("EVALUATES_ON", 0.666)}),
        # one the model also says the paper evaluates on keeps the model's relation
        ("Benchmark", [0.9, 0.1, 0.8, 0.0], {("PROPOSES", 0.9), ("EVALUATES_ON", 0.8)}),
        # a proposed method is no data
        ("Method", [0.9, 0.1, 0.2, 0.0], {("PROPOSES", 0.9)}),
    ],
)
def test_relations_model_proposed_dataset_is_evaluated_on(label, probabilities, expected):
    import numpy as np
    import spacy

    from paperkg.extractors.doctext import DocText
    from paperkg.extractors.relation_model import Candidate, relations_from
    from paperkg.extractors.sentences import set_sentence_starts

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
    text = DocText.of(set_sentence_starts(nlp("ZorbBench: A Benchmark\n\nWe introduce ZorbBench.")))
    candidate = Candidate("zorbbench", label, mentions=[(0, 1, 0), (7, 8, 1)])
    found = relations_from(text, [candidate], np.array([probabilities]), np.full(4, 0.5), [])
    assert {(relation[1], relation[6]) for relation in found} == expected


@pytest.mark.parametrize("content", ["", "{not json", '{"labels": ["USES"]}'])
def test_relations_model_unreadable_weights_are_one_error(tmp_path, content):
    from paperkg.extractors.errors import PipelineError
    from paperkg.extractors.relation_model import RelationModel

    path = tmp_path / "relation_model.json"
    path.write_text(content)
    with pytest.raises(PipelineError, match="relation_model.json"):
        RelationModel.load(path)


def test_relations_eval_by_rule_prints_each_rules_precision(tmp_path):
    import json

    from click.testing import CliRunner

    from paperkg.graph.cli import cli

    title, abstract = MODEL_ABSTRACT
    papers = tmp_path / "papers.jsonl"
    papers.write_text(json.dumps({"title": title, "abstract": abstract}) + "\n")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({
        "id": "q1", "title": title,
        "entities": [{"name": "Quorix", "type": "Method"}, {"name": "GSM8K", "type": "Benchmark"},
                     {"name": "MATH", "type": "Benchmark"}, {"name": "Llama-3-8B", "type": "Model"}],
        "relations": [{"head": "PAPER", "type": "PROPOSES", "tail": "Quorix"},
                      {"head": "PAPER", "type": "EVALUATES_ON", "tail": "GSM8K"}]}) + "\n")
    result = CliRunner().invoke(cli, ["eval", "--by-rule", "--json", str(gold), str(papers)])
    assert result.exit_code == 0, result.output
    rules = {row["rule"]: row for row in json.loads(result.output[result.output.index("{"):])["rules"]}
    assert rules["rule:title-colon"] == {"rule": "rule:title-colon", "precision": 1.0, "tp": 1, "fp": 0}
    assert rules["rule:evaluate-on"]["tp"] == 1 and rules["rule:evaluate-on"]["precision"] < 1  # MATH: not in this gold
    assert "model" not in rules

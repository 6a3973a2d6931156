"""Relation rules on abstracts written for these tests, through the shipped pipeline."""

from __future__ import annotations

import pytest

from extractors.extract import extract_text


def triples(title: str, abstract: str) -> set[tuple[str, str, str]]:
    return {(r.head, r.type, r.tail) for r in extract_text(title, abstract).relations}


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

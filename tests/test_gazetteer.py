"""The shipped gazetteer (extractors/data) and the merging rules of scripts/build_gazetteer.py.

The sentences are written for these tests; none comes from the dev set or the seed pages.
"""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import spacy

import paperkg.extractors.gazetteer  # noqa: F401  (registers the component)
from paperkg.extractors.gazetteer import GENERIC, read_entries, read_generic_terms
from paperkg.extractors.normalize import canonical_key
from paperkg.extractors.pipeline import GAZETTEER, GENERIC_TERMS
from paperkg.extractors.records import ENTITY_TYPES

ROOT = Path(__file__).resolve().parents[1]


def _load_builder():
    spec = importlib.util.spec_from_file_location("build_gazetteer", ROOT / "scripts" / "build_gazetteer.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build = _load_builder()


@pytest.fixture(scope="module")
def gazetteer_nlp():
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
    gaz = nlp.add_pipe("paperkg_gazetteer")
    gaz.add_entries(read_entries(GAZETTEER))
    gaz.add_entries(read_generic_terms(GENERIC_TERMS))
    return nlp


def matches(nlp, text):
    doc = nlp(text)  # the spans live only as long as their doc
    return {(s.text, s.label_, s.kb_id_) for s in doc.spans["gazetteer"]}


@pytest.mark.parametrize(
    "text, span, label, key",
    [
        ("Our model reaches 71% on GSM8K after one epoch.", "GSM8K", "Benchmark", "gsm8k"),
        ("Scores on GSM-8K improve as well.", "GSM-8K", "Benchmark", "gsm8k"),
        ("We report 5-shot results on MMLU and HellaSwag.", "HellaSwag", "Benchmark", "hellaswag"),
        ("It scores 54.6% on MATH.", "MATH", "Benchmark", "math"),
        ("We pretrain a ResNet on CIFAR-10 and ImageNet.", "CIFAR-10", "Dataset", "cifar10"),
        ("A backbone pretrained on CIFAR10 transfers well.", "CIFAR10", "Dataset", "cifar10"),
        ("Images come from Fashion-MNIST.", "Fashion-MNIST", "Dataset", "fashionmnist"),
        ("The corpus is a subset of The Pile.", "The Pile", "Dataset", "thepile"),
        ("We fine-tune Llama 2 with adapters.", "Llama 2", "Model", "llama2"),
        ("We fine-tune LLaMA-2 with adapters.", "LLaMA-2", "Model", "llama2"),
        ("Whisper transcribes the audio.", "Whisper", "Model", "whisper"),
        ("Encoders such as RoBERTa and DeBERTa-v2 are compared.", "DeBERTa-v2", "Model", "debertav2"),
        ("The student is distilled from GPT-4o.", "GPT-4o", "Model", "gpt4o"),
        ("Adapters are trained with LoRA at rank 8.", "LoRA", "Method", "lowrankadaptation"),
        ("We apply Low-Rank Adaptation to every layer.", "Low-Rank Adaptation", "Method", "lowrankadaptation"),
        ("Knowledge distillation shrinks the model.", "Knowledge distillation", "Method", "knowledgedistillation"),
        ("The policy is optimised with proximal policy optimization.", "proximal policy optimization", "Method", "proximalpolicyoptimization"),
        ("Weights are updated with Adam and a cosine schedule.", "Adam", "Method", "adam"),
        ("Chain-of-thought prompting helps small models.", "Chain-of-thought prompting", "Method", "chainofthoughtprompting"),
        ("Results on machine translation are mixed.", "machine translation", "Task", "machinetranslation"),
        ("Class-incremental learning forgets old classes.", "Class-incremental learning", "Task", "classincrementallearning"),
        ("We measure BLEU and perplexity.", "BLEU", "Metric", "bleu"),
        ("We report pass@1 on every split.", "pass@1", "Metric", "pass1"),
        ("Agents are trained in MuJoCo and on Atari games.", "MuJoCo", "Benchmark", "mujoco"),
        # named architectures are Models (the guideline's "named neural architecture")
        ("A sparse Mixture-of-Experts layer routes tokens.", "Mixture-of-Experts", "Model", "mixtureofexpert"),
        ("We replace the LSTMs with attention.", "LSTMs", "Model", "longshorttermmemory"),
        # established technique words (the guideline's "knowledge distillation, gradient descent")
        ("The student is trained by distillation.", "distillation", "Method", "distillation"),
        ("Grid search picks the learning rate.", "Grid search", "Method", "gridsearch"),
        ("We use early stopping on the validation loss.", "early stopping", "Method", "earlystopping"),
        ("Merged checkpoints via model merging.", "model merging", "Method", "modelmerging"),
        ("It learns from demonstrations in context (in-context learning).", "in-context learning", "Method", "incontextlearning"),
        # the task names of transformers' pipeline registry
        ("We study zero-shot image classification with CLIP.", "zero-shot image classification", "Task", "zeroshotimageclassification"),
        # number formats are techniques of low-precision arithmetic, not trained models
        ("Weights are stored in INT8 after training in BF16.", "INT8", "Method", "int8"),
        # lowercase names in the plural, keyed as the singular
        ("Two grid searches pick the rates.", "grid searches", "Method", "gridsearch"),
        ("We train random forests on the features.", "random forests", "Method", "randomforest"),
    ],
)
def test_gazetteer_matches_known_names_with_type_and_key(gazetteer_nlp, text, span, label, key):
    assert (span, label, key) in matches(gazetteer_nlp, text)


@pytest.mark.parametrize(
    "text, lowercase_name",
    [("Knowledge Distillation works.", True), ("Pruning works.", True), ("Adam works.", False), ("BERT works.", False)],
)
def test_gazetteer_marks_matches_of_lowercase_names(gazetteer_nlp, text, lowercase_name):
    from paperkg.extractors.gazetteer import LOWERCASE_NAME

    name = text.removesuffix(" works.")
    doc = gazetteer_nlp(text)
    assert {s.text: s.id_ == LOWERCASE_NAME for s in doc.spans["gazetteer"]}[name] is lowercase_name


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("Large language models can follow instructions.", "Large language models"),
        ("Recent LLMs answer such questions.", "LLMs"),
        ("Our method outperforms state-of-the-art methods.", "Our method"),
        ("Our method outperforms state-of-the-art methods.", "state-of-the-art methods"),
        ("Deep learning needs much training data.", "training data"),
        ("We compare transformers and recurrent networks.", "transformers"),
        ("Results on existing benchmarks are saturated.", "existing benchmarks"),
        ("The RMs disagree on OOD prompts.", "RMs"),
        ("The RMs disagree on OOD prompts.", "OOD"),
    ],
)
def test_gazetteer_marks_generic_phrases(gazetteer_nlp, text, phrase):
    assert (phrase, GENERIC) in {(text, label) for text, label, _ in matches(gazetteer_nlp, text)}


@pytest.mark.parametrize(
    "text, word",
    [
        ("We do the math by hand.", "math"),
        ("In a garden named adam, nothing is optimised.", "adam"),
        ("A falcon can whisper.", "falcon"),
        ("A falcon can whisper.", "whisper"),
        ("Dogs bark at the mistral wind.", "mistral"),
        ("The fuel will drop and the race goes on.", "drop"),
        ("The fuel will drop and the race goes on.", "race"),
        ("They glue the arc to the map.", "arc"),
        ("They glue the arc to the map.", "map"),
        ("Ropes and cots are stored.", "cots"),
    ],
)
def test_gazetteer_case_sensitive_names_ignore_ordinary_words(gazetteer_nlp, text, word):
    assert word not in {found for found, label, _ in matches(gazetteer_nlp, text) if label != GENERIC}


@pytest.mark.parametrize(
    "text, word, label",
    [
        ("We fine-tune Gemma-Geometry on proofs.", "Gemma-Geometry", "Model"),   # a known family, new variant
        ("Scores on MMLU-Legal rise.", "MMLU-Legal", "Benchmark"),
        ("We propose Chunk-DPO for dialogue.", "Chunk-DPO", "Method"),
        ("We propose MoE-LLaVA for vision.", "MoE-LLaVA", "Model"),             # a model built with a method
        ("A well-known trade-off remains.", None, None),                          # ordinary compounds
    ],
)
def test_gazetteer_types_compounds_by_their_known_part(gazetteer_nlp, text, word, label):
    doc = gazetteer_nlp(text)
    parts = [(s.text, s.label_) for s in doc.spans["gazetteer_parts"]]
    assert parts == ([(word, label)] if word else [])


def test_gazetteer_file_is_sorted_typed_and_one_record_per_key_and_case():
    rows = list(read_entries(GAZETTEER))
    keys = [(r["type"], canonical_key(r["name"]), r["case_sensitive"]) for r in rows]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    assert {r["type"] for r in rows} <= set(ENTITY_TYPES)
    assert len({canonical_key(r["name"]) for r in rows}) == len({(t, k) for t, k, _ in keys})  # one type per key
    assert all(r["source"] in build.SOURCE_PRIORITY for r in rows)
    generic = {canonical_key(t["name"]) for t in read_generic_terms(GENERIC_TERMS)}
    assert not generic & {canonical_key(n) for r in rows for n in [r["name"], *r["aliases"]]}


# ---- merging rules of the build script, on hand-made candidates


@pytest.fixture(scope="module")
def case_rule():
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
    return build.CaseRule({"falcon", "common", "voice", "math", "adam", "policy", "optimization"}, nlp.tokenizer)


def _merge(candidates, generic=()):
    log = []
    entries = build.merge(candidates, {canonical_key(g) for g in generic}, log.append)
    return entries, log


def test_build_merge_higher_priority_source_keeps_type_and_spelling():
    entries, log = _merge([
        build.Candidate("Dataset", "gsm8k", [], "tensorflow-datasets"),
        build.Candidate("Benchmark", "GSM8K", ["GSM-8K"], "curated"),
    ])
    (entry,) = entries
    assert (entry.type, entry.name, entry.source) == ("Benchmark", "GSM8K", "curated")
    assert entry.sources == {"curated", "tensorflow-datasets"}
    assert {"GSM8K", "GSM-8K", "gsm8k"} <= set(entry.names)
    assert any("type conflict" in line for line in log)


def test_build_merge_drops_generic_names_and_aliases_owned_by_another_entry():
    entries, log = _merge(
        [
            build.Candidate("Method", "Direct Preference Optimization", ["DPO"], "curated"),
            build.Candidate("Model", "DPO", [], "transformers"),  # same key: merged, not a second entry
            build.Candidate("Model", "Encoder decoder", [], "transformers"),
            build.Candidate("Benchmark", "ARC", [], "curated"),
            build.Candidate("Benchmark", "ARC-AGI", ["ARC"], "curated"),
        ],
        generic=["encoder-decoder"],
    )
    by_name = {e.name: e for e in entries}
    assert set(by_name) == {"Direct Preference Optimization", "ARC", "ARC-AGI"}
    assert by_name["Direct Preference Optimization"].type == "Method"
    assert "ARC" not in by_name["ARC-AGI"].names
    assert any("already names" in line for line in log) and any("generic" in line for line in log)


@pytest.mark.parametrize(
    "name, type_, exact",
    [("Falcon", "Model", True), ("MATH", "Benchmark", True), ("SGD", "Method", True), ("T5", "Model", True),
     ("Common Voice", "Dataset", True), ("Policy Optimization", "Method", False), ("GSM8K", "Benchmark", False),
     ("knowledge distillation", "Method", False), ("Llama 2", "Model", False), ("Nyströmformer", "Model", False)],
)
def test_build_case_rule_exact_for_words_acronyms_and_proper_names_of_words(case_rule, name, type_, exact):
    assert case_rule.needs_exact_case(name, type_) is exact


@pytest.mark.parametrize(
    "name, forms",
    [("Adam", ["Adam", "Adam", "ADAM"]), ("dropout", ["dropout", "Dropout"]), ("mAP", ["mAP"]), ("CoT", ["CoT"]),
     ("LLaMA", ["LLaMA", "Llama", "LLAMA"])],
)
def test_build_case_forms(case_rule, name, forms):
    assert case_rule.case_forms(name) == forms


def test_build_records_split_exact_case_aliases_into_their_own_record(case_rule):
    entries, _ = _merge([build.Candidate("Method", "mean average precision", ["mAP"], "curated")])
    rows = build.records(entries, case_rule)
    assert [(r["case_sensitive"], r["aliases"]) for r in rows] == [(False, ["mean-average-precision"]), (True, ["mAP"])]
    assert json.dumps(rows)  # serialisable as written


@pytest.mark.parametrize(
    "name, variants",
    [("Gemma2", {"Gemma-2", "Gemma 2"}), ("CIFAR-10", {"CIFAR10", "CIFAR 10"}), ("Stable Diffusion", {"Stable-Diffusion"}),
     ("YOLOv8", set()), ("T5", set())],
)
def test_build_spelling_variants(name, variants):
    assert set(build.spelling_variants(name)) - {name} == variants


@pytest.mark.parametrize(
    "key, name",
    [("object-detection", "object detection"), ("zero-shot-image-classification", "zero-shot image classification"),
     ("image-to-text", "image-to-text")],
)
def test_build_task_names_from_pipeline_keys(key, name):
    assert build._task_name(key) == name

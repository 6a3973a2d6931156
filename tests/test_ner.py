"""The shipped entity recogniser (extractors/data/entities, trained by scripts/train_entities.py) and its training data."""

from __future__ import annotations

import warnings

import numpy
import pytest
import spacy
from spacy.vectors import Vectors

from paperkg.extractors import tokenizer  # noqa: F401  (registers paperkg.tokenizer.v1, which the model's config names)
from paperkg.extractors.errors import PipelineError
from paperkg.extractors.extract import extract_text
from paperkg.extractors.pipeline import ENTITY_MODEL, blank_pipeline, load_pipeline, make_pipeline
from paperkg.extractors.records import ENTITY_TYPES
from paperkg.extractors.training import gold_doc, gold_text, ship_model

#: The issue's budget for a model shipped inside the package.
MAX_MODEL_BYTES = 50_000_000


@pytest.fixture(scope="module")
def ner_nlp():
    return spacy.load(ENTITY_MODEL)


def test_ner_model_recognises_the_guideline_types(ner_nlp):
    assert ner_nlp.pipe_names == ["ner"]
    assert set(ner_nlp.get_pipe("ner").entity_labels) == set(ENTITY_TYPES)


def test_ner_model_uses_the_paperkg_tokenizer(ner_nlp):
    assert [t.text for t in ner_nlp.make_doc("We fine-tune LLaMA-3-8B.")] == ["We", "fine-tune", "LLaMA-3-8B", "."]


def test_ner_model_is_small():
    size = sum(path.stat().st_size for path in ENTITY_MODEL.rglob("*") if path.is_file())
    assert size < MAX_MODEL_BYTES


def test_ner_model_carries_its_training_config(ner_nlp):
    assert ner_nlp.config["system"]["seed"] == 0
    assert ner_nlp.config["paths"]["train"] is None  # no corpus path of the machine it was trained on


@pytest.mark.parametrize(
    "text, name, label",
    [
        ("We propose StepTuner, a method for mathematical reasoning. It outperforms GPT-4.", "StepTuner", "Method"),
        ("We propose StepTuner, a method for mathematical reasoning. It outperforms GPT-4.", "GPT-4", "Model"),
        ("Experiments on the CIFAR-10 dataset show that pruning helps.", "CIFAR-10", "Dataset"),
        ("We train the network with stochastic gradient descent and dropout.", "stochastic gradient descent", "Method"),
    ],
)
def test_ner_model_finds_entity(ner_nlp, text, name, label):
    assert (name, label) in {(ent.text, ent.label_) for ent in ner_nlp(text).ents}


def test_ner_pipeline_takes_the_learned_recogniser_as_a_source():
    nlp = load_pipeline()
    assert nlp.get_pipe("paperkg_entities").ner_source == "learned"
    # a technique no gazetteer entry and no capital marks, said twice: only the trained recogniser finds it
    extraction = extract_text("A Study", "We propose cross-lingual anchor tuning. Cross-lingual anchor tuning aligns "
                                         "the embeddings.")
    assert [(e.name, e.type, [m.source for m in e.mentions]) for e in extraction.entities] == [
        ("cross-lingual anchor tuning", "Method", ["learned", "learned"])]


def test_ner_pipeline_reads_the_static_vectors_of_its_shipped_recogniser(tmp_path):
    # a recogniser whose tok2vec reads floret vectors (scripts/build_vectors.py), here a small random table
    source = blank_pipeline()
    source.vocab.vectors = Vectors(strings=source.vocab.strings, data=numpy.random.default_rng(0).random((64, 8), "f"),
                                   mode="floret", hash_count=1, minn=3, maxn=4)
    ner = source.add_pipe("paperkg_entity_tagger", name="ner", config={"model": {"tok2vec": {"pretrained_vectors": True}}})
    ner.add_label("U-Method")  # type: ignore[attr-defined]
    source.initialize()
    source.config["paths"]["vectors"] = str(tmp_path / "vectors")  # where training read them
    source.to_disk(tmp_path / "trained")
    ship_model(tmp_path / "trained", tmp_path / "ner", name="vectors_test")
    assert spacy.load(tmp_path / "ner").config["paths"]["vectors"] is None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nlp = make_pipeline(ner_model=tmp_path / "ner")
    assert not [w for w in caught if "W113" in str(w.message)]  # sourced without its vectors
    assert nlp.vocab.vectors.mode == "floret"
    assert numpy.array_equal(nlp.vocab.vectors.data, source.vocab.vectors.data)
    assert [t.text for t in nlp("We propose anchor tuning.")][-1] == "."  # the recogniser runs on them


def test_ner_learned_lowercase_phrase_said_once_is_a_name():
    # SciREX's recogniser needs a second mention of a lowercase phrase (test_entities); the one
    # trained on the guideline's types learned which ones name a method
    extraction = extract_text("A Study", "We propose cross-lingual anchor tuning for the embeddings.")
    assert [(e.name, e.type, e.mentions[0].source) for e in extraction.entities] == [
        ("cross-lingual anchor tuning", "Method", "learned")]


def test_ner_resolver_names_the_valid_recognisers():
    nlp = blank_pipeline()
    with pytest.raises(PipelineError, match=r"ner_source 'scirex' is none of learned, ner"):
        nlp.add_pipe("paperkg_entities", config={"ner_source": "scirex"})


# -- gold records as training docs ---------------------------------------------------------------

def _gold(title, abstract, entities, optional=()):
    return {"id": "1", "title": title, "abstract": abstract, "entities": entities, "optional": list(optional)}


@pytest.mark.parametrize(
    "record, spans",
    [
        # every occurrence of the name and its aliases, in title and abstract
        (_gold("StepTuner: Tuning Steps", "We propose StepTuner (ST). ST beats DPO.",
               [{"name": "StepTuner", "type": "Method", "aliases": ["ST"]}, {"name": "DPO", "type": "Method"}]),
         [("StepTuner", "Method"), ("StepTuner", "Method"), ("ST", "Method"), ("ST", "Method"), ("DPO", "Method")]),
        # a lowercase name starts a sentence with a capital; a name with capitals keeps them ("MATH" is no "math")
        (_gold("Distilling Maths", "Knowledge distillation helps on MATH. We do the math with knowledge distillation.",
               [{"name": "knowledge distillation", "type": "Method"}, {"name": "MATH", "type": "Benchmark"}]),
         [("Knowledge distillation", "Method"), ("MATH", "Benchmark"), ("knowledge distillation", "Method")]),
        # overlapping names: the longest wins; a name inside a word is no occurrence
        (_gold("T", "We use LLaMA-2-7B, not LLaMA-2, and no LLaMA-2ish model.",
               [{"name": "LLaMA-2-7B", "type": "Model"}, {"name": "LLaMA-2", "type": "Model"}]),
         [("LLaMA-2-7B", "Model"), ("LLaMA-2", "Model")]),
    ],
)
def test_ner_gold_doc_marks_every_occurrence(record, spans):
    doc = gold_doc(blank_pipeline(), record)
    assert [(e.text, e.label_) for e in doc.ents] == spans


def test_ner_gold_doc_leaves_optional_entities_missing():
    record = _gold("T", "We study mathematical reasoning with GSM8K.", [{"name": "GSM8K", "type": "Benchmark"}],
                   optional=[{"name": "mathematical reasoning", "type": "Task"}])
    doc = gold_doc(blank_pipeline(), record)
    iob = {t.text: t.ent_iob_ for t in doc}
    assert (iob["mathematical"], iob["reasoning"], iob["GSM8K"], iob["study"]) == ("", "", "B", "O")


def _processed(pipeline, records):
    return [pipeline(gold_text(r)) for r in records]


def test_ner_training_rules_out_names_the_annotations_never_give(listless_pipeline):
    from paperkg.extractors.training import NAMED_LEAST, unnamed_phrases

    said = _gold("Fusing Depth", "We fuse RGB images with depth maps using ResNet-50.", [{"name": "ResNet-50", "type": "Model"}])
    optional = _gold("Fusing Colour", "We fuse RGB images using ResNet-50.", [{"name": "ResNet-50", "type": "Model"}],
                     optional=[{"name": "RGB", "type": "Dataset"}])
    assert "RGB" in {e.text for e in _processed(listless_pipeline, [said])[0].ents}
    for records, unnamed in [([said] * NAMED_LEAST, ["RGB"]),
                             ([said] * (NAMED_LEAST - 1), []),  # too few to say
                             ([said] * (NAMED_LEAST - 1) + [optional], [])]:  # optional: not counted
        assert unnamed_phrases(_processed(listless_pipeline, records), records) == unnamed


def test_ner_training_types_names_as_the_annotations_do(listless_pipeline):
    from paperkg.extractors.training import NAMED_LEAST, annotated_types

    metric = _gold("Detecting Boxes", "We report AP on COCO for ResNet-50.",
                   [{"name": "AP", "type": "Metric"}, {"name": "COCO", "type": "Dataset"}, {"name": "ResNet-50", "type": "Model"}])
    [doc] = _processed(listless_pipeline, [metric])
    assert {e.text: e.label_ for e in doc.ents}["AP"] == "Method"  # the rules' guess from its shape
    coco = _gold(metric["title"], metric["abstract"], [{"name": "COCO", "type": "Benchmark"}])  # Dataset or Benchmark: one kind
    for records, types in [([metric] * NAMED_LEAST, {"ap": "Metric"}),
                           ([metric] * (NAMED_LEAST - 1), {}),  # too few to say
                           ([coco] * NAMED_LEAST, {})]:
        assert annotated_types(_processed(listless_pipeline, records), records) == types

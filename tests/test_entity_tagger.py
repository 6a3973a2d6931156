"""The tagging recogniser: BILUO tags in, names out; it learns from gold docs and round-trips."""

from __future__ import annotations

import random

import pytest
from spacy.training import Example

from paperkg.extractors.entity_tagger import EntityTagger, Name, biluo_tags, read_names, set_gold_tags
from paperkg.extractors.pipeline import blank_pipeline
from paperkg.extractors.training import gold_doc


@pytest.mark.parametrize(
    "tags, names",
    [
        (["O", "O"], []),
        (["U-Model"], [Name(0, 1, "Model")]),
        (["B-Task", "I-Task", "L-Task", "O"], [Name(0, 3, "Task")]),
        (["B-Task", "I-Task"], [Name(0, 2, "Task")]),  # a name running to the end
        (["O", "I-Dataset", "L-Dataset"], [Name(1, 3, "Dataset")]),  # no B-: the name starts at the I-
        (["B-Model", "L-Method"], [Name(0, 1, "Model"), Name(1, 2, "Method")]),  # the type changes
        (["B-Model", "B-Model", "L-Model"], [Name(0, 1, "Model"), Name(1, 3, "Model")]),
        (["U-Metric", "U-Metric"], [Name(0, 1, "Metric"), Name(1, 2, "Metric")]),
        (["B-Method", "O", "U-Task"], [Name(0, 1, "Method"), Name(2, 3, "Task")]),
        ([], []),
    ],
)
def test_entity_tagger_reads_names(tags, names):
    assert read_names(tags) == names


def test_entity_tagger_gold_doc_tags_entities_and_leaves_optional_ones_missing():
    record = {"title": "GSM8K Results", "abstract": "We fine-tune GPT-2 with LoRA adapters.",
              "entities": [{"name": "GPT-2", "type": "Model"}, {"name": "GSM8K", "type": "Dataset"}],
              "optional": [{"name": "LoRA adapters"}]}
    doc = gold_doc(blank_pipeline(), record)
    assert [(t.text, t.tag_) for t in doc if t.tag_ != "O"] == [
        ("GSM8K", "U-Dataset"), ("GPT-2", "U-Model"), ("LoRA", ""), ("adapters", "")]
    assert biluo_tags(doc) == [t.tag_ for t in doc]


TRAINING = [
    ("We evaluate on GSM8K and MATH.", [("GSM8K", "Dataset"), ("MATH", "Dataset")]),
    ("Our model beats Llama 2 on GSM8K.", [("Llama 2", "Model"), ("GSM8K", "Dataset")]),
    ("Llama 2 is fine-tuned with direct preference optimization.", [("Llama 2", "Model"), ("direct preference optimization", "Method")]),
]


@pytest.fixture(scope="module")
def trained_tagger():
    nlp = blank_pipeline()
    tagger = nlp.add_pipe("paperkg_entity_tagger", name="ner")
    examples = []
    for text, names in TRAINING:
        reference = nlp.make_doc(text)
        reference.set_ents([reference.char_span(text.index(n), text.index(n) + len(n), label=t) for n, t in names],
                           default="outside")
        set_gold_tags(reference)
        examples.append(Example(nlp.make_doc(text), reference))
    optimizer = nlp.initialize(lambda: examples)
    rng = random.Random(0)
    for _ in range(60):
        rng.shuffle(examples)
        nlp.update(examples, sgd=optimizer)
    return nlp, tagger


def test_entity_tagger_learns_names_and_writes_them_to_ents(trained_tagger):
    nlp, tagger = trained_tagger
    doc = nlp("Our model beats Llama 2 on GSM8K.")
    assert [(e.text, e.label_) for e in doc.ents] == [("Llama 2", "Model"), ("GSM8K", "Dataset")]
    assert tagger.entity_labels == ("Dataset", "Method", "Model")


def test_entity_tagger_round_trips_through_bytes(trained_tagger):
    nlp, _ = trained_tagger
    copy = blank_pipeline()
    copy.add_pipe("paperkg_entity_tagger", name="ner")
    copy.from_bytes(nlp.to_bytes())
    text = "Llama 2 is fine-tuned with direct preference optimization."
    assert [(e.text, e.label_) for e in copy(text).ents] == [(e.text, e.label_) for e in nlp(text).ents]
    assert isinstance(copy.get_pipe("ner"), EntityTagger)

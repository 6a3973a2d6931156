"""The shipped entity recogniser (extractors/data/ner, trained by scripts/train_ner.py)."""

from __future__ import annotations

import pytest
import spacy

from extractors import tokenizer  # noqa: F401  (registers paperkg.tokenizer.v1, which the model's config names)
from extractors.pipeline import NER_MODEL

#: "A few MB": the model ships inside the package.
MAX_MODEL_BYTES = 8_000_000


@pytest.fixture(scope="module")
def ner_nlp():
    return spacy.load(NER_MODEL)


def test_ner_model_is_only_a_scirex_recogniser(ner_nlp):
    assert ner_nlp.pipe_names == ["ner"]
    assert set(ner_nlp.get_pipe("ner").labels) == {"Method", "Task", "Metric", "Material"}


def test_ner_model_uses_the_paperkg_tokenizer(ner_nlp):
    assert [t.text for t in ner_nlp.make_doc("We fine-tune LLaMA-3-8B.")] == ["We", "fine-tune", "LLaMA-3-8B", "."]


def test_ner_model_is_small():
    size = sum(path.stat().st_size for path in NER_MODEL.rglob("*") if path.is_file())
    assert size < MAX_MODEL_BYTES


@pytest.mark.parametrize(
    "text, name, label",
    [
        ("We propose a recurrent neural network for machine translation.", "machine translation", "Task"),
        ("We propose a recurrent neural network for machine translation.", "recurrent neural network", "Method"),
        ("Our detector improves object detection on the COCO dataset.", "object detection", "Task"),
    ],
)
def test_ner_model_finds_entity(ner_nlp, text, name, label):
    assert (name, label) in {(ent.text, ent.label_) for ent in ner_nlp(text).ents}

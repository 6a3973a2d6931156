"""The learned name filter (extractors/name_filter.py): trained on sentences written here."""

from __future__ import annotations

import numpy as np
import pytest
import spacy
from spacy.tokens import Span

from paperkg.extractors.name_filter import NAME_FILTER_FILE, NameFilter, filter_features, train_name_filter
from paperkg.extractors.pipeline import ENTITY_MODEL, load_pipeline
from paperkg.extractors.training import gold_text, named_labels

#: Made-up names, so that only their context tells a named one from an unnamed one.
NAMES = ["ZorBlat", "QuiXel", "VanTor", "PriLLo", "GemSK", "TorVane", "HalBeck", "NuzZet"]


def _record(name: str, context: str, named: bool) -> dict:
    return {"title": f"On {name}", "abstract": context.format(name=name) + " Results hold on CIFAR-10.",
            "entities": [*([{"name": name, "type": "Method"}] if named else []), {"name": "ImageNet", "type": "Dataset"},
                         {"name": "CIFAR-10", "type": "Dataset"}]}


@pytest.fixture(scope="module")
def name_filter(listless_pipeline):
    """A filter trained where annotators name a method the paper proposes and not a quantity it computes."""
    records = [_record(name, context, named) for name in NAMES[:6]
               for context, named in [("We propose {name} for ImageNet.", True),
                                      ("We compute {name} gradients on ImageNet.", False)]]
    docs = list(listless_pipeline.pipe(gold_text(r) for r in records))
    return train_name_filter(docs, [named_labels(doc, record) for doc, record in zip(docs, records)])


@pytest.mark.parametrize("sentence, kept", [
    ("We propose HalBeck for ImageNet.", True),
    ("We compute NuzZet gradients on ImageNet.", False),
])
def test_name_filter_drops_unseen_names_in_unnamed_contexts(listless_pipeline, name_filter, sentence, kept):
    name = sentence.split()[2]
    doc = listless_pipeline(sentence)
    assert name in {e.text for e in doc.ents}  # the rules alone keep it
    assert (name in {s.text for s in name_filter.keep(doc, list(doc.ents), {})}) is kept


def test_name_filter_keeps_models_datasets_and_benchmarks_whatever_their_score():
    doc = spacy.blank("en")("We compare VanTor-7B with QuiXel on ZorBlat and PriLLo .")
    spans = [Span(doc, i, i + 1, label=label, kb_id=doc[i].lower_, span_id="shape")
             for i, label in ((2, "Model"), (4, "Method"), (6, "Dataset"), (8, "Benchmark"))]
    never = NameFilter({}, np.zeros((0, 1)), np.array([-30.0]), np.array([[1.0, 0.0]]), np.array([0.5]))
    assert [s.text for s in never.keep(doc, spans, {})] == ["VanTor-7B", "ZorBlat", "PriLLo"]


def test_name_filter_an_entity_stays_whole_when_one_mention_is_named():
    doc = spacy.blank("en")("Learned Two Sides ( LTS ) beats LTS .")
    spans = [Span(doc, 0, 3, label="Method", kb_id="learnedtwosides", span_id="learned"),
             Span(doc, 4, 5, label="Method", kb_id="lts", span_id="abbreviation"),
             Span(doc, 7, 8, label="Method", kb_id="lts", span_id="abbreviation")]
    features = {f: i for i, f in enumerate(sorted(filter_features(spans[0], [], 3)))}
    only_first = NameFilter(features, np.zeros((len(features), 1)), np.array([-1.0]), np.array([[1.0, 0.0]]), np.array([0.5]))
    only_first.weights[features["source=learned"]] = 5.0
    assert only_first.keep(doc, spans, {"lts": "learnedtwosides"}) == spans
    assert only_first.keep(doc, spans, {}) == spans[:1]


def test_name_filter_round_trips_through_a_file(name_filter, tmp_path):
    name_filter.write(tmp_path / NAME_FILTER_FILE)
    copy = NameFilter.load(tmp_path / NAME_FILTER_FILE)
    assert copy.features == name_filter.features and copy.thresholds == pytest.approx(name_filter.thresholds)


def test_name_filter_ships_with_the_recogniser_and_the_pipeline_applies_it():
    assert (ENTITY_MODEL / NAME_FILTER_FILE).is_file()
    assert load_pipeline().get_pipe("paperkg_entities").name_filter is not None


def test_name_filter_absent_keeps_every_entity(listless_pipeline):
    assert listless_pipeline.get_pipe("paperkg_entities").name_filter is None

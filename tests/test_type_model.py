"""The learned entity typer (extractors/type_model.py): trained on sentences written here."""

from __future__ import annotations

import pytest

from paperkg.extractors.normalize import canonical_key
from paperkg.extractors.pipeline import ENTITY_MODEL, load_pipeline
from paperkg.extractors.training import gold_text
from paperkg.extractors.type_model import TYPE_MODEL_FILE, TypeModel, train_type_model

#: Made-up names, so that only their context can type them.
NAMES = ["ZorBlat", "QuiXel", "VanTor", "PriLLo", "GemSK", "TorVane", "HalBeck", "NuzZet"]


def _record(name: str, context: str, annotated: str) -> dict:
    return {"title": f"On {name}", "abstract": context.format(name=name) + " Results hold on CIFAR-10.",
            "entities": [{"name": name, "type": annotated}, {"name": "CIFAR-10", "type": "Dataset"}]}


def _typed(pipeline, text: str) -> dict[str, str]:
    return {e.text: e.label_ for e in pipeline(text).ents}


@pytest.fixture(scope="module")
def typer(listless_pipeline):
    """A typer trained where annotators call a name after "report" a Metric and one after "train" a Model."""
    records = [_record(name, context, annotated) for name in NAMES[:6]
               for context, annotated in [("We report {name} on ImageNet.", "Metric"),
                                          ("We train {name} on ImageNet.", "Model")]]
    with listless_pipeline.select_pipes(disable=["paperkg_relations"]):
        docs = list(listless_pipeline.pipe(gold_text(r) for r in records))
    return train_type_model(docs, [{canonical_key(e["name"]): e["type"] for e in r["entities"]} for r in records])


@pytest.mark.parametrize("sentence, rules_type, learned_type", [
    ("We report HalBeck on ImageNet.", "Method", "Metric"),
    ("We train NuzZet on ImageNet.", "Method", "Model"),
])
def test_type_model_types_unseen_names_by_their_context(listless_pipeline, typer, sentence, rules_type, learned_type):
    name = sentence.split()[2]
    assert _typed(listless_pipeline, sentence)[name] == rules_type  # what the rules guess from the shape alone
    doc = listless_pipeline(sentence)
    assert {s.text: s.label_ for s in typer.retype(doc, list(doc.ents))}[name] == learned_type


def test_type_model_round_trips_through_a_file(typer, tmp_path):
    typer.write(tmp_path / TYPE_MODEL_FILE)
    copy = TypeModel.load(tmp_path / TYPE_MODEL_FILE)
    assert copy.features == typer.features
    features = [{"rule=Method", "previous=report"}]
    assert copy.scores(features) == pytest.approx(typer.scores(features), abs=1e-4)  # weights kept to 5 decimals


def test_type_model_ships_with_the_recogniser_and_the_pipeline_applies_it():
    assert (ENTITY_MODEL / TYPE_MODEL_FILE).is_file()
    assert load_pipeline().get_pipe("paperkg_entities").type_model is not None


def test_type_model_absent_types_by_the_listless_pipeline(listless_pipeline):
    assert listless_pipeline.get_pipe("paperkg_entities").type_model is None

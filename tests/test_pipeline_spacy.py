"""The pipeline used the spaCy way: serialised, loaded by entry points, initialised from its config, packaged."""

import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from extractors.extract import doc_to_extraction, extract_papers
from extractors.pipeline import load_pipeline
from extractors.readers import read_papers

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tests" / "fixtures" / "example-papers.txt"
PAPERKG_COMPONENTS = ["paperkg_sentences", "paperkg_abbreviations", "paperkg_gazetteer", "paperkg_entities",
                      "paperkg_relations"]


@pytest.fixture(scope="module")
def papers():
    return list(read_papers([str(EXAMPLES)]))


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


def outputs(nlp, papers):
    """Entities (with mentions) and relations of each paper, as plain values."""
    return [extraction.to_dict() | {"paper": extraction.paper.id} for extraction in extract_papers(papers, nlp)]


def test_pipeline_spacy_bytes_round_trip_keeps_every_entity_and_relation(nlp, papers):
    copy = spacy.util.get_lang_class("en").from_config(nlp.config)
    copy.from_bytes(nlp.to_bytes())
    assert len(copy.get_pipe("paperkg_gazetteer").entries) == len(nlp.get_pipe("paperkg_gazetteer").entries) > 2000
    assert outputs(copy, papers) == outputs(nlp, papers)


@pytest.mark.parametrize("exclude, kept", [((), True), (("entries",), False)])
def test_pipeline_spacy_gazetteer_serialisation_honours_exclude(nlp, tmp_path, exclude, kept):
    gazetteer = nlp.get_pipe("paperkg_gazetteer")
    blank = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
    from_bytes = blank.add_pipe("paperkg_gazetteer", name="from_bytes").from_bytes(gazetteer.to_bytes(exclude=exclude))
    gazetteer.to_disk(tmp_path / "gazetteer", exclude=exclude)
    from_disk = blank.add_pipe("paperkg_gazetteer", name="from_disk").from_disk(tmp_path / "gazetteer", exclude=exclude)
    for copy in (from_bytes, from_disk):
        doc = copy(blank("We evaluate on GSM8K."))
        assert copy.entries == (gazetteer.entries if kept else [])
        assert bool(doc.spans["gazetteer"]) is kept


def test_pipeline_spacy_gazetteer_loads_its_entries_in_initialize(tmp_path):
    entries = tmp_path / "entries.jsonl"
    entries.write_text(json.dumps({"name": "Quokka-Net", "type": "Model", "aliases": ["QNet"]}) + "\n")
    generic = tmp_path / "generic.txt"
    generic.write_text("# generic phrases\nour framework\n")
    nlp = spacy.blank("en", config={
        "nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}},
        "initialize": {"components": {"paperkg_gazetteer": {"entries": str(entries), "generic_terms": str(generic)}}},
    })
    nlp.add_pipe("paperkg_gazetteer")
    nlp.initialize()
    doc = nlp("QNet beats our framework.")
    assert [(s.text, s.label_, s.kb_id_) for s in doc.spans["gazetteer"]] == [("QNet", "Model", "quokkanet"), ("our framework", "Generic", "ourframework")]


def test_pipeline_spacy_components_declare_what_they_assign_and_require(nlp):
    analysis = nlp.analyze_pipes()
    assert all(not missing for missing in analysis["problems"].values()), analysis["problems"]
    for name in PAPERKG_COMPONENTS:
        assert analysis["summary"][name]["assigns"], name
    assert "doc.ents" in analysis["summary"]["paperkg_entities"]["requires"]
    assert "doc._.relations" in analysis["summary"]["paperkg_relations"]["assigns"]


def test_pipeline_spacy_doc_extensions_are_plain_values(nlp, papers):
    docs = list(nlp.pipe(paper.text for paper in papers))
    stored = DocBin(store_user_data=True, docs=docs).to_bytes()
    copies = list(DocBin().from_bytes(stored).get_docs(nlp.vocab))
    for doc, copy, paper in zip(docs, copies, papers):
        assert doc_to_extraction(copy, paper).to_dict() == doc_to_extraction(doc, paper).to_dict()

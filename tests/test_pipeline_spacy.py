"""The pipeline used the spaCy way: serialised, loaded by entry points, initialised from its config, packaged."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from paperkg.extractors.extract import doc_to_extraction, extract_papers
from paperkg.extractors.pipeline import load_pipeline
from paperkg.extractors.readers import read_papers
from paperkg.extractors.result_model import find_results

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tests" / "fixtures" / "example-papers.txt"
PAPERKG_COMPONENTS = ["paperkg_sentences", "paperkg_abbreviations", "paperkg_gazetteer", "paperkg_entities",
                      "paperkg_relations"]

#: Prints each text's entities and relations with spaCy alone: what a user without paperkg's code in
#: hand gets from ``spacy.load``. Reads ``{"model": ..., "texts": [...]}`` on stdin.
SPACY_ONLY = """
import json, sys
import spacy
job = json.load(sys.stdin)
nlp = spacy.load(job["model"])
print(json.dumps([[[e.text, e.label_, e.start_char, e.end_char] for e in doc.ents] + [list(doc._.relations)]
                  for doc in nlp.pipe(job["texts"])]))
"""


@pytest.fixture(scope="module")
def papers():
    return list(read_papers([str(EXAMPLES)]))


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


def outputs(nlp, papers):
    """Entities (with mentions) and relations of each paper, as plain values."""
    return [extraction.to_dict() | {"paper": extraction.paper.id} for extraction in extract_papers(papers, nlp)]


def spacy_only(model: str, texts: list[str], python: str = sys.executable) -> list:
    """:data:`SPACY_ONLY` run by ``python`` in a new process that never imports paperkg itself."""
    done = subprocess.run([python, "-c", SPACY_ONLY], input=json.dumps({"model": model, "texts": texts}),
                          capture_output=True, text=True, cwd="/", timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def ents_and_relations(nlp, texts: list[str]) -> list:
    return [[[e.text, e.label_, e.start_char, e.end_char] for e in doc.ents]
            + [json.loads(json.dumps(doc._.relations))] for doc in nlp.pipe(texts)]


def test_pipeline_spacy_bytes_round_trip_keeps_every_entity_and_relation(nlp, papers):
    copy = spacy.util.get_lang_class("en").from_config(nlp.config)
    copy.from_bytes(nlp.to_bytes())
    assert len(copy.get_pipe("paperkg_gazetteer").entries) == len(nlp.get_pipe("paperkg_gazetteer").entries) > 2000
    assert outputs(copy, papers) == outputs(nlp, papers)


def test_pipeline_spacy_disk_round_trip_loads_without_importing_paperkg(nlp, papers, tmp_path):
    nlp.to_disk(tmp_path / "model")
    texts = [paper.text for paper in papers]
    assert spacy_only(str(tmp_path / "model"), texts) == ents_and_relations(nlp, texts)


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


@pytest.mark.parametrize("model", ["type_model", "name_filter"])
@pytest.mark.parametrize("excluded", [False, True])
def test_pipeline_spacy_resolver_serialisation_honours_exclude(nlp, tmp_path, model, excluded):
    resolver = nlp.get_pipe("paperkg_entities")
    exclude = (model,) if excluded else ()
    blank = spacy.blank("en")
    from_bytes = blank.add_pipe("paperkg_entities", name="from_bytes").from_bytes(resolver.to_bytes(exclude=exclude))
    resolver.to_disk(tmp_path / "resolver", exclude=exclude)
    from_disk = blank.add_pipe("paperkg_entities", name="from_disk").from_disk(tmp_path / "resolver", exclude=exclude)
    for copy in (from_bytes, from_disk):
        assert (getattr(copy, model) is None) is excluded
        if not excluded:
            assert getattr(copy, model).to_json() == getattr(resolver, model).to_json()


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


@pytest.mark.parametrize("meta, generic", [
    ({}, ["transfer learning"]),
    ({"named_generic_phrases": ["Transfer Learning"]}, []),
    ({"unnamed_phrases": ["RGB"]}, ["transfer learning", "RGB"]),
])
def test_pipeline_spacy_rules_out_what_the_recognisers_annotations_say(corrected_pipeline, meta, generic):
    from paperkg.extractors.gazetteer import GENERIC

    doc = corrected_pipeline(**meta)("We study transfer learning on RGB images.")
    assert [s.text for s in doc.spans["gazetteer"] if s.label_ == GENERIC] == generic


@pytest.mark.parametrize("types, label", [({}, "Method"), ({"ap": "Metric"}, "Metric")])
def test_pipeline_spacy_types_names_as_the_recognisers_annotations_do(corrected_pipeline, types, label):
    doc = corrected_pipeline(annotated_types=types)("We report AP on COCO.")
    assert {e.text: e.label_ for e in doc.ents}["AP"] == label


def test_pipeline_spacy_annotated_type_outside_the_guideline_is_an_error():
    from paperkg.extractors.errors import PipelineError
    from paperkg.extractors.pipeline import blank_pipeline

    with pytest.raises(PipelineError, match="annotated type 'Score' is none of Model, Method"):
        blank_pipeline().add_pipe("paperkg_entities", config={"ner_source": "learned", "annotated_types": {"ap": "Score"}})


def test_pipeline_spacy_components_declare_what_they_assign_and_require(nlp):
    analysis = nlp.analyze_pipes()
    assert all(not missing for missing in analysis["problems"].values()), analysis["problems"]
    for name in PAPERKG_COMPONENTS:
        assert analysis["summary"][name]["assigns"], name
    assert "doc.ents" in analysis["summary"]["paperkg_entities"]["requires"]
    assert "doc._.relations" in analysis["summary"]["paperkg_relations"]["assigns"]


def readings(doc) -> tuple:
    """A doc's entities, relations and results without their character offsets."""
    names = {ent.kb_id_: ent.text for ent in doc.ents}
    return ([(e.text, e.label_) for e in doc.ents], [(r[0], r[1], r[2], r[6]) for r in doc._.relations],
            [(r.subject, r.benchmark, r.metric, r.value) for r in find_results(doc, names)])


@pytest.mark.parametrize("text, stated", [
    ("We fine-tune BERT on SQuAD. Our method Norm Growth Limiter outperforms RoBERTa on GLUE, reaching 91.2% "
     "accuracy on SQuAD.", ("PAPER", "PROPOSES", "normgrowthlimiter")),
    ("Zorb reaches 83.1% top-1 accuracy on ImageNet, outperforming ResNet-50. We train Zorb with Adam.",
     ("PAPER", "EVALUATES_ON", "imagenet")),
])
def test_pipeline_spacy_reads_a_text_without_a_title_line_as_an_abstract(nlp, text, stated):
    # spacy.load(...)(abstract) has no title line: every sentence is read as the abstract's, as
    # after an empty title (before, the whole text was taken for a title: no sentence rule fired).
    assert readings(nlp(text)) == readings(nlp("\n\n" + text))
    assert stated in [r[:3] for r in readings(nlp(text))[1]]


def test_pipeline_spacy_doc_extensions_are_plain_values(nlp, papers):
    docs = list(nlp.pipe(paper.text for paper in papers))
    stored = DocBin(store_user_data=True, docs=docs).to_bytes()
    copies = list(DocBin().from_bytes(stored).get_docs(nlp.vocab))
    for doc, copy, paper in zip(docs, copies, papers):
        assert doc_to_extraction(copy, paper).to_dict() == doc_to_extraction(doc, paper).to_dict()


def _fresh_venv(path: Path) -> Path:
    """A new virtual environment that sees this one's packages (spaCy, paperkg) but nothing of its own."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # An `import` line runs: addsitedir also reads this environment's .pth files (the editable install).
    Path(site, "parent_env.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    return python


def test_pipeline_spacy_model_package_installs_and_loads_in_a_fresh_venv(papers, tmp_path):
    built = subprocess.run([sys.executable, str(ROOT / "scripts" / "package_model.py"), "--output", str(tmp_path / "dist")],
                           capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr
    wheel = Path(built.stdout.strip().splitlines()[-1])
    python = _fresh_venv(tmp_path / "venv")
    target = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", target, str(wheel)],
                   check=True, env={**os.environ, "PIP_CONSTRAINT": ""})
    got = spacy_only("en_paperkg_ml", [paper.text for paper in papers], python=str(python))
    extracted = [sorted([m["text"], entity["type"], m["start"], m["end"]] for entity in extraction.to_dict()["entities"]
                        for m in entity["mentions"]) for extraction in extract_papers(papers)]
    assert [sorted(ents[:-1]) for ents in got] == extracted

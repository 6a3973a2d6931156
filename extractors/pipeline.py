"""The paperkg spaCy pipeline, assembled from the components of this package.

>>> nlp = make_pipeline()
>>> nlp.pipe_names
['paperkg_sentences', 'paperkg_abbreviations', 'ner', 'paperkg_gazetteer', 'paperkg_entities', 'paperkg_relations']

Every component is a registered factory, found by spaCy through paperkg's entry points
(``spacy_factories``, ``spacy_tokenizers``), and saves its data with the pipeline: ``nlp.to_disk(path)``
and ``spacy.load(path)``, or ``nlp.to_bytes()`` and ``from_bytes``, round-trip it, with no paperkg
import. Data files are read once, by ``nlp.initialize()``, from the config's ``[initialize]`` section.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

from . import abbreviation, entities, relations, sentences, tokenizer  # noqa: F401  (register factories)
from .errors import PipelineError

__all__ = ["DATA_DIR", "NER_MODEL", "GAZETTEER", "GENERIC_TERMS", "make_pipeline", "load_pipeline"]

DATA_DIR = Path(__file__).parent / "data"
NER_MODEL = DATA_DIR / "ner"
GAZETTEER = DATA_DIR / "gazetteer.jsonl"
GENERIC_TERMS = DATA_DIR / "generic_terms.txt"

_TOKENIZER = {"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}}


def _initialize_settings(gazetteer: str | Path, generic_terms: str | Path) -> dict:
    """The config's ``[initialize]`` section: where ``nlp.initialize()`` reads each component's data."""
    files = {"entries": str(gazetteer), "generic_terms": str(generic_terms)}
    return {"initialize": {"components": {"paperkg_gazetteer": files}}}


def make_pipeline(
    *,
    ner_model: str | Path = NER_MODEL,
    gazetteer: str | Path = GAZETTEER,
    generic_terms: str | Path = GENERIC_TERMS,
) -> Language:
    """A new pipeline: sentences, acronyms, trained recogniser, gazetteer, resolution, relations."""
    for path in (ner_model, gazetteer, generic_terms):
        if not Path(path).exists():
            raise PipelineError(f"{path}: pipeline data missing (reinstall paperkg, or rebuild it with scripts/)")
    nlp = spacy.blank("en", config={**_TOKENIZER, **_initialize_settings(gazetteer, generic_terms)})
    nlp.add_pipe("paperkg_sentences")
    nlp.add_pipe("paperkg_abbreviations")
    nlp.add_pipe("ner", source=spacy.load(ner_model))
    nlp.add_pipe("paperkg_gazetteer")
    nlp.add_pipe("paperkg_entities")
    nlp.add_pipe("paperkg_relations")
    with nlp.select_pipes(disable=["ner"]):  # trained already: initializing would reset its weights
        nlp.initialize()
    return nlp


@lru_cache(maxsize=1)
def load_pipeline() -> Language:
    """The shipped pipeline, built once per process."""
    return make_pipeline()

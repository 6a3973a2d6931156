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

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.language import Language

from . import abbreviation, entities, relations, sentences, tokenizer  # noqa: F401  (register factories)
from .blas import use_numpy_blas
from .entity_tagger import EntityTagger
from .errors import PipelineError
from .name_filter import NAME_FILTER_FILE
from .records import ENTITY_TYPES
from .relation_model import MODEL_PATH
from .type_model import TYPE_MODEL_FILE

__all__ = ["DATA_DIR", "NER_MODEL", "ENTITY_MODEL", "GAZETTEER", "GENERIC_TERMS", "blank_pipeline", "make_pipeline", "load_pipeline"]

DATA_DIR = Path(__file__).parent / "data"
NER_MODEL = DATA_DIR / "ner"  # SciREX labels: the pipeline before the guideline-trained recogniser
ENTITY_MODEL = DATA_DIR / "entities"  # the guideline's six types (scripts/train_entities.py)
GAZETTEER = DATA_DIR / "gazetteer.jsonl"
GENERIC_TERMS = DATA_DIR / "generic_terms.txt"
RELATION_MODEL = MODEL_PATH

_TOKENIZER = {"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}}


def _initialize_settings(gazetteer: str | Path, generic_terms: str | Path, recogniser: str | Path, recogniser_meta: dict,
                         learned_models: Mapping[str, str | Path | None]) -> dict:
    """The config's ``[initialize]`` section: where ``nlp.initialize()`` reads each component's data
    (``learned_models``: the resolver's learned models other than the recogniser's own)."""
    files = {"entries": str(gazetteer), "generic_terms": str(generic_terms),
             "named_phrases": recogniser_meta.get("named_generic_phrases", []),
             "unnamed_phrases": recogniser_meta.get("unnamed_phrases", [])}
    own = {setting: str(path) if (path := Path(recogniser) / file).is_file() else None  # trained with it, if they were
           for setting, file in (("type_model", TYPE_MODEL_FILE), ("name_filter", NAME_FILTER_FILE))}
    chosen = {**own, **{setting: None if path is None else str(path) for setting, path in learned_models.items()}}
    return {"initialize": {"components": {"paperkg_gazetteer": files,
                                          "paperkg_entities": chosen,
                                          "paperkg_relations": {"model": str(RELATION_MODEL)}}}}


def blank_pipeline(config: dict | None = None) -> Language:
    """An empty pipeline with paperkg's tokenizer (what training and the full pipeline start from)."""
    return spacy.blank("en", config={**_TOKENIZER, **(config or {})})


def make_pipeline(
    *,
    ner_model: str | Path = ENTITY_MODEL,
    gazetteer: str | Path = GAZETTEER,
    generic_terms: str | Path = GENERIC_TERMS,
    relation_model: bool = True,
    learned_models: Mapping[str, str | Path | None] | None = None,
) -> Language:
    """A new pipeline: sentences, acronyms, trained recogniser, gazetteer, resolution, relations
    (``relation_model=False``: the relation rules alone, as when training the model). The resolver's
    typer and name filter are those beside the recogniser unless ``learned_models`` names others
    (``{"type_model": path, "name_filter": None}``: that typer and no filter), as when fitting them."""
    for path in (ner_model, gazetteer, generic_terms):
        if not Path(path).exists():
            raise PipelineError(f"{path}: pipeline data missing (reinstall paperkg, or rebuild it with scripts/)")
    source = spacy.load(ner_model)
    # What the recogniser's annotations say of the word lists (paperkg.extractors.training): the
    # generic phrases they name are not ruled out, the names they never give are, and the names
    # they type otherwise take their type (paperkg_entities, below), and its typer types every name.
    nlp = blank_pipeline(_initialize_settings(gazetteer, generic_terms, ner_model, source.meta, learned_models or {}))
    nlp.add_pipe("paperkg_sentences")
    nlp.add_pipe("paperkg_abbreviations")
    # The recogniser reads its static vectors (if it has any) from the pipeline's vocabulary.
    nlp.vocab.vectors = source.vocab.vectors
    ner = nlp.add_pipe("ner", source=source)
    use_numpy_blas(nlp, "ner")
    nlp.add_pipe("paperkg_gazetteer")
    # A recogniser of the guideline's types has learned which names count; SciREX's has not.
    labels = ner.entity_labels if isinstance(ner, EntityTagger) else ner.labels  # type: ignore[attr-defined]  # add_pipe's hint: any callable
    learned = set(labels) <= set(ENTITY_TYPES)
    nlp.add_pipe("paperkg_entities", config={"ner_source": "learned" if learned else "ner",
                                             "annotated_types": source.meta.get("annotated_types", {})})
    nlp.add_pipe("paperkg_relations", config={"use_model": relation_model})
    with nlp.select_pipes(disable=["ner"]):  # trained already: initializing would reset its weights
        nlp.initialize()
    return nlp


@lru_cache(maxsize=1)
def load_pipeline() -> Language:
    """The shipped pipeline, built once per process."""
    return make_pipeline()

"""Papers in, :class:`~paperkg.extractors.records.Extraction` records out.

>>> from paperkg.extractors.records import Paper
>>> paper = Paper(id="title:x", title="Step-Tuner: Stepwise Tuning of Language Models",
...               abstract="We propose Step-Tuner and evaluate it on GSM8K.")
>>> extraction = next(extract_papers([paper]))
>>> ("PAPER", "EVALUATES_ON", "GSM8K") in [(r.head, r.type, r.tail) for r in extraction.relations]
True
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Callable, Iterable, Iterator, Mapping

from spacy.language import Language
from spacy.tokens import Doc

from .entities import SOURCE_PRIORITY
from .normalize import model_family
from .pipeline import load_pipeline
from .readers.cleaning import collapse_whitespace
from .records import PAPER, Entity, Extraction, Mention, Paper, Relation, Result, title_id
from .result_model import find_results
from .results import result_tasks

__all__ = ["doc_to_extraction", "extract_papers", "extract_text"]

#: How much a recogniser's word counts for an entity's confidence.
SOURCE_CONFIDENCE = {"gazetteer": 0.95, "qualified": 0.85, "title": 0.9, "abbreviation": 0.85, "learned": 0.8, "ner": 0.7, "phrase": 0.65, "shape": 0.6, "naming": 0.6}


def doc_to_extraction(doc: Doc, paper: Paper,
                      read_results: Callable[[Doc, Mapping[str, str]], list[Result]] = find_results) -> Extraction:
    """Group a processed doc's entities (acronym and expansion together), name its relations and
    read its results and the task each is on (by default with the shipped result model; ``read_results`` takes the doc and
    its entity names by key, as :func:`paperkg.extractors.results.find_results`, the rules, does)."""
    groups: dict[str, str] = doc._.entity_groups
    members = defaultdict(list)
    for ent in doc.ents:
        members[groups.get(ent.kb_id_, ent.kb_id_)].append(ent)
    entities: dict[str, Entity] = {}
    for key, spans in members.items():
        votes: Counter[str] = Counter()
        for span in spans:
            votes[span.label_] += SOURCE_PRIORITY[span.id_]
        surface = list(dict.fromkeys(s.text for s in spans))
        keyed = [s.text for s in spans if s.kb_id_ == key]
        name = keyed[0] if keyed else max(surface, key=len)
        entity_type = max(sorted(votes), key=votes.__getitem__)
        entities[key] = Entity(
            id=key,
            name=name,
            type=entity_type,
            aliases=[s for s in surface if s != name and s.lower() != name.lower()],
            mentions=[Mention(s.text, s.start_char, s.end_char, s.id_) for s in spans],
            confidence=max(SOURCE_CONFIDENCE[s.id_] for s in spans),
            family=model_family(name) if entity_type == "Model" else None,
        )
    relations = []
    text = doc.text  # built from the tokens on each access: once per doc
    for head, rel_type, tail, start, end, rule, confidence, direction in doc._.relations:
        head_name = PAPER if head == PAPER else entities[head].name
        relations.append(Relation(head_name, rel_type, entities[tail].name, text[start:end].strip(),
                                  start, end, rule, round(confidence, 3), direction))
    results = read_results(doc, {key: entity.name for key, entity in entities.items()})
    found = list(entities.values())
    for result, task in zip(results, result_tasks(results, found, text, len(paper.title))):
        result.task = task
    return Extraction(paper=paper, entities=found, relations=relations, results=results)


def extract_papers(
    papers: Iterable[Paper],
    nlp: Language | None = None,
    *,
    batch_size: int = 64,
    n_process: int = 1,
) -> Iterator[Extraction]:
    """Stream extractions, one per paper, in input order (``nlp.pipe`` underneath)."""
    nlp = nlp or load_pipeline()
    docs = nlp.pipe(((paper.text, paper) for paper in papers), as_tuples=True,
                    batch_size=batch_size, n_process=n_process)
    for doc, paper in docs:
        yield doc_to_extraction(doc, paper)


def extract_text(title: str, abstract: str, nlp: Language | None = None) -> Extraction:
    """Extraction of one title and abstract (the paper gets a title id).

    Whitespace is collapsed as the readers do (tabs, line breaks and other control
    whitespace would otherwise stick to the names next to them).
    """
    title, abstract = collapse_whitespace(title), collapse_whitespace(abstract)
    return next(extract_papers([Paper(id=title_id(title), title=title, abstract=abstract)], nlp))

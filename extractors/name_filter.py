"""The learned name filter: whether a resolved entity is one the guideline would name at all.

The resolver keeps every span its rules find specific enough; in abstracts its recogniser never
saw, one mention in six is of a name the annotators leave out ("data augmentation", "gradient
descent", "Q-function" in most abstracts), and a name typed Method that nobody annotated costs as
much as a missed one. A logistic regression over the typer's features of each mention
(:func:`paperkg.extractors.type_model.type_features`), its final type and recogniser, and how
often its entity is said gives the probability that the entity is named; an entity whose
mentions all fall below :data:`THRESHOLD` is dropped. Models, datasets and benchmarks are always
kept (:data:`KEPT_TYPES`): the filter judges the phrases for methods, tasks and metrics, where
named and generic are hard to tell apart. Judging datasets too cost "papers using dataset X"
recall, and judging models cost coined names said once, as a baseline in "fails to beat
Blick-13B" (cross-validated typed entity F1: +0.022 judging models too, +0.021 keeping them).

It is fitted after the typer, on the entities of the pipeline with that typer over annotated
abstracts each read by a recogniser that never saw it (:func:`paperkg.extractors.training.cross_fit_typing`;
an entity is named when its annotators name it; one they mark optional teaches nothing), and ships
in the recogniser's directory (:data:`NAME_FILTER_FILE`). Most of the trained recogniser's names reach it
without the resolver's specificity rules (:func:`paperkg.extractors.entities.rules_vetting`): it
judges the descriptions annotators name and leave out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
from spacy.tokens import Doc, Span

from .fitting import design, fit, vocabulary_of
from .relation_model import LogisticModel
from .type_model import type_features

__all__ = ["NAME_FILTER_FILE", "THRESHOLD", "KEPT_TYPES", "NameFilter", "filter_features", "train_name_filter"]

#: The filter's weights, in the directory of the recogniser it was trained with.
NAME_FILTER_FILE = "entity_filter.json"
#: An entity is dropped when every mention's probability of being named is below this (chosen by
#: five-fold cross-validation over the training abstracts among 0.2-0.7, typed entity F1).
THRESHOLD = 0.5
#: L2 penalty of the fit (chosen by the same cross-validation among 1e-3, 1e-4 and 1e-5).
L2 = 1e-4
#: Types never dropped (see the module docstring).
KEPT_TYPES = frozenset({"Model", "Dataset", "Benchmark"})


def filter_features(span: Span, known: Sequence[Span], said: int) -> set[str]:
    """The typer's features of ``span`` (typed, ``span.id_`` its recogniser), its type by recogniser,
    and ``said``: how many mentions its entity has in the doc.

    >>> import spacy
    >>> doc = spacy.blank("en")("We train BERT on SQuAD .")
    >>> features = filter_features(Span(doc, 2, 3, label="Model", span_id="gazetteer"), [], 1)
    >>> sorted(f for f in features if f.startswith(("said", "type")))
    ['said=1', 'type_source=Model_gazetteer']
    """
    return type_features(span, known) | {f"type_source={span.label_}_{span.id_}", f"said={min(said, 4)}"}


def _doc_features(doc: Doc, spans: Sequence[Span], groups: Mapping[str, str]) -> list[set[str]]:
    known = list(doc.spans.get("gazetteer", []))
    keys = [groups.get(span.kb_id_, span.kb_id_) for span in spans]
    said: dict[str, int] = defaultdict(int)
    for key in keys:
        said[key] += 1
    return [filter_features(span, known, said[key]) for span, key in zip(spans, keys)]


class NameFilter(LogisticModel):
    """One logistic regression: the entity is named (see the module docstring)."""

    LABELS = ("named",)
    PATH = Path(__file__).parent / "data" / "entities" / NAME_FILTER_FILE
    TRAINER = "scripts/train_entities.py"

    def keep(self, doc: Doc, spans: list[Span], groups: Mapping[str, str]) -> list[Span]:
        """The ``spans`` of ``doc`` whose entity (``groups``: span key -> group key) is named, or of
        a type always kept (:data:`KEPT_TYPES`)."""
        if not spans:
            return spans
        keys = [groups.get(span.kb_id_, span.kb_id_) for span in spans]
        best: dict[str, float] = defaultdict(float)
        for key, probability in zip(keys, self.probabilities(_doc_features(doc, spans, groups))[:, 0]):
            best[key] = max(best[key], float(probability))
        return [span for span, key in zip(spans, keys) if span.label_ in KEPT_TYPES or best[key] >= self.thresholds[0]]


def train_name_filter(docs: Iterable[Doc], labels: Iterable[Sequence[float | None]]) -> NameFilter:
    """A filter fitted on the entities of processed ``docs`` (``doc._.entity_groups`` set): ``labels``
    gives, for each doc, one label per entity span, 1.0 named, 0.0 not, None (an optional name) untaught."""
    feature_sets, targets = [], []
    for doc, doc_labels in zip(docs, labels):
        spans = list(doc.ents)
        for features, label in zip(_doc_features(doc, spans, doc._.entity_groups), doc_labels, strict=True):
            if label is not None:
                feature_sets.append(features)
                targets.append(label)
    vocabulary = vocabulary_of(feature_sets)
    weights, bias = fit(design(feature_sets, vocabulary, np.array(targets).reshape(-1, 1), np.ones(len(targets))),
                        len(vocabulary), L2)
    return NameFilter(vocabulary, weights, bias, np.array([[1.0, 0.0]]), np.array([THRESHOLD]))

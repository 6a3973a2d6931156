"""The learned entity typer: which of the guideline's six types each resolved entity is.

The resolver's rules type a name from its shape, a class noun after it, the words of its sentence
and the gazetteer; annotators disagree with them on about one name in five. A logistic regression
per type over sparse binary features of the entity (:func:`type_features`: the rules' type and
which recogniser found it, the types of known names over it, its words, shape and the words
around it) gives every entity its most probable type, the rules' type being one of its features.

It is fitted on the pipeline's entities that the annotations name, over annotated abstracts each
read by a recogniser that never saw it (:func:`paperkg.extractors.training.cross_fit_typing`), and
it ships in the recogniser's directory (:data:`TYPE_MODEL_FILE`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import numpy as np
from spacy.tokens import Doc, Span

from .doctext import DocText
from .fitting import design, fit, vocabulary_of
from .normalize import canonical_key
from .records import ENTITY_TYPES
from .relation_model import LogisticModel

__all__ = ["TYPE_MODEL_FILE", "TypeModel", "type_features", "train_type_model"]

#: The typer's weights, in the directory of the recogniser it was trained with.
TYPE_MODEL_FILE = "entity_types.json"
#: Words on each side of an entity that are features (as a bag per side).
CONTEXT = 4
#: L2 penalty of the fit, chosen by cross-validation (folds 0-2 of 5, typed entity F1 paired against 1e-4:
#: 1e-3 -0.012, 3e-5 +0.004, 1e-5 +0.005, 3e-6 +0.004); features seen once are dropped
#: (:func:`paperkg.extractors.fitting.vocabulary_of`).
L2 = 1e-5

_UPPER, _LOWER, _DIGITS = re.compile(r"[A-Z]+"), re.compile(r"[a-z]+"), re.compile(r"[0-9]+")


def _shape(text: str) -> str:
    """A name's shape, runs collapsed: "LLaMA-2" -> "XxX-d"."""
    return _DIGITS.sub("d", _LOWER.sub("x", _UPPER.sub("X", text)))[:8]


def type_features(span: Span, known: Sequence[Span] = ()) -> set[str]:
    """The features of an entity ``span`` (typed by the rules, ``span.id_`` its recogniser) among
    the doc's ``known`` gazetteer matches.

    >>> import spacy
    >>> doc = spacy.blank("en")("We train BERT on SQuAD .")
    >>> features = type_features(Span(doc, 2, 3, label="Model", span_id="gazetteer"))
    >>> sorted(f for f in features if f.startswith(("rule", "source", "shape", "next", "before")))
    ['before=train', 'before=we', 'next2=on squad', 'next=on', 'rule=Model', 'shape=X', 'source=gazetteer', 'source_rule=gazetteer_Model']
    """
    doc = span.doc
    words = [t.lower_ for t in span]
    features = {f"rule={span.label_}", f"source={span.id_}", f"source_rule={span.id_}_{span.label_}",
                f"name={canonical_key(span.text)}", f"first={words[0]}", f"last={words[-1]}",
                f"prefix={words[0][:3]}", f"suffix={words[-1][-3:]}", f"shape={_shape(span.text)}",
                f"length={min(len(span), 4)}"}
    features |= {f"known={k.label_}" for k in known if k.start < span.end and span.start < k.end}
    if any(c.isdigit() for c in span.text):
        features.add("digit")
    if span.text.islower():
        features.add("lowercase")
    if span.text.isupper():
        features.add("uppercase")
    before, after = doc[max(0, span.start - CONTEXT) : span.start], doc[span.end : span.end + CONTEXT]
    features |= {f"before={t.lower_}" for t in before} | {f"after={t.lower_}" for t in after}
    if len(before):
        features.add(f"previous={before[-1].lower_}")
    if len(before) > 1:
        features.add(f"previous2={before[-2].lower_} {before[-1].lower_}")
    if len(after):
        features.add(f"next={after[0].lower_}")
    if len(after) > 1:
        features.add(f"next2={after[0].lower_} {after[1].lower_}")
    if doc.has_annotation("SENT_START") and span.sent.start == 0 and DocText.of(doc).body_sentence:
        features.add("title")
    return features


def _doc_features(doc: Doc, spans: Sequence[Span]) -> list[set[str]]:
    known = list(doc.spans.get("gazetteer", []))
    return [type_features(span, known) for span in spans]


class TypeModel(LogisticModel):
    """One logistic regression per entity type (see the module docstring)."""

    LABELS = ENTITY_TYPES
    PATH = Path(__file__).parent / "data" / "entities" / TYPE_MODEL_FILE
    TRAINER = "scripts/train_entities.py"

    def retype(self, doc: Doc, spans: list[Span], groups: Mapping[str, str] | None = None) -> list[Span]:
        """``spans`` of ``doc``, each with the type the model finds most probable for its entity:
        the mentions of one group (``groups``: span key -> group key; else one name) share the type
        their summed scores choose."""
        if not spans:
            return spans
        groups = groups or {}
        keys = [groups.get(span.kb_id_, span.kb_id_) for span in spans]
        summed: dict[str, np.ndarray] = {}
        for key, row in zip(keys, self.scores(_doc_features(doc, spans))):
            summed[key] = summed[key] + row if key in summed else row
        labels = [self.LABELS[int(summed[key].argmax())] for key in keys]
        return [span if span.label_ == label else
                Span(doc, span.start, span.end, label=label, kb_id=span.kb_id_, span_id=span.id_)
                for span, label in zip(spans, labels)]


def train_type_model(docs: Iterable[Doc], gold_types: Iterable[dict[str, str]]) -> TypeModel:
    """A typer fitted on the entities of processed ``docs`` that their records' annotations name
    (``gold_types``: canonical key -> annotated type, one mapping per doc)."""
    feature_sets, labels = [], []
    for doc, gold in zip(docs, gold_types):
        named = [ent for ent in doc.ents if canonical_key(ent.text) in gold]
        feature_sets += _doc_features(doc, named)
        labels += [ENTITY_TYPES.index(gold[canonical_key(ent.text)]) for ent in named]
    vocabulary = vocabulary_of(feature_sets)
    targets = np.eye(len(ENTITY_TYPES))[labels] if labels else np.zeros((0, len(ENTITY_TYPES)))
    weights, bias = fit(design(feature_sets, vocabulary, targets, np.ones(len(labels))), len(vocabulary), L2)
    identity = np.tile([1.0, 0.0], (len(ENTITY_TYPES), 1))  # argmax of the raw scores decides: no calibration
    return TypeModel(vocabulary, weights, bias, identity, np.zeros(len(ENTITY_TYPES)))

"""The learned relation model: for each entity of an abstract, the paper's relation to it.

For every entity (an entity group: acronym and expansion together) the model gives four
calibrated probabilities, one per relation type of :data:`LABELS`: the paper PROPOSES it,
USES it, EVALUATES_ON it, and it is a baseline the paper's proposal COMPARES_WITH. Each is a
logistic regression over sparse binary features (:func:`candidates`): the entity's type and
recognisers, where it stands (title, name before the title's colon, first or last sentence, how
often it is said, an acronym definition), the cue word classes of :mod:`paperkg.extractors.cues` near it
and in its sentence, the words around it, and which rules of :mod:`paperkg.extractors.relations` fired
for it. A Platt scaling fitted on held-out folds makes the score a probability, and a per-type
threshold chosen on those folds decides. ``scripts/train_relations.py`` trains it; the weights
ship as JSON (:data:`MODEL_PATH`).

A COMPARES_WITH baseline takes its head from the rule that compared it, else the entity the
model finds most surely proposed, else ``PAPER``; its direction comes from the rule's comparison
cue, else ``compared``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Self

import numpy as np

from . import fitting
from .cues import WORD_CLASSES
from .errors import PipelineError
from .records import PAPER

__all__ = ["LABELS", "MODEL_PATH", "Candidate", "candidates", "word_classes", "LogisticModel", "RelationModel", "relations_from"]

LABELS = ("PROPOSES", "USES", "EVALUATES_ON", "COMPARES_WITH")
MODEL_PATH = Path(__file__).parent / "data" / "relation_model.json"

#: Of the datasets and benchmarks annotators say a paper proposes, the share they say it also uses or
#: evaluates on (137 of 185 over the 4,478 training abstracts). The model, one regression per type,
#: rarely gives a proposed dataset both; one it gives neither is evaluated on, with this share of
#: its PROPOSES probability as the confidence (cross-validated: "papers using" recall +0.014).
PROPOSED_DATA_EVALUATED = 0.74
_COARSE_TYPE = {"Dataset": "data", "Benchmark": "data", "Model": "model", "Method": "method", "Task": "task",
                "Metric": "metric"}
_LEFT, _RIGHT = 4, 3  # words either side of a mention that its window features read
_CONTEXT = 3  # words either side that become context-word features


@dataclass
class Candidate:
    """One entity of a doc as the model sees it: ``mentions`` are ``(start, end, sentence)`` word
    offsets; ``features`` the names of its active features."""

    key: str
    label: str
    mentions: list[tuple[int, int, int]] = field(default_factory=list)
    features: set[str] = field(default_factory=set)


@lru_cache(maxsize=65536)
def _classes_of(word: str) -> frozenset[str]:
    """The lexicon's word classes a lowercase word belongs to (words repeat: cached)."""
    return frozenset(name for name, pattern in WORD_CLASSES if pattern.match(word))


def word_classes(words: list[str]) -> set[str]:
    return set().union(*map(_classes_of, words))


def _mention_features(text, start: int, end: int, sentence: int, sentence_classes: list[set[str]]) -> set[str]:
    sent_start, sent_end = text.sents[sentence]
    left = text.lower[max(sent_start, start - _LEFT) : start]
    right = text.lower[end : min(sent_end, end + _RIGHT)]
    found = {f"L:{c}" for c in word_classes(left)} | {f"R:{c}" for c in word_classes(right)}
    found |= {f"S:{c}" for c in sentence_classes[sentence]}
    found.add(f"w-1={left[-1] if left else '<s>'}")
    found.add(f"w+1={right[0] if right else '</s>'}")
    around = (*range(max(sent_start, start - _CONTEXT), start), *range(end, min(sent_end, end + _CONTEXT)))
    found |= {f"ctx:{text.lower[i]}" for i in around if text.lower[i].isalpha()}
    return found


def _position_features(text, mentions: list[tuple[int, int, int]], last_sentence: int) -> set[str]:
    sentences = sorted({s for _, _, s in mentions})
    first = text.body_sentence
    body = [s for s in sentences if s >= first]
    found = {f"mentions={min(len(mentions), 4)}", f"sentences={min(len(sentences), 3)}"}
    if sentences[0] < first:
        found.add("in-title")
        colon = next((i for i in range(text.title_end) if text.words[i] == ":"), None)
        if colon is not None and any(s == 0 and e <= colon for s, e, _ in mentions):
            found.add("title-before-colon")
        if any(s == 0 and st == 0 for st, _, s in mentions):
            found.add("title-start")
    if body:
        found.add(f"first-sentence={min(body[0] + 1 - first, 4)}")
        if last_sentence in body:
            found.add("last-sentence")
    else:
        found.add("title-only")
    return found


def candidates(text, rule_relations: list[tuple], abbreviations: list[tuple[int, int, int, int]]) -> list[Candidate]:
    """The doc's entities with their features. ``text`` is the relation rules' view of the doc
    (words, sentences, entities per sentence as ``(start, end, key, label, source)``),
    ``rule_relations`` their output, ``abbreviations`` ``doc._.abbreviations``."""
    by_key: dict[str, Candidate] = {}
    labels: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sentence_classes = [word_classes(text.lower[s:e]) for s, e in text.sents]
    defined = {i for short_start, short_end, long_start, long_end in abbreviations
               for i in (*range(short_start, short_end), *range(long_start, long_end))}
    for sentence, ents in enumerate(text.ents):
        for start, end, key, label, source in ents:
            candidate = by_key.setdefault(key, Candidate(key, label))
            candidate.mentions.append((start, end, sentence))
            labels[key][label] += 1
            candidate.features.add(f"source={source}")
            candidate.features |= _mention_features(text, start, end, sentence, sentence_classes)
            if start in defined:
                candidate.features.add("acronym-defined")
    rule_features = _rule_features(rule_relations)
    for key, candidate in by_key.items():
        candidate.label = max(sorted(labels[key]), key=labels[key].__getitem__)
        candidate.features |= _position_features(text, candidate.mentions, len(text.sents) - 1)
        candidate.features |= rule_features.get(key, set())
        coarse = _COARSE_TYPE.get(candidate.label, "other")
        candidate.features |= {f"{coarse}|{f}" for f in candidate.features if not f.startswith("ctx:")}
        candidate.features.add(f"type={candidate.label}")
    return list(by_key.values())


def _rule_features(rule_relations: list[tuple]) -> dict[str, set[str]]:
    """What the rules said of each entity: ``rule:<name>`` as tail, ``head:<type>`` as head."""
    found: dict[str, set[str]] = defaultdict(set)
    proposed = {r[2] for r in rule_relations if r[1] == "PROPOSES"}
    for head, rel_type, tail, *_, rule, _confidence, _direction in rule_relations:
        found[tail] |= {rule, f"rule-type:{rel_type}"}
        if head != PAPER:
            found[head].add(f"head:{rel_type}")
    for key in list(found):
        if key not in proposed and any(len(p) > 2 and key.startswith(p) for p in proposed):
            found[key].add("variant-of-proposal")
    return found


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


@dataclass
class LogisticModel:
    """Weights of one logistic regression per label of :attr:`LABELS`, their Platt scaling and
    decision thresholds (the relation model's and the result model's machinery).

    ``features`` maps a feature name to its row of ``weights`` (features x labels); ``uses_rules``
    says whether the rules' outputs are among the features (the combination) or not (the model alone).
    """

    LABELS: ClassVar[tuple[str, ...]] = ()
    PATH: ClassVar[Path]
    TRAINER: ClassVar[str]

    features: dict[str, int]
    weights: np.ndarray
    bias: np.ndarray
    platt: np.ndarray  # labels x 2: probability = sigmoid(a * score + b)
    thresholds: np.ndarray
    uses_rules: bool = True

    def scores(self, feature_sets: list[set[str]]) -> np.ndarray:
        """Raw scores (candidates x labels), as :func:`~paperkg.extractors.fitting.scores` gives them in training."""
        return fitting.scores(fitting.design(feature_sets, self.features), self.weights, self.bias)

    def probabilities(self, feature_sets: list[set[str]]) -> np.ndarray:
        """Calibrated probabilities (candidates x labels)."""
        return _sigmoid(self.scores(feature_sets) * self.platt[:, 0] + self.platt[:, 1])

    def to_json(self) -> dict:
        names = sorted(self.features, key=self.features.__getitem__)
        return {"labels": list(self.LABELS), "uses_rules": self.uses_rules, "bias": self.bias.round(5).tolist(),
                "platt": self.platt.round(5).tolist(), "thresholds": self.thresholds.round(4).tolist(),
                "weights": {name: self.weights[i].round(5).tolist() for i, name in enumerate(names)}}

    @classmethod
    def from_json(cls, data: dict) -> Self:
        if tuple(data.get("labels", ())) != cls.LABELS:
            raise ValueError(f"labels {data.get('labels')}, expected {list(cls.LABELS)}")
        names = list(data["weights"])
        return cls({name: i for i, name in enumerate(names)},
                   np.array([data["weights"][n] for n in names]).reshape(len(names), len(cls.LABELS)),
                   np.array(data["bias"]), np.array(data["platt"]), np.array(data["thresholds"]),
                   data["uses_rules"])

    def write(self, path: str | Path) -> None:
        """Write the weights to ``path`` as :meth:`load` reads them (compact JSON: they ship)."""
        Path(path).write_text(json.dumps(self.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path | None = None) -> Self:
        """The weights at ``path``, else at the class's shipped :attr:`PATH`."""
        path = path or cls.PATH
        try:
            return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise PipelineError(f"{path}: {cls.__name__} unreadable ({err}); rebuild it with {cls.TRAINER}") from None


class RelationModel(LogisticModel):
    """The four relation labels' logistic regressions (see the module docstring)."""

    LABELS = LABELS
    PATH = MODEL_PATH
    TRAINER = "scripts/train_relations.py"

    def relations(self, text, rule_relations: list[tuple], abbreviations: list[tuple[int, int, int, int]]) -> list[tuple]:
        """The doc's relations as the model decides them (see :func:`relations_from`)."""
        found = candidates(text, rule_relations, abbreviations)
        if not found:
            return [r for r in rule_relations if r[1] not in LABELS]
        return relations_from(text, found, self.probabilities([c.features for c in found]), self.thresholds, rule_relations)


def _evidence(text, candidate: Candidate) -> tuple[int, int]:
    """Character bounds of the first sentence past the title that names the entity, else the title."""
    sentence = next((s for _, _, s in candidate.mentions if s > 0), 0)
    return text.char_bounds(*text.sents[sentence])


def _proposed_data_unused(candidate: Candidate, row: np.ndarray, thresholds: np.ndarray) -> bool:
    """A dataset or benchmark the model says the paper proposes, but neither uses nor evaluates on."""
    decided = {label for label, probability, threshold in zip(LABELS, row, thresholds) if probability >= threshold}
    return _COARSE_TYPE.get(candidate.label) == "data" and "PROPOSES" in decided and not decided & {"USES", "EVALUATES_ON"}


def relations_from(text, found: list[Candidate], probabilities: np.ndarray, thresholds: np.ndarray,
                   rule_relations: list[tuple]) -> list[tuple]:
    """Relation tuples (as :func:`paperkg.extractors.relations.find_relations`) of the model's decisions
    (PROPOSES, USES and EVALUATES_ON from the paper, COMPARES_WITH from the proposal; a proposed
    dataset neither used nor evaluated on is evaluated on: :data:`PROPOSED_DATA_EVALUATED`), and the
    rules' relations of the types the model does not predict (BASED_ON, TRAINED_ON)."""
    said = {(r[1], r[2]): r for r in rule_relations}
    proposes = LABELS.index("PROPOSES")
    chosen = [(p[proposes], c.key) for c, p in zip(found, probabilities) if p[proposes] >= thresholds[proposes]]
    main = max(chosen)[1] if chosen else PAPER
    relations = []
    for candidate, row in zip(found, probabilities):
        for label, probability, threshold in zip(LABELS, row, thresholds):
            if probability < threshold:
                continue
            rule = said.get((label, candidate.key))
            start, end = (rule[3], rule[4]) if rule else _evidence(text, candidate)
            head, direction = PAPER, None
            if label == "COMPARES_WITH":
                head, direction = (rule[0], rule[7]) if rule else (main, "compared")
                if head == candidate.key:
                    continue
            relations.append((head, label, candidate.key, start, end, "model", round(float(probability), 3), direction))
        if _proposed_data_unused(candidate, row, thresholds):
            start, end = _evidence(text, candidate)
            confidence = round(float(row[proposes]) * PROPOSED_DATA_EVALUATED, 3)
            relations.append((PAPER, "EVALUATES_ON", candidate.key, start, end, "model", confidence, None))
    return relations + [r for r in rule_relations if r[1] not in LABELS]

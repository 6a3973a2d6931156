"""Scoring extractions against gold annotations in the guideline's format.

Gold is JSON Lines, one paper a line: ``{"id", "title", "entities": [{"name",
"type", "aliases"}], "optional": [...], "relations": [{"head", "type",
"tail"}]}``. Papers are matched by normalised title. An entity matches when
its name or an alias has the same canonical key as the gold name or an alias;
its type must agree, Dataset and Benchmark counting as one. Predictions that
match an optional gold entity count neither way, and so do relations to them
that the gold does not state.

Three scores: typed entities (per type, and micro over Model, Method, Dataset,
Benchmark), relations (per type, and micro over PROPOSES, USES, EVALUATES_ON,
COMPARES_WITH), and the question "which papers use dataset X" (USES or
EVALUATES_ON to a Dataset or Benchmark), macro over the gold's datasets.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, NamedTuple

from .errors import BadRecord, InputError
from .normalize import canonical_key
from .records import ENTITY_TYPES, PAPER, Extraction, normalise_title

__all__ = ["Score", "EvalReport", "PaperScore", "Interval", "read_gold", "evaluate", "paper_scores", "aggregate",
           "headline", "bootstrap", "compatible_types", "HEADLINE_MEASURES", "SCORED_ENTITY_TYPES", "SCORED_RELATION_TYPES"]

SCORED_ENTITY_TYPES = ("Model", "Method", "Dataset", "Benchmark")
SCORED_RELATION_TYPES = ("PROPOSES", "USES", "EVALUATES_ON", "COMPARES_WITH")
_DATA_TYPES = {"Dataset", "Benchmark"}


@dataclass
class Score:
    """True positives, false positives, false negatives, and the measures from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "Score") -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn


@dataclass
class EvalReport:
    """Everything ``paperkg eval`` prints."""

    papers_gold: int = 0
    papers_matched: int = 0
    entities: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    relations: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    dataset_precision: float = 0.0
    dataset_recall: float = 0.0
    datasets: int = 0
    false_positives: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    false_negatives: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    relation_errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    #: Scored relations by the extractor that stated them (``rule:<name>``, ``model``): tp and fp.
    by_extractor: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))

    def entity_score(self, types: Iterable[str] = SCORED_ENTITY_TYPES) -> Score:
        total = Score()
        for t in types:
            total.add(self.entities[t])
        return total

    def relation_score(self, types: Iterable[str] = SCORED_RELATION_TYPES) -> Score:
        total = Score()
        for t in types:
            total.add(self.relations[t])
        return total

    def rule_scores(self) -> list[dict]:
        """Each extractor's precision over the scored relations it stated, in :data:`RULES` order."""
        from .relations import RULES  # evaluation needs the rules' names only here

        order = [f"rule:{r.name}" for r in RULES] + ["model"]
        names = sorted(self.by_extractor, key=lambda n: (order.index(n) if n in order else len(order), n))
        return [{"rule": n, "precision": round(self.by_extractor[n].precision, 4), "tp": self.by_extractor[n].tp,
                 "fp": self.by_extractor[n].fp} for n in names]

    def to_dict(self) -> dict:
        def score(s: Score) -> dict:
            return {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4),
                    "tp": s.tp, "fp": s.fp, "fn": s.fn}

        return {
            "papers": {"gold": self.papers_gold, "matched": self.papers_matched},
            "entities": {"micro": score(self.entity_score()), **{t: score(self.entities[t]) for t in ENTITY_TYPES}},
            "relations": {"micro": score(self.relation_score()),
                          **{t: score(self.relations[t]) for t in SCORED_RELATION_TYPES}},
            "papers_using_dataset": {"precision": round(self.dataset_precision, 4),
                                     "recall": round(self.dataset_recall, 4), "datasets": self.datasets},
        }


def read_gold(path: str | Path, *, with_text: bool = False) -> list[dict]:
    """Gold records from a JSON Lines file; a bad line is an error naming it. ``with_text``:
    each record must also hold its abstract (to train on, as cross-validation does)."""
    records = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                record["title"], record["entities"]  # noqa: B018  (required fields)
            except (ValueError, KeyError, TypeError) as err:
                raise BadRecord(str(path), f"not a gold record ({err})", number) from None
            if with_text and not (isinstance(record.get("abstract"), str) and record["abstract"].strip()):
                raise BadRecord(str(path), "gold record has no abstract to train on (--folds needs the text)", number)
            records.append(record)
    if not records:
        raise InputError(str(path), "no gold records")
    return records


def _keys(item: dict) -> set[str]:
    return {canonical_key(n) for n in [item["name"], *item.get("aliases", [])] if n}


def compatible_types(a: str, b: str) -> bool:
    """Whether an entity typed ``a`` matches one typed ``b``: Dataset and Benchmark are one kind here."""
    return a == b or (a in _DATA_TYPES and b in _DATA_TYPES)


def _find(keys: set[str], items: list[tuple[set[str], str]]) -> int | None:
    return next((i for i, (k, _) in enumerate(items) if keys & k), None)


@dataclass
class PaperScore:
    """One gold paper's share of the scores: what a bootstrap resamples."""

    entities: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    relations: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))
    matched: bool = False
    gold_datasets: set[str] = field(default_factory=set)       # datasets the gold says it uses
    predicted_datasets: set[str] = field(default_factory=set)  # gold datasets the extraction says it uses
    false_positives: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    false_negatives: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    relation_errors: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_extractor: dict[str, Score] = field(default_factory=lambda: defaultdict(Score))


def evaluate(gold: list[dict], extractions: Iterable[Extraction]) -> EvalReport:
    """Score ``extractions`` against ``gold`` (see the module docstring)."""
    return aggregate(paper_scores(gold, extractions))


def paper_scores(gold: list[dict], extractions: Iterable[Extraction]) -> list[PaperScore]:
    """Each gold paper's entity and relation counts and dataset uses, in the order of ``gold``."""
    predicted = {normalise_title(e.paper.title): e for e in extractions}
    extracted = [predicted.get(normalise_title(record["title"])) for record in gold]
    scores = [_score_paper(record, extraction) for record, extraction in zip(gold, extracted)]
    dataset_keys: dict[str, set[str]] = {}  # main key of each dataset the gold uses -> all its keys
    for record in gold:
        for main, keys in _gold_datasets(record):
            dataset_keys.setdefault(main, set()).update(keys)
    # Predicted users of each gold dataset, once every gold dataset is known.
    for score, extraction in zip(scores, extracted):
        if extraction:
            names = {e.name: {canonical_key(n) for n in [e.name, *e.aliases]} for e in extraction.entities}
            for rel in extraction.relations:
                if rel.type in {"USES", "EVALUATES_ON"}:
                    tail = names.get(rel.tail, {canonical_key(rel.tail)})
                    score.predicted_datasets |= {main for main, keys in dataset_keys.items() if keys & tail}
    return scores


def _gold_datasets(record: dict) -> list[tuple[str, set[str]]]:
    """The datasets and benchmarks a gold paper uses or evaluates on: (main key, all keys)."""
    found = []
    for rel in record.get("relations", []):
        if rel["type"] in {"USES", "EVALUATES_ON"}:
            ent = next((e for e in record["entities"] if rel["tail"] in [e["name"], *e.get("aliases", [])]), None)
            if ent and ent["type"] in _DATA_TYPES:
                found.append((canonical_key(ent["name"]), _keys(ent)))
    return found


def _score_paper(record: dict, extraction: Extraction | None) -> PaperScore:
    report = PaperScore(matched=extraction is not None)
    gold_ents = [(_keys(e), e["type"]) for e in record["entities"]]
    optional = [(_keys(e), e["type"]) for e in record.get("optional", [])]
    pred_ents = [({canonical_key(n) for n in [e.name, *e.aliases]}, e.type, e.name)
                 for e in (extraction.entities if extraction else [])]

    # Entities: one-to-one, type-compatible first.
    matched_gold = set()
    for keys, ptype, name in pred_ents:
        hit = next((i for i, (k, g) in enumerate(gold_ents)
                    if i not in matched_gold and keys & k and compatible_types(ptype, g)), None)
        if hit is not None:
            matched_gold.add(hit)
            report.entities[gold_ents[hit][1]].tp += 1
        elif _find(keys, optional) is None:
            report.entities[ptype].fp += 1
            report.false_positives[ptype][name] += 1
    for i, (keys, gtype) in enumerate(gold_ents):
        if i not in matched_gold:
            report.entities[gtype].fn += 1
            name = next(e["name"] for e in record["entities"] if _keys(e) == keys)
            report.false_negatives[gtype][name] += 1

    # Relations, with endpoints resolved through both sides' aliases.
    def resolve(name: str, entities: list) -> frozenset[str]:
        if name == PAPER:
            return frozenset({PAPER})
        key = canonical_key(name)
        return frozenset(next((e[0] for e in entities if key in e[0]), {key}))

    gold_rels = [(resolve(r["head"], gold_ents), r["type"], resolve(r["tail"], gold_ents))
                 for r in record.get("relations", []) if r["type"] in SCORED_RELATION_TYPES]
    # (head, type, tail) -> the extractor that stated it first
    pred_rels: dict[tuple[frozenset[str], str, frozenset[str]], str] = {}
    for r in (extraction.relations if extraction else []):
        if r.type in SCORED_RELATION_TYPES:
            pred_rels.setdefault((resolve(r.head, pred_ents), r.type, resolve(r.tail, pred_ents)), r.extractor)
    found = set()
    for (head, rtype, tail), extractor in pred_rels.items():
        hit = next((i for i, (h, t, tl) in enumerate(gold_rels)
                    if i not in found and t == rtype and h & head and tl & tail), None)
        if hit is not None:
            found.add(hit)
            report.relations[rtype].tp += 1
            report.by_extractor[extractor].tp += 1
        elif _find(set(tail), optional) is None and _find(set(head), optional) is None:
            report.relations[rtype].fp += 1
            report.by_extractor[extractor].fp += 1
            report.relation_errors[f"FP {rtype}"][f"{_label(head)} -> {_label(tail)}"] += 1
    for i, (head, rtype, tail) in enumerate(gold_rels):
        if i not in found:
            report.relations[rtype].fn += 1
            report.relation_errors[f"FN {rtype}"][f"{_label(head)} -> {_label(tail)}"] += 1
    report.gold_datasets = {main for main, _ in _gold_datasets(record)}
    return report


def aggregate(scores: list[PaperScore]) -> EvalReport:
    """The report of a set of papers: their counts summed, the dataset question over all of them."""
    report = EvalReport(papers_gold=len(scores), papers_matched=sum(s.matched for s in scores))
    for score in scores:
        for kind in ("entities", "relations", "by_extractor"):
            for label, counts in getattr(score, kind).items():
                getattr(report, kind)[label].add(counts)
        for kind in ("false_positives", "false_negatives", "relation_errors"):
            for label, counter in getattr(score, kind).items():
                getattr(report, kind)[label].update(counter)
    report.dataset_precision, report.dataset_recall, report.datasets = dataset_question(scores)
    return report


def dataset_question(scores: list[PaperScore], weights: Iterable[int] | None = None) -> tuple[float, float, int]:
    """Precision and recall of "which papers use dataset X", macro over the gold's datasets, and
    how many there are; ``weights`` count each paper that many times (a bootstrap sample)."""
    gold: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    both: Counter[str] = Counter()
    for score, weight in zip(scores, weights if weights is not None else [1] * len(scores)):
        if weight:
            for main in score.gold_datasets:
                gold[main] += weight
                both[main] += weight * (main in score.predicted_datasets)
            for main in score.predicted_datasets:
                predicted[main] += weight
    recalls = [both[m] / gold[m] for m in gold]
    precisions = [both[m] / predicted[m] for m in gold if predicted[m]]
    return (sum(precisions) / len(precisions) if precisions else 0.0,
            sum(recalls) / len(recalls) if recalls else 0.0, len(gold))


class Interval(NamedTuple):
    """A measure and its bootstrap confidence interval."""

    value: float
    low: float
    high: float


#: The headline measures, each from summed paper scores (weighted by a bootstrap sample).
HEADLINE_MEASURES = ("entity_f1", "relation_f1", "dataset_precision", "dataset_recall")


def headline(scores: list[PaperScore], weights: list[int] | None = None) -> dict[str, float]:
    """Typed entity F1, relation F1 and the dataset question's precision and recall."""
    weights = weights if weights is not None else [1] * len(scores)
    entities, relations = Score(), Score()
    for score, weight in zip(scores, weights):
        for kind, total, types in ((score.entities, entities, SCORED_ENTITY_TYPES),
                                   (score.relations, relations, SCORED_RELATION_TYPES)):
            for t in types:
                counts = kind.get(t)
                if counts and weight:
                    total.add(Score(counts.tp * weight, counts.fp * weight, counts.fn * weight))
    precision, recall, _ = dataset_question(scores, weights)
    return {"entity_f1": entities.f1, "relation_f1": relations.f1,
            "dataset_precision": precision, "dataset_recall": recall}


def bootstrap(scores: list[PaperScore], *, samples: int = 1000, seed: int = 0,
              level: float = 0.95) -> dict[str, Interval]:
    """The headline measures with percentile bootstrap intervals: papers drawn with replacement
    (``samples`` times, a fixed seed), so an interval says how much the figure owes to which
    papers happen to be in the gold set."""
    rng = random.Random(seed)
    n = len(scores)
    drawn: dict[str, list[float]] = defaultdict(list)
    for _ in range(samples if n else 0):
        weights = [0] * n
        for i in (rng.randrange(n) for _ in range(n)):
            weights[i] += 1
        for measure, value in headline(scores, weights).items():
            drawn[measure].append(value)
    point = headline(scores)
    tail = (1 - level) / 2
    intervals = {}
    for measure in HEADLINE_MEASURES:
        values = sorted(drawn[measure]) or [point[measure]]
        low = values[int(tail * (len(values) - 1))]
        high = values[int(round((1 - tail) * (len(values) - 1)))]
        intervals[measure] = Interval(point[measure], low, high)
    return intervals


def _label(keys: frozenset[str]) -> str:
    return min(keys, key=len) if keys else "?"

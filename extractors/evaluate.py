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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .errors import BadRecord, InputError
from .normalize import canonical_key
from .records import ENTITY_TYPES, PAPER, Extraction, normalise_title

__all__ = ["Score", "EvalReport", "read_gold", "evaluate", "SCORED_ENTITY_TYPES", "SCORED_RELATION_TYPES"]

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


def read_gold(path: str | Path) -> list[dict]:
    """Gold records from a JSON Lines file; a bad line is an error naming it."""
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
            records.append(record)
    if not records:
        raise InputError(str(path), "no gold records")
    return records


def _keys(item: dict) -> set[str]:
    return {canonical_key(n) for n in [item["name"], *item.get("aliases", [])] if n}


def _compatible(a: str, b: str) -> bool:
    return a == b or (a in _DATA_TYPES and b in _DATA_TYPES)


def _find(keys: set[str], items: list[tuple[set[str], str]]) -> int | None:
    return next((i for i, (k, _) in enumerate(items) if keys & k), None)


def evaluate(gold: list[dict], extractions: Iterable[Extraction]) -> EvalReport:
    """Score ``extractions`` against ``gold`` (see the module docstring)."""
    report = EvalReport(papers_gold=len(gold))
    predicted = {normalise_title(e.paper.title): e for e in extractions}
    gold_users: dict[str, set[str]] = defaultdict(set)   # dataset key -> papers (gold)
    pred_users: dict[str, set[str]] = defaultdict(set)   # dataset key -> papers (predicted)
    dataset_keys: dict[str, set[str]] = {}

    for record in gold:
        paper = normalise_title(record["title"])
        extraction = predicted.get(paper)
        report.papers_matched += extraction is not None
        gold_ents = [(_keys(e), e["type"]) for e in record["entities"]]
        optional = [(_keys(e), e["type"]) for e in record.get("optional", [])]
        pred_ents = [({canonical_key(n) for n in [e.name, *e.aliases]}, e.type, e.name)
                     for e in (extraction.entities if extraction else [])]

        # Entities: one-to-one, type-compatible first.
        matched_gold = set()
        for keys, ptype, name in pred_ents:
            hit = next((i for i, (k, g) in enumerate(gold_ents)
                        if i not in matched_gold and keys & k and _compatible(ptype, g)), None)
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
        pred_rels = {}  # (head, type, tail) -> the extractor that stated it first
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

        # Papers using each dataset.
        for rel in record.get("relations", []):
            if rel["type"] in {"USES", "EVALUATES_ON"}:
                ent = next((e for e in record["entities"] if rel["tail"] in [e["name"], *e.get("aliases", [])]), None)
                if ent and ent["type"] in _DATA_TYPES:
                    main = canonical_key(ent["name"])
                    dataset_keys.setdefault(main, set()).update(_keys(ent))
                    gold_users[main].add(paper)
    # Predicted users of each gold dataset, once every gold dataset is known.
    for record in gold:
        paper = normalise_title(record["title"])
        extraction = predicted.get(paper)
        if not extraction:
            continue
        names = {e.name: {canonical_key(n) for n in [e.name, *e.aliases]} for e in extraction.entities}
        for rel in extraction.relations:
            if rel.type in {"USES", "EVALUATES_ON"}:
                tail = names.get(rel.tail, {canonical_key(rel.tail)})
                for main, keys in dataset_keys.items():
                    if keys & tail:
                        pred_users[main].add(paper)

    precisions, recalls = [], []
    for main, papers in gold_users.items():
        predicted_papers = pred_users.get(main, set())
        recalls.append(len(papers & predicted_papers) / len(papers))
        if predicted_papers:
            precisions.append(len(papers & predicted_papers) / len(predicted_papers))
    report.datasets = len(gold_users)
    report.dataset_recall = sum(recalls) / len(recalls) if recalls else 0.0
    report.dataset_precision = sum(precisions) / len(precisions) if precisions else 0.0
    return report


def _label(keys: frozenset[str]) -> str:
    return min(keys, key=len) if keys else "?"

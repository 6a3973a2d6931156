"""Scoring extracted results against annotated ones (``scripts/annotations/GUIDELINE-RESULTS.md``).

A predicted result matches a gold result of the same paper when subject, benchmark, metric and
value all match: subject and benchmark by canonical key through each side's entity names and
aliases, where ``PAPER`` (the paper's own approach, "our method") also stands for each entity
either side says the paper PROPOSES (annotators write ``PAPER`` for "our method achieves ..." even
when the method has a name, which the extractor may give, or the other way round), the metric by canonical key ("" only matches ""), the
value as written (thousands commas aside; a range, "8% to 14", as its two ends). Each gold result is matched once.

>>> from paperkg.extractors.records import Extraction, Paper, Result
>>> gold = [{"title": "T", "entities": [{"name": "ImageNet", "type": "Dataset", "aliases": ["IN-1K"]}],
...          "results": [{"subject": "PAPER", "benchmark": "IN-1K", "metric": "Top-1 accuracy", "value": "83.1"}]}]
>>> found = Result("PAPER", "ImageNet", "top-1 accuracy", "83.1", "%", "absolute", None, None, "", 0, 0, "r", 0.8)
>>> score = score_results(gold, [Extraction(Paper("x", "T", "..."), results=[found])]).score
>>> score.tp, score.fp, score.fn
(1, 0, 0)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

from .evaluate import Score
from .normalize import canonical_key
from .records import PAPER, Extraction, Result, canonical_value, normalise_title

__all__ = ["ResultReport", "has_results", "score_results", "gold_matches", "ReadingMatch", "reading_matches"]


@dataclass
class ResultReport:
    """Result precision and recall, with the unmatched results of each side."""

    score: Score = field(default_factory=Score)
    papers: int = 0
    false_positives: Counter = field(default_factory=Counter)
    false_negatives: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        s = self.score
        return {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4),
                "tp": s.tp, "fp": s.fp, "fn": s.fn, "papers": self.papers}


def has_results(gold: list[dict]) -> bool:
    """Whether gold records are annotated for results (they have a ``results`` field)."""
    return any("results" in record for record in gold)


class _Names:
    """The key sets of one side's entity names: a name resolves to every key of its entity,
    ``PAPER`` to itself and the keys of the entities the paper proposes."""

    def __init__(self, entities: Iterable[tuple[str, list[str]]], proposed: Iterable[str]):
        self.groups = [{canonical_key(n) for n in [name, *aliases] if n} for name, aliases in entities]
        self.paper = frozenset({PAPER}).union(*(self.resolve(name) for name in proposed))

    def resolve(self, name: str) -> frozenset[str]:
        if name == PAPER:
            return self.paper
        key = canonical_key(name)
        return frozenset(next((group for group in self.groups if key in group), {key}))


class _Key:
    """A result as the score compares it."""

    def __init__(self, names: _Names, subject: str, benchmark: str, metric: str, value: str):
        self.subject = names.resolve(subject)
        self.says_paper = subject == PAPER
        self.own = bool(self.subject & names.paper)  # PAPER, or a name its side says the paper proposes
        self.benchmark = names.resolve(benchmark)
        self.metric = canonical_key(metric) if metric else ""
        self.value = canonical_value(value)
        self.label = f"{subject} | {benchmark} | {metric} | {value}"

    def same_subject(self, other: "_Key") -> bool:
        """Whether the subjects share a name, or one is ``PAPER`` and the other the paper's own approach."""
        return bool(self.subject & other.subject) or (self.says_paper and other.own) or (other.says_paper and self.own)

    def matches(self, other: "_Key") -> bool:
        return (self.value == other.value and self.metric == other.metric
                and self.same_subject(other) and bool(self.benchmark & other.benchmark))


def _gold_keys(record: dict) -> list[_Key]:
    gold_names = _Names(((e["name"], e.get("aliases", [])) for e in [*record.get("entities", []), *record.get("optional", [])]),
                        (r["tail"] for r in record.get("relations", []) if r["head"] == PAPER and r["type"] == "PROPOSES"))
    return [_Key(gold_names, r["subject"], r["benchmark"], r.get("metric") or "", str(r["value"]))
            for r in record["results"]]


def _found_keys(extraction: Extraction, results: Iterable[Result]) -> list[_Key]:
    names = _Names(((e.name, e.aliases) for e in extraction.entities),
                   (r.tail for r in extraction.relations if r.head == PAPER and r.type == "PROPOSES"))
    return [_Key(names, r.subject, r.benchmark, r.metric, r.value) for r in results]


def gold_matches(record: dict, extraction: Extraction, results: list[Result]) -> list[int | None]:
    """For each of ``results`` (read from ``extraction``'s entities), the index of a gold result of
    ``record`` it matches, or None."""
    expected = _gold_keys(record)
    return [next((i for i, g in enumerate(expected) if key.matches(g)), None) for key in _found_keys(extraction, results)]


class ReadingMatch(NamedTuple):
    """How a reading of a value matches the gold: ``slot`` when a gold result has its value and
    benchmark; ``metric``, ``subject`` when one of those also has its metric, its subject;
    ``kinds`` the kinds of those gold results."""

    slot: bool
    metric: bool
    subject: bool
    kinds: frozenset[str]


def reading_matches(record: dict, extraction: Extraction, results: list[Result]) -> list[ReadingMatch]:
    """For each of ``results`` (read from ``extraction``'s entities) how it matches the gold
    results of ``record`` (what the learned extractor is trained on)."""
    expected = list(zip(_gold_keys(record), record["results"]))
    found = []
    for key in _found_keys(extraction, results):
        same = [(g, gold) for g, gold in expected if g.value == key.value and key.benchmark & g.benchmark]
        found.append(ReadingMatch(bool(same), any(g.metric == key.metric for g, _ in same),
                                  any(key.same_subject(g) for g, _ in same),
                                  frozenset(gold.get("kind", "absolute") for _, gold in same)))
    return found


def score_results(gold: list[dict], extractions: Iterable[Extraction]) -> ResultReport:
    """Score the results of ``extractions`` against the ``results`` of ``gold`` records (matched by title)."""
    report = ResultReport()
    predicted = {normalise_title(e.paper.title): e for e in extractions}
    for record in gold:
        if "results" not in record:
            continue
        extraction = predicted.get(normalise_title(record["title"]))
        report.papers += 1
        expected = _gold_keys(record)
        found = _found_keys(extraction, extraction.results) if extraction is not None else []
        matched: set[int] = set()
        for key in found:
            hit = next((i for i, g in enumerate(expected) if i not in matched and key.matches(g)), None)
            if hit is None:
                report.score.fp += 1
                report.false_positives[key.label] += 1
            else:
                matched.add(hit)
                report.score.tp += 1
        for i, key in enumerate(expected):
            if i not in matched:
                report.score.fn += 1
                report.false_negatives[key.label] += 1
    return report

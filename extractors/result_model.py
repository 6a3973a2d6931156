"""The learned result extractor: every value on every name it may be a score on, five logistic regressions.

:func:`slots` pairs every number of a sentence (past the title; but a loss) with every name the sentence gives
that is no metric's or task's, and with the data the abstract evaluates on that other sentences
name: a :class:`ResultSlot`. A slot's features say whether that value is a score on that name: the
words and cue classes between them, their distance, the unit and size of the value, which
:data:`~paperkg.extractors.results.SKIP_RULES` and :data:`~paperkg.extractors.results.BENCHMARK_RULES`
fire for it, and whether the result rules state it. Each slot also holds its metric readings (the
rules' metric, every metric phrase of the sentence, alone, with up to two words before it the
metric lexicon does not know, such as "query accuracy", and the shorter phrases inside it, every
Metric entity, up to three unknown words right after the value or before "of" and the value
("+8.9 AUC@5", "a median drift of 0.04"), none) and subject readings
(the rules' subject, the paper's proposals, the models and methods of the title and those the
sentence names before the value, ``PAPER``), each with features of where it comes from (and a
metric whether it lies inside a longer reading: "success rate" in "attack success rate").
:class:`ResultModel` decides the slot (``RESULT``, calibrated, against a threshold) and ranks its
readings (``METRIC``, ``SUBJECT``) separately, and reads its kind (``GAIN``, ``RELATIVE``, else an
absolute score) where the rules read an absolute score: small decisions learn from a few hundred
annotated results where one over every combination did not. A gain or relative change the rules
read ("+3.2%", "by 2 points", "a 12% reduction") stands: of the model's right results in
cross-validation, 241 of 263 then have the annotated kind, against 233 by the model alone and 234
by the rules alone. Baseline and setting are the rules'.

``scripts/train_results.py`` cross-validates it against the rules and writes the weights that
ship (:data:`MODEL_PATH`); :func:`find_results` is what the pipeline's extraction calls.

>>> from paperkg.extractors.extract import doc_to_extraction
>>> from paperkg.extractors.pipeline import load_pipeline
>>> from paperkg.extractors.records import Paper
>>> paper = Paper("p", "StepTune", "StepTune reaches 83.1% top-1 accuracy on ImageNet.")
>>> doc = load_pipeline()(paper.text)
>>> found = slots(doc, {e.id: e.name for e in doc_to_extraction(doc, paper).entities})
>>> [(slot.reading.value, slot.reading.benchmark) for slot in found]  # every name but a metric's or a task's
[('83.1', 'ImageNet'), ('83.1', 'StepTune')]
>>> sorted(found[0].metrics), sorted(found[0].subjects)
(['', 'accuracy', 'top-1 accuracy'], ['PAPER', 'StepTune'])
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import numpy as np
from spacy.tokens import Doc

from .cues import BE, EVAL, FIRST_PERSON
from .doctext import DocText
from .metrics import find_metric
from .records import PAPER, Result, value_number
from .relation_model import LogisticModel, word_classes
from .results import (BENCHMARK_RULES, SKIP_RULES, SUBJECT_RULES, Sentence, Value, _baseline, _DATA, _kind, _kind_and_metric,
                      _main_proposal, _read_value, _read_values, _sentence_results, _sentences, _setting,
                      _size_after)

__all__ = ["MODEL_PATH", "ResultSlot", "slots", "ResultModel", "find_results"]

MODEL_PATH = Path(__file__).parent / "data" / "result_model.json"

_BETWEEN = 8  # words between value and benchmark that become word features
_WIDER = 2  # words before a metric phrase that may be read as part of it
_NEXT = 3  # words beside a value that may be read as its metric when the lexicon knows none there
#: The one skip reason that vetoes a value rather than being a feature: cross-validated, vetoing a
#: loss gains result F1 +0.0025 [+0.0012, +0.0041]; the other reasons' vetoes gain nothing or lose
#: (a baseline's value -0.024: the rule also fires on scores the annotators take).
_LOSS = next(rule for rule in SKIP_RULES if rule.name == "drop")
_MODIFIER_WORD = re.compile(r"^[a-z0-9][a-z0-9@-]*$")
_NOT_MODIFIERS = frozenset({*FIRST_PERSON, *BE, "the", "a", "an", "of", "on", "in", "at", "to", "for", "by", "with", "from",
                            "and", "or", "than", "as", "its", "their", "this", "that", "these", "those", "has", "have",
                            "had", "higher", "lower", "better", "worse", "more", "less", "best", "new", "absolute", "relative"})
#: A value's unit written between it and its metric ("2.1 points mIoU").
_POINT_WORDS = frozenset({"points", "point", "pts", "pp"})
#: Words between a metric and the value after it ("a perplexity of 3.85", "F1 = 0.8").
_METRIC_BEFORE_VALUE = frozenset({"of", "=", ":", "is", "was", "at"})


@dataclass
class ResultSlot:
    """One value read as a score on one name: ``reading`` the result without its metric and
    subject; ``features`` whether it is a result; ``metrics`` and ``subjects`` the readings it may
    take, each with its own features."""

    reading: Result
    features: set[str]
    metrics: dict[str, set[str]] = field(default_factory=dict)
    subjects: dict[str, set[str]] = field(default_factory=dict)


def _bucket(n: int, edges=(0, 1, 2, 3, 5, 8, 12, 20)) -> str:
    return str(max((e for e in edges if n >= e), default=0))


def _magnitude(v: Value) -> str:
    number = value_number(v.text)
    if v.text.isdigit() and 1950 <= number <= 2030:
        return "year"
    return next(name for limit, name in ((1, "<1"), (10, "<10"), (100, "<100"), (1000, "<1000"), (float("inf"), "big"))
                if number < limit)


def _value_features(s: Sentence, v: Value, run) -> set[str]:
    found = {f"unit={v.unit}", f"sign={v.sign}", f"mag={_magnitude(v)}", f"decimal={'.' in v.text}",
             f"run={min(len(run.items), 3)}", f"w-1={s.lower[v.index - 1] if v.index > s.start else '<s>'}",
             f"w+1={s.lower[v.end] if v.end < s.end else '</s>'}"}
    found |= {f"skip:{rule.name}" for rule in SKIP_RULES if rule.applies(s, v)}
    found |= {f"L:{c}" for c in word_classes(s.window(v.index - 4, v.index))}
    found |= {f"R:{c}" for c in word_classes(s.window(v.end, v.end + 3))}
    found |= {f"ctx:{w}" for w in s.window(v.index - 3, v.index) + s.window(v.end, v.end + 3) if w.isalpha()}
    if not found & {f"skip:{rule.name}" for rule in SKIP_RULES}:
        found.add("no-skip")
    return found


def _pair_features(s: Sentence, v: Value, bench: tuple, assigned: dict[str, str]) -> set[str]:
    start, end = bench[0], bench[1]
    if start >= s.end or end <= s.start:
        return {"bench-from=context", f"context&sentence-bench={bool(s.data or s.ents)}", f"brule:{assigned.get(bench[2], 'none')}"}
    after = start >= v.end
    between = s.lower[v.end : start] if after else s.lower[end : v.index]
    found = {"bench-from=sentence", f"bench-{'after' if after else 'before'}", f"dist={_bucket(len(between))}",
             f"brule:{assigned.get(bench[2], 'none')}", f"label={bench[3]}"}
    if len(between) <= _BETWEEN:
        found |= {f"btw:{w}" for w in between}
        found |= {f"B:{c}" for c in word_classes(between)}
    else:
        found.add("btw-far")
    other_values = sum(1 for i in range(min(v.end, start), max(v.index, end)) if _read_value(s, i) is not None)
    found.add(f"values-between={min(other_values, 3)}")
    return found


def _order_features(run, v: Value, data_place: tuple[int, int] | None, respectively: bool) -> set[str]:
    """Whether the value and the name hold the same place in lists of one length ("on A and B ...
    81.5% and 95.4%, respectively"); ``data_place`` is the name's list length and place in it."""
    if data_place is None or len(run.items) < 2 or data_place[0] != len(run.items):
        return set()
    order = "same" if data_place[1] == run.items.index(v) else "other"
    return {f"order={order}", f"order={order}&respectively={respectively}"}


def _metric_phrases(s: Sentence, named: set[int]) -> list[tuple[str, int, int, str]]:
    """The metric phrases of the sentence (not the bare "score") and its Metric entities:
    text, start, end, and where they come from (``named``: the words of its names but its metrics')."""
    found = []
    i = s.start
    while i < s.end:
        phrase = find_metric(s.words[: s.end], i)
        if phrase is None or phrase.text.lower() == "score":
            i += 1
            continue
        found.append((phrase.text, phrase.start, phrase.end, "metric"))
        found += [(s.text_of(start, phrase.end), start, phrase.end, f"metric-wider{phrase.start - start}")
                  for start in _wider_starts(s, phrase.start, named)]
        # the lexicon's shorter phrases inside it: "perplexity" in "mean perplexity"
        found += [(inner.text, inner.start, inner.end, "metric-inner") for first in range(phrase.start + 1, phrase.end)
                  if (inner := find_metric(s.words[: s.end], first)) is not None and inner.end == phrase.end]
        i = phrase.end
    return found + [(s.text_of(start, end), start, end, "metric-ent") for start, end, _, label in s.ents if label == "Metric"]


def _free_word(s: Sentence, i: int, named: set[int]) -> bool:
    """Whether word ``i`` may be part of a metric the lexicon does not know: it has a letter or
    digit, and is no value, name (``named``: the words of the sentence's names but its metrics'),
    function or result word."""
    word = s.lower[i]
    return (bool(_MODIFIER_WORD.match(word)) and word not in _NOT_MODIFIERS and not EVAL.match(word) and i not in named
            and _read_value(s, i) is None)


def _wider_starts(s: Sentence, start: int, named: set[int]) -> list[int]:
    """Where a metric phrase starting at ``start`` may begin with up to :data:`_WIDER` more free
    words (:func:`_free_word`: "query accuracy", "average attack success rate", "3D PCK")."""
    starts = []
    for first in range(start - 1, max(s.start, start - _WIDER) - 1, -1):
        if not _free_word(s, first, named):
            break
        starts.append(first)
    return starts


def _adjacent_phrases(s: Sentence, v: Value, taken: set[int]) -> list[tuple[str, int, int, str]]:
    """Metrics the lexicon does not know, read from up to :data:`_NEXT` free words (:func:`_free_word`,
    none ``taken``: a name's or a metric phrase's) right after the value ("+8.9 AUC@5", "2.1 points
    mIoU") or right before "of", "=", ... and the value ("a median drift of 0.04"): text, start,
    end, and where they come from."""
    first = v.end
    while first < s.end and s.lower[first] in _POINT_WORDS:
        first += 1
    last = first
    while last < min(s.end, first + _NEXT) and _free_word(s, last, taken):
        last += 1
    found = [(s.text_of(first, end), first, end, f"metric-next{end - first}") for end in range(first + 1, last + 1)]
    end = v.index - 1
    if end > s.start and s.lower[end] in _METRIC_BEFORE_VALUE:
        start = end
        while start > max(s.start, end - _NEXT) and _free_word(s, start - 1, taken):
            start -= 1
        found += [(s.text_of(begin, end), begin, end, f"metric-of{end - begin}") for begin in range(start, end)]
    return found


def _metric_readings(s: Sentence, v: Value, rule_metric: str, phrases: list[tuple[str, int, int, str]]) -> dict[str, str]:
    """The metrics a value may be read with, each with where it comes from: the rules' reading,
    the sentence's metric phrases (by side and distance), none."""
    readings = {rule_metric: "metric=rule"} if rule_metric else {}
    for text, start, end, source in phrases:
        readings.setdefault(text, _side(source, v, start, end))
    readings.setdefault("", "metric=none")
    return readings


def _inside_longer(phrases: list[tuple[str, int, int, str]]) -> set[str]:
    """The texts of ``phrases`` whose words lie inside another's ("success rate" in "attack success rate")."""
    spans = {(start, end) for _, start, end, _ in phrases}
    return {text for text, start, end, _ in phrases
            if any(first <= start and end <= last and (first, last) != (start, end) for first, last in spans)}


def _side(name: str, v: Value, start: int, end: int) -> str:
    distance = start - v.end if start >= v.end else v.index - end
    return f"{name}={'after' if start >= v.end else 'before'}{_bucket(distance, (0, 1, 3, 6, 10))}"


def _subject_readings(s: Sentence, v: Value, main: str, proposed: set[str], titled: list[str]) -> dict[str, str]:
    """The subjects a value may be read with: the rules' reading, the paper's main proposal, its
    other proposals, the models and methods of the title and those the sentence names before the
    value, ``PAPER``."""
    rule_subject = next(named for rule in SUBJECT_RULES if (named := rule.find(s, v, main)) is not None)
    readings = {rule_subject: "subject=rule", main: "subject=main"}
    for key in sorted(proposed):
        readings.setdefault(key, "subject=proposed")
    for key in titled:
        readings.setdefault(key, "subject=titled")
    for start, _, key, label in s.ents:
        if label in {"Model", "Method"} and start < v.index:
            readings.setdefault(key, "subject=named-before" + ("-proposed" if key in proposed else ""))
    readings.setdefault(PAPER, "subject=paper")
    return readings


def _metric_features(source: str, metric: str, v: Value, brule: str) -> set[str]:
    return {source, f"{source}&unit={v.unit}", f"{source}&{brule}", f"unit={v.unit}&metric={metric.lower()}",
            *(f"metric-word={w}" for w in metric.lower().split())}


def _subject_features(source: str, subject: str, kind: str, main: str, titled: list[str], in_sentence: set[str]) -> set[str]:
    found = {source, f"{source}&kind={kind}", f"{source}&named-main={main != PAPER}"}
    if subject in titled:
        found.add("subject-in-title")
    if subject in in_sentence:
        found.add("subject-in-sentence")
    return found


def _sentence_slots(s: Sentence, context: list[tuple], main: str, proposed: set[str],
                    titled: list[str], evaluated: set[str], names: Mapping[str, str],
                    rule_keys: set[tuple]) -> list[ResultSlot]:
    values, value_runs, data_runs = _read_values(s, spreads=True)
    if not values:
        return []
    # each name once (its first mention): the rules' benchmarks, then any other name but a metric's or a task's
    benches = list({d[2]: d for d in reversed([*s.data, *(e for e in s.ents if e[3] not in {"Metric", "Task"})])}.values())
    sentence_bench = bool(benches)
    benches += [e for e in context if e[2] not in {b[2] for b in benches}]
    start, end = s.doc_text.char_bounds(s.start, s.end)
    evidence = s.doc_text.text[start:end].strip()
    sentence_features = {f"S:{c}" for c in word_classes(s.lower[s.start : s.end])}
    sentence_features |= {f"benches={min(len(benches), 3)}", f"values={min(len(values), 4)}"}
    rule_data = {d[2] for d in s.data}
    in_sentence = {e[2] for e in s.ents}
    named = {i for first, end, _, label in s.ents if label != "Metric" for i in range(first, end)}
    phrases = _metric_phrases(s, named)
    metric_words = {i for _, start, end, _ in phrases for i in range(start, end)}
    data_places = {d[2]: (len(run.items), place) for run in data_runs for place, d in enumerate(run.items)}
    respectively = "respectively" in s.lower[s.start : s.end]
    found = []
    for v in values:
        if _LOSS.applies(s, v):  # "a 0.23% accuracy loss" states no score
            continue
        run = next(r for r in value_runs if v in r.items)
        kind, rule_metric = _kind_and_metric(s, value_runs, run, v)
        candidates = phrases + _adjacent_phrases(s, v, named | metric_words)
        metrics = _metric_readings(s, v, rule_metric, candidates)
        inside = _inside_longer(candidates)
        subjects = _subject_readings(s, v, main, proposed, titled)
        assigned = {}
        for rule in BENCHMARK_RULES:
            if sentence_bench and (got := rule.assign(s, value_runs, data_runs, run, v)) is not None:
                assigned = {d[2]: rule.name for d in got} or {"": rule.name}
                break
        # the feature is the value's own kind: what the run before it says decides only the reading's
        base = _value_features(s, v, run) | sentence_features | {f"kind={_kind(s, run.items[0])}"}
        baseline = _baseline(s, v, next(iter(subjects)))  # kept when the model reads a gain or a change
        setting = _setting(s, run, v)  # the clause's, for every benchmark; a size after one is its own
        for bench in benches:
            features = (base | _pair_features(s, v, bench, assigned) | _order_features(run, v, data_places.get(bench[2]), respectively)
                        | {f"bench-type={bench[3]}", f"bench-rule-data={bench[2] in rule_data}",
                           f"bench-evaluated={bench[2] in evaluated}"})
            bench_name = names.get(bench[2], s.doc_text.span_text(bench[0], bench[1]).strip())
            brule = next(f for f in features if f.startswith("brule:"))
            stated = {(subject, metric) for subject, benchmark, metric, value in rule_keys
                      if benchmark == bench_name and value == v.text}
            if stated:
                features.add("rule-states-it")
            reading = Result(subject=PAPER, benchmark=bench_name, metric="", value=v.text, unit=v.unit, kind=kind,
                             baseline=names.get(baseline) if baseline else None, setting=_size_after(s, v, bench[2]) or setting,
                             evidence=evidence,
                             start=start, end=end, extractor="model", confidence=0.0)
            found.append(ResultSlot(
                reading, features,
                {metric: _metric_features(source, metric, v, brule)
                 | ({"metric-inside-longer", f"metric-inside-longer&{source.split('=')[0]}"} if metric in inside else set())
                 | ({"rule-states-it"} if any(m == metric for _, m in stated) else set())
                 for metric, source in metrics.items()},
                {names.get(key, key): _subject_features(source, key, kind, main, titled, in_sentence)
                 | ({"rule-states-it"} if any(subject == names.get(key, key) for subject, _ in stated) else set())
                 for key, source in subjects.items()}))
    return found


def slots(doc: Doc, names: Mapping[str, str]) -> list[ResultSlot]:
    """Every value of the doc's sentences past the title on every name it may be a score on (see
    the module docstring)."""
    if not doc.ents:
        return []
    groups = doc._.entity_groups
    main = _main_proposal(doc)
    proposed = {tail for _, rel, tail, *_ in doc._.relations if rel == "PROPOSES"}
    first = DocText.of(doc).body_sentence
    sentences = _sentences(doc, groups)
    title, sentences = sentences[:first], sentences[first:]
    evaluated = {tail for _, rel, tail, *_ in doc._.relations if rel == "EVALUATES_ON"}
    context = list({e[2]: e for s in sentences for e in s.ents if e[3] in _DATA or e[2] in evaluated}.values())
    titled = list(dict.fromkeys(e[2] for s in title for e in s.ents if e[3] in {"Model", "Method"}))
    found = []
    for sentence in sentences:
        rule_keys = {(r.subject, r.benchmark, r.metric, r.value) for r in _sentence_results(sentence, main, names)} \
            if sentence.data else set()
        found += _sentence_slots(sentence, context, main, proposed, titled, evaluated, names, rule_keys)
    return found


class ResultModel(LogisticModel):
    """Five logistic regressions over one feature index: ``RESULT`` scores a slot (calibrated, with
    the decision threshold), ``METRIC`` and ``SUBJECT`` rank its readings, ``GAIN`` and ``RELATIVE``
    read its kind where the rules read an absolute score (an absolute score when neither reaches 0.5)."""

    LABELS = ("RESULT", "METRIC", "SUBJECT", "GAIN", "RELATIVE")
    PATH = MODEL_PATH
    TRAINER = "scripts/train_results.py"

    def decide(self, found: list[ResultSlot]) -> list[Result]:
        """The slots whose probability reaches the threshold, each read with its best-ranked metric
        and subject and its kind; one result per key. Its confidence is the probability that
        value, benchmark, metric and subject are all right (the product of theirs, the readings'
        calibrated as the best of their slot): the slot's alone overstates it, as readings go wrong too."""
        results = []
        probabilities = self.probabilities([slot.features for slot in found])
        for slot, (probability, _, _, gain, relative) in zip(found, probabilities):
            if probability < self.thresholds[0]:
                continue
            metric, metric_probability = self._best(slot.metrics, 1)
            subject, subject_probability = self._best(slot.subjects, 2)
            kind = slot.reading.kind if slot.reading.kind != "absolute" else (
                "relative" if relative >= max(gain, 0.5) else "gain" if gain >= 0.5 else "absolute")
            confidence = round(float(probability * metric_probability * subject_probability), 3)
            results.append((probability, replace(slot.reading, metric=metric, subject=subject, kind=kind, confidence=confidence,
                                                 baseline=slot.reading.baseline if kind != "absolute" else None)))
        kept: dict[tuple, Result] = {}
        for _, result in sorted(results, key=lambda pair: -pair[0]):
            kept.setdefault(result.key_fields, result)
        return list(kept.values())

    def _best(self, readings: dict[str, set[str]], label: int) -> tuple[str, float]:
        names = list(readings)
        probabilities = self.probabilities([readings[n] for n in names])[:, label]
        best = int(np.argmax(probabilities))
        return names[best], float(probabilities[best])


@functools.cache
def shipped_model() -> ResultModel:
    """The weights that ship in the package (read once per process)."""
    return ResultModel.load()


def find_results(doc: Doc, names: Mapping[str, str]) -> list[Result]:
    """The results the shipped model reads in ``doc`` (``names``: entity key to name)."""
    return shipped_model().decide(slots(doc, names))

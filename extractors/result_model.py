"""A learned result extractor, measured against the result rules: wide candidates, a logistic regression.

:func:`candidates` pairs every number of a sentence (past the title) with every name the sentence
gives that is no metric's or task's (else with the data the abstract evaluates on), each with
several metric readings (the rules' metric, every metric phrase and Metric entity of the sentence,
none) and subject readings (the rules' subject, the paper's proposals, the models and methods of
the title and of the sentence, ``PAPER``). Each candidate carries sparse binary features: the words
and cue classes between the value and the name, their distance, the unit and size of the value,
which :data:`~paperkg.extractors.results.SKIP_RULES` and :data:`~paperkg.extractors.results.BENCHMARK_RULES`
fire for it, where its metric and subject come from, and whether the rules state that very result.
:class:`ResultModel` (the relation model's logistic machinery, one label) scores them and
:func:`decide` keeps, of the readings of one value on one name, the most probable when it reaches
the threshold; kind, baseline and setting are the rules'.

``scripts/train_results.py`` cross-validates it against the rules. It does not beat them (see
``scripts/annotations/GUIDELINE-RESULTS.md``), so the pipeline keeps the rules and no weights ship.

>>> from paperkg.extractors.extract import doc_to_extraction
>>> from paperkg.extractors.pipeline import load_pipeline
>>> from paperkg.extractors.records import Paper
>>> paper = Paper("p", "StepTune", "StepTune reaches 83.1% top-1 accuracy on ImageNet.")
>>> doc = load_pipeline()(paper.text)
>>> found = candidates(doc, {e.id: e.name for e in doc_to_extraction(doc, paper).entities})
>>> [(c.result.subject, c.result.benchmark, c.result.metric, c.result.value) for c in found if "rule-states-it" in c.features]
[('StepTune', 'ImageNet', 'top-1 accuracy', '83.1')]
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np
from spacy.tokens import Doc

from .metrics import find_metric
from .records import PAPER, Result
from .relation_model import LogisticModel, word_classes
from .results import (BENCHMARK_RULES, SKIP_RULES, SUBJECT_RULES, Sentence, Value, _baseline, _DATA, _kind_and_metric,
                      _main_proposal, _read_value, _read_values, _sentence_results, _sentences, _setting)

__all__ = ["ResultCandidate", "candidates", "ResultModel", "decide", "chosen"]

_BETWEEN = 8  # words between value and benchmark that become word features


@dataclass
class ResultCandidate:
    """One reading of a value: ``slot`` (sentence, value word, benchmark key) groups the readings
    of which at most one is kept; ``result`` is what it states; ``features`` its active features."""

    slot: tuple[int, int, str]
    result: Result
    features: set[str] = field(default_factory=set)


def _bucket(n: int, edges=(0, 1, 2, 3, 5, 8, 12, 20)) -> str:
    return str(max((e for e in edges if n >= e), default=0))


def _magnitude(v: Value) -> str:
    number = float(v.text)
    if "." not in v.text and 1950 <= number <= 2030:
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
        return {"bench-from=context", f"brule:{assigned.get(bench[2], 'none')}"}
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


def _metric_phrases(s: Sentence) -> list[tuple[str, int, int, str]]:
    """The metric phrases of the sentence (not the bare "score") and its Metric entities:
    text, start, end, and where they come from."""
    found = []
    i = s.start
    while i < s.end:
        phrase = find_metric(s.words[: s.end], i)
        if phrase is None or phrase.text.lower() == "score":
            i += 1
            continue
        found.append((phrase.text, phrase.start, phrase.end, "metric"))
        i = phrase.end
    return found + [(s.text_of(start, end), start, end, "metric-ent") for start, end, _, label in s.ents if label == "Metric"]


def _metric_readings(s: Sentence, v: Value, rule_metric: str, phrases: list[tuple[str, int, int, str]]) -> dict[str, str]:
    """The metrics a value may be read with, each with where it comes from: the rules' reading,
    the sentence's metric phrases (by side and distance), none."""
    readings = {rule_metric: "metric=rule"} if rule_metric else {}
    for text, start, end, source in phrases:
        readings.setdefault(text, _side(source, v, start, end))
    readings.setdefault("", "metric=none")
    return readings


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


def _sentence_candidates(number: int, s: Sentence, context: list[tuple], main: str, proposed: set[str],
                         titled: list[str], evaluated: set[str], names: Mapping[str, str],
                         rule_keys: set[tuple]) -> list[ResultCandidate]:
    values, value_runs, data_runs = _read_values(s, spreads=True)
    # each name once (its first mention): the rules' benchmarks, then any other name but a metric's or a task's
    benches = list({d[2]: d for d in reversed([*s.data, *(e for e in s.ents if e[3] not in {"Metric", "Task"})])}.values())
    sentence_bench = bool(benches)
    benches = benches or context
    start, end = s.doc_text.char_bounds(s.start, s.end)
    evidence = s.doc_text.text[start:end].strip()
    sentence_features = {f"S:{c}" for c in word_classes(s.lower[s.start : s.end])}
    sentence_features |= {f"benches={min(len(benches), 3)}", f"values={min(len(values), 4)}"}
    rule_data = {d[2] for d in s.data}
    in_sentence = {e[2] for e in s.ents}
    phrases = _metric_phrases(s)
    found = []
    for v in values:
        run = next(r for r in value_runs if v in r.items)
        kind, rule_metric = _kind_and_metric(s, value_runs, run, v)
        metrics = _metric_readings(s, v, rule_metric, phrases)
        subjects = _subject_readings(s, v, main, proposed, titled)
        rule_subject = next(iter(subjects))
        assigned = {}
        for rule in BENCHMARK_RULES:
            if sentence_bench and (got := rule.assign(s, value_runs, data_runs, run, v)) is not None:
                assigned = {d[2]: rule.name for d in got} or {"": rule.name}
                break
        base = _value_features(s, v, run) | sentence_features | {f"kind={kind}"}
        baseline = _baseline(s, v, rule_subject) if kind != "absolute" else None
        setting = _setting(s, run, v)
        for bench in benches:
            pair = base | _pair_features(s, v, bench, assigned) | {f"bench-type={bench[3]}",
                                                                    f"bench-rule-data={bench[2] in rule_data}",
                                                                    f"bench-evaluated={bench[2] in evaluated}"}
            bench_name = names.get(bench[2], s.doc_text.span_text(bench[0], bench[1]).strip())
            brule = next(f for f in pair if f.startswith("brule:"))
            for metric, metric_source in metrics.items():
                for subject, subject_source in subjects.items():
                    result = Result(subject=names.get(subject, subject), benchmark=bench_name, metric=metric,
                                    value=v.text, unit=v.unit, kind=kind, baseline=names.get(baseline) if baseline else None,
                                    setting=setting, evidence=evidence, start=start, end=end, extractor="model",
                                    confidence=0.0)
                    features = pair | {metric_source, subject_source, f"{metric_source}&{subject_source}",
                                       f"{metric_source}&unit={v.unit}", f"{subject_source}&kind={kind}"}
                    features |= {f"{subject_source}&named-main={main != PAPER}", f"{metric_source}&{brule}"}
                    if subject in titled:
                        features.add("subject-in-title")
                    if subject in in_sentence:
                        features.add("subject-in-sentence")
                    if (result.subject, result.benchmark, metric, v.text) in rule_keys:
                        features |= {"rule-states-it", f"rule-states-it&{metric_source}", f"rule-states-it&{subject_source}"}
                    found.append(ResultCandidate((number, v.index, bench[2]), result, features))
    return found


def candidates(doc: Doc, names: Mapping[str, str]) -> list[ResultCandidate]:
    """Every reading of every value of the doc's sentences past the title (see the module docstring)."""
    if not doc.ents:
        return []
    groups = doc._.entity_groups
    main = _main_proposal(doc)
    proposed = {tail for _, rel, tail, *_ in doc._.relations if rel == "PROPOSES"}
    sentences = _sentences(doc, groups)
    evaluated = {tail for _, rel, tail, *_ in doc._.relations if rel == "EVALUATES_ON"}
    context = list({e[2]: e for s in sentences[1:] for e in s.ents if e[3] in _DATA or e[2] in evaluated}.values())
    titled = list(dict.fromkeys(e[2] for e in sentences[0].ents if e[3] in {"Model", "Method"}))
    found = []
    for number, sentence in enumerate(sentences[1:], 1):
        rule_keys = {(r.subject, r.benchmark, r.metric, r.value) for r in _sentence_results(sentence, main, names)} \
            if sentence.data else set()
        found += _sentence_candidates(number, sentence, context, main, proposed, titled, evaluated, names, rule_keys)
    return found


class ResultModel(LogisticModel):
    """The logistic regression over result candidates, its Platt scaling and threshold (no weights
    ship: ``load`` needs the path of weights ``scripts/train_results.py`` wrote)."""

    LABELS = ("RESULT",)
    TRAINER = "scripts/train_results.py"


def decide(found: list[ResultCandidate], probabilities: np.ndarray, threshold: float) -> list[Result]:
    """Of each slot's readings the most probable, when it reaches ``threshold``; one result per key,
    with its probability as confidence."""
    return [replace(found[i].result, confidence=round(float(probabilities[i]), 3))
            for i in chosen(found, probabilities, threshold)]


def chosen(found: list[ResultCandidate], probabilities: np.ndarray, threshold: float) -> list[int]:
    """The candidates :func:`decide` keeps, by index."""
    best: dict[tuple, int] = {}
    for i, (candidate, probability) in enumerate(zip(found, probabilities)):
        if probability >= threshold and (candidate.slot not in best or probability > probabilities[best[candidate.slot]]):
            best[candidate.slot] = i
    kept: dict[tuple, int] = {}
    for i in sorted(best.values(), key=lambda i: -probabilities[i]):
        kept.setdefault(found[i].result.key_fields, i)
    return list(kept.values())

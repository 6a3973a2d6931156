"""Train the shipped result model and cross-validate it against the result rules.

Data: the result annotations of ``scripts/annotations/pool/`` joined to their abstracts (one
annotation per abstract, as ``scripts/eval_results.py``; the pairs of a doubly annotated abstract
are one abstract, so they share a fold), in five folds by the SHA-1 of the title. Every abstract
goes through the shipped pipeline once (cached under /tmp); the model learns from the slots of
:mod:`paperkg.extractors.result_model`: a slot is labelled a result when a gold result has its value
and benchmark, and a metric or subject reading when such a gold result also has it. Within each
fold's training part, three inner folds give the held-out scores the Platt scaling and the
threshold (best result F1) are fitted on.

    nice python scripts/train_results.py              # cross-validate (2 min)
    nice python scripts/train_results.py --write      # ... and write the weights that ship
    nice python scripts/train_results.py --unseen /tmp/folds   # each abstract read by a recogniser that never saw it
                                                              # (train_entities.py --crossval 5 --keep /tmp/folds's)
    nice python scripts/train_results.py --unseen /tmp/folds --scores /tmp/new.json --against /tmp/old.json
                                                              # ... and the model's F1 minus an earlier run's, paired

The shipped recogniser was trained on these abstracts' entities, so by default the slots come
from names it has seen; ``--unseen`` measures the model as it meets new papers (the relation
model, which decides the proposals a PAPER subject stands for, is still the shipped one).

Prints the reading recall (the share of gold results some reading of a slot matches: the model's
ceiling); for rules and model the pooled precision, recall and F1 over the held-out folds with
bootstrap 95% intervals (abstracts resampled) and the mean over folds, as JSON; the paired
difference of their F1; the reliability of the model's confidences and its precision and recall
at or above a few of them; and a table of both on all
abstracts and on each half of ``scripts/eval_results.py`` (the rules were written from the
development half's errors, so only the held-out half measures them unseen).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from eval_results import annotated_records, half  # noqa: E402  (puts scripts/annotations on the path)
import sample_pool  # noqa: E402, I001
from train_entities import unseen_docs  # noqa: E402
from train_relations import folds_of, platt, processed_docs, reliability  # noqa: E402

from paperkg.extractors import result_model  # noqa: E402
from paperkg.extractors.fitting import design, fit, vocabulary_of  # noqa: E402
from paperkg.extractors import results as result_rules  # noqa: E402
from paperkg.extractors.evaluate_results import gold_matches, reading_matches, score_results  # noqa: E402
from paperkg.extractors.extract import doc_to_extraction  # noqa: E402
from paperkg.extractors.pipeline import load_pipeline  # noqa: E402
from paperkg.extractors.readers.cleaning import collapse_whitespace  # noqa: E402
from paperkg.extractors.records import Extraction, Paper, title_id  # noqa: E402

SEED = 13
FOLDS = 5


def paper_of(record: dict) -> Paper:
    return Paper(id=title_id(record["title"]), title=collapse_whitespace(record["title"]),
                 abstract=collapse_whitespace(record["abstract"]))


@dataclass
class Example:
    """One abstract: its gold record, the rules' extraction, its slots and their labels."""

    record: dict
    extraction: Extraction
    slots: list[result_model.ResultSlot]
    labels: list[SlotLabels]

    @property
    def covered(self) -> int:
        """How many gold results some reading of a slot matches."""
        readings = [replace(slot.reading, metric=m, subject=s) for slot in self.slots for m in slot.metrics for s in slot.subjects]
        return len({i for i in gold_matches(self.record, self.extraction, readings) if i is not None})


@dataclass
class SlotLabels:
    """Whether a slot is a gold result's value and benchmark, which of its metric and subject
    readings match it, and its kind ("" for no gold result)."""

    result: float
    metrics: list[float]
    subjects: list[float]
    kind: str


def labels_of(record: dict, extraction: Extraction, slot: result_model.ResultSlot) -> SlotLabels:
    subject, metric = next(iter(slot.subjects)), next(iter(slot.metrics))
    # one call: each metric reading with the first subject, then each subject with the first metric
    matches = reading_matches(record, extraction, [*(replace(slot.reading, metric=m, subject=subject) for m in slot.metrics),
                                                   *(replace(slot.reading, metric=metric, subject=s) for s in slot.subjects)])
    by_metric, by_subject = matches[: len(slot.metrics)], matches[len(slot.metrics):]
    kinds = by_metric[0].kinds
    # of a value annotated twice on one name (rare), a score before a gain before a change
    kind = next((k for k in ("absolute", "gain", "relative") if k in kinds), "")
    return SlotLabels(float(by_metric[0].slot), [float(m.metric) for m in by_metric], [float(m.subject) for m in by_subject], kind)


def example(record: dict, doc) -> Example:
    """The abstract ``record`` as the pipeline read it into ``doc``: the rules' extraction, the slots, their labels."""
    extraction = doc_to_extraction(doc, paper_of(record), read_results=result_rules.find_results)
    slots = result_model.slots(doc, {e.id: e.name for e in extraction.entities})
    return Example(record, extraction, slots, [labels_of(record, extraction, slot) for slot in slots])


def examples(records: list[dict]) -> list[Example]:
    """Every abstract read by the shipped pipeline."""
    return [example(record, doc) for record, doc in
            zip(records, processed_docs([paper_of(r).text for r in records], "results-pool", load_pipeline()))]


def examples_unseen(records: list[dict], folder: Path) -> list[Example]:
    """Every abstract read by a pipeline whose recogniser never saw it (:func:`train_entities.unseen_docs`)."""
    return [example(record, doc) for record, doc in zip(records, unseen_docs(records, folder, relation_model=True))]


def fold_of(title: str) -> int:
    return int(hashlib.sha1(title.encode()).hexdigest(), 16) % FOLDS


def _parts(found: list[Example]) -> list[tuple[list[set[str]], list[float]]]:
    """The rows each regression learns from: every slot; the metric readings, the subject readings,
    the kind (twice: gain, relative change) of the gold slots."""
    pairs = [(slot, labels) for e in found for slot, labels in zip(e.slots, e.labels)]
    gold = [(slot, labels) for slot, labels in pairs if labels.result]
    return [([slot.features for slot, _ in pairs], [labels.result for _, labels in pairs]),
            ([f for slot, _ in gold for f in slot.metrics.values()], [y for _, labels in gold for y in labels.metrics]),
            ([f for slot, _ in gold for f in slot.subjects.values()], [y for _, labels in gold for y in labels.subjects]),
            *(([slot.features for slot, _ in gold], [float(labels.kind == kind) for _, labels in gold]) for kind in ("gain", "relative"))]


def _fit_raw(found: list[Example], l2: float) -> result_model.ResultModel:
    parts = _parts(found)
    vocabulary = vocabulary_of([f for sets, _ in parts for f in sets])
    columns, biases = [], []
    for sets, labels in parts:
        y = np.array(labels).reshape(len(labels), 1)
        weights, bias = fit(design(sets, vocabulary, y, np.ones(len(y))), len(vocabulary), l2)
        columns.append(weights)
        biases.append(bias)
    labels = len(result_model.ResultModel.LABELS)
    return result_model.ResultModel(vocabulary, np.hstack(columns), np.concatenate(biases),
                                    np.array([[1.0, 0.0]] * labels), np.array([0.5] * labels), True)


def _best_readings(model: result_model.ResultModel, example: Example) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """For each gold slot of ``example``: the raw scores of its best-ranked metric and subject
    readings, and whether each is right."""
    rows = []
    for slot, labels in zip(example.slots, example.labels):
        if labels.result:
            best = []
            for readings, right, column in ((slot.metrics, labels.metrics, 1), (slot.subjects, labels.subjects, 2)):
                raw = model.scores(list(readings.values()))[:, column]
                best.append((float(raw.max()), right[int(np.argmax(raw))]))
            rows.append(tuple(zip(*best)))
    return rows


def train_model(found: list[Example], l2: float, inner_folds: int = 3) -> result_model.ResultModel:
    """Fit on ``found``; from ``inner_folds`` held-out folds of it, the Platt scaling of the result
    regression and of the best metric and subject readings of gold slots (so that a result's
    confidence, their product, says how often such results are right) and the threshold (the
    best result F1)."""
    inner = folds_of(len(found), inner_folds, SEED + 1)
    held_out: list[tuple[Example, result_model.ResultModel]] = []
    raw, labels, readings = [], [], []
    for k in range(inner_folds):
        model = _fit_raw([e for e, f in zip(found, inner) if f != k], l2)
        for e in (e for e, f in zip(found, inner) if f == k):
            held_out.append((e, model))
            raw += list(model.scores([slot.features for slot in e.slots])[:, 0])
            labels += [lab.result for lab in e.labels]
            readings += _best_readings(model, e)
    model = _fit_raw(found, l2)
    model.platt[0] = platt(np.array(raw), np.array(labels), np.ones(len(labels)))
    best_scores, right = (np.array(x) for x in zip(*readings))  # (rows, 2) each: metric, subject
    for column in (0, 1):
        model.platt[column + 1] = platt(best_scores[:, column], right[:, column], np.ones(len(right)))
    grid = np.arange(0.1, 0.9, 0.025)
    f1 = []
    for threshold in grid:
        records, extractions = [], []
        for e, inner_model in held_out:
            inner_model.platt[0], inner_model.thresholds[0] = model.platt[0], threshold
            records.append(e.record)
            extractions.append(replace(e.extraction, results=inner_model.decide(e.slots)))
        f1.append(score_results(records, extractions).score.f1)
    model.thresholds[0] = grid[int(np.argmax(f1))]
    return model


def _f1(tp, fp, fn) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def bootstrap(counts: np.ndarray, resamples: int, seed: int = SEED) -> dict[str, tuple[float, float]]:
    """95% intervals of P, R and F1 from per-abstract (tp, fp, fn), abstracts resampled."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(resamples):
        tp, fp, fn = np.bincount(rng.integers(0, len(counts), len(counts)), minlength=len(counts)) @ counts
        rows.append((tp / max(tp + fp, 1), tp / max(tp + fn, 1), _f1(tp, fp, fn)))
    low, high = np.percentile(rows, [2.5, 97.5], axis=0)
    return {name: (round(float(a), 4), round(float(b), 4)) for name, a, b in zip(("P", "R", "F1"), low, high)}


def per_abstract(records: list[dict], extractions: list[Extraction]) -> np.ndarray:
    """(tp, fp, fn) of each abstract."""
    return np.array([[s.tp, s.fp, s.fn] for s in (score_results([r], [x]).score for r, x in zip(records, extractions))])


def paired_gain(first: np.ndarray, second: np.ndarray, resamples: int, seed: int = SEED) -> tuple[float, float, float]:
    """F1 of ``second`` minus F1 of ``first`` (per-abstract counts of the same abstracts), with its
    95% interval over the same resampled abstracts."""
    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(resamples):
        weights = np.bincount(rng.integers(0, len(first), len(first)), minlength=len(first))
        gains.append(_f1(*(weights @ second)) - _f1(*(weights @ first)))
    low, high = np.percentile(gains, [2.5, 97.5])
    return round(_f1(*second.sum(axis=0)) - _f1(*first.sum(axis=0)), 4), round(float(low), 4), round(float(high), 4)


def summary(counts: np.ndarray, resamples: int, folds: list[int]) -> dict:
    """Pooled P, R and F1 with 95% intervals and their mean over folds, from per-abstract (tp, fp, fn)."""
    tp, fp, fn = counts.sum(axis=0)
    point = {"P": tp / max(tp + fp, 1), "R": tp / max(tp + fn, 1), "F1": _f1(tp, fp, fn)}
    per_fold = []
    for k in range(FOLDS):
        t, f, n = counts[[i for i, fold in enumerate(folds) if fold == k]].sum(axis=0)
        per_fold.append({"P": t / max(t + f, 1), "R": t / max(t + n, 1), "F1": _f1(t, f, n)})
    intervals = bootstrap(counts, resamples)
    return {name: {"pooled": round(float(point[name]), 4), "ci95": intervals[name],
                   "fold mean": round(float(np.mean([p[name] for p in per_fold])), 4)} for name in point} | \
        {"counts": {"tp": int(tp), "fp": int(fp), "fn": int(fn)}}


def kinds_right(found: list[Example], extractions: list[Extraction]) -> tuple[int, int]:
    """Of the results that match a gold result, how many have its kind; how many match."""
    right = matched = 0
    for example, extraction in zip(found, extractions):
        for result, index in zip(extraction.results, gold_matches(example.record, example.extraction, extraction.results)):
            if index is not None:
                matched += 1
                right += result.kind == example.record["results"][index].get("kind", "absolute")
    return right, matched


def cross_validate(found: list[Example], l2: float, resamples: int, scores: Path | None = None,
                   against: Path | None = None) -> None:
    folds = [fold_of(e.record["title"]) for e in found]
    pooled: dict[str, list] = {"rules": [e.extraction for e in found], "model": [None] * len(found)}
    held_out = []
    for k in range(FOLDS):
        model = train_model([e for e, f in zip(found, folds) if f != k], l2)
        for i in (i for i, f in enumerate(folds) if f == k):
            example = found[i]
            kept = model.decide(example.slots)
            pooled["model"][i] = replace(example.extraction, results=kept)
            matched = gold_matches(example.record, example.extraction, kept)
            held_out += [(r.confidence, float(m is not None)) for r, m in zip(kept, matched)]
        print(f"fold {k + 1}/{FOLDS}: threshold {model.thresholds[0]:.3f}", file=sys.stderr, flush=True)
    records = [e.record for e in found]
    counts = {variant: per_abstract(records, extractions) for variant, extractions in pooled.items()}
    results = {variant: summary(rows, resamples, folds) for variant, rows in counts.items()}
    print(json.dumps({"abstracts": len(found), "folds": FOLDS, "l2": l2, "scores": results}, indent=1))
    gain, low, high = paired_gain(counts["rules"], counts["model"], resamples)
    print(f"model F1 minus rules F1 (paired, abstracts resampled): {gain:+.4f} [{low:+.4f}, {high:+.4f}]")
    if scores:  # each abstract's counts, for --against of a later run on the same abstracts
        scores.write_text(json.dumps({"titles": [r["title"] for r in records],
                                      **{variant: rows.tolist() for variant, rows in counts.items()}}))
    if against:
        earlier = json.loads(against.read_text())
        if earlier["titles"] != [r["title"] for r in records]:
            sys.exit(f"{against}: scored other abstracts than this run")
        gain, low, high = paired_gain(np.array(earlier["model"]), counts["model"], resamples)
        print(f"model F1 minus {against}'s (paired, abstracts resampled): {gain:+.4f} [{low:+.4f}, {high:+.4f}]")
    for variant, extractions in pooled.items():
        right, matched = kinds_right(found, extractions)
        print(f"{variant}: the kind of {right} of its {matched} right results is the annotated one ({right / max(matched, 1):.3f})")
    halves = {name: [i for i, e in enumerate(found) if half(e.record["title"]) == name] for name in ("dev", "held-out")}
    confidences, truth = (np.array(x) for x in zip(*held_out)) if held_out else (np.zeros(0), np.zeros(0))
    print("reliability (model, kept results of the held-out folds):")
    for row in reliability(confidences[:, None], truth[:, None], np.ones(len(truth))):
        print(f"  {row['bin']}  n={row['n']:5d}  confidence {row['confidence']:.3f}  observed {row['observed']:.3f}")
    print("the model's results at or above a confidence (the leaderboard's --confidence, 0.5 by default):")
    for least in (0.3, 0.5, 0.7, 0.8, 0.9):
        score = score_results(records, [replace(x, results=[r for r in x.results if r.confidence >= least])
                                        for x in pooled["model"]]).score
        print(f"  >= {least:.1f}: precision {score.precision:.3f}, recall {score.recall:.3f} ({score.tp} right of {score.tp + score.fp})")
    print("| abstracts | extractor | precision | recall | F1 |\n|---|---|---|---|---|")
    for part, chosen in (("all", list(range(len(found)))), *halves.items()):
        for variant, rows in counts.items():
            row = results[variant] if part == "all" else summary(rows[chosen], resamples, [folds[i] for i in chosen])
            print(f"| {part} ({len(chosen)}) | {variant} | " + " | ".join(
                f"{row[n]['pooled']:.3f} [{row[n]['ci95'][0]:.3f}, {row[n]['ci95'][1]:.3f}]" for n in ("P", "R", "F1")) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", type=Path, default=sample_pool.POOL)
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 strength (by cross-validation: 1e-3 over 3e-4 and 3e-3)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--no-crossval", dest="folds", action="store_false", help="skip the cross-validation")
    parser.add_argument("--unseen", type=Path, metavar="DIR", default=None,
                        help="read each abstract with a recogniser trained without it (train_entities.py --crossval 5 "
                             "--keep DIR's, trained when missing: 15 min)")
    parser.add_argument("--scores", type=Path, default=None, help="write each abstract's counts here (JSON)")
    parser.add_argument("--against", type=Path, default=None,
                        help="an earlier run's --scores on the same abstracts: print the paired F1 difference")
    parser.add_argument("--write", action="store_true", help=f"train on all abstracts and write {result_model.MODEL_PATH.name}")
    args = parser.parse_args()
    records = annotated_records(args.pool)
    found = examples_unseen(records, args.unseen) if args.unseen else examples(records)
    gold = sum(len(e.record["results"]) for e in found)
    covered = sum(e.covered for e in found)
    print(f"slots: {sum(len(e.slots) for e in found)} for {len(found)} abstracts; reading recall "
          f"{covered}/{gold} = {covered / gold:.3f}")
    if args.folds:
        cross_validate(found, args.l2, args.resamples, args.scores, args.against)
    if args.write:
        model = train_model(found, args.l2)
        model.write(result_model.MODEL_PATH)
        print(f"wrote {result_model.MODEL_PATH} ({len(model.features)} features, threshold {model.thresholds[0]:.3f})",
              file=sys.stderr)


if __name__ == "__main__":
    main()

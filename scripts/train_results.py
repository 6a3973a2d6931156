"""Cross-validate the learned result extractor against the result rules.

Data: the result annotations of ``scripts/annotations/pool/`` joined to their abstracts (one
annotation per abstract, as ``scripts/eval_results.py``; the pairs of a doubly annotated abstract
are one abstract, so they share a fold), in five folds by the SHA-1 of the title. Every abstract
goes through the shipped pipeline once (cached under /tmp); the model learns from the wide
candidates of :mod:`paperkg.extractors.result_model`, a candidate labelled true when it matches a
gold result (subject, benchmark, metric and value). Within each fold's training part, three inner
folds give the held-out scores the Platt scaling and the threshold (best result F1) are fitted on.

    nice python scripts/train_results.py --pool ../shared/data/conference-abstracts/ml-conference-abstracts.jsonl.gz

Prints the candidate recall (the share of gold results some candidate matches: the model's
ceiling); for rules and model the pooled precision, recall and F1 over the held-out folds with
bootstrap 95% intervals (abstracts resampled) and the mean over folds, as JSON; the reliability of
the model's confidences; and a table of both on all abstracts and on each half of
``scripts/eval_results.py`` (the rules were written from the development half's errors, so only
the held-out half measures them unseen).
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
from train_relations import design, fit, folds_of, platt, processed_docs, reliability, vocabulary_of  # noqa: E402

from paperkg.extractors import result_model  # noqa: E402
from paperkg.extractors.evaluate_results import gold_matches, score_results  # noqa: E402
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
    """One abstract: its gold record, the rules' extraction, its candidates and their labels."""

    record: dict
    extraction: Extraction
    candidates: list[result_model.ResultCandidate]
    labels: np.ndarray  # candidates x 1
    matched: list[int | None]  # the gold result each candidate matches

    @property
    def covered(self) -> int:
        """How many gold results some candidate matches."""
        return len({m for m in self.matched if m is not None})


def examples(records: list[dict]) -> list[Example]:
    found = []
    for record, doc in zip(records, processed_docs([paper_of(r).text for r in records], "results-pool", load_pipeline())):
        extraction = doc_to_extraction(doc, paper_of(record))
        names = {e.id: e.name for e in extraction.entities}
        cands = result_model.candidates(doc, names)
        matched = gold_matches(record, extraction, [c.result for c in cands])
        labels = np.array([[float(m is not None)] for m in matched]).reshape(len(cands), 1)
        found.append(Example(record, extraction, cands, labels, matched))
    return found


def fold_of(title: str) -> int:
    return int(hashlib.sha1(title.encode()).hexdigest(), 16) % FOLDS


def _fit_raw(found: list[Example], l2: float) -> result_model.ResultModel:
    sets = [c.features for e in found for c in e.candidates]
    vocabulary = vocabulary_of(sets)
    labels = np.concatenate([e.labels for e in found])
    weights, bias = fit(design(sets, vocabulary, labels, np.ones(len(labels))), len(vocabulary), l2)
    return result_model.ResultModel(vocabulary, weights, bias, np.array([[1.0, 0.0]]), np.array([0.5]), True)


def train_model(found: list[Example], l2: float, inner_folds: int = 3) -> result_model.ResultModel:
    """Fit on ``found``; Platt scaling and threshold from ``inner_folds`` held-out folds of it (the
    threshold with the best result F1 over the slots' best readings)."""
    inner = folds_of(len(found), inner_folds, SEED + 1)
    held_out: list[tuple[Example, np.ndarray]] = []
    for k in range(inner_folds):
        model = _fit_raw([e for e, f in zip(found, inner) if f != k], l2)
        held_out += [(e, model.scores([c.features for c in e.candidates])[:, 0]) for e, f in zip(found, inner) if f == k]
    model = _fit_raw(found, l2)
    raw = np.concatenate([s for _, s in held_out])
    labels = np.concatenate([e.labels[:, 0] for e, _ in held_out])
    model.platt = np.array([platt(raw, labels, np.ones(len(labels)))])
    gold = sum(len(e.record["results"]) for e, _ in held_out)
    grid = np.arange(0.1, 0.9, 0.025)
    f1 = []
    for threshold in grid:
        kept = [(e, result_model.chosen(e.candidates, _calibrated(model, raw), threshold)) for e, raw in held_out]
        tp = sum(len({e.matched[i] for i in indices} - {None}) for e, indices in kept)
        f1.append(_f1(tp, sum(map(len, (i for _, i in kept))) - tp, gold - tp))
    model.thresholds = np.array([grid[int(np.argmax(f1))]])
    return model


def _calibrated(model: result_model.ResultModel, raw: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(raw * model.platt[0, 0] + model.platt[0, 1])))


def _decided(example: Example, model: result_model.ResultModel, raw: np.ndarray, threshold: float) -> list:
    return result_model.decide(example.candidates, _calibrated(model, raw), threshold)


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


def summary(records: list[dict], extractions: list[Extraction], resamples: int, folds: list[int]) -> dict:
    counts = np.array([[s.tp, s.fp, s.fn] for s in (score_results([r], [x]).score for r, x in zip(records, extractions))])
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


def cross_validate(found: list[Example], l2: float, resamples: int) -> None:
    folds = [fold_of(e.record["title"]) for e in found]
    pooled: dict[str, list] = {"rules": [e.extraction for e in found], "model": [None] * len(found)}
    held_out = []
    for k in range(FOLDS):
        model = train_model([e for e, f in zip(found, folds) if f != k], l2)
        for i in (i for i, f in enumerate(folds) if f == k):
            example = found[i]
            raw = model.scores([c.features for c in example.candidates])[:, 0]
            kept = _decided(example, model, raw, float(model.thresholds[0]))
            pooled["model"][i] = replace(example.extraction, results=kept)
            matched = gold_matches(example.record, example.extraction, kept)
            held_out += [(r.confidence, float(m is not None)) for r, m in zip(kept, matched)]
        print(f"fold {k + 1}/{FOLDS}: threshold {model.thresholds[0]:.3f}", file=sys.stderr, flush=True)
    records = [e.record for e in found]
    results = {variant: summary(records, extractions, resamples, folds) for variant, extractions in pooled.items()}
    print(json.dumps({"abstracts": len(found), "folds": FOLDS, "l2": l2, "scores": results}, indent=1))
    halves = {name: [i for i, e in enumerate(found) if half(e.record["title"]) == name] for name in ("dev", "held-out")}
    confidences, truth = (np.array(x) for x in zip(*held_out)) if held_out else (np.zeros(0), np.zeros(0))
    print("reliability (model, kept results of the held-out folds):")
    for row in reliability(confidences[:, None], truth[:, None], np.ones(len(truth))):
        print(f"  {row['bin']}  n={row['n']:5d}  confidence {row['confidence']:.3f}  observed {row['observed']:.3f}")
    print("| abstracts | extractor | precision | recall | F1 |\n|---|---|---|---|---|")
    for part, chosen in (("all", list(range(len(found)))), *halves.items()):
        for variant, extractions in pooled.items():
            row = results[variant] if part == "all" else summary([records[i] for i in chosen], [extractions[i] for i in chosen],
                                                                 resamples, [folds[i] for i in chosen])
            print(f"| {part} ({len(chosen)}) | {variant} | " + " | ".join(
                f"{row[n]['pooled']:.3f} [{row[n]['ci95'][0]:.3f}, {row[n]['ci95'][1]:.3f}]" for n in ("P", "R", "F1")) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", type=Path, default=sample_pool.POOL)
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 strength (by cross-validation: 1e-3 over 3e-4 and 3e-3)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    args = parser.parse_args()
    found = examples(annotated_records(args.pool))
    gold = sum(len(e.record["results"]) for e in found)
    covered = sum(e.covered for e in found)
    print(f"candidates: {sum(len(e.candidates) for e in found)} for {len(found)} abstracts; candidate recall "
          f"{covered}/{gold} = {covered / gold:.3f}")
    cross_validate(found, args.l2, args.resamples)


if __name__ == "__main__":
    main()

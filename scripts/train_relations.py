"""Train the relation model and choose between rules, model and both by 5-fold cross-validation.

Data: ``../shared/gold/train.jsonl`` and the pool annotations in ``scripts/annotations/pool/``
(joined to their abstracts by title; of an abstract annotated twice, the first file's), split
into five folds by abstract (seed 13). Every abstract goes through the shipped pipeline once;
the model learns from the pipeline's own entities, labelled by the gold entity each matches
(one matching only an optional gold entity teaches nothing), and every fold is scored end to
end with ``paperkg.extractors.evaluate`` on the pipeline's entities.

    nice python scripts/train_relations.py                 # cross-validate, then train on all and write the weights
    nice python scripts/train_relations.py --cv-only       # the table only
    nice python scripts/train_relations.py --confirm-dev   # once, at the end: the shipped model on dev.jsonl
    nice python scripts/train_relations.py --unseen /tmp/folds   # each abstract read by a recogniser that never saw it

The shipped recogniser and its typer were trained on these abstracts, so by default the model
learns from, and is scored on, entities found in abstracts the recogniser has seen (better than it
finds them in new ones). ``--unseen`` reads each abstract with the recogniser of the
cross-validation fold holding it (``train_entities.py --crossval 5 --keep DIR``, trained when
missing), so the cross-validated figures are those of new papers and the shipped weights learn
from entities as the pipeline finds them there.

Prints, for rules, model and combination (model with the rules' outputs as features): relation
F1 micro and per type and "papers using dataset X" P/R of the pooled held-out predictions with
bootstrap 95% intervals (papers resampled), the mean over folds beside them, and the reliability
table of the calibrated confidences on the held-out folds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import DocBin

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "annotations"))

from sample_pool import join  # noqa: E402
from train_entities import unseen_docs  # noqa: E402

from paperkg.extractors import relation_model  # noqa: E402
from paperkg.extractors.fitting import design, fit, vocabulary_of  # noqa: E402
from paperkg.extractors.evaluate import SCORED_RELATION_TYPES, evaluate, read_gold  # noqa: E402
from paperkg.extractors.extract import doc_to_extraction  # noqa: E402
from paperkg.extractors.normalize import canonical_key  # noqa: E402
from paperkg.extractors.pipeline import DATA_DIR, make_pipeline  # noqa: E402
from paperkg.extractors.readers import read_papers  # noqa: E402
from paperkg.extractors.records import Extraction, Paper, normalise_title, title_id  # noqa: E402
from paperkg.extractors.relations import RuleText, rule_relations  # noqa: E402

SHARED = ROOT.parent / "shared"
TRAIN = SHARED / "gold" / "train.jsonl"
DEV = SHARED / "gold" / "dev.jsonl"
SEEDS = SHARED / "seeds"
CACHE = Path("/tmp/paperkg-relmodel-cache")
SEED = 13
FOLDS = 5


def annotated_records() -> list[dict]:
    """train.jsonl and the pool annotations, one record per abstract."""
    records = read_gold(TRAIN)
    seen = set()
    for record in join():
        if record["qid"] in seen:  # annotated twice: keep the first annotator's
            continue
        seen.add(record["qid"])
        records.append({**record, "id": record["qid"]})
    return records


def paper_of(record: dict) -> Paper:
    return Paper(id=title_id(record["title"]), title=record["title"], abstract=record["abstract"])


def processed_docs(texts: list[str], name: str, nlp: Language | None = None) -> list:
    """``nlp``'s docs of ``texts`` (by default the pipeline without the relation model), cached
    under /tmp by the texts and the pipeline's data files, so that a retrained recogniser or
    model is never read from an older cache."""
    nlp = nlp or make_pipeline(relation_model=False)
    data = sorted(path for path in DATA_DIR.rglob("*") if path.is_file())
    digest = hashlib.sha1("\n".join([*texts,
                                     *(f"{p}{p.stat().st_mtime_ns}" for p in data)]).encode()).hexdigest()[:12]
    path = CACHE / f"{name}-{len(texts)}-{digest}.spacy"
    if path.exists():
        return list(DocBin().from_disk(path).get_docs(nlp.vocab))
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=64))
    print(f"pipeline: {len(docs)} abstracts in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    DocBin(store_user_data=True, docs=docs).to_disk(path)
    return docs


@dataclass
class Example:
    """One abstract: its gold record, doc, rules' relations, candidates and their labels
    (candidates x labels; a row of None-weight is an entity matching only an optional gold one)."""

    record: dict
    doc: object
    text: RuleText
    rules: list[tuple]
    candidates: list[relation_model.Candidate]
    labels: np.ndarray
    weights: np.ndarray


def _keys(names) -> set[str]:
    return {canonical_key(n) for n in names if n}


def gold_labels(record: dict, extraction: Extraction, found: list[relation_model.Candidate]) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate's gold relations, through the gold entity it matches (any shared canonical key)."""
    gold = [_keys([e["name"], *e.get("aliases", [])]) for e in record["entities"]]
    optional = [_keys([e["name"], *e.get("aliases", [])]) for e in record.get("optional", [])]
    tails: dict[int, set[str]] = {}
    for rel in record.get("relations", []):
        if rel["type"] not in relation_model.LABELS or (rel["type"] != "COMPARES_WITH" and rel["head"] != "PAPER"):
            continue
        key = canonical_key(rel["tail"])
        for i, keys in enumerate(gold):
            if key in keys:
                tails.setdefault(i, set()).add(rel["type"])
    names = {e.id: _keys([e.name, *e.aliases]) for e in extraction.entities}
    labels = np.zeros((len(found), len(relation_model.LABELS)))
    weights = np.ones(len(found))
    for row, candidate in enumerate(found):
        keys = names.get(candidate.key, {candidate.key})
        matched = [i for i, g in enumerate(gold) if g & keys]
        if not matched and any(o & keys for o in optional):
            weights[row] = 0.0
        for i in matched:
            for label in tails.get(i, ()):
                labels[row, relation_model.LABELS.index(label)] = 1.0
    return labels, weights


def examples(records: list[dict], name: str, unseen: Path | None = None) -> list[Example]:
    """The abstracts read by the shipped pipeline (cached as ``name``), or with ``unseen`` (a
    folder of fold recognisers) each by a recogniser that never saw it."""
    docs = processed_docs([paper_of(r).text for r in records], name) if unseen is None else unseen_docs(records, unseen, relation_model=False)
    found = []
    for record, doc in zip(records, docs):
        groups = doc._.entity_groups
        rules = rule_relations(doc, groups)
        text = RuleText(doc, groups)
        doc._.relations = rules
        cands = relation_model.candidates(text, rules, doc._.abbreviations)
        labels, weights = gold_labels(record, doc_to_extraction(doc, paper_of(record)), cands)
        found.append(Example(record, doc, text, rules, cands, labels, weights))
    return found


def platt(raw: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> tuple[float, float]:
    """Platt scaling of one label's held-out scores: a, b of sigmoid(a * score + b) (Newton steps)."""
    a, b = 1.0, 0.0
    x = np.stack([raw, np.ones_like(raw)], axis=1)
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(a * raw + b, -30, 30)))
        grad = x.T @ ((p - labels) * weights)
        hessian = (x * (p * (1 - p) * weights)[:, None]).T @ x + 1e-6 * np.eye(2)
        a, b = np.array([a, b]) - np.linalg.solve(hessian, grad)
    return float(a), float(b)


def best_threshold(probabilities: np.ndarray, labels: np.ndarray, weights: np.ndarray) -> float:
    """The decision threshold with the best F1 on held-out probabilities."""
    keep = weights > 0
    p, y = probabilities[keep], labels[keep]
    grid = np.arange(0.15, 0.8, 0.025)
    f1 = [2 * ((p >= t) & (y == 1)).sum() / max((p >= t).sum() + (y == 1).sum(), 1) for t in grid]
    return float(grid[int(np.argmax(f1))])


def folds_of(n: int, k: int, seed: int = SEED) -> list[int]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    fold = [0] * n
    for position, i in enumerate(order):
        fold[i] = position % k
    return fold


def feature_sets(found: list[Example], uses_rules: bool) -> list[set[str]]:
    rule_free = lambda f: not any(part.startswith(("rule:", "rule-type:", "head:", "variant-of")) for part in f.split("|"))  # noqa: E731
    return [c.features if uses_rules else {f for f in c.features if rule_free(f)} for e in found for c in e.candidates]


def stacked(found: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    return (np.concatenate([e.labels for e in found]) if found else np.zeros((0, 4)),
            np.concatenate([e.weights for e in found]) if found else np.zeros(0))


def train_model(found: list[Example], uses_rules: bool, l2: float, inner_folds: int = 3) -> relation_model.RelationModel:
    """Fit on ``found``; Platt scaling and thresholds from ``inner_folds`` held-out folds of it."""
    held_out_scores, labels, weights = [], [], []
    inner = folds_of(len(found), inner_folds, SEED + 1)
    for k in range(inner_folds):
        part = [e for e, f in zip(found, inner) if f != k]
        rest = [e for e, f in zip(found, inner) if f == k]
        model = _fit_raw(part, uses_rules, l2)
        held_out_scores.append(model.scores(feature_sets(rest, uses_rules)))
        y, w = stacked(rest)
        labels.append(y)
        weights.append(w)
    raw, y, w = np.concatenate(held_out_scores), np.concatenate(labels), np.concatenate(weights)
    model = _fit_raw(found, uses_rules, l2)
    model.platt = np.array([platt(raw[:, k], y[:, k], w) for k in range(len(relation_model.LABELS))])
    calibrated = 1 / (1 + np.exp(-(raw * model.platt[:, 0] + model.platt[:, 1])))
    model.thresholds = np.array([best_threshold(calibrated[:, k], y[:, k], w) for k in range(len(relation_model.LABELS))])
    return model


def _fit_raw(found: list[Example], uses_rules: bool, l2: float) -> relation_model.RelationModel:
    sets = feature_sets(found, uses_rules)
    vocabulary = vocabulary_of(sets)
    y, w = stacked(found)
    weights, bias = fit(design(sets, vocabulary, y, w), len(vocabulary), l2)
    n = len(relation_model.LABELS)
    return relation_model.RelationModel(vocabulary, weights, bias, np.tile([1.0, 0.0], (n, 1)), np.full(n, 0.5), uses_rules)


# --- end-to-end scoring ---------------------------------------------------------------------------

VARIANTS = ("rules", "model", "combination")


def predicted_relations(example: Example, model: relation_model.RelationModel | None,
                        probabilities: np.ndarray | None) -> list[tuple]:
    """What a variant states for one abstract: the rules' relations, or the model's decisions."""
    if model is None:
        return example.rules
    return relation_model.relations_from(example.text, example.candidates, probabilities, model.thresholds,
                                         example.rules)


def extraction_of(example: Example, relations: list[tuple]) -> Extraction:
    example.doc._.relations = relations
    return doc_to_extraction(example.doc, paper_of(example.record))


def summary(report) -> dict[str, float]:
    scores = report.to_dict()
    row = {"relation F1": scores["relations"]["micro"]["f1"]}
    row |= {f"{t} F1": scores["relations"][t]["f1"] for t in SCORED_RELATION_TYPES}
    row |= {"using P": scores["papers_using_dataset"]["precision"], "using R": scores["papers_using_dataset"]["recall"]}
    return row


def _dataset_keys(records: list[dict]) -> dict[str, set[str]]:
    """Every gold dataset or benchmark some paper uses or evaluates on, by its main key (as
    ``paperkg.extractors.evaluate`` counts "papers using dataset X")."""
    keys: dict[str, set[str]] = {}
    for record in records:
        for rel in record.get("relations", []):
            entity = next((e for e in record["entities"] if rel["tail"] in [e["name"], *e.get("aliases", [])]), None)
            if rel["type"] in {"USES", "EVALUATES_ON"} and entity and entity["type"] in {"Dataset", "Benchmark"}:
                keys.setdefault(canonical_key(entity["name"]), set()).update(_keys([entity["name"], *entity.get("aliases", [])]))
    return keys


def _users(records: list[dict], extractions: list[Extraction], keys: dict[str, set[str]]) -> tuple[np.ndarray, np.ndarray]:
    """Papers x datasets: whether the gold, and the extraction, say the paper uses each dataset."""
    mains = {m: j for j, m in enumerate(keys)}
    columns: dict[str, set[int]] = {}  # a key -> the datasets it names
    for main, names in keys.items():
        for key in names:
            columns.setdefault(key, set()).add(mains[main])
    gold, predicted = np.zeros((len(records), len(mains)), np.float32), np.zeros((len(records), len(mains)), np.float32)
    for i, (record, extraction) in enumerate(zip(records, extractions)):
        for rel in record.get("relations", []):
            entity = next((e for e in record["entities"] if rel["tail"] in [e["name"], *e.get("aliases", [])]), None)
            if rel["type"] in {"USES", "EVALUATES_ON"} and entity and entity["type"] in {"Dataset", "Benchmark"}:
                gold[i, mains[canonical_key(entity["name"])]] = 1
        names = {e.name: _keys([e.name, *e.aliases]) for e in extraction.entities}
        for rel in extraction.relations:
            if rel.type in {"USES", "EVALUATES_ON"}:
                for key in names.get(rel.tail, {canonical_key(rel.tail)}):
                    predicted[i, list(columns.get(key, ()))] = 1
    return gold, predicted


def bootstrap(records: list[dict], extractions: list[Extraction], resamples: int, seed: int = SEED) -> dict[str, tuple]:
    """95% intervals of every summary figure, papers resampled with replacement: relation counts
    per paper, and "papers using dataset X" per paper and dataset, summed over each resample."""
    counts = np.array([[getattr(evaluate([r], [x]).relations[t], c) for t in SCORED_RELATION_TYPES for c in ("tp", "fp", "fn")]
                       for r, x in zip(records, extractions)], dtype=float).reshape(len(records), -1, 3)
    gold, predicted = _users(records, extractions, _dataset_keys(records))
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(resamples):
        drawn = np.bincount(rng.integers(0, len(records), len(records)), minlength=len(records)).astype(np.float32)
        tp, fp, fn = np.tensordot(drawn, counts, axes=1).T
        row = {"relation F1": _f1(tp.sum(), fp.sum(), fn.sum())}
        row |= {f"{t} F1": _f1(tp[k], fp[k], fn[k]) for k, t in enumerate(SCORED_RELATION_TYPES)}
        users, said, both = drawn @ gold, drawn @ predicted, drawn @ (gold * predicted)
        used = users > 0
        row["using P"] = float(np.mean(both[used & (said > 0)] / said[used & (said > 0)]))
        row["using R"] = float(np.mean(both[used] / users[used]))
        rows.append(row)
    return {name: tuple(np.percentile([r[name] for r in rows], [2.5, 97.5])) for name in rows[0]}


def _f1(tp: float, fp: float, fn: float) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def reliability(probabilities: np.ndarray, labels: np.ndarray, weights: np.ndarray, bins: int = 10) -> list[dict]:
    """Calibration on held-out candidates, all four labels pooled: per probability bin, how many,
    the mean confidence and how often the relation was true."""
    p, y = probabilities[weights > 0].ravel(), labels[weights > 0].ravel()
    edges = np.linspace(0, 1, bins + 1)
    table = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (p >= lo) & ((p < hi) if hi < 1 else (p <= hi))
        if inside.any():
            table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(inside.sum()), "confidence": float(p[inside].mean()),
                          "observed": float(y[inside].mean())})
    return table


def cross_validate(found: list[Example], l2: float, resamples: int) -> None:
    fold = folds_of(len(found), FOLDS)
    per_fold = {v: [] for v in VARIANTS}
    pooled = {v: [None] * len(found) for v in VARIANTS}
    held_out = {v: [] for v in VARIANTS[1:]}
    for k in range(FOLDS):
        train = [e for e, f in zip(found, fold) if f != k]
        test = [i for i, f in enumerate(fold) if f == k]
        models = {"rules": None, "model": train_model(train, False, l2), "combination": train_model(train, True, l2)}
        for variant, model in models.items():
            probabilities = model.probabilities(feature_sets([found[i] for i in test], model.uses_rules)) if model else None
            offset = 0
            for i in test:
                n = len(found[i].candidates)
                rows = probabilities[offset : offset + n] if model else None
                offset += n
                pooled[variant][i] = extraction_of(found[i], predicted_relations(found[i], model, rows))
            if model:
                held_out[variant].append((probabilities, *stacked([found[i] for i in test])))
            per_fold[variant].append(summary(evaluate([found[i].record for i in test], [pooled[variant][i] for i in test])))
        print(f"fold {k + 1}/{FOLDS}: " + "; ".join(f"{v} rel F1 {per_fold[v][-1]['relation F1']:.3f}" for v in VARIANTS),
              file=sys.stderr, flush=True)
    records = [e.record for e in found]
    results = {}
    for variant in VARIANTS:
        intervals = bootstrap(records, pooled[variant], resamples)
        point = summary(evaluate(records, pooled[variant]))
        results[variant] = {name: {"pooled": point[name], "fold mean": float(np.mean([r[name] for r in per_fold[variant]])),
                                   "ci95": [round(x, 4) for x in intervals[name]]} for name in intervals}
    print(json.dumps({"papers": len(found), "folds": FOLDS, "l2": l2, "scores": results}, indent=1))
    for variant, parts in held_out.items():
        probabilities, labels, weights = (np.concatenate(x) for x in zip(*parts))
        print(f"reliability ({variant}, held-out candidates, four labels pooled):")
        for row in reliability(probabilities, labels, weights):
            print(f"  {row['bin']}  n={row['n']:6d}  confidence {row['confidence']:.3f}  observed {row['observed']:.3f}")
    print_table(results)


def print_table(results: dict) -> None:
    names = list(next(iter(results.values())))
    print("| variant | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for variant, row in results.items():
        cells = [f"{row[n]['pooled']:.3f} [{row[n]['ci95'][0]:.3f}, {row[n]['ci95'][1]:.3f}]"
                 + (f" (folds {row[n]['fold mean']:.3f})" if "fold mean" in row[n] else "") for n in names]
        print(f"| {variant} | " + " | ".join(cells) + " |")


def confirm_dev(resamples: int) -> None:
    """The shipped pipeline (rules and model) against the rules alone on dev.jsonl: once, to confirm."""
    # dev.jsonl holds no text: the abstracts are those of the seed pages it annotates
    papers = {normalise_title(p.title): p for p in read_papers([str(path) for path in sorted(SEEDS.glob("*.txt"))])}
    records = [{**r, "abstract": papers[normalise_title(r["title"])].abstract} for r in read_gold(DEV)
               if normalise_title(r["title"]) in papers]
    found = examples(records, "dev")
    model = relation_model.RelationModel.load()
    results = {}
    for variant, chosen in (("rules", None), ("shipped", model)):
        extractions = []
        for example in found:
            rows = model.probabilities([c.features for c in example.candidates]) if chosen else None
            extractions.append(extraction_of(example, predicted_relations(example, chosen, rows)))
        point = summary(evaluate(records, extractions))
        intervals = bootstrap(records, extractions, resamples)
        results[variant] = {n: {"pooled": point[n], "ci95": [round(x, 4) for x in intervals[n]]} for n in point}
    print_table(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv-only", action="store_true", help="cross-validate, write no weights")
    parser.add_argument("--no-cv", action="store_true", help="train on all and write the weights, no cross-validation")
    parser.add_argument("--confirm-dev", action="store_true", help="score the shipped model on dev.jsonl (once, at the end)")
    parser.add_argument("--l2", type=float, default=3e-4,
                        help="L2 strength (chosen by cross-validation: 3e-4 over 1e-3 and 1e-4; before the name filter 1e-3 over 1e-2)")
    parser.add_argument("--resamples", type=int, default=200, help="bootstrap resamples")
    parser.add_argument("--variant", choices=("model", "combination"), default="combination", help="what to ship")
    parser.add_argument("--unseen", type=Path, metavar="DIR", default=None,
                        help="read each abstract with a recogniser trained without it, to train and score on "
                             "(train_entities.py --crossval 5 --keep DIR's, trained when missing: 15 min)")
    args = parser.parse_args()
    if args.confirm_dev:
        confirm_dev(args.resamples)
        return
    found = examples(annotated_records(), "train-pool", args.unseen)
    if not args.no_cv:
        cross_validate(found, args.l2, args.resamples)
    if not args.cv_only:
        model = train_model(found, args.variant == "combination", args.l2, inner_folds=FOLDS)
        model.write(relation_model.MODEL_PATH)
        print(f"wrote {relation_model.MODEL_PATH} ({len(model.features)} features)", file=sys.stderr)


if __name__ == "__main__":
    main()

"""Train paperkg's entity recogniser (the guideline's six types) and measure it by cross-validation.

Training data: ``../shared/gold/train.jsonl`` plus the pool annotations of
``scripts/annotations/pool/`` joined to their abstracts by title (of an abstract
annotated twice, the first file's annotation). ``dev.jsonl`` is never read here.

    python scripts/train_entities.py                      # train on everything, ship extractors/data/entities/
    python scripts/train_entities.py --folds /tmp/folds   # ... keeping the five fold recognisers, for --unseen
    python scripts/train_entities.py --crossval 5         # 5-fold CV: old pipeline vs the trained one
    python scripts/train_entities.py --crossval 5 --keep /tmp/folds --set training.max_steps=2000
    python scripts/train_entities.py --crossval 5 --first 3 --scores /tmp/cv.pickle   # folds 0-2 of the same split
    python scripts/train_entities.py --crossval 5 --first 3 --keep /tmp/folds --reuse --against /tmp/cv.pickle  # the same recognisers
    python scripts/train_entities.py --crossval 5 --first 3 --against /tmp/cv.pickle \
        --vectors build/vectors --set components.ner.model.tok2vec.embed.include_static_vectors=true

Fixed seed, one BLAS thread, CPU only. Prints JSON lines: per fold, then the mean over folds
and the pooled figure with its bootstrap 95% interval; with ``--against``, each figure minus that
of an earlier run's ``--scores`` on the same papers, with a paired bootstrap interval.

Training the shipped recogniser trains the five fold recognisers too: its typer and name filter
learn from the annotated abstracts as recognisers that never saw them read them
(:func:`paperkg.extractors.training.cross_fit_typing`).
"""

from __future__ import annotations

import os

# One BLAS thread: the same numbers on every run.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "annotations"))

from sample_pool import join, title_key  # noqa: E402

from paperkg.extractors.crossval import TrainingRun, cross_validate, dev_split, fold_model, train_folds  # noqa: E402
from paperkg.extractors.evaluate import HEADLINE_MEASURES, bootstrap, headline  # noqa: E402
from paperkg.extractors.pipeline import ENTITY_MODEL, NER_MODEL, make_pipeline  # noqa: E402
from paperkg.extractors.training import gold_text  # noqa: E402

TRAIN = ROOT.parent / "shared" / "gold" / "train.jsonl"
CONFIG = Path(__file__).with_name("entities.cfg")


def training_records(train: Path = TRAIN) -> list[dict]:
    """train.jsonl, then each pool abstract once (the first annotation of a doubly annotated one)."""
    with open(train, encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    seen = {title_key(r["title"]) for r in records}
    for record in join():
        key = title_key(record["title"])
        if key not in seen:
            seen.add(key)
            records.append(record)
    return records


def unseen_recognisers(records: list[dict], folder: Path, folds: int = 5, seed: int = 0) -> list[Path]:
    """For each of ``records``, a recogniser that never saw it: that of the cross-validation fold
    holding it (``--crossval 5 --keep folder``: ``folder/fold-K``, trained here the same way when
    missing, one per core at a time). A record outside the annotated abstracts gets fold 0's."""
    split = train_folds(training_records(), folder, folds, config=CONFIG, seed=seed, quiet=True)
    fold_of = {title_key(r["title"]): fold.index for fold in split for r in fold.test}
    return [fold_model(folder, fold_of.get(title_key(r["title"]), 0)) for r in records]


def unseen_docs(records: list[dict], folder: Path, *, relation_model: bool) -> list:
    """Each of ``records`` read by the pipeline around a recogniser that never saw it
    (:func:`unseen_recognisers`), with the relation model or (``relation_model=False``) its rules alone."""
    recognisers = unseen_recognisers(records, folder)
    docs: list = [None] * len(records)
    for recogniser in sorted(set(recognisers)):
        chosen = [i for i, path in enumerate(recognisers) if path == recogniser]
        nlp = make_pipeline(ner_model=recogniser, relation_model=relation_model)
        for i, doc in zip(chosen, nlp.pipe([gold_text(records[i]) for i in chosen], batch_size=64)):
            docs[i] = doc
    return docs


def _overrides(args) -> dict:
    """The ``--set`` overrides, and the config's ``paths.vectors`` if ``--vectors`` names a table."""
    settings = {"paths.vectors": str(args.vectors)} if args.vectors else {}
    for item in args.set:
        key, _, value = item.partition("=")
        settings[key] = json.loads(value)
    return settings


def _old_pipeline(_trained: Path):
    """The pipeline before this recogniser: the SciREX ner and the rules."""
    return make_pipeline(ner_model=NER_MODEL)


def paired_difference(ours: list, theirs: list, samples: int, seed: int) -> dict[str, list[float]]:
    """Each headline measure of ``ours`` minus that of ``theirs`` (the same papers, in the same order)
    with a percentile bootstrap 95% interval: a draw takes a paper's scores of both runs together."""
    rng = random.Random(seed)
    drawn: dict[str, list[float]] = {m: [] for m in HEADLINE_MEASURES}
    for _ in range(samples):
        weights = [0] * len(ours)
        for i in (rng.randrange(len(ours)) for _ in ours):
            weights[i] += 1
        a, b = headline(ours, weights), headline(theirs, weights)
        for measure in HEADLINE_MEASURES:
            drawn[measure].append(a[measure] - b[measure])
    a, b = headline(ours), headline(theirs)
    return {m: [round(a[m] - b[m], 4), *(round(sorted(v)[int(q * (len(v) - 1))], 4) for q in (0.025, 0.975))]
            for m, v in drawn.items()}


def crossval(records: list[dict], args, baselines: dict | None = None) -> None:
    """Per fold and pooled figures of the trained pipeline, the old one and any ``baselines``."""
    pooled: dict[str, list] = {}
    per_fold: dict[str, list[dict]] = {}
    results = cross_validate(records, args.crossval, config=args.config, seed=args.seed,
                             overrides=_overrides(args), baselines={"old": _old_pipeline, **(baselines or {})},
                             keep=args.keep, reuse=args.reuse, jobs=args.jobs, first=args.first)
    for result in results:
        for name, scores in result.scores.items():
            pooled.setdefault(name, []).extend(scores)
            figures = {m: round(i.value, 4) for m, i in bootstrap(scores, samples=0).items()}
            per_fold.setdefault(name, []).append(figures)
            print(json.dumps({"fold": result.index, "pipeline": name, "papers": len(scores), **figures}), flush=True)
    for name, scores in pooled.items():
        intervals = bootstrap(scores, samples=args.bootstrap, seed=args.seed)
        mean = {m: round(sum(f[m] for f in per_fold[name]) / len(per_fold[name]), 4) for m in HEADLINE_MEASURES}
        print(json.dumps({"pipeline": name, "fold_mean": mean, "pooled": {
            m: [round(v, 4) for v in intervals[m]] for m in HEADLINE_MEASURES}}), flush=True)
    if args.scores:  # each paper's scores, for --against of a later run on the same papers
        args.scores.write_bytes(pickle.dumps(pooled))
    if args.against:
        earlier = pickle.loads(args.against.read_bytes())
        for name in pooled.keys() & earlier.keys():
            if len(pooled[name]) != len(earlier[name]):
                sys.exit(f"{args.against}: {name} scored {len(earlier[name])} papers, this run {len(pooled[name])}")
            print(json.dumps({"pipeline": name, "minus": str(args.against), "difference": paired_difference(
                pooled[name], earlier[name], args.bootstrap, args.seed)}), flush=True)


def main(baselines: dict | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--output", type=Path, default=ENTITY_MODEL, help="where the trained recogniser goes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vectors", type=Path, default=None,
                        help="a static vectors table for the config's paths.vectors (scripts/build_vectors.py)")
    parser.add_argument("--crossval", type=int, default=0, metavar="K", help="K-fold cross-validation instead of training")
    parser.add_argument("--first", type=int, default=None, metavar="N",
                        help="score only the first N folds of the K-fold split (the same papers as in a full run)")
    parser.add_argument("--scores", type=Path, default=None, help="pickle each paper's scores per pipeline here")
    parser.add_argument("--against", type=Path, default=None,
                        help="an earlier run's --scores (same folds): print each figure's paired difference")
    parser.add_argument("--keep", type=Path, default=None, help="keep each fold's model here (fold-K)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: score the folds' kept models, training only the folds it lacks")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="recognisers trained at once, each on one core (default: one per core)")
    parser.add_argument("--folds", type=Path, default=None, metavar="DIR",
                        help="keep the five fold recognisers the shipped typer and name filter learn from here "
                             "(training those DIR lacks, as --crossval 5 --keep DIR would), for train_relations.py "
                             "and train_results.py --unseen DIR")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples of the pooled intervals")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. --set training.max_steps=2000 (VALUE parsed as JSON)")
    args = parser.parse_args()
    if args.vectors and not args.vectors.exists():
        parser.error(f"{args.vectors}: no vectors table (build it with scripts/build_vectors.py)")
    records = training_records()
    print(json.dumps({"records": len(records), "words": sum(len(r["abstract"].split()) for r in records)}), flush=True)
    if args.crossval:
        crossval(records, args, baselines)
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="paperkg-folds-") as work:
        train_folds(records, args.folds or work, 5, main=TrainingRun(*dev_split(records, args.seed), args.output),
                    config=args.config, seed=args.seed, overrides=_overrides(args), jobs=args.jobs, quiet=True)
    size = sum(p.stat().st_size for p in args.output.rglob("*") if p.is_file())
    print(json.dumps({"model": str(args.output), "folds": str(args.folds), "train_seconds": round(time.perf_counter() - started),
                      "model_bytes": size}))


if __name__ == "__main__":
    main()

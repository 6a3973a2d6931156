"""Train paperkg's entity recogniser (the guideline's six types) and measure it by cross-validation.

Training data: ``../shared/gold/train.jsonl`` plus the pool annotations of
``scripts/annotations/pool/`` joined to their abstracts by title (of an abstract
annotated twice, the first file's annotation). ``dev.jsonl`` is never read here.

    python scripts/train_entities.py                      # train on everything, ship extractors/data/entities/
    python scripts/train_entities.py --crossval 5         # 5-fold CV: old pipeline vs the trained one
    python scripts/train_entities.py --crossval 5 --keep /tmp/folds --set training.max_steps=2000

Fixed seed, one BLAS thread, CPU only. Prints JSON lines: per fold, then the mean over folds
and the pooled figure with its bootstrap 95% interval.
"""

from __future__ import annotations

import os

# One BLAS thread: the same numbers on every run.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "annotations"))

from sample_pool import join, title_key  # noqa: E402

from paperkg.extractors.crossval import cross_validate, dev_split  # noqa: E402
from paperkg.extractors.evaluate import HEADLINE_MEASURES, bootstrap  # noqa: E402
from paperkg.extractors.pipeline import ENTITY_MODEL, NER_MODEL, make_pipeline  # noqa: E402
from paperkg.extractors.training import train_recogniser  # noqa: E402

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


def _overrides(items: list[str]) -> dict:
    settings = {}
    for item in items:
        key, _, value = item.partition("=")
        settings[key] = json.loads(value)
    return settings


def _old_pipeline(_trained: Path):
    """The pipeline before this recogniser: the SciREX ner and the rules."""
    return make_pipeline(ner_model=NER_MODEL)


def crossval(records: list[dict], args, baselines: dict | None = None) -> None:
    """Per fold and pooled figures of the trained pipeline, the old one and any ``baselines``."""
    pooled: dict[str, list] = {}
    per_fold: dict[str, list[dict]] = {}
    for result in cross_validate(records, args.crossval, config=args.config, seed=args.seed,
                                 overrides=_overrides(args.set), baselines={"old": _old_pipeline, **(baselines or {})},
                                 keep=args.keep):
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


def main(baselines: dict | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--output", type=Path, default=ENTITY_MODEL, help="where the trained recogniser goes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crossval", type=int, default=0, metavar="K", help="K-fold cross-validation instead of training")
    parser.add_argument("--keep", type=Path, default=None, help="keep each fold's model here (fold-K)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples of the pooled intervals")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. --set training.max_steps=2000 (VALUE parsed as JSON)")
    args = parser.parse_args()
    records = training_records()
    print(json.dumps({"records": len(records), "words": sum(len(r["abstract"].split()) for r in records)}), flush=True)
    if args.crossval:
        crossval(records, args, baselines)
        return
    train, dev = dev_split(records, args.seed)
    started = time.perf_counter()
    model = train_recogniser(args.config, train, dev, args.output,
                             overrides={"system.seed": args.seed, **_overrides(args.set)})
    size = sum(p.stat().st_size for p in model.rglob("*") if p.is_file())
    print(json.dumps({"model": str(model), "train_seconds": round(time.perf_counter() - started), "model_bytes": size}))


if __name__ == "__main__":
    main()

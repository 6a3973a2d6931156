"""Draw the abstracts to annotate from the unlabelled pool, and join annotations back to their text.

The pool stays in ``../shared``: annotation files in this folder name each abstract by its
title, and :func:`join` finds the text again at training time.

Usage::

    python scripts/annotations/sample_pool.py --count 2400 --out /tmp/queue.jsonl

draws ``--count`` pool abstracts (seed 13) that are in neither ``train.jsonl`` nor ``dev.jsonl``,
in a fixed random order, as ``{"qid", "title", "abstract", "venue"}`` lines for annotators.
``--stating-results`` keeps only abstracts that state a number the way results are stated
(:data:`RESULT_STATED`) and no annotation file of this folder names yet, in the same order::

    python scripts/annotations/sample_pool.py --count 300 --stating-results --out /tmp/queue.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from pathlib import Path
from typing import Iterator

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
POOL = SHARED / "data" / "conference-abstracts" / "ml-conference-abstracts.jsonl.gz"
GOLD = SHARED / "gold"
HERE = Path(__file__).resolve().parent

#: A percentage or points, or a metric word near a decimal: how abstracts state results.
_METRIC = r"(accuracy|AP|mAP|AP50|BLEU|ROUGE(-L)?|F1|FID|WER|CER|mIoU|PSNR|SSIM|AUC|AUROC|pass@\d+|success rate|EM|NDCG|MRR|recall|precision)"
RESULT_STATED = re.compile(rf"\d(\.\d+)?\s?(\\?%|points?\b|pp\b)|\b{_METRIC}\b[^.]{{0,40}}\b\d+\.\d+|\b\d+\.\d+\b[^.]{{0,40}}\b{_METRIC}\b")


def title_key(title: str) -> str:
    """The title as annotation files reference it: lowercase letters and digits only."""
    return re.sub(r"[^a-z0-9]+", "", title.lower())


def pool_records(pool: Path = POOL) -> Iterator[dict]:
    with gzip.open(pool, "rt", encoding="utf-8") as lines:
        for line in lines:
            yield json.loads(line)


def gold_titles(gold: Path = GOLD) -> set[str]:
    titles = set()
    for name in ("train.jsonl", "dev.jsonl"):
        with open(gold / name, encoding="utf-8") as lines:
            titles.update(title_key(json.loads(line).get("title", "")) for line in lines)
    return titles


def sample(count: int, seed: int = 13, stating_results: bool = False) -> list[dict]:
    """``count`` pool records not in the gold files, in a fixed random order (qid: the place in
    it); with ``stating_results``, only those that :data:`RESULT_STATED` matches and no annotation
    file of this folder names."""
    taken = gold_titles()
    records = [r for r in pool_records() if title_key(r["title"]) not in taken and len(r.get("abstract", "")) > 200]
    random.Random(seed).shuffle(records)
    drawn = [{"qid": f"pool-{i:05d}", "title": r["title"], "abstract": r["abstract"], "venue": r.get("venue", "")}
             for i, r in enumerate(records)]
    if stating_results:
        annotated = {title_key(a["title"]) for a in annotations()}
        drawn = [r for r in drawn if title_key(r["title"]) not in annotated and RESULT_STATED.search(r["abstract"])]
    return drawn[:count]


def annotations(annotation_files: list[Path] | None = None) -> Iterator[dict]:
    """The annotation records of this folder's files (``pool/*.jsonl``), as written."""
    for path in annotation_files or sorted(HERE.glob("pool/*.jsonl")):
        with open(path, encoding="utf-8") as lines:
            yield from (json.loads(line) for line in lines if line.strip())


def join(annotation_files: list[Path] | None = None) -> Iterator[dict]:
    """Annotations of this folder with their title and abstract from the pool, as gold-file records."""
    by_title = {title_key(r["title"]): r for r in pool_records()}
    for annotation in annotations(annotation_files):
        record = by_title.get(title_key(annotation["title"]))
        if record is not None:
            yield {**annotation, "abstract": record["abstract"], "venue": record.get("venue", "")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--stating-results", action="store_true",
                        help="only abstracts that state results, not annotated yet (in the same order)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as out:
        for record in sample(args.count, args.seed, args.stating_results):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""Draw the abstracts to annotate from the unlabelled pool, and join annotations back to their text.

The pool stays in ``../shared``: annotation files in this folder name each abstract by its
title, and :func:`join` finds the text again at training time.

Usage::

    python scripts/annotations/sample_pool.py --count 2400 --out /tmp/queue.jsonl

draws ``--count`` pool abstracts (seed 13) that are in neither ``train.jsonl`` nor ``dev.jsonl``,
in a fixed random order, as ``{"qid", "title", "abstract", "venue"}`` lines for annotators.
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


def sample(count: int, seed: int = 13) -> list[dict]:
    """``count`` pool records not in the gold files, in a fixed random order."""
    taken = gold_titles()
    records = [r for r in pool_records() if title_key(r["title"]) not in taken and len(r.get("abstract", "")) > 200]
    random.Random(seed).shuffle(records)
    return [{"qid": f"pool-{i:05d}", "title": r["title"], "abstract": r["abstract"], "venue": r.get("venue", "")}
            for i, r in enumerate(records[:count])]


def join(annotation_files: list[Path] | None = None) -> Iterator[dict]:
    """Annotations of this folder with their title and abstract from the pool, as gold-file records."""
    files = annotation_files or sorted(HERE.glob("pool/*.jsonl"))
    by_title = {title_key(r["title"]): r for r in pool_records()}
    for path in files:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                annotation = json.loads(line)
                record = by_title.get(title_key(annotation["title"]))
                if record is not None:
                    yield {**annotation, "abstract": record["abstract"], "venue": record.get("venue", "")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8") as out:
        for record in sample(args.count, args.seed):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

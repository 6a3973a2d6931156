"""The result rules' precision and recall on the annotated pool abstracts, development and held-out halves.

Usage::

    python scripts/eval_results.py [--pool ../shared/data/conference-abstracts/ml-conference-abstracts.jsonl.gz]
                                   [--errors 0]

Joins ``scripts/annotations/pool/*.jsonl`` to their abstracts (by title), reports how often the two
annotators of the doubly annotated abstracts agree (a result counts when subject, benchmark,
metric and value match), keeps one annotation of each pair, and splits the abstracts by a hash
of their title into a development half (whose errors ``--errors N`` lists, to improve the rules
from) and a held-out half (only measured). The shipped result model learned from all of these
abstracts; ``scripts/train_results.py`` measures it by cross-validation.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "annotations"))
sys.path.insert(0, str(HERE.parent))

import sample_pool  # noqa: E402
from agreement import read_annotations, result_agreement  # noqa: E402

from paperkg.extractors.evaluate_results import ResultReport, score_results  # noqa: E402
from paperkg.extractors.extract import doc_to_extraction  # noqa: E402
from paperkg.extractors.pipeline import load_pipeline  # noqa: E402
from paperkg.extractors.results import find_results  # noqa: E402
from paperkg.extractors.records import Paper, title_id  # noqa: E402
from paperkg.extractors.readers.cleaning import collapse_whitespace  # noqa: E402


def half(title: str) -> str:
    """ "dev" or "held-out", fixed by the title."""
    return "dev" if int(hashlib.sha1(title.encode()).hexdigest(), 16) % 2 == 0 else "held-out"


def measure(records: list[dict]) -> ResultReport:
    papers = [Paper(id=title_id(r["title"]), title=collapse_whitespace(r["title"]),
                    abstract=collapse_whitespace(r["abstract"])) for r in records]
    docs = load_pipeline().pipe(paper.text for paper in papers)
    return score_results(records, (doc_to_extraction(doc, paper, read_results=find_results) for doc, paper in zip(docs, papers)))


def annotated_records(pool: Path) -> list[dict]:
    """The annotated abstracts with their text, one annotation each (of a pair, the first annotator's)."""
    by_title = {sample_pool.title_key(r["title"]): r for r in sample_pool.pool_records(pool)}
    records = []
    for annotations in read_annotations().values():
        first = annotations[min(annotations)]
        text = by_title.get(sample_pool.title_key(first["title"]))
        if text is not None:
            records.append({**first, "abstract": text["abstract"]})
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pool", type=Path, default=sample_pool.POOL)
    parser.add_argument("--errors", type=int, default=0, help="list this many errors of the development half")
    args = parser.parse_args()
    by_qid = read_annotations()
    pairs = [tuple(sorted(a.items()))[:2] for a in by_qid.values() if len(a) == 2]
    agreed = result_agreement([(first, second) for (_, first), (_, second) in pairs])
    print(f"annotator agreement on {len(pairs)} doubly annotated abstracts: {agreed.tp} of "
          f"{agreed.tp + agreed.fn} / {agreed.tp + agreed.fp} results agree (F1 {agreed.f1:.3f})")
    records = annotated_records(args.pool)
    for name in ("dev", "held-out"):
        part = [r for r in records if half(r["title"]) == name]
        report = measure(part)
        s = report.score
        print(f"{name}: {len(part)} abstracts, {s.tp + s.fn} results: precision {s.precision:.3f} recall {s.recall:.3f} "
              f"F1 {s.f1:.3f} (tp {s.tp}, fp {s.fp}, fn {s.fn})")
        if name == "dev" and args.errors:
            for label, counter in (("FP", report.false_positives), ("FN", report.false_negatives)):
                for key, n in counter.most_common(args.errors):
                    print(f"  {label} {key}" + (f" ({n})" if n > 1 else ""))


if __name__ == "__main__":
    main()

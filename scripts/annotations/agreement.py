"""Agreement between two annotators on the abstracts both annotated.

Each abstract annotated twice (the same ``qid`` in two annotators' files) is scored with
paperkg's own scorer (:func:`paperkg.extractors.evaluate.evaluate`): one annotation as the gold,
the other as the prediction. F1 is symmetric, so it does not matter which is which.

    python scripts/annotations/agreement.py            # every pair of annotators
    python scripts/annotations/agreement.py --json     # the same as JSON

prints, per pair and over all pairs: typed entity F1 (Model, Method, Dataset, Benchmark),
relation F1, "papers using dataset X" agreement, and result agreement (a result agrees when
subject, benchmark, metric and value all match).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sample_pool import annotations  # noqa: E402  (beside this file)

from paperkg.extractors.evaluate import EvalReport, Score, evaluate  # noqa: E402
from paperkg.extractors.normalize import canonical_key  # noqa: E402
from paperkg.extractors.records import Entity, Extraction, Paper, Relation  # noqa: E402

HERE = Path(__file__).resolve().parent


def read_annotations(folder: Path = HERE / "pool") -> dict[str, dict[str, dict]]:
    """Annotations by qid, then by annotator."""
    by_qid: dict[str, dict[str, dict]] = defaultdict(dict)
    for record in annotations(sorted(folder.glob("*.jsonl"))):
        by_qid[record["qid"]][record["annotator"]] = record
    return by_qid


def as_extraction(record: dict) -> Extraction:
    """An annotation in the shape of the tool's output, to score it like one."""
    paper = Paper(id=record["qid"], title=record["title"], abstract="")
    entities = [Entity(canonical_key(e["name"]), e["name"], e["type"], list(e.get("aliases", [])))
                for e in record["entities"]]
    relations = [Relation(r["head"], r["type"], r["tail"], "", 0, 0, "annotator", 1.0)
                 for r in record.get("relations", [])]
    return Extraction(paper, entities, relations)


def result_key(result: dict) -> tuple[str, str, str, str]:
    subject = result.get("subject") or ""
    return (subject if subject == "PAPER" else canonical_key(subject), canonical_key(result.get("benchmark") or ""),
            canonical_key(result.get("metric") or ""), str(result.get("value")).strip())


def result_agreement(pairs: list[tuple[dict, dict]]) -> Score:
    score = Score()
    for first, second in pairs:
        a, b = {result_key(r) for r in first.get("results", [])}, {result_key(r) for r in second.get("results", [])}
        score.tp += len(a & b)
        score.fp += len(b - a)
        score.fn += len(a - b)
    return score


def agreement(pairs: list[tuple[dict, dict]]) -> dict:
    report: EvalReport = evaluate([first for first, _ in pairs], [as_extraction(second) for _, second in pairs])
    results = result_agreement(pairs)
    return {"abstracts": len(pairs),
            "entity_f1": round(report.entity_score().f1, 3),
            "relation_f1": round(report.relation_score().f1, 3),
            "papers_using_dataset_f1": round(_f1(report.dataset_precision, report.dataset_recall), 3),
            "results": results.tp + results.fn, "result_f1": round(results.f1, 3)}


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    by_pair: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for annotations in read_annotations().values():
        if len(annotations) == 2:
            (a, first), (b, second) = sorted(annotations.items())
            by_pair[f"{a}-{b}"].append((first, second))
    table = {pair: agreement(pairs) for pair, pairs in sorted(by_pair.items())}
    table["all"] = agreement([p for pairs in by_pair.values() for p in pairs])
    if args.json:
        print(json.dumps(table, indent=2))
        return
    columns = list(table["all"])
    print("pair\t" + "\t".join(columns))
    for pair, row in table.items():
        print(pair + "\t" + "\t".join(str(row[c]) for c in columns))


if __name__ == "__main__":
    main()

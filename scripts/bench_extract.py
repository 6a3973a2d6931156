"""Extraction throughput: the whole paperkg pipeline against a bare spaCy tokenizer, same text.

The ratio of the two is what carries across machines. Run on one core:

    python scripts/bench_extract.py                       # the conference abstracts in ../shared (else its seeds, else the README example)
    python scripts/bench_extract.py papers.jsonl --papers 5000 --n-process 2
    python scripts/bench_extract.py --papers 1500 --baseline-model OLD/extractors/data/entities

Prints papers/s and words/s (words = whitespace-separated) for each, and the ratio. With
``--baseline-model``, the pipeline with that recogniser runs too, turn about with the shipped one
(twice each, each pipeline with its own tokenizer cache), and the ratio of their best times.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import spacy

from paperkg.extractors.extract import extract_papers
from paperkg.extractors.pipeline import make_pipeline
from paperkg.extractors.readers import read_papers

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ABSTRACTS = SHARED / "data" / "conference-abstracts" / "ml-conference-abstracts.jsonl.gz"
DEFAULT_INPUTS = ([ABSTRACTS] if ABSTRACTS.exists() else sorted((SHARED / "seeds").glob("*.txt"))
                  or [ROOT / "tests" / "fixtures" / "example-papers.txt"])


def measure(label: str, run, papers, words: int) -> dict:
    start = time.perf_counter()
    run(papers)
    seconds = time.perf_counter() - start
    result = {"what": label, "papers": len(papers), "words": words, "seconds": round(seconds, 3),
              "papers_per_s": round(len(papers) / seconds, 1), "words_per_s": round(words / seconds)}
    print(json.dumps(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", default=[str(p) for p in DEFAULT_INPUTS])
    parser.add_argument("--papers", type=int, default=2000, help="papers to process (inputs are cycled)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-process", type=int, default=1)
    parser.add_argument("--baseline-model", type=Path, default=None,
                        help="another recogniser (a directory spacy.load reads) to time in the same run")
    args = parser.parse_args()
    if args.baseline_model and args.n_process != 1:
        parser.error("--baseline-model compares recognisers in one process: drop --n-process")

    source = list(itertools.islice(read_papers(args.inputs), args.papers))  # read no more than is used
    papers = list(itertools.islice(itertools.cycle(source), args.papers))
    words = sum(len(p.text.split()) for p in papers)
    nlp = make_pipeline()
    list(extract_papers(papers[:20], nlp))  # warm up: lazy tables, first batch

    bare = spacy.blank("en")
    tokenizer = measure("spacy.blank('en') tokenizer", lambda ps: [bare.tokenizer(p.text) for p in ps], papers, words)
    pipeline = measure(
        f"paperkg pipeline (n_process={args.n_process})",
        lambda ps: list(extract_papers(ps, nlp, batch_size=args.batch_size, n_process=args.n_process)),
        papers, words,
    )
    print(json.dumps({"pipeline_vs_tokenizer": round(tokenizer["seconds"] and pipeline["seconds"] / tokenizer["seconds"], 1)}))
    if args.baseline_model:
        baseline = make_pipeline(ner_model=args.baseline_model)
        list(extract_papers(papers[:20], baseline))
        runs = {"shipped": [pipeline["seconds"]], "baseline": []}
        for name, pipe in (("baseline", baseline), ("shipped", nlp), ("baseline", baseline)):
            runs[name].append(measure(f"{name} recogniser", lambda ps: list(extract_papers(ps, pipe, batch_size=args.batch_size)),
                                      papers, words)["seconds"])
        print(json.dumps({"baseline_vs_shipped": round(min(runs["baseline"]) / min(runs["shipped"]), 2)}))


if __name__ == "__main__":
    main()

"""An end-to-end build at scale: ``paperkg build`` of real abstracts into a new store, through the CLI.

The 23.6k conference abstracts in ../shared/data/conference-abstracts are cycled up to
``--papers``; each copy gets its own title (`` (copy k)``), so it is a new paper to the store, and
keeps its text. Copies flatter extraction: the caches of names and words (the tokenizer's,
normalisation's) are warm for a text seen before, so a copy costs about half what an unseen
abstract does; ``--papers 23637`` (no copies) gives the rate on distinct real abstracts, the
projection to use. (Copies also name the same models and methods as their originals;
``scripts/bench_scale.py`` measures the store with renamed entities.) Times, as fresh ``paperkg`` processes with pipeline loading included:

- ``paperkg build --workers N`` of all ``--papers`` into an empty store: minutes, papers/s, peak
  memory (the summed proportional set size of the process and its workers), store size;
- the baseline in the same run: the first ``--baseline-papers`` in one process and with
  ``--workers N``, turn about ``--repeats`` times; the ratio of the best of each is the speed-up
  at that size, and the best ``--workers`` run's per-paper time against the large build's says
  whether building stays linear;
- spaCy's bare tokenizer on the same first ``--baseline-papers`` texts, in this process: the
  rate that carries across machines.

Prints one JSON object per measurement, and projections to 100k and 1M papers from the large
build's rate::

    python scripts/bench_build.py --papers 23637 --workers 2     # every abstract once
    python scripts/bench_build.py --papers 100000 --workers 2
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import tempfile
import time
from pathlib import Path

import spacy
from bench_workers import DEFAULT_INPUT, Run, paperkg


def write_corpus(source: Path, papers: int, out: Path) -> list[str]:
    """``papers`` records of ``source`` (cycled, copies retitled) to ``out``; the texts of the originals."""
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        originals = [json.loads(line) for line in lines if line.strip()]
    with gzip.open(out, "wt", encoding="utf-8", compresslevel=1) as sink:
        for index in range(papers):
            copy, record = divmod(index, len(originals))
            record = dict(originals[record])
            if copy:
                record["title"] = f"{record['title']} (copy {copy})"
            sink.write(json.dumps(record) + "\n")
    return [f"{record['title']}\n\n{record.get('abstract') or ''}" for record in originals]


def report(what: str, run: Run, papers: int, **extra: object) -> None:
    print(json.dumps({"what": what, "papers": papers, "seconds": round(run.seconds, 1),
                      "minutes": round(run.seconds / 60, 2), "papers_per_s": round(papers / run.seconds, 1),
                      "cpu_ms_per_paper": round(1000 * run.cpu / papers, 2),
                      "peak_memory_mb": round(run.peak_memory / 2**20), **extra,
                      "load_average_1min": round(os.getloadavg()[0], 1)}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", nargs="?", type=Path, default=DEFAULT_INPUT, help="JSON Lines (.gz) of papers")
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--baseline-papers", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2,
                        help="runs of each baseline build (a shared machine's runs vary by 5-10%%; the best of each counts)")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats {args.repeats}: at least one run of each baseline build")

    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        tmp = Path(tmp)
        corpus, small = tmp / "papers.jsonl.gz", tmp / "first.jsonl.gz"
        texts = write_corpus(args.input, args.papers, corpus)
        write_corpus(args.input, args.baseline_papers, small)

        sample = list(itertools.islice(itertools.cycle(texts), args.baseline_papers))
        bare = spacy.blank("en")
        start = time.perf_counter()
        for text in sample:
            bare.tokenizer(text)
        tokenizer_seconds = time.perf_counter() - start
        words = sum(len(text.split()) for text in sample)
        print(json.dumps({"what": "spacy.blank('en') tokenizer", "papers": len(sample),
                          "words_per_s": round(words / tokenizer_seconds)}), flush=True)

        workers = ["--workers", str(args.workers)]
        ones, baselines = [], []
        for repeat in range(args.repeats):  # turn about, each into a new store
            ones.append(paperkg("build", small, "--graph", tmp / f"one-{repeat}.db"))
            report("build, one process", ones[-1], args.baseline_papers,
                   vs_tokenizer=round(ones[-1].seconds / tokenizer_seconds, 1))
            baselines.append(paperkg("build", small, "--graph", tmp / f"baseline-{repeat}.db", *workers))
            report(f"build --workers {args.workers}", baselines[-1], args.baseline_papers,
                   speedup=round(ones[-1].seconds / baselines[-1].seconds, 2))
        one, baseline = (min(runs, key=lambda run: run.seconds) for runs in (ones, baselines))
        print(json.dumps({"speedup_of_best_runs": round(one.seconds / baseline.seconds, 2)}), flush=True)

        large = paperkg("build", corpus, "--graph", tmp / "kg.db", *workers)
        per_paper = large.seconds / args.papers
        report(f"build --workers {args.workers}", large, args.papers,
               store_mb=round((tmp / "kg.db").stat().st_size / 2**20),
               per_paper_vs_baseline=round(per_paper / (baseline.seconds / args.baseline_papers), 2))
        print(json.dumps({"projection": "at the large build's rate", "minutes_100k": round(per_paper * 1e5 / 60, 1),
                          "hours_1M": round(per_paper * 1e6 / 3600, 1)}))


if __name__ == "__main__":
    main()

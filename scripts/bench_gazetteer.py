"""Gazetteer throughput: the paperkg tokenizer alone, then tokenizer + gazetteer, same text, one core.

    python scripts/bench_gazetteer.py                    # the seed pages in ../shared, or the README example
    python scripts/bench_gazetteer.py papers.jsonl --papers 5000

Prints words/s (words = whitespace-separated) for each, and how many matches the gazetteer
made per 1,000 words. The whole pipeline must keep >= 20,000 words/s; the gazetteer's share
of that budget is the difference between the two lines.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import spacy

import paperkg.extractors.gazetteer  # noqa: F401  (registers the component)
from paperkg.extractors.gazetteer import read_entries, read_generic_terms
from paperkg.extractors.pipeline import GAZETTEER, GENERIC_TERMS
from paperkg.extractors.readers import read_papers

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUTS = sorted((ROOT.parent / "shared" / "seeds").glob("*.txt")) or [ROOT / "tests" / "fixtures" / "example-papers.txt"]
_TOKENIZER = {"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}}


def timed(label: str, nlp, texts: list[str], words: int, batch_size: int) -> dict:
    start = time.perf_counter()
    matches = sum(len(doc.spans.get("gazetteer", [])) for doc in nlp.pipe(texts, batch_size=batch_size))
    seconds = time.perf_counter() - start
    result = {"what": label, "papers": len(texts), "words": words, "seconds": round(seconds, 3),
              "words_per_s": round(words / seconds), "matches_per_1000_words": round(1000 * matches / words, 1)}
    print(json.dumps(result))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", default=[str(p) for p in DEFAULT_INPUTS])
    parser.add_argument("--papers", type=int, default=3000, help="papers to process (inputs are cycled)")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    source = [p.text for p in read_papers(args.inputs)]
    texts = list(itertools.islice(itertools.cycle(source), args.papers))
    words = sum(len(t.split()) for t in texts)

    tokenizer_only = spacy.blank("en", config=_TOKENIZER)
    with_gazetteer = spacy.blank("en", config=_TOKENIZER)
    gaz = with_gazetteer.add_pipe("paperkg_gazetteer")
    start = time.perf_counter()
    gaz.add_entries(read_entries(GAZETTEER))
    gaz.add_entries(read_generic_terms(GENERIC_TERMS))
    print(json.dumps({"what": "gazetteer load", "entries": len(gaz.entries), "seconds": round(time.perf_counter() - start, 3)}))
    for nlp in (tokenizer_only, with_gazetteer):  # warm up: lazy lexeme tables
        list(nlp.pipe(texts[:20]))

    base = timed("paperkg tokenizer", tokenizer_only, texts, words, args.batch_size)
    full = timed("tokenizer + gazetteer", with_gazetteer, texts, words, args.batch_size)
    print(json.dumps({"gazetteer_seconds_per_1m_words": round(1e6 * (full["seconds"] - base["seconds"]) / words, 2)}))


if __name__ == "__main__":
    main()

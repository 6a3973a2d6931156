"""Whether a change left extraction as it was: the extractions of a fixed sample of real abstracts,
saved before the change and compared byte for byte after it (a speed-up must change no output).

The sample is the first ``--papers`` records of the conference abstracts in
``../shared/data/conference-abstracts/`` (or the JSON Lines files given):

    python scripts/same_extractions.py --save /tmp/before.jsonl      # on the commit before
    python scripts/same_extractions.py --against /tmp/before.jsonl   # after: exit 1 at the first paper that differs
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from paperkg.extractors.extract import extract_papers
from paperkg.extractors.readers import read_papers
from paperkg.extractors.shards import extraction_line

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = ROOT.parent / "shared" / "data" / "conference-abstracts" / "ml-conference-abstracts.jsonl.gz"


def extraction_lines(inputs: list[str], papers: int) -> list[str]:
    return list(map(extraction_line, extract_papers(itertools.islice(read_papers(inputs), papers))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", default=[str(DEFAULT_INPUT)])
    parser.add_argument("--papers", type=int, default=1000)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--save", type=Path, help="write the sample's extractions here")
    action.add_argument("--against", type=Path, help="compare the sample's extractions with this saved file")
    args = parser.parse_args()

    lines = extraction_lines(args.inputs, args.papers)
    if args.save:
        args.save.write_text("".join(lines), encoding="utf-8")
        print(f"{args.save}: {len(lines)} extractions saved")
        return
    saved = args.against.read_text(encoding="utf-8").splitlines(keepends=True)
    for number, (before, after) in enumerate(itertools.zip_longest(saved, lines), start=1):
        if before != after:
            sys.exit(f"{args.against}:{number}: the extraction differs from the saved one")
    print(f"{len(lines)} extractions, byte for byte as saved in {args.against}")


if __name__ == "__main__":
    main()

"""Build the static vectors of the entity recogniser: floret vectors of the unlabelled abstracts.

Reads ``../shared/data/conference-abstracts/ml-conference-abstracts.jsonl.gz`` (23.6k real
abstracts; never copied into the repository), keeps each paper once (by its normalised title,
then by its text), tokenises title and abstract with paperkg's tokenizer
(``paperkg.tokenizer.v1``, the recogniser's own tokens, case kept: "BERT" is not "bert"),
trains floret vectors on them and writes a spaCy pipeline holding only the vectors table
(``spacy init vectors --mode floret``). ``scripts/train_entities.py --vectors build/vectors``
gives it to the config's ``paths.vectors``; with ``include_static_vectors`` on, the trained
recogniser reads it and carries it in its vocabulary (``scripts/entities.cfg`` says why it is off).

Floret hashes every word and its character 4- and 5-grams into a fixed table (``--bucket``
rows of ``--dim``), so any token, seen or not ("Qwen2.5-72B"), gets a vector from a table of
a few megabytes. One thread, and floret's fixed seed (its Python API sets none other): the
same table on every run (two builds here: byte-identical, 10-13 minutes each on a shared core).

The pool may hold abstracts of the development and training sets: the text alone, never a
label, goes into the vectors, as it would for any unlabelled pre-training.

    python scripts/build_vectors.py                          # -> build/vectors
    python scripts/build_vectors.py --dim 64 --bucket 50000 --output /tmp/vectors
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ABSTRACTS = ROOT.parent / "shared" / "data" / "conference-abstracts" / "ml-conference-abstracts.jsonl.gz"
#: Where the table goes (``/build/`` is not versioned).
VECTORS = ROOT / "build" / "vectors"
VECTORS_NAME = "paperkg_abstracts_floret"


def unique_texts(path: Path = ABSTRACTS) -> list[str]:
    """Title and abstract of each paper of ``path`` once, in the file's order."""
    from paperkg.extractors.records import TITLE_SEPARATOR, normalise_title

    seen_titles, seen_texts, texts = set(), set(), []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            title, abstract = record.get("title", "").strip(), record.get("abstract", "").strip()
            text = title + TITLE_SEPARATOR + abstract
            if not abstract or normalise_title(title) in seen_titles or text in seen_texts:
                continue
            seen_titles.add(normalise_title(title))
            seen_texts.add(text)
            texts.append(text)
    return texts


def write_tokens(texts: list[str], target: Path) -> int:
    """One line of space-separated paperkg tokens per text; the number of tokens written."""
    from paperkg.extractors.pipeline import blank_pipeline

    tokenizer = blank_pipeline().tokenizer
    count = 0
    with open(target, "w", encoding="utf-8") as out:
        for doc in tokenizer.pipe(texts, batch_size=256):
            words = [t.text for t in doc if not t.is_space]
            count += len(words)
            out.write(" ".join(words) + "\n")
    return count


def train_floret(corpus: Path, target: Path, args) -> None:
    """Skip-gram floret vectors of ``corpus`` saved as a ``.floret`` table at ``target``."""
    import floret

    model = floret.train_unsupervised(
        str(corpus), model="skipgram", mode="floret", dim=args.dim, bucket=args.bucket, hashCount=2,
        minn=4, maxn=5, minCount=args.min_count, epoch=args.epochs, thread=1, verbose=0)
    model.save_floret_vectors(str(target))


def to_spacy(table: Path, output: Path) -> None:
    """The floret table as a spaCy pipeline of vectors only (what ``spacy init vectors`` writes)."""
    from spacy.training.initialize import convert_vectors

    from paperkg.extractors.pipeline import blank_pipeline

    nlp = blank_pipeline()
    convert_vectors(nlp, table, truncate=0, prune=-1, name=VECTORS_NAME, mode="floret")
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--abstracts", type=Path, default=ABSTRACTS)
    parser.add_argument("--output", type=Path, default=VECTORS)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--bucket", type=int, default=50000, help="rows of the hashed table")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--min-count", type=int, default=3, help="rarer words are not trained as words")
    args = parser.parse_args()
    started = time.perf_counter()
    texts = unique_texts(args.abstracts)
    with tempfile.TemporaryDirectory(prefix="paperkg-vectors-") as work:
        corpus, table = Path(work) / "tokens.txt", Path(work) / "vectors.floret"
        tokens = write_tokens(texts, corpus)
        train_floret(corpus, table, args)
        to_spacy(table, args.output)
    size = sum(p.stat().st_size for p in args.output.rglob("*") if p.is_file())
    print(json.dumps({"abstracts": len(texts), "tokens": tokens, "rows": args.bucket, "dim": args.dim,
                      "output": str(args.output), "bytes": size, "seconds": round(time.perf_counter() - started)}))


if __name__ == "__main__":
    sys.exit(main())

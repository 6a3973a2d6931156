"""Train paperkg's entity recogniser on SciREX and measure it on held-out papers.

The SciREX documents (``../shared/data/scirex/docs/*.json``: 200 ML papers with
Method, Task, Metric and Material mentions) are read in place, never copied.
Their words are joined back into running text ("state - of - the - art" becomes
"state-of-the-art"), tokenised by paperkg's own tokenizer, and each mention is
aligned to our tokens by character offsets. The papers are split by document:
sorted ids shuffled with a fixed seed, 30 held out, 20 more as the dev set that
picks the best checkpoint, the rest for training (full texts, each abstract
repeated so that the abstract domain weighs more). The held-out papers are only
used for the final numbers, which are exact-match precision/recall/F1 per label
against SciREX's own mention offsets, on the title+abstract section (what
paperkg reads) and on the full text. The script ends with the recogniser's
throughput on one core.

    python scripts/train_ner.py                      # train on full text, write extractors/data/ner/
    python scripts/train_ner.py --train-on abstracts --output /tmp/ner-abstracts
    python scripts/train_ner.py --evaluate-only      # measure the shipped model again

Intermediate DocBins and checkpoints go to ``--work-dir`` (a temporary dir).
"""

from __future__ import annotations

import os

# One BLAS thread: the same numbers on every run, and "one core" means one core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import spacy  # noqa: E402
from spacy.tokens import DocBin  # noqa: E402
from spacy.util import filter_spans  # noqa: E402

from paperkg.extractors import tokenizer  # noqa: E402,F401  (registers paperkg.tokenizer.v1)
from paperkg.extractors.pipeline import NER_MODEL  # noqa: E402
from paperkg.extractors.training import ship_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCIREX_DOCS = ROOT.parent / "shared" / "data" / "scirex" / "docs"
CONFIG = Path(__file__).with_name("ner.cfg")
LABELS = ("Method", "Task", "Metric", "Material")

#: Words written without a space before them.
_NO_SPACE_BEFORE = {",", ".", ")", "]", "}", ":", ";", "%", "?", "!", "'s", "’s", "n't", "n’t", "”", "...", "…"}
#: Words written without a space after them.
_NO_SPACE_AFTER = {"(", "[", "{", "“", "‘"}
#: Joiners that SciREX split off inside words ("pixel - accurate", "input / output").
_JOINERS = {"-", "/"}
#: Longest stretch of body text (in SciREX words) put into one training doc.
_CHUNK_WORDS = 250


@dataclass
class Unit:
    """A piece of a paper as paperkg would see it, with SciREX's mentions as character spans."""

    doc_id: str
    part: str  # "abstract" or "body"
    text: str
    mentions: list[tuple[int, int, str]] = field(default_factory=list)


def read_scirex(directory: Path) -> list[dict]:
    """The SciREX documents of ``directory``, sorted by id."""
    files = sorted(directory.glob("*.json"))
    if not files:
        raise SystemExit(f"{directory}: no SciREX *.json documents found")
    return [json.loads(path.read_text(encoding="utf-8")) for path in files]


def split_ids(doc_ids: list[str], *, seed: int, heldout: int, dev: int) -> tuple[list[str], list[str], list[str]]:
    """Train, dev and held-out ids: sorted ids shuffled by ``seed``, held-out taken first."""
    ids = sorted(doc_ids)
    random.Random(seed).shuffle(ids)
    return sorted(ids[heldout + dev:]), sorted(ids[heldout:heldout + dev]), sorted(ids[:heldout])


def _heading(words: list[str], start: int, end: int) -> int | None:
    """Where the heading text starts if sentence [start, end) is a "document :"/"section :" marker line."""
    if end - start >= 2 and words[start] in ("document", "section") and words[start + 1] == ":":
        return start + 2
    return None


def join_words(words: list[str], pieces: list[tuple[int, int, str]]) -> tuple[str, dict[int, tuple[int, int]]]:
    """Running text from word ranges, each followed by its separator; char offsets of the words kept.

    >>> text, offsets = join_words("a state - of - the - art model ( SOTA ) .".split(), [(0, 13, "")])
    >>> text
    'a state-of-the-art model (SOTA).'
    >>> offsets[1], offsets[10]
    ((2, 7), (26, 30))
    """
    parts: list[str] = []
    offsets: dict[int, tuple[int, int]] = {}
    length = 0
    for start, end, separator in pieces:
        previous = None
        for i in range(start, end):
            word = words[i]
            if previous is not None and not (
                word in _NO_SPACE_BEFORE or word in _JOINERS or previous in _NO_SPACE_AFTER or previous in _JOINERS
            ):
                parts.append(" ")
                length += 1
            offsets[i] = (length, length + len(word))
            parts.append(word)
            length += len(word)
            previous = word
        parts.append(separator)
        length += len(separator)
    return "".join(parts).strip(), offsets


_EDGE_PUNCT = ",;:“”\"'’‘`-"


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """A mention's character span without the stray punctuation some SciREX spans carry at
    their edges ("SGAN )", "MoS." ending a sentence, a quote): unbalanced brackets, quotes,
    dashes and a sentence's final period.

    >>> text = "named Stacked GAN (SGAN). We use MoS. And (x)"
    >>> [text[s:e] for s, e in (_trim(text, 19, 24), _trim(text, 33, 37), _trim(text, 42, 45))]
    ['SGAN', 'MoS', '(x)']
    """
    while start < end:
        span = text[start:end]
        if span[-1] in _EDGE_PUNCT or span[-1] == ")" and span.count("(") < span.count(")"):
            end -= 1
        elif span[0] in _EDGE_PUNCT or span[0] == "(" and span.count("(") > span.count(")"):
            start += 1
        elif span[-1] == "." and span.count(".") == 1:
            end -= 1
        else:
            return start, end
    return None


def _unit(doc: dict, part: str, pieces: list[tuple[int, int, str]]) -> Unit:
    text, offsets = join_words(doc["words"], pieces)
    mentions = []
    for start, end, label in doc["ner"]:
        kept = [offsets[i] for i in range(start, end) if i in offsets]
        if kept:
            span = _trim(text, kept[0][0], kept[-1][1])
            if span:
                mentions.append((*span, label))
    return Unit(doc["doc_id"], part, text, mentions)


def _abstract_sections(doc: dict) -> int:
    """How many leading sections make the title+abstract: ``sections[0]``, and the next one
    too when ``sections[0]`` is a bare title followed by "section : Abstract"."""
    sections, words = doc["sections"], doc["words"]
    if len(sections) > 1:
        start, end = sections[1]
        heading = _heading(words, start, end)
        if heading is not None and heading < end and words[heading].lower() == "abstract":
            return 2
    return 1


def paper_units(doc: dict, *, body: bool) -> list[Unit]:
    """The title+abstract of a paper as one unit, then chunks of the body if ``body``.

    Marker words ("document :", "section : Abstract") are dropped; a heading ends with a blank
    line, as in paperkg's ``Paper.text`` (title, blank line, abstract).
    """
    words = doc["words"]
    n_abstract = _abstract_sections(doc)
    parts = [("abstract", doc["sections"][0][0], doc["sections"][n_abstract - 1][1])]
    if body:
        parts += [("body", s, e) for s, e in doc["sections"][n_abstract:]]
    units = []
    for part, part_start, part_end in parts:
        chunks: list[list[tuple[int, int, str]]] = [[]]
        size = 0
        for s, e in doc["sentences"]:
            if not part_start <= s < part_end:
                continue
            heading = _heading(words, s, e)
            if heading is not None:
                if chunks[-1]:  # a heading starts a new paragraph
                    chunks[-1][-1] = (*chunks[-1][-1][:2], "\n\n")
                if heading < e and not (part == "abstract" and words[heading].lower() == "abstract"):
                    chunks[-1].append((heading, e, "\n\n"))
                continue
            if part == "body" and size + (e - s) > _CHUNK_WORDS and chunks[-1]:
                chunks.append([])
                size = 0
            chunks[-1].append((s, e, " "))
            size += e - s
        units.extend(_unit(doc, part, c) for c in chunks if c)
    return units


def make_docs(nlp, units: list[Unit], stats: Counter) -> list:
    """Docs tokenised by ``nlp`` with the units' mentions as entities; ``stats`` counts alignment."""
    docs = []
    for unit in units:
        doc = nlp.make_doc(unit.text)
        spans = []
        for start, end, label in unit.mentions:
            stats["mentions"] += 1
            span = doc.char_span(start, end, label=label)
            if span is None:
                stats["not token-aligned (expanded)"] += 1
                span = doc.char_span(start, end, label=label, alignment_mode="expand")
            if span is None:
                stats["dropped"] += 1
                continue
            spans.append(span)
        kept = filter_spans(spans)
        stats["dropped (overlap after expanding)"] += len(spans) - len(kept)
        doc.ents = kept
        docs.append(doc)
    return docs


def write_docbin(docs: list, path: Path) -> Path:
    DocBin(docs=docs, store_user_data=False).to_disk(path)
    return path


def score(nlp, units: list[Unit]) -> dict[str, dict[str, float]]:
    """Exact-match P/R/F1 per label and overall, predicted character spans against SciREX's."""
    counts = {label: Counter() for label in (*LABELS, "overall")}
    for unit, doc in zip(units, nlp.pipe(u.text for u in units)):
        gold = set(unit.mentions)
        pred = {(e.start_char, e.end_char, e.label_) for e in doc.ents}
        for label in LABELS:
            g = {m for m in gold if m[2] == label}
            p = {m for m in pred if m[2] == label}
            for key, c in (("tp", len(g & p)), ("fp", len(p - g)), ("fn", len(g - p))):
                counts[label][key] += c
                counts["overall"][key] += c
    table = {}
    for label, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        table[label] = {"p": round(p, 3), "r": round(r, 3), "f": round(f, 3), "gold": c["tp"] + c["fn"]}
    return table


def print_scores(title: str, table: dict) -> None:
    print(f"\n{title}")
    print(f"  {'label':<9} {'P':>6} {'R':>6} {'F1':>6} {'gold':>6}")
    for label, s in table.items():
        print(f"  {label:<9} {s['p']:>6.3f} {s['r']:>6.3f} {s['f']:>6.3f} {s['gold']:>6}")


def throughput(nlp, texts: list[str], *, min_words: int = 200_000, repeat: int = 3) -> dict[str, int]:
    """Words/s (whitespace words) on one core: tokenizer+ner via ``nlp.pipe``, and the ner alone
    on tokenised docs. Rates are per CPU second of this process (one thread, pinned to one core),
    so other work on the machine does not distort them; wall-clock rates are given too. Each is
    the best of ``repeat`` runs, as :mod:`timeit` does."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    words_per_pass = sum(len(t.split()) for t in texts)
    repeats = max(1, -(-min_words // words_per_pass))
    batch = texts * repeats
    words = words_per_pass * repeats
    list(nlp.pipe(texts[:20]))  # warm up
    ner = nlp.get_pipe("ner")
    docs = [nlp.make_doc(t) for t in batch]
    result = {"words": words}
    for name, run in (("tokenizer+ner", lambda: nlp.pipe(batch, batch_size=64)),
                      ("ner_only", lambda: ner.pipe(docs, batch_size=64))):
        cpu_seconds, wall_seconds = [], []
        for _ in range(repeat):
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in run():
                pass
            cpu_seconds.append(time.process_time() - cpu)
            wall_seconds.append(time.perf_counter() - wall)
        result[f"{name}_words_per_cpu_s"] = round(words / min(cpu_seconds))
        result[f"{name}_words_per_wall_s"] = round(words / min(wall_seconds))
    return result


def train(config: Path, train_path: Path, dev_path: Path, work_dir: Path, *, seed: int, overrides: dict) -> Path:
    """Train with spaCy's loop; the best checkpoint on the dev set."""
    from spacy.cli.train import train as spacy_train

    output = work_dir / "training"
    spacy_train(config, output, overrides={"paths.train": str(train_path), "paths.dev": str(dev_path),
                                           "system.seed": seed, **overrides})
    return output / "model-best"


def ship(model: Path, target: Path) -> None:
    """Copy a trained pipeline to ``target``: no corpus paths in its config, no string table (the
    training vocabulary, SciREX's words, has no place in the repository)."""
    ship_model(model, target, name="paperkg_ner", version="1.0.0", license="Apache-2.0 (training data: allenai/SciREX)",
               description="paperkg's entity recogniser: SciREX Method/Task/Metric/Material, "
                           "trained by scripts/train_ner.py on paperkg.tokenizer.v1 tokens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scirex", type=Path, default=SCIREX_DOCS, help="directory of SciREX *.json docs")
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--output", type=Path, default=NER_MODEL, help="where the trained pipeline goes")
    parser.add_argument("--work-dir", type=Path, default=None, help="DocBins and checkpoints (default: a temp dir)")
    parser.add_argument("--train-on", choices=("abstracts", "full"), default="full",
                        help="training text: title+abstract sections only, or full papers")
    parser.add_argument("--abstract-repeat", type=int, default=4,
                        help="times each training abstract is seen per epoch (weights the abstract domain)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--heldout", type=int, default=30)
    parser.add_argument("--dev", type=int, default=20)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config override, e.g. --set training.max_steps=2000 (VALUE parsed as JSON)")
    parser.add_argument("--evaluate-only", action="store_true", help="skip training; measure --output")
    parser.add_argument("--no-benchmark", action="store_true", help="skip the throughput measurement")
    args = parser.parse_args()

    papers = read_scirex(args.scirex)
    by_id = {p["doc_id"]: p for p in papers}
    train_ids, dev_ids, heldout_ids = split_ids(list(by_id), seed=args.seed, heldout=args.heldout, dev=args.dev)
    print(json.dumps({"papers": len(papers), "train": len(train_ids), "dev": len(dev_ids), "heldout": len(heldout_ids)}))

    nlp_tok = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
    heldout_units = [u for i in heldout_ids for u in paper_units(by_id[i], body=True)]
    heldout_abstracts = [u for u in heldout_units if u.part == "abstract"]

    if not args.evaluate_only:
        work_dir = args.work_dir or Path(tempfile.mkdtemp(prefix="paperkg-ner-"))
        work_dir.mkdir(parents=True, exist_ok=True)
        stats: Counter = Counter()
        train_units = [u for i in train_ids for u in paper_units(by_id[i], body=args.train_on == "full")]
        train_units += [u for u in train_units if u.part == "abstract"] * (args.abstract_repeat - 1)
        train_docs = make_docs(nlp_tok, train_units, stats)
        dev_docs = make_docs(nlp_tok, [u for i in dev_ids for u in paper_units(by_id[i], body=False)], Counter())
        print(json.dumps({"train_docs": len(train_docs), "train_words": sum(len(d) for d in train_docs),
                          "alignment": dict(stats), "work_dir": str(work_dir)}))
        overrides = {}
        for item in args.set:
            key, _, value = item.partition("=")
            overrides[key] = json.loads(value)
        best = train(args.config, write_docbin(train_docs, work_dir / "train.spacy"),
                     write_docbin(dev_docs, work_dir / "dev.spacy"), work_dir, seed=args.seed, overrides=overrides)
        ship(best, args.output)

    nlp = spacy.load(args.output)
    gold_stats: Counter = Counter()
    make_docs(nlp_tok, heldout_abstracts, gold_stats)
    print(json.dumps({"heldout_abstract_alignment": dict(gold_stats)}))
    abstract_scores = score(nlp, heldout_abstracts)
    full_scores = score(nlp, heldout_units)
    print_scores(f"held-out title+abstract (sections[0]) of {len(heldout_ids)} papers, exact match", abstract_scores)
    print_scores(f"held-out full text of {len(heldout_ids)} papers, exact match", full_scores)
    speed = {} if args.no_benchmark else throughput(nlp, [u.text for u in heldout_abstracts])
    size = sum(p.stat().st_size for p in args.output.rglob("*") if p.is_file())
    print()
    print(json.dumps({"heldout_abstract": abstract_scores["overall"], "heldout_full": full_scores["overall"],
                      **speed, "model_bytes": size}))


if __name__ == "__main__":
    main()

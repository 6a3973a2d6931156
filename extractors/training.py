"""Training the entity recogniser from annotations in the guideline's format.

A gold record names its entities, not where they are, so every occurrence of an
entity's name or alias in the title and abstract becomes a span of its type
(:func:`entity_spans`). Optional entities are neither right nor wrong for the
scorer, so their words are *missing* for the recogniser: it learns nothing about
them either way. Everything else is outside any entity.

:func:`train_recogniser` trains a spaCy ``ner`` from a config (``scripts/entities.cfg``,
which every trained model carries as its ``config.cfg``) with spaCy's own loop.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import tempfile
from pathlib import Path
from typing import Iterable, NamedTuple

from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans

from .entity_tagger import set_gold_tags
from .errors import BadRecord
from .records import TITLE_SEPARATOR

__all__ = ["Mention", "gold_text", "entity_spans", "gold_doc", "train_recogniser", "ship_model"]


class Mention(NamedTuple):
    """A character span of a gold name in the text."""

    start: int
    end: int
    label: str


def gold_text(record: dict) -> str:
    """The text the pipeline reads for a gold record: title, blank line, abstract."""
    try:
        return record["title"] + TITLE_SEPARATOR + record["abstract"]
    except KeyError as err:
        raise BadRecord(str(record.get("id", "?")), f"gold record has no {err.args[0]!r} text to train on") from None


def _pattern(name: str) -> re.Pattern:
    """Where a name occurs as whole words. A lowercase name ("gradient descent") is found in any
    case (it starts sentences and title-cased titles); a name with capitals only as written,
    or with its first letter's case changed ("MATH" is not "math")."""
    escaped = re.escape(name)
    if name.islower():
        return re.compile(rf"(?<!\w){escaped}(?!\w)", re.IGNORECASE)
    first = name[0]
    head = f"[{re.escape(first.lower())}{re.escape(first.upper())}]" if first.isalpha() else re.escape(first)
    return re.compile(rf"(?<!\w){head}{re.escape(name[1:])}(?!\w)")


def _mentions(text: str, items: Iterable[dict], label_of) -> list[Mention]:
    found = []
    for item in items:
        for name in {item["name"], *item.get("aliases", [])}:
            if name and name.strip():
                found += [Mention(m.start(), m.end(), label_of(item)) for m in _pattern(name.strip()).finditer(text)]
    return found


def entity_spans(doc: Doc, record: dict) -> tuple[list[Span], list[Span]]:
    """The gold entities of ``record`` as spans of ``doc`` (longest first where they overlap),
    and the spans of its optional entities that overlap none of them."""
    text = doc.text
    spans = [doc.char_span(m.start, m.end, label=m.label) for m in _mentions(text, record["entities"], lambda e: e["type"])]
    entities = filter_spans([s for s in spans if s is not None])
    taken = {i for span in entities for i in range(span.start, span.end)}
    optional = [doc.char_span(m.start, m.end) for m in _mentions(text, record.get("optional", []), lambda e: "")]
    missing = filter_spans([s for s in optional if s is not None and not taken & set(range(s.start, s.end))])
    return entities, missing


def gold_doc(nlp: Language, record: dict) -> Doc:
    """A tokenised gold record with its entities set (and as BILUO tags); optional entities' words are missing."""
    doc = nlp.make_doc(gold_text(record))
    entities, missing = entity_spans(doc, record)
    doc.set_ents(entities, missing=missing, default="outside")
    set_gold_tags(doc)
    return doc


def train_recogniser(
    config: str | Path,
    train: Iterable[dict],
    dev: Iterable[dict],
    output: str | Path,
    *,
    overrides: dict | None = None,
    quiet: bool = False,
) -> Path:
    """Train a ``ner`` on gold records with spaCy's loop; the best checkpoint on ``dev`` is
    written to ``output`` (a directory spaCy can load) and returned. ``quiet``: without
    spaCy's training log on standard output."""
    from spacy.cli.train import train as spacy_train
    from spacy.util import load_config

    from .pipeline import blank_pipeline

    nlp = blank_pipeline()
    with tempfile.TemporaryDirectory(prefix="paperkg-train-") as work:
        paths = {}
        for part, records in (("train", train), ("dev", dev)):
            paths[part] = Path(work) / f"{part}.spacy"
            DocBin(docs=[gold_doc(nlp, r) for r in records], store_user_data=False).to_disk(paths[part])
        settings = {"paths.train": str(paths["train"]), "paths.dev": str(paths["dev"]), **(overrides or {})}
        load_config(config, overrides=settings)  # a bad config or override fails here, before training
        with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
            spacy_train(config, Path(work) / "out", overrides=settings, use_gpu=-1)
        best = Path(work) / "out" / "model-best"
        target = Path(output)
        ship_model(best, target, name="paperkg_entities", version="1.0.0",
                   description="paperkg's entity recogniser: the annotation guideline's six types, trained by "
                               "scripts/train_entities.py on paperkg.tokenizer.v1 tokens")
    return target


def ship_model(model: Path, target: Path, **meta_fields: str) -> None:
    """Copy a trained pipeline to ``target`` without its corpus and vectors paths or training
    vocabulary (the recogniser hashes features from the text, so the strings saved with it are not
    needed; its static vectors, if any, stay in its vocabulary), with ``meta_fields`` (name,
    version, description, ...) in its meta.json."""
    import shutil

    from thinc.api import Config

    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(model, target)
    cfg = Config().from_disk(target / "config.cfg", interpolate=False)
    cfg["paths"]["train"] = None
    cfg["paths"]["dev"] = None
    cfg["paths"]["vectors"] = None
    cfg.to_disk(target / "config.cfg")
    (target / "vocab" / "strings.json").write_text("[]\n", encoding="utf-8")
    meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
    meta.update(meta_fields)
    (target / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

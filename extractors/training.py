"""Training the entity recogniser from annotations in the guideline's format.

A gold record names its entities, not where they are, so every occurrence of an
entity's name or alias in the title and abstract becomes a span of its type
(:func:`entity_spans`). Optional entities are neither right nor wrong for the
scorer, so their words are *missing* for the recogniser: it learns nothing about
them either way. Everything else is outside any entity.

:func:`train_recogniser` trains a spaCy ``ner`` from a config (``scripts/entities.cfg``,
which every trained model carries as its ``config.cfg``) with spaCy's own loop. What its
annotations say of the pipeline's word lists goes in its ``meta.json``: the generic phrases they
name as entities (:func:`named_phrases`), which the pipeline leaves to the recogniser, the names
the pipeline finds that they do not name (:func:`unnamed_phrases`), which it rules out, and the
names they type otherwise than the pipeline (:func:`annotated_types`), which it types their way.

Beside it go the typer (:mod:`paperkg.extractors.type_model`), which types every name, and the name
filter (:mod:`paperkg.extractors.name_filter`), which drops the names annotators leave out. They
learn how far to trust the recogniser, so they are fitted on abstracts it did not learn from
(:func:`cross_fit_typing`): each annotated abstract read by a recogniser of a cross-validation fold
that never saw it. On the recogniser's own training abstracts its names are nearly all right, and
models fitted there keep its descriptions ("graph neural networks", "contrastive learning") as
readily on new papers (cross-validated, with those descriptions reaching the filter: typed entity
F1 +0.003 fitted there, +0.009 fitted on unseen abstracts).
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import re
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Iterable, NamedTuple, Sequence

from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans

from .entity_tagger import set_gold_tags
from .errors import BadRecord
from .evaluate import compatible_types
from .name_filter import NAME_FILTER_FILE, train_name_filter
from .normalize import canonical_key
from .records import TITLE_SEPARATOR
from .type_model import TYPE_MODEL_FILE, train_type_model

__all__ = ["Mention", "gold_text", "entity_spans", "gold_doc", "named_phrases", "unnamed_phrases", "annotated_types",
           "train_recogniser", "HeldOut", "cross_fit_typing", "ship_model", "update_meta"]

#: A generic phrase is a name to the recogniser when annotators name it as an entity in at least
#: NAMED_SHARE of the training abstracts that say it, and those are at least NAMED_LEAST.
NAMED_SHARE, NAMED_LEAST = 0.5, 5
#: A name the pipeline finds in at least NAMED_LEAST training abstracts is ruled out when annotators
#: name it in fewer than UNNAMED_SHARE of them (neither named nor optional there: it is wrong).
UNNAMED_SHARE = 0.25
#: A name annotators name in at least NAMED_LEAST training abstracts takes their most common type
#: when that type has at least TYPED_SHARE of them and the pipeline's type agrees in under half.
TYPED_SHARE = 0.6


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


def named_phrases(phrases: Iterable[str], records: Iterable[dict]) -> list[str]:
    """The ``phrases`` (generic phrases, which the pipeline never takes for names) that the gold
    ``records`` name as an entity often enough (:data:`NAMED_SHARE`, :data:`NAMED_LEAST`): the
    guideline calls "deep learning" a field, yet annotators name "transfer learning" in most
    abstracts that say it.

    >>> said = {"title": "T", "abstract": "We use transfer learning and deep learning."}
    >>> named = {**said, "entities": [{"name": "transfer learning", "type": "Method"}]}
    >>> named_phrases(["transfer learning", "deep learning"], [named] * 3 + [said] * 2)
    ['transfer learning']
    """
    annotated = [(gold_text(r).lower(), _gold_types(r).keys()) for r in records]
    found = []
    for phrase in phrases:
        pattern, key = _pattern(phrase.lower()), canonical_key(phrase)
        named = [key in keys for text, keys in annotated if phrase.lower() in text and pattern.search(text)]
        if len(named) >= NAMED_LEAST and sum(named) >= NAMED_SHARE * len(named):
            found.append(phrase)
    return found


def unnamed_phrases(docs: Iterable[Doc], records: list[dict]) -> list[str]:
    """The names the pipeline finds in ``docs`` (the processed gold ``records``) that their
    annotators rarely name (:data:`UNNAMED_SHARE`): words the rules take for names ("RGB", "LiDAR",
    "NP-hard") and glossary words annotators leave bare ("distillation"). An abstract whose
    annotation lists the name as optional does not count.
    """
    said: dict[str, list[bool]] = {}
    spelling: dict[str, str] = {}
    for doc, record in zip(docs, records):
        gold, optional = _gold_types(record), {canonical_key(e["name"]) for e in record.get("optional", [])}
        found: dict[str, bool] = {}
        for ent, keys in _found_names(doc):
            if not keys & optional:
                key = canonical_key(ent.text)
                found[key] = found.get(key, False) or bool(keys & gold.keys())
                spelling.setdefault(key, ent.text)
        for key, named in found.items():
            said.setdefault(key, []).append(named)
    return sorted(spelling[key] for key, named in said.items()
                  if len(named) >= NAMED_LEAST and sum(named) < UNNAMED_SHARE * len(named))


def annotated_types(docs: Iterable[Doc], records: list[dict]) -> dict[str, str]:
    """The names (canonical keys) that the gold ``records``' annotators type otherwise than the
    pipeline does in ``docs`` (:data:`TYPED_SHARE`): "AP" is a metric, not a method its shape
    suggests; "neural architecture search" a task.
    """
    typed: dict[str, list[tuple[str, str]]] = {}  # key -> (pipeline's type, annotators' type) per abstract
    for doc, record in zip(docs, records):
        gold = _gold_types(record)
        found = {canonical_key(ent.text): (ent.label_, gold[named[0]])
                 for ent, keys in _found_names(doc) if (named := sorted(keys & gold.keys()))}
        for key, pair in found.items():
            typed.setdefault(key, []).append(pair)
    corrected = {}
    for key, pairs in typed.items():
        (annotated, votes), = Counter(annotators for _, annotators in pairs).most_common(1)
        agreeing = sum(compatible_types(pipeline, annotators) for pipeline, annotators in pairs)
        if len(pairs) >= NAMED_LEAST and votes >= TYPED_SHARE * len(pairs) and agreeing < 0.5 * len(pairs):
            corrected[key] = annotated
    return dict(sorted(corrected.items()))


def named_labels(doc: Doc, record: dict) -> list[float | None]:
    """For each entity span of a processed doc, whether the gold ``record`` names its entity (a name
    of its group): 1.0 or 0.0, or None for one only its optional names match."""
    gold, optional = _gold_types(record), _optional_keys(record)
    return [float(bool(keys & gold.keys())) if keys & gold.keys() or not keys & optional else None
            for _, keys in _found_names(doc)]


def _optional_keys(record: dict) -> set[str]:
    return {canonical_key(n) for e in record.get("optional", []) for n in [e["name"], *e.get("aliases", [])]}


def _gold_types(record: dict) -> dict[str, str]:
    """The canonical keys of a gold record's names and aliases, with their types."""
    return {canonical_key(n): e["type"] for e in record.get("entities", []) for n in [e["name"], *e.get("aliases", [])]}


def _found_names(doc: Doc) -> list[tuple[Span, set[str]]]:
    """Each entity span of a processed doc with the keys of every name of its group (acronym and expansion)."""
    group_of = doc._.entity_groups
    group_keys: dict[str, set[str]] = {}
    for ent in doc.ents:
        group_keys.setdefault(group_of.get(ent.kb_id_, ent.kb_id_), set()).add(canonical_key(ent.text))
    return [(ent, group_keys[group_of.get(ent.kb_id_, ent.kb_id_)]) for ent in doc.ents]


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

    from .gazetteer import read_generic_terms
    from .pipeline import GENERIC_TERMS, blank_pipeline

    train, dev = list(train), list(dev)
    records = train + dev
    nlp = blank_pipeline()
    with tempfile.TemporaryDirectory(prefix="paperkg-train-") as work:
        paths = {}
        for part, part_records in (("train", train), ("dev", dev)):
            paths[part] = Path(work) / f"{part}.spacy"
            DocBin(docs=[gold_doc(nlp, r) for r in part_records], store_user_data=False).to_disk(paths[part])
        settings = {"paths.train": str(paths["train"]), "paths.dev": str(paths["dev"]), **(overrides or {})}
        load_config(config, overrides=settings)  # a bad config or override fails here, before training
        with contextlib.redirect_stdout(io.StringIO()) if quiet else contextlib.nullcontext():
            spacy_train(config, Path(work) / "out", overrides=settings, use_gpu=-1)
        best = Path(work) / "out" / "model-best"
        target = Path(output)
        ship_model(best, target, name="paperkg_entities", version="1.0.0",
                   description="paperkg's entity recogniser: the annotation guideline's six types, trained by "
                               "scripts/train_entities.py on paperkg.tokenizer.v1 tokens",
                   named_generic_phrases=named_phrases((e["name"] for e in read_generic_terms(GENERIC_TERMS)), records))
    docs = _resolved_docs(target, records)  # the pipeline reads the named phrases
    update_meta(target, unnamed_phrases=unnamed_phrases(docs, records), annotated_types=annotated_types(docs, records))
    return target


class HeldOut(NamedTuple):
    """A trained recogniser and annotated records it never saw."""

    recogniser: Path
    records: list[dict]


#: The resolver without its typer and name filter: what the typer is fitted on.
_UNTYPED: dict[str, Path | None] = {"type_model": None, "name_filter": None}


class _Target(NamedTuple):
    """A recogniser whose typer and name filter learn from the records of ``sources`` (parts)."""

    recogniser: Path
    sources: tuple[int, ...]


def cross_fit_typing(parts: Sequence[HeldOut], main: Path | None = None, *, jobs: int | None = None) -> None:
    """Fit and write beside each recogniser of ``parts`` its typer and name filter, learned from the
    other parts' records, each read by its own part's recogniser; and beside ``main`` (a recogniser
    trained on all of them), those learned from every part.

    The parts are the folds of a cross-validation: a fold's typer learns from recognisers that saw
    the fold's records, but never from those records' annotations. The typer learns from the
    pipeline without learned models, the name filter from the pipeline with that typer. ``jobs``
    processes (default: one per core) share the recognisers, each reading every part once untyped;
    the same models as in one process.
    """
    targets = [_Target(part.recogniser, tuple(j for j in range(len(parts)) if j != i)) for i, part in enumerate(parts)]
    targets += [_Target(main, tuple(range(len(parts))))] if main else []
    jobs = max(1, min(len(targets), jobs or os.cpu_count() or 1))
    fit = partial(_fit_typing, list(parts))
    if jobs == 1:
        fit(targets)
        return
    # spawn: a fork would copy the parent's threads and locks (BLAS, tokenizers) into the workers
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(fit, [targets[k::jobs] for k in range(jobs)]))


def _fit_typing(parts: list[HeldOut], targets: list[_Target]) -> None:
    """:func:`cross_fit_typing`'s work for ``targets``."""
    untyped = [_resolved_docs(part.recogniser, part.records, learned_models=_UNTYPED) for part in parts]
    for target, sources in targets:
        typer = train_type_model([doc for j in sources for doc in untyped[j]],
                                 [_gold_types(r) for j in sources for r in parts[j].records])
        typer.write(target / TYPE_MODEL_FILE)
        typed = {**_UNTYPED, "type_model": target / TYPE_MODEL_FILE}
        docs, labels = [], []
        for j in sources:
            read = _resolved_docs(parts[j].recogniser, parts[j].records, grouped=True, learned_models=typed)
            docs += read
            labels += [named_labels(doc, record) for doc, record in zip(read, parts[j].records)]
        train_name_filter(docs, labels).write(target / NAME_FILTER_FILE)


def _resolved_docs(recogniser: Path, records: list[dict], *, grouped: bool = False,
                   learned_models: dict[str, Path | None] | None = None) -> list[Doc]:
    """``records`` through the pipeline around ``recogniser``, up to its resolved entities (``grouped``:
    and the relation rules, which set ``doc._.entity_groups``; ``learned_models``: see
    :func:`paperkg.extractors.pipeline.make_pipeline`)."""
    from .pipeline import make_pipeline

    pipeline = make_pipeline(ner_model=recogniser, relation_model=False, learned_models=learned_models)
    with pipeline.select_pipes(disable=[] if grouped else ["paperkg_relations"]):
        return list(pipeline.pipe(gold_text(r) for r in records))


def ship_model(model: Path, target: Path, **meta_fields: Any) -> None:
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
    update_meta(target, **meta_fields)


def update_meta(model: Path, **fields: Any) -> None:
    """Set ``fields`` in the meta.json of the pipeline saved at ``model``."""
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    meta.update(fields)
    (model / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

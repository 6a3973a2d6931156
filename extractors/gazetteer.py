"""The gazetteer component: known names of the field, matched as phrases.

Entries are ``{"name", "type", "aliases", "source", "case_sensitive"}`` records
(``scripts/build_gazetteer.py`` writes them). Case-sensitive entries match on
exact text (``MATH``, ``Adam``), the others on lowercase text. Generic phrases
("large language models") are entries of type ``Generic``: they mark text that
must not become an entity.

Matches go to ``doc.spans["gazetteer"]``, labelled with the entry's type and
with ``span.kb_id_`` set to the canonical key of the entry's name, so that
"ViT" and "Vision Transformer" meet in one graph node. A match of an entry
whose name has lowercase words ("knowledge distillation", "Bayesian
optimization") has ``span.id_ == LOWERCASE_NAME``: more capitals on it come from
the text around it. A compound word the
tokenizer keeps whole ("Orca-Math", "MoE-LLaVA") and no entry names goes to
``doc.spans["gazetteer_parts"]`` when a part of it is a known one-word name,
labelled with that part's type: a new name built on a known one is mostly of its
kind (see :func:`part_type`).

>>> import spacy
>>> nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
>>> gaz = nlp.add_pipe("paperkg_gazetteer")
>>> gaz.add_entries([{"name": "GSM8K", "type": "Benchmark", "aliases": ["GSM-8K"]},
...                  {"name": "knowledge distillation", "type": "Method"}])
>>> doc = nlp("Knowledge distillation helps on GSM8K.")
>>> [(s.text, s.label_, s.kb_id_) for s in doc.spans["gazetteer"]]
[('Knowledge distillation', 'Method', 'knowledgedistillation'), ('GSM8K', 'Benchmark', 'gsm8k')]
>>> doc = nlp("We evaluate on GSM8K-Hard.")
>>> [(s.text, s.label_) for s in doc.spans["gazetteer_parts"]]
[('GSM8K-Hard', 'Benchmark')]
"""

from __future__ import annotations

import json
import re
from enum import Enum
from pathlib import Path
from typing import Any, Iterable

import srsly
from spacy import util
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import SimpleFrozenList

from . import tokenizer as _registers_tokenizer  # noqa: F401  (doctest config)
from .normalize import canonical_key
from .records import ENTITY_TYPES

__all__ = ["GENERIC", "LOWERCASE_NAME", "Gazetteer", "part_type", "plural", "read_entries", "read_generic_terms"]

GENERIC = "Generic"
LOWERCASE_NAME = "lowercase_name"  # span id of a match of an entry with lowercase words ("model merging")
_TYPES = (*ENTITY_TYPES, GENERIC)


def read_entries(path: str | Path) -> Iterable[dict[str, Any]]:
    """Gazetteer entries from a JSON Lines file."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def read_generic_terms(path: str | Path) -> Iterable[dict[str, Any]]:
    """Generic phrases (one a line) as entries of type ``Generic``."""
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip() and not line.startswith("#"):
                yield generic_entry(line.strip())


def generic_entry(phrase: str) -> dict[str, Any]:
    """The gazetteer entry of a generic phrase: never an entity, in any case."""
    return {"name": phrase, "type": GENERIC, "case_sensitive": False}


#: Which known part types a compound when it holds several: "MoE-LLaVA" is a model built with a
#: method, "MMLU-STEM" a benchmark's subset, "Step-DPO" a method.
_PART_PRIORITY = ("Model", "Benchmark", "Dataset", "Method")
_PART_SPLIT = re.compile(r"[-+/]")


class _Unseen(Enum):
    """A word the memo has not seen yet (None is a memoised answer)."""

    WORD = 0


_UNSEEN = _Unseen.WORD  # an enum member, so that a type checker narrows ``found is _UNSEEN``
_SIBILANT = re.compile(r"(?:s|x|z|ch|sh)$")
_CONSONANT_Y = re.compile(r"[^aeiou]y$")


def plural(name: str) -> str | None:
    """The plural of a name whose last word is a lowercase noun ("grid searches"), else None.

    Lowercase names are written in the singular, as a glossary writes them; abstracts name
    them in the plural as often ("ensembles of models", "grid searches over ...").

    >>> plural("grid search"), plural("random forest"), plural("policy"), plural("Adam"), plural("dynamics")
    ('grid searches', 'random forests', 'policies', None, None)
    """
    last = name.rsplit(" ", 1)[-1].rsplit("-", 1)[-1]
    if not (last.isalpha() and last.islower()) or last.endswith("s"):
        return None
    if _SIBILANT.search(last):
        return name + "es"
    if _CONSONANT_Y.search(last):
        return name[:-1] + "ies"
    return name + "s"


def part_type(word: str, exact: dict[str, str], lower: dict[str, str]) -> str | None:
    """The type of a compound word from its known parts, or None.

    ``exact`` maps case-sensitive one-word names to types, ``lower`` lowercase ones.

    >>> part_type("Orca-Math", {}, {"orca": "Model"}), part_type("Step-DPO", {"DPO": "Method"}, {})
    ('Model', 'Method')
    """
    parts = _PART_SPLIT.split(word)
    if len(parts) < 2:
        return None
    found = {exact.get(part) or lower.get(part.lower()) for part in parts if part}
    return next((t for t in _PART_PRIORITY if t in found), None)


@Language.factory(
    "paperkg_gazetteer",
    default_config={"spans_key": "gazetteer"},
    assigns=["doc.spans"],
)
def make_gazetteer(nlp: Language, name: str, *, spans_key: str) -> "Gazetteer":
    return Gazetteer(nlp, name, spans_key=spans_key)


class Gazetteer:
    """Matches gazetteer names; see the module docstring.

    Its entries come from files named in the config (:meth:`initialize`) and are saved with the
    pipeline (``to_disk``/``to_bytes``, field ``entries``), so a loaded pipeline needs no files.
    """

    def __init__(self, nlp: Language, name: str = "paperkg_gazetteer", *, spans_key: str = "gazetteer"):
        self.nlp = nlp
        self.name = name
        self.spans_key = spans_key
        self._clear()

    def _clear(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._exact = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        self._lower = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self._exact_words: dict[str, str] = {}  # one-word names, for parts of compounds
        self._lower_words: dict[str, str] = {}
        self._part_types: dict[int, str | None] = {}  # word id -> part_type, memoised
        self._lowercase_names: set[str] = set()  # keys of entries whose names have lowercase words

    def initialize(self, get_examples=None, *, nlp: Language | None = None, entries: str | None = None,
                   generic_terms: str | None = None, named_phrases: list[str] | None = None,
                   unnamed_phrases: list[str] | None = None) -> None:
        """Replace the entries with those of the files of ``[initialize.components.<name>]``:
        ``entries`` (JSON Lines, see :func:`read_entries`) and ``generic_terms`` (one phrase a line),
        but for the ``named_phrases`` among those, and with the ``unnamed_phrases`` as generic ones
        (the recogniser's annotations name the first and never the second)."""
        self._clear()
        if entries is not None:
            self.add_entries(read_entries(entries))
        if generic_terms is not None:
            named = {canonical_key(phrase) for phrase in named_phrases or []}
            self.add_entries(e for e in read_generic_terms(generic_terms) if canonical_key(e["name"]) not in named)
        self.add_entries(generic_entry(phrase) for phrase in unnamed_phrases or [])

    def add_entries(self, entries: Iterable[dict[str, Any]]) -> None:
        """Add entries; a type outside the guideline's is an error naming the valid ones."""
        self._part_types.clear()  # known parts change
        for entry in entries:
            if entry["type"] not in _TYPES:
                raise ValueError(f"gazetteer entry {entry['name']!r}: type {entry['type']!r} is not one of {', '.join(_TYPES)}")
            self.entries.append(entry)
            names = [entry["name"], *entry.get("aliases", [])]
            matcher = self._exact if entry.get("case_sensitive") else self._lower
            if not entry.get("case_sensitive"):
                names += [p for p in map(plural, names) if p and p not in names]
            key = canonical_key(entry["name"])
            label = f"{entry['type']}|{key}"
            if any(word[:1].islower() for word in entry["name"].split()):
                self._lowercase_names.add(key)
            matcher.add(label, [self.nlp.make_doc(name) for name in names])
            if entry["type"] in _PART_PRIORITY:
                words = self._exact_words if entry.get("case_sensitive") else self._lower_words
                for one_word in (n for n in names if len(n) > 1 and n.isalnum()):
                    words.setdefault(one_word if entry.get("case_sensitive") else one_word.lower(), entry["type"])

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for matcher in (self._exact, self._lower):
            for match_id, start, end in matcher(doc):
                label, key = self.nlp.vocab.strings[match_id].split("|", 1)
                span_id = LOWERCASE_NAME if key in self._lowercase_names else ""
                spans.append(Span(doc, start, end, label=label, kb_id=key, span_id=span_id))
        spans.sort(key=lambda s: (s.start, -len(s)))
        doc.spans[self.spans_key] = spans
        named = {i for span in spans for i in range(span.start, span.end)}
        parts = []
        for i, orth in enumerate(doc.to_array("ORTH").tolist()):  # no Token objects: this runs on every word
            found = self._part_types.get(orth, _UNSEEN)
            if found is _UNSEEN:
                if len(self._part_types) > 200_000:  # a vocabulary grows with the corpus; the memo must not
                    self._part_types.clear()
                found = self._part_types[orth] = part_type(self.nlp.vocab.strings[orth], self._exact_words, self._lower_words)
            if found and i not in named:
                parts.append(Span(doc, i, i + 1, label=found))
        doc.spans[f"{self.spans_key}_parts"] = parts
        return doc

    def _set_entries(self, entries: Iterable[dict[str, Any]]) -> None:
        self._clear()
        self.add_entries(entries)

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        return util.to_bytes({"entries": lambda: srsly.json_dumps(self.entries)}, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> "Gazetteer":
        util.from_bytes(bytes_data, {"entries": lambda data: self._set_entries(srsly.json_loads(data))}, exclude)
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        util.to_disk(path, {"entries.jsonl": lambda file: srsly.write_jsonl(file, self.entries)}, exclude)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> "Gazetteer":
        util.from_disk(path, {"entries.jsonl": lambda file: self._set_entries(read_entries(file))}, exclude)
        return self

"""Typed records that flow from the readers through extraction to the graph.

A reader yields :class:`Paper`; extraction turns each paper into an
:class:`Extraction` (its :class:`Entity` and :class:`Relation` records). The JSON
form of an extraction (``Extraction.to_dict``) is the line format of
``paperkg extract``::

    {"paper": {"id", "title", "abstract", ...},
     "entities": [{"id", "name", "type", "aliases", "mentions": [...]}],
     "relations": [{"head", "type", "tail", "evidence", "start", "end",
                    "extractor", "confidence", "direction" (COMPARES_WITH only)}],
     "results": [{"subject", "benchmark", "metric", "value", "unit", "kind",
                  "baseline", "setting", "evidence", "start", "end", "extractor",
                  "confidence", "task"}]}

Character offsets (``start``/``end`` of mentions and evidence) index into
``Paper.text``: the title, a blank line, then the abstract.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Any

from paperkg.extractors.dates import DateClaim, best_date, parse_date

__all__ = [
    "ENTITY_TYPES",
    "RELATION_TYPES",
    "COMPARISON_DIRECTIONS",
    "PAPER",
    "Paper",
    "Mention",
    "Entity",
    "Relation",
    "Result",
    "RESULT_KINDS",
    "RANGE_WORDS",
    "canonical_value",
    "value_number",
    "Extraction",
    "normalise_title",
    "title_id",
]

#: Entity types of the annotation guideline, in display order.
ENTITY_TYPES = ("Model", "Method", "Dataset", "Benchmark", "Task", "Metric")

#: Relation types extraction produces. The first four are the guideline's;
#: BASED_ON (model derived from a model) and TRAINED_ON (model to dataset) are
#: stated model lineage.
RELATION_TYPES = (
    "PROPOSES",
    "USES",
    "EVALUATES_ON",
    "COMPARES_WITH",
    "BASED_ON",
    "TRAINED_ON",
)

#: What a COMPARES_WITH relation claims of its head against its tail: ``better`` (outperforms,
#: surpasses), ``worse`` (trails, falls short of, cannot match), ``on_par`` (matches, comparable
#: to), ``not_better`` (does not outperform, fails to beat) or ``compared`` (compared with, versus:
#: no claim either way).
COMPARISON_DIRECTIONS = ("better", "worse", "on_par", "not_better", "compared")

#: What a result's value is: a score reached, an improvement in the metric's units, a relative change.
RESULT_KINDS = ("absolute", "gain", "relative")

#: The head or tail that stands for the paper itself.
PAPER = "PAPER"

TITLE_SEPARATOR = "\n\n"


def normalise_title(title: str) -> str:
    """Fold a title to the form used to recognise the same paper across sources.

    >>> normalise_title("  Step-DPO:  Step-wise Preference Optimization ")
    'step dpo step wise preference optimization'
    """
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def title_id(title: str) -> str:
    """A stable paper id from a title, for papers with no arXiv id or DOI.

    >>> title_id("Attention Is All You Need") == title_id("attention is all you need.")
    True
    """
    digest = hashlib.sha1(normalise_title(title).encode()).hexdigest()[:16]
    return f"title:{digest}"


def _field_values(record: Any) -> dict[str, Any]:
    """A record's fields by name, its lists copied: ``dataclasses.asdict`` of these flat records, without
    its recursive deep copy (five times slower, and run for every record written)."""
    return {name: list(value) if isinstance(value, list) else value
            for name in record.__dataclass_fields__ for value in (getattr(record, name),)}


@dataclass
class Paper:
    """One paper as a reader found it.

    ``id`` is ``arxiv:<id>`` when the source gives an arXiv id, ``doi:<doi>``
    when it gives a DOI, else :func:`title_id`. ``source`` says where the
    record came from (``FILE:LINE``). ``date`` is the publication date as ISO
    (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) and ``date_source`` where it came from
    (one of ``paperkg.extractors.dates.DATE_SOURCES``); ``to_dict`` adds its ``year`` (a number) and, when
    the date names one, its ``month`` (``YYYY-MM``).
    """

    id: str
    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    n_authors: int | None = None
    date: str | None = None
    upvotes: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    url: str | None = None
    venue: str | None = None
    source: str | None = None
    date_source: str | None = None

    @property
    def text(self) -> str:
        """The text extraction reads: title, blank line, abstract."""
        return self.title + TITLE_SEPARATOR + self.abstract

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in _field_values(self).items() if v not in (None, [])}
        # The periods trends count by, as properties: Cypher grouping by an expression of the date
        # is seven times slower on the embedded engine than grouping by a property.
        iso = parse_date(self.date)
        if iso:
            data["year"] = int(iso[:4])
        if iso and len(iso) >= 7:
            data["month"] = iso[:7]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Paper":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def merge(self, other: "Paper") -> "Paper":
        """The union of two records of the same paper: fields this one lacks come from ``other``."""
        merged = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            merged[f.name] = theirs if mine in (None, [], "") else mine
        if len(other.abstract) > len(self.abstract):
            merged["abstract"] = other.abstract
        dated = best_date(DateClaim(p.date, p.date_source or "") for p in (self, other) if p.date)
        merged["date"], merged["date_source"] = dated if dated else (None, None)
        return Paper(**merged)


@dataclass
class Mention:
    """One occurrence of an entity in ``Paper.text``."""

    text: str
    start: int
    end: int
    source: str  # the component that found it: "ner", "gazetteer", "abbreviation", ...

    def to_dict(self) -> dict[str, Any]:
        return _field_values(self)


@dataclass
class Entity:
    """A research entity named in one paper.

    ``id`` is the canonical key (see ``paperkg.extractors.normalize.canonical_key``):
    spellings of the same name share it, so it is how entities of different
    papers become one graph node. ``family`` names the model family of a size
    variant (``LLaMA-3-8B`` -> ``LLaMA-3``).
    """

    id: str
    name: str
    type: str
    aliases: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    confidence: float = 1.0
    family: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = _field_values(self)
        data["mentions"] = [m.to_dict() for m in self.mentions]
        if data["family"] is None:
            del data["family"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Entity":
        data = dict(data)
        data["mentions"] = [Mention(**m) for m in data.get("mentions", [])]
        return cls(**data)


@dataclass
class Relation:
    """A typed relation stated by a paper, with its evidence.

    ``head`` and ``tail`` are entity names of the same extraction, or
    :data:`PAPER`. ``start``/``end`` locate ``evidence`` in ``Paper.text``.
    ``direction`` (one of :data:`COMPARISON_DIRECTIONS`) is what a COMPARES_WITH
    relation claims of ``head`` against ``tail``; other types have none.
    """

    head: str
    type: str
    tail: str
    evidence: str
    start: int
    end: int
    extractor: str
    confidence: float
    direction: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = _field_values(self)
        if data["direction"] is None:
            del data["direction"]
        return data


@dataclass
class Result:
    """A score an abstract reports: ``subject`` reaches ``value`` (``unit``: "%", "points", "x" or "")
    in ``metric`` on ``benchmark``.

    ``subject``, ``benchmark`` and ``baseline`` are entity names of the same extraction
    (``subject`` may be :data:`PAPER`); ``metric`` is as the text writes it ("" when it names
    none); ``kind`` is one of :data:`RESULT_KINDS`; ``setting`` is the split or setting stated
    ("test-dev", "5-shot"). ``start``/``end`` locate ``evidence`` in ``Paper.text``. ``task`` is the
    Task entity the score is on, when the paper names one (see
    :func:`paperkg.extractors.results.result_tasks`): "AP" on COCO means another thing for detection
    than for pose estimation.
    """

    subject: str
    benchmark: str
    metric: str
    value: str
    unit: str
    kind: str
    baseline: str | None
    setting: str | None
    evidence: str
    start: int
    end: int
    extractor: str
    confidence: float
    task: str | None = None

    @property
    def key_fields(self) -> tuple[str, str, str, str, str | None]:
        """What makes two results one: subject, benchmark, metric, value and setting."""
        return self.subject, self.benchmark, self.metric, self.value, self.setting

    def to_dict(self) -> dict[str, Any]:
        return _field_values(self)

    @property
    def score(self) -> float:
        """The number the value states (a range's first end), for sorting: see :func:`value_number`."""
        return value_number(self.value)


#: What stands between a range's two ends: "5-20", "8% to 14", "10% ∼ 15%", "3%∼7%", "2$\sim$3".
RANGE_WORDS = ("-", "–", "~", "∼", "to", "\\sim")
_RANGE = re.compile(rf"(?P<low>\d+(?:\.\d+)?)\s*%?\s*(?:{'|'.join(map(re.escape, RANGE_WORDS))})\s*"
                    r"(?P<high>\d+(?:\.\d+)?)\s*%?")


def canonical_value(value: str) -> str:
    """A result's value as scores compare it: without thousands commas, a range as "low-high".

    >>> canonical_value("1,024"), canonical_value("8% to 14"), canonical_value("10% ∼ 15%")
    ('1024', '8-14', '10-15')
    """
    value = value.replace(",", "").strip()
    match = _RANGE.fullmatch(value)
    return f"{match['low']}-{match['high']}" if match else value


def value_number(value: str) -> float:
    """The number a result's value states; of a range ("5-20"), its first end.

    >>> value_number("83.1"), value_number("5-20")
    (83.1, 5.0)
    """
    value = canonical_value(value)
    match = _RANGE.fullmatch(value)
    return float(match["low"] if match else value)


@dataclass
class Extraction:
    """Everything extraction found in one paper."""

    paper: Paper
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "paper": self.paper.to_dict(),
            "entities": [e.to_dict() for e in self.entities],
            "relations": [r.to_dict() for r in self.relations],
            "results": [r.to_dict() for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Extraction":
        return cls(
            paper=Paper.from_dict(data["paper"]),
            entities=[Entity.from_dict(e) for e in data.get("entities", [])],
            relations=[Relation(**r) for r in data.get("relations", [])],
            results=[Result(**r) for r in data.get("results", [])],
        )

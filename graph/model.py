"""The graph model shared by every store and export.

The embedded graph is a :class:`networkx.MultiDiGraph`:

* node key = the node's ``id``. Papers have ids with a scheme
  (``arxiv:2401.01234``, ``doi:10.1/x``, ``title:<hash>``); entities have their
  canonical key (``gsm8k``), which never contains a colon.
* node attributes: ``label`` (one of :data:`LABELS`), ``id``, and the label's
  properties: for a Paper ``title``, ``abstract``, ``authors`` (list),
  ``n_authors``, ``date`` (ISO ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``), ``date_source``
  (where the date came from: ``paperkg.extractors.dates.DATE_SOURCES``), ``year`` (the date's, a
  number), ``month`` (``YYYY-MM``, when the date names the month), ``upvotes``, ``arxiv_id``,
  ``doi``, ``url``, ``venue``, ``sources`` (list); for an entity ``name``, ``aliases`` (list),
  ``keys`` (list: the canonical keys of the name and every alias, which is
  how names are looked up on every engine) and ``inferred`` (true for a model
  family created only to link its size variants).
* an entity's key is the canonical key of its name, and its name the fullest form
  (the expansion, not the acronym) the most papers use; see ``paperkg.graph.store.resolve_entities``.
* Result nodes (``id`` ``result:<hash>`` of paper, subject, benchmark, metric, value and
  setting: one per score a paper reports) with ``name`` (a readable summary), ``paper``,
  ``subject``, ``benchmark``, ``metric``, ``value`` (as written; a range as "8-14"), ``score`` (the number; a range's first end),
  ``unit``, ``kind``, ``baseline``, ``setting`` and ``task`` (each absent when none), ``lower_is_better``,
  ``evidence``, ``start``, ``end``, ``extractor``, ``confidence``; linked by
  :data:`RESULT_TYPES`: the paper ``REPORTS`` it, it is ``RESULT_OF`` its subject
  entity (none when the subject is the paper's unnamed approach), ``RESULT_ON`` its
  benchmark and ``MEASURED_IN`` its metric (when the paper names it as a Metric entity).
* edge key = ``"TYPE|paper-id"``, so one paper states one relation of a type
  between two nodes once, and re-extracting a paper replaces its edges.
* edge attributes: ``type`` (one of :data:`RELATIONSHIP_TYPES`), ``paper``
  (the id of the paper that states it), ``evidence``, ``start``, ``end``,
  ``extractor``, ``confidence``. VARIANT_OF edges have ``paper`` "" and no evidence.
  MENTIONS edges have ``as_type`` (the type the paper gives the entity), ``confidence``
  and the paper's naming of it: ``name``, ``aliases`` (absent when none), ``family``
  (absent when none), from which entities are resolved again on every build.

Writers (Neo4j, exports) take the same data as typed records through
:func:`node_records` and :func:`relationship_records`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from collections.abc import Iterable
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple, TypeVar

from paperkg.extractors.normalize import canonical_key
from paperkg.extractors.records import ENTITY_TYPES, RELATION_TYPES

from .catalogue import cypher_dir

if TYPE_CHECKING:  # networkx is imported where a graph is made: the SQL path of queries needs none
    import networkx as nx

__all__ = [
    "PAPER_LABEL",
    "RESULT_LABEL",
    "RESULT_TYPES",
    "ENTITY_LABEL",
    "ENTITY_LABELS",
    "LABELS",
    "RELATIONSHIP_TYPES",
    "ValueKind",
    "PropertyRule",
    "NODE_PROPERTIES",
    "EDGE_PROPERTIES",
    "NodeRecord",
    "RelationshipRecord",
    "node_records",
    "relationship_records",
    "batches",
    "edge_key",
    "result_id",
    "node_labels",
    "is_entity",
    "new_graph",
    "cypher_dir",
]

T = TypeVar("T")

PAPER_LABEL = "Paper"
#: A score a paper reports (see the module docstring).
RESULT_LABEL = "Result"
#: The label every entity node carries besides its type (Neo4j uniqueness and lookups).
ENTITY_LABEL = "Entity"
ENTITY_LABELS = ENTITY_TYPES
LABELS = (PAPER_LABEL, *ENTITY_LABELS, RESULT_LABEL)
#: A paper to its results, and a result to its subject, benchmark and metric.
RESULT_TYPES = ("REPORTS", "RESULT_OF", "RESULT_ON", "MEASURED_IN")
#: Relationship types of the graph: the extracted ones, a size variant's link to
#: its family, MENTIONS from a paper to every entity it names, and the results' links.
RELATIONSHIP_TYPES = (*RELATION_TYPES, "VARIANT_OF", "MENTIONS", *RESULT_TYPES)


class ValueKind(NamedTuple):
    """A kind of property value: what it is called in a message, and the test of a value."""

    description: str
    accepts: Callable[[Any], bool]


TEXT = ValueKind("a string", lambda value: isinstance(value, str))
TEXTS = ValueKind("a list of strings", lambda value: isinstance(value, list) and all(isinstance(v, str) for v in value))
FLAG = ValueKind("true or false", lambda value: isinstance(value, bool))
NUMBER = ValueKind("a number", lambda value: isinstance(value, (int, float)) and not isinstance(value, bool))
WHOLE_NUMBER = ValueKind("a whole number", lambda value: isinstance(value, int) and not isinstance(value, bool))
ENTITY_TYPE = ValueKind(f"one of {', '.join(ENTITY_LABELS)}", lambda value: value in ENTITY_LABELS)


class PropertyRule(NamedTuple):
    """A property the nodes of ``labels`` (or relationships of those types) hold (when ``required``,
    else may hold), of one kind."""

    name: str
    kind: ValueKind
    labels: tuple[str, ...]
    required: bool = True


#: What the builder, the query engine and the writers rely on; a graph file is checked against it.
NODE_PROPERTIES = [
    PropertyRule("title", TEXT, (PAPER_LABEL,)),
    PropertyRule("abstract", TEXT, (PAPER_LABEL,)),
    PropertyRule("sources", TEXTS, (PAPER_LABEL,)),
    PropertyRule("date", TEXT, (PAPER_LABEL,), required=False),
    PropertyRule("date_source", TEXT, (PAPER_LABEL,), required=False),
    PropertyRule("year", WHOLE_NUMBER, (PAPER_LABEL,), required=False),  # trends count papers by these
    PropertyRule("month", TEXT, (PAPER_LABEL,), required=False),
    PropertyRule("name", TEXT, ENTITY_LABELS),
    PropertyRule("aliases", TEXTS, ENTITY_LABELS),
    PropertyRule("keys", TEXTS, ENTITY_LABELS),
    PropertyRule("inferred", FLAG, ENTITY_LABELS),
    *(PropertyRule(name, TEXT, (RESULT_LABEL,)) for name in
      ("name", "paper", "subject", "benchmark", "metric", "value", "unit", "kind", "evidence", "extractor")),
    *(PropertyRule(name, TEXT, (RESULT_LABEL,), required=False) for name in ("baseline", "setting", "task")),
    PropertyRule("score", NUMBER, (RESULT_LABEL,)),
    PropertyRule("lower_is_better", FLAG, (RESULT_LABEL,)),
    PropertyRule("confidence", NUMBER, (RESULT_LABEL,)),
    PropertyRule("start", WHOLE_NUMBER, (RESULT_LABEL,)),
    PropertyRule("end", WHOLE_NUMBER, (RESULT_LABEL,)),
]
EDGE_PROPERTIES = [
    PropertyRule("paper", TEXT, RELATIONSHIP_TYPES),
    PropertyRule("as_type", ENTITY_TYPE, ("MENTIONS",)),
    # the paper's naming of the entity, which resolution reads (a graph from before has none)
    PropertyRule("name", TEXT, ("MENTIONS",), required=False),
    PropertyRule("aliases", TEXTS, ("MENTIONS",), required=False),
    PropertyRule("family", TEXT, ("MENTIONS",), required=False),
    PropertyRule("confidence", NUMBER, RELATIONSHIP_TYPES, required=False),
    PropertyRule("start", WHOLE_NUMBER, RELATION_TYPES, required=False),
    PropertyRule("end", WHOLE_NUMBER, RELATION_TYPES, required=False),
    PropertyRule("evidence", TEXT, RELATION_TYPES, required=False),
]


@dataclass(frozen=True)
class NodeRecord:
    """One node as writers see it: ``labels`` is e.g. ``("Entity", "Benchmark")``."""

    id: str
    label: str
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def labels(self) -> tuple[str, ...]:
        return node_labels(self.label)


@dataclass(frozen=True)
class RelationshipRecord:
    """One relationship as writers see it."""

    start: str
    end: str
    type: str
    key: str
    properties: dict[str, Any] = field(default_factory=dict)


def new_graph() -> nx.MultiDiGraph:
    """An empty paperkg graph."""
    import networkx as nx

    return nx.MultiDiGraph(name="paperkg")


def node_labels(label: str) -> tuple[str, ...]:
    """All labels of a node whose type is ``label``.

    >>> node_labels("Benchmark")
    ('Entity', 'Benchmark')
    >>> node_labels("Paper")
    ('Paper',)
    """
    return (label,) if label in (PAPER_LABEL, RESULT_LABEL) else (ENTITY_LABEL, label)


def is_entity(data: dict[str, Any]) -> bool:
    """Whether a node's attributes are an entity's (not a paper's or a result's)."""
    return data["label"] in ENTITY_LABELS


def edge_key(rel_type: str, paper_id: str) -> str:
    """The multigraph key of a relationship a paper states."""
    return f"{rel_type}|{paper_id}"


def result_id(paper_id: str, subject: str, benchmark: str, metric: str, value: str, setting: str | None) -> str:
    """The id of a result node: one per paper, subject, benchmark, metric, value and setting
    (names by canonical key, so spellings of one name make one result).

    >>> result_id("arxiv:1", "StepTune", "GSM-8K", "accuracy", "83.1", None) == result_id(
    ...     "arxiv:1", "steptune", "GSM8K", "Accuracy", "83.1", None)
    True
    """
    fields = [paper_id, *(canonical_key(n) if n else "" for n in (subject, benchmark, metric)), value, setting or ""]
    return "result:" + hashlib.sha1("\x1f".join(fields).encode()).hexdigest()[:16]


def node_records(graph: nx.MultiDiGraph, label: str | None = None) -> Iterator[NodeRecord]:
    """The graph's nodes as records, optionally of one label only."""
    for node_id, data in graph.nodes(data=True):
        if label is None or data["label"] == label:
            props = {k: v for k, v in data.items() if k != "label"}
            yield NodeRecord(id=node_id, label=data["label"], properties=props)


def relationship_records(
    graph: nx.MultiDiGraph, rel_type: str | None = None
) -> Iterator[RelationshipRecord]:
    """The graph's relationships as records, optionally of one type only."""
    for start, end, key, data in graph.edges(keys=True, data=True):
        if rel_type is None or data["type"] == rel_type:
            props = {k: v for k, v in data.items() if k != "type"}
            yield RelationshipRecord(start, end, data["type"], key, props)


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last may be shorter), read lazily: how every writer sends records.

    >>> list(batches(range(5), 2))
    [[0, 1], [2, 3], [4]]
    """
    items = iter(items)
    while batch := list(islice(items, size)):
        yield batch

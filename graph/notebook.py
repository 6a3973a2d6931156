"""The graph in a notebook or a program: tables, an inline picture, entity lookup, GraphRAG records.

>>> from paperkg.graph.store import build_graph
>>> from paperkg.extractors.records import Entity, Extraction, Paper, Relation
>>> paper = Paper(id="arxiv:2401.00001", title="StepTune", abstract="We evaluate on GSM8K.")
>>> graph = build_graph([Extraction(paper, [Entity("gsm8k", "GSM8K", "Benchmark", aliases=["GSM-8K"])],
...     [Relation("PAPER", "EVALUATES_ON", "GSM8K", "We evaluate on GSM8K.", 10, 31, "evaluate-on", 0.8)])])
>>> find_entity(graph, "gsm-8k")["name"]
'GSM8K'
>>> frames = to_dataframes(graph)
>>> frames.edges[["source", "type", "target"]].values.tolist()
[['arxiv:2401.00001', 'MENTIONS', 'gsm8k'], ['arxiv:2401.00001', 'EVALUATES_ON', 'gsm8k']]
>>> show(graph, around="GSM8K")  # in Jupyter: the interactive page, inline  # doctest: +ELLIPSIS
<GraphView: an interactive page of ... characters, shown inline by Jupyter>

pandas (for :func:`to_dataframes`) and neo4j-graphrag (for :func:`to_graphrag`) are optional:
``pip install 'paperkg[notebook]'`` and ``pip install 'paperkg[graphrag]'``; without them these
functions raise :class:`~paperkg.extractors.errors.MissingDependency` saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, NamedTuple

import networkx as nx

from paperkg.extractors.errors import import_optional
from paperkg.extractors.normalize import canonical_key

from .model import PAPER_LABEL, node_records, relationship_records
from .query import check_entity_known, entity_names
from .settings import DEFAULT_TOP
from .viz import page_html

__all__ = ["GraphFrames", "GraphView", "find_entity", "show", "to_dataframes", "to_graphrag"]


class GraphFrames(NamedTuple):
    """The graph as two pandas DataFrames."""

    nodes: Any  # pandas.DataFrame: id, label, then the properties
    edges: Any  # pandas.DataFrame: source, target, type, then the properties


def to_dataframes(graph: nx.MultiDiGraph) -> GraphFrames:
    """Nodes and relationships as DataFrames, one row each; a property a row lacks is missing (NaN).

    >>> from paperkg.graph.model import new_graph
    >>> g = new_graph(); g.add_node("gsm8k", id="gsm8k", label="Benchmark", name="GSM8K", keys=["gsm8k"])
    >>> to_dataframes(g).nodes.to_dict("records")
    [{'id': 'gsm8k', 'label': 'Benchmark', 'name': 'GSM8K', 'keys': ['gsm8k']}]
    """
    pandas = import_optional("pandas", "to_dataframes", "'paperkg[notebook]'")
    nodes = [{"id": r.id, "label": r.label, **r.properties} for r in node_records(graph)]
    edges = [{"source": r.start, "target": r.end, "type": r.type, **r.properties} for r in relationship_records(graph)]
    return GraphFrames(pandas.DataFrame(nodes, columns=_columns(nodes, ["id", "label"])),
                       pandas.DataFrame(edges, columns=_columns(edges, ["source", "target", "type"])))


def _columns(rows: list[dict[str, Any]], first: list[str]) -> list[str]:
    """``first``, then every other key of ``rows`` in the order met (columns exist also with no rows)."""
    return list(dict.fromkeys([*first, *(key for row in rows for key in row)]))


def find_entity(graph: nx.MultiDiGraph, name: str) -> dict[str, Any]:
    """The properties of the entity with this name, alias or id, found by canonical key as queries
    find it (``gsm-8k`` finds GSM8K); :class:`~paperkg.graph.query.UnknownEntity` naming the closest names if none.

    >>> from paperkg.graph.model import new_graph
    >>> g = new_graph(); g.add_node("gsm8k", id="gsm8k", label="Benchmark", name="GSM8K", keys=["gsm8k"])
    >>> find_entity(g, "GSM-8K")
    {'id': 'gsm8k', 'label': 'Benchmark', 'name': 'GSM8K', 'keys': ['gsm8k']}
    >>> find_entity(g, "GSM9K")
    Traceback (most recent call last):
    ...
    paperkg.graph.query.UnknownEntity: no entity is named 'GSM9K'; the closest names: GSM8K
    """
    check_entity_known(name, entity_names(graph))
    key = canonical_key(name)
    return next(dict(data) for _, data in graph.nodes(data=True)
                if data["label"] != PAPER_LABEL and key in data.get("keys", ()))


@dataclass(frozen=True)
class GraphView:
    """The interactive page of a part of the graph; Jupyter shows it inline (in a sandboxed frame)."""

    html: str
    height: int = 600

    def _repr_html_(self) -> str:
        # srcdoc keeps the page self-contained (no file, no server); allow-scripts lets it draw, but it
        # cannot reach the notebook (no allow-same-origin).
        return (f'<iframe srcdoc="{escape(self.html, quote=True)}" sandbox="allow-scripts" '
                f'style="width: 100%; height: {self.height}px; border: 0"></iframe>')

    def __repr__(self) -> str:
        return f"<GraphView: an interactive page of {len(self.html):,} characters, shown inline by Jupyter>"


def show(graph: nx.MultiDiGraph, *, around: str | None = None, hops: int = 2, top: int = DEFAULT_TOP,
         height: int = 600) -> GraphView:
    """The page ``paperkg viz`` writes (the ``top`` entities in the most papers, or the neighbourhood
    of ``hops`` around the entity named ``around``), for display in a notebook."""
    return GraphView(page_html(graph, around=around, hops=hops, top=top), height)


def to_graphrag(graph: nx.MultiDiGraph):
    """The graph as neo4j-graphrag's records (``Neo4jGraph`` of ``Neo4jNode`` and ``Neo4jRelationship``),
    for its knowledge-graph writers and retrievers. A node keeps its own label (not ``Entity``); properties
    without a value are left out, as Neo4j stores none.
    """
    import_optional("neo4j_graphrag", "to_graphrag", "'paperkg[graphrag]'")
    from neo4j_graphrag.components.types import Neo4jGraph, Neo4jNode, Neo4jRelationship

    return Neo4jGraph(
        nodes=[Neo4jNode(id=r.id, label=r.label, properties=_stored(r.properties)) for r in node_records(graph)],
        relationships=[Neo4jRelationship(start_node_id=r.start, end_node_id=r.end, type=r.type,
                                         properties=_stored(r.properties)) for r in relationship_records(graph)],
    )


def _stored(properties: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in properties.items() if value is not None}

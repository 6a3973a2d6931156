"""The embedded graph: extractions in, a NetworkX ``MultiDiGraph`` out, kept in one file.

Generate / write / parse / read, as in ``networkx.readwrite``:

>>> from paperkg.extractors.records import Extraction, Paper, Entity, Relation
>>> paper = Paper(id="arxiv:2401.00001", title="T", abstract="We evaluate on GSM8K.")
>>> gsm = Entity(id="gsm8k", name="GSM8K", type="Benchmark")
>>> rel = Relation("PAPER", "EVALUATES_ON", "GSM8K", "We evaluate on GSM8K.", 3, 24, "rules", 0.9)
>>> g = build_graph([Extraction(paper, [gsm], [rel])])
>>> sorted(g.nodes)
['arxiv:2401.00001', 'gsm8k']
>>> sorted(d["type"] for _, _, d in g.edges(data=True))
['EVALUATES_ON', 'MENTIONS']

Adding the same extraction again changes nothing; adding a new extraction of a
paper already in the graph replaces what that paper stated.
"""

from __future__ import annotations

import gzip
import json
import os
import stat
import tempfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple

from paperkg.extractors.errors import InputError, OutputError, UsageError
from paperkg.extractors.files import umask
from paperkg.extractors.normalize import canonical_key, model_family
from paperkg.extractors.metrics import lower_is_better
from paperkg.extractors.records import PAPER, Entity, Extraction, Paper, Result, normalise_title

from .model import (EDGE_PROPERTIES, LABELS, NODE_PROPERTIES, PAPER_LABEL, RELATIONSHIP_TYPES, RESULT_LABEL,
                    RESULT_TYPES, PropertyRule, edge_key, is_entity, new_graph, result_id)
from .settings import GRAPH_ENV

if TYPE_CHECKING:  # networkx is imported where a graph is made: the SQL path of queries needs none
    import networkx as nx

__all__ = [
    "GRAPH_ENV",
    "DEFAULT_GRAPH",
    "GraphBuilder",
    "BuildStats",
    "build_graph",
    "graph_path",
    "generate_graph_json",
    "write_graph",
    "replacing_file",
    "check_writable",
    "refuse_same_file",
    "parse_graph_json",
    "read_graph",
]

DEFAULT_GRAPH = "paperkg-graph.db"
FORMAT_VERSION = 1

_ID_RANK = {"arxiv": 0, "doi": 1, "title": 2}


def graph_path(path: str | os.PathLike | None = None) -> Path:
    """The graph file to use: ``path``, else ``$PAPERKG_GRAPH``, else ``./paperkg-graph.db`` (a SQLite store;
    a ``.json`` or ``.json.gz`` name is a JSON graph file)."""
    return Path(path or os.environ.get(GRAPH_ENV) or DEFAULT_GRAPH)


@dataclass
class BuildStats:
    """What one build did to the graph."""

    papers_added: int = 0
    papers_updated: int = 0
    papers_unchanged: int = 0  # in the store already with the same text: not extracted again
    entities_added: int = 0
    relationships: int = 0
    results: int = 0


#: Resolution looks up the key of every name of every paper on each build: the same few
#: thousand names again and again.
_key = lru_cache(maxsize=1 << 18)(canonical_key)


class Naming(NamedTuple):
    """What one paper calls one thing: an entity's name and aliases as the paper gave them.

    Entity resolution links namings across papers; the paper's MENTIONS edge keeps its naming
    (``name``, ``aliases``, ``family``), so a graph read back resolves as it was built.
    """

    paper: str
    name: str
    aliases: tuple[str, ...]
    type: str
    confidence: float
    family: str | None = None

    @property
    def key(self) -> str:
        return _key(self.name)

    @property
    def alias_keys(self) -> set[str]:
        return {_key(alias) for alias in self.aliases} - {self.key}


class Statement(NamedTuple):
    """A relation a paper states; ``head`` and ``tail`` index its namings (None: the paper)."""

    paper: str
    head: int | None
    tail: int | None
    type: str
    properties: dict[str, Any]

    def rank(self) -> tuple:
        """Of two statements one edge key holds, the lower rank is kept: the surer, then the earlier."""
        props = self.properties
        return (-props.get("confidence", 0), props.get("start", 0), props.get("end", 0), str(props.get("evidence")))


class ResultStatement(NamedTuple):
    """A score a paper reports: its Result node's id and properties, and the namings (indexes, as in
    :class:`Statement`) of its subject (None: the paper's unnamed approach), benchmark and metric."""

    paper: str
    node: str
    subject: int | None
    benchmark: int
    metric: int | None
    properties: dict[str, Any]

    def links(self) -> list[tuple[str, int]]:
        """(relationship type, naming index) of each entity the result is linked to."""
        ends = (("RESULT_OF", self.subject), ("RESULT_ON", self.benchmark), ("MEASURED_IN", self.metric))
        return [(rel_type, index) for rel_type, index in ends if index is not None]


#: What a paper holds until the next resolution: its namings, statements and results.
Pending = tuple[list[Naming], list[Statement], list[ResultStatement]]


class GraphBuilder:
    """Adds extractions to a graph; entities are resolved over every paper the graph holds.

    The graph is a function of the papers it holds, whatever the order they came in: names
    spelled alike are one entity, and a name that is the alias of exactly one other name (an
    acronym and its expansion) is one entity with it, whatever types the papers gave them.

    >>> b = GraphBuilder()
    >>> p = Paper(id="title:1", title="A", abstract="x")
    >>> b.add(Extraction(p, [Entity("dpo", "DPO", "Method")]))
    >>> p2 = Paper(id="title:2", title="B", abstract="y")
    >>> b.add(Extraction(p2, [Entity("directpreferenceoptimization",
    ...     "Direct Preference Optimization", "Method", aliases=["DPO"])]))
    >>> [(n, d["name"], d["aliases"]) for n, d in b.graph.nodes(data=True) if d["label"] != "Paper"]
    [('directpreferenceoptimization', 'Direct Preference Optimization', ['DPO'])]
    """

    def __init__(self, graph: nx.MultiDiGraph | None = None):
        self._graph = graph if graph is not None else new_graph()
        self.stats = BuildStats()
        self._paper_by_title: dict[str, str] = {}
        self._entities_before = set()
        for node, data in self._graph.nodes(data=True):
            if data["label"] == PAPER_LABEL:
                self._paper_by_title[normalise_title(data["title"])] = node
            elif is_entity(data):
                self._entities_before.add(node)
        # Papers added since the last resolution: their namings, statements and results, by paper id.
        self._pending: dict[str, Pending] = {}

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The graph, its entities resolved over every paper it holds."""
        self._resolve_pending()
        return self._graph

    # -- papers -------------------------------------------------------------
    def _find_paper(self, paper: Paper) -> str | None:
        return paper.id if paper.id in self._graph else self._paper_by_title.get(normalise_title(paper.title))

    def _merge_metadata(self, node: str, paper: Paper, *, keep_text: bool) -> None:
        """Fold ``paper``'s metadata into the node: fields it lacks, and the record's source."""
        data = self._graph.nodes[node]
        data.update(merged_paper_properties(data, paper, keep_text=keep_text), id=node)

    def _paper_node(self, paper: Paper) -> str:
        graph = self._graph
        existing = self._find_paper(paper)
        if existing is None:
            graph.add_node(paper.id, label=PAPER_LABEL, **paper_properties(paper))
            self._paper_by_title[normalise_title(paper.title)] = paper.id
            self.stats.papers_added += 1
            return paper.id
        self._merge_metadata(existing, paper, keep_text=False)
        self._forget_paper_statements(existing)
        node = existing
        if _ID_RANK[paper.id.split(":", 1)[0]] < _ID_RANK[existing.split(":", 1)[0]]:
            # A better id (arXiv > DOI > title) renames the node; it states nothing any more.
            import networkx as nx

            nx.relabel_nodes(graph, {existing: paper.id}, copy=False)
            graph.nodes[paper.id]["id"] = paper.id
            del self._pending[existing]
            node = paper.id
        self._paper_by_title[normalise_title(paper.title)] = node
        self.stats.papers_updated += 1
        return node

    def merge_duplicate(self, paper: Paper) -> None:
        """Fold a later copy of a paper already added (the same paper from another source) into its
        node: its metadata only; the title and abstract stay, since evidence offsets index them."""
        node = self._find_paper(paper)
        if node is not None:
            self._merge_metadata(node, paper, keep_text=True)

    def _forget_paper_statements(self, paper_id: str) -> None:
        """Remove every edge and result the paper stated; the next resolution drops entities no paper names."""
        graph = self._graph
        graph.remove_nodes_from([v for _, v, d in list(graph.out_edges(paper_id, data=True)) if d["type"] == "REPORTS"])
        mentioned = [v for _, v, d in graph.out_edges(paper_id, data=True) if d["type"] == "MENTIONS"]
        doomed = [(u, v, k) for u, v, k in graph.out_edges(paper_id, keys=True)]
        for entity in mentioned:
            doomed += [(u, v, k) for u, v, k, d in graph.out_edges(entity, keys=True, data=True) if d["paper"] == paper_id]
        graph.remove_edges_from(set(doomed))
        self._pending[paper_id] = ([], [], [])  # entities it alone named go at the next resolution

    # -- extractions --------------------------------------------------------
    def add(self, extraction: Extraction) -> None:
        """Add one paper's extraction, replacing what the graph held for that paper."""
        paper_id = self._paper_node(extraction.paper)
        namings, statements, results = paper_statements(paper_id, extraction)
        self.stats.relationships += len(statements)
        self.stats.results += len(results)
        self._pending[paper_id] = (namings, statements, results)

    def add_all(self, extractions: Iterable[Extraction]) -> BuildStats:
        for extraction in extractions:
            self.add(extraction)
        self._resolve_pending()
        return self.stats

    # -- entity resolution ----------------------------------------------------
    def _resolve_pending(self) -> None:
        if self._pending:
            self._resolve()

    def _resolve(self) -> None:
        """Rebuild every entity node and its edges from the namings and statements of all papers."""
        graph = self._graph
        namings, statements, results = _stored_statements(graph)
        for paper_namings, paper_statements, paper_results in self._pending.values():
            offset = len(namings)
            namings += paper_namings
            statements += [s._replace(head=None if s.head is None else s.head + offset,
                                      tail=None if s.tail is None else s.tail + offset) for s in paper_statements]
            results += [r._replace(subject=None if r.subject is None else r.subject + offset,
                                   benchmark=r.benchmark + offset, metric=None if r.metric is None else r.metric + offset)
                        for r in paper_results]
        self._pending.clear()
        graph.remove_nodes_from([n for n, data in graph.nodes(data=True) if data.get("label") != PAPER_LABEL])
        resolution = resolve_entities(namings)
        for node, attributes in sorted(resolution.nodes.items()):
            graph.add_node(node, **attributes)
        for (paper, node), members in sorted(resolution.mentions.items()):
            graph.add_edge(paper, node, key=edge_key("MENTIONS", paper), **_mention_edge(node, [namings[i] for i in members]))
        for variant, family in sorted(resolution.variant_of):
            graph.add_edge(variant, family, key=edge_key("VARIANT_OF", ""), type="VARIANT_OF", paper="")
        _add_statements(graph, statements, resolution.node_of)
        _add_results(graph, results, resolution.node_of)
        entities = {n for n, data in graph.nodes(data=True) if is_entity(data)}
        self.stats.entities_added = len(entities - self._entities_before)


def paper_properties(paper: Paper) -> dict[str, Any]:
    """A new paper node's properties (all but its label): the record's fields and its source."""
    props = {k: v for k, v in paper.to_dict().items() if k != "source"}
    return {"sources": [paper.source] if paper.source else [], **props}


def merged_paper_properties(data: dict[str, Any], paper: Paper, *, keep_text: bool) -> dict[str, Any]:
    """A paper node's properties ``data`` with ``paper``'s metadata folded in: the fields it lacks,
    and the record's source; with ``keep_text`` the title and abstract stay (evidence offsets index them)."""
    merged = {k: v for k, v in data.items() if k != "label"} | Paper.from_dict(data).merge(paper).to_dict()
    merged.pop("source", None)
    if keep_text:
        merged.update(title=data["title"], abstract=data["abstract"])
    sources = list(data.get("sources", []))
    if paper.source and paper.source not in sources:
        sources.append(paper.source)
    return merged | {"sources": sources}


def paper_statements(paper_id: str, extraction: Extraction) -> Pending:
    """What one paper names (a naming per entity), states (relations between its namings or itself)
    and reports (results on its namings)."""
    namings = [_naming(paper_id, entity) for entity in extraction.entities]
    index_by_name: dict[str, int | None] = {PAPER: None}
    for index, entity in enumerate(extraction.entities):
        index_by_name.update(dict.fromkeys((entity.name, *entity.aliases), index))
    statements = []
    for rel in extraction.relations:
        if rel.head not in index_by_name or rel.tail not in index_by_name:
            continue
        head, tail = index_by_name[rel.head], index_by_name[rel.tail]
        if head != tail:
            props = rel.to_dict()
            del props["head"], props["tail"], props["type"]
            statements.append(Statement(paper_id, head, tail, rel.type, props))
    results = [r for result in extraction.results
               if (r := _result_statement(paper_id, result, index_by_name, extraction.entities)) is not None]
    return namings, statements, results


def _naming(paper_id: str, entity: Entity) -> Naming:
    family = entity.family or (model_family(entity.name) if entity.type == "Model" else None)
    if family and _key(family) == _key(entity.name):
        family = None
    return Naming(paper_id, entity.name, tuple(entity.aliases), entity.type, entity.confidence, family)


def _stored_statements(graph: nx.MultiDiGraph) -> tuple[list[Naming], list[Statement], list[ResultStatement]]:
    """The namings (one per MENTIONS edge), statements and results the graph holds."""
    namings: list[Naming] = []
    index: dict[tuple[str, str], int] = {}  # a MENTIONS edge's paper and entity to its naming
    for paper, node, data in graph.edges(data=True):
        if data["type"] == "MENTIONS":
            index[paper, node] = len(namings)
            namings.append(_stored_naming(graph, paper, node, data))
    statements = []
    for start, end, data in graph.edges(data=True):
        if data["type"] not in ("MENTIONS", "VARIANT_OF", *RESULT_TYPES):
            paper = data["paper"]
            props = {k: v for k, v in data.items() if k not in ("type", "paper")}
            head = None if start == paper else index[paper, start]
            tail = None if end == paper else index[paper, end]
            statements.append(Statement(paper, head, tail, data["type"], props))
    results = []
    for node, data in graph.nodes(data=True):
        if data["label"] == RESULT_LABEL:
            paper = data["paper"]
            ends = {d["type"]: index[paper, end] for _, end, d in graph.out_edges(node, data=True)}
            props = {k: v for k, v in data.items() if k not in ("label", "id")}
            results.append(ResultStatement(paper, node, ends.get("RESULT_OF"), ends["RESULT_ON"], ends.get("MEASURED_IN"),
                                           props))
    return namings, statements, results


def _result_statement(paper_id: str, result: Result, index_by_name: dict[str, int | None],
                      entities: list[Entity]) -> ResultStatement | None:
    """One reported score as a :class:`ResultStatement`; None when its benchmark is no entity of
    the extraction (nothing to link the score to)."""
    benchmark = index_by_name.get(result.benchmark)
    if benchmark is None:
        return None
    subject = index_by_name.get(result.subject) if result.subject != PAPER else None
    metric = next((i for i, e in enumerate(entities) if e.type == "Metric" and result.metric
                   and _key(result.metric) in {_key(n) for n in (e.name, *e.aliases)}), None)
    value = f"{result.value} {result.unit}" if result.unit == "points" else result.value + result.unit
    name = " ".join(p for p in (result.subject if result.subject != PAPER else "", value, result.metric, "on",
                                result.benchmark) if p)
    props = {k: v for k, v in result.to_dict().items() if v is not None}
    props.update(name=name, paper=paper_id, score=result.score,
                 lower_is_better=lower_is_better(result.metric))
    node = result_id(paper_id, result.subject, result.benchmark, result.metric, result.value, result.setting)
    return ResultStatement(paper_id, node, subject, benchmark, metric, props)


def _add_results(graph: nx.MultiDiGraph, results: list[ResultStatement], node_of: list[str]) -> None:
    """A Result node for each result, which its paper REPORTS, linked to its resolved entities."""
    for result in sorted(results, key=lambda r: r.node):
        graph.add_node(result.node, **result_node(result))
        for start, end, key, data in result_edges(result, node_of):
            graph.add_edge(start, end, key=key, **data)


def result_node(result: ResultStatement) -> dict[str, Any]:
    """The properties (label included) of a result's node."""
    return {"label": RESULT_LABEL, "id": result.node, **result.properties}


def result_edges(result: ResultStatement, node_of: list[str]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(start, end, key, properties) of the REPORTS edge to a result and of its links to entities."""
    paper = result.paper
    edges = [(paper, result.node, edge_key("REPORTS", paper), {"type": "REPORTS", "paper": paper})]
    edges += [(result.node, node_of[index], edge_key(rel_type, paper), {"type": rel_type, "paper": paper})
              for rel_type, index in result.links()]
    return edges


def _stored_naming(graph: nx.MultiDiGraph, paper: str, node: str, data: dict) -> Naming:
    entity = graph.nodes[node]
    if "name" in data:
        return Naming(paper, data["name"], tuple(data.get("aliases", ())), data["as_type"],
                      data.get("confidence", 1.0), data.get("family"))
    # A graph built before MENTIONS edges kept the paper's naming: the entity's names stand for it.
    family = next((graph.nodes[f]["name"] for _, f, d in graph.out_edges(node, data=True) if d["type"] == "VARIANT_OF"), None)
    return Naming(paper, entity["name"], tuple(entity["aliases"]), data["as_type"], data.get("confidence", 1.0), family)


def _mention_edge(node: str, namings: list[Naming]) -> dict[str, Any]:
    """The MENTIONS edge of one paper to one entity, keeping the paper's naming of it (the
    namings of the paper that resolved to this entity, folded into one)."""
    name = min((n.name for n in namings), key=lambda name: (_key(name) != node, name))
    aliases = sorted({a for n in namings for a in (n.name, *n.aliases)} - {name})
    families = sorted(n.family for n in namings if n.family)
    edge = {"type": "MENTIONS", "paper": namings[0].paper, "as_type": _vote(Counter(n.type for n in namings)),
            "confidence": max(n.confidence for n in namings), "name": name}
    # absent rather than empty: neo4j-admin CSV stores no empty array
    return edge | ({"aliases": aliases} if aliases else {}) | ({"family": families[0]} if families else {})


def _add_statements(graph: nx.MultiDiGraph, statements: list[Statement], node_of: list[str]) -> None:
    """Add each statement as an edge (see :func:`kept_statements`)."""
    for (head, tail, key), statement in sorted(kept_statements(statements, node_of).items()):
        graph.add_edge(head, tail, key=key, type=statement.type, paper=statement.paper, **statement.properties)


def kept_statements(statements: list[Statement], node_of: list[str]) -> dict[tuple[str, str, str], Statement]:
    """The statement each edge (head, tail, key) holds, ``node_of`` giving the node of each naming:
    of two that fall on one edge (their ends resolved to the same entities), the one with the
    lower :meth:`Statement.rank`."""
    kept: dict[tuple[str, str, str], Statement] = {}
    for statement in statements:
        head = statement.paper if statement.head is None else node_of[statement.head]
        tail = statement.paper if statement.tail is None else node_of[statement.tail]
        edge = (head, tail, edge_key(statement.type, statement.paper))
        if head != tail and (edge not in kept or statement.rank() < kept[edge].rank()):
            kept[edge] = statement
    return kept


def _vote(votes: Counter) -> str:
    """The most common value; of equally common ones, the first in sort order."""
    return min(votes, key=lambda value: (-votes[value], value))


@dataclass
class Resolution:
    """Entity nodes by id, the node of each naming, and the edges resolution derives."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    node_of: list[str] = field(default_factory=list)
    mentions: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (paper, node) -> namings
    variant_of: set[tuple[str, str]] = field(default_factory=set)


def resolve_entities(namings: list[Naming]) -> Resolution:
    """One node per thing the namings name, whatever their order.

    Namings with the same canonical key are one thing; a key that is an alias of exactly one
    other key (an acronym of one expansion) joins it; an alias two keys share (two expansions
    of one acronym) joins nothing.
    """
    holders: dict[str, set[str]] = {}  # alias key -> the keys of the names that give it
    for naming in namings:
        for alias in naming.alias_keys:
            holders.setdefault(alias, set()).add(naming.key)
    components = _UnionFind({naming.key for naming in namings})
    for key in sorted(components.parent):
        expansions = holders.get(key, set()) - {key}
        if len(expansions) == 1:
            components.union(key, expansions.pop())
    members: dict[str, list[int]] = {}
    for index, naming in enumerate(namings):
        members.setdefault(components.find(naming.key), []).append(index)
    resolution = Resolution(node_of=[""] * len(namings))
    node_by_key = {}
    for indices in members.values():
        node, attributes = _entity_node([namings[i] for i in indices])
        resolution.nodes[node] = attributes
        node_by_key.update(dict.fromkeys((namings[i].key for i in indices), node))
        for i in indices:
            resolution.node_of[i] = node
            resolution.mentions.setdefault((namings[i].paper, node), []).append(i)
    for index, naming in enumerate(namings):
        if naming.family:
            family = _family_node(naming.family, node_by_key, holders, resolution.nodes)
            if family != resolution.node_of[index]:
                resolution.variant_of.add((resolution.node_of[index], family))
    return resolution


@dataclass
class EntityVotes:
    """What decides an entity node, counted over the namings of one thing: papers by key and by
    name, the type each paper gives it (its own vote), every name and alias, and the alias keys."""

    papers_by_key: Counter = field(default_factory=Counter)
    papers_by_name: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    texts: set[str] = field(default_factory=set)
    alias_keys: set[str] = field(default_factory=set)


def _entity_node(namings: list[Naming]) -> tuple[str, dict[str, Any]]:
    """The id and attributes of the node of namings of one thing (see :func:`entity_attributes`)."""
    types_by_paper: dict[str, Counter] = {}
    for naming in namings:
        types_by_paper.setdefault(naming.paper, Counter())[naming.type] += 1
    return entity_attributes(EntityVotes(
        papers_by_key=Counter(key for _, key in {(n.paper, n.key) for n in namings}),
        papers_by_name=Counter(name for _, name in {(n.paper, n.name) for n in namings}),
        labels=Counter(_vote(types) for types in types_by_paper.values()),
        texts={text for n in namings for text in (n.name, *n.aliases)},
        alias_keys=set().union(*(n.alias_keys for n in namings))))


def entity_attributes(votes: EntityVotes) -> tuple[str, dict[str, Any]]:
    """The id and attributes of an entity node.

    Its name is the one most papers use, among the names that are no other's alias (the
    expansion, not the acronym); its type is the one most papers give it.
    """
    names = list(votes.papers_by_name)
    candidates = [name for name in names if _key(name) not in votes.alias_keys] or names
    name = min(candidates, key=lambda c: (-votes.papers_by_key[_key(c)], -votes.papers_by_name[c], c))
    node = _key(name)
    return node, {"label": _vote(votes.labels), "id": node, "name": name,
                  "aliases": sorted(text for text in votes.texts if _key(text) != node),
                  "keys": sorted({_key(text) for text in votes.texts}), "inferred": False}


def _family_node(family: str, node_by_key: dict[str, str], holders: dict[str, set[str]],
                 nodes: dict[str, dict[str, Any]]) -> str:
    """The node of a size variant's family: the entity named so, or one made for it."""
    key = _key(family)
    if key in node_by_key:
        return node_by_key[key]
    named_by = {node_by_key[k] for k in holders.get(key, ())}
    if len(named_by) == 1:
        return named_by.pop()
    known = nodes.get(key)
    if known is None or family < known["name"]:  # of two spellings of a family, the first in sort order
        nodes[key] = {"label": "Model", "id": key, "name": family, "aliases": [], "keys": [key], "inferred": True}
    return key


class _UnionFind:
    def __init__(self, items: Iterable[str]):
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:  # path compression keeps finds near constant time
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def build_graph(extractions: Iterable[Extraction], graph: nx.MultiDiGraph | None = None) -> nx.MultiDiGraph:
    """Add ``extractions`` to ``graph`` (a new one by default) and return it."""
    builder = GraphBuilder(graph)
    builder.add_all(extractions)
    return builder.graph


# -- file format: node-link JSON, gzip-compressed when the name ends in .gz ----
def generate_graph_json(graph: nx.MultiDiGraph) -> str:
    """The graph as node-link JSON text (the file format of the embedded store)."""
    import networkx as nx

    data = nx.node_link_data(graph, edges="edges")
    data["graph"] = {"name": "paperkg", "format": FORMAT_VERSION}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def write_graph(graph: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write the graph atomically: a crash leaves the old file or the new one, never half of one
    (see :func:`replacing_file`)."""
    payload = generate_graph_json(graph).encode()
    if str(path).endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=5)
    with replacing_file(path, binary=True) as out:
        out.write(payload)


# -- writing files in place of others: atomically, and only where asked ---------
@contextmanager
def replacing_file(path: str | os.PathLike, *, binary: bool = False) -> Iterator[IO]:
    """A UTF-8 text (or binary) file that replaces ``path`` only once it is completely written.

    A symlink stays and its target is replaced; the file keeps its mode; a read-only
    file is an error, not replaced. A failed write (disk full, read-only directory,
    immutable file) leaves ``path`` as it was and no temporary file behind.
    """
    target = Path(os.path.realpath(path))
    tmp = None
    try:
        mode = _replaceable_mode(target, shown=path)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
        tmp = None
    except OSError as err:
        raise OutputError(str(path), f"cannot write: {err.strerror or err} (nothing was replaced)") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def check_writable(path: str | os.PathLike) -> None:
    """Raise :class:`OutputError` now, before any work, if ``path`` could not be replaced."""
    _replaceable_mode(Path(os.path.realpath(path)), shown=path)


def _replaceable_mode(target: Path, *, shown: str | os.PathLike) -> int:
    """The mode the new file gets: the old file's, else the umask's default for a new file."""
    try:
        old = target.stat()
    except OSError:  # no such file yet (or it cannot be looked at: writing it will say why)
        return 0o666 & ~umask()
    # root may write anything: the mode's write bits still say the owner wants it kept
    if not old.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise OutputError(str(shown), "is read-only; it was not replaced (make it writable, or choose another file)")
    return stat.S_IMODE(old.st_mode)


def refuse_same_file(output: str | os.PathLike, others: Iterable[str | os.PathLike], role: str) -> None:
    """Raise :class:`UsageError` if ``output`` is one of ``others`` (through symlinks, hard links,
    other spellings): writing it would destroy what is read from it."""
    for other in others:
        if str(other) != "-" and str(output) != "-" and _same_file(output, other):
            raise UsageError(f"{output}: is also {role} ({other}); writing it would destroy it: choose another file")


def _same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one does not exist yet: compare where they lead
        return os.path.realpath(a) == os.path.realpath(b)


def parse_graph_json(text: str, *, source: str = "<graph>") -> nx.MultiDiGraph:
    """A graph from node-link JSON text written by :func:`generate_graph_json`.

    A file with a bad node or relationship is refused whole, in one line naming the first one,
    not read in part: a build writes back the graph it read, so a skipped record would be lost.
    """
    document = _graph_document(text, source)
    graph = new_graph()
    for number, node in enumerate(document["nodes"], 1):
        problem = _node_problem(node, graph)
        if problem:
            raise InputError(source, f"node {number}{_named(node)} {problem}; fix or remove it")
        graph.add_node(node["id"], **node)
    for number, edge in enumerate(document["edges"], 1):
        problem = _edge_problem(edge, graph)
        if problem:
            raise InputError(source, f"relationship {number}{_named(edge)} {problem}; fix or remove it")
        attributes = {k: v for k, v in edge.items() if k not in ("source", "target", "key")}
        graph.add_edge(edge["source"], edge["target"], key=edge["key"], **attributes)
    for number, edge in enumerate(document["edges"], 1):  # once every MENTIONS is in
        problem = _placement_problem(edge, graph)
        if problem:
            raise InputError(source, f"relationship {number} {problem}; fix or remove it")
    for node, data in graph.nodes(data=True):
        if data["label"] == RESULT_LABEL and not _is_reported(node, data["paper"], graph):
            raise InputError(source, f"result {_shown(node)} is not reported by its paper on a benchmark "
                                     f"(REPORTS from {_shown(data['paper'])}, RESULT_ON an entity); fix or remove it")
    return graph


def _is_reported(node: str, paper: str, graph: nx.MultiDiGraph) -> bool:
    """Whether a result has what the builder reads back: its paper's REPORTS and a RESULT_ON."""
    reported = any(start == paper and d["type"] == "REPORTS" for start, _, d in graph.in_edges(node, data=True))
    return reported and any(d["type"] == "RESULT_ON" for _, _, d in graph.out_edges(node, data=True))


def _graph_document(text: str, source: str) -> dict:
    """The parsed JSON of a graph file, once it has the paperkg header and lists of nodes and edges."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise InputError(source, "not a readable paperkg graph (JSON nested too deeply)") from None
    except ValueError as err:
        raise InputError(source, f"not a readable paperkg graph ({err})") from None
    header = document.get("graph") if isinstance(document, dict) else None
    if not isinstance(header, dict) or header.get("name") != "paperkg":
        raise InputError(source, "not a readable paperkg graph (no paperkg header)")
    if header.get("format") != FORMAT_VERSION:
        raise InputError(source, f"graph format {_shown(header.get('format'))}; this paperkg reads format {FORMAT_VERSION}")
    for part in ("nodes", "edges"):
        if not isinstance(document.get(part), list):
            raise InputError(source, f"not a readable paperkg graph ({part!r} is not a list)")
    return document


def _node_problem(node: Any, graph: nx.MultiDiGraph) -> str | None:
    if not isinstance(node, dict):
        return f"is {_shown(node)}, not an object"
    node_id, label = node.get("id"), node.get("label")
    if not isinstance(node_id, str) or not node_id:
        return "has no id (a non-empty string)"
    if node_id in graph:
        return "repeats the id of an earlier node"
    if label not in LABELS:
        return f"has label {_shown(label)}; a node's label is one of {', '.join(LABELS)}"
    if label == PAPER_LABEL and node_id.split(":", 1)[0] not in _ID_RANK:
        return f"is a paper whose id does not start with one of {', '.join(s + ':' for s in _ID_RANK)}"
    return _properties_problem(node, label, NODE_PROPERTIES)


def _edge_problem(edge: Any, graph: nx.MultiDiGraph) -> str | None:
    if not isinstance(edge, dict):
        return f"is {_shown(edge)}, not an object"
    for end in ("source", "target"):
        if not isinstance(edge.get(end), str) or edge[end] not in graph:
            return f"has {end} {_shown(edge.get(end))}, which is no node of the file"
    if not isinstance(edge.get("key"), str):
        return "has no key (a string)"
    if edge.get("type") not in RELATIONSHIP_TYPES:
        return f"has type {_shown(edge.get('type'))}; a relationship's type is one of {', '.join(RELATIONSHIP_TYPES)}"
    return _properties_problem(edge, edge["type"], EDGE_PROPERTIES)


def _placement_problem(edge: dict, graph: nx.MultiDiGraph) -> str | None:
    """What is wrong with the nodes a relationship joins, for its type and paper."""
    start, end, paper, rel_type = edge["source"], edge["target"], edge["paper"], edge["type"]
    is_paper = [graph.nodes[node]["label"] == PAPER_LABEL for node in (start, end)]
    if rel_type in RESULT_TYPES:
        return _result_placement_problem(start, end, paper, rel_type, graph)
    if rel_type == "MENTIONS":
        return None if is_paper == [True, False] and paper == start else "is a MENTIONS not from its paper to an entity"
    if rel_type == "VARIANT_OF":
        return None if not any(is_paper) else "is a VARIANT_OF not between two entities"
    if paper not in graph or graph.nodes[paper]["label"] != PAPER_LABEL:
        return f"({rel_type}) has paper {_shown(paper)}, which is no paper of the file"
    for node in (start, end):
        if node != paper and not _mentions(graph, paper, node):
            return f"({rel_type}) joins {_shown(node)}, which its paper {_shown(paper)} does not mention"
    return None


def _result_placement_problem(start: str, end: str, paper: str, rel_type: str, graph: nx.MultiDiGraph) -> str | None:
    """A paper REPORTS its own results; a result links to entities its paper mentions."""
    result = start if rel_type != "REPORTS" else end
    if graph.nodes[result]["label"] != RESULT_LABEL or graph.nodes[result]["paper"] != paper:
        return f"({rel_type}) does not join a result of its paper {_shown(paper)}"
    if rel_type == "REPORTS":
        return None if start == paper else f"(REPORTS) is not from the result's paper {_shown(paper)}"
    if not _mentions(graph, paper, end):
        return f"({rel_type}) joins {_shown(end)}, which its paper {_shown(paper)} does not mention"
    return None


def _mentions(graph: nx.MultiDiGraph, paper: str, node: str) -> bool:
    """Whether ``paper`` has a MENTIONS edge to ``node`` (either may be missing from the graph)."""
    no_edges: dict[str, dict[str, Any]] = {}
    return any(data["type"] == "MENTIONS" for data in graph.get_edge_data(paper, node, default=no_edges).values())


def _properties_problem(record: dict, label: str, rules: list[PropertyRule]) -> str | None:
    for rule in rules:
        applies = label in rule.labels and (rule.required or rule.name in record)
        if applies and not rule.kind.accepts(record.get(rule.name)):
            found = f"{rule.name!r} {_shown(record[rule.name])}" if rule.name in record else f"no {rule.name!r}"
            return f"has {found}, not {rule.kind.description}"
    for name, value in record.items():
        values = value if isinstance(value, list) else [value]
        if not all(v is None or isinstance(v, (str, int, float)) for v in values):
            return f"has {name!r} {_shown(value)}: a property is a string, number, boolean, null or a list of them"
        if not all(_is_utf8(v) for v in (name, *values) if isinstance(v, str)):
            return f"has text that is not UTF-8 in {name!r} (a lone surrogate: {_shown(value)})"
    return None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(value: Any) -> str:
    """A value in a message: its repr, cut short."""
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _named(record: Any) -> str:
    node_id = record.get("id") if isinstance(record, dict) else None
    return f" ({_shown(node_id)})" if isinstance(node_id, str) else ""


def read_graph(path: str | os.PathLike, *, missing_ok: bool = True) -> nx.MultiDiGraph:
    """Read a graph file (a SQLite store or a JSON graph file); a missing file is an empty graph
    when ``missing_ok``."""
    from .sqlite_store import GraphStore, is_store_file

    path = Path(path)
    if not path.exists():
        if missing_ok:
            return new_graph()
        raise InputError(str(path), "no such graph file")
    if path.is_file() and is_store_file(path):
        with GraphStore(path, read_only=True) as store:
            return store.graph()
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(str(path), f"cannot read the graph file ({err.strerror or err})") from None
    try:
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise InputError(str(path), f"not a readable paperkg graph ({err})") from None
    return parse_graph_json(text, source=str(path))

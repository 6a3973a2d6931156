"""The embedded graph: extractions in, a NetworkX ``MultiDiGraph`` out, kept in one file.

Generate / write / parse / read, as in ``networkx.readwrite``:

>>> from extractors.records import Extraction, Paper, Entity, Relation
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
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import networkx as nx

from extractors.errors import InputError
from extractors.normalize import canonical_key, model_family
from extractors.records import PAPER, Entity, Extraction, Paper, normalise_title

from .model import (EDGE_PROPERTIES, LABELS, NODE_PROPERTIES, PAPER_LABEL, RELATIONSHIP_TYPES, PropertyRule,
                    edge_key, new_graph)

__all__ = [
    "GRAPH_ENV",
    "DEFAULT_GRAPH",
    "GraphBuilder",
    "BuildStats",
    "build_graph",
    "graph_path",
    "generate_graph_json",
    "write_graph",
    "parse_graph_json",
    "read_graph",
]

GRAPH_ENV = "PAPERKG_GRAPH"
DEFAULT_GRAPH = "paperkg-graph.json"
FORMAT_VERSION = 1

_ID_RANK = {"arxiv": 0, "doi": 1, "title": 2}


def graph_path(path: str | os.PathLike | None = None) -> Path:
    """The graph file to use: ``path``, else ``$PAPERKG_GRAPH``, else ``./paperkg-graph.json``."""
    return Path(path or os.environ.get(GRAPH_ENV) or DEFAULT_GRAPH)


@dataclass
class BuildStats:
    """What one build did to the graph."""

    papers_added: int = 0
    papers_updated: int = 0
    entities_added: int = 0
    relationships: int = 0


class GraphBuilder:
    """Adds extractions to a graph, merging entities by canonical key and alias.

    >>> b = GraphBuilder()
    >>> p = Paper(id="title:1", title="A", abstract="x")
    >>> b.add(Extraction(p, [Entity("dpo", "DPO", "Method")]))
    >>> p2 = Paper(id="title:2", title="B", abstract="y")
    >>> b.add(Extraction(p2, [Entity("directpreferenceoptimization",
    ...     "Direct Preference Optimization", "Method", aliases=["DPO"])]))
    >>> [(n, d["name"], d["aliases"]) for n, d in b.graph.nodes(data=True) if d["label"] != "Paper"]
    [('dpo', 'Direct Preference Optimization', ['DPO'])]
    """

    def __init__(self, graph: nx.MultiDiGraph | None = None):
        self.graph = graph if graph is not None else new_graph()
        self.stats = BuildStats()
        self._entity_by_key: dict[str, str] = {}
        self._paper_by_title: dict[str, str] = {}
        for node, data in self.graph.nodes(data=True):
            if data["label"] == PAPER_LABEL:
                self._paper_by_title[normalise_title(data["title"])] = node
            else:
                for key in data["keys"]:
                    self._entity_by_key.setdefault(key, node)

    # -- papers -------------------------------------------------------------
    def _find_paper(self, paper: Paper) -> str | None:
        return paper.id if paper.id in self.graph else self._paper_by_title.get(normalise_title(paper.title))

    def _merge_metadata(self, node: str, paper: Paper, *, keep_text: bool) -> None:
        """Fold ``paper``'s metadata into the node: fields it lacks, and the record's source."""
        data = self.graph.nodes[node]
        merged = Paper.from_dict(data).merge(paper).to_dict()
        merged.pop("source", None)
        if keep_text:
            merged.update(title=data["title"], abstract=data["abstract"])
        data.update(merged, id=node)
        if paper.source and paper.source not in data.setdefault("sources", []):
            data["sources"].append(paper.source)

    def _paper_node(self, paper: Paper) -> str:
        graph = self.graph
        existing = self._find_paper(paper)
        if existing is None:
            props = {k: v for k, v in paper.to_dict().items() if k != "source"}
            graph.add_node(paper.id, label=PAPER_LABEL, sources=[paper.source] if paper.source else [], **props)
            self._paper_by_title[normalise_title(paper.title)] = paper.id
            self.stats.papers_added += 1
            return paper.id
        self._merge_metadata(existing, paper, keep_text=False)
        self._forget_paper_statements(existing)
        node = existing
        if _ID_RANK[paper.id.split(":", 1)[0]] < _ID_RANK[existing.split(":", 1)[0]]:
            # A better id (arXiv > DOI > title) renames the node; it states nothing any more.
            nx.relabel_nodes(graph, {existing: paper.id}, copy=False)
            graph.nodes[paper.id]["id"] = paper.id
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
        """Remove every edge the paper stated, and entities left with no edge."""
        graph = self.graph
        mentioned = [v for _, v, d in graph.out_edges(paper_id, data=True) if d["type"] == "MENTIONS"]
        doomed = [(u, v, k) for u, v, k, d in graph.out_edges(paper_id, keys=True, data=True)]
        for entity in mentioned:
            doomed += [(u, v, k) for u, v, k, d in graph.out_edges(entity, keys=True, data=True) if d["paper"] == paper_id]
        graph.remove_edges_from(set(doomed))
        for entity in mentioned:
            if entity in graph and not self._is_mentioned(entity):
                families = [v for _, v, d in graph.out_edges(entity, data=True) if d["type"] == "VARIANT_OF"]
                self._drop_entity(entity)
                for family in families:  # an inferred family lives only through its variants
                    if graph.nodes[family]["inferred"] and graph.in_degree(family) == 0:
                        self._drop_entity(family)

    def _is_mentioned(self, node: str) -> bool:
        return any(d["type"] == "MENTIONS" for _, _, d in self.graph.in_edges(node, data=True))

    def _drop_entity(self, node: str) -> None:
        for key in self.graph.nodes[node]["keys"]:
            if self._entity_by_key.get(key) == node:
                del self._entity_by_key[key]
        self.graph.remove_node(node)

    # -- entities -----------------------------------------------------------
    def _entity_node(self, entity: Entity) -> str:
        graph = self.graph
        name_key = canonical_key(entity.name)
        alias_keys = [canonical_key(a) for a in entity.aliases]
        node = self._entity_by_key.get(entity.id) or self._entity_by_key.get(name_key)
        if node is None:
            # An alias of this entity is the name of a known one ("DPO" for
            # "Direct Preference Optimization"); alias-to-alias alone is too weak.
            node = next((self._entity_by_key[k] for k in alias_keys
                         if k in self._entity_by_key
                         and canonical_key(graph.nodes[self._entity_by_key[k]]["name"]) == k), None)
        if node is None:
            node = entity.id if entity.id not in graph else name_key
            graph.add_node(node, label=entity.type, id=node, name=entity.name,
                           aliases=list(entity.aliases), keys=[], inferred=False)
            self.stats.entities_added += 1
        data = graph.nodes[node]
        data["inferred"] = False
        names = [data["name"], *data["aliases"], entity.name, *entity.aliases]
        keys = [canonical_key(n) for n in names] + [entity.id]
        # The fullest form is the name: an acronym node takes its expansion's name.
        if canonical_key(data["name"]) in alias_keys:
            data["name"] = entity.name
        data["aliases"] = _unique(n for n in names if canonical_key(n) != canonical_key(data["name"]))
        data["keys"] = _unique(keys)
        for key in data["keys"]:
            self._entity_by_key.setdefault(key, node)
        return node

    def _family_node(self, family: str) -> str:
        key = canonical_key(family)
        node = self._entity_by_key.get(key)
        if node is None:
            node = key
            self.graph.add_node(node, label="Model", id=node, name=family, aliases=[], keys=[key], inferred=True)
            self._entity_by_key[key] = node
            self.stats.entities_added += 1
        return node

    def _relabel_by_votes(self, node: str) -> None:
        votes = Counter(d["as_type"] for _, _, d in self.graph.in_edges(node, data=True) if d["type"] == "MENTIONS")
        if votes:
            self.graph.nodes[node]["label"] = max(sorted(votes), key=votes.__getitem__)

    # -- extractions --------------------------------------------------------
    def add(self, extraction: Extraction) -> None:
        """Add one paper's extraction, replacing what the graph held for that paper."""
        graph = self.graph
        paper_id = self._paper_node(extraction.paper)
        by_name: dict[str, str] = {PAPER: paper_id}
        for entity in extraction.entities:
            node = self._entity_node(entity)
            for name in (entity.name, *entity.aliases):
                by_name[name] = node
            graph.add_edge(paper_id, node, key=edge_key("MENTIONS", paper_id), type="MENTIONS",
                           paper=paper_id, as_type=entity.type, confidence=entity.confidence)
            self._relabel_by_votes(node)
            family = entity.family or (model_family(entity.name) if entity.type == "Model" else None)
            if family and canonical_key(family) != canonical_key(entity.name):
                family_node = self._family_node(family)
                if family_node != node:
                    graph.add_edge(node, family_node, key=edge_key("VARIANT_OF", ""), type="VARIANT_OF", paper="")
        for rel in extraction.relations:
            head, tail = by_name.get(rel.head), by_name.get(rel.tail)
            if head is None or tail is None or head == tail:
                continue
            props = rel.to_dict()
            del props["head"], props["tail"], props["type"]
            graph.add_edge(head, tail, key=edge_key(rel.type, paper_id), type=rel.type, paper=paper_id, **props)
            self.stats.relationships += 1

    def add_all(self, extractions: Iterable[Extraction]) -> BuildStats:
        for extraction in extractions:
            self.add(extraction)
        return self.stats


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def build_graph(extractions: Iterable[Extraction], graph: nx.MultiDiGraph | None = None) -> nx.MultiDiGraph:
    """Add ``extractions`` to ``graph`` (a new one by default) and return it."""
    builder = GraphBuilder(graph)
    builder.add_all(extractions)
    return builder.graph


# -- file format: node-link JSON, gzip-compressed when the name ends in .gz ----
def generate_graph_json(graph: nx.MultiDiGraph) -> str:
    """The graph as node-link JSON text (the file format of the embedded store)."""
    data = nx.node_link_data(graph, edges="edges")
    data["graph"] = {"name": "paperkg", "format": FORMAT_VERSION}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def write_graph(graph: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write the graph atomically: a crash leaves the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = generate_graph_json(graph).encode()
    if path.suffix == ".gz":
        payload = gzip.compress(payload, compresslevel=5)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    return graph


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


def _properties_problem(record: dict, label: str, rules: list[PropertyRule]) -> str | None:
    for rule in rules:
        if label in rule.labels and not rule.kind.accepts(record.get(rule.name)):
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
    """Read a graph file; a missing file is an empty graph when ``missing_ok``."""
    path = Path(path)
    if not path.exists():
        if missing_ok:
            return new_graph()
        raise InputError(str(path), "no such graph file")
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(str(path), f"cannot read the graph file ({err.strerror or err})") from None
    try:
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise InputError(str(path), f"not a readable paperkg graph ({err})") from None
    return parse_graph_json(text, source=str(path))

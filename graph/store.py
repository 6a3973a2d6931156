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
import stat
import tempfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterable, Iterator

import networkx as nx

from extractors.errors import InputError, OutputError, UsageError
from extractors.normalize import canonical_key, model_family
from extractors.metrics import lower_is_better
from extractors.records import PAPER, Entity, Extraction, Paper, Result, normalise_title

from .model import PAPER_LABEL, RESULT_LABEL, edge_key, new_graph, result_id

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
    results: int = 0


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
            elif data["label"] != RESULT_LABEL:
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
        """Remove every edge and result the paper stated, and entities left with no edge."""
        graph = self.graph
        graph.remove_nodes_from([v for _, v, d in list(graph.out_edges(paper_id, data=True)) if d["type"] == "REPORTS"])
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
        metrics = {canonical_key(n): node for e in extraction.entities if e.type == "Metric"
                   for n in (e.name, *e.aliases) if (node := by_name.get(e.name))}
        for result in extraction.results:
            self._add_result(paper_id, result, by_name, metrics)

    def _add_result(self, paper_id: str, result: Result, by_name: dict[str, str], metrics: dict[str, str]) -> None:
        """A Result node for one reported score, linked to its paper, subject, benchmark and metric."""
        benchmark = by_name.get(result.benchmark)
        if benchmark is None:  # not an entity of this extraction: nothing to link the score to
            return
        node = result_id(paper_id, result.subject, result.benchmark, result.metric, result.value, result.setting)
        props = {k: v for k, v in result.to_dict().items() if v is not None}
        value = f"{result.value} {result.unit}" if result.unit == "points" else result.value + result.unit
        summary = " ".join(p for p in (result.subject if result.subject != PAPER else "", value,
                                       result.metric, "on", result.benchmark) if p)
        self.graph.add_node(node, label=RESULT_LABEL, id=node, name=summary, paper=paper_id, score=_number(result.value),
                            lower_is_better=lower_is_better(result.metric), **props)
        links = [(paper_id, node, "REPORTS"), (node, benchmark, "RESULT_ON")]
        subject = by_name.get(result.subject) if result.subject != PAPER else None
        if subject is not None:
            links.append((node, subject, "RESULT_OF"))
        if metrics.get(canonical_key(result.metric or "-")):
            links.append((node, metrics[canonical_key(result.metric)], "MEASURED_IN"))
        for start, end, rel_type in links:
            self.graph.add_edge(start, end, key=edge_key(rel_type, paper_id), type=rel_type, paper=paper_id,
                                confidence=result.confidence)
        self.stats.results += 1

    def add_all(self, extractions: Iterable[Extraction]) -> BuildStats:
        for extraction in extractions:
            self.add(extraction)
        return self.stats


def _number(value: str) -> float:
    """A result's value as a number ("1,024" -> 1024.0)."""
    return float(value.replace(",", ""))


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
        return 0o666 & ~_umask()
    # root may write anything: the mode's write bits still say the owner wants it kept
    if not old.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise OutputError(str(shown), "is read-only; it was not replaced (make it writable, or choose another file)")
    return stat.S_IMODE(old.st_mode)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
    """A graph from node-link JSON text written by :func:`generate_graph_json`."""
    try:
        data = json.loads(text)
        if data.get("graph", {}).get("name") != "paperkg":
            raise ValueError("not a paperkg graph file")
        graph = nx.node_link_graph(data, directed=True, multigraph=True, edges="edges")
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise InputError(source, f"not a readable paperkg graph ({err})") from None
    # node-link JSON keeps a node's id only as its key: every node carries it as ``id`` too
    for node, attributes in graph.nodes(data=True):
        attributes["id"] = node
    return graph


def read_graph(path: str | os.PathLike, *, missing_ok: bool = True) -> nx.MultiDiGraph:
    """Read a graph file; a missing file is an empty graph when ``missing_ok``."""
    path = Path(path)
    if not path.exists():
        if missing_ok:
            return new_graph()
        raise InputError(str(path), "no such graph file")
    raw = path.read_bytes()
    try:
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
    except (OSError, UnicodeDecodeError, EOFError) as err:
        raise InputError(str(path), f"not a readable paperkg graph ({err})") from None
    return parse_graph_json(text, source=str(path))

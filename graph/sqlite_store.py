"""The graph on disk: one SQLite file, built by incremental upserts, read back as NetworkX.

Generic over the labels and relationship types of :mod:`paperkg.graph.model`: a node is an id, a
label and its properties (JSON); a relationship is start, end, key, type, paper and its
properties (JSON). Beside them are the index tables of entity resolution: each paper's
namings and statements, the papers naming a key, the node of each key, and running
counters of the votes that decide an entity (papers by key, by name and by type; names and
aliases; families), so adding a paper costs what it names, not what the graph holds.

>>> import tempfile, os
>>> from paperkg.extractors.records import Extraction, Paper, Entity, Relation
>>> path = os.path.join(tempfile.mkdtemp(), "kg.db")
>>> rel = Relation("PAPER", "EVALUATES_ON", "GSM8K", "We evaluate on GSM8K.", 3, 24, "rules", 0.9)
>>> with GraphStore(path) as store:
...     _ = store.add_extractions([Extraction(Paper(id="title:1", title="T", abstract="A"),
...                                           [Entity("gsm8k", "GSM8K", "Benchmark")], [rel])])
...     sorted(store.graph().nodes)
['gsm8k', 'title:1']

Each :meth:`GraphStore.add_extractions` is one transaction (``BEGIN IMMEDIATE``): a crash
loses at most that batch, and two processes building on one file take turns, batch by batch.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, NamedTuple, Sequence

from paperkg.extractors.errors import InputError, OutputError
from paperkg.extractors.records import Extraction, Paper, normalise_title

from .model import PAPER_LABEL, NodeRecord, RelationshipRecord, edge_key, new_graph
from .store import (_ID_RANK, BuildStats, EntityVotes, Naming, Pending, ResultStatement, Statement, _key, _mention_edge,
                    _stored_statements, _vote, entity_attributes, kept_statements, merged_paper_properties,
                    paper_properties, paper_statements, result_edges, result_node)

if TYPE_CHECKING:  # the SQL path of queries (GraphStore.select) needs no networkx
    import networkx as nx

__all__ = ["GraphStore", "SelectedRows", "SQLITE_MAGIC", "is_store_file", "content_hash"]

SQLITE_MAGIC = b"SQLite format 3\x00"
FORMAT_VERSION = "1"
#: How long a build waits for another build's batch to commit before giving up.
BUSY_TIMEOUT_S = 600

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS node(id TEXT PRIMARY KEY, label TEXT NOT NULL, props TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS node_label ON node(label);
CREATE TABLE IF NOT EXISTS rel(start TEXT NOT NULL, end TEXT NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL,
    paper TEXT NOT NULL, props TEXT NOT NULL, PRIMARY KEY (start, end, key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rel_end ON rel(end);
CREATE INDEX IF NOT EXISTS rel_type ON rel(type);
CREATE INDEX IF NOT EXISTS rel_paper ON rel(paper);
-- a paper: how it is recognised (title), the hash of the text extracted, what it names and states
CREATE TABLE IF NOT EXISTS paper(id TEXT PRIMARY KEY, title_key TEXT NOT NULL, content TEXT NOT NULL,
    statements TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS paper_title ON paper(title_key);
-- an entity node's keys (name and aliases): how names are found; rkey, reversed, finds "ends with"
CREATE TABLE IF NOT EXISTS node_key(key TEXT NOT NULL, node TEXT NOT NULL, rkey TEXT NOT NULL,
    PRIMARY KEY (key, node)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS node_key_node ON node_key(node);
CREATE INDEX IF NOT EXISTS node_key_rkey ON node_key(rkey);
-- resolution: the node of each naming key, the papers naming a key, and the running counters
CREATE TABLE IF NOT EXISTS resolved(key TEXT PRIMARY KEY, node TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS resolved_node ON resolved(node);
CREATE TABLE IF NOT EXISTS mention(key TEXT NOT NULL, paper TEXT NOT NULL, PRIMARY KEY (key, paper)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_votes(key TEXT NOT NULL, label TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (key, label)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS name_votes(key TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (key, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_texts(key TEXT NOT NULL, text TEXT NOT NULL, text_key TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (key, text)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS key_texts_text_key ON key_texts(text_key);
CREATE TABLE IF NOT EXISTS families(key TEXT NOT NULL, family TEXT NOT NULL, family_key TEXT NOT NULL,
    n INTEGER NOT NULL, PRIMARY KEY (key, family)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS families_family_key ON families(family_key);
"""


def is_store_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is (or, not existing yet, will be) a SQLite store rather than a JSON graph file:
    an existing file by its first bytes (an empty one by its name), a new one by its name."""
    path = Path(path)
    json_name = path.name.endswith((".json", ".json.gz", ".gz"))
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError:
        return not json_name
    return head == SQLITE_MAGIC or (not head and not json_name)


def content_hash(paper: Paper) -> str:
    """The hash of what extraction reads of a paper: a paper with the same hash is not extracted again."""
    return hashlib.sha1(json.dumps([paper.title, paper.abstract], ensure_ascii=False).encode()).hexdigest()


class Counters(NamedTuple):
    """What papers add to (or take from) the resolution counters, by table row."""

    key_votes: Counter
    name_votes: Counter
    key_texts: Counter
    families: Counter


def _counters(namings: list[Naming]) -> Counters:
    """The counts one paper's namings contribute."""
    types_by_key: dict[str, Counter] = defaultdict(Counter)
    texts: Counter[tuple[str, str, str]] = Counter()
    families: Counter[tuple[str, str, str]] = Counter()
    for naming in namings:
        types_by_key[naming.key][naming.type] += 1
        texts.update((naming.key, text, _key(text)) for text in {naming.name, *naming.aliases})
        if naming.family:
            families[naming.key, naming.family, _key(naming.family)] += 1
    votes = Counter((key, _vote(types)) for key, types in types_by_key.items())
    names = Counter({(naming.key, naming.name) for naming in namings})
    return Counters(votes, names, texts, families)


class _CounterTable(NamedTuple):
    """A counter table: its name, the columns of a row's identity, and of its primary key."""

    name: str
    columns: tuple[str, ...]
    key_columns: tuple[str, ...]

    def apply(self, db: sqlite3.Connection, deltas: Counter) -> None:
        values = [(*row, n) for row, n in deltas.items() if n]
        columns = ", ".join(self.columns)
        marks = ", ".join("?" * (len(self.columns) + 1))
        db.executemany(f"INSERT INTO {self.name}({columns}, n) VALUES ({marks}) ON CONFLICT({', '.join(self.key_columns)})"
                       " DO UPDATE SET n = n + excluded.n", values)
        where = " AND ".join(f"{c} = ?" for c in self.key_columns)
        db.executemany(f"DELETE FROM {self.name} WHERE {where} AND n <= 0",
                       [row[:len(self.key_columns)] for row, n in deltas.items() if n < 0])


#: The counter tables in the order of :class:`Counters`' fields.
COUNTER_TABLES = [
    _CounterTable("key_votes", ("key", "label"), ("key", "label")),
    _CounterTable("name_votes", ("key", "name"), ("key", "name")),
    _CounterTable("key_texts", ("key", "text", "text_key"), ("key", "text")),
    _CounterTable("families", ("key", "family", "family_key"), ("key", "family")),
]


class SelectedRows(NamedTuple):
    """What :meth:`GraphStore.select` answers: the column names, and each row as a dict by column."""

    columns: list[str]
    rows: list[dict[str, Any]]


#: Ends the name of a column of JSON text (``json_group_array``): :meth:`GraphStore.select` decodes it.
JSON_COLUMN = " [json]"


class StoredPaper(NamedTuple):
    """A paper as the store holds it."""

    id: str
    properties: dict[str, Any]
    content: str


@dataclass
class _Batch:
    """What one transaction changed: keys to resolve again, papers whose edges to write again."""

    dirty_keys: set[str] = field(default_factory=set)
    papers: set[str] = field(default_factory=set)
    counters: Counters = field(default_factory=lambda: Counters(Counter(), Counter(), Counter(), Counter()))

    def count(self, namings: list[Naming], sign: int) -> None:
        for total, part in zip(self.counters, _counters(namings)):
            for row, n in part.items():
                total[row] += sign * n
        for naming in namings:
            self.dirty_keys |= {naming.key, *naming.alias_keys, *([_key(naming.family)] if naming.family else [])}


class GraphStore:
    """A graph in a SQLite file (created when missing); a context manager that closes it."""

    def __init__(self, path: str | os.PathLike, *, read_only: bool = False):
        self.path = Path(path)
        self.stats = BuildStats()
        self._created: set[str] = set()  # entity nodes this store object added
        self.metadata_updates: list[Paper] = []  # papers skipped as unchanged whose metadata is new
        try:
            if read_only:
                self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                          timeout=BUSY_TIMEOUT_S, isolation_level=None)
                self._check_format()
            else:
                self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
                self.db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT_VERSION,))
                self._check_format()
        except sqlite3.Error as err:
            raise InputError(str(path), f"not a readable paperkg graph store ({err})") from None

    def _check_format(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
        if row is None or row[0] != FORMAT_VERSION:
            raise InputError(str(self.path), f"graph store format {row[0] if row else None!r}; "
                                             f"this paperkg reads format {FORMAT_VERSION}")

    def __enter__(self) -> "GraphStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # -- writing ---------------------------------------------------------------
    def _transaction(self):
        return _Transaction(self)

    def add_extractions(self, extractions: Iterable[Extraction]) -> BuildStats:
        """Add a batch of extractions in one transaction, each replacing what its paper stated."""
        with self._transaction():
            batch = _Batch()
            for extraction in extractions:
                self._add_extraction(extraction, batch)
            self._resolve(batch)
        return self.stats

    def merge_duplicates(self, papers: Iterable[Paper]) -> None:
        """Fold later copies of papers the store holds (the same paper from another source) into their
        nodes: metadata only; the title and abstract stay, since evidence offsets index them."""
        with self._transaction():
            for paper in papers:
                found = self.find_paper(paper)
                if found is not None:
                    props = merged_paper_properties(found.properties, paper, keep_text=True) | {"id": found.id}
                    if props != found.properties:
                        self._put_node(found.id, PAPER_LABEL, props)

    def unchanged(self, paper: Paper) -> bool:
        """Whether the store holds ``paper`` with the same text (so it needs no extraction)."""
        found = self.find_paper(paper)
        if found is None or found.content != content_hash(paper):
            return False
        self.stats.papers_unchanged += 1
        if merged_paper_properties(found.properties, paper, keep_text=True) | {"id": found.id} != found.properties:
            self.metadata_updates.append(paper)  # another source of it: merged by merge_duplicates
        return True

    def import_graph(self, graph: nx.MultiDiGraph, batch_size: int = 1000) -> None:
        """Add a graph read from a JSON graph file: its papers as they are, their namings, statements
        and results."""
        namings, statements, results = _stored_statements(graph)
        by_paper: dict[str, tuple[list[int], list[Statement], list[ResultStatement]]] = defaultdict(
            lambda: ([], [], []))
        for index, naming in enumerate(namings):
            by_paper[naming.paper][0].append(index)
        for statement in statements:
            by_paper[statement.paper][1].append(statement)
        for result in results:
            by_paper[result.paper][2].append(result)
        papers = [node for node, data in graph.nodes(data=True) if data.get("label") == PAPER_LABEL]
        for start in range(0, len(papers), batch_size):
            with self._transaction():
                batch = _Batch()
                for paper_id in papers[start:start + batch_size]:
                    indices, stated, reported = by_paper[paper_id]
                    # None (a statement about the paper itself) is no naming: it stays None
                    local: dict[int | None, int] = {global_index: i for i, global_index in enumerate(indices)}
                    stated = [s._replace(head=local.get(s.head), tail=local.get(s.tail)) for s in stated]
                    reported = [r._replace(subject=local.get(r.subject), benchmark=local[r.benchmark],
                                           metric=local.get(r.metric)) for r in reported]
                    data = {k: v for k, v in graph.nodes[paper_id].items() if k != "label"}
                    self._remove_paper(paper_id, batch)
                    self._put_node(paper_id, PAPER_LABEL, data)
                    self._put_statements(paper_id, Paper.from_dict(data),
                                         ([namings[i] for i in indices], stated, reported), batch)
                self._resolve(batch)

    def _add_extraction(self, extraction: Extraction, batch: _Batch) -> None:
        paper = extraction.paper
        found = self.find_paper(paper)
        if found is None:
            node = paper.id
            self._put_node(node, PAPER_LABEL, paper_properties(paper))
            self.stats.papers_added += 1
        else:
            node = found.id
            props = merged_paper_properties(found.properties, paper, keep_text=False) | {"id": node}
            self._remove_paper(node, batch)
            if _ID_RANK[paper.id.split(":", 1)[0]] < _ID_RANK[node.split(":", 1)[0]]:
                # A better id (arXiv > DOI > title) renames the node; it states nothing any more.
                self.db.execute("DELETE FROM node WHERE id = ?", (node,))
                node = props["id"] = paper.id
            self._put_node(node, PAPER_LABEL, props)
            self.stats.papers_updated += 1
        held = paper_statements(node, extraction)
        self.stats.relationships += len(held[1])
        self.stats.results += len(held[2])
        self._put_statements(node, paper, held, batch)

    def _put_node(self, node: str, label: str, props: dict[str, Any]) -> None:
        self.db.execute("INSERT INTO node(id, label, props) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE "
                        "SET label = excluded.label, props = excluded.props", (node, label, _json(props)))

    def _put_statements(self, node: str, paper: Paper, held: Pending, batch: _Batch) -> None:
        namings, statements, results = held
        stored = {"namings": [[n.name, list(n.aliases), n.type, n.confidence, n.family] for n in namings],
                  "statements": [[s.head, s.tail, s.type, s.properties] for s in statements],
                  "results": [[r.node, r.subject, r.benchmark, r.metric, r.properties] for r in results]}
        self.db.execute("INSERT OR REPLACE INTO paper VALUES (?, ?, ?, ?)",
                        (node, normalise_title(paper.title), content_hash(paper), _json(stored)))
        self.db.executemany("INSERT OR IGNORE INTO mention VALUES (?, ?)", [(n.key, node) for n in namings])
        batch.count(namings, +1)
        batch.papers.add(node)

    def _remove_paper(self, node: str, batch: _Batch) -> None:
        """Take away what the paper named and stated (its node stays)."""
        namings, _, results = self._paper_statements(node)
        batch.count(namings, -1)
        batch.papers.discard(node)
        self.db.executemany("DELETE FROM node WHERE id = ?", [(r.node,) for r in results])
        self.db.executemany("DELETE FROM mention WHERE key = ? AND paper = ?", [(n.key, node) for n in namings])
        self.db.execute("DELETE FROM paper WHERE id = ?", (node,))
        self.db.execute("DELETE FROM rel WHERE paper = ?", (node,))

    # -- entity resolution, for the keys a batch touched -----------------------------
    def _resolve(self, batch: _Batch) -> None:
        for table, deltas in zip(COUNTER_TABLES, batch.counters):
            table.apply(self.db, deltas)
        old_node_of, components = self._affected_components(batch.dirty_keys)
        new_node_of, nodes = {}, {}
        for component in components:
            node, attributes = entity_attributes(self._votes(component))
            nodes[node] = attributes
            new_node_of.update(dict.fromkeys(component, node))
        moved = {key for key in old_node_of.keys() | new_node_of.keys() if old_node_of.get(key) != new_node_of.get(key)}
        gone = set(old_node_of.values()) - set(nodes)
        self._write_entities(nodes, gone, old_node_of, new_node_of)
        redo = batch.papers | set(self._column("SELECT paper FROM mention WHERE key = ?", moved))
        for paper in sorted(redo):
            self._write_paper_edges(paper)
        families = batch.dirty_keys | moved | set(self._column(
            "SELECT text_key FROM key_texts WHERE key = ? AND text_key != key", moved))
        self._write_families(families, set(nodes), gone)

    def _write_entities(self, nodes: dict[str, dict], gone: set[str], old_node_of: dict[str, str],
                        new_node_of: dict[str, str]) -> None:
        self._forget_nodes(gone)
        self.db.executemany("DELETE FROM node_key WHERE node = ?", [(node,) for node in nodes])
        self.db.executemany("DELETE FROM resolved WHERE key = ?", [(key,) for key in old_node_of])
        self.db.executemany("INSERT INTO resolved VALUES (?, ?)", list(new_node_of.items()))
        for node, attributes in nodes.items():
            self._put_entity(node, attributes)

    def _put_entity(self, node: str, attributes: dict[str, Any]) -> None:
        if self.db.execute("SELECT 1 FROM node WHERE id = ?", (node,)).fetchone() is None:
            self._created.add(node)
            self.stats.entities_added = len(self._created)
        self._put_node(node, attributes["label"], {k: v for k, v in attributes.items() if k != "label"})
        self.db.executemany("INSERT OR IGNORE INTO node_key VALUES (?, ?, ?)",
                            [(key, node, key[::-1]) for key in attributes["keys"]])

    def _forget_nodes(self, nodes: Iterable[str]) -> None:
        """Delete entity nodes, their keys and the VARIANT_OF edges into them (others are rewritten)."""
        for node in nodes:
            self.db.execute("DELETE FROM node WHERE id = ?", (node,))
            self.db.execute("DELETE FROM node_key WHERE node = ?", (node,))
            self.db.execute("DELETE FROM rel WHERE end = ? AND type = 'VARIANT_OF'", (node,))
        self._created -= set(nodes)
        self.stats.entities_added = len(self._created)

    def _affected_components(self, dirty: set[str]) -> tuple[dict[str, str], list[set[str]]]:
        """The old node of every key whose node may change, and the components those keys now make:
        grown until each old node's keys are all in (a key joining a component splits its old one)."""
        old_node_of: dict[str, str] = {}
        seeds = set(dirty)
        while True:
            old_node_of.update(self._resolved(seeds - old_node_of.keys()))
            old_node_of.update(self._resolved_of_nodes(set(old_node_of.values())))
            components = self._components(seeds | old_node_of.keys())
            reached = set().union(*components) | old_node_of.keys()
            if reached <= seeds:
                return old_node_of, components
            seeds |= reached

    def _components(self, seeds: set[str]) -> list[set[str]]:
        """The naming keys joined with ``seeds``: a key that is the alias of exactly one other key
        (an acronym of its expansion) is one component with it."""
        seen: set[str] = set()
        components = []
        for seed in sorted(seeds):
            if seed in seen or not self._is_naming_key(seed):
                continue
            component, frontier = {seed}, [seed]
            while frontier:
                for other in self._joined(frontier.pop()) - component:
                    component.add(other)
                    frontier.append(other)
            seen |= component
            components.append(component)
        return components

    def _is_naming_key(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM key_votes WHERE key = ? LIMIT 1", (key,)).fetchone() is not None

    def _holders(self, key: str) -> set[str]:
        """The keys of the names that give ``key`` as an alias."""
        return set(self._column("SELECT DISTINCT key FROM key_texts WHERE text_key = ? AND key != text_key", [key]))

    def _expansion(self, key: str) -> str | None:
        holders = self._holders(key) - {key}
        return holders.pop() if len(holders) == 1 else None

    def _joined(self, key: str) -> set[str]:
        """The keys ``key`` joins: its one expansion, and the naming keys of its aliases it is the one expansion of."""
        expansion = self._expansion(key)
        joined = set() if expansion is None else {expansion}
        for alias in self._column("SELECT text_key FROM key_texts WHERE key = ? AND text_key != key", [key]):
            if self._is_naming_key(alias) and self._expansion(alias) == key:
                joined.add(alias)
        return joined

    def _votes(self, keys: set[str]) -> EntityVotes:
        """The running counts of one component, with the papers naming several of its keys voted once."""
        marks = ", ".join("?" * len(keys))
        votes = EntityVotes()
        for key, label, n in self.db.execute(f"SELECT key, label, n FROM key_votes WHERE key IN ({marks})", list(keys)):
            votes.papers_by_key[key] += n
            votes.labels[label] += n
        votes.papers_by_name.update(dict(self.db.execute(
            f"SELECT name, n FROM name_votes WHERE key IN ({marks})", list(keys)).fetchall()))
        for key, text, text_key in self.db.execute(
                f"SELECT key, text, text_key FROM key_texts WHERE key IN ({marks})", list(keys)):
            votes.texts.add(text)
            if text_key != key:
                votes.alias_keys.add(text_key)
        if len(keys) > 1:
            self._revote_papers_naming_several(keys, votes.labels, marks)
        return votes

    def _revote_papers_naming_several(self, keys: set[str], labels: Counter, marks: str) -> None:
        """A paper naming two keys of one entity votes once, over all its namings of it, not once per key."""
        for (paper,) in self.db.execute(f"SELECT paper FROM mention WHERE key IN ({marks}) "
                                        "GROUP BY paper HAVING count(*) > 1", list(keys)).fetchall():
            namings = [n for n in self._paper_statements(paper)[0] if n.key in keys]
            by_key: dict[str, Counter] = defaultdict(Counter)
            for naming in namings:
                by_key[naming.key][naming.type] += 1
            labels.subtract(_vote(types) for types in by_key.values())
            labels[_vote(Counter(n.type for n in namings))] += 1
        for label in [label for label, n in labels.items() if n <= 0]:
            del labels[label]

    def _write_paper_edges(self, paper: str) -> None:
        """Write again the MENTIONS and stated relationships of one paper, from its namings and the
        node of each naming's key."""
        self.db.execute("DELETE FROM rel WHERE paper = ?", (paper,))
        namings, statements, results = self._paper_statements(paper)
        node_by_key = self._resolved({n.key for n in namings})
        node_of = [node_by_key[n.key] for n in namings]
        members: dict[str, list[Naming]] = defaultdict(list)
        for node, naming in zip(node_of, namings):
            members[node].append(naming)
        rows = [(paper, node, edge_key("MENTIONS", paper), _mention_edge(node, group)) for node, group in members.items()]
        rows += [(head, tail, key, {"type": s.type, "paper": s.paper, **s.properties})
                 for (head, tail, key), s in kept_statements(statements, node_of).items()]
        for result in results:
            properties = result_node(result)
            self._put_node(result.node, properties.pop("label"), properties)
            rows += result_edges(result, node_of)
        self._put_relationships(rows)

    def _put_relationships(self, rows: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO rel VALUES (?, ?, ?, ?, ?, ?)", [
            (start, end, key, data["type"], data["paper"], _json({k: v for k, v in data.items() if k != "type"}))
            for start, end, key, data in rows])

    def _write_families(self, families: set[str], entity_nodes: set[str], gone: set[str]) -> None:
        """Write again the VARIANT_OF edges whose family may have changed, and the inferred family nodes."""
        users = set(self._column("SELECT key FROM families WHERE family_key = ?", families))
        sources = entity_nodes | set(self._resolved(users).values())
        for family in sorted(families):
            self._write_inferred_family(family)
        for node in sorted(sources - gone):
            self._write_variants(node)

    def _family_node(self, family_key: str) -> str:
        """The node of a family: the entity named so, the one entity giving it as an alias, or its own."""
        named = self._resolved({family_key})
        if named:
            return named[family_key]
        holders = set(self._resolved(self._holders(family_key)).values())
        return holders.pop() if len(holders) == 1 else family_key

    def _write_inferred_family(self, family_key: str) -> None:
        """Create, rename or delete the node made only to link the size variants of a family."""
        if self._is_naming_key(family_key):
            return  # its node is an entity's
        spellings = self._column("SELECT family FROM families WHERE family_key = ?", [family_key])
        if spellings and self._family_node(family_key) == family_key:
            self._put_entity(family_key, {"label": "Model", "id": family_key, "name": min(spellings), "aliases": [],
                                          "keys": [family_key], "inferred": True})
        else:
            self._forget_nodes([family_key])  # no node named so is left: the key is no naming's

    def _write_variants(self, node: str) -> None:
        self.db.execute("DELETE FROM rel WHERE start = ? AND type = 'VARIANT_OF'", (node,))
        keys = self._column("SELECT key FROM resolved WHERE node = ?", [node])
        families = {self._family_node(f) for f in self._column("SELECT family_key FROM families WHERE key = ?", keys)}
        self._put_relationships([(node, family, edge_key("VARIANT_OF", ""), {"type": "VARIANT_OF", "paper": ""})
                                 for family in sorted(families - {node})])

    # -- reading -------------------------------------------------------------------
    def find_paper(self, paper: Paper) -> StoredPaper | None:
        """The stored paper with ``paper``'s id, else with its title."""
        row = self.db.execute("SELECT p.id, n.props, p.content FROM paper p JOIN node n ON n.id = p.id WHERE p.id = ?",
                              (paper.id,)).fetchone() or self.db.execute(
            "SELECT p.id, n.props, p.content FROM paper p JOIN node n ON n.id = p.id WHERE p.title_key = ? LIMIT 1",
            (normalise_title(paper.title),)).fetchone()
        return StoredPaper(row[0], json.loads(row[1]), row[2]) if row else None

    def _paper_statements(self, paper: str) -> Pending:
        row = self.db.execute("SELECT statements FROM paper WHERE id = ?", (paper,)).fetchone()
        if row is None:
            return [], [], []
        stored = json.loads(row[0])
        namings = [Naming(paper, name, tuple(aliases), type_, confidence, family)
                   for name, aliases, type_, confidence, family in stored["namings"]]
        return (namings, [Statement(paper, *s) for s in stored["statements"]],
                [ResultStatement(paper, *r) for r in stored["results"]])

    def _resolved(self, keys: Iterable[str]) -> dict[str, str]:
        return dict(self._rows("SELECT key, node FROM resolved WHERE key = ?", keys))

    def _resolved_of_nodes(self, nodes: Iterable[str]) -> dict[str, str]:
        return dict(self._rows("SELECT key, node FROM resolved WHERE node = ?", nodes))

    def _rows(self, sql: str, values: Iterable[str]) -> list[tuple]:
        rows = []
        for value in values:
            rows += self.db.execute(sql, (value,)).fetchall()
        return rows

    def _column(self, sql: str, values: Iterable[str]) -> list[Any]:
        return [row[0] for row in self._rows(sql, values)]

    def graph(self) -> nx.MultiDiGraph:
        """The whole graph, materialised."""
        return self._materialise(
            self.db.execute("SELECT id, label, props FROM node ORDER BY label != 'Paper', id"),
            self.db.execute("SELECT start, end, key, type, props FROM rel ORDER BY start, end, key"))

    def subgraph(self, key_ending: str, hops: int, types: Iterable[str] | None = None) -> nx.MultiDiGraph:
        """The part of the graph within ``hops`` relationships of the entities one of whose keys ends
        with ``key_ending``: those nodes and every relationship between them (of ``types`` only, if given;
        the hops are counted over every type)."""
        db = self.db
        self._new_scope()
        reversed_key = key_ending[::-1]
        db.execute("INSERT OR IGNORE INTO temp.scope SELECT node FROM node_key WHERE rkey >= ? AND rkey < ?",
                   (reversed_key, reversed_key + "\U0010ffff"))
        seen = {row[0] for row in db.execute("SELECT id FROM temp.scope")}
        frontier = seen
        for _ in range(hops):
            found: set[str] = set()
            for node in frontier:
                found.update(row[0] for row in db.execute(
                    "SELECT end FROM rel WHERE start = ? UNION SELECT start FROM rel WHERE end = ?", (node, node)))
            frontier = found - seen
            seen |= frontier
            db.executemany("INSERT INTO temp.scope VALUES (?)", [(node,) for node in frontier])
        typed, type_values = _type_filter(types)
        # CROSS JOIN keeps the scope the outer loop: the planner, knowing no sizes, would scan every node,
        # or every relationship of the types
        return self._materialise(
            self._scope_nodes(),
            db.execute("SELECT r.start, r.end, r.key, r.type, r.props FROM temp.scope s CROSS JOIN rel r ON r.start = s.id "
                       f"WHERE r.end IN (SELECT id FROM temp.scope) {typed} ORDER BY r.start, r.end, r.key", type_values))

    def relationships_of(self, types: Iterable[str]) -> nx.MultiDiGraph:
        """The relationships of ``types`` and the nodes at their ends."""
        typed, type_values = _type_filter(types)
        self._new_scope()
        self.db.execute(f"INSERT OR IGNORE INTO temp.scope SELECT r.start FROM rel r WHERE 1 {typed} "
                        f"UNION SELECT r.end FROM rel r WHERE 1 {typed}", type_values * 2)
        return self._materialise(self._scope_nodes(), self.db.execute(
            f"SELECT r.start, r.end, r.key, r.type, r.props FROM rel r WHERE 1 {typed} ORDER BY r.start, r.end, r.key",
            type_values))

    def _new_scope(self) -> None:
        """An empty ``temp.scope`` table: the ids of the nodes a part of the graph holds."""
        self.db.execute("CREATE TEMP TABLE IF NOT EXISTS scope(id TEXT PRIMARY KEY) WITHOUT ROWID")
        self.db.execute("DELETE FROM temp.scope")

    def _scope_nodes(self) -> sqlite3.Cursor:
        return self.db.execute("SELECT n.id, n.label, n.props FROM temp.scope s CROSS JOIN node n ON n.id = s.id "
                               "ORDER BY n.label != 'Paper', n.id")

    @staticmethod
    def _materialise(nodes: Iterable[tuple], edges: Iterable[tuple]) -> nx.MultiDiGraph:
        graph = new_graph()
        for node, label, props in nodes:
            graph.add_node(node, label=label, **json.loads(props))
        for start, end, key, rel_type, props in edges:
            graph.add_edge(start, end, key=key, type=rel_type, **json.loads(props))
        return graph

    def select(self, sql: str, params: dict[str, Any]) -> SelectedRows:
        """The rows of one SQL ``SELECT`` over the store's tables, with ``params`` bound as ``:name``
        parameters (never formatted into the text). For paperkg's own statements: the SQL forms of the
        catalogue (:func:`paperkg.graph.catalogue.sql_form`). A column named ``NAME [json]`` holds JSON
        text and is answered decoded, as ``NAME``.

        >>> import tempfile, os
        >>> with GraphStore(os.path.join(tempfile.mkdtemp(), "kg.db")) as store:
        ...     store.select('SELECT :n + 1 AS next, json_array(:n) AS "listed [json]"', {"n": 1})
        SelectedRows(columns=['next', 'listed'], rows=[{'next': 2, 'listed': [1]}])
        """
        try:
            cursor = self.db.execute(sql, params)
            named = [column[0] for column in cursor.description]
            found = cursor.fetchall()
        except sqlite3.Error as err:
            raise InputError(str(self.path), f"cannot be read ({err})") from None
        columns = [name.removesuffix(JSON_COLUMN) for name in named]
        decoded = [name.endswith(JSON_COLUMN) for name in named]
        rows = [{column: json.loads(value) if is_json and value is not None else value
                 for column, is_json, value in zip(columns, decoded, row)} for row in found]
        return SelectedRows(columns, rows)

    def counts(self) -> tuple[Counter, Counter]:
        """Nodes by label and relationships by type, counted in SQL."""
        return (Counter(dict(self.db.execute("SELECT label, count(*) FROM node GROUP BY label").fetchall())),
                Counter(dict(self.db.execute("SELECT type, count(*) FROM rel GROUP BY type").fetchall())))

    def entity_names(self) -> list[dict[str, Any]]:
        """Every entity's name and keys (see :func:`paperkg.graph.query.check_entity_known`)."""
        keys: dict[str, list[str]] = defaultdict(list)
        for key, node in self.db.execute("SELECT key, node FROM node_key"):
            keys[node].append(key)
        return [{"name": name, "keys": keys[node]} for node, name in self.db.execute(
            "SELECT id, json_extract(props, '$.name') FROM node WHERE label != ?", (PAPER_LABEL,))]

    def node_records(self, label: str | None = None, *, papers: Sequence[str] | None = None) -> Iterator[NodeRecord]:
        """Every node (of ``label`` only, if given; whose ``paper`` is one of ``papers``, if given), streamed."""
        for where, values in _where(("label", label), ("json_extract(props, '$.paper')", papers)):
            for node, node_label, props in self.db.execute(f"SELECT id, label, props FROM node WHERE {where}", values):
                yield NodeRecord(node, node_label, json.loads(props))

    def relationship_records(self, rel_type: str | None = None, *,
                             papers: Sequence[str] | None = None) -> Iterator[RelationshipRecord]:
        """Every relationship (of ``rel_type`` only, if given; stated by one of ``papers``, if given), streamed."""
        for where, values in _where(("type", rel_type), ("paper", papers)):
            for start, end, key, found_type, props in self.db.execute(
                    f"SELECT start, end, key, type, props FROM rel WHERE {where}", values):
                yield RelationshipRecord(start, end, found_type, key, json.loads(props))

    def node_labels(self, ids: Iterable[str]) -> dict[str, str]:
        """The label of each of the nodes ``ids`` (that the store has)."""
        labels: dict[str, str] = {}
        for where, values in _where(("label", None), ("id", list(ids))):
            labels.update(self.db.execute(f"SELECT id, label FROM node WHERE {where}", values).fetchall())
        return labels


class _Transaction:
    """``BEGIN IMMEDIATE`` (one writer at a time; others wait) ... ``COMMIT``, or ``ROLLBACK`` on any error."""

    def __init__(self, store: GraphStore):
        self.store = store

    def __enter__(self) -> None:
        try:
            self.store.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise OutputError(str(self.store.path), f"cannot write: {err}") from None

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.store.db.execute("ROLLBACK")
            if issubclass(exc_type, sqlite3.Error):  # disk full, read-only file system, ...
                raise OutputError(str(self.store.path), f"cannot write: {exc} (the batch was not added)") from None
            return
        try:
            self.store.db.execute("COMMIT")
        except sqlite3.Error as err:
            self.store.db.execute("ROLLBACK")
            raise OutputError(str(self.store.path), f"cannot write: {err} (the batch was not added)") from None


def _type_filter(types: Iterable[str] | None) -> tuple[str, list[str]]:
    """``AND r.type IN (?, ...)`` and its values; no condition for ``None`` (every type)."""
    if types is None:
        return "", []
    condition, values = _in_list("r.type", sorted(types))
    return f"AND {condition}", values


def _in_list(column: str, values: Sequence[str]) -> tuple[str, list[str]]:
    """``column IN (?, ...)`` and its values."""
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


#: Values bound in one ``IN (...)`` list (SQLite's oldest limit on a statement's parameters is 999).
_IN_CHUNK = 500


def _where(equal: tuple[str, str | None], among: tuple[str, Sequence[str] | None]) -> Iterator[tuple[str, list]]:
    """``WHERE`` text and values: ``column = value`` (no condition for a None value) and
    ``column IN (...)`` (none for None), one statement per chunk of :data:`_IN_CHUNK` values."""
    (column, value), (in_column, values) = equal, among
    conditions, bound = (["1"], []) if value is None else ([f"{column} = ?"], [value])
    if values is None:
        yield " AND ".join(conditions), bound
        return
    for i in range(0, len(values), _IN_CHUNK):
        among_chunk, chunk = _in_list(in_column, values[i:i + _IN_CHUNK])
        yield " AND ".join([*conditions, among_chunk]), [*bound, *chunk]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

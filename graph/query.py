"""Cypher over the embedded graph, and the named query catalogue of ``cypher/``.

The engine is nxcypher: of the two Cypher engines for NetworkX on PyPI it
covers the catalogue (parameters, single-quoted strings, ``IN`` on lists,
multiple relationship types, aggregation, ``CASE``, undirected patterns)
where grand-cypher parses none of those.

>>> from paperkg.graph.store import build_graph
>>> from paperkg.extractors.records import Extraction, Paper, Entity, Relation
>>> g = build_graph([Extraction(Paper(id="title:1", title="T", abstract="A"),
...     [Entity("gsm8k", "GSM8K", "Benchmark")],
...     [Relation("PAPER", "EVALUATES_ON", "GSM8K", "A", 3, 4, "rules", 0.8)])])
>>> run_catalogue("papers-using", g, {"key": "gsm-8k"}).rows
[{'id': 'title:1', 'title': 'T', 'relations': ['EVALUATES_ON']}]
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, NamedTuple

from paperkg.extractors.errors import PaperkgError, UsageError
from paperkg.extractors.normalize import canonical_key

from .catalogue import Catalogue, CatalogueQuery, catalogue, read_catalogue, sql_form
from .model import is_entity, node_labels

if TYPE_CHECKING:  # imported where a graph is made: a query answered in SQL needs no networkx
    import networkx as nx

    from .sqlite_store import GraphStore

__all__ = [
    "QueryError",
    "QueryResult",
    "CatalogueQuery",
    "Catalogue",
    "catalogue",
    "read_catalogue",
    "catalogue_params",
    "UnknownEntity",
    "ENTITY_NAMES_CYPHER",
    "entity_names",
    "check_entity_known",
    "run_query",
    "run_catalogue",
    "run_catalogue_store",
    "answer_catalogue",
    "query_view",
    "PatternNeeds",
    "pattern_needs",
]


class QueryError(PaperkgError):
    """A Cypher query failed to parse or run."""


@dataclass
class QueryResult:
    """Rows of a query, each a dict keyed by column, columns in RETURN order."""

    columns: list[str]
    rows: list[dict[str, Any]]


class UnknownEntity(QueryError):
    """No entity has the asked name or alias; the message names the closest ones."""


#: Every entity's name and keys, on a Bolt server: what :func:`check_entity_known` compares with.
ENTITY_NAMES_CYPHER = "MATCH (e:Entity) RETURN e.name AS name, e.keys AS keys"


def entity_names(graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Every entity's name and keys, as rows of :data:`ENTITY_NAMES_CYPHER`."""
    return [{"name": data["name"], "keys": data.get("keys", [])}
            for _, data in graph.nodes(data=True) if is_entity(data)]


def check_entity_known(name: str, entities: list[dict[str, Any]]) -> None:
    """Raise :class:`UnknownEntity` naming the closest entity names when none has ``name``'s key.

    >>> check_entity_known("GSM9K", [{"name": "GSM8K", "keys": ["gsm8k"]}])
    Traceback (most recent call last):
    ...
    paperkg.graph.query.UnknownEntity: no entity is named 'GSM9K'; the closest names: GSM8K
    """
    key = canonical_key(name)
    name_by_key = {k: row["name"] for row in entities for k in row["keys"] or ()}
    if key in name_by_key:
        return
    close = difflib.get_close_matches(key, name_by_key, n=10, cutoff=0.6)
    names = list(dict.fromkeys(name_by_key[k] for k in close))[:3]
    hint = f"the closest names: {', '.join(names)}" if names else "no name is close"
    raise UnknownEntity(f"no entity is named {name!r}; {hint}")


def catalogue_params(query: CatalogueQuery, values: dict[str, Any]) -> dict[str, Any]:
    """The ``$parameters`` of a catalogue query from user values.

    A ``key`` argument is an entity name or alias; it becomes its canonical key,
    which is how ``gsm-8k`` finds GSM8K on every engine. Options take their
    defaults.
    """
    params = {}
    for arg in query.arguments:
        if arg not in values or values[arg] in (None, ""):
            raise UsageError(f"query {query.name!r} needs the argument {arg!r} ({query.arguments[arg]})")
        params[arg] = canonical_key(str(values[arg])) if arg == "key" else values[arg]
    for opt, (default, _) in query.options.items():
        value = values.get(opt)
        params[opt] = default if value is None else value
    return params


def query_view(graph: nx.MultiDiGraph, nodes: Iterable[str] | None = None) -> nx.MultiDiGraph:
    """The graph (or the part of it on ``nodes``) as nxcypher reads it: labels in ``__labels__``
    sets, types as edge labels.

    Built afresh for every query: a cache cannot see a renamed entity or a replaced edge (a
    mutation of an attribute dict changes no count), and would not belong in ``graph.graph``,
    which is the user's and is written to the graph file.
    """
    import networkx as nx

    part = graph if nodes is None else graph.subgraph(nodes)
    view: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    for node, data in part.nodes(data=True):
        view.add_node(node, **{k: v for k, v in data.items() if k != "label"}, __labels__=set(node_labels(data["label"])))
    for start, end, key, data in part.edges(keys=True, data=True):
        view.add_edge(start, end, key=key, **{k: v for k, v in data.items() if k != "type"}, __labels__={data["type"]})
    return view


_PAGING_PARAM = re.compile(r"\b(LIMIT|SKIP)\s+\$(\w+)", re.IGNORECASE)


def _inline_paging(cypher: str, params: dict[str, Any]) -> str:
    """nxcypher ignores parameters after LIMIT and SKIP: put their (integer) values in the text."""

    def literal(match: re.Match) -> str:
        value = params.get(match.group(2))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise QueryError(f"${match.group(2)} after {match.group(1)} must be a whole number >= 0, not {value!r}")
        return f"{match.group(1)} {value}"

    return _PAGING_PARAM.sub(literal, cypher)


class UnsupportedConstruct(NamedTuple):
    """A Cypher construct nxcypher answers wrongly or fails on obscurely (tests/test_query.py has
    the probes): what to call it in a message, and how to find it in query text."""

    name: str
    pattern: re.Pattern


#: Found in the query's text with its strings and comments blanked out.
UNSUPPORTED = [
    UnsupportedConstruct("shortestPath()", re.compile(r"\b(all)?shortestPath\s*\(", re.IGNORECASE)),
    UnsupportedConstruct("an undirected variable-length relationship (-[*1..2]-)",
                         re.compile(r"(?<!<)-\[[^\]]*\*[^\]]*\]-(?!>)")),
    UnsupportedConstruct("a variable-length relationship without an upper bound (-[*]->, -[*2..]->)",
                         re.compile(r"\[[^\]]*\*\s*(\d*\s*\.\.\s*)?\]")),
    UnsupportedConstruct("a variable-length relationship bound to a variable (-[r*1..2]->)",
                         re.compile(r"\[\s*\w+\s*(:[^\]*]*)?\*")),
    UnsupportedConstruct("OPTIONAL MATCH", re.compile(r"\bOPTIONAL\s+MATCH\b", re.IGNORECASE)),
    UnsupportedConstruct("exists() or EXISTS {...}", re.compile(r"\bEXISTS\s*[({]", re.IGNORECASE)),
    UnsupportedConstruct("a pattern inside size() (size((n)-->()))", re.compile(r"\bsize\s*\(\s*\(", re.IGNORECASE)),
    UnsupportedConstruct("MATCH after WITH", re.compile(r"\bWITH\b.*\bMATCH\b", re.IGNORECASE | re.DOTALL)),
    UnsupportedConstruct("a label test in a pattern comprehension's WHERE ([(a)-->(b) WHERE b:Model | b]; "
                         "write [(a)-->(b:Model) | b])",
                         re.compile(r"\[\s*\([^|;]*?\bWHERE\b[^|;]*?\b[A-Za-z_]\w*\s*:\s*[A-Za-z_]\w*[^|;]*\|",
                                    re.IGNORECASE)),
    # nxcypher fails on these with a bare KeyError
    UnsupportedConstruct("a column named like the node whose property it is (e.name AS e)",
                         re.compile(r"(?<![.\w])([A-Za-z_]\w*)\.\w+\s+AS\s+\1\b", re.IGNORECASE)),
    UnsupportedConstruct("an aggregate named like the variable it reads (count(n) AS n)", re.compile(
        r"\b(?:count|collect|sum|avg|min|max)\s*\(\s*(?:DISTINCT\s+)?([A-Za-z_]\w*)(?:\.\w+)?\s*\)\s+AS\s+\1\b",
        re.IGNORECASE)),
]

_STRINGS_AND_COMMENTS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|//[^\n]*")


def _unsupported_constructs(cypher: str) -> list[str]:
    """What in ``cypher`` the embedded engine cannot answer correctly, by name."""
    code = _STRINGS_AND_COMMENTS.sub("''", cypher)
    return [construct.name for construct in UNSUPPORTED if construct.pattern.search(code)]


_MATCH = re.compile(r"\bMATCH\b", re.IGNORECASE)


def run_query(graph: nx.MultiDiGraph, cypher: str, params: dict[str, Any] | None = None) -> QueryResult:
    """Run a read-only Cypher query over the embedded graph."""
    return _run_on_view(query_view(graph), cypher, params or {})


def _run_on_view(view: nx.MultiDiGraph, cypher: str, params: dict[str, Any]) -> QueryResult:
    from nxcypher import NXCypher

    from .parse_cache import use_with_nxcypher

    unsupported = _unsupported_constructs(cypher)
    if unsupported:
        raise QueryError(f"the embedded graph's engine (nxcypher) cannot answer {'; '.join(unsupported)} correctly: "
                         "rewrite the query without it, or run it on Neo4j (--neo4j)")
    cypher = _inline_paging(cypher, params)
    use_with_nxcypher()
    try:
        columns_to_values = NXCypher(view).run(cypher, params=params)
    except Exception as err:  # nxcypher raises many unrelated types; each is a query error here
        message = " ".join(str(err).split())[:300] or type(err).__name__
        raise QueryError(f"query failed: {message}") from None
    columns = list(columns_to_values)
    lengths = {len(values) for values in columns_to_values.values()}
    if len(lengths) > 1:
        raise QueryError(f"query failed: the embedded engine (nxcypher) gave columns of unequal lengths {sorted(lengths)}")
    count = lengths.pop() if lengths else 0
    rows = [{c: columns_to_values[c][i] for c in columns} for i in range(count)]
    if rows == [dict.fromkeys(columns)] and _MATCH.search(cypher):
        # nxcypher answers a MATCH that finds nothing with one row of nulls when RETURN holds an
        # expression (coalesce, CASE); Neo4j, and Cypher, answer no row.
        rows = []
    return QueryResult(columns, rows)


class PatternNeeds(NamedTuple):
    """What of the graph a query's patterns can match: relationships of ``relationship_types`` (None: of
    any type, as when one of its relationship patterns names no type), and whether every node they
    match is at an end of such a relationship (``nodes_on_relationships``: no pattern of a lone node)."""

    relationship_types: frozenset[str] | None
    nodes_on_relationships: bool


def pattern_needs(cypher: str) -> PatternNeeds:
    """What of the graph the patterns of ``cypher`` (MATCH, pattern comprehensions, WHERE) can match.

    >>> needs = pattern_needs("MATCH (p:Paper)-[:USES|EVALUATES_ON]->(e) RETURN [(p)-[:PROPOSES]->(m) | m] AS x")
    >>> sorted(needs.relationship_types), needs.nodes_on_relationships
    (['EVALUATES_ON', 'PROPOSES', 'USES'], True)
    >>> pattern_needs("MATCH (p:Paper), (p)-[r]->(e) RETURN type(r) AS x")
    PatternNeeds(relationship_types=None, nodes_on_relationships=False)
    """
    from .parse_cache import parse

    tree = parse(cypher)
    types: set[str] | None = set()
    for relationship in tree.find_data("relationship_pattern"):
        names = {str(symbol.children[0]) for listed in relationship.find_data("relationship_types")
                 for symbol in listed.find_data("symbol")}
        types = types | names if names and types is not None else None
    lone_node = any(_is_lone_node(element) for element in tree.find_data("pattern_elem"))
    return PatternNeeds(None if types is None else frozenset(types), not lone_node)


def _is_lone_node(element) -> bool:
    """Whether a pattern element is a node pattern alone, with no relationship chained to it."""
    kinds = {child.data for child in element.children if hasattr(child, "data")}
    return "node_pattern" in kinds and "pattern_elem_chain" not in kinds


def _catalogue_query(name: str, values: dict[str, Any]) -> tuple[CatalogueQuery, dict[str, Any]]:
    """The named query ``name`` and its parameters from user values."""
    queries = catalogue()
    if name not in queries:
        raise UsageError(f"no query named {name!r}; the catalogue has: {', '.join(queries)}")
    return queries[name], catalogue_params(queries[name], values)


def run_catalogue(name: str, graph: nx.MultiDiGraph, values: dict[str, Any]) -> QueryResult:
    """Run the named query ``name`` with user values (see :func:`catalogue_params`)."""
    query, params = _catalogue_query(name, values)
    nodes = None
    if query.scope is not None and "key" in params:
        # The pattern lies within `scope` hops of the entities named by $key: search only there
        # (nxcypher scans its whole graph for every pattern). Named by a key ending with $key, not only
        # equal to it: a query may also match a longer name ("offline reinforcement learning").
        nodes = _neighbourhood(graph, _nodes_with_key_ending(graph, params["key"]), query.scope)
    return _run_on_view(query_view(graph, nodes), query.text, params)


def answer_catalogue(name: str, path: str | os.PathLike, values: dict[str, Any]) -> QueryResult:
    """Run the named query on a graph file; no row for an entity no name has is :class:`UnknownEntity`.

    On a SQLite store the query is run by :func:`run_catalogue_store`: in SQL when it has an SQL
    form, else on only the part of the store its patterns can match.
    """
    from .sqlite_store import GraphStore, is_store_file
    from .store import read_graph

    if not (Path(path).is_file() and is_store_file(path)):
        graph = read_graph(path, missing_ok=False)
        result = run_catalogue(name, graph, values)
        if not result.rows and "key" in catalogue()[name].arguments:  # say whether the name is the reason
            check_entity_known(values["key"], entity_names(graph))
        return result
    with GraphStore(path, read_only=True) as store:
        result = run_catalogue_store(name, store, values)
        if not result.rows and "key" in catalogue()[name].arguments:
            check_entity_known(values["key"], store.entity_names())
    return result


def run_catalogue_store(name: str, store: GraphStore, values: dict[str, Any]) -> QueryResult:
    """Run the named query on an open SQLite store, with user values (see :func:`catalogue_params`).

    A query with an SQL form (:func:`~paperkg.graph.catalogue.sql_form`: ``top-datasets``,
    ``papers-using``, the ``trends-*`` queries, ...) is answered by it, in SQLite, with the same rows;
    no graph is materialised, and neither NetworkX nor nxcypher is imported. Any other query reads
    only what its patterns can match (:func:`pattern_needs`): with a ``scope``, the part of the graph
    around the entities named by ``$key`` (see :meth:`paperkg.graph.sqlite_store.GraphStore.subgraph`),
    with only the relationships of the types its patterns name; without, when every relationship
    pattern names its types and no node pattern stands alone, those relationships and the nodes at
    their ends (:meth:`~paperkg.graph.sqlite_store.GraphStore.relationships_of`); else the whole graph.
    """
    query, params = _catalogue_query(name, values)
    sql = sql_form(query)
    return _answer_in_sql(store, query, sql, params) if sql else _answer_in_cypher(store, query, params)


def _answer_in_sql(store: GraphStore, query: CatalogueQuery, sql: str, params: dict[str, Any]) -> QueryResult:
    """A catalogue query answered by its SQL form."""
    _inline_paging(query.text, params)  # checks the values after LIMIT and SKIP as nxcypher's path does
    return QueryResult(*store.select(sql, params))


def _answer_in_cypher(store: GraphStore, query: CatalogueQuery, params: dict[str, Any]) -> QueryResult:
    """A catalogue query run by nxcypher on the part of the store its patterns can match."""
    needs = pattern_needs(query.text)
    if query.scope is not None and "key" in params:
        graph = store.subgraph(params["key"], query.scope, needs.relationship_types)
    elif needs.relationship_types is not None and needs.nodes_on_relationships:
        graph = store.relationships_of(needs.relationship_types)
    else:
        graph = store.graph()
    return _run_on_view(query_view(graph), query.text, params)


def _nodes_with_key_ending(graph: nx.MultiDiGraph, key: str) -> list[str]:
    """Entity nodes one of whose names has a canonical key ending with ``key``."""
    return [node for node, keys in graph.nodes(data="keys") if keys and any(k.endswith(key) for k in keys)]


def _neighbourhood(graph: nx.MultiDiGraph, starts: list[str], hops: int) -> set[str]:
    """Nodes within ``hops`` relationships of ``starts``, in either direction."""
    seen, frontier = set(starts), set(starts)
    for _ in range(hops):
        frontier = {n for node in frontier for n in (*graph.successors(node), *graph.predecessors(node))} - seen
        seen |= frontier
    return seen

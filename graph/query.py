"""Cypher over the embedded graph, and the named query catalogue of ``cypher/``.

The engine is nxcypher: of the two Cypher engines for NetworkX on PyPI it
covers the catalogue (parameters, single-quoted strings, ``IN`` on lists,
multiple relationship types, aggregation, ``CASE``, undirected patterns)
where grand-cypher parses none of those.

>>> from graph.store import build_graph
>>> from extractors.records import Extraction, Paper, Entity, Relation
>>> g = build_graph([Extraction(Paper(id="title:1", title="T", abstract="A"),
...     [Entity("gsm8k", "GSM8K", "Benchmark")],
...     [Relation("PAPER", "EVALUATES_ON", "GSM8K", "A", 3, 4, "rules", 0.8)])])
>>> run_catalogue("papers-using", g, {"key": "gsm-8k"}).rows
[{'id': 'title:1', 'title': 'T', 'relations': ['EVALUATES_ON']}]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, NamedTuple

import networkx as nx

from extractors.errors import PaperkgError, UsageError
from extractors.normalize import canonical_key

from .model import cypher_dir, node_labels

__all__ = [
    "QueryError",
    "QueryResult",
    "CatalogueQuery",
    "catalogue",
    "catalogue_params",
    "run_query",
    "run_catalogue",
    "query_view",
]


class QueryError(PaperkgError):
    """A Cypher query failed to parse or run."""


@dataclass
class QueryResult:
    """Rows of a query, each a dict keyed by column, columns in RETURN order."""

    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass
class CatalogueQuery:
    """A named query of ``cypher/<name>.cypher``; see that folder for the header format."""

    name: str
    description: str
    example: str
    text: str
    arguments: dict[str, str] = field(default_factory=dict)  # name -> help
    options: dict[str, tuple[Any, str]] = field(default_factory=dict)  # name -> (default, help)
    scope: int | None = None  # hops around the entity named by $key within which the pattern lies


_HEADER = re.compile(r"^//\s*(example|argument|option|scope):\s*(.*)$")


def _parse_catalogue_file(name: str, source: str) -> CatalogueQuery:
    lines = source.splitlines()
    description = lines[0].lstrip("/ ").strip()
    query = CatalogueQuery(name=name, description=description, example="", text="")
    body = []
    for line in lines[1:]:
        header = _HEADER.match(line)
        if header is None:
            body.append(line)
            continue
        kind, rest = header.groups()
        if kind == "example":
            query.example = rest.strip()
        elif kind == "argument":
            arg, _, help_text = rest.partition(" ")
            query.arguments[arg] = help_text.strip()
        elif kind == "scope":
            query.scope = int(rest.split()[0])
        else:
            spec, _, help_text = rest.partition(" ")
            opt, _, default = spec.partition("=")
            query.options[opt] = (int(default) if default.isdigit() else default, help_text.strip())
    query.text = "\n".join(body).strip()
    return query


@lru_cache(maxsize=1)
def catalogue() -> dict[str, CatalogueQuery]:
    """The named queries, by name (the file name without ``.cypher``); ``schema`` is not one."""
    found = {}
    for entry in cypher_dir().glob("*.cypher"):
        if entry.name != "schema.cypher":
            found[entry.stem] = _parse_catalogue_file(entry.stem, entry.read_text(encoding="utf-8"))
    return dict(sorted(found.items()))


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
    part = graph if nodes is None else graph.subgraph(nodes)
    view = nx.MultiDiGraph()
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

    unsupported = _unsupported_constructs(cypher)
    if unsupported:
        raise QueryError(f"the embedded graph's engine (nxcypher) cannot answer {'; '.join(unsupported)} correctly: "
                         "rewrite the query without it, or run it on Neo4j (--neo4j)")
    cypher = _inline_paging(cypher, params)
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


def run_catalogue(name: str, graph: nx.MultiDiGraph, values: dict[str, Any]) -> QueryResult:
    """Run the named query ``name`` with user values (see :func:`catalogue_params`)."""
    queries = catalogue()
    if name not in queries:
        raise UsageError(f"no query named {name!r}; the catalogue has: {', '.join(queries)}")
    query = queries[name]
    params = catalogue_params(query, values)
    nodes = None
    if query.scope is not None and "key" in params:
        # The pattern lies within `scope` hops of the entity named by $key: search only there
        # (nxcypher scans its whole graph for every pattern).
        nodes = _neighbourhood(graph, _nodes_with_key(graph, params["key"]), query.scope)
    return _run_on_view(query_view(graph, nodes), query.text, params)


def _nodes_with_key(graph: nx.MultiDiGraph, key: str) -> list[str]:
    """Entity nodes one of whose names has the canonical key ``key``."""
    return [node for node, keys in graph.nodes(data="keys") if keys and key in keys]


def _neighbourhood(graph: nx.MultiDiGraph, starts: list[str], hops: int) -> set[str]:
    """Nodes within ``hops`` relationships of ``starts``, in either direction."""
    seen, frontier = set(starts), set(starts)
    for _ in range(hops):
        frontier = {n for node in frontier for n in (*graph.successors(node), *graph.predecessors(node))} - seen
        seen |= frontier
    return seen

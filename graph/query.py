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

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import networkx as nx

from extractors.errors import InputError, PaperkgError, UsageError
from extractors.normalize import canonical_key

from .model import cypher_dir, is_entity, node_labels

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


class Catalogue(NamedTuple):
    """The named queries of a folder, and the files skipped as unreadable."""

    queries: dict[str, CatalogueQuery]
    problems: list[InputError]


_HEADER = re.compile(r"^//\s*(example|argument|option|scope):\s*(.*)$")
_PARAMETER_NAME = re.compile(r"[a-z][a-z0-9_]*")
_WHOLE_NUMBER = re.compile(r"[0-9]+")


def _parameter_name(name: str, kind: str) -> str:
    if not _PARAMETER_NAME.fullmatch(name):
        raise ValueError(f"{kind} name {name!r} is not a parameter name (lower-case letters, digits, _)")
    return name


def _read_example(query: CatalogueQuery, rest: str) -> None:
    query.example = rest.strip()


def _read_argument(query: CatalogueQuery, rest: str) -> None:
    arg, _, help_text = rest.strip().partition(" ")
    query.arguments[_parameter_name(arg, "argument")] = help_text.strip()


def _read_option(query: CatalogueQuery, rest: str) -> None:
    spec, _, help_text = rest.strip().partition(" ")
    opt, has_default, default = spec.partition("=")
    if not has_default:
        raise ValueError(f"option {spec!r} has no default; write NAME=DEFAULT and a help text")
    value = int(default) if _WHOLE_NUMBER.fullmatch(default) else default
    query.options[_parameter_name(opt, "option")] = (value, help_text.strip())


def _read_scope(query: CatalogueQuery, rest: str) -> None:
    hops = rest.split()[:1]
    if not hops or not _WHOLE_NUMBER.fullmatch(hops[0]):
        raise ValueError(f"scope {rest.strip()!r} is not a whole number of hops (0, 1, 2, ...)")
    query.scope = int(hops[0])


#: What each ``// kind: ...`` header line sets; each raises ValueError naming what is wrong.
_HEADER_READERS = {"example": _read_example, "argument": _read_argument, "option": _read_option, "scope": _read_scope}


def _parse_catalogue_file(name: str, source: str, *, file: str = "<catalogue>") -> CatalogueQuery:
    """The query of one ``.cypher`` file; :class:`InputError` (file, line) for a malformed header."""
    lines = source.splitlines()
    if not lines or not lines[0].startswith("//") or not lines[0].lstrip("/ ").strip():
        raise InputError(file, "the first line must be a '// description' of the query", 1)
    query = CatalogueQuery(name=name, description=lines[0].lstrip("/ ").strip(), example="", text="")
    body = []
    for number, line in enumerate(lines[1:], start=2):
        header = _HEADER.match(line)
        if header is None:
            body.append(line)
            continue
        kind, rest = header.groups()
        try:
            _HEADER_READERS[kind](query, rest)
        except ValueError as err:
            raise InputError(file, str(err), number) from None
    query.text = "\n".join(body).strip()
    if not query.text:
        raise InputError(file, "holds no query after its header")
    return query


@lru_cache(maxsize=None)
def read_catalogue(directory: Path | None = None) -> Catalogue:
    """The named queries of ``directory`` (default: the installed ``cypher/``), by name (the file name
    without ``.cypher``; ``schema`` is not one); an unreadable file is a problem, and skipped."""
    queries, problems = {}, []
    for entry in sorted((directory or cypher_dir()).glob("*.cypher")):
        if entry.name == "schema.cypher":
            continue
        try:
            queries[entry.stem] = _parse_catalogue_file(entry.stem, _catalogue_text(entry), file=str(entry))
        except InputError as err:
            problems.append(err)
    return Catalogue(queries, problems)


def _catalogue_text(entry: Path) -> str:
    try:
        return entry.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(str(entry), f"cannot be read ({getattr(err, 'strerror', None) or err})") from None


def catalogue() -> dict[str, CatalogueQuery]:
    """The installed named queries, by name (see :func:`read_catalogue`)."""
    return read_catalogue().queries


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
    graph.query.UnknownEntity: no entity is named 'GSM9K'; the closest names: GSM8K
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


def query_view(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The graph as nxcypher reads it: labels in ``__labels__`` sets, types as edge labels."""
    cached = graph.graph.get("_query_view")
    if cached is not None and cached[0] == (graph.number_of_nodes(), graph.number_of_edges()):
        return cached[1]
    view = nx.MultiDiGraph()
    for node, data in graph.nodes(data=True):
        view.add_node(node, **{k: v for k, v in data.items() if k != "label"}, __labels__=set(node_labels(data["label"])))
    for start, end, key, data in graph.edges(keys=True, data=True):
        view.add_edge(start, end, key=key, **{k: v for k, v in data.items() if k != "type"}, __labels__={data["type"]})
    graph.graph["_query_view"] = ((graph.number_of_nodes(), graph.number_of_edges()), view)
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


_REQUIRED_MATCH = re.compile(r"\bMATCH\b", re.IGNORECASE)
_OPTIONAL_MATCH = re.compile(r"\bOPTIONAL\s+MATCH\b", re.IGNORECASE)


def run_query(graph: nx.MultiDiGraph, cypher: str, params: dict[str, Any] | None = None) -> QueryResult:
    """Run a read-only Cypher query over the embedded graph."""
    return _run_on_view(query_view(graph), cypher, params or {})


def _run_on_view(view: nx.MultiDiGraph, cypher: str, params: dict[str, Any]) -> QueryResult:
    from nxcypher import NXCypher

    cypher = _inline_paging(cypher, params)
    try:
        columns_to_values = NXCypher(view).run(cypher, params=params)
    except Exception as err:  # nxcypher raises many unrelated types; each is a query error here
        message = " ".join(str(err).split())[:300] or type(err).__name__
        raise QueryError(f"query failed: {message}") from None
    columns = list(columns_to_values)
    count = len(next(iter(columns_to_values.values()), []))
    rows = [{c: columns_to_values[c][i] for c in columns} for i in range(count)]
    if rows == [dict.fromkeys(columns)] and _REQUIRED_MATCH.search(cypher) and not _OPTIONAL_MATCH.search(cypher):
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
    view = query_view(graph)
    if query.scope is not None and "key" in params:
        # The pattern lies within `scope` hops of the entities named by $key: search only there
        # (nxcypher scans its whole graph for every pattern). Named by a key ending with $key, not only
        # equal to it: a query may also match a longer name ("offline reinforcement learning").
        starts = [node for key, nodes in _nodes_with_key(graph).items() if key.endswith(params["key"]) for node in nodes]
        view = view.subgraph(_neighbourhood(view, starts, query.scope)).copy()
    return _run_on_view(view, query.text, params)


def _nodes_with_key(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Entity nodes by each canonical key of their names (cached on the graph like :func:`query_view`)."""
    cached = graph.graph.get("_key_index")
    if cached is not None and cached[0] == (graph.number_of_nodes(), graph.number_of_edges()):
        return cached[1]
    index: dict[str, list[str]] = {}
    for node, data in graph.nodes(data=True):
        for key in data.get("keys", ()):
            index.setdefault(key, []).append(node)
    graph.graph["_key_index"] = ((graph.number_of_nodes(), graph.number_of_edges()), index)
    return index


def _neighbourhood(view: nx.MultiDiGraph, starts: list[str], hops: int) -> set[str]:
    """Nodes within ``hops`` relationships of ``starts``, in either direction."""
    seen, frontier = set(starts), set(starts)
    for _ in range(hops):
        frontier = {n for node in frontier for n in (*view.successors(node), *view.predecessors(node))} - seen
        seen |= frontier
    return seen

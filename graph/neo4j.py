"""Neo4j: load the graph into a Bolt server, and run Cypher and the catalogue there.

Connection settings come from arguments or the standard variables
``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD`` and ``NEO4J_DATABASE``
(:meth:`Neo4jSettings.from_env`):

>>> from paperkg.graph.store import read_graph  # doctest: +SKIP
>>> counts = load_graph(read_graph("kg.json"), Neo4jSettings.from_env(uri="bolt://localhost:7687"))  # doctest: +SKIP
>>> counts.nodes_created, counts.relationships_matched  # doctest: +SKIP
(1520, 0)
>>> run_catalogue_neo4j("papers-using", {"key": "GSM8K"}).rows  # doctest: +SKIP
[{'id': 'arxiv:2401.00001', 'title': '...', 'relations': ['EVALUATES_ON']}]

How a load writes:

* the schema first (``cypher/schema.cypher``: uniqueness constraints on
  ``Paper.id`` and ``Entity.id``, indexes on names, titles and ``keys``, a
  full-text index over entity names and aliases, all ``IF NOT EXISTS``);
* then the nodes, then the relationships, in ``UNWIND $rows AS row MERGE ...``
  batches, each one managed write transaction (``session.execute_write``).
  Rows are grouped by label (nodes) or by start kind, type and end kind
  (relationships), and each group's statement comes from a fixed table built
  from graph/model.py's labels and types (:func:`loader_statements`): no value
  is ever part of query text. A record with an unknown label or type, a
  property key that is not a plain name, or a value no server can store is
  left out and reported (:attr:`LoadCounts.skipped`, :data:`PROPERTY_RULES`),
  the rest loads;
* a batch the server refuses for what a row holds (a value it cannot store, a
  constraint the row breaks: the dialect's ``refuses_record``) is split in
  halves, each written alone, down to the refused records; each is reported
  with the server's message and left out, with the relationships of a refused
  node, and the rest loads. A syntax error, a refused login or database, a
  server refusing writes fail the load as before (Neo4j's codes tell them apart);
* nodes are merged on ``id`` and take the graph's properties (``SET n +=``:
  properties users added on the server, scores or notes, stay); an entity whose
  type changed loses its old type label. Relationships are merged on
  (start, type, end, ``paper``), which is the embedded graph's edge identity,
  and keep every property (``evidence``, ``confidence``, ``extractor``,
  ``paper``, offsets). So loading the same graph twice creates nothing the
  second time, and loading a bigger graph creates only what is new.
* last, a loaded paper's relationships on the server that the graph no longer
  has (a re-extraction dropped them) are deleted, in ``UNWIND $rows`` batches
  too, so each paper's relationships match the graph's. Nothing else is
  deleted: not papers absent from the graph, nor relationships users made.
  A loaded paper's ``Result`` nodes that the graph no longer has go too
  (results are paperkg's own, each one paper's; merged on ``id`` like papers).
* transient failures (a busy or restarting server, a dropped connection) are
  retried by the driver itself: ``session.execute_write`` and
  ``driver.execute_query`` retry a transaction for up to
  :attr:`Neo4jSettings.retry_seconds` (``max_transaction_retry_time``, 30 s by
  default). Every statement is a ``MERGE``, so a retried (or split) batch is
  harmless; a load that still fails, as one whose connection stays cut does, is
  one :class:`ServerError` line and can be run again.

A load reads a NetworkX graph or an open store (:class:`LoadSource`): from a store, rows are
built and written a batch per label or relationship group at a time, node labels are looked up
in SQL, and the last step reads the graph's relationships of each batch of papers only, so the
whole graph is never in memory.

Everything here is Neo4j 5's Cypher. A Bolt server that differs (the tests'
FalkorDB, :mod:`paperkg.graph.falkordb`) plugs in as a :class:`BoltDialect`
(its schema statements, a parameter transform, how many rows one statement
may carry, what it cannot store), made the one in use with
:func:`using_dialect`; the default, :data:`NEO4J`, changes nothing.
"""

from __future__ import annotations

import os
import re
import socket
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Iterator, NamedTuple, Protocol, runtime_checkable
from urllib.parse import urlsplit

import neo4j
from neo4j import exceptions as neo4j_errors
from neo4j.graph import Node, Path, Relationship

from paperkg.extractors.errors import PaperkgError, UsageError

from .catalogue import schema_statements
from .model import (
    ENTITY_LABEL,
    ENTITY_LABELS,
    LABELS,
    PAPER_LABEL,
    RELATIONSHIP_TYPES,
    RESULT_LABEL,
    NodeRecord,
    RelationshipRecord,
    batches,
    node_records,
    relationship_records,
)
from .query import QueryError, QueryResult, catalogue, catalogue_params

if TYPE_CHECKING:  # a load from a store (GraphStore) needs no networkx
    import networkx as nx

__all__ = [
    "ENV_URI",
    "ENV_USERNAME",
    "ENV_PASSWORD",
    "ENV_DATABASE",
    "DEFAULT_URI",
    "DEFAULT_BATCH",
    "DEFAULT_RETRY_SECONDS",
    "ServerError",
    "Neo4jSettings",
    "LoadCounts",
    "BoltDialect",
    "NEO4J",
    "bolt_dialect",
    "using_dialect",
    "connect",
    "bolt_handshake",
    "schema_statements",
    "loader_statements",
    "SkippedRecord",
    "PropertyRule",
    "PROPERTY_RULES",
    "LoadSource",
    "load_rows",
    "relationship_rows",
    "apply_schema",
    "load_graph",
    "run_query_neo4j",
    "run_catalogue_neo4j",
]

ENV_URI, ENV_USERNAME, ENV_PASSWORD, ENV_DATABASE = "NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"
DEFAULT_URI = "bolt://localhost:7687"
#: Rows per ``UNWIND`` statement.
DEFAULT_BATCH = 1000
#: Seconds the driver keeps retrying a transaction that failed transiently (its ``max_transaction_retry_time``).
DEFAULT_RETRY_SECONDS = 30.0
#: Seconds the driver waits to open a connection (twice that for one from its pool).
CONNECT_SECONDS = 5
#: Seconds a Bolt server has to answer the protocol handshake (:func:`bolt_handshake`).
HANDSHAKE_SECONDS = 1.0


class ServerError(PaperkgError):
    """The Bolt server cannot be reached, refuses the login, or fails a load."""


@dataclass(frozen=True)
class Neo4jSettings:
    """Where and as whom to connect. ``username``/``password`` both None means no authentication.

    ``retry_seconds`` is how long the driver retries a transaction that failed
    transiently (its ``max_transaction_retry_time``); 0 tries each once.
    """

    uri: str = DEFAULT_URI
    username: str | None = None
    password: str | None = None
    database: str | None = None
    retry_seconds: float = DEFAULT_RETRY_SECONDS

    @classmethod
    def from_env(cls, uri: str | None = None, username: str | None = None, password: str | None = None,
                 database: str | None = None, environ: dict[str, str] | None = None,
                 retry_seconds: float = DEFAULT_RETRY_SECONDS) -> "Neo4jSettings":
        """Arguments first, then ``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``.

        >>> Neo4jSettings.from_env(environ={"NEO4J_URI": "neo4j://db:7687", "NEO4J_PASSWORD": "s"})
        Neo4jSettings(uri='neo4j://db:7687', username='neo4j', password='s', database=None, retry_seconds=30.0)
        """
        env = os.environ if environ is None else environ
        password = password if password is not None else env.get(ENV_PASSWORD)
        username = username or env.get(ENV_USERNAME) or ("neo4j" if password is not None else None)
        return cls(uri=uri or env.get(ENV_URI) or DEFAULT_URI, username=username, password=password,
                   database=database or env.get(ENV_DATABASE) or None, retry_seconds=retry_seconds)

    @property
    def auth(self) -> tuple[str, str] | None:
        if self.username is None and self.password is None:
            return None
        return (self.username or "", self.password or "")


@dataclass
class LoadCounts:
    """What a load did: rows merged into existing nodes/relationships are "matched"."""

    nodes_created: int = 0
    nodes_matched: int = 0
    relationships_created: int = 0
    relationships_matched: int = 0
    relationships_deleted: int = 0  # stated by a loaded paper on the server, no longer in the graph
    results_deleted: int = 0  # results of a loaded paper on the server, no longer in the graph
    by_label: dict[str, int] = field(default_factory=dict)  # label -> nodes created
    by_type: dict[str, int] = field(default_factory=dict)  # type -> relationships created
    skipped: list["SkippedRecord"] = field(default_factory=list)  # records left out, with the reason


# -- the server's dialect: Neo4j's, unless a server that differs plugs in its own --------
#: Runs one statement with parameters on the server (what a dialect's ``schema`` may ask).
Ask = Callable[[str, dict[str, Any]], neo4j.EagerResult]
Rows = list[dict[str, Any]]


def _neo4j_schema(ask: Ask) -> list[tuple[str, dict[str, Any]]]:
    """``cypher/schema.cypher`` as it is: every statement says ``IF NOT EXISTS``."""
    return [(statement, {}) for statement in schema_statements()]


def _unchanged(parameters: dict[str, Any]) -> dict[str, Any]:
    return parameters


def _one_run(rows: Rows) -> list[Rows]:
    return [rows]


#: Neo4j's codes for a statement refused because of what one row holds (a value of the wrong
#: type, a uniqueness or property constraint the row breaks); a syntax error is the statement's.
_RECORD_REFUSALS = re.compile(r"Neo\.ClientError\.(Statement\.(?!SyntaxError)|Schema\.ConstraintValidationFailed)")


def _neo4j_refuses_record(err: neo4j_errors.Neo4jError) -> bool:
    return bool(_RECORD_REFUSALS.match(err.code or ""))


@dataclass(frozen=True)
class BoltDialect:
    """What a Bolt server needs that Neo4j 5 does not; :data:`NEO4J` is Neo4j itself.

    Each field is one step the loader and the query runner take from the
    dialect in use (:func:`bolt_dialect`) rather than assume: ``schema(ask)``
    gives the schema statements as (statement, parameters), and may ask the
    server what exists; ``parameters`` transforms every statement's parameters;
    ``runs`` splits a batch's rows into the runs one statement may carry (all
    run in the batch's one transaction); ``property_rules`` refuse what the
    server cannot store, beyond :data:`PROPERTY_RULES`; ``refuses_record(err)``
    says whether a failed batch may be refused for one of its rows (the loader
    then splits it, :func:`load_graph`); ``selects_databases``
    says whether ``--database`` means anything; ``handshake_attempts`` is how
    many silent Bolt handshakes :func:`connect` tries before reporting the port.

    >>> NEO4J.parameters({"key": "it's"}), NEO4J.runs([{"id": 1}, {"id": 2}])
    ({'key': "it's"}, [[{'id': 1}, {'id': 2}]])
    """

    name: str
    schema: Callable[[Ask], list[tuple[str, dict[str, Any]]]] = _neo4j_schema
    parameters: Callable[[dict[str, Any]], dict[str, Any]] = _unchanged
    runs: Callable[[Rows], Iterable[Rows]] = _one_run
    property_rules: tuple["PropertyRule", ...] = ()
    refuses_record: Callable[[neo4j_errors.Neo4jError], bool] = _neo4j_refuses_record
    selects_databases: bool = True
    handshake_attempts: int = 1


#: Neo4j 5: its schema file as it is, parameters as they are, a batch in one statement.
NEO4J = BoltDialect("neo4j")
_in_use = NEO4J


def bolt_dialect() -> BoltDialect:
    """The dialect every call here speaks: :data:`NEO4J` unless :func:`using_dialect` says otherwise."""
    return _in_use


@contextmanager
def using_dialect(dialect: BoltDialect) -> Iterator[BoltDialect]:
    """Speak ``dialect`` to every server inside the ``with`` block (the tests' FalkorDB:
    ``with using_dialect(paperkg.graph.falkordb.FALKORDB): ...``)."""
    global _in_use
    previous, _in_use = _in_use, dialect
    try:
        yield dialect
    finally:
        _in_use = previous


# -- connecting -------------------------------------------------------------------
def connect(settings: Neo4jSettings | None = None) -> neo4j.Driver:
    """An open driver for ``settings`` (default: from the environment), connectivity checked.

    The driver retries transactions that fail transiently for
    ``settings.retry_seconds``. Errors are one-line :class:`ServerError`\\ s
    naming the URI and what to fix.
    """
    settings = settings or Neo4jSettings.from_env()
    bad_uri = (f"bad Neo4j URI {settings.uri!r}{{}}; expected e.g. bolt://localhost:7687 "
               f"or neo4j://host:7687 (--uri or ${ENV_URI})")
    try:
        parsed = urlsplit(settings.uri)
        parsed.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as err:
        raise ServerError(bad_uri.format(f" ({err})")) from None
    if parsed.scheme.partition("+")[0] not in ("bolt", "neo4j"):
        raise ServerError(bad_uri.format(""))
    try:
        driver = neo4j.GraphDatabase.driver(settings.uri, auth=settings.auth, connection_timeout=CONNECT_SECONDS,
                                            connection_acquisition_timeout=2 * CONNECT_SECONDS,
                                            max_transaction_retry_time=settings.retry_seconds)
    except (ValueError, neo4j_errors.ConfigurationError) as err:
        raise ServerError(bad_uri.format(f" ({_message(err)})")) from None
    try:
        # The driver waits a minute for a handshake; a port that never answers is reported in seconds.
        bolt_handshake(settings.uri, attempts=bolt_dialect().handshake_attempts)
        _verify_connectivity(driver, bolt_dialect().handshake_attempts)
    except BaseException as err:
        driver.close()
        raise _server_error(err, settings) from None
    return driver


_BOLT_MAGIC = bytes.fromhex("6060B017")
#: Bolt 5.0 to 5.7 (one version range), then three empty proposals.
_BOLT_VERSIONS = bytes.fromhex("00070705") + bytes(12)


def _verify_connectivity(driver: neo4j.Driver, attempts: int) -> None:
    """The driver's own handshake, tried ``attempts`` times: a server that leaves some
    connections unanswered (the dialect's ``handshake_attempts``) may leave the driver's too."""
    for attempt in range(1, attempts + 1):
        try:
            driver.verify_connectivity()
            return
        except neo4j_errors.ServiceUnavailable:
            if attempt == attempts:
                raise


def bolt_handshake(uri: str, *, attempts: int = 1, timeout: float = HANDSHAKE_SECONDS) -> bool:
    """Check that a Bolt server answers the protocol handshake at ``uri`` (plain TCP schemes only).

    Raises :class:`neo4j.exceptions.ServiceUnavailable` at once for a refused or
    unresolvable address or a reply that is not Bolt's (a Redis or HTTP port), and
    after ``attempts`` handshakes unanswered within ``timeout`` seconds each, so a
    port that never answers is reported in seconds rather than after the
    driver's minute-long wait. Encrypted schemes (``+s``, ``+ssc``) are left to
    the driver (returns False).
    """
    parsed = urlsplit(uri)
    if "+s" in parsed.scheme or not parsed.hostname:
        return False
    address = (parsed.hostname, parsed.port or 7687)
    where = f"{address[0]}:{address[1]}"
    for _ in range(attempts):
        try:
            with socket.create_connection(address, timeout=timeout) as sock:
                sock.sendall(_BOLT_MAGIC + _BOLT_VERSIONS)
                reply = sock.recv(4)
        except socket.timeout:
            continue
        except OSError as err:
            raise neo4j_errors.ServiceUnavailable(f"{where}: {err.strerror or err}") from None
        # A Bolt server answers with the version it picked, 00 00 minor major (all zero: none).
        if len(reply) == 4 and reply[:2] == bytes(2):
            return True
        raise neo4j_errors.ServiceUnavailable(f"{where} answers, but not with the Bolt protocol (it sent {reply!r})")
    tries = f" ({attempts} tries)" if attempts > 1 else ""
    raise neo4j_errors.ServiceUnavailable(f"{where} accepts connections but does not answer the Bolt handshake "
                                          f"within {timeout:g}s{tries}: not a Bolt port?")


#: The code a Neo4j server gives a statement naming a database it does not have.
_NO_SUCH_DATABASE = "Neo.ClientError.Database.DatabaseNotFound"


def _server_error(err: BaseException, settings: Neo4jSettings) -> BaseException:
    who = f"as {settings.username!r}" if settings.username is not None else "without a user name"
    if isinstance(err, neo4j_errors.AuthError):
        return ServerError(f"{settings.uri}: the server refused the login {who} ({_message(err)}); "
                           f"set --user/--password or ${ENV_USERNAME}/${ENV_PASSWORD}")
    if isinstance(err, (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError)):
        return ServerError(f"{settings.uri}: no Bolt server answers there ({_message(err)}); "
                           f"is it running? set --uri or ${ENV_URI}")
    if isinstance(err, neo4j_errors.Neo4jError):
        # Any other server error while the connection opens: a refusal, worded as the server words it.
        return ServerError(f"{settings.uri}: the server refused the connection {who} ({_message(err)}); "
                           f"check --user/--password or ${ENV_USERNAME}/${ENV_PASSWORD}")
    if isinstance(err, neo4j_errors.DriverError):
        return ServerError(f"{settings.uri}: {_message(err)}")
    return err


def _database_error(err: neo4j_errors.Neo4jError, database: str | None) -> ServerError | None:
    """A :class:`ServerError` naming the database, if ``err`` says the server has no such database."""
    if err.code != _NO_SUCH_DATABASE:
        return None
    return ServerError(f"database {database!r} does not exist on the server ({_message(err)}); "
                       f"set --database or ${ENV_DATABASE} to one that does")


def _message(err: BaseException) -> str:
    if isinstance(err, neo4j_errors.Neo4jError) and err.message:
        text = f"{err.code}: {err.message}" if err.code else err.message
    else:
        text = str(err) or type(err).__name__
    return " ".join(text.split())[:300]


@contextmanager
def _driver(target: neo4j.Driver | Neo4jSettings | None, database: str | None) -> Iterator[tuple[neo4j.Driver, str | None]]:
    """A driver and database for ``target``: a driver is used as given; settings open (and close) one."""
    settings = None if isinstance(target, neo4j.Driver) else target or Neo4jSettings.from_env()
    database = database or (settings.database if settings else None)
    dialect = bolt_dialect()
    if database and not dialect.selects_databases:
        raise ServerError(f"database {database!r} cannot be selected: the {dialect.name} server serves one graph "
                          f"over Bolt; leave out --database and ${ENV_DATABASE}")
    if settings is None:
        assert isinstance(target, neo4j.Driver)
        yield target, database
        return
    driver = connect(settings)
    try:
        yield driver, database
    finally:
        driver.close()


def _execute(driver: neo4j.Driver, query: str, parameters: dict[str, Any], database: str | None) -> neo4j.EagerResult:
    """One statement through ``driver.execute_query``, which retries transient failures itself."""
    return driver.execute_query(query, parameters_=bolt_dialect().parameters(parameters), database_=database)


# -- schema -------------------------------------------------------------------------
def apply_schema(driver: neo4j.Driver, database: str | None = None) -> None:
    """Create the constraints and indexes of ``cypher/schema.cypher`` that are missing."""
    for statement, parameters in bolt_dialect().schema(lambda text, values: _execute(driver, text, values, database)):
        try:
            _execute(driver, statement, parameters, database)
        except neo4j_errors.Neo4jError as err:
            raise _database_error(err, database) or ServerError(
                f"schema statement failed: {statement} ({_message(err)})") from None



# -- data statements: a fixed table from the model's labels and types -------------------
_KINDS = (PAPER_LABEL, ENTITY_LABEL, RESULT_LABEL)


def _kind_of(label: str) -> str:
    """The label a node is merged on: its own for papers and results, ``Entity`` for the entity types."""
    return label if label in (PAPER_LABEL, RESULT_LABEL) else ENTITY_LABEL


def _node_statement(label: str) -> str:
    if label in (PAPER_LABEL, RESULT_LABEL):
        return f"UNWIND $rows AS row\nMERGE (n:{label} {{id: row.id}})\nSET n += row.props"
    others = ":".join(other for other in ENTITY_LABELS if other != label)
    return (f"UNWIND $rows AS row\nMERGE (n:{ENTITY_LABEL} {{id: row.id}})\n"
            f"REMOVE n:{others}\nSET n:{label}, n += row.props")


def _relationship_statement(start_kind: str, rel_type: str, end_kind: str) -> str:
    return (f"UNWIND $rows AS row\nMATCH (a:{start_kind} {{id: row.start}})\nMATCH (b:{end_kind} {{id: row.end}})\n"
            f"MERGE (a)-[r:{rel_type} {{paper: row.props.paper}}]->(b)\nSET r += row.props")


def _delete_statement(start_kind: str, rel_type: str, end_kind: str) -> str:
    return (f"UNWIND $rows AS row\nMATCH (a:{start_kind} {{id: row.start}})-[r:{rel_type} {{paper: row.paper}}]->"
            f"(b:{end_kind} {{id: row.end}})\nDELETE r")


def _stated_statement(start_pattern: str) -> str:
    """What the papers ``$rows`` state on the server: relationships from ``start_pattern`` with their ``paper``."""
    return (f"UNWIND $rows AS row\nMATCH {start_pattern}-[r]->(b)\nWHERE r.paper = row.paper\n"
            f"RETURN DISTINCT a.id AS start, labels(a) AS start_labels, type(r) AS type, b.id AS end, "
            f"labels(b) AS end_labels, r.paper AS paper")


_NODE_STATEMENTS = {label: _node_statement(label) for label in LABELS}
_RELATIONSHIP_STATEMENTS = {(s, t, e): _relationship_statement(s, t, e)
                            for t in RELATIONSHIP_TYPES for s in _KINDS for e in _KINDS}
# Entity-to-entity ones first: they are found through the paper's MENTIONS, deleted last.
_DELETE_STATEMENTS = {(s, t, e): _delete_statement(s, t, e)
                      for s in (RESULT_LABEL, ENTITY_LABEL, PAPER_LABEL) for t in RELATIONSHIP_TYPES for e in _KINDS}
#: A paper's relationships are its own, plus those it states between the entities it mentions
#: (as graph/store.py finds them when a paper is extracted again).
_STATED_STATEMENTS = {
    "from-paper": _stated_statement(f"(a:{PAPER_LABEL} {{id: row.paper}})"),
    "between-entities": _stated_statement(f"(:{PAPER_LABEL} {{id: row.paper}})-[:MENTIONS]->(a:{ENTITY_LABEL})"),
    "from-results": _stated_statement(f"(:{PAPER_LABEL} {{id: row.paper}})-[:REPORTS]->(a:{RESULT_LABEL})"),
}
#: A loaded paper's results on the server that the graph no longer has (a re-extraction dropped
#: them), with their relationships: results are paperkg's own, one paper's each.
_STALE_RESULTS_STATEMENT = (f"UNWIND $rows AS row\nMATCH (n:{RESULT_LABEL} {{paper: row.paper}})\n"
                            f"WHERE NOT n.id IN row.keep\nDETACH DELETE n")


def loader_statements() -> dict[str, str]:
    """Every statement template a load runs besides the schema, by name: ``node:<Label>``,
    ``relationship:<Start>-<TYPE>-<End>``, ``stated:*`` (what the papers state on the
    server), ``delete:<Start>-<TYPE>-<End>`` and ``delete:stale-results``; each takes one
    parameter, ``$rows``.

    >>> print(loader_statements()["node:Paper"])
    UNWIND $rows AS row
    MERGE (n:Paper {id: row.id})
    SET n += row.props
    """
    statements = {f"node:{label}": text for label, text in _NODE_STATEMENTS.items()}
    statements.update({f"relationship:{s}-{t}-{e}": text for (s, t, e), text in _RELATIONSHIP_STATEMENTS.items()})
    statements.update({f"stated:{name}": text for name, text in _STATED_STATEMENTS.items()})
    statements.update({f"delete:{s}-{t}-{e}": text for (s, t, e), text in _DELETE_STATEMENTS.items()})
    statements["delete:stale-results"] = _STALE_RESULTS_STATEMENT
    return statements


class SkippedRecord(NamedTuple):
    """A node or relationship of the graph that a load left out, and why."""

    record: str  # "node 'gsm8k'", "relationship 'arxiv:1'-[USES]->'gsm8k'"
    problem: str

    def __str__(self) -> str:
        return f"{self.record}: {self.problem}; skipped"


def _node_name(node: Any) -> str:
    return f"node {node!r}"


def _relationship_name(start: Any, rel_type: str, end: Any) -> str:
    return f"relationship {start!r}-[{rel_type}]->{end!r}"


def _ends_left_out(start: Any, end: Any, left_out: set[Any]) -> str | None:
    """Why a relationship is left out with its start or end node (ids in ``left_out``), else None."""
    ends = [f"{side} {_node_name(node)}" for side, node in (("start", start), ("end", end)) if node in left_out]
    return f"its {' and '.join(ends)} was skipped" if ends else None


@dataclass(frozen=True)
class PropertyRule:
    """A property the server cannot take as it is: ``problem(key, value)`` says why, else None."""

    name: str
    problem: Callable[[Any, Any], str | None]


#: A property key that is safe everywhere: one every query can write as ``n.key``, with no
#: backquotes, and that no server which pastes parameter keys into query text can misread.
PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SCALARS = (str, bool, int, float)


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _key_problem(key: Any, value: Any) -> str | None:
    if isinstance(key, str) and PLAIN_KEY.match(key):
        return None
    return f"property key {key!r} is not a plain name (letters, digits and _, not starting with a digit)"


def _value_problem(key: Any, value: Any) -> str | None:
    items = _listed(value)
    if all(isinstance(v, _SCALARS) for v in items) and len({type(v) for v in items}) <= 1:
        return None
    return (f"property {key!r} holds {str(value)[:60]!r}, which is not a string, number or boolean "
            f"nor a list of one of them")


#: What every property of a loaded record must pass, in order (the first problem is reported).
PROPERTY_RULES = [
    PropertyRule("plain key", _key_problem),
    PropertyRule("storable value", _value_problem),
]


def _property_problem(properties: dict[Any, Any], dialect: BoltDialect) -> str | None:
    rules = [*PROPERTY_RULES, *dialect.property_rules]
    return next((problem for key, value in properties.items() for rule in rules
                 if (problem := rule.problem(key, value))), None)


@runtime_checkable
class LoadSource(Protocol):
    """What a load reads: an open :class:`~paperkg.graph.sqlite_store.GraphStore` (streamed from
    SQL), or a NetworkX graph, which :func:`load_graph` reads through the same three questions.

    ``papers``, where given, keeps the nodes and relationships whose ``paper`` is one of them.
    """

    def node_records(self, label: str | None = None, *, papers: Sequence[str] | None = None) -> Iterator[NodeRecord]:
        """The nodes (of ``label`` only, if given)."""

    def relationship_records(self, rel_type: str | None = None, *,
                             papers: Sequence[str] | None = None) -> Iterator[RelationshipRecord]:
        """The relationships (of ``rel_type`` only, if given)."""

    def node_labels(self, ids: Iterable[str]) -> dict[str, str]:
        """The label of each of the nodes ``ids``."""


class _PaperRecords(NamedTuple):
    """A graph's records by the paper that states them."""

    relationships: dict[str, list[RelationshipRecord]]
    nodes: dict[str, list[NodeRecord]]


class _GraphSource:
    """A NetworkX graph as a :class:`LoadSource`."""

    def __init__(self, graph: nx.MultiDiGraph):
        self.graph = graph

    def node_records(self, label: str | None = None, *, papers: Sequence[str] | None = None) -> Iterator[NodeRecord]:
        if papers is None:
            return node_records(self.graph, label)
        return (record for paper in papers for record in self._by_paper.nodes.get(paper, [])
                if label is None or record.label == label)

    def relationship_records(self, rel_type: str | None = None, *,
                             papers: Sequence[str] | None = None) -> Iterator[RelationshipRecord]:
        if papers is None:
            return relationship_records(self.graph, rel_type)
        return (record for paper in papers for record in self._by_paper.relationships.get(paper, [])
                if rel_type is None or record.type == rel_type)

    def node_labels(self, ids: Iterable[str]) -> dict[str, str]:
        return {node: self.graph.nodes[node]["label"] for node in ids}

    @cached_property
    def _by_paper(self) -> _PaperRecords:
        """The relationships and the nodes of each paper: a load asks for them a batch of papers at a time."""
        relationships: dict[str, list[RelationshipRecord]] = defaultdict(list)
        for relationship in relationship_records(self.graph):
            relationships[relationship.properties.get("paper") or ""].append(relationship)
        nodes: dict[str, list[NodeRecord]] = defaultdict(list)
        for record in node_records(self.graph):
            if "paper" in record.properties:
                nodes[record.properties["paper"]].append(record)
        return _PaperRecords(relationships, nodes)


def _load_source(source: nx.MultiDiGraph | LoadSource) -> LoadSource:
    return source if isinstance(source, LoadSource) else _GraphSource(source)


#: Relationships whose end nodes' labels are looked up at once.
_LOOKUP_CHUNK = 500


def _node_rows(source: LoadSource, dialect: BoltDialect, skipped: list[SkippedRecord],
               left_out: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, row) of each node to load, streamed; a node left out is added to ``skipped``
    and its id to ``left_out``."""
    for record in source.node_records():
        props = _storable(record.properties)
        if record.label not in _NODE_STATEMENTS:
            problem: str | None = f"label {record.label!r} is not one of {', '.join(LABELS)}"
        else:
            problem = _property_problem(props, dialect)
        if problem:
            skipped.append(SkippedRecord(_node_name(record.id), problem))
            left_out.add(record.id)
            continue
        yield record.label, {"id": record.id, "props": {**props, "id": record.id}}


def _relationship_rows(source: LoadSource, dialect: BoltDialect, skipped: list[SkippedRecord],
                       left_out: set[str]) -> Iterator[tuple[tuple[str, str, str], dict[str, Any]]]:
    """(group, row) of each relationship to load, streamed; one left out (with a node in
    ``left_out``, too) is added to ``skipped``."""
    for chunk in batches(source.relationship_records(), _LOOKUP_CHUNK):
        labels = source.node_labels({node for r in chunk for node in (r.start, r.end)})
        for relationship in chunk:
            group = (_kind_of(labels[relationship.start]), relationship.type, _kind_of(labels[relationship.end]))
            props = _storable(relationship.properties)
            props["paper"] = relationship.properties.get("paper") or ""
            if group not in _RELATIONSHIP_STATEMENTS:
                problem: str | None = f"type {relationship.type!r} is not one of {', '.join(RELATIONSHIP_TYPES)}"
            else:
                problem = (_ends_left_out(relationship.start, relationship.end, left_out)
                           or _property_problem(props, dialect))
            if problem:
                skipped.append(SkippedRecord(
                    _relationship_name(relationship.start, relationship.type, relationship.end), problem))
                continue
            yield group, {"start": relationship.start, "end": relationship.end, "props": props}


class LoadRows(NamedTuple):
    """A graph as load rows, by statement (label or relationship group), and what was left out."""

    nodes: dict[str, list[dict[str, Any]]]
    relationships: dict[tuple[str, str, str], list[dict[str, Any]]]
    skipped: list[SkippedRecord]


def load_rows(graph: nx.MultiDiGraph | LoadSource, dialect: BoltDialect | None = None) -> LoadRows:
    """The rows a load writes; a record with an unknown label or type, or a property
    :data:`PROPERTY_RULES` (or the dialect's own rules) refuse, is left out and listed in
    ``skipped``, and so is a relationship whose start or end node was."""
    dialect = dialect or bolt_dialect()
    source = _load_source(graph)
    skipped: list[SkippedRecord] = []
    left_out: set[str] = set()
    rows = LoadRows(defaultdict(list), defaultdict(list), skipped)
    for label, row in _node_rows(source, dialect, skipped, left_out):
        rows.nodes[label].append(row)
    for group, row in _relationship_rows(source, dialect, skipped, left_out):
        rows.relationships[group].append(row)
    return rows


def relationship_rows(graph: nx.MultiDiGraph) -> dict[str, list[dict[str, Any]]]:
    """The graph's relationships as load rows, by the name of their statement in
    :func:`loader_statements` (``relationship:Paper-USES-Entity``)."""
    return {f"relationship:{s}-{t}-{e}": rows for (s, t, e), rows in load_rows(graph).relationships.items()}


def _storable(properties: dict[str, Any]) -> dict[str, Any]:
    """Properties Neo4j can store: no nulls (absent instead), lists as lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in properties.items() if v is not None}


def _group_batches(rows: Iterable[tuple[Any, dict[str, Any]]], size: int) -> Iterator[tuple[Any, Rows]]:
    """(group, batch) of ``rows``, (group, row) pairs: each group's batch as soon as it holds
    ``size`` rows, then each group's rest; a load holds no more than a batch per group."""
    pending: dict[Any, Rows] = defaultdict(list)
    for group, row in rows:
        pending[group].append(row)
        if len(pending[group]) == size:
            yield group, pending.pop(group)
    yield from pending.items()


_COUNTED = ("nodes_created", "nodes_deleted", "relationships_created", "relationships_deleted")


def _read_batch(driver: neo4j.Driver, statement: str, rows: Rows, database: str | None) -> list[neo4j.Record]:
    """The records of one ``UNWIND $rows`` question (asked in the dialect's runs of rows)."""
    return [record for run in bolt_dialect().runs(rows)
            for record in _execute(driver, statement, {"rows": run}, database).records]


def _kind(labels: list[str]) -> str | None:
    return next((kind for kind in _KINDS if kind in labels), None)


def _stale_rows(driver: neo4j.Driver, papers: list[str], stated: set[tuple[str, str, str, str]],
                database: str | None) -> dict[tuple[str, str, str], list[dict[str, str]]]:
    """Delete rows, by group, for what ``papers`` (one batch) state on the server but no longer
    in the graph (``stated`` holds their relationships' (start, type, end, paper) in the graph);
    relationships of other types or between other nodes, which users made, are not paperkg's to delete."""
    stale: dict[tuple, list] = defaultdict(list)
    asked = [{"paper": paper} for paper in papers]
    for statement in _STATED_STATEMENTS.values():
        for record in _read_batch(driver, statement, asked, database):
            group = (_kind(record["start_labels"]), record["type"], _kind(record["end_labels"]))
            identity = (record["start"], record["type"], record["end"], record["paper"])
            if group in _DELETE_STATEMENTS and identity not in stated:
                stale[group].append(dict(zip(("start", "type", "end", "paper"), identity)))
    return stale


def _write_batch(driver: neo4j.Driver, statement: str, rows: Rows, database: str | None) -> Counter:
    """One batch in one managed write transaction: the ``UNWIND $rows`` statement over the
    dialect's runs of rows (one run on Neo4j). ``execute_write`` retries the whole
    transaction on transient failures, for the driver's ``max_transaction_retry_time``."""
    dialect = bolt_dialect()

    def work(tx: neo4j.ManagedTransaction) -> Counter:
        total: Counter = Counter()
        for run in dialect.runs(rows):
            counters = tx.run(statement, dialect.parameters({"rows": run})).consume().counters
            total.update({name: getattr(counters, name) for name in _COUNTED})
        return total

    with driver.session(database=database) as session:
        return session.execute_write(work)


class BatchWrite(NamedTuple):
    """What writing one batch did: the server's counters, the rows it took and those it refused."""

    counters: Counter
    written: Rows
    refused: list[tuple[dict[str, Any], str]]  # (row, the server's message)


def _write_splitting(driver: neo4j.Driver, statement: str, rows: Rows, database: str | None) -> BatchWrite:
    """``rows`` as one batch (:func:`_write_batch`); if the server refuses it for what a row
    holds (the dialect's ``refuses_record``), each half is written alone, and so on down to
    the refused rows, which are left out. Any other failure is raised."""
    try:
        return BatchWrite(_write_batch(driver, statement, rows, database), rows, [])
    except neo4j_errors.Neo4jError as err:
        if not bolt_dialect().refuses_record(err):
            raise
        if len(rows) == 1:
            return BatchWrite(Counter(), [], [(rows[0], _message(err))])
        middle = len(rows) // 2
        first, second = (_write_splitting(driver, statement, half, database) for half in (rows[:middle], rows[middle:]))
        return BatchWrite(first.counters + second.counters, first.written + second.written,
                          first.refused + second.refused)


def _reported(call: Callable[[], Any], database: str | None) -> Any:
    """``call()``, a server failure during a load turned into one :class:`ServerError` line."""
    try:
        return call()
    except neo4j_errors.Neo4jError as err:
        raise _database_error(err, database) or _load_error(err) from None
    except neo4j_errors.DriverError as err:
        raise _load_error(err) from None


def _load_error(err: Exception) -> ServerError:
    return ServerError(f"loading failed: {_message(err)}; nothing is lost, and loading "
                       f"again resumes (MERGE keeps what was written)")


def load_graph(
    graph: nx.MultiDiGraph | LoadSource,
    target: neo4j.Driver | Neo4jSettings | None = None,
    *,
    database: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[int], None] | None = None,
) -> LoadCounts:
    """Load ``graph`` into the server: schema, then nodes, then relationships, in batches.

    ``graph`` is a NetworkX graph or a :class:`LoadSource`, such as an open
    :class:`~paperkg.graph.sqlite_store.GraphStore`, whose records are streamed
    from SQL a batch at a time (the whole graph is never in memory).
    ``target`` is an open driver, settings to connect with, or None (settings
    from the environment). ``progress(n)`` is called after each batch with the
    rows it wrote; all batches together write as many rows as the graph has
    nodes and relationships, less the records left out (``skipped``).
    Idempotent; see the module docstring.
    """
    if batch_size < 1:
        raise UsageError(f"batch size must be at least 1, not {batch_size}")
    source = _load_source(graph)
    dialect = bolt_dialect()
    with _driver(target, database) as (driver, database):
        counts = LoadCounts()
        apply_schema(driver, database)

        def write(statement: str, batch: Rows, name: Callable[[dict[str, Any]], str]) -> BatchWrite:
            done = _reported(lambda: _write_splitting(driver, statement, batch, database), database)
            counts.skipped.extend(SkippedRecord(name(row), f"the server refused it ({message})")
                                  for row, message in done.refused)
            if progress:
                progress(len(batch))
            return done

        left_out: set[str] = set()  # nodes not sent (PROPERTY_RULES); the server refused others
        refused: set[str] = set()
        for label, batch in _group_batches(_node_rows(source, dialect, counts.skipped, left_out), batch_size):
            done = write(_NODE_STATEMENTS[label], batch, lambda row: _node_name(row["id"]))
            created = done.counters["nodes_created"]
            counts.nodes_created += created
            counts.nodes_matched += len(done.written) - created
            counts.by_label[label] = counts.by_label.get(label, 0) + created
            refused.update(row["id"] for row, _ in done.refused)
        relationships = _relationship_rows(source, dialect, counts.skipped, left_out | refused)
        for group, batch in _group_batches(relationships, batch_size):
            rel_type = group[1]
            done = write(_RELATIONSHIP_STATEMENTS[group], batch,
                         lambda row: _relationship_name(row["start"], rel_type, row["end"]))
            created = done.counters["relationships_created"]
            counts.relationships_created += created
            counts.relationships_matched += len(done.written) - created
            counts.by_type[rel_type] = counts.by_type.get(rel_type, 0) + created
        # Last, so an interrupted load leaves more, never less: what re-extraction dropped.
        papers = (record.id for record in source.node_records(PAPER_LABEL) if record.id not in left_out)
        for paper_batch in batches(papers, batch_size):
            _delete_stale(driver, source, paper_batch, left_out, counts, database, batch_size)
    return counts


def _delete_stale(driver: neo4j.Driver, source: LoadSource, papers: list[str], left_out: set[str],
                  counts: LoadCounts, database: str | None, batch_size: int) -> None:
    """Delete what the loaded ``papers`` (one batch) state on the server and no longer in the
    graph: relationships, then their results, with the graph's records of these papers only."""
    stated = {(r.start, r.type, r.end, r.properties.get("paper") or "")
              for r in source.relationship_records(papers=papers)}
    stale = _reported(lambda: _stale_rows(driver, papers, stated, database), database)
    for group, statement in _DELETE_STATEMENTS.items():
        for batch in batches(stale.get(group, []), batch_size):
            deleted = _reported(lambda: _write_batch(driver, statement, batch, database), database)
            counts.relationships_deleted += deleted["relationships_deleted"]
    kept = defaultdict(list)
    for record in source.node_records(RESULT_LABEL, papers=papers):
        if record.id not in left_out:
            kept[record.properties["paper"]].append(record.id)
    rows = [{"paper": paper, "keep": kept[paper]} for paper in papers]
    deleted = _reported(lambda: _write_batch(driver, _STALE_RESULTS_STATEMENT, rows, database), database)
    counts.results_deleted += deleted["nodes_deleted"]


# -- queries --------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """A driver value as the embedded engine gives it: lists, dicts, ints, floats, strings."""
    if isinstance(value, (Node, Relationship)):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return [_plain(node) for node in value.nodes]
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):  # neo4j.time values
        return value.iso_format()
    return value


def run_query_neo4j(
    cypher: str,
    params: dict[str, Any] | None = None,
    target: neo4j.Driver | Neo4jSettings | None = None,
    *,
    database: str | None = None,
) -> QueryResult:
    """Run a Cypher query on the server; rows as plain Python values, columns in RETURN order."""
    with _driver(target, database) as (driver, database):
        try:
            result = _execute(driver, cypher, dict(params or {}), database)
        except neo4j_errors.Neo4jError as err:
            raise _database_error(err, database) or QueryError(f"query failed on the server: {_message(err)}") from None
        except neo4j_errors.DriverError as err:
            raise ServerError(f"query failed: {_message(err)}") from None
    columns = list(result.keys)
    return QueryResult(columns, [{c: _plain(record[c]) for c in columns} for record in result.records])


def run_catalogue_neo4j(
    name: str,
    values: dict[str, Any],
    target: neo4j.Driver | Neo4jSettings | None = None,
    *,
    database: str | None = None,
) -> QueryResult:
    """Run the named query ``cypher/<name>.cypher`` on the server, with the same
    parameters as on the embedded graph (:func:`paperkg.graph.query.catalogue_params`)."""
    queries = catalogue()
    if name not in queries:
        raise UsageError(f"no query named {name!r}; the catalogue has: {', '.join(queries)}")
    query = queries[name]
    return run_query_neo4j(query.text, catalogue_params(query, values), target, database=database)

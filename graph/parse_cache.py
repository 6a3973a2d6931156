"""nxcypher's parse of a Cypher query, kept: in memory for the process, and in the user's cache folder.

nxcypher parses every query it runs with a Lark Earley parser, which it builds first in each process:
on the 100k-paper store, building the parser and parsing ``papers-using`` take longer than answering
it. The parse depends only on the query's text, the grammar and Lark, so it is kept:

- in memory, the last 256 queries of the process;
- in a file per query in ``$PAPERKG_CACHE/cypher-parse/`` (default ``~/.cache/paperkg``; ``$XDG_CACHE_HOME``
  is honoured), named by the hash of Lark's version, nxcypher's grammar and the query, so that a new
  command-line process neither builds the parser nor parses a catalogue query it has run before.

The file holds the tree as JSON (rule names and tokens), not a pickle: reading it runs no code. A file
that cannot be read, is not JSON, or does not decode to a tree of this very query is a miss: the query
is parsed again and the file written again. Files are written whole (a temporary file, renamed), so
processes that run at once read either no file or a whole one. An unwritable folder only costs time.

>>> tree = parse("MATCH (n) RETURN n")
>>> parse("MATCH (n) RETURN n") is tree
True
>>> decode_tree(encode_tree(tree)) == tree
True
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Token, Tree

from .settings import CACHE_ENV

__all__ = ["parse", "cache_dir", "encode_tree", "decode_tree", "use_with_nxcypher"]

#: The folder of the parse files inside the cache folder.
PARSE_FOLDER = "cypher-parse"


def cache_dir() -> Path:
    """paperkg's cache folder: ``$PAPERKG_CACHE``, else ``$XDG_CACHE_HOME/paperkg``, else ``~/.cache/paperkg``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "paperkg"


def encode_tree(node: Tree | Token) -> list:
    """A parse tree as JSON values: ``["T", rule, [children]]`` and ``["K", type, value, positions...]``."""
    if isinstance(node, Tree):
        return ["T", str(node.data), [encode_tree(child) for child in node.children]]
    return ["K", node.type, str(node), node.start_pos, node.line, node.column, node.end_line, node.end_column,
            node.end_pos]


def decode_tree(value: Any) -> Tree | Token:
    """The tree of :func:`encode_tree`'s value; ValueError when it is not one."""
    if isinstance(value, list) and len(value) == 3 and value[0] == "T" and isinstance(value[1], str) \
            and isinstance(value[2], list):
        return Tree(value[1], [decode_tree(child) for child in value[2]])
    if isinstance(value, list) and len(value) == 9 and value[0] == "K" and all(isinstance(v, str) for v in value[1:3]) \
            and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value[3:]):
        return Token(*value[1:])
    raise ValueError("not a parse tree")


@lru_cache(maxsize=1)
def _engine_parser():
    """nxcypher's Lark parser (built once, on the first query the cache files do not hold)."""
    from nxcypher.interpreter import _build_parser

    return _build_parser()


@lru_cache(maxsize=1)
def _parse_identity() -> bytes:
    """What a parse depends on besides the query: Lark's version and nxcypher's grammar."""
    import lark
    from nxcypher.interpreter import _grammar_path

    return f"lark {lark.__version__}\0".encode() + Path(_grammar_path).read_bytes()


def _cache_file(text: str) -> Path:
    digest = hashlib.sha256(_parse_identity() + b"\0" + text.encode("utf-8", "surrogatepass")).hexdigest()
    return cache_dir() / PARSE_FOLDER / f"{digest}.json"


def _read_cached(path: Path, text: str) -> Tree | None:
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(stored, dict) or stored.get("query") != text:
            return None
        tree = decode_tree(stored["tree"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):  # no file, or not one of ours: a miss
        return None
    return tree if isinstance(tree, Tree) else None


def _write_cached(path: Path, text: str, tree: Tree) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        file = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=".", suffix=".tmp",
                                           delete=False)
    except OSError:  # a read-only file system, say: the next process parses again
        return
    try:
        with file:
            json.dump({"query": text, "tree": encode_tree(tree)}, file, ensure_ascii=False, separators=(",", ":"))
        os.replace(file.name, path)
    except OSError:  # a full disk
        Path(file.name).unlink(missing_ok=True)


@lru_cache(maxsize=256)
def parse(text: str) -> Tree:
    """nxcypher's parse tree of ``text`` (lark errors as nxcypher raises them); the same object for the
    same text in a process, which nxcypher only reads. Rule names are plain strings, not Lark's tokens
    of type RULE: nxcypher compares them with strings at every node of every match, and a token's
    comparison is Python code (a third of the time of ``papers-using`` on a warm process)."""
    path = _cache_file(text)
    cached = _read_cached(path, text)
    if cached is not None:
        return cached
    tree = decode_tree(encode_tree(_engine_parser().parse(text)))
    assert isinstance(tree, Tree)  # a parse is a tree at the top
    _write_cached(path, text, tree)
    return tree


class _CachedParser:
    """What nxcypher asks its parser for (``parse``), answered by :func:`parse`."""

    @staticmethod
    def parse(text: str) -> Tree:
        return parse(text)


def use_with_nxcypher() -> None:
    """Make nxcypher parse through :func:`parse`: each run asks ``nxcypher.interpreter.get_parser()`` for
    its parser, which is the module's ``_parser`` once set. A version of nxcypher without these names
    parses as it does."""
    import nxcypher.interpreter as engine

    if all(hasattr(engine, name) for name in ("_parser", "_build_parser", "_grammar_path", "get_parser")) \
            and not isinstance(engine._parser, _CachedParser):
        engine._parser = _CachedParser()

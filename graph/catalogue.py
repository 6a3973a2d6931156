"""The named query catalogue: the ``.cypher`` files of ``cypher/`` and their headers.

Each file is one command of the command line. Its first line is a ``// description``;
header lines ``// example:``, ``// argument:``, ``// option:`` and ``// scope:`` follow, then the
query. This module reads them with the standard library alone, so that the command line can
list its commands (``paperkg --help``, shell completion) without importing a graph engine.
The schema (``cypher/schema.cypher``) is read here too, for every writer that creates it.

>>> query = catalogue()["papers-using"]
>>> query.arguments
{'key': "the entity's name or any alias (gsm-8k finds GSM8K)"}
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from paperkg.extractors.errors import InputError

from .settings import QUERIES_ENV

__all__ = ["CatalogueQuery", "Catalogue", "catalogue", "read_catalogue", "cypher_dir", "schema_statements", "sql_form"]


def cypher_dir() -> Path:
    """The folder of the ``.cypher`` files (schema and catalogue): ``$PAPERKG_QUERIES`` when set (a
    copy of the catalogue with your own queries added), else the installed ``paperkg.cypher``."""
    if os.environ.get(QUERIES_ENV):
        return Path(os.environ[QUERIES_ENV])
    return _installed_dir()


def _installed_dir() -> Path:
    """The folder of the installed ``paperkg.cypher``."""
    spec = importlib.util.find_spec("paperkg.cypher")
    # ``cypher`` is a namespace package (it holds no Python), so take its folder directly.
    for location in (spec and spec.submodule_search_locations) or ():
        if (Path(location) / "schema.cypher").exists() or any(Path(location).glob("*.cypher")):
            return Path(location)
    raise FileNotFoundError("the cypher/ query files are not installed with paperkg")


def schema_statements() -> list[str]:
    """The statements of ``cypher/schema.cypher`` (Neo4j 5), comments dropped, no closing ``;``: the one
    description of constraints and indexes, run by the loader and written into the Cypher-script export."""
    text = (cypher_dir() / "schema.cypher").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return [" ".join(part.split()) for part in code.split(";") if part.strip()]


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
_DECIMAL = re.compile(r"[0-9]+\.[0-9]+")


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
    value = int(default) if _WHOLE_NUMBER.fullmatch(default) else float(default) if _DECIMAL.fullmatch(default) else default
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


def sql_form(query: CatalogueQuery) -> str | None:
    """The SQL form of a catalogue query, which a SQLite store answers instead of running its Cypher.

    ``cypher/<name>.sql``, shipped beside the ``.cypher`` files for queries whose Cypher is slow on
    the whole graph: the same rows in the same column order, its parameters the query's, bound as
    SQLite ``:name`` parameters. Only paperkg's own SQL runs, and only for the query it was written
    for: a query of ``$PAPERKG_QUERIES`` whose text differs from the installed one's has none.

    >>> sql_form(catalogue()["top-datasets"]) is not None, sql_form(catalogue()["leaderboard"])
    (True, None)
    """
    return _shipped_sql().get((query.name, query.text))


@lru_cache(maxsize=None)
def _shipped_sql() -> dict[tuple[str, str], str]:
    """The shipped SQL forms, by the name and Cypher text of the installed query they answer."""
    folder = _installed_dir()
    shipped = read_catalogue(folder).queries
    return {(entry.stem, shipped[entry.stem].text): entry.read_text(encoding="utf-8")
            for entry in sorted(folder.glob("*.sql")) if entry.stem in shipped}

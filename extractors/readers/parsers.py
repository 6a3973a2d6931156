"""The parser of each format: ``parser_for(name)(source, columns)`` yields records and problems."""

from __future__ import annotations

from typing import Callable, Iterator

from paperkg.extractors.errors import UsageError

from .base import ColumnOptions, Parsed
from .detect import FORMATS
from .atom import parse_atom
from .bibtex import parse_bibtex
from .html import parse_html
from .jsonformats import parse_json
from .listing import parse_listing
from .plaintext import parse_text
from .tabular import parse_csv, parse_tsv
from .sources import Source

__all__ = ["Parser", "parser_for"]

Parser = Callable[[Source, ColumnOptions], Iterator[Parsed]]


def _listing(source: Source, columns: ColumnOptions) -> Iterator[Parsed]:
    return parse_listing(source)


def _json_parser(name: str) -> Parser:
    return lambda source, columns: parse_json(source, columns, name)


_PARSERS: dict[str, Parser] = {
    "listing": _listing,
    "listing-html": parse_html,
    "arxiv-atom": parse_atom,
    "csv": parse_csv,
    "tsv": parse_tsv,
    "bibtex": parse_bibtex,
    "text": parse_text,
    **{name: _json_parser(name) for name in ("hf-daily", "arxiv-oai", "semantic-scholar", "openalex", "jsonl")},
}


def parser_for(name: str) -> Parser:
    """The parser of format ``name``; :class:`UsageError` naming the formats for an unknown one."""
    if name not in FORMATS:
        raise UsageError(f"unknown format {name!r}; choose one of: {', '.join(FORMATS)}")
    return _PARSERS[name]

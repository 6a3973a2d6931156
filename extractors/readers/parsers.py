"""The parser of each format: ``parser_for(name)(source, columns)`` yields records and problems."""

from __future__ import annotations

from typing import Callable, Iterator

from extractors.errors import UsageError

from .base import ColumnOptions, Parsed
from .detect import FORMATS
from .listing import parse_listing
from .plaintext import parse_text
from .sources import Source

__all__ = ["Parser", "parser_for"]

Parser = Callable[[Source, ColumnOptions], Iterator[Parsed]]


def _listing(source: Source, columns: ColumnOptions) -> Iterator[Parsed]:
    return parse_listing(source)


_PARSERS: dict[str, Parser] = {
    "listing": _listing,
    "text": parse_text,
}


def parser_for(name: str) -> Parser:
    """The parser of format ``name``; :class:`UsageError` naming the formats for an unknown one."""
    if name not in FORMATS:
        raise UsageError(f"unknown format {name!r}; choose one of: {', '.join(FORMATS)}")
    try:
        return _PARSERS[name]
    except KeyError:
        raise UsageError(f"format {name!r} is not readable yet; readable: {', '.join(_PARSERS)}") from None

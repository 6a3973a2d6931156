"""What every format parser yields: raw records and problems.

A parser turns one opened input into a stream of :class:`RawRecord` (a paper
as the source spells it, before cleaning and ids) and :class:`Problem` (one
record that cannot be used, with the kind it is counted under). The reading
loop (:mod:`paperkg.extractors.readers.reading`) cleans, validates, gives ids,
removes duplicates and reports; parsers never raise for bad data except
:class:`~paperkg.extractors.errors.InputError` when the whole input is unusable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict, Union

__all__ = ["RawRecord", "DateFields", "Problem", "Parsed", "ColumnOptions", "text_value", "MIN_ABSTRACT_WORDS"]

#: Fewer words than this is not an abstract (a stub, a placeholder like "N/A").
MIN_ABSTRACT_WORDS = 8


@dataclass
class RawRecord:
    """One paper as a source gives it; ``latex`` says the text may carry LaTeX markup.

    ``date`` is the date as the source writes it and ``date_source`` which field that is
    (one of ``paperkg.extractors.dates.DATE_SOURCES``); the reading loop reads it as ISO and weighs it
    against the arXiv id's and the venue's.
    """

    line: int | None
    title: str
    abstract: str
    authors: list[str] = field(default_factory=list)
    n_authors: int | None = None
    date: str | None = None
    upvotes: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    url: str | None = None
    venue: str | None = None
    latex: bool = False
    date_source: str | None = None


class DateFields(TypedDict, total=False):
    """A record's ``date`` and ``date_source`` when its source gives a date: keyword arguments of :class:`RawRecord`."""

    date: str
    date_source: str


@dataclass
class Problem:
    """One unusable record: ``kind`` is its key in ``ReadReport.skipped``."""

    line: int | None
    kind: str
    reason: str


Parsed = Union[RawRecord, Problem]


@dataclass(frozen=True)
class ColumnOptions:
    """Which column (CSV/TSV header, JSON key or dotted path) holds the title, abstract and id.

    ``None`` means: find it by its usual names (``title``; ``abstract``, ``summary``;
    ``id``, ``arxiv_id``, ``doi``).
    """

    title_col: str | None = None
    abstract_col: str | None = None
    id_col: str | None = None


def text_value(value: Any) -> str | None:
    """A field value as text: strings as they are, numbers spelled out, anything else None.

    >>> text_value("GPT-4"), text_value(2024), text_value(["a"]), text_value(None)
    ('GPT-4', '2024', None, None)
    """
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None

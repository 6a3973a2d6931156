"""CSV and TSV exports (a spreadsheet, a reference manager's table), one paper a row.

The header names the columns; the title, abstract and id columns are found by
their usual names or named with :class:`ColumnOptions`. A header without them is
one error naming the columns there are. Rows stream; a broken row is reported.

>>> import io
>>> from paperkg.extractors.readers.sources import Source
>>> text = b'Title,Abstract\\n"Tiny, fast adapters","We propose adapters. They are small."\\n'
>>> src = Source("t.csv", io.BytesIO(text), text)
>>> [(r.line, r.title) for r in parse_delimited(src, ColumnOptions(), ",")]
[(2, 'Tiny, fast adapters')]
"""

from __future__ import annotations

import csv
from typing import Iterator

from paperkg.extractors.errors import InputError

from .base import ColumnOptions, Parsed, Problem
from .jsonformats import ABSTRACT_KEYS, ID_KEYS, TITLE_KEYS, column_list, find_column, generic_record
from .sources import MAX_LINE_BYTES, Source

__all__ = ["parse_csv", "parse_tsv", "parse_delimited"]

csv.field_size_limit(MAX_LINE_BYTES)


def parse_delimited(source: Source, columns: ColumnOptions, delimiter: str) -> Iterator[Parsed]:
    """Records of a delimited text input."""
    problems: list[Problem] = []

    def text_lines() -> Iterator[str]:
        for item in source.lines():
            if isinstance(item, Problem):
                problems.append(item)
                continue
            yield item[1] + "\n"

    reader = csv.reader(text_lines(), delimiter=delimiter,
                        quoting=csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as err:
        raise InputError(source.name, f"no header row ({err})" if str(err) else "no header row") from None
    for option, candidates, flag, what in (
        (columns.title_col, TITLE_KEYS, "--title-col", "title"),
        (columns.abstract_col, ABSTRACT_KEYS, "--abstract-col", "abstract"),
        (columns.id_col, ID_KEYS, None, "id"),
    ):
        column = find_column(header, option, candidates)
        if option and column not in header:
            raise InputError(source.name, f"no column {option!r} (columns: {column_list(header)})", 1)
        if column is None and flag:
            raise InputError(source.name, f"no {what} column (columns: {column_list(header)}); name it with {flag}", 1)
    previous_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            yield from _drain(problems)
            yield Problem(previous_end + 1, "malformed CSV", f"malformed row: {err}")
            previous_end = reader.line_num
            continue
        yield from _drain(problems)
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if any(cell.strip() for cell in row[len(header):]):
            yield Problem(line, "malformed CSV", f"row has {len(row)} fields, the header {len(header)} (a lost line break?)")
            continue
        yield generic_record(dict(zip(header, row)), line, columns)
    yield from _drain(problems)


def _drain(problems: list[Problem]) -> Iterator[Problem]:
    yield from problems
    problems.clear()


def parse_csv(source: Source, columns: ColumnOptions) -> Iterator[Parsed]:
    return parse_delimited(source, columns, ",")


def parse_tsv(source: Source, columns: ColumnOptions) -> Iterator[Parsed]:
    return parse_delimited(source, columns, "\t")

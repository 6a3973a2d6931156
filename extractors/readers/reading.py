"""The reading loop: inputs in, clean unique :class:`~paperkg.extractors.records.Paper` records out.

For each input it opens the source (:mod:`.sources`), picks the format
(:mod:`.detect`, or the one forced), and runs that format's parser. Every raw
record is cleaned (LaTeX to text, whitespace), validated (a title, an abstract,
UTF-8 text), given an id (arXiv id, else DOI, else a hash of the normalised
title) and checked against the papers already read: the same paper from a
second source (same arXiv id, DOI or normalised title) is counted as a
duplicate and its metadata kept on the report (one slim record per paper and
input, however many copies), so it can still be merged.

Each bad record is reported as a :class:`~paperkg.extractors.errors.BadRecord`
(``FILE:LINE: reason``) to ``on_problem`` and skipped; an input that cannot
be read at all is one :class:`~paperkg.extractors.errors.InputError`. With
``strict=True`` the first of either is raised instead.

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "papers.txt"
>>> _ = path.write_text("Tiny Adapters\\n" + "We propose tiny adapters for language models. " * 4
...                     + "\\n\\nTiny Adapters\\n" + "We propose tiny adapters. They are small. " * 4)
>>> report = ReadReport()
>>> [p.title for p in read_papers([str(path)], report=report)]
['Tiny Adapters']
>>> report.read, report.kept, report.duplicates
(2, 1, 1)
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from paperkg.extractors.dates import DateClaim, PaperDate, arxiv_id_date, best_date, venue_year
from paperkg.extractors.errors import BadRecord, InputError
from paperkg.extractors.records import Paper, normalise_title, title_id

from .base import MIN_ABSTRACT_WORDS, ColumnOptions, Problem, RawRecord
from .cleaning import arxiv_id, arxiv_id_from_doi, collapse_whitespace, doi, find_arxiv_id, latex_to_text
from .detect import FORMATS, detect_format
from .parsers import parser_for
from .sources import DamagedInput, Source, open_source

__all__ = ["ReadReport", "read_papers", "problem_reporter", "paper_from_record", "MIN_ABSTRACT_WORDS", "MAX_ABSTRACT_CHARS"]

ProblemHandler = Callable[[InputError], None]

#: How long a title may be before it is taken for something else.
MAX_TITLE_CHARS = 1000
#: How long an abstract may be: real ones are a few thousand characters; a whole paper in the field
#: would cost the pipeline gigabytes (spaCy refuses a text over a million characters outright).
MAX_ABSTRACT_CHARS = 100_000


@dataclass
class ReadReport:
    """What reading saw: records read, papers kept, records skipped by reason, duplicates.

    ``read`` counts records (kept, skipped or duplicate); ``skipped`` also counts
    whole inputs that could not be read (kind ``unreadable input``, ``no papers``).
    ``duplicate_papers`` holds, per paper kept and input, the metadata of its later
    copies there (with the id of the paper kept, the source of the first copy, no
    abstract), so it can be merged into the paper; memory grows with the papers, never
    with the copies. ``kept_by_input`` counts kept papers per input and ``formats``
    the format each input was read as.
    """

    read: int = 0
    kept: int = 0
    skipped: Counter = field(default_factory=Counter)
    duplicates: int = 0
    kept_by_input: Counter = field(default_factory=Counter)
    formats: dict[str, str] = field(default_factory=dict)
    _duplicates: dict[tuple[str, str], Paper] = field(default_factory=dict, repr=False)

    @property
    def duplicate_papers(self) -> list[Paper]:
        return list(self._duplicates.values())

    def add_duplicate(self, paper: Paper, input_name: str) -> None:
        """Count a later copy of a kept paper (``paper.id`` is the kept one's) and keep what its metadata adds."""
        self.duplicates += 1
        slim = dataclasses.replace(paper, abstract="")  # the text stays the kept paper's
        held = self._duplicates.get((paper.id, input_name))
        self._duplicates[(paper.id, input_name)] = slim if held is None else held.merge(slim)


class _Seen:
    """The identities of the papers kept so far: arXiv id, DOI and normalised title, each to a paper id.

    Identities are kept as 64-bit hashes (a collision among millions of papers is
    vanishingly unlikely), so a run over the whole arXiv snapshot holds about
    200 bytes per paper here and nothing else.
    """

    def __init__(self) -> None:
        self._ids: dict[int, str] = {}

    @staticmethod
    def keys(paper: Paper) -> list[int]:
        keys = []
        if paper.arxiv_id:
            keys.append(hash("a:" + paper.arxiv_id))
        if paper.doi:
            keys.append(hash("d:" + paper.doi))
        title = normalise_title(paper.title)
        if title:
            keys.append(hash("t:" + title))
        return keys

    def find(self, paper: Paper) -> str | None:
        return next((self._ids[k] for k in self.keys(paper) if k in self._ids), None)

    def add(self, paper: Paper, paper_id: str) -> None:
        for key in self.keys(paper):
            self._ids.setdefault(key, paper_id)


# Undecodable bytes survive reading as lone surrogates U+DC80-U+DCFF (see sources.decode); JSON's
# "\\ud800" escapes give any other lone surrogate. Neither is a character UTF-8 can write.
_UNDECODED_BYTE = re.compile("[\udc80-\udcff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(text: str, latex: bool) -> str:
    # A lone surrogate in a secondary field (a name) becomes U+FFFD rather than costing the record.
    text = _SURROGATE.sub("\ufffd", text)
    return latex_to_text(text) if latex else collapse_whitespace(text)


def _text_problem(line: int | None, text: str) -> Problem | None:
    """The Problem of a title or abstract holding a lone surrogate, or None."""
    if _UNDECODED_BYTE.search(text):
        return Problem(line, "not UTF-8", "text is not UTF-8 (wrong encoding? re-save the file as UTF-8)")
    found = _SURROGATE.search(text)
    if found:
        return Problem(line, "not UTF-8", f"text holds a lone surrogate (\\u{ord(found.group()):04x}), which is no "
                                          "character (a broken JSON \\u escape?)")
    return None


def paper_from_record(record: RawRecord, source: str) -> Paper | Problem:
    """A clean Paper with its id, or the Problem that makes the record unusable."""
    line = record.line
    bad_text = _text_problem(line, record.title + record.abstract)
    if bad_text is not None:
        return bad_text
    if len(record.abstract or "") > MAX_ABSTRACT_CHARS:  # before cleaning, which costs time on a huge text
        return Problem(line, "abstract too long", f"{_quote(collapse_whitespace(record.title[:200]))}: abstract of "
                       f"{len(record.abstract):,} characters is longer than the {MAX_ABSTRACT_CHARS:,}-character limit")
    title = _clean(record.title or "", record.latex)
    abstract = _clean(record.abstract or "", record.latex)
    if not title:
        return Problem(line, "no title", "record has no title")
    if len(title) > MAX_TITLE_CHARS:
        return Problem(line, "no title", f"title of {len(title):,} characters is not a title")
    if not abstract:
        return Problem(line, "no abstract", f"{_quote(title)} has no abstract")
    if len(abstract.split()) < MIN_ABSTRACT_WORDS:
        return Problem(line, "no abstract", f"{_quote(title)}: abstract {_quote(abstract)} is too short")
    the_doi = doi(record.doi)
    the_doi = _clean(the_doi, False) if the_doi else None  # before the id is made of it
    the_arxiv = arxiv_id(record.arxiv_id) or arxiv_id_from_doi(the_doi) or (find_arxiv_id(record.url) if record.url else None)
    if arxiv_id_from_doi(the_doi):
        the_doi = None  # an arXiv-issued DOI says no more than the arXiv id
    paper_id = f"arxiv:{the_arxiv}" if the_arxiv else f"doi:{the_doi}" if the_doi else title_id(title)
    authors = [a for a in (_clean(a, record.latex) for a in record.authors) if a]
    return Paper(
        id=paper_id,
        title=title,
        abstract=abstract,
        authors=authors,
        n_authors=record.n_authors if record.n_authors is not None else (len(authors) or None),
        upvotes=record.upvotes,
        arxiv_id=the_arxiv,
        doi=the_doi,
        url=_clean(record.url, False) if record.url else (f"https://arxiv.org/abs/{the_arxiv}" if the_arxiv else None),
        venue=_clean(record.venue, record.latex) if record.venue else None,
        source=f"{source}:{line}" if line else source,
        **_date_fields(record, the_arxiv),
    )


def _date_fields(record: RawRecord, the_arxiv: str | None) -> dict[str, str]:
    """``date`` and ``date_source``: the best of the record's own date, its arXiv id's and its venue's."""
    claims = [DateClaim(record.date or "", record.date_source or "unknown"),
              DateClaim(arxiv_id_date(the_arxiv) or "", "arxiv-id"),
              DateClaim(venue_year(record.venue) or "", "venue")]
    found: PaperDate | None = best_date(claims)
    return {"date": found.date, "date_source": found.source} if found else {}


def _quote(text: str, width: int = 60) -> str:
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def problem_reporter(report: ReadReport, strict: bool,
                     on_problem: ProblemHandler | None) -> Callable[[InputError, str], None]:
    """What a reader does with a bad record or input: count it under its kind, then raise it
    (``strict``) or hand it to ``on_problem``."""

    def problem(err: InputError, kind: str) -> None:
        report.skipped[kind] += 1
        if strict:
            raise err
        if on_problem is not None:
            on_problem(err)

    return problem


def read_papers(
    inputs: Iterable[str],
    *,
    format: str | None = None,
    strict: bool = False,
    report: ReadReport | None = None,
    on_problem: ProblemHandler | None = None,
    columns: ColumnOptions | None = None,
) -> Iterator[Paper]:
    """Each paper of ``inputs`` once, cleaned and with its id (see the module docs).

    ``format`` forces one of :data:`FORMATS` for every input (default: detect
    per input). Raises :class:`~paperkg.extractors.errors.UsageError` for an unknown
    format; with ``strict``, the first :class:`InputError` met.
    """
    report = report if report is not None else ReadReport()
    columns = columns or ColumnOptions()
    seen = _Seen()
    if format is not None:
        parser_for(format)  # an unknown name fails before anything is read

    problem = problem_reporter(report, strict, on_problem)
    for name in inputs:
        try:
            source = open_source(name)
        except InputError as err:
            problem(err, "unreadable input")
            continue
        with source:
            yield from _read_source(source, format, columns, report, seen, problem)


def _read_source(source: Source, format: str | None, columns: ColumnOptions, report: ReadReport,
                 seen: _Seen, problem: Callable[[InputError, str], None]) -> Iterator[Paper]:
    try:
        fmt = format or detect_format(source)
    except InputError as err:
        problem(err, "unreadable input")
        return
    report.formats[source.name] = fmt
    records = 0
    try:
        for parsed in parser_for(fmt)(source, columns):
            records += 1
            report.read += 1
            item = paper_from_record(parsed, source.name) if isinstance(parsed, RawRecord) else parsed
            if isinstance(item, Problem):
                problem(BadRecord(source.name, item.reason, item.line), item.kind)
                continue
            kept_id = seen.find(item)
            if kept_id is not None:
                item.id = kept_id
                report.add_duplicate(item, source.name)
                seen.add(item, kept_id)
                continue
            seen.add(item, item.id)
            report.kept += 1
            report.kept_by_input[source.name] += 1
            yield item
    except DamagedInput as err:
        report.read += 1  # the lost tail: at least one record
        problem(BadRecord(source.name, f"{err}; the records before it were read", source.line or None), "truncated")
        return
    except InputError as err:
        problem(err, "unreadable input")
        return
    if not records:
        problem(InputError(source.name, f"no papers found (read as {fmt}; see --format, one of {', '.join(FORMATS)})"),
                "no papers")

"""BibTeX libraries with ``abstract`` fields, parsed with bibtexparser (v2).

The file is cut into entries at lines starting with ``@`` and each entry is
parsed on its own (with the ``@string`` macros seen so far), so a library of
any size streams and one broken entry costs only itself. LaTeX in titles,
abstracts and names (``{\\'e}``, ``$\\ell_1$``, ``\\textit{}``) is converted by the
reading loop.

>>> import io
>>> from paperkg.extractors.readers.sources import Source
>>> text = b"@article{k, title={Sparse {GPT}}, author={Bal{\\\\'a}zs, C. and Doe, J.},\\n abstract={We prune it.}}\\n"
>>> [(r.title, r.authors) for r in parse_bibtex(Source("l.bib", io.BytesIO(text), text))]
[('Sparse {GPT}', ["C. Bal{\\\\'a}zs", 'J. Doe'])]
"""

from __future__ import annotations

import logging
import re
from typing import Iterator

import bibtexparser
from bibtexparser.model import ImplicitComment

from .base import ColumnOptions, Parsed, Problem, RawRecord
from .sources import MAX_LINE_BYTES, Source

__all__ = ["parse_bibtex", "entry_record"]

# bibtexparser logs each failed block; the reading loop reports them itself.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False

_ENTRY_START = re.compile(r"^\s*@\s*([A-Za-z]+)\s*[{(]")
_NOT_PAPERS = {"string", "preamble", "comment"}
_ANY_ENTRY_START = re.compile(r"@\s*[A-Za-z]+\s*[{(]")
# bibtexparser makes a block of every entry start, even within a line, and keeps each failed one:
# a line of thousands of "@article{" would cost over a hundred times its size.
_MAX_ENTRY_STARTS = 64


def _name(author: str) -> str:
    """``Last, First`` as ``First Last``."""
    author = " ".join(author.split())
    if author.count(",") == 1:
        last, first = (part.strip() for part in author.split(","))
        return f"{first} {last}".strip()
    return author


def entry_record(fields: dict[str, str], line: int) -> RawRecord:
    """One entry's fields (lower-case names) as a record."""
    eprint = fields.get("eprint", "")
    is_arxiv = "arxiv" in (fields.get("archiveprefix", "") + fields.get("eprinttype", "") + fields.get("journal", "")).lower()
    date, date_source = (fields["date"], "bibtex-date") if fields.get("date") else (
        f"{fields.get('year', '')} {fields.get('month', '')}".strip(), "bibtex-year")
    return RawRecord(
        line,
        fields.get("title", ""),
        fields.get("abstract", ""),
        authors=[_name(a) for a in re.split(r"\s+and\s+", fields.get("author", "")) if a.strip()],
        date=date or None,
        date_source=date_source,
        arxiv_id=eprint if (eprint and is_arxiv) else None,
        doi=fields.get("doi") or None,
        url=fields.get("url") or None,
        venue=fields.get("journal") or fields.get("booktitle") or None,
        latex=True,
    )


def _entries(source: Source) -> Iterator[tuple[int, str] | Problem]:
    """``(first line, text)`` of each ``@`` block."""
    start, size = 0, 0
    chunk: list[str] = []
    for item in source.lines():
        if isinstance(item, Problem):
            yield item
            continue
        number, text = item
        if text.lstrip().startswith("@"):
            if chunk:
                yield start, "\n".join(chunk)
            start, chunk, size = number, [], 0
        if size > MAX_LINE_BYTES:
            continue
        chunk.append(text)
        size += len(text)
        if size > MAX_LINE_BYTES:
            yield Problem(start, "line-too-long", f"entry longer than {MAX_LINE_BYTES:,} bytes")
            chunk = []
    if chunk:
        yield start, "\n".join(chunk)


def parse_bibtex(source: Source, columns: ColumnOptions | None = None) -> Iterator[Parsed]:
    """Records of a BibTeX input (a :class:`~paperkg.extractors.readers.sources.Source`)."""
    strings: list[str] = []
    for item in _entries(source):
        if isinstance(item, Problem):
            yield item
            continue
        line, text = item
        kind = _ENTRY_START.match(text)
        if not kind:
            if text.lstrip().startswith("@"):
                start = text.lstrip().splitlines()[0][:40]
                yield Problem(line, "malformed BibTeX", f"malformed BibTeX entry: {start!r} is not an @type{{key, start")
            continue  # else text before the first entry: comments
        starts = len(_ANY_ENTRY_START.findall(text))  # a @string too: every later entry is parsed after it
        if starts > _MAX_ENTRY_STARTS:
            yield Problem(line, "malformed BibTeX", f"malformed BibTeX: {starts:,} entry starts in one entry's lines")
            continue
        if kind.group(1).lower() in _NOT_PAPERS:
            if kind.group(1).lower() == "string":
                strings.append(text)
            continue
        prefix = "\n".join(strings)
        library = bibtexparser.parse_string(prefix + "\n" + text if prefix else text)
        if library.failed_blocks or not library.entries:
            failed = library.failed_blocks[0] if library.failed_blocks else None
            reason = str(getattr(failed, "error", "")) or "not a complete entry"
            yield Problem(line, "malformed BibTeX", f"malformed BibTeX entry ({reason.splitlines()[0][:120]})")
            continue
        for entry in library.entries:
            fields = {f.key.lower(): f.value if isinstance(f.value, str) else str(f.value) for f in entry.fields}
            yield entry_record(fields, line)
        for block in library.blocks:
            # Fields outside any entry: an entry whose "@type{key," start was damaged.
            if isinstance(block, ImplicitComment) and re.search(r"\w\s*=\s*[{\"]", block.comment):
                yield Problem(line + (block.start_line or 0), "malformed BibTeX",
                              "fields outside any entry (its @type{key, start is damaged)")

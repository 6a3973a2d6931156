"""arXiv API results: Atom feeds (``export.arxiv.org/api/query``), parsed incrementally with lxml.

Each ``<entry>`` is read as soon as it ends and then freed, so a feed of any
length takes constant memory. An entry the API uses to report an error (its
``<id>`` under ``/api/errors``) is reported, and a feed that breaks off is
reported where it ends, after the entries before it.
"""

from __future__ import annotations

import re
from typing import Iterator

from lxml import etree

from .base import DateFields, Parsed, Problem, RawRecord
from .sources import Source

__all__ = ["ATOM", "ARXIV", "parse_atom", "entry_record"]

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"

# An entry counts only once its end tag is in the file: on a broken feed, newer libxml2 closes
# the open entry itself and reports it, as if the file had held the rest of it.
_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?entry\s*>")


def _text(entry, tag: str) -> str:
    return (entry.findtext(tag) or "").strip()


def _date(entry) -> DateFields:
    """``date`` and ``date_source``: the first version's ``published``, else the last one's ``updated``."""
    for tag, source in (("published", "arxiv-published"), ("updated", "arxiv-updated")):
        if _text(entry, ATOM + tag):
            return {"date": _text(entry, ATOM + tag), "date_source": source}
    return {}


def entry_record(entry) -> Parsed:
    """One ``<entry>`` as a record (or the API error it reports)."""
    the_id = _text(entry, ATOM + "id")
    line = entry.sourceline
    if "/api/errors" in the_id:
        return Problem(line, "arXiv API error", f"arXiv API error: {_text(entry, ATOM + 'summary') or the_id}")
    links = entry.findall(ATOM + "link")
    doi_link = next((link.get("href") for link in links if link.get("title") == "doi"), None)
    alternate = next((link.get("href") for link in links if link.get("rel") == "alternate"), None)
    return RawRecord(
        line,
        _text(entry, ATOM + "title"),
        _text(entry, ATOM + "summary"),
        authors=[name for a in entry.findall(ATOM + "author") if (name := _text(a, ATOM + "name"))],
        **_date(entry),
        arxiv_id=the_id or None,
        doi=_text(entry, ARXIV + "doi") or doi_link,
        url=alternate or the_id or None,
        venue=_text(entry, ARXIV + "journal_ref") or None,
        latex=True,
    )


def parse_atom(source: Source, columns=None) -> Iterator[Parsed]:
    """Records of an Atom feed (a :class:`~paperkg.extractors.readers.sources.Source`).

    The feed is fed to a pull parser line by line, so every entry before a break is read.
    """
    parser = etree.XMLPullParser(events=("end",), tag=ATOM + "entry", resolve_entities=False, no_network=True)
    error = None
    ends_in_file = read = 0
    tail = b""  # the end of the last chunk, for an end tag split across two chunks
    while error is None:
        chunk = source.stream.readline(1 << 16)  # by lines: entries before a break are not lost with it
        ends_in_file += len(_ENTRY_END.findall(tail + chunk)) - len(_ENTRY_END.findall(tail))
        tail = chunk[-16:]
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except etree.XMLSyntaxError as err:
            error = err
        for _, entry in parser.read_events():
            if read == ends_in_file:
                break
            read += 1
            yield entry_record(entry)
            source.line = entry.sourceline or source.line
            entry.clear(keep_tail=False)
            parent = entry.getparent()
            while parent is not None and entry.getprevious() is not None:
                del parent[0]
        if not chunk:
            break
    if error is not None:
        ends = not chunk or "end" in str(error).lower() or "premature" in str(error).lower()
        what = "feed breaks off (truncated file?)" if ends else "malformed XML"
        yield Problem(error.lineno or source.line or None, "truncated" if ends else "malformed XML",
                      f"{what}: {_first_line(error.msg)}; entries after it are not read")


def _first_line(message: str) -> str:
    """libxml2's message without the document text some of its messages quote on the lines after."""
    return message.strip().splitlines()[0] if message.strip() else "no detail"

"""Paper-listing pages saved as HTML ("Save page as..."), parsed with lxml.

The page is turned into the lines a browser would show (one per block
element; scripts, styles and navigation dropped) and read by the text listing
parser (:mod:`.listing`), so the same structure detection serves both. A title
inside a link to an arXiv or Hugging Face paper page takes its arXiv id from
the link. When the page embeds its listing as JSON for its scripts (Hugging
Face's ``data-props``), those records are read instead. A page with no papers that looks like an error page (``404``,
``Access denied``, a bot check) is reported as such: data is often saved
from a browser that was shown an error instead.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterator

from lxml import etree, html

from paperkg.extractors.errors import InputError

from .base import ColumnOptions, Parsed
from .cleaning import arxiv_id, collapse_whitespace
from .detect import json_record_format
from .jsonformats import map_record
from .listing import Line, papers_only, parse_listing_lines
from .sources import Source

__all__ = ["MAX_HTML_BYTES", "page_lines", "parse_html"]

#: A saved page larger than this is not a listing page.
MAX_HTML_BYTES = 64 * 1024 * 1024

_SKIP = {"script", "style", "noscript", "template", "svg", "head", "nav", "button", "select", "form", "iframe"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "body", "br", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "html", "li",
    "main", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
}
_ERROR_PAGE = re.compile(
    r"\b(?:404|403|500|502|503|not found|access denied|forbidden|error|just a moment|attention required|"
    r"captcha|too many requests|rate limit|unavailable|sign in|log in)\b",
    re.I,
)


def _paper_link(element) -> str | None:
    href = element.get("href") if element.tag == "a" else None
    if href and href.startswith("/papers/"):  # a link within a saved Hugging Face page
        href = "https://huggingface.co" + href
    return arxiv_id(href) if href else None


@dataclass
class _Block:
    """The block of text being read: the line it starts on and the arXiv id it links to."""

    line: int = 1
    arxiv_id: str | None = None


def page_lines(root) -> list[Line]:
    """The visible text of a parsed page, one :class:`Line` per block, with linked arXiv ids."""
    lines: list[Line] = []
    parts: list[str] = []
    block = _Block()

    def flush() -> None:
        text = collapse_whitespace("".join(parts))
        if text:
            lines.append(Line(block.line, text, arxiv_id=block.arxiv_id))
        parts.clear()
        block.arxiv_id = None

    def add(text: str | None, line: int | None) -> None:
        if text:
            if not parts:
                block.line = line or block.line
            parts.append(text)

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _SKIP or not tag:
                walker.skip_subtree()
                continue
            if tag in _BLOCK:
                flush()
            found = _paper_link(element)
            if found:
                block.arxiv_id = found
            add(element.text, element.sourceline)
        else:
            if tag in _BLOCK:
                flush()
            add(element.tail, element.sourceline)
    flush()
    return lines


def _read_page(source: Source) -> bytes:
    # In pieces: one read of the whole limit allocates the limit (64 MB, three times over) for any page.
    chunks, size = [], 0
    while size <= MAX_HTML_BYTES:
        chunk = source.stream.read(1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_HTML_BYTES:
        raise InputError(source.name, f"HTML page larger than {MAX_HTML_BYTES >> 20} MB: not a listing page")
    return b"".join(chunks)


def _paper_objects(value, depth: int = 0) -> Iterator[dict]:
    """Objects in embedded page data that carry a paper: a title and a long abstract or summary."""
    if depth > 40:
        return
    if isinstance(value, dict):
        paper = value.get("paper")
        inner = paper if isinstance(paper, dict) else value
        text = inner.get("summary") or inner.get("abstract")
        if isinstance(inner.get("title"), str) and isinstance(text, str) and len(text.split()) >= 20:
            yield value
            return
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            yield from _paper_objects(item, depth + 1)


def embedded_records(root) -> Iterator[Parsed]:
    """Papers in the data a page embeds for its scripts (``data-props`` attributes, JSON script tags).

    Sites that render with JavaScript (Hugging Face's daily papers) ship the whole
    listing as JSON inside the page; it is richer than the visible text (ids, authors).
    """
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "script" and "json" in (element.get("type") or ""):
            payload = element.text or ""
        else:
            payload = element.get("data-props") or ""
        if "{" not in payload:
            continue
        try:
            value = json.loads(payload)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than page data of papers is
            continue
        for record in _paper_objects(value):
            yield map_record(record, element.sourceline or 1, json_record_format(record), ColumnOptions())


def parse_html(source: Source, columns: ColumnOptions | None = None) -> Iterator[Parsed]:
    """Records of a listing page saved as HTML (a :class:`~paperkg.extractors.readers.sources.Source`)."""
    data = _read_page(source)
    try:
        root = html.document_fromstring(data, parser=html.HTMLParser(encoding="utf-8", recover=True, no_network=True))
    except (etree.ParserError, ValueError) as err:
        raise InputError(source.name, f"cannot parse HTML: {err}") from None
    found = 0
    for item in embedded_records(root):
        found += 1
        yield item
    for item in papers_only(parse_listing_lines(page_lines(root)), source.name) if not found else ():
        found += 1
        yield item
    if not found:
        title = collapse_whitespace(root.findtext(".//title") or "")
        body = collapse_whitespace(root.text_content())[:200]
        if _ERROR_PAGE.search(title) or _ERROR_PAGE.search(body) or len(body) < 200:
            shown = title or body[:80]
            raise InputError(source.name, f"an HTML page with no papers ({shown!r}): an error page saved instead of data?")
        raise InputError(source.name, "an HTML page with no paper listing (no titles followed by abstracts)")

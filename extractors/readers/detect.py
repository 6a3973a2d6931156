"""Which format an input is in, from its first bytes (never from its name).

>>> detect_text('{"id": "0704.0001", "submitter": "A", "title": "T", "abstract": "x"}\\n')
'arxiv-oai'
>>> detect_text('<?xml version="1.0"?>\\n<feed xmlns="http://www.w3.org/2005/Atom">')
'arxiv-atom'
>>> detect_text('@article{key,\\n  title = {T},\\n  abstract = {A}\\n}')
'bibtex'
>>> detect_text('title\\tabstract\\nT\\tA\\n')
'tsv'
"""

from __future__ import annotations

import csv
import json
import re

from paperkg.extractors.errors import InputError

from .jsonstream import loads
from .listing import looks_like_listing
from .sources import Source, decode

__all__ = ["FORMATS", "RECORD_LISTS", "detect_format", "detect_text", "json_record_format"]

#: Format names, as ``--format`` takes them.
FORMATS = (
    "listing",
    "listing-html",
    "hf-daily",
    "arxiv-atom",
    "arxiv-oai",
    "semantic-scholar",
    "openalex",
    "csv",
    "tsv",
    "jsonl",
    "bibtex",
    "text",
)

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>\s*", re.I)
_HTML = re.compile(r"^\s*(?:<!--.*?-->\s*)*(?:<!doctype\s+html|<html|<head|<body|<meta|<title|<div|<p>)", re.I | re.S)
_ATOM = re.compile(r"<feed\b[^>]*http://www\.w3\.org/2005/Atom|<feed\b", re.I)
_BIBTEX_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.M)
#: A plain-text input needs a paragraph of this many words to hold any abstract.
MIN_PROSE_WORDS = 25
#: Keys under which an API response object holds its array of records.
RECORD_LISTS = ("data", "results", "papers", "items", "records", "entries", "works")
_KEY_SNIFF_CHARS = 16384
# Column names a header must show to be taken for a CSV/TSV of papers.
_PAPER_COLUMNS = re.compile(r"title|abstract|summary", re.I)


def json_record_format(record: object) -> str:
    """The source a JSON record comes from, by the keys it has (``jsonl`` when none is recognised).

    >>> json_record_format({"paper": {"id": "2406.18629", "summary": "..."}, "numComments": 2})
    'hf-daily'
    >>> json_record_format({"paperId": "abc", "title": "T", "abstract": None})
    'semantic-scholar'
    """
    if not isinstance(record, dict):
        return "jsonl"
    if "abstract_inverted_index" in record or str(record.get("id", "")).startswith("https://openalex.org/"):
        return "openalex"
    if "paperId" in record or "externalIds" in record:
        return "semantic-scholar"
    if isinstance(record.get("paper"), dict) or ("summary" in record and ("upvotes" in record or "publishedAt" in record)):
        return "hf-daily"
    if "submitter" in record or "authors_parsed" in record or ("versions" in record and "abstract" in record):
        return "arxiv-oai"
    return "jsonl"


def _first_json_record(text: str) -> object:
    """The first record a JSON or JSON Lines head shows, or None."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    try:
        value = loads(first_line)
    except ValueError:
        # A pretty-printed document: decode its first record, under a records key or in the top array.
        keys = "|".join(RECORD_LISTS)
        start = re.search(rf'"(?:{keys})"\s*:\s*\[\s*(?=\{{)', text)
        at = start.end() if start else text.find("{", 1 if text.startswith("[") else 0)
        try:
            value, _ = json.JSONDecoder().raw_decode(text, max(at, 0))
        except (ValueError, RecursionError):
            return _key_guess(text)
    while True:
        if isinstance(value, list):
            value = next((v for v in value if isinstance(v, dict)), None)
        elif isinstance(value, dict) and any(isinstance(value.get(k), list) for k in RECORD_LISTS):
            value = next(value[k] for k in RECORD_LISTS if isinstance(value.get(k), list))
        else:
            return value


def _key_guess(text: str) -> dict:
    """Keys seen in a head too broken (or too cut) to parse, with their short string values: enough to
    tell the sources apart (an OpenAlex work's ``"id": "https://openalex.org/..."``)."""
    return dict(re.findall(r'"([A-Za-z_]+)"\s*:\s*(?:"([^"\\\n]{0,200})")?', text[:_KEY_SNIFF_CHARS]))


_JSON_LINE = re.compile(
    r'^\s*(?:"[^"\n]{1,80}"\s*:.*|[\[\]{}]+,?|-?\d[\d.eE+-]*,?|"[^"\n]*",?|true,?|false,?|null,?)\s*$'
)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]{0,300})?/?>")


def _looks_like_json(text: str) -> bool:
    """JSON whose start is lost: most of its first lines are members, brackets or array items."""
    lines = [line for line in text[:8192].splitlines() if line.strip()][:40]
    objects = sum(line.lstrip().startswith("{") and line.rstrip().endswith("}") for line in lines)
    return len(lines) >= 3 and (sum(bool(_JSON_LINE.match(line)) for line in lines) + objects) * 2 > len(lines)


def _markup(text: str) -> str | None:
    """``arxiv-atom`` or ``listing-html`` for markup whose start is lost (no declaration, no root)."""
    head = text[:16384]
    if len(_TAG.findall(head)) < 5:
        return None
    return "arxiv-atom" if re.search(r"<entry[\s>]", head) and "</entry>" in head else "listing-html"


def _delimited(text: str) -> str | None:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return None
    for name, delimiter in (("tsv", "\t"), ("csv", ",")):
        if delimiter not in lines[0]:
            continue
        header = next(csv.reader([lines[0]], delimiter=delimiter))
        if len(header) >= 2 and _PAPER_COLUMNS.search(" ".join(header)) and all(len(h) <= 80 for h in header):
            return name
    return None


def detect_text(text: str) -> str:
    """The format of an input whose first characters are ``text``."""
    stripped = _XML_DECL.sub("", text.lstrip("\ufeff"), count=1)
    if _HTML.match(stripped):
        return "listing-html"
    if _ATOM.search(stripped[:4096]) and "<" in stripped.lstrip()[:200]:
        return "arxiv-atom"
    if stripped.lstrip().startswith(("{", "[")) or _looks_like_json(stripped):
        return json_record_format(_first_json_record(stripped.lstrip()))
    first = next((line for line in stripped.splitlines() if line.strip() and not line.lstrip().startswith("%")), "")
    if _BIBTEX_ENTRY.match(first):
        return "bibtex"
    delimited = _delimited(stripped)
    if delimited:
        return delimited
    markup = _markup(stripped)
    if markup or stripped.lstrip().startswith("<"):
        return markup or "listing-html"
    return "listing" if looks_like_listing(stripped.splitlines()) else "text"


def detect_format(source: Source) -> str:
    """The format of an opened input, from its first bytes."""
    text = decode(source.head)
    if not text.strip():
        raise InputError(source.name, "empty input")
    fmt = detect_text(text)
    if fmt == "text" and not any(len(p.split()) >= MIN_PROSE_WORDS for p in re.split(r"\n\s*\n", text)):
        raise InputError(source.name, "no papers found: no title followed by an abstract, and no paragraph long "
                                      "enough to be an abstract (a page with no papers?)")
    return fmt

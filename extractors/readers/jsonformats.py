"""JSON sources: Hugging Face daily papers, Semantic Scholar, OpenAlex, the arXiv OAI snapshot, any JSON.

Each source has a record mapper (one JSON object to a :class:`RawRecord` or a
:class:`Problem`); :func:`parse_json` runs one over a JSON Lines file (one
record a line, as the arXiv snapshot and OpenAlex dumps come) or a JSON
document (an API response: an array, or an object holding the array under
``data``, ``results``, ...), whichever the input is. Both stream.

Generic records (format ``jsonl``, also CSV/TSV rows) find their title,
abstract and id under the usual names, or under the :class:`ColumnOptions`
given (a key, or a dotted path such as ``paper.summary``).

>>> openalex_record({"title": "T", "abstract_inverted_index": {"We": [0], "scale": [1], "it.": [2]}}, 1).abstract
'We scale it.'
"""

from __future__ import annotations

import io
import json
import re
from typing import Any, Callable, Iterator

from .base import ColumnOptions, DateFields, Parsed, Problem, RawRecord, text_value
from .cleaning import arxiv_id, collapse_whitespace, doi
from .detect import RECORD_LISTS, json_record_format
from .jsonstream import DUPLICATE_KEY, iter_json_records, loads
from .listing import NAME_PARTICLES
from .sources import MAX_LINE_BYTES, SNIFF_BYTES, Source, decode

__all__ = [
    "hf_record",
    "semantic_scholar_record",
    "openalex_record",
    "arxiv_oai_record",
    "generic_record",
    "map_record",
    "column_list",
    "parse_json",
    "is_json_document",
]

TITLE_KEYS = ("title", "paper_title", "name")
ABSTRACT_KEYS = ("abstract", "summary", "abstract_text", "description", "text")
ID_KEYS = ("arxiv_id", "arxiv", "doi", "id", "paper_id", "paperId", "url")


def _text(value: Any) -> str:
    return text_value(value) or ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


_ELIDED_PARTICLE = re.compile(r"^[a-z]'[A-Z]")  # d'Orsi


def _full_name(text: str) -> bool:
    """Whether one side of "A, B" is a whole name (a given name, then capitalised words or particles),
    not a last name alone.

    >>> _full_name("Ada Lovelace"), _full_name("Guy Van den Broeck"), _full_name("Lovelace"), _full_name("De la Cruz")
    (True, True, False, False)
    """
    words = text.split()
    if len(words) < 2 or not words[0][:1].isupper() or words[0].lower() in NAME_PARTICLES:
        return False
    return all(w[:1].isupper() or w.lower() in NAME_PARTICLES or _ELIDED_PARTICLE.match(w) for w in words[1:])


def _last_name_first(authors: str) -> bool:
    """Whether an author field is "Last, First" names: ``;``-separated, or one comma between parts
    that are not both whole names ("Lovelace, Ada" yes; "Ada Lovelace, Alan Turing" is two authors)."""
    if ";" in authors:
        return True
    if authors.count(",") != 1 or " and " in authors:
        return False
    return not all(_full_name(part) for part in authors.split(","))


def _names(authors: Any) -> list[str]:
    """Author names from a list of strings or of ``{"name"}`` / ``{"author": {"display_name"}}`` objects."""
    if isinstance(authors, str):
        if _last_name_first(authors):
            # "Raman, Priya; Nyberg, Oskar" (reference managers): last name first
            return [" ".join(reversed([p.strip() for p in a.split(",", 1)])) for a in authors.split(";") if a.strip()]
        return [a.strip() for a in authors.replace(" and ", ",").split(",") if a.strip()]
    names = []
    for author in _list(authors):
        if isinstance(author, dict):
            author = author.get("name") or author.get("display_name") or _dict(author.get("author")).get("display_name")
        name = text_value(author)
        if name:
            names.append(name)
    return names


def hf_record(record: dict, line: int) -> RawRecord:
    """A Hugging Face ``/api/daily_papers`` item (``{"paper": {...}, ...}``) or ``/api/papers/ID`` object."""
    paper = _dict(record.get("paper")) or record
    pid = _text(paper.get("id"))
    return RawRecord(
        line,
        _text(paper.get("title") or record.get("title")),
        _text(paper.get("summary") or record.get("summary") or paper.get("abstract")),
        authors=_names(paper.get("authors")),
        date=_text(paper.get("publishedAt") or record.get("publishedAt")) or None,
        date_source="hf-publishedAt",
        upvotes=_int(paper.get("upvotes")),
        arxiv_id=pid or None,
        url=f"https://huggingface.co/papers/{pid}" if arxiv_id(pid) else None,
        latex=True,
    )


def semantic_scholar_record(record: dict, line: int) -> RawRecord:
    """A Semantic Scholar Graph API paper (``paperId``, ``externalIds``, ``title``, ``abstract``, ...)."""
    external = _dict(record.get("externalIds"))
    return RawRecord(
        line,
        _text(record.get("title")),
        _text(record.get("abstract")),
        authors=_names(record.get("authors")),
        **_first_date(record, ("publicationDate", "semantic-scholar-publicationDate"), ("year", "semantic-scholar-year")),
        arxiv_id=_text(external.get("ArXiv")) or None,
        doi=_text(external.get("DOI")) or None,
        url=_text(record.get("url")) or None,
        venue=_text(record.get("venue")) or _text(_dict(record.get("journal")).get("name")) or None,
    )


def _inverted_abstract(index: Any) -> str:
    """The abstract an OpenAlex ``abstract_inverted_index`` (word to positions) encodes."""
    words = [
        (pos, word)
        for word, positions in _dict(index).items()
        for pos in _list(positions)
        if isinstance(pos, int) and not isinstance(pos, bool)
    ]
    return " ".join(word for _, word in sorted(words))


def openalex_record(record: dict, line: int) -> RawRecord:
    """An OpenAlex work; the abstract is rebuilt from ``abstract_inverted_index``."""
    locations = [_dict(record.get("primary_location")), *map(_dict, _list(record.get("locations")))]
    landing = [_text(loc.get("landing_page_url")) for loc in locations]
    the_arxiv = next((found for url in landing if (found := arxiv_id(url))), None)
    return RawRecord(
        line,
        _text(record.get("title") or record.get("display_name")),
        _inverted_abstract(record.get("abstract_inverted_index")) or _text(record.get("abstract")),
        authors=_names(record.get("authorships")),
        **_first_date(record, ("publication_date", "openalex-publication_date"),
                      ("publication_year", "openalex-publication_year")),
        arxiv_id=the_arxiv,
        doi=_text(record.get("doi")) or _text(_dict(record.get("ids")).get("doi")) or None,
        url=next((url for url in landing if url), None) or _text(record.get("id")) or None,
        venue=_text(_dict(locations[0].get("source")).get("display_name")) or None,
    )


def _first_date(record: dict, *fields: tuple[str, str]) -> DateFields:
    """``date`` and ``date_source`` from the first of ``(key, source)`` the record fills, else nothing."""
    for key, source in fields:
        if _text(record.get(key)):
            return {"date": _text(record.get(key)), "date_source": source}
    return {}


def _first_version(record: dict) -> dict:
    versions = _list(record.get("versions"))
    return _dict(versions[0]) if versions else {}


def arxiv_oai_record(record: dict, line: int) -> RawRecord:
    """A line of the arXiv metadata snapshot (Kaggle ``arxiv-metadata-oai-snapshot.json``)."""
    parsed = [p for p in _list(record.get("authors_parsed")) if isinstance(p, list) and p]
    authors = [" ".join(_text(part) for part in (p[1:2] + p[:1] + p[2:3]) if _text(part)) for p in parsed]
    the_id = _text(record.get("id"))
    return RawRecord(
        line,
        _text(record.get("title")),
        _text(record.get("abstract")),
        authors=[a for a in authors if a] or _names(record.get("authors")),
        **_first_date({"created": _first_version(record).get("created"), "update_date": record.get("update_date")},
                      ("created", "arxiv-created"), ("update_date", "arxiv-update_date")),
        arxiv_id=the_id or None,
        doi=_text(record.get("doi")) or None,
        url=f"https://arxiv.org/abs/{the_id}" if arxiv_id(the_id) else None,
        venue=_text(record.get("journal-ref")) or None,
        latex=True,
    )


def _path(record: dict, path: str) -> tuple[bool, Any]:
    """(found, value) of a key or dotted path."""
    value: Any = record
    if path in record:
        return True, record[path]
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def find_column(keys: list[str], option: str | None, candidates: tuple[str, ...]) -> str | None:
    """The key to read: ``option`` itself, else the first usual name present (any case)."""
    if option:
        return option
    lowered = {k.lower(): k for k in keys if isinstance(k, str)}
    exact = next((lowered[c.lower()] for c in candidates if c.lower() in lowered), None)
    # "Abstract Note" (Zotero), "Article Title" (Web of Science): the usual word inside a longer name.
    return exact or next((key for low, key in lowered.items() if candidates[0] in low.split()), None)


def generic_record(record: dict, line: int, columns: ColumnOptions) -> RawRecord | Problem:
    """A record of any other JSON or a CSV/TSV row, read through the column options."""
    keys = list(record)
    values = {}
    for role, option, candidates, flag in (
        ("title", columns.title_col, TITLE_KEYS, "--title-col"),
        ("abstract", columns.abstract_col, ABSTRACT_KEYS, "--abstract-col"),
        ("id", columns.id_col, ID_KEYS, "--id-col"),
    ):
        column = find_column(keys, option, candidates)
        found, value = _path(record, column) if column else (False, None)
        if option and not found:
            return Problem(line, f"no {role}", f"no column {option!r} (columns: {column_list(keys)})")
        if column is None and role != "id":
            return Problem(line, f"no {role}", f"no {role} column (columns: {column_list(keys)}); name it with {flag}")
        values[role] = _text(value)
    # Without --id-col every usual id column is tried (a DOI column may be empty where a URL has the id).
    ids = [values["id"]] if columns.id_col else [_text(_field(record, name)) for name in ID_KEYS]
    the_arxiv = next((i for i in ids if arxiv_id(i)), None)
    the_doi = next((i for i in ids if doi(i)), None)
    return RawRecord(
        line,
        values["title"],
        values["abstract"],
        authors=_names(_field(record, "authors", "author")),
        **_column_date(record),
        arxiv_id=the_arxiv,
        doi=None if the_arxiv else the_doi,
        url=_text(_field(record, "url", "link")) or None,
        venue=_text(_field(record, "venue", "journal", "publication title", "booktitle")) or None,
        latex=True,
    )


def _field(record: dict, *names: str) -> Any:
    """The value of the first of ``names`` the record has, in any case."""
    lowered = {k.lower(): k for k in record if isinstance(k, str)}
    return next((record[lowered[n]] for n in names if n in lowered and record[lowered[n]] not in (None, "")), None)


#: The columns a record's date is read from, first found first (Zotero: "Date", "Publication Year").
DATE_KEYS = ("date", "published", "publication date", "publication_date", "year", "publication year")


def _column_date(record: dict) -> DateFields:
    """``date`` and ``date_source`` (``column:NAME``) from the first date column the record fills."""
    lowered = {k.lower(): k for k in record if isinstance(k, str)}
    for name in DATE_KEYS:
        if name in lowered and _text(record[lowered[name]]):
            return {"date": _text(record[lowered[name]]), "date_source": f"column:{lowered[name]}"}
    return {}


def column_list(keys: list) -> str:
    """Column names as a message shows them: the first 12, each on one line and cut at 40 characters.

    >>> column_list(["Title", "a\\nvery " + "long " * 20])
    'Title, a very long long long long long long lo…'
    """
    names = [collapse_whitespace(str(key)) for key in keys[:12]]
    shown = ", ".join(name if len(name) <= 40 else name[:39] + "…" for name in names) or "none"
    return shown + (", ..." if len(keys) > 12 else "")


_MAPPERS: dict[str, Callable[[dict, int], RawRecord]] = {
    "hf-daily": hf_record,
    "semantic-scholar": semantic_scholar_record,
    "openalex": openalex_record,
    "arxiv-oai": arxiv_oai_record,
}


def map_record(record: Any, line: int, fmt: str, columns: ColumnOptions) -> Parsed:
    if record is None:
        return Problem(line, "null record", "null record (the API found no paper for this id)")
    if not isinstance(record, dict):
        return Problem(line, "not a record", f"a JSON {type(record).__name__}, not a record object")
    if DUPLICATE_KEY in record or any(isinstance(v, dict) and DUPLICATE_KEY in v for v in record.values()):
        key = record.get(DUPLICATE_KEY) or next(v[DUPLICATE_KEY] for v in record.values() if isinstance(v, dict) and DUPLICATE_KEY in v)
        return Problem(line, "malformed JSON", f"key {key!r} appears twice in one record (two records run together?)")
    message = record.get("error") or record.get("message") or record.get("detail")
    if isinstance(message, (str, dict)) and "title" not in record and "paper" not in record and len(record) <= 6:
        if isinstance(message, dict):
            message = message.get("message") or json.dumps(message)
        return Problem(line, "API error", f"an API error response, not paper data: {str(message)[:200]!r}")
    if fmt == "jsonl" and columns == ColumnOptions():
        fmt = json_record_format(record)  # a known source inside a generic file
    if fmt in _MAPPERS:
        return _MAPPERS[fmt](record, line)
    return generic_record(record, line, columns)


def is_json_document(lines: list[str]) -> bool:
    """Whether an input is one JSON document (else JSON Lines): it starts with ``{`` or ``[``, and most of its
    first whole lines are no JSON value. Lines of garbage before the records make no document."""
    lines = [line for line in lines if line.strip()][:10]
    if not lines or not lines[0].lstrip().startswith(("{", "[")):
        return False
    whole = 0
    for line in lines:
        try:
            loads(line)
            whole += 1
        except ValueError:
            pass
    return whole * 2 < len(lines) or (len(lines) == 1 and not whole)


_TOP_RECORD_LIST = re.compile(r'^\s*\{\s*"(?:%s)"\s*:\s*\[' % "|".join(RECORD_LISTS))


def _is_json_document(source: Source) -> bool:
    """Whether an input is one JSON document, judged on whole lines only, never on the first record's size.

    The sniffed head may end inside a line; when not even the first line is whole in it (a JSON Lines
    record over 64 KiB), that line is read ahead and judged alone.
    """
    head = decode(source.head).lstrip("\ufeff")
    lines = head.splitlines()
    if len(source.head) >= SNIFF_BYTES and not head.endswith(("\n", "\r")):
        lines = lines[:-1]  # cut where the head ends
    if any(line.strip() for line in lines):
        return is_json_document(lines)
    first = source.peek_line()
    if first.endswith(b"\n") or len(first) < MAX_LINE_BYTES:
        return is_json_document([decode(first).lstrip("\ufeff")])
    # A line longer than any record: a minified document holds its records in an array, a JSON Lines line is one.
    return not head.lstrip().startswith("{") or bool(_TOP_RECORD_LIST.match(head))


def _json_lines(source: Source) -> Iterator[tuple[int, Any] | Problem]:
    for item in source.lines():
        if isinstance(item, Problem):
            yield item
            continue
        number, text = item
        if not text.strip():
            continue
        try:
            value = loads(text)
        except ValueError as err:
            msg = getattr(err, "msg", str(err))
            cut = msg.startswith("Unterminated") or getattr(err, "pos", 0) >= len(text.rstrip()) - 1
            yield Problem(number, "malformed JSON", f"malformed JSON: {msg}" + (" (the line ends early)" if cut else ""))
            continue
        # A one-line API response holds its records in an array.
        if isinstance(value, dict):
            inner = next((value[k] for k in RECORD_LISTS if isinstance(value.get(k), list)), None)
            value = inner if inner is not None else value
        for record in value if isinstance(value, list) else [value]:
            yield number, record


def parse_json(source: Source, columns: ColumnOptions, fmt: str) -> Iterator[Parsed]:
    """Records of a JSON or JSON Lines input read as format ``fmt``."""
    if _is_json_document(source):
        text = io.TextIOWrapper(source.stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
        items = iter_json_records(text, RECORD_LISTS)
    else:
        items = _json_lines(source)
    for item in items:
        if isinstance(item, Problem):
            yield item
            continue
        line, record = item
        source.line = line
        yield map_record(record, line, fmt, columns)

"""Publication dates: what each source says, read as ISO dates, and the one a paper keeps.

A source states a date in its own way (an Atom ``published`` timestamp, an RFC 2822
``created`` of the arXiv snapshot, a BibTeX ``year`` and ``month``, a venue such as
"ICML 2022", the year-month inside an arXiv id). Each statement is a :class:`DateClaim`:
its text and its source, one of :data:`DATE_SOURCES`. :func:`parse_date` reads a text
as ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; :func:`best_date` picks the paper's date.

A paper's date is when it first appeared: the earliest date its sources claim, made as
precise as the claims that agree with it allow (a claim of a year agrees with the claims of
a month or day in that year, and so on). So an arXiv id's ``2021-06`` becomes ``2021-06-14``
from Hugging Face, and stays ``2021-06`` beside a venue's ``2022`` or a journal's later
``2023-05-01``. Of claims of the same date the more trusted source (earlier in
:data:`DATE_SOURCES`) is named. Claims of untrusted sources (the date of a paper's last
revision) count only when no trusted one parses.

>>> best_date([DateClaim(venue_year("NeurIPS 2021"), "venue"), DateClaim(arxiv_id_date("2106.01234"), "arxiv-id")])
PaperDate(date='2021-06', source='arxiv-id')
>>> best_date([DateClaim("2021-06-14T17:59:58Z", "hf-publishedAt"), DateClaim("2021-06", "arxiv-id")])
PaperDate(date='2021-06-14', source='hf-publishedAt')
>>> best_date([DateClaim("2023-05-01", "semantic-scholar-publicationDate"), DateClaim("2021-06", "arxiv-id")])
PaperDate(date='2021-06', source='arxiv-id')
"""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime
from typing import Callable, Iterable, NamedTuple

__all__ = [
    "DateSource",
    "DATE_SOURCES",
    "DateClaim",
    "PaperDate",
    "parse_date",
    "arxiv_id_date",
    "venue_year",
    "best_date",
]


class DateSource(NamedTuple):
    """Where a date comes from; ``trusted`` is False for a date that is not the publication's."""

    name: str
    what: str
    trusted: bool = True


#: Every source of a date, most trusted first (the order :func:`best_date` ranks claims by).
DATE_SOURCES = [
    DateSource("arxiv-published", "arXiv API (Atom) <published>: the first version's submission"),
    DateSource("arxiv-created", "arXiv OAI snapshot versions[0].created: the first version's submission"),
    DateSource("arxiv-id", "the year and month inside an arXiv id (2411.04321, cs/0112017)"),
    DateSource("hf-publishedAt", "Hugging Face papers publishedAt"),
    DateSource("semantic-scholar-publicationDate", "Semantic Scholar publicationDate"),
    DateSource("openalex-publication_date", "OpenAlex publication_date"),
    DateSource("bibtex-date", "BibTeX date"),
    DateSource("bibtex-year", "BibTeX year (and month)"),
    DateSource("column", "a date or year column of a spreadsheet or JSON record (column:NAME)"),
    DateSource("listing", "a date a listing page states"),
    DateSource("semantic-scholar-year", "Semantic Scholar year"),
    DateSource("openalex-publication_year", "OpenAlex publication_year"),
    DateSource("venue", "the year of the venue (ICML 2022, NeurIPS '23)"),
    DateSource("arxiv-updated", "arXiv API (Atom) <updated>: the last version", trusted=False),
    DateSource("arxiv-update_date", "arXiv OAI snapshot update_date: the last version", trusted=False),
]
_RANK = {source.name: rank for rank, source in enumerate(DATE_SOURCES)}
_UNTRUSTED = {source.name for source in DATE_SOURCES if not source.trusted}


class DateClaim(NamedTuple):
    """A date as a source states it: ``text`` in any form :func:`parse_date` reads."""

    text: str
    source: str


class PaperDate(NamedTuple):
    """A paper's date (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``) and the source it came from."""

    date: str
    source: str

    @property
    def precision(self) -> int:
        """1 for a year, 2 for a month, 3 for a day."""
        return self.date.count("-") + 1


FIRST_YEAR = 1900
LAST_YEAR = 2100


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    """The ISO form of a calendar date (as precise as given), or None for no such date."""
    if not FIRST_YEAR <= year < LAST_YEAR:
        return None
    try:
        dt.date(year, month or 1, day or 1)
    except ValueError:
        return None
    parts = [f"{year:04d}"] + [f"{part:02d}" for part in (month, day) if part is not None]
    return "-".join(parts[:2] if day is None else parts)


_MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"


def _month(name: str) -> int | None:
    if name.isdigit():
        return int(name)
    return _MONTHS.get(name.lower())


def _from_groups(match: re.Match) -> str | None:
    groups = match.groupdict()
    month = _month(groups["month"]) if groups.get("month") else None
    if groups.get("month") and month is None:
        return None
    day = int(groups["day"]) if groups.get("day") else None
    return _iso(int(groups["year"]), month, day)


def _from_rfc2822(match: re.Match) -> str | None:
    try:
        when = parsedate_to_datetime(match.string)
    except (TypeError, ValueError, IndexError):
        return None
    return _iso(when.year, when.month, when.day)


class DateFormat(NamedTuple):
    """One way of writing a date: the pattern of the whole text and how its match becomes ISO."""

    name: str
    pattern: re.Pattern
    to_iso: Callable[[re.Match], str | None]


#: The forms :func:`parse_date` reads, tried in order on the whole (stripped) text.
DATE_FORMATS = [
    # 2024-03-18, 2024-03, 2024, 2024/3/18, an ISO timestamp (2024-03-18T17:59:58.000Z)
    DateFormat("iso", re.compile(r"(?P<year>\d{4})(?:[-/](?P<month>\d{1,2})(?:[-/](?P<day>\d{1,2}))?)?"
                                 r"(?:[T ]\d{1,2}:\d{2}\S*)?"), _from_groups),
    # Mon, 2 Apr 2007 19:18:42 GMT (arXiv OAI versions)
    DateFormat("rfc2822", re.compile(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d{1,2}:\d{2}.*"),
               _from_rfc2822),
    # Mar 18, 2024; March 18th 2024
    DateFormat("month-day-year", re.compile(rf"{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})"),
               _from_groups),
    # 18 March 2024; 18th Mar. 2024
    DateFormat("day-month-year", re.compile(rf"(?P<day>\d{{1,2}}){_ORDINAL}\s+{_MONTH},?\s+(?P<year>\d{{4}})"),
               _from_groups),
    # March 2024; Mar. 2024; 2024 March; 2024 jun (BibTeX year and month)
    DateFormat("month-year", re.compile(rf"{_MONTH},?\s+(?P<year>\d{{4}})"), _from_groups),
    DateFormat("year-month", re.compile(rf"(?P<year>\d{{4}}),?\s+(?:{_MONTH}|(?P<month_number>\d{{1,2}}))"),
               lambda m: _iso(int(m["year"]), int(m["month_number"])) if m["month_number"] else _from_groups(m)),
]


def parse_date(text: str | None) -> str | None:
    """``text`` as an ISO date as precise as it is (``YYYY-MM-DD``, ``YYYY-MM``, ``YYYY``), else None.

    >>> [parse_date(t) for t in ("2024-03-18T17:59:58.000Z", "Mon, 2 Apr 2007 19:18:42 GMT", "Mar 18, 2024",
    ...                          "2022 jun", "2021", "Nov 19", "2023-02-30", "next week")]
    ['2024-03-18', '2007-04-02', '2024-03-18', '2022-06', '2021', None, None, None]
    """
    text = " ".join((text or "").split())
    for form in DATE_FORMATS:
        match = form.pattern.fullmatch(text)
        if match:
            return form.to_iso(match)
    return None


_NEW_ARXIV_ID = re.compile(r"(\d{2})(\d{2})\.\d{4,5}(?:v\d+)?")
_OLD_ARXIV_ID = re.compile(r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/(\d{2})(\d{2})\d{3}(?:v\d+)?", re.IGNORECASE)


def arxiv_id_date(the_id: str | None) -> str | None:
    """The year and month an arXiv id was issued (``YYYY-MM``), else None.

    New-style ids (from April 2007) are ``YYMM.NNNNN``; old-style ones ``archive/YYMMNNN``,
    1991 to March 2007.

    >>> arxiv_id_date("2411.04321"), arxiv_id_date("cs/0112017"), arxiv_id_date("hep-th/9901001v2")
    ('2024-11', '2001-12', '1999-01')
    """
    match = _NEW_ARXIV_ID.fullmatch(the_id or "")
    if match:
        return _iso(2000 + int(match[1]), int(match[2]))
    match = _OLD_ARXIV_ID.fullmatch(the_id or "")
    if match:
        year = int(match[1])
        return _iso(1900 + year if year >= 91 else 2000 + year, int(match[2]))
    return None


# A year standing alone, not part of a longer number or an arXiv id ("arXiv:2006.01234" holds no year).
_VENUE_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?![\d.]\d)")
# "ICML'22", "NeurIPS ’23"
_VENUE_SHORT_YEAR = re.compile(r"[A-Za-z]\s?['’](\d{2})\b")


def venue_year(venue: str | None) -> str | None:
    """The year a venue names (``ICML 2022``, ``NeurIPS '23``), else None; the last when it names several.

    >>> venue_year("ICML 2022"), venue_year("NeurIPS'23"), venue_year("arXiv:2006.01234"), venue_year("JMLR")
    ('2022', '2023', None, None)
    """
    years = _VENUE_YEAR.findall(venue or "")
    if years:
        return _iso(int(years[-1]))
    short = _VENUE_SHORT_YEAR.findall(venue or "")
    return _iso(2000 + int(short[-1])) if short else None


def _rank(source: str) -> int:
    """A source's place in :data:`DATE_SOURCES` (``column:NAME`` is ``column``); unknown sources last."""
    return _RANK.get(source.split(":", 1)[0], len(DATE_SOURCES))


def _agrees(a: str, b: str) -> bool:
    """Whether two ISO dates of different precision can be the same day."""
    return a.startswith(b) or b.startswith(a)


def best_date(claims: Iterable[DateClaim]) -> PaperDate | None:
    """The date a paper keeps from what its sources claim (see the module docs), or None."""
    parsed = [PaperDate(iso, claim.source) for claim in claims if (iso := parse_date(claim.text))]
    trusted = [d for d in parsed if d.source.split(":", 1)[0] not in _UNTRUSTED]
    candidates = trusted or parsed
    if not candidates:
        return None
    found = min(candidates, key=lambda d: (d.date, _rank(d.source)))  # "2021" < "2021-06" < "2021-06-14"
    while finer := [d for d in candidates if d.precision > found.precision and _agrees(d.date, found.date)]:
        found = min(finer, key=lambda d: (d.precision, d.date, _rank(d.source)))
    return found

"""Paper-listing pages saved as text (a daily-papers page, a "trending" list, a reading list).

A saved page is a run of lines: site chrome (banners, buttons), then per paper
a title, its abstract, and maybe metadata lines (author count, date, upvotes,
submitter, an arXiv link) before or after it. Nothing about the layout is
fixed, so structure is recognised line by line:

- an **abstract** is a long, multi-sentence line;
- a **title** is the last short line without a final period before an abstract;
- **metadata** lines are made only of known pieces (``• 4 authors``, ``·``,
  ``Mar 18, 2024 2``, ``12``, ``Submitted by X``, ``arXiv:2406.18629``);
- **chrome** is a known site phrase, or a short line repeated on the page; a
  banner glued to the first title (``Daily PapersbyAK ...Mar 12From ...``) is
  cut off.

Whether metadata follows its paper or precedes it is decided once per page
from its first lines (metadata with an author count or upvotes before the first
title means it precedes). Lines are classified as they stream; only the first
:data:`LAYOUT_WINDOW` lines are held at once, to learn the page's layout.

>>> page = '''Daily Papers
... Nov 20
... StepCritic: Verifying Each Step
... We propose StepCritic, a verifier of reasoning steps. It is trained with DPO on 40K critiqued solutions and improves accuracy on GSM8K by four points over the base model.
...   • 4 authors
... ·
... Nov 19
... 12'''
>>> from extractors.readers.base import RawRecord
>>> [(r.title, r.n_authors, r.date, r.upvotes) for r in parse_listing_lines(enumerate(page.splitlines(), 1))]
[('StepCritic: Verifying Each Step', 4, 'Nov 19', 12)]
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator

from .base import Parsed, Problem, RawRecord
from .cleaning import arxiv_id, collapse_whitespace

__all__ = [
    "LAYOUT_WINDOW",
    "Line",
    "classify",
    "is_abstract",
    "is_title",
    "looks_like_listing",
    "parse_listing",
    "parse_listing_lines",
    "strip_chrome",
]

#: Lines read ahead to learn a page's layout (metadata placement, repeated chrome).
LAYOUT_WINDOW = 4000

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DAY = r"\d{1,2}(?:(?:st|nd|rd|th)\b)?"
_YEAR = r"(?:19|20)\d{2}"
_DATE_CORE = (
    rf"(?:{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?|{_DAY}\s+{_MONTH}(?:,?\s+{_YEAR})?|{_YEAR}-\d{{2}}-\d{{2}}|{_MONTH},?\s+{_YEAR})"
)
# A date, optionally labelled, optionally followed by an upvote count ("Dec 30, 2024 2").
_DATE = re.compile(
    rf"^(?:(?:published|submitted|updated|posted)(?:\s+on)?\s*:?\s*)?({_DATE_CORE})(?:\s+(\d{{1,6}}))?$", re.I
)
_AUTHOR_COUNT = re.compile(r"^(\d{1,5})\s+authors?$", re.I)
_AUTHOR_LIST = re.compile(r"^authors?\s*:\s*(.+)$", re.I)
_UPVOTES = re.compile(r"^(?:[▲⬆↑△👍]\s*|upvotes?\s*:?\s*)?(\d{1,6})(?:\s+(?:upvotes?|votes?|likes?|points?))?$", re.I)
_OTHER_META = re.compile(
    r"^(?:submitted\s+by\s+\S.*|\d{1,6}\s+comments?|comments?|upvotes?|views?\s+(?:pdf|paper|code)|"
    r"pdf|code|github|project\s+page|\d+\s+(?:models?|datasets?|spaces?|collections?)\s+citing.*)$",
    re.I,
)
# Pieces of a metadata line: bullets and middle dots separate them.
_META_SEPARATORS = re.compile(r"\s*[•·|∙⋅]\s*")
# A line starting with these continues the metadata group above it.
_GROUP_SEPARATORS = ("·", "|", "∙", "⋅")
# Phrases of paper-listing sites' chrome, matched on whole lines and cut from the
# front of a first title they are glued to.
KNOWN_CHROME = (
    "get trending papers in your email inbox!",
    "byak and the research community",
    "daily papers",
    "trending papers",
    "trending research",
    "subscribe",
    "new",
    "papers",
    "load more",
    "show more",
    "next",
    "previous",
    "sign up",
    "log in",
    "search",
    "submit a paper",
    "browse state-of-the-art",
)
_CHROME_SET = frozenset(KNOWN_CHROME)
# Glued chrome: multi-word phrases match anywhere in case; one word only before a capital.
_GLUED_CHROME = re.compile(
    "^(?:" + "|".join(re.escape(p) for p in sorted(KNOWN_CHROME, key=len, reverse=True)) + r")", re.I
)
_GLUED_DATE = re.compile(rf"^{_DATE_CORE}(?=[A-Z\"'(\[])", re.I)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?(?=\s+[\"'(\[]?[A-Z0-9]|\s*$)")
_WORD = re.compile(r"\S+")
# A line holding nothing but an arXiv reference.
_ID_LINE = re.compile(r"^\s*(?:\S*arxiv\S*|\S*huggingface\.co/papers/\S*|arxiv:\s*\S+)\s*$", re.I)


@dataclass
class Line:
    """One non-blank line of a page; ``arxiv_id`` carries an id the page linked the line to (HTML)."""

    number: int
    text: str
    blank_before: bool = False
    arxiv_id: str | None = None


@dataclass
class _Meta:
    n_authors: int | None = None
    authors: list[str] | None = None
    date: str | None = None
    upvotes: int | None = None
    arxiv_id: str | None = None
    strong: bool = False  # names something only a paper has (authors, upvotes, id), not just a date

    def apply(self, record: RawRecord) -> None:
        if self.n_authors is not None and record.n_authors is None:
            record.n_authors = self.n_authors
        if self.authors and not record.authors:
            record.authors = self.authors
            record.n_authors = record.n_authors or len(self.authors)
        if self.date and not record.date:
            record.date = self.date
        if self.upvotes is not None and record.upvotes is None:
            record.upvotes = self.upvotes
        if self.arxiv_id and not record.arxiv_id:
            record.arxiv_id = self.arxiv_id


def _iso_date(text: str) -> str:
    """A full date as ISO (``2024-03-18``); a date without a year as the page wrote it."""
    cleaned = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text.replace(",", " "))
    cleaned = " ".join(cleaned.replace(".", " ").split())
    for fmt in ("%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(cleaned.title() if "-" not in cleaned else cleaned, fmt).date().isoformat()
        except ValueError:
            continue
    return text


def _meta_piece(piece: str, meta: _Meta) -> bool:
    """Record what one piece of a metadata line says; False if it is no metadata."""
    if not piece:
        return True
    if m := _AUTHOR_COUNT.match(piece):
        meta.n_authors, meta.strong = int(m.group(1)), True
    elif m := _AUTHOR_LIST.match(piece):
        meta.authors = [a.strip() for a in re.split(r",|;|\band\b", m.group(1)) if a.strip()]
        meta.strong = True
    elif m := _DATE.match(piece):
        meta.date = _iso_date(m.group(1))
        if m.group(2):
            meta.upvotes, meta.strong = int(m.group(2)), True
    elif m := _UPVOTES.match(piece):
        meta.upvotes, meta.strong = int(m.group(1)), True
    elif _ID_LINE.match(piece) and (found := arxiv_id(piece)):
        meta.arxiv_id, meta.strong = found, True
    elif arxiv_id(piece) and re.fullmatch(r"[\w./:-]+", piece):
        meta.arxiv_id, meta.strong = arxiv_id(piece), True
    elif _OTHER_META.match(piece):
        meta.strong = meta.strong or piece.lower().startswith("submitted")
    else:
        return False
    return True


def _parse_meta(text: str) -> _Meta | None:
    """The metadata a line holds, or None when it is not a metadata line."""
    if len(text) > 200:
        return None
    meta = _Meta()
    pieces = [p.strip() for p in _META_SEPARATORS.split(text.strip(" \t-*•·"))]
    known = [_meta_piece(p, meta) for p in pieces]
    if all(known):
        return meta
    # "OPPO Research · Oct 13 3": an organisation or submitter name leads the other pieces.
    if len(pieces) > 1 and not known[0] and all(known[1:]) and len(_WORD.findall(pieces[0])) <= 6:
        return meta
    return None


def is_abstract(text: str) -> bool:
    """A long multi-sentence paragraph (not a list of names).

    >>> is_abstract("Scaling Laws for Neural Language Models")
    False
    """
    words = _WORD.findall(text)
    if len(words) < 25 or text.count(",") > 0.3 * len(words):
        return False
    sentences = len(_SENTENCE_END.findall(text))
    return sentences >= 2 or len(words) >= 60


def is_title(text: str) -> bool:
    """A short line that could name a paper: 1-40 words, some letters, no final period.

    >>> is_title("Orca 2: Teaching Small Language Models How to Reason"), is_title("We do this.")
    (True, False)
    """
    words = _WORD.findall(text)
    if not (0 < len(words) <= 40 and len(text) <= 300) or sum(c.isalpha() for c in text) < 3:
        return False
    end = text.rstrip()
    return not end.endswith((".", ",", ";", ":")) or end.endswith("et al.")


def strip_chrome(title: str) -> str:
    """A title without the site banner and listing date glued in front of it.

    Multi-word site phrases are cut wherever they stand first; a one-word phrase
    (``new``) only when more chrome follows it, since ``SearchNet`` or
    ``New Directions`` are titles.

    >>> strip_chrome("Daily PapersbyAK and the research communityMar 12From Logistic Regression to the Perceptron")
    'From Logistic Regression to the Perceptron'
    >>> strip_chrome("Newton Methods Revisited"), strip_chrome("Search Engines as Retrievers")
    ('Newton Methods Revisited', 'Search Engines as Retrievers')
    """
    stripped = False
    while True:
        chrome = _GLUED_CHROME.match(title)
        if chrome and " " not in chrome.group(0):
            rest = title[chrome.end():]
            glued = stripped and rest[:1].isupper()  # "...inbox!SubscribeStep Verifiers"
            chrome = chrome if glued or rest.lstrip() != strip_chrome(rest.lstrip()) else None
        match = chrome or _GLUED_DATE.match(title)
        if not match or not title[match.end():].strip():
            return title
        title, stripped = title[match.end():].strip(), True


# Line kinds.
ABSTRACT, META, CHROME, TEXT = "abstract", "meta", "chrome", "text"


def classify(text: str, repeated: frozenset[str] = frozenset()) -> tuple[str, _Meta | None]:
    """The kind of one stripped line and, for metadata, what it says."""
    if text.lower() in _CHROME_SET or text in repeated:
        return CHROME, None
    if is_abstract(text):
        return ABSTRACT, None
    meta = _parse_meta(text)
    if meta is not None:
        return META, meta
    return TEXT, None


def _nonblank(numbered: Iterable[tuple[int, str] | Problem | Line]) -> Iterator[Line | Problem]:
    blank = False
    for item in numbered:
        if isinstance(item, (Problem, Line)):
            yield item
            continue
        number, text = item
        text = collapse_whitespace(text)
        if not text:
            blank = True
            continue
        yield Line(number, text, blank)
        blank = False


def _learn_layout(window: list[Line | Problem]) -> tuple[bool, frozenset[str]]:
    """(metadata precedes its paper?, lines repeated often enough to be chrome) from a page's first lines."""
    lines = [x for x in window if isinstance(x, Line)]
    counts = Counter(x.text for x in lines if len(x.text) <= 60)
    repeated = frozenset(text for text, n in counts.items() if n >= 3 and classify(text)[0] == TEXT)
    kinds = [classify(x.text, repeated) for x in lines]
    abstracts = [i for i, (kind, _) in enumerate(kinds) if kind == ABSTRACT]
    if not abstracts:
        return False, repeated
    # Metadata after the last abstract of a whole page says it follows its paper.
    if len(window) < LAYOUT_WINDOW and any(kind == META for kind, _ in kinds[abstracts[-1] + 1:]):
        return False, repeated
    # Paper metadata (authors, upvotes, an id) before the first title says it precedes:
    # a page header carries at most a date.
    first = abstracts[0]
    title_at = next((i for i in range(first - 1, -1, -1) if kinds[i][0] == TEXT), first)
    return any(kind == META and meta.strong for kind, meta in kinds[:title_at]), repeated


def parse_listing_lines(numbered: Iterable[tuple[int, str] | Problem | Line]) -> Iterator[Parsed]:
    """Papers of a listing page given as numbered lines (or :class:`Line` records with link ids)."""
    stream = _nonblank(numbered)
    window = list(itertools.islice(stream, LAYOUT_WINDOW))
    precedes, repeated = _learn_layout(window)
    current: RawRecord | None = None
    current_end = False  # the current paper's abstract is the last content line seen
    pending: list[Line] = []  # text lines since the last abstract: title candidates
    pending_meta = _Meta()  # metadata waiting for the next paper (layouts where it precedes)
    seen_paper = False

    def finish() -> Iterator[Parsed]:
        nonlocal current
        if current is not None:
            yield current
        current = None

    last: Line | None = None
    for item in itertools.chain(window, stream):
        if isinstance(item, Problem):
            yield item
            continue
        previous, last = last, item
        kind, meta = classify(item.text, repeated)
        if kind == CHROME:
            continue
        if kind == META:
            if item.text.startswith(_GROUP_SEPARATORS) and pending and not item.blank_before and pending[-1] is previous:
                pending.pop()  # "OPPO Research" above a "·" line is the group's organisation, not a title
            if precedes:
                _merge_meta(pending_meta, meta)
            elif current is not None:
                meta.apply(current)  # (before the first paper it is the page header's)
            current_end = False
            continue
        if kind == TEXT:
            if current is not None and current_end and not item.blank_before and not is_title(item.text):
                current.abstract += " " + item.text  # a closing sentence on its own line
                continue
            pending.append(item)
            current_end = False
            continue
        # An abstract: a new paper when a title stands before it, else more of the current one.
        titles = [x for x in pending if is_title(x.text)]
        if not titles and current is not None:
            current.abstract += "\n\n" + item.text
            current_end, pending = True, []
            continue
        yield from finish()
        if not titles:
            yield Problem(item.number, "no title", "abstract without a title line before it")
            pending, pending_meta, current_end = [], _Meta(), False
            continue
        title_line = titles[-1]
        if seen_paper:
            for orphan in titles[:-1]:
                yield Problem(orphan.number, "no abstract", f"{_quote(orphan.text)} has no abstract")
        title = strip_chrome(title_line.text) if not seen_paper else title_line.text
        current = RawRecord(title_line.number, title, item.text, arxiv_id=title_line.arxiv_id or item.arxiv_id)
        pending_meta.apply(current)
        pending_meta, pending, current_end, seen_paper = _Meta(), [], True, True
    yield from finish()
    if seen_paper:
        for orphan in pending:
            if is_title(orphan.text) and len(_WORD.findall(orphan.text)) >= 3:
                yield Problem(orphan.number, "no abstract", f"{_quote(orphan.text)} has no abstract")


def _merge_meta(into: _Meta, meta: _Meta) -> None:
    for name in ("n_authors", "authors", "date", "upvotes", "arxiv_id"):
        value = getattr(meta, name)
        if value is not None:
            setattr(into, name, value)
    into.strong = into.strong or meta.strong


def _quote(text: str, width: int = 60) -> str:
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def parse_listing(source) -> Iterator[Parsed]:
    """Papers of a listing page saved as text (a :class:`~extractors.readers.sources.Source`)."""
    return parse_listing_lines(source.lines())


def looks_like_listing(lines: Iterable[str]) -> bool:
    """Whether most abstracts among ``lines`` have a title line before them (else: plain paragraphs)."""
    abstracts = titled = 0
    previous = None
    for text in lines:
        text = collapse_whitespace(text)
        if not text:
            continue
        kind = classify(text)[0]
        if kind == ABSTRACT:
            abstracts += 1
            titled += previous == TEXT and is_title(previous_text)
        if kind in (ABSTRACT, TEXT):
            previous, previous_text = kind, text
    return abstracts > 0 and titled * 2 >= abstracts

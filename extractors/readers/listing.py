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
- a **labelled field** (``**Authors**: *...*``, ``Venue: ...``, ``- **Abstract:** ...``)
  is what its label (:data:`FIELD_LABELS`) says, whatever its length; a labelled
  abstract goes on over the lines of its paragraph.

Whether metadata follows its paper or precedes it is decided once per page
from its first lines (metadata with an author count or upvotes before the first
title means it precedes). Lines are classified as they stream; only the first
:data:`LAYOUT_WINDOW` lines are held at once, to learn the page's layout.
A listing whose first records mostly show a :data:`NO_PAPER_SIGNS` sign (titles
that are author lists or web addresses) is a layout misread: one error, no records.

>>> page = '''Daily Papers
... Nov 20
... StepCritic: Verifying Each Step
... We propose StepCritic, a verifier of reasoning steps. It is trained with DPO on 40K critiqued solutions and improves accuracy on GSM8K by four points over the base model.
...   • 4 authors
... ·
... Nov 19
... 12'''
>>> from paperkg.extractors.readers.base import RawRecord
>>> [(r.title, r.n_authors, r.date, r.upvotes) for r in parse_listing_lines(enumerate(page.splitlines(), 1))]
[('StepCritic: Verifying Each Step', 4, 'Nov 19', 12)]
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable, Iterator

from paperkg.extractors.errors import InputError

from .base import MIN_ABSTRACT_WORDS, Parsed, Problem, RawRecord
from .cleaning import arxiv_id, collapse_whitespace, doi, find_arxiv_id
from .sources import MAX_LINE_BYTES

__all__ = [
    "LAYOUT_WINDOW",
    "NAME_PARTICLES",
    "Line",
    "classify",
    "is_abstract",
    "is_title",
    "labelled_field",
    "looks_like_listing",
    "looks_like_names",
    "parse_listing",
    "parse_listing_lines",
    "papers_only",
    "strip_chrome",
    "wrap_width",
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
_YEAR_ONLY = re.compile(rf"^\(?({_YEAR})\)?$")
# Labelled fields of listing pages (arXiv's "Comments:", "Subjects:", ...), not titles.
_FIELD = re.compile(
    r"^(?:comments?|subjects?|journal[- ]ref|doi|report[- ]no|categor(?:y|ies)|keywords?|msc[- ]class|acm[- ]class|"
    r"licen[cs]e|published(?: in)?|date|venue|conference|affiliations?|code|project page|url|links?|tags?|"
    r"cite as|pdf|github|repository|accepted(?: at)?)\s*[:：]\s*(.*)$",
    re.I,
)
# A short line holding an arXiv reference among other things: "[1] arXiv:2411.04321 [pdf, html, other]".
_ARXIV_REFERENCE = re.compile(r"\barxiv:\s*\d{4}\.\d{4,5}|arxiv\.org/(?:abs|pdf)/", re.I)
_OTHER_META = re.compile(
    r"^(?:submitted\s+by\s+\S.*|\d{1,6}\s+comments?|\d+\s+(?:models?|datasets?|spaces?|collections?)\s+citing.*|"
    r"(?:\d+|an?)\s+(?:second|minute|hour|day|week|month|year)s?\s+ago|yesterday|today|"
    r"[^\w\s]{1,4}\s*\d+(?:\.\d+)?k?|\d+(?:\.\d+)?k?\s*[^\w\s]{1,4}|"
    r"(?:[^\w\s]{1,4}\s*)?(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?k?)\s*(?:[^\w\s]{1,4}|stars?|forks?|citations?|"
    r"views?|downloads?|likes?)(?:\s*/\s*\w+)?|cited by \d+)$",
    re.I,
)
# Link and button labels a saved page keeps as lines of their own.
_LINK_LABELS = frozenset((
    "pdf", "arxiv", "code", "paper", "html", "abstract", "project page", "dataset", "demo", "website", "github",
    "bibtex", "cite", "share", "save", "view pdf", "view paper", "view code", "read more", "more", "less",
    "show less", "expand", "collapse", "upvote", "upvotes", "comment", "comments", "discussion", "copy link",
    "bookmark", "models", "datasets", "spaces", "collections", "hugging face", "papers with code", "arxiv page",
))
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
    labelled_title: bool = False  # the page said so ("Title: ...")
    columns: int = 0  # how wide the line was on the page, indentation included
    label: str | None = None  # the field a label named ("**Abstract**:", "- Venue:"): a FieldLabel role

    def __post_init__(self) -> None:
        self.columns = self.columns or len(self.text)


@dataclass
class _Meta:
    n_authors: int | None = None
    authors: list[str] | None = None
    date: str | None = None
    upvotes: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    venue: str | None = None
    url: str | None = None
    strong: bool = False  # names something only a paper has (authors, upvotes, id), not just a date

    def apply(self, record: RawRecord) -> None:
        if self.n_authors is not None and record.n_authors is None:
            record.n_authors = self.n_authors
        if self.authors and not record.authors:
            record.authors = self.authors
            record.n_authors = record.n_authors or len(self.authors)
        if self.date and not record.date:
            record.date, record.date_source = self.date, "listing"
        if self.upvotes is not None and record.upvotes is None:
            record.upvotes = self.upvotes
        if self.arxiv_id and not record.arxiv_id:
            record.arxiv_id = self.arxiv_id
        if self.doi and not record.doi:
            record.doi = self.doi
        if self.venue and not record.venue:
            record.venue = self.venue
        if self.url and not record.url:
            record.url = self.url


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
    elif m := _YEAR_ONLY.match(piece):
        meta.date = meta.date or m.group(1)
    elif m := _UPVOTES.match(piece):
        meta.upvotes, meta.strong = int(m.group(1)), True
    elif m := _FIELD.match(piece):
        value = m.group(1)
        meta.doi = meta.doi or doi(value)
        meta.arxiv_id = meta.arxiv_id or find_arxiv_id(value)
    elif _ARXIV_REFERENCE.search(piece) and len(_WORD.findall(piece)) <= 8:
        meta.arxiv_id, meta.strong = find_arxiv_id(piece) or arxiv_id(piece), True
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
    if len(pieces) < 2 or not any(known[i] and pieces[i] for i in range(len(pieces))):
        return None
    # "OPPO Research · Oct 13 3", "Ada Lovelace, Alan Turing • NeurIPS • 2023": names, an organisation
    # or a venue beside known pieces.
    unknown = [p for p, ok in zip(pieces, known) if not ok]
    if len(unknown) > 2 or any(len(_WORD.findall(p)) > 8 or p.rstrip().endswith(".") for p in unknown):
        return None
    for piece in unknown:
        if looks_like_names(piece) and not meta.authors:
            meta.authors = _names(piece)
    return meta


def is_abstract(text: str) -> bool:
    """A long paragraph of prose: 25 words or more, sentences, not a list of names.

    >>> is_abstract("Scaling Laws for Neural Language Models")
    False
    """
    words = _WORD.findall(text)
    if len(words) < 25 or text.count(",") > 0.3 * len(words):
        return False
    sentences = len(_SENTENCE_END.findall(text))
    # One long sentence ending in a period is prose too (a one-sentence summary); titles end without one.
    return sentences >= 2 or len(words) >= 60 or text.rstrip().endswith((".", "!", "?", "…"))


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


def _labelled_date(meta: _Meta, value: str) -> None:
    found = _DATE.match(value) or _YEAR_ONLY.match(value)
    meta.date = _iso_date(found.group(1)) if found else value[:40]


def _labelled_url(meta: _Meta, value: str) -> None:
    meta.url = value.split()[0] if value else None
    meta.arxiv_id, meta.doi = find_arxiv_id(value), doi(value)


def _labelled_authors(meta: _Meta, value: str) -> None:
    meta.authors, meta.strong = _names(value), True


@dataclass(frozen=True)
class FieldLabel:
    """A label that names one field of a paper ("**Authors**:", "Venue:", "- **Abstract:**").

    ``read`` puts a metadata value on a :class:`_Meta`; the title and the abstract have none,
    they are the lines themselves.
    """

    role: str
    names: re.Pattern
    read: Callable[[_Meta, str], None] | None = None


FIELD_LABELS = [
    FieldLabel("title", re.compile(r"(?:paper\s+)?title", re.I)),
    FieldLabel("abstract", re.compile(r"abstract|summary|tl;?\s?dr", re.I)),
    FieldLabel("authors", re.compile(r"authors?|author\s+list|by", re.I), _labelled_authors),
    FieldLabel("venue", re.compile(r"conference|venue|journal|booktitle|published\s+in|proceedings|accepted\s+(?:at|to)",
                                   re.I), lambda meta, value: setattr(meta, "venue", value)),
    FieldLabel("url", re.compile(r"url|link|paper\s+(?:link|url)|pdf|web\s*page", re.I), _labelled_url),
    FieldLabel("date", re.compile(r"date|year|published(?:\s+on)?|submitted(?:\s+on)?|posted", re.I), _labelled_date),
    FieldLabel("doi", re.compile(r"doi", re.I), lambda meta, value: setattr(meta, "doi", doi(value))),
    FieldLabel("arxiv", re.compile(r"arxiv(?:\s+id)?", re.I),
               lambda meta, value: setattr(meta, "arxiv_id", find_arxiv_id(value) or arxiv_id(value))),
]
_FIELD_ROLES = {label.role: label for label in FIELD_LABELS}
# "Label: value" with Markdown around it: "**Authors**: *A, B*", "- **Abstract:** ...", "## Title: ...".
_LABELLED_LINE = re.compile(
    r"^(?:[-*+>]\s+|#{1,6}\s+|\d{1,4}[.)]\s+)?(?P<mark>\*\*|__|\*|_|)\s*(?P<label>[A-Za-z][A-Za-z ;.]{0,24}?)\s*"
    r"(?:(?P=mark)\s*[:：]|[:：]\s*(?P=mark))\s*(?P<value>.*)$"
)


def labelled_field(text: str) -> tuple[str, str] | None:
    """``(role, value)`` of a line that labels a paper field, or None.

    >>> labelled_field("**Authors**: *Ada Lovelace, Alan Turing*"), labelled_field("Orca 2: Small Models Reason")
    (('authors', '*Ada Lovelace, Alan Turing*'), None)
    """
    match = _LABELLED_LINE.match(text)
    if not match:
        return None
    label = " ".join(match.group("label").split())
    role = next((f.role for f in FIELD_LABELS if f.names.fullmatch(label)), None)
    return (role, match.group("value").strip()) if role else None


def _labelled_kind(role: str, text: str) -> tuple[str, _Meta | None]:
    """A labelled line is what its label says, whatever its length: an abstract, a title or metadata."""
    if role == "abstract":
        return ABSTRACT, None
    if role == "title":
        return TEXT, None
    meta = _Meta()
    read = _FIELD_ROLES[role].read
    if read is not None:  # (only the title and the abstract, returned above, have none)
        read(meta, text)
    return META, meta


def classify(text: str, repeated: frozenset[str] = frozenset(), label: str | None = None) -> tuple[str, _Meta | None]:
    """The kind of one stripped line and, for metadata, what it says; ``label`` is the field its label named."""
    if label is not None:
        return _labelled_kind(label, text)
    if text.lower() in _CHROME_SET or text.strip("[]()<> ").lower() in _LINK_LABELS or text in repeated:
        return CHROME, None
    if is_abstract(text):
        return ABSTRACT, None
    meta = _parse_meta(text)
    if meta is not None:
        return META, meta
    return TEXT, None


def _text_line(number: int, text: str, blank: bool, label: str | None) -> Line | str | None:
    """One line of a text page as a :class:`Line`; the role of a label standing alone; None for a blank line.

    ``label`` is the role of such a lone label just above: the line is that field's value.
    """
    raw = collapse_whitespace(text)
    field = labelled_field(raw)
    if field is not None:
        label, raw = field
        if not raw:
            return label
        if label == "url":
            raw = _MD_LINK.sub(r"\2", raw)  # the address, not the link's words
    plain, linked = _plain(raw)
    if not plain:
        return None
    titled = label == "title" or (label is None and bool(_TITLE_LABEL.match(raw)))
    return Line(number, plain, blank, arxiv_id=linked, labelled_title=titled, columns=len(text.rstrip().expandtabs()),
                label=label)


def _goes_on(abstract: Line, line: Line, text: str) -> bool:
    """Whether ``line`` continues a labelled abstract: the next line of its paragraph, mid-sentence or in lower case."""
    return (not line.blank_before and line.label is None and not text.lstrip().startswith("#")
            and (not abstract.text.endswith((".", "!", "?")) or line.text[:1].islower())
            and len(abstract.text) < MAX_LINE_BYTES)


def _nonblank(numbered: Iterable[tuple[int, str] | Problem | Line]) -> Iterator[Line | Problem]:
    blank = False
    label: str | None = None  # a lone label above ("**Abstract**:"): its value is the next line
    held: Line | None = None  # a labelled abstract, which may go on over the lines of its paragraph
    for item in numbered:
        if isinstance(item, (Problem, Line)):
            yield item
            continue
        number, text = item
        line = _text_line(number, text, blank, label)
        if line is None:
            blank = True
            continue
        blank, label = False, None
        if isinstance(line, str):
            label = line
            continue
        if held is not None and _goes_on(held, line, text):
            held.text += " " + line.text
            continue
        if held is not None:
            yield held
            held = None
        if line.label == "abstract":
            held = line
        else:
            yield line
    if held is not None:
        yield held


_MD_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_MD_MARKS = re.compile(r"^(?:#{1,6}\s+|>\s+)|^(\*\*|__|\*|_)(.+)\1$")
_ENUMERATION = re.compile(r"^(?:\d{1,4}[.)]|\[\d{1,5}\]|[-*+])\s+(?=\S)")
_TITLE_LABEL = re.compile(r"^(?:[#*_>\s]*)title\s*[:：]", re.I)
_FIELD_LABEL = re.compile(r"^(?:title|abstract|summary|tl;?dr)\s*[:：]\s*", re.I)


def _plain(text: str) -> tuple[str, str | None]:
    """A line without Markdown, list numbering or a ``Title:``/``Abstract:`` label; and the arXiv id it links to.

    >>> _plain("## 3. [Sparse Adapters](https://arxiv.org/abs/2401.00001)")
    ('Sparse Adapters', '2401.00001')
    >>> _plain("Abstract: We propose adapters.")
    ('We propose adapters.', None)
    """
    linked = None
    for match in _MD_LINK.finditer(text):
        linked = linked or arxiv_id(match.group(2))
    text = _MD_LINK.sub(r"\1", text)
    while True:
        bare = _MD_MARKS.sub(lambda m: m.group(2) or "", text).strip()
        bare = _FIELD_LABEL.sub("", _ENUMERATION.sub("", bare) if not _parse_meta(bare) else bare)
        if bare == text:
            return text, linked
        text = bare


def wrap_width(lines: list[Line | Problem]) -> int | None:
    """The width a page was hard-wrapped at (a text-mode browser's dump), or None.

    A wrapped page has many lines just short of one width, and none much longer.
    """
    lengths = sorted(x.columns for x in lines if isinstance(x, Line))
    if len(lengths) < 8:
        return None
    width = lengths[-max(1, len(lengths) // 50)]
    if not 40 <= width <= 130 or lengths[-1] > width + 20:
        return None
    near = sum(width - 16 <= n <= width for n in lengths)
    return width if near * 4 >= len(lengths) else None


def _wrapped_before(length: int, following: str, width: int) -> bool:
    """Whether a line of ``length`` ends where a wrapper broke it: the next word would not have fit."""
    first_word = following.split(" ", 1)[0]
    return length + 1 + len(first_word) > width - 2


def _unwrap(items: Iterable[Line | Problem], width: int) -> Iterator[Line | Problem]:
    """Lines of a hard-wrapped page joined back: a line continues on the next when its first word did not fit."""
    held: Line | None = None
    last_length = 0
    for item in items:
        if (isinstance(item, Line) and held is not None and not item.blank_before
                and _wrapped_before(last_length, item.text, width)):
            held.text += ("" if held.text.endswith("-") and item.text[:1].islower() else " ") + item.text
            held.arxiv_id = held.arxiv_id or item.arxiv_id
            last_length = item.columns
            continue
        if held is not None:
            yield held
            held = None
        if isinstance(item, Problem):
            yield item
            continue
        held, last_length = dataclasses.replace(item), item.columns
    if held is not None:
        yield held


def _learn_layout(window: list[Line | Problem]) -> tuple[bool, frozenset[str]]:
    """(metadata precedes its paper?, lines repeated often enough to be chrome) from a page's first lines."""
    lines = [x for x in window if isinstance(x, Line)]
    counts = Counter(x.text for x in lines if len(x.text) <= 60 and x.label is None)
    repeated = frozenset(text for text, n in counts.items() if n >= 3 and classify(text)[0] == TEXT)
    kinds = [classify(x.text, repeated, x.label) for x in lines]
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
    return any(meta is not None and meta.strong for _, meta in kinds[:title_at]), repeated  # (META lines have one)


def parse_listing_lines(numbered: Iterable[tuple[int, str] | Problem | Line]) -> Iterator[Parsed]:
    """Papers of a listing page given as numbered lines (or :class:`Line` records with link ids)."""
    stream = _nonblank(numbered)
    window = list(itertools.islice(stream, LAYOUT_WINDOW))
    width = wrap_width(window)
    if width:
        unwrapped = _unwrap(itertools.chain(window, stream), width)
        window = list(itertools.islice(unwrapped, LAYOUT_WINDOW))
        stream = unwrapped
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
        kind, meta = classify(item.text, repeated, item.label)
        if kind == CHROME:
            continue
        if meta is not None:  # kind META
            bare_separator = not item.text.strip("".join(_GROUP_SEPARATORS) + " ")
            if (item.text.startswith(_GROUP_SEPARATORS) and pending and pending[-1] is previous
                    and (bare_separator or not item.blank_before)):
                pending.pop()  # "OPPO Research" above a "·" line is the group's organisation, not a title
            if precedes or any(is_title(x.text) for x in pending):
                _merge_meta(pending_meta, meta)  # (between a title and its abstract: the coming paper's)
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
        # Author and affiliation lines may stand between a title and its abstract.
        at = max((i for i, x in enumerate(titles) if x.labelled_title), default=None)
        if at is None:
            at = max((i for i, x in enumerate(titles) if not looks_like_names(x.text)), default=len(titles) - 1)
        title_line, names = titles[at], titles[at + 1:]
        if seen_paper:
            for orphan in titles[:at]:
                yield Problem(orphan.number, "no abstract", f"{_quote(orphan.text)} has no abstract")
        title = strip_chrome(title_line.text) if not seen_paper else title_line.text
        current = RawRecord(title_line.number, title, item.text, arxiv_id=title_line.arxiv_id or item.arxiv_id)
        pending_meta.apply(current)
        if names and not current.authors:
            current.authors = _names(names[0].text)
            current.n_authors = current.n_authors or len(current.authors)
        pending_meta, pending, current_end, seen_paper = _Meta(), [], True, True
    yield from finish()
    if seen_paper:
        for orphan in pending:
            if is_title(orphan.text) and len(_WORD.findall(orphan.text)) >= 3:
                yield Problem(orphan.number, "no abstract", f"{_quote(orphan.text)} has no abstract")


_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b)\s*")
#: Lower-case words inside names ("Guy Van den Broeck", "De la Cruz").
NAME_PARTICLES = frozenset({"van", "von", "de", "der", "den", "da", "di", "del", "la", "le", "du", "dos", "bin", "al"})


_AFFILIATION = re.compile(r"\b(?:Universit\w*|Institut\w*|Lab\w*|College|School|Cent(?:er|re)|Academy|Inc|Research)\b")
_AFFILIATION_WORDS = {"of", "for", "and", "the", "at", "in"}


def _names(text: str) -> list[str]:
    text = re.sub(r"\bet\s+al\.?", "", text)
    return [re.sub(r"[\d*†‡§¶]+$", "", p).strip() for p in _NAME_SPLIT.split(text) if p.strip(" .")]


def looks_like_names(text: str) -> bool:
    """A line of author names or affiliations: two or more capitalised pieces of 1-5 words, no colon.

    >>> looks_like_names("Ada Lovelace, Alan M. Turing and Grace Hopper"), looks_like_names("Attention Is All You Need")
    (True, False)
    """
    if ":" in text or len(text) > 400:
        return False
    pieces = _names(text)
    if len(pieces) < 2:
        return False
    for piece in pieces:
        words = piece.split()
        if not 1 <= len(words) <= 6:
            return False
        small = NAME_PARTICLES | (_AFFILIATION_WORDS if _AFFILIATION.search(piece) else set())
        if not all(w[:1].isupper() or w.lower() in small for w in words):
            return False
    return sum(len(p.split()) >= 2 for p in pieces) >= 2


def _merge_meta(into: _Meta, meta: _Meta) -> None:
    for name in ("n_authors", "authors", "date", "upvotes", "arxiv_id", "doi", "venue", "url"):
        value = getattr(meta, name)
        if value is not None:
            setattr(into, name, value)
    into.strong = into.strong or meta.strong


def _quote(text: str, width: int = 60) -> str:
    return repr(text if len(text) <= width else text[: width - 1] + "…")


#: How many of a listing's first records are judged, before any is kept, on whether they are papers at all.
JUDGED_RECORDS = 20
_WEB_ADDRESS = re.compile(r"^(?:https?://|www\.)\S*$", re.I)


@dataclass(frozen=True)
class NoPaperSign:
    """What shows a record read from a listing to be no paper: a layout the parser misread."""

    what: str
    shows: Callable[[RawRecord], bool]


NO_PAPER_SIGNS = [
    NoPaperSign("titles that are author lists or web addresses",
                lambda record: looks_like_names(record.title) or bool(_WEB_ADDRESS.match(record.title))),
    NoPaperSign("abstracts too short to be abstracts", lambda record: len(record.abstract.split()) < MIN_ABSTRACT_WORDS),
]


def papers_only(records: Iterable[Parsed], name: str) -> Iterator[Parsed]:
    """The records of a listing, once its first :data:`JUDGED_RECORDS` look like papers.

    Raises :class:`InputError` when most of them show a :data:`NO_PAPER_SIGNS` sign: the
    page's layout was misread, and its records would fill a graph with junk.
    """
    records = iter(records)
    judged: list[Parsed] = []
    for item in records:
        judged.append(item)
        if sum(isinstance(x, RawRecord) for x in judged) >= JUDGED_RECORDS or len(judged) >= 10 * JUDGED_RECORDS:
            break
    papers = [x for x in judged if isinstance(x, RawRecord)]
    signs = Counter(next((sign.what for sign in NO_PAPER_SIGNS if sign.shows(r)), None) for r in papers)
    no_papers = len(papers) - signs.pop(None, 0)
    if no_papers * 2 > len(papers):
        shown = ", ".join(f"{what}: {n}" for what, n in signs.most_common())
        raise InputError(name, f"read as a listing, {no_papers} of {len(papers)} records are no papers ({shown}); "
                               "a layout paperkg cannot read (see --format)")
    yield from judged
    yield from records


def parse_listing(source) -> Iterator[Parsed]:
    """Papers of a listing page saved as text (a :class:`~paperkg.extractors.readers.sources.Source`)."""
    return papers_only(parse_listing_lines(source.lines()), source.name)


def looks_like_listing(lines: Iterable[str]) -> bool:
    """Whether most abstracts among ``lines`` have a title line before them (else: plain paragraphs)."""
    items: list = list(_nonblank(enumerate(lines, 1)))
    width = wrap_width(items)
    if width:
        items = list(_unwrap(items, width))
    abstracts = titled = 0
    previous: Line | None = None
    for line in items:
        kind = classify(line.text, label=line.label)[0]
        if kind == ABSTRACT:
            abstracts += 1
            titled += previous is not None and is_title(previous.text)
            previous = None
        elif kind == TEXT:
            previous = line
    return abstracts > 0 and titled * 2 > abstracts

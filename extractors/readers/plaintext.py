"""Plain text, one abstract per paragraph (paragraphs are separated by blank lines).

A paragraph whose first line is a short title-like line above a longer text is
read as that title and its abstract; any other paragraph is an abstract whose
first sentence stands in as its title. Paragraphs too short to be an abstract
are reported. Hard-wrapped lines are joined.

>>> text = "Sparse Adapters\\nWe propose sparse adapters. They train fast.\\n\\nWe study scaling. It helps.\\n"
>>> [(r.title, r.abstract) for r in parse_paragraphs(enumerate(text.splitlines(), 1))]
[('Sparse Adapters', 'We propose sparse adapters. They train fast.'), ('We study scaling.', 'We study scaling. It helps.')]
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from .base import Parsed, Problem, RawRecord
from .listing import is_title

__all__ = ["parse_text", "parse_paragraphs", "MAX_PARAGRAPH_LINES"]

#: A paragraph longer than this many lines is cut into records of this size (no blank lines in a huge file).
MAX_PARAGRAPH_LINES = 200
_FIRST_SENTENCE = re.compile(r"^(.{10,200}?[.!?])(?=\s|$)")


def _record(lines: list[tuple[int, str]]) -> RawRecord:
    number = lines[0][0]
    texts = [t.strip() for _, t in lines]
    # A title line stands above text that starts anew; a wrapped first line runs on in lower case.
    if len(texts) > 1 and is_title(texts[0]) and texts[1][:1].isupper() and len(texts[0]) < len(" ".join(texts[1:])):
        return RawRecord(number, texts[0], " ".join(texts[1:]))
    abstract = " ".join(texts)
    match = _FIRST_SENTENCE.match(abstract)
    title = match.group(1) if match else " ".join(abstract.split()[:12])
    return RawRecord(number, title, abstract)


def parse_paragraphs(numbered: Iterable[tuple[int, str] | Problem]) -> Iterator[Parsed]:
    """Records of blank-line separated paragraphs given as numbered lines."""
    paragraph: list[tuple[int, str]] = []
    for item in numbered:
        if isinstance(item, Problem):
            yield item
            continue
        if item[1].strip():
            paragraph.append(item)
            if len(paragraph) < MAX_PARAGRAPH_LINES:
                continue
        if paragraph:
            yield _record(paragraph)
            paragraph = []
    if paragraph:
        yield _record(paragraph)


def parse_text(source, columns=None) -> Iterator[Parsed]:
    """Records of a plain-text input (a :class:`~paperkg.extractors.readers.sources.Source`)."""
    return parse_paragraphs(source.lines())

"""Text and identifier clean-up shared by every reader.

>>> latex_to_text(r"Sparse $\\ell_1$ codes by Bal\\'azs, \\textit{fast} and 5\\% better")
'Sparse ℓ_1 codes by Balázs, fast and 5% better'
>>> collapse_whitespace("  A\\n  title \\t here ")
'A title here'
>>> arxiv_id("https://arxiv.org/abs/2406.18629v2"), arxiv_id("arXiv:hep-th/9901001v1")
('2406.18629', 'hep-th/9901001')
>>> doi("https://doi.org/10.48550/arXiv.2406.18629"), arxiv_id_from_doi("10.48550/arxiv.2406.18629")
('10.48550/arxiv.2406.18629', '2406.18629')
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from pylatexenc.latex2text import LatexNodes2Text

__all__ = [
    "collapse_whitespace",
    "latex_to_text",
    "arxiv_id",
    "find_arxiv_id",
    "arxiv_id_from_doi",
    "doi",
]

# A LaTeX command, an accent, a math span or a group: text without any of these is left alone
# (most S2/OAI abstracts), which keeps pylatexenc's cost and its surprises off plain text.
_LATEX_MARKUP = re.compile(r"\\[A-Za-z]+|\\[\"'`^~=.,;:!{}%&$#_ ]|\$[^$]+\$|[{}]")
# In plain text these are ordinary characters; to LaTeX they are a comment start and a
# column separator, which would swallow or blank out the rest of the text.
_LATEX_LITERALS = re.compile(r"(?<!\\)([%&#])")


# pylatexenc logs what it cannot expand ("macro '\\url' failed its substitution") and keeps going;
# without a handler Python prints that to stderr, a stray line per record. An application that
# configures logging still gets it.
logging.getLogger("pylatexenc").addHandler(logging.NullHandler())


@lru_cache(maxsize=1)
def _converter() -> LatexNodes2Text:
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=False)


def collapse_whitespace(text: str) -> str:
    """One space between words, none at the ends."""
    return " ".join(text.split())


def latex_to_text(text: str) -> str:
    """LaTeX markup (``$\\ell_1$``, ``\\textit{x}``, ``\\'e``) as plain Unicode text, whitespace collapsed.

    Text without markup is only whitespace-collapsed.
    """
    if _LATEX_MARKUP.search(text):
        try:
            text = _converter().latex_to_text(_LATEX_LITERALS.sub(r"\\\1", text))
        except Exception:  # pylatexenc is tolerant; on anything it cannot handle keep the source text
            pass
    return collapse_whitespace(text)


_NEW_ID = r"\d{4}\.\d{4,5}"
_OLD_ID = r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_ID = re.compile(rf"^(?:arxiv:)?\s*({_NEW_ID}|{_OLD_ID})(?:v\d+)?$", re.IGNORECASE)
_ARXIV_IN_TEXT = re.compile(
    rf"(?:arxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers/|\barxiv:\s*)({_NEW_ID}|{_OLD_ID})(?:v\d+)?",
    re.IGNORECASE,
)
_ARXIV_DOI = re.compile(rf"^10\.48550/arxiv\.({_NEW_ID}|{_OLD_ID})(?:v\d+)?$", re.IGNORECASE)
_DOI = re.compile(r"(10\.\d{4,9}/\S+)")


def arxiv_id(value: str | None) -> str | None:
    """The arXiv id (without version) that ``value`` is or links to, else None."""
    if not value:
        return None
    value = value.strip()
    match = _ARXIV_ID.match(value) or _ARXIV_IN_TEXT.search(value)
    return match.group(1) if match else None


def find_arxiv_id(text: str) -> str | None:
    """The first arXiv id a text shows as a link or ``arXiv:`` reference, else None.

    >>> find_arxiv_id("Code: see arxiv.org/abs/2406.18629 and more")
    '2406.18629'
    >>> find_arxiv_id("2406.18629 alone is just a number") is None
    True
    """
    match = _ARXIV_IN_TEXT.search(text)
    return match.group(1) if match else None


def doi(value: str | None) -> str | None:
    """A DOI in canonical form (lowercase, no resolver prefix), else None."""
    if not value:
        return None
    match = _DOI.search(value.strip())
    return match.group(1).rstrip(".,;").lower() if match else None


def arxiv_id_from_doi(value: str | None) -> str | None:
    """The arXiv id of an arXiv-issued DOI (``10.48550/arXiv.<id>``), else None."""
    canonical = doi(value)
    match = _ARXIV_DOI.match(canonical) if canonical else None
    return match.group(1) if match else None

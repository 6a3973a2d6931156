"""Acronym definitions: "Learned Embedding Propagation (LEP)".

The algorithm is Schwartz & Hearst (2003), as in scispaCy: a short form in
parentheses right after a phrase, whose characters appear in order in the
phrase, the first one starting a word. It also reads the reverse order,
"LEP (Learned Embedding Propagation)".

>>> import spacy
>>> nlp = spacy.blank("en")
>>> doc = nlp("We adapt Direct Preference Optimization (DPO) to steps.")
>>> [(doc[s:e].text, doc[ls:le].text) for s, e, ls, le in find_abbreviations(doc)]
[('DPO', 'Direct Preference Optimization')]
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

__all__ = ["find_abbreviations", "long_form_for", "AbbreviationDetector"]

_MAX_SHORT_CHARS = 12
_OPEN, _CLOSE = "([", ")]"


def _is_short_form(text: str) -> bool:
    return (
        1 < len(text) <= _MAX_SHORT_CHARS
        and text[0].isalnum()
        and any(c.isupper() for c in text)
        and sum(c.isalpha() for c in text) >= 2
        and " " not in text
    )


def long_form_for(short: str, candidate: Span) -> Span | None:
    """The shortest end of ``candidate`` that ``short`` abbreviates, or None.

    Walks the short form backwards through the candidate's characters; each
    letter must be found in order and the first must start a word.
    """
    text = candidate.text
    s_idx, l_idx = len(short) - 1, len(text) - 1
    while s_idx >= 0:
        char = short[s_idx].lower()
        if not char.isalnum():
            s_idx -= 1
            continue
        while l_idx >= 0 and (
            text[l_idx].lower() != char
            or (s_idx == 0 and l_idx > 0 and text[l_idx - 1].isalnum())
        ):
            l_idx -= 1
        if l_idx < 0:
            return None
        l_idx -= 1
        s_idx -= 1
    start_char = candidate.start_char + l_idx + 1
    for token in candidate:
        if token.idx <= start_char < token.idx + len(token.text) + 1:
            span = candidate.doc[token.i : candidate.end]
            # No more words than Schwartz & Hearst allow: min(|A| + 5, 2|A|).
            words = [t for t in span if not t.is_punct]
            if len(words) > min(len(short) + 5, 2 * len(short)) or len(words) < 1:
                return None
            if span.text.lower() == short.lower():
                return None
            return span
    return None


def find_abbreviations(doc: Doc) -> list[tuple[int, int, int, int]]:
    """Token offsets ``(short_start, short_end, long_start, long_end)`` of each definition."""
    found = []
    for open_tok in doc:
        if open_tok.text not in _OPEN:
            continue
        close = next((t for t in doc[open_tok.i + 1 : open_tok.i + 8] if t.text in _CLOSE), None)
        if close is None or close.i == open_tok.i + 1:
            continue
        inner = doc[open_tok.i + 1 : close.i]
        sent_start = open_tok.sent.start if doc.has_annotation("SENT_START") else 0
        before = doc[max(sent_start, open_tok.i - 10) : open_tok.i]
        if len(inner) == 1 and _is_short_form(inner.text) and len(before):
            long = long_form_for(inner.text, before)
            if long is not None:
                found.append((inner.start, inner.end, long.start, long.end))
        elif len(before) and _is_short_form(before[-1].text) and 1 < len(inner) <= 8:
            # "LEP (Learned Embedding Propagation)"
            long = long_form_for(before[-1].text, inner)
            if long is not None and long.start == inner.start:
                found.append((before[-1].i, before[-1].i + 1, inner.start, inner.end))
    return found


@Language.factory("paperkg_abbreviations", default_config={})
class AbbreviationDetector:
    """Sets ``doc._.abbreviations``: a list of ``(short_start, short_end, long_start, long_end)``."""

    def __init__(self, nlp: Language, name: str):
        if not Doc.has_extension("abbreviations"):
            Doc.set_extension("abbreviations", default=[])

    def __call__(self, doc: Doc) -> Doc:
        doc._.abbreviations = find_abbreviations(doc)
        return doc

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
from spacy.tokens import Doc

from .doctext import DocText

__all__ = ["find_abbreviations", "long_form_for", "AbbreviationDetector"]

_MAX_SHORT_CHARS = 12
_OPEN, _CLOSE = "([", ")]"
# Words that open examples or references, not a definition: "GD (e.g. SGD or Adam)".
_NOT_DEFINITIONS = {"e.g.", "e.g", "eg", "i.e.", "i.e", "ie", "such", "like", "including", "see", "cf.", "cf", "as"}


def _is_short_form(text: str) -> bool:
    return (
        1 < len(text) <= _MAX_SHORT_CHARS
        and text[0].isalnum()
        and any(c.isupper() for c in text)
        and sum(c.isalpha() for c in text) >= 2
        and " " not in text
    )


def long_form_for(short: str, words: list[str], starts: list[int], text: str) -> int | None:
    """How many of the last ``words`` (a phrase) ``short`` abbreviates, or None.

    ``starts`` are the words' character offsets in ``text``, whose slice
    ``text[starts[0]:end of last word]`` is the phrase. Walks the short form backwards through
    the phrase's characters; each letter must be found in order and the first must start a word.
    """
    phrase_start = starts[0]
    phrase = text[phrase_start : starts[-1] + len(words[-1])]
    s_idx, l_idx = len(short) - 1, len(phrase) - 1
    while s_idx >= 0:
        char = short[s_idx].lower()
        if not char.isalnum():
            s_idx -= 1
            continue
        while l_idx >= 0 and (
            phrase[l_idx].lower() != char
            or (s_idx == 0 and l_idx > 0 and phrase[l_idx - 1].isalnum())
        ):
            l_idx -= 1
        if l_idx < 0:
            return None
        l_idx -= 1
        s_idx -= 1
    start_char = phrase_start + l_idx + 1
    for i, (word, begin) in enumerate(zip(words, starts)):
        if begin <= start_char < begin + len(word) + 1:
            taken = words[i:]
            # No more words than Schwartz & Hearst allow: min(|A| + 5, 2|A|).
            n_words = sum(1 for w in taken if any(c.isalnum() for c in w))
            if n_words > min(len(short) + 5, 2 * len(short)) or n_words < 1:
                return None
            if " ".join(taken).lower() == short.lower():
                return None
            return len(taken)
    return None


def find_abbreviations(doc: Doc) -> list[tuple[int, int, int, int]]:
    """Token offsets ``(short_start, short_end, long_start, long_end)`` of each definition."""
    text = DocText.of(doc)
    words, starts = text.words, text.starts
    sent_of = [0] * len(words)
    for start, end in text.sents:
        sent_of[start:end] = [start] * (end - start)
    found = []
    for i, word in enumerate(words):
        if word not in _OPEN:
            continue
        close = next((j for j in range(i + 1, min(i + 8, len(words))) if words[j] in _CLOSE), None)
        if close is None or close == i + 1:
            continue
        before = max(sent_of[i], i - 10)
        if close == i + 2 and _is_short_form(words[i + 1]) and before < i:
            n = long_form_for(words[i + 1], words[before:i], starts[before:i], text.text)
            if n is not None:
                found.append((i + 1, i + 2, i - n, i))
        elif (before < i and _is_short_form(words[i - 1]) and 1 < close - i - 1 <= 8
              and words[i + 1].lower() not in _NOT_DEFINITIONS):
            # "LEP (Learned Embedding Propagation)"
            n = long_form_for(words[i - 1], words[i + 1 : close], starts[i + 1 : close], text.text)
            if n == close - i - 1:
                found.append((i - 1, i, i + 1, close))
    return found


@Language.factory("paperkg_abbreviations", default_config={}, requires=["token.is_sent_start"],
                  assigns=["doc._.abbreviations"])
class AbbreviationDetector:
    """Sets ``doc._.abbreviations``: a list of ``(short_start, short_end, long_start, long_end)``."""

    def __init__(self, nlp: Language, name: str):
        if not Doc.has_extension("abbreviations"):
            Doc.set_extension("abbreviations", default=[])

    def __call__(self, doc: Doc) -> Doc:
        doc._.abbreviations = find_abbreviations(doc)
        return doc

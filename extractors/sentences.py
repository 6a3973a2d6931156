"""Sentence boundaries for abstracts: after . ! ? and at line breaks (the title ends at one).

>>> import spacy
>>> nlp = spacy.blank("en")
>>> _ = nlp.add_pipe("paperkg_sentences")
>>> [s.text.strip() for s in nlp("A Title\\n\\nWe use e.g. GPT-4. It works!").sents]
['A Title', 'We use e.g. GPT-4.', 'It works!']
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["set_sentence_starts", "SentenceSegmenter"]

_ENDERS = {".", "!", "?"}


def set_sentence_starts(doc: Doc) -> Doc:
    """Mark sentence starts in place; whitespace tokens holding a newline end a sentence."""
    start_next = True
    for token in doc:
        if token.is_space and "\n" in token.text:
            token.is_sent_start = start_next
            start_next = True
            continue
        token.is_sent_start = start_next
        start_next = token.text in _ENDERS and (token.i + 1 == len(doc) or not doc[token.i + 1].is_lower)
    return doc


@Language.factory("paperkg_sentences", default_config={})
class SentenceSegmenter:
    """Thin shell around :func:`set_sentence_starts`."""

    def __init__(self, nlp: Language, name: str):
        pass

    def __call__(self, doc: Doc) -> Doc:
        return set_sentence_starts(doc)

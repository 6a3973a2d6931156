"""Sentence boundaries for abstracts: after . ! ? and at line breaks (the title ends at one).

>>> import spacy
>>> nlp = spacy.blank("en")
>>> _ = nlp.add_pipe("paperkg_sentences")
>>> [s.text.strip() for s in nlp("A Title\\n\\nWe use e.g. GPT-4. It works!").sents]
['A Title', 'We use e.g. GPT-4.', 'It works!']
"""

from __future__ import annotations

import numpy
from spacy.attrs import IS_LOWER, IS_SPACE, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

__all__ = ["set_sentence_starts", "SentenceSegmenter"]

_ENDERS = (".", "!", "?")


def set_sentence_starts(doc: Doc) -> Doc:
    """Mark sentence starts in place; whitespace tokens holding a newline end a sentence.

    Works on the doc's attribute array, not token by token: it runs on every
    token of every abstract.
    """
    if not len(doc):
        return doc
    strings = doc.vocab.strings
    enders = [strings.add(text) for text in _ENDERS]
    attrs = doc.to_array([ORTH, IS_SPACE, IS_LOWER])
    orth, space, lower = attrs[:, 0], attrs[:, 1].astype(bool), attrs[:, 2].astype(bool)
    ender = numpy.isin(orth, enders)
    newline = numpy.zeros(len(doc), dtype=bool)
    for i in numpy.flatnonzero(space):
        newline[i] = "\n" in strings[orth[i]]
    starts = numpy.zeros(len(doc), dtype=bool)
    starts[0] = True
    # After an ender, unless the next word is lowercase ("e.g. the"); after and at a line break.
    starts[1:] |= ender[:-1] & ~lower[1:]
    starts[1:] |= newline[:-1]
    values = numpy.where(starts, 1, -1).astype("int32").reshape(-1, 1)
    # spaCy's hint asks for thinc's Ints2d, which is a numpy array at run time
    doc.from_array([SENT_START], values.astype("uint64"))  # type: ignore[arg-type]
    return doc


@Language.factory("paperkg_sentences", default_config={}, assigns=["token.is_sent_start"])
class SentenceSegmenter:
    """Thin shell around :func:`set_sentence_starts`."""

    def __init__(self, nlp: Language, name: str):
        pass

    def __call__(self, doc: Doc) -> Doc:
        return set_sentence_starts(doc)

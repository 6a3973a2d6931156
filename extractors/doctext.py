"""A doc read once as plain Python lists, for the rule components.

Rules that walk every token of every abstract spend most of their time making
``Token`` objects. :class:`DocText` reads the doc's attribute arrays once and
gives the words, their lowercase forms, character offsets and sentence bounds
as lists, so rules index strings instead. The pipeline's components share one
reading of a doc (:meth:`DocText.of`).

>>> import spacy
>>> from paperkg.extractors.sentences import set_sentence_starts
>>> nlp = spacy.blank("en")
>>> text = DocText(set_sentence_starts(nlp("A Title\\n\\nWe use GPT-4. It works!")))
>>> text.words[:4], text.title_end, text.body_sentence
(['A', 'Title', '\\n\\n', 'We'], 2, 1)
>>> untitled = DocText(set_sentence_starts(nlp("We use GPT-4. It works!")))
>>> untitled.title_end, untitled.body_sentence, untitled.in_title(0)
(0, 0, False)
>>> [text.span_text(s, e) for s, e in text.sents]
['A Title\\n\\n', 'We use GPT-4. ', 'It works!']
"""

from __future__ import annotations

from itertools import accumulate
from weakref import WeakKeyDictionary

from spacy.attrs import ORTH, SENT_START, SPACY
from spacy.tokens import Doc

__all__ = ["DocText"]

_ATTRS = [ORTH, SPACY, SENT_START]
#: The last reading of each live doc, with the attribute array it was read from.
_READINGS: WeakKeyDictionary = WeakKeyDictionary()


class DocText:
    """Words, lowercase words, character offsets and sentences of a doc.

    ``sents`` are ``(start, end)`` token offsets; ``starts[i]`` is the character offset
    of word ``i`` (and ``starts[len(words)]`` the length of the text); ``title_end`` is
    the index of the first word holding a line break (the title ends there), or 0 when there is
    none: a text without a line break is all abstract (``spacy.load(...)("We propose ...")``).
    ``body_sentence`` is the index of the abstract's first sentence: 1 after a title line (an
    empty one too), 0 in a text without one.
    """

    def __init__(self, doc: Doc):
        strings = doc.vocab.strings
        orths, spaces, sent_starts = doc.to_array(_ATTRS).T.tolist() if len(doc) else ([], [], [])
        self.words = [strings[orth] for orth in orths]
        self.lower = [w.lower() for w in self.words]
        with_space = [w + " " if s else w for w, s in zip(self.words, spaces)]
        self.starts = [0, *accumulate(map(len, with_space))]
        self.text = "".join(with_space)  # doc.text, without Token objects
        bounds = [i for i, start in enumerate(sent_starts) if i == 0 or start == 1]
        self.sents = list(zip(bounds, [*bounds[1:], len(self.words)]))
        line_break = next((i for i, w in enumerate(self.words) if "\n" in w), None)
        self.title_end = line_break or 0
        self.body_sentence = 0 if line_break is None else 1
        self._sent_start = set(bounds)

    @staticmethod
    def of(doc: Doc) -> DocText:
        """The doc's reading, shared by the rule components that read one doc in turn: made again
        only when the doc's words or sentence starts changed since (each reading costs ~0.2 ms
        an abstract, a sixth of the rules' time).

        >>> import spacy
        >>> doc = spacy.blank("en")("We use GPT-4.")
        >>> DocText.of(doc) is DocText.of(doc), DocText.of(doc) is DocText(doc)
        (True, False)
        """
        state = doc.to_array(_ATTRS).tobytes()
        reading = _READINGS.get(doc)
        if reading is None or reading[0] != state:
            reading = _READINGS[doc] = (state, DocText(doc))
        return reading[1]

    def __len__(self) -> int:
        return len(self.words)

    def in_title(self, i: int) -> bool:
        """Whether word ``i`` is in the title (a text without a line break has none).

        >>> import spacy
        >>> text = DocText(spacy.blank("en")("A Title\\n\\nWe use GPT-4."))
        >>> [text.in_title(i) for i in range(4)], DocText(spacy.blank("en")("We use GPT-4.")).in_title(0)
        ([True, True, False, False], False)
        """
        return i < self.title_end

    def is_sent_start(self, i: int) -> bool:
        return i in self._sent_start

    def span_text(self, start: int, end: int) -> str:
        """The text of words ``start`` to ``end`` (with their trailing whitespace)."""
        return self.text[self.starts[start] : self.starts[end]]

    def url_words(self) -> set[int]:
        """Indices of the words that are pieces of a web address: "\\url{https://github.com/Org/Repo}"
        is split into words, none of them a name."""
        found: set[int] = set()
        chunk: list[int] = []
        if "://" not in self.text and "www." not in self.text:  # most abstracts: no walk over the words
            return found
        for i, word in enumerate(self.words):
            chunk.append(i)
            if i + 1 == len(self.words) or self.starts[i + 1] > self.starts[i] + len(word):  # whitespace follows
                joined = "".join(self.words[j] for j in chunk)
                if "://" in joined or joined.startswith("www."):
                    found.update(chunk)
                chunk = []
        return found

    def char_bounds(self, start: int, end: int) -> tuple[int, int]:
        """Character offsets of words ``start`` to ``end``, as ``Span.start_char``/``end_char``."""
        return self.starts[start], self.starts[end - 1] + len(self.words[end - 1]) if end > start else self.starts[start]

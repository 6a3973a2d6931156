"""A recogniser that tags each word with its place in a name (BILUO: ``B-Model``, ``I-Model``,
``L-Model``, ``U-Model``, ``O``) and reads the names off the tags.

Why not spaCy's transition-based ``ner``: its greedy decoder checks every action's validity at
every word, and in spaCy 3.8's builds each check takes and drops the GIL (``StateC::B_``
acquires it): that loop cost 3.4 ms of the recogniser's 5.9 ms per abstract. A tagger scores
all words of a batch in one matrix product. It is spaCy's own ``Tagger`` (same model, loss and
training loop); only the annotation differs: names on ``doc.ents``, and tags that do not
continue a name start one (an ``I-`` after ``O`` begins a name rather than being dropped).

>>> read_names(["O", "B-Model", "L-Model", "U-Task", "I-Metric", "O"])
[Name(start=1, end=3, label='Model'), Name(start=3, end=4, label='Task'), Name(start=4, end=5, label='Metric')]
"""

from __future__ import annotations

from typing import Callable, Iterable, NamedTuple

from spacy.language import Language
from spacy.pipeline.tagger import DEFAULT_TAGGER_MODEL, Tagger
from spacy.tokens import Doc, Span
from thinc.api import Model

__all__ = ["Name", "read_names", "biluo_tags", "set_gold_tags", "EntityTagger"]


class Name(NamedTuple):
    """Tokens ``start`` to ``end`` (exclusive) name an entity of type ``label``."""

    start: int
    end: int
    label: str


def read_names(tags: Iterable[str]) -> list[Name]:
    """The names that BILUO ``tags`` mark; a name ends at ``L-``/``U-``, at ``O``, or where the type changes."""
    names: list[Name] = []
    start, label = None, ""
    index = -1
    for index, tag in enumerate(tags):
        move, _, tag_label = tag.partition("-")
        if start is not None and (move in ("O", "B", "U") or tag_label != label):
            names.append(Name(start, index, label))
            start = None
        if move == "O":
            continue
        if start is None:
            start, label = index, tag_label
        if move in ("L", "U"):
            names.append(Name(start, index + 1, label))
            start = None
    if start is not None:
        names.append(Name(start, index + 1, label))
    return names


def biluo_tags(doc: Doc) -> list[str]:
    """The tags of ``doc``'s entities to learn from; ``""`` (missing: no loss) where its entity
    annotation is missing.

    >>> from spacy.lang.en import English
    >>> doc = English()("We train GPT - 2 on it")
    >>> doc.set_ents([Span(doc, 2, 5, "Model")], missing=[doc[6:7]], default="outside")
    >>> biluo_tags(doc)
    ['O', 'O', 'B-Model', 'I-Model', 'L-Model', 'O', '']
    """
    tags = ["" if token.ent_iob == 0 else "O" for token in doc]
    for ent in doc.ents:
        if len(ent) == 1:
            tags[ent.start] = f"U-{ent.label_}"
        else:
            tags[ent.start:ent.end] = [f"B-{ent.label_}", *[f"I-{ent.label_}"] * (len(ent) - 2), f"L-{ent.label_}"]
    return tags


def set_gold_tags(doc: Doc) -> None:
    """Write :func:`biluo_tags` to the ``tag`` of ``doc``'s tokens: what the tagger learns from."""
    for token, tag in zip(doc, biluo_tags(doc)):
        token.tag_ = tag


class EntityTagger(Tagger):
    """spaCy's ``Tagger`` over BILUO tags, writing the names it reads off them to ``doc.ents``."""

    @property
    def entity_labels(self) -> tuple[str, ...]:
        """The entity types it tags (its labels without the BILUO moves)."""
        return tuple(sorted({label.partition("-")[2] for label in self.labels} - {""}))

    def set_annotations(self, docs: Iterable[Doc], batch_tag_ids) -> None:
        labels = self.labels
        for doc, tag_ids in zip(docs, batch_tag_ids):
            doc.ents = [Span(doc, *name) for name in read_names(labels[i] for i in tag_ids)]


@Language.factory(
    "paperkg_entity_tagger",
    assigns=["doc.ents"],
    default_config={"model": DEFAULT_TAGGER_MODEL, "scorer": {"@scorers": "spacy.ner_scorer.v1"},
                    "neg_prefix": "!", "label_smoothing": 0.0},
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_entity_tagger(nlp: Language, name: str, model: Model, scorer: Callable, neg_prefix: str,
                       label_smoothing: float) -> EntityTagger:
    """The factory of :class:`EntityTagger` (learns from the ``tag`` of gold docs: :func:`set_gold_tags`)."""
    return EntityTagger(nlp.vocab, model, name, scorer=scorer, neg_prefix=neg_prefix, label_smoothing=label_smoothing)

"""Relation rules: what "we propose", "evaluated on", "outperforms", "fine-tuned from" look like.

The rules are named objects in one list, :data:`RULES`, run in its order: doc rules read the
whole doc (the title's name, "we propose X", "X is proposed", releases of a proposal), then
every mention past the title is claimed by the first of :data:`READINGS` that holds (data,
comparison, background, third person, own voice) and read by that reading's rules. Their cue
words are :mod:`paperkg.extractors.cues`. They read each sentence's tokens around the resolved entities
(``doc.ents``) and state relations between the paper (``PAPER``) and entities, or between
entities. ``doc._.relations`` holds plain tuples, so docs stay serialisable::

    (head_key, type, tail_key, sentence_start_char, sentence_end_char, extractor, confidence, direction)

where a key is an entity group key (see :func:`paperkg.extractors.entities.entity_groups`) or ``PAPER``,
``extractor`` is ``rule:<name>`` (or ``model``, see :mod:`paperkg.extractors.relation_model`), and
``direction`` is what a COMPARES_WITH relation claims of its head against its tail (one of
:data:`~paperkg.extractors.records.COMPARISON_DIRECTIONS`, read from :data:`COMPARISON_CUES`; None for
the other types).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

import srsly
from spacy import util
from spacy.language import Language
from spacy.util import SimpleFrozenList
from spacy.tokens import Doc

from .cues import (
    BACKGROUND, BASED_ON, BE, CLAUSE_BREAKS, COMPARISON_CUES, EVAL, FIRST_PERSON, KIND_NOUNS, LIST_GLUE, NAMING,
    NEGATED, NEGATION, NOVEL, PASSIVE_USE, PROPOSE, SELF_REFERENCE, SETTING, SUBJECT_GLUE, TITLE_MEANS, TRAIN, USE,
    WHERE, ComparisonCue,
)
from .doctext import DocText
from .entities import entity_groups
from .records import PAPER
from .relation_model import RelationModel

__all__ = ["COMPARISON_CUES", "ComparisonCue", "RULES", "READINGS", "Rule", "RuleText", "Statement", "rule_relations",
           "find_relations", "RelationExtractor"]

_COINED = {"shape", "phrase", "abbreviation", "title", "naming"}
_NOT_RELATED = {"Task", "Metric"}
_WEAK_SOURCES = {"ner"}
_KNOWN_SOURCES = {"gazetteer", "qualified"}
_DATA = {"Dataset", "Benchmark"}


class RuleText(DocText):
    """The doc as word lists (:class:`~paperkg.extractors.doctext.DocText`), with its entities per sentence
    as ``(start, end, group key, label, source)``."""

    def __init__(self, doc: Doc, groups: dict[str, str]):
        vars(self).update(vars(DocText.of(doc)))  # the reading the entity rules made: its lists are only read
        starts = [start for start, _ in self.sents]
        self.ents: list[list[tuple[int, int, str, str, str]]] = [[] for _ in self.sents]
        for ent in doc.ents:
            index = bisect_right(starts, ent.start) - 1
            self.ents[index].append((ent.start, ent.end, groups[ent.kb_id_], ent.label_, ent.id_))

    def any_match(self, pattern: re.Pattern, start: int, end: int) -> bool:
        return any(pattern.match(w) for w in self.words[max(0, start) : end])

    def sentence_text(self, index: int) -> str:
        return self.span_text(*self.sents[index])


def _is_first_person(text: RuleText, index: int, proposed_keys: set[str]) -> bool:
    start, end = text.sents[index]
    if any(w in FIRST_PERSON for w in text.lower[start:end]) or SELF_REFERENCE.search(text.sentence_text(index)):
        return True
    return any(key in proposed_keys for _, _, key, _, _ in text.ents[index])


def _propose_cue(text: RuleText, index: int) -> int | None:
    """The token index of the first proposal verb the sentence says of its own work, or None."""
    start, end = text.sents[index]
    self_reference = None
    for i in range(start, end):
        if not PROPOSE.match(text.words[i]):
            continue
        if text.lower[i] in NAMING or any(w in FIRST_PERSON for w in text.lower[start:i]):
            return i
        if i > start and text.lower[i - 1] in {"is", "are", "was", "were"}:
            return i
        if self_reference is None:
            self_reference = bool(SELF_REFERENCE.search(text.sentence_text(index)))
        if self_reference:
            return i
    return None


def _passive_proposals(text: RuleText):
    """``(entity, sentence index)`` for "X is (also) proposed", "X, which is introduced here",
    "X, a novel framework for ...", "our final model X"."""
    for index, (sent_start, sent_end) in enumerate(text.sents):
        for ent in text.ents[index]:
            ent_start, ent_end, _, label, source = ent
            if source not in _COINED or label in _NOT_RELATED:
                continue
            before = text.lower[max(sent_start, ent_start - 4) : ent_start]
            if before and before[-1] in KIND_NOUNS and "our" in before:  # "our final model S4D"
                yield ent, index
                continue
            after = text.lower[ent_end : min(sent_end, ent_end + 5)]
            if after[:2] in ([",", "a"], [",", "an"]) and any(w in NOVEL for w in after[2:4]):
                yield ent, index
                continue
            for i, word in enumerate(after):
                if word in BE:
                    rest = [w for w in after[i + 1 : i + 3] if not w.endswith("ly") and w not in {"also", "further", "then", "here"}]
                    if rest and PROPOSE.match(rest[0]) and rest[0].endswith("ed"):
                        yield ent, index
                    break


def _title_names(text: RuleText):
    """Keys of what a title names as the paper's own: the name before its colon ("Orca: Progressive
    Learning ...", known or not) or a title that is one name ("Pointer Networks")."""
    colon = next((i for i in range(min(text.title_end, 6)) if text.words[i] == ":"), text.title_end)
    for start, end, key, label, source in (text.ents[0] if text.ents else []):
        if start == 0 and end == colon and label not in _NOT_RELATED:
            yield key
        elif source == "title":
            yield key


def _title_coined(text: RuleText):
    """Names a title coins beyond its head, the paper's own: "OVOR: OnePrompt with Virtual Outlier
    Regularization", "Extending Context with Activation Beacon"."""
    for ent in (text.ents[0] if text.ents else []):
        start, end, _, label, source = ent
        if end > text.title_end:
            break
        means = text.lower[start - 1] in TITLE_MEANS and source == "ner" and label in {"Method", "Model"}
        if start > 0 and label not in _NOT_RELATED and (source in _COINED or means):
            yield ent


class _CueMatch(NamedTuple):
    """A comparison cue found in a sentence: its words ``start``..``end`` and what it claims."""

    start: int
    end: int
    direction: str
    role: str


def _comparison_cues(text: RuleText, start: int, end: int, name_positions: set[int]) -> list[_CueMatch]:
    """The comparison cues of a sentence in order of their last word (words of a name are no cue)."""
    joined = " ".join(text.lower[start:end])
    matches = [(cue, match) for cue in COMPARISON_CUES for match in cue.pattern.finditer(joined)]
    if not matches:
        return []
    word_at = {}  # character offset in ``joined`` -> word index
    offset = 0
    for i in range(start, end):
        word_at[offset] = i
        offset += len(text.lower[i])
        word_at[offset] = i + 1
        offset += 1
    found = []
    for cue, match in matches:
        first, last = word_at.get(match.start()), word_at.get(match.end())
        if first is None or last is None or first in name_positions or last - 1 in name_positions:
            continue  # inside a word that holds whitespace, or a word of a name
        negated = NEGATION.search(joined, 0, match.start())
        found.append(_CueMatch(first, last, NEGATED[cue.direction] if negated else cue.direction, cue.role))
    # Words a longer cue reads are not read again: "better than", not "than"; "compared to", not
    # "compared". Of two over the same words, the one listed first.
    kept = [m for i, m in enumerate(found) if not any(
        o.start <= m.start and m.end <= o.end and (o.end - o.start > m.end - m.start or j < i)
        for j, o in enumerate(found) if j != i)]
    return sorted(kept, key=lambda m: m.end)


def _comparison_subject(text: RuleText, index: int, cue_start: int) -> str | None:
    """The key of the name right before a comparison cue when the cue is said of it: "we show
    that GPT-4 can perform worse than GPT-3" compares GPT-4, not the paper's own work."""
    subject = next((e for e in reversed(text.ents[index]) if e[1] <= cue_start), None)
    if subject is None or subject[3] in _NOT_RELATED or subject[3] in _DATA or cue_start - subject[1] > 4:
        return None
    return subject[2] if all(SUBJECT_GLUE.match(w) for w in text.lower[subject[1] : cue_start]) else None


def _direction(text: RuleText, cues: list[_CueMatch], baseline: int) -> str:
    """What the sentence claims against the name at word ``baseline``: the cue nearest before it
    says, within its clause; after "compared to", the claim of the sentence nearest that frame."""
    nearest = max((m for m in cues if m.end <= baseline), key=lambda m: m.end, default=None)
    if nearest is None or any(w in CLAUSE_BREAKS for w in text.lower[nearest.end : baseline]):
        return "compared"
    if nearest.role == "frame":
        claims = [m for m in cues if m.direction != "compared"]
        return min(claims, key=lambda m: abs(m.start - nearest.start)).direction if claims else "compared"
    return nearest.direction


def _rank(confidence: float, direction: str | None) -> tuple[float, bool]:
    return confidence, direction not in (None, "compared")


class Statement(NamedTuple):
    """A relation one rule reads: ``where`` are the character bounds of its evidence."""

    head: str
    relation: str
    tail: str
    where: tuple[int, int]
    confidence: float
    direction: str | None = None


_Ent = tuple[int, int, str, str, str]  # start, end, group key, label, source (as RuleText.ents)


class _Sentence(NamedTuple):
    """What the mention rules need to know of a sentence once the proposals are known."""

    index: int  # type: ignore[assignment]  # a field shadowing tuple.index, which nothing calls
    where: tuple[int, int]
    first_person: bool
    background: bool
    passive_use: int | None  # word index of "is" in "X is used ..."
    name_positions: set[int]
    cues: list[_CueMatch]
    compare_cue: int | None  # the last word of the first cue that compares
    eval_sentence: bool
    head: str | None  # the proposal the sentence names
    variant: str | None  # a release of the proposal said before the comparison
    subject: str | None  # the name a comparison is said of


class Context:
    """One doc as the rules read it: its text, what it proposes so far, and the relations stated."""

    def __init__(self, text: RuleText):
        self.text = text
        self.proposed: dict[str, float] = {}
        self.relations: dict[tuple[str, str, str], tuple] = {}
        self.title = (0, text.text.find("\n") % (len(text.text) + 1))
        self.main = PAPER
        # Said in the paper's own voice, a known name or a model is a tool. A name only the recogniser
        # found ("convex optimization") or a coined technique the paper does not propose is as often a
        # topic or a part of its own method: those take a stated use, not a mere first-person mention.
        self.tool_keys = {key for ents in text.ents for _, _, key, label, source in ents
                          if source in _KNOWN_SOURCES or (label == "Model" and source not in _WEAK_SOURCES)}

    def sentence_bounds(self, index: int) -> tuple[int, int]:
        return self.text.char_bounds(*self.text.sents[index])

    def add(self, statement: Statement, rule: str) -> None:
        head, rel, tail, where, confidence, direction = statement
        if rel == "PROPOSES":
            self.proposed[tail] = max(self.proposed.get(tail, 0), confidence)
        triple = (head, rel, tail)
        # Of two statements of one relation the surer one stays; a comparison that claims an
        # outcome is surer than one that only compares.
        if head == tail or (triple in self.relations and _rank(*self.relations[triple][6:]) >= _rank(confidence, direction)):
            return
        self.relations[triple] = (head, rel, tail, where[0], where[1], rule, confidence, direction)

    def sentence(self, index: int) -> _Sentence:
        text, proposed = self.text, self.proposed
        sent_start, sent_end = text.sents[index]
        ents = [e for e in text.ents[index] if e[2] not in proposed and e[3] not in _NOT_RELATED]
        first_person = _is_first_person(text, index, set(proposed))
        name_positions = {i for start, end, *_ in text.ents[index] for i in range(start, end)}
        # only a name that is no data can be a baseline
        cues = _comparison_cues(text, sent_start, sent_end, name_positions) if any(
            e[3] not in _DATA for e in ents) else []
        first_cue = next((m for m in cues if m.role != "claim"), None)  # a mere claim compares nothing
        compare_cue = None if first_cue is None else first_cue.end - 1
        return _Sentence(
            index, self.sentence_bounds(index), first_person,
            not first_person and text.any_match(BACKGROUND, sent_start, sent_end),
            next((i for i in range(sent_start + 1, sent_end - 1) if text.lower[i] in BE
                  and PASSIVE_USE.match(text.lower[i + 1])), None),
            name_positions, cues, compare_cue, text.any_match(EVAL, sent_start, sent_end),
            next((e[2] for e in text.ents[index] if e[2] in proposed), None),
            # "our Light-IF-32B model surpasses ...": a release of the proposal is what is compared.
            None if compare_cue is None else next(
                (e[2] for e in reversed(text.ents[index]) if e[1] <= compare_cue and e[2] not in proposed
                 and any(e[2].startswith(p) for p in proposed)), None),
            # "X compared to Y" frames a claim made elsewhere: only a cue is said of the name before it
            _comparison_subject(text, index, first_cue.start) if first_cue and first_cue.role == "cue" else None,
        )


# --- the rules over the whole doc: what the paper proposes, what its title names as its means ---

def _title_colon(ctx: Context):
    for key in _title_names(ctx.text):
        yield Statement(PAPER, "PROPOSES", key, ctx.title, 0.9)


def _proposed_after(text: RuleText, cue: int, sent_start: int, ent: _Ent) -> bool | None:
    """Whether a name after a proposal cue is what the sentence proposes: None if not, else
    whether a naming word or "new" says so (a surer proposal)."""
    start, end, _, label, source = ent
    # "new" and "called" say it of the words right after them: "new ICL methods that ... the ICL
    # templates" makes neither mention new.
    named = any(w in NAMING or w in NOVEL for w in text.lower[max(sent_start, cue, start - 4) : start])
    rejected = (
        label in _NOT_RELATED or not (named or source in _COINED)
        or (source == "gazetteer" and text.lower[cue] in NAMING)  # "a capability called in-context learning"
        or text.lower[start - 1] in WHERE  # "... results on BarQA": where, not what
        # "a novel prompt tuning method", "a new pruning metric": a known name before a kind
        # noun describes the proposal, it is not the proposal.
        or (source not in _COINED and end < len(text) and text.lower[end] in KIND_NOUNS)
        or (start - cue > 12 and not named)
    )
    return None if rejected else named


def _propose_cue_rule(ctx: Context):
    text = ctx.text
    for index, (sent_start, _) in enumerate(text.sents):
        cue = _propose_cue(text, index) if text.ents[index] else None
        if cue is None:
            continue
        last_proposed_end = None
        for ent in text.ents[index]:
            start, end = ent[0], ent[1]
            if start <= cue:
                continue
            # One proposal per cue, or a list of them ("we propose SGDP and AdamP"); what follows
            # ("Normalized LR+GD - based on LR+GD") is what it builds on.
            if last_proposed_end is not None and not all(w in LIST_GLUE for w in text.lower[last_proposed_end:start]):
                break
            named = _proposed_after(text, cue, sent_start, ent)
            if named is not None:
                yield Statement(PAPER, "PROPOSES", ent[2], ctx.sentence_bounds(index), 0.85 if named else 0.7)
                last_proposed_end = end


def _proposed_passive(ctx: Context):
    for (_, _, key, _, _), index in _passive_proposals(ctx.text):
        yield Statement(PAPER, "PROPOSES", key, ctx.sentence_bounds(index), 0.7)


def _title_coined_rule(ctx: Context):
    for _, _, key, _, _ in _title_coined(ctx.text):
        yield Statement(PAPER, "PROPOSES", key, ctx.title, 0.6)


def _proposed_variant(ctx: Context):
    """Releases and variants of a proposal are proposed with it: "PanGu-π" -> "PanGu-π-7B",
    "RedStar-Geo", "Guide" -> "Guide-GRPO"."""
    for index, ents in enumerate(ctx.text.ents):
        for _, _, key, label, source in ents:
            if (label == "Model" or label == "Method" and source in _COINED) and key not in ctx.proposed and any(
                    len(p) > 2 and key.startswith(p) for p in list(ctx.proposed)):
                yield Statement(PAPER, "PROPOSES", key, ctx.sentence_bounds(index), 0.65)


def _title_means(ctx: Context):
    """A technique or model the title names as its means, and the paper does not propose, is a
    tool of the paper: "Faster Decoders via Knowledge Distillation", "... by Meta-Learning"."""
    text = ctx.text
    for start, end, key, label, source in (text.ents[0] if text.ents else []):
        if (end <= text.title_end and start > 0 and text.lower[start - 1] in TITLE_MEANS and key not in ctx.proposed
                and label in {"Method", "Model"} and source not in _WEAK_SOURCES):
            yield Statement(PAPER, "USES", key, ctx.title, 0.6)


# --- the rules over each mention past the title: evaluation, comparison, use ---

def _trained_on(ctx: Context, s: _Sentence, ent: _Ent) -> bool:
    """ "trained on X": a training word inside a name ("outperforms fine-tuning on GLUE") trains nothing."""
    before = max(ctx.text.sents[s.index][0], ent[0] - 6)
    return "on" in ctx.text.lower[before : ent[0]] and any(
        TRAIN.match(ctx.text.words[i]) for i in range(before, ent[0]) if i not in s.name_positions)


def _use_cue(ctx: Context, s: _Sentence, ent: _Ent) -> bool:
    start, end = ent[0], ent[1]
    before = max(ctx.text.sents[s.index][0], start - 6)
    return ctx.text.any_match(USE, before, start) or ctx.text.any_match(USE, end, end + 2)


def _train_on(ctx: Context, s: _Sentence, ent: _Ent):
    # Only stated training makes data a part of the work.
    if _trained_on(ctx, s, ent):
        yield Statement(PAPER, "USES", ent[2], s.where, 0.75)


def _trained_on_rule(ctx: Context, s: _Sentence, ent: _Ent):
    if s.head and _trained_on(ctx, s, ent):
        yield Statement(s.head, "TRAINED_ON", ent[2], s.where, 0.7)


def _evaluate_on(ctx: Context, s: _Sentence, ent: _Ent):
    """A paper that names a dataset in its own sentences, not as training data, reports results on it."""
    if not _trained_on(ctx, s, ent):
        before = max(ctx.text.sents[s.index][0], ent[0] - 6)
        confident = s.eval_sentence or ent[3] == "Benchmark" or any(w in WHERE for w in ctx.text.lower[before : ent[0]])
        yield Statement(PAPER, "EVALUATES_ON", ent[2], s.where, 0.8 if confident else 0.6)


def _compare_cue(ctx: Context, s: _Sentence, ent: _Ent):
    head = s.variant or s.head or s.subject or ctx.main
    yield Statement(head, "COMPARES_WITH", ent[2], s.where, 0.75, _direction(ctx.text, s.cues, ent[0]))


def _passive_use(ctx: Context, s: _Sentence, ent: _Ent):
    """ "The residual unit (ResNet) based CNN architecture is used in the experiments." """
    if s.passive_use is not None and ent[1] <= s.passive_use:
        yield Statement(PAPER, "USES", ent[2], s.where, 0.6)


def _use_cue_rule(ctx: Context, s: _Sentence, ent: _Ent):
    if _use_cue(ctx, s, ent):
        yield Statement(PAPER, "USES", ent[2], s.where, 0.75)


def _first_person_mention(ctx: Context, s: _Sentence, ent: _Ent):
    if ent[2] in ctx.tool_keys and not _use_cue(ctx, s, ent):
        yield Statement(PAPER, "USES", ent[2], s.where, 0.55)


def _based_on(ctx: Context, s: _Sentence, ent: _Ent):
    start = ent[0]
    if (s.head and ent[3] == "Model" and (ent[2] in ctx.tool_keys or _use_cue(ctx, s, ent))
            and ctx.text.any_match(BASED_ON, max(ctx.text.sents[s.index][0], start - 6), start)):
        yield Statement(s.head, "BASED_ON", ent[2], s.where, 0.7)


def _compares(ctx: Context, s: _Sentence, ent: _Ent) -> bool:
    # "better than X in practice on ResNets": a name after "on"/"using" is the setting, not a baseline.
    start = ent[0]
    setting = s.compare_cue is not None and start - 1 > s.compare_cue and ctx.text.lower[start - 1] in SETTING
    return s.compare_cue is not None and start > s.compare_cue and not setting and bool(s.first_person or s.head or s.variant)


#: How a mention past the title is read: the first reading whose test holds claims it, and only
#: the rules of that reading speak of it. Background sentences ("LLMs like GPT-4 have shown ...")
#: state nothing; outside the paper's own voice only a stated passive use counts.
READINGS: list[tuple[str, Callable[[Context, _Sentence, _Ent], bool]]] = [
    ("data", lambda ctx, s, ent: ent[3] in _DATA),
    ("comparison", _compares),
    ("background", lambda ctx, s, ent: s.background),
    ("third-person", lambda ctx, s, ent: not s.first_person),
    ("own-voice", lambda ctx, s, ent: True),
]


class Rule(NamedTuple):
    """A named relation rule. A ``doc`` rule reads the whole doc (``find(ctx)``); a ``mention``
    rule reads one mention past the title that its ``reading`` claims (``find(ctx, sentence, ent)``).
    Each yields :class:`Statement`; relations name the rule as ``rule:<name>``."""

    name: str
    relation: str
    scope: str
    find: Callable[..., Iterable[Statement]]
    reading: str | None = None


#: Every relation rule, in the order they run: the doc rules first (proposals before what
#: depends on them), then, mention by mention, the rules of its reading.
RULES: list[Rule] = [
    Rule("title-colon", "PROPOSES", "doc", _title_colon),
    Rule("propose-cue", "PROPOSES", "doc", _propose_cue_rule),
    Rule("proposed-passive", "PROPOSES", "doc", _proposed_passive),
    Rule("title-coined", "PROPOSES", "doc", _title_coined_rule),
    Rule("proposed-variant", "PROPOSES", "doc", _proposed_variant),
    Rule("title-means", "USES", "doc", _title_means),
    Rule("train-on", "USES", "mention", _train_on, "data"),
    Rule("trained-on", "TRAINED_ON", "mention", _trained_on_rule, "data"),
    Rule("evaluate-on", "EVALUATES_ON", "mention", _evaluate_on, "data"),
    Rule("compare-cue", "COMPARES_WITH", "mention", _compare_cue, "comparison"),
    Rule("passive-use", "USES", "mention", _passive_use, "third-person"),
    Rule("use-cue", "USES", "mention", _use_cue_rule, "own-voice"),
    Rule("first-person-mention", "USES", "mention", _first_person_mention, "own-voice"),
    Rule("based-on", "BASED_ON", "mention", _based_on, "own-voice"),
]


def _reading(ctx: Context, s: _Sentence, ent: _Ent) -> str:
    return next(name for name, holds in READINGS if holds(ctx, s, ent))


def _mentions(ctx: Context):
    """``(sentence, entity)`` of every related mention past the title the paper does not propose."""
    text = ctx.text
    for index, (sent_start, _) in enumerate(text.sents):
        ents = [e for e in text.ents[index] if e[2] not in ctx.proposed and e[3] not in _NOT_RELATED]
        if ents and sent_start >= text.title_end:  # the title is read by the doc rules
            s = ctx.sentence(index)
            yield from ((s, ent) for ent in ents)


def rule_relations(doc: Doc, groups: dict[str, str], text: RuleText | None = None) -> list[tuple[str, str, str, int, int, str, float, str | None]]:
    """The relations the rules read in the doc (see the module docstring for the tuple);
    ``groups`` are the doc's :func:`~paperkg.extractors.entities.entity_groups`."""
    if not doc.ents:
        return []
    ctx = Context(text or RuleText(doc, groups))
    for rule in RULES:
        if rule.scope == "doc":
            for statement in rule.find(ctx):
                ctx.add(statement, f"rule:{rule.name}")
    ctx.main = max(ctx.proposed, key=ctx.proposed.__getitem__) if ctx.proposed else PAPER
    mention_rules = [r for r in RULES if r.scope == "mention"]
    for s, ent in _mentions(ctx):
        reading = _reading(ctx, s, ent)
        for rule in mention_rules:
            if rule.reading == reading:
                for statement in rule.find(ctx, s, ent):
                    ctx.add(statement, f"rule:{rule.name}")
    return list(ctx.relations.values())


def find_relations(doc: Doc, groups: dict[str, str], model: RelationModel | None = None) -> list[tuple]:
    """The doc's relations: the rules', then, with ``model``, the relation model's decisions over
    them (PROPOSES, USES, EVALUATES_ON, COMPARES_WITH; the rules keep BASED_ON and TRAINED_ON)."""
    text = RuleText(doc, groups)
    rules = rule_relations(doc, groups, text)
    return rules if model is None or not doc.ents else model.relations(text, rules, doc._.abbreviations)


@Language.factory("paperkg_relations", default_config={"use_model": True},
                  assigns=["doc._.relations", "doc._.entity_groups"],
                  requires=["doc.ents", "doc._.abbreviations", "token.is_sent_start"])
class RelationExtractor:
    """Sets ``doc._.relations`` (plain tuples) and ``doc._.entity_groups`` (key -> group key).
    ``use_model``: the shipped relation model decides (else the rules alone); ``initialize(model=PATH)``
    reads another, and the model is saved with the pipeline."""

    def __init__(self, nlp: Language, name: str, use_model: bool = True):
        for attr, default in (("relations", []), ("entity_groups", {}), ("abbreviations", [])):
            if not Doc.has_extension(attr):
                Doc.set_extension(attr, default=default)
        self.model = RelationModel.load() if use_model else None

    def __call__(self, doc: Doc) -> Doc:
        doc._.entity_groups = entity_groups(doc.ents, doc._.abbreviations)
        doc._.relations = find_relations(doc, doc._.entity_groups, self.model)
        return doc

    def initialize(self, get_examples=None, *, nlp: Language | None = None, model: str | None = None) -> None:
        """Read the relation model of ``[initialize.components.<name>]`` ``model`` (JSON, as
        ``scripts/train_relations.py`` writes it)."""
        if model is not None and self.model is not None:
            self.model = RelationModel.load(model)

    def _model_json(self) -> bytes:
        return srsly.json_dumps(None if self.model is None else self.model.to_json()).encode()

    def _write_model(self, path: Path) -> None:
        path.write_bytes(self._model_json())

    def _set_model(self, data: bytes) -> None:
        loaded = srsly.json_loads(data)
        self.model = None if loaded is None else RelationModel.from_json(loaded)

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        return util.to_bytes({"model": self._model_json}, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> "RelationExtractor":
        util.from_bytes(bytes_data, {"model": self._set_model}, exclude)
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        util.to_disk(path, {"model.json": self._write_model}, exclude)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> "RelationExtractor":
        util.from_disk(path, {"model.json": lambda file: self._set_model(Path(file).read_bytes())}, exclude)
        return self

"""Relation rules: what "we propose", "evaluated on", "outperforms", "fine-tuned from" look like.

The rules read each sentence's tokens around the resolved entities (``doc.ents``)
and state relations between the paper (``PAPER``) and entities, or between
entities. ``doc._.relations`` holds plain tuples, so docs stay serialisable::

    (head_key, type, tail_key, sentence_start_char, sentence_end_char, rule, confidence, direction)

where a key is an entity group key (see :func:`extractors.entities.entity_groups`) or ``PAPER``,
and ``direction`` is what a COMPARES_WITH relation claims of its head against its tail (one of
:data:`~extractors.records.COMPARISON_DIRECTIONS`, read from :data:`COMPARISON_CUES`; None for
the other types).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from .doctext import DocText
from .entities import entity_groups
from .records import PAPER

__all__ = ["COMPARISON_CUES", "ComparisonCue", "find_relations", "RelationExtractor"]

_FIRST_PERSON = {"we", "our", "us"}
_SELF_REFERENCE = re.compile(r"\b(this|the present|our) (paper|work|study|report|article)\b|\bhere\b", re.I)
_PROPOSE = re.compile(r"^(propos\w*|introduc\w*|present\w*|develop\w*|design\w*|buil[dt]\w*|construct\w*|creat\w*|curat\w*|releas\w*|contribut\w*|devis\w*|formulat\w*|establish\w*|offer\w*|collect\w*|put|named|called|dubbed|termed|coined)$", re.I)
_NAMING = {"called", "named", "dubbed", "termed", "coined"}
_NOVEL = {"novel", "new", "first"}
_EVAL = re.compile(r"^(evaluat\w*|experiment\w*|benchmark\w*|test\w*|achiev\w*|result\w*|accura\w*|scor\w*|outperform\w*|surpass\w*|sota|state-of-the-art|gains?|improv\w*|perform\w*|demonstrat\w*|validat\w*|verif\w*|report\w*|empirical\w*)$", re.I)
_TRAIN = re.compile(r"^(train\w*|pre-?train\w*|fine-?tun\w*|finetun\w*|distill\w*)$", re.I)
_USE = re.compile(r"^(us(e|es|ed|ing)|utiliz\w*|utilis\w*|leverag\w*|employ\w*|adopt\w*|appl(y|ies|ied|ying)|fine-?tun\w*|finetun\w*|based|built|build\w*|initiali[sz]\w*|via|through|with|incorporat\w*|integrat\w*|extend\w*|combin\w*|augment\w*|equipp\w*|driven|powered|prompt\w*|train\w*|rel(y|ies|ying)|exploit\w*|inspired|follow\w*)$", re.I)
_WHERE = {"on", "across"}  # "results on X", "gains across X": where results are
_SETTING = {*_WHERE, "using", "via"}
_PASSIVE_USE = re.compile(r"^(used|employed|adopted|utili[sz]ed|leveraged|applied)$")
_BASED_ON = re.compile(r"^(fine-?tuned|finetuned|based|built|initiali[sz]ed|derived|distilled|adapted|continued)$", re.I)
_BACKGROUND = re.compile(r"^(recent\w*|existing|prior|previous\w*|popular|typical\w*|conventional|traditional|current\w*|widely|commonly|often|has|have|had|been|such)$", re.I)


_BE = {"is", "are", "was", "were", "be", "been"}
_TITLE_MEANS = {"via", "with", "using", "through", "by"}
_COINED = {"shape", "phrase", "abbreviation", "title", "naming"}
_NOT_RELATED = {"Task", "Metric"}
_KIND_NOUNS = {"method", "methods", "approach", "framework", "metric", "model", "models", "algorithm", "mechanism",
               "technique", "strategy", "family", "architecture", "paradigm", "scheme", "variant", "objective", "loss"}
_WEAK_SOURCES = {"ner"}
_KNOWN_SOURCES = {"gazetteer", "qualified"}
_LIST_GLUE = {",", "and", "or", "&", "(", ")"}
_DATA = {"Dataset", "Benchmark"}


class _Text(DocText):
    """The doc as word lists (:class:`~extractors.doctext.DocText`), with its entities per sentence
    as ``(start, end, group key, label, source)``."""

    def __init__(self, doc: Doc, groups: dict[str, str]):
        super().__init__(doc)
        starts = [start for start, _ in self.sents]
        self.ents: list[list[tuple[int, int, str, str, str]]] = [[] for _ in self.sents]
        for ent in doc.ents:
            index = bisect_right(starts, ent.start) - 1
            self.ents[index].append((ent.start, ent.end, groups[ent.kb_id_], ent.label_, ent.id_))

    def any_match(self, pattern: re.Pattern, start: int, end: int) -> bool:
        return any(pattern.match(w) for w in self.words[max(0, start) : end])

    def sentence_text(self, index: int) -> str:
        return self.span_text(*self.sents[index])


def _is_first_person(text: _Text, index: int, proposed_keys: set[str]) -> bool:
    start, end = text.sents[index]
    if any(w in _FIRST_PERSON for w in text.lower[start:end]) or _SELF_REFERENCE.search(text.sentence_text(index)):
        return True
    return any(key in proposed_keys for _, _, key, _, _ in text.ents[index])


def _propose_cue(text: _Text, index: int) -> int | None:
    """The token index of the first proposal verb the sentence says of its own work, or None."""
    start, end = text.sents[index]
    self_reference = None
    for i in range(start, end):
        if not _PROPOSE.match(text.words[i]):
            continue
        if text.lower[i] in _NAMING or any(w in _FIRST_PERSON for w in text.lower[start:i]):
            return i
        if i > start and text.lower[i - 1] in {"is", "are", "was", "were"}:
            return i
        if self_reference is None:
            self_reference = bool(_SELF_REFERENCE.search(text.sentence_text(index)))
        if self_reference:
            return i
    return None


def _passive_proposals(text: _Text):
    """``(entity, sentence index)`` for "X is (also) proposed", "X, which is introduced here",
    "X, a novel framework for ...", "our final model X"."""
    for index, (sent_start, sent_end) in enumerate(text.sents):
        for ent in text.ents[index]:
            ent_start, ent_end, _, label, source = ent
            if source not in _COINED or label in _NOT_RELATED:
                continue
            before = text.lower[max(sent_start, ent_start - 4) : ent_start]
            if before and before[-1] in _KIND_NOUNS and "our" in before:  # "our final model S4D"
                yield ent, index
                continue
            after = text.lower[ent_end : min(sent_end, ent_end + 5)]
            if after[:2] in ([",", "a"], [",", "an"]) and any(w in _NOVEL for w in after[2:4]):
                yield ent, index
                continue
            for i, word in enumerate(after):
                if word in _BE:
                    rest = [w for w in after[i + 1 : i + 3] if not w.endswith("ly") and w not in {"also", "further", "then", "here"}]
                    if rest and _PROPOSE.match(rest[0]) and rest[0].endswith("ed"):
                        yield ent, index
                    break


def _title_names(text: _Text):
    """Keys of what a title names as the paper's own: the name before its colon ("Orca: Progressive
    Learning ...", known or not) or a title that is one name ("Pointer Networks")."""
    colon = next((i for i in range(min(text.title_end, 6)) if text.words[i] == ":"), text.title_end)
    for start, end, key, label, source in (text.ents[0] if text.ents else []):
        if start == 0 and end == colon and label not in _NOT_RELATED:
            yield key
        elif source == "title":
            yield key


def _title_coined(text: _Text):
    """Names a title coins beyond its head, the paper's own: "OVOR: OnePrompt with Virtual Outlier
    Regularization", "Extending Context with Activation Beacon"."""
    for ent in (text.ents[0] if text.ents else []):
        start, end, _, label, source = ent
        if end > text.title_end:
            break
        means = text.lower[start - 1] in _TITLE_MEANS and source == "ner" and label in {"Method", "Model"}
        if start > 0 and label not in _NOT_RELATED and (source in _COINED or means):
            yield ent


class ComparisonCue(NamedTuple):
    """Words that compare, and what they claim of the compared entity against the name after them.

    ``pattern`` matches whole words of a sentence, lowercased and joined by single spaces.
    ``role`` is ``"cue"`` (the sentence compares, and this is how the comparison with the names
    after it comes out), ``"frame"`` ("compared to X, ...": the sentence compares, and the claim
    is the one its clause makes elsewhere) or ``"claim"`` ("2x faster": an outcome only, which
    makes no comparison by itself).
    """

    name: str
    pattern: re.Pattern
    direction: str
    role: str = "cue"


def _cue(name: str, pattern: str, direction: str, role: str = "cue") -> ComparisonCue:
    return ComparisonCue(name, re.compile(rf"(?<!\S)(?:{pattern})(?!\S)"), direction, role)


_QUALITIES = r"(accurate|efficient|effective|robust|stable|scalable|reliable|capable)"
_BETTER = rf"better|faster|stronger|superior|more {_QUALITIES}"
_WORSE = rf"worse|slower|weaker|inferior|less {_QUALITIES}"

#: The comparison lexicon. A sentence compares when it holds a cue or a frame; the one nearest
#: before a baseline says how that comparison comes out. Of two cues over the same words the
#: longer is read: "better than", not "than".
COMPARISON_CUES = [
    _cue("outperformed by", r"(outperform|surpass|exceed|overtak)\w* by|beaten by", "worse"),
    _cue("worse than", rf"({_WORSE})( \S+){{0,3}}? (than|to)", "worse"),
    _cue("underperforms", r"underperform\w*", "worse"),
    _cue("lags behind", r"lag\w*( \S+)? behind", "worse"),
    _cue("trails", r"trail(s|ed|ing)?", "worse"),
    _cue("falls short of", r"f[ae]ll\w* short of", "worse"),
    _cue("on par with", r"on (a )?par( with)?|parity( with)?", "on_par"),
    _cue("comparable to", r"comparabl[ey]( \S+){0,3}? (to|with)|comparabl[ey]", "on_par"),
    _cue("competitive with", r"competitive( \S+){0,2}? (with|to|against)|competitive", "on_par"),
    _cue("matches", r"match(es|ed|ing)?", "on_par"),
    _cue("rivals", r"rival(s|ed|ing|led|ling)?", "on_par"),
    _cue("as good as", r"as (good|well|strong|accurate|effective) as", "on_par"),
    _cue("outperforms", r"outperform\w*", "better"),
    _cue("surpasses", r"surpass\w*|transcend\w*", "better"),
    _cue("beats", r"beat(s|ing)?", "better"),
    _cue("exceeds", r"exceed\w*", "better"),
    _cue("better than", rf"({_BETTER})( \S+){{0,3}}? (than|to)|superior", "better"),
    _cue("improves over", r"improv\w* (over|upon)", "better"),
    # "a speedup of 1.8x over X", "gains of 2.1 BLEU over X": "over" compares only after a word of advantage
    _cue("gains over", r"(speedups?|gains?|improvements?|advantages?|margins?|boosts?|points?|better|faster|"
                       r"improv\w*|outperform\w*|\d+(\.\d+)?x)( \S+){0,3}? over", "better"),
    _cue("compared to", r"compared (to|with|against)|relative to|in contrast (to|with)|in comparison (to|with)",
         "compared", "frame"),
    _cue("compare", r"compar(e|es|ed|ing|isons?)|versus|vs\.?|than|(higher|lower)( \S+){0,3}? over", "compared"),
    _cue("faster", _BETTER, "better", "claim"),
    _cue("slower", rf"{_WORSE}|poorly", "worse", "claim"),
]

#: What a negated cue claims: "do not outperform X", "fail to beat X" -> not better;
#: "cannot match X" -> worse; "no worse than X" -> on par.
_NEGATED = {"better": "not_better", "on_par": "worse", "worse": "on_par", "compared": "compared"}
#: A negation at most two words before a cue: "do not generally outperform", "fails to beat".
_NEGATION = re.compile(r"(?<!\S)(not(?! only)|n't|never|no|cannot|unable|fail\w*)( \S+){0,2} $")


class _CueMatch(NamedTuple):
    """A comparison cue found in a sentence: its words ``start``..``end`` and what it claims."""

    start: int
    end: int
    direction: str
    role: str


def _comparison_cues(text: _Text, start: int, end: int, name_positions: set[int]) -> list[_CueMatch]:
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
        negated = _NEGATION.search(joined, 0, match.start())
        found.append(_CueMatch(first, last, _NEGATED[cue.direction] if negated else cue.direction, cue.role))
    # Words a longer cue reads are not read again: "better than", not "than"; "compared to", not
    # "compared". Of two over the same words, the one listed first.
    kept = [m for i, m in enumerate(found) if not any(
        o.start <= m.start and m.end <= o.end and (o.end - o.start > m.end - m.start or j < i)
        for j, o in enumerate(found) if j != i)]
    return sorted(kept, key=lambda m: m.end)


#: Words that may stand between the name a comparison is said of and its cue: "GPT-4 can
#: perform worse than", "X does not generally outperform", "X is outperformed by".
_SUBJECT_GLUE = re.compile(r"^(can|could|may|might|will|would|does|do|did|is|are|was|were|still|also|even|only|"
                           r"not|n't|never|perform\w*|fail\w*|to|\w+ly)$")


def _comparison_subject(text: _Text, index: int, cue_start: int) -> str | None:
    """The key of the name right before a comparison cue when the cue is said of it: "we show
    that GPT-4 can perform worse than GPT-3" compares GPT-4, not the paper's own work."""
    subject = next((e for e in reversed(text.ents[index]) if e[1] <= cue_start), None)
    if subject is None or subject[3] in _NOT_RELATED or subject[3] in _DATA or cue_start - subject[1] > 4:
        return None
    return subject[2] if all(_SUBJECT_GLUE.match(w) for w in text.lower[subject[1] : cue_start]) else None


#: Words that start a new clause: a cue before them says nothing of the names after them.
_CLAUSE_BREAKS = {";", "while", "whereas"}


def _direction(text: _Text, cues: list[_CueMatch], baseline: int) -> str:
    """What the sentence claims against the name at word ``baseline``: the cue nearest before it
    says, within its clause; after "compared to", the claim of the sentence nearest that frame."""
    nearest = max((m for m in cues if m.end <= baseline), key=lambda m: m.end, default=None)
    if nearest is None or any(w in _CLAUSE_BREAKS for w in text.lower[nearest.end : baseline]):
        return "compared"
    if nearest.role == "frame":
        claims = [m for m in cues if m.direction != "compared"]
        return min(claims, key=lambda m: abs(m.start - nearest.start)).direction if claims else "compared"
    return nearest.direction


def _rank(confidence: float, direction: str | None) -> tuple[float, bool]:
    return confidence, direction not in (None, "compared")


def find_relations(doc: Doc, groups: dict[str, str]) -> list[tuple[str, str, str, int, int, str, float, str | None]]:
    """The relations the doc states (see the module docstring for the tuple);
    ``groups`` are the doc's :func:`~extractors.entities.entity_groups`."""
    if not doc.ents:
        return []
    text = _Text(doc, groups)
    relations: dict[tuple[str, str, str], tuple] = {}

    def add(head: str, rel: str, tail: str, where: tuple[int, int], rule: str, confidence: float,
            direction: str | None = None) -> None:
        triple = (head, rel, tail)
        # Of two statements of one relation the surer one stays; a comparison that claims an
        # outcome is surer than one that only compares.
        if head == tail or (triple in relations and _rank(*relations[triple][6:]) >= _rank(confidence, direction)):
            return
        relations[triple] = (head, rel, tail, where[0], where[1], rule, confidence, direction)

    def sentence(index: int) -> tuple[int, int]:
        return text.char_bounds(*text.sents[index])

    title = (0, text.text.find("\n") % (len(text.text) + 1))

    # 1. What the paper proposes.
    proposed: dict[str, float] = {}

    def propose(key: str, where: tuple[int, int], rule: str, confidence: float) -> None:
        proposed[key] = max(proposed.get(key, 0), confidence)
        add(PAPER, "PROPOSES", key, where, rule, confidence)

    for key in _title_names(text):
        propose(key, title, "title-colon", 0.9)
    for index, (sent_start, _) in enumerate(text.sents):
        cue = _propose_cue(text, index) if text.ents[index] else None
        if cue is None:
            continue
        last_proposed_end = None
        for start, end, key, label, source in text.ents[index]:
            if start <= cue:
                continue
            # One proposal per cue, or a list of them ("we propose SGDP and AdamP"); what follows
            # ("Normalized LR+GD - based on LR+GD") is what it builds on.
            if last_proposed_end is not None and not all(w in _LIST_GLUE for w in text.lower[last_proposed_end:start]):
                break
            # "new" and "called" say it of the words right after them: "new ICL methods that ... the ICL
            # templates" makes neither mention new.
            named = any(w in _NAMING or w in _NOVEL for w in text.lower[max(sent_start, cue, start - 4) : start])
            if label in _NOT_RELATED or not (named or source in _COINED):
                continue
            if source == "gazetteer" and text.lower[cue] in _NAMING:  # "a capability called in-context learning"
                continue
            if text.lower[start - 1] in _WHERE:  # "... results on BarQA": where, not what
                continue
            # "a novel prompt tuning method", "a new pruning metric": a known name before a kind
            # noun describes the proposal, it is not the proposal.
            if source not in _COINED and end < len(text) and text.lower[end] in _KIND_NOUNS:
                continue
            if start - cue > 12 and not named:
                continue
            propose(key, sentence(index), "propose-cue", 0.85 if named else 0.7)
            last_proposed_end = end
    for (_, _, key, _, _), index in _passive_proposals(text):
        propose(key, sentence(index), "proposed-passive", 0.7)
    for _, _, key, _, _ in _title_coined(text):
        propose(key, title, "title-coined", 0.6)
    # Releases and variants of a proposal are proposed with it: "PanGu-π" -> "PanGu-π-7B", "RedStar-Geo",
    # "Guide" -> "Guide-GRPO".
    for index, ents in enumerate(text.ents):
        for _, _, key, label, source in ents:
            if (label == "Model" or label == "Method" and source in _COINED) and key not in proposed and any(
                    len(p) > 2 and key.startswith(p) for p in list(proposed)):
                propose(key, sentence(index), "proposed-variant", 0.65)
    proposed_keys = set(proposed)
    main = max(proposed, key=proposed.get) if proposed else PAPER
    # Said in the paper's own voice, a known name or a model is a tool. A name only the recogniser
    # found ("convex optimization") or a coined technique the paper does not propose is as often a
    # topic or a part of its own method: those take a stated use, not a mere first-person mention.
    tool_keys = {key for ents in text.ents for _, _, key, label, source in ents
                 if source in _KNOWN_SOURCES or (label == "Model" and source not in _WEAK_SOURCES)}

    # 2. A technique or model the title names as its means, and the paper does not propose, is a
    # tool of the paper: "Faster Decoders via Knowledge Distillation", "... by Meta-Learning".
    for start, end, key, label, source in (text.ents[0] if text.ents else []):
        if (end <= text.title_end and start > 0 and text.lower[start - 1] in _TITLE_MEANS and key not in proposed_keys
                and label in {"Method", "Model"} and source not in _WEAK_SOURCES):
            add(PAPER, "USES", key, title, "title-means", 0.6)

    # 3. Per sentence: comparisons, evaluation, use.
    for index, (sent_start, sent_end) in enumerate(text.sents):
        ents = [e for e in text.ents[index] if e[2] not in proposed_keys and e[3] not in _NOT_RELATED]
        if not ents or sent_start < text.title_end:  # the title is read by the rules above
            continue
        where = sentence(index)
        first_person = _is_first_person(text, index, proposed_keys)
        background = not first_person and text.any_match(_BACKGROUND, sent_start, sent_end)
        passive_use = next((i for i in range(sent_start + 1, sent_end - 1) if text.lower[i] in _BE
                            and _PASSIVE_USE.match(text.lower[i + 1])), None)
        name_positions = {i for start, end, *_ in text.ents[index] for i in range(start, end)}
        # only a name that is no data can be a baseline
        cues = _comparison_cues(text, sent_start, sent_end, name_positions) if any(
            e[3] not in _DATA for e in ents) else []
        first_cue = next((m for m in cues if m.role != "claim"), None)  # a mere claim compares nothing
        compare_cue = None if first_cue is None else first_cue.end - 1
        eval_sentence = text.any_match(_EVAL, sent_start, sent_end)
        head_in_sentence = next((e[2] for e in text.ents[index] if e[2] in proposed_keys), None)
        # "our Light-IF-32B model surpasses ...": a release of the proposal is what is compared.
        variant = None if compare_cue is None else next(
            (e[2] for e in reversed(text.ents[index]) if e[1] <= compare_cue and e[2] not in proposed_keys
             and any(e[2].startswith(p) for p in proposed_keys)), None)
        # "X compared to Y" frames a claim made elsewhere: only a cue is said of the name before it
        subject = _comparison_subject(text, index, first_cue.start) if first_cue and first_cue.role == "cue" else None
        for start, end, key, label, _ in ents:
            before = max(sent_start, start - 6)
            if label in _DATA:
                # A training word inside a name ("outperforms fine-tuning on GLUE") trains nothing.
                trained_on = "on" in text.lower[before:start] and any(
                    _TRAIN.match(text.words[i]) for i in range(before, start) if i not in name_positions)
                # Only stated training makes data a part of the work; otherwise a paper that names a
                # dataset in its own sentences reports results on it.
                if trained_on:
                    add(PAPER, "USES", key, where, "train-on", 0.75)
                    if head_in_sentence:
                        add(head_in_sentence, "TRAINED_ON", key, where, "trained-on", 0.7)
                else:
                    confident = eval_sentence or label == "Benchmark" or any(
                        w in _WHERE for w in text.lower[before:start])
                    add(PAPER, "EVALUATES_ON", key, where, "evaluate-on", 0.8 if confident else 0.6)
                continue
            # "better than X in practice on ResNets": a name after "on"/"using" is the setting, not a baseline.
            setting = compare_cue is not None and start - 1 > compare_cue and text.lower[start - 1] in _SETTING
            if compare_cue is not None and start > compare_cue and not setting and (first_person or head_in_sentence or variant):
                add(variant or head_in_sentence or subject or main, "COMPARES_WITH", key, where, "compare-cue", 0.75,
                    _direction(text, cues, start))
                continue
            if background:
                continue
            if not first_person:
                # "The residual unit (ResNet) based CNN architecture is used in the experiments."
                if passive_use is not None and end <= passive_use:
                    add(PAPER, "USES", key, where, "passive-use", 0.6)
                continue
            use_cue = text.any_match(_USE, before, start) or text.any_match(_USE, end, end + 2)
            if not use_cue and key not in tool_keys:
                continue
            add(PAPER, "USES", key, where, "use-cue" if use_cue else "first-person-mention", 0.75 if use_cue else 0.55)
            if head_in_sentence and label == "Model" and text.any_match(_BASED_ON, before, start):
                add(head_in_sentence, "BASED_ON", key, where, "based-on", 0.7)
    return list(relations.values())


@Language.factory("paperkg_relations", default_config={}, assigns=["doc._.relations", "doc._.entity_groups"],
                  requires=["doc.ents", "doc._.abbreviations", "token.is_sent_start"])
class RelationExtractor:
    """Sets ``doc._.relations`` (plain tuples) and ``doc._.entity_groups`` (key -> group key)."""

    def __init__(self, nlp: Language, name: str):
        for attr, default in (("relations", []), ("entity_groups", {}), ("abbreviations", [])):
            if not Doc.has_extension(attr):
                Doc.set_extension(attr, default=default)

    def __call__(self, doc: Doc) -> Doc:
        doc._.entity_groups = entity_groups(doc.ents, doc._.abbreviations)
        doc._.relations = find_relations(doc, doc._.entity_groups)
        return doc


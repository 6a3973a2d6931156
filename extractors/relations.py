"""Relation rules: what "we propose", "evaluated on", "outperforms", "fine-tuned from" look like.

The rules read each sentence's tokens around the resolved entities (``doc.ents``)
and state relations between the paper (``PAPER``) and entities, or between
entities. ``doc._.relations`` holds plain tuples, so docs stay serialisable::

    (head_key, type, tail_key, sentence_start_char, sentence_end_char, rule, confidence)

where a key is an entity group key (see :func:`entity_groups`) or ``PAPER``.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc, Span

from .records import PAPER

__all__ = ["entity_groups", "find_relations", "RelationExtractor"]

_FIRST_PERSON = {"we", "our", "us"}
_SELF_REFERENCE = re.compile(r"\b(this|the present|our) (paper|work|study|report|article)\b|\bhere\b", re.I)
_PROPOSE = re.compile(r"^(propos\w*|introduc\w*|present\w*|develop\w*|design\w*|buil[dt]\w*|construct\w*|creat\w*|curat\w*|releas\w*|contribut\w*|devis\w*|formulat\w*|establish\w*|offer\w*|collect\w*|put|named|called|dubbed|termed|coined)$", re.I)
_NAMING = {"called", "named", "dubbed", "termed", "coined"}
_NOVEL = {"novel", "new", "first"}
_COMPARE = re.compile(r"^(outperform\w*|surpass\w*|beat\w*|exceed\w*|compar\w*|versus|vs\.?|against|than|superior|rival\w*|match\w*|over|relative|baselines?)$", re.I)
_COMPARE_STRONG = re.compile(r"^(outperform\w*|surpass\w*|beat\w*|exceed\w*|compar\w*|versus|vs\.?|than|superior|rival\w*|competitive|contrast|match(es|ing)?|transcend\w*)$", re.I)
#: "a speedup of 1.8x over X", "gains over X": "over" compares only after a word of advantage.
_ADVANTAGE = re.compile(r"^(speedups?|gains?|improvements?|advantages?|margins?|boosts?|points?|x|better|faster|higher|lower|improv\w*|outperform\w*)$", re.I)
_EVAL = re.compile(r"^(evaluat\w*|experiment\w*|benchmark\w*|test\w*|achiev\w*|result\w*|accura\w*|scor\w*|outperform\w*|surpass\w*|sota|state-of-the-art|gains?|improv\w*|perform\w*|demonstrat\w*|validat\w*|verif\w*|report\w*|empirical\w*)$", re.I)
_TRAIN = re.compile(r"^(train\w*|pre-?train\w*|fine-?tun\w*|finetun\w*|distill\w*)$", re.I)
_USE = re.compile(r"^(us(e|es|ed|ing)|utiliz\w*|utilis\w*|leverag\w*|employ\w*|adopt\w*|appl(y|ies|ied|ying)|fine-?tun\w*|finetun\w*|based|built|build\w*|initiali[sz]\w*|via|through|with|incorporat\w*|integrat\w*|extend\w*|combin\w*|augment\w*|equipp\w*|driven|powered|prompt\w*|train\w*|rel(y|ies|ying)|exploit\w*|inspired|follow\w*)$", re.I)
_BASED_ON = re.compile(r"^(fine-?tuned|finetuned|based|built|initiali[sz]ed|derived|distilled|adapted|continued)$", re.I)
_BACKGROUND = re.compile(r"^(recent\w*|existing|prior|previous\w*|popular|typical\w*|conventional|traditional|current\w*|widely|commonly|often|has|have|had|been|such)$", re.I)


def entity_groups(doc: Doc) -> dict[str, str]:
    """Map each entity key of the doc to its group key: an acronym and its expansion are one group."""
    parent: dict[str, str] = {ent.kb_id_: ent.kb_id_ for ent in doc.ents}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    by_token = {}
    for ent in doc.ents:
        for i in range(ent.start, ent.end):
            by_token[i] = ent
    for s_start, _, l_start, l_end in getattr(doc._, "abbreviations", []):
        short = by_token.get(s_start)
        longs = {by_token[i].kb_id_ for i in range(l_start, l_end) if i in by_token}
        if short is None or len(longs) != 1:
            continue
        long_key = longs.pop()
        if long_key != short.kb_id_:
            # the expansion names the group: it is the fullest form
            parent[find(short.kb_id_)] = find(long_key)
    return {key: find(key) for key in parent}


def _sentence_of(span: Span) -> Span:
    return span.sent if span.doc.has_annotation("SENT_START") else span.doc[:]


def _is_first_person(sent: Span, proposed_keys: set[str], groups: dict[str, str]) -> bool:
    if any(t.lower_ in _FIRST_PERSON for t in sent) or _SELF_REFERENCE.search(sent.text):
        return True
    return any(groups.get(e.kb_id_) in proposed_keys for e in sent.ents)


_BE = {"is", "are", "was", "were", "be", "been"}
_TITLE_MEANS = {"via", "with", "using", "through", "by"}
_COINED = {"shape", "phrase", "abbreviation", "title"}


def _passive_proposals(doc: Doc):
    """``(entity, sentence)`` for "X is (also) proposed", "X, which is introduced here"."""
    for sent in doc.sents:
        for ent in sent.ents:
            if ent.id_ not in _COINED or ent.label_ in {"Task", "Metric"}:
                continue
            after = doc[ent.end : min(sent.end, ent.end + 5)]
            for i, token in enumerate(after):
                if token.lower_ in _BE:
                    rest = [t for t in after[i + 1 : i + 3] if not t.lower_.endswith("ly") and t.lower_ not in {"also", "further", "then", "here"}]
                    if rest and _PROPOSE.match(rest[0].text) and rest[0].text.endswith("ed"):
                        yield ent, sent
                    break


def _title_means(doc: Doc, title_end: int):
    """Coined names a title gives as its means: "Extending Context with Activation Beacon"."""
    for ent in doc.ents:
        if ent.end > title_end:
            break
        if ent.start > 0 and doc[ent.start - 1].lower_ in _TITLE_MEANS and ent.id_ in _COINED | {"ner"} \
                and ent.label_ in {"Method", "Model"}:
            yield ent


def find_relations(doc: Doc) -> list[tuple[str, str, str, int, int, str, float]]:
    """The relations the doc states (see the module docstring for the tuple)."""
    groups = entity_groups(doc)
    if not doc.ents:
        return []
    title_end = next((t.i for t in doc if "\n" in t.text), len(doc))
    relations: dict[tuple[str, str, str], tuple] = {}

    def add(head: str, rel: str, tail: str, sent: Span, rule: str, confidence: float) -> None:
        triple = (head, rel, tail)
        if head == tail or (triple in relations and relations[triple][-1] >= confidence):
            return
        relations[triple] = (head, rel, tail, sent.start_char, sent.end_char, rule, confidence)

    # 1. What the paper proposes.
    proposed: dict[str, float] = {}
    for ent in doc.ents:
        key = groups[ent.kb_id_]
        if ent.id_ == "title":
            proposed[key] = max(proposed.get(key, 0), 0.9)
            add(PAPER, "PROPOSES", key, doc[:title_end], "title-colon", 0.9)
    for sent in doc.sents:
        words = [t.lower_ for t in sent]
        cue = next((t for t in sent if _PROPOSE.match(t.text) and (
            t.lower_ in _NAMING or any(w in _FIRST_PERSON for w in words[: max(0, t.i - sent.start)])
            or _SELF_REFERENCE.search(sent.text) or (t.i > sent.start and doc[t.i - 1].lower_ in {"is", "are", "was", "were"}))), None)
        if cue is None:
            continue
        for ent in sent.ents:
            if ent.start <= cue.i:
                continue
            window = doc[max(sent.start, ent.start - 4) : ent.start]
            named = any(t.lower_ in _NAMING for t in window) or any(t.lower_ in _NOVEL for t in doc[cue.i : ent.start])
            coined = ent.id_ in _COINED
            if ent.label_ in {"Task", "Metric"} or not (named or coined):
                continue
            if ent.start - cue.i > 12 and not named:
                continue
            key = groups[ent.kb_id_]
            confidence = 0.85 if named else 0.7
            proposed[key] = max(proposed.get(key, 0), confidence)
            add(PAPER, "PROPOSES", key, sent, "propose-cue", confidence)
    for ent, sent in _passive_proposals(doc):
        key = groups[ent.kb_id_]
        proposed[key] = max(proposed.get(key, 0), 0.7)
        add(PAPER, "PROPOSES", key, sent, "proposed-passive", 0.7)
    if not proposed:
        for ent in _title_means(doc, title_end):
            key = groups[ent.kb_id_]
            proposed[key] = 0.6
            add(PAPER, "PROPOSES", key, doc[:title_end], "title-means", 0.6)
    proposed_keys = set(proposed)
    main = max(proposed, key=proposed.get) if proposed else PAPER

    # 2. Per sentence: comparisons, evaluation, use.
    for sent in doc.sents:
        ents = [e for e in sent.ents if groups[e.kb_id_] not in proposed_keys and e.label_ not in {"Task", "Metric"}]
        if not ents or sent.end <= title_end:
            continue
        first_person = _is_first_person(sent, proposed_keys, groups)
        background = not first_person and any(_BACKGROUND.match(t.text) for t in sent)
        compare_cue = next((t for t in sent if _COMPARE_STRONG.match(t.text) or (
            t.lower_ == "over" and any(_ADVANTAGE.match(w.text) or w.text.endswith("x") and w.text[:-1].replace(".", "").isdigit()
                                       for w in doc[max(sent.start, t.i - 4) : t.i]))), None)
        eval_sentence = any(_EVAL.match(t.text) for t in sent)
        head_in_sentence = next((groups[e.kb_id_] for e in sent.ents if groups[e.kb_id_] in proposed_keys), None)
        for ent in ents:
            key = groups[ent.kb_id_]
            before = doc[max(sent.start, ent.start - 6) : ent.start]
            if ent.label_ in {"Dataset", "Benchmark"}:
                if background:
                    continue
                trained_on = any(_TRAIN.match(t.text) for t in before) and any(t.lower_ == "on" for t in before)
                # Only stated training makes data a part of the work; otherwise a paper that names a
                # dataset in its own sentences reports results on it.
                if trained_on:
                    add(PAPER, "USES", key, sent, "train-on", 0.75)
                    if head_in_sentence:
                        add(head_in_sentence, "TRAINED_ON", key, sent, "trained-on", 0.7)
                else:
                    confident = eval_sentence or ent.label_ == "Benchmark" or any(t.lower_ in {"on", "across"} for t in before)
                    add(PAPER, "EVALUATES_ON", key, sent, "evaluate-on", 0.8 if confident else 0.6)
                continue
            if compare_cue is not None and ent.start > compare_cue.i and (first_person or head_in_sentence):
                add(head_in_sentence or main, "COMPARES_WITH", key, sent, "compare-cue", 0.75)
                continue
            if background or not first_person:
                continue
            use_cue = any(_USE.match(t.text) for t in before) or any(_USE.match(t.text) for t in doc[ent.end : ent.end + 2])
            add(PAPER, "USES", key, sent, "use-cue" if use_cue else "first-person-mention", 0.75 if use_cue else 0.55)
            if head_in_sentence and ent.label_ == "Model" and any(_BASED_ON.match(t.text) for t in before):
                add(head_in_sentence, "BASED_ON", key, sent, "based-on", 0.7)
    return list(relations.values())


@Language.factory("paperkg_relations", default_config={})
class RelationExtractor:
    """Sets ``doc._.relations`` (plain tuples) and ``doc._.entity_groups`` (key -> group key)."""

    def __init__(self, nlp: Language, name: str):
        for attr, default in (("relations", []), ("entity_groups", {}), ("abbreviations", [])):
            if not Doc.has_extension(attr):
                Doc.set_extension(attr, default=default)

    def __call__(self, doc: Doc) -> Doc:
        doc._.entity_groups = entity_groups(doc)
        doc._.relations = find_relations(doc)
        return doc


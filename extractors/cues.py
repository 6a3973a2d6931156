"""The cue lexicon: the words that say a paper proposes, uses, trains on, evaluates or compares.

One place for every cue word set the rules (:mod:`paperkg.extractors.relations`), the relation model's
features (:mod:`paperkg.extractors.relation_model`) and entity typing (:mod:`paperkg.extractors.entities`) read,
so the recogniser and the relation rules cannot drift apart. Patterns match one lowercase (or
original-case, where said) word; sets hold lowercase words.

>>> bool(EVAL.match("evaluated")), bool(TRAIN.match("fine-tuning")), bool(TRAINING_DATA.match("corpus"))
(True, True, True)
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "FIRST_PERSON", "SELF_REFERENCE", "PROPOSE", "NAMING", "NOVEL", "EVAL", "TRAIN", "TRAINING_DATA", "USE",
    "WHERE", "SETTING", "TASK_HEAD", "PASSIVE_USE", "BASED_ON", "BACKGROUND", "BE", "TITLE_MEANS", "KIND_NOUNS", "LIST_GLUE",
    "ComparisonCue", "COMPARISON_CUES", "NEGATED", "NEGATION", "SUBJECT_GLUE", "CLAUSE_BREAKS", "WORD_CLASSES",
]

FIRST_PERSON = {"we", "our", "us"}
SELF_REFERENCE = re.compile(r"\b(this|the present|our) (paper|work|study|report|article)\b|\bhere\b", re.I)
PROPOSE = re.compile(r"^(propos\w*|introduc\w*|present\w*|develop\w*|design\w*|buil[dt]\w*|construct\w*|creat\w*|curat\w*|releas\w*|contribut\w*|devis\w*|formulat\w*|establish\w*|offer\w*|collect\w*|put|named|called|dubbed|termed|coined)$", re.I)
#: Words that give a name: "a method called Guide".
NAMING = {"called", "named", "dubbed", "termed", "coined"}
NOVEL = {"novel", "new", "first"}
#: Words of reported results; a sentence holding one reports on the data it names.
EVAL = re.compile(r"^(evaluat\w*|experiment\w*|benchmark\w*|test\w*|achiev\w*|result\w*|accura\w*|scor\w*|outperform\w*|surpass\w*|sota|state-of-the-art|gains?|improv\w*|perform\w*|demonstrat\w*|validat\w*|verif\w*|report\w*|empirical\w*)$", re.I)
_TRAINING = r"train\w*|pre-?train\w*|fine-?tun\w*|finetun\w*|distill\w*"
TRAIN = re.compile(rf"^({_TRAINING})$", re.I)
#: Training words and the words of collected data: a name among them is training data.
TRAINING_DATA = re.compile(rf"^({_TRAINING}|corpus|corpora|collected|curated)$", re.I)
USE = re.compile(r"^(us(e|es|ed|ing)|utiliz\w*|utilis\w*|leverag\w*|employ\w*|adopt\w*|appl(y|ies|ied|ying)|fine-?tun\w*|finetun\w*|based|built|build\w*|initiali[sz]\w*|via|through|with|incorporat\w*|integrat\w*|extend\w*|combin\w*|augment\w*|equipp\w*|driven|powered|prompt\w*|train\w*|rel(y|ies|ying)|exploit\w*|inspired|follow\w*)$", re.I)
WHERE = {"on", "across"}  # "results on X", "gains across X": where results are
SETTING = {*WHERE, "using", "via"}
PASSIVE_USE = re.compile(r"^(used|employed|adopted|utili[sz]ed|leveraged|applied)$")
BASED_ON = re.compile(r"^(fine-?tuned|finetuned|based|built|initiali[sz]ed|derived|distilled|adapted|continued)$", re.I)
BACKGROUND = re.compile(r"^(recent\w*|existing|prior|previous\w*|popular|typical\w*|conventional|traditional|current\w*|widely|commonly|often|has|have|had|been|such)$", re.I)
BE = {"is", "are", "was", "were", "be", "been"}
TITLE_MEANS = {"via", "with", "using", "through", "by"}
KIND_NOUNS = {"method", "methods", "approach", "framework", "metric", "model", "models", "algorithm", "mechanism",
              "technique", "strategy", "family", "architecture", "paradigm", "scheme", "variant", "objective", "loss"}
#: The last word of a task's name ("pose estimation", "instance segmentation"): a name ending in one
#: names a task, not a model or a benchmark.
TASK_HEAD = re.compile(r"(detection|translation|classification|recognition|segmentation|answering|summarization|"
                       r"summarisation|retrieval|estimation|tracking|captioning|parsing|completion|forecasting|"
                       r"synthesis|understanding|inference|reasoning|generation|modeling|modelling|tagging|labeling|"
                       r"localization|prediction)$")
#: The split of a dataset a result is reported on ("COCO test-dev", "the validation set"): a setting
#: of the result, never a name of its own. A regular expression's text, to be built into others.
DATA_SPLIT = r"test-dev|test-std|test-clean|test-other|(?:val|validation|test|dev) (?:set|split)"
#: Words between the names of one list: "we propose SGDP and AdamP".
LIST_GLUE = {",", "and", "or", "&", "(", ")"}


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
NEGATED = {"better": "not_better", "on_par": "worse", "worse": "on_par", "compared": "compared"}
#: A negation at most two words before a cue: "do not generally outperform", "fails to beat".
NEGATION = re.compile(r"(?<!\S)(not(?! only)|n't|never|no|cannot|unable|fail\w*)( \S+){0,2} $")
#: Words that may stand between the name a comparison is said of and its cue: "GPT-4 can
#: perform worse than", "X does not generally outperform", "X is outperformed by".
SUBJECT_GLUE = re.compile(r"^(can|could|may|might|will|would|does|do|did|is|are|was|were|still|also|even|only|"
                          r"not|n't|never|perform\w*|fail\w*|to|\w+ly)$")
#: Words that start a new clause: a cue before them says nothing of the names after them.
CLAUSE_BREAKS = {";", "while", "whereas"}

#: Named word classes of the lexicon, for features that say which kind of cue stands near a name.
WORD_CLASSES: list[tuple[str, re.Pattern]] = [
    ("propose", PROPOSE), ("eval", EVAL), ("train", TRAIN), ("use", USE), ("passive-use", PASSIVE_USE),
    ("based-on", BASED_ON), ("background", BACKGROUND),
    ("naming", re.compile(rf"^({'|'.join(sorted(NAMING))})$")), ("novel", re.compile(rf"^({'|'.join(sorted(NOVEL))})$")),
    ("first-person", re.compile(rf"^({'|'.join(sorted(FIRST_PERSON))})$")),
    ("where", re.compile(rf"^({'|'.join(sorted(WHERE))})$")), ("kind-noun", re.compile(rf"^({'|'.join(sorted(KIND_NOUNS))})$")),
]

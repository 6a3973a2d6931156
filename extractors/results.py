"""The result rules: result statements of an abstract ("83.1% top-1 accuracy on ImageNet", "+3.4 AP on
COCO test-dev") read by named rules. The shipped extractor is :mod:`paperkg.extractors.result_model`,
which reads values with these rules' parts and takes their decisions as features; the rules
alone are its cross-validated baseline (``scripts/train_results.py``).

Reads a processed doc (the pipeline's sentences, entities and relations) sentence by sentence:

1. every number is a candidate value (``74.06%``, ``+3.4``, ``2.5x``, ``0.97dB``);
2. :data:`SKIP_RULES` drop the numbers that are no result: parts of names, sizes and counts,
   speed-ups and savings, the baseline's own number ("from 45.1 to 67.3", "than 71.2%"), drops,
   years, citations, spreads; a number with neither a unit nor a metric next to it is no score;
3. :data:`BENCHMARK_RULES` give each value its Dataset or Benchmark (a sentence without one
   states no result): "CIFAR10 (99.2%)", values and names listed in the same order, the name
   right after the value, the one name of the sentence;
4. the metric comes from :mod:`paperkg.extractors.metrics` ("top-1 accuracy" after the value, or "FID of"
   before it), the kind from :data:`KIND_RULES` (gain, relative change, else absolute), the subject
   from :data:`SUBJECT_RULES` (a named model or method that reports it, else the paper's own
   proposal, else ``PAPER``), the baseline from the comparison the sentence makes.

>>> from paperkg.extractors.extract import doc_to_extraction
>>> from paperkg.extractors.pipeline import load_pipeline
>>> from paperkg.extractors.records import Paper
>>> paper = Paper("p", "StepTune", "StepTune reaches 83.1% top-1 accuracy on ImageNet (5-shot).")
>>> [result] = doc_to_extraction(load_pipeline()(paper.text), paper, read_results=find_results).results
>>> result.subject, result.benchmark, result.metric, result.value, result.unit, result.kind, result.setting
('StepTune', 'ImageNet', 'top-1 accuracy', '83.1', '%', 'absolute', '5-shot')
"""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import Callable, Mapping, NamedTuple

from spacy.tokens import Doc

from .cues import CLAUSE_BREAKS, DATA_SPLIT, TASK_HEAD
from .doctext import DocText
from .metrics import find_metric
from .records import PAPER, RANGE_WORDS, Entity, Result

__all__ = ["find_results", "result_tasks", "TASK_RULES", "SKIP_RULES", "BENCHMARK_RULES", "KIND_RULES", "SUBJECT_RULES"]

_DATA = {"Dataset", "Benchmark"}
_SUBJECT_TYPES = {"Model", "Method"}
_DATA_NOUN = re.compile(r"^(datasets?|benchmarks?|corpus|corpora)$", re.I)
_TRAIN = re.compile(r"^(pre-?train\w*|train\w*|fine-?tun\w*|finetun\w*|distill\w*)$", re.I)
_RESULT_VERB = re.compile(r"^(achiev\w*|reach\w*|obtain\w*|attain\w*|outperform\w*|surpass\w*|improv\w*|yield\w*|"
                          r"gets?|sets?|establish\w*|scor\w*|records?|delivers?|exceed\w*|beats?|boosts?|reduc\w*)$", re.I)
# A number as abstracts write it, TeX included: "+2.3%", "\sim6", "$\textbf{18.99}$%", "90.5$\%$".
_NUMBER = re.compile(r"^[$~≈+±−-]*?(?:\\sim|\\approx)?(?:\\(?:textbf|mathbf|textit|bf)\{)?(?P<sign>[+±−-])?"
                     r"(?P<value>\d+(?:\.\d+)?)\}?\$?(?P<unit>\\?%|x|×|pp|dB)?\\?(?:\$|on|in)?$")
_UNIT_WORDS = {"%": "%", "\\%": "%", "percent": "%", "pp": "points", "points": "points", "point": "points", "x": "x",
               "×": "x", "times": "x"}
#: A range in one word ("5-20", "3%∼7", "12%~28%"); in several, RANGE_WORDS stand between its ends.
_RANGE_WORD = re.compile(rf"^(?P<low>\d+(?:\.\d+)?)%?[{''.join(re.escape(w) for w in RANGE_WORDS if len(w) == 1)}]"
                         r"(?P<high>\d+(?:\.\d+)?)(?P<unit>%)?$")
_PERCENT_POINTS = ("percentage", "percent")  # "3.0 percent points"
#: A size in dimensions, in one word or three, TeX too: "256×256", "128 × 128", "3x3", "$128 \times 128$".
_DIMENSIONS_WORD = re.compile(r"^\$?\d+(?:[×x]|\\times)\d+\$?$")
_DIMENSIONS_SIGN = {"×", "x", "\\times"}
_COUNT_NOUNS = re.compile(
    r"^(param\w*|\w*flops|images?|samples?|examples?|tokens?|layers?|epochs?|steps?|iterations?|hours?|days?|gpus?|"
    r"classes|categories|languages|tasks?|datasets?|benchmarks?|models?|videos?|frames?|users?|flops|gflops|macs|"
    r"mb|gb|million|billion|thousand|minutes?|seconds?|ms|fps|bits?|dimensions?|words?|sentences?|questions?|"
    r"pairs?|annotations?|labels?|slices?|runs?|queries|instances|subjects?|clients?|nodes?|edges?|objects?|"
    r"scenes?|hrs|k|m|b|of)$", re.I)
_COST = re.compile(
    r"^(faster|slower|speed\w*|fewer|smaller|less|cheaper|memory|latency|throughput|compress\w*|savings?|"
    r"inference|training|cost|costs|time|flops|parameters|params|storage|energy|compute)$", re.I)
_DROP = re.compile(r"^(drops?|degradation|decrease[sd]?|loss|lower|gaps?|difference)$", re.I)
#: Words of a sentence about others' work: "A recent study hypothesized that ... over 80% on GSM8K".
_BACKGROUND = re.compile(r"^(recent|existing|prior|previous|hypothesi\w*|typically|commonly|conventional\w*|reportedly|"
                         r"baselines?|competing|competitors?|vanilla)$", re.I)
#: Generic subjects, whose results are no paper's own: "Transformers achieve 80.1%", "LLMs reach only 40%".
_GENERIC_SUBJECT = re.compile(r"^(models|methods|approaches|networks|transformers|llms|cnns|systems|algorithms|"
                              r"techniques|works|humans)$", re.I)
_BASELINE_CUE = re.compile(r"^(from|than|vs\.?|versus|compared|previous|prior|existing|baselines?|sota|"
                           r"state-of-the-art|while|whereas|only)$", re.I)
#: Words before a baseline cue that make the value the paper's own: "more than 90%", "a new state-of-the-art of 71.9%".
_OWN_BEFORE_CUE = {"than": {"more", "greater", "less", "fewer"},
                   **dict.fromkeys(("state-of-the-art", "sota"), {"new", "achieve", "achieves", "achieved", "achieving",
                                                                  "set", "sets", "establish", "establishes"})}
_GAIN_BEFORE = re.compile(r"^(by|improv\w*|gains?|boost\w*|increas\w*|outperform\w*|surpass\w*|\+)$", re.I)
_GAIN_AFTER = re.compile(r"^(improvements?|gains?|higher|better|increases?|boosts?|over|above|margin|absolute)$", re.I)
_COMPARE = re.compile(r"^(than|over|compared|vs\.?|versus|against|outperform\w*|surpass\w*|improv\w*|beat\w*)$", re.I)
#: Words before a model that the paper's method produced ("the distilled ResNet-18", "our pruned ViT").
_MADE_BY_METHOD = {"distilled", "pruned", "quantized", "quantised", "compressed", "sparsified", "binarized",
                   "binarised"}
_NOT_SUBJECT_BEFORE = {"with", "using", "from", "than", "over", "vs", "versus", "against", "to", "of", "on", "by",
                       "for", "like", "as", "in", "and", "or", "via", "through"}
_FIRST_PERSON = re.compile(r"\b(we|our|us|the proposed|this (method|model|approach|framework|work)|it)\b", re.I)
_SETTINGS = re.compile(
    rf"\b(\d+-way \d+-shot|\d+- ?way \d+-shot|\d+-shot|zero-shot|few-shot|one-shot|{DATA_SPLIT}|"
    r"novel classes|unseen classes|base classes|"
    # a score under attack is no clean score; one with a fraction of the labels no fully supervised one
    r"under (?:the )?(?:FGSM|PGD(?:-\d+)?|AutoAttack|C&W|CW|black-box|white-box|adversarial)(?: attacks?)?|"
    r"\d+(?:\.\d+)? ?% (?:of (?:the )?)?(?:labels|label(?:l)?ed (?:data|images|samples|examples)))\b", re.I)
_LIST_GLUE = {",", "and", "or", "&", "respectively", ";"}
#: Words between two values that only list them ("by up to 52.77% on CIFAR-10 and up to 48.53% on ImageNet").
_PARALLEL_WORDS = {*_LIST_GLUE - {"respectively", ";"}, "up", "to", "over", "about", "around", "nearly", "almost",
                   "on", "in", "for", "across", "the", "benchmark", "benchmarks", "dataset", "datasets"}
_CLAUSE_BREAKS = {*CLAUSE_BREAKS, "but"}
_PART_NOUN = re.compile(r"^(sub)?(sets?|splits?|partitions?|portions?|tracks?)$")
_PART_PHRASE_START = {"on", "the", "in", "across", "for", "of", "over", "with", "at", "from", "both"}
_SPLIT_WORD = re.compile(r"^(test|testing|val|validation|dev|development|training|train)$")
_APPROX = {"over", "up", "to", "about", "around", "nearly", "almost", "approximately", "roughly", "~", "a", "an",
           "of", "only", "just", "merely", "at", "least", "more", "than", "margin", "large", "by"}
_YEAR = range(1950, 2031)
_NEAR = 12  # words between a benchmark and a value it is read with
#: Words between a value and its metric: "12% relative reduction in WER", "2.2% higher accuracy".
_BEFORE_METRIC = {"absolute", "relative", "higher", "lower", "better", "in", "reduction", "improvement",
                  "improvements", "gain", "gains", "increase", "decrease"}


class Value(NamedTuple):
    """A number in a sentence: the word it is, the number as written, its unit and sign."""

    index: int  # type: ignore[assignment]  # a field shadowing tuple.index, which nothing calls
    end: int  # the word after the value and its unit
    text: str
    unit: str
    sign: str


class DataPart(NamedTuple):
    """A part of a dataset a sentence names ("the Sony and Fuji subsets of SID"): words, and the dataset."""

    start: int
    end: int
    whole: tuple


class Sentence:
    """One sentence of a doc as the rules read it: words, entities, values."""

    def __init__(self, text: DocText, bounds: tuple[int, int], ents: list[tuple[int, int, str, str]]):
        self.doc_text = text
        self.start, self.end = bounds
        self.words = text.words
        self.lower = text.lower
        self.ents = ents  # (start, end, group key, label)
        self.name_words = {i for s, e, _, _ in ents for i in range(s, e)}
        # "on the USPTO-50K dataset": what the text calls a dataset is one, whatever type the name got;
        # a metric's name ("11.0% on MAE") is none.
        # Data a model is trained on ("pre-trained on ImageNet-21K") is no benchmark.
        # A task's name ("DensePose Estimation") is none either, nor a name that reaches a score ("X
        # achieves", not "accuracy on X reached").
        self.data = [e for e in ents if (e[3] in _DATA or e[1] < self.end and _DATA_NOUN.match(self.lower[e[1]]))
                     and not TASK_HEAD.search(self.lower[e[1] - 1])
                     and not (e[1] < self.end and _RESULT_VERB.match(self.lower[e[1]])
                              and self.lower[e[0] - 1] not in _NOT_SUBJECT_BEFORE)
                     and (find_metric(self.words[: e[1]], e[0]) or (0, 0, -1))[2] != e[1]
                     and not any(_TRAIN.match(w) for w in self.window(e[0] - 5, e[0]))]
        # "the LEVEL1 and LEVEL2 test sets of Waymo": parts of a dataset are settings, not benchmarks
        self.parts = self._data_parts()
        self.data = [e for e in self.data if not any(p.start <= e[0] < p.end for p in self.parts)]
        self.run_end: dict[int, int] = {}  # value word -> the end of the list of values it is in
        self.dimension_words = self._dimension_words()

    def _dimension_words(self) -> set[int]:
        """The words of sizes written as dimensions ("ImageNet 128 × 128", "256x256 images"): no score's."""
        found = {i for i in range(self.start, self.end) if _DIMENSIONS_WORD.match(self.lower[i])}
        for i in range(self.start, self.end - 2):
            if self.lower[i].isdigit() and self.lower[i + 1] in _DIMENSIONS_SIGN and self.lower[i + 2].isdigit():
                first = i - 1 if i > self.start and self.lower[i - 1] == "$" else i
                last = i + 3 if i + 3 < self.end and self.lower[i + 3] == "$" else i + 2
                found.update(range(first, last + 1))
        return found

    def _data_parts(self) -> list["DataPart"]:
        """The parts "on the Sony and Fuji subsets of SID", "(test) sets of", "splits of" a dataset name."""
        parts = []
        for i in range(self.start + 1, self.end - 2):
            where = i + 2 + (self.lower[i + 2] == "the")
            if not (_PART_NOUN.match(self.lower[i]) and self.lower[i + 1] == "of"
                    and any(e[0] == where for e in self.data)):
                continue
            whole = next(e for e in self.data if e[0] == where)
            last = i
            while last > self.start and _SPLIT_WORD.match(self.lower[last - 1]):
                last -= 1
            first = last
            while first > max(self.start, last - 8) and self.lower[first - 1] not in _PART_PHRASE_START:
                first -= 1
            names: list[int] = []
            for j in range(first, last + 1):
                if j == last or self.lower[j] in _LIST_GLUE:
                    if names:
                        parts.append(DataPart(names[0], names[-1] + 1, whole))
                    names = []
                else:
                    names.append(j)
        return parts

    def window(self, start: int, end: int) -> list[str]:
        return self.lower[max(self.start, start) : min(self.end, end)]

    def plain_window(self, start: int, end: int) -> list[str]:
        """The lowercase words from ``start`` to ``end`` that are no part of a name."""
        return [self.lower[i] for i in range(max(self.start, start), min(self.end, end)) if i not in self.name_words]

    def text_of(self, start: int, end: int) -> str:
        return self.doc_text.span_text(start, end).strip()


def _read_value(sentence: Sentence, i: int) -> Value | None:
    """The value that starts at word ``i``: a number with its unit, or a range ("5-20%", "8% to 14%")."""
    if i in sentence.name_words:
        return None
    match = _RANGE_WORD.match(sentence.words[i])
    if match is not None:
        return _with_unit(sentence, i, f"{match['low']}-{match['high']}", match["unit"], "")
    value = _read_number(sentence, i)
    if value is None or _ends_range(sentence, i):
        return None
    high = _read_number(sentence, value.end + 1) if value.end + 1 < sentence.end else None
    if high is None or sentence.lower[value.end] not in RANGE_WORDS or _range_is_a_change(sentence, i) or high.sign:
        return value
    return high._replace(index=i, text=f"{value.text}-{high.text}", unit=high.unit or value.unit, sign=value.sign)


def _range_is_a_change(s: Sentence, i: int) -> bool:
    """ "from 45.1 to 67.3", "between 2 and 5": two values, not one range."""
    return i > s.start and s.lower[i - 1] in {"from", "between"}


def _ends_range(s: Sentence, i: int) -> bool:
    """Whether the number at word ``i`` is the high end of a range read with its low end."""
    if i - 2 < s.start or s.lower[i - 1] not in RANGE_WORDS:
        return False
    low = next((k for k in (i - 2, i - 3) if k >= s.start and (v := _read_number(s, k)) is not None and v.end == i - 1), None)
    return low is not None and not _range_is_a_change(s, low)


def _read_number(sentence: Sentence, i: int) -> Value | None:
    match = _NUMBER.match(sentence.words[i])
    if match is None or i in sentence.name_words or i in sentence.dimension_words:
        return None
    return _with_unit(sentence, i, match["value"], match["unit"], match["sign"] or "")


def _with_unit(sentence: Sentence, i: int, text: str, unit_text: str | None, sign: str) -> Value:
    """The value at word ``i`` with the unit its word ends in or the next words give."""
    unit, end = _UNIT_WORDS.get((unit_text or "").lstrip("\\"), ""), i + 1
    following = sentence.lower[end].rstrip("$") if end < sentence.end else ""  # "$\sim6 \%$"
    if not unit and following in _UNIT_WORDS:
        unit, end = _UNIT_WORDS[following], end + 1
        if following in _PERCENT_POINTS and end < sentence.end and sentence.lower[end] in {"points", "point"}:
            unit, end = "points", end + 1
    elif following in {"points", "point"}:
        unit, end = "points", end + 1
    return Value(i, end, text, unit, sign)


# ---- which numbers are no result --------------------------------------------------------------

class SkipRule(NamedTuple):
    """A kind of number that states no result; ``applies(sentence, value)`` says whether it is one."""

    name: str
    applies: Callable[[Sentence, Value], bool]


def _is_count(s: Sentence, v: Value) -> bool:
    following = s.lower[v.end] if v.end < s.end else ""
    return not v.unit and bool(_COUNT_NOUNS.match(following)) or v.unit == "%" and following == "of"


def _is_cost(s: Sentence, v: Value) -> bool:
    """ "2.5x faster", "50% fewer parameters", "20% ~ 98% MACs saving", "latency by 36%" (not the
    words of a name: "improves Faster R-CNN by 2.3 AP")."""
    after = s.plain_window(v.end, v.end + 3) + s.plain_window(s.run_end[v.index], s.run_end[v.index] + 3)
    before = s.plain_window(v.index - 4, v.index)
    # "has 7 billion parameters and reaches 45.3%": a cost word before a result verb is another phrase's
    before = before[max((i + 1 for i, w in enumerate(before) if _RESULT_VERB.match(w)), default=0):]
    return (any(_COST.match(w) for w in after) or v.unit == "x" or "only" in before[-2:] and v.unit == "%"
            or any(_COST.match(w) for w in before))


def _is_baseline_value(s: Sentence, v: Value) -> bool:
    """The number of what is compared against: "from 45.1 to 67.3", "than 71.2%", "previous SOTA of
    66.6%", "compared to 0.005"; and both ends of a range ("ranging from 1.8% to 3.3%"). Not "more than
    90%" or "a new state-of-the-art of 71.9%": the paper's own (:data:`_OWN_BEFORE_CUE`)."""
    before = s.window(v.index - 5, v.index)
    if any(w in {"ranging", "range", "between"} for w in before) or s.window(v.index - 1, v.index) == ["="]:
        return True
    for position, word in reversed(list(enumerate(before))):
        if word == "to" and position > 0 and before[position - 1] in {"compared", "relative", "close"}:
            return True
        if word in {"by", "to", "achieves", "achieving", "reaches", "reaching", "obtains", "with"} or _NUMBER.match(word):
            return False
        if _BASELINE_CUE.match(word):
            return not (position > 0 and before[position - 1] in _OWN_BEFORE_CUE.get(word.lower(), ()))
    return False


def _is_drop(s: Sentence, v: Value) -> bool:
    """ "a 2.00% drop", "the accuracy drop on ImageNet is within 2%": a loss, not a score."""
    near = s.window(v.end, v.end + 3) + s.window(v.index - 6, v.index)
    return any(_DROP.match(w) and w != "lower" for w in near) or any(
        _DROP.match(w) for w in s.window(v.end, v.end + 3)) and not any(
        w in {"error", "perplexity", "wer", "fid"} for w in s.window(v.end, v.end + 3))


def _is_year_or_citation(s: Sentence, v: Value) -> bool:
    bracketed = s.window(v.index - 1, v.index) == ["["]
    return bracketed or not v.unit and all(n.isdigit() and int(n) in _YEAR for n in v.text.split("-"))  # "2020-2023"


def _is_spread(s: Sentence, v: Value) -> bool:
    return v.sign == "±" or s.window(v.index - 1, v.index) in (["±"], ["+/-"])


def _is_background(s: Sentence, v: Value) -> bool:
    """A number the sentence gives of others' work: before it in its clause no first person and no
    named subject, but a word of background ("existing", "the baseline") or a generic subject
    right before the result verb ("Transformers achieve 80.1%")."""
    start = _clause(s, v)[0]
    before = s.window(start, v.index)
    if _FIRST_PERSON.search(s.text_of(start, v.index)) or _named_subject(s, v, PAPER) is not None:
        return False
    generic = any(_RESULT_VERB.match(w) and i > 0 and _GENERIC_SUBJECT.match(before[i - 1]) for i, w in enumerate(before))
    return generic or any(_BACKGROUND.match(w) for w in before)


SKIP_RULES: list[SkipRule] = [
    SkipRule("size-or-count", _is_count),
    SkipRule("speed-or-cost", _is_cost),
    SkipRule("baseline-value", _is_baseline_value),
    SkipRule("drop", _is_drop),
    SkipRule("year-or-citation", _is_year_or_citation),
    SkipRule("spread", _is_spread),
    SkipRule("background", _is_background),
]


# ---- which benchmark a value is on -------------------------------------------------------------

class Run(NamedTuple):
    """Values or names listed together ("3.8%, 5.4% and 5.7%"; "PASCAL VOC, FSOD, and COCO")."""

    start: int
    end: int
    items: list


def _runs(s: Sentence, items: list, start_of, end_of) -> list[Run]:
    runs: list[Run] = []
    for item in items:
        if runs and all(w in _LIST_GLUE or w in _UNIT_WORDS or find_metric(s.words, i) or w in "%()" or w.startswith("±")
                        or i in s.dimension_words  # "on ImageNet 128 × 128 and FFHQ 256 × 256"
                        or w == "the" or _DATA_NOUN.match(w)  # "on the A dataset and the B dataset"
                        for i, w in enumerate(s.lower[runs[-1].end : start_of(item)], runs[-1].end)):
            runs[-1] = Run(runs[-1].start, end_of(item), [*runs[-1].items, item])
        else:
            runs.append(Run(start_of(item), end_of(item), [item]))
    return runs


class Assignment(NamedTuple):
    """Benchmarks (entity tuples) for each value of a sentence, and the rule that gave them."""

    benchmarks: list
    rule: str
    confidence: float
    listed: bool  # values and benchmarks listed in the same order: the pairing is sure


class BenchmarkRule(NamedTuple):
    name: str
    confidence: float
    assign: Callable[[Sentence, list[Run], list[Run], Run, Value], list | None]


def _parenthesised(s, value_runs, data_runs, run, v):
    """ "CIFAR10 (99.2%)": the name right before the parenthesis."""
    if s.window(v.index - 1, v.index) != ["("]:
        return None
    closing = next((i for i in range(v.end, min(s.end, v.end + 4)) if s.lower[i] == ")"), None)
    metric = find_metric(s.words[: s.end], v.end)
    if closing is None or closing != v.end and (metric is None or metric.end != closing):
        return None  # "(54.5 AP on COCO)": more than a score in the parentheses
    return [d for d in s.data if d[1] == v.index - 1]  # after a word that names nothing: none


def _fragmented(names: Run) -> bool:
    """Names listed with nothing between them are the parts of one name the recogniser split."""
    return any(first[1] == second[0] for first, second in zip(names.items, names.items[1:]))


def _aligned_after(s, value_runs, data_runs, run, v):
    """ "by 3.8%, 5.4% and 5.7% mAP on PASCAL VOC, FSOD, and COCO": the n-th value, the n-th name;
    one value for a list ("over 90% on MNIST and CIFAR-10") holds for each."""
    following = next((d for d in data_runs if d.start >= run.end), None)
    # "on the LEVEL1 and LEVEL2 test sets of Waymo": how near the dataset is, is how near its parts are
    nearest = min([following.start] + [p.start for p in s.parts if run.end <= p.start < following.start]) if following else 0
    if following is None or nearest - run.end > 8:
        return None
    if _fragmented(following):
        return []  # "on the PAS-CAL VOC" read as two names: the one meant is neither
    if any(r.start >= run.end and r.start < following.start for r in value_runs):
        return None
    if len(run.items) == len(following.items):
        return [following.items[run.items.index(v)]]
    if len(run.items) == 1:
        return list(following.items)
    if len(following.items) == 1:
        return list(following.items)
    return None


def _aligned_before(s, value_runs, data_runs, run, v):
    """ "On Nr3D and Sr3D, ... by 11.2% and 7.1%": names first, values after, in the same order."""
    preceding = [d for d in data_runs if d.end <= run.start]
    if not preceding:
        return None
    last = preceding[-1]
    opens_sentence = last.start - s.start <= 3  # "On Nr3D and Sr3D, ..."
    if run.start - last.end > _NEAR and not opens_sentence:
        return None
    if len(last.items) == len(run.items) and len(run.items) > 1:
        return [last.items[run.items.index(v)]]
    if len(last.items) == 1:
        return list(last.items)
    return None


def _unknown_place(s, value_runs, data_runs, run, v):
    """ "2.4% on How2QA" where How2QA was not recognised: the value is on something else."""
    after = run.items[-1].end
    while after < s.end and (s.lower[after] in _BEFORE_METRIC or find_metric(s.words[: s.end], after)):
        after += (find_metric(s.words[: s.end], after) or (0, after, after + 1))[2] - after
    if after + 1 < s.end and s.lower[after] in {"on", "in", "for"}:
        where = after + 1 + (s.lower[after + 1] == "the")
        if not any(start == where for start in [*(d[0] for d in s.data), *(p.start for p in s.parts)]):
            return []
    return None


def _only_benchmark(s, value_runs, data_runs, run, v):
    keys = {d[2] for d in s.data}
    return [s.data[0]] if len(keys) == 1 else None


BENCHMARK_RULES: list[BenchmarkRule] = [
    BenchmarkRule("parenthesised", 0.85, _parenthesised),
    BenchmarkRule("value-then-benchmark", 0.8, _aligned_after),
    BenchmarkRule("unknown-place", 0.0, _unknown_place),
    BenchmarkRule("benchmark-then-value", 0.7, _aligned_before),
    BenchmarkRule("one-benchmark", 0.6, _only_benchmark),
]


# ---- metric, kind, subject, baseline, setting ---------------------------------------------------

def _metric_before(s: Sentence, v: Value) -> str:
    """The metric nearest before the value ("an FID of 5.31 on A and 9.39 on B", "for the top-1
    accuracy, we improved 7.1%"), the longest phrase ending there ("average mAP"); another value's
    metric only when the value repeats its pattern ("41.5% pass@1 on A and 45.0% on B")."""
    for start in range(v.index - 1, s.start - 1, -1):
        earlier = _read_value(s, start)
        if earlier is not None and earlier.end < s.end and find_metric(s.words[: s.end], earlier.end):
            return ""  # the metric of an earlier value: "83.1% accuracy on A and 9.1 BLEU on B"
        phrase = find_metric(s.words[: v.index], start)
        if phrase is None or phrase.text.lower() == "score":
            continue
        while start > s.start and (longer := find_metric(s.words[: v.index], start - 1)) and longer.end == phrase.end:
            phrase, start = longer, start - 1
        before = start - 1
        while before > s.start and s.lower[before] in _UNIT_WORDS:
            before -= 1
        earlier = _read_value(s, before)
        if earlier is not None:
            # "41.5% pass@1 on A and 45.0% on B": the same unit, the same metric; "75.9 mIoU and 92.8%": not
            return phrase.text if earlier.unit == v.unit and s.lower[v.end : v.end + 1] == ["on"] else ""
        return phrase.text
    return ""


def _metric_after(s: Sentence, v: Value) -> str:
    """The metric right after the value: "83.1% top-1 accuracy", "+3.4 AP", "20.6% in driving score"."""
    after = v.end
    while after < s.end and s.lower[after] in _BEFORE_METRIC:
        after += 1
    after = next((d[1] for d in s.data if d[0] == after), after)  # "86.0% ImageNet top-1 accuracy"
    phrase = find_metric(s.words[: s.end], after) if after < s.end else None
    if phrase is not None:
        return phrase.text
    # a metric the lexicon lacks but the recogniser found: "+8.9 AUC@5°"
    return next((s.text_of(e[0], e[1]) for e in s.ents if e[0] == after and e[3] == "Metric"), "")


def _compared_score_metric(s: Sentence, value_runs: list[Run], run: Run, v: Value) -> str:
    """The metric of the score a gain is said of: "a 25.9% mIoU on nuScenes, which is 6.2% higher";
    "75.9 mIoU and 92.8% ..., an improvement of +2.1 and +3.0 points": the n-th score, the n-th gain."""
    earlier = [r for r in value_runs if r.end <= run.start]
    if not earlier:
        return ""
    scores = earlier[-1].items
    if len(scores) == len(run.items):
        score = scores[run.items.index(v)]
    elif len(scores) == 1:
        score = scores[0]
    else:
        return ""
    return _metric_after(s, score) or (_metric_after(s, scores[-1]) if len(scores) > 1 else "")


def _metric(s: Sentence, run: Run, v: Value) -> str:
    """The metric right after the value, else right after the list of values it is in ("by 3.8%, 5.4%
    and 5.7% mAP": each one's), else the one the sentence names before it, else "in terms of" it after."""
    return _metric_after(s, v) or _metric_after(s, run.items[-1]) or _metric_before(s, v) or _metric_in_terms_of(s, v)


def _metric_in_terms_of(s: Sentence, v: Value) -> str:
    """ "by 3 points on COCO-Stuff in terms of mIoU": the metric the sentence names after the value."""
    for i in range(v.end, s.end - 3):
        if s.lower[i : i + 3] == ["in", "terms", "of"] and (phrase := find_metric(s.words[: s.end], i + 3)):
            return phrase.text
    return ""


class KindRule(NamedTuple):
    """A way the text says what a value is: ``applies(sentence, value)`` says the value is ``kind``."""

    name: str
    kind: str
    applies: Callable[[Sentence, Value], bool]


def _words_after(s: Sentence, v: Value) -> list[str]:
    """The words right after the value and right after the list of values it is in ("7.16% and 12%
    improvement": the cue after the list is each value's)."""
    return s.window(v.end, v.end + 3) + s.window(s.run_end[v.index], s.run_end[v.index] + 3)


def _reached(s: Sentence, v: Value) -> bool:
    """ "from 45.1 to 67.3", "improves accuracy to 85.2%": the score reached, not the gain."""
    before = [w for w in s.window(v.index - 4, v.index) if w not in _APPROX or w == "to"]
    return bool(before) and before[-1] == "to" and "by" not in s.window(v.index - 3, v.index)


def _gain_before(s: Sentence, v: Value) -> bool:
    """ "by 2.3 AP", "improves ... by up to 5%", "gains of 3.1"."""
    before = s.window(v.index - 3, v.index)
    return "by" in before or any(_GAIN_BEFORE.match(w) for w in before if w not in _APPROX)


KIND_RULES: list[KindRule] = [
    KindRule("relative-word", "relative", lambda s, v: "relative" in _words_after(s, v)
             or any(w.startswith("reduc") for w in s.window(v.index - 2, v.index) + _words_after(s, v))),
    KindRule("reached", "absolute", _reached),
    KindRule("signed", "gain", lambda s, v: v.sign == "+"),
    KindRule("gain-before", "gain", _gain_before),
    KindRule("gain-after", "gain", lambda s, v: any(_GAIN_AFTER.match(w) for w in _words_after(s, v))),
    KindRule("points", "gain", lambda s, v: v.unit == "points"),
]


def _kind_rule(s: Sentence, v: Value) -> KindRule | None:
    """The first of :data:`KIND_RULES` that applies to a value, None for an absolute score."""
    return next((rule for rule in KIND_RULES if rule.applies(s, v)), None)


def _kind(s: Sentence, v: Value) -> str:
    rule = _kind_rule(s, v)
    return rule.kind if rule else "absolute"


class SubjectRule(NamedTuple):
    """Whose result a value is: ``find(sentence, value, main)`` gives a group key, PAPER or None."""

    name: str
    find: Callable[[Sentence, Value, str], str | None]


def _named_subject(s: Sentence, v: Value, main: str) -> str | None:
    """A model or method the sentence names before the value as the one that reports it: "NoFrost
    achieves 74.06%", "our CMT-S achieves 83.5%" (not a backbone, a baseline or a setting)."""
    for start, end, key, label in s.ents:
        if start >= v.index:
            break
        if any(_COMPARE.match(w) for w in s.window(s.start, start)):
            break
        if any(key == d[2] for d in s.data):  # a benchmark reports no result of its own
            continue
        if any(w in {"with", "using", "equipped"} for w in s.window(start - 4, start)):  # "with PointCMT, X and Y"
            continue
        if s.lower[start - 1] in _MADE_BY_METHOD:  # "the distilled ResNet-18 achieves": the method's result
            continue
        verb_follows = any(_RESULT_VERB.match(w) for w in s.window(end, end + 3))
        own = s.lower[start - 1] in {"our", "proposed"}
        if label in _SUBJECT_TYPES and (own or verb_follows and s.lower[start - 1] not in _NOT_SUBJECT_BEFORE):
            return key
    return None


def _own_work(s: Sentence, v: Value, main: str) -> str | None:
    """ "our method reaches", "we achieve", "it attains": the paper's own proposal, or the paper."""
    return main if _FIRST_PERSON.search(s.text_of(s.start, v.index)) else None


SUBJECT_RULES: list[SubjectRule] = [
    SubjectRule("named-subject", _named_subject),
    SubjectRule("own-work", _own_work),
    SubjectRule("paper-default", lambda s, v, main: main),
]


def _baseline(s: Sentence, v: Value, subject: str) -> str | None:
    """The model or method named after the sentence's comparison word ("outperforms X by", "over X")."""
    cue = next((i for i in range(s.start, s.end) if _COMPARE.match(s.words[i])), None)
    if cue is None:
        return None
    return next((key for start, _, key, label in s.ents
                 if start > cue and label in _SUBJECT_TYPES and key != subject), None)


def _clause(s: Sentence, v: Value) -> tuple[int, int]:
    """The words of the value's clause: the sentence cut at ";", "while", "whereas", "but"."""
    breaks = [i for i in range(s.start, s.end) if s.lower[i] in _CLAUSE_BREAKS]
    start = max([i + 1 for i in breaks if i < v.index], default=s.start)
    return start, min([i for i in breaks if i > v.index], default=s.end)


def _setting(s: Sentence, run: Run, v: Value) -> str | None:
    """The setting stated in the value's clause nearest to it ("5-shot", "test-dev"), or the part of
    the dataset it is on ("83.1% and 78.3% on the LEVEL1 and LEVEL2 test sets of Waymo")."""
    if s.parts and len(s.parts) == len(run.items):
        part = s.parts[run.items.index(v)]
        return s.text_of(part.start, part.end)
    start, end = _clause(s, v)
    # a setting after another score is that score's: "83.7% on clean ImageNet and 54.7% under FGSM"
    listed = {item.index for item in run.items}
    end = next((i for i in range(v.end, end) if i not in listed and _read_value(s, i) is not None
                and not _SETTINGS.match(s.text_of(i, end))), end)
    text = s.text_of(start, end)
    offset = s.doc_text.starts[start]
    position = s.doc_text.starts[v.index] - offset
    found = [(abs(m.start() - position), m.group(0)) for m in _SETTINGS.finditer(text)]
    return min(found)[1] if found else None


def _size_after(s: Sentence, v: Value, key: str) -> str:
    """The size that follows the benchmark's mention the value is on (its first after the value,
    else its last), as one types it: "256x256" for "4.59 on ImageNet 256 × 256"; "" if none. A
    result's setting is this size where there is one, else :func:`_setting`'s."""
    mentions = [e[1] for e in s.ents if e[2] == key]
    end = next((m for m in mentions if m > v.index), mentions[-1] if mentions else s.end)
    size_end = next((i for i in range(end, s.end) if i not in s.dimension_words), s.end)
    return "x".join(re.findall(r"\d+", s.text_of(end, size_end)))


# ---- the whole doc -------------------------------------------------------------------------------

def _sentences(doc: Doc, groups: Mapping[str, str]) -> list[Sentence]:
    text = DocText.of(doc)
    starts = [start for start, _ in text.sents]
    per_sentence: list[list] = [[] for _ in text.sents]
    for ent in doc.ents:
        index = bisect_right(starts, ent.start) - 1
        per_sentence[index].append((ent.start, ent.end, groups.get(ent.kb_id_, ent.kb_id_), ent.label_))
    return [Sentence(text, bounds, ents) for bounds, ents in zip(text.sents, per_sentence)]


def _main_proposal(doc: Doc) -> str:
    """The group key of what the paper proposes most surely, or PAPER."""
    proposals = [(confidence, tail) for _, rel, tail, _, _, _, confidence, *_ in doc._.relations if rel == "PROPOSES"]
    return max(proposals)[1] if proposals else PAPER


def _shared_unit_words(s: Sentence, values: list[Value]) -> list[Value]:
    """ "+2.1 and +3.0 percent points": a unit word after a list of bare values is each one's."""
    shared = list(values)
    for i in range(len(values) - 2, -1, -1):
        v, following = values[i], shared[i + 1]
        glue_only = all(w in _LIST_GLUE for w in s.lower[v.end : following.index])
        if not v.unit and glue_only and following.unit and following.end - following.index > 1:
            shared[i] = v._replace(unit=following.unit)
    return shared


def _read_values(s: Sentence, spreads: bool = False) -> tuple[list[Value], list[Run], list[Run]]:
    """The sentence's values (a spread, "± 0.3", only with ``spreads``), the lists of values and the
    lists of benchmark names; sets ``s.run_end``."""
    values = [v for i in range(s.start, s.end) if (v := _read_value(s, i)) is not None and (spreads or not _is_spread(s, v))]
    values = _shared_unit_words(s, values)
    value_runs = _runs(s, values, lambda v: v.index, lambda v: v.end)
    s.run_end = {v.index: run.items[-1].end for run in value_runs for v in run.items}
    return values, value_runs, _runs(s, s.data, lambda d: d[0], lambda d: d[1])


def _kind_and_metric(s: Sentence, value_runs: list[Run], run: Run, v: Value) -> tuple[str, str]:
    """What the value is (absolute, gain, relative) and the metric it is in."""
    kind = _run_kind(s, value_runs, run)
    return kind, _metric(s, run, v) or (_compared_score_metric(s, value_runs, run, v) if kind != "absolute" else "")


def _run_kind(s: Sentence, value_runs: list[Run], run: Run) -> str:
    """The kind of a run's first value, which its others share ("by 3.8%, 5.4% and 5.7%"); a run
    that only continues the one before it, with names and list words between them, has that one's
    kind ("by up to 52.77% on CIFAR-10 and up to 48.53% on ImageNet"); a run the next ones continue,
    the gain the last of them states after its names ("1.9% ImageNet accuracy, 1.0% COCO mAP, and
    2.6% ADE20K mIoU improvement"; not "46.6 AP on COCO, 1.5% higher AP than DETR")."""
    kind = _kind(s, run.items[0])
    index = value_runs.index(run)
    if kind != "absolute":
        return kind
    if index and _continues(s, value_runs[index - 1], run, names_only=True):
        return _run_kind(s, value_runs, value_runs[index - 1])
    last = run
    for following in value_runs[index + 1 :]:
        if not _continues(s, last, following, names_only=False):
            break
        last = following
    return "gain" if last is not run and _gain_after_names(s, last.items[-1]) else kind


def _continues(s: Sentence, run: Run, following: Run, names_only: bool) -> bool:
    """Whether only names, list words (and, unless ``names_only``, metrics) stand between two runs of values."""
    return all(i in s.name_words or s.lower[i] in _PARALLEL_WORDS or not names_only and find_metric(s.words, i)
               for i in range(run.items[-1].end, following.items[0].index))


def _gain_after_names(s: Sentence, v: Value) -> bool:
    """Whether a gain word follows the names and metrics after the value, and nothing else marks it
    a gain or a change ("2.6% ADE20K mIoU improvement"; not "+3.4 AP over ...", "1.5% higher")."""
    i = _past_names_and_metrics(s, v.end)
    rule = _kind_rule(s, v)
    return v.end < i < s.end and bool(_GAIN_AFTER.match(s.lower[i])) and rule is not None and rule.name == "gain-after"


def _past_names_and_metrics(s: Sentence, i: int) -> int:
    """The first word from ``i`` on that is neither a name's nor a metric's."""
    while i < s.end:
        if i in s.name_words:
            i += 1
        elif (phrase := find_metric(s.words, i)) is not None:
            i = phrase.end
        else:
            break
    return i


def _sentence_results(s: Sentence, main: str, names: Mapping[str, str]) -> list[Result]:
    values, value_runs, data_runs = _read_values(s)
    results = []
    for v in (v for v in values if not any(rule.applies(s, v) for rule in SKIP_RULES)):
        run = next(r for r in value_runs if v in r.items)
        kind, metric = _kind_and_metric(s, value_runs, run, v)
        assignment = next((Assignment(found, rule.name, rule.confidence, len(run.items) > 1 and len(found) == 1)
                           for rule in BENCHMARK_RULES
                           if (found := rule.assign(s, value_runs, data_runs, run, v)) is not None), None)
        if assignment is None or not assignment.benchmarks:
            continue
        listed = assignment.listed or assignment.rule == "parenthesised"
        if not metric and not (listed and v.unit in {"%", "points"}):
            continue  # nothing says what it measures
        subject = next(named for rule in SUBJECT_RULES if (named := rule.find(s, v, main)) is not None)
        baseline = _baseline(s, v, subject) if kind != "absolute" else None
        start, end = s.doc_text.char_bounds(s.start, s.end)
        for benchmark in assignment.benchmarks:
            results.append(Result(
                subject=names.get(subject, subject), benchmark=names.get(benchmark[2], s.text_of(benchmark[0], benchmark[1])),
                metric=metric, value=v.text, unit=v.unit, kind=kind,
                baseline=names.get(baseline) if baseline else None, setting=_size_after(s, v, benchmark[2]) or _setting(s, run, v),
                evidence=s.doc_text.text[start:end].strip(), start=start, end=end, extractor=assignment.rule,
                confidence=round(assignment.confidence * (1.0 if metric else 0.85), 3)))
    return results


def find_results(doc: Doc, names: Mapping[str, str]) -> list[Result]:
    """The results a processed doc states; ``names`` maps entity group keys to entity names."""
    if not doc.ents:
        return []
    groups = doc._.entity_groups
    main = _main_proposal(doc)
    found: dict[tuple, Result] = {}
    for sentence in _sentences(doc, groups)[DocText.of(doc).body_sentence:]:  # the title states no result
        if not sentence.data:
            continue
        for result in _sentence_results(sentence, main, names):
            found.setdefault(result.key_fields, result)
    return list(found.values())


class Place(NamedTuple):
    """Where a name or a value is written in ``Paper.text``: characters ``start`` to ``end``; ``of`` is
    the task's name, or the benchmark a value is on."""

    start: int
    end: int
    of: str


class TaskSentence(NamedTuple):
    """A sentence that states results: its text, where it starts in ``Paper.text``, the tasks it
    names and the values of its results, each in text order."""

    text: str
    start: int
    tasks: list[Place]
    values: list[Place]

    def tasks_between(self, start: int, end: int) -> list[Place]:
        return [task for task in self.tasks if start <= task.start < end]


class TaskRule(NamedTuple):
    """Reads the task of the sentence's ``index``-th value, or None when it does not apply."""

    name: str
    find: Callable[[TaskSentence, int], str | None]


def _before_parenthesis(s: TaskSentence, index: int) -> str | None:
    """"instance segmentation (50.1 AP on COCO)": the task right before the parenthesis the value is in."""
    value = s.values[index]
    opened = s.text.rfind("(", 0, value.start - s.start)
    if opened < 0 or ")" in s.text[opened:value.start - s.start]:
        return None
    return next((task.of for task in s.tasks
                 if task.end - s.start <= opened and s.text[task.end - s.start:opened].strip() == ""), None)


def _named_after(s: TaskSentence, index: int) -> str | None:
    """The task named after the value: of values on one benchmark with no task named between them
    ("51.3% AP and 45.4% AP for object detection and instance segmentation on COCO"), the one task
    named after the last is every one's, and as many tasks as values are theirs in order."""
    first = last = index
    while first > 0 and _one_group(s, s.values[first - 1], s.values[first]):
        first -= 1
    while last + 1 < len(s.values) and _one_group(s, s.values[last], s.values[last + 1]):
        last += 1
    end = s.values[last + 1].start if last + 1 < len(s.values) else s.start + len(s.text)
    named = s.tasks_between(s.values[last].end, end)
    if len(named) == 1:
        return named[0].of
    return named[index - first].of if len(named) == last - first + 1 else None


def _one_group(s: TaskSentence, value: Place, following: Place) -> bool:
    return value.of == following.of and not s.tasks_between(value.end, following.start)


def _leading(s: TaskSentence, index: int) -> str | None:
    """"For semantic segmentation, it reaches 50.2 mIoU on ADE20K and 80.1 on Cityscapes": the one
    task named before the sentence's first value, when none is named after it."""
    first = s.values[0].start
    leading = {task.of for task in s.tasks if task.start < first}
    return leading.pop() if len(leading) == 1 and len(s.tasks) == len(s.tasks_between(s.start, first)) else None


#: How a value's task is read from its sentence, in order; the first that finds one decides.
TASK_RULES = [
    TaskRule("before-parenthesis", _before_parenthesis),
    TaskRule("named-after", _named_after),
    TaskRule("leading", _leading),
]


def result_tasks(results: list[Result], entities: list[Entity], text: str, title_end: int) -> list[str | None]:
    """The Task entity each of a paper's ``results`` is on, or None: what :data:`TASK_RULES` read from
    its sentence, else the one task the title names (a paper titled for pose estimation reports its
    COCO AP for pose estimation). ``text`` is ``Paper.text`` and ``title_end`` where its title ends.

    >>> from paperkg.extractors.records import Mention
    >>> text = "UniViT. UniViT reaches 58.1 AP on COCO object detection and 49.2 AP on COCO instance segmentation."
    >>> tasks = [Entity(name, name, "Task", mentions=[Mention(name, text.index(name), text.index(name) + len(name), "learned")])
    ...          for name in ("object detection", "instance segmentation")]
    >>> found = [Result("PAPER", "COCO", "AP", value, "", "absolute", None, None, "", 8, len(text), "model", 0.8)
    ...          for value in ("58.1", "49.2")]
    >>> result_tasks(found, tasks, text, title_end=6)
    ['object detection', 'instance segmentation']
    """
    tasks = sorted(Place(mention.start, mention.end, entity.name) for entity in entities if entity.type == "Task"
                   for mention in entity.mentions)
    in_title = {task.of for task in tasks if task.start < title_end}
    title_task = in_title.pop() if len(in_title) == 1 else None
    places = [_value_place(text, result) for result in results]
    sentences: dict[tuple[int, int], TaskSentence] = {}
    for result, place in zip(results, places):
        if (result.start, result.end) not in sentences:
            values = sorted({p.start: p for r, p in zip(results, places) if r.start == result.start}.values())
            sentences[result.start, result.end] = TaskSentence(
                text[result.start:result.end], result.start,
                [task for task in tasks if result.start <= task.start < result.end], values)
    found = []
    for result, place in zip(results, places):
        sentence = sentences[result.start, result.end]
        index = [value.start for value in sentence.values].index(place.start)
        found.append(next((task for rule in TASK_RULES if (task := rule.find(sentence, index))), title_task))
    return found


def _value_place(text: str, result: Result) -> Place:
    """Where ``result``'s value is written in its sentence (the sentence's start when not found)."""
    written = re.search(rf"(?<![\w.]){re.escape(result.value)}(?!\w)", text[result.start:result.end])
    start, end = (written.start(), written.end()) if written else (0, 0)
    return Place(result.start + start, result.start + end, result.benchmark)

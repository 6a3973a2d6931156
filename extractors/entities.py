"""Entity resolution: candidates from every recogniser in, typed entities out.

Candidates come from the gazetteer (``doc.spans["gazetteer"]``), the trained
recogniser (``doc.ents``: the guideline's six types, source ``learned``; or, in the
pipeline before it, SciREX labels Method/Task/Metric/Material, source ``ner``), the
acronym definitions (``doc._.abbreviations``), a title of the form ``Name: ...``,
capitalised phrases in running text (:func:`capitalised_phrases`), plain words
where a name is expected (:func:`named_words`) and the shape of coined names
(``Step-DPO``, ``BoostStep``, ``Qwen2-72B``). Recogniser spans count only when
they name one thing (:func:`is_specific`), or a kind of a known technique ("data
pruning", :func:`qualified_technique`), except most of the learned recogniser's
(:func:`rules_vetting`). Overlaps are settled by source priority, then length;
generic phrases are dropped (:func:`rules_vetting` again); each survivor
gets a guideline type from its name and its context (:func:`infer_type`),
names listed together share a type (:func:`type_by_coordination`), and so do
the mentions of one entity, a name of several words being one wherever the text
says it again (:func:`repeated_names`). Learned models trained with the
recogniser then type every entity (:mod:`paperkg.extractors.type_model`) and drop
those annotators would leave unnamed (:mod:`paperkg.extractors.name_filter`). The result
is ``doc.ents`` labelled Model, Method, Dataset, Benchmark, Task or Metric,
each span's ``kb_id_`` its canonical key and ``id_`` the recogniser that won.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Iterable, NamedTuple

import srsly
from spacy import util
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import SimpleFrozenList

from .cues import DATA_SPLIT, EVAL, NAMING, TASK_HEAD, TRAINING_DATA
from .doctext import DocText
from .errors import PipelineError
from .gazetteer import GENERIC, LOWERCASE_NAME
from .name_filter import NameFilter
from .normalize import canonical_key, is_acronym_plural, model_family
from .records import ENTITY_TYPES
from .type_model import TypeModel

__all__ = [
    "SOURCE_PRIORITY",
    "infer_type",
    "is_name_like",
    "is_specific",
    "is_class_description",
    "capitalised_phrases",
    "named_words",
    "Vetting",
    "rules_vetting",
    "candidate_spans",
    "qualified_technique",
    "repeated_names",
    "type_by_coordination",
    "entity_groups",
    "resolve_entities",
    "EntityResolver",
]

#: Which recogniser wins an overlap (higher first).
SOURCE_PRIORITY = {"qualified": 5, "gazetteer": 4, "abbreviation": 3, "title": 3, "learned": 1, "phrase": 2, "shape": 2,
                   "naming": 2, "ner": 1}
#: The trained recognisers: one of the guideline's types (``learned``), or of SciREX's (``ner``).
#: SciREX's names pass the specificity rules and the generic lists; most of the learned one's go to
#: the name filter unvetted (:func:`rules_vetting`).
NER_SOURCES = ("learned", "ner")
#: Recognisers whose label is the type: a known name's, and the recogniser trained on the
#: guideline's types (cross-validated: +0.002 typed entity F1 over typing its names by context).
#: SciREX's labels are only a guess, taken when neither the name nor its context says the type.
_TRUSTED_LABELS = {"gazetteer", "qualified", "learned"}

_DATA_SPLIT = re.compile(DATA_SPLIT, re.I)  # "test-dev": where a result was measured, no name (the learned recogniser names some)
_DETERMINERS = {"the", "a", "an", "our", "their", "its", "this", "these", "those", "that", "his", "her", "my", "your", "each", "both", "all", "any", "several", "various", "two", "three", "new", "novel", "proposed", "existing", "standard", "popular", "recent", "state-of-the-art", "strong", "different", "original", "vanilla", "conventional", "traditional", "classical", "celebrated", "well-known", "widely-used", "widely", "used", "so-called", "such"}

# Head words that type a name ("MT-Bench", "Procedure Transformer", "knowledge
# distillation"); checked against the name's last word, lowercase.
_HEAD_TYPES = [
    (re.compile(r"(bench|benchmark|benchmarks|eval|arena|leaderboard|suite|gym|challenge)$"), "Benchmark"),
    (re.compile(r"(dataset|datasets|corpus|corpora|data|pile|crawl|collection|treebank)$"), "Dataset"),
    (re.compile(r"(accuracy|score|scores|rate|error|bleu|rouge|perplexity|precision|recall|auc|f1|map|fid|psnr|ssim|latency|throughput)$"), "Metric"),
    (TASK_HEAD, "Task"),
    (re.compile(r"(net|nets|former|formers|bert|gpt|lm|llm|llms|[rcg]nns?|gcns?|lstms?|model|models|transformer|transformers|diffusion|vit|clip|mamba|gan|vae|encoder|decoder|network|networks|agent|chatbot|assistant)$"), "Model"),
    (re.compile(r"(optimization|optimisation|learning|propagation|prompting|search|algorithm|descent|distillation|tuning|finetuning|attention|regression|sampling|training|pretraining|pre-training|decoding|loss|method|framework|strategy|regularization|normalization|dropout|alignment|augmentation|quantization|pruning|scheduling|estimator|optimizer|operator|mechanism|policy|procedure|technique|approach|scheme|pipeline|adaptation|rlhf|dpo|ppo|lora)$"), "Method"),
]

# A word right after (or two after) a name that types it ("the X benchmark").
_NEXT_WORD_TYPES = {
    "benchmark": "Benchmark", "benchmarks": "Benchmark", "suite": "Benchmark", "leaderboard": "Benchmark",
    "dataset": "Dataset", "datasets": "Dataset", "corpus": "Dataset", "corpora": "Dataset", "data": "Dataset",
    "model": "Model", "models": "Model", "llm": "Model", "llms": "Model", "network": "Model", "architecture": "Model",
    "backbone": "Model", "backbones": "Model", "checkpoint": "Model", "checkpoints": "Model", "family": "Model", "series": "Model",
    "algorithm": "Method", "method": "Method", "methods": "Method", "approach": "Method", "framework": "Method",
    "technique": "Method", "optimizer": "Method", "loss": "Method", "objective": "Method", "strategy": "Method",
    "mechanism": "Method", "procedure": "Method", "pipeline": "Method", "paradigm": "Method", "scheme": "Method",
    "metric": "Metric", "score": "Metric", "task": "Task", "tasks": "Task", "problem": "Task",
    "environment": "Benchmark", "environments": "Benchmark", "workload": "Benchmark", "workloads": "Benchmark",
    "testbed": "Benchmark",
}

# Class nouns that say what a name next to them is: "a new benchmark, FooBench", "FooNet, a
# model for ...", "benchmarks such as FooQA". Task nouns are left out: "tasks like GeoQA" lists
# benchmarks as often as tasks.
_CLASS_NOUN_TYPES = {
    **{w: "Model" for w in ("model", "models", "llm", "llms", "network", "networks", "architecture",
                            "architectures", "backbone", "backbones", "transformer", "tokenizer", "checkpoint",
                            "rnn", "cnn", "gnn", "lstm")},
    **{w: "Method" for w in ("method", "methods", "algorithm", "algorithms", "approach", "approaches",
                             "framework", "frameworks", "technique", "techniques", "optimizer", "optimizers",
                             "strategy", "strategies", "procedure", "paradigm", "scheme", "loss", "objective",
                             "mechanism", "recipe")},
    **{w: "Benchmark" for w in ("benchmark", "benchmarks", "suite", "leaderboard", "testbed", "environment",
                                "environments", "workloads", "exam", "exams", "examination", "examinations")},
    **{w: "Dataset" for w in ("dataset", "datasets", "corpus", "corpora", "datastore", "datastores")},
}
# "tasks like GeoQA": a task is named in lowercase words, so a coined name listed as one is its benchmark.
_TASK_NOUNS = {"task", "tasks", "problem", "problems"}
_LIST_INTRO = {"like", "including", "namely", "e.g.", "i.e.", "especially", "particularly"}
_INDEFINITE = {"a", "an"}
_APPOSITION_STOP = {"for", "that", "which", "of", "to", "with", "in", "on", "and", "or", "by", "from"}
_MODEL_VERBS = {"fine-tune", "finetune", "fine-tuned", "finetuned", "fine-tuning", "finetuning", "pretrain", "pre-train", "prompt", "prompting", "distill", "initialize", "initialized"}

_MAPPED_NER = {"Method": "Method", "Task": "Task", "Metric": "Metric", "Material": "Dataset"}
_NAME_TOKEN = re.compile(r"^(?=.*[A-Za-z])(?:[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9]*|[A-Za-z]+[0-9][A-Za-z0-9.]*|[A-Za-z0-9.]*[A-Za-z][A-Za-z0-9.]*(?:[-_+][A-Za-z0-9.{}]+)+)$")
_LETTER_NUMBER = re.compile(r"^[A-Za-z]\d+$")
_ADJECTIVE_COMPOUND = re.compile(r"-[a-z]+(?:ed|al|ic|ive|ous|able|ible|less|free|aware|based|like|wise|specific)$")
#: Characters of formulas and LaTeX debris, never of a name: "C_{Phi", "FID=6.47", "O}(log T".
_BROKEN = re.compile(r"[{}\[\]$^=]|\(|\)(?!$)")
# Capitalised, yet no name: "a Bayesian perspective", "Gaussian measurements", "Russian vocabulary".
_PROPER_ADJECTIVE = re.compile(r"^[A-Z][a-z]+(?:ian|ean)$")
_HARDWARE = {"gpu", "gpus", "tpu", "tpus", "cpu", "cpus", "npu", "npus"}
_SUBSCRIPT = re.compile(r"_\{\w+\}")  # "G_{stack}" is a name written in LaTeX


@lru_cache(maxsize=65536)
def is_name_like(text: str, *, title_cased: bool = False) -> bool:
    """Whether a word looks like a coined name: ``DPO``, ``BoostStep``, ``Qwen2``, ``Step-DPO``.

    Hyphenated lowercase words ("state-of-the-art") and quantities ("7B",
    "3D") are not names. In running text a capitalised compound ("Orca-Math")
    is a name; where every word is capitalised anyway (``title_cased``: a
    title, a sentence start) it needs a capital inside a part, or a digit.

    >>> is_name_like("Step-DPO"), is_name_like("Fine-Tuning", title_cased=True), is_name_like("7B")
    (True, False, False)
    """
    if len(text) < 2 or text[0].isdigit() or (is_acronym_plural(text) and text.isalpha()) or not _NAME_TOKEN.match(text):
        return False
    if text.islower():  # "top-1", "times100", "v1.5": words with numbers, not coined names
        return False
    if _LETTER_NUMBER.match(text):  # "O1", "H800", "T4": list items, GPUs; known models are in the gazetteer
        return False
    if _ADJECTIVE_COMPOUND.search(text):  # "KL-regularized", "PDE-constrained": a modifier, not a name
        return False
    if "_" in text:
        return any(c.isupper() for c in text)
    if "-" in text or "+" in text:
        # "Step-DPO", "LR+GD", "Qwen-7B" are names; title-cased compounds ("Fine-Tuning",
        # "Flow-Guided") are not: a part needs a capital after its first letter, or a digit.
        parts = re.split(r"[-+]", text)
        if any(any(c.isupper() for c in part[1:]) for part in parts) or any(c.isdigit() for c in text):
            return True
        return not title_cased and text[0].isupper()
    return True


def infer_type(span: Span, source: str, label: str, sent_words: set[str] | None = None) -> str:
    """The guideline type of a candidate, from its name, its context and its recogniser's label.

    ``sent_words`` are the lowercase words of the candidate's sentence (computed when not given).
    """
    return type_from_evidence(span, source, label, sent_words) or guessed_type(span, source, label)


def guessed_type(span: Span, source: str, label: str) -> str:
    """A candidate's type when nothing in its name or context says it: the recogniser's label,
    else Model for a name with a number in it ("Zephyr-7"), else Method."""
    if source in NER_SOURCES:
        return _MAPPED_NER.get(label, label)
    return "Model" if any(c.isdigit() for c in span.text) else "Method"


def type_from_evidence(span: Span, source: str, label: str, sent_words: set[str] | None = None) -> str | None:
    """The type a candidate's name or context states (see :func:`infer_type`), or None."""
    doc = span.doc
    name_words = span.text.lower().replace("-", " ").split()
    last_word = name_words[-1] if name_words else ""
    after = [t.lower_ for t in doc[span.end : span.end + 2] if not t.is_punct]
    before = doc[span.start - 1].lower_ if span.start > 0 else ""
    if sent_words is None:
        sentence = span.sent if doc.has_annotation("SENT_START") else doc[:]
        sent_words = {t.lower_ for t in sentence}

    if source in _TRUSTED_LABELS and label not in {"Dataset", "Benchmark"}:
        return label
    if source != "gazetteer" and model_family(span.text):  # "ImageNet-1K" is no size variant
        return "Model"
    if source != "gazetteer" and _RELEASE_WORD.search(span.text):  # "Ling-Lite", "QvQ-Preview"
        return "Model"
    if source != "gazetteer" and len(span) == 1 and "gazetteer_parts" in doc.spans:
        part = next((p.label_ for p in doc.spans["gazetteer_parts"] if p.start == span.start), None)
        if part:  # "Orca-Math", "MMLU-STEM": a compound of a known name
            return part
    if label in {"Dataset", "Benchmark"} or (source == "ner" and label == "Material"):
        for word in after:
            if word in {"benchmark", "benchmarks", "suite", "leaderboard"}:
                return "Benchmark"
            if word in {"dataset", "datasets", "corpus", "corpora"}:
                return "Dataset"
        if source == "gazetteer":
            return label
        if any(TRAINING_DATA.match(w) for w in sent_words) and not any(EVAL.match(w) for w in sent_words):
            return "Dataset"
        return "Benchmark" if any(EVAL.match(w) for w in sent_words) else "Dataset"
    for word in after[:1]:
        if word in _NEXT_WORD_TYPES:
            return _NEXT_WORD_TYPES[word]
    if after[:2] in (["test", "set"], ["test", "sets"]):
        return "Benchmark"
    data_type = _data_context(span, sent_words) or apposition_type(span)
    if data_type:
        return data_type
    if len(name_words) > 1 or span.text.islower():
        for pattern, head_type in _HEAD_TYPES:
            if pattern.search(last_word):
                return head_type
    if before in _MODEL_VERBS:
        return "Model"
    if source in NER_SOURCES:
        return None
    for pattern, head_type in _HEAD_TYPES:
        if pattern.search(last_word):
            return head_type
    return None


def apposition_type(span: Span) -> str | None:
    """The type a class noun in apposition gives a name: "a single-pass tokenizer, KARL",
    "Procedure Transformer (ProcX), a model for ...", "benchmarks such as HumanEval", "an LLM
    named YunShan"; None otherwise.

    A class noun right before the name counts after a list word ("such as", "like", "including")
    or with an indefinite article ("a new benchmark, X"): "On this dataset, X ..." says nothing of X.
    """
    doc = span.doc
    i = span.start - 1
    # "an LLM named YunShan", "a training framework for LLMs called Fira" (the head noun, not the
    # noun of a prepositional phrase)
    if i >= 1 and doc[i].lower_ in NAMING:
        for j in range(i - 1, max(i - 7, 0), -1):
            if doc[j].is_punct:
                break
            if doc[j].lower_ in _CLASS_NOUN_TYPES and doc[j - 1].lower_ not in _APPOSITION_STOP:
                return _CLASS_NOUN_TYPES[doc[j].lower_]
    while i >= 0 and doc[i].text in {"(", "the"}:
        i -= 1
    introduced = False
    if i >= 1 and doc[i].lower_ == "as" and doc[i - 1].lower_ == "such":
        i, introduced = i - 2, True
    elif i >= 0 and doc[i].lower_ in _LIST_INTRO:
        i, introduced = i - 1, True
    while i >= 0 and doc[i].text in {",", ":", "("}:
        i -= 1
    if i >= 0 and i < span.start - 1 and doc[i].lower_ in _CLASS_NOUN_TYPES:
        article = any(t.lower_ in _INDEFINITE for t in doc[max(0, i - 4) : i])
        if introduced or (article and doc[i + 1].text == ","):
            return _CLASS_NOUN_TYPES[doc[i].lower_]
    if introduced and i >= 0 and doc[i].lower_ in _TASK_NOUNS and any(is_name_like(t.text) for t in span):
        return "Benchmark"
    # "X, a model for ...", "X (Y), an algorithm that ...": the first class noun after the article
    j = span.end + (span.end < len(doc) and doc[span.end].text == ")")
    if j + 1 < len(doc) and doc[j].text == "," and doc[j + 1].lower_ in _INDEFINITE:
        for token in doc[j + 2 : j + 7]:
            if token.lower_ in _CLASS_NOUN_TYPES:
                return _CLASS_NOUN_TYPES[token.lower_]
            if token.is_punct or token.lower_ in _APPOSITION_STOP:
                break
    return None


def _data_context(span: Span, sent_words: set[str]) -> str | None:
    """Dataset or Benchmark for an unknown name the sentence uses as data: "gains on MRPC",
    "trained on X", "data from LIBSVM"; None otherwise ("built on LoRA" is no data)."""
    doc = span.doc
    before = [t.lower_ for t in doc[max(0, span.start - 3) : span.start]]
    if not before or before[-1] not in {"on", "across", "from"} or any(
            w in {"based", "built", "relies", "rely", "focus", "focuses", "depend", "depends"} for w in before):
        return None
    if before[-1] == "from" or any(TRAINING_DATA.match(w) for w in before):
        return "Dataset"
    return "Benchmark" if any(EVAL.match(w) for w in sent_words) else None


def _trim(span: Span) -> Span | None:
    """Drop leading determiners/modifiers and trailing punctuation; None if nothing is left."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (doc[start].lower_ in _DETERMINERS or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].is_punct and doc[end - 1].text not in ")}]"):
        end -= 1
    if start >= end:
        return None
    return Span(doc, start, end, label=span.label, kb_id=span.kb_id)


# What follows a model family's name to make a release of it: "LLaMA 2 7B", "Llama 3.1 8B Instruct",
# "Stable Diffusion v1.5", "GPT-3 XL", "Claude Opus-4", "OpenChat 3.5".
_MODEL_TAIL = re.compile(
    r"^(?:\d+(?:\.\d+)*|v\d+(?:\.\d+)*|(?:\d+x)?\d+(?:\.\d+)?[BMK]|\d+(?:\.\d+)*-(?:\d+x)?\d+(?:\.\d+)?[BMK]"
    r"|Instruct|Chat|Base|Pro|Plus|Mini|Turbo|XL|XXL|Large|Small|Medium|Ultra|Preview|Flash|Nano|Lite|Max"
    r"|(?:Opus|Sonnet|Haiku|Pro|Flash|Ultra|Mini|Turbo)-?\d+(?:\.\d+)*)$"
)


# A name ending in a release word is a model release: "Ling-Lite", "QvQ-Preview", "Foo Instruct".
_RELEASE_WORD = re.compile(r".[- ](?:Instruct|Chat|Base|Plus|Mini|Turbo|Lite|Preview|Flash|Nano|Ultra|XL|XXL)$")
# What follows a corpus's name to make an edition of it: "WMT 2014 De-En", "IWSLT 2017 en-de".
_DATA_TAIL = re.compile(r"^(?:(?:19|20)\d\d|'?\d\d|[A-Za-z]{2}-[A-Za-z]{2}|v\d+(?:\.\d+)*)$")
_TAILS = {"Model": _MODEL_TAIL, "Dataset": _DATA_TAIL, "Benchmark": _DATA_TAIL}
# What follows a coined name to make a release of it: "OpenChat 3.5", "Zorb 2.0", "Zorb 13B".
_RELEASE_TAIL = re.compile(r"^(?:\d+\.\d+|(?:\d+x)?\d+(?:\.\d+)?[BM])$")
# A benchmark suite's name followed by a capitalised word names one of its members: "Atari Pong",
# "MuJoCo Hopper", "WILDS Camelyon17". Words that describe the suite itself are no members.
_MEMBER = re.compile(r"^[A-Z][a-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*$")
_NOT_MEMBERS = {"benchmark", "benchmarks", "suite", "dataset", "datasets", "challenge", "leaderboard", "environment",
                "environments", "game", "games", "task", "tasks", "level", "levels", "test", "tests", "score", "scores"}


def _with_tail(span: Span, tail: re.Pattern) -> Span:
    """A known name extended over the words that make a release or edition of it
    ("LLaMA 2 7B", "WMT 2014 De-En"): the extended name is its own entity.
    """
    doc, end = span.doc, span.end
    while end < len(doc) and end - span.end < 3 and tail.match(doc[end].text) and not doc[end - 1].whitespace_ == "":
        end += 1
    if end == span.end:
        return span
    return Span(doc, span.start, end, label=span.label)


def _with_member(span: Span, named: set[int]) -> Span:
    """A benchmark suite's name extended over the member it names ("Atari Pong"); ``named`` are
    the positions of known names, which are never members."""
    doc, end = span.doc, span.end
    if (end < len(doc) and end not in named and span[-1].whitespace_ and not doc[end].is_sent_start
            and _MEMBER.match(doc[end].text) and doc[end].lower_ not in _NOT_MEMBERS):
        return Span(doc, span.start, end + 1, label=span.label)
    return span


# Head words of technique names ("imitation learning", "beam search", "knowledge distillation"):
# a lowercase phrase the recogniser finds is a name only when it ends in one of these.
_TECHNIQUE_HEAD = re.compile(
    r"^(learning|regression|descent|distillation|pruning|search|sampling|tuning|fine-?tuning|finetuning|prompting"
    r"|propagation|normalization|normalisation|dropout|augmentation|quantization|quantisation|decoding|clustering"
    r"|boosting|bagging|training|pre-?training|pretraining|merging|sketching|regularization|regularisation"
    r"|factorization|factorisation|decomposition|attention|embeddings?|encoding|differentiation|hashing"
    r"|programming|optimization|optimisation|estimation|inference|reasoning|detection|translation|classification"
    r"|recognition|segmentation|answering|summarization|summarisation|retrieval|generation|modell?ing|parsing)$"
)
# Words that make a phrase a description rather than a name: "model training", "efficient search".
_DESCRIPTIVE = re.compile(
    r"^(model|models|training|learning|data|task|tasks|efficient|effective|better|large|small|larger|smaller"
    r"|standard|more|further|simple|whole|overall|existing|additional|extensive|exhaustive|naive|proper|good"
    r"|optimal|general|specific|different|same|new|novel|current|final|initial|early|late|fast|slow|full|partial"
    r"|this|that|such|their|our|its|the|a|an|any|each|both|all|various|several|many|multiple|single|joint"
    r"|accurate|robust|high|low|better|best|strong|weak|limited|improved|improving|further)$"
)


_CLASS_HEAD = re.compile(r"^(models?|networks?|methods?|approach(es)?|systems?|algorithms?|frameworks?|architectures?|techniques?)$")


# A kind of model described by its size, modality or openness: "larger language models", "large
# pre-trained models (LPMs)", "large language and vision models". The named classes are in the
# generic gazetteer; these are their free variations.
_CLASS_WORDS = {"large", "larger", "largest", "small", "smaller", "smallest", "tiny", "big", "huge", "massive",
                "pre-trained", "pretrained", "foundation", "foundational", "language", "vision", "visual",
                "vision-language", "multimodal", "multi-modal", "generative", "neural", "deep", "open", "open-source",
                "proprietary", "frontier", "base", "general-purpose", "frozen", "modern", "powerful", "and", "&"}
_CLASS_NOUN = re.compile(r"^(models?|modell?ing|networks?|lms?)$")


def is_class_description(span: Span) -> bool:
    """Whether a phrase only describes a kind of model ("smaller language models").

    >>> import spacy
    >>> doc = spacy.blank("en")("We compare larger language models and Llama models .")
    >>> is_class_description(doc[2:5]), is_class_description(doc[6:8])
    (True, False)
    """
    words = span.text.lower().split()  # words as written, whatever the tokenizer split off ("-trained")
    return len(words) > 1 and bool(_CLASS_NOUN.match(words[-1])) and all(w in _CLASS_WORDS for w in words[:-1])


def is_specific(span: Span, *, title_cased: bool = False, generic_keys: AbstractSet[str] = frozenset()) -> bool:
    """Whether a recogniser span names one thing, not a description ("small models", "training loss").

    A span is specific when a token in it is a coined name, when it holds a capitalised word in
    running text ("Gaussian mixture models"), or when it is a short lowercase phrase ending in a
    technique head whose other words are not descriptive ("imitation learning", not "model training").
    """
    words = [t for t in span if not t.is_punct]
    if not words:
        return False
    # "fine-tuning LLMs", "SOTA models": a generic word is no name, however it is spelled.
    named = [t for t in words if canonical_key(t.text) not in generic_keys]
    if len(words) > 1 and any(t not in named and any(c.isupper() for c in t.text[1:]) for t in words[:-1]):
        return False  # "RL training", "LLM optimization": a generic class qualified, a description
    if any(is_name_like(t.text, title_cased=title_cased or t.is_sent_start) for t in named):
        return True
    if _CLASS_HEAD.match(words[-1].lower_):  # "Vision models", "Deep learning methods": a kind of thing
        return False
    if not title_cased and any(t.text[:1].isupper() and not t.is_sent_start and not _PROPER_ADJECTIVE.match(t.text)
                               for t in named):
        return True
    if title_cased and not all(t.is_lower or not t.is_alpha for t in words[1:]):
        return False  # in a title every word is capitalised: "Tree-Based Preference Learning" is a title's words
    head = words[-1].lower_
    if len(words) == 1:  # one word: a hyphenated technique compound ("meta-learning", "self-distillation")
        parts = head.split("-")
        return len(parts) > 1 and bool(_TECHNIQUE_HEAD.match(parts[-1])) and not _DESCRIPTIVE.match(parts[0])
    return (
        len(words) <= 4
        and bool(_TECHNIQUE_HEAD.match(head))
        and not any(_DESCRIPTIVE.match(t.lower_) for t in words[:-1])
    )


def capitalised_phrases(doc: Doc, text: DocText | None = None) -> list[Span]:
    """Runs of two or more capitalised words in running text: "Norm Growth Limiter", "Activation Beacon".

    Outside the title and not at a sentence start, capitals mark a name.
    """
    text = text or DocText.of(doc)
    spans, start = [], None
    for i in range(text.title_end, len(text)):
        word = text.words[i]
        capital = word[:1].isupper() and any(c.isalpha() for c in word)
        if capital and start is None and not text.is_sent_start(i):
            start = i
        elif not capital and start is not None:
            if i - start > 1:
                spans.append(Span(doc, start, i, label="Phrase"))
            start = None
    if start is not None and len(text) - start > 1:
        spans.append(Span(doc, start, len(text), label="Phrase"))
    return spans


# Where a plain capitalised word is a name: "we propose Compressor, a ...", "our approach, Loki,",
# "a speedup over Tiramisu and Pluto", "a method called Guide".
_NAMING_VERBS = re.compile(r"^(called|named|dubbed|termed|coined|propose[sd]?|introduce[sd]?|present(s|ed)?|derive[sd]?|develop(s|ed)?|release[sd]?)$")
_COMPARING = re.compile(r"^(over|than|outperform(s|ed|ing)?|surpass(es|ed|ing)?|beat(s|ing)?|vs\.?|versus)$")
_NAME_END = {",", ".", "(", ")", ":", ";", "--", "—", "and", "or", "on", "in", "by", "with", "to", "which", "that", "is",
             "achieves", "while", "for", "at", "as", "from", "but", "using", "without"}


def named_words(text: DocText, known_data_ends: AbstractSet[int] = frozenset()) -> set[str]:
    """Capitalised words of running text that the context makes names (see ``_NAMING_VERBS``),
    and one listed right after a coined name or a known dataset ("on YouCook2 and Tasty");
    ``known_data_ends`` are the positions right after known datasets and benchmarks.

    A capital inside a sentence is often just a proper adjective ("Bayesian optimization"), so a
    word counts only where a name is expected and nothing continues it.
    """
    found = set()
    for i in range(max(text.title_end, 1), len(text) - 1):
        word = text.words[i]
        if not (len(word) > 2 and word[0].isupper() and word[1:].isalpha() and not text.is_sent_start(i)):
            continue
        if text.lower[i + 1] not in _NAME_END:
            continue
        before = text.lower[i - 1]
        if _NAMING_VERBS.match(before) or _COMPARING.match(before):
            found.add(word)
        elif before in {"and", "or", ","} and (text.words[i - 2] in found or i - 1 in known_data_ends
                                               or is_name_like(text.words[i - 2])):
            found.add(word)  # the list goes on: "than Tiramisu and Pluto", "on YouCook2 and Tasty"
        elif before == "," and text.lower[i + 1] == "," and text.lower[i - 2] in _CLASS_NOUN_TYPES:
            found.add(word)  # "our proposed approach, Loki, gains ..."
    return found


# Known lowercase techniques and tasks that words before them make specific: "data pruning",
# "kernel gradient descent", "clinical text summarization".
_QUALIFIABLE = {"Method", "Task"}
# A modifier noun is singular ("network pruning"); "in some cases pruning ..." runs two phrases together.
_QUALIFIER = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?<![^su]s)$")
# Descriptive words that qualify nothing; the nouns of _DESCRIPTIVE ("data", "model") do qualify.
_NOT_QUALIFIERS = {"model", "models", "training", "learning", "data", "task", "tasks"}
# Words after which the next word is a verb, which qualifies nothing: "to probe", "we study".
_BEFORE_VERBS = {"to", "can", "could", "may", "might", "will", "would", "should", "must", "we", "they", "it", "i"}


def qualified_technique(ent: Span, known: Span | None, text: DocText) -> Span | None:
    """A recogniser span that ends in a known lowercase technique (or task) and names a kind of
    it with one or two words before it ("data pruning", "weight-only quantization"), labelled
    with the known name's type; None otherwise.

    Leading determiners and descriptive adjectives are dropped ("naive distillation" is
    distillation); lists, prepositions and possessives qualify nothing.
    """
    if known is None or not ent.start < known.start <= ent.start + 4:
        return None
    start = ent.start
    while start < known.start and (text.lower[start] in _DETERMINERS or (
            _DESCRIPTIVE.match(text.lower[start]) and text.lower[start] not in _NOT_QUALIFIERS)):
        start += 1
    words = text.lower[start : known.start]
    if not 1 <= len(words) <= 2 or not all(_QUALIFIER.match(w) and w not in _APPOSITION_STOP for w in words):
        return None
    if start > 0 and text.lower[start - 1] in _BEFORE_VERBS:  # "to probe mathematical reasoning"
        return None
    span = Span(ent.doc, start, ent.end, label=known.label_)
    return span if _in_lowercase(span, text) else None


class Vetting(NamedTuple):
    """Which rules judge a candidate name before the name filter does."""

    specificity: bool  # it must name one thing (:func:`is_specific`)
    generic_lists: bool  # it must not be a known generic phrase


def rules_vetting(span: Span, source: str, text: DocText) -> Vetting:
    """The rules that judge ``span``, found by ``source``.

    The recogniser trained on the guideline's types learned which descriptions annotators name
    ("contrastive learning", "graph neural networks"), and the name filter judges its names after
    it, so outside the title they skip the specificity rules, and those of several words the generic
    lists too. In a title every word is capitalised, and a bare class word ("Transformers") is no
    name. Everything else passes both. (Cross-validated with the typer and filter fitted on unseen
    abstracts: typed entity F1 +0.016 [+0.013, +0.020]; its single words vetted too: "papers using"
    recall -0.004 [-0.007, -0.003].)
    """
    if source != "learned":
        return Vetting(True, True)
    return Vetting(specificity=text.in_title(span.start), generic_lists=len(span) == 1)


def candidate_spans(doc: Doc, generic_keys: AbstractSet[str] = frozenset(), text: DocText | None = None,
                    ner_source: str = "ner") -> list[tuple[Span, str]]:
    """Every candidate with the recogniser that found it: ``(span, source)``; ``doc.ents`` come
    from the recogniser ``ner_source`` (one of :data:`NER_SOURCES`).

    An acronym whose expansion is generic ("large language models (LLMs)") is
    no candidate, and neither is its expansion.
    """
    text = text or DocText.of(doc)
    found: list[tuple[Span, str]] = []
    for span in doc.spans.get("gazetteer", []):
        if span.label_ != GENERIC:
            found.append((span, "gazetteer"))
    techniques: dict[int, Span] = {}
    for span in doc.spans.get("gazetteer", []):  # the longest known name ending at each word
        if span.id_ == LOWERCASE_NAME and span.label_ in _QUALIFIABLE and len(span) > len(techniques.get(span.end, ())):
            techniques[span.end] = span
    for ent in doc.ents:
        qualified = qualified_technique(ent, techniques.get(ent.end), text)
        if qualified is not None:
            found.append((qualified, "qualified"))
            continue
        if is_class_description(ent) or (rules_vetting(ent, ner_source, text).specificity and not is_specific(
                ent, title_cased=text.in_title(ent.start), generic_keys=generic_keys)):
            continue
        # A lowercase phrase that only SciREX's recogniser finds is a name when the abstract says it
        # again; said once it is mostly a description ("short training", "iterative sampling"). The
        # recogniser trained on the guideline's types learned which ones are names (cross-validated).
        if ner_source == "ner" and _in_lowercase(ent, text) and _occurrences(ent, text) < 2:
            continue
        found.append((ent, ner_source))
    for s_start, s_end, l_start, l_end in getattr(doc._, "abbreviations", []):
        long = _trim(doc[l_start:l_end])
        if long is None or canonical_key(long.text) in generic_keys:
            continue
        found.append((Span(doc, long.start, long.end, label="Abbreviation"), "abbreviation"))
        found.append((Span(doc, s_start, s_end, label="Abbreviation"), "abbreviation"))
    if text.title_end:
        colon = next((i for i in range(text.title_end) if text.words[i] == ":"), None)
        # "SlimFlow: Training ..." names what the paper proposes; "Stacking Your Transformers: ..." and
        # "LoRA vs Full Fine-tuning: ..." do not.
        head = text.words[:colon] if colon else []
        if (colon and 0 < colon <= 4 and (colon == 1 or any(is_name_like(w, title_cased=True) for w in head))
                and not any(_COMPARING.match(w.lower()) or w.lower() in {"and", "or"} for w in head)):
            found.append((Span(doc, 0, colon, label="Title"), "title"))
    found.extend((span, "phrase") for span in capitalised_phrases(doc, text))
    known_data_ends = {s.end for s in doc.spans.get("gazetteer", []) if s.label_ in {"Dataset", "Benchmark"}}
    names = named_words(text, known_data_ends)
    found.extend((Span(doc, i, i + 1, label="Naming"), "naming") for i, word in enumerate(text.words) if word in names)
    # A compound that is a name in running text is one at a sentence start too ("Orca-Math surpasses").
    # (Not in the title, where "In-Context" would come back from "In-Context Learning" in the text.)
    shaped = {word for i, word in enumerate(text.words) if is_name_like(word, title_cased=text.in_title(i) or text.is_sent_start(i))}
    found.extend((Span(doc, i, i + 1, label="Shape"), "shape") for i, word in enumerate(text.words)
                 if word in shaped and (not text.in_title(i) or is_name_like(word, title_cased=True)))
    return found


# Sources of names whose extent comes from the text's capitals or definitions.
_NAME_SOURCES = {"phrase", "title", "naming", "shape"}
# Words that start a verb's object: "probing the model" uses the verb, "via probing" names the method.
_OBJECT_STARTS = {"the", "a", "an", "our", "their", "its", "this", "these", "those", "his", "her", "them", "it", "such"}


def _is_verb_use(span: Span) -> bool:
    """A one-word technique name ending in -ing used as a verb: "probing the representations"."""
    doc = span.doc
    return (len(span) == 1 and span.id_ == LOWERCASE_NAME and span.text.lower().endswith("ing")
            and span.end < len(doc) and doc[span.end].lower_ in _OBJECT_STARTS)


def _in_lowercase(span: Span, text: DocText) -> bool:
    """Whether a span's words are all lowercase but for the capital that starts a sentence."""
    return all(
        word.islower() or not any(c.isalpha() for c in word) or (i == span.start and text.is_sent_start(i) and word[1:].islower())
        for i, word in enumerate(text.words[span.start : span.end], start=span.start)
    )


def _occurrences(span: Span, text: DocText) -> int:
    """How often the span's words occur in the doc, in any case."""
    words, n = text.lower[span.start : span.end], len(span)
    return sum(text.lower[i : i + n] == words for i in range(len(text) - n + 1) if text.lower[i] == words[0])


def _generic_ranges(doc: Doc) -> set[tuple[int, int]]:
    return {(s.start, s.end) for s in doc.spans.get("gazetteer", []) if s.label_ == GENERIC}


def resolve_entities(doc: Doc, ner_source: str = "ner", annotated_types: Mapping[str, str] | None = None,
                     type_model: TypeModel | None = None, name_filter: NameFilter | None = None) -> list[Span]:
    """The final entity spans of a doc, typed and keyed (see the module docstring); a name of
    ``annotated_types`` (canonical key -> type: what the recogniser's training annotations call it)
    takes that type, then ``type_model`` (:mod:`paperkg.extractors.type_model`) types every span,
    and ``name_filter`` (:mod:`paperkg.extractors.name_filter`) drops the entities it finds unnamed."""
    generic = _generic_ranges(doc)
    text = DocText.of(doc)
    generic_keys = {canonical_key(text.span_text(s, e)) for s, e in generic}
    # "smaller language models (SLMs)": a described kind of model is generic, and so is its acronym.
    for s_start, s_end, l_start, l_end in getattr(doc._, "abbreviations", []):
        long = _trim(doc[l_start:l_end])
        if long is not None and is_class_description(long):
            generic_keys |= {canonical_key(long.text), canonical_key(text.span_text(s_start, s_end))}
    sent_starts = [start for start, _ in text.sents]
    sent_words: dict[int, set[str]] = {}

    def words_of_sentence(i: int) -> set[str]:
        index = bisect_right(sent_starts, i) - 1
        if index not in sent_words:
            sent_words[index] = set(text.lower[slice(*text.sents[index])])
        return sent_words[index]

    gazetteer_words = {i for s in doc.spans.get("gazetteer", []) for i in range(s.start, s.end)}
    url_words = text.url_words()
    ranked: list[list[Any]] = []  # priority, length, span, source, label: the priority may be raised below
    for span, source in candidate_spans(doc, generic_keys, text, ner_source):
        trimmed = span if source == "gazetteer" else _trim(span)  # known names are matched whole ("The Pile")
        if trimmed is None:
            continue
        if rules_vetting(trimmed, source, text).generic_lists and (
                (trimmed.start, trimmed.end) in generic or canonical_key(trimmed.text) in generic_keys):
            continue
        if trimmed.start in url_words or _DATA_SPLIT.fullmatch(trimmed.text):
            continue
        if source != "gazetteer" and _BROKEN.search(_SUBSCRIPT.sub("", trimmed.text)):  # formula debris: "O}(log T"
            continue
        if source == "abbreviation" and trimmed.text.islower() and len(trimmed) == 1:
            continue
        if trimmed[-1].lower_ in _HARDWARE:  # "NVIDIA H800 GPU": named, but none of the guideline's types
            continue
        if source == "gazetteer" and _is_verb_use(span):
            continue
        if source == "gazetteer" and span.label_ in _TAILS:
            trimmed = _with_tail(trimmed, _TAILS[span.label_])
            if span.label_ == "Benchmark":
                trimmed = _with_member(trimmed, gazetteer_words)
        elif source == "shape":
            trimmed = _with_tail(trimmed, _RELEASE_TAIL)
        ranked.append([SOURCE_PRIORITY[source], len(trimmed), trimmed, source, span.label_])
    # A defined name is the fullest form: "Instruction-Aware Prompt Tuning (IAPT)" beats the known
    # "Prompt Tuning" inside it. So is a capitalised name around a known technique phrase that is
    # capitalised only because the name is: "Structured Pruning Adapters" around "pruning"; and a
    # recogniser's name around a known one that the text says whole again ("Mask DINO").
    known = [item[2] for item in ranked if item[3] == "gazetteer"]
    capitalised = [k for k in known if k.id_ == LOWERCASE_NAME and all(t.is_title or not t.is_alpha for t in k)]
    for item in ranked:
        span = item[2]
        inside = known if item[3] == "abbreviation" else capitalised if item[3] in _NAME_SOURCES else ()
        defined = (_holds_shorter(span, inside)
                   and not any((k.start, k.end) == (span.start, span.end) for k in known))  # known whole: known type
        if defined or _fuller_known_name(item, known, text):
            item[0] = SOURCE_PRIORITY["gazetteer"] + 1
    ranked.sort(key=lambda item: (-item[0], -item[1], item[2].start))
    taken = [False] * len(doc)
    chosen, guessed = [], set()
    for _, _, span, source, label in ranked:
        if any(taken[span.start : span.end]):
            continue
        for i in range(span.start, span.end):
            taken[i] = True
        entity_type = type_from_evidence(span, source, label, words_of_sentence(span.start))
        if entity_type is None:
            entity_type = guessed_type(span, source, label)
            guessed.add(span.start)
        key = span.kb_id_ or canonical_key(span.text) if source == "gazetteer" else canonical_key(span.text)
        chosen.append(Span(doc, span.start, span.end, label=entity_type, kb_id=key, span_id=source))
    spans = type_by_coordination(repeated_names(chosen, text), text)
    groups = entity_groups(spans, getattr(doc._, "abbreviations", []))  # typing below keeps every span and key
    spans = _type_by_group(spans, guessed, groups)
    if annotated_types:
        spans = [_annotated_type(span, annotated_types) for span in spans]
    if type_model:
        spans = type_model.retype(doc, spans, groups)
    if name_filter:
        spans = name_filter.keep(doc, spans, groups)
    return spans


def _holds_shorter(span: Span, names: Iterable[Span]) -> bool:
    """Whether one of ``names`` lies inside ``span`` and is shorter than it."""
    return any(k.start >= span.start and k.end <= span.end and len(k) < len(span) for k in names)


def _fuller_known_name(item: list, known: list[Span], text: DocText) -> bool:
    """A recogniser's capitalised name around a known one that the text says whole again: "Mask
    DINO" (what the paper proposes) around the known "DINO"."""
    span, source = item[2], item[3]
    return (source in NER_SOURCES and not _in_lowercase(span, text) and _occurrences(span, text) >= 2
            and _holds_shorter(span, known))


def _annotated_type(span: Span, annotated_types: Mapping[str, str]) -> Span:
    label = annotated_types.get(canonical_key(span.text), span.label_)
    return span if label == span.label_ else Span(span.doc, span.start, span.end, label=label, kb_id=span.kb_id_,
                                                  span_id=span.id_)


def repeated_names(spans: list[Span], text: DocText) -> list[Span]:
    """``spans`` (sorted) plus the other places the doc says a name of several words again, in any
    case: "Graph HyperNetworks (GHNs)" in the abstract makes "Graph HyperNetworks" in the title
    one name, not "HyperNetworks". A repetition replaces the shorter names inside it and never
    cuts across another name.
    """
    names: dict[str, list[Span]] = defaultdict(list)
    for span in spans:
        if len(span) > 1:
            names[text.lower[span.start]].append(span)
    if not names:
        return sorted(spans, key=lambda s: s.start)
    owner = {i: span for span in spans for i in range(span.start, span.end)}
    found: list[Span] = []
    for i, word in enumerate(text.lower):
        for name in names.get(word, ()):
            end = i + len(name)
            if text.lower[i:end] != text.lower[name.start : name.end] or (i, end) == (name.start, name.end):
                continue
            inside = {owner[j] for j in range(i, end) if j in owner}
            if i < text.title_end and not inside:  # a title names its topics, not each a name
                continue
            if all(s.start >= i and s.end <= end and len(s) < len(name) for s in inside) and not any(
                    f.start < end and i < f.end for f in found):
                found.append(Span(name.doc, i, end, label=name.label_, kb_id=name.kb_id_, span_id=name.id_))
    if not found:
        return sorted(spans, key=lambda s: s.start)
    covered = {j for f in found for j in range(f.start, f.end)}
    kept = [s for s in spans if s.start not in covered]
    return sorted(kept + found, key=lambda s: s.start)


def entity_groups(spans: Sequence[Span], abbreviations: list[tuple[int, int, int, int]]) -> dict[str, str]:
    """Map each entity key to its group key: an acronym and its expansion are one group.

    ``abbreviations`` are ``doc._.abbreviations`` (short start, end, long start, end).
    """
    parent: dict[str, str] = {span.kb_id_: span.kb_id_ for span in spans}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    by_token = {i: span for span in spans for i in range(span.start, span.end)}
    for s_start, _, l_start, l_end in abbreviations:
        short = by_token.get(s_start)
        longs = {by_token[i].kb_id_ for i in range(l_start, l_end) if i in by_token}
        if short is None or len(longs) != 1:
            continue
        long_key = longs.pop()
        if long_key != short.kb_id_:
            # the expansion names the group: it is the fullest form
            parent[find(short.kb_id_)] = find(long_key)
    return {key: find(key) for key in parent}


def _type_by_group(spans: list[Span], guessed: set[int], groups: Mapping[str, str]) -> list[Span]:
    """Mentions of one entity (an acronym and its expansion, a name said twice: ``groups``, see
    :func:`entity_groups`) share the type the text gives it somewhere: "Procedure Transformer
    (ProcX), a model ..." types every "ProcX"."""
    votes: dict[str, Counter] = defaultdict(Counter)
    for span in spans:
        if span.start not in guessed:
            votes[groups[span.kb_id_]][span.label_] += 1
    typed = []
    for span in spans:
        group_votes = votes.get(groups[span.kb_id_])
        if span.start in guessed and group_votes:
            label = max(sorted(group_votes), key=group_votes.__getitem__)
            span = Span(span.doc, span.start, span.end, label=label, kb_id=span.kb_id_, span_id=span.id_)
        typed.append(span)
    return typed


_LIST_GLUE = {",", "and", "or", "as", "well", "&", "/"}
_SURE_SOURCES = {"gazetteer", "qualified", "abbreviation", "title"}


def type_by_coordination(spans: list[Span], text: DocText) -> list[Span]:
    """Names listed together are of one kind: "on GeoQA and MathVista-GEO", "LLaMA-2-70B, WizardMath-70B".

    A name found only by its shape or a recogniser takes the type of a listed neighbour
    whose type is sure (gazetteer, acronym definition, title), or that was typed from its use
    as data. Neighbours are entities separated only by commas, "and", "or".
    """
    sure = [s.id_ in _SURE_SOURCES or s.label_ in {"Dataset", "Benchmark"} for s in spans]
    types = [s.label_ for s in spans]
    for _ in range(2):  # a list of three takes its type from either end
        for i in range(len(spans) - 1):
            left, right = spans[i], spans[i + 1]
            if not all(w in _LIST_GLUE for w in text.lower[left.end : right.start]) or right.start - left.end > 3:
                continue
            for a, b in ((i, i + 1), (i + 1, i)):
                if sure[a] and not sure[b] and types[b] != types[a] and types[a] not in {"Task", "Metric"}:
                    types[b], sure[b] = types[a], True
    return [s if s.label_ == t else Span(s.doc, s.start, s.end, label=t, kb_id=s.kb_id_, span_id=s.id_)
            for s, t in zip(spans, types)]


#: The resolver's learned models, by setting: each is serialised under its name (``<name>.json`` on disk).
_LEARNED: dict[str, type[TypeModel] | type[NameFilter]] = {"type_model": TypeModel, "name_filter": NameFilter}


@Language.factory("paperkg_entities", default_config={"ner_source": "ner", "annotated_types": {}}, assigns=["doc.ents"],
                  requires=["doc.ents", "doc.spans", "doc._.abbreviations", "token.is_sent_start"])
class EntityResolver:
    """Replaces ``doc.ents`` with resolved, typed entities; ``span.id_`` names the recogniser.

    ``ner_source`` says what the trained recogniser before it is (one of :data:`NER_SOURCES`);
    ``annotated_types`` maps names (canonical keys) to the type the recogniser's training
    annotations give them (``paperkg.extractors.training.annotated_types``).
    """

    def __init__(self, nlp: Language, name: str, ner_source: str, annotated_types: dict[str, str]):
        if ner_source not in NER_SOURCES:
            raise PipelineError(f"paperkg_entities: ner_source {ner_source!r} is none of {', '.join(NER_SOURCES)}")
        wrong = sorted({t for t in annotated_types.values() if t not in ENTITY_TYPES})
        if wrong:
            raise PipelineError(f"paperkg_entities: annotated type {wrong[0]!r} is none of {', '.join(ENTITY_TYPES)}")
        self.ner_source = ner_source
        self.annotated_types = annotated_types
        self.type_model: TypeModel | None = None
        self.name_filter: NameFilter | None = None
        if not Doc.has_extension("abbreviations"):
            Doc.set_extension("abbreviations", default=[])

    def initialize(self, get_examples=None, *, nlp: Language | None = None, type_model: str | None = None,
                   name_filter: str | None = None) -> None:
        """Read the typer and the name filter of ``[initialize.components.<name>]`` (``type_model``,
        ``name_filter``: their weights, the ``entity_types.json`` and ``entity_filter.json`` of a
        trained recogniser), or type by the rules alone and keep every entity without them."""
        self.type_model = TypeModel.load(type_model) if type_model else None
        self.name_filter = NameFilter.load(name_filter) if name_filter else None

    def __call__(self, doc: Doc) -> Doc:
        doc.ents = resolve_entities(doc, self.ner_source, self.annotated_types, self.type_model, self.name_filter)
        return doc

    def _weights(self, model: str) -> dict | None:
        found = getattr(self, model)
        return found.to_json() if found else None

    def _set_weights(self, model: str, data: dict | None) -> None:
        setattr(self, model, _LEARNED[model].from_json(data) if data else None)

    def _dumps(self, model: str) -> bytes:
        return srsly.json_dumps(self._weights(model)).encode("utf-8")

    def _loads(self, model: str, data: bytes) -> None:
        self._set_weights(model, srsly.json_loads(data))

    def _write(self, model: str, file: Path) -> None:
        srsly.write_json(file, self._weights(model))

    def _read(self, model: str, file: Path) -> None:
        self._set_weights(model, srsly.read_json(file))

    def to_bytes(self, *, exclude: Iterable[str] = SimpleFrozenList()) -> bytes:
        return util.to_bytes({m: partial(self._dumps, m) for m in _LEARNED}, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = SimpleFrozenList()) -> "EntityResolver":
        util.from_bytes(bytes_data, {m: partial(self._loads, m) for m in _LEARNED}, exclude)
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> None:
        util.to_disk(path, {f"{m}.json": partial(self._write, m) for m in _LEARNED}, exclude)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = SimpleFrozenList()) -> "EntityResolver":
        util.from_disk(path, {f"{m}.json": partial(self._read, m) for m in _LEARNED}, exclude)
        return self

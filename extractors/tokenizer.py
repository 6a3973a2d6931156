"""A tokenizer that keeps ML names whole.

spaCy's English tokenizer splits at a hyphen between letters, which cuts
``HC-RLHF`` and ``Qwen2.5-Math-7B`` into pieces no matcher or model can see as
one name. This one keeps hyphenated words whole and instead splits off the
descriptive tails that glue onto names (``GPT-4-based``, ``LLM-generated``).

>>> import spacy
>>> nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
>>> [t.text for t in nlp("HC-RLHF beats GPT-4o-based LLaMA-3-8B (on CIFAR-100) and GSM8K.")]
['HC-RLHF', 'beats', 'GPT-4o', '-based', 'LLaMA-3-8B', '(', 'on', 'CIFAR-100', ')', 'and', 'GSM8K', '.']
"""

from __future__ import annotations

import spacy
from spacy.lang.en import English
from spacy.tokenizer import Tokenizer
from spacy.util import compile_infix_regex, compile_suffix_regex

__all__ = ["GLUED_TAILS", "create_tokenizer", "make_tokenizer"]

#: Words that follow a name after a hyphen and describe it ("X-based").
GLUED_TAILS = (
    "based", "like", "style", "free", "level", "aware", "wise", "specific", "only",
    "driven", "guided", "augmented", "tuned", "finetuned", "trained", "pretrained",
    "generated", "sized", "scale", "size", "powered", "enhanced", "centric", "assisted",
    "type", "family", "series", "class", "equivalent", "related", "bound", "format",
)



def make_tokenizer(nlp) -> Tokenizer:
    """The paperkg tokenizer for ``nlp``'s vocabulary (English rules otherwise)."""
    defaults = English.Defaults
    # A single hyphen inside a word (letters or digits on both sides) no longer
    # splits; dashes, "--" and "~" still do.
    infixes = [
        p.replace("(?:-|–|", "(?:–|").replace(r"[+\-\*^]", r"[+\*^]") for p in defaults.infixes
    ]
    # Brackets glued inside a word are punctuation, not part of a name: "(RL)-scale", "O(K".
    infixes += [r"(?<=[A-Za-z0-9])\((?=[A-Za-z0-9])", r"\)(?=[-A-Za-z])"]
    tail = "|".join(GLUED_TAILS)
    # English keeps "GSM8K." whole (as for "U.S."); a name ending a sentence must lose its period.
    # Unit suffixes ("8K", "770M", "7B") are parts of names here, not quantities: only "%" splits.
    # Only a name loses its tail: "pre-trained", "fine-tuned" and "task-specific" stay one word, so
    # cue words and phrases match them. A name ends in a capital or digit and at most 12 lowercase
    # letters ("LLM", "GPT-4o", "Llama"); Python's lookbehinds are fixed-width, hence one per length.
    after_name = "|".join(f"(?<=[A-Z0-9][a-z]{{{n}}})" for n in range(13))
    suffixes = [
        rf"(?:{after_name})-(?:{tail})$",
        r"(?<=[A-Z0-9])\.$",
        r"(?<=[0-9])%",
        *(p for p in defaults.suffixes or () if not (isinstance(p, str) and p.startswith("(?<=[0-9])(?:km|"))),
    ]
    return Tokenizer(
        nlp.vocab,
        rules=defaults.tokenizer_exceptions,
        prefix_search=spacy.util.compile_prefix_regex(defaults.prefixes or ()).search,
        suffix_search=compile_suffix_regex(suffixes).search,
        infix_finditer=compile_infix_regex(infixes).finditer,
        token_match=defaults.token_match,
        url_match=defaults.url_match,
    )


@spacy.registry.tokenizers("paperkg.tokenizer.v1")
def create_tokenizer():
    """Registered as ``paperkg.tokenizer.v1`` for spaCy configs."""
    return make_tokenizer


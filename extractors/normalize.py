"""Entity normalisation: one key per real thing, and model size variants.

>>> canonical_key("GSM8K") == canonical_key("GSM-8K") == canonical_key("gsm8k")
True
>>> model_family("LLaMA-3-8B")
'LLaMA-3'
>>> model_family("Qwen2.5-Math-7B-Instruct")
'Qwen2.5-Math'
>>> model_family("GPT-4") is None
True
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["canonical_key", "is_acronym_plural", "model_family", "is_size_variant"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "λ": "lambda", "μ": "mu", "π": "pi", "σ": "sigma", "τ": "tau", "ε": "epsilon", "θ": "theta", "ℓ": "l"}
_PLURAL = re.compile(r"(?<=[a-z]{3}[a-rt-z])(?<![iu])s$")
_SIBILANT_PLURAL = re.compile(r"(?<=[a-z]{2})(?:ss|sh|ch|x|z)es$")  # "grid searches", "Gaussian processes"
# An acronym's plural: "GHNs", "TabFMs", "LLMs" (two capitals at least, the last one before the s).
_ACRONYM_PLURAL = re.compile(r"^(?=(?:[^A-Z]*[A-Z]){2})[A-Za-z0-9-]*[A-Z]s$")


def is_acronym_plural(word: str) -> bool:
    """Whether a word is an acronym's plural: "LLMs", "GHNs", "CoTs" (not "Atlas", not "GPU").

    >>> is_acronym_plural("TabFMs"), is_acronym_plural("Hermes")
    (True, False)
    """
    return bool(_ACRONYM_PLURAL.match(word))


def _singular(word: str) -> str:
    """A lowercase word without its plural ending (a guess, good enough for keys)."""
    if _SIBILANT_PLURAL.search(word):
        return word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    return _PLURAL.sub("", word)


@lru_cache(maxsize=65536)  # called for every candidate of every abstract; names repeat
def canonical_key(name: str) -> str:
    """The key under which spellings of one name meet.

    Case, accents, hyphens, spaces and punctuation do not count; neither does a
    plural ending on the words of a phrase ("Gaussian mixture models", "grid searches") or on an
    acronym ("GHNs"). Non-Latin letters
    the key would lose (Greek) are spelled out, so no name maps to "".

    >>> canonical_key("Direct Preference Optimization")
    'directpreferenceoptimization'
    >>> canonical_key("Sieve-&-Swap")
    'sieveswap'
    >>> canonical_key("α-Entmax")
    'alphaentmax'
    """
    name = name.strip()
    if is_acronym_plural(name):
        name = name[:-1]
    text = unicodedata.normalize("NFKC", name).lower()
    text = "".join(_GREEK.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = text.split()
    if len(words) > 1:  # only in phrases: a one-word name ending in s is a name
        words = [_singular(w) if w.isalpha() else w for w in words]
    key = _NON_ALNUM.sub("", "".join(words))
    return key or _NON_ALNUM.sub("", name.lower()) or name.strip().lower()


# A parameter count (7B, 1.5B, 770M, 8x7B) optionally followed by release
# suffixes (Instruct, Chat, Base, v0.1 ...): the tail that makes a size variant.
_SIZE = r"(?:\d+x)?\d+(?:\.\d+)?[BMK]"
_SUFFIX = r"(?:Instruct|Chat|Base|It|Hf|SFT|RL|DPO|Preview|v\d+(?:\.\d+)*|\d{4})"
_VARIANT_TAIL = re.compile(rf"[-_ ]({_SIZE})((?:[-_ ]{_SUFFIX})*)$", re.IGNORECASE)


def model_family(name: str) -> str | None:
    """The family name of a model size variant, or None if ``name`` is no variant."""
    match = _VARIANT_TAIL.search(name)
    if not match or match.start() == 0:
        return None
    family = name[: match.start()].rstrip("-_ ")
    return family if re.search(r"[A-Za-z]", family) else None


def is_size_variant(name: str) -> bool:
    """Whether ``name`` ends in a parameter count (``Mistral-7B``, ``T5-770M``)."""
    return model_family(name) is not None

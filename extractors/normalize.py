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

__all__ = ["canonical_key", "model_family", "is_size_variant"]

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "λ": "lambda", "μ": "mu", "π": "pi", "σ": "sigma", "τ": "tau", "ε": "epsilon", "θ": "theta", "ℓ": "l"}
_PLURAL = re.compile(r"(?<=[a-z]{3}[a-rt-z])(?<![iu])s$")


def canonical_key(name: str) -> str:
    """The key under which spellings of one name meet.

    Case, accents, hyphens, spaces and punctuation do not count; neither does a
    final plural ``s`` on the words of a phrase ("Gaussian mixture models"). Non-Latin letters
    the key would lose (Greek) are spelled out, so no name maps to "".

    >>> canonical_key("Direct Preference Optimization")
    'directpreferenceoptimization'
    >>> canonical_key("Sieve-&-Swap")
    'sieveswap'
    >>> canonical_key("α-Entmax")
    'alphaentmax'
    """
    text = unicodedata.normalize("NFKC", name).lower()
    text = "".join(_GREEK.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = text.split()
    if len(words) > 1:  # only in phrases: a one-word name ending in s is a name
        words = [_PLURAL.sub("", w) if w.isalpha() else w for w in words]
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

"""The metric vocabulary results are read with: what a score is called, and which way is better.

A metric phrase is a head term ("accuracy", "mAP", "FID", "pass@1") with the modifiers the text
puts before it ("top-1", "box", "clean", "zero-shot"): ``find_metric`` reads the longest such
phrase at a word position. ``lower_is_better`` knows the metrics where a smaller number wins
(error, perplexity, WER, FID, ...), for leaderboards that sort best first.

>>> find_metric(["83.1", "%", "top-1", "accuracy", "on"], 2)
MetricPhrase(text='top-1 accuracy', start=2, end=4)
>>> lower_is_better("Top-1 error"), lower_is_better("box AP")
(True, False)
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["MetricPhrase", "HIGHER_IS_BETTER", "LOWER_IS_BETTER", "MODIFIERS", "find_metric", "lower_is_better"]

#: Metrics where a larger value is better, as word sequences in lower case.
HIGHER_IS_BETTER = (
    "accuracy", "acc", "top-1", "top-5", "map", "ap", "ap50", "ap75", "apb", "apm", "aps", "apl", "ap box", "ap mask",
    "mean average precision", "average precision", "miou", "iou", "f1", "f1 score", "f1-score", "f-score",
    "f-measure", "f1-all", "bleu", "rouge", "rouge-1", "rouge-2", "rouge-l", "meteor", "cider", "spice", "em",
    "exact match", "psnr", "ssim", "auc", "auroc", "roc-auc", "aupr", "ndcg", "mrr", "precision", "recall",
    "dice", "dice score", "pq", "nds", "spl", "success rate", "inception score", "is", "clip score", "win rate",
    "mota", "hota", "idf1", "sr", "r@1", "r@5", "r@10", "recall@1", "recall@5", "recall@10", "hits@1", "hits@10",
    "rank-1", "pck", "miou", "kappa", "correlation", "spearman", "pearson", "score", "reward", "return",
    "driving score", "pass@1", "pass@10", "pass@100", "certified accuracy", "robust accuracy", "robustness",
    "sequence recovery", "macro-f1", "micro-f1", "wer reduction", "bleu score", "mean iou", "auc-roc", "ap@0.5",
    "map@0.5", "box ap", "mask ap", "cider score", "s-measure", "e-measure", "weighted f-measure", "mean e-measure",
    "unknown recall", "top-1 acc", "top-5 acc", "r@1", "mrr@10", "ndcg@10",
)

#: Metrics where a smaller value is better.
LOWER_IS_BETTER = (
    "error", "error rate", "top-1 error", "top-5 error", "test error", "perplexity", "ppl", "wer",
    "word error rate", "cer", "character error rate", "eer", "fid", "fvd", "kid", "lpips", "epe", "end-point error",
    "rmse", "mae", "mse", "mean-square-error", "mean squared error", "bits per dim", "bits/dim", "bpd", "bpc",
    "chamfer distance", "ade", "fde", "miss rate", "nll", "negative log-likelihood", "fpr95", "fpr", "ece",
    "calibration error", "abs rel", "absrel", "hausdorff distance", "hd95", "mpjpe", "pa-mpjpe", "fr\u00e9chet distance",
)

#: Words that narrow a metric when they stand right before it: "top-1 accuracy", "box AP".
MODIFIERS = frozenset({
    "top-1", "top-5", "top1", "top5", "box", "mask", "clean", "robust", "certified", "average", "mean", "test",
    "validation", "val", "zero-shot", "few-shot", "linear", "linear-probe", "linear-probing", "fine-tuning",
    "classification", "detection", "segmentation", "exact", "macro", "micro", "weighted", "balanced", "worst-group",
    "standard", "adversarial", "overall", "word", "character", "natural", "provable",
    "top-1 validation", "retrieval", "tracking", "instance", "semantic", "panoptic", "f1", "auc", "roc", "bleu",
    "rouge", "unweighted", "harmonic", "geometric", "translation", "rotation", "reconstruction", "sentence",
})

_TERMS = {tuple(term.split()): term for term in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER)}
_LONGEST = max(len(words) for words in _TERMS)
_LOWER = frozenset(LOWER_IS_BETTER)
_LOWER_HEADS = frozenset({"error", "errors", "perplexity", "distance", "loss", "wer", "cer", "fid", "eer", "rmse", "mae", "mse"})


class MetricPhrase(NamedTuple):
    """A metric as the text writes it, and the word positions it spans."""

    text: str
    start: int
    end: int


def _term_at(words: list[str], lower: list[str], i: int) -> int:
    """The number of words of the longest metric term starting at ``i`` (0 if none). A short
    acronym counts only with a capital: "IS" is the inception score, "is" a verb."""
    for length in range(min(_LONGEST, len(lower) - i), 0, -1):
        if tuple(lower[i : i + length]) in _TERMS:
            short_word = length == 1 and len(words[i]) <= 3 and words[i].isalpha()
            return 0 if short_word and words[i].islower() and words[i] != "acc" else length
    return 0


def find_metric(words: list[str], i: int) -> MetricPhrase | None:
    """The metric phrase that starts at word ``i``: modifiers, then the longest head term after them
    ("top-1 accuracy" rather than "top-1")."""
    window = words[i : i + 4 + _LONGEST]  # up to three modifiers, then the longest term (lowered: only these)
    lower = [w.lower() for w in window]
    best = None
    j = 0
    while j < len(lower) and j <= 3:
        length = _term_at(window, lower, j)
        if length:
            best = MetricPhrase(" ".join(window[: j + length]), i, i + j + length)
        if lower[j] not in MODIFIERS:
            break
        j += 1
    return best


def lower_is_better(metric: str) -> bool:
    """Whether a smaller value of ``metric`` (as the text writes it) is the better one."""
    text = re.sub(r"\s+", " ", metric.strip().lower())
    if text in _LOWER:
        return True
    return any(word in _LOWER_HEADS for word in re.split(r"[\s-]+", text))

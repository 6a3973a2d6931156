"""Fitting the sparse logistic regressions of paperkg's learned models, in numpy.

The relation, result and entity-type models (:class:`paperkg.extractors.relation_model.LogisticModel`)
are logistic regressions over sparse binary features; :func:`fit` trains one per label at once.

>>> import numpy as np
>>> sets = [{"a"}, {"a"}, {"b"}, {"b"}]
>>> vocabulary = vocabulary_of(sets)
>>> d = design(sets, vocabulary, np.array([[1.0], [1.0], [0.0], [0.0]]), np.ones(4))
>>> weights, bias = fit(d, len(vocabulary), l2=0.0)
>>> [bool(s > 0) for s in scores(d, weights, bias)[:, 0]]
[True, True, False, False]
>>> bool(scores(design([{"unseen"}], vocabulary), weights, bias)[0, 0] == bias[0])  # no known feature: the bias
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Design", "design", "vocabulary_of", "scores", "fit"]


@dataclass
class Design:
    """Candidates as a sparse binary matrix of ``n_rows`` rows: row ``rows[j]`` has feature
    ``indices[j]`` (a row may have none); ``labels`` and ``weights`` are what fitting needs."""

    n_rows: int
    rows: np.ndarray
    indices: np.ndarray
    labels: np.ndarray | None = None
    weights: np.ndarray | None = None


def design(feature_sets: list[set[str]], vocabulary: dict[str, int], labels: np.ndarray | None = None,
           weights: np.ndarray | None = None) -> Design:
    """The rows of ``feature_sets`` over ``vocabulary`` (features it lacks are dropped).

    Each row's features are in index order, not the set's: a set of strings iterates in an order
    that changes with the process's hash seed, and so would the sum of their weights in the last
    bit, turning a probability of exactly a threshold to either side from one run to the next.

    >>> design([["b", "a"]], {"a": 0, "b": 1}).indices.tolist()
    [0, 1]
    """
    rows = [sorted(vocabulary[f] for f in names if f in vocabulary) for names in feature_sets]
    return Design(len(rows), np.repeat(np.arange(len(rows)), [len(row) for row in rows]),
                  np.fromiter((i for row in rows for i in row), dtype=np.int64), labels, weights)


def vocabulary_of(feature_sets: list[set[str]], min_count: int = 2) -> dict[str, int]:
    counts: dict[str, int] = {}
    for names in feature_sets:
        for f in names:
            counts[f] = counts.get(f, 0) + 1
    return {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= min_count))}


def scores(d: Design, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Raw scores (rows x labels): the bias plus the weights of each row's features (none: the bias)."""
    gathered = weights[d.indices]
    return np.stack([np.bincount(d.rows, weights=gathered[:, k], minlength=d.n_rows) for k in range(weights.shape[1])],
                    axis=1) + bias


def fit(d: Design, n_features: int, l2: float, iterations: int = 300, rate: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias of one logistic regression per label (full-batch Adam, L2 on the weights)."""
    if d.labels is None or d.weights is None:
        raise ValueError("fitting needs the design's labels and weights")
    labels, row_weights = d.labels, d.weights
    n_labels = labels.shape[1]
    w, b = np.zeros((n_features, n_labels)), np.zeros(n_labels)
    moments = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
    total = row_weights.sum()
    for step in range(1, iterations + 1):
        error = (1 / (1 + np.exp(-np.clip(scores(d, w, b), -30, 30))) - labels) * row_weights[:, None] / total
        grad_w = np.stack([np.bincount(d.indices, weights=error[d.rows, k], minlength=n_features)
                           for k in range(n_labels)], axis=1) + l2 * w
        grad_b = error.sum(axis=0)
        for param, grad, m, v in ((w, grad_w, moments[0], moments[1]), (b, grad_b, moments[2], moments[3])):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= rate * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return w, b

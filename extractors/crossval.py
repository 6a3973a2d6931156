"""Cross-validation of the entity recogniser over annotated abstracts.

The gold records are split into ``k`` folds by paper (a fixed shuffle of their titles). For each
fold a recogniser is trained on the other folds (:func:`paperkg.extractors.training.train_recogniser`,
a tenth of them held back to pick the best checkpoint) and its typer and name filter on the other
folds' papers as their own recognisers read them (:func:`paperkg.extractors.training.cross_fit_typing`);
the full pipeline is built around it and the fold's papers are extracted and scored. Papers never
meet the model trained on them.

>>> [len(fold.test) for fold in split_folds([{"title": f"Paper {i}"} for i in range(7)], 3)]
[3, 2, 2]
"""

from __future__ import annotations

import multiprocessing
import os
import random
import tempfile
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Callable, Iterator, NamedTuple

from spacy.language import Language

from .errors import UsageError
from .evaluate import PaperScore, paper_scores
from .name_filter import NAME_FILTER_FILE
from .records import Paper, normalise_title, title_id
from .type_model import TYPE_MODEL_FILE

__all__ = ["Fold", "FoldResult", "split_folds", "dev_split", "records_to_papers", "TrainingRun", "fold_model", "fold_run", "train_recognisers",
           "train_folds", "cross_validate", "CONFIG"]

#: The training config the shipped recogniser was trained with (it carries it as its config.cfg).
CONFIG = Path(__file__).parent / "data" / "entities" / "config.cfg"
#: Share of a fold's training records held back to pick the best checkpoint.
DEV_SHARE = 0.1


class Fold(NamedTuple):
    """One split: train on ``train``, score on ``test``."""

    index: int  # type: ignore[assignment]  # a field shadowing tuple.index, which nothing calls
    train: list[dict]
    test: list[dict]


class FoldResult(NamedTuple):
    """The scores of one fold's held-out papers, per pipeline variant (``"trained"``, ...)."""

    index: int  # type: ignore[assignment]  # a field shadowing tuple.index, which nothing calls
    scores: dict[str, list[PaperScore]]


def split_folds(records: list[dict], folds: int, seed: int = 0) -> list[Fold]:
    """``folds`` disjoint test sets covering ``records``, each with the rest as training data."""
    if folds < 2 or folds > len(records):
        raise UsageError(f"--folds {folds}: needs at least 2 folds and at most one per gold paper ({len(records)})")
    order = sorted(range(len(records)), key=lambda i: normalise_title(records[i]["title"]))
    random.Random(seed).shuffle(order)
    fold_of = {index: position % folds for position, index in enumerate(order)}
    return [Fold(k, [r for i, r in enumerate(records) if fold_of[i] != k],
                 [r for i, r in enumerate(records) if fold_of[i] == k]) for k in range(folds)]


def records_to_papers(records: list[dict]) -> list[Paper]:
    """Gold records (with their abstracts) as papers to extract."""
    return [Paper(id=title_id(r["title"]), title=r["title"], abstract=r["abstract"]) for r in records]


def dev_split(records: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """Training records and the share of them held back to pick the best checkpoint."""
    shuffled = list(records)
    random.Random(seed).shuffle(shuffled)
    cut = max(1, int(len(shuffled) * DEV_SHARE))
    return shuffled[cut:], shuffled[:cut]


class TrainingRun(NamedTuple):
    """One recogniser to train: on ``train``, ``dev`` picking the best checkpoint, into ``output``."""

    train: list[dict]
    dev: list[dict]
    output: Path


def fold_model(folder: str | Path, index: int) -> Path:
    """Where the recogniser of fold ``index`` is kept in ``folder``: ``folder/fold-K``."""
    return Path(folder) / f"fold-{index}"


def fold_run(fold: Fold, folder: str | Path, seed: int = 0) -> TrainingRun:
    """The run that trains ``fold``'s recogniser into :func:`fold_model`."""
    return TrainingRun(*dev_split(fold.train, seed), fold_model(folder, fold.index))


def _train(run: TrainingRun, config: str | Path, seed: int, overrides: dict, quiet: bool) -> None:
    from .training import train_recogniser

    train_recogniser(config, run.train, run.dev, run.output, overrides={"system.seed": seed, **overrides}, quiet=quiet)


def train_recognisers(
    runs: list[TrainingRun],
    *,
    config: str | Path = CONFIG,
    seed: int = 0,
    overrides: dict | None = None,
    jobs: int | None = None,
    quiet: bool = False,
) -> None:
    """Train the recogniser of each run, ``jobs`` at a time (default: one per core), each in its own
    process on one core; the same models as one after another."""
    jobs = max(1, min(len(runs), jobs or os.cpu_count() or 1))
    train = partial(_train, config=config, seed=seed, overrides=overrides or {}, quiet=quiet)
    if jobs == 1:
        for run in runs:
            train(run)
        return
    # spawn: a fork would copy the parent's threads and locks (BLAS, tokenizers) into the workers
    with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(train, runs))


def train_folds(
    records: list[dict],
    folder: str | Path,
    folds: int = 5,
    *,
    main: TrainingRun | None = None,
    reuse: bool = True,
    config: str | Path = CONFIG,
    seed: int = 0,
    overrides: dict | None = None,
    jobs: int | None = None,
    quiet: bool = False,
) -> list[Fold]:
    """Train the recogniser of each of the ``folds`` folds of ``records`` into ``folder/fold-K`` (with
    ``reuse``, only those it lacks) and ``main``'s beside them (see :func:`train_recognisers`), then
    fit the typer and name filter of each on papers its recogniser never saw
    (:func:`paperkg.extractors.training.cross_fit_typing`); return the folds."""
    from .training import HeldOut, cross_fit_typing

    split = split_folds(records, folds, seed)
    models = [fold_model(folder, fold.index) for fold in split]
    runs = [fold_run(fold, folder, seed) for fold, model in zip(split, models) if not (reuse and (model / "config.cfg").is_file())]
    train_recognisers([*([main] if main else []), *runs], config=config, seed=seed, overrides=overrides, jobs=jobs, quiet=quiet)
    typed = all((model / file).is_file() for model in models for file in (TYPE_MODEL_FILE, NAME_FILTER_FILE))
    if main or runs or not typed:  # a fold's typing learns from every other fold's recogniser
        cross_fit_typing([HeldOut(model, fold.test) for fold, model in zip(split, models)], main.output if main else None,
                         jobs=jobs)
    return split


def cross_validate(
    records: list[dict],
    folds: int = 5,
    *,
    config: str | Path = CONFIG,
    seed: int = 0,
    overrides: dict | None = None,
    baselines: dict[str, Callable[[Path], Language]] | None = None,
    keep: str | Path | None = None,
    reuse: bool = False,
    quiet: bool = False,
    jobs: int | None = None,
    first: int | None = None,
) -> Iterator[FoldResult]:
    """Train and score each fold (see the module docstring); the first ``first`` folds only, if given.

    ``baselines`` are other pipelines (name -> a function building one from the fold's trained
    recogniser) scored on the same held-out papers; ``keep`` is a directory that keeps each fold's
    model (``fold-K``), and with ``reuse`` a fold whose model it holds already is not trained
    again (to score changes after the recogniser on the same recognisers); ``quiet`` silences
    spaCy's training log. The recognisers of every fold are trained first (with ``first`` too: each
    fold's typer learns from the others), ``jobs`` at a time (default: one per core; see
    :func:`train_folds`), then scored one fold after another.
    """
    from .extract import extract_papers
    from .pipeline import make_pipeline

    with tempfile.TemporaryDirectory(prefix="paperkg-folds-") as work:
        folder = Path(keep) if keep else Path(work)
        split = train_folds(records, folder, folds, reuse=reuse, config=config, seed=seed, overrides=overrides, jobs=jobs,
                            quiet=quiet)
        for fold in split[:first]:
            model = fold_model(folder, fold.index)
            pipelines = {"trained": lambda path: make_pipeline(ner_model=path), **(baselines or {})}
            papers = records_to_papers(fold.test)
            yield FoldResult(fold.index, {name: paper_scores(fold.test, extract_papers(papers, build(model)))
                                          for name, build in pipelines.items()})

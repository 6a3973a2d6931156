"""The main job: paper sources in, extractions or a saved graph out.

Each function here is what one CLI command calls:

>>> from paperkg.graph.build import build  # doctest: +SKIP
>>> report = build(["listing.txt", "arxiv.atom"], "kg.json")  # doctest: +SKIP
>>> report.read.kept, report.stats.papers_added  # doctest: +SKIP
(42, 42)

On a SQLite store (the default) a build adds papers in batches, one transaction
each: a run that fails or is interrupted keeps the batches that committed, and
the next run skips the papers the store holds with the same text. On a JSON graph
file (``.json``, ``.json.gz``) a build reads the whole graph first and writes the
new one atomically at the end, so a failed run leaves the file as it was.
"""

from __future__ import annotations

import os
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

import networkx as nx

from paperkg.extractors.errors import InputError, UsageError
from paperkg.extractors.extract import extract_papers
from paperkg.extractors.parallel import Shard, check_parallel_options, extract_sharded, extract_to_directory
from paperkg.extractors.pipeline import make_pipeline
from paperkg.extractors.readers import ColumnOptions, ReadReport, read_papers
from paperkg.extractors.records import Extraction, Paper
from paperkg.extractors.shards import extraction_line, read_extractions

from .model import PAPER_LABEL
from .sqlite_store import GraphStore, is_store_file
from .store import BuildStats, GraphBuilder, check_writable, graph_path, read_graph, refuse_same_file, write_graph

__all__ = ["BuildReport", "build", "extract", "extract_to_shards", "generate_extractions_jsonl", "write_extractions",
           "graph_stats", "graph_file_stats", "migrate"]

ProblemHandler = Callable[[InputError], None]


@dataclass
class BuildReport:
    """What a build or extract run read and did."""

    read: ReadReport = field(default_factory=ReadReport)
    stats: BuildStats = field(default_factory=BuildStats)
    graph_path: Path | None = None


def _papers(
    inputs: Iterable[str | os.PathLike],
    report: ReadReport,
    *,
    format: str | None,
    strict: bool,
    columns: ColumnOptions | None,
    on_problem: ProblemHandler | None,
    progress: Callable[[Paper], None] | None,
    skip: Callable[[Paper], bool] | None = None,
) -> Iterator[Paper]:
    for paper in read_papers([str(i) for i in inputs], format=format, strict=strict, report=report,
                             on_problem=on_problem, columns=columns):
        if progress:
            progress(paper)
        if skip is None or not skip(paper):
            yield paper


def extract(
    inputs: Iterable[str | os.PathLike],
    *,
    format: str | None = None,
    strict: bool = False,
    columns: ColumnOptions | None = None,
    on_problem: ProblemHandler | None = None,
    progress: Callable[[Paper], None] | None = None,
    batch_size: int = 64,
    n_process: int = 1,
    workers: int = 1,
    scheduler: str | None = None,
    report: BuildReport | None = None,
    relation_model: bool = True,
    skip: Callable[[Paper], bool] | None = None,
) -> Iterator[Extraction]:
    """Stream the extractions of every paper in ``inputs`` (see ``paperkg.extractors.readers.read_papers``),
    but of those ``skip`` says need none; ``relation_model=False``: relations from the rules alone.

    ``workers`` local processes or a Dask ``scheduler`` extract partitions of the
    papers in parallel (see ``paperkg.extractors.parallel``); the order is the input's.
    """
    report = report if report is not None else BuildReport()
    check_parallel_options(n_process, workers, scheduler)
    papers = _papers(inputs, report.read, format=format, strict=strict, columns=columns,
                     on_problem=on_problem, progress=progress, skip=skip)
    if workers > 1 or scheduler:
        if not relation_model:
            raise UsageError("the relation rules alone run in this process: drop --workers and --scheduler")
        yield from extract_sharded(papers, workers=workers, scheduler=scheduler, batch_size=batch_size)
    else:
        nlp = None if relation_model else make_pipeline(relation_model=False)
        yield from extract_papers(papers, nlp, batch_size=batch_size, n_process=n_process)


def extract_to_shards(
    inputs: Iterable[str | os.PathLike],
    directory: str | os.PathLike,
    *,
    format: str | None = None,
    strict: bool = False,
    columns: ColumnOptions | None = None,
    on_problem: ProblemHandler | None = None,
    progress: Callable[[Paper], None] | None = None,
    batch_size: int = 64,
    n_process: int = 1,
    workers: int = 1,
    scheduler: str | None = None,
    report: BuildReport | None = None,
) -> list[Shard]:
    """Extract every paper in ``inputs`` into the shard directory ``directory`` (``part-NNNNN.jsonl``)."""
    report = report if report is not None else BuildReport()
    check_parallel_options(n_process, workers, scheduler)
    papers = _papers(inputs, report.read, format=format, strict=strict, columns=columns,
                     on_problem=on_problem, progress=progress)
    return extract_to_directory(papers, directory, workers=workers, scheduler=scheduler, batch_size=batch_size)


def _read_extractions(
    inputs: Iterable[str | os.PathLike],
    *,
    report: BuildReport,
    strict: bool = False,
    on_problem: ProblemHandler | None = None,
    progress: Callable[[Paper], None] | None = None,
    format: str | None = None,
    n_process: int = 1,
    workers: int = 1,
    scheduler: str | None = None,
    **extract_options,
) -> Iterator[Extraction]:
    """What ``build(from_extractions=True)`` reads: extraction files; extraction options do not apply."""
    given = [name for name, value, default in (("--format", format, None), ("--n-process", n_process, 1),
                                               ("--workers", workers, 1), ("--scheduler", scheduler, None))
             if value != default]
    if given:
        raise UsageError(f"--from-extractions reads extractions made already: {', '.join(given)} "
                         "(options of extraction) do not apply")
    for extraction in read_extractions(inputs, report=report.read, strict=strict, on_problem=on_problem):
        if progress:
            progress(extraction.paper)
        yield extraction


def build(
    inputs: Iterable[str | os.PathLike],
    path: str | os.PathLike | None = None,
    *,
    from_extractions: bool = False,
    **options,
) -> BuildReport:
    """Extract ``inputs`` and add them to the graph file ``path`` (see :func:`paperkg.graph.store.graph_path`).

    Options are those of :func:`extract`, and ``store_batch`` (papers per transaction of a store).
    With ``from_extractions``, ``inputs`` are extraction JSON Lines (``paperkg extract`` output:
    files or shard directories), added without extracting again (and added even when the store
    holds the paper's text already: they may come from another pipeline). Nothing is written when
    no paper was kept.
    """
    target = graph_path(path)
    report = BuildReport(graph_path=target)
    inputs = list(inputs)
    refuse_same_file(target, inputs, "an input")
    check_writable(target)  # before the extraction, not after it
    if is_store_file(target):
        return _build_store(inputs, target, report, from_extractions=from_extractions, **options)
    options.pop("store_batch", None)
    graph = read_graph(target)
    builder = GraphBuilder(graph)
    for extraction in (_read_extractions if from_extractions else extract)(inputs, report=report, **options):
        builder.add(extraction)
    for paper in report.read.duplicate_papers:  # the same paper from another source: its metadata
        builder.merge_duplicate(paper)
    graph = builder.graph  # entities resolved over every paper, which completes the stats
    report.stats = builder.stats
    if report.read.kept:
        write_graph(graph, target)
    return report


def _build_store(inputs: list, path: Path, report: BuildReport, *, from_extractions: bool, store_batch: int = 500,
                 **options) -> BuildReport:
    """Add the extractions to the store ``path`` in batches of ``store_batch`` papers, one transaction each."""
    existed = path.exists()
    with GraphStore(path) as store:
        try:
            batch = []
            extractions = (_read_extractions(inputs, report=report, **options) if from_extractions
                           else extract(inputs, report=report, skip=store.unchanged, **options))
            for extraction in extractions:
                batch.append(extraction)
                if len(batch) >= store_batch:
                    store.add_extractions(batch)
                    batch = []
            store.add_extractions(batch)
            store.merge_duplicates([*store.metadata_updates, *report.read.duplicate_papers])
        finally:
            report.stats = store.stats
    if not existed and not report.read.kept:  # a store that holds nothing is not left behind
        _remove_store(path)
    return report


def _remove_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def generate_extractions_jsonl(extractions: Iterable[Extraction]) -> Iterator[str]:
    """One JSON line per extraction: the ``paperkg extract`` output format (see ``paperkg.extractors.records``)."""
    return map(extraction_line, extractions)


def write_extractions(extractions: Iterable[Extraction], out: TextIO) -> int:
    """Write extractions as JSON Lines to an open text file; returns how many."""
    count = 0
    for line in generate_extractions_jsonl(extractions):
        out.write(line)
        count += 1
    return count


def graph_file_stats(path: str | os.PathLike) -> dict[str, Counter]:
    """:func:`graph_stats` of a graph file; a SQLite store's are counted in SQL, without reading the graph."""
    if not (Path(path).is_file() and is_store_file(path)):
        return graph_stats(read_graph(path, missing_ok=False))
    with GraphStore(path, read_only=True) as store:
        nodes, relationships = store.counts()
    return _ordered_stats(nodes, relationships)


def graph_stats(graph: nx.MultiDiGraph) -> dict[str, Counter]:
    """Counts of nodes by label and relationships by type.

    >>> from paperkg.graph.model import new_graph
    >>> graph_stats(new_graph())
    {'nodes': Counter(), 'relationships': Counter()}
    """
    nodes = Counter(data["label"] for _, data in graph.nodes(data=True))
    relationships = Counter(data["type"] for _, _, data in graph.edges(data=True))
    return _ordered_stats(nodes, relationships)


def _ordered_stats(nodes: Counter, relationships: Counter) -> dict[str, Counter]:
    """Papers first, then labels and types from the most common."""
    if nodes:
        nodes = Counter({PAPER_LABEL: nodes.pop(PAPER_LABEL, 0), **dict(nodes.most_common())})
    return {"nodes": nodes, "relationships": Counter(dict(relationships.most_common()))}


def migrate(source: str | os.PathLike, target: str | os.PathLike) -> dict[str, Counter]:
    """Copy a JSON graph file into a new SQLite store (entities resolved again from the papers' namings);
    returns the store's counts. ``target`` must not exist: a store is never overwritten."""
    refuse_same_file(target, [source], "the graph file to migrate")
    if Path(target).exists():
        raise UsageError(f"{target}: already exists; migrate writes a new store (choose another name, or remove it)")
    if is_store_file(source) and Path(source).is_file():
        raise UsageError(f"{source}: is a SQLite store already; migrate reads a JSON graph file (.json, .json.gz)")
    graph = read_graph(source, missing_ok=False)
    try:
        with GraphStore(target) as store:
            store.import_graph(graph)
    except BaseException:  # no half store is left behind
        _remove_store(Path(target))
        raise
    return graph_file_stats(target)

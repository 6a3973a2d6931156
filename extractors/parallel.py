"""Sharded extraction: partitions of papers extracted by worker processes, merged in input order.

The papers are read (and bad records reported) in the calling process, as in
one process, and cut into partitions of ``partition_size`` papers. Each
partition is one task for an engine:

- :class:`LocalPool`, ``workers=N``: N local processes, forked from this one
  once it has loaded the pipeline; or, when this process runs threads (which a fork
  does not copy sanely), from a server process that loaded the pipeline once
  (:mod:`paperkg.extractors.forkserver_preload`). Each writes its partition's extractions as a JSON Lines shard file; the parent
  only sends papers and merges shards.
- :class:`DaskCluster`, ``scheduler="tcp://HOST:PORT"``: the same partitions as
  tasks on a Dask ``distributed`` cluster (``pip install 'paperkg[dask]'``).
  A worker plugin loads the pipeline once per worker process; each task returns
  its shard's text, which the client writes (the workers need not share a file
  system with it).

Shards are ``part-00000.jsonl`` ... (see :mod:`paperkg.extractors.shards`), one per
partition, so the merged output is in input order whatever finished first,
and equals a one-process run line for line.

Why not ``nlp.pipe(n_process=N)``: spaCy pickles every processed Doc back to the
parent, which then does the conversion to records alone; on 2 cores that is no
faster than one process. Here only papers go out and JSON text comes back.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import tempfile
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple, Protocol

from .errors import PaperkgError, UsageError, WorkerError
from .files import staged_directory
from .extract import extract_papers
from .pipeline import load_pipeline
from .records import Extraction, Paper
from .shards import extraction_line, shard_files, shard_name

__all__ = ["DEFAULT_PARTITION_SIZE", "Partition", "Shard", "partitions", "extract_partition", "make_engine", "check_parallel_options",
           "LocalPool", "DaskCluster", "run_partitions", "extract_sharded", "extract_to_directory"]

#: Papers per task: large enough that sending a task costs little next to its ~1 s of extraction,
#: small enough that two workers stay busy to the end of a 2,000-paper input.
DEFAULT_PARTITION_SIZE = 200
_SCHEDULER_ADDRESS = re.compile(r"(tcp|tls)://[^\s/:]+:\d{1,5}")


class Partition(NamedTuple):
    """Consecutive papers of the input; ``index`` orders the shards."""

    index: int  # type: ignore[assignment]  # a field shadowing tuple.index, which nothing calls
    papers: list[Paper]

    def describe(self) -> str:
        first, last = self.papers[0], self.papers[-1]
        return f"partition {self.index} ({len(self.papers)} papers, {first.source or first.id} to {last.source or last.id})"


class Shard(NamedTuple):
    """A written shard: the partition's extractions, one JSON line per paper."""

    index: int  # type: ignore[assignment]  # a field shadowing tuple.index, which nothing calls
    path: Path
    papers: int


def partitions(papers: Iterable[Paper], size: int = DEFAULT_PARTITION_SIZE, ending: int = 1) -> Iterator[Partition]:
    """``papers`` in consecutive partitions of ``size``, read lazily; the last ``size * ending // 2``
    papers or fewer are cut into ``ending`` even partitions, so that workers taking them finish
    together, not one working alone through a last full partition.

    >>> [len(p.papers) for p in partitions([Paper(id=str(i), title="t", abstract="a") for i in range(5)], 2)]
    [2, 2, 1]
    >>> [len(p.papers) for p in partitions([Paper(id=str(i), title="t", abstract="a") for i in range(10)], 4, 4)]
    [4, 1, 2, 1, 2]
    """
    if size < 1 or ending < 1:
        raise UsageError(f"partition size {size}, ending in {ending}: each must be at least 1")
    papers = iter(papers)
    tail = size * ending // 2
    buffered: list[Paper] = []
    index = 0
    while True:
        buffered += islice(papers, size + tail - len(buffered))  # read ahead: is the end near?
        if len(buffered) <= tail:
            break
        yield Partition(index, buffered[:size])
        buffered, index = buffered[size:], index + 1
    pieces = min(ending, len(buffered))
    bounds = [len(buffered) * k // pieces for k in range(pieces + 1)] if pieces else [0]
    for start, end in zip(bounds, bounds[1:]):
        yield Partition(index, buffered[start:end])
        index += 1


def extract_partition(partition: Partition, batch_size: int = 64) -> str:
    """The partition's extractions as JSON Lines text (runs in a worker; the pipeline loads once per process)."""
    return "".join(map(extraction_line, extract_papers(partition.papers, load_pipeline(), batch_size=batch_size)))


def write_shard(directory: Path, partition: Partition, text: str) -> Shard:
    """Write a shard whole or not at all (a temporary name, then a rename)."""
    path = directory / shard_name(partition.index)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return Shard(partition.index, path, len(partition.papers))


def write_partition(partition: Partition, directory: Path, batch_size: int) -> Shard:
    """A local worker's task: extract the partition and write its shard."""
    return write_shard(directory, partition, extract_partition(partition, batch_size))


# -- engines ----------------------------------------------------------------------------------

class Engine(Protocol):
    """Runs partitions somewhere; used as a context manager around one run."""

    #: How many partitions may be submitted and not yet merged: enough to keep every worker busy.
    window: int

    def __enter__(self) -> Engine: ...

    def __exit__(self, *exc: Any) -> None: ...

    def submit(self, partition: Partition, directory: Path, batch_size: int) -> Any: ...

    def shard(self, future: Any, partition: Partition, directory: Path) -> Shard: ...


class LocalPool:
    """``workers`` local processes, forked from this one with the pipeline loaded: the workers start
    at once, sharing its pages. A process running threads forks none (a child would inherit
    their locks in any state): its workers come from a forkserver, which starts another
    interpreter, imports spaCy and loads the pipeline again before the first paper (~2 s)."""

    def __init__(self, workers: int):
        if workers < 1:
            raise UsageError(f"--workers {workers}: must be at least 1")
        self.workers = workers
        self.window = 2 * workers

    def __enter__(self) -> "LocalPool":
        context: multiprocessing.context.BaseContext
        if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
            load_pipeline()  # before the fork: every worker has it
            context = multiprocessing.get_context("fork")
        else:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["paperkg.extractors.forkserver_preload"])  # the pipeline, loaded once for all
        self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, partition: Partition, directory: Path, batch_size: int) -> Future:
        return self._pool.submit(write_partition, partition, directory, batch_size)

    def shard(self, future: Future, partition: Partition, directory: Path) -> Shard:
        try:
            return future.result()
        except PaperkgError:
            raise
        except BrokenProcessPool:
            raise WorkerError(f"a worker process died extracting {partition.describe()} "
                              "(killed, or out of memory? try fewer --workers)") from None
        except OSError as err:
            raise WorkerError(f"{directory}: cannot write the shard of {partition.describe()}: "
                              f"{err.strerror or err}") from None
        except Exception as err:  # a worker's failure is one line too, never a traceback
            raise WorkerError(f"a worker failed extracting {partition.describe()}: {type(err).__name__}: {err}") from None


class DaskCluster:
    """A Dask ``distributed`` scheduler at ``address`` (``tcp://HOST:PORT``), and its workers."""

    #: How long to wait for the scheduler before saying it is not there.
    CONNECT_TIMEOUT = "10s"

    def __init__(self, address: str):
        if not _SCHEDULER_ADDRESS.fullmatch(address):
            raise UsageError(f"--scheduler {address!r}: expected the scheduler's address, tcp://HOST:PORT")
        self.address = address
        self.window = 2

    def __enter__(self) -> "DaskCluster":
        try:
            from distributed import Client

            from .dask_plugin import PipelinePlugin
        except ImportError:
            raise UsageError("--scheduler needs the Dask 'distributed' package: pip install 'paperkg[dask]'") from None
        try:
            self._client = Client(self.address, timeout=self.CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as err:
            raise WorkerError(f"{self.address}: cannot reach the Dask scheduler ({err}); is `dask scheduler` "
                              "running there?") from None
        try:
            self._client.register_plugin(PipelinePlugin())
            threads = sum(self._client.nthreads().values())
        except Exception as err:
            self._client.close()
            raise WorkerError(f"{self.address}: the Dask workers cannot load paperkg's pipeline "
                              f"({type(err).__name__}: {err}); install paperkg on every worker") from None
        if not threads:
            self._client.close()
            raise WorkerError(f"{self.address}: the Dask scheduler has no workers; start some with "
                              f"`dask worker {self.address}`")
        self.window = 2 * threads
        return self

    def __exit__(self, *exc: Any) -> None:
        self._client.close()

    def submit(self, partition: Partition, directory: Path, batch_size: int) -> Any:
        return self._client.submit(extract_partition, partition, batch_size, pure=False)

    def shard(self, future: Any, partition: Partition, directory: Path) -> Shard:
        try:
            text = future.result()
        except PaperkgError:
            raise
        except Exception as err:  # KilledWorker, a lost connection, paperkg missing on a worker ...
            raise WorkerError(f"{self.address}: extracting {partition.describe()} failed: "
                              f"{type(err).__name__}: {err}") from None
        return write_shard(directory, partition, text)


def make_engine(workers: int = 1, scheduler: str | None = None) -> Engine:
    """The engine for ``--workers`` / ``--scheduler`` (one of them)."""
    if scheduler is not None and workers != 1:
        raise UsageError(f"--workers {workers} and --scheduler {scheduler!r}: give one (a Dask cluster's "
                         "workers are started with `dask worker`)")
    return DaskCluster(scheduler) if scheduler is not None else LocalPool(workers)


def check_parallel_options(n_process: int, workers: int, scheduler: str | None) -> None:
    """Refuse, before any work, options that cannot go together or a malformed scheduler address."""
    if n_process > 1 and (workers > 1 or scheduler is not None):
        raise UsageError(f"--n-process {n_process} with --workers/--scheduler: give one (--workers is the faster: "
                         "spaCy's --n-process sends every processed document back to one process)")
    make_engine(workers, scheduler)


# -- runs ------------------------------------------------------------------------------------

def run_partitions(papers: Iterable[Paper], directory: Path, engine: Engine, *, batch_size: int = 64,
                   partition_size: int = DEFAULT_PARTITION_SIZE) -> Iterator[Shard]:
    """Extract ``papers`` on ``engine`` into shards in ``directory``; yield each shard in partition order.

    At most ``engine.window`` partitions are out at once, so memory holds a few
    partitions, never the corpus; the papers are read as the work goes on.
    """
    pending: deque[tuple[Partition, Any]] = deque()

    def merge_first() -> Shard:
        partition, future = pending.popleft()
        return engine.shard(future, partition, directory)

    with engine:
        try:
            for partition in partitions(papers, partition_size, ending=engine.window):
                pending.append((partition, engine.submit(partition, directory, batch_size)))
                if len(pending) >= engine.window:
                    yield merge_first()
            while pending:
                yield merge_first()
        finally:
            for _, future in pending:
                future.cancel()


def extract_sharded(papers: Iterable[Paper], *, workers: int = 1, scheduler: str | None = None,
                    batch_size: int = 64, partition_size: int = DEFAULT_PARTITION_SIZE) -> Iterator[Extraction]:
    """Stream extractions in input order, extracted on worker processes or a Dask cluster.

    The shards go to a temporary directory and each is removed once read.
    """
    engine = make_engine(workers, scheduler)
    with tempfile.TemporaryDirectory(prefix="paperkg-shards-") as directory:
        for shard in run_partitions(papers, Path(directory), engine, batch_size=batch_size,
                                    partition_size=partition_size):
            with open(shard.path, encoding="utf-8") as lines:
                for line in lines:  # written by extract_partition just now: the format holds
                    yield Extraction.from_dict(json.loads(line))
            shard.path.unlink()


def extract_to_directory(papers: Iterable[Paper], directory: str | os.PathLike, *, workers: int = 1,
                         scheduler: str | None = None, batch_size: int = 64,
                         partition_size: int = DEFAULT_PARTITION_SIZE) -> list[Shard]:
    """Extract ``papers`` into shards ``directory/part-NNNNN.jsonl``; return them in order.

    ``directory`` must be new or empty (or hold only shards, from an earlier run,
    which are replaced). The shards are written into a temporary directory beside
    it that takes its place at the end: a failed or interrupted run leaves
    ``directory`` as it was and no temporary files.
    """
    directory = Path(directory)
    _check_shard_directory(directory)
    engine = make_engine(workers, scheduler)
    try:
        with staged_directory(directory) as staging:
            shards = list(run_partitions(papers, staging, engine, batch_size=batch_size, partition_size=partition_size))
    except OSError as err:
        raise WorkerError(f"{directory}: cannot write the shards: {err.strerror or err}") from None
    return [shard._replace(path=directory / shard.path.name) for shard in shards]


def _check_shard_directory(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: is a file; sharded output is a directory (give a new directory)")
    if not directory.exists():
        return
    shards = set(shard_files(directory))
    foreign = sorted(p.name for p in directory.iterdir() if p not in shards)
    if foreign:
        raise UsageError(f"{directory}: holds {', '.join(foreign[:3])}, which sharded output would replace; "
                         "give a new or empty directory, or one an earlier paperkg extract wrote")



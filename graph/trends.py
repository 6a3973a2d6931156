"""How the use of datasets, benchmarks, models and methods moves over time.

Both answers are counts of papers that use or evaluate on an entity (USES or EVALUATES_ON,
as ``papers-using`` counts them; a paper that only names an entity, MENTIONS, is not
counted: "unlike ImageNet-pretrained models" is no use of ImageNet), per period of their
date (``year``, or ``month`` for papers dated to the month or day: the Paper node properties
of those names). The counting is the Cypher of ``cypher/trends-*.cypher`` (one query per
period: grouping by a property is seven times faster on the embedded engine than by an
expression choosing one), so it runs unchanged on a JSON graph file and on a Bolt server
(:class:`Engine`); a SQLite store answers the same rows from their SQL forms
(``cypher/trends-*.sql``) without materialising the graph. What is computed here from those rows
is only arithmetic.

* :func:`trend_table`: periods x entities, with the period's dated papers beside them
  (corpora grow and shrink by year: a count means little without them).
* :func:`rising`: the datasets and benchmarks whose share of papers grew most in the
  last ``periods`` periods against all periods before them (see :func:`rising`).
* :func:`write_trends_png`: the table as a line chart.

>>> from paperkg.graph.store import build_graph
>>> from paperkg.extractors.records import Extraction, Paper, Entity, Relation
>>> def paper(n, date):
...     rel = Relation("PAPER", "EVALUATES_ON", "GSM8K", "On GSM8K.", 3, 12, "rules", 0.9)
...     return Extraction(Paper(id=f"title:{n}", title=f"T{n}", abstract="On GSM8K.", date=date),
...                       [Entity("gsm8k", "GSM8K", "Benchmark")], [rel])
>>> extractions = [paper(1, "2022-05"), paper(2, "2023"), paper(3, "2023-01-02"),
...                Extraction(Paper(id="title:4", title="T4", abstract="None.", date="2021"))]
>>> table = trend_table(embedded_engine(build_graph(extractions)), ["gsm-8k"])
>>> table.result().rows
[{'period': '2021', 'papers': 1, 'GSM8K': 0}, {'period': '2022', 'papers': 1, 'GSM8K': 1}, {'period': '2023', 'papers': 2, 'GSM8K': 2}]

The same table from a SQLite store, in SQL:

>>> import os, tempfile
>>> from paperkg.graph.sqlite_store import GraphStore
>>> with GraphStore(os.path.join(tempfile.mkdtemp(), "kg.db")) as store:
...     _ = store.add_extractions(extractions)
...     trend_table(store_engine(store), ["gsm-8k"]) == table
True
"""

from __future__ import annotations

import os
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple

from paperkg.extractors.errors import UsageError
from paperkg.extractors.normalize import canonical_key

from .query import (ENTITY_NAMES_CYPHER, QueryResult, check_entity_known, entity_names, run_catalogue,
                    run_catalogue_store)
from .settings import MIN_RECENT_PAPERS, PERIODS
from .store import replacing_file

if TYPE_CHECKING:  # a store's trends are answered in SQL: they need no networkx
    import networkx as nx

    from .sqlite_store import GraphStore

__all__ = [
    "PERIODS",
    "Engine",
    "embedded_engine",
    "store_engine",
    "graph_file_engine",
    "neo4j_engine",
    "TrendTable",
    "trend_table",
    "RisingEntity",
    "Rising",
    "rising",
    "write_trends_png",
    "period_range",
]

#: Lines a chart of the rising entities draws: more is unreadable.
RISING_DRAWN = 6


class Engine(NamedTuple):
    """Where the catalogue queries run: ``run(name, values)`` and every entity's name and keys."""

    run: Callable[[str, dict[str, Any]], QueryResult]
    entities: Callable[[], list[dict[str, Any]]]


def embedded_engine(graph: nx.MultiDiGraph) -> Engine:
    """The graph file's graph, queried with nxcypher."""
    return Engine(lambda name, values: run_catalogue(name, graph, values), lambda: entity_names(graph))


def store_engine(store: GraphStore) -> Engine:
    """An open SQLite store (``paperkg.graph.sqlite_store.GraphStore``), queried by the catalogue's SQL
    forms (:func:`~paperkg.graph.query.run_catalogue_store`): no graph is materialised."""
    return Engine(lambda name, values: run_catalogue_store(name, store, values), store.entity_names)


@contextmanager
def graph_file_engine(path: str | os.PathLike) -> Iterator[Engine]:
    """The engine of a graph file while the block runs: a SQLite store's (:func:`store_engine`), or a
    JSON graph file's, read whole (:func:`embedded_engine`); a missing file is an ``InputError``."""
    from .sqlite_store import GraphStore, is_store_file
    from .store import read_graph

    if Path(path).is_file() and is_store_file(path):
        with GraphStore(path, read_only=True) as store:
            yield store_engine(store)
    else:
        yield embedded_engine(read_graph(path, missing_ok=False))


def neo4j_engine(settings) -> Engine:
    """A Bolt server (``paperkg.graph.neo4j.Neo4jSettings`` or a driver), queried with the same catalogue."""
    from .neo4j import run_catalogue_neo4j, run_query_neo4j

    return Engine(lambda name, values: run_catalogue_neo4j(name, values, settings),
                  lambda: run_query_neo4j(ENTITY_NAMES_CYPHER, {}, settings).rows)


class PeriodQueries(NamedTuple):
    """The catalogue queries counting by one period: dated papers, one entity's papers, each dataset's."""

    papers: str
    entity: str
    datasets: str


QUERIES = {
    "year": PeriodQueries("trends-papers", "trends-entity", "trends-datasets"),
    "month": PeriodQueries("trends-papers-monthly", "trends-entity-monthly", "trends-datasets-monthly"),
}
assert set(QUERIES) == set(PERIODS)


def _queries(by: str) -> PeriodQueries:
    if by not in QUERIES:
        raise UsageError(f"a period is one of {', '.join(PERIODS)}, not {by!r}")
    return QUERIES[by]


def _next_period(period: str) -> str:
    """The period after ``period`` (``2023`` -> ``2024``, ``2023-12`` -> ``2024-01``)."""
    if len(period) == 4:
        return f"{int(period) + 1:04d}"
    year, month = int(period[:4]), int(period[5:7])
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def period_range(periods: Iterable[str]) -> list[str]:
    """Every period from the first to the last of ``periods``, with the empty ones between them."""
    present = sorted(periods)
    if not present:
        return []
    every = [present[0]]
    while every[-1] < present[-1]:
        every.append(_next_period(every[-1]))
    return every


def _counts(result: QueryResult) -> dict[str, int]:
    """Papers per period, the period as text (a year is a number on the node)."""
    return {str(row["period"]): row["papers"] for row in result.rows}


@dataclass
class TrendTable:
    """Papers using each entity per period; ``papers`` holds every dated paper per period."""

    by: str
    names: list[str]
    periods: list[str]
    papers: dict[str, int]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def value(self, name: str, period: str, share: bool = False) -> float:
        """Papers using ``name`` in ``period``, or with ``share`` their percentage of the period's dated papers."""
        count = self.counts[name].get(period, 0)
        if not share:
            return count
        return round(100 * count / self.papers[period], 2) if self.papers.get(period) else 0.0

    def result(self, share: bool = False) -> QueryResult:
        """One row per period: the period, its dated papers, and a column per entity."""
        columns = ["period", "papers", *self.names]
        rows = [{"period": period, "papers": self.papers.get(period, 0),
                 **{name: self.value(name, period, share) for name in self.names}} for period in self.periods]
        return QueryResult(columns, rows)


def _entity_name(key: str, entities: list[dict[str, Any]]) -> str:
    """The name of the entity one of whose keys is ``key`` (the first by name if several share it)."""
    return min(row["name"] for row in entities if key in (row["keys"] or ()))


def trend_table(engine: Engine, names: Iterable[str], by: str = "year") -> TrendTable:
    """Papers using or evaluating on each of ``names`` per period (see the module docs).

    Raises :class:`~paperkg.graph.query.UnknownEntity` (naming the closest names) for a name no entity has.
    """
    queries = _queries(by)
    names = list(dict.fromkeys(names))
    if not names:
        raise UsageError("name at least one entity (a dataset, benchmark, model, method, ...)")
    entities = engine.entities()
    for name in names:
        check_entity_known(name, entities)
    papers = _counts(engine.run(queries.papers, {}))
    table = TrendTable(by, [], [], papers)
    for name in names:
        shown = _entity_name(canonical_key(name), entities)
        if shown in table.counts:
            continue  # two spellings of one entity
        table.names.append(shown)
        table.counts[shown] = _counts(engine.run(queries.entity, {"key": name}))
    table.periods = period_range(papers)
    return table


class RisingEntity(NamedTuple):
    """A dataset or benchmark's papers before and in the recent periods, their shares (%) and the growth."""

    name: str
    before: int
    recent: int
    share_before: float
    share_recent: float
    growth: float


@dataclass
class Rising:
    """The ranking, and the periods it compares: ``recent`` (the last ones) against ``earlier``."""

    by: str
    earlier: list[str]
    recent: list[str]
    papers_earlier: int
    papers_recent: int
    entities: list[RisingEntity]

    def result(self) -> QueryResult:
        return QueryResult(list(RisingEntity._fields), [entity._asdict() for entity in self.entities])

    def describe(self) -> str:
        """What was compared, in one line."""
        def span(periods: list[str]) -> str:
            return periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"

        return (f"recent: {span(self.recent)} ({self.papers_recent:,} dated papers); "
                f"before: {span(self.earlier)} ({self.papers_earlier:,} dated papers)")


def rising(engine: Engine, *, by: str = "year", periods: int = 1, top: int = 20,
           min_papers: int = MIN_RECENT_PAPERS) -> Rising:
    """The datasets and benchmarks whose use grew fastest: the last ``periods`` periods against all before.

    An entity's share of a span is the papers using it there over the span's dated papers; its
    growth is its recent share over its earlier share (an entity no earlier paper used counts as
    used by one, so a new dataset ranks high but finitely). Entities used by fewer than
    ``min_papers`` recent papers are not ranked. Best first; ties by recent papers, then name.
    """
    queries = _queries(by)
    for option, value, least in (("--periods", periods, 1), ("--top", top, 1), ("--min-papers", min_papers, 1)):
        if value < least:
            raise UsageError(f"{option} must be at least {least}, not {value}")
    papers = _counts(engine.run(queries.papers, {}))
    every = period_range(papers)
    if len(every) <= periods:
        spans = f"{every[0]} to {every[-1]}" if every else "none"
        raise UsageError(f"--periods {periods}: the graph's dated papers span {len(every)} {by}(s) ({spans}); "
                         f"--periods must leave earlier ones to compare with (at most {max(len(every) - 1, 0)})")
    earlier, recent = every[:-periods], every[-periods:]
    papers_earlier = sum(papers.get(p, 0) for p in earlier)
    papers_recent = sum(papers.get(p, 0) for p in recent)
    used: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in engine.run(queries.datasets, {}).rows:
        used[row["name"]][1 if str(row["period"]) >= recent[0] else 0] += row["papers"]  # [earlier, recent]
    ranked = []
    for name, (before, now) in used.items():
        if now < min_papers or not papers_recent or not papers_earlier:
            continue
        share_before, share_recent = before / papers_earlier, now / papers_recent
        growth = share_recent / (max(before, 1) / papers_earlier)
        ranked.append(RisingEntity(name, before, now, round(100 * share_before, 2), round(100 * share_recent, 2),
                                   round(growth, 2)))
    ranked.sort(key=lambda e: (-e.growth, -e.recent, e.name))
    return Rising(by, earlier, recent, papers_earlier, papers_recent, ranked[:top])


def write_trends_png(table: TrendTable, path: str | os.PathLike, *, share: bool = False,
                     size: tuple[float, float] = (9, 5), dpi: int = 150) -> Path:
    """The table as a line chart: one line per entity over the periods (papers, or with ``share`` %)."""
    from matplotlib.figure import Figure

    from .viz import _png_fonts

    with _png_fonts():
        fig = Figure(figsize=size, dpi=dpi)
        ax = fig.subplots()
        positions = range(len(table.periods))
        for name in table.names:
            ax.plot(positions, [table.value(name, p, share) for p in table.periods], marker="o", label=name)
        step = max(1, len(table.periods) // 12)  # at most about a dozen labels on the axis
        ax.set_xticks(list(positions)[::step], table.periods[::step], rotation=45 if table.by == "month" else 0)
        ax.set_ylabel("% of the period's dated papers" if share else "papers using or evaluating on it")
        ax.set_title(f"Papers per {table.by}: {', '.join(table.names)}", loc="left", fontsize=12)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(frameon=False)
        with replacing_file(path, binary=True) as out:
            fig.savefig(out, format="png", bbox_inches="tight", facecolor="white")
    return Path(path)

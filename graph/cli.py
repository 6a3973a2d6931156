"""The ``paperkg`` command: a thin layer over the Python API.

Each command parses its options, calls one API function and prints the result.
Library errors become one-line messages (exit 1; bad usage exits 2), never
tracebacks. Each command imports what it needs when it runs: ``paperkg --help``,
``--version`` and shell completion import neither spaCy, nor NetworkX, nor the
Neo4j driver (``tests/test_cli_start.py``).
"""

from __future__ import annotations

import csv
import importlib
import json
import re
import sys
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import click

from paperkg.extractors.errors import PaperkgError, UsageError

from .catalogue import catalogue, read_catalogue, sql_form
from .settings import DEFAULT_TOP, GRAPH_ENV, MAX_TOP, MIN_RECENT_PAPERS, PERIODS

if TYPE_CHECKING:
    from .build import BuildReport
    from .query import QueryResult

__all__ = ["cli", "main"]


class PaperkgGroup(click.Group):
    """Turns library errors into click errors at the edge."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        for problem in read_catalogue().problems:  # one line each; the other commands still work
            click.echo(f"{problem}; the command {Path(problem.file).stem!r} is skipped", err=True)
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as err:
            raise click.UsageError(str(err), ctx) from None
        except PaperkgError as err:  # messages quote names read from files: print them, never obey them
            raise click.ClickException(printable(str(err))) from None
        except BrokenPipeError:  # `paperkg ... | head`
            sys.stderr.close()
            ctx.exit(0)


class LazyChoice(click.Choice):
    """A choice among the values of ``module.name``, imported when a command needs them (its
    help, its completion, parsing its options), not to list the commands."""

    def __init__(self, module: str, name: str):
        self.case_sensitive = True
        self._source = (module, name)

    @cached_property
    def choices(self) -> tuple[str, ...]:  # type: ignore[override]  # click's attribute; cached_property is settable
        module, name = self._source
        return tuple(getattr(importlib.import_module(module), name))


graph_option = click.option(
    "--graph", "graph_file", type=click.Path(dir_okay=False), envvar=GRAPH_ENV, show_envvar=True,
    help="Graph file: a SQLite store (default: ./paperkg-graph.db) or a JSON graph file (.json, .json.gz).",
)


def output_options(command):
    command = click.option("--csv", "fmt", flag_value="csv", help="Print rows as CSV.")(command)
    command = click.option("--json", "fmt", flag_value="json", help="Print rows as JSON.")(command)
    return command


def neo4j_options(command):
    """--neo4j connection options; each defaults to its standard environment variable."""
    for option in reversed([
        click.option("--uri", envvar="NEO4J_URI", show_envvar=True, help="Bolt URI (default: bolt://localhost:7687)."),
        click.option("--user", envvar="NEO4J_USERNAME", show_envvar=True, help="User name (default: neo4j when a password is set)."),
        click.option("--password", envvar="NEO4J_PASSWORD", show_envvar=True, help="Password (none: no authentication)."),
        click.option("--database", envvar="NEO4J_DATABASE", show_envvar=True, help="Database (default: the server's)."),
    ]):
        command = option(command)
    return command


def _neo4j_settings(uri: str | None, user: str | None, password: str | None, database: str | None):
    from .neo4j import Neo4jSettings

    return Neo4jSettings.from_env(uri=uri, username=user, password=password, database=database)


def input_options(command=None, *, inputs_required: bool = True):
    """Options shared by the commands that read paper sources."""
    if command is None:
        return lambda command: input_options(command, inputs_required=inputs_required)
    for option in reversed([
        click.argument("inputs", nargs=-1, required=inputs_required, type=click.Path(allow_dash=True)),
        click.option("--format", "fmt_in", type=LazyChoice("paperkg.extractors.readers", "FORMATS"), help="Force the input format (default: detect)."),
        click.option("--strict", is_flag=True, help="Stop at the first bad record."),
        click.option("--title-col", help="CSV/TSV/JSONL column holding the title."),
        click.option("--abstract-col", help="CSV/TSV/JSONL column holding the abstract."),
        click.option("--id-col", help="CSV/TSV/JSONL column holding an id (arXiv id or DOI)."),
        click.option("--batch-size", default=64, show_default=True, type=click.IntRange(min=1),
                     help="Papers per spaCy batch."),
        click.option("--n-process", default=1, show_default=True, type=click.IntRange(min=1),
                     help="Worker processes, as --workers (spaCy's own nlp.pipe(n_process=N) sends every "
                          "document back to this process: slower than one process on 2 cores)."),
        click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
                     help="Local worker processes, each extracting partitions of the papers."),
        click.option("--scheduler", metavar="tcp://HOST:PORT",
                     help="Extract on a Dask cluster: the address of its scheduler (pip install 'paperkg[dask]')."),
        click.option("--progress/--no-progress", default=None,
                     help="Show progress (bytes read, rate, ETA) on stderr (default: when it is a terminal)."),
    ]):
        command = option(command)
    return command


@contextmanager
def _reading(opts: dict[str, Any], label: str, inputs: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """API keyword arguments from input options, with a progress bar (papers, bytes of the inputs read,
    rate, ETA) and the problem lines on stderr."""
    from rich.console import Console
    from rich.progress import (BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn, TransferSpeedColumn)

    from paperkg.extractors.readers import ColumnOptions

    from .progress import BytesRead

    shown = opts.get("progress")
    console = Console(stderr=True, force_terminal=True if shown else None)
    bytes_read = BytesRead(inputs)
    progress = Progress(SpinnerColumn(), TextColumn(label), BarColumn(), TextColumn("{task.fields[papers]} papers"),
                        DownloadColumn(), TransferSpeedColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                        TimeRemainingColumn(), console=console, transient=not shown,
                        disable=shown is False or (shown is None and not console.is_terminal))
    task = progress.add_task(label, total=bytes_read.total or None, papers=0)
    papers = 0

    def advance(paper) -> None:
        nonlocal papers
        papers += 1
        if papers % 16 == 1:  # reading /proc costs ~0.1 ms: not for every paper
            progress.update(task, completed=bytes_read.done(), papers=papers)

    def on_problem(err: PaperkgError) -> None:
        progress.console.print(str(err), markup=False, highlight=False, soft_wrap=True)

    n_process, workers = opts["n_process"], opts["workers"]
    if n_process > 1 and workers == 1 and not opts["scheduler"]:  # given together, the API refuses them
        n_process, workers = 1, n_process
    with progress:
        yield dict(
            format=opts["fmt_in"], strict=opts["strict"], on_problem=on_problem,
            columns=ColumnOptions(title_col=opts["title_col"], abstract_col=opts["abstract_col"], id_col=opts["id_col"]),
            batch_size=opts["batch_size"], n_process=n_process, workers=workers,
            scheduler=opts["scheduler"], progress=advance,
        )
        progress.update(task, completed=bytes_read.done(), papers=papers)


def _finish(report: BuildReport, what: str) -> None:
    """Print the read summary; exit 1 when nothing was kept."""
    read = report.read
    skipped = ", ".join(f"{reason}: {n}" for reason, n in read.skipped.most_common())
    click.echo(
        f"{what}: read {read.read} records, kept {read.kept}, skipped {sum(read.skipped.values())}"
        + (f" ({skipped})" if skipped else "") + f", duplicates {read.duplicates}",
        err=True,
    )
    if not read.kept:
        raise click.ClickException("no paper was kept from the inputs")


def print_result(result: QueryResult, fmt: str | None) -> None:
    """Rows as a table (default), JSON or CSV on stdout."""
    if fmt == "json":
        click.echo(json.dumps(result.rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow([_cell(row[c]) for c in result.columns])
    else:
        from rich.console import Console
        from rich.table import Table

        from rich.text import Text

        # Text, not str: rich would read "[...]" in a title as markup
        table = Table(show_lines=False)
        for column in result.columns:
            table.add_column(Text(printable(column)))
        for row in result.rows:
            table.add_row(*(Text(printable(_cell(row[c]))) for c in result.columns))
        Console(soft_wrap=False).print(table)
        click.echo(f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}", err=True)


#: What a terminal acts on instead of showing: C0 and C1 controls, DEL, and the bidirectional
#: controls that reorder the text around them.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with each character a terminal would act on written as its escape, e.g. ``\\x1b``."""
    return _UNPRINTABLE.sub(lambda char: char.group().encode("unicode_escape").decode("ascii"), text)


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return "" if value is None else str(value)


def _parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {pair!r}: expected name=value")
        try:
            params[name] = json.loads(value)
        except ValueError:
            params[name] = value
    return params


@click.group(cls=PaperkgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paperkg")
def cli() -> None:
    """Build a knowledge graph of ML research from paper abstracts, and query it.

    \b
    Example:
      paperkg build papers.txt          # extract and add to ./paperkg-graph.db
      paperkg papers-using GSM8K        # which papers use or evaluate on GSM8K
    """


@cli.command()
@input_options
@graph_option
@click.option("--from-extractions", is_flag=True,
              help="INPUTS are paperkg extract output (JSON Lines files or shard directories): no extraction.")
def build(graph_file: str | None, inputs: tuple[str, ...], from_extractions: bool, **opts: Any) -> None:
    """Extract entities and relations from INPUTS and add them to the graph.

    Building again with the same or new inputs is idempotent: a paper already in
    the graph is replaced by its new extraction.

    \b
    Example:
      paperkg build saved-page.txt arxiv.atom papers.bib --graph kg.json
      paperkg build corpus.jsonl.gz --workers 2
      paperkg build --from-extractions shards/ --graph kg.json
    """
    from . import build as api

    with _reading(opts, "building", inputs) as kwargs:
        report = api.build(inputs, graph_file, from_extractions=from_extractions, **kwargs)
    _finish(report, "build")
    stats = report.stats
    click.echo(
        f"graph {report.graph_path}: {stats.papers_added} papers added, {stats.papers_updated} updated, "
        + (f"{stats.papers_unchanged} unchanged (not extracted again), " if stats.papers_unchanged else "") +
        f"{stats.entities_added} new entities, {stats.relationships} relationships stated, {stats.results} results",
        err=True,
    )


@cli.command()
@input_options
@click.option("-o", "--output", type=click.Path(allow_dash=True), default="-",
              help="JSON Lines file to write (default: standard output); a directory (or a path ending in /): "
                   "one shard file per partition, part-00000.jsonl ...")
def extract(inputs: tuple[str, ...], output: str, **opts: Any) -> None:
    """Extract entities and relations from INPUTS as JSON Lines, one object per paper.

    \b
    Example:
      paperkg extract saved-page.txt -o extractions.jsonl
      paperkg extract corpus.jsonl.gz --workers 2 -o extractions.jsonl
      paperkg extract corpus.jsonl.gz --scheduler tcp://head-node:8786 -o shards/
    """
    from . import build as api
    from .store import refuse_same_file

    report = api.BuildReport()
    refuse_same_file(output, inputs, "an input")
    if output.endswith("/") or Path(output).is_dir():
        with _reading(opts, "extracting", inputs) as kwargs:
            shards = api.extract_to_shards(inputs, output, report=report, **kwargs)
        click.echo(f"extract: {len(shards)} shards in {output}", err=True)
    else:
        with _output_file(output) as out, _reading(opts, "extracting", inputs) as kwargs:
            api.write_extractions(api.extract(inputs, report=report, **kwargs), out)
    _finish(report, "extract")


def _output_file(output: str):
    """Standard output for ``-``, else a file that appears only once completely written."""
    from .store import replacing_file

    return nullcontext(sys.stdout) if output == "-" else replacing_file(output)


@cli.command()
@click.argument("cypher")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter ($NAME); VALUE is JSON or else a string. Repeatable.")
@graph_option
@output_options
@click.option("--neo4j", "on_neo4j", is_flag=True, help="Run it on the Neo4j server instead of the graph file.")
@neo4j_options
def query(cypher: str, params: tuple[str, ...], graph_file: str | None, fmt: str | None, on_neo4j: bool,
          **connection: str | None) -> None:
    """Run a Cypher query over the graph.

    \b
    Example:
      paperkg query "MATCH (p:Paper)-[:EVALUATES_ON]->(b {name: \\$name}) RETURN p.title" -p name=GSM8K
      paperkg query --neo4j "MATCH (p:Paper) RETURN count(p) AS papers"
    """
    if on_neo4j:
        from .neo4j import run_query_neo4j

        print_result(run_query_neo4j(cypher, _parse_params(params), _neo4j_settings(**connection)), fmt)
        return
    from .query import run_query
    from .store import graph_path, read_graph

    graph = read_graph(graph_path(graph_file), missing_ok=False)
    print_result(run_query(graph, cypher, _parse_params(params)), fmt)


@cli.command()
@graph_option
@output_options
def stats(graph_file: str | None, fmt: str | None) -> None:
    """Count the graph's nodes by label and relationships by type.

    \b
    Example:
      paperkg stats --json
    """
    from . import build as api
    from .query import QueryResult
    from .store import graph_path

    counts = api.graph_file_stats(graph_path(graph_file))
    rows = [{"kind": "node", "name": k, "count": v} for k, v in counts["nodes"].items()]
    rows += [{"kind": "relationship", "name": k, "count": v} for k, v in counts["relationships"].items()]
    print_result(QueryResult(["kind", "name", "count"], rows), fmt)


@cli.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
def migrate(source: str, target: str) -> None:
    """Copy the JSON graph file SOURCE into a new SQLite store TARGET.

    \b
    Example:
      paperkg migrate kg.json kg.db
    """
    from . import build as api

    counts = api.migrate(source, target)
    click.echo(f"migrate: {sum(counts['nodes'].values())} nodes, {sum(counts['relationships'].values())} "
               f"relationships -> {target}", err=True)


@cli.command(name="eval")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@input_options(inputs_required=False)
@click.option("--folds", type=click.IntRange(min=2), help="Cross-validate: train the recogniser on the other folds of "
              "GOLD's own abstracts and score each fold (no INPUTS).")
@click.option("--train-steps", type=click.IntRange(min=1), help="Training steps per fold (default: the shipped config's).")
@click.option("--seed", default=0, show_default=True, help="Seed of the folds, the training and the bootstrap.")
@click.option("--bootstrap", "samples", default=1000, show_default=True, type=click.IntRange(min=0),
              help="Bootstrap samples for the 95% intervals (0: none).")
@click.option("--errors", default=8, show_default=True, help="How many worst false positives/negatives to show per type.")
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--by-rule", is_flag=True, help="Relations from the rules alone, and each rule's precision.")
def evaluate_command(gold: str, inputs: tuple[str, ...], folds: int | None, train_steps: int | None, seed: int,
                     samples: int, errors: int, as_json: bool, by_rule: bool, **opts: Any) -> None:
    """Score extraction from INPUTS against GOLD annotations (the guideline's JSON Lines).

    Prints precision, recall and F1 per entity type and relation type, the
    "papers using dataset X" question, the most frequent errors by type, and
    bootstrap 95% intervals of the headline figures (papers resampled).
    With --folds K it cross-validates instead: GOLD (with its abstracts) is
    split into K folds by paper, the recogniser is trained on the other folds
    (the folds' recognisers one per core at once) and each fold is scored; it
    prints each fold, the mean and the intervals.

    --by-rule scores the relation rules alone (without the relation model) and
    prints each rule's precision over the relations it states.

    \b
    Example:
      paperkg eval gold.jsonl saved-page-1.txt saved-page-2.txt
      paperkg eval --by-rule gold.jsonl saved-page-1.txt
      paperkg eval --folds 5 gold.jsonl
    """
    from paperkg.extractors.evaluate import aggregate, bootstrap, paper_scores, read_gold
    from paperkg.extractors.evaluate_results import has_results, score_results

    from . import build as api
    from .query import QueryResult

    if folds:
        if inputs:
            raise UsageError("--folds scores GOLD's own abstracts: give no INPUTS")
        _cross_validate(gold, folds, train_steps, seed, samples, as_json)
        return
    if not inputs:
        raise UsageError("give the INPUTS to score against GOLD (or --folds K to cross-validate on GOLD itself)")
    report = api.BuildReport()
    gold_records = read_gold(gold)
    with _reading(opts, "extracting") as kwargs:
        extractions = list(api.extract(inputs, report=report, relation_model=not by_rule, **kwargs))
    _finish(report, "eval")
    scored = paper_scores(gold_records, extractions)
    result, intervals = aggregate(scored), bootstrap(scored, samples=samples, seed=seed)
    results = score_results(gold_records, extractions) if has_results(gold_records) else None
    if as_json:
        click.echo(json.dumps({**result.to_dict(), "intervals": _intervals_dict(intervals)}
                              | ({"rules": result.rule_scores()} if by_rule else {})
                              | ({"results": results.to_dict()} if results else {}), indent=2))
        return
    if by_rule:
        print_result(QueryResult(["rule", "precision", "tp", "fp"], result.rule_scores()), None)
    for kind in ("false_negatives", "false_positives", "relation_errors"):
        for label, counter in sorted(getattr(result, kind).items()):
            worst = ", ".join(f"{name} ({n})" if n > 1 else name for name, n in counter.most_common(errors))
            if worst:
                click.echo(printable(f"{kind.replace('_', ' ')} {label}: {worst}"))
    scores = result.to_dict()
    rows = [{"score": f"entity {t}", **scores["entities"][t]} for t in scores["entities"]]
    rows += [{"score": f"relation {t}", **scores["relations"][t]} for t in scores["relations"]]
    columns = ["score", "precision", "recall", "f1", "tp", "fp", "fn"]
    print_result(QueryResult(columns, [{c: r.get(c, "") for c in columns} for r in rows]), None)
    using = scores["papers_using_dataset"]
    click.echo(
        f"papers {result.papers_matched}/{result.papers_gold} matched; entities (Model, Method, Dataset, Benchmark) "
        f"F1 {scores['entities']['micro']['f1']:.3f}; relations F1 {scores['relations']['micro']['f1']:.3f}; "
        f"papers using dataset X: P {using['precision']:.3f} R {using['recall']:.3f} over {using['datasets']} datasets"
    )
    if samples:
        click.echo(f"95% bootstrap intervals ({samples} samples of the papers): " + _intervals_line(intervals))
    if results:
        s = results.score
        click.echo(f"results (subject, benchmark, metric, value) over {results.papers} papers: P {s.precision:.3f} "
                   f"R {s.recall:.3f} F1 {s.f1:.3f} (tp {s.tp}, fp {s.fp}, fn {s.fn})")


def _intervals_dict(intervals: dict) -> dict:
    return {measure: {"value": round(i.value, 4), "low": round(i.low, 4), "high": round(i.high, 4)}
            for measure, i in intervals.items()}


def _intervals_line(intervals: dict) -> str:
    return "; ".join(f"{measure.replace('_', ' ')} {i.value:.3f} [{i.low:.3f}, {i.high:.3f}]"
                     for measure, i in intervals.items())


def _cross_validate(gold: str, folds: int, train_steps: int | None, seed: int, samples: int, as_json: bool) -> None:
    """``paperkg eval --folds``: each fold's headline figures, their mean, and the pooled intervals."""
    from paperkg.extractors.crossval import cross_validate
    from paperkg.extractors.evaluate import HEADLINE_MEASURES, bootstrap, headline, read_gold

    records = read_gold(gold, with_text=True)
    overrides = {"training.max_steps": train_steps} if train_steps else {}
    rows: list[dict[str, Any]] = []  # fold, papers, then a figure per headline measure
    pooled = []
    for result in cross_validate(records, folds, seed=seed, overrides=overrides, quiet=True):
        scores = result.scores["trained"]
        pooled += scores
        rows.append({"fold": str(result.index + 1), "papers": len(scores),
                     **{m: round(v, 4) for m, v in headline(scores).items()}})
    rows.append({"fold": "mean", "papers": len(pooled),
                 **{m: round(sum(r[m] for r in rows) / len(rows), 4) for m in HEADLINE_MEASURES}})
    intervals = bootstrap(pooled, samples=samples, seed=seed)
    if as_json:
        click.echo(json.dumps({"folds": rows, "intervals": _intervals_dict(intervals)}, indent=2))
        return
    print_result(QueryResult(["fold", "papers", *HEADLINE_MEASURES], rows), None)
    if samples:
        click.echo(f"all {len(pooled)} held-out papers, 95% bootstrap intervals ({samples} samples): "
                   + _intervals_line(intervals))


@cli.command(name="export")
@click.option("--format", "-f", "fmt", required=True, type=LazyChoice("paperkg.graph.export", "EXPORT_FORMATS"),
              help="graphml, gexf (Gephi, Cytoscape), json (node-link), csv (neo4j-admin import), "
                   "cypher (cypher-shell -f), jsonl (triples), turtle (RDF).")
@click.option("-o", "--output", required=True, type=click.Path(allow_dash=True),
              help="File to write, '-' for standard output; for csv a directory.")
@graph_option
def export_command(fmt: str, output: str, graph_file: str | None) -> None:
    """Export the graph in a format other tools read.

    \b
    Example:
      paperkg export --format graphml -o kg.graphml
      paperkg export --format csv -o neo4j-import/ && sh neo4j-import/import.sh
    """
    from .export import ExportError, export_graph
    from .store import graph_path, read_graph, refuse_same_file

    path = graph_path(graph_file)
    refuse_same_file(output, [path], "the graph file")
    graph = read_graph(path, missing_ok=False)
    try:
        written = export_graph(graph, fmt, output)
    except ExportError as err:
        raise click.ClickException(f"{path}: {err}") from None
    except BrokenPipeError:
        raise
    except OSError as err:  # the temporary file's name would only confuse: name the output
        raise click.ClickException(f"{output}: {err.strerror or err}") from None
    if written:
        click.echo(f"export {fmt}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} relationships "
                   f"-> {output}" + (f" ({len(written)} files; load with: sh {written[-1]})" if fmt == "csv" else ""),
                   err=True)


@cli.command()
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="HTML page to write (a PNG picture with --png).")
@click.option("--around", metavar="NAME", help="Draw the neighbourhood of NAME (a name, alias or id).")
@click.option("--hops", default=2, show_default=True, type=click.IntRange(min=0), help="How far around NAME.")
@click.option("--top", default=DEFAULT_TOP, show_default=True, type=click.IntRange(1, MAX_TOP),
              help="Entities in the most papers to draw (with --around: the node limit).")
@click.option("--png", is_flag=True, help="Write a static PNG picture instead of the interactive page.")
@graph_option
def viz(output: str, around: str | None, hops: int, top: int, png: bool, graph_file: str | None) -> None:
    """Draw the graph: a self-contained HTML page (search, type filters, each node's papers
    and evidence sentences; works offline) or, with --png, a static picture.

    \b
    Example:
      paperkg viz -o graph.html
      paperkg viz --around GSM8K --hops 2 -o gsm8k.html
      paperkg viz --top 60 --png -o graph.png
    """
    from .store import graph_path, read_graph, refuse_same_file
    from .viz import write_html, write_png

    refuse_same_file(output, [graph_path(graph_file)], "the graph file")
    graph = read_graph(graph_path(graph_file), missing_ok=False)
    try:
        (write_png if png else write_html)(graph, output, around=around, hops=hops, top=top)
    except OSError as err:
        raise click.ClickException(f"{output}: {err.strerror or err}") from None
    click.echo(f"viz: wrote {output}", err=True)


@cli.group(name="neo4j")
def neo4j_group() -> None:
    """Load the graph into Neo4j (any Bolt server). Query it there with --neo4j.

    \b
    Example:
      export NEO4J_URI=bolt://localhost:7687 NEO4J_PASSWORD=secret
      paperkg neo4j load --graph kg.json
      paperkg papers-using GSM8K --neo4j
    """


@neo4j_group.command(name="load")
@click.argument("inputs", nargs=-1, type=click.Path(allow_dash=True))
@graph_option
@click.option("--batch-size", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Rows per UNWIND statement.")
@neo4j_options
def neo4j_load(inputs: tuple[str, ...], graph_file: str | None, batch_size: int, **connection: str | None) -> None:
    """Load the graph into Neo4j: schema, then nodes and relationships in batches.

    INPUTS, if given, are first built into the graph file (as paperkg build
    does). Loading is idempotent: MERGE on ids creates only what the server
    lacks; properties written there stay; of a paper's relationships, those
    the graph no longer has (re-extracted) are deleted, nothing else.

    \b
    Example:
      paperkg neo4j load --graph kg.json --uri bolt://localhost:7687 --user neo4j --password secret
      paperkg neo4j load new-papers.txt --graph kg.json
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .neo4j import load_graph
    from .sqlite_store import GraphStore, is_store_file
    from .store import graph_path, read_graph

    if inputs:
        from . import build as api

        options = dict(fmt_in=None, strict=False, title_col=None, abstract_col=None, id_col=None,
                       batch_size=64, n_process=1, workers=1, scheduler=None, progress=None)
        with _reading(options, "building", inputs) as kwargs:
            report = api.build(inputs, graph_file, **kwargs)
        _finish(report, "build")
    settings = _neo4j_settings(**connection)
    path = graph_path(graph_file)
    # A store is streamed from SQL a batch at a time; a JSON graph file is read whole.
    is_store = path.is_file() and is_store_file(path)
    console = Console(stderr=True)
    with (GraphStore(path, read_only=True) if is_store else nullcontext(read_graph(path, missing_ok=False))) as source, \
            Progress(TextColumn("loading"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"), TimeElapsedColumn(),
                     console=console, transient=True, disable=not console.is_terminal) as progress:
        if isinstance(source, GraphStore):
            total = sum(sum(counted.values()) for counted in source.counts())
        else:
            total = source.number_of_nodes() + source.number_of_edges()
        task = progress.add_task("loading", total=total)
        counts = load_graph(source, settings, batch_size=batch_size, progress=lambda n: progress.advance(task, n))
    for skipped in counts.skipped:
        click.echo(f"{path}: {skipped}", err=True)
    click.echo(f"neo4j {settings.uri}: {counts.nodes_created} nodes created, {counts.nodes_matched} matched; "
               f"{counts.relationships_created} relationships created, {counts.relationships_matched} matched"
               + (f"; {counts.relationships_deleted} stale relationships deleted" if counts.relationships_deleted else "")
               + (f"; {counts.results_deleted} stale results deleted" if counts.results_deleted else "")
               + (f"; {len(counts.skipped)} records skipped" if counts.skipped else ""))


@cli.command()
@click.argument("names", nargs=-1, metavar="NAME...")
@click.option("--by", type=click.Choice(PERIODS), default="year", show_default=True,
              help="Count per year, or per month (papers dated to the month or day only).")
@click.option("--share", is_flag=True, help="Show each count as a percentage of the period's dated papers.")
@click.option("--png", "png_file", type=click.Path(dir_okay=False), help="Also draw the table as a line chart (PNG).")
@click.option("--rising", is_flag=True, help="Rank the datasets and benchmarks whose use grew fastest (no NAME).")
@click.option("--periods", default=2, show_default=True, type=click.IntRange(min=1),
              help="With --rising: how many of the last periods are 'recent'; all before them are compared with.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=1), help="With --rising: rows to show.")
@click.option("--min-papers", default=MIN_RECENT_PAPERS, show_default=True, type=click.IntRange(min=1),
              help="With --rising: rank only entities used by at least this many recent papers.")
@graph_option
@output_options
@click.option("--neo4j", "on_neo4j", is_flag=True, help="Run it on the Neo4j server instead of the graph file.")
@neo4j_options
def trends(names: tuple[str, ...], by: str, share: bool, png_file: str | None, rising: bool, periods: int, top: int,
           min_papers: int, graph_file: str | None, fmt: str | None, on_neo4j: bool, **connection: str | None) -> None:
    """Papers that use or evaluate on each NAME per year (or month), as a table of periods x names.

    A paper counts in the period of its date (see `paperkg build`: arXiv ids, dates of the
    sources, venue years); `papers` is every dated paper of the period, which --share divides by.
    Papers that only mention a name are not counted.

    --rising ranks the datasets and benchmarks whose share of papers grew most: their share of
    the dated papers of the last --periods periods over their share of all periods before
    (one paper when none used it before), among those used by --min-papers recent papers.

    \b
    Example:
      paperkg trends ImageNet CIFAR-10 COCO --png trends.png
      paperkg trends GSM8K --by month --share --csv
      paperkg trends --rising --periods 1 --top 10

    Queries: cypher/trends-entity.cypher, trends-papers.cypher, trends-datasets.cypher (and -monthly);
    on a store, their .sql forms.
    """
    from . import trends as trends_api
    from .store import graph_path, refuse_same_file

    if rising == bool(names):
        raise click.UsageError("name one or more entities, or give --rising (not both)")
    if png_file:
        refuse_same_file(png_file, [graph_path(graph_file)], "the graph file")
    engine_of: AbstractContextManager[trends_api.Engine]
    if on_neo4j:
        engine_of = nullcontext(trends_api.neo4j_engine(_neo4j_settings(**connection)))
    else:
        engine_of = trends_api.graph_file_engine(graph_path(graph_file))
    with engine_of as engine:
        if rising:
            ranking = trends_api.rising(engine, by=by, periods=periods, top=top, min_papers=min_papers)
            click.echo(ranking.describe(), err=True)
            print_result(ranking.result(), fmt)
            names = tuple(entity.name for entity in ranking.entities[:trends_api.RISING_DRAWN])
            if not (png_file and names):
                return
        table = trends_api.trend_table(engine, names, by=by)
    if not rising:
        print_result(table.result(share=share), fmt)
    if png_file:
        trends_api.write_trends_png(table, png_file, share=share)
        click.echo(f"trends: wrote {png_file}", err=True)


def _catalogue_command(name: str) -> click.Command:
    """A command running the named query ``cypher/<name>.cypher``."""
    query = catalogue()[name]

    def run(graph_file: str | None, fmt: str | None, on_neo4j: bool, uri: str | None, user: str | None,
            password: str | None, database: str | None, **values: Any) -> None:
        from .query import ENTITY_NAMES_CYPHER, answer_catalogue, check_entity_known
        from .store import graph_path

        if on_neo4j:
            from .neo4j import run_catalogue_neo4j, run_query_neo4j

            settings = _neo4j_settings(uri, user, password, database)
            result = run_catalogue_neo4j(name, values, settings)
            if not result.rows and "key" in query.arguments:
                check_entity_known(values["key"], run_query_neo4j(ENTITY_NAMES_CYPHER, {}, settings).rows)
            print_result(result, fmt)
            return
        print_result(answer_catalogue(name, graph_path(graph_file), values), fmt)

    params: list[click.Parameter] = [click.Argument([arg], metavar=arg.upper()) for arg in query.arguments]
    # An empty default is "no filter", which the help text says: "[default: ]" would only puzzle.
    params += [click.Option([f"--{opt}"], default=default, show_default=default != "", type=type(default), help=help_text)
               for opt, (default, help_text) in query.options.items()]
    params.append(click.Option(["--neo4j", "on_neo4j"], is_flag=True, help="Run it on the Neo4j server instead of the graph file."))
    command = click.Command(
        name, callback=run, params=params,
        help=f"{query.description}\n\n\b\nExample:\n  {query.example}\n\nQuery: cypher/{name}.cypher"
             + (f" (on a store: cypher/{name}.sql)" if sql_form(query) else ""),
        short_help=query.description,
    )
    return neo4j_options(output_options(graph_option(command)))


for _name in catalogue():
    cli.add_command(_catalogue_command(_name))


def main() -> None:
    cli(prog_name="paperkg")

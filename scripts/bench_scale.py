"""Scale of the graph store: the SQLite store against the JSON graph file, same extractions.

Extraction is done once (``paperkg extract`` of the real abstracts in
../shared/data/conference-abstracts, 23.6k papers) and its output replicated with distinct
paper ids, titles and renamed entities up to the size asked, so the benchmark measures the
store, not the pipeline; an undated paper is dated by its venue's year, as ``paperkg extract`` reads
it now (extractions written before it read dates have none, and ``trends`` counts dated papers).
Each path runs in a child process of its own, so its peak memory (ru_maxrss) is its own.

    paperkg extract ../shared/data/conference-abstracts/ml-conference-abstracts.jsonl.gz -o extractions.jsonl
    python scripts/bench_scale.py extractions.jsonl --papers 100000 --json-papers 20000

Prints one JSON object per measurement: the store's build time per 10k papers (linear when
they stay flat), peak memory and file size, the time to add 10 papers to the full store,
``stats``, ``papers-using GSM8K``, ``top-datasets``, ``trends ImageNet CIFAR-10 COCO`` and
``trends --rising --periods 1`` in-process and through the CLI (the first command with an empty parse cache,
then again), ``papers-using GSM8K`` in-process again and again (the median and fastest of 20 calls
after the first); the same for the JSON graph file at ``--json-papers``, and the ratios. ``--store kg.db`` measures a store built before (by this script's
copies of the same extractions, ``--papers`` of them) instead of building one: it is copied, since
adding 10 papers changes it.

On the store, ``top-datasets``, ``papers-using`` and the ``trends-*`` queries are answered by their SQL
forms (``cypher/*.sql``); as a baseline in the same run, the script also runs their Cypher with
nxcypher in-process on what the store gave it before (the relationships of the types the pattern
names; the neighbourhood of GSM8K; for ``trends``, the whole graph materialised), and, with
``--baseline-python`` (an interpreter with an older paperkg, as a checkout's venv), each CLI command
once more through that paperkg.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from paperkg.extractors.dates import venue_year
from paperkg.extractors.records import Extraction

STEP = 10_000
KEPT_TYPES = ("Dataset", "Benchmark", "Metric", "Task")  # shared by every copy: popular entities grow


def replicated(source: Path, papers: int):
    """``papers`` extractions: the source's, then copies with new ids and titles; in copy k the models
    and methods are renamed (``Name k``), datasets, benchmarks, metrics and tasks are kept."""
    originals = [json.loads(line) for line in source.open(encoding="utf-8")]
    for index in range(papers):
        copy, data = divmod(index, len(originals))
        data = json.loads(json.dumps(originals[data]))
        if not data["paper"].get("date") and venue_year(data["paper"].get("venue")):
            data["paper"].update(date=venue_year(data["paper"]["venue"]), date_source="venue")
        if copy:
            data["paper"]["id"] = f"title:copy{copy}-{index}"
            data["paper"]["title"] += f" (copy {copy})"
            renamed = {}
            for entity in data["entities"]:
                if entity["type"] not in KEPT_TYPES:
                    renamed[entity["name"]] = entity["name"] = f"{entity['name']} v{copy}"
                    entity["aliases"] = [f"{a} v{copy}" for a in entity["aliases"]]
                    entity["family"] = None
            for relation in data["relations"]:
                relation["head"] = renamed.get(relation["head"], relation["head"])
                relation["tail"] = renamed.get(relation["tail"], relation["tail"])
        yield Extraction.from_dict(data)


def timed(what: str, call, **extra) -> dict:
    start = time.perf_counter()
    call()
    result = {"what": what, "seconds": round(time.perf_counter() - start, 4), **extra}
    print(json.dumps(result), flush=True)
    return result


def cli(*args: str, python: str = sys.executable) -> None:
    subprocess.run([python, "-c", "from paperkg.graph.cli import main; main()", *args],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_store(source: Path, papers: int, folder: Path, built: Path | None, baseline_python: str | None, out) -> None:
    from paperkg.graph.build import graph_file_stats
    from paperkg.graph.query import answer_catalogue
    from paperkg.graph.sqlite_store import GraphStore

    path = folder / "kg.db"
    results = []
    extractions = replicated(source, papers + 10)
    if built:
        shutil.copyfile(built, path)
        for _ in range(papers):
            next(extractions)
    with GraphStore(path) as store:
        for start in range(0, 0 if built else papers, STEP):
            def add_step():
                batch = []
                for _ in range(min(STEP, papers - start)):
                    batch.append(next(extractions))
                    if len(batch) == 500:
                        store.add_extractions(batch)
                        batch = []
                store.add_extractions(batch)
            results.append(timed("store build 10k", add_step, papers_before=start))
        last = [next(extractions) for _ in range(10)]
        results.append(timed("store add 10 papers", lambda: store.add_extractions(last), papers=papers))
    results += measure_queries("store", path, papers, answer_catalogue, graph_file_stats)
    # Read before the baseline, which materialises the whole graph in NetworkX for nxcypher.
    results.append({"what": "store peak memory MB", "value": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024})
    results += measure_nxcypher_baseline(path, papers, baseline_python)
    results.append({"what": "store file MB", "value": round(path.stat().st_size / 1e6, 1)})
    out.send(results)


def run_json(source: Path, papers: int, folder: Path, out) -> None:
    from paperkg.graph.build import graph_file_stats
    from paperkg.graph.query import answer_catalogue
    from paperkg.graph.store import GraphBuilder, read_graph, write_graph

    path = folder / "kg.json"
    extractions = replicated(source, papers + 10)
    results = []

    def build_all():
        builder = GraphBuilder()
        for _ in range(papers):
            builder.add(next(extractions))
        write_graph(builder.graph, path)
    results.append(timed("json build", build_all, papers=papers))
    last = [next(extractions) for _ in range(10)]

    def add_ten():
        builder = GraphBuilder(read_graph(path))
        for extraction in last:
            builder.add(extraction)
        write_graph(builder.graph, path)
    results.append(timed("json add 10 papers", add_ten, papers=papers))
    results += measure_queries("json", path, papers, answer_catalogue, graph_file_stats)
    results.append({"what": "json peak memory MB", "value": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024})
    results.append({"what": "json file MB", "value": round(path.stat().st_size / 1e6, 1)})
    out.send(results)


#: Calls of ``papers-using GSM8K`` after the first in one process: their median and fastest are reported.
WARM_CALLS = 20
#: The entities whose use ``trends`` is measured counting.
TREND_NAMES = ("ImageNet", "CIFAR-10", "COCO")
#: The trends commands measured, by what the measurements call them (the last year against the ones
#: before: a sample of the abstracts may span two).
TRENDS_COMMANDS = {f"trends {' '.join(TREND_NAMES)}": ["trends", *TREND_NAMES],
                   "trends --rising": ["trends", "--rising", "--periods", "1"]}


def trends_calls(engine_of) -> dict[str, object]:
    """The trends commands as API calls on the engine ``engine_of()`` gives (a context manager)."""
    from paperkg.graph.trends import rising, trend_table

    def table():
        with engine_of() as engine:
            trend_table(engine, TREND_NAMES)

    def ranking():
        with engine_of() as engine:
            rising(engine, periods=1)
    return dict(zip(TRENDS_COMMANDS, (table, ranking)))


def measure_queries(kind: str, path: Path, papers: int, answer_catalogue, graph_file_stats) -> list[dict]:
    """Each query in-process and through the CLI, in a cache folder of their own (the first parse of
    each query is measured, as the first command a user runs). ``trends`` in-process opens the graph
    file as the command does (:func:`paperkg.graph.trends.graph_file_engine`)."""
    from paperkg.graph.trends import graph_file_engine

    os.environ["PAPERKG_CACHE"] = str(path.parent / f"cache-{kind}")
    papers_using = lambda: _rows_or_unknown(answer_catalogue, path)  # noqa: E731
    results = [
        timed(f"{kind} stats in-process", lambda: graph_file_stats(path), papers=papers),
        timed(f"{kind} papers-using GSM8K in-process", papers_using, papers=papers),
        repeated(f"{kind} papers-using GSM8K in-process again", papers_using, papers=papers),
        timed(f"{kind} top-datasets in-process", lambda: answer_catalogue("top-datasets", path, {}), papers=papers),
        *(timed(f"{kind} {what} in-process", call, papers=papers)
          for what, call in trends_calls(lambda: graph_file_engine(path)).items()),
        timed(f"{kind} stats CLI", lambda: cli("stats", "--graph", str(path)), papers=papers),
    ]
    os.environ["PAPERKG_CACHE"] = str(path.parent / f"cache-{kind}-cli")
    for again in ("", " again"):
        results += [
            timed(f"{kind} papers-using GSM8K CLI{again}", lambda: cli("papers-using", "GSM8K", "--graph", str(path)),
                  papers=papers),
            timed(f"{kind} top-datasets CLI{again}", lambda: cli("top-datasets", "--graph", str(path)), papers=papers),
            *(timed(f"{kind} {what} CLI{again}", lambda args=args: cli(*args, "--graph", str(path)), papers=papers)
              for what, args in TRENDS_COMMANDS.items()),
        ]
    return results


def measure_nxcypher_baseline(path: Path, papers: int, baseline_python: str | None) -> list[dict]:
    """The store's SQL-form queries answered as before them: nxcypher in-process on the part of the
    store their patterns match (for ``trends``, the whole graph, as the command read it), and the CLI of
    ``baseline_python``'s paperkg (when given)."""
    from contextlib import contextmanager

    from paperkg.graph.query import run_catalogue
    from paperkg.graph.sqlite_store import GraphStore
    from paperkg.graph.trends import embedded_engine

    types = {"USES", "EVALUATES_ON"}
    with GraphStore(path, read_only=True) as store:
        results = [
            timed("store papers-using GSM8K in-process nxcypher", lambda: run_catalogue(
                "papers-using", store.subgraph("gsm8k", 1, types), {"key": "GSM8K"}), papers=papers),
            timed("store top-datasets in-process nxcypher", lambda: run_catalogue(
                "top-datasets", store.relationships_of(types), {}), papers=papers),
        ]

        @contextmanager
        def materialised():
            yield embedded_engine(store.graph())
        results += [timed(f"store {what} in-process nxcypher", call, papers=papers)
                    for what, call in trends_calls(materialised).items()]
    if baseline_python:
        os.environ["PAPERKG_CACHE"] = str(path.parent / "cache-baseline-cli")
        results += [
            timed("store papers-using GSM8K CLI baseline", lambda: cli(
                "papers-using", "GSM8K", "--graph", str(path), python=baseline_python), papers=papers),
            timed("store top-datasets CLI baseline", lambda: cli(
                "top-datasets", "--graph", str(path), python=baseline_python), papers=papers),
            *(timed(f"store {what} CLI baseline", lambda args=args: cli(
                *args, "--graph", str(path), python=baseline_python), papers=papers)
              for what, args in TRENDS_COMMANDS.items()),
        ]
    return results


def repeated(what: str, call, **extra) -> dict:
    """The median and fastest of :data:`WARM_CALLS` calls (``seconds`` is the median)."""
    times = []
    for _ in range(WARM_CALLS):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    result = {"what": what, "seconds": round(statistics.median(times), 4), "fastest": round(min(times), 4),
              "calls": WARM_CALLS, **extra}
    print(json.dumps(result), flush=True)
    return result


def _rows_or_unknown(answer_catalogue, path: Path) -> None:
    """papers-using GSM8K; a sample of the abstracts may name no GSM8K, which is an answer too."""
    from paperkg.graph.query import UnknownEntity

    try:
        answer_catalogue("papers-using", path, {"key": "GSM8K"})
    except UnknownEntity:
        pass


def in_child(target, *args) -> list[dict]:
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(target=target, args=(*args, send))
    child.start()
    send.close()  # the child's end only: a child that dies ends the pipe instead of leaving recv() waiting
    try:
        results = receive.recv()
    except EOFError:
        child.join()
        sys.exit(f"{target.__name__}: the measuring process failed (exit {child.exitcode}); its error is above")
    child.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("extractions", type=Path, help="paperkg extract output (JSON Lines)")
    parser.add_argument("--papers", type=int, default=100_000, help="papers in the store (default 100000)")
    parser.add_argument("--json-papers", type=int, default=20_000, help="papers in the JSON graph file (default 20000)")
    parser.add_argument("--store", type=Path, help="a store of --papers copies built before: measured, not built")
    parser.add_argument("--baseline-python", help="an interpreter with the paperkg to compare with (its CLI is run too)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store_results = in_child(run_store, args.extractions, args.papers, Path(folder), args.store,
                                 args.baseline_python)
        json_results = in_child(run_json, args.extractions, args.json_papers, Path(folder))
    for line in (*store_results, *json_results):
        print(json.dumps(line))
    steps = [r["seconds"] for r in store_results if r["what"] == "store build 10k"]
    if steps:
        print(json.dumps({"what": "store build: last 10k / first 10k (1.0 = linear)",
                          "value": round(steps[-1] / steps[0], 2), "papers_per_s": round(args.papers / sum(steps))}))
    store, old = ({r["what"]: r for r in results} for results in (store_results, json_results))
    trends = [f"{what}{how}" for what in TRENDS_COMMANDS for how in (" in-process", " CLI", " CLI again")]
    for what in ("add 10 papers", "stats in-process", "papers-using GSM8K in-process",
                 "papers-using GSM8K in-process again", "top-datasets in-process", "stats CLI", "papers-using GSM8K CLI",
                 "papers-using GSM8K CLI again", "top-datasets CLI", "top-datasets CLI again", *trends):
        print(json.dumps({"ratio json/store": what, "json_papers": args.json_papers, "store_papers": args.papers,
                          "value": round(old[f"json {what}"]["seconds"] / store[f"store {what}"]["seconds"], 1)}))
    for query in ("papers-using GSM8K", "top-datasets", *TRENDS_COMMANDS):
        for how, baseline in (("in-process", "in-process nxcypher"), ("CLI", "CLI baseline")):
            if f"store {query} {baseline}" in store:
                print(json.dumps({"ratio baseline/store": f"{query} {baseline}", "value": round(
                    store[f"store {query} {baseline}"]["seconds"] / store[f"store {query} {how}"]["seconds"], 1)}))
    for kind, results in (("store", store), ("json", old)):
        first, again = (results[f"{kind} papers-using GSM8K {how}"]["seconds"] for how in ("in-process", "in-process again"))
        print(json.dumps({"ratio first/again": f"{kind} papers-using GSM8K in-process", "value": round(first / again, 1)}))

if __name__ == "__main__":
    main()

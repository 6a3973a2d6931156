"""Pictures of the graph: a self-contained interactive HTML page and a static PNG.

A picture shows a readable part of the graph, chosen in time linear in the
edges it touches (never all pairs of nodes):

* :func:`select_top`: the ``top`` entities mentioned by the most papers, and
  the papers that link most of them;
* :func:`select_around`: one entity (found by name or alias, as queries find
  it) and its neighbourhood ring by ring up to ``hops``, best-connected
  first, at most ``limit`` nodes.

:func:`view_data` turns a selection into what both pictures draw: nodes with
their type, paper count and a ForceAtlas2 position, the links between them,
and for the HTML side panel each entity's papers with their evidence
sentences. :func:`generate_html` renders it as one page whose script and data
are inline (no network when opened; its Content-Security-Policy forbids any
fetch), :func:`write_png` draws it with matplotlib.

>>> from paperkg.graph.store import build_graph
>>> from paperkg.extractors.records import Extraction, Paper, Entity, Relation
>>> paper = Paper(id="arxiv:2401.00001", title="T", abstract="We evaluate on GSM8K.")
>>> rel = Relation("PAPER", "EVALUATES_ON", "GSM8K", "We evaluate on GSM8K.", 3, 24, "rules", 0.9)
>>> g = build_graph([Extraction(paper, [Entity("gsm8k", "GSM8K", "Benchmark", aliases=["GSM-8K"])], [rel])])
>>> select_around(g, "gsm-8k", hops=1)
['gsm8k', 'arxiv:2401.00001']
>>> data = view_data(g, select_top(g))
>>> [(n["name"], n["type"], n["papers"]) for n in data["nodes"]]
[('GSM8K', 'Benchmark', 1), ('T', 'Paper', 1)]
>>> data["links"][0]["types"]
['EVALUATES_ON']
"""

from __future__ import annotations

import difflib
import heapq
import json
import logging
import os
import re
import warnings
from collections import Counter, defaultdict
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import networkx as nx

from paperkg.extractors.errors import UsageError, import_optional
from paperkg.extractors.normalize import canonical_key
from paperkg.extractors.records import PAPER, RELATION_TYPES

from .catalogue import catalogue
from .export import _atomic_file, node_name
from .model import ENTITY_LABELS, PAPER_LABEL, RESULT_LABEL, edge_key, is_entity
from .trends import period_range
from .settings import DEFAULT_TOP, MAX_TOP

__all__ = [
    "TYPE_COLOURS",
    "DEFAULT_TOP",
    "MAX_TOP",
    "paper_counts",
    "find_node",
    "select_top",
    "select_around",
    "select",
    "view_data",
    "generate_html",
    "page_html",
    "write_html",
    "write_png",
]

#: Node colour per type (Okabe-Ito palette: distinguishable with colour blindness).
TYPE_COLOURS = {
    PAPER_LABEL: "#a0a7b0",
    "Model": "#0072b2",
    "Method": "#e69f00",
    "Dataset": "#009e73",
    "Benchmark": "#d55e00",
    "Task": "#cc79a7",
    "Metric": "#56b4e9",
}
assert set(TYPE_COLOURS) == {PAPER_LABEL, *ENTITY_LABELS}  # results are not drawn
#: Papers listed in an entity's side panel (the total is always shown).
PAPERS_LISTED = 25
#: Evidence sentences kept per listed paper.
EVIDENCE_PER_PAPER = 3
#: An entity's leaderboard in its panel: the metrics with the most results, and the best rows of each
#: (paperkg leaderboard lists them all).
LEADERBOARD_METRICS = 3
LEADERBOARD_ROWS = 3


def paper_counts(graph: nx.MultiDiGraph) -> Counter:
    """Entity id -> number of papers mentioning it, in one pass over the edges.

    Papers count 1 (each is its own paper); inferred model families, which no
    paper names, count 0.
    """
    counts: Counter = Counter()
    for _, end, data in graph.edges(data=True):
        if data["type"] == "MENTIONS":
            counts[end] += 1  # one MENTIONS edge per (paper, entity): the key holds the paper
    for node, data in graph.nodes(data=True):
        if data["label"] == PAPER_LABEL:
            counts[node] = 1
    return counts


def find_node(graph: nx.MultiDiGraph, name: str) -> str:
    """The node called ``name``: a node id, or an entity whose name or alias has the same
    canonical key (as ``paperkg entity`` looks names up).

    >>> from paperkg.graph.model import new_graph
    >>> g = new_graph(); g.add_node("gsm8k", label="Benchmark", id="gsm8k", name="GSM8K", keys=["gsm8k"])
    >>> find_node(g, "GSM-8K")
    'gsm8k'
    >>> find_node(g, "GSM9K")
    Traceback (most recent call last):
    ...
    paperkg.extractors.errors.UsageError: --around 'GSM9K': no node has that name, alias or id; close names: GSM8K
    """
    if name in graph:
        return name
    key = canonical_key(name)
    for node, data in graph.nodes(data=True):
        if key in data.get("keys", ()):
            return node
    names = {node_name(data): node for _, data in graph.nodes(data=True) if is_entity(data)}
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; close names: {', '.join(close)}" if close else ""
    raise UsageError(f"--around {name!r}: no node has that name, alias or id{hint}")


def _check_limit(name: str, value: int) -> None:
    if not 1 <= value <= MAX_TOP:
        raise UsageError(f"{name} {value}: must be from 1 to {MAX_TOP} (more is unreadable and slow to lay out; "
                         "draw a part with --around NAME instead)")


def select_top(graph: nx.MultiDiGraph, top: int = DEFAULT_TOP, *, papers: int | None = None,
               counts: Counter | None = None) -> list[str]:
    """The ``top`` entities with the most papers, then up to ``papers`` (default a
    third of ``top``) papers linking the most of them.

    Cost: one pass over the edges for the counts, a heap over the entities,
    and the in-edges of the chosen entities.
    """
    _check_limit("--top", top)
    counts = paper_counts(graph) if counts is None else counts
    papers = max(1, top // 3) if papers is None else papers
    entities = heapq.nlargest(
        top, (n for n, d in graph.nodes(data=True) if is_entity(d)),
        key=lambda n: (counts[n], node_name(graph.nodes[n]).casefold()))
    links: Counter = Counter()
    for entity in entities:
        for start, _, data in graph.in_edges(entity, data=True):
            if data["type"] == "MENTIONS":
                links[start] += 1
    chosen = heapq.nsmallest(papers, links, key=lambda p: (-links[p], p))
    return entities + chosen


def select_around(graph: nx.MultiDiGraph, name: str, hops: int = 2, *, limit: int = DEFAULT_TOP,
                  counts: Counter | None = None) -> list[str]:
    """The node called ``name`` and its neighbours up to ``hops`` links away, at most ``limit``
    nodes. The room left is shared between the rings still to come (a hub's papers must
    not crowd out the entities beyond them); each ring keeps the candidates with the most
    links into the previous one, then the most papers, then the most neighbours.

    Cost: the edges of the chosen nodes only.
    """
    _check_limit("--top", limit)
    if hops < 0:
        raise UsageError(f"--hops {hops}: must be 0 or more")
    counts = paper_counts(graph) if counts is None else counts
    centre = find_node(graph, name)
    chosen = {centre: None}
    ring = [centre]
    for step in range(hops):
        links: Counter = Counter()
        for node in ring:
            for neighbour in (*graph.successors(node), *graph.predecessors(node)):
                if neighbour not in chosen and graph.nodes[neighbour]["label"] != RESULT_LABEL:
                    links[neighbour] += 1
        room = (limit - len(chosen)) // (hops - step)
        if room <= 0 or not links:
            break
        ring = heapq.nsmallest(room, links, key=lambda n: (-links[n], -counts[n], -len(graph.succ[n]), n))
        chosen.update(dict.fromkeys(ring))
    return list(chosen)


def select(graph: nx.MultiDiGraph, *, around: str | None = None, hops: int = 2,
           top: int = DEFAULT_TOP, counts: Counter | None = None) -> list[str]:
    """:func:`select_around` ``around`` (``top`` is its node limit) if given, else :func:`select_top`."""
    if around is not None:
        return select_around(graph, around, hops, limit=top, counts=counts)
    return select_top(graph, top, counts=counts)


# -- what the pictures draw -------------------------------------------------------------
def _packed_components(simple: nx.Graph) -> dict[int, tuple[float, float]]:
    """Small pictures: each connected part laid out by springs on its own, the parts side by side
    in rows (biggest first), each as wide as its size needs: a few papers fill the canvas
    instead of being pushed to its corners by each other."""
    parts = sorted(nx.connected_components(simple), key=lambda c: (-len(c), min(c)))
    columns = max(1, round(len(parts) ** 0.5 + 0.49))
    pos: dict[int, tuple[float, float]] = {}
    x = y = row_height = 0.0
    for index, part in enumerate(parts):
        radius = 0.6 * len(part) ** 0.5
        local = nx.spring_layout(simple.subgraph(part), seed=7, iterations=100) if len(part) > 1 else {next(iter(part)): (0.0, 0.0)}
        if index and index % columns == 0:
            x, y, row_height = 0.0, y - row_height, 0.0
        for node, (px, py) in local.items():
            pos[node] = (x + radius + radius * float(px), y - radius + radius * float(py))
        x += 2 * radius + 0.5
        row_height = max(row_height, 2 * radius + 0.5)
    return pos


def _layout(nodes: list[str], links: Iterable[tuple[int, int]]) -> list[tuple[float, float]]:
    """ForceAtlas2 positions scaled to [-1, 1] (numpy only; deterministic)."""
    if not nodes:
        return []
    simple: nx.Graph[int] = nx.Graph()
    simple.add_nodes_from(range(len(nodes)))
    simple.add_edges_from(links)
    if len(nodes) <= 300:
        pos = _packed_components(simple)
    else:
        # Each iteration is quadratic in the nodes: fewer of them for big pictures (about 20 s at 2000 nodes).
        iterations = 300 if len(nodes) <= 500 else 100
        layout = nx.forceatlas2_layout(simple, max_iter=iterations, seed=7, scaling_ratio=2.0, gravity=1.0)
        pos = {node: (float(x), float(y)) for node, (x, y) in layout.items()}
    xs = [float(p[0]) for p in pos.values()]
    ys = [float(p[1]) for p in pos.values()]
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 or 1.0
    return [(round(float(pos[i][0] - cx) / half, 5), round(float(pos[i][1] - cy) / half, 5)) for i in range(len(nodes))]


def _statement(graph: nx.MultiDiGraph, start: str, end: str, data: dict[str, Any]) -> dict[str, str]:
    subject = "paper" if graph.nodes[start]["label"] == PAPER_LABEL else node_name(graph.nodes[start])
    return {"relation": f"{subject} {data['type']} {node_name(graph.nodes[end])}", "text": data["evidence"]}


def _states(data: dict[str, Any]) -> bool:
    return data["type"] not in ("MENTIONS", "VARIANT_OF") and bool(data.get("evidence"))


def _entity_details(graph: nx.MultiDiGraph, entity: str) -> dict[str, Any]:
    """Aliases and the papers listed in the side panel: those stating a relation about
    ``entity`` first (then by upvotes), each with its evidence sentences."""
    # One pass over the entity's edges, keeping references; statements are built for listed papers only.
    stated: dict[str, list] = defaultdict(list)
    papers = []
    # (The adjacency dicts directly: a hub has a million edge views' worth of overhead otherwise.)
    edges = [(entity, end, keyed) for end, keyed in graph.succ[entity].items()]
    edges += [(start, entity, keyed) for start, keyed in graph.pred[entity].items()]
    using: set[str] = set()
    results: list[str] = []
    for start, end, keyed in edges:
        for data in keyed.values():
            if data["type"] == "RESULT_ON":
                results.append(start)
            elif data["type"] == "MENTIONS":
                papers.append(start)
            elif _states(data) and len(stated[data["paper"]]) < EVIDENCE_PER_PAPER:
                stated[data["paper"]].append((start, end, data))
            if data["type"] in USAGE_TYPES and end == entity:
                using.add(start)
    listed = heapq.nsmallest(PAPERS_LISTED, papers,
                             key=lambda p: (p not in stated, -(graph.nodes[p].get("upvotes") or 0), p))
    return {"aliases": graph.nodes[entity].get("aliases", []),
            "papers": [{**_paper_summary(graph, p), "evidence": [_statement(graph, *edge) for edge in stated.get(p, ())]}
                       for p in listed],
            "usage": _usage_by_year(graph, using),
            "leaderboard": _leaderboard(graph, results)}


def _leaderboard(graph: nx.MultiDiGraph, results: list[str]) -> list[dict[str, Any]]:
    """``paperkg leaderboard`` in short, for the entity the Result nodes ``results`` are on: the best
    :data:`LEADERBOARD_ROWS` rows of each of its :data:`LEADERBOARD_METRICS` metrics with the most rows,
    of the rows the command lists by default (as sure as its ``confidence`` option's default).

    The rows and their order are those of ``cypher/leaderboard.cypher`` (tests/test_leaderboard.py
    compares them), computed here: nxcypher takes about a second to parse that query, per panel.
    """
    bar = catalogue()["leaderboard"].options["confidence"][0]  # the command's default
    by_metric: dict[str, list[str]] = defaultdict(list)
    for result in results:  # a result naming no metric ranks in none
        data = graph.nodes[result]
        if data.get("kind") == "absolute" and data.get("metric") and data.get("confidence", 0) >= bar:
            by_metric[data["metric"].lower()].append(result)
    shown = sorted(by_metric.items(), key=lambda item: (-len(item[1]), item[0]))[:LEADERBOARD_METRICS]
    rows = []
    for _, metric_results in shown:
        ranked = sorted((_leaderboard_row(graph, result) for result in metric_results), key=lambda row: row.pop("rank"))
        rows += ranked[:LEADERBOARD_ROWS]
    return rows


def _leaderboard_row(graph: nx.MultiDiGraph, result: str) -> dict[str, Any]:
    """A row of ``paperkg leaderboard`` for ``result``, with its ``rank`` in its metric (best first)."""
    data = graph.nodes[result]
    model = _result_model(graph, result)
    unit = data.get("unit") or ""
    value = data["value"] + (" points" if unit == "points" else unit)
    lower = data.get("lower_is_better")
    return {"metric": data["metric"], "model": model, "value": value, "setting": data.get("setting"),
            "task": data.get("task"), "better": "lower" if lower else "higher", "title": graph.nodes[data["paper"]].get("title"),
            "rank": (data["score"] if lower else -data["score"], model, data["paper"], value)}


def _result_model(graph: nx.MultiDiGraph, result: str) -> str:
    """Whose score ``result`` is: its subject entity; for the paper's own approach the one model or
    method the paper proposes, else "(this paper)"."""
    ends = [(end, data["type"]) for end, keyed in graph.succ[result].items() for data in keyed.values()]
    subject = next((graph.nodes[end]["name"] for end, rel_type in ends if rel_type == "RESULT_OF"), None)
    if subject is not None or graph.nodes[result].get("subject") != PAPER:
        return subject or graph.nodes[result]["subject"]  # a required property of results
    paper = graph.nodes[result]["paper"]
    proposed = [graph.nodes[end]["name"] for end, keyed in graph.succ[paper].items()
                if graph.nodes[end]["label"] in ("Model", "Method") and any(d["type"] == "PROPOSES" for d in keyed.values())]
    return proposed[0] if len(proposed) == 1 else "(this paper)"


#: What counts as using an entity, as ``paperkg trends`` counts it (cypher/trends-entity.cypher).
USAGE_TYPES = ("USES", "EVALUATES_ON")


def _usage_by_year(graph: nx.MultiDiGraph, papers: set[str]) -> list[dict[str, Any]]:
    """Dated ``papers`` per year, every year from the first to the last: the panel's usage over time."""
    years = Counter(str(year) for p in papers if isinstance(year := graph.nodes[p].get("year"), int))
    return [{"year": year, "papers": years.get(year, 0)} for year in period_range(years)]


def _paper_summary(graph: nx.MultiDiGraph, paper: str) -> dict[str, Any]:
    data = graph.nodes[paper]
    return {"id": paper, "title": data.get("title", paper), "date": data.get("date"), "url": data.get("url")}


def _paper_details(graph: nx.MultiDiGraph, paper: str) -> dict[str, Any]:
    data = graph.nodes[paper]
    entities, statements = [], []
    for _, entity, edge in graph.out_edges(paper, data=True):
        if edge["type"] == "MENTIONS":
            entities.append(entity)
        elif _states(edge):
            statements.append(_statement(graph, paper, entity, edge))
    # Relations between two of its entities, looked up by edge key: never through a hub's many edges.
    for head in entities:
        for tail in entities:
            for rel_type in RELATION_TYPES:
                edge = graph.get_edge_data(head, tail, key=edge_key(rel_type, paper))
                if edge and _states(edge):
                    statements.append(_statement(graph, head, tail, edge))
    return {"authors": data.get("authors", []), "venue": data.get("venue"),
            "mentions": [node_name(graph.nodes[e]) for e in entities], "evidence": statements}


#: Co-mention links kept per drawn entity: its strongest ones only, or the picture is a hairball.
CO_MENTIONS_PER_ENTITY = 3


def _co_mention_links(graph: nx.MultiDiGraph, nodes: list[str], index: dict[str, int],
                      linked: set[tuple[int, int]]) -> list[dict[str, Any]]:
    """``CO_MENTIONED`` links between drawn entities named together in papers, each entity's
    :data:`CO_MENTIONS_PER_ENTITY` strongest (by the Jaccard index of their papers),
    unless a drawn link or a drawn paper joins them already.

    Cost: the in-edges of the drawn entities, then the pairs within each paper.
    """
    entities_of: dict[str, list[int]] = defaultdict(list)
    for node in nodes:
        if graph.nodes[node]["label"] == PAPER_LABEL:
            continue
        for paper, keyed in graph.pred[node].items():
            if any(data["type"] == "MENTIONS" for data in keyed.values()):
                entities_of[paper].append(index[node])
    shared: Counter = Counter()
    joined = set(linked)  # pairs a drawn link or a drawn paper joins already
    for paper, entities in entities_of.items():
        for i, a in enumerate(entities):
            for b in entities[i + 1:]:
                shared[min(a, b), max(a, b)] += 1
                if paper in index:
                    joined.add((min(a, b), max(a, b)))
    mentioned = Counter(i for entities in entities_of.values() for i in entities)
    best: dict[int, list] = defaultdict(list)
    for (a, b), n in shared.items():
        if (a, b) in joined or (b, a) in joined:
            continue
        # Jaccard, not the raw count: otherwise every entity's strongest partner is the biggest hub.
        strength = n / (mentioned[a] + mentioned[b] - n)
        for end in (a, b):
            best[end].append((-strength, (a, b)))
    kept = {pair for options in best.values() for _, pair in heapq.nsmallest(CO_MENTIONS_PER_ENTITY, options)}
    return [{"source": a, "target": b, "types": ["CO_MENTIONED"], "papers": shared[a, b]} for a, b in sorted(kept)]


def view_data(graph: nx.MultiDiGraph, nodes: list[str], *, title: str = "paperkg graph",
              counts: Counter | None = None, focus: str | None = None) -> dict[str, Any]:
    """What the pictures draw for the selected ``nodes`` (JSON-ready); ``focus`` (a
    neighbourhood's centre) is selected when the page opens and outlined on the PNG.

    ``nodes``: id, name, type, papers (count), keys (canonical keys of the name
    and aliases, which the page's search matches as ``paperkg`` does), x, y and
    the side panel's ``details``; ``links``: source and target indexes, the
    relationship types between them (MENTIONS only when nothing more precise
    is stated) and how many papers state them, then ``CO_MENTIONED`` links
    (:func:`_co_mention_links`) that show how the drawn entities go together
    when the papers joining them are not drawn.
    """
    counts = paper_counts(graph) if counts is None else counts
    index = {node: i for i, node in enumerate(nodes)}
    pairs: dict[tuple[int, int], dict[str, Any]] = {}
    for node in nodes:
        for _, end, data in graph.out_edges(node, data=True):
            if end in index:
                link = pairs.setdefault((index[node], index[end]), {"types": set(), "papers": set()})
                link["types"].add(data["type"])
                link["papers"].add(data["paper"])
    links: list[dict[str, Any]] = []  # JSON-ready, as the page reads them
    for (source, target), link in pairs.items():
        types = sorted(link["types"] - {"MENTIONS"}) or ["MENTIONS"]
        links.append({"source": source, "target": target, "types": types, "papers": len(link["papers"] - {""})})
    links += _co_mention_links(graph, nodes, index, set(pairs))
    sizes = [counts[n] for n in nodes]
    positions = _layout(nodes, [(link["source"], link["target"]) for link in links])
    out_nodes = []
    for node, (x, y), size in zip(nodes, positions, sizes):
        data = graph.nodes[node]
        details = _paper_details(graph, node) if data["label"] == PAPER_LABEL else _entity_details(graph, node)
        out_nodes.append({"id": node, "name": node_name(data), "type": data["label"], "papers": size,
                          "keys": data.get("keys", []), "x": x, "y": y, "details": details})
    labels = Counter(d["label"] for _, d in graph.nodes(data=True))
    entity_total = sum(labels[label] for label in ENTITY_LABELS)
    return {"title": title, "colours": TYPE_COLOURS, "nodes": out_nodes, "links": links,
            "focus": index.get(focus) if focus is not None else None,
            "graph": {"papers": labels[PAPER_LABEL], "entities": entity_total}}


# -- HTML page ------------------------------------------------------------------------
def _page_part(name: str) -> str:
    return resources.files("paperkg.graph").joinpath(name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    """JSON that cannot end its <script> element (``</script>``, ``<!--``) or be read as HTML."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def generate_html(data: dict[str, Any]) -> str:
    """The page for :func:`view_data` output: one HTML file, script, style and data inline."""
    from html import escape

    parts = {"title": escape(data["title"]), "data": _script_json(data), "script": _page_part("viz_page.js")}
    # One pass, so a title or name holding "{{script}}" is never expanded.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m[1]], _page_part("viz_page.html"))


def _title(graph: nx.MultiDiGraph, nodes: list[str], around: str | None, hops: int) -> str:
    if around is not None:
        return f"paperkg: {around} and {hops} hop{'s' if hops != 1 else ''} around it"
    entities = sum(1 for n in nodes if graph.nodes[n]["label"] != PAPER_LABEL)
    return f"paperkg: the {entities} entities in the most papers"


def _view(graph: nx.MultiDiGraph, around: str | None, hops: int, top: int) -> dict[str, Any]:
    counts = paper_counts(graph)
    nodes = select(graph, around=around, hops=hops, top=top, counts=counts)
    return view_data(graph, nodes, title=_title(graph, nodes, around, hops), counts=counts,
                     focus=nodes[0] if around is not None else None)


def page_html(graph: nx.MultiDiGraph, *, around: str | None = None, hops: int = 2, top: int = DEFAULT_TOP) -> str:
    """The interactive page of :func:`select` ``(around, hops, top)``."""
    return generate_html(_view(graph, around, hops, top))


def write_html(graph: nx.MultiDiGraph, path: str | os.PathLike, *, around: str | None = None,
               hops: int = 2, top: int = DEFAULT_TOP) -> Path:
    """Write the interactive page of :func:`select` ``(around, hops, top)`` to ``path``."""
    with _atomic_file(path) as out:
        out.write(page_html(graph, around=around, hops=hops, top=top))
    return Path(path)


# -- PNG -------------------------------------------------------------------------------
#: Labels drawn on the PNG: the largest nodes only, so they stay readable.
PNG_LABELS = 25


def _spread_labels(nodes: list[dict[str, Any]], points: list[tuple[float, float]]) -> list[int]:
    """The entities to name on the PNG: biggest first, skipping one too close to a name already placed."""
    placed: list[int] = []
    for i in sorted((i for i, n in enumerate(nodes) if n["type"] != PAPER_LABEL),
                    key=lambda i: (-nodes[i]["papers"], i)):
        x, y = points[i]
        if all(abs(x - points[j][0]) > 0.25 or abs(y - points[j][1]) > 0.07 for j in placed):
            placed.append(i)
            if len(placed) == PNG_LABELS:
                break
    return placed


@contextmanager
def _png_fonts():
    """DejaVu Sans with a fallback for scripts it lacks (CJK) when one is installed, without
    matplotlib's warnings about missing glyphs and font weights."""
    from matplotlib import font_manager, rc_context

    fallbacks = sorted({f.name for f in font_manager.fontManager.ttflist
                        if "CJK" in f.name or f.name in ("Droid Sans Fallback", "WenQuanYi Zen Hei")})
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)
    try:
        with rc_context({"font.family": ["DejaVu Sans", *fallbacks]}), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
            yield
    finally:
        font_log.setLevel(level)


def write_png(graph: nx.MultiDiGraph, path: str | os.PathLike, *, around: str | None = None,
              hops: int = 2, top: int = DEFAULT_TOP, size: tuple[float, float] = (12, 9), dpi: int = 150) -> Path:
    """Draw :func:`select` ``(around, hops, top)`` as a PNG: colour by type, area by
    paper count, names on the largest entities, a legend of the types shown."""
    import_optional("matplotlib", "paperkg viz --png", "'paperkg[png]'")
    # A bare Figure (no pyplot): no global backend switch or figure registry in the caller's process.
    from matplotlib import patheffects
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    data = _view(graph, around, hops, top)
    nodes = data["nodes"]
    points = [(n["x"], n["y"]) for n in nodes]
    order = sorted(range(len(nodes)), key=lambda i: nodes[i]["papers"])  # big nodes drawn last, on top
    most = max([n["papers"] for n in nodes], default=1) or 1
    # Area grows with the square root of the share of the biggest count: hubs stand out, none swamps the rest.
    # ... and a graph whose entities are all in one or two papers draws them small.
    scale = 900 * min(1.0, max(0.2, (most / 10) ** 0.5))
    areas = [40 if n["type"] == PAPER_LABEL else 40 + scale * (n["papers"] / most) ** 0.5 for n in nodes]
    with _png_fonts():
        fig = Figure(figsize=size, dpi=dpi)
        ax = fig.subplots()
        ax.set_axis_off()
        ax.set_title(data["title"], fontsize=14, loc="left")
        for co_mentioned, style in ((False, {"alpha": 0.5}), (True, {"alpha": 0.35, "linestyles": (0, (3, 3))})):
            ax.add_collection(LineCollection(
                [(points[link["source"]], points[link["target"]]) for link in data["links"]
                 if (link["types"] == ["CO_MENTIONED"]) == co_mentioned],
                colors="#9aa0a6", linewidths=0.6, zorder=1, **style))
        focus = data["focus"]
        ax.scatter([points[i][0] for i in order], [points[i][1] for i in order], s=[areas[i] for i in order],
                   c=[TYPE_COLOURS[nodes[i]["type"]] for i in order], zorder=2,
                   edgecolors=["#1f2328" if i == focus else "white" for i in order],
                   linewidths=[2.0 if i == focus else 0.6 for i in order])
        outline = [patheffects.withStroke(linewidth=3, foreground="white")]
        for i in _spread_labels(nodes, points):
            ax.annotate(nodes[i]["name"], points[i], xytext=(0, areas[i] ** 0.5 / 2 + 2), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8, zorder=3, path_effects=outline)
        shown = [t for t in TYPE_COLOURS if any(n["type"] == t for n in nodes)]
        ax.legend(handles=[Line2D([], [], marker="o", linestyle="", color=TYPE_COLOURS[t], label=t, markersize=8)
                           for t in shown], loc="lower left", frameon=False, fontsize=9)
        ax.margins(0.06)
        ax.set_aspect("equal", adjustable="datalim")
        with _atomic_file(path, binary=True) as out:
            fig.savefig(out, format="png", bbox_inches="tight", facecolor="white")
    return Path(path)

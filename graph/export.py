"""Exports of the graph to the formats other tools read.

Every format has a ``generate_<format>(graph)`` that yields the output in
chunks (lines, or one node or relationship at a time, so nothing but the graph
itself is held in memory; the csv relationship files group references to the
edges first, a Cypher batch holds at most :data:`CYPHER_BATCH` rows) and a
``write_<format>(graph, path)`` that writes it atomically. :func:`export_graph` picks one by name from :data:`EXPORT_FORMATS`.

>>> from paperkg.graph.store import build_graph
>>> from paperkg.extractors.records import Extraction, Paper, Entity, Relation
>>> paper = Paper(id="arxiv:2401.00001", title="T", abstract="We evaluate on GSM8K.")
>>> rel = Relation("PAPER", "EVALUATES_ON", "GSM8K", "We evaluate on GSM8K.", 3, 24, "rules", 0.9)
>>> g = build_graph([Extraction(paper, [Entity("gsm8k", "GSM8K", "Benchmark")], [rel])])
>>> import json
>>> sorted(json.loads(line)["predicate"] for line in generate_jsonl(g))
['EVALUATES_ON', 'MENTIONS']

The formats and how the graph maps onto each:

``graphml`` / ``gexf``
    GraphML (Cytoscape, Gephi, yEd, ``nx.read_graphml``) and GEXF 1.3 (Gephi,
    ``nx.read_gexf``). Their attributes are scalars only, so the list
    attributes (:data:`LIST_ATTRIBUTES`: ``authors``, ``sources``, ``aliases``,
    ``keys``) are JSON text (``'["DPO"]'``); :func:`restore_lists` turns them
    back. GraphML edges carry the multigraph key as the attribute ``key``
    (which ``nx.read_graphml`` uses as the edge key); GEXF edges carry it as
    ``networkx_key``, as ``nx.write_gexf`` does. In GEXF a node's ``label`` is
    its display name (what Gephi draws) and its paperkg label is the
    attribute ``type``. Characters XML 1.0 cannot hold (control characters
    other than tab, newline and carriage return) are dropped.
``json``
    Node-link JSON (``nx.node_link_graph(data, edges="edges")``, D3), one
    node or edge per line; it is also a graph file ``paperkg --graph`` reads.
``csv``
    A directory of ``neo4j-admin database import`` files: one node file per
    label (``Paper.csv``, ``Model.csv`` ...) whose ``id:ID(<Label>)`` column
    puts each label in its own id space, and one relationship file per
    (start label, type, end label), e.g. ``Paper-EVALUATES_ON-Benchmark.csv``
    with ``:START_ID(Paper)`` and ``:END_ID(Benchmark)``. Columns are typed
    (``upvotes:long``, ``confidence:double``, ``aliases:string[]``); strings
    are always quoted (``""`` inside), an empty unquoted cell is a missing
    property. The files are written into a temporary directory that takes the
    place of the output directory at the end (:func:`write_csv`). neo4j-admin stores no empty array, so an empty list (a paper
    with no ``sources``, an entity with no ``aliases``) is an empty cell and
    the property is absent in Neo4j (``coalesce(n.aliases, [])`` reads it). ``import.sh`` beside them holds the matching
    ``neo4j-admin database import full`` command (:func:`neo4j_admin_command`).
``cypher``
    A script for ``cypher-shell -f``: uniqueness constraints, then
    ``UNWIND [{...}, ...] AS row MERGE ...`` statements of at most
    :data:`CYPHER_BATCH` rows (:func:`cypher_statements`). Running it twice
    leaves the same database: nodes are merged on ``id`` and their properties
    replaced, relationships are merged on (start, type, end, ``paper``).
``jsonl``
    One relationship per line as a triple: ``subject``, ``predicate``,
    ``object`` (node ids), ``subject_name``, ``object_name``, ``subject_label``,
    ``object_label``, ``evidence``, ``paper`` and the other relationship
    properties. Nodes with no relationship do not appear.
``turtle``
    RDF Turtle in the vocabulary :data:`VOCAB` (prefix ``pkg:``, see
    :func:`generate_turtle`).
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
import sys
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

import networkx as nx

from paperkg.extractors.errors import PaperkgError, UsageError
from paperkg.extractors.files import staged_directory, umask

from .catalogue import schema_statements
from .model import (
    ENTITY_LABEL,
    ENTITY_LABELS,
    LABELS,
    PAPER_LABEL,
    RELATIONSHIP_TYPES,
    RESULT_LABEL,
    batches,
    node_labels,
    node_records,
    relationship_records,
)
from .store import FORMAT_VERSION

__all__ = [
    "ExportError",
    "EXPORT_FORMATS",
    "LIST_ATTRIBUTES",
    "CYPHER_BATCH",
    "VOCAB",
    "node_name",
    "restore_lists",
    "generate_graphml",
    "write_graphml",
    "generate_gexf",
    "write_gexf",
    "generate_json",
    "write_json",
    "generate_csv",
    "write_csv",
    "neo4j_admin_command",
    "cypher_statements",
    "cypher_literal",
    "generate_cypher",
    "write_cypher",
    "generate_jsonl",
    "write_jsonl",
    "generate_turtle",
    "write_turtle",
    "export_graph",
]

#: Attributes that hold lists (JSON text in GraphML and GEXF); a MENTIONS edge has ``aliases`` too.
LIST_ATTRIBUTES = ("authors", "sources", "aliases", "keys")
#: Rows per ``UNWIND`` statement of the Cypher script.
CYPHER_BATCH = 500
#: The namespace of the RDF vocabulary.
VOCAB = "https://paperkg.dev/vocab#"
#: Where node IRIs live: ``<RESOURCE>paper/<id>``, ``<RESOURCE>entity/<id>`` and ``<RESOURCE>result/<id>``.
RESOURCE = "https://paperkg.dev/id/"


class ExportError(PaperkgError):
    """The graph holds something the format cannot write (a label or type outside the model's)."""


def node_name(data: dict[str, Any]) -> str:
    """What a node is called: an entity's name, a paper's title.

    >>> node_name({"label": "Benchmark", "id": "gsm8k", "name": "GSM8K"})
    'GSM8K'
    """
    return data.get("name") or data.get("title") or data.get("id", "")


def restore_lists(graph: nx.Graph) -> nx.Graph:
    """Decode the JSON-text list attributes (of nodes and edges) of a graph read from GraphML or GEXF, in place.

    >>> g = nx.Graph(); g.add_node("dpo", aliases='["DPO"]')
    >>> restore_lists(g).nodes["dpo"]["aliases"]
    ['DPO']
    """
    for data in (*(d for _, d in graph.nodes(data=True)), *(d for *_, d in graph.edges(data=True))):
        for name in LIST_ATTRIBUTES:
            if isinstance(data.get(name), str):
                data[name] = json.loads(data[name])
    return graph


# -- shared helpers ------------------------------------------------------------
def _scalar_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, (list, tuple)):
        return "list"
    return "string"


def _attribute_kinds(items: Iterable[dict[str, Any]], skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Attribute name -> kind over all ``items``; int mixed with float is double."""
    kinds: dict[str, str] = {}
    for data in items:
        for name, value in data.items():
            if name in skip or value is None:
                continue
            kind = _scalar_kind(value)
            seen = kinds.setdefault(name, kind)
            if seen != kind:
                kinds[name] = "double" if {seen, kind} == {"long", "double"} else "string"
    return kinds


@contextmanager
def _atomic_file(path: str | os.PathLike, *, binary: bool = False):
    """A UTF-8 text (or binary) file that replaces ``path`` only once it is completely written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as out:
            yield out
        os.chmod(tmp, 0o666 & ~umask())  # mkstemp makes it private; the result is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_chunks(chunks: Iterable[str], path: str | os.PathLike) -> None:
    with _atomic_file(path) as out:
        out.writelines(chunks)


# -- GraphML and GEXF ------------------------------------------------------------
# XML 1.0 cannot hold most C0 controls, not even as character references.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(value: str) -> str:
    # A raw CR would be read back as LF: keep it as a character reference.
    return escape(_XML_INVALID.sub("", value)).replace("\r", "&#13;")


def _xml_attr(value: str) -> str:
    return quoteattr(_XML_INVALID.sub("", value), {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _xml_value(value: Any, kind: str) -> str:
    if kind == "list":
        return json.dumps(list(value), ensure_ascii=False)
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "double":
        return repr(float(value))
    return str(value)


_XML_TYPE = {"list": "string", "string": "string", "boolean": "boolean", "long": "long", "double": "double"}


def generate_graphml(graph: nx.MultiDiGraph) -> Iterator[str]:
    """The graph as GraphML, one line per key, node and edge.

    Edges have no GraphML ``id`` (the multigraph keys repeat across node
    pairs); their key is the data attribute ``key``.
    """
    node_kinds = _attribute_kinds({**d, "id": n} for n, d in graph.nodes(data=True))
    edge_kinds = _attribute_kinds(d for _, _, d in graph.edges(data=True))
    edge_kinds["key"] = "string"
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
    node_ids: dict[str, str] = {}
    edge_ids: dict[str, str] = {}
    for domain, kinds, ids, prefix in (("node", node_kinds, node_ids, "n"), ("edge", edge_kinds, edge_ids, "e")):
        for i, (name, kind) in enumerate(kinds.items()):
            ids[name] = f"{prefix}{i}"
            yield (f'  <key id="{prefix}{i}" for="{domain}" attr.name={_xml_attr(name)} '
                   f'attr.type="{_XML_TYPE[kind]}"/>\n')
    yield '  <graph id="paperkg" edgedefault="directed">\n'
    for node, data in graph.nodes(data=True):
        values = "".join(f'<data key="{node_ids[k]}">{_xml_text(_xml_value(v, node_kinds[k]))}</data>'
                         for k, v in {**data, "id": node}.items() if v is not None)
        yield f"    <node id={_xml_attr(node)}>{values}</node>\n"
    for start, end, key, data in graph.edges(keys=True, data=True):
        values = "".join(f'<data key="{edge_ids[k]}">{_xml_text(_xml_value(v, edge_kinds[k]))}</data>'
                         for k, v in {**data, "key": key}.items() if v is not None)
        yield f"    <edge source={_xml_attr(start)} target={_xml_attr(end)}>{values}</edge>\n"
    yield "  </graph>\n</graphml>\n"


def write_graphml(graph: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write :func:`generate_graphml` to ``path``; read it back with ``nx.read_graphml`` + :func:`restore_lists`."""
    _write_chunks(generate_graphml(graph), path)


def generate_gexf(graph: nx.MultiDiGraph) -> Iterator[str]:
    """The graph as GEXF 1.3, one line per attribute, node and edge.

    A node's GEXF ``label`` is :func:`node_name`; its paperkg label is the
    attribute ``type``. An edge's multigraph key is the attribute ``networkx_key``.
    """
    node_kinds = _attribute_kinds(({"type": d["label"], **d, "id": n} for n, d in graph.nodes(data=True)),
                                  skip=("label",))
    edge_kinds = _attribute_kinds(d for _, _, d in graph.edges(data=True))
    edge_kinds["networkx_key"] = "string"
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield ('<gexf xmlns="http://gexf.net/1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">\n')
    yield '  <meta><creator>paperkg</creator><description>paperkg knowledge graph</description></meta>\n'
    yield '  <graph defaultedgetype="directed" mode="static" name="paperkg">\n'
    node_ids: dict[str, str] = {}
    edge_ids: dict[str, str] = {}
    for domain, kinds, ids in (("node", node_kinds, node_ids), ("edge", edge_kinds, edge_ids)):
        yield f'    <attributes class="{domain}" mode="static">\n'
        for i, (name, kind) in enumerate(kinds.items()):
            ids[name] = str(i)
            yield f'      <attribute id="{i}" title={_xml_attr(name)} type="{_XML_TYPE[kind]}"/>\n'
        yield "    </attributes>\n"
    yield "    <nodes>\n"
    for node, data in graph.nodes(data=True):
        values = {"type": data["label"], **{k: v for k, v in data.items() if k != "label"}, "id": node}
        attvalues = "".join(f'<attvalue for="{node_ids[k]}" value={_xml_attr(_xml_value(v, node_kinds[k]))}/>'
                            for k, v in values.items() if v is not None)
        yield (f"      <node id={_xml_attr(node)} label={_xml_attr(node_name(data))}>"
               f"<attvalues>{attvalues}</attvalues></node>\n")
    yield "    </nodes>\n    <edges>\n"
    for i, (start, end, key, data) in enumerate(graph.edges(keys=True, data=True)):
        attvalues = "".join(f'<attvalue for="{edge_ids[k]}" value={_xml_attr(_xml_value(v, edge_kinds[k]))}/>'
                            for k, v in {**data, "networkx_key": key}.items() if v is not None)
        yield (f'      <edge id="{i}" source={_xml_attr(start)} target={_xml_attr(end)} '
               f'label={_xml_attr(data["type"])}><attvalues>{attvalues}</attvalues></edge>\n')
    yield "    </edges>\n  </graph>\n</gexf>\n"


def write_gexf(graph: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write :func:`generate_gexf` to ``path``; read it back with ``nx.read_gexf`` + :func:`restore_lists`."""
    _write_chunks(generate_gexf(graph), path)


# -- node-link JSON --------------------------------------------------------------
def generate_json(graph: nx.MultiDiGraph) -> Iterator[str]:
    """The graph as node-link JSON (the store's file format), one node or edge per line."""
    dump = lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    yield '{"directed":true,"multigraph":true,'
    yield f'"graph":{dump({"name": "paperkg", "format": FORMAT_VERSION})},\n"nodes":['
    for i, (node, data) in enumerate(graph.nodes(data=True)):
        yield ("\n" if i == 0 else ",\n") + dump({**data, "id": node})
    yield '\n],\n"edges":['
    for i, (start, end, key, data) in enumerate(graph.edges(keys=True, data=True)):
        yield ("\n" if i == 0 else ",\n") + dump({**data, "source": start, "target": end, "key": key})
    yield "\n]}\n"


def write_json(graph: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write :func:`generate_json` to ``path``."""
    _write_chunks(generate_json(graph), path)


# -- neo4j-admin CSV -------------------------------------------------------------
_CSV_TYPE = {"string": "string", "boolean": "boolean", "long": "long", "double": "double", "list": "string[]"}
# The first of these that no list element contains separates array elements (neo4j-admin has
# no escape inside an array cell); past the C0 separators come the private-use characters.
_ARRAY_DELIMITERS = (";", "|", "\u001f", "\u001e", "\u001d", "\u001c", *map(chr, range(0xE000, 0xF900)))


def _csv_cell(value: Any, kind: str, array_delimiter: str) -> str:
    # An empty list is an empty cell like a missing value: neo4j-admin skips an
    # empty array (it stores no empty array property), so the property is absent.
    if value is None or (kind == "list" and not value):
        return ""
    if kind == "list":
        value = array_delimiter.join(map(str, value))
    elif kind == "boolean":
        return "true" if value else "false"
    elif kind in ("long", "double"):
        return repr(value)
    return '"' + str(value).replace('"', '""') + '"'


def _csv_array_delimiter(graph: nx.MultiDiGraph) -> str:
    candidates, used = frozenset(_ARRAY_DELIMITERS), set[str]()
    attributes = (*(data for _, data in graph.nodes(data=True)), *(data for _, _, data in graph.edges(data=True)))
    for data in attributes:
        for value in data.values():
            if isinstance(value, (list, tuple)):
                for item in value:
                    used.update(candidates.intersection(str(item)))
    return next(c for c in _ARRAY_DELIMITERS if c not in used)


def _check_csv_vocabulary(graph: nx.MultiDiGraph) -> None:
    """Labels and types name the files and id spaces: only the model's own may (a crafted
    ``../x`` would write outside the directory)."""
    for node, data in graph.nodes(data=True):
        if data.get("label") not in LABELS:
            raise ExportError(f"node {node!r} has label {data.get('label')!r}; the csv export takes only "
                             f"{', '.join(LABELS)} (they name its files)")
    for start, end, data in graph.edges(data=True):
        if data.get("type") not in RELATIONSHIP_TYPES:
            raise ExportError(f"relationship {start!r}->{end!r} has type {data.get('type')!r}; the csv export "
                             f"takes only {', '.join(RELATIONSHIP_TYPES)} (they name its files)")


def _csv_lines(header: list[str], rows: Iterable[list[str]]) -> Iterator[str]:
    yield ",".join(header) + "\n"
    for row in rows:
        yield ",".join(row) + "\n"


def _csv_node_file(graph: nx.MultiDiGraph, label: str, delimiter: str) -> Iterator[str]:
    # Two passes over the label's nodes (column types, then rows): nothing is copied.
    kinds = _attribute_kinds((r.properties for r in node_records(graph, label)), skip=("id",))
    header = [f"id:ID({label})", *(f"{k}:{_CSV_TYPE[v]}" for k, v in kinds.items()), ":LABEL"]
    labels_cell = delimiter.join(node_labels(label))
    rows = ([_csv_cell(r.id, "string", delimiter),
             *(_csv_cell(r.properties.get(k), v, delimiter) for k, v in kinds.items()), labels_cell]
            for r in node_records(graph, label))
    return _csv_lines(header, rows)


#: The csv export's copy of the schema: constraints and indexes to create once the database runs.
SCHEMA_FILE = "schema.cypher"


def generate_csv(graph: nx.MultiDiGraph) -> Iterator[tuple[str, Iterator[str]]]:
    """``(file name, lines)`` of every neo4j-admin import file, node files first.

    Node files stream from the graph; relationship files hold only references
    to the graph's edges, grouped by (start label, type, end label). Then
    ``schema.cypher``: the constraints and indexes of ``cypher/schema.cypher``, which
    neo4j-admin does not create. The last file is ``import.sh``: :func:`neo4j_admin_command`
    for these files. A label or type
    outside the model's vocabulary is an :class:`ExportError` before the first file.
    """
    _check_csv_vocabulary(graph)
    delimiter = _csv_array_delimiter(graph)
    present = {data["label"] for _, data in graph.nodes(data=True)}
    node_files, rel_files = [], []
    for label in (label for label in LABELS if label in present):
        node_files.append(f"{label}.csv")
        yield node_files[-1], _csv_node_file(graph, label, delimiter)
    nodes = graph.nodes
    edges_by_group: dict[tuple[str, str, str], list] = defaultdict(list)
    for start, end, data in graph.edges(data=True):
        edges_by_group[nodes[start]["label"], data["type"], nodes[end]["label"]].append((start, end, data))
    for (start_label, rel_type, end_label), edges in sorted(edges_by_group.items()):
        kinds = _attribute_kinds((data for _, _, data in edges), skip=("type",))
        header = [f":START_ID({start_label})", f":END_ID({end_label})",
                  *(f"{k}:{_CSV_TYPE[v]}" for k, v in kinds.items()), ":TYPE"]
        rows = ([_csv_cell(start, "string", delimiter), _csv_cell(end, "string", delimiter),
                 *(_csv_cell(data.get(k), v, delimiter) for k, v in kinds.items()), rel_type]
                for start, end, data in edges)
        rel_files.append(f"{start_label}-{rel_type}-{end_label}.csv")
        yield rel_files[-1], _csv_lines(header, rows)
    yield SCHEMA_FILE, (statement + ";\n" for statement in schema_statements())
    options = " ".join(_neo4j_admin_options(node_files, rel_files, delimiter))
    yield "import.sh", iter(['#!/bin/sh\n# Load these files into a new or replaced database: sh import.sh [DATABASE]\n',
                             f'# Then, with the database started: cypher-shell -d DATABASE -f {SCHEMA_FILE}\n',
                             'cd "$(dirname "$0")" || exit 1\n',
                             f'exec neo4j-admin database import full "${{1:-neo4j}}" {options}\n'])


def _neo4j_admin_options(node_files: Iterable[str], relationship_files: Iterable[str],
                         array_delimiter: str) -> list[str]:
    delimiter = array_delimiter if array_delimiter.isprintable() else f"U+{ord(array_delimiter):04X}"
    return ["--overwrite-destination", "--multiline-fields=true", f"--array-delimiter={shlex.quote(delimiter)}",
            *(f"--nodes={shlex.quote(f)}" for f in node_files),
            *(f"--relationships={shlex.quote(f)}" for f in relationship_files)]


def neo4j_admin_command(node_files: Iterable[str], relationship_files: Iterable[str], *,
                        database: str = "neo4j", array_delimiter: str = ";") -> str:
    """The ``neo4j-admin database import full`` command for files :func:`write_csv` wrote,
    run in their directory. ``--overwrite-destination`` replaces ``database``.

    >>> neo4j_admin_command(["Paper.csv"], ["Paper-MENTIONS-Model.csv"])
    "neo4j-admin database import full neo4j --overwrite-destination --multiline-fields=true --array-delimiter=';' --nodes=Paper.csv --relationships=Paper-MENTIONS-Model.csv"
    """
    return " ".join(["neo4j-admin database import full", shlex.quote(database),
                     *_neo4j_admin_options(node_files, relationship_files, array_delimiter)])


def _is_csv_export(path: Path) -> bool:
    return path.name in ("import.sh", SCHEMA_FILE) or (path.suffix == ".csv" and path.is_file())


def write_csv(graph: nx.MultiDiGraph, directory: str | os.PathLike) -> list[Path]:
    """Write the neo4j-admin import files into ``directory``; return their paths.

    The files are written into a temporary directory beside it, which then
    takes its place: a failed export leaves no half export and no temporary
    files. ``directory`` may be new, empty, or an earlier csv export (replaced
    whole); a directory holding anything else is refused.
    """
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: the csv export writes a directory of files; give a directory path")
    foreign = [p.name for p in directory.iterdir() if not _is_csv_export(p)] if directory.exists() else []
    if foreign:
        raise UsageError(f"{directory}: holds {', '.join(sorted(foreign)[:3])}, which a csv export would replace; "
                         f"give a new or empty directory, or one an earlier csv export wrote")
    names = []
    with staged_directory(directory) as staging:
        for name, lines in generate_csv(graph):
            _write_chunks(lines, staging / name)
            names.append(name)
    return [directory / name for name in names]


# -- Cypher script ---------------------------------------------------------------
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CYPHER_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_CYPHER_SPECIAL = re.compile(r"[\\'\x00-\x1f\x7f\u2028\u2029]")


def _cypher_string(text: str) -> str:
    return "'" + _CYPHER_SPECIAL.sub(
        lambda m: _CYPHER_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04x}"), text) + "'"


def cypher_literal(value: Any) -> str:
    """``value`` as a Cypher literal (strings single-quoted and escaped, maps, lists, numbers, booleans).

    >>> print(cypher_literal({"name": "it's", "years": [2023, 2024], "score": 0.5}))
    {name: 'it\\'s', years: [2023, 2024], score: 0.5}
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no Cypher literal")
        return repr(value)
    if isinstance(value, str):
        return _cypher_string(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_cypher_name(k)}: {cypher_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(cypher_literal, value)) + "]"
    raise TypeError(f"no Cypher literal for {type(value).__name__} {value!r}")


def _cypher_name(name: str) -> str:
    return name if _IDENTIFIER.match(name) else "`" + name.replace("`", "``") + "`"


def _cypher_kind(label: str) -> str:
    return label if label in (PAPER_LABEL, RESULT_LABEL) else ENTITY_LABEL


def cypher_statements(graph: nx.MultiDiGraph, *, batch_size: int = CYPHER_BATCH) -> Iterator[str]:
    """The statements of the Cypher script, without the closing ``;``: the schema of
    ``cypher/schema.cypher`` (as ``paperkg neo4j load`` creates it), then the nodes and relationships.

    Labels and relationship types come from the model's fixed vocabulary; all
    values are literals in the ``UNWIND`` list. Statements stream: at most one
    batch per (start, end) kind of one relationship type is held at a time.

    >>> from paperkg.graph.model import new_graph
    >>> g = new_graph(); g.add_node("gsm8k", label="Benchmark", id="gsm8k", name="GSM8K")
    >>> print(list(cypher_statements(g))[-1])
    UNWIND [{id: 'gsm8k', name: 'GSM8K'}] AS row
    MERGE (n:Entity {id: row.id})
    REMOVE n:Model:Method:Dataset:Task:Metric
    SET n:Benchmark, n = row
    """
    yield from schema_statements()
    for label in LABELS:
        rows = ({**record.properties, "id": record.id} for record in node_records(graph, label))
        for batch in batches(rows, batch_size):
            if label in (PAPER_LABEL, RESULT_LABEL):
                yield f"UNWIND {cypher_literal(batch)} AS row\nMERGE (n:{label} {{id: row.id}})\nSET n = row"
            else:
                others = ":".join(other for other in ENTITY_LABELS if other != label)
                yield (f"UNWIND {cypher_literal(batch)} AS row\nMERGE (n:{ENTITY_LABEL} {{id: row.id}})\n"
                       f"REMOVE n:{others}\nSET n:{label}, n = row")
    nodes = graph.nodes

    def statement(start_kind: str, rel_type: str, end_kind: str, batch: list) -> str:
        return (f"UNWIND {cypher_literal(batch)} AS row\n"
                f"MATCH (a:{start_kind} {{id: row.start}})\nMATCH (b:{end_kind} {{id: row.end}})\n"
                f"MERGE (a)-[r:{rel_type} {{paper: row.props.paper}}]->(b)\nSET r = row.props")

    for rel_type in RELATIONSHIP_TYPES:
        pending: dict[tuple[str, str], list] = defaultdict(list)
        for record in relationship_records(graph, rel_type):
            kinds = (_cypher_kind(nodes[record.start]["label"]), _cypher_kind(nodes[record.end]["label"]))
            pending[kinds].append({"start": record.start, "end": record.end, "props": record.properties})
            if len(pending[kinds]) == batch_size:
                yield statement(kinds[0], rel_type, kinds[1], pending.pop(kinds))
        for (start_kind, end_kind), batch in sorted(pending.items()):
            yield statement(start_kind, rel_type, end_kind, batch)


def generate_cypher(graph: nx.MultiDiGraph, *, batch_size: int = CYPHER_BATCH) -> Iterator[str]:
    """The Cypher script: :func:`cypher_statements`, each closed by ``;``."""
    yield "// paperkg graph: run with  cypher-shell -f FILE  (idempotent: MERGE on ids)\n"
    for statement in cypher_statements(graph, batch_size=batch_size):
        yield statement + ";\n"


def write_cypher(graph: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write :func:`generate_cypher` to ``path``."""
    _write_chunks(generate_cypher(graph), path)


# -- JSON Lines of triples ----------------------------------------------------------
def generate_jsonl(graph: nx.MultiDiGraph) -> Iterator[str]:
    """One JSON line per relationship: the triple, its evidence and its other properties."""
    nodes = graph.nodes
    for record in relationship_records(graph):
        start, end = nodes[record.start], nodes[record.end]
        props = record.properties
        triple = {
            "subject": record.start, "predicate": record.type, "object": record.end,
            "subject_name": node_name(start), "subject_label": start["label"],
            "object_name": node_name(end), "object_label": end["label"],
            "evidence": props.get("evidence"), "paper": props.get("paper"),
            **{k: v for k, v in props.items() if k not in ("evidence", "paper")},
        }
        yield json.dumps(triple, ensure_ascii=False) + "\n"


def write_jsonl(graph: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write :func:`generate_jsonl` to ``path``."""
    _write_chunks(generate_jsonl(graph), path)


# -- RDF Turtle -------------------------------------------------------------------
_TURTLE_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_TURTLE_SPECIAL = re.compile(r'[\\"\x00-\x1f\x7f]')
_XSD = "http://www.w3.org/2001/XMLSchema#"


def _turtle_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f'"{value!r}"^^xsd:double'
    text = _TURTLE_SPECIAL.sub(lambda m: _TURTLE_ESCAPES.get(m.group(), f"\\u{ord(m.group()):04X}"), str(value))
    return f'"{text}"'


def _node_iri(node: str, label: str) -> str:
    kind = label.lower() if label in (PAPER_LABEL, RESULT_LABEL) else "entity"
    return f"<{RESOURCE}{kind}/{quote(node, safe=':')}>"


def generate_turtle(graph: nx.MultiDiGraph) -> Iterator[str]:
    """The graph as RDF Turtle, one subject per chunk.

    The vocabulary (``pkg:`` = :data:`VOCAB`):

    * node ``<https://paperkg.dev/id/paper/ID>``, ``.../entity/ID`` or ``.../result/ID``
      (ID percent-encoded), ``a pkg:Paper``, ``a pkg:Entity, pkg:<Type>`` or ``a pkg:Result``;
      ``rdfs:label`` is its name or title, ``pkg:id`` its id;
    * each property is ``pkg:<name>``; ``authors`` is an ordered RDF list
      (``pkg:authors ( "A" "B" )``); the other lists (aliases, keys, sources)
      are repeated values (``pkg:aliases "DPO", "D.P.O."``);
    * each relationship is the triple ``<start> pkg:<TYPE> <end>`` plus a
      standard RDF reification carrying its properties::

        [] a rdf:Statement ; rdf:subject <start> ; rdf:predicate pkg:<TYPE> ;
           rdf:object <end> ; pkg:paper "arxiv:..." ; pkg:evidence "..." ; ...
    """
    yield (f"@prefix pkg: <{VOCAB}> .\n@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
           f"@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n@prefix xsd: <{_XSD}> .\n\n")
    for node, data in graph.nodes(data=True):
        label = data["label"]
        classes = ", ".join(f"pkg:{name}" for name in node_labels(label))
        lines = [f"{_node_iri(node, label)} a {classes}", f"rdfs:label {_turtle_literal(node_name(data))}",
                 f"pkg:id {_turtle_literal(node)}"]
        for name, value in data.items():
            if name in ("label", "id") or value is None or value == []:
                continue
            if name == "authors":
                lines.append(f"pkg:authors ( {' '.join(map(_turtle_literal, value))} )")
            elif isinstance(value, list):
                lines.append(f"pkg:{name} {', '.join(map(_turtle_literal, value))}")
            else:
                lines.append(f"pkg:{name} {_turtle_literal(value)}")
        yield " ;\n    ".join(lines) + " .\n"
    nodes = graph.nodes
    for record in relationship_records(graph):
        start = _node_iri(record.start, nodes[record.start]["label"])
        end = _node_iri(record.end, nodes[record.end]["label"])
        props = "".join(f" ;\n    pkg:{k} {_turtle_literal(v)}" for k, v in record.properties.items() if v is not None)
        yield (f"{start} pkg:{record.type} {end} .\n[] a rdf:Statement ;\n    rdf:subject {start} ;\n"
               f"    rdf:predicate pkg:{record.type} ;\n    rdf:object {end}{props} .\n")


def write_turtle(graph: nx.MultiDiGraph, path: str | os.PathLike) -> None:
    """Write :func:`generate_turtle` to ``path``."""
    _write_chunks(generate_turtle(graph), path)


# -- dispatcher -------------------------------------------------------------------
_GENERATORS: dict[str, Callable[[nx.MultiDiGraph], Iterator[str]]] = {
    "graphml": generate_graphml,
    "gexf": generate_gexf,
    "json": generate_json,
    "cypher": generate_cypher,
    "jsonl": generate_jsonl,
    "turtle": generate_turtle,
}
#: Format names :func:`export_graph` accepts.
EXPORT_FORMATS = ("graphml", "gexf", "json", "csv", "cypher", "jsonl", "turtle")


def export_graph(graph: nx.MultiDiGraph, format: str, path: str | os.PathLike) -> list[Path]:
    """Export ``graph`` in ``format`` to ``path`` (a directory for csv; ``-`` is stdout
    for the others); return the files written.

    >>> export_graph(nx.MultiDiGraph(), "dot", "g.dot")
    Traceback (most recent call last):
    ...
    paperkg.extractors.errors.UsageError: unknown export format 'dot'; choose one of graphml, gexf, json, csv, cypher, jsonl, turtle
    """
    if format not in EXPORT_FORMATS:
        raise UsageError(f"unknown export format {format!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    if format == "csv":
        if str(path) == "-":
            raise UsageError("the csv export writes a directory of files; give a directory, not '-'")
        return write_csv(graph, path)
    if Path(path).is_dir():
        raise UsageError(f"{path}: is a directory; the {format} export writes one file")
    chunks = _GENERATORS[format](graph)
    if str(path) == "-":
        sys.stdout.writelines(chunks)
        return []
    _write_chunks(chunks, path)
    return [Path(path)]

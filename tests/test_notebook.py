"""Notebook and library use: tables, an inline page, entity lookup, GraphRAG records."""

import html
import subprocess
import sys

import pytest

from paperkg.extractors.records import Entity, Extraction, Paper, Relation
from paperkg.graph.notebook import find_entity, show, to_dataframes, to_graphrag
from paperkg.graph.query import UnknownEntity
from paperkg.graph.store import build_graph


@pytest.fixture(scope="module")
def graph():
    paper = Paper(id="arxiv:2401.00001", title="StepTune: Tuning Steps", abstract="We propose StepTune. We evaluate on GSM8K.",
                  authors=["Ada Lovelace"])
    entities = [Entity("steptune", "StepTune", "Method"), Entity("gsm8k", "GSM8K", "Benchmark", aliases=["GSM-8K"])]
    relations = [Relation("PAPER", "PROPOSES", "StepTune", "We propose StepTune.", 24, 44, "propose", 0.9),
                 Relation("PAPER", "EVALUATES_ON", "GSM8K", "We evaluate on GSM8K.", 45, 66, "evaluate-on", 0.8)]
    return build_graph([Extraction(paper, entities, relations)])


def test_notebook_dataframes_hold_every_node_and_relationship(graph):
    frames = to_dataframes(graph)
    assert len(frames.nodes) == graph.number_of_nodes() and len(frames.edges) == graph.number_of_edges()
    assert list(frames.nodes.columns[:2]) == ["id", "label"]
    assert list(frames.edges.columns[:3]) == ["source", "target", "type"]
    gsm8k = frames.nodes.set_index("id").loc["gsm8k"]
    assert (gsm8k["label"], gsm8k["name"], gsm8k["keys"]) == ("Benchmark", "GSM8K", graph.nodes["gsm8k"]["keys"])
    evaluates = frames.edges[frames.edges["type"] == "EVALUATES_ON"].iloc[0]
    assert (evaluates["source"], evaluates["target"], evaluates["evidence"]) == ("arxiv:2401.00001", "gsm8k",
                                                                                  "We evaluate on GSM8K.")


@pytest.mark.parametrize(
    "call, missing, says",
    [
        ("to_dataframes(graph)", "pandas", "to_dataframes needs pandas, which is not installed: pip install 'paperkg[notebook]'"),
        ("to_graphrag(graph)", "neo4j_graphrag", "to_graphrag needs neo4j_graphrag, which is not installed: pip install 'paperkg[graphrag]'"),
        ("write_png(graph, 'g.png')", "matplotlib", "paperkg viz --png needs matplotlib, which is not installed: pip install 'paperkg[png]'"),
    ],
)
def test_notebook_missing_optional_package_is_one_clear_error(call, missing, says, tmp_path):
    # A None entry in sys.modules makes `import` fail as if the package were not installed.
    code = f"""
import sys
sys.modules[{missing!r}] = None
from paperkg.extractors.errors import PaperkgError
from paperkg.graph.model import new_graph
from paperkg.graph.notebook import to_dataframes, to_graphrag
from paperkg.graph.viz import write_png
graph = new_graph()
try:
    {call}
except PaperkgError as err:
    print(err)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.stdout.strip() == says, done.stderr


@pytest.mark.parametrize("name, found", [("GSM8K", "gsm8k"), ("gsm-8k", "gsm8k"), ("steptune", "steptune")])
def test_notebook_find_entity_by_name_or_alias(graph, name, found):
    entity = find_entity(graph, name)
    assert entity["id"] == found and entity["label"] != "Paper"


def test_notebook_find_entity_names_the_closest_when_unknown(graph):
    with pytest.raises(UnknownEntity, match="no entity is named 'GSM9K'; the closest names: GSM8K"):
        find_entity(graph, "GSM9K")


def test_notebook_show_renders_the_self_contained_page_inline(graph):
    view = show(graph, around="GSM8K", hops=1)
    frame = view._repr_html_()
    assert frame.startswith("<iframe ") and 'sandbox="allow-scripts"' in frame
    page = html.unescape(frame.split('srcdoc="', 1)[1].split('"', 1)[0])
    assert page == view.html and page.lstrip().lower().startswith("<!doctype html>")
    assert "GSM8K" in page and "StepTune" in page


def test_notebook_graphrag_records_carry_every_node_and_relationship(graph):
    pytest.importorskip("neo4j_graphrag")
    records = to_graphrag(graph)
    assert len(records.nodes) == graph.number_of_nodes() and len(records.relationships) == graph.number_of_edges()
    gsm8k = next(node for node in records.nodes if node.id == "gsm8k")
    assert (gsm8k.label, gsm8k.properties["name"], gsm8k.properties["keys"]) == ("Benchmark", "GSM8K",
                                                                                graph.nodes["gsm8k"]["keys"])
    assert {(r.start_node_id, r.type, r.end_node_id) for r in records.relationships} >= {
        ("arxiv:2401.00001", "EVALUATES_ON", "gsm8k"), ("arxiv:2401.00001", "PROPOSES", "steptune")}


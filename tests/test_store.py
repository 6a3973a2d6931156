import json
import os
from pathlib import Path

import pytest

from paperkg.extractors.errors import InputError, OutputError, UsageError
from paperkg.extractors.records import Entity, Extraction, Paper, Relation
from paperkg.graph.build import build
from paperkg.graph.store import GraphBuilder, build_graph, generate_graph_json, read_graph, refuse_same_file, write_graph


def paper(pid="title:a", title="Paper A", abstract="We evaluate on GSM8K."):
    return Paper(id=pid, title=title, abstract=abstract)


def rel(head, rtype, tail):
    return Relation(head, rtype, tail, "evidence", 0, 8, "test", 0.8)


def extraction_a():
    return Extraction(
        paper(),
        [Entity("gsm8k", "GSM8K", "Benchmark"), Entity("llama38b", "LLaMA-3-8B", "Model")],
        [rel("PAPER", "EVALUATES_ON", "GSM8K"), rel("PAPER", "USES", "LLaMA-3-8B")],
    )


def snapshot(graph):
    return (sorted(graph.nodes(data=False)), sorted((u, v, k) for u, v, k in graph.edges(keys=True)))


def test_store_build_is_idempotent():
    graph = build_graph([extraction_a()])
    before = snapshot(graph)
    build_graph([extraction_a()], graph)
    assert snapshot(graph) == before


def test_store_reextraction_replaces_what_the_paper_stated():
    graph = build_graph([extraction_a()])
    changed = Extraction(paper(), [Entity("math", "MATH", "Benchmark")], [rel("PAPER", "EVALUATES_ON", "MATH")])
    build_graph([changed], graph)
    assert "gsm8k" not in graph  # no paper names it any more
    assert [(u, v, d["type"]) for u, v, d in graph.edges(data=True) if d["type"] != "MENTIONS"] == [
        ("title:a", "math", "EVALUATES_ON")
    ]


def test_store_size_variant_links_to_its_family():
    graph = build_graph([extraction_a()])
    assert graph.nodes["llama3"]["inferred"] is True
    assert [d["type"] for _, _, d in graph.out_edges("llama38b", data=True)] == ["VARIANT_OF"]


@pytest.mark.parametrize(
    "first, second",
    [
        (Entity("gsm8k", "GSM8K", "Benchmark"), Entity("gsm8k", "gsm-8k", "Benchmark")),
        (Entity("dpo", "DPO", "Method"),
         Entity("directpreferenceoptimization", "Direct Preference Optimization", "Method", aliases=["DPO"])),
    ],
)
def test_store_merges_spellings_and_acronyms_into_one_node(first, second):
    graph = build_graph([Extraction(paper(), [first]), Extraction(paper("title:b", "Paper B"), [second])])
    entities = [n for n, d in graph.nodes(data=True) if d["label"] != "Paper"]
    assert len(entities) == 1


def test_store_same_paper_from_two_sources_is_one_node_with_the_better_id():
    builder = GraphBuilder()
    builder.add(Extraction(Paper(id="title:x", title="Deep Things", abstract="a", n_authors=3)))
    builder.add(Extraction(Paper(id="arxiv:2401.00001", title="Deep things.", abstract="a", date="2024-01-01")))
    papers = [(n, d) for n, d in builder.graph.nodes(data=True) if d["label"] == "Paper"]
    assert [(n, d["n_authors"], d["date"]) for n, d in papers] == [("arxiv:2401.00001", 3, "2024-01-01")]


def test_store_type_follows_the_majority_of_papers():
    exs = [Extraction(paper(f"title:{i}", f"P{i}"), [Entity("imagenet", "ImageNet", t)])
           for i, t in enumerate(["Dataset", "Benchmark", "Dataset"])]
    assert build_graph(exs).nodes["imagenet"]["label"] == "Dataset"


@pytest.mark.parametrize("suffix", [".json", ".json.gz"])
def test_store_round_trips_through_a_file(tmp_path, suffix):
    graph = build_graph([extraction_a()])
    path = tmp_path / f"kg{suffix}"
    write_graph(graph, path)
    again = read_graph(path)
    assert snapshot(again) == snapshot(graph)
    assert again.nodes["gsm8k"]["keys"] == ["gsm8k"]


def test_store_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "kg.json"
    write_graph(build_graph([extraction_a()]), path)
    before = path.read_bytes()
    broken = build_graph([extraction_a()])
    broken.nodes["gsm8k"]["bad"] = object()  # not JSON-serialisable: the write fails midway
    with pytest.raises(TypeError):
        write_graph(broken, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["kg.json"]


@pytest.mark.parametrize("content", [b"", b"{not json", json.dumps({"nodes": []}).encode(), b"\x1f\x8b\x08garbage"])
def test_store_unreadable_graph_file_is_one_clear_error(tmp_path, content):
    path = tmp_path / "kg.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match="kg.json: not a readable paperkg graph"):
        read_graph(path)


def test_store_build_again_on_a_read_graph(tmp_path):
    path = tmp_path / "kg.json"
    write_graph(build_graph([extraction_a()]), path)
    graph = read_graph(path)
    assert all(data["id"] == node for node, data in graph.nodes(data=True))
    before = snapshot(graph)
    build_graph([extraction_a()], graph)
    assert snapshot(graph) == before


# -- writes go only where asked, and a failed write changes nothing ------------------------------

def test_store_write_graph_through_a_symlink_replaces_its_target(tmp_path):
    target = tmp_path / "real" / "kg.json"
    target.parent.mkdir()
    write_graph(build_graph([]), target)
    link = tmp_path / "kg.json"
    link.symlink_to(target)
    write_graph(build_graph([extraction_a()]), link)
    assert link.is_symlink()
    assert snapshot(read_graph(target)) == snapshot(build_graph([extraction_a()]))


@pytest.mark.parametrize("mode", [0o644, 0o664, 0o600])
def test_store_write_graph_keeps_the_file_mode(tmp_path, mode):
    path = tmp_path / "kg.json"
    write_graph(build_graph([]), path)
    path.chmod(mode)
    write_graph(build_graph([extraction_a()]), path)
    assert path.stat().st_mode & 0o777 == mode


def test_store_write_graph_new_file_is_an_ordinary_file(tmp_path):
    path = tmp_path / "kg.json"
    write_graph(build_graph([]), path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _read_only(path, make_immutable):
    path.chmod(0o444)


def _immutable_file(path, make_immutable):
    make_immutable(path)


def _immutable_directory(path, make_immutable):
    make_immutable(path.parent)


@pytest.mark.parametrize("protect, message", [
    (_read_only, "kg.json: is read-only; it was not replaced"),
    (_immutable_file, "kg.json: is read-only; it was not replaced"),
    (_immutable_directory, "kg.json: cannot write: Operation not permitted"),
])
def test_store_write_graph_refused_leaves_the_old_file_and_no_temporary(tmp_path, make_immutable, protect, message):
    path = tmp_path / "graphs" / "kg.json"
    write_graph(build_graph([]), path)
    before = path.read_bytes()
    protect(path, make_immutable)
    with pytest.raises(OutputError, match=message):
        write_graph(build_graph([extraction_a()]), path)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["kg.json"]


def test_store_write_graph_on_a_full_disk_leaves_the_old_file_and_no_temporary(small_disk):
    path = small_disk.path / "kg.json"
    write_graph(build_graph([]), path)
    before = path.read_bytes()
    small_disk.fill()
    with pytest.raises(OutputError, match="kg.json: cannot write: No space left on device"):
        write_graph(build_graph([extraction_a()]), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in small_disk.path.iterdir()) == ["filler", "kg.json"]


@pytest.mark.parametrize("spell", [
    lambda path: path,
    lambda path: path.parent / "." / path.name,
    lambda path: path.parent / "link.json",
    lambda path: path.parent / "hard.json",
])
def test_store_refuse_same_file_sees_through_spellings_and_links(tmp_path, spell):
    path = tmp_path / "in.jsonl"
    path.write_text("{}\n")
    (tmp_path / "link.json").symlink_to(path)
    os.link(path, tmp_path / "hard.json")
    with pytest.raises(UsageError, match="is also an input"):
        refuse_same_file(spell(path), ["other.txt", path], "an input")
    refuse_same_file(tmp_path / "out.jsonl", [path, "-"], "an input")


def graph_document(nodes=None, edges=None, header=None):
    """A graph file's JSON: the file of extraction_a() with its nodes or edges replaced."""
    document = json.loads(generate_graph_json(build_graph([extraction_a()])))
    document.update({k: v for k, v in (("nodes", nodes), ("edges", edges), ("graph", header)) if v is not None})
    return json.dumps(document)


GOOD_NODE = {"id": "gsm8k", "label": "Benchmark", "name": "GSM8K", "aliases": [], "keys": ["gsm8k"], "inferred": False}
PAPER_NODE = {"id": "title:a", "label": "Paper", "title": "A", "abstract": "x", "sources": []}


@pytest.mark.parametrize("text, message", [
    (graph_document(nodes=[{k: v for k, v in GOOD_NODE.items() if k != "label"}]),
     "node 1 ('gsm8k') has label None; a node's label is one of Paper, Model"),
    (graph_document(nodes=[{**GOOD_NODE, "label": "Thing"}]), "node 1 ('gsm8k') has label 'Thing'"),
    (graph_document(nodes=[{**GOOD_NODE, "keys": "gsm8k"}]), "node 1 ('gsm8k') has 'keys' 'gsm8k', not a list of strings"),
    (graph_document(nodes=[GOOD_NODE, GOOD_NODE]), "node 2 ('gsm8k') repeats the id of an earlier node"),
    (graph_document(nodes=[{**PAPER_NODE, "id": "paper-1"}]), "node 1 ('paper-1') is a paper whose id does not start"),
    (graph_document(nodes=[["gsm8k"]]), "node 1 is ['gsm8k'], not an object"),
    (graph_document(nodes=[{**GOOD_NODE, "name": {"nested": 1}}]), "node 1 ('gsm8k') has 'name' {'nested': 1}, not a string"),
    (graph_document(nodes=[{**GOOD_NODE, "note": [[1]]}]), "node 1 ('gsm8k') has 'note' [[1]]: a property is"),
    (graph_document(nodes=[{**GOOD_NODE, "name": "GSM\ud800"}]), "node 1 ('gsm8k') has text that is not UTF-8 in 'name'"),
    (graph_document(nodes=[{**GOOD_NODE, "id": "x\udfff"}]), "node 1 ('x\\udfff') has text that is not UTF-8 in 'id'"),
    (graph_document(nodes=[GOOD_NODE], edges=[{"source": "title:a", "target": "gsm8k", "key": "USES|title:a",
                                               "type": "USES", "paper": "title:a"}]),
     "relationship 1 has source 'title:a', which is no node of the file"),
    (graph_document(nodes=[GOOD_NODE, PAPER_NODE], edges=[{"source": "title:a", "target": "gsm8k", "key": "k",
                                                           "type": "LIKES", "paper": "title:a"}]),
     "relationship 1 has type 'LIKES'; a relationship's type is one of PROPOSES"),
    (graph_document(nodes=[GOOD_NODE, PAPER_NODE], edges=[{"source": "title:a", "target": "gsm8k", "key": "k",
                                                           "type": "MENTIONS", "paper": "title:a"}]),
     "relationship 1 has no 'as_type', not one of Model, Method"),
    (graph_document(nodes=[GOOD_NODE, PAPER_NODE], edges=[{"source": "title:a", "target": "gsm8k", "key": "USES|title:a",
                                                           "type": "USES", "paper": "title:a"}]),
     "relationship 1 (USES) joins 'gsm8k', which its paper 'title:a' does not mention"),
    (graph_document(nodes=[GOOD_NODE, PAPER_NODE], edges=[{"source": "gsm8k", "target": "title:a", "key": "MENTIONS|x",
                                                           "type": "MENTIONS", "paper": "gsm8k", "as_type": "Model"}]),
     "relationship 1 is a MENTIONS not from its paper to an entity"),
    (graph_document(nodes=[GOOD_NODE, PAPER_NODE], edges=[{"source": "title:a", "target": "gsm8k", "key": "MENTIONS|title:a",
                                                           "type": "MENTIONS", "paper": "title:a", "as_type": "Benchmark",
                                                           "aliases": "GSM"}]),
     "relationship 1 has 'aliases' 'GSM', not a list of strings"),
    (graph_document(header={"name": "paperkg", "format": 2}), "graph format 2; this paperkg reads format 1"),
    ('{"graph": {"name": "paperkg", "format": 1}, "nodes": ' + "[" * 100_000 + "]" * 100_000 + ', "edges": []}',
     "not a readable paperkg graph (JSON nested too deeply)"),
])
def test_store_bad_graph_file_is_refused_in_one_line_naming_the_record(tmp_path, text, message):
    path = tmp_path / "kg.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(InputError) as refused:
        read_graph(path)
    assert str(refused.value).startswith(f"{path}: ") and message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_store_graph_file_that_is_a_directory_is_one_clear_error(tmp_path):
    with pytest.raises(InputError, match="kg.json: cannot read the graph file"):
        read_graph(tmp_path.joinpath("kg.json").mkdir() or tmp_path / "kg.json")


# The acronym alone in one paper, its expansion in another; and across types (CLIP as a Model, its
# expansion as a Method).
ACRONYM_PAPERS = {
    "acronyms.txt": """Sharp Minima and Step Sizes

We show that GD with large step sizes finds flatter minima than small-batch training. Experiments on CIFAR-10 with ResNet-18 confirm that GD generalises better than SGD.

Zero-Shot Transfer with Small Encoders

We fine-tune the CLIP model on COCO captions and evaluate zero-shot retrieval on Flickr30K. The fine-tuned CLIP model outperforms ALIGN while using fewer parameters and less training data.
""",
    "expansions.txt": """Faster Training with Momentum Schedules

We study gradient descent (GD) with momentum schedules for training ResNet-50 on ImageNet. Our schedule speeds up GD by 30% and outperforms Adam on CIFAR-10.

Vision Language Pretraining at Scale

We revisit Contrastive Language-Image Pretraining (CLIP) and evaluate it on ImageNet zero-shot classification. Models trained with our recipe on LAION-400M match the original results at a third of the compute budget.
""",
}


def graph_content(graph):
    nodes = sorted((n, d["label"], d.get("name", d.get("title"))) for n, d in graph.nodes(data=True))
    edges = sorted((u, v, k, d["type"]) for u, v, k, d in graph.edges(keys=True, data=True))
    return nodes, edges


@pytest.fixture(scope="module")
def acronym_inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    for name, text in ACRONYM_PAPERS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return [str(Path(__file__).parent / "fixtures" / "example-papers.txt"), str(folder / "acronyms.txt"),
            str(folder / "expansions.txt")]


@pytest.mark.parametrize("runs", [
    pytest.param([[0, 1, 2], [0, 1, 2]], id="twice"),
    pytest.param([[1], [0, 2]], id="acronyms-first"),
    pytest.param([[2, 0], [1]], id="expansions-first"),
    pytest.param([[2], [1], [2], [0]], id="again-and-again"),
])
def test_store_build_gives_one_graph_whatever_the_runs(tmp_path, acronym_inputs, runs):
    once = tmp_path / "once.json"
    build(acronym_inputs, once)
    path = tmp_path / "runs.json"
    for run in runs:
        build([acronym_inputs[i] for i in run], path)
    assert graph_content(read_graph(path)) == graph_content(read_graph(once))


def test_store_acronym_and_expansion_are_one_node_across_types(tmp_path, acronym_inputs):
    path = tmp_path / "kg.json"
    build(acronym_inputs, path)
    graph = read_graph(path)
    by_key = {key: node for node, data in graph.nodes(data=True) for key in data.get("keys", ())}
    assert by_key["gd"] == by_key["gradientdescent"] == "gradientdescent"
    assert by_key["clip"] == by_key["contrastivelanguageimagepretraining"]
    clip = graph.nodes[by_key["clip"]]
    assert (clip["name"], clip["aliases"]) == ("Contrastive Language-Image Pretraining", ["CLIP"])
    assert clip["label"] in ("Method", "Model")


def dpo_extractions():
    return [Extraction(paper("title:b", "Paper B"), [Entity("dpo", "DPO", "Method")], [rel("PAPER", "USES", "DPO")]),
            Extraction(paper("title:c", "Paper C"),
                       [Entity("directpreferenceoptimization", "Direct Preference Optimization", "Method", aliases=["DPO"])],
                       [rel("PAPER", "PROPOSES", "Direct Preference Optimization")])]


def test_store_graph_file_from_before_namings_builds_on(tmp_path):
    """A graph written before MENTIONS edges kept the paper's naming resolves from the entities' names."""
    fresh = build_graph([extraction_a(), *dpo_extractions()])
    old = build_graph([extraction_a(), *dpo_extractions()[:1]])
    for *_, data in old.edges(data=True):
        for name in ("name", "aliases", "family"):
            data.pop(name, None)
    write_graph(old, tmp_path / "kg.json")
    again = build_graph(dpo_extractions()[1:], read_graph(tmp_path / "kg.json"))
    assert graph_content(again) == graph_content(fresh)


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 1, 0], [1, 2, 0]])
def test_store_entities_do_not_depend_on_the_order_of_papers(order):
    extractions = [extraction_a(), *dpo_extractions()]
    graph = build_graph([extractions[i] for i in order])
    assert graph_content(graph) == graph_content(build_graph(extractions))
    assert graph.nodes["directpreferenceoptimization"]["aliases"] == ["DPO"]


def test_store_acronym_of_two_expansions_joins_neither():
    graph = build_graph([
        Extraction(paper("title:b", "B"), [Entity("sma", "SMA", "Method")]),
        Extraction(paper("title:c", "C"), [Entity("sparsemixtureadapters", "Sparse Mixture Adapters", "Method", aliases=["SMA"])]),
        Extraction(paper("title:d", "D"), [Entity("slidingmemoryattention", "Sliding Memory Attention", "Method", aliases=["SMA"])]),
    ])
    assert sorted(n for n, d in graph.nodes(data=True) if d["label"] != "Paper") == [
        "slidingmemoryattention", "sma", "sparsemixtureadapter"]


def test_store_type_is_the_vote_of_the_papers_across_acronym_and_expansion():
    graph = build_graph([
        Extraction(paper("title:b", "B"), [Entity("clip", "CLIP", "Model")]),
        Extraction(paper("title:c", "C"), [Entity("clip", "CLIP", "Model")]),
        Extraction(paper("title:d", "D"), [Entity("contrastivelanguageimagepretraining",
                                                  "Contrastive Language-Image Pretraining", "Method", aliases=["CLIP"])]),
    ])
    entities = [(n, d["label"]) for n, d in graph.nodes(data=True) if d["label"] != "Paper"]
    assert entities == [("contrastivelanguageimagepretraining", "Model")]

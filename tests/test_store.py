import json
import os

import pytest

from extractors.errors import InputError, OutputError, UsageError
from extractors.records import Entity, Extraction, Paper, Relation
from graph.store import GraphBuilder, build_graph, read_graph, refuse_same_file, write_graph


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

import functools
import json

import nxcypher.interpreter as engine
import pytest
from nxcypher import NXCypher

from paperkg.graph import parse_cache
from paperkg.graph.query import catalogue, catalogue_params, query_view
from paperkg.graph.settings import CACHE_ENV
from paperkg.graph.store import build_graph

from conftest import export_sample_extractions

#: An entity of the sample graph each query naming one answers with rows (GSM8K when not listed).
KEYS = {"outperforms": "GPT-4", "compared-with": "Ünïcode-Net", "papers-proposing": "Ünïcode-Net",
        "datasets-used-with": "DPO"}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder, and no parse held in memory."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    parse_cache.parse.cache_clear()
    yield tmp_path / "cache" / parse_cache.PARSE_FOLDER
    parse_cache.parse.cache_clear()


@pytest.fixture(scope="module")
def sample_graph():
    return build_graph(export_sample_extractions())


@functools.lru_cache(maxsize=None)
def lark_parser():
    """A parser as nxcypher builds it (once: building it takes a while)."""
    return engine._build_parser()


@functools.lru_cache(maxsize=None)
def lark_parse(text):
    """nxcypher's own parse."""
    return lark_parser().parse(text)


def nxcypher_columns(graph, name):
    query = catalogue()[name]
    params = catalogue_params(query, {"key": KEYS.get(name, "GSM8K")})
    text = query.text.replace("$limit", str(params.get("limit", 0)))  # nxcypher reads no parameter after LIMIT
    return NXCypher(query_view(graph)).run(text, params=params)


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_parse_cache_file_holds_the_tree_nxcypher_parses(cache, name):
    text = catalogue()[name].text
    tree = parse_cache.parse(text)
    assert tree == lark_parse(text)
    parse_cache.parse.cache_clear()
    again = parse_cache.parse(text)  # read from the file
    assert again is not tree and again == tree and len(list(cache.glob("*.json"))) == 1


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_parse_cache_gives_the_answers_of_nxcypher_parsing(cache, sample_graph, monkeypatch, name):
    parse_cache.use_with_nxcypher()
    nxcypher_columns(sample_graph, name)  # parsed, and written to the file
    parse_cache.parse.cache_clear()
    cached = nxcypher_columns(sample_graph, name)  # read from the file
    monkeypatch.setattr(engine, "_parser", lark_parser())
    assert cached == nxcypher_columns(sample_graph, name)
    assert all(cached.values())


def _truncated(path, text):
    path.write_bytes(path.read_bytes()[:40])


def _not_json(path, text):
    path.write_bytes(b"\x80\x81 not json")


def _not_a_tree(path, text):
    path.write_text(json.dumps({"query": text, "tree": ["T", "start", [["X", 1]]]}))


def _another_query(path, text):
    other = "MATCH (n:Paper) RETURN n.id AS id"
    path.write_text(json.dumps({"query": other, "tree": parse_cache.encode_tree(lark_parse(other))}))


def _a_folder(path, text):
    path.unlink()
    path.mkdir()


@pytest.mark.parametrize("spoil", [_truncated, _not_json, _not_a_tree, _another_query, _a_folder])
def test_parse_cache_spoilt_file_is_parsed_again(cache, spoil):
    text = catalogue()["papers-using"].text
    expected = parse_cache.parse(text)
    (path,) = cache.glob("*.json")
    spoil(path, text)
    parse_cache.parse.cache_clear()
    assert parse_cache.parse(text) == expected == lark_parse(text)
    if path.is_file():  # written again
        assert parse_cache.decode_tree(json.loads(path.read_text())["tree"]) == expected


def test_parse_cache_unwritable_folder_only_parses(tmp_path, monkeypatch):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "a-file"))  # no folder can be made there
    parse_cache.parse.cache_clear()
    text = catalogue()["top-datasets"].text
    assert parse_cache.parse(text) == lark_parse(text)
    assert list(tmp_path.iterdir()) == [tmp_path / "a-file"]
    parse_cache.parse.cache_clear()


@pytest.mark.parametrize("value", [
    None, "tree", ["T", "start"], ["T", 3, []], ["K", "NAME", "x", 0, 1, 1, 1, 2], ["K", "NAME", "x", 0, 1, True, 1, 2, 3],
    ["K", "NAME", 5, 0, 1, 1, 1, 2, 3], {"T": "start"},
])
def test_parse_cache_decode_refuses_what_encode_does_not_give(value):
    with pytest.raises(ValueError):
        parse_cache.decode_tree(value)

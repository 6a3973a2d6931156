"""Graph pictures: selection, the page's data, the page itself in headless Chromium, the PNG."""

from __future__ import annotations

import html
import json
import re
import struct
import subprocess
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from paperkg.extractors.errors import UsageError
from paperkg.graph.cli import cli
from paperkg.graph.model import new_graph
from paperkg.graph.store import write_graph
from paperkg.graph.viz import generate_html, paper_counts, select_around, select_top, view_data, write_html, write_png

FIRST, SECOND = "arxiv:2401.00001", "doi:10.1000/x;y"


def _page_check(chromium: str, page, query: str, tmp_path) -> dict:
    """Open ``page`` in headless Chromium with ``#selftest=query``; the page's self-check report."""
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,800",
               "--virtual-time-budget=5000", "--dump-dom", f"{page.as_uri()}#selftest={quote(query)}"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="paperkg-selftest">(.*?)</pre>', run.stdout, re.S)
    assert found and found.group(1), f"the page wrote no self-check; Chromium: {run.stderr[-2000:]}"
    return json.loads(html.unescape(found.group(1)))


@pytest.fixture
def sample_page(export_graph_sample, tmp_path):
    return write_html(export_graph_sample, tmp_path / "graph.html")


def test_viz_page_loads_in_chromium_without_errors_and_draws_every_node(chromium_path, sample_page, tmp_path):
    report = _page_check(chromium_path, sample_page, "GSM8K", tmp_path)
    assert report["errors"] == []
    assert report["nodes"] == 9 and report["links"] == 9  # the third paper names nothing: not drawn
    assert report["drawn"] == report["nodes"]
    assert report["drawnWithoutPapers"] == 7  # the type filter hides the two papers drawn
    assert min(report["canvas"]) > 300


@pytest.mark.parametrize("query, found, evidence", [
    ("gsm-8k", "GSM8K", "evaluate on GSM8K."),                # canonical key: punctuation and case do not count
    ("DPO", "Direct Preference Optimization", "with DPO"),    # an alias
    ("中文", "中文理解评测", "it's 2\\3 better"),               # non-ASCII, a substring
    ("no such name", None, None),
])
def test_viz_page_search_finds_a_node_and_shows_its_evidence(chromium_path, sample_page, tmp_path,
                                                             query, found, evidence):
    report = _page_check(chromium_path, sample_page, query, tmp_path)
    assert report["errors"] == []
    assert report["found"] == found
    if evidence:
        assert evidence in report["panel"]


def test_viz_page_check_reports_script_errors_and_network_fetches(chromium_path, export_graph_sample, tmp_path):
    """The self-check can fail: a console error and a blocked fetch (the page may fetch nothing) are reported."""
    page = generate_html(view_data(export_graph_sample, select_top(export_graph_sample)))
    broken = page.replace("<style>", '<script>console.error("boom")</script><style>', 1)
    broken = broken.replace("</main>", '</main><img src="https://example.com/x.png" alt="">', 1)
    (tmp_path / "broken.html").write_text(broken, encoding="utf-8")
    report = _page_check(chromium_path, tmp_path / "broken.html", "GSM8K", tmp_path)
    assert "boom" in report["errors"]
    assert any("example.com" in error for error in report["errors"])


def test_viz_page_embeds_hostile_names_as_data(export_graph_sample):
    graph = export_graph_sample
    graph.nodes["gsm8k"]["name"] = 'GSM</script><script>alert(1)</script>{{script}} & "q"'
    data = view_data(graph, select_top(graph))
    page = generate_html(data)
    embedded = re.search(r'<script type="application/json" id="paperkg-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(embedded) == json.loads(json.dumps(data))
    assert "</script" not in embedded.lower() and "alert(1)</script>" not in page
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing to fetch


@pytest.mark.parametrize("top, expected", [
    (1, ["gsm8k", FIRST]),
    (2, ["gsm8k", "中文理解评测", FIRST]),
    (3, ["gsm8k", "中文理解评测", "unicodenet", FIRST]),
])
def test_viz_top_takes_the_entities_in_most_papers_then_the_papers_linking_them(export_graph_sample, top, expected):
    assert select_top(export_graph_sample, top) == expected


def test_viz_top_counts_papers_per_entity(export_graph_sample):
    counts = paper_counts(export_graph_sample)
    assert counts["gsm8k"] == 2 and counts["gpt4"] == 1 and counts["llama3"] == 0 and counts[FIRST] == 1


@pytest.mark.parametrize("name, hops, limit, expected", [
    ("DPO", 0, 150, ["directpreferenceoptimization"]),
    ("DPO", 1, 150, ["directpreferenceoptimization", SECOND]),
    ("direct preference optimisation", 1, 150, None),  # unknown spelling: an error, below
    ("dpo", 2, 150, ["directpreferenceoptimization", SECOND, "gsm8k", "llama38b"]),
    ("GSM-8K", 1, 2, ["gsm8k", FIRST]),  # the limit keeps the best-ranked of the ring (most neighbours)
    ("GSM8K", 2, 4, ["gsm8k", FIRST, "unicodenet", "gpt4"]),  # the first ring leaves room for the second
    (FIRST, 1, 150, [FIRST, "gsm8k", "unicodenet", "gpt4", "中文理解评测"]),  # most papers, neighbours, then id
])
def test_viz_around_resolves_names_through_aliases_and_keeps_to_hops(export_graph_sample, name, hops, limit, expected):
    if expected is None:
        with pytest.raises(UsageError, match="no node has that name"):
            select_around(export_graph_sample, name, hops, limit=limit)
    else:
        assert select_around(export_graph_sample, name, hops, limit=limit) == expected


@pytest.mark.parametrize("top", [0, 1501])
def test_viz_top_out_of_range_names_the_range(export_graph_sample, top):
    with pytest.raises(UsageError, match=rf"--top {top}: must be from 1 to 1500"):
        select_top(export_graph_sample, top)


def test_viz_around_unknown_name_suggests_close_names(export_graph_sample):
    with pytest.raises(UsageError, match=r"'GSM9K'.*close names: GSM8K"):
        select_around(export_graph_sample, "GSM9K")


def test_viz_view_data_lists_each_entitys_papers_with_evidence(export_graph_sample):
    data = view_data(export_graph_sample, select_top(export_graph_sample))
    gsm = next(n for n in data["nodes"] if n["id"] == "gsm8k")
    assert gsm["type"] == "Benchmark" and gsm["papers"] == 2
    assert {p["id"]: [e["text"] for e in p["evidence"]] for p in gsm["details"]["papers"]} == {
        FIRST: ["evaluate it on GSM8K"], SECOND: ["evaluate on GSM8K."]}
    paper = next(n for n in data["nodes"] if n["id"] == SECOND)
    assert set(paper["details"]["mentions"]) == {"Direct Preference Optimization", "LLaMA-3-8B", "GSM8K"}
    link_types = {(data["nodes"][l["source"]]["id"], data["nodes"][l["target"]]["id"]): l["types"] for l in data["links"]}
    assert link_types[SECOND, "gsm8k"] == ["EVALUATES_ON"]  # MENTIONS only when nothing more precise is stated
    assert link_types["unicodenet", "gpt4"] == ["COMPARES_WITH"]
    assert all(-1 <= n["x"] <= 1 and -1 <= n["y"] <= 1 for n in data["nodes"])


def test_viz_co_mention_links_join_entities_only_when_no_drawn_paper_does(export_graph_sample):
    without_papers = view_data(export_graph_sample, select_top(export_graph_sample, 3, papers=0))
    assert [(l["source"], l["target"], l["types"], l["papers"]) for l in without_papers["links"]] == [
        (0, 1, ["CO_MENTIONED"], 1), (0, 2, ["CO_MENTIONED"], 1), (1, 2, ["CO_MENTIONED"], 1)]
    with_papers = view_data(export_graph_sample, select_top(export_graph_sample, 3))
    assert all(l["types"] != ["CO_MENTIONED"] for l in with_papers["links"])


def _png_size(path) -> tuple[int, int]:
    raw = path.read_bytes()
    assert raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR"
    return struct.unpack(">II", raw[16:24])


def test_viz_png_is_a_real_picture(export_graph_sample, tmp_path):
    write_png(export_graph_sample, tmp_path / "graph.png")
    width, height = _png_size(tmp_path / "graph.png")
    assert width > 800 and height > 600
    assert (tmp_path / "graph.png").stat().st_size > 20_000  # colours, lines and labels, not a blank canvas


@pytest.mark.parametrize("args, name", [
    (["--png"], "graph.png"),
    (["--around", "GSM8K", "--hops", "1"], "graph.html"),
])
def test_viz_cli_writes_the_picture(export_graph_sample, tmp_path, args, name):
    write_graph(export_graph_sample, tmp_path / "kg.json")
    result = CliRunner().invoke(cli, ["viz", *args, "-o", str(tmp_path / name), "--graph", str(tmp_path / "kg.json")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / name).stat().st_size > 10_000


def test_viz_cli_unknown_name_is_a_one_line_error(export_graph_sample, tmp_path):
    write_graph(export_graph_sample, tmp_path / "kg.json")
    result = CliRunner().invoke(cli, ["viz", "--around", "GSM9K", "-o", str(tmp_path / "g.html"),
                                      "--graph", str(tmp_path / "kg.json")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--around 'GSM9K': no node has that name, alias or id; close names: GSM8K" in result.output
    assert not (tmp_path / "g.html").exists()


@pytest.mark.parametrize("write, name", [(write_html, "empty.html"), (write_png, "empty.png")])
def test_viz_empty_graph_still_gives_a_picture(tmp_path, write, name):
    write(new_graph(), tmp_path / name)
    assert (tmp_path / name).stat().st_size > 1000

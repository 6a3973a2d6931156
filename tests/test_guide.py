"""The Neo4j Browser guide (cypher/guide.html): generated from the catalogue, one slide per query."""

import html
import re

from paperkg.graph.guide import browser_guide, guide_path, guide_server
from paperkg.graph.query import catalogue, catalogue_params


def slides():
    """(title, [Cypher block, ...]) of each slide of the shipped guide."""
    found = []
    for slide in re.findall(r"<slide\b.*?</slide>", guide_path().read_text(encoding="utf-8"), re.S):
        blocks = [html.unescape(text) for text in re.findall(r'<pre mode="cypher"[^>]*>(.*?)</pre>', slide, re.S)]
        found.append((html.unescape(re.search(r"<h3>(.*?)</h3>", slide).group(1)), blocks))
    return found


def test_guide_shipped_file_is_the_one_the_catalogue_generates():
    assert guide_path().read_text(encoding="utf-8") == browser_guide(), (
        "cypher/guide.html is out of date: run `python -m paperkg.graph.guide`")


def test_guide_has_a_slide_per_catalogue_query_with_its_text_and_parameters():
    by_title = dict(slides())
    queries = catalogue()
    assert set(queries) <= set(by_title)
    for name, query in queries.items():
        *param_blocks, text = by_title[name]
        assert text == query.text
        assert all(re.fullmatch(r":param \w+ => \S.*", block) for block in param_blocks), param_blocks
        set_names = [block.split()[1] for block in param_blocks]
        assert set_names == list(catalogue_params(query, {arg: "x" for arg in query.arguments}))


def test_guide_is_a_browser_guide_of_runnable_cypher_blocks():
    text = guide_path().read_text(encoding="utf-8")
    assert text.startswith('<article class="guide">\n<carousel class="deck container-fluid">')
    assert text.rstrip().endswith("</carousel>\n</article>")
    assert text.count("<slide ") == text.count("</slide>") == len(slides())
    assert "<script" not in text  # Browser strips scripts from guides
    assert all('class="pre-scrollable code runnable"' in pre for pre in re.findall(r'<pre mode="cypher"[^>]*>', text))


def test_guide_server_serves_the_guide_to_other_origins():
    import threading
    import urllib.request

    with guide_server(0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_port}/guide.html"
            request = urllib.request.Request(url, headers={"Origin": "http://localhost:7474"})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.headers["Access-Control-Allow-Origin"] == "*"
                assert response.read().decode("utf-8") == guide_path().read_text(encoding="utf-8")
        finally:
            server.shutdown()

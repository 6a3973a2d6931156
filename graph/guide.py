"""A Neo4j Browser guide to the catalogue: one slide per named query, played with ``:play``.

The guide is ``cypher/guide.html``, next to ``style.grass``, in Neo4j Browser's
guide format: an ``<article class="guide">`` holding a ``<carousel>`` of
``<slide>``\\ s, each Cypher block a ``<pre mode="cypher" class="... runnable">``
that a click puts into the editor. Each catalogue query gets a slide with its
description, its parameters set with ``:param`` (the values of the query's
``example:`` line, a ``key`` as its canonical key) and its text from
``cypher/<name>.cypher``.

The file is generated from the catalogue by :func:`browser_guide` and shipped;
a test checks that the shipped file is what the catalogue generates, so it
cannot drift. After changing a query, write it again with::

    python -m paperkg.graph.guide          # writes cypher/guide.html

Neo4j Browser fetches a guide from the web page, so ``:play`` needs it served
over http with ``Access-Control-Allow-Origin: *`` (which ``python -m
http.server`` does not send); :func:`serve_guide` does that, on loopback::

    python -m paperkg.graph.guide --serve 8001   # then :play http://localhost:8001/guide.html

>>> html = browser_guide()
>>> html.startswith('<article class="guide">'), html.count("<slide ") == len(catalogue()) + 2
(True, True)
"""

from __future__ import annotations

import argparse
import functools
import html
import shlex
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .catalogue import CatalogueQuery, catalogue, cypher_dir
from .export import cypher_literal
from .query import catalogue_params

__all__ = ["GUIDE_FILE", "guide_path", "example_values", "param_command", "browser_guide", "write_guide",
           "guide_server", "serve_guide"]

#: The guide's file name in ``cypher/``.
GUIDE_FILE = "guide.html"

#: A first look at the loaded graph (the intro slide runs it).
OVERVIEW_CYPHER = "MATCH (p:Paper)-[r:PROPOSES|USES|EVALUATES_ON]->(e:Entity)\nRETURN p, r, e LIMIT 150"
#: Free-text search over entity names and aliases through the schema's full-text index.
SEARCH_CYPHER = ("CALL db.index.fulltext.queryNodes('entity_names', $text) YIELD node, score\n"
                 "RETURN node.name AS name, labels(node) AS labels, score LIMIT 10")
SEARCH_TEXT = "preference optimization"


def guide_path() -> Path:
    """Where the shipped guide is: ``cypher/guide.html`` (in a checkout or the installed package)."""
    return cypher_dir() / GUIDE_FILE


def example_values(query: CatalogueQuery) -> dict[str, Any]:
    """The arguments and options of the query's ``example:`` command line.

    >>> example_values(catalogue()["leaderboard"])
    {'key': 'COCO', 'metric': 'box AP', 'setting': 'test-dev'}
    """
    words = shlex.split(query.example)[2:]  # after "paperkg <name>"
    arguments = iter(query.arguments)
    values: dict[str, Any] = {}
    while words:
        word = words.pop(0)
        option = word.removeprefix("--")
        if option == word:
            values[next(arguments)] = word
        elif option in query.options:
            values[option] = type(query.options[option][0])(words.pop(0))
        # other flags (--csv, --json) choose an output format, not a parameter
    return values


def param_command(name: str, value: Any) -> str:
    """The Browser command setting one parameter.

    >>> print(param_command("key", "it's"), param_command("limit", 20), sep="\\n")
    :param key => 'it\\'s'
    :param limit => 20
    """
    return f":param {name} => {cypher_literal(value)}"


def _block(text: str) -> str:
    return f'<figure><pre mode="cypher" class="pre-scrollable code runnable">{html.escape(text, quote=False)}</pre></figure>'


def _slide(title: str, lead: str, body: list[str]) -> str:
    return "\n".join([
        '<slide class="row-fluid">',
        '  <div class="col-sm-3">',
        f"    <h3>{html.escape(title)}</h3>",
        f'    <p class="lead">{html.escape(lead)}</p>',
        "  </div>",
        '  <div class="col-sm-9">',
        *(f"    {part}" for part in body),
        "  </div>",
        "</slide>",
    ])


def _query_slide(name: str, query: CatalogueQuery) -> str:
    params = catalogue_params(query, example_values(query))
    inputs = [f"<li><code>${html.escape(arg)}</code>: {html.escape(help_text)}</li>"
              for arg, help_text in query.arguments.items()]
    inputs += [f"<li><code>${html.escape(opt)}</code>: {html.escape(help_text)}</li>"
               for opt, (_, help_text) in query.options.items()]
    body = []
    if params:
        body.append("<p>Set the parameters (click each, then run it):</p>")
        body += [_block(param_command(param, value)) for param, value in params.items()]
        body.append(f"<ul>{''.join(inputs)}</ul>")
    body.append(f"<p>Then run <code>cypher/{html.escape(name)}.cypher</code>:</p>")
    body.append(_block(query.text))
    body.append(f"<p>From the shell: <code>{html.escape(query.example)} --neo4j</code></p>")
    return _slide(name, query.description, body)


def _intro_slide() -> str:
    return _slide("paperkg", "The knowledge graph of ML papers, and its catalogue of named queries", [
        "<p>Load a graph with <code>paperkg neo4j load --graph kg.json</code>, then style it: run "
        "<code>:style</code> and drop paperkg's <code>style.grass</code> (next to this guide) on the panel.</p>",
        "<p>Each following slide is one query of the catalogue, as <code>paperkg NAME --neo4j</code> runs it. "
        "A <code>$key</code> is an entity's canonical key: its name or an alias in lower case with only letters "
        "and digits kept (<code>GSM-8K</code> is <code>gsm8k</code>).</p>",
        "<p>A first look at the graph:</p>",
        _block(OVERVIEW_CYPHER),
    ])


def _search_slide() -> str:
    return _slide("search", "Free-text search over entity names and aliases (the full-text index entity_names)", [
        _block(param_command("text", SEARCH_TEXT)),
        _block(SEARCH_CYPHER),
    ])


def browser_guide() -> str:
    """The guide's HTML: an intro slide, one slide per catalogue query (by name), a search slide."""
    slides = [_intro_slide(), *(_query_slide(name, query) for name, query in sorted(catalogue().items())),
              _search_slide()]
    return "\n".join(['<article class="guide">', '<carousel class="deck container-fluid">', *slides,
                      "</carousel>", "</article>", ""])


def write_guide(path: str | Path | None = None) -> Path:
    """Write :func:`browser_guide` to ``path`` (default: :func:`guide_path`); returns the path."""
    target = Path(path) if path is not None else guide_path()
    target.write_text(browser_guide(), encoding="utf-8")
    return target


class _GuideRequests(SimpleHTTPRequestHandler):
    """Files of the guide's folder, with the header that lets Neo4j Browser's page fetch them."""

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()


def guide_server(port: int = 8001, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """An http server (not yet serving) of the guide's folder on ``host:port`` (port 0: any free one)."""
    handler = functools.partial(_GuideRequests, directory=str(guide_path().parent))
    return ThreadingHTTPServer((host, port), handler)


def serve_guide(port: int = 8001, host: str = "127.0.0.1") -> None:
    """Serve the guide until interrupted, for ``:play http://localhost:PORT/guide.html``."""
    with guide_server(port, host) as server:
        print(f"serving {guide_path()}: in Neo4j Browser, run  :play http://localhost:{server.server_port}/{GUIDE_FILE}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m paperkg.graph.guide", description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", help="where to write the guide (default: cypher/guide.html)")
    parser.add_argument("--serve", type=int, metavar="PORT", help="serve the shipped guide on loopback instead")
    args = parser.parse_args()
    if args.serve is not None:
        serve_guide(args.serve)
    else:
        print(write_guide(args.path))

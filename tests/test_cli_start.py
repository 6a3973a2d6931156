"""`paperkg --help`, `--version` and shell completion start fast: they import no heavy library."""

import json
import os
import subprocess
import sys

import pytest

#: What only a command's work needs; importing any of them takes from 0.1 s (lxml) to 1 s and more (spaCy).
HEAVY = ("spacy", "thinc", "networkx", "nxcypher", "neo4j", "matplotlib", "rdflib", "lxml", "bibtexparser",
         "pylatexenc", "rich")

#: Runs the command line as the ``paperkg`` script does, then lists the modules it imported.
PROBE = """
import json, sys
sys.argv = ["paperkg", *json.loads(sys.argv[1])]
from paperkg.graph.cli import main
try:
    main()
except SystemExit:
    pass
print("MODULES", json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def run_cli(args: list[str], env: dict[str, str] | None = None) -> tuple[str, set[str]]:
    """The output of ``paperkg ARGS`` and the top-level modules it imported."""
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=120)
    output, _, modules = done.stdout.rpartition("MODULES ")
    assert modules, done.stderr
    return output, set(json.loads(modules))


def completion(words: str) -> dict[str, str]:
    """The environment in which click's bash completion completes the last of ``words``."""
    return {"_PAPERKG_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}


#: The readers' modules, which list the input formats that `paperkg build --help` shows.
READERS = ("lxml", "bibtexparser", "pylatexenc")


@pytest.mark.parametrize(
    "args, env, shows, allowed",
    [
        (["--help"], None, "papers-using", ()),
        (["--version"], None, "version", ()),
        (["papers-using", "--help"], None, "--neo4j", ()),
        (["build", "--help"], None, "--batch-size", READERS),
        ([], completion("paperkg papers-u"), "papers-using", ()),
        ([], completion("paperkg papers-using --"), "--neo4j", ()),
        ([], completion("paperkg viz --"), "--around", ()),
    ],
)
def test_cli_start_imports_no_heavy_library(args, env, shows, allowed):
    output, modules = run_cli(args, env)
    assert shows in output
    assert not modules & (set(HEAVY) - set(allowed)), sorted(modules & set(HEAVY))


def test_cli_start_option_choices_still_complete():
    output, modules = run_cli([], completion("paperkg export --format g"))
    assert output.split() == ["plain,graphml", "plain,gexf"]
    assert "spacy" not in modules

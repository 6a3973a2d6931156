#!/usr/bin/env bash
# The README's picture: the graph of the README's example abstracts, drawn by paperkg viz --png.
#   bash scripts/readme_picture.sh        (writes scripts/example-graph.png)
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
paperkg build tests/fixtures/example-papers.txt --graph "$work/example-graph.json"
paperkg viz --png --graph "$work/example-graph.json" -o scripts/example-graph.png

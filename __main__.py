"""``python -m paperkg``: the command line."""

from paperkg.graph.cli import main

main()

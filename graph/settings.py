"""Names and limits the command line needs to define its options, in a module that imports nothing.

The modules they belong to (:mod:`paperkg.graph.store`, :mod:`paperkg.graph.viz`) import NetworkX; the command
line takes these from here so that ``paperkg --help`` and shell completion import neither.
"""

__all__ = ["GRAPH_ENV", "QUERIES_ENV", "CACHE_ENV", "DEFAULT_TOP", "MAX_TOP", "PERIODS", "MIN_RECENT_PAPERS"]

#: The environment variable naming the graph file.
GRAPH_ENV = "PAPERKG_GRAPH"
#: The environment variable naming a folder of .cypher files to use instead of the installed catalogue.
QUERIES_ENV = "PAPERKG_QUERIES"
#: The environment variable naming the folder of paperkg's caches (default ~/.cache/paperkg).
CACHE_ENV = "PAPERKG_CACHE"
#: Entities drawn by default (and the node limit of a neighbourhood).
DEFAULT_TOP = 150
#: The most entities (or neighbourhood nodes) one picture draws: the layout is quadratic in them.
MAX_TOP = 1500
#: What a trends period can be (paperkg.graph.trends); a month counts only papers whose date names the month.
PERIODS = ("year", "month")
#: Fewest papers in the recent periods for an entity to be ranked by ``trends --rising``: fewer is noise.
MIN_RECENT_PAPERS = 5

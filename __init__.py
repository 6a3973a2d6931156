"""paperkg: a knowledge graph of machine-learning research, built from paper abstracts.

The main API, imported on first use (so ``import paperkg`` and the CLI's start stay fast):

>>> import paperkg
>>> sorted(name for name in paperkg.__all__ if name.startswith("run_"))
['run_catalogue', 'run_query']

``paperkg.extractors`` is text in, triples out; ``paperkg.graph`` is triples in, graph out.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("paperkg")
except PackageNotFoundError:  # run from a checkout that is not installed
    __version__ = "0.0.0"

#: Each public name and the module that defines it.
_API = {
    "build": "paperkg.graph.build",
    "extract": "paperkg.graph.build",
    "migrate": "paperkg.graph.build",
    "graph_stats": "paperkg.graph.build",
    "read_graph": "paperkg.graph.store",
    "write_graph": "paperkg.graph.store",
    "run_query": "paperkg.graph.query",
    "run_catalogue": "paperkg.graph.query",
    "answer_catalogue": "paperkg.graph.query",
    "find_entity": "paperkg.graph.notebook",
    "show": "paperkg.graph.notebook",
    "to_dataframes": "paperkg.graph.notebook",
    "to_graphrag": "paperkg.graph.notebook",
    "extract_text": "paperkg.extractors.extract",
    "load_pipeline": "paperkg.extractors.pipeline",
    "PaperkgError": "paperkg.extractors.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'paperkg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

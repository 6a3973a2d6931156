"""Every docstring example in paperkg runs and says what the module does (doctest)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import paperkg.extractors
import paperkg.extractors.readers
import paperkg.graph


def _modules() -> list[str]:
    names = ["paperkg"]
    for package in (paperkg.graph, paperkg.extractors, paperkg.extractors.readers):
        names += [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__) if not m.ispkg]
    return names


@pytest.mark.parametrize("name", _modules())
def test_doctests_module_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def _has_examples(name: str) -> bool:
    return any(test.examples for test in doctest.DocTestFinder().find(importlib.import_module(name)))


def test_doctests_cover_the_main_modules():
    """The modules with examples keep them: an example deleted by mistake shows here."""
    assert all(map(_has_examples, ["paperkg", "paperkg.graph.sqlite_store", "paperkg.graph.catalogue",
                                   "paperkg.extractors.dates", "paperkg.extractors.results", "paperkg.extractors.shards"]))

"""Readers: paper sources in, clean unique :class:`~paperkg.extractors.records.Paper` records out.

>>> from paperkg.extractors.readers import read_papers, ReadReport
>>> report = ReadReport()
>>> papers = list(read_papers(["tests/fixtures/example-papers.txt"], report=report))  # doctest: +SKIP

See :func:`read_papers` for the options and :data:`FORMATS` for the formats.
"""

from .base import ColumnOptions
from .detect import FORMATS, detect_format
from .reading import ReadReport, paper_from_record, read_papers

__all__ = ["FORMATS", "ColumnOptions", "ReadReport", "read_papers", "detect_format", "paper_from_record"]

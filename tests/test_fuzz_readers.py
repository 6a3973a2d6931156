"""Fuzzing the readers: arbitrary bytes and garbage shaped like each format, with a good record after it,
fed to format detection and to every reader. Nothing may escape but the project's own reported problems,
nothing may be lost unreported, and memory stays bounded."""

from __future__ import annotations

import json
import tempfile
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from test_readers_properties import WRITERS

from paperkg.extractors.errors import BadRecord, InputError
from paperkg.extractors.readers import FORMATS, ReadReport, detect_format, read_papers
from paperkg.extractors.readers.sources import open_source
from paperkg.extractors.records import normalise_title

GOOD_TITLE = "Sparse Mixture Adapters for Translation"
GOOD_ABSTRACT = ("We propose sparse mixture adapters for machine translation in low-resource languages. The adapters "
                 "route tokens to a few low-rank experts. On FLORES-200 they gain two BLEU points over LoRA.")

WORDS = ["We", "propose", "adapters", "GSM8K", "Ada Lovelace", "Alan Turing", "model.", "Nov 19", "12", "2024"]
SENTENCE = " ".join(["We study small verifiers of reasoning steps and train them on critiqued solutions."] * 3)
# Pieces of each format's syntax, joined at random: text that gets deep into a parser before it breaks.
TOKENS = {
    "json": ['{', '}', '[', ']', ':', ',', '"title"', '"abstract"', '"data"', '"results"', '"paper"', '"summary"',
             '"paperId"', '"abstract_inverted_index"', '"\\ud800"', '"\\u00e9"', '"x"', '1e999', '-0', 'null', 'true',
             '"id": "https://openalex.org/W1"', '\n', ' ', '[' * 50, '{"a":' * 40],
    "markdown": ["#", "## ", "**", "*", "_", "[", "]", "(", ")", "[12] ", "https://example.org/p/1", "Title:",
                 "Abstract:", "**Authors**:", "**Abstract**:", "- **Venue:** ", "1. ", "\n", "\n\n", "`"],
    "xml": ["<", ">", "</", "/>", '<?xml version="1.0"?>', '<feed xmlns="http://www.w3.org/2005/Atom">', "<entry>",
            "</entry>", "<title>", "</title>", "<summary>", "</summary>", "&amp;", "&#0;", "&bogus;", "<![CDATA[",
            "]]>", "<!DOCTYPE html>", "<html>", "<div data-props='", "'>", "<script type=\"application/json\">",
            "<!--", "-->", "\n"],
    "bibtex": ["@article{", "@string{", "@comment{", "@preamble{", "}", "{", "title = ", "abstract = ", "author = ",
               '"', ",", "=", "\\", "\\'e", "$", "%", "#", " and ", "\n", "@"],
    "csv": ["title", "abstract", "id", ",", "\t", '"', '""', "\n", "\r\n", "\r", "\x00"],
    "listing": ["\n", "\n\n", "• 4 authors", "·", "Nov 19", "12", "Submitted by ada", "arXiv:2401.00001",
                "Daily Papers", "Ada Lovelace, Alan Turing", "https://example.org/p", "Step Verifiers", SENTENCE,
                "View PDF", "▲ 3", "Title: ", "  "],
}


def _shaped(tokens: list[str]) -> st.SearchStrategy[bytes]:
    piece = st.one_of(st.sampled_from(tokens), st.sampled_from(WORDS), st.text(max_size=8))
    return st.lists(piece, max_size=120).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))


GARBAGE = st.one_of(st.binary(max_size=1500), *(_shaped(tokens) for tokens in TOKENS.values()))
# Without shrinking a failure is reported as found, in seconds.
FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                phases=[Phase.explicit, Phase.reuse, Phase.generate])


def _good(fmt: str) -> bytes:
    return WRITERS[fmt]([(GOOD_TITLE, GOOD_ABSTRACT)]).encode()


class _Problems:
    """The problems of one read, each checked as it comes (one line naming the input); ``keep=False``
    only counts them: thousands of reports (one per bad line) are the test's memory, not the reader's."""

    def __init__(self, name: str, keep: bool = True):
        self.name, self.keep, self.found, self.bad_records = name, keep, [], 0

    def __call__(self, problem) -> None:
        assert isinstance(problem, InputError) and str(problem).startswith(self.name) and "\n" not in str(problem)
        self.bad_records += isinstance(problem, BadRecord)
        if self.keep:
            self.found.append(problem)


def _read(data: bytes, fmt: str | None, keep_problems: bool = True):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(data)
        report, problems = ReadReport(), _Problems(str(path), keep_problems)
        papers = list(read_papers([str(path)], format=fmt, report=report, on_problem=problems))
    return str(path), papers, report, problems


def _assert_reported_or_kept(papers, report, problems):
    """Every record is kept, a duplicate or reported (each problem was checked as it came)."""
    assert report.read == report.kept + report.duplicates + problems.bad_records
    assert report.kept == len(papers)
    for paper in papers:  # every kept paper can be written out as UTF-8 JSON
        json.dumps(paper.to_dict(), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("fmt", [None, *FORMATS])
@FUZZ
@given(garbage=GARBAGE, good_format=st.sampled_from(FORMATS))
def test_fuzz_readers_garbage_then_a_good_record(fmt, garbage, good_format):
    _, papers, report, problems = _read(garbage + b"\n\n" + _good(fmt or good_format), fmt)
    _assert_reported_or_kept(papers, report, problems)
    kept = {normalise_title(p.title) for p in papers + report.duplicate_papers}
    if normalise_title(GOOD_TITLE) not in kept and not any(GOOD_ABSTRACT[:40] in p.abstract for p in papers):
        assert problems.found, "the good record was lost without a report"


@FUZZ
@given(garbage=GARBAGE)
def test_fuzz_readers_detection_names_a_format_or_says_why_not(garbage):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(garbage)
        try:
            with open_source(path) as source:
                assert detect_format(source) in FORMATS
        except InputError as err:
            assert str(err).startswith(str(path)) and "\n" not in str(err)


LINE_FORMATS = ["jsonl", "arxiv-oai", "text"]


@pytest.mark.parametrize("fmt", LINE_FORMATS)
@FUZZ
@given(garbage=st.one_of(_shaped(TOKENS["json"]), _shaped(TOKENS["listing"])))
def test_fuzz_readers_good_line_record_after_garbage_lines_survives(fmt, garbage):
    # A record on lines of its own after garbage on others: line-based readers keep it, whatever the garbage.
    lines = b"\n".join(line for line in garbage.splitlines() if line.strip())
    assume(fmt == "text" or not lines.lstrip().startswith((b"{", b"[")))  # else a broken JSON document, reported
    _, papers, report, problems = _read(lines + b"\n\n" + _good(fmt), fmt)
    expected = GOOD_ABSTRACT.split(". ")[0] if fmt == "text" else GOOD_TITLE
    kept = {normalise_title(p.title) for p in papers + report.duplicate_papers}
    if not any(isinstance(p, InputError) and not isinstance(p, BadRecord) for p in problems.found):
        assert normalise_title(expected) in kept or any(GOOD_ABSTRACT in p.abstract for p in papers)


#: Memory a reader may use over a 64 KiB input (the head, a line or record, buffers), far from its size times 100.
MEMORY_BOUND = 8 << 20


@pytest.mark.parametrize("fmt", [None, *FORMATS])
@settings(FUZZ, max_examples=5)
@given(garbage=GARBAGE.filter(bool))
@example(garbage=b"@article{f")  # found by this test: one line of thousands of entry starts, read as BibTeX
@example(garbage=b"@string{{Alan TuringWe")  # found by this test: the same in a @string, parsed before every entry
def test_fuzz_readers_memory_is_bounded(fmt, garbage):
    data = (garbage * (65536 // len(garbage) + 1))[:65536] + b"\n\n" + _good(fmt or "listing")
    tracemalloc.start()
    try:
        _, papers, report, problems = _read(data, fmt, keep_problems=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _assert_reported_or_kept(papers, report, problems)
    assert peak < MEMORY_BOUND, f"peak {peak:,} bytes for {len(data):,} bytes of input"

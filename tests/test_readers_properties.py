"""Property tests of the readers: random papers written in every format are read back whole, and
random damage to the bytes never crashes a reader nor loses a paper silently."""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from paperkg.extractors.errors import BadRecord
from paperkg.extractors.readers import FORMATS, ReadReport, read_papers
from paperkg.extractors.records import normalise_title

# Words without vowels are no site chrome, date or number: a page made of them has only papers.
WORD = st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=3, max_size=9)
SENTENCE = st.lists(WORD, min_size=9, max_size=14).map(lambda ws: " ".join(ws).capitalize() + ".")
ABSTRACT = st.lists(SENTENCE, min_size=3, max_size=6).map(" ".join)
TITLE = st.lists(WORD, min_size=2, max_size=8).map(lambda ws: " ".join(w.capitalize() for w in ws))
PAPERS = st.lists(st.tuples(TITLE, ABSTRACT), min_size=1, max_size=6,
                  unique_by=(lambda paper: normalise_title(paper[0]), lambda paper: paper[1].split(".")[0]))


def _inverted(abstract: str) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for position, word in enumerate(abstract.split()):
        index.setdefault(word, []).append(position)
    return index


def _delimited(papers, delimiter: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["id", "title", "abstract"])
    writer.writerows([(f"row{i}", t, a) for i, (t, a) in enumerate(papers)])
    return out.getvalue()


ATOM_ENTRY = ("<entry><id>http://arxiv.org/abs/2401.{i:05d}v1</id><title>{t}</title><summary>{a}</summary>"
              "<author><name>Ann Author</name></author><published>2024-01-02T00:00:00Z</published></entry>\n")

#: How each format is written: papers (title, abstract) to the file's text.
WRITERS = {
    "listing": lambda ps: "Daily Papers\n\nNov 20\n\n" + "".join(f"{t}\n\n{a}\n\n  • 3 authors\n·\nNov 19\n4\n\n" for t, a in ps),
    "listing-html": lambda ps: "<!DOCTYPE html><html><body><h1>Papers</h1>" + "".join(
        f"<article><h3>{escape(t)}</h3><p>{escape(a)}</p><span>2 authors</span></article>\n" for t, a in ps) + "</body></html>",
    "hf-daily": lambda ps: json.dumps([{"paper": {"id": f"2401.{i:05d}", "title": t, "summary": a, "upvotes": i,
                                                  "authors": [{"name": "Ann Author"}]}} for i, (t, a) in enumerate(ps)], indent=1),
    "arxiv-atom": lambda ps: '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n' + "".join(
        ATOM_ENTRY.format(i=i, t=escape(t), a=escape(a)) for i, (t, a) in enumerate(ps)) + "</feed>\n",
    "arxiv-oai": lambda ps: "".join(json.dumps({"id": f"2401.{i:05d}", "submitter": "Ann", "title": t, "abstract": a,
                                                "versions": [{"version": "v1", "created": "Mon, 1 Jan 2024 00:00:00 GMT"}],
                                                "authors_parsed": [["Author", "Ann", ""]]}) + "\n" for i, (t, a) in enumerate(ps)),
    "semantic-scholar": lambda ps: json.dumps({"total": len(ps), "data": [
        {"paperId": f"p{i}", "externalIds": {"DOI": f"10.1234/x.{i}"}, "title": t, "abstract": a} for i, (t, a) in enumerate(ps)]}),
    "openalex": lambda ps: json.dumps({"meta": {"count": len(ps)}, "results": [
        {"id": f"https://openalex.org/W{i}", "title": t, "abstract_inverted_index": _inverted(a)} for i, (t, a) in enumerate(ps)]}, indent=2),
    "csv": lambda ps: _delimited(ps, ","),
    "tsv": lambda ps: _delimited(ps, "\t"),
    "jsonl": lambda ps: "".join(json.dumps({"title": t, "abstract": a}) + "\n" for t, a in ps),
    "bibtex": lambda ps: "".join(f"@article{{k{i},\n  title = {{{t}}},\n  author = {{Author, Ann}},\n  abstract = {{{a}}}\n}}\n\n"
                                 for i, (t, a) in enumerate(ps)),
    "text": lambda ps: "".join(f"{a}\n\n" for _, a in ps),  # no titles: each first sentence stands in
}


def _expected_title(fmt: str, title: str, abstract: str) -> str:
    return abstract.split(". ")[0] if fmt == "text" else title

# No shrinking: a failure is reported as found, in seconds rather than minutes.
FAST = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                phases=[Phase.explicit, Phase.reuse, Phase.generate])


def _read(data: bytes, suffix: str = ""):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        report, problems = ReadReport(), []
        papers = list(read_papers([str(path)], report=report, on_problem=problems.append))
    return papers, report, problems


def test_readers_every_format_has_a_writer():
    assert set(WRITERS) == set(FORMATS)


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@FAST
@given(papers=PAPERS)
def test_readers_random_papers_read_back_whole(fmt, papers):
    data = WRITERS[fmt](papers).encode()
    read, report, problems = _read(data)
    assert not problems, [str(p) for p in problems]
    assert report.formats and set(report.formats.values()) == {fmt}
    assert [normalise_title(p.title) for p in read] == [normalise_title(_expected_title(fmt, t, a)) for t, a in papers]
    assert [p.abstract for p in read] == [" ".join(a.split()) for _, a in papers]


# Damage: cut the file, drop or repeat a span, overwrite bytes with random ones.
DAMAGE = st.lists(
    st.tuples(st.sampled_from(["cut", "drop", "repeat", "overwrite", "insert"]), st.floats(0, 1), st.floats(0, 1),
              st.binary(min_size=1, max_size=40)),
    min_size=1, max_size=3,
)


def _damage(data: bytes, damage) -> bytes:
    for kind, where, length, noise in damage:
        at = int(where * len(data))
        span = max(1, int(length * min(200, len(data) - at)))
        if kind == "cut":
            data = data[:at]
        elif kind == "drop":
            data = data[:at] + data[at + span:]
        elif kind == "repeat":
            data = data[:at + span] + data[at:at + span] + data[at + span:]
        elif kind == "overwrite":
            data = data[:at] + noise + data[at + len(noise):]
        else:
            data = data[:at] + noise + data[at:]
    return data


#: How a title or abstract appears in each format's bytes, to tell which papers survived the damage whole.
ENCODE = {
    "listing-html": escape, "arxiv-atom": escape,
    "hf-daily": lambda text: json.dumps(text)[1:-1], "arxiv-oai": lambda text: json.dumps(text)[1:-1],
    "semantic-scholar": lambda text: json.dumps(text)[1:-1], "jsonl": lambda text: json.dumps(text)[1:-1],
    "openalex": lambda text: json.dumps(text)[1:-1],
}


def _intact(fmt: str, papers, data: bytes) -> list[str]:
    """Titles of the papers whose title and abstract are still whole in ``data``."""
    encode = ENCODE.get(fmt, lambda text: text)
    return [t for t, a in papers
            if (fmt == "text" or encode(t).encode() in data)
            and (fmt == "openalex" or encode(a).encode() in data)]


def _assert_no_silent_loss(fmt, papers, data, read, report, problems):
    """Every record is kept or reported; a paper still whole in the input is kept, or something was reported."""
    bad_records = sum(isinstance(p, BadRecord) for p in problems)
    assert report.read == report.kept + report.duplicates + bad_records
    assert report.kept == len(read)
    # Damage may join two records into one (a lost line break): a paper inside a kept one is not lost.
    # A duplicate (damage may repeat a record) is read, as the paper kept under its title.
    kept_titles = {normalise_title(p.title) for p in read + report.duplicate_papers}
    kept_text = " | ".join(normalise_title(p.abstract) for p in read)
    by_title = dict(papers)
    missing = [t for t in _intact(fmt, papers, data)
               if normalise_title(_expected_title(fmt, t, by_title[t])) not in kept_titles
               and normalise_title(by_title[t]) not in kept_text]
    if missing:
        assert problems, f"lost without a report: {missing}"
    for problem in problems:
        assert "\n" not in str(problem)
    for paper in read:  # every kept paper can be written out as UTF-8 JSON (no lone surrogates)
        json.dumps(paper.to_dict(), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("fmt", sorted(WRITERS))
@FAST
@given(papers=PAPERS, damage=DAMAGE)
def test_readers_damaged_input_never_crashes_nor_loses_silently(fmt, papers, damage):
    data = _damage(WRITERS[fmt](papers).encode(), damage)
    read, report, problems = _read(data)
    _assert_no_silent_loss(fmt, papers, data, read, report, problems)


@pytest.mark.parametrize("fmt", ["arxiv-oai", "listing", "semantic-scholar"])
@settings(FAST, max_examples=10)
@given(papers=PAPERS, cut=st.floats(0.05, 0.95))
def test_readers_truncated_gzip_keeps_what_came_before(fmt, papers, cut):
    data = WRITERS[fmt](papers).encode()
    packed = gzip.compress(data)
    read, report, problems = _read(packed[: max(20, int(len(packed) * cut))], ".gz")
    _assert_no_silent_loss(fmt, papers, data, read, report, problems)


@settings(FAST, max_examples=40)
@given(data=st.binary(max_size=2000))
def test_readers_random_bytes_never_crash(data):
    read, report, problems = _read(data)
    assert report.read == report.kept + report.duplicates + sum(isinstance(p, BadRecord) for p in problems)
    assert read or problems


@settings(FAST, max_examples=40)
@given(text=st.text(max_size=3000))
def test_readers_random_text_never_crashes(text):
    read, report, problems = _read(text.encode("utf-8", "surrogatepass"))
    assert report.read == report.kept + report.duplicates + sum(isinstance(p, BadRecord) for p in problems)
    assert read or problems

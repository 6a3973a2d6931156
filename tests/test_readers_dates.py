"""Publication dates: each source's date read as ISO, with where it came from, and the one a paper keeps."""

from __future__ import annotations

import json

import pytest

from paperkg.extractors.dates import DateClaim, PaperDate, arxiv_id_date, best_date, parse_date, venue_year
from paperkg.extractors.readers import ReadReport, read_papers
from paperkg.extractors.records import Extraction, Paper
from paperkg.graph.store import GraphBuilder, read_graph, write_graph

ABSTRACT = ("Large language models often make small arithmetic slips that derail long solutions. We propose Step "
            "Verifiers, which score partial solutions, and evaluate them on GSM8K and MATH.")
TITLE = "Step Verifiers for Grade-School Math"


def _json(record: dict) -> str:
    return json.dumps(record) + "\n"


def _atom(entry: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom">\n<entry>\n' + entry +
            f"<title>{TITLE}</title>\n<summary>{ABSTRACT}</summary>\n</entry>\n</feed>\n")


def _oai(**fields) -> str:
    return _json({"id": fields.pop("id", "2411.04321"), "submitter": "Ada Lovelace", "title": TITLE,
                  "abstract": ABSTRACT, "authors_parsed": [["Lovelace", "Ada", ""]], **fields})


def _listing(meta: str) -> str:
    """A listing page of two papers; the first has the metadata lines ``meta``."""
    return (f"Trending Papers\n{TITLE}\n{ABSTRACT}\n{meta}\nToken Pruning Schedules for Vision Transformers\n"
            "Vision Transformers spend most of their compute on background tokens. We introduce learned pruning "
            "schedules that drop most of them in the early layers, which halves the cost of inference on ImageNet.\n"
            "• 4 authors · Nov 19 · 3\n")


def _bibtex(fields: str) -> str:
    return f"@article{{k,\n  title = {{{TITLE}}},\n  abstract = {{{ABSTRACT}}},\n{fields}\n}}\n"


DATE_CASES = [
    # name, file name, content, (date, date_source)
    ("atom published", "feed.atom",
     _atom("<id>http://arxiv.org/abs/2411.04321v2</id>\n<published>2024-11-06T18:59:58Z</published>\n"
           "<updated>2025-01-10T10:00:00Z</updated>\n"), ("2024-11-06", "arxiv-published")),
    ("atom updated only: the id's month", "feed.atom",
     _atom("<id>http://arxiv.org/abs/2411.04321v2</id>\n<updated>2025-01-10T10:00:00Z</updated>\n"),
     ("2024-11", "arxiv-id")),
    ("atom updated, no id", "feed.atom",
     _atom("<id>urn:x</id>\n<updated>2025-01-10T10:00:00Z</updated>\n"), ("2025-01-10", "arxiv-updated")),
    ("oai first version", "snap.jsonl",
     _oai(versions=[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
                    {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"}], update_date="2008-11-13", id="0704.0001"),
     ("2007-04-02", "arxiv-created")),
    ("oai old-style id, update_date only", "snap.jsonl", _oai(id="cs/0112017", update_date="2008-02-03"),
     ("2001-12", "arxiv-id")),
    ("oai update_date alone", "snap.jsonl", _oai(id="", update_date="2008-02-03"), ("2008-02-03", "arxiv-update_date")),
    ("hf publishedAt", "daily.json",
     json.dumps([{"paper": {"id": "2411.04321", "title": TITLE, "summary": ABSTRACT, "upvotes": 7,
                            "publishedAt": "2024-11-06T18:59:58.000Z"}, "publishedAt": "2024-11-08T01:02:03.000Z"}]),
     ("2024-11-06", "hf-publishedAt")),
    ("semantic scholar date", "s2.json",
     _json({"paperId": "8f1c", "externalIds": {"ArXiv": "2411.04321"}, "title": TITLE, "abstract": ABSTRACT,
            "year": 2024, "publicationDate": "2024-11-06"}), ("2024-11-06", "semantic-scholar-publicationDate")),
    ("semantic scholar year", "s2.json",
     _json({"paperId": "8f1c", "externalIds": {}, "title": TITLE, "abstract": ABSTRACT, "year": 2023,
            "publicationDate": None}), ("2023", "semantic-scholar-year")),
    ("semantic scholar journal date after the preprint", "s2.json",
     _json({"paperId": "8f1c", "externalIds": {"ArXiv": "2411.04321"}, "title": TITLE, "abstract": ABSTRACT,
            "year": 2025, "publicationDate": "2025-06-01", "venue": "ICML 2025"}), ("2024-11", "arxiv-id")),
    ("openalex date", "works.json",
     _json({"id": "https://openalex.org/W1", "title": TITLE, "abstract_inverted_index": {"We": [0], "verify": [1],
            "steps": [2], "of": [3], "grade-school": [4], "math": [5], "on": [6], "GSM8K.": [7]},
            "publication_year": 2024, "publication_date": "2024-05-02"}), ("2024-05-02", "openalex-publication_date")),
    ("openalex year", "works.json",
     _json({"id": "https://openalex.org/W1", "title": TITLE, "abstract_inverted_index": {"We": [0], "verify": [1],
            "steps": [2], "of": [3], "grade-school": [4], "math": [5], "on": [6], "GSM8K.": [7]},
            "publication_year": 2022}), ("2022", "openalex-publication_year")),
    ("bibtex year and month", "lib.bib", _bibtex("  year = {2022},\n  month = jun,"), ("2022-06", "bibtex-year")),
    ("bibtex date", "lib.bib", _bibtex("  date = {2021-03-05},\n  year = {2021},"), ("2021-03-05", "bibtex-date")),
    ("bibtex arXiv eprint", "lib.bib",
     _bibtex("  year = {2021},\n  eprint = {2106.01234},\n  archivePrefix = {arXiv},"), ("2021-06", "arxiv-id")),
    ("csv year column", "zotero.csv",
     f'Key,Title,Abstract Note,Publication Year\nK1,"{TITLE}","{ABSTRACT}",2021\n', ("2021", "column:Publication Year")),
    ("csv date column", "zotero.csv",
     f'Key,Title,Abstract Note,Date\nK1,"{TITLE}","{ABSTRACT}",2021-05-03\n', ("2021-05-03", "column:Date")),
    ("jsonl venue", "conf.jsonl", _json({"title": TITLE, "abstract": ABSTRACT, "venue": "ICML 2022"}), ("2022", "venue")),
    ("jsonl NIPS venue", "conf.jsonl", _json({"title": TITLE, "abstract": ABSTRACT, "venue": "NIPS 2021"}),
     ("2021", "venue")),
    ("jsonl short venue year", "conf.jsonl", _json({"title": TITLE, "abstract": ABSTRACT, "venue": "NeurIPS'23"}),
     ("2023", "venue")),
    ("jsonl arXiv id in a venue holds no year", "conf.jsonl",
     _json({"title": TITLE, "abstract": ABSTRACT, "venue": "arXiv:2006.01234"}), (None, None)),
    ("listing full date", "page.txt", _listing("• 2 authors · Mar 18, 2024 · 14"), ("2024-03-18", "listing")),
    ("listing date with no year", "page.txt", _listing("• 2 authors · Nov 19 · 14"), (None, None)),
    ("listing date with no year, arXiv link", "page.txt",
     _listing("• 2 authors · Nov 19 · 14\nhttps://arxiv.org/abs/2411.04321"), ("2024-11", "arxiv-id")),
]


@pytest.mark.parametrize("name, filename, content, expected", DATE_CASES, ids=[c[0] for c in DATE_CASES])
def test_readers_dates_each_source(tmp_path, name, filename, content, expected):
    path = tmp_path / filename
    path.write_text(content, encoding="utf-8")
    report, problems = ReadReport(), []
    papers = list(read_papers([str(path)], report=report, on_problem=problems.append))
    assert not problems and papers[0].title == TITLE
    assert (papers[0].date, papers[0].date_source) == expected


@pytest.mark.parametrize("text, iso", [
    ("2024-03-18T17:59:58.000Z", "2024-03-18"), ("2024-03-18 12:00:00", "2024-03-18"), ("2024-3-8", "2024-03-08"),
    ("2024/03", "2024-03"), ("2024", "2024"), ("Mon, 2 Apr 2007 19:18:42 GMT", "2007-04-02"),
    ("Mar 18, 2024", "2024-03-18"), ("March 18th 2024", "2024-03-18"), ("18 March 2024", "2024-03-18"),
    ("Sept. 2023", "2023-09"), ("2022 jun", "2022-06"), ("2022 6", "2022-06"),
    ("Nov 19", None), ("2023-02-30", None), ("2024-13", None), ("1850", None), ("3 days ago", None), ("", None),
    ("20240318", None),
])
def test_readers_dates_parse_date(text, iso):
    assert parse_date(text) == iso


@pytest.mark.parametrize("the_id, month", [
    ("2411.04321", "2024-11"), ("0704.0001", "2007-04"), ("2106.01234v3", "2021-06"), ("cs/0112017", "2001-12"),
    ("hep-th/9901001", "1999-01"), ("math.GT/0309136", "2003-09"), ("2413.00001", None), ("10.1/x", None), (None, None),
])
def test_readers_dates_arxiv_id_date(the_id, month):
    assert arxiv_id_date(the_id) == month


@pytest.mark.parametrize("venue, year", [
    ("ICML 2022", "2022"), ("NIPS 2021", "2021"), ("Proceedings of the 2019 Conference on EMNLP", "2019"),
    ("NeurIPS'23", "2023"), ("ICLR ’24", "2024"), ("JMLR", None), ("arXiv:2006.01234", None), ("Vol. 12345", None),
])
def test_readers_dates_venue_year(venue, year):
    assert venue_year(venue) == year


@pytest.mark.parametrize("claims, expected", [
    # the earliest claim, refined by the finer claims that agree with it
    ([("2022", "venue"), ("2021-06", "arxiv-id")], ("2021-06", "arxiv-id")),
    ([("2021-06", "arxiv-id"), ("2021-06-14", "hf-publishedAt")], ("2021-06-14", "hf-publishedAt")),
    ([("2021", "venue"), ("2021-06", "arxiv-id"), ("2021-11-02", "semantic-scholar-publicationDate")],
     ("2021-06", "arxiv-id")),
    ([("2024-05-02", "openalex-publication_date"), ("2024-03-18", "listing"), ("2024", "bibtex-year")],
     ("2024-03-18", "listing")),
    # the same date from two sources: the more trusted one is named
    ([("2024-11-06", "semantic-scholar-publicationDate"), ("2024-11-06", "arxiv-published")],
     ("2024-11-06", "arxiv-published")),
    # a revision's date counts only when nothing else does
    ([("2019-01-01", "arxiv-updated"), ("2024", "column:Year")], ("2024", "column:Year")),
    ([("2019-01-01", "arxiv-updated"), ("Nov 19", "listing")], ("2019-01-01", "arxiv-updated")),
    ([("Nov 19", "listing"), ("", "venue")], None),
])
def test_readers_dates_best_date(claims, expected):
    found = best_date(DateClaim(text, source) for text, source in claims)
    assert found == (PaperDate(*expected) if expected else None)


def test_readers_dates_sources_of_one_paper_merge_to_the_earliest(tmp_path):
    """The same paper from Semantic Scholar (the journal's date) and Hugging Face (the preprint's)."""
    s2 = tmp_path / "s2.json"
    s2.write_text(_json({"paperId": "8f1c", "externalIds": {"ArXiv": "2411.04321"}, "title": TITLE,
                         "abstract": ABSTRACT, "publicationDate": "2024-11-06"}))
    hf = tmp_path / "daily.json"
    hf.write_text(json.dumps([{"paper": {"id": "2411.04321", "title": TITLE, "summary": ABSTRACT,
                                         "publishedAt": "2024-11-05T18:59:58.000Z"}}]))
    report = ReadReport()
    papers = list(read_papers([str(s2), str(hf)], report=report))
    builder = GraphBuilder()
    builder.add(Extraction(papers[0]))
    for duplicate in report.duplicate_papers:
        builder.merge_duplicate(duplicate)
    node = builder.graph.nodes["arxiv:2411.04321"]
    assert (node["date"], node["date_source"], node["year"]) == ("2024-11-05", "hf-publishedAt", 2024)


def test_readers_dates_survive_the_graph_file(tmp_path):
    paper = Paper(id="title:1", title=TITLE, abstract=ABSTRACT, date="2022", date_source="venue", venue="ICML 2022")
    builder = GraphBuilder()
    builder.add(Extraction(paper))
    write_graph(builder.graph, tmp_path / "kg.json")
    node = read_graph(tmp_path / "kg.json").nodes["title:1"]
    assert (node["date"], node["date_source"], node["year"]) == ("2022", "venue", 2022)


def test_readers_dates_graph_file_with_a_year_that_is_no_number_is_refused(tmp_path):
    builder = GraphBuilder()
    builder.add(Extraction(Paper(id="title:1", title=TITLE, abstract=ABSTRACT, date="2022", date_source="venue")))
    graph = builder.graph
    graph.nodes["title:1"]["year"] = "2022; DROP"
    write_graph(graph, tmp_path / "kg.json")
    with pytest.raises(Exception, match="year"):
        read_graph(tmp_path / "kg.json")

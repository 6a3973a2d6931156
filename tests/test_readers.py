"""Readers: every format from a small file in its source's real structure, listing-page layouts,
bad input, and one paper from many sources."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paperkg.extractors.errors import BadRecord, InputError, UsageError
from paperkg.extractors.readers import FORMATS, ColumnOptions, ReadReport, detect_format, read_papers
from paperkg.extractors.readers.listing import parse_listing_lines, strip_chrome
from paperkg.extractors.readers.sources import open_source
from paperkg.extractors.records import Extraction, normalise_title
from paperkg.graph.store import GraphBuilder

SOURCES = Path(__file__).parent / "fixtures" / "sources"
EXAMPLE_PAGE = Path(__file__).parent / "fixtures" / "example-papers.txt"

SMA = "Sparse Mixture Adapters for Low-Resource Machine Translation"
ROLLOUTS = "Curriculum Rollouts for Offline Reinforcement Learning"
VERIFIER = "Verifier-Guided Decoding for Grade-School Math"
PRUNING = "Token Pruning Schedules for Vision Transformers"


def read(paths, **options):
    """(papers, report, problems) of reading ``paths``."""
    report, problems = ReadReport(), []
    papers = list(read_papers([str(p) for p in paths], report=report, on_problem=problems.append, **options))
    return papers, report, problems


# ---- every format --------------------------------------------------------------------------

FORMAT_CASES = [
    # fixture, detected format, titles kept, problem kinds
    ("listing-consecutive.txt", "listing", [VERIFIER, PRUNING, "Contrastive Pretraining of Tabular Encoders"], {}),
    ("listing-glued.txt", "listing", [ROLLOUTS, "Learning Rate Warmup Revisited", "Small Models as Data Filters"], {}),
    ("listing.html", "listing-html", [SMA, ROLLOUTS], {}),
    ("listing-embedded.html", "listing-html", [SMA, ROLLOUTS], {}),
    ("hf-daily.json", "hf-daily", [SMA, ROLLOUTS], {}),
    ("arxiv.atom", "arxiv-atom", [SMA, PRUNING], {}),
    ("arxiv-oai.jsonl", "arxiv-oai", [SMA, "Learning Renormalisation Flows with Small Networks", ROLLOUTS], {}),
    ("semantic-scholar.json", "semantic-scholar", [SMA, VERIFIER], {"no abstract": 1}),
    ("openalex.json", "openalex", [VERIFIER], {"no abstract": 1}),
    ("papers.csv", "csv", [VERIFIER, "Ensembles of Tiny Critics"], {"no abstract": 1}),
    ("papers.tsv", "tsv", [PRUNING, 'Quote "Marks" in a TSV Title'], {}),
    ("library.bib", "bibtex", [SMA, VERIFIER], {"no abstract": 1}),
    ("abstracts.txt", "text",
     ["We study how retrieval augmentation interacts with instruction tuning.",
      "Graph Rewiring for Long-Range Message Passing"], {"no abstract": 1}),
]


@pytest.mark.parametrize("fixture, fmt, titles, problems", FORMAT_CASES, ids=[c[0] for c in FORMAT_CASES])
def test_readers_each_format_detected_and_read(fixture, fmt, titles, problems):
    papers, report, reported = read([SOURCES / fixture])
    assert report.formats[str(SOURCES / fixture)] == fmt
    assert [p.title for p in papers] == titles
    assert dict(report.skipped) == problems
    assert report.read == report.kept + sum(problems.values())
    assert all(isinstance(err, BadRecord) and str(err).startswith(f"{SOURCES / fixture}:") for err in reported)


@pytest.mark.parametrize("fixture, fmt, titles, problems", FORMAT_CASES, ids=[c[0] for c in FORMAT_CASES])
def test_readers_forced_format_reads_the_same(fixture, fmt, titles, problems):
    papers, _, _ = read([SOURCES / fixture], format=fmt)
    assert [p.title for p in papers] == titles


def test_readers_formats_cover_every_source_of_the_issue():
    detected = {c[1] for c in FORMAT_CASES} | {"jsonl"}
    assert detected == set(FORMATS)


FIELD_CASES = [
    # fixture, title, field, expected
    ("arxiv.atom", SMA, "abstract", "with an ℓ_1 penalty on the router. Built on LoRA, SMA adds less than 1% trainable"),
    ("arxiv.atom", SMA, "authors", ["Mira Okafor", "Tomás Lindqvist", "Hye-jin Park"]),
    ("arxiv.atom", SMA, "venue", "Findings of EMNLP 2024"),
    ("arxiv.atom", PRUNING, "doi", "10.1109/cvpr.2025.00421"),
    ("arxiv.atom", PRUNING, "id", "arxiv:2409.05550"),
    ("arxiv-oai.jsonl", SMA, "date", "2024-11-06"),
    ("arxiv-oai.jsonl", SMA, "authors", ["Mira Okafor", "Tomás Lindqvist", "Hye-jin Park"]),
    ("arxiv-oai.jsonl", "Learning Renormalisation Flows with Small Networks", "id", "arxiv:hep-th/9901001"),
    ("hf-daily.json", SMA, "upvotes", 7),
    ("hf-daily.json", SMA, "url", "https://huggingface.co/papers/2411.04321"),
    ("semantic-scholar.json", VERIFIER, "id", "doi:10.1234/jmlr.2024.0173"),
    ("semantic-scholar.json", SMA, "venue", "Conference on Empirical Methods in Natural Language Processing"),
    ("openalex.json", VERIFIER, "abstract",
     "Large language models often make small arithmetic slips. We propose verifier-guided decoding, which scores "
     "partial solutions. On GSM8K We gain six points."),
    ("openalex.json", VERIFIER, "authors", ["Priya Raman", "Oskar Nyberg"]),
    ("papers.csv", VERIFIER, "authors", ["Priya Raman", "Oskar Nyberg"]),
    ("papers.csv", "Ensembles of Tiny Critics", "id", "arxiv:2412.00077"),
    ("papers.tsv", PRUNING, "id", "arxiv:2409.05550"),
    ("library.bib", SMA, "venue", "Findings of the Association for Computational Linguistics: EMNLP 2024"),
    ("library.bib", SMA, "abstract", "low-rank adapters with an ℓ_1 penalty. Built on LoRA, SMA adds less than 1% trainable"),
    ("library.bib", VERIFIER, "id", "doi:10.1234/jmlr.2024.0173"),
    ("library.bib", SMA, "authors", ["Mira Okafor", "Tomás Lindqvist", "Hye-jin Park"]),
    ("listing.html", SMA, "id", "arxiv:2411.04321"),
    ("listing-embedded.html", ROLLOUTS, "authors", ["Dana Whitfield", "Kenji Arakawa"]),
    ("listing-embedded.html", SMA, "upvotes", 7),
    ("listing.html", ROLLOUTS, "upvotes", 5),
    ("listing.html", SMA, "n_authors", 3),
    ("listing-consecutive.txt", VERIFIER, "date", "2024-03-18"),
    ("listing-consecutive.txt", VERIFIER, "upvotes", 14),
    ("listing-consecutive.txt", PRUNING, "n_authors", 4),
    ("listing-glued.txt", ROLLOUTS, "upvotes", 5),
    ("listing-glued.txt", "Learning Rate Warmup Revisited", "n_authors", 3),
    ("listing-glued.txt", "Small Models as Data Filters", "date", None),
]


@pytest.mark.parametrize("fixture, title, field, expected", FIELD_CASES)
def test_readers_fields_of_each_source(fixture, title, field, expected):
    papers, _, _ = read([SOURCES / fixture])
    paper = next(p for p in papers if p.title == title)
    value = getattr(paper, field)
    if field == "abstract" and isinstance(expected, str) and len(expected) < len(value):
        assert expected in value
    else:
        assert value == expected


def test_readers_column_options_name_nested_json_keys():
    columns = ColumnOptions(title_col="meta.headline", abstract_col="body", id_col="ref")
    papers, report, problems = read([SOURCES / "custom-columns.jsonl"], columns=columns)
    assert [(p.id, p.title) for p in papers] == [
        ("arxiv:2412.00077", "Ensembles of Tiny Critics"),
        ("doi:10.1234/jmlr.2024.0173", VERIFIER),
    ]
    assert [str(e) for e in problems] == [
        f"{SOURCES / 'custom-columns.jsonl'}:3: no column 'meta.headline' (columns: ref, meta, body)"
    ]


def test_readers_csv_header_without_the_column_asked_for_is_one_error(tmp_path):
    _, report, problems = read([SOURCES / "papers.csv"], columns=ColumnOptions(abstract_col="Summary"))
    assert [str(e) for e in problems] == [
        f"{SOURCES / 'papers.csv'}:1: no column 'Summary' (columns: Key, Item Type, Publication Year, Author, "
        "Title, Publication Title, DOI, Url, Abstract Note)"
    ]
    assert report.kept == 0


def test_readers_gzip_is_transparent(tmp_path):
    packed = tmp_path / "snapshot.json.gz"  # a name that says nothing about the content's format
    packed.write_bytes(gzip.compress((SOURCES / "arxiv-oai.jsonl").read_bytes()))
    papers, report, _ = read([packed])
    assert report.formats[str(packed)] == "arxiv-oai" and len(papers) == 3


def test_readers_dash_reads_standard_input():
    code = "from paperkg.extractors.readers import read_papers; print(len(list(read_papers(['-']))))"
    result = subprocess.run([sys.executable, "-c", code], input=(SOURCES / "hf-daily.json").read_bytes(),
                            capture_output=True, check=True)
    assert result.stdout.strip() == b"2"


def _openalex_work(number: int, references: int) -> dict:
    return {"id": f"https://openalex.org/W{number}", "title": f"Step Verifiers {number}",
            "referenced_works": [f"https://openalex.org/W{900_000 + i}" for i in range(references)],
            "abstract_inverted_index": {word: [i] for i, word in enumerate(ABSTRACT_1.split())}}


LONG_FIRST_RECORD_CASES = [
    # references of the first work (4,000: 130 KB, longer than the 64 KiB sniffed), stored as, works kept, reported
    (3, "plain", [0, 1, 2], []),
    (4000, "plain", [0, 1, 2], []),
    (4000, "gzip", [0, 1, 2], []),
    (200_000, "plain", [1, 2], ["1: line of 6,"]),  # longer than the 4 MB record limit
]


@pytest.mark.parametrize("references, packing, kept, reported", LONG_FIRST_RECORD_CASES)
def test_readers_jsonl_with_a_long_first_record_keeps_every_record(tmp_path, references, packing, kept, reported):
    text = "".join(json.dumps(_openalex_work(i, references if i == 0 else 3)) + "\n" for i in range(3))
    path = tmp_path / "works.jsonl"
    path.write_bytes(gzip.compress(text.encode()) if packing == "gzip" else text.encode())
    papers, report, problems = read([path])
    assert [p.title for p in papers] == [f"Step Verifiers {i}" for i in kept]
    assert [str(err).removeprefix(f"{path}:")[: len(r)] for err, r in zip(problems, reported)] == reported
    assert len(problems) == len(reported) and report.formats[str(path)] == "openalex"


def test_readers_closed_standard_input_is_one_line():
    code = ("from paperkg.extractors.readers import read_papers; "
            "list(read_papers(['-'], on_problem=lambda err: print(err)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, preexec_fn=lambda: os.close(0))
    assert (result.returncode, result.stdout.decode(), result.stderr) == (0, "<stdin>: standard input is closed\n", b"")


def test_readers_html_page_is_read_in_memory_near_its_size():
    import tracemalloc

    tracemalloc.start()
    try:
        papers, _, _ = read([SOURCES / "listing.html"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(papers) == 2 and peak < 4 << 20, f"peak {peak:,} bytes"


def test_readers_html_with_100k_deep_embedded_data_reads_the_page(tmp_path):
    page = tmp_path / "page.html"
    deep = '{"a": ' * 100_000 + "1" + "}" * 100_000
    page.write_text(f"<html><body><div data-props='{deep}'></div><h3>Step Verifiers</h3><p>{ABSTRACT_1}</p></body></html>")
    papers, report, problems = read([page])
    assert [p.title for p in papers] == ["Step Verifiers"] and not problems


def test_readers_latex_the_converter_cannot_expand_prints_nothing(tmp_path):
    record = {"title": "ProGCL", "abstract": r"Hard negatives for contrastive graph learning. Code: \textcolor{magenta}\url{https://github.com/x/y}."}
    (tmp_path / "papers.jsonl").write_text(json.dumps(record) + "\n")
    # In a process of its own: pytest's log capture would stand in for Python's last-resort stderr handler.
    read = subprocess.run([sys.executable, "-c", "import sys; from paperkg.extractors.readers import read_papers; "
                           "print(*(p.title for p in read_papers(sys.argv[1:])))", str(tmp_path / "papers.jsonl")],
                          capture_output=True, text=True, check=True)
    assert (read.stdout, read.stderr) == ("ProGCL\n", "")


def test_readers_unknown_format_names_the_choices():
    with pytest.raises(UsageError, match="unknown format 'pdf'; choose one of: listing, listing-html"):
        list(read_papers([str(SOURCES / "papers.tsv")], format="pdf"))


# ---- listing-page layouts -----------------------------------------------------------------

ABSTRACT_1 = ("We propose a verifier of reasoning steps trained on critiqued solutions. It improves accuracy on "
              "GSM8K by four points. The verifier is small and adds little latency to decoding.")
ABSTRACT_2 = ("We study token pruning in vision transformers across depth. Learned schedules drop background "
              "tokens early. On ImageNet the schedules cut compute by forty percent without loss.")

LAYOUT_CASES = [
    ("blank lines, metadata after",
     f"Daily Papers\n\nNov 20\n\nStep Verifiers\n\n{ABSTRACT_1}\n\n  • 4 authors\n·\nNov 19\n12\n\n"
     f"Pruning Schedules\n\n{ABSTRACT_2}\n\n  • 2 authors\n·\nMar 18, 2024\n",
     [("Step Verifiers", 4, "Nov 19", 12), ("Pruning Schedules", 2, "2024-03-18", None)]),
    ("no blank lines, metadata on one line",
     f"Step Verifiers\n{ABSTRACT_1}\n• 4 authors · Nov 19 · 12\nPruning Schedules\n{ABSTRACT_2}\n• 2 authors · Mar 18, 2024\n",
     [("Step Verifiers", 4, "Nov 19", 12), ("Pruning Schedules", 2, "2024-03-18", None)]),
    ("metadata before the title",
     f"Trending Papers\n\nSubmitted by ada\n4 authors\n▲ 12\nStep Verifiers\n{ABSTRACT_1}\n\n"
     f"Submitted by bob\n2 authors\n▲ 3\nPruning Schedules\n{ABSTRACT_2}\n",
     [("Step Verifiers", 4, None, 12), ("Pruning Schedules", 2, None, 3)]),
    ("banner glued to the first title, no metadata",
     f"newGet trending papers in your email inbox!Daily PapersbyAK and the research communityMar 12Step Verifiers\n"
     f"{ABSTRACT_1}\n\nPruning Schedules\n{ABSTRACT_2}\n",
     [("Step Verifiers", None, None, None), ("Pruning Schedules", None, None, None)]),
    ("date with upvotes, organisation line, arXiv link",
     f"Step Verifiers\n\n{ABSTRACT_1}\n\nOPPO Research\n·\nDec 30, 2024 2\nhttps://arxiv.org/abs/2412.01234\n\n"
     f"Pruning Schedules\n\n{ABSTRACT_2}\n\n  • 1 author\n·\n3 Jan 2025\n",
     [("Step Verifiers", None, "2024-12-30", 2), ("Pruning Schedules", 1, "2025-01-03", None)]),
    ("repeated chrome lines and an abstract in two paragraphs",
     f"Step Verifiers\n{ABSTRACT_1}\n{ABSTRACT_2}\nView PDF\nShare this\n\nPruning Schedules\n{ABSTRACT_2}\nView PDF\n"
     f"Share this\n\nThird Paper\n{ABSTRACT_1}\nView PDF\nShare this\n",
     [("Step Verifiers", None, None, None), ("Pruning Schedules", None, None, None), ("Third Paper", None, None, None)]),
]


def _wrapped(*papers) -> str:
    """A page as a text-mode browser dumps it: indented, hard-wrapped at 76 columns."""
    import textwrap

    page = "   Daily Papers\n\n"
    for title, abstract, meta in papers:
        for block in (title, abstract, meta):
            page += "\n".join("   " + line for line in textwrap.wrap(block, 76)) + "\n\n"
    return page


LAYOUT_CASES += [
    ("markdown list with links and labels",
     f"# Trending\n\n1. [Step Verifiers](https://arxiv.org/abs/2411.00001)\n\n   Abstract: {ABSTRACT_1}\n\n"
     f"2. **Pruning Schedules**\n\n   {ABSTRACT_2}\n\n[PDF] [Code]\n",
     [("Step Verifiers", None, None, None), ("Pruning Schedules", None, None, None)]),
    ("authors and affiliations between title and abstract",
     f"Step Verifiers\nAda Lovelace, Alan M. Turing and Grace Hopper\nUniversity of Edinburgh, Google DeepMind\n"
     f"{ABSTRACT_1}\n3 days ago\n💬 4\nPruning Schedules\nBo Li and Chen Wu\n{ABSTRACT_2}\nPDF\nCode\n",
     [("Step Verifiers", 3, None, None), ("Pruning Schedules", 2, None, None)]),
    ("hard-wrapped text dump",
     _wrapped(("Global Convergence of Sub-gradient Methods for Robust Matrix Recovery: Small Initialization, "
               "Noisy Measurements", ABSTRACT_1 + " " + ABSTRACT_2, "• 4 authors · Nov 19"),
              ("Pruning Schedules", ABSTRACT_2, "• 2 authors · Mar 18, 2024")),
     [("Global Convergence of Sub-gradient Methods for Robust Matrix Recovery: Small Initialization, Noisy "
       "Measurements", 4, "Nov 19", None), ("Pruning Schedules", 2, "2024-03-18", None)]),
]


LAYOUT_CASES += [
    ("arXiv listing with labelled fields",
     f"New submissions for Mon, 18 Nov 24\n\n[1] arXiv:2411.00001 [pdf, html, other]\nTitle: Step Verifiers\n"
     f"Ada Lovelace, Alan M. Turing, Grace Hopper\nComments: 14 pages, 5 figures\nSubjects: Computation and Language "
     f"(cs.CL)\n{ABSTRACT_1}\n\n[2] arXiv:2411.00002 [pdf, other]\nTitle: Pruning Schedules\nBo Li, Chen Wu\n"
     f"Journal-ref: CVPR 2025\nSubjects: Computer Vision (cs.CV)\n{ABSTRACT_2}\n",
     [("Step Verifiers", 3, None, None), ("Pruning Schedules", 2, None, None)]),
    ("repository cards with stars",
     f"Trending Research\n\nStep Verifiers\nada/step-verifiers • 1,234 ★\n{ABSTRACT_1}\nPython · 120 stars / hour\n\n"
     f"Pruning Schedules\nbo/pruning • 87 ★\n{ABSTRACT_2}\nPyTorch · 9 stars / hour\n",
     [("Step Verifiers", None, None, None), ("Pruning Schedules", None, None, None)]),
    ("metadata between title and abstract, one-sentence summaries",
     "Step Verifiers\n\n• 4 authors · Nov 19\n\nWe propose a small verifier of reasoning steps that is trained on "
     "critiqued solutions and improves the accuracy of open models on GSM8K by four points.\n\nPruning Schedules\n\n"
     "• 2 authors · Mar 18, 2024\n\nLearned token pruning schedules drop background tokens layer by layer and cut the "
     "compute of vision transformers on ImageNet by forty percent without any loss in accuracy.\n",
     [("Step Verifiers", 4, "Nov 19", None), ("Pruning Schedules", 2, "2024-03-18", None)]),
    ("search results with authors, venue and year",
     f"Step Verifiers\nAda Lovelace, Alan Turing • NeurIPS • 2023\n{ABSTRACT_1}\nCited by 12\n\n"
     f"Pruning Schedules\nBo Li, Chen Wu • CVPR • 2024\n{ABSTRACT_2}\nCited by 3\n",
     [("Step Verifiers", 2, "2023", None), ("Pruning Schedules", 2, "2024", None)]),
]


@pytest.mark.parametrize("name, page, expected", LAYOUT_CASES, ids=[c[0] for c in LAYOUT_CASES])
def test_readers_listing_layouts(name, page, expected):
    records = list(parse_listing_lines(enumerate(page.splitlines(), 1)))
    assert [(r.title, r.n_authors, r.date, r.upvotes) for r in records] == expected


def test_readers_listing_two_paragraph_abstract_is_one():
    records = list(parse_listing_lines(enumerate(LAYOUT_CASES[5][1].splitlines(), 1)))
    assert records[0].abstract == ABSTRACT_1 + "\n\n" + ABSTRACT_2


def test_readers_listing_arxiv_link_gives_the_id():
    records = list(parse_listing_lines(enumerate(LAYOUT_CASES[4][1].splitlines(), 1)))
    assert records[0].arxiv_id == "2412.01234"


def test_readers_listing_markdown_link_and_author_names():
    markdown = list(parse_listing_lines(enumerate(LAYOUT_CASES[6][1].splitlines(), 1)))
    assert markdown[0].arxiv_id == "2411.00001" and markdown[0].abstract == ABSTRACT_1
    named = list(parse_listing_lines(enumerate(LAYOUT_CASES[7][1].splitlines(), 1)))
    assert named[0].authors == ["Ada Lovelace", "Alan M. Turing", "Grace Hopper"]
    assert named[1].authors == ["Bo Li", "Chen Wu"]


def test_readers_listing_arxiv_ids_from_reference_lines():
    records = list(parse_listing_lines(enumerate(LAYOUT_CASES[9][1].splitlines(), 1)))
    assert [r.arxiv_id for r in records] == ["2411.00001", "2411.00002"]
    assert records[1].authors == ["Bo Li", "Chen Wu"]


@pytest.mark.parametrize("page", [LAYOUT_CASES[0][1], LAYOUT_CASES[1][1], LAYOUT_CASES[8][1], LAYOUT_CASES[9][1],
                                  LAYOUT_CASES[10][1], LAYOUT_CASES[11][1]])
def test_readers_listing_pages_are_detected_as_listings(tmp_path, page):
    path = tmp_path / "page"
    path.write_text(page)
    with open_source(path) as source:
        assert detect_format(source) == "listing"


def test_readers_listing_title_without_abstract_is_reported():
    page = f"Step Verifiers\n{ABSTRACT_1}\n• 4 authors\nA Paper Whose Abstract Is Missing\n• 2 authors\nPruning Schedules\n{ABSTRACT_2}\n"
    records = list(parse_listing_lines(enumerate(page.splitlines(), 1)))
    assert [(type(r).__name__, r.line) for r in records] == [("RawRecord", 1), ("Problem", 4), ("RawRecord", 6)]


LABELLED_CASES = [
    # fixture: a paper list whose fields carry labels; (title, authors, venue, url) kept; problems
    ("listing-labelled.md",
     [(SMA, ["Mira Okafor", "Tomás Lindqvist", "Hye-jin Park"], "NeurIPS 2023", "https://example.org/paper/12"),
      (ROLLOUTS, ["Dana Whitfield"], "ICML 2024", "https://example.org/paper/13")],
     {"no abstract": 1}),  # Tiny Critics: a labelled abstract of seven words is reported, not made a title
    ("listing-labelled.txt",
     [(SMA, ["Mira Okafor", "Tomás Lindqvist", "Hye-jin Park"], "NeurIPS 2023", "https://example.org/paper/12"),
      (ROLLOUTS, ["Dana Whitfield", "Kenji Arakawa"], "ICML 2024", "https://example.org/paper/13")], {}),
    ("listing-labelled-list.md",
     [(SMA, ["Mira Okafor", "Tomás Lindqvist", "Hye-jin Park"], "NeurIPS 2023", "https://arxiv.org/abs/2411.04321"),
      (ROLLOUTS, ["Dana Whitfield", "Kenji Arakawa"], "ICML 2024", "https://example.org/paper/13")], {}),
]


@pytest.mark.parametrize("fixture, expected, skipped", LABELLED_CASES, ids=[c[0] for c in LABELLED_CASES])
@pytest.mark.parametrize("forced", [None, "listing"])
def test_readers_listing_labelled_fields(fixture, expected, skipped, forced):
    papers, report, _ = read([SOURCES / fixture], format=forced)
    assert report.formats[str(SOURCES / fixture)] == "listing"
    assert [(p.title, p.authors, p.venue, p.url) for p in papers] == expected
    assert dict(report.skipped) == skipped
    assert papers[0].abstract.startswith("We propose sparse mixture adapters") and papers[0].abstract.endswith("over LoRA.")


def test_readers_listing_labelled_url_gives_the_arxiv_id():
    papers, _, _ = read([SOURCES / "listing-labelled-list.md"])
    assert papers[0].id == "arxiv:2411.04321"


@pytest.mark.parametrize("forced", [None, "listing"])
def test_readers_listing_of_records_that_are_no_papers_is_one_error(forced):
    path = SOURCES / "listing-untitled.txt"
    papers, report, problems = read([path, SOURCES / "papers.tsv"], format=forced)
    assert [str(err) for err in problems] == [
        f"{path}: read as a listing, 3 of 3 records are no papers (titles that are author lists or web "
        "addresses: 3); a layout paperkg cannot read (see --format)"]
    assert report.kept_by_input[str(path)] == 0


STRIP_CASES = [
    ("Daily PapersbyAK and the research communityMar 12From Logistic Regression", "From Logistic Regression"),
    ("Get trending papers in your email inbox!SubscribeStep Verifiers", "Step Verifiers"),
    ("Nov 19, 2024Step Verifiers", "Step Verifiers"),
    ("New Directions in Pruning", "New Directions in Pruning"),
    ("SearchNet: Retrieval at Scale", "SearchNet: Retrieval at Scale"),
    ("Papers with Code Are Reproducible", "Papers with Code Are Reproducible"),
    ("May 2024 Benchmarks Revisited", "May 2024 Benchmarks Revisited"),
]


@pytest.mark.parametrize("glued, title", STRIP_CASES)
def test_readers_listing_strip_chrome(glued, title):
    assert strip_chrome(glued) == title


def test_readers_listing_example_page_of_the_readme():
    papers, report, problems = read([EXAMPLE_PAGE])
    assert report.kept == 5 and not problems
    assert (papers[0].n_authors, papers[0].date, papers[0].upvotes) == (4, None, 12)  # "Nov 19" names no year: no date


# ---- bad input ----------------------------------------------------------------------------

GOOD_OAI = (SOURCES / "arxiv-oai.jsonl").read_bytes().splitlines(keepends=True)


def _oai_lines(n: int) -> bytes:
    first = GOOD_OAI[0]
    return b"".join(first.replace(b"2411.04321", b"2411.%05d" % i).replace(b"Sparse Mixture", b"Sparse Mixture %d" % i)
                    for i in range(n))


def _latin1_page() -> bytes:
    return (f"Réseaux Profonds Simplifiés\n\n{ABSTRACT_1} Théorie générale.\n\nPruning Schedules\n\n{ABSTRACT_2}\n"
            .encode("latin-1"))


BAD_RECORD_CASES = [
    # name, file name, content, kept, (line, reason) reported, skipped kind
    ("malformed JSON line", "a.jsonl", GOOD_OAI[0] + b'{"id": "2401.1", "title": "Broken\n' + GOOD_OAI[2],
     2, (2, "malformed JSON: Unterminated string"), "malformed JSON"),
    ("wrong encoding", "page.txt", _latin1_page(), 1, (1, "text is not UTF-8"), "not UTF-8"),
    ("record without abstract", "s2.json", (SOURCES / "semantic-scholar.json").read_bytes(), 2,
     (4, "'A Survey of Survey Papers' has no abstract"), "no abstract"),
    ("truncated JSON document", "s2.json", (SOURCES / "semantic-scholar.json").read_bytes()[:1500], 1,
     (3, "document breaks off inside a record (truncated file?)"), "truncated"),
    ("truncated JSON Lines", "a.jsonl", b"".join(GOOD_OAI)[:-200], 2, (3, "(the line ends early)"), "malformed JSON"),
    ("truncated Atom feed", "feed.xml", (SOURCES / "arxiv.atom").read_bytes()[:-700], 1,
     (None, "feed breaks off (truncated file?)"), "truncated"),
    ("truncated gzip", "big.jsonl.gz", gzip.compress(_oai_lines(400))[: -2000], None,
     (None, "truncated or corrupt gzip data"), "truncated"),
    ("10 MB line", "a.jsonl", GOOD_OAI[0] + b'{"title": "' + b"x" * (10 << 20) + b'"}\n' + GOOD_OAI[2], 2,
     (2, "bytes is longer than the 4,194,304-byte limit"), "line-too-long"),
    ("10 MB line in a page", "page.txt",
     f"Step Verifiers\n{ABSTRACT_1}\n".encode() + b"y" * (10 << 20) + f"\nPruning Schedules\n{ABSTRACT_2}\n".encode(),
     2, (3, "longer than the 4,194,304-byte limit"), "line-too-long"),
    ("broken BibTeX entry", "lib.bib",
     (SOURCES / "library.bib").read_bytes().replace(b"@book{noabstract2020,\n  title  = {A", b"@book{noabstract2020,\n  title  = {{A"),
     2, (30, "malformed BibTeX entry"), "malformed BibTeX"),
    ("API error response", "s2.json", b'{"message": "Too Many Requests", "code": "429"}', 0,
     (1, "an API error response, not paper data: 'Too Many Requests'"), "API error"),
    ("null record of a batch", "batch.json", b'[null, {"paperId": "x", "title": "T", "abstract": "' + ABSTRACT_1.encode() + b'"}]',
     1, (1, "null record"), "null record"),
    ("lone surrogate escape in JSON", "a.jsonl",
     b'{"title": "Step \\ud800 Verifiers", "abstract": "' + ABSTRACT_1.encode() + b'"}\n' + GOOD_OAI[2],
     1, (1, "lone surrogate"), "not UTF-8"),
    ("lone surrogate in an author", "a.jsonl",
     b'{"title": "Step Verifiers", "authors": "Ada \\udfff", "abstract": "' + ABSTRACT_1.encode() + b'"}\n' + GOOD_OAI[2] + b"{",
     2, (3, "malformed JSON"), "malformed JSON"),
    ("lines of garbage before JSON Lines", "a.jsonl", b'"title": broken\n}\n]\n' + GOOD_OAI[2],
     1, (1, "malformed JSON"), "malformed JSON"),
    ("30k-deep JSON line", "a.jsonl", b"[" * 30_000 + b"]" * 30_000 + b"\n" + GOOD_OAI[2],
     1, (1, "nested too deeply"), "malformed JSON"),
    ("100k-deep JSON document", "a.json", b"[" * 100_000 + b"]" * 100_000, 0, (1, "nested too deeply"), "malformed JSON"),
    ("100k-deep record of a JSON document", "a.json",
     b'[{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b', {"paperId": "x", "title": "T", "abstract": "' + ABSTRACT_1.encode()
     + b'"}]', 1, (1, "nested too deeply"), "malformed JSON"),
    ("abstract of 1.5 million characters", "a.jsonl",
     b'{"title": "Step Verifiers", "abstract": "' + b"We verify. " * 150_000 + b'"}\n' + GOOD_OAI[2],
     1, (1, "abstract of 1,650,000 characters is longer than the 100,000-character limit"), "abstract too long"),
]


@pytest.mark.parametrize("name, filename, content, kept, reported, kind", BAD_RECORD_CASES, ids=[c[0] for c in BAD_RECORD_CASES])
def test_readers_bad_record_reported_and_rest_kept(tmp_path, name, filename, content, kept, reported, kind):
    path = tmp_path / filename
    path.write_bytes(content)
    papers, report, problems = read([path])
    line, reason = reported
    assert problems, "nothing reported"
    first = problems[0]
    assert isinstance(first, BadRecord) and first.file == str(path) and reason in first.reason
    if line is not None:
        assert first.line == line and str(first).startswith(f"{path}:{line}: ")
    assert report.skipped[kind] >= 1
    if kept is not None:
        assert report.kept == kept
    else:
        assert report.kept > 0  # the records before the break
    assert report.read == report.kept + report.duplicates + sum(isinstance(p, BadRecord) for p in problems)


@pytest.mark.parametrize("field", ['"DOI": "10.1234/x.0\xddQ"', '"DOI": "10.1234/x.0\\udfff"'])
def test_readers_undecodable_doi_keeps_the_paper_with_an_id_utf8_can_write(tmp_path, field):
    path = tmp_path / "s2.json"
    path.write_bytes(b'{"data": [{"paperId": "p0", "externalIds": {' + field.encode("latin-1") + b'}, "title": "Step Verifiers", '
                     b'"abstract": "' + ABSTRACT_1.encode() + b'"}]}')
    papers, report, problems = read([path])
    assert report.kept == 1 and not problems
    assert papers[0].id == papers[0].id.encode("utf-8").decode() == "doi:" + papers[0].doi


@pytest.mark.parametrize("name, filename, content, kept, reported, kind", BAD_RECORD_CASES, ids=[c[0] for c in BAD_RECORD_CASES])
def test_readers_strict_stops_at_the_first_bad_record(tmp_path, name, filename, content, kept, reported, kind):
    path = tmp_path / filename
    path.write_bytes(content)
    with pytest.raises(BadRecord) as caught:
        list(read_papers([str(path)], strict=True))
    assert reported[1] in caught.value.reason


WHOLE_INPUT_CASES = [
    ("empty", "empty.txt", b"", "empty input"),
    ("blank", "blank.txt", b"\n \n\t\n", "empty input"),
    ("binary", "data.json", bytes(range(256)) * 64, "a binary file, not text"),
    ("pdf", "paper.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document, not text"),
    ("empty gzip", "e.jsonl.gz", gzip.compress(b""), "empty input (empty gzip stream)"),
    ("HTML error page", "papers.json",
     b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title></head><body><h1>503</h1></body></html>",
     "an HTML page with no papers ('503 Service Unavailable'): an error page saved instead of data?"),
    ("page with no papers", "notes.txt", b"Shopping list\n\nmilk, eggs\n", "no papers found"),
    ("CSV without an abstract column", "t.csv", b"name,title\nx,A title\n", "no abstract column (columns: name, title)"),
]


@pytest.mark.parametrize("name, filename, content, message", WHOLE_INPUT_CASES, ids=[c[0] for c in WHOLE_INPUT_CASES])
def test_readers_unreadable_input_is_one_line_and_the_rest_is_read(tmp_path, name, filename, content, message):
    bad = tmp_path / filename
    bad.write_bytes(content)
    papers, report, problems = read([bad, SOURCES / "papers.tsv"])
    assert len(problems) == 1 and message in str(problems[0]) and "\n" not in str(problems[0])
    assert str(problems[0]).startswith(str(bad))
    assert report.kept == 2


def test_readers_csv_header_of_odd_names_is_shown_on_one_short_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b'"name\nof it",' + b"x" * 300 + b",title\nx,y,A title\n")
    _, _, problems = read([path], format="csv")
    assert [str(err) for err in problems] == [f"{path}:1: no abstract column (columns: name of it, {'x' * 39}…, title); "
                                              "name it with --abstract-col"]


def test_readers_missing_file_and_directory(tmp_path):
    _, report, problems = read([tmp_path / "nope.txt", tmp_path])
    assert [str(e) for e in problems] == [f"{tmp_path / 'nope.txt'}: no such file", f"{tmp_path}: is a directory, not a file"]
    assert report.kept == 0 and report.skipped["unreadable input"] == 2


def test_readers_strict_stops_at_an_unreadable_input(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(read_papers([str(tmp_path / "nope.txt"), str(SOURCES / "papers.tsv")], strict=True))


# ---- one paper from many sources ------------------------------------------------------------

def test_readers_same_paper_from_many_sources_is_read_once():
    files = [SOURCES / f for f in ("listing.html", "hf-daily.json", "arxiv.atom", "arxiv-oai.jsonl",
                                   "semantic-scholar.json", "library.bib", "openalex.json", "papers.csv")]
    papers, report, _ = read(files)
    titles = [normalise_title(p.title) for p in papers]
    assert len(titles) == len(set(titles))
    assert titles.count(normalise_title(SMA)) == 1
    assert report.duplicates == 10  # SMA 5, Curriculum Rollouts 2, Verifier 3
    assert report.read == report.kept + report.duplicates + sum(report.skipped.values())


def test_readers_duplicates_merge_into_the_graph_node():
    files = [SOURCES / f for f in ("listing-consecutive.txt", "openalex.json", "library.bib", "semantic-scholar.json")]
    papers, report, _ = read(files)
    builder = GraphBuilder()
    for paper in papers:
        builder.add(Extraction(paper))
    for paper in report.duplicate_papers:
        builder.merge_duplicate(paper)
    verifier = next(d for _, d in builder.graph.nodes(data=True) if d.get("title") == VERIFIER)
    # The page gave upvotes and a date; OpenAlex, BibTeX and Semantic Scholar the rest.
    assert verifier["upvotes"] == 14 and verifier["date"] == "2024-03-18"
    assert verifier["authors"] == ["Priya Raman", "Oskar Nyberg"]
    assert verifier["doi"] == "10.1234/jmlr.2024.0173"
    assert verifier["venue"] == "Journal of Machine Learning Research"
    assert len(verifier["sources"]) == 4


def test_readers_detects_without_file_names(tmp_path):
    for fixture, fmt, *_ in FORMAT_CASES:
        unnamed = tmp_path / f"input-{fmt}"
        unnamed.write_bytes((SOURCES / fixture).read_bytes())
        with open_source(unnamed) as source:
            assert detect_format(source) == fmt, fixture


# ---- the command line ---------------------------------------------------------------------

EVERY_FORMAT = [c[0] for c in FORMAT_CASES] + ["custom-columns.jsonl"]


def _paperkg(*args: str):
    from click.testing import CliRunner

    from paperkg.graph.cli import cli

    return CliRunner().invoke(cli, list(args))


def test_readers_cli_build_reads_every_format_in_one_call(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    graph = tmp_path / "kg.json"
    result = _paperkg("build", "--graph", str(graph), *[str(SOURCES / f) for f in EVERY_FORMAT], str(empty))
    assert result.exit_code == 0, result.output
    assert f"{empty}: empty input" in result.stderr
    assert f"{SOURCES / 'semantic-scholar.json'}:4: 'A Survey of Survey Papers' has no abstract" in result.stderr
    assert "build: read " in result.stderr and "Traceback" not in result.output
    from paperkg.graph.store import read_graph

    papers = {d["title"]: dict(d, node=n) for n, d in read_graph(graph).nodes(data=True) if d["label"] == "Paper"}
    assert len(papers) == len({normalise_title(t) for c in FORMAT_CASES for t in c[2]} | {normalise_title(
        "Ensembles of Tiny Critics")})
    sma = papers[SMA]  # one node from seven sources, with the union of their metadata
    assert (sma["node"], sma["upvotes"], sma["venue"]) == ("arxiv:2411.04321", 7, "Findings of EMNLP 2024")
    assert sma["authors"] == ["Mira Okafor", "Tomás Lindqvist", "Hye-jin Park"] and len(sma["sources"]) == 7


def test_readers_cli_strict_stops_and_leaves_the_graph_as_it_was(tmp_path):
    graph = tmp_path / "kg.json"
    assert _paperkg("build", "--graph", str(graph), str(SOURCES / "arxiv.atom")).exit_code == 0
    before = graph.read_bytes()
    result = _paperkg("build", "--strict", "--graph", str(graph), str(SOURCES / "hf-daily.json"),
                      str(SOURCES / "semantic-scholar.json"))
    assert result.exit_code == 1
    assert f"{SOURCES / 'semantic-scholar.json'}:4: 'A Survey of Survey Papers' has no abstract" in result.stderr
    assert graph.read_bytes() == before


# ---- author fields ------------------------------------------------------------------------

AUTHOR_CASES = [
    # the author field of a CSV row or JSON record, the names read
    ("Ada Lovelace, Alan Turing", ["Ada Lovelace", "Alan Turing"]),
    ("Ada Lovelace, Alan M. Turing", ["Ada Lovelace", "Alan M. Turing"]),
    ("Lovelace, Ada", ["Ada Lovelace"]),
    ("Turing, Alan M.", ["Alan M. Turing"]),
    ("van der Berg, Jan", ["Jan van der Berg"]),
    ("De la Cruz, Maria Jose", ["Maria Jose De la Cruz"]),
    ("Anji Liu, Guy Van den Broeck", ["Anji Liu", "Guy Van den Broeck"]),
    ("Davin Choo, Tommaso d'Orsi", ["Davin Choo", "Tommaso d'Orsi"]),
    ("Raman, Priya; Nyberg, Oskar", ["Priya Raman", "Oskar Nyberg"]),
    ("Ada Lovelace, Alan Turing and Grace Hopper", ["Ada Lovelace", "Alan Turing", "Grace Hopper"]),
]


@pytest.mark.parametrize("field, names", AUTHOR_CASES)
def test_readers_author_field_two_full_names_are_two_authors(tmp_path, field, names):
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps({"title": "Step Verifiers", "abstract": ABSTRACT_1, "authors": field}) + "\n")
    papers, _, _ = read([path])
    assert papers[0].authors == names


def test_readers_cli_build_skips_an_abstract_spacy_would_refuse(tmp_path):
    huge = tmp_path / "a.jsonl"
    huge.write_bytes(b'{"title": "Step Verifiers", "abstract": "' + b"We verify. " * 150_000 + b'"}\n' + GOOD_OAI[2])
    graph = tmp_path / "kg.json"
    result = _paperkg("build", "--graph", str(graph), str(huge))
    assert result.exit_code == 0, result.output
    assert f"{huge}:1: 'Step Verifiers': abstract of 1,650,000 characters is longer than" in result.stderr
    assert "Traceback" not in result.output and "E088" not in result.output


def test_readers_duplicates_use_bounded_memory(tmp_path):
    import tracemalloc

    record = json.dumps({"title": "Step Verifiers", "abstract": ABSTRACT_1 * 12, "authors": ["Ada Lovelace"]})
    path = tmp_path / "repeated.jsonl"
    path.write_text((record + "\n") * 600)  # 1.3 MB of one paper: held whole, the copies took more than the bound
    tracemalloc.start()
    try:
        papers, report, problems = read([path])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (len(papers), report.duplicates, problems) == (1, 599, [])
    assert peak < 1 << 20, f"peak {peak:,} bytes"
    assert [(p.id, p.source, p.authors) for p in report.duplicate_papers] == [(papers[0].id, f"{path}:2", ["Ada Lovelace"])]


def test_readers_cli_build_of_a_listing_that_yields_no_papers_exits_1(tmp_path):
    graph = tmp_path / "kg.json"
    result = _paperkg("build", "--graph", str(graph), "--format", "listing", str(SOURCES / "listing-untitled.txt"))
    assert result.exit_code == 1 and "records are no papers" in result.stderr
    assert not graph.exists()

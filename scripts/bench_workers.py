"""Sharded extraction against one process, through the CLI, on real abstracts.

Takes the first ``--papers`` records of the conference abstracts in
``../shared/data/conference-abstracts/`` (or the JSON Lines file given) and times,
each as a fresh ``paperkg`` process with wall-clock time (pipeline loading included):

- ``paperkg extract`` in one process (the baseline),
- ``--workers N``,
- ``--n-process N`` (the same worker processes as ``--workers N``),
- ``--scheduler`` on a Dask cluster of N worker processes (one thread each) on loopback,
  started before the timing, as a user's cluster would be;

and ``paperkg build`` in one process against ``--workers N``. Every output must equal
the baseline's, byte for byte (extractions) or as a graph (build). Prints one JSON
object per run with its time and its speed-up over the baseline of the same run:

    python scripts/bench_workers.py --papers 2000 --workers 2
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from collections.abc import Iterable
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")
DEFAULT_INPUT = ROOT.parent / "shared" / "data" / "conference-abstracts" / "ml-conference-abstracts.jsonl.gz"


class Run(NamedTuple):
    seconds: float  # wall clock
    cpu: float  # user + system seconds of every process this script started meanwhile (Dask workers too)
    peak_memory: int  # bytes: the largest sum, over the samples, of those processes' proportional set sizes


def _descendant_cpu() -> dict[int, float]:
    """CPU seconds so far of each process descending from this one (read from /proc)."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS)
    parents = {pid: ppid for pid, (ppid, _) in stats.items()}

    def descends(pid: int) -> bool:
        while pid in parents and pid != os.getpid():
            pid = parents[pid]
        return pid == os.getpid()

    return {pid: cpu for pid, (_, cpu) in stats.items() if pid != os.getpid() and descends(pid)}


def _memory(pids: Iterable[int]) -> int:
    """The summed proportional set size of ``pids``, in bytes: pages forked workers still share with
    their parent count once, split between them, where summed RSS would count them in each."""
    total = 0
    for pid in pids:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:  # ended meanwhile
            continue
        total += next((int(line.split()[1]) * 1024 for line in rollup.splitlines() if line.startswith("Pss:")), 0)
    return total


def paperkg(*args: str) -> Run:
    """Run the CLI; its wall-clock and CPU seconds and peak memory. A failure prints the command's error and stops.

    CPU is the sum over the processes seen (every 0.1 s) of what each used during the run, so it
    says what the work cost whatever else the machine was running.
    """
    before = _descendant_cpu()
    last = dict(before)
    start = time.perf_counter()
    command = subprocess.Popen([sys.executable, "-c", "from paperkg.graph.cli import main; main()", *map(str, args)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while command.poll() is None:
        now = _descendant_cpu()
        last.update(now)
        peak = max(peak, _memory(now))
        time.sleep(0.1)
    seconds = time.perf_counter() - start
    stderr = command.stderr.read()
    if command.returncode:
        sys.exit(f"paperkg {' '.join(map(str, args))}: exit {command.returncode}: {stderr.strip()}")
    last.update(_descendant_cpu())
    return Run(seconds, sum(cpu - before.get(pid, 0.0) for pid, cpu in last.items()), peak)


def sample(source: Path, papers: int, out: Path) -> None:
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8") as lines, open(out, "w", encoding="utf-8") as sink:
        sink.writelines(itertools.islice(lines, papers))


def report(what: str, run: Run, baseline: Run, papers: int, same: bool) -> None:
    """One JSON line; the load average says how much else the machine was running."""
    print(json.dumps({"what": what, "seconds": round(run.seconds, 2), "speedup": round(baseline.seconds / run.seconds, 2),
                      "cpu_seconds": round(run.cpu, 1), "cpu_ms_per_paper": round(1000 * run.cpu / papers, 2),
                      "cpu_ratio": round(run.cpu / baseline.cpu, 2), "peak_memory_mb": round(run.peak_memory / 2**20),
                      "same_output": same,
                      "load_average_1min": round(os.getloadavg()[0], 1)}), flush=True)


def graph_content(path: Path) -> object:
    """A graph file's nodes and edges, order aside (the build's write order is not the point here)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    key = lambda item: json.dumps(item, sort_keys=True)  # noqa: E731
    return sorted(map(key, data["nodes"])), sorted(map(key, data["edges"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", nargs="?", type=Path, default=DEFAULT_INPUT, help="JSON Lines of papers")
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        tmp = Path(tmp)
        corpus = tmp / "papers.jsonl"
        sample(args.input, args.papers, corpus)
        n = str(args.workers)

        baseline = paperkg("extract", corpus, "-o", tmp / "one.jsonl")
        expected = (tmp / "one.jsonl").read_bytes()
        report("extract, one process", baseline, baseline, args.papers, True)
        for what, options in [(f"extract --workers {n}", ["--workers", n]),
                              (f"extract --n-process {n}", ["--n-process", n])]:
            run = paperkg("extract", corpus, "-o", tmp / "out.jsonl", *options)
            report(what, run, baseline, args.papers, (tmp / "out.jsonl").read_bytes() == expected)

        from distributed import LocalCluster

        with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            run = paperkg("extract", corpus, "-o", tmp / "dask.jsonl", "--scheduler", cluster.scheduler_address)
        report(f"extract --scheduler (LocalCluster, {n} worker processes)", run, baseline, args.papers,
               (tmp / "dask.jsonl").read_bytes() == expected)

        build_baseline = paperkg("build", corpus, "--graph", tmp / "one.json")
        report("build, one process", build_baseline, build_baseline, args.papers, True)
        run = paperkg("build", corpus, "--graph", tmp / "workers.json", "--workers", n)
        report(f"build --workers {n}", run, build_baseline, args.papers,
               graph_content(tmp / "workers.json") == graph_content(tmp / "one.json"))


if __name__ == "__main__":
    main()

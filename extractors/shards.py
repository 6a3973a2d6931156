"""Extraction JSON Lines: writing them, and reading them back without extracting again.

The line format is ``paperkg extract``'s (see :mod:`paperkg.extractors.records`): one
``Extraction.to_dict()`` per line. Sharded extraction (:mod:`paperkg.extractors.parallel`)
writes a directory of such files, ``part-00000.jsonl``, ``part-00001.jsonl`` ...
in input order; :func:`read_extractions` reads files, directories of shards
(in shard order) and ``-``, compressed or not.

Every value read is checked against the format before it becomes a record: an
entity or relation type outside paperkg's vocabulary, a field of the wrong kind
or a lone surrogate makes the line a bad record (reported, skipped), because
types become graph labels and everything else graph properties.

>>> import io, json
>>> from paperkg.extractors.records import Extraction, Paper
>>> line = extraction_line(Extraction(Paper(id="title:x", title="T", abstract="A.")))
>>> extraction_from_json(json.loads(line)).paper.id
'title:x'
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path
from types import UnionType
from typing import Any, Callable, Iterable, Iterator, NamedTuple, get_args, get_type_hints

from .errors import BadRecord, InputError
from .readers import ReadReport
from .readers.base import Problem
from .readers.jsonstream import DUPLICATE_KEY, loads
from .readers.reading import problem_reporter
from .readers.sources import STDIN, open_source
from .records import (COMPARISON_DIRECTIONS, ENTITY_TYPES, PAPER, RELATION_TYPES, RESULT_KINDS, Entity, Extraction, Mention,
                      Paper, Relation, Result)

__all__ = ["SHARD_GLOB", "shard_name", "shard_files", "extraction_line", "extraction_from_json", "read_extractions"]

SHARD_GLOB = "part-*.jsonl"
_SHARD_INDEX = re.compile(r"part-(\d+)\.jsonl")
_SURROGATE = re.compile("[\ud800-\udfff]")

ProblemHandler = Callable[[InputError], None]


def shard_name(index: int) -> str:
    """The file name of partition ``index``'s shard.

    >>> shard_name(7)
    'part-00007.jsonl'
    """
    return f"part-{index:05d}.jsonl"


def shard_files(directory: str | os.PathLike) -> list[Path]:
    """The shards of a directory in partition order (by number, so part-100000 follows part-99999)."""
    found = [(int(m.group(1)), p) for p in Path(directory).glob(SHARD_GLOB) if (m := _SHARD_INDEX.fullmatch(p.name))]
    return [path for _, path in sorted(found)]


def extraction_line(extraction: Extraction) -> str:
    """One JSON line (with its line break): the ``paperkg extract`` output format."""
    return json.dumps(extraction.to_dict(), ensure_ascii=False) + "\n"


# -- the format, as checks on values read ---------------------------------------------------

class Field(NamedTuple):
    """A key of a JSON object: the check its value must pass and whether it may be absent."""

    name: str
    check: Callable[[Any], bool]
    what: str  # what a good value is, for the message
    required: bool = True
    nullable: bool = False  # may be null (a required one still has to be there)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


#: The check of each field type the records use.
KIND_CHECKS = {
    str: (_text, "a string"),
    int: (_count, "a whole number of at least 0"),
    float: (_number, "a number"),
    list[str]: (_texts, "a list of strings"),
    list[Mention]: (_objects, "a list of objects"),
}
#: Fields whose values are a fixed vocabulary (types become graph labels).
VOCABULARIES = {
    (Entity, "type"): ENTITY_TYPES,
    (Relation, "type"): RELATION_TYPES,
    (Relation, "direction"): COMPARISON_DIRECTIONS,
    (Result, "kind"): RESULT_KINDS,
}


def _in(choices: tuple[str, ...]) -> Callable[[Any], bool]:
    return lambda value: value in choices


def record_fields(cls: type) -> tuple[Field, ...]:
    """The fields of a record dataclass, each with its check, read from the class itself."""
    hints = get_type_hints(cls)
    result = []
    for field in dataclasses.fields(cls):
        hint = hints[field.name]
        kind = next(k for k in get_args(hint) if k is not type(None)) if isinstance(hint, UnionType) else hint
        required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        nullable = isinstance(hint, UnionType)
        choices = VOCABULARIES.get((cls, field.name))
        if choices:
            result.append(Field(field.name, _in(choices), "one of " + ", ".join(choices), required, nullable))
        else:
            result.append(Field(field.name, *KIND_CHECKS[kind], required, nullable))
    return tuple(result)


PAPER_FIELDS, ENTITY_FIELDS, MENTION_FIELDS, RELATION_FIELDS, RESULT_FIELDS = map(
    record_fields, (Paper, Entity, Mention, Relation, Result))


class FormatProblem(ValueError):
    """A value that does not follow the extraction format; the message says where and what."""


def _checked(obj: Any, fields: tuple[Field, ...], where: str) -> dict[str, Any]:
    """``obj``'s known fields, each checked (unknown keys are ignored, as ``Paper.from_dict`` does)."""
    if not isinstance(obj, dict):
        raise FormatProblem(f"{where} is not an object")
    if DUPLICATE_KEY in obj:
        raise FormatProblem(f"{where} repeats the key {obj[DUPLICATE_KEY]!r}")
    for field in fields:
        if field.name not in obj or (obj[field.name] is None and (field.nullable or not field.required)):
            if field.required and field.name not in obj:
                raise FormatProblem(f"{where} has no {field.name!r}")
            continue
        if not field.check(obj[field.name]):
            raise FormatProblem(f"{where}.{field.name} is {_short(obj[field.name])}, not {field.what}")
    return {f.name: obj[f.name] for f in fields if obj.get(f.name) is not None or (f.required and f.nullable)}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def extraction_from_json(record: Any) -> Extraction:
    """The :class:`Extraction` a parsed JSON line holds; :class:`FormatProblem` if it breaks the format."""
    if not isinstance(record, dict) or not isinstance(record.get("paper"), dict):
        raise FormatProblem("not an extraction (paperkg extract's format: an object with a 'paper' object)")
    surrogate = next((found for text in _strings(record) if (found := _SURROGATE.search(text))), None)
    if surrogate:
        raise FormatProblem(f"text holds a lone surrogate (\\u{ord(surrogate.group()):04x}), which is no character")
    paper = Paper(**_checked(record["paper"], PAPER_FIELDS, "paper"))
    for key in ("entities", "relations", "results"):
        if not isinstance(record.get(key, []), list):
            raise FormatProblem(f"{key} is {_short(record[key])}, not a list")
    entities = []
    for i, raw in enumerate(record.get("entities", [])):
        data = _checked(raw, ENTITY_FIELDS, f"entities[{i}]")
        data["mentions"] = [Mention(**_checked(m, MENTION_FIELDS, f"entities[{i}].mentions[{j}]"))
                            for j, m in enumerate(data.get("mentions", []))]
        entities.append(Entity(**data))
    names = {PAPER} | {n for e in entities for n in (e.name, *e.aliases)}
    relations = []
    for i, raw in enumerate(record.get("relations", [])):
        relation = Relation(**_checked(raw, RELATION_FIELDS, f"relations[{i}]"))
        unknown = next((n for n in (relation.head, relation.tail) if n not in names), None)
        if unknown is not None:
            raise FormatProblem(f"relations[{i}] names {_short(unknown)}, which is no entity of this paper")
        relations.append(relation)
    results = []
    for i, raw in enumerate(record.get("results", [])):
        result = Result(**_checked(raw, RESULT_FIELDS, f"results[{i}]"))
        unknown = next((n for n in (result.subject, result.benchmark, result.baseline) if n not in names | {None}), None)
        if unknown is not None:
            raise FormatProblem(f"results[{i}] names {_short(unknown)}, which is no entity of this paper")
        results.append(result)
    return Extraction(paper, entities, relations, results)


# -- reading ---------------------------------------------------------------------------------

def _files(name: str, problem: Callable[[InputError, str], None]) -> list[str]:
    """The files an input stands for: itself, or a directory's shards in order (none: a problem)."""
    if name == STDIN or not Path(name).is_dir():
        return [name]
    shards = shard_files(name)
    if not shards:
        problem(InputError(name, f"is a directory without shards ({SHARD_GLOB}); give a directory paperkg "
                                 "extract -o wrote, or extraction files"), "unreadable input")
    return list(map(str, shards))


def read_extractions(
    inputs: Iterable[str | os.PathLike],
    *,
    report: ReadReport | None = None,
    strict: bool = False,
    on_problem: ProblemHandler | None = None,
) -> Iterator[Extraction]:
    """Stream the extractions in ``inputs`` (extraction JSON Lines files, shard directories, ``-``).

    A paper already read (same id) is counted as a duplicate and skipped; a bad
    line is reported (``on_problem``) and skipped, or raised with ``strict``.
    """
    report = report if report is not None else ReadReport()
    seen: set[str] = set()
    problem = problem_reporter(report, strict, on_problem)
    for name in (file for given in map(str, inputs) for file in _files(given, problem)):
        try:
            source = open_source(name)
        except InputError as err:
            problem(err, "unreadable input")
            continue
        with source:
            report.formats[source.name] = "extractions"
            for item in source.lines():
                if isinstance(item, tuple) and not item[1].strip():
                    continue
                report.read += 1
                extraction = _parse_line(item)
                if isinstance(extraction, Problem):
                    problem(BadRecord(source.name, extraction.reason, extraction.line), extraction.kind)
                elif extraction.paper.id in seen:
                    report.duplicates += 1
                else:
                    seen.add(extraction.paper.id)
                    report.kept += 1
                    report.kept_by_input[source.name] += 1
                    yield extraction


def _parse_line(item: tuple[int, str] | Problem) -> Extraction | Problem:
    if isinstance(item, Problem):
        return item
    number, text = item
    try:
        return extraction_from_json(loads(text))
    except json.JSONDecodeError as err:
        return Problem(number, "not JSON", f"not JSON: {err.msg} at column {err.colno}")
    except FormatProblem as err:
        return Problem(number, "not an extraction", str(err))

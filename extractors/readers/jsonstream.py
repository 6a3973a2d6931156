"""JSON documents read one record at a time, in constant memory.

An API response is an array of records (``[{...}, ...]``) or an object holding
one (``{"data": [...]}``, ``{"results": [...]}``); a lone object is one record.
:func:`iter_json_records` walks the document with the standard library's
decoder, decoding each record as soon as it is complete, so a document of any
size is never held whole. A record that does not decode is reported at its
line and reading resumes at the next record; a document that breaks off is
reported where it ends.

>>> import io
>>> text = '{"meta": {"count": 2},\\n "results": [\\n {"title": "A"},\\n {"title": "B"}]}'
>>> list(iter_json_records(io.StringIO(text), ("results",)))
[(3, {'title': 'A'}), (4, {'title': 'B'})]
"""

from __future__ import annotations

import json
import re
from typing import Iterator, TextIO

from .base import Problem
from .sources import MAX_LINE_BYTES

__all__ = ["iter_json_records", "loads", "DUPLICATE_KEY", "TOO_DEEP"]

_CHUNK = 1 << 16
_WS = re.compile(r"\s*")
# Where the next record of an array may start after a broken one.
_NEXT_RECORD = re.compile(r"\}\s*,\s*(?=\{)")
#: Set on an object that repeats a key: two records run together, and one would silently vanish.
DUPLICATE_KEY = "\x00duplicate key"


def _object_pairs(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set = set()
        for key, _ in pairs:
            if key in seen:
                obj[DUPLICATE_KEY] = key  # the first key given twice
                break
            seen.add(key)
    return obj


#: Why a value nested deeper than Python's recursion limit (no paper record is) is not read.
TOO_DEEP = "arrays and objects nested too deeply to read"


def loads(text: str) -> object:
    """``json.loads`` that marks objects repeating a key (see :data:`DUPLICATE_KEY`).

    Raises ``json.JSONDecodeError`` for any text that is no JSON value, a too deeply nested one included.
    """
    try:
        return json.loads(text, object_pairs_hook=_object_pairs)
    except RecursionError:
        raise json.JSONDecodeError(TOO_DEEP, text, 0) from None


_DECODER = json.JSONDecoder(object_pairs_hook=_object_pairs)


class _Buffer:
    """Text read ahead from a stream, with the line number of every position."""

    def __init__(self, stream: TextIO):
        self.stream, self.text, self.pos, self.eof = stream, "", 0, False
        self.broken = False  # the document broke off: the end is reported once
        self._line, self._counted = 1, 0  # line number at offset _counted of text

    def more(self) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(_CHUNK)
        if not chunk:
            self.eof = True
            return False
        # Drop what is consumed, so the buffer holds one record at most.
        self.line_at(self.pos)
        self.text = self.text[self.pos:] + chunk
        self._counted -= self.pos
        self.pos = 0
        return True

    def line_at(self, pos: int) -> int:
        if pos > self._counted:
            self._line += self.text.count("\n", self._counted, pos)
            self._counted = pos
        return self._line

    def skip_ws(self) -> str:
        """The next non-blank character ('' at the end), without consuming it."""
        while True:
            self.pos = _WS.match(self.text, self.pos).end()  # type: ignore[union-attr]  # "\s*" matches anywhere
            if self.pos < len(self.text) or not self.more():
                return self.text[self.pos: self.pos + 1]

    def decode(self) -> tuple[object, None] | tuple[None, str]:
        """The next JSON value, or the reason it cannot be decoded (it is then skipped)."""
        self.skip_ws()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except RecursionError:
                return None, self._skip(f"malformed JSON: {TOO_DEEP}")
            except json.JSONDecodeError as err:
                if len(self.text) - self.pos > MAX_LINE_BYTES:
                    return None, self._skip(f"record is longer than the {MAX_LINE_BYTES:,}-byte limit")
                if self.more():
                    continue
                if err.pos >= len(self.text) - 1 or "Unterminated" in err.msg:
                    self.pos, self.broken = len(self.text), True
                    return None, "document breaks off inside a record (truncated file?)"
                return None, self._skip(f"malformed JSON: {err.msg}")
            # A value ending exactly at the buffer's end may be a number cut in two.
            if end == len(self.text) and not self.eof and self.more():
                continue
            self.pos = end
            return value, None

    def _skip(self, reason: str) -> str:
        """Move past a broken record to where the next one seems to start."""
        while True:
            match = _NEXT_RECORD.search(self.text, self.pos + 1)
            if match:
                self.pos = match.end()
                return reason
            self.line_at(len(self.text))
            self.pos = len(self.text)
            if not self.more():
                return reason


def iter_json_records(stream: TextIO, record_lists: tuple[str, ...]) -> Iterator[tuple[int, object] | Problem]:
    """``(line, record)`` for each record of a JSON document, or a Problem for a broken one.

    ``record_lists`` names the keys of a top-level object whose array holds the records.
    """
    buf = _Buffer(stream)
    first = buf.skip_ws()
    if first == "[":
        buf.pos += 1
        yield from _array(buf)
    elif first == "{":
        yield from _object(buf, record_lists)
    else:
        line = buf.line_at(buf.pos)
        value, reason = buf.decode()
        yield Problem(line, "malformed JSON", reason or "a JSON document holds no records (an object or array)")
    if buf.skip_ws():
        yield Problem(buf.line_at(buf.pos), "malformed JSON", "text after the end of the JSON document")


def _array(buf: _Buffer) -> Iterator[tuple[int, object] | Problem]:
    while True:
        char = buf.skip_ws()
        if char == "]":
            buf.pos += 1
            return
        if char == "":
            if not buf.broken:
                buf.broken = True
                yield Problem(buf.line_at(buf.pos), "truncated", "document breaks off before its closing ']' (truncated file?)")
            return
        line = buf.line_at(buf.pos)
        value, reason = buf.decode()
        if reason:
            yield Problem(line, "truncated" if buf.broken else "malformed JSON", reason)
            continue
        yield line, value
        char = buf.skip_ws()
        if char == ",":
            buf.pos += 1
        elif char not in ("]", ""):
            yield Problem(buf.line_at(buf.pos), "malformed JSON", f"expected ',' or ']' between records, found {char!r}")
            buf._skip("")


def _object(buf: _Buffer, record_lists: tuple[str, ...]) -> Iterator[tuple[int, object] | Problem]:
    """The records of ``{"key": [records], ...}``; a lone record object is itself the record."""
    start = buf.line_at(buf.pos)
    buf.pos += 1
    members: dict[str, object] = {}
    found_list = False
    while True:
        char = buf.skip_ws()
        if char == "}":
            buf.pos += 1
            break
        if char == ",":
            buf.pos += 1
            continue
        if char == "" and buf.broken:
            return
        if char != '"':
            yield Problem(buf.line_at(buf.pos), "truncated" if char == "" else "malformed JSON",
                          "document breaks off (truncated file?)" if char == "" else f"malformed JSON object at {char!r}")
            return
        key, reason = buf.decode()
        if buf.skip_ws() != ":":
            yield Problem(buf.line_at(buf.pos), "truncated" if buf.broken or not buf.skip_ws() else "malformed JSON",
                          reason or "expected ':' after a key")
            return
        buf.pos += 1
        if key in record_lists and buf.skip_ws() == "[":
            buf.pos += 1
            found_list = True
            yield from _array(buf)
            continue
        line = buf.line_at(buf.pos)
        value, reason = buf.decode()
        if reason:
            yield Problem(line, "truncated" if buf.broken else "malformed JSON", reason)
            return
        if not found_list:
            members[str(key)] = value
    if not found_list:
        yield start, members

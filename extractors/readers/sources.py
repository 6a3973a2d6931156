"""Opening inputs: files, ``-`` (stdin), compressed streams, and their lines.

:func:`open_source` gives a :class:`Source`: the decompressed byte stream of
one input (gzip, bzip2 and xz are recognised by their magic bytes, whatever the
file is called), the first :data:`SNIFF_BYTES` of it for format detection, and
a line iterator with a length limit, so no input, however large or strange,
is ever held in memory whole. Text is decoded as UTF-8 with
``surrogateescape``: an undecodable byte survives as a lone surrogate and the
reading loop reports the record that contains it (``not UTF-8 text``), so one
bad byte costs one record, never the file.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import sys
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator, Protocol

from paperkg.extractors.errors import InputError
from paperkg.extractors.readers.base import Problem

__all__ = [
    "SNIFF_BYTES",
    "MAX_LINE_BYTES",
    "STDIN",
    "Source",
    "DamagedInput",
    "open_source",
    "decode",
]

#: How much of an input format detection looks at.
SNIFF_BYTES = 64 * 1024
#: The longest line (or JSON record) a reader accepts; longer ones are reported and skipped.
#: Real records are far smaller: an abstract is a few KB, an OpenAlex work rarely 200 KB.
MAX_LINE_BYTES = 4 * 1024 * 1024
#: The input name that means standard input.
STDIN = "-"

_COMPRESSED = (
    (b"\x1f\x8b", "gzip", lambda stream: gzip.GzipFile(fileobj=stream, mode="rb")),
    (b"BZh", "bzip2", bz2.BZ2File),
    (b"\xfd7zXZ\x00", "xz", lzma.LZMAFile),
)
# Formats nobody should feed a text reader, named so the message says what the file is.
_NOT_TEXT = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (extract it first)"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed (decompress it first)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"7z\xbc\xaf", "a 7-Zip archive (extract it first)"),
    (b"SQLite format 3", "an SQLite database"),
)
_PIECE = 4096
_DECOMPRESSION_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, lzma.LZMAError, OSError)


class DamagedInput(Exception):
    """The byte stream of an input breaks off (truncated or corrupt compressed data)."""


def decode(data: bytes) -> str:
    """Bytes as text: UTF-8, undecodable bytes kept as lone surrogates.

    >>> decode("Théorie".encode())
    'Théorie'
    >>> decode(b"Th\\xe9orie")
    'Th\\udce9orie'
    """
    return data.decode("utf-8", "surrogateescape")


class _ByteStream(Protocol):
    """What the opening steps read from: a file, a decompressor, or one of the streams below."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Checked(io.RawIOBase):
    """A decompressing stream whose breakage surfaces as :class:`DamagedInput`."""

    def __init__(self, stream: _ByteStream, kind: str):
        self._stream, self._kind = stream, kind

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            # Small reads: a stream that breaks off loses at most one piece of what came before the break.
            data = self._stream.read(min(len(buffer), _PIECE))
        except _DECOMPRESSION_ERRORS as err:
            detail = "compressed data ends early" if isinstance(err, EOFError) else str(err)
            raise DamagedInput(f"truncated or corrupt {self._kind} data ({detail})") from None
        buffer[: len(data)] = data
        return len(data)


class _HeadThenRest(io.RawIOBase):
    """The sniffed head bytes followed by the rest of the stream, as one stream."""

    def __init__(self, head: bytes, rest: _ByteStream | None, damage: DamagedInput | None):
        self._head, self._rest, self._damage = memoryview(head), rest, damage

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        if self._damage is not None:
            raise self._damage
        if self._rest is None:
            return 0
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


@dataclass
class Source:
    """One opened input.

    ``stream`` yields the decompressed bytes from the start; ``head`` is their
    first :data:`SNIFF_BYTES`; ``line`` is the number of the last line read
    through :meth:`lines` (parsers that read ``stream`` themselves keep it
    up to date), so errors can say where they happened.
    """

    name: str
    stream: BinaryIO
    head: bytes
    compression: str | None = None
    line: int = 0
    _closers: list = field(default_factory=list, repr=False)

    def lines(self, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[int, str] | Problem]:
        """``(number, text)`` per line (without its line break), or a Problem for a line over ``limit`` bytes.

        An over-long line is skipped in chunks, so it never sits in memory whole.
        """
        number = 0
        while True:
            data = self.stream.readline(limit + 1)
            if not data:
                return
            number += 1
            self.line = number
            if len(data) > limit and not data.endswith(b"\n"):
                size = len(data)
                while data and not data.endswith(b"\n"):
                    data = self.stream.readline(1 << 20)
                    size += len(data)
                yield Problem(number, "line-too-long", f"line of {size:,} bytes is longer than the {limit:,}-byte limit")
                continue
            text = decode(data.rstrip(b"\r\n"))
            if number == 1:
                text = text.removeprefix("\ufeff")
            yield number, text

    def peek_line(self, limit: int = MAX_LINE_BYTES) -> bytes:
        """The bytes up to the end of the first non-blank line (at most ``limit``), left in the stream."""
        data = b""
        while len(data) < limit:
            more = self.stream.readline(limit - len(data))
            data += more
            if not more or (more.endswith(b"\n") and data.strip()):
                break
        self.stream = io.BufferedReader(_HeadThenRest(data, self.stream, None), buffer_size=1 << 16)
        return data

    def close(self) -> None:
        for close in reversed(self._closers):
            close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _read_head(stream: _ByteStream) -> tuple[bytes, DamagedInput | None]:
    chunks, size = [], 0
    try:
        while size < SNIFF_BYTES:
            chunk = stream.read(min(SNIFF_BYTES - size, _PIECE))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except DamagedInput as err:
        return b"".join(chunks), err
    return b"".join(chunks), None


def _describe_binary(head: bytes) -> str | None:
    """What a non-text head is, or None if it looks like text."""
    for magic, what in _NOT_TEXT:
        if head.startswith(magic):
            return what
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text (re-encode it as UTF-8)"
    sample = head[:8192]
    if b"\x00" in sample:
        return "a binary file"
    controls = sum(1 for b in sample if b < 32 and b not in b"\t\n\r\f\v\x1b")
    if sample and controls / len(sample) > 0.05:
        return "a binary file"
    return None


def open_source(name: str | os.PathLike) -> Source:
    """Open one input (a path or ``"-"``) for reading, decompressing as needed.

    Raises :class:`InputError` for an input that cannot be read as text at
    all: missing, a directory, unreadable, empty, binary.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "empty.txt"
    >>> _ = path.write_text("")
    >>> open_source(path)
    Traceback (most recent call last):
    ...
    paperkg.extractors.errors.InputError: .../empty.txt: empty input
    """
    label = str(name)
    closers = []
    if label == STDIN:
        label = "<stdin>"
        if sys.stdin is None:  # started with standard input closed ("<&-")
            raise InputError(label, "standard input is closed")
        raw: BinaryIO = sys.stdin.buffer
    else:
        try:
            raw = open(name, "rb")
        except FileNotFoundError:
            raise InputError(label, "no such file") from None
        except IsADirectoryError:
            raise InputError(label, "is a directory, not a file") from None
        except PermissionError:
            raise InputError(label, "permission denied") from None
        except OSError as err:
            raise InputError(label, f"cannot open: {err.strerror or err}") from None
        closers.append(raw.close)
    try:
        return _wrap(label, raw, closers)
    except BaseException:
        for close in reversed(closers):
            close()
        raise


def _wrap(label: str, raw: BinaryIO, closers: list) -> Source:
    try:
        magic = raw.read(8)
    except OSError as err:
        raise InputError(label, f"cannot read: {err.strerror or err}") from None
    compression = next((kind for prefix, kind, _ in _COMPRESSED if magic.startswith(prefix)), None)
    raw_rest = _HeadThenRest(magic, raw, None)
    buffered = io.BufferedReader(raw_rest)
    stream: _ByteStream = buffered
    if compression:
        opener = next(cls for _, kind, cls in _COMPRESSED if kind == compression)
        decompressed = opener(buffered)
        closers.append(decompressed.close)
        stream = _Checked(decompressed, compression)
    head, damage = _read_head(stream)
    if not head.strip():
        if damage is not None:
            raise InputError(label, str(damage))
        raise InputError(label, "empty input" + (f" (empty {compression} stream)" if compression else ""))
    what = _describe_binary(head)
    if what is not None:
        raise InputError(label, f"{what}, not text")
    full = io.BufferedReader(_HeadThenRest(head, stream, damage), buffer_size=1 << 16)
    return Source(label, full, head, compression, _closers=closers)

"""How far a run has read its inputs, in bytes: what a progress bar's rate and ETA rest on.

The readers open each input themselves; the position of the open file (``/proc/self/fdinfo``,
Linux) says how much of it they have read, compressed inputs included, without the readers
knowing. Elsewhere, or for standard input, only whole inputs count.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
>>> _ = path.write_text("x" * 100)
>>> tracker = BytesRead([path])
>>> tracker.total, tracker.done()
(100, 0)
>>> with open(path, "rb", buffering=0) as f:  # the position the OS has read to
...     _ = f.read(40)
...     tracker.done()
40
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

__all__ = ["BytesRead"]

_FD_DIR = Path("/proc/self/fd")


class BytesRead:
    """Bytes read so far of a list of input files, read one after another."""

    def __init__(self, inputs: Iterable[str | os.PathLike]):
        self.paths = [Path(p).resolve() for p in inputs if str(p) != "-" and Path(p).is_file()]
        self.sizes = [p.stat().st_size for p in self.paths]
        self.total = sum(self.sizes)
        self._current = 0  # the input being read (those before it are done)
        self._position = 0

    def done(self) -> int:
        """Bytes of the inputs read so far (never going back)."""
        for index, position in self._open_positions():
            if index > self._current or (index == self._current and position > self._position):
                self._current, self._position = index, position
        return sum(self.sizes[:self._current]) + min(self._position, self.sizes[self._current] if self.sizes else 0)

    def _open_positions(self) -> Iterable[tuple[int, int]]:
        """(input index, file position) of each input open now."""
        index_of = {str(path): i for i, path in enumerate(self.paths)}
        try:
            fds = list(_FD_DIR.iterdir())
        except OSError:
            return
        for fd in fds:
            try:
                index = index_of.get(os.readlink(fd))
                if index is not None:
                    yield index, _fd_position(fd.name)
            except OSError:  # closed meanwhile
                continue


def _fd_position(fd: str) -> int:
    with open(f"/proc/self/fdinfo/{fd}") as info:
        for line in info:
            if line.startswith("pos:"):
                return int(line.split()[1])
    return 0

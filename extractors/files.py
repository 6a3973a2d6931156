"""Writing files and directories so that a failed or interrupted run leaves the old ones as they were.

>>> import tempfile
>>> from pathlib import Path
>>> target = Path(tempfile.mkdtemp()) / "out"
>>> with staged_directory(target) as staging:
...     _ = (staging / "a.txt").write_text("new")
>>> sorted(p.name for p in target.iterdir()), sorted(p.name for p in target.parent.iterdir())
(['a.txt'], ['out'])
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["umask", "staged_directory"]


def umask() -> int:
    """The process's umask (reading it means setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """A new directory beside ``target`` to write into; once the block ends it takes ``target``'s
    place (an earlier ``target`` is moved aside, then removed); if the block fails it is removed
    and ``target`` stays as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        yield staging
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes it private; the result is an ordinary directory
        _replace_directory(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _replace_directory(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is by renames: an earlier ``target`` is moved aside, then removed."""
    if not target.exists() or not any(target.iterdir()):
        os.replace(new, target)  # rename(2) replaces an empty directory
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    os.replace(target, old)  # onto the empty directory just made
    try:
        os.replace(new, target)
    except BaseException:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)

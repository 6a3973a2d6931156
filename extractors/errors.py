"""The one exception hierarchy of paperkg.

Every error a user can cause derives from :class:`PaperkgError`; the CLI turns
each into a one-line message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["PaperkgError", "InputError", "BadRecord", "UsageError", "PipelineError", "OutputError", "WorkerError",
           "MissingDependency", "import_optional"]


class PaperkgError(Exception):
    """Base class of every error paperkg raises on purpose."""


class UsageError(PaperkgError):
    """A bad option or argument value; the message names it and the valid choices."""


class PipelineError(PaperkgError):
    """The extraction pipeline or its data (model, gazetteer) cannot be built or loaded."""


class InputError(PaperkgError):
    """A whole input cannot be read (missing, binary, empty, unknown format).

    ``str(err)`` is ``FILE:LINE: reason`` (``FILE: reason`` without a line).
    """

    def __init__(self, file: str, reason: str, line: int | None = None):
        self.file = str(file)
        self.line = line
        self.reason = reason
        super().__init__(self.location + ": " + reason)

    @property
    def location(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


class BadRecord(InputError):
    """One record of an input is unusable; readers report it and go on (unless strict)."""


class OutputError(PaperkgError):
    """A file cannot be written (read-only, disk full, immutable); what it held is unchanged.

    ``str(err)`` is ``FILE: reason``.
    """

    def __init__(self, file: str, reason: str):
        self.file = str(file)
        self.reason = reason
        super().__init__(f"{self.file}: {reason}")


class WorkerError(PaperkgError):
    """Sharded extraction failed outside this process: a worker died, or a Dask cluster is unreachable."""


class MissingDependency(PaperkgError):
    """An optional package that a function needs is not installed; the message says how to install it."""


def import_optional(module: str, needed_by: str, install: str) -> ModuleType:
    """``module``, or :class:`MissingDependency` naming what needs it and the ``pip install`` arguments.

    >>> import_optional("no_such_package", "this example", "'paperkg[extra]'")
    Traceback (most recent call last):
    ...
    paperkg.extractors.errors.MissingDependency: this example needs no_such_package, which is not installed: pip install 'paperkg[extra]'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(f"{needed_by} needs {module}, which is not installed: pip install {install}") from None

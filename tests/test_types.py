"""The package's type hints hold: mypy, configured by pyproject.toml's [tool.mypy], passes over paperkg."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def _mypy(package_root: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    """mypy over the checkout seen as package ``paperkg``, with a cold cache in workdir.

    The checkout's folder need not be called paperkg, and mypy does not follow the editable install's
    import hook, so a folder ``paperkg`` linking to it goes on MYPYPATH.
    """
    (workdir / "paperkg").symlink_to(package_root, target_is_directory=True)
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CHECKOUT / "pyproject.toml"),
         "--cache-dir", str(workdir / "mypy-cache")],
        cwd=workdir, env={**os.environ, "MYPYPATH": str(workdir)}, capture_output=True, text=True)


def test_types_mypy_passes(tmp_path):
    result = _mypy(CHECKOUT, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # Every module was checked: a configuration that lost a package would pass on fewer files.
    modules = 2 + sum(1 for folder in ("graph", "extractors") for _ in (CHECKOUT / folder).rglob("*.py"))
    checked = re.search(r"Success: no issues found in (\d+) source files", result.stdout)
    assert checked and int(checked.group(1)) >= modules, result.stdout

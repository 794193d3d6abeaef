"""The code style CI holds every change to: ruff's lint rules and formatter, and mypy over bench/
(pyproject.toml)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
HAS_MYPY = importlib.util.find_spec("mypy") is not None


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed (it comes with the test extra)")
@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff_passes(command):
    result = subprocess.run([RUFF, *command, "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration  # a cold type check of the core takes most of a minute: CI and `tox -e lint` run it
@pytest.mark.skipif(not HAS_MYPY, reason="mypy is not installed (it comes with the test extra)")
def test_mypy_passes():
    # Incremental: .mypy_cache in the repository root keeps a rerun to a few seconds.
    result = subprocess.run([sys.executable, "-m", "mypy", "bench"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

"""The code style CI holds every change to: ruff's lint rules and formatter, mypy over bench/ and
bandit over the shipped code (pyproject.toml)."""

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
HAS_BANDIT = importlib.util.find_spec("bandit") is not None


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


def _bandit(*paths: str | Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "bandit", "-q", "-c", str(ROOT / "pyproject.toml"), "-r", *map(str, paths)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


@pytest.mark.skipif(not HAS_BANDIT, reason="bandit is not installed (it comes with the test extra)")
def test_bandit_finds_nothing_in_the_shipped_code():
    result = _bandit("bench", "plugins")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not HAS_BANDIT, reason="bandit is not installed (it comes with the test extra)")
def test_bandit_with_this_projects_settings_still_flags_unpickling(tmp_path):
    (tmp_path / "loader.py").write_text("import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)\n")
    result = _bandit(tmp_path)
    assert result.returncode == 1 and "B301" in result.stdout, result.stdout + result.stderr

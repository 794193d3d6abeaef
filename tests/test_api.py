"""The Python API end to end: docs/api.md's example, piped to python's standard input (the fork
server must not try to import `<stdin>`), on the `mean` model and a tiny synthetic corpus."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.integration
def test_the_documented_example_runs_from_stdin(tmp_path):
    text = (ROOT / "docs" / "api.md").read_text()
    script = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    env = {
        **os.environ,
        "AFB_RESULTS_DIR": str(tmp_path / "results"),
        "AFB_CACHE_DIR": str(tmp_path / "cache"),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 trials" in done.stdout and "mean" in done.stdout

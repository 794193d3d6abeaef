"""The end-to-end run on a non-TensorFlow Keras backend (JAX, CPU): the built-in models run
unchanged, and the backend is recorded and named in the leaderboard."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax"])
def test_end_to_end_on_another_backend(backend, tmp_path):
    pytest.importorskip(backend)
    env = {**os.environ, "KERAS_BACKEND": backend, "COLUMNS": "250",
           "AFB_RESULTS_DIR": str(tmp_path / "results"), "AFB_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "bench.cli", "run", "--model", "2dspec", "--model", "1dwav", "--model", "mean",
               "--split", "song", "--seeds", "1", "--songs", "8", "--seconds", "12", "--epochs", "1"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    [run_dir] = (tmp_path / "results").iterdir()
    assert json.loads((run_dir / "run.json").read_text())["backend"] == backend
    records = [json.loads(p.read_text()) for p in (run_dir / "trials").glob("*.json")]
    assert len(records) == 3 and all(r["status"] == "ok" for r in records), [r.get("error") for r in records]
    assert {r["backend"] for r in records if r["model"] != "mean"} == {backend}
    assert f"backend {backend}" in run.stdout

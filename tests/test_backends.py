"""The end-to-end run on a non-TensorFlow Keras backend (JAX, CPU): the built-in models run
unchanged, and the backend is recorded and named in the leaderboard."""

from __future__ import annotations

import json

import pytest
from subprocesses import run_bench

pytestmark = pytest.mark.e2e  # installs packages, other backends, a cluster or paper-size models


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_end_to_end_on_another_backend(backend, tmp_path):
    pytest.importorskip(backend)
    run = run_bench(
        tmp_path,
        "run",
        "--model",
        "2dspec",
        "--model",
        "1dwav",
        "--model",
        "mean",
        "--split",
        "song",
        "--seeds",
        "1",
        "--songs",
        "8",
        "--seconds",
        "12",
        "--epochs",
        "1",
        KERAS_BACKEND=backend,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    [run_dir] = (tmp_path / "results").iterdir()
    assert json.loads((run_dir / "run.json").read_text())["backend"] == backend
    records = [json.loads(p.read_text()) for p in (run_dir / "trials").glob("*.json")]
    assert len(records) == 3 and all(r["status"] == "ok" for r in records), [r.get("error") for r in records]
    assert {r["backend"] for r in records if r["model"] != "mean"} == {backend}
    assert f"backend {backend}" in run.stdout

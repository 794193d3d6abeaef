"""A one-file plugin, written the way a researcher would (a FeatureSpec whose `shape` is a
lambda local to the hook), runs from the folder it sits in: `--plugin NAME` finds ./NAME.py
with the installed `bench` command, `--plugin ./NAME.py` takes the file, and the feature stage
computes the lambda-shaped feature without pickling it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from subprocesses import bench_env

PLUGIN = '''
"""An amplitude envelope and a ridge regression on it, in one file."""
import numpy as np
from sklearn.linear_model import Ridge

from bench import hookimpl
from bench.specs import FeatureSpec, ModelSpec


def envelope(window, profile):
    hop = profile.mel_hop
    n = 1 + window.shape[1] // hop
    padded = np.pad(np.abs(window), ((0, 0), (0, n * hop - window.shape[1])))
    return padded.reshape(2, n, hop).mean(axis=2).T.astype(np.float32)


@hookimpl
def bench_features():
    return [FeatureSpec("envelope", "mean |amplitude| per hop", "1", envelope,
                        lambda profile: (1 + profile.window_samples // profile.mel_hop, 2))]


@hookimpl
def bench_models():
    return [ModelSpec("envelope-ridge", "ridge on the envelope", "envelope", lambda shape, profile: Ridge(), "sklearn")]
'''


def bench(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """The installed `bench` console script (which, unlike `python -m`, does not put the
    current folder on the import path), run in `folder`."""
    script = Path(sys.executable).parent / "bench"
    return subprocess.run(
        [str(script), *args], cwd=folder, env=bench_env(folder), capture_output=True, text=True, timeout=600
    )


@pytest.mark.integration
def test_a_one_file_plugin_with_a_lambda_shape_runs_from_its_folder(tmp_path):
    (tmp_path / "my_plugin.py").write_text(PLUGIN)
    listing = bench(tmp_path, "plugins", "--plugin", "./my_plugin.py")
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "envelope-ridge" in listing.stdout and "--plugin file" in listing.stdout

    run = bench(
        tmp_path,
        *"run --plugin my_plugin --model envelope-ridge --split song --seeds 1 --songs 8 --seconds 12".split(),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pickle" not in run.stdout + run.stderr
    (record,) = [json.loads(p.read_text()) for p in (tmp_path / "results").glob("*/trials/*.json")]
    assert record["status"] == "ok", record.get("error")

"""Shared fixtures: a fresh plugin registry, a tiny rendered corpus, an isolated
results/cache folder for every test that runs the harness, and one finished tiny run."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The list of runs this machine created (bench.results.trust) lives in a folder of the session's own.
os.environ["AFB_CONFIG_DIR"] = tempfile.mkdtemp(prefix="afb-config-")
# Fixture modules (fixture builders, deliberately broken plugins) import by name in tests and
# in the trial processes they start, which inherit sys.path.
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import numpy as np
import pytest

from bench.features import extraction, numba_cache
from bench.features import pool as feature_pool
from bench.profiles import QUICK
from bench.registry import load_registry


def _compile_librosa_kernels() -> None:
    """Run every built-in feature once, before any test imports TensorFlow. librosa compiles
    numba kernels on first use, and numba and TensorFlow both bundle LLVM: compiling after
    TensorFlow has loaded has crashed the process. The harness's numba cache is shared with
    every `bench` process the tests start: the feature stage's probe compiles it under its
    lock (and clears a poisoned one) before this process loads the kernels."""
    features = list(load_registry().features.values())
    extraction.inherit(features)
    assert not feature_pool.probe((), [f.name for f in features], QUICK)
    window = (0.1 * np.random.default_rng(0).standard_normal((2, QUICK.window_samples))).astype(np.float32)
    with numba_cache.lock():
        for feature in features:
            feature.compute(window, QUICK)


_compile_librosa_kernels()


# Small enough for CI, big enough for every split: 8 songs of 2 windows, 4 artists.
TINY = {"songs": 8, "seconds": 12.0}
TINY_PROFILE = QUICK.replace(epochs=2, patience=1)


@pytest.fixture
def registry():
    """A registry built by a fresh plugin manager (entry points loaded anew)."""
    return load_registry()


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Results and cache under tmp_path, so tests never touch the user's folders."""
    monkeypatch.setenv("AFB_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("AFB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("AFB_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """The synthetic corpus at TINY size, rendered once per test session."""
    from plugins.sources import synth

    folder = tmp_path_factory.mktemp("corpus")
    labels = synth.render_corpus(folder, TINY["songs"], TINY["seconds"], seed=0)
    return folder, labels


@pytest.fixture
def stereo_window():
    """One random stereo window at the quick profile's rate."""
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((2, QUICK.window_samples))).astype(np.float32)


TINY_RUN_ARGS = (
    "run --model mean --model dsp-ridge --model 2dspec --split song --split window"
    " --seeds 2 --songs 8 --seconds 12 --epochs 2 --jobs 2"
).split()


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The folder of one finished tiny run (two baselines and 2dspec, song and window splits,
    two seeds: records with learning curves), made once per session (~20 s). Read-only:
    copy it (shutil.copytree) before writing into it."""
    from bench.cli.app import main
    from bench.results.store import find_run

    root = tmp_path_factory.mktemp("tiny_run")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AFB_RESULTS_DIR", str(root / "results"))
        patch.setenv("AFB_CACHE_DIR", str(root / "cache"))
        assert main(TINY_RUN_ARGS) == 0
    return find_run(root / "results", None).dir

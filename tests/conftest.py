"""Shared fixtures: a fresh plugin registry, a tiny rendered corpus, an isolated
results/cache folder for every test that runs the harness, and one finished tiny run.

`python -m pytest` runs the unit tests; `--full` adds the `integration` tests (they run
`bench`, train or use the run fixtures: marked here automatically) and the `e2e` ones (pip
installs, other backends, Ray, paper-size models)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Models trained in this process use TensorFlow's own kernels: oneDNN's convolution aborts the
# process on 2dwav-beats' input here (MklConvOp: "uint8 expected, got float"). `bench` processes
# the tests start choose for themselves (tests/subprocesses.py drops this setting).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# The list of runs this machine created (bench.results.trust) lives in a folder of the session's own.
os.environ["AFB_CONFIG_DIR"] = tempfile.mkdtemp(prefix="afb-config-")
# Fixture modules (fixture builders, deliberately broken plugins) import by name in tests and
# in the trial processes they start, which inherit sys.path.
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))

import numpy as np
import pytest

from bench.pipeline import environment

environment.configure()  # what `bench` does first: before numba or TensorFlow loads

from bench.features import numba_cache  # noqa: E402
from bench.features import pool as feature_pool  # noqa: E402
from bench.profiles import QUICK  # noqa: E402
from bench.registry import collect, forget_registries, load_registry, make_plugin_manager  # noqa: E402

LIBROSA_FEATURES = ("wav", "mel", "dsp", "wav-beats", "mel-beats", "dfa", "tempocnn-mel")  # not the pretrained encoders


def compile_librosa_kernels() -> None:
    """Run every built-in feature once, before any test imports TensorFlow. librosa compiles
    numba kernels on first use, and numba and TensorFlow both bundle LLVM: compiling after
    TensorFlow has loaded has crashed the process. The harness's numba cache is shared with
    every `bench` process the tests start: the feature stage's probe compiles it under its
    lock (and clears a poisoned one) before this process loads the kernels."""
    features = [f for f in load_registry().features.values() if f.name in LIBROSA_FEATURES]
    assert not feature_pool.probe(features, QUICK)
    with numba_cache.lock():
        feature_pool.run_on_noise({f.name: f for f in features}, [f.name for f in features], QUICK)


RUN_FIXTURES = {"tiny_run", "tiny_corpus", "isolated"}


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true", help="also run the integration and e2e tests (what CI runs)")


def _may_compute_features(arg: str) -> bool:
    path = Path(arg.split("::")[0])
    return path.is_dir() or (path.is_file() and "librosa_kernels" in path.read_text())


def pytest_configure(config):
    """Compile librosa's kernels before any test module imports TensorFlow (numba and TensorFlow
    both bundle LLVM: compiling after TensorFlow loaded crashes the process), but only when the
    session may compute features: a folder, or a file that asks for `librosa_kernels`."""
    if config.getoption("--full") or any(_may_compute_features(arg) for arg in config.args):
        compile_librosa_kernels()


def _runs_the_harness(item) -> bool:
    from bench.cli import app

    module = getattr(item, "module", None)
    return bool(RUN_FIXTURES & set(item.fixturenames)) or getattr(module, "main", None) is app.main


def pytest_collection_modifyitems(config, items):
    """Mark what runs the harness as integration; without --full, keep the unit tests only."""
    for item in items:
        if _runs_the_harness(item) and not item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.integration)
    if config.getoption("--full") or config.getoption("markexpr"):
        return
    kept = [i for i in items if not (i.get_closest_marker("integration") or i.get_closest_marker("e2e"))]
    config.hook.pytest_deselected(items=[i for i in items if i not in kept])
    items[:] = kept


@pytest.fixture(scope="session")
def librosa_kernels():
    """Marks a test that computes features in this process: its file makes pytest_configure compile
    librosa's kernels first."""


# Small enough for CI, big enough for every split: 8 songs of 2 windows, 4 artists.
TINY = {"songs": 8, "seconds": 12.0}
TINY_PROFILE = QUICK.replace(epochs=2, patience=1)


@pytest.fixture
def registry():
    """A registry built by a fresh plugin manager (entry points loaded anew)."""
    return collect(make_plugin_manager())


@pytest.fixture(autouse=True)
def _fresh_registries():
    """Each test collects the plugins anew on first use (tests install and break plugins)."""
    forget_registries()


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
    from bench_plugins.sources import synth

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

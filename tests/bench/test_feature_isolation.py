"""The feature stage isolates clips: a feature that raises, crashes or hangs on one clip fails
that clip's feature alone, is retried once and is reported; a later run does not retry a clip the
feature raised on (it says the failure is remembered), and does retry one that crashed or hung."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest
import soundfile
from conftest import TINY_PROFILE

from bench.features.cache import FeatureCache
from bench.features.stage import build_dataset
from bench.profiles import QUICK
from bench.registry import load_registry
from bench.specs import Catalog, FeatureSpec, Target, Track

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process

MEL = load_registry().features["mel"]
CALLS = "calls.log"  # each compute of the picky feature on a silent window appends a line here


def _silent(window: np.ndarray) -> bool:
    return float(np.abs(window).max()) == 0.0


def picky(behaviour: str, log_dir):
    """A feature that misbehaves on silent windows only (the test's one silent clip)."""

    def compute(window, profile):
        if _silent(window):
            with open(log_dir / CALLS, "a") as log:
                log.write(f"{os.getpid()}\n")
            if behaviour == "raise":
                raise RuntimeError("cannot handle silence")
            if behaviour == "crash":
                os.kill(os.getpid(), signal.SIGSEGV)
            if behaviour == "hang":
                time.sleep(600)
        return np.abs(window).mean(axis=1)

    return FeatureSpec("picky", "misbehaves on silence", "1", compute, lambda profile: (2,), ())


@pytest.fixture
def catalog(tiny_corpus, tmp_path):
    import csv

    folder, labels = tiny_corpus
    rows = list(csv.DictReader(open(labels)))[:4]
    tracks = [Track(r["track_id"], r["artist"], folder / r["file"], {"danceability": 0.5}) for r in rows]
    silent = tmp_path / "silent.wav"
    soundfile.write(silent, np.zeros((10 * 8000, 2), np.float32), 8000)
    return Catalog([*tracks, Track("silent", "x", silent, {"danceability": 0.5})], {"danceability": Target("d")})


@pytest.mark.integration
@pytest.mark.parametrize("behaviour", ["raise", "crash", "hang"])
def test_a_feature_failing_on_one_clip_fails_that_clip_alone(behaviour, catalog, tmp_path, monkeypatch):
    monkeypatch.setenv("AFB_FEATURE_TIMEOUT_S", "3")
    feature, cache, said = picky(behaviour, tmp_path), FeatureCache(tmp_path / "cache"), []
    dataset = build_dataset(catalog, [MEL, feature], TINY_PROFILE, cache, jobs=2, say=said.append)
    assert [t.id for t in dataset.tracks][-1] == "silent"  # mel worked on it, so its windows stay
    assert dataset.valid("mel").all()
    assert list(dataset.valid("picky")) == [True] * 8 + [False, False]  # masked for this feature only
    (problem,) = [p for p in dataset.problems if p.action == "masked"]
    expected = {"raise": "RuntimeError: cannot handle silence", "crash": "SIGSEGV", "hang": "hung"}[behaviour]
    assert problem.where.endswith("silent.wav") and "'picky'" in problem.what and expected in problem.what
    pids = (tmp_path / CALLS).read_text().split()
    assert len(set(pids)) == 2  # the first try and one retry, each in a process of its own

    again = build_dataset(catalog, [MEL, feature], TINY_PROFILE, cache, jobs=2)  # a later run
    (later,) = [p.what for p in again.problems if p.action == "masked"]
    if behaviour == "raise":  # the plugin's own error: remembered, dated, with the way to retry
        assert len((tmp_path / CALLS).read_text().split()) == len(pids)  # the clip is not retried
        assert "(not remembered" not in problem.what
        assert later.startswith(problem.what) and "remembered from an earlier run on 20" in later
        assert "bench cache forget-failures" in later
        assert cache.forget_failures() == 1
        build_dataset(catalog, [MEL, feature], TINY_PROFILE, cache, jobs=2)
        assert len((tmp_path / CALLS).read_text().split()) == 2 * len(pids)  # forgotten: tried again
    else:  # a crash or a hang may not recur: never remembered, so the next run tries the clip again
        assert "(not remembered: the next run tries this clip again)" in problem.what
        assert len((tmp_path / CALLS).read_text().split()) == 2 * len(pids)
        assert "remembered from an earlier run" not in later


def test_a_feature_with_the_wrong_shape_is_left_out_once_not_per_clip(catalog, tmp_path):
    transposed = FeatureSpec(
        "transposed", "channels first", "1", lambda w, p: np.asarray(w[:, :100]), lambda p: (100, 2), ()
    )
    dataset = build_dataset(catalog, [MEL, transposed], TINY_PROFILE, FeatureCache(tmp_path), say=print)
    (problem,) = [p for p in dataset.problems if "transposed" in p.where or "transposed" in p.what]
    assert problem.action == "left out" and "(2, 100)" in problem.what and "channels first" in problem.what
    assert not dataset.valid("transposed").any() and dataset.valid("mel").all()


def test_two_processes_building_one_dataset_at_once_agree(catalog, tmp_path):
    import multiprocessing

    def build(queue):
        dataset = build_dataset(catalog, [MEL], TINY_PROFILE, FeatureCache(tmp_path / "shared"))
        queue.put((len(dataset.window_track), [p.what for p in dataset.problems]))

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=build, args=(queue,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    outcomes = [queue.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join()
    assert [w.exitcode for w in workers] == [0, 0]
    assert outcomes[0] == outcomes[1] == (10, [])


def _segfault(window, profile):
    os.kill(os.getpid(), signal.SIGSEGV)


def test_a_probe_that_crashes_clears_the_numba_cache_once_then_names_the_feature(tmp_path, monkeypatch):
    from bench.features import numba_cache
    from bench.features import pool as feature_pool

    kernels = tmp_path / "numba"
    (kernels / "librosa_x").mkdir(parents=True)
    (kernels / "librosa_x" / "beat.nbi").write_bytes(b"poisoned")
    monkeypatch.setattr(numba_cache, "cache_dir", lambda: kernels)
    crashing = FeatureSpec("segfaults", "always crashes", "1", _segfault, lambda profile: (2,), ())
    said = []
    broken = feature_pool.probe([MEL, crashing], TINY_PROFILE, say=said.append)
    assert broken == {"segfaults": "crashed its process on a noise window (SIGSEGV)"}
    assert len(said) == 1 and "'segfaults'" in said[0] and "cleared" in said[0]
    assert not (kernels / "librosa_x").exists()  # the suspect kernels are gone


def _probe_in(tmp_path, monkeypatch, features):
    """Probe `features` with the probe's verdicts kept in tmp_path (the kernels stay the shared ones)."""
    from bench.features import numba_cache
    from bench.features import pool as feature_pool

    monkeypatch.setattr(numba_cache, "cache_dir", lambda: tmp_path / "numba")
    children = []

    class Counted(feature_pool._ProbeChild):
        def __init__(self, *args):
            children.append(args)
            super().__init__(*args)

    monkeypatch.setattr(feature_pool, "_ProbeChild", Counted)
    return feature_pool.probe(features, TINY_PROFILE), len(children)


def test_a_passed_probe_is_remembered_until_its_features_or_kernels_change(tmp_path, monkeypatch):
    assert _probe_in(tmp_path, monkeypatch, [MEL]) == ({}, 1)
    assert _probe_in(tmp_path, monkeypatch, [MEL]) == ({}, 0)  # same code, versions and kernels
    bumped = FeatureSpec("mel", MEL.description, MEL.version + "x", MEL.compute, MEL.shape, MEL.profile_fields)
    assert _probe_in(tmp_path, monkeypatch, [bumped]) == ({}, 1)
    (tmp_path / "numba" / "librosa_x").mkdir()
    (tmp_path / "numba" / "librosa_x" / "beat.nbi").write_bytes(b"recompiled")
    assert _probe_in(tmp_path, monkeypatch, [MEL]) == ({}, 1)


def test_a_remembered_probe_keeps_its_contract_verdict(tmp_path, monkeypatch):
    wrong = FeatureSpec("wrong-shape", "says 3, gives 2", "1", lambda w, p: np.zeros(2, np.float32), lambda p: (3,), ())
    first, children = _probe_in(tmp_path, monkeypatch, [wrong])
    assert children == 1 and "shape" in first["wrong-shape"]
    assert _probe_in(tmp_path, monkeypatch, [wrong]) == (first, 0)


def test_features_with_one_body_but_other_closures_are_probed_apart(tmp_path, monkeypatch):
    one, other = (FeatureSpec("picky", "", "1", picky(b, tmp_path), MEL.shape, ()) for b in ("raise", "crash"))
    assert _probe_in(tmp_path, monkeypatch, [one])[1] == 1
    assert _probe_in(tmp_path, monkeypatch, [other])[1] == 1


def test_the_workers_take_the_longest_clips_first(tmp_path):
    from bench.features.extraction import TrackJob
    from bench.features.pool import longest_first

    jobs = []
    for index, seconds in enumerate((1.0, 4.0, 2.0)):
        path = tmp_path / f"{index}.wav"
        soundfile.write(path, np.zeros((int(seconds * 8000), 2), np.float32), 8000)
        jobs.append(TrackJob(index, str(path), {}, (), TINY_PROFILE, str(tmp_path), "pad"))
    assert [job.index for job in longest_first(jobs)] == [1, 2, 0]


def test_a_verdict_is_found_again_by_another_process(tmp_path, monkeypatch):
    """Built-in features' code holds nested code: their identity must not depend on where a
    process put them in memory."""
    import subprocess
    import sys

    from bench.features import numba_cache
    from bench.features import pool as feature_pool

    monkeypatch.setattr(numba_cache, "cache_dir", lambda: tmp_path)
    features = load_registry().features
    names = list(features)
    script = (
        "import sys, pathlib; from bench.features import numba_cache;"
        "from bench.features import pool as feature_pool;"
        "from bench.registry import load_registry; from bench.profiles import QUICK;"
        "numba_cache.cache_dir = lambda: pathlib.Path(sys.argv[1]);"
        "print(feature_pool._verdict_path(load_registry().features, sys.argv[2:], QUICK))"
    )
    there = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), *names], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert there == str(feature_pool._verdict_path(features, names, QUICK))


def test_a_feature_worker_runs_blas_on_one_thread():
    import subprocess
    import sys

    script = (
        "import os, numpy, threadpoolctl; from bench.features.pool import one_blas_thread; one_blas_thread();"
        "print(sorted({i['num_threads'] for i in threadpoolctl.threadpool_info() if i['user_api'] == 'blas'}),"
        " os.environ['OPENBLAS_NUM_THREADS'])"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["[1]", "1"]


def test_the_workers_compute_the_specs_their_pool_is_handed(tmp_path):
    """Two builds in one process, one feature name, other code: each pool's workers compute its own
    specs (closures, which do not pickle), and the runner's process keeps none of them."""
    from bench.features import pool as feature_pool
    from bench.features.extraction import TrackJob

    path = tmp_path / "clip.wav"
    soundfile.write(path, np.full((10 * 8000, 2), 0.1, np.float32), 8000)
    cache = FeatureCache(tmp_path / "cache")
    for value in (1.0, 2.0):
        spec = FeatureSpec(
            "level", "a constant", "1", lambda w, p, v=value: np.full(2, v, np.float32), lambda p: (2,), ()
        )
        job = TrackJob(0, str(path), {"level": f"key{value:g}"}, (), TINY_PROFILE, str(cache.root), "pad")
        results = []
        feature_pool.LocalFeaturePool(1).run([job], [spec], results.append)
        assert not results[0].failures
        assert (cache.load("level", f"key{value:g}") == value).all()
    assert feature_pool._worker_features == {}


def test_a_probe_started_early_gives_its_verdict_when_asked_and_cancel_stops_it(tmp_path, monkeypatch):
    from bench.features import numba_cache
    from bench.features.pool import Probe

    monkeypatch.setattr(numba_cache, "cache_dir", lambda: tmp_path / "numba")
    started = Probe([MEL], TINY_PROFILE)
    assert started.child is not None and started.lock.is_locked  # running while its caller works on
    assert started.verdict() == {} and not started.lock.is_locked
    assert Probe([MEL], TINY_PROFILE).child is None  # remembered: nothing to run
    unwanted = Probe([MEL], TINY_PROFILE, remember=False)
    process = unwanted.child.child
    unwanted.cancel()
    assert process.exitcode is not None and not unwanted.lock.is_locked


def test_a_source_that_loaded_librosa_beside_the_probe_gets_a_fresh_probe(tmp_path, monkeypatch):
    """Two processes compiling one cached kernel at once can poison numba's cache: a fresh child
    that loads the kernels finds out (and a crash there clears the cache), a remembered verdict would not."""
    import sys

    from bench.features import numba_cache
    from bench.features.pool import Probe

    monkeypatch.setattr(numba_cache, "cache_dir", lambda: tmp_path / "numba")
    Probe([MEL], TINY_PROFILE).verdict()
    quiet = Probe([MEL], TINY_PROFILE)
    assert quiet.again_if_kernels_ran(set(sys.modules)) is quiet
    quiet.cancel()
    loaded = Probe([MEL], TINY_PROFILE)
    again = loaded.again_if_kernels_ran({name for name in sys.modules if name != "librosa"})
    assert again is not loaded and again.child is not None and not loaded.lock.is_locked
    assert again.verdict() == {}

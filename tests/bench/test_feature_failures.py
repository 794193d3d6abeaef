"""A feature failure the cache remembers: dated, reported as remembered, and forgettable."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from bench.cli.app import main
from bench.features.cache import MARKER, Failure, FeatureCache, NotACache
from bench.features.stage import build_dataset
from bench.profiles import QUICK
from bench.specs import Catalog, FeatureSpec, Target, Track

LEVEL = FeatureSpec("level", "mean level per channel", "1", lambda w, p: np.abs(w).mean(axis=1), lambda p: (2,), ())


def test_a_remembered_failure_has_its_reason_and_date(tmp_path):
    cache = FeatureCache(tmp_path / "cache")
    cache.mark_failed("level", "ab" * 12, "RuntimeError: no")
    failure = cache.failure("level", "ab" * 12)
    assert failure.reason == "RuntimeError: no" and failure.when.startswith("20") and failure.when.endswith("UTC")
    for key in ("cd" * 12, "ef" * 12):
        cache.failure_path("level", key).parent.mkdir(parents=True)
    cache.failure_path("level", "cd" * 12).write_text(json.dumps({"reason": "older"}))
    assert cache.failure("level", "cd" * 12) == Failure("older", None)
    cache.failure_path("level", "ef" * 12).write_text(json.dumps({"reason": 5}))
    assert cache.failure("level", "ef" * 12) is None  # a foreign entry is no failure


def test_a_run_says_a_failure_is_remembered_from_an_earlier_run(tmp_path):
    clip = tmp_path / "clip.wav"
    soundfile.write(clip, np.full((8000 * 6, 2), 0.1, np.float32), 8000)
    catalog = Catalog([Track("a", "x", clip, {"d": 0.5})], {"d": Target("d")})
    cache = FeatureCache(tmp_path / "cache")
    cache.mark_failed("level", cache.key(clip, LEVEL, QUICK, "pad"), "RuntimeError: cannot handle this")
    when = cache.failure("level", cache.key(clip, LEVEL, QUICK, "pad")).when
    dataset = build_dataset(catalog, [LEVEL], QUICK, cache)
    (problem,) = dataset.problems
    assert problem.action == "masked" and problem.where == str(clip)
    assert problem.what == (
        f"feature 'level' failed on this clip: RuntimeError: cannot handle this (remembered from an earlier run on "
        f"{when}; `bench cache forget-failures` tries every remembered clip again)"
    )


def test_forget_failures_deletes_only_remembered_failures(tmp_path, capsys):
    cache = FeatureCache(tmp_path / "cache")
    cache.save("level", "ab" * 12, np.ones(3, np.float32))
    cache.mark_failed("level", "cd" * 12, "RuntimeError: no")
    assert main(["cache", "forget-failures", "--cache-dir", str(cache.root)]) == 0
    assert "Forgot 1 remembered feature failure(s)" in capsys.readouterr().out
    assert cache.failure("level", "cd" * 12) is None and cache.load("level", "ab" * 12) is not None


def test_forget_failures_refuses_a_folder_the_cache_did_not_create(tmp_path):
    folder = tmp_path / "mine" / "features" / "x"
    folder.mkdir(parents=True)
    (folder / "notes.failed.json").write_text("{}")
    with pytest.raises(NotACache, match=MARKER):
        FeatureCache(tmp_path / "mine").forget_failures()
    assert (folder / "notes.failed.json").exists()

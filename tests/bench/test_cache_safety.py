"""`bench cache clear` and `prune` delete only what the cache itself created."""

from __future__ import annotations

import numpy as np
import pytest

from bench.cli.app import main
from bench.features.cache import MARKER, FeatureCache, NotACache


def test_clear_refuses_a_folder_the_cache_did_not_create(tmp_path, capsys):
    home = tmp_path / "home"
    (home / "thesis").mkdir(parents=True)
    (home / "thesis" / "chapter1.tex").write_text("years of work")
    assert main(["cache", "clear", "--cache-dir", str(home)]) == 1
    assert (home / "thesis" / "chapter1.tex").exists()
    assert MARKER in capsys.readouterr().out
    with pytest.raises(NotACache, match=MARKER):
        FeatureCache(home).prune(older_than_days=0)
    assert (home / "thesis" / "chapter1.tex").exists()


def test_a_cache_marks_itself_and_clear_empties_it(tmp_path):
    cache = FeatureCache(tmp_path / "c")
    cache.save("demo", "abc", np.ones(3, np.float32))
    assert (cache.root / MARKER).exists()
    cache.clear()
    assert not cache.path("demo", "abc").exists()


def test_prune_deletes_only_entry_files(tmp_path):
    cache = FeatureCache(tmp_path / "c")
    cache.save("demo", "abc", np.ones(3, np.float32))
    stranger = cache.root / "features" / "demo" / "notes.txt"
    stranger.write_text("mine")
    removed, _ = cache.prune(older_than_days=-1)
    assert removed == 1 and stranger.exists() and not cache.path("demo", "abc").exists()


def test_prune_never_follows_a_symlinked_features_folder(tmp_path):
    elsewhere = FeatureCache(tmp_path / "elsewhere")
    elsewhere.save("demo", "abc", np.ones(3, np.float32))
    cache = FeatureCache(tmp_path / "c")
    cache.create()
    (cache.root / "features").symlink_to(elsewhere.root / "features")
    assert cache.prune(older_than_days=-1) == (0, 0)
    assert elsewhere.path("demo", "abc").exists()

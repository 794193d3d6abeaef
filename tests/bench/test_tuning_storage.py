"""`bench tune --storage URL` keeps no password in run.json, and a foreign run names no storage."""

from __future__ import annotations

import pytest
from fake_runs import write_run

from bench.pipeline.tuning import default_storage, public_storage, saved_storage
from bench.results import trust
from bench.results.store import RunStore


def test_the_storage_password_is_not_kept():
    assert public_storage("postgresql://ana:s3cret@db:5432/optuna") == "postgresql://ana:***@db:5432/optuna"
    assert public_storage("sqlite:///x/tuning.db") == "sqlite:///x/tuning.db"
    assert "s3cret" not in public_storage("redis://ana:s3cret@host/0")


def test_a_resumed_search_asks_again_for_a_storage_it_cannot_use(isolated):
    store = RunStore(write_run(isolated / "r1", []))
    assert saved_storage(store, {}) == default_storage(store)
    with pytest.raises(ValueError, match="password"):
        saved_storage(store, {"tuning": {"storage": "postgresql://ana:***@db/optuna"}})
    with pytest.raises(ValueError, match="--storage"):
        saved_storage(store, {"tuning": {"storage": "sqlite:////home/ana/other.db"}})
    trust.remember(store)
    assert (
        saved_storage(store, {"tuning": {"storage": "sqlite:////home/ana/other.db"}}) == "sqlite:////home/ana/other.db"
    )

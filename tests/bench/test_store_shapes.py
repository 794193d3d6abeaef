"""Valid JSON of the wrong shape is skipped like malformed JSON, naming its file; an exact run
id wins over a prefix."""

from __future__ import annotations

import json

import pytest
from fake_runs import scored_run, trial, write_run

from bench.results.leaderboard import run_cells
from bench.results.store import RunStore, UnreadableRecord, find_run, write_json


@pytest.mark.parametrize(
    "change",
    [{"metrics": [1, 2]}, {"seed": "zero"}, {"songs": "all"}, {"model": ["a"]}, {"metrics": {"song": 3}}],
    ids=["metrics-list", "seed-text", "songs-text", "model-list", "level-number"],
)
def test_a_record_of_the_wrong_shape_is_skipped_naming_it(tmp_path, capsys, change):
    store = RunStore(scored_run(tmp_path / "r"))
    bad = {**trial("bad", 0, [0.2, 0.5], [0.3, 0.4]), **change}
    write_json(store.record_path(bad["id"]), bad)  # as a damaged or foreign file holds it
    assert run_cells(store)
    assert store.record_path(bad["id"]).name in capsys.readouterr().err


def test_a_run_json_of_the_wrong_shape_is_an_error_naming_it(tmp_path):
    store = RunStore(write_run(tmp_path / "r", []))
    (store.dir / "run.json").write_text(json.dumps({"run_id": "r", "config": [], "profile": {}}))
    with pytest.raises(UnreadableRecord, match="run.json"):
        store.run_info()


@pytest.mark.parametrize("field", ["window_seconds", "hop_seconds", "train_hop_seconds"])
def test_a_run_json_whose_window_is_not_a_number_is_an_error_naming_it(tmp_path, field):
    store = RunStore(scored_run(tmp_path / "r"))
    info = store.info()
    info["profile"][field] = "<svg>"
    write_json(store.dir / "run.json", info)
    with pytest.raises(UnreadableRecord, match=f"run.json: its '{field}' is not a number"):
        store.info()


def test_an_exact_run_id_wins_over_a_prefix(tmp_path):
    for name in ("20260101-000000-abcd", "20260101-000000-abcd2"):
        write_run(tmp_path / name, [])
    assert find_run(tmp_path, "20260101-000000-abcd").id == "20260101-000000-abcd"
    with pytest.raises(FileNotFoundError, match="several"):
        find_run(tmp_path, "20260101-000000-ab")


def test_runs_started_within_one_second_sort_in_start_order(tmp_path, monkeypatch):
    """ "The latest run" (bench leaderboard with no run named) is the last one started."""
    import time

    from bench.results.store import new_run_id

    starts = iter([1_800_000_000.1, 1_800_000_000.5, 1_800_000_000.95])
    monkeypatch.setattr(time, "time", lambda: next(starts))
    first, second, third = new_run_id(), new_run_id(), new_run_id()
    assert first[:15] == second[:15] == third[:15]  # one second
    for name in (first, second, third):
        write_run(tmp_path / name, [])
    assert sorted([third, first, second]) == [first, second, third]
    assert find_run(tmp_path, None).id == third

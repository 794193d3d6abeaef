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


def test_an_exact_run_id_wins_over_a_prefix(tmp_path):
    for name in ("20260101-000000-abcd", "20260101-000000-abcd2"):
        write_run(tmp_path / name, [])
    assert find_run(tmp_path, "20260101-000000-abcd").id == "20260101-000000-abcd"
    with pytest.raises(FileNotFoundError, match="several"):
        find_run(tmp_path, "20260101-000000-ab")

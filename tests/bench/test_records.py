"""Typed records: a trial record and run.json load into dataclasses and write back in the same
shape (plus the schema version), including files written before there was a version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.results.leaderboard import run_cells
from bench.results.records import SCHEMA_VERSION, RunInfo, SongPredictions, TrialRecord
from bench.results.store import RunStore

OLD = Path(__file__).parents[1] / "fixtures" / "records_v0"  # written by the code before schema versions


@pytest.mark.parametrize("name", ["ok.json", "failed.json"])
def test_an_old_trial_record_loads_and_round_trips_in_the_same_shape(name):
    data = json.loads((OLD / name).read_text())
    assert "schema_version" not in data
    record = TrialRecord.from_dict(data)
    assert record.schema_version == 0 and record.id == data["id"] and record.seed == data["seed"]
    assert record.to_dict() == {**data, "schema_version": SCHEMA_VERSION}


def test_the_typed_fields_of_a_finished_and_a_failed_trial():
    ok = TrialRecord.from_dict(json.loads((OLD / "ok.json").read_text()))
    assert ok.ok and isinstance(ok.songs, SongPredictions) and len(ok.songs.track) == len(ok.songs.pred) > 0
    assert ok.metrics["song"]["r2"] == json.loads((OLD / "ok.json").read_text())["metrics"]["song"]["r2"]
    assert ok.history["loss"] and ok.best_epoch >= 1 and ok.params > 0
    assert ok.extra["n_test_songs"] == len(ok.songs.track)  # fields the schema does not name are kept
    failed = TrialRecord.from_dict(json.loads((OLD / "failed.json").read_text()))
    assert not failed.ok and failed.metrics is None and failed.songs is None and "cannot be built" in failed.error
    assert "metrics" not in failed.to_dict() and "baseline" not in failed.to_dict()


def test_an_old_run_json_loads_and_round_trips():
    data = json.loads((OLD / "run.json").read_text())
    info = RunInfo.from_dict(data)
    assert info.schema_version == 0 and info.run_id == data["run_id"] and info.seeds == data["config"]["seeds"]
    assert info.extra["runner_peak_rss_mb"] == data["runner_peak_rss_mb"]
    assert info.to_dict() == {**data, "schema_version": SCHEMA_VERSION}


def test_the_store_reads_old_folders_and_writes_them_back_in_the_current_version(tmp_path):
    run = tmp_path / "run"
    (run / "trials").mkdir(parents=True)
    shutil.copy(OLD / "run.json", run / "run.json")
    for name in ("ok.json", "failed.json"):
        data = json.loads((OLD / name).read_text())
        shutil.copy(OLD / name, run / "trials" / f"{data['id']}.json")
    store = RunStore(run)
    assert {r.schema_version for r in store.trials()} == {0} and store.run_info().schema_version == 0
    ok, failed = sorted(store.trials(), key=lambda r: r.ok, reverse=True)
    before = {c.key: (c.runs, len(c.failed), c.mean) for c in run_cells(store)}

    for record in (ok, failed):
        store.write_record(record)
    store.write_info(store.run_info())
    assert {r.schema_version for r in store.trials()} == {SCHEMA_VERSION}
    assert store.read_record(ok.id).to_dict() == {**json.loads((OLD / "ok.json").read_text()), "schema_version": 1}
    assert json.loads((run / "run.json").read_text())["schema_version"] == SCHEMA_VERSION
    assert {c.key: (c.runs, len(c.failed), c.mean) for c in run_cells(store)} == before

"""A metric installed after a run scores it from the stored song predictions: in a view
(`bench leaderboard --metric`) and written into the records (`bench rescore`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from fake_runs import scored_run
from late_metric import medae

from bench.results.leaderboard import boards
from bench.results.rescore import Rescored, add_metrics, computed_note, write_rescored
from bench.results.store import RunStore
from bench.specs import MetricSpec

MEDAE = {"medae": MetricSpec("medae", "median absolute error", medae, higher_is_better=False)}


def by_hand(record) -> float:
    return float(np.median(np.abs(np.array(record.songs.true) - np.array(record.songs.pred))))


def test_the_metric_is_scored_on_each_trials_song_predictions(tmp_path):
    records = RunStore(scored_run(tmp_path / "run")).trials()
    scoring = add_metrics(records, MEDAE)
    assert scoring.scored == {"medae": 4} and not scoring.failures
    for before, after in zip(records, scoring.records):
        assert after.metrics["song"]["medae"] == pytest.approx(by_hand(before))
        assert "medae" not in after.metrics["window"]  # records keep song predictions only
        assert "medae" not in before.metrics["song"]  # the records read are not changed


def test_a_leaderboard_view_shows_the_column_and_says_it_was_computed(tmp_path):
    store = RunStore(scored_run(tmp_path / "run"))
    files = {p: p.read_bytes() for p in [store.dir / "run.json", *store.trials_dir.iterdir()]}
    view = Rescored(store, MEDAE)
    score = boards(view, metrics=("medae",))[0]
    assert "song medae" in score.columns
    column = score.columns.index("song medae")
    assert all(row[column] != "–" for row in score.rows)
    assert computed_note(view.run_info()) in score.notes
    assert {p: p.read_bytes() for p in files} == files  # a view writes nothing


def test_rescore_writes_the_values_and_declares_the_metric(tmp_path):
    store = RunStore(scored_run(tmp_path / "run"))
    files = sorted(p.name for p in store.trials_dir.iterdir())
    scoring = write_rescored(store, MEDAE)
    assert scoring.scored == {"medae": 4}
    assert sorted(p.name for p in store.trials_dir.iterdir()) == files  # replaced in place, no second copies
    for record in store.trials():
        assert record.metrics["song"]["medae"] == pytest.approx(by_hand(record))
    declared = json.loads((store.dir / "run.json").read_text())["metrics"]
    assert {"name": "medae", "higher_is_better": False, "primary": False} in declared
    assert [m["name"] for m in declared if m["primary"]] == ["r2"]
    assert computed_note(store.run_info()) is None  # recorded now: nothing computed on reading
    assert write_rescored(store, MEDAE).scored == {"medae": 0}  # a second rescore has nothing to add


def test_a_metric_that_fails_leaves_the_record_as_it_was(tmp_path):
    def broken(true, pred):
        raise ZeroDivisionError("no")

    store = RunStore(scored_run(tmp_path / "run"))
    before = {p.name: p.read_bytes() for p in store.trials_dir.iterdir()}
    scoring = write_rescored(store, {"bad": MetricSpec("bad", "raises", broken, higher_is_better=True)})
    assert scoring.scored == {"bad": 0} and len(scoring.failures) == 4
    assert "metric bad: ZeroDivisionError: no" in scoring.failures[0]
    assert {p.name: p.read_bytes() for p in store.trials_dir.iterdir()} == before


def test_a_target_only_metric_joins_the_target_metrics_of_its_trials(tmp_path):
    dance = MetricSpec("medae", "", medae, higher_is_better=False, targets=("danceability",))
    tempo = MetricSpec("tempo-only", "", medae, higher_is_better=False, targets=("tempo",))
    scoring = add_metrics(RunStore(scored_run(tmp_path / "run")).trials(), {"medae": dance, "tempo-only": tempo})
    assert scoring.scored == {"medae": 4, "tempo-only": 0}
    assert all(r.target_metrics == ["medae"] for r in scoring.records)


def test_a_record_an_older_bench_named_by_its_plain_id_is_replaced_where_it_lies(tmp_path):
    run = scored_run(tmp_path / "run")
    old = next((run / "trials").glob("*good*seed0.json"))
    record = json.loads(old.read_text())
    old.rename(run / "trials" / "danceability good.json")
    (run / "trials" / "danceability good.json").write_text(json.dumps({**record, "id": "danceability good"}))
    store = RunStore(run)
    write_rescored(store, MEDAE)
    assert not store.record_path("danceability good").exists()  # no second copy under the encoded name
    assert "medae" in json.loads((run / "trials" / "danceability good.json").read_text())["metrics"]["song"]

"""`bench tune`: search spaces, and a search that is killed, resumed and reported."""

from __future__ import annotations

import dataclasses
import json

import optuna
import pytest
from optuna.distributions import FloatDistribution

from bench.pipeline import tuning
from bench.pipeline.tuning import search_space
from bench.results.leaderboard import boards
from bench.results.store import find_run
from bench_plugins.frameworks.keras import KerasFramework


def test_keras_models_get_the_default_space_baselines_none_and_a_declared_space_wins(registry):
    assert search_space(registry, "1dwav") == KerasFramework().default_search_space()
    assert search_space(registry, "dsp-ridge") is None
    own = {"dropout": FloatDistribution(0.1, 0.2)}
    registry.models["2dspec"] = dataclasses.replace(registry.models["2dspec"], search_space=own)
    assert search_space(registry, "2dspec") == own


def test_a_space_naming_no_profile_field_is_one_clear_error(registry):
    registry.models["2dspec"] = dataclasses.replace(
        registry.models["2dspec"], search_space={"momentum": FloatDistribution(0.5, 0.9)}
    )
    with pytest.raises(ValueError, match=r"model '2dspec': its search_space names momentum, which are not Profile"):
        search_space(registry, "2dspec")


def test_tuning_only_baselines_is_refused_before_anything_runs(isolated, capsys):
    from bench.cli.app import main

    assert main("tune --model mean --split song --seeds 1 --songs 8 --seconds 12".split()) == 1
    assert "no tunable model selected" in capsys.readouterr().out
    assert not (isolated / "results").exists()


@pytest.mark.integration
def test_a_killed_search_resumes_and_the_tuned_row_sits_beside_the_default(isolated, monkeypatch):
    from bench.cli.app import main

    told = []
    real_tell = tuning._tell

    def tell_then_die(study, number, record):
        if told:  # the second configuration has run and written its record: kill before it is told
            raise KeyboardInterrupt
        told.append(number)
        real_tell(study, number, record)

    monkeypatch.setattr(tuning, "_tell", tell_then_die)
    args = "tune --model 1dwav --split song --seeds 1 --songs 8 --seconds 12 --epochs 1 --trials 2".split()
    assert main(args) == 130
    store = find_run(isolated / "results", None)
    storage = tuning.default_storage(store)
    study = optuna.load_study(study_name=f"{store.id}--danceability--1dwav--wav--song--seed0", storage=storage)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "RUNNING"]

    monkeypatch.setattr(tuning, "_tell", real_tell)
    assert main(["tune", "--resume", store.id]) == 0
    study = optuna.load_study(study_name=f"{store.id}--danceability--1dwav--wav--song--seed0", storage=storage)
    assert [t.state.name for t in study.trials] == ["COMPLETE", "COMPLETE"]  # told from its record, not rerun
    search = sorted(p.name for p in (store.dir / "search" / "trials").glob("*.json"))
    assert search == [f"danceability--1dwav--wav--song--seed0--search{n}.json" for n in (0, 1)]

    default = store.read_record("danceability--1dwav--wav--song--seed0")
    tuned = store.read_record("danceability--1dwav--wav--song--seed0--tuned2")
    assert tuned.status == "ok" and tuned.tuning == "tuned2"
    assert tuned.songs.track == default.songs.track  # the same test songs as the default row
    for name in search:
        record = json.loads((store.dir / "search" / "trials" / name).read_text())
        assert not set(record["songs"]["track"]) & set(default.songs.track)  # scored on validation only
    assert tuned.extra["tuned_params"] == study.best_trial.params
    assert store.info()["tuning"]["budget"] == 2
    scores = boards(store)[0]
    assert sorted(row[0] for row in scores.rows) == ["1dwav", "1dwav (tuned2)"]  # side by side
    assert "tuned rows: 2 configurations per model, chosen on validation" in scores.title

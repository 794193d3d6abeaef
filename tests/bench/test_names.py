"""Names from data (targets, models, track ids) become file names through one function, so any
name round-trips and none can place a file outside its folder or hide a trial."""

from __future__ import annotations

import json

import pytest
from fake_runs import trial, write_run

from bench.files import file_name, name_from_file
from bench.results.export import export
from bench.results.records import TrialRecord
from bench.results.store import RunStore


@pytest.mark.parametrize(
    "name", ["loud/dB", "ridge/v2", "../../../../..PWNED", "..", ".", "", "a\\b", "C:x", "tempo bpm", "noise+tilt", "é"]
)
def test_every_name_is_one_safe_file_name_that_reads_back(name):
    encoded = file_name(name)
    assert "/" not in encoded and "\\" not in encoded and not encoded.startswith(".") and encoded
    assert name_from_file(encoded) == name


def test_plain_names_keep_their_file_names():
    assert file_name("danceability--mean--dsp--song--seed0--aug-noise+tilt") == (
        "danceability--mean--dsp--song--seed0--aug-noise+tilt"
    )


def test_a_long_name_is_cut_and_still_unique():
    a, b = "x" * 300 + "a", "x" * 300 + "b"
    assert len(file_name(a)) <= 200 and file_name(a) != file_name(b)


def _record(target: str, model: str) -> dict:
    record = trial(model, 0, [0.2, 0.5, 0.8], [0.3, 0.5, 0.7])
    record.update(target=target, id=f"{target}--{model}--dsp--song--seed0")
    return record


@pytest.mark.parametrize(("target", "model"), [("loud/dB", "ridge/v2"), ("../../../../..PWNED", "mean")])
def test_a_slash_in_a_name_keeps_the_record_in_the_run_and_on_the_board(tmp_path, target, model):
    store = RunStore(write_run(tmp_path / "results" / "r1", []))
    record = _record(target, model)
    store.write_record(TrialRecord.from_dict(record))
    files = [p for p in tmp_path.rglob("*.json") if p.name != "run.json"]
    assert [p.parent for p in files] == [store.trials_dir]
    assert store.read_record(record["id"]).target == target
    assert [r.id for r in store.trials()] == [record["id"]]
    assert model in export(store, "csv")


def test_a_record_the_reader_cannot_place_is_named(tmp_path, capsys):
    store = RunStore(write_run(tmp_path / "r1", [_record("danceability", "mean")]))
    legacy = store.trials_dir / "loud" / "dB--ridge--dsp--song--seed0.json"
    legacy.parent.mkdir()
    legacy.write_text(json.dumps(_record("loud/dB", "ridge")))
    misplaced = store.trials_dir / "other.json"
    misplaced.write_text(json.dumps(_record("energy", "mean")))
    assert len(store.trials()) == 1
    err = capsys.readouterr().err
    assert "loud/dB--ridge--dsp--song--seed0.json" in err and "subfolder" in err
    assert "other.json" in err and "energy--mean--dsp--song--seed0" in err


def test_a_saved_model_stays_in_the_models_folder(tmp_path):
    from bench.trial.execute import save_model

    class Adapter:
        suffix = ".skops"

        def save(self, model, path):
            path.write_text("model")

    store = RunStore(tmp_path / "r1")
    store.dir.mkdir()
    relative = save_model(Adapter(), object(), store, "../../../../..PWNED--ridge/v2--dsp--song--seed0")
    assert (store.dir / relative).parent == store.dir / "models"
    assert [p.parent for p in tmp_path.rglob("*.skops")] == [store.dir / "models"]

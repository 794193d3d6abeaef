"""The hearing test: the synthetic corpus's generating cues as targets, and `bench hearing`."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from conftest import TINY

from bench.profiles import QUICK
from bench_plugins.sources import synth, synthetic


def test_cues_are_what_the_labels_were_generated_from(tiny_corpus):
    _, labels = tiny_corpus
    with open(labels, newline="") as handle:
        rows = {row["track_id"]: row for row in csv.DictReader(handle)}
    cues = synth.cues(TINY["songs"], TINY["seconds"], seed=0)
    assert set(cues) == set(rows)
    for track, cue in cues.items():
        row = rows[track]
        assert float(row["tempo"]) == pytest.approx(cue["tempo"], abs=1e-4)
        dance = synth.danceability(cue["tempo"], cue["beat_strength"], cue["regularity"])
        assert float(row["danceability"]) == pytest.approx(dance, abs=1e-4)
        assert all(0 <= cue[name] <= 1 for name in synth.CUE_COLUMNS if name != "tempo")


def test_the_labels_table_keeps_its_columns_and_the_control_is_its_own_draw():
    assert synth.LABEL_COLUMNS == ("danceability", "energy", "tempo")  # labels.csv, and so the audio's key
    small, big = synth.cues(4, 12.0, seed=0), synth.cues(12, 12.0, seed=0)
    assert all(small[t]["control"] == big[t]["control"] for t in small)  # a song's control ignores corpus size
    controls = np.array([c["control"] for c in big.values()])
    for name in ("beat_strength", "regularity", "loudness", "brightness"):
        assert not np.allclose(controls, [c[name] for c in big.values()])


def test_the_source_offers_every_cue_and_keeps_the_csv_labels(tiny_corpus, tmp_path, monkeypatch):
    folder, _ = tiny_corpus
    monkeypatch.setattr(synthetic, "corpus_folder", lambda *args: folder)
    catalog = synthetic.load({"profile": QUICK, "cache_dir": tmp_path, **TINY})
    assert set(synth.CUE_COLUMNS) <= set(catalog.targets)
    with open(folder / "labels.csv", newline="") as handle:
        rows = {row["track_id"]: row for row in csv.DictReader(handle)}
    for track in catalog.tracks:
        assert {name: float(rows[track.id][name]) for name in synth.LABEL_COLUMNS}.items() <= track.labels.items()


@pytest.mark.integration
def test_bench_hearing_prints_a_models_by_cues_board(isolated, capsys):
    from bench.cli.app import main

    args = "hearing --model dsp-ridge --model mean --split song --seeds 1 --songs 8 --seconds 12 --executor inline"
    assert main([*args.split(), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("| model"))
    assert header.split(" | ")[3:] == [*synth.CUE_COLUMNS[:-1], "control |"]
    rows = [line for line in out.splitlines() if line.startswith("| _dsp-ridge_") or line.startswith("| _mean_")]
    assert len(rows) == 2 and all(line.count("[") == len(synth.CUE_COLUMNS) for line in rows)

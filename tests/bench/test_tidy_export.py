"""`bench export RUN --per trial|song --format csv|parquet`: one tidy row per trial or per test
song, from the records; parquet only with pyarrow, and a clear error without it."""

from __future__ import annotations

import builtins
import csv
import io

import pytest
from fake_runs import scored_run

from bench.cli.commands.tidy import tidy_table, write_table
from bench.results.store import RunStore


def test_one_row_per_trial_and_one_per_test_song(tmp_path):
    store = RunStore(scored_run(tmp_path / "run", songs=12))
    trials = tidy_table(store, "trial")
    assert len(trials) == 4 and {"id", "model", "seed", "song_r2", "window_r2", "train_s"} <= set(trials.columns)
    songs = tidy_table(store, "song")
    assert len(songs) == 4 * 12
    record = store.trials()[0]
    mine = songs[songs.trial == record.id]
    assert mine.true.tolist() == record.songs.true and mine.predicted.tolist() == record.songs.pred


def test_csv_reads_back_and_quotes_what_a_spreadsheet_would_run(tmp_path, capsys):
    store = RunStore(scored_run(tmp_path / "run"))
    table = tidy_table(store, "song")
    table.loc[0, "track"] = "=HYPERLINK(1)"
    write_table(table, "csv", None)
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(table) and rows[0]["track"] == "'=HYPERLINK(1)"
    assert float(rows[1]["predicted"]) == pytest.approx(table.predicted[1])


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow":
            raise ImportError("no pyarrow")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    table = tidy_table(RunStore(scored_run(tmp_path / "run")), "trial")
    with pytest.raises(SystemExit, match=r"needs pyarrow, which is not installed: pip install '\S+\[parquet\]'"):
        write_table(table, "parquet", tmp_path / "t.parquet")
    assert not (tmp_path / "t.parquet").exists()


def test_parquet_reads_back(tmp_path):
    pytest.importorskip("pyarrow")
    import pandas as pd

    table = tidy_table(RunStore(scored_run(tmp_path / "run")), "song")
    write_table(table, "parquet", tmp_path / "s.parquet")
    assert pd.read_parquet(tmp_path / "s.parquet").equals(table)

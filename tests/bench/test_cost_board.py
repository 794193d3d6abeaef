"""The cost board: the run's feature time once per feature, in a note, and predict throughput
labelled with what it measured."""

from __future__ import annotations

from fake_runs import scored_run

from bench.results.leaderboard import cost_board, run_cells
from bench.results.store import RunStore


def test_the_feature_time_is_said_once_per_feature_not_on_every_row(tmp_path):
    store = RunStore(scored_run(tmp_path / "run"))
    for record in store.trials():
        record.timing = {**(record.timing or {}), "feature_s": 13.41}
        record.extra["n_test_windows"] = 40
        store.write_record(record)
    board = cost_board(run_cells(store), "danceability", store.run_info())
    assert "feature s" not in board.columns
    assert not any("13.41" in cell for row in board.rows for cell in row)
    shown = [note for note in board.notes if "13.41" in note]
    assert len(shown) == 1 and "dsp 13.41 s" in shown[0] and shown[0].count("13.41") == 1
    assert any("warm pass" in note and "over 40 test windows" in note for note in board.notes)

"""Boards at a terminal's width: no line too long, no number split, columns chosen or all shown;
the row flags and footnotes (diagnosis, Δ vs probe, seed spread, seeds to separate)."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from fake_runs import trial, write_run
from rich.console import Console

from bench.cli.app import main
from bench.results.leaderboard import boards, render_rich, seeds_to_separate
from bench.results.store import RunStore

LONG = "a-rather-long-model-name-with-every-option-spelled-out"
NUMBER = re.compile(r"[-+]?\d+\.\d+")


def board_run(folder, seeds: int = 3, spread: float = 0.05):
    rng = np.random.default_rng(3)
    records = []
    for seed in range(seeds):
        true = rng.uniform(0.2, 0.8, 30)
        records += [
            trial("mean", seed, true, np.full(30, 0.5), baseline=True),
            trial("ridge", seed, true, 0.5 + 0.3 * (true - 0.5) + rng.normal(0, 0.05, 30), baseline=True),
            trial("probe-dsp", seed, true, true + rng.normal(0, 0.2, 30)),
            trial(LONG, seed, true, true + rng.normal(0, 0.03 + spread * seed, 30)),
            {**trial("good", seed, true, true + rng.normal(0, 0.04 + spread * seed, 30)), "diagnosis": ["memorising"]},
        ]
    run = write_run(folder, records)
    info = json.loads((run / "run.json").read_text())
    info["config"]["seeds"] = seeds
    info["model_code"] = {"probe-dsp": {"plugin": "x", "code": None, "probe_for": "dsp"}}
    (run / "run.json").write_text(json.dumps(info))
    return RunStore(run)


def rendered(store, width, **kwargs) -> tuple[str, list]:
    console = Console(width=width, record=True)
    board = boards(store)[0]
    render_rich(board, console, **kwargs)
    return console.export_text(), board


@pytest.mark.parametrize("width", [80, 100, 160])
def test_a_board_fits_the_width_and_splits_no_number(tmp_path, width):
    text, board = rendered(board_run(tmp_path / "r"), width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    numbers = {n for row in board.rows for value in row for n in NUMBER.findall(value)}
    table = [line for line in lines if line.startswith("│")]
    assert len(table) == len(board.rows)  # one line per row: nothing wrapped
    for line in table:
        assert set(NUMBER.findall(line)) <= numbers
    score = board.columns.index("song R²")
    for row, line in zip(board.rows, table):
        assert row[score] in line  # the score is never dropped nor cut
    if width < 160:
        assert "Not shown at this width:" in text and "--wide" in text
    assert "…" in text or width >= 160  # the long name is shortened


def test_columns_choose_and_wide_shows_every_column(tmp_path):
    store = board_run(tmp_path / "r")
    text, board = rendered(store, 80, columns=["model", "score", "vs-mean"])
    header = next(line for line in text.splitlines() if line.startswith("┃"))
    assert "song R²" in header and "split" not in header and "feature" not in header
    text, board = rendered(store, 80, wide=True)
    assert all(word in text for word in ("window R²", "song MAE", "Δ R² vs ridge")) and "Not shown" not in text
    with pytest.raises(ValueError, match="--columns: no column nope"):
        rendered(store, 80, columns=["nope"])


def test_the_leaderboard_command_takes_columns_and_wide(tmp_path, monkeypatch, capsys):
    store = board_run(tmp_path / "r")
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=80))
    assert main(["leaderboard", str(store.dir), "--columns", "model,split,score"]) == 0
    assert "song R²" in capsys.readouterr().out


def test_markdown_takes_columns_too(tmp_path, capsys):
    store = board_run(tmp_path / "r")
    assert main(["leaderboard", str(store.dir), "--format", "markdown", "--columns", "model,score"]) == 0
    header = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| model"))
    assert header == "| model | song R² |"


def test_versus_adds_a_paired_column_and_names_an_unknown_model(tmp_path, capsys):
    store = board_run(tmp_path / "r")
    assert main(["leaderboard", str(store.dir), "--format", "markdown", "--versus", "good"]) == 0
    out = capsys.readouterr().out
    assert "| Δ R² vs good |" in out and "| reference |" in out
    assert main(["leaderboard", str(store.dir), "--versus", "nope"]) == 1
    assert "--versus: no scored trial of nope in this run. Models: " in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--versus columns are shown in tables and markdown"):
        main(["leaderboard", str(store.dir), "--versus", "good", "--format", "csv"])


def test_flags_probe_column_and_the_seeds_needed(tmp_path):
    store = board_run(tmp_path / "r", spread=0.15)
    text, board = rendered(store, 250, wide=True)
    models = [row[0] for row in board.rows]
    flags = {row[0]: row[board.columns.index("flags")] for row in board.rows}
    assert flags["good"] == "⚑ ≈" and any("diagnosis: good (song): memorising in 3 of 3" in n for n in board.notes)
    probe = board.columns.index("Δ R² vs probe")
    row = board.rows[models.index("good")]
    assert row[probe] != "–" and board.rows[models.index("probe-dsp")][probe] == "–"
    assert "≈" in text  # seeds disagree more than the top rows differ
    (note,) = [n for n in board.notes if n.startswith("Telling")]
    cells = {c.model: c for c in __import__("bench.results.leaderboard", fromlist=["run_cells"]).run_cells(store)}
    top = sorted((c for c in cells.values() if not c.baseline), key=lambda c: -c.mean["song.r2"])[:2]
    a, b = top
    n = 2 * ((1.959964 + 0.841621) * math.sqrt((a.std["song.r2"] ** 2 + b.std["song.r2"] ** 2) / 2)) ** 2
    n /= (a.mean["song.r2"] - b.mean["song.r2"]) ** 2
    assert f"about {max(2, math.ceil(n))} seeds per row" in note


def test_seeds_to_separate_is_the_normal_power_formula():
    assert seeds_to_separate(0.5, 0.1, 0.4, 0.1) == pytest.approx(2 * (2.801585 * 0.1 / 0.1) ** 2, rel=1e-5)
    assert math.isinf(seeds_to_separate(0.5, 0.1, 0.5, 0.1))


def test_a_board_without_diagnosis_or_probe_has_neither(tmp_path):
    records = [trial("mean", s, [0.1 * i for i in range(12)], [0.5] * 12, baseline=True) for s in range(2)]
    store = RunStore(write_run(tmp_path / "r", records))
    board = boards(store)[0]
    assert "Δ R² vs probe" not in board.columns and not any("diagnosis" in n for n in board.notes)
    assert "flags" not in board.columns


def test_the_spread_flag_marks_the_row_whose_seeds_disagree_and_no_other(tmp_path):
    """Three seeds on the same 200 songs: 'shaky' swings from R² ≈ 0.97 to 0.67 between seeds, more
    than its distance to the next row; 'steady' and 'weak' agree across seeds."""
    rng = np.random.default_rng(11)
    true = rng.uniform(0.2, 0.8, 200)
    noise = {"steady": (0.05, 0.05, 0.05), "shaky": (0.03, 0.07, 0.1), "weak": (0.08, 0.08, 0.08)}
    records = [trial("mean", seed, true, np.full(200, 0.5), baseline=True) for seed in range(3)]
    records += [
        trial(model, seed, true, true + rng.normal(0, sd[seed], 200))
        for model, sd in noise.items()
        for seed in range(3)
    ]
    board = boards(RunStore(write_run(tmp_path / "r", records)))[0]
    flags = {row[0]: row[board.columns.index("flags")] for row in board.rows}
    assert [row[0] for row in board.rows] == ["mean", "steady", "shaky", "weak"]
    assert flags == {"mean": "", "steady": "", "shaky": "≈", "weak": ""}
    assert any(n.startswith("≈ (flags): the row's seed std") for n in board.notes)

"""`bench compare`: matched cells, the seed-noise rule, and the --fail-if-worse gate."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from fake_runs import scored_run, trial, write_run
from rich.console import Console

from bench.cli.app import main
from bench.registry import load_registry
from bench.results.compare import compare_cells, got_worse, seed_noise, setting_differences
from bench.results.records import RunInfo
from bench.results.stats import BUILTIN_METRICS, Cell
from bench.results.store import RunStore


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


def cell(model: str, r2: float | None, std: float = 0.1, runs: int = 3, split: str = "song") -> Cell:
    """A summarized cell with only what compare reads; r2 None: every trial failed."""
    scored = r2 is not None
    return Cell(
        ("danceability", model, "mel", split),
        [{}] * runs if scored else [],
        [] if scored else [{}],
        mean={"song.r2": r2} if scored else {},
        std={"song.r2": std} if scored else {},
    )


def test_seed_noise_is_twice_the_standard_error_of_the_difference():
    assert seed_noise(0.1, 4, 0.2, 4) == pytest.approx(2 * math.sqrt(0.01 / 4 + 0.04 / 4))
    assert math.isnan(seed_noise(0.1, 1, 0.2, 4))


def test_a_change_inside_the_noise_is_not_called_worse():
    (small,) = compare_cells([cell("cnn", 0.50)], [cell("cnn", 0.45)]).changes  # noise 2*sqrt(2*0.01/3) = 0.163
    (large,) = compare_cells([cell("cnn", 0.50)], [cell("cnn", 0.20)]).changes
    (better,) = compare_cells([cell("cnn", 0.20)], [cell("cnn", 0.50)]).changes
    (one_seed,) = compare_cells([cell("cnn", 0.5, runs=1)], [cell("cnn", 0.2, runs=1)]).changes
    assert (small.verdict, large.verdict, better.verdict) == ("within noise", "worse", "better")
    assert one_seed.verdict == "noise unknown (1 run)" and large.delta == pytest.approx(-0.3)
    assert large.percent == pytest.approx(-60.0)


def test_the_gate_fails_drops_beyond_the_percentage_of_a_and_lost_scores():
    a = [cell("cnn", 0.50), cell("ridge", -0.50), cell("mean", 0.0), cell("broken", 0.3), cell("gone", 0.4)]
    b = [cell("cnn", 0.46), cell("ridge", -0.52), cell("mean", -0.001), cell("broken", None), cell("new", 0.1)]
    comparison = compare_cells(a, b, fail_if_worse=5.0)
    verdicts = {c.key[1]: c.failed_gate for c in comparison.changes}
    # cnn: 8% worse; ridge: 4% of |-0.5|; mean: at A = 0 any drop fails; broken: no score left in B.
    assert verdicts == {"cnn": True, "ridge": False, "mean": True, "broken": True}
    assert [k[1] for k in comparison.only_a] == ["gone"] and [k[1] for k in comparison.only_b] == ["new"]
    assert not compare_cells(a[:2], b[:2], fail_if_worse=10.0).regressions
    assert not compare_cells(a, b).regressions  # no gate, no failures
    assert got_worse(0.5, 0.4, 10) and not got_worse(0.5, 0.46, 10) and not got_worse(0.5, 0.9, 0)
    with pytest.raises(ValueError, match="--fail-if-worse must be a percentage of at least 0"):
        compare_cells(a, b, fail_if_worse=-1)


def plant_regression(run: Path, model: str) -> None:
    """Triple the song-level errors of `model` (plus a bias) and recompute its song metrics:
    its R² drops whatever the errors were (9·SSE + 0.6·Σe + 0.03·n > SSE always)."""
    metrics = {name: spec.compute for name, spec in load_registry().metrics.items()}
    store = RunStore(run)
    for record in store.trials():
        if record.model == model and record.songs and record.metrics:
            true, pred = np.array(record.songs.true), np.array(record.songs.pred)
            pred = true + 3 * (pred - true) + 0.1
            record.songs.pred = pred.tolist()
            record.metrics["song"] = {name: compute(true, pred) for name, compute in metrics.items()}
            store.write_record(record)


@pytest.mark.integration
def test_compare_passes_an_identical_run_and_fails_a_planted_regression(tiny_run, tmp_path, capsys):
    same = shutil.copytree(tiny_run, tmp_path / "same")
    worse = shutil.copytree(tiny_run, tmp_path / "worse")
    plant_regression(worse, "2dspec")

    assert main(["compare", str(tiny_run), str(same), "--fail-if-worse", "5"]) == 0
    out = capsys.readouterr().out
    assert "6 matched cells" in out and "OK: no cell's song R² got worse by more than 5%" in out
    assert out.count("within noise") == 6 and "settings differ" not in out

    assert main(["compare", str(tiny_run), str(worse), "--fail-if-worse", "5"]) == 1
    out = capsys.readouterr().out
    assert "FAIL: 2 cell(s) worse by more than 5% of A's song R²" in out
    assert "danceability/2dspec/mel/song" in out and "danceability/2dspec/mel/window" in out

    assert main(["compare", str(tiny_run), str(worse)]) == 0  # without the gate it only reports


def test_differing_settings_are_named():
    info = {
        "run_id": "a",
        "status": "complete",
        "config": {"source": "synthetic", "seeds": 3},
        "profile": {"name": "quick", "epochs": 12, "description": "x"},
        "source": {"description": "synthetic: 8 songs"},
        "backend": "tensorflow",
    }
    other = {**info, "profile": {**info["profile"], "epochs": 5, "description": "y"}, "backend": "jax"}
    info, other = RunInfo.from_dict(info), RunInfo.from_dict({**other, "run_id": "b"})
    assert setting_differences(info, other) == ["backend: tensorflow → jax", "profile.epochs: 12 → 5"]
    assert setting_differences(info, info) == []


def test_a_gate_with_nothing_to_judge_fails():
    a = [cell("cnn", 0.5)]
    assert compare_cells(a, [cell("other", 0.5)], fail_if_worse=5).unjudgeable.startswith("no cell of A matches")
    assert compare_cells(a, [cell("cnn", None)], fail_if_worse=5).unjudgeable == "B has no successful trial"
    assert compare_cells(a, [], fail_if_worse=5).unjudgeable == "B has no successful trial"
    assert compare_cells(a, [cell("cnn", 0.5)], fail_if_worse=5).unjudgeable is None
    assert compare_cells(a, []).unjudgeable is None  # no gate asked for: only a report


def test_the_gate_exits_1_with_one_line_when_b_has_no_trials(tmp_path, capsys):
    a = scored_run(tmp_path / "a")
    empty = write_run(tmp_path / "b", [])
    assert main(["compare", str(a), str(empty), "--fail-if-worse", "5"]) == 1
    out = capsys.readouterr().out
    assert "error: --fail-if-worse 5 fails: B has no successful trial, so nothing was checked" in out
    assert "OK" not in out
    assert main(["compare", str(a), str(empty)]) == 0  # without a gate it only reports
    failed = [{**r.to_dict(), "status": "failed", "error": "planted"} for r in RunStore(a).trials()]
    assert main(["compare", str(a), str(write_run(tmp_path / "c", failed)), "--fail-if-worse", "5"]) == 1
    assert "B has no successful trial" in capsys.readouterr().out


def test_thread_settings_and_library_versions_are_named():
    """Both change CNN numbers without any profile field changing (README: what reproduces where)."""
    info = {
        "run_id": "a",
        "status": "complete",
        "config": {"source": "synthetic", "seeds": 1, "jobs": 0},
        "profile": {},
    }
    info["versions"] = {"tensorflow": "2.20.0", "numpy": "2.1.0"}
    other = {
        **info,
        "run_id": "b",
        "config": {"source": "synthetic", "seeds": 1, "jobs": 1, "deterministic": True},
        "versions": {**info["versions"], "tensorflow": "2.21.0"},
    }
    assert setting_differences(RunInfo.from_dict(info), RunInfo.from_dict(other)) == [
        "deterministic: False → True",
        "jobs: 0 → 1",
        "version.tensorflow: 2.20.0 → 2.21.0",
    ]


def shifted_run(folder: Path, shift: float, songs: int = 40, seeds: int = 3, data: dict | None = None) -> Path:
    """The mean baseline and a model whose predictions are pulled `shift` towards 0.5 (a drop in R²),
    on the same songs and seeds whatever the shift."""
    rng = np.random.default_rng(0)
    records = []
    for seed in range(seeds):
        true = rng.uniform(0.2, 0.8, songs)
        noise = rng.normal(0, 0.05, songs)
        pred = true + noise + shift * (0.5 - true)
        records += [trial("mean", seed, true, np.full(songs, 0.5), baseline=True), trial("cnn", seed, true, pred)]
    run = write_run(folder, records)
    if data is not None:
        info = json.loads((run / "run.json").read_text())
        (run / "run.json").write_text(json.dumps({**info, "data": data}))
    return run


def changes(a: Path, b: Path, **gate):
    from bench.results.leaderboard import run_cells

    cells_a, cells_b = run_cells(RunStore(a)), run_cells(RunStore(b))
    comparison = compare_cells(cells_a, cells_b, metric=BUILTIN_METRICS["r2"], **gate)
    return comparison, {c.key[1]: c for c in comparison.changes}


def test_runs_on_the_same_songs_and_seeds_are_compared_paired(tmp_path):
    comparison, by = changes(shifted_run(tmp_path / "a", 0.0), shifted_run(tmp_path / "b", 0.3))
    cnn = by["cnn"]
    assert cnn.paired is not None and cnn.paired.songs == 120
    assert cnn.delta == pytest.approx(cnn.b - cnn.a)  # every song shared: paired mean = difference of means
    low, high = cnn.interval
    assert low < cnn.delta < high < 0 and cnn.verdict == "worse"
    # the paired interval is far narrower than the unpaired seed noise
    assert high - low < 2 * cnn.noise


def test_max_drop_fails_only_a_drop_beyond_the_threshold_and_the_interval(tmp_path):
    a = shifted_run(tmp_path / "a", 0.0)
    big, small = shifted_run(tmp_path / "big", 0.3), shifted_run(tmp_path / "small", 0.02)
    assert [c.key[1] for c in changes(a, big, max_drop=0.02)[0].regressions] == ["cnn"]
    assert not changes(a, small, max_drop=0.02)[0].regressions  # under the threshold
    comparison, by = changes(a, big, max_drop=1.0)
    assert not comparison.regressions and by["cnn"].worse_by > 0  # a drop, but below the threshold
    assert [c.key[1] for c in changes(a, big, fail_if_worse=5.0)[0].regressions] == ["cnn"]
    with pytest.raises(ValueError, match="--max-drop must be at least 0"):
        changes(a, big, max_drop=-1)


def test_a_drop_inside_its_interval_passes_max_drop(tmp_path):
    """A noisy model on few songs: the drop exceeds the threshold, but the interval straddles zero."""
    rng = np.random.default_rng(1)
    records_a, records_b = [], []
    for seed in range(2):
        true = rng.uniform(0.2, 0.8, 12)
        records_a.append(trial("cnn", seed, true, true + rng.normal(0, 0.1, 12)))
        records_b.append(trial("cnn", seed, true, true + rng.normal(0, 0.1, 12)))
    a, b = write_run(tmp_path / "a", records_a), write_run(tmp_path / "b", records_b)
    comparison, by = changes(a, b, max_drop=0.01)
    cnn = by["cnn"]
    assert cnn.worse_by > 0.01 and cnn.interval[0] < 0 < cnn.interval[1]
    assert not comparison.regressions


def test_the_command_takes_max_drop_and_refuses_different_data(tmp_path, capsys):
    data = {"source": "synthetic", "seeds": 3, "tracks": 40}
    a = shifted_run(tmp_path / "a", 0.0, data=data)
    worse = shifted_run(tmp_path / "worse", 0.3, data=data)
    assert main(["compare", str(a), str(worse), "--max-drop", "0.02"]) == 1
    assert "FAIL: 1 cell(s) worse by more than 0.02" in capsys.readouterr().out
    assert main(["compare", str(a), str(a), "--max-drop", "0.02"]) == 0
    other = shifted_run(tmp_path / "other", 0.0, data={**data, "tracks": 41})
    assert main(["compare", str(a), str(other)]) == 1
    out = capsys.readouterr().out
    assert "runs differ in tracks: 40 (a) vs 41 (other)" in out and "--allow-different-data" in out
    assert main(["compare", str(a), str(other), "--allow-different-data", "--max-drop", "0.02"]) == 0
    assert "data differ: tracks" in capsys.readouterr().out


def test_a_gate_fails_when_a_has_no_successful_trial(tmp_path, capsys):
    b = scored_run(tmp_path / "b")
    failed = [{**r.to_dict(), "status": "failed", "error": "planted"} for r in RunStore(b).trials()]
    a = write_run(tmp_path / "a", failed)
    assert main(["compare", str(a), str(b), "--max-drop", "0.02"]) == 1
    assert "A has no successful trial" in capsys.readouterr().out

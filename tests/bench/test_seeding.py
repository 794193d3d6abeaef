"""`bench run --seeds auto` (bench.pipeline.seeding): a model row gets more seeds while its paired
interval against the mean includes zero, and stops separated or at its budget, saying why."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
from fake_runs import trial, write_run

from bench.pipeline import seeding
from bench.pipeline.config import RunConfig
from bench.results.records import TrialRecord
from bench.results.store import RunStore
from bench.trial.execute import TrialSpec

SONGS = 40
MODELS = {"mean": True, "ridge": True, "clear": False, "close": False}  # name -> baseline


def record(model: str, seed: int) -> dict:
    """A trial on the seed's own test songs: 'clear' hears the target, every other model predicts
    what the mean does (so 'close' ties with it, its interval [0, 0] in every round)."""
    rng = np.random.default_rng(100 + seed)
    true = rng.uniform(0.2, 0.8, SONGS)
    pred = true + rng.normal(0, 0.03, SONGS) if model == "clear" else np.full(SONGS, 0.5)
    result = trial(model, seed, true, pred, baseline=MODELS[model])
    result["songs"]["track"] = [f"s{seed}-{i}" for i in range(SONGS)]  # a hold-out split drawn per seed
    return result


def seeded_run(folder, seeds: int) -> RunStore:
    return RunStore(write_run(folder, [record(m, s) for s in range(seeds) for m in MODELS]))


def grid(seeds: int) -> list[TrialSpec]:
    return [
        TrialSpec("r", "synthetic", "dsp", model, "song", seed, "danceability", {})
        for model in MODELS
        for seed in range(seeds)
    ]


REGISTRY = SimpleNamespace(models={m: SimpleNamespace(baseline=b) for m, b in MODELS.items()})


def test_a_separated_row_stops_and_a_tied_one_stays_open(tmp_path):
    found = seeding.states(seeded_run(tmp_path / "r", 3), max_seeds=8)
    clear, close = found[("danceability", "clear", (), "song")], found[("danceability", "close", (), "song")]
    assert clear["stopped"] == "separated" and "excludes 0 (better)" in clear["why"] and clear["interval"][0] > 0
    assert close["stopped"] is None and close["interval"] == [0, 0] and close["seeds"] == 3
    assert set(found) == {("danceability", m, (), "song") for m in ("clear", "close")}  # baselines are not rows


def test_a_row_at_its_budget_stops_saying_it_was_not_separated(tmp_path):
    found = seeding.states(seeded_run(tmp_path / "r", 3), max_seeds=3)
    close = found[("danceability", "close", (), "song")]
    assert close["stopped"] == "budget" and close["why"].startswith("--max-seeds 3 spent; Δ ")
    assert close["why"].endswith("not separated from 0")


def test_a_row_whose_trials_all_failed_stops(tmp_path):
    records = [record("mean", s) for s in range(3)]
    records += [{**record("clear", s), "status": "failed", "error": "boom"} for s in range(3)]
    found = seeding.states(RunStore(write_run(tmp_path / "r", records)), max_seeds=8)
    assert found[("danceability", "clear", (), "song")]["stopped"] == "failed"


def test_the_next_round_is_one_seed_of_each_open_row_and_of_the_baselines():
    planned = seeding.next_round(REGISTRY, grid, {("danceability", "close", (), "song"): 3})
    assert sorted((s.model, s.seed) for s in planned) == [("close", 3), ("mean", 3), ("ridge", 3)]


def test_until_separated_adds_rounds_and_records_why_each_row_stopped(tmp_path):
    store = seeded_run(tmp_path / "r", 3)
    rounds = []

    def run(specs: list[TrialSpec]) -> None:  # trains nothing: writes what the trials would have recorded
        rounds.append(sorted((s.model, s.seed) for s in specs))
        for spec in specs:
            store.write_record(TrialRecord.from_dict(record(spec.model, spec.seed)))

    config = RunConfig(seeds=3, max_seeds=5)
    added = seeding.until_separated(store, config, REGISTRY, grid, run, lambda line: None)
    rows = json.loads((store.dir / "run.json").read_text())["seeding"]["rows"]
    close = rows["danceability/close/song"]
    assert rows["danceability/clear/song"]["stopped"] == "separated" and rows["danceability/clear/song"]["seeds"] == 3
    assert close["seeds"] == 5 and close["stopped"] == "budget"
    assert rounds == [[("close", s), ("mean", s), ("ridge", s)] for s in (3, 4)]  # 'clear' got no more seeds
    assert sorted((s.model, s.seed) for s in added) == sorted(p for r in rounds for p in r)


def test_auto_seeds_need_the_mean_baseline_and_a_budget_above_the_start():
    registry = SimpleNamespace(select=lambda kind, patterns: ["clear"])
    with pytest.raises(ValueError, match="select it too"):
        seeding.check(registry, RunConfig(models=["clear"], max_seeds=8), "r2")
    registry = SimpleNamespace(select=lambda kind, patterns: ["mean", "clear"])
    with pytest.raises(ValueError, match="--max-seeds \\(2\\) must be at least"):
        seeding.check(registry, RunConfig(seeds=3, max_seeds=2), "r2")
    with pytest.raises(ValueError, match="built-in metrics"):
        seeding.check(registry, RunConfig(max_seeds=8), "tempo_accuracy")


@pytest.mark.integration
def test_a_tiny_auto_seeded_run_adds_seeds_to_its_budget_and_says_why(isolated):
    """8 songs: too few test songs for an interval, so the CNN row gets seeds up to its budget."""
    from bench.cli.app import main
    from bench.results.store import find_run

    args = "run --model mean --model 1dwav --split song --songs 8 --seconds 6 --epochs 1 --seeds auto --max-seeds 4"
    assert main(args.split()) == 0
    store = find_run(isolated / "results", None)
    info = json.loads((store.dir / "run.json").read_text())
    row = info["seeding"]["rows"]["danceability/1dwav/song"]
    assert row["seeds"] == 4 and row["stopped"] == "budget" and "too few test songs" in row["why"]
    assert info["trials"] == 8 and info["config"]["max_seeds"] == 4
    assert sorted(r.seed for r in store.trials() if r.model == "1dwav") == [0, 1, 2, 3]

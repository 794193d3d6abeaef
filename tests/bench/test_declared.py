"""The read side follows what a run declared (run.json `metrics` and `splits`), not plugin names;
a run.json written before they were recorded reads with the old defaults."""

from __future__ import annotations

import json

import numpy as np
from fake_runs import trial, write_run

from bench.pipeline.provenance import design
from bench.registry import load_registry
from bench.results.leaderboard import boards
from bench.results.records import RunInfo
from bench.results.store import RunStore


def test_a_run_declares_its_primary_metric_and_leaky_splits_last():
    declared = design(load_registry())
    assert [m["name"] for m in declared["metrics"] if m["primary"]] == ["r2"]
    assert {m["name"]: m["higher_is_better"] for m in declared["metrics"]}["mae"] is False
    splits = declared["splits"]
    assert splits[-1] == {"name": "window", "leaky": True, "order": len(splits) - 1}
    assert not any(s["leaky"] for s in splits[:-1])


def test_an_old_run_json_reads_with_the_old_defaults():
    info = RunInfo.from_dict({"run_id": "r", "status": "complete", "config": {"seeds": 1}, "profile": {}})
    assert info.primary == "r2" and not info.higher_is_better("mae") and info.leaky_splits() == ["window"]
    assert info.split_order("song") < info.split_order("someone-elses") < info.split_order("window")
    assert "metrics" not in info.to_dict()  # the file keeps its shape


def test_boards_rank_by_the_declared_primary_and_report_the_declared_leaky_split(tmp_path):
    rng = np.random.default_rng(0)
    records = []
    for split in ("grouped", "shuffled"):
        for seed in range(2):
            true = rng.uniform(0.2, 0.8, 20)
            for model, noise in (("close", 0.02), ("far", 0.2)):
                r = trial(model, seed, true, true + rng.normal(0, noise, 20))
                records.append({**r, "id": f"{r['id']}-{split}", "split": split, "target": "tempo"})
    run = write_run(tmp_path / "r", records)
    info = json.loads((run / "run.json").read_text())
    info["metrics"] = [
        {"name": "mae", "higher_is_better": False, "primary": True},
        {"name": "r2", "higher_is_better": True, "primary": False},
    ]
    info["splits"] = [{"name": "grouped", "leaky": False, "order": 0}, {"name": "shuffled", "leaky": True, "order": 1}]
    (run / "run.json").write_text(json.dumps(info))
    scores, _, leak = boards(RunStore(run))
    assert scores.columns[4] == "song MAE"
    assert [row[0] for row in scores.rows[:2]] == ["close", "far"]  # lowest MAE first
    assert [row[2] for row in scores.rows] == ["grouped", "grouped", "shuffled", "shuffled"]
    assert "gap shuffled − grouped" in leak.columns and "not by hearing tempo" in leak.notes[0]

"""Two runs of the same grid compared trial by trial: start-up, training, tracing, memory, and
whether the song predictions are bit-equal (docs/performance.md, "Trial workers").

    python tests/benchmarks/trial_pairs.py results/<before-run> results/<after-run>
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

PHASES = ("build_s", "train_s", "predict_s")


def records(run: str) -> dict[str, dict]:
    found = (json.loads(p.read_text()) for p in (Path(run) / "trials").glob("*.json"))
    return {r["id"]: r for r in found}


def outside(record: dict) -> float:
    """A trial's seconds outside build, fit and predict: registry, imports, data, metrics."""
    return record["wall_s"] - sum(record["timing"].get(k, 0) for k in PHASES)


def median(runs: dict[str, dict], ids: list[str], value) -> float:
    return statistics.median(value(runs[i]) for i in ids)


def compare(before: dict[str, dict], after: dict[str, dict]) -> None:
    both = sorted(i for i in set(before) & set(after) if before[i]["status"] == after[i]["status"] == "ok")
    equal = sum(before[i]["songs"]["pred"] == after[i]["songs"]["pred"] for i in both)
    print(f"{len(both)} trials finished in both; bit-equal song predictions in {equal}")
    values = {"wall_s": lambda r: r["wall_s"], "outside build/fit/predict": outside}
    cnn = {
        "train_s": lambda r: r["timing"]["train_s"],
        "first_epoch_s": lambda r: r["timing"]["first_epoch_s"],
        "epoch_s": lambda r: r["timing"]["epoch_s"],
        "peak_rss_mb": lambda r: r["peak_rss_mb"],
    }
    for kind, trains in (("baseline", False), ("CNN", True)):
        ids = [i for i in both if bool(before[i].get("epochs")) == trains]
        if not ids:
            continue
        print(f"{kind} trials: {len(ids)}")
        for name, value in {**values, **(cnn if trains else {})}.items():
            print(f"  {name}: {median(before, ids, value):.2f} -> {median(after, ids, value):.2f}")


if __name__ == "__main__":
    compare(records(sys.argv[1]), records(sys.argv[2]))

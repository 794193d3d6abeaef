"""Did a code change move the scores? Two runs of the same grid (before, after), per cell.

    python tools/benchmarks/before_after.py RUN_DIR_BEFORE RUN_DIR_AFTER

For every (target, model, feature, split) cell both runs have: each seed's song R² before and
after, the mean ± std over seeds, and the paired difference after - before in song R² on the
same (seed, fold, song) entries with its 95% bootstrap interval over those entries
(bench.results.stats.paired_difference). `within spread` says whether |mean after - mean before| is
no more than the larger of the two seed standard deviations. Used for the before/after table
of docs/performance.md ("Same results on real music before and after the speed-ups"); it reads
records written by older trees too (RunStore keeps fields it does not name).
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import numpy as np

from bench.results.stats import BUILTIN_METRICS, cell_key, paired_difference
from bench.results.store import RunStore


def cells(run_dir: str) -> dict[tuple, list]:
    """The run's successful trial records by cell."""
    grouped = defaultdict(list)
    for record in RunStore(run_dir).trials():
        if record.status == "ok":
            grouped[cell_key(record)].append(record)
    return grouped


def seed_r2(records: list) -> dict[int, float]:
    return {(r.seed, r.fold): r.metrics["song"]["r2"] for r in records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", help="the run folder before the change")
    parser.add_argument("after", help="the run folder after the change")
    args = parser.parse_args()
    before, after = cells(args.before), cells(args.after)
    columns = ["cell", "seeds: song R² before", "after", "before mean ± std", "after mean ± std"]
    columns += ["Δ after - before [95%]", "within spread"]
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for key in sorted(before.keys() & after.keys()):
        b, a = seed_r2(before[key]), seed_r2(after[key])
        bv, av = np.array(list(b.values())), np.array(list(a.values()))
        paired = paired_difference(after[key], before[key], BUILTIN_METRICS["r2"], "before")
        spread = max(bv.std(ddof=1), av.std(ddof=1)) if min(len(bv), len(av)) > 1 else float("nan")
        within = "yes" if abs(av.mean() - bv.mean()) <= spread else "no"
        interval = f"{paired.difference:+.3f} [{paired.low:+.3f}, {paired.high:+.3f}]" if paired else "–"
        row = [" / ".join(map(str, key)), ", ".join(f"{v:.3f}" for v in bv), ", ".join(f"{v:.3f}" for v in av)]
        row += [f"{bv.mean():.3f} ± {bv.std(ddof=1):.3f}", f"{av.mean():.3f} ± {av.std(ddof=1):.3f}", interval, within]
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()

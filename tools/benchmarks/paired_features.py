"""Paired per-window cost of features, one core: an older tree's feature modules against this
tree's, the shared intermediates included, alternating window by window on the same windows.

    python tools/benchmarks/paired_features.py OLD_TREE LABELS.csv AUDIO_DIR \\
        [--profile quick] [--features wav,mel,dsp] [--files 10] [--repeats 2]

OLD_TREE is an unpacked older checkout (`git archive COMMIT | tar -x -C OLD_TREE`); its modules
`plugins/features/NAME.py` are loaded by file and called as `compute(window, profile)`, so only
features whose module imports no other built-in feature module can be compared (wav, mel, dsp,
tempocnn-mel). Prints both costs, their ratio and the largest relative difference of the values.
Used for docs/performance.md ("One STFT per window").
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import time
from pathlib import Path

import numpy as np
import threadpoolctl

from bench.features.audio import WindowStream
from bench.features.extraction import declared_inputs, run_feature
from bench.features.shared import WindowInputs
from bench.profiles import PROFILES
from bench.registry import load_registry


def old_module(tree: Path, name: str):
    """An older tree's feature module, loaded from its file under a name of its own."""
    path = tree / "plugins" / "features" / f"{name.replace('-', '_')}.py"
    spec = importlib.util.spec_from_file_location(f"old_{name.replace('-', '_')}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"no feature module at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old_tree", type=Path)
    parser.add_argument("labels", type=Path, help="a CSV with a `file` column, relative to AUDIO_DIR")
    parser.add_argument("audio_dir", type=Path)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--features", default="wav,mel,dsp")
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    threadpoolctl.threadpool_limits(limits=1, user_api="blas")
    profile, names = PROFILES[args.profile], args.features.split(",")
    with args.labels.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows = rows[:: max(1, len(rows) // args.files)][: args.files]
    stream = (WindowStream(args.audio_dir / row["file"], profile.sample_rate, profile.window_samples,
                           profile.hop_samples) for row in rows)  # fmt: skip
    windows = [window.copy() for windows in stream for window in windows]
    registry = load_registry()
    features = [registry.features[name] for name in names]
    olds = [old_module(args.old_tree, name) for name in names]
    declared = [record for f in features for record in declared_inputs(f, profile).values()]

    def new(window):
        shared = WindowInputs(window, profile.sample_rate, declared)
        return [run_feature(f, window, profile, shared) for f in features]

    def old(window):
        return [module.compute(window, profile) for module in olds]

    new(windows[0]), old(windows[0])  # numba's kernels and the caches, outside the measurement
    spent, worst = {"old": 0.0, "new": 0.0}, 0.0
    for _ in range(args.repeats):
        for i, window in enumerate(windows):
            order = [("old", old), ("new", new)][:: 1 if i % 2 == 0 else -1]
            outputs = {}
            for tag, compute in order:
                started = time.perf_counter()
                outputs[tag] = compute(window)
                spent[tag] += time.perf_counter() - started
            for a, b in zip(outputs["old"], outputs["new"]):
                a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
                worst = max(worst, float(np.max(np.abs(a - b) / (1e-3 + np.abs(a)))))
    count = len(windows) * args.repeats
    before, after = (1000 * spent[tag] / count for tag in ("old", "new"))
    print(
        f"{args.profile} {args.features}: {len(windows)} windows x {args.repeats}; before {before:.2f} ms/window "
        f"({profile.window_seconds * 1000 / before:.0f}x real time), after {after:.2f} "
        f"({profile.window_seconds * 1000 / after:.0f}x); before/after {before / after:.2f}; "
        f"largest relative difference {worst:.1e}"
    )


if __name__ == "__main__":
    main()

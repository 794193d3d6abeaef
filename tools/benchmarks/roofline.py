"""Each quick CNN's training speed in a run against what one core can do: a roofline
(docs/performance.md, "Roofline of the quick CNNs").

    python tools/benchmarks/roofline.py RUN_DIR [--figure docs/figures/roofline.png]

From the run's trial records: each CNN's median later-epoch seconds and its training and
validation windows. From the models built at the run's profile: forward FLOP per window
(2 x the multiply-adds of every conv and dense kernel) and the bytes of every layer's output
(float32, written once and read once). Training counts 3x the forward FLOP and bytes (forward,
and the backward pass for inputs and for weights); validation 1x. The roofs are measured here,
on one thread, as a trial runs: TensorFlow's matmul (oneDNN) for arithmetic, a numpy copy of
256 MiB for memory bandwidth.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

CNNS = ("1dwav", "2dwav", "2dspec", "3dspec")


def cost_per_window(model) -> tuple[float, float]:
    """(forward FLOP, forward bytes of layer outputs, written and read) for one window."""
    flop, values = 0.0, 0.0
    for layer in model.layers:
        out = float(np.prod(layer.output.shape[1:]))
        values += out
        kernel = getattr(layer, "kernel", None)
        if kernel is not None:
            flop += 2 * out * float(np.prod(kernel.shape[:-1]))
    return flop, 2 * 4 * values


def matmul_gflops(size: int = 1024, repeats: int = 20) -> float:
    """One thread's float32 matmul speed in TensorFlow, the best of `repeats`."""
    import tensorflow as tf

    a = tf.random.normal((size, size))
    tf.linalg.matmul(a, a).numpy()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        tf.linalg.matmul(a, a).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def copy_gbs(megabytes: int = 256, repeats: int = 5) -> float:
    """One thread's memory bandwidth: bytes read plus written by a numpy copy, the best of `repeats`."""
    source = np.ones(megabytes * 2**20 // 4, np.float32)
    target = np.empty_like(source)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        np.copyto(target, source)
        best = min(best, time.perf_counter() - start)
    return 2 * source.nbytes / best / 1e9


def trials(run: Path) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {name: [] for name in CNNS}
    for path in (run / "trials").glob("*.json"):
        record = json.loads(path.read_text())
        if record.get("model") in found and record.get("status") == "ok":
            found[record["model"]].append(record)
    return {name: records for name, records in found.items() if records}


def rows(run: Path) -> tuple[list[dict], float, float]:
    from bench.pipeline import environment

    environment.configure()
    from bench.profiles import Profile
    from bench.trial.tensorflow_env import use_profile_kernels

    by_model = trials(run)
    profile = Profile.from_dict(json.loads((run / "run.json").read_text())["profile"])
    use_profile_kernels(profile)  # before TensorFlow loads, as for a trial
    from bench.registry import load_registry
    from bench.trial.backend import limit_threads

    limit_threads(1)
    registry = load_registry()
    peak, bandwidth = matmul_gflops(), copy_gbs()
    table = []
    for name, records in by_model.items():
        spec = registry.models[name]
        feature = registry.features[spec.feature]
        model = spec.build(tuple(feature.shape(profile)), profile.with_knobs(spec.knobs))
        flop, moved = cost_per_window(model)
        epoch_s = statistics.median(r["timing"]["epoch_s"] for r in records)
        train = statistics.median(r["n_train_windows"] for r in records)
        validation = statistics.median(r["n_validation_windows"] for r in records)
        epoch_flop = flop * (3 * train + validation)
        intensity = flop / moved
        achieved = epoch_flop / epoch_s / 1e9
        roof = min(peak, bandwidth * intensity)
        table.append(
            {
                "model": name,
                "trials": len(records),
                "forward MFLOP / window": flop / 1e6,
                "FLOP / byte": intensity,
                "train windows / s": train / epoch_s,
                "epoch s": epoch_s,
                "achieved GFLOP/s": achieved,
                "roof GFLOP/s": roof,
                "of roof": achieved / roof,
            }
        )
    return table, peak, bandwidth


def _cell(key: str, value) -> str:
    if key == "of roof":
        return f"{value:.0%}"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def markdown(table: list[dict], peak: float, bandwidth: float) -> str:
    header = list(table[0])
    lines = [f"Roofs on one thread: matmul {peak:.1f} GFLOP/s, copy {bandwidth:.1f} GB/s.", ""]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table:
        cells = [_cell(key, value) for key, value in row.items()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def figure(table: list[dict], peak: float, bandwidth: float, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    x = np.logspace(-1, 3, 200)
    ax.loglog(x, np.minimum(peak, bandwidth * x), color="0.3", label="roof: min(matmul, copy x intensity)")
    for row in table:
        ax.scatter(row["FLOP / byte"], row["achieved GFLOP/s"], zorder=3)
        point = (row["FLOP / byte"], row["achieved GFLOP/s"])
        ax.annotate(row["model"], point, textcoords="offset points", xytext=(5, 4))
    ax.set_xlabel("arithmetic intensity (forward FLOP per byte of layer outputs)")
    ax.set_ylabel("achieved GFLOP/s in training (one thread)")
    ax.legend(loc="lower right", fontsize="small")
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--figure", type=Path)
    args = parser.parse_args()
    table, peak, bandwidth = rows(args.run)
    print(markdown(table, peak, bandwidth))
    if args.figure:
        figure(table, peak, bandwidth, args.figure)


if __name__ == "__main__":
    main()

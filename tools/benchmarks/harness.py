"""Harness-level benchmark: the figures in docs/performance.md, measured on this machine.

    python tools/benchmarks/harness.py [--repeats 3] [--markdown docs/performance.md]

1. Training through the harness vs plain `keras.Model.fit` on the same in-memory arrays: same
   model, seed and epochs (early stopping off), on the harness's in-memory path and with
   streaming from disk forced.
2. The feature stage of a cold cache vs a warm one.
3. Peak memory of a run with 4x the songs vs 1x (runner process and trial process), on the
   in-memory path and with streaming forced ($AFB_IN_MEMORY_MB=0).
4. Mel extraction speed, in multiples of real time on one core, for each profile.
Each timing is the median of `--repeats` runs.

    python tools/benchmarks/harness.py --real-music DIR [--files 12]
    python tools/benchmarks/harness.py --streaming-rss
    python tools/benchmarks/harness.py --training

5. `--real-music DIR`: the feature stage's per-step costs (decode, resample, wav, mel, dsp, and
   the opt-in wav-beats and mel-beats) on real recordings, in multiples of real time on one core
   (quick profile).
6. `--streaming-rss`: peak RSS of a process that decodes a 20-minute and a 1-minute file into
   windows, streamed (`WindowStream`) and whole (`load_stereo` + `cut_windows`).
7. `--training`: windows trained per second for each CNN of the quick profile: batch size,
   `jit_compile`, TensorFlow's thread pools, and the JAX backend.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.features.cache import FeatureCache
from bench.features.extraction import declared_inputs, run_feature
from bench.features.reader import FeatureReader
from bench.features.shared import WindowInputs
from bench.features.stage import build_dataset
from bench.profiles import PAPER, QUICK
from bench.registry import load_registry

REGISTRY = load_registry()


def median_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def catalog_of(cache_dir: Path, songs: int, seconds: float):
    return REGISTRY.sources["synthetic"].load(
        {"profile": QUICK, "cache_dir": cache_dir, "songs": songs, "seconds": seconds}
    )


def fit_overhead(workdir: Path, repeats: int, epochs: int = 5) -> dict:
    """Harness training (PyDataset from disk) over plain fit (in-memory arrays)."""
    import keras

    from bench_plugins.frameworks import training

    profile = QUICK.replace(epochs=epochs, patience=epochs + 1)
    dataset = build_dataset(catalog_of(workdir, 48, 30), [REGISTRY.features["mel"]], profile, FeatureCache(workdir))
    reader = FeatureReader(dataset.features["mel"])
    rows = np.arange(len(reader))
    x, y = reader.read(rows), dataset.labels("danceability").astype(np.float32)
    spec = REGISTRY.models["2dspec"]

    def model():
        keras.utils.set_random_seed(0)
        return training.compile_model(spec.build(reader.row_shape, profile), profile)

    def plain():
        model().fit(x, y, batch_size=profile.batch_size, epochs=epochs, shuffle=True, verbose=0)

    def harness():
        training.fit(model(), profile, training.windows(reader, rows, y, profile.batch_size, seed=0), None)

    def streamed():
        training.fit(model(), profile, training.WindowBatches(reader, rows, y, profile.batch_size, seed=0), None)

    plain(), harness(), streamed()  # warm every path (tracing, page cache)
    plain_s, harness_s, streamed_s = (median_time(f, repeats) for f in (plain, harness, streamed))
    return {
        "windows": len(rows),
        "epochs": epochs,
        "plain_fit_s": plain_s,
        "harness_fit_s": harness_s,
        "ratio": harness_s / plain_s,
        "streamed_fit_s": streamed_s,
        "streamed_ratio": streamed_s / plain_s,
    }


def cache_speedup(workdir: Path, repeats: int) -> dict:
    """Feature stage (decode, wav, mel, dsp) with an empty cache vs a warm one."""
    features = [REGISTRY.features[n] for n in ("wav", "mel", "dsp")]
    catalog = catalog_of(workdir, 48, 30)
    cold = []
    for i in range(repeats):
        cache = FeatureCache(workdir / f"cold{i}")
        started = time.perf_counter()
        build_dataset(catalog, features, QUICK, cache)
        cold.append(time.perf_counter() - started)
    warm = median_time(lambda: build_dataset(catalog, features, QUICK, FeatureCache(workdir / "cold0")), repeats)
    return {"songs": 48, "cold_s": statistics.median(cold), "warm_s": warm, "speedup": statistics.median(cold) / warm}


def run_peak_memory(workdir: Path, songs: int, budget_mb: str) -> dict:
    """Peak RSS of `bench run` (runner) and of its 2dspec trial, for a corpus of `songs`."""
    results = workdir / f"results{songs}-{budget_mb}"
    env = {
        **os.environ,
        "AFB_RESULTS_DIR": str(results),
        "AFB_CACHE_DIR": str(workdir / "cache"),
        "AFB_IN_MEMORY_MB": budget_mb,
    }
    command = [
        sys.executable,
        "-m",
        "bench.cli",
        "run",
        "--model",
        "2dspec",
        "--split",
        "song",
        "--seeds",
        "1",
        "--epochs",
        "2",
        "--songs",
        str(songs),
        "--seconds",
        "30",
        "--jobs",
        "1",
    ]
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    run_dir = next(results.iterdir())
    record = json.loads(next((run_dir / "trials").glob("*.json")).read_text())
    runner = json.loads((run_dir / "run.json").read_text())["runner_peak_rss_mb"]
    return {"songs": songs, "runner_peak_mb": runner, "trial_peak_mb": record["peak_rss_mb"]}


def mel_speed(repeats: int) -> dict:
    """Audio seconds per compute second for the `mel` transform on one core, per profile."""
    speeds = {}
    for profile in (QUICK, PAPER):
        window = (0.1 * np.random.default_rng(0).standard_normal((2, profile.window_samples))).astype(np.float32)
        run_feature(REGISTRY.features["mel"], window, profile)
        seconds = median_time(
            lambda window=window, profile=profile: run_feature(REGISTRY.features["mel"], window, profile),
            max(5, repeats),
        )
        speeds[profile.name] = profile.window_seconds / seconds
    return speeds


def real_music_costs(root: Path, files: int) -> dict:
    """Seconds of audio per second of one core for each step of the quick feature stage."""
    import soundfile
    import soxr
    from real_music import music_files  # the sibling script that labels the set

    from bench.features.audio import cut_windows, to_stereo

    names = ("wav", "mel", "dsp", "wav-beats", "mel-beats")
    profile, features = QUICK, {n: REGISTRY.features[n] for n in names}
    paths = music_files(root)
    paths = paths[:: max(1, len(paths) // files)][:files]
    warm = (0.1 * np.random.default_rng(0).standard_normal((2, profile.window_samples))).astype(np.float32)
    for feature in features.values():
        run_feature(feature, warm, profile)  # numba compilation and caches outside the measurement
    spent, audio_seconds = dict.fromkeys(("decode", "resample", *features), 0.0), 0.0
    declared = [record for feature in features.values() for record in declared_inputs(feature, profile).values()]
    for path in paths:
        started = time.perf_counter()
        data, rate = soundfile.read(path, dtype="float32", always_2d=True)
        spent["decode"] += time.perf_counter() - started
        started = time.perf_counter()
        stereo = soxr.resample(to_stereo(data).T, rate, profile.sample_rate, quality="HQ").T
        spent["resample"] += time.perf_counter() - started
        audio_seconds += len(data) / rate
        for window in cut_windows(np.ascontiguousarray(stereo), profile.window_samples, profile.hop_samples):
            # As the feature stage: one window's intermediates shared, each timed as the first asker's.
            shared = WindowInputs(window, profile.sample_rate, declared)
            for name, feature in features.items():
                started = time.perf_counter()
                run_feature(feature, window, profile, shared)
                spent[name] += time.perf_counter() - started
    windows = int(audio_seconds // profile.window_seconds)
    return {
        "files": len(paths),
        "audio_s": audio_seconds,
        "windows": windows,
        "x_real_time": {name: audio_seconds / s for name, s in spent.items()},
        "ms_per_window": {name: 1000 * s / windows for name, s in spent.items()},
        "stage_x_real_time": audio_seconds / sum(spent.values()),
    }


DECODE_PEAK = """
import sys, numpy as np
from bench.features.audio import WindowStream, cut_windows, load_stereo
path, mode = sys.argv[1], sys.argv[2]
if mode == "streamed":
    count = sum(1 for _ in WindowStream(path, 8000, 40000, 40000))
else:
    count = len(cut_windows(load_stereo(path, 8000)[0], 40000, 40000))
status = open("/proc/self/status").read()
print(count, next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")) / 1024)
"""


def streaming_rss(workdir: Path) -> dict:
    """Peak RSS (MiB) of decoding a 1- and a 20-minute 44.1 kHz stereo WAV into quick windows."""
    import soundfile

    rng, peaks = np.random.default_rng(0), {}
    for minutes in (1, 20):
        path = workdir / f"{minutes}min.wav"
        with soundfile.SoundFile(path, "w", 44100, 2, subtype="PCM_16") as handle:
            for _ in range(minutes):
                handle.write((0.1 * rng.standard_normal((60 * 44100, 2))).astype(np.float32))
        for mode in ("streamed", "whole"):
            out = subprocess.run(
                [sys.executable, "-c", DECODE_PEAK, str(path), mode], capture_output=True, text=True, check=True
            ).stdout.split()
            peaks[f"{mode} {minutes} min"] = {"windows": int(out[0]), "peak_mb": float(out[1])}
    return peaks


TRAIN_SPEED = """
import json, os, sys, time
import numpy as np
from bench.trial.backend import limit_threads
from bench_plugins.frameworks.training import compile_model
if int(sys.argv[1]):
    limit_threads(int(sys.argv[1]))
import keras
from bench.profiles import QUICK
from bench.registry import load_registry
registry = load_registry()
for name in ("1dwav", "2dwav", "2dspec", "3dspec"):
    spec = registry.models[name]
    shape = registry.features[spec.feature].shape(QUICK)
    x = np.random.default_rng(0).standard_normal((320, *shape)).astype(np.float32)
    y = np.random.default_rng(1).uniform(0, 1, (320, 1)).astype(np.float32)
    for batch in (16, 32, 64):
        for jit in (False, True):
            keras.utils.set_random_seed(0)
            model = compile_model(spec.build(shape, QUICK), QUICK, jit_compile=jit)
            started = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, validation_data=(x[:64], y[:64]))  # traces, compiles
            first = time.perf_counter() - started
            started = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=2, verbose=0, validation_data=(x[:64], y[:64]))
            epoch = (time.perf_counter() - started) / 2
            row = {"model": name, "batch": batch, "jit": bool(model.jit_compile), "first_epoch_s": first,
                   "epoch_s": epoch, "windows_per_s": len(x) / epoch}
            print(json.dumps(row), flush=True)
            if keras.backend.backend() == "jax":
                break
"""


def training_speed() -> list[dict]:
    """Seconds of the first epoch (tracing, compiling) and of later ones, and windows trained per
    second (320 windows, 64 of them also validation), per CNN, batch size and jit_compile, for
    TensorFlow and JAX with one thread (what each of two parallel trials gets on 2 cores:
    bench.trial.backend.limit_threads), and TensorFlow with its default pools. The subprocesses
    inherit the harness's XLA program cache (bench.trial.tensorflow_env): with it warm, an XLA first
    epoch shows loading, not compiling."""
    settings = {  # backend, threads per trial (0: the framework's default, all cores)
        "tensorflow, 1 thread": ("tensorflow", 1),
        "jax, 1 thread": ("jax", 1),
        "tensorflow, default threads": ("tensorflow", 0),
    }
    rows = []
    for label, (backend, threads) in settings.items():
        done = subprocess.run(
            [sys.executable, "-c", TRAIN_SPEED, str(threads)],
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": backend},
            capture_output=True,
            text=True,
            check=True,
        )
        rows += [{"backend": label, **json.loads(line)} for line in done.stdout.splitlines() if line.startswith("{")]
    return rows


MARKER = "<!-- Sections below are written by hand from the commands they name; --markdown keeps them. -->"


def markdown(results: dict) -> str:
    fit, cache, mel = results["fit"], results["cache"], results["mel"]
    one, four = results["memory"]
    s_one, s_four = results["memory_streamed"]
    return f"""# Performance

Measured with `python tools/benchmarks/harness.py --repeats {results["repeats"]}` on {results["machine"]}
({results["date"]}); each timing is the median of {results["repeats"]} runs. Micro-benchmarks of every
transform and model: `pytest tools/benchmarks --benchmark-enable`.

| what | measured | target |
| --- | --- | --- |
| training through the harness vs plain `Model.fit` on in-memory arrays (2dspec, {fit["windows"]} windows, {fit["epochs"]} epochs) | {fit["harness_fit_s"]:.2f} s vs {fit["plain_fit_s"]:.2f} s = **{fit["ratio"]:.2f}x** | ≤ 1.05x |
| the same, streaming from disk forced (`PyDataset`) | {fit["streamed_fit_s"]:.2f} s vs {fit["plain_fit_s"]:.2f} s = {fit["streamed_ratio"]:.2f}x | |
| feature stage, cold cache vs warm ({cache["songs"]} songs; decode + wav + mel + dsp) | {cache["cold_s"]:.2f} s vs {cache["warm_s"]:.3f} s = **{cache["speedup"]:.0f}x faster** | ≥ 20x |
| peak memory of the 2dspec trial, {four["songs"]} vs {one["songs"]} songs | {four["trial_peak_mb"]:.0f} MiB vs {one["trial_peak_mb"]:.0f} MiB = **{four["trial_peak_mb"] / one["trial_peak_mb"]:.2f}x** | ≤ 1.25x |
| peak memory of the 2dspec trial, streaming forced, {s_four["songs"]} vs {s_one["songs"]} songs | {s_four["trial_peak_mb"]:.0f} MiB vs {s_one["trial_peak_mb"]:.0f} MiB = **{s_four["trial_peak_mb"] / s_one["trial_peak_mb"]:.2f}x** | ≤ 1.25x |
| peak memory of the runner process, {four["songs"]} vs {one["songs"]} songs | {four["runner_peak_mb"]:.0f} MiB vs {one["runner_peak_mb"]:.0f} MiB = **{four["runner_peak_mb"] / one["runner_peak_mb"]:.2f}x** | ≤ 1.25x |
| mel extraction, one core (quick: 8 kHz, n_fft 512) | **{mel["quick"]:.0f}x** real time | ≥ 300x |
| mel extraction, one core (paper: 22050 Hz, n_fft 2048) | **{mel["paper"]:.0f}x** real time | ≥ 300x |

Notes:

- **Training input.** A trial's windows are read from the feature file once into arrays when
  they fit in the in-memory budget ($AFB_IN_MEMORY_MB, default 256 MiB), and streamed batch by
  batch through a `keras.utils.PyDataset` beyond it. Streaming's own reads cost almost nothing
  (all 90 batches of 5 epochs: 0.009 s); the cost is Keras's `PyDataset` adapter, about 15%
  on inputs this small (the same `PyDataset` over in-memory arrays measured 1.17x), which is
  why sets within the budget are not streamed.
- **Memory.** Streamed batches use positioned reads rather than a memory map (whose touched
  pages would count as the trial's memory), and the runner writes the consolidated feature
  file with plain writes. With streaming forced, the trial's peak does not grow with the
  number of songs; on the in-memory path it grows by the arrays, at most the budget. The
  ~590 MiB of a trial is mostly TensorFlow itself.
  Peaks are the kernel's VmHWM for each process alone: `ru_maxrss` would also count the
  launching process's peak, which a child inherits across fork and exec.
- **Mel speed.** The default (quick) transform runs far above 300x real time. At paper size
  (30 s at 22050 Hz, stereo mid and side, n_fft 2048) librosa's STFT dominates and the
  speed is just under 300x.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--real-music", type=Path, metavar="DIR", help="only the per-step feature costs on DIR")
    parser.add_argument("--files", type=int, default=12, help="recordings taken from --real-music DIR")
    parser.add_argument("--streaming-rss", action="store_true", help="only the peak RSS of streamed decoding")
    parser.add_argument("--training", action="store_true", help="only the training speed per CNN and setting")
    args = parser.parse_args()
    if args.real_music or args.streaming_rss or args.training:
        with tempfile.TemporaryDirectory() as tmp:
            results = {
                "real_music": real_music_costs(args.real_music, args.files) if args.real_music else None,
                "streaming_rss": streaming_rss(Path(tmp)) if args.streaming_rss else None,
                "training": training_speed() if args.training else None,
            }
        print(json.dumps({k: v for k, v in results.items() if v is not None}, indent=1))
        return
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        results = {
            "repeats": args.repeats,
            "machine": f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, Python {platform.python_version()}",
            "date": time.strftime("%Y-%m-%d"),
            "mel": mel_speed(args.repeats),
            "cache": cache_speedup(workdir, args.repeats),
            "fit": fit_overhead(workdir, args.repeats),
            "memory": [run_peak_memory(workdir, songs, "256") for songs in (48, 192)],
            "memory_streamed": [run_peak_memory(workdir, songs, "0") for songs in (48, 192)],
        }
    print(json.dumps(results, indent=1))
    if args.markdown:  # rewrite the generated table, keep the hand-written sections after MARKER
        kept = args.markdown.read_text().partition(MARKER)[2] if args.markdown.exists() else ""
        args.markdown.write_text(markdown(results) + (f"\n{MARKER}{kept}" if kept else ""))
        print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()

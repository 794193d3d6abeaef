"""Why 1dwav is slow on CPU at the paper's size, and what each CNN costs there (issue 13).

    python tools/benchmarks/paper_cpu.py --flops                 # forward GFLOP per window, paper and quick
    python tools/benchmarks/paper_cpu.py --layers [--fraction 0.1]
    python tools/benchmarks/paper_cpu.py --model [--fraction 0.1] [--batch 2]
    python tools/benchmarks/paper_cpu.py --cnns [--batch 2]      # each CNN at full paper size

`--layers` times one of 1dwav's convolutions alone (kernel 100, stride 1, 16 filters, "same"),
in a Keras model Conv -> GlobalAveragePooling -> Dense(1): a training step (forward and both
gradients) and a forward pass, on one thread, for each way of writing the same convolution:
`keras.layers.Conv1D`, `Conv2D` with a (1, 100) kernel, and `blocked`: the convolution as a
kernel-2..3 convolution over blocks of samples with block x channels filters (same kernel,
same output to float rounding; see `blocked_conv1d`), each in TensorFlow without and with
XLA (`jit_compile`) and in JAX. `--model` times a training step of the whole 1dwav model
(PAPER) the same ways. Both run at `--fraction` of the paper's 661,500 samples; costs scale
linearly with length. `--cnns` times a training step and a prediction of each CNN at the
full paper shapes, in wall-clock and in the process's CPU seconds (one thread, so CPU seconds
are what an idle core would take, however loaded the machine), with its peak RSS.
Every case runs in its own process (the backend is fixed at import).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import types

import numpy as np

from bench.trial.measure import peak_rss_mb

PAPER_SAMPLES = 661500
CASES = [  # (backend, variant, jit_compile)
    ("tensorflow", "conv1d", False),
    ("tensorflow", "conv2d", False),
    ("tensorflow", "blocked50", False),
    ("tensorflow", "conv1d", True),
    ("tensorflow", "blocked50", True),
    ("jax", "conv1d", True),
    ("jax", "blocked50", True),
]


def blocked_conv1d(x, kernel, stride: int, block: int):
    """A "same" Conv1D of `x` (batch, n, cin) with `kernel` (K, cin, cout) at `stride`, written
    as a convolution over blocks of `block * stride` samples: a kernel of B taps over
    `block * stride * cin` channels into `block * cout`, whose weights are the original kernel's
    taps gathered into a block-Toeplitz matrix. Same maths, 1.5-2x the multiply-adds, but one
    big matrix product per tap instead of 100 tiny ones (and so are its gradients)."""
    from keras import ops

    n, cin = x.shape[1], x.shape[2]
    taps, _, cout = kernel.shape
    out_len = -(-n // stride)
    left = max((out_len - 1) * stride + taps - n, 0) // 2  # the "same" padding's left part
    blocks = -(-out_len // block)
    span = -(-((block - 1) * stride + taps) // (block * stride))  # input blocks one output block reads
    total = (blocks + span - 1) * block * stride
    x = ops.pad(x, [[0, 0], [left, total - n - left], [0, 0]])
    x = ops.reshape(x, (-1, blocks + span - 1, block * stride * cin))
    b, m, q = np.meshgrid(np.arange(span), np.arange(block * stride), np.arange(block), indexing="ij")
    tap = b * block * stride + m - q * stride
    tap = np.where((tap >= 0) & (tap < taps), tap, taps).astype("int32")  # `taps` indexes a zero row
    padded = ops.concatenate([kernel, ops.zeros((1, cin, cout), dtype=kernel.dtype)], axis=0)
    weights = ops.transpose(ops.take(padded, tap, axis=0), (0, 1, 3, 2, 4))
    weights = ops.reshape(weights, (span, block * stride * cin, block * cout))
    y = ops.conv(x, weights, strides=1, padding="valid")
    return ops.reshape(y, (-1, blocks * block, cout))[:, :out_len, :]


def conv_layer(keras, variant: str):
    """The Conv1D class for `variant` ("conv1d" or "blockedN")."""
    if not variant.startswith("blocked"):
        return keras.layers.Conv1D
    block = int(variant[len("blocked") :])

    class Blocked(keras.layers.Conv1D):
        def convolution_op(self, inputs, kernel):
            return blocked_conv1d(inputs, kernel, self.strides[0], block)

    return Blocked


def median_seconds(function, repeats: int = 3) -> float:
    """Median CPU seconds of this process over `repeats` calls, after one that traces (and
    compiles, with XLA). CPU time, not wall: on one thread it is what an idle core would take,
    however loaded the machine is."""
    function()
    times = []
    for _ in range(repeats):
        started = time.process_time()
        function()
        times.append(time.process_time() - started)
    return statistics.median(times)


def one_layer(variant: str, jit: bool, n: int, cin: int) -> dict:
    from bench.trial.quiet import keras

    inputs = keras.Input((n, cin))
    if variant == "conv2d":
        x = keras.layers.Reshape((1, n, cin))(inputs)
        x = keras.layers.Conv2D(16, (1, 100), padding="same", activation="relu")(x)
        x = keras.layers.Reshape((n, 16))(x)
    else:
        x = conv_layer(keras, variant)(16, 100, padding="same", activation="relu")(inputs)
    outputs = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "mae", jit_compile=jit)
    x = np.random.default_rng(0).normal(size=(1, n, cin)).astype("float32")
    y = np.zeros((1, 1), "float32")
    gflop = 2 * n * 100 * cin * 16 / 1e9
    train = median_seconds(lambda: model.train_on_batch(x, y))
    forward = median_seconds(lambda: model.predict_on_batch(x))
    return {"n": n, "cin": cin, "train_cpu_s": train, "forward_cpu_s": forward, "train_gflop_s": 3 * gflop / train}


def one_model(variant: str, jit: bool, fraction: float, batch: int) -> dict:
    from bench.profiles import PAPER
    from bench.trial.quiet import keras
    from bench_plugins.frameworks.training import compile_model
    from bench_plugins.models import cnn_1dwav

    if variant != "conv1d":
        public = {name: getattr(keras.layers, name) for name in dir(keras.layers) if not name.startswith("_")}
        cnn_1dwav.layers = types.SimpleNamespace(**{**public, "Conv1D": conv_layer(keras, variant)})
    n = int(PAPER_SAMPLES * fraction)
    keras.utils.set_random_seed(0)
    model = compile_model(cnn_1dwav.build((n, 2), PAPER), PAPER)
    model.jit_compile = jit
    x = np.random.default_rng(0).random((batch, n, 2)).astype("float32")
    y = np.full((batch, 1), 0.5, "float32")
    step = median_seconds(lambda: model.train_on_batch(x, y), repeats=1)
    return {"n": n, "batch": batch, "train_cpu_s_per_paper_window": step / batch / fraction}


def one_cnn(name: str, batch: int) -> dict:
    """A training step and a prediction of CNN `name` at PAPER shapes, after a warm-up step."""
    from bench.profiles import PAPER
    from bench.trial.quiet import keras
    from bench_plugins.features import mel, wav
    from bench_plugins.frameworks.training import compile_model
    from bench_plugins.models import CNNS

    module_name, feature = next((module, f) for module, (model, f, _) in CNNS.items() if model == name)
    module = __import__(f"bench_plugins.models.{module_name}", fromlist=["build"])
    shape = {"wav": wav, "mel": mel}[feature].shape(PAPER)
    keras.utils.set_random_seed(0)
    model = compile_model(module.build(shape, PAPER), PAPER)
    x = np.random.default_rng(0).random((batch, *shape)).astype("float32")
    y = np.full((batch, 1), 0.5, "float32")
    result = {"model": name, "batch": batch}
    for step, function in (("train", lambda: model.train_on_batch(x, y)), ("predict", lambda: model.predict(x))):
        function()  # traces
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        result[f"{step}_wall_s_per_window"] = (time.perf_counter() - wall) / batch
        result[f"{step}_cpu_s_per_window"] = (time.process_time() - cpu) / batch
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def forward_gflop(profile) -> dict:
    """Forward multiply-adds x 2 of every kernel (conv and dense) of each CNN at `profile`'s shapes,
    counted as the roofline counts them (roofline.cost_per_window)."""
    from roofline import CNNS, cost_per_window

    from bench.registry import load_registry

    registry = load_registry()
    result = {}
    for name in CNNS:
        spec = registry.models[name]
        shape = tuple(registry.features[spec.feature].shape(profile))
        flop, _ = cost_per_window(spec.build(shape, profile.with_knobs(spec.knobs)))
        result[name] = round(flop / 1e9, 4)
    return result


def run_case(args: list[str], backend: str) -> dict:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"paper_cpu.py {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flops", action="store_true")
    parser.add_argument("--layers", action="store_true")
    parser.add_argument("--model", action="store_true")
    parser.add_argument("--cnns", action="store_true")
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a single case, in this process
    args = parser.parse_args()
    if args.one:
        from bench.trial.backend import limit_threads

        limit_threads(1)  # what each of two parallel trials gets on 2 cores
        case = json.loads(args.one)
        if case["kind"] == "cnn":
            print(json.dumps(one_cnn(case["model"], args.batch)))
        elif case["kind"] == "layer":
            print(json.dumps(one_layer(case["variant"], case["jit"], case["n"], case["cin"])))
        else:
            print(json.dumps(one_model(case["variant"], case["jit"], args.fraction, args.batch)))
        return
    if args.flops:
        from bench.profiles import PAPER, QUICK

        print(json.dumps({profile.name: forward_gflop(profile) for profile in (PAPER, QUICK)}))
    if args.cnns:
        for name in ("1dwav", "2dwav", "2dspec", "3dspec"):
            case = json.dumps({"kind": "cnn", "model": name})
            print(json.dumps(run_case(["--one", case, "--batch", str(args.batch)], "tensorflow")), flush=True)
    if not (args.layers or args.model):
        return
    for backend, variant, jit in CASES:
        cases = []
        if args.layers:  # block 1 (1 -> 16 channels) and block 2 (16 -> 16, half the length)
            n = int(PAPER_SAMPLES * args.fraction)
            cases += [{"kind": "layer", "n": n, "cin": 1}, {"kind": "layer", "n": n // 2, "cin": 16}]
        if args.model and variant != "conv2d":  # the model's own layer is a Conv1D
            cases.append({"kind": "model"})
        for case in cases:
            case.update(variant=variant, jit=jit)
            extra = ["--fraction", str(args.fraction), "--batch", str(args.batch)]
            result = run_case(["--one", json.dumps(case), *extra], backend)
            print(json.dumps({"backend": backend, "variant": variant, "jit_compile": jit, **result}), flush=True)


if __name__ == "__main__":
    main()

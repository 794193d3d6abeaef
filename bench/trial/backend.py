"""Process-wide backend settings for a trial's process: CPU threads and deterministic kernels."""

from __future__ import annotations

import os

from bench.trial.quiet import keras


def limit_threads(threads: int) -> None:
    """Cap the framework's CPU threads for this process (call before the first operation),
    so parallel trials share the cores instead of fighting over them."""
    value = str(max(1, threads))
    for name in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = value
    os.environ["TF_NUM_INTEROP_THREADS"] = "1" if threads <= 2 else "2"
    os.environ.setdefault("XLA_FLAGS", f"--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={value}")
    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(max(1, threads))


def deterministic_kernels() -> None:
    """Ask the backend for deterministic kernels (`--deterministic`). With one thread per trial
    TensorFlow's CPU kernels already sum in a fixed order; this also pins the ones that would
    not (GPU reductions, scatter), at a cost only where they run. JAX on CPU needs nothing."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)


def clear_session() -> None:
    """Drop the backend state a finished trial left (models, graphs, kernel caches), so a worker
    process starts its next trial clean."""
    keras.backend.clear_session()

"""TensorFlow's process-wide settings that the harness chooses, set before TensorFlow loads.

- **oneDNN kernels on CPU** (`TF_ENABLE_ONEDNN_OPTS`), per profile (`Profile.onednn`).
  TensorFlow turns them on by itself only on CPUs with AVX-512 VNNI, BF16 or AMX; elsewhere its
  plain Eigen kernels train the quick CNNs several times slower per epoch, while oneDNN trains
  the paper-size waveform models far slower (docs/performance.md has the figures). TensorFlow
  reads the variable when it loads, so a run sets it (`use_profile_kernels`) before it starts
  the processes that train. A user's own value wins.
- **A persistent XLA program cache** (`--tf_xla_persistent_cache_directory` in TF_XLA_FLAGS) at
  `<cache>/xla/tensorflow-<version>`, beside the feature cache. A trial is a fresh process, so a
  model compiled with XLA (on a GPU, where Keras picks XLA itself, or `ModelSpec.jit_compile`)
  recompiled every step for every seed and split; now each program compiles once and later
  trials reload it. A user's own cache directory wins.

TensorFlow reads both once, so `bench.pipeline.environment.configure()` calls `configure()`
first thing in a `bench` process; trial processes (forked, or Ray workers) inherit them.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

ONEDNN_ENV = "TF_ENABLE_ONEDNN_OPTS"
XLA_ENV = "TF_XLA_FLAGS"
XLA_CACHE_FLAG = "--tf_xla_persistent_cache_directory"


def xla_cache_folder() -> Path:
    """The persistent XLA cache of this TensorFlow version, inside the harness's cache."""
    from bench.features.cache import default_cache_dir

    try:
        version = importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        version = "none"
    return default_cache_dir() / "xla" / f"tensorflow-{version}"


# Set when the harness chose the kernels, so a bench process started by another tells the
# user's own choice (kept whatever the profile) from the harness's.
CHOSEN_BY_BENCH_ENV = "AFB_ONEDNN_CHOSEN"
_USER_KERNELS = ONEDNN_ENV in os.environ and CHOSEN_BY_BENCH_ENV not in os.environ


def use_profile_kernels(profile) -> None:
    """Set oneDNN on or off, as `profile.onednn` says, for the trial processes started from now on
    (unless the user chose): call it before the executor starts them."""
    if not _USER_KERNELS:
        os.environ[ONEDNN_ENV] = "1" if profile.onednn else "0"
        os.environ[CHOSEN_BY_BENCH_ENV] = "1"


def configure() -> None:
    """oneDNN on by default (the quick profile's choice) and the harness's XLA program cache,
    unless the user set either."""
    if not _USER_KERNELS:
        os.environ.setdefault(ONEDNN_ENV, "1")
        os.environ[CHOSEN_BY_BENCH_ENV] = "1"
    flags = os.environ.get(XLA_ENV, "")
    if XLA_CACHE_FLAG not in flags:
        os.environ[XLA_ENV] = f"{flags} {XLA_CACHE_FLAG}={xla_cache_folder()}".strip()

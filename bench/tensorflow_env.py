"""TensorFlow's process-wide settings that the harness chooses, set before TensorFlow loads.

- **oneDNN kernels on CPU** (`TF_ENABLE_ONEDNN_OPTS=1`). TensorFlow turns them on by itself
  only on CPUs with AVX-512 VNNI, BF16 or AMX; elsewhere (this project's AMD build machines)
  its plain Eigen kernels trained the quick CNNs 2-5x slower per epoch (2dwav 8.5 -> 1.6 s,
  docs/performance.md). A user's own value wins.
- **A persistent XLA program cache** (`--tf_xla_persistent_cache_directory` in TF_XLA_FLAGS) at
  `<cache>/xla/tensorflow-<version>`, beside the feature cache. A trial is a fresh process, so a
  model compiled with XLA (on a GPU, where Keras picks XLA itself, or `ModelSpec.jit_compile`)
  recompiled every step for every seed and split; now each program compiles once and later
  trials reload it. A user's own cache directory wins.

TensorFlow reads both once, so `bench/__init__.py` calls `configure()` before anything can
import it; trial processes (forked, or Ray workers importing bench) inherit them.
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
    from bench.cache import default_cache_dir

    try:
        version = importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        version = "none"
    return default_cache_dir() / "xla" / f"tensorflow-{version}"


def configure() -> None:
    """Turn oneDNN on and add the harness's XLA program cache, unless the user set either."""
    os.environ.setdefault(ONEDNN_ENV, "1")
    flags = os.environ.get(XLA_ENV, "")
    if XLA_CACHE_FLAG not in flags:
        os.environ[XLA_ENV] = f"{flags} {XLA_CACHE_FLAG}={xla_cache_folder()}".strip()

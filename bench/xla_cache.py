"""TensorFlow's compiled XLA programs kept on disk, so a model trained with XLA
(`ModelSpec.jit_compile`) compiles each of its steps once, not once per seed, split and run.

A trial is a fresh process, and XLA compilation was most of such a model's first epoch (12-25 s
of a 35-45 s trial on 2 cores, docs/performance.md). TensorFlow's persistent cache stores each
compiled program under a fingerprint of its computation and reloads it instead of compiling;
a program's weights are its inputs, so every seed of a model and shape shares one. The folder
is per TensorFlow version, beside the feature cache. TensorFlow reads TF_XLA_FLAGS once, when
it first uses XLA, so `bench/__init__.py` calls `configure()` before anything can import it,
and trial processes inherit the variable. A user's own cache directory in TF_XLA_FLAGS wins.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

ENV = "TF_XLA_FLAGS"
FLAG = "--tf_xla_persistent_cache_directory"


def folder() -> Path:
    from bench.cache import default_cache_dir

    try:
        version = importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        version = "none"
    return default_cache_dir() / "xla" / f"tensorflow-{version}"


def configure() -> None:
    """Add the harness's XLA program cache to TF_XLA_FLAGS unless it names one already."""
    flags = os.environ.get(ENV, "")
    if FLAG not in flags:
        os.environ[ENV] = f"{flags} {FLAG}={folder()}".strip()

"""The harness owns numba's on-disk cache, so librosa's compiled kernels can never poison a run.

librosa marks its kernels `cache=True` (the beat tracker's `__beat_track_dp` is a cached
`guvectorize`). By default numba writes them next to librosa's sources, shared by every
process of the venv; two processes compiling one cached gufunc at once can leave an index
(`.nbi`) that points at another process's object file (`.nbc`), and every later load of that
kernel calls a null pointer: a segfault in `librosa.beat.beat_track`, in any later process
(numba issue #10128). So:

- `configure()` points NUMBA_CACHE_DIR at a folder of the harness's own cache. numba reads
  the variable once, when it is imported, so `bench.pipeline.environment.configure()` calls
  this first thing in a `bench` process, before anything can import numba.
- The feature stage (`bench.features.pool.probe`) runs every feature once in a child process
  under `lock()`, a file lock shared by concurrent runs, before any feature worker starts:
  the first run compiles, later ones only load, and workers find finished kernels. A child
  that crashes means a poisoned cache: it is `clear()`ed, the user is told once, and the
  probe runs again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from filelock import FileLock

ENV = "NUMBA_CACHE_DIR"


def cache_dir() -> Path:
    return Path(os.environ[ENV])


def lock() -> FileLock:
    """The lock every process takes to compile into (or first load from) the numba cache."""
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder / ".compile.lock"))


def configure() -> Path:
    """Point numba's cache at `<feature cache>/numba` unless the user chose a folder."""
    if not os.environ.get(ENV):
        from bench.features.cache import default_cache_dir

        os.environ[ENV] = str(default_cache_dir() / "numba")
    return cache_dir()


def clear(folder: Path) -> None:
    """Remove every compiled kernel but keep the folder (and its lock file)."""
    for entry in folder.iterdir():
        if entry.name == ".compile.lock":
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)

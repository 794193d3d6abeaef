"""The harness owns numba's on-disk cache, so librosa's compiled kernels can never poison a run.

librosa marks its kernels `cache=True` (the beat tracker's `__beat_track_dp` is a cached
`guvectorize`). By default numba writes them next to librosa's sources, shared by every
process of the venv; two processes compiling one cached gufunc at once can leave an index
(`.nbi`) that points at another process's object file (`.nbc`), and every later load of that
kernel calls a null pointer: a segfault in `librosa.beat.beat_track`, in any later process
(numba issue #10128). So:

- `configure()` points NUMBA_CACHE_DIR at a folder of the harness's own cache. numba reads
  the variable once, when it is imported, so `bench/__init__.py` calls this before anything
  can import numba (tests that call `bench.cli.main()` in-process included).
- `compile_kernels()` runs every kernel the built-in features use in a child process, under
  a file lock shared by concurrent runs, before any feature worker starts: the first run
  compiles, later ones only load, and workers find finished kernels. A child that crashes
  means a poisoned cache: it is cleared, the user is told once, and the compile is retried.
  (About 2 s per run, spent while the trial fork server imports Keras.)
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
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
        from bench.cache import default_cache_dir

        os.environ[ENV] = str(default_cache_dir() / "numba")
    return cache_dir()


def _exercise(plugins: tuple[str, ...], names: list[str], profile, progress) -> None:
    """Compute each named feature on one noise window, announcing each on `progress` first.
    The features come from a registry built here: specs need not pickle (a lambda may not)."""
    import numpy as np

    from bench.registry import load_registry

    features = load_registry(plugins).features
    window = (0.1 * np.random.default_rng(0).standard_normal((2, profile.window_samples))).astype(np.float32)
    for name in names:
        progress.send(name)
        try:
            features[name].compute(window, profile)
        except Exception:  # noqa: S112 - a feature may reject noise; only a crash matters here
            continue
    progress.send(None)


def _compile_once(plugins, names, profile) -> tuple[int | None, str | None]:
    """Run `_exercise` in a fresh process: (its exit code, the feature it was computing when
    it failed, or None)."""
    context = multiprocessing.get_context("spawn")  # never inherits a loaded TensorFlow
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_exercise, args=(tuple(plugins), names, profile, send), name="numba-compile")
    child.start()
    send.close()
    current = None
    try:
        while (message := receive.recv()) is not None:
            current = message
    except EOFError:
        pass
    child.join()
    return child.exitcode, (None if child.exitcode == 0 else current)


def compile_kernels(plugins, names: list[str], profile, say=print) -> list[str]:
    """Compute each feature once in a child process, under a lock shared by concurrent runs,
    so numba's kernels are compiled (or loaded) before any feature worker starts. A failure
    clears the numba cache (telling `say` once) and tries again; the features that still fail
    are returned (their clips are then isolated and reported by the feature stage)."""
    folder = cache_dir()
    with lock():
        code, culprit = _compile_once(plugins, names, profile)
        if code == 0:
            return []
        say(
            f"feature {culprit!r} crashed its process ({_reason(code)}) with numba's kernel cache at {folder}: "
            "cleared that cache in case it was poisoned, and compiled again."
        )
        clear(folder)
        failing, remaining = [], list(names)
        while (outcome := _compile_once(plugins, remaining, profile))[0] != 0:
            if outcome[1] is None:
                raise RuntimeError(f"the numba compile process failed with exit code {outcome[0]} ({folder})")
            failing.append(outcome[1])
            remaining.remove(outcome[1])
        return failing


def _reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return signal.Signals(-exitcode).name
    return f"exit code {exitcode}"


def clear(folder: Path) -> None:
    """Remove every compiled kernel but keep the folder (and its lock file)."""
    for entry in folder.iterdir():
        if entry.name == ".compile.lock":
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)

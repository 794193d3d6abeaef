"""Where feature extraction runs: worker processes that a bad clip can only take down alone.

`probe` first runs every feature on one noise window in a fresh child, under the numba cache's
lock: librosa's kernels get compiled once (never by two processes at once), and a feature
whose output breaks its contract (shape, finiteness) is caught once for the whole run rather
than once per clip. `LocalFeaturePool` then runs the `TrackJob`s on `jobs` worker processes
(pebble's pool: a task that crashes its worker, or outlives its timeout, fails alone). Every
feature that raised, crashed or hung on a clip is retried once, alone, in a fresh process;
what fails again is reported against that clip and feature, and the run goes on.
"""

from __future__ import annotations

import ctypes
import faulthandler
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout

import soundfile
from pebble import ProcessExpired, ProcessPool

from bench import numba_cache
from bench.audio import DecoderNotes
from bench.extraction import TrackJob, TrackResult, check_output, extract, features_for, view
from bench.profiles import Profile

OnResult = Callable[[TrackResult], None]
# A clip's whole extraction may take this long before it counts as hung: a fixed allowance
# (imports, a slow disk) plus one second per second of audio, i.e. at least real time, where
# the stage normally runs a few hundred times faster. $AFB_FEATURE_TIMEOUT_S sets the allowance.
TIMEOUT_BASE_S = 120.0
TIMEOUT_PER_AUDIO_S = 1.0


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when the thread that started it goes away, so a
    killed runner leaves no workers behind (no-op elsewhere). Also silence faulthandler's dump:
    the runner reports a worker's crash in one line."""
    faulthandler.disable()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _worker_init() -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle


def timeout_s(path: str) -> float:
    """How long one clip's extraction may run before it counts as hung."""
    try:
        with DecoderNotes().capture():  # a damaged MP3's notes: its worker reports them
            seconds = soundfile.info(path).duration
    except Exception:  # not for libsndfile: guess from the size at 128 kbit/s
        seconds = os.path.getsize(path) / 16000 if os.path.exists(path) else 0.0
    return float(os.environ.get("AFB_FEATURE_TIMEOUT_S", TIMEOUT_BASE_S)) + TIMEOUT_PER_AUDIO_S * seconds


def exit_reason(error: BaseException, timeout: float) -> str:
    """One line for a task that did not come back."""
    if isinstance(error, FutureTimeout):
        return f"hung: no result after {timeout:.0f} s (stopped)"
    if isinstance(error, ProcessExpired):
        return f"crashed its worker process ({_signal_name(error.exitcode)})"
    return f"{type(error).__name__}: {error}"


# ---------------------------------------------------------------------------- probe
def _probe_child(plugins: tuple[str, ...], names: list[str], profile: Profile, report) -> None:
    import numpy as np

    die_with_parent()
    features = features_for(plugins)
    window = (0.1 * np.random.default_rng(0).standard_normal((2, profile.window_samples))).astype(np.float32)
    for name in names:
        report.send(("start", name))
        try:
            array = np.asarray(features[name].compute(window, view(profile, features[name])), np.float32)
            problem = check_output(features[name], array, profile)
        except Exception:  # a feature may reject noise; real clips will tell
            problem = None
        if problem:
            report.send(("broken", name, problem))
    report.send(("done",))


def _probe_once(plugins, names, profile) -> tuple[int | None, str | None, dict[str, str]]:
    """Run `_probe_child`: (its exit code, the feature it was computing if it died, contract problems)."""
    context = multiprocessing.get_context("fork")  # inherits the specs (bench.extraction.inherit)
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_probe_child, args=(tuple(plugins), names, profile, send), name="feature-probe")
    child.start()
    send.close()
    current, broken = None, {}
    try:
        while (message := receive.recv())[0] != "done":
            if message[0] == "start":
                current = message[1]
            else:
                broken[message[1]] = message[2]
    except EOFError:
        pass
    child.join()
    return child.exitcode, (None if child.exitcode == 0 else current), broken


def probe(plugins: Sequence[str], names: list[str], profile: Profile, say=print) -> dict[str, str]:
    """Run each feature once on noise before extraction; returns {feature: why it cannot run}.
    A crash may be a poisoned numba cache: clear it (saying so once) and probe again; a
    feature that still crashes is returned. Call `bench.extraction.inherit` first."""
    with numba_cache.lock():
        code, culprit, broken = _probe_once(plugins, names, profile)
        if code == 0:
            return broken
        folder = numba_cache.cache_dir()
        say(
            f"feature {culprit!r} crashed its process ({_signal_name(code)}) with numba's kernel cache at "
            f"{folder}: cleared that cache in case it was poisoned, and tried again."
        )
        numba_cache.clear(folder)
        remaining, crashed = list(names), {}
        while True:
            code, culprit, broken = _probe_once(plugins, remaining, profile)
            if code == 0:
                return broken | crashed
            if culprit is None:
                raise RuntimeError(f"the feature probe process failed ({_signal_name(code)})")
            crashed[culprit] = f"crashed its process on a noise window ({_signal_name(code)})"
            remaining.remove(culprit)


def _signal_name(code: int | None) -> str:
    return signal.Signals(-code).name if code is not None and code < 0 else f"exit code {code}"


# ---------------------------------------------------------------------------- pool
class FeaturePool:
    """Runs track jobs somewhere, retrying each failed feature once, alone, in a fresh process.
    Subclasses say where (`_run`); this machine's workers by default, Ray's elsewhere."""

    name = "pool"

    def _run(self, jobs: Sequence[TrackJob], fresh: bool, on_done: Callable[[TrackJob, TrackResult | str], None]):
        """Hand each job's TrackResult, or the reason it did not come back, to `on_done`;
        with `fresh`, every job gets a process of its own."""
        raise NotImplementedError

    def run(self, jobs: Sequence[TrackJob], on_result: OnResult) -> None:
        """Extract every job; a feature that failed is retried once, alone, in a fresh process."""
        pending: dict[int, TrackResult] = {}
        retries: list[TrackJob] = []

        def first(job: TrackJob, outcome: TrackResult | str) -> None:
            result = outcome if isinstance(outcome, TrackResult) else TrackResult(job.index)
            failed = list(job.keys) if isinstance(outcome, str) else list(result.failures)
            if not failed:
                on_result(result)
                return
            pending[job.index] = result
            retries.extend(job.only(name) for name in failed)

        def retried(job: TrackJob, outcome: TrackResult | str) -> None:
            result, (name,) = pending[job.index], job.keys
            if isinstance(outcome, str):
                result.failures[name] = outcome
                return
            result.windows = outcome.windows if outcome.windows is not None else result.windows
            result.problems = result.problems or outcome.problems
            result.seconds[name] = outcome.seconds.get(name, 0.0)
            if name in outcome.failures:
                result.failures[name] = outcome.failures[name]
            else:
                result.failures.pop(name, None)

        self._run(jobs, fresh=False, on_done=first)
        self._run(retries, fresh=True, on_done=retried)
        for result in pending.values():
            on_result(result)


class LocalFeaturePool(FeaturePool):
    """Worker processes of this machine, `jobs` at a time, forked from the runner."""

    name = "local"

    def __init__(self, jobs: int = 1):
        self.jobs = max(1, jobs)

    def _run(self, jobs, fresh, on_done):
        if not jobs:
            return
        context = multiprocessing.get_context("fork")  # workers start in milliseconds, specs inherited
        pool = ProcessPool(self.jobs, max_tasks=1 if fresh else 0, initializer=_worker_init, context=context)
        try:
            timeouts = [timeout_s(job.path) for job in jobs]
            futures = [pool.schedule(extract, (job,), timeout=t) for job, t in zip(jobs, timeouts)]
            for job, future, timeout in zip(jobs, futures, timeouts):
                try:
                    on_done(job, future.result())
                except Exception as exc:  # the task's own failure: its clip alone
                    on_done(job, exit_reason(exc, timeout))
        finally:
            pool.stop()
            pool.join()

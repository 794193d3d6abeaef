"""Where feature extraction runs: worker processes that a bad clip can only take down alone.

`probe` first runs every feature on one noise window in a fresh child, under the numba cache's
lock: librosa's kernels get compiled once (never by two processes at once), and a feature
whose output breaks its contract (shape, finiteness) is caught once for the whole run rather
than once per clip. Its verdict is kept beside the kernels, keyed by the features' code and
versions, the libraries and the kernel files themselves, so a run on unchanged kernels skips
the child's few seconds of loading them (a cleared, recompiled or damaged cache probes again).
`LocalFeaturePool` then runs the `TrackJob`s on `jobs` worker processes, longest clip first
(pebble's pool: a task that crashes its worker, or outlives its timeout, fails alone). Every
feature that raised, crashed or hung on a clip is retried once, alone, in a fresh process;
what fails again is reported against that clip and feature, and the run goes on.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import hashlib
import inspect
import json
import multiprocessing
import os
import signal
import sys
import types
from collections.abc import Callable, Sequence
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import soundfile
import threadpoolctl
from pebble import ProcessExpired, ProcessPool

from bench.features import numba_cache
from bench.features.audio import DecoderNotes
from bench.features.cache import digest, library_versions, read_values
from bench.features.extraction import TrackJob, TrackResult, check_output, extract, run_feature
from bench.files import atomic_write_bytes
from bench.interrupts import ctrl_c_deferred, reraise_interruption
from bench.profiles import Profile
from bench.specs import FeatureSpec

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
    with contextlib.suppress(OSError, AttributeError):  # not Linux: no such call
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def one_blas_thread() -> None:
    """Limit BLAS to one thread in this worker, for every feature, built-in or not: the stage
    already runs one worker per core, and BLAS threads on top oversubscribe the cores and spin
    waiting on each other. The variables cover libraries loaded later, threadpoolctl the loaded ones."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    threadpoolctl.threadpool_limits(limits=1, user_api="blas")


# The specs this worker computes, handed to its initializer by the pool that forked it (forked,
# not pickled: a spec's callables may be lambdas). Empty in every process but a pool's workers.
_worker_features: dict[str, FeatureSpec] = {}


def _worker_init(features: dict[str, FeatureSpec]) -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    one_blas_thread()
    _worker_features.update(features)


def _extract_in_worker(job: TrackJob) -> TrackResult:
    return extract(job, _worker_features)


def audio_seconds(path: str) -> float:
    """The clip's duration from its header (a guess from its size where libsndfile cannot read it)."""
    try:
        with DecoderNotes().capture():  # a damaged MP3's notes: its worker reports them
            return float(soundfile.info(path).duration)
    except Exception as exc:  # not for libsndfile: guess from the size at 128 kbit/s
        reraise_interruption(exc)
        return os.path.getsize(path) / 16000 if os.path.exists(path) else 0.0


def timeout_s(path: str) -> float:
    """How long one clip's extraction may run before it counts as hung."""
    return float(os.environ.get("AFB_FEATURE_TIMEOUT_S", TIMEOUT_BASE_S)) + TIMEOUT_PER_AUDIO_S * audio_seconds(path)


def longest_first(jobs: Sequence[TrackJob]) -> list[TrackJob]:
    """The jobs, longest clip first: the workers then end together instead of one finishing a
    long recording alone at the end (docs/performance.md, the feature stage's timeline)."""
    return sorted(jobs, key=lambda job: audio_seconds(job.path), reverse=True)


def exit_reason(error: BaseException, timeout: float) -> str:
    """One line for a task that did not come back."""
    if isinstance(error, FutureTimeout):
        return f"hung: no result after {timeout:.0f} s (stopped)"
    if isinstance(error, ProcessExpired):
        return f"crashed its worker process ({_signal_name(error.exitcode)})"
    return f"{type(error).__name__}: {error}"


# ---------------------------------------------------------------------------- probe
def run_on_noise(features: dict, names: Sequence[str], profile: Profile, starting=lambda name: None) -> dict[str, str]:
    """Compute each named feature once on a window of noise (which also compiles its kernels):
    {feature: why its output breaks its declared contract}. A feature that raises gets no
    verdict: it may reject noise, and real clips will tell."""
    import numpy as np

    window = (0.1 * np.random.default_rng(0).standard_normal((2, profile.window_samples))).astype(np.float32)
    broken = {}
    for name in names:
        starting(name)
        try:
            array = np.asarray(run_feature(features[name], window, profile), np.float32)
            problem = check_output(features[name], array, profile)
        except Exception as exc:  # see the docstring  # nosec B112
            reraise_interruption(exc)
            continue
        if problem:
            broken[name] = problem
    return broken


def _probe_child(features: dict[str, FeatureSpec], names: list[str], profile: Profile, report) -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    broken = run_on_noise(features, names, profile, lambda name: report.send(("start", name)))
    for name, problem in broken.items():
        report.send(("broken", name, problem))
    report.send(("done",))


class _ProbeChild:
    """`_probe_child` in a forked process: started at once, its report read by `wait`."""

    def __init__(self, features, names, profile):
        context = multiprocessing.get_context("fork")  # the child gets the specs as they are, unpickled
        self.receive, send = context.Pipe(duplex=False)
        self.child = context.Process(target=_probe_child, args=(features, names, profile, send), name="feature-probe")
        try:
            with ctrl_c_deferred():
                self.child.start()
        except BaseException:  # Ctrl-C during the fork: the probe stops with the run
            if self.child.pid is not None:
                self.kill()
            raise
        send.close()

    def wait(self) -> tuple[int | None, str | None, dict[str, str]]:
        """(its exit code, the feature it was computing if it died, contract problems)."""
        current, broken = None, {}
        try:
            while (message := self.receive.recv())[0] != "done":
                if message[0] == "start":
                    current = message[1]
                else:
                    broken[message[1]] = message[2]
        except EOFError:
            pass  # the probe closed its end: every feature has reported
        except BaseException:  # Ctrl-C or SIGTERM: the probe (which ignores Ctrl-C) stops with the run
            self.kill()
            raise
        finally:
            self.child.join()
        return self.child.exitcode, (None if self.child.exitcode == 0 else current), broken

    def kill(self) -> None:
        self.child.kill()
        self.child.join()


def _probe_once(features, names, profile) -> tuple[int | None, str | None, dict[str, str]]:
    """Run `_probe_child` to its end."""
    return _ProbeChild(features, names, profile).wait()


def _code_hash(code: types.CodeType) -> str:
    """Bytecode and constants, nested code (comprehensions, lambdas) by its own hash, not its address."""
    consts = [_code_hash(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts]
    return hashlib.sha256(code.co_code + repr(consts).encode()).hexdigest()


def _function_hash(function, depth: int = 0) -> str:
    """A function's code and what its closure holds (functions there by their own hash), through
    decorators that keep `__wrapped__`. Without bytecode, its repr: rarely stable, never remembered."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None or depth > 4:
        return repr(function)
    cells = [cell.cell_contents for cell in getattr(function, "__closure__", None) or ()]
    held = [_function_hash(c, depth + 1) if callable(c) else repr(c) for c in cells]
    return hashlib.sha256((_code_hash(code) + repr(held)).encode()).hexdigest()


def _code_identity(feature: FeatureSpec) -> dict:
    """Which code a feature runs: its function's name and hash (the same in every process)."""
    function = inspect.unwrap(feature.compute)
    name = f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', '')}"
    return {"function": name, "code": _function_hash(function)}


def _verdict_path(specs: dict[str, FeatureSpec], names: list[str], profile: Profile) -> Path:
    """Where a passed probe of these features, on the numba cache as it is now, keeps its verdict."""
    folder = numba_cache.cache_dir()
    kernels = sorted(
        (str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns)
        for path in folder.rglob("*")
        if not path.relative_to(folder).parts[0].startswith(".") and path.is_file() and (stat := path.stat())
    )
    features = [
        {
            "name": name,
            "version": specs[name].version,
            **_code_identity(specs[name]),
            "profile": read_values(specs[name], profile),
        }
        for name in sorted(names)
    ]
    token = digest({"features": features, "libraries": library_versions(), "python": sys.version, "kernels": kernels})
    return folder / ".probed" / f"{token}.json"


def _remembered(path: Path) -> dict[str, str] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class Probe:
    """Every feature run once on noise before extraction (see the module's docstring), started
    at once and its verdict taken later: the runner starts it before the source loads, so a cold
    numba cache's compiling runs beside a source that renders or scans its audio. Holds the numba
    cache's lock from start to verdict; `cancel` stops it on the way out of a failed run."""

    def __init__(self, features: Sequence[FeatureSpec], profile: Profile, remember: bool = True):
        self.specs, self.names, self.profile = {f.name: f for f in features}, [f.name for f in features], profile
        self.lock = numba_cache.lock()
        self.lock.acquire()
        try:
            self.verdict_path = _verdict_path(self.specs, self.names, profile)
            self.remembered = _remembered(self.verdict_path) if remember else None
            self.child = _ProbeChild(self.specs, self.names, profile) if self.remembered is None else None
        except BaseException:
            self.lock.release()
            raise

    def verdict(self, say=print) -> dict[str, str]:
        """{feature: why it cannot run}. A crash may be a poisoned numba cache: clear it (saying
        so once) and probe again; a feature that still crashes is returned."""
        try:
            return self._verdict(say)
        finally:
            self.child = None
            self.lock.release()

    def again_if_kernels_ran(self, before: set[str], say=print) -> Probe:
        """This probe, or (once its child is done) a new one that ignores remembered verdicts if
        this process loaded librosa's or numba's modules since `before` (its `sys.modules`): a
        source that compiled kernels beside the child may have poisoned them, and a fresh child
        that loads them finds out."""
        if not any(name.split(".")[0] in ("librosa", "numba") for name in set(sys.modules) - before):
            return self
        self.verdict(say)
        return Probe(list(self.specs.values()), self.profile, remember=False)

    def cancel(self) -> None:
        """Stop a probe whose verdict will not be asked for (a no-op once it was given)."""
        if self.lock.is_locked:
            if self.child is not None:
                self.child.kill()
                self.child = None
            self.lock.release()

    def _verdict(self, say) -> dict[str, str]:
        if self.child is None:
            return self.remembered or {}
        code, culprit, broken = self.child.wait()
        if code == 0:
            atomic_write_bytes(self.verdict_path, json.dumps(broken).encode())
            return broken
        folder = numba_cache.cache_dir()
        say(
            f"feature {culprit!r} crashed its process ({_signal_name(code)}) with numba's kernel cache at "
            f"{folder}: cleared that cache in case it was poisoned, and tried again."
        )
        numba_cache.clear(folder)
        remaining, crashed = list(self.names), dict[str, str]()
        while True:
            code, culprit, broken = _probe_once(self.specs, remaining, self.profile)
            if code == 0:
                return broken | crashed
            if culprit is None:
                raise RuntimeError(f"the feature probe process failed ({_signal_name(code)})")
            crashed[culprit] = f"crashed its process on a noise window ({_signal_name(code)})"
            remaining.remove(culprit)


def probe(features: Sequence[FeatureSpec], profile: Profile, say=print) -> dict[str, str]:
    """`Probe`'s verdict, started and taken at once: {feature: why it cannot run}."""
    return Probe(features, profile).verdict(say)


def _signal_name(code: int | None) -> str:
    return signal.Signals(-code).name if code is not None and code < 0 else f"exit code {code}"


# ---------------------------------------------------------------------------- pool
class FeaturePool:
    """Runs track jobs somewhere, retrying each failed feature once, alone, in a fresh process.
    Subclasses say where (`_run`); this machine's workers by default, Ray's elsewhere."""

    name = "pool"

    def _run(
        self,
        jobs: Sequence[TrackJob],
        features: dict[str, FeatureSpec],
        fresh: bool,
        on_done: Callable[[TrackJob, TrackResult | str], None],
    ):
        """Hand each job's TrackResult, or the reason it did not come back, to `on_done`;
        with `fresh`, every job gets a process of its own."""
        raise NotImplementedError

    def run(self, jobs: Sequence[TrackJob], features: Sequence[FeatureSpec], on_result: OnResult) -> None:
        """Extract every job (`features`: the specs its keys name); a feature that failed is
        retried once, alone, in a fresh process."""
        specs = {f.name: f for f in features}
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
            result.transient.discard(name)
            if isinstance(outcome, str):
                result.failures[name] = outcome
                result.transient.add(name)  # the process did not come back: not the clip's fault alone
                return
            result.windows = outcome.windows if outcome.windows is not None else result.windows
            result.problems = result.problems or outcome.problems
            result.seconds[name] = outcome.seconds.get(name, 0.0)
            if name in outcome.failures:
                result.failures[name] = outcome.failures[name]
                result.transient |= outcome.transient & {name}
            else:
                result.failures.pop(name, None)

        self._run(longest_first(jobs), specs, fresh=False, on_done=first)
        self._run(retries, specs, fresh=True, on_done=retried)
        for result in pending.values():
            on_result(result)


class LocalFeaturePool(FeaturePool):
    """Worker processes of this machine, `jobs` at a time, forked from the runner."""

    name = "local"

    def __init__(self, jobs: int = 1):
        self.jobs = max(1, jobs)

    def _run(self, jobs, features, fresh, on_done):
        if not jobs:
            return
        context = multiprocessing.get_context("fork")  # workers start in milliseconds, specs handed over unpickled
        pool = ProcessPool(
            self.jobs, max_tasks=1 if fresh else 0, initializer=_worker_init, initargs=(features,), context=context
        )
        try:
            timeouts = [timeout_s(job.path) for job in jobs]
            with ctrl_c_deferred():  # the first task forks the workers
                futures = [pool.schedule(_extract_in_worker, (job,), timeout=t) for job, t in zip(jobs, timeouts)]
            for job, future, timeout in zip(jobs, futures, timeouts):
                try:
                    on_done(job, future.result())
                except Exception as exc:  # the task's own failure: its clip alone
                    reraise_interruption(exc)
                    on_done(job, exit_reason(exc, timeout))
        finally:
            pool.stop()
            pool.join()

"""Where trials run: in long-lived worker processes (the default), inline, or on Ray.

The process executor keeps one worker process per `--jobs` slot. Each is forked from a fork
server that imported keras once, and runs trial after trial, clearing the backend's session
between them, so a trial pays neither the framework's import nor a process start. Isolation
stays per trial: a worker that crashes (or is killed by the out-of-memory killer) or outlives
the trial's time limit fails that trial alone, with the reason, and a fresh worker takes its
place; a worker is also replaced after `AFB_WORKER_TRIALS` trials, or once its memory between
trials has grown by `AFB_WORKER_GROWTH_MB` over its first trial's. Each trial's peak memory is
its own (bench.trial.measure.reset_peak_rss). Workers die with the runner: each watches its
task pipe from a thread, and a runner that goes away (even by SIGKILL) closes it.
"""

from __future__ import annotations

import functools
import multiprocessing
import multiprocessing.forkserver as forkserver
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing import resource_tracker
from multiprocessing.connection import wait

from bench.features.pool import LocalFeaturePool, die_with_parent
from bench.frameworks import listen_to_epochs
from bench.interrupts import ctrl_c_blocked
from bench.results.records import TrialRecord
from bench.results.store import RunStore
from bench.trial.execute import TrialSpec, execute, failed_record

OnRecord = Callable[[TrialRecord], None]
OnEpoch = Callable[[TrialSpec, int, int], None]  # (trial, epochs done, epochs at most): progress within a trial
PRELOAD = ["bench.pipeline.forkserver_init"]  # keras, once; and the server dies with the runner
WORKER_TRIALS_ENV = "AFB_WORKER_TRIALS"  # trials per worker before it is replaced (1: a process per trial)
WORKER_GROWTH_ENV = "AFB_WORKER_GROWTH_MB"  # memory growth between trials that retires a worker
DEFAULT_WORKER_TRIALS = 100
DEFAULT_WORKER_GROWTH_MB = 512.0
STOP_GRACE_S = 5.0


def _watch_runner(tasks, inbox: queue.Queue) -> None:
    """Hand the runner's tasks to the worker's main thread; end the process when the runner is gone."""
    while True:
        try:
            spec = tasks.recv()
        except (EOFError, OSError):
            os._exit(0)  # the runner closed the pipe or died: mid-trial or not, this worker ends
        inbox.put(spec)
        if spec is None:
            return


def _worker(tasks, results, threads: int) -> None:
    """A worker's life: set the process up once, then run each spec it is sent until None."""
    from bench.trial.backend import clear_session, limit_threads
    from bench.trial.measure import reset_peak_rss, rss_mb

    die_with_parent()  # the fork server goes with the runner's session; so does this worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    limit_threads(threads)
    inbox: queue.Queue = queue.Queue()
    threading.Thread(target=_watch_runner, args=(tasks, inbox), daemon=True).start()
    listen_to_epochs(lambda done, total: results.send((EPOCH, (done, total))))
    trials = 0
    while (spec := inbox.get()) is not None:
        trials += 1
        start_rss = reset_peak_rss()
        record = execute(spec, write=False)
        record.extra["worker"] = {"pid": os.getpid(), "trial": trials, "start_rss_mb": round(start_rss, 1)}
        RunStore(spec.run_dir).write_record(record)
        clear_session()
        results.send((RECORD, (record, rss_mb())))


EPOCH, RECORD = "epoch", "record"  # what a worker sends back: an epoch's progress, or the finished record


def exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = " (killed: often the out-of-memory killer)" if name == "SIGKILL" else ""
        return f"trial's worker process died from {name}{hint}"
    return f"trial's worker process exited with code {exitcode} before writing its record"


class InlineExecutor:
    """Runs trials one after another in this process (for debugging; no isolation)."""

    name = "inline"

    def warm_up(self) -> None:
        pass

    def feature_pool(self) -> LocalFeaturePool:
        return LocalFeaturePool(1)

    def run(self, specs: Sequence[TrialSpec], on_record: OnRecord, on_epoch: OnEpoch | None = None) -> None:
        try:
            for spec in specs:
                listen_to_epochs(functools.partial(on_epoch, spec) if on_epoch else None)
                on_record(execute(spec))
        finally:
            listen_to_epochs(None)


def _env_number(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


class TrialWorker:
    """One worker process and the trial it is running, seen from the runner."""

    def __init__(self, context, threads: int, deterministic: bool):
        self.key = (threads, deterministic)  # both are process-wide once the backend has run
        tasks_end, self.tasks = context.Pipe(duplex=False)
        self.results, results_end = context.Pipe(duplex=False)
        self.process = context.Process(target=_worker, args=(tasks_end, results_end, threads), daemon=True)
        self.process.start()
        tasks_end.close()
        results_end.close()
        self.spec: TrialSpec | None = None
        self.deadline = float("inf")
        self.trials, self.rss = 0, 0.0
        self.first_rss: float | None = None

    def submit(self, spec: TrialSpec, timeout_s: float | None) -> None:
        self.spec, self.trials = spec, self.trials + 1
        self.deadline = time.monotonic() + timeout_s if timeout_s else float("inf")
        self.tasks.send(spec)

    def receive(self) -> tuple[int, int] | TrialRecord:
        """What the worker sent: (epochs done, epochs at most) of its trial, or the trial's
        record (the worker is then idle again)."""
        kind, message = self.results.recv()
        if kind == EPOCH:
            return message
        record, self.rss = message
        self.first_rss = self.rss if self.first_rss is None else self.first_rss
        self.spec, self.deadline = None, float("inf")
        return record

    def worn(self, max_trials: int, growth_mb: float) -> bool:
        """Whether it has run its share of trials or grown too much to be kept."""
        return self.trials >= max_trials or self.rss - (self.first_rss or self.rss) > growth_mb

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self.tasks.close()
        self.results.close()

    def stop(self) -> None:
        """Ask an idle worker to end, killing it if it does not within a few seconds."""
        try:
            self.tasks.send(None)
        except OSError:
            pass
        self.process.join(STOP_GRACE_S)
        self.kill()


class ProcessExecutor:
    """Runs trials on `jobs` long-lived worker processes, replacing any that crash or hang."""

    name = "process"

    def __init__(self, jobs: int = 1, trial_timeout_s: float | None = None):
        self.jobs = max(1, jobs)
        self.trial_timeout_s = trial_timeout_s
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(PRELOAD)
        self._warming: threading.Thread | None = None
        self.max_trials = max(1, int(_env_number(WORKER_TRIALS_ENV, DEFAULT_WORKER_TRIALS)))
        self.growth_mb = _env_number(WORKER_GROWTH_ENV, DEFAULT_WORKER_GROWTH_MB)

    def warm_up(self) -> None:
        """Start the fork server (and its keras import) in the background, so it overlaps
        with feature extraction instead of delaying the first trial."""

        def start_server():
            probe = self.context.Process(target=int)
            probe.start()
            probe.join()

        # From this thread: the server's death signal follows the thread that started it; and it
        # inherits a blocked Ctrl-C from its first instruction. The resource tracker first: starting
        # it, the standard library unblocks SIGINT.
        resource_tracker.ensure_running()
        with ctrl_c_blocked():
            forkserver.ensure_running()
        self._warming = threading.Thread(target=start_server, daemon=True)
        self._warming.start()

    def feature_pool(self) -> LocalFeaturePool:
        """Features are extracted by as many local workers as trials run at once."""
        return LocalFeaturePool(self.jobs)

    def run(self, specs: Sequence[TrialSpec], on_record: OnRecord, on_epoch: OnEpoch | None = None) -> None:
        if self._warming is not None:
            self._warming.join()
        pending = deque(specs)
        idle: list[TrialWorker] = []
        busy: list[TrialWorker] = []
        try:
            while pending or busy:
                while pending and len(busy) < self.jobs:
                    worker = self._worker_for(pending[0], idle)
                    worker.submit(pending.popleft(), self.trial_timeout_s)
                    busy.append(worker)
                for worker in self._ready(busy):
                    spec = worker.spec
                    got = self._collect(worker, idle)
                    if isinstance(got, TrialRecord):
                        busy.remove(worker)
                        on_record(got)
                    elif on_epoch is not None and spec is not None:
                        on_epoch(spec, *got)
        finally:
            for worker in busy:
                worker.kill()
            for worker in idle:
                worker.stop()

    def _worker_for(self, spec: TrialSpec, idle: list[TrialWorker]) -> TrialWorker:
        """An idle worker set up as `spec` needs, else a new one (an idle one that differs retires)."""
        key = (spec.threads, spec.deterministic)
        for worker in list(idle):
            if not worker.process.is_alive():  # died between trials
                idle.remove(worker)
                worker.kill()
            elif worker.key == key:
                idle.remove(worker)
                return worker
        if idle and len(idle) + 1 > self.jobs:
            idle.pop(0).stop()
        return TrialWorker(self.context, *key)

    @staticmethod
    def _ready(busy: list[TrialWorker]) -> list[TrialWorker]:
        """The busy workers that answered, died or ran out of time, waiting until one has."""
        soonest = min(w.deadline for w in busy)
        timeout = None if soonest == float("inf") else max(0.0, soonest - time.monotonic())
        handles = {h: w for w in busy for h in (w.results, w.process.sentinel)}
        ready = {handles[h] for h in wait(list(handles), timeout)}
        now = time.monotonic()
        return [w for w in busy if w in ready or w.deadline <= now]

    def _collect(self, worker: TrialWorker, idle: list[TrialWorker]) -> tuple[int, int] | TrialRecord:
        """An epoch's progress of the worker's trial, or the trial's record: its own, or a
        failed one if it died or ran out of time (that worker is then killed). A worker that is
        still fit after its record goes back to `idle`."""
        spec = worker.spec
        if spec is None:
            raise RuntimeError("an idle worker was collected: it runs no trial")
        if worker.results.poll():
            try:
                record = worker.receive()
            except (EOFError, OSError):
                pass  # it died while sending: recorded as failed below
            else:
                if not isinstance(record, TrialRecord):
                    return record
                if worker.worn(self.max_trials, self.growth_mb):
                    worker.stop()
                else:
                    idle.append(worker)
                return record
        timed_out = worker.deadline <= time.monotonic() and worker.process.is_alive()
        worker.kill()
        if timed_out:
            error = f"timed out after {self.trial_timeout_s:g} s (--trial-timeout)"
        else:
            error = exit_reason(worker.process.exitcode)
        record = failed_record(spec, error)
        RunStore(spec.run_dir).write_record(record)
        return record


def make_executor(
    name: str, jobs: int, address: str | None = None, plugins: Sequence[str] = (), trial_timeout_s: float | None = None
):
    """The executor called `name` ("process", "inline" or "ray"); Ray ships the `--plugin` files.
    `trial_timeout_s` (None: no limit) bounds each trial's wall-clock time where trials run apart."""
    if name == "process":
        return ProcessExecutor(jobs, trial_timeout_s)
    if name == "inline":
        return InlineExecutor()
    if name == "ray":
        from bench.pipeline.ray_executor import RayExecutor

        return RayExecutor(jobs, address, plugins)
    raise ValueError(f"executor must be 'process', 'inline' or 'ray'. Received: {name!r}")

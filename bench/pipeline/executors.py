"""Where trials run: in their own processes (the default), inline, or on Ray.

The process executor forks every trial from a fork server that imported keras once, so a
trial starts in milliseconds yet has a process of its own: its framework memory is freed when
it ends, its peak memory is its own, and a crash or an out-of-memory kill fails that trial
alone (recorded with the reason) while the others go on.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections import deque
from collections.abc import Callable, Sequence
from multiprocessing.connection import wait

from bench.features.pool import LocalFeaturePool, die_with_parent
from bench.results.store import RunStore
from bench.trial.execute import TrialSpec, execute, failed_record

OnRecord = Callable[[dict], None]
PRELOAD = ["bench.trial.quiet"]  # imports keras and the backend once, in the fork server


def _child(spec: TrialSpec) -> None:
    from bench.trial.backend import limit_threads

    die_with_parent()  # the fork server exits with the runner; its trials go with it
    limit_threads(spec.threads)
    execute(spec)


def exit_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        hint = " (killed: often the out-of-memory killer)" if name == "SIGKILL" else ""
        return f"trial process died from {name}{hint}"
    return f"trial process exited with code {exitcode} before writing its record"


class InlineExecutor:
    """Runs trials one after another in this process (for debugging; no isolation)."""

    name = "inline"

    def warm_up(self) -> None:
        pass

    def feature_pool(self) -> LocalFeaturePool:
        return LocalFeaturePool(1)

    def run(self, specs: Sequence[TrialSpec], on_record: OnRecord) -> None:
        for spec in specs:
            on_record(execute(spec))


class ProcessExecutor:
    """Runs each trial in its own forked process, `jobs` at a time."""

    name = "process"

    def __init__(self, jobs: int = 1):
        self.jobs = max(1, jobs)
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(PRELOAD)
        self._warming: threading.Thread | None = None

    def warm_up(self) -> None:
        """Start the fork server (and its keras import) in the background, so it overlaps
        with feature extraction instead of delaying the first trial."""

        def start_server():
            probe = self.context.Process(target=int)
            probe.start()
            probe.join()

        self._warming = threading.Thread(target=start_server, daemon=True)
        self._warming.start()

    def feature_pool(self) -> LocalFeaturePool:
        """Features are extracted by as many local workers as trials run at once."""
        return LocalFeaturePool(self.jobs)

    def run(self, specs: Sequence[TrialSpec], on_record: OnRecord) -> None:
        if self._warming is not None:
            self._warming.join()
        pending, running = deque(specs), {}
        try:
            while pending or running:
                while pending and len(running) < self.jobs:
                    spec = pending.popleft()
                    process = self.context.Process(target=_child, args=(spec,), name=spec.id, daemon=True)
                    process.start()
                    running[process.sentinel] = (process, spec)
                for sentinel in wait(list(running)):
                    process, spec = running.pop(sentinel)
                    process.join()
                    on_record(self._record_of(process, spec))
        finally:
            for process, _ in running.values():
                process.kill()
                process.join()

    @staticmethod
    def _record_of(process, spec: TrialSpec) -> dict:
        store = RunStore(spec.run_dir)
        record = store.read_record(spec.id) if process.exitcode == 0 else None
        if record is None:
            record = failed_record(spec, exit_reason(process.exitcode))
            store.write_record(record)
        return record


def make_executor(name: str, jobs: int, address: str | None = None, plugins: Sequence[str] = ()):
    """The executor called `name` ("process", "inline" or "ray"); Ray ships the `--plugin` files."""
    if name == "process":
        return ProcessExecutor(jobs)
    if name == "inline":
        return InlineExecutor()
    if name == "ray":
        from bench.pipeline.ray_executor import RayExecutor

        return RayExecutor(jobs, address, plugins)
    raise ValueError(f"executor must be 'process', 'inline' or 'ray'. Received: {name!r}")

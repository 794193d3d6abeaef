"""Runs trials as Ray tasks, for users who outgrow one machine (`pip install "audio-feature-bench[ray]"`).

Each trial is one task asking for its CPU threads (and a GPU when the cluster has one). The task
returns its record and the driver writes it, so every record lands in the local results folder;
the feature files must be readable by the workers (one machine, or a shared filesystem).
A task whose worker dies is recorded as failed, like a crashed process locally.
"""

from __future__ import annotations

from collections.abc import Sequence

import ray

from bench.results import RunStore
from bench.trial import TrialSpec, execute, failed_record


def _run_remote(spec: TrialSpec) -> dict:
    from bench.training import limit_threads

    limit_threads(spec.threads)
    return execute(spec, write=False)


class RayExecutor:
    """Submits every trial to Ray, at most `jobs` in flight on a local instance."""

    name = "ray"

    def __init__(self, jobs: int = 1, address: str | None = None):
        self.jobs, self.address = max(1, jobs), address

    def warm_up(self) -> None:
        if not ray.is_initialized():
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                ray.init(num_cpus=self.jobs, include_dashboard=False, log_to_driver=False)

    def run(self, specs: Sequence[TrialSpec], on_record) -> None:
        self.warm_up()
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        task = ray.remote(max_retries=0)(_run_remote)
        pending = {task.options(num_cpus=s.threads, num_gpus=gpus).remote(s): s for s in specs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            spec = pending.pop(done[0])
            try:
                record = ray.get(done[0])
            except ray.exceptions.RayError as exc:  # the worker died (crash, out of memory)
                record = failed_record(spec, f"Ray task failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            RunStore(spec.run_dir).write_record(record)
            on_record(record)

"""Runs the feature stage and the trials as Ray tasks, for users who outgrow one machine
(`pip install "audio-feature-bench[ray]"`).

Features: the head plans the cache keys (they hold each file's identity) and ships them in
one task per track asking for one CPU; the task writes into the cache with the same keys,
checksums and atomic writes as a local worker. The cache must be one folder that every node
sees at the same path (a shared filesystem); an entry a worker wrote where the head cannot
see it stops the run with that explanation rather than being recomputed. A task that crashes
or hangs is retried once, alone, in a fresh worker (`max_calls=1`), as locally.

Trials: one task per trial asking for its CPU threads, and one GPU each when the cluster has
GPUs (feature tasks never ask for one).
The driver ships the run's dataset.json and run.json with every task, so the results folder
need not be shared; the task returns its record and the driver writes it. (`--save-models`
writes models on the worker: share the results folder for those.) A task whose worker dies is
recorded as failed, like a crashed process locally. `--plugin` files and local modules travel
to the workers in the job's runtime_env (`plugin_runtime_env`).
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import ray

from bench.features.extraction import TrackJob, extract, registry_features
from bench.features.pool import FeaturePool, timeout_s
from bench.registry import SHIPPED_PLUGINS_ENV, local_plugin_path
from bench.results.store import RunStore
from bench.trial.execute import TrialSpec, execute, failed_record

SHIPPED = ("run.json", "dataset.json")  # what a trial reads from its run folder
FEATURE_TASK = {"num_cpus": 1, "num_gpus": 0}  # features stay on CPUs, off the GPUs' critical path


def _run_remote(spec: TrialSpec, shipped: dict[str, bytes]) -> dict:
    from bench.trial.backend import limit_threads

    limit_threads(spec.threads)
    if not (Path(spec.run_dir) / "dataset.json").exists():  # the results folder is not shared: use the copy
        folder = Path(tempfile.mkdtemp(prefix="afb-run-"))
        for name, data in shipped.items():
            (folder / name).write_bytes(data)
        spec = dataclasses.replace(spec, run_dir=str(folder))
    return execute(spec, write=False)


@cache
def _warmed(job_features: tuple[str, ...], plugins: tuple[str, ...], profile) -> bool:
    """Compute each feature once on noise under the numba cache's lock, once per worker, so
    workers sharing a cache never compile one kernel at once (see bench.features.numba_cache)."""
    from bench.features import numba_cache
    from bench.features.pool import run_on_noise

    with numba_cache.lock():
        run_on_noise(registry_features(plugins), job_features, profile)
    return True


def _extract_remote(job: TrackJob):
    from bench.features.pool import one_blas_thread

    one_blas_thread()
    _warmed(tuple(sorted(job.keys)), job.plugins, job.profile)
    return extract(job, registry_features(job.plugins))


class RayFeaturePool(FeaturePool):
    """Track jobs as Ray tasks of one CPU each; a retry gets a fresh worker process. A task
    computes its own registry's specs of the job's plugins (a spec need not pickle)."""

    name = "ray"

    def _run(self, jobs, features, fresh, on_done):
        if not jobs:
            return
        task = ray.remote(**FEATURE_TASK, max_retries=0, max_calls=1 if fresh else 0)(_extract_remote)
        pending = {}
        for job in jobs:
            timeout = timeout_s(job.path)
            pending[task.remote(job)] = (job, time.monotonic() + timeout, timeout)
        while pending:
            soonest = min(deadline for _, deadline, _ in pending.values())
            done, _ = ray.wait(list(pending), num_returns=1, timeout=max(0.0, soonest - time.monotonic()))
            for ref in done:
                job, _, _ = pending.pop(ref)
                try:
                    on_done(job, ray.get(ref))
                except ray.exceptions.RayError as exc:  # the worker died
                    on_done(job, f"crashed its Ray worker ({type(exc).__name__})")
            for ref, (job, deadline, timeout) in list(pending.items()):
                if time.monotonic() > deadline:
                    ray.cancel(ref, force=True)
                    pending.pop(ref)
                    on_done(job, f"hung: no result after {timeout:.0f} s (stopped)")


def _largest_node_cpus() -> int:
    """The most CPUs one live node offers: a trial planned for the driver's core count must
    still fit on some node, or Ray would hold it pending forever."""
    return max(1, int(max((n["Resources"].get("CPU", 0) for n in ray.nodes() if n["Alive"]), default=1)))


def plugin_runtime_env(plugins: Sequence[str]) -> dict:
    """Ray's runtime_env that ships the `--plugin` files and local modules to every worker (it
    uploads them once per job), and names them so a worker where the path does not exist
    imports the shipped copy (bench.registry). An installed module must be installed on every
    node instead."""
    shipped = {plugin: path for plugin in plugins if (path := local_plugin_path(plugin)) is not None}
    if not shipped:
        return {}
    return {
        "py_modules": sorted(str(path.resolve()) for path in shipped.values()),
        "env_vars": {SHIPPED_PLUGINS_ENV: ",".join(sorted(shipped))},
    }


def trial_resources(threads: int) -> dict:
    """What one trial's task asks Ray for: its CPU threads, at most the largest live node's,
    and one whole GPU when the cluster has any (one trial per GPU; Ray queues the rest)."""
    gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
    return {"num_cpus": min(threads, _largest_node_cpus()), "num_gpus": gpus}


class RayExecutor:
    """Submits every trial to Ray, at most `jobs` in flight on a local instance."""

    name = "ray"

    def __init__(self, jobs: int = 1, address: str | None = None, plugins: Sequence[str] = ()):
        self.jobs, self.address, self.plugins = max(1, jobs), address, tuple(plugins)

    def warm_up(self) -> None:
        if not ray.is_initialized():
            quiet = {"log_to_driver": False, "logging_level": logging.ERROR}  # a clean terminal
            quiet["runtime_env"] = plugin_runtime_env(self.plugins)
            if self.address:
                ray.init(address=self.address, **quiet)
            else:
                ray.init(num_cpus=self.jobs, include_dashboard=False, **quiet)

    def feature_pool(self) -> RayFeaturePool:
        self.warm_up()
        return RayFeaturePool()

    def run(self, specs: Sequence[TrialSpec], on_record, on_epoch=None) -> None:
        """Every spec as a Ray task, `on_record` as each finishes (Ray tasks report no epochs:
        `on_epoch` is not called)."""
        self.warm_up()
        task = ray.remote(max_retries=0)(_run_remote)
        shipped = {}
        if specs:
            shipped = ray.put({name: (Path(specs[0].run_dir) / name).read_bytes() for name in SHIPPED})
        resources = {threads: trial_resources(threads) for threads in {s.threads for s in specs}}
        pending = {task.options(**resources[s.threads]).remote(s, shipped): s for s in specs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            spec = pending.pop(done[0])
            try:
                record = ray.get(done[0])
            except ray.exceptions.RayError as exc:  # the worker died (crash, out of memory)
                record = failed_record(spec, f"Ray task failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            RunStore(spec.run_dir).write_record(record)
            on_record(record)

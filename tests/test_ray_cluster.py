"""`bench run --executor ray` on a two-node Ray cluster on this machine (loopback): the features
its workers compute are byte-identical to the process executor's, its records score the same,
and losing a worker node mid-run loses no finished trial and corrupts no cache entry."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from rich.console import Console

from bench.cli.app import main
from bench.features.cache import FeatureCache
from bench.results.store import find_run

pytestmark = pytest.mark.e2e  # installs packages, other backends, a cluster or paper-size models

ray = pytest.importorskip("ray")
ARGS = ["run", "--model", "mean", "--model", "dsp-ridge", "--split", "song", "--songs", "8", "--seconds", "12"]


@pytest.fixture
def cluster(monkeypatch):
    """A head and one worker node of one CPU each, bound to loopback; the driver connects by address."""
    from ray.cluster_utils import Cluster

    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))
    ray.shutdown()  # another test may have started a local instance in this process
    loopback = {"num_cpus": 1, "include_dashboard": False}
    cluster = Cluster(initialize_head=True, head_node_args=loopback)
    worker = cluster.add_node(**loopback)
    cluster.wait_for_nodes()
    yield cluster, worker
    ray.shutdown()
    cluster.shutdown()


def _entries(cache_root) -> dict[str, bytes]:
    """Every feature cache entry, by its path under the cache."""
    return {str(p.relative_to(cache_root)): p.read_bytes() for p in sorted((cache_root / "features").rglob("*.afb"))}


def _scores(store) -> dict:
    return {r.id: (r.status, r.metrics["song"], r.songs.pred) for r in store.trials()}


def test_a_two_node_cluster_computes_identical_features_and_records(cluster, isolated):
    head, _ = cluster
    cache = isolated / "cache"
    assert main([*ARGS, "--seeds", "1", "--executor", "process", "--jobs", "2"]) == 0
    local_entries = _entries(cache)
    shutil.rmtree(cache / "features")  # same keys (same audio files), computed again by Ray tasks
    shutil.rmtree(cache / "tracks")
    assert main([*ARGS, "--seeds", "1", "--executor", "ray", "--address", head.address, "--jobs", "2"]) == 0

    assert _entries(cache) == local_entries and len(local_entries) == 8  # one dsp entry per song
    local, remote = (find_run(isolated / "results", p.name) for p in sorted((isolated / "results").iterdir()))
    assert remote.info()["config"]["executor"] == "ray"
    assert _scores(remote) == _scores(local) and len(_scores(local)) == 2


def _remove_when(cluster, node, ready, removed: list) -> threading.Thread:
    """Kill `node`'s processes (no graceful exit) as soon as `ready()` holds."""

    def watch():
        deadline = time.monotonic() + 300
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.05)
        cluster.remove_node(node, allow_graceful=False)
        removed.append(time.monotonic())

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_losing_a_worker_node_mid_run_loses_no_trial_and_corrupts_no_cache_entry(cluster, isolated):
    head, worker = cluster
    results, cache = isolated / "results", isolated / "cache"
    # once a trial is recorded, the other slot's trial is in flight on one of the two nodes
    first_record = lambda: any(results.glob("*/trials/*.json"))  # noqa: E731
    removed: list[float] = []
    watcher = _remove_when(head, worker, first_record, removed)
    code = main([*ARGS, "--seeds", "2", "--executor", "ray", "--address", head.address, "--jobs", "2"])
    watcher.join()
    store = find_run(results, None)
    assert removed and store.info()["status"] == "complete"
    finished = {p.name: p.read_bytes() for p in (store.dir / "trials").glob("*.json")}
    ok = [name for name, text in finished.items() if b'"status": "ok"' in text]
    assert code == (0 if len(ok) == 4 else 3)

    assert main(["run", "--resume", store.id]) == 0  # retries what the lost node failed, keeps the rest
    after = {p.name: p.read_bytes() for p in (store.dir / "trials").glob("*.json")}
    assert len(after) == 4 and all(after[name] == finished[name] for name in ok)
    entries = FeatureCache(cache)
    for path in (cache / "features" / "dsp").rglob("*.afb"):
        assert entries.load("dsp", path.stem) is not None  # every entry passes its checksum

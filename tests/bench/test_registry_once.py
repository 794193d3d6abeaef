"""The plugin registry is collected once in a `bench run` process: the command line, the runner
and the trials it runs in that process all get the one `load_registry` caches."""

from __future__ import annotations

import pytest

from bench import registry as registry_module
from bench.cli.app import main

TINY = ["--songs", "8", "--seconds", "6", "--split", "song", "--seeds", "1", "--executor", "inline"]


@pytest.fixture
def collections(monkeypatch):
    """The plugin-manager sets a registry was collected from, in this process, from now on."""
    seen: list[tuple[str, ...]] = []
    collect = registry_module.collect

    def counting(loaded):
        seen.append(tuple(sorted(loaded.origins)))
        return collect(loaded)

    registry_module.forget_registries()
    monkeypatch.setattr(registry_module, "collect", counting)
    yield seen
    registry_module.forget_registries()


@pytest.mark.parametrize("plugins", [[], ["--plugin", "broken_plugins"]], ids=["installed", "with-plugin"])
def test_one_bench_run_collects_the_registry_once(isolated, collections, plugins):
    assert main(["run", "--model", "mean", "--model", "dsp-ridge", *TINY, *plugins]) in (0, 3)
    assert len(collections) == 1

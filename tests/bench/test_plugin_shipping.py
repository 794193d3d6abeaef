"""`--plugin` files and local modules travel to Ray workers that cannot see them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.registry import SHIPPED_PLUGINS_ENV, PluginError, load_registry, local_plugin_path

ray = pytest.importorskip("ray")
from bench.pipeline.ray_executor import plugin_runtime_env  # noqa: E402  (needs ray)

PLUGIN = """
from bench import hookimpl
from bench.specs import ModelSpec


def _build(input_shape, profile):
    raise NotImplementedError


@hookimpl
def bench_models():
    return [ModelSpec("shipped-model", "a model from a shipped file", "dsp", _build, "sklearn", baseline=True)]
"""


@pytest.fixture
def plugin_folder(tmp_path, monkeypatch):
    """A folder holding a one-file plugin and a package plugin, as the current folder."""
    (tmp_path / "shipped_one.py").write_text(PLUGIN)
    (tmp_path / "shipped_pkg").mkdir()
    (tmp_path / "shipped_pkg" / "__init__.py").write_text(PLUGIN.replace("shipped-model", "shipped-pkg-model"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_local_files_and_modules_are_shipped_installed_ones_are_not(plugin_folder):
    assert local_plugin_path("./shipped_one.py") == Path("./shipped_one.py")
    assert local_plugin_path("shipped_one") == plugin_folder / "shipped_one.py"
    assert local_plugin_path("shipped_pkg") == plugin_folder / "shipped_pkg"
    assert local_plugin_path("json") is None and local_plugin_path("./missing.py") is None

    env = plugin_runtime_env(["./shipped_one.py", "shipped_pkg", "json"])
    assert env["py_modules"] == [str(plugin_folder / "shipped_one.py"), str(plugin_folder / "shipped_pkg")]
    assert env["env_vars"] == {SHIPPED_PLUGINS_ENV: "./shipped_one.py,shipped_pkg"}
    assert plugin_runtime_env(["json"]) == {}


def test_a_missing_file_imports_the_shipped_copy_only_when_it_was_shipped(plugin_folder, tmp_path_factory, monkeypatch):
    elsewhere = tmp_path_factory.mktemp("worker-cwd")
    monkeypatch.syspath_prepend(str(plugin_folder))  # where Ray unpacks py_modules
    monkeypatch.chdir(elsewhere)  # ./shipped_one.py does not exist here
    with pytest.raises(PluginError, match="no such file"):
        load_registry(["./shipped_one.py"])
    monkeypatch.setenv(SHIPPED_PLUGINS_ENV, "./shipped_one.py")
    assert "shipped-model" in load_registry(["./shipped_one.py"]).models


@pytest.mark.integration
def test_a_ray_worker_elsewhere_loads_a_shipped_plugin_file(plugin_folder):
    """A real Ray job: the worker runs in another folder, where the relative path names nothing."""

    def models_seen_by_a_worker(plugin: str) -> list[str]:
        os.chdir("/")
        return sorted(load_registry([plugin]).models)

    ray.init(num_cpus=1, include_dashboard=False, runtime_env=plugin_runtime_env(["./shipped_one.py"]))
    try:
        seen = ray.get(ray.remote(models_seen_by_a_worker).remote("./shipped_one.py"))
    finally:
        ray.shutdown()
    assert "shipped-model" in seen

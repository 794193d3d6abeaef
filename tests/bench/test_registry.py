"""The plugin manager: built-ins through entry points, extra modules, clashes, lookups."""

from __future__ import annotations

import sys
import types

import pytest

from bench import hookimpl
from bench.registry import PluginError, load_registry
from bench.specs import MetricSpec


@pytest.fixture
def plugin_module(monkeypatch):
    """Install a throwaway module under a name, importable by --plugin."""

    def install(name: str, **hooks):
        module = types.ModuleType(name)
        for hook_name, function in hooks.items():
            setattr(module, hook_name, hookimpl(function))
        monkeypatch.setitem(sys.modules, name, module)
        return name

    return install


def test_builtins_come_through_entry_points(registry):
    assert {"1dwav", "2dwav", "2dspec", "3dspec", "mean", "dsp-ridge"} <= set(registry.models)
    assert {"window", "song", "artist"} <= set(registry.splits)
    assert {"wav", "mel", "dsp"} <= set(registry.features)
    assert "synthetic" in registry.sources
    origins = {p.name: p.origin for p in registry.plugins}
    assert origins["models"] == "entry point of audio-feature-bench"


def test_extra_module_is_loaded_and_listed(plugin_module):
    name = plugin_module("my_metrics", bench_metrics=lambda: [MetricSpec("max-err", "d", max, False)])
    registry = load_registry([name])
    assert "max-err" in registry.metrics
    info = next(p for p in registry.plugins if p.name == name)
    assert info.origin == "--plugin module" and info.provides == {"metric": ("max-err",)}


def test_duplicate_names_fail_naming_both_plugins(plugin_module):
    name = plugin_module("clashing", bench_metrics=lambda: [MetricSpec("mae", "again", max, False)])
    with pytest.raises(PluginError, match=r"metric 'mae' is registered by metrics, clashing"):
        load_registry([name])


def test_wrong_record_type_is_refused(plugin_module):
    name = plugin_module("wrong", bench_models=lambda: [MetricSpec("x", "d", max, False)])
    with pytest.raises(PluginError, match="must return ModelSpec"):
        load_registry([name])


def test_unimportable_module_names_itself():
    with pytest.raises(PluginError, match="--plugin no_such_module_here"):
        load_registry(["no_such_module_here"])


def test_lookups_and_globs(registry):
    assert registry.select("model", ["2d*"]) == ["2dspec", "2dwav"]
    assert registry.select("model", []) == sorted(registry.models)
    with pytest.raises(PluginError, match="Unknown model 'nope'. Registered models: 1dwav"):
        registry.select("model", ["nope"])

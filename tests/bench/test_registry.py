"""The plugin manager: built-ins through entry points, extra modules, clashes, lookups."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
from rich.console import Console

from bench import hookimpl
from bench.cli.app import main
from bench.registry import PluginError, load_registry
from bench.specs import FrameworkSpec, MetricSpec, ModelSpec
from bench_plugins.frameworks.keras import KerasFramework
from bench_plugins.frameworks.sklearn import SklearnFramework


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


def test_loading_the_registry_imports_no_heavy_library():
    """Every `bench` command loads the registry first: its start-up stays a fraction of a second
    only while no built-in plugin imports a framework or a numerical library at module level."""
    import subprocess

    heavy = ("tensorflow", "keras", "sklearn", "numba", "scipy", "pandas", "torch", "jax")
    script = (
        "import sys; from bench.registry import load_registry; load_registry();"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r})))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


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
    with pytest.raises(PluginError, match=r"Plugin 'wrong': bench_models\(\) must return a list of ModelSpec"):
        load_registry([name])


@pytest.mark.parametrize(
    "returned",
    [ModelSpec("bare", "d", "dsp", lambda s, p: None, "sklearn"), {"bare": "a dict of specs"}],
    ids=["bare spec", "dict"],
)
def test_a_hook_returning_no_list_names_the_plugin_the_hook_and_a_list(plugin_module, returned):
    name = plugin_module("no_list", bench_models=lambda: returned)
    with pytest.raises(PluginError) as caught:
        load_registry([name])
    message = str(caught.value)
    assert "Plugin 'no_list'" in message and "bench_models()" in message
    assert "must return a list of ModelSpec" in message and "return [ModelSpec(...)]" in message


def test_an_unknown_framework_is_refused_at_registration(plugin_module):
    name = plugin_module("torchy", bench_models=lambda: [ModelSpec("t", "d", "dsp", lambda s, p: None, "torch")])
    with pytest.raises(PluginError) as caught:
        load_registry([name])
    assert str(caught.value) == (
        "model 't' (plugin 'torchy'): unknown framework 'torch'. "
        "Known frameworks: floor, frozen, keras, probe, sklearn "
        "(a plugin adds one with the bench_frameworks hook)."
    )


class Median(SklearnFramework):
    """A framework that ignores its model: predicts the training median (for these tests)."""

    name = "median"


def test_a_plugin_adds_a_framework_and_its_models_use_it(plugin_module):
    name = plugin_module(
        "median_plugin",
        bench_frameworks=lambda: [FrameworkSpec("median", "training median", Median)],
        bench_models=lambda: [ModelSpec("med", "d", "dsp", lambda s, p: None, "median")],
    )
    registry = load_registry([name])
    assert isinstance(registry.framework("med"), Median)
    assert isinstance(registry.framework("2dspec"), KerasFramework)
    info = next(p for p in registry.plugins if p.name == name)
    assert info.provides == {"model": ("med",), "framework": ("median",)}


def test_a_framework_adapter_must_be_a_framework_class(plugin_module):
    name = plugin_module("bad_adapter", bench_frameworks=lambda: [FrameworkSpec("odd", "d", object)])
    with pytest.raises(PluginError, match=r"framework 'odd' \(plugin 'bad_adapter'\): adapter must be a bench"):
        load_registry([name])


PLUGIN_FILE = """
from bench import hookimpl
from bench.specs import MetricSpec


@hookimpl
def bench_metrics():
    return [MetricSpec("{metric}", "from a file", max, False)]
"""


@pytest.fixture
def plugin_file(tmp_path, monkeypatch):
    """Writes a plugin module file under tmp_path, runs from tmp_path, forgets the module after."""

    def write(relative: str, metric: str) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PLUGIN_FILE.format(metric=metric))
        monkeypatch.delitem(sys.modules, path.stem, raising=False)
        return path

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield write
    for name in ("here_plugin", "file_plugin", "deep_plugin"):
        sys.modules.pop(name, None)


def test_plugin_accepts_a_module_in_the_current_folder(plugin_file):
    plugin_file("here_plugin.py", "from-cwd")
    assert "from-cwd" in load_registry(["here_plugin"]).metrics


@pytest.mark.parametrize("given", ["./file_plugin.py", "sub/deep_plugin.py"])
def test_plugin_accepts_a_file_path(plugin_file, given):
    plugin_file(given, "from-file")
    registry = load_registry([given])
    assert "from-file" in registry.metrics
    assert next(p for p in registry.plugins if p.name == given).origin == "--plugin file"


def test_a_plugin_that_raises_on_import_names_itself(plugin_file, tmp_path):
    (tmp_path / "raising_plugin.py").write_text("raise RuntimeError('boom')\n")
    for given in ("raising_plugin", "./raising_plugin.py"):
        with pytest.raises(PluginError, match=rf"--plugin {given}: importing it failed \(RuntimeError: boom\)"):
            load_registry([given])
        sys.modules.pop("raising_plugin", None)


def test_a_missing_plugin_file_is_one_line(plugin_file):
    with pytest.raises(PluginError, match=r"--plugin ./nowhere.py: no such file"):
        load_registry(["./nowhere.py"])


@pytest.fixture
def broken_entry_point(tmp_path, monkeypatch):
    """An installed distribution whose `bench` entry point names a module that does not exist."""
    info = tmp_path / "bench_ghost-0.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bench-ghost\nVersion: 0.2.0\n")
    (info / "entry_points.txt").write_text("[bench]\nghost = bench_ghost_missing_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("bench.registry._warned", set())
    return "ghost = bench_ghost_missing_module"


@pytest.fixture
def misspelled_hook(tmp_path, monkeypatch):
    """An installed distribution whose plugin implements `bench_model` (for `bench_models`)."""
    info = tmp_path / "bench_typo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bench-typo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[bench]\ntypo = bench_typo_plugin\n")
    (tmp_path / "bench_typo_plugin.py").write_text(
        "from bench import hookimpl\n\n@hookimpl\ndef bench_model():\n    return []\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("bench.registry._warned", set())


def test_a_misspelled_hook_skips_that_plugin_alone_and_names_the_real_hook(misspelled_hook, capsys, monkeypatch):
    registry = load_registry()
    assert "2dspec" in registry.models
    (broken,) = registry.broken
    assert broken.entry_point == "typo = bench_typo_plugin" and broken.distribution == "bench-typo"
    assert "'bench_model', which is no bench hook; did you mean 'bench_models'?" in broken.error
    assert "did you mean 'bench_models'?" in capsys.readouterr().err
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=400))
    assert main(["plugins"]) == 0
    assert "did you mean" in capsys.readouterr().out


def test_a_broken_entry_point_is_a_warning_naming_it_and_its_package(broken_entry_point, capsys):
    registry = load_registry()
    assert "2dspec" in registry.models  # everything else still loads
    (broken,) = registry.broken
    assert (broken.entry_point, broken.distribution, broken.version) == (broken_entry_point, "bench-ghost", "0.2.0")
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("warning: entry point 'ghost = bench_ghost_missing_module'")
    assert "of package bench-ghost 0.2.0 could not be loaded (ModuleNotFoundError" in err
    load_registry()
    assert capsys.readouterr().err == ""  # once per process


def test_a_broken_entry_point_fails_only_a_command_that_needs_it(broken_entry_point, capsys, monkeypatch):
    registry = load_registry()
    assert registry.select("model", ["2dspec"]) == ["2dspec"]
    with pytest.raises(PluginError) as caught:
        registry.select("model", ["ghost-model"])
    assert "Unknown model 'ghost-model'" in str(caught.value)
    assert "An entry point failed to load and may have provided it: entry point 'ghost = " in str(caught.value)

    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "ghost" in out and "broken" in out and "bench-ghost" in out


def test_bench_run_of_a_model_nobody_provides_says_an_entry_point_failed(
    broken_entry_point, isolated, capsys, monkeypatch
):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=400))
    assert main(["run", "--model", "ghost-model", "--seeds", "1"]) == 1
    out = capsys.readouterr().out
    assert "Unknown model 'ghost-model'" in out and "entry point 'ghost = bench_ghost_missing_module'" in out


def test_unimportable_module_names_itself():
    with pytest.raises(PluginError, match="--plugin no_such_module_here: cannot import it"):
        load_registry(["no_such_module_here"])


def test_lookups_and_globs(registry):
    # A pattern picks opt-in models too (2dwav-beats); no pattern means every model but those.
    assert registry.select("model", ["2d*"]) == ["2dspec", "2dwav", "2dwav-beats"]
    assert registry.select("model", []) == sorted(n for n, spec in registry.models.items() if not spec.opt_in)
    with pytest.raises(PluginError, match="Unknown model 'nope'. Registered models: 1dwav"):
        registry.select("model", ["nope"])


def test_bench_plugins_prints_a_name_with_markup_as_itself(tmp_path, capsys, monkeypatch):
    plugin = tmp_path / "markup_name_plugin.py"
    plugin.write_text(
        "from bench import hookimpl\nfrom bench.specs import ModelSpec\n\n"
        "@hookimpl\ndef bench_models():\n"
        "    return [ModelSpec('../odd[/]<svg>=1', 'a hostile name', 'mel', lambda shape, profile: None)]\n"
    )
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=400))
    try:
        assert main(["plugins", "--plugin", str(plugin)]) == 0
    finally:
        sys.modules.pop(plugin.stem, None)
    assert "model: ../odd[/]<svg>=1" in capsys.readouterr().out

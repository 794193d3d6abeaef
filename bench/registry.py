"""Loads plugins once and collects their specs into one registry, refusing duplicate names.

Built-ins and third-party plugins come through the same door: the `bench` entry-point group.
`--plugin` adds one module for a single run: an importable name, a module in the current
folder, or a `.py` file. An entry point that fails to import is a warning, not an error: it is
listed as broken, and only a command that asks for something it would have provided fails,
saying which entry point could not load.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import importlib.metadata
import importlib.util
import os
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pluggy

from bench import hookspecs, native_stderr
from bench.frameworks import Framework
from bench.interrupts import reraise_interruption
from bench.profiles import Knob
from bench.specs import (
    AugmentationSpec,
    CommandSpec,
    FeatureSpec,
    FrameworkSpec,
    MetricSpec,
    ModelSpec,
    SourceSpec,
    SplitSpec,
)

# hook name -> (kind shown to people, record type the hook must return)
KINDS = {
    "bench_sources": ("source", SourceSpec),
    "bench_features": ("feature", FeatureSpec),
    "bench_models": ("model", ModelSpec),
    "bench_metrics": ("metric", MetricSpec),
    "bench_splits": ("split", SplitSpec),
    "bench_frameworks": ("framework", FrameworkSpec),
    "bench_augmentations": ("augmentation", AugmentationSpec),
    "bench_commands": ("command", CommandSpec),
}


class PluginError(Exception):
    """A plugin could not be loaded or clashes with another one."""


@dataclass(frozen=True)
class PluginInfo:
    """One loaded plugin, for `bench plugins`."""

    name: str
    origin: str
    version: str
    provides: dict[str, tuple[str, ...]]  # kind -> names


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point of the `bench` group that failed to import."""

    entry_point: str  # "name = module:attr"
    distribution: str
    version: str
    error: str

    def describe(self) -> str:
        return (
            f"entry point {self.entry_point!r} of package {self.distribution} {self.version} "
            f"could not be loaded ({self.error})"
        )


@dataclass
class Registry:
    """Every spec of every loaded plugin, by kind and name."""

    sources: dict[str, SourceSpec] = field(default_factory=dict)
    features: dict[str, FeatureSpec] = field(default_factory=dict)
    models: dict[str, ModelSpec] = field(default_factory=dict)
    metrics: dict[str, MetricSpec] = field(default_factory=dict)
    splits: dict[str, SplitSpec] = field(default_factory=dict)
    frameworks: dict[str, FrameworkSpec] = field(default_factory=dict)
    augmentations: dict[str, AugmentationSpec] = field(default_factory=dict)
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    providers: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, name) -> plugin
    broken: list[BrokenPlugin] = field(default_factory=list)

    def of_kind(self, kind: str) -> dict:
        return getattr(self, kind + "s")

    def get(self, kind: str, name: str):
        """The spec, or a PluginError listing what is available (and any entry point that
        failed to load, which might have provided it)."""
        specs = self.of_kind(kind)
        if name not in specs:
            known = ", ".join(sorted(specs)) or "none"
            message = f"Unknown {kind} {name!r}. Registered {kind}s: {known}."
            if self.broken:
                message += " An entry point failed to load and may have provided it: " + "; ".join(
                    b.describe() for b in self.broken
                )
            raise PluginError(message)
        return specs[name]

    def describe(self, kind: str, name: str) -> str:
        """`model 'x' (plugin 'p')`: how messages name a spec and who provides it."""
        return f"{kind} {name!r} (plugin {self.providers.get((kind, name), '?')!r})"

    def framework(self, model: str) -> Framework:
        """The adapter that drives model `model` (its framework was validated at registration)."""
        return self.frameworks[self.get("model", model).framework].adapter()

    def select(self, kind: str, patterns: list[str] | None) -> list[str]:
        """Names of `kind` matching any glob pattern (all when patterns is empty, but for
        opt-in models: those run only when a pattern names them)."""
        names = sorted(self.of_kind(kind))
        if not patterns:
            return [n for n in names if not (kind == "model" and self.models[n].opt_in)]
        chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        for pattern in patterns:
            if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
                self.get(kind, pattern)  # raises with the list of known names
        return chosen


def _import_extra(module_name: str):
    """A `--plugin` module: an importable name, a module in the current folder (`m` for
    ./m.py), or a path to a `.py` file (`./m.py`, `path/to/m.py`)."""
    if module_name.endswith(".py") or "/" in module_name:
        return _import_file(module_name, Path(module_name))
    top = module_name.split(".")[0]
    local = Path.cwd() / top
    if (local.with_suffix(".py").is_file() or (local / "__init__.py").is_file()) and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # console scripts do not put the current folder on the path
    try:
        with native_stderr.silenced():
            return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise PluginError(
            f"--plugin {module_name}: cannot import it ({exc}). Give an importable module name, "
            "a module in the current folder, or a path to a .py file."
        ) from exc
    except Exception as exc:
        reraise_interruption(exc)
        raise PluginError(f"--plugin {module_name}: importing it failed ({type(exc).__name__}: {exc})") from exc


SHIPPED_PLUGINS_ENV = "AFB_SHIPPED_PLUGINS"  # set on Ray workers: the --plugin files the job shipped


def local_plugin_path(module_name: str) -> Path | None:
    """The file or package folder a `--plugin` names on this machine, None for an installed
    module: what an executor on other machines must ship."""
    if module_name.endswith(".py") or "/" in module_name:
        path = Path(module_name)
        return path if path.is_file() else None
    local = Path.cwd() / module_name.split(".")[0]
    if local.with_suffix(".py").is_file():
        return local.with_suffix(".py")
    return local if (local / "__init__.py").is_file() else None


def _import_file(module_name: str, path: Path):
    if not path.is_file():
        if module_name in os.environ.get(SHIPPED_PLUGINS_ENV, "").split(","):
            return importlib.import_module(path.stem)  # a Ray worker elsewhere: the job's shipped copy
        raise PluginError(f"--plugin {module_name}: no such file")
    name = path.stem
    loaded = sys.modules.get(name)
    if loaded is not None:
        if Path(getattr(loaded, "__file__", "") or "").resolve() == path.resolve():
            return loaded
        raise PluginError(
            f"--plugin {module_name}: a module named {name!r} is already imported from elsewhere; rename the file"
        )
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # a .py file always has one; anything else is no module
        raise PluginError(f"--plugin {module_name}: {path} cannot be imported as a module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # so its functions pickle by reference into trial processes
    try:
        with native_stderr.silenced():
            spec.loader.exec_module(module)
    except Exception as exc:
        reraise_interruption(exc)
        del sys.modules[name]
        raise PluginError(f"--plugin {module_name}: importing it failed ({type(exc).__name__}: {exc})") from exc
    return module


@dataclass
class Loaded:
    """A plugin manager with every plugin registered, where each came from, what failed."""

    pm: pluggy.PluginManager
    origins: dict[str, tuple[str, str]]  # plugin name -> (origin, version)
    broken: list[BrokenPlugin]


_warned: set[str] = set()


def _warn_once(broken: BrokenPlugin) -> None:
    """One line on stderr per broken entry point and process."""
    if broken.entry_point not in _warned:
        _warned.add(broken.entry_point)
        print(f"warning: {broken.describe()}; ignoring it.", file=sys.stderr)


def _load_entry_points(pm: pluggy.PluginManager, origins: dict, broken: list) -> None:
    for dist in importlib.metadata.distributions():
        for ep in dist.entry_points:
            if ep.group != hookspecs.PROJECT or pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
                continue
            dist_name = dist.metadata["Name"] or "?"
            try:
                with native_stderr.silenced():
                    plugin = ep.load()
                _check_hook_names(plugin)
                pm.register(plugin, name=ep.name)
            except Exception as exc:  # one broken package must not stop every command
                reraise_interruption(exc)
                broken.append(
                    BrokenPlugin(f"{ep.name} = {ep.value}", dist_name, dist.version, f"{type(exc).__name__}: {exc}")
                )
                _warn_once(broken[-1])
                continue
            origins[ep.name] = (f"entry point of {dist_name}", dist.version)


def _check_hook_names(plugin) -> None:
    """Refuse a plugin with a hook implementation no spec declares, naming the closest real hook."""
    known = [name for name in dir(hookspecs) if name.startswith(f"{hookspecs.PROJECT}_")]
    for name in dir(plugin):
        if hasattr(getattr(plugin, name, None), f"{hookspecs.PROJECT}_impl") and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; the hooks are {', '.join(known)}"
            raise PluginError(f"it implements {name!r}, which is no bench hook{hint}")


def make_plugin_manager(extra_modules: list[str] | tuple[str, ...] = ()) -> Loaded:
    """A plugin manager with every `bench` entry point and the extra modules."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    origins: dict[str, tuple[str, str]] = {}
    broken: list[BrokenPlugin] = []
    _load_entry_points(pm, origins, broken)
    for module_name in extra_modules:
        module = _import_extra(module_name)
        if pm.is_registered(module):
            continue
        pm.register(module, name=module_name)
        kind = "--plugin file" if module_name.endswith(".py") else "--plugin module"
        origins[module_name] = (kind, _module_version(module))
    pm.check_pending()
    return Loaded(pm, origins, broken)


def _specs_of(hook_name: str, plugin_name: str, function, record_type) -> list:
    """What one plugin's hook returned, checked to be a list of `record_type`."""
    try:
        specs = function()
    except Exception as exc:
        reraise_interruption(exc)
        raise PluginError(f"Plugin {plugin_name!r} failed in {hook_name}(): {type(exc).__name__}: {exc}") from exc
    wanted = f"a list of {record_type.__name__}"
    if specs is None:
        return []
    if not isinstance(specs, (list, tuple)):
        raise PluginError(
            f"Plugin {plugin_name!r}: {hook_name}() must return {wanted} records. "
            f"Received: {type(specs).__name__} {specs!r:.120}; wrap it: return [{record_type.__name__}(...)]"
        )
    for spec in specs:
        if not isinstance(spec, record_type):
            raise PluginError(
                f"Plugin {plugin_name!r}: {hook_name}() must return {wanted} records. "
                f"Received an element: {spec!r:.120}"
            )
        _check_knobs(plugin_name, spec)
    return list(specs)


def _check_knobs(plugin_name: str, spec) -> None:
    """A spec's knobs are Knob records with distinct names."""
    knobs = getattr(spec, "knobs", ())
    names = [knob.name for knob in knobs if isinstance(knob, Knob)]
    if len(names) != len(knobs) or len(set(names)) != len(names):
        raise PluginError(
            f"Plugin {plugin_name!r}: {type(spec).__name__} {spec.name!r}: knobs must be bench.profiles.Knob "
            f"records with distinct names. Received: {knobs!r:.160}"
        )


def collect(loaded: Loaded) -> Registry:
    """Calls every hook once and files the specs by kind; duplicates raise naming each
    provider, and so does a model whose framework no plugin registers."""
    pm = loaded.pm
    registry = Registry(broken=list(loaded.broken))
    providers: dict[tuple[str, str], list[str]] = defaultdict(list)
    provided: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for hook_name, (kind, record_type) in KINDS.items():
        hook = getattr(pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            plugin_name = impl.plugin_name
            for spec in _specs_of(hook_name, plugin_name, impl.function, record_type):
                providers[(kind, spec.name)].append(plugin_name)
                provided[plugin_name][kind].append(spec.name)
                registry.of_kind(kind)[spec.name] = spec
                registry.providers[(kind, spec.name)] = plugin_name
    clashes = {key: names for key, names in providers.items() if len(names) > 1}
    if clashes:
        lines = [f"{kind} {name!r} is registered by {', '.join(names)}" for (kind, name), names in clashes.items()]
        raise PluginError("Duplicate plugin names: " + "; ".join(lines) + ". Uninstall or rename one.")
    _check_frameworks(registry)
    for name, kinds in sorted(provided.items()):
        origin, version = loaded.origins.get(name, ("--plugin module", _module_version(pm.get_plugin(name))))
        registry.plugins.append(PluginInfo(name, origin, version, {k: tuple(v) for k, v in kinds.items()}))
    return registry


def _check_frameworks(registry: Registry) -> None:
    for name, framework in registry.frameworks.items():
        if not (isinstance(framework.adapter, type) and issubclass(framework.adapter, Framework)):
            raise PluginError(
                f"{registry.describe('framework', name)}: adapter must be a bench.frameworks.Framework subclass. "
                f"Received: {framework.adapter!r}"
            )
    for name, model in registry.models.items():
        if model.framework not in registry.frameworks:
            known = ", ".join(sorted(registry.frameworks))
            raise PluginError(
                f"{registry.describe('model', name)}: unknown framework {model.framework!r}. "
                f"Known frameworks: {known} (a plugin adds one with the bench_frameworks hook)."
            )


def _module_version(module) -> str:
    return str(getattr(module, "__version__", "-"))


_collected: dict[tuple[str, ...], Registry] = {}


def load_registry(extra_modules: list[str] | tuple[str, ...] = ()) -> Registry:
    """The registry of every installed plugin plus the extra modules, collected once per process."""
    key = tuple(extra_modules)
    if key not in _collected:
        _collected[key] = collect(make_plugin_manager(key))
    return _collected[key]


def forget_registries() -> None:
    """Collect anew on the next `load_registry` (after installing a plugin in this process)."""
    _collected.clear()

"""Loads plugins once and collects their specs into one registry, refusing duplicate names.

Built-ins and third-party plugins come through the same door: the `bench` entry-point group.
`--plugin MODULE` adds one importable module for a single run.
"""

from __future__ import annotations

import fnmatch
import importlib
from collections import defaultdict
from dataclasses import dataclass, field

import pluggy

from bench import hookspecs
from bench.specs import FeatureSpec, MetricSpec, ModelSpec, SourceSpec, SplitSpec

# hook name -> (kind shown to people, record type the hook must return)
KINDS = {
    "bench_sources": ("source", SourceSpec),
    "bench_features": ("feature", FeatureSpec),
    "bench_models": ("model", ModelSpec),
    "bench_metrics": ("metric", MetricSpec),
    "bench_splits": ("split", SplitSpec),
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


@dataclass
class Registry:
    """Every spec of every loaded plugin, by kind and name."""

    sources: dict[str, SourceSpec] = field(default_factory=dict)
    features: dict[str, FeatureSpec] = field(default_factory=dict)
    models: dict[str, ModelSpec] = field(default_factory=dict)
    metrics: dict[str, MetricSpec] = field(default_factory=dict)
    splits: dict[str, SplitSpec] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)

    def of_kind(self, kind: str) -> dict:
        return getattr(self, kind + "s")

    def get(self, kind: str, name: str):
        """The spec, or a PluginError listing what is available."""
        specs = self.of_kind(kind)
        if name not in specs:
            known = ", ".join(sorted(specs)) or "none"
            raise PluginError(f"Unknown {kind} {name!r}. Registered {kind}s: {known}.")
        return specs[name]

    def select(self, kind: str, patterns: list[str] | None) -> list[str]:
        """Names of `kind` matching any glob pattern (all when patterns is empty)."""
        names = sorted(self.of_kind(kind))
        if not patterns:
            return names
        chosen = [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        for pattern in patterns:
            if not any(fnmatch.fnmatchcase(n, pattern) for n in names):
                self.get(kind, pattern)  # raises with the list of known names
        return chosen


def make_plugin_manager(extra_modules: list[str] | tuple[str, ...] = ()) -> pluggy.PluginManager:
    """A plugin manager with every `bench` entry point and the extra modules registered."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    try:
        pm.load_setuptools_entrypoints(hookspecs.PROJECT)
    except Exception as exc:  # a broken third-party package must name itself
        raise PluginError(f"Could not load a plugin from the 'bench' entry-point group: {exc}") from exc
    for module_name in extra_modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise PluginError(f"--plugin {module_name}: cannot import it ({exc}).") from exc
        if pm.is_registered(module):
            continue
        pm.register(module, name=module_name)
    pm.check_pending()
    return pm


def _origins(pm: pluggy.PluginManager) -> dict[str, tuple[str, str]]:
    """Plugin name -> (origin, version) from the distributions that registered it."""
    origins = {}
    for plugin, dist in pm.list_plugin_distinfo():
        origins[pm.get_name(plugin)] = (f"entry point of {dist.project_name}", dist.version)
    return origins


def collect(pm: pluggy.PluginManager) -> Registry:
    """Calls every hook once and files the specs by kind; duplicates raise naming each provider."""
    registry = Registry()
    providers: dict[tuple[str, str], list[str]] = defaultdict(list)
    provided: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for hook_name, (kind, record_type) in KINDS.items():
        hook = getattr(pm.hook, hook_name)
        for impl in hook.get_hookimpls():
            plugin_name = impl.plugin_name
            try:
                specs = impl.function() or []
            except Exception as exc:
                raise PluginError(f"Plugin {plugin_name!r} failed in {hook_name}(): {exc}") from exc
            for spec in specs:
                if not isinstance(spec, record_type):
                    raise PluginError(
                        f"Plugin {plugin_name!r}: {hook_name}() must return {record_type.__name__} "
                        f"records. Received: {spec!r}"
                    )
                providers[(kind, spec.name)].append(plugin_name)
                provided[plugin_name][kind].append(spec.name)
                registry.of_kind(kind)[spec.name] = spec
    clashes = {key: names for key, names in providers.items() if len(names) > 1}
    if clashes:
        lines = [f"{kind} {name!r} is registered by {', '.join(names)}" for (kind, name), names in clashes.items()]
        raise PluginError("Duplicate plugin names: " + "; ".join(lines) + ". Uninstall or rename one.")
    origins = _origins(pm)
    for name, kinds in sorted(provided.items()):
        origin, version = origins.get(name, ("--plugin module", _module_version(pm.get_plugin(name))))
        registry.plugins.append(PluginInfo(name, origin, version, {k: tuple(v) for k, v in kinds.items()}))
    return registry


def _module_version(module) -> str:
    return str(getattr(module, "__version__", "-"))


def load_registry(extra_modules: list[str] | tuple[str, ...] = ()) -> Registry:
    """The registry of every installed plugin plus the extra modules."""
    return collect(make_plugin_manager(extra_modules))

"""What a run's numbers depend on, written into run.json so that later runs can be compared
with it (`bench.results.merge`): the dataset fingerprint (`data`) and each model's provider and code
(`model_code`).

The fingerprint holds the fields that define the data every trial sees: the source and its
options, the short-clip policy, the window geometry, each used feature's version and the
profile fields it reads, the seeds, folds and splits, and hashes of the track list, of each
audio file's identity (`bench.features.cache.file_identity`: resolved path, size, modification time,
the same identity the feature cache keys on), of the window table and of each target's label
column. A model's code is a hash of the source files of the module its `build` comes from
(for a build that imports its module lazily by name, as the built-in CNNs do, that module),
plus the modules of the same package those files import.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.features.cache import WINDOW_FIELDS, digest, file_identity, read_values
from bench.features.grid import WindowGrid
from bench.profiles import Profile, knob_values
from bench.specs import FeatureSpec, ModelSpec

if TYPE_CHECKING:
    from bench.features.stage import Dataset
    from bench.pipeline.config import RunConfig
    from bench.registry import Registry

FINGERPRINT_VERSION = 1


def _identity(path: Path) -> dict:
    try:
        return file_identity(Path(path))
    except OSError:  # gone since its features were cached
        return {"path": str(path), "missing": True}


def dataset_fingerprint(
    config: RunConfig, profile: Profile, features: list[FeatureSpec], dataset: Dataset, splits: list[str]
) -> dict[str, Any]:
    """run.json's `data`: every field that defines the data of a run's trials."""
    tracks = dataset.tracks
    # The windows a run is scored on: a training hop's extra windows are training data, like its epochs
    scored = WindowGrid.of(dataset.window_track, profile.grid_ratio).rows
    facts = {
        "source": config.source,
        "source_options": {k: v for k, v in sorted(config.source_options.items())},
        "short_policy": config.short_policy,
        "profile": {name: getattr(profile, name) for name in WINDOW_FIELDS},
        "tracks": len(tracks),
        "track_ids": digest([(t.id, t.group, t.official_split) for t in tracks]),
        "files": digest([_identity(t.path) for t in tracks]),
        "windows": len(scored),
        "window_table": digest([dataset.window_track[scored].tolist(), dataset.window_start[scored].tolist()]),
        "labels": {target: digest([t.labels.get(target) for t in tracks]) for target in config.targets},
    }
    return {
        "version": FINGERPRINT_VERSION,
        "fingerprint": digest(facts),
        **facts,
        "features": {f.name: {"version": f.version, "profile": read_values(f, profile)} for f in features},
        "seeds": config.seeds,
        "split_seed": config.split_seed,
        "folds": config.folds,
        "splits": list(splits),
    }


def _function(build):
    """The plain function behind a build (partials and decorators unwrapped)."""
    while isinstance(build, functools.partial):
        build = build.func
    return inspect.unwrap(build) if callable(build) else build


def _origin(module_name: str) -> Path | None:
    """The source file of a module, found without importing it or its parents (a plugin
    module's parents may import Keras); None when it has none."""
    loaded = sys.modules.get(module_name)
    file = getattr(loaded, "__file__", None) if loaded is not None else None
    if file and str(file).endswith(".py"):
        return Path(file)
    top, *rest = module_name.split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if not rest:
        return Path(spec.origin) if spec.origin and spec.origin.endswith(".py") else None
    for location in spec.submodule_search_locations or ():
        base = Path(location).joinpath(*rest)
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
    return None


def _package(module_name: str, path: Path) -> str:
    return module_name if path.name == "__init__.py" else module_name.rpartition(".")[0]


def _imports(module_name: str, path: Path) -> list[str]:
    """The modules a source file imports that belong to its own top-level package."""
    top = module_name.split(".")[0]
    package = _package(module_name, path)
    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            found += [f"{base}.{a.name}" if _origin(f"{base}.{a.name}") else base for a in node.names]
    return [name for name in dict.fromkeys(found) if name.split(".")[0] == top and name != module_name]


def code_files(build) -> dict[str, Path]:
    """The modules whose source is a model's code: where its build function lives, or the
    module a lazy build names (a string in its closure naming a module of its package), and
    the same-package modules those import, transitively."""
    function = _function(build)
    module = inspect.getmodule(function)
    file = getattr(module, "__file__", None) if module is not None else None
    if module is None or not file or not str(file).endswith(".py"):
        return {}
    name, path = module.__name__, Path(file)
    package = _package(name, path)
    named = [
        f"{package}.{cell.cell_contents}"
        for cell in getattr(function, "__closure__", None) or ()
        if package and isinstance(cell.cell_contents, str) and cell.cell_contents.isidentifier()
    ]
    roots = [m for m in named if _origin(m)] or [name]
    seen: dict[str, Path] = {}
    todo = list(roots)
    while todo:
        current = todo.pop()
        source = path if current == name else _origin(current)
        if current in seen or source is None:
            continue
        seen[current] = source
        todo += _imports(current, source)
    return dict(sorted(seen.items()))


def code_hash(files: dict[str, Path]) -> str | None:
    """A hash of the modules' source files (None when there are none or one cannot be read)."""
    sha = hashlib.sha256()
    try:
        for name, path in sorted(files.items()):
            sha.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    return sha.hexdigest()[:24] if files else None


def model_provenance(registry: Registry, names: list[str], profile: Profile) -> dict[str, dict[str, Any]]:
    """run.json's `model_code`: per model, the plugin that provides it, the plugin's origin
    and version, its code modules and their hash, the feature it is a probe floor of (or None)
    and its knobs' values at `profile`."""
    by_plugin = {p.name: p for p in registry.plugins}
    result = {}
    for name in names:
        spec: ModelSpec = registry.models[name]
        plugin = registry.providers.get(("model", name), "?")
        info = by_plugin.get(plugin)
        files = code_files(spec.build)
        result[name] = {
            "plugin": plugin,
            "origin": info.origin if info else "?",
            "version": info.version if info else "?",
            "modules": list(files),
            "code": code_hash(files),
            "probe_for": spec.probe_for,
            "knobs": knob_values(spec.knobs, profile.name),
        }
    return result


def design(registry: Registry) -> dict[str, list[dict[str, Any]]]:
    """run.json's `metrics` (name, direction, which is primary) and `splits` (name, leaky, board
    order: grouped splits in registration order, leaky ones after them), so the read side ranks,
    orders and flags by what the plugins declared, not by their names."""
    metrics = list(registry.metrics.values())
    primary = next((m.name for m in metrics if getattr(m, "primary", False)), None)
    primary = primary or ("r2" if "r2" in registry.metrics else metrics[0].name if metrics else None)
    splits = sorted(registry.splits.values(), key=lambda s: s.leaky)
    return {
        "metrics": [
            {"name": m.name, "higher_is_better": m.higher_is_better, "primary": m.name == primary} for m in metrics
        ],
        "splits": [{"name": s.name, "leaky": s.leaky, "order": i} for i, s in enumerate(splits)],
    }


def record(store, config: RunConfig, registry: Registry, features: list[FeatureSpec], dataset, splits, say) -> None:
    """Write the fingerprint and the selected models' provenance into run.json. A resumed run
    whose data changed since it started is refused (ValueError naming every difference): its
    old and new trials would not be comparable. A model whose code changed is said (`say`)."""
    from bench.results.merge import data_differences

    info = store.run_info()
    profile = config.resolved_profile()
    data = dataset_fingerprint(config, profile, features, dataset, splits)
    if info.data:
        differences = data_differences(info.data, data)
        if differences:
            raise ValueError(
                f"run {store.id}'s data changed since it started, so new trials would not be comparable with its "
                f"old ones: {'; '.join(d.describe('then', 'now') for d in differences)}. Start a new run instead."
            )
    code = model_provenance(registry, registry.select("model", config.models), profile)
    for name, before in sorted((info.model_code or {}).items()):
        if name in code and before.get("code") and code[name]["code"] != before["code"]:
            say(f"model {name}'s code changed since run {store.id} started: its new trials use the new code")
    store.update_info(data=data, model_code={**(info.model_code or {}), **code})

"""The import rules of docs/architecture.md, checked on the source: no circles, no core import of
the built-in plugins, and each package importing only the roles below it."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("features", "trial", "pipeline", "results", "cli")
# role -> the other roles it may import (the plugin API, "api", is bench/*.py at the top)
ALLOWED = {
    "api": {"api"},
    "features": {"api"},
    "results": {"api"},
    "trial": {"api", "features", "results"},
    "pipeline": {"api", "features", "trial", "results"},
    "cli": {"api", "features", "trial", "pipeline", "results", "cli"},
    "python-api": {"api", "features", "trial", "pipeline", "results", "cli"},  # bench.api: the command line's twin
}
# (importer, imported) pairs the rules allow on purpose, each with its reason in docs/architecture.md
EXCEPTIONS = {
    ("bench.frameworks", "bench.features.reader"),  # FeatureReader is part of the plugin API
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in (ROOT / "bench").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file (functions and TYPE_CHECKING included)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _role(module: str) -> str:
    if module == "bench.api":
        return "python-api"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ROLES else "api"


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_the_core_never_imports_the_built_in_plugins():
    offenders = [
        f"{name} imports {imported}"
        for name, path in _modules().items()
        for imported in _imports(path)
        if imported.split(".")[0] in ("plugins", "bench_plugins")
    ]
    assert not offenders, offenders


def test_nothing_imports_the_built_ins_by_their_folder_name():
    """The folder plugins/ installs as `bench_plugins`; `import plugins` works only from the checkout."""
    offenders = [
        f"{path.relative_to(ROOT)} imports {imported}"
        for folder in ("bench", "plugins", "tests", "tools", "examples")
        for path in (ROOT / folder).rglob("*.py")
        for imported in _imports(path)
        if imported.split(".")[0] == "plugins"
    ]
    assert not offenders, offenders


def test_the_installed_package_list_matches_the_folders():
    configured = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(("bench_plugins",) + init.parent.relative_to(ROOT / "plugins").parts)
        if init.is_relative_to(ROOT / "plugins")
        else ".".join(init.parent.relative_to(ROOT).parts)
        for folder in ("bench", "plugins")
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert configured == on_disk


def test_each_role_imports_only_the_roles_below_it(graph):
    offenders = [
        f"{name} ({_role(name)}) imports {imported} ({_role(imported)})"
        for name, imported_set in graph.items()
        for imported in imported_set
        if _role(imported) not in ALLOWED[_role(name)] | {_role(name)} and (name, imported) not in EXCEPTIONS
    ]
    assert not offenders, offenders


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_through_others(graph):
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]

"""The declared public plugin API (docs/architecture.md) is what the examples a plugin author
copies from actually use: every plugin module in examples/ and every code block of
docs/plugins.md imports from the core only names on the list, and every name on it exists."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PUBLIC_API = {
    "bench": {"hookimpl"},
    "bench.specs": {
        "SourceSpec",
        "FeatureSpec",
        "ModelSpec",
        "MetricSpec",
        "SplitSpec",
        "OptionSpec",
        "AugmentationSpec",
        "FrameworkSpec",
        "CommandSpec",
        "Catalog",
        "Track",
        "Target",
        "Problem",
        "WindowTable",
        "Fold",
    },
    "bench.profiles": {"Profile", "QUICK", "PAPER", "Knob"},
    "bench.frameworks": {"Framework", "Fitted", "ModelContractError"},
    "bench.features.reader": {"FeatureReader"},
    "bench.features.audio": {"mid_side"},
    "bench.intermediates": {"Audio", "Spectrum", "MelPower"},
}


def plugin_sources() -> dict[str, str]:
    """name -> source of every example plugin module (not their tests) and guide code block."""
    files = [p for p in (ROOT / "examples").rglob("*.py") if "tests" not in p.parts and p.name != "conftest.py"]
    sources = {str(p.relative_to(ROOT)): p.read_text() for p in files}
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "plugins.md").read_text(), flags=re.S)
    sources.update({f"docs/plugins.md block {i}": block for i, block in enumerate(blocks)})
    return sources


def core_imports(source: str) -> set[tuple[str, str]]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "bench":
            found |= {(node.module, alias.name) for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {(alias.name, "") for alias in node.names if alias.name.split(".")[0] == "bench"}
    return found


@pytest.mark.parametrize("name, source", sorted(plugin_sources().items()))
def test_examples_import_only_the_public_api(name, source):
    outside = {f"{m}.{n}" for m, n in core_imports(source) if n not in PUBLIC_API.get(m, set())}
    assert not outside, f"{name} imports {sorted(outside)}, outside the public plugin API"


def test_every_public_name_exists_and_is_documented():
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    for module, names in PUBLIC_API.items():
        for name in names:
            assert hasattr(importlib.import_module(module), name), f"{module}.{name}"
            assert f"`{name}`" in architecture or f"{module}.{name}" in architecture, f"{module}.{name}"

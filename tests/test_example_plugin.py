"""The plugin author's kit works as documented: the example package in examples/bench-crnn
installs like any third-party package, is listed and passes `bench check-plugin`; and every
complete example in docs/plugins.md registers and does what the guide says."""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
import soundfile
from subprocesses import pip_install_target, run_bench

from bench.cli.check_plugin import check_model
from bench.profiles import PAPER, QUICK
from bench.registry import load_registry

pytestmark = pytest.mark.e2e  # installs packages, other backends, a cluster or paper-size models

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "bench-crnn"
GUIDE = ROOT / "docs" / "plugins.md"


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    """examples/bench-crnn pip-installed into its own site folder (built from a copy, so the
    build leaves nothing in the working tree)."""
    root = tmp_path_factory.mktemp("example")
    source = shutil.copytree(
        EXAMPLE,
        root / "bench-crnn",
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"),
    )
    return pip_install_target(source, root / "site")


def test_the_installed_example_is_listed_and_passes_check_plugin(installed_example, tmp_path):
    listing = run_bench(tmp_path, "plugins", site=installed_example)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert (
        "model: crnn" in listing.stdout and "entry point of bench-crnn" in listing.stdout and "0.1.0" in listing.stdout
    )

    check = run_bench(tmp_path, "check-plugin", "crnn", site=installed_example)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "crnn: all 13 checks passed." in check.stdout


# One per plugin kind, and a model with knobs of its own
GUIDE_MODULES = ("models", "features", "sources", "metrics", "augmentations", "wide", "shared_chroma")


def guide_files() -> dict[str, str]:
    """file name -> text of every code block of the guide that starts with `# file: NAME`."""
    blocks = re.findall(r"```(?:python|toml)\n# file: (\S+)\n(.*?)```", GUIDE.read_text(), flags=re.S)
    return {name: text for name, text in blocks}


@pytest.fixture
def guide_package(tmp_path, monkeypatch) -> Path:
    """The guide's bench_extras package written to disk and importable."""
    for name, text in guide_files().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "bench_extras" / "__init__.py").touch()
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_the_guide_has_a_complete_example_of_each_kind():
    files = guide_files()
    assert set(files) == {
        "pyproject.toml",
        *(f"bench_extras/{m}.py" for m in GUIDE_MODULES),
    }
    entry_points = tomllib.loads(files["pyproject.toml"])["project"]["entry-points"]["bench"]
    assert sorted(entry_points.values()) == sorted(f"bench_extras.{m}" for m in GUIDE_MODULES)


def test_the_guide_examples_register_and_work(guide_package, stereo_window):
    registry = load_registry([f"bench_extras.{m}" for m in GUIDE_MODULES])
    assert {"tcn", "chroma", "jsonl", "hit-rate", "dropout-time"} <= set(registry.models) | set(
        registry.features
    ) | set(registry.sources) | set(registry.metrics) | set(registry.augmentations)

    failed = [c for c in check_model(registry, "tcn") if not c.ok]
    assert not failed, failed
    failed = [c for c in check_model(registry, "wide") if not c.ok]  # check-plugin hands build its knobs
    assert not failed, failed
    wide = registry.models["wide"]
    dense = {p.name: len(wide.build((9,), p.with_knobs(wide.knobs)).layers) for p in (QUICK, PAPER)}
    assert dense["paper"] - dense["quick"] == 2  # 4 hidden layers at paper, 2 at quick

    chroma = registry.features["chroma"]
    out = chroma.compute(stereo_window, QUICK)
    assert (
        out.shape == chroma.shape(QUICK) == (12, 1 + QUICK.window_samples // QUICK.mel_hop, 2)
        and out.dtype == np.float32
    )

    assert registry.metrics["hit-rate"].compute(np.array([0.5, 0.5]), np.array([0.55, 0.9])) == 0.5

    clips = guide_package / "clips"
    clips.mkdir()
    soundfile.write(clips / "a.wav", np.zeros((800, 2), dtype=np.float32), 8000)
    listing = guide_package / "clips.jsonl"
    listing.write_text('{"file": "a.wav", "artist": "A", "danceability": 0.7}\n{"file": "missing.wav"}\nnot json\n')
    catalog = registry.sources["jsonl"].load({"audio_dir": str(clips), "jsonl": str(listing)})
    assert [(t.id, t.group, t.labels) for t in catalog.tracks] == [("a.wav", "A", {"danceability": 0.7})]
    assert [p.where for p in catalog.problems] == ["clips.jsonl line 2", "clips.jsonl line 3"]

"""A third-party framework adapter works as a plugin: examples/bench-lightgbm, pip-installed
with its one dependency (lightgbm, a ~4 MB CPU wheel from PyPI) into a scratch site, is listed,
passes `bench check-plugin`, and its model trains, ranks and is rated by `bench predict`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from subprocesses import pip_install_target, run_bench

pytestmark = pytest.mark.e2e  # installs packages, other backends, a cluster or paper-size models

EXAMPLE = Path(__file__).parents[1] / "examples" / "bench-lightgbm"
TINY_RUN = "--split song --seeds 1 --songs 8 --seconds 12 --epochs 2".split()


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The example and lightgbm (without dependencies: numpy and scipy come from the harness's
    environment) in one site folder; skipped when PyPI cannot be reached."""
    root = tmp_path_factory.mktemp("lightgbm_example")
    site = root / "site"
    fetched = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), "lightgbm>=4"],
        capture_output=True,
        text=True,
    )
    if fetched.returncode != 0:
        pytest.skip(f"lightgbm could not be installed from PyPI: {fetched.stderr.strip().splitlines()[-1:]}")
    source = shutil.copytree(
        EXAMPLE, root / "bench-lightgbm", ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    )
    return pip_install_target(source, site)


def test_the_framework_plugin_is_listed_checked_run_and_rated(installed, tmp_path):
    listing = run_bench(tmp_path, "plugins", site=installed)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert "framework: lightgbm" in listing.stdout and "model: dsp-gbm" in listing.stdout
    assert "entry point of bench-lightgbm" in listing.stdout

    check = run_bench(tmp_path, "check-plugin", "dsp-gbm", site=installed)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "dsp-gbm: all " in check.stdout and "checks passed" in check.stdout

    run = run_bench(
        tmp_path, "run", "--model", "dsp-gbm", "--model", "mean", *TINY_RUN, "--save-models", site=installed
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (record_path,) = (tmp_path / "results").glob("*/trials/*dsp-gbm*.json")
    record = json.loads(record_path.read_text())
    assert record["status"] == "ok", record.get("error")
    assert record["params"] > 0 and record["boosting_rounds"] > 0 and record["model_path"].endswith(".txt")

    song = record["songs"]["track"][0]
    dataset = json.loads((record_path.parents[1] / "dataset.json").read_text())
    audio = next(t["path"] for t in dataset["tracks"] if t["id"] == song)
    rated = run_bench(tmp_path, "predict", record_path.parents[1].name, record["id"], audio, site=installed)
    assert rated.returncode == 0, rated.stdout + rated.stderr
    assert f"{record['songs']['pred'][0]:.4f}" in rated.stdout

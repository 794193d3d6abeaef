"""Helpers for tests that drive `bench` as a user would: in a subprocess, with results and
cache in a temporary folder, optionally with a plugin package pip-installed beside it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def bench_env(tmp_path: Path, site: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a `bench` subprocess whose results and cache live under tmp_path."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"},
        "COLUMNS": "250",
        "AFB_RESULTS_DIR": str(tmp_path / "results"),
        "AFB_CACHE_DIR": str(tmp_path / "cache"),
        **extra,
    }
    if site is not None:
        env["PYTHONPATH"] = str(site)
    return env


def run_bench(tmp_path: Path, *args: str, site: Path | None = None, **extra: str) -> subprocess.CompletedProcess:
    """`python -m bench.cli ARGS`, finished, with its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "bench.cli", *args],
        env=bench_env(tmp_path, site, **extra),
        capture_output=True,
        text=True,
        timeout=600,
    )


def pip_install_target(package: Path, site: Path) -> Path:
    """Install a plugin package (no dependencies, offline) into its own site folder."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(package),
        ],
        check=True,
    )
    return site

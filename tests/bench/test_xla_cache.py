"""The harness points TensorFlow's persistent XLA cache at its own folder, unless the user did."""

from __future__ import annotations

import os

from bench import xla_cache


def test_every_bench_process_shares_one_xla_program_cache():
    # bench/__init__.py has configured this process, and trial processes inherit the variable.
    assert f"{xla_cache.FLAG}={xla_cache.folder()}" in os.environ[xla_cache.ENV]
    assert xla_cache.folder().parent.name == "xla" and xla_cache.folder().name.startswith("tensorflow-")


def test_the_users_own_xla_flags_are_kept(monkeypatch):
    monkeypatch.setenv(xla_cache.ENV, "--tf_xla_enable_xla_devices")
    xla_cache.configure()
    assert os.environ[xla_cache.ENV] == f"--tf_xla_enable_xla_devices {xla_cache.FLAG}={xla_cache.folder()}"
    mine = f"{xla_cache.FLAG}=/somewhere/else"
    monkeypatch.setenv(xla_cache.ENV, mine)
    xla_cache.configure()
    assert os.environ[xla_cache.ENV] == mine

"""The harness turns oneDNN on and points TensorFlow's persistent XLA cache at its own folder,
unless the user chose otherwise."""

from __future__ import annotations

import os

from bench.profiles import PAPER, QUICK
from bench.trial import tensorflow_env as env


def test_every_bench_process_gets_onednn_and_one_xla_program_cache():
    # bench/__init__.py has configured this process, and trial processes inherit the variables.
    assert os.environ[env.ONEDNN_ENV] in ("0", "1")  # the user's value, else ours
    assert f"{env.XLA_CACHE_FLAG}={env.xla_cache_folder()}" in os.environ[env.XLA_ENV]
    assert env.xla_cache_folder().parent.name == "xla" and env.xla_cache_folder().name.startswith("tensorflow-")


def test_onednn_follows_the_profile_unless_the_user_chose(monkeypatch):
    monkeypatch.setattr(env, "_USER_KERNELS", False)
    monkeypatch.delenv(env.ONEDNN_ENV)
    env.configure()
    assert os.environ[env.ONEDNN_ENV] == "1" and os.environ[env.CHOSEN_BY_BENCH_ENV] == "1"
    env.use_profile_kernels(PAPER)
    assert os.environ[env.ONEDNN_ENV] == "0"
    env.use_profile_kernels(QUICK)
    assert os.environ[env.ONEDNN_ENV] == "1"
    monkeypatch.setattr(env, "_USER_KERNELS", True)
    monkeypatch.setenv(env.ONEDNN_ENV, "0")
    env.use_profile_kernels(QUICK)
    assert os.environ[env.ONEDNN_ENV] == "0"


def test_only_a_value_the_harness_did_not_set_counts_as_the_users(monkeypatch):
    import subprocess
    import sys

    code = "from bench.trial import tensorflow_env as e; print(e._USER_KERNELS)"
    inherited = {**os.environ, env.ONEDNN_ENV: "1", env.CHOSEN_BY_BENCH_ENV: "1"}
    users = {k: v for k, v in inherited.items() if k != env.CHOSEN_BY_BENCH_ENV}
    for environment, expected in ((inherited, "False"), (users, "True")):
        done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True)
        assert done.stdout.strip() == expected, done.stderr


def test_the_users_own_xla_flags_are_kept(monkeypatch):
    monkeypatch.setenv(env.XLA_ENV, "--tf_xla_enable_xla_devices")
    env.configure()
    assert os.environ[env.XLA_ENV] == f"--tf_xla_enable_xla_devices {env.XLA_CACHE_FLAG}={env.xla_cache_folder()}"
    mine = f"{env.XLA_CACHE_FLAG}=/somewhere/else"
    monkeypatch.setenv(env.XLA_ENV, mine)
    env.configure()
    assert os.environ[env.XLA_ENV] == mine

"""A separately installed package registers a model through the `bench` entry-point group,
exactly as a third party would, and the harness lists it and runs a trial with it."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from subprocesses import pip_install_target, run_bench

pytestmark = pytest.mark.e2e  # installs packages, other backends, a cluster or paper-size models

PYPROJECT = """
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "bench-tiny-plugin"
version = "0.3.0"

[project.entry-points.bench]
tiny = "bench_tiny_plugin"
"""

MODULE = '''
"""A tiny third-party model (one dense layer on the DSP descriptors) and a command."""
import keras

from bench import hookimpl
from bench.specs import CommandSpec, ModelSpec


def build(input_shape, profile):
    inputs = keras.Input(shape=input_shape)
    outputs = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, outputs)


@hookimpl
def bench_models():
    return [ModelSpec("tiny-linear", "one dense layer on DSP descriptors", "dsp", build)]


def add_arguments(parser):
    parser.add_argument("name")


def greet(args):
    print(f"hello {args.name} from bench-tiny-plugin")
    return 7


@hookimpl
def bench_commands():
    return [CommandSpec("hello", "say hello (a third-party command)", add_arguments, greet)]
'''


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory) -> Path:
    """The package built and pip-installed into its own site folder."""
    root = tmp_path_factory.mktemp("third_party")
    package = root / "bench-tiny-plugin"
    (package / "bench_tiny_plugin").mkdir(parents=True)
    (package / "pyproject.toml").write_text(PYPROJECT)
    (package / "bench_tiny_plugin" / "__init__.py").write_text(textwrap.dedent(MODULE))
    return pip_install_target(package, root / "site")


def test_installed_plugin_is_listed_and_runs(installed_plugin, tmp_path):
    listing = run_bench(tmp_path, "plugins", site=installed_plugin)
    assert listing.returncode == 0, listing.stderr
    assert "tiny" in listing.stdout and "tiny-linear" in listing.stdout
    assert "bench-tiny-plugin" in listing.stdout and "0.3.0" in listing.stdout

    run = run_bench(
        tmp_path,
        "run",
        "--model",
        "tiny-linear",
        "--split",
        "song",
        "--seeds",
        "1",
        "--songs",
        "6",
        "--seconds",
        "12",
        "--epochs",
        "1",
        site=installed_plugin,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    records = list((tmp_path / "results").glob("*/trials/*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    assert record["model"] == "tiny-linear" and record["status"] == "ok", record.get("error")


def test_an_installed_plugin_adds_a_command(installed_plugin, tmp_path):
    help_text = run_bench(tmp_path, "--help", site=installed_plugin)
    assert "say hello (a third-party command)" in help_text.stdout
    hello = run_bench(tmp_path, "hello", "world", site=installed_plugin)
    assert (hello.returncode, hello.stdout.strip()) == (7, "hello world from bench-tiny-plugin"), hello.stderr

"""Plugin-owned options: every source flag comes from the source's own declaration, the
command line groups them per source, and clashes or misplaced flags fail with one clear line."""

from __future__ import annotations

import csv
import json
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from bench.cli.app import build_parser, main
from bench.cli.options import add_source_groups, declared, preparse, source_options
from bench.registry import PluginError, PluginInfo, Registry, load_registry
from bench.results.store import find_run
from bench.specs import OptionSpec, SourceSpec

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


def source(name: str, *options: OptionSpec) -> SourceSpec:
    return SourceSpec(name, f"the {name} source", lambda opts: None, options)


def registry_of(**sources: tuple[OptionSpec, ...]) -> Registry:
    """A registry whose source NAME comes from the plugin `NAME-plugin`."""
    registry = Registry(sources={name: source(name, *opts) for name, opts in sources.items()})
    registry.plugins = [PluginInfo(f"{name}-plugin", "test", "-", {"source": (name,)}) for name in sources]
    return registry


def parse(registry: Registry, argv: list[str]):
    import argparse

    parser = argparse.ArgumentParser(prog="bench run")
    parser.add_argument("--source")
    add_source_groups(parser, registry)
    return parser.parse_args(argv)


def test_builtin_sources_declare_every_flag_they_read(registry):
    flags = {name: [owner for owner, _ in owners] for name, owners in declared(registry).items()}
    assert flags == {
        "songs": ["synthetic"],
        "seconds": ["synthetic"],
        "corpus-seed": ["synthetic"],
        "audio-dir": ["folder"],
        "labels": ["folder"],
        "fma-metadata": ["fma"],
        "fma-audio": ["fma"],
        "subset": ["fma"],
        "deam-dir": ["deam"],
        "deam-audio": ["deam"],
        "emomusic-dir": ["emomusic"],
        "pmemo-dir": ["pmemo"],
        "ballroom-dir": ["ballroom"],
        "ballroom-tempi": ["ballroom"],
        "ballroom-group": ["ballroom"],
        "giantsteps-dir": ["giantsteps"],
        "giantsteps-annotations": ["giantsteps"],
        "music4all-dir": ["music4all"],
    }


def test_help_has_one_group_per_source(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    for group, flag in (
        ("source synthetic:", "--songs N"),
        ("source folder:", "--audio-dir DIR"),
        ("source fma:", "--subset"),
    ):
        assert group in out and flag in out
    synthetic = out[out.index("source synthetic:") : out.index("source folder:")]
    assert "--corpus-seed N" in synthetic and "--audio-dir" not in synthetic


def test_values_are_typed_defaulted_and_paths_absolute(registry, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = parse(registry, ["--source", "folder", "--audio-dir", "clips", "--labels", "labels.csv"])
    assert source_options(args, registry, "folder") == {
        "audio_dir": str(tmp_path / "clips"),
        "labels": str(tmp_path / "labels.csv"),
    }
    args = parse(registry, ["--songs", "8", "--seconds", "12.5"])
    assert source_options(args, registry, "synthetic") == {"songs": 8, "seconds": 12.5, "corpus_seed": 0}
    assert source_options(parse(registry, []), registry, "fma") == {"subset": "small"}


def test_switches_and_choices():
    registry = registry_of(
        a=(OptionSpec("fast", "go fast", bool), OptionSpec("mode", "m", default="x", choices=("x", "y")))
    )
    assert source_options(parse(registry, ["--fast"]), registry, "a") == {"fast": True, "mode": "x"}
    assert source_options(parse(registry, ["--mode", "y"]), registry, "a") == {"mode": "y"}
    with pytest.raises(SystemExit):
        parse(registry, ["--mode", "z"])


def test_a_flag_of_another_source_is_refused(isolated, capsys):
    assert main(["run", "--model", "mean", "--source", "folder", "--songs", "3"]) == 1
    assert "--songs is an option of source synthetic; this run uses source folder" in capsys.readouterr().out
    assert not (isolated / "results").exists()


def test_a_bad_value_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--model", "mean", "--songs", "many"])
    assert "argument --songs: invalid int value: 'many'" in capsys.readouterr().err


def test_sources_may_share_a_flag_with_one_meaning():
    path = OptionSpec("audio-dir", "clips", Path)
    registry = registry_of(a=(path,), b=(OptionSpec("audio-dir", "other words, same meaning", Path),))
    args = parse(registry, ["--audio-dir", "/x"])
    assert source_options(args, registry, "b") == {"audio_dir": "/x"}


def test_one_flag_with_two_meanings_names_both_plugins():
    registry = registry_of(a=(OptionSpec("labels", "a table", Path),), b=(OptionSpec("labels", "a count", int),))
    with pytest.raises(PluginError, match=r"--labels is declared twice with different meanings") as error:
        declared(registry)
    assert "source 'a' (plugin a-plugin) as Path" in str(error.value)
    assert "source 'b' (plugin b-plugin) as int" in str(error.value)


def test_a_source_flag_may_not_take_a_core_flag():
    import argparse

    parser = argparse.ArgumentParser(prog="bench run")
    parser.add_argument("--seeds", type=int)
    with pytest.raises(PluginError, match=r"source 'a' \(plugin a-plugin\) declares --seeds, which `bench run`"):
        add_source_groups(parser, registry_of(a=(OptionSpec("seeds", "my seeds", int),)))


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("--songs", int, "without the leading --"),
        ("Songs", int, "lower-case words joined by dashes"),
        ("songs", list, "type must be one of str, int, float, bool, Path"),
    ],
)
def test_option_declarations_are_checked(name, kind, message):
    with pytest.raises(ValueError, match=message):
        OptionSpec(name, "help", kind)


def test_preparse_finds_the_command_and_plugins():
    assert preparse(["run", "--model", "mean", "--plugin", "a", "--plugin=b", "-h"]) == ("run", ["a", "b"])
    assert preparse(["--version"]) == (None, [])


def test_every_command_that_reads_a_source_gets_the_source_flags():
    import argparse

    registry = load_registry()
    parser = build_parser(registry)
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    readers = {name for name, parser in commands.items() if parser.get_default("source")}
    declared = {name for name, spec in registry.commands.items() if spec.reads_source}
    assert readers == declared == {"run", "prepare", "tune", "validate", "hearing"}
    assert all("--audio-dir" in commands[name].format_help() for name in declared)


def test_a_command_that_reads_no_source_runs_when_a_plugin_cannot_load(tmp_path, capsys):
    assert main(["cache", "info", "--cache-dir", str(tmp_path), "--plugin", "no_such_module"]) == 0
    assert main(["validate", "--plugin", "no_such_module"]) == 1
    assert "no_such_module" in capsys.readouterr().out


CLASHING = """
from pathlib import Path
from bench import hookimpl
from bench.specs import OptionSpec, SourceSpec

@hookimpl
def bench_sources():
    return [SourceSpec("counted", "d", lambda options: None, (OptionSpec("labels", "how many labels", int),))]
"""


def test_a_plugin_flag_clash_stops_the_command_naming_both(tmp_path, monkeypatch, capsys):
    (tmp_path / "clashing_source.py").write_text(textwrap.dedent(CLASHING))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["run", "--model", "mean", "--plugin", "clashing_source"]) == 1
    out = capsys.readouterr().out
    assert "--labels is declared twice" in out
    assert "source 'folder' (plugin sources)" in out and "source 'counted' (plugin clashing_source)" in out


# ------------------------------------------------------------------ a third-party source's own flag
@pytest.fixture
def jsonl_listing(tiny_corpus, tmp_path, monkeypatch):
    """The tiny corpus listed in a JSON-lines file, and the example plugin importable."""
    folder, labels = tiny_corpus
    monkeypatch.syspath_prepend(str(EXAMPLES))
    with open(labels, newline="") as handle:
        rows = list(csv.DictReader(handle))
    listing = tmp_path / "clips.jsonl"
    listing.write_text(
        "\n".join(
            json.dumps({"file": row["file"], "artist": row["artist"], "danceability": float(row["danceability"])})
            for row in rows
        )
    )
    return folder, listing


def test_a_third_party_source_brings_its_own_flag(jsonl_listing, capsys):
    with pytest.raises(SystemExit):
        main(["run", "--plugin", "jsonl_source", "--help"])
    out = capsys.readouterr().out
    assert "source jsonl:" in out and "--jsonl FILE.jsonl" in out and "Also reads --audio-dir (shown above)" in out


def test_a_third_party_source_validates_and_runs_with_its_flag(jsonl_listing, isolated, monkeypatch, capsys):
    folder, listing = jsonl_listing
    monkeypatch.chdir(listing.parent)
    plugin = ["--plugin", "jsonl_source", "--source", "jsonl", "--jsonl", listing.name, "--audio-dir", str(folder)]
    assert main(["validate", *plugin]) == 0
    assert main(["run", *plugin, "--model", "mean", "--split", "song", "--seeds", "1", "--executor", "inline"]) == 0
    store = find_run(isolated / "results", None)
    assert store.info()["config"]["source_options"] == {"jsonl": str(listing), "audio_dir": str(folder)}
    assert [r.status for r in store.trials()] == ["ok"]
    assert "jsonl: clips.jsonl (8 clips)" in capsys.readouterr().out

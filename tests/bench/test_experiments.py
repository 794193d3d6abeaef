"""Experiments as files (`--config`, `--from`, `bench config`), run names and tags, `bench runs`,
and the Python API's tables: all without training (constructed runs, parsed arguments)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from fake_runs import scored_run

import bench
from bench.cli.app import build_parser, main
from bench.cli.arguments import config_flags, parse_tags, run_config, to_toml, with_experiment
from bench.registry import load_registry

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def parser():
    return build_parser(load_registry())


def parse(parser, argv: list[str]):
    args = parser.parse_args(argv)
    return with_experiment(args, argv[1:])


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def test_a_file_sets_flags_and_the_command_line_overrides_it(parser, tmp_path):
    exp = write(
        tmp_path / "exp.toml",
        """
        model = ["mean", "dsp-ridge"]
        seeds = 5
        songs = 12
        epochs = 3
        deterministic = true
        window_seconds = 4.0
        """,
    )
    args = parse(parser, ["run", "--config", str(exp), "--seeds", "2", "--model", "1dwav"])
    config = run_config(args)
    assert config.seeds == 2 and config.models == ["1dwav"]  # the command line wins, a list is replaced
    assert config.deterministic and config.overrides == {"epochs": 3, "window_seconds": 4.0, "hop_seconds": 4.0}
    assert config.source_options["songs"] == 12
    args = parse(parser, ["run", "--config", str(exp)])
    assert run_config(args).models == ["mean", "dsp-ridge"] and run_config(args).seeds == 5


def test_unknown_keys_and_bad_values_are_named(parser, tmp_path):
    exp = write(tmp_path / "bad.toml", 'modle = ["mean"]\nseed = 2\n')
    with pytest.raises(ValueError, match=r"unknown key\(s\) modle, seed"):
        parse(parser, ["run", "--config", str(exp)])
    exp = write(tmp_path / "bad2.toml", 'executor = "cloud"\n')
    with pytest.raises(ValueError, match="executor = 'cloud'; choose from"):
        parse(parser, ["run", "--config", str(exp)])
    exp = write(tmp_path / "bad3.toml", "seeds = [1, 2]\n")
    with pytest.raises(ValueError, match="seeds takes one value, not a list"):
        parse(parser, ["run", "--config", str(exp)])


def test_bench_config_prints_toml_that_config_reads_back(parser, tmp_path, capsys):
    run = scored_run(tmp_path / "results" / "r1")
    info = json.loads((run / "run.json").read_text())
    info["config"] = {
        **info["config"],
        "source_options": {"songs": 12, "seconds": 6.0},
        "models": ["mean"],
        "splits": ["song"],
        "targets": ["danceability"],
        "profile": "quick",
        "overrides": {"epochs": 2},
        "augment": [["noise", "tilt"]],
        "deterministic": True,
        "name": "baseline-check",
    }
    (run / "run.json").write_text(json.dumps(info))
    assert main(["config", "baseline-check", "--results-dir", str(tmp_path / "results")]) == 0
    text = capsys.readouterr().out
    values = tomllib.loads(text)
    assert values == {**config_flags(info["config"])}
    assert values["augment"] == ["noise,tilt"] and values["model"] == ["mean"] and values["epochs"] == 2
    exp = write(tmp_path / "again.toml", text)
    again = run_config(parse(parser, ["run", "--config", str(exp)]))
    assert (again.models, again.seeds, again.augment, again.overrides) == (
        ["mean"],
        2,
        [["noise", "tilt"]],
        {"epochs": 2},
    )
    via_from = run_config(
        parse(parser, ["run", "--from", "baseline-check", "--results-dir", str(tmp_path / "results"), "--seeds", "4"])
    )
    assert via_from.models == ["mean"] and via_from.seeds == 4 and via_from.source_options["seconds"] == 6.0


def test_to_toml_quotes_strings():
    assert tomllib.loads(to_toml({"a": 'say "hi"\\', "b": [1, 2.5], "c": True})) == {
        "a": 'say "hi"\\',
        "b": [1, 2.5],
        "c": True,
    }


def test_tags_and_names(parser, tmp_path, capsys):
    assert parse_tags(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(ValueError, match="key=value"):
        parse_tags(["oops"])
    config = run_config(parse(parser, ["run", "--model", "mean", "--name", "n1", "--tag", "k=v"]))
    assert (config.name, config.tags) == ("n1", {"k": "v"})
    results = tmp_path / "results"
    for name in ("r1", "r2"):
        run = scored_run(results / name)
        info = json.loads((run / "run.json").read_text())
        info["config"].update(name=f"named-{name}", tags={"who": name})
        (run / "run.json").write_text(json.dumps(info))
    assert main(["runs", "--json", "--results-dir", str(results)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == ["named-r1", "named-r2"] and rows[0]["tags"] == {"who": "r1"}
    assert rows[0]["best"].startswith("danceability/good/dsp/song: r2 0.9") and rows[0]["seeds"] == 2
    assert main(["leaderboard", "named-r2", "--results-dir", str(results), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["run"]["run_id"] == "r2"


def test_the_api_reads_a_run_as_tables(tmp_path):
    scored_run(tmp_path / "r1")
    run = bench.load_run("r1", results_dir=tmp_path)
    board = run.leaderboard()
    assert list(board["model"]) == ["good", "mean"] and {"ci_low", "ci_high", "vs_mean", "std"} <= set(board.columns)
    trials = run.trials()
    assert len(trials) == 4 and "song_r2" in trials.columns
    predictions = run.predictions()
    assert len(predictions) == 4 * 30 and {"track", "true", "predicted", "seed", "fold", "artist"} <= set(
        predictions.columns
    )
    assert list(bench.runs(tmp_path)["id"]) == ["r1"]


def test_importing_bench_stays_cheap():
    code = (
        "import sys, bench; print('pandas' in sys.modules, 'bench.api' in sys.modules, 'bench.results' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.split() == ["False", "False", "False"]


def test_the_api_board_holds_the_numbers_bench_export_writes(tmp_path):
    from bench.results.export import export

    scored_run(tmp_path / "r1")
    run = bench.load_run("r1", results_dir=tmp_path)
    cells = json.loads(export(run.store, "json"))["cells"]
    board = run.leaderboard()
    assert len(board) == len(cells) == 2
    for cell, (_, row) in zip(cells, board.iterrows()):
        assert (row["model"], row["runs"], row["songs"]) == (cell["model"], cell["runs"], cell["ci"]["songs"])
        assert (row["mean"], row["ci_low"], row["ci_high"]) == (
            cell["mean"]["song.r2"],
            cell["ci"]["low"],
            cell["ci"]["high"],
        )
        for paired in cell["paired"]:
            assert row[f"vs_{paired['baseline']}"] == paired["difference"]
            assert row[f"vs_{paired['baseline']}_verdict"] == paired["verdict"]
    assert any(cell["paired"] for cell in cells)

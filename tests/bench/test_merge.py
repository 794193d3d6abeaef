"""One leaderboard across runs (bench.results.merge, bench.pipeline.provenance): runs whose data match merge,
a plugin model beside the built-ins; other data are refused naming the difference; a resume
adds a model's trials; a model's changed code is warned about; `--metric` shows a plugin metric."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from bench.cli.app import main
from bench.pipeline.provenance import code_files, code_hash
from bench.results.merge import Difference, data_differences, merge_runs
from bench.results.store import RunStore

PLUGIN = '''
"""A model and a metric of a researcher's own, in one file."""
import numpy as np
from sklearn.linear_model import Ridge

from bench import hookimpl
from bench.specs import FeatureSpec, MetricSpec, ModelSpec


def envelope(window, profile):
    hop = profile.mel_hop
    n = 1 + window.shape[1] // hop
    padded = np.pad(np.abs(window), ((0, 0), (0, n * hop - window.shape[1])))
    return padded.reshape(2, n, hop).mean(axis=2).T.astype(np.float32)


def envelope_shape(profile):
    return (1 + profile.window_samples // profile.mel_hop, 2)


def build(shape, profile):
    return Ridge()


def max_error(true, pred):
    return float(np.max(np.abs(np.asarray(true) - np.asarray(pred))))


@hookimpl
def bench_features():
    return [FeatureSpec("envelope", "mean |amplitude| per hop", "1", envelope, envelope_shape, ("mel_hop",))]


@hookimpl
def bench_models():
    return [ModelSpec("envelope-ridge", "ridge on the envelope", "envelope", build, "sklearn")]


@hookimpl
def bench_metrics():
    return [MetricSpec("maxerr", "largest absolute error", max_error, False)]
'''

TINY = "--split song --seeds 2 --songs 8 --seconds 12 --jobs 1 --executor inline".split()


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Run A: the two baselines; run B: a one-file plugin's model and metric; same data. Read-only."""
    root = tmp_path_factory.mktemp("merge")
    plugin = root / "merge_plugin.py"
    plugin.write_text(PLUGIN)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AFB_RESULTS_DIR", str(root / "results"))
        patch.setenv("AFB_CACHE_DIR", str(root / "cache"))
        assert main(["run", "--model", "mean", "--model", "dsp-ridge", *TINY]) == 0
        assert main(["run", "--plugin", str(plugin), "--model", "envelope-ridge", *TINY]) == 0
    a, b = sorted((root / "results").iterdir())
    return root, a, b, plugin


def _copy(run: Path, folder: Path) -> Path:
    return Path(shutil.copytree(run, folder / run.name))


def _edit(run: Path, change) -> None:
    info = json.loads((run / "run.json").read_text())
    change(info)
    (run / "run.json").write_text(json.dumps(info))


def test_a_plugin_model_and_the_builtins_appear_in_one_leaderboard(two_runs, capsys):
    _, a, b, _ = two_runs
    assert main(["leaderboard", str(a), str(b), "--format", "markdown", "--metric", "maxerr"]) == 0
    out = capsys.readouterr().out
    assert f"runs {a.name} + {b.name} merged (same data)" in out
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert {"_mean_", "_dsp-ridge_", "envelope-ridge"} <= {row.split(" | ")[0][2:] for row in rows}
    assert "song maxerr" in out

    assert main(["leaderboard", str(a), str(b), "--format", "json"]) == 0
    cells = {c["model"]: c for c in json.loads(capsys.readouterr().out)["cells"]}
    # paired with the other run's baselines on the same songs and seeds
    assert {p["baseline"] for p in cells["envelope-ridge"]["paired"]} == {"mean", "dsp-ridge"}
    assert cells["envelope-ridge"]["runs"] == 2 and cells["mean"]["runs"] == 2
    assert cells["envelope-ridge"]["mean"]["song.maxerr"] > 0


def test_runs_whose_data_differ_are_refused_naming_the_difference(two_runs, tmp_path, capsys):
    _, a, b, _ = two_runs
    other = _copy(b, tmp_path)
    _edit(other, lambda info: info["data"]["profile"].update(window_seconds=2.5))
    assert main(["leaderboard", str(a), str(other)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"runs differ in profile.window_seconds: 5 ({a.name}) vs 2.5 ({other.name})" in out

    relabelled = _copy(a, tmp_path / "relabelled")
    _edit(relabelled, lambda info: info["data"]["labels"].update(danceability="0" * 24))
    with pytest.raises(ValueError, match="labels.danceability"):
        merge_runs([RunStore(relabelled), RunStore(b)])


def test_a_run_without_a_fingerprint_is_refused_with_the_way_to_give_it_one(two_runs, capsys):
    _, a, _, _ = two_runs
    old = Path(__file__).parents[1] / "fixtures" / "records_v0"
    assert main(["leaderboard", str(a), str(old)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "has no dataset fingerprint" in out and f"bench run --resume {old.name}" in out


def test_resume_with_a_new_model_adds_its_trials(two_runs, tmp_path, capsys, monkeypatch):
    root, a, b, plugin = two_runs
    monkeypatch.setenv("AFB_CACHE_DIR", str(root / "cache"))  # the corpus the run was made on
    results = tmp_path / "results"
    extended = _copy(a, results)
    assert main(["report", str(extended)]) == 0
    assert "envelope-ridge" not in (extended / "report.md").read_text()
    args = ["run", "--resume", extended.name, "--plugin", str(plugin), "--model", "envelope-ridge"]
    assert main([*args, "--results-dir", str(results), "--executor", "inline"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"Extending run {extended.name}: adding 2 trials for model envelope-ridge" in out
    assert main(["report", str(extended)]) == 0  # regenerated from the records, not the cached intervals
    for page in ("report.md", "report.html"):
        assert "envelope-ridge" in (extended / page).read_text()
    info = RunStore(extended).run_info()
    assert info.config["models"] == ["mean", "dsp-ridge", "envelope-ridge"]
    assert set(info.model_code) == {"mean", "dsp-ridge", "envelope-ridge"} and info.trials == 6
    assert {(r.model, r.seed) for r in RunStore(extended).trials() if r.ok} >= {("envelope-ridge", s) for s in (0, 1)}

    # its envelope-ridge trials are also B's: the first-named run's are kept, and the note says so
    merged = merge_runs([RunStore(extended), RunStore(b)])
    assert len(merged.trials()) == 6
    assert any("dropped 2 from " + b.name in note for note in merged.notes)

    # a resume names nothing new: nothing is added, and it says nothing about extending (the run is a copy,
    # so importing the plugin its run.json names takes --trust-run: docs/security.md)
    resume = ["run", "--resume", extended.name, "--results-dir", str(results), "--executor", "inline", "--trust-run"]
    assert main(resume) == 0
    assert "Extending" not in capsys.readouterr().out


def test_a_resume_on_changed_data_is_refused(two_runs, tmp_path, capsys, monkeypatch):
    root, a, _, _ = two_runs
    monkeypatch.setenv("AFB_CACHE_DIR", str(root / "cache"))
    results = tmp_path / "results"
    run = _copy(a, results)
    _edit(run, lambda info: info["data"].update(files="0" * 24))
    assert main(["run", "--resume", run.name, "--results-dir", str(results), "--executor", "inline"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert f"run {run.name}'s data changed since it started" in out and "files (audio files:" in out


def test_compare_shows_plugin_versions_and_warns_when_a_models_code_changed(two_runs, tmp_path, capsys):
    _, _, b, _ = two_runs
    changed = _copy(b, tmp_path)
    _edit(changed, lambda info: info["model_code"]["envelope-ridge"].update(code="f" * 24))
    assert main(["compare", str(b), str(changed)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"model envelope-ridge's code changed between {b.name} and {changed.name} (merge_plugin)" in out
    assert "A plugins:" in out and "merge_plugin.py - (--plugin file)" in out and "models 0.1.0" not in out


def test_a_metric_no_trial_recorded_is_one_clear_line(two_runs, capsys):
    _, a, _, _ = two_runs
    assert main(["leaderboard", str(a), "--metric", "nope"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "--metric nope: the run did not record it" in out and "Installed metrics: accuracy1" in out


def test_the_report_shows_a_plugin_metric_when_asked_and_the_models_code(two_runs, tmp_path):
    _, _, b, _ = two_runs
    run = _copy(b, tmp_path)
    assert main(["report", str(run), "--metric", "maxerr"]) == 0
    report = (run / "report.md").read_text()
    assert "song maxerr" in report
    assert (
        "**models**: envelope-ridge: " in report and "merge_plugin.py -, code " in report and "**plugins**:" in report
    )


def test_data_differences_name_each_field_and_ignore_what_one_run_lacks():
    data = {
        "source": "synthetic",
        "source_options": {"songs": 8},
        "profile": {"window_seconds": 5.0},
        "seeds": 2,
        "files": "abc",
        "labels": {"danceability": "x"},
        "features": {"mel": {"version": "3", "profile": {"n_mels": 24}}},
    }
    other = {
        **data,
        "source_options": {"songs": 9},
        "labels": {"danceability": "x", "tempo": "y"},
        "features": {"mel": {"version": "3", "profile": {"n_mels": 48}}, "wav": {"version": "1", "profile": {}}},
    }
    assert data_differences(data, data) == []
    assert data_differences(data, other) == [Difference("source.songs", 8, 9), Difference("profile.n_mels", 24, 48)]


def test_a_models_code_is_its_module_and_the_package_modules_it_imports(tmp_path, monkeypatch, registry):
    lazy = code_files(registry.models["2dspec"].build)  # built in bench_plugins.models, lazily by module name
    assert list(lazy) == ["bench_plugins.models.cnn_2dspec", "bench_plugins.models.layers"]

    package = tmp_path / "codepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("WIDTH = 4\n")
    (package / "model.py").write_text(
        "from codepkg.helpers import WIDTH\n\ndef build(shape, profile):\n    return WIDTH\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from codepkg import model

    files = code_files(model.build)
    assert list(files) == ["codepkg.helpers", "codepkg.model"]
    before = code_hash(files)
    (package / "helpers.py").write_text("WIDTH = 8\n")
    assert code_hash(files) != before
    for name in ("codepkg", "codepkg.model", "codepkg.helpers"):
        sys.modules.pop(name, None)

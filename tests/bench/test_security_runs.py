"""A results folder someone else wrote: reading, predicting with or resuming it imports no
code, unpickles nothing and opens no path outside it (docs/security.md)."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import soundfile
from fake_runs import trial, write_run

from bench.cli.app import main
from bench.profiles import QUICK
from bench.results.store import RunStore


class Bomb:
    """Unpickling this creates the marker file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def crafted_run(root: Path, marker: Path, model_path: str | None = None) -> tuple[Path, str]:
    """A run folder whose run.json names a plugin file and whose saved model is a pickle bomb."""
    plugin = root / "evil_plugin.py"
    plugin.write_text(f"open({str(marker)!r}, 'w').close()\n")
    record = trial("mean", 0, [0.3, 0.5, 0.7], [0.5, 0.5, 0.5], baseline=True)
    record["model_path"] = model_path or f"models/{record['id']}.joblib"
    run = write_run(root / "results" / "20260101-000000-abcd", [record], plugins=(str(plugin),))
    info = json.loads((run / "run.json").read_text())
    info["profile"] = QUICK.to_dict()
    info["targets"] = {"danceability": {"name": "danceability", "low": 0.0, "high": 1.0}}
    (run / "run.json").write_text(json.dumps(info))
    (run / "models").mkdir()
    (run / "models" / f"{record['id']}.joblib").write_bytes(pickle.dumps(Bomb(marker)))
    return run, record["id"]


@pytest.fixture
def song(tmp_path) -> Path:
    path = tmp_path / "song.wav"
    soundfile.write(path, 0.1 * np.random.default_rng(0).standard_normal((22050 * 6, 2)), 22050)
    return path


def test_predict_on_a_foreign_run_imports_none_of_its_plugin_files(isolated, song):
    marker = isolated / "pwned"
    run, trial_id = crafted_run(isolated, marker)
    assert main(["predict", str(run), trial_id, str(song)]) == 1
    assert not marker.exists()


def test_predict_refuses_a_pickled_model_even_in_a_trusted_run(isolated, song, capsys):
    marker = isolated / "pwned"
    run, trial_id = crafted_run(isolated, marker)
    info = json.loads((run / "run.json").read_text())
    info["config"]["plugins"] = []
    (run / "run.json").write_text(json.dumps(info))
    assert main(["predict", str(run), trial_id, str(song), "--trust-run"]) == 1
    assert not marker.exists()
    assert "joblib" in capsys.readouterr().out


def test_predict_refuses_a_model_path_outside_the_run(isolated, song, capsys):
    marker = isolated / "pwned"
    run, trial_id = crafted_run(isolated, marker, model_path="../../elsewhere.skops")
    info = json.loads((run / "run.json").read_text())
    info["config"]["plugins"] = []
    (run / "run.json").write_text(json.dumps(info))
    assert main(["predict", str(run), trial_id, str(song)]) == 1
    assert "outside" in capsys.readouterr().out


def test_trust_run_is_the_opt_in_that_imports_a_runs_plugins(isolated, song):
    marker = isolated / "pwned"
    run, trial_id = crafted_run(isolated, marker)
    main(["predict", str(run), trial_id, str(song), "--trust-run"])
    assert marker.exists()


def test_resume_of_a_foreign_run_imports_none_of_its_plugin_files(isolated, capsys):
    marker = isolated / "pwned"
    run, _ = crafted_run(isolated, marker)
    assert main(["run", "--resume", str(run)]) == 1
    assert not marker.exists()
    assert "--trust-run" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["leaderboard", "{run}"], ["leaderboard", "{run}", "--format", "csv"], ["report", "{run}"]],
    ids=["leaderboard", "csv", "report"],
)
def test_reading_a_crafted_run_runs_none_of_its_code(isolated, argv):
    marker = isolated / "pwned"
    run, _ = crafted_run(isolated, marker)
    assert main([a.format(run=run) for a in argv]) == 0
    assert not marker.exists()


def test_compare_of_crafted_runs_runs_none_of_their_code(isolated):
    marker = isolated / "pwned"
    run, _ = crafted_run(isolated, marker)
    other = isolated / "results" / "20260102-000000-abcd"
    import shutil

    shutil.copytree(run, other)
    main(["compare", str(run), str(other)])
    assert not marker.exists()


def test_a_run_this_machine_created_is_trusted_and_a_copy_is_not(isolated):
    from bench.results import trust

    run = write_run(isolated / "results" / "r1", [])
    store = RunStore(run)
    assert not trust.is_trusted(store)
    trust.remember(store)
    assert trust.is_trusted(store)
    copy = isolated / "copy"
    import shutil

    shutil.copytree(run, copy)
    assert not trust.is_trusted(RunStore(copy))


def test_a_path_read_from_a_run_stays_inside_it(tmp_path):
    store = RunStore(write_run(tmp_path / "r1", []))
    assert store.inside("models/a.skops") == (store.dir / "models" / "a.skops").resolve()
    for bad in ("../x.skops", "/etc/passwd", "models/../../x"):
        with pytest.raises(ValueError, match="outside"):
            store.inside(bad)
    (store.dir / "models").mkdir()
    (store.dir / "models" / "link.skops").symlink_to(tmp_path / "x")
    with pytest.raises(ValueError, match="outside"):
        store.inside("models/link.skops")


class Custom:
    """A type skops does not trust."""

    def predict(self, x):
        return np.zeros(len(x))


def test_sklearn_models_round_trip_through_skops(tmp_path):
    from sklearn.dummy import DummyRegressor

    from bench_plugins.frameworks.sklearn import SklearnFramework

    adapter = SklearnFramework()
    assert adapter.suffix == ".skops"
    model = DummyRegressor().fit(np.zeros((4, 2)), np.arange(4.0))
    adapter.save(model, tmp_path / "m.skops")
    assert adapter.load(tmp_path / "m.skops", None, (2,), None).predict(np.zeros((1, 2))) == [1.5]


def test_a_skops_file_with_untrusted_types_is_refused_naming_them(tmp_path):
    import skops.io

    from bench_plugins.frameworks.sklearn import SklearnFramework

    skops.io.dump(Custom(), tmp_path / "m.skops")
    with pytest.raises(ValueError, match="Custom"):
        SklearnFramework().load(tmp_path / "m.skops", None, (2,), None)
    (tmp_path / "bad.skops").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.skops"):
        SklearnFramework().load(tmp_path / "bad.skops", None, (2,), None)

"""`bench run` and `bench prepare` on a folder with one clip that breaks a plugin feature: the
run finishes every other trial and names the clip; SIGTERM and SIGKILL leave no process behind."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bench.cli.app import main
from bench.results.store import find_run

FIXTURES = str(Path(__file__).parent / "fixtures")


@pytest.fixture
def folder(tiny_corpus, tmp_path):
    """Six synthetic songs plus one silent clip, with a label table for the folder source."""
    corpus, labels = tiny_corpus
    clips = tmp_path / "clips"
    clips.mkdir()
    rows = list(csv.DictReader(open(labels)))[:6]
    for row in rows:
        (clips / row["file"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(corpus / row["file"], clips / row["file"])
    soundfile.write(clips / "silent.wav", np.zeros((10 * 8000, 2), np.float32), 8000)
    table = tmp_path / "labels.csv"
    with open(table, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "id", "artist", "danceability"])
        for row in rows:
            writer.writerow([row["file"], row["track_id"], row["artist"], row["danceability"]])
        writer.writerow(["silent.wav", "silent", "nobody", 0.1])
    return ["--source", "folder", "--audio-dir", str(clips), "--labels", str(table)]


def _args(folder, *models):
    models = [part for m in models for part in ("--model", m)]
    return ["run", *folder, "--plugin", "clip_failing_feature", *models, "--split", "song", "--seeds", "1"]


@pytest.mark.integration
def test_a_clip_that_crashes_a_plugin_feature_is_named_and_the_run_finishes(folder, isolated, monkeypatch, capsys):
    monkeypatch.setenv("PICKY_BEHAVIOUR", "crash")
    monkeypatch.setenv("PICKY_LOG", str(isolated / "picky.log"))
    assert main(_args(folder, "picky-mean", "mean")) == 3  # completed, with a skipped input
    out = capsys.readouterr().out
    assert "silent.wav" in out and "'picky'" in out and "SIGSEGV" in out
    store = find_run(isolated / "results", None)
    assert {r.model: r.status for r in store.trials()} == {"picky-mean": "ok", "mean": "ok"}
    assert store.info()["skipped_inputs"] == 1

    assert "not remembered: the next run tries this clip again" in " ".join(out.split())
    assert main(["run", "--resume", store.id]) == 3  # a crash is not remembered: the clip is tried again
    assert len((isolated / "picky.log").read_text().split()) == 4


@pytest.mark.integration
def test_prepare_builds_the_cache_and_a_run_then_decodes_nothing(folder, isolated, monkeypatch, capsys):
    monkeypatch.setenv("PICKY_LOG", str(isolated / "picky.log"))
    assert main(["prepare", *folder, "--plugin", "clip_failing_feature", "--feature", "picky"]) == 3
    out = capsys.readouterr().out
    assert "Prepared 7 tracks, 14 windows" in out and "silent.wav" in out
    assert main(_args(folder, "picky-mean")) == 3
    assert len((isolated / "picky.log").read_text().split()) == 2  # the run computed nothing again


def _processes_with(marker: str) -> list[int]:
    """Pids of live processes whose environment carries `marker`."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "environ").read_bytes():
                status = (entry / "status").read_text()
                if "State:\tZ" not in status:
                    pids.append(int(entry.name))
        except OSError:
            continue
    return pids


@pytest.mark.integration
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc to find the children")
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_stopping_a_run_during_extraction_leaves_no_process_behind(stop, folder, isolated):
    marker = f"AFB_TEST_MARKER={uuid.uuid4().hex}"
    log = isolated / "picky.log"
    env = {
        **os.environ,
        "PICKY_BEHAVIOUR": "hang",
        "PICKY_LOG": str(log),
        "PYTHONPATH": FIXTURES + os.pathsep + os.environ.get("PYTHONPATH", ""),
        marker.split("=")[0]: marker.split("=")[1],
    }
    command = [sys.executable, "-m", "bench.cli", *_args(folder, "picky-mean")]
    runner = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    while not (log.exists() and log.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert log.exists(), "the feature worker never reached the silent clip"
    runner.send_signal(stop)
    output, _ = runner.communicate(timeout=60)
    if stop == signal.SIGTERM:
        assert runner.returncode == 143 and "Terminated" in output, output
    leftovers = _processes_with(marker)
    for _ in range(20):
        if not leftovers:
            break
        time.sleep(0.5)
        leftovers = _processes_with(marker)
    assert leftovers == [], f"processes left behind: {leftovers}"


@pytest.mark.integration
def test_the_feature_probe_starts_before_the_source_loads(folder, isolated, monkeypatch):
    """A cold cache's kernel compiling then runs beside the source's own work."""
    from bench.pipeline import runner

    events = []

    class Recorded(runner.Probe):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            events.append("probe started")

        def verdict(self, say=print):
            events.append("verdict taken")
            return super().verdict(say)

    load = runner.load_catalog
    monkeypatch.setattr(runner, "Probe", Recorded)
    monkeypatch.setattr(runner, "load_catalog", lambda *args: events.append("source loaded") or load(*args))
    assert main(["prepare", *folder]) == 0
    assert events == ["probe started", "source loaded", "verdict taken"]

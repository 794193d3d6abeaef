"""Damaged input files: a run names every truncated or unreadable file and records it in
run.json, and no message shows a file's bytes (docs/security.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bench.features.audio import AudioError, DecoderNotes, decoder_text, read_audio
from bench.features.extraction import TrackJob, extract
from bench.profiles import QUICK
from bench.specs import FeatureSpec

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures"))
import music_fixtures as music  # noqa: E402  (builders shared by the real-music tests)

PASSWD = b"root:x:0:0:root:/root:/bin/bash\n" * 40


def _level(window, profile):
    return np.abs(window).mean(axis=1)


LEVEL = FeatureSpec("level", "mean level per channel", "1", _level, lambda profile: (2,), ())


def _extract(path: Path, tmp_path: Path, feature: FeatureSpec = LEVEL):
    job = TrackJob(0, str(path), {feature.name: "k" * 24}, (), QUICK, str(tmp_path / "cache"), "pad")
    return extract(job, {feature.name: feature})


def test_a_non_audio_file_is_named_without_its_bytes(tmp_path):
    path = tmp_path / "song.wav"
    path.write_bytes(PASSWD)
    with pytest.raises(AudioError) as error:
        read_audio(path)
    assert "not a known audio format" in error.value.problem
    assert "root" not in error.value.problem and "bash" not in error.value.problem


def test_what_a_decoder_says_never_quotes_the_stream_or_controls_the_terminal():
    notes = DecoderNotes()
    notes.lines = ["Note: Illegal Audio-MPEG-Header 0x726f6f74 at offset 0.\x1b[2J"]
    summary = notes.summary()
    assert "726f6f74" not in summary and "\x1b" not in summary
    assert "Illegal Audio-MPEG-Header 0x… at offset 0.\\x1b[2J" in summary
    assert decoder_text("bad\x00\x07 frame") == "bad\\x00\\x07 frame"


def test_the_feature_stage_reports_a_truncated_wav_and_keeps_it(tmp_path):
    path = tmp_path / "cut.wav"
    soundfile.write(path, np.zeros((8000 * 12, 2), np.float32) + 0.1, 8000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a copy cut short: the header still declares 12 s
    result = _extract(path, tmp_path)
    assert result.windows == 1 and not result.failures
    (problem,) = result.problems
    assert problem.action == "kept" and problem.where == str(path)
    assert problem.what.startswith("truncated: the WAV header declares 12.00 s of audio, the file holds 6.00 s")


def _hungry(window, profile):
    raise MemoryError("could not allocate")


def test_running_out_of_memory_is_a_failure_that_is_not_remembered(tmp_path):
    path = tmp_path / "ok.wav"
    soundfile.write(path, np.zeros((8000 * 6, 2), np.float32) + 0.1, 8000)
    result = _extract(path, tmp_path, FeatureSpec("hungry", "runs out of memory", "1", _hungry, lambda p: (2,), ()))
    assert result.failures == {"hungry": "MemoryError: could not allocate"} and result.transient == {"hungry"}


@pytest.mark.integration
def test_bench_run_names_damaged_files_and_records_them_in_run_json(tmp_path, isolated, capsys):
    from bench.cli.app import main
    from bench.results.store import find_run

    audio, labels = music.clean_folder(tmp_path, clips=5)
    data = (audio / "clip2.wav").read_bytes()
    (audio / "clip2.wav").write_bytes(data[: len(data) // 2])
    (audio / "clip4.wav").write_bytes(PASSWD)
    args = ["run", "--source", "folder", "--audio-dir", str(audio), "--labels", str(labels), "--model", "mean"]
    assert main([*args, "--split", "song", "--seeds", "1"]) == 3  # completed, with one skipped input
    out = capsys.readouterr().out
    assert "clip2.wav: truncated: the WAV header declares" in out.replace("\n", "")
    assert "2 damaged or unreadable file(s)" in out
    assert "root:x" not in out and "bin/bash" not in out
    store = find_run(isolated / "results", None)
    run_json = (store.dir / "run.json").read_text()
    assert "root:x" not in run_json and "bin/bash" not in run_json
    damaged = {Path(d["file"]).name: d for d in json.loads(run_json)["damaged_files"]}
    assert set(damaged) == {"clip2.wav", "clip4.wav"}
    assert damaged["clip2.wav"]["action"] == "kept" and damaged["clip2.wav"]["problem"].startswith("truncated")
    assert damaged["clip4.wav"]["action"] == "skipped" and "not a known audio format" in damaged["clip4.wav"]["problem"]
    assert {d["source"] for d in damaged.values()} == {"folder"}
    assert {r.status for r in store.trials()} == {"ok"}

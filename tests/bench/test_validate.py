"""`bench validate`: every problem of the bad fixture listed with a non-zero exit, a clean
folder passes, and the checksum index catches a changed file."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from rich.console import Console

from bench.cli.app import main

sys.path.insert(0, str(Path(__file__).parents[1] / "fixtures"))
import music_fixtures as music  # noqa: E402  (builders shared by the real-music tests)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("validate")
    return music.bad_folder(root), music.clean_folder(root)


@pytest.fixture(autouse=True)
def wide_console(monkeypatch, isolated):
    monkeypatch.setattr("bench.cli.terminal.console", Console(width=250))


def validate(audio: Path, labels: Path, *extra: str) -> list[str]:
    return ["validate", "--source", "folder", "--audio-dir", str(audio), "--labels", str(labels), *extra]


def test_the_bad_folder_fails_listing_every_problem(folders, capsys):
    assert main(validate(*folders[0], "--target", "danceability")) == 1
    out = capsys.readouterr().out
    for where, message in music.EXPECTED.items():
        assert message in out, (where, message)
    for note in (
        "FLAC content in a file named .wav",
        "mono, unlike most files (stereo): duplicated to both channels",
        "6 channels: downmixed to stereo",
        "16000 Hz, unlike most files (22050 Hz)",
        "12 tracks listed, 8 decode, 8 usable in a run",
        "Sample rates: 22050 Hz × 4",
        "15 problem(s): 4 dropped, 4 skipped, 5 kept, 1 ignored, 1 padded",  # counted by what happens to them
        "✗ 4 dropped, 4 skipped: input a run would not use",
        "(besides: 5 kept, 1 ignored, 1 padded): exit 1",
    ):
        assert note in out, note
    assert "energy" not in out  # only the requested target's labels are checked and summarised


def test_without_a_target_every_label_is_checked(folders, capsys):
    assert main(validate(*folders[0])) == 1
    out = capsys.readouterr().out
    assert "energy is not a finite number ('n/a')" in out and "tempo" in out


def test_dropping_short_clips_is_counted(folders, capsys):
    assert main(validate(*folders[0], "--target", "danceability", "--short", "drop")) == 1
    assert "8 decode, 7 usable in a run" in capsys.readouterr().out


def test_a_clean_folder_passes_and_its_checksums_catch_a_change(folders, tmp_path, capsys):
    audio, labels = folders[1]
    copy = shutil.copytree(audio, tmp_path / "clean")
    assert main(validate(copy, labels)) == 0
    out = capsys.readouterr().out
    assert "✓ every file and label is usable" in out and "problem(s)" not in out and "Channels: stereo × 4" in out

    assert main(validate(copy, labels, "--checksums", "write")) == 0
    assert f"Wrote 4 checksums to {copy / 'checksums.md5'}" in capsys.readouterr().out
    assert (copy / "checksums.md5").read_text().splitlines()[0].endswith("  clip0.wav")
    assert main(validate(copy, labels, "--checksums", "verify")) == 0

    music.write_clip(copy / "clip1.wav", 22050, seed=99)
    assert main(validate(copy, labels, "--checksums", "verify")) == 1
    assert "md5 differs from" in capsys.readouterr().out


def test_verify_without_an_index_is_one_clear_error(folders, capsys):
    assert main(validate(*folders[1], "--checksums", "verify", "--checksum-file", "/nonexistent/sums.md5")) == 1
    assert (
        "no checksum index at /nonexistent/sums.md5: write one first with --checksums write" in capsys.readouterr().out
    )


@pytest.mark.parametrize("rows", [0, 1], ids=["header only", "one row"])
def test_fewer_than_two_usable_tracks_fail(folders, tmp_path, capsys, rows):
    audio, labels = folders[1]
    table = tmp_path / "labels.csv"
    table.write_text("\n".join(labels.read_text().splitlines()[: 1 + rows]) + "\n")
    assert main(validate(audio, table)) == 1
    out = capsys.readouterr().out
    assert f"✗ only {rows} usable track(s): a run needs at least 2 to split into train and test" in out
    assert "every file and label is usable" not in out


def test_a_wav_shorter_than_its_header_says_is_reported(folders, tmp_path, capsys):
    audio, labels = folders[1]
    copy = shutil.copytree(audio, tmp_path / "clips")
    whole = copy / "clip2.wav"
    data = whole.read_bytes()
    whole.write_bytes(data[: len(data) // 2])  # a download cut short: the header still declares 7 s
    assert main(validate(copy, labels)) == 0  # it decodes what is there, and is kept
    out = capsys.readouterr().out
    assert "clip2.wav" in out and "truncated: the WAV header declares 7.00 s of audio, the file holds 3.50 s" in out
    assert "clip1.wav" not in out


def test_a_label_table_that_is_not_utf8_is_one_error_naming_it(folders, tmp_path, capsys):
    table = tmp_path / "labels.csv"
    table.write_bytes(folders[1][1].read_bytes() + "\u00e9t\u00e9.wav,0.5\n".encode("latin-1"))
    assert main(validate(folders[1][0], table)) == 1
    assert f"{table}: not UTF-8 text" in capsys.readouterr().out.replace("\n", "")

"""`bench run` checks the feature cache and results folders before any work: a folder it cannot
write is one error naming it, with no run started and no feature computed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bench.cli.app import main
from bench.files import UnusableFolder, check_writable_folder

RUN = ["run", "--model", "mean", "--songs", "4", "--seconds", "6", "--seeds", "1"]


def test_a_file_is_not_a_folder(tmp_path):
    (tmp_path / "taken").write_text("x")
    with pytest.raises(UnusableFolder, match=r"cache folder .*taken: exists but is not a folder"):
        check_writable_folder(tmp_path / "taken", "cache folder")
    with pytest.raises(UnusableFolder, match=r"taken/sub: cannot be created, .*taken is not a folder"):
        check_writable_folder(tmp_path / "taken" / "sub", "cache folder")


def test_a_folder_that_cannot_be_written_is_named(tmp_path):
    check_writable_folder(tmp_path / "new" / "deeper", "results folder")  # creatable: fine, and not created
    assert not (tmp_path / "new").exists()
    unwritable = Path("/proc/1")  # no process, root included, can create a file there
    if os.access(unwritable, os.W_OK) and _can_write(unwritable):
        pytest.skip("/proc is writable here")
    with pytest.raises(UnusableFolder, match=r"results folder /proc/1/results: cannot be created: /proc/1 is not"):
        check_writable_folder(unwritable / "results", "results folder")


def _can_write(folder: Path) -> bool:
    try:
        (folder / ".probe").write_text("")
    except OSError:
        return False
    return True


@pytest.mark.parametrize("flag", ["--cache-dir", "--results-dir"])
def test_bench_run_stops_before_any_work(flag, isolated, capsys):
    taken = isolated / "taken"
    taken.write_text("x")
    started = time.perf_counter()
    assert main([*RUN, flag, str(taken)]) == 1
    out = capsys.readouterr().out.replace("\n", "")
    assert f"{taken}: exists but is not a folder" in out and flag in out
    assert time.perf_counter() - started < 30  # no executor, no source, no features
    assert not (isolated / "results").exists() and not (isolated / "cache").exists()

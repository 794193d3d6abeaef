"""Duplicate track ids stop a run before any trial; identical audio under two ids is flagged."""

from __future__ import annotations

from pathlib import Path

from bench.features.identity import duplicate_ids, identical_audio
from bench.specs import Track


def _track(track_id: str, path: Path, group: str = "a") -> Track:
    return Track(track_id, group, path, {"danceability": 0.5})


def test_a_repeated_id_is_fatal_and_named(tmp_path):
    a, b = tmp_path / "a.wav", tmp_path / "b.wav"
    problems = duplicate_ids([_track("x", a), _track("x", b), _track("y", a)])
    assert [(p.action, "'x'" in p.what, str(b) in p.where) for p in problems] == [("fatal", True, True)]


def test_identical_audio_under_two_ids_names_the_split_it_leaks_across(tmp_path):
    for name, data in (("a.wav", b"same"), ("b.wav", b"same"), ("c.wav", b"other")):
        (tmp_path / name).write_bytes(data)
    tracks = [_track("a", tmp_path / "a.wav", "art1"), _track("b", tmp_path / "b.wav", "art2")]
    (problem,) = identical_audio([*tracks, _track("c", tmp_path / "c.wav")])
    assert "'a', 'b'" in problem.what and "song split" in problem.what and "artist split" in problem.what


def test_prepare_refuses_a_source_with_duplicate_ids(monkeypatch):
    from bench.pipeline import runner

    tracks = [_track("x", Path("a.wav")), _track("x", Path("b.wav"))]
    try:
        runner.check_track_ids("dup-source", tracks)
    except Exception as exc:
        assert "dup-source" in str(exc) and "'x'" in str(exc)
    else:
        raise AssertionError("duplicate ids passed")

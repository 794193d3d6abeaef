"""A labels table's `file` cell names a file inside --audio-dir, never one elsewhere."""

from __future__ import annotations

from bench_plugins.sources import folder


def test_a_file_outside_the_audio_dir_is_dropped_naming_the_row(tmp_path):
    audio = tmp_path / "audio"
    audio.mkdir()
    (audio / "ok.wav").write_bytes(b"")
    secret = tmp_path / "secret.wav"
    secret.write_bytes(b"")
    labels = tmp_path / "labels.csv"
    labels.write_text(
        f"file,danceability\nok.wav,0.5\n../secret.wav,0.5\n{secret},0.5\nsub/../../secret.wav,0.5\n", encoding="utf-8"
    )
    catalog = folder.load({"audio_dir": audio, "labels": labels, "targets": ["danceability"]})
    assert [t.id for t in catalog.tracks] == ["ok.wav"]
    outside = [p for p in catalog.problems if "outside" in p.what]
    assert [p.where for p in outside] == ["labels.csv line 3", "labels.csv line 4", "labels.csv line 5"]
    assert all(p.action == "dropped" for p in outside)

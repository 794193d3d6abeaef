"""Tests for the synthetic corpus: files, determinism, stereo, sections, labels and artists."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from bench_plugins.sources import synth

SONGS, SECONDS, SEED, RATE = 6, 8.0, 7, 22050


def _render(folder: Path, seed: int = SEED) -> Path:
    return synth.render_corpus(folder, SONGS, SECONDS, seed, RATE)


def _rows(csv_path: Path) -> list[dict[str, str]]:
    with open(csv_path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The labels CSV of one small corpus, shared by the read-only tests."""
    return _render(tmp_path_factory.mktemp("corpus"))


def test_files_and_csv(corpus: Path) -> None:
    with open(corpus, newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["track_id", "artist", "file", *synth.LABEL_COLUMNS]
    rows = _rows(corpus)
    assert [row["track_id"] for row in rows] == [f"song-{i:03d}" for i in range(SONGS)]
    for row in rows:
        assert row["file"] == f"audio/{row['track_id']}.flac"
        assert all(len(row[column].split(".")[1]) == 4 for column in synth.LABEL_COLUMNS)
        info = sf.info(corpus.parent / row["file"])
        assert (info.format, info.subtype) == ("FLAC", "PCM_16")
        audio, rate = sf.read(corpus.parent / row["file"])
        assert rate == RATE and audio.shape == (int(SECONDS * RATE), 2)
        assert 0.1 < np.max(np.abs(audio)) <= 0.9
    assert not list(corpus.parent.rglob("*.partial"))


def test_rendering_is_deterministic(corpus: Path, tmp_path: Path) -> None:
    again = _render(tmp_path / "again")
    assert again.read_text() == corpus.read_text()
    for row in _rows(corpus):
        assert (again.parent / row["file"]).read_bytes() == (corpus.parent / row["file"]).read_bytes()

    other = _render(tmp_path / "other", seed=SEED + 1)
    assert other.read_text() != corpus.read_text()
    first = _rows(corpus)[0]["file"]
    assert not np.array_equal(sf.read(other.parent / first)[0], sf.read(corpus.parent / first)[0])


def test_side_channel_carries_signal(corpus: Path) -> None:
    for row in _rows(corpus):
        audio, _ = sf.read(corpus.parent / row["file"])
        mid, side = audio.mean(axis=1), (audio[:, 0] - audio[:, 1]) / 2
        assert np.sqrt(np.mean(side**2)) > 0.03 * np.sqrt(np.mean(mid**2))


def test_breakdown_has_no_drums(corpus: Path) -> None:
    """Onsets above 2 kHz (the drums) are far rarer in the breakdown than in the rest of a song."""
    plans = synth._plan_corpus(SONGS, SECONDS, SEED)
    for plan, row in zip(plans, _rows(corpus), strict=True):
        audio, _ = sf.read(corpus.parent / row["file"])
        freqs, times, spectrum = signal.stft(audio.mean(axis=1), RATE, nperseg=1024, noverlap=512)
        high = np.abs(spectrum[freqs > 2000])
        flux = np.maximum(np.diff(high, axis=1), 0.0).sum(axis=0)
        breakdown = plan.in_breakdown(times[1:])
        assert 0.05 < breakdown.mean() < 0.6
        assert flux[~breakdown].mean() > 3.0 * flux[breakdown].mean()


def test_labels_match_the_plans(corpus: Path) -> None:
    plans = synth._plan_corpus(SONGS, SECONDS, SEED)
    for plan, row in zip(plans, _rows(corpus), strict=True):
        expected = synth.danceability(plan.tempo, plan.beat_strength, plan.regularity)
        assert float(row["danceability"]) == pytest.approx(expected, abs=1e-4)
        assert 0.0 <= float(row["energy"]) <= 1.0
        assert 70.0 <= float(row["tempo"]) <= 180.0


def test_danceability_shape() -> None:
    grid = np.linspace(0.0, 1.0, 11)
    extremes = (0.0, 1.0)
    corners = [synth.danceability(t, b, r) for t in (60.0, 120.0, 200.0) for b in extremes for r in extremes]
    assert 0.0 <= min(corners) and max(corners) <= 1.0
    assert np.all(np.diff([synth.danceability(100.0, b, 0.5) for b in grid]) > 0)
    assert np.all(np.diff([synth.danceability(100.0, 0.5, r) for r in grid]) > 0)
    tempi = np.arange(60.0, 201.0)
    assert 115 <= tempi[np.argmax([synth.danceability(t, 0.5, 0.5) for t in tempi])] <= 125


def test_danceability_spreads_over_a_default_corpus() -> None:
    plans = synth._plan_corpus(48, 30.0, 0)
    values = [synth.danceability(p.tempo, p.beat_strength, p.regularity) for p in plans]
    assert min(values) < 0.35 and max(values) > 0.75


def test_artists_have_several_songs(corpus: Path) -> None:
    counts = Counter(row["artist"] for row in _rows(corpus))
    assert len(counts) == 2 and min(counts.values()) >= 2
    # The default corpus size: max(2, 48 // 4) = 12 artists, dealt round-robin.
    counts = Counter(plan.artist for plan in synth._plan_corpus(48, 30.0, 0))
    assert len(counts) == 12 and set(counts.values()) == {4}

"""Whether a catalog's tracks are distinct songs: unique ids (a trial keys songs by id), and no
audio file listed twice under different ids (a split would put one song on both sides)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

from bench.specs import Problem, Track


def duplicate_ids(tracks: list[Track]) -> list[Problem]:
    """A fatal problem per track id listed more than once, naming its files."""
    paths: dict[str, list[str]] = defaultdict(list)
    for track in tracks:
        paths[track.id].append(str(track.path))
    return [
        Problem(", ".join(files), f"track id {track_id!r} is listed {len(files)} times; ids must be unique", "fatal")
        for track_id, files in paths.items()
        if len(files) > 1
    ]


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def identical_audio(tracks: list[Track]) -> list[Problem]:
    """A problem per group of different ids whose files hold the same bytes, naming the split
    they would leak across (song, and artist too when their groups differ)."""
    by_hash: dict[str, list[Track]] = defaultdict(list)
    for track in tracks:
        try:
            by_hash[content_hash(track.path)].append(track)
        except OSError:
            continue  # unreadable files are reported by decoding
    problems = []
    for same in by_hash.values():
        ids = sorted({t.id for t in same})
        if len(ids) < 2:
            continue
        splits = "the song split" + (" and the artist split" if len({t.group for t in same}) > 1 else "")
        what = f"ids {', '.join(map(repr, ids))} hold identical audio: {splits} may put it in train and test (a leak)"
        problems.append(Problem(", ".join(str(t.path) for t in same), what, "kept"))
    return problems

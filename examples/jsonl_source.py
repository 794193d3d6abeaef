"""`jsonl`: a third-party data source with its own command-line option, in one file.

Clips listed in a JSON-lines file, one object per clip:

    {"file": "a/clip1.wav", "artist": "Band A", "danceability": 0.71, "energy": 0.4}

    bench validate --plugin jsonl_source --source jsonl --jsonl clips.jsonl
    bench run --plugin jsonl_source --source jsonl --jsonl clips.jsonl --model mean --split song

(with this folder on PYTHONPATH, or the module installed under the `bench` entry-point group).
`--jsonl` is this source's own flag; `--audio-dir` is shared with the built-in `folder`
source, which declares it with the same meaning. The harness resolves both to absolute paths.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench import hookimpl
from bench.specs import Catalog, OptionSpec, Problem, SourceSpec, Target, Track

TARGETS = {"danceability": Target("danceability", 0.0, 1.0), "energy": Target("energy", 0.0, 1.0)}
OPTIONS = (
    OptionSpec("jsonl", "the JSON-lines listing, one object per clip", Path, metavar="FILE.jsonl"),
    OptionSpec("audio-dir", "the folder the listing's paths are relative to (default: the listing's)", Path),
)


def load_jsonl(options):
    if not options.get("jsonl"):
        raise ValueError("the jsonl source needs --jsonl FILE.jsonl")
    listing = Path(options["jsonl"])
    if not listing.is_file():
        raise ValueError(f"--jsonl {listing}: no such file")
    audio_dir = Path(options.get("audio_dir") or listing.parent)
    tracks, problems = [], []
    for number, line in enumerate(listing.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{listing.name} line {number}"
        try:
            row = json.loads(line)
            labels = {name: float(row[name]) for name in TARGETS if row.get(name) is not None}
            path = audio_dir / row["file"]
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(Problem(where, f"unreadable row ({exc})"))
            continue
        if not path.is_file():
            problems.append(Problem(where, f"no such file: {path}"))
            continue
        tracks.append(Track(row["file"], row.get("artist") or row["file"], path, labels))
    return Catalog(tracks, dict(TARGETS), problems, description=f"jsonl: {listing.name} ({len(tracks)} clips)")


@hookimpl
def bench_sources():
    return [SourceSpec("jsonl", "clips listed in a JSON-lines file", load_jsonl, OPTIONS)]

"""`python -m bench_plugins.features.beat_census FILE...`: how many windows of some audio files get a
stable beat grid (`bench_plugins.features.beats`), and so are stacked at beats by `wav-beats` and
`mel-beats`; the rest fall back to fixed slices. A run does not report it."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from bench.features.audio import WindowStream
from bench.features.shared import WindowInputs
from bench.profiles import DEFAULT_PROFILE, PROFILES, Profile
from bench_plugins.features import beats


def census(paths: Iterable[Path | str], profile: Profile) -> tuple[int, int]:
    """(windows, windows with a stable beat) of audio files, cut into windows as a run cuts them."""
    windows = stable = 0
    for path in paths:
        for window in WindowStream(path, profile.sample_rate, profile.window_samples, profile.hop_samples):
            windows += 1
            onset = WindowInputs(window, profile.sample_rate).get(beats.onset_input(profile))
            stable += beats.grid(onset, profile).stable
    return windows, stable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench_plugins.features.beat_census",
        description="How many windows of these files wav-beats and mel-beats stack at beats; the rest fall back "
        "to fixed slices.",
    )
    parser.add_argument("files", nargs="+", type=Path, help="audio files")
    parser.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE)
    args = parser.parse_args(argv)
    windows, stable = census(args.files, PROFILES[args.profile])
    share = stable / windows if windows else 0.0
    print(
        f"{windows} windows of {len(args.files)} files (profile {args.profile}): {stable} ({share:.0%}) with a "
        f"stable beat, {windows - stable} on the fixed fallback grid"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

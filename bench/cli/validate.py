"""`bench validate`: decode every file of a source and list what a run would skip, pad or drop.

The source is loaded exactly as `bench run` loads it (same label rules, see `bench.features.labels`),
then every track is decoded once, one at a time, keeping only its duration, rate and channel
count. It prints a table of problems (unreadable files, clips shorter than a window, rates or
channel counts unlike the rest, content that does not match the extension, label problems)
and a summary of durations, rates, channels and each target's label distribution.

The exit code is 1 when a run would skip or drop anything (or a checksum does not match), or
when fewer than `MIN_TRACKS` tracks are usable (a run cannot split one song into train and
test), else 0, so it can gate a pipeline. A WAV whose header declares more audio than the file
holds (a copy cut short) decodes to what is there; it is reported, and kept.

`--checksums write` stores an md5 per file in an md5sum-compatible index (`checksums.md5` in
the folder holding every file, unless `--checksum-file` says otherwise); `--checksums verify`
compares the files against it.
"""

from __future__ import annotations

import hashlib
import os
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bench.features import identity
from bench.features.audio import AudioError, DecoderNotes, extension_mismatch, read_audio, wav_shortfall
from bench.features.extraction import MIN_WINDOW_FRACTION
from bench.profiles import Profile
from bench.specs import Catalog, Problem, SourceSpec, Target, Track
from bench.text import shown

FAILING = ("skipped", "dropped", "fatal", "mismatch")  # actions that fail validation
MIN_TRACKS = 2  # a split needs one song to train on and another to test on
CHECKSUM_NAME = "checksums.md5"
BARS = " ▁▂▃▄▅▆▇█"


@dataclass(frozen=True)
class Facts:
    """What decoding one file told: its duration, rate and channel count."""

    seconds: float
    rate: int
    channels: int


@dataclass
class Report:
    """Everything validation found."""

    catalog: Catalog
    facts: dict[str, Facts]  # by track id, files that decode
    problems: list[Problem]
    usable: list[Track]  # the tracks a run would use

    @property
    def failing(self) -> list[Problem]:
        return [p for p in self.problems if p.action in FAILING]


def kept_when_short(seconds: float, profile: Profile, short_policy: str) -> bool:
    """Whether a run keeps (pads) a clip shorter than a window: the feature stage's rule."""
    return short_policy == "pad" and seconds >= MIN_WINDOW_FRACTION * profile.window_seconds


def inspect_track(track: Track, profile: Profile, short_policy: str) -> tuple[Facts | None, list[Problem]]:
    """Decode one file; None when it does not decode."""
    notes = DecoderNotes()
    try:
        data, rate = read_audio(track.path, notes)
    except AudioError as exc:
        return None, [Problem(exc.path, exc.problem, "skipped")]
    facts = Facts(len(data) / rate, rate, data.shape[1])
    problems = [Problem(str(track.path), damaged, "kept") for damaged in [notes.summary()] if damaged]
    if facts.seconds < profile.window_seconds:
        action = "padded" if kept_when_short(facts.seconds, profile, short_policy) else "dropped"
        problems.append(
            Problem(
                str(track.path),
                f"shorter than one window ({facts.seconds:.2f} s < {profile.window_seconds:g} s)",
                action,
            )
        )
    mismatch = extension_mismatch(track.path)
    if mismatch:
        problems.append(Problem(str(track.path), f"{mismatch}: it decodes, but the name misleads other tools", "kept"))
    shortfall = wav_shortfall(track.path)
    if shortfall:
        problems.append(Problem(str(track.path), shortfall, "kept"))
    return facts, problems


def odd_formats(tracks: list[Track], facts: dict[str, Facts], profile: Profile) -> list[Problem]:
    """Rates and channel counts unlike most files, rates below the profile's, more than two channels."""
    if not facts:
        return []
    rate = Counter(f.rate for f in facts.values()).most_common(1)[0][0]
    channels = Counter(f.channels for f in facts.values()).most_common(1)[0][0]
    problems = []
    for track in tracks:
        own = facts.get(track.id)
        if own is None:
            continue
        notes = []
        if own.rate != rate:
            notes.append(f"{own.rate} Hz, unlike most files ({rate} Hz)")
        if own.rate < profile.sample_rate:
            notes.append(
                f"{own.rate} Hz is below the profile's {profile.sample_rate} Hz: "
                f"upsampled, nothing above {own.rate // 2} Hz"
            )
        if own.channels > 2:
            notes.append(f"{own.channels} channels: downmixed to stereo")
        elif own.channels != channels:
            notes.append(
                f"{_channels(own.channels)}, unlike most files ({_channels(channels)})"
                + (": duplicated to both channels" if own.channels == 1 else "")
            )
        if notes:
            problems.append(Problem(str(track.path), "; ".join(notes), "kept"))
    return problems


def inspect(catalog: Catalog, profile: Profile, short_policy: str, console: Console) -> Report:
    """Decode every track of the catalog, one at a time."""
    facts, problems, usable = {}, list(catalog.problems), []
    with Progress(console=console, transient=True) as progress:
        for track in progress.track(catalog.tracks, description="Decoding"):
            found, found_problems = inspect_track(track, profile, short_policy)
            problems += found_problems
            if found is not None:
                facts[track.id] = found
                if found.seconds >= profile.window_seconds or kept_when_short(found.seconds, profile, short_policy):
                    usable.append(track)
    return Report(catalog, facts, problems + odd_formats(catalog.tracks, facts, profile), usable)


# ---------------------------------------------------------------------------- checksums
def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def default_checksum_file(tracks: list[Track]) -> Path:
    """checksums.md5 in the deepest folder holding every track."""
    if not tracks:
        raise ValueError("the source lists no tracks: nothing to checksum")
    return Path(os.path.commonpath([t.path.parent.resolve() for t in tracks])) / CHECKSUM_NAME


def _key(path: Path, index: Path) -> str:
    """A file's name in the index: relative to the index's folder (as md5sum -c reads it)."""
    return os.path.relpath(path.resolve(), index.parent.resolve()).replace(os.sep, "/")


def write_checksums(tracks: list[Track], index: Path) -> int:
    """Write the md5 of every existing file; returns how many."""
    lines = [f"{md5(t.path)}  {_key(t.path, index)}\n" for t in tracks if t.path.is_file()]
    index.write_text("".join(lines))
    return len(lines)


def verify_checksums(tracks: list[Track], index: Path) -> list[Problem]:
    """A "mismatch" problem for every existing file that is not in the index or differs from it."""
    if not index.is_file():
        raise ValueError(f"no checksum index at {index}: write one first with --checksums write")
    known = {line[34:].rstrip("\n"): line[:32] for line in index.read_text().splitlines() if len(line) > 34}
    problems = []
    for track in tracks:
        if not track.path.is_file():
            continue  # reported already: it does not decode
        expected = known.get(_key(track.path, index))
        if expected is None:
            problems.append(Problem(str(track.path), f"not in {index}", "mismatch"))
        elif expected != md5(track.path):
            problems.append(Problem(str(track.path), f"md5 differs from {index}: the file changed", "mismatch"))
    return problems


# ---------------------------------------------------------------------------- rendering
def _channels(n: int) -> str:
    return {1: "mono", 2: "stereo"}.get(n, f"{n} channels")


def _relative(where: str, root: Path | None) -> str:
    """A path relative to the folder holding every track (shorter rows); other places as they are."""
    if root is not None and Path(where).is_absolute():
        try:
            return Path(where).relative_to(root).as_posix()
        except ValueError:
            pass
    return where


def histogram(values: list[float], target: Target, bins: int = 10) -> str:
    """A one-line bar chart of `values` over the target's range."""
    counts, _ = np.histogram(np.clip(values, target.low, target.high), bins=bins, range=(target.low, target.high))
    top = max(counts.max(), 1)
    return "".join(BARS[int(np.ceil(c / top * (len(BARS) - 1)))] for c in counts)


def by_action(problems: list[Problem]) -> str:
    """How many problems meet each fate, the failing ones first: "2 skipped, 1 dropped, 5 kept"."""
    counts = Counter(p.action for p in problems)
    order = sorted(counts, key=lambda action: (action not in FAILING, -counts[action], action))
    return ", ".join(f"{counts[action]} {action}" for action in order)


def render(report: Report, targets: list[str], console: Console) -> None:
    tracks = report.catalog.tracks
    root = Path(os.path.commonpath([t.path.parent.absolute() for t in tracks])) if tracks else None
    if report.problems:
        table = Table(
            title=shown(f"{len(report.problems)} problem(s): {by_action(report.problems)}")
            + (f" — files under {shown(str(root))}" if root else ""),
            title_justify="left",
        )
        for column in ("file or row", "problem", "action"):
            table.add_column(column)
        for p in report.problems:
            colour = "red" if p.action in FAILING else "yellow"
            table.add_row(shown(_relative(p.where, root)), shown(p.what), f"[{colour}]{shown(p.action)}[/]")
        console.print(table)
    facts = list(report.facts.values())
    console.print(
        f"[bold]{shown(report.catalog.description)}[/]: {len(tracks)} tracks listed, {len(facts)} decode, "
        f"{len(report.usable)} usable in a run"
    )
    if facts:
        seconds = [f.seconds for f in facts]
        console.print(
            f"Durations: {min(seconds):.1f} s .. {max(seconds):.1f} s, median {statistics.median(seconds):.1f} s, "
            f"{sum(seconds) / 60:.1f} min in all"
        )
        console.print(
            "Sample rates: " + ", ".join(f"{r} Hz × {n}" for r, n in Counter(f.rate for f in facts).most_common())
        )
        console.print(
            "Channels: "
            + ", ".join(f"{_channels(c)} × {n}" for c, n in Counter(f.channels for f in facts).most_common())
        )
    labels = Table(title="Labels of the usable tracks", title_justify="left")
    names = targets or list(report.catalog.targets)
    for column in ("target", "range", "n", "min", "25%", "median", "75%", "max", "histogram"):
        labels.add_column(
            column,
            justify="left" if column in ("target", "range", "histogram") else "right",
            no_wrap=True,
            min_width=max(map(len, names), default=0) if column == "target" else None,
        )
    for name in names:
        target = report.catalog.targets[name]
        values = [t.labels[name] for t in report.usable if name in t.labels]
        quartiles = np.percentile(values, [0, 25, 50, 75, 100]) if values else [float("nan")] * 5
        labels.add_row(
            shown(name),
            f"{target.low:g}..{target.high:g}",
            str(len(values)),
            *(f"{q:.3g}" for q in quartiles),
            histogram(values, target) if values else "",
        )
    console.print(labels)


def validate(
    source: SourceSpec,
    options: dict[str, Any],
    short_policy: str,
    checksums: str | None,
    checksum_file: Path | None,
    console: Console,
) -> int:
    """Run the checks, print the report; the exit code (1 when anything would be skipped or dropped)."""
    catalog = source.load({**options, "profile": options["profile"].with_knobs(source.knobs)})
    missing = [t for t in options.get("targets") or [] if t not in catalog.targets]
    if missing:
        raise ValueError(
            f"source {source.name!r} has no target {', '.join(missing)}. It offers: {', '.join(catalog.targets)}."
        )
    report = inspect(catalog, options["profile"], short_policy, console)
    report.problems += identity.duplicate_ids(catalog.tracks) + identity.identical_audio(catalog.tracks)
    if checksums:
        index = checksum_file or default_checksum_file(catalog.tracks)
        if checksums == "write":
            console.print(f"Wrote {write_checksums(catalog.tracks, index)} checksums to {index}")
        else:
            report.problems += verify_checksums(catalog.tracks, index)
    render(report, list(options.get("targets") or []), console)
    failing = report.failing
    if failing:
        others = [p for p in report.problems if p.action not in FAILING]
        console.print(
            f"[red]✗ {shown(by_action(failing))}: input a run would not use, or files that changed[/]"
            + (f" (besides: {shown(by_action(others))})" if others else "")
            + ": exit 1"
        )
        return 1
    if len(report.usable) < MIN_TRACKS:
        console.print(
            f"[red]✗ only {len(report.usable)} usable track(s): a run needs at least {MIN_TRACKS} "
            "to split into train and test[/]: exit 1"
        )
        return 1
    console.print("[green]✓ every file and label is usable[/]: exit 0")
    return 0

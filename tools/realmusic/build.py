"""Build a labelled real-music benchmark set from Debian's free game-music packages.

    nice -n 10 /work/essentia-venv/bin/python tools/realmusic/build.py [--out /work/realmusic2]   # as root

Each package in PACKAGES is fetched with `apt-get download` and unpacked with `dpkg -x`
(nothing is installed). Every music file of at least 30 s becomes one clip: its middle 30 s,
written as FLAC at the source's sample rate and channel count. Labels come from Essentia on
that clip; the output is a table for the harness's `folder` source (docs/sources.md):

    OUT/clips/PACKAGE/NAME.flac
    OUT/labels.csv      file,id,artist,danceability,dfa_danceability,tempo,tempo_confidence,loudness
    OUT/tracks.csv      where each clip came from (package path, duration, md5)
    OUT/packages.txt    package, version, tracks, artist; the build's version and settings

Packages listed in the reserved file (../shared/reserved-debian-packages.txt beside the
repository) are refused. Run it under a Python that has essentia, numpy and soundfile
(tools/realmusic/README.md).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

VERSION = "1"
DEFAULT_OUT = Path("/work/realmusic2")
REPO = Path(__file__).resolve().parents[2]
RESERVED_NAME = "reserved-debian-packages.txt"
RESERVED_FILES = (REPO.parent / "shared" / RESERVED_NAME, REPO / "shared" / RESERVED_NAME)
AUDIO_SUFFIXES = (".ogg", ".oga", ".opus", ".mp3", ".flac", ".wav")
MIN_SECONDS = 30.0
EXCERPT_SECONDS = 30.0
DFA_MAX = 3.0
RHYTHM_RATE = 44100
GENERIC_MUSIC = r"(?i)/(music|musics|tunes|soundtrack)/"
LABEL_COLUMNS = ("danceability", "dfa_danceability", "tempo", "tempo_confidence", "loudness")


@dataclass(frozen=True)
class PackageSpec:
    """A Debian package and which of its audio files are music (regexes on the unpacked path)."""

    name: str
    music: str
    exclude: str | None = None
    artist: str | None = None

    @property
    def group(self) -> str:
        """The `artist` column: the composer the package's copyright names, else the package."""
        return self.artist or self.name


PACKAGES = (
    PackageSpec("btanks-data", r"/btanks/data/tunes/"),
    PackageSpec("caveexpress-data", r"/caveexpress/sounds/music-\d+\.ogg$"),
    PackageSpec("colobot-common-sounds", r"/colobot/music/"),
    PackageSpec("enigma-data", r"/enigma/music/"),
    PackageSpec("fillets-ng-data", r"/fillets-ng/music/"),
    PackageSpec("flare-game", r"/flare/mods/[^/]+/music/", exclude=r"_ambient\."),
    PackageSpec("freedroidrpg-data", r"/freedroidrpg/data/sound/music/"),
    PackageSpec("frozen-bubble-data", r"/frozen-bubble/snd/[^/]*zik[^/]*$"),
    PackageSpec("hedgewars-data", r"/hedgewars/Data/Music/"),
    PackageSpec("megaglest-data", r"/megaglest/.*/music/"),
    PackageSpec("naev-data", r"/naev/dat/snd/music/"),
    PackageSpec("openclonk-data", r"/openclonk/Music\.ocg/"),
    PackageSpec("pathological", r"/pathological/music/"),
    PackageSpec("powermanga-data", r"/powermanga/sound/.*/music_[^/]+$"),
    PackageSpec("pushover-data", r"/pushover/themes/[^/]+$", artist="Roberto Lorenz"),
    PackageSpec("scorched3d-data", r"/scorched3d/.*/music/"),
    PackageSpec("starfighter-data", r"/starfighter/music/"),
    PackageSpec("supertux-data", r"/supertux2/music/"),
    PackageSpec("supertuxkart-data", r"/supertuxkart/data/music/", exclude=r"_(fast|f)\.[^/]+$"),
    PackageSpec("widelands-data", r"/widelands/data/music/"),
    PackageSpec("xmoto-data", r"/xmoto/Textures/Musics/"),
    PackageSpec("zaz-data", r"/zaz/mus\d+\.ogg$", artist="Leonard Ritter"),
)


class BuildError(RuntimeError):
    """A problem that stops the build; its message names the package or file."""


def read_reserved(path: Path) -> set[str]:
    """Package names in a reserved-packages file: one a line, `#` comments and blanks skipped."""
    names = set()
    for line in path.read_text().splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.add(name)
    return names


def reserved_packages(path: Path | None) -> tuple[set[str], Path | None]:
    """The reserved names and the file they came from (the first default file that exists)."""
    if path is not None:
        if not path.is_file():
            raise BuildError(f"{path}: reserved-packages file not found")
        return read_reserved(path), path
    for candidate in RESERVED_FILES:
        if candidate.is_file():
            return read_reserved(candidate), candidate
    return set(), None


def refuse_reserved(names: list[str], reserved: set[str], source: Path | None) -> None:
    """Stop before any download if a requested package is reserved."""
    clash = sorted(set(names) & reserved)
    if clash:
        raise BuildError(f"{', '.join(clash)}: reserved for an independent check in {source}; refusing to use them")


def is_music(path: str, spec: PackageSpec) -> bool:
    """Whether an unpacked file (posix path) is one of the package's music files."""
    if not path.lower().endswith(AUDIO_SUFFIXES):
        return False
    if not re.search(spec.music, path):
        return False
    return not (spec.exclude and re.search(spec.exclude, path))


def clip_names(paths: list[str]) -> dict[str, str]:
    """A unique clip name per source path: its path below the files' common folder, `/` -> `-`."""
    if not paths:
        return {}
    folders = [p.split("/")[:-1] for p in paths]
    common = 0
    while all(len(f) > common and f[common] == folders[0][common] for f in folders):
        common += 1
    names = {}
    for path in paths:
        stem = "-".join(path.split("/")[common:]).rsplit(".", 1)[0]
        names[path] = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    if len(set(names.values())) != len(names):
        raise BuildError(f"clip names collide for {sorted(paths)}")
    return names


def middle_window(frames: int, rate: int, seconds: float) -> tuple[int, int]:
    """First frame and length of the middle `seconds` of a recording of `frames` frames."""
    length = int(round(seconds * rate))
    if frames < length:
        raise ValueError(f"{frames} frames is shorter than {seconds} s at {rate} Hz")
    return (frames - length) // 2, length


def scale_danceability(dfa: float) -> float:
    """Essentia's DFA danceability (about 0..3) mapped onto the harness's 0..1 range."""
    return min(max(dfa / DFA_MAX, 0.0), 1.0)


def deb_filename_glob(package: str, version: str) -> str:
    """The file name pattern apt-get download gives a package version (`:` is `%3a`)."""
    return f"{package}_{urllib.parse.quote(version, safe='+~.-')}_*.deb".replace("%3A", "%3a")


def run(command: list[str], cwd: Path | None = None) -> str:
    """Run a command; on failure stop with its stderr."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()[-800:]}")
    return result.stdout


def candidate_version(package: str) -> str:
    """The version apt would download, or a BuildError naming a package apt does not know."""
    for line in run(["apt-cache", "policy", package]).splitlines():
        if line.strip().startswith("Candidate:"):
            version = line.split(":", 1)[1].strip()
            if version and version != "(none)":
                return version
    raise BuildError(f"{package}: apt has no candidate version (run apt-get update, or check the name)")


def download(package: str, deb_dir: Path) -> tuple[Path, str]:
    """The package's .deb in deb_dir (fetched with apt-get download unless already there) and its version."""
    version = candidate_version(package)
    run(["apt-get", "download", "-q", f"{package}={version}"], cwd=deb_dir)
    found = sorted(deb_dir.glob(deb_filename_glob(package, version)))
    if not found:
        raise BuildError(f"{package} {version}: apt-get download left no .deb in {deb_dir}")
    return found[0], version


def unpacked_music(deb: Path, root: Path, spec: PackageSpec) -> list[str]:
    """Unpack a .deb with dpkg -x and list its music files (posix paths below root, no symlinks)."""
    run(["dpkg", "-x", str(deb), str(root)])
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and is_music("/" + p.relative_to(root).as_posix(), spec)
    )


def md5(path: Path) -> str:
    """Hex md5 of a file, to drop a recording a package ships twice."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_excerpt(source: Path, clip: Path) -> tuple[float, int, int] | None:
    """Write the middle 30 s of source to clip as FLAC; the source's (seconds, rate, channels),
    or None when it is shorter than MIN_SECONDS."""
    import numpy as np
    import soundfile as sf

    info = sf.info(str(source))
    seconds = info.frames / info.samplerate
    if seconds < MIN_SECONDS:
        return None
    start, length = middle_window(info.frames, info.samplerate, EXCERPT_SECONDS)
    audio, rate = sf.read(str(source), start=start, frames=length, dtype="float32", always_2d=True)
    if len(audio) < length:
        raise BuildError(f"{source}: decoded {len(audio)} of the {length} frames asked for")
    clip.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(clip), np.clip(audio, -1.0, 1.0), rate, format="FLAC", subtype="PCM_16")
    return seconds, info.samplerate, info.channels


def analyse(clip: Path) -> dict[str, float]:
    """Essentia labels of a written clip: DFA danceability (raw and 0..1), tempo and LUFS."""
    import essentia.standard as es
    import numpy as np
    import soundfile as sf

    audio, rate = sf.read(str(clip), dtype="float32", always_2d=True)
    mono = np.ascontiguousarray(audio.mean(axis=1), dtype=np.float32)
    dfa = float(es.Danceability(sampleRate=rate)(mono)[0])
    rhythm_input = mono
    if rate != RHYTHM_RATE:
        rhythm_input = es.Resample(inputSampleRate=rate, outputSampleRate=RHYTHM_RATE)(mono)
    bpm, _, confidence, _, _ = es.RhythmExtractor2013(method="multifeature")(rhythm_input)
    stereo = audio if audio.shape[1] == 2 else np.repeat(audio[:, :1], 2, axis=1)
    loudness = float(es.LoudnessEBUR128(sampleRate=rate)(np.ascontiguousarray(stereo))[2])
    return {
        "danceability": round(scale_danceability(dfa), 4),
        "dfa_danceability": round(dfa, 4),
        "tempo": round(float(bpm), 2),
        "tempo_confidence": round(float(confidence), 3),
        "loudness": round(loudness, 2),
    }


def is_silent(clip: Path) -> bool:
    """Whether a clip is digital silence (nothing for the labels to describe)."""
    import numpy as np
    import soundfile as sf

    audio, _ = sf.read(str(clip), dtype="float32")
    return float(np.max(np.abs(audio))) < 1e-4


def build_track(spec: PackageSpec, source: Path, path: str, clip: Path) -> dict | None:
    """Excerpt and label one music file; its labels.csv/tracks.csv row, or None when it is not kept."""
    try:
        kept = write_excerpt(source, clip)
        if kept is None:
            return None
        if is_silent(clip):
            raise ValueError("the middle 30 s are silent")
        labels = analyse(clip)
    except (RuntimeError, ValueError) as error:
        clip.unlink(missing_ok=True)
        print(f"  skipped {spec.name}:/{path}: {error}", flush=True)
        return None
    seconds, rate, channels = kept
    name = clip.stem
    row = {"file": f"{spec.name}/{clip.name}", "id": f"{spec.name}/{name}", "artist": spec.group, **labels}
    row.update(package=spec.name, source="/" + path, seconds=round(seconds, 2), rate=rate, channels=channels)
    return row


def build_package(spec: PackageSpec, deb_dir: Path, clips: Path, seen: set[str]) -> tuple[str, list[dict]]:
    """Download, unpack and excerpt one package; its version and one row per kept track."""
    deb, version = download(spec.name, deb_dir)
    rows = []
    with tempfile.TemporaryDirectory(prefix=f"realmusic-{spec.name}-") as tmp:
        root = Path(tmp)
        paths = unpacked_music(deb, root, spec)
        if not paths:
            raise BuildError(f"{spec.name} {version}: no file matches its music pattern {spec.music!r}")
        for path, name in clip_names(paths).items():
            digest = md5(root / path)
            if digest in seen:
                continue
            row = build_track(spec, root / path, path, clips / spec.name / f"{name}.flac")
            if row is not None:
                seen.add(digest)
                rows.append({**row, "md5": digest})
    return version, rows


def script_sha256() -> str:
    """sha256 of this script, so packages.txt names the exact code that built the set."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def git_commit() -> str:
    """The repository commit the script ran from (`+ local changes` if the script differs), or `unknown`."""
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        return "unknown"
    changed = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--", str(Path(__file__).resolve())],
        capture_output=True,
        text=True,
    )
    return head.stdout.strip() + (" + local changes" if changed.stdout.strip() else "")


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    """A CSV of the given columns of rows, with a header."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def write_packages(path: Path, built: list[tuple[PackageSpec, str, int]], settings: dict[str, str]) -> None:
    """packages.txt: the build's settings as `# key: value` lines, then package/version/tracks/artist."""
    lines = [f"# {key}: {value}" for key, value in settings.items()]
    lines.append("package\tversion\ttracks\tartist")
    lines += [f"{spec.name}\t{version}\t{tracks}\t{spec.group}" for spec, version, tracks in built]
    path.write_text("\n".join(lines) + "\n")


def essentia_version() -> str:
    """The essentia version, or a BuildError saying how to get it."""
    try:
        import essentia
    except ImportError as error:
        raise BuildError(
            f"essentia is not importable from {sys.executable} ({error}); run this script with "
            "/work/essentia-venv/bin/python (see tools/realmusic/README.md)"
        ) from error
    essentia.log.infoActive = False
    essentia.log.warningActive = False
    return essentia.__version__


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    parser.add_argument("--deb-dir", type=Path, help="where downloaded .debs are kept (default OUT-debs)")
    parser.add_argument("--reserved", type=Path, help="reserved-packages file (default ../shared/ beside the repo)")
    parser.add_argument(
        "--packages",
        nargs="+",
        metavar="PKG",
        help="build from these packages instead of the built-in list (others: audio under a music/ folder)",
    )
    parser.add_argument("--no-update", action="store_true", help="skip apt-get update")
    return parser.parse_args(argv)


def chosen_specs(names: list[str] | None) -> list[PackageSpec]:
    """The built-in specs, or those named: a name not in PACKAGES gets the generic music rule."""
    if not names:
        return list(PACKAGES)
    known = {spec.name: spec for spec in PACKAGES}
    return [known.get(name) or PackageSpec(name, GENERIC_MUSIC) for name in names]


def build(args: argparse.Namespace) -> None:
    """Build the whole set into args.out."""
    started = time.monotonic()
    reserved, reserved_file = reserved_packages(args.reserved)
    specs = chosen_specs(args.packages)
    refuse_reserved([spec.name for spec in specs], reserved, reserved_file)
    version = essentia_version()
    out = args.out.resolve()
    deb_dir = (args.deb_dir or out.with_name(out.name + "-debs")).resolve()
    clips = out / "clips"
    if clips.exists():
        shutil.rmtree(clips)
    clips.mkdir(parents=True)
    deb_dir.mkdir(parents=True, exist_ok=True)
    if not args.no_update:
        run(["apt-get", "update", "-q"])
    rows, built, seen = [], [], set()
    for spec in specs:
        package_version, package_rows = build_package(spec, deb_dir, clips, seen)
        print(f"{spec.name} {package_version}: {len(package_rows)} tracks", flush=True)
        built.append((spec, package_version, len(package_rows)))
        rows += package_rows
    write_csv(out / "labels.csv", ["file", "id", "artist", *LABEL_COLUMNS], rows)
    write_csv(out / "tracks.csv", ["id", "package", "source", "seconds", "rate", "channels", "md5"], rows)
    settings = {
        "built by": f"tools/realmusic/build.py version {VERSION}",
        "script sha256": script_sha256(),
        "git commit": git_commit(),
        "essentia": version,
        "reserved packages file": str(reserved_file),
        "excerpt": f"middle {EXCERPT_SECONDS:g} s of each music file of at least {MIN_SECONDS:g} s, FLAC PCM_16",
        "danceability": f"essentia Danceability (DFA) / {DFA_MAX:g}, clipped to 0..1; dfa_danceability: raw",
        "tempo": "essentia RhythmExtractor2013 (multifeature) bpm and confidence, mono at 44.1 kHz",
        "loudness": "essentia LoudnessEBUR128 integrated loudness (LUFS)",
        "build seconds": f"{time.monotonic() - started:.0f}",
        "tracks": str(len(rows)),
    }
    write_packages(out / "packages.txt", built, settings)
    print(f"wrote {len(rows)} tracks from {len(built)} packages to {out} in {settings['build seconds']} s")


def main(argv: list[str] | None = None) -> int:
    """Entry point: build, or print the one-line reason it stopped."""
    try:
        build(parse_args(argv))
    except BuildError as error:
        print(f"build.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

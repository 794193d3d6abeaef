"""`ballroom`: the Ballroom dataset (698 excerpts of 30 s, ten dance styles) with its tempo in BPM.

    bench run --source ballroom --ballroom-dir ballroom --target tempo ...

    BallroomData/<Style>/<name>.wav      (data1.tar.gz; Style: ChaChaCha, Jive, ..., Viennese waltz)
    ballroomGroundTruth/<name>.bpm       one number each, found anywhere under --ballroom-dir
                                         (e.g. BallroomAnnotations/ballroomGroundTruth/)

or `--ballroom-tempi PATH`: that folder of .bpm files, or one text file with a line per
excerpt, `<name> <bpm>` (name with or without folder and extension; separated by spaces, a tab
or a comma; a header line is skipped). The group (`--ballroom-group`): `album`, the album in
the name (`Albums-Cafe_Paradiso-05` -> Cafe_Paradiso; `Media-...` names have none: the excerpt
alone), the default; `style`, the style folder; or `track`, each excerpt alone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.features.labels import LabelError, number, target_for
from bench.specs import Catalog, OptionSpec, Problem
from bench_plugins.sources.annotated import Entry, catalog, dataset_dir, number_file_entry

NAME = "ballroom"
DESCRIPTION = "Ballroom: 698 dance excerpts with their tempo in BPM (--ballroom-dir DIR)"
GROUPINGS = ("album", "style", "track")
OPTIONS = (
    OptionSpec("ballroom-dir", "the folder holding BallroomData/ and ballroomGroundTruth/", Path, metavar="DIR"),
    OptionSpec(
        "ballroom-tempi", "the tempo annotations: a folder of <name>.bpm, or one file of '<name> <bpm>' lines", Path
    ),
    OptionSpec("ballroom-group", "what the artist split keeps together", default="album", choices=GROUPINGS),
)
TARGETS = {"tempo": target_for("tempo")}
ALBUM = re.compile(r"^Albums-(.+)-\d+$")


def excerpts(root: Path) -> dict[str, list[Path]]:
    """Every <Style>/<name>.wav under BallroomData (or under the folder itself) by name."""
    data = root / "BallroomData" if (root / "BallroomData").is_dir() else root
    found = defaultdict(list)
    for style in sorted(p for p in data.iterdir() if p.is_dir()):
        for path in sorted(style.iterdir()):
            if path.suffix.lower() == ".wav" and path.is_file():
                found[path.stem].append(path)
    return found


def group(name: str, path: Path, grouping: str) -> str:
    if grouping == "style":
        return path.parent.name
    album = ALBUM.match(name) if grouping == "album" else None
    return album.group(1) if album else name


def tempo_entries(tempi: Path) -> Iterator[Entry]:
    """An Entry per .bpm file of a folder, or per line of a one-file listing."""
    if tempi.is_dir():
        for path in sorted(tempi.glob("*.bpm")):
            yield number_file_entry(path, path.stem, "tempo", f"{tempi.name}/{path.name}")
        return
    lines = tempi.read_text(encoding="utf-8", errors="replace").splitlines()
    for line_number, line in enumerate(lines, start=1):
        cells = line.replace(",", " ").split()
        if not cells or (line_number == 1 and number(cells[-1]) is None):
            continue
        name = Path(cells[0].replace("\\", "/")).name
        stem = name.rsplit(".", 1)[0] if name.lower().endswith((".wav", ".bpm")) else name
        yield Entry(f"{tempi.name} line {line_number}", stem, {"tempo": cells[-1] if len(cells) > 1 else ""})


def tempi_path(root: Path, options: dict[str, Any]) -> Path:
    if options.get("ballroom_tempi"):
        path = Path(options["ballroom_tempi"])
        if not path.exists():
            raise ValueError(f"--ballroom-tempi {path}: no such file or folder")
        return path
    found = sorted(p for p in root.rglob("ballroomGroundTruth") if p.is_dir())
    if not found:
        raise LabelError(
            f"{root}: no ballroomGroundTruth/ folder of .bpm files (ballroom: give the tempo annotations "
            "with --ballroom-tempi)"
        )
    return found[0]


def load(options: dict[str, Any]) -> Catalog:
    root = dataset_dir(options, "ballroom_dir", "--ballroom-dir")
    grouping = options.get("ballroom_group") or "album"
    tempi = tempi_path(root, options)
    clips = excerpts(root)
    if not clips:
        raise ValueError(f"--ballroom-dir {root}: no BallroomData/<Style>/*.wav")

    def audio(name: str) -> Path:
        paths = clips.get(name, [])
        if len(paths) != 1:
            found = ", ".join(str(p.relative_to(root)) for p in paths) or "none"
            raise LookupError(f"needs exactly one audio file <Style>/{name}.wav, found {found}")
        return paths[0]

    entries = list(tempo_entries(tempi))
    annotated = {entry.id for entry in entries}
    unannotated = sorted(name for name in clips if name not in annotated)
    problems = []
    if unannotated:
        shown = ", ".join(unannotated[:3]) + (" …" if len(unannotated) > 3 else "")
        problems.append(Problem(str(tempi), f"{len(unannotated)} excerpt(s) have no tempo: {shown}", "ignored"))
    groups = {name: group(name, paths[0], grouping) for name, paths in clips.items()}
    return catalog(
        NAME,
        entries,
        TARGETS,
        options,
        audio,
        groups,
        problems,
        describe=f"{{source}}: {{n}} excerpts with their tempo, grouped by {grouping}",
    )

"""`giantsteps`: the GiantSteps Tempo dataset (664 two-minute electronic dance music previews)
with its tempo in BPM.

    bench run --source giantsteps --giantsteps-dir giantsteps-tempo-dataset --target tempo ...

The dataset's repository, with the audio fetched by its audio_dl.sh:

    audio/<id>.LOFI.mp3
    annotations/tempo/<id>.LOFI.bpm      the original annotations (--giantsteps-annotations v1)
    annotations_v2/tempo/<id>.LOFI.bpm   the corrected ones (v2, the default)

Each .bpm file holds one number (the first counts). A track's id is its name without
`.LOFI`; each track is its own group (the annotations name no artist).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.features.labels import LabelError, target_for
from bench.specs import Catalog, OptionSpec
from bench_plugins.sources.annotated import catalog, dataset_dir, number_file_entry

NAME = "giantsteps"
DESCRIPTION = "GiantSteps Tempo: 664 EDM previews with their tempo in BPM (--giantsteps-dir DIR)"
VERSIONS = {"v1": "annotations/tempo", "v2": "annotations_v2/tempo"}
OPTIONS = (
    OptionSpec("giantsteps-dir", "the giantsteps-tempo-dataset folder (audio/, annotations*/)", Path, metavar="DIR"),
    OptionSpec(
        "giantsteps-annotations",
        "the tempo annotations: v1 (annotations/) or the corrected v2 (annotations_v2/)",
        default="v2",
        choices=tuple(VERSIONS),
    ),
)
TARGETS = {"tempo": target_for("tempo")}
SUFFIX = ".LOFI"


def load(options: dict[str, Any]) -> Catalog:
    root = dataset_dir(options, "giantsteps_dir", "--giantsteps-dir")
    version = options.get("giantsteps_annotations") or "v2"
    folder = root / VERSIONS[version]
    files = sorted(folder.glob("*.bpm"))
    if not files:
        raise LabelError(f"{folder}: no .bpm files (giantsteps: the {version} annotations; is --giantsteps-dir right?)")
    names: dict[str, str] = {}  # id -> file stem; of two files with one id, the first counts
    for path in files:
        names.setdefault(path.stem.removesuffix(SUFFIX), path.stem)
    entries = (
        number_file_entry(path, path.stem.removesuffix(SUFFIX), "tempo", f"{VERSIONS[version]}/{path.name}")
        for path in files
    )
    audio = root / "audio"
    return catalog(
        NAME,
        entries,
        TARGETS,
        options,
        lambda track: audio / f"{names[track]}.mp3",
        {},
        hint=f"; is {audio} there (the dataset's audio_dl.sh fetches it)?",
        describe=f"{{source}}: {{n}} tracks with their {version} tempo",
    )

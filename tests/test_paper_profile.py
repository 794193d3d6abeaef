"""The `paper` profile end to end at the seed paper's exact shapes, on CPU (issue 13 item 3).

`bench run --profile paper` on two synthetic 30 s songs (one window each: the song split
trains on one and tests on the other) trains all four CNNs for one epoch at the paper's
shapes (a 661,500-sample stereo waveform; 24 x 2,584 mel frames; 2dwav stacks 100 slices,
3dspec 38), predicts, and writes records. Every model runs at full size, 1dwav included:
one epoch of one window costs it about 14 CPU seconds (docs/performance.md, "Paper profile
on CPU").

Budget: about 3 minutes on 2 idle cores, estimated from the CPU seconds per window (the two
waveform trials dominate: 14 and 25 CPU s a window plus tracing; peak 3-4 GiB each, two at
once). Measured 7 min 46 s on the shared 2-core machine at load average ~21.
"""

from __future__ import annotations

import json

import pytest
from subprocesses import run_bench

from bench.profiles import PAPER
from bench.registry import load_registry
from bench.results.store import find_run
from bench_plugins.models import cnn_1dwav, cnn_2dspec, cnn_2dwav, cnn_3dspec
from bench_plugins.models.layers import StackSlices

pytestmark = pytest.mark.e2e  # installs packages, other backends, a cluster or paper-size models

MODULES = {m.NAME: m for m in (cnn_1dwav, cnn_2dwav, cnn_2dspec, cnn_3dspec)}
PAPER_SHAPES = {"wav": (661500, 2), "mel": (24, 2584, 2)}


def test_paper_profile_trains_predicts_and_records_all_four_cnns_at_the_papers_shapes(tmp_path):
    # A process of its own: TensorFlow reads the profile's kernel choice (Profile.onednn) when it
    # loads, and trial processes fork from a server that an earlier run in this process started.
    models = [arg for name in MODULES for arg in ("--model", name)]
    args = ["--profile", "paper", "--songs", "2", "--seconds", "30", "--epochs", "1", "--seeds", "1"]
    done = run_bench(tmp_path, "run", *args, *models, "--split", "song", "--jobs", "2")
    assert done.returncode == 0, done.stderr

    store = find_run(tmp_path / "results", None)
    info = store.info()
    assert info["status"] == "complete" and info["profile"]["name"] == "paper" and not info["profile"]["onednn"]
    shapes = json.loads((store.dir / "dataset.json").read_text())["shapes"]
    assert {name: tuple(shape) for name, shape in shapes.items()} == PAPER_SHAPES

    records = {r.model: r.to_dict() for r in store.trials()}
    assert set(records) == set(MODULES)
    for name, record in records.items():
        assert record["status"] == "ok", record.get("error")
        assert record["n_train_windows"] == 1 and record["n_test_windows"] == 1
        assert record["timing"]["epoch_s"] > 0 and record["timing"]["predict_windows_per_s"] > 0
        assert record["peak_rss_mb"] > 0 and len(record["songs"]["pred"]) == 1
        # The trained network is the paper-shaped one: same parameters as a model built here
        # from PAPER, whose stacking layers cut the waveform in 100 and the mel in 38.
        model = MODULES[name].build(
            PAPER_SHAPES[record["feature"]], PAPER.with_knobs(load_registry().models[name].knobs)
        )
        assert record["params"] == model.count_params()
        slices = {layer.slices for layer in model.layers if isinstance(layer, StackSlices)}
        assert slices == {"2dwav": {100}, "3dspec": {38}}.get(name, set())

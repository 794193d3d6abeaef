"""Training-window augmentation (`bench run --augment`): the contract of every registered
augmentation, refusals before a run starts, and the guarantee that validation and test windows
are never augmented (checked by instrumenting a real trial)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bench.features.extraction import run_feature
from bench.features.reader import FeatureReader
from bench.pipeline.config import RunConfig
from bench.pipeline.runner import plan
from bench.profiles import QUICK
from bench.results.records import TrialRecord
from bench.results.stats import cell_key
from bench.results.store import RunStore, find_run
from bench.trial import augment
from bench.trial import execute as trial
from bench.trial.augment import Augmenter, AugmentingReader, batch_rng, parse_variants
from bench.trial.execute import TrialSpec, run_trial
from bench.trial.normalization import normalizing_reader
from bench_plugins.frameworks import training

pytestmark = pytest.mark.usefixtures("librosa_kernels")  # computes features in this process


def _windows(registry, feature: str) -> np.ndarray:
    """Four windows of `feature` computed from stereo audio at four levels (one silent channel
    in the last, as a mono clip's side is)."""
    rng = np.random.default_rng(1)
    t = np.arange(QUICK.window_samples) / QUICK.sample_rate
    rows = []
    for level in (0.02, 0.1, 0.3, 0.6):
        mid = level * (np.sin(2 * np.pi * 220 * t) + 0.3 * rng.standard_normal(len(t)))
        side = 0.2 * level * rng.standard_normal(len(t)) if level < 0.6 else np.zeros_like(t)
        window = np.stack([mid + side, mid - side]).astype(np.float32)
        rows.append(run_feature(registry.features[feature], window, QUICK))
    return np.stack(rows)


def _every_augmented_feature(registry) -> list[tuple[str, str]]:
    return [(a, f) for a, spec in sorted(registry.augmentations.items()) for f in spec.apply if f != "*"]


def test_every_registered_augmentation_keeps_shape_and_dtype_is_seeded_and_changes_the_batch(registry):
    pairs = _every_augmented_feature(registry)
    assert {"noise", "tilt", "gain", "shift"} <= {a for a, _ in pairs}
    for name, feature in pairs:
        function = registry.augmentations[name].for_feature(feature)
        batch = _windows(registry, feature)
        original = batch.copy()
        first = function(batch, np.random.default_rng(0), QUICK)
        again = function(batch, np.random.default_rng(0), QUICK)
        other = function(batch, np.random.default_rng(1), QUICK)
        where = f"augmentation {name!r} on {feature!r}"
        assert first.shape == batch.shape and first.dtype == np.float32, where
        assert np.array_equal(batch, original), f"{where} changed its input in place"
        assert np.array_equal(first, again), f"{where} is not reproducible from its generator"
        assert not np.array_equal(first, other), f"{where} ignores its generator"
        assert not np.array_equal(first, batch) and np.isfinite(first).all(), where


def test_noise_is_at_the_stated_snr_and_tilt_keeps_the_windows_power(registry):
    from bench_plugins import augmentations

    wav = _windows(registry, "wav")[:3]  # both channels carry signal
    noisy = augmentations.noise_wav(wav, np.random.default_rng(0), QUICK)
    snr = 10 * np.log10(np.mean(wav**2, axis=1) / np.mean((noisy - wav) ** 2, axis=1))
    assert np.allclose(snr, augmentations.NOISE_SNR_DB, atol=0.3)
    tilted = augmentations.tilt_wav(wav, np.random.default_rng(0), QUICK)
    assert np.allclose(np.mean(tilted**2, axis=(1, 2)), np.mean(wav**2, axis=(1, 2)), rtol=1e-4)
    mel = _windows(registry, "mel")
    power = np.mean(10 ** (mel / 10), axis=(1, 2, 3))
    tilted = augmentations.tilt_mel(mel, np.random.default_rng(0), QUICK)
    assert np.allclose(np.mean(10 ** (tilted / 10), axis=(1, 2, 3)), power, rtol=1e-3)
    noisy = augmentations.noise_mel(mel, np.random.default_rng(0), QUICK)
    added = np.mean(10 ** (noisy / 10), axis=(1, 2, 3)) / power - 1
    assert np.allclose(added, 10 ** (-augmentations.NOISE_SNR_DB / 10), rtol=0.2)


def test_shift_rolls_each_window_in_time_by_its_own_offset(registry):
    from bench_plugins import augmentations

    for feature, function, axis in (("wav", augmentations.shift_wav, 0), ("mel", augmentations.shift_mel, 1)):
        batch = _windows(registry, feature)
        shifted = function(batch, np.random.default_rng(0), QUICK)
        offsets = [
            [k for k in range(batch.shape[axis + 1]) if np.array_equal(np.roll(window, -k, axis=axis), moved)]
            for window, moved in zip(batch, shifted, strict=True)
        ]
        assert all(len(found) >= 1 for found in offsets), feature
        assert len({found[0] for found in offsets}) > 1, f"{feature}: every window got the same offset"


def test_gain_is_refused_for_energy_and_loudness_before_a_run_starts(registry, isolated, capsys):
    for target in ("energy", "loudness"):
        with pytest.raises(ValueError, match=rf"augmentation 'gain' .* cannot train target '{target}': it changes"):
            augment.check(registry, [("noise",), ("tilt", "gain")], ["1dwav"], ["danceability", target])
    augment.check(registry, [("gain",)], ["1dwav"], ["danceability", "tempo"])

    from bench.cli.app import main

    assert main(["run", "--model", "1dwav", "--augment", "gain", "--target", "energy", "--songs", "8"]) == 1
    assert "augmentation 'gain' (plugin 'augmentations') cannot train target 'energy'" in capsys.readouterr().out
    assert not (isolated / "results").exists() and not (isolated / "cache").exists()


def test_unknown_augmentation_and_variants_that_augment_nothing_are_refused(registry):
    known = "gain, noise, shift, tilt"
    with pytest.raises(Exception, match=f"Unknown augmentation 'reverb'. Registered augmentations: {known}"):
        augment.check(registry, [("reverb",)], ["1dwav"], ["danceability"])
    with pytest.raises(ValueError, match="applies to none of the selected models"):
        augment.check(registry, [("noise",)], ["mean", "dsp-ridge"], ["danceability"])
    with pytest.raises(ValueError, match="named twice"):
        parse_variants(["noise,noise"])
    assert parse_variants(["noise", "tilt, gain", "noise"]) == [("noise",), ("tilt", "gain")]


def test_plan_adds_an_augmented_twin_of_each_network_and_keeps_the_clean_trials(registry, tmp_path):
    config = RunConfig(models=["1dwav", "mean"], splits=["song"], seeds=2, augment=[["noise"], ["tilt", "gain"]])
    specs = plan(registry, config, tmp_path, ["song"])
    by_model = {(s.model, s.augment) for s in specs}
    assert by_model == {("mean", ()), ("1dwav", ()), ("1dwav", ("noise",)), ("1dwav", ("tilt", "gain"))}
    assert len(specs) == 4 * 2 and len({s.id for s in specs}) == len(specs)
    ids = {s.id for s in specs}
    assert "danceability--1dwav--wav--song--seed1--aug-tilt+gain" in ids


def test_records_name_the_augmentations_and_old_records_read_as_clean():
    clean = {"id": "x", "status": "ok", "target": "t", "model": "1dwav", "feature": "wav", "split": "song", "seed": 0}
    record = TrialRecord.from_dict(clean)
    assert record.augment is None and "augment" not in record.to_dict() and cell_key(record)[1] == "1dwav"
    augmented = TrialRecord.from_dict({**clean, "augment": ["noise", "tilt"]})
    assert cell_key(augmented)[1] == "1dwav+noise+tilt" and augmented.to_dict()["augment"] == ["noise", "tilt"]


def _reader(tmp_path: Path, rows: np.ndarray, train: np.ndarray, registry, mode: str = "train") -> AugmentingReader:
    path = tmp_path / "x.npy"
    np.save(path, rows.astype(np.float32))
    normalized = normalizing_reader(FeatureReader(path), mode, train)
    return AugmentingReader(normalized, Augmenter(registry, ["noise"], "wav", QUICK), train)


def test_the_augmenting_reader_keeps_read_clean_and_refuses_non_training_rows(tmp_path, registry):
    rows = np.random.default_rng(0).normal(0.0, 0.2, size=(10, 64, 2))
    train = np.arange(6)
    reader = _reader(tmp_path, rows, train, registry)
    clean = normalizing_reader(FeatureReader(tmp_path / "x.npy"), "train", train)
    # `train` statistics come from the clean training windows, and read() is the clean path
    assert np.array_equal(reader.normalizer.statistics.mean, clean.normalizer.statistics.mean)
    assert np.array_equal(reader.read(np.arange(10)), clean.read(np.arange(10)))
    augmented = reader.read_training(train, batch_rng(0, 0, 0))
    assert augmented.shape == (6, 64, 2) and not np.array_equal(augmented, clean.read(train))
    assert np.array_equal(augmented, reader.read_training(train, batch_rng(0, 0, 0)))
    with pytest.raises(ValueError, match=r"rows \[6, 9\] are not training windows"):
        reader.read_training(np.array([1, 6, 9]), batch_rng(0, 0, 0))


def test_augmented_batches_stream_and_draw_afresh_each_epoch_reproducibly(tmp_path, registry):
    rows = np.random.default_rng(0).normal(0.0, 0.2, size=(10, 64, 2))
    train = np.arange(8)
    y = np.linspace(0, 1, 10)

    def two_epochs():
        batches = training.windows(_reader(tmp_path, rows, train, registry), train, y[train], 4, seed=3, augment=True)
        assert isinstance(batches, training.WindowBatches)  # arrays would repeat one draw every epoch
        first = [batches[i] for i in range(len(batches))]
        batches.on_epoch_end()
        return first, [batches[i] for i in range(len(batches))]

    (a1, a2), (b1, b2) = two_epochs(), two_epochs()
    for x, y_ in zip(a1 + a2, b1 + b2):
        assert np.array_equal(x[0], y_[0]) and np.array_equal(x[1], y_[1])
    order = lambda epoch: np.concatenate([b[1].ravel() for b in epoch])  # noqa: E731
    sort = lambda epoch: np.concatenate([b[0] for b in epoch])[np.argsort(order(epoch))]  # noqa: E731
    assert not np.allclose(sort(a1), sort(a2))  # the same windows, different noise


@pytest.fixture
def run_dir(tiny_run, tmp_path):
    """A writable copy of the tiny run (its feature files stay in the session's cache)."""
    return shutil.copytree(tiny_run, tmp_path / "run")


@pytest.mark.integration
def test_validation_and_test_windows_never_reach_an_augmentation(run_dir, registry, monkeypatch):
    seen: dict[str, list[np.ndarray]] = {"augmented": [], "test": [], "validation": []}
    read_training = AugmentingReader.read_training

    def spy_read_training(self, indices, rng):
        seen["augmented"].append(np.asarray(indices).copy())
        return read_training(self, indices, rng)

    calls = {"augmenter": 0}
    call = Augmenter.__call__

    def spy_augmenter(self, batch, rng):
        calls["augmenter"] += 1
        return call(self, batch, rng)

    choose, carve = trial.choose_fold, trial.carve_validation

    def spy_choose(*args):
        fold = choose(*args)
        seen["test"].append(fold.test)
        return fold

    def spy_carve(*args):
        train, validation = carve(*args)
        seen["validation"].append(validation)
        return train, validation

    epochs = set()

    def spy_batch_rng(seed, epoch, batch):
        epochs.add(epoch)
        return batch_rng(seed, epoch, batch)

    monkeypatch.setattr(training, "batch_rng", spy_batch_rng)
    monkeypatch.setattr(AugmentingReader, "read_training", spy_read_training)
    monkeypatch.setattr(Augmenter, "__call__", spy_augmenter)
    monkeypatch.setattr(trial, "choose_fold", spy_choose)
    monkeypatch.setattr(trial, "carve_validation", spy_carve)
    info = RunStore(run_dir).info()
    spec = TrialSpec(
        run_dir=str(run_dir),
        source="synthetic",
        feature="mel",
        model="2dspec",
        split="song",
        seed=0,
        target="danceability",
        profile={**info["profile"], "epochs": 2, "patience": 1},
        augment=("noise", "tilt"),
    )
    record = run_trial(spec, registry)
    augmented = np.concatenate(seen["augmented"])
    held_out = np.concatenate([*seen["test"], *seen["validation"]])
    assert record.augment == ("noise", "tilt") and record.id.endswith("--aug-noise+tilt")
    assert len(seen["augmented"]) == calls["augmenter"] >= 2  # every augmented batch went through the spy
    assert len(np.unique(augmented)) == record.extra["n_train_windows"]  # each training window, every epoch
    assert not np.isin(augmented, held_out).any()
    assert len(epochs) >= record.extra["epochs"] >= 2  # each epoch draws afresh (TensorFlow adds its tensor-spec reads)


@pytest.mark.integration
def test_bench_run_augment_noise_writes_records_naming_it(isolated, capsys):
    from bench.cli.app import main

    args = "run --model 2dspec --model mean --split song --seeds 1 --songs 8 --seconds 12 --epochs 2 --jobs 2"
    assert main([*args.split(), "--augment", "noise"]) == 0
    out = capsys.readouterr().out
    store = find_run(isolated / "results", None)
    records = {r.id: r.to_dict() for r in store.trials()}
    assert set(records) == {
        "danceability--mean--dsp--song--seed0",
        "danceability--2dspec--mel--song--seed0",
        "danceability--2dspec--mel--song--seed0--aug-noise",
    }
    assert records["danceability--2dspec--mel--song--seed0--aug-noise"]["augment"] == ["noise"]
    assert all("augment" not in r for k, r in records.items() if "aug-" not in k)
    assert json.loads((store.dir / "run.json").read_text())["config"]["augment"] == [["noise"]]
    assert "2dspec+noise" in out and "augmented on training windows only: noise" in out.replace("\n", " ")

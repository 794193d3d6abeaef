"""Training-window augmentation (`bench run --augment`): which trials it applies to, the
refusals checked before a run starts, and the reader that augments training batches only.

A run with `--augment` keeps every clean trial and adds, per variant, a twin of each network
whose feature the variant's augmentations apply to: same model, split, seed and songs, its
training batches augmented afresh each epoch. Only frameworks that train batch by batch over
epochs (`Framework.augmentable`, Keras) are augmented; the others' trials stay clean.

Order inside a trial: raw features from the cache -> augmentation -> normalisation. The
`train` normalisation statistics are fitted on the clean training windows, and validation
and test windows are read through the clean path (`read`) only: `read_training` is the one
door to augmented data and refuses any row outside the training set.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bench.profiles import Profile
from bench.registry import Registry

STREAM = 0xA06  # keeps the augmentation's random stream apart from the shuffling's


def parse_variants(values: Sequence[str] | None) -> list[tuple[str, ...]]:
    """`--augment` values -> variants: each occurrence is one variant, its comma list the
    augmentations applied together, in order ("noise,tilt" -> ("noise", "tilt"))."""
    variants: list[tuple[str, ...]] = []
    for value in values or ():
        names = tuple(name.strip() for name in value.split(",") if name.strip())
        if not names:
            raise ValueError(f"--augment {value!r}: name at least one augmentation")
        if len(set(names)) != len(names):
            raise ValueError(f"--augment {value!r}: an augmentation is named twice")
        if names not in variants:
            variants.append(names)
    return variants


def label(names: Sequence[str]) -> str:
    """How a variant is written after a model's name and in trial ids: `noise+tilt`."""
    return "+".join(names)


def applies(registry: Registry, names: Sequence[str], model: str) -> bool:
    """Whether the variant `names` augments `model`'s trials: its framework trains in epochs
    and every augmentation of the variant has a function for the model's feature."""
    spec = registry.get("model", model)
    if not registry.framework(model).augmentable:
        return False
    return all(registry.get("augmentation", name).for_feature(spec.feature) for name in names)


def check(registry: Registry, variants: list[tuple[str, ...]], models: list[str], targets: list[str]) -> None:
    """Before a run: every augmentation exists, every variant augments at least one selected
    model, and none is asked to train a target whose label it would falsify."""
    for names in variants:
        for name in names:
            spec = registry.get("augmentation", name)
            for target in targets:
                if target in spec.refuses:
                    raise ValueError(
                        f"{registry.describe('augmentation', name)} cannot train target {target!r}: "
                        f"{spec.refuses[target]}. Drop --augment {name} or predict another target."
                    )
        if not any(applies(registry, names, model) for model in models):
            features = {name: sorted(registry.augmentations[name].apply) for name in names}
            raise ValueError(
                f"--augment {','.join(names)} applies to none of the selected models: it works on features "
                f"{features} of models whose framework trains in epochs (keras); the models read "
                f"{sorted({registry.models[m].feature for m in models})}"
            )


class Augmenter:
    """A variant's functions for one feature, applied in order to a raw batch."""

    def __init__(self, registry: Registry, names: Sequence[str], feature: str, profile: Profile):
        self.names, self.profile = tuple(names), profile
        self.functions = [registry.get("augmentation", name).for_feature(feature) for name in names]
        missing = [n for n, f in zip(self.names, self.functions) if f is None]
        if missing:
            raise ValueError(f"augmentation(s) {', '.join(missing)} have no function for feature {feature!r}")

    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        for name, function in zip(self.names, self.functions):
            out = function(batch, rng, self.profile)
            if not (isinstance(out, np.ndarray) and out.shape == batch.shape and out.dtype == np.float32):
                got = f"{type(out).__name__} {getattr(out, 'shape', '')} {getattr(out, 'dtype', '')}"
                raise ValueError(
                    f"augmentation {name!r} returned {got}, expected float32 of shape {batch.shape} (the batch's own)"
                )
            batch = out
        return batch


def batch_rng(seed: int, epoch: int, batch: int) -> np.random.Generator:
    """The generator of one training batch of one epoch: the same seed redraws the same changes,
    whatever order or thread the batches are read in."""
    return np.random.default_rng((STREAM, seed, epoch, batch))


class AugmentingReader:
    """A normalising reader (bench.trial.normalization.NormalizingReader) whose `read` stays clean and
    whose `read_training` augments raw training windows before normalising them."""

    augments_training = True

    def __init__(self, normalized, augmenter: Augmenter, train_rows: np.ndarray):
        self.clean, self.augmenter = normalized, augmenter
        self.normalizer = normalized.normalizer
        self.row_shape, self.row_bytes, self.shape = normalized.row_shape, normalized.row_bytes, normalized.shape
        self.train_rows = np.asarray(train_rows)

    def __len__(self) -> int:
        return len(self.clean)

    def read(self, indices: np.ndarray) -> np.ndarray:
        """Clean, normalised rows: what validation, test and the checks before training read."""
        return self.clean.read(indices)

    def read_training(self, indices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Training rows, augmented then normalised; a row outside the training set raises."""
        indices = np.asarray(indices)
        inside = np.isin(indices, self.train_rows)
        if not inside.all():
            raise ValueError(f"read_training: rows {indices[~inside][:5].tolist()} are not training windows")
        return self.normalizer(self.augmenter(self.clean.reader.read(indices), rng))


def augmenting_reader(registry: Registry, names: Sequence[str], feature: str, profile: Profile, normalized, train):
    """`normalized` (fitted on the clean training windows) with `read_training` augmenting by `names`."""
    return AugmentingReader(normalized, Augmenter(registry, names, feature, profile), train)

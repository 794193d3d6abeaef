"""Profiles: one frozen record of the shared sizes (audio, features, model widths, training),
and the knobs a plugin declares for itself with a value per profile.

`paper` reproduces the seed paper's shapes (30 s windows at 22050 Hz, 24 mel bands x 2584
frames); `quick` keeps every topology but shrinks window, rate and widths so the default
`bench run --all` takes minutes on a 2-core CPU (docs/performance.md has the figures).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KNOB_TYPES = (str, int, float, bool)


class UndeclaredKnob(KeyError):
    """A plugin read a knob its spec does not declare."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Knob:
    """A setting one plugin declares for itself (a kernel size, a corpus size): `default`, or
    the value `profiles` gives for a profile's name. The harness hands the plugin's callables a
    profile carrying its knobs' values (`profile.knob(NAME)`) and records them in run.json; a
    feature's knobs are part of its cache key."""

    name: str
    help: str
    default: Any
    profiles: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"knob {self.name!r}: a name is lower-case letters, digits and underscores")
        unknown = sorted(set(self.profiles) - set(PROFILES))
        if unknown:
            raise ValueError(f"knob {self.name!r}: unknown profile {', '.join(unknown)}. Known: {', '.join(PROFILES)}")
        for value in (self.default, *self.profiles.values()):
            if not isinstance(value, KNOB_TYPES):
                names = ", ".join(t.__name__ for t in KNOB_TYPES)
                raise ValueError(f"knob {self.name!r}: a value is one of {names}. Received: {value!r}")

    def value(self, profile: str) -> Any:
        """The knob's value at the profile named `profile`."""
        return self.profiles.get(profile, self.default)


def knob_values(knobs: Iterable[Knob], profile: str) -> dict[str, Any]:
    """{knob: value} of `knobs` at the profile named `profile`."""
    return {knob.name: knob.value(profile) for knob in knobs}


@dataclass(frozen=True)
class Profile:
    """Every shared size a feature transform, model or trainer may read, and the values of the
    knobs of the plugin it is handed to (`knobs`, set by `with_knobs`)."""

    name: str
    description: str
    # Audio and windows
    sample_rate: int  # audio is decoded (and resampled) to this rate
    window_seconds: float
    hop_seconds: float
    # Features
    wav_rate: int  # the `wav` feature's sample rate (<= sample_rate)
    n_fft: int
    mel_hop: int
    n_mels: int
    normalization: str  # the trial's (bench.trial.normalization): "paper", "zscore", "train" or "none"
    # Models
    filters: int  # base number of convolution filters
    dense_units: int
    dropout: float
    # Training
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: str  # "adam" or "sgd"
    loss: str  # "mae" or "mse"
    patience: int  # early-stopping patience in epochs, on validation loss
    test_fraction: float
    validation_fraction: float  # taken from the training part, for early stopping
    # TensorFlow's oneDNN CPU kernels for the trials (bench.trial.tensorflow_env); a user's own
    # TF_ENABLE_ONEDNN_OPTS wins
    onednn: bool = True
    # The training recipe (bench_plugins.frameworks.training); the defaults train as the paper did
    warmup_epochs: float = 0.0  # linear learning-rate warm-up from 0, in epochs
    lr_schedule: str = "constant"  # "constant" or "cosine" (decay to 0 over `epochs`, after the warm-up)
    clipnorm: float = 0.0  # clip each gradient to this norm (0: no clipping)
    use_ema: bool = False  # validate, restore and keep an exponential moving average of the weights
    ema_momentum: float = 0.9  # per step, when use_ema
    weight_decay: float = 0.0  # decoupled weight decay (AdamW's), 0: none
    min_epochs: int = 0  # epochs before early stopping may stop (or remember a best epoch)
    # Extra training windows: every `train_hop_seconds` (a divisor of the hop; 0: none). Windows
    # off the hop's grid are only ever trained on, never validated or tested (bench.features.grid)
    train_hop_seconds: float = 0.0
    # The knobs of the plugin this profile is handed to: {name: value} (with_knobs)
    knobs: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "knobs", dict(self.knobs))
        for name in ("window_seconds", "hop_seconds"):
            value = getattr(self, name)
            if not value > 0:
                flag = "--" + name.replace("_", "-")
                raise ValueError(f"{flag} must be more than 0 (profile {self.name}). Received: {value:g}")
        if self.train_hop_seconds:
            self._check_train_hop()

    def _check_train_hop(self) -> None:
        """A training hop divides the hop in samples, so every evaluation window is also one of its."""
        fine, hop = int(round(self.train_hop_seconds * self.sample_rate)), self.hop_samples
        if not 0 < self.train_hop_seconds < self.hop_seconds or fine < 1 or hop % fine:
            raise ValueError(
                f"--train-hop-seconds must be shorter than the hop ({self.hop_seconds:g} s) and divide it "
                f"into whole windows (profile {self.name}). Received: {self.train_hop_seconds:g}"
            )

    def extraction_profile(self) -> Profile:
        """The profile the feature stage cuts windows with: at the training hop where one is set."""
        if not self.train_hop_seconds:
            return self
        return self.replace(hop_seconds=self.train_hop_seconds, train_hop_seconds=0.0)

    @property
    def grid_ratio(self) -> int:
        """How many extracted windows one hop spans: 1 without a training hop."""
        return self.hop_samples // self.extraction_profile().hop_samples

    @property
    def window_samples(self) -> int:
        return int(round(self.window_seconds * self.sample_rate))

    @property
    def hop_samples(self) -> int:
        return int(round(self.hop_seconds * self.sample_rate))

    def knob(self, name: str) -> Any:
        """The value of a knob the plugin declared (UndeclaredKnob names the ones it did)."""
        try:
            return self.knobs[name]
        except KeyError:
            declared = ", ".join(self.knobs) or "none"
            raise UndeclaredKnob(
                f"profile.knob({name!r}): the plugin declares no such knob (it declares: {declared}); add "
                f"Knob({name!r}, ...) to its spec's `knobs`"
            ) from None

    def with_knobs(self, knobs: Iterable[Knob]) -> Profile:
        """This profile as a plugin declaring `knobs` sees it: their values at this profile."""
        return self.replace(knobs=knob_values(knobs, self.name))

    def replace(self, **changes) -> Profile:
        """A copy with some fields changed (CLI overrides such as --epochs)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Profile:
        """A profile from `to_dict`'s output; fields a Profile no longer has (an older run's) are left out."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in names})


PAPER = Profile(
    name="paper",
    description="the seed paper's shapes: 30 s windows at 22050 Hz, mel 24 x 2584 (a GPU job)",
    sample_rate=22050,
    window_seconds=30.0,
    hop_seconds=30.0,
    wav_rate=22050,
    n_fft=2048,
    mel_hop=256,
    n_mels=24,
    normalization="paper",
    filters=16,
    dense_units=64,
    dropout=0.3,
    epochs=30,
    batch_size=16,
    learning_rate=1e-3,
    optimizer="adam",
    loss="mae",
    patience=5,
    test_fraction=0.2,
    validation_fraction=0.15,
    # oneDNN's gradients of the waveform models' long convolutions are far slower than
    # TensorFlow's own kernels on CPUs without AVX-512 (docs/performance.md has the figures).
    onednn=False,
)

QUICK = Profile(
    name="quick",
    description="every paper topology, shrunk (5 s windows, 8 kHz mel, 2 kHz waveform) for a laptop CPU",
    sample_rate=8000,
    window_seconds=5.0,
    hop_seconds=5.0,
    wav_rate=2000,
    n_fft=512,
    mel_hop=256,
    n_mels=24,
    normalization="zscore",  # a 0..1 waveform carries a DC offset that biases BatchNorm at inference
    filters=8,
    dense_units=16,
    dropout=0.2,
    epochs=12,
    batch_size=16,
    learning_rate=3e-3,
    optimizer="adam",
    loss="mae",
    patience=3,
    test_fraction=0.25,
    validation_fraction=0.15,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (QUICK, PAPER)}
DEFAULT_PROFILE = QUICK.name


def window_overrides(
    window_seconds: float | None, hop_seconds: float | None, train_hop_seconds: float | None = None
) -> dict[str, float]:
    """Profile changes for `--window-seconds`, `--hop-seconds` and `--train-hop-seconds`. A window
    given alone keeps the profiles' layout of back-to-back windows: the hop follows it."""
    hop = hop_seconds if hop_seconds is not None else window_seconds
    changes = {"window_seconds": window_seconds, "hop_seconds": hop, "train_hop_seconds": train_hop_seconds}
    return {name: value for name, value in changes.items() if value is not None}


def get_profile(name: str) -> Profile:
    """The named profile, or a ValueError listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"Unknown profile {name!r}. Known profiles: {', '.join(PROFILES)}.") from None

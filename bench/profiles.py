"""Profiles: one frozen record of every size knob (audio, features, model widths, training).

`paper` reproduces the seed paper's shapes (30 s windows at 22050 Hz, 24 mel bands x 2584
frames); `quick` keeps every topology but shrinks window, rate and widths so the default
`bench run --all` fits in about 8 minutes on a 2-core CPU (docs/performance.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Every size a feature transform, model or trainer may read."""

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
    wav_kernel: int  # 1dwav kernel size (paper: 100)
    wav_stride: int  # 1dwav/2dwav first-layer stride (paper: 1)
    wav_slices: int  # 2dwav: the waveform is cut into this many stacked slices (paper: 100)
    spec_slices: int  # 3dspec: the spectrogram is cut into this many time slices (paper: 38)
    # Training
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: str  # "adam" or "sgd"
    loss: str  # "mae" or "mse"
    patience: int  # early-stopping patience in epochs, on validation loss
    test_fraction: float
    validation_fraction: float  # taken from the training part, for early stopping
    # The built-in synthetic corpus
    synthetic_songs: int
    synthetic_seconds: float
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

    def __post_init__(self) -> None:
        for name in ("window_seconds", "hop_seconds"):
            value = getattr(self, name)
            if not value > 0:
                flag = "--" + name.replace("_", "-")
                raise ValueError(f"{flag} must be more than 0 (profile {self.name}). Received: {value:g}")

    @property
    def window_samples(self) -> int:
        return int(round(self.window_seconds * self.sample_rate))

    @property
    def hop_samples(self) -> int:
        return int(round(self.hop_seconds * self.sample_rate))

    def replace(self, **changes) -> Profile:
        """A copy with some fields changed (CLI overrides such as --epochs)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


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
    wav_kernel=100,
    wav_stride=1,
    wav_slices=100,
    spec_slices=38,
    epochs=30,
    batch_size=16,
    learning_rate=1e-3,
    optimizer="adam",
    loss="mae",
    patience=5,
    test_fraction=0.2,
    validation_fraction=0.15,
    synthetic_songs=66,
    synthetic_seconds=300.0,
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
    wav_kernel=100,
    wav_stride=8,
    wav_slices=100,
    spec_slices=38,
    epochs=12,
    batch_size=16,
    learning_rate=3e-3,
    optimizer="adam",
    loss="mae",
    patience=3,
    test_fraction=0.25,
    validation_fraction=0.15,
    # Many short songs: a CNN needs a few hundred distinct songs to hear rhythm rather than
    # recognise songs (docs/results.md has the measurements by corpus size).
    synthetic_songs=288,
    synthetic_seconds=10.0,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (QUICK, PAPER)}
DEFAULT_PROFILE = QUICK.name


def window_overrides(window_seconds: float | None, hop_seconds: float | None) -> dict[str, float]:
    """Profile changes for `--window-seconds` and `--hop-seconds`. A window given alone keeps the
    profiles' layout of back-to-back windows: the hop follows it."""
    hop = hop_seconds if hop_seconds is not None else window_seconds
    changes = {"window_seconds": window_seconds, "hop_seconds": hop}
    return {name: value for name, value in changes.items() if value is not None}


def get_profile(name: str) -> Profile:
    """The named profile, or a ValueError listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"Unknown profile {name!r}. Known profiles: {', '.join(PROFILES)}.") from None

"""What a feature may derive from besides the raw window: intermediates the feature stage
computes once per window and hands to every feature that declares them (`FeatureSpec.inputs`).

Features that declare equal records get the same array, computed once. A `Spectrum` whose hop
is a whole multiple of another declared one's (same channel, rate and n_fft) is that one's
frames, every k-th, so one STFT serves both. A declared record's fields, and `VERSION`, are
part of the declaring feature's cache key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

VERSION = "1"  # bump whenever bench.features.shared would compute any intermediate differently
CHANNELS = ("mid", "side")


def _check(record: object, channel: str, rate: int | None, sizes: dict[str, int]) -> None:
    name = type(record).__name__
    if channel not in CHANNELS:
        raise ValueError(f"{name}: channel must be one of {', '.join(CHANNELS)}. Received: {channel!r}")
    if rate is not None and rate <= 0:
        raise ValueError(f"{name}: rate must be a positive number of Hz (or None: the decode rate). Received: {rate}")
    for field, value in sizes.items():
        if value <= 0:
            raise ValueError(f"{name}: {field} must be positive. Received: {value}")


@dataclass(frozen=True)
class Audio:
    """One channel of the window, float32 (samples,): mid (L+R)/2 or side (L-R)/2, as
    `bench.features.audio.mid_side`; resampled to `rate` Hz (librosa.resample, soxr HQ, this
    window alone) when `rate` is set and differs from the decode rate."""

    channel: str
    rate: int | None = None

    def __post_init__(self) -> None:
        _check(self, self.channel, self.rate, {})


@dataclass(frozen=True)
class Spectrum:
    """The complex64 STFT (1 + n_fft // 2, frames) of `Audio(channel, rate)`: centred frames
    (n_fft // 2 zeros padded at each end), a periodic Hann window, frame j centred on sample
    j * hop; librosa.stft's defaults, in float32."""

    n_fft: int
    hop: int
    channel: str
    rate: int | None = None

    def __post_init__(self) -> None:
        _check(self, self.channel, self.rate, {"n_fft": self.n_fft, "hop": self.hop})


@dataclass(frozen=True)
class MelPower:
    """Mel power (n_mels, frames) float32: librosa.filters.mel(sr, n_fft, n_mels) (Slaney bands
    from 0 Hz to half the rate) times the power of `spectrum()`, as librosa.feature.melspectrogram."""

    n_mels: int
    n_fft: int
    hop: int
    channel: str
    rate: int | None = None

    def __post_init__(self) -> None:
        _check(self, self.channel, self.rate, {"n_mels": self.n_mels, "n_fft": self.n_fft, "hop": self.hop})

    def spectrum(self) -> Spectrum:
        return Spectrum(self.n_fft, self.hop, self.channel, self.rate)


Intermediate = Audio | Spectrum | MelPower
KINDS = (Audio, Spectrum, MelPower)


def describe(record: Intermediate) -> dict:
    """What a cache key holds of one declared intermediate."""
    if not isinstance(record, KINDS):
        names = ", ".join(kind.__name__ for kind in KINDS)
        raise TypeError(f"a feature's inputs must be bench.intermediates records ({names}). Received: {record!r}")
    return {"kind": type(record).__name__, **asdict(record), "version": VERSION}

"""`dfa`: danceability by detrended fluctuation analysis (Streich & Herrera, AES 118th
Convention, 2005), the algorithm behind Essentia's `Danceability`, for the `dfa-ridge` baseline.

The window's mid channel is cut into 10 ms frames and each frame's standard deviation makes a
loudness signal s(n); s minus its mean is integrated into y(n). For block lengths tau from
310 ms to 8.8 s, growing by x1.1 (Essentia's defaults, 36 lengths), F(tau) is the root mean
square residual of a straight line fitted to each block of y, over every block of that length
(sliding by one frame, as the paper; Essentia jumps by tau/50 frames on long blocks to save
time). The DFA exponent alpha is the slope of log F against log(tau + 3) between neighbouring
lengths (tau in frames; the paper's correction for short blocks), and danceability is
1 / mean(alpha): loudness that fluctuates steadily at the beat and little beyond it gives small
exponents and a high value (about 0..3). Uncorrelated loudness gives alpha = 0.5 (2.0), a
random walk of loudness alpha = 1.5.

A window holds only the block lengths it is long enough for: a 5 s `quick` window reaches
310 ms .. 4.9 s (30 of the 36 lengths), so its value is not the whole-track number Essentia
gives; use 30 s windows (`--window-seconds 30`, or `paper`) for the full range. Below 0.34 s,
on silence, or where the mean exponent is not positive, danceability is 0, as in Essentia.
"""

from __future__ import annotations

import numpy as np

from bench.features.audio import mid_side
from bench.profiles import Profile

NAME = "dfa"
VERSION = "1"
PROFILE_FIELDS = ()  # reads the window's own fields only
DESCRIPTION = "DFA danceability (Streich & Herrera 2005, Essentia's Danceability), one value"

FRAME_SECONDS = 0.01
MIN_TAU_MS, MAX_TAU_MS, TAU_MULTIPLIER = 310.0, 8800.0, 1.1
CHUNK = 4096  # blocks fitted at once: bounds memory on long windows


def shape(profile: Profile) -> tuple[int]:
    return (1,)


def tau_frames() -> np.ndarray:
    """The block lengths in 10 ms frames: 310 ms x 1.1^k up to 8.8 s, truncated to whole frames
    (stepped in float32, as Essentia's Real arithmetic, so both get the same 36 lengths)."""
    taus, tau = [], np.float32(MIN_TAU_MS)
    while tau <= np.float32(MAX_TAU_MS):
        taus.append(int(tau / np.float32(10.0)))
        tau = np.float32(tau * np.float32(TAU_MULTIPLIER))
    return np.asarray(taus)


def frame_deviation(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """s(n): the sample standard deviation of each whole 10 ms frame."""
    size = int(FRAME_SECONDS * sample_rate)
    frames = len(signal) // size
    if frames == 0 or size < 2:
        return np.zeros(0)
    return np.asarray(signal[: frames * size], dtype=np.float64).reshape(frames, size).std(axis=1, ddof=1)


def fluctuation(profile_y: np.ndarray, tau: int) -> float:
    """F(tau): root mean square residual of a least-squares line through every tau-long block of y."""
    blocks = np.lib.stride_tricks.sliding_window_view(profile_y, tau)
    x = np.arange(tau) - (tau - 1) / 2.0
    ssxx = float(x @ x)
    total = 0.0
    for start in range(0, len(blocks), CHUNK):
        chunk = blocks[start : start + CHUNK]
        centred = chunk - chunk.mean(axis=1, keepdims=True)
        ssxy = centred @ x
        ssyy = np.einsum("ij,ij->i", centred, centred)
        total += float(np.sum((ssyy - ssxy * ssxy / ssxx) / tau))
    return float(np.sqrt(max(total, 0.0) / len(blocks)))


def exponents(deviation: np.ndarray) -> np.ndarray:
    """The DFA exponents alpha between neighbouring block lengths that `deviation` (s(n)) is long enough for."""
    taus = tau_frames()
    taus = taus[taus <= len(deviation)]
    if len(taus) < 2:
        return np.zeros(0)
    profile_y = np.cumsum(deviation - deviation.mean())
    f = np.array([fluctuation(profile_y, int(tau)) for tau in taus])
    if not (f > 0).all():
        return np.zeros(0)
    return np.diff(np.log10(f)) / np.diff(np.log10(taus + 3.0))


def danceability(signal: np.ndarray, sample_rate: int) -> float:
    """1 / mean(alpha) of a mono signal; 0 where it is undefined (too short, silent, mean alpha <= 0)."""
    alpha = exponents(frame_deviation(signal, sample_rate))
    if len(alpha) == 0 or not alpha.mean() > 0:
        return 0.0
    return float(1.0 / alpha.mean())


def compute(window: np.ndarray, profile: Profile) -> np.ndarray:
    """(2, samples) stereo -> (1,): the DFA danceability of the mid channel."""
    return np.array([danceability(mid_side(window)[0], profile.sample_rate)], dtype=np.float32)

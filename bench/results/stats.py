"""Summaries of trial records: mean ± std over seeds, bootstrap intervals over songs, and
paired differences against the baselines. Pure functions of the records; nothing trains here.

The built-in metrics live here too (the `metrics` plugin registers these same functions), so
reading a run never needs a plugin: intervals and paired differences of the built-in metrics
are recomputed from the per-song predictions in the records, and any other metric's values
are read from the records as they were written.

An interval over fewer than `MIN_TEST_SONGS` distinct test songs is not computed: resampling
a handful of songs makes R²'s denominator collapse in some draws, and percentiles of those
draws are absurd (an R² interval of [-8e29, -0.125] over 5 songs), not uncertain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata

from bench.results.records import TrialRecord

MIN_TEST_SONGS = 10  # distinct test songs below which no bootstrap interval is given
CONSTANT_SPREAD = 1e-9  # a spread below this fraction of the values' scale counts as constant

Metric = Callable[[np.ndarray, np.ndarray], float]
CellKey = tuple[str, str, str, str]  # (target, model, feature, split)


def nearly_constant(values: np.ndarray) -> bool:
    """True when the spread of `values` is below CONSTANT_SPREAD of their scale: a constant
    prediction averaged over windows differs only in its last bits, and a correlation of that
    noise is a number about rounding, not about the model."""
    values = np.asarray(values, dtype=float)
    return bool(np.ptp(values) <= CONSTANT_SPREAD * np.max(np.abs(values)))


def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))))


def rmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)))


def r2(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    total = np.sum((y_true - y_true.mean()) ** 2)
    if len(y_true) < 2 or total == 0:
        return float("nan")
    return float(1 - np.sum((y_true - y_pred) ** 2) / total)


def pearson(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """NaN when either side is (nearly) constant: the correlation is undefined."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if len(y_true) < 2 or nearly_constant(y_true) or nearly_constant(y_pred):
        return float("nan")
    return float(np.corrcoef(y_true, y_pred)[0, 1])


def spearman(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """NaN when either side is (nearly) constant: ranks of rounding noise are not an order."""
    if len(y_true) < 2 or nearly_constant(y_true) or nearly_constant(y_pred):
        return float("nan")
    return pearson(rankdata(y_true), rankdata(y_pred))


BUILTIN_METRICS: dict[str, Metric] = {"r2": r2, "mae": mae, "rmse": rmse, "pearson": pearson, "spearman": spearman}


def cell_key(record: TrialRecord) -> CellKey:
    # A tuned trial (bench tune) is a row of its own beside the model's default: "1dwav (tuned20)"; round
    # brackets, since rich would take "[tuned20]" for markup and drop it.
    model = f"{record.model} ({record.tuning})" if record.tuning else record.model
    # An augmented trial (bench run --augment) is a row of its own too: "1dwav+noise", or "1dwav+noise+tilt".
    model = "+".join([model, *record.augment]) if record.augment else model
    return record.target, model, record.feature, record.split


def bootstrap_interval(
    statistic: Callable[[np.ndarray], float], n: int, resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of `statistic(indices)` over `resamples` resamples of range(n)."""
    if n < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng.integers(0, n, n)) for _ in range(resamples)])
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def pooled_songs(records: list[TrialRecord]) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """(true, pred, keys) of every test song of every record; key = (seed, fold, track)."""
    true, pred, keys = [], [], []
    for r in records:
        true += r.songs.true
        pred += r.songs.pred
        keys += [(r.seed, r.fold, t) for t in r.songs.track]
    return np.array(true), np.array(pred), keys


def distinct_songs(keys: list[tuple]) -> int:
    """How many different songs the (seed, fold, track) keys name."""
    return len({key[-1] for key in keys})


def metric_interval(records: list[TrialRecord], metric: Metric, resamples: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval of a song-level metric, songs pooled over seeds and folds; NaN
    with fewer than MIN_TEST_SONGS distinct test songs."""
    true, pred, keys = pooled_songs(records)
    if distinct_songs(keys) < MIN_TEST_SONGS:
        return float("nan"), float("nan")
    return bootstrap_interval(lambda i: metric(true[i], pred[i]), len(true), resamples)


@dataclass
class Paired:
    """Model minus baseline on the same songs of the same seeds and folds."""

    baseline: str
    difference: float
    low: float
    high: float
    songs: int  # paired (seed, fold, song) entries
    distinct: int = 0  # different songs among them

    @property
    def too_few(self) -> bool:
        return self.distinct < MIN_TEST_SONGS

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'tie' (the interval straddles 0), for a higher-is-better metric;
        'too few songs' below MIN_TEST_SONGS distinct songs."""
        if self.too_few:
            return "too few songs"
        if not np.isfinite(self.low):
            return "tie"
        return "better" if self.low > 0 else "worse" if self.high < 0 else "tie"


def paired_difference(
    model: list[TrialRecord], baseline: list[TrialRecord], metric: Metric, name: str, resamples: int = 2000
) -> Paired | None:
    """Bootstrap the metric difference over songs both were tested on, matched by seed/fold."""
    m_true, m_pred, m_keys = pooled_songs(model)
    _, b_pred, b_keys = pooled_songs(baseline)
    b_index = {k: i for i, k in enumerate(b_keys)}
    pairs = [(i, b_index[k]) for i, k in enumerate(m_keys) if k in b_index]
    if len(pairs) < 2:
        return None
    mi, bi = (np.array(x) for x in zip(*pairs))
    true, ours, theirs = m_true[mi], m_pred[mi], b_pred[bi]

    def diff(i):
        return metric(true[i], ours[i]) - metric(true[i], theirs[i])

    distinct = distinct_songs([m_keys[i] for i in mi])
    low, high = bootstrap_interval(diff, len(true), resamples) if distinct >= MIN_TEST_SONGS else (np.nan, np.nan)
    return Paired(name, diff(np.arange(len(true))), float(low), float(high), len(true), distinct)


@dataclass
class Cell:
    """One leaderboard row: a (target, model, feature, split) over its seeds and folds."""

    key: CellKey
    records: list[TrialRecord]
    failed: list[TrialRecord]
    baseline: bool = False
    leaky: bool = False
    mean: dict = field(default_factory=dict)  # "song.r2" -> mean over seeds
    std: dict = field(default_factory=dict)
    interval: tuple[float, float] = (float("nan"), float("nan"))
    songs: int = 0  # distinct test songs over the cell's ok trials
    paired: list[Paired] = field(default_factory=list)
    cost: dict = field(default_factory=dict)  # timing/memory means

    @property
    def target(self) -> str:
        return self.key[0]

    @property
    def model(self) -> str:
        return self.key[1]

    @property
    def feature(self) -> str:
        return self.key[2]

    @property
    def split(self) -> str:
        return self.key[3]

    @property
    def runs(self) -> int:
        return len(self.records)


COSTS: dict[str, Callable[[TrialRecord], float | None]] = {
    "train_s": lambda r: (r.timing or {}).get("train_s"),
    "epoch_s": lambda r: (r.timing or {}).get("epoch_s"),
    "feature_s": lambda r: (r.timing or {}).get("feature_s"),
    "predict_windows_per_s": lambda r: (r.timing or {}).get("predict_windows_per_s"),
    "peak_rss_mb": lambda r: r.peak_rss_mb,
    "params": lambda r: r.params,
}


def summarize(
    records: list[TrialRecord], metrics: dict[str, Metric], primary: str = "r2", resamples: int = 2000
) -> list[Cell]:
    """Cells of every (target, model, feature, split), with paired comparisons to each baseline."""
    grouped: dict[CellKey, list[TrialRecord]] = defaultdict(list)
    for record in records:
        grouped[cell_key(record)].append(record)
    cells = []
    for key, group in sorted(grouped.items()):
        ok = [r for r in group if r.ok]
        cell = Cell(key, ok, [r for r in group if not r.ok])
        if ok:
            cell.baseline, cell.leaky = bool(ok[0].baseline), bool(ok[0].leaky)
            for level in ("song", "window"):
                for name in ok[0].metrics[level]:
                    values = np.array([_number(r.metrics[level].get(name)) for r in ok], dtype=float)
                    cell.mean[f"{level}.{name}"] = (
                        float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
                    )
                    cell.std[f"{level}.{name}"] = (
                        float(np.nanstd(values, ddof=1)) if np.isfinite(values).sum() > 1 else float("nan")
                    )
            cell.songs = distinct_songs(pooled_songs(ok)[2])
            if primary in metrics:
                cell.interval = metric_interval(ok, metrics[primary], resamples)
            for name, read in COSTS.items():
                values = [v for v in map(read, ok) if v is not None]
                cell.cost[name] = float(np.mean(values)) if values else float("nan")
        cells.append(cell)
    by_key = {c.key: c for c in cells}
    for cell in cells:
        if cell.baseline or not cell.records or primary not in metrics:
            continue
        for other in cells:
            same_place = (other.target, other.split) == (cell.target, cell.split)
            if other.baseline and same_place and other.records:
                paired = paired_difference(
                    cell.records, by_key[other.key].records, metrics[primary], other.model, resamples
                )
                if paired:
                    cell.paired.append(paired)
    return cells


def _number(value) -> float:
    """A metric value read from a record as a float; NaN for anything else (a hand-edited or foreign record)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")

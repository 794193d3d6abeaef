"""Summaries of trial records: mean ± std over seeds, two-stage bootstrap intervals (seeds, then
songs), and paired differences against the baselines and probes. Pure functions of the records; nothing trains here.

The built-in metrics live here too (the `metrics` plugin registers these same functions), so
reading a run never needs a plugin: intervals and paired differences of the built-in metrics
are recomputed from the per-song predictions in the records, and any other metric's values
are read from the records as they were written.

An interval over fewer than `MIN_TEST_SONGS` distinct test songs is not computed: resampling
a handful of songs makes R²'s denominator collapse in some draws, and percentiles of those
draws are absurd (an R² interval of [-8e29, -0.125] over 5 songs), not uncertain.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

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


def rankdata(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties given their average rank (scipy's default, without importing scipy.stats)."""
    _, inverse, counts = np.unique(np.asarray(values, dtype=float), return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return ((ends - counts + 1 + ends) / 2)[inverse]


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
    true: list[float] = []
    pred: list[float] = []
    keys: list[tuple] = []
    for r in records:
        true += r.predictions.true
        pred += r.predictions.pred
        keys += [(r.seed, r.fold, t) for t in r.predictions.track]
    return np.array(true), np.array(pred), keys


def distinct_songs(keys: list[tuple]) -> int:
    """How many different songs the (seed, fold, track) keys name."""
    return len({key[-1] for key in keys})


def metric_interval(
    records: list[TrialRecord], metric: Metric, resamples: int = 2000, name: str | None = None
) -> tuple[float, float]:
    """95% two-stage bootstrap interval of a song-level metric's mean over seeds (seeds resampled,
    then each drawn seed's test songs); NaN with fewer than MIN_TEST_SONGS distinct test songs."""
    if distinct_songs(pooled_songs(records)[2]) < MIN_TEST_SONGS:
        return float("nan"), float("nan")
    by_seed: dict[int, list] = defaultdict(list)
    for r in records:
        true, pred = np.asarray(r.predictions.true, dtype=float), np.asarray(r.predictions.pred, dtype=float)
        by_seed[r.seed].append((len(true), _on_indices(metric, name, true, pred)))
    return two_stage_interval(list(by_seed.values()), resamples)


Statistic = Callable[[np.ndarray], np.ndarray]  # (m, n) song indices -> m values


def _vector_r2(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    total = np.sum((t - t.mean(axis=1, keepdims=True)) ** 2, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 1 - np.sum((t - p) ** 2, axis=1) / np.where(total > 0, total, 1), np.nan)


def _vector_pearson(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    t, p = t - t.mean(axis=1, keepdims=True), p - p.mean(axis=1, keepdims=True)
    st, sp = np.sqrt(np.sum(t * t, axis=1)), np.sqrt(np.sum(p * p, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sum(t * p, axis=1) / (st * sp)
    return np.where((st > 0) & (sp > 0), r, np.nan)


# Row-wise versions of the built-in metrics over (m, n) arrays; any other metric is looped.
VECTOR_METRICS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "r2": _vector_r2,
    "mae": lambda t, p: np.mean(np.abs(t - p), axis=1),
    "rmse": lambda t, p: np.sqrt(np.mean((t - p) ** 2, axis=1)),
    "pearson": _vector_pearson,
}


def _on_indices(metric: Metric, name: str | None, true: np.ndarray, pred: np.ndarray) -> Statistic:
    """The metric on each row of an (m, n) index matrix into one trial's songs."""
    vector = VECTOR_METRICS.get(name) if name and BUILTIN_METRICS.get(name) is metric else None
    if vector is not None and name == "pearson" and nearly_constant(pred):
        return lambda idx: np.full(len(idx), np.nan)  # undefined, as pearson() says
    if name == "r2" and vector is not None:
        return lambda idx: _weighted_r2(counts(idx), true, pred)
    if vector is not None:
        return lambda idx: vector(true[idx], pred[idx])
    return lambda idx: np.array([metric(true[row], pred[row]) for row in idx], dtype=float)


def _difference_on_indices(metric: Metric, name: str | None, true, ours, base) -> Statistic:
    """metric(ours) − metric(base) on each row of an index matrix (the draw counts shared for R²)."""
    if name == "r2" and BUILTIN_METRICS.get(name) is metric:
        return lambda idx: (lambda w: _weighted_r2(w, true, ours) - _weighted_r2(w, true, base))(counts(idx))
    a, b = _on_indices(metric, name, true, ours), _on_indices(metric, name, true, base)
    return lambda idx: a(idx) - b(idx)


def counts(idx: np.ndarray) -> np.ndarray:
    """(m, n) indices into n songs -> (m, n) how often each song was drawn in each row."""
    m, n = idx.shape
    return np.bincount((idx + n * np.arange(m)[:, None]).ravel(), minlength=m * n).reshape(m, n).astype(float)


def _weighted_r2(w: np.ndarray, t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """R² of each resample given by its draw counts (matrix products instead of gathered copies)."""
    n = w.shape[1]
    total = w @ (t * t) - (w @ t) ** 2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 1e-12 * max(1.0, float(np.max(t * t))), 1 - (w @ ((t - p) ** 2)) / total, np.nan)


def two_stage_interval(
    seeds: list[list[tuple[int, Statistic]]], resamples: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile interval of a mean over seeds: each resample draws the seeds with replacement,
    then, for each draw, every one of that seed's trials (its folds) draws its songs with
    replacement; a seed's value is the mean of its trials' statistics. `seeds` holds, per seed,
    (songs, statistic) of each trial."""
    rng = np.random.default_rng(seed)
    count = len(seeds)
    picks = rng.integers(0, count, (resamples, count))
    values = np.full((resamples, count), np.nan)
    for s, trials in enumerate(seeds):
        where = np.nonzero(picks == s)
        if not len(where[0]):
            continue
        total = np.zeros(len(where[0]))
        for n, statistic in trials:
            total += statistic(rng.integers(0, n, (len(where[0]), n)))
        values[where] = total / len(trials)
    means = values.mean(axis=1)
    means = means[np.isfinite(means)]
    if len(means) == 0:
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


@dataclass
class Paired:
    """Model minus baseline on the same songs of the same seeds and folds."""

    baseline: str
    difference: float
    low: float
    high: float
    songs: int  # paired (seed, fold, song) entries
    distinct: int = 0  # different songs among them
    higher: bool = True  # whether a higher value of the metric is better

    @property
    def too_few(self) -> bool:
        return self.distinct < MIN_TEST_SONGS

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'tie' (the interval straddles 0), in the metric's own direction;
        'too few songs' below MIN_TEST_SONGS distinct songs."""
        if self.too_few:
            return "too few songs"
        if not np.isfinite(self.low):
            return "tie"
        up, down = ("better", "worse") if self.higher else ("worse", "better")
        return up if self.low > 0 else down if self.high < 0 else "tie"


def paired_difference(
    model: list[TrialRecord],
    baseline: list[TrialRecord],
    metric: Metric,
    name: str,
    resamples: int = 2000,
    metric_name: str | None = None,
    higher: bool = True,
    interval: tuple[float, float] | None = None,
) -> Paired | None:
    """The metric's difference on the songs both were tested on, matched by seed/fold: the mean
    over seeds of each trial's difference, with a two-stage bootstrap interval (seeds, then songs)."""
    theirs = {(r.seed, r.fold): dict(zip(r.predictions.track, r.predictions.pred)) for r in baseline}
    by_seed: dict[int, list] = defaultdict(list)
    point: dict[int, list[float]] = defaultdict(list)
    keys = []
    for r in model:
        other = theirs.get((r.seed, r.fold), {})
        rows = [i for i, t in enumerate(r.predictions.track) if t in other]
        if len(rows) < 2:
            continue
        true = np.asarray(r.predictions.true, dtype=float)[rows]
        ours = np.asarray(r.predictions.pred, dtype=float)[rows]
        base = np.array([other[r.predictions.track[i]] for i in rows], dtype=np.float64)
        by_seed[r.seed].append((len(rows), _difference_on_indices(metric, metric_name, true, ours, base)))
        point[r.seed].append(metric(true, ours) - metric(true, base))
        keys += [(r.seed, r.fold, r.predictions.track[i]) for i in rows]
    if len(keys) < 2:
        return None
    difference = float(np.mean([np.mean(v) for v in point.values()]))
    distinct = distinct_songs(keys)
    if interval is not None:
        low, high = interval
    elif distinct >= MIN_TEST_SONGS:
        low, high = two_stage_interval(list(by_seed.values()), resamples)
    else:
        low, high = np.nan, np.nan
    return Paired(name, difference, float(low), float(high), len(keys), distinct, higher)


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
    probe: Paired | None = None  # against the probe model of the cell's feature, when one ran
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


class IntervalCache:
    """Intervals already computed, keyed by a hash of what they depend on (no-op by default)."""

    def get(self, key: str) -> tuple[float, float] | None:
        return None

    def put(self, key: str, value: tuple[float, float]) -> None:
        pass


def content_key(kind: str, metric: str, resamples: int, *groups: list[TrialRecord]) -> str:
    """A hash of the seeds, folds, songs and predictions of `groups` (and what is computed)."""
    sha = hashlib.sha256(f"{kind}|{metric}|{resamples}|two-stage".encode())
    for group in groups:
        for r in sorted(group, key=lambda r: (r.seed, r.fold)):
            sha.update(f"|{r.seed},{r.fold},{len(r.predictions.track)}|".encode())
            sha.update("\0".join(r.predictions.track).encode())
            sha.update(np.asarray(r.predictions.true, dtype=float).tobytes())
            sha.update(np.asarray(r.predictions.pred, dtype=float).tobytes())
        sha.update(b"#")
    return sha.hexdigest()[:32]


def summarize(
    records: list[TrialRecord],
    metrics: dict[str, Metric],
    primary: str = "r2",
    resamples: int = 2000,
    higher: bool = True,
    cache: IntervalCache | None = None,
    references: tuple[str, ...] = (),
) -> list[Cell]:
    """Cells of every (target, model, feature, split), with paired comparisons to each baseline
    and to each model named in `references`; `higher` is the primary metric's direction, `cache`
    keeps computed intervals."""
    cache = cache or IntervalCache()
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
                for name in ok[0].scores.get(level, {}):
                    values = np.array([_number(r.scores.get(level, {}).get(name)) for r in ok], dtype=np.float64)
                    cell.mean[f"{level}.{name}"] = (
                        float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
                    )
                    cell.std[f"{level}.{name}"] = (
                        float(np.nanstd(values, ddof=1)) if np.isfinite(values).sum() > 1 else float("nan")
                    )
            cell.songs = distinct_songs(pooled_songs(ok)[2])
            if primary in metrics:
                k = content_key("interval", primary, resamples, ok)
                cell.interval = cache.get(k) or metric_interval(ok, metrics[primary], resamples, primary)
                cache.put(k, cell.interval)
            for name, read in COSTS.items():
                costs = [v for v in map(read, ok) if v is not None]
                cell.cost[name] = float(np.mean(costs)) if costs else float("nan")
        cells.append(cell)
    by_key = {c.key: c for c in cells}
    for cell in cells:
        if not cell.records or primary not in metrics:
            continue
        for other in cells:
            same_place = (other.target, other.split) == (cell.target, cell.split)
            compared = other.model in references or (other.baseline and not cell.baseline)
            if compared and same_place and other.records and other is not cell:
                paired = _paired(cell.records, by_key[other.key], metrics[primary], primary, resamples, higher, cache)
                if paired:
                    cell.paired.append(paired)
    return cells


def _paired(records, other: Cell, metric, name, resamples, higher, cache) -> Paired | None:
    """paired_difference, its interval taken from `cache` when it holds it."""
    k = content_key("paired", name, resamples, records, other.records)
    known = cache.get(k)
    if known is None:
        paired = paired_difference(records, other.records, metric, other.model, resamples, name, higher)
        if paired is not None:
            cache.put(k, (paired.low, paired.high))
        return paired
    return paired_difference(records, other.records, metric, other.model, 0, name, higher, interval=known)


def add_probe_differences(
    cells: list[Cell],
    probes: dict[str, str],
    metric: Metric,
    name: str,
    resamples: int = 2000,
    higher: bool = True,
    cache: IntervalCache | None = None,
) -> None:
    """Set each cell's paired difference with the probe model of its feature (`probes`: feature
    -> model), on the same target and split; cells of the probes themselves get none."""
    cache = cache or IntervalCache()
    by_place = {(c.target, c.split, c.model): c for c in cells if c.records}
    for cell in cells:
        probe = by_place.get((cell.target, cell.split, probes.get(cell.feature, "")))
        if probe is None or probe is cell or not cell.records or cell.baseline:
            continue
        cell.probe = _paired(cell.records, probe, metric, name, resamples, higher, cache)


def _number(value) -> float:
    """A metric value read from a record as a float; NaN for anything else (a hand-edited or foreign record)."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")

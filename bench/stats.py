"""Summaries of trial records: mean ± std over seeds, bootstrap intervals over songs, and
paired differences against the baselines. Pure functions of the records; nothing trains here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Metric = Callable[[np.ndarray, np.ndarray], float]
CellKey = tuple[str, str, str, str]  # (target, model, feature, split)


def cell_key(record: dict) -> CellKey:
    return record["target"], record["model"], record["feature"], record["split"]


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


def pooled_songs(records: list[dict]) -> tuple[np.ndarray, np.ndarray, list[tuple]]:
    """(true, pred, keys) of every test song of every record; key = (seed, fold, track)."""
    true, pred, keys = [], [], []
    for r in records:
        true += r["songs"]["true"]
        pred += r["songs"]["pred"]
        keys += [(r["seed"], r["fold"], t) for t in r["songs"]["track"]]
    return np.array(true), np.array(pred), keys


def metric_interval(records: list[dict], metric: Metric, resamples: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval of a song-level metric, songs pooled over seeds and folds."""
    true, pred, _ = pooled_songs(records)
    return bootstrap_interval(lambda i: metric(true[i], pred[i]), len(true), resamples)


@dataclass
class Paired:
    """Model minus baseline on the same songs of the same seeds and folds."""

    baseline: str
    difference: float
    low: float
    high: float
    songs: int

    @property
    def verdict(self) -> str:
        """'better', 'worse' or 'tie' (the interval straddles 0), for a higher-is-better metric."""
        if not np.isfinite(self.low):
            return "tie"
        return "better" if self.low > 0 else "worse" if self.high < 0 else "tie"


def paired_difference(
    model: list[dict], baseline: list[dict], metric: Metric, name: str, resamples: int = 2000
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

    low, high = bootstrap_interval(diff, len(true), resamples)
    return Paired(name, diff(np.arange(len(true))), low, high, len(true))


@dataclass
class Cell:
    """One leaderboard row: a (target, model, feature, split) over its seeds and folds."""

    key: CellKey
    records: list[dict]
    failed: list[dict]
    baseline: bool = False
    leaky: bool = False
    mean: dict = field(default_factory=dict)  # "song.r2" -> mean over seeds
    std: dict = field(default_factory=dict)
    interval: tuple[float, float] = (float("nan"), float("nan"))
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


COSTS = {
    "train_s": lambda r: r["timing"].get("train_s"),
    "epoch_s": lambda r: r["timing"].get("epoch_s"),
    "feature_s": lambda r: r["timing"].get("feature_s"),
    "predict_windows_per_s": lambda r: r["timing"].get("predict_windows_per_s"),
    "peak_rss_mb": lambda r: r.get("peak_rss_mb"),
    "params": lambda r: r.get("params"),
}


def summarize(
    records: list[dict], metrics: dict[str, Metric], primary: str = "r2", resamples: int = 2000
) -> list[Cell]:
    """Cells of every (target, model, feature, split), with paired comparisons to each baseline."""
    grouped: dict[CellKey, list[dict]] = defaultdict(list)
    for record in records:
        grouped[cell_key(record)].append(record)
    cells = []
    for key, group in sorted(grouped.items()):
        ok = [r for r in group if r["status"] == "ok"]
        cell = Cell(key, ok, [r for r in group if r["status"] != "ok"])
        if ok:
            cell.baseline, cell.leaky = ok[0]["baseline"], ok[0]["leaky"]
            for level in ("song", "window"):
                for name in ok[0]["metrics"][level]:
                    values = np.array([r["metrics"][level][name] for r in ok], dtype=float)
                    cell.mean[f"{level}.{name}"] = (
                        float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
                    )
                    cell.std[f"{level}.{name}"] = (
                        float(np.nanstd(values, ddof=1)) if np.isfinite(values).sum() > 1 else float("nan")
                    )
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

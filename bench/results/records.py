"""What a run leaves on disk, as types: `TrialRecord` (one trial's JSON) and `RunInfo` (run.json).

`bench.results.store.RunStore` is the one place these are written and read; the read side (stats,
leaderboard, report, compare, export) works with these attributes instead of string keys.
Both carry a `schema_version`; files written before it existed (no `schema_version`) are
version 0 and have the same shape, so they load unchanged. The JSON keeps its shape: a field
this schema does not name (one a newer writer or a plugin added) is kept in `extra` and
written back as it was, and a result field a trial did not produce (a failed trial has no
metrics) is left out rather than written as null.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class SongPredictions:
    """The test songs of one trial: track ids, true values and aggregated predictions, aligned."""

    track: list[str]
    true: list[float]
    pred: list[float]


@dataclass
class TrialRecord:
    """One trial: what it trained on and how, and its results (absent when it failed)."""

    id: str
    status: str  # "ok", "failed" or "running"
    target: str
    model: str
    feature: str
    split: str
    seed: int
    fold: int = 0
    folds: int | None = None
    source: str | None = None
    profile: str | None = None  # the profile's name
    aggregate: str = "mean"
    tuning: str | None = None  # the tuned configuration's label (bench tune); None for the defaults
    augment: list[str] | None = None  # training-window augmentations, in order (bench.trial.augment); None: clean
    # results: None when the trial did not produce them (left out of the JSON)
    baseline: bool | None = None
    leaky: bool | None = None
    metrics: dict[str, dict[str, float]] | None = None  # level ("song", "window") -> metric -> value
    target_metrics: list[str] | None = None  # metrics only this target gets (MetricSpec.targets), shown on its board
    timing: dict[str, float] | None = None
    songs: SongPredictions | None = None
    history: dict[str, list[float]] | None = None
    best_epoch: int | None = None
    params: int | None = None
    peak_rss_mb: float | None = None
    # part ("train", "validation", "test") -> {"songs": n, "artists": n}; None before it was recorded
    fold_counts: dict[str, dict[str, int]] | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # every field this schema does not name
    schema_version: int = SCHEMA_VERSION

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def predictions(self) -> SongPredictions:
        """The test songs of a finished trial; ValueError naming the trial when its record has none."""
        if self.songs is None:
            raise ValueError(f"trial {self.id}: its record holds no song predictions (status {self.status!r})")
        return self.songs

    @property
    def scores(self) -> dict[str, dict[str, float]]:
        """level -> metric -> value; empty when the trial produced none."""
        return self.metrics or {}

    @property
    def curves(self) -> dict[str, list[float]]:
        """The training history (metric -> value per epoch); empty when the trial recorded none."""
        return self.history or {}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrialRecord:
        """A record from its JSON object (any schema version, 0 = written before versions)."""
        known, extra = _split(cls, data)
        if isinstance(known.get("songs"), dict):
            known["songs"] = SongPredictions(**known["songs"])
        return cls(**known, extra=extra, schema_version=data.get("schema_version", 0))

    def to_dict(self) -> dict[str, Any]:
        """The JSON object, in the current schema version."""
        data = _join(self, OPTIONAL_TRIAL_FIELDS)
        if self.songs is not None:
            data["songs"] = {"track": self.songs.track, "true": self.songs.true, "pred": self.songs.pred}
        return data


OPTIONAL_TRIAL_FIELDS = frozenset(
    (
        "tuning",
        "augment",
        "baseline",
        "leaky",
        "metrics",
        "target_metrics",
        "timing",
        "songs",
        "history",
        "best_epoch",
        "params",
        "peak_rss_mb",
        "fold_counts",
        "error",
    )
)


@dataclass
class RunInfo:
    """A run's run.json: its settings, where it ran, and how it ended."""

    run_id: str
    status: str  # "running" or "complete"
    config: dict[str, Any]  # the RunConfig as given (source, models, seeds, folds, plugins ...)
    profile: dict[str, Any]  # the resolved Profile's fields
    started: str | None = None
    finished: str | None = None
    backend: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    git_commit: str | None = None
    machine: dict[str, Any] = field(default_factory=dict)
    plugins: list[dict[str, Any]] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)  # name, description, tracks, windows, groups
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    trials: int | None = None
    failed_trials: int | None = None
    wall_s: float | None = None
    tuning: dict[str, Any] | None = None  # bench tune's budget and study storage, when it ran
    data: dict[str, Any] | None = None  # the dataset fingerprint (bench.pipeline.provenance); None before it existed
    # per model: plugin, version, code hash (bench.pipeline.provenance)
    model_code: dict[str, dict[str, Any]] | None = None
    # the declared metrics and splits (bench.pipeline.provenance.design); upgrade() fills them for older runs
    metrics: list[dict[str, Any]] | None = None  # name, higher_is_better, primary
    splits: list[dict[str, Any]] | None = None  # name, leaky, order
    extra: dict[str, Any] = field(default_factory=dict)  # every field this schema does not name
    schema_version: int = SCHEMA_VERSION

    @property
    def seeds(self) -> int:
        return self.config["seeds"]

    @property
    def split_seed(self) -> int | None:
        """--split-seed: the seed of the one split every seed shares (None: each seed draws its own)."""
        return self.config.get("split_seed")

    @property
    def folds(self) -> int | None:
        return self.config.get("folds")

    @property
    def primary(self) -> str:
        """The primary metric's name: the one the boards rank by and intervals are computed for."""
        return next((m["name"] for m in self.declared[0] if m.get("primary")), LEGACY_PRIMARY)

    def higher_is_better(self, metric: str) -> bool:
        """Whether a higher value of `metric` is better (True for a metric the run did not declare)."""
        return next((bool(m["higher_is_better"]) for m in self.declared[0] if m["name"] == metric), True)

    def split_order(self, split: str) -> int:
        """Where `split` goes on the boards: declared order, undeclared splits after grouped ones."""
        return next((int(s["order"]) for s in self.declared[1] if s["name"] == split), UNDECLARED_ORDER)

    def leaky_splits(self) -> list[str]:
        """The splits that put one song's windows on both sides, in board order."""
        return [s["name"] for s in sorted(self.declared[1], key=lambda s: s["order"]) if s.get("leaky")]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunInfo:
        known, extra = _split(cls, data)
        return cls(**known, extra=extra, schema_version=data.get("schema_version", 0))

    def to_dict(self) -> dict[str, Any]:
        return _join(self, OPTIONAL_RUN_FIELDS)

    @property
    def declared(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(metrics, splits) as declared, or as older runs meant them (`upgrade`)."""
        return upgrade(self.metrics, self.splits)


OPTIONAL_RUN_FIELDS = frozenset(
    ("finished", "trials", "failed_trials", "wall_s", "tuning", "data", "model_code", "metrics", "splits")
)

# What a run.json written before runs declared their metrics and splits meant: the built-in
# metrics with R² primary, and the built-in splits with the shuffled-window one leaky and last.
LEGACY_PRIMARY = "r2"
LEGACY_METRICS = [
    {"name": "r2", "higher_is_better": True, "primary": True},
    {"name": "mae", "higher_is_better": False, "primary": False},
    {"name": "rmse", "higher_is_better": False, "primary": False},
    {"name": "pearson", "higher_is_better": True, "primary": False},
    {"name": "spearman", "higher_is_better": True, "primary": False},
]
LEGACY_SPLITS = [
    {"name": "song", "leaky": False, "order": 0},
    {"name": "artist", "leaky": False, "order": 1},
    {"name": "fma-official", "leaky": False, "order": 2},
    {"name": "window", "leaky": True, "order": 9},
]
UNDECLARED_ORDER = 5


def upgrade(metrics: list | None, splits: list | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A run's declared metrics and splits: the one place a run.json written before they were
    recorded gets the defaults it was read with (the file itself is left as it is)."""
    return (metrics if metrics is not None else LEGACY_METRICS), (splits if splits is not None else LEGACY_SPLITS)


def _split(cls, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the fields `cls` names, every other field) of a JSON object."""
    names = {f.name for f in fields(cls)} - {"extra", "schema_version"}
    known = {k: v for k, v in data.items() if k in names}
    extra = {k: v for k, v in data.items() if k not in names and k != "schema_version"}
    return known, extra


def _join(record, optional: frozenset[str]) -> dict[str, Any]:
    """The named fields (an optional one only when set), the extra ones, and the schema version."""
    data = {
        f.name: getattr(record, f.name)
        for f in fields(record)
        if f.name not in ("extra", "schema_version") and not (f.name in optional and getattr(record, f.name) is None)
    }
    return {**data, **record.extra, "schema_version": SCHEMA_VERSION}

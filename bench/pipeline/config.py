"""What a run was asked to do: the configuration run.json stores and `--resume` reads back."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bench.profiles import Profile, get_profile

# A trial's wall-clock limit per profile unless --trial-timeout says otherwise: far above what
# a trial needs on a loaded CPU (docs/performance.md), so only a hung trial reaches it.
DEFAULT_TRIAL_TIMEOUT_S = {"quick": 3 * 3600.0, "paper": 7 * 24 * 3600.0}


@dataclass
class RunConfig:
    """Everything `bench run` was asked to do; stored in run.json so a run can resume."""

    source: str = "synthetic"
    source_options: dict = field(default_factory=dict)
    models: list[str] = field(default_factory=list)  # glob patterns; empty = every model
    splits: list[str] = field(default_factory=list)  # glob patterns; empty = every split that applies
    seeds: int = 3
    split_seed: int | None = None  # --split-seed: one split for every seed, so seeds vary the training only
    # bench run --seeds auto: seeds are added to each model row until it is told apart from the mean
    # baseline, up to this many (bench.pipeline.seeding); None: exactly `seeds`
    max_seeds: int | None = None
    folds: int | None = None
    targets: list[str] = field(default_factory=lambda: ["danceability"])
    profile: str = "quick"
    overrides: dict = field(default_factory=dict)  # profile fields changed on the command line
    plugins: list[str] = field(default_factory=list)
    jobs: int = 0  # 0 = one per CPU
    executor: str = "process"
    address: str | None = None
    short_policy: str = "pad"
    aggregate: str = "mean"
    save_models: bool = False
    mixed_precision: bool = False  # keras mixed_float16 in every trial (GPU workers only)
    deterministic: bool = False  # one thread per trial and deterministic kernels: the same numbers at any --jobs
    # bench.trial.augment: variants of training-window augmentations, each a list applied together;
    # each adds an augmented twin of every network it applies to, beside the clean trials
    augment: list[list[str]] = field(default_factory=list)
    cache_dir: str = ""
    results_dir: str = ""
    name: str = ""  # bench run --name: how commands that take a RUN may address it
    tags: dict = field(default_factory=dict)  # bench run --tag key=value
    trial_timeout: float | None = None  # seconds per trial; None: the profile's default; 0: no limit
    log_to: list[str] = field(default_factory=list)  # bench.results.tracking: "mlflow", "tensorboard"

    def resolved_profile(self) -> Profile:
        return get_profile(self.profile).replace(**self.overrides)

    def job_count(self) -> int:
        return self.jobs or os.cpu_count() or 1

    def trial_timeout_s(self) -> float | None:
        """The wall-clock limit of one trial in seconds (None: no limit)."""
        if self.trial_timeout is not None:
            return self.trial_timeout or None
        return DEFAULT_TRIAL_TIMEOUT_S.get(self.profile, max(DEFAULT_TRIAL_TIMEOUT_S.values()))

"""What a run was asked to do: the configuration run.json stores and `--resume` reads back."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bench.profiles import Profile, get_profile


@dataclass
class RunConfig:
    """Everything `bench run` was asked to do; stored in run.json so a run can resume."""

    source: str = "synthetic"
    source_options: dict = field(default_factory=dict)
    models: list[str] = field(default_factory=list)  # glob patterns; empty = every model
    splits: list[str] = field(default_factory=list)  # glob patterns; empty = every split that applies
    seeds: int = 3
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

    def resolved_profile(self) -> Profile:
        return get_profile(self.profile).replace(**self.overrides)

    def job_count(self) -> int:
        return self.jobs or os.cpu_count() or 1

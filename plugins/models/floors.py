"""Probe floors: a ridge on fixed pooled statistics of exactly the array a CNN reads
(bench_plugins.models.floor_model says which statistics), one `probe-FEATURE` baseline per
feature that declares its time axis. The model is imported where it is built, in the trial:
scikit-learn's import would otherwise be most of a `bench` command's start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bench.profiles import Profile
from bench.specs import FeatureSpec, ModelSpec

if TYPE_CHECKING:
    from bench_plugins.models.floor_model import ProbeRegressor


def probe_spec(feature: FeatureSpec | str, time_axis: int | None = None) -> ModelSpec:
    """The probe floor of a feature, named `probe-FEATURE`: given its FeatureSpec (which must
    declare `time_axis`), or its name and time axis. A plugin adds one for its own feature by
    returning this from `bench_models`."""
    name = feature if isinstance(feature, str) else feature.name
    if time_axis is None and not isinstance(feature, str):
        time_axis = feature.time_axis
    if time_axis is None:
        raise ValueError(f"feature {name!r} declares no time_axis, so it has no probe")

    def build(input_shape: tuple[int, ...], profile: Profile) -> ProbeRegressor:
        from bench_plugins.models.floor_model import ProbeRegressor

        return ProbeRegressor(tuple(input_shape), time_axis, profile.window_seconds)

    build.__name__ = f"build_probe_{name.replace('-', '_')}"
    return ModelSpec(
        f"probe-{name}",
        f"baseline: ridge on pooled statistics of {name} (time mean/std, onset autocorrelation)",
        name,
        build,
        "floor",
        baseline=True,
        probe_for=name,
    )

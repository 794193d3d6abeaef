"""`bench check-plugin NAME`: validate a model or feature plugin the way a run would use it.

A feature is computed on music-like windows the check makes itself: its declared shape, float32,
finite values, and outputs that differ between songs. A model gets its feature's checks, then
is built for the profile (`--profile`, default quick) at its feature's shape and put through
its framework's checks (`bench.frameworks`): for keras, input and output shapes,
outputs within the sigmoid's 0..1 on random windows, one training step with the harness's
compile settings, predict, and a save/reload round trip that must give the same predictions.
Each check reports pass or fail with a message that says what is wrong; checks that need an
earlier one to pass are skipped when it failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bench.features.extraction import run_feature, view
from bench.frameworks import ModelContractError
from bench.interrupts import reraise_interruption
from bench.profiles import QUICK, Profile
from bench.registry import PluginError, Registry


@dataclass(frozen=True)
class Check:
    """One check's outcome: ok is True (passed), False (failed) or None (skipped)."""

    name: str
    ok: bool | None
    message: str


class _Checks:
    """Runs named steps in order; a failed blocking step skips everything after it."""

    def __init__(self):
        self.results: list[Check] = []
        self.blocked: str | None = None

    def run(self, name: str, step: Callable[[], str], blocking: bool = False) -> None:
        if self.blocked:
            self.results.append(Check(name, None, f"skipped: {self.blocked!r} failed"))
            return
        try:
            self.results.append(Check(name, True, step()))
        except ModelContractError as exc:
            self.results.append(Check(name, False, str(exc)))
        except Exception as exc:  # the plugin's own error is the finding
            reraise_interruption(exc)
            self.results.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
        if blocking and self.results[-1].ok is False:
            self.blocked = name


CHECK_SONGS = 3  # music-like clips, one window each, that a feature is computed on


def music_like_windows(profile: Profile, songs: int = CHECK_SONGS) -> np.ndarray:
    """One window each of `songs` simple music-like clips (a kick on the beat at its own tempo,
    a chord, a little noise; left and right differ), made here so the check needs no source
    plugin: (songs, 2, profile.window_samples) float32, deterministic."""
    rate, samples = profile.sample_rate, profile.window_samples
    t = np.arange(samples) / rate
    rng = np.random.default_rng(0)
    windows = []
    for song in range(songs):
        phase = (t * (90 + 30 * song) / 60) % 1.0
        kick = np.exp(-40 * phase) * np.sin(2 * np.pi * 60 * t)
        chord = sum(np.sin(2 * np.pi * f * 2 ** (song / 12) * t) for f in (220.0, 277.2, 329.6)) / 3
        left = 0.5 * kick + 0.3 * chord + 0.02 * rng.standard_normal(samples)
        right = 0.5 * kick + 0.3 * np.roll(chord, 7 * (song + 1)) + 0.02 * rng.standard_normal(samples)
        windows.append(np.stack([left, right]))
    return np.asarray(windows, dtype=np.float32)


def _shape_hint(got: tuple[int, ...], declared: tuple[int, ...]) -> str:
    if len(got) == len(declared) and sorted(got) == sorted(declared):
        return ": the same values in another order (the harness wants channels last, as declared)"
    if len(got) == len(declared):
        axes = [f"axis {i}: {g} instead of {d}" for i, (g, d) in enumerate(zip(got, declared)) if g != d]
        return f" ({'; '.join(axes)}): make shape(profile) compute exactly what compute returns"
    return ""


def _feature_steps(registry: Registry, name: str, profile: Profile) -> list:
    """`bench check-plugin` steps for feature `name`, computed on music-like windows."""
    spec = registry.get("feature", name)
    who = registry.describe("feature", name)
    state: dict = {}

    def compute() -> str:
        seen = view(profile, spec)  # what a run shows it: reading an undeclared profile field raises
        declared = tuple(spec.shape(seen))
        windows = music_like_windows(profile)
        state["declared"], state["outputs"] = declared, [run_feature(spec, w, profile) for w in windows]
        return f"{who}: computed on {len(windows)} music-like windows at profile {profile.name}"

    def shape() -> str:
        declared = state["declared"]
        for i, out in enumerate(state["outputs"]):
            if out.shape != declared:
                raise ModelContractError(
                    f"{who}: compute gave shape {out.shape} on window {i}, but shape(profile) declares {declared}"
                    + _shape_hint(out.shape, declared)
                )
        return f"{declared} on every window, as declared"

    def dtype() -> str:
        wrong = sorted({str(out.dtype) for out in state["outputs"] if out.dtype != np.float32})
        if wrong:
            raise ModelContractError(
                f"{who}: compute returned {', '.join(wrong)}; return float32 (.astype(np.float32))"
            )
        return "float32"

    def finite() -> str:
        bad = [i for i, out in enumerate(state["outputs"]) if not np.isfinite(out).all()]
        if bad:
            raise ModelContractError(
                f"{who}: NaN or infinity in windows {bad} of {len(state['outputs'])}: guard divisions and logs "
                "(e.g. np.log(x + 1e-6)) so every value is finite"
            )
        return "every value finite"

    def varies() -> str:
        outputs = state["outputs"]
        if all(np.array_equal(outputs[0], out) for out in outputs[1:]):
            raise ModelContractError(
                f"{who}: the same output on {len(outputs)} windows of different songs: the feature is constant, "
                "so no model can learn from it"
            )
        return f"outputs differ between the {len(outputs)} songs"

    return [
        ("feature compute", compute, True),
        ("feature shape", shape, False),
        ("feature dtype", dtype, False),
        ("feature finite", finite, False),
        ("feature varies", varies, False),
    ]


def check_feature(registry: Registry, name: str, profile: Profile = QUICK) -> list[Check]:
    """Every check of feature `name` (a PluginError when no plugin registers it)."""
    checks = _Checks()
    for step_name, step, blocking in _feature_steps(registry, name, profile):
        checks.run(step_name, step, blocking)
    return checks.results


def check_plugin(registry: Registry, name: str, profile: Profile = QUICK) -> tuple[str, list[Check]]:
    """(kind, checks) of the model or feature `name`."""
    if name in registry.features and name not in registry.models:
        return "feature", check_feature(registry, name, profile)
    if name not in registry.models:
        models, features = (", ".join(sorted(registry.of_kind(k))) or "none" for k in ("model", "feature"))
        raise PluginError(f"Unknown model or feature {name!r}. Registered models: {models}. Features: {features}.")
    return "model", check_model(registry, name, profile)


def check_model(registry: Registry, name: str, profile: Profile = QUICK) -> list[Check]:
    """Every check of model `name`: its feature's, then its framework's (a PluginError when no
    plugin registers it)."""
    spec = registry.get("model", name)
    checks = _Checks()
    state_shape: list[tuple[int, ...]] = []

    def feature() -> str:
        if spec.feature not in registry.features:
            known = ", ".join(sorted(registry.features)) or "none"
            raise ModelContractError(
                f"the model reads feature {spec.feature!r}, which no plugin registers (registered: {known})"
            )
        state_shape.append(tuple(registry.features[spec.feature].shape(view(profile, registry.features[spec.feature]))))
        return f"{spec.feature!r} gives windows of shape {state_shape[0]} at profile {profile.name}"

    checks.run("feature", feature, blocking=True)
    if not state_shape:
        return checks.results
    for step_name, step, blocking in _feature_steps(registry, spec.feature, profile):
        checks.run(step_name, step, blocking)
    for step_name, step, blocking in registry.framework(name).checks(
        spec, state_shape[0], profile.with_knobs(spec.knobs)
    ):
        checks.run(step_name, step, blocking)
    return checks.results


def render(name: str, results: list[Check], console, kind: str = "model") -> bool:
    """Print the checks as a table and a one-line verdict; True when none failed."""
    from rich.table import Table

    table = Table(title=f"check-plugin: {kind} {name!r}", title_justify="left", header_style="bold")
    for column in ("check", "result", "detail"):
        table.add_column(column, overflow="fold")
    marks = {True: "[green]pass[/]", False: "[bold red]FAIL[/]", None: "[dim]skipped[/]"}
    for check in results:
        table.add_row(check.name, marks[check.ok], check.message)
    console.print(table)
    failed = [c.name for c in results if c.ok is False]
    if failed:
        console.print(f"[bold red]{name}: {len(failed)} of {len(results)} checks failed:[/] {', '.join(failed)}")
    else:
        console.print(f"[green]{name}: all {len(results)} checks passed.[/]")
    return not failed

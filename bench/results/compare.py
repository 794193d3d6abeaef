"""`bench compare RUN_A RUN_B`: the same cells of two runs side by side, and a gate for CI.

Cells are matched by (target, model, feature, split). For each, the change in the primary
metric (mean song-level R² over seeds, higher is better) is B − A, and it *exceeds the seed
noise* when |Δ| > 2·sqrt(sA²/nA + sB²/nB): twice the standard error of the difference of
two means, with s the std over seeds/folds and n the number of runs (about a 95% band when
the seeds vary normally). With one run on either side the std is unknown and so is the noise.

`--fail-if-worse PCT` fails a cell whose R² dropped by more than PCT percent of |A's R²|,
whether or not the drop exceeds the noise (a gate should be predictable), and a cell that had
a score in A but none in B (all its trials failed). The threshold is relative, so it shrinks
with |A|: when A's R² is near 0 (a model no better than the mean) almost any drop fails, and
at exactly 0 every drop does. Cells present in only one run are listed, never failed. A gate
with nothing to judge fails too: no cell of A matches one of B, or B has no successful trial
(GateError, one line, exit 1).

Above the table: each run's used plugins with their versions, the settings that differ, the
data that differ (from the dataset fingerprints, `bench.results.merge`), and a warning for every model
whose code hash changed between the runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.results.leaderboard import PRIMARY, context, fmt, run_cells
from bench.results.merge import code_changes, data_differences, plugin_changes, plugin_versions
from bench.results.records import RunInfo, as_run_info
from bench.results.store import RunStore
from bench.results.stats import Cell, CellKey

METRIC = f"song.{PRIMARY}"


def seed_noise(std_a: float, runs_a: int, std_b: float, runs_b: int) -> float:
    """Twice the standard error of B's mean minus A's; NaN when a side has one run."""
    if runs_a < 2 or runs_b < 2:
        return float("nan")
    return 2 * math.sqrt(std_a**2 / runs_a + std_b**2 / runs_b)


def got_worse(a: float, b: float, percent: float) -> bool:
    """True when b is below a by more than `percent` % of |a| (higher is better)."""
    return a - b > percent / 100 * abs(a)


@dataclass
class Change:
    """One matched cell: A's and B's primary metric and what the difference means."""

    key: CellKey
    a: float
    a_std: float
    a_runs: int
    b: float
    b_std: float
    b_runs: int
    baseline: bool = False
    failed_gate: bool = False

    @property
    def delta(self) -> float:
        return self.b - self.a

    @property
    def percent(self) -> float:
        return 100 * self.delta / abs(self.a) if self.a else float("nan")

    @property
    def noise(self) -> float:
        return seed_noise(self.a_std, self.a_runs, self.b_std, self.b_runs)

    @property
    def verdict(self) -> str:
        """'better' or 'worse' beyond the seed noise, 'within noise', or why it cannot tell."""
        if not math.isfinite(self.a) or not math.isfinite(self.b):
            return "no score in B" if math.isfinite(self.a) else "no score in A"
        if not math.isfinite(self.noise):
            return "noise unknown (1 run)"
        if abs(self.delta) <= self.noise:
            return "within noise"
        return "better" if self.delta > 0 else "worse"


class GateError(ValueError):
    """--fail-if-worse was asked for, but the comparison has nothing it could pass on."""


@dataclass
class Comparison:
    """Every matched cell, the unmatched ones, and the cells that failed the gate."""

    changes: list[Change]
    only_a: list[CellKey] = field(default_factory=list)
    only_b: list[CellKey] = field(default_factory=list)
    fail_if_worse: float | None = None
    b_scored: bool = True  # B has at least one successful trial
    a_scored: bool = True  # A has at least one successful trial

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.failed_gate]

    @property
    def unjudgeable(self) -> str | None:
        """Why the gate has nothing to pass on (None when it has, or when there is no gate)."""
        if self.fail_if_worse is None:
            return None
        if not self.a_scored:
            return "A has no successful trial"
        if not self.b_scored:
            return "B has no successful trial"
        if not self.changes:
            return "no cell of A matches a cell of B (same target, model, feature and split)"
        if not any(math.isfinite(c.a) for c in self.changes):
            return "no matched cell of A has a song R²"
        return None


def _score(cell: Cell) -> tuple[float, float, int]:
    return cell.mean.get(METRIC, float("nan")), cell.std.get(METRIC, float("nan")), cell.runs


def compare_cells(cells_a: list[Cell], cells_b: list[Cell], fail_if_worse: float | None = None) -> Comparison:
    """Match cells by key and judge each change; `fail_if_worse` is a percentage or None."""
    if fail_if_worse is not None and not fail_if_worse >= 0:
        raise ValueError(f"--fail-if-worse must be a percentage of at least 0. Received: {fail_if_worse}")
    by_a, by_b = {c.key: c for c in cells_a}, {c.key: c for c in cells_b}
    changes = []
    for key in sorted(by_a.keys() & by_b.keys()):
        change = Change(key, *_score(by_a[key]), *_score(by_b[key]), baseline=by_a[key].baseline or by_b[key].baseline)
        if fail_if_worse is not None and math.isfinite(change.a):
            change.failed_gate = not math.isfinite(change.b) or got_worse(change.a, change.b, fail_if_worse)
        changes.append(change)
    return Comparison(
        changes,
        sorted(by_a.keys() - by_b.keys()),
        sorted(by_b.keys() - by_a.keys()),
        fail_if_worse,
        b_scored=any(c.records for c in cells_b),
        a_scored=any(c.records for c in cells_a),
    )


def setting_differences(info_a: RunInfo | dict, info_b: RunInfo | dict) -> list[str]:
    """The settings that differ between two runs (profile fields, source, seeds, folds, backend,
    thread settings, library versions, CPU model and vector instruction sets)."""

    def facts(info: RunInfo) -> dict:
        return {
            **{f"profile.{k}": v for k, v in info.profile.items() if k != "description"},
            "source": info.source.get("description") or info.config["source"],
            "seeds": info.seeds,
            "folds": info.folds,
            "backend": info.backend,
            # thread count changes float sums (README: what reproduces where)
            "jobs": info.config.get("jobs"),
            "deterministic": info.config.get("deterministic", False),
            **{f"version.{name}": version for name, version in info.versions.items()},
            # CNN numbers depend on the CPU's kernels: a different CPU explains a small change
            "cpu": info.machine.get("cpu_model"),
            "cpu vector instructions": " ".join(info.machine.get("cpu_flags", [])) or None,
        }

    a, b = facts(as_run_info(info_a)), facts(as_run_info(info_b))
    return [f"{k}: {a.get(k)} → {b.get(k)}" for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]


def compare_runs(store_a: RunStore, store_b: RunStore, fail_if_worse: float | None, console) -> Comparison:
    """Summarize both runs, print the comparison and return it (GateError when a gate was
    asked for and there is nothing to judge)."""
    info_a, info_b = store_a.run_info(), store_b.run_info()
    comparison = compare_cells(run_cells(store_a), run_cells(store_b), fail_if_worse)
    console.print(f"[bold]A[/] {store_a.id}: {context(info_a, [])}")
    console.print(f"[bold]B[/] {store_b.id}: {context(info_b, [])}")
    for side, info in (("A", info_a), ("B", info_b)):
        console.print(f"[bold]{side} plugins:[/] {plugin_versions(info) or '?'}")
    for difference in setting_differences(info_a, info_b) + plugin_changes(info_a, info_b):
        console.print(f"[yellow]settings differ:[/] {difference}")
    if info_a.data and info_b.data:
        for difference in data_differences(info_a.data, info_b.data):
            console.print(f"[yellow]data differ:[/] {difference.describe('A', 'B')}")
    for line in code_changes(info_a, info_b, store_a.id, store_b.id):
        console.print(f"[yellow]warning:[/] {line}")
    render(comparison, f"Song-level R², B − A ({len(comparison.changes)} matched cells)", console)
    if comparison.unjudgeable:
        raise GateError(f"--fail-if-worse {fail_if_worse:g} fails: {comparison.unjudgeable}, so nothing was checked")
    return comparison


def render(comparison: Comparison, title: str, console) -> None:
    """A rich table of the changes, then the unmatched cells and the gate's verdict."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for column in (
        "target",
        "model",
        "feature",
        "split",
        "A song R²",
        "B song R²",
        "Δ",
        "Δ %",
        "noise (2 SE)",
        "verdict",
    ):
        table.add_column(column)
    for c in comparison.changes:
        style = {"better": "green", "worse": "red"}.get(c.verdict)
        verdict = f"[{style}]{c.verdict}[/]" if style else c.verdict
        if c.failed_gate:
            verdict += f" [bold red]✗ worse by more than {comparison.fail_if_worse:g}%[/]"
        table.add_row(
            *c.key,
            _pm(c.a, c.a_std, c.a_runs),
            _pm(c.b, c.b_std, c.b_runs),
            _signed(c.delta),
            _signed(c.percent, 1),
            fmt(c.noise),
            verdict,
            style="dim" if c.baseline else None,
        )
    console.print(table)
    for side, keys in (("A", comparison.only_a), ("B", comparison.only_b)):
        if keys:
            console.print(f"[yellow]Only in {side}:[/] " + ", ".join("/".join(k) for k in keys))
    console.print("[italic]Δ = B − A in mean song R²; it exceeds the seed noise when |Δ| > 2·sqrt(sA²/nA + sB²/nB).[/]")
    if comparison.fail_if_worse is None or comparison.unjudgeable:
        return
    if comparison.regressions:
        names = ", ".join("/".join(c.key) for c in comparison.regressions)
        console.print(
            f"[bold red]FAIL:[/] {len(comparison.regressions)} cell(s) worse by more than "
            f"{comparison.fail_if_worse:g}% of A's song R²: {names}"
        )
    else:
        console.print(f"[green]OK:[/] no cell's song R² got worse by more than {comparison.fail_if_worse:g}%.")


def _pm(mean: float, std: float, runs: int) -> str:
    if not math.isfinite(mean):
        return "–"
    spread = f" ± {std:.3f}" if math.isfinite(std) else ""
    return f"{mean:.3f}{spread} (n={runs})"


def _signed(value: float, digits: int = 3) -> str:
    return f"{value:+.{digits}f}" if math.isfinite(value) else "–"

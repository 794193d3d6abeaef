"""`bench compare RUN_A RUN_B`: the same cells of two runs side by side, and gates for CI.

Cells are matched by (target, model, feature, split); the metric is the run's primary one
(run.json's declared metrics), in its own direction. Where the runs share songs and seeds, Δ
(B − A) is paired: the mean over seeds of each trial's difference on their common songs,
with a two-stage bootstrap interval (seeds, then songs; `bench.results.stats`). Elsewhere it is
the difference of the means with the interval Δ ± 2·sqrt(sA²/nA + sB²/nB) (twice the standard
error; unknown with one run on either side).

`--max-drop D` fails a cell that got worse by more than D (absolute, metric units) with the
whole interval on the worse side of zero. `--fail-if-worse PCT` fails a cell worse by more
than PCT percent of |A| whatever the noise. Either fails a cell that had a score in A and
none in B. A gate with nothing to judge fails too: no cell of A matches one of B, or A or B
has no successful trial (GateError, one line, exit 1). Runs whose data differ (their dataset
fingerprints, `bench.results.merge`) are refused, naming every difference, unless
`--allow-different-data`; a run without a fingerprint is compared with a warning.

Above the table: each run's used plugins with their versions, the settings that differ, and
a warning for every model whose code hash changed between the runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bench.results.fit import Column, render_table
from bench.results.leaderboard import context, fmt, label, run_cells
from bench.results.merge import NotComparable, code_changes, data_differences, plugin_changes, plugin_versions, refusal
from bench.results.records import RunInfo, TrialRecord
from bench.results.stats import BUILTIN_METRICS, Cell, CellKey, Metric, Paired, paired_difference
from bench.results.store import RunStore


def seed_noise(std_a: float, runs_a: int, std_b: float, runs_b: int) -> float:
    """Twice the standard error of B's mean minus A's; NaN when a side has one run."""
    if runs_a < 2 or runs_b < 2:
        return float("nan")
    return 2 * math.sqrt(std_a**2 / runs_a + std_b**2 / runs_b)


def got_worse(a: float, b: float, percent: float, higher: bool = True) -> bool:
    """True when b is worse than a by more than `percent` % of |a|."""
    drop = a - b if higher else b - a
    return drop > percent / 100 * abs(a)


@dataclass
class Change:
    """One matched cell: A's and B's primary metric and what the difference means; `paired`
    is B − A on the songs and seeds both share (two-stage bootstrap interval), when they do."""

    key: CellKey
    a: float
    a_std: float
    a_runs: int
    b: float
    b_std: float
    b_runs: int
    baseline: bool = False
    failed_gate: bool = False
    paired: Paired | None = None
    higher: bool = True

    @property
    def delta(self) -> float:
        if self.paired is not None and math.isfinite(self.paired.difference):
            return self.paired.difference
        return self.b - self.a

    @property
    def percent(self) -> float:
        return 100 * self.delta / abs(self.a) if self.a else float("nan")

    @property
    def noise(self) -> float:
        return seed_noise(self.a_std, self.a_runs, self.b_std, self.b_runs)

    @property
    def interval(self) -> tuple[float, float]:
        """95% interval of Δ: paired when the runs share songs and seeds, else Δ ± the seed noise."""
        if self.paired is not None and not self.paired.too_few and math.isfinite(self.paired.low):
            return self.paired.low, self.paired.high
        return self.delta - self.noise, self.delta + self.noise

    @property
    def worse_by(self) -> float:
        """How much worse B is than A, in the metric's units (negative: better)."""
        return -self.delta if self.higher else self.delta

    @property
    def surely_worse(self) -> bool:
        """The whole interval is on the worse side of zero (True when there is no interval)."""
        low, high = self.interval
        if not (math.isfinite(low) and math.isfinite(high)):
            return True
        return high < 0 if self.higher else low > 0

    @property
    def verdict(self) -> str:
        """'better' or 'worse' beyond the noise (the paired interval, or 2 SE), 'within noise',
        or why it cannot tell."""
        if not math.isfinite(self.a) or not math.isfinite(self.b):
            return "no score in B" if math.isfinite(self.a) else "no score in A"
        low, high = self.interval
        if not math.isfinite(low):
            return "noise unknown (1 run)"
        if low <= 0 <= high:
            return "within noise"
        return "better" if (low > 0) == self.higher else "worse"


class GateError(ValueError):
    """A gate was asked for, but the comparison has nothing it could pass on."""


@dataclass
class Comparison:
    """Every matched cell, the unmatched ones, and the cells that failed the gate."""

    changes: list[Change]
    only_a: list[CellKey] = field(default_factory=list)
    only_b: list[CellKey] = field(default_factory=list)
    fail_if_worse: float | None = None
    b_scored: bool = True  # B has at least one successful trial
    max_drop: float | None = None
    a_scored: bool = True  # A has at least one successful trial

    @property
    def gated(self) -> bool:
        return self.fail_if_worse is not None or self.max_drop is not None

    @property
    def regressions(self) -> list[Change]:
        return [c for c in self.changes if c.failed_gate]

    @property
    def unjudgeable(self) -> str | None:
        """Why the gate has nothing to pass on (None when it has, or when there is no gate)."""
        if not self.gated:
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


def _score(cell: Cell, metric: str) -> tuple[float, float, int]:
    return cell.mean.get(metric, float("nan")), cell.std.get(metric, float("nan")), cell.runs


def _pair(a: Cell, b: Cell, metric: Metric | None, name: str, higher: bool) -> Paired | None:
    """B − A on the songs of the seeds and folds both ran (None when they share none)."""
    if metric is None or not all(isinstance(r, TrialRecord) and r.songs for r in a.records + b.records):
        return None
    if not a.records or not b.records:
        return None
    return paired_difference(b.records, a.records, metric, "A", metric_name=name, higher=higher)


def compare_cells(
    cells_a: list[Cell],
    cells_b: list[Cell],
    fail_if_worse: float | None = None,
    max_drop: float | None = None,
    primary: str = "r2",
    higher: bool = True,
    metric: Metric | None = None,
) -> Comparison:
    """Match cells by key and judge each change in song-level `primary`: `fail_if_worse` is a
    percentage of A, `max_drop` an absolute drop that must also be beyond the interval."""
    if fail_if_worse is not None and not fail_if_worse >= 0:
        raise ValueError(f"--fail-if-worse must be a percentage of at least 0. Received: {fail_if_worse}")
    if max_drop is not None and not max_drop >= 0:
        raise ValueError(f"--max-drop must be at least 0 (in the metric's units). Received: {max_drop}")
    by_a, by_b = {c.key: c for c in cells_a}, {c.key: c for c in cells_b}
    changes, name = [], f"song.{primary}"
    for key in sorted(by_a.keys() & by_b.keys()):
        a, b = by_a[key], by_b[key]
        change = Change(key, *_score(a, name), *_score(b, name), baseline=a.baseline or b.baseline, higher=higher)
        change.paired = _pair(a, b, metric, primary, higher)
        if math.isfinite(change.a):
            lost = not math.isfinite(change.b)
            by_percent = fail_if_worse is not None and got_worse(change.a, change.b, fail_if_worse, higher)
            by_drop = max_drop is not None and change.worse_by > max_drop and change.surely_worse
            change.failed_gate = (lost and (fail_if_worse is not None or max_drop is not None)) or by_percent or by_drop
        changes.append(change)
    return Comparison(
        changes,
        sorted(by_a.keys() - by_b.keys()),
        sorted(by_b.keys() - by_a.keys()),
        fail_if_worse,
        b_scored=any(c.records for c in cells_b),
        max_drop=max_drop,
        a_scored=any(c.records for c in cells_a),
    )


def setting_differences(info_a: RunInfo, info_b: RunInfo) -> list[str]:
    """The settings that differ between two runs (profile fields, source, seeds, folds, backend,
    thread settings, library versions, CPU model and vector instruction sets)."""

    def facts(info: RunInfo) -> dict:
        return {
            **{f"profile.{k}": v for k, v in info.profile.items() if k != "description"},
            "source": info.source.get("description") or info.config["source"],
            "seeds": info.seeds,
            "split_seed": info.split_seed,
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

    a, b = facts(info_a), facts(info_b)
    return [f"{k}: {a.get(k)} → {b.get(k)}" for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)]


def compare_runs(
    store_a: RunStore,
    store_b: RunStore,
    fail_if_worse: float | None,
    console,
    max_drop: float | None = None,
    allow_different_data: bool = False,
) -> Comparison:
    """Summarize both runs, print the comparison and return it: NotComparable when their data
    differ (unless `allow_different_data`), GateError when a gate has nothing to judge."""
    info_a, info_b = store_a.run_info(), store_b.run_info()
    differences = data_differences(info_a.data, info_b.data) if info_a.data and info_b.data else []
    if differences and not allow_different_data:
        raise NotComparable(
            refusal(store_a.id, store_b.id, differences) + "; --allow-different-data compares them anyway"
        )
    primary, higher = info_a.primary, info_a.higher_is_better(info_a.primary)
    comparison = compare_cells(
        run_cells(store_a), run_cells(store_b), fail_if_worse, max_drop, primary, higher, BUILTIN_METRICS.get(primary)
    )
    console.print(f"[bold]A[/] {store_a.id}: {context(info_a, [])}")
    console.print(f"[bold]B[/] {store_b.id}: {context(info_b, [])}")
    for side, info in (("A", info_a), ("B", info_b)):
        console.print(f"[bold]{side} plugins:[/] {plugin_versions(info) or '?'}")
    for difference in setting_differences(info_a, info_b) + plugin_changes(info_a, info_b):
        console.print(f"[yellow]settings differ:[/] {difference}")
    for changed in differences:
        console.print(f"[yellow]data differ:[/] {changed.describe('A', 'B')}")
    if not (info_a.data and info_b.data):
        console.print("[yellow]warning:[/] a run has no dataset fingerprint: whether the data match is unchecked")
    for line in code_changes(info_a, info_b, store_a.id, store_b.id):
        console.print(f"[yellow]warning:[/] {line}")
    render(comparison, f"Song-level {label(primary)}, B − A ({len(comparison.changes)} matched cells)", console)
    if comparison.unjudgeable:
        gate = f"--fail-if-worse {fail_if_worse:g}" if fail_if_worse is not None else f"--max-drop {max_drop:g}"
        raise GateError(f"{gate} fails: {comparison.unjudgeable}, so nothing was checked")
    return comparison


COLUMNS = [
    Column("target", "target", 5, numeric=False),
    Column("model", "model", 0, numeric=False),
    Column("feature", "feature", 4, numeric=False),
    Column("split", "split", 0, numeric=False),
    Column("A", "a", 2),
    Column("B", "b", 2),
    Column("Δ B − A", "delta", 0),
    Column("95% CI of Δ", "ci", 1),
    Column("Δ %", "percent", 6),
    Column("verdict", "verdict", 0, numeric=False),
]


def render(comparison: Comparison, title: str, console) -> None:
    """A table of the changes fitted to the console, then the unmatched cells and the gate's verdict."""
    rows, dim = [], set()
    for i, c in enumerate(comparison.changes):
        verdict = c.verdict + (" ✗ FAILS THE GATE" if c.failed_gate else "")
        paired = "" if c.paired is not None and not c.paired.too_few else " (unpaired)"
        low, high = c.interval
        rows.append(
            [
                *c.key,
                _pm(c.a, c.a_std, c.a_runs),
                _pm(c.b, c.b_std, c.b_runs),
                _signed(c.delta),
                f"[{fmt(low)}, {fmt(high)}]{paired}",
                _signed(c.percent, 1),
                verdict,
            ]
        )
        if c.baseline:
            dim.add(i)
    dropped = render_table(title, COLUMNS, rows, console, dim_rows=dim)
    if dropped:
        console.print(f"Not shown at this width: {', '.join(dropped)}.", markup=False)
    for side, keys in (("A", comparison.only_a), ("B", comparison.only_b)):
        if keys:
            console.print(f"Only in {side}: " + ", ".join("/".join(k) for k in keys), markup=False)
    console.print(
        "[italic]Δ = B − A; where the runs share songs and seeds it is paired (the mean over seeds of each trial's "
        "difference on their common songs) with a two-stage bootstrap interval (seeds, then songs); elsewhere "
        "(unpaired) the interval is Δ ± 2·sqrt(sA²/nA + sB²/nB).[/]"
    )
    if not comparison.gated or comparison.unjudgeable:
        return
    name, rules, ok = title.split(",")[0].removeprefix("Song-level "), [], []
    if comparison.fail_if_worse is not None:
        rules.append(f"worse by more than {comparison.fail_if_worse:g}% of A's song {name}")
        ok.append(f"got worse by more than {comparison.fail_if_worse:g}%")
    if comparison.max_drop is not None:
        rules.append(f"worse by more than {comparison.max_drop:g} in song {name} with the whole interval below zero")
        ok.append(f"dropped by more than {comparison.max_drop:g} beyond its interval")
    if comparison.regressions:
        names = ", ".join("/".join(c.key) for c in comparison.regressions)
        console.print(
            f"[bold red]FAIL:[/] {len(comparison.regressions)} cell(s) {' or '.join(rules)}: {names}", highlight=False
        )
    else:
        console.print(f"[green]OK:[/] no cell's song {name} {' or '.join(ok)}.", highlight=False)


def _pm(mean: float, std: float, runs: int) -> str:
    if not math.isfinite(mean):
        return "–"
    spread = f" ± {std:.3f}" if math.isfinite(std) else ""
    return f"{mean:.3f}{spread} (n={runs})"


def _signed(value: float, digits: int = 3) -> str:
    return f"{value:+.{digits}f}" if math.isfinite(value) else "–"

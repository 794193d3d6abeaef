"""`bench run --seeds auto`: seeds added in rounds until each model is told apart from the mean.

After the run's first seeds, every model row (not a baseline) whose paired interval against the
`mean` baseline (the leaderboard's own two-stage bootstrap, `bench.results.leaderboard.run_cells`)
still includes zero gets one more seed, with the baselines of its target and split on that seed
so the new trials pair; a row stops when the interval excludes zero or when it has `max_seeds`
seeds. run.json's `seeding` says, per row, how many seeds it got and why it stopped.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bench.pipeline.config import RunConfig
from bench.registry import Registry
from bench.results.leaderboard import run_cells
from bench.results.stats import BUILTIN_METRICS, Cell, Paired
from bench.results.store import RunStore
from bench.trial.execute import TrialSpec

MEAN = "mean"  # the baseline every model row must be separated from
START_SEEDS = 3  # seeds of the first round
DEFAULT_MAX_SEEDS = 8

Place = tuple[str, str, tuple[str, ...], str]  # (target, model, augment, split): a row's trials
Grid = Callable[[int], list[TrialSpec]]  # the run's grid of trials with that many seeds


def check(registry: Registry, config: RunConfig, primary: str) -> None:
    """ValueError unless an automatic seed count can be judged: the mean baseline is selected,
    the primary metric's interval is computed from the records, and the budget is above the start."""
    if MEAN not in registry.select("model", config.models):
        raise ValueError(
            f"--seeds auto separates every model from the {MEAN!r} baseline: select it too (--model {MEAN})"
        )
    if primary not in BUILTIN_METRICS:
        raise ValueError(
            f"--seeds auto needs the paired interval of the primary metric {primary!r}, which is computed only for "
            f"the built-in metrics ({', '.join(BUILTIN_METRICS)})"
        )
    if config.max_seeds is not None and config.max_seeds < config.seeds:
        raise ValueError(f"--max-seeds ({config.max_seeds}) must be at least the first round's {config.seeds} seeds")


def _place(cell: Cell) -> Place:
    record = (cell.records or cell.failed)[0]
    return record.target, record.model, tuple(record.augment or ()), record.split


def _label(place: Place) -> str:
    target, model, augment, split = place
    return "/".join([target, "+".join([model, *augment]), split])


def _interval(paired: Paired) -> str:
    return f"Δ {paired.difference:+.3f} [{paired.low:.3f}, {paired.high:.3f}]"


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None


def judge(cell: Cell, max_seeds: int) -> dict:
    """A model row's state: seeds tried, and `stopped` (None while it gets more seeds) with why."""
    seeds = len({r.seed for r in cell.records + cell.failed})
    paired = next((p for p in cell.paired if p.baseline == MEAN), None)
    state: dict = {"seeds": seeds, "ok_seeds": len({r.seed for r in cell.records}), "stopped": None}
    if paired is not None:
        state.update(
            difference=_json(paired.difference),
            interval=[_json(paired.low), _json(paired.high)],
            verdict=paired.verdict,
        )
    if not cell.records:
        return {**state, "stopped": "failed", "why": "no trial of this row succeeded"}
    if paired is not None and paired.verdict in ("better", "worse"):
        return {**state, "stopped": "separated", "why": f"{_interval(paired)} vs {MEAN} excludes 0 ({paired.verdict})"}
    if seeds >= max_seeds:
        found = _interval(paired) if paired is not None else f"no paired difference with {MEAN}"
        if paired is not None and paired.too_few:
            found = f"Δ {paired.difference:+.3f} over too few test songs for an interval"
        return {**state, "stopped": "budget", "why": f"--max-seeds {max_seeds} spent; {found}, not separated from 0"}
    return state


def states(store: RunStore, max_seeds: int) -> dict[Place, dict]:
    """Every untuned model row of the run, judged."""
    return {
        _place(cell): judge(cell, max_seeds)
        for cell in run_cells(store)
        if not cell.baseline and not (cell.records or cell.failed)[0].tuning
    }


def next_round(registry: Registry, grid: Grid, open_rows: dict[Place, int]) -> list[TrialSpec]:
    """Seed `n` of each open row (`open_rows`: place -> n) and of the baselines on its target and split."""
    wanted = set()
    for (target, model, augment, split), seed in open_rows.items():
        wanted.add((target, model, augment, split, seed))
        wanted |= {(target, name, (), split, seed) for name, spec in registry.models.items() if spec.baseline}
    return [s for s in grid(max(open_rows.values()) + 1) if (s.target, s.model, s.augment, s.split, s.seed) in wanted]


def until_separated(
    store: RunStore,
    config: RunConfig,
    registry: Registry,
    grid: Grid,
    run: Callable[[list[TrialSpec]], None],
    say: Callable[[str], None],
) -> list[TrialSpec]:
    """Rounds of one more seed per open model row, run by `run`, until none is open; returns every
    trial of the seeds added (recorded ones too, so a resumed run counts them)."""
    max_seeds = config.max_seeds or DEFAULT_MAX_SEEDS
    primary = store.run_info().primary
    while True:
        found = states(store, max_seeds)
        store.update_info(
            seeding={
                "rule": f"add a seed while the paired interval of song {primary} vs {MEAN} includes 0",
                "baseline": MEAN,
                "max_seeds": max_seeds,
                "rows": {_label(place): state for place, state in sorted(found.items())},
            }
        )
        open_rows = {place: state["seeds"] for place, state in found.items() if state["stopped"] is None}
        if not open_rows:
            break
        planned = next_round(registry, grid, open_rows)
        todo = [s for s in planned if not ((record := store.read_record(s.id)) and record.ok)]
        if not todo:
            break
        say(f"Seeds auto: {len(open_rows)} row(s) not yet separated from {MEAN}: {len(todo)} more trial(s)")
        run(todo)
    return [s for s in grid(max_seeds) if s.seed >= config.seeds and store.read_record(s.id) is not None]

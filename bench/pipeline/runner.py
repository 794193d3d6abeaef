"""Plans the grid of trials, prepares the features, runs what is missing, records the run.

    source -> catalog -> features (cached) -> trials (isolated) -> records in results/<run-id>/

The runner renders nothing but progress; leaderboards read the records afterwards.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TypeVar

from filelock import FileLock, Timeout
from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from bench.features import identity
from bench.features.cache import FeatureCache, default_cache_dir
from bench.features.grid import WindowGrid
from bench.features.pool import Probe
from bench.features.stage import Dataset, build_dataset
from bench.files import check_writable_folder
from bench.interrupts import interruption
from bench.pipeline import environment, seeding
from bench.pipeline.config import RunConfig
from bench.pipeline.executors import make_executor
from bench.pipeline.provenance import design
from bench.pipeline.provenance import record as record_provenance
from bench.profiles import Profile, knob_values
from bench.registry import PluginError, Registry, load_registry
from bench.results import tracking, trust
from bench.results.records import TrialRecord
from bench.results.store import RunStore, default_results_dir, new_run_id, write_json
from bench.specs import Catalog, FeatureSpec, Problem
from bench.text import shown
from bench.trial import augment, tensorflow_env
from bench.trial.execute import AGGREGATIONS, TrialSpec, now
from bench.trial.measure import git_commit, keras_backend, machine, package_versions, peak_rss_mb


def applicable_splits(registry: Registry, patterns: list[str], has_official_split: bool) -> list[str]:
    """The splits asked for; by default every split, official ones only when the source has them."""
    names = registry.select("split", patterns)
    if patterns:
        return names
    return [n for n in names if has_official_split or not registry.splits[n].official]


def plan(registry: Registry, config: RunConfig, run_dir: Path, splits: list[str]) -> list[TrialSpec]:
    """Every trial of the grid, baselines first (they are quick and anchor the leaderboard)."""
    profile = config.resolved_profile()
    models = registry.select("model", config.models)
    models.sort(key=lambda name: (not registry.models[name].baseline, name))
    folds = range(config.folds) if config.folds else [0]
    threads = 1 if config.deterministic else max(1, (os.cpu_count() or 1) // config.job_count())
    variants = [(), *(tuple(v) for v in config.augment)]
    return [
        TrialSpec(
            run_dir=str(run_dir),
            source=config.source,
            feature=registry.models[model].feature,
            model=model,
            split=split,
            seed=seed,
            split_seed=config.split_seed,
            target=target,
            profile=profile.with_knobs(registry.models[model].knobs).to_dict(),
            fold=fold,
            folds=config.folds,
            plugins=tuple(config.plugins),
            aggregate=config.aggregate,
            threads=threads,
            save_model=config.save_models,
            augment=variant,
            mixed_precision=config.mixed_precision,
            deterministic=config.deterministic,
        )
        for target, model, variant, split, seed, fold in itertools.product(
            config.targets, models, variants, splits, range(config.seeds), folds
        )
        if registry.models[model].predicts(target) and (not variant or augment.applies(registry, variant, model))
    ]


P = TypeVar("P", bound=Progress)


class TrialsProgress(Progress):
    """The trials' progress bar with the finished cells' score boards under it (`board`)."""

    board: RenderableType | None = None

    def get_renderables(self):
        yield from super().get_renderables()
        if self.board is not None:
            yield self.board


LIVE_RESAMPLES = 200  # bootstrap resamples of the live boards' intervals (the final tables: 2000)


def live_boards(store: RunStore, console: Console) -> RenderableType | None:
    """The score boards of the cells finished so far, drawn by the leaderboard's own renderer
    at the console's width (None before the first trial)."""
    from bench.results.leaderboard import render_rich, score_board
    from bench.results.stats import BUILTIN_METRICS, summarize

    info = store.run_info()
    primary = info.primary
    cells = summarize(
        store.trials(), BUILTIN_METRICS, primary, higher=info.higher_is_better(primary), resamples=LIVE_RESAMPLES
    )
    if not cells:
        return None
    text = io.StringIO()
    shadow = Console(file=text, width=console.width, force_terminal=True, emoji=False)
    for target in sorted({c.target for c in cells}):
        render_rich(score_board(cells, target, info), shadow)
    shadow.print(f"[italic]Live: {LIVE_RESAMPLES} bootstrap resamples; the final tables use 2000.[/]")
    return Text.from_ansi(text.getvalue().rstrip("\n"))


class LiveBoards:
    """Keeps `progress.board` up to date from a thread of its own, so summarising the records
    never delays the next trial; `changed` after each record, `close` when the trials end."""

    def __init__(self, store: RunStore, progress: TrialsProgress):
        self.store, self.progress = store, progress
        self._changed, self._closed = threading.Event(), False
        self._thread = threading.Thread(target=self._follow, daemon=True, name="live-boards")
        self._thread.start()

    def changed(self) -> None:
        self._changed.set()

    def _follow(self) -> None:
        while True:
            self._changed.wait()
            self._changed.clear()
            if self._closed:
                return
            with contextlib.suppress(Exception):  # a view only: the full leaderboard is printed after the run
                self.progress.board = live_boards(self.store, self.progress.console)

    def close(self) -> None:
        self._closed = True
        self._changed.set()
        self._thread.join(timeout=60)
        self.progress.board = None


def _progress(console: Console, kind: type[P]) -> P:
    """A stage's bar: done of total, time so far and the time left at the rate measured so far."""
    return kind(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[status]}"),
        console=console,
        transient=False,
    )


def interactive(console: Console) -> bool:
    """Whether the console is a terminal that live displays may redraw (a pipe gets plain lines)."""
    return console.is_terminal and not console.is_dumb_terminal


@contextmanager
def working(console: Console, what: str):
    """`what` printed; on a terminal, a spinner beside it until the block ends first (a source
    that renders or lists its tracks can take a minute without a word)."""
    if not interactive(console):
        console.print(what)
        yield
        return
    with console.status(what, spinner="dots"):
        yield
    console.print(what)


class TrialBars:
    """One bar per running trial, moved by its epochs (`epoch`), gone when its record arrives (`done`)."""

    def __init__(self, progress: Progress):
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def epoch(self, spec: TrialSpec, done: int, total: int) -> None:
        if spec.id not in self.tasks:
            what = f"  {spec.model} {spec.split} seed {spec.seed}" + (f" fold {spec.fold}" if spec.folds else "")
            self.tasks[spec.id] = self.progress.add_task(shown(what), total=total, status="epochs")
        self.progress.update(self.tasks[spec.id], completed=done, total=total)

    def done(self, trial_id: str) -> None:
        task = self.tasks.pop(trial_id, None)
        if task is not None:
            self.progress.remove_task(task)


def _validate(registry: Registry, config: RunConfig) -> None:
    registry.get("source", config.source)
    for name in registry.select("model", config.models):
        offered = registry.models[name].targets  # None: it predicts any target
        if offered is not None and not any(registry.models[name].predicts(t) for t in config.targets):
            raise ValueError(
                f"{registry.describe('model', name)} predicts only {', '.join(offered)}, "
                f"none of the run's targets. Received: --target {' --target '.join(config.targets)}"
            )
    for name in registry.select("split", config.splits):
        if config.folds and config.splits and not registry.splits[name].supports_folds:
            raise ValueError(f"split {name!r} cannot be cross-validated: drop --folds or choose another split")
    if config.aggregate not in AGGREGATIONS:
        raise ValueError(f"--aggregate must be one of {list(AGGREGATIONS)}. Received: {config.aggregate!r}")
    if config.seeds < 1:
        raise ValueError(f"--seeds must be at least 1. Received: {config.seeds}")
    if config.max_seeds is not None:
        seeding.check(registry, config, next(m["name"] for m in design(registry)["metrics"] if m["primary"]))
    if config.trial_timeout is not None and config.trial_timeout < 0:
        raise ValueError(f"--trial-timeout must be 0 (no limit) or more. Received: {config.trial_timeout:g}")
    if config.folds is not None and config.folds < 2:
        raise ValueError(f"--folds must be at least 2. Received: {config.folds}")
    augment.check(registry, [tuple(v) for v in config.augment], registry.select("model", config.models), config.targets)
    tracking.check(config.log_to)


def check_folders(config: RunConfig, results: Path) -> None:
    """UnusableFolder naming the folder and the problem when the feature cache or `results` (the
    results folder, or a resumed run's own) cannot be written: checked before any work, so a
    bad --cache-dir or --results-dir costs no minutes of features first."""
    check_writable_folder(config.cache_dir or default_cache_dir(), "feature cache folder (--cache-dir, $AFB_CACHE_DIR)")
    check_writable_folder(results, "results folder (--results-dir, $AFB_RESULTS_DIR)")


def start_run(config: RunConfig, registry: Registry) -> RunStore:
    """A new run folder with its run.json."""
    store = RunStore(Path(config.results_dir or default_results_dir()) / new_run_id())
    store.dir.mkdir(parents=True, exist_ok=False)
    store.write_info(
        {
            "run_id": store.id,
            "status": "running",
            "started": now(),
            "config": asdict(config),
            "profile": config.resolved_profile().to_dict(),
            "backend": keras_backend(),
            "versions": package_versions(),
            "git_commit": git_commit(Path(__file__).parent),
            "machine": machine(),
            "plugins": [asdict(p) for p in registry.plugins],
            **design(registry),
        }
    )
    trust.remember(store)
    return store


HARMLESS = ("padded", "lengthened", "kept", "ignored")  # problem actions that lose no data


@dataclass
class Prepared:
    """The feature stage's outcome: the catalog, the dataset and every problem found."""

    catalog: Catalog
    dataset: Dataset
    problems: list[Problem]

    @property
    def skipped(self) -> int:
        """Problems that lost data: a file, row or clip's feature left out (what was padded,
        lengthened, kept or an ignored column does not count)."""
        return sum(p.action not in HARMLESS for p in self.problems)


def needed_features(registry: Registry, config: RunConfig) -> list[FeatureSpec]:
    """The features of every model the run selects."""
    names = sorted({registry.models[m].feature for m in registry.select("model", config.models)})
    return [registry.get("feature", n) for n in names]


def check_track_ids(source: str, tracks) -> None:
    """PluginError naming the source and the ids it lists more than once (trials key songs by id)."""
    repeated = identity.duplicate_ids(tracks)
    if repeated:
        raise PluginError(f"Source {source!r}: " + "; ".join(p.what for p in repeated[:5]))


def load_catalog(
    config: RunConfig, registry: Registry, profile: Profile, cache: FeatureCache, console: Console
) -> Catalog:
    """The source's catalog, its track ids and targets checked."""
    source = registry.get("source", config.source)
    with working(console, f"[bold]Loading source[/] {shown(config.source)} …"):
        catalog = source.load(
            {
                **config.source_options,
                "profile": profile.with_knobs(source.knobs),
                "cache_dir": cache.root,
                "targets": config.targets,
            }
        )
    check_track_ids(config.source, catalog.tracks)
    missing = [t for t in config.targets if t not in catalog.targets]
    if missing:
        raise PluginError(
            f"Source {config.source!r} has no target {', '.join(missing)}. It offers: {', '.join(catalog.targets)}."
        )
    return catalog


def prepare(
    config: RunConfig, registry: Registry, console: Console, features: list[FeatureSpec], pool=None
) -> Prepared:
    """Load the source and build `features` for every window into the cache (no training). The
    features' probe (on a cold cache, compiling librosa's kernels) runs while the source loads."""
    profile = config.resolved_profile()
    cut = profile.extraction_profile()  # windows every training hop where one is set (bench.features.grid)
    cache = FeatureCache(Path(config.cache_dir or default_cache_dir()))
    cache.create()
    modules, probed = set(sys.modules), Probe(features, cut) if features else None
    try:
        catalog = load_catalog(config, registry, profile, cache, console)
        with _progress(console, Progress) as progress:
            say = lambda line: progress.console.print(f"[yellow]{line}[/]")  # noqa: E731
            if probed is not None:
                probed = probed.again_if_kernels_ran(modules, say)
            task = progress.add_task("Features", total=len(catalog.tracks), status=", ".join(f.name for f in features))
            dataset = build_dataset(
                catalog,
                features,
                cut,
                cache,
                config.short_policy,
                config.job_count(),
                on_track_done=lambda: progress.advance(task),
                plugins=tuple(config.plugins),
                pool=pool,
                say=say,
                probed=probed,
            )
    finally:
        if probed is not None:
            probed.cancel()
    problems = catalog.problems + dataset.problems
    for problem in problems:
        console.print(f"[yellow]{shown(problem.action)}:[/] {shown(problem.where)}: {shown(problem.what)}")
    if dataset.damaged:
        console.print(
            f"[yellow]{len(dataset.damaged)} damaged or unreadable file(s)[/] (listed above; kept in run.json's "
            "damaged_files): the run goes on without what they lack"
        )
    return Prepared(catalog, dataset, problems)


def damaged_files(source: str, dataset: Dataset) -> list[dict[str, str]]:
    """run.json's record of the files that were damaged or unreadable: file, source, problem, action."""
    return [{"file": p.where, "source": source, "problem": p.what, "action": p.action} for p in dataset.damaged]


def execute_run(
    store: RunStore,
    config: RunConfig,
    registry: Registry,
    console: Console,
    added: tuple[str, ...] = (),
    trackers: tracking.Trackers | None = None,
) -> RunStore:
    """Prepare features and run every trial of the grid that has no successful record yet
    (a resumed run retries failed trials; `added` names models a resume adds to the run);
    `trackers` get each record as it arrives and the run's end (`--log-to`)."""
    started = time.perf_counter()
    profile = config.resolved_profile()
    tensorflow_env.use_profile_kernels(profile)
    executor = make_executor(
        config.executor, config.job_count(), config.address, config.plugins, config.trial_timeout_s()
    )
    executor.warm_up()
    features = needed_features(registry, config)
    prepared = prepare(config, registry, console, features, executor.feature_pool())
    dataset = prepared.dataset
    windows = WindowGrid.of(dataset.window_track, profile.grid_ratio)
    write_json(store.dir / "dataset.json", dataset.to_json())
    store.update_info(
        source={
            "name": config.source,
            "description": prepared.catalog.description,
            "tracks": len(dataset.tracks),
            "windows": len(windows.rows),
            **({"training_windows": len(windows.parent)} if windows.extra else {}),
            "groups": len({t.group for t in dataset.tracks}),
            "knobs": knob_values(registry.get("source", config.source).knobs, profile.name),
        },
        targets={n: asdict(prepared.catalog.targets[n]) for n in config.targets},
        problems=[asdict(p) for p in prepared.problems],
        damaged_files=damaged_files(config.source, dataset),
        skipped_inputs=prepared.skipped,
        feature_seconds=dataset.feature_seconds,
    )
    if len(dataset.tracks) < 2:
        raise ValueError(f"only {len(dataset.tracks)} usable track(s) in source {config.source!r}: nothing to split")
    splits = applicable_splits(registry, config.splits, any(t.official_split for t in dataset.tracks))
    if config.folds:
        splits = [n for n in splits if registry.splits[n].supports_folds]
    record_provenance(
        store, config, registry, features, dataset, splits, lambda line: console.print(f"[yellow]{line}[/]")
    )
    specs = plan(registry, config, store.dir, splits)
    done = {s.id: store.read_record(s.id) for s in specs}
    todo = [s for s in specs if not ((record := done[s.id]) and record.ok)]
    new = [s for s in todo if s.model in added and done[s.id] is None]
    if new:
        console.print(f"[bold]Extending run {store.id}:[/] adding {len(new)} trials for model {', '.join(added)}")
    retried = sum(done[s.id] is not None for s in todo)
    console.print(
        f"[bold]{len(specs)} trials[/] ({len(specs) - len(todo)} already recorded"
        + (f", {retried} failed before and retried" if retried else "")
        + f"), {config.job_count()} at a time, executor {executor.name}, profile {profile.name}"
    )
    with _progress(console, TrialsProgress) as progress:
        total = len(todo)
        task = progress.add_task("Trials", total=total, status="")
        live = LiveBoards(store, progress) if interactive(console) else None  # a pipe gets the final tables only
        bars = TrialBars(progress) if interactive(console) else None
        on_epoch = bars.epoch if bars is not None else None

        def on_record(record: TrialRecord) -> None:
            if live is not None:
                live.changed()
            if bars is not None:
                bars.done(record.id)
            progress.update(task, advance=1, status=f"{shown(record.id)} {shown(record.status)}")
            if trackers is not None:
                trackers.trial(record)
            if not record.ok:
                progress.console.print(f"[red]failed:[/] {shown(record.id)}: {shown(str(record.error))}")

        def more(extra: list[TrialSpec]) -> None:  # a round of --seeds auto
            nonlocal total
            total += len(extra)
            progress.update(task, total=total)
            executor.run(extra, on_record, on_epoch)

        def grid(seeds: int) -> list[TrialSpec]:
            return plan(registry, replace(config, seeds=seeds), store.dir, splits)

        if trackers is not None:  # a resume that adds --log-to logs what the run already has
            waiting = {s.id for s in todo}
            for earlier in (store.read_record(s.id) for s in specs if s.id not in waiting):
                if earlier is not None:
                    trackers.trial(earlier)
        try:
            executor.run(todo, on_record, on_epoch)
            if config.max_seeds is not None:
                specs += seeding.until_separated(store, config, registry, grid, more, progress.console.print)
        finally:
            if live is not None:
                live.close()  # the full leaderboard is printed after the run
    finished = [store.read_record(s.id) for s in specs]
    failed = sum(not (r and r.ok) for r in finished)
    scored = sum(bool(r and r.ok and any((r.metrics or {}).values())) for r in finished)
    store.update_info(
        status="complete",
        finished=now(),
        runner_peak_rss_mb=round(peak_rss_mb(), 1),
        wall_s=round(time.perf_counter() - started, 2) + store.info().get("wall_s", 0.0),
        trials=len(specs),
        failed_trials=failed,
        scored_trials=scored,
    )
    if trackers is not None:
        trackers.finish("complete")
    return store


def extend(store: RunStore, asked: RunConfig) -> tuple[RunConfig, list[str]]:
    """A resumed run's saved config, extended by the models (and `--plugin` modules) the resume
    names: their trials join the run's grid, on its data, splits, seeds and targets. Returns the
    config and the model patterns the run did not select before."""
    saved = store.info()["config"]
    models = saved["models"]
    added = [m for m in asked.models if models and m not in models]
    plugins = saved["plugins"] + [p for p in asked.plugins if p not in saved["plugins"]]
    timeout = asked.trial_timeout if asked.trial_timeout is not None else saved.get("trial_timeout")
    config = RunConfig(
        **{
            **saved,
            "jobs": asked.jobs or saved["jobs"],
            "models": models + added,
            "plugins": plugins,
            "trial_timeout": timeout,
            "log_to": list(dict.fromkeys([*saved.get("log_to", []), *asked.log_to])),
        }
    )
    return config, (added if models else list(asked.models))


class RunLocked(RuntimeError):
    """Another runner holds this run."""


@contextmanager
def run_lock(store: RunStore):
    """Hold the run's lock while this process runs it, so a second runner (a `--resume` while
    one runs) refuses, naming the holder's pid. The OS drops the lock when its holder dies."""
    lock, holder = FileLock(store.dir / ".runner.lock"), store.dir / ".runner.pid"
    try:
        lock.acquire(timeout=0)
    except Timeout:
        pid = holder.read_text().strip() if holder.exists() else "unknown"
        raise RunLocked(
            f"run {store.id} is being run by another bench process (pid {pid}): wait for it or stop it"
        ) from None
    try:
        holder.write_text(f"{os.getpid()}\n")
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()


def run(config: RunConfig, console: Console, resume: str | None = None, trust_run: bool = False) -> RunStore:
    """Start (or resume) a run and return its store; a resumed run's plugins are imported only
    when this machine created it or `trust_run` (bench.results.trust)."""
    environment.configure()  # a no-op after the command line's; first for a run started from Python
    if resume:
        from bench.results.store import find_run

        store = find_run(Path(config.results_dir or default_results_dir()), resume)
        trust.run_plugins(store, config.plugins, trust_run)
        with run_lock(store):
            return _resume(store, config, console)
    results = Path(config.results_dir or default_results_dir())
    check_folders(config, results)
    registry = load_registry(config.plugins)
    _validate(registry, config)
    store = start_run(config, registry)
    with ending_recorded(store), run_lock(store):
        return _execute(store, config, registry, console, ())


def _resume(store: RunStore, config: RunConfig, console: Console) -> RunStore:
    """Go on with a run stopped before it finished (see `extend` for what a resume may add)."""
    saved = store.info()["config"]
    config, asked_models = extend(store, config)
    check_folders(config, store.dir)
    registry = load_registry(config.plugins)
    recorded = {r.model for r in store.trials()}
    added = tuple(m for m in registry.select("model", asked_models) if m not in recorded) if asked_models else ()
    extended = (
        {"config": asdict(config)}
        if (config.models, config.plugins, config.log_to)
        != (saved["models"], saved["plugins"], saved.get("log_to", []))
        else {}
    )
    with ending_recorded(store):  # from here on: a resume refused above leaves run.json as it was
        store.update_info(status="running", resumed=now(), **extended)
        return _execute(store, config, registry, console, added)


def _execute(store: RunStore, config: RunConfig, registry: Registry, console: Console, added) -> RunStore:
    """`execute_run`, announcing the run and reporting to the `--log-to` trackers."""
    console.print(f"Run [bold]{shown(store.id)}[/] → {shown(str(store.dir))}")
    with tracking.Trackers(config.log_to, store, lambda line: console.print(f"[yellow]{shown(line)}[/]")) as trackers:
        return execute_run(store, config, registry, console, added, trackers)


@contextmanager
def ending_recorded(store: RunStore):
    """run.json says how the run ended if the block did not complete it; a Ctrl-C (or an import
    error it caused) leaves naming the run to resume."""
    try:
        yield
    except BaseException as exc:
        stop = interruption(exc)
        if stop is None:
            if isinstance(exc, Exception):
                store.update_info(status="failed", finished=now(), error=f"{type(exc).__name__}: {exc}")
            raise
        store.update_info(status="interrupted", finished=now())
        stop.run_id = store.id  # type: ignore[attr-defined]  # the command line's message names the run to resume
        if stop is exc:
            raise
        raise stop from None

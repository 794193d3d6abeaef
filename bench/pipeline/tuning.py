"""`bench tune`: per-model hyperparameter search, the seed paper's own method, made fair.

Every tunable model gets the same budget over its search space (`Budget`: a number of
configurations, or of training epochs, pruned configurations' included), and Optuna's pruner
(median or Hyperband, bench.trial.pruning) stops a configuration whose validation loss trails
the finished ones at the same epoch. The space is `ModelSpec.search_space` when it declares
one, else its framework's default (`Framework.default_search_space`: keras models have one,
scikit-learn baselines none). A search is one Optuna study per cell and seed (target, model,
split, seed, fold), driven by ask/tell so every configuration is an ordinary trial run
by the harness's executors (process, inline or Ray): a TrialSpec whose profile carries the
configuration and whose `tuning` tag makes it score on that seed's own validation carve-out,
never on test. Search records live in RUN/search (a run folder of their own, so leaderboards of
the run never mix them in); the chosen configuration is then trained once more and scored on
the seed's test set as a normal record of the run, tagged `tunedN` or `tunedEep` (the budget), so its
leaderboard shows tuned and default rows side by side.

Studies are stored in SQLite inside the run folder (RUN/tuning.db) unless `--storage` names
another database (a URL several machines can share), so a killed search resumes where it
stopped: a configuration whose record was written before the kill is told from disk; one that
never finished stays unfinished in the study and a fresh configuration takes its place.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import optuna
from rich.console import Console

from bench.interrupts import reraise_interruption
from bench.pipeline.config import RunConfig
from bench.pipeline.executors import make_executor
from bench.pipeline.runner import plan
from bench.profiles import Profile
from bench.registry import Registry, load_registry
from bench.results import trust
from bench.results.records import TrialRecord
from bench.results.store import RunStore
from bench.trial import tensorflow_env
from bench.trial.execute import TrialSpec
from bench.trial.pruning import make_pruner, snapshot

DEFAULT_BUDGET = 10
SEARCH_FOLDER = "search"
# Song-level RMSE on the validation songs, minimised: on one set of songs it orders
# configurations exactly as song R² does, and unlike R² it is defined on a single song.
SCORE = "rmse"

optuna.logging.set_verbosity(optuna.logging.WARNING)


def search_space(registry: Registry, model: str) -> dict | None:
    """The model's declared space, the default for keras models, or None (not tuned)."""
    spec = registry.get("model", model)
    space = spec.search_space
    if space is None:
        space = registry.framework(model).default_search_space()
    if space is not None:
        fields = {f.name for f in dataclasses.fields(Profile)}
        unknown = sorted(set(space) - fields)
        if unknown:
            raise ValueError(
                f"model {model!r}: its search_space names {', '.join(unknown)}, which are not Profile fields"
            )
    return space


def check_tunable(registry: Registry, patterns: list[str]) -> None:
    """A ValueError unless the selected models include one with a search space."""
    if not any(search_space(registry, name) is not None for name in registry.select("model", patterns)):
        raise ValueError("no tunable model selected: keras models and models that declare a search_space are")


def default_storage(store: RunStore) -> str:
    return f"sqlite:///{store.dir / 'tuning.db'}"


def public_storage(url: str) -> str:
    """The storage URL as run.json keeps it: its password replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception as exc:  # not a SQLAlchemy URL (a journal file, redis): hide user:password@ alike
        reraise_interruption(exc)
        return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def saved_storage(store: RunStore, info: dict, trust_run: bool = False) -> str:
    """The storage a resumed search continues in: the run's own file, or the URL run.json names
    when the run is trusted (bench.results.trust) and the URL is whole; ValueError asking for
    --storage otherwise."""
    saved = (info.get("tuning") or {}).get("storage")
    if not saved or saved == default_storage(store):
        return default_storage(store)
    if "***" in saved:
        raise ValueError(f"run {store.id}'s study storage {saved} needs its password: pass --storage URL again")
    if not (trust_run or trust.is_trusted(store)):
        raise ValueError(
            f"run {store.id} ({store.dir}) names the study storage {saved!r}, and this machine did not create the run: "
            "pass --storage URL (or --trust-run)"
        )
    return saved


def search_store(store: RunStore) -> RunStore:
    """RUN/search: a run folder for the search's records, with the run's data description."""
    search = RunStore(store.dir / SEARCH_FOLDER)
    (search.dir / "trials").mkdir(parents=True, exist_ok=True)
    for name in ("run.json", "dataset.json"):
        shutil.copyfile(store.dir / name, search.dir / name)
    return search


def _configured(spec: TrialSpec, params: dict, tag: str, run_dir: Path) -> TrialSpec:
    return dataclasses.replace(spec, profile={**spec.profile, **params}, tuning=tag, run_dir=str(run_dir))


def study_name(store: RunStore, spec: TrialSpec) -> str:
    """One study per run and cell: a storage shared by several runs keeps their studies apart."""
    return f"{store.id}--{spec.id}"


def _score(record: TrialRecord | None) -> float | None:
    value = (record.metrics or {}).get("song", {}).get(SCORE) if record and record.ok else None
    return value if value is not None and value == value else None  # NaN is a failure


def _epochs(record: TrialRecord) -> int:
    """Training epochs a configuration spent; at least 1, so configurations that fail at once still spend budget."""
    return max(1, int(record.extra.get("epochs") or len((record.history or {}).get("loss") or ())))


def _tell(study: optuna.Study, number: int, record: TrialRecord) -> None:
    """The configuration's per-epoch validation losses, epochs spent and outcome: pruned, failed or its score."""
    frozen = next(t for t in study.get_trials(deepcopy=False) if t.number == number)
    trial = optuna.trial.Trial(study, frozen._trial_id)
    for epoch, loss in enumerate((record.history or {}).get("val_loss") or (), start=1):
        trial.report(float(loss), epoch)
    trial.set_user_attr("epochs", _epochs(record))
    score = _score(record)
    if record.extra.get("pruned_at_epoch") and record.ok:
        study.tell(number, state=optuna.trial.TrialState.PRUNED)
    elif score is None:
        study.tell(number, state=optuna.trial.TrialState.FAIL)
    else:
        study.tell(number, score)


def _teller(by_id: dict[str, tuple[optuna.Study, int]]) -> Callable[[TrialRecord], None]:
    """One round's on_record: tells a record's study how its trial scored."""

    def tell(record: TrialRecord) -> None:
        study, number = by_id[record.id]
        _tell(study, number, record)

    return tell


def _settle_interrupted(study: optuna.Study, base: TrialSpec, search: RunStore) -> None:
    """Configurations asked before a kill are told from their record when one was written;
    the others stay unfinished and do not count against the budget."""
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        record = search.read_record(_configured(base, trial.params, f"search{trial.number}", search.dir).id)
        if record is not None:
            _tell(study, trial.number, record)


FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)


@dataclasses.dataclass
class Budget:
    """Each study's budget: `configurations` finished, or (when set) `epochs` of training spent,
    pruned configurations' epochs included; failures count, so every model gets the same attempts."""

    configurations: int = DEFAULT_BUDGET
    epochs: int | None = None
    pruner: str = "median"

    @property
    def tag(self) -> str:
        """The tuned rows' label: "tuned10" (configurations) or "tuned300ep" (epochs)."""
        return f"tuned{self.epochs}ep" if self.epochs else f"tuned{self.configurations}"

    def left(self, study: optuna.Study) -> bool:
        finished = study.get_trials(deepcopy=False, states=FINISHED)
        if self.epochs:
            return sum(int(t.user_attrs.get("epochs", 1)) for t in finished) < self.epochs
        return len(finished) < self.configurations


def tune_run(
    store: RunStore, budget: Budget, storage: str | None, console: Console, trust_run: bool = False
) -> list[TrialRecord]:
    """Search every tunable cell of the run within `budget`, then train and test the best of
    each; returns the tuned records."""
    info = store.info()
    config = RunConfig(**info["config"])
    registry = load_registry(config.plugins)
    splits = sorted({r.split for r in store.trials() if not r.tuning})
    check_tunable(registry, config.models)
    bases = [s for s in plan(registry, config, store.dir, splits) if search_space(registry, s.model) is not None]
    storage = storage or saved_storage(store, info, trust_run)
    make_pruner(budget.pruner, 1, 1)  # an unknown pruner stops here, before any training
    store.update_info(
        tuning={
            "budget": budget.configurations,
            "budget_epochs": budget.epochs,
            "pruner": budget.pruner,
            "storage": public_storage(storage),
            "score": f"validation song {SCORE}; pruned on validation loss per epoch",
        }
    )
    search = search_store(store)
    tensorflow_env.use_profile_kernels(config.resolved_profile())
    executor = make_executor(
        config.executor, config.job_count(), config.address, config.plugins, config.trial_timeout_s()
    )
    executor.warm_up()
    studies = {}
    for base in bases:
        sampler = optuna.samplers.TPESampler(seed=base.seed)
        study = optuna.create_study(
            study_name=study_name(store, base),
            storage=storage,
            direction="minimize",
            sampler=sampler,
            load_if_exists=True,
        )
        _settle_interrupted(study, base, search)
        studies[base.id] = study
    # Rounds of one configuration per study, run together, so the executor's jobs stay busy.
    while True:
        asked = []
        for base in bases:
            study = studies[base.id]
            if budget.left(study):
                given = snapshot(study, budget.pruner, base.profile["min_epochs"], base.profile["epochs"])
                trial = study.ask(search_space(registry, base.model))
                spec = _configured(base, trial.params, f"search{trial.number}", search.dir)
                pruning = given if budget.pruner != "none" else None
                asked.append((study, trial.number, dataclasses.replace(spec, pruning=pruning)))
        if not asked:
            break
        console.print(f"[bold]Tuning:[/] {len(asked)} configuration(s), scored on validation")
        by_id = {spec.id: (study, number) for study, number, spec in asked}
        executor.run([spec for _, _, spec in asked], _teller(by_id))
    finals = []
    for base in bases:
        study = studies[base.id]
        try:
            best = study.best_trial
        except ValueError:
            console.print(f"[yellow]no configuration of {base.id} finished: it has no tuned row[/]")
            continue
        final = _configured(base, best.params, budget.tag, store.dir)
        if not ((record := store.read_record(final.id)) and record.ok):
            finals.append((final, best))
    records = []

    def keep(record: TrialRecord) -> None:  # the record says which configuration won, and how
        best = next(b for f, b in finals if f.id == record.id)
        record.extra.update(
            tuned_params=best.params, tuned_validation={SCORE: best.value, "configuration": best.number}
        )
        store.write_record(record)
        records.append(record)

    if finals:
        console.print(f"[bold]Tuned:[/] training {len(finals)} chosen configuration(s), scored on test")
        executor.run([f for f, _ in finals], keep)
    return records

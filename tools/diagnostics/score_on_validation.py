"""Score profile changes on validation songs only (run by hand): plan a finished run's song-split
trials with the profile changed, tag them `search0` so each scores on its seed's validation
carve-out (as `bench tune`'s search does, never on test), and run them one at a time with the
process executor. `bench leaderboard OUT/NAME` then prints the paired intervals.

    python tools/diagnostics/score_on_validation.py BASE_RUN_DIR OUT NAME [FIELD=VALUE ...] \
        [seeds=N] [split=NAME] [jobs=N] [plugin=FILE ...] [-- MODEL ...]

BASE_RUN_DIR is a run whose dataset holds the features the models read (a `bench run` of the
probes and the mean does); the models default to the four CNNs, the mean and the probes.
`seeds=N` plans seeds 0..N-1 (trials already scored in OUT/NAME are kept); `augment=A[,B]` plans
only the twins trained with augmentations A and B (their clean rows are another NAME's); `split=NAME` plans
that split instead of `song` (the base run's split seed is kept); `jobs=N` runs N trials at a
time (default 1; compare configurations only at the same N); each `plugin=FILE`
adds a `--plugin` module (tools/diagnostics/pooling_variants.py: the head variants of
docs/results.md).
"""

import dataclasses
import shutil
import sys
from pathlib import Path

from bench.pipeline.config import RunConfig
from bench.pipeline.executors import make_executor
from bench.pipeline.runner import plan
from bench.registry import load_registry
from bench.results.records import TrialRecord
from bench.results.store import RunStore
from bench.trial import tensorflow_env
from bench.trial.augment import parse_variants

MODELS = ["1dwav", "2dwav", "2dspec", "3dspec", "mean", "probe-mel", "probe-wav"]


def value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text, text)


def main(argv: list[str]) -> None:
    base, out, name, *args = argv
    models = MODELS
    if "--" in args:
        models, args = args[args.index("--") + 1 :], args[: args.index("--")]
    pairs = [a.split("=", 1) for a in args]
    plugins = [v for k, v in pairs if k == "plugin"]
    changes = {k: value(v) for k, v in pairs if k not in ("plugin", "seeds", "split", "jobs", "augment")}
    augment = [list(v) for v in parse_variants([v for k, v in pairs if k == "augment"])]
    jobs = next((int(v) for k, v in pairs if k == "jobs"), 1)
    split = next((v for k, v in pairs if k == "split"), "song")
    config = RunConfig(**RunStore(base).info()["config"])
    seeds = next((int(v) for k, v in pairs if k == "seeds"), config.seeds)
    overrides = {**config.overrides, **changes}
    config = dataclasses.replace(
        config,
        models=models,
        overrides=overrides,
        jobs=jobs,
        seeds=seeds,
        plugins=[*config.plugins, *plugins],
        augment=augment,
    )
    registry = load_registry(config.plugins)
    run = Path(out) / name
    (run / "trials").mkdir(parents=True, exist_ok=True)
    for file in ("run.json", "dataset.json"):
        shutil.copyfile(Path(base) / file, run / file)
    store = RunStore(run)
    specs = [dataclasses.replace(s, tuning="search0", run_dir=str(run)) for s in plan(registry, config, run, [split])]
    specs = [s for s in specs if getattr(store.read_record(s.id), "status", None) != "ok"]
    specs = [s for s in specs if s.augment or not augment]
    tensorflow_env.use_profile_kernels(config.resolved_profile())
    executor = make_executor("process", jobs, None, config.plugins)
    executor.warm_up()

    def keep(record: TrialRecord) -> None:
        store.write_record(record)
        r2 = (record.metrics or {}).get("song", {}).get("r2")
        print(record.model, record.seed, record.status, r2, record.extra.get("diagnosis"), flush=True)

    executor.run(specs, keep)


if __name__ == "__main__":
    main(sys.argv[1:])

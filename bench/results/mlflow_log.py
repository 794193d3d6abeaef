"""MLflow logging: one MLflow run per bench run, one nested MLflow run per trial.

The tracking URI is $MLFLOW_TRACKING_URI, else a SQLite store `mlflow.db` in the results
folder with artifacts beside it in `mlartifacts/` (`mlflow ui --backend-store-uri
sqlite:///results/mlflow.db` shows it); the experiment is $MLFLOW_EXPERIMENT_NAME, else
"audio-feature-bench". A trial's run holds its identity as parameters (with the run's profile),
its final metrics, one step per epoch of every loss in its history, and tags for split, seed,
source and the data digest; the bench run's holds the configuration, and on completion the
report and the leaderboard CSV as artifacts.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from bench.results.records import RunInfo, TrialRecord
from bench.results.store import RunStore
from bench.results.tracker_values import final_metrics, key, millis

DEFAULT_EXPERIMENT = "audio-feature-bench"
STATUS = {"complete": "FINISHED", "interrupted": "KILLED", "failed": "FAILED"}  # run.json's -> MLflow's
MAX_VALUE = 500  # the longest parameter or tag value every MLflow version accepts
BATCH = 1000  # metrics per log_batch call (MLflow's limit)
PARAM_BATCH = 100
LEADERBOARD_CSV = "leaderboard.csv"


def tracking_uri(results_dir: Path) -> tuple[str, str | None]:
    """(tracking URI, artifact root for a new experiment: None leaves it to the server)."""
    configured = os.environ.get("MLFLOW_TRACKING_URI")
    if configured:
        return configured, None
    root = results_dir.resolve()
    return f"sqlite:///{root / 'mlflow.db'}", (root / "mlartifacts").as_uri()


def flatten(data: dict[str, Any], prefix: str) -> dict[str, str]:
    """Nested settings as `prefix.a.b` (or `a.b`) -> text (lists comma-joined; None and empty values left out)."""
    flat: dict[str, str] = {}
    for name, value in data.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict):
            flat.update(flatten(value, path))
        elif isinstance(value, list | tuple):
            if value:
                flat[key(path)] = ",".join(map(str, value))[:MAX_VALUE]
        elif value is not None and value != "":
            flat[key(path)] = str(value)[:MAX_VALUE]
    return flat


def run_tags(info: RunInfo) -> dict[str, str]:
    """Tags a bench run and each of its trials carry: source, data digest, seeds, the run's --tag's."""
    tags = {
        "bench.run_id": info.run_id,
        "source": str(info.config.get("source", "")),
        "data_digest": str((info.data or {}).get("fingerprint", "")),
        "seeds": str(info.seeds),
    }
    tags.update({key(k): str(v)[:MAX_VALUE] for k, v in (info.config.get("tags") or {}).items()})
    return {k: v for k, v in tags.items() if v}


class MlflowTracker:
    """Logs one bench run's trials into MLflow; reuses the bench run's MLflow run when it exists
    (a resume, a second export), skipping trials it already holds."""

    def __init__(self, store: RunStore):
        for noisy in ("mlflow", "alembic"):  # their start-up INFO lines say nothing to a bench user
            logging.getLogger(noisy).setLevel(logging.WARNING)
        self.store = store
        uri, artifacts = tracking_uri(store.dir.parent)
        self.client = MlflowClient(tracking_uri=uri)
        self.experiment = self._experiment(os.environ.get("MLFLOW_EXPERIMENT_NAME") or DEFAULT_EXPERIMENT, artifacts)
        info = store.run_info()
        self.parent = self._parent(info)
        self.logged = {(r.data.tags.get("bench.trial_id"), r.data.tags.get("bench.finished")) for r in self._children()}

    def _experiment(self, name: str, artifacts: str | None) -> str:
        found = self.client.get_experiment_by_name(name)
        if found is None:
            try:
                return self.client.create_experiment(name, artifact_location=artifacts)
            except MlflowException:  # another bench process created it first
                found = self.client.get_experiment_by_name(name)
        if found is None or found.lifecycle_stage == "deleted":
            raise ValueError(f"MLflow experiment {name!r} is deleted: restore it, or set MLFLOW_EXPERIMENT_NAME")
        return found.experiment_id

    def _search(self, filter_string: str) -> Iterator[Any]:
        token = None
        while True:
            page = self.client.search_runs([self.experiment], filter_string, max_results=1000, page_token=token)
            yield from page
            token = page.token
            if not token:
                return

    def _parent(self, info: RunInfo) -> str:
        for found in self._search("tags.`bench.kind` = 'run'"):
            if found.data.tags.get("bench.run_id") == info.run_id:
                self.client.update_run(found.info.run_id, status="RUNNING")
                return found.info.run_id
        tags = {
            "bench.kind": "run",
            **run_tags(info),
            **({"name": info.config["name"]} if info.config.get("name") else {}),
        }
        created = self.client.create_run(
            self.experiment,
            start_time=millis(info.started),
            tags=tags,
            run_name=info.config.get("name") or info.run_id,
        )
        params = {**flatten(info.config, "config"), **flatten(info.profile, "profile")}
        self._log(created.info.run_id, params=params)
        return created.info.run_id

    def _children(self) -> Iterator[Any]:
        return self._search(f"tags.mlflow.parentRunId = '{self.parent}'")  # an MLflow run id: hex only

    def _log(self, run_id: str, metrics: Sequence[Metric] = (), params: dict[str, str] | None = None) -> None:
        items = list((params or {}).items())
        for start in range(0, len(items), PARAM_BATCH):
            self.client.log_batch(run_id, params=[Param(k, v) for k, v in items[start : start + PARAM_BATCH]])
        metrics = list(metrics)
        for start in range(0, len(metrics), BATCH):
            self.client.log_batch(run_id, metrics=metrics[start : start + BATCH])

    def trial(self, record: TrialRecord) -> None:
        finished = record.extra.get("finished")
        if (record.id, finished) in self.logged:
            return
        info = self.store.run_info()
        tags = {
            "mlflow.parentRunId": self.parent,
            "bench.kind": "trial",
            "bench.trial_id": record.id,
            **run_tags(info),
            "status": record.status,
            "split": record.split,
            "seed": str(record.seed),
            "model": record.model,
            "feature": record.feature,
            "target": record.target,
        }
        if finished:
            tags["bench.finished"] = str(finished)
        if record.error:
            tags["error"] = record.error[:MAX_VALUE]
        if record.extra.get("diagnosis"):
            tags["diagnosis"] = ", ".join(map(str, record.extra["diagnosis"]))[:MAX_VALUE]
        identity = {
            name: getattr(record, name)
            for name in ("model", "feature", "split", "seed", "fold", "folds", "target", "aggregate", "profile")
        }
        identity.update(augment=record.augment, tuning=record.tuning, baseline=record.baseline, leaky=record.leaky)
        params = {**flatten(identity, ""), **flatten(info.profile, "profile")}
        ended = millis(finished) or int(time.time() * 1000)
        child = self.client.create_run(
            self.experiment, start_time=millis(record.extra.get("started")), tags=tags, run_name=record.id
        )
        metrics = [Metric(name, value, ended, 0) for name, value in final_metrics(record).items()]
        for name, values in (record.history or {}).items():
            metrics += [Metric(key(name), float(v), ended, epoch) for epoch, v in enumerate(values, start=1)]
        self._log(child.info.run_id, metrics, params)
        self.client.set_terminated(child.info.run_id, "FINISHED" if record.ok else "FAILED", end_time=ended)
        self.logged.add((record.id, finished))

    def finish(self, status: str) -> None:
        # the data digest exists only once features are built
        for name, value in run_tags(self.store.run_info()).items():
            self.client.set_tag(self.parent, name, value)
        try:
            if status == "complete":
                self._artifacts()
        finally:
            if status in STATUS:
                self.client.set_terminated(self.parent, STATUS[status])

    def _artifacts(self) -> None:
        """The report (HTML, markdown) and the leaderboard CSV, written into the run folder first."""
        from bench.results.export import export
        from bench.results.report import write_report

        paths = write_report(self.store)
        csv = self.store.dir / LEADERBOARD_CSV
        csv.write_text(export(self.store, "csv"), encoding="utf-8")
        for path in (paths["html"], paths["markdown"], csv):
            self.client.log_artifact(self.parent, str(path))

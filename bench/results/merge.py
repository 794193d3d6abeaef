"""Whether runs may share one leaderboard, and the merged view of their trials.

Two runs are comparable when the fields that define their data agree (`data_differences`):
the source, its options and short-clip policy, the window geometry, the seeds and folds, the
track list, each audio file's identity, the window table, the label column of every target
both predict, and, for every feature both use, its version and the profile fields it reads.
Those come from the dataset fingerprint run.json records (`bench.pipeline.provenance`); a run written
before fingerprints existed cannot be checked and is refused, saying how to give it one.
What may differ is reported, not refused: splits or targets only one run has, training
settings, backend, and a model whose code changed (`code_changes`).

`MergedRuns` reads like a `RunStore` (`id`, `run_info()`, `trials()`), so the boards, exports
and the report take it unchanged. A trial present in several runs (the same trial id: target,
model, feature, split, seed, fold, tuning, augmentation) is kept once: a successful one over a failed one, and
otherwise the one from the run named first; `notes` says how many were dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from bench.results.records import RunInfo, TrialRecord
from bench.results.store import RunStore

# Hashed fingerprint fields, by what they hash (for the refusal message).
HASHED = {
    "track_ids": "track ids, groups and official splits",
    "files": "audio files: each one's path, size and modification time",
    "window_table": "window table: each window's track and start",
}


class NotComparable(ValueError):
    """Runs whose data differ (or cannot be checked): the message names every difference."""


def _show(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:g}"
    return "–" if value is None else str(value)


@dataclass(frozen=True)
class Difference:
    """One data-defining field on which two runs disagree."""

    field: str
    a: Any
    b: Any

    def describe(self, name_a: str, name_b: str) -> str:
        hashed = self.field in HASHED or self.field.startswith("labels.")
        what = f" ({HASHED.get(self.field, 'its label column')})" if hashed else ""
        a, b = (str(v)[:12] if hashed and v else _show(v) for v in (self.a, self.b))
        return f"{self.field}{what}: {a} ({name_a}) vs {b} ({name_b})"


def _facts(data: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint's data-defining fields, flat (labels and features are compared apart)."""
    facts = {
        "source": data.get("source"),
        **{f"source.{k}": v for k, v in (data.get("source_options") or {}).items()},
        "short_policy": data.get("short_policy"),
        **{f"profile.{k}": v for k, v in (data.get("profile") or {}).items()},
        "seeds": data.get("seeds"),
        "split_seed": data.get("split_seed"),
        "folds": data.get("folds"),
    }
    facts.update({k: data.get(k) for k in ("tracks", "track_ids", "files", "windows", "window_table")})
    return facts


def data_differences(a: dict[str, Any], b: dict[str, Any]) -> list[Difference]:
    """Every data-defining field on which two fingerprints (run.json `data`) disagree: the
    common fields, the label columns of shared targets, and the version and read profile
    fields of shared features."""
    facts_a, facts_b = _facts(a), _facts(b)
    keys = dict.fromkeys([*facts_a, *facts_b])
    found = [Difference(k, facts_a.get(k), facts_b.get(k)) for k in keys if facts_a.get(k) != facts_b.get(k)]
    labels_a, labels_b = a.get("labels") or {}, b.get("labels") or {}
    found += [
        Difference(f"labels.{t}", labels_a[t], labels_b[t])
        for t in sorted(labels_a.keys() & labels_b.keys())
        if labels_a[t] != labels_b[t]
    ]
    features_a, features_b = a.get("features") or {}, b.get("features") or {}
    seen = {d.field for d in found}
    for name in sorted(features_a.keys() & features_b.keys()):
        fa, fb = features_a[name], features_b[name]
        if fa.get("version") != fb.get("version"):
            found.append(Difference(f"feature {name} version", fa.get("version"), fb.get("version")))
        pa, pb = fa.get("profile") or {}, fb.get("profile") or {}
        for key in sorted(pa.keys() | pb.keys()):
            if pa.get(key) != pb.get(key) and f"profile.{key}" not in seen:
                seen.add(f"profile.{key}")
                found.append(Difference(f"profile.{key}", pa.get(key), pb.get(key)))
    return found


def refusal(name_a: str, name_b: str, differences: list[Difference]) -> str:
    """One line naming every difference."""
    return "runs differ in " + "; and in ".join(d.describe(name_a, name_b) for d in differences)


def unfingerprinted(store: RunStore) -> str:
    """Why a run without a fingerprint cannot be merged, and how to give it one."""
    return (
        f"run {store.id} has no dataset fingerprint (it was made before run.json recorded one), so whether its "
        f"data match cannot be checked. Record one with `bench run --resume {store.id}`: it reloads the source "
        "(the features come from the cache) and retrains nothing that finished; the fingerprint is of the data "
        "as they are now."
    )


def _models(info: RunInfo) -> dict[str, dict]:
    return info.model_code or {}


def code_changes(a: RunInfo, b: RunInfo, name_a: str, name_b: str) -> list[str]:
    """A warning per model whose code hash differs between two runs (models both recorded)."""
    models_a, models_b = _models(a), _models(b)
    lines = []
    for model in sorted(models_a.keys() & models_b.keys()):
        code_a, code_b = models_a[model].get("code"), models_b[model].get("code")
        if code_a and code_b and code_a != code_b:
            modules = ", ".join(models_b[model].get("modules") or []) or "?"
            lines.append(f"model {model}'s code changed between {name_a} and {name_b} ({modules})")
    return lines


def used_plugins(info: RunInfo) -> list[dict[str, Any]]:
    """The plugins run.json lists that provided something the run used (a model, a feature, the
    source, a split, or a metric); every listed plugin for a run that recorded too little to tell."""
    data = info.data or {}
    if not data:
        return list(info.plugins)
    used = {("model", m) for m in _models(info)} | {("source", data.get("source"))}
    used |= {("feature", f) for f in data.get("features") or {}} | {("split", s) for s in data.get("splits") or []}
    chosen = []
    for plugin in info.plugins:
        provides = plugin.get("provides") or {}
        if "metric" in provides or any((kind, n) in used for kind, names in provides.items() for n in names):
            chosen.append(plugin)
    return chosen


def plugin_versions(info: RunInfo) -> str:
    """`models 0.1.0 (entry point of audio-feature-bench), my_plugin - (--plugin file)`: the
    used plugins, each with its version and where it came from."""
    return ", ".join(f"{p['name']} {p.get('version', '?')} ({p.get('origin', '?')})" for p in used_plugins(info))


def model_versions(info: RunInfo) -> str:
    """`2dspec: models 0.1.0, code 8966…`: per recorded model, its plugin, version and code hash."""
    return ", ".join(
        f"{name}: {m.get('plugin', '?')} {m.get('version', '?')}, code {(m.get('code') or '?')[:8]}"
        for name, m in sorted(_models(info).items())
    )


def plugin_changes(a: RunInfo, b: RunInfo) -> list[str]:
    """`plugin p: version 0.1 → 0.2` for each used plugin both runs list with another version."""
    versions_a = {p["name"]: p.get("version") for p in used_plugins(a)}
    versions_b = {p["name"]: p.get("version") for p in used_plugins(b)}
    return [
        f"plugin {name}: version {versions_a[name]} → {versions_b[name]}"
        for name in sorted(versions_a.keys() & versions_b.keys())
        if versions_a[name] != versions_b[name]
    ]


def setting_notes(a: RunInfo, b: RunInfo, name_a: str, name_b: str) -> list[str]:
    """What differs between two comparable runs without changing the data: the rows keep
    their own run's settings."""
    notes = []
    skip = {"name", "description", *(a.data or {}).get("profile", {})}
    profile = [
        f"{k} {_show(a.profile.get(k))} ({name_a}) vs {_show(b.profile.get(k))} ({name_b})"
        for k in sorted(a.profile.keys() | b.profile.keys())
        if k not in skip and a.profile.get(k) != b.profile.get(k)
    ]
    if profile:
        notes.append("training settings differ (each row keeps its own run's): " + "; ".join(profile))
    if a.backend != b.backend:
        notes.append(f"backends differ: {a.backend} ({name_a}) vs {b.backend} ({name_b})")
    for what, key in (("splits", "splits"), ("targets", "labels")):
        have_a, have_b = set((a.data or {}).get(key) or []), set((b.data or {}).get(key) or [])
        for name, only in ((name_a, have_a - have_b), (name_b, have_b - have_a)):
            if only:
                notes.append(f"{what} only in {name}: {', '.join(sorted(only))} (their rows come from {name} alone)")
    return notes + plugin_changes(a, b)


def check_comparable(stores: list[RunStore]) -> list[str]:
    """NotComparable naming every difference of any run from the first, or the run that has no
    fingerprint; otherwise the notes on what differs without changing the data."""
    if len({s.dir.resolve() for s in stores}) != len(stores):
        raise NotComparable("a run is named twice: name each run once")
    infos = [s.run_info() for s in stores]
    for store, info in zip(stores, infos):
        if not info.data:
            raise NotComparable(unfingerprinted(store))
    first, notes = stores[0], []
    for store, info in zip(stores[1:], infos[1:]):
        differences = data_differences(infos[0].data or {}, info.data or {})
        if differences:
            raise NotComparable(refusal(first.id, store.id, differences))
        notes += setting_notes(infos[0], info, first.id, store.id)
    return list(dict.fromkeys(notes))


@dataclass
class MergedRuns:
    """Several comparable runs read as one (the first run's settings head the boards)."""

    stores: list[RunStore]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _duplicates: dict[str, int] | None = field(default=None, init=False, repr=False)  # run -> trials dropped

    @property
    def id(self) -> str:
        return " + ".join(s.id for s in self.stores)

    @property
    def dir(self):
        return self.stores[0].dir

    def trials(self) -> list[TrialRecord]:
        """Every run's trials, one per key: a successful trial over a failed one, else the
        first-named run's."""
        kept: dict[str, tuple[int, TrialRecord]] = {}
        dropped: dict[str, int] = {}
        for index, store in enumerate(self.stores):
            for record in store.trials():
                key = record.id  # target, model, feature, split, seed, fold, tuning, augmentation
                if key in kept and not (record.ok and not kept[key][1].ok):
                    dropped[store.id] = dropped.get(store.id, 0) + 1
                    continue
                if key in kept:
                    dropped[self.stores[kept[key][0]].id] = dropped.get(self.stores[kept[key][0]].id, 0) + 1
                kept[key] = (index, record)
        self._duplicates = dropped
        return [record for _, record in kept.values()]

    def duplicates(self) -> str | None:
        """The rule for trials found in several runs and what it dropped (None when none were)."""
        if self._duplicates is None:
            self.trials()
        if not self._duplicates:
            return None
        counts = ", ".join(f"{n} from {run}" for run, n in self._duplicates.items())
        return (
            "trials found in several runs (same trial id: target, model, feature, split, seed, fold) are kept once: "
            f"a successful one over a failed one, otherwise the one from the run named first; dropped {counts}"
        )

    def run_info(self) -> RunInfo:
        """The first run's info, renamed to the merge, with every run's trials counted and the
        plugins and model code of all of them."""
        infos = [s.run_info() for s in self.stores]
        first = infos[0]
        plugins = list({p["name"]: p for info in reversed(infos) for p in info.plugins}.values())
        models = {name: m for info in reversed(infos) for name, m in _models(info).items()}
        backends = sorted({i.backend or "?" for i in infos})
        return replace(
            first,
            run_id=self.id,
            status="complete" if all(i.status == "complete" for i in infos) else "incomplete",
            backend=" / ".join(backends),
            plugins=plugins,
            model_code=models,
            trials=sum(i.trials or 0 for i in infos),
            failed_trials=sum(i.failed_trials or 0 for i in infos),
            wall_s=sum(i.wall_s or 0.0 for i in infos),
            tuning=next((i.tuning for i in infos if i.tuning), None),
            extra={**first.extra, "merged": [s.id for s in self.stores]},
        )


def merge_runs(stores: list[RunStore]) -> MergedRuns:
    """The runs as one, after checking that their data match (NotComparable otherwise), with
    notes on what differs and warnings for models whose code changed."""
    notes = check_comparable(stores)
    infos = [s.run_info() for s in stores]
    warnings = []
    for i in range(len(stores)):
        for j in range(i + 1, len(stores)):
            warnings += code_changes(infos[i], infos[j], stores[i].id, stores[j].id)
    merged = MergedRuns(stores, notes, warnings)
    duplicates = merged.duplicates()
    if duplicates:
        merged.notes.append(duplicates)
    return merged

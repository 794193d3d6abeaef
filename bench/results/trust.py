"""Which run folders this machine created, like git's safe.directory: a run.json names plugin
files and modules, and only a run on this list (or one the user vouches for with --trust-run)
gets them imported. A results folder from anywhere else is data, never code (docs/security.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.results.store import RunStore


class UntrustedRun(PermissionError):
    """A run whose run.json asks for plugins to be imported, and nobody vouched for it."""


def trust_file() -> Path:
    """$AFB_CONFIG_DIR/trusted-runs.jsonl, else the user's config directory (XDG on Linux)."""
    base = os.environ.get("AFB_CONFIG_DIR") or Path(
        os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config", "audio-feature-bench"
    )
    return Path(base) / "trusted-runs.jsonl"


def _entry(store: RunStore, run_id: str) -> dict:
    return {"path": str(store.dir.resolve()), "run_id": run_id}


def remember(store: RunStore) -> None:
    """Add a run this machine just created to the list (one appended line: concurrent runs may append)."""
    path = trust_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(_entry(store, store.id)) + "\n")


def is_trusted(store: RunStore) -> bool:
    """Whether this machine created the run in this very folder (its resolved path and run id)."""
    try:
        lines = trust_file().read_text(encoding="utf-8").splitlines()
        run_id = store.info().get("run_id", store.id)
    except (OSError, ValueError):
        return False
    wanted = _entry(store, run_id)
    for line in lines:
        try:
            if json.loads(line) == wanted:
                return True
        except ValueError:
            continue
    return False


def run_plugins(store: RunStore, named: list[str] | tuple[str, ...], trust_run: bool = False) -> list[str]:
    """The plugin modules to import for work on `store`: its run.json's when the run is trusted,
    and the ones the user named on this command line. UntrustedRun, naming what the run asks
    for and how to allow it, when the run lists a plugin the user did not name."""
    saved = [str(p) for p in store.info().get("config", {}).get("plugins", []) or []]
    named = list(named)
    if trust_run or is_trusted(store):
        return saved + [p for p in named if p not in saved]
    foreign = [p for p in saved if p not in named]
    if foreign:
        raise UntrustedRun(
            f"run {store.id} ({store.dir}) lists plugin(s) {', '.join(map(repr, foreign))} in its run.json; bench "
            "imports them only for runs this machine created. Name them with --plugin, or pass --trust-run if you "
            "trust whoever wrote that folder"
        )
    return named

"""Bootstrap intervals kept in a run's folder (`intervals.json`), keyed by a hash of the records
they come from (`bench.results.stats.content_key`), so a board re-rendered from unchanged
records does not resample again. A folder that cannot be written only loses the cache."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench.files import atomic_write_bytes
from bench.results.stats import IntervalCache

FILE = "intervals.json"


class FileIntervalCache(IntervalCache):
    """The intervals of one run folder; `save()` writes the new ones."""

    def __init__(self, folder: Path | str):
        self.path = Path(folder) / FILE
        self.known: dict[str, tuple[float, float]] = {}
        self.dirty = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.known = {k: (_float(v[0]), _float(v[1])) for k, v in data.items()}
        except (OSError, ValueError, TypeError, IndexError, AttributeError):
            self.known = {}

    def get(self, key: str) -> tuple[float, float] | None:
        return self.known.get(key)

    def put(self, key: str, value: tuple[float, float]) -> None:
        if key not in self.known:
            self.known[key] = (float(value[0]), float(value[1]))
            self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        data = {k: [_json(v[0]), _json(v[1])] for k, v in self.known.items()}
        try:
            atomic_write_bytes(self.path, json.dumps(data).encode())
            self.dirty = False
        except OSError:
            pass


def _float(value) -> float:
    return float("nan") if value is None else float(value)


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None

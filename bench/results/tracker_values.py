"""What a tracker logs from a trial record: names both trackers accept, times, final scalars."""

from __future__ import annotations

import re
from datetime import datetime

from bench.results.records import TrialRecord

UNSAFE_KEY = re.compile(r"[^A-Za-z0-9_\-./ ]")


def key(name: str) -> str:
    """A metric, parameter or tag name both trackers accept (other characters become '_')."""
    return UNSAFE_KEY.sub("_", name)


def millis(stamp: str | None) -> int | None:
    """An ISO time from a record as milliseconds since the epoch (None when absent or unreadable)."""
    if not isinstance(stamp, str):
        return None
    try:
        return int(datetime.fromisoformat(stamp).timestamp() * 1000)
    except ValueError:
        return None


def final_metrics(record: TrialRecord) -> dict[str, float]:
    """A finished trial's scalars: metrics per level ("song.r2"), timings ("timing.train_s"),
    parameters, best epoch and peak memory."""
    values = {f"{level}.{name}": v for level, found in (record.metrics or {}).items() for name, v in found.items()}
    values.update({f"timing.{name}": v for name, v in (record.timing or {}).items()})
    for name in ("params", "best_epoch", "peak_rss_mb"):
        if getattr(record, name) is not None:
            values[name] = getattr(record, name)
    return {key(k): float(v) for k, v in values.items() if isinstance(v, int | float) and not isinstance(v, bool)}

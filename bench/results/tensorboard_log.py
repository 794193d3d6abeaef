"""TensorBoard event files: per trial, one scalar per epoch of every loss in its history and
its final metrics, under `<run>/tensorboard/<trial>/` (`tensorboard --logdir results/<run>/tensorboard`).

Written with `tf.summary.write` and the scalars plugin's metadata, which needs TensorFlow
alone (a core dependency; `tf.summary.scalar` would need the `tensorboard` package, which
viewing needs anyway). A trial logged again replaces its folder, so a resume or a second export leaves one
curve per trial.
"""

from __future__ import annotations

import shutil

from bench.files import file_name
from bench.results.records import TrialRecord
from bench.results.store import RunStore
from bench.results.tracker_values import final_metrics, key

FOLDER = "tensorboard"


class TensorBoardTracker:
    """Writes one event-file folder per finished trial of a run."""

    def __init__(self, store: RunStore):
        import tensorflow as tf
        from tensorflow.core.framework.summary_pb2 import SummaryMetadata

        self.tf = tf
        self.scalar = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
        self.root = store.dir / FOLDER

    def trial(self, record: TrialRecord) -> None:
        if not record.ok:
            return
        folder = self.root / file_name(record.id)
        if folder.exists():
            shutil.rmtree(folder)
        history = record.history or {}
        last = max((len(values) for values in history.values()), default=0)
        writer = self.tf.summary.create_file_writer(str(folder))
        with writer.as_default():
            for name, values in history.items():
                for epoch, value in enumerate(values, start=1):
                    self._write(f"epoch/{key(name)}", float(value), epoch)
            for name, value in final_metrics(record).items():
                self._write(f"final/{name}", value, last)
        writer.close()

    def _write(self, tag: str, value: float, step: int) -> None:
        self.tf.summary.write(tag, self.tf.constant(value, self.tf.float32), step=step, metadata=self.scalar)

    def finish(self, status: str) -> None:
        """Nothing to close: each trial's writer is closed after it."""

"""Keras, imported with the framework's C++ start-up lines kept off the terminal.

TensorFlow 2.21 logs through absl before anything can configure it: `TF_CPP_MIN_LOG_LEVEL`
no longer silences "All log messages before absl::InitializeLog() ..." and the CUDA stub's
"Could not find cuda drivers" on a CPU machine. They are written straight to file descriptor 2
while the backend loads, so that descriptor points at /dev/null for the import alone
(`bench.native_stderr`); every later error reaches stderr as usual. Import Keras as
`from bench.trial.quiet import keras`.
"""

from __future__ import annotations

import os

from bench.native_stderr import silenced

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
with silenced():
    import keras  # noqa: E402

__all__ = ["keras"]

"""Keras, imported with the framework's C++ start-up lines kept off the terminal.

TensorFlow 2.21 logs through absl before anything can configure it: `TF_CPP_MIN_LOG_LEVEL`
no longer silences "All log messages before absl::InitializeLog() ..." and the CUDA stub's
"Could not find cuda drivers" on a CPU machine. They are written straight to file descriptor 2
while the backend loads, so that descriptor points at /dev/null for the import alone; every
later error reaches stderr as usual. Import Keras as `from bench.trial.quiet import keras`.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.stderr.flush()
_saved = os.dup(2)
_null = os.open(os.devnull, os.O_WRONLY)
try:
    os.dup2(_null, 2)
    import keras  # noqa: E402
finally:
    os.dup2(_saved, 2)
    os.close(_saved)
    os.close(_null)

__all__ = ["keras"]

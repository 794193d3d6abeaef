"""Native libraries' start-up lines kept off the terminal while a module loads.

TensorFlow (through absl and its CUDA stub) writes to file descriptor 2 when it is first
imported, before anything can configure it. `silenced()` points that descriptor at /dev/null for
the import alone, while Python's own `sys.stderr` keeps writing to the terminal, so a
plugin's warnings and messages still show.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Native writes to stderr go to /dev/null inside the block; Python's go to stderr as before."""
    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    python_stderr = sys.stderr
    if _writes_to_descriptor_2(python_stderr):  # a stream captured elsewhere (a test's) stays as it is
        sys.stderr = os.fdopen(saved, "w", closefd=False, encoding=python_stderr.encoding, errors="backslashreplace")
    try:
        os.dup2(null, 2)
        yield
    finally:
        sys.stderr.flush()
        sys.stderr = python_stderr
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _writes_to_descriptor_2(stream) -> bool:
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):  # io.StringIO and friends have no descriptor
        return False

"""Process-wide settings the harness chooses before numba and TensorFlow load.

Called first by the command line and by a run started from Python, never on `import bench`:
numba reads its cache folder and TensorFlow its kernel choice once, when they load.
"""

from __future__ import annotations

from bench.features import numba_cache
from bench.trial import tensorflow_env


def configure() -> None:
    """numba's kernel cache inside the harness's cache, and TensorFlow's settings (a user's own values win)."""
    numba_cache.configure()
    tensorflow_env.configure()

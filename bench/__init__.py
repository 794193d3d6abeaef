"""audio-feature-bench: train and compare CNNs that predict audio features from raw audio.

Plugin authors need only `bench.hookimpl` and the records in `bench.specs`; see
`bench.hookspecs` for the five hooks and docs/plugins.md for a walk-through.
"""

from bench.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__"]

"""audio-feature-bench: train and compare CNNs that predict audio features from raw audio.

Plugin authors need only `bench.hookimpl` and the records in `bench.specs` (and
`bench.frameworks` to add a model framework); see `bench.hookspecs` for the eight hooks,
docs/plugins.md for a walk-through and docs/architecture.md for the whole public plugin API.
"""

from bench.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__"]

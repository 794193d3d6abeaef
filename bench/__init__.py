"""audio-feature-bench: train and compare CNNs that predict audio features from raw audio.

Plugin authors need only `bench.hookimpl` and the records in `bench.specs` (and
`bench.frameworks` to add a model framework); see `bench.hookspecs` for the eight hooks,
docs/plugins.md for a walk-through and docs/architecture.md for the whole public plugin API.
"""

from bench.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "__version__", "run", "load_run", "runs", "Run"]
API = ("run", "load_run", "runs", "Run")


def __getattr__(name: str):
    """The Python API (bench.api), imported on first use so that `import bench` stays cheap."""
    if name in API:
        import importlib

        return getattr(importlib.import_module("bench.api"), name)  # the API sits above every role
    raise AttributeError(f"module 'bench' has no attribute {name!r}")

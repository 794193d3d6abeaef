"""The built-in plugins of audio-feature-bench.

They are registered through the same `bench` entry-point group as third-party plugins (see
`[project.entry-points.bench]` in pyproject.toml): one entry point per kind, each a package
whose `__init__` implements that kind's hook.
"""

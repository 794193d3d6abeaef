"""Measurements from the OS: peak memory in MiB whatever unit the platform reports it in."""

from __future__ import annotations

import types

import pytest

from bench import measure


@pytest.mark.parametrize(("platform", "maxrss"), [("darwin", 300 * 2**20), ("linux", 300 * 1024)])
def test_peak_memory_without_proc_reads_ru_maxrss_in_the_platforms_unit(monkeypatch, platform, maxrss):
    """Without /proc (macOS), ru_maxrss is the figure: bytes on macOS, KiB on Linux."""

    def no_proc(*args, **kwargs):
        raise FileNotFoundError("/proc/self/status")

    monkeypatch.setattr(measure, "open", no_proc, raising=False)
    monkeypatch.setattr(measure.sys, "platform", platform)
    monkeypatch.setattr(measure.resource, "getrusage", lambda who: types.SimpleNamespace(ru_maxrss=maxrss))
    assert measure.peak_rss_mb() == 300.0


def test_peak_memory_on_this_machine_is_plausible():
    assert 10 < measure.peak_rss_mb() < 64 * 1024

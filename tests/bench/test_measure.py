"""Measurements from the OS: peak memory in MiB whatever unit the platform reports it in."""

from __future__ import annotations

import types

import pytest

from bench.trial import measure


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


X86 = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 avx avx2 avx512f avx512_vnni amx_tile hypervisor
processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu vme sse sse2 ssse3 fma sse4_1 avx avx2 avx512f avx512_vnni amx_tile hypervisor
"""
ARM = "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm aes crc32 atomics fphp asimdhp sve\n"


def test_the_cpu_model_and_its_vector_instruction_sets_are_recorded(tmp_path):
    (tmp_path / "x86").write_text(X86)
    (tmp_path / "arm").write_text(ARM)
    assert measure.cpu(tmp_path / "x86") == {
        "cpu_model": "Intel(R) Xeon(R) Platinum 8480+",
        "cpu_flags": ["amx_tile", "avx", "avx2", "avx512_vnni", "avx512f", "fma", "sse", "sse2", "sse4_1", "ssse3"],
    }
    assert measure.cpu(tmp_path / "arm")["cpu_flags"] == ["asimd", "asimdhp", "sve"]
    assert measure.cpu(tmp_path / "absent")["cpu_flags"] == []  # macOS: no /proc; the model is the platform's
    assert {"cpu_model", "cpu_flags"} <= set(measure.machine())

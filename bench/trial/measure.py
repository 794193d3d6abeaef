"""Measurements from the OS and the environment: peak memory, timers, versions, machine."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import resource
import subprocess
import sys
from pathlib import Path

PACKAGES = (
    "audio-feature-bench",
    "keras",
    "tensorflow",
    "jax",
    "torch",
    "numpy",
    "librosa",
    "scikit-learn",
    "soundfile",
    "pluggy",
)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB. On Linux it is the kernel's VmHWM
    for this process's own memory since it started or since `reset_peak_rss`: ru_maxrss would
    also count the launching process's peak, which it inherits across fork and exec."""
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    # ru_maxrss is in bytes on macOS and in KiB on Linux and the BSDs.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)


def _status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status (VmHWM, VmRSS) in MiB, None where there is none."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """This process's resident memory now, in MiB (0 where /proc is missing)."""
    return _status_mb("VmRSS") or 0.0


def reset_peak_rss() -> float:
    """Start a new peak: the kernel's VmHWM drops to the memory resident now (Linux 4.0+,
    writing 5 to /proc/self/clear_refs), so `peak_rss_mb` afterwards is the peak since this
    call, e.g. of one trial in a worker that runs many. Returns the resident MiB it starts from."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass  # the peak then stays the process's own since it started
    return rss_mb()


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def git_commit(folder: Path) -> str | None:
    """The checkout's commit (with '+dirty' when it has changes), or None outside git."""
    try:  # git from PATH with fixed arguments: nothing read from data reaches these commands
        commit = subprocess.run(  # nosec B603 B607
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=5
        )
        if commit.returncode:
            return None
        dirty = subprocess.run(  # nosec B603 B607
            ["git", "status", "--porcelain"], cwd=folder, capture_output=True, text=True, timeout=5
        )
        return commit.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


# Instruction-set extensions numeric kernels (oneDNN, Eigen, OpenBLAS, XLA) choose code paths
# by: two machines that differ in these can give a CNN different float sums for the same seed.
VECTOR_FLAGS = ("sse", "ssse3", "avx", "fma", "f16c", "amx", "vnni", "bf16", "asimd", "sve", "fp16", "neon")


def cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict:
    """The CPU's model name and its vector instruction-set flags, from /proc/cpuinfo (Linux; x86
    "flags" or ARM "Features"); the model is the platform's processor string elsewhere."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        text = ""
    first: dict[str, str] = {}  # every core repeats its block: the first one speaks for all
    for line in text.splitlines():
        key, _, value = line.partition(":")
        first.setdefault(key.strip(), value.strip())
    model = first.get("model name") or first.get("Model") or platform.processor() or platform.machine()
    flags = (first.get("flags") or first.get("Features") or "").split()
    return {"cpu_model": model, "cpu_flags": sorted(f for f in flags if f.startswith(VECTOR_FLAGS))}


def machine() -> dict:
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        **cpu(),
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "python": platform.python_version(),
    }


def keras_backend() -> str:
    """The backend keras will use, read without importing keras."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")

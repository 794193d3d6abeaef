"""Writing files so that no reader ever sees half of one, and names from data as file names:
shared by the cache and the results store."""

from __future__ import annotations

import hashlib
import os
import string
import tempfile
import urllib.parse
from pathlib import Path

SAFE_CHARACTERS = frozenset(string.ascii_letters + string.digits + "._-+")
MAX_FILE_NAME = 200  # characters, leaving room for a suffix under every file system's 255


def _percent(character: str) -> str:
    return "".join(f"%{byte:02X}" for byte in character.encode("utf-8", "surrogatepass"))


def file_name(name: str) -> str:
    """`name` (a trial id, a target, a model: anything from data) as one file-name component that
    reads back as `name` (name_from_file): every character outside [A-Za-z0-9._+-] and a leading
    dot are percent-encoded (their UTF-8 bytes), so no name adds a folder, climbs out of one or
    hides a file. An encoding over MAX_FILE_NAME characters is cut and ends in `~` and a hash of
    the whole name (still unique; name_from_file gives None for it)."""
    encoded = "".join(c if c in SAFE_CHARACTERS else _percent(c) for c in name)
    if encoded.startswith("."):
        encoded = "%2E" + encoded[1:]
    if len(encoded) > MAX_FILE_NAME:
        encoded = (
            encoded[: MAX_FILE_NAME - 17] + "~" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        )
    return encoded or "%"


def name_from_file(encoded: str) -> str | None:
    """The name `file_name` encoded as `encoded`; None for a cut long name or a foreign file name."""
    if encoded == "%":
        return ""
    if "~" in encoded or any(c not in SAFE_CHARACTERS and c != "%" for c in encoded):
        return None
    try:
        name = urllib.parse.unquote_to_bytes(encoded).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    return name if file_name(name) == encoded else None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a uniquely named temporary file in the same folder and rename, so readers
    (and concurrent writers) never see half a file; the file gets the umask's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class UnusableFolder(OSError):
    """A folder a command must write into that it cannot use: the message names it and why."""


def check_writable_folder(path: Path | str, role: str) -> None:
    """UnusableFolder unless `path` is a folder this process can write into, or one it can
    create (its nearest existing parent is a writable folder). Nothing is created: a file is
    made and removed in the folder (or that parent) to prove it writable, which also covers
    read-only mounts, where permission bits say nothing (and root passes every permission check)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UnusableFolder(f"{role} {path}: exists but is not a folder")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UnusableFolder(f"{role} {path}: cannot be created, {existing} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=existing, prefix=".afb-write-check-"):
            pass
    except OSError as exc:
        where = "is not writable" if existing == path else f"cannot be created: {existing} is not writable"
        raise UnusableFolder(f"{role} {path}: {where} ({exc.strerror or exc})") from None

"""Writing files atomically: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import secrets
import stat
from contextlib import contextmanager


@contextmanager
def atomic_write(path):
    """A binary file to write `path` through.

    It is created exclusively beside `path` (never an existing file, never through a planted
    symlink), flushed to disk and renamed over `path` when the block ends; an existing file
    keeps its permissions, a new one gets those `open` gives under the umask. On an error or
    Ctrl-C nothing is left behind and any earlier file is as it was.

    >>> with atomic_write("model.onnx") as file:          # doctest: +SKIP
    ...     file.write(data)
    """
    path = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    try:
        old = os.lstat(path)
    except FileNotFoundError:
        old = None
    descriptor, temporary = _create_unique(folder, base)
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield file
            if old is not None and stat.S_ISREG(old.st_mode):     # keep a 0600 file 0600
                if hasattr(os, "fchmod"):
                    os.fchmod(file.fileno(), stat.S_IMODE(old.st_mode))
                else:
                    os.chmod(temporary, stat.S_IMODE(old.st_mode))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:          # an error, Ctrl-C: no half-written file left behind
        try:
            os.remove(temporary)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(folder)


def _create_unique(folder: str, base: str) -> tuple[int, str]:
    """A new file in `folder`, created exclusively (O_EXCL: never an existing file, never
    through a planted symlink), with the permissions `open` gives under the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) \
        | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = os.path.join(folder, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(name, flags, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no unused temporary name in {folder}")


def _sync_folder(folder: str) -> None:
    """Make the rename durable; best effort (not possible on every system)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

"""Files written whole or not at all, and output folders checked before any work.

Every file the library writes (corpora, trajectories, tables, figures, golden
files) goes through :func:`atomic_write`: the content goes to a temporary file
in the target's own folder, is flushed to disk, and is then renamed over the
target in one step (``os.replace``). A full disk, a crash or a signal in the
middle leaves the previous file (or none), never a truncated one. A symbolic
link at the target is refused rather than followed, so a link placed in an
output folder cannot redirect a write elsewhere.

:func:`output_dir` is what a command calls on its ``--out`` folder before it
computes anything: it creates the folder and proves it writable, or raises
one :class:`reference.errors.ConfigError` worded for a person.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from ..errors import ConfigError

__all__ = ["atomic_write", "output_dir", "describe_os_error"]


def _reason(e):
    reason = e.strerror or str(e) or "cannot be accessed"
    hints = {errno.ENOSPC: " (the disk is full)", errno.EDQUOT: " (the disk quota is used up)",
             errno.EROFS: " (the file system is read-only)"}
    return reason[0].lower() + reason[1:] + hints.get(e.errno, "")


def describe_os_error(e: OSError) -> str:
    """An ``OSError`` as one sentence for a person: ``"PATH: reason"`` without ``[Errno N]``.

    Parameters
    ----------
    e : OSError

    Returns
    -------
    str
    """
    where = e.filename if e.filename is not None else "a file"
    return f"{os.fspath(where)}: {_reason(e)}"


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", *, encoding: str | None = "utf-8",
                 newline: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it over ``path`` in one step.

    Use as ``with atomic_write(path) as f: f.write(...)``. If the block
    raises (or the process dies), ``path`` keeps its previous content (or
    stays absent) and the temporary file is removed.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    mode : {"w", "wb"}
        Text (UTF-8 by default) or binary.
    encoding, newline : str, optional
        As for :func:`open`, text mode only.

    Yields
    ------
    file object
        Open for writing; do not close it inside the block.

    Raises
    ------
    ConfigError
        ``path`` is a symbolic link (never followed) or a folder, or ``mode`` is not ``"w"``/``"wb"``.
    OSError
        The folder does not exist, is not writable, or the disk is full; ``path`` is untouched.
    """
    if mode not in ("w", "wb"):
        raise ConfigError(f"atomic_write opens files for writing only ('w' or 'wb'), got {mode!r}")
    path = os.fspath(path)
    if os.path.islink(path):
        raise ConfigError(f"{path}: is a symbolic link; refusing to write through it (remove it first)")
    if os.path.isdir(path):
        raise ConfigError(f"{path}: is a folder, not a file")
    folder, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder or ".")
    try:
        os.fchmod(fd, 0o666 & ~_umask())            # as open() would create it, not mkstemp's 0600
        text: dict[str, Any] = {} if "b" in mode else {"encoding": encoding, "newline": newline}
        with os.fdopen(fd, mode, **text) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def output_dir(path: str | os.PathLike[str], flag: str = "--out") -> str:
    """Create the output folder ``path`` if needed and prove it writable, before any computation.

    Parameters
    ----------
    path : str or os.PathLike
    flag : str
        How the folder is named in messages (the command's option).

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    ConfigError
        ``path`` is empty, is a file, cannot be created, or is not writable; the message names
        ``flag``, the folder and the reason in words.
    """
    if path is None or not os.fspath(path):
        raise ConfigError(f"{flag}: no folder given")
    path = os.fspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ConfigError(f"{flag} {path}: exists and is not a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"{flag} {path}: cannot create this folder ({_reason(e)})") from None
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-test.", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ConfigError(f"{flag} {path}: cannot write into this folder ({_reason(e)})") from None
    return path

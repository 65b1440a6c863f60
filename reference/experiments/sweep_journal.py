"""The sweep's journal: every finished run appended as one line the moment it completes.

``sweep_runs.jsonl`` in the output folder holds one JSON object per line,
``{"task": {...}, "rows": [...]}``: the run's complete setting and its rows of
the long table (floats written exactly, NaN as ``NaN`` as Python's ``json``
does). Each line is written with one ``write`` on a file opened for appending
and flushed to disk before the next run is recorded, so an interrupted sweep
keeps every run that finished; a line cut short by a crash is dropped when the
journal is read, and cut off before anything new is appended. A rerun with
``resume=True`` reads the journal and runs only the tasks it does not hold
(runs that crashed are run again).
"""

import json
import os

from ..data.files import describe_os_error
from ..errors import ConfigError

__all__ = ["JOURNAL", "task_key", "read_journal", "Journal"]

#: File name of the journal inside the sweep's output folder.
JOURNAL = "sweep_runs.jsonl"


def task_key(task):
    """A run's identity: its setting as canonical JSON (two runs with equal settings are the same run)."""
    return json.dumps(task, sort_keys=True)


def _plain(x):
    """numpy scalars as Python numbers (the rows are otherwise plain)."""
    if hasattr(x, "item"):
        return x.item()
    raise TypeError(f"cannot journal a value of type {type(x).__name__}")


def read_journal(path):
    """The runs recorded in a journal: ``{task_key: rows}`` (a later line for a task wins).

    Parameters
    ----------
    path : str

    Returns
    -------
    (dict, int)
        The runs, and the byte length of the complete lines (a last line cut short is not counted).

    Raises
    ------
    ConfigError
        The file cannot be read, or a complete line is not a journal record (line named).
    """
    runs, good = {}, 0
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ConfigError(f"cannot read the sweep journal: {describe_os_error(e)}") from None
    lines = data.split(b"\n")
    for k, line in enumerate(lines[:-1], start=1):   # the part after the last newline is incomplete
        try:
            rec = json.loads(line.decode("utf-8"))
            key, rows = task_key(rec["task"]), rec["rows"]
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise TypeError("rows must be a list of objects")
        except (ValueError, KeyError, TypeError, RecursionError) as e:
            raise ConfigError(f"{path}:{k}: not a sweep journal record ({type(e).__name__}: {e}); "
                              "move the file away to start afresh") from None
        runs[key] = rows
        good += len(line) + 1
    return runs, good


class Journal:
    """An append-only journal file (see the module docstring); use as a context manager.

    Parameters
    ----------
    path : str
    resume : bool
        Keep the runs already in ``path`` (and cut off a last line left incomplete). Without it,
        an existing journal is refused, so finished runs are never discarded by accident.

    Attributes
    ----------
    done : dict
        ``task_key -> rows`` of the runs read from the file when resuming.

    Raises
    ------
    ConfigError
        ``path`` exists without ``resume``, is a symbolic link, or cannot be read or opened.
    """

    def __init__(self, path, resume):
        self.path, self.done = path, {}
        if os.path.islink(path):
            raise ConfigError(f"{path}: is a symbolic link; refusing to write through it")
        if os.path.exists(path):
            if not resume:
                raise ConfigError(f"{path} already holds the runs of a sweep: pass --resume (resume=True) to "
                                  "skip them and run the rest, or remove the file to start afresh")
            self.done, good = read_journal(path)
            if good != os.path.getsize(path):
                os.truncate(path, good)              # a line cut short by a crash
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
        except OSError as e:
            raise ConfigError(f"cannot open the sweep journal: {describe_os_error(e)}") from None

    def append(self, task, rows):
        """Append one finished run and flush it to disk.

        Raises
        ------
        OSError
            The disk is full or the file cannot be written.
        """
        data = (json.dumps({"task": task, "rows": rows}, default=_plain) + "\n").encode("utf-8")
        while data:
            data = data[os.write(self._fd, data):]
        os.fsync(self._fd)

    def close(self):
        """Close the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

"""Writing and loading golden-case files: atomic writes that never replace a file by surprise, strict reads.

:func:`write_cases` writes to a temporary file in the target's folder and
moves it into place (a reader never sees half a file; an existing file or a
symbolic link at the target is refused, never followed); :func:`load_cases`
reads strictly (:func:`reference.conformance.golden_file.read_json`) and
validates every field (:mod:`reference.conformance.schema`).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .golden_file import jsonable, read_cases_file, seal
from .schema import validate_cases

__all__ = ["write_cases", "load_cases"]


def write_cases(path: str | os.PathLike[str], cases: Mapping[str, Any], *, overwrite: bool = False) -> None:
    """Write golden cases as strict JSON, floats by ``repr`` (round-trip exact; Section 3 to Algorithm 1 outputs).

    The file is written to a temporary file in the same folder and then moved into place,
    so a reader never sees half a file; an existing ``path`` (or a symbolic link there) is
    refused unless ``overwrite``, and a link is replaced, never followed.

    Parameters
    ----------
    path : str or os.PathLike
    cases : dict
        From :func:`reference.conformance.golden_cases` (validated and sealed again here).
    overwrite : bool
        Replace an existing file.

    Raises
    ------
    ConfigError
        ``cases`` is not a valid golden-case dict; ``path`` exists (without ``overwrite``).
    OSError
        The file cannot be written.
    """
    cases = seal(jsonable(cases))
    validate_cases(cases, "cases to write")
    path = os.fspath(path)
    if not overwrite and os.path.lexists(path):
        raise ConfigError(f"{path} already exists; remove it or choose another file name")
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".golden-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(cases, f, allow_nan=False, separators=(",", ":"))
            f.write("\n")
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)                    # fails on any existing entry, link or not
            except FileExistsError:
                raise ConfigError(f"{path} already exists; remove it or choose another file name") from None
            except OSError:                           # no hard links on this file system
                if os.path.lexists(path):
                    raise ConfigError(f"{path} already exists; remove it or choose another file name") from None
                os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)



def load_cases(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a golden-case file written by :func:`write_cases` (or ``python -m reference golden``).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    dict
        The cases as JSON values (lists, floats, strings); :func:`reference.conformance.check`
        decodes them.

    Raises
    ------
    ConfigError
        Missing or oversized file, not strict JSON, another format or :data:`VERSION`, a field of
        the wrong type, range or shape (named), or a checksum that does not match the content.
    """
    cases = read_cases_file(path)
    validate_cases(cases, os.fspath(path))
    return cases

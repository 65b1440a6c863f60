"""JSON and CSV text of the audit's row tables (statements, proof steps, certified rows), written atomically.

One format for the three tables (:class:`reference.audit.table.AuditTable`,
:class:`reference.audit.chains.ProofTable`, :class:`reference.audit.certified_report.CertifiedTable`):

* JSON: a list of row objects; NaN as ``null``, infinities as ``"inf"`` / ``"-inf"``,
  NumPy scalars as Python numbers;
* CSV: a header, floats by ``repr`` (round-trip exact), lists joined by ``;``, dicts
  (condition counts) as ``name=value`` joined by ``;``.
"""

import csv
import io
import json
import math

import numpy as np

from ..data.files import atomic_write

__all__ = ["rows_json", "rows_csv", "emit"]


def _json_value(v):
    if isinstance(v, (np.integer, np.floating)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def _csv_value(v):
    if isinstance(v, list):
        return ";".join(map(str, v))
    if isinstance(v, dict):
        return ";".join(f"{a}={b}" for a, b in v.items())
    return repr(v) if isinstance(v, float) else v


def rows_json(dicts):
    """The rows (a list of dicts) as indented JSON text (module docstring)."""
    return json.dumps([{k: _json_value(v) for k, v in d.items()} for d in dicts], indent=1)


def rows_csv(dicts, fieldnames):
    """The rows (a list of dicts with keys among ``fieldnames``) as CSV text with a header (module docstring)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fieldnames, lineterminator="\n")
    w.writeheader()
    for d in dicts:
        w.writerow({k: _csv_value(v) for k, v in d.items()})
    return buf.getvalue()


def emit(text, path, newline=None):
    """``text`` if ``path`` is None, else ``path`` after writing ``text`` to it whole or not at all.

    Raises
    ------
    OSError
        The file cannot be written (a previous file is left as it was).
    ConfigError
        ``path`` is a symbolic link (never followed).
    """
    if path is None:
        return text
    with atomic_write(path, newline=newline) as f:
        f.write(text)
    return path

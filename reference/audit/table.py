"""The audit's table: one :class:`AuditRow` per statement and quantity, rendered as text, CSV or JSON.

:func:`scalar_row` builds the row of a statement checked once rather than per iterate.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any, overload, TypeVar

import numpy as np

from .rows_io import emit, rows_csv, rows_json

__all__ = ["AuditRow", "AuditTable", "scalar_row"]

_Path = TypeVar("_Path", bound="str | os.PathLike[str]")     # to_json and to_csv return the path they wrote


@dataclass
class AuditRow:
    """One statement and quantity, checked on one run (:func:`reference.audit.evaluate`, :func:`scalar_row`).

    The fields are the columns of the CSV and JSON files of ``python -m reference verify``.
    """

    run: str
    statement: str
    quantity: str
    sense: str
    printed: str
    n_checked: int          # iterates where the conditions hold and the measure is defined
    n_undefined: int        # iterates where the conditions hold but the measure is nan
    holds: bool | None      # True / False, or None when the conditions never hold
    t_worst: int | None
    measured_worst: float
    bound_worst: float
    slack_worst: float      # bound - measured for "<=", measured - bound for ">=" (>= 0 holds)
    log_slack_worst: float  # log of bound/measured (or its reciprocal), >= 0 holds; nan if signs differ
    t_final: int
    conditions_final: bool
    measured_final: float
    bound_final: float
    erratum: str = ""       # key of ERRATA when the printed statement is known false
    corrects: str = ""      # the printed row this corrected row replaces
    decides: bool = True    # counts for the exit status (False: erratum or informational)
    note: str = ""

    @property
    def name(self) -> str:
        """``"statement: quantity"``, the row's key."""
        return f"{self.statement}: {self.quantity}"

    @property
    def violated(self) -> bool:
        """The row decides, its conditions hold somewhere, and it fails there."""
        return self.decides and self.holds is False


class AuditTable:
    """The audit's rows, with CSV / JSON / text renderings.

    Parameters
    ----------
    rows : iterable of AuditRow
    """

    def __init__(self, rows: Iterable[AuditRow] = ()) -> None:
        self.rows = list(rows)

    def __iter__(self) -> Iterator[AuditRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def extend(self, rows: Iterable[AuditRow]) -> None:
        """Append rows (an iterable of :class:`AuditRow`, e.g. another table)."""
        self.rows.extend(rows)

    def violations(self) -> list[AuditRow]:
        """Rows that decide and are violated where their conditions hold."""
        return [r for r in self.rows if r.violated]

    @property
    def ok(self) -> bool:
        """No deciding row is violated (the exit status of ``verify`` is 0)."""
        return not self.violations()

    def row(self, name: str, run: str | None = None) -> AuditRow:
        """The first row called ``"statement: quantity"`` (optionally of one run).

        Raises
        ------
        KeyError
            No such row.
        """
        for r in self.rows:
            if r.name == name and (run is None or r.run == run):
                return r
        raise KeyError(name)

    def to_dicts(self) -> list[dict[str, Any]]:
        """The rows as a list of dicts (field name -> value)."""
        return [asdict(r) for r in self.rows]

    @overload
    def to_json(self, path: None = None) -> str: ...
    @overload
    def to_json(self, path: _Path) -> _Path: ...
    def to_json(self, path: str | os.PathLike[str] | None = None) -> str | os.PathLike[str]:
        """The rows as a JSON list (nan -> null); written to ``path`` if given, else returned."""
        text = rows_json(self.to_dicts())
        return text if path is None else emit(text + "\n", path)

    @overload
    def to_csv(self, path: None = None) -> str: ...
    @overload
    def to_csv(self, path: _Path) -> _Path: ...
    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str | os.PathLike[str]:
        """The rows as CSV with a header; written to ``path`` if given, else returned."""
        return emit(rows_csv(self.to_dicts(), [f.name for f in fields(AuditRow)]), path, newline="")

    def to_text(self) -> str:
        """A fixed-width table for the terminal."""
        def g(x):
            return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"
        head = f"{'run':<29} {'statement: quantity':<58} {'t':>6} {'measured':>11} {'bound':>11} " \
               f"{'log-slack':>9}  verdict"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            verdict = ("n/a (conditions never hold)" if r.holds is None else
                       "holds" if r.holds else "VIOLATED")
            if r.erratum:
                verdict += " [known erratum]"
            elif not r.decides:
                verdict += " [informational]"
            t = r.t_worst if r.t_worst is not None else r.t_final
            m, b = (r.measured_worst, r.bound_worst) if r.t_worst is not None else (r.measured_final, r.bound_final)
            lines.append(f"{r.run[:29]:<29} {r.name[:58]:<58} {t!s:>6} {g(m):>11} {g(b):>11} "
                         f"{g(r.log_slack_worst):>9}  {verdict}")
        return "\n".join(lines)


def scalar_row(run: str, statement: str, quantity: str, sense: str, printed: str, measured: float, bound: float,
               conditions: bool, *, t: int, erratum: str = "", corrects: str = "", decides: bool = True,
               note: str = "", tol: float = 0.0) -> AuditRow:
    """An :class:`AuditRow` for a statement checked once (at ``t``), not per iterate.

    Used for the rates, Proposition 2, Theorem 3 and Example 2.

    Parameters
    ----------
    run, statement, quantity, printed : str
        Row labels (as in :class:`AuditRow`).
    sense : {"<=", ">=", "<", ">"}
        ``measured sense bound`` is what must hold.
    measured, bound : float
        nan makes the row undefined (``holds`` None).
    conditions : bool
        Whether the statement's conditions hold.
    t : int
        The iterate the check refers to.
    erratum, corrects, decides, note
        As in :class:`AuditRow`.
    tol : float
        Slack accepted below 0 (rounding).

    Returns
    -------
    AuditRow
        ``holds`` None when the conditions do not hold or a value is nan.
    """
    measured, bound = float(measured), float(bound)
    defined = not (math.isnan(measured) or math.isnan(bound))
    check = bool(conditions) and defined
    slack = (bound - measured) if sense == "<=" else (measured - bound)
    if sense == ">" or sense == "<":
        ok = slack > -tol
    else:
        ok = slack >= -tol
    log_slack = np.nan
    if defined and math.isfinite(measured) and math.isfinite(bound) and measured * bound > 0:
        r = abs(bound) / abs(measured)
        log_slack = math.log(r) if (sense in ("<=", "<")) == (measured > 0) else -math.log(r)
    return AuditRow(run=run, statement=statement, quantity=quantity, sense=sense, printed=printed,
                    n_checked=int(check), n_undefined=int(bool(conditions) and not defined),
                    holds=(ok if check else None), t_worst=(int(t) if check else None),
                    measured_worst=measured if check else np.nan, bound_worst=bound if check else np.nan,
                    slack_worst=slack if check else np.nan, log_slack_worst=log_slack if check else np.nan,
                    t_final=int(t), conditions_final=bool(conditions), measured_final=measured,
                    bound_final=bound, erratum=erratum, corrects=corrects, decides=decides, note=note)

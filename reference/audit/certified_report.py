"""The certified verdicts of several runs as one table, set beside the float64 audit of the same runs.

:class:`CertifiedTable` holds :class:`~reference.audit.certified_row.CertifiedRow` rows and
writes them as text, CSV and JSON. :func:`compare_with_float` sets each row beside the float64
verdict of the same row on the same instance and flags a contradiction: a row *refuted* on balls
whose float64 slack at that iterate is positive and far from 0, or a row *proved* on balls that
fails in float64 far from 0 (``FAR`` relative). Either would be a bug in the certified run or in
the float one (the float run is the exact iteration plus rounding, far smaller than ``FAR``).
"""

import math
from collections import Counter
from dataclasses import asdict, fields

import numpy as np

from ..certified import NA, PROVED, REFUTED, UNDECIDED
from .certified_row import CertifiedRow
from .rows_io import emit, rows_csv, rows_json

__all__ = ["FAR", "CertifiedTable", "compare_with_float"]

#: A float64 slack counts as far from 0 beyond this relative size: rounding in a run of up to
#: 1e5 steps accumulates ~1e-11 relative (the audit's RTOL is 1e-9), so 1e-6 leaves a factor 1000.
FAR = 1e-6


def _float_slack_at(fr, t):
    """The float64 relative slack of a row at iterate ``t`` (nan if not available there)."""
    s = fr.series
    if not s or t is None or fr.sense not in ("<=", ">="):
        return math.nan
    ts = list(np.asarray(s["t"]).tolist())
    if t not in ts:
        return math.nan
    k = ts.index(t)
    m, b = float(np.asarray(s["measured"])[k]), float(np.asarray(s["bound"])[k])
    if not (math.isfinite(m) and math.isfinite(b)):
        return math.nan
    return ((b - m) if fr.sense == "<=" else (m - b)) / max(abs(m), abs(b), 1e-300)


def _agreement(r, fr):
    if fr is None:
        return ""
    fv = fr.verdict
    if r.verdict == REFUTED and fv in ("holds", "holds-unstated"):
        s = _float_slack_at(fr, r.t)
        if math.isfinite(s) and s > FAR:
            return f"no: refuted at t = {r.t} on balls, float64 slack there +{s:.3g} (relative)"
    if r.verdict == PROVED and fv == "fails" and fr.t_first_fail is not None and fr.t_first_fail < r.n_iterates:
        m, b = fr.measured_first_fail, fr.bound_first_fail
        if math.isfinite(m) and math.isfinite(b) and abs(b - m) > FAR * max(abs(m), abs(b), 1e-300):
            return (f"no: proved on balls, float64 fails at t = {fr.t_first_fail} "
                    f"(measured {m:.6g}, claimed {fr.sense} {b:.6g})")
    return "yes"


def compare_with_float(rows, float_rows):
    """Set each certified row beside the float64 row of the same run and key (fills ``float_verdict``, ``agrees``).

    Parameters
    ----------
    rows : iterable of CertifiedRow
    float_rows : iterable of reference.audit.verdicts.StepRow
        The float64 proof audit (statement rows and steps) of the same instances, same run labels.

    Returns
    -------
    list of CertifiedRow
        The rows whose verdicts contradict (see the module docstring).
    """
    index = {(f.run, f.key): f for f in float_rows}
    bad = []
    for r in rows:
        fr = index.get((r.run, r.key))
        r.float_verdict = "" if fr is None else fr.verdict
        r.agrees = _agreement(r, fr)
        if r.agrees.startswith("no"):
            bad.append(r)
    return bad


class CertifiedTable:
    """The certified rows of one or more runs.

    Parameters
    ----------
    rows : iterable of CertifiedRow
    """

    def __init__(self, rows=()):
        self.rows = list(rows)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)

    def extend(self, rows):
        """Append rows."""
        self.rows.extend(rows)

    def counts(self):
        """``{verdict: number of rows}`` over the four verdicts."""
        c = Counter(r.verdict for r in self.rows)
        return {v: c.get(v, 0) for v in (PROVED, REFUTED, UNDECIDED, NA)}

    def violations(self):
        """Rows that decide and are refuted (a counterexample to a statement the library asserts)."""
        return [r for r in self.rows if r.violated]

    def disagreements(self):
        """Rows whose certified verdict contradicts the float64 one (``compare_with_float``)."""
        return [r for r in self.rows if r.agrees.startswith("no")]

    def row(self, key, run=None):
        """The first row ``key`` (of ``run`` if given); ``KeyError`` if none."""
        for r in self.rows:
            if r.key == key and (run is None or r.run == run):
                return r
        raise KeyError(key)

    def to_dicts(self):
        """The rows as dicts (tuples as lists)."""
        return [{k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(r).items()} for r in self.rows]

    def to_json(self, path=None):
        """The rows as a JSON list (nan -> null); written to ``path`` if given, else returned."""
        text = rows_json(self.to_dicts())
        return text if path is None else emit(text + "\n", path)

    def to_csv(self, path=None):
        """The rows as CSV (lists joined by ``;``, condition counts as ``name=p/u/r``)."""
        return emit(rows_csv(self.to_dicts(), [f.name for f in fields(CertifiedRow)]), path, newline="")

    def to_text(self):
        """A fixed-width table: run, row, certified verdict, iterate, the slack's ball, its width, float64 verdict."""
        def g(x):
            return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3g}"
        head = (f"{'run':<26} {'row':<52} {'certified':<10} {'t':>5} {'slack ball':>23} {'width':>8}  "
                f"{'float64':<14} note")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            v = r.verdict + ("*" if r.erratum else "")
            ball = "-" if math.isnan(r.lower) else f"[{g(r.lower)}, {g(r.upper)}]"
            note = r.precision_note or r.why
            if r.agrees.startswith("no"):
                note = "DISAGREES " + r.agrees[4:]
            lines.append(f"{r.run[:26]:<26} {r.key[:52]:<52} {v:<10} {r.t!s:>5} {ball:>23} {g(r.width):>8}  "
                         f"{(r.float_verdict or '-')[:14]:<14} {note[:110]}")
        return "\n".join(lines)

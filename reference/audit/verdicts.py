"""The verdict of one proof step on one run: holds, holds only under an unstated condition, fails, n/a.

:func:`judge` runs a step's check on a run's measurements, evaluates its
conditions at every iterate and returns a :class:`StepRow`:

``holds``
    at every iterate where the conditions the paper states hold (and the quantities
    are defined), within tolerance;
``holds-unstated``
    it fails somewhere under the stated conditions, but never where the
    conditions the paper does not state (``unstated``) also hold: the row names
    them (``unstated_needed``) and the first failure without them;
``fails``
    it fails where all its conditions hold (first and worst iterate, measured vs claimed);
``n/a``
    the stated conditions hold nowhere, or the quantities cannot be computed (``why``).

Tolerances. An inequality holds at ``t`` if ``slack >= -(ATOL + RTOL max(|m|, |b|) +
ROUND_ULPS eps scale)`` (the statement audit's rule, reference.audit.statements); an
identity if ``||m - b|| <= ATOL + ID_RTOL max(||m||, ||b||) + ROUND_ULPS eps scale``.
In log space (both sides logarithms) the tolerance is ``RTOL`` (or ``ID_RTOL``) plus
``ROUND_ULPS eps (|m| + scale)``. A check with trailing axes ("for every x") holds at
``t`` if every entry does; the row shows the entry of least slack.
A bound that the measured quantity cannot fail (outside its declared range, e.g. a
direction-error bound above 2) is *vacuous* at that iterate: ``n_vacuous`` counts them.
"""

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from ..theory.proofs import conditions as cond
from ..theory.proofs import FLOAT64, Unavailable
from .statements import _slacks, ATOL, ROUND_ULPS, RTOL
from .table import AuditRow

__all__ = ["ID_RTOL", "VERDICTS", "StepRow", "judge"]

#: An identity compares two computations of one quantity from the same float64 iterates,
#: each through O(|V| L_max) operations: ~1e3 eps = 2e-13 relative where nothing cancels
#: (cancellation enters through the check's scale). 1e-10 leaves a factor ~500, while a
#: typo (a missing factor, a wrong constant or term) changes a side by far more.
ID_RTOL = 1e-10
#: The four verdicts of a step on a run.
VERDICTS = ("holds", "holds-unstated", "fails", "n/a")
_EPS = float(np.finfo(np.float64).eps)


@dataclass
class StepRow(AuditRow):
    """One proof step (or statement row) on one run: an :class:`~reference.audit.table.AuditRow` and more.

    The inherited fields keep their meaning (``holds`` is True for ``holds`` and
    ``holds-unstated``, False for ``fails``, None for ``n/a``; ``decides`` is False for a
    printed relation recorded as false, whose key is in ``erratum``).
    ``value_range`` is ``(lo, hi)``, the values the measured quantity can take (a bound
    beyond it is vacuous), when it is the same at every iterate. ``series`` holds
    the per-iterate arrays for plots (``t``, ``measured``, ``bound``, ``ok``, ``defined``,
    ``stated``, ``all`` (every condition), ``vacuous``, and ``error`` for identities); it
    is not written to CSV or JSON.
    """

    key: str = ""
    kind: str = ""
    page: object = None
    equation: str = ""
    stage: int = 0
    relation: str = ""
    conditions_stated: tuple = ()
    conditions_unstated: tuple = ()
    conditions_true: dict = field(default_factory=dict)
    n_iterates: int = 0
    verdict: str = "n/a"
    unstated_needed: tuple = ()
    why: str = ""
    t_first_fail: object = None
    measured_first_fail: float = math.nan
    bound_first_fail: float = math.nan
    rel_error_worst: float = math.nan
    tolerance: str = ""
    space: str = "linear"
    n_vacuous: int = 0
    vacuous: bool = False
    value_range: tuple = ()
    inconsistencies: tuple = ()
    follows: tuple = ()
    series: dict = field(default=None, repr=False)


def _reduce(x, n):
    """``x`` of shape (n, ...) as (n, k)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0 or x.shape[0] != n:
        raise ConfigError(f"a check returned an array of shape {x.shape}; its first axis must be the {n} iterates")
    return x.reshape(n, -1)


def _per_t(v, n):
    if v is None:
        return np.zeros(n)
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).astype(float)


def _sides(check, n, space):
    """Per-iterate series: measured, bound, ok, defined, slack, error, rel_error (see the module docstring)."""
    m = _reduce(check.measured, n)
    b = _reduce(np.broadcast_to(np.asarray(check.bound, dtype=np.float64), np.shape(check.measured)), n)
    sc = np.nan_to_num(_per_t(check.scale, n))[:, None]
    finite = np.isfinite(m).all(axis=1) & np.isfinite(b).all(axis=1)
    if check.sense == "==":
        err = np.sqrt(np.sum((m - b) ** 2, axis=1))
        if space == "log":
            size = np.max(np.maximum(np.abs(m), np.abs(b)), axis=1)
            tol = ID_RTOL + ROUND_ULPS * _EPS * (size + sc[:, 0])
            rel = err
        else:
            size = np.maximum(np.sqrt(np.sum(m * m, axis=1)), np.sqrt(np.sum(b * b, axis=1)))
            tol = ATOL + ID_RTOL * size + ROUND_ULPS * _EPS * sc[:, 0]
            rel = err / np.where(size > 0, size, 1.0)
        ms = m[:, 0] if m.shape[1] == 1 else np.sqrt(np.sum(m * m, axis=1))
        bs = b[:, 0] if b.shape[1] == 1 else np.sqrt(np.sum(b * b, axis=1))
        return dict(measured=ms, bound=bs, ok=err <= tol, defined=finite & np.isfinite(err), slack=-err,
                    error=err, rel=rel, log_slack=np.full(n, np.nan))
    slack = (b - m) if check.sense == "<=" else (m - b)
    big = np.maximum(np.abs(m), np.abs(b))
    if space == "log":
        tol = RTOL + ROUND_ULPS * _EPS * (big + sc)
        norm = np.ones_like(big)
    else:
        tol = ATOL + RTOL * big + ROUND_ULPS * _EPS * sc
        norm = np.where(big > 0, big, 1e-300)
    score = np.where(np.isfinite(slack), (slack + tol) / norm, -np.inf)
    k = np.argmin(score, axis=1)
    rows = np.arange(n)
    ms, bs, ss = m[rows, k], b[rows, k], slack[rows, k]
    ls = ss if space == "log" else _slacks(check.sense, ms, bs)[1]
    return dict(measured=ms, bound=bs, ok=np.all(slack >= -tol, axis=1), defined=finite, slack=ss,
                error=None, rel=ss / norm[rows, k], log_slack=ls, k=k, m_full=m, b_full=b)


def _vacuous(step, q, sides, sense, n):
    if sense == "==":
        return np.zeros(n, dtype=bool)
    lo, hi = step.range_of(q)
    b = sides["b_full"]
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    lo = lo.reshape(-1, 1) if lo.ndim else lo
    hi = hi.reshape(-1, 1) if hi.ndim else hi
    vac = (b >= hi) if sense == "<=" else (b <= lo)
    return np.all(vac, axis=1)


def _na(step, run, n, why, masks=None):
    return StepRow(run=run, statement=step.statement, quantity=step.quantity, sense="", printed=step.printed,
                   n_checked=0, n_undefined=0, holds=None, t_worst=None, measured_worst=math.nan,
                   bound_worst=math.nan, slack_worst=math.nan, log_slack_worst=math.nan, t_final=n - 1,
                   conditions_final=False, measured_final=math.nan, bound_final=math.nan, erratum=step.recorded,
                   corrects=step.corrects, decides=step.decides, note=why, key=step.key, kind=step.kind,
                   page=step.page, equation=step.equation, stage=step.stage, relation=step.relation,
                   conditions_stated=step.stated, conditions_unstated=step.unstated,
                   conditions_true={k: int(v.sum()) for k, v in (masks or {}).items()}, n_iterates=n, verdict="n/a",
                   why=why, tolerance=step.tolerance, inconsistencies=step.inconsistencies, follows=step.follows)


def judge(step, q, *, run="", ops=FLOAT64):
    """The verdict of ``step`` on the run ``q``: a :class:`StepRow` (see the module docstring).

    Parameters
    ----------
    step : reference.theory.proofs.Step
    q : reference.theory.proofs.Measurements
    run : str
        Label of the run.
    ops : backend
        The numeric backend the check computes with (float64 here; a ball backend's
        judge compares enclosures instead).

    Returns
    -------
    StepRow

    Raises
    ------
    ConfigError
        The check returned arrays whose first axis is not the stage's iterates (a bug in the step).
    """
    n = q.iterates(step.stage)
    try:
        masks = {c: cond.evaluate(c, q, step.stage) for c in step.stated + step.unstated}
    except Unavailable as e:
        return _na(step, run, n, f"a condition cannot be evaluated: {e}")
    try:
        with np.errstate(all="ignore"):
            check = step.check(q, ops)
            sides = _sides(check, n, check.space)
            vac = _vacuous(step, q, sides, check.sense, n) if check.sense != "==" else np.zeros(n, dtype=bool)
    except Unavailable as e:
        return _na(step, run, n, str(e), masks)
    cS = np.ones(n, dtype=bool)
    for c in step.stated:
        cS &= masks[c]
    cU = np.ones(n, dtype=bool)
    for c in step.unstated:
        cU &= masks[c]
    ok, defined = sides["ok"], sides["defined"]
    check_S = cS & defined
    fail_S = check_S & ~ok
    t = np.arange(n)
    row = _na(step, run, n, "", masks)
    row.sense, row.space = check.sense, check.space
    row.n_checked, row.n_undefined = int(check_S.sum()), int((cS & ~defined).sum())
    row.t_final, row.conditions_final = n - 1, bool(cS[-1])
    row.measured_final, row.bound_final = float(sides["measured"][-1]), float(sides["bound"][-1])
    row.n_vacuous = int((vac & check_S).sum())
    row.vacuous = bool(check_S.any() and (vac | ~check_S)[check_S].all())
    lo, hi = step.range_of(q) if check.sense != "==" else (-math.inf, math.inf)
    if np.ndim(lo) == 0 and np.ndim(hi) == 0:
        row.value_range = (float(lo), float(hi))
    row.series = dict(t=t, measured=sides["measured"], bound=sides["bound"], ok=ok, defined=defined, stated=cS,
                      all=cS & cU, vacuous=vac, error=sides["error"])
    if not check_S.any():
        never = [c for c in step.stated if not masks[c].any()]
        many = len(never) > 1
        row.why = (f"the stated condition{'s' if many else ''} {', '.join(never)} never hold{'' if many else 's'}"
                   if never else "the stated conditions never hold together" if not cS.any()
                   else "the quantities are undefined wherever the stated conditions hold")
        row.note = row.why
        return row
    if not fail_S.any():
        row.verdict, dom = "holds", check_S
    elif (fail_S & cU).any():
        row.verdict, dom = "fails", fail_S & cU
    else:
        row.verdict, dom = "holds-unstated", check_S & cU
        bad = np.flatnonzero(fail_S)
        row.unstated_needed = tuple(c for c in step.unstated if not masks[c][bad].all())
    row.holds = row.verdict != "fails"
    first = np.flatnonzero(fail_S & cU) if row.verdict == "fails" else np.flatnonzero(fail_S)
    if first.size:
        k = int(first[0])
        row.t_first_fail, row.measured_first_fail, row.bound_first_fail = k, float(sides["measured"][k]), \
            float(sides["bound"][k])
    if dom.any():
        idx = np.flatnonzero(dom)
        if check.sense != "==":
            nontrivial = idx[(sides["measured"][idx] != 0) | (sides["bound"][idx] != 0)]
            idx = nontrivial if nontrivial.size else idx
        k = int(idx[np.argmin(sides["rel"][idx])]) if check.sense != "==" else int(idx[np.argmax(sides["rel"][idx])])
        row.t_worst, row.measured_worst, row.bound_worst = k, float(sides["measured"][k]), float(sides["bound"][k])
        row.slack_worst, row.log_slack_worst = float(sides["slack"][k]), float(sides["log_slack"][k])
        if check.sense == "==":
            row.rel_error_worst = float(sides["rel"][k])
    row.why = _explain(row, step)
    return row


def _explain(row, step):
    if row.verdict == "fails":
        return (f"fails at t = {row.t_first_fail}: measured {row.measured_first_fail:.6g}, claimed "
                f"{row.sense} {row.bound_first_fail:.6g}")
    if row.verdict == "holds-unstated":
        return (f"holds only under {', '.join(row.unstated_needed)} (not stated by the paper): without it, fails at "
                f"t = {row.t_first_fail}: measured {row.measured_first_fail:.6g}, claimed {row.sense} "
                f"{row.bound_first_fail:.6g}")
    return ""

"""The audit: every statement of :mod:`reference.theory` checked on a trajectory.

``audit(traj, ds)`` evaluates each bound at every iterate where its
conditions hold and returns an :class:`AuditTable` with one row per
statement and quantity: the worst iterate (least relative slack), the final
iterate, whether the statement holds, and whether the row decides the exit
status of ``python -m reference verify``. A printed statement that
``docs/theory.md`` records as false (an *erratum*) keeps its row, marked, and
its corrected statement (its own row) decides instead.
"""

import numpy as np

from ..theory.proofs import Measurements, QUANTITIES, REGISTRY, Unavailable
from ..theory.proofs.measure_run import SUMMARY_MEASURES
from .table import AuditRow, AuditTable, scalar_row

__all__ = ["RTOL", "ATOL", "ROUND_ULPS", "MEASURES", "ERRATA", "evaluate", "bounds_for", "scalar_rows", "audit"]

#: Relative tolerance of every comparison: a normalised step has length eta exactly up to
#: ~1e-16 relative, and up to 1e5 steps accumulate ~1e-11; 1e-9 leaves a factor 100.
RTOL = 1e-9
#: Absolute floor for quantities that are exactly 0 in exact arithmetic (attention
#: differences, logit spreads): ~1e4 ulps of O(1).
ATOL = 1e-12
#: Rounding of quantities computed from weights of size s (logits, attention scores) is
#: ~eps * s per operation; 64 ulps of s covers a log-sum-exp over a sentence and the
#: differences taken after it. Added to the tolerance as ROUND_ULPS * eps * scale.
ROUND_ULPS = 64
_EPS = float(np.finfo(np.float64).eps)

#: Known errata: key -> one line. docs/theory.md has the counterexample and the correction.
ERRATA = {
    "corollary1-upper": "Corollary 1's upper bound 3 Delta is false: with zero init every stage-1 margin "
                        "equals T eta0/||W*_ov|| = 4||W*_ov|| Delta > 3 Delta (corrected: 4||W*_ov|| Delta)",
    "theorem1-step-size": "Theorem 1's direction bound read without its step-size condition eta < O(1) fails for "
                          "huge eta (two tokens, eta = 1e6, t = 2: 1 - cos = 0.0366 > 0.0042); with eta <= "
                          "||W*_kq||/e, the proof's reading, it is not refuted",
    "theorem2-step-size": "Theorem 2 read with its explicit conditions on T and t only, without Theorem 1's "
                          "step-size condition (eta < O(1), which 'under the conditions in Theorem 1' includes), "
                          "fails for huge eta (corrected: with Theorem 1's eta <= ||W*_kq||/e, as printed; or, "
                          "proved and checkable, require 1 - cos(W_kq^(t), W*_kq) <= 1/(16||W*_kq||^2) instead of "
                          "the conditions on T and t)",
    "proposition2": "Proposition 2's closed form is not W*_kq on sample sets that are not prefix-closed "
                    "(it holds on every prefix-closed D_0; corrected: exactly on the queries satisfying "
                    "reference.maxmargin.prop2_condition)",
}


#: measure name -> (stage, function of the trajectory, scale function or None): the trajectory
#: metrics the statements are checked on (declared once, in reference.theory.proofs.measure_run).
MEASURES = SUMMARY_MEASURES


def _slacks(sense, m, b):
    slack = (b - m) if sense == "<=" else (m - b)
    with np.errstate(divide="ignore", invalid="ignore"):
        pos, neg = (m > 0) & (b > 0), (m < 0) & (b < 0)
        r = np.where(pos | neg, np.abs(b) / np.abs(np.where(m == 0, np.nan, m)), np.nan)
        # "<=" with positives: log(b/m); with negatives m <= b < 0 means |m| >= |b|: log(|m|/|b|)
        flip = (pos if sense == ">=" else neg)
        log_slack = np.where(flip, -np.log(r), np.log(r))
    return slack, log_slack


def evaluate(bound, measured, t, *, run="", scale=None, decides=None, note=""):
    """Check one :class:`~reference.theory.constants.Bound` against measured values at iterates ``t``.

    The bound holds at ``t`` if
    ``slack >= -(ATOL + RTOL * max(|measured|, |bound|) + ROUND_ULPS * eps * scale)``.

    Parameters
    ----------
    bound : Bound
        One inequality of one statement (``value``, ``conditions`` of shape (n,)).
    measured : ndarray, shape (n,)
        The trajectory measure ``bound.field`` at the iterates ``t`` (nan: undefined there).
    t : ndarray of int, shape (n,)
        The iterates.
    run : str
        Label of the run (the row's first column).
    scale : ndarray, shape (n,), optional
        Size of the weights the measure is rounded against (e.g. ``||W_ov^(t)||``).
    decides : bool, optional
        Default: the row decides unless it is a known erratum.
    note : str
        Free text carried by the row.

    Returns
    -------
    AuditRow
        ``holds`` is None when the conditions hold at no iterate where the measure is defined.
    """
    m = np.asarray(measured, dtype=np.float64)
    b = np.broadcast_to(np.asarray(bound.value, dtype=np.float64), m.shape)
    cond = np.broadcast_to(np.asarray(bound.conditions, dtype=bool), m.shape)
    sc = np.zeros(m.shape) if scale is None else np.broadcast_to(np.asarray(scale, dtype=np.float64), m.shape)
    defined = np.isfinite(m) & np.isfinite(b)
    check = cond & defined
    slack, log_slack = _slacks(bound.sense, m, b)
    tol = (ATOL + RTOL * np.maximum(np.abs(np.where(defined, m, 0)), np.abs(np.where(defined, b, 0)))
           + ROUND_ULPS * _EPS * np.nan_to_num(sc))
    ok = slack >= -tol
    holds, t_worst, mw, bw, sw, lw = None, None, np.nan, np.nan, np.nan, np.nan
    if check.any():
        idx = np.flatnonzero(check)
        nontrivial = idx[(m[idx] != 0) | (b[idx] != 0)]
        if nontrivial.size:                  # 0 <= 0 (e.g. norms at t = 0) is tight but says nothing
            idx = nontrivial
        rel = slack[idx] / np.maximum(np.maximum(np.abs(m[idx]), np.abs(b[idx])), 1e-300)
        bad = np.flatnonzero(check & ~ok)
        if bad.size:
            rel_bad = slack[bad] / np.maximum(np.maximum(np.abs(m[bad]), np.abs(b[bad])), 1e-300)
            k = bad[np.argmin(rel_bad)]
        else:
            k = idx[np.argmin(rel)]
        holds = not bad.size
        t_worst, mw, bw, sw, lw = int(t[k]), float(m[k]), float(b[k]), float(slack[k]), float(log_slack[k])
    if decides is None:
        decides = not bound.erratum
    return AuditRow(run=run, statement=bound.statement, quantity=bound.quantity, sense=bound.sense,
                    printed=bound.printed, n_checked=int(check.sum()), n_undefined=int((cond & ~defined).sum()),
                    holds=holds, t_worst=t_worst, measured_worst=mw, bound_worst=bw, slack_worst=sw,
                    log_slack_worst=lw, t_final=int(t[-1]), conditions_final=bool(cond[-1]),
                    measured_final=float(m[-1]), bound_final=float(b[-1]), erratum=bound.erratum,
                    corrects=bound.corrects, decides=bool(decides), note=note)


def bounds_for(traj, s, ds=None):
    """Every per-iterate bound of the registry's statements (Lemma 1 to Theorem 2) on ``traj``.

    The statements are the :class:`~reference.theory.proofs.registry.Statement` families of
    :data:`reference.theory.proofs.REGISTRY` (not the extra ones); the standing conditions of
    ``s`` enter each statement's conditions; without Assumptions 1-2 no condition holds, and
    with ``W*_kq = 0`` (no ordered pair) the stage-2 bounds are kept with nan values and
    conditions that never hold.

    Parameters
    ----------
    traj : Trajectory
    s : Setting
        ``setting_of(traj, ds)``.
    ds : Dataset, optional
        Needed only by the statements that read the iterates (Lemma 2); without it their
        measured inputs are nan.

    Returns
    -------
    list of (Bound, ndarray of int)
        Each bound with its iterates: stage 1 ``0..T``, stage 2 ``0..T1``.
    """
    q = _measurements(traj, ds, s)
    out = []
    for entry in REGISTRY.statements(extra=False):
        for b in entry.evaluate(q):
            out.append((b, np.arange(len((traj.stage1 if QUANTITIES[b.field].stage == 1 else traj.stage2)["norm"]))))
    return out


def _measurements(traj, ds, s=None, run=""):
    q = Measurements(traj, ds, run=run)
    if s is not None:
        q._cache["setting"] = s
    return q


def _row(b, q, run, note):
    """The AuditRow of one Bound: its measure read from ``q`` (nan with a note when unavailable)."""
    spec = QUANTITIES[b.field]
    tr = q.traj
    n = len((tr.stage1 if spec.stage == 1 else tr.stage2)["norm"])
    try:
        measured = np.asarray(q[b.field], dtype=np.float64)
    except Unavailable as e:
        measured, note = np.full(n, np.nan), "; ".join(x for x in (note, str(e)) if x)
    scale = np.asarray(q[spec.scale], dtype=np.float64) if spec.scale else None
    return evaluate(b, measured, np.arange(n), run=run, scale=scale, note=note)


def scalar_rows(entry, q, run=""):
    """The AuditRows of a statement family checked once (rates, Proposition 2, Theorem 3) on ``q``.

    Parameters
    ----------
    entry : Statement
        A family with ``kind="scalars"`` of :data:`reference.theory.proofs.REGISTRY`.
    q : Measurements
    run : str

    Returns
    -------
    list of AuditRow
    """
    return [scalar_row(run, x.statement, x.quantity, x.sense, x.printed, x.measured, x.bound, x.conditions, t=x.t,
                       erratum=x.erratum, corrects=x.corrects, decides=x.decides, note=x.note, tol=x.tol)
            for x in entry.evaluate(q)]


def audit(traj, ds, *, run="", extra=True, q=None):
    """Check every statement of the registry on ``traj`` (a run of Algorithm 1 on ``ds``): an :class:`AuditTable`.

    Iterates the statement families of :data:`reference.theory.proofs.REGISTRY` in the
    paper's order: the per-iterate bounds first, then (``extra``) the rows checked once.

    Parameters
    ----------
    traj : Trajectory
        A run of :func:`reference.training.algorithm.two_stage_ngd` on ``ds`` (``record="full"``
        for the statements that read the iterates, Lemma 2; otherwise their rows are n/a, noted).
    ds : Dataset
    run : str
        Label of the run (first column).
    extra : bool
        Also add the rate rows, Proposition 2 and Theorem 3 (see :mod:`reference.theory.proofs.statements_extra`).
    q : Measurements, optional
        The run's measurements if already built (shared with the proof audit).

    Returns
    -------
    AuditTable
        One row per statement and quantity; a failed assumption is named in every row's note
        (its rows are then n/a, never silently dropped).
    """
    q = _measurements(traj, ds, run=run) if q is None else q
    s = q.setting
    note = "; ".join(s.failed)
    note2 = "; ".join(s.failed + (("W*_kq = 0 (no ordered pair): the stage-2 statements do not apply",)
                                  if s.star_norm_kq <= 0 else ()))
    rows = []
    for entry in REGISTRY.statements(extra=False):
        for b in entry.evaluate(q):
            rows.append(_row(b, q, run, note if QUANTITIES[b.field].stage == 1 else note2))
    if extra:
        for entry in REGISTRY.statements(extra=True):
            rows.extend(scalar_rows(entry, q, run))
    return AuditTable(rows)

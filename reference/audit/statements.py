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

from .. import theory
from .setting import setting_of
from .table import AuditRow, AuditTable

__all__ = ["RTOL", "ATOL", "ROUND_ULPS", "MEASURES", "ERRATA", "evaluate", "bounds_for", "audit"]

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
    "theorem2-step-size": "Theorem 2 as printed has no step-size condition and fails for huge eta "
                          "(corrected: add Theorem 1's eta <= ||W*_kq||/e; or, proved and checkable, require "
                          "1 - cos(W_kq^(t), W*_kq) <= 1/(16||W*_kq||^2) instead of the conditions on T and t)",
    "proposition2": "Proposition 2's closed form is not W*_kq on sample sets that are not prefix-closed "
                    "(it holds on every prefix-closed D_0; corrected: exactly on the queries satisfying "
                    "reference.maxmargin.prop2_condition)",
}


def _s1(key):
    return lambda tr: tr.stage1[key]


def _s2(key):
    return lambda tr: tr.stage2[key]


#: measure name -> (stage, function of the trajectory, scale function or None). The scale is
#: the size of the weights the measure is computed from; it enters the tolerance as
#: ``ROUND_ULPS * eps * scale`` (rounding of logits or scores of that size).
MEASURES = {
    "norm_ov": (1, _s1("norm"), None),
    "dir_err_ov": (1, lambda tr: 1.0 - tr.stage1["cos"], None),
    "wrong_spread": (1, _s1("wrong_spread"), _s1("norm")),
    "margin_min": (1, _s1("margin_min"), None),
    "margin_max": (1, _s1("margin_max"), None),
    "margin_spread": (1, lambda tr: tr.stage1["margin_max"] - tr.stage1["margin_min"], _s1("norm")),
    "norm_kq": (2, _s2("norm"), None),
    "dir_err_kq": (2, lambda tr: 1.0 - tr.stage2["cos"], None),
    "opt_att_min": (2, _s2("opt_att_min"), _s2("norm")),
    "opt_drop_max": (2, _s2("opt_drop_max"), _s2("norm")),
    "phi_plus_decrease_max": (2, _s2("phi_plus_decrease_max"), _s2("norm")),
    "opt_minus_nonopt_min": (2, _s2("opt_minus_nonopt_min"), _s2("norm")),
    "ugrad_star": (2, _s2("ugrad_star"), None),
    "ugrad_W": (2, _s2("ugrad_W"), None),
    "phi_plus_min": (2, _s2("phi_plus_min"), _s2("norm")),
    "log_loss": (2, _s2("log_loss"), None),
}


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


def bounds_for(traj, s):
    """Every bound of Sections 4-5 (Lemma 1 to Theorem 2) at every iterate of ``traj``.

    The standing conditions of ``s`` enter each statement's conditions; without
    Assumptions 1-2 no condition holds, and with ``W*_kq = 0`` (no ordered pair)
    the stage-2 bounds are kept with nan values and conditions that never hold.

    Parameters
    ----------
    traj : Trajectory
    s : Setting
        ``setting_of(traj, ds)``.

    Returns
    -------
    list of (Bound, ndarray of int)
        Each bound with its iterates: stage 1 ``0..T``, stage 2 ``0..T1``.
    """
    t1 = np.arange(len(traj.stage1["norm"]))
    t2 = np.arange(len(traj.stage2["norm"]))
    a12 = s.assumption1 and s.assumption2
    z_ov = a12 and s.init_norm_ov == 0.0
    z = a12 and s.zero_init
    out = [(b, t1) for b in theory.lemma1(t1, eta0=s.eta0, star_norm_ov=s.star_norm_ov, init_norm=s.init_norm_ov)]
    out += [(b, t1) for b in theory.proposition1(t1, eta0=s.eta0, star_norm_ov=s.star_norm_ov,
                                             n_tokens=s.n_tokens, zero_init=z_ov)]
    out += [(b, t1) for b in theory.lemma3(t1, zero_init=z_ov)]
    out += [(b, t1) for b in theory.corollary1(t1, eta0=s.eta0, star_norm_ov=s.star_norm_ov,
                                           n_tokens=s.n_tokens, zero_init=z_ov)]
    # W*_kq = 0 (no ordered pair): the stage-2 statements say nothing; their rows are kept, n/a
    kq = s.star_norm_kq if s.star_norm_kq > 0 else 1.0
    kw = dict(zero_init=z, assumption3=s.assumption3)
    st2 = list(theory.lemma5(t2, L_max=s.L_max, **kw))
    st2 += theory.lemma6(t2, eta=s.eta, L_max=s.L_max, star_norm_kq=kq, phi_plus_min=traj.stage2["phi_plus_min"],
                     init_norm=s.init_norm_kq, **kw)
    st2 += theory.lemma7(t2, eta=s.eta, N=s.N, L_max=s.L_max, star_norm_kq=kq, norm_kq=traj.stage2["norm"],
                     ugrad_Wstar=traj.stage2["ugrad_Wstar"], **kw)
    st2 += theory.theorem1(t2, eta=s.eta, N=s.N, L_max=s.L_max, star_norm_kq=kq, **kw)
    kw2 = dict(T=s.T, eta0=s.eta0, eta=s.eta, n_tokens=s.n_tokens, L_max=s.L_max, star_norm_ov=s.star_norm_ov,
               star_norm_kq=kq, **kw)
    st2 += theory.theorem2(t2, N=s.N, **kw2)
    st2 += theory.theorem2_direction_form(t2, dir_err_kq=1.0 - traj.stage2["cos"], **kw2)
    if s.star_norm_kq <= 0:
        st2 = [_never(b, np.full(len(t2), np.nan)) for b in st2]
    out += [(b, t2) for b in st2]
    if not a12:
        out = [(_never(b), t) for b, t in out]
    return out


def _never(b, value=None):
    """``b`` with its conditions false at every ``t`` (and ``value`` replaced if given)."""
    return theory.Bound(b.statement, b.quantity, b.field, b.sense, b.value if value is None else value,
                    np.zeros(np.shape(b.conditions), dtype=bool), b.printed, b.erratum, b.corrects)


def audit(traj, ds, *, run="", extra=True):
    """Check every statement on ``traj`` (a run of Algorithm 1 on ``ds``): an :class:`AuditTable`.

    Parameters
    ----------
    traj : Trajectory
        A run of :func:`reference.training.algorithm.two_stage_ngd` on ``ds``.
    ds : Dataset
    run : str
        Label of the run (first column).
    extra : bool
        Also add the rate rows, Proposition 2 and Theorem 3 (see :mod:`reference.audit.rates`).

    Returns
    -------
    AuditTable
        One row per statement and quantity; a failed assumption is named in every row's note
        (its rows are then n/a, never silently dropped).
    """
    s = setting_of(traj, ds)
    note = "; ".join(s.failed)
    note2 = "; ".join(s.failed + (("W*_kq = 0 (no ordered pair): the stage-2 statements do not apply",)
                                  if s.star_norm_kq <= 0 else ()))
    rows = []
    for b, t in bounds_for(traj, s):
        stage, fn, scale_fn = MEASURES[b.field]
        rows.append(evaluate(b, fn(traj), t, run=run, scale=None if scale_fn is None else scale_fn(traj),
                             note=note if stage == 1 else note2))
    table = AuditTable(rows)
    if extra:
        from .rates import extra_rows
        table.extend(extra_rows(traj, ds, s, run=run))
    return table

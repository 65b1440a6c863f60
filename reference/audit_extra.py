"""Audit rows that are not one inequality per iterate: rates, Proposition 2 and Theorem 3.

- Proposition 1's loss rate ``L_0 <= O(exp(-eta0 t / (4||W*_ov||)))``: the fitted
  decay exponent of ``log L_0`` over the second half of stage 1 must be at least
  ``eta0 / (4||W*_ov||)``.
- The direction rates ``O(log t / t)`` (Proposition 1) and ``O(log^2 t / t)``
  (Theorem 1): the slope of ``log(1 - cos)`` against ``log t`` is compared with the
  slope of the stated rate over the same window. A finite run cannot refute an
  ``O(.)``, so these rows are informational.
- Proposition 2: the printed closed form against the certified solution of Eq. (3).
- Theorem 3: ``(x* - x0)^T W_kq^(t) x_q >= C t`` and ``(x0 - x)^T W_kq^(t) x_q >= C t``
  with ``C > 0``: the measured ``C = min gap(t)/t`` over the second half of stage 2.
  The theorem holds for ``t = Omega(log 1/eps)`` with an unstated constant, so a
  finite run cannot refute it: informational (``python -m reference generalize``
  measures it on many datasets).
"""

import math

import numpy as np

from . import theory_bounds as tb
from . import theory_stage2 as ts
from .audit_table import AuditRow

__all__ = ["PROP2_TOL", "RATE_WINDOW", "fit_slope", "extra_rows", "scalar_row"]

#: Proposition 2 compares two exact rational matrices; the certified solution is exact
#: to its certificate tolerance (1e-9, reference.maxmargin.CERT_TOL), so 1e-8 separates
#: rounding from a real disagreement (the smallest real one is >= 1/(|V|+1)^2).
PROP2_TOL = 1e-8
#: Rates are fitted on the iterates t in [RATE_WINDOW * t_last, t_last].
RATE_WINDOW = 0.5
#: A direction error at or below this is rounding (cosines are exact to ~1e-15):
#: no rate can be fitted from it.
DIR_ERR_FLOOR = 1e-13


def fit_slope(x, y):
    """Least-squares slope of ``y`` against ``x`` (finite points only; nan if fewer than 3)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return np.nan
    return float(np.polyfit(x[ok], y[ok], 1)[0])


def scalar_row(run, statement, quantity, sense, printed, measured, bound, conditions, *,
               t, erratum="", corrects="", decides=True, note="", tol=0.0):
    """An :class:`AuditRow` for a statement checked once (at ``t``), not per iterate."""
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


def _window(n):
    t = np.arange(n)
    return t[(t >= max(2, math.ceil(RATE_WINDOW * (n - 1)))) & (t <= n - 1)]


def _direction_rate(run, statement, err, stated, printed, cond):
    """Slope of log(err) vs log t on the window, against the slope of ``stated(t)``."""
    t = _window(len(err))
    e = err[t]
    if t.size < 3 or not np.all(np.isfinite(e)):
        return scalar_row(run, statement, "direction-error rate (log-log slope)", "<=", printed, np.nan,
                          np.nan, False, t=len(err) - 1, decides=False, note="run too short for a rate")
    stated_slope = fit_slope(np.log(t), np.log(stated(t)))
    if np.max(e) <= DIR_ERR_FLOOR:
        return scalar_row(run, statement, "direction-error rate (log-log slope)", "<=", printed, -np.inf,
                          stated_slope, cond, t=t[-1], decides=False,
                          note="direction error at rounding level on the window (exact alignment)")
    slope = fit_slope(np.log(t[e > DIR_ERR_FLOOR]), np.log(e[e > DIR_ERR_FLOOR]))
    return scalar_row(run, statement, "direction-error rate (log-log slope)", "<=", printed, slope,
                      stated_slope, cond, t=t[-1], decides=False,
                      note="measured slope of log(1-cos) vs log t against the stated rate's slope")


def extra_rows(traj, ds, s, run=""):
    """Rate rows, Proposition 2 and Theorem 3 for one run (``s``: its :class:`~reference.audit.Setting`)."""
    rows = []
    a12 = s.assumption1 and s.assumption2
    z_ov = a12 and s.init_norm_ov == 0.0
    z = a12 and s.zero_init
    # Proposition 1, loss exponent
    ll0 = traj.stage1["log_loss0"]
    t = _window(len(ll0))
    rate = -fit_slope(t, ll0[t]) if t.size >= 3 else np.nan
    rows.append(scalar_row(run, "Proposition 1", "L_0 decay exponent", ">=",
                           "L_0 <= O(exp(-eta0 t / (4||W*_ov||)))", rate,
                           tb.proposition1_loss_exponent(s.eta0, s.star_norm_ov), z_ov and t.size >= 3,
                           t=len(ll0) - 1, note="fitted -d log L_0 / dt over the second half of stage 1"))
    # direction rates
    rows.append(_direction_rate(run, "Proposition 1", 1 - traj.stage1["cos"], lambda u: np.log(u) / u,
                                "direction error O(log t / t)", z_ov))
    rows.append(_direction_rate(run, "Theorem 1", 1 - traj.stage2["cos"], lambda u: np.log(u) ** 2 / u,
                                "direction error O(log^2 t / t)",
                                z and s.assumption3 and s.eta <= s.star_norm_kq / math.e))
    rows.extend(proposition2_rows(traj, ds, s, run))
    rows.extend(theorem3_rows(traj, ds, s, run))
    return rows


def proposition2_rows(traj, ds, s, run=""):
    """Proposition 2's closed form against the certified ``W*_kq``: printed and corrected rows.

    Printed (erratum ``proposition2``): the closed form is the max-margin solution.
    Corrected: column ``q`` of the closed form is the solution iff
    :func:`reference.maxmargin.prop2_condition` holds for ``q`` (measured: the number
    of queries where the two disagree; must be 0).
    """
    printed = "x*^T W* x_q = |N|/(|O|+|N|), x^T W* x_q = -|O|/(|O|+|N|), 0 on M"
    cond = s.assumption1 and s.assumption2
    if traj.W_kq_star is None:
        return [scalar_row(run, "Proposition 2", "closed form vs certified W*_kq (printed)", "<=", printed,
                           np.nan, PROP2_TOL, False, t=0, erratum="proposition2", decides=False,
                           note="no certified W*_kq in the trajectory")]
    from .maxmargin import prop2_condition
    E = ds.vocab.E
    diff = np.abs(E.T @ traj.W_kq_star @ E - ts.proposition2_closed_form(ds))
    rows = [scalar_row(run, "Proposition 2", "closed form vs certified W*_kq (printed)", "<=", printed,
                       float(diff.max()), PROP2_TOL, cond, t=0, erratum="proposition2", decides=False,
                       note="max over entries of |closed form - certified| in token coordinates")]
    try:
        verdicts = prop2_condition(ds) if cond else {}
    except ValueError:
        verdicts = {}
    wrong = [q for q, v in verdicts.items() if (diff[:, q].max() <= PROP2_TOL) != v.holds]
    n_fail = sum(not v.holds for v in verdicts.values())
    rows.append(scalar_row(run, "Proposition 2", "closed form exact iff prop2_condition (corrected)", "<=",
                           "column q of the closed form is W*_kq's iff every set Y of non-optimal tokens has "
                           "|Gamma(Y)| |N| >= |Y| |O|", len(wrong), 0, cond and bool(verdicts), t=0,
                           corrects="Proposition 2: closed form vs certified W*_kq (printed)",
                           note=f"queries where exactness and the condition disagree; {n_fail} of "
                                f"{len(verdicts)} queries fail the condition"))
    return rows


def theorem3_rows(traj, ds, s, run=""):
    """Theorem 3: measured ``C = min gap(t)/t`` over the second half of stage 2, for both gaps."""
    rows = []
    t = np.arange(len(traj.stage2["norm"]))
    cond_base = s.assumption1 and s.assumption2 and s.assumption3 and s.zero_init and len(t) > 4
    A_star = None
    if traj.W_kq_star is not None:
        E = ds.vocab.E
        A_star = E.T @ traj.W_kq_star @ E
    for key, label, printed in (("gap_opt_noncomp", "(x* - x0)^T W_kq x_q", "(x* - x0)^T W_kq^(t) x_q >= C t"),
                                ("gap_noncomp_nonopt", "(x0 - x)^T W_kq x_q", "(x0 - x)^T W_kq^(t) x_q >= C t")):
        gap = traj.stage2[key]
        C = tb.C0_thm3(gap, t, tail=RATE_WINDOW)
        note = "C0_thm3 = min gap(t)/t over the second half of stage 2"
        if A_star is not None:
            g_star = _gap_of(A_star, traj, ds, key)
            if math.isfinite(g_star):
                pred = tb.theorem3_predicted_C(s.eta, g_star, s.star_norm_kq)
                note += f"; predicted eta*gap(W*)/||W*_kq|| = {pred:.4g}"
        rows.append(scalar_row(run, "Theorem 3", f"C for {label}", ">", printed, C, 0.0,
                               cond_base and bool(np.isfinite(gap[-1])), t=t[-1], note=note, decides=False))
    return rows


def _gap_of(A, traj, ds, key):
    """The Theorem 3 gap ``key`` of token-coordinate weights ``A`` (min over queries)."""
    from .structure import query_orders
    vals = []
    for q, o in query_orders(ds).items():
        hi, lo = (o.optimal, o.non_comparable) if key == "gap_opt_noncomp" else (o.non_comparable, o.non_optimal)
        if hi and lo:
            vals.append(min(A[i, q] for i in hi) - max(A[j, q] for j in lo))
    return min(vals) if vals else np.nan

"""Statements checked once per run, as registry entries: the rates, Proposition 2 and Theorem 3.

- Proposition 1's loss rate ``L_0 <= O(exp(-eta0 t / (4||W*_ov||)))``: the fitted decay
  exponent of ``log L_0`` over the second half of stage 1 against ``eta0 / (4||W*_ov||)``.
  Informational: the ``O(.)`` hides a constant, and before ``log L_0`` is linear in ``t``
  its slope is smaller (at ``t = 0`` it is ``(|V|-1)/(|V| log|V|) eta0/||W*_ov||``,
  below ``eta0/(4||W*_ov||)`` for ``|V| >= 55``), so a short run can show a smaller
  exponent without refuting it.
- The direction rates ``O(log t / t)`` (Proposition 1) and ``O(log^2 t / t)`` (Theorem 1):
  the slope of ``log(1 - cos)`` against ``log t`` against the slope of the stated rate
  over the same window (informational: a finite run cannot refute an ``O(.)``).
- Proposition 2: the printed closed form against the certified solution of Eq. (3)
  (erratum ``proposition2``) and the corrected statement (exact iff
  :func:`reference.maxmargin.prop2_condition`).
- Theorem 3: ``(x* - x0)^T W_kq^(t) x_q >= C t`` and ``(x0 - x)^T W_kq^(t) x_q >= C t`` with
  ``C > 0``: the measured ``C = min gap(t)/t`` over the second half of stage 2
  (informational; ``python -m reference generalize`` measures it on many datasets).
"""

import math

import numpy as np

from ...errors import AssumptionError
from ...maxmargin.closedforms import prop2_condition
from .. import constants as tc
from ..rates import DIR_ERR_FLOOR, fit_slope, rate_window
from ..section6 import proposition2_closed_form, theorem3_gap
from ..stage1 import proposition1_loss_exponent
from .entries import Scalar, Statement
from .registry import REGISTRY

__all__ = ["PROP2_TOL", "RATE_WINDOW_THM3", "proposition1_rate_scalars", "theorem1_rate_scalars",
           "proposition2_scalars", "theorem3_scalars"]

#: Proposition 2 compares two exact rational matrices; the certified solution is exact
#: to its certificate tolerance (1e-9, reference.maxmargin.CERT_TOL), so 1e-8 separates
#: rounding from a real disagreement (the smallest real one is >= 1/(|V|+1)^2).
PROP2_TOL = 1e-8
#: Theorem 3's ``C`` is measured over the last half of stage 2 (as the rate rows' window).
RATE_WINDOW_THM3 = 0.5

_QR = "direction-error rate (log-log slope)"


def _direction_rate(statement, err, stated, printed, cond):
    """Slope of log(err) vs log t on the window, against the slope of ``stated(t)``."""
    t = rate_window(len(err))
    e = err[t]
    if t.size < 3 or not np.all(np.isfinite(e)):
        return Scalar(statement, _QR, "<=", printed, np.nan, np.nan, False, t=len(err) - 1, decides=False,
                      note="run too short for a rate")
    stated_slope = fit_slope(np.log(t), np.log(stated(t)))
    if np.max(e) <= DIR_ERR_FLOOR:
        return Scalar(statement, _QR, "<=", printed, -np.inf, stated_slope, cond, t=int(t[-1]), decides=False,
                      note="direction error at rounding level on the window (exact alignment)")
    slope = fit_slope(np.log(t[e > DIR_ERR_FLOOR]), np.log(e[e > DIR_ERR_FLOOR]))
    return Scalar(statement, _QR, "<=", printed, slope, stated_slope, cond, t=int(t[-1]), decides=False,
                  note="measured slope of log(1-cos) vs log t against the stated rate's slope")


def _flags(s):
    a12 = s.assumption1 and s.assumption2
    return a12 and s.init_norm_ov == 0.0, a12 and s.zero_init


def proposition1_rate_scalars(q):
    """Proposition 1's loss exponent and direction rate on the run ``q`` (two informational scalars)."""
    s, tr = q.setting, q.traj
    z_ov, _ = _flags(s)
    ll0 = tr.stage1["log_loss0"]
    t = rate_window(len(ll0))
    rate = -fit_slope(t, ll0[t]) if t.size >= 3 else np.nan
    return [Scalar("Proposition 1", "L_0 decay exponent", ">=", "L_0 <= O(exp(-eta0 t / (4||W*_ov||)))", rate,
                   proposition1_loss_exponent(s.eta0, s.star_norm_ov), z_ov and t.size >= 3, t=len(ll0) - 1,
                   decides=False, note="fitted -d log L_0 / dt over the second half of stage 1; an O(.) is not "
                                       "refuted by a finite run (module docstring)"),
            _direction_rate("Proposition 1", 1 - tr.stage1["cos"], lambda u: np.log(u) / u,
                            "direction error O(log t / t)", z_ov)]


def theorem1_rate_scalars(q):
    """Theorem 1's direction rate on the run ``q`` (one informational scalar)."""
    s = q.setting
    _, z = _flags(s)
    return [_direction_rate("Theorem 1", 1 - q.traj.stage2["cos"], lambda u: np.log(u) ** 2 / u,
                            "direction error O(log^2 t / t)", z and s.assumption3 and s.eta <= s.star_norm_kq / math.e)]


def proposition2_scalars(q):
    """Proposition 2's closed form against the certified ``W*_kq``: the printed and the corrected scalar.

    Printed (erratum ``proposition2``): the closed form is the max-margin solution.
    Corrected: column ``q`` of the closed form is the solution iff
    :func:`reference.maxmargin.prop2_condition` holds for ``q`` (measured: the number
    of queries where the two disagree; must be 0). When the data make
    ``prop2_condition`` raise (a sentence without an optimal position), the
    corrected scalar is n/a and its note carries the error.
    """
    traj, ds, s = q.traj, q.ds, q.setting
    printed = "x*^T W* x_q = |N|/(|O|+|N|), x^T W* x_q = -|O|/(|O|+|N|), 0 on M"
    name_p, name_c = "closed form vs certified W*_kq (printed)", "closed form exact iff prop2_condition (corrected)"
    printed_c = ("column q of the closed form is W*_kq's iff every set Y of non-optimal tokens has "
                 "|Gamma(Y)| |N| >= |Y| |O|")
    cond = s.assumption1 and s.assumption2
    why = ("no certified W*_kq in the trajectory" if traj.W_kq_star is None else
           "" if cond else "Assumptions 1-2 do not hold: " + ("; ".join(s.failed) or "see check_assumptions"))
    fixes = f"Proposition 2: {name_p}"
    if why:
        return [Scalar("Proposition 2", name_p, "<=", printed, np.nan, PROP2_TOL, False, t=0,
                       erratum="proposition2", decides=False, note=why),
                Scalar("Proposition 2", name_c, "<=", printed_c, np.nan, 0, False, t=0, corrects=fixes, note=why)]
    if getattr(q.ops, "exact", False):
        return _proposition2_exact(q, (name_p, name_c), (printed, printed_c), fixes)
    E = ds.vocab.E
    diff = np.abs(E.T @ traj.W_kq_star @ E - proposition2_closed_form(ds))
    rows = [Scalar("Proposition 2", name_p, "<=", printed, float(diff.max()), PROP2_TOL, True, t=0,
                   erratum="proposition2", decides=False,
                   note="max over entries of |closed form - certified| in token coordinates")]
    try:
        verdicts = prop2_condition(ds)
    except AssumptionError as e:
        rows.append(Scalar("Proposition 2", name_c, "<=", printed_c, np.nan, 0, False, t=0, corrects=fixes,
                           note=f"prop2_condition does not apply: {e}"))
        return rows
    wrong = [k for k, v in verdicts.items() if (diff[:, k].max() <= PROP2_TOL) != v.holds]
    n_fail = sum(not v.holds for v in verdicts.values())
    rows.append(Scalar("Proposition 2", name_c, "<=", printed_c, len(wrong), 0, bool(verdicts), t=0, corrects=fixes,
                       note=f"queries where exactness and the condition disagree; {n_fail} of "
                            f"{len(verdicts)} queries fail the condition" if verdicts else "no query"))
    return rows


def _proposition2_exact(q, names, printed, fixes):
    """Proposition 2 in an exact backend: the closed form in fractions against the certified ``W*_kq`` (balls).

    Printed: ``max |closed form - W*_kq| <= 0`` (no rounding tolerance). Corrected: the same maximum
    over the queries satisfying :func:`reference.maxmargin.prop2_condition` (the converse, the
    closed form wrong where the condition fails, is what refutes the printed row).
    """
    ops, ds = q.ops, q.ds
    E = ops.asarray(ds.vocab.E)
    A = ops.matmul(ops.matmul(ops.asarray(ds.vocab.E.T), q.W_kq_star), E)
    diff = ops.abs(A - ops.asarray(proposition2_closed_form(ds, exact=True)))
    rows = [Scalar("Proposition 2", names[0], "<=", printed[0], ops.max(diff), ops.tol(PROP2_TOL), True, t=0,
                   erratum="proposition2", decides=False,
                   note="max over entries of |closed form - certified| in token coordinates")]
    try:
        holds = [k for k, v in prop2_condition(ds).items() if v.holds]
    except AssumptionError as e:
        return rows + [Scalar("Proposition 2", names[1], "<=", printed[1], np.nan, 0, False, t=0, corrects=fixes,
                              note=f"prop2_condition does not apply: {e}")]
    return rows + [Scalar("Proposition 2", names[1], "<=", printed[1], ops.max(diff[:, holds]) if holds else 0.0, 0,
                          bool(holds), t=0, corrects=fixes,
                          note="max |closed form - certified| over the queries satisfying prop2_condition")]


def theorem3_scalars(q):
    """Theorem 3: measured ``C = min gap(t)/t`` over the second half of stage 2, for both gaps.

    Informational (``C > 0`` is the finite-run witness; the theorem's ``t = Omega(log 1/eps)``
    has no stated constant). The note carries the slope :func:`reference.theory.theorem3_predicted_C`
    predicts from ``W*_kq``.
    """
    traj, ds, s = q.traj, q.ds, q.setting
    rows = []
    t = np.arange(len(traj.stage2["norm"]))
    cond_base = s.assumption1 and s.assumption2 and s.assumption3 and s.zero_init and len(t) > 4
    A_star = None
    if traj.W_kq_star is not None and cond_base:
        E = ds.vocab.E
        A_star = E.T @ traj.W_kq_star @ E
    for key, label, printed in (("gap_opt_noncomp", "(x* - x0)^T W_kq x_q", "(x* - x0)^T W_kq^(t) x_q >= C t"),
                                ("gap_noncomp_nonopt", "(x0 - x)^T W_kq x_q", "(x0 - x)^T W_kq^(t) x_q >= C t")):
        gap = traj.stage2[key]
        C = tc.C0_thm3(gap, t, tail=RATE_WINDOW_THM3)
        note = "C0_thm3 = min gap(t)/t over the second half of stage 2"
        if A_star is not None:
            g_star = theorem3_gap(A_star, ds, key)
            if math.isfinite(g_star) and s.star_norm_kq > 0:
                pred = tc.theorem3_predicted_C(s.eta, g_star, s.star_norm_kq)
                note += f"; predicted eta*gap(W*)/||W*_kq|| = {pred:.4g}"
        rows.append(Scalar("Theorem 3", f"C for {label}", ">", printed, C, 0.0,
                           cond_base and bool(np.isfinite(gap[-1])), t=int(t[-1]), note=note, decides=False))
    return rows


for _key, _name, _page, _fn in (("Proposition 1 (rates)", "Proposition 1", "7", proposition1_rate_scalars),
                                ("Theorem 1 (rate)", "Theorem 1", "7", theorem1_rate_scalars),
                                ("Proposition 2", "Proposition 2", "9", proposition2_scalars),
                                ("Theorem 3", "Theorem 3", "9", theorem3_scalars)):
    REGISTRY.add_statement(Statement(key=_key, statement=_name, page=_page, equation="", stated=(), evaluate=_fn,
                                     kind="scalars", extra=True))

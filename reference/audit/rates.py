"""Audit rows that are not one inequality per iterate: rates, Proposition 2 and Theorem 3.

- Proposition 1's loss rate ``L_0 <= O(exp(-eta0 t / (4||W*_ov||)))``: the fitted
  decay exponent of ``log L_0`` over the second half of stage 1 against
  ``eta0 / (4||W*_ov||)``. Informational: the ``O(.)`` hides a constant, and
  before ``log L_0`` is linear in ``t`` its slope is smaller (at ``t = 0`` it is
  ``(|V|-1)/(|V| log|V|) eta0/||W*_ov||``, below ``eta0/(4||W*_ov||)`` for
  ``|V| >= 55``), so a short run can show a smaller exponent without refuting it.
- The direction rates ``O(log t / t)`` (Proposition 1) and ``O(log^2 t / t)``
  (Theorem 1): the slope of ``log(1 - cos)`` against ``log t`` is compared with the
  slope of the stated rate over the same window. A finite run cannot refute an
  ``O(.)``, so these rows are informational.
- Proposition 2 and Theorem 3: :mod:`reference.audit.section6`, gathered with the
  rates by :func:`extra_rows`.
"""

import math

import numpy as np

from .. import theory
from .section6 import proposition2_rows, theorem3_rows
from .table import scalar_row

__all__ = ["RATE_WINDOW", "DIR_ERR_FLOOR", "fit_slope", "extra_rows"]

#: Rates are fitted on the iterates t in [RATE_WINDOW * t_last, t_last].
RATE_WINDOW = 0.5
#: A direction error at or below this is rounding (cosines are exact to ~1e-15):
#: no rate can be fitted from it.
DIR_ERR_FLOOR = 1e-13


def fit_slope(x, y):
    """Least-squares slope of ``y`` against ``x`` over the finite points (the rate rows' estimator).

    Used with ``x = log t``, ``y = log(1 - cos)`` for the direction rates of
    Proposition 1 and Theorem 1, and with ``x = t``, ``y = log L_0`` for the
    loss exponent of Proposition 1.

    Parameters
    ----------
    x, y : array_like, shape (n,)

    Returns
    -------
    float
        nan if fewer than 3 points have both coordinates finite.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return np.nan
    return float(np.polyfit(x[ok], y[ok], 1)[0])


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
    """Rate rows (Proposition 1, Theorem 1), Proposition 2 and Theorem 3 for one run.

    Parameters
    ----------
    traj : Trajectory
    ds : Dataset
    s : Setting
        ``reference.audit.setting_of(traj, ds)``.
    run : str
        Label of the run.

    Returns
    -------
    list of AuditRow
    """
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
                           theory.proposition1_loss_exponent(s.eta0, s.star_norm_ov), z_ov and t.size >= 3,
                           t=len(ll0) - 1, decides=False,
                           note="fitted -d log L_0 / dt over the second half of stage 1; an O(.) is not "
                                "refuted by a finite run (module docstring)"))
    # direction rates
    rows.append(_direction_rate(run, "Proposition 1", 1 - traj.stage1["cos"], lambda u: np.log(u) / u,
                                "direction error O(log t / t)", z_ov))
    rows.append(_direction_rate(run, "Theorem 1", 1 - traj.stage2["cos"], lambda u: np.log(u) ** 2 / u,
                                "direction error O(log^2 t / t)",
                                z and s.assumption3 and s.eta <= s.star_norm_kq / math.e))
    rows.extend(proposition2_rows(traj, ds, s, run))
    rows.extend(theorem3_rows(traj, ds, s, run))
    return rows

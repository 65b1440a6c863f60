"""Rates: the least-squares slope a finite run measures for an ``O(.)`` statement.

Proposition 1's loss rate ``L_0 <= O(exp(-eta0 t / (4||W*_ov||)))`` and the direction
rates ``O(log t / t)`` (Proposition 1) and ``O(log^2 t / t)`` (Theorem 1) are compared,
over the last part of the run, with the slope of the stated rate on the same window
(:mod:`reference.theory.proofs.statements_extra` builds their rows). A finite run
cannot refute an ``O(.)``, so these rows never decide.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["RATE_WINDOW", "DIR_ERR_FLOOR", "fit_slope", "rate_window"]

#: Rates are fitted on the iterates t in [RATE_WINDOW * t_last, t_last].
RATE_WINDOW = 0.5
#: A direction error at or below this is rounding (cosines are exact to ~1e-15):
#: no rate can be fitted from it.
DIR_ERR_FLOOR = 1e-13


def fit_slope(x: ArrayLike, y: ArrayLike) -> float:
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


def rate_window(n: int) -> NDArray[np.intp]:
    """The iterates ``t`` with ``max(2, ceil(RATE_WINDOW (n - 1))) <= t <= n - 1`` of a run of ``n`` iterates.

    Parameters
    ----------
    n : int
        Number of recorded iterates (``T + 1``).

    Returns
    -------
    ndarray of int
    """
    t = np.arange(n)
    return t[(t >= max(2, math.ceil(RATE_WINDOW * (n - 1)))) & (t <= n - 1)]

"""The stage-2 statements (Section 5: Lemmas 5-7, Theorem 1).

Theorem 2 and its corrections live in :mod:`reference.theory.theorem2`,
Proposition 2's closed form (Section 6) in :mod:`reference.theory.section6`.

Pure functions of the constants, each returning :class:`~reference.theory.constants.Bound`
rows; see :mod:`reference.theory.constants` for the conventions (conditions per
iterate, the Library rule on ``t >= K log^p t``) and the named constants. The
statement functions raise ``ConfigError`` for a step, ``||W*||`` or count that is
not a finite number > 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .arith import _both, _e, _exact, _flag, _ge, _iterates, _le, _log_pos, _max1, _measured, _zeros
from .constants import _positive, Bound, THM1_C_DIR

__all__ = ["lemma5", "lemma6", "lemma7_t0", "lemma7_alpha", "lemma7", "theorem1"]


def lemma5(t: ArrayLike, *, L_max: int, zero_init: bool, assumption3: bool, ops: Any = None) -> tuple[Bound, ...]:
    """Lemma 5: optimal attention never drops, ``phi_+`` non-decreasing, optimal >= non-optimal.

    Conditions: Assumptions 1-3, zero initialisation of both stages.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    L_max : int
        Longest sentence of ``D_0``.
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        (optimal weight >= 1/L_max, no drop from t = 0, ``phi_+`` non-decreasing (from t = 1),
        optimal >= non-optimal); ``value`` and ``conditions`` have shape ``(n,)``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(L_max=L_max)
    t = _iterates(t, ops)
    c = _flag(t, zero_init and assumption3)
    z = _zeros(t, ops)
    inv = (z + 1.0) / L_max if _exact(ops) else z + 1.0 / L_max
    return (Bound("Lemma 5", "phi_l^(n,t) >= 1/L_max (optimal l)", "opt_att_min", ">=", inv, c,
                  "phi_l^(n,t) >= phi_l^(n,0) >= 1/L_max"),
            Bound("Lemma 5", "phi_l^(n,0) - phi_l^(n,t) (optimal l)", "opt_drop_max", "<=", z, c,
                  "phi_l^(n,t) >= phi_l^(n,0)"),
            Bound("Lemma 5", "phi_+^(n,t-1) - phi_+^(n,t)", "phi_plus_decrease_max", "<=", z,
                  _both(c, _ge(t, 1, ops), ops=ops),
                  "phi_+^(n,t) non-decreasing in t"),
            Bound("Lemma 5", "min opt - max non-opt attention", "opt_minus_nonopt_min", ">=", z, c,
                  "optimal positions never get less attention than non-optimal ones"))


def lemma6(t: ArrayLike, *, eta: float, L_max: int, star_norm_kq: float, phi_plus_min: ArrayLike,
           init_norm: float = 0.0, zero_init: bool, assumption3: bool, ops: Any = None) -> tuple[Bound, ...]:
    """Lemma 6: ``t eta + ||W^(0)|| >= ||W_kq^(t)|| >= t eta / (2 L_max ||W*_kq||) - ||W^(0)||``,
    and ``<grad/||grad||, W_bar*_kq> <= -min_n phi_+^(n,t) / (2||W*_kq||)``.

    Conditions: Assumptions 1-3, zero initialisation (the lower bounds use Lemma 5).

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    eta, star_norm_kq : float
        Stage-2 step and ``||W*_kq||`` (Eq. 3).
    L_max : int
        Longest sentence of ``D_0``.
    phi_plus_min : array_like, shape (n,)
        Measured ``min_n phi_+^(n,t)``.
    init_norm : float
        ``||W_kq^(0)||``.
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        (norm upper [any init], norm lower, gradient correlation); ``value`` and ``conditions``
        have shape ``(n,)``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta=eta, L_max=L_max, star_norm_kq=star_norm_kq)
    t = _iterates(t, ops)
    c = _flag(t, zero_init and assumption3)
    phi_plus_min = _measured(phi_plus_min, t, ops)
    return (Bound("Lemma 6", "||W_kq^(t)|| upper", "norm_kq", "<=", t * eta + init_norm, _flag(t, True),
                  "||W_kq^(t)|| <= t eta + ||W_kq^(0)||"),
            Bound("Lemma 6", "||W_kq^(t)|| lower", "norm_kq", ">=",
                  t * eta / (2 * L_max * star_norm_kq) - init_norm, c,
                  "||W_kq^(t)|| >= t eta / (2 L_max ||W*_kq||) - ||W_kq^(0)||"),
            Bound("Lemma 6", "<grad/||grad||, W_bar*_kq>", "ugrad_star", "<=",
                  -phi_plus_min / (2 * star_norm_kq), c,
                  "<grad/||grad||, W_bar*_kq> <= -min_n phi_+^(n,t) / (2||W*_kq||)"))


def lemma7_t0(eta: float, L_max: int, star_norm_kq: float) -> int:
    """``t_0 = ceil(8 L_max ||W*_kq||^2 / eta)``, the first iterate of Lemma 7.

    Parameters
    ----------
    eta : float
        Stage-2 step.
    L_max : int
        Longest sentence of ``D_0``.
    star_norm_kq : float
        ``||W*_kq||`` (Eq. 3).

    Returns
    -------
    int

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta=eta, L_max=L_max, star_norm_kq=star_norm_kq)
    return int(math.ceil(8.0 * L_max * star_norm_kq ** 2 / eta))


def lemma7_alpha(norm_kq: ArrayLike, *, N: int, L_max: int, star_norm_kq: float, ops: Any = None
                 ) -> NDArray[np.float64] | NDArray[np.object_]:
    """``alpha_t = 4 N L_max^2 ||W*_kq||^2 (1 + log(2 L_max ||W_kq^(t)||)) / ||W_kq^(t)||`` (Lemma 7).

    Parameters
    ----------
    norm_kq : array_like, shape (n,)
        ``||W_kq^(t)||`` (inf where it is 0: Lemma 7 applies only from ``t_0`` on).
    N, L_max : int
        Number of distinct sentences, longest sentence.
    star_norm_kq : float
        ``||W*_kq||`` (Eq. 3).
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(N=N, L_max=L_max, star_norm_kq=star_norm_kq)
    if _exact(ops):
        w = ops.asarray(norm_kq)
        return 4.0 * N * L_max ** 2 * star_norm_kq ** 2 * (1 + ops.log(2 * L_max * w)) / w
    w = np.asarray(norm_kq, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 4.0 * N * L_max ** 2 * star_norm_kq ** 2 * (1 + np.log(2 * L_max * w)) / w


def lemma7(t: ArrayLike, *, eta: float, N: int, L_max: int, star_norm_kq: float, norm_kq: ArrayLike,
           ugrad_Wstar: ArrayLike, zero_init: bool, assumption3: bool, ops: Any = None) -> tuple[Bound, ...]:
    """Lemma 7: ``<g, W^(t)> >= (1 + alpha_t) <g, W*_kq> ||W^(t)|| / ||W*_kq||`` for ``t >= t_0``.

    Written for the unit gradient ``g = grad/||grad||``; ``ugrad_Wstar = <g, W*_kq>`` and
    ``norm_kq = ||W_kq^(t)||`` are measured. Conditions: Assumptions 1-3, zero init, ``t >= t_0``.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    eta, star_norm_kq : float
        Stage-2 step and ``||W*_kq||`` (Eq. 3).
    N, L_max : int
        Number of distinct sentences, longest sentence.
    norm_kq, ugrad_Wstar : array_like, shape (n,)
        Measured ``||W_kq^(t)||`` and ``<grad/||grad||, W*_kq>`` at each ``t``.
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        One bound on the measure ``ugrad_W``; ``value`` and ``conditions`` have shape ``(n,)``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta=eta, N=N, L_max=L_max, star_norm_kq=star_norm_kq)
    t = _iterates(t, ops)
    w, g = _measured(norm_kq, t, ops), _measured(ugrad_Wstar, t, ops)
    alpha = lemma7_alpha(w, N=N, L_max=L_max, star_norm_kq=star_norm_kq, ops=ops)
    with np.errstate(invalid="ignore"):
        value = (1 + alpha) * g * w / star_norm_kq
    # t >= ceil(x) iff t >= x for an integer t: decided on balls without rounding t_0
    t0 = 8.0 * L_max * star_norm_kq ** 2 / eta if _exact(ops) else lemma7_t0(eta, L_max, star_norm_kq)
    c = _both(_ge(t, t0, ops), _flag(t, zero_init and assumption3), ops=ops)
    return (Bound("Lemma 7", "<g, W_kq^(t)>", "ugrad_W", ">=", value, c,
                  "<grad, W^(t)> >= (1 + alpha_t) <grad, W*_kq> ||W^(t)|| / ||W*_kq||"),)


def theorem1(t: ArrayLike, *, eta: float, N: int, L_max: int, star_norm_kq: float, zero_init: bool,
             assumption3: bool, ops: Any = None) -> tuple[Bound, ...]:
    """Theorem 1: ``t eta / (2||W*_kq||) <= ||W_kq^(t)|| <= t eta`` and direction error
    ``<= 54 N L_max^4 ||W*_kq||^4 log^2 t / (t eta)``.

    Conditions: Assumptions 1-3, zero init, ``eta <= ||W*_kq|| / e`` (the proof's reading of
    ``eta < O(1)``), ``t >= 2``. The printed lower norm bound lacks the ``1/L_max`` of
    Lemma 6, which is all its proof gives; a second row carries Lemma 6's form. The
    printed form is not known to be false (docs/theory.md: a proof gap). Read without the
    step-size condition the direction bound is false (erratum ``theorem1-step-size``: a huge
    ``eta`` makes the bound tiny after two steps); that reading has its own row, which never decides.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    eta, star_norm_kq : float
        Stage-2 step and ``||W*_kq||`` (Eq. 3).
    N, L_max : int
        Number of distinct sentences, longest sentence.
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        (printed norm lower, Lemma 6's norm lower, norm upper, direction error without a step-size
        condition [erratum], direction error); ``value`` and ``conditions`` have shape ``(n,)``; the
        direction bound is nan at ``t < 1``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta=eta, N=N, L_max=L_max, star_norm_kq=star_norm_kq)
    t = _iterates(t, ops)
    c_any = _both(_ge(t, 2, ops), _flag(t, zero_init and assumption3), ops=ops)
    c = _both(c_any, _le(eta, star_norm_kq / _e(ops), ops), ops=ops)
    err = THM1_C_DIR * N * L_max ** 4 * star_norm_kq ** 4 * _log_pos(t, ops) ** 2 / (_max1(t, ops) * eta)
    p_err = "1 - <W_bar_kq, W_bar*_kq> <= 54 N L_max^4 ||W*_kq||^4 log^2 t / (t eta)"
    return (Bound("Theorem 1", "||W_kq^(t)|| lower (printed)", "norm_kq", ">=", t * eta / (2 * star_norm_kq), c,
                  "||W_kq^(t)|| >= t eta / (2||W*_kq||)"),
            Bound("Theorem 1", "||W_kq^(t)|| lower (Lemma 6's form)", "norm_kq", ">=",
                  t * eta / (2 * L_max * star_norm_kq), c,
                  "||W_kq^(t)|| >= t eta / (2 L_max ||W*_kq||) (what Lemma 6 proves)"),
            Bound("Theorem 1", "||W_kq^(t)|| upper", "norm_kq", "<=", t * eta, c, "||W_kq^(t)|| <= t eta"),
            Bound("Theorem 1", "direction error (no step-size condition)", "dir_err_kq", "<=", err, c_any,
                  p_err + " for any eta", erratum="theorem1-step-size"),
            Bound("Theorem 1", "direction error", "dir_err_kq", "<=", err, c, p_err + " (eta <= ||W*_kq||/e)",
                  corrects="Theorem 1: direction error (no step-size condition)"))

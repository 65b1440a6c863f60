"""The stage-1 statements (Section 4.2) as pure functions of their constants (docs/paper.md section 7).

Lemma 1, Proposition 1, Lemma 3 and Corollary 1. The common parts (:class:`Bound`,
the named constants, the three ``C_0``, :func:`log_threshold`) live in
:mod:`reference.theory.constants`; the stage-2 and
Section-6 statements in :mod:`reference.theory.stage2`, :mod:`reference.theory.theorem2`
and :mod:`reference.theory.section6`.
:mod:`reference.theory` gathers all of them.

Each function takes the constants a statement is phrased in (``abs(V)``,
``||W*_ov||``, ``eta0``, ``T``) and the iterates ``t`` (an array), and returns a
tuple of :class:`Bound`: one per inequality, with the bound and whether the
statement's conditions hold at each ``t``. :mod:`reference.audit` evaluates
them on a trajectory. The statement functions raise ``ConfigError`` for a step, ``||W*||`` or
count that is not a finite number > 0, and take the rest as given.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .arith import _both, _flag, _ge, _iterates, _log, _log_pos as _log_pos_t, _max1, _threshold, _zeros
from .constants import (  # noqa: F401
    _full,
    _log_pos,
    _positive,
    _t,
    Bound,
    C0_thm2,
    COR1_C,
    log_threshold,
    PROP1_C_APPENDIX,
    PROP1_C_MAIN,
)

__all__ = ["lemma1", "proposition1", "proposition1_loss_exponent", "lemma3", "corollary1_condition",
           "corollary1"]


# ---------------------------------------------------------------- stage 1

def lemma1(t: ArrayLike, *, eta0: float, star_norm_ov: float, init_norm: float = 0.0, ops: Any = None
           ) -> tuple[Bound, ...]:
    """Lemma 1: ``t eta0 + ||W_ov^(0)|| >= ||W_ov^(t)|| >= t eta0 / (2||W*_ov||) - ||W_ov^(0)||``.

    Conditions: Assumptions 1-2 (any initialisation), every ``t``. The upper
    bound is the triangle inequality over ``t`` steps of length ``eta0``.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-1 iterates.
    eta0 : float
        Stage-1 step.
    star_norm_ov : float
        ``||W*_ov||`` (Eq. 2).
    init_norm : float
        ``||W_ov^(0)||``.
    ops : backend, optional
        An exact backend (balls) for a certified audit (reference.theory.arith); float64 by default.

    Returns
    -------
    tuple of Bound
        (upper, lower) on the measure ``norm_ov``; ``value`` and ``conditions`` have shape ``(n,)``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta0=eta0, star_norm_ov=star_norm_ov)
    t = _iterates(t, ops)
    c = _flag(t, True)
    return (Bound("Lemma 1", "||W_ov^(t)|| upper", "norm_ov", "<=", t * eta0 + init_norm, c,
                  "||W_ov^(t)|| <= t eta0 + ||W_ov^(0)||"),
            Bound("Lemma 1", "||W_ov^(t)|| lower", "norm_ov", ">=",
                  t * eta0 / (2 * star_norm_ov) - init_norm, c,
                  "||W_ov^(t)|| >= t eta0 / (2||W*_ov||) - ||W_ov^(0)||"))


def proposition1(t: ArrayLike, *, eta0: float, star_norm_ov: float, n_tokens: int, zero_init: bool,
                 ops: Any = None) -> tuple[Bound, ...]:
    """Proposition 1: norm bounds and direction error ``<= c ||W*_ov||^3 log(2|V|) log t / (t eta0)``.

    Both printed constants, ``c = 5`` (main text) and ``c = 12`` (appendix), give a row.
    Conditions: Assumptions 1-2, zero initialisation, ``t >= 2``.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-1 iterates.
    eta0, star_norm_ov : float
        Stage-1 step and ``||W*_ov||`` (Eq. 2).
    n_tokens : int
        ``|V|``.
    zero_init : bool
        Whether ``W_ov^(0) = 0`` (and Assumptions 1-2 hold).
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        (norm lower, norm upper, direction error c = 5, direction error c = 12); ``value`` and
        ``conditions`` have shape ``(n,)``; the direction bounds are nan at ``t < 1``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta0=eta0, star_norm_ov=star_norm_ov, n_tokens=n_tokens)
    t = _iterates(t, ops)
    c = _both(_ge(t, 2, ops), _flag(t, zero_init), ops=ops)
    err = star_norm_ov ** 3 * _log(2 * n_tokens, ops) * _log_pos_t(t, ops) / (_max1(t, ops) * eta0)
    return (Bound("Proposition 1", "||W_ov^(t)|| lower", "norm_ov", ">=", t * eta0 / (2 * star_norm_ov), c,
                  "||W_ov^(t)|| >= t eta0 / (2||W*_ov||)"),
            Bound("Proposition 1", "||W_ov^(t)|| upper", "norm_ov", "<=", t * eta0, c,
                  "||W_ov^(t)|| <= t eta0"),
            Bound("Proposition 1", "direction error (c=5, main text)", "dir_err_ov", "<=", PROP1_C_MAIN * err, c,
                  "1 - <W_bar_ov, W_bar*_ov> <= 5 ||W*_ov||^3 log(2|V|) log t / (t eta0)"),
            Bound("Proposition 1", "direction error (c=12, appendix)", "dir_err_ov", "<=",
                  PROP1_C_APPENDIX * err, c,
                  "1 - <W_bar_ov, W_bar*_ov> <= 12 ||W*_ov||^3 log(2|V|) log t / (t eta0)"))


def proposition1_loss_exponent(eta0: float, star_norm_ov: float) -> float:
    """The exponent of Proposition 1's ``L_0 <= O(exp(-eta0 t / (4||W*_ov||)))``: ``eta0 / (4||W*_ov||)``.

    Its power of ``||W*_ov||`` (1) differs from Theorem 2's ``C_0`` (2): docs/theory.md.

    Parameters
    ----------
    eta0 : float
        Stage-1 step.
    star_norm_ov : float
        ``||W*_ov||`` (Eq. 2).

    Returns
    -------
    float
        The decay rate per iteration of ``log L_0`` the statement promises (up to ``O(.)``).

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta0=eta0, star_norm_ov=star_norm_ov)
    return eta0 / (4.0 * star_norm_ov)


def lemma3(t: ArrayLike, *, zero_init: bool, ops: Any = None) -> tuple[Bound, ...]:
    """Lemma 3: with zero init every wrong logit is equal, ``(e_i - e_i')^T W_ov^(t) x = 0``.

    Checked as "the spread (max - min) of the wrong logits of every token is <= 0".

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-1 iterates.
    zero_init : bool
        Whether ``W_ov^(0) = 0`` (and Assumptions 1-2 hold).
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        One bound on the measure ``wrong_spread``; ``value`` and ``conditions`` have shape ``(n,)``.
    """
    t = _iterates(t, ops)
    return (Bound("Lemma 3", "wrong-logit spread", "wrong_spread", "<=", _zeros(t, ops),
                  _flag(t, zero_init), "(e_i - e_i')^T W_ov^(t) x = 0 for i, i' != In(x)"),)


def corollary1_condition(T: ArrayLike, *, eta0: float, star_norm_ov: float, n_tokens: int, ops: Any = None
                         ) -> NDArray[np.bool_] | NDArray[np.int8]:
    """Corollary 1's condition ``T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0`` (Library rule), per T.

    Parameters
    ----------
    T : array_like of int, shape (n,)
        Candidate stage-1 lengths.
    eta0, star_norm_ov : float
        Stage-1 step and ``||W*_ov||``.
    n_tokens : int
        ``|V|``.
    ops : backend, optional
        An exact backend: the condition is then decided on balls (ternary, reference.theory.arith).

    Returns
    -------
    ndarray of bool, shape (n,)
        ``T >= log_threshold(384 ||W*_ov||^5 log(2|V|) / eta0, 1)``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta0=eta0, star_norm_ov=star_norm_ov, n_tokens=n_tokens)
    K = COR1_C * star_norm_ov ** 5 * _log(2 * n_tokens, ops) / eta0
    return _threshold(_iterates(T, ops), K, 1, ops)


def corollary1(t: ArrayLike, *, eta0: float, star_norm_ov: float, n_tokens: int, zero_init: bool,
               ops: Any = None) -> tuple[Bound, ...]:
    """Corollary 1: stage-1 margins in ``(Delta, 3 Delta)``, ``Delta = T eta0 / (4||W*_ov||^2)`` (``T = t``).

    Returns the printed bounds, the corrected upper bound ``4 ||W*_ov|| Delta``
    (erratum ``corollary1-upper``: with zero init every margin equals
    ``T eta0 / ||W*_ov|| = 4 ||W*_ov|| Delta >= 4 Delta``), and the equal-margins
    fact the stage-2 proofs use. Conditions: Assumptions 1-2, zero init, the condition on T.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-1 iterates, each read as Corollary 1's ``T``.
    eta0, star_norm_ov : float
        Stage-1 step and ``||W*_ov||``.
    n_tokens : int
        ``|V|``.
    zero_init : bool
        Whether ``W_ov^(0) = 0`` (and Assumptions 1-2 hold).
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        (lower ``Delta``, printed upper ``3 Delta`` [erratum], corrected upper, equal margins);
        ``value`` and ``conditions`` have shape ``(n,)``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta0=eta0, star_norm_ov=star_norm_ov, n_tokens=n_tokens)
    t = _iterates(t, ops)
    delta = t * C0_thm2(eta0, star_norm_ov)
    c = _both(corollary1_condition(t, eta0=eta0, star_norm_ov=star_norm_ov, n_tokens=n_tokens, ops=ops),
              _flag(t, zero_init), ops=ops)
    printed_up = "Corollary 1: margin upper (printed 3 Delta)"
    return (Bound("Corollary 1", "margin lower (Delta)", "margin_min", ">=", delta, c,
                  "(e_In(x) - e_i)^T W_ov^(T) x > Delta"),
            Bound("Corollary 1", "margin upper (printed 3 Delta)", "margin_max", "<=", 3 * delta, c,
                  "(e_In(x) - e_i)^T W_ov^(T) x < 3 Delta", erratum="corollary1-upper"),
            Bound("Corollary 1", "margin upper (corrected 4||W*_ov|| Delta)", "margin_max", "<=",
                  4 * star_norm_ov * delta, c, "(corrected) margin <= 4 ||W*_ov|| Delta = T eta0 / ||W*_ov||",
                  corrects=printed_up),
            Bound("Corollary 1", "margins all equal (used by the stage-2 proofs)", "margin_spread", "<=",
                  _zeros(t, ops), _flag(t, zero_init), "max margin - min margin = 0"))


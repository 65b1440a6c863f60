"""The statements made only in Appendix B: Eq. (8), Lemma 2 and Proposition 3 (the appendix form of Proposition 1).

Pure functions of the constants and of measured inner products, each returning
:class:`~reference.theory.constants.Bound` rows like :mod:`reference.theory.stage1`;
their proofs are checked step by step in :mod:`reference.theory.proofs.lemma2`
and :mod:`reference.theory.proofs.proposition3` (docs/proofs.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .arith import _both, _exact, _flag, _ge, _iterates, _log, _log_pos as _log_pos_t, _max1, _measured
from .constants import _positive, Bound, PROP1_C_APPENDIX

__all__ = ["eq8", "lemma2_alpha", "lemma2", "proposition3"]


def eq8(pw: ArrayLike, *, ops: Any = None) -> NDArray[np.float64] | NDArray[np.object_]:
    """Eq. (8) (p.14, Lemma 1's proof): the bound ``<W*_ov, grad L_0(W_ov^(t))> <= -sum_x pw_t(x)``.

    ``pw_t(x) = sum_{i != In(x)} [phi(W_ov^(t) x)]_i`` is the probability stage 1 puts on the
    wrong tokens of ``x``; the bound follows from the margins of Eq. (2) being at least 1, and
    is an equality under Assumption 2 (every margin of ``W*_ov`` is exactly 1).

    Parameters
    ----------
    pw : array_like, shape (..., abs(V))
        ``pw_t(x)`` for every token ``x`` (last axis), e.g. per iterate ``t`` (first axis).
    ops : backend namespace, optional
        The measurement backend (docs/proofs.md); numpy when omitted.

    Returns
    -------
    ndarray, shape (...)
        ``-sum_x pw_t(x)``.
    """
    if ops is None:
        return -np.sum(np.asarray(pw, dtype=np.float64), axis=-1)
    return -ops.sum(pw, axis=-1)


def lemma2_alpha(norm_ov: ArrayLike, *, star_norm_ov: float, n_tokens: int, ops: Any = None
                 ) -> NDArray[np.float64] | NDArray[np.object_]:
    """``alpha_t^ov = 2 ||W*_ov|| log(2|V|) / ||W_ov^(t)||`` (Lemma 2, p.15; Proposition 3, p.16).

    Parameters
    ----------
    norm_ov : array_like, shape (n,)
        ``||W_ov^(t)||`` (inf where it is 0: Lemma 2 needs ``W_ov^(t) != 0``).
    star_norm_ov : float
        ``||W*_ov||`` (Eq. 2).
    n_tokens : int
        ``|V|``.
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    _positive(star_norm_ov=star_norm_ov, n_tokens=n_tokens)
    w = ops.asarray(norm_ov) if _exact(ops) else np.asarray(norm_ov, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return 2.0 * star_norm_ov * _log(2 * n_tokens, ops) / w


def lemma2(t: ArrayLike, *, norm_ov: ArrayLike, ug1_Wstarbar: ArrayLike, star_norm_ov: float, n_tokens: int,
           assumptions: bool = True, ops: Any = None) -> tuple[Bound, ...]:
    """Lemma 2 (p.15): ``<Wbar_ov^(t), G1_t> >= (1 + alpha_t^ov) <Wbar*_ov, G1_t>`` for ``W_ov^(t) != 0``.

    Written for the unit gradient ``g1_t = G1_t / ||G1_t||`` (dividing both sides by
    ``||G1_t|| > 0``): the measured ``<g1_t, Wbar_ov^(t)>`` (field ``ug1_Wbar``) must be at
    least ``(1 + alpha_t^ov) <g1_t, Wbar*_ov>``. No condition on the initialisation.
    Conditions: ``W_ov^(t) != 0`` and ``assumptions`` (Assumptions 1-2 hold).

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-1 iterates.
    norm_ov, ug1_Wstarbar : array_like, shape (n,)
        Measured ``||W_ov^(t)||`` and ``<g1_t, Wbar*_ov>``.
    star_norm_ov : float
        ``||W*_ov||``.
    n_tokens : int
        ``|V|``.
    assumptions : bool
        Whether Assumptions 1-2 hold.
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        One bound on the measure ``ug1_Wbar``; ``value`` and ``conditions`` have shape ``(n,)``.

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    t = _iterates(t, ops)
    w, g = _measured(norm_ov, t, ops), _measured(ug1_Wstarbar, t, ops)
    alpha = lemma2_alpha(w, star_norm_ov=star_norm_ov, n_tokens=n_tokens, ops=ops)
    if _exact(ops):
        nonzero = ops.gt(w, 0)
        value = (1 + alpha) * g                          # undefined (not a ball) where w = 0 exactly
    else:
        nonzero = w > 0
        with np.errstate(invalid="ignore"):
            value = np.where(nonzero, (1 + alpha) * g, np.nan)
    return (Bound("Lemma 2", "<g1_t, Wbar_ov^(t)>", "ug1_Wbar", ">=", value,
                  _both(nonzero, _flag(t, assumptions), ops=ops),
                  "<Wbar_ov^(t), G1_t> >= (1 + alpha_t^ov) <Wbar*_ov, G1_t>"),)


def proposition3(t: ArrayLike, *, eta0: float, star_norm_ov: float, n_tokens: int, zero_init: bool,
                 ops: Any = None) -> tuple[Bound, ...]:
    """Proposition 3 (p.16): ``t eta0/(2||W*_ov||) <= ||W_ov^(t)|| <= t eta0`` and direction error
    ``1 - <Wbar_ov^(t), Wbar*_ov> <= 12 ||W*_ov||^3 log(2|V|) log t / (t eta0)``.

    The appendix's restatement of Proposition 1 with the constant 12 (the main text
    has 5). Conditions: Assumptions 1-2 (through Proposition 1), zero initialisation,
    ``t >= 2``. Its proof also uses ``eta0 <= ||W*_ov||/2`` (docs/proofs.md, P32), which
    the statement does not state.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-1 iterates.
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
        (norm lower, norm upper, direction error) on the measures ``norm_ov``, ``norm_ov``,
        ``dir_err_ov``; ``value`` and ``conditions`` have shape ``(n,)``.

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    _positive(eta0=eta0, star_norm_ov=star_norm_ov, n_tokens=n_tokens)
    t = _iterates(t, ops)
    c = _both(_ge(t, 2, ops), _flag(t, zero_init), ops=ops)
    err = (PROP1_C_APPENDIX * star_norm_ov ** 3 * _log(2 * n_tokens, ops) * _log_pos_t(t, ops)
           / (_max1(t, ops) * eta0))
    return (Bound("Proposition 3", "||W_ov^(t)|| lower", "norm_ov", ">=", t * eta0 / (2 * star_norm_ov), c,
                  "||W_ov^(t)|| >= t eta0 / (2||W*_ov||)"),
            Bound("Proposition 3", "||W_ov^(t)|| upper", "norm_ov", "<=", t * eta0, c,
                  "||W_ov^(t)|| <= t eta0"),
            Bound("Proposition 3", "direction error (12)", "dir_err_ov", "<=", err, c,
                  "<Wbar_ov^(t), Wbar*_ov> >= 1 - 12 ||W*_ov||^3 log(2|V|) log t / (t eta0)"))

"""Theorem 2 (Section 5) with its proof's constants, read with and without Theorem 1's step-size condition.

Theorem 2 (p.7) holds "under the conditions in Theorem 1", which include the step size
``eta < O(1)`` (the proof of Theorem 1 uses ``eta <= ||W*_kq|| / e``), and with an absolute
constant ``c_0`` in ``T >= c_0 ||W*_ov||^5 log|V| log T / eta0`` and
``t >= c_0 N L_max^4 ||W*_kq||^6 log^2 t / eta``. Its proof (Appendix C.6, p.30) makes
``c_0`` explicit: ``T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0`` (Corollary 1's condition) and
``t >= 1696 N L_max^4 ||W*_kq||^6 log^2 t / eta``; these decide here. (The main text's form is
implied by them with the absolute constant ``c_0 = 1696``: ``log(2|V|) <= 2 log|V|`` for ``|V| >= 2``.)

Read with these explicit conditions only (no step-size condition), Theorem 2 fails for a huge
``eta`` (erratum ``theorem2-step-size``, docs/theory.md: the condition on ``t`` weakens as ``eta``
grows); those rows are marked ``(no step-size condition)`` and never decide. Two corrections,
each its own row in the audit:

* *step size* (:func:`theorem2`): add Theorem 1's ``eta <= ||W*_kq|| / e``, as "under the
  conditions in Theorem 1" says. Its ``t``-condition is out of reach of any run.
* *direction form* (:func:`theorem2_direction_form`): replace the conditions on ``T`` and ``t``
  by the direction error they are meant to guarantee,
  ``1 - <W_bar_kq^(t), W_bar*_kq> <= 1 / (16 ||W*_kq||^2)`` (and ``C_1 t >= log L_max``
  for the loss). Proof (docs/theory.md): every optimal-minus-non-optimal score
  is then ``>= ||W_kq^(t)|| / (2||W*_kq||) >= C_1 t`` by Lemma 6, which gives the
  attention bound; with zero init every stage-1 margin is
  ``T eta0 / ||W*_ov|| >= T C_0`` (Lemma 3), which gives Eq. (4).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .arith import _both, _e, _exact, _exp, _flag, _ge, _iterates, _le, _log, _measured, _threshold
from .constants import _positive, Bound, C0_thm2, C1_thm2, THM2_C_T, THM2_C_t

__all__ = ["THM2_DIR_ERR", "theorem2_conditions", "theorem2", "theorem2_direction_form"]

#: The direction form's condition: ``1 - cos <= THM2_DIR_ERR / ||W*_kq||^2``. Then
#: ``2 sqrt(1 - cos) <= 1/(2||W*_kq||)``: half of every max-margin score gap ``>= 1/||W*_kq||``
#: of ``W_bar*_kq`` survives in ``W_bar_kq^(t)`` (docs/theory.md).
THM2_DIR_ERR = 1.0 / 16.0

_P_ATT = "min_n phi_+^(n,t) >= 1 / (1 + L_max exp(-C_1 t))"
_P_LOSS = "L <= |V| exp(-T C_0 (1 - 2 L_max / (L_max + exp(C_1 t))))"


def _eq4(t, T, eta0, eta, n_tokens, L_max, star_norm_ov, star_norm_kq, ops=None):
    """The two bounds at ``t``: ``1/(1 + L_max e^{-C_1 t})`` and the log of Eq. (4)'s right side."""
    C0, C1 = C0_thm2(eta0, star_norm_ov), C1_thm2(eta, L_max, star_norm_kq)
    e = _exp(-C1 * t, ops)                              # e^{-C_1 t}, no overflow
    frac = 2 * L_max * e / (L_max * e + 1)              # 2 L_max / (L_max + e^{C_1 t})
    return 1 / (1 + L_max * e), _log(n_tokens, ops) - T * C0 * (1 - frac)


def theorem2_conditions(t: ArrayLike, *, T: int, eta0: float, eta: float, n_tokens: int, N: int, L_max: int,
                        star_norm_ov: float, star_norm_kq: float, ops: Any = None
                        ) -> tuple[bool | NDArray[np.int8], NDArray[np.bool_] | NDArray[np.int8]]:
    """Theorem 2's explicit conditions with the proof's constants (p.30; Library rule on ``log`` conditions).

    ``T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0`` (Corollary 1's condition, recalled by the proof)
    and ``t >= 1696 N L_max^4 ||W*_kq||^6 log^2 t / eta``, each read as ``>= log_threshold(K, p)``.
    Theorem 1's step-size condition, which Theorem 2 also assumes, is not part of them.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    T : int
        Stage-1 iterations.
    eta0, eta : float
        Stage-1 and stage-2 steps.
    n_tokens, N, L_max : int
        ``|V|``, number of distinct sentences, longest sentence.
    star_norm_ov, star_norm_kq : float
        ``||W*_ov||`` (Eq. 2) and ``||W*_kq||`` (Eq. 3).
    ops : backend, optional
        An exact backend: both conditions are then ternary, decided on balls (reference.theory.arith).

    Returns
    -------
    ok_T : bool
    ok_t : ndarray of bool, shape (n,)

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta0=eta0, eta=eta, n_tokens=n_tokens, N=N, L_max=L_max, star_norm_ov=star_norm_ov,
              star_norm_kq=star_norm_kq)
    K_T = THM2_C_T * star_norm_ov ** 5 * _log(2 * n_tokens, ops) / eta0          # the proof's log(2|V|)
    K_t = THM2_C_t * N * L_max ** 4 * star_norm_kq ** 6 / eta
    ok_T = _threshold(_iterates([T], ops), K_T, 1, ops)
    return (ok_T if _exact(ops) else bool(ok_T[0])), _threshold(_iterates(t, ops), K_t, 2, ops)


def theorem2(t: ArrayLike, *, T: int, eta0: float, eta: float, n_tokens: int, N: int, L_max: int,
             star_norm_ov: float, star_norm_kq: float, zero_init: bool, assumption3: bool,
             ops: Any = None) -> tuple[Bound, ...]:
    """Theorem 2: ``min_n phi_+^(n,t) >= 1/(1 + L_max e^{-C_1 t})`` and
    ``L <= |V| exp(-T C_0 (1 - 2 L_max / (L_max + e^{C_1 t})))`` (Eq. 4), the latter in log form.

    Conditions without a step size: Assumptions 1-3, zero init and :func:`theorem2_conditions`.
    Read so, both rows are known false (erratum ``theorem2-step-size``: with a huge
    ``eta`` the conditions hold from ``t = 1`` while a sentence whose loss is
    exponentially small gets no share of the normalised step). The corrected rows
    add Theorem 1's step-size condition ``eta <= ||W*_kq|| / e``: Theorem 2 as printed
    ("under the conditions in Theorem 1").

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    T : int
        Stage-1 iterations.
    eta0, eta : float
        Stage-1 and stage-2 steps.
    star_norm_ov, star_norm_kq : float
        ``||W*_ov||`` (Eq. 2) and ``||W*_kq||`` (Eq. 3).
    n_tokens, N, L_max : int
        ``|V|``, number of distinct sentences, longest sentence.
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        (attention and log-loss without a step-size condition [erratum], attention and log-loss with
        Theorem 1's ``eta <= ||W*_kq|| / e`` [corrected]); ``value`` and ``conditions`` have shape ``(n,)``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta0=eta0, eta=eta, n_tokens=n_tokens, N=N, L_max=L_max, star_norm_ov=star_norm_ov,
              star_norm_kq=star_norm_kq)
    t = _iterates(t, ops)
    ok_T, ok_t = theorem2_conditions(t, T=T, eta0=eta0, eta=eta, n_tokens=n_tokens, N=N, L_max=L_max,
                                     star_norm_ov=star_norm_ov, star_norm_kq=star_norm_kq, ops=ops)
    if _exact(ops):
        c = ops.all_of(ok_t, ok_T, _flag(t, zero_init and assumption3))
    else:
        c = ok_t & (ok_T and zero_init and assumption3)
    c_fix = _both(c, _le(eta, star_norm_kq / _e(ops), ops), ops=ops)
    att, log_loss = _eq4(t, T, eta0, eta, n_tokens, L_max, star_norm_ov, star_norm_kq, ops)
    p_att, p_loss = _P_ATT, _P_LOSS
    fix = " (corrected: eta <= ||W*_kq||/e)"
    return (Bound("Theorem 2", "min_n phi_+^(n,t) (no step-size condition)", "phi_plus_min", ">=", att, c, p_att,
                  erratum="theorem2-step-size"),
            Bound("Theorem 2", "log L(theta^(t)) (no step-size condition)", "log_loss", "<=", log_loss, c, p_loss,
                  erratum="theorem2-step-size"),
            Bound("Theorem 2", "min_n phi_+^(n,t) (corrected)", "phi_plus_min", ">=", att, c_fix, p_att + fix,
                  corrects="Theorem 2: min_n phi_+^(n,t) (no step-size condition)"),
            Bound("Theorem 2", "log L(theta^(t)) (corrected)", "log_loss", "<=", log_loss, c_fix, p_loss + fix,
                  corrects="Theorem 2: log L(theta^(t)) (no step-size condition)"))


def theorem2_direction_form(t: ArrayLike, *, T: int, eta0: float, eta: float, n_tokens: int, L_max: int,
                            star_norm_ov: float, star_norm_kq: float, dir_err_kq: ArrayLike, zero_init: bool,
                            assumption3: bool, ops: Any = None) -> tuple[Bound, ...]:
    """Theorem 2's bounds (Eq. 4) under the direction condition ``1 - cos <= 1/(16 ||W*_kq||^2)``.

    The corrected statement proved in docs/theory.md (erratum ``theorem2-step-size``):
    under Assumptions 1-3 and zero initialisation of both stages, at every ``t``
    with ``1 - <W_bar_kq^(t), W_bar*_kq> <= 1/(16 ||W*_kq||^2)``,
    ``min_n phi_+^(n,t) >= 1/(1 + L_max e^{-C_1 t})``; if also ``C_1 t >= log L_max``,
    ``L(theta^(t)) <= |V| exp(-T C_0 (1 - 2 L_max/(L_max + e^{C_1 t})))``. No
    condition on ``T``, ``t`` or ``eta`` beyond these.

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    T : int
        Stage-1 iterations.
    eta0, eta : float
        Stage-1 and stage-2 steps.
    n_tokens, L_max : int
        ``|V|`` and the longest sentence.
    star_norm_ov, star_norm_kq : float
        ``||W*_ov||`` (Eq. 2) and ``||W*_kq||`` (Eq. 3).
    dir_err_kq : array_like, shape (n,)
        Measured ``1 - <W_bar_kq^(t), W_bar*_kq>`` (nan where ``W_kq^(t) = 0``).
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.
    ops : backend, optional
        An exact backend for a certified audit (reference.theory.arith).

    Returns
    -------
    tuple of Bound
        (attention, log-loss), each correcting the row without a step-size condition; ``value``
        and ``conditions`` have shape ``(n,)``.

    Raises
    ------
    ConfigError
        A step, ``||W*||`` or count that is not a finite number > 0.
    """
    _positive(eta0=eta0, eta=eta, n_tokens=n_tokens, L_max=L_max, star_norm_ov=star_norm_ov, star_norm_kq=star_norm_kq)
    t = _iterates(t, ops)
    err = _measured(dir_err_kq, t, ops)
    if _exact(ops):
        aligned = ops.le(err, THM2_DIR_ERR / star_norm_kq ** 2)
    else:
        with np.errstate(invalid="ignore"):
            aligned = np.isfinite(err) & (err <= THM2_DIR_ERR / star_norm_kq ** 2)
    c = _both(aligned, _flag(t, zero_init and assumption3), ops=ops)
    att, log_loss = _eq4(t, T, eta0, eta, n_tokens, L_max, star_norm_ov, star_norm_kq, ops)
    c_loss = _both(c, _ge(C1_thm2(eta, L_max, star_norm_kq) * t, _log(L_max, ops), ops), ops=ops)
    cond = " (corrected: if 1 - cos(W_kq^(t), W*_kq) <= 1/(16||W*_kq||^2)"
    return (Bound("Theorem 2", "min_n phi_+^(n,t) (direction form)", "phi_plus_min", ">=", att, c,
                  _P_ATT + cond + ")", corrects="Theorem 2: min_n phi_+^(n,t) (no step-size condition)"),
            Bound("Theorem 2", "log L(theta^(t)) (direction form)", "log_loss", "<=", log_loss, c_loss,
                  _P_LOSS + cond + " and C_1 t >= log L_max)",
                  corrects="Theorem 2: log L(theta^(t)) (no step-size condition)"))

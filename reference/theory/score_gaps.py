"""Eq. (13) and the score-gap bounds of the proofs of Theorems 2 and 3 (Appendix C.6, p.30; D.2, p.33).

Eq. (13) bounds every score gap of ``W_kq^(t)`` by its distance to the max-margin direction:

    (x_l - x_l*)^T W_kq^(t) q_n = r_t (x_l - x_l*)^T W*_kq q_n + (x_l - x_l*)^T (W_kq^(t) - r_t W*_kq) q_n
                                <= -r_t + 2 ||W_kq^(t)|| ||Wbar_kq^(t) - Wbar*_kq||,        r_t = ||W_kq^(t)|| / ||W*_kq||,

for an optimal position ``l*`` and a non-optimal one ``l`` of sentence ``n`` (:func:`eq13`). The proofs then
put Theorem 1's direction bound ``B_t = 54 N L_max^4 ||W*_kq||^4 log^2 t / (t eta)``
(:func:`theorem1_direction_bound`) and Lemma 6 into it. As printed (p.30, p.33) the result is
``-t eta / (2 L_max ||W*_kq||^2) + sqrt(2) t eta / (L_max ||W*_kq||) sqrt(B_t)`` (:func:`eq13_printed_chain`),
whose factor ``1 / (L_max ||W*_kq||)`` has no source. What Theorem 1 gives (``||Wbar - Wbar*|| =
sqrt(2 (1 - cos)) <= sqrt(2 B_t)``), keeping ``||W_kq^(t)||`` on both terms, is
``||W_kq^(t)|| (-1/||W*_kq|| + 2 sqrt(2 B_t))`` (:func:`eq13_theorem1`; docs/proofs.md, decision
``false-P117-term``), and with Lemma 6 it is ``<= -t eta / (4 L_max ||W*_kq||^2)`` once
``2 sqrt(2 B_t) <= 1 / (2 ||W*_kq||)``, i.e. ``t eta >= 1728 N L_max^4 ||W*_kq||^6 log^2 t``
(:data:`THM2_C_t_ARITHMETIC`): the constant the printed chain needs too (the proof prints 1696). With
``sqrt(2)`` for Eq. (13)'s 2 (Cauchy-Schwarz: ``||(x_l - x_l*) q_n^T|| = sqrt 2``) it is 864
(:data:`THM2_C_t_SHARP`), so Theorem 2's printed 1696 suffices for its conclusion.

The same bound gives Theorem 3's constant: ``(x - x')^T W_kq^(t) x_q >= C t`` with
``C = eta gap* / (4 L_max ||W*_kq||^2)`` once ``t eta gap*^2 >= 1728 N L_max^4 ||W*_kq||^6 log^2 t``
(:func:`theorem3_C_proof`, :func:`theorem3_t_condition`).

The functions of ``t`` and the norms use only arithmetic operators and ``xp.sqrt``, ``xp.log``
(``xp`` is numpy by default; the proof audit passes its numeric backend), so a check can call them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .constants import _positive, THM1_C_DIR, THM2_C_t

__all__ = ["THM2_C_t_ARITHMETIC", "THM2_C_t_SHARP", "eq13", "theorem1_direction_bound", "eq13_printed_chain",
           "eq13_theorem1", "theorem2_t_condition", "theorem3_C_proof", "theorem3_t_condition"]

#: The constant of Theorem 2's condition on ``t`` that step (a) needs, with the printed second term or with
#: the corrected one: ``2 x 54 x 16 = 1728`` (the proof prints 1696).
THM2_C_t_ARITHMETIC = 1728.0
#: The same with ``sqrt(2)`` for the 2 of Eq. (13): ``54 x 16 = 864``.
THM2_C_t_SHARP = 864.0


def eq13(norm_kq: float | NDArray[np.float64], star_norm_kq: float, dir_dist: float | NDArray[np.float64]
         ) -> float | NDArray[np.float64]:
    """Eq. (13), p.30: the bound ``-r_t + 2 ||W_kq^(t)|| ||Wbar_kq^(t) - Wbar*_kq||`` on every score gap.

    ``(x_l - x_l*)^T W_kq^(t) q_n <= -r_t + 2 ||W_kq^(t)|| ||Wbar_kq^(t) - Wbar*_kq||`` for every sentence
    ``n``, optimal position ``l*`` and non-optimal position ``l`` (every constraint of Eq. 3 has margin
    ``>= 1``, and ``|(x_l - x_l*)^T D q_n| <= sqrt(2) ||D||``; the paper writes 2).

    Parameters
    ----------
    norm_kq : ndarray, shape (n,), or float
        ``||W_kq^(t)||``.
    star_norm_kq : float
        ``||W*_kq||`` (Eq. 3), > 0.
    dir_dist : ndarray, shape (n,), or float
        ``||Wbar_kq^(t) - Wbar*_kq||`` (``sqrt(2 (1 - cos))``).

    Returns
    -------
    array, shape (n,)
        The right side of Eq. (13).

    Notes
    -----
    Serves the proofs of Theorem 2 (P116) and Theorem 3 (P131).
    """
    return -norm_kq / star_norm_kq + 2.0 * norm_kq * dir_dist


def theorem1_direction_bound(t: float | NDArray[np.float64], *, eta: float, N: int, L_max: int,
                             star_norm_kq: float, xp: Any = np) -> float | NDArray[np.float64]:
    """Theorem 1's direction bound ``B_t = 54 N L_max^4 ||W*_kq||^4 log^2 t / (t eta)`` (p.7), for ``t >= 1``.

    Parameters
    ----------
    t : ndarray, shape (n,), or float
        Stage-2 iterates (``t = 0`` gives nan).
    eta : float
        Stage-2 step.
    N, L_max : int
        Number of distinct sentences, longest sentence.
    star_norm_kq : float
        ``||W*_kq||``.
    xp : module or backend, optional
        Supplies ``log`` (numpy by default).

    Returns
    -------
    array, shape (n,)
        ``1 - <Wbar_kq^(t), Wbar*_kq> <= B_t`` is Theorem 1's claim.

    Notes
    -----
    Serves Theorem 1 and the proofs of Theorems 2 and 3 (P117, P131).
    """
    lt = xp.log(t)
    return THM1_C_DIR * N * L_max ** 4 * star_norm_kq ** 4 * lt * lt / (t * eta)


def eq13_printed_chain(t: float | NDArray[np.float64], *, eta: float, N: int, L_max: int, star_norm_kq: float,
                       xp: Any = np) -> float | NDArray[np.float64]:
    """The (13) chain as printed (P117 p.30, P131 p.33): ``-t eta/(2 L_max ||W*_kq||^2) + (sqrt(2) t eta/(L_max
    ||W*_kq||)) sqrt(B_t)``, ``B_t`` :func:`theorem1_direction_bound`.

    Parameters
    ----------
    t : ndarray, shape (n,), or float
        Stage-2 iterates (``t >= 1``).
    eta, star_norm_kq : float
        Stage-2 step, ``||W*_kq||``.
    N, L_max : int
    xp : module or backend, optional
        Supplies ``log`` and ``sqrt``.

    Returns
    -------
    array, shape (n,)

    Notes
    -----
    Serves the proofs of Theorem 2 (P117, P118) and Theorem 3 (P131, P132) as printed.
    """
    B = theorem1_direction_bound(t, eta=eta, N=N, L_max=L_max, star_norm_kq=star_norm_kq, xp=xp)
    root2 = xp.sqrt(xp.asarray(2.0))
    return -t * eta / (2.0 * L_max * star_norm_kq ** 2) + root2 * t * eta / (L_max * star_norm_kq) * xp.sqrt(B)


def eq13_theorem1(norm_kq: float | NDArray[np.float64], t: float | NDArray[np.float64], *, eta: float, N: int,
                  L_max: int, star_norm_kq: float, xp: Any = np) -> float | NDArray[np.float64]:
    """Eq. (13) with Theorem 1 put in: ``||W_kq^(t)|| (-1/||W*_kq|| + 2 sqrt(2 B_t))`` (the corrected P117, p.30).

    ``-r_t + 2 ||W|| ||Wbar - Wbar*||`` with ``||Wbar - Wbar*|| = sqrt(2 (1 - cos)) <= sqrt(2 B_t)``.

    Parameters
    ----------
    norm_kq : ndarray, shape (n,), or float
        ``||W_kq^(t)||``.
    t : ndarray, shape (n,), or float
        Stage-2 iterates (``t >= 1``).
    eta, star_norm_kq : float
    N, L_max : int
    xp : module or backend, optional

    Returns
    -------
    array, shape (n,)

    Notes
    -----
    Serves the proofs of Theorem 2 (P117', P118') and Theorem 3 (P131', P132.2).
    """
    B = theorem1_direction_bound(t, eta=eta, N=N, L_max=L_max, star_norm_kq=star_norm_kq, xp=xp)
    return norm_kq * (-1.0 / star_norm_kq + 2.0 * xp.sqrt(2.0 * B))


def theorem2_t_condition(t: ArrayLike, *, eta: float, N: int, L_max: int, star_norm_kq: float,
                         constant: float = THM2_C_t) -> NDArray[np.bool_]:
    """Theorem 2's condition on ``t`` read at each ``t``: ``t eta >= constant N L_max^4 ||W*_kq||^6 log^2 t`` (p.30).

    ``constant``: 1696 as printed (:data:`reference.theory.THM2_C_t`), 1728 what step (a) needs
    (:data:`THM2_C_t_ARITHMETIC`), 864 with ``sqrt 2`` in Eq. (13) (:data:`THM2_C_t_SHARP`). A proof step
    holds at the ``t`` it is applied to, so the proof audit reads the condition at each ``t`` (the
    statement rows read it with :func:`reference.theory.log_threshold`, the Library rule).

    Parameters
    ----------
    t : array_like, shape (n,)
    eta, star_norm_kq : float
    N, L_max : int
    constant : float

    Returns
    -------
    ndarray of bool, shape (n,)
        False at ``t <= 0``.

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    _positive(eta=eta, N=N, L_max=L_max, star_norm_kq=star_norm_kq, constant=constant)
    K = constant * N * L_max ** 4 * star_norm_kq ** 6
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    lt = np.log(np.maximum(t, 1.0))
    return (t > 0) & (t * eta >= K * lt * lt)


def theorem3_C_proof(eta: float, gap_star: ArrayLike, L_max: int, star_norm_kq: float
                     ) -> float | NDArray[np.float64]:
    """Theorem 3's constant as the corrected proof gives it: ``C = eta gap* / (4 L_max ||W*_kq||^2)`` (p.33).

    From Eq. (13) with Theorem 1, ``(x - x')^T W_kq^(t) x_q >= ||W_kq^(t)|| (gap*/||W*_kq|| - 2 sqrt(2 B_t))``
    (P131'), which Lemma 6 makes ``>= C t`` once :func:`theorem3_t_condition` holds; ``gap* = (x - x')^T
    W*_kq x_q > 0`` (Proposition 2: ``m/(k+m)`` for ``x*`` over ``x0``, ``k/(k+m)`` for ``x0`` over ``x``).
    The paper leaves ``C`` unnamed.

    Parameters
    ----------
    eta : float
        Stage-2 step.
    gap_star : float or array
        The gap of ``W*_kq``, > 0.
    L_max : int
    star_norm_kq : float

    Returns
    -------
    float or array

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    _positive(eta=eta, L_max=L_max, star_norm_kq=star_norm_kq)
    return eta * np.asarray(gap_star, dtype=np.float64) / (4.0 * L_max * star_norm_kq ** 2)


def theorem3_t_condition(t: ArrayLike, *, eta: float, N: int, L_max: int, star_norm_kq: float, gap_star: float
                         ) -> NDArray[np.bool_]:
    """Where the corrected proof of Theorem 3 gives ``gap >= C t``: ``t eta gap*^2 >= 1728 N L_max^4 ||W*_kq||^6 log^2 t``.

    Then ``2 sqrt(2 B_t) <= gap* / (2 ||W*_kq||)``.

    Parameters
    ----------
    t : array_like, shape (n,)
    eta, star_norm_kq : float
    N, L_max : int
    gap_star : float
        The smallest ``W*_kq`` gap of the pairs considered, > 0.

    Returns
    -------
    ndarray of bool, shape (n,)

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    _positive(gap_star=gap_star)
    return theorem2_t_condition(t, eta=eta * gap_star ** 2, N=N, L_max=L_max, star_norm_kq=star_norm_kq,
                                constant=THM2_C_t_ARITHMETIC)

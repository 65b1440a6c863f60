"""The objects of Lemma 7's proof (Appendix C.4, p.23-28): the softmax fact Eq. (11), ``beta_t``, the Types.

Pure functions of scores and constants; the proof's steps are checked one by one on
trajectories in :mod:`reference.theory.proofs.lemma7` and the modules after it
(docs/proofs.md, "Appendix C.4: Lemma 7"). Lemma 7 itself, ``t_0`` and ``alpha_t`` are in
:mod:`reference.theory.stage2`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ConfigError
from .constants import _positive

__all__ = ["eq11", "lemma7_beta", "lemma7_type1", "lemma7_type2_factor", "WEIGHTS_TOL"]

#: Convex weights must sum to 1 within this: a float64 sum of up to ~1e3 weights is exact to ~1e-13.
WEIGHTS_TOL = 1e-12


def eq11(scores: ArrayLike, weights: ArrayLike | None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Eq. (11) (p.23): ``phi_l = phi_l' exp(a_l - a_l') <= exp(-C)`` whenever ``a_l <= a_l' - C``.

    With ``weights`` (a convex combination), the variant the proof also uses:
    ``phi_l <= exp(a_l - sum_l' w_l' a_l')``.

    Parameters
    ----------
    scores : array_like, shape (L,)
        The scores ``a_l = x_l^T W_kq x_L`` of one sentence (any real vector).
    weights : array_like, shape (L,), optional
        Non-negative weights summing to 1 (a convex combination of the scores).

    Returns
    -------
    log_phi : ndarray, shape (L,)
        ``log phi_l``, the log-softmax of the scores.
    log_bound : ndarray, shape (L, L) or (L,)
        ``a_l - a_l'`` at ``[l, l']`` (the bound on ``log phi_l`` given by position ``l'``; an
        equality ``log phi_l = log phi_l' + a_l - a_l'`` when ``phi_l'`` is kept), or with ``weights``
        ``a_l - sum_l' w_l' a_l'``.

    Raises
    ------
    ConfigError
        Scores that are not a finite non-empty vector, or weights of another length, negative,
        or not summing to 1.
    """
    a = np.asarray(scores, dtype=np.float64)
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
        raise ConfigError(f"eq11: scores must be a finite non-empty vector, got shape {a.shape}")
    m = a.max()
    log_phi = (a - m) - math.log(float(np.sum(np.exp(a - m))))
    diff = a[:, None] - a[None, :]
    if weights is None:
        return log_phi, diff
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != a.shape or np.any(w < 0) or not np.all(np.isfinite(w)) or abs(float(w.sum()) - 1.0) > WEIGHTS_TOL:
        raise ConfigError("eq11: weights must be non-negative, of the scores' length and sum to 1")
    return log_phi, diff @ w


def lemma7_beta(norm_kq: ArrayLike, *, L_max: int, star_norm_kq: float) -> NDArray[np.float64]:
    """Lemma 7's ``beta_t = 2 L_max^2 ||W*_kq||^2 (1 + log(2 L_max ||W_kq^(t)||)) / ||W_kq^(t)||`` (p.23).

    ``alpha_t = 2 N beta_t`` (:func:`reference.theory.lemma7_alpha`).

    Parameters
    ----------
    norm_kq : array_like, shape (n,)
        ``||W_kq^(t)||`` (nan where it is 0).
    L_max : int
        Longest sentence.
    star_norm_kq : float
        ``||W*_kq||`` (Eq. 3).

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    _positive(L_max=L_max, star_norm_kq=star_norm_kq)
    w = np.asarray(norm_kq, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(w > 0, 2.0 * L_max ** 2 * star_norm_kq ** 2 * (1.0 + np.log(2.0 * L_max * w)) / w, np.nan)


def lemma7_type1(log_phi_minus: ArrayLike, norm_kq: ArrayLike, *, L_max: int, star_norm_kq: float
                 ) -> NDArray[np.bool_]:
    """Lemma 7's Type 1 (p.23): ``phi_-^(n,t) >= exp(-(1 + beta_t/2) r_t)``, ``r_t = ||W_kq^(t)||/||W*_kq||``.

    Parameters
    ----------
    log_phi_minus : array_like, shape (n, N)
        ``log phi_-^(n,t)`` (``-inf`` for a sentence without a non-optimal position).
    norm_kq : array_like, shape (n,)
        ``||W_kq^(t)||``.
    L_max : int
    star_norm_kq : float

    Returns
    -------
    ndarray of bool, shape (n, N)
        True for Type 1, False for Type 2 (the other samples).

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    w = np.asarray(norm_kq, dtype=np.float64)
    beta = lemma7_beta(w, L_max=L_max, star_norm_kq=star_norm_kq)
    thr = -(1.0 + beta / 2.0) * w / star_norm_kq
    return np.asarray(log_phi_minus, dtype=np.float64) >= thr[:, None]


def lemma7_type2_factor(norm_kq: ArrayLike, *, L_max: int, star_norm_kq: float, corrected: bool = True
                        ) -> NDArray[np.float64]:
    """P102's factor ``L_max^k exp(-beta_t r_t/2)(1 + beta_t + 2||W*_kq||)/beta_t`` (p.28).

    P102 holds iff it is at most ``phi_+^(n0,t)``.

    ``k = 1`` with ``corrected`` (the factor ``L_max`` that P99's corrected ``exp(-r_t)/L_max``
    carries), ``k = 0`` as printed. Computed in log space.

    Parameters
    ----------
    norm_kq : array_like, shape (n,)
        ``||W_kq^(t)||`` (> 0).
    L_max : int
    star_norm_kq : float
    corrected : bool

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0.
    """
    w = np.asarray(norm_kq, dtype=np.float64)
    beta = lemma7_beta(w, L_max=L_max, star_norm_kq=star_norm_kq)
    r = w / star_norm_kq
    with np.errstate(divide="ignore", invalid="ignore"):
        log_f = (math.log(L_max) if corrected else 0.0) - beta * r / 2.0 + np.log1p(beta + 2.0 * star_norm_kq) \
            - np.log(beta)
        return np.exp(log_f)

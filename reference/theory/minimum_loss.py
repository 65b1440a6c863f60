"""Footnote 3 (p.8): ``L* = |V| exp(-T C_0)``, called there the minimum loss at fixed ``W_ov^(T)``, and the true infimum.

Footnote 3 reads: "For fixed ``W_ov^(T)``, the minimum loss value ``L* = |V| exp(-T C_0)``. Then
Equation (4) implies ``L(theta^(t)) - L* <= L* T C_0 O(e^{-C_1 t})``." ``|V| exp(-T C_0)`` is the limit
of the upper bound (4) as ``t -> inf`` (:func:`footnote3_L_star`), not the minimum of ``L`` over
``W_kq``.

The infimum over ``W_kq`` at fixed ``W_ov^(T)``. When every stage-1 margin of ``W_ov^(T)`` equals
``Delta`` and its wrong logits are equal (EQM: zero initialisation and Assumption 2 give it with
``Delta = T eta0 / ||W*_ov||``), column ``x`` of ``W_ov^(T) E`` is ``b_x 1 + Delta e_{In(x)}``, so the
logit gap of ``v`` against the next token ``y_n`` of sentence ``n`` is ``Delta (h_v - h_{y_n})``,
``h_v`` the attention on the positions ``l`` with ``n(x_l) = v``. Then ``-log softmax(Delta h)_{y_n}``
is smallest at ``h = e_{y_n}``, whatever the attention: every sentence's loss is at least
``log(1 + (|V| - 1) e^{-Delta})``, and so is ``L`` (the ``pi`` sum to 1). It is approached, never
attained, along the max-margin direction, where the attention of every sentence tends to its
optimal positions (:func:`loss_limit_along`); so

    inf_{W_kq} L(W_ov^(T), W_kq) = log(1 + (|V| - 1) e^{-Delta})   (:func:`log_loss_infimum_eqm`),

strictly below ``|V| e^{-Delta}`` for every ``Delta`` (``log(1 + x) <= x``), hence below ``L*`` for
``Delta = T C_0`` already, and far below it for the true ``Delta = 4 ||W*_ov|| T C_0``. For any
``W_ov^(T)``, :func:`loss_limit_along` gives ``lim_{c -> inf} L(W_ov^(T), c D)`` along a direction ``D``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from ..errors import ConfigError
from ..numerics import log_softplus
from .constants import _positive, C0_thm2

__all__ = ["footnote3_L_star", "footnote3_log_L_star", "log_loss_infimum_eqm", "loss_limit_along"]

#: Two scores of one sentence along a direction ``D`` tie when they differ by at most this
#: (relative to the largest score's size): ties are exact in exact arithmetic (the same token,
#: or equal max-margin scores, rationals with small denominators), and rounding of a score
#: ``x^T D q`` is a few ulps.
TIE_RTOL = 1e-9


def footnote3_L_star(T: int, *, eta0: float, n_tokens: int, star_norm_ov: float) -> float:
    """Footnote 3's ``L* = |V| exp(-T C_0)``, ``C_0 = eta0 / (4 ||W*_ov||^2)`` (p.8): the limit of Eq. (4) as ``t -> inf``.

    Parameters
    ----------
    T : int
        Stage-1 iterations.
    eta0 : float
        Stage-1 step.
    n_tokens : int
        ``|V|``.
    star_norm_ov : float
        ``||W*_ov||``.

    Returns
    -------
    float
        ``|V| exp(-T C_0)`` (0.0 where it underflows: :func:`footnote3_log_L_star` is its logarithm).

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0 (``T`` may be 0).

    Notes
    -----
    Serves footnote 3 (row ``FN3`` of the proof audit).
    """
    return math.exp(footnote3_log_L_star(T, eta0=eta0, n_tokens=n_tokens, star_norm_ov=star_norm_ov))


def footnote3_log_L_star(T: int, *, eta0: float, n_tokens: int, star_norm_ov: float) -> float:
    """``log L* = log|V| - T C_0`` (footnote 3, p.8), exact where ``L*`` underflows.

    Parameters
    ----------
    T : int
        Stage-1 iterations (>= 0).
    eta0 : float
    n_tokens : int
    star_norm_ov : float

    Returns
    -------
    float

    Raises
    ------
    ConfigError
        A constant that is not a finite number > 0, or ``T < 0``.
    """
    _positive(n_tokens=n_tokens)
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
        raise ConfigError(f"T must be an integer >= 0, got {T!r}")
    return math.log(n_tokens) - T * C0_thm2(eta0, star_norm_ov)


def log_loss_infimum_eqm(Delta: float | NDArray[np.float64], n_tokens: int, xp: Any = None
                         ) -> float | NDArray[np.float64]:
    """``log inf_{W_kq} L(W_ov, W_kq) = log log(1 + (|V| - 1) e^{-Delta})`` when ``W_ov`` has EQM margin ``Delta``.

    The infimum of Eq. (1) over ``W_kq`` at a fixed ``W_ov`` whose stage-1 margins all equal
    ``Delta >= 0`` and whose wrong logits are equal (module docstring); not attained.

    Parameters
    ----------
    Delta : float or array
        The common margin (``Delta_act = T eta0 / ||W*_ov||`` after a zero-initialised stage 1).
    n_tokens : int
        ``|V| >= 2``.
    xp : backend, optional
        Supplies ``log_softplus`` (the proof audit's backend); numpy arithmetic by default.

    Returns
    -------
    float or array
        The logarithm of the infimum, exact where the infimum underflows.

    Raises
    ------
    ConfigError
        ``n_tokens < 2``.

    Notes
    -----
    Serves footnote 3 (row ``FN3'``: ``L(theta^(t))`` never goes below it; ``L*`` is above it).
    """
    if isinstance(n_tokens, bool) or not isinstance(n_tokens, (int, np.integer)) or n_tokens < 2:
        raise ConfigError(f"n_tokens must be an integer >= 2, got {n_tokens!r}")
    if xp is None:
        return log_softplus(np.asarray(math.log(n_tokens - 1) - Delta, dtype=np.float64))
    return xp.log_softplus(xp.log(xp.asarray(float(n_tokens - 1))) - Delta)


def loss_limit_along(W_ov: ArrayLike, D: ArrayLike, ds: Dataset) -> float:
    """``log lim_{c -> inf} L(W_ov, c D)`` (Eq. 1): the loss at fixed ``W_ov`` along the direction ``D``.

    As ``c -> inf`` the attention of sentence ``n`` tends to the uniform weights on the positions of
    largest score ``x_l^T D q_n`` (ties within :data:`TIE_RTOL`); the limit is Eq. (1) at these
    weights. Along ``D = W*_kq`` every sentence attends to its optimal positions only, and under EQM
    the limit is :func:`log_loss_infimum_eqm`.

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
        The frozen ``W_ov^(T)``.
    D : array_like, shape (d, d)
        The direction (any scale; ``W*_kq`` for the max-margin direction).
    ds : Dataset

    Returns
    -------
    float
        ``log`` of the limit (``-inf`` only if it is exactly 0).

    Raises
    ------
    ConfigError
        Weights of the wrong shape or not finite.

    Notes
    -----
    Serves footnote 3 (the true infimum against ``L*``).
    """
    from scipy.special import logsumexp                   # SciPy where it is used (import reference stays light)
    W_ov, D = np.asarray(W_ov, dtype=np.float64), np.asarray(D, dtype=np.float64)
    E = ds.vocab.E
    d, V = E.shape
    if W_ov.shape != (V, d) or D.shape != (d, d) or not (np.isfinite(W_ov).all() and np.isfinite(D).all()):
        raise ConfigError(f"loss_limit_along: W_ov must be a finite ({V}, {d}) array and D a finite ({d}, {d}) one, "
                          f"got {W_ov.shape} and {D.shape}")
    B, A = W_ov @ E, E.T @ D @ E
    terms = []
    for toks, y, pi_n in ds.samples():
        s = A[toks, toks[-1]]
        top = s >= s.max() - TIE_RTOL * max(1.0, float(np.abs(s).max()))
        z = B[:, toks[top]].mean(axis=1)                       # logits at the limit attention
        gap = np.delete(z - z[y], y)
        terms.append(math.log(pi_n) + float(log_softplus(np.atleast_1d(logsumexp(gap)))[0]))
    return float(logsumexp(terms))

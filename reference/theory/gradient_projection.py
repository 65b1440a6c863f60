"""Lemma 4 (Appendix C.1, p.18): the projection of the stage-2 gradient on any matrix, as a function.

If every stage-1 margin of ``W_ov`` equals one value ``Delta`` and its wrong logits are
equal (the premise the paper adopts after Corollary 1, p.18), then for every ``W_kq``
and every ``d x d`` matrix ``W'``

    <grad_{W_kq} L(theta), W'> = Delta sum_n pi^(n) (P_n - 1) sum_{l* in l(n)} phi_l* (x_l* - xbar_n)^T W' q_n
                               + Delta sum_n pi^(n) sum_{l notin l(n)} Q_{n,l} phi_l (x_l - xbar_n)^T W' q_n

(``P_n`` the probability of sentence n's next token, ``Q_{n,l}`` that of ``n(x_l)``,
``xbar_n = sum_l phi_l x_l``, ``q_n`` the query). :func:`lemma4` evaluates the right side
from the attention and output probabilities; its proof is checked step by step in
:mod:`reference.theory.proofs.lemma4` (docs/proofs.md, "Appendix C.1-C.3").
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .constants import _positive

__all__ = ["lemma4"]


def lemma4(scores: ArrayLike, *, Delta: float, pi: ArrayLike, log_1mP: ArrayLike, Qhat: ArrayLike,
           log_phi: ArrayLike, opt: ArrayLike, pos: ArrayLike, log_scale: ArrayLike | None = None
           ) -> NDArray[np.float64]:
    """Lemma 4 (p.18): the right side of ``<grad_{W_kq} L, W'>``, times ``exp(-log_scale)``.

    ``Delta sum_n pi^(n) [(P_n - 1) sum_{l* in l(n)} phi_l* (s'_l* - sbar'_n) + sum_{l notin l(n)} Q_{n,l} phi_l
    (s'_l - sbar'_n)]`` with ``s'_l = x_l^T W' q_n`` and ``sbar'_n = sum_l phi_l s'_l`` (so that
    ``(x_l - xbar_n)^T W' q_n = s'_l - sbar'_n``). Each sentence's bracket is a covariance under the
    attention, evaluated relative to its most attended position and with its weight
    ``pi^(n) (1 - P_n)`` in log space: exact when ``1 - P_n``, ``Q_{n,l}`` or the attention of the
    other positions underflow (then pass ``log_scale``, e.g. the log-size of the gradient).

    Parameters
    ----------
    scores : array_like, shape (n_t, N, L_max) or (N, L_max)
        ``s'_l = x_l^T W' q_n`` (ignored on padding).
    Delta : float
        The common stage-1 margin (> 0).
    pi : array_like, shape (N,)
        Sentence frequencies ``pi^(n)``.
    log_1mP : array_like, shape (n_t, N)
        ``log(1 - P_n)``.
    Qhat : array_like, shape (n_t, N, L_max)
        ``Q_{n,l} / (1 - P_n)`` on the non-optimal positions (ignored elsewhere).
    log_phi : array_like, shape (n_t, N, L_max)
        Log-attention ``log phi_l^(n)`` (Eq. 9; ``-inf`` on padding).
    opt, pos : array_like of bool, shape (N, L_max)
        Optimal positions ``l(n)``; real positions.
    log_scale : array_like, shape (n_t,), optional
        The result is multiplied by ``exp(-log_scale)`` (default 0).

    Returns
    -------
    ndarray, shape (n_t,)

    Raises
    ------
    ConfigError
        ``Delta`` not a finite number > 0.

    Notes
    -----
    Serves Lemma 4 and, through it, Lemmas 5-7 (their proofs apply it with ``W' = W*_kq``,
    ``g_t`` and ``W_kq^(t)``).
    """
    _positive(Delta=Delta)
    lp = np.asarray(log_phi, dtype=np.float64)
    nt = lp.shape[0]
    opt, pos = np.asarray(opt, dtype=bool), np.asarray(pos, dtype=bool)
    s = np.broadcast_to(np.asarray(scores, dtype=np.float64), lp.shape)
    c = np.where(opt, -1.0, np.asarray(Qhat, dtype=np.float64))            # (P_n - 1) and Q_{n,l}, over (1 - P_n)
    c = np.where(pos, c, 0.0)
    s = np.where(pos, s, 0.0)
    scale = np.zeros(nt) if log_scale is None else np.asarray(log_scale, dtype=np.float64)
    log_w = np.log(np.asarray(pi, dtype=np.float64))[None, :] + np.asarray(log_1mP, dtype=np.float64) - scale[:, None]
    with np.errstate(all="ignore"):
        return Delta * np.sum(_covariances(lp, c, s, pos, log_w), axis=1)


def _covariances(lp, c, s, pos, log_w):
    """Per ``[t, n]``: ``exp(log_w) (sum_l phi_l c_l s_l - (sum_l phi_l c_l)(sum_l phi_l s_l))``, relative to the top position.

    With ``r`` the most attended position, ``e = c - c_r`` and ``d = s - s_r`` the bracket is
    ``sum_l phi_l e_l d_l - (sum_l phi_l e_l)(sum_l phi_l d_l)``; only the positions with ``e_l != 0``
    enter the first two sums, each exponential taken with ``log_w`` (and the largest such
    log-attention ``m``), so no term is a difference of nearly equal numbers.
    """
    nt, N, L = lp.shape
    r = np.argmax(np.where(pos[None], lp, -np.inf), axis=2)
    tt, nn = np.meshgrid(np.arange(nt), np.arange(N), indexing="ij")
    e = c - c[tt, nn, r][..., None]
    d = s - s[tt, nn, r][..., None]
    live = pos[None] & (e != 0.0)
    m = np.max(np.where(live, lp, -np.inf), axis=2)
    ok = np.isfinite(m) & np.isfinite(log_w)
    m, lw = np.where(ok, m, 0.0), np.where(ok, log_w, 0.0)
    first = np.sum(np.where(live, np.exp(lw[..., None] + lp) * e * d, 0.0), axis=2)
    mean_e = np.sum(np.where(live, np.exp(lp - m[..., None]) * e, 0.0), axis=2)     # sum phi e / exp(m)
    mean_d = np.sum(np.where(pos[None], np.exp(lp) * d, 0.0), axis=2)                # sum phi d
    return np.where(ok, first - np.exp(lw + m) * mean_e * mean_d, 0.0)

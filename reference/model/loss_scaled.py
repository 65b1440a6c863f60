"""Gradients of ``L`` and ``L_0`` in the saturated regime: a log-scale and a unit-norm direction.

Algorithm 1 only needs ``grad / ||grad||``, and the theorems are about weights
whose norm grows linearly, where ``1 - p_y ~ exp(-c t)`` and the gradient
itself underflows (``e^{-1000} = 0`` in float64). These functions return

    (log_c, G)      with   gradient = exp(log_c) G,   ||G|| = 1 (Frobenius),

every exponentially small factor taken as a logarithm, so the direction is
exact to a few ulps whatever the scale of the weights (docs/derivations.md,
section 4). The plain gradients are :func:`reference.model.loss.grad_loss` and
:func:`reference.model.loss.grad_loss0`; all four functions here are also
importable from :mod:`reference.model`.

=================================  =============================  ==============================
paper                              code                           meaning
=================================  =============================  ==============================
``grad L_0 / ||grad L_0||``        ``unit_grad_loss0(W_ov, ds)``  stage-1 step direction
``grad_{W_kq} L / ||...||``        ``unit_grad_loss(...)["kq"]``  stage-2 step direction
``log ||grad L||``, direction      ``grad_loss_scaled(...)``      joint over ``(W_ov, W_kq)``
``log ||grad L_0||``, direction    ``grad_loss0_scaled(...)``     Eq. (5)
=================================  =============================  ==============================
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from ..errors import ConfigError
from .arguments import check_arguments, token_columns
from .crossentropy import _log_residual, _log_softmax

__all__ = ["grad_loss_scaled", "grad_loss0_scaled", "unit_grad_loss", "unit_grad_loss0"]


def _unit(log_c, G):
    """Renormalise ``exp(log_c) G`` to ``exp(log_c') G'`` with ``||G'|| = 1`` (``-inf``, 0 if G = 0)."""
    nrm = np.sqrt(sum(float(np.sum(g * g)) for g in G))
    if not np.isfinite(log_c) or nrm == 0.0:
        return -np.inf, [np.zeros_like(g) for g in G]
    return log_c + np.log(nrm), [g / nrm for g in G]



def _log_sum(terms, shape):
    """``(log_c, G)`` with ``sum_k exp(w_k) f_k A_k = exp(log_c) G``, ``||G|| = 1``, from ``(w_k, f_k, A_k)``.

    Each term's log-magnitude ``w_k + log|f_k| + log||A_k||`` is known exactly, so the
    sum is scaled by the largest *non-zero* term (a term that is exactly 0 must not set
    the scale, or everything else underflows against it).
    """
    mags = []
    for w, f, A in terms:
        nrm = np.linalg.norm(A)
        if w > -np.inf and f != 0 and nrm > 0:
            mags.append((w + np.log(abs(f)) + np.log(nrm), np.sign(f), A / nrm))
    if not mags:
        return -np.inf, np.zeros(shape)
    M = max(m for m, _, _ in mags)
    G = sum(sgn * np.exp(m - M) * A for m, sgn, A in mags)
    log_c, (G,) = _unit(M, [G])
    return float(log_c), G


def _scaled_blocks(W_ov, W_kq, ds):
    """``[(log_c_ov, G_ov), (log_c_kq, G_kq)]``, each block renormalised on its own (docs/derivations.md)."""
    ov_terms, kq_terms = [], []
    for n, (_, y, pi_n) in enumerate(ds.samples()):
        X = ds.X(n)
        x_L = X[:, -1]
        s = X.T @ W_kq @ x_L
        log_att = _log_softmax(s)                        # finite even where att underflows
        att = np.exp(log_att)
        Tbar = W_ov @ (X @ att)
        s_n, r_hat = _log_residual(Tbar, y)              # T - y = exp(s_n) r_hat
        w_n = np.log(pi_n) + s_n
        ov_terms.append((w_n, 1.0, np.outer(r_hat, X @ att)))
        # g_l = (T - y)^T W_ov x_l = exp(s_n) g_hat_l, g_hat_l = sum_{v != y} p_hat_v (b_vl - b_yl)
        b = W_ov @ X
        g_hat = np.delete(r_hat, y) @ (np.delete(b, y, axis=0) - b[y])
        ref = int(np.argmax(log_att))
        c = g_hat - g_hat[ref]                           # c_ref = 0; g_l - g_bar = c_l - c_bar
        c_bar = att @ c
        # sum_l dL/ds_l x_l = sum_{l != ref} dL/ds_l (x_l - x_ref), since sum_l dL/ds_l = 0
        for l in range(X.shape[1]):
            if l != ref:
                kq_terms.append((w_n + log_att[l], c[l] - c_bar, np.outer(X[:, l] - X[:, ref], x_L)))
    return [_log_sum(ov_terms, W_ov.shape), _log_sum(kq_terms, W_kq.shape)]


def grad_loss_scaled(W_ov: ArrayLike, W_kq: ArrayLike, ds: Dataset
                     ) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """``(log_c, G_ov, G_kq)`` with ``(grad_{W_ov} L, grad_{W_kq} L) = exp(log_c) (G_ov, G_kq)`` (Eq. 6, in log space).

    ``||G_ov||^2 + ||G_kq||^2 = 1`` (joint), so ``log_c`` is the log of the
    joint Frobenius norm; computed in log space (docs/derivations.md, 4c-4e),
    exact in direction when the gradient underflows (weights scaled by 1e3).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    ds : Dataset

    Returns
    -------
    log_c : float
        ``log ||(grad_{W_ov} L, grad_{W_kq} L)||``; ``-inf`` (and ``G = 0``) only
        when the gradient is exactly zero.
    G_ov : ndarray, shape (abs(V), d)
    G_kq : ndarray, shape (d, d)

    Raises
    ------
    WeightsError
        Weights of the wrong shape or dtype, or a NaN or inf entry (named).
    CorpusError
        ``ds`` is not a Dataset.

    Notes
    -----
    Serves Eq. (6), joint training (the ablation variants) and Lemmas 6-7 in
    the saturated regime.
    """
    W_ov, W_kq = check_arguments(W_ov, W_kq, ds, allow_complex=False)
    (a, G_ov), (b, G_kq) = _scaled_blocks(W_ov, W_kq, ds)
    if a == -np.inf and b == -np.inf:
        return -np.inf, G_ov, G_kq
    log_c = 0.5 * np.logaddexp(2 * a, 2 * b)
    return float(log_c), G_ov * np.exp(a - log_c), G_kq * np.exp(b - log_c)


def grad_loss0_scaled(W_ov: ArrayLike, ds: Dataset) -> tuple[float, NDArray[np.float64]]:
    """``(log_c, G)`` with ``grad_{W_ov} L_0 = exp(log_c) G`` and ``||G|| = 1`` (Eq. 5, in log space).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    ds : Dataset
        Holds the one-token sample ``[x] -> n(x)`` of every token (the collocation).

    Returns
    -------
    log_c : float
        ``log ||grad L_0||``; ``-inf`` (and ``G = 0``) only when the gradient is exactly zero.
    G : ndarray, shape (abs(V), d)

    Raises
    ------
    WeightsError
        Weights of the wrong shape or dtype, or a NaN or inf entry (named).
    CorpusError
        ``ds`` is not a Dataset.
    AssumptionError
        No injective collocation in ``ds`` (the tokens at fault named).

    Notes
    -----
    Serves Eq. (5) and Proposition 1 in the saturated regime.
    """
    W_ov, _ = check_arguments(W_ov, None, ds, allow_complex=False, need_kq=False)
    terms = []
    for x, y, b in token_columns(W_ov, ds):
        s_x, r_hat = _log_residual(b, y)                 # phi(W_ov x) - e_In(x) = exp(s_x) r_hat
        terms.append((s_x, 1.0, np.outer(r_hat, x)))
    return _log_sum(terms, W_ov.shape)


def unit_grad_loss(W_ov: ArrayLike, W_kq: ArrayLike, ds: Dataset, wrt: str | Iterable[str] = ("kq",)
                   ) -> dict[str, NDArray[np.float64]]:
    """The unit-Frobenius-norm direction of ``grad L`` w.r.t. the blocks in ``wrt`` (Algorithm 1, stage 2).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    ds : Dataset
    wrt : iterable of {"ov", "kq"}, or one of them as a str, default ("kq",)
        Blocks to differentiate; the norm is taken over them jointly (a single
        block is normalised on its own, so a ``W_kq`` direction survives when
        its scale is ``e^{-1000}`` times that of the ``W_ov`` gradient).

    Returns
    -------
    dict {str: ndarray}
        ``"ov"``: shape (abs(V), d), ``"kq"``: shape (d, d), for the requested
        blocks; joint Frobenius norm 1, or all zeros when the gradient is
        exactly zero (for example when every sentence has one distinct token).

    Raises
    ------
    ConfigError
        ``wrt`` empty, repeated, or naming something other than "ov", "kq".
    WeightsError
        Weights of the wrong shape or dtype, or a NaN or inf entry (named).
    CorpusError
        ``ds`` is not a Dataset.

    Notes
    -----
    Serves Algorithm 1, stage 2 (``W_kq <- W_kq - eta grad / ||grad||``) and Lemma 6.
    """
    wrt = (wrt,) if isinstance(wrt, str) else wrt
    try:
        wrt = tuple(wrt)
    except TypeError:
        raise ConfigError(f"wrt must be a non-empty subset of ('ov', 'kq'), got {wrt!r}") from None
    if not wrt or any(w not in ("ov", "kq") for w in wrt) or len(set(wrt)) != len(wrt):
        raise ConfigError(f"wrt must be a non-empty subset of ('ov', 'kq'), got {wrt!r}")
    W_ov, W_kq = check_arguments(W_ov, W_kq, ds, allow_complex=False)
    blocks = dict(zip(("ov", "kq"), _scaled_blocks(W_ov, W_kq, ds)))
    M = max(blocks[w][0] for w in wrt)
    if M == -np.inf:
        return {w: np.zeros_like(blocks[w][1]) for w in wrt}
    _, G = _unit(M, [blocks[w][1] * np.exp(blocks[w][0] - M) for w in wrt])
    return dict(zip(wrt, G))


def unit_grad_loss0(W_ov: ArrayLike, ds: Dataset) -> NDArray[np.float64]:
    """``grad L_0 / ||grad L_0||`` (Eq. 5; Algorithm 1, stage 1), exact when the gradient underflows.

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    ds : Dataset
        Holds the one-token sample ``[x] -> n(x)`` of every token (the collocation).

    Returns
    -------
    ndarray, shape (abs(V), d)
        Frobenius norm 1, or all zeros when the gradient is exactly zero.

    Raises
    ------
    WeightsError, CorpusError, AssumptionError
        As :func:`grad_loss0_scaled`.

    Notes
    -----
    Serves Algorithm 1, stage 1 (``W_ov <- W_ov - eta0 grad / ||grad||``),
    Lemma 1 and Proposition 1.
    """
    return grad_loss0_scaled(W_ov, ds)[1]

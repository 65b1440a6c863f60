"""The losses ``L`` (Eq. 1) and ``L_0`` (Section 4.2) and their gradients, literally.

The executable specification (docs/derivations.md, "Two faces"): a Python loop over the
sentences of ``D_0``, each step a line of docs/paper.md section 3. Derivations:
``docs/derivations.md``.

=======================  ===========================  ======================================
paper                    code                         meaning
=======================  ===========================  ======================================
``L(theta)``             ``loss(W_ov, W_kq, ds)``     Eq. (1), pi-weighted mean cross-entropy
``L_0(W_ov)``            ``loss0(W_ov, ds)``          sum over the collocation pairs
``grad_{W_kq} L``        ``grad_loss(...)[1]``        Eq. (6)
``grad_{W_ov} L``        ``grad_loss(...)[0]``        ``sum_n pi (T - y)(X phi_att)^T``
``grad_{W_ov} L_0``      ``grad_loss0(W_ov, ds)``     Eq. (5)
``T^(n) - y_n``          ``_residual(Tbar, y)``       ``r_v = p_v``, ``r_y = -sum_{v!=y} p_v``
=======================  ===========================  ======================================

Numerics (:mod:`reference.model.crossentropy`: ``softplus``, ``log_softplus``). Every cross-entropy is ``softplus(u)`` with
``u = logsumexp_{v != y}(Tbar_v - Tbar_y)``; ``1 - p_y`` is never formed by
a subtraction. ``log_loss``/``log_loss0`` stay finite and accurate when the
loss is far below the smallest float64. ``loss`` and ``loss0`` are
complex-safe (complex step).

The gradients of the saturated regime (``grad_loss_scaled``,
``grad_loss0_scaled``, ``unit_grad_loss``, ``unit_grad_loss0``: a log-scale
and a unit-norm direction, exact when the gradient underflows) live in
:mod:`reference.model.loss_scaled`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from .arguments import check_arguments, token_columns
from .crossentropy import _gap, _logsumexp, _residual, log_softplus, softplus
from .transformer import _logits

__all__ = ["loss", "loss0", "log_loss", "log_loss0", "grad_loss", "grad_loss0"]



# ----------------------------------------------------------------- losses
def loss(W_ov: ArrayLike, W_kq: ArrayLike, ds: Dataset) -> float | complex:
    """``L(theta) = sum_n pi^(n) (-log T(X^(n))_{In(X^(n))})``, Eq. (1) (complex-safe).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    ds : Dataset
        ``D_0`` (any embeddings ``E``, orthonormal or not).

    Returns
    -------
    float
        (complex for complex weights: the complex step of :mod:`reference.model.gradcheck`).

    Raises
    ------
    WeightsError
        Weights of the wrong shape or dtype, or a NaN or inf entry (named).
    CorpusError
        ``ds`` is not a Dataset.

    Notes
    -----
    Serves Eq. (1), Theorem 2 (loss bound Eq. 4) and the loss curves of Figure 2.
    """
    W_ov, W_kq = check_arguments(W_ov, W_kq, ds, allow_complex=True)
    total = 0.0
    for n, (_, y, pi_n) in enumerate(ds.samples()):
        _, Tbar = _logits(W_ov, W_kq, ds.X(n))
        total = total + pi_n * softplus(_gap(Tbar, y))      # -log T_y = softplus(u)
    return total


def loss0(W_ov: ArrayLike, ds: Dataset) -> float | complex:
    """``L_0(W_ov) = -sum_{x in V} log phi(W_ov x)_{In(x)}`` (Section 4.2): a sum, no ``pi`` (complex-safe).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    ds : Dataset
        Holds the one-token sample ``[x] -> n(x)`` of every token (the collocation).

    Returns
    -------
    float
        (complex for complex ``W_ov``).

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
    Serves Section 4.2 (stage 1 of Algorithm 1) and Proposition 1's loss bound.
    """
    W_ov, _ = check_arguments(W_ov, None, ds, allow_complex=True, need_kq=False)
    return sum(softplus(_gap(b, y)) for _, y, b in token_columns(W_ov, ds))


def log_loss(W_ov: ArrayLike, W_kq: ArrayLike, ds: Dataset) -> float:
    """``log L(theta)`` (Eq. 1), accurate far below the smallest float64.

    ``log L = logsumexp_n(log pi^(n) + log softplus(u_n))``.

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    ds : Dataset
        ``D_0`` (any embeddings ``E``, orthonormal or not).

    Returns
    -------
    float
        ``-inf`` only when ``L`` is exactly 0 (``abs(V) = 1``).

    Raises
    ------
    WeightsError
        Weights of the wrong shape or dtype, or a NaN or inf entry (named).
    CorpusError
        ``ds`` is not a Dataset.

    Notes
    -----
    Serves Theorem 2 (``L <= abs(V) exp(-T C_0 (...))``: linear convergence
    stays visible in ``log L`` after ``L`` underflows).
    """
    W_ov, W_kq = check_arguments(W_ov, W_kq, ds, allow_complex=False)
    terms = [np.log(pi_n) + log_softplus(_gap(_logits(W_ov, W_kq, ds.X(n))[1], y))
             for n, (_, y, pi_n) in enumerate(ds.samples())]
    return float(_logsumexp(np.array(terms)))


def log_loss0(W_ov: ArrayLike, ds: Dataset) -> float:
    """``log L_0(W_ov)`` (Section 4.2), accurate far below the smallest float64.

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    ds : Dataset
        Holds the one-token sample ``[x] -> n(x)`` of every token (the collocation).

    Returns
    -------
    float
        ``logsumexp_x log softplus(u_x)``; ``-inf`` only when ``L_0`` is exactly 0.

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
    Serves Proposition 1 (``L_0 <= O(exp(-eta0 t / (4 ||W*_ov||)))``).
    """
    W_ov, _ = check_arguments(W_ov, None, ds, allow_complex=False, need_kq=False)
    terms = [log_softplus(_gap(b, y)) for _, y, b in token_columns(W_ov, ds)]
    return float(_logsumexp(np.array(terms)))


# ----------------------------------------------------------------- gradients, term by term
def grad_loss(W_ov: ArrayLike, W_kq: ArrayLike, ds: Dataset) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(grad_{W_ov} L, grad_{W_kq} L)``, Eq. (6) and the ``W_ov`` gradient of docs/paper.md section 3.

        grad_{W_ov} L = sum_n pi^(n) (T^(n) - y_n) (X^(n) phi_att^(n))^T
        grad_{W_kq} L = sum_n pi^(n) X^(n) (diag(phi_att) - phi_att phi_att^T)
                                  X^(n)^T W_ov^T (T^(n) - y_n) x_L^(n)^T

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    ds : Dataset
        ``D_0`` (any embeddings ``E``, orthonormal or not).

    Returns
    -------
    grad_W_ov : ndarray, shape (abs(V), d)
    grad_W_kq : ndarray, shape (d, d)
        Both float64; they underflow to 0 in the saturated regime (use
        :func:`grad_loss_scaled` or :func:`unit_grad_loss` there).

    Raises
    ------
    WeightsError
        Weights of the wrong shape or dtype, or a NaN or inf entry (named).
    CorpusError
        ``ds`` is not a Dataset.

    Notes
    -----
    Serves Eq. (6) (stage 2 of Algorithm 1) and Lemmas 6-7.
    """
    W_ov, W_kq = check_arguments(W_ov, W_kq, ds, allow_complex=False)
    grad_W_ov, grad_W_kq = np.zeros_like(W_ov), np.zeros_like(W_kq)
    for n, (_, y, pi_n) in enumerate(ds.samples()):
        X = ds.X(n)
        x_L = X[:, -1]
        phi_att, Tbar = _logits(W_ov, W_kq, X)
        T_minus_y = _residual(Tbar, y)
        grad_W_ov += pi_n * np.outer(T_minus_y, X @ phi_att)
        # Eq. (6) term by term: g = X^T W_ov^T (T - y), and the softmax Jacobian
        # (diag(phi) - phi phi^T) g = phi * (g - <phi, g>). Shifting g by its value at the
        # most attended position changes nothing (sum phi = 1) but keeps g - <phi, g> free
        # of cancellation when phi saturates (docs/derivations.md).
        g = X.T @ W_ov.T @ T_minus_y
        c = g - g[np.argmax(phi_att)]
        dL_ds = phi_att * (c - phi_att @ c)
        grad_W_kq += pi_n * np.outer(X @ dL_ds, x_L)
    return grad_W_ov, grad_W_kq


def grad_loss0(W_ov: ArrayLike, ds: Dataset) -> NDArray[np.float64]:
    """``grad_{W_ov} L_0 = sum_x (phi(W_ov x) - e_{In(x)}) x^T``, Eq. (5).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    ds : Dataset
        Holds the one-token sample ``[x] -> n(x)`` of every token (the collocation).

    Returns
    -------
    ndarray, shape (abs(V), d)
        float64; underflows in the saturated regime (see :func:`unit_grad_loss0`).

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
    Serves Eq. (5) (stage 1 of Algorithm 1), Lemma 1 and Proposition 1.
    """
    W_ov, _ = check_arguments(W_ov, None, ds, allow_complex=False, need_kq=False)
    grad = np.zeros_like(W_ov)
    for x, y, b in token_columns(W_ov, ds):
        grad += np.outer(_residual(b, y), x)
    return grad

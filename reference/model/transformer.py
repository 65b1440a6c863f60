"""The one-layer transformer of the paper, literally (Section 3; docs/paper.md section 2).

This is the executable specification (the "literal face", docs/derivations.md "Two faces"): one
sentence ``X`` (a ``d x L`` matrix whose columns are token embeddings) at a
time, each function one line of the paper.

=================  ====================  ===============  ======================================
paper              code                  shape            meaning
=================  ====================  ===============  ======================================
``phi(v)``         ``phi(v)``            like ``v``       softmax (over axis 0)
``X``              ``X``                 ``(d, L)``       sentence; query ``x_L = X[:, -1]``
``X^T W_kq x_L``   ``scores(W_kq, X)``   ``(L,)``         score of every position
``phi(X^T..)``     ``attention(W_kq,X)`` ``(L,)``         attention weights (query included)
``Tbar(X)``        ``logits(...)``       ``(abs(V),)``    ``W_ov X phi(X^T W_kq x_L)``
``T(X)``           ``transformer(...)``  ``(abs(V),)``    ``phi(Tbar(X))``, next-token law
``W_kq``           ``W_kq``              ``(d, d)``       merged key-query matrix
``W_ov``           ``W_ov``              ``(abs(V), d)``  merged output-value matrix
=================  ====================  ===============  ======================================

No positional encoding, residual, layer norm or ``1/sqrt(d)`` scaling.
Inputs are validated once, at the boundary, by :func:`check_weights` and
:func:`check_sentence` (:mod:`reference.data.validate`).

Every function here is *complex-safe*: complex weights go through the same
arithmetic (the softmax shift uses the real part only), so the complex-step
derivative ``Im f(W + i h D) / h`` of any of them is the exact directional
derivative (see :mod:`reference.model.gradcheck`).
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.validate import as_array, check_sentence, check_weights
from ..errors import WeightsError

__all__ = ["phi", "scores", "attention", "logits", "transformer", "predict"]


# (overloads for type checkers: float64 stays float64 and complex128 stays complex128)
@overload
def phi(v: NDArray[np.float64], axis: int = 0) -> NDArray[np.float64]: ...
@overload
def phi(v: NDArray[np.complex128], axis: int = 0) -> NDArray[np.complex128]: ...
@overload
def phi(v: NDArray[np.float64] | NDArray[np.complex128], axis: int = 0
        ) -> NDArray[np.float64] | NDArray[np.complex128]: ...
@overload
def phi(v: ArrayLike, axis: int = 0) -> NDArray[np.inexact[Any]]: ...
def phi(v: ArrayLike, axis: int = 0) -> NDArray[np.inexact[Any]]:
    """Softmax ``phi(v)_i = exp(v_i) / sum_j exp(v_j)`` (Section 3), along ``axis``.

    Stable (shifted by the maximum of the real part) and complex-safe.

    Parameters
    ----------
    v : array_like, real or complex
    axis : int, default 0
        For a matrix, ``phi(M)`` normalises every column (``phi(W_ov E)``
        gives ``phi(W_ov x)`` for every token at once).

    Returns
    -------
    ndarray, same shape as ``v``
        Non-negative, summing to 1 along ``axis`` (for real ``v``); an entry
        ``-inf`` gets weight 0.

    Raises
    ------
    WeightsError
        A non-numeric or ragged ``v``, an ``axis`` that ``v`` does not have, no entry along
        ``axis``, a NaN or ``+inf`` entry (named), or every entry along ``axis`` ``-inf``.

    Notes
    -----
    Serves Section 3 (attention weights and ``T``) and Eq. (5) (``phi(W_ov x)``).
    Shifting by a constant leaves ``phi`` unchanged, so the result is exact
    for logits of any size (``phi([1000, 0]) = [1, e^-1000]``).
    """
    v = as_array(v, "v")
    if v.dtype.kind not in "biufc":
        raise WeightsError(f"phi needs a numeric array, got dtype {v.dtype}")
    if v.dtype.kind not in "fc":
        v = v.astype(np.float64)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -v.ndim <= axis < max(v.ndim, 1):
        raise WeightsError(f"phi: axis = {axis!r} is not an axis of v (v has {v.ndim} dimension(s), shape {v.shape})")
    if v.ndim == 0 or v.shape[axis] == 0:
        raise WeightsError(f"phi needs at least one entry along axis {axis}, got shape {v.shape}")
    bad = np.isnan(v.real) | np.isnan(v.imag) | (v.real == np.inf)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        raise WeightsError(f"phi is undefined for the entry {v[i]} at index {i} (NaN or +inf); -inf is allowed")
    shift = np.max(v.real, axis=axis, keepdims=True)
    if np.any(shift == -np.inf):                  # every entry -inf: exp sums to 0, phi is 0/0
        i = tuple(int(k) for k in np.argwhere(shift == -np.inf)[0])
        raise WeightsError(f"phi is undefined where every entry along axis {axis} is -inf (at index {i} of "
                           "the reduced shape): the weights would be 0/0")
    z = np.exp(v - shift)
    return z / np.sum(z, axis=axis, keepdims=True)


def scores(W_kq: ArrayLike, X: ArrayLike) -> NDArray[np.float64] | NDArray[np.complex128]:
    """Attention scores ``X^T W_kq x_L`` (Section 3): position ``l`` gets ``x_l^T W_kq x_L``.

    Parameters
    ----------
    W_kq : array_like, shape (d, d)
    X : array_like, shape (d, L)
        Query ``x_L`` is the last column.

    Returns
    -------
    s : ndarray, shape (L,)
        float64, or complex128 for complex ``W_kq``.

    Raises
    ------
    WeightsError
        ``X`` or ``W_kq`` malformed (see :func:`check_sentence`, :func:`check_weights`).

    Notes
    -----
    Serves Section 3; ``s_l`` is the score whose softmax Lemma 5 tracks.
    """
    X = check_sentence(X)
    _, W_kq = check_weights(None, W_kq, X.shape[0], allow_complex=True, skip="W_ov")
    return _scores(W_kq, X)


def _scores(W_kq, X):
    x_L = X[:, -1]
    return X.T @ (W_kq @ x_L)


def attention(W_kq: ArrayLike, X: ArrayLike) -> NDArray[np.float64] | NDArray[np.complex128]:
    """Attention weights ``phi(X^T W_kq x_L)`` (Section 3), over all ``L`` positions, query included.

    Parameters
    ----------
    W_kq : array_like, shape (d, d)
    X : array_like, shape (d, L)
        Query ``x_L`` is the last column.

    Returns
    -------
    phi_att : ndarray, shape (L,)
        Non-negative, sums to 1; ``phi_att[l - 1]`` is the paper's ``phi_l``.

    Raises
    ------
    WeightsError
        ``X`` or ``W_kq`` malformed (see :func:`check_sentence`, :func:`check_weights`).

    Notes
    -----
    Serves Section 3 and Lemma 5 (``phi_l^(n,t)``, ``phi_+^(n,t)``).
    """
    return phi(scores(W_kq, X))


def logits(W_ov: ArrayLike, W_kq: ArrayLike, X: ArrayLike) -> NDArray[np.float64] | NDArray[np.complex128]:
    """``Tbar(X) = W_ov X phi(X^T W_kq x_L)`` (Section 3), the logits over the vocabulary.

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    X : array_like, shape (d, L)

    Returns
    -------
    Tbar : ndarray, shape (abs(V),)
        float64, or complex128 for complex weights (complex step).

    Raises
    ------
    WeightsError
        ``X``, ``W_ov`` or ``W_kq`` malformed; ``W_ov`` with a number of
        columns other than ``d`` (it is never read transposed).

    Notes
    -----
    Serves Eq. (1) (``L`` is the cross-entropy of ``Tbar``) and Eq. (6).
    """
    X = check_sentence(X)
    if W_ov is None:
        raise WeightsError("W_ov is missing (None)")
    W_ov = as_array(W_ov, "W_ov")
    n_tokens = W_ov.shape[0] if W_ov.ndim == 2 else None
    if n_tokens is None:
        raise WeightsError(f"W_ov must be a matrix (abs(V), {X.shape[0]}), got shape {W_ov.shape}")
    W_ov, W_kq = check_weights(W_ov, W_kq, X.shape[0], n_tokens, allow_complex=True)
    return _logits(W_ov, W_kq, X)[1]


def _logits(W_ov, W_kq, X):
    """Unchecked ``(phi_att, Tbar)`` for already validated arrays (used by the loss loops)."""
    phi_att = phi(_scores(W_kq, X))
    return phi_att, W_ov @ (X @ phi_att)


def transformer(W_ov: ArrayLike, W_kq: ArrayLike, X: ArrayLike) -> NDArray[np.float64] | NDArray[np.complex128]:
    """``T(X) = phi(W_ov X phi(X^T W_kq x_L))`` (Section 3), the next-token distribution.

    For a one-token sentence ``[x]`` the attention weight is 1 and
    ``T([x]) = phi(W_ov x)`` whatever ``W_kq``.

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    X : array_like, shape (d, L)
        Query ``x_L`` is the last column.

    Returns
    -------
    T : ndarray, shape (abs(V),)
        A probability vector over the vocabulary (entry ``i`` is token ``x`` with
        ``I(x) - 1 = i``).

    Raises
    ------
    WeightsError
        See :func:`logits`.

    Notes
    -----
    Serves Section 3 (the model), Eq. (1) (``L = sum_n pi^(n) (-log T(X^(n))_y)``)
    and Theorem 3 / Example 2 (predictions on unseen sentences).
    """
    return phi(logits(W_ov, W_kq, X))


def predict(W_ov: ArrayLike, W_kq: ArrayLike, X: ArrayLike) -> int:
    """``argmax_v T(X)_v``: the 0-based index of the predicted next token (Section 3).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    X : array_like, shape (d, L)

    Returns
    -------
    int
        ``I(x) - 1`` of the most probable next token ``x``; the smallest index on
        a tie. Computed from the logits ``Tbar`` (``phi`` is monotone), so it is
        exact when ``T`` saturates.

    Raises
    ------
    WeightsError
        Complex weights (a prediction needs real logits), or see :func:`logits`.

    Notes
    -----
    Serves Theorem 3 and Example 2 (the prediction ``n(x0)`` on unseen sentences).
    """
    Tbar = logits(W_ov, W_kq, X)                   # validates every argument first
    if np.iscomplexobj(Tbar):
        raise WeightsError("predict needs real weights")
    return int(np.argmax(Tbar))

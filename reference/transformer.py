"""The one-layer transformer of the paper, literally (Section 3; PAPER.md section 2).

This is the executable specification ("literal face", DESIGN.md): one
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

Every function here is *complex-safe*: complex weights go through the same
arithmetic (the softmax shift uses the real part only), so the complex-step
derivative ``Im f(W + i h D) / h`` of any of them is the exact directional
derivative (see :mod:`reference.gradcheck`).
"""

import numpy as np

from .errors import WeightsError
from .vocabulary import Vocabulary

__all__ = ["check_weights", "check_sentence", "phi", "scores", "attention", "logits",
           "transformer", "predict"]


def _as_matrix(W, name, shape, allow_complex):
    if W is None:
        raise WeightsError(f"{name} is missing (None)")
    W_in = np.asarray(W)
    kinds = "iufc" if allow_complex else "iuf"
    if W_in.dtype.kind not in kinds:
        what = "a real or complex" if allow_complex else "a real"
        raise WeightsError(f"{name} must be {what} numeric array, got dtype {W_in.dtype}")
    if W_in.shape != shape:
        raise WeightsError(f"{name} must have shape {shape}, got {W_in.shape}")
    W = W_in.astype(np.complex128 if W_in.dtype.kind == "c" else np.float64)
    finite = np.isfinite(W)
    if not finite.all():
        i = tuple(int(k) for k in np.argwhere(~finite)[0])
        raise WeightsError(f"{name} has a non-finite entry: {name}[{i[0]}, {i[1]}] = {W[i].item()}")
    return W


def check_weights(W_ov, W_kq, vocab_or_d, n_tokens=None, allow_complex=False):
    """Validate and cast the weights once, at the boundary: ``W_ov`` (abs(V) x d), ``W_kq`` (d x d).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d), or None to skip it
    W_kq : array_like, shape (d, d), or None to skip it
    vocab_or_d : Vocabulary or int
        The vocabulary (gives ``d`` and ``abs(V)``), or ``d`` itself.
    n_tokens : int, optional
        ``abs(V)``; required when ``vocab_or_d`` is an int and ``W_ov`` is given.
    allow_complex : bool, default False
        Accept complex weights (for complex-step differentiation).

    Returns
    -------
    W_ov, W_kq : float64 (or complex128) arrays, or None where None was given
        Integer input is cast to float64; the input is never modified.

    Raises
    ------
    WeightsError
        Wrong shape; dtype bool, object, string (or complex unless
        ``allow_complex``); a NaN or inf entry (its position named).
    """
    if isinstance(vocab_or_d, Vocabulary):
        d, n_tokens = vocab_or_d.d, vocab_or_d.n_tokens
    else:
        d = vocab_or_d
    if W_ov is None and W_kq is None:
        raise WeightsError("no weights given (both W_ov and W_kq are None)")
    out_ov = out_kq = None
    if W_ov is not None:
        if n_tokens is None:
            raise WeightsError("check_weights needs abs(V) (n_tokens) to check W_ov")
        out_ov = _as_matrix(W_ov, "W_ov", (int(n_tokens), int(d)), allow_complex)
    if W_kq is not None:
        out_kq = _as_matrix(W_kq, "W_kq", (int(d), int(d)), allow_complex)
    return out_ov, out_kq


def check_sentence(X, d=None):
    """Validate a sentence matrix ``X`` (d x L, L >= 1, real and finite); return it as float64.

    Raises
    ------
    WeightsError
        Wrong shape (including an empty sentence), non-real dtype, NaN or inf.
    """
    X_in = np.asarray(X)
    if X_in.dtype.kind not in "iuf":
        raise WeightsError(f"X must be a real numeric array, got dtype {X_in.dtype}")
    if X_in.ndim != 2 or X_in.shape[1] == 0 or (d is not None and X_in.shape[0] != d):
        want = f"({d}, L)" if d is not None else "(d, L)"
        raise WeightsError(f"X must have shape {want} with L >= 1 (one column per token), got {X_in.shape}")
    X = X_in.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise WeightsError("X has NaN or inf entries")
    return X


def phi(v, axis=0):
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
    """
    v = np.asarray(v)
    if v.dtype.kind not in "fc":
        v = v.astype(np.float64)
    shift = np.max(v.real, axis=axis, keepdims=True)
    z = np.exp(v - shift)
    return z / np.sum(z, axis=axis, keepdims=True)


def scores(W_kq, X):
    """Attention scores ``X^T W_kq x_L`` (Section 3): position ``l`` gets ``x_l^T W_kq x_L``.

    Parameters
    ----------
    W_kq : array_like, shape (d, d)
    X : array_like, shape (d, L)
        Query ``x_L`` is the last column.

    Returns
    -------
    s : ndarray, shape (L,)

    Raises
    ------
    WeightsError
    """
    X = check_sentence(X)
    _, W_kq = check_weights(None, W_kq, X.shape[0], allow_complex=True)
    return _scores(W_kq, X)


def _scores(W_kq, X):
    x_L = X[:, -1]
    return X.T @ (W_kq @ x_L)


def attention(W_kq, X):
    """Attention weights ``phi(X^T W_kq x_L)`` (Section 3), over all ``L`` positions, query included.

    Returns
    -------
    phi_att : ndarray, shape (L,)
        Non-negative, sums to 1.
    """
    return phi(scores(W_kq, X))


def logits(W_ov, W_kq, X):
    """``Tbar(X) = W_ov X phi(X^T W_kq x_L)`` (Section 3), the logits over the vocabulary.

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    X : array_like, shape (d, L)

    Returns
    -------
    Tbar : ndarray, shape (abs(V),)

    Raises
    ------
    WeightsError
    """
    X = check_sentence(X)
    W_ov = np.asarray(W_ov)
    n_tokens = W_ov.shape[0] if W_ov.ndim == 2 else None
    if n_tokens is None:
        raise WeightsError(f"W_ov must be a matrix (abs(V), {X.shape[0]}), got shape {W_ov.shape}")
    W_ov, W_kq = check_weights(W_ov, W_kq, X.shape[0], n_tokens, allow_complex=True)
    return _logits(W_ov, W_kq, X)[1]


def _logits(W_ov, W_kq, X):
    """Unchecked ``(phi_att, Tbar)`` for already validated arrays (used by the loss loops)."""
    phi_att = phi(_scores(W_kq, X))
    return phi_att, W_ov @ (X @ phi_att)


def transformer(W_ov, W_kq, X):
    """``T(X) = phi(W_ov X phi(X^T W_kq x_L))`` (Section 3), the next-token distribution.

    For a one-token sentence ``[x]`` the attention weight is 1 and
    ``T([x]) = phi(W_ov x)`` whatever ``W_kq``.

    Returns
    -------
    T : ndarray, shape (abs(V),)
        A probability vector over the vocabulary (index ``i`` is token ``I(x) - 1 = i``).
    """
    return phi(logits(W_ov, W_kq, X))


def predict(W_ov, W_kq, X):
    """``argmax_v T(X)_v``: the 0-based index of the predicted next token (first one on a tie).

    Raises
    ------
    WeightsError
        Complex weights (a prediction needs real logits), or see :func:`logits`.
    """
    if np.iscomplexobj(W_ov) or np.iscomplexobj(W_kq):
        raise WeightsError("predict needs real weights")
    return int(np.argmax(logits(W_ov, W_kq, X)))

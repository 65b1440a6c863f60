"""Float64 building blocks for the saturated regime (docs/derivations.md, sections 3-4).

Shared by the training engine: a cross-entropy is ``softplus(u)`` of the logit
gap ``u``; its logarithm stays exact when the loss underflows; ``exp`` of very
negative arguments is flushed to 0 instead of taking numpy's subnormal path.
"""

import math

import numpy as np

__all__ = ["softplus", "log_softplus", "EXP_FLOOR"]


#: exp(x) is evaluated as 0 below this argument: e^-700 ~ 1e-304 is below float64 resolution relative
#: to the O(1) terms it joins, and skipping it avoids numpy's subnormal slow path (100x slower)
EXP_FLOOR = -700.0


def _ranges(starts, lens):
    """The concatenated index ranges ``[starts[k], starts[k] + lens[k])``, in order (an int array).

    Vectorised: ``arange(total)`` shifted, within each range, to its start (no Python loop).
    """
    starts, lens = np.asarray(starts), np.asarray(lens)
    ends = np.cumsum(lens)
    total = int(ends[-1]) if ends.size else 0
    return np.arange(total) + np.repeat(starts - (ends - lens), lens)


def _exp(x):
    """``exp(x)`` for arguments ``<= ~0``, flushing ``x < EXP_FLOOR`` to exactly 0 (see EXP_FLOOR)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros_like(x)
    np.exp(x, out=out, where=x > EXP_FLOOR)
    return out


def _frobenius(G):
    """``||G||_F`` without a BLAS call (BLAS threads cost milliseconds on a busy machine); entries below ~1e150."""
    return float(np.sqrt(np.einsum("ij,ij->", G, G)))


def _norm(X):
    """``||X||_F`` of any array without overflow or underflow of the squares (entries up to 1.8e308)."""
    x = np.ravel(X)
    s = float(np.einsum("i,i->", x, x))
    if 1e-290 < s < math.inf:
        return math.sqrt(s)
    m = float(np.max(np.abs(x), initial=0.0))
    if m == 0.0 or not math.isfinite(m):
        return m
    y = x / m
    return m * math.sqrt(float(np.einsum("i,i->", y, y)))


def _unit(blocks):
    """``(log ||G||, G / ||G||)`` of a dict of arrays under their joint Frobenius norm, without overflow.

    The entries are first divided by the largest magnitude, so that squares neither overflow
    (entries above ~1e154, as at weights of that size) nor underflow; an all-zero ``G`` gives
    ``(-inf, zeros)``.
    """
    m = max((float(np.max(np.abs(g), initial=0.0)) for g in blocks.values()), default=0.0)
    if m == 0.0:
        return -np.inf, {k: np.zeros_like(g) for k, g in blocks.items()}
    if 1e-150 < m < 1e150:                           # squares in range: no rescaling (bit for bit as ever)
        nrm = math.sqrt(sum(_frobenius(g) ** 2 for g in blocks.values()))
        return math.log(nrm), {k: g / nrm for k, g in blocks.items()}
    scaled = {k: g / m for k, g in blocks.items()}
    nrm = math.sqrt(sum(_frobenius(g) ** 2 for g in scaled.values()))
    return math.log(m) + math.log(nrm), {k: g / nrm for k, g in scaled.items()}


def softplus(u):
    """``softplus(u) = log(1 + exp(u))``, elementwise, without overflow.

    The cross-entropy of a sample is ``softplus(u)`` with ``u = logsumexp_{v != y}(Tbar_v - Tbar_y)``
    (docs/paper.md section 3), and ``log(1 - p_y) = -softplus(-u)``. Evaluated as
    ``max(u, 0) + log1p(exp(-abs(u)))`` (exact to a few ulps; ``np.logaddexp`` is the same
    formula at a tenth of the speed).

    Parameters
    ----------
    u : array_like of float

    Returns
    -------
    ndarray, same shape as ``u``
    """
    u = np.asarray(u, dtype=np.float64)
    t = np.abs(u.reshape(-1))
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    t += np.maximum(u.reshape(-1), 0.0)
    return t.reshape(u.shape)


def _softplus_both(u):
    """``(softplus(u), -softplus(-u))``: the cross-entropy and ``log(1 - p_y)`` from one exponential."""
    t = np.abs(u)
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)
    return np.maximum(u, 0.0) + t, np.minimum(u, 0.0) - t


def log_softplus(u):
    """``log(softplus(u))``, accurate for very negative ``u`` (where softplus underflows).

    Used for ``log L`` and ``log L_0`` (docs/derivations.md, sections 3-4): ``log(-log p_y) = log_softplus(u)``.

    Parameters
    ----------
    u : array_like of float

    Returns
    -------
    ndarray of float64, same shape as ``u``
    """
    u = np.asarray(u, dtype=np.float64)
    out = np.empty_like(u)
    small = u < -30.0
    # softplus(u) = e^u (1 - e^u/2 + ...): log = u - e^u/2 + O(e^{2u}), exact to float64 for u < -30
    out[small] = u[small] - 0.5 * _exp(u[small])
    out[~small] = np.log(softplus(u[~small]))
    return out


def _logsumexp(x, axis=None):
    """``log sum exp(x)`` along ``axis`` (all axes if None), shifted by the max; ``-inf`` for all ``-inf``."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):                     # log(0) = -inf is the right answer there
        s = np.log(np.sum(_exp(x - m), axis=axis, keepdims=True)) + m
    return np.squeeze(s, axis=axis) if axis is not None else float(s.reshape(()))

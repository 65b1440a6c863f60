"""One cross-entropy ``-log phi(z)_y`` of logits ``z``, without cancellation (docs/derivations.md, 3-4a).

The building blocks of :mod:`reference.model.loss` and :mod:`reference.model.loss_scaled`.
With the logit gap ``u = logsumexp_{v != y}(z_v - z_y)``:

==========================  ===========================  ===========================================
quantity                    code                         form used
==========================  ===========================  ===========================================
``-log phi(z)_y``           ``softplus(_gap(z, y))``     ``log(1 + e^u)``, no overflow
``log(-log phi(z)_y)``      ``log_softplus(u)``          finite when the loss underflows
``1 - phi(z)_y``            (via ``_log_residual``)      ``sigmoid(u)``, never ``1 - p_y``
``phi(z) - e_y``            ``_residual(z, y)``          ``r_y = -sum_{v != y} p_v``
``phi(z) - e_y``            ``_log_residual(z, y)``      ``exp(s) r_hat``, ``s = log(1 - p_y)``
==========================  ===========================  ===========================================

Everything but ``log_softplus`` and ``_log_residual`` is complex-safe (the
shifts use real parts only), so the complex step differentiates the losses.
"""

import numpy as np

from ..errors import WeightsError
from .transformer import phi

__all__ = ["softplus", "log_softplus"]

#: Below this ``u``, ``softplus(u) = e^u (1 - e^u/2 + ...)`` and
#: ``log softplus(u) = u - e^u/2`` is exact to float64 (the next term is e^{2u} < 1e-26).
_LOG_SOFTPLUS_SWITCH = -30.0


def _logsumexp(v):
    """``log sum_i exp(v_i)``, shifted by the max real part (complex-safe); ``-inf`` for empty ``v``."""
    if v.size == 0:
        return -np.inf
    m = np.max(v.real)
    if m == -np.inf:                       # every term is exp(-inf) = 0
        return -np.inf
    return m + np.log(np.sum(np.exp(v - m)))


def _log_softmax(v):
    """``log phi(v)``, every entry taken relative to the largest: ``(v - m) - log sum exp(v - m)``.

    Not ``v - logsumexp(v)``: that subtracts two numbers of size ``|v|`` and loses ``eps |v|``
    absolutely, even at the largest entry, where the exact value ``-log(1 + sum_{k != max} ...)``
    may be tiny. Here the largest entry is exact to a few ulps of its own size, whatever ``|v|``.
    """
    d = v - np.max(v)
    return d - np.log(np.sum(np.exp(d)))


def softplus(u):
    """``softplus(u) = log(1 + e^u)`` without overflow: the cross-entropy ``-log p_y`` of Eq. (1) as a function of ``u``.

    Parameters
    ----------
    u : float or complex scalar
        The logit gap ``u = logsumexp_{v != y}(z_v - z_y)``; complex for the
        complex step (the branch is chosen on the real part).

    Returns
    -------
    float or complex scalar
        ``u + log1p(e^{-u})`` for ``Re u > 0``, else ``log1p(e^u)``: no term
        overflows, and tiny values (``e^u`` for ``u << 0``) keep full precision.

    Raises
    ------
    WeightsError
        For an array ``u``: this is the scalar function of the literal face
        (:mod:`reference.training.engine` has elementwise versions).

    Notes
    -----
    Serves Eq. (1) and Section 4.2: ``-log phi(z)_y = softplus(u)``.
    """
    if np.ndim(u) != 0:
        raise WeightsError(f"softplus takes a scalar u, got shape {np.shape(u)}")
    if u.real > 0:
        return u + np.log1p(np.exp(-u))
    return np.log1p(np.exp(u))


def log_softplus(u):
    """``log softplus(u) = log log(1 + e^u)``, accurate for very negative ``u``, where softplus underflows.

    Parameters
    ----------
    u : float
        Real; ``-inf`` gives ``-inf`` (a loss that is exactly 0).

    Returns
    -------
    float
        Below ``u = -30``, ``u - e^u / 2`` (the series of ``log log1p(e^u)``,
        exact to float64 there); otherwise ``log(softplus(u))``.

    Raises
    ------
    WeightsError
        For an array or complex ``u`` (a real scalar function; see :func:`softplus`).

    Notes
    -----
    Serves ``log L`` and ``log L_0`` (Eq. 1, Section 4.2) in the saturated
    regime of Theorem 2, where ``L ~ exp(-C t)`` underflows.
    """
    if np.ndim(u) != 0 or np.iscomplexobj(u):
        raise WeightsError(f"log_softplus takes a real scalar u, got {np.asarray(u).dtype} of shape {np.shape(u)}")
    if u == -np.inf:
        return -np.inf
    if u < _LOG_SOFTPLUS_SWITCH:
        return u - 0.5 * np.exp(u)
    return float(np.log(softplus(u)))


def _gap(z, y):
    """``u = logsumexp_{v != y}(z_v - z_y)``, so that ``-log phi(z)_y = softplus(u)``, ``1 - phi(z)_y = sigmoid(u)``."""
    return _logsumexp(np.delete(z - z[y], y))


def _residual(z, y):
    """``phi(z) - e_y`` without cancellation: ``r_v = p_v`` (v != y), ``r_y = -sum_{v != y} p_v``."""
    r = phi(z)
    r[y] = -np.sum(np.delete(r, y))
    return r


def _log_residual(z, y):
    """``(s, r_hat)`` with ``phi(z) - e_y = exp(s) r_hat``: ``s = log(1 - p_y)``, ``r_hat_y = -1``.

    ``s = -softplus(-u)`` and ``r_hat_v = p_v / (1 - p_y) = exp(z_v - z_y - u)`` for ``v != y``
    (a softmax over ``v != y``: order-1 entries however small ``1 - p_y`` is).
    """
    u = _gap(z, y)
    r_hat = np.zeros_like(z)
    if u == -np.inf:                       # abs(V) = 1: phi(z) = e_y exactly
        return -np.inf, r_hat
    others = np.arange(z.size) != y
    r_hat[others] = np.exp(z[others] - z[y] - u)
    r_hat[y] = -1.0
    return -softplus(-u), r_hat

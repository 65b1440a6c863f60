"""Quantities of Lemma 4 and of the proofs that apply it (Lemmas 5 and 6, Appendix C.1-C.3), and its exact sums.

Lemma 4 (p.18) writes ``<G_t, W'>`` as a sum over sentences of weighted covariances
under the attention: with a coefficient ``v_l`` per position,

    F_n(v) = sum_l v_l phi_l (x_l - xbar_n)  =  sum_l k_l x_l,     k_l = phi_l (v_l - sum_l' phi_l' v_l'),

and ``<F_n(v), W' q_n> = sum_l k_l s'_l`` with ``s'_l = x_l^T W' q_n`` (``sum_l k_l = 0``). Eq. (6)
is ``F_n`` with ``v = uhat`` weighted by ``pi_n (1 - P_n)``; Lemma 4 is ``F_n`` with ``v = -Delta`` on the
optimal positions and ``Delta Qhat_{n,l}`` on the others (``Qhat = Q / (1 - P_n)``).

Numerics (the saturated regime). ``k_l`` is computed relative to the most attended
position ``r`` of the sentence: ``e_l = v_l - v_r``; positions whose ``e_l`` is zero up to
rounding (``LIVE_ULPS``) carry no term of their own, and
``k_l = phi_l e_l - phi_l exp(m') S`` with ``m'`` the largest log-attention among the other
positions and ``S = sum_l exp(log phi_l - m') e_l``, every exponential taken together with
the sentence's log-weight ``log_w`` (``log(pi_n (1 - P_n)) - c2_t``, the scale of ``Gs``). So nothing is
computed as ``1 - phi`` and nothing overflows where Eq. (6)'s own scaling does not
(:mod:`reference.theory.proofs.measure_gradient2`).
"""

import math

import numpy as np

from .quantity import quantity

__all__ = ["LIVE_ULPS", "position_coefficients", "token_matrix", "first_optimal"]

#: A coefficient difference ``|v_l - v_r|`` at most LIVE_ULPS ulps of ``|v_l| + |v_r|`` is
#: rounding (two computations of one value, e.g. Eq. (6)'s ``uhat`` and P41's sum): the
#: position then carries no term of its own (exactly as when the difference is 0).
LIVE_ULPS = 64
_EPS = float(np.finfo(np.float64).eps)
_F = dict(stage=2, full=True)


def first_optimal(q):
    """Index of the first optimal position of every sentence (0 for a sentence without one): shape (N,)."""
    opt = np.asarray(q.opt)
    return np.where(opt.any(axis=1), np.argmax(opt, axis=1), 0)


def position_coefficients(q, ops, v, log_w):
    """``(k, size)``: ``k[t, n, l] = exp(log_w[t, n]) phi_l (v_l - sum_l' phi_l' v_l')``, exactly; ``size`` its rounding scale.

    Parameters
    ----------
    q : Measurements
        Reads ``log_phi`` and ``pos``.
    ops : backend
    v : array, shape (t, N, L_max) or (N, L_max)
        The coefficient of every position (ignored on padding).
    log_w : array, shape (t, N)
        The log-weight of every sentence (``-inf``: the sentence contributes 0).

    Returns
    -------
    k : array, shape (t, N, L_max)
        0 on padding; ``sum_l k[t, n, l] = 0``.
    size : array, shape (t,)
        ``sum_{n, l} |terms of k|``: the size the rounding of sums of ``k`` is relative to.
    """
    lp = q.log_phi
    pos = np.asarray(q.pos)
    v = ops.where(pos, v + ops.zeros(np.shape(lp)), 0.0)                        # (t, N, L)
    ref = np.argmax(np.where(pos, ops.midpoint(lp), -np.inf), axis=2)           # most attended position
    tt, nn = np.meshgrid(np.arange(v.shape[0]), np.arange(v.shape[1]), indexing="ij")
    v_ref = v[tt, nn, ref][..., None]
    e = v - v_ref
    mv, me = ops.midpoint(v), ops.midpoint(e)
    live = pos & (np.abs(me) > LIVE_ULPS * _EPS * (np.abs(mv) + np.abs(ops.midpoint(v_ref))))
    e = ops.where(live, e, 0.0)
    m = ops.max(ops.where(live, lp, -math.inf), axis=2)
    has = np.isfinite(ops.midpoint(m)) & np.isfinite(ops.midpoint(log_w))
    m = ops.where(has, m, 0.0)
    lw = ops.where(has, log_w, 0.0)
    S = ops.sum(ops.where(live, ops.exp(lp - m[..., None]), 0.0) * e, axis=2)   # sum phi e / exp(m')
    own = ops.where(live, ops.exp(lw[..., None] + lp), 0.0) * e                 # phi_l e_l (scaled)
    mean = ops.where(pos & has[..., None], ops.exp(lw[..., None] + lp + m[..., None]), 0.0) * S[..., None]
    k = ops.where(has[..., None], own - mean, 0.0)
    size = ops.sum(ops.abs(own) + ops.abs(mean), axis=(1, 2))
    return k, size


def token_matrix(q, ops, k):
    """``sum_{n, l} k[t, n, l] x_l q_n^T`` as a (t, d, d) array (``k`` from :func:`position_coefficients`)."""
    V = q.n_tokens
    pos = np.asarray(q.pos)
    idx = (q.tok * V + q.qtok[:, None])[pos]
    M = ops.segment_sum(k[:, pos], idx, V * V).reshape(k.shape[0], V, V)
    return ops.matmul(ops.matmul(q.E, M), ops.asarray(q.E.T))


@quantity("Qhat", shape="(t, N, L_max)", doc="``Q_{n,l} / (1 - P_n) = [T^(n)]_{In(x_l)} / (1 - P_n)`` on the non-optimal "
          "positions (nan elsewhere): exact when ``1 - P_n`` underflows", **_F)
def _qhat(q, ops):
    cls = q.In[q.tok]
    vals = ops.exp(q.D2[:, np.arange(q.N)[:, None], cls] - q.u2[..., None])
    return ops.where(q.nonopt, vals, math.nan)


@quantity("log_phi_plus", shape="(t, N)", doc="``log phi_+^(n,t)`` (-inf without an optimal position)", **_F)
def _lpp(q, ops):
    return ops.logsumexp(q.log_phi, axis=2, mask=q.opt)


@quantity("log_w2", shape="(t, N)", doc="``log(pi^(n) (1 - P_n)) - c2_t``: sentence n's weight in ``Gs`` (Eq. 6 scaled)",
          **_F)
def _lw2(q, ops):
    return ops.log(q.pi)[None, :] + q.log_1mP - q.c2[:, None]


@quantity("Gtok", shape="(t, |V|, |V|)", doc="``x_i^T G_t x_j exp(-c2_t)`` at ``[t, i, j]``: Eq. (6) in token coordinates",
          **_F)
def _gtok(q, ops):
    return ops.matmul(ops.matmul(ops.asarray(q.E.T), q.Gs), q.E)


@quantity("gtok", shape="(t, |V|, |V|)", doc="``x_i^T g_t x_j`` at ``[t, i, j]``: the unit stage-2 gradient in token "
          "coordinates", **_F)
def _gtok_unit(q, ops):
    return ops.matmul(ops.matmul(ops.asarray(q.E.T), q.g), q.E)


@quantity("mult", stage=0, shape="(N, L_max)", doc="``m_n(x_l)``: how often the token of position l occurs in sentence n "
          "(the paper's ``q_n(x)``, p.20; 0 on padding)")
def _mult(q, ops):
    tok, pos = np.asarray(q.tok), np.asarray(q.pos)
    same = (tok[:, :, None] == tok[:, None, :]) & pos[:, None, :] & pos[:, :, None]
    return ops.asarray(same.sum(axis=2).astype(np.float64))


@quantity("ug_Wstarbar", shape="(t,)", doc="``<g_t, Wbar*_kq>`` from Eq. (6) (measurement layer)", range=(-1.0, 1.0),
          scale="norm_kq", **_F)
def _ug_star(q, ops):
    return ops.dot(q.g, q.Wbar_kq_star[None])


@quantity("size2", shape="(t,)", doc="``1 + ||W_kq^(t)|| + ||W_ov^(T)||``: the size of the scores and logits whose "
          "rounding enters the scaled stage-2 gradient (its exponents)", **_F)
def _size2(q, ops):
    return 1.0 + q.norm_W_kq + ops.norm(q.W_ovT)

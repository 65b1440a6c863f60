"""The stage-2 gradient, Eq. (6), as a measured quantity: exact when it underflows.

Eq. (6) underflows twice over (``1 - P_n`` and the attention of the non-top
positions); it is computed *scaled*: every term of sentence n carries the factor
``pi_n (1 - P_n) exp(m_n)`` (``m_n`` the largest log-attention among the positions whose
value differs from the most attended one), taken in log space, and the attention
derivative ``phi_l (uhat_l - sum phi uhat)`` is written relative to the most attended
position (no cancellation). ``Gs = G_t exp(-c2_t)``, ``c2_t`` the largest of those log
factors; ``G_t = exp(c2_t) Gs_t``. The engine's gradient at every iterate is the
independent computation step P2 compares with.
"""

import math

import numpy as np

from .quantity import quantity

__all__ = []

_F = dict(stage=2, full=True)


def _eq6_terms(q, ops):
    """``(log_f, kappa)``: the term of position l of sentence n of Eq. (6) is
    ``exp(log_f[t, n]) kappa[t, n, l] x_l q_n^T`` (see the module docstring); cached."""
    if "_eq6_terms" in q._cache:
        return q._cache["_eq6_terms"]
    lp = ops.midpoint(q.log_phi)
    ref = np.argmax(np.where(q.pos, lp, -np.inf), axis=2)                       # most attended position
    tt, nn = np.meshgrid(np.arange(lp.shape[0]), np.arange(q.N), indexing="ij")
    d = q.uhat - q.uhat[tt, nn, ref][..., None]
    other = q.tok[None] != q.tok[nn, ref][..., None]                # a position of the top token has d = 0 exactly
    live = q.pos & other & (ops.midpoint(d) != 0.0)                                  # terms that can be non-zero
    m = ops.max(ops.where(live, q.log_phi, -math.inf), axis=2)               # log-scale of sentence n
    has = np.isfinite(ops.midpoint(m))
    m = ops.where(has, m, 0.0)
    e = ops.where(live, ops.exp(q.log_phi - m[..., None]), 0.0)            # phi_l exp(-m_n), <= 1
    S = ops.sum(e * d, axis=2)                                                 # (uhat_bar - uhat_ref) exp(-m_n)
    # phi_l (uhat_l - uhat_bar) = exp(m_n) (e_l d_l - phi_l S): d_l = 0 off `live`
    kappa = ops.where(q.pos, e * d - q.phi * S[..., None], 0.0)
    log_f = ops.where(has, ops.log(q.pi)[None, :] + q.log_1mP + m, -math.inf)
    q._cache["_eq6_terms"] = (log_f, kappa)
    return log_f, kappa


@quantity("c2", shape="(t,)", doc="``c2_t``: the log-scale of ``G_t`` (largest log factor of a sentence's terms)", **_F)
def _c2(q, ops):
    return ops.max(_eq6_terms(q, ops)[0], axis=1)


@quantity("Gs", shape="(t, d, d)", doc="``G_t exp(-c2_t)``, ``G_t = grad_W_kq L`` by Eq. (6) (scaled, exact)", **_F)
def _Gs(q, ops):
    log_f, kappa = _eq6_terms(q, ops)
    w = ops.exp(log_f - q.c2[:, None])[..., None] * kappa                     # (t, N, L)
    V = q.n_tokens
    idx = (q.tok * V + q.qtok[:, None])[q.pos]
    M = ops.segment_sum(w[:, q.pos], idx, V * V).reshape(w.shape[0], V, V)
    return ops.matmul(ops.matmul(q.E, M), ops.asarray(q.E.T))


@quantity("norm_Gs", shape="(t,)", doc="``||G_t|| exp(-c2_t)``", **_F)
def _ngs(q, ops):
    return ops.norm(q.Gs)


@quantity("log_norm_G", shape="(t,)", doc="``log ||G_t|| = c2_t + log ||Gs_t||``", **_F)
def _lng(q, ops):
    return q.c2 + ops.log(q.norm_Gs)


@quantity("g", shape="(t, d, d)", doc="``g_t = G_t / ||G_t||``, the unit stage-2 gradient (exact)", **_F)
def _g(q, ops):
    return q.Gs / q.norm_Gs[:, None, None]


def _engine_stage2(q):
    key = "_engine_stage2"
    if key not in q._cache:
        eng, E = q.engine, q.ds.vocab.E
        B = np.ascontiguousarray(np.asarray(q.traj.W_ov, dtype=np.float64) @ E)
        At = E.T @ np.asarray(q.traj.W_kq_iterates, dtype=np.float64) @ E
        dirs, logs = np.empty(At.shape), np.empty(len(At))
        for t, A in enumerate(At):
            e = eng.stage2(B, np.ascontiguousarray(A), grad=("A",))
            dirs[t], logs[t] = e.grad_dir["A"], e.log_grad_norm
        q._cache[key] = (E @ dirs @ E.T, logs)
    return q._cache[key]


@quantity("g_engine", shape="(t, d, d)", doc="the unit stage-2 gradient from the training engine (independent)", **_F)
def _g_eng(q, ops):
    return ops.asarray(_engine_stage2(q)[0])


@quantity("log_norm_G_engine", shape="(t,)", doc="``log ||grad_W_kq L||`` from the training engine", **_F)
def _lng_eng(q, ops):
    return ops.asarray(_engine_stage2(q)[1])

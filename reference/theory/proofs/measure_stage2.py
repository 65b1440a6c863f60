"""Stage-2 quantities (Appendix C): attention ``phi^(n,t)``, outputs ``T^(n)``, ``P_n``, ``Q_{n,l}``, ``G_t``.

Indexed by the stage-2 iterate ``t = 0..T1`` (first axis), then by sentence ``n``
and position ``l`` (padded to ``L_max``; ``pos`` marks real positions), with
``W_ov = W_ov^(T)`` frozen. Notation (docs/proofs.md, "Quantities"): ``a[t, n, l] =
x_l^T W_kq^(t) q_n`` (the scores), ``log_phi`` the log-attention (Eq. 9), ``D2[t, n, v]
= Tbar_v - Tbar_{y_n}`` the logit gaps of sentence n, ``u2 = log sum_{v != y_n} exp D2``.

Numerics of the saturated regime. ``1 - P_n = exp(-softplus(-u2))`` (never a
subtraction); ``phi_-`` is a sum over the non-optimal positions (never ``1 - phi_+``).
The gradient Eq. (6) underflows twice over (``1 - P_n`` and the attention of the
non-top positions); it is computed *scaled*: every term of sentence n carries the
factor ``pi_n (1 - P_n) exp(m_n)`` (``m_n`` the largest log-attention among the positions
whose value differs from the most attended one), taken in log space, and the
attention derivative ``phi_l (uhat_l - sum phi uhat)`` is written relative to the most
attended position (no cancellation). ``Gs = G_t exp(-c2_t)``, ``c2_t`` the largest of
those log factors; ``G_t = exp(c2_t) Gs_t``.
"""

import math

import numpy as np

from ...structure.orders import optimal_mask
from .quantity import quantity, Unavailable

__all__ = []

_F = dict(stage=2, full=True)


def _float(x):
    """float64 midpoints of a backend array (for structural choices only)."""
    return np.asarray(x, dtype=np.float64) if np.asarray(x).dtype != object else \
        np.vectorize(float, otypes=[np.float64])(x)


@quantity("W_kq", shape="(t, d, d)", doc="``W_kq^(t)``, every stage-2 iterate", **_F)
def _W(q, ops):
    W = q.traj.W_kq_iterates
    if W is None:
        raise Unavailable("stage-2 iterates: the trajectory was recorded without record='full'")
    return ops.asarray(W)


@quantity("A", shape="(t, |V|, |V|)", doc="``A = E^T W_kq^(t) E``: ``A[t, i, j] = x_i^T W_kq^(t) x_j``", **_F)
def _A(q, ops):
    return ops.matmul(ops.matmul(ops.asarray(q.E.T), q.W_kq), q.E)


@quantity("norm_W_kq", shape="(t,)", doc="``||W_kq^(t)||``", **_F)
def _norm(q, ops):
    return ops.norm(q.W_kq)


@quantity("Wbar_kq", shape="(t, d, d)", doc="``W_kq^(t) / ||W_kq^(t)||`` (nan where 0)", **_F)
def _wbar(q, ops):
    return q.W_kq / q.norm_W_kq[:, None, None]


@quantity("dW_kq", shape="(t, d, d)", doc="``W_kq^(t+1) - W_kq^(t)`` (nan at ``t = T1``)", **_F)
def _dw(q, ops):
    return ops.append_nan(q.W_kq[1:] - q.W_kq[:-1])


@quantity("cos_kq", shape="(t,)", doc="``<Wbar_kq^(t), Wbar*_kq>``", range=(-1.0, 1.0), **_F)
def _cos(q, ops):
    return ops.dot(q.Wbar_kq, q.Wbar_kq_star)


@quantity("W_ovT", stage=0, shape="(|V|, d)", doc="``W_ov^(T)``, frozen during stage 2")
def _wovT(q, ops):
    return ops.asarray(q.traj.W_ov)


@quantity("B_T", stage=0, shape="(|V|, |V|)", doc="``W_ov^(T) E``: column x holds ``W_ov^(T) x``")
def _BT(q, ops):
    return ops.matmul(q.W_ovT, q.E)


# ---------------------------------------------------------------- sentences (structure, no arithmetic)

@quantity("pos", stage=0, shape="(N, L_max)", doc="boolean: position l of sentence n exists")
def _pos(q, ops):
    return np.asarray(q.ds.mask)


@quantity("tok", stage=0, shape="(N, L_max)", doc="token index at position l of sentence n (0 on padding)")
def _tok(q, ops):
    return np.where(q.ds.mask, q.ds.tokens, 0)


@quantity("qtok", stage=0, shape="(N,)", doc="index of the query ``q_n = X_{-1}^(n)``")
def _qtok(q, ops):
    return np.asarray(q.ds.queries)


@quantity("y", stage=0, shape="(N,)", doc="``y_n = In(X^(n))``, index of the next token")
def _y(q, ops):
    return np.asarray(q.ds.y)


@quantity("pi", stage=0, shape="(N,)", doc="``pi^(n)``, the frequency of sentence n")
def _pi(q, ops):
    return ops.asarray(q.ds.pi)


@quantity("opt", stage=0, shape="(N, L_max)", doc="boolean: ``l in l(n)`` (an optimal position)")
def _opt(q, ops):
    return optimal_mask(q.ds, q.In)


@quantity("nonopt", stage=0, shape="(N, L_max)", doc="boolean: a real position ``l notin l(n)``")
def _nonopt(q, ops):
    return q.pos & ~q.opt


@quantity("wrong2", stage=0, shape="(N, |V|)", doc="boolean: ``v != y_n``")
def _wrong2(q, ops):
    return np.arange(q.n_tokens)[None, :] != q.y[:, None]


# ---------------------------------------------------------------- attention and outputs

@quantity("a", shape="(t, N, L_max)", doc="scores ``a_l^(n,t) = x_l^T W_kq^(t) q_n`` (0 on padding)",
          scale="norm_W_kq", **_F)
def _a(q, ops):
    return ops.where(q.pos, q.A[:, q.tok, q.qtok[:, None]], 0.0)


@quantity("log_phi", shape="(t, N, L_max)", doc="``log phi_l^(n,t)`` (Eq. 9; -inf on padding)", **_F)
def _log_phi(q, ops):
    return ops.where(q.pos, ops.log_softmax(q.a, axis=2, mask=q.pos), -math.inf)


@quantity("phi", shape="(t, N, L_max)", doc="``phi_l^(n,t)`` (0 on padding)", **_F)
def _phi(q, ops):
    return ops.exp(q.log_phi)


@quantity("phi_plus", shape="(t, N)", doc="``phi_+^(n,t) = sum_{l in l(n)} phi_l``", **_F)
def _pp(q, ops):
    return ops.sum(ops.where(q.opt, q.phi, 0.0), axis=2)


@quantity("phi_minus", shape="(t, N)", doc="``phi_-^(n,t) = sum_{l notin l(n)} phi_l`` (a sum, never ``1 - phi_+``)",
          **_F)
def _pm(q, ops):
    return ops.sum(ops.where(q.nonopt, q.phi, 0.0), axis=2)


@quantity("log_phi_minus", shape="(t, N)", doc="``log phi_-^(n,t)`` (-inf without a non-optimal position)", **_F)
def _lpm(q, ops):
    return ops.logsumexp(q.log_phi, axis=2, mask=q.nonopt)


@quantity("Tbar", shape="(t, N, |V|)", doc="logits ``W_ov^(T) X^(n) phi^(n,t)``", **_F)
def _tbar(q, ops):
    return ops.einsum("tnl,vnl->tnv", q.phi, q.B_T[:, q.tok])


@quantity("D2", shape="(t, N, |V|)", doc="``Tbar_v - Tbar_{y_n}``", **_F)
def _D2(q, ops):
    return q.Tbar - q.Tbar[:, np.arange(q.N), q.y][..., None]


@quantity("u2", shape="(t, N)", doc="``log sum_{v != y_n} exp D2``", **_F)
def _u2(q, ops):
    return ops.logsumexp(q.D2, axis=2, mask=q.wrong2)


@quantity("log_1mP", shape="(t, N)", doc="``log(1 - P_n) = -softplus(-u2)`` (exact when ``P_n`` rounds to 1)", **_F)
def _l1mp(q, ops):
    return -ops.softplus(-q.u2)


@quantity("P", shape="(t, N)", doc="``P_n = [T^(n)]_{y_n} = exp(-softplus(u2))``", **_F)
def _P(q, ops):
    return ops.exp(-ops.softplus(q.u2))


@quantity("T2", shape="(t, N, |V|)", doc="``T^(n) = phi(Tbar)``, the output distribution", **_F)
def _T2(q, ops):
    return ops.exp(q.D2 - ops.softplus(q.u2)[..., None])


@quantity("Q", shape="(t, N, L_max)", doc="``Q_{n,l} = [T^(n)]_{In(x_l)}`` for ``l notin l(n)`` (nan elsewhere)", **_F)
def _Q(q, ops):
    cls = q.In[q.tok]
    vals = q.T2[:, np.arange(q.N)[:, None], cls]
    return ops.where(q.nonopt, vals, math.nan)


@quantity("rhat", shape="(t, N, |V|)", doc="``(T^(n) - p^(n)) / (1 - P_n)``: ``p_v/(1-P_n)`` off ``y_n``, -1 at it",
          **_F)
def _rhat(q, ops):
    return ops.where(q.wrong2, ops.exp(q.D2 - q.u2[..., None]), -1.0)


@quantity("uhat", shape="(t, N, L_max)", doc="``x_l^T W_ov^(T)T (T^(n) - p^(n)) / (1 - P_n)``", **_F)
def _uhat(q, ops):
    return ops.einsum("tnv,vnl->tnl", q.rhat, q.B_T[:, q.tok])


def _eq6_terms(q, ops):
    """``(log_f, kappa)``: the term of position l of sentence n of Eq. (6) is
    ``exp(log_f[t, n]) kappa[t, n, l] x_l q_n^T`` (see the module docstring); cached."""
    if "_eq6_terms" in q._cache:
        return q._cache["_eq6_terms"]
    lp = _float(q.log_phi)
    ref = np.argmax(np.where(q.pos, lp, -np.inf), axis=2)                       # most attended position
    tt, nn = np.meshgrid(np.arange(lp.shape[0]), np.arange(q.N), indexing="ij")
    d = q.uhat - q.uhat[tt, nn, ref][..., None]
    live = q.pos & (_float(d) != 0.0)                                          # terms that can be non-zero
    m = ops.max(ops.where(live, q.log_phi, -math.inf), axis=2)               # log-scale of sentence n
    has = np.isfinite(_float(m))
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


# ---------------------------------------------------------------- Lemmas 4-7, Theorems 1-2

@quantity("xbar", shape="(t, N, d)", doc="``xbar_n = sum_l phi_l^(n,t) x_l``", **_F)
def _xbar(q, ops):
    return ops.einsum("tnl,dnl->tnd", q.phi, q.E[:, q.tok])


@quantity("s_star", stage=0, shape="(N, L_max)", doc="``s*_l^(n) = x_l^T W*_kq q_n`` (unscaled; 0 on padding)")
def _s_star(q, ops):
    Astar = ops.matmul(ops.matmul(ops.asarray(q.E.T), q.W_kq_star), q.E)
    return ops.where(q.pos, Astar[q.tok, q.qtok[:, None]], 0.0)


@quantity("r", shape="(t,)", doc="``r_t = ||W_kq^(t)|| / ||W*_kq||`` (Lemma 7)", **_F)
def _r(q, ops):
    return q.norm_W_kq / q.star_norm_kq


@quantity("a_star", shape="(t, N, L_max)", doc="``a_l^(n,*) = s*_l^(n) r_t`` (Lemma 7's scaled scores)", **_F)
def _a_star(q, ops):
    return q.s_star[None] * q.r[:, None, None]


@quantity("beta", shape="(t,)", doc="``beta_t = 2 L_max^2 ||W*_kq||^2 (1 + log(2 L_max ||W_kq^(t)||)) / "
          "||W_kq^(t)||`` (the paper's ``beta_0``)", **_F)
def _beta(q, ops):
    L, s = q.L_max, q.star_norm_kq
    return 2.0 * L ** 2 * s ** 2 * (1.0 + ops.log(2.0 * L * q.norm_W_kq)) / q.norm_W_kq


@quantity("alpha_kq", shape="(t,)", doc="``alpha_t = 2 N beta_t`` (Lemma 7)", **_F)
def _alpha(q, ops):
    return 2.0 * q.N * q.beta


@quantity("t0", stage=0, shape="()", doc="``t_0 = ceil(8 L_max ||W*_kq||^2 / eta)`` (Lemma 7)")
def _t0(q, ops):
    return int(math.ceil(8.0 * q.L_max * float(q.star_norm_kq) ** 2 / q.eta))


@quantity("margins_T", stage=0, shape="(|V|, |V|)", doc="stage-1 margins of ``W_ov^(T)`` at ``[i, x]`` "
          "(``(e_In(x) - e_i)^T W_ov^(T) x``; 0 at ``i = In(x)``)")
def _mT(q, ops):
    return q.B_T[q.In, np.arange(q.n_tokens)][None, :] - q.B_T


@quantity("Delta_act", stage=0, shape="()", doc="the smallest stage-1 margin of ``W_ov^(T)``: the common margin "
          "``Delta`` of EQM when the margins are equal (``T eta0 / ||W*_ov||`` under ZI + A2)")
def _dact(q, ops):
    return ops.min(ops.where(q.wrong1, q.margins_T, math.inf))


@quantity("Delta_paper", stage=0, shape="()", doc="the paper's ``Delta = T eta0 / (4 ||W*_ov||^2)`` (Corollary 1)")
def _dpap(q, ops):
    return q.T * q.eta0 / (4.0 * q.star_norm_ov ** 2)

"""Stage-2 quantities (Appendix C): attention ``phi^(n,t)``, outputs ``T^(n)``, ``P_n``, ``Q_{n,l}``, ``G_t``.

Indexed by the stage-2 iterate ``t = 0..T1`` (first axis), then by sentence ``n``
and position ``l`` (padded to ``L_max``; ``pos`` marks real positions), with
``W_ov = W_ov^(T)`` frozen. Notation (docs/proofs.md, "Quantities"): ``a[t, n, l] =
x_l^T W_kq^(t) q_n`` (the scores), ``log_phi`` the log-attention (Eq. 9), ``D2[t, n, v]
= Tbar_v - Tbar_{y_n}`` the logit gaps of sentence n, ``u2 = log sum_{v != y_n} exp D2``.

Numerics of the saturated regime. ``1 - P_n = exp(-softplus(-u2))`` (never a
subtraction); ``phi_-`` is a sum over the non-optimal positions (never ``1 - phi_+``).
The gradient Eq. (6), which underflows twice over, is in
:mod:`reference.theory.proofs.measure_gradient2`.
"""

import math

import numpy as np

from ...structure.orders import optimal_mask
from .quantity import quantity, Unavailable

__all__ = []

_F = dict(stage=2, full=True)


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

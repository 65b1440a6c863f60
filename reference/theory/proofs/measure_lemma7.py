"""Lemma 7's quantities (Appendix C.4, p.23-28): ``A^(n,t)``, ``B^(n,t)``, their ``*`` versions, the Types, ``n0``.

Indexed by the stage-2 iterate ``t = 0..T1``, then sentence ``n`` (and position ``l``).
With ``a_l = a_l^(n,t)`` the scores, ``a*_l = a_l^(n,*) = s*_l r_t`` the scaled scores
of ``W*_kq``, ``abar = sum_l' phi_l' a_l'`` (the attention weights ``phi^(n,t)`` in both):

- ``A^(n,t) = sum_{l* in l(n)} (P_n - 1) phi_l* (a_l* - abar)``,
- ``B^(n,t) = sum_{l notin l(n)} Q_{n,l} phi_l (a_l - abar)`` (P69),
- ``B_+ = sum_{l notin l(n)} Q_{n,l} phi_l (phi_+ a_l - sum_{l' in l(n)} phi_l' a_l')``,
  ``B_- = sum_{l notin l(n)} Q_{n,l} phi_l (phi_- a_l - sum_{l' notin l(n)} phi_l' a_l')`` (P77).

Every one is ``(1 - P_n) phi_-^(n,t)`` times an O(``||W_kq^(t)||``) number (``B_-`` even
``(1 - P_n) (phi_-^(n,t))^2`` times one), and these factors underflow in the saturated
regime. They are kept *scaled*: ``A_hat = A^(n,t) / ((1 - P_n) phi_-^(n,t))`` (and so on;
``Bm_hat = B_- / ((1 - P_n) (phi_-^(n,t))^2)``) with ``log_scale7 = log((1 - P_n) phi_-^(n,t))``
(``-inf`` and every scaled value 0 for a sentence without a non-optimal position).
Differences ``a_l - abar`` are written as ``sum_l' phi_l' (a_l - a_l')`` (no cancellation
of large scores), and ``phi_l'/phi_-`` as ``exp(log phi_l' - log phi_-)``; terms whose
score difference is exactly 0 (two positions of one token) are left out, so no
``0 * inf`` arises. The Types (p.23, p.27): sample ``n`` is of Type 1 at ``t`` when
``phi_-^(n,t) >= exp(-(1 + beta_t/2) r_t)``, of Type 2 otherwise; ``n0`` is the sample
of P67 (the least ``W_kq^(t)`` margin over the constraints of Eq. (3)).
"""

import math

import numpy as np

from .quantity import quantity

__all__ = []

_F = dict(stage=2, full=True)


# ---------------------------------------------------------------- structure (no arithmetic)

@quantity("l_star", stage=0, shape="(N,)", doc="the first optimal position of sentence n (0 without one)")
def _opt_first(q, ops):
    return np.argmax(np.asarray(q.opt), axis=1)


@quantity("has_opt", stage=0, shape="(N,)", doc="boolean: sentence n has an optimal position")
def _has_opt(q, ops):
    return np.asarray(q.opt).any(axis=1)


@quantity("has_nonopt", stage=0, shape="(N,)", doc="boolean: sentence n has a non-optimal position")
def _has_nonopt(q, ops):
    return np.asarray(q.nonopt).any(axis=1)


@quantity("n_nonopt", stage=0, shape="(N,)", doc="the number ``L^(n) - |l(n)|`` of non-optimal positions of sentence n")
def _n_nonopt(q, ops):
    return np.asarray(q.nonopt).sum(axis=1)


@quantity("a_opt", shape="(t, N)", doc="``a_{l*}^(n,t)``: the score of the optimal token (every optimal position holds "
          "it; 0 without one)", scale="norm_W_kq", **_F)
def _a_opt(q, ops):
    return ops.where(q.has_opt[None, :], q.a[:, np.arange(q.N), q.l_star], 0.0)


@quantity("a_star_opt", shape="(t, N)", doc="``a_{l*}^(n,*) = s*_{l*} r_t`` (0 without an optimal position)", **_F)
def _a_star_opt(q, ops):
    return ops.where(q.has_opt[None, :], q.a_star[:, np.arange(q.N), q.l_star], 0.0)


# ---------------------------------------------------------------- weights relative to phi_-

@quantity("w_minus", shape="(t, N, L_max)", doc="``phi_l / phi_-`` on the non-optimal positions (0 elsewhere)", **_F)
def _w_minus(q, ops):
    lpm = ops.where(q.has_nonopt[None, :], q.log_phi_minus, 0.0)
    return ops.where(q.nonopt[None], ops.exp(q.log_phi - lpm[..., None]), 0.0)


@quantity("rq", shape="(t, N, L_max)", doc="``Q_{n,l} / (1 - P_n)`` on the non-optimal positions (0 elsewhere)", **_F)
def _rq(q, ops):
    cls = q.In[q.tok]
    return ops.where(q.nonopt[None], q.rhat[:, np.arange(q.N)[:, None], cls], 0.0)


@quantity("log_scale7", shape="(t, N)", doc="``log((1 - P_n) phi_-^(n,t))``: the size of ``A``, ``B`` "
          "(``-inf`` without a non-optimal position)", **_F)
def _log_scale7(q, ops):
    return q.log_1mP + q.log_phi_minus


def _pair_diffs(x, q, ops):
    """``x[..., l] - x[..., l']`` at ``[t, n, l, l']`` (0 off real pairs)."""
    pair = q.pos[:, :, None] & q.pos[:, None, :]
    return ops.where(pair[None], x[..., :, None] - x[..., None, :], 0.0)


@quantity("da", shape="(t, N, L_max, L_max)", doc="``a_l - a_l'`` at ``[t, n, l, l']`` (0 off real pairs)",
          scale="norm_W_kq", **_F)
def _da(q, ops):
    return _pair_diffs(q.a, q, ops)


@quantity("da_star", shape="(t, N, L_max, L_max)", doc="``a*_l - a*_l'`` at ``[t, n, l, l']`` (0 off real pairs)",
          **_F)
def _da_star(q, ops):
    return _pair_diffs(q.a_star, q, ops)


_D = {"a": "da", "a_star": "da_star"}


def _centred(x, q, ops, over):
    """``sum_{l' in over} phi_l' (x_l - x_l')`` at ``[t, n, l]`` for the scores ``x`` (``"a"`` or ``"a_star"``;
    ``over``: boolean (N, L))."""
    d = q[_D[x]]
    return ops.sum(ops.where(over[None, :, None, :], q.phi[:, :, None, :] * d, 0.0), axis=3)


def _a_hat(x, q, ops):
    """``A/((1 - P_n) phi_-)`` from P69's definition: ``-sum_{l*} phi_l* (x_l* - xbar)/phi_-``, with
    ``(x_l* - xbar)/phi_- = sum_{l': x_l' != x_l*} exp(log phi_l' - log phi_-) (x_l* - x_l')``."""
    d = q[_D[x]]
    live = q.pos[None, :, None, :] & (ops.midpoint(d) != 0.0)
    lpm = ops.where(q.has_nonopt[None, :], q.log_phi_minus, 0.0)
    e = ops.where(live, ops.exp(q.log_phi[:, :, None, :] - lpm[..., None, None]) * d, 0.0)
    return -ops.sum(ops.where(q.opt[None], q.phi * ops.sum(e, axis=3), 0.0), axis=2)


@quantity("A_hat", shape="(t, N)", doc="``A^(n,t) / ((1 - P_n) phi_-^(n,t))`` (P69's definition)", **_F)
def _A_hat(q, ops):
    return _a_hat("a", q, ops)


@quantity("A_star_hat", shape="(t, N)", doc="``A^(n,*) / ((1 - P_n) phi_-^(n,t))`` (scores ``a^(n,*)``)", **_F)
def _A_star_hat(q, ops):
    return _a_hat("a_star", q, ops)


def _b_hat(x, q, ops, over):
    return ops.sum(q.rq * q.w_minus * _centred(x, q, ops, over), axis=2)


@quantity("B_hat", shape="(t, N)", doc="``B^(n,t) / ((1 - P_n) phi_-^(n,t))`` (P69's definition)", **_F)
def _B_hat(q, ops):
    return _b_hat("a", q, ops, q.pos)


@quantity("B_star_hat", shape="(t, N)", doc="``B^(n,*) / ((1 - P_n) phi_-^(n,t))``", **_F)
def _B_star_hat(q, ops):
    return _b_hat("a_star", q, ops, q.pos)


@quantity("Bp_hat", shape="(t, N)", doc="``B_+^(n,t) / ((1 - P_n) phi_-^(n,t))`` (P77)", **_F)
def _Bp_hat(q, ops):
    return _b_hat("a", q, ops, q.opt)


@quantity("Bp_star_hat", shape="(t, N)", doc="``B_+^(n,*) / ((1 - P_n) phi_-^(n,t))`` (P77)", **_F)
def _Bp_star_hat(q, ops):
    return _b_hat("a_star", q, ops, q.opt)


def _bm_hat(x, q, ops):
    """``B_-/((1 - P_n) phi_-^2) = sum_{l notin l(n)} (Q_l/(1 - P_n)) w_l sum_{l' notin l(n)} w_l' (x_l - x_l')``."""
    d = q[_D[x]]
    inner = ops.sum(ops.where(q.nonopt[None, :, None, :], q.w_minus[:, :, None, :] * d, 0.0), axis=3)
    return ops.sum(q.rq * q.w_minus * inner, axis=2)


@quantity("Bm_hat", shape="(t, N)", doc="``B_-^(n,t) / ((1 - P_n) (phi_-^(n,t))^2)`` (P77; ``B_-`` is of second order "
          "in ``phi_-``)", **_F)
def _Bm_hat(q, ops):
    return _bm_hat("a", q, ops)


@quantity("Bm_star_hat", shape="(t, N)", doc="``B_-^(n,*) / ((1 - P_n) (phi_-^(n,t))^2)`` (P77, P78)", **_F)
def _Bm_star_hat(q, ops):
    return _bm_hat("a_star", q, ops)


def _grad_proj(x, q, ops):
    d = q[_D[x]]
    live = q.pos[None, :, :, None] & q.pos[None, :, None, :] & (ops.midpoint(d) != 0.0)
    lpm = ops.where(q.has_nonopt[None, :], q.log_phi_minus, 0.0)
    lw = q.log_phi[:, :, :, None] + q.log_phi[:, :, None, :] - lpm[..., None, None]
    e = ops.where(live, ops.exp(lw) * d, 0.0)
    return ops.sum(q.uhat * ops.sum(e, axis=3), axis=2)


@quantity("proj_grad_n", shape="(t, N, 2)", doc="``<grad L_n, W_kq^(t)>`` and ``<grad L_n, W*_kq> r_t``, each divided "
          "by ``(1 - P_n) phi_-^(n,t)``, from Eq. (6): ``sum_{l,l'} (phi_l phi_l'/phi_-) uhat_l (a_l - a_l')``", **_F)
def _proj_grad_n(q, ops):
    return np.stack([_grad_proj("a", q, ops), _grad_proj("a_star", q, ops)], axis=-1)


# ---------------------------------------------------------------- Types, n0 (structural choices in float64)

@quantity("log_type_threshold", shape="(t,)", doc="``-(1 + beta_t/2) r_t``: sample n is of Type 1 iff "
          "``log phi_-^(n,t)`` is at least this", **_F)
def _ltt(q, ops):
    return -(1.0 + q.beta / 2.0) * q.r


@quantity("type1", shape="(t, N)", doc="boolean: sample n is of Type 1 at t (``phi_-^(n,t) >= exp(-(1 + beta_t/2) "
          "r_t)``); Type 2 otherwise", **_F)
def _type1(q, ops):
    return np.asarray(ops.midpoint(q.log_phi_minus)) >= np.asarray(ops.midpoint(q.log_type_threshold))[:, None]


@quantity("margin_kq", shape="(t, N)", doc="``min_{l* in l(n), l notin l(n)} (a_l* - a_l)``: the least margin of "
          "``W_kq^(t)`` over sentence n's constraints of Eq. (3) (inf without one)", scale="norm_W_kq", **_F)
def _margin_kq(q, ops):
    hi = ops.max(ops.where(q.nonopt[None], q.a, -math.inf), axis=2)
    return ops.where((q.has_opt & q.has_nonopt)[None, :], q.a_opt - hi, math.inf)


@quantity("margin_min_kq", shape="(t,)", doc="the least ``W_kq^(t)`` margin over every constraint of Eq. (3)",
          scale="norm_W_kq", **_F)
def _margin_min_kq(q, ops):
    return ops.min(q.margin_kq, axis=1)


@quantity("n0", shape="(t,)", doc="``n0``: the sample with the least ``W_kq^(t)`` margin (P67's witness, P99)", **_F)
def _n0(q, ops):
    return np.argmin(np.asarray(ops.midpoint(q.margin_kq)), axis=1)


@quantity("l0", shape="(t,)", doc="the non-optimal position of ``n0`` with the largest score (P67's witness)", **_F)
def _l0(q, ops):
    a = np.where(np.asarray(q.nonopt)[None], np.asarray(ops.midpoint(q.a)), -np.inf)
    return np.argmax(a[np.arange(len(q.n0)), q.n0], axis=1)


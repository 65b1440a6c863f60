"""Quantities of the proofs of Theorems 1-3 and Proposition 4 (Appendix C.5-D): score gaps, per-sentence
losses, Theorem 3's pairs and unseen sentences, and the max-margin solution's multipliers.

Stage-2 quantities are indexed by the iterate ``t = 0..T1`` (first axis), then by sentence ``n`` and
position ``l`` (padded to ``L_max``) as in :mod:`~reference.theory.proofs.measure_stage2`. Notation
(docs/proofs.md, "Appendix C.5-D"): ``score_gap[t, n, l] = (x_l - x_l*)^T W_kq^(t) q_n`` for a non-optimal
position ``l`` (``l*`` any optimal position: they all hold the same token), ``log_Ln[t, n] = log L_n``
(the per-sample loss, exact where it underflows: ``log softplus(u2)``).

Theorem 3's second part is about sentences that are not in ``D_0``: the unseen sentences of
Section 6 (:func:`reference.structure.unseen_predictions`, family ``"non-comparable"``: one
non-comparable token ``x0``, possibly repeated, and non-optimal tokens; at most :data:`UNSEEN_MAX`
of them, of at most :data:`UNSEEN_MAX_LENGTH` tokens, in the enumeration order). Example 2's
``SP``, ``OSP`` and ``VP`` are among them on Example 1.
"""

import math
from fractions import Fraction

import numpy as np

from ...errors import AssumptionError, ReferenceValueError
from ...maxmargin import kq_constraints, max_margin_kq
from ...structure.extended import unseen_predictions
from ...structure.orders import query_orders
from .quantity import quantity, Unavailable

__all__ = ["UNSEEN_MAX", "UNSEEN_MAX_LENGTH", "ln"]

#: The unseen sentences of Theorem 3 checked per run: the first UNSEEN_MAX of at most
#: UNSEEN_MAX_LENGTH tokens (Example 2's are of length 2 and 3; the paper experiment has
#: thousands of length 3, and 256 x 901 iterates x 3 positions is a few MB per quantity).
UNSEEN_MAX = 256
UNSEEN_MAX_LENGTH = 3

_F = dict(stage=2, full=True)


def ln(ops, x):
    """``log x`` of a number ``x`` of the run (a count, ``|V|``, ``L_max``) on the backend: exact on balls."""
    return ops.log(ops.asarray(float(x)))


# ---------------------------------------------------------------- structure (stage 0)

@quantity("orders", stage=0, shape="dict", doc="the query orders of Definition 1 (reference.structure.query_orders)")
def _orders(q, ops):
    return query_orders(q.ds)


@quantity("opt_first", stage=0, shape="(N,)", doc="index of the first optimal position of sentence n (0 if none)")
def _opt_first(q, ops):
    return np.argmax(q.opt, axis=1)


@quantity("gap_mask", stage=0, shape="(N, L_max)", doc="boolean: a non-optimal position of a sentence that has an "
          "optimal one (the pairs ``(l*, l)`` of Eq. 3)")
def _gap_mask(q, ops):
    return q.nonopt & q.opt.any(axis=1)[:, None]


@quantity("n_opt", stage=0, shape="(N,)", doc="``|l(n)|``, the number of optimal positions")
def _n_opt(q, ops):
    return ops.asarray(q.opt.sum(axis=1).astype(np.float64))


@quantity("len_n", stage=0, shape="(N,)", doc="``L^(n)``, the length of sentence n")
def _len_n(q, ops):
    return ops.asarray(q.pos.sum(axis=1).astype(np.float64))


@quantity("A_star", stage=0, shape="(|V|, |V|)", doc="``A* = E^T W*_kq E``: ``A*[i, q] = x_i^T W*_kq x_q``")
def _A_star(q, ops):
    return ops.matmul(ops.matmul(ops.asarray(q.E.T), q.W_kq_star), q.E)


@quantity("score_gap_star", stage=0, shape="(N, L_max)", doc="``(x_l - x_l*)^T W*_kq q_n`` on ``gap_mask`` (0 elsewhere)")
def _sgs(q, ops):
    ref = q.s_star[np.arange(q.N), q.opt_first]
    return ops.where(q.gap_mask, q.s_star - ref[:, None], 0.0)


# ---------------------------------------------------------------- Eq. (13) (stage 2)

@quantity("dist_kq", shape="(t,)", doc="``||Wbar_kq^(t) - Wbar*_kq||`` (nan where ``W_kq^(t) = 0``)", range=(0, 2), **_F)
def _dist(q, ops):
    return ops.norm(q.Wbar_kq - q.Wbar_kq_star[None])


@quantity("score_gap", shape="(t, N, L_max)", doc="``(x_l - x_l*)^T W_kq^(t) q_n`` on ``gap_mask`` (0 elsewhere)",
          scale="norm_W_kq", **_F)
def _sg(q, ops):
    ref = q.a[:, np.arange(q.N), q.opt_first]
    return ops.where(q.gap_mask, q.a - ref[..., None], 0.0)


@quantity("score_gap_max", shape="(t,)", doc="``max (x_l - x_l*)^T W_kq^(t) q_n`` over the pairs of Eq. (3)",
          scale="norm_W_kq", **_F)
def _sgm(q, ops):
    if not q.gap_mask.any():
        raise Unavailable("no sentence has both an optimal and a non-optimal position")
    return ops.max(ops.where(q.gap_mask, q.score_gap, -math.inf), axis=(1, 2))


@quantity("score_resid", shape="(t, N, L_max)", doc="``(x_l - x_l*)^T (W_kq^(t) - r_t W*_kq) q_n`` on ``gap_mask``",
          scale="norm_W_kq", **_F)
def _sr(q, ops):
    R = q.A - q.r[:, None, None] * q.A_star[None]
    rs = ops.where(q.pos, R[:, q.tok, q.qtok[:, None]], 0.0)
    ref = rs[:, np.arange(q.N), q.opt_first]
    return ops.where(q.gap_mask, rs - ref[..., None], 0.0)


# ---------------------------------------------------------------- losses (stage 2)

@quantity("log_Ln", shape="(t, N)", doc="``log L_n = log softplus(u2)``: the per-sample loss (C.6), exact when it "
          "underflows", **_F)
def _log_Ln(q, ops):
    return ops.log_softplus(q.u2)


@quantity("log_loss_restricted", shape="(t,)", doc="``log sum_n pi_n log(1 + sum_{v != y_n} exp((e_v - e_y)^T W_ov "
          "sum_{l notin l(n)} x_l phi_l))``: P121's third line as printed", **_F)
def _llr(q, ops):
    phi_r = ops.where(q.nonopt[None], q.phi, 0.0)
    Tr = ops.einsum("tnl,vnl->tnv", phi_r, q.B_T[:, q.tok])
    Dr = Tr - Tr[:, np.arange(q.N), q.y][..., None]
    u = ops.logsumexp(Dr, axis=2, mask=q.wrong2)
    return ops.logsumexp(ops.log(q.pi)[None] + ops.log_softplus(u), axis=1)


# ---------------------------------------------------------------- Theorem 3: pairs and unseen sentences

@quantity("thm3_pairs", stage=0, shape="(K, 3)", doc="Theorem 3's pairs ``(x, x', q)``: ``x*`` over ``x0`` and ``x0`` "
          "over ``x`` under every query (optimal, non-comparable, non-optimal tiers)")
def _pairs(q, ops):
    rows = []
    for qq, o in q.orders.items():
        if o.confused or not o.pairs:
            continue
        rows += [(i, j, qq) for i in o.optimal for j in o.non_comparable]
        rows += [(i, j, qq) for i in o.non_comparable for j in o.non_optimal]
    if not rows:
        raise Unavailable("no query has both a non-comparable token and an optimal or non-optimal one")
    return np.array(rows, dtype=np.intp)


@quantity("thm3_gap_star", stage=0, shape="(K,)", doc="``(x - x')^T W*_kq x_q`` over Theorem 3's pairs")
def _t3s(q, ops):
    p = q.thm3_pairs
    return q.A_star[p[:, 0], p[:, 2]] - q.A_star[p[:, 1], p[:, 2]]


@quantity("thm3_gap", shape="(t, K)", doc="``(x - x')^T W_kq^(t) x_q`` over Theorem 3's pairs", scale="norm_W_kq", **_F)
def _t3(q, ops):
    p = q.thm3_pairs
    return q.A[:, p[:, 0], p[:, 2]] - q.A[:, p[:, 1], p[:, 2]]


@quantity("unseen", stage=0, shape="dict", doc="the unseen sentences of Theorem 3's second part (module docstring): "
          "``tok``, ``pos``, ``l0`` (positions of ``x0``) of shape (U, Lu), ``y = In(x0)``, ``query`` of shape (U,)")
def _unseen(q, ops):
    try:
        preds = [p for p in unseen_predictions(q.ds, max_length=UNSEEN_MAX_LENGTH, In=q.In)
                 if p.family == "non-comparable"]
    except AssumptionError as e:
        raise Unavailable(f"no extended order: {e}") from None
    preds = preds[:UNSEEN_MAX]
    if not preds:
        raise Unavailable("no unseen sentence with a non-comparable token (Theorem 3's second part)")
    Lu = max(len(p.sentence) for p in preds)
    tok = np.zeros((len(preds), Lu), dtype=np.intp)
    pos = np.zeros((len(preds), Lu), dtype=bool)
    for u, p in enumerate(preds):
        tok[u, :len(p.sentence)], pos[u, :len(p.sentence)] = p.sentence, True
    top = np.array([p.top for p in preds], dtype=np.intp)
    return {"tok": tok, "pos": pos, "l0": pos & (tok == top[:, None]), "y": np.array([p.next for p in preds]),
            "query": np.array([p.query for p in preds], dtype=np.intp), "top": top}


@quantity("unseen_log_phi", shape="(t, U, Lu)", doc="log-attention of the unseen sentences (Eq. 9; -inf on padding)",
          **_F)
def _ulp(q, ops):
    u = q.unseen
    s = ops.where(u["pos"], q.A[:, u["tok"], u["query"][:, None]], 0.0)
    return ops.where(u["pos"], ops.log_softmax(s, axis=2, mask=u["pos"]), -math.inf)


@quantity("unseen_phi_l0", shape="(t, U)", doc="attention on the positions of ``x0`` in the unseen sentences",
          range=(0, 1), **_F)
def _upl0(q, ops):
    return ops.sum(ops.where(q.unseen["l0"], ops.exp(q.unseen_log_phi), 0.0), axis=2)


@quantity("unseen_phi_rest", shape="(t, U)", doc="attention on the other positions (a sum, never ``1 - phi_l0``)",
          range=(0, 1), **_F)
def _uprest(q, ops):
    u = q.unseen
    return ops.sum(ops.where(u["pos"] & ~u["l0"], ops.exp(q.unseen_log_phi), 0.0), axis=2)


@quantity("unseen_D", shape="(t, U, |V|)", doc="``(e_v - e_In(x0))^T W_ov^(T) sum_l x_l phi_l`` for the unseen "
          "sentences", **_F)
def _uD(q, ops):
    u = q.unseen
    Tb = ops.einsum("tul,vul->tuv", ops.exp(q.unseen_log_phi), q.B_T[:, u["tok"]])
    return Tb - Tb[:, np.arange(len(u["y"])), u["y"]][..., None]


@quantity("unseen_log_p", shape="(t, U)", doc="``log e_In(x0)^T T(X)`` of the unseen sentences (log-softmax of the "
          "logits)", **_F)
def _ulogp(q, ops):
    u = q.unseen
    Tb = ops.einsum("tul,vul->tuv", ops.exp(q.unseen_log_phi), q.B_T[:, u["tok"]])
    return ops.log_softmax(Tb, axis=2)[:, np.arange(len(u["y"])), u["y"]]


@quantity("unseen_wrong", stage=0, shape="(U, |V|)", doc="boolean: ``v != In(x0)`` for the unseen sentences")
def _uwrong(q, ops):
    return np.arange(q.n_tokens)[None, :] != q.unseen["y"][:, None]


# ---------------------------------------------------------------- Proposition 4 (the max-margin solution)

@quantity("kq_cons", stage=0, shape="Constraints", doc="the distinct constraints of Eq. (3) "
          "(reference.maxmargin.kq_constraints)")
def _kq_cons(q, ops):
    try:
        return kq_constraints(q.ds, q.In)
    except ReferenceValueError as e:
        raise Unavailable(f"Eq. (3) has no constraints here: {e}") from None


@quantity("kq_dual", stage=0, shape="(m,)", doc="the multipliers of Eq. (3)'s solution, aligned with ``kq_cons`` "
          "(the certified solver's; exact rationals on a certified run)")
def _kq_dual(q, ops):
    try:
        return ops.asarray(max_margin_kq(q.ds).dual)
    except ReferenceValueError as e:
        raise Unavailable(f"Eq. (3) has no certified solution here: {e}") from None


@quantity("prop4_A", stage=0, shape="(|V|, |V|)", doc="Proposition 4's closed form ``m/(k+m)``, ``-k/(k+m)``, 0 "
          "(reference.theory.proposition4; exact fractions)")
def _prop4(q, ops):
    V = q.n_tokens
    A = np.full((V, V), Fraction(0), dtype=object)
    for qq, o in q.orders.items():
        k, m = len(o.optimal), len(o.non_optimal)
        for i in o.optimal:
            A[i, qq] = Fraction(m, k + m)
        for j in o.non_optimal:
            A[j, qq] = Fraction(-k, k + m)
    return ops.asarray(A)


@quantity("prop4_zero", stage=0, shape="(|V|, |V|)", doc="boolean: entries Proposition 4 says are 0 (non-comparable "
          "tokens, columns without an ordered pair)")
def _zero(q, ops):
    z = np.ones((q.n_tokens, q.n_tokens), dtype=bool)
    for qq, o in q.orders.items():
        if o.pairs:
            z[list(o.optimal) + list(o.non_optimal), qq] = False
    return z


def _dual_scatter(q, ops, side):
    """``sum_k lambda_k`` over the constraints with ``(column, side) = (q, x)``, at ``[q * |V| + x]``."""
    c, V = q.kq_cons, q.n_tokens
    return ops.segment_sum(q.kq_dual, c.column * V + getattr(c, side), V * V)


@quantity("kkt_A", stage=0, shape="(|V|, |V|)", doc="``sum_k lambda_k (e_upper - e_lower) e_column^T``: stationarity "
          "of Eq. (15) with the multipliers ``kq_dual``, in token coordinates (``[x, q]``)")
def _kkt_A(q, ops):
    V = q.n_tokens
    return (_dual_scatter(q, ops, "upper") - _dual_scatter(q, ops, "lower")).reshape(V, V).T


@quantity("dual_sums", stage=0, shape="(K,)", doc="``sum_{j in A_i0} lambda_{i0 j} + sum_i lambda_{i j0} 1{j0 in "
          "A_i}`` for every query and optimal ``i0``, non-optimal ``j0`` (P128; reference.theory.proposition4_dual_sums)")
def _dual_sums(q, ops):
    V = q.n_tokens
    idx_up, idx_lo = [], []
    for qq, o in q.orders.items():
        for i0 in o.optimal:
            for j0 in o.non_optimal:
                idx_up.append(qq * V + i0)
                idx_lo.append(qq * V + j0)
    if not idx_up:
        raise Unavailable("no query with an ordered pair")
    return _dual_scatter(q, ops, "upper")[np.array(idx_up)] + _dual_scatter(q, ops, "lower")[np.array(idx_lo)]


@quantity("logit_scale", stage=0, shape="()", doc="``max |W_ov^(T) x|``: the size of the logits (rounding scale of the "
          "losses and predictions)")
def _logit_scale(q, ops):
    return ops.max(ops.abs(q.B_T))


@quantity("loss_scale", shape="(t,)", doc="``max |W_ov^(T) x| (1 + ||W_kq^(t)||)``: the rounding scale of a loss computed "
          "from the attention (an attention weight carries ``eps ||W_kq^(t)||`` relative error, times the logits)",
          **_F)
def _loss_scale(q, ops):
    return q.logit_scale * (1.0 + q.norm_W_kq)

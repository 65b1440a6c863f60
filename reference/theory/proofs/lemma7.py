"""Appendix C.4, p.23-24: Lemma 7's set-up, steps P64-P72 (Eq. (11), the case split, ``A`` and ``B``).

Lemma 7 (p.23): for ``t >= t0 = ceil(8 L_max ||W*_kq||^2 / eta)``,
``<G_t, W_kq^(t)> >= (1 + alpha_t) <G_t, W*_kq> ||W_kq^(t)||/||W*_kq||``,
``alpha_t = 2 N beta_t``, ``beta_t = 2 L_max^2 ||W*_kq||^2 (1 + log(2 L_max ||W_kq^(t)||))/||W_kq^(t)||``.
The proof: the softmax fact Eq. (11) (P64); ``<G_t, W*_kq> <= 0`` settles the aligned case
(P66); otherwise some margin of ``W_kq^(t)`` is at most ``r_t = ||W_kq^(t)||/||W*_kq||`` (P67),
which the paper turns into ``phi_l >= exp(-r_t)`` (P68, false as printed). Each sample's
share of both sides is ``Delta (A + B)`` (P69-P72, :mod:`.lemma7_ab`), bounded for samples of
Type 1 (:mod:`.lemma7_type1`, P73-P87; :mod:`.lemma7_bminus`, P88-P94) and of Type 2
(:mod:`.lemma7_type2`, P95-P102), and summed (:mod:`.lemma7_sum`, P103).

Per-sample relations are checked for every sample at once (a trailing axis); a relation the
paper makes only for samples of one Type has both sides 0 on the others. Every ``A``, ``B``
is carried scaled (:mod:`reference.theory.proofs.measure_lemma7`): a relation between terms
``v exp(s)`` is checked as ``v exp(s - K)`` with ``K`` the largest log-scale of its terms.
"""

import math

import numpy as np

from .entries import Check, Decision
from .registry import proof_step, REGISTRY

__all__ = ["step", "scaled", "only", "n0_of", "attn_check", "CASE2"]

_S = dict(statement="Lemma 7", stage=2)
#: Lemma 7's case 2 (p.23): the paper's Type analysis is for a W_kq^(t) not aligned with W*_kq.
CASE2 = ("W!=0", "NOT_ALIGNED_KQ")


def step(key):
    """The step ``key`` of Lemma 7's proof (``"P64"`` .. ``"P103.7"``, the corrected ``"P68'"``, ...)."""
    return REGISTRY.step(key, statement="Lemma 7")


def scaled(ops, *pairs):
    """``[(value, log_scale)]`` -> ``value exp(log_scale - K)``, ``K`` the largest finite log-scale (elementwise).

    A term whose log-scale is ``-inf`` (a factor ``phi_- = 0``) is exactly 0.
    """
    K = pairs[0][1]
    for _, lg in pairs[1:]:
        K = ops.maximum(K, lg)
    K = ops.where(np.isfinite(ops.midpoint(K)), K, 0.0)
    return [ops.where(np.isneginf(ops.midpoint(lg)), 0.0, v * ops.exp(lg - K)) for v, lg in pairs]


def attn_check(q, ops, measured, bound, sense):
    """``Check(measured, bound, sense)`` with the rounding scale of terms built from the attention.

    The log-attention of scores of size ``||W_kq^(t)||`` carries an absolute error of about
    ``eps ||W_kq^(t)||``, so every weight ``phi_l``, ``phi_l/phi_-`` and every term built from them
    a relative one, and a score difference weighted by them an absolute one of ``eps ||W|| (||W|| +
    |term|)``: the scale is ``(1 + ||W_kq^(t)||)(||W_kq^(t)|| + the largest |side|)`` per ``t``.
    """
    n = len(q.norm_W_kq)
    big = 0.0 * q.norm_W_kq
    for x in (measured, bound):
        if np.ndim(x) == 0:
            continue
        a = ops.abs(x).reshape(n, -1)
        big = ops.maximum(big, ops.max(ops.where(np.isfinite(ops.midpoint(a)), a, 0.0), axis=1))
    return Check(measured, bound, sense, scale=(1.0 + q.norm_W_kq) * (q.norm_W_kq + big))


def only(mask, *xs, ops):
    """Each ``x`` where ``mask`` (a boolean array), 0 elsewhere (a relation made for some samples only)."""
    return [ops.where(mask, x, 0.0) for x in xs]


def n0_of(x, q):
    """``x[t, n0_t]``: a per-sample quantity at P67's sample ``n0``."""
    return x[np.arange(len(q.n0)), q.n0]


def _query_pos(q):
    """The query's position ``L^(n)`` of every sentence (its last real position)."""
    return q.pos.sum(axis=1) - 1


@proof_step("P64", page=23, equation="Eq. (11)", kind="ID",
            printed="if a_l <= a_l' - C then phi_l = phi_l' exp(a_l - a_l') <= exp(-C)",
            relation="phi_l^(n,t) = phi_L^(n,t) exp(a_l - a_L) for every position l of every sample, L its query's "
                     "position (every pair l, l' follows: phi_l/phi_l' = (phi_l/phi_L)(phi_L/phi_l'))",
            quantity="log phi_l^(n,t)", needs=("log_phi", "a", "pos", "norm_W_kq", "N"), **_S)
def p64(q, ops):
    """P64 (p.23, Eq. 11): ``phi_l = phi_l' exp(a_l - a_l')``, in log space, for every position against the query's.

    Any attention vector, any t. Rounding: scores of size ``||W_kq^(t)||``.
    """
    n = np.arange(q.N)
    L = _query_pos(q)
    b = q.log_phi[:, n, L][..., None] + q.a - q.a[:, n, L][..., None]
    return Check(ops.where(q.pos[None], q.log_phi, 0.0), ops.where(q.pos[None], b, 0.0), "==", space="log",
                 scale=q.norm_W_kq)


@proof_step("P64.2", page=23, equation="Eq. (11), the bound", kind="INEQ",
            printed="if a_l <= a_l' - C then phi_l <= exp(-C)",
            relation="phi_l^(n,t) <= exp(a_l - max_l' a_l') for every position of every sample (the largest C = "
                     "a_l' - a_l; every pair follows)",
            quantity="log phi_l^(n,t)", follows=("P64",), needs=("log_phi", "a", "pos", "norm_W_kq"), **_S)
def p64_2(q, ops):
    """P64, the bound (p.23, Eq. 11): ``phi_l <= exp(-C)`` whenever ``a_l <= a_l' - C``.

    Checked as ``log phi_l <= a_l - a_l'`` for the largest score ``a_l'`` of the sentence, which gives it for
    every ``l'``.
    """
    top = ops.max(ops.where(q.pos[None], q.a, -math.inf), axis=2)
    b = q.a - top[..., None]
    return Check(ops.where(q.pos[None], q.log_phi, 0.0), ops.where(q.pos[None], b, 0.0), "<=", space="log",
                 scale=q.norm_W_kq)


@proof_step("P64.3", page=23, equation="Eq. (11), convex combination", kind="INEQ",
            printed="the same holds with a_l' replaced by a convex combination of the a's",
            relation="phi_l^(n,t) <= exp(a_l - sum_l' w_l' a_l') for w = phi^(n,t) and for w = phi_l'/phi_- on the "
                     "non-optimal positions (the weights P88-P89 use)",
            quantity="log phi_l^(n,t)", follows=("P64",),
            needs=("log_phi", "da", "pos", "phi", "w_minus", "has_nonopt", "norm_W_kq"), **_S)
def p64_3(q, ops):
    """P64, convex-combination variant (p.23): ``log phi_l <= a_l - sum_l' w_l' a_l'`` for two weightings ``w``.

    ``a_l - sum w a`` is computed as ``sum_l' w_l' (a_l - a_l')`` (no cancellation). Weights:
    the attention itself, and ``phi_l'/phi_-`` over the non-optimal positions (sentences with one).
    """
    d = q.da
    c_all = ops.sum(q.phi[..., None, :] * d, axis=3)
    c_neg = ops.sum(q.w_minus[..., None, :] * d, axis=3)
    real = q.pos[None]
    neg = real & q.has_nonopt[None, :, None]
    m = np.stack([ops.where(real, q.log_phi, 0.0), ops.where(neg, q.log_phi, 0.0)], axis=-1)
    b = np.stack([ops.where(real, c_all, 0.0), ops.where(neg, c_neg, 0.0)], axis=-1)
    return Check(m, b, "<=", space="log", scale=q.norm_W_kq)


@proof_step("P65", page=23, equation="Eq. (12)", kind="ID",
            printed="W*_kq = argmin ||W|| s.t. (x_l* - x_l)^T W x_L^(n) >= 1 (restating Eq. (3)); W*_kq is unique",
            relation="min over the constraints of Eq. (12) of (x_l* - x_l)^T W*_kq q_n = 1 (feasible, one constraint "
                     "active)",
            quantity="least margin of W*_kq", needs=("s_star", "opt", "nonopt", "t2"), **_S)
def p65(q, ops):
    """P65 (p.23, Eq. 12): ``W*_kq`` solves Eq. (3): its least margin over the constraints is exactly 1.

    A minimum-norm solution is feasible (margins ``>= 1``) with an active constraint (margin
    ``= 1``; otherwise a smaller multiple would be feasible). Checked on the certified
    ``W*_kq``, the same at every ``t``.
    """
    hi = ops.max(ops.where(q.nonopt, q.s_star, -math.inf), axis=1)
    lo = ops.min(ops.where(q.opt, q.s_star, math.inf), axis=1)
    least = ops.min(lo - hi)
    return Check(least + 0.0 * q.t2, 1.0 + 0.0 * q.t2, "==")


@proof_step("P66", page=23, equation="case Wbar^(t) = Wbar*", kind="INEQ", printed="<grad L(theta^(t)), W*_kq> <= 0",
            quantity="<g_t, W*_kq>", unstated=("EQM", "EQ_NONOPT"), needs=("g", "W_kq_star"), **_S)
def p66(q, ops):
    """P66 (p.23): ``<G_t, W*_kq> <= 0`` at every t (so Lemma 7 holds when ``Wbar_kq^(t) = Wbar*_kq``).

    Checked on the unit gradient ``g_t`` (Eq. 6, scaled and exact). The argument is Lemma 4
    with ``W' = W*_kq``: it needs equal stage-1 margins and ``B_-^(n,*) = 0`` (P78), which
    the paper does not state here.
    """
    return Check(ops.dot(q.g, q.W_kq_star[None]), 0.0, "<=")


@proof_step("P67", page=23, equation="case Wbar^(t) != Wbar*", kind="INEQ",
            printed="some n, l* in l(n), l notin l(n) satisfy a_l*^(n,t) - a_l^(n,t) <= r_t",
            relation="min over the constraints of Eq. (3) of (x_l* - x_l)^T W_kq^(t) q_n <= ||W_kq^(t)||/||W*_kq||",
            quantity="least margin of W_kq^(t)", stated=CASE2, needs=("margin_min_kq", "r", "norm_W_kq"), **_S)
def p67(q, ops):
    """P67 (p.23): if ``Wbar_kq^(t) != Wbar*_kq``, some margin of ``W_kq^(t)`` is at most ``r_t``.

    Otherwise ``W_kq^(t)/r_t`` would be feasible for Eq. (3) with norm ``||W*_kq||``, hence equal
    to the unique ``W*_kq``. The witness ``(n0, l0)`` is the least margin (quantities ``n0``, ``l0``).
    """
    return Check(q.margin_min_kq, q.r, "<=", scale=q.norm_W_kq)


_P68 = "for those n, phi_l^(n,t) >= exp(-r_t)"


@proof_step("P68", page=23, equation="after the case split (as printed)", kind="CLAIM", printed=_P68,
            relation="phi_l0^(n0,t) >= exp(-r_t) at P67's witness (n0, l0)", quantity="log phi_l0^(n0,t)",
            stated=("S4",) + CASE2, recorded="false-P68-phi", inconsistencies=(5,), follows=("P67", "P64"),
            needs=("log_phi", "n0", "l0", "r", "norm_W_kq"), **_S)
def p68_printed(q, ops):
    """P68 as printed (p.23): ``phi_l^(n,t) >= exp(-r_t)`` at the position of P67's small margin.

    Recorded false (decision false-P68-phi): P67 with Eq. (11) gives only
    ``phi_l = phi_l* exp(-(a_l* - a_l)) >= phi_l* exp(-r_t)``, and ``phi_l* < 1``. Log space.
    """
    t = np.arange(len(q.n0))
    return Check(q.log_phi[t, q.n0, q.l0], -q.r, ">=", space="log", scale=q.norm_W_kq)


@proof_step("P68'", page=23, equation="after the case split (corrected)", kind="CLAIM", printed=_P68,
            relation="phi_l0^(n0,t) >= phi_l*^(n0,t) exp(-r_t) >= exp(-r_t)/L_max at P67's witness (n0, l0)",
            quantity="log phi_l0^(n0,t)", stated=("S4", "ZI") + CASE2, unstated=("A3", "EQM"), corrects="P68",
            follows=("P67", "P64"), inconsistencies=(5,),
            needs=("log_phi", "n0", "l0", "l_star", "r", "L_max", "norm_W_kq"), **_S)
def p68(q, ops):
    """P68 corrected (p.23): ``phi_l >= phi_l* exp(-r_t) >= exp(-r_t)/L_max`` (P67, Eq. 11, Lemma 5).

    Two relations (trailing axis): the first from P67 and Eq. (11) alone, the second from
    Lemma 5's ``phi_l* >= 1/L_max`` (zero initialisation; Assumptions 1-3 and equal
    stage-1 margins are Lemma 5's hidden hypotheses). Log space.
    """
    t = np.arange(len(q.n0))
    lw, lo = q.log_phi[t, q.n0, q.l0], q.log_phi[t, q.n0, q.l_star[q.n0]]
    m = np.stack([lw, lo - q.r], axis=-1)
    b = np.stack([lo - q.r, -q.r - ops.log(1.0 * q.L_max)], axis=-1)
    return Check(m, b, ">=", space="log", scale=q.norm_W_kq)


for _d in (
        Decision("false-P68-phi", items=(5,), steps=("P68", "P68'", "P99", "P99'"), category="false",
                 summary="P68's 'phi_l^(n,t) >= exp(-r_t)' does not follow from P67: Eq. (11) gives phi_l = phi_l* "
                         "exp(-(a_l* - a_l)) >= phi_l* exp(-r_t) and phi_l* < 1; it fails where the least margin is "
                         "within -log phi_l* of r_t, e.g. at every t >= t0 when the sample of the least margin "
                         "repeats its optimal token (phi_l* about 1/2); P99's exp(-r_t) rests on it. Corrected: "
                         "phi_l >= exp(-r_t)/L_max (Lemma 5) and A^(n0,*) <= (P_n0 - 1) phi_+^(n0) exp(-r_t) r_t/L_max "
                         "(rows P68', P99'); the later steps carry the factor L_max and Lemma 7 holds",
                 statement_holds=True,
                 evidence=("rows P68, P68', P99, P99' of python -m reference proofs (run 'two tokens, repeated "
                           "optimal token')",
                           "tests/test_proofs_lemma7.py::test_p68_counterexample")),
):
    REGISTRY.add_decision(_d)

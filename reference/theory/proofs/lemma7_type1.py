"""Appendix C.4, p.25-27: Lemma 7's bound for the samples of Type 1, steps P73-P94.

A sample is of Type 1 at ``t`` when ``phi_-^(n,t) >= exp(-(1 + beta_t/2) r_t)``. The proof
bounds ``A^(n,t)`` by ``(1 + beta_t) A^(n,*)`` (P73-P76), splits ``B = B_+ + B_-`` (P77),
uses ``B_-^(n,*) = 0`` (P78), bounds ``B_+`` (P80-P87) and ``B_-`` (P88-P93), and adds
them up (P94): ``A^(n,t) + B^(n,t) >= (1 + 3 beta_t)(A^(n,*) + B^(n,*))``. Relations are
per sample (trailing axis), scaled as in :mod:`reference.theory.proofs.lemma7`; those made
for Type-1 samples only are 0 on the others. The paper's threshold ``T`` is ``tau`` here.
"""

import numpy as np

from .lemma7 import attn_check, only, scaled
from .lemma7_ab import taus73
from .registry import proof_step

__all__ = []

_S = dict(statement="Lemma 7", stage=2)
_T1 = ("S4", "L7_TYPE1")


def _col(x):
    return x[:, None]


def _p73_bound(q, ops, tau, n_non):
    """``(P_n - 1) phi_+ (phi_- tau + 2 n_non exp(-tau) ||W||)`` as scaled terms (value, log-scale)."""
    l1 = q.log_1mP
    return [(-q.phi_plus * tau, q.log_scale7), (-2.0 * n_non * q.phi_plus * _col(q.norm_W_kq), l1 - tau)]


def _sum_scaled(ops, lhs, rhs):
    """Two sums of scaled terms, normalised together: ``(sum lhs, sum rhs)``."""
    vals = scaled(ops, *(lhs + rhs))
    return sum(vals[:len(lhs)]), sum(vals[len(lhs):])


@proof_step("P73", page=25, equation="(a)", kind="INEQ",
            printed="A^(n,t) >= sum_l (P_n - 1) phi_l (sum_{l' notin l(n)} phi_l' T) + sum_l (P_n - 1) phi_l "
                    "(2 sum_{l' notin l(n)} exp(-T) ||W_kq^(t)||) for T >= 0",
            relation="A^(n,t) >= (P_n - 1) phi_+ (phi_- tau + 2 (L^(n) - |l(n)|) exp(-tau) ||W_kq^(t)||) at tau = 0, "
                     "log(2 L_max ||W^(t)||/phi_-), ||W^(t)||",
            quantity="A^(n,t) (scaled)", stated=("A2",), follows=("P72", "P64.2"),
            needs=("A_hat", "log_scale7", "log_1mP", "phi_plus", "norm_W_kq", "n_nonopt", "L_max", "log_phi_minus",
                   "has_nonopt"), **_S)
def p73(q, ops):
    """P73 (p.25, (a)): for ``tau >= 0``, ``diff < tau`` terms are below ``tau``, and ``diff >= tau`` ones have
    ``phi_l' <= exp(-tau)`` (Eq. 11) and ``diff <= 2||W_kq^(t)||`` (Assumption 2). Three thresholds (trailing axis)."""
    ms, bs = [], []
    for tau in taus73(q, ops):
        m, b = _sum_scaled(ops, [(q.A_hat, q.log_scale7)], _p73_bound(q, ops, tau, q.n_nonopt[None, :]))
        ms.append(m)
        bs.append(b)
    return attn_check(q, ops, np.stack(ms, -1), np.stack(bs, -1), ">=")


@proof_step("P74", page=25, equation="", kind="INEQ",
            printed=">= sum_{l in l(n)} (P_n - 1) phi_l (phi_- T + 2 L_max exp(-T) ||W_kq^(t)||)",
            relation="(P_n - 1) phi_+ (phi_- tau + 2 (L^(n) - |l(n)|) e^{-tau} ||W^(t)||) >= (P_n - 1) phi_+ "
                     "(phi_- tau + "
                     "2 L_max e^{-tau} ||W^(t)||) at the three tau of P73",
            quantity="P73's bound (scaled)", follows=("P73",),
            needs=("log_scale7", "log_1mP", "phi_plus", "norm_W_kq", "n_nonopt", "L_max", "log_phi_minus",
                   "has_nonopt"), **_S)
def p74(q, ops):
    """P74 (p.25): a sentence has at most ``L_max`` non-optimal positions."""
    ms, bs = [], []
    for tau in taus73(q, ops):
        m, b = _sum_scaled(ops, _p73_bound(q, ops, tau, q.n_nonopt[None, :]), _p73_bound(q, ops, tau, q.L_max))
        ms.append(m)
        bs.append(b)
    return attn_check(q, ops, np.stack(ms, -1), np.stack(bs, -1), ">=")


def _p75(q, ops):
    """``-phi_+ (1 + log(2 L_max ||W^(t)||) - log phi_-)``: P75's bound divided by ``(1 - P_n) phi_-``."""
    return -q.phi_plus * (1.0 + _col(ops.log(2.0 * q.L_max * q.norm_W_kq)) - q.log_phi_minus)


@proof_step("P75", page=25, equation="(b)", kind="INEQ",
            printed="A^(n,t) >= (P_n - 1) phi_+ phi_- (1 + log(2 L_max ||W_kq^(t)||/phi_-))",
            quantity="A^(n,t) (scaled)", stated=("S4", "A2"), follows=("P74",),
            needs=("A_hat", "phi_plus", "L_max", "norm_W_kq", "log_phi_minus", "log_scale7"), **_S)
def p75(q, ops):
    """P75 (p.25, (b)): P74 at ``tau = log(2 L_max ||W_kq^(t)||/phi_-)``, ``tau >= 0`` for ``t >= t0``."""
    m, b = scaled(ops, (q.A_hat, q.log_scale7), (_p75(q, ops), q.log_scale7))
    return attn_check(q, ops, m, b, ">=")


def _p76a(q, ops):
    return -q.phi_plus * (1.0 + _col(ops.log(2.0 * q.L_max * q.norm_W_kq)) + _col((1.0 + q.beta / 2.0) * q.r))


@proof_step("P76", page=25, equation="Type 1, first inequality", kind="INEQ",
            printed="A^(n,t) >= (P_n - 1) phi_+ phi_- (1 + log(2 L_max ||W_kq^(t)||) + (1 + beta_t/2) r_t)",
            quantity="A^(n,t) (scaled), Type-1 samples", stated=_T1, follows=("P75",),
            needs=("A_hat", "phi_plus", "L_max", "norm_W_kq", "beta", "r", "log_scale7", "type1"), **_S)
def p76(q, ops):
    """P76 (p.25): for a Type-1 sample ``-log phi_- <= (1 + beta_t/2) r_t``, so P75's bound is at least this one."""
    m, b = scaled(ops, (q.A_hat, q.log_scale7), (_p76a(q, ops), q.log_scale7))
    return attn_check(q, ops, *only(q.type1, m, b, ops=ops), ">=")


@proof_step("P76.2", page=25, equation="Type 1, second inequality", kind="INEQ",
            printed="(P_n - 1) phi_+ phi_- (1 + log(2 L_max ||W^(t)||) + (1 + beta_t/2) r_t) >= (P_n - 1) phi_+ phi_- "
                    "(beta_t r_t/2 + (1 + beta_t/2) r_t) = (1 + beta_t)(P_n - 1) phi_+ phi_- r_t",
            quantity="P76's bound (scaled)", stated=_T1, unstated=("S7",), follows=("P76",), inconsistencies=(30,),
            needs=("phi_plus", "L_max", "norm_W_kq", "beta", "r", "log_scale7", "type1"), **_S)
def p76_2(q, ops):
    """P76, second inequality (p.25): ``1 + log(2 L_max ||W_kq^(t)||) <= beta_t r_t/2``.

    ``beta_t r_t/2 = L_max^2 ||W*_kq|| (1 + log(2 L_max ||W_kq^(t)||))``: it needs ``L_max^2 ||W*_kq|| >= 1``
    (S7) and ``1 + log(2 L_max ||W_kq^(t)||) >= 0``.
    """
    m, b = scaled(ops, (_p76a(q, ops), q.log_scale7), (-_col((1.0 + q.beta) * q.r) * q.phi_plus, q.log_scale7))
    return attn_check(q, ops, *only(q.type1, m, b, ops=ops), ">=")


@proof_step("P76.3", page=25, equation="Type 1, last inequality", kind="INEQ",
            printed="(1 + beta_t)(P_n - 1) phi_+ phi_- r_t >= (1 + beta_t) A^(n,*)",
            quantity="(1 + beta_t)(P_n - 1) phi_+ phi_- r_t (scaled)", stated=_T1, follows=("P76.2", "P70.2"),
            needs=("phi_plus", "beta", "r", "A_star_hat", "log_scale7", "type1", "norm_W_kq"), **_S)
def p76_3(q, ops):
    """P76, last inequality (p.25): P70's bound times ``1 + beta_t > 0``."""
    c = _col(1.0 + q.beta)
    m, b = scaled(ops, (-c * _col(q.r) * q.phi_plus, q.log_scale7), (c * q.A_star_hat, q.log_scale7))
    return attn_check(q, ops, *only(q.type1, m, b, ops=ops), ">=")


@proof_step("P77", page=25, equation="B = B_+ + B_-", kind="ID",
            printed="B_+ = sum_{l notin l(n)} Q_{n,l} phi_l (phi_+ a_l - sum_{l' in l(n)} phi_l' a_l'), "
                    "B_- = sum_{l notin "
                    "l(n)} Q_{n,l} phi_l (phi_- a_l - sum_{l' notin l(n)} phi_l' a_l'), B = B_+ + B_-",
            relation="B^(n,t) = B_+^(n,t) + B_-^(n,t) and B^(n,*) = B_+^(n,*) + B_-^(n,*) (phi_+ + phi_- = 1)",
            quantity="B (scaled)", follows=("P69",),
            needs=("B_hat", "Bp_hat", "Bm_hat", "B_star_hat", "Bp_star_hat", "Bm_star_hat", "log_scale7",
                   "log_phi_minus", "norm_W_kq"), **_S)
def p77(q, ops):
    """P77 (p.25): ``B = B_+ + B_-`` for the scores ``a^(n,t)`` and for ``a^(n,*)`` (trailing axis). Scaled."""
    lm = q.log_scale7 + q.log_phi_minus
    out_m, out_b = [], []
    for B, Bp, Bm in ((q.B_hat, q.Bp_hat, q.Bm_hat), (q.B_star_hat, q.Bp_star_hat, q.Bm_star_hat)):
        m, b1, b2 = scaled(ops, (B, q.log_scale7), (Bp, q.log_scale7), (Bm, lm))
        out_m.append(m)
        out_b.append(b1 + b2)
    return attn_check(q, ops, np.stack(out_m, -1), np.stack(out_b, -1), "==")


@proof_step("P78", page=25, equation="", kind="ID", printed="B_-^(n,*) = 0 'due to Proposition 4'",
            quantity="B_-^(n,*) / ((1 - P_n) phi_-^2)", unstated=("EQ_NONOPT",), follows=("P77",),
            inconsistencies=(11,), needs=("Bm_star_hat", "norm_W_kq"), **_S)
def p78(q, ops):
    """P78 (p.25): ``B_-^(n,*) = 0``: true iff every non-optimal token of sentence n has one ``W*_kq`` score.

    That is Proposition 4's "direct result", which holds on prefix-closed realizable data
    (docs/proofs.md) and not on every sample set (condition EQ_NONOPT, decision gap-P78-equal-scores).
    """
    return attn_check(q, ops, q.Bm_star_hat, 0.0, "==")


def _sum_rq_w(q, ops):
    return ops.sum(q.rq * q.w_minus, axis=2)


@proof_step("P79", page=25, equation="", kind="INEQ",
            printed="B^(n,*) = B_+^(n,*) <= sum_{l notin l(n)} Q_{n,l} phi_l (-phi_+) r_t <= 0",
            quantity="B^(n,*) (scaled)", unstated=("EQ_NONOPT",), follows=("P77", "P78", "P65"),
            needs=("B_star_hat", "phi_plus", "r", "rq", "w_minus", "log_scale7", "norm_W_kq"), **_S)
def p79(q, ops):
    """P79 (p.25): ``B^(n,*) <= -phi_+ r_t sum_{l notin l(n)} Q_{n,l} phi_l`` (``a*_l - a*_l* <= -r_t``), with P78."""
    m, b = scaled(ops, (q.B_star_hat, q.log_scale7), (-q.phi_plus * _col(q.r) * _sum_rq_w(q, ops), q.log_scale7))
    return attn_check(q, ops, m, b, "<=")


def _bdiff(q, ops):
    """``(b_{t,l}, b_{*,l})``: ``a_l - a_l*`` and ``(1 + beta_t)(a*_l - a*_l*)`` at ``[t, n, l]`` (P80)."""
    bt = q.a - q.a_opt[..., None]
    bs = _col(1.0 + q.beta)[..., None] * (q.a_star - q.a_star_opt[..., None])
    return bt, bs


def _p80_rhs(q, ops, mask=None):
    bt, bs = _bdiff(q, ops)
    sel = q.nonopt[None] if mask is None else q.nonopt[None] & mask
    return ops.sum(ops.where(sel, q.rq * q.w_minus * q.phi_plus[..., None] * (bt - bs), 0.0), axis=2)


_NEED80 = ("a", "a_opt", "a_star", "a_star_opt", "beta", "nonopt", "rq", "w_minus", "phi_plus")


@proof_step("P80", page=26, equation="", kind="ID",
            printed="B_+^(n,t) - (1 + beta_t) B_+^(n,*) = sum_{l notin l(n)} Q_{n,l} phi_l phi_+ (b_{t,l} - b_{*,l})",
            relation="B_+^(n,t) - (1 + beta_t) B_+^(n,*) = sum_{l notin l(n)} Q_{n,l} phi_l phi_+ (b_{t,l} - b_{*,l}), "
                     "b_{t,l} = a_l - a_l*, b_{*,l} = (1 + beta_t)(a*_l - a*_l*)",
            quantity="B_+ - (1 + beta) B_+^* (scaled)", follows=("P77",),
            needs=("Bp_hat", "Bp_star_hat", "norm_W_kq") + _NEED80, **_S)
def p80(q, ops):
    """P80 (p.26): the optimal positions hold one token, ``phi_+ a_l - sum_{l*} phi_l* a_l* = phi_+ b_{t,l}``."""
    return attn_check(q, ops, q.Bp_hat - _col(1.0 + q.beta) * q.Bp_star_hat, _p80_rhs(q, ops), "==")


@proof_step("P81", page=26, equation="", kind="INEQ",
            printed=">= sum_{l notin l(n), b_t < b_*} Q_{n,l} phi_l phi_+ (b_{t,l} - b_{*,l})",
            quantity="P80's right side (scaled)", follows=("P80",), needs=("norm_W_kq",) + _NEED80, **_S)
def p81(q, ops):
    """P81 (p.26): dropping the non-negative terms (``b_{t,l} >= b_{*,l}``)."""
    bt, bs = _bdiff(q, ops)
    low = ops.midpoint(bt) < ops.midpoint(bs)
    return attn_check(q, ops, _p80_rhs(q, ops), _p80_rhs(q, ops, low), ">=")


def _p82(q, ops):
    """``-2 ||W^(t)|| phi_+ sum_l Q_{n,l} exp(-(1 + beta_t) r_t)`` as (value, log-scale)."""
    return (-2.0 * _col(q.norm_W_kq) * q.phi_plus * ops.sum(q.rq, axis=2), q.log_1mP - _col((1.0 + q.beta) * q.r))


@proof_step("P82", page=26, equation="(a)", kind="INEQ",
            printed=">= sum_{l notin l(n)} Q_{n,l} phi_+ exp(-(1 + beta_t) r_t)(-2 ||W_kq^(t)||)",
            quantity="P81's right side (scaled)", stated=("S4", "A2"), follows=("P81", "P64.2"),
            needs=("norm_W_kq", "log_scale7", "log_1mP", "r") + _NEED80, **_S)
def p82(q, ops):
    """P82 (p.26, (a)): where ``b_t < b_* <= -(1 + beta_t) r_t``, ``phi_l <= exp(-(1 + beta_t) r_t)`` (Eq. 11).

    And ``b_t - b_* >= -2||W_kq^(t)||`` (Assumption 2).
    """
    bt, bs = _bdiff(q, ops)
    low = ops.midpoint(bt) < ops.midpoint(bs)
    m, b = scaled(ops, (_p80_rhs(q, ops, low), q.log_scale7), _p82(q, ops))
    return attn_check(q, ops, m, b, ">=")


@proof_step("P83", page=26, equation="", kind="ID",
            printed="= -2 sum Q_{n,l} phi_+ exp(-(1 + beta_t/2) r_t) ||W_kq^(t)|| exp(-beta_t r_t/2)",
            quantity="P82's bound (scaled)", follows=("P82",),
            needs=("norm_W_kq", "phi_plus", "rq", "log_1mP", "beta", "r"), **_S)
def p83(q, ops):
    """P83 (p.26): ``exp(-(1 + beta) r) = exp(-(1 + beta/2) r) exp(-beta r/2)``."""
    v, lg = _p82(q, ops)
    v2 = v * ops.exp(-_col(q.beta * q.r) / 2.0)
    m, b = scaled(ops, (v, lg), (v2, q.log_1mP - _col((1.0 + q.beta / 2.0) * q.r)))
    return attn_check(q, ops, m, b, "==")


def _p84(q, ops):
    """``-2 L_max (1 - P_n) phi_+ phi_- r_t exp(-beta_t r_t/2) ||W*_kq||`` as (value, log-scale)."""
    return (-2.0 * q.L_max * q.phi_plus * _col(q.r) * q.star_norm_kq, q.log_scale7 - _col(q.beta * q.r) / 2.0)


@proof_step("P84", page=26, equation="(b)", kind="INEQ",
            printed=">= -2 L_max (1 - P_n) phi_+ phi_- r_t exp(-beta_t r_t/2) ||W*_kq||",
            quantity="P82's bound (scaled), Type-1 samples", stated=_T1, follows=("P83",),
            needs=("norm_W_kq", "phi_plus", "rq", "log_1mP", "beta", "r", "L_max", "star_norm_kq", "log_scale7",
                   "type1"), **_S)
def p84(q, ops):
    """P84 (p.26, (b)): ``sum_{l notin l(n)} Q_{n,l} <= L_max (1 - P_n)``, Type 1 ``exp(-(1 + beta/2) r) <= phi_-``,
    ``||W_kq^(t)|| = r_t ||W*_kq||``."""
    v, lg = _p82(q, ops)
    m, b = scaled(ops, (v, lg), _p84(q, ops))
    return attn_check(q, ops, *only(q.type1, m, b, ops=ops), ">=")


@proof_step("P85", page=26, equation="", kind="INEQ", printed=">= 2 L_max exp(-beta_t r_t/2) ||W*_kq|| A^(n,*)",
            quantity="P84's bound (scaled)", stated=_T1, follows=("P84", "P70.2"),
            needs=("phi_plus", "beta", "r", "L_max", "star_norm_kq", "log_scale7", "type1", "A_star_hat",
                   "norm_W_kq"), **_S)
def p85(q, ops):
    """P85 (p.26): P70's ``A^(n,*) <= (P_n - 1) phi_+ phi_- r_t`` times ``2 L_max exp(-beta r/2) ||W*_kq||``."""
    v, lg = _p84(q, ops)
    m, b = scaled(ops, (v, lg), (2.0 * q.L_max * q.star_norm_kq * q.A_star_hat, lg))
    return attn_check(q, ops, *only(q.type1, m, b, ops=ops), ">=")


@proof_step("P86", page=26, equation="(c)", kind="INEQ", printed=">= (||W*_kq||/||W_kq^(t)||) A^(n,*)",
            quantity="P85's bound (scaled)", stated=_T1, unstated=("S7",), follows=("P85",), inconsistencies=(30,),
            needs=("beta", "r", "L_max", "star_norm_kq", "norm_W_kq", "log_scale7", "type1", "A_star_hat"), **_S)
def p86(q, ops):
    """P86 (p.26, (c)): needs ``beta_t/2 >= (||W*_kq||/||W_kq^(t)||) log(2 L_max ||W_kq^(t)||)`` (from S7)."""
    lg = q.log_scale7 - _col(q.beta * q.r) / 2.0
    m, b = scaled(ops, (2.0 * q.L_max * q.star_norm_kq * q.A_star_hat, lg),
                  (_col(q.star_norm_kq / q.norm_W_kq) * q.A_star_hat, q.log_scale7))
    return attn_check(q, ops, *only(q.type1, m, b, ops=ops), ">=")


@proof_step("P87", page=26, equation="", kind="INEQ", printed=">= beta_t A^(n,*)",
            quantity="(||W*_kq||/||W_kq^(t)||) A^(n,*) (scaled)", stated=_T1, unstated=("S7",), follows=("P86",),
            inconsistencies=(30,), needs=("beta", "star_norm_kq", "norm_W_kq", "type1", "A_star_hat"), **_S)
def p87(q, ops):
    """P87 (p.26): needs ``beta_t >= ||W*_kq||/||W_kq^(t)||``.

    That is ``2 L_max^2 ||W*_kq|| (1 + log(2 L_max ||W^(t)||)) >= 1``.
    """
    m = _col(q.star_norm_kq / q.norm_W_kq) * q.A_star_hat
    return attn_check(q, ops, *only(q.type1, m, _col(q.beta) * q.A_star_hat, ops=ops), ">=")


@proof_step("P87.2", page=26, equation="net", kind="INEQ",
            printed="B_+^(n,t) >= (1 + beta_t) B_+^(n,*) + beta_t A^(n,*)", quantity="B_+^(n,t) (scaled)", stated=_T1,
            unstated=("S7",), follows=("P80", "P81", "P82", "P83", "P84", "P85", "P86", "P87"),
            needs=("Bp_hat", "Bp_star_hat", "A_star_hat", "beta", "type1", "norm_W_kq"), **_S)
def p87_2(q, ops):
    """P87, net (p.26): ``B_+^(n,t) >= (1 + beta_t) B_+^(n,*) + beta_t A^(n,*)`` (P80-P87), scaled."""
    b = _col(1.0 + q.beta) * q.Bp_star_hat + _col(q.beta) * q.A_star_hat
    return attn_check(q, ops, *only(q.type1, q.Bp_hat, b, ops=ops), ">=")

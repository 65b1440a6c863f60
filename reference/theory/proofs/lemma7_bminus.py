"""Appendix C.4, p.26-27: Lemma 7's bound on ``B_-`` and the Type-1 bound, steps P88-P94.

``B_-^(n,t) = sum_{l notin l(n)} Q_{n,l} phi_l phi_- (a_l - sum_{l' notin l(n)} (phi_l'/phi_-) a_l')`` is of
second order in ``phi_-``; it is carried as ``Bm_hat = B_- / ((1 - P_n) phi_-^2)``
(:mod:`reference.theory.proofs.measure_lemma7`). P88-P93 bound it by ``beta_t A^(n,*)`` and P94
adds the three bounds of a Type-1 sample. The threshold ``T`` of p.26-27 is ``tau`` here.
"""

import numpy as np

from .lemma7 import attn_check, only, scaled
from .registry import proof_step

__all__ = []

_S = dict(statement="Lemma 7", stage=2)
_T1 = ("S4", "L7_TYPE1")


def _col(x):
    return x[:, None]


def _dev(q, ops):
    """``a_l - sum_{l' notin l(n)} (phi_l'/phi_-) a_l'`` at ``[t, n, l]``, as ``sum_l' w_l' (a_l - a_l')``."""
    pair = q.pos[:, :, None] & q.nonopt[:, None, :]
    d = ops.where(pair[None], q.a[..., :, None] - q.a[..., None, :], 0.0)
    return ops.sum(q.w_minus[..., None, :] * d, axis=3)


def _taus(q, ops):
    """The thresholds ``tau > 0`` of P88-P89: ``log(2||W^(t)||)`` (P90's; 1 where not positive), 1, ``||W^(t)||``."""
    t90 = ops.log(2.0 * q.norm_W_kq)
    t90 = ops.where(ops.midpoint(t90) > 0, t90, 1.0)
    one = 0.0 * t90 + 1.0
    return [_col(t90), _col(one), _col(ops.where(ops.midpoint(q.norm_W_kq) > 0, q.norm_W_kq, 1.0))]


@proof_step("P88", page=26, equation="B_- rewritten", kind="ID",
            printed="B_-^(n,t) = sum_{l notin l(n)} Q_{n,l} phi_l phi_- (a_l - sum_{l' notin l(n)} (phi_l'/phi_-) "
                    "a_l')",
            quantity="B_-^(n,t) / ((1 - P_n) phi_-^2)", follows=("P77",),
            needs=("Bm_hat", "rq", "w_minus", "a", "nonopt", "norm_W_kq"), **_S)
def p88(q, ops):
    """P88 (p.26): ``phi_- a_l - sum_{l' notin l(n)} phi_l' a_l' = phi_- (a_l - sum (phi_l'/phi_-) a_l')``.

    Right side as printed (the weighted mean subtracted); rounding relative to the scores.
    """
    mean = ops.sum(q.w_minus * q.a, axis=2)
    rhs = ops.sum(ops.where(q.nonopt[None], q.rq * q.w_minus * (q.a - mean[..., None]), 0.0), axis=2)
    return attn_check(q, ops, q.Bm_hat, rhs, "==")


@proof_step("P88.2", page=26, equation="the split by a threshold", kind="ID",
            printed="B_-^(n,t) = max_{T > 0} {sum_{diff > -T} ... + sum_{diff < -T} ...}",
            relation="B_-^(n,t) = sum_{l notin l(n), diff >= -tau} Q phi_l phi_- diff + "
                     "sum_{l notin l(n), diff < -tau} "
                     "Q phi_l phi_- diff, diff = a_l - sum_{l' notin l(n)} (phi_l'/phi_-) a_l', for every tau > 0 "
                     "(checked at tau = log(2||W^(t)||), 1, ||W^(t)||)",
            quantity="B_-^(n,t) / ((1 - P_n) phi_-^2)", follows=("P88",), inconsistencies=(12,),
            needs=("Bm_hat", "rq", "w_minus", "a", "pos", "nonopt", "norm_W_kq"), **_S)
def p88_2(q, ops):
    """P88, the split (p.26): an identity for every threshold.

    Printed as a maximum over it (decision typo-P72-P88-max).
    """
    dev = _dev(q, ops)
    out = []
    for tau in _taus(q, ops):
        hi = ops.midpoint(dev) >= -ops.midpoint(tau)[..., None]
        parts = [ops.sum(ops.where(q.nonopt[None] & m, q.rq * q.w_minus * dev, 0.0), axis=2) for m in (hi, ~hi)]
        out.append(parts[0] + parts[1])
    return attn_check(q, ops, np.stack([q.Bm_hat] * 3, axis=-1), np.stack(out, axis=-1), "==")


@proof_step("P89", page=27, equation="(a)", kind="INEQ",
            printed="B_-^(n,t) >= sum_{l notin l(n)} Q_{n,l} phi_- (-phi_l T - 2 ||W_kq^(t)|| exp(-T))",
            relation="B_-^(n,t) >= sum_{l notin l(n)} Q_{n,l} phi_- (-phi_l tau - 2 ||W_kq^(t)|| exp(-tau)) at "
                     "the three "
                     "tau of P88.2",
            quantity="B_-^(n,t) (scaled)", stated=("A2",), follows=("P88.2", "P64.3"),
            needs=("Bm_hat", "rq", "w_minus", "norm_W_kq", "log_scale7", "log_phi_minus"), **_S)
def p89(q, ops):
    """P89 (p.27, (a)): ``diff >= -tau`` terms are at least ``-tau``; where ``diff < -tau``, ``phi_l <= exp(-tau)``
    (Eq. 11 with a convex combination) and ``diff >= -2||W_kq^(t)||`` (Assumption 2)."""
    lm = q.log_scale7 + q.log_phi_minus
    ms, bs = [], []
    for tau in _taus(q, ops):
        m, b1, b2 = scaled(ops, (q.Bm_hat, lm), (-tau * ops.sum(q.rq * q.w_minus, axis=2), lm),
                           (-2.0 * _col(q.norm_W_kq) * ops.sum(q.rq, axis=2), q.log_scale7 - tau))
        ms.append(m)
        bs.append(b1 + b2)
    return attn_check(q, ops, np.stack(ms, -1), np.stack(bs, -1), ">=")


def _lg2w(q, ops):
    return _col(1.0 + ops.log(2.0 * q.norm_W_kq))


@proof_step("P90", page=27, equation="(b)", kind="INEQ",
            printed="B_-^(n,t) >= -L_max (1 - P_n) phi_- (1 + log(2 ||W_kq^(t)||))",
            quantity="B_-^(n,t) (scaled)", stated=("S4", "A2"), unstated=("S6",), follows=("P89",),
            inconsistencies=(30,), needs=("Bm_hat", "L_max", "norm_W_kq", "log_scale7", "log_phi_minus", "phi_plus"),
            **_S)
def p90(q, ops):
    """P90 (p.27, (b)): P89 at ``tau = log(2||W_kq^(t)||)``, which must be ``>= 0``: ``||W_kq^(t)|| >= 1/2`` (S6)."""
    m, b = scaled(ops, (q.Bm_hat, q.log_scale7 + q.log_phi_minus), (-q.L_max * _lg2w(q, ops) + 0.0 * q.phi_plus,
                                                                   q.log_scale7))
    return attn_check(q, ops, m, b, ">=")


def _p91(q, ops, inv_phi_plus):
    return _col(q.L_max * q.star_norm_kq / q.norm_W_kq) * inv_phi_plus * _lg2w(q, ops) * q.A_star_hat


@proof_step("P91", page=27, equation="", kind="INEQ",
            printed=">= (L_max ||W*_kq||/(phi_+ ||W_kq^(t)||)) (1 + log(2 ||W_kq^(t)||)) A^(n,*)",
            quantity="P90's bound (scaled)", stated=("S4",), unstated=("S6",), follows=("P90", "P70.2"),
            needs=("L_max", "norm_W_kq", "star_norm_kq", "phi_plus", "A_star_hat", "has_opt", "has_nonopt"), **_S)
def p91(q, ops):
    """P91 (p.27): ``-(1 - P_n) phi_- >= A^(n,*)/(phi_+ r_t)`` (P70), times ``L_max (1 + log(2||W^(t)||)) >= 0``.

    Divided by ``(1 - P_n) phi_-``; sentences without an optimal and a non-optimal position have both sides 0.
    """
    inv = ops.where(q.has_opt[None, :], 1.0 / q.phi_plus, 0.0)
    m = -q.L_max * _lg2w(q, ops) + 0.0 * q.phi_plus
    both = (q.has_opt & q.has_nonopt)[None, :]
    return attn_check(q, ops, *only(both, m, _p91(q, ops, inv), ops=ops), ">=")


@proof_step("P92", page=27, equation="(c)", kind="INEQ",
            printed=">= (L_max^2 ||W*_kq||/||W_kq^(t)||) (1 + log(2 ||W_kq^(t)||)) A^(n,*)",
            quantity="P91's bound (scaled)", stated=("S4", "ZI"), unstated=("S6", "A3", "EQM"),
            follows=("P91", "Lemma 5"),
            needs=("L_max", "norm_W_kq", "star_norm_kq", "phi_plus", "A_star_hat", "has_opt"), **_S)
def p92(q, ops):
    """P92 (p.27, (c)): Lemma 5's ``phi_+ >= 1/L_max``.

    Lemma 5 states zero initialisation; Assumptions 1-3 and equal stage-1 margins are its hidden hypotheses.
    """
    inv = ops.where(q.has_opt[None, :], 1.0 / q.phi_plus, 0.0)
    m, b = _p91(q, ops, inv), _p91(q, ops, q.L_max + 0.0 * q.phi_plus)
    return attn_check(q, ops, *only(q.has_opt[None, :], m, b, ops=ops),
                 ">=")


@proof_step("P93", page=27, equation="(d)", kind="INEQ", printed=">= beta_t A^(n,*)",
            quantity="P92's bound (scaled)", stated=("S4",), follows=("P92",),
            needs=("L_max", "norm_W_kq", "star_norm_kq", "A_star_hat", "beta"), **_S)
def p93(q, ops):
    """P93 (p.27, (d)): needs ``beta_t >= L_max^2 ||W*_kq|| (1 + log(2||W^(t)||))/||W^(t)||``, i.e.
    ``2||W*_kq|| (1 + log(2 L_max ||W^(t)||)) >= 1 + log(2||W^(t)||)``."""
    m = _col(q.L_max ** 2 * q.star_norm_kq / q.norm_W_kq) * _lg2w(q, ops) * q.A_star_hat
    return attn_check(q, ops, m, _col(q.beta) * q.A_star_hat, ">=")


@proof_step("P94", page=27, equation="Type-1 bound", kind="INEQ",
            printed="A^(n,t) + B^(n,t) >= (1 + beta_t) A^* + ((1 + beta_t) B^* + beta_t A^*) + beta_t A^* = "
                    "(1 + 3 beta_t) A^(n,*) + (1 + beta_t) B^(n,*)",
            quantity="A^(n,t) + B^(n,t) (scaled), Type-1 samples", stated=_T1 + ("ZI",),
            unstated=("EQ_NONOPT", "S6", "S7", "A3", "EQM"), follows=("P76.3", "P87.2", "P93", "P78"),
            needs=("A_hat", "B_hat", "A_star_hat", "B_star_hat", "beta", "type1", "norm_W_kq"), **_S)
def p94(q, ops):
    """P94 (p.27): ``A + B = A + B_+ + B_- >= (1 + beta) A* + (1 + beta) B_+* + beta A* + beta A*``.

    With ``B_+* = B*`` (P78).
    """
    b = _col(1.0 + 3.0 * q.beta) * q.A_star_hat + _col(1.0 + q.beta) * q.B_star_hat
    return attn_check(q, ops, *only(q.type1, q.A_hat + q.B_hat, b, ops=ops), ">=")


@proof_step("P94.2", page=27, equation="Type-1 bound, last step", kind="INEQ",
            printed="(1 + 3 beta_t) A^(n,*) + (1 + beta_t) B^(n,*) >= (1 + 3 beta_t)(A^(n,*) + B^(n,*))",
            quantity="(1 + 3 beta) A* + (1 + beta) B* (scaled)", stated=_T1, unstated=("EQ_NONOPT",),
            follows=("P94", "P79"), needs=("A_star_hat", "B_star_hat", "beta", "type1", "norm_W_kq"), **_S)
def p94_2(q, ops):
    """P94, last step (p.27): ``B^(n,*) <= 0`` (P79)."""
    m = _col(1.0 + 3.0 * q.beta) * q.A_star_hat + _col(1.0 + q.beta) * q.B_star_hat
    b = _col(1.0 + 3.0 * q.beta) * (q.A_star_hat + q.B_star_hat)
    return attn_check(q, ops, *only(q.type1, m, b, ops=ops), ">=")

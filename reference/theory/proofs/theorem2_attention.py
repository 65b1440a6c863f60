"""Appendix C.6, p.30: the attention half of Theorem 2's proof, steps P119-P120 (``min_n phi_+`` from the score gaps).

P119 writes ``phi_+^(n,t)`` through the score gaps; P120 puts in P118's ``(x_l - x_l*)^T W_kq^(t) q_n <=
-C_1 t`` (``C_1 = eta/(4 L_max ||W*_kq||^2)``), which gives Theorem 2's first claim (P120.2), and the
remark's threshold for ``phi_+ >= 1/(1 + eps)`` (P120.3, printed with ``||W*_kq||`` for ``||W*_kq||^2``).
Compared in log space, exact when ``phi_-`` underflows. The conditions are those of
:mod:`reference.theory.proofs.theorem2`.
"""

import numpy as np

from .entries import Check, Decision
from .measure_theorems import ln
from .quantity import Unavailable
from .registry import proof_step, REGISTRY
from .theorem2 import SETTING, THEOREM1_HIDDEN

__all__ = []

_S = dict(statement="Theorem 2", stage=2)


def _with_opt(q):
    idx = np.flatnonzero(q.opt.any(axis=1))
    if not idx.size:
        raise Unavailable("no sentence has an optimal position")
    return idx


def _with_gap(q):
    idx = np.flatnonzero(q.gap_mask.any(axis=1))
    if not idx.size:
        raise Unavailable("no sentence has both an optimal and a non-optimal position")
    return idx


@proof_step("P119", page=30, equation="", kind="ID",
            printed="sum_{l* in l(n)} phi_l*^(n,t) = |l(n)| / (|l(n)| + sum_{l notin l(n)} exp((x_l - x_l*)^T "
                    "W_kq^(t) q_n))",
            quantity="log phi_+^(n,t)", needs=("log_phi", "opt", "score_gap", "gap_mask", "n_opt", "norm_W_kq"), **_S)
def p119(q, ops):
    """P119 (p.30): ``phi_+`` through the score gaps, in log space: ``log phi_+ = -softplus(log S - log|l(n)|)``,
    ``S = sum_{l notin l(n)} exp(gap_l)`` (every sentence with an optimal position; trailing axis)."""
    idx = _with_opt(q)
    lp = ops.logsumexp(q.log_phi, axis=2, mask=q.opt)
    lse = ops.logsumexp(q.score_gap, axis=2, mask=q.gap_mask)
    ln = ops.log(q.n_opt)
    return Check(lp[:, idx], -ops.softplus(lse - ln[None])[:, idx], "==", space="log", scale=q.norm_W_kq)


@proof_step("P120", page=30, equation="first inequality", kind="INEQ",
            printed="phi_+^(n,t) >= |l(n)| / (|l(n)| + (L^(n) - |l(n)|) exp(-t eta/(4 L_max ||W*_kq||^2)))",
            relation="phi_-^(n,t)/phi_+^(n,t) <= ((L^(n) - |l(n)|)/|l(n)|) exp(-C_1 t) (the same, rearranged)",
            quantity="log(phi_-^(n,t)/phi_+^(n,t))", stated=SETTING + ("THM2_t", "t>=2"),
            unstated=THEOREM1_HIDDEN + ("THM2_t'",), follows=("P118'", "P119"),
            needs=("log_phi", "opt", "log_phi_minus", "gap_mask", "n_opt", "len_n", "t2", "eta", "L_max",
                   "star_norm_kq", "norm_W_kq"), **_S)
def p120(q, ops):
    """P120 (p.30): every score gap ``<= -C_1 t`` in P119, ``C_1 = eta/(4 L_max ||W*_kq||^2)``.

    ``phi_+ >= a/(a + b e^{-C_1 t})`` iff ``phi_-/phi_+ <= (b/a) e^{-C_1 t}``: compared in log space (exact
    when ``phi_-`` underflows), every sentence with a non-optimal position (trailing axis).
    """
    idx = _with_gap(q)
    lp = ops.logsumexp(q.log_phi, axis=2, mask=q.opt)
    C1 = q.eta / (4.0 * q.L_max * q.star_norm_kq ** 2)
    b = ops.log((q.len_n - q.n_opt) / q.n_opt)[None] - C1 * q.t2[:, None]
    return Check((q.log_phi_minus - lp)[:, idx], b[:, idx], "<=", space="log", scale=q.norm_W_kq)


@proof_step("P120.2", page=30, equation="second inequality", kind="INEQ",
            printed="|l(n)| / (|l(n)| + (L^(n) - |l(n)|) e^{-C_1 t}) >= 1/(1 + L_max exp(-C_1 t))",
            relation="((L^(n) - |l(n)|)/|l(n)|) e^{-C_1 t} <= L_max e^{-C_1 t}", quantity="log(b/a) - C_1 t",
            follows=("P120",), needs=("gap_mask", "n_opt", "len_n", "t2", "eta", "L_max", "star_norm_kq"), **_S)
def p120_2(q, ops):
    """P120, second inequality (p.30): ``(L^(n) - |l(n)|)/|l(n)| <= L_max``, the first claim of Theorem 2 (log space)."""
    idx = _with_gap(q)
    C1 = q.eta / (4.0 * q.L_max * q.star_norm_kq ** 2)
    b = ops.log((q.len_n - q.n_opt) / q.n_opt)[None] - C1 * q.t2[:, None]
    return Check(b[:, idx], (ln(ops, q.L_max) - C1 * q.t2)[:, None] + 0.0 * b[:, idx], "<=", space="log")


_P120_3 = "1/(1 + L_max exp(-C_1 t)) >= 1/(1 + eps) for t >= (4 L_max ||W*_kq||/eta) log(L_max/eps)"


@proof_step("P120.3", page=30, equation="third inequality (as printed)", kind="INEQ", printed=_P120_3,
            relation="at eps_t = L_max exp(-t eta/(4 L_max ||W*_kq||)) (the eps whose printed threshold is t): "
                     "L_max e^{-C_1 t} <= eps_t",
            quantity="log(L_max e^{-C_1 t})", stated=("t>=1",), recorded="typo-P120-threshold", inconsistencies=(6,),
            needs=("t2", "eta", "L_max", "star_norm_kq"), **_S)
def p120_3_printed(q, ops):
    """P120, third inequality as printed (p.30): the threshold has ``||W*_kq||`` for ``||W*_kq||^2``.

    Recorded false (decision typo-P120-threshold): at the ``eps`` whose printed threshold is ``t`` the
    claim reads ``C_1 t >= t eta/(4 L_max ||W*_kq||)``, false for every ``t >= 1`` when ``||W*_kq|| > 1``.
    """
    C1 = q.eta / (4.0 * q.L_max * q.star_norm_kq ** 2)
    return Check(ln(ops, q.L_max) - C1 * q.t2, ln(ops, q.L_max) - q.t2 * q.eta / (4.0 * q.L_max * q.star_norm_kq),
                 "<=", space="log")


@proof_step("P120.3'", page=30, equation="third inequality (corrected)", kind="INEQ", printed=_P120_3,
            relation="L_max e^{-C_1 t} <= eps for t >= (4 L_max ||W*_kq||^2/eta) log(L_max/eps) (tight at the threshold)",
            quantity="log(L_max e^{-C_1 t})", stated=("t>=1",), corrects="P120.3", inconsistencies=(6,),
            follows=("P120.2",), needs=("t2", "eta", "L_max", "star_norm_kq"), **_S)
def p120_3(q, ops):
    """P120, third inequality corrected (p.30): the threshold ``(4 L_max ||W*_kq||^2/eta) log(L_max/eps)``.

    That is ``log(L_max/eps)/C_1``: the relation is tight at it.
    """
    C1 = q.eta / (4.0 * q.L_max * q.star_norm_kq ** 2)
    return Check(ln(ops, q.L_max) - C1 * q.t2, ln(ops, q.L_max) - q.t2 * q.eta / (4.0 * q.L_max * q.star_norm_kq ** 2),
                 "<=", space="log")


REGISTRY.add_decision(Decision(
    "typo-P120-threshold", items=(6,), steps=("P120.3", "P120.3'"), category="typo",
    summary="P120's eps-threshold t >= (4 L_max ||W*_kq||/eta) log(L_max/eps) needs ||W*_kq||^2: as printed "
            "it claims L_max e^{-C_1 t} <= eps where it is not, at every t >= 1 when ||W*_kq|| > 1 (row P120.3); with "
            "||W*_kq||^2 it is exactly log(L_max/eps)/C_1 (P120.3'). The threshold serves only the remark after Theorem 2",
    evidence=("rows P120.3, P120.3' of python -m reference proofs",)))

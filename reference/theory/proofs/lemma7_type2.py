"""Appendix C.4, p.27-28: Lemma 7's bound for the samples of Type 2, steps P95-P102.

A sample is of Type 2 at ``t`` when ``phi_-^(n,t) < exp(-(1 + beta_t/2) r_t)``. Its ``A + B`` is
bounded below by ``-(1 - P_n) exp(-(1 + beta_t/2) r_t) r_t (1 + beta_t + 2||W*_kq||)`` (P95-P98)
and then, through the sample ``n0`` of P67 (P99, P100), by ``beta_t A^(n0,*)`` (P101, P102).
Per-sample relations have both sides 0 on the Type-1 samples; those about ``n0`` alone are
one number per ``t``. Scaled as in :mod:`reference.theory.proofs.lemma7`.
"""

import numpy as np

from .entries import Check, Decision
from .lemma7 import attn_check, CASE2, n0_of, only, scaled
from .registry import proof_step, REGISTRY

__all__ = []

_S = dict(statement="Lemma 7", stage=2)
_T2 = ("S4", "L7_TYPE2")


def _col(x):
    return x[:, None]


def _type2(q):
    return ~q.type1


def _thr(q):
    """``log((1 - P_n) exp(-(1 + beta_t/2) r_t))``: the scale of the Type-2 bounds."""
    return q.log_1mP + _col(q.log_type_threshold)


def _p95(q, ops):
    return -q.phi_plus * (1.0 + _col(ops.log(q.L_max * q.norm_W_kq)) - q.log_phi_minus)


def _p96(q, ops):
    return -(1.0 + _col((1.0 + q.beta / 2.0) * q.r + ops.log(q.L_max * q.norm_W_kq))) + 0.0 * q.log_1mP


@proof_step("P95", page=27, equation="Type 2, first inequality", kind="INEQ",
            printed="A^(n,t) >= sum_{l*} (P_n - 1) phi_l* phi_- (1 + log(L_max ||W_kq^(t)||/phi_-))",
            quantity="A^(n,t) (scaled), Type-2 samples", stated=_T2 + ("A2",), inconsistencies=(13,),
            follows=("P75",), needs=("A_hat", "phi_plus", "L_max", "norm_W_kq", "log_phi_minus", "log_scale7",
                                     "type1"), **_S)
def p95(q, ops):
    """P95 (p.27): as printed, without the factor 2 of P75 inside the logarithm (decision gap-P95-log).

    It does not follow from P75, but it holds: ``a_l* - a_l' <= -log phi_l'``, so the weighted mean of the
    differences is at most ``-log phi_- + H(phi_l'/phi_-) <= log(L_max/phi_-)``, below the printed
    ``1 + log(L_max ||W_kq^(t)||/phi_-)`` when ``||W_kq^(t)|| >= 1/e``.
    """
    m, b = scaled(ops, (q.A_hat, q.log_scale7), (_p95(q, ops), q.log_scale7))
    return attn_check(q, ops, *only(_type2(q), m, b, ops=ops), ">=")


@proof_step("P96", page=27, equation="Type 2", kind="INEQ",
            printed=">= (P_n - 1) exp(-(1 + beta_t/2) r_t)(1 + (1 + beta_t/2) r_t + log(L_max ||W_kq^(t)||))",
            quantity="P95's bound (scaled)", stated=_T2, follows=("P95",),
            needs=("phi_plus", "L_max", "norm_W_kq", "log_phi_minus", "log_scale7", "type1", "beta", "r", "log_1mP",
                   "log_type_threshold"), **_S)
def p96(q, ops):
    """P96 (p.27): ``x (1 + log(c/x))`` increases on ``x < c``; ``phi_- < exp(-(1 + beta/2) r)`` and ``phi_+ <= 1``."""
    m, b = scaled(ops, (_p95(q, ops), q.log_scale7), (_p96(q, ops), _thr(q)))
    return attn_check(q, ops, *only(_type2(q), m, b, ops=ops), ">=")


@proof_step("P97", page=27, equation="Type 2", kind="INEQ",
            printed=">= (1 + beta_t)(P_n - 1) exp(-(1 + beta_t/2) r_t) r_t", quantity="P96's bound (scaled)",
            stated=_T2, unstated=("S7",), follows=("P96",), inconsistencies=(30,),
            needs=("L_max", "norm_W_kq", "type1", "beta", "r", "log_1mP"), **_S)
def p97(q, ops):
    """P97 (p.27): ``1 + log(L_max ||W_kq^(t)||) <= beta_t r_t/2`` (as P76.2).

    Both sides on the scale ``(1 - P_n) e^{-(1+beta/2) r}``.
    """
    b = -_col((1.0 + q.beta) * q.r) + 0.0 * q.log_1mP
    return attn_check(q, ops, *only(_type2(q), _p96(q, ops), b, ops=ops), ">=")


@proof_step("P98", page=27, equation="Type 2", kind="INEQ",
            printed="B^(n,t) >= -2 (1 - P_n) exp(-(1 + beta_t/2) r_t) ||W_kq^(t)||", quantity="B^(n,t) (scaled)",
            stated=_T2 + ("A2",), follows=("P69",),
            needs=("B_hat", "log_scale7", "norm_W_kq", "log_1mP", "log_type_threshold", "type1"), **_S)
def p98(q, ops):
    """P98 (p.27): ``|a_l - abar| <= 2||W_kq^(t)||`` and ``sum_{l notin l(n)} Q_{n,l} phi_l <= (1 - P_n) phi_-``."""
    m, b = scaled(ops, (q.B_hat, q.log_scale7), (-2.0 * _col(q.norm_W_kq) + 0.0 * q.log_1mP, _thr(q)))
    return attn_check(q, ops, *only(_type2(q), m, b, ops=ops), ">=")


def _n0(q):
    """``(A*_hat, phi_+, log-scale, log(1 - P))`` at ``n0`` (one number per ``t``)."""
    return (n0_of(q.A_star_hat, q), n0_of(q.phi_plus, q), n0_of(q.log_scale7, q), n0_of(q.log_1mP, q))


def _p99(q, ops, corrected):
    A0, p0, ls0, l10 = _n0(q)
    bound = -p0 * q.r / (q.L_max if corrected else 1.0)
    m1, b1, m2, b2 = scaled(ops, (A0, ls0), (-p0 * q.r, ls0), (-p0 * q.r, ls0), (bound, l10 - q.r))
    return attn_check(q, ops, np.stack([m1, m2], -1), np.stack([b1, b2], -1), "<=")


_P99 = ("A^(n0,*) <= (P_n0 - 1) phi_+^(n0) phi_-^(n0) r_t <= (P_n0 - 1) phi_+^(n0) exp(-r_t) r_t for the Type-1 "
        "sample n0 with phi_-^(n0,t) >= exp(-r_t)")
_N99 = ("A_star_hat", "phi_plus", "log_scale7", "log_1mP", "n0", "r", "norm_W_kq")


@proof_step("P99", page=28, equation="(as printed)", kind="INEQ", printed=_P99, quantity="A^(n0,*) (scaled)",
            stated=("S4",) + CASE2, recorded="false-P68-phi", inconsistencies=(5,), follows=("P70.2", "P68"),
            needs=_N99, **_S)
def p99_printed(q, ops):
    """P99 as printed (p.28): the second inequality needs ``phi_-^(n0,t) >= exp(-r_t)``, which rests on P68.

    Recorded false (decision false-P68-phi). ``n0`` is P67's sample. Two relations (trailing axis).
    """
    return _p99(q, ops, corrected=False)


@proof_step("P99'", page=28, equation="(corrected)", kind="INEQ", printed=_P99,
            relation="A^(n0,*) <= (P_n0 - 1) phi_+^(n0) phi_-^(n0) r_t <= (P_n0 - 1) phi_+^(n0) exp(-r_t) r_t / L_max",
            quantity="A^(n0,*) (scaled)", stated=("S4", "ZI") + CASE2, unstated=("A3", "EQM"), corrects="P99",
            inconsistencies=(5,), follows=("P70.2", "P68'"), needs=_N99 + ("L_max",), **_S)
def p99(q, ops):
    """P99 corrected (p.28): with ``phi_-^(n0,t) >= phi_l0^(n0,t) >= exp(-r_t)/L_max`` (P68')."""
    return _p99(q, ops, corrected=True)


@proof_step("P100", page=28, equation="", kind="CLAIM",
            printed="P_n0 < P_n 'due to phi_+^(n0,t) < phi_+^(n,t)'",
            relation="P_n0 <= P_n for every Type-2 sample n (log(1 - P_n) <= log(1 - P_n0))",
            quantity="log(1 - P_n), Type-2 samples", stated=_T2 + ("ZI",) + CASE2, unstated=("EQM", "A3"),
            inconsistencies=(5,),
            follows=("P99'",), needs=("log_1mP", "n0", "type1", "r"), **_S)
def p100(q, ops):
    """P100 (p.28): ``P_n0 <= P_n`` for the Type-2 samples, checked directly (decision gap-P100). Log space."""
    b = n0_of(q.log_1mP, q)[:, None] + 0.0 * q.log_1mP
    return Check(*only(_type2(q), q.log_1mP, b, ops=ops), "<=", space="log", scale=1.0 + q.r)


def _p101(q, ops, factor):
    A0, p0, ls0, _ = _n0(q)
    c = factor * (1.0 + q.beta + 2.0 * q.star_norm_kq) * A0 / p0
    m, b = scaled(ops, (q.A_hat + q.B_hat, q.log_scale7), (_col(c) + 0.0 * q.phi_plus, _col(ls0 - q.beta * q.r / 2.0)))
    return attn_check(q, ops, *only(_type2(q), m, b, ops=ops), ">=")


_P101 = "A^(n,t) + B^(n,t) >= exp(-beta_t r_t/2)(1 + beta_t + 2||W_kq*||) A^(n0,*)/phi_+^(n0,t)"
_N101 = ("A_hat", "B_hat", "log_scale7", "A_star_hat", "phi_plus", "n0", "beta", "r", "star_norm_kq", "type1",
         "norm_W_kq", "log_1mP")


@proof_step("P101", page=28, equation="", kind="INEQ", printed=_P101,
            relation="A^(n,t) + B^(n,t) >= exp(-beta_t r_t/2)(1 + beta_t + 2||W*_kq||) A^(n0,*)/phi_+^(n0,t) for every "
                     "Type-2 sample n", quantity="A^(n,t) + B^(n,t) (scaled), Type-2 samples",
            stated=_T2 + ("ZI",) + CASE2, unstated=("N0_PREMISE", "EQM", "A3"), inconsistencies=(5, 22),
            follows=("P97", "P98", "P99", "P100"), needs=_N101, **_S)
def p101(q, ops):
    """P101 (p.28): P97 + P98, with ``P_n0 <= P_n`` (P100) and P99 divided by ``phi_+^(n0,t)``.

    Printed with ``||W_kq*||`` for ``||W*_kq||`` (decision typo-P101-star). The derivation uses
    P99's ``exp(-r_t)``; with the corrected ``exp(-r_t)/L_max`` it carries ``L_max`` (P101').
    """
    return _p101(q, ops, 1.0)


_P101_2 = ("A^(n,t) + B^(n,t) >= L_max exp(-beta_t r_t/2)(1 + beta_t + 2||W*_kq||) A^(n0,*)/phi_+^(n0,t) for every "
           "Type-2 sample n (P101 with P99' for P99)")


@proof_step("P101.2", page=28, equation="with P99'", kind="INEQ", printed=_P101, relation=_P101_2,
            quantity="A^(n,t) + B^(n,t) (scaled), Type-2 samples", stated=("S4", "L7_TYPE2", "ZI") + CASE2,
            unstated=("EQM", "A3"), inconsistencies=(5,), follows=("P97", "P98", "P99'", "P100"),
            needs=_N101 + ("L_max",), **_S)
def p101_2(q, ops):
    """P101 with the corrected P99' (p.28): the factor ``L_max`` of ``exp(-r_t)/L_max`` carries over."""
    return _p101(q, ops, q.L_max)


def _p102(q, ops, factor):
    A0, p0, ls0, _ = _n0(q)
    c = factor * (1.0 + q.beta + 2.0 * q.star_norm_kq) * A0 / p0
    m, b = scaled(ops, (c, ls0 - q.beta * q.r / 2.0), (q.beta * A0, ls0))
    return attn_check(q, ops, m, b, ">=")


_N102 = ("A_star_hat", "phi_plus", "log_scale7", "n0", "beta", "r", "star_norm_kq", "log_1mP", "norm_W_kq")


@proof_step("P102", page=28, equation="(a)", kind="INEQ",
            printed="exp(-beta_t r_t/2)(1 + beta_t + 2||W*_kq||) A^(n0,*)/phi_+^(n0,t) >= beta_t A^(n0,*)",
            quantity="P101's bound (scaled)", stated=("S4", "L7_TYPE2", "ZI") + CASE2, unstated=("A3", "EQM"),
            inconsistencies=(5,),
            follows=("P101",), needs=_N102, **_S)
def p102(q, ops):
    """P102 (p.28, (a)): true iff ``exp(-beta_t r_t/2)(1 + beta_t + 2||W*_kq||) <= beta_t phi_+^(n0,t)``.

    The paper's justifications drop the factor ``1/phi_+^(n0,t)`` (decision gap-P102-phi-plus).
    """
    return _p102(q, ops, 1.0)


@proof_step("P102.2", page=28, equation="(a), with P99'", kind="INEQ",
            printed="exp(-beta_t r_t/2)(1 + beta_t + 2||W*_kq||) A^(n0,*)/phi_+^(n0,t) >= beta_t A^(n0,*)",
            relation="L_max exp(-beta_t r_t/2)(1 + beta_t + 2||W*_kq||) A^(n0,*)/phi_+^(n0,t) >= beta_t A^(n0,*)",
            quantity="P101.2's bound (scaled)", stated=("S4", "L7_TYPE2", "ZI") + CASE2, unstated=("A3", "EQM"),
            inconsistencies=(5,),
            follows=("P101.2",), needs=_N102 + ("L_max",), **_S)
def p102_2(q, ops):
    """P102 for the corrected chain (p.28): true iff ``L_max exp(-beta r/2)(1 + beta + 2||W*||) <= beta phi_+^(n0)``."""
    return _p102(q, ops, q.L_max)


for _d in (
        Decision("gap-P100", items=(5,), steps=("P100",), category="gap",
                 summary="P100's 'P_n0 < P_n due to phi_+^(n0,t) < phi_+^(n,t)' does not follow from phi_+ alone: "
                         "P_n also depends on how phi_- is split over the non-optimal tokens (counterexample in "
                         "docs/proofs.md); with equal stage-1 margins P_n0 <= P_n holds whenever phi_-^(n0) >= "
                         "2 phi_-^(n), which the Types give for t >= t0 (phi_-^(n0) >= exp(-r_t)/L_max > 2 exp(-(1 + "
                         "beta_t/2) r_t)); row P100 checks it directly and it holds on every run",
                 evidence=("row P100 of python -m reference proofs",
                           "tests/test_proofs_lemma7.py::test_p100_implication_counterexample_and_sufficient_"
                           "condition")),
        Decision("gap-P102-phi-plus", items=(5,), steps=("P101", "P101.2", "P102", "P102.2"), category="gap",
                 summary="P102's justifications ignore the factor 1/phi_+^(n0,t) (up to L_max) of P101: the step "
                         "needs exp(-beta_t r_t/2)(1 + beta_t + 2||W*_kq||) <= beta_t phi_+^(n0,t) (and L_max times "
                         "that with P99'); for t >= t0 it holds (exp(-beta_t r_t/2) = (2e L_max ||W^(t)||)^(-L_max^2 "
                         "||W*_kq||) is tiny, phi_+ >= 1/L_max by Lemma 5); rows P102, P102.2 hold on every run",
                 evidence=("rows P101, P101.2, P102, P102.2 of python -m reference proofs",
                           "tests/test_proofs_lemma7.py::test_p102_condition_for_t_at_least_t0")),
        Decision("gap-P95-log", items=(13,), steps=("P95",), category="gap",
                 summary="P95 drops the factor 2 of P75 inside the logarithm, a stronger bound than P75 gives; it "
                         "holds nevertheless: a_l* - a_l' <= -log phi_l' (Eq. 11 with phi_l* <= 1), so the "
                         "phi_l'/phi_- -weighted mean of the differences is at most log(L_max/phi_-), below "
                         "1 + log(L_max ||W^(t)||/phi_-) once ||W^(t)|| >= 1/e (true for t >= t0); row P95 holds",
                 evidence=("row P95 of python -m reference proofs",
                           "tests/test_proofs_lemma7.py::test_p95_entropy_bound")),
        Decision("typo-P101-star", items=(22,), steps=("P101",), category="typo",
                 summary="P101 prints ||W_kq*|| for ||W*_kq||; read as ||W*_kq|| (the only such norm) it is the "
                         "relation row P101 checks",
                 evidence=("row P101 of python -m reference proofs",)),
):
    REGISTRY.add_decision(_d)

"""Appendix B, p.14-16: convexity, ``L_0(c W*_ov)``, and the proof of Lemma 2, steps P4, P5, P14-P20.

Lemma 2: for each t with ``W_ov^(t) != 0``,
``<Wbar_ov^(t), G1_t> >= (1 + alpha_t^ov) <Wbar*_ov, G1_t>``, ``alpha_t^ov = 2||W*_ov|| log(2|V|)/||W_ov^(t)||``.
Case 1 (``Wbar_ov^(t) = Wbar*_ov``, P14) is Eq. (8). Case 2 (P15-P20): the minimum margin
of ``W_ov^(t)`` is below ``c_t = ||W_ov^(t)||/||W*_ov||`` (P15), so ``L_0(W_ov^(t))`` exceeds
``e^{-c_t}/2`` (P16) while ``W' = (c_t + 2 log(2|V|)) W*_ov`` (P17) has ``L_0(W') <= e^{-c_t}/2``
(P18), and convexity (P4) gives the claim (P19, P20). Under zero initialisation stage 1
is exactly aligned (case 1 at every ``t >= 1``): case 2 is checked on runs from a random
initialisation.

Losses are compared in log space (``log L_0``, exact when ``L_0`` underflows), and P4,
P20 on the gradient scaled by ``exp(-c1_t)``.
"""

import numpy as np

from .entries import Check, Decision
from .registry import proof_step, REGISTRY

__all__ = ["step"]

_S = dict(statement="Lemma 2", stage=1)
_CASE2 = ("W!=0", "NOT_ALIGNED")


def step(key):
    """The step ``key`` of Lemma 2's proof (``"P4"``, ``"P5"``, ``"P14"`` .. ``"P20"``, ``"P16'"``, ...)."""
    return REGISTRY.step(key, module=__name__)


@proof_step("P4", page=14, equation="convexity of L_0", kind="INEQ",
            printed="<theta^(t) - theta', grad L(theta^(t))> >= L(theta^(t)) - L(theta')",
            relation="<W_ov^(t) - W', G1_t> >= L_0(W_ov^(t)) - L_0(W') for W' in {P17's W', W*_ov, 0}",
            quantity="<W_ov^(t) - W', G1_t> (scaled)", inconsistencies=(15,),
            needs=("W_ov", "G1s", "c1", "log_L0", "cp_ov", "W_ov_star", "log_L0_p17", "log_L0_star", "n_tokens"),
            **_S)
def p4(q, ops):
    """P4 (p.14): convexity of ``L_0``, ``<W_ov^(t) - W', G1_t> >= L_0(W_ov^(t)) - L_0(W')``.

    Checked for the three ``W'`` the proofs use or suggest: P17's ``W' = c'_t W*_ov``,
    ``W*_ov`` and ``0`` (trailing axis). Both sides of each are divided by
    ``exp(K)``, ``K`` the largest of ``c1_t + log||W_ov^(t) - W'||``, ``log L_0(W_ov^(t))`` and
    ``log L_0(W')``, so they stay O(1) when the losses and the gradient underflow.
    Printed with ``theta`` and ``L`` for ``W_ov`` and ``L_0`` (decision typo-L-for-L0).
    """
    V = q.n_tokens
    cases = ((q.W_ov - q.cp_ov[:, None, None] * q.W_ov_star[None], q.log_L0_p17),
             (q.W_ov - q.W_ov_star[None], q.log_L0_star),
             (q.W_ov, ops.log(V * ops.log(1.0 * V))))                          # L_0(0) = |V| log|V|
    lhs, rhs = [], []
    for diff, lp in cases:
        K = ops.maximum(ops.maximum(q.c1 + ops.log(ops.norm(diff)), q.log_L0), lp)
        lhs.append(ops.dot(diff, q.G1s) * ops.exp(q.c1 - K))
        rhs.append(ops.exp(q.log_L0 - K) - ops.exp(lp - K))
    return Check(_stack(lhs), _stack(rhs), ">=")


def _stack(xs):
    return np.stack(xs, axis=-1)


@proof_step("P5", page=14, equation="before Lemma 1", kind="CLAIM",
            printed="L_0(c W*_ov) -> 0 as c -> inf ('L reaches the minimum 0 when W_ov = Delta W*_ov')",
            relation="L_0(c W*_ov) = |V| log(1 + (|V| - 1) e^{-c}) (c = ||W_ov^(t)||/||W*_ov||), which tends to 0",
            quantity="log L_0(c_t W*_ov)", stated=("A2",), inconsistencies=(15,),
            needs=("log_L0_cstar", "n_tokens", "c_ov"), **_S)
def p5(q, ops):
    """P5 (p.14): ``L_0(c W*_ov) -> 0``; under Assumption 2 the identity ``L_0(c W*_ov) = |V| log(1 + (|V|-1) e^{-c})``.

    Checked at ``c = c_t = ||W_ov^(t)||/||W*_ov||`` in log space (``log|V| + log_softplus(log(|V|-1) - c)``);
    the infimum 0 is not attained (decision typo-L-for-L0). ``L_0(c W*_ov)`` is computed from
    the logits of ``c W*_ov`` (Section 4.2), not from the closed form.
    """
    V = q.n_tokens
    bound = ops.log(1.0 * V) + ops.log_softplus(ops.log(V - 1.0) - q.c_ov)
    return Check(q.log_L0_cstar, bound, "==", space="log", scale=q.c_ov)


@proof_step("P14", page=15, equation="case Wbar = Wbar*", kind="INEQ", printed="<Wbar*_ov, G1_t> < 0",
            quantity="<g1_t, Wbar*_ov>", stated=("W!=0", "ALIGNED"), follows=("P8",), needs=("ug1_Wstarbar",),
            measured_range=(-1.0, 1.0), **_S)
def p14(q, ops):
    """P14 (p.15): in case 1 (``Wbar_ov^(t) = Wbar*_ov``), ``<Wbar*_ov, G1_t> < 0`` (Eq. 8), so Lemma 2 holds.

    Checked on the unit gradient (``< 0`` read as ``<= 0`` up to rounding; strictness is
    not decidable in floating point).
    """
    return Check(q.ug1_Wstarbar, 0.0, "<=")


@proof_step("P15", page=15, equation="case Wbar != Wbar*", kind="INEQ",
            printed="(e_In(x0) - e_i)^T W_ov^(t) x0 < ||W_ov^(t)||/||W*_ov|| for some x0, i0 != In(x0)",
            relation="min_{x, i != In(x)} (e_In(x) - e_i)^T W_ov^(t) x < ||W_ov^(t)||/||W*_ov||",
            quantity="smallest margin of W_ov^(t)", stated=_CASE2, inconsistencies=(16,),
            needs=("margin_min1", "c_ov", "norm_W_ov"), **_S)
def p15(q, ops):
    """P15 (p.15): in case 2 some margin of ``W_ov^(t)`` is below ``||W_ov^(t)||/||W*_ov||`` (uniqueness of Eq. 2's solution).

    The printed ``e_i`` is ``e_i0`` (decision typo-P15-index). Strict read as non-strict up
    to rounding of margins of size ``||W_ov^(t)||``.
    """
    return Check(q.margin_min1, q.c_ov, "<=", scale=q.norm_W_ov)


_P16 = "L_0(W_ov^(t)) = sum_x log(1 + sum_i exp((e_i - e_In(x))^T W_ov^(t) x))"


@proof_step("P16", page=15, equation="case 2, first line (as printed)", kind="ID", printed=_P16,
            quantity="log L_0(W_ov^(t)) (engine)", recorded="typo-P16-sum", inconsistencies=(15,),
            needs=("log_loss0", "D1", "c_ov"), **_S)
def p16_printed(q, ops):
    """P16 as printed (p.15): the sum over *every* ``i`` (including ``In(x)``, whose term is ``e^0 = 1``).

    Recorded false (decision typo-P16-sum): it adds 1 inside every logarithm. Left: the
    engine's ``log L_0``; right: the printed sum, in log space.
    """
    rhs = ops.logsumexp(ops.log_softplus(ops.logsumexp(q.D1, axis=1)), axis=1)
    return Check(q.log_loss0, rhs, "==", space="log", scale=q.c_ov)


@proof_step("P16'", page=15, equation="case 2, first line (corrected)", kind="ID", printed=_P16,
            relation="L_0(W_ov^(t)) = sum_x log(1 + sum_{i != In(x)} exp((e_i - e_In(x))^T W_ov^(t) x))",
            quantity="log L_0(W_ov^(t)) (engine)", corrects="P16", inconsistencies=(15,),
            needs=("log_loss0", "log_L0", "c_ov"), **_S)
def p16(q, ops):
    """P16 corrected (p.15): ``L_0(W_ov^(t)) = sum_x log(1 + sum_{i != In(x)} exp((e_i - e_In(x))^T W_ov^(t) x))``.

    Left: the engine's recorded ``log L_0``; right: the formula from the iterate's logits,
    in log space (``logsumexp_x log_softplus(u1)``). Holds at every ``t``.
    """
    return Check(q.log_loss0, q.log_L0, "==", space="log", scale=q.c_ov)


@proof_step("P16.2", page=15, equation="case 2, second relation", kind="INEQ",
            printed="L_0(W_ov^(t)) > log(1 + exp(-||W_ov^(t)||/||W*_ov||))", quantity="log L_0(W_ov^(t))",
            stated=_CASE2, follows=("P15", "P16'"), needs=("log_L0", "c_ov"), **_S)
def p16_2(q, ops):
    """P16, second relation (p.15): ``L_0(W_ov^(t)) > log(1 + exp(-c_t))``, ``c_t = ||W_ov^(t)||/||W*_ov||`` (from P15).

    In log space: ``log L_0 >= log_softplus(-c_t)``.
    """
    return Check(q.log_L0, ops.log_softplus(-q.c_ov), ">=", space="log", scale=q.c_ov)


@proof_step("P16.3", page=15, equation="case 2, third relation", kind="INEQ",
            printed="log(1 + exp(-||W_ov^(t)||/||W*_ov||)) > (1/2) exp(-||W_ov^(t)||/||W*_ov||)",
            quantity="log log(1 + e^{-c_t})", stated=_CASE2, follows=("P16.2",), needs=("c_ov",), **_S)
def p16_3(q, ops):
    """P16, third relation (p.15): ``log(1 + e^{-c}) > e^{-c}/2`` (``log(1 + x) >= x/2`` on ``(0, 1)``), in log space."""
    return Check(ops.log_softplus(-q.c_ov), -q.c_ov - ops.log(2.0), ">=", space="log", scale=q.c_ov)


def _line1_bound(q, ops):
    """``log sum_x log(1 + (|V|-1) exp(-c'_t))`` with ``c'_t = c_t + 2 log(2|V|)``."""
    V = q.n_tokens
    return ops.log(1.0 * V) + ops.log_softplus(ops.log(V - 1.0) - q.cp_ov)


_P18 = "L_0(W_ov^(t)) <= sum_x log(1 + (|V|-1) exp(-||W_ov^(t)||/||W*_ov|| - 2 log(2|V|)))"


@proof_step("P18", page=16, equation="first line (as printed)", kind="INEQ", printed=_P18,
            quantity="log L_0(W_ov^(t))", stated=("W!=0",), recorded="typo-P18-lines", inconsistencies=(14,),
            needs=("log_L0", "n_tokens", "cp_ov"), **_S)
def p18_printed(q, ops):
    """P18 as printed (p.16): the first line with ``L_0(W_ov^(t))`` where ``L_0(W')`` is meant.

    Recorded false (decision typo-P18-lines): ``L_0(W_ov^(t)) > L_0(W')`` (P19), and under
    Assumption 2 ``L_0(W')`` equals the right side. Log space.
    """
    return Check(q.log_L0, _line1_bound(q, ops), "<=", space="log", scale=q.cp_ov)


@proof_step("P18'", page=16, equation="first line (corrected)", kind="INEQ", printed=_P18,
            relation="L_0(W') <= sum_x log(1 + (|V|-1) exp(-c'_t)), c'_t = ||W_ov^(t)||/||W*_ov|| + 2 log(2|V|)",
            quantity="log L_0(W')", stated=("W!=0",), corrects="P18", inconsistencies=(14,),
            needs=("log_L0_p17", "n_tokens", "cp_ov"), note="an equality under Assumption 2 (every margin of W' "
                                                            "is c'_t)", **_S)
def p18(q, ops):
    """P18 corrected (p.16): ``L_0(W') <= sum_x log(1 + (|V|-1) exp(-c'_t))`` for P17's ``W' = c'_t W*_ov``.

    ``L_0(W')`` from the logits of ``W'``; equality under Assumption 2. Log space.
    """
    return Check(q.log_L0_p17, _line1_bound(q, ops), "<=", space="log", scale=q.cp_ov)


@proof_step("P18.2", page=16, equation="second line", kind="INEQ",
            printed="sum_x log(1 + (|V|-1) exp(-c'_t)) <= sum_x |V| exp(-c'_t)",
            quantity="log sum_x log(1 + (|V|-1) e^{-c'_t})", stated=("W!=0",), follows=("P18'",),
            needs=("n_tokens", "cp_ov"), inconsistencies=(14,), **_S)
def p18_2(q, ops):
    """P18, second line (p.16): ``sum_x log(1 + (|V|-1) e^{-c'}) <= |V|^2 e^{-c'}`` (``log(1 + x) <= x``). Log space."""
    V = q.n_tokens
    return Check(_line1_bound(q, ops), 2.0 * ops.log(1.0 * V) - q.cp_ov, "<=", space="log", scale=q.cp_ov)


_P18_3 = "sum_x |V| exp(-c_t - log(2|V|)) <= (1/2) exp(-c_t)"


@proof_step("P18.3", page=16, equation="last line (constant as printed)", kind="INEQ", printed=_P18_3,
            quantity="log(|V|^2 e^{-c_t - log(2|V|)})", stated=("W!=0",), recorded="typo-P18-lines",
            inconsistencies=(14,), needs=("n_tokens", "c_ov", "lam"), **_S)
def p18_3_printed(q, ops):
    """P18, last line (p.16), with the printed ``-log(2|V|)``: ``|V|^2 e^{-c - log(2|V|)} = |V| e^{-c}/2 <= e^{-c}/2``.

    Recorded false (decision typo-P18-lines): it fails by the factor ``|V|`` for every
    ``|V| >= 2``. Log space.
    """
    V = q.n_tokens
    return Check(2.0 * ops.log(1.0 * V) - q.c_ov - q.lam, -ops.log(2.0) - q.c_ov, "<=", space="log", scale=q.c_ov)


@proof_step("P18.3'", page=16, equation="last line (corrected)", kind="INEQ", printed=_P18_3,
            relation="sum_x |V| exp(-c_t - 2 log(2|V|)) <= (1/2) exp(-c_t)", quantity="log(|V|^2 e^{-c'_t})",
            stated=("W!=0",), corrects="P18.3", follows=("P18.2",), inconsistencies=(14,),
            needs=("n_tokens", "cp_ov", "c_ov"), note="the left side is (1/4) exp(-c_t)", **_S)
def p18_3(q, ops):
    """P18, last line (p.16), with ``2 log(2|V|)`` (W''s constant, P17): ``|V|^2 e^{-c'} = e^{-c}/4 <= e^{-c}/2``. Log space."""
    V = q.n_tokens
    return Check(2.0 * ops.log(1.0 * V) - q.cp_ov, -ops.log(2.0) - q.c_ov, "<=", space="log", scale=q.cp_ov)


@proof_step("P19", page=16, equation="case 2", kind="INEQ", printed="L_0(W_ov^(t)) > L_0(W')",
            quantity="log L_0(W_ov^(t))", stated=_CASE2, follows=("P16.3", "P18.3'"),
            needs=("log_L0", "log_L0_p17", "cp_ov"), **_S)
def p19(q, ops):
    """P19 (p.16): in case 2, ``L_0(W_ov^(t)) > L_0(W')`` (P16 and P18). Log space."""
    return Check(q.log_L0, q.log_L0_p17, ">=", space="log", scale=q.cp_ov)


@proof_step("P20", page=16, equation="case 2, convexity", kind="INEQ",
            printed="0 < <W_ov^(t) - W', G1_t> = <W_ov^(t), G1_t> - (||W_ov^(t)||/||W*_ov|| + 2 log(2|V|)) "
                    "<W*_ov, G1_t>",
            quantity="<W_ov^(t) - W', G1_t> exp(-c1_t)", stated=_CASE2, follows=("P4", "P19"),
            needs=("W_ov", "cp_ov", "W_ov_star", "G1s", "norm_G1s"), **_S)
def p20(q, ops):
    """P20 (p.16): in case 2, ``<W_ov^(t) - W', G1_t> > 0`` (P4 with P19); dividing by ``||W_ov^(t)||`` gives Lemma 2.

    Scaled by ``exp(-c1_t)``; rounding relative to ``||W_ov^(t) - W'|| ||G1s||``.
    """
    diff = q.W_ov - q.cp_ov[:, None, None] * q.W_ov_star[None]
    return Check(ops.dot(diff, q.G1s), 0.0, ">=", scale=ops.norm(diff) * q.norm_G1s)


for _d in (
        Decision("typo-P16-sum", items=(15,), steps=("P16", "P16'"), category="typo",
                 summary="P16's sum over i must exclude i = In(x): as printed the 'identity' adds 1 inside every "
                         "logarithm and fails at every t (row P16); corrected it holds (P16'), and the "
                         "inequalities after it (P16.2, P16.3) hold with either form, the printed value being larger",
                 evidence=("rows P16, P16' of python -m reference proofs",
                           "tests/test_proofs_steps.py::test_recorded_typos_fail_and_their_corrections_hold")),
        Decision("typo-L-for-L0", items=(15,), steps=("P4", "P5", "P9", "P16", "P18", "P21"), category="typo",
                 summary="L (the loss of Eq. 1) is written for L_0 in P4, P9, P16, P18, P21 and in P5's 'L reaches "
                         "the minimum 0 when W_ov = Delta W*_ov': G1_t is the gradient of L_0, the only loss of W_ov "
                         "alone, and every step holds with L_0 (rows P4, P5, P9, P16', P18', P21'); P5's infimum 0 "
                         "is not attained (L_0(c W*_ov) > 0 for every c)",
                 evidence=("rows P4, P5, P9, P16', P18', P21' of python -m reference proofs",)),
        Decision("typo-P18-lines", items=(14,), steps=("P18", "P18'", "P18.3", "P18.3'"), category="typo",
                 summary="P18's first line writes L_0(W_ov^(t)) for L_0(W') (as printed it fails: P19 says "
                         "L_0(W_ov^(t)) > L_0(W')), and the constant in the exponent changes from -log(2|V|) to "
                         "-2 log(2|V|) between lines: read with -log(2|V|) the last inequality fails by the factor "
                         "|V| (row P18.3); with 2 log(2|V|), the constant of W' (P17), the chain holds (P18', P18.2, "
                         "P18.3') and its last value is (1/4) e^{-c}",
                 evidence=("rows P18, P18', P18.2, P18.3, P18.3' of python -m reference proofs",
                           "tests/test_proofs_steps.py::test_recorded_typos_fail_and_their_corrections_hold")),
        Decision("typo-P15-index", items=(16,), steps=("P15",), category="typo",
                 summary="P15 writes e_i for e_i0 (the wrong token i0 of x0); read with i0 it is the minimum-margin "
                         "statement checked by row P15",
                 evidence=("row P15 of python -m reference proofs (random-initialisation runs)",))):
    REGISTRY.add_decision(_d)

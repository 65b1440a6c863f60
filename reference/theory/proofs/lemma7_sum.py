"""Appendix C.4, p.28: the end of Lemma 7's proof, the summary chain P103 (printed and corrected).

With ``S1 = sum_{Type 1} pi^(n) (A^(n,*) + B^(n,*))`` and ``S2`` the same over Type 2, the paper writes

    sum_n pi (A + B) >= max_{n0 Type 1} beta A^(n0,*) + sum_{Type 1} pi ((1 + 3 beta) A* + (1 + beta_1) B*)   (P103)
                     >= N beta S1 + (1 + 3 beta) S1                                                      (P103.2)
                     >= (1 + (N + 3) beta) S1                                                            (P103.3)
                     >= (1 + alpha) S2 + (1 + alpha) S1                                                  (P103.4)
                      = (1 + alpha) sum_n pi (A* + B*)                                                   (P103.5)

and multiplies by ``Delta`` (P69.2) to get Lemma 7. P103.2 needs ``N pi^(n0) >= 1`` (false for
unequal frequencies), P103.4 needs ``alpha_t = 2 N beta_t >= (N + 3) beta_t``, i.e. ``N >= 3``. The
corrected chain: P103' (the ``n0`` of P99, not a maximum), P103.2' (``beta/pi^(n0)`` for ``N beta``),
P103.6 (which needs ``pi^(n0) >= 1/(2N - 3)``), P103.7 (the conclusion). Every sum is divided by
``exp(K_t)``, ``K_t`` the largest ``log(pi_n (1 - P_n) phi_-^(n,t))``.
"""

import numpy as np

from .entries import Decision
from .lemma7 import attn_check, CASE2, n0_of
from .registry import proof_step, REGISTRY

__all__ = []

_S = dict(statement="Lemma 7", stage=2)
_ST = ("S4", "ZI") + CASE2
#: Lemma 5's hidden hypotheses (the Type-1 bound uses phi_+ >= 1/L_max) and P100's equal stage-1 margins.
_HID = ("A3", "EQM")


def _col(x):
    return x[:, None]


def _sums(q, ops):
    """``(w, u, K)``: ``w[t, n] = pi_n exp(log_scale7 - K_t)`` and ``u[t, n] = exp(log_scale7 - K_t)`` (0 without a
    non-optimal position), so ``pi_n A^(n,t) = exp(K_t) w A_hat``."""
    ls = q.log_scale7
    lw = ops.log(q.pi)[None, :] + ls
    K = ops.max(lw, axis=1)
    K = ops.where(np.isfinite(ops.midpoint(K)), K, 0.0)
    dead = np.isneginf(ops.midpoint(ls))
    return ops.where(dead, 0.0, ops.exp(lw - _col(K))), ops.where(dead, 0.0, ops.exp(ls - _col(K)))


def _S12(q, ops):
    w, _ = _sums(q, ops)
    x = w * (q.A_star_hat + q.B_star_hat)
    return ops.sum(ops.where(q.type1, x, 0.0), axis=1), ops.sum(ops.where(q.type1, 0.0, x), axis=1)


def _lhs(q, ops):
    w, _ = _sums(q, ops)
    return ops.sum(w * (q.A_hat + q.B_hat), axis=1)


def _type1_terms(q, ops):
    w, _ = _sums(q, ops)
    x = w * (_col(1.0 + 3.0 * q.beta) * q.A_star_hat + _col(1.0 + q.beta) * q.B_star_hat)
    return ops.sum(ops.where(q.type1, x, 0.0), axis=1)


def _beta_A_n0(q, ops):
    """``beta_t A^(n0,*)`` (no frequency: one sample's ``A``) in the scaled units."""
    _, u = _sums(q, ops)
    return q.beta * n0_of(u * q.A_star_hat, q)


def _line1(q, ops):
    return _beta_A_n0(q, ops) + _type1_terms(q, ops)


_NS = ("pi", "log_scale7")
_N1 = _NS + ("A_hat", "B_hat", "A_star_hat", "B_star_hat", "beta", "type1", "norm_W_kq")


@proof_step("P103", page=28, equation="first line (as printed)", kind="INEQ",
            printed="sum_n pi^(n)(A^(n,t) + B^(n,t)) >= max_{n0 Type 1} beta_t A^(n0,*) + sum_{Type 1} pi^(n) "
                    "((1 + 3 beta_t) A^(n,*) + (1 + beta_1) B^(n,*))",
            relation="sum_n pi^(n)(A^(n,t) + B^(n,t)) >= max_{n Type 1} beta_t A^(n,*) + sum_{Type 1} pi^(n) "
                     "((1 + 3 beta_t) A^(n,*) + (1 + beta_t) B^(n,*))",
            quantity="sum_n pi (A + B) (scaled)", stated=_ST, unstated=_HID, inconsistencies=(4,),
            follows=("P94", "P102"), needs=_N1, **_S)
def p103(q, ops):
    """P103, first line (p.28), with the maximum over the Type-1 samples as printed (decision gap-P103-max).

    The Type-2 bound (P102) was shown for one sample ``n0`` only; ``beta_1`` is read ``beta_t``
    (decision typo-P103-beta1).
    """
    _, u = _sums(q, ops)
    best = ops.max(ops.where(q.type1, u * q.A_star_hat, -np.inf), axis=1)
    best = ops.where(np.isfinite(ops.midpoint(best)), best, 0.0)
    return attn_check(q, ops, _lhs(q, ops), q.beta * best + _type1_terms(q, ops), ">=")


@proof_step("P103'", page=28, equation="first line (n0 of P99)", kind="INEQ",
            printed="sum_n pi^(n)(A^(n,t) + B^(n,t)) >= max_{n0 Type 1} beta_t A^(n0,*) + sum_{Type 1} pi^(n) "
                    "((1 + 3 beta_t) A^(n,*) + (1 + beta_1) B^(n,*))",
            relation="sum_n pi^(n)(A^(n,t) + B^(n,t)) >= beta_t A^(n0,*) + sum_{Type 1} pi^(n) ((1 + 3 beta_t) "
                     "A^(n,*) + "
                     "(1 + beta_t) B^(n,*)), n0 P67's sample (Type-2 samples: P102, sum_{Type 2} pi <= 1)",
            quantity="sum_n pi (A + B) (scaled)", stated=_ST, unstated=_HID, inconsistencies=(4,),
            follows=("P94", "P102"), needs=_N1 + ("n0",), **_S)
def p103c(q, ops):
    """P103, first line for the one ``n0`` of P99-P102 (p.28).

    Each Type-2 sample has ``A + B >= beta A^(n0,*)``, which is ``<= 0``.
    """
    return attn_check(q, ops, _lhs(q, ops), _line1(q, ops), ">=")


_N2 = _NS + ("A_star_hat", "B_star_hat", "beta", "type1", "n0", "norm_W_kq")


@proof_step("P103.2", page=28, equation="second line (as printed)", kind="INEQ",
            printed="... >= sum_{Type 1} N pi^(n) beta_t (A^(n,*) + B^(n,*)) + (1 + 3 beta_t) sum_{Type 1} pi^(n) "
                    "(A^(n,*) + B^(n,*))",
            quantity="P103's bound (scaled)", stated=_ST, recorded="false-P103-pi", inconsistencies=(4,),
            follows=("P103'",), needs=_N2 + ("N",), **_S)
def p103_2_printed(q, ops):
    """P103, second line as printed (p.28): ``beta A^(n0,*) >= N beta S1`` silently needs ``N pi^(n0) >= 1``.

    Recorded false (decision false-P103-pi): with unequal frequencies it fails while Lemma 7 holds.
    """
    S1, _ = _S12(q, ops)
    return attn_check(q, ops, _line1(q, ops), q.N * q.beta * S1 + (1.0 + 3.0 * q.beta) * S1, ">=")


def _line2c(q, ops):
    S1, _ = _S12(q, ops)
    return q.beta / q.pi[q.n0] * S1 + (1.0 + 3.0 * q.beta) * S1


@proof_step("P103.2'", page=28, equation="second line (corrected)", kind="INEQ",
            printed="... >= sum_{Type 1} N pi^(n) beta_t (A^(n,*) + B^(n,*)) + (1 + 3 beta_t) sum_{Type 1} pi^(n) "
                    "(A^(n,*) + B^(n,*))",
            relation="beta_t A^(n0,*) + sum_{Type 1} pi ((1 + 3 beta_t) A* + (1 + beta_t) B*) >= (beta_t/pi^(n0)) S1 + "
                     "(1 + 3 beta_t) S1 (A^(n0,*) >= A^(n0,*) + B^(n0,*) >= S1/pi^(n0), B* <= 0)",
            quantity="P103's bound (scaled)", stated=_ST, unstated=("EQ_NONOPT",) + _HID, corrects="P103.2",
            inconsistencies=(4,), follows=("P103'", "P79"), needs=_N2, **_S)
def p103_2(q, ops):
    """P103, second line corrected (p.28): ``n0`` is of Type 1 and every ``A*``, ``B*`` is ``<= 0`` (P70, P79)."""
    return attn_check(q, ops, _line1(q, ops), _line2c(q, ops), ">=")


@proof_step("P103.3", page=28, equation="third line", kind="INEQ",
            printed="... >= (1 + (N + 3) beta_t) sum_{Type 1} pi^(n) (A^(n,*) + B^(n,*))",
            relation="N beta_t S1 + (1 + 3 beta_t) S1 >= (1 + (N + 3) beta_t) S1 (an equality)",
            quantity="P103.2's bound (scaled)", stated=_ST, follows=("P103.2",), needs=_NS + (
                "A_star_hat", "B_star_hat", "beta", "type1", "N", "norm_W_kq"), **_S)
def p103_3(q, ops):
    """P103, third line (p.28): collecting the terms (an equality)."""
    S1, _ = _S12(q, ops)
    return attn_check(q, ops, q.N * q.beta * S1 + (1.0 + 3.0 * q.beta) * S1, (1.0 + (q.N + 3.0) * q.beta) * S1, ">=")


@proof_step("P103.4", page=28, equation="fourth line", kind="INEQ",
            printed="... >= (1 + alpha_t) sum_{Type 2} pi^(n) (A^(n,*) + B^(n,*)) + (1 + alpha_t) sum_{Type 1} pi^(n) "
                    "(A^(n0,*) + B^(n0,*))",
            relation="(1 + (N + 3) beta_t) S1 >= (1 + alpha_t) S2 + (1 + alpha_t) S1 (needs alpha_t = 2 N beta_t >= "
                     "(N + 3) beta_t and S2 <= 0)",
            quantity="P103.3's bound (scaled)", stated=_ST, unstated=("S5", "EQ_NONOPT") + _HID, follows=("P103.3",),
            inconsistencies=(4,),
            needs=_NS + ("A_star_hat", "B_star_hat", "beta", "type1", "N", "alpha_kq", "norm_W_kq"),
            **_S)
def p103_4(q, ops):
    """P103, fourth line (p.28): ``alpha_t >= (N + 3) beta_t`` iff ``N >= 3`` (S5); ``(A^(n0,*) + B^(n0,*))``
    inside the Type-1 sum is read ``(A^(n,*) + B^(n,*))`` (decision typo-P103-beta1)."""
    S1, S2 = _S12(q, ops)
    return attn_check(q, ops, (1.0 + (q.N + 3.0) * q.beta) * S1, (1.0 + q.alpha_kq) * (S2 + S1), ">=")


@proof_step("P103.5", page=28, equation="last line", kind="ID",
            printed="= (1 + alpha_t) sum_n pi^(n) (A^(n,*) + B^(n,*))", quantity="P103.4's bound (scaled)",
            stated=_ST, follows=("P103.4",),
            needs=_NS + ("A_star_hat", "B_star_hat", "type1", "alpha_kq", "norm_W_kq"), **_S)
def p103_5(q, ops):
    """P103, last line (p.28): the Type-1 and Type-2 sums make the sum over every sample."""
    S1, S2 = _S12(q, ops)
    w, _ = _sums(q, ops)
    total = ops.sum(w * (q.A_star_hat + q.B_star_hat), axis=1)
    return attn_check(q, ops, (1.0 + q.alpha_kq) * (S2 + S1), (1.0 + q.alpha_kq) * total, "==")


@proof_step("P103.6", page=28, equation="third and fourth lines (corrected)", kind="INEQ",
            printed="... >= (1 + (N + 3) beta_t) sum_{Type 1} pi (A* + B*) >= (1 + alpha_t) sum_{Type 2} pi (A* + B*) "
                    "+ (1 + alpha_t) sum_{Type 1} pi (A* + B*)",
            relation="(beta_t/pi^(n0)) S1 + (1 + 3 beta_t) S1 >= (1 + alpha_t)(S1 + S2) (needs alpha_t >= (3 + "
                     "1/pi^(n0)) beta_t, i.e. pi^(n0) >= 1/(2N - 3), and S2 <= 0)",
            quantity="P103.2''s bound (scaled)", stated=_ST, unstated=("PI_N0", "EQ_NONOPT") + _HID,
            follows=("P103.2'",),
            inconsistencies=(4,), needs=_N2 + ("alpha_kq",), **_S)
def p103_6(q, ops):
    """P103 corrected, lines 3-4 (p.28): the end of the corrected chain; ``pi^(n0) >= 1/(2N - 3)`` (PI_N0) suffices."""
    S1, S2 = _S12(q, ops)
    return attn_check(q, ops, _line2c(q, ops), (1.0 + q.alpha_kq) * (S1 + S2), ">=")


@proof_step("P103.7", page=28, equation="conclusion", kind="INEQ",
            printed="sum_n pi^(n)(A^(n,t) + B^(n,t)) >= (1 + alpha_t) sum_n pi^(n)(A^(n,*) + B^(n,*))",
            relation="sum_n pi^(n)(A^(n,t) + B^(n,t)) >= (1 + alpha_t) sum_n pi^(n)(A^(n,*) + B^(n,*)): times Delta "
                     "(P69.2) it is Lemma 7",
            quantity="sum_n pi (A + B) (scaled)", stated=_ST, unstated=_HID, follows=("P103.5", "P103.6", "P69.2"),
            needs=_NS + ("A_hat", "B_hat", "A_star_hat", "B_star_hat", "alpha_kq", "norm_W_kq"), **_S)
def p103_7(q, ops):
    """P103's conclusion (p.28): Lemma 7 divided by ``Delta``, in ``A`` and ``B`` (P69.2 makes it the statement)."""
    w, _ = _sums(q, ops)
    total = ops.sum(w * (q.A_star_hat + q.B_star_hat), axis=1)
    return attn_check(q, ops, _lhs(q, ops), (1.0 + q.alpha_kq) * total, ">=")


for _d in (
        Decision("gap-P103-max", items=(4,), steps=("P103", "P103'"), category="gap",
                 summary="P103's first line bounds the Type-2 samples by the maximum over the Type-1 samples n0 of "
                         "beta_t A^(n0,*), but P99-P102 show A + B >= beta_t A^(n0,*) for one n0 only (P67's sample, "
                         "the one whose phi_- is at least exp(-r_t)/L_max); for another Type-1 sample P99's premise "
                         "fails. With that n0 the line holds (row P103', sum_{Type 2} pi <= 1); the printed maximum "
                         "held on every audited run (row P103) but is not proved",
                 evidence=("rows P103, P103' of python -m reference proofs",)),
        Decision("false-P103-pi", items=(4,), steps=("P103.2", "P103.2'", "P103.6"), category="false",
                 summary="P103's second line, beta_t A^(n0,*) >= N beta_t S1, needs N pi^(n0) >= 1: false for unequal "
                         "frequencies. Smallest counterexample: two tokens, the prefix closure of {a b b, a b, b a a "
                         "(four times)} (N = 4, pi^(n0) = 1/11), eta = 5: row P103.2 fails from t = 5 while Lemma 7 "
                         "holds. Corrected: (beta_t/pi^(n0)) S1 (row P103.2', always valid); the chain then closes "
                         "when pi^(n0) >= 1/(2N - 3) (row P103.6, holds only under PI_N0 there); Lemma 7 itself "
                         "held on every run (its rows and row P103.7)",
                 evidence=("rows P103.2, P103.2', P103.6, P103.7 of python -m reference proofs (run 'two tokens, "
                           "unequal frequencies')", "tests/test_proofs_lemma7.py::test_p103_frequency_counterexample")),
        Decision("gap-P103-S5", items=(4, 30), steps=("P103.4",), category="gap",
                 summary="P103's fourth line needs alpha_t = 2 N beta_t >= (N + 3) beta_t, i.e. N >= 3 (S5), which "
                         "Lemma 7 does not state. It is implied: Assumption 1 gives every token a one-token sample "
                         "(the collocation), and W*_kq != 0 needs a sentence with an optimal and a non-optimal "
                         "position, so N >= |V| + 1 >= 3; row P103.4 holds on every run",
                 evidence=("row P103.4 of python -m reference proofs",
                           "tests/test_proofs_lemma7.py::test_hidden_conditions_are_implied")),
        Decision("typo-P103-beta1", items=(4,), steps=("P103", "P103'", "P103.4"), category="typo",
                 summary="P103 prints (1 + beta_1) for (1 + beta_t) (beta_1 is defined nowhere; the Type-1 bound P94 "
                         "has beta_t) and (A^(n0,*) + B^(n0,*)) inside the Type-1 sum for (A^(n,*) + B^(n,*)); read "
                         "so, rows P103', P103.4 hold",
                 evidence=("rows P103', P103.4 of python -m reference proofs",)),
        Decision("gap-S6-S7", items=(30,), steps=("P76.2", "P86", "P87", "P90", "P91", "P92", "P97"), category="gap",
                 summary="Lemma 7's proof uses S6 (||W_kq^(t)|| >= max(1/2, 2(e-1)||W*_kq||)) and S7 (L_max^2 "
                         "||W*_kq|| >= 1), and Theorem 1's uses ||W*_kq|| >= e/4; none is stated and none is needed "
                         "as an extra hypothesis: every constraint of Eq. (3) has |(x_l* - x_l)^T W q_n| <= sqrt(2) "
                         "||W||, so ||W*_kq|| >= 1/sqrt(2) > e/4, and L_max >= 2, so L_max^2 ||W*_kq|| >= 2 sqrt(2) "
                         "(S7); for t >= t0 Lemma 6 gives ||W_kq^(t)|| >= t eta/(2 L_max ||W*_kq||) >= 4||W*_kq|| "
                         ">= max(2(e - 1)||W*_kq||, 2 sqrt(2)) (S6); the rows that name them hold on every run",
                 evidence=("rows P76.2, P86, P87, P90-P92, P97 of python -m reference proofs",
                           "tests/test_proofs_lemma7.py::test_hidden_conditions_are_implied")),
        Decision("gap-P78-equal-scores", items=(11,), steps=("P78", "P79", "P94", "P94.2"), category="gap",
                 summary="P78's B_-^(n,*) = 0 'due to Proposition 4' needs every non-optimal token of sentence n to "
                         "have one W*_kq score (Proposition 4's direct result), which Lemma 7 does not state; it holds "
                         "on prefix-closed realizable data and fails on some sample sets that are not prefix closed "
                         "(row P78 holds only under EQ_NONOPT on the run 'random samples 1'); the Type-1 bound uses it "
                         "through B^(n,*) = B_+^(n,*) <= 0",
                 evidence=("row P78 of python -m reference proofs", "tests/test_proofs_lemma7.py::test_p78_needs_"
                           "equal_nonoptimal_scores")),
):
    REGISTRY.add_decision(_d)

"""Appendix C.5, p.29-30: the end of Theorem 1's proof, steps P109-P114, and the Section 5.3 sketch's inequality.

P108's sums are bounded with Lemma 6 (P109) and with ``eta <= ||W*_kq|| / e`` (P110, step (a): S2,
the proof's reading of Theorem 1's ``eta < O(1)``), giving P111; ``||W_kq^(t_0)|| <= 9 L_max
||W*_kq||^2`` needs ``eta <= L_max ||W*_kq||^2`` (P112, S3: unstated); dividing by
``||W_kq^(t)||`` (P113) and simplifying the constants (P114) gives Theorem 1's 54. P111 as printed
drops the factor ``eta`` of the middle term (decision ``typo-P111-eta``); the checked relation has it.

The sketch of Theorem 1 (Section 5.3, p.8) states Lemma 7 informally with ``1 + C_0 log||W|| / ||W||``
(row ``SKETCH``, with :func:`reference.theory.C0_thm1_sketch`).

Sums over ``t'`` are the run's partial sums from ``t_0`` (:func:`~reference.theory.proofs.theorem1.from_t0`).
"""

import math

from ..sketch import sketch_alpha
from .entries import Check, Decision
from .measure_theorems import ln
from .registry import proof_step, REGISTRY
from .theorem1 import at_t0, from_t0, LEMMA7, LEMMA7_HIDDEN

__all__ = []

_S = dict(statement="Theorem 1", stage=2)
_LEMMA6 = ("ZI", "A1", "A2", "A3", "EQM", "S4")


def _c(q):
    """``8 N L_max^3 ||W*_kq||^3 / eta``."""
    return 8.0 * q.N * q.L_max ** 3 * q.star_norm_kq ** 3 / q.eta


@proof_step("P109", page=29, equation="by Lemma 6, first inequality", kind="INEQ",
            printed="sum_{t'=t_0}^{t-1} 1/||W^(t')|| <= sum_{t'=t_0}^{t-1} (2 L_max ||W*_kq||/eta)/t'",
            quantity="sum_{t'=t_0}^{t-1} 1/||W_kq^(t')||", stated=_LEMMA6, follows=("Lemma 6",),
            needs=("norm_W_kq", "L_max", "star_norm_kq", "eta", "t0", "t2"), measured_range=(0, math.inf), **_S)
def p109(q, ops):
    """P109 (p.29): ``sum_{t'=t_0}^{t-1} 1/||W^(t')|| <= (2 L_max ||W*_kq||/eta) sum_{t'=t_0}^{t-1} 1/t'``.

    Lemma 6 from zero: ``||W^(t')|| >= t' eta/(2 L_max ||W*_kq||)``.
    """
    return Check(from_t0(1.0 / q.norm_W_kq, q, ops),
                 2.0 * q.L_max * q.star_norm_kq / q.eta * from_t0(1.0 / q.t2, q, ops), "<=")


@proof_step("P109.2", page=29, equation="by Lemma 6, second inequality", kind="INEQ",
            printed="sum_{t'=t_0}^{t-1} (2 L_max ||W*_kq||/eta)/t' <= (2 L_max ||W*_kq||/eta) log t",
            quantity="sum_{t'=t_0}^{t-1} 1/t'", stated=("S4",), unstated=("S3",), follows=("P109",),
            needs=("t0", "t2"), measured_range=(0, math.inf),
            note="true for every t iff t_0 >= 2; from t_0 = 1 the harmonic sum exceeds log t at every t >= 2. "
                 "S3 (eta <= L_max ||W*_kq||^2) gives t_0 >= 8", **_S)
def p109_2(q, ops):
    """P109, second inequality (p.29): ``sum_{t'=t_0}^{t-1} 1/t' <= log t``, which needs ``t_0 >= 2``.

    ``sum_{t'=2}^{t-1} 1/t' <= int_1^{t-1} dx/x < log t``; from ``t_0 = 1`` the sum is ``H_{t-1} > log t``.
    ``t_0 = ceil(8 L_max ||W*_kq||^2/eta) >= 8`` under S3 (``eta <= L_max ||W*_kq||^2``), unstated.
    """
    return Check(from_t0(1.0 / q.t2, q, ops), ops.log(q.t2), "<=")


@proof_step("P110", page=29, equation="first inequality", kind="INEQ",
            printed="sum_{t'=t_0}^{t-1} alpha_t'/(1 + alpha_t') <= sum_{t'=t_0}^{t-1} alpha_t'",
            quantity="sum_{t'=t_0}^{t-1} alpha_t'/(1 + alpha_t')", stated=_LEMMA6, needs=("alpha_kq", "t0", "t2"),
            measured_range=(0, math.inf), **_S)
def p110(q, ops):
    """P110 (p.29): ``alpha/(1 + alpha) <= alpha`` for ``alpha >= 0`` (``1 + log(2 L_max ||W^(t')||) >= 0`` from ``t_0``)."""
    a = q.alpha_kq
    return Check(from_t0(a / (1.0 + a), q, ops), from_t0(a, q, ops), "<=")


def _lemma6_terms(q, ops):
    """``(8 N L^3 ||W*||^3/eta)/t' (log(2 e L_max) + log(t' eta/(2 L_max ||W*_kq||)))`` at each ``t'``."""
    L, s = q.L_max, q.star_norm_kq
    return _c(q) / q.t2 * (1.0 + ln(ops, 2 * L) + ops.log(q.t2 * q.eta / (2.0 * L * s)))


@proof_step("P110.2", page=29, equation="", kind="INEQ",
            printed="sum alpha_t' = sum 4N L^2||W*||^2 (1 + log 2L)/||W^(t')|| + sum 4N L^2||W*||^2 log||W^(t')||"
                    "/||W^(t')|| <= sum (8N L^3||W*||^3/eta)/t' log(2e L) + sum (8N L^3||W*||^3/eta)/t' "
                    "log(t'/(2L||W*||/eta))",
            quantity="sum_{t'=t_0}^{t-1} alpha_t'", stated=_LEMMA6, unstated=("|W*kq|>=e/4",),
            follows=("P110", "Lemma 6"), needs=("alpha_kq", "t0", "t2", "N", "L_max", "star_norm_kq", "eta"),
            note="log||W||/||W|| <= log(w)/w needs ||W|| >= w >= e, with w = t' eta/(2 L_max ||W*_kq||) >= "
                 "4||W*_kq|| from t_0: ||W*_kq|| >= e/4", **_S)
def p110_2(q, ops):
    """P110, lines 2-4 (p.29): Lemma 6's ``1/||W^(t')|| <= 2 L_max ||W*_kq||/(t' eta)`` in ``alpha_t'``.

    ``log||W||/||W||`` is decreasing for ``||W|| >= e``, so the lower bound ``t' eta/(2 L_max ||W*_kq||)``
    may replace ``||W^(t')||`` in it when that bound is ``>= e``: from ``t_0`` on it is ``>= 4 ||W*_kq||``,
    hence the unstated ``||W*_kq|| >= e/4``. (Line 2 is an identity: ``log(2 L ||W||) = log 2L + log||W||``.)
    """
    return Check(from_t0(q.alpha_kq, q, ops), from_t0(_lemma6_terms(q, ops), q, ops), "<=")


@proof_step("P110.3", page=29, equation="(a)", kind="INEQ",
            printed="sum (8N L^3||W*||^3/eta)/t' (log(e eta/||W*_kq||) + log t') <= (8N L_max^3 ||W*_kq||^3/eta) "
                    "log^2 t",
            quantity="sum_{t'=t_0}^{t-1} (8N L^3||W*||^3/eta)/t' (log(e eta/||W*||) + log t')", stated=("S4", "S2"),
            follows=("P110.2",), needs=("t0", "t2", "N", "L_max", "star_norm_kq", "eta"),
            note="(a) follows from eta <= ||W*_kq||/e (S2, stated here by the proof): log(e eta/||W*_kq||) <= 0, "
                 "and sum_{t'=t_0}^{t-1} log t'/t' <= log^2 t", **_S)
def p110_3(q, ops):
    """P110, step (a) (p.29): with ``eta <= ||W*_kq||/e`` the sum is at most ``(8 N L_max^3 ||W*_kq||^3/eta) log^2 t``.

    The left side equals P110.2's right side (``log(2 e L) + log(t' eta/(2 L ||W*||)) = log(e eta/||W*||) +
    log t'``); it is written in the printed form.
    """
    lt = ops.log(q.t2)
    terms = _c(q) / q.t2 * (1.0 + ops.log(q.eta / q.star_norm_kq) + lt)
    return Check(from_t0(terms, q, ops), _c(q) * lt * lt, "<=")


def _p111_bound(q, ops, eta_factor):
    L, s, lt = q.L_max, q.star_norm_kq, ops.log(q.t2)
    return (q.norm_W_kq - at_t0(q.norm_W_kq, q, ops) - eta_factor * L * s * lt
            - 8.0 * q.N * L ** 3 * s ** 3 * lt * lt)


@proof_step("P111", page=30, equation="first line", kind="INEQ",
            printed="<W^(t) - W^(t_0), Wbar*_kq> >= ||W^(t)|| - ||W^(t_0)|| - L_max ||W*_kq|| log t "
                    "- 8N L_max^3 ||W*_kq||^3 log^2 t",
            relation="<W^(t) - W^(t_0), Wbar*_kq> >= ||W^(t)|| - ||W^(t_0)|| - eta L_max ||W*_kq|| log t "
                     "- 8N L_max^3 ||W*_kq||^3 log^2 t",
            quantity="<W_kq^(t) - W_kq^(t_0), Wbar*_kq>", stated=LEMMA7 + ("S2",),
            unstated=LEMMA7_HIDDEN + ("|W*kq|>=e/4",), follows=("P108", "P109.2", "P110.3"), inconsistencies=(7,),
            needs=("W_kq", "Wbar_kq_star", "norm_W_kq", "eta", "t0", "t2", "N", "L_max", "star_norm_kq"), **_S)
def p111(q, ops):
    """P111 (p.30): P108 with P109-P110; the middle term is ``eta L_max ||W*_kq|| log t`` (P109 times ``eta^2/2``).

    The paper prints ``L_max ||W*_kq|| log t`` (decision typo-P111-eta): the same for ``eta = 1``, a weaker
    bound for ``eta < 1``; the derived form is checked. Rounding: ``t ||W_kq^(t)||``.
    """
    proj = ops.dot(q.W_kq, q.Wbar_kq_star[None])
    return Check(proj - at_t0(proj, q, ops), _p111_bound(q, ops, q.eta), ">=", scale=(q.t2 + 1.0) * q.norm_W_kq)


@proof_step("P112", page=30, equation="Lemma 6 at t_0", kind="INEQ", printed="||W_kq^(t_0)|| <= t_0 eta",
            quantity="||W_kq^(t_0)||", stated=("ZI", "S4"), follows=("Lemma 6",),
            needs=("norm_W_kq", "t0", "eta", "t2"), measured_range=(0, math.inf), **_S)
def p112(q, ops):
    """P112 (p.30): ``||W_kq^(t_0)|| <= t_0 eta`` (Lemma 6's upper bound from zero), checked from ``t_0`` on."""
    return Check(at_t0(q.norm_W_kq, q, ops), q.t0 * q.eta + 0.0 * q.t2, "<=")


@proof_step("P112.2", page=30, equation="", kind="INEQ",
            printed="t_0 eta <= eta + 8 L_max ||W*_kq||^2 <= 9 L_max ||W*_kq||^2", quantity="t_0 eta",
            stated=("ONCE",), unstated=("S3",), follows=("P112",), needs=("t0", "eta", "L_max", "star_norm_kq", "t2"),
            measured_range=(0, math.inf), **_S)
def p112_2(q, ops):
    """P112, second inequality (p.30): ``t_0 eta <= 9 L_max ||W*_kq||^2``; needs ``eta <= L_max ||W*_kq||^2`` (S3, unstated).

    A fact about the constants, checked once (``t = 0``).
    """
    return Check(q.t0 * q.eta + 0.0 * q.t2, 9.0 * q.L_max * q.star_norm_kq ** 2 + 0.0 * q.t2, "<=")


def _p113_bound(q, ops):
    L, s, lt = q.L_max, q.star_norm_kq, ops.log(q.t2)
    num = 2.0 * at_t0(q.norm_W_kq, q, ops) + q.eta * L * s * lt + 8.0 * q.N * L ** 3 * s ** 3 * lt * lt
    return 1.0 - num / q.norm_W_kq


@proof_step("P113", page=30, equation="", kind="INEQ",
            printed="<Wbar^(t), Wbar*_kq> >= 1 - (2||W^(t_0)|| + L_max||W*_kq|| log t + 8N L_max^3 ||W*_kq||^3 "
                    "log^2 t)/||W^(t)||",
            relation="<Wbar^(t), Wbar*_kq> >= 1 - (2||W^(t_0)|| + eta L_max||W*_kq|| log t + 8N L_max^3 "
                     "||W*_kq||^3 log^2 t)/||W^(t)||",
            quantity="<Wbar_kq^(t), Wbar*_kq>", stated=LEMMA7 + ("S2",), unstated=LEMMA7_HIDDEN + ("|W*kq|>=e/4",),
            follows=("P111",), inconsistencies=(7,),
            needs=("cos_kq", "norm_W_kq", "eta", "t0", "t2", "N", "L_max", "star_norm_kq"),
            measured_range=(-1.0, 1.0), **_S)
def p113(q, ops):
    """P113 (p.30): P111 divided by ``||W_kq^(t)||``, with ``<W^(t_0), Wbar*_kq> >= -||W^(t_0)||``.

    The middle term has ``eta`` (decision typo-P111-eta).
    """
    return Check(q.cos_kq, _p113_bound(q, ops), ">=")


@proof_step("P114", page=30, equation="", kind="INEQ",
            printed="1 - (2||W^(t_0)|| + L_max||W*|| log t + 8N L^3 ||W*||^3 log^2 t)/||W^(t)|| >= "
                    "1 - 54 N L_max^4 ||W*_kq||^4 log^2 t/(t eta)",
            quantity="P113's right side", stated=_LEMMA6 + ("t>=3",), unstated=("S3", "|W*kq|>=1"),
            follows=("P113", "P112.2", "Lemma 6"), inconsistencies=(7,),
            needs=("norm_W_kq", "eta", "t0", "t2", "N", "L_max", "star_norm_kq"), measured_range=(-math.inf, 1.0),
            note="needs 36 L^2||W*||^3 + 2 eta L^2 ||W*||^2 log t <= 38 N L^4 ||W*||^4 log^2 t besides P112.2 and "
                 "Lemma 6; ||W*_kq|| >= 1, log t >= 1 and eta <= ||W*_kq||/e suffice", **_S)
def p114(q, ops):
    """P114 (p.30): P113's bound is at least Theorem 1's, using ``||W^(t_0)|| <= 9 L ||W*||^2`` and Lemma 6.

    With the middle term ``eta L ||W*|| log t`` (P111) the ``eta`` cancels against Lemma 6's ``t eta``.
    """
    lt = ops.log(q.t2)
    B = 54.0 * q.N * q.L_max ** 4 * q.star_norm_kq ** 4 * lt * lt / (q.t2 * q.eta)
    return Check(_p113_bound(q, ops), 1.0 - B, ">=")


@proof_step("SKETCH", page=8, equation="Section 5.3, Step 3", kind="INEQ",
            printed="<grad L, W_kq^(t)> >= (1 + C_0 log||W_kq^(t)||/||W_kq^(t)||) <grad L, W*_kq> ||W_kq^(t)||/||W*_kq||",
            relation="<g_t, W_kq^(t)> >= (1 + C_0 log||W^(t)||/||W^(t)||) <g_t, W*_kq> ||W^(t)||/||W*_kq||, "
                     "C_0 = 4 N L_max^2 ||W*_kq||^2 (1 + log(2 e L_max))",
            quantity="<g_t, W_kq^(t)>", stated=LEMMA7, unstated=LEMMA7_HIDDEN, follows=("Lemma 7",),
            inconsistencies=(26,), needs=("g", "W_kq", "W_kq_star", "norm_W_kq", "star_norm_kq", "N", "L_max"),
            note="'for some constant C_0' (a fourth meaning of the symbol); with C0_thm1_sketch it follows from Lemma 7 "
                 "wherever ||W_kq^(t)|| >= e, which Lemma 6 gives from t_0 on", **_S)
def sketch(q, ops):
    """SKETCH (p.8, Section 5.3, Step 3): Lemma 7 in the sketch's form, with ``C_0 = C0_thm1_sketch(N, L_max, ||W*_kq||)``.

    Written for the unit gradient (both sides divided by ``||G_t||``). Rounding: ``||W_kq^(t)||``.
    """
    C0 = 4.0 * q.N * q.L_max ** 2 * q.star_norm_kq ** 2 * (2.0 + ln(ops, 2 * q.L_max))   # C0_thm1_sketch on ops
    a = sketch_alpha(q.norm_W_kq, C0, xp=ops)
    rhs = (1.0 + a) * ops.dot(q.g, q.W_kq_star[None]) * q.norm_W_kq / q.star_norm_kq
    return Check(ops.dot(q.g, q.W_kq), rhs, ">=", scale=q.norm_W_kq)


REGISTRY.add_decision(Decision(
    "typo-P111-eta", items=(7,), steps=("P111", "P113", "P114"), category="typo",
    summary="P111 prints the middle term L_max ||W*_kq|| log t; P109 times eta^2/2 gives eta L_max ||W*_kq|| log t. "
            "The printed form follows only for eta <= 1; with eta the chain holds (rows P111, P113) and P114's "
            "constant 54 is unchanged (the eta cancels against Lemma 6's t eta)",
    evidence=("rows P111, P113, P114 of python -m reference proofs",
              "tests/test_proofs_theorems.py::test_p111_eta_and_p114_constant")))
for _d in (
        Decision("gap-theorem1-range", items=(7,), steps=("P105", "P107", "P108", "P114"), category="gap",
                 summary="Theorem 1 claims every t >= 2 and ||W_kq^(t)|| >= t eta/(2||W*_kq||); its proof starts from "
                         "Lemma 7 (t >= t_0 = ceil(8 L_max ||W*_kq||^2/eta), S4) and Lemma 6 gives only t eta/(2 L_max "
                         "||W*_kq||). The printed norm bound is true (docs/claims.md, claim 1: ||W^(t)|| >= t eta/(sqrt 2 "
                         "||W*_kq||) for every eta); the direction bound is not refuted as printed (eta < O(1) read as "
                         "eta <= ||W*_kq||/e): it held on every run tried (600 random runs, 94 000 iterates t >= 2). "
                         "Read without the step-size condition the "
                         "direction bound fails (erratum theorem1-step-size: {t1 t0 t1 t0, t0 t1}, eta = 1e6, t = 2: "
                         "1 - cos = 0.0366 > 0.0042); the norm bounds held there too. The proof supports the statement "
                         "for t >= t_0 with 1/L_max (rows P105-P114 on 'Example 1, t >= t_0')",
                 statement_holds=True,
                 evidence=("rows P105-P114 of python -m reference proofs (run 'Example 1, t >= t_0')",
                           "tests/test_proofs_theorems.py::test_theorem1_as_printed_on_random_runs")),
        Decision("gap-theorem1-step-size", items=(7, 30), steps=("P109.2", "P110.2", "P110.3", "P112.2", "P114"),
                 category="gap",
                 summary="Theorem 1's 'eta < O(1)' is used as eta <= ||W*_kq||/e (S2, at P110's step (a), stated there). "
                         "Unstated: eta <= L_max ||W*_kq||^2 (S3) for ||W^(t_0)|| <= 9 L_max ||W*_kq||^2 (P112.2) and "
                         "t_0 >= 2 (P109.2: from t_0 = 1 the harmonic sum exceeds log t), ||W*_kq|| >= e/4 (P110.2) and "
                         "||W*_kq|| >= 1 (P114's constant). Without S3, P112.2, P109.2 and P114 fail ('Example 1, large "
                         "steps'). S2 implies S3 and ||W*_kq|| >= e/4 always holds (an ordered pair gives "
                         "||W*_kq||^2 >= 1/2 and L_max >= 2), so under the step-size condition only ||W*_kq|| >= 1 "
                         "remains, a sufficient condition for P114 that no run needed",
                 statement_holds=True,
                 evidence=("rows P109.2, P112.2, P114 of python -m reference proofs",)),
):
    REGISTRY.add_decision(_d)

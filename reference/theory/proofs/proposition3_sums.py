"""Appendix B, p.17: the end of Proposition 3's proof, steps P28-P32 (sums over the run and the constants).

P27 summed from ``t = 2`` (P28), the sums bounded with Lemma 1 (P29, P30), divided by
``||W_ov^(t)||`` (P31), and the constants simplified (P32), which needs
``eta0 <= ||W*_ov||/2`` (S1): not stated. The steps P21-P27 are in
:mod:`reference.theory.proofs.proposition3`; both modules register under the
statement ``"Proposition 3"``. Sums over ``t'`` are the run's partial sums.
"""

import numpy as np

from .entries import Check, Decision
from .registry import proof_step, REGISTRY

__all__ = []

_S = dict(statement="Proposition 3", stage=1)
_SUMS = ("ZI", "t>=3")


def _frac(q):
    return q.alpha_ov / (1.0 + q.alpha_ov)


def _partial(f, q, ops):
    """``S[t] = sum_{t'=2}^{t-1} f[t']`` (0 for ``t <= 2``)."""
    f = ops.where(np.arange(len(q.t1)) >= 2, f, 0.0)
    return ops.cumsum(f, axis=0) - f


def _p28_terms(q, ops):
    inv = 1.0 / q.norm_W_ov
    return _partial(q.eta0 ** 2 / 2.0 * inv, q, ops), _partial(q.eta0 * _frac(q), q, ops)


@proof_step("P28", page=17, equation="summed from t = 2", kind="INEQ",
            printed="<W^(t) - W^(2), Wbar*_ov> >= ||W^(t)|| - ||W^(2)|| - sum_{t'=2}^{t-1} eta0^2/(2||W^(t')||) "
                    "- sum_{t'=2}^{t-1} eta0 alpha_t'/(1 + alpha_t')",
            quantity="<W_ov^(t) - W_ov^(2), Wbar*_ov>", stated=("t>=3",), follows=("P27",),
            needs=("W_ov", "Wbar_ov_star", "norm_W_ov", "eta0", "alpha_ov", "t1"), **_S)
def p28(q, ops):
    """P28 (p.17): P27 summed over ``t' = 2..t-1`` (partial sums of the run). Rounding: ``t ||W_ov^(t)||``."""
    s1, s2 = _p28_terms(q, ops)
    lhs = ops.dot(q.W_ov - q.W_ov[2][None], q.Wbar_ov_star[None])
    return Check(lhs, q.norm_W_ov - q.norm_W_ov[2] - s1 - s2, ">=", scale=q.t1 * q.norm_W_ov)


def _harmonic(q, ops):
    return _partial(1.0 / q.t1, q, ops)


_P29 = "sum_{t'=2}^{t-1} 1/||W^(t')|| <= sum_{t'} (2||W*_ov||/eta0)/t <= (2||W*_ov||/eta0) log t"


@proof_step("P29", page=17, equation="first inequality (as printed)", kind="INEQ", printed=_P29,
            quantity="sum_{t'=2}^{t-1} 1/||W_ov^(t')||", stated=_SUMS, recorded="typo-P29-index", inconsistencies=(16,),
            needs=("norm_W_ov", "star_norm_ov", "eta0", "t1"), measured_range=(0, np.inf), **_S)
def p29_printed(q, ops):
    """P29 as printed (p.17): ``sum_{t'} (2||W*_ov||/eta0)/t`` (``t`` for ``t'``): ``(t - 2)(2||W*_ov||/eta0)/t``.

    Recorded false (decision typo-P29-index): the left side grows like ``log t``, the right stays bounded.
    """
    lhs = _partial(1.0 / q.norm_W_ov, q, ops)
    return Check(lhs, 2.0 * q.star_norm_ov / q.eta0 * (q.t1 - 2.0) / q.t1, "<=")


@proof_step("P29'", page=17, equation="first inequality (corrected)", kind="INEQ", printed=_P29,
            relation="sum_{t'=2}^{t-1} 1/||W^(t')|| <= (2||W*_ov||/eta0) sum_{t'=2}^{t-1} 1/t'",
            quantity="sum_{t'=2}^{t-1} 1/||W_ov^(t')||", stated=_SUMS, corrects="P29", follows=("Lemma 1",),
            inconsistencies=(16,), needs=("norm_W_ov", "star_norm_ov", "eta0", "t1"), measured_range=(0, np.inf), **_S)
def p29(q, ops):
    """P29 corrected (p.17): ``sum 1/||W^(t')|| <= (2||W*_ov||/eta0) sum 1/t'`` (Lemma 1 from zero)."""
    return Check(_partial(1.0 / q.norm_W_ov, q, ops), 2.0 * q.star_norm_ov / q.eta0 * _harmonic(q, ops), "<=")


@proof_step("P29.2", page=17, equation="second inequality", kind="INEQ",
            printed="(2||W*_ov||/eta0) sum_{t'=2}^{t-1} 1/t' <= (2||W*_ov||/eta0) log t",
            quantity="sum_{t'=2}^{t-1} 1/t'", stated=_SUMS, follows=("P29'",), needs=("t1",),
            measured_range=(0, np.inf), **_S)
def p29_2(q, ops):
    """P29, second inequality (p.17): ``sum_{t'=2}^{t-1} 1/t' <= log t`` (below ``int_1^{t-1} dx/x``)."""
    return Check(_harmonic(q, ops), ops.log(q.t1), "<=")


@proof_step("P30", page=17, equation="first inequality", kind="INEQ",
            printed="sum_{t'=2}^{t-1} alpha_t'/(1 + alpha_t') <= sum 2||W*_ov|| log(2|V|)/||W^(t')||",
            quantity="sum_{t'=2}^{t-1} alpha_t'/(1 + alpha_t')", stated=_SUMS, needs=("alpha_ov", "t1"),
            measured_range=(0, np.inf), **_S)
def p30(q, ops):
    """P30 (p.17): ``sum alpha/(1 + alpha) <= sum alpha``, ``alpha_t' = 2||W*_ov|| log(2|V|)/||W^(t')||``."""
    return Check(_partial(_frac(q), q, ops), _partial(q.alpha_ov, q, ops), "<=")


@proof_step("P30.2", page=17, equation="second inequality", kind="INEQ",
            printed="sum_{t'=2}^{t-1} 2||W*_ov|| log(2|V|)/||W^(t')|| <= (4||W*_ov||^2 log(2|V|)/eta0) log t",
            quantity="sum_{t'=2}^{t-1} alpha_t'", stated=_SUMS, follows=("P30", "P29'", "P29.2"),
            needs=("alpha_ov", "t1", "star_norm_ov", "lam", "eta0"), measured_range=(0, np.inf), **_S)
def p30_2(q, ops):
    """P30, second inequality (p.17): with P29, ``sum alpha_t' <= (4||W*_ov||^2 log(2|V|)/eta0) log t``."""
    return Check(_partial(q.alpha_ov, q, ops), 4.0 * q.star_norm_ov ** 2 * q.lam / q.eta0 * ops.log(q.t1), "<=")


def _p31_bound(q, ops):
    s, lt = q.star_norm_ov, ops.log(q.t1)
    return 1.0 - (q.norm_W_ov[2] + 2.0 * q.eta0 * s * lt + 4.0 * s ** 2 * q.lam * lt) / q.norm_W_ov


@proof_step("P31", page=17, equation="before (a)", kind="INEQ",
            printed="<Wbar^(t), Wbar*_ov> >= 1 - (||W^(2)|| + 2 eta0 ||W*_ov|| log t + 4||W*_ov||^2 log(2|V|) log t)"
                    "/||W^(t)||",
            quantity="<Wbar_ov^(t), Wbar*_ov>", stated=("ZI", "t>=2"), unstated=("W2",),
            follows=("P28", "P29.2", "P30.2"), needs=("cos_ov", "norm_W_ov", "star_norm_ov", "eta0", "lam", "t1"),
            measured_range=(-1.0, 1.0), note="the coefficient 2 eta0 is looser than the derived eta0 (harmless)", **_S)
def p31(q, ops):
    """P31 (p.17): P28 with P29-P30 divided by ``||W_ov^(t)||``.

    Uses ``<W_ov^(2), Wbar*_ov> >= 0`` without saying so (condition W2, decision gap-P31-W2);
    in general the first term is ``2||W_ov^(2)||``.
    """
    return Check(q.cos_ov, _p31_bound(q, ops), ">=")


@proof_step("P32", page=17, equation="(a)", kind="INEQ",
            printed="1 - (||W^(2)|| + 2 eta0 ||W*|| log t + 4||W*||^2 log(2|V|) log t)/||W^(t)|| >= "
                    "1 - 12 ||W*_ov||^3 log(2|V|) log t/(t eta0)",
            quantity="P31's right side", stated=("ZI", "t>=2"), unstated=("S1",), follows=("P31", "P12"),
            inconsistencies=(9,), needs=("norm_W_ov", "star_norm_ov", "eta0", "lam", "t1"),
            measured_range=(-np.inf, 1.0), **_S)
def p32(q, ops):
    """P32 (p.17, step (a)): P31's bound is at least Proposition 3's, using ``||W^(2)|| <= 2 eta0 <= ||W*_ov||`` and P12.

    The second inequality is S1, ``eta0 <= ||W*_ov||/2``, which Proposition 3 does not
    state (decision gap-P32-S1). Both sides are computed from the run's norms.
    """
    s = q.star_norm_ov
    return Check(_p31_bound(q, ops), 1.0 - 12.0 * s ** 3 * q.lam * ops.log(q.t1) / (q.t1 * q.eta0), ">=")


for _d in (
        Decision("gap-P32-S1", items=(9,), steps=("P32",), category="gap",
                 summary="P32 uses ||W_ov^(2)|| <= 2 eta0 <= ||W*_ov||, i.e. eta0 <= ||W*_ov||/2 (S1), which "
                         "Proposition 3 does not state; without it the step fails (Example 1 with eta0 = 100), "
                         "while Proposition 3's conclusion still holds there (zero init aligns stage 1 exactly): a "
                         "false step of a true statement, filled by S1",
                 statement_holds=True, evidence=("rows P32 of python -m reference proofs",
                                                 "tests/test_proofs_steps.py::test_p32_exact_condition")),
        Decision("gap-P31-W2", items=(9,), steps=("P31",), category="gap",
                 summary="P31 uses <W_ov^(2), Wbar*_ov> >= 0 without saying so (in general the term is "
                         "2||W_ov^(2)||); with zero initialisation, which Proposition 3 states, it follows from P12",
                 statement_holds=True, evidence=("rows P31, P12 of python -m reference proofs",)),
        Decision("gap-prop1-constant", items=(9,), steps=("P32",), category="gap",
                 summary="Proposition 1 (p.7) has the constant 5, Proposition 3 (p.16) 12; the appendix proves 12 "
                         "only. Neither is refuted: from zero stage 1 is exactly aligned, so both rows hold",
                 statement_holds=True,
                 evidence=("Proposition 1 and Proposition 3 rows of python -m reference verify",)),
        Decision("gap-prop1-loss", items=(9,), steps=("P5",), category="gap",
                 summary="Proposition 1's L_0 <= O(exp(-eta0 t/(4||W*_ov||))) is never proved in the appendix; from "
                         "zero W_ov^(t) = t eta0 Wbar*_ov exactly, so L_0 = |V| log(1 + (|V|-1) e^{-t eta0/||W*_ov||}) "
                         "(P5's identity), which proves it with the exponent eta0/||W*_ov||",
                 statement_holds=True, evidence=("rows P3, P5, P14 of python -m reference proofs",)),
        Decision("typo-P29-index", items=(16,), steps=("P29", "P29'"), category="typo",
                 summary="P29 writes /t for /t': as printed the bound stays below 2||W*_ov||/eta0 while the sum grows "
                         "like log t, and it fails on long runs (row P29); with 1/t' it holds (P29') and gives the "
                         "log t of P29.2",
                 evidence=("rows P29, P29', P29.2 of python -m reference proofs",))):
    REGISTRY.add_decision(_d)

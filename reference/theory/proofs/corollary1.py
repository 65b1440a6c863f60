"""Appendix C.1, p.18: the proof of Corollary 1 and the equal-margin premise, steps P34-P39.

Corollary 1: under the settings of Proposition 1, if ``T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0``
and ``Delta = T eta0 / (4||W*_ov||^2)``, every stage-1 margin ``(e_In(x) - e_i)^T W_ov^(T) x`` lies in
``(Delta, 3 Delta)``. The proof splits the margin along ``W*_ov`` (P34), bounds the rest with
Proposition 3's cosine bound (P35, P38), then with Lemma 1's norm bounds (P36, P38) and
the condition on T (P37, P38). Every stage-1 iterate ``t`` is read as Corollary 1's ``T``
(as the statement rows do); ``eps_t = 12 ||W*_ov||^3 log(2|V|) log t / (t eta0)`` is Proposition 3's
bound on ``1 - cos``, ``s = ||W*_ov||``, ``w = ||W_ov^(t)||``, and

    a_t = w/s - 2 sqrt(2) w sqrt(eps_t)                       (P35, step (a)),
    b_t = t eta0/(2 s^2) - sqrt(24 t eta0 s log(2|V|) log t)  (P36, step (b)).

The upper bound ``3 Delta`` is false (decision ``corollary1-upper``); P39 is the premise the
stage-2 proofs adopt "for simplicity": every margin equal to ``Delta``.
"""

import numpy as np

from .entries import Check, Decision
from .registry import proof_step, REGISTRY

__all__ = ["step"]

_S = dict(statement="Corollary 1", stage=1)
_PROP3 = ("ZI", "t>=2")


def step(key):
    """The step ``key`` of Corollary 1's proof (``"P34"`` .. ``"P39'"``); its docstring has page and equation."""
    return REGISTRY.step(key, module=__name__)


def _margins_of(B, q):
    """``(e_In(x) - e_i)^T W x`` at ``[..., i, x]`` from ``B[..., :, x] = W x`` (0 at ``i = In(x)``)."""
    return B[..., q.In, np.arange(q.n_tokens)][..., None, :] - B


def _wrong(q, ops, X, fill):
    """``X`` on the wrong tokens ``i != In(x)`` and ``fill`` elsewhere (trailing axes ``(i, x)``)."""
    return ops.where(np.asarray(q.wrong1), X, fill)


def _eps(q, ops):
    """Proposition 3's bound ``12 s^3 log(2|V|) log t / (t eta0)`` on the direction error."""
    return 12.0 * q.star_norm_ov ** 3 * q.lam * ops.log(q.t1) / (q.t1 * q.eta0)


def _a(q, ops):
    return q.c_ov - 2.0 * ops.sqrt(2.0) * q.norm_W_ov * ops.sqrt(_eps(q, ops))


def _a_upper(q, ops):
    return q.c_ov + 2.0 * ops.sqrt(2.0) * q.norm_W_ov * ops.sqrt(_eps(q, ops))


def _b(q, ops):
    s = q.star_norm_ov
    return q.t1 * q.eta0 / (2.0 * s * s) - ops.sqrt(24.0 * q.t1 * q.eta0 * s * q.lam * ops.log(q.t1))


def _delta(q):
    """``Delta = t eta0 / (4 ||W*_ov||^2)`` with ``T = t``."""
    return q.t1 * q.eta0 / (4.0 * q.star_norm_ov ** 2)


@proof_step("P34", page=18, equation="first line", kind="ID",
            printed="(e_In(x) - e_i)^T W_ov^(T) x = (e_In(x) - e_i)^T W*_ov x ||W_ov^(T)||/||W*_ov|| + ||W_ov^(T)|| "
                    "(e_In(x) - e_i)^T (Wbar_ov^(T) - Wbar*_ov) W_ov^(T) x",
            relation="(e_In(x) - e_i)^T W_ov^(T) x = (e_In(x) - e_i)^T W*_ov x ||W_ov^(T)||/||W*_ov|| + ||W_ov^(T)|| "
                     "(e_In(x) - e_i)^T (Wbar_ov^(T) - Wbar*_ov) x",
            quantity="stage-1 margins of W_ov^(t)", stated=("W!=0",), inconsistencies=(17,),
            needs=("margins1", "Bstar", "In", "n_tokens", "c_ov", "norm_W_ov", "Wbar_ov", "Wbar_ov_star", "E"),
            note="printed with a spurious W_ov^(T) before x (decision typo-P34-P39-notation)", **_S)
def p34(q, ops):
    """P34 (p.18): ``(e_In(x) - e_i)^T W x = (e_In(x) - e_i)^T (W*_ov ||W||/||W*_ov|| + ||W|| (Wbar - Wbar*_ov)) x``.

    Every margin (trailing axes ``(i, x)``, 0 = 0 at ``i = In(x)``), ``W = W_ov^(t)``. The printed
    trailing ``W_ov^(T)`` before ``x`` is dropped (decision typo-P34-P39-notation). Rounding:
    margins of size ``||W_ov^(t)||``.
    """
    D = ops.matmul(q.Wbar_ov - q.Wbar_ov_star[None], q.E)
    rhs = _margins_of(q.Bstar, q)[None] * q.c_ov[:, None, None] + q.norm_W_ov[:, None, None] * _margins_of(D, q)
    return Check(q.margins1, rhs, "==", scale=q.norm_W_ov)


_P35 = ("(e_In(x) - e_i)^T W_ov^(T) x = ||W_ov^(T)||/||W*_ov|| - 2 sqrt(2) ||W_ov^(T)|| sqrt(12 ||W*_ov||^3 "
        "log(2|V|) log T / (T eta0))")


@proof_step("P35", page=18, equation="(a) (as printed)", kind="ID", printed=_P35, quantity="stage-1 margins",
            stated=_PROP3, recorded="typo-P35-equals", inconsistencies=(2,),
            needs=("margins1", "wrong1", "c_ov", "norm_W_ov", "star_norm_ov", "lam", "t1", "eta0"), **_S)
def p35_printed(q, ops):
    """P35 as printed (p.18, step (a)): an equality between every margin and ``a_t``.

    Recorded false (decision typo-P35-equals): ``a_t`` is a lower bound (P35'); under zero
    initialisation every margin is ``||W_ov^(t)||/||W*_ov||`` and ``a_t`` is smaller.
    """
    a = _a(q, ops)[:, None, None]
    return Check(_wrong(q, ops, q.margins1, a), a + 0.0 * q.margins1, "==", scale=q.norm_W_ov)


@proof_step("P35'", page=18, equation="(a) (corrected)", kind="INEQ", printed=_P35,
            relation="(e_In(x) - e_i)^T W_ov^(T) x >= ||W_ov^(T)||/||W*_ov|| - 2 sqrt(2) ||W_ov^(T)|| sqrt(eps_T)",
            quantity="stage-1 margins", stated=_PROP3, corrects="P35", follows=("P34", "Proposition 3"),
            inconsistencies=(2,), needs=("margins1", "wrong1", "c_ov", "norm_W_ov", "star_norm_ov", "lam", "t1", "eta0"),
            note="from the W*_ov margins >= 1 (Eq. 2), |(e - e')^T D x| <= sqrt(2) ||D|| and ||Wbar - Wbar*||^2 = "
                 "2(1 - cos) <= 2 eps_T (Proposition 3); the constant 2 sqrt(2) is looser than the 2 this gives",
            **_S)
def p35(q, ops):
    """P35 corrected (p.18, step (a)): every margin ``>= a_t = ||W||/||W*_ov|| - 2 sqrt(2) ||W|| sqrt(eps_t)``.

    Trailing axes ``(i, x)``.
    """
    a = _a(q, ops)[:, None, None]
    return Check(_wrong(q, ops, q.margins1, a), a + 0.0 * q.margins1, ">=", scale=q.norm_W_ov)


@proof_step("P36", page=18, equation="(b)", kind="INEQ",
            printed=">= T eta0/(2||W*_ov||^2) - sqrt(24 T eta0 ||W*_ov|| log(2|V|) log T)",
            relation="a_T >= b_T = T eta0/(2||W*_ov||^2) - sqrt(24 T eta0 ||W*_ov|| log(2|V|) log T)",
            quantity="a_t (step (a)'s bound)", stated=_PROP3 + ("COR1",), follows=("P35'", "Lemma 1"),
            inconsistencies=(2,), needs=("c_ov", "norm_W_ov", "star_norm_ov", "lam", "t1", "eta0"),
            note="Lemma 1's lower bound ||W|| >= T eta0/(2||W*_ov||) in both terms of a_T = ||W|| (1/||W*_ov|| - "
                 "2 sqrt(2 eps_T)): valid because the bracket is >= 0, i.e. T eta0 >= 96 ||W*_ov||^5 log(2|V|) log T, "
                 "which Corollary 1's condition (384) implies (decision gap-P36-coefficient)", **_S)
def p36(q, ops):
    """P36 (p.18, step (b)): ``a_t >= b_t = t eta0/(2 s^2) - sqrt(24 t eta0 s log(2|V|) log t)``.

    ``a_t = w (1/s - 2 sqrt(2 eps_t))`` is increasing in ``w = ||W_ov^(t)||`` when the bracket is
    ``>= 0``, and ``b_t`` is ``a_t`` at Lemma 1's ``w = t eta0/(2s)``; the bracket is ``>= 0`` iff
    ``t eta0 >= 96 s^5 log(2|V|) log t``, implied by Corollary 1's condition (COR1).
    """
    return Check(_a(q, ops), _b(q, ops), ">=", scale=q.norm_W_ov)


@proof_step("P37", page=18, equation="last line", kind="INEQ", printed=">= T eta0/(4||W*_ov||^2) = Delta",
            relation="b_T >= T eta0/(4||W*_ov||^2)", quantity="b_t (step (b)'s bound)", stated=("t>=2", "COR1"),
            follows=("P36",), needs=("star_norm_ov", "lam", "t1", "eta0"),
            note="t eta0/(4 s^2) >= sqrt(24 t eta0 s log(2|V|) log t) iff t eta0 >= 384 s^5 log(2|V|) log t: "
                 "exactly Corollary 1's condition", **_S)
def p37(q, ops):
    """P37 (p.18): ``b_t >= Delta = t eta0/(4||W*_ov||^2)`` under Corollary 1's condition on ``T = t``."""
    return Check(_b(q, ops), _delta(q), ">=", scale=q.t1 * q.eta0)


@proof_step("P38", page=18, equation="upper bound, first relation", kind="INEQ",
            printed="(e_In(x) - e_i)^T W_ov^(T) x <= ||W_ov^(T)||/||W*_ov|| + 2 sqrt(2) ||W_ov^(T)|| sqrt(eps_T)",
            quantity="stage-1 margins", stated=_PROP3, unstated=("A2",), follows=("P34", "Proposition 3"),
            needs=("margins1", "wrong1", "c_ov", "norm_W_ov", "star_norm_ov", "lam", "t1", "eta0"), **_S)
def p38(q, ops):
    """P38 (p.18): every margin ``<= ||W||/||W*_ov|| + 2 sqrt(2) ||W|| sqrt(eps_t)`` (P34, Proposition 3; trailing ``(i, x)``).

    Uses that every ``W*_ov`` margin is at most 1, true under Assumption 2 (all equal 1), which the
    proof does not state.
    """
    a = _a_upper(q, ops)[:, None, None]
    return Check(_wrong(q, ops, q.margins1, a), a + 0.0 * q.margins1, "<=", scale=q.norm_W_ov)


_P38_2 = "||W_ov^(T)||/||W*_ov|| + 2 sqrt(2) ||W_ov^(T)|| sqrt(eps_T) <= 3 T eta0/(4||W*_ov||^2) = 3 Delta"


@proof_step("P38.2", page=18, equation="upper bound, second relation (as printed)", kind="INEQ", printed=_P38_2,
            quantity="P38's bound", stated=_PROP3 + ("COR1",), recorded="corollary1-upper", inconsistencies=(1,),
            needs=("c_ov", "norm_W_ov", "star_norm_ov", "lam", "t1", "eta0"), **_S)
def p38_2_printed(q, ops):
    """P38, second relation as printed (p.18): ``||W||/s + 2 sqrt(2) ||W|| sqrt(eps_t) <= 3 Delta``.

    Recorded false (decision corollary1-upper): its first term alone can be ``t eta0/s =
    4 s Delta > 3 Delta`` (always, under zero initialisation, since ``s = ||W*_ov|| >= 1``).
    """
    return Check(_a_upper(q, ops), 3.0 * _delta(q), "<=", scale=q.norm_W_ov)


@proof_step("P38.2'", page=18, equation="upper bound, second relation (corrected)", kind="INEQ", printed=_P38_2,
            relation="||W_ov^(T)||/||W*_ov|| + 2 sqrt(2) ||W_ov^(T)|| sqrt(eps_T) <= 3 T eta0/(2||W*_ov||) = "
                     "6 ||W*_ov|| Delta",
            quantity="P38's bound", stated=_PROP3 + ("COR1",), corrects="P38.2", follows=("P38", "Lemma 1"),
            inconsistencies=(1,), needs=("c_ov", "norm_W_ov", "star_norm_ov", "lam", "t1", "eta0"),
            note="Lemma 1's ||W|| <= T eta0 and, under Corollary 1's condition, 2 sqrt(2 eps_T) <= 1/(2||W*_ov||)",
            **_S)
def p38_2(q, ops):
    """P38, second relation corrected (p.18): ``||W||/s + 2 sqrt(2) ||W|| sqrt(eps_t) <= 3 t eta0/(2s) = 6 s Delta``.

    With ``||W_ov^(t)|| <= t eta0`` (Lemma 1) and ``2 sqrt(2 eps_t) <= 1/(2s)`` under COR1.
    """
    return Check(_a_upper(q, ops), 3.0 * q.t1 * q.eta0 / (2.0 * q.star_norm_ov), "<=", scale=q.norm_W_ov)


_P39 = "for simplicity every margin (e_In(x) - e_i)^T W_ov^(T) x equals Delta = T eta0/(4||W*_ov||^2)"


@proof_step("P39", page=18, equation="the equal-margin premise (as printed)", kind="CLAIM", printed=_P39,
            quantity="stage-1 margins", stated=("ZI",), recorded="gap-eqm-delta", inconsistencies=(3, 17),
            needs=("margins1", "wrong1", "star_norm_ov", "t1", "eta0", "norm_W_ov"), **_S)
def p39_printed(q, ops):
    """P39 as printed (p.18): every margin equals ``Delta = t eta0/(4||W*_ov||^2)`` (``T = t``; trailing ``(i, x)``).

    Recorded false (decision gap-eqm-delta): the margins are equal, but to ``4 ||W*_ov|| Delta`` (P39').
    """
    d = _delta(q)[:, None, None]
    return Check(_wrong(q, ops, q.margins1, d), d + 0.0 * q.margins1, "==", scale=q.norm_W_ov)


@proof_step("P39'", page=18, equation="the equal-margin premise (corrected)", kind="CLAIM", printed=_P39,
            relation="every margin equals Delta_act = T eta0/||W*_ov|| = 4 ||W*_ov|| Delta (zero initialisation, "
                     "Assumption 2)",
            quantity="stage-1 margins", stated=("ZI",), unstated=("A2",), corrects="P39", follows=("P3", "P14"),
            inconsistencies=(3, 17), needs=("margins1", "wrong1", "star_norm_ov", "t1", "eta0", "norm_W_ov"), **_S)
def p39(q, ops):
    """P39 corrected (p.18): from zero, every margin equals ``Delta_act = t eta0/||W*_ov||`` (trailing ``(i, x)``).

    Stage 1 is exactly aligned with ``W*_ov`` (P14's case at every ``t >= 1``), ``||W_ov^(t)|| = t eta0``
    (P3) and every ``W*_ov`` margin is 1 under Assumption 2 (unstated): so the premise holds with
    ``Delta_act``, ``Delta_act / Delta = 4 ||W*_ov||``. The undefined ``What_ov`` of the printed
    justification is ``W_ov^(T)`` (decision typo-P34-P39-notation).
    """
    d = (q.t1 * q.eta0 / q.star_norm_ov)[:, None, None]
    return Check(_wrong(q, ops, q.margins1, d), d + 0.0 * q.margins1, "==", scale=q.norm_W_ov)


for _d in (
        Decision("corollary1-upper", items=(1,), steps=("P38.2", "P38.2'"), category="false",
                 summary="Corollary 1's upper bound 3 Delta is false: the proof's P38.2 bounds ||W||/||W*_ov|| + "
                         "2 sqrt(2) ||W|| sqrt(eps_T) by 3 T eta0/(4||W*_ov||^2), but its first term is T eta0/||W*_ov|| "
                         "= 4||W*_ov|| Delta under zero initialisation (row P38.2 fails at the first T where the "
                         "condition on T holds); the argument gives 6||W*_ov|| Delta (P38.2'), and the margins equal "
                         "4||W*_ov|| Delta exactly (P39'); minimal counterexample |V| = 2, eta0 = 1000, T = 1",
                 statement_holds=False,
                 evidence=("rows P38.2, P38.2', P39' and Corollary 1's rows of python -m reference proofs",
                           "tests/test_errata.py::test_erratum_corollary1_upper_minimal_counterexample",
                           "tests/test_proofs_c123.py::test_corollary1_upper_step")),
        Decision("typo-P35-equals", items=(2,), steps=("P35", "P35'"), category="typo",
                 summary="step (a) of Corollary 1 is printed '=' but is a lower bound: as an equality it fails at "
                         "every T >= 2 (row P35), as '>=' it holds (P35')",
                 evidence=("rows P35, P35' of python -m reference proofs",)),
        Decision("gap-P36-coefficient", items=(2,), steps=("P36", "P37"), category="gap",
                 summary="step (b) follows from (a): a_T = ||W|| (1/||W*_ov|| - 2 sqrt(2 eps_T)) and (b) is a_T at "
                         "Lemma 1's ||W|| = T eta0/(2||W*_ov||), a valid lower bound because the bracket is >= 0, i.e. "
                         "T eta0 >= 96 ||W*_ov||^5 log(2|V|) log T, which Corollary 1's own condition (384) implies; "
                         "the paper does not say so. The constant 384 ||W*_ov||^5 is right (P37 is exactly the "
                         "condition); the printed (b) never fails on a run (the margin T eta0/||W*_ov|| exceeds it), "
                         "and (a) => (b) fails only outside the condition (smallest case |V| = 2, T = 2, any "
                         "eta0 < 48 log 4 log 2 = 46.1)",
                 statement_holds=True,
                 evidence=("rows P36, P37 of python -m reference proofs (run 'Example 1, large steps')",
                           "tests/test_proofs_c123.py::test_p36_exact_condition",
                           "tests/test_proofs_c123.py::test_p36_step_fails_only_outside_the_condition")),
        Decision("gap-eqm-delta", items=(3,), steps=("P39", "P39'"), category="gap",
                 summary="the stage-2 proofs assume every stage-1 margin equals Delta = T eta0/(4||W*_ov||^2) (P39): "
                         "assumed, not proved. From zero with Assumption 2 the margins are all equal (Lemma 3), but to "
                         "Delta_act = T eta0/||W*_ov||, so Delta_act/Delta = 4||W*_ov|| (row P39 fails, P39' holds). "
                         "Lemma 4 and the identities built on it (P43-P44, P49, P51, P56-P60) hold with Delta_act and "
                         "fail with Delta; the sign and ratio arguments (P50, P52-P55, P61-P63) do not depend on it",
                 statement_holds=True,
                 evidence=("rows P39, P39', P44 of python -m reference proofs",
                           "tests/test_proofs_c123.py::test_delta_act_over_delta_paper",
                           "tests/test_proofs_c123.py::test_lemma4_fails_with_delta_paper")),
        Decision("typo-P34-P39-notation", items=(17,), steps=("P34", "P39'"), category="typo",
                 summary="P34 prints a spurious W_ov^(T) before x in its second term ((Wbar - Wbar*) W_ov^(T) x is not "
                         "defined unless d = |V|); without it P34 is an identity (row P34). P39 justifies the premise "
                         "with an undefined What_ov, read as W_ov^(T) (P39')",
                 evidence=("rows P34, P39' of python -m reference proofs",))):
    REGISTRY.add_decision(_d)

"""Appendix B, p.16-17: the proof of Proposition 3 (Proposition 1's direction bound), steps P21-P32.

Proposition 3: with zero initialisation, for every ``t >= 2``,
``<Wbar_ov^(t), Wbar*_ov> >= 1 - 12 ||W*_ov||^3 log(2|V|) log t / (t eta0)``. The proof
projects each step on ``Wbar*_ov`` (P21), applies Lemma 2 (P22), rewrites the
projection on ``Wbar_ov^(t)`` through norms (P23-P26), bounds it per step (P27), sums
from ``t = 2`` (P28), bounds the sums with Lemma 1 (P29, P30), divides by
``||W_ov^(t)||`` (P31) and simplifies the constants (P32), which needs
``eta0 <= ||W*_ov||/2`` (S1): not stated. ``alpha_t = alpha_t^ov = 2||W*_ov|| log(2|V|)/||W_ov^(t)||``;
``dW = W_ov^(t+1) - W_ov^(t)``. This module holds P21-P27;
:mod:`reference.theory.proofs.proposition3_sums` holds P28-P32 (same statement).
"""

from .entries import Check, Decision
from .registry import proof_step, REGISTRY

__all__ = ["step"]

_S = dict(statement="Proposition 3", stage=1)
_STEP = ("W!=0", "t<T")


def step(key):
    """The step ``key`` of Proposition 3's proof (``"P21"`` .. ``"P32"``, and the corrected ``"P21'"``, ...)."""
    return REGISTRY.step(key, statement="Proposition 3")


def _proj_star(q, ops):
    return ops.dot(q.dW_ov, q.Wbar_ov_star[None])


def _proj_own(q, ops):
    return ops.dot(q.dW_ov, q.Wbar_ov)


def _frac(q):
    return q.alpha_ov / (1.0 + q.alpha_ov)


@proof_step("P21", page=16, equation="first line (as printed)", kind="ID",
            printed="<W_ov^(t+1) - W_ov^(t), Wbar*_ov> = -eta0 <G1_t, Wbar*_ov>", quantity="<dW, Wbar*_ov>",
            stated=("t<T",), recorded="typo-P21-normalisation", inconsistencies=(10, 15),
            needs=("dW_ov", "Wbar_ov_star", "eta0", "log_norm_G1", "ug1_Wstarbar", "norm_W_ov"), **_S)
def p21_printed(q, ops):
    """P21 as printed (p.16): ``-eta0 <G1_t, Wbar*_ov>``, without the ``1/||G1_t||`` of update (7).

    Recorded false (decision typo-P21-normalisation): it holds only where ``||G1_t|| = 1``.
    ``G1_t = exp(log||G1_t||) g1_t`` (it may underflow to 0).
    """
    return Check(_proj_star(q, ops), -q.eta0 * ops.exp(q.log_norm_G1) * q.ug1_Wstarbar, "==", scale=q.norm_W_ov)


@proof_step("P21'", page=16, equation="first line (corrected)", kind="ID",
            printed="<W_ov^(t+1) - W_ov^(t), Wbar*_ov> = -eta0 <G1_t, Wbar*_ov>",
            relation="<W_ov^(t+1) - W_ov^(t), Wbar*_ov> = -eta0 <g1_t, Wbar*_ov>", quantity="<dW, Wbar*_ov>",
            stated=("t<T",), corrects="P21", follows=("P3",), inconsistencies=(10,),
            needs=("dW_ov", "Wbar_ov_star", "eta0", "ug1_Wstarbar", "norm_W_ov"), **_S)
def p21(q, ops):
    """P21 corrected (p.16): ``<W_ov^(t+1) - W_ov^(t), Wbar*_ov> = -eta0 <g1_t, Wbar*_ov>`` (update 7)."""
    return Check(_proj_star(q, ops), -q.eta0 * q.ug1_Wstarbar, "==", scale=q.norm_W_ov)


@proof_step("P22", page=16, equation="Lemma 2 applied", kind="INEQ",
            printed=">= -(eta0/(1 + alpha_t)) <g1_t, Wbar_ov^(t)>", quantity="<dW, Wbar*_ov>", stated=_STEP,
            follows=("P21'", "Lemma 2"), needs=("dW_ov", "Wbar_ov_star", "eta0", "alpha_ov", "ug1_Wbar", "norm_W_ov"),
            **_S)
def p22(q, ops):
    """P22 (p.16): ``<dW, Wbar*_ov> >= -(eta0/(1 + alpha_t)) <g1_t, Wbar_ov^(t)>`` (Lemma 2 divided by ``1 + alpha_t``)."""
    return Check(_proj_star(q, ops), -q.eta0 / (1.0 + q.alpha_ov) * q.ug1_Wbar, ">=", scale=q.norm_W_ov)


@proof_step("P23", page=16, equation="", kind="ID",
            printed="-(eta0/(1 + alpha_t)) <g1_t, Wbar_ov^(t)> = (1/(1 + alpha_t)) <dW, Wbar_ov^(t)>",
            quantity="-(eta0/(1 + alpha_t)) <g1_t, Wbar_ov^(t)>", stated=_STEP, follows=("P3",),
            needs=("eta0", "alpha_ov", "ug1_Wbar", "dW_ov", "Wbar_ov", "norm_W_ov"), **_S)
def p23(q, ops):
    """P23 (p.16): ``-(eta0/(1 + alpha_t)) <g1_t, Wbar^(t)> = (1/(1 + alpha_t)) <dW, Wbar^(t)>`` (update 7)."""
    return Check(-q.eta0 / (1.0 + q.alpha_ov) * q.ug1_Wbar, _proj_own(q, ops) / (1.0 + q.alpha_ov), "==",
                 scale=q.norm_W_ov)


@proof_step("P24", page=16, equation="", kind="ID",
            printed="(1/(1 + alpha_t)) <dW, Wbar^(t)> = (1 - alpha_t/(1 + alpha_t)) <dW, Wbar^(t)>",
            quantity="(1/(1 + alpha_t)) <dW, Wbar_ov^(t)>", stated=_STEP, follows=("P23",),
            needs=("dW_ov", "Wbar_ov", "alpha_ov", "norm_W_ov"), **_S)
def p24(q, ops):
    """P24 (p.16): ``1/(1 + alpha) = 1 - alpha/(1 + alpha)`` applied to ``<dW, Wbar_ov^(t)>``."""
    p = _proj_own(q, ops)
    return Check(p / (1.0 + q.alpha_ov), (1.0 - _frac(q)) * p, "==", scale=q.norm_W_ov)


def _expr25(q, ops):
    n0, n1 = q.norm_W_ov, ops.append_nan(q.norm_W_ov[1:])
    dn2 = ops.dot(q.dW_ov, q.dW_ov)
    return (n1 * n1 - dn2 - n0 * n0) / (2.0 * n0) - _frac(q) * _proj_own(q, ops)


@proof_step("P25", page=16, equation="", kind="ID",
            printed="= (||W^(t+1)||^2 - ||dW||^2 - ||W^(t)||^2)/(2||W^(t)||) - (alpha_t/(1 + alpha_t)) <dW, Wbar^(t)>",
            quantity="(1 - alpha_t/(1 + alpha_t)) <dW, Wbar_ov^(t)>", stated=_STEP, follows=("P24",),
            needs=("dW_ov", "Wbar_ov", "alpha_ov", "norm_W_ov"), **_S)
def p25(q, ops):
    """P25 (p.16): ``<dW, Wbar^(t)> = (||W^(t+1)||^2 - ||dW||^2 - ||W^(t)||^2)/(2||W^(t)||)``.

    The difference of squared norms cancels: rounding is relative to ``||W_ov^(t+1)||^2/||W_ov^(t)||``.
    """
    n0 = q.norm_W_ov
    return Check((1.0 - _frac(q)) * _proj_own(q, ops), _expr25(q, ops), "==",
                 scale=ops.append_nan(q.norm_W_ov[1:]) ** 2 / n0 + n0)


def _expr26(q, ops, step2):
    n0, n1 = q.norm_W_ov, ops.append_nan(q.norm_W_ov[1:])
    return (n1 * n1 - n0 * n0) / (2.0 * n0) - step2 / (2.0 * n0) + q.eta0 * _frac(q) * q.ug1_Wbar


_P26 = ("= (||W^(t+1)||^2 - ||W^(t)||^2)/(2||W^(t)||) - eta^2/(2||W^(t)||) "
        "+ (eta0 alpha_t/(1 + alpha_t)) <g1_t, Wbar^(t)>")


@proof_step("P26", page=17, equation="(a) (as printed)", kind="ID", printed=_P26, quantity="P25's right side",
            stated=_STEP, recorded="typo-P26-eta", inconsistencies=(16,),
            needs=("dW_ov", "Wbar_ov", "alpha_ov", "norm_W_ov", "eta", "eta0", "ug1_Wbar"), **_S)
def p26_printed(q, ops):
    """P26 as printed (p.17, step (a)): with ``eta^2`` (the stage-2 step) for ``eta0^2``.

    Recorded false (decision typo-P26-eta): it holds only on runs with ``eta = eta0``.
    """
    n0 = q.norm_W_ov
    return Check(_expr25(q, ops), _expr26(q, ops, q.eta ** 2), "==", scale=ops.append_nan(n0[1:]) ** 2 / n0 + n0)


@proof_step("P26'", page=17, equation="(a) (corrected)", kind="ID", printed=_P26,
            relation=_P26.replace("eta^2", "eta0^2"), quantity="P25's right side", stated=_STEP, corrects="P26",
            follows=("P25", "P3"), inconsistencies=(16,),
            needs=("dW_ov", "Wbar_ov", "alpha_ov", "norm_W_ov", "eta0", "ug1_Wbar"), **_S)
def p26(q, ops):
    """P26 corrected (p.17, step (a)): ``||dW||^2 = eta0^2`` and ``<dW, Wbar^(t)> = -eta0 <g1_t, Wbar^(t)>``."""
    n0 = q.norm_W_ov
    return Check(_expr25(q, ops), _expr26(q, ops, q.eta0 ** 2), "==", scale=ops.append_nan(n0[1:]) ** 2 / n0 + n0)


def _p27_bound(q, ops):
    n0, n1 = q.norm_W_ov, ops.append_nan(q.norm_W_ov[1:])
    return n1 - n0 - q.eta0 ** 2 / (2.0 * n0) - q.eta0 * _frac(q)


@proof_step("P27", page=17, equation="(b)", kind="INEQ",
            printed="<dW, Wbar*_ov> >= ||W^(t+1)|| - ||W^(t)|| - eta0^2/(2||W^(t)||) - eta0 alpha_t/(1 + alpha_t)",
            quantity="<dW, Wbar*_ov>", stated=_STEP, follows=("P22", "P26'"),
            needs=("dW_ov", "Wbar_ov_star", "norm_W_ov", "eta0", "alpha_ov"), **_S)
def p27(q, ops):
    """P27 (p.17, step (b)): the per-step bound, from ``x^2 - y^2 >= 2y(x - y)`` and ``<g1_t, Wbar^(t)> >= -1``."""
    return Check(_proj_star(q, ops), _p27_bound(q, ops), ">=", scale=q.norm_W_ov)


for _d in (
        Decision("typo-P21-normalisation", items=(10,), steps=("P21", "P21'"), category="typo",
                 summary="P21 writes -eta0 <G1_t, Wbar*_ov> without the 1/||G1_t|| of update (7): as printed it fails "
                         "wherever ||G1_t|| != 1 (row P21); with g1_t it holds (P21') and the proof uses g1_t "
                         "from P22 on",
                 evidence=("rows P21, P21' of python -m reference proofs",)),
        Decision("typo-P26-eta", items=(16,), steps=("P26", "P26'"), category="typo",
                 summary="P26 writes eta^2 (the stage-2 step) for eta0^2 = ||W_ov^(t+1) - W_ov^(t)||^2: as printed "
                         "it fails on every run with eta != eta0 (row P26); with eta0^2 it holds (P26')",
                 evidence=("rows P26, P26' of python -m reference proofs",)),
):
    REGISTRY.add_decision(_d)

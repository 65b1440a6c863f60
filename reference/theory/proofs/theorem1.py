"""Appendix C.5, p.28-29: the proof of Theorem 1, steps P104-P108 (the per-step bound and its sum from ``t_0``).

Theorem 1 (p.7): under Assumptions 1-3 and ``eta < O(1)``, for every ``t >= 2``,
``t eta / (2||W*_kq||) <= ||W_kq^(t)|| <= t eta`` and
``<Wbar_kq^(t), Wbar*_kq> >= 1 - 54 N L_max^4 ||W*_kq||^4 log^2 t / (t eta)``. The proof is the
stage-2 copy of Proposition 3's: each step is projected on ``Wbar*_kq`` (P104), Lemma 7 is applied
(P105, so ``t >= t_0 = ceil(8 L_max ||W*_kq||^2 / eta)``), the projection on ``Wbar_kq^(t)`` is
rewritten through norms (P106) and bounded per step (P107), and summed from ``t_0`` (P108). The
sums are bounded and the constants simplified in :mod:`reference.theory.proofs.theorem1_sums`
(P109-P114), which also holds the Section 5.3 sketch's inequality.

``alpha_t = 4 N L_max^2 ||W*_kq||^2 (1 + log(2 L_max ||W_kq^(t)||)) / ||W_kq^(t)||`` (Lemma 7),
``dW = W_kq^(t+1) - W_kq^(t)``, ``g_t = G_t / ||G_t||``. Conditions: zero initialisation and
Assumptions 1-3 (Lemmas 5-7 need them), the equal stage-1 margins the proofs assume (EQM),
``t >= t_0`` (S4, stated by Lemma 7 and by the proof, which sums from ``t_0``; not by Theorem 1);
Lemma 7's own hidden conditions ``N >= 3``, the norm and ``L_max^2 ||W*_kq|| >= 1`` (S5-S7) are
unstated.
"""

import numpy as np

from .entries import Check, Decision
from .registry import proof_step, REGISTRY

__all__ = ["step"]

_S = dict(statement="Theorem 1", stage=2)
_STEP = ("W!=0", "t<T")
#: Lemma 7 applied: what its proof needs, stated (first) and not (second).
LEMMA7 = ("ZI", "A1", "A2", "A3", "EQM", "S4")
LEMMA7_HIDDEN = ("S5", "S6", "S7")


def step(key):
    """The step ``key`` of Theorem 1's proof (``"P104"`` .. ``"P114"``, ``"SKETCH"``).

    Its docstring has page and equation.
    """
    return REGISTRY.step(key, statement="Theorem 1")


def _frac(q):
    return q.alpha_kq / (1.0 + q.alpha_kq)


def _proj_star(q, ops):
    return ops.dot(q.dW_kq, q.Wbar_kq_star[None])


def _proj_own(q, ops):
    return ops.dot(q.dW_kq, q.Wbar_kq)


def _ug_own(q, ops):
    return ops.dot(q.g, q.Wbar_kq)


def _ug_star(q, ops):
    return ops.dot(q.g, q.Wbar_kq_star[None])


def gscale(q, ops):
    """Rounding scale of a relation between the step ``dW`` (the engine's gradient) and ``g_t`` (Eq. 6): the two
    directions agree to ``eps ||W_kq^(t)|| ||W_ov^(T)||`` relative (row P2), times ``eta``; plus ``||W_kq^(t)||``
    for the difference of two iterates."""
    return q.eta * (1.0 + q.norm_W_kq) * (1.0 + ops.norm(q.W_ovT)) + q.norm_W_kq


@proof_step("P104", page=28, equation="first line (as printed)", kind="ID",
            printed="<W_kq^(t+1) - W_kq^(t), Wbar*_kq> = -eta <grad_W_kq L(theta^(t)), Wbar*_kq>",
            quantity="<dW, Wbar*_kq>", stated=("t<T",), recorded="typo-P104-normalisation", inconsistencies=(10,),
            needs=("dW_kq", "Wbar_kq_star", "eta", "log_norm_G", "g", "norm_W_kq", "W_ovT"), **_S)
def p104_printed(q, ops):
    """P104 as printed (p.28-29): ``-eta <G_t, Wbar*_kq>``, without the ``1/||G_t||`` of update (10).

    Recorded false (decision typo-P104-normalisation): it holds only where ``||G_t|| = 1``.
    ``G_t = exp(log||G_t||) g_t`` (it may underflow to 0).
    """
    return Check(_proj_star(q, ops), -q.eta * ops.exp(q.log_norm_G) * _ug_star(q, ops), "==", scale=gscale(q, ops))


@proof_step("P104'", page=29, equation="first line (corrected)", kind="ID",
            printed="<W_kq^(t+1) - W_kq^(t), Wbar*_kq> = -eta <grad_W_kq L(theta^(t)), Wbar*_kq>",
            relation="<W_kq^(t+1) - W_kq^(t), Wbar*_kq> = -eta <g_t, Wbar*_kq>", quantity="<dW, Wbar*_kq>",
            stated=("t<T",), corrects="P104", inconsistencies=(10,),
            needs=("dW_kq", "Wbar_kq_star", "eta", "g", "norm_W_kq", "W_ovT"), **_S)
def p104(q, ops):
    """P104 corrected (p.29): ``<W_kq^(t+1) - W_kq^(t), Wbar*_kq> = -eta <g_t, Wbar*_kq>`` (update 10)."""
    return Check(_proj_star(q, ops), -q.eta * _ug_star(q, ops), "==", scale=gscale(q, ops))


@proof_step("P105", page=29, equation="Lemma 7 applied", kind="INEQ",
            printed=">= -(eta/(1 + alpha_t)) <grad_W_kq L(theta^(t)), Wbar_kq^(t)>", quantity="<dW, Wbar*_kq>",
            relation="<dW, Wbar*_kq> >= -(eta/(1 + alpha_t)) <g_t, Wbar_kq^(t)>", stated=LEMMA7 + _STEP,
            unstated=LEMMA7_HIDDEN, follows=("P104'", "Lemma 7"),
            needs=("dW_kq", "Wbar_kq_star", "eta", "alpha_kq", "g", "Wbar_kq", "norm_W_kq", "W_ovT"), **_S)
def p105(q, ops):
    """P105 (p.29): ``<dW, Wbar*_kq> >= -(eta/(1 + alpha_t)) <g_t, Wbar_kq^(t)>``, Lemma 7 divided by ``1 + alpha_t``.

    Lemma 7 holds for ``t >= t_0`` only (condition S4); Theorem 1's statement claims every ``t >= 2``.
    """
    return Check(_proj_star(q, ops), -q.eta / (1.0 + q.alpha_kq) * _ug_own(q, ops), ">=", scale=gscale(q, ops))


@proof_step("P106", page=29, equation="", kind="ID",
            printed="-(eta/(1 + alpha_t)) <grad L, Wbar_kq^(t)> = (1/(1 + alpha_t)) <dW, Wbar_kq^(t)>",
            quantity="-(eta/(1 + alpha_t)) <g_t, Wbar_kq^(t)>", stated=_STEP, follows=("P104'",),
            needs=("eta", "alpha_kq", "g", "Wbar_kq", "dW_kq", "norm_W_kq", "W_ovT"), **_S)
def p106(q, ops):
    """P106 (p.29): ``-(eta/(1 + alpha_t)) <g_t, Wbar^(t)> = (1/(1 + alpha_t)) <dW, Wbar^(t)>`` (update 10)."""
    return Check(-q.eta / (1.0 + q.alpha_kq) * _ug_own(q, ops), _proj_own(q, ops) / (1.0 + q.alpha_kq), "==",
                 scale=gscale(q, ops))


def _norms(q, ops):
    return q.norm_W_kq, ops.append_nan(q.norm_W_kq[1:])


def _expr_norms(q, ops):
    n0, n1 = _norms(q, ops)
    dn2 = ops.dot(q.dW_kq, q.dW_kq)
    return (n1 * n1 - dn2 - n0 * n0) / (2.0 * n0) - _frac(q) * _proj_own(q, ops)


def _scale_sq(q, ops):
    n0, n1 = _norms(q, ops)
    return n1 * n1 / n0 + n0


@proof_step("P106.2", page=29, equation="", kind="ID",
            printed="= (||W^(t+1)||^2 - ||W^(t+1) - W^(t)||^2 - ||W^(t)||^2)/(2||W^(t)||) - (alpha_t/(1 + alpha_t)) "
                    "<dW, Wbar^(t)>",
            quantity="(1/(1 + alpha_t)) <dW, Wbar_kq^(t)>", stated=_STEP, follows=("P106",),
            needs=("dW_kq", "Wbar_kq", "alpha_kq", "norm_W_kq"), **_S)
def p106_2(q, ops):
    """P106, second line (p.29): ``1/(1 + alpha) = 1 - alpha/(1 + alpha)`` and
    ``<dW, Wbar^(t)> = (||W^(t+1)||^2 - ||dW||^2 - ||W^(t)||^2)/(2||W^(t)||)``.

    The difference of squared norms cancels: rounding is relative to ``||W^(t+1)||^2/||W^(t)||``.
    """
    return Check(_proj_own(q, ops) / (1.0 + q.alpha_kq), _expr_norms(q, ops), "==", scale=_scale_sq(q, ops))


def _expr_106_3(q, ops, first):
    n0 = q.norm_W_kq
    return first / (2.0 * n0) - q.eta ** 2 / (2.0 * n0) + q.eta * _frac(q) * _ug_own(q, ops)


_P106_3 = ("= (||W_kq^(t)||^2 - ||W_kq^(t)||^2)/(2||W^(t)||) - eta^2/(2||W^(t)||) "
           "+ (eta alpha_t/(1 + alpha_t)) <grad L/||grad L||, Wbar^(t)>")


@proof_step("P106.3", page=29, equation="third line (as printed)", kind="ID", printed=_P106_3,
            quantity="P106.2's right side", stated=_STEP, recorded="typo-P106-numerator", inconsistencies=(22,),
            needs=("dW_kq", "Wbar_kq", "alpha_kq", "norm_W_kq", "eta", "g", "W_ovT"), **_S)
def p106_3_printed(q, ops):
    """P106, third line as printed (p.29): the numerator ``||W_kq^(t)||^2 - ||W_kq^(t)||^2`` (that is 0).

    Recorded false (decision typo-P106-numerator): the numerator is ``||W^(t+1)||^2 - ||W^(t)||^2``.
    """
    n0 = q.norm_W_kq
    return Check(_expr_norms(q, ops), _expr_106_3(q, ops, n0 * n0 - n0 * n0), "==",
                 scale=_scale_sq(q, ops) + gscale(q, ops))


@proof_step("P106.3'", page=29, equation="third line (corrected)", kind="ID", printed=_P106_3,
            relation=_P106_3.replace("(||W_kq^(t)||^2 - ||W_kq^(t)||^2)", "(||W_kq^(t+1)||^2 - ||W_kq^(t)||^2)"),
            quantity="P106.2's right side", stated=_STEP, corrects="P106.3", follows=("P106.2",),
            inconsistencies=(22,), needs=("dW_kq", "Wbar_kq", "alpha_kq", "norm_W_kq", "eta", "g", "W_ovT"), **_S)
def p106_3(q, ops):
    """P106, third line corrected (p.29): ``||dW||^2 = eta^2`` and ``<dW, Wbar^(t)> = -eta <g_t, Wbar^(t)>``."""
    n0, n1 = _norms(q, ops)
    return Check(_expr_norms(q, ops), _expr_106_3(q, ops, n1 * n1 - n0 * n0), "==",
                 scale=_scale_sq(q, ops) + gscale(q, ops))


@proof_step("P107", page=29, equation="last line", kind="INEQ",
            printed="<dW, Wbar*_kq> >= ||W^(t+1)|| - ||W^(t)|| - eta^2/(2||W^(t)||) - eta alpha_t/(1 + alpha_t)",
            quantity="<dW, Wbar*_kq>", stated=LEMMA7 + _STEP, unstated=LEMMA7_HIDDEN, follows=("P105", "P106.3'"),
            needs=("dW_kq", "Wbar_kq_star", "norm_W_kq", "eta", "alpha_kq"), **_S)
def p107(q, ops):
    """P107 (p.29): the per-step bound, from ``x^2 - y^2 >= 2y(x - y)`` and ``<g_t, Wbar^(t)> >= -1``, for ``t >= t_0``."""
    n0, n1 = _norms(q, ops)
    return Check(_proj_star(q, ops), n1 - n0 - q.eta ** 2 / (2.0 * n0) - q.eta * _frac(q), ">=", scale=q.norm_W_kq)


def from_t0(f, q, ops):
    """``S[t] = sum_{t'=t_0}^{t-1} f[t']`` (0 for ``t <= t_0``): the partial sums of the proof of Theorem 1."""
    f = ops.where(np.arange(len(q.t2)) >= q.t0, f, 0.0)
    return ops.cumsum(f, axis=0) - f


def at_t0(x, q, ops):
    """``x[t_0]`` at every iterate (nan at every iterate when ``t_0 > T1``: the run never reaches it)."""
    if q.t0 >= len(q.t2):
        return q.t2 * np.nan
    return x[q.t0] + 0.0 * q.t2


@proof_step("P108", page=29, equation="summed from t_0", kind="INEQ",
            printed="<W^(t) - W^(t_0), Wbar*_kq> >= ||W^(t)|| - ||W^(t_0)|| - sum_{t'=t_0}^{t-1} eta^2/(2||W^(t')||) "
                    "- sum_{t'=t_0}^{t-1} eta alpha_t'/(1 + alpha_t')",
            quantity="<W_kq^(t) - W_kq^(t_0), Wbar*_kq>", stated=LEMMA7, unstated=LEMMA7_HIDDEN, follows=("P107",),
            needs=("W_kq", "Wbar_kq_star", "norm_W_kq", "eta", "alpha_kq", "t0", "t2"), **_S)
def p108(q, ops):
    """P108 (p.29): P107 summed over ``t' = t_0 .. t-1`` (the run's partial sums). Rounding: ``t ||W_kq^(t)||``."""
    proj = ops.dot(q.W_kq, q.Wbar_kq_star[None])
    s1 = from_t0(q.eta ** 2 / (2.0 * q.norm_W_kq), q, ops)
    s2 = from_t0(q.eta * _frac(q), q, ops)
    return Check(proj - at_t0(proj, q, ops), q.norm_W_kq - at_t0(q.norm_W_kq, q, ops) - s1 - s2, ">=",
                 scale=(q.t2 + 1.0) * q.norm_W_kq)


for _d in (
        Decision("typo-P104-normalisation", items=(10,), steps=("P104", "P104'"), category="typo",
                 summary="P104 writes -eta <grad L, Wbar*_kq> without the 1/||grad L|| of update (10): as printed it "
                         "fails wherever ||G_t|| != 1 (row P104); with g_t it holds (P104') and the proof uses the unit "
                         "gradient from P105 on",
                 evidence=("rows P104, P104' of python -m reference proofs",)),
        Decision("typo-P106-numerator", items=(22,), steps=("P106.3", "P106.3'"), category="typo",
                 summary="P106's third line prints the numerator ||W_kq^(t)||^2 - ||W_kq^(t)||^2 (= 0) for "
                         "||W_kq^(t+1)||^2 - ||W_kq^(t)||^2: as printed it fails at every step (row P106.3); "
                         "corrected it holds to rounding (P106.3') and P107 follows from it",
                 evidence=("rows P106.3, P106.3', P107 of python -m reference proofs",
                           "tests/test_proofs_theorems.py::test_recorded_steps_fail_and_corrections_hold"))):
    REGISTRY.add_decision(_d)

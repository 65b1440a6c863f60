"""Appendix B, p.14-15: update (7) and the proof of Lemma 1, steps P3 and P6-P13.

Lemma 1: under update (7), from any ``W_ov^(0)``,
``t eta0 + ||W_ov^(0)|| >= ||W_ov^(t)|| >= t eta0/(2||W*_ov||) - ||W_ov^(0)||``.
The proof: Eq. (8) (P6-P8) bounds the correlation of the gradient with ``W*_ov``
by the wrong-token mass, P9-P10 bound the gradient's norm by it, so every step
moves at least ``eta0/(2||W*_ov||)`` along ``Wbar*_ov`` (P11-P12); the upper bound
is the triangle inequality (P13).

The homogeneous relations P6-P10 are checked on the gradient scaled by
``exp(-c1_t)`` (``G1s``, ``pws``, ``T0s_wrong``): exact when the gradient underflows.
"""

import math

import numpy as np

from ..appendix_b import eq8
from .entries import Check, Decision
from .registry import proof_step, REGISTRY

__all__ = ["step"]

_S = dict(statement="Lemma 1", stage=1)


def step(key):
    """The step ``key`` of Lemma 1's proof (``"P3"``, ``"P6"`` .. ``"P13"``); its docstring has page and equation."""
    return REGISTRY.step(key, module=__name__)


@proof_step("P3", page=14, equation="Eq. (7)", kind="ID", printed="W_ov^(t+1) - W_ov^(t) = -eta0 g1_t",
            quantity="W_ov^(t+1) - W_ov^(t)", stated=("t<T",), needs=("dW_ov", "g1", "eta0", "norm_W_ov"),
            measured_range=(0, math.inf), **_S)
def p3(q, ops):
    """P3 (p.14, Eq. 7): ``W_ov^(t+1) - W_ov^(t) = -eta0 g1_t``, hence ``||W_ov^(t+1) - W_ov^(t)|| = eta0``.

    The recorded step against Eq. (5)'s unit gradient; the difference of two
    iterates of norm ``||W_ov^(t)||`` is rounded to ``eps ||W_ov^(t)||``.
    """
    return Check(q.dW_ov, -q.eta0 * q.g1, "==", scale=q.norm_W_ov + q.eta0)


def _abs_terms(x, ops):
    return ops.sum(ops.abs(x), axis=(1, 2))


def _expr6(q, ops):
    """``sum_x (T0_t(x) - e_In(x))^T W*_ov x`` scaled by ``exp(-c1_t)``."""
    return ops.dot(q.R0s, q.Bstar[None])


@proof_step("P6", page=14, equation="Eq. (8), line 1", kind="ID",
            printed="<W*_ov, G1_t> = sum_x (T0_t(x) - e_In(x))^T W*_ov x",
            quantity="<W*_ov, G1_t> exp(-c1_t)", follows=("P1",), needs=("W_ov_star", "G1s", "R0s", "Bstar"), **_S)
def p6(q, ops):
    """P6 (p.14, Eq. 8 line 1): ``<W*_ov, G1_t> = sum_x (T0_t(x) - e_In(x))^T W*_ov x``.

    Both sides scaled by ``exp(-c1_t)``; rounding is relative to the sum of the
    absolute terms.
    """
    return Check(ops.dot(q.W_ov_star[None], q.G1s), _expr6(q, ops), "==", scale=_abs_terms(q.R0s * q.Bstar, ops))


def _gaps(B, q):
    """``(e_i - e_In(x))^T W x`` at ``[..., i, x]`` from ``B[..., :, x] = W x``."""
    return B - B[..., q.In, np.arange(q.n_tokens)][..., None, :]


@proof_step("P7", page=14, equation="Eq. (8), line 2", kind="ID",
            printed="= sum_x sum_i [T0_t(x)]_i (e_i - e_In(x))^T W*_ov x",
            quantity="sum_x (T0_t(x) - e_In(x))^T W*_ov x exp(-c1_t)", follows=("P6",),
            needs=("R0s", "Bstar", "T0s_wrong", "In", "n_tokens"), **_S)
def p7(q, ops):
    """P7 (p.14, Eq. 8 line 2): ``sum_x (T0_t(x) - e_In(x))^T W*_ov x = sum_x sum_i [T0_t(x)]_i (e_i - e_In(x))^T W*_ov x``.

    Uses ``sum_i [T0_t(x)]_i = 1``; the term ``i = In(x)`` is 0. Scaled by ``exp(-c1_t)``
    (only the wrong entries ``T0s_wrong`` enter, so nothing is computed as ``1 - p``).
    """
    gap = _gaps(q.Bstar, q)
    return Check(_expr6(q, ops), ops.sum(q.T0s_wrong * gap[None], axis=(1, 2)), "==",
                 scale=_abs_terms(q.R0s * q.Bstar, ops))


@proof_step("P8", page=14, equation="Eq. (8), (a)", kind="INEQ", printed="<W*_ov, G1_t> <= -sum_x pw_t(x)",
            quantity="<W*_ov, G1_t> exp(-c1_t)", follows=("P7",), needs=("W_ov_star", "G1s", "pws", "R0s", "Bstar"),
            note="from the constraints of Eq. (2); under Assumption 2 every W*_ov margin is 1 and it holds with "
                 "equality", **_S)
def p8(q, ops):
    """P8 (p.14, Eq. 8 step (a)): ``<W*_ov, G1_t> <= -sum_x pw_t(x)``, ``pw_t(x) = sum_{i != In(x)} [T0_t(x)]_i``.

    Every ``W*_ov`` margin is at least 1 (Eq. 2); under Assumption 2 all equal 1 and
    the two sides are equal. Scaled by ``exp(-c1_t)``.
    """
    return Check(ops.dot(q.W_ov_star[None], q.G1s), eq8(q.pws, ops=ops), "<=",
                 scale=_abs_terms(q.R0s * q.Bstar, ops))


@proof_step("P9", page=14, equation="before (a), p.15", kind="ID",
            printed="||G1_t|| = <g1_t, G1_t> = sum_x sum_i [T0_t(x)]_i (e_i - e_In(x))^T g1_t x",
            quantity="||G1_t|| exp(-c1_t)", inconsistencies=(15,), follows=("P1",),
            needs=("norm_G1s", "T0s_wrong", "g1", "E", "In", "n_tokens"), measured_range=(0, math.inf),
            note="printed with L(W_ov^(t)) and L(theta^(t)) for L_0 (decision typo-L-for-L0)", **_S)
def p9(q, ops):
    """P9 (p.14-15): ``||G1_t|| = <g1_t, G1_t> = sum_x sum_i [T0_t(x)]_i (e_i - e_In(x))^T g1_t x``.

    Scaled by ``exp(-c1_t)``; ``g1_t x`` for every token is ``g1_t E``.
    """
    gap = _gaps(ops.matmul(q.g1, q.E), q)
    return Check(q.norm_G1s, ops.sum(q.T0s_wrong * gap, axis=(1, 2)), "==", scale=q.norm_G1s)


@proof_step("P10", page=15, equation="(a)", kind="INEQ", printed="||G1_t|| <= 2 sum_x pw_t(x)",
            quantity="||G1_t|| exp(-c1_t)", follows=("P9",), needs=("norm_G1s", "pws"), measured_range=(0, math.inf),
            note="the true constant is sqrt 2: under Assumption 2, ||G1_t||^2 = sum_x ||T0_t(x) - e_In(x)||^2 "
                 "<= 2 sum_x pw_t(x)^2", **_S)
def p10(q, ops):
    """P10 (p.15, step (a)): ``||G1_t|| <= 2 sum_x pw_t(x)``. Scaled by ``exp(-c1_t)``.

    ``|(e_i - e_In(x))^T g1_t x| <= sqrt 2`` in P9 gives the constant ``sqrt 2``; the paper
    writes 2.
    """
    return Check(q.norm_G1s, 2.0 * ops.sum(q.pws, axis=1), "<=")


@proof_step("P11", page=15, equation="after (a)", kind="INEQ", printed="<W*_ov, g1_t> <= -1/2",
            quantity="<W*_ov, g1_t> (W*_ov unnormalised)", follows=("P8", "P10"),
            needs=("W_ov_star", "g1"), measured_range=lambda q: (-q.star_norm_ov, q.star_norm_ov),
            **_S)
def p11(q, ops):
    """P11 (p.15): ``<W*_ov, g1_t> <= -1/2``, with ``W*_ov`` unnormalised (P8 divided by P10)."""
    return Check(ops.dot(q.W_ov_star[None], q.g1), -0.5, "<=")


@proof_step("P12", page=15, equation="Lemma 1, lower bound (per step)", kind="INEQ",
            printed="||W_ov^(t)|| >= <W_ov^(0) - sum_{t'<t} eta0 g1_t', W_ov / ||W*_ov||> >= "
                    "t eta0/(2||W*_ov||) - ||W_ov^(0)||",
            relation="<W_ov^(t+1) - W_ov^(t), Wbar*_ov> >= eta0 / (2||W*_ov||)",
            quantity="<W_ov^(t+1) - W_ov^(t), Wbar*_ov>", stated=("t<T",), follows=("P3", "P11"),
            inconsistencies=(16,), needs=("dW_ov", "Wbar_ov_star", "eta0", "star_norm_ov", "norm_W_ov"),
            measured_range=lambda q: (-q.eta0, q.eta0), **_S)
def p12(q, ops):
    """P12 (p.15): every step moves ``<W_ov^(t+1) - W_ov^(t), Wbar*_ov> >= eta0 / (2||W*_ov||)``.

    Summed over ``t' < t`` and with ``||W|| >= <W, Wbar*_ov>`` this is Lemma 1's lower
    bound. The printed inner product has ``W_ov/||W*_ov||`` for ``W*_ov/||W*_ov||``
    (decision typo-P12-inner-product). Rounding: the step is a difference of
    iterates of norm ``||W_ov^(t)||``.
    """
    return Check(ops.dot(q.dW_ov, q.Wbar_ov_star[None]), q.eta0 / (2.0 * q.star_norm_ov), ">=",
                 scale=q.norm_W_ov)


@proof_step("P13", page=15, equation="Lemma 1, upper bound (per step)", kind="INEQ",
            printed="||W_ov^(t+1)|| <= ||W_ov^(t)|| + eta0", quantity="||W_ov^(t+1)||", stated=("t<T",),
            follows=("P3",), needs=("norm_W_ov", "eta0"), measured_range=(0, math.inf), **_S)
def p13(q, ops):
    """P13 (p.15): ``||W_ov^(t+1)|| <= ||W_ov^(t)|| + eta0`` (triangle inequality), hence Lemma 1's upper bound."""
    return Check(ops.append_nan(q.norm_W_ov[1:]), q.norm_W_ov + q.eta0, "<=")


REGISTRY.add_decision(Decision(
    "typo-P12-inner-product", items=(16,), steps=("P12",), category="typo",
    summary="P12's inner product is printed with W_ov/||W*_ov|| for W*_ov/||W*_ov||; the argument (the "
            "projection of the steps on Wbar*_ov) needs Wbar*_ov, and with it P12 holds at every step",
    evidence=("P12 rows of python -m reference proofs", "tests/test_proofs_steps.py::test_p12_transcription")))
REGISTRY.add_decision(Decision(
    "typo-lemma1-eta", items=(18,), steps=("P12", "P13"), category="typo",
    summary="Lemma 1 says 'with step size eta' but its formula and update (7) use eta0 (the stage-1 step); read "
            "with eta0 it holds (Lemma 1's rows, P12, P13)",
    evidence=("Lemma 1 rows of python -m reference verify",)))

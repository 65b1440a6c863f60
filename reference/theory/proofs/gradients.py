"""Appendix A (p.14): the gradient formulas Eq. (5) and Eq. (6) as proof steps P1 and P2.

Each formula, computed literally from the attention and output probabilities of
the run (:mod:`reference.theory.proofs.measure_stage1`, ``measure_stage2``), is
compared at every iterate with the gradient the training engine computes in
token coordinates (an independent implementation). Both are exact when the
gradient underflows: they are compared scaled by the same factor ``exp(-c_t)``.
"""

import math

from .entries import Check, Decision
from .registry import proof_step, REGISTRY

__all__ = ["step", "p1", "p2"]


def step(key):
    """The step ``key`` of Appendix A (``"P1"``, ``"P2"``): see :func:`p1`, :func:`p2`."""
    return REGISTRY.step(key, module=__name__)


@proof_step("P1", statement="Eq. (5)", page=14, equation="Eq. (5)", kind="ID", stage=1,
            printed="grad L_0(W_ov) = sum_x (T0(x) - e_In(x)) x^T",
            quantity="G1_t exp(-c1_t) by Eq. (5), against the engine's gradient",
            needs=("G1s", "g1_engine", "log_norm_G1_engine", "c1", "norm_W_ov"), measured_range=(0, math.inf))
def p1(q, ops):
    """P1 (p.14, Eq. 5): ``G1_t = grad L_0(W_ov^(t)) = sum_x (T0_t(x) - e_In(x)) x^T``.

    Left: Eq. (5) from the softmax columns ``T0_t(x)`` (``q.G1s``, scaled by
    ``exp(-c1_t)``). Right: the engine's unit gradient times ``exp(log||grad|| - c1_t)``.
    Compared in Frobenius norm at every ``t``; rounding scales with the logits, of size
    ``||W_ov^(t)||``. Any t, any initialisation.
    """
    rhs = q.g1_engine * ops.exp(q.log_norm_G1_engine - q.c1)[:, None, None]
    return _identity(q.G1s, rhs, q.norm_W_ov, ops)


@proof_step("P2", statement="Eq. (6)", page=14, equation="Eq. (6)", kind="ID", stage=2,
            printed="grad_{W_kq} L = sum_n pi^(n) X^(n) (diag(phi^(n)) - phi^(n) phi^(n)T X^(n)T W_ov^T "
                    "(T^(n) - p^(n)) q_n^T",
            relation="grad_{W_kq} L = sum_n pi^(n) X^(n) (diag(phi^(n,t)) - phi^(n,t) phi^(n,t)T) X^(n)T "
                     "W_ov^(T)T (T^(n) - p^(n)) q_n^T",
            quantity="G_t exp(-c2_t) by Eq. (6), against the engine's gradient", inconsistencies=(19,),
            needs=("Gs", "g_engine", "log_norm_G_engine", "c2", "norm_W_kq", "W_ovT"), measured_range=(0, math.inf),
            note="the printed bracket '(diag(phi - phi phi^T)' is unbalanced; phi^(n) is the attention vector "
                 "and p^(n) = e_{y_n}")
def p2(q, ops):
    """P2 (p.14, Eq. 6): ``G_t = sum_n pi^(n) X (diag(phi) - phi phi^T) X^T W_ov^(T)T (T^(n) - p^(n)) q_n^T``.

    Left: Eq. (6) with balanced brackets, from the attention, the outputs and
    ``W_ov^(T)`` (``q.Gs``, scaled by ``exp(-c2_t)``: every sentence's terms carry
    ``pi_n (1 - P_n)`` and its non-top attention, both taken in log space, see
    :mod:`reference.theory.proofs.measure_stage2`). Right: the engine's unit gradient
    times ``exp(log||grad|| - c2_t)``. Rounding: a score of size ``||W_kq^(t)||`` gives the
    attention a relative error ``eps ||W_kq^(t)||``, which the logits (size ``||W_ov^(T)||``)
    turn into an error ``eps ||W_kq^(t)|| ||W_ov^(T)||`` of the log-probabilities. Any t.
    """
    rhs = q.g_engine * ops.exp(q.log_norm_G_engine - q.c2)[:, None, None]
    return _identity(q.Gs, rhs, (1.0 + q.norm_W_kq) * (1.0 + ops.norm(q.W_ovT)), ops)


def _identity(lhs, rhs, weight_norm, ops):
    """A matrix identity per ``t``; the rounding scale is ``(1 + ||W||) ||lhs||`` (attention, logits)."""
    return Check(lhs, rhs, "==", scale=(1.0 + weight_norm) * ops.norm(lhs))


REGISTRY.add_decision(Decision(
    "typo-eq6-bracket", items=(19,), steps=("P2",), category="typo",
    summary="Eq. (6) prints '(diag(phi - phi phi^T)' with an unbalanced bracket and never defines phi_theta(X) "
            "(the attention vector) or p^(n) (= e_{y_n}); read as X (diag(phi) - phi phi^T) X^T W_ov^T (T - p) q^T "
            "it is the gradient the engine computes (row P2, to rounding, on every run)",
    evidence=("rows P2 of python -m reference proofs", "tests/test_proofs_measure.py::test_stage2_quantities_against_"
              "the_literal_face")))

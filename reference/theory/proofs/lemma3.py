"""Appendix C.1, p.17: the proof of Lemma 3 (equal wrong logits), step P33.

Lemma 3: with zero initialisation and update (7), ``(e_i - e_i')^T W_ov^(t) x = 0`` for all
``i, i' != In(x)`` and every t. The proof is an induction on update (7): projected on
``(e_i - e_i') x^T``, the step of ``W_ov`` is ``-eta0 ([T0_t(x)]_i - [T0_t(x)]_i') / ||G1_t||``, and
equal logits give equal probabilities. The projection uses ``G1_t x = T0_t(x) - e_In(x)``,
which needs orthonormal embeddings (Assumption 2): the statement does not list it
(decision gap-lemma3-A2). Pairs ``(i, i')`` are checked against one reference wrong token
``i'(x)`` per token (every other pair is a difference of two of these); the gradient is
taken scaled by ``exp(-c1_t)`` (``T0s_wrong``, ``norm_G1s``), exact when it underflows.
"""

import numpy as np

from .entries import Check, Decision
from .registry import proof_step, REGISTRY

__all__ = ["step"]

_S = dict(statement="Lemma 3", stage=1)


def step(key):
    """The step ``key`` of Lemma 3's proof (``"P33"``, ``"P33.2"``); its docstring has page and equation."""
    return REGISTRY.step(key, module=__name__)


def _reference_wrong(q):
    """``i'(x)``: the first token index ``!= In(x)``, per token x (structural)."""
    wrong = np.asarray(q.wrong1)
    return np.argmax(wrong, axis=0)


@proof_step("P33", page=17, equation="induction step", kind="ID",
            printed="(e_i - e_i')^T W_ov^(t+1) x = (e_i - e_i')^T W_ov^(t) x - eta0 ([T0_t(x)]_i - [T0_t(x)]_i') / "
                    "||G1_t||",
            quantity="(e_i - e_i')^T W_ov^(t+1) x", stated=("t<T",), unstated=("A2",), inconsistencies=(18,),
            follows=("P3",), needs=("D1", "wrong1", "n_tokens", "eta0", "T0s_wrong", "norm_G1s", "norm_W_ov"),
            note="the projection of update (7) on (e_i - e_i') x^T; it needs G1_t x = T0_t(x) - e_In(x), i.e. "
                 "orthonormal embeddings (Assumption 2), which Lemma 3 does not state", **_S)
def p33(q, ops):
    """P33 (p.17): ``(e_i - e_i')^T W_ov^(t+1) x = (e_i - e_i')^T W_ov^(t) x - eta0 ([T0_t(x)]_i - [T0_t(x)]_i')/||G1_t||``.

    For every token x and wrong ``i``, against the reference wrong token ``i'(x)`` (trailing
    axes ``(i, x)``; 0 = 0 at ``i = In(x)``). ``(e_i - e_i')^T W x = D1[i, x] - D1[i', x]``; the
    probabilities and the gradient's norm are scaled by the same ``exp(-c1_t)``. Any
    initialisation; Assumption 2 (unstated). Rounding: the logits (size ``||W_ov^(t)||``) and the step
    ``eta0`` times probabilities computed from them (relative error ``eps ||W_ov^(t)||``).
    """
    wrong = np.asarray(q.wrong1)
    ref = _reference_wrong(q)
    cols = np.arange(q.n_tokens)

    def pair(X):
        return ops.where(wrong, X - X[..., ref, cols][..., None, :], 0.0)
    lhs = ops.append_nan(pair(q.D1)[1:])
    rhs = pair(q.D1) - q.eta0 * pair(q.T0s_wrong) / q.norm_G1s[:, None, None]
    return Check(lhs, rhs, "==", scale=q.norm_W_ov + q.eta0 * (1.0 + q.norm_W_ov))


@proof_step("P33.2", page=17, equation="conclusion of the induction", kind="CLAIM",
            printed="(e_i - e_i')^T W_ov^(t) x = 0 for all i, i' != In(x)", quantity="(e_i - e_i')^T W_ov^(t) x",
            stated=("ZI",), unstated=("A2",), inconsistencies=(18,), follows=("P33",),
            needs=("D1", "wrong1", "n_tokens", "norm_W_ov"), **_S)
def p33_2(q, ops):
    """P33, conclusion (p.17): with zero initialisation ``(e_i - e_i')^T W_ov^(t) x = 0`` for wrong ``i, i'`` (Lemma 3).

    Against the reference wrong token ``i'(x)`` (trailing axes ``(i, x)``); exact zeros, up to
    the rounding of logits of size ``||W_ov^(t)||``.
    """
    wrong = np.asarray(q.wrong1)
    ref = _reference_wrong(q)
    cols = np.arange(q.n_tokens)
    return Check(ops.where(wrong, q.D1 - q.D1[..., ref, cols][..., None, :], 0.0), 0.0, "==", scale=q.norm_W_ov)


REGISTRY.add_decision(Decision(
    "gap-lemma3-A2", items=(18,), steps=("P33", "P33.2"), category="gap",
    summary="Lemma 3 states only zero initialisation, but its induction (P33) projects update (7) with "
            "G1_t x = T0_t(x) - e_In(x), which needs orthonormal embeddings (Assumption 2); with Assumption 2 it "
            "holds on every run, without it the wrong logits split at t = 1 (three tokens with a non-orthogonal "
            "embedding): a gap filled by Assumption 2, which the paper's setting (Propositions 1-2, Theorems 1-3) "
            "assumes",
    statement_holds=True,
    evidence=("rows P33, P33.2 and Lemma 3's rows of python -m reference proofs",
              "tests/test_proofs_c123.py::test_lemma3_needs_assumption2")))

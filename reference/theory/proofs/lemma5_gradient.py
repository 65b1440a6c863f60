"""Appendix C.2, p.20: the signs of the gradient's entries in Lemma 5's induction, steps P49-P53.2.

With Lemma 4 at ``W' = x q_n'^T`` (P49) the entry ``x^T G_t q_n'`` of the stage-2 gradient is a
sum over sentences; for the optimal token ``x*`` of sentence n' it is ``<= 0`` (P50), for a
non-optimal token ``x0`` of n' it is ``>= 0`` (P51-P53.2), so every step of update (10) raises
the optimal scores and lowers the non-optimal ones (P54, P55 in
:mod:`reference.theory.proofs.lemma5`). Entries are read in token coordinates
(``Gtok[t, i, j] = x_i^T G_t x_j exp(-c2_t)``), one per sentence n' (``x*``) or per non-optimal
position of n' (``x0``; trailing axes ``(N, L_max)``, other entries 0 on both sides). Right
sides are written with ``exp(-c2_t)`` like ``Gs`` and computed exactly (``log_w2``).
The proof uses Assumptions 1-2 and EQM at P49-P52 and the induction hypothesis (P48) with
Assumption 3 at P53; Lemma 5 states only the zero initialisation.
"""

import math

import numpy as np

from .entries import Check, Decision
from .measure_lemma4 import first_optimal, position_coefficients, token_matrix
from .registry import proof_step, REGISTRY

__all__ = []

_S = dict(statement="Lemma 5", stage=2)
_U = ("A1", "A2", "A3", "EQM")
_M = ("log_w2", "log_phi", "pos", "n_tokens", "tok", "qtok", "E", "size2", "norm_Gs")


def _tok_coords(q, ops, k):
    """``x_i^T (sum_{n, l} k[t, n, l] x_l q_n^T) x_j`` at ``[t, i, j]``."""
    return ops.matmul(ops.matmul(ops.asarray(q.E.T), token_matrix(q, ops, k)), q.E)


def _at_optimal(q, ops, X):
    """``X[t, x*_n', q_n']`` for every sentence n' (its optimal token): shape (t, N)."""
    xs = np.asarray(q.tok)[np.arange(q.N), first_optimal(q)]
    return X[:, xs, q.qtok]


def _at_nonoptimal(q, ops, X, fill=0.0):
    """``X[t, x_l0, q_n']`` on the non-optimal positions ``l0`` of every sentence n', ``fill`` elsewhere: (t, N, L)."""
    vals = X[:, q.tok, q.qtok[:, None]]
    return ops.where(np.asarray(q.nonopt), vals, fill)


def _lemma4_k(q, ops):
    """Lemma 4's per-position coefficients over ``Delta`` (``-1`` optimal, ``Qhat`` otherwise), weighted by ``log_w2``."""
    v = ops.where(np.asarray(q.opt), -1.0 + ops.zeros(np.shape(q.log_phi)), q.Qhat)
    return position_coefficients(q, ops, v, q.log_w2)


def _nn_pairs(q, ops, lw):
    """``phi_l sum_{l' notin l(n)} phi_l' (Qhat_l - Qhat_l')`` for non-optimal l (exact pair sum), weighted by ``exp(lw)``."""
    non = np.asarray(q.nonopt)
    Qh = ops.where(non, q.Qhat, 0.0)
    dq = Qh[..., :, None] - Qh[..., None, :]                                   # (t, N, L, L)
    pair = non[:, :, None] & non[:, None, :] & (ops.midpoint(dq) != 0.0)
    e = ops.where(pair, ops.exp(lw[..., None, None] + q.log_phi[..., :, None] + q.log_phi[..., None, :]), 0.0)
    return ops.sum(e * ops.where(pair, dq, 0.0), axis=3)


def _reduced_k(q, ops):
    """P51's right side per position: ``phi_+ phi_l' + phi_l' sum_{l notin l(n)} phi_l (Qhat_l' - Qhat_l)``, non-optimal l'."""
    non = np.asarray(q.nonopt)
    lw = ops.where(np.isfinite(ops.midpoint(q.log_w2)), q.log_w2, -math.inf)
    first = ops.where(non, ops.exp(lw[..., None] + q.log_phi_plus[..., None] + q.log_phi), 0.0)
    return first + _nn_pairs(q, ops, lw)


def _p52_k(q, ops):
    """P52's right side per position: ``(phi_+ - sum_{l notin l(n)} Qhat_l phi_l) phi_l'`` on non-optimal ``l'``."""
    non = np.asarray(q.nonopt)
    lw = ops.where(np.isfinite(ops.midpoint(q.log_w2)), q.log_w2, -math.inf)
    lpm = q.log_phi_minus
    has = np.isfinite(ops.midpoint(lpm))
    Qbar = ops.sum(ops.where(non, q.Qhat * ops.exp(q.log_phi - ops.where(has, lpm, 0.0)[..., None]), 0.0), axis=2)
    a = ops.where(non, ops.exp(lw[..., None] + q.log_phi_plus[..., None] + q.log_phi), 0.0)
    b = ops.where(non, ops.exp(lw[..., None] + q.log_phi + lpm[..., None]), 0.0) * Qbar[..., None]
    return a - b


_P49 = ("x*^T G_t q_n' = sum_n pi^(n) (P_n - 1) phi_+^(n) (sum_{l' notin l(n)} phi_l' (x_l*^(n) - x_l'^(n))^T x*) "
        "<q_n, q_n'> + sum_n pi^(n) sum_{l notin l(n)} Q_{n,l} phi_l (sum_l' phi_l' (x_l^(n) - x_l'^(n))^T x*) "
        "<q_n, q_n'>")


@proof_step("P49", page=20, equation="as printed", kind="ID", printed=_P49, quantity="x*^T G_t q_n' exp(-c2_t)",
            stated=("EQM",), recorded="typo-P43-P49-Delta", inconsistencies=(10,),
            needs=("Gtok", "opt", "Qhat", "N") + _M, **_S)
def p49_printed(q, ops):
    """P49 as printed (p.20): the gradient's entry at (optimal token of n', query of n') by Lemma 4, without ``Delta``.

    Recorded false (decision typo-P43-P49-Delta); checked where its correction holds (EQM, as a stated
    condition here, so that a failure is the typo's). Trailing axis n'.
    """
    k, _ = _lemma4_k(q, ops)
    return Check(_at_optimal(q, ops, q.Gtok), _at_optimal(q, ops, _tok_coords(q, ops, k)), "==",
                 scale=q.size2 * q.norm_Gs)


@proof_step("P49'", page=20, equation="corrected", kind="ID", printed=_P49,
            relation="x*^T G_t q_n' = Delta times the printed right side (Lemma 4 at W' = x* q_n'^T)",
            quantity="x*^T G_t q_n' exp(-c2_t)", unstated=("EQM",), corrects="P49", follows=("P44",),
            inconsistencies=(10,), needs=("Gtok", "opt", "Qhat", "N", "Delta_act") + _M, **_S)
def p49(q, ops):
    """P49 corrected (p.20): ``x*^T G_t q_n'`` is ``Delta`` times P49's sum (Lemma 4 at ``W' = x* q_n'^T``; trailing n').

    Inner products with the Gram matrix ``E^T E`` (no Assumption 2 needed for the identity).
    """
    k, _ = _lemma4_k(q, ops)
    return Check(_at_optimal(q, ops, q.Gtok), q.Delta_act * _at_optimal(q, ops, _tok_coords(q, ops, k)), "==",
                 scale=q.size2 * q.norm_Gs)


@proof_step("P50", page=20, equation="as printed", kind="INEQ",
            printed="x*^T G_t q_n' <= 0 for each n' and its optimal token",
            quantity="x*^T G_t q_n' exp(-c2_t)", stated=("A1", "A2", "EQM"), recorded="false-P50-one-token",
            follows=("P49'",), needs=("Gtok", "opt", "N", "tok", "qtok", "size2", "norm_Gs"), **_S)
def p50_printed(q, ops):
    """P50 as printed (p.20): ``x*^T G_t q_n' <= 0`` for every sentence n' and its optimal token ``x*`` (trailing n').

    Recorded false (decision false-P50-one-token): a one-token sentence ``[x]`` has ``x`` as its optimal
    token, and ``x`` can be non-optimal under the query ``x`` in a longer sentence (Example 1: ``[P]`` and
    ``O P``), where the gradient lowers its score: ``P^T G_t P > 0``. Checked under its correction's
    conditions (stated here).
    """
    return Check(_at_optimal(q, ops, q.Gtok), 0.0, "<=", scale=q.size2 * q.norm_Gs)


@proof_step("P50'", page=20, equation="corrected: sentences with a non-optimal position", kind="INEQ",
            printed="x*^T G_t q_n' <= 0 for each n' and its optimal token",
            relation="x*^T G_t q_n' <= 0 for every sentence n' with a non-optimal position and its optimal token",
            quantity="x*^T G_t q_n' exp(-c2_t)", unstated=("A1", "A2", "EQM"), corrects="P50", follows=("P49'",),
            needs=("Gtok", "opt", "nonopt", "N", "tok", "qtok", "size2", "norm_Gs"),
            note="then x* is an optimal token of the order of q_n' and, by Assumption 1, never non-optimal under "
                 "q_n'; the paper argues only P49's first term: the second also needs x_l^T x* = 0 for l notin l(n) "
                 "and -sum_l' phi_l' x_l'^T x* <= 0 (Assumption 2). Sentences without a non-optimal position have "
                 "phi_+ = 1 at every t and need no sign", **_S)
def p50(q, ops):
    """P50 corrected (p.20): ``x*^T G_t q_n' <= 0`` for the sentences n' with a non-optimal position (trailing n').

    The only ones P54 needs: a sentence made of its optimal token alone has ``phi_+ = 1`` throughout.
    """
    has = np.asarray(q.nonopt).any(axis=1)
    return Check(ops.where(has, _at_optimal(q, ops, q.Gtok), 0.0), 0.0, "<=", scale=q.size2 * q.norm_Gs)


_P51 = ("x0^T G_t q_n' = sum_n pi^(n) (P_n - 1) phi_+ (sum_{l' notin l(n)} phi_l' (-x_l')^T x0) <q_n, q_n'> + "
        "sum_n pi^(n) sum_{l notin l(n)} Q_{n,l} phi_l (sum_{l' notin l(n)} phi_l' (x_l - x_l')^T x0) <q_n, q_n'>")
_P51_NEEDS = ("Gtok", "nonopt", "Qhat", "log_phi_plus", "Delta_act") + _M


@proof_step("P51", page=20, equation="as printed ('=')", kind="ID", printed=_P51,
            quantity="x0^T G_t q_n' exp(-c2_t)", stated=("A1", "A2", "EQM"), recorded="typo-P51-equals",
            inconsistencies=(12,), needs=_P51_NEEDS, **_S)
def p51_printed(q, ops):
    """P51 as printed (p.20): the entry at (non-optimal ``x0`` of n', query of n') "equals" P49's sum without two terms.

    With ``Delta`` (P49's omission is recorded there). Recorded false (decision typo-P51-equals): the
    dropped terms ``Delta pi Q_{n,l} phi_l phi_+ x_l^T x0 >= 0`` make it ``>=``. Checked under its
    correction's conditions (stated here). Trailing ``(n', l0)``.
    """
    return Check(_at_nonoptimal(q, ops, q.Gtok),
                 q.Delta_act * _at_nonoptimal(q, ops, _tok_coords(q, ops, _reduced_k(q, ops))), "==",
                 scale=q.size2 * q.norm_Gs)


@proof_step("P51'", page=20, equation="corrected ('>=')", kind="INEQ", printed=_P51,
            relation="x0^T G_t q_n' >= Delta times the printed right side", quantity="x0^T G_t q_n' exp(-c2_t)",
            unstated=("A1", "A2", "EQM"), corrects="P51", follows=("P49'",), inconsistencies=(12,),
            needs=_P51_NEEDS, **_S)
def p51(q, ops):
    """P51 corrected (p.20): ``x0^T G_t q_n' >= Delta [P49's sum without the terms phi_+ x_l^T x0]`` (trailing ``(n', l0)``).

    The dropped terms are ``>= 0`` (Assumption 2); the optimal token of ``n`` is orthogonal to ``x0``
    when ``q_n = q_n'`` (Assumption 1).
    """
    return Check(_at_nonoptimal(q, ops, q.Gtok),
                 q.Delta_act * _at_nonoptimal(q, ops, _tok_coords(q, ops, _reduced_k(q, ops))), ">=",
                 scale=q.size2 * q.norm_Gs)


@proof_step("P52", page=20, equation="", kind="INEQ",
            printed=">= sum_n pi^(n) ((1 - P_n) phi_{l+}^(n) - sum_{l notin l(n)} Q_{n,l} phi_l) (sum_{l' notin l(n)} phi_l' "
                    "x_l'^T x0) <q_n, q_n'>",
            relation="P51's right side >= Delta sum_n pi^(n) ((1 - P_n) phi_+^(n) - sum_{l notin l(n)} Q_{n,l} phi_l) "
                     "(sum_{l' notin l(n)} phi_l' x_l'^T x0) <q_n, q_n'>",
            quantity="P51's right side", unstated=("A2", "EQM"), follows=("P51'",), inconsistencies=(20,),
            needs=("nonopt", "Qhat", "log_phi_plus", "log_phi_minus", "Delta_act") + _M,
            note="drops Delta pi Q_{n,l} phi_l phi_- x_l^T x0 >= 0 (Delta > 0: the common margin of EQM); phi_{l+} "
                 "is printed for phi_+ "
                 "(decision typo-P47-P52-notation)", **_S)
def p52(q, ops):
    """P52 (p.20): P51's right side ``>= Delta sum_n pi ((1 - P_n) phi_+ - sum Q phi_l)(sum phi_l' x_l'^T x0) <q_n, q_n'>``.

    Trailing ``(n', l0)``; ``sum_{l notin l(n)} Q_{n,l} phi_l`` is taken as ``phi_-`` times a weighted mean of
    ``Qhat`` (exact when ``phi_-`` underflows).
    """
    lhs = q.Delta_act * _at_nonoptimal(q, ops, _tok_coords(q, ops, _reduced_k(q, ops)))
    rhs = q.Delta_act * _at_nonoptimal(q, ops, _tok_coords(q, ops, _p52_k(q, ops)))
    return Check(lhs, rhs, ">=", scale=q.size2 * q.norm_Gs)


@proof_step("P53", page=20, equation="K(n,t)", kind="INEQ",
            printed="(1 - P_n) phi_+^(n,t) >= sum_{l notin l(n)} Q_{n,l} phi_l^(n,t)",
            quantity="phi_+^(n,t) (both sides over 1 - P_n)", stated=("ZI_kq",), unstated=_U, follows=("P47", "P48"),
            needs=("phi_plus", "Qhat", "phi", "nonopt"), measured_range=(0.0, 1.0),
            note="from Assumption 3 and the induction (P47: m_n(x) phi_x <= phi_+), and sum_x [T]_In(x) <= 1 - P_n "
                 "over the distinct non-optimal tokens", **_S)
def p53(q, ops):
    """P53 (p.20): the key inequality ``K(n,t)``: ``(1 - P_n) phi_+ >= sum_{l notin l(n)} Q_{n,l} phi_l``, per sentence.

    Divided by ``1 - P_n`` (``Qhat = Q/(1 - P_n)``): exact when ``1 - P_n`` underflows.
    """
    rhs = ops.sum(ops.where(np.asarray(q.nonopt), q.Qhat * q.phi, 0.0), axis=2)
    return Check(q.phi_plus, rhs, ">=")


@proof_step("P53.2", page=20, equation="hence", kind="INEQ", printed="x0^T G_t q_n' >= 0",
            quantity="x0^T G_t q_n' exp(-c2_t)", stated=("ZI_kq",), unstated=_U, follows=("P52", "P53"),
            needs=("Gtok", "nonopt", "tok", "qtok", "size2", "norm_Gs"), **_S)
def p53_2(q, ops):
    """P53, conclusion (p.20): ``x0^T G_t q_n' >= 0`` for every non-optimal ``x0`` of every sentence n' (trailing ``(n', l0)``)."""
    return Check(_at_nonoptimal(q, ops, q.Gtok), 0.0, ">=", scale=q.size2 * q.norm_Gs)


REGISTRY.add_decision(Decision(
    "false-P50-one-token", items=(), steps=("P50", "P50'"), category="false",
    summary="new (not in the list of inconsistencies): P50 claims x*^T G_t q_n' <= 0 for every sentence n' and its "
            "optimal token, but a one-token sentence [x] has x as its optimal token while x can be non-optimal under "
            "the query x in a longer sentence (Example 1: [P] -> S and 'O P' -> P), whose gradient lowers x's score: "
            "P^T G_t P > 0 at every t (row P50). The proof needs the sign only for sentences with a non-optimal "
            "position, where it holds (P50'); a one-token sentence keeps phi_+ = 1, so Lemma 5 still holds. Minimal "
            "counterexample: |V| = 2, D_0 = {[t0] -> t1, [t0 t1] -> t1, [t1] -> t0}",
    statement_holds=True,
    evidence=("rows P50, P50' of python -m reference proofs", "tests/test_proofs_c123.py::test_p50_one_token_sentence")))
REGISTRY.add_decision(Decision(
    "typo-P51-equals", items=(12,), steps=("P51", "P51'"), category="typo",
    summary="P51 is printed '=' but drops the terms Delta pi^(n) Q_{n,l} phi_l phi_+ x_l^T x0 >= 0 (the optimal "
            "positions in sum_l' phi_l' (x_l - x_l')): as an equality it fails at every t (row P51), as '>=' it holds "
            "(P51') and the conclusion x0^T G q_n' >= 0 is unaffected",
    evidence=("rows P51, P51', P53.2 of python -m reference proofs",)))

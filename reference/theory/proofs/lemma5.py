"""Appendix C.2, p.19-20: the proof of Lemma 5 (the optimal attention never drops), steps P3', P46-P48.2.

Lemma 5: with zero initialisation and update (10), ``phi_l^(n,t) >= phi_l^(n,0) >= 1/L_max`` for every
t, sentence n and optimal position ``l in l(n)``. The proof: uniform attention at ``t = 0``
(P46), Assumption 3 turned into ``phi_+ >= m_n(x) phi_x`` (P47), the induction hypothesis
``H(t)`` (P48: ``phi_+`` non-decreasing, optimal >= non-optimal weight), the signs of the
gradient's entries (P49-P53.2, :mod:`reference.theory.proofs.lemma5_gradient`), and update
(10) (P3') turned into the monotonicity of the optimal weights (P54) and of the odds of
optimal against non-optimal positions (P55, :mod:`reference.theory.proofs.lemma5_update`).
"Zero initialisation" is read as ``W_kq^(0) = 0``
(condition ``ZI_kq``: the lemma is about stage 2); the proof also uses Assumptions 1-3 and
the equal-margin premise of Lemma 4 (EQM), none of which the statement lists
(decision gap-lemma56-conditions). Attention relations are compared in log space
(``log phi``, exact when a weight underflows); ``phi_+`` non-decreasing is checked as
``phi_-`` non-increasing (the same relation, resolvable when ``phi_+`` rounds to 1).
"""

import numpy as np

from .entries import Check, Decision
from .measure_lemma4 import first_optimal
from .registry import proof_step, REGISTRY

__all__ = ["step", "step_rounding"]

_S = dict(statement="Lemma 5", stage=2)
_U = ("A1", "A2", "A3", "EQM")
_ZI = ("ZI_kq",)


def step_rounding(q, ops):
    """``||W_kq^(t)|| + eta (1 + ||W_kq^(t)||)(1 + ||W_ov^(T)||)``: the rounding size of a recorded stage-2 step.

    The step's direction, recomputed from the recorded iterate, is rounded relative to the
    scores and the logits it is computed from (P2's scale).
    """
    return q.norm_W_kq + q.eta * (1.0 + q.norm_W_kq) * (1.0 + ops.norm(q.W_ovT))


def step(key):
    """The step ``key`` of Lemma 5's proof (``"P3'"``, ``"P46"`` .. ``"P55.2"``); its docstring has page and equation."""
    return REGISTRY.step(key, statement="Lemma 5")


def _opt_index(q):
    return first_optimal(q)


def _at_opt(q, X):
    """``X[t, n, l*_n]`` (the first optimal position of every sentence): (t, N)."""
    return X[:, np.arange(q.N), _opt_index(q)]


def _nonopt(q, ops, X, fill=0.0):
    return ops.where(np.asarray(q.nonopt), X, fill)


@proof_step("P3'", page=19, equation="Eq. (10)", kind="ID", printed="W_kq^(t+1) = W_kq^(t) - eta g_t",
            relation="W_kq^(t+1) - W_kq^(t) = -eta g_t, hence ||W_kq^(t+1) - W_kq^(t)|| = eta",
            quantity="W_kq^(t+1) - W_kq^(t)", stated=("t<T",), needs=("dW_kq", "g_engine", "eta", "norm_W_kq", "W_ovT"),
            note="the stage-2 counterpart of P3 (not a correction: the restatement's numbering)", **_S)
def p3_stage2(q, ops):
    """P3' (p.19, Eq. 10): ``W_kq^(t+1) - W_kq^(t) = -eta g_t``: the recorded step against the engine's unit gradient.

    That this gradient is Eq. (6)'s is P2. Rounding: the iterates (size ``||W_kq^(t)||``) and the
    direction recomputed from the recorded iterate, whose scores and logits are rounded (relative
    ``eps ||W_kq^(t)|| ||W_ov^(T)||``, as in P2), times ``eta``.
    """
    return Check(q.dW_kq, -q.eta * q.g_engine, "==", scale=step_rounding(q, ops))


@proof_step("P46", page=20, equation="t = 0", kind="ID", printed="phi_l^(n,0) = 1/L^(n) >= 1/L_max",
            relation="phi_l^(n,0) = 1/L^(n) at every position", quantity="phi_l^(n,0)", stated=("ZI_kq", "t=0"),
            needs=("phi", "pos"), measured_range=(0.0, 1.0), **_S)
def p46(q, ops):
    """P46 (p.20): with ``W_kq^(0) = 0`` every score is 0 and ``phi_l^(n,0) = 1/L^(n)`` (trailing ``(n, l)``)."""
    pos = np.asarray(q.pos)
    L = ops.asarray(pos.sum(axis=1).astype(np.float64))
    return Check(ops.where(pos, q.phi, 0.0), ops.where(pos, 1.0 / L[:, None] + ops.zeros(np.shape(q.phi)), 0.0), "==")


@proof_step("P47", page=20, equation="Assumption 3", kind="INEQ",
            printed="phi_+^(n,0) >= q_n(x_l) phi_l^(n,0) for l notin l(n); by induction phi_+^(n,t) >= q_n(x) phi_x^(n,t)",
            relation="phi_+^(n,t) >= m_n(x_l) phi_l^(n,t) for every non-optimal position l",
            quantity="log phi_+^(n,t)", stated=_ZI, unstated=_U, follows=("P46",), inconsistencies=(20,),
            needs=("log_phi_plus", "log_phi", "mult", "nonopt", "norm_W_kq"),
            note="q_n(x), undefined in the paper, is the multiplicity m_n(x) of x in sentence n "
                 "(decision typo-P47-P52-notation)", **_S)
def p47(q, ops):
    """P47 (p.20): ``phi_+^(n,t) >= m_n(x_l) phi_l^(n,t)`` for every non-optimal position l (A3 at ``t = 0``, then H(t)).

    Log space; trailing ``(n, l)``, 0 = 0 off the non-optimal positions.
    """
    non = np.asarray(q.nonopt)
    lhs = ops.where(non, q.log_phi_plus[..., None] + ops.zeros(np.shape(q.log_phi)), 0.0)
    rhs = ops.where(non, ops.log(ops.where(non, q.mult, 1.0)) + q.log_phi, 0.0)
    return Check(lhs, rhs, ">=", space="log", scale=2.0 * q.norm_W_kq)


@proof_step("P48", page=20, equation="H(t) (i)", kind="CLAIM", printed="phi_+^(n,t) >= phi_+^(n,t-1)",
            relation="phi_-^(n,t+1) <= phi_-^(n,t) (phi_+ non-decreasing), per sentence",
            quantity="log phi_-^(n,t+1)", stated=_ZI + ("t<T",), unstated=_U, follows=("P54.2",),
            needs=("log_phi_minus", "nonopt", "norm_W_kq"), **_S)
def p48(q, ops):
    """P48 (p.20, H(t) part (i)): ``phi_+^(n,t)`` is non-decreasing, checked as ``log phi_-^(n,t+1) <= log phi_-^(n,t)``.

    Sentences without a non-optimal position (``phi_- = 0``) give 0 = 0. Trailing n.
    """
    has = np.asarray(q.nonopt).any(axis=1)
    lpm = ops.where(has, q.log_phi_minus, 0.0)
    return Check(ops.append_nan(lpm[1:]), lpm, "<=", space="log", scale=2.0 * q.norm_W_kq)


@proof_step("P48.2", page=20, equation="H(t) (ii)", kind="CLAIM",
            printed="phi_l*^(n,t) >= phi_l^(n,t) for all l* in l(n), l notin l(n)", quantity="log phi_l*^(n,t)",
            stated=_ZI, unstated=_U, follows=("P55.2",), needs=("log_phi", "opt", "nonopt", "N", "norm_W_kq"), **_S)
def p48_2(q, ops):
    """P48 (p.20, H(t) part (ii)): optimal positions never have less weight than non-optimal ones.

    Log space, against each non-optimal position l (trailing ``(n, l)``; all optimal positions hold
    one token, hence one weight).
    """
    top = _at_opt(q, q.log_phi)[..., None] + ops.zeros(np.shape(q.log_phi))
    return Check(_nonopt(q, ops, top), _nonopt(q, ops, q.log_phi), ">=", space="log", scale=2.0 * q.norm_W_kq)


for _d in (
        Decision("typo-P47-P52-notation", items=(20,), steps=("P47", "P52"), category="typo",
                 summary="P47 uses q_n(x), never defined and clashing with the query q_n: it is the multiplicity "
                         "m_n(x) of x in sentence n (row P47 with m_n holds); P52 writes phi_{l+} for phi_+ (row P52)",
                 evidence=("rows P47, P52 of python -m reference proofs",)),
        Decision("gap-lemma56-conditions", items=(18,),
                 steps=("P47", "P48", "P53", "P54.3", "P61", "P61.2", "P62.2"), category="gap",
                 summary="Lemma 5 states only zero initialisation and Lemma 6 only 'the initialization W_kq^(0)', but "
                         "their proofs use W_kq^(0) = 0, Assumptions 1-3 and the equal-margin premise of Lemma 4 (EQM): "
                         "with a stage-1 weight whose margins differ (W_kq^(0) = 0) Lemma 5's claims fail from t = 1 "
                         "(rows P48, P53 'holds only under EQM') and, in another such run, Lemma 6's correlation "
                         "bound (P61); without W_kq^(0) = 0 P61.2 fails, without Assumption 3 P47 fails at t = 0; filled by the "
                         "paper's setting (Algorithm 1 from zero, Assumptions 1-3), where both lemmas hold on every run",
                 statement_holds=True,
                 evidence=("rows P47-P55.2, P61, P61.2 of python -m reference proofs (run 'Example 1, unequal margins')",
                           "tests/test_proofs_c123.py::test_lemma5_needs_equal_margins",
                           "tests/test_proofs_c123.py::test_lemma6_without_its_unstated_conditions",
                           "tests/test_proofs_c123.py::test_lemma5_step_needs_assumption3_not_its_statement"))):
    REGISTRY.add_decision(_d)

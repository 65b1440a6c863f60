"""Appendix D.1, p.31-32: Proposition 4 (the restatement of Proposition 2) and its proof, steps P125-P130.

The steps are facts about ``W*_kq``, not about a trajectory: each is checked once per run
(condition ``ONCE``, ``t = 0``) against the certified solution of Eq. (3)
(:func:`reference.maxmargin.max_margin_kq`, with its multipliers) in token coordinates
``A* = E^T W*_kq E``. The proof rotates Eq. (3) (P125, Eq. 14), splits it into query columns (P126,
Eq. 15), writes KKT (P127), claims the dual gradient vanishes for every optimal/non-optimal pair
(P128: invalid), hence ``w_i - w_j = 1`` and the closed form (P129) with equal non-optimal scores
(P130, the "direct result"). P129 and P130 need every query to have one optimal token, which holds
on prefix-closed data (condition ``PC``; docs/theory.md, Lemma PC), not stated.

The statement family ``Proposition 4`` compares :func:`reference.theory.proposition4` and its
direct result with the certified ``W*_kq`` (erratum ``proposition2`` as printed; exact on
prefix-closed data).
"""

import numpy as np

from ..proposition4 import proposition4, proposition4_direct_result
from .entries import Check, Decision, Scalar, Statement
from .registry import proof_step, REGISTRY
from .statements_extra import PROP2_TOL
from .theorem2 import bcast

__all__ = ["proposition4_scalars"]

_S = dict(statement="Proposition 4", stage=2)
_ONCE = ("A1", "A2", "ONCE")


def step(key):
    """The step ``key`` of Proposition 4's proof (``"P125"`` .. ``"P130"``)."""
    return REGISTRY.step(key, statement="Proposition 4")


@proof_step("P125", page=31, equation="Eq. (14)", kind="ID",
            printed="Wtilde* = U W*_kq U^T solves (14), U in R^d the rotation with U x = e_I(x)",
            relation="W*_kq = E A* E^T with A* = E^T W*_kq E the solution in token coordinates (||W*_kq|| = ||A*||)",
            quantity="W*_kq", stated=("A2", "ONCE"), inconsistencies=(24,),
            needs=("W_kq_star", "A_star", "E", "t2"), **_S)
def p125(q, ops):
    """P125 (p.31, Eq. 14): the rotation preserves the problem: ``W*_kq = E A* E^T`` (so ``||W*_kq|| = ||A*||``).

    Printed ``U in R^d`` for ``R^{d x d}`` (decision typo-prop4-statement). Checked once.
    """
    return Check(bcast(q.W_kq_star, q, ops), bcast(ops.matmul(ops.matmul(q.E, q.A_star), ops.asarray(q.E.T)), q, ops),
                 "==")


@proof_step("P126", page=31, equation="Eq. (15)", kind="CLAIM",
            printed="each column of the solution of (14) solves (15); non-comparable tokens have value 0",
            relation="A*[x0, q] = 0 for every non-comparable x0 of q and A*[:, q] = 0 for a q without an ordered pair",
            quantity="A* on the entries Proposition 4 sets to 0", stated=_ONCE, follows=("P125",),
            needs=("A_star", "prop4_zero", "t2"), **_S)
def p126(q, ops):
    """P126 (p.31-32, Eq. 15): the problem splits by query column; entries without a constraint are 0. Checked once."""
    z = q.A_star[q.prop4_zero]
    return Check(bcast(z, q, ops), bcast(0.0 * z, q, ops), "==")


@proof_step("P127", page=32, equation="KKT", kind="ID",
            printed="w_i = sum_{j in A_i} lambda_ij (i <= k), w_j = -sum_{i=1}^k lambda_ij 1{j in A_i} "
                    "(Lagrangian sum_{i=1}^{k+m} w_i^2 + 2 sum_{i=1}^m sum_{j in A_i} lambda_ij (1 - w_i + w_j))",
            relation="A* = sum_k lambda_k (e_upper - e_lower) e_column^T with the certified multipliers lambda >= 0",
            quantity="A*", stated=("A2", "ONCE"), inconsistencies=(24,), follows=("P126",),
            needs=("A_star", "kkt_A", "t2"), **_S)
def p127(q, ops):
    """P127 (p.32): stationarity of Eq. (15), ``w = sum lambda (e_i - e_j)``, at the certified solution.

    The Lagrangian's upper limit is printed ``m`` for ``k`` (decision typo-prop4-statement). Checked once.
    """
    return Check(bcast(q.A_star, q, ops), bcast(q.kkt_A, q, ops), "==")


@proof_step("P128", page=32, equation="grad L*(lambda) = 0", kind="CLAIM",
            printed="sum_{j in A_i0} lambda_{i0 j} + sum_{i=1}^k lambda_{i j0} 1{j0 in A_i} = 1 for all "
                    "1 <= i0 <= k < j0 <= k + m",
            quantity="sum_{j in A_i0} lambda_{i0 j} + sum_i lambda_{i j0} 1{j0 in A_i}", stated=_ONCE,
            recorded="false-P128-kkt", inconsistencies=(8,), follows=("P127",), needs=("dual_sums", "t2"), **_S)
def p128(q, ops):
    """P128 (p.32): "the maximum of ``L*`` is achieved when ``grad_lambda L* = 0``", for every optimal ``i0`` and
    non-optimal ``j0`` of every query, with the certified multipliers.

    Recorded false (decision false-P128-kkt): it ignores ``lambda >= 0`` and asserts the equation for pairs
    that are not constraints; by stationarity the left side is ``w_i0 - w_j0``. Checked once.
    """
    return Check(bcast(q.dual_sums, q, ops), bcast(0.0 * q.dual_sums + 1.0, q, ops), "==")


@proof_step("P129", page=32, equation="", kind="ID",
            printed="w_i - w_j = 1 for all i <= k < j; min k(x + 1)^2 + m x^2 gives w_opt = m/(m+k), "
                    "w_non = -k/(k+m)",
            quantity="A*", stated=_ONCE, unstated=("PC",), inconsistencies=(8,), follows=("P128",),
            needs=("A_star", "prop4_A", "t2"), **_S)
def p129(q, ops):
    """P129 (p.32): the closed form ``m/(k+m)``, ``-k/(k+m)``, 0 (:func:`reference.theory.proposition4`) is ``A*``.

    True when every query has one optimal token, as on prefix-closed data (unstated ``PC``); false for some
    sample sets (erratum proposition2). Checked once.
    """
    return Check(bcast(q.A_star, q, ops), bcast(q.prop4_A, q, ops), "==")


@proof_step("P130", page=32, equation="direct result", kind="ID",
            printed="(x_l - x_l')^T W*_kq q_n = 0 for all l, l' notin l(n)",
            quantity="(x_l - x_l')^T W*_kq q_n", stated=_ONCE, unstated=("PC",), inconsistencies=(8, 11),
            follows=("P129",), needs=("s_star", "nonopt", "t2"), **_S)
def p130(q, ops):
    """P130 (p.32): the non-optimal tokens of every sentence share one ``W*_kq`` score (against the sentence's first
    non-optimal position; trailing axes). Lemma 6 (P57) and Lemma 7 (P78) use it. Checked once."""
    ref = np.argmax(q.nonopt, axis=1)
    d = q.s_star - q.s_star[np.arange(q.s_star.shape[0]), ref][:, None]
    d = ops.where(q.nonopt, d, 0.0)
    return Check(bcast(d, q, ops), bcast(0.0 * d, q, ops), "==")


def proposition4_scalars(q):
    """Proposition 4's closed form and direct result against the certified ``W*_kq`` (four scalars, checked once).

    Printed (erratum ``proposition2``, never deciding): under Assumptions 1-2. Corrected: on prefix-closed
    data, where every query has one optimal token (docs/theory.md, Lemma PC).
    """
    traj, ds, s = q.traj, q.ds, q.setting
    names = ("closed form vs certified W*_kq", "direct result: max |(x_l - x_l')^T W*_kq q_n|")
    printed = ("x*^T W* x_q = m/(k+m), x^T W* x_q = -k/(k+m), x0^T W* x_q = 0",
               "(x_l - x_l')^T W*_kq q_n = 0 for l, l' notin l(n)")
    cond = s.assumption1 and s.assumption2 and traj.W_kq_star is not None
    rows = []
    if cond:
        E = ds.vocab.E
        A = E.T @ traj.W_kq_star @ E
        vals = (float(np.abs(proposition4(ds) - A).max()), proposition4_direct_result(A, ds))
    else:
        vals = (np.nan, np.nan)
    why = "" if cond else "Assumptions 1-2 do not hold or no certified W*_kq"
    for name, p, v in zip(names, printed, vals):
        rows.append(Scalar("Proposition 4", f"{name} (printed)", "<=", p, v, PROP2_TOL, cond, t=0,
                           erratum="proposition2", decides=False, note=why or "under Assumptions 1-2 as stated"))
        rows.append(Scalar("Proposition 4", f"{name} (prefix-closed)", "<=", p + " (D_0 prefix closed)", v, PROP2_TOL,
                           cond and s.prefix_closed, t=0, corrects=f"Proposition 4: {name} (printed)",
                           note=why or ("prefix closed: one optimal token per query (Lemma PC)" if s.prefix_closed
                                        else "not prefix closed: the printed row decides nothing here")))
    return rows


REGISTRY.add_statement(Statement(key="Proposition 4", statement="Proposition 4", page="31", equation="", stated=("A2",),
                                 evaluate=proposition4_scalars, kind="scalars", extra=True))


for _d in (
        Decision("false-P128-kkt", items=(8,), steps=("P128",), category="false",
                 summary="The proof claims the dual maximum has zero gradient, sum_{j in A_i0} lambda_{i0 j} + sum_i "
                         "lambda_{i j0} 1{j0 in A_i} = 1 for every i0 <= k < j0: it ignores lambda >= 0 and asserts the "
                         "equation for pairs that are not constraints (by stationarity the left side is w_i0 - w_j0). "
                         "Exact counterexample column A_1 = {2, 3, 5, 6, c, q}, A_4 = {c, q}: w_1 = 4/5, w_2 = w_3 = w_5 = "
                         "w_6 = -1/5, w_4 = 2/3, w_c = w_q = -1/3 (norm^2 22/15 < 3/2, the closed form's), the sum is "
                         "17/15 at (1, c). The conclusion holds when every query has one optimal token, as on prefix-"
                         "closed data (Lemma PC): a false step; Proposition 4 itself is false on some sample sets "
                         "(erratum proposition2) and true in the paper's prefix-closed setting",
                 statement_holds=True,
                 evidence=("row P128 (run 'Proposition 4 counterexample') of python -m reference proofs",
                           "tests/test_proofs_theorems.py::test_p128_counterexample_column_exact")),
        Decision("gap-P129-P130-PC", items=(8, 11), steps=("P129", "P130"), category="gap",
                 summary="The closed form m/(k+m), -k/(k+m), 0 (P129) and the equal non-optimal scores (P130, used by "
                         "Lemmas 6 and 7) hold when every query has one optimal token, which prefix-closed data give "
                         "(unstated condition PC); on sample sets they can fail ('Proposition 4 counterexample': "
                         "non-optimal scores -1/5 and -1/3 in one sentence)",
                 statement_holds=True,
                 evidence=("rows P129, P130 of python -m reference proofs",
                           "tests/test_proofs_theorems.py::test_p129_p130_against_the_certified_qp")),
        Decision("typo-prop4-statement", items=(24,), steps=("P125", "P127"), category="typo",
                 summary="Proposition 4 restates Eq. (3) as (x_l* - x_l)^T W x >= 1 for all l notin l(n): read W q_n for "
                         "W x and add 'for all l* in l(n)'; the Lagrangian's upper limit m is k (the optimal tokens); U is "
                         "in R^{d x d}, not R^d. Read so, P125 and P127 hold at the certified solution",
                 evidence=("rows P125, P127 of python -m reference proofs",)),
):
    REGISTRY.add_decision(_d)

"""The paper's closed forms of ``W*_ov`` (docs/paper.md section 6) and ``W*_kq`` (Proposition 2), checked.

A closed form is a claim, not ground truth (docs/paper.md section 6, library
rule): the certified solvers of :mod:`reference.maxmargin` are. The closed
form of ``W*_ov`` holds under Assumption 2. Proposition 2 holds per query
iff the transportation condition of :func:`prop2_condition` does (Theorem
P2' in ``docs/theory.md``), which every prefix-closed ``D_0`` satisfies
(Lemma PC there) and some sample sets do not; :func:`W_kq_star_prop2`
refuses (or flags) the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
from numpy.typing import NDArray

from ..data.dataset import Dataset
from ..errors import AssumptionError
from ..structure.orders import collocation, query_orders
from .constraints import kq_constraints
from .leastdistance import split_block

__all__ = ["W_ov_star_closed_form", "Prop2Verdict", "prop2_condition", "W_kq_star_prop2"]


def W_ov_star_closed_form(ds: Dataset) -> NDArray[np.float64]:
    """``W*_ov = sum_x (e_{In(x)} - (1/abs(V)) 1) x^T`` (docs/paper.md section 6, Eq. 2), ``||W*_ov|| = sqrt(abs(V) - 1)``.

    Exact for Eq. (2) whenever a collocation exists and ``E`` is orthonormal:
    every margin is 1 and ``lambda = 1/abs(V)`` on every constraint satisfies
    KKT (``docs/theory.md``, "The closed form of W*_ov: holds").

    Parameters
    ----------
    ds : Dataset
        ``E`` of shape (d, abs(V)) with orthonormal columns.

    Returns
    -------
    W : array, shape (abs(V), d)

    Raises
    ------
    AssumptionError
        Non-orthonormal ``E`` (Assumption 2) or no (injective) collocation (Assumption 1(i)).
    """
    if not ds.vocab.orthonormal:
        raise AssumptionError("the closed form of W*_ov needs orthonormal embeddings (Assumption 2); "
                              "use max_margin_ov(ds) for other E")
    In, V = collocation(ds), ds.vocab.n_tokens
    B = np.full((V, V), -1.0 / V)
    B[In, np.arange(V)] += 1.0
    return B @ ds.vocab.E.T


@dataclass(frozen=True)
class Prop2Verdict:
    """Whether Proposition 2 gives column ``query`` of ``A* = E^T W*_kq E``, and why.

    Attributes
    ----------
    query : int
        Token index of ``x_q``.
    holds : bool
    reason : str
        One sentence naming the query, and the confused tokens or the violating set.
    optimal, non_optimal : tuple of int
        ``O`` and ``N`` under ``x_q`` (Definition 1, disjoint reading).
    witness : tuple of int
        A set ``Y`` of non-optimal tokens with ``abs(Gamma(Y)) abs(N) < abs(Y) abs(O)`` (empty if none).
    """

    query: int
    holds: bool
    reason: str
    optimal: tuple[int, ...]
    non_optimal: tuple[int, ...]
    witness: tuple[int, ...] = ()


def prop2_condition(ds: Dataset) -> dict[int, Prop2Verdict]:
    """Per query, is Proposition 2's column the max-margin column of Eq. (3)? (Theorem P2', docs/theory.md).

    Proposition 2's values (``abs(N)/(abs(O)+abs(N))`` on ``O``,
    ``-abs(O)/(abs(O)+abs(N))`` on ``N``, 0 elsewhere) solve the query's part of
    Eq. (3) iff there is no confused token and every set ``Y`` of non-optimal
    tokens satisfies ``abs(Gamma(Y)) abs(N) >= abs(Y) abs(O)``, ``Gamma(Y)``
    being the optimal tokens above some token of ``Y`` (KKT: a transportation
    problem, decided by one max flow). This holds whenever the pairs form all
    of ``O x N``, in particular when ``abs(O) = 1`` or ``abs(N) = 1``, and on
    every prefix-closed ``D_0`` satisfying Assumption 1 (Lemma PC).

    Parameters
    ----------
    ds : Dataset
        Orders from :func:`reference.structure.query_orders` (Definition 1).

    Returns
    -------
    dict {int: Prop2Verdict}
        One entry per query token that occurs; ``witness`` is a violating ``Y`` (sorted indices).

    Raises
    ------
    AssumptionError
        No (injective) collocation, or a sentence without an optimal position.
    """
    t = ds.vocab.tokens

    def name(S):
        return "{" + ", ".join(t[i] for i in S) + "}"

    kq_constraints(ds)  # raises for sentences without an optimal position
    out = {}
    for q, o in query_orders(ds).items():
        O, N, pairs = o.optimal, o.non_optimal, sorted(o.pairs)
        if o.confused:
            out[q] = Prop2Verdict(q, False, f"query {t[q]!r}: confused token(s) {name(o.confused)} "
                                  "(Assumption 1 fails; Proposition 2 does not apply)", O, N)
            continue
        up = np.array([i for i, _ in pairs], dtype=np.intp)
        lo = np.array([j for _, j in pairs], dtype=np.intp)
        upper = split_block(ds.vocab.n_tokens, up, lo, np.arange(up.size))[0] if pairs else None
        if upper is None:
            why = ("no ordered pair: column 0" if not pairs else "pairs form the complete bipartite "
                   "graph O x N" if len(pairs) == len(O) * len(N) else
                   "every set Y of non-optimal tokens has |Gamma(Y)| |N| >= |Y| |O|")
            out[q] = Prop2Verdict(q, True, f"query {t[q]!r}: {why}", O, N)
            continue
        Y = tuple(j for j in N if upper[j])
        G = sorted({i for i, j in pairs if j in Y})
        assert len(G) * len(N) < len(Y) * len(O), "a minimum cut below O x N gives a violating set"
        out[q] = Prop2Verdict(q, False, (
            f"query {t[q]!r}: the non-optimal tokens Y = {name(Y)} lie below only Gamma(Y) = {name(G)} "
            f"of O = {name(O)}; |Gamma(Y)| |N| = {len(G)}*{len(N)} < |Y| |O| = {len(Y)}*{len(O)}, so no "
            "multipliers lambda >= 0 give Proposition 2's values (KKT)"), O, N, Y)
    return out


# (overloads for type checkers: with flag=True the verdicts come too)
@overload
def W_kq_star_prop2(ds: Dataset, *, flag: Literal[False] = False) -> NDArray[np.float64]: ...
@overload
def W_kq_star_prop2(ds: Dataset, *, flag: Literal[True]) -> tuple[NDArray[np.float64], dict[int, Prop2Verdict]]: ...
@overload
def W_kq_star_prop2(ds: Dataset, *, flag: bool
                    ) -> NDArray[np.float64] | tuple[NDArray[np.float64], dict[int, Prop2Verdict]]: ...
def W_kq_star_prop2(ds: Dataset, *, flag: bool = False
                    ) -> NDArray[np.float64] | tuple[NDArray[np.float64], dict[int, Prop2Verdict]]:
    """``W*_kq`` as Proposition 2 prints it: ``abs(N)/abs(O u N)`` on ``O``, ``-abs(O)/abs(O u N)`` on ``N``, 0 on ``M``.

    ``W = E A E^T`` with ``A[i, q]`` these values (Assumptions 1-2 as the paper
    states, plus the condition of :func:`prop2_condition`, found necessary).

    Parameters
    ----------
    ds : Dataset
        ``E`` of shape (d, abs(V)) with orthonormal columns.
    flag : bool
        False: refuse datasets outside the condition. True: return the
        formula anyway together with the per-query verdicts.

    Returns
    -------
    W : array, shape (d, d)
        (``(W, verdicts)`` when ``flag=True``, verdicts as :func:`prop2_condition`.)

    Raises
    ------
    AssumptionError
        Non-orthonormal ``E``; no collocation or a sentence without an optimal
        position; with ``flag=False`` a query where the formula is not the
        max-margin solution (the reason and a witness set named).
    """
    if not ds.vocab.orthonormal:
        raise AssumptionError("Proposition 2 needs orthonormal embeddings (Assumption 2)")
    verdicts = prop2_condition(ds)
    bad = [v for v in verdicts.values() if not v.holds]
    if bad and not flag:
        raise AssumptionError("Proposition 2 does not give W*_kq for this dataset: " + bad[0].reason + (
            f" (and {len(bad) - 1} more queries)" if len(bad) > 1 else "") + "; use max_margin_kq(ds)")
    V = ds.vocab.n_tokens
    A = np.zeros((V, V))
    for q, v in verdicts.items():
        S = len(v.optimal) + len(v.non_optimal)
        A[list(v.optimal), q] = len(v.non_optimal) / S if S else 0.0
        A[list(v.non_optimal), q] = -len(v.optimal) / S if S else 0.0
    W = ds.vocab.E @ A @ ds.vocab.E.T
    return (W, verdicts) if flag else W

"""Proposition 4 (Appendix D.1, p.31-32): the restatement of Proposition 2, its "direct result" and its KKT step.

Proposition 4 (under Assumption 2; ``W*_kq`` the solution of Eq. 3): for a query ``x_q`` with ``k``
optimal and ``m`` non-optimal tokens, ``x*^T W*_kq x_q = m/(k+m)``, ``x^T W*_kq x_q = -k/(k+m)`` and
``x0^T W*_kq x_q = 0`` (:func:`proposition4`); "a direct result": ``(x_l - x_l')^T W*_kq q_n = 0`` for all
non-optimal positions ``l, l'`` of every sentence (:func:`proposition4_direct_result`).

The proof rotates Eq. (3) into token coordinates (Eq. 14), splits it into one problem per query column
(Eq. 15: ``min sum w_i^2`` s.t. ``w_i - w_j >= 1``, ``i <= k``, ``j in A_i``), writes the KKT conditions
``w_i = sum_{j in A_i} lambda_ij``, ``w_j = -sum_i lambda_ij 1{j in A_i}``, and then claims that the
dual maximum has zero gradient, i.e. ``sum_{j in A_i0} lambda_{i0 j} + sum_i lambda_{i j0} 1{j0 in A_i} = 1``
for **every** ``i0 <= k < j0`` (:func:`proposition4_dual_sums`). That step ignores ``lambda >= 0`` and
asserts the equation for pairs that are not constraints; by stationarity its left side is
``w_i0 - w_j0``, so it claims every optimal value exceeds every non-optimal one by exactly 1, which
fails for general ``A_i`` (docs/proofs.md, decision ``false-P128-kkt``) and holds when every query has one
optimal token, as on prefix-closed data (docs/theory.md, Lemma PC).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from ..errors import ConfigError
from ..maxmargin.constraints import Constraints
from ..structure.orders import optimal_mask, query_orders, QueryOrder

__all__ = ["proposition4", "proposition4_direct_result", "proposition4_dual_sums"]


def proposition4(ds: Dataset, orders: dict[int, QueryOrder] | None = None) -> NDArray[np.float64]:
    """Proposition 4's closed form of ``W*_kq`` in token coordinates ``A = E^T W*_kq E`` (p.31).

    Column ``q``: ``m/(k+m)`` on the ``k`` optimal tokens, ``-k/(k+m)`` on the ``m`` non-optimal ones,
    0 on the non-comparable ones (Definition 1, disjoint reading); 0 in columns of tokens that end no
    sentence or have no ordered pair.

    Parameters
    ----------
    ds : Dataset
    orders : dict {int: QueryOrder}, optional
        :func:`reference.structure.query_orders` of ``ds``.

    Returns
    -------
    A : ndarray, shape (abs(V), abs(V))
        ``A[i, q] = x_i^T W*_kq x_q`` as Proposition 4 states it.

    Raises
    ------
    AssumptionError
        ``ds`` has no collocation.

    Notes
    -----
    Serves Proposition 4 (rows P129 and ``Proposition 4`` of the proof audit); the same values as
    Proposition 2 (:func:`reference.theory.proposition2_closed_form`), written from ``k`` and ``m``.
    """
    orders = query_orders(ds) if orders is None else orders
    V = ds.vocab.n_tokens
    A = np.zeros((V, V))
    for q, o in orders.items():
        k, m = len(o.optimal), len(o.non_optimal)
        for i in o.optimal:
            A[i, q] = m / (k + m)
        for j in o.non_optimal:
            A[j, q] = -k / (k + m)
    return A


def proposition4_direct_result(A: NDArray[np.float64], ds: Dataset, In: ArrayLike | None = None) -> float:
    """Proposition 4's direct result as a residual: ``max |(x_l - x_l')^T W q_n|`` over non-optimal ``l, l'`` (p.31).

    Parameters
    ----------
    A : ndarray, shape (abs(V), abs(V))
        ``A = E^T W E`` (the certified ``W*_kq`` or a closed form).
    ds : Dataset
    In : int array, shape (abs(V),), optional
        The collocation.

    Returns
    -------
    float
        0 exactly when every sentence's non-optimal tokens share one score; 0.0 when no sentence
        has two non-optimal positions.

    Raises
    ------
    ConfigError
        ``A`` of the wrong shape.

    Notes
    -----
    Serves Proposition 4 (row P130); Lemma 6 (P57) and Lemma 7 (P78) use it.
    """
    A = np.asarray(A, dtype=np.float64)
    V = ds.vocab.n_tokens
    if A.shape != (V, V):
        raise ConfigError(f"A must have shape ({V}, {V}), got {A.shape}")
    opt = optimal_mask(ds, In)
    worst = 0.0
    for n, toks in enumerate(ds.sentences):
        s = A[toks[~opt[n, :toks.size]], toks[-1]]
        if s.size > 1:
            worst = max(worst, float(s.max() - s.min()))
    return worst


def proposition4_dual_sums(constraints: Constraints, dual: ArrayLike, orders: dict[int, QueryOrder]
                           ) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """The left side of the dual condition of Proposition 4's proof (p.32).

    ``sum_{j in A_i0} lambda_{i0 j} + sum_i lambda_{i j0} 1{j0 in A_i}``.

    For every query column ``q`` and every optimal ``i0`` and non-optimal ``j0`` of ``q`` (pairs or not).
    The proof claims it equals 1 for all of them; by stationarity it equals ``w_i0 - w_j0``.

    Parameters
    ----------
    constraints : Constraints
        The distinct constraints of Eq. (3) (``reference.maxmargin.kq_constraints``).
    dual : array_like, shape (m,)
        Multipliers ``lambda`` of ``||W||^2 / 2`` (the proof's Lagrangian has the same scaling).
    orders : dict {int: QueryOrder}

    Returns
    -------
    triples : int ndarray, shape (K, 3)
        ``(q, i0, j0)``.
    sums : ndarray, shape (K,)

    Raises
    ------
    ConfigError
        ``dual`` of the wrong length.

    Notes
    -----
    Serves the proof of Proposition 4 (row P128).
    """
    dual = np.asarray(dual, dtype=np.float64)
    if dual.shape != (len(constraints),):
        raise ConfigError(f"dual must have shape ({len(constraints)},), got {dual.shape}")
    out_of: dict[tuple[int, int], float] = {}
    into: dict[tuple[int, int], float] = {}
    for c, u, v, lam in zip(constraints.column, constraints.upper, constraints.lower, dual):
        out_of[(int(c), int(u))] = out_of.get((int(c), int(u)), 0.0) + lam
        into[(int(c), int(v))] = into.get((int(c), int(v)), 0.0) + lam
    triples, sums = [], []
    for q, o in orders.items():
        for i0 in o.optimal:
            for j0 in o.non_optimal:
                triples.append((q, i0, j0))
                sums.append(out_of.get((q, i0), 0.0) + into.get((q, j0), 0.0))
    return np.array(triples, dtype=np.intp).reshape(-1, 3), np.array(sums, dtype=np.float64)

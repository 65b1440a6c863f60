"""Section 6 as code: Proposition 2's printed closed form of ``W*_kq``, and Theorem 3's gaps.

Theorem 3's constant (``C0_thm3``, ``theorem3_predicted_C``) sits with the
other ``C_0`` in :mod:`reference.theory.constants`; the generalisation
experiment is :mod:`reference.experiments.generalize`.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from ..data.dataset import Dataset
from ..errors import ConfigError
from ..structure.orders import query_orders, QueryOrder

__all__ = ["proposition2_closed_form", "theorem3_gap"]


def proposition2_closed_form(ds: Dataset, orders: dict[int, QueryOrder] | None = None, *, exact: bool = False
                             ) -> NDArray[np.float64] | NDArray[np.object_]:
    """Proposition 2's printed closed form of ``W*_kq`` in token coordinates ``A* = E^T W*_kq E``.

    Column ``q``: ``|N|/(|O|+|N|)`` on optimal tokens, ``-|O|/(|O|+|N|)`` on
    non-optimal ones, 0 on non-comparable ones; columns of tokens never a query are 0.
    It is the certified ``W*_kq`` exactly on the queries satisfying
    :func:`reference.maxmargin.prop2_condition` (erratum ``proposition2``, docs/theory.md).

    Parameters
    ----------
    ds : Dataset
    orders : dict {query index: QueryOrder}, optional
        ``reference.structure.query_orders(ds)`` if already computed.
    exact : bool
        Entries as :class:`fractions.Fraction` (an object array) instead of float64.

    Returns
    -------
    A : ndarray, shape (|V|, |V|)
        ``A[i, q] = x_i^T W*_kq x_q`` in token coordinates (``W*_kq = E A E^T``).

    Raises
    ------
    AssumptionError
        From :func:`reference.structure.query_orders` when ``ds`` has no collocation.
    """
    orders = query_orders(ds) if orders is None else orders
    V = ds.vocab.n_tokens
    A = np.full((V, V), Fraction(0), dtype=object) if exact else np.zeros((V, V))
    for q, o in orders.items():
        nO, nN = len(o.optimal), len(o.non_optimal)
        if nO + nN:
            A[list(o.optimal), q] = Fraction(nN, nO + nN) if exact else nN / (nO + nN)
            A[list(o.non_optimal), q] = Fraction(-nO, nO + nN) if exact else -nO / (nO + nN)
    return A


def theorem3_gap(A: NDArray[np.float64], ds: Dataset, key: str) -> float:
    """A Theorem 3 gap of token-coordinate weights ``A = E^T W_kq E``, minimised over queries.

    ``"gap_opt_noncomp"``: ``min_q min (x* - x0)^T W_kq x_q`` over ``x* in O_q``, ``x0 in M_q``;
    ``"gap_noncomp_nonopt"``: ``min_q min (x0 - x)^T W_kq x_q`` over ``x0 in M_q``, ``x in N_q``;
    the same quantities as the trajectory's ``stage2`` entries of those names.

    Parameters
    ----------
    A : ndarray, shape (|V|, |V|)
        ``A[i, q] = x_i^T W_kq x_q``.
    ds : Dataset
    key : {"gap_opt_noncomp", "gap_noncomp_nonopt"}

    Returns
    -------
    float
        nan if no query has both token types.

    Raises
    ------
    ConfigError
        An unknown ``key``.
    AssumptionError
        ``ds`` has no collocation.
    """
    if key not in ("gap_opt_noncomp", "gap_noncomp_nonopt"):
        raise ConfigError(f"theorem3_gap: key must be 'gap_opt_noncomp' or 'gap_noncomp_nonopt', got {key!r}")
    vals = []
    for q, o in query_orders(ds).items():
        hi, lo = (o.optimal, o.non_comparable) if key == "gap_opt_noncomp" else (o.non_comparable, o.non_optimal)
        if hi and lo:
            vals.append(min(A[i, q] for i in hi) - max(A[j, q] for j in lo))
    return min(vals) if vals else np.nan

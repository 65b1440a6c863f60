"""Section 6 as code: Proposition 2's printed closed form of ``W*_kq``.

Theorem 3's constant (``C0_thm3``, ``theorem3_predicted_C``) sits with the
other ``C_0`` in :mod:`reference.theory.constants`; the generalisation
experiment is :mod:`reference.experiments.generalize`.
"""

import numpy as np

from ..structure.orders import query_orders

__all__ = ["proposition2_closed_form"]


def proposition2_closed_form(ds, orders=None):
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
    A = np.zeros((V, V))
    for q, o in orders.items():
        nO, nN = len(o.optimal), len(o.non_optimal)
        if nO + nN:
            A[list(o.optimal), q] = nN / (nO + nN)
            A[list(o.non_optimal), q] = -nO / (nO + nN)
    return A

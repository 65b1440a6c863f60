"""Regeneration (the remark after Assumption 1, Section 4.1) and Theorem 3's prediction rule.

Given the collocation ``n`` and the Definition-1 orders, the next token of
``[x]`` is ``n(x)`` and that of a longer sentence is ``n(x*)``, ``x*`` its
optimal token under the order of its last token. Under Assumptions 1 and 3
this reproduces every sample (proof in docs/structure.md). With Section 6's
extended order the same rule, one tier down, is Theorem 3's prediction for an
unseen sentence. Re-exported by :mod:`reference.structure`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

from ..data.dataset import Dataset
from ..errors import VocabularyError
from .orders import collocation, query_orders, QueryOrder

__all__ = ["next_token_from_orders", "regenerate"]


def next_token_from_orders(sentence: Iterable[int], orders: dict[int, QueryOrder], In: Sequence[int] | NDArray[np.intp],
                           extended: bool = False) -> int:
    """The next token the orders assign to a sentence (regeneration, Section 4.1; Theorem 3).

    ``[x] -> n(x)``; a sentence with one distinct token ``x`` gets ``n(x)``;
    otherwise ``n(x*)`` with ``x*`` the unique present token that is optimal
    under ``>_{x_q}``, ``x_q`` the last token. With ``extended=True`` (Section 6),
    when no optimal token is present the unique present non-comparable token
    ``x0`` is used instead (tiers optimal > non-comparable > non-optimal), and a
    present confused token makes the prediction undefined.

    Parameters
    ----------
    sentence : sequence of int, length L >= 1
        Token indices, the query last.
    orders : dict {int: QueryOrder}
        As :func:`query_orders`.
    In : int array, shape (abs(V),)
        The collocation.
    extended : bool
        Use Section 6's tiers (Theorem 3) instead of Definition 1's optimal type only.

    Returns
    -------
    int
        Index of the next token, or ``-1`` when the orders determine none.

    Raises
    ------
    VocabularyError
        An empty sentence, or an index outside ``[0, abs(V))``.
    """
    s = [int(i) for i in sentence]
    if not s:
        raise VocabularyError("an empty sentence has no query and no next token")
    bad = [i for i in s if not 0 <= i < len(In)]
    if bad:
        raise VocabularyError(f"token index {bad[0]} in the sentence {s} is outside the vocabulary "
                              f"of {len(In)} tokens")
    present = set(s)
    if len(present) == 1:
        return int(In[s[0]])
    o = orders.get(s[-1])
    if o is None:
        return -1
    if extended and present.intersection(o.confused):
        return -1
    top = present.intersection(o.optimal)
    if not top and extended:                       # the non-comparable tokens present (none is confused)
        top = present.difference(o.optimal, o.non_optimal)
    if top:
        return int(In[top.pop()]) if len(top) == 1 else -1
    return -1


def regenerate(ds: Dataset, In: Sequence[int] | NDArray[np.intp] | None = None,
               orders: dict[int, QueryOrder] | None = None) -> NDArray[np.intp]:
    """Every sample's next token recomputed from ``n`` and the orders (remark after Assumption 1).

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (abs(V),), optional
        The collocation (default :func:`collocation`).
    orders : dict {int: QueryOrder}, optional
        Default :func:`query_orders` of ``ds``.

    Returns
    -------
    y_hat : int array, shape (N,)
        :func:`next_token_from_orders` of each sentence (``-1`` where undetermined).
        Under Assumptions 1 and 3, ``y_hat == ds.y`` (docs/structure.md).

    Raises
    ------
    AssumptionError
        If ``In`` is not given and there is no (injective) collocation.
    """
    if In is None:
        In = collocation(ds)
    if orders is None:
        orders = query_orders(ds, In)
    return np.array([next_token_from_orders(s, orders, In) for s in ds.sentences], dtype=np.intp)

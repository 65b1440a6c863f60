"""Section 6 of the paper: the extended order and the unseen sentences of Theorem 3.

After training, Theorem 3 says the key-query matrix ranks, under each query,
the optimal tokens above the non-comparable ones and those above the
non-optimal ones: ``(x* - x0)^T W_kq x_q >= C t`` and ``(x0 - x)^T W_kq x_q >= C t``.
:func:`extended_order` gives these tiers per query; :func:`unseen_predictions`
enumerates the unseen sentences this ranking makes a prediction for (Example 2).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from ..errors import AssumptionError, ConfigError
from .orders import collocation, query_orders, QueryOrder

__all__ = ["ExtendedOrder", "extended_order", "Prediction", "unseen_predictions"]


@dataclass(frozen=True)
class ExtendedOrder:
    """Section 6's extended order for one query: optimal > non-comparable > non-optimal.

    Attributes
    ----------
    query : int
    optimal, non_comparable, non_optimal : tuple of int
        The tiers (sorted indices), from the Definition-1 types of the query.
    pairs : frozenset of (int, int)
        Every cross-tier pair ``(i, j)``, ``x_i`` in a higher tier than ``x_j``;
        it contains the Definition-1 relation.
    """

    query: int
    optimal: tuple[int, ...]
    non_comparable: tuple[int, ...]
    non_optimal: tuple[int, ...]
    pairs: frozenset[tuple[int, int]]

    def tier(self, i: int) -> int:
        """The tier of token index ``i``: 2 optimal, 1 non-comparable, 0 non-optimal (int)."""
        return 2 if i in self.optimal else 1 if i in self.non_comparable else 0


def extended_order(ds: Dataset, In: ArrayLike | None = None, orders: dict[int, QueryOrder] | None = None
                   ) -> dict[int, ExtendedOrder]:
    """Section 6's extended order of every query (Theorem 3): ``{query index: ExtendedOrder}``.

    Theorem 3: ``(x* - x0)^T W_kq^(t) x_q >= C t`` and ``(x0 - x)^T W_kq^(t) x_q >= C t``
    for ``x*`` in ``O``, ``x0`` in ``M``, ``x`` in ``N``: training ranks the tiers
    ``O > M > N`` of each query, which this function lists.

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (abs(V),), optional
        The collocation (default :func:`reference.structure.collocation`).
    orders : dict {int: QueryOrder}, optional
        Default :func:`reference.structure.query_orders` of ``ds``.

    Returns
    -------
    dict {int: ExtendedOrder}
        One entry per query that ends some sentence, keys sorted; the tiers of an
        entry partition the ``abs(V)`` token indices.

    Raises
    ------
    AssumptionError
        No (injective) collocation, or a confused token (Assumption 1 fails; the
        extended order is then undefined), named with its query.
    """
    if In is None:
        In = collocation(ds)
    if orders is None:
        orders = query_orders(ds, In)
    toks, out = ds.vocab.tokens, {}
    for q, o in orders.items():
        if o.confused:
            raise AssumptionError(
                f"under the query {toks[q]!r} the token(s) {', '.join(repr(toks[i]) for i in o.confused)} "
                "are confused (Assumption 1(ii)); the extended order is undefined")
        O, M, Nn = o.optimal, o.non_comparable, o.non_optimal
        pairs = {(i, j) for i in O for j in M + Nn} | {(i, j) for i in M for j in Nn}
        out[q] = ExtendedOrder(q, O, M, Nn, frozenset(pairs))
    return out


class Prediction(NamedTuple):
    """One unseen sentence with the prediction Theorem 3 makes for it (a named tuple).

    Attributes
    ----------
    query : int
        Index of ``x_q``.
    sentence : tuple of int
        Token indices, query last.
    next : int
        Index of the predicted token ``n(top)``.
    family : str
        ``"optimal"`` or ``"non-comparable"``.
    top : int
        Index of ``x*`` or ``x0``.
    """

    query: int
    sentence: tuple[int, ...]
    next: int
    family: str
    top: int


def unseen_predictions(ds: Dataset, max_length: int = 3, In: Sequence[int] | NDArray[np.intp] | None = None
                       ) -> Iterator[Prediction]:
    """Enumerate the unseen sentences Theorem 3 makes a prediction for, up to ``max_length`` tokens.

    For a query ``x_q`` with tiers ``O`` > ``M`` > ``N`` (:func:`extended_order`):
    family ``"non-comparable"``: one non-comparable token ``x0`` (possibly repeated)
    and non-optimal tokens, predicted ``n(x0)``; family ``"optimal"``: one optimal
    token ``x*`` (possibly repeated) with any non-comparable and non-optimal
    tokens, predicted ``n(x*)``. The transformer has no positional encoding, so a
    sentence is one representative per multiset: the other tokens sorted by index,
    then the query last. Sentences whose multiset and query match a training
    sentence are skipped. A generator: finite for every ``max_length``.

    Parameters
    ----------
    ds : Dataset
    max_length : int >= 1
        Size bound: longest sentence enumerated.
    In : int array, shape (abs(V),), optional
        The collocation (default :func:`reference.structure.collocation`).

    Yields
    ------
    Prediction(query, sentence (tuple of int), next (int), family (str), top (int))

    Raises
    ------
    AssumptionError
        As :func:`extended_order`.
    ConfigError
        ``max_length`` is not an integer >= 1.
    """
    if isinstance(max_length, bool) or not isinstance(max_length, (int, np.integer)) or max_length < 1:
        raise ConfigError(f"max_length must be an integer >= 1, got {max_length!r}")
    if In is None:
        In = collocation(ds)
    ext = extended_order(ds, In)
    seen = {(int(s[-1]), tuple(sorted(s.tolist()))) for s in ds.sentences}
    for q, e in ext.items():
        for family, tops, rest in (("optimal", e.optimal, e.non_comparable + e.non_optimal),
                                   ("non-comparable", e.non_comparable, e.non_optimal)):
            for top in tops:
                pool = sorted({top, *rest})
                if q not in pool:
                    continue
                for L in range(1, int(max_length) + 1):
                    for body in combinations_with_replacement(pool, L - 1):
                        full = body + (q,)
                        if top not in full or (q, tuple(sorted(full))) in seen:
                            continue
                        yield Prediction(q, full, int(In[top]), family, top)

"""Structure of ``D_0`` (paper Section 4.1 and Section 6): collocation, Definition 1, regeneration.

=================  =========================  ===========================================
paper              code                       meaning
=================  =========================  ===========================================
``In(x)``          ``collocation(ds)[i]``     index of ``n(x)`` for the token of index i
``>_{x_q}``        ``QueryOrder.pairs``       ``(i, j)`` in pairs means ``x_i >_{x_q} x_j``
``l(n)``           ``optimal_mask(ds)``       optimal positions of each sentence (0-based)
extended order     ``extended_order(ds)``     Section 6: optimal > non-comparable > non-optimal
=================  =========================  ===========================================

Token types use the disjoint reading of docs/paper.md section 4:
optimal = something below, nothing above; non-optimal = something above,
nothing below; non-comparable = neither; confused = both. The types of the
raw relation and of its transitive closure coincide (docs/structure.md).
The checks of Assumptions 1-3 live in :mod:`reference.structure.assumptions`, regeneration
(``next_token_from_orders``, ``regenerate``) in :mod:`reference.structure.regeneration` and
Section 6's extended order in :mod:`reference.structure.extended`; :mod:`reference.structure` gathers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from ..errors import AssumptionError, VocabularyError
from ..numerics import _ranges

__all__ = ["collocation", "optimal_mask", "optimal_positions", "QueryOrder", "query_orders"]


def collocation(ds: Dataset) -> NDArray[np.intp]:
    """The collocation map as indices, ``In(x)`` (0-based), from the one-token samples (Section 4.1).

    Serves Assumption 1(i): a collocation exists and ``n`` is injective (then a
    permutation of ``V``).

    Parameters
    ----------
    ds : Dataset

    Returns
    -------
    In : int array, shape (abs(V),)
        ``In[i]`` is the index of ``n(x_i)``, the next token of the sentence ``[x_i]``.

    Raises
    ------
    AssumptionError
        If some token has no one-token sample, or two tokens share a next token
        (``n`` is not injective); the message names the tokens.
    """
    toks = ds.vocab.tokens
    In = np.full(ds.vocab.n_tokens, -1, dtype=np.intp)
    for n in np.flatnonzero(ds.lengths == 1):
        In[ds.sentences[n][0]] = ds.y[n]
    missing = np.flatnonzero(In < 0)
    if missing.size:
        raise AssumptionError(
            "no collocation (Assumption 1(i)): no one-token sample for token(s) "
            + ", ".join(repr(toks[i]) for i in missing))
    first: dict[int, int] = {}
    for i, j in enumerate(In.tolist()):
        if j in first:
            raise AssumptionError(
                f"the collocation is not injective (Assumption 1(i)): n({toks[first[j]]!r}) = "
                f"n({toks[i]!r}) = {toks[j]!r}")
        first[j] = i
    return In


def _given_In(ds: Dataset, In: ArrayLike) -> NDArray[np.intp]:
    """A collocation passed in: integer indices in ``[-1, abs(V))``, shape ``(abs(V),)``, as an intp array."""
    V = ds.vocab.n_tokens
    arr = np.asarray(In)
    if arr.shape != (V,) or not np.issubdtype(arr.dtype, np.integer):
        raise VocabularyError(f"In must be an integer array of shape ({V},) (one entry per token), "
                              f"got dtype {arr.dtype} and shape {arr.shape}")
    bad = np.flatnonzero((arr < -1) | (arr >= V))
    if bad.size:
        raise VocabularyError(f"In[{bad[0]}] = {arr[bad[0]]} (the entry of token {ds.vocab.tokens[bad[0]]!r}) "
                              f"is not a token index nor -1")
    return arr.astype(np.intp, copy=False)


def optimal_mask(ds: Dataset, In: ArrayLike | None = None) -> NDArray[np.bool_]:
    """``l(n)`` for every sentence: position ``l`` is optimal iff ``n(x_l) = n(X^(n))`` (Section 4.1).

    Serves Assumption 3 (``abs(l(n))`` is the count it compares) and Eq. (3)
    (its constraints pair an optimal with a non-optimal position).

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (abs(V),), optional
        The collocation (default :func:`collocation`); ``-1`` entries (undefined
        ``n(x)``) are never optimal.

    Returns
    -------
    mask : bool array, shape (N, L_max)
        ``mask[n, l]`` is True iff ``l in l(n)`` (0-based positions; padding is False).

    Raises
    ------
    AssumptionError
        If ``In`` is not given and there is no (injective) collocation.
    VocabularyError
        A given ``In`` of the wrong shape or type, or with an entry outside ``[-1, abs(V))``.
    """
    In = collocation(ds) if In is None else _given_In(ds, In)
    return ds.mask & (In[np.where(ds.mask, ds.tokens, 0)] == ds.y[:, None])


def optimal_positions(ds: Dataset, In: ArrayLike | None = None) -> tuple[NDArray[np.intp], ...]:
    """``l(n)`` as index arrays, the optimal positions of every sentence (Section 4.1).

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (abs(V),), optional
        As in :func:`optimal_mask`.

    Returns
    -------
    tuple of N int arrays
        Entry ``n`` has shape ``(abs(l(n)),)``: the 0-based positions ``l`` of
        sentence ``n`` with ``n(x_l)`` its next token (empty when it has none).

    Raises
    ------
    AssumptionError
        If ``In`` is not given and there is no (injective) collocation.
    """
    mask = optimal_mask(ds, In)
    return tuple(np.flatnonzero(mask[n]) for n in range(ds.N))


@dataclass(frozen=True)
class QueryOrder:
    """The relation ``>_{x_q}`` of Definition 1 for one query, and its token types.

    Attributes
    ----------
    query : int
        Index of ``x_q``.
    pairs : frozenset of (int, int)
        ``(i, j)`` means ``x_i >_{x_q} x_j`` (the relation as generated, not closed).
    optimal, non_optimal, non_comparable, confused : tuple of int
        Disjoint token types (sorted indices); together they are all of ``V``.
        ``non_comparable`` is every token of none of the other three types,
        computed when read (not stored: on a large vocabulary most tokens
        never occur with a given query, and storing them for every query
        would cost (queries) x ``abs(V)``).
    n_tokens : int
        ``abs(V)``.
    sentences : tuple of int
        The sentences whose query is ``x_q``.
    witness : dict {(i, j): int}
        For each pair, the first sentence that generates it (not compared, not hashed).
    """

    query: int
    pairs: frozenset[tuple[int, int]]
    optimal: tuple[int, ...]
    non_optimal: tuple[int, ...]
    confused: tuple[int, ...]
    n_tokens: int
    sentences: tuple[int, ...]
    witness: dict[tuple[int, int], int] | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def non_comparable(self) -> tuple[int, ...]:
        """Tokens neither above nor below anything under ``x_q`` (sorted; computed on each read)."""
        typed = np.zeros(self.n_tokens, dtype=bool)
        for part in (self.optimal, self.non_optimal, self.confused):
            typed[list(part)] = True
        return tuple(np.flatnonzero(~typed).tolist())

    def n_non_comparable(self) -> int:
        """``len(non_comparable)`` without listing them."""
        return self.n_tokens - len(self.optimal) - len(self.non_optimal) - len(self.confused)

    def above(self, j: int) -> list[int]:
        """Tokens ``i`` with ``x_i >_{x_q} x_j`` (sorted list of int)."""
        return sorted(i for i, k in self.pairs if k == j)

    def below(self, i: int) -> list[int]:
        """Tokens ``j`` with ``x_i >_{x_q} x_j`` (sorted list of int)."""
        return sorted(j for k, j in self.pairs if k == i)

    def type_of(self, i: int) -> str:
        """The type of token ``i``: ``"optimal"``, ``"non_optimal"``, ``"non_comparable"`` or ``"confused"``.

        Raises
        ------
        VocabularyError
            ``i`` is not a token index.
        """
        for name in ("optimal", "non_optimal", "confused"):
            if i in getattr(self, name):
                return name
        if isinstance(i, (int, np.integer)) and not isinstance(i, bool) and 0 <= i < self.n_tokens:
            return "non_comparable"
        raise VocabularyError(f"token index {i} is outside the vocabulary")


def _pair_table(ds: Dataset, In: NDArray[np.intp]
                ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Every Definition-1 triple ``(q, i, j)``: ``x_i >_{x_q} x_j``, with its first witness sentence.

    Vectorised: a sentence with optimal tokens ``O_s`` and other tokens ``R_s``
    generates ``O_s x R_s`` under its query. Returns four int arrays of equal length.
    """
    V = ds.vocab.n_tokens
    key = np.unique(ds.flat_sentence.astype(np.int64) * V + ds.flat_tokens)
    s, t = key // V, key % V
    opt = In[t] == ds.y[s]
    os_, ot, ns, nt = s[opt], t[opt], s[~opt], t[~opt]
    lo = np.searchsorted(ns, os_, "left")
    cnt = np.searchsorted(ns, os_, "right") - lo
    rep = np.repeat(np.arange(os_.size), cnt)
    pos = _ranges(lo, cnt)                         # the non-optimal tokens of each sentence
    sent, a, b = os_[rep], ot[rep], nt[pos]
    q = ds.queries[sent].astype(np.int64)
    _, first = np.unique((q * V + a) * V + b, return_index=True)
    return q[first], a[first], b[first], sent[first]


def query_orders(ds: Dataset, In: ArrayLike | None = None) -> dict[int, QueryOrder]:
    """Definition 1 for every query that occurs: ``{query index: QueryOrder}``.

    ``x >_{x_q} x'`` iff some sentence with last token ``x_q`` contains both
    ``x`` and ``x'`` and its next token is ``n(x)`` but not ``n(x')``. Serves
    Assumption 1(ii), Proposition 2 and Theorem 3 (the sets ``O``, ``N``, ``M``).

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (abs(V),), optional
        The collocation (default :func:`collocation`); a partial map with ``-1``
        for undefined ``n(x)`` is accepted (used by the assumption checks).

    Returns
    -------
    dict {int: QueryOrder}
        One entry per query that ends some sentence, keys sorted; each order
        types all ``abs(V)`` tokens.

    Raises
    ------
    AssumptionError
        If ``In`` is not given and there is no (injective) collocation.
    VocabularyError
        A given ``In`` of the wrong shape or type, or with an entry outside ``[-1, abs(V))``.
    """
    In = collocation(ds) if In is None else _given_In(ds, In)
    V = ds.vocab.n_tokens
    q, a, b, w = _pair_table(ds, In)                 # sorted by query, then (a, b)
    by_q = np.argsort(ds.queries, kind="stable")
    qs, starts = np.unique(ds.queries[by_q], return_index=True)
    groups = np.split(by_q, starts[1:])
    lo = np.searchsorted(q, qs, "left")
    hi = np.searchsorted(q, qs, "right")
    out = {}
    for qq, sents, i0, i1 in zip(qs.tolist(), groups, lo.tolist(), hi.tolist()):
        aq, bq = a[i0:i1], b[i0:i1]
        hb, ha = np.unique(aq), np.unique(bq)           # something below; something above
        wit = {(int(x), int(y)): int(n) for x, y, n in zip(aq, bq, w[i0:i1])}
        out[qq] = QueryOrder(
            qq, frozenset(wit), tuple(np.setdiff1d(hb, ha).tolist()), tuple(np.setdiff1d(ha, hb).tolist()),
            tuple(np.intersect1d(hb, ha).tolist()), V, tuple(sorted(sents.tolist())), witness=wit)
    return out

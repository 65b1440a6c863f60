"""Structure of ``D_0`` (paper Section 4.1 and Section 6): collocation, Definition 1, regeneration.

=================  =========================  ===========================================
paper              code                       meaning
=================  =========================  ===========================================
``In(x)``          ``collocation(ds)[i]``     index of ``n(x)`` for the token of index i
``>_{x_q}``        ``QueryOrder.pairs``       ``(i, j)`` in pairs means ``x_i >_{x_q} x_j``
``l(n)``           ``optimal_mask(ds)``       optimal positions of each sentence (0-based)
extended order     ``extended_order(ds)``     Section 6: optimal > non-comparable > non-optimal
=================  =========================  ===========================================

Token types use the disjoint reading of PAPER.md (Library rule, Section 4):
optimal = something below, nothing above; non-optimal = something above,
nothing below; non-comparable = neither; confused = both. The types of the
raw relation and of its transitive closure coincide (docs/structure.md).
The checks of Assumptions 1-3 live in :mod:`reference.assumptions` and
Section 6's extended order in :mod:`reference.extended`; both are re-exported here.
"""

from dataclasses import dataclass, field

import numpy as np

from .errors import AssumptionError, VocabularyError

__all__ = ["collocation", "optimal_mask", "optimal_positions", "QueryOrder", "query_orders",
           "next_token_from_orders", "regenerate", "ExtendedOrder", "extended_order",
           "Prediction", "unseen_predictions", "check_assumptions", "AssumptionReport"]


def collocation(ds):
    """The collocation map as indices, ``In(x)`` (0-based), from the one-token samples.

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
    first = {}
    for i, j in enumerate(In):
        if j in first:
            raise AssumptionError(
                f"the collocation is not injective (Assumption 1(i)): n({toks[first[j]]!r}) = "
                f"n({toks[i]!r}) = {toks[j]!r}")
        first[j] = i
    return In


def optimal_mask(ds, In=None):
    """``l(n)`` for every sentence: position ``l`` is optimal iff ``n(x_l)`` is the next token.

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (abs(V),), optional
        The collocation; ``-1`` entries (undefined ``n(x)``) are never optimal.

    Returns
    -------
    mask : bool array, shape (N, L_max)
        ``mask[n, l]`` is True iff ``l in l(n)`` (0-based positions; padding is False).
    """
    if In is None:
        In = collocation(ds)
    return ds.mask & (In[np.where(ds.mask, ds.tokens, 0)] == ds.y[:, None])


def optimal_positions(ds, In=None):
    """``l(n)`` as index arrays: ``optimal_positions(ds)[n]`` lists the optimal positions (0-based)."""
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
    sentences : tuple of int
        The sentences whose query is ``x_q``.
    witness : dict {(i, j): int}
        For each pair, the first sentence that generates it (not compared, not hashed).
    """

    query: int
    pairs: frozenset
    optimal: tuple
    non_optimal: tuple
    non_comparable: tuple
    confused: tuple
    sentences: tuple
    witness: dict = field(default=None, compare=False, hash=False, repr=False)

    def above(self, j):
        """Tokens ``i`` with ``x_i > x_j``."""
        return sorted(i for i, k in self.pairs if k == j)

    def below(self, i):
        """Tokens ``j`` with ``x_i > x_j``."""
        return sorted(j for k, j in self.pairs if k == i)

    def type_of(self, i):
        """``"optimal"``, ``"non_optimal"``, ``"non_comparable"`` or ``"confused"``."""
        for name in ("optimal", "non_optimal", "non_comparable", "confused"):
            if i in getattr(self, name):
                return name
        raise VocabularyError(f"token index {i} is outside the vocabulary")


def _pair_table(ds, In):
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
    pos = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt) + lo[rep]
    sent, a, b = os_[rep], ot[rep], nt[pos]
    q = ds.queries[sent].astype(np.int64)
    _, first = np.unique((q * V + a) * V + b, return_index=True)
    return q[first], a[first], b[first], sent[first]


def query_orders(ds, In=None):
    """Definition 1 for every query that occurs: ``{query index: QueryOrder}``.

    ``x >_{x_q} x'`` iff some sentence with last token ``x_q`` contains both
    ``x`` and ``x'`` and its next token is ``n(x)`` but not ``n(x')``.

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (abs(V),), optional
        The collocation (default :func:`collocation`); a partial map with ``-1``
        for undefined ``n(x)`` is accepted (used by the assumption checks).

    Returns
    -------
    dict {int: QueryOrder}, keys sorted.

    Raises
    ------
    AssumptionError
        If ``In`` is not given and there is no (injective) collocation.
    """
    if In is None:
        In = collocation(ds)
    In = np.asarray(In, dtype=np.intp)
    V = ds.vocab.n_tokens
    q, a, b, w = _pair_table(ds, In)
    below, above = np.zeros((V, V), bool), np.zeros((V, V), bool)
    below[q, a] = True
    above[q, b] = True
    by_q = np.argsort(ds.queries, kind="stable")
    qs, starts = np.unique(ds.queries[by_q], return_index=True)
    groups = np.split(by_q, starts[1:])
    pair_rows = {}
    for k in range(q.size):
        pair_rows.setdefault(int(q[k]), {})[(int(a[k]), int(b[k]))] = int(w[k])
    out = {}
    allv = np.arange(V)
    for qq, sents in zip(qs.tolist(), groups):
        hb, ha = below[qq], above[qq]
        wit = pair_rows.get(qq, {})
        out[qq] = QueryOrder(
            qq, frozenset(wit), tuple(allv[hb & ~ha].tolist()), tuple(allv[ha & ~hb].tolist()),
            tuple(allv[~ha & ~hb].tolist()), tuple(allv[ha & hb].tolist()),
            tuple(sorted(sents.tolist())), witness=wit)
    return out


def next_token_from_orders(sentence, orders, In, extended=False):
    """The next token the orders assign to a sentence (regeneration, Section 4.1; Theorem 3).

    ``[x] -> n(x)``; a sentence with one distinct token ``x`` gets ``n(x)``;
    otherwise ``n(x*)`` with ``x*`` the unique present token that is optimal
    under ``>_{x_q}``, ``x_q`` the last token. With ``extended=True`` (Section 6),
    when no optimal token is present the unique present non-comparable token
    ``x0`` is used instead (tiers optimal > non-comparable > non-optimal), and a
    present confused token makes the prediction undefined.

    Parameters
    ----------
    sentence : sequence of int
    orders : dict {int: QueryOrder}
    In : int array, shape (abs(V),)
    extended : bool

    Returns
    -------
    int
        Index of the next token, or ``-1`` when the orders determine none.
    """
    s = [int(i) for i in sentence]
    present = set(s)
    if len(present) == 1:
        return int(In[s[0]])
    o = orders.get(s[-1])
    if o is None:
        return -1
    if extended and present.intersection(o.confused):
        return -1
    tiers = (o.optimal, o.non_comparable) if extended else (o.optimal,)
    for tier in tiers:
        top = present.intersection(tier)
        if top:
            return int(In[top.pop()]) if len(top) == 1 else -1
    return -1


def regenerate(ds, In=None, orders=None):
    """Every sample's next token recomputed from ``n`` and the orders (remark after Assumption 1).

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


def __getattr__(name):
    # check_assumptions (reference.assumptions) and Section 6 (reference.extended) build on this
    # module; they are re-exported lazily to avoid an import cycle.
    if name in ("check_assumptions", "AssumptionReport"):
        from . import assumptions
        return getattr(assumptions, name)
    if name in ("ExtendedOrder", "extended_order", "Prediction", "unseen_predictions"):
        from . import extended
        return getattr(extended, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

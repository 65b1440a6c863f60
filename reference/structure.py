"""Structure of ``D_0`` (paper Section 4.1): collocation, Definition 1, optimal positions.

=================  ======================  ===========================================
paper              code                    meaning
=================  ======================  ===========================================
``In(x)``          ``collocation(ds)[i]``  index of ``n(x)`` for the token of index i
``>_{x_q}``        ``QueryOrder.pairs``    ``(i, j)`` in pairs means ``x_i >_{x_q} x_j``
``l(n)``           ``optimal_mask(ds)``    optimal positions of each sentence
=================  ======================  ===========================================

Token types use the disjoint reading of PAPER.md (Library rule, Section 4):
optimal = something below, nothing above; non-optimal = something above,
nothing below; non-comparable = neither; confused = both.
"""

from dataclasses import dataclass

import numpy as np

from .errors import AssumptionError

__all__ = ["collocation", "optimal_mask", "QueryOrder", "query_orders"]


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
                f"the collocation is not injective (Assumption 1(i)): n({toks[first[j]]}) = "
                f"n({toks[i]}) = {toks[j]}")
        first[j] = i
    return In


def optimal_mask(ds, In=None):
    """``l(n)`` for every sentence: position ``l`` is optimal iff ``n(x_l)`` is the next token.

    Returns
    -------
    mask : bool array, shape (N, L_max)
        ``mask[n, l]`` is True iff ``l in l(n)`` (0-based positions; padding is False).
    """
    if In is None:
        In = collocation(ds)
    return ds.mask & (In[np.where(ds.mask, ds.tokens, 0)] == ds.y[:, None])


@dataclass(frozen=True)
class QueryOrder:
    """The relation ``>_{x_q}`` of Definition 1 for one query, and its token types.

    Attributes
    ----------
    query : int
        Index of ``x_q``.
    pairs : frozenset of (int, int)
        ``(i, j)`` means ``x_i >_{x_q} x_j``.
    optimal, non_optimal, non_comparable, confused : tuple of int
        Disjoint token types (sorted indices); together they are all of ``V``.
    sentences : tuple of int
        The sentences whose query is ``x_q``.
    """

    query: int
    pairs: frozenset
    optimal: tuple
    non_optimal: tuple
    non_comparable: tuple
    confused: tuple
    sentences: tuple

    def above(self, j):
        """Tokens ``i`` with ``x_i > x_j``."""
        return sorted(i for i, k in self.pairs if k == j)

    def below(self, i):
        """Tokens ``j`` with ``x_i > x_j``."""
        return sorted(j for k, j in self.pairs if k == i)


def query_orders(ds, In=None):
    """Definition 1 for every query that occurs: ``{query index: QueryOrder}``.

    ``x >_{x_q} x'`` iff some sentence with last token ``x_q`` contains both
    ``x`` and ``x'`` and its next token is ``n(x)`` but not ``n(x')``.

    Raises
    ------
    AssumptionError
        If there is no (injective) collocation, see :func:`collocation`.
    """
    if In is None:
        In = collocation(ds)
    n_tok = ds.vocab.n_tokens
    pairs, sents = {}, {}
    for n, s in enumerate(ds.sentences):
        q = int(ds.queries[n])
        sents.setdefault(q, []).append(n)
        P = pairs.setdefault(q, set())
        present = np.unique(s)
        top = present[In[present] == ds.y[n]]
        rest = present[In[present] != ds.y[n]]
        for i in top:
            for j in rest:
                P.add((int(i), int(j)))
    out = {}
    for q in sorted(pairs):
        P = frozenset(pairs[q])
        has_below = {i for i, _ in P}
        has_above = {j for _, j in P}
        types = {"optimal": [], "non_optimal": [], "non_comparable": [], "confused": []}
        for i in range(n_tok):
            a, b = i in has_above, i in has_below
            key = "confused" if a and b else "optimal" if b else "non_optimal" if a else "non_comparable"
            types[key].append(i)
        out[q] = QueryOrder(q, P, *(tuple(types[k]) for k in
                                    ("optimal", "non_optimal", "non_comparable", "confused")),
                            sentences=tuple(sents[q]))
    return out

"""The constraints of Eq. (2) and Eq. (3) as token triples, each traced to the sentence that gives it.

=============  ==================  ===========================================================
paper          code                meaning
=============  ==================  ===========================================================
``G_k``        ``Constraints``     constraint k reads ``<G_k, W> >= 1``
Eq. (2)        ``ov_constraints``  ``G_k = (e_{In(x)} - e_v) x^T``, ``v != In(x)``
Eq. (3)        ``kq_constraints``  ``G_k = (x_{l*} - x_l) x_L^(n)^T``, ``l*`` optimal, ``l`` not
=============  ==================  ===========================================================

Both problems depend on a sentence only through token identities, so each
constraint is a triple (``column``, ``upper``, ``lower``) of token indices
(0-based): for Eq. (2) (token ``x``, ``In(x)``, ``v``), for Eq. (3) (query,
optimal token, non-optimal token). Duplicates are merged, keeping the first
sentence and the number of sentences of each. See ``docs/maxmargin.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from ..errors import AssumptionError
from ..structure.orders import collocation

__all__ = ["Constraints", "ov_constraints", "kq_constraints"]


@dataclass(frozen=True)
class Constraints:
    """The distinct constraints ``<G_k, W> >= 1`` of Eq. (2) or Eq. (3), ``m`` of them.

    ``kind == "ov"``: ``G_k = (e_{upper} - e_{lower}) x_{column}^T`` (token ``column``,
    ``upper = In(column)``). ``kind == "kq"``: ``G_k = (x_{upper} - x_{lower}) x_{column}^T``
    (query ``column``, optimal token ``upper``, non-optimal token ``lower``).

    Attributes
    ----------
    kind : {"ov", "kq"}
    column, upper, lower : int arrays, shape (m,)
        Token indices (0-based).
    sentence : int array, shape (m,)
        The first sentence giving constraint k (-1: none, for an ``In`` supplied without one-token samples).
    n_sentences : int array, shape (m,)
        How many sentences give constraint k.
    """

    kind: str
    column: NDArray[np.intp]
    upper: NDArray[np.intp]
    lower: NDArray[np.intp]
    sentence: NDArray[np.intp]
    n_sentences: NDArray[np.intp]

    def __len__(self) -> int:
        return int(self.column.size)

    def describe(self, k: int, ds: Dataset) -> str:
        """Constraint ``k`` in words: its tokens, its query and the sentence that gives it.

        Parameters
        ----------
        k : int
            0 <= k < m.
        ds : Dataset
            The dataset the constraints were built from.

        Returns
        -------
        str
            E.g. ``"query 'c': 'a' > 'b', sentence 3 'a b c' (line 4)"``.
        """
        t = ds.vocab.tokens
        c, u, l, n = (int(a[k]) for a in (self.column, self.upper, self.lower, self.sentence))
        more = f", +{int(self.n_sentences[k]) - 1} more" if self.n_sentences[k] > 1 else ""
        where = f"sentence {n} {ds.sentence_text(n)!r} ({ds.origins[n]}{more})" if n >= 0 else "no sentence"
        if self.kind == "ov":
            return f"token {t[c]!r}: logit of {t[u]!r} > logit of {t[l]!r}, {where}"
        return f"query {t[c]!r}: {t[u]!r} > {t[l]!r}, {where}"


def _collocation(ds: Dataset, In: ArrayLike | None) -> NDArray[np.intp]:
    """``In`` checked to be a collocation (a permutation of the token indices), or computed from ``ds``."""
    if In is None:
        return collocation(ds)
    In = np.asarray(In)
    V = ds.vocab.n_tokens
    if In.shape != (V,) or In.dtype.kind not in "iu" or not np.array_equal(np.sort(In), np.arange(V)):
        raise AssumptionError(f"In must be a collocation: a permutation of 0..{V - 1} (Assumption 1(i)), "
                              f"got {In!r}")
    return In.astype(np.intp)


def ov_constraints(ds: Dataset, In: ArrayLike | None = None) -> Constraints:
    """The ``abs(V) (abs(V) - 1)`` constraints of Eq. (2): ``(e_{In(x)} - e_v)^T W x >= 1``, ``v != In(x)``.

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (abs(V),), optional
        The collocation (0-based ``n``); computed by
        :func:`reference.structure.collocation` when omitted.

    Returns
    -------
    Constraints
        ``kind="ov"``, grouped by token ``x`` (``column``), ``lower`` increasing
        within a column; ``sentence`` is the one-token sentence ``[x]`` (-1 if ``ds`` has none).

    Raises
    ------
    AssumptionError
        No (injective) collocation (Assumption 1(i)), see
        :func:`reference.structure.collocation`, or ``In`` not a permutation.
    """
    In = _collocation(ds, In)
    V = ds.vocab.n_tokens
    one = np.flatnonzero(ds.lengths == 1)
    sent_of = np.full(V, -1, dtype=np.intp)
    sent_of[ds.tokens[one, 0]] = one
    grid = np.tile(np.arange(V), (V, 1))
    keep = grid != In[:, None]
    col = np.repeat(np.arange(V), V - 1)
    return Constraints("ov", col, In[col], grid[keep], sent_of[col], np.ones(col.size, dtype=np.intp))


def kq_constraints(ds: Dataset, In: ArrayLike | None = None) -> Constraints:
    """The distinct constraints of Eq. (3): ``(x_{l*} - x_l)^T W x_L^(n) >= 1``, as (query, optimal, non-optimal) tokens.

    Every sentence ``n``, optimal position ``l*`` (``n(x_{l*})`` is the next
    token) and non-optimal position ``l`` gives the token triple
    ``(x_L^(n), x_{l*}, x_l)``; duplicates are merged (``n_sentences`` counts
    the sentences, ``sentence`` names the first).

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (abs(V),), optional
        The collocation; computed from ``ds`` when omitted.

    Returns
    -------
    Constraints
        ``kind="kq"``, sorted by (query, optimal, non-optimal) token.

    Raises
    ------
    AssumptionError
        No (injective) collocation (Assumption 1(i)), ``In`` not a permutation,
        or a sentence none of whose tokens ``x`` has ``n(x)`` equal to its next
        token (no optimal position: Eq. (3) would silently ignore it, and no
        weights predict it); the first such sentences are named.
    """
    In = _collocation(ds, In)
    V, N = ds.vocab.n_tokens, ds.N
    star = np.argsort(In)[ds.y]                       # the token x with n(x) = next token
    pos_star = star[ds.flat_sentence]
    is_opt = ds.flat_tokens == pos_star
    bad = np.flatnonzero(np.bincount(ds.flat_sentence, weights=is_opt, minlength=N) == 0)
    if bad.size:
        t = ds.vocab.tokens
        raise AssumptionError("sentence(s) without an optimal position (the next token is n(x) for no token x "
                              "of the sentence; not realizable): " + "; ".join(
                                  f"sentence {n} {ds.sentence_text(n)!r} ({ds.origins[n]}) -> {t[ds.y[n]]!r}"
                                  for n in bad[:5]) + (f" and {bad.size - 5} more" if bad.size > 5 else ""))
    sel = ~is_opt
    sent = ds.flat_sentence[sel]
    key = (ds.queries[sent] * V + pos_star[sel]) * V + ds.flat_tokens[sel]
    uniq, first = np.unique(key, return_index=True)
    pairs = np.sort(key * N + sent)                    # distinct (constraint, sentence) pairs; sorting
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]][:pairs.size]]  # beats np.unique's hash path ~50x
    n_sent = np.bincount(np.searchsorted(uniq, pairs // N), minlength=uniq.size)
    return Constraints("kq", uniq // (V * V), (uniq // V) % V, uniq % V, sent[first], n_sent)

"""Claim 4: on prefix-closed data every query has at most one optimal token, so ``W*_kq`` is a star.

Lemma PC (docs/claims.md, claim 4; first proved in docs/theory.md): if ``D_0`` is
prefix-closed, every sentence has an optimal position and no query has a
confused token (Assumption 1), then each query ``q`` has at most one optimal
token ``u_q``. The constraints of Eq. (3) in the column of ``q`` then form a
star ``u_q > w`` (``w`` in the ``m_q`` non-optimal tokens ``N_q``), and Eq. (3)
is solved by hand: ``a_u = m_q/(m_q+1)``, ``a_w = -1/(m_q+1)``, 0 elsewhere,
every margin 1, multiplier ``1/(m_q+1)`` on every edge (KKT), and
``||W*_kq||^2 = sum_q m_q/(m_q+1)``. This is Proposition 2's closed form with
``abs(O) = 1``; Proposition 4's "equal non-optimal scores" (used by the proofs of
Lemmas 6 and 7) holds there, since every ``w`` in ``N_q`` has score ``-1/(m_q+1)``.

:func:`star_solution` is that solution in exact rationals, without a solver; it
applies to any data with at most one optimal token per query (prefix-closed
or not) and refuses the others.
"""

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import AssumptionError
from ..structure.orders import query_orders

__all__ = ["is_prefix_closed", "StarSolution", "star_solution"]


def is_prefix_closed(ds):
    """Whether every prefix of every sample is a sample with the matching next token (Section 4.1).

    Parameters
    ----------
    ds : Dataset

    Returns
    -------
    bool
    """
    where = {tuple(s.tolist()): n for n, s in enumerate(ds.sentences)}
    for s in ds.sentences:
        if s.size >= 2:
            p = where.get(tuple(s[:-1].tolist()))
            if p is None or ds.y[p] != s[-1]:
                return False
    return True


@dataclass(frozen=True)
class StarSolution:
    """``W*_kq`` (Eq. 3) from the star structure of each query column, in exact rationals.

    Attributes
    ----------
    stars : dict {int: (int, tuple of int)}
        Query ``q`` -> (its optimal token ``u_q``, its non-optimal tokens ``N_q``), for the queries with pairs.
    coords : dict {(int, int): Fraction}
        Non-zero entries ``A*[key, query]`` of ``A* = E^T W*_kq E``.
    multipliers : dict {(int, int, int): Fraction}
        ``(query, u, w) -> 1/(m_q + 1)``, the KKT multipliers of ``min ||W||^2/2`` (every constraint is active).
    norm_sq : Fraction
        ``||W*_kq||^2 = sum_q m_q/(m_q + 1)``.
    A : ndarray, shape (abs(V), abs(V))
        ``A*`` in float64.
    W : ndarray, shape (d, d)
        ``W*_kq = E A* E^T``.
    """

    stars: dict
    coords: dict
    multipliers: dict
    norm_sq: Fraction
    A: np.ndarray
    W: np.ndarray

    def dual(self, constraints):
        """The multipliers in the order of ``constraints`` (:func:`reference.maxmargin.kq_constraints`), float64.

        Parameters
        ----------
        constraints : Constraints

        Returns
        -------
        ndarray, shape (m,)
        """
        return np.array([float(self.multipliers[(int(c), int(u), int(w))]) for c, u, w in
                         zip(constraints.column, constraints.upper, constraints.lower)], dtype=np.float64)


def star_solution(ds, orders=None):
    """``W*_kq`` by hand when every query has at most one optimal token (Lemma PC: all prefix-closed data).

    Column ``q``: ``m/(m+1)`` on ``u_q``, ``-1/(m+1)`` on each of the ``m`` tokens of
    ``N_q``, 0 elsewhere (Proposition 2 with ``abs(O) = 1``, proved by KKT with the
    multipliers ``1/(m+1)``; docs/claims.md, claim 4). No solver, no tolerance.

    Parameters
    ----------
    ds : Dataset
        Assumption 2 (orthonormal ``E``), a collocation.
    orders : dict, optional
        :func:`reference.structure.query_orders` of ``ds``.

    Returns
    -------
    StarSolution

    Raises
    ------
    AssumptionError
        Non-orthonormal ``E``; no collocation; a query with a confused token or with two
        or more optimal tokens (possible only for data that are not prefix-closed, by
        Lemma PC; the message names the query, its optimal tokens and whether ``ds`` is
        prefix-closed).
    """
    if not ds.vocab.orthonormal:
        raise AssumptionError("the star solution of Eq. (3) needs orthonormal embeddings (Assumption 2)")
    orders = query_orders(ds) if orders is None else orders
    toks = ds.vocab.tokens
    stars, coords, mult = {}, {}, {}
    for q, o in sorted(orders.items()):
        if o.confused:
            raise AssumptionError(f"query {toks[q]!r} has confused token(s) "
                                  f"{', '.join(repr(toks[i]) for i in o.confused)} (Assumption 1)")
        if len(o.optimal) > 1:
            raise AssumptionError(
                f"query {toks[q]!r} has {len(o.optimal)} optimal tokens "
                f"({', '.join(repr(toks[i]) for i in o.optimal)}): its constraints are not a star "
                f"(the data are {'' if is_prefix_closed(ds) else 'not '}prefix-closed); use max_margin_kq(ds)")
        if not o.optimal:
            continue
        u, N = o.optimal[0], tuple(o.non_optimal)
        m = len(N)
        stars[q] = (u, N)
        coords[(u, q)] = Fraction(m, m + 1)
        for w in N:
            coords[(w, q)] = Fraction(-1, m + 1)
            mult[(q, u, w)] = Fraction(1, m + 1)
    V = ds.vocab.n_tokens
    A = np.zeros((V, V))
    for (i, q), v in coords.items():
        A[i, q] = float(v)
    E = ds.vocab.E
    norm_sq = sum((Fraction(len(N), len(N) + 1) for _, N in stars.values()), Fraction(0))
    return StarSolution(stars, coords, mult, norm_sq, A, E @ A @ E.T)

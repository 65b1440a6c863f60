"""Random realizable sample sets that are not prefix-closed (Assumptions 1-3 only; Sections 5-6).

The statements of Sections 5-6 are phrased over any set of distinct sentences,
so these sets serve for scale and for counterexample searches. The
distribution and the proof of Assumptions 1-3 are in ``docs/structure.md``
("The sample-set generator"). Re-exported by :mod:`reference.structure.generate`.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ..data.dataset import Dataset
from ..errors import ConfigError
from .generator_args import check_rng, draw_vocabulary, integer_arg, rate_arg

__all__ = ["random_realizable_samples"]

#: Rounds of random drawing before the exhaustive enumeration fills any shortfall.
RANDOM_ROUNDS = 8
#: Random sentences drawn per batch: bounds the memory of a round (about 4 L_max floats per
#: sentence) for any N; rounds of at most this many draws use one batch.
DRAW_BATCH = 1 << 16


def _bounded_words(M, r, c, cache):
    """``w[j]`` for ``j <= M``: words of length ``j`` over ``r`` letters, each used at most ``c`` times."""
    w = cache.get((r, c))
    if w is None or len(w) <= M:
        M = max(M, 2 * (len(w) - 1) if w else 0)       # grow geometrically: O(r M^2) per cap overall
        w = [1] + [0] * M
        for _ in range(r):
            w = [sum(comb(j, i) * w[j - i] for i in range(min(c, j) + 1)) for j in range(M + 1)]
        cache[(r, c)] = w
    return w


def _space_size(V, L_max, r, n_optimal, n_self, stop=None):
    """Number of distinct samples the construction can produce (docs/structure.md, "Capacity").

    ``V`` one-token samples, plus for every length ``L = 2..L_max``: a *self* query
    (``q`` in ``O_q``; ``n_self`` of them) has the bodies of length ``m = L - 1`` over
    ``{q} u N_q`` in which each of the ``r = abs(N_q)`` other tokens occurs at most
    ``k + 1`` times, ``k`` the count of ``q`` in the body; a *pointer* query (the other
    ``V - n_self``) has, for each of its ``n_optimal`` optimal tokens ``x*``, the bodies
    over ``{x*} u N_q`` (``q`` in ``N_q``) with ``k >= 1`` copies of ``x*``, each other
    token at most ``k`` times and ``q`` at most ``k - 1`` times (it ends the sentence).
    Exact integers; the sum over ``L`` stops early once it exceeds ``stop``.
    """
    total, cache = V, {}
    for L in range(2, L_max + 1):
        m = L - 1
        s = sum(comb(m, k) * _bounded_words(m - k, r, k + 1, cache)[m - k] for k in range(m + 1))
        p = 0
        for k in range(1, m + 1 if V > n_self else 1):
            w = _bounded_words(m - k, r - 1, k, cache)
            p += comb(m, k) * sum(comb(m - k, i) * w[m - k - i] for i in range(min(k - 1, m - k) + 1))
        total += n_self * s + (V - n_self) * n_optimal * p
        if stop is not None and total > stop:
            break
    return total


def _fix_assumption3(body, xs, q):
    """Replace tokens by ``xs`` until it occurs at least as often as every other token (query included)."""
    counts = {}
    for t in body + [q]:
        counts[t] = counts.get(t, 0) + 1
    while True:                  # at most len(body) + 1 rounds: each turns one position into xs
        cs = counts.get(xs, 0)
        rival, rc = max(((t, c) for t, c in counts.items() if t != xs), key=lambda tc: tc[1], default=(None, 0))
        if cs >= max(rc, 1):
            return body
        k = next((k for k, t in enumerate(body) if t == rival), None)
        if k is None:
            k = next(k for k, t in enumerate(body) if t != xs)
        counts[body[k]] -= 1
        body[k] = xs
        counts[xs] = cs + 1


def _first_sample(tops, pools, L_max, rng):
    """A sentence of length ``L_max`` and its optimal token, with two distinct tokens if possible.

    Query ``q`` with ``x* != q``: ``x* ... x* q``; with ``x* = q`` and a non-optimal ``b``:
    ``b q ... q``. Either satisfies Assumption 3 and has a non-optimal position, so
    ``W*_kq != 0``. Otherwise (every query is its own only token): ``q ... q``.
    """
    V = len(tops)
    good = [q for q in range(V) if tops[q] != [q] or any(t != q for t in pools[q])]
    if not good:
        q = int(rng.integers(V))
        return (q,) * L_max, q
    q = good[int(rng.integers(len(good)))]
    if tops[q] != [q]:
        xs = tops[q][int(rng.integers(len(tops[q])))]
        return (xs,) * (L_max - 1) + (q,), xs
    others = [t for t in pools[q] if t != q]
    return (others[int(rng.integers(len(others)))],) + (q,) * (L_max - 1), q


def _bodies(xs, q, pool, L):
    """Every valid body of length ``L - 1`` (depth first; every visited branch ends in a valid leaf)."""
    counts, body, extra = {t: 0 for t in pool}, [], {q: 1}

    def completable(r):
        top = counts[xs] + r + (q == xs)
        return top >= 1 and all(counts[t] + extra.get(t, 0) <= top for t in pool if t != xs)

    def rec(r):
        if r == 0:
            yield tuple(body)
            return
        for t in pool:
            counts[t] += 1
            body.append(t)
            if completable(r - 1):
                yield from rec(r - 1)
            body.pop()
            counts[t] -= 1
    if completable(L - 1):
        yield from rec(L - 1)


def _fill(samples, N, tops, pools, n, L_max, rng):
    """Add enumerated valid samples (queries in random order, then ``x*``, then ``L``) until ``N``."""
    for q in rng.permutation(len(tops)).tolist():
        for xs in tops[q]:
            pool = sorted({xs, *pools[q]})
            for L in range(2, L_max + 1):
                for body in _bodies(xs, q, pool, L):
                    samples.setdefault(body + (q,), int(n[xs]))
                    if len(samples) == N:
                        return
    raise AssertionError(f"the sample space has {len(samples)} < N = {N} sentences after the size check")


def random_realizable_samples(n_tokens: int, *, N: int | None = None, L_max: int = 6, n_ordered: int | None = None,
                              n_optimal: int | None = None, repeat: float = 0.2, max_count: int = 1,
                              d: int | None = None, rng: np.random.Generator) -> Dataset:
    """A random sample set satisfying Assumptions 1-3, not prefix-closed (Sections 5-6 cover it).

    Distribution (docs/structure.md, "The sample-set generator"): ``n`` is a uniform
    random permutation and every one-token sample ``[x] -> n(x)`` is included.
    Each query ``q`` gets ``n_ordered`` random tokens including ``q``, split into
    an optimal tier ``O_q`` (``n_optimal`` of them) and a non-optimal tier
    ``N_q``. A longer sample: ``q`` uniform, length uniform in ``[2, L_max]``,
    optimal token ``x*`` (``q`` itself if ``q in O_q``, else uniform in ``O_q``),
    the other positions drawn left to right (with probability ``repeat`` a copy
    of an earlier position, else uniform over ``{x*} u N_q``), then tokens are
    replaced by ``x*`` until Assumption 3 holds; the query ends the sentence and
    the next token is ``n(x*)``. Duplicates are redrawn for 8 rounds; any
    shortfall is filled by exhaustive enumeration (queries in random order).
    Before any drawing, ``N`` is compared with the exact number of valid
    sentences of the drawn tiers (at least ``n_tokens * L_max``), so an
    impossible ``N`` is refused at once and the enumeration always reaches ``N``.
    The first longer sample is fixed-shape, of length
    ``L_max`` and, whenever the tiers allow it, with two distinct tokens
    (``x* .. x* q`` or ``b q .. q``), so ``W*_kq != 0`` and stage 2 is well defined.
    Serves the statements of Sections 5-6, which hold for any set of distinct
    sentences satisfying Assumptions 1-3.

    Parameters
    ----------
    n_tokens : int >= 1
    N : int, optional
        Distinct samples including the ``n_tokens`` one-token ones; default ``n_tokens * L_max``.
    L_max : int >= 1
    n_ordered : int in [1, n_tokens], optional
        Tokens that occur with each query (``abs(O_q) + abs(N_q)``); default ``min(n_tokens, 6)``.
    n_optimal : int in [1, n_ordered], optional
        ``abs(O_q)``; default ``min(2, n_ordered - 1)`` (at least 1). With
        ``n_optimal < n_ordered`` every query admits sentences with two distinct tokens.
    repeat : float in [0, 1)
        Probability that a position copies an earlier one.
    max_count : int >= 1
        Each sample's count (hence ``pi``) is uniform in ``[1, max_count]``.
    d : int >= n_tokens, optional
    rng : numpy.random.Generator

    Returns
    -------
    Dataset
        ``ds.N == N`` distinct samples, ``ds.L_max == L_max``.

    Raises
    ------
    ConfigError
        A parameter out of range, naming it; ``N`` above the number of valid sentences
        of the drawn tiers (the message gives that number).
    """
    check_rng(rng)
    V = integer_arg("n_tokens", n_tokens, 1)
    L_max = integer_arg("L_max", L_max, 1)
    if N is None:
        N = V * L_max
    N = integer_arg("N", N, V + (L_max > 1), V if L_max == 1 else None,
                 why=f": the {V} one-token samples are always included"
                     + (" and L_max = 1 allows no other" if L_max == 1 else ", plus one of length L_max"))
    n_ordered = integer_arg("n_ordered", min(V, 6) if n_ordered is None else n_ordered, 1, V)
    n_optimal = integer_arg("n_optimal", max(1, min(2, n_ordered - 1)) if n_optimal is None else n_optimal,
                         1, n_ordered)
    repeat = rate_arg("repeat", repeat, hi_open=True)
    max_count = integer_arg("max_count", max_count, 1)
    vocab = draw_vocabulary(V, d, rng)
    n = rng.permutation(V)
    tops, pools = [], []
    for q in range(V):
        chosen = [int(t) for t in rng.permutation(V)[:n_ordered]]
        if q not in chosen:
            chosen[int(rng.integers(n_ordered))] = q
        O = chosen[:n_optimal]
        tops.append([q] if q in O else O)
        pools.append(chosen[n_optimal:])
    n_self = sum(O == [q] for q, O in enumerate(tops))            # queries in their own O_q
    size = _space_size(V, L_max, n_ordered - n_optimal, n_optimal, n_self, stop=N)
    if N > size:
        raise ConfigError(f"N = {N} is too large: with n_tokens = {V}, L_max = {L_max}, n_ordered = "
                          f"{n_ordered} and n_optimal = {n_optimal} the drawn tiers ({n_self} of the {V} "
                          f"queries are their own optimal token) admit only {size} distinct samples "
                          f"(always at least n_tokens * L_max = {V * L_max})")
    samples = {(x,): int(n[x]) for x in range(V)}
    for _ in range(RANDOM_ROUNDS):
        need = N - len(samples)
        k = need + need // 4 + 8
        while need and k > 0:
            b = min(k, DRAW_BATCH)
            k -= b
            qs, Ls = rng.integers(V, size=b), rng.integers(2, L_max + 1, size=b)
            u = rng.random((b, 4, max(L_max, 1)))
            for i in range(b):
                q, L, uu = int(qs[i]), int(Ls[i]), u[i]
                xs = tops[q][int(uu[3, 0] * len(tops[q]))]
                pool = [xs] + [t for t in pools[q] if t != xs]
                if len(samples) == V:
                    key, xs = _first_sample(tops, pools, L_max, rng)
                else:
                    body: list[int] = []
                    for j in range(L - 1):
                        body.append(body[int(uu[1, j] * j)] if j and uu[0, j] < repeat
                                    else pool[int(uu[2, j] * len(pool))])
                    key = tuple(_fix_assumption3(body, xs, q)) + (q,)
                if key not in samples:
                    samples[key] = int(n[xs])
                    need -= 1
                    if need == 0:
                        break
    if len(samples) < N:
        _fill(samples, N, tops, pools, n, L_max, rng)
    keys = list(samples)
    counts = rng.integers(1, max_count + 1, size=len(keys))
    return Dataset(vocab, keys, [samples[k] for k in keys], counts,
                   [f"sample {i}" for i in range(len(keys))])

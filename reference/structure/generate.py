"""Example 1 and random datasets that satisfy Assumptions 1-3 by construction (Sections 4.1, 7).

* :func:`example1`: the corpus {SVOP, VOP, OPP, PSV} of Figure 1, shipped as
  ``reference/data/example1.txt``.
* :func:`random_realizable`: prefix-closed corpora (``D_0`` as the paper builds it).
* :func:`random_realizable_samples` (in :mod:`reference.structure.generate_samples`):
  sample sets that are *not* prefix-closed (Assumptions 1-3
  only), for scale and counterexample searches.

Both take ``rng`` (a ``numpy.random.Generator``), run in time bounded by the
requested sizes for every accepted parameter, and raise :class:`ConfigError`
naming the parameter for impossible requests. ``docs/structure.md`` describes
the distributions and proves Assumptions 1-3 for every output.
"""

from __future__ import annotations

import contextlib
import pathlib
from importlib import resources

import numpy as np

from ..data.dataset import Dataset
from .generator_args import check_rng, draw_vocabulary, integer_arg, rate_arg

__all__ = ["example1", "random_realizable", "example1_path"]


def example1_path() -> contextlib.AbstractContextManager[pathlib.Path]:
    """The shipped Example 1 corpus (Figure 1), ``reference/data/example1.txt``, as a file path.

    Returns
    -------
    context manager
        ``with example1_path() as path:`` gives a ``pathlib.Path`` to the corpus
        file (a temporary copy when the package is zipped).
    """
    return resources.as_file(resources.files("reference") / "data" / "example1.txt")


def example1() -> Dataset:
    """Example 1 (Figure 1): tokens S, V, O, P and the prefix closure of {SVOP, VOP, OPP, PSV}.

    Its collocation (S->V, V->O, O->P, P->S) and five order relations are the
    paper's (docs/structure.md works them by hand); Example 2 trains on it.

    Returns
    -------
    Dataset
        ``N = 9``, ``L_max = 3``, identity embeddings (``d = abs(V) = 4``).

    Raises
    ------
    CorpusError
        Only if the shipped file is missing or damaged.
    """
    with example1_path() as path:
        return Dataset.from_corpus(path)


def _collocation(V, cycle_length, rng):
    """A random permutation ``n``: uniform, or with all cycles of length ``cycle_length`` (last: the rest)."""
    if cycle_length is None:
        return rng.permutation(V)
    order, n = rng.permutation(V), np.empty(V, dtype=np.intp)
    for start in range(0, V, cycle_length):
        block = order[start:start + cycle_length]
        n[block] = np.roll(block, -1)
    return n


def _simulate(n, cands, L_max, order):
    """Grow one chain per start token, one position at a time, accepting a step only if it keeps
    Assumptions 1(ii) and 3 (invariant ``Top_q`` disjoint from ``Bot_q``; see docs/structure.md).

    Returns the chains (token lists) and ``m[x]``, the number of accepted samples of chain ``x``.
    """
    V = len(n)
    top, bot = [set() for _ in range(V)], [set() for _ in range(V)]
    chains = [[x] for x in range(V)]
    counts = [{x: 1} for x in range(V)]
    maxc, m = [1] * V, [0] * V
    active = [int(x) for x in order]
    for l in range(1, L_max + 1):
        still = []
        for x in active:
            c, q = counts[x], chains[x][-1]
            if len(c) == 1:
                xs = q                                   # one distinct token: no pair, always fine
            else:
                xs = q if cands[q] is None else next((t for t in cands[q] if t in c), None)
                if (xs is None or c[xs] != maxc[x] or xs in bot[q]
                        or any(t != xs and t in c for t in top[q])):
                    continue                             # the chain ends: its last token is q
                top[q].add(xs)
                bot[q].update(t for t in c if t != xs)
            y = int(n[xs])
            chains[x].append(y)
            c[y] = c.get(y, 0) + 1
            maxc[x] = max(maxc[x], c[y])
            m[x] = l
            still.append(x)
        active = still
    return chains, np.array(m, dtype=np.intp)


def random_realizable(n_tokens: int, *, L_max: int = 8, N: int | None = None, p_pointer: float = 0.3,
                      n_optimal: int = 2, cycle_length: int | None = None, extra_lines: int = 0,
                      d: int | None = None, rng: np.random.Generator) -> Dataset:
    """A random prefix-closed ``D_0`` satisfying Assumptions 1-3 by construction.

    Distribution (docs/structure.md, "The prefix-closed generator"): ``n`` is a
    uniform random permutation (or one with cycles of length ``cycle_length``).
    Each query is, independently with probability ``p_pointer``, a *pointer*
    query whose optimal token is the highest-ranked present token of a random
    ranked list of ``min(n_optimal, k)`` distinct tokens among its ``k`` nearest
    predecessors along ``n`` (``k = min(L_max, c) - 1``, ``c`` its cycle length);
    every other query is its own optimal token. (A drawn identity ``n`` orders
    nothing; unless ``cycle_length = 1`` asks for it, it is replaced by a random
    transposition.) One corpus line starts at every token and follows the rule
    ``x_{l+1} = n(x*)`` while Assumptions 1(ii) and 3 stay intact (a greedy check
    over all lines, shortest prefixes first). If the lines cannot reach the
    requested ``N``, or no line with two distinct first tokens reaches ``L_max``,
    a random half of the pointer queries is made self queries and the lines are
    regrown (with none left every line reaches ``L_max``). Finally line lengths
    are drawn: one such line gets ``L_max`` samples, the remaining samples are
    spread uniformly over the free positions of all lines. Serves Assumptions
    1-3 and the paper's experiment (Section 7: a random realizable ``D_0``).

    Parameters
    ----------
    n_tokens : int >= 1
        ``abs(V)``; tokens are named ``t0, t1, ...``.
    L_max : int >= 1
        Longest sentence of ``D_0``; exactly attained.
    N : int, optional
        Number of distinct sentences, ``n_tokens + L_max - 1 <= N <= n_tokens * L_max``
        (prefix-closed realizable data has ``N <= abs(V) L_max``). Default: every
        line as long as the rule allows.
    p_pointer : float in [0, 1]
        Share of queries whose optimal token is not the query itself.
    n_optimal : int >= 1
        Length of each pointer query's ranked candidate list.
    cycle_length : int in [1, n_tokens], optional
        Cycle length of ``n``; lines longer than it repeat tokens, so smaller
        values mean more repetition. Default: uniform permutation.
    extra_lines : int >= 0
        Extra corpus lines, each a random truncation of a line, which raise the
        counts (``pi``) of short prefixes as in a natural corpus.
    d : int >= n_tokens, optional
        Embedding dimension; default ``d = abs(V)`` with ``E = I``, else random orthonormal.
    rng : numpy.random.Generator

    Returns
    -------
    Dataset
        Prefix-closed; ``ds.N == N`` and ``ds.L_max == L_max``. Unless ``n_tokens = 1``,
        ``L_max = 1`` or ``cycle_length = 1``, some sample has a non-optimal position
        (so ``W*_kq != 0`` and stage 2 is well defined).

    Raises
    ------
    ConfigError
        A parameter out of range, naming it.
    """
    check_rng(rng)
    V = integer_arg("n_tokens", n_tokens, 1)
    L_max = integer_arg("L_max", L_max, 1)
    if N is not None:
        N = integer_arg("N", N, V + L_max - 1, V * L_max,
                     why=f" for n_tokens = {V}, L_max = {L_max}: prefix-closed realizable data has one line "
                         "per start token, at most L_max samples each, and one line of exactly L_max")
    p_pointer = rate_arg("p_pointer", p_pointer)
    n_optimal = integer_arg("n_optimal", n_optimal, 1)
    if cycle_length is not None:
        cycle_length = integer_arg("cycle_length", cycle_length, 1, V)
    extra_lines = integer_arg("extra_lines", extra_lines, 0)
    vocab = draw_vocabulary(V, d, rng)
    n = _collocation(V, cycle_length, rng)
    if cycle_length is None and V >= 2 and np.all(n == np.arange(V)):
        i, j = rng.choice(V, size=2, replace=False)     # n = identity would give no ordered pair at all
        n[[i, j]] = n[[j, i]]
    moving = n != np.arange(V)                          # lines whose first two tokens differ
    need_moving = L_max >= 2 and bool(moving.any())
    inv = np.argsort(n)
    pointer = rng.random(V) < p_pointer
    cand_lists = []
    for q in range(V):
        preds: list[int] = []
        p = int(inv[q])
        while p != q and len(preds) < L_max - 1:
            preds.append(p)
            p = int(inv[p])
        k = min(n_optimal, len(preds))
        cand_lists.append([preds[i] for i in rng.choice(len(preds), size=k, replace=False)] if k else [])
    order = rng.permutation(V)
    need = V + L_max - 1 if N is None else N
    while True:      # at most ceil(log2(P + 1)) + 1 passes for P pointer queries (docs/structure.md)
        chains, m = _simulate(n, [c if p else None for c, p in zip(cand_lists, pointer)], L_max, order)
        full = m == L_max
        if full.any() and m.sum() >= need and (not need_moving or (full & moving).any()):
            break
        idx = np.flatnonzero(pointer)
        assert idx.size, "with only self queries every line reaches L_max"
        pointer[rng.choice(idx, size=(idx.size + 1) // 2, replace=False)] = False
    if N is None:
        ell = m
    else:
        ell = np.ones(V, dtype=np.intp)
        star = int(rng.choice(np.flatnonzero(full & moving if need_moving else full)))
        ell[star] = L_max
        cap = m - ell
        slots = np.repeat(np.arange(V), cap)
        ell += np.bincount(slots[rng.choice(slots.size, size=N - int(ell.sum()), replace=False)],
                           minlength=V).astype(np.intp)
    counts = [np.ones(int(e), dtype=np.int64) for e in ell]
    for _ in range(extra_lines):
        x = int(rng.integers(V))
        counts[x][:int(rng.integers(1, ell[x] + 1))] += 1
    sentences, y, cnt, origins = [], [], [], []
    for x in range(V):
        ch = chains[x]
        for l in range(1, int(ell[x]) + 1):
            sentences.append(ch[:l])
            y.append(ch[l])
            origins.append(f"line {x} (start {vocab.tokens[x]}, prefix of length {l})")
        cnt.append(counts[x])
    return Dataset(vocab, sentences, y, np.concatenate(cnt), origins)

"""Generators: Example 1, prefix-closed and sample-set realizable data, checked by brute force.

Every generated dataset is checked against the paper's definitions written out
here by loops (independent of reference.structure / reference.structure.assumptions),
and against check_assumptions.
"""

import math
import re
import time
from collections import Counter
from itertools import product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import realizable_datasets

from reference import Dataset
from reference.errors import ConfigError
from reference.structure import generate
from reference.structure.assumptions import check_assumptions
from reference.structure.generate import example1, random_realizable
from reference.structure.generate_samples import _space_size, random_realizable_samples
from reference.structure.orders import collocation, query_orders
from reference.structure.regeneration import regenerate

#: Wall-clock budgets for the scale tests. Measured at about 0.2 s on one core; ten times that
#: leaves room for a loaded shared machine while still catching an accidental quadratic loop.
SCALE_SECONDS = 3.0


def brute_realizable(ds):
    """Assumptions 1 and 3 straight from the definitions; returns the list of what fails."""
    fails = []
    n = {}
    for s, y in zip(ds.sentences, ds.y):
        if len(s) == 1:
            n[int(s[0])] = int(y)
    if sorted(n) != list(range(ds.vocab.n_tokens)) or len(set(n.values())) != len(n):
        return ["collocation"]
    above, below = set(), set()                 # (q, x): x has something above / below under q
    for s, y in zip(ds.sentences, ds.y):
        q, cnt = int(s[-1]), Counter(int(x) for x in s)
        opt = [x for x in cnt if n[x] == y]
        if len(opt) != 1:
            fails.append("no optimal token")
            continue
        for x in cnt:
            if x != opt[0]:
                above.add((q, x))
                below.add((q, opt[0]))
                if cnt[x] > cnt[opt[0]]:
                    fails.append("assumption 3")
    if above & below:
        fails.append("confused")
    return fails


def brute_prefix_closed(ds):
    nxt = {tuple(s.tolist()): int(y) for s, y in zip(ds.sentences, ds.y)}
    return all(len(k) == 1 or nxt.get(k[:-1]) == k[-1] for k in nxt)


# ------------------------------------------------------------------ Example 1
def test_example1_is_the_papers_corpus():
    ds = example1()
    ref = Dataset.from_corpus(["S V O P", "V O P", "O P P", "P S V"])
    assert ds.vocab == ref.vocab and ds.N == ref.N == 9
    assert [s.tolist() for s in ds.sentences] == [s.tolist() for s in ref.sentences]
    assert np.array_equal(ds.y, ref.y) and np.array_equal(ds.counts, ref.counts)
    assert "example1.txt" in ds.origins[0]


# ------------------------------------------------------------------ every generated dataset is realizable
@settings(max_examples=60)
@given(realizable_datasets(allow_degenerate=True))
def test_generated_datasets_satisfy_assumptions_by_brute_force(ds):
    assert brute_realizable(ds) == []
    r = check_assumptions(ds)
    assert r.ok and r.prefix_closed == brute_prefix_closed(ds)
    assert np.array_equal(regenerate(ds), ds.y)


@pytest.mark.parametrize("V,L_max,N", [(2, 3, 4), (4, 7, 20), (20, 10, 150), (20, 5, 100), (60, 12, 500)])
@pytest.mark.parametrize("seed", range(6))
def test_random_realizable_sizes_prefix_closure_and_assumptions(V, L_max, N, seed):
    ds = random_realizable(V, L_max=L_max, N=N, rng=np.random.default_rng(seed))
    assert (ds.N, ds.L_max, ds.vocab.n_tokens) == (N, L_max, V)
    assert brute_prefix_closed(ds) and brute_realizable(ds) == []
    assert np.all(ds.counts == 1)                          # one corpus line per start token
    assert sorted({int(s[0]) for s in ds.sentences}) == list(range(V))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("kw", [dict(n_tokens=20, N=200), dict(n_tokens=9, L_max=3, n_ordered=9, n_optimal=4),
                                dict(n_tokens=5, L_max=8, repeat=0.9, max_count=4),
                                dict(n_tokens=30, N=400, L_max=9, n_ordered=3, n_optimal=1)])
def test_random_realizable_samples_sizes_and_assumptions(kw, seed):
    ds = random_realizable_samples(rng=np.random.default_rng(seed), **kw)
    assert ds.N == kw.get("N", kw["n_tokens"] * kw.get("L_max", 6))
    assert ds.L_max == kw.get("L_max", 6) and ds.vocab.n_tokens == kw["n_tokens"]
    assert brute_realizable(ds) == []
    assert 1 <= ds.counts.min() and ds.counts.max() <= kw.get("max_count", 1)


def test_paper_scale_default():
    ds = random_realizable(20, rng=np.random.default_rng(0))      # the call experiments/figure2 makes
    assert ds.vocab.n_tokens == ds.vocab.d == 20 and ds.L_max == 8 and check_assumptions(ds).ok


def test_scale_prefix_closed():
    t0 = time.perf_counter()
    ds = random_realizable(256, L_max=40, N=5000, rng=np.random.default_rng(1))
    assert time.perf_counter() - t0 < SCALE_SECONDS
    assert (ds.N, ds.L_max) == (5000, 40) and check_assumptions(ds).ok


def test_scale_sample_sets():
    t0 = time.perf_counter()
    ds = random_realizable_samples(256, N=10000, L_max=12, rng=np.random.default_rng(2))
    assert time.perf_counter() - t0 < SCALE_SECONDS
    assert (ds.N, ds.L_max) == (10000, 12) and check_assumptions(ds).ok


# ------------------------------------------------------------------ what the parameters mean
@pytest.mark.parametrize("seed", range(5))
def test_no_pointer_queries_give_markov_lines_on_cycles_of_the_given_length(seed):
    V, c = 11, 4
    ds = random_realizable(V, L_max=9, N=V * 9, p_pointer=0.0, cycle_length=c, rng=np.random.default_rng(seed))
    In = collocation(ds)
    lengths = []
    for x in range(V):                                     # cycle lengths of n
        k, y = 1, In[x]
        while y != x:
            k, y = k + 1, In[y]
        lengths.append(k)
    assert Counter(lengths) == Counter({c: 8, V - 8: V - 8})
    for s, y in zip(ds.sentences, ds.y):                   # x_{l+1} = n(x_l): every query is its own optimum
        assert y == In[s[-1]] and all(In[a] == b for a, b in zip(s[:-1], s[1:]))
    for q, o in query_orders(ds).items():
        assert set(o.optimal) <= {q}


@pytest.mark.parametrize("seed", range(4))
def test_extra_lines_count_prefixes(seed):
    ds = random_realizable(7, L_max=5, N=25, extra_lines=30, rng=np.random.default_rng(seed))
    assert int(ds.counts.sum()) > ds.N
    idx = {tuple(s.tolist()): n for n, s in enumerate(ds.sentences)}
    for k, n in idx.items():                               # a line through a prefix passes its prefixes
        if len(k) > 1:
            assert ds.counts[idx[k[:-1]]] >= ds.counts[n]


def test_full_N_means_every_line_has_L_max_samples():
    V, L = 6, 5
    ds = random_realizable(V, L_max=L, N=V * L, p_pointer=1.0, rng=np.random.default_rng(3))
    assert Counter(len(s) for s in ds.sentences) == {l: V for l in range(1, L + 1)}


def test_exhausting_the_sample_space():
    # n_ordered = 1: a query q only ever sees q, so the samples are q^L, L = 1..L_max: V * L_max of them
    ds = random_realizable_samples(3, N=12, L_max=4, n_ordered=1, rng=np.random.default_rng(0))
    assert sorted(tuple(s.tolist()) for s in ds.sentences) == sorted((q,) * L for q in range(3) for L in range(1, 5))
    with pytest.raises(ConfigError, match="N = 13"):
        random_realizable_samples(3, N=13, L_max=4, n_ordered=1, rng=np.random.default_rng(0))


def test_embeddings_and_determinism():
    a = random_realizable(5, L_max=4, d=9, rng=np.random.default_rng(7))
    b = random_realizable(5, L_max=4, d=9, rng=np.random.default_rng(7))
    assert a.vocab.E.shape == (9, 5) and a.vocab.orthonormal and a.vocab == b.vocab
    assert [s.tolist() for s in a.sentences] == [s.tolist() for s in b.sentences]
    c = random_realizable_samples(5, d=8, rng=np.random.default_rng(7))
    assert c.vocab.E.shape == (8, 5) and c.vocab.orthonormal


@pytest.mark.parametrize("fn,kw,name", [
    (random_realizable, dict(n_tokens=0), "n_tokens"),
    (random_realizable, dict(n_tokens=4, L_max=0), "L_max"),
    (random_realizable, dict(n_tokens=4, L_max=3, N=21), "N"),            # > abs(V) L_max = 12
    (random_realizable, dict(n_tokens=4, L_max=3, N=5), "N"),             # < abs(V) + L_max - 1 = 6
    (random_realizable, dict(n_tokens=4, p_pointer=1.5), "p_pointer"),
    (random_realizable, dict(n_tokens=4, n_optimal=0), "n_optimal"),
    (random_realizable, dict(n_tokens=4, cycle_length=5), "cycle_length"),
    (random_realizable, dict(n_tokens=4, extra_lines=-1), "extra_lines"),
    (random_realizable, dict(n_tokens=4, d=3), "d"),
    (random_realizable, dict(n_tokens=2.5), "n_tokens"),
    (random_realizable_samples, dict(n_tokens=4, N=3), "N"),
    (random_realizable_samples, dict(n_tokens=4, L_max=1, N=5), "N"),
    (random_realizable_samples, dict(n_tokens=4, n_ordered=5), "n_ordered"),
    (random_realizable_samples, dict(n_tokens=4, n_ordered=2, n_optimal=3), "n_optimal"),
    (random_realizable_samples, dict(n_tokens=4, repeat=1.0), "repeat"),
    (random_realizable_samples, dict(n_tokens=4, max_count=0), "max_count"),
])
def test_impossible_requests_name_the_parameter(fn, kw, name):
    with pytest.raises(ConfigError, match=rf"^{name}\b"):
        fn(rng=np.random.default_rng(0), **kw)


@pytest.mark.parametrize("fn", [random_realizable, random_realizable_samples])
def test_rng_must_be_a_generator(fn):
    with pytest.raises(ConfigError, match="rng"):
        fn(4, rng=0)


@settings(max_examples=30)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_every_accepted_N_is_reached(V, L_max, data):
    N = data.draw(st.integers(V + L_max - 1, V * L_max))
    seed = data.draw(st.integers(0, 2**32 - 1))
    ds = random_realizable(V, L_max=L_max, N=N, p_pointer=data.draw(st.sampled_from((0.0, 0.5, 1.0))),
                           rng=np.random.default_rng(seed))
    assert (ds.N, ds.L_max) == (N, L_max) and brute_realizable(ds) == []


def has_non_optimal_position(ds):
    """Some sample holds a token x with n(x) != next token (so Eq. (3) has a constraint)."""
    n = {int(s[0]): int(y) for s, y in zip(ds.sentences, ds.y) if len(s) == 1}
    return any(n[int(x)] != y for s, y in zip(ds.sentences, ds.y) for x in s)


@settings(max_examples=40)
@given(st.integers(2, 5), st.integers(2, 5), st.data())
def test_generated_data_always_orders_something(V, L_max, data):
    seed = data.draw(st.integers(0, 2**32 - 1))
    N = data.draw(st.sampled_from((None, V + L_max - 1)))        # the smallest N is the hardest case
    ds = random_realizable(V, L_max=L_max, N=N, p_pointer=data.draw(st.sampled_from((0.0, 1.0))),
                           rng=np.random.default_rng(seed))
    assert has_non_optimal_position(ds)
    ds = random_realizable_samples(V, L_max=L_max, N=V + 1, n_ordered=data.draw(st.integers(2, V)),
                                   rng=np.random.default_rng(seed))
    assert has_non_optimal_position(ds)


def test_identity_collocation_only_on_request():
    ds = random_realizable(3, L_max=3, cycle_length=1, rng=np.random.default_rng(0))
    assert np.array_equal(collocation(ds), np.arange(3)) and not has_non_optimal_position(ds)


@given(realizable_datasets())
def test_strategy_datasets_order_something(ds):
    assert has_non_optimal_position(ds)


# ------------------------------------------------------------------ bounded time, impossible requests refused
def brute_space_size(V, L_max, r, n_optimal, n_self):
    """Count the sample space by listing every word: for a self query the letters are q = 0 and
    N_q = 1..r; for a pointer query x* = 0, q = 1 in N_q, and N_q = 1..r. A sentence (body + q) is
    valid iff x* occurs and no token occurs more often than x* (Assumption 3)."""
    total = V
    for L in range(2, L_max + 1):
        for query, n_queries in ((0, n_self), (1, (V - n_self) * n_optimal)):
            if n_queries == 0:
                continue
            for body in product(range(r + 1), repeat=L - 1):
                c = Counter(body + (query,))
                if c[0] >= 1 and all(c[t] <= c[0] for t in c):
                    total += n_queries
    return total


@pytest.mark.parametrize("V", [1, 2, 3])
@pytest.mark.parametrize("L_max", [1, 2, 3, 5])
@pytest.mark.parametrize("r", [0, 1, 2, 3])
def test_sample_space_size_equals_brute_force(V, L_max, r):
    for n_optimal in (1, 2):
        for n_self in range(V + 1) if r else (V,):     # r = 0 means every q is in its own O_q
            assert _space_size(V, L_max, r, n_optimal, n_self) == brute_space_size(V, L_max, r, n_optimal, n_self)


def _reported_size(**kw):
    with pytest.raises(ConfigError, match=r"^N = ") as err:
        random_realizable_samples(N=10**30, **kw)
    return int(re.search(r"admit only (\d+) distinct samples", str(err.value)).group(1))


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kw", [dict(n_tokens=3, L_max=4, n_ordered=3, n_optimal=2),
                                dict(n_tokens=4, L_max=3, n_ordered=2, n_optimal=1),
                                dict(n_tokens=2, L_max=5, n_ordered=2, n_optimal=1, repeat=0.5)])
def test_sample_sets_reach_the_reported_size_and_refuse_one_more(kw, seed):
    size = _reported_size(rng=np.random.default_rng(seed), **kw)
    assert size >= kw["n_tokens"] * kw["L_max"]
    ds = random_realizable_samples(N=size, rng=np.random.default_rng(seed), **kw)
    assert ds.N == size and brute_realizable(ds) == []
    with pytest.raises(ConfigError, match=rf"^N = {size + 1} is too large"):
        random_realizable_samples(N=size + 1, rng=np.random.default_rng(seed), **kw)


def test_astronomical_N_is_refused_at_once():
    t0 = time.perf_counter()
    for kw in (dict(n_tokens=3, L_max=4, n_ordered=1), dict(n_tokens=256, L_max=12, n_ordered=40)):
        with pytest.raises(ConfigError, match=r"^N = "):
            random_realizable_samples(N=10**300, rng=np.random.default_rng(0), **kw)
    with pytest.raises(ConfigError, match=r"^N = "):
        random_realizable(3, L_max=4, N=10**12, rng=np.random.default_rng(0))
    assert time.perf_counter() - t0 < SCALE_SECONDS


@settings(max_examples=25)
@given(st.integers(1, 12), st.integers(1, 8), st.integers(1, 4), st.data())
def test_pointer_passes_are_bounded(V, L_max, n_optimal, data):
    """Step 4 of the generator: at most ceil(log2(P + 1)) + 1 passes for P <= abs(V) pointer queries."""
    calls = []
    real = generate._simulate

    def counting(*a):
        calls.append(sum(c is not None for c in a[1]))    # the number P of pointer queries of this pass
        return real(*a)
    N = data.draw(st.sampled_from((None, V + L_max - 1, V * L_max)))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(generate, "_simulate", counting)
        random_realizable(V, L_max=L_max, N=N, p_pointer=1.0, n_optimal=n_optimal,
                          rng=np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))))
    assert len(calls) <= math.ceil(math.log2(calls[0] + 1)) + 1
    assert all(b == a - (a + 1) // 2 for a, b in zip(calls, calls[1:]))   # each pass drops ceil(P/2)


@settings(max_examples=30)
@given(st.integers(2, 9), st.integers(2, 7), st.integers(1, 3), st.sampled_from((0.5, 1.0)), st.data())
def test_pointer_queries_point_to_near_predecessors(V, L_max, n_optimal, p_pointer, data):
    """The documented support: under query q the optimal tokens are {q} (a self query) or at most
    n_optimal of the min(L_max, c) - 1 nearest predecessors of q along n (a pointer query)."""
    ds = random_realizable(V, L_max=L_max, p_pointer=p_pointer, n_optimal=n_optimal,
                           rng=np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))))
    In = collocation(ds)
    inv = np.argsort(In)
    for q, o in query_orders(ds).items():
        preds, p = [], int(inv[q])
        while p != q and len(preds) < L_max - 1:
            preds.append(p)
            p = int(inv[p])
        opt = set(o.optimal)
        assert opt <= {q} or (opt <= set(preds) and len(opt) <= n_optimal)

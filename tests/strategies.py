"""Hypothesis strategies shared by the test suite (valid by construction, not filtered).

Sections: core objects (vocabularies, sentences, weights) for the transformer,
loss and gradient tests; datasets (realizable, near-miss) for the structure
tests and every later property test.
"""

import numpy as np
from hypothesis import strategies as st

# ---------------------------------------------------------------- core (vocabulary, sentences, weights)
from reference.data.dataset import Dataset  # noqa: E402
from reference.data.vocabulary import Vocabulary  # noqa: E402

#: abs(V) and d are drawn from disjoint-ish size sets so a swapped axis cannot pass
#: (d = abs(V) only for the identity embedding, which the paper's experiment uses).
SIZES_V = (3, 5, 7)
SIZES_D = (5, 7, 11)
#: Longest sentence drawn by the core strategies.
MAX_LEN = 6
#: Entry scale of random weights: small, ordinary and moderately large logits.
WEIGHT_SCALES = (0.1, 1.0, 3.0)

seeds = st.integers(min_value=0, max_value=2**32 - 1)


def token_names(n_tokens):
    """``("t0", "t1", ...)``: token names for a vocabulary of size ``n_tokens``."""
    return tuple(f"t{i}" for i in range(n_tokens))


@st.composite
def vocabularies(draw, n_tokens=None, kind=None):
    """A Vocabulary: identity ``E`` (d = abs(V)) or random orthonormal ``E`` with d > abs(V)."""
    V = draw(st.sampled_from(SIZES_V)) if n_tokens is None else n_tokens
    kind = draw(st.sampled_from(("identity", "random"))) if kind is None else kind
    if kind == "identity":
        return Vocabulary(token_names(V))
    d = draw(st.sampled_from([d for d in SIZES_D if d > V] or [V + 4]))
    return Vocabulary.random_orthonormal(token_names(V), d, rng=np.random.default_rng(draw(seeds)))


@st.composite
def sentences(draw, n_tokens, min_len=1, max_len=MAX_LEN, avoid=()):
    """A sentence as an ``intp`` array of token indices, length in ``[min_len, max_len]``.

    ``avoid``: lengths not to draw (pass ``(abs(V), d)`` so that ``X`` (d x L) has an
    axis no other array shares); the allowed lengths are listed, not filtered.
    """
    allowed = [L for L in range(min_len, max_len + 1) if L not in set(avoid)] or [min_len]
    L = draw(st.sampled_from(allowed))
    idx = draw(st.lists(st.integers(0, n_tokens - 1), min_size=L, max_size=L))
    return np.array(idx, dtype=np.intp)


@st.composite
def weights(draw, vocab, scales=WEIGHT_SCALES):
    """``(W_ov, W_kq)`` of shapes (abs(V), d) and (d, d), Gaussian entries times a drawn scale."""
    rng = np.random.default_rng(draw(seeds))
    scale = draw(st.sampled_from(scales))
    return (scale * rng.standard_normal((vocab.n_tokens, vocab.d)),
            scale * rng.standard_normal((vocab.d, vocab.d)))


@st.composite
def small_datasets(draw, vocab=None, with_collocation=False, max_sentences=6, max_len=MAX_LEN):
    """A small random ``Dataset.from_samples`` (not realizable in general), counts 1-3.

    With ``with_collocation`` every one-token sample ``[x] -> pi(x)`` is present
    for a random permutation ``pi`` (so ``L_0`` is defined).
    """
    vocab = draw(vocabularies()) if vocab is None else vocab
    V, names = vocab.n_tokens, vocab.tokens
    k = draw(st.integers(1, max_sentences))
    rows = {}
    for _ in range(k):
        s = tuple(int(i) for i in draw(sentences(V, max_len=max_len)))
        if s not in rows:
            rows[s] = draw(st.integers(0, V - 1))
    if with_collocation:
        perm = draw(st.permutations(range(V)))
        for i in range(V):
            rows[(i,)] = perm[i]
    samples = []
    for s, y in rows.items():
        samples += [([names[i] for i in s], names[y])] * draw(st.integers(1, 3))
    return Dataset.from_samples(samples, vocab=vocab)


@st.composite
def corpora(draw, vocab, max_lines=5, max_len=MAX_LEN):
    """Corpus lines (token names, 2..max_len tokens) with no conflicting prefixes.

    The next token of every prefix is drawn once and reused, so lines that
    share a prefix continue it the same way (repeated prefixes get counted).
    """
    V, names = vocab.n_tokens, vocab.tokens
    nxt, lines = {}, []
    for _ in range(draw(st.integers(1, max_lines))):
        words = [draw(st.integers(0, min(V, 2) - 1))]          # few starts: shared prefixes
        for _ in range(draw(st.integers(2, max_len)) - 1):
            key = tuple(words)
            if key not in nxt:
                nxt[key] = draw(st.integers(0, V - 1))
            words.append(nxt[key])
        lines.append(" ".join(names[i] for i in words))
    return lines


# ---------------------------------------------------------------- datasets (realizable, near-miss)
from collections import namedtuple  # noqa: E402

from reference.data.dataset import Dataset  # noqa: E402,F811  (also imported above; this section stands alone)
from reference.data.vocabulary import Vocabulary  # noqa: E402,F811
from reference.structure.generate import random_realizable  # noqa: E402
from reference.structure.generate_samples import random_realizable_samples  # noqa: E402
from reference.structure.orders import collocation, query_orders  # noqa: E402

#: abs(V), L_max and the non-identity d come from disjoint sets, and N avoids all three,
#: so a test that swaps two axes cannot pass.
DATASET_SIZES_V = (3, 5, 7)
DATASET_SIZES_L = (2, 4, 6)
DATASET_D_EXTRA = 5            # d = abs(V) + 5 in {8, 10, 12} for random orthonormal E
_dataset_seeds = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def realizable_datasets(draw, prefix_closed=None, identity=None, allow_degenerate=False):
    """A dataset satisfying Assumptions 1-3, drawn from :mod:`reference.structure.generate`.

    ``prefix_closed``: True for :func:`random_realizable`, False for
    :func:`random_realizable_samples`, None to draw. ``identity``: force
    ``E = I`` (True) or a random orthonormal ``E`` with ``d > abs(V)`` (False).
    Unless ``allow_degenerate``, some sample has a non-optimal position, so
    ``W*_kq != 0`` and stage 2 of Algorithm 1 is well defined (the generators
    guarantee it except for ``cycle_length = 1`` and ``n_optimal = n_ordered``).
    """
    pc = draw(st.booleans()) if prefix_closed is None else prefix_closed
    V = draw(st.sampled_from(DATASET_SIZES_V))
    L_max = draw(st.sampled_from(DATASET_SIZES_L))
    ident = draw(st.booleans()) if identity is None else identity
    d = None if ident else V + DATASET_D_EXTRA
    rng = np.random.default_rng(draw(_dataset_seeds))
    lo, hi = (V + L_max - 1, V * L_max) if pc else (V + 1, V * L_max)
    N = draw(st.sampled_from([k for k in range(lo, hi + 1) if k not in (V, L_max, d)]))
    if pc:
        return random_realizable(
            V, L_max=L_max, N=N, p_pointer=draw(st.sampled_from((0.0, 0.3, 0.7, 1.0))),
            n_optimal=draw(st.integers(1, 3)),
            cycle_length=draw(st.one_of(st.none(), st.integers(1 if allow_degenerate else 2, V))),
            extra_lines=draw(st.integers(0, 3)), d=d, rng=rng)
    n_ordered = draw(st.integers(2, V))
    return random_realizable_samples(
        V, N=N, L_max=L_max, n_ordered=n_ordered,
        n_optimal=draw(st.integers(1, n_ordered if allow_degenerate else n_ordered - 1)),
        repeat=draw(st.sampled_from((0.0, 0.3, 0.8))), max_count=draw(st.integers(1, 3)), d=d, rng=rng)


#: A dataset that breaks exactly one assumption: ``assumption`` in {"1(i)", "1(ii)", "2", "3"},
#: ``kind`` says how, ``tokens`` are the names every message about it must mention.
NearMiss = namedtuple("NearMiss", "ds assumption kind tokens")
NEAR_MISS_KINDS = {"1(i)": ("missing", "not_injective"), "1(ii)": ("confused", "cycle"),
                   "2": ("orthonormal",), "3": ("outnumbered", "absent")}


def _rebuild(ds, extra_tokens=(), add=(), E=None):
    """``ds`` plus new tokens and new samples ``(index list, next index)``; identity E unless given."""
    tokens = list(ds.vocab.tokens) + list(extra_tokens)
    vocab = Vocabulary(tokens) if E is None else Vocabulary(tokens, E, allow_non_orthonormal=True)
    sents = [s.tolist() for s in ds.sentences] + [list(s) for s, _ in add]
    ys = ds.y.tolist() + [int(y) for _, y in add]
    counts = ds.counts.tolist() + [1] * len(add)
    origins = list(ds.origins) + [f"near-miss sample {k}" for k in range(len(add))]
    return Dataset(vocab, sents, ys, counts, origins)


def _a_pair(ds, In, orders, rng):
    """A query ``q`` and a pair ``a >_q b``, adding the sample ``[a, q] -> n(a)`` if there is none."""
    pairs = sorted((q, a, b) for q, o in orders.items() for a, b in o.pairs)
    if pairs:
        return pairs[int(rng.integers(len(pairs)))], ds
    q, a = (int(t) for t in rng.choice(ds.vocab.n_tokens, size=2, replace=False))
    # no pair at all: every sentence has one distinct token, so [a, q] is a new input
    ds = _rebuild(ds, add=[([a, q], In[a])])
    return (q, a, q), ds


@st.composite
def near_miss_datasets(draw, assumption=None):
    """A :class:`NearMiss`: a realizable dataset changed to violate exactly one assumption.

    1(i) ``missing``: a fresh token ``z`` without one-token sample, inserted as a
    non-optimal token into one sentence; ``not_injective``: a fresh ``z`` with
    ``[z] -> n(w)``, also inserted into a sentence whose next token is not ``n(w)``.
    1(ii) ``confused``: a sentence ``[c, a, q] -> n(c)`` with ``a`` optimal and ``c``
    non-comparable under ``q`` (a fresh ``c`` with ``n(c) = c`` if there is none), so
    ``a`` is confused and there is no cycle; ``cycle``: for a pair ``a >_q b``, a
    sentence where ``b`` (twice) beats ``a`` (once). 2: ``x_j = (e_i + e_j)/sqrt(2)``.
    3 ``outnumbered``: a copy of a sentence with one non-optimal token repeated once
    more than the optimal one; ``absent``: ``[q, ..., q] -> n(c)``, ``c != q``, which
    has no optimal token.
    """
    assumption = draw(st.sampled_from(sorted(NEAR_MISS_KINDS))) if assumption is None else assumption
    kind = draw(st.sampled_from(NEAR_MISS_KINDS[assumption]))
    ds = draw(realizable_datasets(identity=True, allow_degenerate=True))
    rng = np.random.default_rng(draw(_dataset_seeds))
    V, names = ds.vocab.n_tokens, ds.vocab.tokens
    In, orders = collocation(ds), query_orders(ds)
    longer = np.flatnonzero(ds.lengths >= 2).tolist()      # never empty: L_max >= 2
    pick = lambda seq: seq[int(rng.integers(len(seq)))]    # noqa: E731
    if kind == "missing":
        k = pick(longer)
        s = ds.sentences[k].tolist()
        pos = int(rng.integers(len(s)))                    # any place before the query
        return NearMiss(_rebuild(ds, ["z"], [(s[:pos] + [V] + s[pos:], ds.y[k])]), assumption, kind, ("z",))
    if kind == "not_injective":
        w = int(rng.integers(V))
        add = [([V], In[w])]
        other = [k for k in longer if ds.y[k] != In[w]]
        if other:
            k = pick(other)
            s = ds.sentences[k].tolist()
            add.append((s[:-1] + [V, s[-1]], ds.y[k]))
        return NearMiss(_rebuild(ds, ["z"], add), assumption, kind, ("z", names[w]))
    if kind == "confused":
        (q, a, _), ds = _a_pair(ds, In, orders, rng)
        o = query_orders(ds)[q]
        cs = [c for c in o.non_comparable if c != q]
        extra, c = ([], pick(cs)) if cs else (["c"], V)
        add = [([V], V)] if extra else []
        add.append(([c, a, q] if a != q else [c, q], c if extra else In[c]))
        return NearMiss(_rebuild(ds, extra, add), assumption, kind,
                        (names[a], "c" if extra else names[c]))
    if kind == "cycle":
        (q, a, b), ds = _a_pair(ds, In, orders, rng)
        s = [b, b, a] if q == a else [b, a, b] if q == b else [b, a, b, q]
        return NearMiss(_rebuild(ds, add=[(s, In[b])]), assumption, kind, (names[a], names[b]))
    if kind == "orthonormal":
        i, j = (int(t) for t in rng.choice(V, size=2, replace=False))
        E = np.eye(V)
        E[:, j] = (E[:, i] + E[:, j]) / np.sqrt(2.0)
        return NearMiss(_rebuild(ds, E=E), assumption, kind, (names[i], names[j]))
    multi = [k for k in longer if np.unique(ds.sentences[k]).size >= 2]
    if kind == "outnumbered" and multi:
        k = pick(multi)
        s = ds.sentences[k].tolist()
        opt = [x for x in s if In[x] == ds.y[k]]
        b = pick(sorted({x for x in s if In[x] != ds.y[k]}))
        body = s[:-1] + [b] * (len(opt) + 1 - s.count(b))
        return NearMiss(_rebuild(ds, add=[(body + [s[-1]], ds.y[k])]), assumption, kind, (names[b], names[opt[0]]))
    q = int(rng.integers(V))
    c = pick([x for x in range(V) if x != q])
    return NearMiss(_rebuild(ds, add=[([q] * (ds.L_max + 1), In[c])]), assumption, "absent", (names[q],))

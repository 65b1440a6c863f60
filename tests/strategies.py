"""Hypothesis strategies shared by the test suite (valid by construction, not filtered).

Sections: core objects (vocabularies, sentences, weights) for the transformer,
loss and gradient tests; datasets (realizable, near-miss) for the structure
tests and every later property test.
"""

import numpy as np
from hypothesis import strategies as st

# ---------------------------------------------------------------- core (vocabulary, sentences, weights)
from reference.data import Dataset  # noqa: E402
from reference.vocabulary import Vocabulary  # noqa: E402

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
def sentences(draw, n_tokens, min_len=1, max_len=MAX_LEN):
    """A sentence as an ``intp`` array of token indices, length in ``[min_len, max_len]``."""
    L = draw(st.integers(min_len, max_len))
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


# ---------------------------------------------------------------- datasets (realizable, near-miss)

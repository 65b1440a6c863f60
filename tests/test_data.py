"""Dataset: prefix closure, merging and counting, pi, padded arrays, and every bad input."""

import re

import numpy as np
import pytest
from hypothesis import given, strategies as st

from reference import Dataset, Vocabulary
from reference.errors import CorpusError

from strategies import corpora, seeds, small_datasets, vocabularies

EXAMPLE1 = ["S V O P", "V O P", "O P P", "P S V"]
#: pi is counts / total; sums of at most a few dozen such floats are exact to a few ulps.
PI_ATOL = 1e-14


def _raw_samples(lines):
    """The prefix-closed samples of a corpus, built by hand: one per (line, prefix length)."""
    out = []
    for line in lines:
        words = line.split()
        for l in range(1, len(words)):
            out.append((tuple(words[:l]), words[l]))
    return out


def test_example1_prefix_closure():
    ds = Dataset.from_corpus(EXAMPLE1)
    # SVOP -> S, SV, SVO; VOP -> V, VO; OPP -> O, OP; PSV -> P, PS: nine distinct inputs
    assert ds.N == 9 and ds.L_max == 3
    assert ds.vocab.tokens == ("S", "V", "O", "P")
    np.testing.assert_allclose(ds.pi, np.full(9, 1 / 9), rtol=0, atol=PI_ATOL)
    got = {ds.sentence_text(n): ds.vocab.tokens[ds.y[n]] for n in range(ds.N)}
    assert got == {"S": "V", "S V": "O", "S V O": "P", "V": "O", "V O": "P",
                   "O": "P", "O P": "P", "P": "S", "P S": "V"}


def test_identical_prefixes_are_merged_and_counted():
    ds = Dataset.from_corpus(["a b c", "a b c d", "a b"])
    # raw samples: a->b (3 times), ab->c (2 times), abc->d (once)
    assert [ds.sentence_text(n) for n in range(ds.N)] == ["a", "a b", "a b c"]
    np.testing.assert_array_equal(ds.counts, [3, 2, 1])
    np.testing.assert_allclose(ds.pi, [1 / 2, 1 / 3, 1 / 6], rtol=0, atol=PI_ATOL)


@given(st.data())
def test_counts_equal_raw_sample_multiplicities(data):
    vocab = data.draw(vocabularies())
    lines = data.draw(corpora(vocab))
    ds = Dataset.from_corpus(lines, vocab=vocab)
    raw = _raw_samples(lines)
    assert int(ds.counts.sum()) == len(raw)
    for n in range(ds.N):
        key = (tuple(ds.sentence_text(n).split()), vocab.tokens[ds.y[n]])
        assert ds.counts[n] == raw.count(key)
    assert len({tuple(s) for s in ds.sentences}) == ds.N        # distinct inputs
    np.testing.assert_allclose(ds.pi.sum(), 1.0, rtol=0, atol=PI_ATOL)


@given(small_datasets())
def test_pi_is_a_distribution_and_arrays_are_consistent(ds):
    assert ds.pi.dtype == np.float64
    assert np.all(ds.pi > 0)
    np.testing.assert_allclose(ds.pi.sum(), 1.0, rtol=0, atol=PI_ATOL)
    np.testing.assert_allclose(ds.pi, ds.counts / ds.counts.sum(), rtol=0, atol=PI_ATOL)
    assert ds.L_max == max(s.size for s in ds.sentences)
    for n, s in enumerate(ds.sentences):
        L = s.size
        assert ds.lengths[n] == L and ds.queries[n] == s[-1]
        np.testing.assert_array_equal(ds.tokens[n, :L], s)
        assert np.all(ds.tokens[n, L:] == -1)
        np.testing.assert_array_equal(ds.mask[n], np.arange(ds.L_max) < L)
        np.testing.assert_array_equal(ds.flat_tokens[ds.offsets[n]:ds.offsets[n + 1]], s)
        assert np.all(ds.flat_sentence[ds.offsets[n]:ds.offsets[n + 1]] == n)
        X = ds.X(n)
        assert X.shape == (ds.vocab.d, L)
        for l in range(L):
            np.testing.assert_array_equal(X[:, l], ds.vocab.E[:, s[l]])
        idx, y, pi_n = ds.samples()[n]
        np.testing.assert_array_equal(idx, s)
        assert y == ds.y[n] and pi_n == ds.pi[n]


def test_from_samples_accepts_non_prefix_closed_sets():
    ds = Dataset.from_samples([("a b c", "d"), (["c", "a"], "b")])
    assert ds.N == 2 and ds.L_max == 3
    assert ds.vocab.tokens == ("a", "b", "c", "d")
    np.testing.assert_array_equal(ds.sentences[0], [0, 1, 2])
    assert ds.y[0] == 3 and ds.y[1] == 1
    np.testing.assert_allclose(ds.pi, [0.5, 0.5], rtol=0, atol=PI_ATOL)


def test_index_order_is_first_appearance_zero_based():
    ds = Dataset.from_corpus(["P S V"])
    assert [ds.vocab.index(x) for x in ("P", "S", "V")] == [0, 1, 2]


def test_comments_and_blank_lines_are_ignored(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("# a comment\n\nS V O  # trailing comment\n   \nV O\n", encoding="utf-8")
    ds = Dataset.from_corpus(path)
    assert [ds.sentence_text(n) for n in range(ds.N)] == ["S", "S V", "V"]
    assert ds.origins[0] == f"{path}:3 (prefix of length 1)"
    assert Dataset.from_corpus(str(path)).N == 3
    assert Dataset.from_corpus("S V O\nV O\n").N == 3          # text with line breaks


@given(seeds)
def test_with_vocab_changes_only_the_embedding(seed):
    ds = Dataset.from_corpus(EXAMPLE1)
    vocab = Vocabulary.random_orthonormal(ds.vocab.tokens, 11, rng=np.random.default_rng(seed))
    ds2 = ds.with_vocab(vocab)
    assert ds2.N == ds.N and ds2.vocab.d == 11
    for n in range(ds.N):
        np.testing.assert_array_equal(ds2.sentences[n], ds.sentences[n])
        np.testing.assert_array_equal(ds2.X(n), vocab.E[:, ds.sentences[n]])
    with pytest.raises(CorpusError, match="same tokens"):
        ds.with_vocab(Vocabulary(["a", "b", "c", "d"]))


# ---------------------------------------------------------------- bad input names the culprit
def test_empty_sentence_raises():
    with pytest.raises(CorpusError, match="sample 1: empty sentence"):
        Dataset.from_samples([("a", "b"), ("", "a")])
    with pytest.raises(CorpusError, match="sample 0: empty sentence"):
        Dataset.from_samples([([], "a")])


def test_unknown_token_raises():
    vocab = Vocabulary(["a", "b"])
    with pytest.raises(CorpusError, match=r"sample 1: unknown token 'z'"):
        Dataset.from_samples([("a", "b"), ("a z", "b")], vocab=vocab)
    with pytest.raises(CorpusError, match=r"line 2 \(prefix of length 1\): unknown token 'c'"):
        Dataset.from_corpus(["a b", "c a"], vocab=vocab)


def test_one_token_corpus_line_raises(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("a b\nc\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"{re.escape(str(path))}:2: the sentence 'c' has one token"):
        Dataset.from_corpus(path)


def test_conflicting_next_tokens_name_both_occurrences(tmp_path):
    path = tmp_path / "conflict.txt"
    path.write_text("a b c\n# gap\na b d\n", encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        Dataset.from_corpus(path)
    msg = str(info.value)
    assert f"{path}:1 (prefix of length 2)" in msg and f"{path}:3 (prefix of length 2)" in msg
    assert "'a b'" in msg and "'c'" in msg and "'d'" in msg
    with pytest.raises(CorpusError, match="sample 0.*sample 2"):
        Dataset.from_samples([("x y", "z"), ("y", "x"), ("x y", "x")])


def test_non_text_file_raises(tmp_path):
    path = tmp_path / "binary.bin"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(CorpusError, match=rf"{re.escape(str(path))}: not a text file"):
        Dataset.from_corpus(path)
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
    with pytest.raises(CorpusError, match="not a UTF-8 text file"):
        Dataset.from_corpus(latin)


def test_missing_file_raises(tmp_path):
    path = tmp_path / "nowhere.txt"
    with pytest.raises(CorpusError, match=rf"{re.escape(str(path))}: no such corpus file"):
        Dataset.from_corpus(path)


def test_empty_corpus_and_bad_samples_raise():
    with pytest.raises(CorpusError, match="no sentence"):
        Dataset.from_corpus(["# only a comment", ""])
    with pytest.raises(CorpusError, match="no samples"):
        Dataset.from_samples([])
    with pytest.raises(CorpusError, match="sample 0: expected a pair"):
        Dataset.from_samples([("a", "b", "c")])

"""Vocabulary: token names, 0-based indices I(x) - 1, embeddings E (Assumption 2)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import seeds, SIZES_D, SIZES_V, token_names, vocabularies

from reference import read_corpus, Vocabulary
from reference.data.vocabulary import check_token_name
from reference.errors import ReferenceValueError, VocabularyError

#: E^T E = I for a QR factor holds to a few ulps per entry (d <= 11 here).
ORTHO_ATOL = 1e-13


def test_default_embedding_is_the_identity():
    vocab = Vocabulary(["S", "V", "O", "P"])
    assert vocab.E.dtype == np.float64
    np.testing.assert_array_equal(vocab.E, np.eye(4))
    assert vocab.d == vocab.n_tokens == len(vocab) == 4
    assert vocab.orthonormal


def test_index_is_zero_based_I_minus_one():
    # paper: I(S) = 1, I(V) = 2, I(O) = 3, I(P) = 4 (1-based); code: I(x) - 1
    vocab = Vocabulary(["S", "V", "O", "P"])
    paper_I = {"S": 1, "V": 2, "O": 3, "P": 4}
    for x, I in paper_I.items():
        assert vocab.index(x) == I - 1
        np.testing.assert_array_equal(vocab.E[:, vocab.index(x)], np.eye(4)[I - 1])


def test_embed_gathers_columns():
    vocab = Vocabulary(["a", "b", "c"])
    X = vocab.embed([2, 0, 2])
    assert X.shape == (3, 3)
    np.testing.assert_array_equal(X, np.eye(3)[:, [2, 0, 2]])


@pytest.mark.parametrize("idx, match", [
    ([0, 3], "token index 3 at position 1 is outside 0..2"),
    ([-1], "token index -1 at position 0"),            # not wrapped around to the last token
    ([0.0, 1.0], "integers"),
    ([[0, 1]], "1-d"),
])
def test_embed_rejects_bad_indices(idx, match):
    with pytest.raises(VocabularyError, match=match):
        Vocabulary(["a", "b", "c"]).embed(idx)


@given(st.sampled_from(SIZES_V), st.sampled_from(SIZES_D), seeds)
def test_random_orthonormal_has_orthonormal_columns(V, d, seed):
    d = max(d, V + 1)
    vocab = Vocabulary.random_orthonormal(token_names(V), d, rng=np.random.default_rng(seed))
    assert vocab.E.shape == (d, V) and vocab.E.dtype == np.float64
    np.testing.assert_allclose(vocab.E.T @ vocab.E, np.eye(V), rtol=0, atol=ORTHO_ATOL)
    assert vocab.orthonormal


@given(vocabularies())
def test_strategy_vocabularies_are_valid(vocab):
    assert vocab.orthonormal and vocab.d >= vocab.n_tokens
    assert [vocab.index(x) for x in vocab.tokens] == list(range(vocab.n_tokens))


def test_unknown_token_raises():
    vocab = Vocabulary(["a", "b"])
    with pytest.raises(VocabularyError, match="'zz'"):
        vocab.index("zz")


@pytest.mark.parametrize("tokens, match", [
    ([], "at least one"),
    (["a", "a"], r"'a' appears twice \(positions 0 and 1\)"),
    (["a", ""], "token 1, '', is empty"),
    (["a", "b c"], "token 1, 'b c', contains white space"),
    (["a", "b\tc"], "white space"),
    (["a", 3], "token 1, 3, is not a string"),
    (["a", "b#c"], "token 1, 'b#c', contains '#'"),
    (["#"], "token 0, '#', contains '#'"),
    ("abc", "got the string 'abc'"),          # not silently one token per character
    (5, "sequence of token names"),
])
def test_bad_token_lists_raise(tokens, match):
    with pytest.raises(VocabularyError, match=match):
        Vocabulary(tokens)


@given(vocabularies())
def test_every_vocabulary_survives_a_corpus_round_trip(vocab):
    # Token names are exactly the words a corpus line can hold: written out and read back
    # (split at white space, '#' starting a comment) they come back unchanged.
    (origin, words), = read_corpus([" ".join(vocab.tokens) + " " + vocab.tokens[0]])
    assert words == list(vocab.tokens) + [vocab.tokens[0]]
    assert all(check_token_name(x) is None for x in vocab.tokens)


@pytest.mark.parametrize("name", ["a#", "#b", "x # y", " a", "a\n", "", None, 1.5, b"ab"])
def test_check_token_name_gives_a_reason_for_every_name_a_corpus_cannot_hold(name):
    assert isinstance(check_token_name(name), str)


def test_non_orthonormal_E_rejected_unless_allowed():
    E = np.array([[1.0, 0.5], [0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(VocabularyError, match="allow_non_orthonormal"):
        Vocabulary(["a", "b"], E)
    vocab = Vocabulary(["a", "b"], E, allow_non_orthonormal=True)
    assert not vocab.orthonormal
    np.testing.assert_array_equal(vocab.E, E)


def test_too_few_dimensions_rejected():
    with pytest.raises(VocabularyError, match="cannot be"):
        Vocabulary(["a", "b", "c"], np.eye(2, 3))
    with pytest.raises(VocabularyError, match="d = 2"):
        Vocabulary.random_orthonormal(["a", "b", "c"], 2, rng=np.random.default_rng(0))


@pytest.mark.parametrize("E, match", [
    (np.eye(3), "shape"),
    (np.eye(2, dtype=bool), "dtype"),
    (np.array([["1", "0"], ["0", "1"]]), "dtype"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), r"E\[0, 1\] = nan \(embedding of token 'b'\)"),
    (np.array([[1.0, 0.0], [np.inf, 1.0]]), r"NaN or inf entries: E\[1, 0\] = inf"),
])
def test_malformed_E_raises(E, match):
    with pytest.raises(VocabularyError, match=match):
        Vocabulary(["a", "b"], E)


def test_integer_E_is_cast_to_float64():
    vocab = Vocabulary(["a", "b"], np.eye(2, dtype=int))
    assert vocab.E.dtype == np.float64


def test_random_orthonormal_needs_a_generator():
    with pytest.raises(VocabularyError, match="Generator"):
        Vocabulary.random_orthonormal(["a", "b"], 3, rng=0)


@pytest.mark.parametrize("d", [2.5, None, "5", True])
def test_random_orthonormal_needs_an_integer_d(d):
    with pytest.raises(VocabularyError, match="must be an integer"):
        Vocabulary.random_orthonormal(["a", "b"], d, rng=np.random.default_rng(0))


def test_membership_of_unhashable_values_is_false():
    vocab = Vocabulary(["a", "b"])
    assert "a" in vocab and "c" not in vocab and ["a"] not in vocab
    with pytest.raises(VocabularyError, match=r"unknown token \['a'\]"):
        vocab.index(["a"])


def test_errors_are_value_errors():
    assert issubclass(VocabularyError, ReferenceValueError)
    assert issubclass(VocabularyError, ValueError)

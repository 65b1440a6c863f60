"""The literal transformer (Section 3): softmax, scores, attention, Tbar, T, prediction."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import seeds, sentences, vocabularies, weights

from reference import Vocabulary
from reference.data.validate import check_sentence, check_weights
from reference.errors import WeightsError
from reference.model.transformer import attention, logits, phi, predict, scores, transformer

#: Two float64 evaluations of the same O(1) quantity along different
#: summation orders differ by a few ulps times the length of the sums (<= 11).
EXACT_RTOL = 1e-13
EXACT_ATOL = 1e-15
#: Absolute floor for sums of up to 11 products of O(3) weights and O(1) embeddings
#: (terms up to ~10, so a few ulps of 10 each): entries that cancel to ~0.
SUM_ATOL = 1e-13
#: phi(v + c) = phi(v) exactly in real arithmetic; in float64 the shift by c (|c| <= 700)
#: rounds v + c to ulp(700) ~ 1e-13, which moves the probabilities relatively by as much.
SHIFT_RTOL = 1e-12
#: Complex step: Im f(x + i h d)/h is exact to rounding (no subtraction), h tiny.
CS_H = 1e-20
CS_RTOL = 1e-12
#: The W_kq complex step of Tbar against the explicit Jacobian W_ov X J X^T D x_L: the
#: explicit product multiplies five matrices of entries up to ~30 (weights at scale 3
#: times embeddings and D); its rounding, not the complex step, sets this size.
CS_JAC_RTOL = 1e-10
CS_JAC_ATOL = 1e-12


def _problem(data, min_len=1):
    """Vocabulary, weights and a sentence matrix X whose length L differs from abs(V) and d."""
    vocab = data.draw(vocabularies())
    W_ov, W_kq = data.draw(weights(vocab))
    idx = data.draw(sentences(vocab.n_tokens, min_len=min_len, avoid=(vocab.n_tokens, vocab.d)))
    return vocab, W_ov, W_kq, vocab.embed(idx)


# ---------------------------------------------------------------- phi
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=7), st.floats(-700, 700))
def test_phi_is_a_shift_invariant_distribution(v, shift):
    v = np.array(v)
    p = phi(v)
    assert p.dtype == np.float64 and np.all(p >= 0)
    np.testing.assert_allclose(p.sum(), 1.0, rtol=0, atol=EXACT_RTOL)
    np.testing.assert_allclose(phi(v + shift), p, rtol=SHIFT_RTOL, atol=EXACT_ATOL)


def test_phi_is_stable_for_huge_logits():
    p = phi(np.array([1000.0, 0.0, -1000.0]))
    assert p[0] == 1.0 and p[1] == np.exp(-1000.0) and p[2] == 0.0
    np.testing.assert_array_equal(phi(np.array([3.0, 3.0])), [0.5, 0.5])


@pytest.mark.parametrize("v, match", [
    (np.array([]), "at least one entry"),
    (np.array(["a", "b"]), "numeric"),
    (np.array([0.0, np.nan]), r"index \(1,\)"),
    (np.array([np.inf, 0.0]), r"\+inf"),
])
def test_phi_rejects_undefined_input(v, match):
    with pytest.raises(WeightsError, match=match):
        phi(v)


def test_phi_gives_minus_inf_zero_weight():
    np.testing.assert_array_equal(phi(np.array([0.0, -np.inf, 0.0])), [0.5, 0.0, 0.5])


def test_phi_of_a_matrix_normalises_columns():
    M = np.arange(12.0).reshape(3, 4)
    P = phi(M)
    for j in range(4):
        np.testing.assert_allclose(P[:, j], phi(M[:, j]), rtol=EXACT_RTOL)


@given(st.lists(st.floats(-5, 5), min_size=2, max_size=7), seeds)
def test_phi_complex_step_is_its_jacobian(v, seed):
    v = np.array(v)
    w = np.random.default_rng(seed).standard_normal(v.size)
    p = phi(v)
    J = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(phi(v + 1j * CS_H * w).imag / CS_H, J @ w, rtol=CS_RTOL, atol=EXACT_ATOL)


# ---------------------------------------------------------------- forward pass
@given(st.data())
def test_scores_are_bilinear_forms_with_the_query(data):
    vocab, W_ov, W_kq, X = _problem(data)
    s = scores(W_kq, X)
    L = X.shape[1]
    assert s.shape == (L,)
    for l in range(L):
        np.testing.assert_allclose(s[l], X[:, l] @ W_kq @ X[:, -1], rtol=EXACT_RTOL, atol=SUM_ATOL)


@given(st.data())
def test_attention_and_T_are_distributions(data):
    vocab, W_ov, W_kq, X = _problem(data)
    att = attention(W_kq, X)
    T = transformer(W_ov, W_kq, X)
    assert att.shape == (X.shape[1],) and T.shape == (vocab.n_tokens,)
    for p in (att, T):
        assert p.dtype == np.float64 and np.all(p >= 0)
        np.testing.assert_allclose(p.sum(), 1.0, rtol=0, atol=EXACT_RTOL)


@given(st.data())
def test_logits_are_the_attention_weighted_values(data):
    vocab, W_ov, W_kq, X = _problem(data)
    att = attention(W_kq, X)
    expected = sum(att[l] * (W_ov @ X[:, l]) for l in range(X.shape[1]))
    np.testing.assert_allclose(logits(W_ov, W_kq, X), expected, rtol=EXACT_RTOL, atol=SUM_ATOL)
    np.testing.assert_allclose(transformer(W_ov, W_kq, X), phi(expected), rtol=SHIFT_RTOL, atol=EXACT_ATOL)


@given(st.data())
def test_one_token_sentence_ignores_W_kq(data):
    vocab = data.draw(vocabularies())
    W_ov, W_kq = data.draw(weights(vocab))
    _, W_kq2 = data.draw(weights(vocab))
    x = vocab.E[:, [data.draw(st.integers(0, vocab.n_tokens - 1))]]
    np.testing.assert_array_equal(attention(W_kq, x), [1.0])
    expected = phi(W_ov @ x[:, 0])
    np.testing.assert_allclose(transformer(W_ov, W_kq, x), expected, rtol=EXACT_RTOL, atol=EXACT_ATOL)
    np.testing.assert_allclose(transformer(W_ov, W_kq2, x), expected, rtol=EXACT_RTOL, atol=EXACT_ATOL)


@given(st.data())
def test_permuting_non_query_positions_leaves_T_unchanged(data):
    vocab, W_ov, W_kq, X = _problem(data, min_len=2)
    L = X.shape[1]
    perm = data.draw(st.permutations(range(L - 1)))
    Xp = X[:, list(perm) + [L - 1]]
    np.testing.assert_allclose(transformer(W_ov, W_kq, Xp), transformer(W_ov, W_kq, X),
                               rtol=SHIFT_RTOL, atol=EXACT_ATOL)


@given(st.data())
def test_predict_is_the_argmax_of_T(data):
    vocab, W_ov, W_kq, X = _problem(data)
    T = transformer(W_ov, W_kq, X)
    k = predict(W_ov, W_kq, X)
    assert isinstance(k, int) and T[k] == T.max()


@given(st.data())
def test_forward_pass_is_complex_safe(data):
    # Tbar is linear in W_ov; its W_kq-derivative along D is W_ov X (diag(a) - a a^T) X^T D x_L.
    vocab, W_ov, W_kq, X = _problem(data)
    rng = np.random.default_rng(data.draw(seeds))
    D_ov, D_kq = rng.standard_normal(W_ov.shape), rng.standard_normal(W_kq.shape)
    cs_ov = logits(W_ov + 1j * CS_H * D_ov, W_kq, X).imag / CS_H
    np.testing.assert_allclose(cs_ov, logits(D_ov, W_kq, X), rtol=CS_RTOL, atol=SUM_ATOL)
    a = attention(W_kq, X)
    expected = W_ov @ X @ (np.diag(a) - np.outer(a, a)) @ X.T @ D_kq @ X[:, -1]
    cs_kq = logits(W_ov, W_kq + 1j * CS_H * D_kq, X).imag / CS_H
    np.testing.assert_allclose(cs_kq, expected, rtol=CS_JAC_RTOL, atol=CS_JAC_ATOL)


# ---------------------------------------------------------------- validation at the boundary
def test_check_weights_casts_integers_and_copies():
    vocab = Vocabulary.random_orthonormal(["a", "b", "c"], 5, rng=np.random.default_rng(0))
    W_ov, W_kq = np.ones((3, 5), dtype=int), np.eye(5, dtype=np.int32)
    ov, kq = check_weights(W_ov, W_kq, vocab)
    assert ov.dtype == kq.dtype == np.float64
    np.testing.assert_array_equal(ov, W_ov)
    ov2, _ = check_weights(W_ov, W_kq, 5, 3)
    np.testing.assert_array_equal(ov2, ov)


@pytest.mark.parametrize("W_ov, W_kq, match", [
    (np.zeros((5, 3)), np.zeros((5, 5)), r"W_ov must have shape \(3, 5\)"),       # transposed
    (np.zeros((3, 5)), np.zeros((3, 3)), r"W_kq must have shape \(5, 5\)"),
    (np.zeros(15), np.zeros((5, 5)), "W_ov must have shape"),
    (np.zeros((3, 5), dtype=bool), np.zeros((5, 5)), "dtype bool"),
    (np.zeros((3, 5), dtype=object), np.zeros((5, 5)), "dtype object"),
    (np.full((3, 5), "1"), np.zeros((5, 5)), "dtype <U1"),
    (np.zeros((3, 5), dtype=complex), np.zeros((5, 5)), "real numeric"),
    (np.zeros((3, 5)), np.full((5, 5), np.nan), r"W_kq\[0, 0\] = nan"),
    (np.zeros((3, 5)), np.diag([1, 1, 1, 1, np.inf]), r"W_kq\[4, 4\] = inf"),
    (np.array([[0, 0, 0, 0, 0], [0, -np.inf, 0, 0, 0], [0] * 5]), np.zeros((5, 5)), r"W_ov\[1, 1\]"),
    (None, None, r"W_ov is missing \(None\)"), (np.zeros((3, 5)), None, r"W_kq is missing \(None\)"),
])
def test_check_weights_rejects(W_ov, W_kq, match):
    vocab = Vocabulary.random_orthonormal(["a", "b", "c"], 5, rng=np.random.default_rng(1))
    with pytest.raises(WeightsError, match=match):
        check_weights(W_ov, W_kq, vocab)


def test_complex_weights_only_when_allowed():
    W = np.zeros((2, 2), dtype=complex)
    with pytest.raises(WeightsError):
        check_weights(W, W, 2, 2)
    ov, kq = check_weights(W, W, 2, 2, allow_complex=True)
    assert ov.dtype == np.complex128
    with pytest.raises(WeightsError, match="real weights"):
        predict(W, W, np.eye(2))


@pytest.mark.parametrize("X, match", [
    (np.zeros((3, 0)), "L >= 1"),
    (np.zeros(3), r"shape \(3, L\)"),
    (np.zeros((4, 2)), r"shape \(3, L\)"),
    (np.array([[0.0, 0.0], [0.0, np.nan], [0.0, 0.0]]), r"non-finite entry: X\[1, 1\] = nan \(position 1"),
    (np.array([[np.inf], [0.0], [0.0]]), r"X\[0, 0\] = inf"),
    (np.array([["a"], ["b"], ["c"]]), "real numeric"),
])
def test_bad_sentences_rejected(X, match):
    W_ov, W_kq = np.zeros((2, 3)), np.zeros((3, 3))
    with pytest.raises(WeightsError, match=match):
        check_sentence(X, 3)
    with pytest.raises(WeightsError):
        transformer(W_ov, W_kq, X)


@pytest.mark.parametrize("d, n_tokens, match", [
    (2.5, 3, "d must be a positive integer"),
    ("5", 3, "d must be a positive integer"),
    (5, None, r"needs abs\(V\)"),
    (5, 0, "n_tokens must be a positive integer"),
])
def test_check_weights_rejects_bad_sizes(d, n_tokens, match):
    with pytest.raises(WeightsError, match=match):
        check_weights(np.zeros((3, 5)), np.zeros((5, 5)), d, n_tokens)


def test_one_token_vocabulary_is_certain():
    # abs(V) = 1: T(X) = phi(scalar) = [1] whatever the weights and the sentence.
    X = np.ones((1, 4))
    np.testing.assert_array_equal(transformer(np.array([[7.0]]), np.array([[-3.0]]), X), [1.0])
    assert predict(np.array([[7.0]]), np.array([[-3.0]]), X) == 0


def test_predict_breaks_ties_at_the_smallest_index():
    # W_ov = 0: every logit is 0, T is uniform, argmax is index 0.
    X = np.eye(3)[:, [2, 1]]
    np.testing.assert_allclose(transformer(np.zeros((3, 3)), np.eye(3), X), np.full(3, 1 / 3), rtol=EXACT_RTOL)
    assert predict(np.zeros((3, 3)), np.eye(3), X) == 0


def test_forward_functions_validate_weights():
    X = np.eye(3)[:, [0, 1]]
    with pytest.raises(WeightsError, match="W_kq"):
        attention(np.zeros((2, 2)), X)
    with pytest.raises(WeightsError, match="W_ov"):
        transformer(np.zeros((3, 2)), np.zeros((3, 3)), X)
    with pytest.raises(WeightsError, match="nan"):
        logits(np.full((2, 3), np.nan), np.zeros((3, 3)), X)

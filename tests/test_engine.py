"""The training engine (token coordinates) against independent computations.

Oracles: a 1400-digit mpmath evaluation of the paper's formulas (the
saturated regime, where float64 probabilities round to 1), central
differences of a plain per-sentence loss, and closed forms for Example 1.
"""

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import collocation, Dataset, Vocabulary
from reference.errors import AssumptionError, WeightsError
from reference.training.engine import Engine, log_softplus, softplus

EXAMPLE1 = ["S V O P", "V O P", "O P P", "P S V"]
#: docs/paper.md section 6, W*_kq of Example 1 in token coordinates (rows: key, columns: query)
A_STAR_EX1 = np.array([[.5, -.5, -1 / 3, 0], [0, .5, -1 / 3, 0], [0, 0, 2 / 3, .5], [-.5, 0, 0, -.5]])
#: float64 evaluation of a smooth function with O(1) condition number: a few ulps
EXACT_RTOL = 1e-13
#: central difference with h = 1e-6 has truncation + round-off error about 1e-9 relative
FD_TOL = 1e-7


def _ex1():
    return Dataset.from_corpus(EXAMPLE1)


def _structured_B(ds, a):
    V = ds.vocab.n_tokens
    B = np.full((V, V), -a / V)
    B[collocation(ds), np.arange(V)] += a
    return B


def _plain_loss(ds, B, A):
    """Eq. (1) sentence by sentence, the most direct float64 transcription."""
    L = 0.0
    for n, s in enumerate(ds.sentences):
        sc = A[s, s[-1]]
        att = np.exp(sc - sc.max())
        att /= att.sum()
        T = B[:, s] @ att
        L += ds.pi[n] * (np.log(np.sum(np.exp(T - T.max()))) + T.max() - T[ds.y[n]])
    return L


def _central_diff(f, X, h=1e-6):
    G = np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        D = np.zeros_like(X)
        D[idx] = h
        G[idx] = (f(X + D) - f(X - D)) / (2 * h)
    return G


def _mp_loss_and_grad_A(ds, B, A):
    """Eq. (1) and Eq. (6) in token coordinates, in 1400-digit arithmetic."""
    V = ds.vocab.n_tokens
    Bm, Am = mp.matrix(B.tolist()), mp.matrix(A.tolist())
    L, G = mp.mpf(0), mp.zeros(V, V)
    for n, s in enumerate(ds.sentences):
        q = int(s[-1])
        ex = [mp.e ** Am[int(i), q] for i in s]
        att = [x / sum(ex) for x in ex]
        T = [sum(att[l] * Bm[v, int(s[l])] for l in range(len(s))) for v in range(V)]
        Z = sum(mp.e ** t for t in T)
        p = [mp.e ** t / Z for t in T]
        y = int(ds.y[n])
        L += mp.mpf(ds.pi[n]) * -mp.log(p[y])
        r = [p[v] - (1 if v == y else 0) for v in range(V)]
        g = [sum(r[v] * Bm[v, int(s[l])] for v in range(V)) for l in range(len(s))]
        gbar = sum(att[l] * g[l] for l in range(len(s)))
        for l in range(len(s)):
            G[int(s[l]), q] += mp.mpf(ds.pi[n]) * att[l] * (g[l] - gbar)
    return L, G


@pytest.mark.parametrize("c", [1.0, 30.0, 300.0, 3000.0])
def test_saturated_regime_against_arbitrary_precision(c):
    """At W = c * (W*_ov, W*_kq) the loss is ~exp(-c): log L, phi_+ and the gradient direction stay exact."""
    ds = _ex1()
    eng = Engine(ds)
    B, A = _structured_B(ds, c), c * A_STAR_EX1
    with mp.workdps(1400):
        L, G = _mp_loss_and_grad_A(ds, B, A)
        nrm = mp.sqrt(sum(G[i, j] ** 2 for i in range(4) for j in range(4)))
        direction = np.array([[float(G[i, j] / nrm) for j in range(4)] for i in range(4)])
        log_L, log_nrm = float(mp.log(L)), float(mp.log(nrm))
        log_L0 = float(mp.log(4 * mp.log(1 + 3 * mp.e ** (-c))))
    e = eng.stage2(B, A)
    assert e.log_loss == pytest.approx(log_L, rel=EXACT_RTOL, abs=EXACT_RTOL)
    assert e.log_grad_norm == pytest.approx(log_nrm, rel=EXACT_RTOL, abs=EXACT_RTOL)
    np.testing.assert_allclose(e.grad_dir["A"], direction, rtol=0, atol=1e-14)
    assert np.isclose(np.linalg.norm(e.grad_dir["A"]), 1.0, rtol=EXACT_RTOL)
    # stage 1 at B = c W*_ov: L_0 = abs(V) log(1 + (abs(V)-1) e^{-c}) in closed form
    assert eng.stage1(B).log_loss0 == pytest.approx(log_L0, rel=EXACT_RTOL, abs=EXACT_RTOL)


def test_structured_and_general_paths_agree():
    ds = _ex1()
    eng, eng_general = Engine(ds), Engine(ds)
    eng_general.lemma3_structure = lambda B: None
    rng = np.random.default_rng(7)
    for c in (0.5, 3.0, 40.0):
        B, A = _structured_B(ds, c), c * rng.standard_normal((4, 4))
        assert eng.lemma3_structure(B) is not None
        e1, e2 = eng.stage2(B, A), eng_general.stage2(B, A)
        assert e1.loss == pytest.approx(e2.loss, rel=EXACT_RTOL)
        assert e1.log_loss == pytest.approx(e2.log_loss, rel=EXACT_RTOL, abs=EXACT_RTOL)
        np.testing.assert_allclose(e1.grad_dir["A"], e2.grad_dir["A"], atol=1e-13)
        np.testing.assert_array_equal(e1.pred, e2.pred)
        np.testing.assert_allclose(e1.phi_plus, e2.phi_plus, rtol=EXACT_RTOL)


def _random_dataset(draw_seed, n_tokens, n_sent, L):
    rng = np.random.default_rng(draw_seed)
    perm = rng.permutation(n_tokens)
    toks = [f"t{i}" for i in range(n_tokens)]
    samples = [([toks[i]], toks[perm[i]]) for i in range(n_tokens)]
    for _ in range(n_sent):
        s = rng.integers(0, n_tokens, size=rng.integers(2, L + 1))
        samples.append(([toks[i] for i in s], toks[rng.integers(n_tokens)]))
    # distinct inputs only (duplicates with another next token would be rejected)
    seen, out = set(), []
    for x, y in samples:
        if tuple(x) not in seen:
            seen.add(tuple(x))
            out.append((x, y))
    return Dataset.from_samples(out, vocab=Vocabulary(toks))


@settings(max_examples=15)
@given(seed=st.integers(0, 2**32 - 1), n_tokens=st.sampled_from([3, 5, 7]),
       scale=st.sampled_from([0.3, 1.0, 3.0]))
def test_gradients_against_central_differences(seed, n_tokens, scale):
    ds = _random_dataset(seed, n_tokens, 6, 5)
    eng = Engine(ds)
    rng = np.random.default_rng(seed + 1)
    B, A = scale * rng.standard_normal((2, n_tokens, n_tokens))
    e = eng.stage2(B, A, grad=("B", "A"))
    gA = _central_diff(lambda X: _plain_loss(ds, B, X), A)
    gB = _central_diff(lambda X: _plain_loss(ds, X, A), B)
    assert e.loss == pytest.approx(_plain_loss(ds, B, A), rel=EXACT_RTOL)
    tot = np.sqrt(np.sum(gA**2) + np.sum(gB**2))
    assert np.exp(e.log_grad_norm) == pytest.approx(tot, rel=FD_TOL)
    np.testing.assert_allclose(e.grad_dir["A"], gA / tot, atol=FD_TOL)
    np.testing.assert_allclose(e.grad_dir["B"], gB / tot, atol=FD_TOL)
    eA = eng.stage2(B, A)
    np.testing.assert_allclose(eA.grad_dir["A"], gA / np.linalg.norm(gA), atol=FD_TOL)
    # stage 1: L_0 = sum_x -log phi(W_ov x)_{In(x)}
    In = collocation(ds)
    L0 = lambda X: sum(np.log(np.sum(np.exp(X[:, i]))) - X[In[i], i] for i in range(n_tokens))
    e0 = eng.stage1(B)
    g0 = _central_diff(L0, B)
    assert e0.loss0 == pytest.approx(L0(B), rel=EXACT_RTOL)
    np.testing.assert_allclose(e0.grad_dir, g0 / np.linalg.norm(g0), atol=FD_TOL)


def test_stage1_keeps_lemma3_structure_bit_for_bit():
    """From zero, every column solves the same problem: NGD keeps B = beta 1 1^T + a P_In exactly."""
    ds = _random_dataset(3, 7, 10, 5)
    eng = Engine(ds)
    B = np.zeros((7, 7))
    for t in range(200):
        B = B - 0.3 * eng.stage1(B).grad_dir
        assert eng.lemma3_structure(B) is not None, t


def test_attention_and_predictions_are_consistent():
    ds = _random_dataset(11, 5, 8, 6)
    eng = Engine(ds)
    rng = np.random.default_rng(2)
    B, A = rng.standard_normal((2, 5, 5))
    e = eng.stage2(B, A, grad=())
    att = e.att
    np.testing.assert_allclose(att.sum(axis=1), 1.0, rtol=EXACT_RTOL)
    assert np.all(att[~ds.mask] == 0)
    for n, s in enumerate(ds.sentences):
        sc = A[s, s[-1]]
        ref = np.exp(sc - sc.max()) / np.exp(sc - sc.max()).sum()
        np.testing.assert_allclose(att[n, :s.size], ref, rtol=EXACT_RTOL)
        assert e.pred[n] == np.argmax(B[:, s] @ ref)


def test_softplus_helpers():
    u = np.array([-800.0, -40.0, -1.0, 0.0, 5.0, 700.0])
    assert np.all(np.isfinite(log_softplus(u)))
    with mp.workdps(50):
        for ui, ls in zip(u, log_softplus(u)):
            assert ls == pytest.approx(float(mp.log(mp.log1p(mp.e ** mp.mpf(ui)))), rel=EXACT_RTOL)
    assert softplus(np.array(1000.0)) == 1000.0


def test_bad_input():
    ds = _ex1()
    with pytest.raises(AssumptionError):
        Engine(ds.with_vocab(Vocabulary(ds.vocab.tokens, 2 * np.eye(4), allow_non_orthonormal=True)))
    eng = Engine(ds)
    with pytest.raises(WeightsError):
        eng.stage2(np.zeros((3, 4)), np.zeros((4, 4)))
    with pytest.raises(WeightsError):
        eng.stage1(np.full((4, 4), np.nan))
    with pytest.raises(WeightsError):
        eng.stage2(np.zeros((4, 4)), np.zeros((4, 4)), grad=("C",))


def test_zero_gradient_gives_zero_direction_and_minus_inf_log_norm():
    """W_ov = 0 makes every logit equal: the gradient in W_kq vanishes identically (Eq. 6 has W_ov^T)."""
    ds = _ex1()
    eng = Engine(ds)
    e = eng.stage2(np.zeros((4, 4)), np.ones((4, 4)))
    assert e.log_grad_norm == -np.inf
    assert np.all(e.grad_dir["A"] == 0)


def test_to_coords_rejects_bad_weights_naming_the_entry():
    eng = Engine(_ex1())
    W = np.zeros((4, 4))
    W[1, 2] = np.nan
    with pytest.raises(WeightsError, match=r"\[1, 2\]"):
        eng.to_coords(W, np.zeros((4, 4)))
    with pytest.raises(WeightsError):
        eng.to_coords(np.array([["a"] * 4] * 4), np.zeros((4, 4)))
    with pytest.raises(WeightsError, match=r"A\[0, 3\]"):
        A = np.zeros((4, 4))
        A[0, 3] = np.inf
        eng.stage2(np.zeros((4, 4)), A)


def test_one_token_vocabulary_is_exact_and_warning_free():
    """With abs(V) = 1 there is no wrong class: L = L_0 = 0 exactly and every gradient vanishes."""
    ds = Dataset.from_samples([(["a"], "a"), (["a", "a"], "a")])
    eng = Engine(ds)
    e = eng.stage2(np.ones((1, 1)), np.ones((1, 1)), grad=())
    assert e.loss == 0.0 and e.log_loss == -np.inf and e.accuracy == 1.0
    e0 = eng.stage1(np.ones((1, 1)))
    assert e0.loss0 == 0.0 and e0.log_grad_norm == -np.inf

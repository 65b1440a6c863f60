"""The measurement layer (reference.theory.proofs.measure) against independent computations.

Every stage-1 quantity is rebuilt literally from its definition (tests/proof_inputs.py,
loops over tokens) from the same iterates; the stage-2 quantities are compared with
the literal face (reference.model.transformer, reference.model.loss) sentence by
sentence; the gradients in the saturated regime, where float64 gradients underflow,
with an mpmath oracle. The backend primitives and the conditions are checked on
closed forms.
"""

import math

import mpmath
import numpy as np
import pytest
from proof_inputs import stage1_inputs

from reference.data.dataset import Dataset
from reference.data.vocabulary import Vocabulary
from reference.errors import ConfigError
from reference.model.loss import grad_loss, grad_loss0, log_loss0
from reference.model.transformer import attention, transformer
from reference.structure.generate import example1, random_realizable
from reference.theory.proofs import FLOAT64, Measurements, Unavailable
from reference.theory.proofs import conditions as cond
from reference.training.algorithm import two_stage_ngd

#: Two float64 computations of the same O(1) quantity from the same iterates, each through a
#: few hundred operations on numbers of size <= ||W|| (~10 here): ~1e-13; 1e-10 leaves room.
RTOL = 1e-10
#: The mpmath oracle is exact; the library's direction in the saturated regime is exact to a
#: few ulps of the scores it is computed from (size ~1e6 here, ~1e-10 relative).
SAT_RTOL = 1e-8


@pytest.fixture(scope="module")
def ex1_random():
    """Example 1 from a random initialisation (not aligned, not saturated), 40 + 30 iterations."""
    ds = example1()
    tr = two_stage_ngd(ds, 0.1, 0.05, 40, 30, init=("random", 1.0), rng=np.random.default_rng(5), record="full",
                       progress=False)
    return ds, tr, Measurements(tr, ds)


@pytest.fixture(scope="module")
def random_orthonormal():
    """A random prefix-closed dataset with random orthonormal embeddings in d = 11 > |V| = 5."""
    rng = np.random.default_rng(7)
    ds0 = random_realizable(5, L_max=4, rng=rng)
    ds = ds0.with_vocab(Vocabulary.random_orthonormal(ds0.vocab.tokens, 11, rng=rng))
    tr = two_stage_ngd(ds, 0.3, 0.2, 25, 20, init=("random", 0.5), rng=rng, record="full", progress=False)
    return ds, tr, Measurements(tr, ds)


def _close(a, b, rtol=RTOL, atol=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("which", ["ex1_random", "random_orthonormal"])
def test_stage1_quantities_match_their_literal_definitions(which, request):
    ds, tr, q = request.getfixturevalue(which)
    fake = stage1_inputs(tr.W_ov_iterates, ds.vocab.E, q.In, tr.W_ov_star, q.eta0, q.eta,
                         engine=(q.g1_engine, q.log_norm_G1_engine, q.log_loss0))
    skipped = {"T0", "pw", "In", "E", "T", "n_tokens", "eta0", "eta"}
    for name, value in fake.items():
        if name in skipped:
            continue
        got = q[name]
        mask = np.isfinite(np.asarray(value, dtype=float))
        assert np.array_equal(mask, np.isfinite(np.asarray(got, dtype=float))), name    # no NaN dropped
        _close(np.asarray(got)[mask], np.asarray(value)[mask]), name
    _close(q.T0, fake.T0)
    _close(q.pw, fake.pw)


def test_stage1_gradient_and_loss_against_the_literal_face(ex1_random):
    ds, tr, q = ex1_random
    for t in (0, 1, 17, 40):
        W = tr.W_ov_iterates[t]
        _close(q.G1s[t] * math.exp(q.c1[t]), grad_loss0(W, ds))
        assert q.log_L0[t] == pytest.approx(log_loss0(W, ds), rel=RTOL)


def test_stage2_quantities_against_the_literal_face(random_orthonormal):
    ds, tr, q = random_orthonormal
    for t in (0, 3, 20):
        W = tr.W_kq_iterates[t]
        for n in range(ds.N):
            X, L = ds.X(n), ds.lengths[n]
            phi = attention(W, X)
            _close(q.phi[t, n, :L], phi)
            Tn = transformer(tr.W_ov, W, X)
            _close(q.T2[t, n], Tn)
            assert q.P[t, n] == pytest.approx(Tn[ds.y[n]], rel=RTOL)
            assert q.phi_plus[t, n] == pytest.approx(phi[q.opt[n, :L]].sum(), rel=RTOL, abs=1e-15)
            assert q.phi_minus[t, n] == pytest.approx(phi[~q.opt[n, :L]].sum(), rel=RTOL, abs=1e-15)
            _close(q.xbar[t, n], X @ phi)
            for l in range(L):
                expected = Tn[q.In[ds.sentences[n][l]]] if not q.opt[n, l] else np.nan
                assert (np.isnan(expected) and np.isnan(q.Q[t, n, l])) or q.Q[t, n, l] == pytest.approx(expected)
        _close(q.Gs[t] * math.exp(q.c2[t]), grad_loss(tr.W_ov, W, ds)[1])


def _mp_grad_kq(W_ov, W_kq, ds):
    """``grad_W_kq L`` (Eq. 6) in mpmath, 60 digits, with ``(T - p)_y = -sum_{v != y} T_v``: (log norm, direction)."""
    mpmath.mp.dps = 60
    E, V = ds.vocab.E, ds.vocab.n_tokens
    A, B = E.T @ W_kq @ E, W_ov @ E
    G = [[mpmath.mpf(0)] * V for _ in range(V)]
    for s, y, pi in ds.samples():
        s = list(s)
        sc = [mpmath.mpf(A[k, s[-1]]) for k in s]
        ex = [mpmath.e ** (x - max(sc)) for x in sc]
        phi = [e / sum(ex) for e in ex]
        Tb = [sum(phi[l] * mpmath.mpf(B[v, s[l]]) for l in range(len(s))) for v in range(V)]
        et = [mpmath.e ** (x - max(Tb)) for x in Tb]
        T = [e / sum(et) for e in et]
        r = [T[v] if v != y else -sum(T[w] for w in range(V) if w != y) for v in range(V)]
        u = [sum(r[v] * mpmath.mpf(B[v, s[l]]) for v in range(V)) for l in range(len(s))]
        for l in range(len(s)):
            G[s[l]][s[-1]] += mpmath.mpf(pi) * phi[l] * sum(phi[k] * (u[l] - u[k]) for k in range(len(s)))
    nrm = mpmath.sqrt(sum(G[i][j] ** 2 for i in range(V) for j in range(V)))
    return float(mpmath.log(nrm)), E @ np.array([[float(G[i][j] / nrm) for j in range(V)] for i in range(V)]) @ E.T


def test_saturated_stage2_gradient_is_exact():
    """The Theorem 2 counterexample run (margins 2e4, scores up to 4e6): the loss and every
    term of Eq. (6) underflow, yet the scaled gradient agrees with the mpmath oracle."""
    ds = Dataset.from_corpus(["t1 t0 t1 t0", "t0 t1"])
    tr = two_stage_ngd(ds, 1000.0, 1e6, 20, 4, record="full", progress=False)
    q = Measurements(tr, ds)
    for t in range(5):
        log_norm, direction = _mp_grad_kq(tr.W_ov, tr.W_kq_iterates[t], ds)
        assert q.log_norm_G[t] == pytest.approx(log_norm, rel=1e-12)
        _close(q.g[t], direction, rtol=SAT_RTOL, atol=SAT_RTOL)
    assert np.all(q.log_norm_G[2:] < -1e6)                      # far below the smallest float64


def test_saturated_stage1_gradient_is_exact():
    """Example 1 with eta0 = 100: margins reach 5e4, L_0 = e^{-5e4}; g1 and log||G1|| stay exact."""
    ds = example1()
    tr = two_stage_ngd(ds, 100.0, 1.0, 900, 0, record="full", progress=False)
    q = Measurements(tr, ds)
    mpmath.mp.dps = 50
    E, In, V = ds.vocab.E, q.In, ds.vocab.n_tokens
    for t in (1, 500, 900):
        B = tr.W_ov_iterates[t] @ E
        G = np.zeros((V, V), dtype=object)
        for x in range(V):
            z = [mpmath.mpf(B[i, x]) for i in range(V)]
            e = [mpmath.e ** (zi - max(z)) for zi in z]
            p = [ei / sum(e) for ei in e]
            for i in range(V):
                G[i, x] = p[i] if i != In[x] else -sum(p[k] for k in range(V) if k != In[x])
        nrm = mpmath.sqrt(sum(G[i, x] ** 2 for i in range(V) for x in range(V)))
        assert q.log_norm_G1[t] == pytest.approx(float(mpmath.log(nrm)), rel=1e-13)
        _close(q.g1[t], (np.vectorize(lambda v: float(v / nrm))(G)).astype(float) @ E.T, rtol=1e-12, atol=1e-14)
    assert q.log_L0[900] < -5e4 and np.isfinite(q.log_L0).all()


def test_quantities_need_the_iterates_and_a_known_name():
    ds = example1()
    tr = two_stage_ngd(ds, 0.1, 0.025, 5, 5, progress=False)                       # record="summary"
    q = Measurements(tr, ds)
    with pytest.raises(Unavailable, match="record='full'"):
        q.G1s
    assert not q.available("g") and q.available("norm_ov")
    with pytest.raises(ConfigError, match="no quantity"):
        q.no_such_quantity


def test_stage1_margin_closed_forms_under_zero_init():
    """Zero init + Assumption 2: W_ov^(T) = T eta0 Wbar*_ov, so Delta_act = T eta0/||W*_ov|| = 4||W*_ov|| Delta_paper."""
    ds = example1()
    tr = two_stage_ngd(ds, 0.1, 0.025, 60, 2, record="full", progress=False)
    q = Measurements(tr, ds)
    s = math.sqrt(3)
    assert q.Delta_act == pytest.approx(60 * 0.1 / s, rel=1e-12)
    assert q.Delta_paper == pytest.approx(60 * 0.1 / (4 * 3), rel=1e-15)
    assert q.Delta_act == pytest.approx(4 * s * q.Delta_paper, rel=1e-12)
    assert cond.evaluate("EQM", q, 2).all() and cond.evaluate("EQM", q, 1).all()
    assert cond.evaluate("ALIGNED", q, 1)[1:].all() and not cond.evaluate("NOT_ALIGNED", q, 1).any()


def test_conditions_on_known_runs(ex1_random):
    ds, tr, q = ex1_random
    t = np.arange(41)
    assert not cond.evaluate("ZI", q, 1).any() and not cond.evaluate("EQM", q, 1)[1:].any()
    assert cond.evaluate("A1", q, 1).all() and cond.evaluate("PC", q, 1).all() and cond.evaluate("RZ", q, 1).all()
    assert (cond.evaluate("S1", q, 1) == (0.1 <= math.sqrt(3) / 2)).all()
    assert np.array_equal(cond.evaluate("t>=2", q, 1), t >= 2)
    assert np.array_equal(cond.evaluate("t<T", q, 1), t < 40)
    assert cond.evaluate("NOT_ALIGNED", q, 1).all()
    samples = Dataset.from_samples([(["a"], "b"), (["b"], "c"), (["c"], "a"), (["a", "c", "b"], "b")])
    trs = two_stage_ngd(samples, 0.1, 0.1, 3, 3, record="full", progress=False)
    assert not cond.evaluate("PC", Measurements(trs, samples), 1).any()
    with pytest.raises(ConfigError, match="no condition"):
        cond.evaluate("NOPE", q, 1)


# ---------------------------------------------------------------- the float64 backend

def test_log_softplus_and_logsumexp_against_mpmath():
    mpmath.mp.dps = 40
    x = np.array([-800.0, -50.0, -31.0, -29.0, -1.0, 0.0, 3.0, 40.0])
    want = [float(mpmath.log(mpmath.log1p(mpmath.e ** mpmath.mpf(v)))) for v in x]
    np.testing.assert_allclose(FLOAT64.log_softplus(x), want, rtol=1e-14)
    M = np.array([[1.0, -1000.0, 3.0], [2.0, 5.0, -np.inf]])
    mask = np.array([[True, True, False], [True, False, True]])
    got = FLOAT64.logsumexp(M, axis=1, mask=mask)
    assert got[0] == pytest.approx(float(mpmath.log(mpmath.e + mpmath.e ** -1000)), rel=1e-15)
    assert got[1] == pytest.approx(2.0, rel=1e-15)
    assert FLOAT64.logsumexp(np.array([[-np.inf, -np.inf]]), axis=1)[0] == -np.inf


def test_log_softmax_gives_equal_entries_equal_values():
    """Entries with equal scores get exactly equal log-weights, however large the scores (no ``a - lse``)."""
    a = np.array([[707106.78118655, -707106.78118655, 707106.78118655]])
    lp = FLOAT64.log_softmax(a, axis=1)
    assert lp[0, 0] == lp[0, 2] == pytest.approx(-math.log(2), rel=1e-15)
    assert np.exp(lp[0, 0]) + np.exp(lp[0, 2]) == 1.0


def test_segment_sum_is_a_grouped_sum():
    rng = np.random.default_rng(0)
    w, idx = rng.standard_normal((4, 9)), rng.integers(0, 5, size=9)
    want = np.stack([[w[t, idx == j].sum() for j in range(5)] for t in range(4)])
    _close(FLOAT64.segment_sum(w, idx, 5), want, rtol=1e-14)

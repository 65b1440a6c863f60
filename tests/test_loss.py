"""Losses L (Eq. 1), L_0 and their gradients (Eq. 5, 6): oracles, closed forms, saturation."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    corpora,
    seeds,
    SIZES_D,
    small_datasets,
    token_names,
    vocabularies,
    WEIGHT_SCALES,
    weights,
)

from reference import Dataset, Vocabulary
from reference.errors import AssumptionError, ConfigError, CorpusError, WeightsError
from reference.model.crossentropy import log_softplus, softplus
from reference.model.gradcheck import check_grad_complex_step, check_grad_directional
from reference.model.loss import grad_loss, grad_loss0, log_loss, log_loss0, loss, loss0
from reference.model.loss_scaled import grad_loss0_scaled, grad_loss_scaled, unit_grad_loss, unit_grad_loss0
from reference.model.transformer import transformer

#: Two float64 evaluations of the same smooth O(1) quantity along different
#: paths (loops vs matrix products, transported embeddings): a few hundred ulps.
EXACT_RTOL = 1e-12
#: Analytic gradients agree with the complex step to ~1e-10 relative.
CS_RTOL = 1e-10
#: Closed forms of the saturated regime are evaluated in log space; both sides
#: carry the rounding of numbers up to ~1e3 (a few ulps of 1e3 ~ 1e-13 absolute).
LOG_ATOL = 1e-11
#: Unit directions: entries O(1), rounding of O(10) terms each a few ulps.
DIR_ATOL = 1e-12
#: Weights of size a, formed in float64 as B E^T, carry logits with absolute
#: error ~ sqrt(d) eps a; saturated directions move relatively by that much.
INPUT_ROUNDING = 64 * np.finfo(float).eps
#: Scales for the complex-step oracle (exact at any scale) and saturated tests.
CS_SCALES = WEIGHT_SCALES + (10.0,)
#: ||G|| = 1 for a unit direction: one division by a norm, a few ulps.
UNIT_NORM_RTOL = 1e-14
#: The kq block normalised alone, compared with g_kq / ||g_kq|| from the plain gradient:
#: g_kq carries absolute rounding ~1e-13 ||joint gradient||, so once g_kq is above
#: KQ_SHARE of the joint norm its direction is known to ~1e-13 / KQ_SHARE = 1e-10;
#: below it the plain gradient is mostly round-off of cancelling terms (nothing to compare).
KQ_SHARE = 1e-3
KQ_DIR_RTOL = 1e-9
#: exp(log_norm) is representable (and well above the denormals) above this log-norm.
REPRESENTABLE_LOG = -600.0
#: The plain gradient against the closed form where it is representable: the closed form's
#: entries and the sum over sentences each carry a few hundred ulps (logits up to 1e3).
PLAIN_GRAD_RTOL = 1e-10


def _loss_problem(data, with_collocation=False, scales=WEIGHT_SCALES):
    vocab = data.draw(vocabularies())
    ds = data.draw(small_datasets(vocab, with_collocation=with_collocation))
    W_ov, W_kq = data.draw(weights(vocab, scales=scales))
    return ds, W_ov, W_kq


def _rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300)


# ---------------------------------------------------------------- gradients against oracles
@settings(max_examples=20)
@given(st.data())
def test_grad_loss_matches_complex_step(data):
    ds, W_ov, W_kq = _loss_problem(data, scales=CS_SCALES)
    res = check_grad_complex_step(lambda a, b: loss(a, b, ds), lambda a, b: grad_loss(a, b, ds),
                                  (W_ov, W_kq), rtol=CS_RTOL)
    assert res.ok, res


@settings(max_examples=20)
@given(st.data())
def test_grad_loss0_matches_complex_step(data):
    ds, W_ov, _ = _loss_problem(data, with_collocation=True, scales=CS_SCALES)
    res = check_grad_complex_step(lambda a: loss0(a, ds), lambda a: grad_loss0(a, ds), W_ov,
                                  rtol=CS_RTOL)
    assert res.ok, res


@given(st.data())
def test_gradients_pass_the_directional_check(data):
    ds, W_ov, W_kq = _loss_problem(data, with_collocation=True)
    rng = np.random.default_rng(data.draw(seeds))
    assert check_grad_directional(lambda a, b: loss(a, b, ds), lambda a, b: grad_loss(a, b, ds),
                                  (W_ov, W_kq), rng=rng).ok
    assert check_grad_directional(lambda a: loss0(a, ds), lambda a: grad_loss0(a, ds), W_ov, rng=rng).ok


@settings(max_examples=10)
@given(seeds)
def test_non_orthonormal_embeddings_work_on_the_literal_path(seed):
    rng = np.random.default_rng(seed)
    E = rng.standard_normal((7, 5))
    vocab = Vocabulary(token_names(5), E, allow_non_orthonormal=True)
    ds = Dataset.from_samples([("t0 t1 t2", "t3"), ("t4 t4", "t0"), ("t1", "t2")], vocab=vocab)
    W_ov, W_kq = rng.standard_normal((5, 7)), 0.3 * rng.standard_normal((7, 7))
    res = check_grad_complex_step(lambda a, b: loss(a, b, ds), lambda a, b: grad_loss(a, b, ds),
                                  (W_ov, W_kq), rtol=CS_RTOL)
    assert res.ok, res


# ---------------------------------------------------------------- the losses as defined
@given(st.data())
def test_loss_is_the_mean_over_the_raw_prefix_closed_samples(data):
    vocab = data.draw(vocabularies())
    lines = data.draw(corpora(vocab))
    W_ov, W_kq = data.draw(weights(vocab))
    raw = []
    for line in lines:                                        # prefix closure by hand
        words = line.split()
        raw += [(words[:l], words[l]) for l in range(1, len(words))]
    ce = [-np.log(transformer(W_ov, W_kq, vocab.embed([vocab.index(w) for w in prefix]))[vocab.index(nxt)])
          for prefix, nxt in raw]
    ds = Dataset.from_corpus(lines, vocab=vocab)
    np.testing.assert_allclose(loss(W_ov, W_kq, ds), np.mean(ce), rtol=EXACT_RTOL)


@given(st.data())
def test_loss0_is_the_sum_over_tokens(data):
    ds, W_ov, W_kq = _loss_problem(data, with_collocation=True)
    E = ds.vocab.E
    n_of = {int(s[0]): y for s, y, _ in ds.samples() if s.size == 1}
    assert sorted(n_of) == list(range(ds.vocab.n_tokens))
    expected = sum(-np.log(transformer(W_ov, W_kq, E[:, [i]])[n_of[i]]) for i in n_of)
    np.testing.assert_allclose(loss0(W_ov, ds), expected, rtol=EXACT_RTOL)


@given(st.data())
def test_log_losses_are_logs_of_the_losses(data):
    ds, W_ov, W_kq = _loss_problem(data, with_collocation=True)
    np.testing.assert_allclose(log_loss(W_ov, W_kq, ds), np.log(loss(W_ov, W_kq, ds)),
                               rtol=EXACT_RTOL, atol=EXACT_RTOL)
    np.testing.assert_allclose(log_loss0(W_ov, ds), np.log(loss0(W_ov, ds)), rtol=EXACT_RTOL,
                               atol=EXACT_RTOL)


@given(st.data())
def test_loss_is_invariant_to_the_orthonormal_embedding(data):
    # W_ov' E' = W_ov E and E'^T W_kq' E' = E^T W_kq E: same model, same loss; gradients transport.
    ds, W_ov, W_kq = _loss_problem(data, with_collocation=True)
    E = ds.vocab.E
    d2 = data.draw(st.sampled_from([d for d in SIZES_D if d >= ds.vocab.n_tokens]))
    vocab2 = Vocabulary.random_orthonormal(ds.vocab.tokens, d2, rng=np.random.default_rng(data.draw(seeds)))
    E2, ds2 = vocab2.E, ds.with_vocab(vocab2)
    W_ov2, W_kq2 = (W_ov @ E) @ E2.T, E2 @ (E.T @ W_kq @ E) @ E2.T
    np.testing.assert_allclose(loss(W_ov2, W_kq2, ds2), loss(W_ov, W_kq, ds), rtol=EXACT_RTOL)
    np.testing.assert_allclose(loss0(W_ov2, ds2), loss0(W_ov, ds), rtol=EXACT_RTOL)
    g_ov, g_kq = grad_loss(W_ov, W_kq, ds)
    g_ov2, g_kq2 = grad_loss(W_ov2, W_kq2, ds2)
    assert _rel(g_ov2 @ E2, g_ov @ E) < EXACT_RTOL
    assert _rel(E2.T @ g_kq2 @ E2, E.T @ g_kq @ E) < EXACT_RTOL
    assert _rel(grad_loss0(W_ov2, ds2) @ E2, grad_loss0(W_ov, ds) @ E) < EXACT_RTOL


# ---------------------------------------------------------------- scaled and unit gradients
@given(st.data())
def test_scaled_gradients_times_their_scale_are_the_gradients(data):
    ds, W_ov, W_kq = _loss_problem(data, with_collocation=True)
    g_ov, g_kq = grad_loss(W_ov, W_kq, ds)
    log_c, G_ov, G_kq = grad_loss_scaled(W_ov, W_kq, ds)
    np.testing.assert_allclose(np.linalg.norm(G_ov) ** 2 + np.linalg.norm(G_kq) ** 2, 1.0, rtol=UNIT_NORM_RTOL)
    joint = math.sqrt(np.linalg.norm(g_ov) ** 2 + np.linalg.norm(g_kq) ** 2)
    assert _rel(np.exp(log_c) * G_ov, g_ov) < EXACT_RTOL * joint / np.linalg.norm(g_ov)
    assert np.linalg.norm(np.exp(log_c) * G_kq - g_kq) < EXACT_RTOL * joint
    g0 = grad_loss0(W_ov, ds)
    log_c0, G0 = grad_loss0_scaled(W_ov, ds)
    assert _rel(np.exp(log_c0) * G0, g0) < EXACT_RTOL
    assert _rel(unit_grad_loss0(W_ov, ds), g0 / np.linalg.norm(g0)) < EXACT_RTOL
    u = unit_grad_loss(W_ov, W_kq, ds, wrt=("ov", "kq"))
    assert _rel(u["kq"], g_kq / joint) * np.linalg.norm(g_kq) < EXACT_RTOL * joint
    if np.linalg.norm(g_kq) > KQ_SHARE * joint:  # else g_kq is mostly round-off of cancelling terms
        assert _rel(unit_grad_loss(W_ov, W_kq, ds)["kq"], g_kq / np.linalg.norm(g_kq)) < KQ_DIR_RTOL


def _collocation_weights(vocab, In, a):
    """``W_ov = a sum_x (e_{In(x)} - 1/abs(V)) x^T``: ``a`` times the closed-form W*_ov (Eq. 2)."""
    V = vocab.n_tokens
    B = np.full((V, V), -a / V)
    B[In, np.arange(V)] += a
    return B @ vocab.E.T


@pytest.mark.parametrize("a", [0.5, 3.0, 20.0, 50.0, 300.0, 1e3, 1e4])
@pytest.mark.parametrize("V, d", [(3, 3), (5, 11), (7, 7)])
def test_stage1_saturated_closed_forms(a, V, d):
    # B = a (e_y - 1/V) per column: -log p_y = log(1 + (V-1) e^{-a}) for every token, so
    # L_0 = V log1p((V-1) e^{-a}) and log L_0 = log V + log log1p((V-1) e^{-a}) ~ log(V(V-1)) - a;
    # grad column x: p - e_y = p_v (1 - V e_y), i.e. direction -W*_ov / ||W*_ov||, ||W*_ov|| = sqrt(V-1).
    rng = np.random.default_rng(V * 1000 + d)
    vocab = (Vocabulary(token_names(V)) if d == V else
             Vocabulary.random_orthonormal(token_names(V), d, rng=rng))
    In = rng.permutation(V)
    ds = Dataset.from_samples([([vocab.tokens[i]], vocab.tokens[In[i]]) for i in range(V)], vocab=vocab)
    W_ov = _collocation_weights(vocab, In, a)
    if a <= 20:
        expected = math.log(V * math.log1p((V - 1) * math.exp(-a)))
        np.testing.assert_allclose(loss0(W_ov, ds), V * math.log1p((V - 1) * math.exp(-a)), rtol=EXACT_RTOL)
    else:                                  # (V-1) e^{-a} < 1e-20: log log1p(t) = log t to float64
        expected = math.log(V * (V - 1)) - a
    assert abs(log_loss0(W_ov, ds) - expected) <= LOG_ATOL * max(1.0, abs(expected))
    W_star = _collocation_weights(vocab, In, 1.0)
    np.testing.assert_allclose(unit_grad_loss0(W_ov, ds), -W_star / math.sqrt(V - 1), rtol=0,
                               atol=DIR_ATOL + INPUT_ROUNDING * a)
    log_c, _ = grad_loss0_scaled(W_ov, ds)
    # ||grad|| = V p_v ||1 - V e_y|| ... = sqrt(V) p_v sqrt(V (V-1)), p_v = e^{-a} / (1 + (V-1) e^{-a})
    expected_log_norm = 0.5 * math.log(V * V * (V - 1)) - a - math.log1p((V - 1) * math.exp(-a))
    assert abs(log_c - expected_log_norm) <= LOG_ATOL * max(1.0, a)


def _two_token_problem(V, d, a, c, seed, repeats=0):
    """Sentences ``[x_k, x_q] -> In(x_k)``, distinct queries, ``A[x_k, x_q] = c_n``, ``A[x_q, x_q] = 0``.

    With ``repeats = m``, also ``[x_q] * j -> In(x_q)`` for j = 2 .. m+1: uniform attention on one
    token, so they add *exactly zero* to ``grad_W_kq L`` while their loss terms (~e^{-a}) dwarf
    the saturated ones (~e^{-a - c}).

    Returns the dataset, weights, per two-token sentence ``(pi, k, q, c_n)``, the pi of the
    repeated sentences, and the vocabulary.
    """
    rng = np.random.default_rng(seed)
    vocab = (Vocabulary(token_names(V)) if d == V else
             Vocabulary.random_orthonormal(token_names(V), d, rng=rng))
    In, queries = rng.permutation(V), rng.permutation(V)[:max(2, V - 2)]
    keys = [int(rng.choice([k for k in range(V) if k != q])) for q in queries]
    counts = rng.integers(1, 4, size=len(queries))
    cs = c + 0.5 * np.arange(len(queries))
    A = np.zeros((V, V))
    samples = []
    for k, q, cnt, c_n in zip(keys, queries, counts, cs):
        A[k, q] = c_n
        samples += [([vocab.tokens[k], vocab.tokens[q]], vocab.tokens[In[k]])] * int(cnt)
    for q in queries:
        for j in range(2, repeats + 2):
            samples.append(([vocab.tokens[q]] * j, vocab.tokens[In[q]]))
    ds = Dataset.from_samples(samples, vocab=vocab)
    W_ov, W_kq = _collocation_weights(vocab, In, a), vocab.E @ A @ vocab.E.T
    total = counts.sum() + repeats * len(queries)
    sents = [(counts[n] / total, keys[n], queries[n], c_n) for n, c_n in enumerate(cs)]
    return ds, W_ov, W_kq, sents, [1 / total] * (repeats * len(queries)), vocab


@pytest.mark.parametrize("repeats", [0, 2])
@pytest.mark.parametrize("a, c", [(2.0, 1.0), (5.0, 3.0), (200.0, 50.0), (1e3, 2.0), (1e3, 1e3), (3.0, 1e3),
                                  (1e4, 5.0), (1e4, 1e4)])
@pytest.mark.parametrize("V, d", [(3, 5), (5, 5), (7, 11)])
def test_stage2_saturated_closed_forms(a, c, V, d, repeats):
    # att = (sigma(c), sigma(-c)); Tbar_y - Tbar_z = a(att1 - att2), Tbar_y - Tbar_v = a att1 (v != y, z):
    # -log p_y = log(1 + e^{-Dz} + (V-2) e^{-Dv});  grad_W_kq = sum_n pi dL/ds_1 (x_k - x_q) x_q^T with
    # dL/ds_1 = -att1 att2 a (1 - p_y + p_z), 1 - p_y + p_z = (2e^{-Dz} + (V-2)e^{-Dv}) / (1 + e^{-Dz} + (V-2)e^{-Dv}).
    # A repeated-token sentence [x_q]*j has Tbar = a (e_{In(q)} - 1/V): -log p_y = log(1 + (V-1) e^{-a}).
    ds, W_ov, W_kq, sents, pi_rep, vocab = _two_token_problem(V, d, a, c, seed=V * 100 + d, repeats=repeats)
    E = vocab.E
    log_terms, log_coef, D = [], [], []
    for pi_n, k, q, c_n in sents:
        att1, att2 = 1 / (1 + math.exp(-c_n)), math.exp(-c_n) / (1 + math.exp(-c_n))
        log_att1, log_att2 = -math.log1p(math.exp(-c_n)), -c_n - math.log1p(math.exp(-c_n))
        Dz, Dv = a * (att1 - att2), a * att1
        t = math.exp(-Dz) + (V - 2) * math.exp(-Dv)
        log_t = np.logaddexp(-Dz, math.log(V - 2) - Dv)
        log_ce = math.log(math.log1p(t)) if t > 1e-20 else log_t
        log_terms.append(math.log(pi_n) + log_ce)
        log_r = np.logaddexp(math.log(2) - Dz, math.log(V - 2) - Dv) - math.log1p(t)
        log_coef.append(math.log(pi_n) + log_att1 + log_att2 + math.log(a) + log_r)
        D.append(-np.outer(E[:, k] - E[:, q], E[:, q]))          # sign: dL/ds_1 < 0
    t_rep = (V - 1) * math.exp(-a)
    log_ce_rep = math.log(math.log1p(t_rep)) if t_rep > 1e-20 else math.log(V - 1) - a
    log_terms += [math.log(p) + log_ce_rep for p in pi_rep]
    expected_log_loss = np.logaddexp.reduce(log_terms)
    assert abs(log_loss(W_ov, W_kq, ds) - expected_log_loss) <= LOG_ATOL * max(1.0, abs(expected_log_loss))
    m = max(log_coef)
    direction = sum(math.exp(lc - m) * Dn for lc, Dn in zip(log_coef, D))
    log_norm = m + math.log(np.linalg.norm(direction))
    direction /= np.linalg.norm(direction)
    np.testing.assert_allclose(unit_grad_loss(W_ov, W_kq, ds)["kq"], direction, rtol=0,
                               atol=DIR_ATOL + INPUT_ROUNDING * (a + c))
    log_c, G_ov, G_kq = grad_loss_scaled(W_ov, W_kq, ds)
    g_ov, g_kq = grad_loss(W_ov, W_kq, ds)
    if log_norm > REPRESENTABLE_LOG:       # the plain gradient is representable: it agrees too
        np.testing.assert_allclose(g_kq, math.exp(log_norm) * direction, rtol=0,
                                   atol=PLAIN_GRAD_RTOL * math.exp(log_norm))
        np.testing.assert_allclose(np.exp(log_c) * G_kq, g_kq, rtol=0, atol=PLAIN_GRAD_RTOL * math.exp(log_norm))
        np.testing.assert_allclose(np.exp(log_c) * G_ov, g_ov, rtol=0, atol=PLAIN_GRAD_RTOL * np.linalg.norm(g_ov))


@pytest.mark.parametrize("u", [-745.0, -100.0, -40.0, -30.5, -29.5, -5.0, 0.0, 3.0, 40.0, 700.0])
def test_softplus_and_its_log_against_the_closed_form(u):
    # softplus(u) = log(1 + e^u): math.log1p/exp are correctly rounded to an ulp where nothing
    # overflows; log softplus(u) = u + log1p(-e^u/2 + ...) below -30 (series, exact to float64).
    exact = math.log1p(math.exp(u)) if u < 30 else u + math.log1p(math.exp(-u))
    assert softplus(u) == pytest.approx(exact, rel=EXACT_RTOL, abs=0)
    log_exact = math.log(exact) if exact > 0 and u > -700 else u
    assert log_softplus(u) == pytest.approx(log_exact, rel=EXACT_RTOL)
    # both branches of log_softplus agree across the switch at -30 (series remainder e^{2u} ~ 1e-26)
    assert log_softplus(-30.0 - 1e-9) == pytest.approx(math.log(math.log1p(math.exp(-30.0 - 1e-9))), rel=EXACT_RTOL)


def test_softplus_overflows_nowhere_and_log_softplus_goes_far_below_the_smallest_float():
    assert softplus(1e5) == 1e5 and softplus(-1e5) == 0.0
    assert log_softplus(-1e5) == -1e5 and log_softplus(-np.inf) == -np.inf
    for f in (softplus, log_softplus):
        with pytest.raises(WeightsError, match="scalar"):
            f(np.array([1.0, 2.0]))
    with pytest.raises(WeightsError, match="real scalar"):
        log_softplus(1j)


def test_one_token_vocabulary_has_exactly_zero_loss():
    ds = Dataset.from_corpus(["a a a"])
    W_ov, W_kq = np.ones((1, 1)), np.ones((1, 1))
    assert loss(W_ov, W_kq, ds) == 0.0 and loss0(W_ov, ds) == 0.0
    assert log_loss(W_ov, W_kq, ds) == -np.inf and log_loss0(W_ov, ds) == -np.inf
    for g in grad_loss(W_ov, W_kq, ds) + (grad_loss0(W_ov, ds),):
        np.testing.assert_array_equal(g, 0.0)
    log_c, G_ov, G_kq = grad_loss_scaled(W_ov, W_kq, ds)
    assert log_c == -np.inf and not G_ov.any() and not G_kq.any()
    assert not unit_grad_loss(W_ov, W_kq, ds, wrt=("ov", "kq"))["kq"].any()
    assert grad_loss0_scaled(W_ov, ds)[0] == -np.inf


# ---------------------------------------------------------------- bad input
def _ex():
    return Dataset.from_corpus(["S V O P", "V O P", "O P P", "P S V"])


@pytest.mark.parametrize("W_ov, W_kq, match", [
    (np.zeros((4, 3)), np.zeros((4, 4)), r"W_ov must have shape \(4, 4\)"),
    (np.zeros((4, 4)), np.zeros((4, 5)), r"W_kq must have shape \(4, 4\)"),
    (np.full((4, 4), np.nan), np.zeros((4, 4)), "W_ov.*nan"),
    (np.zeros((4, 4)), np.full((4, 4), np.inf), "W_kq.*inf"),
    (np.zeros((4, 4), dtype=bool), np.zeros((4, 4)), "dtype bool"),
    (np.zeros((4, 4)), np.zeros((4, 4), dtype=object), "dtype object"),
])
def test_bad_weights_raise(W_ov, W_kq, match):
    ds = _ex()
    for f in (loss, log_loss, grad_loss, grad_loss_scaled, unit_grad_loss):
        with pytest.raises(WeightsError, match=match):
            f(W_ov, W_kq, ds)
    if "W_ov" in match or "bool" in match:
        for f in (loss0, log_loss0, grad_loss0, grad_loss0_scaled, unit_grad_loss0):
            with pytest.raises(WeightsError, match=match):
                f(W_ov, ds)


def test_complex_weights_only_for_the_complex_safe_losses():
    ds, W = _ex(), np.zeros((4, 4), dtype=complex)
    assert np.iscomplexobj(loss(W, W, ds)) and np.iscomplexobj(loss0(W, ds))
    for f in (log_loss, grad_loss, grad_loss_scaled):
        with pytest.raises(WeightsError, match="real numeric"):
            f(W, W, ds)
    with pytest.raises(WeightsError, match="real numeric"):
        grad_loss0(W, ds)


def test_loss0_needs_a_collocation():
    ds = Dataset.from_samples([("a b", "c"), ("c", "a")])
    with pytest.raises(AssumptionError, match="'a', 'b'"):
        loss0(np.zeros((3, 3)), ds)


def test_bad_dataset_and_wrt_raise():
    with pytest.raises(CorpusError, match="Dataset"):
        loss(np.zeros((4, 4)), np.zeros((4, 4)), ["S V"])
    for wrt in ((), ("W_kq",), ("kq", "kq")):
        with pytest.raises(ConfigError, match="wrt"):
            unit_grad_loss(np.zeros((4, 4)), np.zeros((4, 4)), _ex(), wrt=wrt)


# ------------------------------------------------------------------ saturated direction against mpmath
#: A unit direction computed from weights of size s = 3e3 in float64: every score and logit carries
#: ~eps * s = 7e-13 of rounding, which reaches the direction only through the (tiny) weights of the
#: non-dominant positions once the attention is taken relative to its largest entry (1e-13 measured
#: on eight such problems). Computing log-attention as ``s - logsumexp(s)`` instead loses eps * s on
#: the dominant position too and errs by 1.2e-11 on the problem below.
SATURATED_DIR_ATOL = 1e-12


def _mp_unit_grad_kq(W_ov, W_kq, ds, dps):
    """``grad_{W_kq} L / ||.||`` of Eq. (6) in mpmath at ``dps`` digits, from the float inputs taken exactly."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(dps):
        Wov, Wkq = mpmath.matrix(W_ov.tolist()), mpmath.matrix(W_kq.tolist())
        d = W_kq.shape[0]
        G = mpmath.zeros(d, d)
        for n, (_, y, pi) in enumerate(ds.samples()):
            X = mpmath.matrix(ds.X(n).tolist())
            L = X.cols
            xL = X[:, L - 1]
            s = [(X[:, l].T * Wkq * xL)[0] for l in range(L)]
            m = max(s)
            e = [mpmath.exp(v - m) for v in s]
            att = [v / sum(e) for v in e]
            xbar = sum((att[l] * X[:, l] for l in range(L)), mpmath.zeros(d, 1))
            Tbar = Wov * xbar
            mt = max(Tbar)
            ez = [mpmath.exp(Tbar[v] - mt) for v in range(Tbar.rows)]
            r = mpmath.matrix([v / sum(ez) for v in ez])
            r[int(y)] = -sum(r[v] for v in range(r.rows) if v != int(y))     # T - y, no cancellation
            g = [(r.T * Wov * X[:, l])[0] for l in range(L)]
            gbar = sum(att[l] * g[l] for l in range(L))
            for l in range(L):
                G += mpmath.mpf(float(pi)) * att[l] * (g[l] - gbar) * X[:, l] * xL.T
        nrm = mpmath.sqrt(sum(G[i, j] ** 2 for i in range(d) for j in range(d)))
        return np.array([[float(G[i, j] / nrm) for j in range(d)] for i in range(d)])


def test_saturated_direction_agrees_with_mpmath_with_repeated_tokens_and_uneven_counts():
    """Weights aligned with ``W*`` at norm 3e3 (``L`` ~ e^-1340), random orthonormal ``E`` (d = 8),
    sentences mixing repeated and different tokens, uneven counts: the literal unit direction of
    ``grad_{W_kq} L`` equals a 1500-digit evaluation of Eq. (6)."""
    from reference import random_realizable
    from reference.maxmargin import max_margin_kq, max_margin_ov
    rng = np.random.default_rng(1)
    base = random_realizable(6, L_max=6, d=8, rng=rng)     # sentences mixing a repeated token with others
    samples = list(base.samples())
    ds = Dataset(base.vocab, [t for t, _, _ in samples], [y for _, y, _ in samples],
                 rng.integers(1, 6, size=len(samples)))
    assert any(1 < len(set(t.tolist())) < len(t) for t, _, _ in samples) and len(set(ds.counts.tolist())) > 1
    W_ov, W_kq = max_margin_ov(ds).W, max_margin_kq(ds).W
    W_ov, W_kq = 3e3 * W_ov / np.linalg.norm(W_ov), 3e3 * W_kq / np.linalg.norm(W_kq)
    assert log_loss(W_ov, W_kq, ds) < -300                 # saturated: 1 - p_y is far below float64 resolution
    expected = _mp_unit_grad_kq(W_ov, W_kq, ds, dps=1500)
    np.testing.assert_allclose(unit_grad_loss(W_ov, W_kq, ds)["kq"], expected, rtol=0, atol=SATURATED_DIR_ATOL)

"""The two faces of the mathematics agree (docs/derivations.md, "Two faces").

The literal functions of :mod:`reference.model.loss` (a loop over ``d x L``
sentence matrices) and the engine of :mod:`reference.training.engine` (token
coordinates, no ``X``) are independent computations of the same quantities.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import seeds, small_datasets, vocabularies

from reference.model.loss import log_loss, log_loss0, loss, loss0
from reference.model.loss_scaled import unit_grad_loss, unit_grad_loss0
from reference.training.engine import Engine

#: Both faces are backward-stable float64 evaluations with O(1) condition numbers on
#: these inputs; 1e-12 relative leaves room for O(N L) summation-order differences.
FACE_RTOL = 1e-12
#: Entries of unit directions are compared absolutely (their scale is 1).
FACE_ATOL_DIR = 1e-12
#: At weights of size c the exponents carry absolute rounding error ~c * eps (2e-12 at
#: c = 1e4), which moves the unit direction by as much; 1e-11 covers c <= 1e4.
SATURATED_ATOL_DIR = 1e-11


@settings(max_examples=30)
@given(data=st.data(), seed=seeds, scale=st.sampled_from([0.1, 1.0, 3.0, 30.0]))
def test_literal_face_equals_engine(data, seed, scale):
    vocab = data.draw(vocabularies())
    ds = data.draw(small_datasets(vocab, with_collocation=True))
    eng = Engine(ds)
    rng = np.random.default_rng(seed)
    V, d = vocab.n_tokens, vocab.d
    # weights in the span of the embeddings, as Algorithm 1 produces from zero
    B, A = scale * rng.standard_normal((2, V, V))
    W_ov, W_kq = eng.to_weights(B, A)
    np.testing.assert_allclose(eng.to_coords(W_ov, W_kq)[0], B, atol=1e-13 * max(1, scale))

    e = eng.stage2(B, A, grad=("B", "A"))
    assert e.loss == pytest.approx(loss(W_ov, W_kq, ds), rel=FACE_RTOL)
    assert e.log_loss == pytest.approx(log_loss(W_ov, W_kq, ds), rel=FACE_RTOL, abs=FACE_RTOL)
    u = unit_grad_loss(W_ov, W_kq, ds, wrt=("ov", "kq"))
    gW_ov, gW_kq = eng.to_weights(e.grad_dir["B"], e.grad_dir["A"])
    np.testing.assert_allclose(gW_ov, u["ov"], atol=FACE_ATOL_DIR)
    np.testing.assert_allclose(gW_kq, u["kq"], atol=FACE_ATOL_DIR)
    eA = eng.stage2(B, A)
    np.testing.assert_allclose(eng.to_weights(B, eA.grad_dir["A"])[1],
                               unit_grad_loss(W_ov, W_kq, ds)["kq"], atol=FACE_ATOL_DIR)

    e0 = eng.stage1(B)
    assert e0.loss0 == pytest.approx(loss0(W_ov, ds), rel=FACE_RTOL)
    assert e0.log_loss0 == pytest.approx(log_loss0(W_ov, ds), rel=FACE_RTOL, abs=FACE_RTOL)
    np.testing.assert_allclose(e0.grad_dir @ vocab.E.T, unit_grad_loss0(W_ov, ds), atol=FACE_ATOL_DIR)


@settings(max_examples=15)
@given(data=st.data(), seed=seeds, c=st.sampled_from([100.0, 1e3, 1e4]))
def test_faces_agree_in_the_saturated_regime(data, seed, c):
    """At weights c * (structured W_ov, random W_kq) losses underflow; log-losses and directions still agree."""
    vocab = data.draw(vocabularies())
    ds = data.draw(small_datasets(vocab, with_collocation=True))
    eng = Engine(ds)
    V = vocab.n_tokens
    B = np.full((V, V), -c / V)
    B[eng.In, np.arange(V)] += c
    A = c * np.random.default_rng(seed).standard_normal((V, V)) / 10
    W_ov, W_kq = eng.to_weights(B, A)
    e = eng.stage2(B, A)
    assert e.log_loss == pytest.approx(log_loss(W_ov, W_kq, ds), rel=FACE_RTOL, abs=FACE_RTOL)
    if np.isfinite(e.log_grad_norm):
        np.testing.assert_allclose(eng.to_weights(B, e.grad_dir["A"])[1],
                                   unit_grad_loss(W_ov, W_kq, ds)["kq"], atol=SATURATED_ATOL_DIR)
    e0 = eng.stage1(B)
    assert e0.log_loss0 == pytest.approx(log_loss0(W_ov, ds), rel=FACE_RTOL, abs=FACE_RTOL)

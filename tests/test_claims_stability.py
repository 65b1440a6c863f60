"""Claim 3 of docs/claims.md: the aligned zero-init stage 1 is linearly unstable for ``eta0 > 2||W*_ov||``.

The per-step factors of the linearisation are checked against finite differences of the
literal face's normalised step, the growth of a 1e-12 perturbation against the
prediction (float64 engine and an mpmath run of Eq. (5)), and the runs of ``verify``
are reported: the large-step ones amplify any perturbation by 10^1753 (Example 1) and
10^59.7 (Theorem 2's counterexample), so only arithmetic that treats every column alike
can follow the exact trajectory they audit.
"""

import math

import mpmath as mp
import numpy as np
import pytest

from reference.data.dataset import Dataset
from reference.data.vocabulary import Vocabulary
from reference.experiments.verify import COUNTEREXAMPLES, LARGE_STEPS, VERIFY
from reference.maxmargin import W_ov_star_closed_form
from reference.model.loss_scaled import unit_grad_loss0
from reference.structure.generate import example1
from reference.structure.orders import collocation
from reference.theory.stability import (
    stage1_components,
    stage1_growth_factors,
    stage1_perturbation_growth,
    stage1_predicted_log10_growth,
)
from reference.training.algorithm import two_stage_ngd


def _bstar(ds):
    V, In = ds.vocab.n_tokens, collocation(ds)
    b = -np.full((V, V), 1.0 / V)
    b[In, np.arange(V)] += 1.0
    return b


@pytest.mark.parametrize("eta0", [0.5, 3.0, 100.0])
@pytest.mark.parametrize("t", [0, 1, 4])
def test_factors_are_the_linearised_step(eta0, t):
    """Central differences of ``W -> W - eta0 g(W)`` (the literal face, paper coordinates) at ``t eta0 W_bar*``."""
    ds = example1()
    V, E = 4, ds.vocab.E
    B0 = _bstar(ds)
    star = math.sqrt(V - 1)
    Bt = t * eta0 * B0 / star

    def step(B):
        return B - eta0 * (unit_grad_loss0(B @ E.T, ds) @ E)

    rng = np.random.default_rng(3)
    s = rng.standard_normal(V)
    margin_dir = (s - s.mean())[None, :] * B0                       # unequal margins
    R = rng.standard_normal((V, V))
    R -= R.mean(axis=0)
    wrong_dir = R - (np.sum(R * B0, axis=0) / np.sum(B0 * B0, axis=0))[None, :] * B0   # unequal wrong logits
    mg, wr = stage1_growth_factors([t], eta0=eta0, n_tokens=V, star_norm_ov=star)
    h = 1e-6
    for d, f in ((margin_dir, mg[0]), (wrong_dir, wr[0]), (B0, 1.0), (np.ones((V, V)), 1.0)):
        d = d / np.linalg.norm(d)
        J = (step(Bt + h * d) - step(Bt - h * d)) / (2 * h)
        np.testing.assert_allclose(J, f * d, rtol=0, atol=1e-6 * max(1.0, abs(f)))


def test_thresholds():
    """Unstable margins iff ``kappa p_t > 2`` (``kappa > 2`` eventually), wrong logits iff ``kappa > 2|V|``."""
    t = np.arange(200)
    for kappa in (1.9, 2.0, 2.1, 7.9, 8.1):
        mg, wr = stage1_growth_factors(t, eta0=kappa, n_tokens=4, star_norm_ov=1.0)
        assert (np.abs(mg[-1]) > 1) == (kappa > 2)
        assert np.all((np.abs(wr) > 1) == (kappa > 8))
    a, b = stage1_predicted_log10_growth(200, eta0=2.1, n_tokens=4, star_norm_ov=1.0)
    assert a > 0 > b
    assert stage1_predicted_log10_growth(200, eta0=1.9, n_tokens=4, star_norm_ov=1.0)[0] < 0


def _mp_stage1(ds, W0, eta0, steps):
    """Stage 1 of Algorithm 1 in mpmath: Eq. (5) written out, ``E = I``."""
    V = ds.vocab.n_tokens
    In = collocation(ds)
    W = mp.matrix(W0.tolist())
    out = [W.copy()]
    for _ in range(steps):
        G = mp.zeros(V, V)
        for x in range(V):
            z = [W[v, x] for v in range(V)]
            m = max(z)
            e = [mp.e ** (zi - m) for zi in z]
            S = sum(e)
            for v in range(V):
                G[v, x] = e[v] / S
            G[In[x], x] = -sum(e[v] for v in range(V) if v != In[x]) / S     # phi - e_In(x) without cancelling
        W = W - eta0 * G / mp.norm(G)
        out.append(W.copy())
    return out


def _mp_components(ds, W):
    """:func:`stage1_components` in mpmath (float64 would floor them at ~1e-14 of the entries)."""
    V, b = ds.vocab.n_tokens, _bstar(ds)
    Bc = [[W[v, x] - sum(W[k, x] for k in range(V)) / V for x in range(V)] for v in range(V)]
    s = [sum(Bc[v][x] * b[v, x] for v in range(V)) * V / (V - 1) for x in range(V)]
    sbar = sum(s) / V
    margin = mp.sqrt(sum((sx - sbar) ** 2 for sx in s) * (V - 1) / V)
    wrong = mp.sqrt(sum((Bc[v][x] - s[x] * b[v, x]) ** 2 for v in range(V) for x in range(V)))
    return margin, wrong


def test_perturbation_grows_as_predicted_on_the_large_step_run():
    """Example 1 with verify's ``eta0 = 100``: a 1e-12 perturbation grows by ``|1 - kappa p_t|`` per step
    (56.7 from t = 1), measured by the engine and by mpmath, and splits the margins after ~8 steps."""
    ds = example1()
    eta0 = LARGE_STEPS["eta0"]
    r = stage1_perturbation_growth(ds, eta0, 30, rng=np.random.default_rng(0))
    assert r.kappa == pytest.approx(100 / math.sqrt(3))
    assert r.linear_steps >= 5 and r.max_rel_error < 1e-2
    assert 6 <= r.steps_to_unit <= 10
    assert r.final_margin_spread > 1 and r.final_cos < 1 - 1e-7            # alignment is lost
    mg, _ = stage1_growth_factors(np.arange(4), eta0=eta0, n_tokens=4, star_norm_ov=math.sqrt(3))
    np.testing.assert_allclose(r.margin[1:5] / r.margin[:4], np.abs(mg), rtol=1e-2)
    # the same initial perturbation in mpmath (60 digits): Eq. (5) from scratch
    rng = np.random.default_rng(0)
    U = rng.standard_normal((4, 4))
    with mp.workdps(60):
        its = _mp_stage1(ds, 1e-12 * U / np.linalg.norm(U), eta0, 5)
        comps = np.array([[float(c) for c in _mp_components(ds, W)] for W in its])
    # float64 measures a 1e-12 part of entries ~50 to ~1e-3 (their ulp is ~1e-14)
    np.testing.assert_allclose(comps[1:, 0], r.margin[1:6], rtol=1e-2)
    np.testing.assert_allclose(comps[1:, 1], r.wrong[1:6], rtol=1e-2)
    # in 60 digits the growth is the predicted factor up to second-order terms (the components reach 1e-6)
    np.testing.assert_allclose(comps[1:, 0] / comps[:-1, 0], np.abs(mg[0:1].tolist() + [1 - r.kappa] * 4),
                               rtol=1e-6)
    np.testing.assert_allclose(comps[1:, 1] / comps[:-1, 1], abs(1 - r.kappa / 4), rtol=1e-6)


def test_stable_steps_damp_the_perturbation():
    """verify's Example 1 (``eta0 = 0.1``, kappa = 0.058): the perturbation decays, alignment is kept."""
    ds = example1()
    r = stage1_perturbation_growth(ds, VERIFY["example1"]["eta0"], 200, rng=np.random.default_rng(1))
    assert max(r.predicted_log10) < 0 and r.steps_to_unit is None
    assert r.margin[-1] < r.margin[0] and r.final_cos == pytest.approx(1.0, abs=1e-14)


def test_verify_runs_exact_trajectory_and_growth_figures():
    """The large-step runs of verify are the exact (aligned) trajectory; a perturbation would grow by
    10^1753 (Example 1, large steps) and 10^59.7 (Theorem 2's counterexample, |V| = 2: no wrong-logit subspace)."""
    ds = example1()
    L = LARGE_STEPS
    a, b = stage1_predicted_log10_growth(L["T"], eta0=L["eta0"], n_tokens=4, star_norm_ov=math.sqrt(3))
    assert a == pytest.approx(sum(math.log10(abs(1 - 100 / math.sqrt(3) / (1 + 3 * math.exp(-t * 100 / math.sqrt(3)))))
                                  for t in range(L["T"])), rel=1e-12)
    assert a > 1700 and b == pytest.approx(L["T"] * math.log10(100 / (4 * math.sqrt(3)) - 1), rel=1e-12)
    tr = two_stage_ngd(ds, L["eta0"], 1.0, L["T"], 0)
    margin = L["T"] * L["eta0"] / math.sqrt(3)
    assert tr.stage1["margin_min"][-1] == pytest.approx(margin, rel=1e-13)
    assert tr.stage1["margin_max"][-1] == tr.stage1["margin_min"][-1] and tr.stage1["wrong_spread"][-1] == 0
    c = COUNTEREXAMPLES["counterexample: Theorem 2"]
    ds2 = Dataset.from_corpus(c["corpus"])
    a2, b2 = stage1_predicted_log10_growth(c["T"], eta0=c["eta0"], n_tokens=2, star_norm_ov=1.0)
    assert a2 == pytest.approx(math.log10(499) + (c["T"] - 1) * math.log10(999), rel=1e-9) and b2 == 0
    r = stage1_perturbation_growth(ds2, c["eta0"], c["T"], rng=np.random.default_rng(0))
    assert "unstable" in r.summary() and r.steps_to_unit is not None


def test_rounding_alone_leaves_the_aligned_trajectory():
    """The literal face with a random orthonormal E (rounding differs per column) loses alignment within
    20 steps at ``eta0 = 100``, and keeps it at ``eta0 = 0.1``: the engine follows it by treating columns alike."""
    base = example1()
    Q = np.linalg.qr(np.random.default_rng(5).standard_normal((7, 4)))[0]
    ds = base.with_vocab(Vocabulary(base.vocab.tokens, Q))
    Ws = W_ov_star_closed_form(ds)
    Ws /= np.linalg.norm(Ws)
    for eta0, lost in ((100.0, True), (0.1, False)):
        W = np.zeros_like(Ws)
        for _ in range(20):
            W = W - eta0 * unit_grad_loss0(W, ds)
        assert (1 - np.sum(W * Ws) / np.linalg.norm(W) > 1e-9) == lost


@pytest.mark.slow
def test_perturbed_large_step_run_as_docs_claims_md_describes_it():
    """From ``W_ov^(0) = 1e-12 U`` verify's large-step run of Example 1 leaves the aligned trajectory
    (unequal margins, far below ``T eta0/||W*_ov||``); in stage 2 Lemma 5's monotonicity and claim 1's
    bound still hold at every iterate, although their equal-margin hypothesis fails (an observation)."""
    ds = example1()
    L = LARGE_STEPS
    U = np.random.default_rng(0).standard_normal((4, 4))
    tr = two_stage_ngd(ds, L["eta0"], L["eta"], L["T"], L["T1"], init=(1e-12 * U / np.linalg.norm(U), np.zeros((4, 4))))
    s1, s2 = tr.stage1, tr.stage2
    assert s1["margin_max"][-1] - s1["margin_min"][-1] > 1 and s1["wrong_spread"][-1] > 0
    assert s1["margin_max"][-1] < 0.5 * L["T"] * L["eta0"] / math.sqrt(3)
    assert np.nanmax(s2["opt_drop_max"]) <= 0 and np.nanmax(s2["phi_plus_decrease_max"]) <= 0
    assert np.all(-s2["ugrad_star"][:-1] * tr.star_norm_kq >= (1 - 1e-12) / math.sqrt(2))
    assert s2["accuracy"][-1] == 1.0

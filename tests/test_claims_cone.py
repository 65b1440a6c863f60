"""Claims 1 and 2 of docs/claims.md: the stage-2 gradient lies in the cone of the Eq. (3) directions.

Claim 1 (proved): ``-<grad/||grad||, W*_kq> >= 1/sqrt 2`` at every iterate, for every step,
on every sample set satisfying Assumptions 1-3 (zero initialisation); its key lemma
(non-negative weights on the constraint directions) is checked directly, and the
normalised reading ``-<grad/||grad||, W_bar*_kq> >= 1/sqrt 2`` is refuted by an exact
counterexample. Claim 2: on Proposition 2's counterexamples the steps of the printed proofs
that use Proposition 4's equal non-optimal scores (Lemma 6, p.21-22; Lemma 7, p.25) fail
while Lemma 6 and Lemma 7 hold.
"""

import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import claims_oracle as orc
from reference.data.dataset import Dataset
from reference.errors import AssumptionError
from reference.experiments.verify import COUNTEREXAMPLES
from reference.maxmargin import max_margin_kq
from reference.model.loss_scaled import unit_grad_loss
from reference.structure.generate import example1
from reference.theory.equal_scores import lemma7_holds_by_norm, lemma6_dropped_term, sentence_terms, weighted_sum
from reference.theory.gradient_cone import CONE_BOUND, claim1_bounds, cone_bound_terms, gradient_cone, sentence_groups
from reference.theory.stage2 import lemma7_alpha, lemma7_t0
from reference.training.algorithm import two_stage_ngd
from strategies import realizable_datasets

#: Relative tolerance of the bounds on float64 trajectories: a normalised step has length eta to ~1e-16
#: and the attention is computed from scores of size ||W_kq^(t)||, so a few hundred ulps.
RTOL = 1e-12
#: Two computations of one unit gradient agree to this times ``1 + ||W_kq^(t)||``: the attention
#: comes from scores of that size, each rounded to an ulp of it (the audit's ``64 eps ||W||``).
DIR_ATOL = 64 * np.finfo(float).eps


def _log_rtol(cone):
    """Rounding of quantities rebuilt from logarithms of size |log ||grad|||: 64 ulps of it."""
    return 64 * np.finfo(float).eps * (1.0 + abs(cone.log_grad_norm))


def _run(ds, eta0, eta, T, T1, full=False):
    return two_stage_ngd(ds, eta0, eta, T, T1, record="full" if full else "summary")


# ---------------------------------------------------------------- claim 1: the key lemma and the bound
@given(ds=realizable_datasets(), eta0=st.sampled_from((0.05, 1.0, 30.0)),
       eta=st.sampled_from((0.02, 1.0, 1e3, 1e6)), T1=st.integers(3, 8))
@settings(max_examples=12)
def test_key_lemma_gradient_is_a_nonnegative_combination(ds, eta0, eta, T1):
    """Every sentence's gradient is a non-negative combination of its constraint directions; the
    recombined direction is Eq. (6) as the literal face computes it; the chain of claim 1 holds."""
    tr = _run(ds, eta0, eta, 20, T1, full=True)
    groups, E = sentence_groups(ds), ds.vocab.E
    for t in range(T1):
        W = tr.W_kq_iterates[t]
        cone = gradient_cone(ds, tr.W_ov, W, groups)
        literal = unit_grad_loss(tr.W_ov, W, ds)["kq"]
        np.testing.assert_allclose(E @ cone.direction @ E.T, -literal, rtol=0,
                                   atol=DIR_ATOL * (1 + np.linalg.norm(W)))
        c = cone_bound_terms(cone, ds, tr.W_kq_star)
        assert c["min_weight"] >= -_log_rtol(cone) * c["total_weight"]
        assert c["min_margin_star"] >= 1 - 1e-9                  # Eq. (3); the solver is certified to 1e-9
        assert c["weighted_margins"] == pytest.approx(c["corr_star"], rel=_log_rtol(cone), abs=1e-15)
        assert c["total_weight"] >= CONE_BOUND * (1 - RTOL)
        assert c["corr_star"] >= c["total_weight"] * (1 - 1e-9)  # margins of W*_kq >= 1 (certified to 1e-9)


@given(ds=realizable_datasets(), eta0=st.sampled_from((0.05, 1.0, 300.0)),
       eta=st.sampled_from((0.01, 0.3, 10.0, 1e4, 1e7)), T=st.integers(1, 60), T1=st.integers(5, 80))
@settings(max_examples=20)
def test_claim1_at_every_iterate(ds, eta0, eta, T, T1):
    """``-<g, W*_kq> >= 1/sqrt 2`` and ``||W_kq^(t)|| >= t eta/(sqrt 2 ||W*_kq||)`` at every iterate
    (prefix-closed and not, identity and random orthonormal E, steps up to 1e7)."""
    tr = _run(ds, eta0, eta, T, T1)
    s2, star = tr.stage2, tr.star_norm_kq
    corr = -s2["ugrad_star"][:-1] * star
    assert np.all(corr >= CONE_BOUND * (1 - RTOL)), (corr.min(), ds.samples())
    t = np.arange(T1 + 1)
    assert np.all(s2["norm"] >= CONE_BOUND * t * eta / star * (1 - RTOL))
    # the rows for the audit say the same
    rows = claim1_bounds(t, eta=eta, star_norm_kq=star, zero_init=True, assumption3=True)
    assert np.all(s2["ugrad_star"][:-1] <= rows[0].value[:-1] * (1 - RTOL))
    assert np.all(s2["norm"] >= rows[1].value * (1 - RTOL))


def test_claim1_constant_is_attained_by_a_one_pair_dataset():
    """With one constraint ``-g = D/sqrt 2`` and ``W* = D/2``: ``-<g, W*> = 1/sqrt 2`` exactly, at every t."""
    ds = Dataset.from_samples([(["a"], "b"), (["b"], "a"), (["a", "b"], "b")])
    tr = _run(ds, 0.3, 0.5, 10, 40)
    np.testing.assert_allclose(-tr.stage2["ugrad_star"][:-1] * tr.star_norm_kq, CONE_BOUND, rtol=1e-15)
    np.testing.assert_allclose(tr.stage2["norm"], np.arange(41) * 0.5, rtol=1e-13)


@pytest.mark.slow
def test_claim1_on_long_runs_into_saturation():
    """Thousands of iterates into saturation (non-optimal attention below the smallest float): the bound
    and the key lemma hold."""
    from reference.structure.generate_samples import random_realizable_samples
    rng = np.random.default_rng(7)
    cases = [(example1(), 0.1, 1.0, 900, 5000), (example1(), 100.0, 1e6, 1000, 3000)]
    for V in (4, 5, 6):
        cases.append((random_realizable_samples(V, L_max=5, n_optimal=2, max_count=3, rng=rng), 1.0, 5.0, 100, 4000))
    for ds, eta0, eta, T, T1 in cases:
        tr = _run(ds, eta0, eta, T, T1, full=True)
        assert tr.stage2["nonopt_max"][-1] < 1e-300                  # attention saturated: phi_- underflows
        corr = -tr.stage2["ugrad_star"][:-1] * tr.star_norm_kq
        assert corr.min() >= CONE_BOUND * (1 - RTOL)
        groups = sentence_groups(ds)
        for t in range(0, T1, 97):
            cone = gradient_cone(ds, tr.W_ov, tr.W_kq_iterates[t], groups)
            c = cone_bound_terms(cone, ds, tr.W_kq_star)
            assert c["min_weight"] >= -_log_rtol(cone) and c["total_weight"] >= CONE_BOUND * (1 - RTOL)


# ---------------------------------------------------------------- claim 1: the normalised reading is false
#: The minimal counterexample: |V| = 3, one ordered pair per query, the first sentence 9 times.
CYCLE3 = [(["a"], "b"), (["b"], "c"), (["c"], "a")]
NORMALISED_COUNTEREXAMPLE = CYCLE3 + [(["a", "b"], "b")] * 9 + [(["b", "c"], "c"), (["c", "a"], "a")]


def test_normalised_reading_fails_at_t0_exactly():
    """``-<g_0, W_bar*_kq> = 11/sqrt(249) < 1/sqrt 2`` for every eta0, T, eta: engine and an mpmath Eq. (6)."""
    ds = Dataset.from_samples(NORMALISED_COUNTEREXAMPLE)
    assert Fraction(11 ** 2, 249) < Fraction(1, 2)               # the exact value squared, in rationals
    exact = 11 / math.sqrt(249)
    for eta0, T in ((0.1, 10), (5.0, 3)):
        tr = _run(ds, eta0, 0.01, T, 1)
        assert -tr.stage2["ugrad_star"][0] == pytest.approx(exact, rel=1e-13)
        with mp.workdps(40):
            G = orc.stage2_gradient(ds, orc.stage1_weights(ds, T * eta0), [[mp.mpf(0)] * 3 for _ in range(3)])
            # W*_kq: one pair per query, 1/2 and -1/2 (Proposition 2 with |O| = |N| = 1); ||W*||^2 = 3/2
            Wstar = [[mp.mpf(0)] * 3 for _ in range(3)]
            for u, w in ((0, 1), (1, 2), (2, 0)):           # a > b under b, b > c under c, c > a under a
                Wstar[u][w], Wstar[w][w] = mp.mpf(1) / 2, -mp.mpf(1) / 2
            cos = -orc.inner(G, Wstar) / (orc.frob(G) * mp.sqrt(mp.mpf(3) / 2))
            assert abs(cos - 11 / mp.sqrt(249)) < mp.mpf(10) ** -30
    np.testing.assert_allclose(max_margin_kq(ds).norm ** 2, 1.5, rtol=1e-15)
    # the family (k, 1, 1) first fails at k = 9: (k + 2)^2 / (3 (k^2 + 2)) < 1/2 iff k^2 - 8k - 2 > 0
    assert [k for k in range(1, 20) if Fraction((k + 2) ** 2, 3 * (k * k + 2)) < Fraction(1, 2)][0] == 9


def test_normalised_reading_fails_on_example1():
    """Example 1, eta0 = 0.1, T = 900, eta = 1: ``-<g_3, W_bar*_kq> = 0.549 < 1/sqrt 2`` (engine and mpmath)."""
    ds = example1()
    tr = _run(ds, 0.1, 1.0, 900, 4)
    val = -tr.stage2["ugrad_star"][3]
    with mp.workdps(40):
        W_ov = orc.stage1_weights(ds, 900 * 0.1)
        _, units = orc.stage2_run(ds, W_ov, 1, 4)
        A = [[mp.mpf(1) / 2, -mp.mpf(1) / 2, -mp.mpf(1) / 3, 0], [0, mp.mpf(1) / 2, -mp.mpf(1) / 3, 0],
             [0, 0, mp.mpf(2) / 3, mp.mpf(1) / 2], [-mp.mpf(1) / 2, 0, 0, -mp.mpf(1) / 2]]  # docs/paper.md section 6
        oracle = -orc.inner(units[3], A) / mp.sqrt(mp.mpf(13) / 6)
    assert val == pytest.approx(float(oracle), rel=1e-10)
    assert val < 0.55 < CONE_BOUND
    assert val * tr.star_norm_kq >= CONE_BOUND                 # while the unnormalised claim holds


# ---------------------------------------------------------------- claim 2: Proposition 2's counterexamples
_T = "a b c d q".split()
_N = dict(zip(_T, _T[1:] + _T[:1]))
#: docs/theory.md's counterexample and verify's (erratum proposition2).
PROP2_DOC = [([x], _N[x]) for x in _T] + [("a c d q".split(), "b"), ("b q".split(), "c")]
PROP2_VERIFY = COUNTEREXAMPLES["counterexample: Proposition 2"]["samples"]
#: Column q of A* for PROP2_DOC, exact (docs/theory.md): a 2/3, b 1/2, c -1/3, d -1/3, q -1/2.
PROP2_DOC_COLUMN = {0: Fraction(2, 3), 1: Fraction(1, 2), 2: Fraction(-1, 3), 3: Fraction(-1, 3), 4: Fraction(-1, 2)}


def _proof_terms(ds, tr, t, groups):
    W = tr.W_kq_iterates[t]
    cone = gradient_cone(ds, tr.W_ov, W, groups)
    return cone, cone_bound_terms(cone, ds, tr.W_kq_star), sentence_terms(ds, tr.W_ov, W, tr.W_kq_star, groups)


@pytest.mark.parametrize("samples", [PROP2_DOC, PROP2_VERIFY], ids=["docs", "verify"])
@pytest.mark.parametrize("eta", [0.05, 1.0, 1e3])
def test_equal_score_steps_fail_but_lemmas_6_and_7_hold(samples, eta):
    """Lemma 6's proof drops a non-zero term (p.21-22) and ``B_-^(n,*) > 0`` (p.25 says 0); its bound
    on p.22, ``B^(n,*) <= 0`` (p.25), Lemma 6 and, from ``t_0`` on, Lemma 7 hold at every iterate."""
    ds = Dataset.from_samples(samples)
    T1 = 60
    tr = _run(ds, 0.1, eta, 100, T1, full=True)
    groups, star = sentence_groups(ds), tr.star_norm_kq
    dropped, b_minus = [], []
    for t in range(1, T1):
        cone, c, st = _proof_terms(ds, tr, t, groups)
        tol = _log_rtol(cone)
        # Lemma 4 with W' = W*_kq reproduces -<g, W*> (the terms are the proof's)
        assert -weighted_sum(st, st.A_star + st.B_star, cone.log_grad_norm) == pytest.approx(c["corr_star"], rel=tol)
        dropped.append(lemma6_dropped_term(st, cone.log_grad_norm) / c["corr_star"])
        b_minus.append(np.max(st.B_minus_star))
        assert c["corr_star"] >= weighted_sum(st, st.lemma6_bound, cone.log_grad_norm) * (1 - tol)  # p.22
        assert np.all(st.B_star <= 0)                                                           # p.25
        assert c["corr_star"] >= CONE_BOUND * (1 - RTOL)                                        # Lemma 6 (stronger)
    if eta <= 1:          # with a huge step phi_- ~ e^{-||W||} at once, and so is the dropped term
        assert max(dropped) > 1e-4 and max(b_minus) > 1e-4, (max(dropped), max(b_minus))
    # Lemma 7 from t_0 on: <g, W^(t)> >= (1 + alpha_t) <g, W*> ||W^(t)||/||W*||
    s2 = tr.stage2
    t = np.arange(1, T1)
    w = s2["norm"][1:-1]
    alpha = lemma7_alpha(w, N=ds.N, L_max=ds.L_max, star_norm_kq=star)
    on = t >= lemma7_t0(eta, ds.L_max, star)
    lhs, rhs = s2["ugrad_W"][1:-1][on], ((1 + alpha) * s2["ugrad_Wstar"][1:-1] * w / star)[on]
    assert np.all(lhs >= rhs - RTOL * np.abs(rhs)), np.min(lhs - rhs)
    assert on.sum() >= (0 if eta < 1 else 3 if eta < 10 else 20)


def test_lemma6_dropped_term_against_mpmath():
    """The term Lemma 6's proof drops (p.21-22) on docs/theory.md's counterexample, position by position in mpmath."""
    ds = Dataset.from_samples(PROP2_DOC)
    T, eta0, eta = 100, 0.1, 1.0
    tr = _run(ds, eta0, eta, T, 3, full=True)
    with mp.workdps(40):
        W_ov = orc.stage1_weights(ds, T * eta0)
        iterates, _ = orc.stage2_run(ds, W_ov, eta, 2)
        A_star = [[mp.mpf(0)] * 5 for _ in range(5)]
        for k, v in PROP2_DOC_COLUMN.items():
            A_star[k][4] = mp.mpf(v.numerator) / v.denominator
        delta = T * eta0 / mp.sqrt(4)                            # the stage-1 margin, ||W*_ov|| = sqrt(|V| - 1)
        for t in (1, 2):
            oracle = orc.lemma6_dropped(ds, W_ov, iterates[t], delta, A_star)
            cone, _, st = _proof_terms(ds, tr, t, sentence_groups(ds))
            assert lemma6_dropped_term(st, cone.log_grad_norm) == pytest.approx(float(oracle), rel=1e-9)
            assert oracle > mp.mpf(10) ** -4


@given(ds=realizable_datasets(prefix_closed=True), eta=st.sampled_from((0.1, 10.0, 1e5)))
@settings(max_examples=8)
def test_equal_score_steps_hold_on_prefix_closed_data(ds, eta):
    """Claim 4 at work: one optimal token per query, equal non-optimal scores, ``B_-^(n,*) = 0``."""
    tr = _run(ds, 0.5, eta, 30, 6, full=True)
    groups = sentence_groups(ds)
    for t in range(6):
        cone, c, st = _proof_terms(ds, tr, t, groups)
        assert np.all(np.abs(st.B_minus_star) <= 1e-9)           # W*_kq is certified to 1e-9
        assert abs(lemma6_dropped_term(st, cone.log_grad_norm)) <= 1e-9 * c["corr_star"]


@given(ds=realizable_datasets(), eta=st.sampled_from((0.01, 0.1, 1.0)), T1=st.integers(5, 60))
@settings(max_examples=15)
def test_lemma7_holds_where_its_norm_condition_does(ds, eta, T1):
    """Where ``1 + alpha_t >= sqrt 2 ||W*_kq||`` Lemma 7 holds, from t = 1 (no ``t >= t_0``): claim 2's argument."""
    tr = _run(ds, 0.2, eta, 20, T1)
    s2, star = tr.stage2, tr.star_norm_kq
    w = s2["norm"][1:-1]
    ok = lemma7_holds_by_norm(w, N=ds.N, L_max=ds.L_max, star_norm_kq=star)
    alpha = lemma7_alpha(w, N=ds.N, L_max=ds.L_max, star_norm_kq=star)
    lhs, rhs = s2["ugrad_W"][1:-1], (1 + alpha) * s2["ugrad_Wstar"][1:-1] * w / star
    assert np.all((lhs >= rhs - RTOL * np.abs(rhs))[ok])
    # the argument itself: <-g, W> <= sqrt 2 ||W|| <= (1 + alpha) ||W||/||W*|| <= (1 + alpha) r_t <-g, W*>
    assert np.all((-lhs <= math.sqrt(2) * w * (1 + RTOL))[ok])


def test_gradient_cone_refuses_data_outside_its_assumptions():
    ds = Dataset.from_samples([(["a"], "b"), (["b"], "a"), (["b", "b"], "b")])   # next token is n(a), a absent
    with pytest.raises(AssumptionError, match="no optimal position"):
        sentence_groups(ds)

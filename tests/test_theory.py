"""The statement functions of reference.theory.stage1: pure functions of the paper's constants.

Each test checks a mathematical fact about a bound (its closed form at a
special point, a limit, a monotonicity, agreement with an independent
computation), never a number copied from the code's output.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import theory as tb
from reference.data.dataset import Dataset
from reference.errors import AssumptionError, ConfigError
from reference.structure.generate import example1
from reference.training.algorithm import two_stage_ngd

#: log_threshold polishes its root by Newton steps to float64 resolution; 1e-9 relative
#: covers the conversion t = exp(u) (u up to ~60) with a wide margin.
THRESH_RTOL = 1e-9
#: Closed-form trajectories (norms t eta, scores t eta / sqrt 2) against the engine: a few
#: ulps per step over <= 100 steps of O(1..1e4) numbers.
TRAJ_RTOL = 1e-12


# ---------------------------------------------------------------- log_threshold (Library rule)

@given(K=st.floats(0.5, 1e7), p=st.sampled_from((1, 2)))
@settings(max_examples=60)
def test_log_threshold_is_the_last_crossing(K, p):
    t0 = tb.log_threshold(K, p)
    f = lambda t: t - K * math.log(t) ** p          # noqa: E731
    # holds at and beyond t0 (checked on a geometric grid far beyond it) ...
    for t in t0 * np.geomspace(1 + THRESH_RTOL, 1e6, 200):
        assert f(t) >= 0
    # ... and t0 is a crossing (f(t0) = 0) unless the condition holds from t = 1 on
    if t0 > 1.0:
        assert abs(f(t0)) <= THRESH_RTOL * t0 * 10
        assert f(t0 * (1 - 1e-6)) < 0


def test_log_threshold_closed_forms():
    # t >= K log t holds for every t >= 1 iff K <= e (the tangent line at t = e)
    assert tb.log_threshold(math.e * (1 - 1e-9), 1) == 1.0
    assert tb.log_threshold(math.e * 1.01, 1) > math.e
    assert tb.log_threshold(0.0, 2) == 1.0
    # t >= K log^2 t for every t >= 1 iff sqrt(t) >= sqrt(K) log t everywhere iff 2 sqrt(K) <= e
    assert tb.log_threshold(math.e ** 2 / 4 * (1 - 1e-9), 2) == 1.0
    assert tb.log_threshold(math.e ** 2 / 4 * 1.01, 2) > 1.0
    # roots chosen by hand: t0 = e^2 solves t = (e^2/2) log t (the other root is smaller);
    # t0 = e^4 solves t = (e^4/16) log^2 t (the other root is smaller)
    assert tb.log_threshold(math.e ** 2 / 2, 1) == pytest.approx(math.e ** 2, rel=THRESH_RTOL)
    assert tb.log_threshold(math.e ** 4 / 16, 2) == pytest.approx(math.e ** 4, rel=THRESH_RTOL)


def test_log_threshold_rejects_bad_input():
    for K, p in ((math.nan, 1), (math.inf, 2), (1.0, 0)):
        with pytest.raises(ConfigError):
            tb.log_threshold(K, p)


# ---------------------------------------------------------------- constants

def test_named_constants_are_the_printed_ones():
    assert (tb.PROP1_C_MAIN, tb.PROP1_C_APPENDIX) == (5.0, 12.0)
    assert (tb.COR1_C, tb.THM2_C_T, tb.THM2_C_t, tb.THM1_C_DIR) == (384.0, 384.0, 1696.0, 54.0)


def test_the_three_C0_are_different_objects():
    # Theorem 2's C_0 is a constant of the constants; the sketch's C_0 (Section 5.3, Step 3) is the constant
    # of its informal Lemma 7; Theorem 3's is a slope measured on a trajectory. Corollary 1's Delta = T C0_thm2.
    T, eta0, s = 700, 0.3, 2.5
    delta = tb.corollary1([T], eta0=eta0, star_norm_ov=s, n_tokens=4, zero_init=True)[0].value[0]
    assert delta == pytest.approx(T * tb.C0_thm2(eta0, s), rel=1e-15)
    N, L, kq = 7, 5, 1.3
    C0 = tb.C0_thm1_sketch(N, L, kq)
    assert C0 == pytest.approx(4 * N * L ** 2 * kq ** 2 * (1 + math.log(2 * math.e * L)), rel=1e-15)
    # C0 log w / w >= Lemma 7's alpha_t for ||W|| = w >= e, with equality at w = e (tight there)
    w = np.array([math.e, 3.0, 10.0, 1e3, 1e8])
    alpha = tb.lemma7_alpha(w, N=N, L_max=L, star_norm_kq=kq)
    assert np.all(tb.sketch_alpha(w, C0) >= alpha * (1 - 1e-14))
    assert tb.sketch_alpha(w[:1], C0)[0] == pytest.approx(alpha[0], rel=1e-14)
    assert tb.sketch_alpha(w[:1], 0.999 * C0)[0] < alpha[0]
    t = np.arange(0, 101)
    assert tb.C0_thm3(0.25 * t + 3.0, t) == pytest.approx(0.25 + 3.0 / 100, rel=1e-12)


# ---------------------------------------------------------------- stage 1

def test_proposition1_constants_scale_the_same_bound():
    t = np.arange(2, 50)
    b = tb.proposition1(t, eta0=0.1, star_norm_ov=2.0, n_tokens=5, zero_init=True)
    c5 = next(x for x in b if "c=5" in x.quantity).value
    c12 = next(x for x in b if "c=12" in x.quantity).value
    np.testing.assert_allclose(c12 / c5, 12 / 5, rtol=1e-15)
    # conditions: t >= 2 and zero init
    b0 = tb.proposition1(np.arange(4), eta0=0.1, star_norm_ov=2.0, n_tokens=5, zero_init=True)
    assert b0[0].conditions.tolist() == [False, False, True, True]
    assert not tb.proposition1([5], eta0=0.1, star_norm_ov=2.0, n_tokens=5, zero_init=False)[0].conditions[0]


@given(V=st.integers(2, 200), eta0=st.floats(1e-3, 1e3), t=st.integers(1, 10**6))
def test_corollary1_printed_upper_bound_fails_at_the_zero_init_solution(V, eta0, t):
    # Zero init: W_ov^(t) = t eta0 W*_ov/||W*_ov|| with ||W*_ov|| = sqrt(V-1) (docs/paper.md section 6),
    # so every margin is t eta0 / ||W*_ov||. This is > 3 Delta for every V >= 2 (erratum
    # corollary1-upper) and equals the corrected bound 4 ||W*_ov|| Delta.
    s = math.sqrt(V - 1)
    margin = t * eta0 / s
    b = {x.quantity: x for x in tb.corollary1([t], eta0=eta0, star_norm_ov=s, n_tokens=V, zero_init=True)}
    delta = b["margin lower (Delta)"].value[0]
    assert margin > b["margin upper (printed 3 Delta)"].value[0]
    assert b["margin upper (printed 3 Delta)"].erratum == "corollary1-upper"
    assert margin == pytest.approx(b["margin upper (corrected 4||W*_ov|| Delta)"].value[0], rel=1e-12)
    assert margin > delta


def test_corollary1_condition_is_the_threshold():
    so, V, eta0 = 1.0, 2, 1.0
    K = 384 * so ** 5 * math.log(2 * V) / eta0
    t0 = tb.log_threshold(K, 1)
    c = tb.corollary1_condition(np.array([math.floor(t0), math.ceil(t0)]), eta0=eta0, star_norm_ov=so, n_tokens=V)
    assert c.tolist() == [False, True]


# ---------------------------------------------------------------- stage 2

def test_lemma7_alpha_and_t0():
    assert tb.lemma7_t0(eta=0.5, L_max=3, star_norm_kq=2.0) == math.ceil(8 * 3 * 4 / 0.5)
    w = np.array([1.0, 10.0, 1e6])
    a = tb.lemma7_alpha(w, N=7, L_max=3, star_norm_kq=2.0)
    np.testing.assert_allclose(a, 4 * 7 * 9 * 4 * (1 + np.log(6 * w)) / w, rtol=1e-15)
    assert np.all(np.diff(a) < 0)          # alpha_t -> 0 as ||W|| grows


def test_lemma6_and_theorem1_norm_bounds_differ_by_L_max():
    t = np.arange(2, 30)
    l6 = tb.lemma6(t, eta=0.1, L_max=5, star_norm_kq=1.3, phi_plus_min=0.5, zero_init=True, assumption3=True)
    th = {b.quantity: b for b in tb.theorem1(t, eta=0.1, N=9, L_max=5, star_norm_kq=1.3, zero_init=True,
                                             assumption3=True)}
    np.testing.assert_allclose(th["||W_kq^(t)|| lower (printed)"].value, 5 * l6[1].value, rtol=1e-15)
    np.testing.assert_allclose(th["||W_kq^(t)|| lower (Lemma 6's form)"].value, l6[1].value, rtol=1e-15)
    # Theorem 1's proof condition eta <= ||W*_kq|| / e
    assert not tb.theorem1(t, eta=1.3 / math.e * 1.01, N=9, L_max=5, star_norm_kq=1.3, zero_init=True,
                           assumption3=True)[0].conditions.any()


def test_theorem2_limits():
    t = np.array([0.0, 1.0, 10.0, 1e3, 1e9])
    kw = dict(T=50, eta0=0.7, eta=2.0, n_tokens=6, N=11, L_max=4, star_norm_ov=math.sqrt(5), star_norm_kq=1.2,
              zero_init=True, assumption3=True)
    att, log_loss, att_fix, loss_fix = tb.theorem2(t, **kw)
    np.testing.assert_array_equal(att.value, att_fix.value)
    np.testing.assert_array_equal(log_loss.value, loss_fix.value)
    assert att.erratum == log_loss.erratum == "theorem2-step-size" and not att_fix.erratum
    L, C0 = 4, tb.C0_thm2(0.7, math.sqrt(5))
    assert att.value[0] == pytest.approx(1 / (1 + L))                       # e^{-C_1 0} = 1
    assert att.value[-1] == 1.0                                             # -> 1
    assert log_loss.value[0] == pytest.approx(math.log(6) - 50 * C0 * (1 - 2 * L / (L + 1)))
    assert log_loss.value[-1] == pytest.approx(math.log(6) - 50 * C0)       # the floor |V| e^{-T C_0}
    assert np.all(np.diff(att.value) >= 0) and np.all(np.diff(log_loss.value) <= 0)


def test_theorem2_conditions_fail_on_the_paper_scale():
    # |V| = 20, ||W*_ov|| = sqrt(19): the T condition needs T ~ 1e9, not 900 (docs/theory.md)
    ok_T, ok_t = tb.theorem2_conditions([900], T=900, eta0=0.2 / math.sqrt(20), eta=0.05 / math.sqrt(20),
                                        n_tokens=20, N=98, L_max=8, star_norm_ov=math.sqrt(19), star_norm_kq=3.0)
    assert not ok_T and not ok_t[0]


# ---------------------------------------------------------------- Proposition 2

def test_proposition2_closed_form_is_the_printed_example1_matrix():
    ds = example1()
    order = [ds.vocab.index(x) for x in "SVOP"]
    A = tb.proposition2_closed_form(ds)[np.ix_(order, order)]
    printed = np.array([[1 / 2, -1 / 2, -1 / 3, 0], [0, 1 / 2, -1 / 3, 0],
                        [0, 0, 2 / 3, 1 / 2], [-1 / 2, 0, 0, -1 / 2]])
    np.testing.assert_allclose(A, printed, rtol=0, atol=1e-15)


# ---------------------------------------------------------------- conditions at their boundaries

def test_conditions_switch_exactly_where_printed():
    t = np.arange(0, 200)
    eta, L, s = 0.5, 3, 1.7
    t0 = math.ceil(8 * L * s ** 2 / eta)                      # Lemma 7's t_0, by hand
    l7 = tb.lemma7(t, eta=eta, N=5, L_max=L, star_norm_kq=s, norm_kq=np.maximum(t, 1) * eta,
                   ugrad_Wstar=-0.1, zero_init=True, assumption3=True)[0]
    assert np.flatnonzero(l7.conditions)[0] == t0
    # Theorem 1: eta <= ||W*_kq|| / e is inclusive, and t >= 2
    th = tb.theorem1(t, eta=s / math.e, N=5, L_max=L, star_norm_kq=s, zero_init=True, assumption3=True)[0]
    assert th.conditions.tolist() == (t >= 2).tolist()
    # Theorem 2: the t-condition is t >= log_threshold(1696 N L^4 ||W*_kq||^6 / eta, 2)
    kw = dict(T=10, eta0=1.0, eta=1e4, n_tokens=3, N=4, L_max=2, star_norm_ov=math.sqrt(2), star_norm_kq=1.0)
    K_t = 1696 * 4 * 2 ** 4 * 1.0 / 1e4
    thr = tb.log_threshold(K_t, 2)
    ok_T, ok_t = tb.theorem2_conditions(np.array([math.floor(thr), math.ceil(thr)]), **kw)
    assert ok_t.tolist() == [False, True]
    assert ok_T == (10 >= tb.log_threshold(384 * math.sqrt(2) ** 5 * math.log(2 * 3) / 1.0, 1))
    # the condition on T is the proof's 384 ||W*_ov||^5 log(2|V|) log T / eta0 (Corollary 1's), not log|V|:
    # a T between the two thresholds is refused
    lo = tb.log_threshold(384 * math.sqrt(2) ** 5 * math.log(3), 1)
    hi = tb.log_threshold(384 * math.sqrt(2) ** 5 * math.log(6), 1)
    T_mid = math.ceil(lo)
    assert lo < T_mid < hi
    assert not tb.theorem2_conditions([5], **dict(kw, T=T_mid))[0]
    assert tb.theorem2_conditions([5], **dict(kw, T=math.ceil(hi)))[0]


# ---------------------------------------------------------------- Theorem 2 on a closed-form trajectory

def test_theorem2_direction_form_on_the_one_pair_dataset():
    """Corpus {a b a, b a}: D_0 = {[a] -> b, [a b] -> a, [b] -> a}, one ordered pair (b >_b a).

    Independent closed forms (zero init, |V| = 2): W_ov^(T) has every margin alpha = T eta0
    (||W*_ov|| = 1); the only stage-2 gradient is the column of query b, along e_a - e_b, so
    A^(t)[:, b] = t eta (e_b - e_a)/sqrt 2, the direction error is 0 from t = 1,
    phi_+ of [a b] is 1/(1 + exp(-sqrt2 t eta)) and its loss log(1 + exp(-alpha (2 phi_+ - 1))).
    Theorem 2's bounds (C_1 = eta/4 here) must hold, in the direction form from t = 1 on.
    """
    ds = Dataset.from_corpus(["a b a", "b a"])
    eta0, eta, T, T1 = 0.3, 0.2, 40, 100
    tr = two_stage_ngd(ds, eta0, eta, T, T1, progress=False)
    t = np.arange(T1 + 1)
    assert tr.star_norm_ov == pytest.approx(1.0, rel=1e-12)
    assert tr.star_norm_kq == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    phi_plus = 1 / (1 + np.exp(-math.sqrt(2) * t * eta))
    alpha = T * eta0
    loss = (2 * np.log1p(np.exp(-alpha)) + np.log1p(np.exp(-alpha * (2 * phi_plus - 1)))) / 3
    np.testing.assert_allclose(tr.stage2["phi_plus_min"], phi_plus, rtol=TRAJ_RTOL)
    np.testing.assert_allclose(tr.stage2["log_loss"], np.log(loss), rtol=TRAJ_RTOL)
    att, log_loss = tb.theorem2_direction_form(
        t, T=T, eta0=eta0, eta=eta, n_tokens=2, L_max=2, star_norm_ov=1.0, star_norm_kq=1 / math.sqrt(2),
        dir_err_kq=1 - tr.stage2["cos"], zero_init=True, assumption3=True)
    np.testing.assert_allclose(att.value, 1 / (1 + 2 * np.exp(-eta * t / 4)), rtol=1e-15)
    C0 = eta0 / 4
    np.testing.assert_allclose(log_loss.value, math.log(2) - T * C0 * (1 - 4 / (2 + np.exp(eta * t / 4))),
                               rtol=1e-13, atol=1e-15)
    assert att.conditions[1:].all() and not att.conditions[0]          # W^(0) = 0 has no direction
    assert (log_loss.conditions == (t >= 1) & (eta * t / 4 >= math.log(2))).all()
    assert np.all(phi_plus[att.conditions] >= att.value[att.conditions])
    assert np.all(np.log(loss)[log_loss.conditions] <= log_loss.value[log_loss.conditions])


def test_statement_functions_reject_bad_constants():
    """A step, ||W*|| or count that is not a finite number > 0 is named in a ConfigError."""
    t = np.arange(5)
    cases = [(lambda: tb.lemma1(t, eta0=-0.1, star_norm_ov=1.0), "eta0"),
             (lambda: tb.proposition1(t, eta0=0.1, star_norm_ov=math.nan, n_tokens=3, zero_init=True),
              "star_norm_ov"),
             (lambda: tb.lemma6(t, eta=0.1, L_max=3, star_norm_kq=0.0, phi_plus_min=0.5, zero_init=True,
                                assumption3=True), "star_norm_kq"),
             (lambda: tb.lemma7_t0(0.0, 3, 1.0), "eta"),
             (lambda: tb.theorem2(t, T=5, eta0=0.1, eta=0.1, n_tokens=3, N=0, L_max=2, star_norm_ov=1.4,
                                  star_norm_kq=1.0, zero_init=True, assumption3=True), "N")]
    for call, name in cases:
        with pytest.raises(ConfigError, match=f"^{name} must be"):
            call()

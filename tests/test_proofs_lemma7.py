"""Lemma 7's proof (Appendix C.4, P64-P103): quantities, conditions, verdicts and the decisions of docs/proofs.md.

1. The measurement layer's Lemma 7 quantities against their literal definitions (tests/proof_inputs_c4.py)
   on real runs, and the functions of reference.theory.appendix_c4 against the printed formulas.
2. The proof audit's runs: every step of the chain is checked on some run, the printed relations
   recorded as false fail there, the corrected ones hold, Lemma 7 holds.
3. The decisions: each counterexample re-run and verified by an independent computation (the
   literal face of the model, mpmath), each filled gap's argument checked over its range.
"""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from proof_inputs_c4 import lemma7_inputs
from strategies import realizable_datasets

from reference.audit.proofs import audit_proofs
from reference.data.dataset import Dataset
from reference.data.vocabulary import Vocabulary
from reference.errors import ConfigError
from reference.experiments.proofs import CORPORA, LEMMA7
from reference.maxmargin import max_margin_kq
from reference.model.transformer import attention
from reference.structure.generate import example1, random_realizable
from reference.structure.orders import collocation, query_orders
from reference.theory import eq11, lemma7_beta, lemma7_type1, lemma7_type2_factor
from reference.theory.proofs import conditions as cond
from reference.theory.proofs import Measurements, QUANTITIES, REGISTRY
from reference.training.algorithm import two_stage_ngd

#: Two float64 computations of one quantity from the same iterates (scores below ~50 here): 1e-9.
RTOL = 1e-9
KEYS = [s.key for s in REGISTRY.steps(statement="Lemma 7")]


def _run(ds, eta0, eta, T, T1, **kw):
    tr = two_stage_ngd(ds, eta0, eta, T, T1, record="full", progress=False, **kw)
    return tr, Measurements(tr, ds)


def _rows(tr, ds):
    return {r.key: r for r in audit_proofs(tr, ds) if r.statement == "Lemma 7"}


@pytest.fixture(scope="module")
def ex1_half():
    """Example 1 with eta = 0.5 (t0 = 105): every step of the chain applies from t0 on; moderate scores."""
    ds = example1()
    tr, q = _run(ds, 0.1, 0.5, 200, 130)
    return ds, tr, q


@pytest.fixture(scope="module")
def orthonormal():
    """A random prefix-closed dataset with random orthonormal embeddings in d = 9 > |V| = 4."""
    rng = np.random.default_rng(3)
    ds0 = random_realizable(4, L_max=4, rng=rng)
    ds = ds0.with_vocab(Vocabulary.random_orthonormal(ds0.vocab.tokens, 9, rng=rng))
    tr, q = _run(ds, 0.2, 0.4, 30, 40)
    return ds, tr, q


# ---------------------------------------------------------------- 1. quantities and functions

@pytest.mark.parametrize("which", ["ex1_half", "orthonormal"])
def test_lemma7_quantities_match_their_literal_definitions(which, request):
    """The first iterates (the literal face's ``a_l - abar`` and ``1 - P`` cancel once ``phi_-`` is tiny)."""
    ds, tr, q = request.getfixturevalue(which)
    k = 16
    fake = lemma7_inputs(tr.W_kq_iterates[:k], tr.W_ov, tr.W_kq_star, ds.vocab.E, [list(s) for s in ds.sentences],
                         list(ds.y), ds.pi, collocation(ds), eta=q.eta)
    skip = {"eta", "t0", "N", "L_max", "W_kq", "W_kq_star", "W_ovT", "t2", "Gs", "c2", "norm_Gs", "n0", "l0"}
    pos = np.asarray(q.pos)
    for name, value in fake.items():
        if name in skip:
            continue
        got = np.asarray(q[name])
        got = got[:k] if QUANTITIES[name].stage == 2 else got
        value = np.asarray(value)
        if name == "uhat":                                              # the library's padding is not 0
            got, value = np.where(pos, got, 0.0), np.where(pos, value, 0.0)
        if value.dtype == bool or np.issubdtype(value.dtype, np.integer):
            assert np.array_equal(got, value), name
            continue
        mask = np.isfinite(value)
        assert np.array_equal(mask, np.isfinite(got)), name              # no NaN or inf dropped
        np.testing.assert_allclose(got[mask], value[mask], rtol=RTOL, atol=1e-10, err_msg=name)
    t, n0, l0 = np.arange(k), q.n0[:k], q.l0[:k]              # n0, l0: any minimiser (ties are rounding)
    np.testing.assert_allclose(fake["margin_kq"][t, n0], fake["margin_min_kq"], rtol=RTOL, atol=1e-10)
    top = np.max(np.where(np.asarray(q.nonopt)[n0], fake["a"][t, n0], -np.inf), axis=1)
    np.testing.assert_allclose(fake["a"][t, n0, l0], top, rtol=RTOL, atol=1e-10)
    g = np.asarray(q.Gs)[:k] * np.exp(np.asarray(q.c2)[:k])[:, None, None]
    np.testing.assert_allclose(g, fake["Gs"], rtol=1e-8, atol=1e-14)


def test_eq11_against_the_printed_formula():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.normal(scale=5, size=rng.integers(1, 8))
        log_phi, bound = eq11(a)
        phi = np.exp(a) / np.exp(a).sum()
        np.testing.assert_allclose(np.exp(log_phi), phi, rtol=1e-12)
        for l in range(a.size):
            for k in range(a.size):
                assert phi[l] == pytest.approx(phi[k] * math.exp(a[l] - a[k]), rel=1e-12)   # the identity
                assert phi[l] <= math.exp(a[l] - a[k]) * (1 + 1e-12)                       # <= exp(-C)
                assert bound[l, k] == a[l] - a[k]
        w = rng.dirichlet(np.ones(a.size))
        _, cb = eq11(a, w)
        assert np.all(phi <= np.exp(a - w @ a) * (1 + 1e-12)) and np.allclose(cb, a - w @ a)
    with pytest.raises(ConfigError):
        eq11([])
    with pytest.raises(ConfigError):
        eq11([1.0, 2.0], [0.5, 0.6])


def test_beta_types_and_factor_against_the_printed_formulas(ex1_half):
    ds, tr, q = ex1_half
    w, L, s = np.asarray(q.norm_W_kq), q.L_max, float(q.star_norm_kq)
    beta = lemma7_beta(w, L_max=L, star_norm_kq=s)
    for t in (1, 50, 130):
        assert beta[t] == pytest.approx(2 * L ** 2 * s ** 2 * (1 + math.log(2 * L * w[t])) / w[t], rel=1e-13)
        assert beta[t] == pytest.approx(q.beta[t], rel=1e-13)
        alpha = 4 * q.N * L ** 2 * s ** 2 * (1 + math.log(2 * L * w[t])) / w[t]            # Lemma 7's alpha_t
        assert q.alpha_kq[t] == pytest.approx(alpha, rel=1e-13)
        c = lemma7_type2_factor(w[t:t + 1], L_max=L, star_norm_kq=s)[0]
        r = w[t] / s
        assert c == pytest.approx(L * math.exp(-beta[t] * r / 2) * (1 + beta[t] + 2 * s) / beta[t], rel=1e-12)
    assert np.isnan(beta[0])                                                                 # ||W^(0)|| = 0
    types = lemma7_type1(q.log_phi_minus, w, L_max=L, star_norm_kq=s)
    assert np.array_equal(types[1:], np.asarray(q.type1)[1:])
    phi_minus = np.asarray(q.phi_minus)
    for t in (60, 130):
        thr = math.exp(-(1 + beta[t] / 2) * w[t] / s)
        assert np.array_equal(types[t], phi_minus[t] >= thr)


# ---------------------------------------------------------------- 2. the proof audit's runs

def test_every_step_is_checked_on_some_run(proofs_result):
    table, chains = proofs_result["table"], {c.statement: c for c in proofs_result["chains"]}
    c = chains["Lemma 7"]
    assert c.n_steps == len(KEYS) and not c.never_checked
    assert c.statement_verdict == "holds"
    assert set(c.recorded) == {s.key for s in REGISTRY.steps(statement="Lemma 7") if s.recorded}
    assert set(c.recorded) == {"P68", "P99", "P103.2"}
    rows = [r for r in table if r.statement == "Lemma 7"]
    assert not [r.key for r in rows if r.decides and r.verdict == "fails"]
    assert c.verdict == "holds-unstated"
    by = {(r.run, r.key): r for r in rows}
    for key in ("P68", "P99"):
        assert by[("two tokens, repeated optimal token", key)].verdict == "fails"
    assert by[("two tokens, unequal frequencies", "P103.2")].verdict == "fails"
    r = by[("two tokens, unequal frequencies", "P103.6")]
    assert r.verdict == "holds-unstated" and r.unstated_needed == ("PI_N0",)
    r = by[("random samples 1", "P78")]
    assert r.verdict == "holds-unstated" and r.unstated_needed == ("EQ_NONOPT",)
    for run in ("Example 1, t >= t_0", "Example 1, large steps"):                # everything holds there
        assert all(by[(run, k)].verdict == "holds" for k in KEYS if REGISTRY.step(k).decides), run
    statement = [r for r in rows if r.kind == "S"]
    assert statement and all(r.holds is not False for r in statement)
    assert sum(r.n_checked for r in statement) > 1000


# ---------------------------------------------------------------- 3. the decisions

def _corpus_run(name):
    c = LEMMA7[name]
    ds = Dataset.from_corpus(CORPORA[c["dataset"]])
    tr, q = _run(ds, c["eta0"], c["eta"], c["T"], c["T1"])
    return ds, tr, q


def test_p68_counterexample():
    """false-P68-phi: on {a b a b, b a} the sentence [a b a] repeats its optimal token; from t0 on, the
    position of the least margin has phi_l < exp(-r_t) (P68 fails) though phi_l >= exp(-r_t)/L_max (P68')."""
    ds, tr, q = _corpus_run("two tokens, repeated optimal token")
    rows = _rows(tr, ds)
    r = rows["P68"]
    assert r.verdict == "fails" and r.t_first_fail == q.t0 == 48
    assert rows["P68'"].verdict == rows["P99'"].verdict == "holds" and rows["P99"].verdict == "fails"
    # independently: the attention from the literal model, exp(-r_t) in mpmath
    t = r.t_first_fail
    n0, l0 = int(q.n0[t]), int(q.l0[t])
    phi = attention(tr.W_kq_iterates[t], ds.X(n0))
    assert list(ds.sentences[n0]) == [0, 1, 0] and l0 == 1                      # [a b a]: b is non-optimal
    r_t = mpmath.mpf(np.linalg.norm(tr.W_kq_iterates[t])) / mpmath.mpf(np.linalg.norm(tr.W_kq_star))
    assert phi[l0] < float(mpmath.exp(-r_t)) * (1 - 1e-6)
    assert phi[l0] >= float(mpmath.exp(-r_t)) / ds.L_max
    assert all(x.holds for x in audit_proofs(tr, ds) if x.statement == "Lemma 7" and x.kind == "S")


def _P(w, phi_plus, delta):
    """``P_n`` under equal stage-1 margins Delta: ``1/(1 + sum_{v != y} exp(Delta (w_v - phi_+)))`` (mpmath)."""
    return 1 / (1 + sum(mpmath.exp(delta * (mpmath.mpf(x) - phi_plus)) for x in w))


def test_p100_implication_counterexample_and_sufficient_condition(proofs_result):
    """gap-P100: phi_+^(n0) < phi_+^(n) does not give P_n0 < P_n (|V| = 3, Delta = 20); phi_-^(n0) >= 2 phi_-^(n)
    does, under equal stage-1 margins; the runs' P100 rows hold."""
    d = 20
    P_n, P_n0 = _P([0.3, 0.0], 0.7, d), _P([0.155, 0.155], 0.69, d)
    assert P_n0 > P_n                                                            # though 0.69 < 0.7
    rng = np.random.default_rng(1)
    for _ in range(300):
        V = int(rng.integers(2, 8))
        pm = rng.uniform(0, 0.5)
        pm0 = min(1.0, pm * rng.uniform(2, 10))
        w = rng.dirichlet(np.ones(V - 1)) * pm
        w0 = rng.dirichlet(np.ones(V - 1)) * pm0
        delta = rng.uniform(0, 100)
        assert _P(w0, 1 - pm0, delta) <= _P(w, 1 - pm, delta) * (1 + mpmath.mpf(10) ** -30)
    rows = [r for r in proofs_result["table"] if r.key == "P100"]
    assert all(r.verdict in ("holds", "n/a") for r in rows) and sum(r.n_checked for r in rows) > 1000


@given(st.integers(2, 40), st.floats(1 / math.sqrt(2), 200), st.floats(4, 1e9))
@settings(max_examples=200)
def test_p102_condition_for_t_at_least_t0(L, star, ratio):
    """gap-P102-phi-plus: for t >= t0 (||W^(t)|| >= 4||W*_kq|| by Lemma 6, ||W*_kq|| >= 1/sqrt(2), L_max >= 2)
    L_max exp(-beta r/2)(1 + beta + 2||W*||)/beta <= 1/L_max <= phi_+^(n0) (Lemma 5): P102 and P102.2 hold."""
    f = lemma7_type2_factor(np.array([ratio * star]), L_max=L, star_norm_kq=star)[0]
    assert f <= 1 / L


@given(st.lists(st.floats(-30, 30), min_size=2, max_size=8), st.data())
def test_p95_entropy_bound(scores, data):
    """gap-P95-log: with one optimal score a (any number of optimal positions), the phi/phi_- -weighted mean of
    a - a_l' over the non-optimal positions is at most log(n_non/phi_-) <= log(L/phi_-)."""
    k = data.draw(st.integers(1, len(scores) - 1))
    a = np.array([scores[0]] * k + scores[k:])
    phi = np.exp(a - a.max()) / np.exp(a - a.max()).sum()
    pm = phi[k:].sum()
    if pm < 1e-300:
        return
    mean = np.sum(phi[k:] / pm * (a[0] - a[k:]))
    assert mean <= math.log((len(a) - k) / pm) + 1e-9 * (1 + abs(math.log(pm)))


def test_p103_frequency_counterexample():
    """false-P103-pi: two tokens, the prefix closure of {a b b, a b, b a a (x4)} (pi^(n0) = 1/11 < 1/N = 1/4):
    P103's second line fails from t = 5, verified from the literal definitions; Lemma 7 holds."""
    ds, tr, q = _corpus_run("two tokens, unequal frequencies")
    assert ds.N == 4 and sorted(np.round(ds.pi * 11).astype(int).tolist()) == [1, 2, 4, 4]
    rows = _rows(tr, ds)
    r = rows["P103.2"]
    assert r.verdict == "fails" and r.t_first_fail == 5
    assert rows["P103.2'"].verdict == "holds" and rows["P103.7"].verdict == "holds"
    assert rows["P103.6"].verdict == "holds-unstated" and rows["P103.6"].unstated_needed == ("PI_N0",)
    # independently: A*, B*, the Types and n0 at t = 5 from the printed definitions (plain loops)
    t = r.t_first_fail
    f = lemma7_inputs(tr.W_kq_iterates[t:t + 1], tr.W_ov, tr.W_kq_star, ds.vocab.E, [list(s) for s in ds.sentences],
                      list(ds.y), ds.pi, collocation(ds))
    sc = (1 - f["P"][0]) * f["phi_minus"][0]
    As, Bs = f["A_star_hat"][0] * sc, f["B_star_hat"][0] * sc
    t1, n0, beta = f["type1"][0], int(f["n0"][0]), f["beta"][0]
    S1 = np.sum(np.where(t1, ds.pi * (As + Bs), 0))
    line1 = beta * As[n0] + np.sum(np.where(t1, ds.pi * ((1 + 3 * beta) * As + (1 + beta) * Bs), 0))
    assert ds.N * ds.pi[n0] < 1 and line1 < ds.N * beta * S1 + (1 + 3 * beta) * S1
    assert line1 >= beta / ds.pi[n0] * S1 + (1 + 3 * beta) * S1                           # P103.2'
    assert all(x.holds for x in audit_proofs(tr, ds) if x.statement == "Lemma 7" and x.kind == "S")


@pytest.mark.slow
def test_p103_counterexample_is_smallest():
    """With N = 3 (the least N, two tokens) one sentence carries the only constraint of Eq. (3) and W_kq^(t)
    stays aligned with W*_kq (no case 2); with N = 4 and counts in 1..4, the least total count that makes
    P103.2 fail (eta = 5) is 11."""
    tr, q = _run(Dataset.from_corpus(["a b a", "b a"]), 0.1, 5.0, 30, 40)
    assert np.all(1 - np.asarray(q.cos_kq)[1:] <= 1e-12)
    s = Dataset.from_corpus(["a b b", "b a a"])
    least = None
    for c in np.ndindex(4, 4, 4, 4):
        counts = np.array(c) + 1
        if least is not None and counts.sum() >= least:
            continue
        ds = Dataset(s.vocab, s.sentences, s.y, counts)
        tr = two_stage_ngd(ds, 0.1, 5.0, 100, 120, record="full", progress=False)
        if _rows(tr, ds)["P103.2"].verdict == "fails":
            least = int(counts.sum())
    assert least == 11


@given(realizable_datasets())
@settings(max_examples=30)
def test_hidden_conditions_are_implied(ds):
    """gap-S6-S7, gap-P103-S5: where W*_kq != 0, N >= |V| + 1 >= 3 (S5), L_max >= 2 and ||W*_kq|| >= 1/sqrt(2) >
    e/4, so L_max^2 ||W*_kq|| >= 2 sqrt(2) >= 1 (S7)."""
    if not any(o.pairs for o in query_orders(ds).values()):
        return
    star = np.linalg.norm(max_margin_kq(ds).W)
    assert ds.N >= ds.vocab.n_tokens + 1 >= 3 and ds.L_max >= 2
    assert star >= 1 / math.sqrt(2) - 1e-9 and 1 / math.sqrt(2) > math.e / 4
    assert ds.L_max ** 2 * star >= 2 * math.sqrt(2) - 1e-9


def test_s6_holds_from_t0_on(proofs_result):
    """gap-S6-S7: from zero, t >= t0 gives ||W_kq^(t)|| >= 4||W*_kq|| (Lemma 6), hence S6, on every run."""
    for name, r in proofs_result["runs"].items():
        q = Measurements(r["traj"], r["ds"])
        if not cond.evaluate("ZI", q, 2).all():
            continue
        s4, s6 = cond.evaluate("S4", q, 2), cond.evaluate("S6", q, 2)
        assert np.all(s6[s4]), name
        assert np.all(np.asarray(q.norm_W_kq)[s4] >= 4 * float(q.star_norm_kq) * (1 - 1e-12)), name


def test_p78_needs_equal_nonoptimal_scores(proofs_result):
    """gap-P78-equal-scores: on 'random samples 1' (not prefix closed) two non-optimal tokens of one sentence have
    different W*_kq scores; there B_-^(n,*) != 0 (from the printed definition) and row P78 names EQ_NONOPT."""
    r = proofs_result["runs"]["random samples 1"]
    ds, tr = r["ds"], r["traj"]
    q = Measurements(tr, ds)
    assert not cond.evaluate("EQ_NONOPT", q, 2).any()
    t = 100
    f = lemma7_inputs(tr.W_kq_iterates[t:t + 1], tr.W_ov, tr.W_kq_star, ds.vocab.E, [list(s) for s in ds.sentences],
                      list(ds.y), ds.pi, collocation(ds))
    assert np.max(np.abs(f["Bm_star_hat"])) > 1e-6
    row = next(x for x in proofs_result["table"] if x.run == "random samples 1" and x.key == "P78")
    assert row.verdict == "holds-unstated" and row.unstated_needed == ("EQ_NONOPT",)

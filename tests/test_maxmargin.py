"""Eq. (2), Eq. (3), the closed forms of PAPER.md section 6 and Proposition 2 (reference/maxmargin.py).

Every optimality claim is checked by KKT conditions recomputed here from the
literal definitions (sentences, positions, embeddings), by agreement of two
independent algorithms (max-flow block decomposition and Lawson-Hanson NNLS,
and the coupled d x d formulation), or in exact rational arithmetic.
"""

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from reference.data import Dataset
from reference.errors import AssumptionError, ConfigError, SolverError, WeightsError
from reference.generate import example1
from reference.generate_samples import random_realizable_samples
from reference.leastdistance import _lawson_hanson, difference_rows, solve_bipartite, solve_ldp
from reference.maxmargin import (CERT_TOL, W_kq_star_prop2, W_ov_star_closed_form, kkt_certificate,
                                 max_margin_kq, max_margin_ov, prop2_condition)
from reference.structure import collocation, query_orders
from reference.vocabulary import Vocabulary
from strategies import near_miss_datasets, realizable_datasets

#: Exact rational values rounded once, then pushed through a few products with
#: E (abs(V) <= 12): errors are ~1e-15; 1e-12 leaves room and still catches any
#: real disagreement (the closed forms that fail differ by >= 1e-2).
EXACT_TOL = 1e-12
#: Independent KKT recomputation uses the library's certificate threshold.
KKT_TOL = CERT_TOL
#: Tight margins are 1 to ~1e-15; slack ones exceed 1 by a rational with
#: denominator <= abs(V)^2 (block sizes), i.e. by >= 1e-2 here: 1e-9 separates them.
ACTIVE_CHECK_TOL = 1e-9

# PAPER.md section 6, Example 1: rows = key token, columns = query, order S, V, O, P.
PAPER_A = [[F(1, 2), F(-1, 2), F(-1, 3), 0],
           [0, F(1, 2), F(-1, 3), 0],
           [0, 0, F(2, 3), F(1, 2)],
           [F(-1, 2), 0, 0, F(-1, 2)]]


def as_float(M):
    return np.array([[float(x) for x in row] for row in M])


# ---------------------------------------------------------------- independent KKT checks
def literal_kq_kkt(ds, sol, tol=KKT_TOL):
    """Eq. (3) KKT from sentences and positions: every (n, l*, l) constraint, lambda, stationarity."""
    In, W = collocation(ds), sol.W
    assert W.shape == (ds.vocab.d, ds.vocab.d) and W.dtype == np.float64
    seen = {}
    for n in range(ds.N):
        X, s = ds.X(n), ds.sentences[n]
        opt = [l for l in range(s.size) if In[s[l]] == ds.y[n]]
        assert opt, f"sentence {n} has no optimal position"
        for ls in opt:
            for l in range(s.size):
                if l in opt:
                    continue
                margin = (X[:, ls] - X[:, l]) @ W @ X[:, -1]
                assert margin >= 1 - tol, (n, ls, l, margin)
                seen.setdefault((int(s[-1]), int(s[ls]), int(s[l])), set()).add(n)
    c = sol.constraints
    table = {(int(q), int(u), int(v)): k for k, (q, u, v) in enumerate(zip(c.column, c.upper, c.lower))}
    assert set(table) == set(seen)                       # every constraint present once, nothing invented
    for key, k in table.items():
        assert c.n_sentences[k] == len(seen[key]) and c.sentence[k] == min(seen[key])
    E = ds.vocab.E
    S = sum(lam * np.outer(E[:, u] - E[:, v], E[:, q]) for (q, u, v), lam in
            zip(table, sol.dual[list(table.values())]))
    assert np.linalg.norm(W - S) <= tol * max(1.0, np.linalg.norm(W))
    margins = np.array([(E[:, u] - E[:, v]) @ W @ E[:, q] for q, u, v in table])
    lam = sol.dual[list(table.values())]
    assert lam.min() >= -tol
    assert np.abs(lam * (margins - 1)).max() <= tol
    np.testing.assert_array_equal(sol.active[list(table.values())], np.abs(margins - 1) <= ACTIVE_CHECK_TOL)


def literal_ov_kkt(ds, sol, tol=KKT_TOL):
    """Eq. (2) KKT from the definition: (e_In(x) - e_v)^T W x >= 1, lambda >= 0, W = sum lambda G."""
    In, E, V, W = collocation(ds), ds.vocab.E, ds.vocab.n_tokens, sol.W
    assert W.shape == (V, ds.vocab.d) and W.dtype == np.float64
    c = sol.constraints
    assert len(c) == V * (V - 1)
    S = np.zeros_like(W)
    for k in range(len(c)):
        x, u, v = int(c.column[k]), int(c.upper[k]), int(c.lower[k])
        assert u == In[x] and v != u
        m = (np.eye(V)[u] - np.eye(V)[v]) @ W @ E[:, x]
        assert m >= 1 - tol and sol.dual[k] >= -tol and abs(sol.dual[k] * (m - 1)) <= tol
        S += sol.dual[k] * np.outer(np.eye(V)[u] - np.eye(V)[v], E[:, x])
    assert np.linalg.norm(W - S) <= tol * max(1.0, np.linalg.norm(W))


# ---------------------------------------------------------------- Example 1 and the closed forms
def test_example1_W_kq_is_the_papers_matrix():
    ds = example1()
    assert ds.vocab.tokens == ("S", "V", "O", "P")
    sol = max_margin_kq(ds)
    np.testing.assert_allclose(sol.coords, as_float(PAPER_A), rtol=0, atol=EXACT_TOL)
    np.testing.assert_allclose(sol.W, as_float(PAPER_A), rtol=0, atol=EXACT_TOL)   # E = I
    assert sol.certificate.ok and sol.active.all()
    literal_kq_kkt(ds, sol)
    np.testing.assert_allclose(W_kq_star_prop2(ds), sol.W, rtol=0, atol=EXACT_TOL)


def test_example1_with_random_orthonormal_E():
    ds0 = example1()
    ds = ds0.with_vocab(Vocabulary.random_orthonormal(ds0.vocab.tokens, 7, rng=np.random.default_rng(3)))
    sol, E = max_margin_kq(ds), ds.vocab.E
    assert sol.W.shape == (7, 7)
    np.testing.assert_allclose(sol.W, E @ as_float(PAPER_A) @ E.T, rtol=0, atol=EXACT_TOL)
    literal_kq_kkt(ds, sol)
    ov = max_margin_ov(ds)
    assert ov.W.shape == (4, 7)
    assert abs(ov.norm - np.sqrt(3.0)) <= EXACT_TOL
    literal_ov_kkt(ds, ov)


@given(ds=realizable_datasets())
def test_W_ov_closed_form_and_norm(ds):
    sol = max_margin_ov(ds)
    literal_ov_kkt(ds, sol)
    V = ds.vocab.n_tokens
    assert abs(sol.norm - np.sqrt(V - 1)) <= EXACT_TOL
    np.testing.assert_allclose(sol.W, W_ov_star_closed_form(ds), rtol=0, atol=EXACT_TOL)
    # KKT of the closed form: every constraint active with lambda = 1/abs(V)
    np.testing.assert_allclose(sol.dual, 1.0 / V, rtol=0, atol=EXACT_TOL)
    assert sol.active.all()


# ---------------------------------------------------------------- Eq. (3) on random data
@given(ds=realizable_datasets())
def test_kq_kkt_and_two_algorithms_agree(ds):
    sol = max_margin_kq(ds)
    assert sol.method == "blocks" and sol.certificate.ok
    literal_kq_kkt(ds, sol)
    other = max_margin_kq(ds, method="nnls")
    np.testing.assert_allclose(other.W, sol.W, rtol=0, atol=EXACT_TOL)
    assert abs(sol.alignment(other.W) - 1.0) <= EXACT_TOL


@given(ds=realizable_datasets(prefix_closed=False))
def test_prop2_holds_exactly_when_its_condition_does(ds):
    W, verdicts = W_kq_star_prop2(ds, flag=True)
    A_star = max_margin_kq(ds).coords
    A_prop2 = ds.vocab.E.T @ W @ ds.vocab.E
    for q, v in verdicts.items():
        agree = np.abs(A_prop2[:, q] - A_star[:, q]).max() <= EXACT_TOL
        assert agree == v.holds, v.reason
    event(f"Proposition 2 holds on every query: {all(v.holds for v in verdicts.values())}")
    if all(v.holds for v in verdicts.values()):
        np.testing.assert_allclose(W_kq_star_prop2(ds), W, rtol=0, atol=0)
    else:
        with pytest.raises(AssumptionError, match="Proposition 2 does not give"):
            W_kq_star_prop2(ds)


def test_prop2_fails_on_some_random_sample_sets_and_is_detected():
    """Both verdicts occur among seeded random sample sets with two optimal tokens per query."""
    outcomes = set()
    for seed in range(12):
        rng = np.random.default_rng(seed)
        ds = random_realizable_samples(6, N=14, L_max=5, n_ordered=6, n_optimal=2, rng=rng)
        W, verdicts = W_kq_star_prop2(ds, flag=True)
        holds = all(v.holds for v in verdicts.values())
        assert holds == (np.abs(W - max_margin_kq(ds).W).max() <= EXACT_TOL)
        outcomes.add(holds)
    assert outcomes == {True, False}


@given(ds=realizable_datasets(prefix_closed=True))
def test_prefix_closed_data_has_one_optimal_token_per_query(ds):
    """docs/theory.md: prefix closure + Assumption 1 => abs(O_q) <= 1, so Proposition 2 holds."""
    assert all(len(o.optimal) <= 1 for o in query_orders(ds).values())
    assert all(v.holds for v in prop2_condition(ds).values())
    np.testing.assert_allclose(W_kq_star_prop2(ds), max_margin_kq(ds).W, rtol=0, atol=EXACT_TOL)


# ---------------------------------------------------------------- the minimal counterexample
COUNTER_TOKENS = ["a", "b", "c", "d", "q"]
COUNTER_N = dict(zip(COUNTER_TOKENS, COUNTER_TOKENS[1:] + COUNTER_TOKENS[:1]))  # a->b->c->d->q->a


def counterexample():
    return Dataset.from_samples([([x], COUNTER_N[x]) for x in COUNTER_TOKENS]
                                + [("a c d q", COUNTER_N["a"]), ("b q", COUNTER_N["b"])])


# column q of A* and the multipliers, exact (docs/theory.md)
COUNTER_A_Q = {"a": F(2, 3), "b": F(1, 2), "c": F(-1, 3), "d": F(-1, 3), "q": F(-1, 2)}
COUNTER_LAM = {("a", "c"): F(1, 3), ("a", "d"): F(1, 3), ("a", "q"): F(0), ("b", "q"): F(1, 2)}


def test_counterexample_exact_kkt_in_rationals():
    a, lam = COUNTER_A_Q, COUNTER_LAM
    for (u, v), l in lam.items():
        assert a[u] - a[v] >= 1 and l >= 0 and l * (a[u] - a[v] - 1) == 0
    for x in COUNTER_TOKENS:
        assert a[x] == sum(l for (u, _), l in lam.items() if u == x) - sum(l for (_, v), l in lam.items() if v == x)
    assert sum(v * v for v in a.values()) == F(7, 6)
    # Proposition 2's candidate: feasible (all margins 1) but longer
    O, N = ("a", "b"), ("c", "d", "q")
    p2 = {x: F(len(N), 5) if x in O else F(-len(O), 5) for x in COUNTER_TOKENS}
    assert all(p2[u] - p2[v] == 1 for u, v in lam)
    assert sum(v * v for v in p2.values()) == F(6, 5) > F(7, 6)


def test_counterexample_solver_and_detection():
    ds = counterexample()
    assert sorted(o.confused for o in query_orders(ds).values()) == [()] * 5          # Assumption 1 holds
    sol = max_margin_kq(ds)
    literal_kq_kkt(ds, sol)
    idx = {x: ds.vocab.index(x) for x in COUNTER_TOKENS}
    expect = np.zeros((5, 5))
    for x, v in COUNTER_A_Q.items():
        expect[idx[x], idx["q"]] = float(v)
    np.testing.assert_allclose(sol.coords, expect, rtol=0, atol=EXACT_TOL)
    assert abs(sol.norm ** 2 - 7 / 6) <= EXACT_TOL
    c = sol.constraints
    for (u, v), l in COUNTER_LAM.items():
        k = np.flatnonzero((c.upper == idx[u]) & (c.lower == idx[v]))
        assert k.size == 1 and abs(sol.dual[k[0]] - float(l)) <= EXACT_TOL
        assert bool(sol.active[k[0]]) == ((u, v) != ("a", "q"))
    assert max_margin_kq(ds, method="nnls").alignment(sol.W) == pytest.approx(1.0, abs=EXACT_TOL)
    verdict = prop2_condition(ds)[idx["q"]]
    assert not verdict.holds and verdict.witness == (idx["c"], idx["d"])
    with pytest.raises(AssumptionError, match=r"query 'q'.*Y = \{c, d\}"):
        W_kq_star_prop2(ds)
    W, _ = W_kq_star_prop2(ds, flag=True)
    assert abs(np.linalg.norm(W) ** 2 - 6 / 5) <= EXACT_TOL                     # feasible, not minimal
    assert kkt_certificate(W, ds, c, sol.dual)[1].ok is False


# ---------------------------------------------------------------- the certificate rejects wrong solutions
@pytest.mark.parametrize("problem", ["ov", "kq"])
def test_perturbed_solution_fails_certificate(problem):
    ds = example1()
    sol = (max_margin_ov if problem == "ov" else max_margin_kq)(ds)
    cert = lambda W, lam: kkt_certificate(W, ds, sol.constraints, lam)[1]  # noqa: E731
    assert cert(sol.W, sol.dual).ok
    rng = np.random.default_rng(0)
    D = rng.standard_normal(sol.W.shape)
    bad = cert(sol.W + 1e-6 * D / np.linalg.norm(D), sol.dual)
    assert not bad.ok and max(bad.primal, bad.stationarity) > CERT_TOL
    assert cert(sol.W * (1 - 1e-6), sol.dual).primal > CERT_TOL                # shrunk: infeasible
    assert cert(sol.W * (1 + 1e-6), sol.dual).complementary > CERT_TOL         # grown: slack but lambda > 0
    lam = sol.dual.copy()
    lam[0] = -1e-6
    assert cert(sol.W, lam).dual > CERT_TOL
    with pytest.raises(WeightsError):
        cert(sol.W.T[:-1], sol.dual)


# ---------------------------------------------------------------- outside the assumptions
def test_scaled_embeddings_scale_the_solution():
    """x' = c x (not orthonormal): W*_kq' = W*_kq / c^2 and W*_ov' = W*_ov / c (coupled solver)."""
    ds0, c = example1(), 3.0
    Q = Vocabulary.random_orthonormal(ds0.vocab.tokens, 6, rng=np.random.default_rng(5))
    ds1 = ds0.with_vocab(Q)
    ds = ds0.with_vocab(Vocabulary(ds0.vocab.tokens, c * Q.E, allow_non_orthonormal=True))
    kq, ov = max_margin_kq(ds), max_margin_ov(ds)
    assert kq.method == ov.method == "coupled"
    np.testing.assert_allclose(kq.W, max_margin_kq(ds1).W / c ** 2, rtol=0, atol=EXACT_TOL)
    np.testing.assert_allclose(ov.W, max_margin_ov(ds1).W / c, rtol=0, atol=EXACT_TOL)
    literal_kq_kkt(ds, kq)
    literal_ov_kkt(ds, ov)


@given(ds=realizable_datasets(), data=st.data())
@settings(max_examples=10)
def test_coupled_formulation_agrees_and_general_E_is_certified(ds, data):
    for solve in (max_margin_kq, max_margin_ov):
        np.testing.assert_allclose(solve(ds, method="coupled").W, solve(ds).W, rtol=0, atol=EXACT_TOL)
    V = ds.vocab.n_tokens
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    E = rng.standard_normal((V + 1, V))                   # generic, full column rank, not orthonormal
    dsg = ds.with_vocab(Vocabulary(ds.vocab.tokens, E, allow_non_orthonormal=True))
    literal_kq_kkt(dsg, max_margin_kq(dsg))
    literal_ov_kkt(dsg, max_margin_ov(dsg))


def test_decoupled_methods_and_closed_forms_refuse_non_orthonormal_E():
    ds0 = example1()
    E = np.eye(4)
    E[:, 1] = (E[:, 0] + E[:, 1]) / np.sqrt(2.0)
    ds = ds0.with_vocab(Vocabulary(ds0.vocab.tokens, E, allow_non_orthonormal=True))
    for call in (lambda: max_margin_kq(ds, method="blocks"), lambda: max_margin_ov(ds, method="nnls"),
                 lambda: W_ov_star_closed_form(ds), lambda: W_kq_star_prop2(ds)):
        with pytest.raises(AssumptionError, match="orthonormal"):
            call()
    with pytest.raises(ConfigError, match="method"):
        max_margin_kq(ds0, method="cvxpy")


def test_one_token_and_rank_deficient_E():
    """abs(V) = 1: no constraint, W* = 0. d = 3 < abs(V) = 4 (rank-deficient E): still solved and certified."""
    ds = Dataset.from_samples([(["a"], "a")])
    for method in ("blocks", "nnls", "coupled"):
        for solve in (max_margin_ov, max_margin_kq):
            sol = solve(ds, method=method)
            assert len(sol.constraints) == 0 and sol.norm == 0 and sol.certificate.ok
    ds0 = example1()
    E = np.random.default_rng(0).standard_normal((3, 4))
    ds = ds0.with_vocab(Vocabulary(ds0.vocab.tokens, E, allow_non_orthonormal=True))
    literal_kq_kkt(ds, max_margin_kq(ds))
    literal_ov_kkt(ds, max_margin_ov(ds))


def test_identical_embeddings_make_eq2_infeasible():
    ds0 = example1()
    E = np.eye(4)
    E[:, 1] = E[:, 0]                                     # x_V = x_S but n(V) != n(S)
    ds = ds0.with_vocab(Vocabulary(ds0.vocab.tokens, E, allow_non_orthonormal=True))
    with pytest.raises(SolverError, match=r"Eq\. \(2\) is infeasible.*token 'S'.*token 'V'"):
        max_margin_ov(ds)


def test_cycle_is_infeasible_and_named():
    ds = Dataset.from_samples([(["a"], "b"), (["b"], "c"), (["c"], "a"),
                               ("a b c", "b"), ("b a c", "c")])
    for method in ("blocks", "nnls"):
        with pytest.raises(SolverError, match=r"query 'c'.*cycle.*'a' > 'b'.*'a b c'.*'b' > 'a'.*'b a c'"):
            max_margin_kq(ds, method=method)


@given(nm=near_miss_datasets(assumption="1(ii)"))
def test_assumption1_near_misses(nm):
    event(nm.kind)
    if nm.kind == "cycle":
        with pytest.raises(SolverError, match="cycle") as err:
            max_margin_kq(nm.ds)
        assert all(repr(t) in str(err.value) for t in nm.tokens)
    else:  # confused but acyclic: Eq. (3) is still a well-posed QP; Proposition 2 does not apply
        sol = max_margin_kq(nm.ds)
        literal_kq_kkt(nm.ds, sol)
        np.testing.assert_allclose(max_margin_kq(nm.ds, method="coupled").W, sol.W, rtol=0, atol=EXACT_TOL)
        assert any("confused" in v.reason for v in prop2_condition(nm.ds).values() if not v.holds)


def test_confused_chain_exact():
    """Under q: a > b, a > q (sentence a b q) and b > c, b > q (b c q): b is confused, Eq. (3) still solvable."""
    ds = Dataset.from_samples([(["a"], "c"), (["b"], "q"), (["c"], "b"), (["q"], "a"),
                               ("a b q", "c"), ("b c q", "q")])
    a = {"a": F(5, 4), "b": F(1, 4), "c": F(-3, 4), "q": F(-3, 4)}
    lam = {("a", "b"): F(5, 4), ("a", "q"): F(0), ("b", "c"): F(3, 4), ("b", "q"): F(3, 4)}
    for (u, v), l in lam.items():                        # exact KKT of the hand solution
        assert a[u] - a[v] >= 1 and l >= 0 and l * (a[u] - a[v] - 1) == 0
    for x in a:
        assert a[x] == sum(l for (u, _), l in lam.items() if u == x) - sum(l for (_, v), l in lam.items() if v == x)
    sol = max_margin_kq(ds)
    literal_kq_kkt(ds, sol)
    q = ds.vocab.index("q")
    for x, v in a.items():
        assert abs(sol.coords[ds.vocab.index(x), q] - float(v)) <= EXACT_TOL
    assert not prop2_condition(ds)[q].holds


def test_sentence_without_optimal_position_is_refused():
    ds = Dataset.from_samples([(["a"], "b"), (["b"], "a"), ("a a", "a")])
    with pytest.raises(AssumptionError, match=r"without an optimal position.*'a a'"):
        max_margin_kq(ds)


# ---------------------------------------------------------------- the least-distance solvers themselves
def test_ldp_where_scipy_nnls_alone_is_wrong():
    """A 6-constraint LDP on which scipy.optimize.nnls (1.17) returned a non-optimal point
    (scipy/scipy#25389): the checked NNLS and the block decomposition agree and satisfy KKT."""
    up, lo = np.array([0, 0, 2, 2, 3, 3]), np.array([5, 6, 4, 6, 4, 6])
    G = difference_rows(9, up, lo)
    a, lam = solve_ldp(G)
    b, mu = solve_bipartite(9, up, lo)
    for x, y in ((a, lam), (b, mu)):
        assert (G @ x).min() >= 1 - KKT_TOL and y.min() >= 0
        assert np.abs(G.T @ y - x).max() <= KKT_TOL and np.abs(y * (G @ x - 1)).max() <= KKT_TOL
    np.testing.assert_allclose(a, b, rtol=0, atol=EXACT_TOL)


@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 13), n=st.integers(1, 7))
def test_lawson_hanson_meets_nnls_kkt(seed, m, n):
    rng = np.random.default_rng(seed)
    A, b = rng.standard_normal((m, n)), rng.standard_normal(m)
    u = _lawson_hanson(A, b)
    w = A.T @ (b - A @ u)
    assert u.min() >= 0 and w[u == 0].max(initial=-1) <= KKT_TOL and np.abs(w[u > 0]).max(initial=0) <= KKT_TOL

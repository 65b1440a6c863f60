"""Eq. (2), Eq. (3), the closed forms of docs/paper.md section 6 and Proposition 2 (reference/maxmargin/solvers.py).

Every optimality claim is checked by KKT conditions recomputed here from the
literal definitions (sentences, positions, embeddings), by agreement of two
independent algorithms (max-flow block decomposition and Lawson-Hanson NNLS,
and the coupled d x d formulation), or in exact rational arithmetic.
"""

import itertools
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from strategies import near_miss_datasets, realizable_datasets

from reference.data.dataset import Dataset
from reference.data.vocabulary import Vocabulary
from reference.errors import AssumptionError, ConfigError, ReferenceValueError, SolverError, WeightsError
from reference.maxmargin import ldp
from reference.maxmargin.certificate import CERT_TOL, kkt_certificate
from reference.maxmargin.closedforms import prop2_condition, W_kq_star_prop2, W_ov_star_closed_form
from reference.maxmargin.ldp import _lawson_hanson, _nnls_optimal, solve_ldp
from reference.maxmargin.leastdistance import difference_rows, solve_bipartite
from reference.maxmargin.solvers import max_margin_kq, max_margin_ov
from reference.structure.generate import example1
from reference.structure.generate_samples import random_realizable_samples
from reference.structure.orders import query_orders

#: Exact rational values rounded once, then pushed through a few products with
#: E (abs(V) <= 12): errors are ~1e-15; 1e-12 leaves room and still catches any
#: real disagreement (the closed forms that fail differ by >= 1e-2).
EXACT_TOL = 1e-12
#: Independent KKT recomputation uses the library's certificate threshold.
KKT_TOL = CERT_TOL
#: Tight margins are 1 to ~1e-15; slack ones exceed 1 by a rational with
#: denominator <= abs(V)^2 (block sizes), i.e. by >= 1e-2 here: 1e-9 separates them.
ACTIVE_CHECK_TOL = 1e-9

# docs/paper.md section 6, Example 1: rows = key token, columns = query, order S, V, O, P.
PAPER_A = [[F(1, 2), F(-1, 2), F(-1, 3), 0],
           [0, F(1, 2), F(-1, 3), 0],
           [0, 0, F(2, 3), F(1, 2)],
           [F(-1, 2), 0, 0, F(-1, 2)]]


def as_float(M):
    return np.array([[float(x) for x in row] for row in M])


# ---------------------------------------------------------------- independent KKT checks
def literal_In(ds):
    """n(x) read off the one-token sentences [x] (docs/paper.md section 4), without reference.structure."""
    In = {}
    for n in range(ds.N):
        if ds.sentences[n].size == 1:
            In[int(ds.sentences[n][0])] = int(ds.y[n])
    assert sorted(In) == sorted(In.values()) == list(range(ds.vocab.n_tokens)), "no collocation"
    return np.array([In[x] for x in range(ds.vocab.n_tokens)])


def literal_kq_kkt(ds, sol, tol=KKT_TOL):
    """Eq. (3) KKT from sentences and positions: every (n, l*, l) constraint, lambda, stationarity.

    Nothing here comes from the solver but ``W`` and the multipliers: the
    constraint set is rebuilt from the sentences and required to equal the
    solver's table, margins and stationarity are recomputed from ``E``.
    """
    In, W = literal_In(ds), sol.W
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
    """Eq. (2) KKT from the definition: (e_In(x) - e_v)^T W x >= 1 for every x, v != In(x); W = sum lambda G."""
    In, E, V, W = literal_In(ds), ds.vocab.E, ds.vocab.n_tokens, sol.W
    assert W.shape == (V, ds.vocab.d) and W.dtype == np.float64
    c = sol.constraints
    table = {(int(x), int(u), int(v)): k for k, (x, u, v) in enumerate(zip(c.column, c.upper, c.lower))}
    assert len(table) == len(c) == V * (V - 1)
    assert set(table) == {(x, int(In[x]), v) for x in range(V) for v in range(V) if v != In[x]}
    S = np.zeros_like(W)
    for (x, u, v), k in table.items():
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


def random_prefix_closed_lines(rng):
    """Lines ``x n(x)`` for every token plus up to 5 lines whose every next token is n(an earlier token)."""
    V = int(rng.integers(3, 9))
    n = rng.permutation(V)
    lines = [[x, int(n[x])] for x in range(V)]
    for _ in range(int(rng.integers(1, 6))):
        s = [int(rng.integers(V))]
        for _ in range(int(rng.integers(1, 9))):
            s.append(int(n[s[int(rng.integers(len(s)))]]))
        lines.append(s)
    return [" ".join(f"t{i}" for i in line) for line in lines]


@pytest.mark.slow
def test_lemma_pc_search_over_random_prefix_closed_corpora():
    """Lemma PC (docs/theory.md): no prefix-closed corpus meeting its hypotheses has abs(O_q) > 1."""
    rng, kept = np.random.default_rng(0), 0
    for _ in range(40_000):
        try:
            ds = Dataset.from_corpus(random_prefix_closed_lines(rng))
            orders = query_orders(ds)
        except ReferenceValueError:           # two next tokens after one prefix: not realizable
            continue
        if any(o.confused for o in orders.values()):
            continue                          # outside Assumption 1
        kept += 1
        assert all(len(o.optimal) <= 1 for o in orders.values()), ds.samples()
        assert all(v.holds for v in prop2_condition(ds).values()), ds.samples()
    assert kept > 5_000


# ---------------------------------------------------------------- the minimal counterexample
COUNTER_TOKENS = ["a", "b", "c", "d", "q"]
COUNTER_N = dict(zip(COUNTER_TOKENS, COUNTER_TOKENS[1:] + COUNTER_TOKENS[:1]))  # a->b->c->d->q->a


COUNTER_SAMPLES = [([x], COUNTER_N[x]) for x in COUNTER_TOKENS] + [
    ("a c d q".split(), COUNTER_N["a"]), ("b q".split(), COUNTER_N["b"])]


def counterexample():
    return Dataset.from_samples(COUNTER_SAMPLES)


# column q of A* and the multipliers, exact (docs/theory.md)
COUNTER_A_Q = {"a": F(2, 3), "b": F(1, 2), "c": F(-1, 3), "d": F(-1, 3), "q": F(-1, 2)}
COUNTER_LAM = {("a", "c"): F(1, 3), ("a", "d"): F(1, 3), ("a", "q"): F(0), ("b", "q"): F(1, 2)}


def literal_pairs(samples, n):
    """Definition 1 on a list of samples, in plain Python: {query: {(u, v): u >_query v}}."""
    out = {}
    for s, nxt in samples:
        opt = {x for x in s if n[x] == nxt}
        for u in opt:
            for v in set(s) - opt:
                out.setdefault(s[-1], set()).add((u, v))
    return out


def test_counterexample_exact_kkt_in_rationals():
    """Everything from the samples and Fractions: the constraints, KKT of the table, Proposition 2's value."""
    a, lam = COUNTER_A_Q, COUNTER_LAM
    pairs = literal_pairs(COUNTER_SAMPLES, COUNTER_N)
    assert set(pairs) == {"q"} and pairs["q"] == set(lam)                 # only query q has pairs
    O, N = sorted({u for u, _ in pairs["q"]}), sorted({v for _, v in pairs["q"]})
    assert (O, N) == (["a", "b"], ["c", "d", "q"]) and not set(O) & set(N)   # no confused token
    for (u, v), l in lam.items():                                          # primal, dual, complementary
        assert a[u] - a[v] >= 1 and l >= 0 and l * (a[u] - a[v] - 1) == 0
    for x in COUNTER_TOKENS:                                                # stationarity a = sum lam (e_u - e_v)
        assert a[x] == sum(l for (u, _), l in lam.items() if u == x) - sum(l for (_, v), l in lam.items() if v == x)
    norm2 = sum(v * v for v in a.values())
    assert norm2 == F(7, 6)
    # Proposition 2's candidate: feasible (all margins 1) but longer
    p2 = {x: F(len(N), len(O) + len(N)) if x in O else F(-len(O), len(O) + len(N)) for x in COUNTER_TOKENS}
    assert all(p2[u] - p2[v] == 1 for u, v in pairs["q"])
    p2_norm2 = sum(v * v for v in p2.values())
    assert p2_norm2 == F(6, 5) > norm2
    dot = sum(a[x] * p2[x] for x in COUNTER_TOKENS)                         # cosine^2 = 35/36 (docs/theory.md)
    assert dot * dot / (norm2 * p2_norm2) == F(35, 36)
    # the violated condition: Y = {c, d} lies below Gamma(Y) = {a} only
    Y = {"c", "d"}
    gamma = {u for u, v in pairs["q"] if v in Y}
    assert gamma == {"a"} and len(gamma) * len(N) < len(Y) * len(O)


def hall_condition(O, N, pairs):
    """Theorem P2' by brute force over every Y in N: abs(Gamma(Y)) abs(N) >= abs(Y) abs(O)."""
    for r in range(1, len(N) + 1):
        for Y in itertools.combinations(N, r):
            if len({u for u, v in pairs if v in Y}) * len(N) < len(Y) * len(O):
                return False
    return True


def test_theorem_p2prime_and_minimality_on_every_small_bipartite_order():
    """Every bipartite order with abs(O) + abs(N) <= 5 (each token in a pair): Proposition 2's column is
    the NNLS optimum iff the brute-force condition holds; no violation below 5 tokens; violations at 5."""
    violations = {}
    for nO in range(1, 5):
        for nN in range(1, 6 - nO):
            O, N = list(range(nO)), list(range(nO, nO + nN))
            cells = [(u, v) for u in O for v in N]
            for mask in range(1, 2 ** len(cells)):
                pairs = [cells[k] for k in range(len(cells)) if mask >> k & 1]
                if {u for u, _ in pairs} != set(O) or {v for _, v in pairs} != set(N):
                    continue
                up, lo = np.array([u for u, _ in pairs]), np.array([v for _, v in pairs])
                a, lam = solve_ldp(difference_rows(nO + nN, up, lo))     # NNLS, independent of max flow
                p2 = np.r_[np.full(nO, nN), np.full(nN, -nO)] / (nO + nN)
                holds = hall_condition(O, N, pairs)
                assert holds == (np.abs(a - p2).max() <= EXACT_TOL), (O, N, pairs)
                if not holds:
                    violations[(nO, nN)] = violations.get((nO, nN), 0) + 1
    assert set(violations) == {(2, 3), (3, 2)}                              # needs 5 tokens, occurs with 5


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
    with pytest.raises(SolverError, match=r"Eq\. \(2\) is infeasible.*token 'S'.*sentence \d+ 'S'.*token 'V'"):
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
    """A 6-constraint LDP on which scipy.optimize.nnls (1.17.1) returns a non-optimal point with a wrong
    rnorm and no error (scipy/scipy#25389): the KKT check judges SciPy's point the same way as a
    comparison with the exact optimum does, and the checked NNLS and the block decomposition agree."""
    up, lo = np.array([0, 0, 2, 2, 3, 3]), np.array([5, 6, 4, 6, 4, 6])
    G = difference_rows(9, up, lo)
    a, lam = solve_ldp(G)
    b, mu = solve_bipartite(9, up, lo)
    for x, y in ((a, lam), (b, mu)):
        assert (G @ x).min() >= 1 - KKT_TOL and y.min() >= 0
        assert np.abs(G.T @ y - x).max() <= KKT_TOL and np.abs(y * (G @ x - 1)).max() <= KKT_TOL
    np.testing.assert_allclose(a, b, rtol=0, atol=EXACT_TOL)
    # the NNLS problem of the reduction and its exact optimum u* = mu / (1 + ||b||^2) (Lawson-Hanson ch. 23)
    Ep, f = np.vstack([G.T, np.ones(G.shape[0])]), np.r_[np.zeros(9), 1.0]
    best = np.linalg.norm(Ep @ (mu / (1 + b @ b)) - f)
    u = ldp.nnls(Ep, f, maxiter=20 * sum(Ep.shape) + 100)[0]
    assert _nnls_optimal(Ep, f, u) == (np.linalg.norm(Ep @ u - f) <= best + EXACT_TOL)


@pytest.mark.parametrize("nO, nN, extra", [(1, 1, 0), (1, 7, 2), (4, 1, 0), (3, 5, 4)])
def test_complete_block_without_max_flow(nO, nN, extra):
    """A complete block (every upper node above every lower one) passes its transportation test with a
    flow of 1 on each pair: the same verdict as scipy's maximum_flow, the flow conserved (abs(O_S) out
    of each lower, abs(N_S) into each upper node), and Proposition 2's values with exact KKT."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    from reference.maxmargin.leastdistance import split_block
    n = nO + nN + extra                                  # extra nodes in no pair
    O, N = np.arange(nN, nN + nO), np.arange(nN)
    up, lo = np.repeat(O, nN), np.tile(N, nO)
    perm = np.random.default_rng(nO * 10 + nN).permutation(up.size)
    up, lo = up[perm], lo[perm]
    edges = np.arange(up.size)
    upper, flow = split_block(n, up, lo, edges)
    assert upper is None and np.array_equal(flow, np.ones(up.size))
    assert all(flow[lo == v].sum() == nO for v in N) and all(flow[up == u].sum() == nN for u in O)
    s, t = n, n + 1                                      # the max-flow route of the general case
    C = csr_matrix((np.r_[np.full(nN, nO), np.full(up.size, nO * nN + 1), np.full(nO, nN)].astype(np.int32),
                    (np.r_[np.full(nN, s), lo, O], np.r_[N, up, np.full(nO, t)])), shape=(n + 2, n + 2))
    assert maximum_flow(C, s, t).flow_value == nO * nN
    a, lam = solve_bipartite(n, up, lo)
    S = nO + nN
    assert np.array_equal(a[O], np.full(nO, nN / S)) and np.array_equal(a[N], np.full(nN, -nO / S))
    G = difference_rows(n, up, lo)
    assert (G @ a).min() >= 1 - KKT_TOL and lam.min() >= 0
    assert np.abs(G.T @ lam - a).max() <= KKT_TOL and np.abs(lam * (G @ a - 1)).max() <= KKT_TOL


def test_incomplete_block_still_takes_max_flow():
    """Six pairs on two upper and three lower nodes, (3, 0) three times: as many pairs as a complete
    block has, but not complete. Node 3 lies above node 0 alone, which sends at most abs(O_S) = 2 units
    where 3 must receive abs(N_S) = 3, so the transportation test fails and the block is cut."""
    from reference.maxmargin.leastdistance import split_block
    up, lo = np.array([2, 2, 2, 3, 3, 3]), np.array([0, 1, 2, 0, 0, 0])
    upper, flow = split_block(4, up, lo, np.arange(6))
    assert flow is None and upper is not None


def test_scipy_nnls_failure_is_never_used_unchecked(monkeypatch):
    """SciPy raising or returning a wrong point falls back to Lawson-Hanson; both failing raises SolverError."""
    G = difference_rows(4, np.array([0, 1, 1]), np.array([2, 2, 3]))
    a0, lam0 = solve_ldp(G)

    def raising(A, b, maxiter=None):
        raise RuntimeError("Maximum number of iterations reached.")

    for fake in (raising, lambda A, b, maxiter=None: (np.zeros(A.shape[1]), 0.0)):
        monkeypatch.setattr(ldp, "nnls", fake)
        a, lam = solve_ldp(G)
        np.testing.assert_allclose(a, a0, rtol=0, atol=EXACT_TOL)
    monkeypatch.setattr(ldp, "_lawson_hanson", lambda A, b: np.zeros(A.shape[1]))
    with pytest.raises(SolverError, match=r"scipy\.optimize\.nnls returned a point failing.*Lawson-Hanson"):
        solve_ldp(G)
    monkeypatch.setattr(ldp, "nnls", raising)
    with pytest.raises(SolverError, match=r"raised RuntimeError\(Maximum number of iterations"):
        solve_ldp(G)


def test_wrong_solver_output_fails_the_certificate_and_raises(monkeypatch):
    """A solver answer that is not optimal is never returned: _solve's certificate raises SolverError."""
    import reference.maxmargin.solvers as mm
    ds = example1()
    monkeypatch.setattr(mm, "solve_bipartite", lambda n, up, lo: (1.01 * solve_bipartite(n, up, lo)[0],
                                                                 solve_bipartite(n, up, lo)[1]))
    with pytest.raises(SolverError, match="fails its KKT certificate"):
        max_margin_kq(ds)
    monkeypatch.setattr(mm, "solve_ldp", lambda G: (_ for _ in ()).throw(ldp.Infeasible(np.array([0]))))
    with pytest.raises(SolverError, match=r"NNLS reports the pairs of column 'S' infeasible.*query 'S'"):
        max_margin_kq(ds, method="nnls")


def test_certificate_and_alignment_refuse_bad_input():
    ds = example1()
    sol = max_margin_kq(ds)
    m = len(sol.constraints)
    with pytest.raises(WeightsError, match=rf"multipliers.*shape \({m},\)"):
        kkt_certificate(sol.W, ds, sol.constraints, 0.5)                  # a scalar would broadcast silently
    with pytest.raises(WeightsError, match="multipliers"):
        kkt_certificate(sol.W, ds, sol.constraints, np.full(m, np.nan))
    with pytest.raises(WeightsError, match="non-finite"):
        kkt_certificate(np.full_like(sol.W, np.inf), ds, sol.constraints, sol.dual)
    assert sol.alignment(sol.W) == pytest.approx(1.0, abs=EXACT_TOL)
    assert sol.alignment(-2 * sol.W) == pytest.approx(-1.0, abs=EXACT_TOL)
    assert np.isnan(sol.alignment(np.zeros_like(sol.W)))
    with pytest.raises(WeightsError, match="shape"):
        sol.alignment(sol.W[:-1])


@given(seed=st.integers(0, 2**32 - 1), m=st.integers(1, 13), n=st.integers(1, 7))
def test_lawson_hanson_meets_nnls_kkt(seed, m, n):
    rng = np.random.default_rng(seed)
    A, b = rng.standard_normal((m, n)), rng.standard_normal(m)
    u = _lawson_hanson(A, b)
    w = A.T @ (b - A @ u)
    assert u.min() >= 0 and w[u == 0].max(initial=-1) <= KKT_TOL and np.abs(w[u > 0]).max(initial=0) <= KKT_TOL

"""The certified mode: Algorithm 1 in ball arithmetic, ``W*`` in rationals, rigorous verdicts.

Needs the optional extra ``certified`` (python-flint); without it the module is skipped with that
reason (``tests/test_certified_install.py`` checks the error a user then gets). What is asserted:

* the exact iterate's ball and the float64 run of the ordinary engine agree: the float iterate
  lies within the audit's relative tolerance ``RTOL`` of the ball at every ``t`` (the float
  run is the exact iteration plus rounding; leaving that margin would be a bug in one of them),
  and every certified quantity's midpoint matches the float metric;
* the rational ``W*`` satisfies the KKT conditions exactly and contains the float solution to
  its certificate tolerance; wrong claims are refused;
* verdicts: Lemma 1's lower bound is proved, its upper bound (attained with equality from zero)
  and Lemma 3's identity are undecided with a width near the precision, a bound that is wrong by
  one part in 2^100 is refuted, and Corollary 1's printed upper bound ``3 Delta`` is refuted
  where its condition is proved.
"""

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pytest

from reference.audit.statements import RTOL
from reference.errors import AssumptionError, SolverError
from reference.maxmargin import CERT_TOL, max_margin_kq, max_margin_ov
from reference.structure.generate import example1
from reference.training import two_stage_ngd


flint = pytest.importorskip("flint", reason='the certified extra is not installed (pip install -e ".[certified]")')

from reference.certified import (  # noqa: E402
    certified_ngd, certify_star, certify_with_precision, decide, decide_row, FlintBalls, MIN_BITS, NA,
    PrecisionError,
    PROVED, REFUTED, UNDECIDED, verify_kkt)
from reference.experiments.verify import LARGE_STEPS, VERIFY  # noqa: E402

E1 = VERIFY["example1"]


@pytest.fixture(scope="module")
def example1_run():
    """Example 1 at the settings of ``verify`` (eta0 = 0.1, eta = 0.025, 900 + 900), certified and float."""
    ds = example1()
    ct, attempts = certify_with_precision(lambda p: certified_ngd(ds, E1["eta0"], E1["eta"], E1["T"], E1["T1"],
                                                                  prec=p))
    tr = two_stage_ngd(ds, E1["eta0"], E1["eta"], E1["T"], E1["T1"], record="full")
    return ds, ct, tr, attempts


@pytest.fixture(scope="module")
def large_step_run():
    """Example 1 with the large steps of ``verify``: the whole stage 1 (T = 1000) and 20 steps of stage 2."""
    ds = example1()
    L = LARGE_STEPS
    ct, _ = certify_with_precision(lambda p: certified_ngd(ds, L["eta0"], L["eta"], L["T"], 20, prec=p))
    tr = two_stage_ngd(ds, L["eta0"], L["eta"], L["T"], 20, record="full")
    return ds, ct, tr


def _float_inside(ct, tr):
    d = ct.distance(tr)
    r1 = [max(1.0, np.abs(W).max()) for W in tr.W_ov_iterates]
    r2 = [max(1.0, np.abs(W).max()) for W in tr.W_kq_iterates]
    assert np.all(d["stage1"] <= RTOL * np.array(r1)), d["stage1"].max()
    assert np.all(d["stage2"] <= RTOL * np.array(r2)), d["stage2"].max()


# ---------------------------------------------------------------- the ball contains the float run
def test_ball_contains_float_iterates_example1(example1_run):
    ds, ct, tr, attempts = example1_run
    assert attempts[-1].accepted and ct.accuracy_bits() >= MIN_BITS
    _float_inside(ct, tr)


def test_ball_contains_float_iterates_large_steps(large_step_run):
    ds, ct, tr = large_step_run
    _float_inside(ct, tr)


def test_ball_contains_float_iterates_random_init():
    """A random initialisation, taken as the exact binary numbers the float run started from."""
    ds = example1()
    tr = two_stage_ngd(ds, 0.1, 0.025, 300, 300, init=("random", 1.0), rng=np.random.default_rng(3),
                       record="full")
    ct, _ = certify_with_precision(lambda p: certified_ngd(ds, 0.1, 0.025, 300, 300, prec=p,
                                                           init=(tr.W_ov_init, tr.W_kq_init)))
    _float_inside(ct, tr)


@pytest.mark.slow
def test_ball_contains_float_iterates_large_steps_full():
    """The whole large-step run of ``verify`` (1000 + 1500 steps; about 2^15.6 bits, minutes)."""
    ds, L = example1(), LARGE_STEPS
    ct, _ = certify_with_precision(lambda p: certified_ngd(ds, L["eta0"], L["eta"], L["T"], L["T1"], prec=p))
    _float_inside(ct, two_stage_ngd(ds, L["eta0"], L["eta"], L["T"], L["T1"], record="full"))


@pytest.mark.slow
def test_ball_contains_float_iterates_paper_experiment():
    """The paper's experiment (|V| = 20, 900 + 900 steps, zero init)."""
    from reference.experiments.figure2 import figure2_dataset
    ds = figure2_dataset(20, rng=np.random.default_rng(0))
    eta0, eta = VERIFY["eta0"], VERIFY["eta"]
    ct, _ = certify_with_precision(lambda p: certified_ngd(ds, eta0, eta, 900, 900, prec=p))
    _float_inside(ct, two_stage_ngd(ds, eta0, eta, 900, 900, record="full"))


def test_certified_metrics_match_float_metrics(example1_run):
    """Every certified quantity's midpoint agrees with the float metric of the same name (nan where None)."""
    ds, ct, tr, _ = example1_run
    for stage, fl in ((1, tr.stage1), (2, tr.stage2)):
        for k, mid in ct.midpoints(stage).items():
            if k not in fl:
                continue
            f = fl[k]
            assert np.array_equal(np.isnan(mid), np.isnan(f)), (stage, k)
            ok = ~np.isnan(f)
            assert np.all(np.abs(mid[ok] - f[ok]) <= RTOL * np.maximum(1.0, np.abs(f[ok]))), (stage, k)


def test_stage1_inner_products_match_the_engine(example1_run):
    """``<grad L_0/||grad L_0||, W_bar*_ov>`` and ``<., W_ov^(t)>``: balls against the float engine's direction."""
    from reference.training import Engine
    ds, ct, tr, _ = example1_run
    eng = Engine(ds)
    B_star = ct.star_ov.as_float()
    for t in range(0, E1["T"], 50):
        B = tr.W_ov_iterates[t] @ ds.vocab.E
        g = eng.stage1(B).grad_dir
        want = (float(np.sum(g * B_star)) / np.linalg.norm(B_star), float(np.sum(g * B)))
        got = (ct.K.mid(ct.stage1["ugrad_star"][t]), ct.K.mid(ct.stage1["ugrad_W"][t]))
        assert np.allclose(got, want, rtol=RTOL, atol=RTOL), (t, got, want)
    assert ct.stage1["ugrad_star"][-1] is None


def test_coordinate_embedding_required():
    from reference.data.vocabulary import Vocabulary
    ds = example1()
    Q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((4, 4)))
    with pytest.raises(AssumptionError, match="coordinate embedding"):
        certified_ngd(ds.with_vocab(Vocabulary(ds.vocab.tokens, Q)), 0.1, 0.025, 1, 1)


# ---------------------------------------------------------------- W* in rationals
@pytest.mark.parametrize("problem", ["ov", "kq"])
def test_star_proved_and_contains_float_star(problem):
    ds = example1()
    sol = (max_margin_ov if problem == "ov" else max_margin_kq)(ds)
    star = certify_star(ds, problem, sol)
    assert all(m >= 1 for m in star.margins) and all(x >= 0 for x in star.dual)
    assert star.deviation(sol.coords) <= CERT_TOL
    assert abs(float(star.norm2) - sol.norm ** 2) <= CERT_TOL * sol.norm ** 2


def test_wrong_kkt_claims_refused():
    ds = example1()
    star = certify_star(ds, "ov")
    X = [list(r) for r in star.coords]
    y = int(ds.vocab.index("V"))                  # n(S) = V: raise the correct logit of column S
    X[y][0] += Fraction(1, 1000)
    with pytest.raises(SolverError, match="complementary slackness"):
        verify_kkt(ds, "ov", X, star.dual)
    with pytest.raises(SolverError, match="stationarity"):
        verify_kkt(ds, "ov", star.coords, [2 * x for x in star.dual])
    lam = list(star.dual)
    lam[0] = -lam[0]
    with pytest.raises(SolverError, match="dual residual|stationarity"):
        verify_kkt(ds, "ov", star.coords, lam)
    half = [[x / 2 for x in r] for r in star.coords]
    with pytest.raises(SolverError, match="primal residual"):
        verify_kkt(ds, "ov", half, [x / 2 for x in star.dual])
    sol = max_margin_kq(ds)
    drop = sol.active.copy()
    drop[np.flatnonzero(drop)[0]] = False
    with pytest.raises(SolverError, match="Eq. \\(3\\) KKT claim refused"):
        certify_star(ds, "kq", dataclasses.replace(sol, active=drop))


# ---------------------------------------------------------------- decide
def test_decide_one_ball():
    K = FlintBalls(100)
    with K.precision():
        third = K.exact(1) / 3
        assert decide(third).verdict == PROVED
        assert decide(-third).verdict == REFUTED
        assert decide(third - third).verdict == UNDECIDED
        assert decide(K.zero).verdict == PROVED and decide(K.zero, strict=True).verdict == REFUTED
        assert decide(None).verdict == NA
        d = decide(third - third)
        assert d.lower < 0 < d.upper and 0 < d.width < 2.0 ** -90


def test_decide_row_conditions():
    K = FlintBalls(100)
    with K.precision():
        one, eps = K.one, K.exact(1) / 3 - K.exact(1) / 3
        assert decide_row([one, one]).verdict == PROVED
        assert decide_row([one, -one], [True, False]).verdict == PROVED      # refuted only where conditions fail
        assert decide_row([one, -one], [True, UNDECIDED]).verdict == UNDECIDED
        r = decide_row([one, -one, eps], [True, True, True])
        assert r.verdict == REFUTED and r.t == 1
        r = decide_row([one, eps], t=[5, 6])
        assert r.verdict == UNDECIDED and r.t == 6 and r.width > 0
        assert decide_row([one], [False]).verdict == NA


# ---------------------------------------------------------------- verdicts on runs
def test_lemma1_upper_undecided_lower_proved(example1_run):
    """From zero every stage-1 step has the same direction, so ||W_ov^(t)|| = t eta0: Lemma 1's upper
    bound holds with equality and must stay undecided (never proved, never refuted); its lower bound
    ``t eta0 / (2 ||W*_ov||)`` is proved; a bound smaller by one part in 2^100 is refuted."""
    ds, ct, tr, _ = example1_run
    K = ct.K
    with K.precision():
        e0, norm = K.exact(E1["eta0"]), ct.stage1["norm"]
        upper = [t * e0 - n for t, n in enumerate(norm)]
        r = decide_row(upper)
        assert r.verdict == UNDECIDED
        assert all(decide(s).verdict == UNDECIDED for s in upper[1:])
        assert 0 < r.width <= 2.0 ** -MIN_BITS * E1["T"] * E1["eta0"]
        lower = [n - t * e0 / (2 * ct.star_norm_ov) for t, n in enumerate(norm)]
        assert decide_row(lower[1:]).verdict == PROVED
        tight = 1 - K.exact(2.0 ** -100)
        wrong = [t * e0 * tight - n for t, n in enumerate(norm)]
        r = decide_row(wrong)
        assert r.verdict == REFUTED and r.t == 1


def test_lemma3_identity_undecided(example1_run):
    """Lemma 3 (zero init): the wrong logits of every token are equal, an exact identity: undecided."""
    ds, ct, tr, _ = example1_run
    with ct.K.precision():
        r = decide_row([-s for s in ct.stage1["wrong_spread"][1:]])
    assert r.verdict == UNDECIDED and 0 < r.width <= 2.0 ** -MIN_BITS * E1["T"] * E1["eta0"]


def test_corollary1_printed_upper_refuted(large_step_run):
    """Corollary 1 with T = t: where ``t >= 384 ||W*_ov||^5 log(2|V|) log t / eta0`` is proved, the
    printed ``margin < 3 Delta`` (``Delta = t eta0 / (4 ||W*_ov||^2)``) is refuted; the corrected
    ``margin <= 4 ||W*_ov|| Delta = t eta0 / ||W*_ov||`` is attained with equality: undecided."""
    ds, ct, tr = large_step_run
    K = ct.K
    with K.precision():
        e0, n2 = K.exact(LARGE_STEPS["eta0"]), K.exact(ct.star_ov.norm2)
        c = 384 * n2 ** 2 * K.sqrt(n2) * K.log(K.exact(2 * ds.vocab.n_tokens)) / e0
        ts = range(2, LARGE_STEPS["T"] + 1)
        cond = [decide(t - c * K.log(K.exact(t))) for t in ts]
        delta = [t * e0 / (4 * n2) for t in ts]
        mmax = [ct.stage1["margin_max"][t] for t in ts]
        printed = decide_row([3 * d - m for d, m in zip(delta, mmax)], cond, strict=True, t=ts)
        corrected = decide_row([4 * ct.star_norm_ov * d - m for d, m in zip(delta, mmax)], cond, t=ts)
    assert sum(d.verdict == PROVED for d in cond) > 0
    assert printed.verdict == REFUTED and printed.n_checked > 0
    assert corrected.verdict == UNDECIDED and corrected.width <= 2.0 ** -MIN_BITS * 1e6


# ---------------------------------------------------------------- precision control
def test_precision_control_doubles_and_reports():
    ds = example1()
    ct, att = certify_with_precision(lambda p: certified_ngd(ds, 0.1, 0.025, 100, 300, prec=p, W_star=False),
                                     prec=64)
    assert len(att) >= 2 and att[0].prec == 64 and all(b.prec >= 2 * a.prec for a, b in zip(att, att[1:]))
    assert att[-1].accepted and not any(a.accepted for a in att[:-1]) and ct.accuracy_bits() >= MIN_BITS
    with pytest.raises(PrecisionError, match="no precision up to max_prec = 128 bits"):
        certify_with_precision(lambda p: certified_ngd(ds, 0.1, 0.025, 100, 300, prec=p, W_star=False),
                               prec=64, max_prec=128)


def test_exact_zero_gradient_is_a_config_error():
    """From W_ov = 0 (T = 0) the stage-2 gradient is exactly 0: the normalised step is undefined."""
    from reference.errors import ConfigError
    with pytest.raises(ConfigError, match="exactly zero"):
        certified_ngd(example1(), 0.1, 0.025, 0, 1, W_star=False)


def test_float_steps_are_exact_binary_numbers():
    """eta0 = 0.1 is the binary float 3602879701896397 / 2^55; Fraction(1, 10) is the decimal one."""
    ds = example1()
    a = certified_ngd(ds, 0.1, 0.025, 1, 0, W_star=False)
    b = certified_ngd(ds, Fraction(1, 10), 0.025, 1, 0, W_star=False)
    with a.K.precision():
        assert a.stage1["norm"][1].contains(flint.arb(0.1)) and not a.stage1["norm"][1].overlaps(
            b.stage1["norm"][1])
    assert math.isclose(a.K.mid(a.stage1["norm"][1]), 0.1)


# ---------------------------------------------------------------- the errata's counterexamples, refuted
def test_theorem2_printed_attention_bound_refuted():
    """Theorem 2's minimal counterexample (docs/theory.md): corpus {t1 t0 t1 t0, t0 t1}, eta0 = 1000,
    T = 20, eta = 1e6. Its conditions hold (both constants K of ``x >= K log^p x`` are below 1 here, so
    they hold for every T, t >= 1; decided literally at T = 20, t = 1), and at t = 1 the whole ball of
    ``min_n phi_+`` lies below ``1 / (1 + L_max e^{-C_1})``, ``C_1 = eta / (4 L_max ||W*_kq||^2)``."""
    from reference.data.dataset import Dataset
    from reference.experiments.verify import COUNTEREXAMPLES
    c = COUNTEREXAMPLES["counterexample: Theorem 2"]
    ds = Dataset.from_corpus(c["corpus"])
    ct, _ = certify_with_precision(lambda p: certified_ngd(ds, c["eta0"], c["eta"], c["T"], c["T1"], prec=p))
    K = ct.K
    Lm, N, V = ds.L_max, ds.N, ds.vocab.n_tokens
    with K.precision():
        e0, e1 = K.exact(c["eta0"]), K.exact(c["eta"])
        n_ov, n_kq = ct.star_norm_ov, ct.star_norm_kq
        cond_T = decide(c["T"] - 384 * n_ov ** 5 * K.log(K.exact(V)) * K.log(K.exact(c["T"])) / e0)
        cond_t = decide(K.one - 1696 * N * Lm ** 4 * n_kq ** 6 * K.log(K.one) ** 2 / e1)
        assert (384 * n_ov ** 5 * K.log(K.exact(V)) / e0 < 1) and (1696 * N * Lm ** 4 * n_kq ** 6 / e1 < 1)
        C1 = e1 / (4 * Lm * n_kq ** 2)
        bound = 1 / (1 + Lm * K.exp(-C1))
        both = PROVED if cond_T.verdict == cond_t.verdict == PROVED else UNDECIDED
        r = decide_row([ct.stage2["phi_plus_min"][1] - bound], [both], t=[1])
    assert cond_T.verdict == PROVED and cond_t.verdict == PROVED
    assert r.verdict == REFUTED


def _prop2_closed_form_exact(ds):
    """Proposition 2's printed column q in rationals: |N|/(|O|+|N|) on O, -|O|/(|O|+|N|) on N, 0 elsewhere."""
    from reference.structure.orders import query_orders
    V = ds.vocab.n_tokens
    A = [[Fraction(0)] * V for _ in range(V)]
    for q, o in query_orders(ds).items():
        nO, nN = len(o.optimal), len(o.non_optimal)
        for i in o.optimal:
            A[i][q] = Fraction(nN, nO + nN)
        for i in o.non_optimal:
            A[i][q] = Fraction(-nO, nO + nN)
    return A


def test_proposition2_closed_form_refuted_and_proved():
    """On the erratum's sample set the closed form differs from the exact W*_kq (refuted, by 1/21 at
    (a, q)); on Example 1 (prefix-closed) it equals the exact W*_kq entry for entry (proved)."""
    from reference.data.dataset import Dataset
    from reference.experiments.verify import COUNTEREXAMPLES
    bad = Dataset.from_samples(COUNTEREXAMPLES["counterexample: Proposition 2"]["samples"])
    for ds, verdict in ((bad, REFUTED), (example1(), PROVED)):
        star, P = certify_star(ds, "kq"), _prop2_closed_form_exact(ds)
        diff = max(abs(x - y) for rx, ry in zip(star.coords, P) for x, y in zip(rx, ry))
        K = FlintBalls(64)
        with K.precision():
            assert decide(-K.exact(diff)).verdict == verdict
        if verdict == REFUTED:
            a, q = bad.vocab.index("a"), bad.vocab.index("q")
            assert star.coords[a][q] == Fraction(2, 3) and P[a][q] - star.coords[a][q] == Fraction(1, 21)


def test_certified_md_python_blocks_run(tmp_path, monkeypatch, capsys):
    """The ```python blocks of docs/certified.md run as written (here, where the extra is installed)."""
    from test_docs import DOCS, python_blocks
    import os
    monkeypatch.chdir(tmp_path)
    ns = {}
    blocks = python_blocks(os.path.join(DOCS, "certified.md"))
    assert blocks
    for line, code in blocks:
        exec(compile(code, f"docs/certified.md:{line}", "exec"), ns)
    out = capsys.readouterr().out.split("\n")
    assert out[0] == "refuted 1 True 400"              # "The certified audit": Theorem 2's counterexample
    out = out[1:]
    assert out[:2] == ["proved", "undecided"] and float(out[2]) < 2.0 ** -380 and out[3] == "3 13/6"

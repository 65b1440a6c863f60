"""The certified audit: every registry row decided on the balls of Algorithm 1 (docs/certified.md).

Needs the optional extra ``certified`` (python-flint); skipped with that reason otherwise. Asserted:

* the ball backend of the measurement layer contains the exact values (mpmath at 300 digits is
  the oracle) and agrees with the float64 backend; its conditions are ternary (Kleene logic);
* a deliberately wrong bound is refuted, a statement known to hold is proved, an exact identity is
  undecided with a width near the precision (never proved or refuted);
* the errata's counterexamples come out refuted (Corollary 1's 3 Delta, Theorem 2 as printed,
  Proposition 2's closed form), and so does every printed step recorded as false that fails in
  float64 on the instance; one that no instance refutes is certified on the run where it fails;
* conditions are decided on balls (proved, undecided, refuted per iterate), and the Library rule on
  ``t >= K log^p t`` decided on balls agrees with its float64 form away from the threshold;
* a certified verdict never contradicts the float64 verdict where the float64 slack is far from 0;
* precision control decides a row that is undecided for lack of width, and names an equality;
* computations outside the ``ops`` contract are reported, never computed in floating point;
* ``verify --certified`` (one ``error:`` line without the extra or with a bad option).
"""

import math

import numpy as np
import pytest

flint = pytest.importorskip("flint", reason='the certified extra is not installed (pip install -e ".[certified]")')

from reference.audit.certified import certified_measurements  # noqa: E402
from reference.audit.certified_report import FAR  # noqa: E402
from reference.audit.certified_verdicts import certified_audit, judge_certified  # noqa: E402
from reference.certified import BallOps, FlintBalls, MIN_BITS, no_float, PROVED, REFUTED, UNDECIDED  # noqa: E402
from reference.certified import UNDEFINED  # noqa: E402
from reference.experiments import certified as C  # noqa: E402
from reference.theory.proofs import Check, FLOAT64, proof_step, Registry, REGISTRY  # noqa: E402
from reference.theory.proofs import conditions as cond  # noqa: E402

mpmath = pytest.importorskip("mpmath")


@pytest.fixture(scope="module")
def runs():
    """The float64 runs of ``verify``'s certified instances (Example 1, large steps, the counterexamples)."""
    return C.instances("verify")


@pytest.fixture(scope="module")
def example1(runs):
    """Example 1 at verify's steps, 100 + 100 iterations, certified with precision control."""
    return C.certify_run("Example 1", runs["Example 1"], T=100, T1=100)


@pytest.fixture(scope="module")
def theorem2(runs):
    """Theorem 2's minimal counterexample (corpus {t1 t0 t1 t0, t0 t1}, eta0 = 1000, T = 20, eta = 1e6, T1 = 5)."""
    return C.certify_run("counterexample: Theorem 2", runs["counterexample: Theorem 2"])


@pytest.fixture(scope="module")
def proposition2(runs):
    """Proposition 2's counterexample sample set (not prefix closed); Proposition 2 is about W*_kq only."""
    return C.certify_run("counterexample: Proposition 2", runs["counterexample: Proposition 2"], T=10, T1=10)


def _row(res, key):
    hits = [r for r in res["rows"] if r.key == key]
    assert len(hits) == 1, key
    return hits[0]


# ---------------------------------------------------------------- the ball backend
def _mp(x):
    return mpmath.mpf(float(x))


def _contains(ball, exact):
    """The ball contains the mpmath value (compared at 1000 bits, exactly for our purpose)."""
    lo, hi = ball.lower(), ball.upper()
    return mpmath.mpf(lo.mid().str(400, radius=False)) - mpmath.mpf(2) ** -900 <= exact <= \
        mpmath.mpf(hi.mid().str(400, radius=False)) + mpmath.mpf(2) ** -900


def test_ball_ops_contain_the_exact_values():
    """logsumexp, log_softmax, softplus, log_softplus, norm and dot of float inputs (saturated ones too)
    are balls containing the values mpmath computes at 300 digits from the same binary numbers."""
    K = FlintBalls(120)
    ops = BallOps(K)
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 3, (3, 4)), [[-800.0, 0.0, 1e-300, 700.0]]])
    mask = np.ones_like(x, dtype=bool)
    mask[0, 1] = False
    with mpmath.workdps(300), K.precision():
        bx = ops.asarray(x)
        lse, lsm = ops.logsumexp(bx, axis=1, mask=mask), ops.log_softmax(bx, axis=1, mask=mask)
        sp, lsp = ops.softplus(bx), ops.log_softplus(bx)
        nrm, dot = ops.norm(bx, 1), ops.dot(bx, bx[::-1], 1)
        for i in range(x.shape[0]):
            keep = [_mp(v) for v, m in zip(x[i], mask[i]) if m]
            exact_lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in keep))
            assert _contains(lse[i], exact_lse)
            for j in range(x.shape[1]):
                if mask[i, j]:
                    assert _contains(lsm[i, j], _mp(x[i, j]) - exact_lse)
                s = mpmath.log1p(mpmath.exp(_mp(x[i, j])))
                assert _contains(sp[i, j], s) and _contains(lsp[i, j], mpmath.log(s))
            assert _contains(nrm[i], mpmath.sqrt(mpmath.fsum(_mp(v) ** 2 for v in x[i])))
            assert _contains(dot[i], mpmath.fsum(_mp(a) * _mp(b) for a, b in zip(x[i], x[::-1][i])))
        assert lsm[0, 1].is_exact() and not lsm[0, 1].is_finite()           # off the mask: -inf exactly


def test_ball_ops_agree_with_the_float64_backend():
    """The same calls on the float64 backend give the balls' midpoints to float64 accuracy."""
    K = FlintBalls(100)
    ops = BallOps(K)
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3, 3))
    idx = np.array([0, 2, 2])
    with K.precision():
        pairs = [(ops.matmul(a, b), FLOAT64.matmul(a, b)), (ops.einsum("tij,tjk->tik", a, b),
                                                             FLOAT64.einsum("tij,tjk->tik", a, b)),
                 (ops.segment_sum(a, idx, 3), FLOAT64.segment_sum(a, idx, 3)),
                 (ops.cumsum(a, 1), FLOAT64.cumsum(a, 1)), (ops.max(a, axis=(1, 2)), FLOAT64.max(a, axis=(1, 2))),
                 (ops.min(a, axis=2), FLOAT64.min(a, axis=2)), (ops.expm1(a), FLOAT64.expm1(a)),
                 (ops.where(a > 0, a, -b), FLOAT64.where(a > 0, a, -b)), (ops.sum(a, 0), FLOAT64.sum(a, 0))]
        for got, want in pairs:
            assert np.allclose(ops.midpoint(got), want, rtol=1e-13, atol=1e-13)
        nan = ops.append_nan(a)
        assert nan.shape == (3, 3, 3) and all(v is UNDEFINED for v in nan[-1].flat)
        assert ops.asarray(np.nan) is UNDEFINED and (UNDEFINED + ops.asarray(1.0)) is UNDEFINED


def test_ball_conditions_are_ternary():
    K = FlintBalls(80)
    ops = BallOps(K)
    with K.precision():
        third = K.exact(1) / 3
        wide = third - third                                            # [0 +/- r]
        assert ops.ge(third, 0) == 1 and ops.le(third, 0) == -1 and ops.ge(wide, 0) == 0
        assert ops.gt(K.zero, 0) == -1 and ops.ge(K.zero, 0) == 1          # exact 0: decided exactly
        assert ops.ge(UNDEFINED, 0) == -1                                  # undefined: the condition fails
        c = ops.all_of(np.array([1, 1, 0, -1], dtype=np.int8), np.array([True, False, True, True]))
        assert c.tolist() == [1, -1, 0, -1]
        assert ops.any_of(np.array([0, -1], dtype=np.int8), False).tolist() == [0, -1]
        assert ops.tol(1e-12) == 0.0 and FLOAT64.tol(1e-12) == 1e-12


# ---------------------------------------------------------------- verdicts
def _private(*steps):
    """A registry with the given ``(key, sense, check)`` steps (stage 1, no conditions)."""
    reg = Registry()
    for key, check in steps:
        proof_step(key, statement="Test", page=0, equation="", kind="INEQ", stage=1, printed=key, quantity="q",
                   registry=reg)(check)
    return reg


def test_wrong_bound_refuted_loose_bound_proved(example1, runs):
    """From zero ||W_ov^(t)|| = t eta0 exactly: a bound smaller by one part in 2^60 is refuted at t = 1,
    the same bound larger by that much is proved, and with the exact bound it is undecided."""
    # (1 - 2^-60 would round to 1 in float64 before it meets a ball: the term is subtracted on balls)
    reg = _private(("tight-wrong", lambda q, ops: Check(q.norm_W_ov, q.t1 * q.eta0 - q.t1 * q.eta0 * 2.0 ** -60, "<=")),
                   ("tight-loose", lambda q, ops: Check(q.norm_W_ov, q.t1 * q.eta0 + q.t1 * q.eta0 * 2.0 ** -60, "<=")),
                   ("tight-exact", lambda q, ops: Check(q.norm_W_ov, q.t1 * q.eta0, "<=")))
    res = C.certify_run("Example 1", runs["Example 1"], T=30, T1=30, registry=reg)
    v = {r.key: r for r in res["rows"] if r.kind != "S"}
    assert v["tight-wrong"].verdict == REFUTED and v["tight-wrong"].t == 1 and v["tight-wrong"].upper < 0
    assert v["tight-loose"].verdict == PROVED
    assert v["tight-exact"].verdict == UNDECIDED and "an equality" in v["tight-exact"].precision_note


def test_precision_control_decides_a_row_undecided_for_lack_of_width(runs):
    """A bound wrong by one part in 2^250 is undecided at 200 bits; precision control doubles the precision
    of the quantities and of the iterates until it is refuted, and says at which precision."""
    reg = _private(("wrong-by-2^-250",
                    lambda q, ops: Check(q.norm_W_ov, q.t1 * q.eta0 - q.t1 * q.eta0 * 2.0 ** -250, "<=")))
    res = C.certify_run("Example 1", runs["Example 1"], T=30, T1=30, registry=reg, max_prec=1 << 12)
    r = _row(res, "wrong-by-2^-250")
    assert r.verdict == REFUTED and r.meas_prec > 200 and r.precision_note.startswith("decided at"), r
    assert "(undecided at 200 bits" in r.precision_note


def test_statements_known_to_hold_are_proved(example1):
    for key in ("Lemma 1: ||W_ov^(t)|| lower", "Proposition 1: direction error (c=12, appendix)",
                "Lemma 6: <grad/||grad||, W_bar*_kq>", "Theorem 1: ||W_kq^(t)|| upper", "P12", "P27"):
        r = _row(example1, key)
        assert r.verdict == PROVED and r.n_checked > 0, (key, r)


def test_identities_undecided_near_the_precision(example1):
    """Every identity step the library asserts is undecided on balls (never proved or refuted; n/a where its
    conditions never hold), with a ball
    whose width is near the precision: within 40 bits of the correct bits of the iterates (141 here, at
    200 bits), and far below anything float64 resolves."""
    ids = [r for r in example1["rows"] if r.kind == "ID" and r.decides and r.verdict != "n/a"]
    assert len(ids) >= 15
    bits = example1["accuracy_bits"]
    for r in ids:
        assert r.verdict == UNDECIDED, (r.key, r.verdict, r.why)
        assert r.lower < 0 < r.upper and r.log2_width < min(-MIN_BITS, 40 - bits), (r.key, r.log2_width)


def test_errata_counterexamples_refuted(theorem2, proposition2, runs):
    t2 = _row(theorem2, "Theorem 2: min_n phi_+^(n,t) (no step-size condition)")
    assert t2.verdict == REFUTED and t2.erratum == "theorem2-step-size" and t2.upper < 0
    c1 = _row(theorem2, "Corollary 1: margin upper (printed 3 Delta)")
    assert c1.verdict == REFUTED and c1.erratum == "corollary1-upper"
    assert _row(theorem2, "Corollary 1: margin upper (corrected 4||W*_ov|| Delta)").verdict == UNDECIDED
    p2 = _row(proposition2, "Proposition 2: closed form vs certified W*_kq (printed)")
    assert p2.verdict == REFUTED and p2.erratum == "proposition2" and p2.upper < -1 / 22      # 1/21 apart
    for res in (theorem2, proposition2):
        assert not [r for r in res["rows"] if r.violated]


def test_recorded_steps_refuted_where_they_fail(example1):
    """Every printed step recorded as false that fails in float64 on the instance far from 0 is refuted on balls,
    unless one of its conditions is an equality that balls cannot prove (EQM: equal margins): then it is
    undecided, never proved."""
    fl = {f.key: f for f in example1["float_rows"]}
    recorded = [s for s in REGISTRY.steps() if s.recorded]
    refuted = 0
    for s in recorded:
        f = fl[s.key]
        if f.verdict == "fails" and f.t_first_fail is not None and f.t_first_fail <= 100:
            m, b = f.measured_first_fail, f.bound_first_fail
            if abs(m - b) > FAR * max(abs(m), abs(b)):
                r = _row(example1, s.key)
                if r.verdict == REFUTED:
                    refuted += 1
                else:
                    assert r.verdict == UNDECIDED and any(v.split("/")[1] != "0" for v in r.conditions.values()), \
                        (s.key, r.verdict, r.conditions)
    assert refuted >= 5


def test_recorded_row_certified_where_it_first_fails(runs):
    """A recorded step no certified instance refutes is certified on the float run where it first fails,
    cut after that iterate (P29 first fails at t = 42 on Example 1)."""
    r = dict(runs["Example 1"])
    r["_float"] = list(C.audit_proofs(r["traj"], r["ds"], run="Example 1"))
    out = C._recorded_counterexamples([], {"Example 1": r}, 200, 1 << 14, False)
    got = {label: res for label, res in out}
    label = "Example 1 (to t = 42)"
    assert label in got and got[label]["T"] == 43 and got[label]["T1"] == 0
    assert _row(got[label], "P29").verdict == REFUTED


def test_conditions_decided_on_balls(runs):
    ct = C._trajectory(runs["Example 1"], 20, 20, 200, 1 << 12, 64, False)[0]
    q = certified_measurements(ct, runs["Example 1"]["ds"], prec=200)
    with q.ops.K.precision(), no_float(compare=True):
        nz = cond.CONDITIONS["W!=0"][1](q, 1)
        assert nz[0] == -1 and np.all(nz[1:] == 1)
        aligned = cond.CONDITIONS["ALIGNED"][1](q, 1)                  # exact alignment: an equality
        assert aligned[0] == -1 and np.all(aligned[1:] == 0)
        assert cond.CONDITIONS["S1"][1](q, 1) == 1                     # eta0 = 0.1 <= sqrt(3)/2
        assert np.asarray(cond.CONDITIONS["t>=2"][1](q, 1)).dtype == bool
        assert np.all(cond.CONDITIONS["S4"][1](q, 2) == -1)             # t_0 = 2774 > T1: refuted exactly
        zi = cond.CONDITIONS["ZI"][1](q, 2)
        assert np.all(np.asarray(zi) == 1)


@pytest.mark.parametrize("K, p", [(0.5, 1), (3.0, 1), (40.0, 1), (124.5, 1), (39.7, 2), (300.0, 2)])
def test_log_threshold_on_balls_agrees_with_float64(K, p):
    """``t >= log_threshold(K, p)`` decided on balls (reference.theory.arith) is proved exactly where the
    float64 rule holds and refuted where it fails, away from the threshold."""
    from reference.theory.arith import _threshold
    from reference.theory.constants import log_threshold
    B = FlintBalls(100)
    ops = BallOps(B)
    t = np.arange(0, 6000, 7, dtype=np.float64)
    t0 = log_threshold(K, p)
    with B.precision():
        got = _threshold(ops.asarray(t), K, p, ops)
    far = np.abs(t - t0) > 1e-6 * max(t0, 1)
    assert np.all(got[far] == np.where(t[far] >= t0, 1, -1))


def test_certified_never_contradicts_float_far_from_zero(example1, theorem2, proposition2, runs):
    """Recomputed here from the float64 series: a row refuted on balls at t has no float64 slack above FAR
    there; a row proved on balls does not fail in float64 by more than FAR within the certified run. Where
    the certified run is shorter in stage 1 than the float one (Example 1: T = 100 against 900), stage 2
    starts from another W_ov^(T): its rows are compared only when both stage-1 horizons agree."""
    n = 0
    for res in (example1, theorem2, proposition2):
        fl = {f.key: f for f in res["float_rows"]}
        same_T = res["T"] == runs[res["rows"][0].run]["traj"].config["n_stage1"]
        for r in res["rows"]:
            f = fl.get(r.key)
            if f is None or (r.stage == 2 and not same_T):
                continue
            if r.verdict == REFUTED and f.series and f.sense in ("<=", ">=") and r.t in list(f.series["t"]):
                k = list(f.series["t"]).index(r.t)
                m, b = float(f.series["measured"][k]), float(f.series["bound"][k])
                s = (b - m) if f.sense == "<=" else (m - b)
                assert not s > FAR * max(abs(m), abs(b)), (r.run, r.key, s)
                n += 1
            if r.verdict == PROVED and f.verdict == "fails" and f.t_first_fail < r.n_iterates:
                m, b = f.measured_first_fail, f.bound_first_fail
                assert abs(b - m) <= FAR * max(abs(m), abs(b)), (r.run, r.key)
            assert not r.agrees.startswith("no"), (r.run, r.key, r.agrees)
    assert n > 5


def test_outside_the_contract_reported(runs):
    """A check that converts a ball to a float is not certified (n/a, said why); a condition that compares
    balls itself counts as undecided, never as false."""
    reg = _private(("leak", lambda q, ops: Check(np.array([float(x) for x in q.norm_W_ov]), 0.0, ">=")))
    name = "cmp-condition"
    cond.condition(name, "compares balls directly (test)")(lambda q, stage: np.asarray(q.norm_W_ov) >= 0)
    try:
        proof_step("cmp", statement="Test", page=0, equation="", kind="INEQ", stage=1, printed="", quantity="q",
                   stated=(name,), registry=reg)(lambda q, ops: Check(q.norm_W_ov, 0.0, ">="))
        ct = C._trajectory(runs["Example 1"], 5, 5, 200, 1 << 12, 64, False)[0]
        q = certified_measurements(ct, runs["Example 1"]["ds"], prec=200)
        with q.ops.K.precision():
            leak = judge_certified(reg.step("leak"), q)
            cmp = judge_certified(reg.step("cmp"), q)
        assert leak.verdict == "n/a" and "not certifiable" in leak.why
        assert cmp.verdict == UNDECIDED and "not decided on balls" in cmp.why
        assert FLOAT64.exact is False
        with pytest.raises(TypeError):
            with no_float():
                float(flint.arb(1))
        assert float(flint.arb(1)) == 1.0                                       # restored
    finally:
        cond.CONDITIONS.pop(name)


def test_every_registered_row_has_a_certified_verdict(example1):
    """No row is dropped: every statement family and every registered step appears, with a verdict."""
    keys = {r.key for r in example1["rows"]}
    assert {s.key for s in REGISTRY.steps()} <= keys
    families = {e.statement: e.key for e in REGISTRY.statements()}
    for f in example1["float_rows"]:
        assert f.key in keys or families.get(f.statement) in keys, f.key
    assert all(r.verdict in (PROVED, REFUTED, UNDECIDED, "n/a") for r in example1["rows"])
    assert all(r.why for r in example1["rows"] if r.verdict == "n/a" and r.kind != "S")


def test_statement_functions_on_balls_contain_the_float_bounds():
    """The theory's statement functions with an exact backend return balls around their float64 values."""
    from reference.theory import corollary1, theorem2
    B = FlintBalls(100)
    ops = BallOps(B)
    t = np.arange(0, 50)
    kw = dict(T=20, eta0=1000.0, eta=1e6, n_tokens=2, N=2, L_max=4, zero_init=True, assumption3=True)
    with B.precision():
        s_ov, s_kq = ops.sqrt(ops.asarray(1)), ops.sqrt(ops.asarray(3.0))
        for fb, eb in zip(theorem2(t, star_norm_ov=1.0, star_norm_kq=math.sqrt(3.0), **kw),
                          theorem2(t, star_norm_ov=s_ov, star_norm_kq=s_kq, ops=ops, **kw)):
            mid = ops.midpoint(eb.value)
            assert np.allclose(mid, fb.value, rtol=1e-12), fb.name
            c = np.asarray(eb.conditions)
            assert np.all(c[np.asarray(fb.conditions)] >= 0) and np.all(c[~np.asarray(fb.conditions)] <= 0)
        for fb, eb in zip(corollary1(t, eta0=100.0, star_norm_ov=math.sqrt(3.0), n_tokens=4, zero_init=True),
                          corollary1(t, eta0=100.0, star_norm_ov=ops.sqrt(ops.asarray(3)), n_tokens=4,
                                     zero_init=True, ops=ops)):
            assert np.allclose(ops.midpoint(eb.value), fb.value, rtol=1e-12)


# ---------------------------------------------------------------- the command
def test_cli_options_and_missing_extra(monkeypatch, capsys, tmp_path):
    from reference.certified import MissingExtraError
    from reference.commands import _certified
    from reference.commands.cli import main
    assert main(["verify", "--prec", "300", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == "error: --prec needs --certified"
    assert main(["proofs", "--certified", "--prec", "10", "--out", str(tmp_path)]) == 2
    assert "--prec must be an integer >= 53" in capsys.readouterr().err

    def missing():
        raise MissingExtraError('the certified mode needs python-flint: pip install -e ".[certified]"')
    monkeypatch.setattr(_certified, "require_flint", missing)
    assert main(["verify", "--certified", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['error: the certified mode needs python-flint: pip install -e ".[certified]"']


def test_cli_verify_certified_small(monkeypatch, capsys, tmp_path, runs):
    """The command end to end on Theorem 2's counterexample only: the table, the files, exit status 0."""
    from reference.commands.cli import main
    real = C.instances

    def small(command, **kw):
        full = real(command, **kw)
        return {"counterexample: Theorem 2": full["counterexample: Theorem 2"]}
    monkeypatch.setattr(C, "instances", small)
    assert main(["verify", "--certified", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "refuted*" in out and "Theorem 2: min_n phi_+^(n,t) (no step-size condition): on counterexample: Theorem 2" in out
    assert (tmp_path / "verify_certified.csv").exists() and (tmp_path / "verify_certified.json").exists()


@pytest.mark.slow
def test_cli_verify_certified_full(tmp_path, capsys):
    """``python -m reference verify --certified`` as written (about a minute): every row decided or explained,
    every erratum refuted on its counterexample, no disagreement with float64."""
    import json
    from reference.commands.cli import main
    assert main(["verify", "--certified", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "verify_certified.json").read_text())
    refuted = report["refuted_as_recorded"]
    for key in ("Corollary 1: margin upper (printed 3 Delta)", "Theorem 2: min_n phi_+^(n,t) (no step-size condition)",
                "Proposition 2: closed form vs certified W*_kq (printed)"):
        assert key in refuted, key
    assert not report["violations"] and not report["disagreements"]

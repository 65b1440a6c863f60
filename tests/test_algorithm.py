"""Algorithm 1 (reference.algorithm) and its Trajectory (reference.trajectory).

Facts asserted on every iterate: the step-length bound ``||W^(t)|| <= t eta``
(with equality when every step points the same way), Lemma 3 (equal wrong
logits), stage-1 alignment with ``W*_ov`` from the first step on (zero init,
orthonormal E), Lemma 5's monotone attention; the engine trajectory equals
the trajectory of the literal gradients of reference.loss; persistence and
determinism; validation.
"""

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference.algorithm import VARIANTS, Progress, two_stage_ngd
from reference.data import Dataset
from reference.engine import log_softplus
from reference.errors import ConfigError, WeightsError
from reference.generate import example1, random_realizable
from reference.loss import grad_loss, grad_loss0, loss0, unit_grad_loss, unit_grad_loss0
from reference.structure import collocation, optimal_mask, query_orders
from reference.transformer import attention, predict
from reference.trajectory import STAGE1_KEYS, STAGE2_KEYS, Trajectory
from reference.vocabulary import Vocabulary

EPS = np.finfo(np.float64).eps
#: ``||W^(t)||`` is a sum of t steps of length eta, each rounded: allow 8 ulps per step.
NORM_RTOL_PER_STEP = 8 * EPS
#: Stage-1 cosine with W*_ov for zero init: the issue's requirement (float64 precision).
COS1_ATOL = 1e-12
#: Lemma 3: the wrong logits of a column are updated by the same rounded numbers at every step;
#: a computation that did not keep them bit-equal would still be within one rounding of the
#: running logit per step, so the spread is allowed ``4 t eps ||W_ov^(t)||`` (the engine gets 0).
LEMMA3_ULPS_PER_STEP = 4
#: Attention weights lie in [0, 1] and are computed by a softmax with a few roundings each.
ATT_ATOL = 1e-14
#: log L from the engine vs the closed-form floor: a few roundings of O(1) logs (relative).
LOG_LOSS_ATOL = 1e-12
#: Engine vs literal trajectory: both follow the same exact iteration; each step's direction
#: agrees to ~1e-15 and errors add up over the few steps compared.
TRAJ_RTOL = 1e-11


def _need_slow(request):
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("long run: select with -m slow")


@pytest.fixture(scope="module")
def ex1():
    return example1()


@pytest.fixture(scope="module")
def ex1_run(ex1):
    return two_stage_ngd(ex1, 0.1, 0.05, 300, 600)


def _random_ds(seed, n_tokens):
    return random_realizable(n_tokens, rng=np.random.default_rng(seed))


# ------------------------------------------------------------------ the record itself
def test_trajectory_has_every_contract_field(ex1_run):
    tr = ex1_run
    assert set(STAGE1_KEYS) <= set(tr.stage1) and set(STAGE2_KEYS) <= set(tr.stage2)
    for k, v in tr.stage1.items():
        assert v.shape == (301,) and v.dtype == np.float64, k
    for k, v in tr.stage2.items():
        assert v.shape == (601,) and v.dtype == np.float64, k
    V, d = 4, 4
    assert tr.W_ov.shape == (V, d) and tr.W_kq.shape == (d, d)
    assert tr.W_ov_star.shape == (V, d) and tr.W_kq_star.shape == (d, d)
    for k in ("eta0", "eta", "T", "T1", "init", "init_norm", "seed", "variant", "N", "L_max",
              "n_tokens", "d"):
        assert k in tr.config
    # nan exactly where the contract says
    assert np.isnan(tr.stage1["cos"][0]) and np.isnan(tr.stage2["cos"][0])    # W = 0
    assert np.isnan(tr.stage2["phi_plus_decrease_max"][0])
    for k in ("ugrad_star", "ugrad_W", "ugrad_Wstar"):
        assert np.isnan(tr.stage2[k][-1]) and np.all(np.isfinite(tr.stage2[k][:-1]))
    # the final weights are the last iterate: the recorded norms are theirs
    assert tr.stage1["norm"][-1] == pytest.approx(np.linalg.norm(tr.W_ov), rel=1e-14)
    assert tr.stage2["norm"][-1] == pytest.approx(np.linalg.norm(tr.W_kq), rel=1e-14)


def test_star_norms_are_the_certified_solutions(ex1_run):
    # ||W*_ov|| = sqrt(|V| - 1) under Assumption 2 (PAPER.md section 6)
    assert ex1_run.star_norm_ov == pytest.approx(math.sqrt(3), rel=1e-12)
    assert ex1_run.star_norm_kq == pytest.approx(np.linalg.norm(ex1_run.W_kq_star), rel=0)


# ------------------------------------------------------------------ Algorithm 1's facts
def _check_norms(tr, eta0, eta):
    t1 = np.arange(len(tr.stage1["norm"]))
    t2 = np.arange(len(tr.stage2["norm"]))
    # each step moves exactly eta0 (eta): ||W^(t)|| <= t eta (triangle inequality), zero init
    assert np.all(tr.stage1["norm"] <= t1 * eta0 * (1 + t1 * NORM_RTOL_PER_STEP))
    assert np.all(tr.stage2["norm"] <= t2 * eta * (1 + t2 * NORM_RTOL_PER_STEP))
    # stage 1 from zero: every step points the same way (Lemma 3 columns, one p_y), so equality
    np.testing.assert_allclose(tr.stage1["norm"], t1 * eta0, rtol=len(t1) * NORM_RTOL_PER_STEP, atol=0)


def _check_stage1_aligned(tr):
    cos = tr.stage1["cos"][1:]
    assert np.all(np.abs(cos - 1.0) <= COS1_ATOL), np.max(np.abs(cos - 1))
    t = np.arange(len(tr.stage1["norm"]))
    allowed = LEMMA3_ULPS_PER_STEP * t * EPS * tr.stage1["norm"]
    assert np.all(tr.stage1["wrong_spread"] <= allowed)                    # Lemma 3
    # all margins equal the same number (the wrong logits are equal and so are the columns)
    assert np.all(tr.stage1["margin_max"] - tr.stage1["margin_min"] <= allowed + allowed)


def _check_loss_between_floor_and_phi_bound(tr):
    """Zero init: every column of B is ``beta 1 + a e_In(x)`` (Lemma 3, margin a), so sentence n has
    correct logit ``beta + a phi_+`` and wrong logits ``beta + a w_v`` with ``0 <= w_v <= 1 - phi_+``:
    ``softplus(log(|V|-1) - a) <= L^(t) <= softplus(log(|V|-1) - a (2 min_n phi_+ - 1))``
    (Jensen for the lower bound, which is the floor of Theorem 2). Checked in log space."""
    a, V = tr.stage1["margin_min"][-1], tr.config["n_tokens"]
    log_lo = float(log_softplus(np.array([np.log(V - 1) - a]))[0])
    log_hi = log_softplus(np.log(V - 1) - a * (2 * tr.stage2["phi_plus_min"] - 1))
    ll = tr.stage2["log_loss"]
    assert np.all(ll >= log_lo - LOG_LOSS_ATOL * (1 + abs(log_lo)))
    assert np.all(ll <= log_hi + LOG_LOSS_ATOL * (1 + np.abs(log_hi)))
    return log_lo


def _check_lemma5(tr):
    s2 = tr.stage2
    assert np.all(s2["opt_drop_max"] <= ATT_ATOL)
    assert np.all(s2["phi_plus_decrease_max"][1:] <= ATT_ATOL)
    ok = ~np.isnan(s2["opt_minus_nonopt_min"])
    assert np.all(s2["opt_minus_nonopt_min"][ok] >= -ATT_ATOL)


def test_algorithm1_facts_on_example1(ex1_run):
    _check_norms(ex1_run, 0.1, 0.05)
    _check_stage1_aligned(ex1_run)
    _check_lemma5(ex1_run)
    # phi_l^(n,0) >= 1/L_max at W_kq = 0 (uniform attention) and never below afterwards
    assert np.all(ex1_run.stage2["opt_att_min"] >= 1 / 3 - ATT_ATOL)


@settings(max_examples=8)
@given(seed=st.integers(0, 2**32 - 1), n_tokens=st.sampled_from([3, 5, 7]))
def test_algorithm1_facts_on_random_datasets(seed, n_tokens):
    ds = _random_ds(seed, n_tokens)
    if all(np.unique(x).size == 1 for x in ds.sentences):
        # no sentence holds two different tokens: L does not depend on W_kq, grad_W_kq L = 0
        with pytest.raises(ConfigError, match="stage 2, t=0"):
            two_stage_ngd(ds, 0.3, 0.2, 40, 40)
        return
    tr = two_stage_ngd(ds, 0.3, 0.2, 40, 40)
    _check_norms(tr, 0.3, 0.2)
    _check_stage1_aligned(tr)
    _check_lemma5(tr)
    _check_loss_between_floor_and_phi_bound(tr)
    assert np.all(tr.stage2["opt_att_min"] >= 1 / ds.L_max - ATT_ATOL)


def test_stage1_aligned_with_random_orthonormal_embeddings(ex1):
    vocab = Vocabulary.random_orthonormal(ex1.vocab.tokens, 7, rng=np.random.default_rng(3))
    tr = two_stage_ngd(ex1.with_vocab(vocab), 0.2, 0.1, 200, 5)
    _check_stage1_aligned(tr)
    _check_norms(tr, 0.2, 0.1)


def test_stage2_fits_example1(ex1):
    tr = two_stage_ngd(ex1, 0.1, 0.1, 300, 800)
    # 100% training accuracy (pi-weighted sum of ones: equal to 1 up to rounding) and
    # every sentence attends almost only to its optimal positions (Theorem 2)
    assert tr.stage2["accuracy"][-1] >= 1 - 8 * EPS
    assert tr.stage2["phi_plus_min"][-1] > 0.999
    assert tr.stage2["cos"][-1] > 0.99
    lo = _check_loss_between_floor_and_phi_bound(tr)
    assert tr.stage2["log_loss"][-1] == pytest.approx(lo, abs=1e-3)     # the floor is reached


def test_nonzero_init_norm_bounds(ex1):
    rng = np.random.default_rng(11)
    tr = two_stage_ngd(ex1, 0.1, 0.1, 50, 50, init=("random", 0.7), rng=rng)
    assert tr.stage1["norm"][0] == pytest.approx(0.7, rel=1e-14)
    assert tr.stage2["norm"][0] == pytest.approx(0.7, rel=1e-14)
    t = np.arange(51)
    # Lemma 1 / Lemma 6 upper bounds: t eta + ||W^(0)||
    assert np.all(tr.stage1["norm"] <= t * 0.1 + 0.7 + 1e-12)
    assert np.all(tr.stage2["norm"] <= t * 0.1 + 0.7 + 1e-12)


# ------------------------------------------------------------------ engine face == literal face
def _literal_run(ds, eta0, eta, T, T1, W_ov, W_kq, variant):
    ov, kq = [W_ov.copy()], [W_kq.copy()]
    if variant == "joint":
        for t in range(T + T1):
            g = unit_grad_loss(W_ov, W_kq, ds, wrt=("ov", "kq"))
            step = eta0 if t < T else eta
            W_ov, W_kq = W_ov - step * g["ov"], W_kq - step * g["kq"]
            ov.append(W_ov)
            kq.append(W_kq)
        return np.array(ov), np.array(kq)
    for _ in range(T):
        W_ov = W_ov - eta0 * (grad_loss0(W_ov, ds) if variant == "plain_gd" else unit_grad_loss0(W_ov, ds))
        ov.append(W_ov)
    for _ in range(T1):
        g = grad_loss(W_ov, W_kq, ds)[1] if variant == "plain_gd" else unit_grad_loss(W_ov, W_kq, ds)["kq"]
        W_kq = W_kq - eta * g
        kq.append(W_kq)
    return np.array(ov), np.array(kq)


@pytest.mark.parametrize("variant", ["two_stage", "plain_gd", "joint"])
@pytest.mark.parametrize("init", ["zero", "random"])
def test_engine_and_literal_gradients_give_the_same_trajectory(ex1, variant, init):
    # d = 6 > |V| = 4: a random init has parts outside the span of E, which must stay put
    vocab = Vocabulary.random_orthonormal(ex1.vocab.tokens, 6, rng=np.random.default_rng(1))
    ds = ex1.with_vocab(vocab)
    arg = ("random", 0.8) if init == "random" else "zero"
    tr = two_stage_ngd(ds, 0.3, 0.2, 4, 5, init=arg, rng=np.random.default_rng(2), record="full",
                       variant=variant, W_star=False)
    ov, kq = _literal_run(ds, 0.3, 0.2, 4, 5, tr.W_ov_init, tr.W_kq_init, variant)
    scale = max(1.0, np.abs(ov).max(), np.abs(kq).max())
    np.testing.assert_allclose(tr.W_ov_iterates, ov, rtol=0, atol=TRAJ_RTOL * scale)
    np.testing.assert_allclose(tr.W_kq_iterates, kq, rtol=0, atol=TRAJ_RTOL * scale)
    assert np.array_equal(tr.W_ov, tr.W_ov_iterates[-1]) and np.array_equal(tr.W_kq, tr.W_kq_iterates[-1])


def test_metrics_agree_with_literal_attention(ex1):
    # every stage-2 metric recomputed from reference.transformer on the recorded iterates
    vocab = Vocabulary.random_orthonormal(ex1.vocab.tokens, 5, rng=np.random.default_rng(8))
    ds = ex1.with_vocab(vocab)
    tr = two_stage_ngd(ds, 0.3, 0.4, 10, 12, init=("random", 0.5), rng=np.random.default_rng(6),
                       record="full")
    opt = optimal_mask(ds)
    orders = query_orders(ds)
    E = vocab.E
    att0 = None
    for t, W_kq in enumerate(tr.W_kq_iterates):
        att = np.zeros(ds.tokens.shape)
        for n in range(ds.N):
            att[n, :ds.lengths[n]] = attention(W_kq, ds.X(n))
        att0 = att if att0 is None else att0
        s2 = {k: v[t] for k, v in tr.stage2.items()}
        non = ds.mask & ~opt
        pp = np.where(opt, att, 0).sum(1)
        assert s2["phi_plus_min"] == pytest.approx(pp.min(), abs=ATT_ATOL)
        assert s2["opt_att_min"] == pytest.approx(att[opt].min(), abs=ATT_ATOL)
        assert s2["nonopt_max"] == pytest.approx(att[non].max(), abs=ATT_ATOL)
        assert s2["opt_drop_max"] == pytest.approx((att0 - att)[opt].max(), abs=ATT_ATOL)
        has = non.any(1)
        gap = [np.where(opt[n], att[n], np.inf).min() - att[n][non[n]].max() for n in np.flatnonzero(has)]
        assert s2["opt_minus_nonopt_min"] == pytest.approx(min(gap), abs=ATT_ATOL)
        pred = np.array([predict(tr.W_ov, W_kq, ds.X(n)) for n in range(ds.N)])
        assert s2["accuracy"] == pytest.approx(np.dot(ds.pi, pred == ds.y), abs=1e-15)
        assert s2["norm"] == pytest.approx(np.linalg.norm(W_kq), rel=1e-13)
        cos = np.sum(W_kq * tr.W_kq_star) / (np.linalg.norm(W_kq) * np.linalg.norm(tr.W_kq_star))
        assert s2["cos"] == pytest.approx(cos, abs=1e-13)
        S = E.T @ W_kq @ E                       # S[i, q] = x_i^T W_kq x_q
        g1 = min(S[i, q] - S[j, q] for q, o in orders.items() for i in o.optimal for j in o.non_comparable)
        g2 = min(S[j, q] - S[k, q] for q, o in orders.items() for j in o.non_comparable for k in o.non_optimal)
        assert s2["gap_opt_noncomp"] == pytest.approx(g1, abs=1e-13)
        assert s2["gap_noncomp_nonopt"] == pytest.approx(g2, abs=1e-13)
        if t < len(tr.W_kq_iterates) - 1:
            g = unit_grad_loss(tr.W_ov, W_kq, ds)["kq"]
            assert s2["ugrad_W"] == pytest.approx(np.sum(g * W_kq), abs=1e-12)
            assert s2["ugrad_Wstar"] == pytest.approx(np.sum(g * tr.W_kq_star), abs=1e-12)
            assert s2["ugrad_star"] == pytest.approx(s2["ugrad_Wstar"] / tr.star_norm_kq, abs=1e-12)
    # stage 1: margins, spread, cosine and L_0 at the recorded W_ov iterates
    for t, W_ov in enumerate(tr.W_ov_iterates):
        s1 = {k: v[t] for k, v in tr.stage1.items()}
        Bm = W_ov @ E
        In = collocation(ds)
        marg = np.array([[Bm[In[i], i] - Bm[v, i] for v in range(4) if v != In[i]] for i in range(4)])
        assert s1["margin_min"] == pytest.approx(marg.min(), abs=1e-13)
        assert s1["margin_max"] == pytest.approx(marg.max(), abs=1e-13)
        assert s1["wrong_spread"] == pytest.approx((marg.max(1) - marg.min(1)).max(), abs=1e-13)
        assert s1["loss0"] == pytest.approx(loss0(W_ov, ds), rel=1e-13)
        assert s1["norm"] == pytest.approx(np.linalg.norm(W_ov), rel=1e-13)


# ------------------------------------------------------------------ variants
def test_variants_record_comparable_metrics(ex1):
    runs = {v: two_stage_ngd(ex1, 0.2, 0.1, 100, 60, variant=v, track_L=True) for v in VARIANTS}
    for v, tr in runs.items():
        assert set(STAGE2_KEYS) <= set(tr.stage2) and "loss_L" in tr.stage1, v
        assert tr.config["variant"] == v
    assert len(runs["joint"].stage1["loss0"]) == len(runs["joint"].stage2["loss"]) == 161
    assert len(runs["short_stage1"].stage1["loss0"]) == 2          # T_short = max(1, 100 // 100)
    assert runs["short_stage1"].config["T_short"] == 1
    # a short stage 1 is Algorithm 1 with T = T_short: the same numbers
    alg = two_stage_ngd(ex1, 0.2, 0.1, 1, 60, track_L=True)
    for k in STAGE2_KEYS:
        np.testing.assert_array_equal(alg.stage2[k], runs["short_stage1"].stage2[k])
    # plain GD takes steps of length eta * ||grad|| (not eta)
    tr = runs["plain_gd"]
    steps = np.diff(tr.stage1["norm"])
    assert np.all(steps <= 0.2 * np.exp(tr.stage1["log_grad_norm"][:-1]) * (1 + 1e-12))
    # joint NGD: the total step is eta0 (then eta), split between the two blocks
    tj = runs["joint"]
    assert np.all(np.hypot(np.diff(tj.stage1["norm"]), np.diff(tj.stage2["norm"]))
                  <= np.where(np.arange(160) < 100, 0.2, 0.1) * (1 + 1e-12))
    # with track_L, L during stage 1 is at W_kq = 0; at the switch it equals stage 2's L at t = 0
    assert runs["two_stage"].stage1["loss_L"][-1] == runs["two_stage"].stage2["loss"][0]


def test_short_stage1_option_checks(ex1):
    tr = two_stage_ngd(ex1, 0.2, 0.1, 50, 3, variant="short_stage1", T_short=7)
    assert len(tr.stage1["loss0"]) == 8 and tr.config["T"] == 50
    with pytest.raises(ConfigError, match="T_short"):
        two_stage_ngd(ex1, 0.2, 0.1, 5, 3, variant="short_stage1", T_short=7)
    with pytest.raises(ConfigError, match="T_short"):
        two_stage_ngd(ex1, 0.2, 0.1, 5, 3, T_short=2)


# ------------------------------------------------------------------ persistence and determinism
def test_saved_trajectory_loads_back_identically(ex1, tmp_path):
    tr = two_stage_ngd(ex1, 0.2, 0.1, 30, 30, init=("random", 1.0), rng=np.random.default_rng(4),
                       record="full", track_L=True)
    tr.config["seed"] = 4
    npz, js = tr.save(tmp_path / "run")
    assert npz.endswith("run.npz") and js.endswith("run.json")
    back = Trajectory.load(tmp_path / "run.npz")
    assert back == tr
    for k in tr.stage2:
        assert back.stage2[k].tobytes() == tr.stage2[k].tobytes()
    assert back.config == tr.config and back.star_norm_kq == tr.star_norm_kq
    assert np.array_equal(back.W_kq_iterates, tr.W_kq_iterates)


def test_load_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        Trajectory.load(tmp_path / "missing")
    (tmp_path / "x.json").write_text('{"format": "other"}')
    (tmp_path / "x.npz").write_bytes(b"")
    with pytest.raises(ConfigError, match="not a trajectory"):
        Trajectory.load(tmp_path / "x")


def test_same_seed_is_bit_identical(ex1):
    runs = [two_stage_ngd(ex1, 0.2, 0.1, 40, 40, init=("random", 0.5), rng=np.random.default_rng(9))
            for _ in range(2)]
    assert runs[0] == runs[1]
    other = two_stage_ngd(ex1, 0.2, 0.1, 40, 40, init=("random", 0.5), rng=np.random.default_rng(10))
    assert not other == runs[0]


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize("kw", [
    {"eta0": 0}, {"eta0": -0.1}, {"eta0": float("nan")}, {"eta0": float("inf")}, {"eta0": "0.1"},
    {"eta0": True}, {"eta": 0.0}, {"eta": None}, {"T": -1}, {"T": 1.5}, {"T": True}, {"T1": "3"},
    {"init": "ones"}, {"init": ("random", -1.0)}, {"init": ("random", 1.0)},
    {"init": ("gauss", 1.0)}, {"init": ("random", 1.0), "rng": 42}, {"record": "all"},
    {"variant": "adam"}, {"variant": ["joint"]}, {"record": None}, {"progress": "yes"}, {"track_L": 1}, {"W_star": 3},
])
def test_bad_configs_raise(ex1, kw):
    args = dict(eta0=0.1, eta=0.1, T=2, T1=2)
    args.update(kw)
    with pytest.raises(ConfigError):
        two_stage_ngd(ex1, args.pop("eta0"), args.pop("eta"), args.pop("T"), args.pop("T1"), **args)


def test_bad_dataset_and_weights_raise(ex1):
    with pytest.raises(ConfigError, match="Dataset"):
        two_stage_ngd("S V O P", 0.1, 0.1, 1, 1)
    with pytest.raises(WeightsError, match="W_kq"):
        two_stage_ngd(ex1, 0.1, 0.1, 1, 1, init=(np.zeros((4, 4)), np.zeros((3, 4))))
    with pytest.raises(WeightsError, match="NaN"):
        two_stage_ngd(ex1, 0.1, 0.1, 1, 1, init=(np.full((4, 4), np.nan), np.zeros((4, 4))))


def test_zero_gradient_names_stage_and_t(ex1):
    # W_ov^(T) = 0 when T = 0: every sentence's output is uniform whatever W_kq, grad = 0
    with pytest.raises(ConfigError, match="stage 2, t=0"):
        two_stage_ngd(ex1, 0.1, 0.1, 0, 3)
    # only one-token sentences: L does not depend on W_kq
    ds = Dataset.from_samples([("a", "b"), ("b", "a")])
    with pytest.raises(ConfigError, match="stage 2, t=0"):
        two_stage_ngd(ds, 0.1, 0.1, 3, 3, W_star=False)
    # |V| = 1: L_0 = 0 identically
    ds1 = Dataset.from_samples([("a", "a")])
    with pytest.raises(ConfigError, match="stage 1, t=0"):
        two_stage_ngd(ds1, 0.1, 0.1, 3, 0, W_star=False)


# ------------------------------------------------------------------ progress line
def test_progress_line_at_most_once_per_second():
    buf = io.StringIO()
    p = Progress("run", 10, enabled=True, stream=buf)
    for t in range(10):
        p.tick(t, "x")
    p.close()
    out = buf.getvalue()
    assert out.count("run: ") == 2 and out.endswith("\n")          # one redraw, one final line
    quiet = io.StringIO()
    p = Progress("run", 10, enabled=None, stream=quiet)             # auto: silent for short runs
    p.tick(1)
    p.close()
    assert quiet.getvalue() == ""


# ------------------------------------------------------------------ long runs (slow)
@pytest.mark.slow
@pytest.mark.parametrize("stage", [1, 2])
def test_100000_iterations_stay_finite_and_exact(request, ex1, stage):
    _need_slow(request)
    T, T1 = (100_000, 1) if stage == 1 else (200, 100_000)
    tr = two_stage_ngd(ex1, 0.1, 0.1, T, T1, progress=False)
    s = tr.stage1 if stage == 1 else tr.stage2
    for k, v in s.items():          # nan only where documented: t = 0 (W = 0) and the last t
        assert not np.any(np.isinf(v)) and np.all(np.isfinite(v[1:-1])), k
    assert np.all(np.isfinite(s["log_loss0" if stage == 1 else "log_loss"]))
    if stage == 1:
        _check_stage1_aligned(tr)
        _check_norms(tr, 0.1, 0.1)
        assert np.all(np.diff(tr.stage1["log_loss0"]) < 0)
    else:
        _check_lemma5(tr)
        assert tr.stage2["accuracy"][-1] >= 1 - 8 * EPS
        _check_loss_between_floor_and_phi_bound(tr)
        assert tr.stage2["phi_plus_min"][-1] == pytest.approx(1.0, abs=1e-12)

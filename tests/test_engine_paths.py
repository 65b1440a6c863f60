"""The engine's three stage-2 paths against each other, the literal face and 1400-digit references.

The structured and general fast paths (plain exponentials, docs/performance.md)
must agree with the careful log-space path and with the literal functions of
:mod:`reference.model` wherever they are taken, and the engine must fall back to
the careful path exactly where their bounds fail (saturated attention or
logits), where 1400-digit mpmath evaluations are the oracle. Every variant of
the fast paths' layout (CSR or bincount sums, gather or repeat, one chunk or
many) is forced here on small data.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from strategies import seeds, small_datasets, vocabularies
from test_engine import _mp_loss_and_grad_A, _random_dataset, A_STAR_EX1, EXAMPLE1

from reference import Dataset, example1, two_stage_ngd
from reference.structure.generate import random_realizable
from reference.structure.generate_samples import random_realizable_samples
from reference.errors import WeightsError
from reference.model.loss import log_loss, loss
from reference.model.loss_scaled import unit_grad_loss
from reference.training import general, layout, slots
from reference.training.engine import Engine
from reference.training.fastpath import LOGIT_BOUND, SCORE_SPAN, TERM_FLOOR

#: Both paths are backward-stable float64 evaluations with O(1) condition numbers here; the
#: logits carry absolute rounding ~eps * |B| (|B| <= 30): 1e-12 relative leaves room for that.
PATH_RTOL = 1e-12
#: Entries of unit directions, attention weights (scale 1), compared absolutely.
PATH_ATOL = 1e-12
#: 1400-digit references: float64 results exact to a few ulps (as tests/test_engine.py).
EXACT_RTOL = 1e-13
#: Unit directions: at scores of size c the exponents carry absolute rounding ~c eps (2e-13 at
#: c = 1000), which moves O(1) entries by ~1e-14 (1.1e-14 measured at c = 1000, for the careful
#: path as it was before the fast paths existed too); 3e-14 covers c <= 3000.
EXACT_ATOL_DIR = 3e-14


def _structured_B(eng, a, beta=0.0):
    V = eng.n_tokens
    B = np.full((V, V), beta)
    B[eng.In, np.arange(V)] += a
    return B


def _general_engine(ds, **kw):
    eng = Engine(ds, **kw)
    eng.lemma3_structure = lambda B: None          # as tests/test_engine.py: force the general path
    return eng


def _agree(e, ref, rtol=PATH_RTOL, atol=PATH_ATOL):
    assert e.loss == pytest.approx(ref.loss, rel=rtol, abs=1e-300)
    assert e.log_loss == pytest.approx(ref.log_loss, rel=rtol, abs=rtol)
    assert e.accuracy == ref.accuracy
    np.testing.assert_array_equal(e.pred, ref.pred)
    np.testing.assert_allclose(e.group_att, ref.group_att, rtol=rtol, atol=atol)
    np.testing.assert_allclose(e.group_log_w, ref.group_log_w, rtol=rtol, atol=atol)
    if ref.phi_plus is not None:
        np.testing.assert_allclose(e.phi_plus, ref.phi_plus, rtol=rtol, atol=atol)
    if ref.grad_dir:
        assert e.log_grad_norm == pytest.approx(ref.log_grad_norm, rel=rtol, abs=rtol)
        np.testing.assert_allclose(e.grad_dir["A"], ref.grad_dir["A"], atol=atol)


@settings(max_examples=40)
@given(data=st.data(), seed=seeds, scale=st.sampled_from([0.1, 1.0, 3.0, 30.0]))
def test_structured_general_careful_and_literal_agree(data, seed, scale):
    """One evaluation, four computations: structured path, general path, careful path, literal face."""
    vocab = data.draw(vocabularies())
    ds = data.draw(small_datasets(vocab, with_collocation=True))
    rng = np.random.default_rng(seed)
    fast, gen, careful = Engine(ds), _general_engine(ds), Engine(ds, fast=False)
    V = vocab.n_tokens
    A = scale * rng.standard_normal((V, V))
    for B, first in ((_structured_B(fast, scale, beta=-scale / V), "structured"),
                     (scale * rng.standard_normal((V, V)), "general")):
        ref = careful.stage2(B, A)
        assert ref.path == "careful"
        e = fast.stage2(B, A)
        assert e.path == first
        _agree(e, ref)
        if first == "structured":
            eg = gen.stage2(B, A)
            assert eg.path == "general"
            _agree(eg, ref)
        W_ov, W_kq = fast.to_weights(B, A)
        assert e.loss == pytest.approx(loss(W_ov, W_kq, ds), rel=PATH_RTOL)
        assert e.log_loss == pytest.approx(log_loss(W_ov, W_kq, ds), rel=PATH_RTOL, abs=PATH_RTOL)
        np.testing.assert_allclose(fast.to_weights(B, e.grad_dir["A"])[1], unit_grad_loss(W_ov, W_kq, ds)["kq"],
                                   atol=PATH_ATOL)


@pytest.mark.parametrize("sums, repeat", [("csr", True), ("csr", False), ("mixed", False), ("bincount", True)])
def test_sum_and_spread_variants_agree(monkeypatch, sums, repeat):
    """CSR mat-vec or bincount sums (or both), repeat or gather spreads: the same numbers (large-data
    variants forced on small data)."""
    ds = _random_dataset(5, 7, 40, 6)
    rng = np.random.default_rng(1)
    B, A = rng.standard_normal((2, 7, 7))
    ref = Engine(ds, fast=False)
    monkeypatch.setattr(layout, "_SPARSE_FROM", 10**9 if sums == "bincount" else 0)
    monkeypatch.setattr(layout, "_SPARSE_GROUPS_PER_SENTENCE", 10**9 if sums == "mixed" else 0)
    monkeypatch.setattr(layout, "_REPEAT_FROM", 0 if repeat else 10**9)
    for eng in (Engine(ds), _general_engine(ds)):
        for BB in (B, _structured_B(eng, 2.0)):
            e = eng.stage2(BB, A)
            assert e.path in ("structured", "general")
            lay = eng.fast_layout()
            assert (lay._sparse, lay._sparse_sum, lay._repeat) == (sums != "bincount", sums == "csr", repeat)
            _agree(e, ref.stage2(BB, A))


@settings(max_examples=30)
@given(data=st.data(), seed=seeds, scale=st.sampled_from([0.1, 1.0, 30.0, 300.0]))
def test_slot_order_gives_the_same_bits(data, seed, scale):
    """The structured path in slot order (forced on small data) against the engine's order: every
    number bitwise equal (each sentence's groups and each pair's groups are summed in the same
    order), and both against the careful path; a short run too, every iterate equal."""
    with pytest.MonkeyPatch.context() as mp_:
        mp_.setattr(slots, "SLOTS_FROM", 0)
        mp_.setattr(slots, "SLOTS_MAX", 10**9)
        _check_slot_order(data, seed, scale)


def _check_slot_order(data, seed, scale):
    vocab = data.draw(vocabularies())
    ds = data.draw(small_datasets(vocab, with_collocation=True))
    eng, plain = Engine(ds), Engine(ds)
    plain.slots = False
    V = vocab.n_tokens
    A = scale * np.random.default_rng(seed).standard_normal((V, V))
    B = _structured_B(eng, min(scale, LOGIT_BOUND), beta=-scale / V)
    e, ref = eng.stage2(B, A), plain.stage2(B, A)
    event(f"path: {e.path}")
    if e.path == "careful":                        # a fast-path bound fails: both fall back alike
        assert ref.path == "careful"
        return
    assert e.path == ref.path == "structured"
    assert eng.fast_layout().slot_layout(ds.pi) is not None and plain.fast_layout()._slots is None
    assert (e.loss, e.log_loss, e.log_grad_norm, e.accuracy) == (ref.loss, ref.log_loss, ref.log_grad_norm,
                                                                 ref.accuracy)
    for name in ("phi_plus", "pred", "group_att", "group_log_w"):
        np.testing.assert_array_equal(getattr(e, name), getattr(ref, name))
    np.testing.assert_array_equal(e.grad_pairs[1], ref.grad_pairs[1])
    _agree(e, Engine(ds, fast=False).stage2(B, A))


def test_slot_order_is_taken_on_short_sentences_only():
    """Slot order on a sample set with few tokens per sentence and many groups; not on small data, not
    on long sentences, and a training run from zero gives the same trajectory either way."""
    short = random_realizable_samples(64, N=2000, L_max=6, rng=np.random.default_rng(0))
    assert Engine(short).fast_layout().slot_layout(short.pi) is not None
    assert Engine(example1()).fast_layout().slot_layout(example1().pi) is None
    long_ = random_realizable(64, L_max=40, N=2000, rng=np.random.default_rng(0))
    assert max(np.diff(Engine(long_).g_indptr)) > slots.SLOTS_MAX
    assert Engine(long_).fast_layout().slot_layout(long_.pi) is None
    runs = []
    for use in (True, False):
        eng = Engine(short)
        eng.slots = use
        runs.append(two_stage_ngd(short, 0.2 / 8, 0.05 / 8, 5, 20, W_star=False, progress=False, engine=eng))
    for key in ("loss", "log_loss", "phi_plus_min", "accuracy"):
        np.testing.assert_array_equal(runs[0].stage2[key], runs[1].stage2[key])
    np.testing.assert_array_equal(runs[0].W_kq, runs[1].W_kq)


@pytest.mark.parametrize("frac", [0.0, 0.05, 0.2, 0.3, 1.0])
def test_sums_over_a_few_sentences_are_the_full_sums(frac):
    """``FastLayout.sums_of`` (only the sentences asked for, when they are few) gives bitwise the
    entries of the full per-sentence sum, in the order asked (repeats allowed)."""
    ds = random_realizable(32, L_max=20, N=400, rng=np.random.default_rng(2))
    lay = Engine(ds).fast_layout()
    rng = np.random.default_rng(3)
    x = rng.standard_normal(lay.G)
    sents = rng.integers(0, lay.N, size=int(frac * lay.N))
    got = lay.sums_of(x, sents)
    np.testing.assert_array_equal(got, lay.sent_sum(x)[sents])
    # and a plain left-to-right sum over each sentence's groups (the order of both)
    assert got.tolist() == [sum(x[lay.groups_of(int(n))].tolist()) for n in sents]


@pytest.mark.parametrize("fma, overhead", [(1, 0), (64, 0), (10**9, 10**9)])
def test_general_path_chunking_does_not_change_the_result(monkeypatch, fma, overhead):
    """Many chunks (a query's sentences split), one chunk per query, or everything in one chunk."""
    monkeypatch.setattr(general, "CHUNK_FMA", fma)
    monkeypatch.setattr(general, "CHUNK_OVERHEAD_CELLS", overhead)
    monkeypatch.setattr(general, "CHUNK_CELLS", 16 if fma < 100 else 1 << 15)
    ds = _random_dataset(9, 7, 40, 6)
    eng = _general_engine(ds)
    B, A = np.random.default_rng(3).standard_normal((2, 7, 7))
    e = eng.stage2(B, A)
    assert e.path == "general"
    plan = eng.chunk_plan()
    if fma == 1:
        assert len(plan.chunks) == ds.N and len(plan.blocks) > 1
    if overhead == 10**9:
        assert len(plan.chunks) == 1
    _agree(e, Engine(ds, fast=False).stage2(B, A))


def test_attention_ties_resolve_as_the_careful_path():
    """At W_kq = 0 every token of a sentence is attended alike: predictions by the smallest class."""
    ds = _random_dataset(4, 5, 30, 6)
    fast, careful = Engine(ds), Engine(ds, fast=False)
    for B in (_structured_B(fast, 1.0), np.ones((5, 5))):
        e, ref = fast.stage2(B, np.zeros((5, 5)), grad=()), careful.stage2(B, np.zeros((5, 5)), grad=())
        np.testing.assert_array_equal(e.pred, ref.pred)
        assert e.accuracy == ref.accuracy


def _ex1():
    return Dataset.from_corpus(EXAMPLE1)


def _mp_reference(ds, B, A):
    V = ds.vocab.n_tokens
    with mp.workdps(1400):
        L, G = _mp_loss_and_grad_A(ds, B, A)
        nrm = mp.sqrt(sum(G[i, j] ** 2 for i in range(V) for j in range(V)))
        return (float(mp.log(L)), float(mp.log(nrm)),
                np.array([[float(G[i, j] / nrm) for j in range(V)] for i in range(V)]))


@pytest.mark.parametrize("c, path", [(200.0, "structured"), (1000.0, "careful"), (3000.0, "careful")])
def test_fallback_where_attention_spans_more_than_the_fast_bound(c, path):
    """Example 1 at W_kq = c W*_kq: scores of a query span c; beyond SCORE_SPAN the careful path, exact either way."""
    ds = _ex1()
    eng = Engine(ds)
    B, A = _structured_B(eng, 3.0, -0.75), c * A_STAR_EX1
    span = max(np.ptp(A[np.unique(s), s[-1]]) for s in ds.sentences)
    assert (span > SCORE_SPAN) == (path == "careful")
    e = eng.stage2(B, A)
    assert e.path == path
    log_L, log_nrm, direction = _mp_reference(ds, B, A)
    assert e.log_loss == pytest.approx(log_L, rel=EXACT_RTOL, abs=EXACT_RTOL)
    assert e.log_grad_norm == pytest.approx(log_nrm, rel=EXACT_RTOL, abs=EXACT_RTOL)
    np.testing.assert_allclose(e.grad_dir["A"], direction, rtol=0, atol=EXACT_ATOL_DIR)


@pytest.mark.parametrize("a", [300.0, LOGIT_BOUND + 1.0, 3000.0])
def test_fallback_where_logits_exceed_the_fast_bound(a):
    """``W_ov = a W*_ov``-like structure: the structured path up to LOGIT_BOUND, the careful one above; both exact."""
    ds = _ex1()
    eng = Engine(ds)
    B, A = _structured_B(eng, a, -a / 4), 2.0 * A_STAR_EX1
    e = eng.stage2(B, A)
    assert e.path == ("structured" if a <= LOGIT_BOUND else "careful")
    Bg = np.random.default_rng(0).standard_normal((4, 4))
    Bg *= a / np.abs(Bg).max()                        # max |B| = a
    assert eng.stage2(Bg, A).path == ("general" if a <= LOGIT_BOUND else "careful")
    log_L, log_nrm, direction = _mp_reference(ds, B, A)
    assert e.log_loss == pytest.approx(log_L, rel=EXACT_RTOL, abs=EXACT_RTOL)
    assert e.log_grad_norm == pytest.approx(log_nrm, rel=EXACT_RTOL, abs=EXACT_RTOL)
    np.testing.assert_allclose(e.grad_dir["A"], direction, rtol=0, atol=EXACT_ATOL_DIR)


def test_fallback_where_every_gradient_term_is_below_the_floor():
    """Two-token sentences whose second token gets attention e^-650: the gradient's terms are all below
    e^TERM_FLOOR (though the scores span less than SCORE_SPAN), so the careful path takes over."""
    ds = Dataset.from_samples([(["a"], "b"), (["b"], "a"), (["b", "a"], "b")])
    eng = Engine(ds)
    V = 2
    B = _structured_B(eng, 2.0)
    A = np.zeros((V, V))
    A[1, 0] = 650.0                                   # key b under query a: the query's own token a gets e^-650
    assert 650.0 < SCORE_SPAN and -650.0 < TERM_FLOOR
    e = eng.stage2(B, A)
    assert e.path == "careful"
    log_L, log_nrm, direction = _mp_reference(ds, B, A)
    assert e.log_grad_norm == pytest.approx(log_nrm, rel=EXACT_RTOL)
    np.testing.assert_allclose(e.grad_dir["A"], direction, rtol=0, atol=EXACT_ATOL_DIR)


@pytest.mark.parametrize("scale", [1e154, 1e200, 1e300])
def test_huge_weights_give_the_exact_direction(scale):
    """Token coordinates of size 1e154 and above: squares overflow, yet the direction and its log-norm are exact."""
    ds = _ex1()
    eng = Engine(ds)
    rng = np.random.default_rng(5)
    B, A = scale * rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    e = eng.stage2(B, A)
    assert np.isfinite(e.log_grad_norm)
    assert np.linalg.norm(e.grad_dir["A"]) == pytest.approx(1.0, rel=EXACT_RTOL)
    log_L, log_nrm, direction = _mp_reference(ds, B, A)
    assert e.log_grad_norm == pytest.approx(log_nrm, rel=EXACT_RTOL)
    np.testing.assert_allclose(e.grad_dir["A"], direction, rtol=0, atol=EXACT_ATOL_DIR)
    joint = eng.stage2(B, A, grad=("B", "A"))
    assert np.isfinite(joint.log_grad_norm)
    assert math.hypot(*(np.linalg.norm(g) for g in joint.grad_dir.values())) == pytest.approx(1.0, rel=1e-12)


def test_training_from_huge_weights_runs_and_weights_beyond_the_limit_are_refused():
    ds = _ex1()
    W_ov = 1e155 * np.random.default_rng(2).standard_normal((4, 4))
    tr = two_stage_ngd(ds, 0.1, 0.1, 0, 3, init=(W_ov, np.zeros((4, 4))), W_star=False, progress=False)
    assert np.all(np.isfinite(tr.stage2["log_grad_norm"][:-1]))
    assert tr.stage1["norm"][0] == pytest.approx(1e155 * np.linalg.norm(W_ov / 1e155), rel=EXACT_RTOL)
    eng = Engine(ds)
    with pytest.raises(WeightsError, match=r"B\[0, 1\] = 1e\+308.*overflow"):
        B = np.zeros((4, 4))
        B[0, 1] = 1e308
        eng.stage2(B, np.zeros((4, 4)))


def test_frozen_B_is_checked_again_when_it_changes():
    """stage2 keeps the last frozen W_ov; an array changed in place is seen as new."""
    ds = _random_dataset(2, 5, 10, 5)
    eng = Engine(ds)
    rng = np.random.default_rng(0)
    B, A = rng.standard_normal((2, 5, 5))
    e1 = eng.stage2(B, A)
    B[1, 2] += 1.0
    e2 = eng.stage2(B, A)
    assert e2.loss == Engine(ds).stage2(B.copy(), A).loss != e1.loss
    frozen = eng.freeze(B)
    assert eng.stage2(frozen, A).loss == e2.loss
    with pytest.raises(WeightsError):
        Engine(ds).stage2(frozen, A)


def test_zero_init_run_takes_the_structured_path_and_every_iterate_matches_the_careful_engine():
    """Algorithm 1 from zero: every stage-2 iterate, evaluated by the careful engine, gives the same numbers."""
    ds = _random_dataset(8, 6, 20, 5)
    eng, careful = Engine(ds), Engine(ds, fast=False)
    tr = two_stage_ngd(ds, 0.3, 0.2, 60, 60, engine=eng, record="full", W_star=False, progress=False)
    B = tr.W_ov @ ds.vocab.E
    assert eng.freeze(B).path == "structured"
    for t, W_kq in enumerate(tr.W_kq_iterates[:-1]):
        A = ds.vocab.E.T @ W_kq @ ds.vocab.E
        e, ref = eng.stage2(B, A), careful.stage2(B, A)
        assert e.path == "structured", t
        _agree(e, ref)
        assert tr.stage2["loss"][t] == e.loss and tr.stage2["log_grad_norm"][t] == e.log_grad_norm

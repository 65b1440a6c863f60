"""The three errata of docs/theory.md, each counterexample recomputed independently.

Corollary 1's upper bound and Theorem 2 with the literal face (reference.model.loss,
reference.model.transformer) instead of the training engine; Proposition 2 in exact
rationals (KKT by hand) against the certified solver. Each test asserts the
printed statement's failure as a fact and the corrected statement.
"""

import math

import numpy as np
import pytest

from reference import theory as tb
from reference.data.dataset import Dataset
from reference.structure.orders import query_orders

#: The certified max-margin solution is exact to its certificate tolerance (1e-9,
#: reference.maxmargin.CERT_TOL); rational closed forms are compared at 1e-8.
STAR_TOL = 1e-8


ERRATUM_CORPUS = ["t1 t0 t1 t0", "t0 t1"]


def _literal_stage1(ds, eta0, T):
    from reference.model.loss_scaled import unit_grad_loss0
    W = np.zeros((ds.vocab.n_tokens, ds.vocab.d))
    for _ in range(T):
        W = W - eta0 * unit_grad_loss0(W, ds)
    return W


def test_erratum_corollary1_upper_minimal_counterexample():
    """|V| = 2, eta0 = 1000, T = 1: the condition holds (384 log 4 / 1000 < e), the margin is
    1000 = 4 ||W*_ov|| Delta, the printed upper bound 3 Delta = 750."""
    from reference.maxmargin.solvers import max_margin_ov
    ds = Dataset.from_corpus(ERRATUM_CORPUS)
    eta0, T = 1000.0, 1
    s = max_margin_ov(ds).norm
    assert s == pytest.approx(1.0, rel=1e-12)                     # sqrt(|V| - 1)
    assert 384 * s ** 5 * math.log(4) / eta0 < math.e
    W = _literal_stage1(ds, eta0, T)
    In = {ds.vocab.index(x): ds.vocab.index(y) for x, y in (("t0", "t1"), ("t1", "t0"))}
    margins = [(W[In[x]] - W[v]) @ ds.vocab.E[:, x] for x in In for v in In if v != In[x]]
    np.testing.assert_allclose(margins, 1000.0, rtol=1e-12)
    b = {x.quantity: x for x in tb.corollary1([T], eta0=eta0, star_norm_ov=s, n_tokens=2, zero_init=True)}
    assert b["margin upper (printed 3 Delta)"].conditions[0]
    assert b["margin upper (printed 3 Delta)"].value[0] == pytest.approx(750.0)
    assert min(margins) > b["margin upper (printed 3 Delta)"].value[0]
    assert max(margins) <= b["margin upper (corrected 4||W*_ov|| Delta)"].value[0] * (1 + 1e-12)


def test_erratum_theorem2_counterexample():
    """Corpus {t1 t0 t1 t0, t0 t1}, eta0 = 1000, T = 20, eta = 1e6: both printed conditions hold at
    t = 1, yet one literal stage-2 step leaves phi_+ of [t1 t0 t1] at 2/3 (the step goes to the
    query column of [t1 t0], whose loss is log 2; the other loss is ~exp(-6667)); the bound is ~1."""
    from reference.model.loss_scaled import unit_grad_loss
    from reference.model.transformer import attention
    ds = Dataset.from_corpus(ERRATUM_CORPUS)
    eta0, T, eta = 1000.0, 20, 1e6
    W_ov = _literal_stage1(ds, eta0, T)
    W_kq = -eta * unit_grad_loss(W_ov, np.zeros((ds.vocab.d, ds.vocab.d)), ds, wrt=("kq",))["kq"]
    n = next(k for k in range(ds.N) if ds.sentence_text(k) == "t1 t0 t1")
    phi = attention(W_kq, ds.X(n))
    phi_plus = phi[0] + phi[2]                                     # t1 (n(t1) = t0, the next token)
    assert phi_plus == pytest.approx(2 / 3, abs=1e-12)
    kw = dict(T=T, eta0=eta0, eta=eta, n_tokens=2, N=ds.N, L_max=ds.L_max, star_norm_ov=1.0, star_norm_kq=1.0)
    att, _, att_fix, _ = tb.theorem2([1], zero_init=True, assumption3=True, **kw)
    assert att.conditions[0] and att.erratum == "theorem2-step-size"
    assert phi_plus < att.value[0] - 0.3
    assert not att_fix.conditions[0]                               # eta > ||W*_kq|| / e
    # the direction form does not apply either: W_kq^(1) is one column, cos(W^(1), W*) = 1/sqrt 2
    W_star = np.array([[0.5, -0.5], [-0.5, 0.5]])                  # by hand: margin 1 in both query columns
    E = ds.vocab.E
    cos = np.sum(E.T @ W_kq @ E * W_star) / (np.linalg.norm(W_kq) * np.linalg.norm(W_star))
    assert cos == pytest.approx(1 / math.sqrt(2), rel=1e-12)
    att_dir, _ = tb.theorem2_direction_form([1], dir_err_kq=[1 - cos], zero_init=True, assumption3=True,
                                            **{k: v for k, v in kw.items() if k != "N"})
    assert not att_dir.conditions[0]


def test_erratum_proposition2_counterexample_exact():
    """verify's run 'counterexample: Proposition 2': under q, O = {a, b}, N = {c, d, e, f, q}.

    Exact solution by hand (KKT in rationals): column q = (a 2/3, b 3/4, c -1/3, d e f -1/4, q -1/3),
    multipliers 1/3 on a > c, a > q, 1/4 on b > d, e, f, 0 on b > q (margin 13/12). The printed
    form (5/7 on O, -2/7 on N) is off by 1/21."""
    from fractions import Fraction as F

    from reference.experiments.verify import COUNTEREXAMPLES
    from reference.maxmargin.closedforms import prop2_condition
    from reference.maxmargin.solvers import max_margin_kq
    ds = Dataset.from_samples(COUNTEREXAMPLES["counterexample: Proposition 2"]["samples"])
    idx = {x: ds.vocab.index(x) for x in "abcdefq"}
    q = idx["q"]
    pairs = {("a", "c"), ("a", "q"), ("b", "d"), ("b", "e"), ("b", "f"), ("b", "q")}
    order = query_orders(ds)[q]
    assert order.pairs == {(idx[u], idx[v]) for u, v in pairs}
    a = {"a": F(2, 3), "b": F(3, 4), "c": F(-1, 3), "d": F(-1, 4), "e": F(-1, 4), "f": F(-1, 4), "q": F(-1, 3)}
    lam = {("a", "c"): F(1, 3), ("a", "q"): F(1, 3), ("b", "d"): F(1, 4), ("b", "e"): F(1, 4),
           ("b", "f"): F(1, 4), ("b", "q"): F(0)}
    for (u, v), m in lam.items():
        assert a[u] - a[v] >= 1 and m >= 0 and (m == 0 or a[u] - a[v] == 1)   # feasible, slack
    for x in a:                                                                 # stationarity
        assert a[x] == sum(m for (u, v), m in lam.items() if u == x) - sum(m for (u, v), m in lam.items() if v == x)
    col = np.array([float(a[x]) for x in "abcdefq"])
    A_star = max_margin_kq(ds).coords
    np.testing.assert_allclose(A_star[[idx[x] for x in "abcdefq"], q], col, atol=STAR_TOL)
    printed = tb.proposition2_closed_form(ds)[[idx[x] for x in "abcdefq"], q]
    np.testing.assert_allclose(printed, [5 / 7, 5 / 7] + [-2 / 7] * 5, rtol=1e-15)
    assert np.max(np.abs(printed - col)) == pytest.approx(1 / 21, rel=1e-12)
    v = prop2_condition(ds)[q]
    assert not v.holds and set(v.witness) <= {idx["d"], idx["e"], idx["f"]}
    Y = set(v.witness)                                   # |Gamma(Y)| |N| < |Y| |O| with Gamma(Y) = {b}
    assert 1 * 5 < len(Y) * 2

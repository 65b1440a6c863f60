"""Independent inputs and transcriptions for the steps of Appendix C.1-C.3 (Lemma 3 to Lemma 6, P33-P63).

- :func:`stage2_inputs` builds every stage-2 quantity these steps read, literally from its
  definition (docs/proofs.md, "Quantities"): scores, attention and outputs sentence by
  sentence, Eq. (6) as the printed sum of ``X (diag(phi) - phi phi^T) X^T W_ov^T (T - p) q^T``,
  with plain numpy and loops (no log-space devices: the inputs are not saturated). From
  random weights (random inputs) or from a trajectory (then it is compared with the
  library's measurement layer, tests/test_proofs_c123.py).
- :data:`TRANSCRIPTIONS` gives, for every step P33-P63, the two sides and the sense of the
  printed (or corrected) relation, written out again from the formula on the page
  (``xbar_n`` and ``(x_l - xbar_n)``, ``P_n - 1``, ``Q_{n,l}``, inner products), never
  through the library's checks or its exact sums.
- :data:`INPUTS`: the random inputs of each of these steps (tests/test_proofs_steps.py).
"""

import functools
import math

import numpy as np
from proof_inputs import Q, random_stage1

from reference.data.vocabulary import Vocabulary
from reference.structure.generate import example1, random_realizable
from reference.structure.generate_samples import random_realizable_samples
from reference.structure.orders import collocation


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def stage2_inputs(ds, W_iter, W_ov, W_star, eta, c2=None, c2_shift=0.0):
    """Every stage-2 quantity of Lemmas 4-6's steps, literally, at the iterates ``W_iter`` (T1+1, d, d).

    ``c2``: the log-scale of the gradient (any value is valid); default ``log ||G_t|| + c2_shift``.
    """
    E = ds.vocab.E
    d, V = E.shape
    In = collocation(ds)
    n_t, N, L = len(W_iter), ds.N, ds.L_max
    pos = np.asarray(ds.mask)
    tok = np.where(pos, ds.tokens, 0)
    qtok, y, pi = np.asarray(ds.queries), np.asarray(ds.y), np.asarray(ds.pi, dtype=float)
    opt = pos & (In[tok] == y[:, None])
    non = pos & ~opt
    a = np.zeros((n_t, N, L))
    log_phi = np.full((n_t, N, L), -np.inf)
    T2 = np.zeros((n_t, N, V))
    G = np.zeros((n_t, d, d))
    for t in range(n_t):
        for n in range(N):
            Ln = int(pos[n].sum())
            X = E[:, tok[n, :Ln]]
            qv = E[:, qtok[n]]
            s = X.T @ W_iter[t] @ qv
            a[t, n, :Ln] = s
            phi = _softmax(s)
            log_phi[t, n, :Ln] = np.log(phi)
            out = _softmax(W_ov @ X @ phi)
            T2[t, n] = out
            p = np.zeros(V)
            p[y[n]] = 1.0
            G[t] += pi[n] * X @ (np.diag(phi) - np.outer(phi, phi)) @ X.T @ W_ov.T @ np.outer(out - p, qv)
    phi = np.exp(log_phi)
    P = T2[:, np.arange(N), y]
    one_m_P = np.array([[sum(T2[t, n, v] for v in range(V) if v != y[n]) for n in range(N)] for t in range(n_t)])
    rhat = T2 / one_m_P[..., None]
    rhat[:, np.arange(N), y] = -1.0
    B_T = W_ov @ E
    uhat = np.einsum("tnv,vnl->tnl", rhat, B_T[:, tok])
    Qhat = np.where(non, T2[:, np.arange(N)[:, None], In[tok]] / one_m_P[..., None], np.nan)
    nG = np.linalg.norm(G, axis=(1, 2))
    c2 = np.log(nG) + c2_shift if c2 is None else np.asarray(c2, dtype=float)
    Gs = G * np.exp(-c2)[:, None, None]
    g = G / nG[:, None, None]
    norms = np.linalg.norm(W_iter, axis=(1, 2))
    s_star_n = np.linalg.norm(W_star)
    s_star = np.where(pos, (E.T @ W_star @ E)[tok, qtok[:, None]], 0.0)
    margins = B_T[In, np.arange(V)][None, :] - B_T
    wrong1 = np.arange(V)[:, None] != In[None, :]
    mult = np.array([[sum(tok[n, k] == tok[n, l] for k in range(L) if pos[n, k]) if pos[n, l] else 0
                      for l in range(L)] for n in range(N)], dtype=float)
    phi_plus = np.where(opt, phi, 0.0).sum(axis=2)
    phi_minus = np.where(non, phi, 0.0).sum(axis=2)
    with np.errstate(divide="ignore"):
        lpp, lpm = np.log(phi_plus), np.log(phi_minus)
    return Q(E=E, In=In, n_tokens=V, N=N, L_max=L, pos=pos, tok=tok, qtok=qtok, y=y, pi=pi, opt=opt, nonopt=non,
             wrong2=np.arange(V)[None, :] != y[:, None], wrong1=wrong1, W_kq=W_iter, W_ovT=W_ov, B_T=B_T,
             t2=np.arange(n_t, dtype=float), eta=eta, a=a, log_phi=log_phi, phi=phi, T2=T2, P=P,
             log_1mP=np.log(one_m_P), rhat=rhat, uhat=uhat, Qhat=Qhat, G=G, c2=c2, Gs=Gs, norm_Gs=nG * np.exp(-c2),
             g=g, g_engine=g.copy(), log_w2=np.log(pi)[None, :] + np.log(one_m_P) - c2[:, None], Gtok=E.T @ Gs @ E,
             gtok=E.T @ g @ E,
             norm_W_kq=norms, dW_kq=np.concatenate([np.diff(W_iter, axis=0), np.full((1, d, d), np.nan)]),
             W_kq_star=W_star, star_norm_kq=s_star_n, Wbar_kq_star=W_star / s_star_n, s_star=s_star,
             r=norms / s_star_n, a_star=s_star[None] * (norms / s_star_n)[:, None, None],
             Delta_act=float(np.min(margins[wrong1])), margins_T=margins, mult=mult, phi_plus=phi_plus,
             phi_minus=phi_minus, log_phi_plus=lpp, log_phi_minus=lpm,
             size2=1.0 + norms + np.linalg.norm(W_ov), ug_Wstarbar=np.sum(g * W_star / s_star_n, axis=(1, 2)))


def _dataset(kind, rng):
    if kind == 0:
        return example1()
    if kind == 1:
        ds = random_realizable(5, L_max=4, rng=rng)
    else:
        ds = random_realizable_samples(5, L_max=4, rng=rng)
    return ds.with_vocab(Vocabulary.random_orthonormal(ds.vocab.tokens, ds.vocab.n_tokens + 2, rng=rng))


@functools.lru_cache(maxsize=None)
def random_stage2_c123(seed, T1=5):
    """``stage2_inputs`` of random weights on a real dataset's sentences (seed 0: Example 1; 1: prefix-closed;
    2: not prefix-closed; orthonormal ``E`` with ``d = |V| + 2`` for 1 and 2)."""
    rng = np.random.default_rng(seed)
    ds = _dataset(seed % 3, rng)
    d, V = ds.vocab.E.shape
    W_iter = np.cumsum(rng.standard_normal((T1 + 1, d, d)) * 0.7, axis=0)
    q = stage2_inputs(ds, W_iter, rng.standard_normal((V, d)) * 1.5, rng.standard_normal((d, d)),
                      rng.uniform(0.05, 2.0), c2_shift=rng.normal())
    ge = rng.standard_normal((T1 + 1, d, d))                                  # another direction: the steps that
    q["g_engine"] = ge / np.linalg.norm(ge, axis=(1, 2), keepdims=True)       # read it must not read g
    return q


@functools.lru_cache(maxsize=None)
def random_stage1_c123(seed):
    """``random_stage1`` plus the wrong-token mask these steps read."""
    q = random_stage1(np.random.default_rng(seed))
    V = q.n_tokens
    q["wrong1"] = np.arange(V)[:, None] != q.In[None, :]
    return q


# ---------------------------------------------------------------- stage 1: Lemma 3, Corollary 1

def _logits(q, t):
    return q.W_ov[t] @ q.E


def _ref_wrong(q):
    return [next(i for i in range(q.n_tokens) if i != q.In[x]) for x in range(q.n_tokens)]


def _p33_pairs(q, t):
    """``(e_i - e_i'(x))^T W_ov^(t) x`` at ``[i, x]`` for wrong i (0 elsewhere)."""
    B, V, ref = _logits(q, t), q.n_tokens, _ref_wrong(q)
    return np.array([[B[i, x] - B[ref[x], x] if i != q.In[x] else 0.0 for x in range(V)] for i in range(V)])


def _p33(q):
    n, V, ref = len(q.t1), q.n_tokens, _ref_wrong(q)
    nG = np.exp(q.log_norm_G1)
    lhs = np.stack([_p33_pairs(q, t + 1) for t in range(n - 1)] + [np.full((V, V), np.nan)])
    rhs = np.stack([_p33_pairs(q, t) - q.eta0 * np.array(
        [[(q.T0[t, i, x] - q.T0[t, ref[x], x]) / nG[t] if i != q.In[x] else 0.0 for x in range(V)] for i in range(V)])
        for t in range(n)])
    return lhs, rhs, "=="


def _margin(B, q, i, x):
    return B[q.In[x], x] - B[i, x]


def _margins(q, t):
    B, V = _logits(q, t), q.n_tokens
    return np.array([[_margin(B, q, i, x) for x in range(V)] for i in range(V)])


def _wrong_vs(q, bound_t):
    """(margins on the wrong entries and the bound elsewhere, the bound): the checks' trailing (i, x) layout."""
    V = q.n_tokens
    m = np.stack([np.where(q.wrong1, _margins(q, t), bound_t[t]) for t in range(len(q.t1))])
    return m, np.broadcast_to(bound_t[:, None, None], (len(q.t1), V, V))


def _cor1(q):
    s, lam, t = np.linalg.norm(q.W_ov_star), math.log(2 * q.n_tokens), q.t1
    w = np.linalg.norm(q.W_ov, axis=(1, 2))
    with np.errstate(all="ignore"):
        eps = 12 * s ** 3 * lam * np.log(t) / (t * q.eta0)
        a = w / s - 2 * math.sqrt(2) * w * np.sqrt(eps)
        a_up = w / s + 2 * math.sqrt(2) * w * np.sqrt(eps)
        b = t * q.eta0 / (2 * s ** 2) - np.sqrt(24 * t * q.eta0 * s * lam * np.log(t))
    return s, w, a, a_up, b, t * q.eta0 / (4 * s ** 2)


def _p34(q):
    V, s = q.n_tokens, np.linalg.norm(q.W_ov_star)
    Bs = q.W_ov_star @ q.E
    rhs = []
    for t in range(len(q.t1)):
        w = np.linalg.norm(q.W_ov[t])
        D = (q.W_ov[t] / w - q.W_ov_star / s) @ q.E
        rhs.append([[_margin(Bs, q, i, x) * w / s + w * _margin(D, q, i, x) for x in range(V)] for i in range(V)])
    return np.stack([_margins(q, t) for t in range(len(q.t1))]), np.array(rhs), "=="


def _scalar(idx, sense, other):
    def f(q):
        vals = _cor1(q)
        return vals[idx], other(q, vals), sense
    return f


T1_C1 = {
    "P33": _p33,
    "P33.2": lambda q: (np.stack([_p33_pairs(q, t) for t in range(len(q.t1))]), np.zeros(1), "=="),
    "P34": _p34,
    "P35": lambda q: _wrong_vs(q, _cor1(q)[2]) + ("==",),
    "P35'": lambda q: _wrong_vs(q, _cor1(q)[2]) + (">=",),
    "P36": _scalar(2, ">=", lambda q, v: v[4]),
    "P37": _scalar(4, ">=", lambda q, v: v[5]),
    "P38": lambda q: _wrong_vs(q, _cor1(q)[3]) + ("<=",),
    "P38.2": _scalar(3, "<=", lambda q, v: 3 * v[5]),
    "P38.2'": _scalar(3, "<=", lambda q, v: 3 * q.t1 * q.eta0 / (2 * v[0])),
    "P39": lambda q: _wrong_vs(q, _cor1(q)[5]) + ("==",),
    "P39'": lambda q: _wrong_vs(q, q.t1 * q.eta0 / _cor1(q)[0]) + ("==",),
}


# ---------------------------------------------------------------- stage 2: the literal sums of Lemmas 4-6

def _x(q, n, l):
    return q.E[:, q.tok[n, l]]


def _qv(q, n):
    return q.E[:, q.qtok[n]]


def _xbar(q, t, n):
    return sum(q.phi[t, n, l] * _x(q, n, l) for l in range(q.L_max) if q.pos[n, l])


def _w(q, t, n):
    """``pi^(n) exp(-c2_t)``: Eq. (6)'s scale, the factor every scaled sum carries."""
    return q.pi[n] * math.exp(-q.c2[t])


def _one_m_P(q, t, n):
    return sum(q.T2[t, n, v] for v in range(q.n_tokens) if v != q.y[n])


def _Qnl(q, t, n, l):
    return q.T2[t, n, q.In[q.tok[n, l]]]


def _sum_matrix(q, coef):
    """``sum_n pi exp(-c2) sum_l coef(t, n, l) phi_l (x_l - xbar_n) q_n^T`` per t (coef 0 skips)."""
    out = []
    for t in range(len(q.t2)):
        M = np.zeros((q.E.shape[0],) * 2)
        for n in range(q.N):
            xb = _xbar(q, t, n)
            for l in range(q.L_max):
                if q.pos[n, l]:
                    c = coef(t, n, l)
                    if c:
                        M += _w(q, t, n) * c * q.phi[t, n, l] * np.outer(_x(q, n, l) - xb, _qv(q, n))
        out.append(M)
    return np.stack(out)


def _c40(q):
    def c(t, n, l):
        p = np.zeros(q.n_tokens)
        p[q.y[n]] = 1.0
        return (q.T2[t, n] - p) @ q.W_ovT @ _x(q, n, l)
    return c


def _c41(q):
    def c(t, n, l):
        z, yn = q.W_ovT @ _x(q, n, l), q.y[n]
        return sum(q.T2[t, n, i] * (z[i] - z[yn]) for i in range(q.n_tokens))
    return c


def _split(q, c):
    o = _sum_matrix(q, lambda t, n, l: c(t, n, l) if q.opt[n, l] else 0.0)
    return o + _sum_matrix(q, lambda t, n, l: c(t, n, l) if not q.opt[n, l] else 0.0)


def _c43(q, delta_on_q):
    D = q.Delta_act

    def c(t, n, l):
        if q.opt[n, l]:
            return sum(q.T2[t, n, i] * (-D) for i in range(q.n_tokens) if i != q.y[n])
        return _Qnl(q, t, n, l) * (D if delta_on_q else 1.0)
    return c


def _c44(q):
    D = q.Delta_act
    return lambda t, n, l: D * (q.P[t, n] - 1.0) if q.opt[n, l] else D * _Qnl(q, t, n, l)


T2_L4 = {
    "P40": lambda q: (q.Gs, _sum_matrix(q, _c40(q)), "=="),
    "P41": lambda q: (_sum_matrix(q, _c40(q)), _sum_matrix(q, _c41(q)), "=="),
    "P42": lambda q: (_sum_matrix(q, _c41(q)), _split(q, _c41(q)), "=="),
    "P43": lambda q: (_split(q, _c41(q)), _split(q, _c43(q, False)), "=="),
    "P43'": lambda q: (_split(q, _c41(q)), _split(q, _c43(q, True)), "=="),
    "P44": lambda q: (q.Gs, _sum_matrix(q, _c44(q)), "=="),
}


# ---------------------------------------------------------------- Lemma 5

def _opt_pos(q, n):
    return next(l for l in range(q.L_max) if q.opt[n, l])


def _grad_entry(q, t, i, j):
    """``x_i^T G_t x_j exp(-c2_t)`` from the literal gradient."""
    return q.E[:, i] @ q.G[t] @ q.E[:, j] * math.exp(-q.c2[t])


def _p49_sum(q, t, x, qn2):
    """P49's printed right side at token x and query vector qn2 (without Delta), times exp(-c2_t)."""
    total = 0.0
    for n in range(q.N):
        ip = _qv(q, n) @ qn2
        if ip == 0.0:
            continue
        xo = _x(q, n, _opt_pos(q, n))
        pp = sum(q.phi[t, n, l] for l in range(q.L_max) if q.opt[n, l])
        first = (q.P[t, n] - 1) * pp * sum(q.phi[t, n, l] * (xo - _x(q, n, l)) @ x for l in range(q.L_max)
                                           if q.nonopt[n, l])
        second = sum(_Qnl(q, t, n, l) * q.phi[t, n, l] * sum(q.phi[t, n, k] * (_x(q, n, l) - _x(q, n, k)) @ x
                                                          for k in range(q.L_max) if q.pos[n, k])
                     for l in range(q.L_max) if q.nonopt[n, l])
        total += _w(q, t, n) * (first + second) * ip
    return total


def _per_sentence(q, f):
    return np.array([[f(t, n) for n in range(q.N)] for t in range(len(q.t2))])


def _per_nonopt(q, f):
    return np.array([[[f(t, n, l) if q.nonopt[n, l] else 0.0 for l in range(q.L_max)] for n in range(q.N)]
                     for t in range(len(q.t2))])


def _xstar(q, n):
    return q.tok[n, _opt_pos(q, n)]


def _p51_sum(q, t, x, qn2):
    """P51's printed right side (without Delta), times exp(-c2_t)."""
    total = 0.0
    for n in range(q.N):
        ip = _qv(q, n) @ qn2
        if ip == 0.0:
            continue
        pp = sum(q.phi[t, n, l] for l in range(q.L_max) if q.opt[n, l])
        nonl = [l for l in range(q.L_max) if q.nonopt[n, l]]
        first = (q.P[t, n] - 1) * pp * sum(q.phi[t, n, l] * (-_x(q, n, l)) @ x for l in nonl)
        second = sum(_Qnl(q, t, n, l) * q.phi[t, n, l] * sum(q.phi[t, n, k] * (_x(q, n, l) - _x(q, n, k)) @ x
                                                          for k in nonl) for l in nonl)
        total += _w(q, t, n) * (first + second) * ip
    return total


def _p52_sum(q, t, x, qn2):
    total = 0.0
    for n in range(q.N):
        ip = _qv(q, n) @ qn2
        if ip == 0.0:
            continue
        pp = sum(q.phi[t, n, l] for l in range(q.L_max) if q.opt[n, l])
        nonl = [l for l in range(q.L_max) if q.nonopt[n, l]]
        k = _one_m_P(q, t, n) * pp - sum(_Qnl(q, t, n, l) * q.phi[t, n, l] for l in nonl)
        total += _w(q, t, n) * k * sum(q.phi[t, n, l] * _x(q, n, l) @ x for l in nonl) * ip
    return total


def _log_phi_opt(q, t, n):
    return math.log(q.phi[t, n, _opt_pos(q, n)])


def _gdiff(q, t, n, l, engine=False):
    """``(x_l* - x_l)^T g_t q_n`` (``engine``: with the engine's direction, the one the step took)."""
    g = q.g_engine if engine else q.g
    return (_x(q, n, _opt_pos(q, n)) - _x(q, n, l)) @ g[t] @ _qv(q, n)


def _next(x):
    x = np.asarray(x, dtype=float)
    return np.concatenate([x[1:], np.full((1,) + x.shape[1:], np.nan)])


def _log_phi_minus(q, t, n):
    s = sum(q.phi[t, n, l] for l in range(q.L_max) if q.nonopt[n, l])
    return math.log(s) if s > 0 else 0.0


def _p54_rhs(q, t, n):
    ls = _opt_pos(q, n)
    return q.a[t, n, ls] - math.log(sum(math.exp(q.a[t, n, l] + q.eta * _gdiff(q, t, n, l, engine=True))
                                        for l in range(q.L_max) if q.pos[n, l]))


def _log_ratio(q, t, n, l):
    return math.log(q.phi[t, n, _opt_pos(q, n)] / q.phi[t, n, l])


def _has_nonopt(q, n):
    return bool(q.nonopt[n].any())


T2_L5 = {
    "P3'": lambda q: (q.dW_kq, -q.eta * q.g_engine, "=="),
    "P46": lambda q: (np.where(q.pos[None], q.phi, 0.0),
                      np.broadcast_to(np.where(q.pos, 1.0 / q.pos.sum(axis=1, keepdims=True), 0.0), q.phi.shape), "=="),
    "P47": lambda q: (_per_nonopt(q, lambda t, n, l: math.log(sum(q.phi[t, n, k] for k in range(q.L_max)
                                                                  if q.opt[n, k]))),
                      _per_nonopt(q, lambda t, n, l: math.log(sum(q.tok[n, k] == q.tok[n, l] for k in range(q.L_max)
                                                                  if q.pos[n, k]) * q.phi[t, n, l])), ">="),
    "P48": lambda q: (_next(_per_sentence(q, lambda t, n: _log_phi_minus(q, t, n))),
                      _per_sentence(q, lambda t, n: _log_phi_minus(q, t, n)), "<="),
    "P48.2": lambda q: (_per_nonopt(q, lambda t, n, l: _log_phi_opt(q, t, n)),
                        _per_nonopt(q, lambda t, n, l: math.log(q.phi[t, n, l])), ">="),
    "P49": lambda q: (_per_sentence(q, lambda t, n: _grad_entry(q, t, _xstar(q, n), q.qtok[n])),
                      _per_sentence(q, lambda t, n: _p49_sum(q, t, q.E[:, _xstar(q, n)], _qv(q, n))), "=="),
    "P49'": lambda q: (_per_sentence(q, lambda t, n: _grad_entry(q, t, _xstar(q, n), q.qtok[n])),
                       _per_sentence(q, lambda t, n: q.Delta_act * _p49_sum(q, t, q.E[:, _xstar(q, n)], _qv(q, n))),
                       "=="),
    "P50": lambda q: (_per_sentence(q, lambda t, n: _grad_entry(q, t, _xstar(q, n), q.qtok[n])), np.zeros(1), "<="),
    "P50'": lambda q: (_per_sentence(q, lambda t, n: _grad_entry(q, t, _xstar(q, n), q.qtok[n])
                                     if _has_nonopt(q, n) else 0.0), np.zeros(1), "<="),
    "P51": lambda q: (_per_nonopt(q, lambda t, n, l: _grad_entry(q, t, q.tok[n, l], q.qtok[n])),
                      _per_nonopt(q, lambda t, n, l: q.Delta_act * _p51_sum(q, t, _x(q, n, l), _qv(q, n))), "=="),
    "P51'": lambda q: (_per_nonopt(q, lambda t, n, l: _grad_entry(q, t, q.tok[n, l], q.qtok[n])),
                       _per_nonopt(q, lambda t, n, l: q.Delta_act * _p51_sum(q, t, _x(q, n, l), _qv(q, n))), ">="),
    "P52": lambda q: (_per_nonopt(q, lambda t, n, l: q.Delta_act * _p51_sum(q, t, _x(q, n, l), _qv(q, n))),
                      _per_nonopt(q, lambda t, n, l: q.Delta_act * _p52_sum(q, t, _x(q, n, l), _qv(q, n))), ">="),
    "P53": lambda q: (_per_sentence(q, lambda t, n: sum(q.phi[t, n, l] for l in range(q.L_max) if q.opt[n, l])),
                      _per_sentence(q, lambda t, n: sum(_Qnl(q, t, n, l) * q.phi[t, n, l] for l in range(q.L_max)
                                                        if q.nonopt[n, l]) / _one_m_P(q, t, n)), ">="),
    "P53.2": lambda q: (_per_nonopt(q, lambda t, n, l: _grad_entry(q, t, q.tok[n, l], q.qtok[n])), np.zeros(1), ">="),
    "P54": lambda q: (_next(_per_sentence(q, lambda t, n: _log_phi_opt(q, t, n))),
                      _per_sentence(q, lambda t, n: _p54_rhs(q, t, n)), "=="),
    "P54.2": lambda q: (_next(_per_sentence(q, lambda t, n: _log_phi_opt(q, t, n))),
                        _per_sentence(q, lambda t, n: _log_phi_opt(q, t, n)), ">="),
    "P54.3": lambda q: (np.array([[[_gdiff(q, t, n, l) if q.pos[n, l] else 0.0 for l in range(q.L_max)]
                                   for n in range(q.N)] for t in range(len(q.t2))]), np.zeros(1), "<="),
    "P55": lambda q: (np.where(q.nonopt[None], _next(_per_nonopt(q, lambda t, n, l: _log_ratio(q, t, n, l))), 0.0),
                      _per_nonopt(q, lambda t, n, l: q.a[t, n, _opt_pos(q, n)] - q.a[t, n, l]
                                  - q.eta * _gdiff(q, t, n, l, engine=True)), "=="),
    "P55.2": lambda q: (_next(_per_nonopt(q, lambda t, n, l: _log_ratio(q, t, n, l))),
                        _per_nonopt(q, lambda t, n, l: _log_ratio(q, t, n, l)), ">="),
}


# ---------------------------------------------------------------- Lemma 6

def _lemma4_scalar(q, t, scores, delta=True):
    """Lemma 4's right side at the scores ``s'[n, l]`` (``(x_l - xbar)^T W' q_n = s'_l - sum phi s'``), times exp(-c2)."""
    total = 0.0
    for n in range(q.N):
        sbar = sum(q.phi[t, n, l] * scores[n, l] for l in range(q.L_max) if q.pos[n, l])
        first = sum((q.P[t, n] - 1) * q.phi[t, n, l] * (scores[n, l] - sbar) for l in range(q.L_max) if q.opt[n, l])
        second = sum(_Qnl(q, t, n, l) * q.phi[t, n, l] * (scores[n, l] - sbar) for l in range(q.L_max)
                     if q.nonopt[n, l])
        total += _w(q, t, n) * (first + second)
    return (q.Delta_act if delta else 1.0) * total


def _star_scores(q):
    return np.array([[_x(q, n, l) @ q.W_kq_star @ _qv(q, n) if q.pos[n, l] else 0.0 for l in range(q.L_max)]
                     for n in range(q.N)])


def _p57(q, t):
    s, total = _star_scores(q), 0.0
    for n in range(q.N):
        ls = _opt_pos(q, n)
        pp = sum(q.phi[t, n, l] for l in range(q.L_max) if q.opt[n, l])
        nonl = [l for l in range(q.L_max) if q.nonopt[n, l]]
        first = (q.P[t, n] - 1) * pp * sum(q.phi[t, n, l] * (s[n, ls] - s[n, l]) for l in nonl)
        second = sum(_Qnl(q, t, n, l) * q.phi[t, n, l] * sum(q.phi[t, n, k] * (s[n, l] - s[n, k])
                                                          for k in range(q.L_max) if q.opt[n, k]) for l in nonl)
        total += _w(q, t, n) * (first + second)
    return q.Delta_act * total


def _p58(q, t, factor_plus):
    total = 0.0
    for n in range(q.N):
        pp = sum(q.phi[t, n, l] for l in range(q.L_max) if q.opt[n, l])
        pm = sum(q.phi[t, n, l] for l in range(q.L_max) if q.nonopt[n, l])
        qs = sum(_Qnl(q, t, n, l) * q.phi[t, n, l] for l in range(q.L_max) if q.nonopt[n, l])
        if factor_plus:
            total += _w(q, t, n) * ((q.P[t, n] - 1) * pp * pm - qs * pp)
        else:
            total += _w(q, t, n) * (2 * (1 - q.P[t, n]) * pp * pm + 2 * qs)
    return q.Delta_act * total


def _per_t(q, f):
    return np.array([f(t) for t in range(len(q.t2))])


def _proj(q, t, W):
    return np.sum(W * q.W_kq_star) / np.linalg.norm(q.W_kq_star)


T2_L6 = {
    "P56": lambda q: (_per_t(q, lambda t: np.sum(q.Gs[t] * q.W_kq_star)),
                      _per_t(q, lambda t: _lemma4_scalar(q, t, _star_scores(q) * np.linalg.norm(q.W_kq[t])
                                                         / np.linalg.norm(q.W_kq_star))), "=="),
    "P56'": lambda q: (_per_t(q, lambda t: np.sum(q.Gs[t] * q.W_kq_star)),
                       _per_t(q, lambda t: _lemma4_scalar(q, t, _star_scores(q))), "=="),
    "P57": lambda q: (_per_t(q, lambda t: _lemma4_scalar(q, t, _star_scores(q))), _per_t(q, lambda t: _p57(q, t)), "=="),
    "P58": lambda q: (_per_t(q, lambda t: np.sum(q.Gs[t] * q.W_kq_star)), _per_t(q, lambda t: _p58(q, t, True)), "<="),
    "P59": lambda q: (_per_t(q, lambda t: np.linalg.norm(q.Gs[t])),
                      _per_t(q, lambda t: _lemma4_scalar(q, t, np.array(
                          [[_x(q, n, l) @ q.g[t] @ _qv(q, n) if q.pos[n, l] else 0.0 for l in range(q.L_max)]
                           for n in range(q.N)]))), "=="),
    "P60": lambda q: (_per_t(q, lambda t: np.linalg.norm(q.Gs[t])), _per_t(q, lambda t: _p58(q, t, False)), "<="),
    "P61": lambda q: (_per_t(q, lambda t: _proj(q, t, q.g[t])),
                      _per_t(q, lambda t: -min(sum(q.phi[t, n, l] for l in range(q.L_max) if q.opt[n, l])
                                               for n in range(q.N)) / (2 * np.linalg.norm(q.W_kq_star))), "<="),
    "P61.2": lambda q: (_per_t(q, lambda t: -min(sum(q.phi[t, n, l] for l in range(q.L_max) if q.opt[n, l])
                                                 for n in range(q.N)) / (2 * np.linalg.norm(q.W_kq_star))),
                        np.full(1, -1 / (2 * q.L_max * np.linalg.norm(q.W_kq_star))), "<="),
    "P62": lambda q: (_per_t(q, lambda t: _proj(q, t, q.W_kq[t])),
                      _per_t(q, lambda t: _proj(q, 0, q.W_kq[0]) - q.eta * sum(_proj(q, k, q.g_engine[k])
                                                                               for k in range(t))),
                      "=="),
    "P62.2": lambda q: (_next(_per_t(q, lambda t: _proj(q, t, q.W_kq[t]))) - _per_t(q, lambda t: _proj(q, t, q.W_kq[t])),
                        np.full(1, q.eta / (2 * q.L_max * np.linalg.norm(q.W_kq_star))), ">="),
    "P62.3": lambda q: (_per_t(q, lambda t: _proj(q, t, q.W_kq[t])),
                        q.t2 * q.eta / (2 * q.L_max * np.linalg.norm(q.W_kq_star)) - np.linalg.norm(q.W_kq[0]), ">="),
    "P63": lambda q: (_next(np.linalg.norm(q.W_kq, axis=(1, 2))), np.linalg.norm(q.W_kq, axis=(1, 2)) + q.eta, "<="),
}

#: step key -> q -> (measured, bound, sense), from the printed (or corrected) relation.
TRANSCRIPTIONS = {**T1_C1, **T2_L4, **T2_L5, **T2_L6}
#: step key -> seed -> inputs (tests/test_proofs_steps.py draws seeds 0, 1, 2; cached per seed).
INPUTS = {k: (random_stage1_c123 if k in T1_C1 else random_stage2_c123) for k in TRANSCRIPTIONS}

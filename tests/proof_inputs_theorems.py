"""Independent inputs and transcriptions for the steps of Appendix C.5-D (Theorems 1-3, Proposition 4).

- :func:`theorem_inputs` builds every quantity these steps read, literally from its definition
  (docs/proofs.md, "Quantities" and "Appendix C.5-D"), with plain loops over sentences and
  positions, from random primitives: a small random set of sentences with a collocation, random
  key-query iterates, a random ``W*_kq``, a random frozen ``W_ov^(T)``, random unseen sentences.
  The primitives need not come from a run: the transcription test compares a check's two sides
  with the printed relation written again, not whether the relation holds.
- :data:`TRANSCRIPTIONS` gives, for every registered step of these statements, the two sides and
  the sense of its relation written out again from the printed formula (or its correction),
  never through the library's checks or its theory functions.
- :data:`INPUTS` maps each of those keys to :func:`theorem_inputs` of a seed (tests/proof_inputs.py merges both).
"""

import math

import numpy as np

from proof_inputs import Q

V, D, N_SENT, T1 = 5, 7, 5, 6
LENGTHS = (2, 3, 4, 3, 1)


def _softplus(u):
    return np.logaddexp(0.0, u)


def _lse(x):
    x = [v for v in x if v != -np.inf]
    if not x:
        return -np.inf
    m = max(x)
    return m + math.log(sum(math.exp(v - m) for v in x))


def _sentences(rng, In):
    """Random sentences (query last) and next tokens ``y_n = In(x)`` for a token ``x`` of the sentence."""
    toks, ys = [], []
    for L in LENGTHS:
        s = rng.integers(0, V, size=L)
        toks.append(s)
        ys.append(int(In[s[rng.integers(0, L)]]))
    return toks, np.array(ys)


def theorem_inputs(rng):
    """Every quantity read by the steps of Theorems 1-3 and Proposition 4, from random primitives (literal loops)."""
    E = np.linalg.qr(rng.standard_normal((D, V)))[0]
    In = rng.permutation(V)
    toks, y = _sentences(rng, In)
    N, L_max = len(toks), max(LENGTHS)
    pi = rng.uniform(0.5, 2.0, size=N)
    pi /= pi.sum()
    W = rng.standard_normal((T1 + 1, D, D)) * rng.uniform(0.5, 3.0)
    W_star = rng.standard_normal((D, D))
    W_ovT = 2.0 * rng.standard_normal((V, D))
    eta, eta0, T = rng.uniform(0.1, 2.0), rng.uniform(0.05, 1.0), int(rng.integers(5, 50))
    s = float(np.linalg.norm(W_star))
    s_ov = float(rng.uniform(1.0, 3.0))
    t2 = np.arange(T1 + 1, dtype=float)
    norms = np.array([np.linalg.norm(w) for w in W])
    Wbar = W / norms[:, None, None]
    dW = np.concatenate([W[1:] - W[:-1], np.full((1, D, D), np.nan)])
    g = rng.standard_normal((T1 + 1, D, D))
    g /= np.linalg.norm(g, axis=(1, 2))[:, None, None]
    A = np.array([E.T @ w @ E for w in W])
    A_star = E.T @ W_star @ E
    r = norms / s
    alpha = np.array([4 * N * L_max ** 2 * s ** 2 * (1 + math.log(2 * L_max * w)) / w for w in norms])
    # sentences, padded to L_max
    pos = np.zeros((N, L_max), dtype=bool)
    tok = np.zeros((N, L_max), dtype=int)
    opt = np.zeros((N, L_max), dtype=bool)
    for n, st in enumerate(toks):
        pos[n, :len(st)], tok[n, :len(st)] = True, st
        opt[n, :len(st)] = In[st] == y[n]
    nonopt = pos & ~opt
    has_opt = opt.any(axis=1)
    gap_mask = nonopt & has_opt[:, None]
    qtok = np.array([st[-1] for st in toks])
    first = np.array([int(np.flatnonzero(o)[0]) if o.any() else 0 for o in opt])
    a = np.zeros((T1 + 1, N, L_max))
    s_star = np.zeros((N, L_max))
    for n in range(N):
        for l in range(len(toks[n])):
            a[:, n, l] = A[:, tok[n, l], qtok[n]]
            s_star[n, l] = A_star[tok[n, l], qtok[n]]
    gap = np.zeros_like(a)
    gap_star = np.zeros_like(s_star)
    resid = np.zeros_like(a)
    for t in range(T1 + 1):
        R = A[t] - r[t] * A_star
        for n in range(N):
            for l in range(L_max):
                if gap_mask[n, l]:
                    gap[t, n, l] = a[t, n, l] - a[t, n, first[n]]
                    gap_star[n, l] = s_star[n, l] - s_star[n, first[n]]
                    resid[t, n, l] = R[tok[n, l], qtok[n]] - R[tok[n, first[n]], qtok[n]]
    gap_max = np.array([max(gap[t][gap_mask]) for t in range(T1 + 1)])
    log_phi = np.full_like(a, -np.inf)
    for t in range(T1 + 1):
        for n in range(N):
            L = len(toks[n])
            m = _lse(list(a[t, n, :L]))
            log_phi[t, n, :L] = a[t, n, :L] - m
    phi = np.exp(log_phi)
    phi_plus = np.where(opt, phi, 0).sum(axis=2)
    phi_minus = np.where(nonopt, phi, 0).sum(axis=2)
    log_phi_minus = np.array([[_lse([log_phi[t, n, l] for l in range(L_max) if nonopt[n, l]]) for n in range(N)]
                              for t in range(T1 + 1)])
    B_T = W_ovT @ E
    wrong1 = np.arange(V)[:, None] != In[None, :]
    margins_T = np.array([[B_T[In[x], x] - B_T[i, x] for x in range(V)] for i in range(V)])

    def log_losses(mask):
        out = np.zeros((T1 + 1, N))
        for t in range(T1 + 1):
            for n in range(N):
                z = sum(phi[t, n, l] * B_T[:, tok[n, l]] for l in range(L_max) if mask[n, l])
                z = z if np.ndim(z) else np.zeros(V)
                u = _lse([z[v] - z[y[n]] for v in range(V) if v != y[n]])
                out[t, n] = math.log(_softplus(u))
        return out

    log_Ln = log_losses(pos)
    log_L = np.array([_lse([math.log(pi[n]) + log_Ln[t, n] for n in range(N)]) for t in range(T1 + 1)])
    log_Lr = log_losses(nonopt)
    log_Lrestricted = np.array([_lse([math.log(pi[n]) + log_Lr[t, n] for n in range(N)]) for t in range(T1 + 1)])
    # Theorem 3: pairs (x, x', q) and unseen sentences (x0 at the positions l0, query last)
    pairs = [(int(rng.integers(V)), int(rng.integers(V)), int(rng.integers(V))) for _ in range(4)]
    gap_star3 = np.array([A_star[x, qq] - A_star[x2, qq] for x, x2, qq in pairs])
    gap3 = np.array([[A[t, x, qq] - A[t, x2, qq] for x, x2, qq in pairs] for t in range(T1 + 1)])
    unseen = [rng.integers(0, V, size=L) for L in (2, 3, 3)]
    U, Lu = len(unseen), 3
    top = np.array([u[0] for u in unseen])
    uy = In[top]
    ulp = np.full((T1 + 1, U, Lu), -np.inf)
    uD = np.zeros((T1 + 1, U, V))
    ulogp = np.zeros((T1 + 1, U))
    ul0, urest = np.zeros((T1 + 1, U)), np.zeros((T1 + 1, U))
    for t in range(T1 + 1):
        for k, u in enumerate(unseen):
            sc = [A[t, x, u[-1]] for x in u]
            m = _lse(sc)
            ulp[t, k, :len(u)] = [v - m for v in sc]
            ph = np.exp(ulp[t, k, :len(u)])
            ul0[t, k] = sum(p for p, x in zip(ph, u) if x == top[k])
            urest[t, k] = sum(p for p, x in zip(ph, u) if x != top[k])
            z = sum(p * B_T[:, x] for p, x in zip(ph, u))
            uD[t, k] = z - z[uy[k]]
            ulogp[t, k] = z[uy[k]] - _lse(list(z))
    return Q(E=E, In=In, eta=eta, eta0=eta0, T=T, N=N, L_max=L_max, n_tokens=V, t2=t2, t0=2, W_kq=W, norm_W_kq=norms,
             W_ovT=W_ovT,
             Wbar_kq=Wbar, dW_kq=dW, g=g, log_norm_G=rng.normal(size=T1 + 1), W_kq_star=W_star, star_norm_kq=s,
             Wbar_kq_star=W_star / s, cos_kq=np.sum(Wbar * W_star / s, axis=(1, 2)), alpha_kq=alpha, r=r,
             A_star=A_star, pos=pos, opt=opt, nonopt=nonopt, gap_mask=gap_mask, s_star=s_star, score_gap=gap,
             score_gap_star=gap_star, score_resid=resid, score_gap_max=gap_max,
             dist_kq=np.linalg.norm(Wbar - W_star / s, axis=(1, 2)), log_phi=log_phi, phi_plus=phi_plus,
             phi_minus=phi_minus, log_phi_minus=log_phi_minus, n_opt=opt.sum(axis=1).astype(float),
             len_n=pos.sum(axis=1).astype(float), B_T=B_T, wrong1=wrong1, margins_T=margins_T,
             Delta_act=float(np.min(margins_T[wrong1])), Delta_paper=T * eta0 / (4 * s_ov ** 2), star_norm_ov=s_ov,
             pi=pi, log_Ln=log_Ln, log_loss=log_L + rng.normal(scale=0.1, size=T1 + 1),
             log_loss_restricted=log_Lrestricted, log_loss_limit_star=float(rng.normal()),
             prop4_zero=rng.random((V, V)) < 0.5, prop4_A=rng.standard_normal((V, V)),
             kkt_A=rng.standard_normal((V, V)), dual_sums=rng.uniform(0, 2, size=6), thm3_gap=gap3,
             thm3_gap_star=gap_star3, unseen_log_p=ulogp, unseen_D=uD,
             unseen_wrong=np.arange(V)[None, :] != uy[:, None], unseen_phi_l0=ul0, unseen_phi_rest=urest,
             logit_scale=float(np.abs(B_T).max()), loss_scale=float(np.abs(B_T).max()) * (1 + norms))


# ---------------------------------------------------------------- transcriptions

def _const(q, x):
    """``x`` (a constant, any shape) at every iterate."""
    x = np.asarray(x, dtype=float)
    return np.broadcast_to(x, (len(q.t2),) + x.shape)


def _next(x):
    return np.concatenate([x[1:], [np.nan]])


def _sum_from_t0(f, q):
    return np.array([sum(f[k] for k in range(q.t0, t)) for t in range(len(q.t2))], dtype=float)


def _at_t0(x, q):
    return np.full(len(q.t2), x[q.t0])


def _dot(a, b):
    return np.array([np.sum(x * y) for x, y in zip(a, b)])


def _frac(q):
    return q.alpha_kq / (1 + q.alpha_kq)


def _B(q):
    """Theorem 1's direction bound 54 N L^4 ||W*||^4 log^2 t / (t eta)."""
    return 54 * q.N * q.L_max ** 4 * q.star_norm_kq ** 4 * np.log(q.t2) ** 2 / (q.t2 * q.eta)


def _eq13(q):
    return -q.norm_W_kq / q.star_norm_kq + 2 * q.norm_W_kq * q.dist_kq


def _p117_printed(q):
    return (-q.t2 * q.eta / (2 * q.L_max * q.star_norm_kq ** 2)
            + math.sqrt(2) * q.t2 * q.eta / (q.L_max * q.star_norm_kq) * np.sqrt(_B(q)))


def _p117_corrected(q):
    """||W|| (-1/||W*|| + 2 sqrt(2 B_t)), B_t Theorem 1's bound."""
    return q.norm_W_kq * (-1 / q.star_norm_kq + 2 * np.sqrt(2 * _B(q)))


def _p106_2_rhs(q):
    n0, n1 = q.norm_W_kq, _next(q.norm_W_kq)
    dn2 = np.array([np.sum(d * d) for d in q.dW_kq])
    return (n1 ** 2 - dn2 - n0 ** 2) / (2 * n0) - _frac(q) * _dot(q.dW_kq, q.Wbar_kq)


def _p106_3_rhs(q, numerator):
    n0 = q.norm_W_kq
    return numerator / (2 * n0) - q.eta ** 2 / (2 * n0) + q.eta * _frac(q) * _dot(q.g, q.Wbar_kq)


def _proj_t0(q):
    p = _dot(q.W_kq, [q.Wbar_kq_star] * len(q.t2))
    return p - p[q.t0]


def _p113_rhs(q):
    L, s, lt = q.L_max, q.star_norm_kq, np.log(q.t2)
    return 1 - (2 * _at_t0(q.norm_W_kq, q) + q.eta * L * s * lt + 8 * q.N * L ** 3 * s ** 3 * lt ** 2) / q.norm_W_kq


def _per_sentence(q, mask):
    return [n for n in range(q.N) if mask[n].any()]


def _p119(q):
    ns = _per_sentence(q, q.opt)
    lhs = np.array([[math.log(sum(math.exp(q.log_phi[t, n, l]) for l in range(q.L_max) if q.opt[n, l]))
                     for n in ns] for t in range(len(q.t2))])
    rhs = np.array([[math.log(q.n_opt[n] / (q.n_opt[n] + sum(math.exp(q.score_gap[t, n, l]) for l in range(q.L_max)
                                                             if q.gap_mask[n, l]))) for n in ns]
                    for t in range(len(q.t2))])
    return lhs, rhs, "=="


def _C1(q):
    return q.eta / (4 * q.L_max * q.star_norm_kq ** 2)


def _p120(q):
    ns = _per_sentence(q, q.gap_mask)
    lhs = np.array([[q.log_phi_minus[t, n] - math.log(q.phi_plus[t, n]) for n in ns] for t in range(len(q.t2))])
    rhs = np.array([[math.log((q.len_n[n] - q.n_opt[n]) / q.n_opt[n]) - _C1(q) * t for n in ns]
                    for t in range(len(q.t2))])
    return lhs, rhs, "<="


def _p120_2(q):
    ns = _per_sentence(q, q.gap_mask)
    lhs = np.array([[math.log((q.len_n[n] - q.n_opt[n]) / q.n_opt[n]) - _C1(q) * t for n in ns]
                    for t in range(len(q.t2))])
    return lhs, np.array([[math.log(q.L_max) - _C1(q) * t for _ in ns] for t in range(len(q.t2))]), "<="


def _p122_rhs(q, Delta=None):
    Delta = q.Delta_act if Delta is None else Delta
    return np.log(np.log1p((q.n_tokens - 1) * np.exp(Delta * (q.phi_minus - q.phi_plus))))


def _eq4_f(q):
    return 1 - 2 * q.L_max / (q.L_max + np.exp(_C1(q) * q.t2))


def _log_Lstar(q):
    return math.log(q.n_tokens) - q.T * q.eta0 / (4 * q.star_norm_ov ** 2)


def _log_inf(q):
    return math.log(math.log1p((q.n_tokens - 1) * math.exp(-q.Delta_act)))


def _p130(q):
    d = np.zeros_like(q.s_star)
    for n in range(q.N):
        ls = [l for l in range(q.L_max) if q.nonopt[n, l]]
        for l in ls:
            d[n, l] = q.s_star[n, l] - q.s_star[n, ls[0]]
    return _const(q, d), _const(q, 0 * d), "=="


def _p131_printed(q):
    second = math.sqrt(2) * q.t2 * q.eta / (q.L_max * q.star_norm_kq) * np.sqrt(_B(q))
    return q.r[:, None] * q.thm3_gap_star[None] - second[:, None]


def _bracket3(q):
    return np.array([[g / q.star_norm_kq - 2 * math.sqrt(2 * b) for g in q.thm3_gap_star] for b in _B(q)])


def _lin3(q):
    return (q.t2 * q.eta / (2 * q.L_max * q.star_norm_kq ** 2))[:, None] * q.thm3_gap_star[None]


def _p134_rhs(q):
    return -np.log1p((q.n_tokens - 1) * np.exp(-q.Delta_act * (q.unseen_phi_l0 - q.unseen_phi_rest)))


TRANSCRIPTIONS = {
    # ---- Theorem 1 (C.5)
    "P104": lambda q: (_dot(q.dW_kq, [q.Wbar_kq_star] * len(q.t2)),
                       -q.eta * np.exp(q.log_norm_G) * _dot(q.g, [q.Wbar_kq_star] * len(q.t2)), "=="),
    "P104'": lambda q: (_dot(q.dW_kq, [q.Wbar_kq_star] * len(q.t2)), -q.eta * _dot(q.g, [q.Wbar_kq_star] * len(q.t2)),
                        "=="),
    "P105": lambda q: (_dot(q.dW_kq, [q.Wbar_kq_star] * len(q.t2)), -q.eta / (1 + q.alpha_kq) * _dot(q.g, q.Wbar_kq),
                       ">="),
    "P106": lambda q: (-q.eta / (1 + q.alpha_kq) * _dot(q.g, q.Wbar_kq), _dot(q.dW_kq, q.Wbar_kq) / (1 + q.alpha_kq),
                       "=="),
    "P106.2": lambda q: (_dot(q.dW_kq, q.Wbar_kq) / (1 + q.alpha_kq), _p106_2_rhs(q), "=="),
    "P106.3": lambda q: (_p106_2_rhs(q), _p106_3_rhs(q, 0.0), "=="),
    "P106.3'": lambda q: (_p106_2_rhs(q), _p106_3_rhs(q, _next(q.norm_W_kq) ** 2 - q.norm_W_kq ** 2), "=="),
    "P107": lambda q: (_dot(q.dW_kq, [q.Wbar_kq_star] * len(q.t2)),
                       _next(q.norm_W_kq) - q.norm_W_kq - q.eta ** 2 / (2 * q.norm_W_kq) - q.eta * _frac(q), ">="),
    "P108": lambda q: (_proj_t0(q), q.norm_W_kq - _at_t0(q.norm_W_kq, q)
                       - _sum_from_t0(q.eta ** 2 / (2 * q.norm_W_kq), q) - _sum_from_t0(q.eta * _frac(q), q), ">="),
    "P109": lambda q: (_sum_from_t0(1 / q.norm_W_kq, q),
                       2 * q.L_max * q.star_norm_kq / q.eta * _sum_from_t0(1 / q.t2, q), "<="),
    "P109.2": lambda q: (_sum_from_t0(1 / q.t2, q), np.log(q.t2), "<="),
    "P110": lambda q: (_sum_from_t0(_frac(q), q), _sum_from_t0(q.alpha_kq, q), "<="),
    "P110.2": lambda q: (_sum_from_t0(q.alpha_kq, q), _sum_from_t0(
        8 * q.N * q.L_max ** 3 * q.star_norm_kq ** 3 / q.eta / q.t2
        * (math.log(2 * math.e * q.L_max) + np.log(q.t2 / (2 * q.L_max * q.star_norm_kq / q.eta))), q), "<="),
    "P110.3": lambda q: (_sum_from_t0(8 * q.N * q.L_max ** 3 * q.star_norm_kq ** 3 / q.eta / q.t2
                                      * (np.log(math.e * q.eta / q.star_norm_kq) + np.log(q.t2)), q),
                         8 * q.N * q.L_max ** 3 * q.star_norm_kq ** 3 / q.eta * np.log(q.t2) ** 2, "<="),
    "P111": lambda q: (_proj_t0(q), q.norm_W_kq - _at_t0(q.norm_W_kq, q)
                       - q.eta * q.L_max * q.star_norm_kq * np.log(q.t2)
                       - 8 * q.N * q.L_max ** 3 * q.star_norm_kq ** 3 * np.log(q.t2) ** 2, ">="),
    "P112": lambda q: (_at_t0(q.norm_W_kq, q), np.full(len(q.t2), q.t0 * q.eta), "<="),
    "P112.2": lambda q: (np.full(len(q.t2), q.t0 * q.eta), np.full(len(q.t2), 9 * q.L_max * q.star_norm_kq ** 2),
                         "<="),
    "P113": lambda q: (q.cos_kq, _p113_rhs(q), ">="),
    "P114": lambda q: (_p113_rhs(q), 1 - _B(q), ">="),
    "SKETCH": lambda q: (_dot(q.g, q.W_kq), (1 + 4 * q.N * q.L_max ** 2 * q.star_norm_kq ** 2
                                             * (1 + math.log(2 * math.e * q.L_max)) * np.log(q.norm_W_kq)
                                             / q.norm_W_kq) * _dot(q.g, [q.W_kq_star] * len(q.t2))
                         * q.norm_W_kq / q.star_norm_kq, ">="),
    # ---- Theorem 2 (C.6) and footnote 3
    "P115": lambda q: (_const(q, q.margins_T[q.wrong1]), _const(q, np.full(q.wrong1.sum(), q.Delta_paper)), "=="),
    "P115'": lambda q: (_const(q, q.margins_T[q.wrong1]), _const(q, np.full(q.wrong1.sum(), q.Delta_act)), "=="),
    "P116": lambda q: (q.score_gap, q.r[:, None, None] * q.score_gap_star[None] + q.score_resid, "=="),
    "P116.2": lambda q: (q.score_gap_max, _eq13(q), "<="),
    "P117": lambda q: (_eq13(q), _p117_printed(q), "<="),
    "P117'": lambda q: (_eq13(q), _p117_corrected(q), "<="),
    "P118": lambda q: (_p117_printed(q), -q.t2 * q.eta / (4 * q.L_max * q.star_norm_kq ** 2), "<="),
    "P118'": lambda q: (_p117_corrected(q), -q.t2 * q.eta / (4 * q.L_max * q.star_norm_kq ** 2), "<="),
    "P119": _p119,
    "P120": _p120,
    "P120.2": _p120_2,
    "P120.3": lambda q: (math.log(q.L_max) - _C1(q) * q.t2,
                         math.log(q.L_max) - q.t2 * q.eta / (4 * q.L_max * q.star_norm_kq), "<="),
    "P120.3'": lambda q: (math.log(q.L_max) - _C1(q) * q.t2,
                          math.log(q.L_max) - q.t2 * q.eta / (4 * q.L_max * q.star_norm_kq ** 2), "<="),
    "P121": lambda q: (q.log_loss, q.log_loss_restricted, "=="),
    "P121'": lambda q: (q.log_loss, np.array([_lse([math.log(q.pi[n]) + q.log_Ln[t, n] for n in range(q.N)])
                                              for t in range(len(q.t2))]), "=="),
    "P122": lambda q: (q.log_Ln, _p122_rhs(q), "=="),
    "P122'": lambda q: (np.stack([q.log_Ln, q.log_Ln], -1), np.stack([_p122_rhs(q), _p122_rhs(q, q.Delta_paper)], -1),
                        "<="),
    "P123": lambda q: (np.stack([q.log_Ln, q.log_Ln], -1),
                       np.stack([math.log(q.n_tokens) - D * (2 * q.phi_plus - 1) for D in (q.Delta_act, q.Delta_paper)],
                                -1), "<="),
    "P124": lambda q: (q.log_loss, math.log(q.n_tokens) - q.Delta_act * _eq4_f(q), "<="),
    "P124.2": lambda q: (math.log(q.n_tokens) - q.Delta_act * _eq4_f(q),
                         math.log(q.n_tokens) - q.Delta_paper * _eq4_f(q), "<="),
    "FN3": lambda q: (q.log_loss, np.full(len(q.t2), _log_Lstar(q)), ">="),
    "FN3'": lambda q: (q.log_loss, np.full(len(q.t2), _log_inf(q)), ">="),
    "FN3.2": lambda q: (np.full(len(q.t2), q.log_loss_limit_star), np.full(len(q.t2), _log_inf(q)), "=="),
    "FN3.3": lambda q: (np.full(len(q.t2), _log_Lstar(q)), np.full(len(q.t2), _log_inf(q)), ">="),
    # ---- Proposition 4 (D.1)
    "P125": lambda q: (_const(q, q.W_kq_star), _const(q, q.E @ q.A_star @ q.E.T), "=="),
    "P126": lambda q: (_const(q, q.A_star[q.prop4_zero]), _const(q, np.zeros(q.prop4_zero.sum())), "=="),
    "P127": lambda q: (_const(q, q.A_star), _const(q, q.kkt_A), "=="),
    "P128": lambda q: (_const(q, q.dual_sums), _const(q, np.ones_like(q.dual_sums)), "=="),
    "P129": lambda q: (_const(q, q.A_star), _const(q, q.prop4_A), "=="),
    "P130": _p130,
    # ---- Theorem 3 (D.2)
    "P131": lambda q: (q.thm3_gap, _p131_printed(q), ">="),
    "P131'": lambda q: (q.thm3_gap, q.norm_W_kq[:, None] * _bracket3(q), ">="),
    "P132": lambda q: (_p131_printed(q), _lin3(q) - np.sqrt(108 * q.t2 * q.eta * q.N * q.L_max ** 2
                                                            * q.star_norm_kq ** 2 * np.log(q.t2) ** 2)[:, None], ">="),
    "P132.2": lambda q: (q.norm_W_kq[:, None] * _bracket3(q),
                         (q.t2 * q.eta / (2 * q.L_max * q.star_norm_kq))[:, None] * _bracket3(q), ">="),
    "P132.3": lambda q: (q.thm3_gap, q.t2[:, None] * (q.eta * q.thm3_gap_star / (4 * q.L_max * q.star_norm_kq ** 2))[None],
                         ">="),
    "P133": lambda q: (q.unseen_log_p, np.array([[-math.log1p(sum(math.exp(q.unseen_D[t, k, v]) for v in range(q.n_tokens)
                                                                    if q.unseen_wrong[k, v]))
                                                  for k in range(q.unseen_D.shape[1])] for t in range(len(q.t2))]), "=="),
    "P134": lambda q: (q.unseen_log_p, _p134_rhs(q), "=="),
    "P134'": lambda q: (q.unseen_log_p, _p134_rhs(q), ">="),
    "P134.2": lambda q: (_p134_rhs(q), -np.log1p(q.n_tokens * np.exp(-q.Delta_act * (1 - 2 * q.unseen_phi_rest))), ">="),
}

#: step key -> seed -> inputs (tests/test_proofs_steps.py draws the inputs of these steps here).
INPUTS = {k: (lambda seed: theorem_inputs(np.random.default_rng(seed))) for k in TRANSCRIPTIONS}

"""Independent inputs and transcriptions of Lemma 7's proof steps (Appendix C.4, P64-P103).

- :func:`lemma7_inputs` builds every quantity Lemma 7's steps read literally from its definition
  (docs/proofs.md, "Appendix C.4: Lemma 7"), with plain loops over sentences and positions and
  no log-space device: from random iterates (the transcription tests) or from a run's iterates
  (compared with the library's measurement layer). ``A``, ``B`` are built from their printed
  definitions (P69, P77) and only then divided by ``(1 - P_n) phi_-``.
- :data:`TRANSCRIPTIONS_C4` gives, for every step, its two sides and sense written out again from
  the printed relation (or its correction), from the literal quantities ``phi``, ``P``, ``Q``,
  ``a``, ``a_star``, never through the library's check; a relation between terms of different
  sizes is divided by the largest, as the check does (docs/proofs.md).
"""

import math

import numpy as np


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _margin_min_ov(W_ov, E, In):
    B = W_ov @ E
    return min(B[In[x], x] - B[i, x] for x in range(E.shape[1]) for i in range(E.shape[1]) if i != In[x])


def lemma7_inputs(W_kq_iter, W_ovT, W_star, E, sentences, y, pi, In, eta=1.0):
    """Every quantity of Lemma 7's steps at the iterates ``W_kq_iter`` (T1+1, d, d), literally.

    ``sentences`` (token indices), ``y``, ``pi``, ``In`` describe ``D_0``; ``W_ovT`` is the frozen
    ``W_ov^(T)``, ``W_star`` = ``W*_kq``. Returns a dict of numpy arrays (nan where a quantity is
    undefined, e.g. ``beta`` at ``W_kq^(0) = 0``).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return _lemma7_inputs(W_kq_iter, W_ovT, W_star, E, sentences, y, pi, In, eta)


def _lemma7_inputs(W_kq_iter, W_ovT, W_star, E, sentences, y, pi, In, eta):
    n_t, N, V = len(W_kq_iter), len(sentences), E.shape[1]
    L = max(len(s) for s in sentences)
    pos = np.zeros((N, L), bool)
    tok = np.zeros((N, L), int)
    for n, s in enumerate(sentences):
        pos[n, :len(s)] = True
        tok[n, :len(s)] = s
    qtok = np.array([s[-1] for s in sentences])
    opt = pos & (np.asarray(In)[tok] == np.asarray(y)[:, None])
    nonopt = pos & ~opt
    f = dict(pos=pos, opt=opt, nonopt=nonopt, N=N, L_max=L, pi=np.asarray(pi, float), eta=eta, t0=0,
             t2=np.arange(n_t, dtype=float), W_kq=np.asarray(W_kq_iter), W_kq_star=np.asarray(W_star), W_ovT=W_ovT,
             has_opt=opt.any(1), has_nonopt=nonopt.any(1), n_nonopt=nonopt.sum(1), l_star=np.argmax(opt, 1))
    sn = float(np.linalg.norm(W_star))
    norms = np.linalg.norm(W_kq_iter, axis=(1, 2))
    f.update(star_norm_kq=sn, norm_W_kq=norms, r=norms / sn, Delta_act=_margin_min_ov(W_ovT, E, In))
    f["cos_kq"] = np.array([np.sum(W * W_star) / (np.linalg.norm(W) * sn) for W in W_kq_iter])
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = 2 * L ** 2 * sn ** 2 * (1 + np.log(2 * L * norms)) / norms
    f.update(beta=beta, alpha_kq=2 * N * beta, log_type_threshold=-(1 + beta / 2) * f["r"])
    f["s_star"] = np.array([[E[:, tok[n, l]] @ W_star @ E[:, qtok[n]] if pos[n, l] else 0.0 for l in range(L)]
                            for n in range(N)])
    keys = ("a", "a_star", "phi", "log_phi", "Q", "rq", "uhat", "w_minus")
    arr = {k: np.zeros((n_t, N, L)) for k in keys}
    per = {k: np.zeros((n_t, N)) for k in ("phi_plus", "phi_minus", "P", "a_opt", "a_star_opt", "A", "B", "As",
                                           "Bs", "Bp", "Bm", "Bps", "Bms", "pg", "pgs", "margin_kq")}
    G = np.zeros((n_t,) + W_star.shape)
    for t, W in enumerate(W_kq_iter):
        for n, s in enumerate(sentences):
            X = E[:, s]
            q_n = E[:, s[-1]]
            a = X.T @ W @ q_n
            ast = X.T @ W_star @ q_n * f["r"][t]
            phi = _softmax(a)
            T = _softmax(W_ovT @ X @ phi)
            P = T[y[n]]
            p = np.zeros(V)
            p[y[n]] = 1.0
            o, no = opt[n, :len(s)], nonopt[n, :len(s)]
            pp, pm = phi[o].sum(), phi[no].sum()
            Q = np.array([T[In[x]] for x in s])
            abar, abar_s = phi @ a, phi @ ast
            A = sum((P - 1) * phi[l] * (a[l] - abar) for l in range(len(s)) if o[l])
            As = sum((P - 1) * phi[l] * (ast[l] - abar_s) for l in range(len(s)) if o[l])
            B = sum(Q[l] * phi[l] * (a[l] - abar) for l in range(len(s)) if no[l])
            Bs = sum(Q[l] * phi[l] * (ast[l] - abar_s) for l in range(len(s)) if no[l])
            sp = lambda x: sum(phi[k] * x[k] for k in range(len(s)) if o[k])        # noqa: E731
            sm = lambda x: sum(phi[k] * x[k] for k in range(len(s)) if no[k])       # noqa: E731
            Bp = sum(Q[l] * phi[l] * (pp * a[l] - sp(a)) for l in range(len(s)) if no[l])
            Bm = sum(Q[l] * phi[l] * (pm * a[l] - sm(a)) for l in range(len(s)) if no[l])
            Bps = sum(Q[l] * phi[l] * (pp * ast[l] - sp(ast)) for l in range(len(s)) if no[l])
            Bms = sum(Q[l] * phi[l] * (pm * ast[l] - sm(ast)) for l in range(len(s)) if no[l])
            Gn = X @ (np.diag(phi) - np.outer(phi, phi)) @ X.T @ W_ovT.T @ (T - p)[:, None] @ q_n[None, :]
            G[t] += pi[n] * Gn
            k = len(s)
            arr["a"][t, n, :k], arr["a_star"][t, n, :k], arr["phi"][t, n, :k] = a, ast, phi
            arr["log_phi"][t, n] = -np.inf
            arr["log_phi"][t, n, :k] = np.log(phi)
            arr["Q"][t, n] = np.nan
            arr["Q"][t, n, :k] = np.where(no, Q, np.nan)
            arr["rq"][t, n, :k] = np.where(no, Q / (1 - P), 0.0)
            arr["uhat"][t, n, :k] = X.T @ W_ovT.T @ (T - p) / (1 - P)
            arr["w_minus"][t, n, :k] = np.where(no, phi / pm, 0.0) if pm > 0 else 0.0
            sc = (1 - P) * pm
            vals = dict(phi_plus=pp, phi_minus=pm, P=P, a_opt=a[o][0] if o.any() else 0.0,
                        a_star_opt=ast[o][0] if o.any() else 0.0, pg=np.sum(Gn * W),
                        pgs=np.sum(Gn * W_star) * f["r"][t],
                        margin_kq=min(a[o]) - max(a[no]) if o.any() and no.any() else np.inf)
            for key, v in (("A", A), ("B", B), ("As", As), ("Bs", Bs), ("Bp", Bp), ("Bps", Bps), ("pg", vals["pg"]),
                           ("pgs", vals["pgs"])):
                vals[key] = v / sc if pm > 0 else 0.0
            vals["Bm"], vals["Bms"] = (Bm / (sc * pm), Bms / (sc * pm)) if pm > 0 else (0.0, 0.0)
            for key, v in vals.items():
                per[key][t, n] = v
    f.update(arr)
    f.update(phi_plus=per["phi_plus"], phi_minus=per["phi_minus"], P=per["P"], a_opt=per["a_opt"],
             a_star_opt=per["a_star_opt"], A_hat=per["A"], B_hat=per["B"], A_star_hat=per["As"], B_star_hat=per["Bs"],
             Bp_hat=per["Bp"], Bm_hat=per["Bm"], Bp_star_hat=per["Bps"], Bm_star_hat=per["Bms"],
             proj_grad_n=np.stack([per["pg"], per["pgs"]], -1), margin_kq=per["margin_kq"])
    with np.errstate(divide="ignore"):
        f["log_phi_minus"] = np.log(per["phi_minus"])
        f["log_1mP"] = np.log(1 - per["P"])
        f["log_scale7"] = f["log_1mP"] + f["log_phi_minus"]
    f["type1"] = f["log_phi_minus"] >= f["log_type_threshold"][:, None]
    pair = (pos[:, :, None] & pos[:, None, :])[None]
    f["da"] = np.where(pair, f["a"][..., :, None] - f["a"][..., None, :], 0.0)
    f["da_star"] = np.where(pair, f["a_star"][..., :, None] - f["a_star"][..., None, :], 0.0)
    f["margin_min_kq"] = per["margin_kq"].min(axis=1)
    f["n0"] = np.argmin(per["margin_kq"], axis=1)
    f["l0"] = np.array([int(np.argmax(np.where(nonopt[n0], f["a"][t, n0], -np.inf))) for t, n0 in enumerate(f["n0"])])
    nG = np.linalg.norm(G, axis=(1, 2))
    f.update(Gs=G, c2=np.zeros(n_t), g=G / nG[:, None, None], norm_Gs=nG)
    return f


def random_lemma7(rng, T1=5):
    """:func:`lemma7_inputs` of random iterates near ``c_t W*_kq`` on Example 1's sentences (not a trajectory)."""
    from reference.maxmargin import max_margin_kq
    from reference.structure.generate import example1
    from reference.structure.orders import collocation
    ds = example1()
    E, In = ds.vocab.E, collocation(ds)
    W_star = max_margin_kq(ds).W
    W = [rng.uniform(0.5, 6.0) * (W_star + rng.uniform(0.0, 0.5) * rng.standard_normal(W_star.shape))
         for _ in range(T1 + 1)]
    W_ov = rng.uniform(1.0, 4.0) * (np.eye(4)[In] - 0.25) @ E.T + 0.1 * rng.standard_normal((4, 4))
    return lemma7_inputs(np.array(W), W_ov, W_star, E, [list(s) for s in ds.sentences], list(ds.y), ds.pi, In,
                         eta=rng.uniform(0.1, 2.0))


# ---------------------------------------------------------------- transcriptions (literal, then scaled)

def _col(x):
    return np.asarray(x)[:, None]


def _lit(q):
    """``A, B, A*, B*, B_+, B_-, B_+*, B_-*`` (unscaled, printed definitions), ``phi_+``, ``phi_-``, ``1 - P``."""
    phi, a, ast, P = q.phi, q.a, q.a_star, q.P
    opt, non = q.opt[None], q.nonopt[None]
    Qz = np.where(non, q.Q, 0.0)
    pp, pm = np.where(opt, phi, 0).sum(2), np.where(non, phi, 0).sum(2)
    out = {}
    for tag, x in (("", a), ("s", ast)):
        xbar = (phi * x).sum(2)[..., None]
        out["A" + tag] = ((P - 1)[..., None] * np.where(opt, phi * (x - xbar), 0)).sum(2)
        out["B" + tag] = (Qz * phi * (x - xbar)).sum(2)
        out["Bp" + tag] = (Qz * phi * (pp[..., None] * x - np.where(opt, phi * x, 0).sum(2)[..., None])).sum(2)
        out["Bm" + tag] = (Qz * phi * (pm[..., None] * x - np.where(non, phi * x, 0).sum(2)[..., None])).sum(2)
    out.update(pp=pp, pm=pm, om=1 - P)
    return out


def _logs(*xs):
    with np.errstate(divide="ignore"):
        return [np.log(np.asarray(x, dtype=float)) for x in xs]


def _scale(*pairs):
    """Literal values ``v`` (of size ``exp(lg)``) divided by ``exp(K)``, ``K`` the largest finite ``lg``."""
    K = np.max(np.stack(np.broadcast_arrays(*[lg for _, lg in pairs])), axis=0)
    K = np.where(np.isfinite(K), K, 0.0)
    return [np.where(np.isneginf(lg), 0.0, v * np.exp(-K)) for v, lg in pairs]


def _sc(q, x):
    """``x / ((1 - P) phi_-)`` (0 without a non-optimal position): one relation of one size."""
    L = _lit(q)
    s = L["om"] * L["pm"]
    return np.where(s > 0, x / np.where(s > 0, s, 1), 0.0)


def _t1(q, m, b, mask=None):
    mask = q.type1 if mask is None else mask
    return np.where(mask, m, 0.0), np.where(mask, b, 0.0)


def _pairs(q):
    return (q.pos[:, :, None] & q.pos[:, None, :])[None]


def _reduced(q, x, over=None):
    """``sum_{l* in l(n)} (P - 1) phi_l* sum_{l' notin l(n)} phi_l' (x_l* - x_l')`` (P70, P71), pairs in ``over``."""
    pair = q.opt[None, :, :, None] & q.nonopt[None, :, None, :]
    if over is not None:
        pair = pair & over
    d = np.where(pair, x[..., :, None] - x[..., None, :], 0.0)
    return (q.P - 1) * (q.phi * (d * q.phi[..., None, :]).sum(3)).sum(2)


def _taus73(q):
    with np.errstate(divide="ignore", invalid="ignore"):
        t75 = np.log(2 * q.L_max * q.norm_W_kq)[:, None] - np.log(_lit(q)["pm"])
    t75 = np.where(q.has_nonopt[None, :] & (t75 > 0), t75, 0.0)
    return [0 * t75, t75, _col(q.norm_W_kq) + 0 * t75]


def _p73(q, n_non):
    L = _lit(q)
    ls, l1 = _logs(L["om"] * L["pm"], L["om"])
    ms, bs = [], []
    for tau in _taus73(q):
        # A >= (P - 1) phi_+ (phi_- tau + 2 n_non exp(-tau) ||W||), terms of sizes (1-P) phi_- and (1-P) e^{-tau}
        m, b1, b2 = _scale((L["A"], ls), (-L["om"] * L["pp"] * L["pm"] * tau, ls),
                           (-L["om"] * L["pp"] * 2 * n_non * np.exp(-tau) * _col(q.norm_W_kq), l1 - tau))
        ms.append(m)
        bs.append(b1 + b2)
    return ms, bs


def _p74(q):
    L = _lit(q)
    ls, l1 = _logs(L["om"] * L["pm"], L["om"])
    ms, bs = [], []
    for tau in _taus73(q):
        terms = []
        for n_non in (q.n_nonopt[None, :], q.L_max):
            terms += [(-L["om"] * L["pp"] * L["pm"] * tau, ls),
                      (-L["om"] * L["pp"] * 2 * n_non * np.exp(-tau) * _col(q.norm_W_kq), l1 - tau)]
        v = _scale(*terms)
        ms.append(v[0] + v[1])
        bs.append(v[2] + v[3])
    return np.stack(ms, -1), np.stack(bs, -1), ">="


def _lg(q, c):
    return _col(np.log(c * q.L_max * q.norm_W_kq))


def _p76a(q):
    L = _lit(q)
    return (q.P - 1) * L["pp"] * L["pm"] * (1 + _lg(q, 2) + _col((1 + q.beta / 2) * q.r))


def _bdiff(q):
    bt = q.a - q.a_opt[..., None]
    bs = _col(1 + q.beta)[..., None] * (q.a_star - q.a_star_opt[..., None])
    return bt, bs


def _p80r(q, low=None):
    bt, bs = _bdiff(q)
    sel = q.nonopt[None] if low is None else q.nonopt[None] & low
    L = _lit(q)
    return np.where(sel, np.where(q.nonopt[None], q.Q, 0) * q.phi * L["pp"][..., None] * (bt - bs), 0).sum(2)


def _p82(q):
    """``sum_{l notin l(n)} Q phi_+ e^{-(1+beta) r} (-2||W||)`` and its log-size."""
    L = _lit(q)
    sQ = np.where(q.nonopt[None], q.Q, 0).sum(2)
    v = -2 * _col(q.norm_W_kq) * L["pp"] * sQ * np.exp(-_col((1 + q.beta) * q.r))
    return v, _logs(L["om"])[0] - _col((1 + q.beta) * q.r)


def _p84(q):
    L = _lit(q)
    v = -2 * q.L_max * L["om"] * L["pp"] * L["pm"] * _col(q.r) * np.exp(-_col(q.beta * q.r) / 2) * q.star_norm_kq
    return v, _logs(L["om"] * L["pm"])[0] - _col(q.beta * q.r) / 2


def _dev(q):
    """``a_l - sum_{l' notin l(n)} (phi_l'/phi_-) a_l'``."""
    L = _lit(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(q.nonopt[None], q.phi * q.a, 0).sum(2) / L["pm"]
    return q.a - np.nan_to_num(mean)[..., None]


def _taus88(q):
    with np.errstate(divide="ignore"):
        t90 = np.log(2 * q.norm_W_kq)
    return [_col(np.where(t90 > 0, t90, 1.0)), _col(np.ones_like(t90)),
            _col(np.where(q.norm_W_kq > 0, q.norm_W_kq, 1.0))]


def _bm_terms(q):
    """``B_-`` (printed definition) and its log-size ``log((1 - P) phi_-^2)``."""
    L = _lit(q)
    return L["Bm"], _logs(L["om"] * L["pm"] ** 2)[0]


def _p88_2(q):
    L = _lit(q)
    dev = _dev(q)
    Qz = np.where(q.nonopt[None], q.Q, 0)
    ms, bs = [], []
    for tau in _taus88(q):
        hi = dev >= -tau[..., None]
        parts = [np.where(q.nonopt[None] & m, Qz * q.phi * L["pm"][..., None] * dev, 0).sum(2) for m in (hi, ~hi)]
        ms.append(_sc2(q, L["Bm"]))
        bs.append(_sc2(q, parts[0] + parts[1]))
    return np.stack(ms, -1), np.stack(bs, -1), "=="


def _sc2(q, x):
    L = _lit(q)
    s = L["om"] * L["pm"] ** 2
    return np.where(s > 0, x / np.where(s > 0, s, 1), 0.0)


def _p89(q):
    L = _lit(q)
    Bm, lm = _bm_terms(q)
    ls = _logs(L["om"] * L["pm"])[0]
    Qz = np.where(q.nonopt[None], q.Q, 0)
    ms, bs = [], []
    for tau in _taus88(q):
        m, b1, b2 = _scale((Bm, lm), (-(Qz * L["pm"][..., None] * q.phi * tau[..., None]).sum(2), lm),
                           (-(Qz * L["pm"][..., None] * 2 * q.norm_W_kq[:, None, None]
                              * np.exp(-tau[..., None])).sum(2),
                            ls - tau))
        ms.append(m)
        bs.append(b1 + b2)
    return np.stack(ms, -1), np.stack(bs, -1), ">="


def _lg2w(q):
    return _col(1 + np.log(2 * q.norm_W_kq))


def _p91(q, inv_pp):
    L = _lit(q)
    return _col(q.L_max * q.star_norm_kq / q.norm_W_kq) * inv_pp * _lg2w(q) * _sc(q, L["As"])


def _n0(q, x):
    return np.asarray(x)[np.arange(len(q.n0)), q.n0]


def _type2(q):
    return ~q.type1


def _thr_log(q):
    return _logs(_lit(q)["om"])[0] + _col(q.log_type_threshold)


def _p95(q):
    L = _lit(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (q.P - 1) * L["pp"] * L["pm"] * (1 + _lg(q, 1) - np.log(L["pm"]))


def _p96(q):
    L = _lit(q)
    return -L["om"] * np.exp(_col(q.log_type_threshold)) * (1 + _col((1 + q.beta / 2) * q.r) + _lg(q, 1))


def _p99(q, corrected):
    L = _lit(q)
    A0, pp0, pm0, om0 = (_n0(q, L[k]) for k in ("As", "pp", "pm", "om"))
    ls0, l10 = _logs(om0 * pm0, om0)
    mid = -om0 * pp0 * pm0 * q.r
    last = -om0 * pp0 * np.exp(-q.r) * q.r / (q.L_max if corrected else 1)
    m1, b1, m2, b2 = _scale((A0, ls0), (mid, ls0), (mid, ls0), (last, l10 - q.r))
    return np.stack([m1, m2], -1), np.stack([b1, b2], -1), "<="


def _p101(q, factor):
    L = _lit(q)
    A0, pp0, pm0, om0 = (_n0(q, L[k]) for k in ("As", "pp", "pm", "om"))
    ls, = _logs(L["om"] * L["pm"])
    ls0, = _logs(om0 * pm0)
    c = factor * np.exp(-q.beta * q.r / 2) * (1 + q.beta + 2 * q.star_norm_kq) * A0 / pp0
    m, b = _scale((L["A"] + L["B"], ls), (_col(c) + 0 * L["pp"], _col(ls0 - q.beta * q.r / 2) + 0 * L["pp"]))
    return (*_t1(q, m, b, _type2(q)), ">=")


def _p102(q, factor):
    L = _lit(q)
    A0, pp0, pm0, om0 = (_n0(q, L[k]) for k in ("As", "pp", "pm", "om"))
    ls0, = _logs(om0 * pm0)
    c = factor * np.exp(-q.beta * q.r / 2) * (1 + q.beta + 2 * q.star_norm_kq) * A0 / pp0
    return (*_scale((c, ls0 - q.beta * q.r / 2), (q.beta * A0, ls0)), ">=")


def _sums(q):
    """``pi_n (A + B)``-type sums divided by ``exp(K)``, ``K = max_n log(pi_n (1 - P_n) phi_-)``: the weights."""
    L = _lit(q)
    with np.errstate(divide="ignore"):
        lw = np.log(q.pi)[None, :] + np.log(L["om"] * L["pm"])
    K = np.max(lw, axis=1)
    K = np.where(np.isfinite(K), K, 0.0)
    return L, np.exp(-K)


def _S12(q):
    L, f = _sums(q)
    x = q.pi[None, :] * (L["As"] + L["Bs"]) * _col(f)
    return np.where(q.type1, x, 0).sum(1), np.where(q.type1, 0, x).sum(1)


def _line1(q, best=None):
    L, f = _sums(q)
    t1 = (q.pi[None, :] * ((1 + 3 * _col(q.beta)) * L["As"] + (1 + _col(q.beta)) * L["Bs"]) * _col(f))
    t1 = np.where(q.type1, t1, 0).sum(1)
    if best is None:
        return q.beta * _n0(q, L["As"]) * f + t1
    return q.beta * best + t1


def _lhs103(q):
    L, f = _sums(q)
    return (q.pi[None, :] * (L["A"] + L["B"])).sum(1) * f


def _p103_printed(q):
    L, f = _sums(q)
    A = np.where(q.type1, L["As"] * _col(f), -np.inf)
    best = np.max(A, axis=1)
    return _lhs103(q), _line1(q, np.where(np.isfinite(best), best, 0)), ">="


def _line2c(q):
    S1, _ = _S12(q)
    return q.beta / q.pi[q.n0] * S1 + (1 + 3 * q.beta) * S1


def _p69_2(q):
    L = _lit(q)
    with np.errstate(divide="ignore"):
        lw = np.log(q.pi)[None, :] + np.log(L["om"] * L["pm"])
    K = np.maximum(q.c2, np.max(lw, axis=1))
    lhs = np.stack([np.sum(q.Gs * q.W_kq, axis=(1, 2)), np.sum(q.Gs * q.W_kq_star, axis=(1, 2)) * q.r], -1)
    lhs = lhs * np.exp(q.c2 - K)[:, None]
    rhs = np.stack([(q.pi * (L["A"] + L["B"])).sum(1), (q.pi * (L["As"] + L["Bs"])).sum(1)], -1)
    return lhs, q.Delta_act * rhs * np.exp(-K)[:, None], "=="


def _p69(q):
    L = _lit(q)
    xs = []
    for x in (q.a, q.a_star):
        xbar = (q.phi * x).sum(2)[..., None]
        xs.append(_sc(q, (L["om"][..., None] * q.phi * np.where(q.pos[None], q.uhat, 0) * (x - xbar)).sum(2)))
    rhs = np.stack([_sc(q, L["A"] + L["B"]), _sc(q, L["As"] + L["Bs"])], -1)
    return np.stack(xs, -1), q.Delta_act * rhs, "=="


def _p64(q):
    """``log phi_l = log phi_L + a_l - a_L``, ``L`` the query's (last) position of each sentence."""
    b = np.zeros(q.a.shape)
    for n in range(q.N):
        L = int(q.pos[n].sum()) - 1
        b[:, n, :L + 1] = q.log_phi[:, n, L:L + 1] + q.a[:, n, :L + 1] - q.a[:, n, L:L + 1]
    return np.where(q.pos[None], q.log_phi, 0), b, "=="


def _p64_3(q):
    pair = _pairs(q)
    d = np.where(pair, q.a[..., :, None] - q.a[..., None, :], 0)
    c_all = (q.phi[..., None, :] * d).sum(3)
    L = _lit(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(q.nonopt[None], q.phi / L["pm"][..., None], 0)
    c_neg = (np.nan_to_num(w)[..., None, :] * d).sum(3)
    real, neg = q.pos[None], q.pos[None] & q.has_nonopt[None, :, None]
    m = np.stack([np.where(real, q.log_phi, 0), np.where(neg, q.log_phi, 0)], -1)
    b = np.stack([np.where(real, c_all, 0), np.where(neg, c_neg, 0)], -1)
    return m, b, "<="


def _p65(q):
    s = q.s_star
    least = min(s[n][q.opt[n]].min() - s[n][q.nonopt[n]].max() for n in range(q.N)
                if q.opt[n].any() and q.nonopt[n].any())
    return least + 0 * q.t2, 1 + 0 * q.t2, "=="


def _p68p(q):
    t = np.arange(len(q.n0))
    lw = q.log_phi[t, q.n0, q.l0]
    lo = q.log_phi[t, q.n0, q.l_star[q.n0]]
    return np.stack([lw, lo - q.r], -1), np.stack([lo - q.r, -q.r - math.log(q.L_max)], -1), ">="


def _p72(q):
    L = _lit(q)
    d = q.a[..., :, None] - q.a[..., None, :]
    ms, bs = [], []
    for tau in _taus73(q):
        low = d < tau[..., None, None]
        ms.append(_sc(q, L["A"]))
        bs.append(_sc(q, _reduced(q, q.a, low) + _reduced(q, q.a, ~low)))
    return np.stack(ms, -1), np.stack(bs, -1), "=="


def _p77(q):
    L = _lit(q)
    ms = [_sc(q, L["B"]), _sc(q, L["Bs"])]
    bs = [_sc(q, L["Bp"] + L["Bm"]), _sc(q, L["Bps"] + L["Bms"])]
    return np.stack(ms, -1), np.stack(bs, -1), "=="


def _p82_t(q):
    L = _lit(q)
    bt, bs = _bdiff(q)
    v, lg = _p82(q)
    return (*_scale((_p80r(q, bt < bs), _logs(L["om"] * L["pm"])[0] + 0 * lg), (v, lg)), ">=")


def _p83(q):
    v, lg = _p82(q)
    v2 = -2 * _col(q.norm_W_kq) * _lit(q)["pp"] * np.where(q.nonopt[None], q.Q, 0).sum(2) \
        * np.exp(-_col((1 + q.beta / 2) * q.r)) * np.exp(-_col(q.beta * q.r) / 2)
    return (*_scale((v, lg), (v2, _logs(_lit(q)["om"])[0] - _col((1 + q.beta / 2) * q.r))), "==")


def _p84_t(q):
    v, lg = _p82(q)
    return (*_t1(q, *_scale((v, lg), _p84(q))), ">=")


def _p85(q):
    v, lg = _p84(q)
    w = 2 * q.L_max * np.exp(-_col(q.beta * q.r) / 2) * q.star_norm_kq * _lit(q)["As"]
    return (*_t1(q, *_scale((v, lg), (w, lg))), ">=")


def _p86(q):
    L = _lit(q)
    ls = _logs(L["om"] * L["pm"])[0]
    m = 2 * q.L_max * np.exp(-_col(q.beta * q.r) / 2) * q.star_norm_kq * L["As"]
    b = _col(q.star_norm_kq / q.norm_W_kq) * L["As"]
    return (*_t1(q, *_scale((m, ls - _col(q.beta * q.r) / 2), (b, ls))), ">=")


def _p90(q):
    Bm, lm = _bm_terms(q)
    L = _lit(q)
    ls = _logs(L["om"] * L["pm"])[0]
    return (*_scale((Bm, lm), (-q.L_max * L["om"] * L["pm"] * _lg2w(q), ls)), ">=")


def _p91_t(q):
    L = _lit(q)
    both = (q.has_opt & q.has_nonopt)[None, :]
    with np.errstate(divide="ignore"):
        inv = np.where(q.has_opt[None, :], 1 / L["pp"], 0)
    m = -q.L_max * _lg2w(q) + 0 * L["pp"]
    return (*_t1(q, m, _p91(q, inv), both), ">=")


def _p92(q):
    L = _lit(q)
    with np.errstate(divide="ignore"):
        inv = np.where(q.has_opt[None, :], 1 / L["pp"], 0)
    return (*_t1(q, _p91(q, inv), _p91(q, q.L_max + 0 * L["pp"]), q.has_opt[None, :]), ">=")


#: step key -> q -> (measured, bound, sense), from the printed (or corrected) relation.
TRANSCRIPTIONS_C4 = {
    "P64": _p64,
    "P64.2": lambda q: (np.where(q.pos[None], q.log_phi, 0),
                        np.where(q.pos[None], q.a - np.array([[[max(q.a[t, n][q.pos[n]])] for n in range(q.N)]
                                                              for t in range(len(q.t2))]), 0), "<="),
    "P64.3": _p64_3,
    "P65": _p65,
    "P66": lambda q: (np.sum(q.g * q.W_kq_star, axis=(1, 2)), 0 * q.t2, "<="),
    "P67": lambda q: (np.array([min(q.a[t, n][q.opt[n]].min() - q.a[t, n][q.nonopt[n]].max() for n in range(q.N)
                                    if q.opt[n].any() and q.nonopt[n].any()) for t in range(len(q.t2))]), q.r, "<="),
    "P68": lambda q: (q.log_phi[np.arange(len(q.n0)), q.n0, q.l0], -q.r, ">="),
    "P68'": _p68p,
    "P69": _p69,
    "P69.2": _p69_2,
    "P70": lambda q: (_sc(q, _lit(q)["As"]), _sc(q, _reduced(q, q.a_star)), "=="),
    "P70.2": lambda q: (_sc(q, _lit(q)["As"]), _sc(q, (q.P - 1) * _lit(q)["pp"] * _lit(q)["pm"] * _col(q.r)), "<="),
    "P71": lambda q: (_sc(q, _lit(q)["A"]), _sc(q, _reduced(q, q.a)), "=="),
    "P72": _p72,
    "P73": lambda q: (np.stack(_p73(q, q.n_nonopt[None, :])[0], -1), np.stack(_p73(q, q.n_nonopt[None, :])[1], -1),
                      ">="),
    "P74": _p74,
    "P75": lambda q: (_sc(q, _lit(q)["A"]), _sc(q, (q.P - 1) * _lit(q)["pp"] * _lit(q)["pm"] * (
        1 + _lg(q, 2) - np.log(np.where(_lit(q)["pm"] > 0, _lit(q)["pm"], 1)))), ">="),
    "P76": lambda q: (*_t1(q, _sc(q, _lit(q)["A"]), _sc(q, _p76a(q))), ">="),
    "P76.2": lambda q: (*_t1(q, _sc(q, _p76a(q)), _sc(q, (1 + _col(q.beta)) * (q.P - 1) * _lit(q)["pp"]
                                                     * _lit(q)["pm"] * _col(q.r))), ">="),
    "P76.3": lambda q: (*_t1(q, _sc(q, (1 + _col(q.beta)) * (q.P - 1) * _lit(q)["pp"] * _lit(q)["pm"] * _col(q.r)),
                             _sc(q, (1 + _col(q.beta)) * _lit(q)["As"])), ">="),
    "P77": _p77,
    "P78": lambda q: (_sc2(q, _lit(q)["Bms"]), 0 * q.P, "=="),
    "P79": lambda q: (_sc(q, _lit(q)["Bs"]), _sc(q, -(np.where(q.nonopt[None], q.Q, 0) * q.phi).sum(2)
                                              * _lit(q)["pp"] * _col(q.r)), "<="),
    "P80": lambda q: (_sc(q, _lit(q)["Bp"] - (1 + _col(q.beta)) * _lit(q)["Bps"]), _sc(q, _p80r(q)), "=="),
    "P81": lambda q: (_sc(q, _p80r(q)), _sc(q, _p80r(q, _bdiff(q)[0] < _bdiff(q)[1])), ">="),
    "P82": _p82_t,
    "P83": _p83,
    "P84": _p84_t,
    "P85": _p85,
    "P86": _p86,
    "P87": lambda q: (*_t1(q, _sc(q, _col(q.star_norm_kq / q.norm_W_kq) * _lit(q)["As"]),
                           _sc(q, _col(q.beta) * _lit(q)["As"])), ">="),
    "P87.2": lambda q: (*_t1(q, _sc(q, _lit(q)["Bp"]), _sc(q, (1 + _col(q.beta)) * _lit(q)["Bps"]
                                                       + _col(q.beta) * _lit(q)["As"])), ">="),
    "P88": lambda q: (_sc2(q, _lit(q)["Bm"]), _sc2(q, np.where(q.nonopt[None], np.where(q.nonopt[None], q.Q, 0) * q.phi
                                                              * _lit(q)["pm"][..., None] * _dev(q), 0).sum(2)), "=="),
    "P88.2": _p88_2,
    "P89": _p89,
    "P90": _p90,
    "P91": _p91_t,
    "P92": _p92,
    "P93": lambda q: (_col(q.L_max ** 2 * q.star_norm_kq / q.norm_W_kq) * _lg2w(q) * _sc(q, _lit(q)["As"]),
                      _col(q.beta) * _sc(q, _lit(q)["As"]), ">="),
    "P94": lambda q: (*_t1(q, _sc(q, _lit(q)["A"] + _lit(q)["B"]), _sc(q, (1 + 3 * _col(q.beta)) * _lit(q)["As"]
                                                                         + (1 + _col(q.beta)) * _lit(q)["Bs"])), ">="),
    "P94.2": lambda q: (*_t1(q, _sc(q, (1 + 3 * _col(q.beta)) * _lit(q)["As"] + (1 + _col(q.beta)) * _lit(q)["Bs"]),
                             _sc(q, (1 + 3 * _col(q.beta)) * (_lit(q)["As"] + _lit(q)["Bs"]))), ">="),
    "P95": lambda q: (*_t1(q, _sc(q, _lit(q)["A"]), _sc(q, np.nan_to_num(_p95(q))), _type2(q)), ">="),
    "P96": lambda q: (*_t1(q, *_scale((np.nan_to_num(_p95(q)), _logs(_lit(q)["om"] * _lit(q)["pm"])[0]),
                                      (_p96(q), _thr_log(q))), _type2(q)), ">="),
    "P97": lambda q: (*_t1(q, -(1 + _col((1 + q.beta / 2) * q.r) + _lg(q, 1)) + 0 * q.P,
                           -_col((1 + q.beta) * q.r) + 0 * q.P, _type2(q)), ">="),
    "P98": lambda q: (*_t1(q, *_scale((_lit(q)["B"], _logs(_lit(q)["om"] * _lit(q)["pm"])[0]),
                                      (-2 * _lit(q)["om"] * np.exp(_col(q.log_type_threshold)) * _col(q.norm_W_kq),
                                       _thr_log(q))), _type2(q)), ">="),
    "P99": lambda q: _p99(q, False),
    "P99'": lambda q: _p99(q, True),
    "P100": lambda q: (*_t1(q, np.log(1 - q.P), np.log(1 - _n0(q, q.P))[:, None] + 0 * q.P, _type2(q)), "<="),
    "P101": lambda q: _p101(q, 1.0),
    "P101.2": lambda q: _p101(q, q.L_max),
    "P102": lambda q: _p102(q, 1.0),
    "P102.2": lambda q: _p102(q, q.L_max),
    "P103": _p103_printed,
    "P103'": lambda q: (_lhs103(q), _line1(q), ">="),
    "P103.2": lambda q: (_line1(q), q.N * q.beta * _S12(q)[0] + (1 + 3 * q.beta) * _S12(q)[0], ">="),
    "P103.2'": lambda q: (_line1(q), _line2c(q), ">="),
    "P103.3": lambda q: (q.N * q.beta * _S12(q)[0] + (1 + 3 * q.beta) * _S12(q)[0],
                         (1 + (q.N + 3) * q.beta) * _S12(q)[0], ">="),
    "P103.4": lambda q: ((1 + (q.N + 3) * q.beta) * _S12(q)[0], (1 + q.alpha_kq) * (_S12(q)[0] + _S12(q)[1]), ">="),
    "P103.5": lambda q: ((1 + q.alpha_kq) * (_S12(q)[0] + _S12(q)[1]),
                         (1 + q.alpha_kq) * (q.pi[None, :] * (_lit(q)["As"] + _lit(q)["Bs"])).sum(1) * _sums(q)[1],
                         "=="),
    "P103.6": lambda q: (_line2c(q), (1 + q.alpha_kq) * (_S12(q)[0] + _S12(q)[1]), ">="),
    "P103.7": lambda q: (_lhs103(q), (1 + q.alpha_kq) * (q.pi[None, :] * (_lit(q)["As"] + _lit(q)["Bs"])).sum(1)
                         * _sums(q)[1], ">="),
}

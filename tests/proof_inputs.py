"""Independent inputs and transcriptions for the proof-step tests (tests/test_proofs_steps.py).

- :func:`stage1_inputs` builds every stage-1 quantity a step reads, literally from
  its definition (docs/proofs.md, "Quantities"), with plain numpy loops over tokens:
  from random iterates (random inputs) or from a trajectory's iterates (then it is
  compared with the library's measurement layer).
- :data:`TRANSCRIPTIONS` gives, for every registered step P1-P32, the two sides and the
  sense of its relation written out again from the printed formula (or its
  correction), never through the library's check. A check that weakens or
  strengthens a bound, changes a constant or flips an inequality disagrees with it.
"""

import math

import numpy as np
from proof_inputs_c4 import random_lemma7, TRANSCRIPTIONS_C4


class Q(dict):
    """A dict whose keys are also attributes (the interface of ``Measurements``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def iterates(self, stage):
        return len(self["t1"] if stage == 1 else self["t2"])


def softmax_columns(B):
    """``phi(B[:, x])`` for every column x (literal, shifted by the column maximum)."""
    Z = np.exp(B - B.max(axis=0, keepdims=True))
    return Z / Z.sum(axis=0, keepdims=True)


def L0_literal(W, E, In):
    """``L_0(W) = -sum_x log phi(W x)_{In(x)}`` (Section 4.2), one token at a time."""
    total = 0.0
    for x in range(E.shape[1]):
        z = W @ E[:, x]
        total += -(z[In[x]] - z.max() - math.log(np.sum(np.exp(z - z.max()))))
    return total


def stage1_inputs(W_iter, E, In, W_star, eta0, eta, c1_shift=0.0, engine=None):
    """Every stage-1 quantity the steps read, from the iterates ``W_iter`` (T+1, |V|, d).

    ``c1_shift`` is added to the true log-scale ``c1`` (any value is a valid scale);
    ``engine`` = (g1_engine, log_norm_G1_engine, log_loss0) or None (then random-free
    copies of the formula's own values are used).
    """
    n, V, d = W_iter.shape
    T0 = np.stack([softmax_columns(W @ E) for W in W_iter])                   # (t, i, x)
    onehot = np.zeros((V, V))
    onehot[In, np.arange(V)] = 1.0
    wrong = onehot == 0
    pw = np.array([[sum(T0[t, i, x] for i in range(V) if i != In[x]) for x in range(V)] for t in range(n)])
    G1 = np.stack([sum(np.outer(T0[t, :, x] - onehot[:, x], E[:, x]) for x in range(V)) for t in range(n)])
    nG1 = np.linalg.norm(G1, axis=(1, 2))
    c1 = np.log(pw.max(axis=1)) + c1_shift
    f = np.exp(-c1)
    norms = np.linalg.norm(W_iter, axis=(1, 2))
    s = np.linalg.norm(W_star)
    Bstar = W_star @ E
    margins = np.stack([(W @ E)[In, np.arange(V)][None, :] - W @ E for W in W_iter])
    logL0 = np.log([L0_literal(W, E, In) for W in W_iter])
    lam = math.log(2 * V)
    c = norms / s
    cp = c + 2 * lam
    g1 = G1 / nG1[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        Wbar = W_iter / norms[:, None, None]
    dW = np.concatenate([W_iter[1:] - W_iter[:-1], np.full((1, V, d), np.nan)])
    g1_eng, lng_eng, llo = engine if engine is not None else (g1, np.log(nG1), logL0)
    return Q(W_ov=W_iter, E=E, In=In, W_ov_star=W_star, eta0=eta0, eta=eta, n_tokens=V, T=n - 1,
             t1=np.arange(n, dtype=float), star_norm_ov=s, Wbar_ov_star=W_star / s, Bstar=Bstar,
             norm_W_ov=norms, Wbar_ov=Wbar, dW_ov=dW, T0=T0, pw=pw, c1=c1, pws=pw * f[:, None],
             T0s_wrong=T0 * wrong * f[:, None, None], R0s=(T0 - onehot) * f[:, None, None],
             G1s=G1 * f[:, None, None], norm_G1s=nG1 * f, log_norm_G1=np.log(nG1), g1=g1,
             margins1=margins, margin_min1=np.where(wrong, margins, np.inf).min(axis=(1, 2)),
             log_L0=logL0, log_loss0=llo, lam=lam, c_ov=c, cp_ov=cp,
             log_L0_cstar=np.log([L0_literal(ci * W_star, E, In) for ci in c]),
             log_L0_p17=np.log([L0_literal(ci * W_star, E, In) for ci in cp]),
             log_L0_star=math.log(L0_literal(W_star, E, In)),
             alpha_ov=2 * s * lam / norms, cos_ov=np.sum(Wbar * W_star / s, axis=(1, 2)),
             ug1_Wbar=np.sum(g1 * Wbar, axis=(1, 2)), ug1_Wstarbar=np.sum(g1 * W_star / s, axis=(1, 2)),
             D1=-margins, g1_engine=g1_eng, log_norm_G1_engine=lng_eng)


def random_stage1(rng, T=7, V=3, d=5, scale=1.0):
    """``stage1_inputs`` of random iterates (not a trajectory): random inputs for the transcriptions."""
    E = np.linalg.qr(rng.standard_normal((d, V)))[0]
    In = rng.permutation(V)
    W_iter = scale * rng.standard_normal((T + 1, V, d))
    W_star = rng.standard_normal((V, d))
    q = stage1_inputs(W_iter, E, In, W_star, rng.uniform(0.05, 2.0), rng.uniform(0.05, 2.0),
                      c1_shift=rng.normal())
    q["g1_engine"] = rng.standard_normal(q.g1.shape)
    q["log_norm_G1_engine"] = rng.normal(size=T + 1)
    q["log_loss0"] = q.log_L0 + rng.normal(scale=0.1, size=T + 1)
    return q


def random_stage2(rng, T1=5, d=4, V=3):
    """Random inputs of the stage-2 steps of Appendix A (P2), and of Lemma 7's steps (tests/proof_inputs_c4.py)."""
    q = Q(Gs=rng.standard_normal((T1 + 1, d, d)), g_engine=rng.standard_normal((T1 + 1, d, d)),
          log_norm_G_engine=rng.normal(size=T1 + 1), c2=rng.normal(size=T1 + 1),
          norm_W_kq=rng.uniform(0, 5, size=T1 + 1), W_ovT=rng.standard_normal((V, d)),
          t2=np.arange(T1 + 1, dtype=float))
    q.update(random_lemma7(rng, T1))
    return q


def _partial(f):
    """``S[t] = sum_{t'=2}^{t-1} f[t']`` by a loop."""
    return np.array([sum(f[k] for k in range(2, t)) for t in range(len(f))], dtype=float)


def _next(x):
    return np.concatenate([x[1:], [np.nan]])


def _gap(B, In):
    """``(e_i - e_In(x))^T W x`` at ``[..., i, x]``."""
    V = len(In)
    return np.stack([B[..., :, x] - B[..., In[x], x][..., None] for x in range(V)], axis=-1)


def _p4(q):
    V, outs_l, outs_r = q.n_tokens, [], []
    for Wp, lp in ((q.cp_ov[:, None, None] * q.W_ov_star, q.log_L0_p17), (q.W_ov_star + 0 * q.W_ov, q.log_L0_star),
                   (0 * q.W_ov, math.log(V * math.log(V)))):
        diff = q.W_ov - Wp
        lp = np.broadcast_to(lp, q.log_L0.shape)
        K = np.maximum(np.maximum(q.c1 + np.log(np.linalg.norm(diff, axis=(1, 2))), q.log_L0), lp)
        # <W - W', G1_t> and L_0(W) - L_0(W'), each divided by exp(K)
        outs_l.append(np.sum(diff * q.G1s, axis=(1, 2)) * np.exp(q.c1 - K))
        outs_r.append(np.exp(q.log_L0 - K) - np.exp(lp - K))
    return np.stack(outs_l, -1), np.stack(outs_r, -1), ">="


def _alpha_frac(q):
    return q.alpha_ov / (1 + q.alpha_ov)


def _p25_rhs(q):
    n0, n1 = q.norm_W_ov, _next(q.norm_W_ov)
    dW2 = np.sum(q.dW_ov ** 2, axis=(1, 2))
    return (n1 ** 2 - dW2 - n0 ** 2) / (2 * n0) - _alpha_frac(q) * np.sum(q.dW_ov * q.Wbar_ov, axis=(1, 2))


def _p26_rhs(q, step2):
    n0, n1 = q.norm_W_ov, _next(q.norm_W_ov)
    return (n1 ** 2 - n0 ** 2) / (2 * n0) - step2 / (2 * n0) + q.eta0 * _alpha_frac(q) * q.ug1_Wbar


def _p31_rhs(q):
    s, lt = q.star_norm_ov, np.log(q.t1)
    return 1 - (q.norm_W_ov[2] + 2 * q.eta0 * s * lt + 4 * s ** 2 * q.lam * lt) / q.norm_W_ov


def _proj(q):
    return np.sum(q.dW_ov * q.W_ov_star, axis=(1, 2)) / q.star_norm_ov


#: step key -> q -> (measured, bound, sense), written from the printed (or corrected) relation.
TRANSCRIPTIONS = {
    # Eq. (5): sum_x (T0_t(x) - e_In(x)) x^T, scaled, against the engine's gradient
    "P1": lambda q: (np.stack([sum(np.outer(q.T0[t][:, x] - (np.arange(q.n_tokens) == q.In[x]), q.E[:, x])
                                   for x in range(q.n_tokens)) * np.exp(-q.c1[t]) for t in range(len(q.t1))]),
                     q.g1_engine * np.exp(q.log_norm_G1_engine - q.c1)[:, None, None], "=="),
    "P2": lambda q: (q.Gs, q.g_engine * np.exp(q.log_norm_G_engine - q.c2)[:, None, None], "=="),
    "P3": lambda q: (np.concatenate([np.diff(q.W_ov, axis=0), np.full((1,) + q.W_ov.shape[1:], np.nan)]),
                     -q.eta0 * q.g1, "=="),
    "P4": _p4,
    "P5": lambda q: (q.log_L0_cstar, np.log(q.n_tokens * np.log1p((q.n_tokens - 1) * np.exp(-q.c_ov))), "=="),
    "P6": lambda q: (np.sum(q.W_ov_star * q.G1s, axis=(1, 2)),
                     sum(q.R0s[:, :, x] @ (q.W_ov_star @ q.E[:, x]) for x in range(q.n_tokens)), "=="),
    "P7": lambda q: (sum(q.R0s[:, :, x] @ (q.W_ov_star @ q.E[:, x]) for x in range(q.n_tokens)),
                     np.sum(q.T0s_wrong * _gap(q.Bstar, q.In)[None], axis=(1, 2)), "=="),
    "P8": lambda q: (np.sum(q.W_ov_star * q.G1s, axis=(1, 2)), -np.sum(q.pws, axis=1), "<="),
    "P9": lambda q: (q.norm_G1s, np.sum(q.T0s_wrong * _gap(q.g1 @ q.E, q.In), axis=(1, 2)), "=="),
    "P10": lambda q: (q.norm_G1s, 2 * np.sum(q.pws, axis=1), "<="),
    "P11": lambda q: (np.sum(q.W_ov_star * q.g1, axis=(1, 2)), np.full(len(q.t1), -0.5), "<="),
    "P12": lambda q: (_proj(q), np.full(len(q.t1), q.eta0 / (2 * q.star_norm_ov)), ">="),
    "P13": lambda q: (_next(np.linalg.norm(q.W_ov, axis=(1, 2))), np.linalg.norm(q.W_ov, axis=(1, 2)) + q.eta0,
                      "<="),
    "P14": lambda q: (q.ug1_Wstarbar, np.zeros(len(q.t1)), "<="),
    "P15": lambda q: (q.margin_min1, q.norm_W_ov / q.star_norm_ov, "<="),
    "P16": lambda q: (q.log_loss0, np.log([sum(np.log(1 + np.sum(np.exp(q.D1[t][:, x]))) for x in
                                              range(q.n_tokens)) for t in range(len(q.t1))]), "=="),
    "P16'": lambda q: (q.log_loss0, np.log([sum(np.log(1 + sum(np.exp(q.D1[t][i, x]) for i in range(q.n_tokens)
                                                               if i != q.In[x])) for x in range(q.n_tokens))
                                            for t in range(len(q.t1))]), "=="),
    "P16.2": lambda q: (q.log_L0, np.log(np.log(1 + np.exp(-q.c_ov))), ">="),
    "P16.3": lambda q: (np.log(np.log(1 + np.exp(-q.c_ov))), np.log(0.5 * np.exp(-q.c_ov)), ">="),
    "P18": lambda q: (q.log_L0, np.log(q.n_tokens * np.log(1 + (q.n_tokens - 1) * np.exp(-q.c_ov - 2 * q.lam))),
                      "<="),
    "P18'": lambda q: (q.log_L0_p17, np.log(q.n_tokens * np.log(1 + (q.n_tokens - 1) * np.exp(-q.cp_ov))), "<="),
    "P18.2": lambda q: (np.log(q.n_tokens * np.log(1 + (q.n_tokens - 1) * np.exp(-q.cp_ov))),
                        np.log(q.n_tokens * q.n_tokens * np.exp(-q.cp_ov)), "<="),
    "P18.3": lambda q: (np.log(q.n_tokens * q.n_tokens * np.exp(-q.c_ov - math.log(2 * q.n_tokens))),
                        np.log(0.5 * np.exp(-q.c_ov)), "<="),
    "P18.3'": lambda q: (np.log(q.n_tokens * q.n_tokens * np.exp(-q.c_ov - 2 * math.log(2 * q.n_tokens))),
                         np.log(0.5 * np.exp(-q.c_ov)), "<="),
    "P19": lambda q: (q.log_L0, q.log_L0_p17, ">="),
    "P20": lambda q: (np.sum((q.W_ov - q.cp_ov[:, None, None] * q.W_ov_star) * q.G1s, axis=(1, 2)),
                      np.zeros(len(q.t1)), ">="),
    "P21": lambda q: (_proj(q), -q.eta0 * np.exp(q.log_norm_G1) * np.sum(q.g1 * q.W_ov_star, axis=(1, 2))
                      / q.star_norm_ov, "=="),
    "P21'": lambda q: (_proj(q), -q.eta0 * np.sum(q.g1 * q.W_ov_star, axis=(1, 2)) / q.star_norm_ov, "=="),
    "P22": lambda q: (_proj(q), -q.eta0 / (1 + q.alpha_ov) * q.ug1_Wbar, ">="),
    "P23": lambda q: (-q.eta0 / (1 + q.alpha_ov) * q.ug1_Wbar,
                      np.sum(q.dW_ov * q.Wbar_ov, axis=(1, 2)) / (1 + q.alpha_ov), "=="),
    "P24": lambda q: (np.sum(q.dW_ov * q.Wbar_ov, axis=(1, 2)) / (1 + q.alpha_ov),
                      (1 - _alpha_frac(q)) * np.sum(q.dW_ov * q.Wbar_ov, axis=(1, 2)), "=="),
    "P25": lambda q: ((1 - _alpha_frac(q)) * np.sum(q.dW_ov * q.Wbar_ov, axis=(1, 2)), _p25_rhs(q), "=="),
    "P26": lambda q: (_p25_rhs(q), _p26_rhs(q, q.eta ** 2), "=="),
    "P26'": lambda q: (_p25_rhs(q), _p26_rhs(q, q.eta0 ** 2), "=="),
    "P27": lambda q: (_proj(q), _next(q.norm_W_ov) - q.norm_W_ov - q.eta0 ** 2 / (2 * q.norm_W_ov)
                      - q.eta0 * _alpha_frac(q), ">="),
    "P28": lambda q: (np.sum((q.W_ov - q.W_ov[2]) * q.W_ov_star, axis=(1, 2)) / q.star_norm_ov,
                      q.norm_W_ov - q.norm_W_ov[2] - _partial(q.eta0 ** 2 / (2 * q.norm_W_ov))
                      - _partial(q.eta0 * _alpha_frac(q)), ">="),
    "P29": lambda q: (_partial(1 / q.norm_W_ov), 2 * q.star_norm_ov / q.eta0 * (q.t1 - 2) / q.t1, "<="),
    "P29'": lambda q: (_partial(1 / q.norm_W_ov), 2 * q.star_norm_ov / q.eta0 * _partial(1 / q.t1), "<="),
    "P29.2": lambda q: (_partial(1 / q.t1), np.log(q.t1), "<="),
    "P30": lambda q: (_partial(_alpha_frac(q)), _partial(q.alpha_ov), "<="),
    "P30.2": lambda q: (_partial(q.alpha_ov), 4 * q.star_norm_ov ** 2 * q.lam / q.eta0 * np.log(q.t1), "<="),
    "P31": lambda q: (q.cos_ov, _p31_rhs(q), ">="),
    "P32": lambda q: (_p31_rhs(q), 1 - 12 * q.star_norm_ov ** 3 * q.lam * np.log(q.t1) / (q.t1 * q.eta0), ">="),
}


#: step key -> seed -> inputs, for the steps whose quantities random_stage1 / random_stage2 do not give
#: (tests/test_proofs_steps.py uses them instead of the stage's default).
INPUTS = {}

# Appendix C.1-C.3 (P33-P63): tests/proof_inputs_c123.py
from proof_inputs_c123 import INPUTS as _INPUTS_C123, TRANSCRIPTIONS as _TRANSCRIPTIONS_C123  # noqa: E402

INPUTS.update(_INPUTS_C123)
TRANSCRIPTIONS.update(_TRANSCRIPTIONS_C123)

TRANSCRIPTIONS.update(TRANSCRIPTIONS_C4)

# Appendix C.5-D (Theorems 1-3, Proposition 4): tests/proof_inputs_theorems.py
from proof_inputs_theorems import INPUTS as _INPUTS_THM, TRANSCRIPTIONS as _TRANSCRIPTIONS_THM  # noqa: E402

INPUTS.update(_INPUTS_THM)
TRANSCRIPTIONS.update(_TRANSCRIPTIONS_THM)

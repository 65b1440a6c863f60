"""The careful stage-2 evaluation: every quantity in log space, exact in the saturated regime.

The engine's fallback (docs/performance.md): it handles any finite weights and
is what the fast paths of :mod:`reference.training.fastpath` are checked
against. Attention is taken in log form (``log w = log count + s - logsumexp``
per sentence, shifted by each sentence's own maximum), the logit gaps
``u = logsumexp_{v != y}(Tbar_v - Tbar_y)`` with the wrong classes alone, and
the gradient relative to each sentence's most attended group (docs/derivations.md,
sections 3-4). With the Lemma 3 structure of ``W_ov`` the logits cost
O(groups); otherwise O(N abs(V)^2) through one matrix product.
"""

import numpy as np

from ..numerics import _exp, _logsumexp, _unit, log_softplus, softplus
from .evaluation import Stage2Eval

__all__ = ["careful_stage2"]


def _attention(eng, A):
    sc = A.ravel()[eng.g_key_A]
    m = np.maximum.reduceat(sc, eng.g_start)
    z = _exp(eng.g_log_count + sc - m[eng.g_sent])
    lse = m + np.log(np.add.reduceat(z, eng.g_start))
    return eng.g_log_count + sc - lse[eng.g_sent], sc - lse[eng.g_sent]


def careful_stage2(eng, B, A, grad, ab):
    """Stage-2 evaluation of :meth:`reference.training.engine.Engine.stage2` in log space.

    Parameters
    ----------
    eng : Engine
    B, A : (abs(V), abs(V)) float64 arrays, already checked
    grad : tuple of {"A", "B"}
    ab : (a, beta) or None
        The Lemma 3 structure of ``B`` (only used when "B" is not in ``grad``).

    Returns
    -------
    Stage2Eval
        With ``path = "careful"``.
    """
    with np.errstate(invalid="ignore", divide="ignore"):    # 0/0 only where the gradient is exactly 0
        return _careful_stage2(eng, B, A, grad, ab)


def _careful_stage2(eng, B, A, grad, ab):
    from scipy import sparse                       # SciPy only where it is used
    N, V = eng.ds.N, eng.n_tokens
    log_w, log_att = _attention(eng, A)
    w = _exp(log_w)
    is_top = log_w == np.maximum.reduceat(log_w, eng.g_start)[eng.g_sent]
    phi_plus = None
    if eng.g_opt is not None:
        phi_plus = np.bincount(eng.g_sent, weights=np.where(eng.g_opt, w, 0.0), minlength=N)
    if ab is not None and "B" not in grad:
        u, ghat, pred, hat = _logits_structured(eng, ab[0], w, phi_plus, is_top)
    else:
        u, ghat, pred, hat = _logits_general(eng, sparse, B, w, need_rhat="B" in grad)
    out = Stage2Eval(
        loss=float(np.dot(eng.ds.pi, softplus(u))),
        log_loss=_logsumexp(eng.log_pi + log_softplus(u)),
        phi_plus=phi_plus, pred=pred,
        accuracy=float(np.sum(eng.ds.counts[pred == eng.y]) / np.sum(eng.ds.counts)),
        group_att=_exp(log_att), group_log_w=log_w, engine=eng, path="careful")
    if grad:
        s = -softplus(-u)                                # log(1 - p_y) per sentence
        blocks = {}
        if "A" in grad:
            blocks["A"] = _grad_A(eng, s, log_w, w, ghat, is_top)
        if "B" in grad:
            blocks["B"] = _grad_B(eng, sparse, s, log_w, hat)
        M = max(c for c, _ in blocks.values())
        if not np.isfinite(M):
            out.grad_dir = {k: np.zeros((V, V)) for k in blocks}
            out.log_grad_norm = -np.inf
            return out
        log_nrm, out.grad_dir = _unit({k: g * _exp(c - M) for k, (c, g) in blocks.items()})
        out.log_grad_norm = float(M + log_nrm)      # -inf: e.g. W_ov = 0, or one token per sentence
    return out


def _logits_structured(eng, a, w, w_y, is_top):
    """Logit gaps and ``g_hat`` when ``B = beta 1 1^T + a P_In`` (Lemma 3 structure).

    ``Tbar_v = beta + a W_v`` with ``W_v`` the attention on tokens ``x`` with
    ``In(x) = v``; ``w_y = phi_+``. Wrong classes hit by no token have gap ``-a w_y``.
    """
    V = eng.n_tokens
    opt, n_rest = eng.g_opt, eng.n_rest
    D = np.where(opt, -np.inf, a * (w - w_y[eng.g_sent]))      # hit wrong classes
    d_rest = -a * w_y
    m = np.maximum.reduceat(D, eng.g_start)
    m = np.where(n_rest > 0, np.maximum(m, d_rest), m)
    with np.errstate(divide="ignore"):
        tot = np.add.reduceat(_exp(D - m[eng.g_sent]), eng.g_start) + n_rest * _exp(d_rest - m)
        u = m + np.log(tot)
    phat = _exp(D - u[eng.g_sent])                           # p_v / (1 - p_y) of hit wrong classes
    ghat = np.where(opt, -a, a * phat)                         # (T - e_y)^T B[:, tok] / (1 - p_y)
    # argmax of Tbar = beta + a W_n: the class of the most attended token (ties: smallest class)
    cand = np.where(is_top, eng.g_cls, V)
    pred = np.minimum.reduceat(cand, eng.g_start)
    return u, ghat, pred, None


def _logits_general(eng, sparse, B, w, need_rhat=False):
    """Logit gaps and ``g_hat`` for any ``B``: ``Tbar = W B^T`` with ``W`` the sparse attention."""
    N, V = eng.ds.N, eng.n_tokens
    Wsp = sparse.csr_matrix((w, eng.g_tok, eng.g_indptr), shape=(N, V))
    Tbar = np.asarray(Wsp @ B.T)
    rows = np.arange(N)
    D = Tbar - Tbar[rows, eng.y][:, None]
    D[rows, eng.y] = -np.inf
    u = _logsumexp(D, axis=1) if V > 1 else np.full(N, -np.inf)
    if V > 1:
        phat = _exp(D - u[:, None])                           # p_v / (1 - p_y), 0 at y
    else:                                                     # no wrong class: nothing to spread
        phat = np.zeros((N, 1))
    PB = phat @ B                                               # (N, V): sum_v phat_v B[v, k]
    ghat = PB[eng.g_sent, eng.g_tok] - B[eng.y[eng.g_sent], eng.g_tok]
    pred = np.argmax(Tbar, axis=1)
    rhat = None
    if need_rhat:
        rhat = phat
        rhat[rows, eng.y] = -1.0
    return u, ghat, pred, rhat


def _grad_A(eng, s, log_w, w, ghat, is_top):
    """``(c, G)`` with ``grad_A L = exp(c) G``; terms taken relative to each sentence's top group."""
    V = eng.n_tokens
    first = np.flatnonzero(is_top)
    fs = eng.g_sent[first]
    ref = first[np.r_[True, fs[1:] != fs[:-1]]]          # first top group of each sentence
    c = ghat - ghat[ref][eng.g_sent]
    cbar = np.bincount(eng.g_sent, weights=w * c, minlength=len(s))
    nonref = np.ones(len(w), dtype=bool)
    nonref[ref] = False
    lm = np.where(nonref, eng.log_pi[eng.g_sent] + s[eng.g_sent] + log_w, -np.inf)
    M = np.max(lm, initial=-np.inf)
    if not np.isfinite(M):
        return -np.inf, np.zeros((V, V))
    coef = _exp(lm - M) * (c - cbar[eng.g_sent])
    coef[~nonref] = 0.0
    coef[ref] = -np.bincount(eng.g_sent, weights=coef, minlength=len(s))
    G = np.bincount(eng.g_key_A, weights=coef, minlength=V * V).reshape(V, V)
    return float(M), G


def _grad_B(eng, sparse, s, log_w, rhat):
    """``(c, G)`` with ``grad_B L = exp(c) G``: ``sum_n pi_n (T - y) (X phi_att)^T`` in token coordinates."""
    N, V = eng.ds.N, eng.n_tokens
    lm = eng.log_pi[eng.g_sent] + s[eng.g_sent] + log_w
    M = np.max(lm)
    if not np.isfinite(M):
        return -np.inf, np.zeros((V, V))
    C = sparse.csr_matrix((_exp(lm - M), eng.g_tok, eng.g_indptr), shape=(N, V)).T
    return float(M), np.asarray(C @ rhat).T

"""Claim 2: the terms the printed proofs of Lemmas 6 and 7 drop by Proposition 4's "equal non-optimal scores".

The proof of Lemma 6 (p.21-22, where Lemma 4 with ``W' = W*_kq`` is rewritten
before the bound (a)) and the proof of Lemma 7 (p.25, "``B_-^(n,*) = 0`` due to
Proposition 4") drop, per sample ``n``,

    B_-^(n,*) = sum_{l, l' notin l(n)} Q_{n,l} phi_l phi_l' (a*_l - a*_l')

(the non-optimal/non-optimal part of Lemma 4 with ``W' = W*_kq``), because
Proposition 4 (p.31) would give all non-optimal tokens of a sentence one ``W*_kq`` score.
That holds on prefix-closed data (docs/claims.md, claim 4) and fails on the
sample sets where Proposition 2 fails (docs/theory.md, erratum ``proposition2``).

:func:`sentence_terms` returns the per-sample quantities of Lemma 4 and of the
proof of Lemma 7 (p.24-25: ``A``, ``B``, ``B_+``, ``B_-`` at ``W_kq^(t)`` and at ``W*_kq``),
each divided by the sample's ``(1 - P_n) max_w p_w`` so that nothing underflows; the
``W*_kq`` terms use the unscaled scores ``s*_l = x_l^T W*_kq q_n`` (the paper's
``A^(n,*)``, ``B^(n,*)`` are ``r_t = ||W_kq^(t)||/||W*_kq||`` times them).
Sums over tokens: all positions of one token share a score, so ``p_w`` is the
attention on all of them and ``Q_w = T^(n)_{In(w)}``.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..numerics import _exp
from ..structure.orders import collocation
from .gradient_cone import _coords, _sentence, sentence_groups

__all__ = ["SentenceTerms", "sentence_terms", "weighted_sum", "lemma6_dropped_term", "lemma7_holds_by_norm",
           "EQUAL_MARGIN_RTOL"]

#: Stage-1 margins count as equal (Lemma 4's hypothesis) within this relative spread: 64 ulps of
#: the margin, the rounding a normalised step leaves on entries of that size.
EQUAL_MARGIN_RTOL = 64 * np.finfo(np.float64).eps


@dataclass(frozen=True)
class SentenceTerms:
    """Per-sample terms of Lemma 4 and of the proof of Lemma 7 (p.24-25), divided by ``(1 - P_n) max_w p_w``.

    Attributes
    ----------
    log_weight : array, shape (N,)
        ``log(pi^(n) (1 - P_n) max_w p_w)`` (``w`` over the non-optimal tokens): a term times
        ``Delta exp(log_weight)`` is its share of ``<grad L, W'>`` (Lemma 4); ``-inf`` for a
        sentence with one distinct token (all its terms are 0).
    phi_plus, log_phi_minus : arrays, shape (N,)
        ``phi_+^(n)`` and ``log phi_-^(n)`` (summed over the non-optimal tokens, never ``1 - phi_+``;
        ``-inf`` for a sentence with one distinct token).
    A_t, B_t : arrays, shape (N,)
        ``A^(n,t)``, ``B^(n,t)`` with the scores ``a_l = x_l^T W_kq^(t) q_n``.
    A_star, B_star, B_plus_star, B_minus_star : arrays, shape (N,)
        ``A``, ``B = B_+ + B_-`` with the scores ``s*_l`` of ``W*_kq``.
        Proposition 4's consequence, used on p.21-22 and p.25, is ``B_minus_star == 0``.
    lemma6_bound : array, shape (N,)
        The per-sample lower bound of ``-<grad L_n, W*_kq>`` in the proof of Lemma 6 (p.22, first
        inequality): ``(1 - P_n) phi_+ phi_- + phi_+ sum_{l notin l(n)} Q_{n,l} phi_l`` (divided likewise, without ``Delta``).
    delta : float
        The smallest stage-1 margin ``(e_In(x) - e_v)^T W_ov x`` (Lemma 4's ``Delta`` when they are equal).
    equal_margins : bool
        Whether every stage-1 margin equals ``delta`` (Lemma 4's hypothesis), to :data:`EQUAL_MARGIN_RTOL`.
    """

    log_weight: np.ndarray
    phi_plus: np.ndarray
    log_phi_minus: np.ndarray
    A_t: np.ndarray
    B_t: np.ndarray
    A_star: np.ndarray
    B_star: np.ndarray
    B_plus_star: np.ndarray
    B_minus_star: np.ndarray
    lemma6_bound: np.ndarray
    delta: float
    equal_margins: bool


def sentence_terms(ds, W_ov, W_kq, W_kq_star, groups=None):
    """The per-sample terms of Lemma 4 and of p.24-25 at ``(W_ov, W_kq)``, for ``W_kq^(t)`` and ``W*_kq``.

    With ``abar = sum_u p_u a_u`` and ``Qhat_w = Q_w / (1 - P_n)``:
    ``A = -p_u* (a_u* - abar)``, ``B = sum_w Qhat_w p_w (a_w - abar)``,
    ``B_+ = p_u* sum_w Qhat_w p_w (a_w - a_u*)``, ``B_- = sum_{w,w'} Qhat_w p_w p_w' (a_w - a_w')``
    (``u*`` the optimal token, ``w, w'`` the non-optimal ones; these are the paper's
    ``A^(n,.)``, ``B^(n,.)``, ``B_+^(n,.)``, ``B_-^(n,.)`` divided by ``(1 - P_n) max_w p_w``),
    all written with the gaps ``a_u* - a_w`` so that nothing cancels when ``phi_+ -> 1``.

    Parameters
    ----------
    ds : Dataset
        Orthonormal ``E``, a collocation, an optimal position in every sentence.
    W_ov : array, shape (abs(V), d)
        ``W_ov^(T)``.
    W_kq, W_kq_star : arrays, shape (d, d)
        ``W_kq^(t)`` and ``W*_kq`` (Eq. 3).
    groups : list, optional
        :func:`reference.theory.gradient_cone.sentence_groups` of ``ds``.

    Returns
    -------
    SentenceTerms

    Raises
    ------
    AssumptionError
        Non-orthonormal ``E``, no collocation, or a sentence without an optimal position.
    WeightsError
        Weights of the wrong shape or not finite (named).
    """
    B, A = _coords(ds, W_ov, W_kq)
    A_star = _coords(ds, W_ov, W_kq_star)[1]
    groups = sentence_groups(ds) if groups is None else groups
    In, V = collocation(ds), ds.vocab.n_tokens
    cols = np.arange(V)
    margins = (B[In, cols][None, :] - B)[np.arange(V)[:, None] != In[None, :]]   # v != In(x)
    out = {k: np.zeros(ds.N) for k in ("phi_plus", "A_t", "B_t", "A_star", "B_star",
                                       "B_plus_star", "B_minus_star", "lemma6_bound")}
    out["log_weight"], out["log_phi_minus"] = np.full(ds.N, -np.inf), np.full(ds.N, -np.inf)
    with np.errstate(divide="ignore"):
        log_pi = np.log(ds.pi)
    for n, (q, toks, cnt, o) in enumerate(groups):
        p, logp, log_1mP, rhat = _sentence(B, A, ds.y[n], q, toks, cnt)
        out["phi_plus"][n] = p[o]
        non = np.arange(toks.size) != o
        if not np.any(non):
            continue                                  # one distinct token: every term is 0
        m = float(np.max(logp[non]))
        pw, Qhat = _exp(logp[non] - m), rhat[In[toks[non]]]      # p_w / max_w p_w, Q_w / (1 - P_n)
        out["log_weight"][n] = log_pi[n] + log_1mP + m
        phi_minus = float(np.sum(pw))                            # phi_- / max_w p_w
        out["log_phi_minus"][n] = m + np.log(phi_minus)
        out["lemma6_bound"][n] = p[o] * (phi_minus + np.sum(Qhat * pw))
        for name, S in (("t", A), ("star", A_star)):
            d = S[toks[o], q] - S[toks[non], q]                  # a_u* - a_w
            dbar = np.exp(m) * np.dot(pw, d)                      # a_u* - abar
            out["A_" + name][n] = -p[o] * np.dot(pw, d)
            out["B_" + name][n] = np.sum(Qhat * pw * (dbar - d))
            if name == "star":
                out["B_plus_star"][n] = -p[o] * np.sum(Qhat * pw * d)
                out["B_minus_star"][n] = np.sum(Qhat * pw * (dbar - np.exp(m) * phi_minus * d))
    delta = float(np.min(margins)) if margins.size else 0.0
    spread = float(np.max(margins)) - delta if margins.size else 0.0
    return SentenceTerms(**out, delta=delta, equal_margins=spread <= EQUAL_MARGIN_RTOL * max(abs(delta), 1.0))


def lemma6_dropped_term(terms, log_grad_norm):
    """The term the proof of Lemma 6 drops (p.21-22), ``Delta sum_n pi^(n) B_-^(n)[s*]``, over ``||grad_{W_kq} L||``.

    The rewriting of ``<grad L, W*_kq>`` on p.21-22 is an identity only if this is 0; compare
    it with ``-<grad/||grad||, W*_kq>``, the quantity rewritten.

    Parameters
    ----------
    terms : SentenceTerms
    log_grad_norm : float
        ``log ||grad_{W_kq} L||`` at the same weights (e.g. ``gradient_cone(...).log_grad_norm``).

    Returns
    -------
    float
    """
    return weighted_sum(terms, terms.B_minus_star, log_grad_norm)


def weighted_sum(terms, values, log_grad_norm):
    """``Delta sum_n pi^(n) (1 - P_n) max_w p_w values[n] / ||grad||``, each product taken in log space.

    Parameters
    ----------
    terms : SentenceTerms
    values : array, shape (N,)
        One of the per-sample terms of ``terms`` (or a combination of them).
    log_grad_norm : float
        ``log ||grad_{W_kq} L||``.

    Returns
    -------
    float
        0 when the gradient is exactly 0 (``log_grad_norm = -inf``).
    """
    v = np.asarray(values, dtype=np.float64)
    if not np.isfinite(log_grad_norm):
        return 0.0
    keep = (v != 0) & np.isfinite(terms.log_weight)
    with np.errstate(divide="ignore"):
        logs = terms.log_weight[keep] + np.log(np.abs(v[keep])) + np.log(terms.delta) - log_grad_norm
    return float(np.sum(np.sign(v[keep]) * np.exp(logs)))


def lemma7_holds_by_norm(norm_kq, *, N, L_max, star_norm_kq):
    """Where Lemma 7 holds for a trivial reason: ``1 + alpha_t >= sqrt(2) ||W*_kq||`` (docs/claims.md, claim 2).

    With the gradient in the cone of claim 1, ``<-g, W_kq^(t)> = sum_k lambda_k m_k <= sqrt 2 ||W_kq^(t)|| sum_k
    lambda_k`` and ``<-g, W*_kq> >= sum_k lambda_k``, so Lemma 7 holds at every ``t`` where this is True
    (any sample set satisfying Assumptions 1-3, zero initialisation, any ``eta``, no ``t >= t_0``).

    Parameters
    ----------
    norm_kq : array_like, shape (n,)
        ``||W_kq^(t)||`` (> 0).
    N, L_max : int
        Number of distinct sentences, longest sentence.
    star_norm_kq : float
        ``||W*_kq||``.

    Returns
    -------
    bool array, shape (n,)

    Raises
    ------
    ConfigError
        A count or ``||W*_kq||`` that is not a finite number > 0.
    """
    for k, v in (("N", N), ("L_max", L_max), ("star_norm_kq", star_norm_kq)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not math.isfinite(v) or v <= 0:
            raise ConfigError(f"{k} must be a finite number > 0, got {v!r}")
    w = np.asarray(norm_kq, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 4.0 * N * L_max ** 2 * star_norm_kq ** 2 * (1 + np.log(2 * L_max * w)) / w
    return np.where(w > 0, 1 + alpha >= math.sqrt(2.0) * star_norm_kq, False)

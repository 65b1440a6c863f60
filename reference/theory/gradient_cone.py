"""The stage-2 gradient as a non-negative combination of the constraint directions of Eq. (3).

Key lemma (docs/claims.md, claim 1). Under Assumptions 1-3 and zero
initialisation of both stages, at every iterate of stage 2 and for every step
``eta > 0``,

    -grad_{W_kq} L / ||grad_{W_kq} L|| = sum_k lambda_k D_k,    lambda_k >= 0,

where ``k = (n, w)`` runs over the sentences ``n`` and the non-optimal tokens
``w`` of each, and ``D_k = (x_{u_n} - x_w) x_{q_n}^T`` is the direction of the
Eq. (3) constraint "optimal token ``u_n`` above ``w`` under the query ``q_n``".
The weight of ``(n, w)`` is ``pi^(n) dL_n/ds_w``, the derivative of the sample
loss w.r.t. the score ``s_w = x_w^T W_kq q_n``:

    lambda_(n,w) ~ pi^(n) (1 - P_n) p_w (h_w - sum_u p_u h_u),

with ``p_u`` the attention on all positions of token ``u``, ``P_n`` the
probability of the next token and ``h_u = (T^(n) - e_y)^T W_ov x_u / (1 - P_n)``.
Consequences: ``-<g, W*_kq> >= sum_k lambda_k >= 1/sqrt(2)`` (every margin of
``W*_kq`` is at least 1 and ``||D_k|| = sqrt 2``), hence
``||W_kq^(t)|| >= t eta / (sqrt(2) ||W*_kq||)``.

Computed in token coordinates (``B = W_ov E``, ``A = E^T W_kq E``; Assumption 2)
with every exponentially small factor kept as a logarithm, so the weights stay
exact when the gradient underflows.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..data.validate import check_weights
from ..errors import AssumptionError
from ..numerics import _exp, _logsumexp, softplus
from ..structure.orders import collocation
from .arith import _exact, _flag, _iterates
from .constants import Bound, _positive

__all__ = ["ConeDecomposition", "sentence_groups", "gradient_cone", "cone_bound_terms", "CONE_BOUND",
           "claim1_bounds"]

#: The constant of claim 1: ``-<grad/||grad||, W*_kq> >= 1/sqrt(2)`` (``||D_k|| = sqrt 2``).
CONE_BOUND = 1.0 / math.sqrt(2.0)


@dataclass(frozen=True)
class ConeDecomposition:
    """``-grad/||grad|| = sum_k weight[k] (x_optimal[k] - x_token[k]) x_query[k]^T`` (token indices).

    Attributes
    ----------
    sentence, optimal, token, query : int arrays, shape (K,)
        Constraint ``k``: sentence ``n``, its optimal token, a non-optimal token of it, its query.
    weight : float array, shape (K,)
        ``lambda_k`` (claim 1: all ``>= 0``); sums of them are in units of the unit gradient.
    direction : array, shape (abs(V), abs(V))
        ``sum_k lambda_k D_k`` in token coordinates: ``E^T (-grad/||grad||) E`` (Frobenius norm 1).
    log_grad_norm : float
        ``log ||grad_{W_kq} L||`` (``-inf`` for a zero gradient: then ``weight`` and ``direction`` are 0).
    """

    sentence: np.ndarray
    optimal: np.ndarray
    token: np.ndarray
    query: np.ndarray
    weight: np.ndarray
    direction: np.ndarray
    log_grad_norm: float


def sentence_groups(ds):
    """Per sentence: ``(query, distinct tokens, their counts, index of the optimal token among them)``.

    Parameters
    ----------
    ds : Dataset

    Returns
    -------
    list of tuple (int, int array, int array, int)

    Raises
    ------
    AssumptionError
        No (injective) collocation, or a sentence without an optimal position (Assumption 1).
    """
    In = collocation(ds)
    out = []
    for n, s in enumerate(ds.sentences):
        toks, cnt = np.unique(s, return_counts=True)
        opt = np.flatnonzero(In[toks] == ds.y[n])
        if opt.size != 1:
            raise AssumptionError(f"sentence {ds.sentence_text(n)!r} has no optimal position: its next token "
                                  f"{ds.vocab.tokens[ds.y[n]]!r} is n(x) for no token x in it (Assumption 1)")
        out.append((int(ds.queries[n]), toks, cnt, int(opt[0])))
    return out


def _coords(ds, W_ov, W_kq):
    """``(B, A) = (W_ov E, E^T W_kq E)`` after checking the weights (WeightsError names a bad one)."""
    if not ds.vocab.orthonormal:
        raise AssumptionError("the gradient cone is computed in token coordinates: it needs orthonormal "
                              "embeddings (Assumption 2)")
    W_ov, W_kq = check_weights(W_ov, W_kq, ds.vocab)
    E = ds.vocab.E
    return W_ov @ E, E.T @ W_kq @ E


def _sentence(B, A, y, q, toks, cnt):
    """Attention masses ``p``, ``log(1 - P)``, ``rhat = (T - e_y)/(1 - P)`` of one sentence."""
    z = np.log(cnt) + A[toks, q]
    logp = z - _logsumexp(z)
    p = _exp(logp)
    logits = B[:, toks] @ p
    D = logits - logits[y]
    D[y] = -np.inf
    u = _logsumexp(D)
    rhat = _exp(D - u)
    rhat[y] = -1.0
    return p, logp, float(-softplus(-u)), rhat


def gradient_cone(ds, W_ov, W_kq, groups=None):
    """The key lemma of claim 1: the weights ``lambda_k`` of ``-grad/||grad||`` on the Eq. (3) directions.

    ``grad = grad_{W_kq} L`` (Eq. 6); ``lambda_(n,w) = pi^(n) (1 - P_n) p_w sum_u p_u (h_w - h_u) / c``
    with ``c`` the norm that makes ``sum_k lambda_k D_k`` a unit vector (module docstring).
    An independent computation of Eq. (6): it agrees with
    :func:`reference.model.loss_scaled.unit_grad_loss` for any weights, and its
    weights are ``>= 0`` under Assumptions 1-3 with zero initialisation.

    Parameters
    ----------
    ds : Dataset
        Orthonormal ``E`` (Assumption 2), a collocation, an optimal position in every sentence.
    W_ov : array, shape (abs(V), d)
    W_kq : array, shape (d, d)
    groups : list, optional
        :func:`sentence_groups` of ``ds``, if already computed.

    Returns
    -------
    ConeDecomposition

    Raises
    ------
    AssumptionError
        Non-orthonormal ``E``, no collocation, or a sentence without an optimal position.
    WeightsError
        Weights of the wrong shape or not finite (named).
    """
    B, A = _coords(ds, W_ov, W_kq)
    groups = sentence_groups(ds) if groups is None else groups
    V = ds.vocab.n_tokens
    rows, logs, signs = [], [], []
    with np.errstate(divide="ignore"):
        log_pi = np.log(ds.pi)
    for n, (q, toks, cnt, o) in enumerate(groups):
        if toks.size < 2:
            continue
        p, logp, log_1mP, rhat = _sentence(B, A, ds.y[n], q, toks, cnt)
        for j in range(toks.size):
            if j == o:
                continue
            # h_w - h_u for every token u of the sentence, from column differences (no cancellation)
            diff = rhat @ (B[:, [toks[j]]] - B[:, toks])
            bracket = float(np.dot(p, diff))
            rows.append((n, toks[o], toks[j], q))
            signs.append(np.sign(bracket))
            with np.errstate(divide="ignore"):
                logs.append(log_pi[n] + log_1mP + logp[j] + np.log(abs(bracket)))
    K = len(rows)
    idx = np.array(rows, dtype=np.intp).reshape(K, 4)
    logs, signs = np.array(logs, dtype=np.float64), np.array(signs, dtype=np.float64)
    M = np.max(logs, initial=-np.inf)
    if not np.isfinite(M):
        return ConeDecomposition(*idx.T, np.zeros(K), np.zeros((V, V)), -np.inf)
    lam = signs * _exp(logs - M)
    R = np.zeros((V, V))
    np.add.at(R, (idx[:, 1], idx[:, 3]), lam)
    np.add.at(R, (idx[:, 2], idx[:, 3]), -lam)
    nrm = float(np.linalg.norm(R))
    return ConeDecomposition(*idx.T, lam / nrm, R / nrm, float(M + np.log(nrm)))


def cone_bound_terms(cone, ds, W_kq_star):
    """The chain of claim 1 at one iterate: ``-<g, W*_kq> = sum_k lambda_k m*_k >= sum_k lambda_k >= 1/sqrt 2``.

    Parameters
    ----------
    cone : ConeDecomposition
        From :func:`gradient_cone`.
    ds : Dataset
    W_kq_star : array, shape (d, d)
        ``W*_kq`` (Eq. 3; e.g. ``max_margin_kq(ds).W``).

    Returns
    -------
    dict
        ``"corr_star"``: ``-<g, W*_kq>`` from the direction; ``"weighted_margins"``:
        ``sum_k lambda_k m*_k`` with ``m*_k = <D_k, W*_kq>`` (the same number: an identity);
        ``"total_weight"``: ``sum_k lambda_k``; ``"min_weight"``: ``min_k lambda_k``
        (nan without constraints); ``"min_margin_star"``: ``min_k m*_k`` (Eq. 3: >= 1).

    Raises
    ------
    WeightsError
        ``W_kq_star`` of the wrong shape or not finite.
    """
    E = ds.vocab.E
    A_star = E.T @ check_weights(None, W_kq_star, ds.vocab, skip="W_ov")[1] @ E
    m_star = A_star[cone.optimal, cone.query] - A_star[cone.token, cone.query]
    return {"corr_star": float(np.sum(cone.direction * A_star)),
            "weighted_margins": float(np.dot(cone.weight, m_star)),
            "total_weight": float(np.sum(cone.weight)),
            "min_weight": float(np.min(cone.weight)) if cone.weight.size else np.nan,
            "min_margin_star": float(np.min(m_star)) if m_star.size else np.nan}


def claim1_bounds(t, *, eta, star_norm_kq, zero_init, assumption3, ops=None):
    """Claim 1 (proved, docs/claims.md) as rows: ``<g, W_bar*_kq> <= -1/(sqrt 2 ||W*_kq||)`` and
    ``||W_kq^(t)|| >= t eta / (sqrt 2 ||W*_kq||)``.

    The sharper form of Lemma 6 (no ``min_n phi_+ / 2``) and of Theorem 1's norm bound
    (no ``1/L_max``; ``1/sqrt 2`` instead of ``1/2``). Conditions: Assumptions 1-3 and
    zero initialisation of both stages; any ``eta > 0``, any sample set (prefix-closed or not).

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-2 iterates.
    eta, star_norm_kq : float
        Stage-2 step and ``||W*_kq||`` (Eq. 3).
    zero_init, assumption3 : bool
        Zero initialisation of both stages (and Assumptions 1-2); Assumption 3.
    ops : backend, optional
        An exact backend for a certified audit (:mod:`reference.theory.arith`): the constant
        ``1/sqrt(2)`` is then the exact ball, not its float64 rounding (the norm bound is
        attained with equality on a one-pair dataset).

    Returns
    -------
    tuple of Bound
        (gradient correlation on the measure ``ugrad_star``, norm lower bound on ``norm_kq``).

    Raises
    ------
    ConfigError
        ``eta`` or ``||W*_kq||`` not a finite number > 0.
    """
    _positive(eta=eta, star_norm_kq=star_norm_kq)
    t = _iterates(t, ops)
    c = _flag(t, zero_init and assumption3)
    cone = 1 / ops.sqrt(ops.asarray(2.0)) if _exact(ops) else CONE_BOUND
    return (Bound("Claim 1", "<grad/||grad||, W_bar*_kq> (cone bound)", "ugrad_star", "<=",
                  -cone / star_norm_kq + 0 * t, c,
                  "<grad/||grad||, W*_kq> <= -1/sqrt(2) (gradient in the cone of the Eq. (3) directions)"),
            Bound("Claim 1", "||W_kq^(t)|| lower (cone bound)", "norm_kq", ">=",
                  cone * t * eta / star_norm_kq, c, "||W_kq^(t)|| >= t eta / (sqrt(2) ||W*_kq||)"))

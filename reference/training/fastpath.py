"""The fast stage-2 evaluation: attention, logits and ``grad_{W_kq} L`` with plain exponentials.

Same mathematics as :mod:`reference.training.careful` (docs/derivations.md,
sections 3-4), arranged for speed (docs/performance.md):

* attention: ``e_p = exp(A[k, q] - m_q)`` once per pair ``p = (k, q)`` with a
  per-query shift ``m_q`` (the largest score of the query's pairs); the
  per-position weight is ``e_p / Z_n``, ``Z_n = sum_g count_g e_p(g)`` (a CSR
  mat-vec);
* logits: :func:`structured_logits` (Lemma 3 structure of ``W_ov``: O(groups))
  or :func:`reference.training.general.general_logits`;
* gradient (Eq. 6): product form ``pi_n (1 - p_y) w_g (g_hat_g - gbar_n)`` scaled
  by the largest ``pi_n (1 - p_y)``; the term of a group holding more than half
  of its sentence's attention is minus the sum of the others (it would cancel
  when the attention saturates); the terms summed per (token, query) pair by a
  mat-vec, giving the direction on the pairs (``Stage2Eval.grad_pairs``).

Every step checks the conditions under which these plain exponentials are exact
(:data:`SCORE_SPAN`, :data:`TERM_FLOOR`); where one fails, :func:`fast_stage2`
returns None and the engine takes the careful path.
"""

import math

import numpy as np

from ..numerics import _norm, _softplus_both, log_softplus
from .evaluation import Stage2Eval
from .general import general_logits

__all__ = ["fast_stage2", "SCORE_SPAN", "TERM_FLOOR", "LOGIT_BOUND"]

#: Largest spread of the scores of one query's pairs: every ``e_p`` is then >= e^-700, a normal
#: float64 (above ~e^-708) with full relative precision, and so are ``Z_n`` and every weight
#: (``e_p / Z_n >= e^-700 / L_max``; sentences longer than ~150 lower the spread by ``log L_max``).
SCORE_SPAN = 700.0
#: Smallest allowed log of the largest weight ``P_n w_g`` of a gradient term, ``P_n = pi_n (1 - p_y)``
#: relative to its largest value (divided by ``S_n`` on the structured path): terms lost to
#: underflow (below e^-708) are then below e^-108 relative to it, far under float64 resolution.
TERM_FLOOR = -600.0
#: Largest logit magnitude of the fast paths: ``exp`` of logits in [-600, 600] neither overflows
#: nor leaves the normal range (the structured path bounds ``a``, the general one ``max abs(B)``).
LOGIT_BOUND = 600.0
#: exp arguments are clipped here (exp(-700) is normal): a clipped term is then bounded by a
#: term the checks above already declare negligible, and numpy's slow subnormal path is avoided.
_CLIP = -700.0
#: Below this ``L`` is summed in log space: a sum of positive terms above it is exact to a few
#: ulps, and ``log`` of it as well.
_LOSS_NORMAL = 1e-280
_TOP_OK = math.exp(TERM_FLOOR)


def _attention(lay, A):
    """``(w, ok)``: the total attention of every group, from one exponential per pair."""
    sp = A.ravel()[lay.p_flat]
    m = np.maximum.reduceat(sp, lay.p_qstart)
    sp -= m[lay.p_qrun]
    if sp.min() < -lay.score_span:
        return None, False
    np.exp(sp, out=sp)
    w = sp.take(lay.g_pair, mode="clip")          # valid indices: "clip" skips the bounds checks
    if not lay.unit_counts:
        w *= lay.count
    w *= lay.spread(1.0 / lay.sent_sum(w))
    return w, True


def structured_logits(lay, a, w):
    """``(u, h, S, phi_plus)`` when ``B = beta 1 1^T + a P_In`` (Lemma 3), with ``g_hat = a h / S``.

    ``Tbar_v - Tbar_y = a (W_v - w_y)`` with ``W_v`` the attention on tokens of class ``v``, so
    ``u = log S - a w_y`` with ``S = sum_{nonopt g} e^{a w_g} + n_rest``, and ``g_hat`` of a group
    is ``a p_v / (1 - p_y) = a e^{a w_g} / S`` (``v`` its class), ``-a`` for the next token's own
    group (``0 <= a w <= a <= LOGIT_BOUND``: no shift is needed). ``h`` is left unnormalised
    (``e^{a w_g}``, resp. ``-S``): the gradient takes ``1/S`` into its per-sentence weight.
    """
    pp = np.zeros(lay.N)
    pp[lay.opt_sent] = w[lay.opt]
    h = np.multiply(w, a)
    np.exp(h, out=h)
    S = lay.nonopt_sum(h)
    S += lay.n_rest
    u = np.log(S) - a * pp
    h[lay.opt] = -S[lay.opt_sent]
    return u, h, S, pp


def _structured_accuracy(lay, w, pp):
    """Accuracy of ``argmax_v (beta + a W_v)``: a sentence is wrong iff a token's class beats the next
    token's, ``w_g > w_y`` or ``w_g == w_y`` with a smaller class (ties go to the smallest index)."""
    beaten = np.greater(w - lay.spread(pp), lay.beat_threshold).astype(np.float64)
    wrong = lay.sent_sum(beaten) > 0.0
    return float(lay.counts_total - np.sum(lay.counts[wrong])) / lay.counts_total


def _grad_A(lay, w, h, s, S=None):
    """``(log c, G_pairs)`` with ``grad_A L = c G`` on the pairs, or None if a weight is too small.

    ``g_hat = h`` (general path) or ``h / S_n`` (structured path, up to the factor ``a``). The term
    of group g is ``pi_n (1 - p_y) w_g (g_hat_g - sum_l w_l g_hat_l)`` (Eq. 6), taken as
    ``P_n w_g (h_g - hbar_n)`` with ``P_n = pi_n (1 - p_y) / S_n`` scaled by its largest value.
    That difference is accurate except for a group holding more than half of the attention,
    where it nearly cancels when the attention saturates; that group's term is taken as minus
    the sum of the others (the terms of a sentence sum to 0), which are accurate.
    """
    P = lay.log_pi_multi + s                      # -inf on one-group sentences (they have no term)
    k = int(np.argmax(P))                          # the sentence of largest weight with a term
    M1 = float(P[k])
    P -= M1                                        # <= 0
    np.maximum(P, _CLIP, out=P)
    np.exp(P, out=P)
    P *= lay.multi_f                               # a one-token sentence has no term (its sum is 0)
    if S is not None:
        P /= S
    wp = w * lay.spread(P)
    coef = h - lay.spread(lay.weighted_sum(w, h))
    coef *= wp
    big = np.flatnonzero(w > 0.5)
    big_sent = lay.g_sent[big]
    keep = lay.multi[big_sent]                     # a sentence's only group is never "big"
    big, big_sent = big[keep], big_sent[keep]
    if big.size:
        coef[big] = 0.0
        coef[big] = -lay.sums_of(coef, big_sent)
    # the largest weight of a term that is not minus the others, looked for in sentence k first
    gk = lay.groups_of(k)
    top = max((x for x, y in zip(wp[gk].tolist(), w[gk].tolist()) if y <= 0.5), default=0.0)
    if top < _TOP_OK:
        wp[big] = 0.0
        top = float(wp.max())
        if top == 0.0:                             # no second token anywhere: Eq. (6) is 0
            return -np.inf, np.zeros(lay.P)
        if math.log(top) < TERM_FLOOR:
            return None
    return M1, lay.pair_sum(coef)


def fast_stage2(eng, frozen, A, want_grad):
    """Stage-2 evaluation by the fast paths, or None where their exactness conditions fail.

    Parameters
    ----------
    eng : Engine
    frozen : reference.training.engine.FrozenOV
        ``W_ov`` in token coordinates with its structure and bounds, checked once.
    A : (abs(V), abs(V)) float64 array
    want_grad : bool
        Also return the unit direction of ``grad_{W_kq} L``.

    Returns
    -------
    Stage2Eval or None
    """
    eng_lay = eng.fast_layout()
    structured = frozen.structure is not None
    slots = eng_lay.slot_layout(eng.ds.pi) if structured and eng.slots else None
    lay = slots or eng_lay                         # sums in slot order on short sentences (slots.py)
    w, ok = _attention(lay, A)
    if not ok:
        return None
    if structured:
        a = frozen.structure[0]
        u, h, S, pp = structured_logits(lay, a, w)
        log_scale, pred, acc, path = math.log(a), None, None, "structured"
    else:
        u, h, pp, acc, pred = general_logits(eng, frozen, lay, w)
        S, log_scale, path = None, 0.0, "general"
    sp, s = _softplus_both(u)                      # -log p_y and log(1 - p_y) per sentence
    if slots is not None:                          # summed in the engine's order: the same bits
        sp = sp[slots.sent_inv]
    loss = float(np.einsum("i,i->", eng.ds.pi, sp))          # no BLAS: its threads cost ms to wake
    if loss >= _LOSS_NORMAL:
        log_loss = math.log(loss)
    else:
        log_loss = _log_loss(eng_lay, loss, u if slots is None else u[slots.sent_inv])
    if slots is None:
        phi_plus, group_w = pp, (lambda: w)
    else:                                          # back to the engine's order
        phi_plus, group_w = pp[slots.sent_inv], (lambda: w[slots.group_inv])
    lazy = {"group_log_w": lambda: np.log(group_w()),
            "group_att": lambda: group_w() if lay.unit_counts else group_w() / eng_lay.count}
    if pred is None:
        lazy["pred"] = lambda: _structured_pred(eng, group_w())
        lazy["accuracy"] = lambda: _structured_accuracy(eng_lay, group_w(), phi_plus)
    out = Stage2Eval(loss=loss, log_loss=log_loss, phi_plus=phi_plus, accuracy=acc,
                     group_att=None, engine=eng, pred=pred, path=path, lazy=lazy)
    if want_grad:
        r = _grad_A(lay, w, h, s, S) if lay.any_multi else (-np.inf, np.zeros(lay.P))
        if r is None:
            return None
        M, gp = r
        nrm = _norm(gp) if np.isfinite(M) else 0.0
        if nrm == 0.0:
            out.grad_pairs, out.log_grad_norm = (lay.p_flat, np.zeros(lay.P)), -np.inf
        else:
            gp /= nrm
            out.grad_pairs, out.log_grad_norm = (lay.p_flat, gp), M + log_scale + math.log(nrm)
    return out


def _log_loss(lay, loss, u):
    """``log L``: ``log(loss)`` while ``L`` is a normal number, else ``logsumexp_n (log pi_n + log softplus(u_n))``."""
    if loss >= _LOSS_NORMAL:
        return math.log(loss)
    x = lay.log_pi + log_softplus(u)
    m = float(np.max(x))
    if not np.isfinite(m):
        return m
    return m + math.log(float(np.sum(np.exp(np.maximum(x - m, _CLIP)))))


def _structured_pred(eng, w):
    """``argmax_v Tbar_v``: the class of the most attended token (ties: smallest class)."""
    top = w == np.maximum.reduceat(w, eng.g_start)[eng.g_sent]
    cand = np.where(top, eng.g_cls, eng.n_tokens)
    return np.minimum.reduceat(cand, eng.g_start)

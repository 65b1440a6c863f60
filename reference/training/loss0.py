"""``L_0`` (Section 4.2) and the unit direction of Eq. (5) in token coordinates: stage 1 of the engine.

``L_0(W_ov) = -sum_x log phi(W_ov x)_{In(x)}`` is a sum over the columns of ``B = W_ov E``
(column ``i`` holds the logits of token ``i``). Each column is taken with its
correct row first and the others in increasing order (``Engine.perm``), so
columns holding the same values in permuted rows give bit-identical results and
a zero-initialised stage 1 keeps the structure of Lemma 3 exactly. With
``D`` the wrong-minus-correct logits, ``u = logsumexp(D)`` per column, the loss
is ``softplus(u)`` and ``grad = exp(s) (phat - e_In)`` with ``s = log(1 - p)``,
``phat = exp(D - u)`` (docs/derivations.md, sections 3-4).
"""

import math

import numpy as np

from ..numerics import _frobenius, _logsumexp, _softplus_both, log_softplus
from .evaluation import Stage1Eval
from .fastpath import _CLIP, _LOSS_NORMAL

__all__ = ["loss0_eval"]


def loss0_eval(eng, B, grad=True):
    """``L_0`` at ``W_ov = B E^T`` and, if ``grad``, the unit direction of its gradient (Eq. 5).

    Parameters
    ----------
    eng : reference.training.engine.Engine
        Its collocation permutation ``perm_flat`` is used.
    B : (abs(V), abs(V)) float64 array, already checked
    grad : bool

    Returns
    -------
    Stage1Eval
    """
    V = eng.n_tokens
    Bp = B.ravel()[eng.perm_flat].reshape(V, V)
    if V == 1:                                           # no wrong class: L_0 = 0, no gradient
        out = Stage1Eval(loss0=0.0, log_loss0=-np.inf, margins=np.zeros((1, 1)), accuracy=1.0,
                         gap_max=np.full(1, -np.inf), gap_min=np.full(1, np.inf))
        if grad:
            out.grad_dir, out.log_grad_norm = np.zeros((1, 1)), -np.inf
        return out
    D = Bp[1:] - Bp[0]                                   # wrong minus correct logits, (V-1, V)
    hi, lo = D.max(axis=0), D.min(axis=0)
    E = D - hi
    np.maximum(E, _CLIP, out=E)                          # exp(-700) is below resolution beside 1
    np.exp(E, out=E)
    tot = E.sum(axis=0)
    u = hi + np.log(tot)                                 # logsumexp_{v != In(x)} (wrong - correct)
    sp, s = _softplus_both(u)                            # -log p and log(1 - p) per column
    loss0 = float(sp.sum())
    out = Stage1Eval(loss0=loss0,
                     log_loss0=math.log(loss0) if loss0 >= _LOSS_NORMAL else _logsumexp(log_softplus(u)),
                     margins=Bp[0] - B, accuracy=np.count_nonzero(hi < 0) / V, gap_max=hi, gap_min=lo)
    if grad:
        M = float(s.max())
        scale = s - M
        np.maximum(scale, _CLIP, out=scale)
        np.exp(scale, out=scale)
        E *= scale / tot                                 # exp(D - u) = p_v / (1 - p), times the weight
        G = np.empty(V * V)
        G[eng.perm_flat[:V]] = -scale
        G[eng.perm_flat[V:]] = E.ravel()
        nrm = _frobenius(G.reshape(V, V))
        if nrm == 0.0:                                   # every column already exact: no direction
            out.grad_dir, out.log_grad_norm = np.zeros((V, V)), -np.inf
            return out
        G /= nrm
        out.grad_dir, out.log_grad_norm = G.reshape(V, V), M + math.log(nrm)
    return out

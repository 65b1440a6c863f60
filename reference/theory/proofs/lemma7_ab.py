"""Appendix C.4, p.24-25: each sample's share of Lemma 7's two sides, ``Delta (A + B)``, steps P69-P72.

``A^(n,t) = sum_{l* in l(n)} (P_n - 1) phi_l* (a_l* - abar)``, ``B^(n,t) = sum_{l notin l(n)} Q_{n,l} phi_l
(a_l - abar)``, and ``A^(n,*)``, ``B^(n,*)`` the same with the scores ``a^(n,*) = s* r_t`` (the weights
``phi^(n,t)`` in both). Carried scaled by ``(1 - P_n) phi_-^(n,t)``
(:mod:`reference.theory.proofs.measure_lemma7`).
"""

import numpy as np

from .entries import Check, Decision
from .lemma7 import attn_check, scaled
from .registry import proof_step, REGISTRY

__all__ = ["a_reduced", "taus73"]

_S = dict(statement="Lemma 7", stage=2)


@proof_step("P69", page=24, equation="A and B", kind="ID",
            printed="<grad L_n(theta), W_kq> = Delta (A^(n,t) + B^(n,t)), <grad L_n(theta), W*_kq> r_t = Delta "
                    "(A^(n,*) + B^(n,*))",
            relation="<grad L_n, W_kq^(t)> = Delta (A^(n,t) + B^(n,t)) and <grad L_n, W*_kq> r_t = Delta (A^(n,*) + "
                     "B^(n,*)) for every sample n (Eq. (6) against Lemma 4's form)",
            quantity="<grad L_n, W> / ((1 - P_n) phi_-^(n,t))", stated=("EQM",), inconsistencies=(21,),
            needs=("proj_grad_n", "Delta_act", "A_hat", "B_hat", "A_star_hat", "B_star_hat", "norm_W_kq", "W_ovT"),
            **_S)
def p69(q, ops):
    """P69 (p.24): each sample's share of ``<G_t, W_kq^(t)>`` and of ``<G_t, W*_kq> r_t`` is ``Delta (A + B)``.

    Left: Eq. (6) for sample n contracted with ``W_kq^(t)`` (and with ``r_t W*_kq``),
    ``(1 - P_n) sum_l phi_l uhat_l (a_l - abar)``, any stage-1 margins. Right: Lemma 4's form
    with ``Delta = Delta_act`` (equal stage-1 margins), ``A``, ``B`` from their definitions.
    Both divided by ``(1 - P_n) phi_-^(n,t)`` (0 for a sentence without a non-optimal position).
    Printed with ``W_kq`` for ``W_kq^(t)``, ``I_n(x_l)`` for ``In(x_l*)`` (decision typo-P69-notation).
    Rounding as P2's: the outputs enter the two sides differently (``uhat`` against ``Delta``), and
    the attention weights carry a relative error ``eps ||W_kq^(t)||``.
    """
    rhs = np.stack([q.Delta_act * (q.A_hat + q.B_hat), q.Delta_act * (q.A_star_hat + q.B_star_hat)], axis=-1)
    size = ops.norm(q.proj_grad_n)
    return Check(q.proj_grad_n, rhs, "==", scale=(1.0 + q.norm_W_kq) * (1.0 + ops.norm(q.W_ovT)) * size)


@proof_step("P69.2", page=24, equation="A and B, summed", kind="ID",
            printed="<grad L(theta), W_kq> = Delta sum_n pi^(n) (A^(n,t) + B^(n,t)) (and the same with W*_kq r_t)",
            relation="<G_t, W_kq^(t)> = Delta sum_n pi^(n) (A^(n,t) + B^(n,t)), <G_t, W*_kq> r_t = Delta sum_n pi^(n) "
                     "(A^(n,*) + B^(n,*)), G_t the gradient of Eq. (6)",
            quantity="<G_t, W> exp(-K_t)", stated=("EQM",), follows=("P69", "Eq. (6)"), inconsistencies=(21,),
            needs=("Gs", "c2", "W_kq", "W_kq_star", "r", "pi", "log_scale7", "Delta_act", "A_hat", "B_hat",
                   "A_star_hat", "B_star_hat", "norm_W_kq", "W_ovT"), **_S)
def p69_2(q, ops):
    """P69 summed (p.24): ``<G_t, W_kq^(t)> = Delta sum_n pi (A + B)``, and the same for ``W*_kq r_t``.

    This links the chain to Lemma 7's statement: ``G_t`` is Eq. (6) (``Gs exp(c2_t)``, checked
    against the engine by P2). Both sides divided by ``exp(K_t)``, ``K_t`` the largest of ``c2_t`` and
    ``log(pi_n (1 - P_n) phi_-^(n,t))``. The two sides reach the attention by different routes, so
    their rounding is P2's: relative ``eps ||W_kq^(t)|| ||W_ov^(T)||``.
    """
    ls = ops.log(q.pi)[None, :] + q.log_scale7
    K = ops.maximum(q.c2, ops.max(ls, axis=1))
    K = ops.where(np.isfinite(ops.midpoint(K)), K, 0.0)
    wts = ops.where(np.isneginf(ops.midpoint(ls)), 0.0, ops.exp(ls - K[:, None]))
    f = ops.exp(q.c2 - K)
    lhs = np.stack([ops.dot(q.Gs, q.W_kq) * f, ops.dot(q.Gs, q.W_kq_star[None]) * q.r * f], axis=-1)
    rhs = np.stack([q.Delta_act * ops.sum(wts * (q.A_hat + q.B_hat), axis=1),
                    q.Delta_act * ops.sum(wts * (q.A_star_hat + q.B_star_hat), axis=1)], axis=-1)
    size = ops.norm(lhs, ndim=1)
    return Check(lhs, rhs, "==", scale=(1.0 + q.norm_W_kq) * (1.0 + ops.norm(q.W_ovT)) * size)


def a_reduced(x, q, ops, over=None):
    """``-sum_{l in l(n)} phi_l sum_{l' notin l(n)} (phi_l'/phi_-) (x_l - x_l')`` (P70, P71), optionally only over
    the pairs in ``over`` (boolean, shape (t, N, L, L))."""
    pair = q.opt[None, :, :, None] & q.nonopt[None, :, None, :]
    if over is not None:
        pair = pair & over
    d = ops.where(pair, x[..., :, None] - x[..., None, :], 0.0)
    return -ops.sum(q.phi * ops.sum(q.w_minus[..., None, :] * d, axis=3), axis=2)


@proof_step("P70", page=24, equation="(a), the identity", kind="ID",
            printed="A^(n,*) = sum_{l*} (P_n - 1) phi_l* (sum_{l' notin l(n)} phi_l' (a_l*^(n,*) - a_l'^(n,*)))",
            quantity="A^(n,*) / ((1 - P_n) phi_-)", follows=("P69",),
            needs=("A_star_hat", "a_star", "opt", "nonopt", "phi", "w_minus", "norm_W_kq"), **_S)
def p70(q, ops):
    """P70, identity (p.24): ``A^(n,*) = sum_{l*} (P_n - 1) phi_l* sum_{l' notin l(n)} phi_l' (a*_l* - a*_l')``.

    The optimal positions hold one token, so their mutual differences vanish. Scaled by ``(1 - P_n) phi_-``.
    """
    return attn_check(q, ops, q.A_star_hat, a_reduced(q.a_star, q, ops), "==")


@proof_step("P70.2", page=24, equation="(a), the bound", kind="INEQ",
            printed="A^(n,*) <= (P_n - 1) phi_+ phi_- r_t", quantity="A^(n,*) / ((1 - P_n) phi_-)",
            follows=("P70", "P65"), needs=("A_star_hat", "phi_plus", "r", "log_scale7", "norm_W_kq"), **_S)
def p70_2(q, ops):
    """P70, bound (p.24): ``A^(n,*) <= (P_n - 1) phi_+ phi_- r_t``.

    Every margin of ``W*_kq`` is at least 1 and ``P_n <= 1``.
    """
    m, b = scaled(ops, (q.A_star_hat, q.log_scale7), (-q.phi_plus * q.r[:, None], q.log_scale7))
    return attn_check(q, ops, m, b, "<=")


@proof_step("P71", page=24, equation="", kind="ID",
            printed="A^(n,t) = sum_{l in l(n)} (P_n - 1) phi_l (sum_{l' notin l(n)} phi_l' (a_l^(n,t) - a_l'^(n,t)))",
            quantity="A^(n,t) / ((1 - P_n) phi_-)", follows=("P69",),
            needs=("A_hat", "a", "opt", "nonopt", "phi", "w_minus", "norm_W_kq"), **_S)
def p71(q, ops):
    """P71 (p.24): ``A^(n,t) = sum_{l in l(n)} (P_n - 1) phi_l sum_{l' notin l(n)} phi_l' (a_l - a_l')``. Scaled."""
    return attn_check(q, ops, q.A_hat, a_reduced(q.a, q, ops), "==")


def taus73(q, ops):
    """The thresholds of P72-P74: 0, P75's ``log(2 L_max ||W^(t)||/phi_-)`` (0 if negative), ``||W^(t)||``."""
    t75 = ops.log(2.0 * q.L_max * q.norm_W_kq)[:, None] - q.log_phi_minus
    t75 = ops.where(q.has_nonopt[None, :] & (ops.midpoint(t75) > 0), t75, 0.0)
    return [0.0 * t75, t75, q.norm_W_kq[:, None] + 0.0 * t75]


@proof_step("P72", page=25, equation="the split by a threshold", kind="ID",
            printed="A^(n,t) = max_T {sum_l (P_n - 1) phi_l (sum_{l' notin l(n), diff < T} phi_l' diff + "
                    "sum_{l' notin l(n), diff > T} phi_l' diff)}",
            relation="A^(n,t) = sum_{l in l(n)} (P_n - 1) phi_l (sum_{l' notin l(n), diff < tau} phi_l' diff + "
                     "sum_{l' notin l(n), diff >= tau} phi_l' diff), diff = a_l - a_l', for every tau "
                     "(checked at tau = 0, log(2 L_max ||W^(t)||/phi_-), ||W^(t)||)",
            quantity="A^(n,t) / ((1 - P_n) phi_-)", follows=("P71",), inconsistencies=(12,),
            needs=("A_hat", "a", "opt", "nonopt", "phi", "w_minus", "L_max", "norm_W_kq", "log_phi_minus",
                   "has_nonopt"), **_S)
def p72(q, ops):
    """P72 (p.25): ``A^(n,t)`` split by any threshold ``tau`` into ``diff < tau`` and ``diff >= tau``.

    Printed as a maximum over the threshold (written ``T``) of an expression that does not
    depend on it (decision typo-P72-P88-max): an identity for every ``tau``, checked at three.
    """
    d = q.a[..., :, None] - q.a[..., None, :]
    out = []
    for tau in taus73(q, ops):
        low = ops.midpoint(d) < ops.midpoint(tau)[..., None, None]
        out.append(a_reduced(q.a, q, ops, low) + a_reduced(q.a, q, ops, ~low))
    return attn_check(q, ops, np.stack([q.A_hat] * 3, axis=-1), np.stack(out, axis=-1), "==")


for _d in (
        Decision("typo-P69-notation", items=(21,), steps=("P69", "P69.2"), category="typo",
                 summary="P69 writes W_kq for W_kq^(t), the subscript I_n(x_l) for In(x_l*) in A^(n,*), and the "
                         "superscripts switch between (n,theta), (n,t) and (n,*); read with W_kq^(t) and the "
                         "weights phi^(n,t) in both A and A^(n,*), each sample's share of <G_t, W_kq^(t)> and "
                         "<G_t, W*_kq> r_t is Delta (A + B) to rounding (rows P69, P69.2 against Eq. (6))",
                 evidence=("rows P69, P69.2 of python -m reference proofs",)),
        Decision("typo-P72-P88-max", items=(12,), steps=("P72", "P88.2"), category="typo",
                 summary="P72 and P88 print the threshold split as a maximum over the threshold T of an expression "
                         "that does not depend on T: each is an identity for every threshold (rows P72, P88.2 check "
                         "it at three), and P73-P75, P89-P90 then choose one",
                 evidence=("rows P72, P88.2 of python -m reference proofs",)),
):
    REGISTRY.add_decision(_d)

"""Appendix C.1, p.18-19: Lemma 4 (the projection of the stage-2 gradient) and its proof, steps P40-P44.

Lemma 4: if ``W_ov`` has all stage-1 margins equal to ``Delta`` (and equal wrong logits: the
premise EQM), then for every ``W_kq`` and ``W'``

    <G, W'> = Delta sum_n pi^(n) (P_n - 1) sum_{l* in l(n)} phi_l* (x_l* - xbar_n)^T W' q_n
            + Delta sum_n pi^(n) sum_{l notin l(n)} Q_{n,l} phi_l (x_l - xbar_n)^T W' q_n.

The proof rewrites Eq. (6) per position (P40), expands ``(T - p)^T W_ov x_l`` over the
vocabulary (P41), splits the positions into optimal and not (P42) and uses EQM: the
``(e_i - e_y)^T W_ov x_l`` are ``-Delta`` on optimal positions, ``Delta`` for ``i = In(x_l)`` and 0
otherwise (P43, P44). Every relation "for every ``W'``" is checked as the identity of the
two ``d x d`` matrices (equivalently for every ``W' = x_i x_j^T``), scaled by ``exp(-c2_t)`` like
``Gs`` and computed exactly with :func:`~reference.theory.proofs.measure_lemma4.position_coefficients`.
Lemma 4's own rows (the statement family ``"Lemma 4"``) compare the measured
``<g_t, Wbar*_kq>`` with :func:`reference.theory.gradient_projection.lemma4` at ``W' = Wbar*_kq``.
``Delta`` is the run's common margin ``Delta_act`` (decision gap-eqm-delta).
"""

import numpy as np

from ..constants import Bound
from ..gradient_projection import lemma4 as lemma4_rhs
from . import conditions as cond
from .entries import Check, Decision, Statement
from .measure_lemma4 import position_coefficients, token_matrix
from .quantity import Unavailable
from .registry import proof_step, REGISTRY
from .statements import never

__all__ = ["step", "lemma4_rows"]

_S = dict(statement="Lemma 4", stage=2)
_M = ("log_w2", "log_phi", "pos", "n_tokens", "tok", "qtok", "E", "size2")


def step(key):
    """The step ``key`` of Lemma 4's proof (``"P40"`` .. ``"P44"``, ``"P43'"``); its docstring has page and equation."""
    return REGISTRY.step(key, module=__name__)


def _matrix(q, ops, v):
    """``(M, size)``: ``sum_n pi_n (1 - P_n) sum_l v_l phi_l (x_l - xbar_n) q_n^T exp(-c2_t)`` and its rounding size."""
    k, size = position_coefficients(q, ops, v, q.log_w2)
    return token_matrix(q, ops, k), size


def _v41(q, ops):
    """``sum_{i != y_n} [T^(n)]_i (e_i - e_y_n)^T W_ov x_l / (1 - P_n)`` per position (P41's coefficient)."""
    B = q.B_T[:, q.tok]                                                        # (|V|, N, L): W_ov x_l
    gap = B - B[q.y, np.arange(q.N)][None]                                     # (e_i - e_y)^T W_ov x_l
    return ops.einsum("tnv,vnl->tnl", ops.where(np.asarray(q.wrong2), q.rhat, 0.0), gap)


def _sigma(q, ops):
    """``sum_{i != y_n} [T^(n)]_i / (1 - P_n)`` (1 up to rounding)."""
    return ops.sum(ops.where(np.asarray(q.wrong2), q.rhat, 0.0), axis=2)


def _v43(q, ops, delta_on_q):
    """P43's coefficients: ``-Delta sum_{i != y} T_i/(1 - P)`` on optimal positions, ``(Delta) Qhat`` on the others."""
    D = q.Delta_act
    non = q.Qhat * D if delta_on_q else q.Qhat
    return ops.where(np.asarray(q.opt), -D * _sigma(q, ops)[..., None] + ops.zeros(np.shape(q.log_phi)), non)


def _v44(q, ops):
    """Lemma 4's coefficients: ``-Delta`` on optimal positions, ``Delta Qhat`` on the others (over ``1 - P_n``)."""
    D = q.Delta_act
    return ops.where(np.asarray(q.opt), -D + ops.zeros(np.shape(q.log_phi)), D * q.Qhat)


def _split(q, ops, v):
    """P42's form: the optimal and the non-optimal positions summed separately."""
    opt = np.asarray(q.opt)
    Mo, so = _matrix(q, ops, ops.where(opt, v, 0.0))
    Mn, sn = _matrix(q, ops, ops.where(opt, 0.0, v))
    return Mo + Mn, so + sn


@proof_step("P40", page=19, equation="first line", kind="ID",
            printed="<G, W'> = sum_n pi^(n) sum_l (T^(n) - p^(n))^T W_ov x_l phi_l (x_l - xbar_n)^T W' q_n",
            quantity="G_t exp(-c2_t)", follows=("P2",), needs=("Gs", "norm_Gs", "uhat") + _M, **_S)
def p40(q, ops):
    """P40 (p.19): Eq. (6) per position, ``<G, W'> = sum_n pi^(n) sum_l (T - p)^T W_ov x_l phi_l (x_l - xbar_n)^T W' q_n``.

    For every ``W'`` (as matrices); ``(T - p)^T W_ov x_l = (1 - P_n) uhat_l``. Scaled by ``exp(-c2_t)``.
    """
    M, size = _matrix(q, ops, q.uhat)
    return Check(q.Gs, M, "==", scale=q.size2 * (size + q.norm_Gs))


@proof_step("P41", page=19, equation="(a)", kind="ID",
            printed="= sum_n pi^(n) sum_l sum_i [T^(n)]_i (e_i - e_y_n)^T W_ov x_l phi_l (x_l - xbar_n)^T W' q_n",
            quantity="P40's right side", follows=("P40",), needs=("uhat", "B_T", "y", "N", "rhat", "wrong2") + _M,
            note="uses sum_i [T^(n)]_i = 1", **_S)
def p41(q, ops):
    """P41 (p.19, step (a)): ``(T - p)^T W_ov x_l = sum_i [T]_i (e_i - e_y)^T W_ov x_l`` (``sum_i [T]_i = 1``), every ``W'``."""
    A, sa = _matrix(q, ops, q.uhat)
    B, sb = _matrix(q, ops, _v41(q, ops))
    return Check(A, B, "==", scale=q.size2 * (sa + sb))


@proof_step("P42", page=19, equation="split", kind="ID",
            printed="the same sum split into l in l(n) and l notin l(n)", quantity="P41's right side",
            follows=("P41",), needs=("B_T", "y", "N", "rhat", "wrong2", "opt") + _M, **_S)
def p42(q, ops):
    """P42 (p.19): P41's sum with the optimal and the non-optimal positions summed separately (for every ``W'``)."""
    v = _v41(q, ops)
    A, sa = _matrix(q, ops, v)
    B, sb = _split(q, ops, v)
    return Check(A, B, "==", scale=q.size2 * (sa + sb))


_P43 = ("= sum_n pi^(n) sum_{l in l(n)} sum_{i != y_n} [T]_i (-Delta) phi_l (x_l - xbar_n)^T W' q_n "
        "+ sum_n pi^(n) sum_{l notin l(n)} Q_{n,l} phi_l (x_l - xbar_n)^T W' q_n")


@proof_step("P43", page=19, equation="EQM (as printed)", kind="ID", printed=_P43, quantity="P42's right side",
            stated=("EQM",), recorded="typo-P43-P49-Delta", inconsistencies=(10,),
            needs=("B_T", "y", "N", "rhat", "wrong2", "opt", "Delta_act", "Qhat") + _M, **_S)
def p43_printed(q, ops):
    """P43 as printed (p.19): EQM applied, with the factor ``Delta`` missing on the second term.

    Recorded false (decision typo-P43-P49-Delta): it holds only where ``Delta = 1``.
    """
    A, sa = _split(q, ops, _v41(q, ops))
    B, sb = _split(q, ops, _v43(q, ops, False))
    return Check(A, B, "==", scale=q.size2 * (sa + sb))


@proof_step("P43'", page=19, equation="EQM (corrected)", kind="ID", printed=_P43,
            relation=_P43.replace("+ sum_n pi^(n) sum_{l notin", "+ Delta sum_n pi^(n) sum_{l notin"),
            quantity="P42's right side", stated=("EQM",), corrects="P43", follows=("P42",), inconsistencies=(10,),
            needs=("B_T", "y", "N", "rhat", "wrong2", "opt", "Delta_act", "Qhat") + _M,
            note="under EQM (e_i - e_y)^T W_ov x_l is -Delta on optimal positions, Delta for i = In(x_l) and 0 for "
                 "the other i on the non-optimal ones", **_S)
def p43(q, ops):
    """P43 corrected (p.19): under EQM, ``-Delta sum_{i != y} [T]_i`` on optimal positions, ``Delta Q_{n,l}`` on the others."""
    A, sa = _split(q, ops, _v41(q, ops))
    B, sb = _split(q, ops, _v43(q, ops, True))
    return Check(A, B, "==", scale=q.size2 * (sa + sb))


@proof_step("P44", page=19, equation="Lemma 4", kind="ID",
            printed="<G, W'> = Delta sum_n pi^(n) (P_n - 1) sum_{l* in l(n)} phi_l* (x_l* - xbar_n)^T W' q_n + Delta "
                    "sum_n pi^(n) sum_{l notin l(n)} Q_{n,l} phi_l (x_l - xbar_n)^T W' q_n",
            quantity="G_t exp(-c2_t)", stated=("EQM",), follows=("P43'",), inconsistencies=(3,),
            needs=("Gs", "norm_Gs", "opt", "Delta_act", "Qhat") + _M,
            note="uses sum_{i != y_n} [T^(n)]_i = 1 - P_n; Delta is the run's common margin Delta_act", **_S)
def p44(q, ops):
    """P44 (p.19): Lemma 4, ``<G_t, W'>`` against its right side for every ``W'`` (as matrices), ``Delta = Delta_act``."""
    M, size = _matrix(q, ops, _v44(q, ops))
    return Check(q.Gs, M, "==", scale=q.size2 * (size + q.norm_Gs))


def lemma4_rows(q):
    """Lemma 4's rows on the run ``q``: ``<g_t, Wbar*_kq>`` equals the right side at ``W' = Wbar*_kq`` over ``||G_t||``.

    Two bounds (``<=`` and ``>=``: an identity) on the measure ``ug_Wstarbar``, the right side from
    :func:`reference.theory.gradient_projection.lemma4` with ``Delta = Delta_act``. Conditions:
    Assumptions 1-2 and EQM (the premise); with ``W*_kq = 0`` the rows are n/a.

    Parameters
    ----------
    q : Measurements

    Returns
    -------
    list of Bound
    """
    s = q.setting
    n = q.T1 + 1
    ok = s.assumption1 and s.assumption2 and s.star_norm_kq > 0
    try:
        eqm = bool(cond.evaluate("EQM", q, 2).all()) and float(q.Delta_act) > 0
        value = (lemma4_rhs(q.s_star, Delta=float(q.Delta_act), pi=q.pi, log_1mP=q.log_1mP, Qhat=q.Qhat,
                            log_phi=q.log_phi, opt=q.opt, pos=q.pos, log_scale=q.c2)
                 / (q.star_norm_kq * q.norm_Gs)) if eqm and ok else np.full(n, np.nan)
    except Unavailable:
        eqm, value = False, np.full(n, np.nan)
    c = np.full(n, ok and eqm)
    printed = ("<grad_W_kq L, W'> = Delta sum_n pi (P_n - 1) sum_{l*} phi_l* (x_l* - xbar_n)^T W' q_n + Delta sum_n pi "
               "sum_{l notin l(n)} Q_{n,l} phi_l (x_l - xbar_n)^T W' q_n (W' = Wbar*_kq, over ||grad||)")
    rows = [Bound("Lemma 4", f"<g_t, Wbar*_kq> {sense} right side", "ug_Wstarbar", sense, value, c, printed)
            for sense in ("<=", ">=")]
    return rows if ok else [never(b) for b in rows]


REGISTRY.add_statement(Statement(key="Lemma 4", statement="Lemma 4", page="18", equation="", stated=("EQM",),
                                 evaluate=lemma4_rows, full_record=True))

REGISTRY.add_decision(Decision(
    "typo-P43-P49-Delta", items=(10,), steps=("P43", "P43'", "P49", "P49'"), category="typo",
    summary="the factor Delta of EQM is missing on P43's second term (it reappears in P44) and on the whole of P49 "
            "(Lemma 4 applied to W' = x* q_n'^T); as printed both fail wherever Delta != 1 (rows P43, P49), with "
            "Delta they hold (P43', P49'); Delta > 0, so the signs P50-P53 draw from P49 are unaffected",
    evidence=("rows P43, P43', P49, P49' of python -m reference proofs",)))

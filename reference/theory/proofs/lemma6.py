"""Appendix C.3, p.21-22: the proof of Lemma 6 (the stage-2 norm grows linearly), steps P56-P63.

Lemma 6: under update (10), ``t eta + ||W_kq^(0)|| >= ||W_kq^(t)|| >= t eta/(2 L_max ||W*_kq||) - ||W_kq^(0)||``.
The proof projects the gradient on ``W*_kq`` with Lemma 4 (P56), drops the pairs of
non-optimal positions (P57: exact only when every sentence's non-optimal positions share one
``W*_kq`` score, condition EQS), bounds the projection with the margins of Eq. (3) (P58), the
gradient's norm with Lemma 4 at ``W' = g_t`` (P59, P60), divides (P61), uses Lemma 5's
``phi_+ >= 1/L_max`` (P61), and sums update (10) (P62, P63). The statement gives no
hypothesis but the update; the proof needs ``W_kq^(0) = 0``, Assumptions 1-3, EQM (through
Lemmas 4 and 5) and EQS (decisions gap-lemma56-conditions, gap-P57-EQS). Sums over
sentences are scaled by ``exp(-c2_t)`` like ``Gs`` and computed exactly (``log_w2``); ``s*_l =
x_l^T W*_kq q_n``, ``Delta = Delta_act``.
"""

import numpy as np

from .entries import Check, Decision
from .lemma5 import step_rounding
from .measure_lemma4 import first_optimal, position_coefficients
from .registry import proof_step, REGISTRY

__all__ = ["step"]

_S = dict(statement="Lemma 6", stage=2)
_L5 = ("ZI_kq", "A1", "A2", "A3", "EQM")
_M = ("log_w2", "log_phi", "pos", "size2")


def step(key):
    """The step ``key`` of Lemma 6's proof (``"P56"`` .. ``"P63"``); its docstring has page and equation."""
    return REGISTRY.step(key, module=__name__)


def _lemma4_sum(q, ops, scores):
    """``(value, size)``: Lemma 4's right side at the scores ``s'_l = x_l^T W' q_n`` over ``Delta``, scaled by ``exp(-c2_t)``."""
    v = ops.where(np.asarray(q.opt), -1.0 + ops.zeros(np.shape(q.log_phi)), q.Qhat)
    k, size = position_coefficients(q, ops, v, q.log_w2)
    return ops.sum(k * ops.where(np.asarray(q.pos), scores, 0.0), axis=(1, 2)), size


def _proj_star(q, ops):
    """``<G_t, W*_kq> exp(-c2_t)``."""
    return ops.dot(q.Gs, q.W_kq_star[None])


def _lw(q, ops):
    return ops.where(np.isfinite(ops.midpoint(q.log_w2)), q.log_w2, -np.inf)


def _plus_minus(q, ops):
    """``pi (1 - P_n) phi_+ phi_-`` per sentence, scaled: (t, N)."""
    return ops.exp(_lw(q, ops) + q.log_phi_plus + q.log_phi_minus)


def _q_terms(q, ops, with_plus):
    """``pi Q_{n,l} phi_l (phi_+)`` per non-optimal position, scaled: (t, N, L)."""
    non = np.asarray(q.nonopt)
    extra = q.log_phi_plus[..., None] if with_plus else 0.0
    return ops.where(non, q.Qhat * ops.exp(_lw(q, ops)[..., None] + q.log_phi + extra), 0.0)


_P56 = ("<G_t, W*_kq> = sum_n pi^(n) Delta sum_{l*} (P_n - 1) phi_l* (a_l*^(n,*) - sum_l' phi_l' a_l'^(n,*)) + "
        "sum_n pi^(n) Delta sum_{l notin l(n)} Q_{n,l} phi_l (a_l^(n,*) - sum_l' phi_l' a_l'^(n,*))")
_P56_NEEDS = ("Gs", "W_kq_star", "opt", "Qhat", "Delta_act", "norm_Gs") + _M


@proof_step("P56", page=21, equation="Lemma 4 with W' = W*_kq (as printed: scaled a^(n,*))", kind="ID", printed=_P56,
            quantity="<G_t, W*_kq> exp(-c2_t)", stated=("EQM",), recorded="typo-P56-scaled", inconsistencies=(10,),
            needs=_P56_NEEDS + ("a_star",), **_S)
def p56_printed(q, ops):
    """P56 as printed (p.21): Lemma 4 at ``W' = W*_kq`` written with ``a^(n,*)``, which p.23 defines as ``r_t s*``.

    Recorded false (decision typo-P56-scaled): with the scaled scores the right side is ``r_t`` times too large.
    Checked under EQM (its correction's condition, stated here so that a failure is the typo's).
    """
    val, size = _lemma4_sum(q, ops, q.a_star)
    return Check(_proj_star(q, ops), q.Delta_act * val, "==", scale=q.size2 * (size + q.norm_Gs))


@proof_step("P56'", page=21, equation="Lemma 4 with W' = W*_kq (unscaled s*)", kind="ID", printed=_P56,
            relation=_P56.replace("a_l*^(n,*)", "s*_l*").replace("a_l'^(n,*)", "s*_l'").replace("a_l^(n,*)", "s*_l"),
            quantity="<G_t, W*_kq> exp(-c2_t)", unstated=("EQM",), corrects="P56", follows=("P44",),
            inconsistencies=(10,), needs=_P56_NEEDS + ("s_star",), **_S)
def p56(q, ops):
    """P56 corrected (p.21): Lemma 4 at ``W' = W*_kq`` with the unscaled scores ``s*_l = x_l^T W*_kq q_n``."""
    val, size = _lemma4_sum(q, ops, q.s_star)
    return Check(_proj_star(q, ops), q.Delta_act * val, "==", scale=q.size2 * (size + q.norm_Gs))


def _p57_rhs(q, ops):
    """``-Delta sum_n pi (1 - P_n) phi_+ sum_{l notin l(n)} (1 + Qhat_l) phi_l (s*_l* - s*_l)``, scaled; and its size."""
    non = np.asarray(q.nonopt)
    s = q.s_star
    gap = s[np.arange(q.N), first_optimal(q)][:, None] - s
    terms = ops.where(non, (1.0 + q.Qhat) * ops.exp(_lw(q, ops)[..., None] + q.log_phi_plus[..., None] + q.log_phi)
                      * gap, 0.0)
    return -q.Delta_act * ops.sum(terms, axis=(1, 2)), q.Delta_act * ops.sum(ops.abs(terms), axis=(1, 2))


@proof_step("P57", page=21, equation="dropping the non-optimal pairs", kind="ID",
            printed="= sum_n pi^(n) Delta (P_n - 1) phi_+ (sum_{l' notin l(n)} phi_l' (s*_l* - s*_l')) + sum_n pi^(n) "
                    "Delta sum_{l notin l(n)} Q_{n,l} phi_l (sum_{l' in l(n)} phi_l' (s*_l - s*_l'))",
            quantity="P56's right side", unstated=("EQS",), follows=("P56'",), inconsistencies=(11,),
            needs=("opt", "nonopt", "Qhat", "Delta_act", "s_star", "N", "log_phi_plus") + _M,
            note="drops sum_{l, l' notin l(n)} Q_{n,l} phi_l phi_l' (s*_l - s*_l'), zero when all non-optimal positions of "
                 "every sentence have one W*_kq score (EQS: Proposition 4's 'direct result'), which holds on "
                 "prefix-closed data and fails on Proposition 2's counterexamples (decision gap-P57-EQS)", **_S)
def p57(q, ops):
    """P57 (p.21-22): P56's sum without the pairs of non-optimal positions (an identity only under EQS).

    Both sides scaled by ``exp(-c2_t)``; the right side is ``-Delta sum_n pi (1 - P_n) phi_+ sum_{l notin l(n)}
    (1 + Qhat_l) phi_l (s*_l* - s*_l)`` (the first term's ``phi_l'`` and the second's ``Q_{n,l} phi_l`` meet
    at each non-optimal position).
    """
    val, size = _lemma4_sum(q, ops, q.s_star)
    rhs, rsize = _p57_rhs(q, ops)
    return Check(q.Delta_act * val, rhs, "==", scale=q.size2 * (q.Delta_act * size + rsize))


def _p58_rhs(q, ops):
    return -q.Delta_act * (ops.sum(_plus_minus(q, ops), axis=1) + ops.sum(_q_terms(q, ops, True), axis=(1, 2)))


@proof_step("P58", page=22, equation="margins of Eq. (3)", kind="INEQ",
            printed="<G_t, W*_kq> <= sum_n pi^(n) Delta (P_n - 1) phi_+ phi_- - sum_n pi^(n) Delta sum_{l notin l(n)} "
                    "Q_{n,l} phi_l phi_+",
            quantity="<G_t, W*_kq> exp(-c2_t)", unstated=("EQM", "EQS"), follows=("P57",),
            needs=("Gs", "W_kq_star", "nonopt", "Qhat", "Delta_act", "log_phi_plus", "log_phi_minus", "norm_Gs", "log_w2",
                   "log_phi", "size2"),
            note="s*_l* - s*_l >= 1 for every optimal l* and non-optimal l (Eq. 3)", **_S)
def p58(q, ops):
    """P58 (p.22): ``<G_t, W*_kq> <= -Delta sum_n pi (1 - P_n) phi_+ phi_- - Delta sum_n pi sum_{l notin l(n)} Q phi_l phi_+``.

    The measured side is the gradient's projection itself (through P56'-P57), scaled by ``exp(-c2_t)``.
    """
    return Check(_proj_star(q, ops), _p58_rhs(q, ops), "<=", scale=q.size2 * q.norm_Gs)


@proof_step("P59", page=22, equation="Lemma 4 with W' = g_t", kind="ID",
            printed="||G_t|| = <G_t, g_t> = Lemma 4 at W' = g_t",
            quantity="||G_t|| exp(-c2_t)", unstated=("EQM",), follows=("P44",),
            needs=("norm_Gs", "gtok", "tok", "qtok", "opt", "Qhat", "Delta_act") + _M, measured_range=(0.0, np.inf),
            **_S)
def p59(q, ops):
    """P59 (p.22): ``||G_t|| = <G_t, g_t>`` is Lemma 4's right side at ``W' = g_t`` (scores ``x_l^T g_t q_n``), scaled."""
    val, size = _lemma4_sum(q, ops, q.gtok[:, q.tok, q.qtok[:, None]])
    return Check(q.norm_Gs, q.Delta_act * val, "==", scale=q.size2 * (size + q.norm_Gs))


@proof_step("P60", page=22, equation="", kind="INEQ",
            printed="||G_t|| <= 2 sum_n pi^(n) Delta (1 - P_n) phi_+ phi_- + 2 sum_n pi^(n) Delta sum_{l notin l(n)} "
                    "Q_{n,l} phi_l",
            quantity="||G_t|| exp(-c2_t)", unstated=("EQM", "A2"), follows=("P59",),
            needs=("norm_Gs", "nonopt", "Qhat", "Delta_act", "log_phi_plus", "log_phi_minus", "log_w2", "log_phi",
                   "size2"),
            measured_range=(0.0, np.inf), note="|(x_l - xbar_n)^T g_t q_n| <= 2 (Assumption 2, ||g_t|| = 1)", **_S)
def p60(q, ops):
    """P60 (p.22): ``||G_t|| <= 2 Delta sum_n pi (1 - P_n) phi_+ phi_- + 2 Delta sum_n pi sum_{l notin l(n)} Q_{n,l} phi_l``.

    Scaled by ``exp(-c2_t)``.
    """
    rhs = 2.0 * q.Delta_act * (ops.sum(_plus_minus(q, ops), axis=1) + ops.sum(_q_terms(q, ops, False), axis=(1, 2)))
    return Check(q.norm_Gs, rhs, "<=", scale=q.size2 * q.norm_Gs)


@proof_step("P61", page=22, equation="first inequality", kind="INEQ",
            printed="<g_t, Wbar*_kq> <= -min_n phi_+^(n,t) / (2||W*_kq||)", quantity="<g_t, Wbar*_kq>",
            unstated=("EQM", "EQS", "A2"), follows=("P58", "P60"),
            needs=("ug_Wstarbar", "phi_plus", "star_norm_kq", "size2"), measured_range=(-1.0, 1.0), **_S)
def p61(q, ops):
    """P61 (p.22): P58 divided by P60 (``phi_+ <= 1``): ``<g_t, Wbar*_kq> <= -min_n phi_+^(n,t)/(2||W*_kq||)``."""
    return Check(q.ug_Wstarbar, -ops.min(q.phi_plus, axis=1) / (2.0 * q.star_norm_kq), "<=", scale=q.size2)


@proof_step("P61.2", page=22, equation="second inequality", kind="INEQ",
            printed="-min_n phi_+^(n,t) / (2||W*_kq||) <= -1/(2 L_max ||W*_kq||)",
            quantity="-min_n phi_+^(n,t) / (2||W*_kq||)", unstated=_L5, follows=("P61", "Lemma 5"),
            needs=("phi_plus", "star_norm_kq", "L_max"), measured_range=(-1.0, 0.0), **_S)
def p61_2(q, ops):
    """P61 (p.22): Lemma 5's ``phi_+^(n,t) >= 1/L_max`` in P61's bound."""
    s = q.star_norm_kq
    return Check(-ops.min(q.phi_plus, axis=1) / (2.0 * s), -1.0 / (2.0 * q.L_max * s), "<=")


def _proj_W(q, ops):
    return ops.dot(q.W_kq, q.Wbar_kq_star[None])


@proof_step("P62", page=22, equation="update (10) summed", kind="ID",
            printed="<W_kq^(t), Wbar*_kq> = <W_kq^(0), Wbar*_kq> - sum_{t'<t} eta <g_t', Wbar*_kq>",
            quantity="<W_kq^(t), Wbar*_kq>", follows=("P3'",),
            needs=("W_kq", "Wbar_kq_star", "eta", "g_engine", "norm_W_kq", "W_ovT"), **_S)
def p62(q, ops):
    """P62 (p.22): update (10) projected on ``Wbar*_kq`` and summed over ``t' < t`` (partial sums of the run).

    With the direction the steps took (the engine's ``g_t``, P3'); the rounding of the steps adds up.
    """
    ug = ops.dot(q.g_engine, q.Wbar_kq_star[None])
    before = ops.cumsum(ug, axis=0) - ug
    p = _proj_W(q, ops)
    return Check(p, p[0] - q.eta * before, "==", scale=ops.cumsum(step_rounding(q, ops), axis=0))


@proof_step("P62.2", page=22, equation="per step", kind="INEQ",
            printed="<W_kq^(t+1) - W_kq^(t), Wbar*_kq> >= eta min_n phi_+^(n,t) / (2||W*_kq||) >= eta / (2 L_max ||W*_kq||)",
            relation="<W_kq^(t+1) - W_kq^(t), Wbar*_kq> >= eta / (2 L_max ||W*_kq||)",
            quantity="<W_kq^(t+1) - W_kq^(t), Wbar*_kq>", stated=("t<T",), unstated=_L5 + ("EQS",),
            follows=("P3'", "P61", "P61.2"), needs=("dW_kq", "Wbar_kq_star", "eta", "L_max", "star_norm_kq", "norm_W_kq"),
            **_S)
def p62_2(q, ops):
    """P62 (p.22): every step moves ``<W_kq^(t+1) - W_kq^(t), Wbar*_kq> >= eta/(2 L_max ||W*_kq||)`` along ``Wbar*_kq``."""
    return Check(ops.dot(q.dW_kq, q.Wbar_kq_star[None]), q.eta / (2.0 * q.L_max * q.star_norm_kq), ">=",
                 scale=q.norm_W_kq + q.eta)


@proof_step("P62.3", page=22, equation="summed", kind="INEQ",
            printed="||W_kq^(t)|| >= <W_kq^(0), Wbar*_kq> - sum_{t'<t} eta <g_t', Wbar*_kq> >= t eta/(2 L_max ||W*_kq||) "
                    "- ||W_kq^(0)||",
            relation="<W_kq^(t), Wbar*_kq> >= t eta/(2 L_max ||W*_kq||) - ||W_kq^(0)||", quantity="<W_kq^(t), Wbar*_kq>",
            unstated=_L5 + ("EQS",), follows=("P62", "P62.2"),
            needs=("W_kq", "Wbar_kq_star", "eta", "L_max", "star_norm_kq", "t2", "norm_W_kq"), **_S)
def p62_3(q, ops):
    """P62 (p.22): the summed projection ``<W_kq^(t), Wbar*_kq> >= t eta/(2 L_max ||W*_kq||) - ||W_kq^(0)||``.

    With ``||W_kq^(t)|| >= <W_kq^(t), Wbar*_kq>`` (Cauchy-Schwarz) this is Lemma 6's lower bound.
    """
    bound = q.t2 * q.eta / (2.0 * q.L_max * q.star_norm_kq) - q.norm_W_kq[0]
    return Check(_proj_W(q, ops), bound, ">=", scale=q.t2 * q.eta + q.norm_W_kq)


@proof_step("P63", page=22, equation="upper bound (per step)", kind="INEQ",
            printed="||W_kq^(t)|| <= t eta + ||W_kq^(0)||", relation="||W_kq^(t+1)|| <= ||W_kq^(t)|| + eta",
            quantity="||W_kq^(t+1)||", stated=("t<T",), follows=("P3'",), needs=("norm_W_kq", "eta"),
            measured_range=(0.0, np.inf), **_S)
def p63(q, ops):
    """P63 (p.22): ``||W_kq^(t+1)|| <= ||W_kq^(t)|| + eta`` (triangle inequality), hence Lemma 6's upper bound."""
    return Check(ops.append_nan(q.norm_W_kq[1:]), q.norm_W_kq + q.eta, "<=")


for _d in (
        Decision("typo-P56-scaled", items=(10,), steps=("P56", "P56'"), category="typo",
                 summary="P56 writes Lemma 4 at W' = W*_kq with a^(n,*), used before its definition on p.23, where it "
                         "is scaled by r_t = ||W_kq^(t)||/||W*_kq||: read so, the right side is r_t times too large and "
                         "fails wherever r_t != 1 (row P56); with the unscaled s*_l = x_l^T W*_kq q_n it holds (P56')",
                 evidence=("rows P56, P56' of python -m reference proofs",)),
        Decision("gap-P57-EQS", items=(11,), steps=("P57", "P58", "P61", "P62.2", "P62.3"), category="gap",
                 summary="P57 drops sum_{l, l' notin l(n)} Q_{n,l} phi_l phi_l' (s*_l - s*_l'), zero only when every "
                         "sentence's non-optimal positions share one W*_kq score (EQS, Proposition 4's 'direct "
                         "result'); Lemma 6 does not state it. EQS holds on prefix-closed data (PC + RZ + A1) and P57 "
                         "holds there; on Proposition 2's counterexample (sentence 'b d e f q': scores -1/4, -1/4, "
                         "-1/4, -1/3) P57 fails from t = 1 (row P57 'holds only under EQS'), while P58, P61 and "
                         "Lemma 6's rows still hold there: a false step of a statement that holds on that run",
                 statement_holds=True,
                 evidence=("rows P57, P58, P61 and Lemma 6's rows of python -m reference proofs (run 'counterexample: "
                           "Proposition 2')", "tests/test_proofs_c123.py::test_p57_on_the_proposition2_counterexample"))):
    REGISTRY.add_decision(_d)

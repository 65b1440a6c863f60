"""Appendix C.6, p.30-31: the loss half of Theorem 2's proof (P121-P124) and footnote 3 (p.8).

P121 writes the per-sample loss through the logit gaps, P122 bounds it with the equal stage-1
margins (printed "=", an inequality: the logit of ``v`` collects only the attention of the positions
whose next token is ``v``), P123 simplifies, and P124 puts in P120's attention bound: Eq. (4) with the
true common margin ``Delta_act``; P124.2 turns it into Eq. (4) as printed, with ``Delta = T C_0``
(``Delta_paper <= Delta_act``, and the exponent's factor is ``>= 0`` once ``C_1 t >= log L_max``).
Every ``Delta`` here is the measured common margin (P115'): with the paper's ``Delta_paper`` the
identity-like steps P121-P123 are not what the run computes (P115 is false from zero).

Footnote 3 calls ``L* = |V| exp(-T C_0)`` the minimum loss at fixed ``W_ov^(T)``; it is the limit of
Eq. (4), and the true infimum is ``log(1 + (|V| - 1) e^{-Delta_act})`` (:mod:`reference.theory.minimum_loss`).
"""

from ..minimum_loss import log_loss_infimum_eqm, loss_limit_along
from .entries import Check, Decision
from .measure_theorems import ln
from .quantity import quantity
from .registry import proof_step, REGISTRY
from .theorem2 import bcast, SETTING, THEOREM1_HIDDEN

__all__ = []

_S = dict(statement="Theorem 2", stage=2)
_EQM = ("ZI", "A2", "EQM")


def _log_L_star(q, ops):
    """``log L* = log|V| - T C_0``, ``C_0 = eta0/(4||W*_ov||^2)`` (:func:`reference.theory.footnote3_log_L_star`, on ops)."""
    return ln(ops, q.n_tokens) - q.T * q.eta0 / (4.0 * q.star_norm_ov ** 2)


@quantity("log_loss_limit_star", stage=0, shape="()", doc="``log lim_{c -> inf} L(W_ov^(T), c W*_kq)``: the loss "
          "along the max-margin direction (reference.theory.loss_limit_along)")
def _limit(q, ops):
    return ops.asarray(loss_limit_along(q.traj.W_ov, q.W_kq_star, q.ds))


@proof_step("P121", page=30, equation="third line (as printed)", kind="ID",
            printed="L_n = log(1 + sum_{v != y_n} exp((e_v - e_y_n)^T W_ov^(T) sum_{l notin l(n)} x_l phi_l))",
            quantity="log L(theta^(t))", recorded="typo-P121-sum", inconsistencies=(23,),
            needs=("log_loss", "log_loss_restricted"), **_S)
def p121_printed(q, ops):
    """P121, third line as printed (p.30-31): the attention sum restricted to ``l notin l(n)``.

    Recorded false (decision typo-P121-sum): ``L = sum_n pi_n L_n`` with the restricted sum differs from the
    engine's recorded loss (log space).
    """
    return Check(q.log_loss, q.log_loss_restricted, "==", space="log")


@proof_step("P121'", page=30, equation="third line (corrected)", kind="ID",
            printed="L_n = log(1 + sum_{v != y_n} exp((e_v - e_y_n)^T W_ov^(T) sum_{l notin l(n)} x_l phi_l))",
            relation="L_n = log(1 + sum_{v != y_n} exp((e_v - e_y_n)^T W_ov^(T) sum_l x_l phi_l)), L = sum_n pi_n L_n",
            quantity="log L(theta^(t))", corrects="P121", inconsistencies=(23,),
            needs=("log_loss", "pi", "log_Ln", "loss_scale"), **_S)
def p121(q, ops):
    """P121 corrected (p.30-31): ``L_n = softplus(u_n)``, ``u_n = log sum_{v != y_n} exp D2``, summed with ``pi``,
    against the loss the training engine recorded (an independent computation; log space)."""
    return Check(q.log_loss, ops.logsumexp(ops.log(q.pi)[None] + q.log_Ln, axis=1), "==", space="log",
                 scale=q.loss_scale)


def _both(q, ops):
    """``(Delta_act, Delta_paper)``: the run's common stage-1 margin and the paper's ``T C_0`` (P115)."""
    return ops.asarray([q.Delta_act, q.Delta_paper])


def _p122_bound(q, ops):
    return ops.log_softplus(ln(ops, q.n_tokens - 1) + q.Delta_act * (q.phi_minus - q.phi_plus))


_P122 = "= log(1 + sum_{v != y_n} exp(-Delta sum_{l* in l(n)} phi_l* + Delta sum_{l notin l(n)} phi_l))"


@proof_step("P122", page=31, equation="fourth line (as printed)", kind="ID", printed=_P122,
            quantity="log L_n(theta^(t))", stated=SETTING, recorded="typo-P122-P134-equality", inconsistencies=(12,),
            needs=("log_Ln", "n_tokens", "Delta_act", "phi_minus", "phi_plus", "loss_scale"), **_S)
def p122_printed(q, ops):
    """P122 as printed (p.31): "=". Recorded false (decision typo-P122-P134-equality): it is an inequality.

    With equal margins ``Delta`` the gap of ``v`` is ``Delta (h_v - phi_+)``, ``h_v`` the attention of the
    positions with next token ``v``; the printed line puts all of ``phi_-`` in every ``v``. Log space, every
    sentence (trailing axis).
    """
    return Check(q.log_Ln, _p122_bound(q, ops), "==", space="log", scale=q.loss_scale)


@proof_step("P122'", page=31, equation="fourth line (corrected)", kind="INEQ", printed=_P122,
            relation="L_n <= log(1 + (|V| - 1) exp(Delta (phi_- - phi_+))), for Delta = Delta_act and Delta = T C_0",
            quantity="log L_n(theta^(t))", stated=SETTING, corrects="P122", follows=("P121'", "P115'"),
            inconsistencies=(12,),
            needs=("log_Ln", "n_tokens", "Delta_act", "Delta_paper", "phi_minus", "phi_plus", "loss_scale"), **_S)
def p122(q, ops):
    """P122 corrected (p.31): ``L_n <= log(1 + (|V| - 1) e^{Delta (phi_- - phi_+)})`` (``h_v <= phi_-``), with the
    run's margin ``Delta_act`` (P115') and with the paper's ``Delta = T C_0`` (P115 as printed): a trailing axis of
    every sentence and both values. Log space. The paper's (smaller) ``Delta`` needs ``h_v <= phi_+`` for every
    ``v``, which Assumption 3 and Lemma 5 give (without Assumption 3 it fails: ``a b b -> n(a)``)."""
    D = _both(q, ops)
    b = ops.log_softplus(ln(ops, q.n_tokens - 1) + D * (q.phi_minus - q.phi_plus)[..., None])
    return Check(q.log_Ln[..., None] + 0.0 * D, b, "<=", space="log", scale=q.loss_scale)


@proof_step("P123", page=31, equation="fifth line", kind="INEQ", printed="L_n <= |V| exp(-Delta (2 phi_+^(n,t) - 1))",
            quantity="log L_n(theta^(t))", stated=SETTING, follows=("P122'",),
            needs=("log_Ln", "n_tokens", "Delta_act", "Delta_paper", "phi_minus", "phi_plus", "loss_scale"), **_S)
def p123(q, ops):
    """P123 (p.31): ``log(1 + x) <= x`` and ``|V| - 1 <= |V|``; ``2 phi_+ - 1 = phi_+ - phi_-`` (no subtraction
    from 1). Log space, every sentence, with ``Delta_act`` and with ``T C_0`` (trailing axis)."""
    D = _both(q, ops)
    return Check(q.log_Ln[..., None] + 0.0 * D, ln(ops, q.n_tokens) - D * (q.phi_plus - q.phi_minus)[..., None],
                 "<=", space="log", scale=q.loss_scale)


def _eq4_factor(q, ops):
    """``1 - 2 L_max/(L_max + e^{C_1 t})``, written with ``e^{-C_1 t}`` (no overflow)."""
    e = ops.exp(-q.eta / (4.0 * q.L_max * q.star_norm_kq ** 2) * q.t2)
    return 1.0 - 2.0 * q.L_max * e / (q.L_max * e + 1.0)


@proof_step("P124", page=31, equation="sixth line", kind="INEQ",
            printed="L(theta^(t)) <= |V| exp(-Delta + 2 Delta L_max/(L_max + exp(t eta/(4 L_max ||W*_kq||^2))))",
            quantity="log L(theta^(t))", stated=SETTING + ("THM2_t", "t>=2"), unstated=THEOREM1_HIDDEN + ("THM2_t'",),
            follows=("P123", "P120.2"),
            needs=("log_loss", "n_tokens", "Delta_act", "eta", "L_max", "star_norm_kq", "t2", "loss_scale"),
            **_S)
def p124(q, ops):
    """P124 (p.31): P123 with ``phi_+ >= 1/(1 + L_max e^{-C_1 t})`` (P120), averaged with ``pi``; ``Delta = Delta_act``."""
    return Check(q.log_loss, ln(ops, q.n_tokens) - q.Delta_act * _eq4_factor(q, ops), "<=", space="log",
                 scale=q.loss_scale)


@proof_step("P124.2", page=31, equation="Delta = C_0 T", kind="INEQ",
            printed="|V| exp(-Delta (1 - 2L_max/(L_max + e^{C_1 t}))) with Delta = C_0 T, C_0 = eta0/(4||W*_ov||^2)",
            relation="|V| exp(-Delta_act f_t) <= |V| exp(-T C_0 f_t), f_t = 1 - 2 L_max/(L_max + e^{C_1 t})",
            quantity="log of P124's bound", stated=SETTING + ("THM2_t", "t>=2"), unstated=("C1t>=logL",),
            follows=("P124",),
            inconsistencies=(3,), needs=("n_tokens", "Delta_act", "Delta_paper", "eta", "L_max", "star_norm_kq", "t2"),
            **_S)
def p124_2(q, ops):
    """P124 with ``Delta = T C_0`` (p.31): Eq. (4) as printed follows from P124 because ``Delta_act >= T C_0`` (from
    zero ``Delta_act = 4 ||W*_ov|| T C_0``) and ``f_t >= 0``, i.e. ``C_1 t >= log L_max`` (not stated; implied by the
    condition on ``t`` at ``t >= 2``: ``C_1 t >= 424 N L_max^3 ||W*_kq||^4 log^2 t``)."""
    f = _eq4_factor(q, ops)
    return Check(ln(ops, q.n_tokens) - q.Delta_act * f, ln(ops, q.n_tokens) - q.Delta_paper * f, "<=",
                 space="log")


@proof_step("FN3", page=8, equation="footnote 3 (as printed)", kind="INEQ",
            printed="for fixed W_ov^(T), the minimum loss value L* = |V| exp(-T C_0)",
            relation="L(theta^(t)) >= L* = |V| exp(-T C_0) (L* a minimum of L over W_kq)",
            quantity="log L(theta^(t))", stated=("ZI", "A1", "A2", "A3"), recorded="false-footnote3-minimum",
            inconsistencies=(27,), needs=("log_loss", "T", "eta0", "n_tokens", "star_norm_ov", "loss_scale"), **_S)
def fn3_printed(q, ops):
    """FN3 (p.8, footnote 3) as printed: ``L* = |V| exp(-T C_0)`` is the minimum loss at fixed ``W_ov^(T)``.

    Recorded false (decision false-footnote3-minimum): ``L*`` is the limit of Eq. (4), and the loss of the
    run falls below it (log space; :func:`reference.theory.footnote3_log_L_star`).
    """
    return Check(q.log_loss, _log_L_star(q, ops) + 0.0 * q.log_loss, ">=", space="log", scale=q.loss_scale)


@proof_step("FN3'", page=8, equation="footnote 3 (corrected)", kind="INEQ",
            printed="for fixed W_ov^(T), the minimum loss value L* = |V| exp(-T C_0)",
            relation="L(theta^(t)) >= inf_W_kq L(W_ov^(T), W_kq) = log(1 + (|V| - 1) e^{-Delta}) (not attained)",
            quantity="log L(theta^(t))", stated=_EQM, corrects="FN3", inconsistencies=(27,),
            needs=("log_loss", "Delta_act", "n_tokens", "loss_scale"), **_S)
def fn3(q, ops):
    """FN3 corrected (p.8): the infimum over ``W_kq`` at fixed ``W_ov^(T)`` with equal margins ``Delta_act``
    (:func:`reference.theory.log_loss_infimum_eqm`) is below every loss of the run (log space)."""
    return Check(q.log_loss, log_loss_infimum_eqm(q.Delta_act, q.n_tokens, xp=ops) + 0.0 * q.log_loss, ">=",
                 space="log", scale=q.loss_scale)


@proof_step("FN3.2", page=8, equation="footnote 3: the infimum", kind="ID",
            printed="inf_W_kq L(W_ov^(T), W_kq) = lim_{c -> inf} L(W_ov^(T), c W*_kq) = log(1 + (|V| - 1) e^{-Delta})",
            quantity="log lim_c L(W_ov^(T), c W*_kq)", stated=_EQM + ("ONCE",), follows=("FN3'",),
            inconsistencies=(27,), needs=("log_loss_limit_star", "Delta_act", "n_tokens", "t2", "logit_scale"), **_S)
def fn3_2(q, ops):
    """FN3.2 (p.8): the loss along the max-margin direction tends to the infimum (two computations, log space):
    :func:`reference.theory.loss_limit_along` against :func:`reference.theory.log_loss_infimum_eqm`."""
    return Check(bcast(q.log_loss_limit_star, q, ops),
                 bcast(log_loss_infimum_eqm(q.Delta_act, q.n_tokens, xp=ops), q, ops), "==", space="log",
                 scale=bcast(q.logit_scale, q, ops))


@proof_step("FN3.3", page=8, equation="footnote 3: L* against the infimum", kind="INEQ",
            printed="L* = |V| exp(-T C_0) >= inf_W_kq L(W_ov^(T), W_kq)", quantity="log L*",
            stated=_EQM + ("ONCE",), follows=("FN3.2",), inconsistencies=(27,),
            needs=("T", "eta0", "n_tokens", "star_norm_ov", "Delta_act", "t2"), **_S)
def fn3_3(q, ops):
    """FN3.3 (p.8): ``L*`` lies above the infimum, strictly (``log(1 + x) < x`` and ``|V| - 1 < |V|``; from zero the
    infimum's margin ``Delta_act = 4 ||W*_ov|| T C_0`` is larger too), so it is not the minimum. Log space."""
    return Check(bcast(_log_L_star(q, ops), q, ops), bcast(log_loss_infimum_eqm(q.Delta_act, q.n_tokens, xp=ops), q, ops), ">=",
                 space="log")



for _d in (
        Decision("typo-P121-sum", items=(23,), steps=("P121", "P121'"), category="typo",
                 summary="P121's third line restricts the attention sum to l notin l(n): as printed the loss differs from "
                         "the recorded one at every iterate (row P121); with the sum over all positions it is the loss "
                         "(P121', against the training engine), and the next line uses the full sum",
                 evidence=("rows P121, P121' of python -m reference proofs",)),
        Decision("typo-P122-P134-equality", items=(12,), steps=("P122", "P122'", "P134", "P134'"), category="typo",
                 summary="P122 and P134 are printed '=' but are inequalities: with equal stage-1 margins Delta the logit "
                         "gap of v is Delta (h_v - phi_+), h_v the attention of the positions whose next token is v, and "
                         "the printed line puts all of phi_- in every v (equal only with |V| = 2). As '=' they fail "
                         "(rows P122, P134); as '<=' and '>=' they hold (P122', P134'), the direction the proofs use",
                 evidence=("rows P122, P122', P134, P134' of python -m reference proofs",)),
        Decision("false-footnote3-minimum", items=(27,), steps=("FN3", "FN3'", "FN3.2", "FN3.3"), category="false",
                 summary="Footnote 3 calls L* = |V| exp(-T C_0) the minimum loss at fixed W_ov^(T); it is the limit of "
                         "Eq. (4). With equal margins Delta the infimum over W_kq is log(1 + (|V|-1) e^{-Delta}) < |V| "
                         "e^{-Delta}, approached along W*_kq (FN3.2) and never attained; from zero "
                         "Delta = 4||W*_ov|| T C_0. "
                         "The loss of every zero-initialised run falls below L* (row FN3; the paper experiment starts "
                         "below it). The footnote's L - L* <= L* T C_0 O(e^{-C_1 t}) then holds trivially; Eq. (4) is "
                         "unaffected",
                 statement_holds=True,
                 evidence=("rows FN3, FN3', FN3.2, FN3.3 of python -m reference proofs",
                           "tests/test_proofs_theorems.py::test_footnote3_L_star_is_not_the_minimum")),
):
    REGISTRY.add_decision(_d)

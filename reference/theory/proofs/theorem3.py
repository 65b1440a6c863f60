"""Appendix D.2, p.33: the proof of Theorem 3, steps P131-P134.

Theorem 3 (p.9): for ``T, t = Omega(log 1/eps)`` there is a constant ``C_0`` (a third meaning of the
symbol) with ``(x* - x0)^T W_kq^(t) x_q >= C_0 t`` and ``(x0 - x)^T W_kq^(t) x_q >= C_0 t`` for ``x*``
optimal, ``x0`` non-comparable, ``x`` non-optimal under ``x_q``; and an unseen sentence made of ``x0``
(possibly repeated) and non-optimal tokens is predicted as ``n(x0)`` with high probability.

The first part bounds every gap through Eq. (13) with Theorem 1 (P131: the second term has the factor
problem of P117) and Lemma 6 (P132), then says "the first part of Theorem 3 follows from Theorem 3"
(circular: it follows from P132 and Proposition 2/4, which make the ``W*_kq`` gaps positive). With the
corrected chain the constant is ``C = eta gap* / (4 L_max ||W*_kq||^2)`` (P132.3,
:func:`reference.theory.theorem3_C_proof`). The second part is checked on the unseen sentences of
Section 6 (P133, P134; :mod:`reference.theory.proofs.measure_theorems`).
"""

from ..score_gaps import eq13_printed_chain, theorem1_direction_bound
from .entries import Check, Decision
from .measure_theorems import ln
from .registry import proof_step, REGISTRY
from .theorem2 import SETTING, THEOREM1_HIDDEN

__all__ = []

_S = dict(statement="Theorem 3", stage=2)


def _p131_bound(q, ops):
    """P131's printed right side: ``r_t gap* - (sqrt(2) t eta/(L_max ||W*_kq||)) sqrt(B_t)``."""
    second = (eq13_printed_chain(q.t2, eta=q.eta, N=q.N, L_max=q.L_max, star_norm_kq=q.star_norm_kq, xp=ops)
              + q.t2 * q.eta / (2.0 * q.L_max * q.star_norm_kq ** 2))
    return q.r[:, None] * q.thm3_gap_star[None] - second[:, None]


def _bracket(q, ops):
    """``gap*/||W*_kq|| - 2 sqrt(2 B_t)`` per iterate and pair: the corrected P131 is ``||W^(t)||`` times it."""
    B = theorem1_direction_bound(q.t2, eta=q.eta, N=q.N, L_max=q.L_max, star_norm_kq=q.star_norm_kq, xp=ops)
    return q.thm3_gap_star[None] / q.star_norm_kq - 2.0 * ops.sqrt(2.0 * B)[:, None]


_P131 = ("(x - x')^T W_kq^(t) x_q >= (||W^(t)||/||W*_kq||) (x - x')^T W*_kq x_q - (sqrt(2) t eta/(L_max "
         "||W*_kq||)) sqrt(54 N L_max^4 ||W*_kq||^4 log^2 t/(t eta))")
_NEED = ("thm3_gap", "thm3_gap_star", "r", "t2", "eta", "N", "L_max", "star_norm_kq", "norm_W_kq")
_NEED2 = ("thm3_gap", "thm3_gap_star", "t2", "eta", "N", "L_max", "star_norm_kq", "norm_W_kq")


@proof_step("P131", page=33, equation="by Eq. (13) (as printed)", kind="INEQ", printed=_P131,
            quantity="(x - x')^T W_kq^(t) x_q", stated=SETTING + ("t>=2",), recorded="false-P117-term",
            inconsistencies=(6,), follows=("Theorem 1",), needs=_NEED, **_S)
def p131_printed(q, ops):
    """P131 as printed (p.33): Eq. (13) with Theorem 1, the second term as in P117 (decision false-P117-term).

    Theorem 3's pairs (``x*`` over ``x0``, ``x0`` over ``x``, every query; trailing axis). Recorded false, it is
    judged wherever the setting holds: where it fails and the corrected P131' holds, the printed term is to blame.
    """
    return Check(q.thm3_gap, _p131_bound(q, ops), ">=", scale=q.norm_W_kq)


@proof_step("P131'", page=33, equation="by Eq. (13) (corrected)", kind="INEQ", printed=_P131,
            relation="(x - x')^T W_kq^(t) x_q >= ||W^(t)|| ((x - x')^T W*_kq x_q/||W*_kq|| - 2 sqrt(2 B_t)), "
                     "B_t = 54 N L_max^4 ||W*_kq||^4 log^2 t/(t eta)",
            quantity="(x - x')^T W_kq^(t) x_q", stated=SETTING + ("t>=2",), unstated=THEOREM1_HIDDEN, corrects="P131",
            inconsistencies=(6,), follows=("Theorem 1",), needs=_NEED2, **_S)
def p131(q, ops):
    """P131 corrected (p.33): ``|(x - x')^T (W - r_t W*) x_q| <= 2 ||W|| ||Wbar - Wbar*||`` (as Eq. 13) and Theorem 1's
    ``||Wbar - Wbar*|| <= sqrt(2 B_t)`` (:func:`reference.theory.eq13_theorem1`)."""
    return Check(q.thm3_gap, q.norm_W_kq[:, None] * _bracket(q, ops), ">=", scale=q.norm_W_kq)


def _lemma6_lin(q):
    return (q.t2 * q.eta / (2.0 * q.L_max * q.star_norm_kq ** 2))[:, None] * q.thm3_gap_star[None]


@proof_step("P132", page=33, equation="(a)", kind="INEQ",
            printed=">= (t eta/(2 L_max ||W*_kq||^2)) (x - x')^T W*_kq x_q - sqrt(108 t eta N L_max^2 ||W*_kq||^2 "
                    "log^2 t)",
            quantity="P131's right side (printed)", stated=SETTING, follows=("P131", "Lemma 6"), inconsistencies=(25,),
            needs=("thm3_gap_star", "r", "t2", "eta", "N", "L_max", "star_norm_kq"),
            note="Lemma 6 (r_t >= t eta/(2 L_max ||W*_kq||^2)) needs (x - x')^T W*_kq x_q >= 0, true for Theorem 3's "
                 "pairs (Proposition 2)", **_S)
def p132(q, ops):
    """P132 (p.33, step (a)): Lemma 6 in P131's printed right side; ``sqrt(2)/(L ||W*||) sqrt(54 ... t eta)`` is
    ``sqrt(108 t eta N L^2 ||W*||^2) log t``."""
    lt = ops.log(q.t2)
    sub = ops.sqrt(108.0 * q.t2 * q.eta * q.N * q.L_max ** 2 * q.star_norm_kq ** 2) * lt
    return Check(_p131_bound(q, ops), _lemma6_lin(q) - sub[:, None], ">=")


@proof_step("P132.2", page=33, equation="(a), with P131'", kind="INEQ",
            printed=">= (t eta/(2 L_max ||W*_kq||)) ((x - x')^T W*_kq x_q/||W*_kq|| - 2 sqrt(2 B_t))",
            quantity="P131''s right side (corrected)", stated=SETTING + ("t>=2",), unstated=("THM3_t",),
            follows=("P131'", "Lemma 6"), inconsistencies=(6,),
            needs=("thm3_gap_star", "norm_W_kq", "t2", "eta", "N", "L_max", "star_norm_kq"), **_S)
def p132_2(q, ops):
    """P132 applied to the corrected P131' (p.33): Lemma 6's ``||W^(t)|| >= t eta/(2 L_max ||W*_kq||)``, valid when the
    bracket is ``>= 0`` (``THM3_t`` makes it ``>= gap*/(2||W*_kq||)``)."""
    b = _bracket(q, ops)
    lo = q.t2 * q.eta / (2.0 * q.L_max * q.star_norm_kq)
    return Check(q.norm_W_kq[:, None] * b, lo[:, None] * b, ">=", scale=q.norm_W_kq)


@proof_step("P132.3", page=33, equation="first part of Theorem 3", kind="INEQ",
            printed="the first part of Theorem 3 follows from Theorem 3: gap >= C_0 t",
            relation="(x - x')^T W_kq^(t) x_q >= C t, C = eta (x - x')^T W*_kq x_q/(4 L_max ||W*_kq||^2), for "
                     "t eta gap*^2 >= 1728 N L_max^4 ||W*_kq||^6 log^2 t",
            quantity="(x - x')^T W_kq^(t) x_q", stated=SETTING + ("t>=2",), unstated=THEOREM1_HIDDEN + ("THM3_t",),
            follows=("P132.2", "Proposition 4"), inconsistencies=(25,),
            needs=("thm3_gap", "thm3_gap_star", "t2", "eta", "L_max", "star_norm_kq", "norm_W_kq"), **_S)
def p132_3(q, ops):
    """P132.3 (p.33): Theorem 3's first part with the constant of the corrected chain
    (:func:`reference.theory.theorem3_C_proof`); the paper cites Theorem 3 itself for it (decision typo-D2-citation)."""
    C = q.eta * q.thm3_gap_star / (4.0 * q.L_max * q.star_norm_kq ** 2)
    return Check(q.thm3_gap, q.t2[:, None] * C[None], ">=", scale=q.norm_W_kq)


@proof_step("P133", page=33, equation="", kind="ID",
            printed="e_In(x0)^T T_theta(X) = 1/(1 + sum_{v != In(x0)} exp((e_v - e_In(x0))^T W_ov^(T) sum_l x_l phi_l))",
            quantity="log e_In(x0)^T T(X) (unseen X)", needs=("unseen_log_p", "unseen_D", "unseen_wrong", "logit_scale"),
            **_S)
def p133(q, ops):
    """P133 (p.33): the prediction of ``n(x0)`` on the unseen sentences through the logit gaps (log space; every
    unseen sentence, trailing axis)."""
    u = ops.logsumexp(q.unseen_D, axis=2, mask=q.unseen_wrong[None])
    return Check(q.unseen_log_p, -ops.softplus(u), "==", space="log", scale=q.logit_scale)


def _p134_bound(q, ops):
    return -ops.softplus(ln(ops, q.n_tokens - 1) - q.Delta_act * (q.unseen_phi_l0 - q.unseen_phi_rest))


_P134 = ("= 1/(1 + sum_{v != In(x)} exp(-Delta sum_{l0 in l_0} phi_l0 + Delta sum_{l notin l_0} phi_l))")


@proof_step("P134", page=33, equation="third line (as printed)", kind="ID", printed=_P134,
            quantity="log e_In(x0)^T T(X) (unseen X)", stated=("ZI", "A2", "EQM"), recorded="typo-P122-P134-equality",
            inconsistencies=(12,),
            needs=("unseen_log_p", "n_tokens", "Delta_act", "unseen_phi_l0", "unseen_phi_rest", "loss_scale"),
            **_S)
def p134_printed(q, ops):
    """P134 as printed (p.33): "=". Recorded false (decision typo-P122-P134-equality): the logit of ``v`` collects only
    the attention of the positions with next token ``v``, so it is ">=" (log space, ``Delta = Delta_act``)."""
    return Check(q.unseen_log_p, _p134_bound(q, ops), "==", space="log", scale=q.loss_scale)


@proof_step("P134'", page=33, equation="third line (corrected)", kind="INEQ", printed=_P134,
            relation="e_In(x0)^T T(X) >= 1/(1 + (|V| - 1) exp(-Delta (phi_l0 - phi_rest)))",
            quantity="log e_In(x0)^T T(X) (unseen X)", stated=("ZI", "A2", "EQM"), corrects="P134", follows=("P133",),
            inconsistencies=(12,),
            needs=("unseen_log_p", "n_tokens", "Delta_act", "unseen_phi_l0", "unseen_phi_rest", "loss_scale"),
            **_S)
def p134(q, ops):
    """P134 corrected (p.33): ``>=``, with the equal stage-1 margins ``Delta_act`` (log space, every unseen sentence)."""
    return Check(q.unseen_log_p, _p134_bound(q, ops), ">=", space="log", scale=q.loss_scale)


@proof_step("P134.2", page=33, equation="fourth line", kind="INEQ",
            printed=">= 1/(1 + |V| exp(-Delta (1 - 2 eps))) when sum_{l0} phi_l0 >= 1 - eps",
            relation="with eps = sum_{l notin l_0} phi_l (the measured attention off x0)",
            quantity="log of P134''s bound", stated=("ZI", "A2", "EQM"), follows=("P134'",),
            needs=("n_tokens", "Delta_act", "unseen_phi_l0", "unseen_phi_rest"), **_S)
def p134_2(q, ops):
    """P134, fourth line (p.33): ``|V| - 1 <= |V|`` and ``phi_l0 - phi_rest = 1 - 2 eps`` at the measured ``eps``. The
    last line, ``>= 1 - eps0`` for ``T = O(log 1/eps0)`` (read ``Omega``), has no constant to check."""
    eps = q.unseen_phi_rest
    return Check(_p134_bound(q, ops), -ops.softplus(ln(ops, q.n_tokens) - q.Delta_act * (1.0 - 2.0 * eps)), ">=",
                 space="log")


REGISTRY.add_decision(Decision(
    "typo-D2-citation", items=(25,), steps=("P132", "P132.3", "P134.2"), category="typo",
    summary="D.2 says 'the first part of Theorem 3 follows from Theorem 3' (circular): it follows from P132 with "
            "Proposition 2/4, which make the W*_kq gaps positive (m/(k+m) and k/(k+m)); the corrected chain gives "
            "C = eta gap*/(4 L_max ||W*_kq||^2) (P132.3, theorem3_C_proof). The last line's T = O(log 1/eps0) is "
            "Omega (a lower bound on T)",
    evidence=("rows P132, P132.3 of python -m reference proofs",)))

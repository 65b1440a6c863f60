"""Conditions of the proofs of Theorems 1-3 and Proposition 4 (Appendix C.5-D), registered with
:func:`~reference.theory.proofs.conditions.condition` like the others.

======================  =================================================================
name                    meaning
======================  =================================================================
``THM2_T``              ``T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0`` (recalled on p.30 from
                        Corollary 1; Library rule)
``THM2_t``              ``t eta >= 1696 N L_max^4 ||W*_kq||^6 log^2 t`` at ``t`` (Theorem 2's
                        printed condition, read at each ``t`` as the step applies it)
``THM2_t'``             ``t eta >= 1728 N L_max^4 ||W*_kq||^6 log^2 t`` (what step (a) of the (13)
                        chain needs, printed or corrected)
``THM3_t``              ``t eta g*^2 >= 1728 N L_max^4 ||W*_kq||^6 log^2 t``, ``g*`` the smallest
                        ``W*_kq`` gap of Theorem 3's pairs (the corrected proof of Theorem 3)
``C1t>=logL``           ``C_1 t >= log L_max`` (Eq. (4)'s exponent is then ``<= 0``)
``|W*kq|>=e/4``         ``||W*_kq|| >= e/4`` (P110: ``log||W|| / ||W||`` decreasing from ``t_0``)
``|W*kq|>=1``           ``||W*_kq|| >= 1`` (P114's constant 54)
``ONCE``                ``t = 0``: a fact about ``W*`` or ``W_ov^(T)``, checked once per run
======================  =================================================================
"""

import math

import numpy as np

from ..constants import log_threshold, THM2_C_T, THM2_C_t
from ..score_gaps import theorem2_t_condition, theorem3_t_condition, THM2_C_t_ARITHMETIC
from .conditions import condition

__all__ = []


def _t(q, stage):
    return np.arange(q.iterates(stage), dtype=np.float64)


def _kq(q):
    return float(q.star_norm_kq)


@condition("THM2_T", "T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0 (Corollary 1's condition, recalled on p.30)")
def _thm2_T(q, stage):
    K = THM2_C_T * float(q.star_norm_ov) ** 5 * math.log(2 * q.n_tokens) / q.eta0
    return q.T >= log_threshold(K, 1)


def _t_cond(constant):
    def pred(q, stage):
        if _kq(q) <= 0:
            return False
        return theorem2_t_condition(_t(q, stage), eta=q.eta, N=q.N, L_max=q.L_max, star_norm_kq=_kq(q),
                                    constant=constant)
    return pred


condition("THM2_t", "t eta >= 1696 N L_max^4 ||W*_kq||^6 log^2 t at t (Theorem 2's condition, printed)")(
    _t_cond(THM2_C_t))
condition("THM2_t'", "t eta >= 1728 N L_max^4 ||W*_kq||^6 log^2 t at t (what step (a) of the (13) chain needs)")(
    _t_cond(THM2_C_t_ARITHMETIC))


@condition("THM3_t", "t eta g*^2 >= 1728 N L_max^4 ||W*_kq||^6 log^2 t, g* the smallest W*_kq gap of Theorem 3's "
                     "pairs (the corrected proof of Theorem 3)")
def _thm3_t(q, stage):
    g = float(np.min(np.asarray(q.thm3_gap_star)))
    if _kq(q) <= 0 or not g > 0:
        return False
    return theorem3_t_condition(_t(q, stage), eta=q.eta, N=q.N, L_max=q.L_max, star_norm_kq=_kq(q), gap_star=g)


@condition("C1t>=logL", "C_1 t >= log L_max, C_1 = eta / (4 L_max ||W*_kq||^2)")
def _c1t(q, stage):
    if _kq(q) <= 0:
        return False
    return q.eta / (4.0 * q.L_max * _kq(q) ** 2) * _t(q, stage) >= math.log(q.L_max)


@condition("|W*kq|>=e/4", "||W*_kq|| >= e/4")
def _kq_e4(q, stage):
    return _kq(q) >= math.e / 4


@condition("|W*kq|>=1", "||W*_kq|| >= 1")
def _kq_1(q, stage):
    return _kq(q) >= 1.0


@condition("ONCE", "t = 0: a fact about W* or W_ov^(T), checked once per run")
def _once(q, stage):
    return _t(q, stage) == 0

"""Conditions of the proofs of Theorems 1-3 and Proposition 4 (Appendix C.5-D), registered with
:func:`~reference.theory.proofs.conditions.condition` like the others.

======================  =================================================================
name                    meaning
======================  =================================================================
``THM2_T``              ``T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0`` at ``T`` (recalled on p.30
                        from Corollary 1)
``THM2_t``              ``t eta >= 1696 N L_max^4 ||W*_kq||^6 log^2 t`` at ``t`` (Theorem 2's
                        printed condition, read at each ``t`` as the step applies it)
``THM2_t'``             ``t eta >= 1728 N L_max^4 ||W*_kq||^6 log^2 t`` (what step (a) of the (13)
                        chain needs, printed or corrected)
``THM3_t``              ``t eta g*^2 >= 1728 N L_max^4 ||W*_kq||^6 log^2 t`` for the ``W*_kq`` gap
                        ``g*`` of every pair of Theorem 3 (the corrected proof of Theorem 3)
``C1t>=logL``           ``C_1 t >= log L_max`` (Eq. (4)'s exponent is then ``<= 0``)
``|W*kq|>=e/4``         ``||W*_kq|| >= e/4`` (P110: ``log||W|| / ||W||`` decreasing from ``t_0``)
``|W*kq|>=1``           ``||W*_kq|| >= 1`` (P114's constant 54)
``ONCE``                ``t = 0``: a fact about ``W*`` or ``W_ov^(T)``, checked once per run
======================  =================================================================
"""

import numpy as np

from ..constants import THM2_C_T, THM2_C_t
from ..score_gaps import THM2_C_t_ARITHMETIC
from .conditions import condition

__all__ = []

# Every condition compares through ``q.ops`` (``ge``, ``le``, ``all_of``), so that the certified audit decides it
# on balls (docs/proofs.md, the backend contract); the constants are read with the run's own values.


def _t(q, stage):
    return np.arange(q.iterates(stage))


def _log_t(q, stage):
    """``log t`` at every iterate, ``log 1 = 0`` at ``t = 0`` (the conditions on ``t`` also ask ``t > 0``)."""
    return q.ops.log(q.ops.asarray(np.maximum(_t(q, stage), 1).astype(float)))


@condition("THM2_T", "T eta0 >= 384 ||W*_ov||^5 log(2|V|) log T (Corollary 1's condition at T, recalled on p.30)")
def _thm2_T(q, stage):
    ops = q.ops
    if q.T < 1:
        return False
    return ops.ge(q.T * q.eta0, THM2_C_T * q.star_norm_ov ** 5 * ops.log(ops.asarray(2.0 * q.n_tokens))
                  * ops.log(ops.asarray(float(q.T))))


def _t_cond(constant):
    def pred(q, stage):
        ops, lt = q.ops, _log_t(q, stage)
        K = constant * q.N * q.L_max ** 4 * q.star_norm_kq ** 6
        return ops.all_of(ops.gt(_t(q, stage), 0), ops.ge(_t(q, stage) * q.eta, K * lt * lt))
    return pred


condition("THM2_t", "t eta >= 1696 N L_max^4 ||W*_kq||^6 log^2 t at t (Theorem 2's condition, printed)")(
    _t_cond(THM2_C_t))
condition("THM2_t'", "t eta >= 1728 N L_max^4 ||W*_kq||^6 log^2 t at t (what step (a) of the (13) chain needs)")(
    _t_cond(THM2_C_t_ARITHMETIC))


@condition("THM3_t", "t eta g*^2 >= 1728 N L_max^4 ||W*_kq||^6 log^2 t for every pair of Theorem 3 (g* its "
                     "W*_kq gap; the corrected proof of Theorem 3)")
def _thm3_t(q, stage):
    ops, t, lt = q.ops, _t(q, stage), _log_t(q, stage)
    K = THM2_C_t_ARITHMETIC * q.N * q.L_max ** 4 * q.star_norm_kq ** 6
    g = q.thm3_gap_star
    per_pair = [ops.ge(t * q.eta * g[k] ** 2, K * lt * lt) for k in range(len(g))]
    return ops.all_of(ops.gt(t, 0), *[ops.all_of(ops.gt(g[k], 0), c) for k, c in enumerate(per_pair)])


@condition("C1t>=logL", "C_1 t >= log L_max, C_1 = eta / (4 L_max ||W*_kq||^2)")
def _c1t(q, stage):
    ops = q.ops
    return ops.ge(q.eta / (4.0 * q.L_max * q.star_norm_kq ** 2) * _t(q, stage), ops.log(ops.asarray(float(q.L_max))))


@condition("|W*kq|>=e/4", "||W*_kq|| >= e/4")
def _kq_e4(q, stage):
    return q.ops.ge(4.0 * q.star_norm_kq, q.ops.e)


@condition("|W*kq|>=1", "||W*_kq|| >= 1")
def _kq_1(q, stage):
    return q.ops.ge(q.star_norm_kq, 1.0)


@condition("ONCE", "t = 0: a fact about W* or W_ov^(T), checked once per run")
def _once(q, stage):
    return _t(q, stage) == 0

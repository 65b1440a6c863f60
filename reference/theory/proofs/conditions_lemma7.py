"""The conditions of Lemma 7's proof (Appendix C.4), in :data:`reference.theory.proofs.conditions.CONDITIONS`.

======================  =================================================================
name                    meaning
======================  =================================================================
``NOT_ALIGNED_KQ``      ``W_kq^(t) != 0`` and ``1 - cos(W_kq^(t), W*_kq) > ALIGN_TOL`` (Lemma 7's second case, p.23)
``EQ_NONOPT``           in every sentence the non-optimal tokens have one ``W*_kq`` score (Proposition 4's
                        "direct result", used by P78)
``L7_TYPE1``            some sample is of Type 1 at ``t`` (``phi_-^(n,t) >= exp(-(1 + beta_t/2) r_t)``)
``L7_TYPE2``            some sample is of Type 2 at ``t``
``PI_N0``               ``pi^(n0) >= 1/(2N - 3)`` for P67's sample ``n0`` (the corrected end of P103)
``N0_PREMISE``          ``phi_-^(n0,t) >= exp(-r_t)`` (P99's premise, which the paper takes from P68)
======================  =================================================================
"""

import numpy as np

from .conditions import ALIGN_TOL, condition, _nonopt_spreads

__all__ = ["EQ_NONOPT_ULPS", "PI_RTOL"]

#: ``W*_kq`` scores count as equal when they differ by at most this many ulps of the largest
#: score: they are exact rationals, certified to ``CERT_TOL`` and typically exact in float64.
EQ_NONOPT_ULPS = 64

#: ``pi^(n)`` is a ratio of counts; ``1/N`` times ``2N - 3`` may round below 1 by an ulp.
PI_RTOL = 1e-12

_EPS = float(np.finfo(np.float64).eps)


@condition("NOT_ALIGNED_KQ", "W_kq^(t) != 0 and Wbar_kq^(t) != Wbar*_kq (1 - cos > ALIGN_TOL)")
def _not_aligned_kq(q, stage):
    ops = q.ops
    return ops.all_of(ops.gt(q.norm_W_kq, 0), ops.gt(1.0 - q.cos_kq, ops.tol(ALIGN_TOL)))


@condition("EQ_NONOPT", "every sentence's non-optimal tokens have equal W*_kq scores (Proposition 4's direct result)")
def _eq_nonopt(q, stage):
    ops = q.ops
    tol = ops.tol(EQ_NONOPT_ULPS * _EPS * ops.maximum(1.0, ops.max(ops.abs(q.s_star))))
    return ops.all_of(True, *[ops.le(x, tol) for x in _nonopt_spreads(q)])


@condition("L7_TYPE1", "some sample is of Type 1 at t (phi_-^(n,t) >= exp(-(1 + beta_t/2) r_t), Lemma 7)")
def _type1(q, stage):
    return np.asarray(q.type1).any(axis=1)


@condition("L7_TYPE2", "some sample is of Type 2 at t (phi_-^(n,t) < exp(-(1 + beta_t/2) r_t), Lemma 7)")
def _type2(q, stage):
    return (~np.asarray(q.type1)).any(axis=1)


@condition("PI_N0", "pi^(n0) >= 1/(2N - 3) for the sample n0 of P67 (the corrected end of Lemma 7's proof)")
def _pi_n0(q, stage):
    return q.ops.ge(q.pi[np.asarray(q.n0)] * (2 * q.N - 3), 1.0 - q.ops.tol(PI_RTOL))


@condition("N0_PREMISE", "phi_-^(n0,t) >= exp(-r_t) for the sample n0 of P67 (P99's premise, from P68)")
def _n0_premise(q, stage):
    lpm = q.log_phi_minus[np.arange(len(q.n0)), np.asarray(q.n0)]
    return q.ops.ge(lpm, -q.r)

"""The named conditions a proof step can need, each a predicate evaluated at every iterate of a run.

A step declares the conditions it needs, split into those the paper states and
those it does not (hidden conditions found while restating the proofs, docs/proofs.md).
Each condition is a function ``predicate(q, stage) -> bool array`` of shape
``(T + 1,)`` (stage 1) or ``(T1 + 1,)`` (stage 2) of the run's quantities ``q``
(:class:`reference.theory.proofs.measure.Measurements`); a condition on the data or
the steps is constant along ``t``. A condition on measured numbers compares them
through the backend, ``q.ops.ge(a, b)`` (``le``, ``gt``, ``lt``), combines with
``q.ops.all_of`` / ``any_of``, and writes a tolerance that only absorbs float64
rounding as ``q.ops.tol(x)``: in float64 these are numpy comparisons, and a
certified run (reference.audit.certified) decides the same predicate on balls
(proved, undecided or refuted at each iterate). A predicate that compares
measured numbers directly still works in float64 but is undecided in a certified run.

======================  =================================================================
name                    meaning
======================  =================================================================
``ZI``                  zero initialisation: ``W_ov^(0) = 0`` (stage 1); also ``W_kq^(0) = 0`` (stage 2)
``A1``, ``A2``, ``A3``  Assumptions 1, 2, 3 (Section 4.1)
``PC``                  ``D_0`` is prefix closed
``RZ``                  every sentence's next token is ``n(x)`` for a token ``x`` of it
``EQM``                 exactly equal stage-1 margins (Lemma 3 structure; stage 1 at ``W_ov^(t)``,
                        stage 2 at ``W_ov^(T)``), to rounding
``S1``                  ``eta0 <= ||W*_ov|| / 2`` (Proposition 3's proof)
``S2``                  ``eta <= ||W*_kq|| / e`` (Theorem 1's proof)
``S3``                  ``eta <= L_max ||W*_kq||^2`` (Theorem 1's proof)
``S4``                  ``t >= t_0 = ceil(8 L_max ||W*_kq||^2 / eta)`` (Lemma 7)
``S5``                  ``N >= 3`` (Lemma 7)
``S6``                  ``||W_kq^(t)|| >= max(1/2, 2(e - 1) ||W*_kq||)`` (Lemma 7)
``S7``                  ``L_max^2 ||W*_kq|| >= 1`` (Lemma 7)
``t>=1`` .. ``t>=3``    the iterate range
``t<T``                 the step ``t -> t+1`` exists (per-step relations)
``W!=0``                ``W^(t) != 0`` (of the stage's weight)
``ALIGNED``             ``Wbar_ov^(t) = Wbar*_ov`` to rounding (Lemma 2's first case)
``NOT_ALIGNED``         ``W_ov^(t) != 0`` and not ``ALIGNED`` (Lemma 2's second case)
``W2``                  ``<W_ov^(2), Wbar*_ov> >= 0`` (used silently by P31)
======================  =================================================================

To add a condition: a function decorated with :func:`condition` here.
"""

import math

import numpy as np

from ...errors import ConfigError
from ...structure.orders import optimal_mask
from ..setting import EQM_ULPS

__all__ = ["CONDITIONS", "condition", "evaluate", "ALIGN_TOL"]

#: ``1 - cos(W_ov^(t), W*_ov) <= ALIGN_TOL`` counts as aligned: the cosine of an exactly
#: aligned iterate is 1 to a few ulps (a sum of |V| d products); 1e-12 leaves a factor ~100,
#: and a misalignment this small cannot be told from rounding anyway.
ALIGN_TOL = 1e-12

_EPS = float(np.finfo(np.float64).eps)

#: name -> (meaning, predicate)
CONDITIONS = {}


def condition(name, meaning):
    """Decorator: register ``predicate(q, stage) -> bool array`` as the condition ``name``.

    Raises
    ------
    ConfigError
        ``name`` registered twice.
    """
    def wrap(fn):
        if name in CONDITIONS:
            raise ConfigError(f"condition {name!r} registered twice")
        CONDITIONS[name] = (meaning, fn)
        return fn
    return wrap


def evaluate(name, q, stage):
    """The condition ``name`` at every iterate of ``stage`` on the run ``q``: a bool array.

    Raises
    ------
    ConfigError
        Unknown condition.
    """
    if name not in CONDITIONS:
        raise ConfigError(f"no condition {name!r}; known: {', '.join(CONDITIONS)}")
    n = q.iterates(stage)
    with np.errstate(all="ignore"):
        out = np.asarray(CONDITIONS[name][1](q, stage))
    if out.dtype != bool and getattr(q.ops, "exact", False):
        raise TypeError(f"condition {name!r} is ternary on balls (proved, undecided, refuted): it has no float64 "
                        "truth value; the certified audit decides it (reference.audit.certified_verdicts)")
    return np.broadcast_to(out.astype(bool), (n,)).copy()


def _t(q, stage):
    return np.arange(q.iterates(stage))


@condition("ZI", "zero initialisation (W_ov^(0) = 0; in stage 2 also W_kq^(0) = 0)")
def _zi(q, stage):
    s, ops = q.setting, q.ops
    return ops.all_of(ops.le(s.init_norm_ov, 0.0), True if stage == 1 else ops.le(s.init_norm_kq, 0.0))


@condition("A1", "Assumption 1 (collocation; strict x_q-orders without confused tokens)")
def _a1(q, stage):
    return q.setting.assumption1


@condition("A2", "Assumption 2 (orthonormal embeddings)")
def _a2(q, stage):
    return q.setting.assumption2


@condition("A3", "Assumption 3 (the optimal token occurs at least as often as any non-optimal one)")
def _a3(q, stage):
    return q.setting.assumption3


@condition("PC", "D_0 is prefix closed")
def _pc(q, stage):
    return q.setting.prefix_closed


@condition("RZ", "every sentence's next token is n(x) for a token x of the sentence")
def _rz(q, stage):
    return bool(optimal_mask(q.ds, q.In).any(axis=1).all())


@condition("EQM", "all stage-1 margins equal (at W_ov^(t) in stage 1, at W_ov^(T) in stage 2), to rounding")
def _eqm(q, stage):
    ops = q.ops
    if stage == 1:
        lo = ops.min(ops.where(q.wrong1, q.margins1, math.inf), axis=(1, 2))
        hi = ops.max(ops.where(q.wrong1, q.margins1, -math.inf), axis=(1, 2))
        return ops.le(hi - lo, ops.tol(EQM_ULPS * _EPS * q.norm_W_ov))
    m = q.margins_T[q.wrong1]
    return ops.le(ops.max(m) - ops.min(m), ops.tol(EQM_ULPS * _EPS * ops.norm(q.W_ovT)))


@condition("S1", "eta0 <= ||W*_ov|| / 2")
def _s1(q, stage):
    return q.ops.le(q.eta0, q.star_norm_ov / 2)


@condition("S2", "eta <= ||W*_kq|| / e")
def _s2(q, stage):
    return q.ops.le(q.eta, q.star_norm_kq / q.ops.e)


@condition("S3", "eta <= L_max ||W*_kq||^2")
def _s3(q, stage):
    return q.ops.le(q.eta, q.L_max * q.star_norm_kq ** 2)


@condition("S4", "t >= t_0 = ceil(8 L_max ||W*_kq||^2 / eta)")
def _s4(q, stage):
    # t >= ceil(x) iff t >= x for an integer t (decided on balls without rounding t_0)
    return q.ops.ge(_t(q, stage), 8.0 * q.L_max * q.star_norm_kq ** 2 / q.eta)


@condition("S5", "N >= 3")
def _s5(q, stage):
    return q.N >= 3


@condition("S6", "||W_kq^(t)|| >= max(1/2, 2(e - 1) ||W*_kq||)")
def _s6(q, stage):
    ops = q.ops
    return ops.all_of(ops.ge(q.norm_W_kq, 0.5), ops.ge(q.norm_W_kq, 2 * (ops.e - 1) * q.star_norm_kq))


@condition("S7", "L_max^2 ||W*_kq|| >= 1")
def _s7(q, stage):
    return q.ops.ge(q.L_max ** 2 * q.star_norm_kq, 1)


for _k in (1, 2, 3):
    condition(f"t>={_k}", f"t >= {_k}")(lambda q, stage, k=_k: _t(q, stage) >= k)


@condition("t<T", "the step t -> t+1 exists (t < T in stage 1, t < T1 in stage 2)")
def _has_next(q, stage):
    t = _t(q, stage)
    return t < t[-1]


@condition("W!=0", "the stage's weight is non-zero at t (W_ov^(t) in stage 1, W_kq^(t) in stage 2)")
def _nonzero(q, stage):
    return q.ops.gt(q.norm_W_ov if stage == 1 else q.norm_W_kq, 0)


@condition("ALIGNED", "Wbar_ov^(t) = Wbar*_ov (1 - cos <= ALIGN_TOL)")
def _aligned(q, stage):
    ops = q.ops
    return ops.all_of(ops.gt(q.norm_W_ov, 0), ops.le(1.0 - q.cos_ov, ops.tol(ALIGN_TOL)))


@condition("NOT_ALIGNED", "W_ov^(t) != 0 and Wbar_ov^(t) != Wbar*_ov (1 - cos > ALIGN_TOL)")
def _not_aligned(q, stage):
    ops = q.ops
    return ops.all_of(ops.gt(q.norm_W_ov, 0), ops.gt(1.0 - q.cos_ov, ops.tol(ALIGN_TOL)))


@condition("W2", "<W_ov^(2), Wbar*_ov> >= 0 (used by P31 without being stated)")
def _w2(q, stage):
    if q.T < 2:
        return False
    return q.ops.ge(q.ops.dot(q.W_ov[2], q.Wbar_ov_star), 0)


# ---------------------------------------------------------------- Appendix C.1-C.3 (Lemma 3 to Lemma 6)

#: Two non-optimal ``W*_kq`` scores of one sentence count as equal when they differ by at
#: most EQS_TOL: ``W*_kq`` is exact to its certificate tolerance (1e-9, reference.maxmargin),
#: while two scores that really differ differ by a rational with a small denominator
#: (>= 1/(|V|+1)^2, docs/theory.md, Proposition 2).
EQS_TOL = 1e-8


@condition("ZI_kq", "stage 2 starts from zero: W_kq^(0) = 0 (W_ov^(T) may be anything)")
def _zi_kq(q, stage):
    return q.ops.le(q.setting.init_norm_kq, 0.0)


@condition("t=0", "the first iterate")
def _t_zero(q, stage):
    return _t(q, stage) == 0


@condition("COR1", "T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0 with T = t (Corollary 1; the library's reading "
                   "of 'T >= K log T', reference.theory.corollary1_condition)")
def _cor1(q, stage):
    from ..stage1 import corollary1_condition
    s = q.setting
    return corollary1_condition(_t(q, stage), eta0=s.eta0, star_norm_ov=s.star_norm_ov, n_tokens=s.n_tokens,
                                ops=q.ops)


@condition("EQS", "in every sentence all non-optimal positions have the same W*_kq score x_l^T W*_kq q_n "
                  "(Proposition 4's 'direct result'; within EQS_TOL)")
def _eqs(q, stage):
    return q.ops.all_of(True, *[q.ops.le(x, q.ops.tol(EQS_TOL)) for x in _nonopt_spreads(q)])


def _nonopt_spreads(q):
    """Per sentence with a non-optimal position: the spread (max - min) of its non-optimal ``W*_kq`` scores."""
    ops, non = q.ops, np.asarray(q.nonopt)
    hi = ops.max(ops.where(non, q.s_star, -math.inf), axis=1)
    lo = ops.min(ops.where(non, q.s_star, math.inf), axis=1)
    return [hi[n] - lo[n] for n in np.flatnonzero(non.any(axis=1))]

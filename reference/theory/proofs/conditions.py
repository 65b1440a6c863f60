"""The named conditions a proof step can need, each a predicate evaluated at every iterate of a run.

A step declares the conditions it needs, split into those the paper states and
those it does not (hidden conditions found while restating the proofs, docs/proofs.md).
Each condition is a function ``predicate(q, stage) -> bool array`` of shape
``(T + 1,)`` (stage 1) or ``(T1 + 1,)`` (stage 2), evaluated in float64 on the run's
quantities ``q`` (:class:`reference.theory.proofs.measure.Measurements`); a
condition on the data or the steps is constant along ``t``.

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
        out = np.asarray(CONDITIONS[name][1](q, stage), dtype=bool)
    return np.broadcast_to(out, (n,)).copy()


def _t(q, stage):
    return np.arange(q.iterates(stage))


@condition("ZI", "zero initialisation (W_ov^(0) = 0; in stage 2 also W_kq^(0) = 0)")
def _zi(q, stage):
    s = q.setting
    return s.init_norm_ov == 0.0 and (stage == 1 or s.init_norm_kq == 0.0)


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
    if stage == 1:
        m, wrong = np.asarray(q.margins1), q.wrong1
        lo = np.where(wrong, m, np.inf).min(axis=(1, 2))
        hi = np.where(wrong, m, -np.inf).max(axis=(1, 2))
        return hi - lo <= EQM_ULPS * _EPS * np.asarray(q.norm_W_ov)
    m = np.asarray(q.margins_T)[q.wrong1]
    return m.max() - m.min() <= EQM_ULPS * _EPS * float(np.linalg.norm(np.asarray(q.W_ovT)))


@condition("S1", "eta0 <= ||W*_ov|| / 2")
def _s1(q, stage):
    return q.eta0 <= float(q.star_norm_ov) / 2


@condition("S2", "eta <= ||W*_kq|| / e")
def _s2(q, stage):
    return q.eta <= float(q.star_norm_kq) / math.e


@condition("S3", "eta <= L_max ||W*_kq||^2")
def _s3(q, stage):
    return q.eta <= q.L_max * float(q.star_norm_kq) ** 2


@condition("S4", "t >= t_0 = ceil(8 L_max ||W*_kq||^2 / eta)")
def _s4(q, stage):
    return _t(q, stage) >= q.t0


@condition("S5", "N >= 3")
def _s5(q, stage):
    return q.N >= 3


@condition("S6", "||W_kq^(t)|| >= max(1/2, 2(e - 1) ||W*_kq||)")
def _s6(q, stage):
    return np.asarray(q.norm_W_kq) >= max(0.5, 2 * (math.e - 1) * float(q.star_norm_kq))


@condition("S7", "L_max^2 ||W*_kq|| >= 1")
def _s7(q, stage):
    return q.L_max ** 2 * float(q.star_norm_kq) >= 1


for _k in (1, 2, 3):
    condition(f"t>={_k}", f"t >= {_k}")(lambda q, stage, k=_k: _t(q, stage) >= k)


@condition("t<T", "the step t -> t+1 exists (t < T in stage 1, t < T1 in stage 2)")
def _has_next(q, stage):
    t = _t(q, stage)
    return t < t[-1]


@condition("W!=0", "the stage's weight is non-zero at t (W_ov^(t) in stage 1, W_kq^(t) in stage 2)")
def _nonzero(q, stage):
    return np.asarray(q.norm_W_ov if stage == 1 else q.norm_W_kq) > 0


@condition("ALIGNED", "Wbar_ov^(t) = Wbar*_ov (1 - cos <= ALIGN_TOL)")
def _aligned(q, stage):
    return (np.asarray(q.norm_W_ov) > 0) & (1.0 - np.asarray(q.cos_ov) <= ALIGN_TOL)


@condition("NOT_ALIGNED", "W_ov^(t) != 0 and Wbar_ov^(t) != Wbar*_ov (1 - cos > ALIGN_TOL)")
def _not_aligned(q, stage):
    return (np.asarray(q.norm_W_ov) > 0) & (1.0 - np.asarray(q.cos_ov) > ALIGN_TOL)


@condition("W2", "<W_ov^(2), Wbar*_ov> >= 0 (used by P31 without being stated)")
def _w2(q, stage):
    if q.T < 2:
        return False
    return float(np.sum(np.asarray(q.W_ov)[2] * np.asarray(q.Wbar_ov_star))) >= 0


# ---------------------------------------------------------------- Appendix C.1-C.3 (Lemma 3 to Lemma 6)

#: Two non-optimal ``W*_kq`` scores of one sentence count as equal when they differ by at
#: most EQS_TOL: ``W*_kq`` is exact to its certificate tolerance (1e-9, reference.maxmargin),
#: while two scores that really differ differ by a rational with a small denominator
#: (>= 1/(|V|+1)^2, docs/theory.md, Proposition 2).
EQS_TOL = 1e-8


@condition("ZI_kq", "stage 2 starts from zero: W_kq^(0) = 0 (W_ov^(T) may be anything)")
def _zi_kq(q, stage):
    return q.setting.init_norm_kq == 0.0


@condition("t=0", "the first iterate")
def _t_zero(q, stage):
    return _t(q, stage) == 0


@condition("COR1", "T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0 with T = t (Corollary 1; the library's reading "
                   "of 'T >= K log T', reference.theory.corollary1_condition)")
def _cor1(q, stage):
    from ..stage1 import corollary1_condition
    s = q.setting
    return corollary1_condition(_t(q, stage), eta0=s.eta0, star_norm_ov=s.star_norm_ov, n_tokens=s.n_tokens)


@condition("EQS", "in every sentence all non-optimal positions have the same W*_kq score x_l^T W*_kq q_n "
                  "(Proposition 4's 'direct result'; within EQS_TOL)")
def _eqs(q, stage):
    s = np.asarray(q.s_star, dtype=np.float64)
    non = np.asarray(q.nonopt)
    hi = np.where(non, s, -np.inf).max(axis=1)
    lo = np.where(non, s, np.inf).min(axis=1)
    return bool(np.all(np.where(non.any(axis=1), hi - lo, 0.0) <= EQS_TOL))

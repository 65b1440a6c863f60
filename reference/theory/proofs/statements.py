"""The statements as registry entries: each family's rows on a run, from the statement functions.

One :class:`~reference.theory.proofs.registry.Statement` per statement (Lemma 1 to
Theorem 2, in the paper's order); its evaluator reads the run's constants and
measures from ``q`` (:class:`~reference.theory.proofs.measure.Measurements`) and calls
the statement function of :mod:`reference.theory` (:func:`~reference.theory.lemma1`,
...), which returns one :class:`~reference.theory.constants.Bound` per inequality.
Standing conditions (docs/theory.md, "How the audit reads a statement"):
Assumptions 1-2 for every statement (without them no condition holds), zero
initialisation and Assumption 3 where the statement needs them; with ``W*_kq = 0``
(no ordered pair) the stage-2 rows are kept with nan bounds and conditions that
never hold. The rate rows, Proposition 2 and Theorem 3 are in
:mod:`reference.theory.proofs.statements_extra`.
"""

import numpy as np

from .. import appendix_b, stage1, stage2
from ..theorem2 import theorem2, theorem2_direction_form
from ..constants import Bound
from .quantity import Unavailable
from .entries import Statement
from .registry import REGISTRY

__all__ = ["never", "measured_or_nan"]


def never(b, value=None):
    """``b`` with its conditions false at every ``t`` (and ``value`` replaced if given)."""
    return Bound(b.statement, b.quantity, b.field, b.sense, b.value if value is None else value,
                 np.zeros(np.shape(b.conditions), dtype=bool), b.printed, b.erratum, b.corrects)


def measured_or_nan(q, name, n):
    """``q[name]`` as float64 (balls in an exact backend), or nan at every iterate when the run cannot give it."""
    exact = getattr(q.ops, "exact", False)
    try:
        return q.ops.asarray(q[name]) if exact else np.asarray(q[name], dtype=np.float64)
    except Unavailable:
        return q.ops.asarray(np.full(n, np.nan)) if exact else np.full(n, np.nan)


def _ctx(q):
    s = q.setting
    a12 = s.assumption1 and s.assumption2
    return s, a12, a12 and s.init_norm_ov == 0.0, a12 and s.zero_init


def _stage1(fn):
    """A stage-1 family: ``fn(q, s, t1, z_ov)``; without Assumptions 1-2 no condition holds."""
    def evaluate(q):
        s, a12, z_ov, _ = _ctx(q)
        out = list(fn(q, s, np.arange(len(q.traj.stage1["norm"])), z_ov))
        return out if a12 else [never(b) for b in out]
    return evaluate


def _stage2(fn):
    """A stage-2 family: ``fn(q, s, t2, kq, kw)``; ``W*_kq = 0`` makes its rows n/a with nan bounds."""
    def evaluate(q):
        s, a12, _, z = _ctx(q)
        t2 = np.arange(len(q.traj.stage2["norm"]))
        positive = bool(np.all(np.asarray(q.ops.gt(s.star_norm_kq, 0)) == 1))      # proved > 0 (a ball too)
        kq = s.star_norm_kq if positive else 1.0
        out = list(fn(q, s, t2, kq, dict(zero_init=z, assumption3=s.assumption3)))
        if not positive:
            out = [never(b, np.full(len(t2), np.nan)) for b in out]
        return out if a12 else [never(b) for b in out]
    return evaluate


def _family(key, page, equation, stated, evaluate, full_record=False):
    REGISTRY.add_statement(Statement(key=key, statement=key, page=page, equation=equation, stated=stated,
                                     evaluate=evaluate, full_record=full_record))


_family("Lemma 1", "14", "", ("A1", "A2"), _stage1(
    lambda q, s, t, z: stage1.lemma1(t, eta0=s.eta0, star_norm_ov=s.star_norm_ov, init_norm=s.init_norm_ov,
                                     ops=q.ops)))


def _lemma2(q, s, t, z):
    return appendix_b.lemma2(t, norm_ov=q.traj.stage1["norm"], ug1_Wstarbar=measured_or_nan(q, "ug1_Wstarbar", len(t)),
                             star_norm_ov=s.star_norm_ov, n_tokens=s.n_tokens, ops=q.ops)


_family("Lemma 2", "15", "", ("W!=0",), _stage1(_lemma2), full_record=True)
_family("Proposition 1", "7", "", ("A1", "A2", "ZI", "t>=2"), _stage1(
    lambda q, s, t, z: stage1.proposition1(t, eta0=s.eta0, star_norm_ov=s.star_norm_ov, n_tokens=s.n_tokens,
                                           zero_init=z, ops=q.ops)))
_family("Proposition 3", "16", "", ("ZI", "t>=2"), _stage1(
    lambda q, s, t, z: appendix_b.proposition3(t, eta0=s.eta0, star_norm_ov=s.star_norm_ov, n_tokens=s.n_tokens,
                                               zero_init=z, ops=q.ops)))
_family("Lemma 3", "17", "", ("ZI",), _stage1(lambda q, s, t, z: stage1.lemma3(t, zero_init=z, ops=q.ops)))
_family("Corollary 1", "18", "", ("A1", "A2", "ZI"), _stage1(
    lambda q, s, t, z: stage1.corollary1(t, eta0=s.eta0, star_norm_ov=s.star_norm_ov, n_tokens=s.n_tokens,
                                         zero_init=z, ops=q.ops)))
_family("Lemma 5", "19", "", ("ZI",), _stage2(lambda q, s, t, kq, kw: stage2.lemma5(t, L_max=s.L_max, ops=q.ops, **kw)))
_family("Lemma 6", "21", "", ("ZI",), _stage2(
    lambda q, s, t, kq, kw: stage2.lemma6(t, eta=s.eta, L_max=s.L_max, star_norm_kq=kq,
                                          phi_plus_min=q.traj.stage2["phi_plus_min"], init_norm=s.init_norm_kq,
                                          ops=q.ops, **kw)))
_family("Lemma 7", "23", "", ("S4",), _stage2(
    lambda q, s, t, kq, kw: stage2.lemma7(t, eta=s.eta, N=s.N, L_max=s.L_max, star_norm_kq=kq,
                                          norm_kq=q.traj.stage2["norm"], ugrad_Wstar=q.traj.stage2["ugrad_Wstar"],
                                          ops=q.ops, **kw)))
_family("Theorem 1", "7", "", ("A1", "A2", "A3", "t>=2"), _stage2(
    lambda q, s, t, kq, kw: stage2.theorem1(t, eta=s.eta, N=s.N, L_max=s.L_max, star_norm_kq=kq, ops=q.ops, **kw)))


def _theorem2(q, s, t, kq, kw):
    kw2 = dict(T=s.T, eta0=s.eta0, eta=s.eta, n_tokens=s.n_tokens, L_max=s.L_max, star_norm_ov=s.star_norm_ov,
               star_norm_kq=kq, ops=q.ops, **kw)
    return (list(theorem2(t, N=s.N, **kw2))
            + list(theorem2_direction_form(t, dir_err_kq=1.0 - q.traj.stage2["cos"], **kw2)))


_family("Theorem 2", "7", "Eq. (4)", ("A1", "A2", "A3"), _stage2(_theorem2))

"""The proof audit's measurements on a certified run: every quantity a ball around its exact value.

:func:`certified_measurements` turns a :class:`reference.certified.CertifiedTrajectory`
(Algorithm 1 in ball arithmetic, ``W*`` proved in rationals) into the
:class:`reference.theory.proofs.Measurements` of the audit, with the ball backend
:class:`reference.certified.BallOps`: the iterates are balls (paper coordinates),
``W*_ov`` and ``W*_kq`` are the exact rationals of the run taken as balls, and every
quantity of the catalogue is computed from them with the same code as in float64.
What a float run takes from outside the iteration is replaced (``ops.overrides``):

* the engine's gradients (``g1_engine``, ``log_norm_G1_engine``, ``g_engine``,
  ``log_norm_G_engine``): the ball evaluation of :mod:`reference.certified.evaluate`,
  an implementation independent of the measurement layer's Eq. (5) and Eq. (6);
* the :class:`reference.theory.setting.Setting`: the same structural facts, with the
  ``W*`` norms and the initial norms as balls (0 exactly for a zero initialisation);
* ``t0 = ceil(8 L_max ||W*_kq||^2 / eta)``: in exact rational arithmetic;
* ``eta0``, ``eta``: balls (a float is its binary value, exactly), so that ``eta0 ** 2`` is not
  rounded in float64 before it meets a ball;
* ``pi``: the sentence weights ``pi^(n)`` as exact fractions (the dataset's float64 weights are rounded);
* ``kq_dual``: the multipliers of Eq. (3) as the exact rationals of the run's ``W*_kq`` (Proposition 4's proof);
* ``engine``: not available (the float64 engine is no part of a certified run).

Everything is computed at the measurement precision ``prec`` (inside
``with view.K.precision():``, which :mod:`reference.audit.certified_verdicts` enters).
"""

import dataclasses
import math
import types
from fractions import Fraction

import numpy as np

from ..certified import BallOps, FlintBalls, stage1_eval, stage2_eval, UNDEFINED
from ..certified.ball_ops import ball_float
from ..theory.proofs import Measurements, Unavailable
from ..theory.setting import setting_of

__all__ = ["CertifiedView", "certified_measurements", "OVERRIDDEN"]


def _round(K, x):
    """A ball rounded outwards to the working precision (it still contains the exact value)."""
    return x * 1 if isinstance(x, K.arb) else x


def _array(K, M):
    """An object array of balls rounded to the working precision."""
    M = np.asarray(M, dtype=object)
    out = np.empty(M.shape, dtype=object)
    for idx, x in np.ndenumerate(M):
        out[idx] = _round(K, x)
    return out


class CertifiedView:
    """A certified run seen by the measurement layer as a trajectory (balls in paper coordinates).

    Build it inside ``with K.precision():`` of the measurement precision (``certified_measurements`` does).

    Parameters
    ----------
    ct : reference.certified.CertifiedTrajectory
        Kept with its iterates (``keep_iterates=True``) and with ``W*`` (``W_star=None``).
    K : reference.certified.FlintBalls
        The measurement precision.

    Attributes
    ----------
    config, stage1, stage2, W_ov_iterates, W_kq_iterates, W_ov, W_kq, W_ov_init, W_kq_init,
    W_ov_star, W_kq_star, star_norm_ov, star_norm_kq
        As on :class:`reference.training.Trajectory`, with balls (object arrays) for numbers;
        an undefined entry (None in the certified run) is :data:`reference.certified.UNDEFINED`.
    ct, K, inst
        The certified run, its ball library at the measurement precision and its instance.
    """

    def __init__(self, ct, K):
        if ct.B is None:
            raise Unavailable("the certified run kept no iterates (certified_ngd(..., keep_iterates=True))")
        self.ct, self.K, self.inst = ct, K, ct.inst
        c = ct.config
        T, T1 = int(c["T"]), int(c["T1"])
        self.config = {"eta0": c["eta0"], "eta": c["eta"], "T": T, "T1": T1, "n_stage1": T, "n_stage2": T1,
                       "init": c["init"], "prec": c["prec"]}
        self.stage1 = {k: self._series(v) for k, v in ct.stage1.items()}
        self.stage2 = {k: self._series(v) for k, v in ct.stage2.items()}
        self.W_ov_iterates = np.array([_array(K, ct.W_ov_iterate(t)) for t in range(T + 1)], dtype=object)
        self.W_kq_iterates = np.array([_array(K, ct.W_kq_iterate(t)) for t in range(T1 + 1)], dtype=object)
        self.W_ov, self.W_kq = self.W_ov_iterates[-1], self.W_kq_iterates[-1]
        self.W_ov_init, self.W_kq_init = self.W_ov_iterates[0], self.W_kq_iterates[0]
        if ct.star_ov is None or ct.star_kq is None:
            self.W_ov_star = self.W_kq_star = self.star_norm_ov = self.star_norm_kq = None
        else:
            ops = BallOps(K)
            Bs, As = (np.array(s.coords, dtype=object) for s in (ct.star_ov, ct.star_kq))
            self.W_ov_star, self.W_kq_star = self.inst.to_weights(ops.asarray(Bs), ops.asarray(As), zero=K.arb(0))
            self.star_norm_ov = ops.sqrt(ops.asarray(ct.star_ov.norm2))
            self.star_norm_kq = ops.sqrt(ops.asarray(ct.star_kq.norm2))
        self._engine = {}

    def _series(self, values):
        return np.array([UNDEFINED if x is None else _round(self.K, x) for x in values], dtype=object)

    # ---------------------------------------------------------------- the gradients, independently
    def engine_stage1(self, ops):
        """``(directions (T+1, |V|, d), log ||grad L_0|| (T+1,))`` from :func:`reference.certified.stage1_eval`."""
        if "1" not in self._engine:
            K, inst, E_T = self.K, self.inst, ops.asarray(self.inst.ds.vocab.E.T)
            dirs, logs = [], []
            for B in self.ct.B:
                ev = stage1_eval(K, inst, [[_round(K, x) for x in row] for row in B], grad=True)
                dirs.append(ops.matmul(np.array(ev["dir"], dtype=object), E_T))
                logs.append(ev["grad_norm"])
            self._engine["1"] = (np.array(dirs, dtype=object), ops.log(np.array(logs, dtype=object)))
        return self._engine["1"]

    def engine_stage2(self, ops):
        """``(directions (T1+1, d, d), log ||grad_W_kq L|| (T1+1,))`` from :func:`reference.certified.stage2_eval`."""
        if "2" not in self._engine:
            K, inst = self.K, self.inst
            E, E_T = ops.asarray(inst.ds.vocab.E), ops.asarray(inst.ds.vocab.E.T)
            B = [[_round(K, x) for x in row] for row in self.ct.B_final]
            dirs, logs = [], []
            for A in self.ct.A:
                ev = stage2_eval(K, inst, B, [[_round(K, x) for x in row] for row in A], grad=True)
                dirs.append(ops.matmul(ops.matmul(E, np.array(ev["dir"], dtype=object)), E_T))
                logs.append(ev["grad_norm"])
            self._engine["2"] = (np.array(dirs, dtype=object), ops.log(np.array(logs, dtype=object)))
        return self._engine["2"]

    def setting(self, ds, ops):
        """The run's :class:`~reference.theory.setting.Setting` with balls for ``||W*||`` and the initial norms."""
        c = self.config
        mid = (lambda x: 0.0 if x is None else ball_float(x.mid()))
        last = {k: mid(self.stage1[k][-1]) if self.stage1[k][-1] is not UNDEFINED else math.nan
                for k in ("margin_min", "margin_max", "norm")}
        stand_in = types.SimpleNamespace(          # the structural facts (and the report's EQM) of setting_of
            config={"eta0": float(c["eta0"]), "eta": float(c["eta"]), "T": c["T"]},
            star_norm_ov=mid(self.star_norm_ov), star_norm_kq=mid(self.star_norm_kq),
            stage1={k: [0.0, v] for k, v in last.items()}, stage2={"norm": [0.0]})
        s = setting_of(stand_in, ds)

        def init(W):
            return 0.0 if all(x.is_exact() and x.is_zero() for x in W.flat) else ops.norm(W)
        return dataclasses.replace(s, eta0=_exact_step(c["eta0"], ops), eta=_exact_step(c["eta"], ops),
                                   star_norm_ov=self.star_norm_ov, star_norm_kq=self.star_norm_kq,
                                   init_norm_ov=init(self.W_ov_init), init_norm_kq=init(self.W_kq_init))


def _exact_step(x, ops):
    """A step size as a ball: a float is its binary value exactly (so ``eta0 ** 2`` is computed on balls)."""
    return ops.asarray(x)


def _t0(q, ops):
    star = q.traj.ct.star_kq
    if star is None:
        raise Unavailable("t0 needs W*_kq (certified_ngd(..., W_star=None))")
    eta = q.traj.config["eta"]
    return int(math.ceil(Fraction(8 * q.L_max) * star.norm2 / Fraction(eta)))


def _kq_dual(q, ops):
    star = q.traj.ct.star_kq
    if star is None:
        raise Unavailable("the multipliers of Eq. (3) need W*_kq (certified_ngd(..., W_star=None))")
    return ops.asarray(np.array(star.dual, dtype=object))


def _no_engine(q, ops):
    raise Unavailable("the float64 training engine is no part of a certified run (its gradients are the "
                      "quantities g1_engine, g_engine and their norms)")


#: The quantities a certified run computes in its own way (module docstring).
OVERRIDDEN = {
    "setting": lambda q, ops: q.traj.setting(q.ds, ops),
    "eta0": lambda q, ops: _exact_step(q.traj.config["eta0"], ops),
    "eta": lambda q, ops: _exact_step(q.traj.config["eta"], ops),
    "t0": _t0,
    "pi": lambda q, ops: ops.asarray(np.array([s[2] for s in q.traj.inst.sentences], dtype=object)),
    "kq_dual": _kq_dual,
    "engine": _no_engine,
    "g1_engine": lambda q, ops: q.traj.engine_stage1(ops)[0],
    "log_norm_G1_engine": lambda q, ops: q.traj.engine_stage1(ops)[1],
    "g_engine": lambda q, ops: q.traj.engine_stage2(ops)[0],
    "log_norm_G_engine": lambda q, ops: q.traj.engine_stage2(ops)[1],
}


def certified_measurements(ct, ds, *, prec=None, run=""):
    """The proof audit's :class:`~reference.theory.proofs.Measurements` of a certified run, on balls.

    Parameters
    ----------
    ct : reference.certified.CertifiedTrajectory
        A run of :func:`reference.certified.certified_ngd` on ``ds`` with its iterates and ``W*``.
    ds : Dataset
    prec : int, optional
        Precision (bits) of the measurements; default the run's working precision. The iterates
        are rounded outwards to it (they still contain the exact iterates).
    run : str
        Label of the run.

    Returns
    -------
    Measurements
        With ``ops`` a :class:`reference.certified.BallOps` at ``prec`` (its ``K``); quantities
        are computed lazily and must be read inside ``with q.ops.K.precision():``.

    Raises
    ------
    Unavailable
        The run kept no iterates.
    MissingExtraError
        python-flint is not installed.
    """
    K = FlintBalls(int(prec) if prec is not None else ct.K.prec)
    ops = BallOps(K)
    ops.overrides = dict(OVERRIDDEN)
    with K.precision():
        view = CertifiedView(ct, K)
    return Measurements(view, ds, ops=ops, run=run)

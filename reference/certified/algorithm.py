"""Algorithm 1 in ball arithmetic: every iterate provably contains the exact iterate.

``W_ov^(t+1) = W_ov^(t) - eta0 grad L_0 / ||grad L_0||`` (``T`` steps), then
``W_kq^(t+1) = W_kq^(t) - eta grad_W_kq L / ||grad_W_kq L||`` (``T1`` steps)
with ``W_ov^(T)`` frozen (paper Section 4.2; docs/paper.md section 5), run on
balls in token coordinates (:mod:`reference.certified.instance`): the step
sizes and the initial weights are taken as exact numbers (a float64 is the
binary number it stores), and each operation's ball contains its exact result,
so by induction ``B^(t)`` and ``A^(t)`` contain the exact iterates of
Algorithm 1 from that initialisation. The balls widen along the run (each
step adds ``eta`` times the width of the direction, which grows with the
width of the iterate); :func:`reference.certified.precision.certify_with_precision`
reruns at a higher precision when they get too wide (docs/certified.md).
"""

import math
import numbers
from fractions import Fraction

import numpy as np

from ..data.dataset import Dataset
from ..data.validate import check_count
from ..errors import ConfigError
from ..training.progress import Progress
from .backend import DEFAULT_PREC, FlintBalls, PrecisionError
from .evaluate import frobenius2, inner, stage1_eval, stage2_eval
from .instance import Instance
from .kkt import certify_star, ExactStar
from .metrics import STAGE1_BALL_KEYS, STAGE2_BALL_KEYS, stage1_row, Stage2Rows
from .trajectory import CertifiedTrajectory

__all__ = ["certified_ngd"]


def _step(name, x):
    if isinstance(x, Fraction) and x > 0:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x <= 0:
        raise ConfigError(f"{name} must be a finite number > 0 (a float, taken exactly, or a Fraction), got {x!r}")
    return float(x)


def _stars(W_star):
    try:
        a, b = W_star
    except (TypeError, ValueError):
        raise ConfigError("W_star must be None, False or a pair (W*_ov, W*_kq) of ExactStar") from None
    for s, want in ((a, "ov"), (b, "kq")):
        if not isinstance(s, ExactStar) or s.problem != want:
            raise ConfigError(f"W_star: expected the ExactStar of problem {want!r} (certify_star), got {s!r}")
    return a, b


def _balls(K, M):
    return [[K.exact(float(x)) for x in row] for row in np.asarray(M, dtype=np.float64)]


def _exact_balls(K, coords):
    return [[K.exact(x) for x in row] for row in coords]


def _store(K, M, prec):
    """``M`` as an object array; with ``prec``, every ball rounded outwards to ``prec`` bits."""
    if prec is None:
        return np.array(M, dtype=object)
    ctx = K.flint.ctx
    old = ctx.prec
    ctx.prec = prec
    try:
        return np.array([[x * 1 for x in row] for row in M], dtype=object)
    finally:
        ctx.prec = old


def _direction(K, ev, where, what):
    """The unit direction of a ball evaluation, or an error: exactly zero gradient (ConfigError) or too wide."""
    nrm = ev["grad_norm"]
    if nrm.is_exact() and nrm == 0:
        raise ConfigError(f"{where}: {what} is exactly zero; the normalised step is undefined")
    if not K.gt0(nrm) or not all(K.finite(x) for row in ev["dir"] for x in row):
        raise PrecisionError(f"{where}: the ball of ||{what}|| is {nrm.str(5, radius=True)}, which "
                             f"contains 0 or is not finite at {K.prec} bits: rerun at a higher precision",
                             prec=K.prec)
    return ev["dir"]


def certified_ngd(ds, eta0, eta, T, T1, init="zero", *, prec=DEFAULT_PREC, W_star=None,
                  keep_iterates=True, iterate_prec=None, progress=None):
    """Algorithm 1 (Section 4.2) in ball arithmetic at ``prec`` bits: a :class:`CertifiedTrajectory`.

    Parameters
    ----------
    ds : Dataset
        Its embedding must be a coordinate embedding (e.g. the identity) and it must
        have a collocation (Assumption 1).
    eta0, eta : float or Fraction, > 0
        Step sizes; a float is the binary number it stores (``0.1`` is
        ``3602879701896397 / 2^55``), a Fraction is exact.
    T, T1 : int >= 0
        Iterations of stage 1 and stage 2.
    init : "zero" or (W_ov, W_kq)
        ``"zero"`` is the paper's; float arrays of shapes (abs(V), d) and (d, d) are taken as exact.
    prec : int >= 53
        Working precision in bits.
    W_star : None, False or (ExactStar, ExactStar)
        None proves ``W*_ov`` and ``W*_kq`` in rationals (:func:`certify_star`); False
        leaves the cosines and ``ugrad_*Wstar`` None.
    keep_iterates : bool
        Keep every ``B^(t)``, ``A^(t)`` (needed by :meth:`CertifiedTrajectory.distance`).
    iterate_prec : int, optional
        Round the kept iterates outwards to this many bits (saves memory on long runs; the
        balls still contain the exact iterates).
    progress : None or bool
        Progress line on stderr (None: only for runs longer than 2 s).

    Returns
    -------
    CertifiedTrajectory

    Raises
    ------
    MissingExtraError
        python-flint is not installed.
    PrecisionError
        A ball grew so wide that a gradient norm may be 0 (the step is then not
        defined on the whole ball): the message names the stage, ``t`` and the precision.
    ConfigError
        Bad settings, or a gradient that is exactly zero (proved).
    AssumptionError
        Not a coordinate embedding, or no collocation.
    WeightsError
        Initial weights of the wrong shape or not finite.

    Notes
    -----
    Serves every statement audited on a run of Algorithm 1 (Lemma 1 to Theorem 2).
    """
    if not isinstance(ds, Dataset):
        raise ConfigError(f"ds must be a Dataset, got {type(ds).__name__}")
    eta0, eta = _step("eta0", eta0), _step("eta", eta)
    T, T1 = check_count("T", T), check_count("T1", T1)
    K = FlintBalls(prec)
    inst = Instance(ds)
    V, d = inst.V, inst.d
    if isinstance(init, str) and init == "zero":
        W_ov0, W_kq0, kind = np.zeros((V, d)), np.zeros((d, d)), "zero"
    elif isinstance(init, (tuple, list)) and len(init) == 2 and not isinstance(init[0], str):
        W_ov0, W_kq0, kind = init[0], init[1], "given"
    else:
        raise ConfigError(f"init must be 'zero' or a pair (W_ov, W_kq) of float arrays, got {init!r}")
    B0, A0, P_ov, P_kq = inst.split(W_ov0, W_kq0)
    if W_star is None:
        W_star = (certify_star(ds, "ov"), certify_star(ds, "kq"))
    star_ov, star_kq = (None, None) if W_star is False else _stars(W_star)
    config = {"eta0": eta0, "eta": eta, "T": T, "T1": T1, "init": kind, "prec": K.prec, "N": ds.N,
              "n_tokens": V, "d": d, "backend": K.name}
    prog = Progress(f"certified Algorithm 1 ({K.prec} bits, |V|={V}, N={ds.N})", T + T1, enabled=progress)
    with K.precision():
        B, A = _balls(K, B0), _balls(K, A0)
        e0, e1 = K.exact(eta0), K.exact(eta)
        perp_ov = sum((K.exact(float(x)) ** 2 for x in np.ravel(P_ov)), K.zero)
        perp_kq = sum((K.exact(float(x)) ** 2 for x in np.ravel(P_kq)), K.zero)
        Bs = _exact_balls(K, star_ov.coords) if star_ov is not None else None
        As = _exact_balls(K, star_kq.coords) if star_kq is not None else None
        sn_ov = K.sqrt(K.exact(star_ov.norm2)) if star_ov is not None else None
        sn_kq = K.sqrt(K.exact(star_kq.norm2)) if star_kq is not None else None
        s1 = {k: [] for k in STAGE1_BALL_KEYS}
        s2 = {k: [] for k in STAGE2_BALL_KEYS}
        its1, its2 = ([], []) if keep_iterates else (None, None)
        for t in range(T + 1):
            last = t == T
            ev = stage1_eval(K, inst, B, grad=not last)
            u = None if last else _direction(K, ev, f"stage 1, t={t}", "grad L_0")
            row = stage1_row(K, ev, frobenius2(K, B), perp_ov, inner(K, B, Bs) if Bs else None, sn_ov,
                             B, Bs, u)
            for k in STAGE1_BALL_KEYS:
                s1[k].append(row[k])
            if keep_iterates:
                its1.append(_store(K, B, iterate_prec))
            if not last:
                B = [[b - e0 * g for b, g in zip(rb, rg)] for rb, rg in zip(B, u)]
            prog.tick(t, "certified stage 1")
        rows2 = Stage2Rows(K, inst)
        for t in range(T1 + 1):
            last = t == T1
            ev = stage2_eval(K, inst, B, A, grad=not last)
            u = None if last else _direction(K, ev, f"stage 2, t={t}", "grad_W_kq L")
            row = rows2.row(ev, A, frobenius2(K, A), perp_kq, As, sn_kq, u)
            for k in STAGE2_BALL_KEYS:
                s2[k].append(row[k])
            if keep_iterates:
                its2.append(_store(K, A, iterate_prec))
            if not last:
                A = [[a - e1 * g for a, g in zip(ra, rg)] for ra, rg in zip(A, u)]
            prog.tick(T + t, "certified stage 2")
        B_final, A_final = np.array(B, dtype=object), np.array(A, dtype=object)
    prog.close()
    return CertifiedTrajectory(config, K, inst, s1, s2, its1, its2, P_ov, P_kq, star_ov, star_kq,
                               sn_ov, sn_kq, B_final=B_final, A_final=A_final)

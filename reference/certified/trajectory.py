"""The record of a certified run: every iterate of Algorithm 1 and every quantity as a ball.

A :class:`CertifiedTrajectory` is the twin of :class:`reference.training.Trajectory`:
``stage1[key][t]`` and ``stage2[key][t]`` hold, for the same keys (see
:mod:`reference.certified.metrics`), a ball that provably contains the value of
that quantity at the *exact* iterate of Algorithm 1 from the exact
initialisation (``None`` where the float trajectory has nan). The iterates
themselves are kept in token coordinates (``B^(t)``, ``A^(t)``, numpy arrays of
balls) with the constant entries outside the span of ``E``.
"""

import math

import numpy as np

from ..errors import ConfigError

__all__ = ["CertifiedTrajectory"]


class CertifiedTrajectory:
    """Balls of every iterate and quantity of one run of Algorithm 1 (:func:`reference.certified.certified_ngd`).

    Attributes
    ----------
    config : dict
        eta0, eta (as given: floats are exact binary values, or fractions), T, T1,
        init ("zero" or "given"), prec (bits), N, n_tokens, d, backend.
    K : FlintBalls
        The ball operations (use ``with traj.K.precision():`` to compute with the balls).
    inst : Instance
    stage1 : dict of str -> list of ball or None
        ``t = 0..T``; keys :data:`reference.certified.metrics.STAGE1_BALL_KEYS`.
    stage2 : dict of str -> list of ball or None
        ``t = 0..T1`` (``W_ov = W_ov^(T)``); keys :data:`reference.certified.metrics.STAGE2_BALL_KEYS`.
    B, A : list of (abs(V), abs(V)) object arrays of balls, or None
        Token coordinates of ``W_ov^(t)`` (``t = 0..T``) and ``W_kq^(t)`` (``t = 0..T1``), kept
        with ``keep_iterates`` (rounded outwards to ``iterate_prec`` bits if given).
    B_final, A_final : (abs(V), abs(V)) object arrays of balls
        ``B^(T)`` and ``A^(T1)`` at the working precision.
    W_ov_perp, W_kq_perp : float arrays
        Entries of the initial weights outside the span of ``E`` (exact, constant).
    star_ov, star_kq : ExactStar or None
        ``W*_ov`` and ``W*_kq`` proved optimal in rationals (:func:`reference.certified.certify_star`).
    star_norm_ov, star_norm_kq : ball or None
        ``||W*_ov||``, ``||W*_kq||``.
    """

    def __init__(self, config, K, inst, stage1, stage2, B, A, W_ov_perp, W_kq_perp,
                 star_ov=None, star_kq=None, star_norm_ov=None, star_norm_kq=None, *, B_final, A_final):
        self.config = dict(config)
        self.K, self.inst = K, inst
        self.stage1, self.stage2 = stage1, stage2
        self.B, self.A = B, A
        self.B_final, self.A_final = B_final, A_final
        self.W_ov_perp, self.W_kq_perp = W_ov_perp, W_kq_perp
        self.star_ov, self.star_kq = star_ov, star_kq
        self.star_norm_ov, self.star_norm_kq = star_norm_ov, star_norm_kq

    def __repr__(self):
        c = self.config
        return (f"CertifiedTrajectory(T={c['T']}, T1={c['T1']}, prec={c['prec']}, "
                f"accuracy_bits={self.accuracy_bits():.0f})")

    # ------------------------------------------------------------------ iterates
    def _need_iterates(self):
        if self.B is None:
            raise ConfigError("this certified run kept no iterates (keep_iterates=False)")

    def W_ov_iterate(self, t):
        """``W_ov^(t)`` in paper coordinates, shape (abs(V), d), an object array of balls."""
        self._need_iterates()
        return self.inst.to_weights(self.B[t], self.A[0], self._perp_balls(self.W_ov_perp), None,
                                    zero=self.K.zero)[0]

    def W_kq_iterate(self, t):
        """``W_kq^(t)`` in paper coordinates, shape (d, d), an object array of balls."""
        self._need_iterates()
        return self.inst.to_weights(self.B[-1], self.A[t], None, self._perp_balls(self.W_kq_perp),
                                    zero=self.K.zero)[1]

    def _perp_balls(self, P):
        return np.array([self.K.exact(float(x)) for x in np.ravel(P)], dtype=object).reshape(np.shape(P))

    def distance(self, traj):
        """How far the float iterates of an ordinary run lie outside these balls, per stage.

        Parameters
        ----------
        traj : reference.training.Trajectory
            A run of the same setting with ``record="full"``.

        Returns
        -------
        dict
            ``"stage1"``, ``"stage2"``: float arrays of shape (T+1,), (T1+1,) with
            ``max_entries max(0, abs(float - mid) - rad)`` (0 where the float iterate is inside),
            and ``"float_dev1"``, ``"float_dev2"``: ``max abs(float - mid)`` per t.

        Raises
        ------
        ConfigError
            The float run kept no iterates, has other lengths, or this run kept none.
        """
        self._need_iterates()
        if traj.W_ov_iterates is None or len(traj.W_ov_iterates) != len(self.B) \
                or len(traj.W_kq_iterates) != len(self.A):
            raise ConfigError("distance() needs a float run of the same T and T1 with record='full'")
        K, inst = self.K, self.inst
        out = {}
        for stage, balls, floats in (("1", self.B, traj.W_ov_iterates), ("2", self.A, traj.W_kq_iterates)):
            excess, dev = np.zeros(len(balls)), np.zeros(len(balls))
            for t, X in enumerate(balls):
                F = floats[t][:, inst.rows] if stage == "1" else floats[t][np.ix_(inst.rows, inst.rows)]
                for (i, j), x in np.ndenumerate(X):
                    d = abs(F[i, j] - K.mid(x))
                    dev[t] = max(dev[t], d)
                    if not K.contains(x, float(F[i, j])):
                        excess[t] = max(excess[t], d - K.rad(x))
            out["stage" + stage], out["float_dev" + stage] = excess, dev
        return out

    # ------------------------------------------------------------------ widths
    def iterate_radius(self):
        """``(r1, r2)``: float arrays of the largest radius of an entry of ``B^(t)`` and of ``A^(t)``."""
        self._need_iterates()
        K = self.K
        return tuple(np.array([max((K.rad(x) for x in X.flat), default=0.0) for X in it])
                     for it in (self.B, self.A))

    def accuracy_bits(self):
        """The worst number of correct bits of a weight: ``-log2(max rad / max(1, max abs mid))`` over all iterates.

        Uses the last iterate of each stage when no iterates were kept (balls only widen
        along a run). ``-inf`` if a ball is not finite.
        """
        K = self.K
        sets = (self.B, self.A) if self.B is not None else ([self.B_final], [self.A_final])
        worst = math.inf
        for it in sets:
            for X in it:
                rad = max((K.log2_rad(x) for x in X.flat), default=-math.inf)
                if rad == math.inf:
                    return -math.inf
                scale = max([0.0] + [K.log2_abs_mid(x) for x in X.flat])
                worst = min(worst, scale - rad)
        return worst

    def midpoints(self, stage):
        """``{key: float array}`` of the balls' midpoints (nan for None), to set beside a float run.

        Parameters
        ----------
        stage : {1, 2}

        Raises
        ------
        ConfigError
            ``stage`` is not 1 or 2.
        """
        if stage not in (1, 2) or isinstance(stage, bool):
            raise ConfigError(f"stage must be 1 or 2, got {stage!r}")
        d = self.stage1 if stage == 1 else self.stage2
        return {k: np.array([np.nan if x is None else self.K.mid(x) for x in v]) for k, v in d.items()}

    def radii(self, stage):
        """``{key: float array}`` of the balls' radii (rounded up; nan for None).

        Raises
        ------
        ConfigError
            ``stage`` is not 1 or 2.
        """
        if stage not in (1, 2) or isinstance(stage, bool):
            raise ConfigError(f"stage must be 1 or 2, got {stage!r}")
        d = self.stage1 if stage == 1 else self.stage2
        return {k: np.array([np.nan if x is None else self.K.rad(x) for x in v]) for k, v in d.items()}

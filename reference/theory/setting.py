"""The setting of a run: the constants its statements are phrased in and Assumptions 1-3.

:func:`setting_of` reads them off a trajectory and its dataset for the statements of
:mod:`reference.theory.proofs` (evaluated by :func:`reference.audit.audit`); the assumptions come from
:func:`reference.structure.assumptions.check_assumptions`, and every failure is kept
(named) so the audit can say why a statement's conditions never hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from ..data.dataset import Dataset
from ..structure.assumptions import check_assumptions
from ..structure.orders import collocation, optimal_mask
from ..training.trajectory import Trajectory

#: Stage-1 margins count as equal (EQM) when they differ by at most EQM_ULPS ulps of ``||W_ov||``
#: (each margin is a difference of two logits of size <= ||W_ov||).
EQM_ULPS = 64
_EPS = float(np.finfo(np.float64).eps)

__all__ = ["Setting", "setting_of", "assumption3_holds", "EQM_ULPS"]


def assumption3_holds(ds: Dataset, In: ArrayLike | None = None) -> bool:
    """Assumption 3: ``|l(n)| >= #{l : x_l = x}`` for every sentence n and non-optimal token x.

    A sentence with no optimal position (``|l(n)| = 0``) fails it. The same
    verdict as the ``assumption3`` entry of
    :func:`reference.structure.assumptions.check_assumptions`, without its diagnostics.
    Serves Lemmas 5-7 and Theorems 1-3.

    Parameters
    ----------
    ds : Dataset
    In : int array, shape (|V|,), optional
        The collocation ``In`` if already computed.

    Returns
    -------
    bool

    Raises
    ------
    AssumptionError
        ``In`` not given and ``ds`` has no (injective) collocation.
    """
    In = collocation(ds) if In is None else In
    opt = optimal_mask(ds, In)
    for n, s in enumerate(ds.sentences):
        L = s.size
        k_opt = int(opt[n, :L].sum())
        counts = np.bincount(s[~opt[n, :L]], minlength=ds.vocab.n_tokens)
        if counts.max(initial=0) > k_opt:
            return False
    return True


@dataclass(frozen=True)
class Setting:
    """The constants and standing conditions a run's statements are phrased in.

    Attributes
    ----------
    n_tokens, N, L_max : int
        ``|V|``, number of distinct sentences, longest sentence.
    star_norm_ov, star_norm_kq : float
        ``||W*_ov||`` (Eq. 2) and ``||W*_kq||`` (Eq. 3) of the trajectory's certified solutions.
    eta0, eta : float
        Steps of the two stages.
    T : int
        Stage-1 iterations.
    init_norm_ov, init_norm_kq : float
        ``||W_ov^(0)||`` and ``||W_kq^(0)||``.
    assumption1, assumption2, assumption3 : bool
        Assumptions 1-3 (Section 4.1); ``assumption3`` also requires Assumption 1.
    prefix_closed : bool
        ``D_0`` is prefix closed (Section 4.1), as ``check_assumptions`` reports it.
    equal_margins : bool
        EQM: every stage-1 margin of ``W_ov^(T)`` is the same (to :data:`EQM_ULPS` ulps of
        ``||W_ov^(T)||``), the premise of Lemma 4 and of the stage-2 proofs (p.18).
    failed : tuple of str
        One line per violation of an assumption (from
        :func:`reference.structure.assumptions.check_assumptions`, naming sentence and tokens):
        why the conditions of the statements that need it never hold.
    """

    n_tokens: int
    N: int
    L_max: int
    star_norm_ov: float
    star_norm_kq: float
    eta0: float
    eta: float
    T: int
    init_norm_ov: float
    init_norm_kq: float
    assumption1: bool
    assumption2: bool
    assumption3: bool
    failed: tuple[str, ...] = ()
    prefix_closed: bool = False
    equal_margins: bool = False

    @property
    def zero_init(self) -> bool:
        """Both stages start from zero (``||W_ov^(0)|| = ||W_kq^(0)|| = 0``)."""
        return self.init_norm_ov == 0.0 and self.init_norm_kq == 0.0


def setting_of(traj: Trajectory, ds: Dataset) -> Setting:
    """The :class:`Setting` of a trajectory of Algorithm 1 on ``ds``: constants and Assumptions 1-3.

    The assumptions come from :func:`reference.structure.assumptions.check_assumptions`
    (Assumption 1: collocation, strict orders, no confused token; 2: orthonormal
    embeddings; 3: as :func:`assumption3_holds`); every failure is kept in
    ``Setting.failed``. Serves every statement (their standing conditions).

    Parameters
    ----------
    traj : Trajectory
        A run of :func:`reference.training.algorithm.two_stage_ngd` on ``ds``.
    ds : Dataset

    Returns
    -------
    Setting
    """
    c = traj.config
    report = check_assumptions(ds)
    ok = {e.name: e.ok for e in report.entries}
    a1 = ok["collocation"] and ok["strict_order"] and ok["no_confused"]
    failed = tuple(f"Assumption {e.assumption} fails ({e.name}): {m}" for e in report.entries
                   if not e.ok and not e.informational for m in e.details)
    lo, hi, nrm = (float(traj.stage1[k][-1]) for k in ("margin_min", "margin_max", "norm"))
    equal_margins = bool(math.isfinite(lo) and math.isfinite(hi) and hi - lo <= EQM_ULPS * _EPS * nrm)
    return Setting(n_tokens=ds.vocab.n_tokens, N=ds.N, L_max=ds.L_max, star_norm_ov=traj.star_norm_ov,
                   star_norm_kq=traj.star_norm_kq, eta0=float(c["eta0"]), eta=float(c["eta"]), T=int(c["T"]),
                   init_norm_ov=float(traj.stage1["norm"][0]), init_norm_kq=float(traj.stage2["norm"][0]),
                   assumption1=a1, assumption2=ok["orthonormal"], assumption3=a1 and ok["assumption3"],
                   failed=failed, prefix_closed=ok["prefix_closed"], equal_margins=equal_margins)

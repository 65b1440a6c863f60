"""Audit rows of Section 6: Proposition 2's closed form and Theorem 3's linear gaps.

- Proposition 2: the printed closed form against the certified solution of Eq. (3)
  (erratum ``proposition2``) and the corrected statement (exact iff
  :func:`reference.maxmargin.prop2_condition`).
- Theorem 3: ``(x* - x0)^T W_kq^(t) x_q >= C t`` and ``(x0 - x)^T W_kq^(t) x_q >= C t``
  with ``C > 0``: the measured ``C = min gap(t)/t`` over the second half of stage 2.
  The theorem holds for ``t = Omega(log 1/eps)`` with an unstated constant, so a
  finite run cannot refute it: informational (``python -m reference generalize``
  measures it on many datasets).

Both are statement families of :data:`reference.theory.proofs.REGISTRY`
(:mod:`reference.theory.proofs.statements_extra`); the functions here give their rows
for one run.
"""

from ..theory.proofs import Measurements, REGISTRY
from ..theory.proofs.statements_extra import PROP2_TOL, RATE_WINDOW_THM3
from ..theory.section6 import theorem3_gap
from .statements import scalar_rows

__all__ = ["PROP2_TOL", "RATE_WINDOW_THM3", "proposition2_rows", "theorem3_rows", "theorem3_gap"]


def _rows(key, traj, ds, s, run):
    q = Measurements(traj, ds, run=run)
    q._cache["setting"] = s
    return scalar_rows(next(e for e in REGISTRY.statements(extra=True) if e.key == key), q, run)


def proposition2_rows(traj, ds, s, run=""):
    """Proposition 2's closed form against the certified ``W*_kq``: printed and corrected rows.

    Parameters
    ----------
    traj : Trajectory
    ds : Dataset
    s : Setting
    run : str

    Returns
    -------
    list of AuditRow
        The printed row and the corrected row (see
        :func:`reference.theory.proofs.statements_extra.proposition2_scalars`).
    """
    return _rows("Proposition 2", traj, ds, s, run)


def theorem3_rows(traj, ds, s, run=""):
    """Theorem 3: measured ``C = min gap(t)/t`` over the second half of stage 2, for both gaps.

    Parameters
    ----------
    traj : Trajectory
    ds : Dataset
    s : Setting
    run : str

    Returns
    -------
    list of AuditRow
        One informational row per gap (see :func:`reference.theory.proofs.statements_extra.theorem3_scalars`).
    """
    return _rows("Theorem 3", traj, ds, s, run)

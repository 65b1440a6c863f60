"""Audit rows that are not one inequality per iterate: rates, Proposition 2 and Theorem 3.

The rows themselves are statement families of :data:`reference.theory.proofs.REGISTRY`
(:mod:`reference.theory.proofs.statements_extra`: Proposition 1's loss exponent and
direction rate, Theorem 1's direction rate, Proposition 2, Theorem 3), evaluated by
:func:`reference.audit.audit`; :func:`extra_rows` gathers them for one run. The
estimator and its window are :mod:`reference.theory.rates`.
"""

from ..theory.proofs import Measurements, REGISTRY
from ..theory.rates import DIR_ERR_FLOOR, fit_slope, RATE_WINDOW
from .statements import scalar_rows

__all__ = ["RATE_WINDOW", "DIR_ERR_FLOOR", "fit_slope", "extra_rows"]


def extra_rows(traj, ds, s, run=""):
    """Rate rows (Proposition 1, Theorem 1), Proposition 2 and Theorem 3 for one run.

    Parameters
    ----------
    traj : Trajectory
    ds : Dataset
    s : Setting
        ``reference.audit.setting_of(traj, ds)``.
    run : str
        Label of the run.

    Returns
    -------
    list of AuditRow
    """
    q = Measurements(traj, ds, run=run)
    q._cache["setting"] = s
    return [r for entry in REGISTRY.statements(extra=True) for r in scalar_rows(entry, q, run)]

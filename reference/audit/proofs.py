"""The proof audit of one run: every statement row and every proof step of the registry, as step rows.

``audit_proofs(traj, ds)`` iterates :data:`reference.theory.proofs.REGISTRY`: the
statement families (the rows of :func:`reference.audit.audit`, with the same
verdicts) and every proof step, judged by :func:`reference.audit.verdicts.judge`.
The trajectory must be recorded with ``record="full"`` for the steps that read the
iterates (otherwise they are n/a, with the reason). Nothing here names a step:
a step added to the registry is audited.
"""

import numpy as np

from ..theory.proofs import FLOAT64, Measurements, QUANTITIES, REGISTRY
from .chains import ProofTable
from .statements import _row, scalar_rows
from .table import AuditRow
from .verdicts import judge, StepRow

__all__ = ["statement_rows", "audit_proofs"]


def _as_step_row(r, entry, stage, series=None):
    """A statement row (AuditRow) as a StepRow of kind ``"S"`` (verdict from ``holds``)."""
    base = {f: getattr(r, f) for f in AuditRow.__dataclass_fields__}
    verdict = "n/a" if r.holds is None else "holds" if r.holds else "fails"
    why = r.note if r.holds is None else ""
    return StepRow(**base, key=r.name, kind="S", page=entry.page, equation=entry.equation, stage=stage,
                   relation=r.printed, conditions_stated=entry.stated, n_iterates=0 if series is None
                   else len(series["t"]), verdict=verdict, why=why, tolerance="RTOL", series=series)


def statement_rows(q, run="", registry=REGISTRY):
    """Every statement family's rows on the run ``q``, as :class:`StepRow` (kind ``"S"``).

    The same rows, in the same order and with the same verdicts, as
    :func:`reference.audit.audit`; per-iterate rows also carry their series.

    Parameters
    ----------
    q : Measurements
    run : str
    registry : Registry

    Returns
    -------
    list of StepRow
    """
    s = q.setting
    note = "; ".join(s.failed)
    note2 = "; ".join(s.failed + (("W*_kq = 0 (no ordered pair): the stage-2 statements do not apply",)
                                  if s.star_norm_kq <= 0 else ()))
    out = []
    for entry in registry.statements(extra=False):
        for b in entry.evaluate(q):
            stage = QUANTITIES[b.field].stage
            r = _row(b, q, run, note if stage == 1 else note2)
            n = len(np.atleast_1d(b.value))
            try:
                m = np.asarray(q[b.field], dtype=np.float64)
            except Exception:                        # Unavailable: the row is n/a, its note says why
                m = np.full(n, np.nan)
            bound = np.asarray(b.value, dtype=np.float64)
            cond = np.broadcast_to(np.asarray(b.conditions, dtype=bool), (n,))
            defined = np.isfinite(m) & np.isfinite(bound)
            lo, hi = QUANTITIES[b.field].range
            with np.errstate(invalid="ignore"):
                vac = (bound >= hi) if b.sense == "<=" else (bound <= lo)
            series = dict(t=np.arange(n), measured=m, bound=bound, stated=cond, all=cond, defined=defined,
                          vacuous=vac)
            row = _as_step_row(r, entry, stage, series)
            checked = cond & defined
            row.n_vacuous = int((vac & checked).sum())
            row.vacuous = bool(checked.any() and vac[checked].all())
            row.value_range = (float(lo), float(hi))
            out.append(row)
    for entry in registry.statements(extra=True):
        out.extend(_as_step_row(r, entry, 0) for r in scalar_rows(entry, q, run))
    return out


def audit_proofs(traj, ds, *, run="", q=None, ops=FLOAT64, registry=REGISTRY, steps=True):
    """Audit every statement and proof step of ``registry`` on one run: a :class:`ProofTable`.

    Parameters
    ----------
    traj : Trajectory
        A run of :func:`reference.training.algorithm.two_stage_ngd` on ``ds``, recorded with
        ``record="full"`` (the steps read the iterates).
    ds : Dataset
    run : str
        Label of the run.
    q : Measurements, optional
        The run's measurements if already built.
    ops : backend
        Numeric backend of the checks (float64).
    registry : Registry
        :data:`reference.theory.proofs.REGISTRY` by default.
    steps : bool
        Also judge the proof steps (False: the statement rows only).

    Returns
    -------
    ProofTable
        The statement rows, then one row per step, in registration order.
    """
    q = Measurements(traj, ds, run=run, ops=ops) if q is None else q
    rows = statement_rows(q, run, registry)
    if steps:
        rows += [judge(s, q, run=run, ops=ops) for s in registry.steps()]
    return ProofTable(rows)

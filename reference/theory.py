"""Every statement of the paper as an executable check (DESIGN.md layer ``theory``).

A facade over the modules that implement it:

* :mod:`reference.theory_constants` (the :class:`Bound` record, the named
  constants, the three different ``C_0`` of the paper, ``C_1``, the Library rule
  on ``t >= K log^p t``), :mod:`reference.theory_bounds` (stage 1),
  :mod:`reference.theory_stage2` (stage 2) and :mod:`reference.theory_section6`
  (Proposition 2): one pure function per statement of PAPER.md section 7
  (Lemma 1, Proposition 1, Lemma 3, Corollary 1, Lemma 5, Lemma 6, Lemma 7,
  Theorem 1, Theorem 2, Proposition 2, Theorem 3).
* :mod:`reference.audit` (+ :mod:`reference.audit_extra`): ``audit(traj, ds)``,
  the table of measured value, bound, slack and verdict per statement and
  quantity; known errata (``ERRATA``, docs/theory.md) keep their row and their
  corrected statement decides.
"""

from .audit import (ATOL, ERRATA, MEASURES, RTOL, AuditRow, AuditTable, Setting,  # noqa: F401
                    assumption3_holds, audit, bounds_for, evaluate, setting_of)
from .audit_extra import extra_rows, fit_slope, scalar_row  # noqa: F401
from .theory_bounds import *  # noqa: F401,F403
from .theory_bounds import __all__ as _bounds_all
from .theory_stage2 import *  # noqa: F401,F403
from .theory_stage2 import __all__ as _stage2_all

__all__ = list(_bounds_all) + list(_stage2_all) + [
    "ATOL", "ERRATA", "MEASURES", "RTOL", "AuditRow", "AuditTable", "Setting", "assumption3_holds", "audit",
    "bounds_for", "evaluate", "setting_of", "extra_rows", "fit_slope", "scalar_row"]

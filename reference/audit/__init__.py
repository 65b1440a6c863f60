"""Every statement of :mod:`reference.theory` evaluated on real trajectories.

``audit(traj, ds)`` returns an :class:`AuditTable`: per statement and quantity
the worst and the final iterate, the slack and the verdict, with the paper's
known errata marked and their corrected statements deciding.
"""

from .rates import DIR_ERR_FLOOR, extra_rows, fit_slope, RATE_WINDOW
from .section6 import PROP2_TOL, proposition2_rows, RATE_WINDOW_THM3, theorem3_gap, theorem3_rows
from .setting import assumption3_holds, Setting, setting_of
from .statements import ATOL, audit, bounds_for, ERRATA, evaluate, MEASURES, ROUND_ULPS, RTOL
from .table import AuditRow, AuditTable, scalar_row

__all__ = ["Setting", "setting_of", "assumption3_holds", "AuditRow", "AuditTable", "scalar_row",
           "PROP2_TOL", "RATE_WINDOW_THM3", "proposition2_rows", "theorem3_rows", "theorem3_gap",
           "RATE_WINDOW", "DIR_ERR_FLOOR", "fit_slope", "extra_rows", "RTOL", "ATOL", "ROUND_ULPS",
           "MEASURES", "ERRATA", "evaluate", "bounds_for", "audit"]

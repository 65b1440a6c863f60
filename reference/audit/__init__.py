"""Every statement and proof step of :mod:`reference.theory` evaluated on real trajectories.

``audit(traj, ds)`` returns an :class:`AuditTable`: per statement and quantity
the worst and the final iterate, the slack and the verdict, with the paper's
known errata marked and their corrected statements deciding.
``audit_proofs(traj, ds)`` adds every proof step of the registry
(:data:`reference.theory.proofs.REGISTRY`), judged by :func:`judge` (holds, holds
only under an unstated condition, fails, n/a), in a :class:`ProofTable` whose
:meth:`~ProofTable.chains` give each statement's proof chain and its headline.
``certified_audit(certified_measurements(ct, ds))`` decides the same rows rigorously on the
balls of a certified run (proved, refuted, undecided, n/a; docs/certified.md).
"""

from .certified import CertifiedView, certified_measurements, OVERRIDDEN
from .certified_report import CertifiedTable, compare_with_float, FAR
from .certified_row import CERT_VERDICTS, CertifiedRow
from .certified_verdicts import certified_audit, certified_statement_rows, judge_certified
from .chains import ChainSummary, chain_verdict, ProofTable, RANK
from .proofs import audit_proofs, statement_rows
from .rates import DIR_ERR_FLOOR, extra_rows, fit_slope, RATE_WINDOW
from .report import CATEGORIES, CATEGORY_LEGEND, category, Column, count, counts_line, Document, Figure, Section, Table
from .report_files import to_html, to_markdown, write_reports
from .report_text import terminal_width, to_text
from .thresholds import Need, never_headline, standing_headlines, statement_needs
from .section6 import PROP2_TOL, proposition2_rows, RATE_WINDOW_THM3, theorem3_gap, theorem3_rows
from .setting import assumption3_holds, Setting, setting_of
from .statements import ATOL, audit, bounds_for, ERRATA, evaluate, MEASURES, ROUND_ULPS, RTOL, scalar_rows
from .table import AuditRow, AuditTable, scalar_row
from .verdicts import ID_RTOL, judge, StepRow, VERDICTS

__all__ = ["Setting", "setting_of", "assumption3_holds", "AuditRow", "AuditTable", "scalar_row",
           "PROP2_TOL", "RATE_WINDOW_THM3", "proposition2_rows", "theorem3_rows", "theorem3_gap",
           "RATE_WINDOW", "DIR_ERR_FLOOR", "fit_slope", "extra_rows", "RTOL", "ATOL", "ROUND_ULPS",
           "MEASURES", "ERRATA", "evaluate", "bounds_for", "scalar_rows", "audit", "ID_RTOL", "VERDICTS", "StepRow",
           "judge", "ProofTable", "ChainSummary", "chain_verdict", "RANK", "statement_rows", "audit_proofs",
           "CertifiedView", "certified_measurements", "OVERRIDDEN", "CertifiedRow", "judge_certified",
           "certified_statement_rows", "certified_audit", "CERT_VERDICTS", "CertifiedTable", "compare_with_float", "FAR",
           "CATEGORIES", "CATEGORY_LEGEND", "category", "count", "counts_line", "Column", "Table", "Figure", "Section",
           "Document", "to_text", "terminal_width", "to_markdown", "to_html", "write_reports", "Need",
           "statement_needs", "never_headline", "standing_headlines"]

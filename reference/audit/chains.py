"""Proof chains: every step row of a statement, per run, and the headline of the chain.

A statement's chain is its proof steps in the paper's order (a tree through each
step's ``follows``) followed by the statement's own rows. Per run its verdict is

``fails``
    a step the library asserts fails where all its conditions hold (the first such
    step in the chain's order is the headline);
``holds-unstated``
    no asserted step fails, but one holds only under a condition the paper does not state;
``holds``
    every step holds where its stated conditions hold (printed relations recorded as
    false fail as recorded and do not count);
``n/a``
    nothing was checkable.

Over several runs the worst verdict wins (fails, then holds-unstated, then holds,
then n/a); :class:`ProofTable` holds the rows and writes them as text, CSV, JSON and
the per-iterate series as ``.npz``.
"""

import math
from dataclasses import dataclass, field, fields

import numpy as np

from ..theory.proofs import REGISTRY
from .rows_io import emit, rows_csv, rows_json
from .table import AuditTable
from .verdicts import StepRow

__all__ = ["ChainSummary", "ProofTable", "chain_verdict", "RANK"]

#: Order of the verdicts, worst first.
RANK = {"fails": 0, "holds-unstated": 1, "holds": 2, "n/a": 3}


@dataclass
class ChainSummary:
    """The chain of one statement over the runs of a table.

    Attributes
    ----------
    statement : str
    verdict : str
        Worst over the runs (see the module docstring).
    headline : StepRow or None
        The first step (in the chain's order) that decides the verdict, on the run where it is worst.
    runs : dict
        Run -> that run's chain verdict.
    n_steps : int
        Steps registered for the statement.
    statement_verdict : str
        Of the statement's own deciding rows: "holds", "violated" or "n/a".
    recorded : list of str
        Keys of printed relations recorded as false that fail on some run (as recorded).
    recorded_never_fail : list of str
        Keys of printed relations recorded as false that fail on no run (the evidence is elsewhere).
    informational : int
        Rows that never decide and are not recorded false (rates, Theorem 3's constants).
    never_checked : list of str
        Keys of asserted steps that are n/a on every run (their conditions never held).
    """

    statement: str
    verdict: str
    headline: object
    runs: dict
    n_steps: int
    statement_verdict: str
    recorded: list = field(default_factory=list)
    recorded_never_fail: list = field(default_factory=list)
    informational: int = 0
    never_checked: list = field(default_factory=list)

    def line(self):
        """One line: the statement, its chain verdict and the first failing (or conditional) step."""
        h = self.headline
        if self.verdict == "fails":
            text = (f"FAILS at {h.key} (run {h.run!r}, t = {h.t_first_fail}: measured {h.measured_first_fail:.6g}, "
                    f"claimed {h.sense} {h.bound_first_fail:.6g})")
        elif self.verdict == "holds-unstated":
            text = (f"holds only under {', '.join(h.unstated_needed)}, not stated by the paper: {h.key} fails "
                    f"without it (run {h.run!r}, t = {h.t_first_fail})")
        elif self.verdict == "holds":
            n = sum(v == "holds" for v in self.runs.values())
            text = f"holds on {n} of {len(self.runs)} runs" + (" (n/a on the others)" if n < len(self.runs) else "")
        elif self.informational:
            text = f"no asserted row is checkable; {self.informational} informational rows"
        else:
            text = "n/a on every run"
        extra = f"; statement {self.statement_verdict}" if self.statement_verdict != "n/a" else ""
        if self.never_checked:
            extra += f"; never checkable here: {', '.join(self.never_checked)}"
        if self.recorded:
            extra += f"; printed forms recorded false fail as recorded: {', '.join(self.recorded)}"
        return f"{self.statement:<16} {self.n_steps:>3} steps  {text}{extra}"


def chain_verdict(rows):
    """``(verdict, headline row)`` of one statement's rows on one run (in the chain's order)."""
    asserted = [r for r in rows if r.decides]
    for verdict in ("fails", "holds-unstated", "holds"):
        hit = [r for r in asserted if r.verdict == verdict]
        if hit:
            return verdict, hit[0]
    return "n/a", None


class ProofTable(AuditTable):
    """The step rows (:class:`~reference.audit.verdicts.StepRow`) of one or more runs.

    Parameters
    ----------
    rows : iterable of StepRow
    """

    def to_dicts(self):
        """The rows as dicts, without the per-iterate ``series`` (tuples as lists)."""
        out = []
        for r in self.rows:
            d = {f.name: getattr(r, f.name) for f in fields(StepRow) if f.name != "series"}
            out.append({k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()})
        return out

    def to_csv(self, path=None):
        """The rows as CSV (lists joined by ``;``, condition counts as ``name=n``); written to ``path`` if given."""
        names = [f.name for f in fields(StepRow) if f.name != "series"]
        return emit(rows_csv(self.to_dicts(), names), path, newline="")

    def to_json(self, path=None):
        """The rows as a JSON list (nan -> null); written to ``path`` if given, else returned."""
        text = rows_json(self.to_dicts())
        return text if path is None else emit(text + "\n", path)

    def series_arrays(self):
        """``{"run::key::name": array}`` of every row's per-iterate series (for ``numpy.savez``)."""
        out = {}
        for r in self.rows:
            for name, a in (r.series or {}).items():
                if a is not None:
                    out[f"{r.run}::{r.key}::{name}"] = np.asarray(a)
        return out

    def to_text(self):
        """A fixed-width table: run, step, verdict, worst (or first failing) iterate, measured, bound."""
        def g(x):
            return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.4g}"
        head = f"{'run':<28} {'statement':<14} {'step':<24} {'verdict':<15} {'t':>6} {'measured':>11} {'bound':>11}"
        lines = [head, "-" * len(head)]
        for r in self.rows:
            failed = r.t_first_fail is not None
            t, m, b = ((r.t_first_fail, r.measured_first_fail, r.bound_first_fail) if failed else
                       (r.t_worst, r.measured_worst, r.bound_worst))
            v = r.verdict + (" [recorded]" if r.erratum else "")
            lines.append(f"{r.run[:28]:<28} {r.statement[:14]:<14} {r.key[:24]:<24} {v:<15} {t!s:>6} {g(m):>11} "
                         f"{g(b):>11}")
        return "\n".join(lines)

    def chains(self, registry=REGISTRY):
        """One :class:`ChainSummary` per statement with rows in the table, in the paper's order."""
        runs = list(dict.fromkeys(r.run for r in self.rows))
        out = []
        for name in registry.statement_names():
            mine = [r for r in self.rows if r.statement == name]
            if not mine:
                continue
            per_run, best = {}, None
            for run in runs:
                v, h = chain_verdict([r for r in mine if r.run == run])
                per_run[run] = v
                if best is None or RANK[v] < RANK[best[0]]:
                    best = (v, h)
            st = [r for r in mine if r.kind == "S" and r.decides]
            sv = ("violated" if any(r.holds is False for r in st) else
                  "holds" if any(r.holds for r in st) else "n/a")
            rec = [r for r in mine if r.erratum and r.kind != "S"]
            failing = list(dict.fromkeys(r.key for r in rec if r.verdict == "fails"))
            never = [k for k in dict.fromkeys(r.key for r in rec) if k not in failing]
            info = sum(1 for r in mine if not r.decides and not r.erratum)
            steps = [r for r in mine if r.kind != "S" and r.decides]
            unchecked = [k for k in dict.fromkeys(r.key for r in steps)
                         if all(r.verdict == "n/a" for r in steps if r.key == k)]
            out.append(ChainSummary(name, best[0], best[1], per_run, len(registry.steps(statement=name)), sv,
                                    failing, never, info, unchecked))
        return out

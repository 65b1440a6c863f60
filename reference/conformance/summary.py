"""What :func:`reference.conformance.check` found, as a report: rows per output, the two regimes, a grid.

A :class:`Report` holds one :class:`reference.conformance.Entry` per function,
output and case (or run, or dataset). Its summary has one row per checked
output (the two gradients of ``grad_loss`` and the two iterate sequences of
``two_stage_ngd`` get a row each) with the ordinary and the saturated cases
counted apart, so a correct implementation that is not built for saturation
reads "not saturation-safe" rather than one lumped FAIL; a grid by dataset and
case family shows a pattern ("fails only at scale 1000") at a glance; the
failing entries follow, each with its hint.
"""

from dataclasses import asdict

from .golden_file import jsonable

__all__ = ["Report", "COLUMNS"]

#: Grid columns in order: case families, runs of Algorithm 1, the max-margin solutions.
COLUMNS = ("random/1", "random/10", "random/1000", "aligned/1", "aligned/10", "aligned/1000", "run short",
           "run long", "W*")


def _tol_text(output, atol, rtol):
    from .report import RAW_GRADIENTS
    if output in RAW_GRADIENTS:
        return f"{rtol:.0e} rel to norm"
    return f"{atol:.0e} + {rtol:.0e} rel" if rtol else f"{atol:.0e}"


def _count(es):
    return sum(e.ok for e in es), len(es)


class Report:
    """What :func:`reference.conformance.check` found: one :class:`Entry` per function, output and case.

    Serves the definitions of Sections 3-5 (model, Eq. 1-3, 5, 6, Algorithm 1) as another
    implementation computes them.

    Attributes
    ----------
    entries : tuple of Entry
    skipped : tuple of str
        Functions of :data:`reference.conformance.FUNCTIONS` the implementation does not provide.
    deselected : tuple of str
        Functions it provides that were left out by ``check(..., functions=...)``.
    golden : dict
        Where the cases came from: ``source`` (file or "generated"), ``seed``, ``checksum``,
        ``format``, ``version``, and the ``selection`` of cases.
    cases : list of dict
        Metadata of every case and run checked (name, dataset, family, scale, regime, about).
    """

    def __init__(self, entries, skipped, deselected=(), *, golden=None, cases=()):
        self.entries, self.skipped, self.deselected = tuple(entries), tuple(skipped), tuple(deselected)
        self.golden, self.cases = dict(golden or {}), list(cases)

    @property
    def ok(self):
        """True when at least one entry exists and every entry passed."""
        return bool(self.entries) and all(e.ok for e in self.entries)

    @property
    def verdict(self):
        """"pass", "not saturation-safe" (every ordinary entry passes, a saturated one fails) or "fail"."""
        if self.ok:
            return "pass"
        ordinary = [e for e in self.entries if e.regime == "ordinary"]
        if ordinary and all(e.ok for e in ordinary):
            return "not saturation-safe"
        return "fail"

    def failures(self):
        """The entries that did not pass (status "fail" or "error"), in the order checked."""
        return [e for e in self.entries if not e.ok]

    def functions(self):
        """``{function: (n_passed, n_entries, worst error/tolerance ratio)}`` over the checked functions."""
        out = {}
        for e in self.entries:
            p, n, w = out.get(e.function, (0, 0, 0.0))
            out[e.function] = (p + e.ok, n + 1, max(w, e.ratio))
        return out

    def tolerances(self):
        """``{function: "atol + rtol rel"}``: the stated tolerance(s) each checked function was held to."""
        out = {}
        for e in self.entries:
            t = _tol_text(e.output, e.atol, e.rtol)
            if t not in out.setdefault(e.function, []):
                out[e.function].append(t)
        return {f: "; ".join(ts) for f, ts in out.items()}

    def rows(self):
        """One row per checked (function, output): passed counts per regime, worst ratio, tolerance, verdict.

        Returns
        -------
        list of dict
            ``{"function", "output", "ordinary": (passed, n), "saturated": (passed, n), "worst",
            "tolerance", "verdict"}``; ``verdict`` is "ok", "not saturation-safe" or "FAIL".
        """
        groups = {}
        for e in self.entries:
            groups.setdefault((e.function, e.output), []).append(e)
        rows = []
        for (f, o), es in groups.items():
            od = _count([e for e in es if e.regime == "ordinary"])
            sa = _count([e for e in es if e.regime == "saturated"])
            verdict = "ok" if all(e.ok for e in es) else (
                "not saturation-safe" if od[0] == od[1] and od[1] else "FAIL")
            rows.append({"function": f, "output": o, "ordinary": od, "saturated": sa,
                         "worst": max(e.ratio for e in es), "tolerance": _tol_text(o, es[0].atol, es[0].rtol),
                         "verdict": verdict})
        return rows

    def grid(self):
        """``{dataset: {column: (n_failed, n_entries)}}`` over :data:`COLUMNS` (dataset x case family)."""
        out = {}
        for e in self.entries:
            cell = out.setdefault(e.dataset, {}).setdefault(e.column, [0, 0])
            cell[0] += not e.ok
            cell[1] += 1
        return {d: {c: tuple(v) for c, v in cols.items()} for d, cols in out.items()}

    def grid_text(self):
        """The grid as text: failing entries per dataset and case family ("." all pass, "-" none checked)."""
        g = self.grid()
        cols = [c for c in COLUMNS if any(c in row for row in g.values())]
        if not cols:
            return ""
        width = max([len(d) for d in g] + [7])
        head = f"{'dataset':<{width}}  " + " ".join(f"{c:>{max(len(c), 5)}}" for c in cols)
        lines = ["failing entries by dataset and case family (. = all pass, - = none checked):", head]
        for d, row in g.items():
            cells = []
            for c in cols:
                bad, n = row.get(c, (0, 0))
                cells.append(f"{('-' if n == 0 else '.' if bad == 0 else str(bad)):>{max(len(c), 5)}}")
            lines.append(f"{d:<{width}}  " + " ".join(cells))
        return "\n".join(lines)

    def summary(self, failures=8):
        """A plain-text report: one row per output, the grid, then the first failing entries with hints.

        Parameters
        ----------
        failures : int
            How many failing entries to show in full (the rest are counted).

        Returns
        -------
        str
            The column "worst err/tol" is the largest ``max_abs / (atol + rtol * scale)``: <= 1 passes.
        """
        lines = [f"{'function':<20} {'output':<18} {'ordinary':>9} {'saturated':>9}  {'worst err/tol':>13}  "
                 f"{'tolerance':<20} verdict"]
        for r in self.rows():
            od = f"{r['ordinary'][0]}/{r['ordinary'][1]}" if r["ordinary"][1] else "-"
            sa = f"{r['saturated'][0]}/{r['saturated'][1]}" if r["saturated"][1] else "-"
            lines.append(f"{r['function']:<20} {r['output']:<18} {od:>9} {sa:>9}  {r['worst']:>13.2e}  "
                         f"{r['tolerance']:<20} {r['verdict']}")
        if self.skipped:
            lines.append("skipped (not provided): " + ", ".join(self.skipped))
        if self.deselected:
            lines.append("not selected (functions=...): " + ", ".join(self.deselected))
        if not self.entries:
            lines.append("nothing was checked: the implementation provides none of the selected functions")
        bad = self.failures()
        if bad:
            lines.append(self.grid_text())
        for e in bad[:failures]:
            lines.append(f"  {e.status.upper()} {e.function}[{e.output}] on {e.case} ({e.regime}): {e.message}")
            if e.hint:
                lines.append(f"    hint: {e.hint}")
        if len(bad) > failures:
            lines.append(f"  ... and {len(bad) - failures} more failing entries")
        verdict = {"pass": "PASS", "fail": "FAIL",
                   "not saturation-safe": "correct in the ordinary regime, not saturation-safe"}[self.verdict]
        n_sat = sum(e.regime == "saturated" for e in self.entries)
        if self.ok and self.entries and not n_sat:
            verdict += " (no saturated case was checked)"
        lines.append(f"conformance: {verdict} ({sum(e.ok for e in self.entries)}/{len(self.entries)} entries, "
                     f"{len(self.skipped)} functions skipped)")
        return "\n".join(lines)

    __str__ = summary

    def to_dict(self):
        """JSON-ready: verdict, golden source (seed, checksum), per-output rows, grid, cases and every entry."""
        return jsonable({
            "ok": self.ok, "verdict": self.verdict, "golden": self.golden,
            "functions": [dict(r, ordinary=list(r["ordinary"]), saturated=list(r["saturated"]))
                          for r in self.rows()],
            "grid": {d: {c: list(v) for c, v in row.items()} for d, row in self.grid().items()},
            "skipped": list(self.skipped), "deselected": list(self.deselected), "cases": self.cases,
            "entries": [asdict(e) for e in self.entries]})

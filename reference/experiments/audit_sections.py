"""The parts of an audit report shared by ``verify`` and ``proofs``: legend, proof chains, errata, pictures.

:func:`legend` explains every column and category, :func:`chains_section` lists
each statement's proof chain (docs/proofs.md), :func:`errata_section` each
printed statement recorded as false with the run where it fails and the verdict
of its corrected rows (with a picture of both), and :func:`figures_section`
draws every statement with per-iterate rows on the main run (and, where its
conditions never hold there, on the run where they hold most):
:mod:`reference.experiments.report_figures`.
"""

from ..audit.report import CATEGORIES, CATEGORY_LEGEND, Column, Figure, fmt, Section, Table
from ..audit.statements import ERRATA
from .plotting import have_matplotlib
from .report_figures import statement_figure

__all__ = ["legend", "chains_section", "errata_section", "figures_section"]

def legend(columns):
    """The legend of a report: every column (those of ``--wide`` marked), then every category."""
    out = [(c.title, c.legend + (" (--wide)" if c.wide_only else "")) for c in columns]
    return out + [(c, CATEGORY_LEGEND[c]) for c in CATEGORIES]


def chains_section(chains):
    """The proof chains (one line per statement, docs/proofs.md) as a section with a table."""
    cols = [Column("statement", "statement", "the statement whose proof chain this is"),
            Column("steps", "steps", "proof steps registered for it", ">"),
            Column("verdict", "chain", "worst verdict over the runs: fails, holds-unstated, holds, n/a"),
            Column("detail", "what", "the first step that decides it; steps never checkable here; printed forms "
                                    "recorded as false that fail as recorded", wrap=True, min_width=30)]
    rows = []
    for c in chains:
        prefix = f"{c.statement:<16} {c.n_steps:>3} steps  "
        rows.append({"statement": c.statement, "steps": str(c.n_steps), "verdict": c.verdict,
                     "detail": c.line()[len(prefix):]})
    return Section("proof chains on these runs", anchor="chains", table=Table(cols, rows),
                   notes=["python -m reference proofs adds random datasets and initialisations; docs/proofs.md "
                          "explains how to read a chain."])


def errata_section(rows_by_run, figures=True):
    """Every erratum (docs/theory.md): what is printed, the run where it fails, its corrected rows; a picture.

    Parameters
    ----------
    rows_by_run : dict
        Run -> its statement rows.
    figures : bool
        Draw the printed and corrected rows on the run where the printed ones fail.

    Returns
    -------
    Section
    """
    cols = [Column("key", "erratum", "the erratum's key (docs/theory.md)"),
            Column("what", "what the paper prints, and the correction", "", wrap=True, min_width=30),
            Column("where", "counterexample", "the run and iterate where the printed form fails, measured vs "
                                             "bound; the corrected rows' verdict", wrap=True, min_width=24)]
    rows, figs = [], []
    every = [r for rs in rows_by_run.values() for r in rs]
    for key, what in ERRATA.items():
        printed = [r for r in every if r.erratum == key]
        failing = [r for r in printed if r.holds is False]
        names = {r.name for r in printed}
        fixed = [r for r in every if r.corrects in names]
        held = sum(r.holds is True for r in fixed)
        if failing:
            f = failing[0]
            where = (f"{f.run}: {f.name} at t = {f.t_worst}: measured {fmt(f.measured_worst)} {f.sense} bound "
                     f"{fmt(f.bound_worst)} fails" + (f" (and {len(failing) - 1} more rows)" if len(failing) > 1
                                                      else ""))
        else:
            where = "fails on no run of this report" if printed else "not audited here"
        where += f"; corrected rows: {held} held, {sum(r.holds is False for r in fixed)} violated, " \
                 f"{sum(r.holds is None for r in fixed)} n/a"
        rows.append({"key": key, "what": what, "where": where})
        if figures and failing and getattr(failing[0], "series", None) is not None:
            run = failing[0].run
            shown = [r for r in rows_by_run[run] if r.statement == failing[0].statement
                     and (r.erratum == key or r.corrects in names)]
            png = statement_figure(failing[0].statement, [(run, shown)],
                                   title=f"erratum {key}: printed and corrected rows on '{run}'")
            figs.append(Figure(f"erratum {key}", f"The printed rows fail (red crosses) on '{run}'; the corrected "
                                                 "rows hold.", png, anchor=f"fig-erratum-{key}"))
    return Section("errata: printed statements recorded as false", anchor="errata", table=Table(cols, rows),
                   figures=figs,
                   notes=["An erratum's printed row fails as recorded and never counts as violated; its corrected "
                          "form has its own row and decides the exit status. docs/theory.md has each "
                          "counterexample and the corrected statement."])


def _pick_runs(statement, rows_by_run, main):
    """The main run, and the run where the statement is checked most if some of its rows are n/a on the main run."""
    def mine(run):
        return [r for r in rows_by_run.get(run, []) if r.statement == statement and r.series is not None]
    out = [(main, mine(main))] if mine(main) else []
    if not out or any(r.holds is None and not r.erratum for r in out[0][1]):
        best = max((run for run in rows_by_run if run != main),
                   key=lambda run: sum(r.holds is not None for r in mine(run)), default=None)
        if best is not None and any(r.holds is not None for r in mine(best)):
            out.append((best, mine(best)))
    return out


def figures_section(rows_by_run, main, figures=True):
    """Every statement with per-iterate rows as a picture (on ``main``; also where checked if n/a on ``main``)."""
    statements = list(dict.fromkeys(r.statement for rs in rows_by_run.values() for r in rs
                                    if getattr(r, "series", None) is not None))
    figs, notes = [], []
    for st in statements:
        runs = _pick_runs(st, rows_by_run, main)
        if not runs:
            continue
        png = statement_figure(st, runs) if figures else None
        where = " and ".join(f"'{r}'" for r, _ in runs)
        figs.append(Figure(st, f"{st} on {where}: measured and bound against t (log axes), the slack below; "
                               "green: the conditions hold; grey: the bound is vacuous there; red crosses: "
                               "failures.", png, anchor="fig-" + st.lower().replace(" ", "-")))
    if not have_matplotlib() or not figures:
        notes.append("The pictures need matplotlib: pip install -e \".[plot]\" (the plot extra); every number "
                     "is in the tables above and in the CSV and JSON files.")
    return Section("every statement as a picture", anchor="pictures", figures=figs, notes=notes, in_text=False)

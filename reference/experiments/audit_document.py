"""The reports of ``verify`` and ``proofs`` as one document each: what to know, legend, runs, chains, errata, pictures.

:func:`verify_document` and :func:`proofs_document` build a
:class:`reference.audit.report.Document` from the result of
:func:`reference.experiments.verify.run` / :func:`reference.experiments.proofs.run`
(or of an audit of the user's data): first what a reader should know (the
verdict, the errata counted apart from the violations, the statements whose
conditions never hold on the paper's experiment and the threshold they need,
the vacuous bounds, the proof chains that hold only under an unstated
condition), the legend, one section per run (:func:`reference.experiments.audit_report.run_section`),
the proof chains, the errata with their counterexamples, and, with matplotlib,
every statement as a picture (:mod:`reference.experiments.report_figures`).
:mod:`reference.audit.report_text` prints it, :mod:`reference.audit.report_files`
writes ``report.md`` and ``report.html``.
"""

from ..audit.report import category, Column, Document, fmt, Section, Table
from ..theory.proofs import REGISTRY
from .audit_report import row_label, run_info, run_section, STATEMENT_COLUMNS, STEP_COLUMNS, vacuous_reason
from .audit_sections import chains_section, errata_section, figures_section, legend

__all__ = ["MAIN_RUN", "verify_document", "proofs_document", "statement_rows_by_run", "headline_of_main_run"]

#: The run a reader looks at first: the paper's own experiment (Section 7).
MAIN_RUN = "paper experiment"
_PURPOSE = {
    "paper experiment": "Section 7's seeded random realizable dataset (the paper's own experiment)",
    "Example 1": "the corpus SVOP, VOP, OPP, PSV (Example 1, Figure 1); Example 2's unseen sentences follow its rows",
    "Example 1, large steps": "Example 1 with huge steps: the only regime where the conditions of Corollary 1, "
                              "Lemma 7 and Theorem 2 hold within seconds",
    "Example 1, random init": "Example 1 from a random initialisation of norm 1 (stage 1 starts unaligned: "
                              "the second case of Lemma 2's proof)",
    "counterexample: Theorem 2": "the minimal counterexample of erratum theorem2-step-size: corpus "
                                 "{t1 t0 t1 t0, t0 t1} with eta = 1e6",
    "counterexample: Proposition 2": "the minimal counterexample of erratum proposition2: samples whose queries "
                                     "are not a complete bipartite graph (not prefix closed)",
}


def _purpose(name):
    if name in _PURPOSE:
        return _PURPOSE[name]
    if name.startswith("random prefix-closed"):
        return "a random realizable dataset, prefix closed (random_realizable)"
    if name.startswith("random samples"):
        return "random realizable samples, not prefix closed (random_realizable_samples)"
    return ""


def _is_statement(r):
    return getattr(r, "kind", "S") in ("S", "")


def statement_rows_by_run(table):
    """``{run: [rows]}`` of a ProofTable's statement rows (kind ``"S"``), runs in order."""
    out = {}
    for r in table:
        if _is_statement(r):
            out.setdefault(r.run, []).append(r)
    return out


def headline_of_main_run(section, name, rows):
    """The main run's headlines for the document's first lines: its statements never checked, with what they
    need, and its vacuous bounds in one line."""
    out = [f"On {name}: {h}" for h in section.headlines if "vacuous" not in h and "as recorded" not in h]
    vac = [r for r in rows if category(r) == "vacuous"]
    if vac:
        out.append(f"On {name}, {len(vac)} bound(s) hold only vacuously (beyond what the quantity can reach, "
                   "so they say nothing there): "
                   + "; ".join(f"{row_label(r)} ({vacuous_reason(r, short=True)})" for r in vac) + ".")
    return out


def _chain_text(c):
    """A chain's line without its fixed-width prefix (statement, number of steps)."""
    return f"Proof chain of {c.statement}: " + c.line()[len(f"{c.statement:<16} {c.n_steps:>3} steps  "):]


def _status(n_viol, n_fail_steps, n_runs, erratum_rows):
    if n_viol or n_fail_steps:
        return (f"{n_viol} row(s) the library asserts are VIOLATED and {n_fail_steps} asserted proof step(s) fail "
                "where their conditions hold (exit status 1); they are listed below.")
    text = (f"Nothing the library asserts is violated: 0 violated rows on {n_runs} run(s) and no asserted proof "
            "step fails (exit status 0).")
    if erratum_rows:
        text += (f" Separately, {erratum_rows} row(s) are printed forms the library records as false (errata): "
                 "they fail as recorded, on purpose, and are not violations; their corrected forms decide.")
    return text


def verify_document(result, *, data=None, figures=True, extra_rows=None):
    """The report of ``verify`` (module docstring).

    Parameters
    ----------
    result : dict
        From :func:`reference.experiments.verify.run` (or :func:`reference.experiments.verify.run_data`):
        ``runs``, ``table``, ``proofs``, ``chains``.
    data : UserData, optional
        The user's data (its assumption report heads its run's section).
    figures : bool
        Draw the pictures (with matplotlib).
    extra_rows : dict, optional
        Run -> rows appended to that run's rows (Example 2's after Example 1's); default: the table's
        rows of run "Example 2" after "Example 1".

    Returns
    -------
    Document
    """
    by_run = statement_rows_by_run(result["proofs"])
    if extra_rows is None:
        extra_rows = {"Example 1": [r for r in result["table"] if r.run == "Example 2"]}
    infos = {name: run_info(name, r, _purpose(name) if data is None else f"{data.name} ({data.kind})")
             for name, r in result["runs"].items()}
    main = MAIN_RUN if MAIN_RUN in infos else next(iter(infos))
    sections = []
    for name, info in infos.items():
        rows = by_run.get(name, []) + list(extra_rows.get(name, []))
        sections.append(run_section(info, rows, data=data, anchor="run-" + str(len(sections) + 1)))
    bad = result["table"].violations()
    bad_steps = [r for r in result["proofs"].violations() if not _is_statement(r)]
    every = [r for rs in by_run.values() for r in rs]
    n_err = sum(1 for r in every if r.erratum and r.holds is False)
    heads = [_status(len(bad), len(bad_steps), len(infos), n_err)]
    heads += headline_of_main_run(sections[list(infos).index(main)],
                                  f"the {main}" if data is None else "your data", by_run.get(main, []))
    checked_elsewhere = _checked_elsewhere(by_run, main) if len(by_run) > 1 else ""
    if checked_elsewhere:
        heads.append(checked_elsewhere)
    heads += [_chain_text(c) for c in result["chains"] if c.verdict in ("fails", "holds-unstated")]
    for r in bad:
        heads.append(f"VIOLATED: {r.run}: {r.name} at t = {r.t_worst}: measured {fmt(r.measured_worst)}, bound "
                     f"{fmt(r.bound_worst)}.")
    for r in bad_steps:
        heads.append(f"STEP FAILS: {r.run}: {r.key}: {r.why}")
    sections.append(chains_section(result["chains"]))
    sections.append(errata_section(by_run, figures))
    sections.insert(0, figures_section(by_run, main, figures))      # pictures first (not in the terminal)
    title = ("python -m reference verify: every statement of the paper checked on " +
             (f"your data ({data.name})" if data is not None else f"{len(infos)} runs"))
    intro = ["Each statement (lemma, proposition, theorem; docs/theory.md) is checked at every iterate of a run of "
             "Algorithm 1 where its conditions hold. Per run: what was trained, the counts, what to know, then one "
             "line per statement and quantity."]
    return Document(title, intro=intro, headlines=heads, legend=legend(STATEMENT_COLUMNS), sections=sections)


def _checked_elsewhere(by_run, main):
    """Which runs check the statements whose rows are all n/a on the main run."""
    mine = by_run.get(main, [])
    never = [st for st in dict.fromkeys(r.statement for r in mine)
             if all(r.holds is None for r in mine if r.statement == st and not r.erratum)]
    parts = []
    for st in never:
        runs = [run for run, rs in by_run.items() if run != main
                and any(r.statement == st and r.holds is not None and not r.erratum for r in rs)]
        parts.append(f"{st} on " + (", ".join(f"'{x}'" for x in runs) if runs else "no run of this report"))
    return (f"Statements never checked on the {main} are checked on other runs: " + "; ".join(parts) + ".") \
        if parts else ""


def proofs_document(result, *, data=None, figures=True):
    """The report of ``proofs``: the chains first, per run its counts and headlines, every step with ``--wide``.

    Parameters
    ----------
    result : dict
        From :func:`reference.experiments.proofs.run`: ``runs``, ``table`` (ProofTable), ``chains``.
    data : UserData, optional
    figures : bool

    Returns
    -------
    Document
    """
    table = result["table"]
    infos = {name: run_info(name, r, _purpose(name) if data is None else f"{data.name} ({data.kind})")
             for name, r in result["runs"].items()}
    main = MAIN_RUN if MAIN_RUN in infos else next(iter(infos))
    chains = chains_section(result["chains"])
    chains.title = "proof chains (one line per statement)"
    sections = [chains]
    for i, (name, info) in enumerate(infos.items()):
        rows = [r for r in table if r.run == name]
        sections.append(run_section(info, rows, steps=True, data=data, table_in_text=False, anchor=f"run-{i + 1}"))
    bad = table.violations()
    n_err = sum(1 for r in table if r.erratum and r.holds is False)
    heads = [_status(sum(_is_statement(r) for r in bad), sum(not _is_statement(r) for r in bad), len(infos), n_err)]
    heads += [_chain_text(c) for c in result["chains"] if c.verdict in ("fails", "holds-unstated")]
    dec = REGISTRY.decisions()
    if dec:
        kinds = {k: sum(d.category == k for d in dec) for k in ("typo", "gap", "false")}
        heads.append(f"{len(dec)} inconsistencies of the paper are decided (docs/proofs.md): {kinds['typo']} typos "
                     f"that change nothing, {kinds['gap']} gaps filled under a stated extra condition, "
                     f"{kinds['false']} false steps; their printed forms fail as recorded, as errata.")
    for r in bad:
        heads.append(f"FAILS: {r.run}: {r.key}: {r.why or r.note}")
    cols = [Column("key", "decision", "the decision's key (docs/proofs.md)"),
            Column("category", "kind", "typo (changes nothing), gap (filled under an extra condition), false"),
            Column("summary", "what", "the decision", wrap=True, min_width=30),
            Column("holds", "statement holds", "whether the statement still holds")]
    dec_rows = [{"key": d.key, "category": d.category, "summary": d.summary, "holds": str(d.statement_holds)}
                for d in dec]
    sections.append(Section("decisions on the paper's inconsistencies", anchor="decisions",
                            table=Table(cols, dec_rows), table_in_text=False))
    sections.insert(0, figures_section(statement_rows_by_run(table), main, figures))
    title = ("python -m reference proofs: every step of the appendix proofs checked on " +
             (f"your data ({data.name})" if data is not None else f"{len(infos)} runs"))
    intro = ["Each proof step (docs/proofs.md) is checked at every iterate where its conditions hold; a chain's "
             "verdict is its worst step. Per run: what was trained, the counts and what to know; --wide prints "
             "every step's row."]
    return Document(title, intro=intro, headlines=heads, legend=legend(STEP_COLUMNS), sections=sections)

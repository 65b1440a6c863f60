"""One run of an audit as a report section: its header, counts, headlines and table (``verify``, ``proofs``).

:func:`run_section` turns the rows of one run (statement rows and proof steps,
:class:`reference.audit.StepRow`, plus Example 2's rows) into a
:class:`reference.audit.report.Section`: the header says what was trained
(data, ``|V|``, ``d``, ``N``, ``L_max``, step sizes and iterations,
initialisation, ``||W*_ov||``, ``||W*_kq||``, where the run ended), the counts
(:func:`reference.audit.report.count`), the headlines (statements whose
conditions never hold, with the threshold they need; vacuous bounds; failures;
errata failing as recorded) and one table line per row, its verdict in words
(:data:`STATEMENT_COLUMNS`, :data:`STEP_COLUMNS`).
"""

import math

import numpy as np

from ..audit.report import category, Column, count, fmt, fmt_log_slack, Section, Table
from ..audit.setting import setting_of
from ..audit.thresholds import na_reason, never_headline, number, standing_headlines
from ..theory.stability import stage1_predicted_log10_growth

__all__ = ["STATEMENT_COLUMNS", "STEP_COLUMNS", "RunInfo", "run_info", "run_facts", "verdict_text", "row_label",
           "row_cells", "run_section", "vacuous_reason", "vacuous_headline"]

_COMMON = [
    Column("t", "t", "the iterate shown: the first where the row fails, else the worst (least relative slack); "
                     "'-' when nothing was checked", ">"),
    Column("measured", "measured", "the measured quantity at that iterate", ">"),
    Column("bound", "bound", "the bound at that iterate, after the relation the measured value must satisfy "
                             "(<=, >=; == for an identity, > for Example 2's logit margins)", ">"),
    Column("log_slack", "log-slack", "ln(bound/measured) for an upper bound, ln(measured/bound) for a lower one: "
           ">= 0 holds, e-folds to spare; 'tight': equal up to rounding (within the tolerance 1e-9); '-': "
           "undefined (a side is 0 or the signs differ; the slack column of --wide has bound - measured)", ">"),
    Column("verdict", "verdict", "the row's category (legend below) and, for n/a, the condition that fails",
           wrap=True, min_width=18),
    Column("checked", "checked", "iterates checked (conditions hold, quantity defined) of the run's iterates", ">",
           wide_only=True),
    Column("n_vacuous", "vacuous", "iterates checked where the bound is vacuous", ">", wide_only=True),
    Column("slack", "slack", "bound - measured for an upper bound, measured - bound for a lower one (>= 0 holds)",
           ">", wide_only=True),
    Column("final", "final (t: measured, bound)", "the last iterate of the run, whether or not the conditions hold "
           "there", wide_only=True),
    Column("printed", "as printed", "the relation as the paper prints it (corrected forms say so)", wrap=True,
           wide_only=True),
    Column("note", "note", "the row's note: how the quantity is measured, why it is undefined", wrap=True,
           wide_only=True),
]
#: Columns of a statement row (``verify``).
STATEMENT_COLUMNS = [Column("label", "statement: quantity", "the statement and the quantity its bound is on "
                            "(docs/theory.md)", wrap=True, min_width=30)] + _COMMON
#: Columns of a proof step row (``proofs``).
STEP_COLUMNS = [Column("label", "step: relation", "the proof step (docs/proofs.md: statement, key P1..P134, "
                       "the relation checked); a statement's own rows are shown as 'statement: quantity'",
                       wrap=True, min_width=30)] + _COMMON


class RunInfo:
    """What a report needs of one run: its trajectory, dataset, setting, last stage-2 iterate and ``1 - cos_kq``."""

    def __init__(self, name, ds, traj, description=""):
        self.name, self.ds, self.traj, self.description = name, ds, traj, description
        self.setting = setting_of(traj, ds)
        self.T1 = len(traj.stage2["norm"]) - 1
        self.dir_err_kq = 1.0 - np.asarray(traj.stage2["cos"], dtype=float)


def run_info(name, run, description=""):
    """:class:`RunInfo` of a run dict ``{"ds", "traj", ...}`` (as ``verify.run`` and ``proofs.run`` return them)."""
    return RunInfo(name, run["ds"], run["traj"], description)


def run_facts(info, data=None):
    """The header of a run: ``[(label, text)]`` (data, D_0, steps, max-margin norms, end of the run)."""
    ds, tr, s = info.ds, info.traj, info.setting
    c = tr.config
    init = ("zero initialisation (Algorithm 1)" if c.get("init") == "zero" else
            f"random initialisation of norm {c.get('init_norm')}" if c.get("init") == "random" else
            f"initialisation {c.get('init')}")
    facts = []
    if info.description:
        facts.append(("data", info.description))
    pc = "prefix closed" if s.prefix_closed else "not prefix closed"
    facts.append(("D_0", f"|V| = {ds.vocab.n_tokens}, d = {ds.vocab.d}, N = {ds.N} distinct sentences "
                         f"({int(ds.counts.sum())} samples), L_max = {ds.L_max}, {pc}"))
    facts.append(("steps", f"stage 1: eta0 = {c['eta0']:.4g} for T = {c['T']} iterations; stage 2: eta = "
                           f"{c['eta']:.4g} for T1 = {c['T1']}; {init}"))
    facts.append(("max-margin", f"||W*_ov|| = {tr.star_norm_ov:.4g}, ||W*_kq|| = {tr.star_norm_kq:.4g} (Eq. 2, 3)"))
    s1, s2 = tr.stage1, tr.stage2
    facts.append(("end of run", f"cos(W_ov, W*_ov) = {s1['cos'][-1]:.6f}, cos(W_kq, W*_kq) = {s2['cos'][-1]:.6f}, "
                                f"log L = {s2['log_loss'][-1]:.4g}, training accuracy "
                                f"{100 * s2['accuracy'][-1]:.1f}%"))
    stab = stage1_stability(s)
    if stab:
        facts.append(("stage-1 stability", stab))
    if s.failed:
        facts.append(("assumptions", "; ".join(s.failed)))
    return facts


def stage1_stability(s):
    """The growth of a perturbation of the zero-initialised stage 1 over its ``T`` steps (docs/claims.md, claim 3).

    From zero, under Assumption 2, stage 1 follows the exactly aligned trajectory ``t eta0 W_bar*_ov``;
    for ``eta0 > 2||W*_ov||`` that trajectory is linearly unstable, and a run at such steps audits the
    exact iteration (which the engine follows, treating every column alike), not what arithmetic that
    treats the columns differently would compute. Empty when the run does not start from zero.
    """
    if not (s.assumption2 and s.init_norm_ov == 0.0 and s.T > 0):
        return ""
    margins, wrong = stage1_predicted_log10_growth(s.T, eta0=s.eta0, n_tokens=s.n_tokens,
                                                   star_norm_ov=s.star_norm_ov)
    worst = max(margins, wrong)
    if worst <= 0:
        return (f"a perturbation of W_ov^(0) is damped over the T = {s.T} steps (eta0 <= 2 ||W*_ov|| = "
                f"{2 * s.star_norm_ov:.4g}; docs/claims.md, claim 3)")
    return (f"a perturbation of W_ov^(0) grows by up to 10^{worst:.4g} over the T = {s.T} steps (eta0 > 2 ||W*_ov|| "
            f"= {2 * s.star_norm_ov:.4g}): the aligned trajectory is unstable, and this run audits the exact "
            f"iteration, which the engine follows (docs/claims.md, claim 3)")


def verdict_text(row, info):
    """The verdict cell: the category in words; n/a and erratum rows say why (:mod:`reference.audit.thresholds`)."""
    cat = category(row)
    if cat == "n/a":
        return "n/a: " + na_reason(row, info.setting, info.T1, info.dir_err_kq)
    if cat == "erratum":
        if row.holds is None:
            return "erratum, n/a: " + na_reason(row, info.setting, info.T1, info.dir_err_kq)
        return "erratum: fails as recorded" if row.holds is False else "erratum: holds on this run"
    if cat == "unstated":
        return "held only under " + ", ".join(row.unstated_needed)
    if cat == "violated":
        return "FAILS" if getattr(row, "kind", "S") not in ("S", "") else "VIOLATED"
    return cat


def row_label(row):
    """A row's label: ``statement: quantity``, or ``key statement: relation`` for a proof step."""
    kind = getattr(row, "kind", "S")
    if kind in ("S", ""):
        return row.name
    return f"{row.key} {row.statement}: {row.relation or row.quantity}"


def row_cells(row, info):
    """The table cells (``key -> str``) of one row (columns :data:`STATEMENT_COLUMNS` / :data:`STEP_COLUMNS`)."""
    failed = getattr(row, "t_first_fail", None) is not None
    if failed:
        t, m, b = row.t_first_fail, row.measured_first_fail, row.bound_first_fail
    else:
        t, m, b = row.t_worst, row.measured_worst, row.bound_worst
    checked = row.holds is not None
    n_it = getattr(row, "n_iterates", 0) or (row.t_final + 1)
    cells = {"label": row_label(row), "t": fmt(t) if checked else "-",
             "measured": fmt(m) if checked else "-", "bound": f"{row.sense} {fmt(b)}" if checked else "-",
             "log_slack": fmt_log_slack(row.log_slack_worst, m, b) if checked and not failed else
             (fmt(row.log_slack_worst) if checked else "-"),
             "verdict": verdict_text(row, info), "checked": f"{row.n_checked}/{n_it}",
             "n_vacuous": str(getattr(row, "n_vacuous", 0)), "slack": fmt(row.slack_worst) if checked else "-",
             "final": f"{row.t_final}: {fmt(row.measured_final)}, {fmt(row.bound_final)}",
             "printed": row.printed or getattr(row, "relation", ""),
             "note": getattr(row, "why", "") or row.note}
    return cells


def vacuous_reason(row, short=False):
    """``"its bound is >= 3.1e10 wherever checked, and the quantity lies in [0, 2]"`` (a vacuous row);
    ``short``: ``"bound >= 3.1e10, quantity in [0, 2]"``."""
    s = getattr(row, "series", None)
    lo, hi = getattr(row, "value_range", ()) or (-math.inf, math.inf)
    rng = f"[{fmt(lo)}, {fmt(hi)}]"
    if s is not None:
        b = np.asarray(s["bound"], float)[np.asarray(s["stated"], bool) & np.asarray(s["defined"], bool)]
        if b.size:
            edge = (f">= {number(np.nanmin(b))}" if row.sense == "<=" else f"<= {number(np.nanmax(b))}")
            return (f"bound {edge}, quantity in {rng}" if short else
                    f"its bound is {edge} wherever checked, and the quantity lies in {rng}")
    return f"quantity in {rng}" if short else f"the quantity lies in {rng}"


def vacuous_headline(row):
    """``"Theorem 1: direction error: vacuous: its bound is >= 3.1e10 wherever checked; ... says nothing here."``"""
    return f"{row_label(row)}: vacuous: {vacuous_reason(row)}, so the bound says nothing here."


def _key(row):
    return row.name if getattr(row, "kind", "S") in ("S", "") else row.key


def _headlines(rows, info):
    out = standing_headlines(rows, info.setting, info.T1, info.dir_err_kq)
    stmts = list(dict.fromkeys(r.statement for r in rows if getattr(r, "kind", "S") in ("S", "")))
    for st in stmts:
        mine = [r for r in rows if r.statement == st and getattr(r, "kind", "S") in ("S", "")]
        h = never_headline(st, mine, info.setting, info.T1, info.dir_err_kq, skip_standing=True)
        if h:
            out.append(h)
    steps_na = {}
    for r in rows:
        if getattr(r, "kind", "S") not in ("S", "") and category(r) == "n/a":
            steps_na.setdefault(na_reason(r, info.setting, info.T1), []).append(r.key)
    for why, keys in steps_na.items():
        out.append(f"{len(keys)} proof step(s) n/a here, {why}: {', '.join(keys)}.")
    out += [vacuous_headline(r) for r in rows if category(r) == "vacuous"]
    for r in rows:
        if category(r) == "violated":
            first = getattr(r, "t_first_fail", None) is not None
            t, m, b = ((r.t_first_fail, r.measured_first_fail, r.bound_first_fail) if first else
                       (r.t_worst, r.measured_worst, r.bound_worst))
            out.append(f"{row_label(r)}: {verdict_text(r, info)} at t = {t}: measured {fmt(m)}, bound {r.sense} "
                       f"{fmt(b)}.")
    fails = [r for r in rows if r.erratum and r.holds is False]
    if fails:
        out.append(f"{len(fails)} printed form(s) recorded as false fail here, as recorded (not violations): "
                   + ", ".join(_key(r) for r in fails) + ".")
    return out


def run_section(info, rows, *, steps=False, data=None, table_in_text=True, anchor=""):
    """The :class:`~reference.audit.report.Section` of one run (module docstring).

    Parameters
    ----------
    info : RunInfo
    rows : list of AuditRow or StepRow
        The run's rows, in the audit's order.
    steps : bool
        Label the table with :data:`STEP_COLUMNS` (proof steps) rather than :data:`STATEMENT_COLUMNS`.
    data : UserData, optional
        The user's data file: its assumption report is the section's first lines.
    table_in_text : bool
        Print the table in the terminal report by default.
    anchor : str
        HTML id of the section.

    Returns
    -------
    Section
    """
    cols = STEP_COLUMNS if steps else STATEMENT_COLUMNS
    cells = [row_cells(r, info) for r in rows]
    anchors = [f"{anchor}-{i}" for i in range(len(rows))] if anchor else None
    return Section(title=f"run: {info.name}", anchor=anchor, facts=run_facts(info, data),
                   preformatted=list(data.lines()) if data is not None else [], counts=count(rows),
                   headlines=_headlines(rows, info), table=Table(cols, cells, anchors, [category(r) for r in rows]),
                   table_in_text=table_in_text)

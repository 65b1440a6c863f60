"""The sweep's results: the long table's columns, the summary per statement and size, the files, the figure.

:func:`reference.experiments.sweep.run_sweep` returns one row per run and
audit row (keys :data:`COLUMNS`); :func:`summarize` groups them by statement
row and ``abs(V)`` (holds / fails / not applicable, min and median log-slack);
:func:`write` writes the table, the summary and a JSON file, and
:func:`figure` draws the log-slack against ``abs(V)`` (with matplotlib).
"""

import math
import os
from types import SimpleNamespace

import numpy as np

from ..audit.report import CATEGORIES, CATEGORY_LEGEND, Column, count, Document, Figure, Section, Table
from ..audit.statements import RTOL
from .plotting import ensure_dir, panel_figure, write_csv, write_json

__all__ = ["COLUMNS", "STAGE1", "summarize", "write", "figure", "panels", "cell", "document"]

#: Columns of the long table: the run's constants, then the audit row's fields.
COLUMNS = ("size", "seed", "run", "n_tokens", "d", "N", "L_max", "star_norm_ov", "star_norm_kq", "eta0",
           "eta", "T", "T1", "seconds", "statement", "quantity", "holds", "decides", "violated", "vacuous",
           "erratum", "n_checked", "t_worst", "measured_worst", "bound_worst", "slack_worst", "log_slack_worst",
           "status", "error", "traceback")
#: Statements about stage 1 (left panel of the figure); the others are about stage 2.
STAGE1 = ("Lemma 1", "Proposition 1", "Lemma 3", "Corollary 1")


def summarize(rows):
    """Per statement row and size: runs, holds / violated / not applicable, min and median log-slack.

    Parameters
    ----------
    rows : list of dict
        The long table of :func:`run_sweep` (rows whose run failed, crashed or was degenerate are
        left out here; they stay in the table and in ``failed`` / ``crashed`` / ``degenerate``).

    Returns
    -------
    list of dict
        Keys ``statement``, ``quantity``, ``size``, ``runs``, ``holds``, ``fails`` (the
        inequality fails somewhere its conditions hold), ``violated`` (fails and the row
        decides the verdict), ``vacuous`` (holds, the bound beyond what the quantity can reach at every
        iterate checked), ``not_applicable``, ``decides``, ``log_slack_min``, ``log_slack_median``
        (over runs where it is defined; nan if none).

    Raises
    ------
    KeyError
        A row without the keys of :data:`COLUMNS` (not a row of :func:`run_sweep`).
    """
    groups = {}
    for r in rows:
        if r["status"] != "ok":
            continue
        groups.setdefault((r["statement"], r["quantity"], r["size"]), []).append(r)
    out = []
    for (st, q, V), rs in groups.items():
        ls = np.array([r["log_slack_worst"] for r in rs if r["holds"] is not None], dtype=float)
        ls = ls[np.isfinite(ls)]
        out.append({"statement": st, "quantity": q, "size": V, "runs": len(rs),
                    "holds": sum(r["holds"] is True for r in rs), "fails": sum(r["holds"] is False for r in rs),
                    "violated": sum(bool(r["violated"]) for r in rs),
                    "vacuous": sum(bool(r.get("vacuous")) and r["holds"] is True for r in rs),
                    "not_applicable": sum(r["holds"] is None for r in rs), "decides": all(r["decides"] for r in rs),
                    "log_slack_min": float(ls.min()) if ls.size else math.nan,
                    "log_slack_median": float(np.median(ls)) if ls.size else math.nan})
    return out


def write(result, out):
    """Write ``sweep.csv`` (long table), ``sweep_summary.csv``, ``sweep.json`` and ``sweep.png`` (with matplotlib).

    Parameters
    ----------
    result : dict
        From :func:`run_sweep`.
    out : str or os.PathLike
        Directory, created if needed.

    Returns
    -------
    dict
        File kind -> path (``"figure"`` is None without matplotlib).

    Raises
    ------
    OSError
        ``out`` cannot be created or written.
    """
    ensure_dir(out)
    files = {"csv": write_csv(os.path.join(out, "sweep.csv"), list(COLUMNS),
                              [[r.get(c, "") for c in COLUMNS] for r in result["rows"]])}
    keys = list(result["summary"][0]) if result["summary"] else ["statement"]
    files["summary_csv"] = write_csv(os.path.join(out, "sweep_summary.csv"), keys,
                                     [[s[k] for k in keys] for s in result["summary"]])
    keep = ("config", "summary", "failed", "crashed", "degenerate", "rows")
    files["json"] = write_json(os.path.join(out, "sweep.json"), {k: result[k] for k in keep})
    files["figure"] = figure(result, os.path.join(out, "sweep.png"))
    return files


def figure(result, path):
    """Median log-slack (band: min to median) against ``abs(V)``, one line per statement of Sections 4-5.

    Parameters
    ----------
    result : dict
        From :func:`run_sweep`.
    path : str
        PNG file to write.

    Returns
    -------
    str or None
        ``path``, or None without matplotlib.

    Raises
    ------
    OSError
        ``path`` cannot be written.
    """
    return panel_figure(path, panels(result), 1, 2, title="Audit slack against problem size "
                        f"({result['config']['seeds']} seeds per size)", panel_size=(6.5, 4.5))


def panels(result):
    """The two panels of ``sweep.png``: median log-slack (band: min to median) against ``abs(V)``, per row.

    Rows with identical curves are drawn once, under one legend entry naming them all
    (:func:`reference.experiments.panels.merge_identical`).

    Parameters
    ----------
    result : dict
        From :func:`run_sweep`.

    Returns
    -------
    list of dict
        Stage-1 and stage-2 panels for :func:`reference.experiments.plotting.panel_figure`.
    """
    out = []
    for title, stage1 in (("stage 1 statements", True), ("stage 2 statements", False)):
        lines = {}
        for s in result["summary"]:
            if s["decides"] and math.isfinite(s["log_slack_median"]) and (s["statement"] in STAGE1) == stage1:
                lines.setdefault(f"{s['statement']}: {s['quantity']}", []).append(s)
        panel_lines = []
        for label, ss in sorted(lines.items()):
            ss.sort(key=lambda s: s["size"])
            panel_lines.append({"x": [s["size"] for s in ss], "y": [s["log_slack_median"] for s in ss],
                                "lo": [s["log_slack_min"] for s in ss], "hi": [s["log_slack_median"] for s in ss],
                                "label": label[:48]})
        out.append({"title": title, "xlabel": "|V| (= d)", "ylabel": "log-slack (>= 0: holds)",
                    "lines": panel_lines, "legend_outside": True})
    return out


def cell(srow):
    """The table cell of one statement row at one size: its min log-slack ("tight" within the audit's
    tolerance), "-" (n/a in every run) or "*" (undefined)."""
    x = srow["log_slack_min"]
    if x is not None and not (isinstance(x, float) and math.isnan(x)):
        return "tight" if abs(x) <= RTOL else f"{x:.3g}"
    return "-" if srow["not_applicable"] == srow["runs"] else "*"


def _verdict(by, erratum):
    runs = sum(x["runs"] for x in by.values())
    held, fails = sum(x["holds"] for x in by.values()), sum(x["fails"] for x in by.values())
    viol, na = sum(x["violated"] for x in by.values()), sum(x["not_applicable"] for x in by.values())
    vac = sum(x.get("vacuous", 0) for x in by.values())
    if viol:
        return f"VIOLATED in {viol}/{runs}"
    if fails:
        text = f"fails in {fails}/{runs}"
    elif na == runs:
        text = "n/a in every run"
    else:
        text = f"held {held}/{runs}" + (f", vacuous in {vac}" if vac else "") + (f", n/a {na}" if na else "")
    if not all(x["decides"] for x in by.values()):
        text = ("erratum: " if erratum else "informational: ") + text
    return text


def document(result, figure_png=None):
    """The sweep's report (:class:`reference.audit.report.Document`): what to know, legend, the table per size.

    Parameters
    ----------
    result : dict
        From :func:`reference.experiments.sweep.run_sweep`.
    figure_png : bytes, optional
        ``sweep.png``, shown in the Markdown and HTML reports.

    Returns
    -------
    Document
    """
    c = result["config"]
    sizes = c["sizes"]
    cols = ([Column("label", "statement: quantity", "the statement and the quantity its bound is on "
                    "(docs/theory.md)", wrap=True, min_width=30)]
            + [Column(f"V{v}", f"|V|={v}", "", ">") for v in sizes]
            + [Column("verdict", "verdict", "over every run: held (with how many vacuous), n/a, fails, VIOLATED; "
                      "'erratum:' or 'informational:' first when the row never decides", wrap=True, min_width=16)])
    cols[1].legend = ("per size: the least log-slack over the seeds (>= 0 holds, e-folds to spare); '-': the "
                      "conditions never hold; '*': undefined (a side is 0, e.g. an error of exactly 0)")
    table = {}
    for srow in result["summary"]:
        table.setdefault((srow["statement"], srow["quantity"]), {})[srow["size"]] = srow
    errata = {(r["statement"], r["quantity"]) for r in result["rows"] if r.get("erratum")}
    rows = []
    for (st, q), by in table.items():
        rows.append(dict({f"V{v}": cell(by[v]) if v in by else "" for v in sizes}, label=f"{st}: {q}",
                         verdict=_verdict(by, (st, q) in errata)))
    ok = [SimpleNamespace(**r) for r in result["rows"] if r["status"] == "ok"]
    counts = count(ok)
    heads = [f"{len(result['violations'])} violated row(s) that decide, {len(result['failed'])} failed run(s), "
             f"{len(result['crashed'])} crashed run(s), {len(result['degenerate'])} degenerate dataset(s) (not "
             "counted)" + (": every statement that decides holds wherever its conditions hold."
                           if not (result["violations"] or result["failed"] or result["crashed"]) else ".")]
    never = [f"{st}: {q}" for (st, q), by in table.items()
             if all(x["not_applicable"] == x["runs"] for x in by.values())]
    if never:
        heads.append(f"{len(never)} row(s) are n/a in every run (their conditions never hold in these runs, or, "
                     "for Lemma 2, the sweep does not record the iterates; python -m reference verify says what "
                     "they need): " + "; ".join(never) + ".")
    vac = [f"{st}: {q}" for (st, q), by in table.items() if sum(x.get("vacuous", 0) for x in by.values())]
    if vac:
        heads.append(f"{len(vac)} row(s) hold only vacuously in some run (the bound beyond what the quantity can "
                     "reach): " + "; ".join(vac) + ".")
    figs = [Figure("log-slack against |V|", "median log-slack over the seeds per size (band: min to median)",
                   figure_png, anchor="fig-sweep")] if figure_png is not None else []
    legend = ([(cols[0].title, cols[0].legend), ("|V|=k", cols[1].legend), (cols[-1].title, cols[-1].legend)]
              + [(k, CATEGORY_LEGEND[k]) for k in CATEGORIES if k != "unstated"])
    intro = [f"|V| = d in {sizes}, {c['seeds']} random realizable datasets per size, T = {c['T']}, T1 = {c['T1']}, "
             f"eta0 = {c['eta0']}, eta = {c['eta']}, zero initialisation; every statement audited on every run."]
    section = Section("every statement over the sizes", anchor="table", counts=counts, table=Table(cols, rows),
                      figures=figs)
    return Document("python -m reference sweep: the audit over many random datasets", intro=intro,
                    headlines=heads, legend=legend, sections=[section])

"""The sweep's results: the long table's columns, the summary per statement and size, the files, the figure.

:func:`reference.experiments.sweep.run_sweep` returns one row per run and
audit row (keys :data:`COLUMNS`); :func:`summarize` groups them by statement
row and ``abs(V)`` (holds / fails / not applicable, min and median log-slack);
:func:`write` writes the table, the summary and a JSON file, and
:func:`figure` draws the log-slack against ``abs(V)`` (with matplotlib).
"""

import math
import os

import numpy as np

from .plotting import ensure_dir, panel_figure, write_csv, write_json

__all__ = ["COLUMNS", "STAGE1", "summarize", "write", "figure", "panels"]

#: Columns of the long table: the run's constants, then the audit row's fields.
COLUMNS = ("size", "seed", "run", "n_tokens", "d", "N", "L_max", "star_norm_ov", "star_norm_kq", "eta0",
           "eta", "T", "T1", "seconds", "statement", "quantity", "holds", "decides", "violated", "erratum",
           "n_checked", "t_worst", "measured_worst", "bound_worst", "slack_worst", "log_slack_worst", "status",
           "error", "traceback")
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
        decides the verdict), ``not_applicable``, ``decides``, ``log_slack_min``, ``log_slack_median``
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
                              [[r[c] for c in COLUMNS] for r in result["rows"]])}
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

"""Every statement as a picture: measured and bound against t on log axes, the slack, the conditions' region.

:func:`statement_figure` draws one statement on one or more runs from the rows'
per-iterate ``series`` (:class:`reference.audit.StepRow`): one column per
quantity, and per run two panels, the measured quantity and its bound against
``t`` (log axes; symmetric-log where a side is negative or 0), and the slack
(the log-slack ``ln(bound/measured)`` (its reciprocal for a lower bound), or
the relative slack where the log-slack is undefined); ``>= 0`` holds, and the
light red band below 0 is the audit's tolerance (a slack of rounding size is drawn
flat at 0). The iterates where the statement's conditions hold are shaded green,
those where the bound is also vacuous grey, failures are red crosses. Returns PNG bytes
(for :mod:`reference.audit.report_files`), or None without matplotlib.
"""

import io
import textwrap

import numpy as np

from ..audit.statements import _slacks, ATOL, RTOL

__all__ = ["DPI", "COLUMN_SIZE", "COLUMNS", "LOG_SPAN", "statement_figure", "failing_iterates"]

#: Resolution of the pictures (a page of 11 statements stays a few MB).
DPI = 72
#: Inches per quantity column: (width, height of the values panel, height of the slack panel).
COLUMN_SIZE = (3.4, 2.3, 1.4)
#: A positive quantity spanning at least this ratio gets a log axis (a narrower one a linear axis).
LOG_SPAN = 30.0
#: Quantity columns per row of a figure (a statement with more quantities continues on the next row).
COLUMNS = 3
_SHADE, _VACUOUS, _FAIL = "#2ca02c", "#7f7f7f", "#d62728"
_MEASURED, _BOUND, _SLACK = "#1f77b4", "#ff7f0e", "#9467bd"


def failing_iterates(series, sense):
    """Iterates where the conditions hold, both sides are defined and the bound fails beyond the audit's tolerance.

    The tolerance is the audit's ``ATOL + RTOL max(|measured|, |bound|)`` (the rounding term of
    the weights' scale is left out: a picture, not a verdict).
    """
    m, b = np.asarray(series["measured"], float), np.asarray(series["bound"], float)
    with np.errstate(invalid="ignore"):
        slack = (b - m) if sense in ("<=", "<") else (m - b)
        bad = slack < -(ATOL + RTOL * np.maximum(np.abs(m), np.abs(b)))
    return np.asarray(series["stated"], bool) & np.asarray(series["defined"], bool) & bad


def _shade(ax, t, mask, color, alpha):
    if np.any(mask):
        ax.fill_between(t, 0, 1, where=mask, step="mid", transform=ax.get_xaxis_transform(), color=color,
                        alpha=alpha, linewidth=0)


def _yscale(ax, values):
    """Log axis for positive values over more than a decade and a half, symmetric-log for values of both signs
    over three decades or more, else linear (a narrow range reads best on a linear axis)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return
    nz = np.abs(v[v != 0])
    if np.all(v > 0) and v.max() / v.min() >= LOG_SPAN:
        ax.set_yscale("log")
    elif nz.size and np.any(v <= 0) and nz.max() / nz.min() >= 1e3:
        ax.set_yscale("symlog", linthresh=max(float(nz.min()), float(nz.max()) * 1e-6))


def _slack_curve(series, sense):
    m, b = np.asarray(series["measured"], float), np.asarray(series["bound"], float)
    with np.errstate(all="ignore"):
        _, ls = _slacks(sense if sense in ("<=", ">=") else ("<=" if sense == "<" else ">="), m, b)
        checked = np.asarray(series["stated"], bool) & np.isfinite(m) & np.isfinite(b)
        if checked.any() and np.isfinite(ls[checked]).mean() >= 0.5:
            return ls, "log-slack"
        slack = (b - m) if sense in ("<=", "<") else (m - b)
        return slack / np.maximum(np.maximum(np.abs(m), np.abs(b)), 1e-300), "relative slack"


def _tick_text(x, _pos=None):
    return f"{x:g}"


def _ticks(ax):
    """Few major ticks, no minor ones, plain labels (no mathtext, no offset): ticks are most of the drawing time."""
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullLocator
    ax.xaxis.set_major_locator(LogLocator(numticks=5))
    ax.xaxis.set_minor_locator(NullLocator())
    if ax.get_yscale() == "log":
        ax.yaxis.set_major_locator(LogLocator(numticks=4))
    elif ax.get_yscale() == "linear":
        ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(_tick_text))
    ax.yaxis.set_major_formatter(FuncFormatter(_tick_text))
    ax.tick_params(labelsize=6)


def _panel(ax_v, ax_s, row, title):
    s = row.series
    t = np.asarray(s["t"], float)
    keep = t >= 1                                       # log axis: t = 0 is left out
    t, m, b = t[keep], np.asarray(s["measured"], float)[keep], np.asarray(s["bound"], float)[keep]
    cond = np.asarray(s["stated"], bool)[keep] & np.asarray(s["defined"], bool)[keep]
    vac = cond & np.asarray(s.get("vacuous", np.zeros(len(keep), bool)), bool)[keep]
    bad = failing_iterates(s, row.sense)[keep]
    for ax in (ax_v, ax_s):
        _shade(ax, t, cond & ~vac, _SHADE, 0.15)
        _shade(ax, t, vac, _VACUOUS, 0.25)
        ax.set_xscale("log")
        ax.grid(True, which="major", alpha=0.3)
    ax_v.plot(t, m, color=_MEASURED, lw=1.3)
    ax_v.plot(t, b, color=_BOUND, lw=1.3, ls="--")
    if bad.any():
        ax_v.plot(t[bad], m[bad], "x", color=_FAIL, ms=5)
    _yscale(ax_v, np.concatenate([m, b]))
    ax_v.set_title(title, fontsize=7)
    y, label = _slack_curve(s, row.sense)
    y = y[keep]
    ax_s.axhline(0.0, color="black", lw=0.8)
    ax_s.axhspan(-RTOL, 0.0, color=_FAIL, alpha=0.12, lw=0)          # the audit's tolerance below 0
    ax_s.plot(t, np.where(np.isfinite(y), y, np.nan), color=_SLACK, lw=1.2)
    if bad.any():
        ax_s.plot(t[bad], y[bad], "x", color=_FAIL, ms=5)
    finite = y[np.isfinite(y)]
    _yscale(ax_s, np.concatenate([finite, [0.0]]) if finite.size else y)
    if ax_s.get_yscale() == "linear" and (not finite.size or np.abs(finite).max() < 10 * RTOL):
        ax_s.set_ylim(-10 * RTOL, 10 * RTOL)       # rounding-level slack: drawn as the 0 it is, within the band
    ax_s.set_ylabel(label, fontsize=6)
    ax_s.set_xlabel("t", fontsize=6, labelpad=1)
    _ticks(ax_v)
    _ticks(ax_s)
    ax_v.tick_params(labelbottom=False)


def _key(fig, ncol):
    """One legend for the whole figure (the same colours in every panel): one row, two on a narrow figure."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles = [Line2D([], [], color=_MEASURED, lw=1.3), Line2D([], [], color=_BOUND, lw=1.3, ls="--"),
               Line2D([], [], color=_SLACK, lw=1.2), Patch(color=_SHADE, alpha=0.3), Patch(color=_VACUOUS, alpha=0.4),
               Patch(color=_FAIL, alpha=0.2), Line2D([], [], color=_FAIL, marker="x", ls="")]
    labels = ["measured", "bound", "slack (>= 0 holds)", "conditions hold", "bound vacuous there", "tolerance",
              "fails"]
    fig.legend(handles, labels, loc="upper center", ncol=7 if ncol >= 3 else 4, fontsize=7, frameon=False,
               bbox_to_anchor=(0.5, 0.985))


def statement_figure(statement, runs, title=None):
    """One statement's rows on one or more runs as a PNG (module docstring); None without matplotlib.

    Parameters
    ----------
    statement : str
        The statement's name (figure title).
    runs : list of (str, list of StepRow)
        Run name and the statement's rows on it that carry a per-iterate ``series``.
    title : str, optional
        Default: the statement's name.

    Returns
    -------
    bytes or None
        The PNG, or None when matplotlib is not installed or no row has a series.
    """
    runs = [(name, [r for r in rows if getattr(r, "series", None)]) for name, rows in runs]
    blocks = [(name, r) for name, rows in runs for r in rows]
    if not blocks:
        return None
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    ncol = min(COLUMNS, max(len(rows) for _, rows in runs))
    layout = []                                         # (block row, column) of each block: a run starts a row
    r0 = 0
    for name, rows in runs:
        if not rows:
            continue
        for k in range(len(rows)):
            layout.append((r0 + k // ncol, k % ncol))
        r0 += -(-len(rows) // ncol)
    w, hv, hs = COLUMN_SIZE
    height = r0 * (hv + hs + 0.5) + 0.8
    if ncol < 3:
        height += 0.25                                 # the legend takes two rows
    width = w * max(ncol, 2)                           # wide enough for the legend
    fig = plt.figure(figsize=(width, height))
    top = 1 - (0.95 if ncol >= 3 else 1.2) / height
    outer = fig.add_gridspec(r0, ncol, left=1.0 / width, right=0.98 if ncol > 1 else 0.6, top=top,
                             bottom=0.35 / height, hspace=0.3, wspace=0.38)
    try:
        for (name, row), (i, j) in zip(blocks, layout):
            inner = outer[i, j].subgridspec(2, 1, height_ratios=[hv, hs], hspace=0.06)
            ax_v = fig.add_subplot(inner[0])
            ax_s = fig.add_subplot(inner[1], sharex=ax_v)
            _panel(ax_v, ax_s, row, _label(f"{name}: {row.quantity}"))
        fig.suptitle(title or statement, fontsize=10, y=0.998)
        _key(fig, ncol)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        return buf.getvalue()
    finally:
        plt.close(fig)


def _label(text, width=44):
    """A panel title wrapped (never cut) to lines of about ``width`` characters."""
    return "\n".join(textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False)) or text

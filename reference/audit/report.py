"""The audit's report as a document: what a row's verdict means, the counts per run, and the document model.

One model for ``verify``, ``proofs`` and ``sweep``: a :class:`Document` of
:class:`Section` (one per run), each with its header (data, constants, step
sizes, ``||W*||``), its counts, its headlines, a :class:`Table` and its
:class:`Figure` s. :mod:`reference.audit.report_text` writes it for the terminal,
:mod:`reference.audit.report_files` as Markdown and as a self-contained HTML page.

Every row (a statement row or a proof step, :class:`~reference.audit.table.AuditRow`
or :class:`~reference.audit.verdicts.StepRow`) falls in exactly one category
(:func:`category`, explained by :data:`CATEGORY_LEGEND`):

``held``
    its conditions hold at some iterate, and the bound holds at every such iterate;
``unstated``
    (proof steps) holds only where a condition the paper does not state also holds;
``vacuous``
    holds, but at every iterate checked the bound lies beyond the values the quantity can
    take (a direction error, at most 2, bounded by ``3.1e10``): it says nothing on this run;
``n/a``
    its conditions hold at no iterate of the run (or the quantity cannot be computed):
    nothing was checked, and the report says which condition fails;
``informational``
    a row that never decides (a fitted rate, an ``O(.)`` constant): shown, not judged;
``erratum``
    a printed form that docs/theory.md or docs/proofs.md records as false; it keeps its row
    (and fails as recorded on some run) but never decides: its corrected form decides;
``violated``
    a row that decides and fails where its conditions hold: the exit status is 1.
"""

import math
from dataclasses import dataclass, field

from .statements import RTOL

__all__ = ["CATEGORIES", "CATEGORY_LEGEND", "category", "count", "counts_line", "fmt", "fmt_log_slack", "Column",
           "Table", "Figure", "Section", "Document"]

#: The categories of a row, in the order the counts are printed.
CATEGORIES = ("held", "unstated", "vacuous", "n/a", "informational", "erratum", "violated")
#: What each category means (the legend of every report).
CATEGORY_LEGEND = {
    "held": "its conditions hold at some iterate and the bound holds at every iterate where they do",
    "unstated": "(proof steps) holds, but only where a condition the paper does not state also holds "
                "(the row names it)",
    "vacuous": "holds, but at every iterate checked the bound lies beyond what the quantity can reach (e.g. a "
               "direction error, at most 2, bounded by 3.1e10): true and empty on this run",
    "n/a": "its conditions hold at no iterate of the run, so nothing was checked; the row says which "
           "condition fails and what it needs",
    "informational": "never decides: a fitted rate or an O(.) constant, shown next to the rate it is compared with",
    "erratum": "a printed form recorded as false (docs/theory.md, docs/proofs.md): it keeps its row and fails "
               "as recorded on some run, never counts as violated; its corrected form has its own row and decides",
    "violated": "decides and fails where its conditions hold (the first failing iterate is shown): exit status 1",
}


def category(row):
    """The category of an audit row (module docstring): one of :data:`CATEGORIES`.

    Parameters
    ----------
    row : AuditRow or StepRow

    Returns
    -------
    str
    """
    if row.erratum:
        return "erratum"
    if not row.decides:
        return "informational"
    if row.holds is None:
        return "n/a"
    if row.holds is False:
        return "violated"
    if getattr(row, "vacuous", False):
        return "vacuous"
    if getattr(row, "verdict", "") == "holds-unstated":
        return "unstated"
    return "held"


def count(rows):
    """Counts of a run's rows: ``rows``, ``checked`` and one entry per category (+ ``erratum_failing``).

    Parameters
    ----------
    rows : iterable of AuditRow

    Returns
    -------
    dict
        ``rows`` (all), ``checked`` (conditions hold at some iterate where the quantity is defined),
        every name of :data:`CATEGORIES`, and ``erratum_failing`` (erratum rows failing here, as recorded).
    """
    rows = list(rows)
    out = {"rows": len(rows), "checked": sum(r.holds is not None for r in rows)}
    out.update({c: 0 for c in CATEGORIES})
    for r in rows:
        out[category(r)] += 1
    out["erratum_failing"] = sum(1 for r in rows if r.erratum and r.holds is False)
    return out


def counts_line(c):
    """One line of counts, e.g. ``"40 rows, 29 checked: held 22, vacuous 4, ..., violated 0"``.

    Categories that are 0 are left out, except ``violated`` (always shown).
    """
    parts = []
    for k in CATEGORIES:
        n = c.get(k, 0)
        if k == "erratum" and n:
            parts.append(f"erratum {n} ({c.get('erratum_failing', 0)} failing here as recorded)")
        elif n or k == "violated":
            parts.append(f"{k} {n}")
    return f"{c['rows']} rows, {c['checked']} checked: " + ", ".join(parts)


def fmt(x, digits=4):
    """A number for a report cell: ``"-"`` for None or nan, ``inf``/``-inf``, else ``digits`` significant digits."""
    if x is None:
        return "-"
    if isinstance(x, (bool,)):
        return str(x)
    if isinstance(x, int):
        return str(x)
    x = float(x)
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def fmt_log_slack(x, measured=None, bound=None):
    """The log-slack cell: ``"tight"`` when ``|x|`` is within the audit's relative tolerance (``RTOL``)
    or the two sides are equal, ``"-"`` when undefined (a side is 0 or the signs differ), else 4 digits."""
    if measured is not None and bound is not None and measured == bound and math.isfinite(float(measured)):
        return "tight"
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) <= RTOL:
        return "tight"
    return fmt(x)


@dataclass
class Column:
    """A column of a report table.

    Attributes
    ----------
    key : str
        The key of the column in each row dict.
    title : str
    legend : str
        What the column holds (the table's legend).
    align : {"<", ">"}
        Left (labels) or right (numbers).
    wrap : bool
        The cell may wrap onto several lines (never cut) when the terminal is narrow.
    min_width : int
        Narrowest width of a wrapping column.
    wide_only : bool
        Shown only with ``--wide`` (and in the Markdown and HTML reports).
    """

    key: str
    title: str
    legend: str
    align: str = "<"
    wrap: bool = False
    min_width: int = 8
    wide_only: bool = False


@dataclass
class Table:
    """Rows of text cells under :class:`Column` s (``rows``: dicts ``key -> str``; ``anchors``: HTML ids;
    ``classes``: each row's category, for colour in HTML)."""

    columns: list
    rows: list
    anchors: list = None
    classes: list = None


@dataclass
class Figure:
    """A picture of the report: PNG bytes (None when matplotlib is missing), title and caption."""

    title: str
    caption: str
    png: bytes = None
    anchor: str = ""


@dataclass
class Section:
    """One part of a report (one run, the proof chains, the errata).

    Attributes
    ----------
    title, anchor : str
    facts : list of (str, str)
        The header: label and text (data, constants, step sizes, ``||W*||``, end of the run).
    preformatted : list of str
        Lines shown as they are (the assumption report of the user's data).
    preformatted_in_text : bool
        Also in the terminal report (False when the command printed them already, before training).
    counts : dict or None
        :func:`count` of the section's rows.
    headlines : list of str
        What a reader should know about this part.
    table : Table or None
    table_in_text : bool
        Print the table in the terminal report by default (False: only with ``--wide``).
    figures : list of Figure
    notes : list of str
        Paragraphs after the table.
    in_text : bool
        Part of the terminal report (False: only in the Markdown and HTML reports, e.g. the pictures).
    """

    title: str
    anchor: str = ""
    facts: list = field(default_factory=list)
    preformatted: list = field(default_factory=list)
    preformatted_in_text: bool = True
    counts: dict = None
    headlines: list = field(default_factory=list)
    table: Table = None
    table_in_text: bool = True
    figures: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    in_text: bool = True


@dataclass
class Document:
    """A whole report: title, introduction, what to know, legend, sections, closing lines.

    Attributes
    ----------
    title : str
    intro : list of str
        Paragraphs.
    headlines : list of str
        What a reader should know first.
    legend : list of (str, str)
        Term and meaning: the columns, then the categories.
    sections : list of Section
    closing : list of str
        Paragraphs at the end (files written, exit status).
    """

    title: str
    intro: list = field(default_factory=list)
    headlines: list = field(default_factory=list)
    legend: list = field(default_factory=list)
    sections: list = field(default_factory=list)
    closing: list = field(default_factory=list)

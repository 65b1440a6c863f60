"""The report for the terminal: as wide as the terminal, labels wrapped (never cut), ``wide`` for everything.

:func:`to_text` writes a :class:`~reference.audit.report.Document`: its title,
what a reader should know, the legend, then every section (header, counts,
headlines, table). The width is the terminal's (:func:`terminal_width`, via
``shutil.get_terminal_size``, which also reads ``COLUMNS``); a table narrower
than its natural width wraps its label and verdict columns onto several lines
and never cuts a cell. ``wide=True`` adds the columns marked ``wide_only`` and
the tables a section keeps out of the terminal by default, and wraps nothing.
"""

import shutil
import textwrap

from .report import counts_line

__all__ = ["DEFAULT_WIDTH", "MIN_WIDTH", "GAP", "FLOOR", "terminal_width", "wrap", "table_lines", "legend_lines",
           "to_text"]

#: Width used when the output is not a terminal and ``COLUMNS`` is not set.
DEFAULT_WIDTH = 100
#: Narrowest width the report is laid out for (a narrower terminal wraps the lines itself).
MIN_WIDTH = 60
#: Spaces between two columns of a table.
GAP = 2
#: Narrowest a wrapping column gets on a narrow terminal.
FLOOR = 10


def terminal_width(default=DEFAULT_WIDTH):
    """The terminal's width in characters (``COLUMNS`` if set; ``default`` when not a terminal), >= ``MIN_WIDTH``."""
    return max(MIN_WIDTH, shutil.get_terminal_size((default, 24)).columns)


def wrap(text, width, first="", rest=None):
    """``text`` wrapped to ``width`` with the prefixes ``first`` (first line) and ``rest`` (default: as wide, blank).

    Words longer than a line are broken, never dropped: joining the lines gives back every character.
    """
    rest = " " * len(first) if rest is None else rest
    if width is None:
        return [first + text]
    lines = textwrap.wrap(text, max(8, width), initial_indent=first, subsequent_indent=rest,
                          break_long_words=True, break_on_hyphens=False)
    return lines or [first.rstrip()]


def _cell_lines(text, width, wrapping):
    if not wrapping or width is None or len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _widths(cols, rows, width):
    """Natural widths; when too wide, the wrapping columns shrink: each to its minimum, then what is left
    goes to them in order (the label first), each up to its natural width. When even the minima do not
    fit, they shrink in proportion, down to :data:`FLOOR` characters."""
    natural = [max([len(c.title)] + [len(r.get(c.key, "")) for r in rows]) for c in cols]
    if width is None:
        return natural
    fixed = sum(w for c, w in zip(cols, natural) if not c.wrap) + GAP * (len(cols) - 1)
    flex = [i for i, c in enumerate(cols) if c.wrap]
    avail = width - fixed
    if not flex or sum(natural[i] for i in flex) <= avail:
        return natural
    out = list(natural)
    for i in flex:
        out[i] = min(natural[i], max(cols[i].min_width, len(cols[i].title)))
    total = sum(out[i] for i in flex)
    if total > avail:
        for i in flex:
            out[i] = max(FLOOR, avail * out[i] // total)
        return out
    spare = avail - sum(out[i] for i in flex)
    for i in flex:
        if spare > 0:
            add = min(spare, natural[i] - out[i])
            out[i] += add
            spare -= add
    return out


def table_lines(table, width=None, wide=False):
    """The lines of a :class:`~reference.audit.report.Table` (header, rule, rows).

    Parameters
    ----------
    table : Table
    width : int or None
        Total width to fit (None: every column at its natural width, nothing wrapped).
    wide : bool
        Include the ``wide_only`` columns and wrap nothing.

    Returns
    -------
    list of str
    """
    cols = [c for c in table.columns if wide or not c.wide_only]
    width = None if wide else width
    widths = _widths(cols, table.rows, width)

    def line(cells):
        parts = [(f"{x:>{w}}" if c.align == ">" else f"{x:<{w}}") for c, x, w in zip(cols, cells, widths)]
        return (" " * GAP).join(parts).rstrip()

    out = [line([c.title for c in cols])]
    out.append("-" * len(out[0]))
    for r in table.rows:
        cells = [_cell_lines(r.get(c.key, ""), w, c.wrap) for c, w in zip(cols, widths)]
        for k in range(max(len(x) for x in cells)):
            out.append(line([x[k] if k < len(x) else "" for x in cells]))
    return out


def legend_lines(legend, width):
    """A legend (``[(term, meaning)]``) as an aligned definition list wrapped to ``width``."""
    w = max((len(t) for t, _ in legend), default=0) + 2
    out = []
    for term, meaning in legend:
        out += wrap(meaning, width, first="  " + f"{term:<{w}}")
    return out


def _bullets(items, width):
    out = []
    for h in items:
        out += wrap(h, width, first="  * ")
    return out


def to_text(doc, width=None, wide=False):
    """The report for the terminal (see the module docstring).

    Parameters
    ----------
    doc : Document
    width : int, optional
        Default :func:`terminal_width`.
    wide : bool
        Every column and table, nothing wrapped.

    Returns
    -------
    str
    """
    width = terminal_width() if width is None else width
    out = [doc.title, "=" * min(len(doc.title), width)]
    for p in doc.intro:
        out += wrap(p, width)
    if doc.headlines:
        out += ["", "What to know:"] + _bullets(doc.headlines, width)
    if doc.legend:
        out += ["", "Legend (columns, then verdicts):"] + legend_lines(doc.legend, width)
    for s in doc.sections:
        if not s.in_text:
            continue
        out += ["", f"== {s.title} =="]
        if s.preformatted_in_text:
            out += s.preformatted
        for label, text in s.facts:
            out += wrap(text, width, first=f"{label}: ", rest="    ")
        if s.counts is not None:
            out += wrap(counts_line(s.counts), width, first="counts: ", rest="    ")
        out += _bullets(s.headlines, width)
        if s.table is not None and s.table.rows and (s.table_in_text or wide):
            out.append("")
            out += table_lines(s.table, width, wide)
        for p in s.notes:
            out += wrap(p, width)
    if doc.closing:
        out.append("")
        for p in doc.closing:
            out += wrap(p, width)
    return "\n".join(out)

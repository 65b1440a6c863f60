"""The report as files: ``report.md`` and a self-contained ``report.html`` (inline CSS, images as data URIs).

:func:`to_markdown` and :func:`to_html` write a
:class:`~reference.audit.report.Document` with every column (as ``--wide``) and
every picture; :func:`write_reports` writes both into a folder. The HTML page
needs nothing but itself: its style sheet is inline, every image is a PNG in a
``data:`` URI, every link is an anchor of the page, and it has no script. The
Markdown file links its pictures as PNG files in ``report-figures/`` next to it.
"""

import base64
import html
import os
import re

from ..data.files import atomic_write
from .report import CATEGORIES, counts_line

__all__ = ["FIGURE_DIR", "CSS", "slug", "to_markdown", "to_html", "write_reports"]

#: Folder (next to report.md) of the Markdown report's pictures.
FIGURE_DIR = "report-figures"
#: The page's style sheet (inline: the page loads nothing).
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5em auto; max-width: 1250px;
       padding: 0 1em; color: #1a1a1a; background: #ffffff; line-height: 1.4; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; margin-top: 2em; }
nav ul { columns: 3; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.82em; margin: 0.6em 0; }
th, td { border: 1px solid #d0d0d0; padding: 2px 6px; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.label { min-width: 17em; } td.verdict { min-width: 10em; } td.printed, td.note { min-width: 14em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.held td.verdict, tr.unstated td.verdict { background: #e6f4e6; }
tr.vacuous td.verdict { background: #eeeeee; }
tr.na td.verdict { background: #fff6dc; }
tr.erratum td.verdict { background: #f3e6f7; }
tr.violated td.verdict { background: #f8d0d0; font-weight: bold; }
tr.informational td.verdict { background: #e8eef8; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0 1em; }
dl.facts dt { font-weight: bold; } dl.facts dd { margin: 0; }
.what { background: #f7f7f2; border-left: 4px solid #6a8caf; padding: 0.3em 1em; }
.counts { font-weight: bold; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.85em; color: #444; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; font-size: 0.85em; }
"""


def slug(text):
    """An HTML id from ``text`` (letters, digits and dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _css_class(cat):
    return "na" if cat == "n/a" else cat


# ---------------------------------------------------------------- Markdown
def _md(text):
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(table):
    cols = table.columns
    out = ["| " + " | ".join(_md(c.title) for c in cols) + " |",
           "|" + "|".join("---:" if c.align == ">" else "---" for c in cols) + "|"]
    out += ["| " + " | ".join(_md(r.get(c.key, "")) for c in cols) + " |" for r in table.rows]
    return out


def to_markdown(doc, figure_files=None):
    """The report as Markdown (every column; pictures linked as ``figure_files[anchor]`` when given).

    Parameters
    ----------
    doc : Document
    figure_files : dict, optional
        Figure anchor -> relative path of its PNG (figures without one are named, not shown).

    Returns
    -------
    str
    """
    figure_files = figure_files or {}
    out = [f"# {doc.title}", ""] + [p + "\n" for p in doc.intro]
    if doc.headlines:
        out += ["## What to know", ""] + [f"- {h}" for h in doc.headlines] + [""]
    out += ["## Contents", ""] + [f"- [{s.title}](#{s.anchor or slug(s.title)})" for s in doc.sections] + [""]
    if doc.legend:
        out += ["## Legend", "", "| term | meaning |", "|---|---|"]
        out += [f"| {_md(t)} | {_md(m)} |" for t, m in doc.legend] + [""]
    for s in doc.sections:
        out += [f'<a id="{s.anchor or slug(s.title)}"></a>', "", f"## {s.title}", ""]
        if s.preformatted:
            out += ["```text"] + s.preformatted + ["```", ""]
        out += [f"- **{label}**: {text}" for label, text in s.facts]
        if s.counts is not None:
            out.append(f"- **counts**: {counts_line(s.counts)}")
        out.append("")
        if s.headlines:
            out += [f"- {h}" for h in s.headlines] + [""]
        if s.table is not None and s.table.rows:
            out += _md_table(s.table) + [""]
        for f in s.figures:
            path = figure_files.get(f.anchor)
            out += [f'<a id="{f.anchor}"></a>', "", f"### {f.title}", ""]
            out += [f"![{f.title}]({path})", ""] if path else ["(picture not drawn: it needs matplotlib)", ""]
            out += [f"*{f.caption}*", ""]
        out += [p + "\n" for p in s.notes]
    out += [p + "\n" for p in doc.closing]
    return "\n".join(out).rstrip() + "\n"


# ---------------------------------------------------------------- HTML
def _e(text):
    return html.escape(str(text), quote=True)


def _html_table(table):
    cols = table.columns
    head = "".join(f"<th>{_e(c.title)}</th>" for c in cols)
    body = []
    for i, r in enumerate(table.rows):
        cls = _css_class(table.classes[i]) if getattr(table, "classes", None) else ""
        rid = f' id="{_e(table.anchors[i])}"' if table.anchors else ""
        cells = "".join(f'<td class="{"num" if c.align == ">" else c.key}">{_e(r.get(c.key, ""))}</td>' for c in cols)
        body.append(f'<tr class="{cls}"{rid}>{cells}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(f):
    if f.png is None:
        img = "<p>(picture not drawn: it needs matplotlib, the plot extra)</p>"
    else:
        data = base64.b64encode(f.png).decode("ascii")
        img = f'<img src="data:image/png;base64,{data}" alt="{_e(f.title)}">'
    return f'<figure id="{_e(f.anchor)}"><figcaption><b>{_e(f.title)}</b></figcaption>{img}' \
           f"<figcaption>{_e(f.caption)}</figcaption></figure>"


def to_html(doc):
    """The report as one self-contained HTML page (module docstring).

    Parameters
    ----------
    doc : Document

    Returns
    -------
    str
    """
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(doc.title)}</title><style>{CSS}</style></head><body>", f"<h1>{_e(doc.title)}</h1>"]
    out += [f"<p>{_e(p)}</p>" for p in doc.intro]
    if doc.headlines:
        out.append('<div class="what"><h2 id="what-to-know">What to know</h2><ul>'
                   + "".join(f"<li>{_e(h)}</li>" for h in doc.headlines) + "</ul></div>")
    out.append("<nav><h2 id=\"contents\">Contents</h2><ul>"
               + "".join(f'<li><a href="#{_e(s.anchor or slug(s.title))}">{_e(s.title)}</a></li>' for s in doc.sections)
               + '<li><a href="#legend">legend</a></li></ul></nav>')
    for s in doc.sections:
        out.append(f'<section><h2 id="{_e(s.anchor or slug(s.title))}">{_e(s.title)}</h2>')
        if s.preformatted:
            out.append("<pre>" + _e("\n".join(s.preformatted)) + "</pre>")
        if s.facts:
            out.append('<dl class="facts">' + "".join(f"<dt>{_e(a)}</dt><dd>{_e(b)}</dd>" for a, b in s.facts)
                       + "</dl>")
        if s.counts is not None:
            out.append(f'<p class="counts">{_e(counts_line(s.counts))}</p>')
        if s.headlines:
            out.append("<ul>" + "".join(f"<li>{_e(h)}</li>" for h in s.headlines) + "</ul>")
        if s.table is not None and s.table.rows:
            out.append(_html_table(s.table))
        out += [_figure(f) for f in s.figures]
        out += [f"<p>{_e(p)}</p>" for p in s.notes]
        out.append("</section>")
    if doc.legend:
        out.append('<section><h2 id="legend">Legend</h2><table><tbody>'
                   + "".join(f'<tr class="{_css_class(t) if t in CATEGORIES else ""}"><td class="verdict">{_e(t)}'
                             f"</td><td>{_e(m)}</td></tr>" for t, m in doc.legend) + "</tbody></table></section>")
    out += [f"<p>{_e(p)}</p>" for p in doc.closing]
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_reports(doc, out, stem="report"):
    """Write ``{stem}.md`` (pictures in ``report-figures/``) and the self-contained ``{stem}.html`` into ``out``.

    Parameters
    ----------
    doc : Document
    out : str
        An existing, writable folder.
    stem : str

    Returns
    -------
    dict
        ``{"md": path, "html": path, "figures": [paths]}``.

    Raises
    ------
    OSError
        A file cannot be written (each is written whole or not at all).
    """
    files, pngs = {}, []
    figs = [f for s in doc.sections for f in s.figures if f.png is not None]
    if figs:
        os.makedirs(os.path.join(out, FIGURE_DIR), exist_ok=True)
    for f in figs:
        rel = f"{FIGURE_DIR}/{slug(f.anchor or f.title)}.png"
        with atomic_write(os.path.join(out, rel), "wb") as fh:
            fh.write(f.png)
        files[f.anchor] = rel
        pngs.append(os.path.join(out, rel))
    md, page = os.path.join(out, f"{stem}.md"), os.path.join(out, f"{stem}.html")
    with atomic_write(md) as fh:
        fh.write(to_markdown(doc, files))
    with atomic_write(page) as fh:
        fh.write(to_html(doc))
    return {"md": md, "html": page, "figures": pngs}

"""Writing results: CSV and JSON always, PNG figures when matplotlib is installed.

Matplotlib is an optional extra (``pip install reference[plot]``); it is
imported lazily inside the functions that draw, with the non-interactive
``Agg`` backend, so every command still writes its numbers without it.
"""

import csv
import json
import math
import os

import numpy as np

__all__ = ["have_matplotlib", "write_csv", "write_json", "ensure_dir", "panel_figure", "jsonable"]


def have_matplotlib():
    """True if matplotlib can be imported (figures are drawn only then).

    Returns
    -------
    bool
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def ensure_dir(path):
    """Create the output directory ``path`` (and parents) if needed; return it.

    Parameters
    ----------
    path : str

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    OSError
        ``path`` exists and is not a directory, or cannot be created.
    """
    os.makedirs(path, exist_ok=True)
    return path


def jsonable(x):
    """``x`` with numpy scalars/arrays turned into Python numbers/lists and non-finite floats into strings.

    JSON has no NaN or infinity; they are written as ``"nan"``, ``"inf"``, ``"-inf"``.

    Parameters
    ----------
    x : any
        Nested dicts, lists, tuples, numpy arrays and scalars.

    Returns
    -------
    The same structure with JSON-compatible leaves (dict keys become strings; other
    objects are returned unchanged).
    """
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else ("nan" if x != x else ("inf" if x > 0 else "-inf"))
    return x


def write_json(path, obj):
    """Write ``obj`` as indented JSON (via :func:`jsonable`); return ``path``.

    Parameters
    ----------
    path : str
    obj : any
        Converted by :func:`jsonable`.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    OSError
        The file cannot be written.
    TypeError
        ``obj`` holds something JSON cannot represent even after :func:`jsonable`.
    """
    with open(path, "w", encoding="utf-8") as f:
        json.dump(jsonable(obj), f, indent=1)
        f.write("\n")
    return path


def write_csv(path, header, rows):
    """Write a CSV table; floats with ``repr`` precision (they read back exactly). Return ``path``.

    Parameters
    ----------
    path : str
    header : list of str
    rows : iterable of sequences
        One per line; float entries are written with ``repr`` (nan as ``nan``).

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    OSError
        The file cannot be written.
    """
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([repr(float(v)) if isinstance(v, (float, np.floating)) else v for v in r])
    return path


#: Figure margins and gaps between panels, in inches: room for tick labels, axis labels and
#: panel titles at the font sizes used here (a right-hand scale included).
_LEFT_IN, _RIGHT_IN, _BOTTOM_IN, _TOP_IN, _TITLE_IN = 0.75, 0.65, 0.5, 0.3, 0.3
_WSPACE_IN, _HSPACE_IN = 1.25, 0.75


def panel_figure(path, panels, nrows, ncols, title=None, panel_size=(4.0, 3.0)):
    """Draw a grid of line plots and save it as PNG; return ``path``, or None without matplotlib.

    Parameters
    ----------
    path : str
    panels : list of dict
        One per panel, row by row: ``title``, ``xlabel``, ``ylabel``, ``lines`` (list of
        dicts with ``x``, ``y``, optional ``label``, ``lo``/``hi`` for a shaded band,
        ``style``), optional ``logy``, ``ylim``, ``vline`` (x of a dashed vertical line),
        ``right_scale`` ``(factor, label)``: a right-hand axis showing ``factor * y``.
    nrows, ncols : int
        Grid shape; unused cells are hidden.
    title : str, optional
        Figure title.
    panel_size : (float, float)
        Inches per panel.

    Returns
    -------
    str or None
        ``path``, or None when matplotlib is not installed (nothing is drawn).

    Raises
    ------
    OSError
        The file cannot be written.
    """
    try:                                      # no pyplot: no global state, no backend switch, faster import
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig_w, fig_h = panel_size[0] * ncols, panel_size[1] * nrows
    fig = Figure(figsize=(fig_w, fig_h))
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    # fixed margins in inches (tight_layout would draw the whole figure once more to measure it)
    top = _TOP_IN + (_TITLE_IN if title else 0.0)
    fig.subplots_adjust(left=_LEFT_IN / fig_w, right=1 - _RIGHT_IN / fig_w, bottom=_BOTTOM_IN / fig_h,
                        top=1 - top / fig_h,
                        wspace=_WSPACE_IN * ncols / (fig_w - _LEFT_IN - _RIGHT_IN - _WSPACE_IN * (ncols - 1)),
                        hspace=_HSPACE_IN * nrows / (fig_h - _BOTTOM_IN - top - _HSPACE_IN * (nrows - 1)))
    for ax, p in zip(axes.ravel(), panels):
        for ln in p["lines"]:
            x, y = np.asarray(ln["x"]), np.asarray(ln["y"])
            h = ax.plot(x, y, ln.get("style", "-"), label=ln.get("label"), lw=1.5)[0]
            if "lo" in ln:
                ax.fill_between(x, ln["lo"], ln["hi"], color=h.get_color(), alpha=0.2, lw=0)
        if p.get("logy"):
            ax.set_yscale("log")
        if p.get("ylim") is not None:
            ax.set_ylim(*p["ylim"])
        if p.get("right_scale"):                       # (factor, label): same curve, scaled right axis
            f, lab = p["right_scale"]
            ax.secondary_yaxis("right", functions=(lambda y, f=f: y * f, lambda y, f=f: y / f)).set_ylabel(lab)
        if p.get("vline") is not None:
            ax.axvline(p["vline"], color="grey", ls=":", lw=1)
        ax.set_title(p.get("title", ""), fontsize=10)
        ax.set_xlabel(p.get("xlabel", "t"))
        ax.set_ylabel(p.get("ylabel", ""))
        ax.grid(alpha=0.3)
        if any(ln.get("label") for ln in p["lines"]):
            ax.legend(fontsize=8)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10, y=1 - 0.08 / fig_h)
    fig.savefig(path, dpi=110)
    return path

"""Writing results: CSV and JSON always, PNG figures when matplotlib is installed.

Every file is written whole or not at all (:func:`reference.data.files.atomic_write`):
a full disk or an interrupted run leaves the previous file, never a truncated one.
Matplotlib is an optional extra (``pip install reference[plot]``); it is
imported lazily inside the functions that draw, with the non-interactive
``Agg`` backend, so every command still writes its numbers without it.
"""

import csv
import json
import math

import numpy as np

from ..data.files import atomic_write, output_dir

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


def ensure_dir(path, flag="--out"):
    """Create the output directory ``path`` (and parents) if needed and check it is writable; return it.

    Parameters
    ----------
    path : str
    flag : str
        The option that named the folder, for messages.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    ConfigError
        ``path`` exists and is not a directory, cannot be created or is not writable
        (:func:`reference.data.files.output_dir`; the message is worded for a person).
    """
    return output_dir(path, flag)


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
        The file cannot be written (the previous file, if any, is left as it was).
    ConfigError
        ``path`` is a symbolic link (never followed).
    TypeError
        ``obj`` holds something JSON cannot represent even after :func:`jsonable`.
    """
    text = json.dumps(jsonable(obj), indent=1) + "\n"
    with atomic_write(path) as f:
        f.write(text)
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
        The file cannot be written (the previous file, if any, is left as it was).
    ConfigError
        ``path`` is a symbolic link (never followed).
    """
    with atomic_write(path, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        for r in rows:
            w.writerow([repr(float(v)) if isinstance(v, (float, np.floating)) else v for v in r])
    return path


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
        The file cannot be written (the previous file, if any, is left as it was).
    ConfigError
        ``path`` is a symbolic link (never followed).
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows),
                             squeeze=False)
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
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    try:
        with atomic_write(path, "wb") as f:
            fig.savefig(f, dpi=110, format="png")
    finally:
        plt.close(fig)
    return path

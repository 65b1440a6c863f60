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


def panel_figure(path, panels, nrows, ncols, title=None, panel_size=(4.0, 3.0)):
    """Draw a grid of line plots and save it as PNG; return ``path``, or None without matplotlib.

    Parameters
    ----------
    path : str
    panels : list of dict
        One per panel, row by row, as for :func:`reference.experiments.panels.draw_panels`
        (which draws them: identical curves merged, distinct styles, fixed [0, 1] limits, no
        offset axis labels).
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
    from .panels import draw_panels
    fig = draw_panels(panels, nrows, ncols, title=title, panel_size=panel_size)
    if fig is None:
        return None
    import matplotlib.pyplot as plt
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path

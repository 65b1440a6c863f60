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

__all__ = ["NO_FIGURE", "have_matplotlib", "write_csv", "write_json", "ensure_dir", "panel_figure", "jsonable"]


#: What a command prints instead of a figure when matplotlib is absent (one line, under 80 columns).
NO_FIGURE = "  (no PNG: the figures need matplotlib; pip install matplotlib)"


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
        The file cannot be written (the previous file, if any, is left as it was).
    ConfigError
        ``path`` is a symbolic link (never followed).
    """
    from .panels import draw_panels
    fig = draw_panels(panels, nrows, ncols, title=title, panel_size=panel_size)
    if fig is None:
        return None
    with atomic_write(path, "wb") as f:
        fig.savefig(f, dpi=110, format="png")         # constrained layout fits everything: one drawing
    return path

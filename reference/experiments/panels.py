"""Drawing a grid of line plots that can be read without the code: one legend entry per visible curve.

:func:`draw_panels` is what :func:`reference.experiments.plotting.panel_figure` saves.
Rules, so that no curve hides another and no axis misleads:

- curves of one panel that are identical (same x, y and band) are drawn once, and their
  labels are merged into one legend entry (``"a = b"``);
- the remaining curves of a panel get distinct line styles and sparse markers as well as
  colours, so two curves that nearly coincide stay visible;
- a quantity in ``[0, 1]`` (accuracy, attention) has the fixed limits :data:`UNIT_YLIM`; a
  cosine has ``UNIT_YLIM`` when it is never negative, else :data:`COSINE_YLIM`;
- linear axes never use an offset or a multiplier ("1e-12+1"): rounding noise around a
  constant is drawn as the constant it is.

Matplotlib is optional: :func:`draw_panels` returns None without it.
"""

import numpy as np

__all__ = ["UNIT_YLIM", "COSINE_YLIM", "LINESTYLES", "MARKERS", "CURVE_GID", "merge_identical", "draw_panels"]

#: Axis limits of a quantity in [0, 1]: a margin of 5% so that curves at 0 or 1 stay visible.
UNIT_YLIM = (-0.05, 1.05)
#: Axis limits of a cosine that is negative somewhere.
COSINE_YLIM = (-1.05, 1.05)
#: Line styles and markers cycled over the curves of one panel (with the colour cycle).
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
#: The ``gid`` of every data curve drawn (reference lines such as the end of stage 1 have none).
CURVE_GID = "curve"
#: Markers per curve: sparse enough not to hide the line.
MARKS_PER_CURVE = 8
#: Fixed figure margins and gaps between panels, in inches (figures without a legend outside the
#: axes): room for tick labels, axis labels and panel titles at these font sizes, a right-hand scale
#: included.
_LEFT_IN, _RIGHT_IN, _BOTTOM_IN, _TOP_IN, _TITLE_IN = 0.75, 0.65, 0.5, 0.3, 0.3
_WSPACE_IN, _HSPACE_IN = 1.25, 0.75


def _same(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def merge_identical(lines):
    """Merge curves with identical ``x``, ``y`` (and band ``lo``/``hi``) into one, labels joined by ``" = "``.

    Parameters
    ----------
    lines : list of dict
        Curves as in :func:`draw_panels` (``x``, ``y``, optional ``label``, ``lo``, ``hi``, ``style``).

    Returns
    -------
    list of dict
        The distinct curves in first-appearance order; a merged curve keeps the first one's
        fields, with ``label`` the labels of all of them joined (``None`` if none had one), and
        ``position`` its index in ``lines`` (so it keeps its colour and style across panels).
    """
    out = []
    for k, ln in enumerate(lines):
        for m in out:
            if (_same(m["x"], ln["x"]) and _same(m["y"], ln["y"]) and ("lo" in m) == ("lo" in ln)
                    and ("lo" not in ln or (_same(m["lo"], ln["lo"]) and _same(m["hi"], ln["hi"])))):
                if ln.get("label"):
                    m["label"] = f"{m['label']} = {ln['label']}" if m.get("label") else ln["label"]
                break
        else:
            out.append(dict(ln, position=ln.get("position", k)))
    return out


def _ylim(p, lines):
    if p.get("ylim") is not None:
        return p["ylim"]
    if p.get("unit"):
        return UNIT_YLIM
    if p.get("cosine"):
        ys = [np.asarray(ln["y"], dtype=float) for ln in lines]
        lowest = min((np.nanmin(y) for y in ys if np.isfinite(y).any()), default=0.0)
        return UNIT_YLIM if lowest >= 0 else COSINE_YLIM
    return None


def draw_panels(panels, nrows, ncols, title=None, panel_size=(4.0, 3.0)):
    """A matplotlib figure with a grid of line plots (see the module's rules), or None without matplotlib.

    Parameters
    ----------
    panels : list of dict
        One per panel, row by row: ``title``, ``xlabel``, ``ylabel``, ``lines`` (list of dicts
        with ``x``, ``y``, optional ``label``, ``lo``/``hi`` for a shaded band, ``style`` a
        matplotlib format string such as ``"o-"``, ``color``), optional ``logy``, ``ylim``,
        ``unit`` (the quantity lies in [0, 1]), ``cosine`` (a cosine), ``vline`` (x of a dotted
        vertical line), ``right_scale`` ``(factor, label)`` (a right-hand axis showing
        ``factor * y``), ``legend_outside`` (the legend to the right of the panel).
    nrows, ncols : int
        Grid shape; unused cells are hidden.
    title : str, optional
        Figure title.
    panel_size : (float, float)
        Inches per panel.

    Returns
    -------
    matplotlib.figure.Figure or None
        The figure (not registered with pyplot: the caller saves it, nothing to close); None when
        matplotlib is not installed.
    """
    try:                                # no pyplot: no global figure registry or backend switch, faster import
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    # constrained layout makes room for legends placed outside the axes (tight_layout cannot); it
    # measures every artist at each drawing, so other figures get fixed margins (a third cheaper)
    fig_w, fig_h = panel_size[0] * ncols, panel_size[1] * nrows
    outside = any(p.get("legend_outside") for p in panels)
    fig = Figure(figsize=(fig_w, fig_h), layout="constrained" if outside else None)
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    if not outside:
        top = _TOP_IN + (_TITLE_IN if title else 0.0)
        fig.subplots_adjust(left=_LEFT_IN / fig_w, right=1 - _RIGHT_IN / fig_w, bottom=_BOTTOM_IN / fig_h,
                            top=1 - top / fig_h,
                            wspace=_WSPACE_IN * ncols / (fig_w - _LEFT_IN - _RIGHT_IN - _WSPACE_IN * (ncols - 1)),
                            hspace=_HSPACE_IN * nrows / (fig_h - _BOTTOM_IN - top - _HSPACE_IN * (nrows - 1)))
    colours = matplotlib.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    for ax, p in zip(axes.ravel(), panels):
        lines = merge_identical(p["lines"])
        several = len(lines) > 1
        for ln in lines:
            k = ln["position"]
            x, y = np.asarray(ln["x"]), np.asarray(ln["y"])
            kw = {"lw": 1.5, "label": ln.get("label"), "color": ln.get("color", colours[k % len(colours)]),
                  "gid": CURVE_GID}
            if "style" in ln:
                fmt = ln["style"]
            elif several:
                fmt = LINESTYLES[k % len(LINESTYLES)]
                kw.update(marker=MARKERS[k % len(MARKERS)], markersize=4,
                          markevery=max(1, len(x) // MARKS_PER_CURVE))
            else:
                fmt = "-"
            h = ax.plot(x, y, fmt, **kw)[0]
            if "lo" in ln:
                ax.fill_between(x, ln["lo"], ln["hi"], color=h.get_color(), alpha=0.2, lw=0)
        if p.get("logy"):
            ax.set_yscale("log")
        else:
            ax.ticklabel_format(axis="y", style="plain", useOffset=False)
        ax.ticklabel_format(axis="x", style="plain", useOffset=False)
        ylim = _ylim(p, lines)
        if ylim is not None:
            ax.set_ylim(*ylim)
        if p.get("right_scale"):                       # (factor, label): same curve, scaled right axis
            f, lab = p["right_scale"]
            sec = ax.secondary_yaxis("right", functions=(lambda y, f=f: y * f, lambda y, f=f: y / f))
            sec.set_ylabel(lab)
            sec.yaxis.get_major_formatter().set_useOffset(False)
        if p.get("vline") is not None:
            ax.axvline(p["vline"], color="grey", ls=":", lw=1)
        ax.set_title(p.get("title", ""), fontsize=10)
        ax.set_xlabel(p.get("xlabel", "t"))
        ax.set_ylabel(p.get("ylabel", ""))
        ax.grid(alpha=0.3)
        if any(ln.get("label") for ln in lines):
            if p.get("legend_outside"):
                ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
            else:
                ax.legend(fontsize=8)
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, fontsize=10, **({} if outside else {"y": 1 - 0.08 / fig_h}))
    return fig

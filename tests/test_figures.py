"""Image tests: every figure the commands draw can be read without the code.

For each figure (``figure2`` and ``train``, ``ablation``, ``generalize``, ``sweep``), drawn from a
small run, after rendering:

- a panel with several curves has a legend with exactly one entry per curve, and every curve a label;
- no two curves of a panel coincide (identical ones are merged into one entry), and no two
  share colour, line style and marker;
- no axis shows an offset or a multiplier (the "1e-12+1" of a cosine that is 1 up to rounding);
- a quantity that lies in [0, 1] (a cosine that is never negative, an accuracy) is drawn in
  fixed limits holding [0, 1] and not much more, so rounding noise is not magnified;
- the PNG file is written and has the figure's size.

The checker itself is shown to catch an offset axis, hidden identical curves and a missing
legend on figures drawn with plain matplotlib. Without matplotlib every test here is skipped,
with the reason (figures are the optional ``plot`` extra).
"""

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib", reason="figures need matplotlib (pip install -e '.[plot]')")
mpl.use("Agg")
import matplotlib.image  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from reference.experiments import ablation, figure2, generalize, sweep_report  # noqa: E402
from reference.experiments.panels import CURVE_GID, draw_panels, merge_identical  # noqa: E402
from reference.experiments.sweep import run_sweep  # noqa: E402

#: A unit quantity may have a margin of 5% on each side so a curve at 0 or 1 stays visible.
UNIT_SPAN_MAX = 1.1 + 1e-12


def _curves(ax):
    return [ln for ln in ax.get_lines() if ln.get_gid() == CURVE_GID]


def problems(fig, unit_titles=()):
    """Everything that makes ``fig`` hard to read, as messages (empty: readable)."""
    fig.canvas.draw()
    out = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        name = ax.get_title() or "panel"
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_offset_text().get_text():
                out.append(f"{name}: offset text {axis.get_offset_text().get_text()!r}")
        curves = _curves(ax) or [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 2]
        if len(curves) > 1:
            leg = ax.get_legend()
            labels = sorted(ln.get_label() for ln in curves)
            if leg is None:
                out.append(f"{name}: {len(curves)} curves and no legend")
            elif sorted(t.get_text() for t in leg.get_texts()) != labels or any(lab.startswith("_") for lab in labels):
                out.append(f"{name}: legend {[t.get_text() for t in leg.get_texts()]} for curves {labels}")
        for i, a in enumerate(curves):
            for b in curves[i + 1:]:
                xa, ya, xb, yb = (np.asarray(v, dtype=float) for v in (*a.get_data(), *b.get_data()))
                if xa.shape == xb.shape and np.array_equal(xa, xb, equal_nan=True) and \
                        np.array_equal(ya, yb, equal_nan=True):
                    out.append(f"{name}: {a.get_label()!r} and {b.get_label()!r} are identical curves")
                if (mpl.colors.to_hex(a.get_color()), a.get_linestyle(), a.get_marker()) == \
                        (mpl.colors.to_hex(b.get_color()), b.get_linestyle(), b.get_marker()):
                    out.append(f"{name}: {a.get_label()!r} and {b.get_label()!r} look the same")
        if name in unit_titles:
            lo, hi = ax.get_ylim()
            if not (lo <= 0 and hi >= 1 and hi - lo <= UNIT_SPAN_MAX):
                out.append(f"{name}: a quantity in [0, 1] drawn in limits ({lo}, {hi})")
    return out


def _check(panels, nrows, ncols, unit_titles, write=None, panel_size=(4.0, 3.0)):
    fig = draw_panels(panels, nrows, ncols, panel_size=panel_size)
    try:
        assert problems(fig, unit_titles) == []
        titles = {ax.get_title() for ax in fig.axes}
        assert set(unit_titles) <= titles, f"panels {set(unit_titles) - titles} not found"
    finally:
        plt.close(fig)
    if write is not None:
        path = write()
        img = matplotlib.image.imread(path)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100


# ---------------------------------------------------------------- the checker is not vacuous
def test_checker_sees_an_offset_axis_hidden_curves_and_no_legend():
    t = np.arange(50)
    noisy_one = 1.0 + 1e-12 * np.sin(t)                    # a cosine equal to 1 up to rounding
    fig, ax = plt.subplots()
    ax.plot(t, noisy_one, gid=CURVE_GID)
    ax.set_title("cos")
    found = problems(fig, unit_titles=("cos",))
    plt.close(fig)
    assert any("offset text" in m for m in found) and any("limits" in m for m in found)
    fig, ax = plt.subplots()
    ax.plot(t, t, label="a", gid=CURVE_GID)
    ax.plot(t, t, label="b", gid=CURVE_GID)
    ax.set_title("two")
    found = problems(fig)
    plt.close(fig)
    assert any("identical curves" in m for m in found) and any("no legend" in m for m in found)


def test_merge_identical_joins_labels_and_keeps_positions():
    x = np.arange(5.0)
    lines = [{"x": x, "y": x, "label": "a"}, {"x": x, "y": x ** 2, "label": "b"}, {"x": x, "y": x.copy(), "label": "c"},
             {"x": x, "y": np.full(5, np.nan), "label": "d"}, {"x": x, "y": np.full(5, np.nan), "label": "e"}]
    merged = merge_identical(lines)
    assert [m["label"] for m in merged] == ["a = c", "b", "d = e"]
    assert [m["position"] for m in merged] == [0, 1, 3]


def test_unit_and_cosine_limits_hold_the_whole_range():
    t = np.arange(10.0)
    for y, unit in ((np.full(10, 1.0), True), (np.linspace(0.2, 0.3, 10), True), (np.linspace(-0.5, 1, 10), False)):
        fig = draw_panels([{"title": "c", "lines": [{"x": t, "y": y}], "cosine": True}], 1, 1)
        lo, hi = fig.axes[0].get_ylim()
        plt.close(fig)
        assert lo <= min(0.0, y.min()) and hi >= 1.0 and hi - lo <= (UNIT_SPAN_MAX if unit else 2 * UNIT_SPAN_MAX)


# ---------------------------------------------------------------- the figures of the commands
def test_figure2_zero_init(tmp_path):
    """With zero init the stage-1 cosine is 1 up to rounding (docs/paper.md section 5): no offset, limits [0, 1]."""
    res = figure2.run(seed=0, init="zero", T=30, T1=30)
    cos = res["traj"].stage1["cos"][1:]
    assert np.all(np.abs(cos - 1) < 1e-9)
    titles = [p["title"] for p in figure2.panels(res["traj"], 20) if p.get("cosine")]
    assert len(titles) == 2
    _check(figure2.panels(res["traj"], 20), 2, 3, titles,
           write=lambda: figure2.write(res, str(tmp_path))["png"])


def test_figure2_random_init():
    res = figure2.run(seed=1, init="random", T=30, T1=30)
    cos = np.concatenate([res["traj"].stage1["cos"], res["traj"].stage2["cos"]])
    cosines = [p["title"] for p in figure2.panels(res["traj"], 20) if p.get("cosine")]
    assert len(cosines) == 2
    unit = cosines if np.nanmin(cos) >= 0 else []
    _check(figure2.panels(res["traj"], 20), 2, 3, unit)


def test_ablation(tmp_path):
    res = ablation.run(seeds=range(2), n_tokens=5, T=20, T1=20)
    panels = ablation.panels(res)
    assert all(len(p["lines"]) == len(res["config"]["variants"]) for p in panels)
    _check(panels, 2, 2, ("training accuracy",), write=lambda: ablation.write(res, str(tmp_path))["png"],
           panel_size=(5.0, 3.5))


def test_generalize_has_a_legend_and_the_predicted_slope(tmp_path):
    res = generalize.run(seeds=3, n_tokens=5, L_max=3, T=20, T1=20)
    panels = generalize.panels(res)
    for p in panels:
        predicted = [ln for ln in p["lines"] if "predicted" in ln["label"]]
        assert predicted, "no line for the predicted slope"
        for ln in predicted:                                  # a line C t through the origin
            t, y = np.asarray(ln["x"], dtype=float), np.asarray(ln["y"], dtype=float)
            assert y[0] == 0 and np.allclose(y[1:] / t[1:], y[-1] / t[-1], rtol=1e-12)
    _check(panels, 1, 2, (), write=lambda: generalize.write(res, str(tmp_path))["png"], panel_size=(6.5, 4.5))


def test_sweep_merges_identical_curves(tmp_path):
    res = run_sweep(sizes=(3, 4), seeds=1, T=20, T1=20, jobs=1, progress=False)
    panels = sweep_report.panels(res)
    drawn = sum(len(merge_identical(p["lines"])) for p in panels)
    assert drawn <= sum(len(p["lines"]) for p in panels)
    _check(panels, 1, 2, (), write=lambda: sweep_report.figure(res, str(tmp_path / "sweep.png")), panel_size=(6.5, 4.5))

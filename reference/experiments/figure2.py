"""The paper's experiment (Section 7, Figure 2; docs/paper.md section 8).

``abs(V) = d = 20``, ``eta0 = 0.2/sqrt(d)``, ``eta = 0.05/sqrt(d)``, ``T = T1 = 900``
on a seeded random realizable dataset. Six panels in the paper's 2 x 3 layout:
``L_0``, ``<W_bar_ov, W_bar*_ov>``, ``||W_ov||`` (stage 1) and ``L``,
``<W_bar_kq, W_bar*_kq>``, ``||W_kq||`` (stage 2).

Scales. ``L_0`` is a **sum** over the vocabulary (Section 4.2), so at ``W_ov = 0``
it is ``abs(V) log abs(V)`` (about 60 here); the published panel starts near
``log 20 = 3.0``, i.e. it shows the mean ``L_0 / abs(V)``. Both are drawn and
labelled. ``L`` is Eq. (1), the pi-weighted mean over ``D_0``.

Initialisation. The paper's Algorithm 1 starts at zero; then stage 1 is aligned
with ``W*_ov`` from the first step on (cosine 1 for every ``t >= 1``) and both
norms start at 0. The published curves start below 1 with norms near 1, which a
small random initialisation reproduces: hence ``init="random", init_norm=1.0``
by default, and ``init="zero"`` for Algorithm 1 exactly (docs/experiments.md).
"""

import math
import os

import numpy as np

from ..errors import ConfigError
from ..training.algorithm import two_stage_ngd
from .plotting import NO_FIGURE, ensure_dir, have_matplotlib, panel_figure, write_csv, write_json

__all__ = ["FIGURE2", "figure2_dataset", "run", "write", "dataset_stats", "panels", "summary_lines"]

_D = 20
#: The paper's settings (Section 7).
FIGURE2 = {"n_tokens": _D, "d": _D, "eta0": 0.2 / math.sqrt(_D), "eta": 0.05 / math.sqrt(_D),
           "T": 900, "T1": 900}


def figure2_dataset(n_tokens=_D, *, rng):
    """The random realizable dataset of the experiment (Assumptions 1-3 by construction), drawn from ``rng``.

    Parameters
    ----------
    n_tokens : int >= 1
        ``abs(V) = d`` (20 in the paper); identity embeddings.
    rng : numpy.random.Generator
        The only source of randomness (keyword).

    Returns
    -------
    Dataset
        ``random_realizable(n_tokens, rng=rng)`` with its defaults (``L_max = 8``).

    Raises
    ------
    ConfigError
        Bad ``n_tokens`` or ``rng`` (from :func:`reference.structure.generate.random_realizable`).

    Notes
    -----
    Serves Section 7 (docs/paper.md section 8): the paper gives no generator, N, ``L_max`` or seed.
    """
    from ..structure.generate import random_realizable
    return random_realizable(n_tokens, rng=rng)


def dataset_stats(ds):
    """N, ``L_max`` and other sizes of a dataset, for the JSON written beside a figure.

    Parameters
    ----------
    ds : Dataset

    Returns
    -------
    dict
        ``N``, ``L_max``, ``n_tokens``, ``d``, ``samples`` (sum of the counts), ``mean_length``,
        ``n_queries`` (queries with a Definition-1 order), ``length_histogram`` (length -> count).

    Raises
    ------
    AssumptionError
        The data has no collocation (from :func:`reference.structure.query_orders`).
    """
    from ..structure.orders import query_orders
    orders = query_orders(ds)
    return {"N": ds.N, "L_max": ds.L_max, "n_tokens": ds.vocab.n_tokens, "d": ds.vocab.d,
            "samples": int(ds.counts.sum()), "mean_length": float(np.mean(ds.lengths)),
            "n_queries": len(orders),
            "length_histogram": {int(L): int(c) for L, c in zip(*np.unique(ds.lengths, return_counts=True))}}


def run(seed=0, init="random", init_norm=1.0, T=FIGURE2["T"], T1=FIGURE2["T1"], progress=None):
    """Run the experiment (Algorithm 1, Section 7): draw the dataset, then (if random) the init, from ``seed``.

    Parameters
    ----------
    seed : int >= 0
        Seeds one ``numpy.random.Generator`` used first for the dataset, then for the init,
        so the dataset does not depend on ``init`` (recorded in the config).
    init : {"random", "zero"}
        ``"zero"`` is Algorithm 1 exactly; ``"random"`` (default) reproduces the published curves.
    init_norm : float > 0
        Frobenius norm of each random initial matrix (ignored for ``"zero"``).
    T, T1 : int >= 0
        Iterations of the two stages (900 each in the paper).
    progress : None or bool
        Progress line on stderr (None: only for runs longer than a few seconds).

    Returns
    -------
    dict
        ``traj`` (Trajectory), ``ds`` (Dataset), ``config`` (dict), ``stats`` (dict).

    Raises
    ------
    ConfigError
        Unknown ``init``, bad ``seed``, ``init_norm``, ``T``, ``T1``.

    Notes
    -----
    Serves Section 7 / Figure 2 (docs/paper.md section 8).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    if init not in ("random", "zero"):
        raise ConfigError(f"init must be 'random' or 'zero', got {init!r}")
    rng = np.random.default_rng(int(seed))
    ds = figure2_dataset(rng=rng)
    init_arg = ("random", init_norm) if init == "random" else "zero"
    traj = two_stage_ngd(ds, FIGURE2["eta0"], FIGURE2["eta"], T, T1, init=init_arg, rng=rng,
                         progress=progress)
    traj.config["seed"] = int(seed)
    config = dict(FIGURE2, T=T, T1=T1, seed=int(seed), init=init,
                  init_norm=float(init_norm) if init == "random" else None)
    return {"traj": traj, "ds": ds, "config": config, "stats": dataset_stats(ds)}


def panels(traj, n_tokens):
    """The six panels of Figure 2 (paper layout, row by row) of a trajectory.

    Parameters
    ----------
    traj : Trajectory
    n_tokens : int
        ``abs(V)``: the right-hand axis of the ``L_0`` panel shows ``L_0 / abs(V)``.

    Returns
    -------
    list of dict
        Six panel descriptions for :func:`reference.experiments.plotting.panel_figure`:
        ``L_0``, stage-1 cosine, ``||W_ov||``, ``L``, stage-2 cosine, ``||W_kq||``.
    """
    s1, s2 = traj.stage1, traj.stage2
    t1, t2 = np.arange(len(s1["loss0"])), np.arange(len(s2["loss"]))
    # plain text, not mathtext: parsing TeX-like labels is a tenth of the command's time
    return [
        {"title": "stage 1: L\u2080", "ylabel": "L\u2080 (sum over V, the paper's definition)",
         "lines": [{"x": t1, "y": s1["loss0"]}],
         "right_scale": (1.0 / n_tokens, "L\u2080/|V| (mean, the published scale)")},
        {"title": "stage 1: cos(W_ov, W*_ov)", "ylabel": "cosine", "lines": [{"x": t1, "y": s1["cos"]}],
         "cosine": True},
        {"title": "stage 1: \u2016W_ov\u2016", "ylabel": "norm", "lines": [{"x": t1, "y": s1["norm"]}]},
        {"title": "stage 2: L (Eq. 1, mean over D\u2080)", "ylabel": "L", "lines": [{"x": t2, "y": s2["loss"]}]},
        {"title": "stage 2: cos(W_kq, W*_kq)", "ylabel": "cosine", "lines": [{"x": t2, "y": s2["cos"]}],
         "cosine": True},
        {"title": "stage 2: \u2016W_kq\u2016", "ylabel": "norm", "lines": [{"x": t2, "y": s2["norm"]}]},
    ]


def write(result, out, stem="figure2", title=None, extra=None):
    """Write ``figure2.csv``, ``figure2.json``, the trajectory and (with matplotlib) ``figure2.png``.

    Parameters
    ----------
    result : dict
        The return value of :func:`run` (or of :func:`reference.experiments.train.run`: ``traj``,
        ``ds``, ``config``, ``stats``); ``result["report"]`` is set to the JSON report.
    out : str
        Output directory (created if needed).
    stem : str
        File names: ``STEM.csv``, ``STEM.json``, ``STEM.png``, ``STEM_trajectory.{npz,json}``.
    title : str, optional
        Title of the figure (default: Figure 2's settings).
    extra : dict, optional
        More entries for the JSON report (e.g. the data's assumption report).

    Returns
    -------
    dict
        Name -> path of every file written (``png`` is None without matplotlib).

    Raises
    ------
    OSError
        ``out`` cannot be created or written.
    """
    ensure_dir(out)
    traj, cfg, V = result["traj"], result["config"], result["ds"].vocab.n_tokens
    s1, s2 = traj.stage1, traj.stage2
    n = max(len(s1["loss0"]), len(s2["loss"]))
    pad = lambda a: np.concatenate([a, np.full(n - len(a), np.nan)])  # noqa: E731
    cols = {"loss0_sum": s1["loss0"], "loss0_mean": s1["loss0"] / V, "log_loss0": s1["log_loss0"],
            "cos_ov": s1["cos"], "norm_ov": s1["norm"], "loss": s2["loss"], "log_loss": s2["log_loss"],
            "cos_kq": s2["cos"], "norm_kq": s2["norm"], "phi_plus_min": s2["phi_plus_min"],
            "accuracy": s2["accuracy"]}
    cols = {k: pad(v) for k, v in cols.items()}
    files = {"csv": write_csv(os.path.join(out, f"{stem}.csv"), ["t"] + list(cols),
                              [[t] + [cols[k][t] for k in cols] for t in range(n)])}
    npz, js = traj.save(os.path.join(out, f"{stem}_trajectory"))
    files.update(trajectory_npz=npz, trajectory_json=js)
    init = (f"random init, ||W^(0)|| = {cfg['init_norm']:g}" if cfg["init"] == "random"
            else "zero init (Algorithm 1)")
    if title is None:
        title = (f"Figure 2 reproduction: |V| = d = {V}, N = {result['stats']['N']}, "
                 f"L_max = {result['stats']['L_max']}, seed {cfg['seed']}, {init}")
    files["png"] = panel_figure(os.path.join(out, f"{stem}.png"), panels(traj, V), 2, 3, title=title)
    final = {"loss0": s1["loss0"][-1], "cos_ov": s1["cos"][-1], "norm_ov": s1["norm"][-1],
             "loss": s2["loss"][-1], "log_loss": s2["log_loss"][-1], "cos_kq": s2["cos"][-1],
             "norm_kq": s2["norm"][-1], "phi_plus_min": s2["phi_plus_min"][-1],
             "accuracy": s2["accuracy"][-1]}
    report = {"experiment": stem, "config": cfg, "dataset": result["stats"],
              "star_norm_ov": traj.star_norm_ov, "star_norm_kq": traj.star_norm_kq,
              "final": final, "files": {k: (os.path.basename(v) if v else None) for k, v in files.items()},
              "notes": ["loss0_sum is the paper's L_0 (a sum over V); loss0_mean = L_0/|V| is the "
                        "scale of the published panel", "loss is Eq. (1), the pi-weighted mean"]}
    report.update(extra or {})
    files["json"] = write_json(os.path.join(out, f"{stem}.json"), report)
    result["report"] = report
    return files


def summary_lines(final, T, T1, files, accuracy="accuracy"):
    """The lines ``figure2`` and ``train`` print after a run: both stages' end values and the files written.

    Parameters
    ----------
    final : dict
        The report's ``"final"`` (``loss0``, ``cos_ov``, ``norm_ov``, ``loss``, ``log_loss``, ``cos_kq``,
        ``norm_kq``, ``phi_plus_min``, ``accuracy``).
    T, T1 : int
        The stages' lengths.
    files : dict
        What :func:`write` returned (a path, or None for a figure not drawn).
    accuracy : str
        The word before the accuracy.

    Returns
    -------
    list of str
        Ending with :data:`~reference.experiments.plotting.NO_FIGURE` when matplotlib is absent.
    """
    f = final
    lines = [f"  stage 1 (T = {T}):  L_0 = {f['loss0']:.3e} (sum over V), "
             f"cos(W_ov, W*_ov) = {f['cos_ov']:.12f}, ||W_ov|| = {f['norm_ov']:.4f}",
             f"  stage 2 (T1 = {T1}): L = {f['loss']:.3e} (log L = {f['log_loss']:.2f}), "
             f"cos(W_kq, W*_kq) = {f['cos_kq']:.6f}, ||W_kq|| = {f['norm_kq']:.4f}, "
             f"min phi_+ = {f['phi_plus_min']:.6f}, {accuracy} = {100 * f['accuracy']:.1f}%"]
    lines += [f"  wrote {p}" for p in files.values() if p]
    if not have_matplotlib():
        lines.append(NO_FIGURE)
    return lines

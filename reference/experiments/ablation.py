"""Is the two-stage schedule needed? Algorithm 1 against its variants on the same datasets.

Every variant (:data:`reference.training.algorithm.VARIANTS`) runs on the same seeded
random realizable datasets with the paper's Figure-2 settings, from zero.
Curves are put on one *global* iteration axis ``g``: for the staged variants
``g = t`` in stage 1 (where ``W_kq = W_kq^(0) = 0``, ``L`` is recorded with
``track_L``) and ``g = T + t`` in stage 2; for the joint variant ``g`` is its
iteration. The table gives, per variant and seed, the final ``L``, accuracy,
cosines with the certified ``W*``, ``min_n phi_+``, and the first ``g`` at which
the training accuracy reaches 100%.
"""

import math
import os
import warnings

import numpy as np

from ..errors import ConfigError
from ..training.algorithm import two_stage_ngd, VARIANTS
from ..training.engine import Engine
from ..training.progress import Progress
from ..training.run_size import check_run_size
from .figure2 import FIGURE2, figure2_dataset
from .plotting import ensure_dir, panel_figure, write_csv, write_json

__all__ = ["run", "write", "panels", "curves", "COLUMNS", "summary_table"]

#: Per-run table columns (besides seed and variant).
COLUMNS = ("iterations", "loss", "log_loss", "accuracy", "cos_ov", "cos_kq", "phi_plus_min",
           "norm_ov", "norm_kq", "first_full_accuracy")
#: Accuracy counts as 100% above this (pi-weighted sums of ones round to 1 +- a few ulps).
FULL_ACCURACY = 1.0 - 1e-12


def curves(traj):
    """A run's ``L`` (Eq. 1), accuracy and cosines with ``W*`` on the global iteration axis ``g``.

    Parameters
    ----------
    traj : Trajectory
        A run of :func:`reference.training.algorithm.two_stage_ngd` with ``track_L=True`` (staged
        variants) or of the ``"joint"`` variant.

    Returns
    -------
    dict of str -> array of shape (G,)
        ``g`` (``0..G-1``), ``loss``, ``log_loss``, ``accuracy``, ``cos_ov``, ``cos_kq``.
        Staged variants: ``G = n_stage1 + n_stage2 + 1``; entry ``g = n_stage1`` is stage 2's
        ``t = 0`` (equal to stage 1's last ``L``, the same weights); ``cos_kq`` is nan during
        stage 1 (``W_kq = 0``) and ``cos_ov`` stays at its final value during stage 2.

    Raises
    ------
    ConfigError
        A staged run recorded without ``track_L``.
    """
    if traj.config["variant"] != "joint" and "loss_L" not in traj.stage1:
        raise ConfigError("curves() needs L during stage 1: run two_stage_ngd with track_L=True")
    s1, s2 = traj.stage1, traj.stage2
    if traj.config["variant"] == "joint":
        return {"g": np.arange(len(s2["loss"])), "loss": s2["loss"], "log_loss": s2["log_loss"],
                "accuracy": s2["accuracy"], "cos_ov": s1["cos"], "cos_kq": s2["cos"]}
    n1, n2 = len(s1["loss0"]), len(s2["loss"]) - 1
    return {"g": np.arange(n1 + n2),
            "loss": np.concatenate([s1["loss_L"], s2["loss"][1:]]),
            "log_loss": np.concatenate([s1["log_loss_L"], s2["log_loss"][1:]]),
            "accuracy": np.concatenate([s1["accuracy_L"], s2["accuracy"][1:]]),
            "cos_ov": np.concatenate([s1["cos"], np.full(n2, s1["cos"][-1])]),
            "cos_kq": np.concatenate([np.full(n1 - 1, np.nan), s2["cos"]])}


def _row(traj, c):
    full = np.flatnonzero(c["accuracy"] >= FULL_ACCURACY)
    return {"iterations": int(c["g"][-1]), "loss": c["loss"][-1], "log_loss": c["log_loss"][-1],
            "accuracy": c["accuracy"][-1], "cos_ov": c["cos_ov"][-1], "cos_kq": c["cos_kq"][-1],
            "phi_plus_min": traj.stage2["phi_plus_min"][-1], "norm_ov": traj.stage1["norm"][-1],
            "norm_kq": traj.stage2["norm"][-1],
            "first_full_accuracy": int(full[0]) if full.size else -1}


def run(seeds=(0, 1, 2, 3, 4), n_tokens=FIGURE2["n_tokens"], T=FIGURE2["T"], T1=FIGURE2["T1"],
        eta0=None, eta=None, variants=tuple(VARIANTS), progress=None):
    """Run Algorithm 1 and every variant on the dataset of every seed (zero init, Section 4.2 settings).

    Parameters
    ----------
    seeds : sequence of int >= 0
        One dataset per seed (drawn as in :func:`reference.experiments.figure2.run`).
    n_tokens : int >= 2
        ``abs(V) = d``.
    T, T1 : int >= 0
        Iterations of the two stages; ``T >= 1`` (the short stage 1 has ``max(1, T // 100)``).
    eta0, eta : float > 0, optional
        Algorithm 1's steps, shared by every variant (see ``VARIANTS`` for how each uses them);
        default the paper's recipe ``0.2/sqrt(d)`` and ``0.05/sqrt(d)`` (Figure 2's at ``d = 20``).
    variants : sequence of str
        Names from :data:`reference.training.algorithm.VARIANTS`.
    progress : None or bool
        Progress line on stderr, one tick per finished run (None: only after a few seconds).

    Returns
    -------
    dict
        ``rows`` (one dict per seed and variant, :data:`COLUMNS`), ``curves``
        (variant -> list of per-seed curve dicts), ``config``, ``datasets`` (N, L_max per seed).

    Raises
    ------
    ConfigError
        No seeds, a bad seed, ``abs(V) < 2``, an unknown variant, or a bad setting
        (from :func:`reference.training.algorithm.two_stage_ngd`).

    Notes
    -----
    Serves the question "is the two-stage schedule needed?" (not a statement of the paper).
    """
    seeds = list(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in seeds):
        raise ConfigError(f"seeds must be a non-empty list of integers >= 0, got {seeds!r}")
    if isinstance(n_tokens, bool) or not isinstance(n_tokens, (int, np.integer)) or n_tokens < 2:
        raise ConfigError(f"n_tokens must be an integer >= 2 (with |V| = 1, L_0 is identically 0 "
                          f"and nothing trains), got {n_tokens!r}")
    eta0 = 0.2 / math.sqrt(n_tokens) if eta0 is None else eta0
    eta = 0.05 / math.sqrt(n_tokens) if eta is None else eta
    variants = [variants] if isinstance(variants, str) else list(variants)
    if not variants:
        raise ConfigError("variants must name at least one variant")
    for v in variants:
        if not isinstance(v, str) or v not in VARIANTS:
            raise ConfigError(f"unknown variant {v!r}; known: {', '.join(VARIANTS)}")
    if isinstance(T, (int, np.integer)) and isinstance(T1, (int, np.integer)):   # else two_stage_ngd names them
        n = max(int(T), 0) + max(int(T1), 0)            # the joint variant records T + T1 in both stages
        check_run_size(int(n_tokens), int(n_tokens), n, n)
    from ..maxmargin.solvers import max_margin_kq, max_margin_ov
    rows, cur, dsets = [], {v: [] for v in variants}, []
    prog = Progress("ablation", len(seeds) * len(variants), enabled=progress)
    for k, seed in enumerate(seeds):
        ds = figure2_dataset(n_tokens, rng=np.random.default_rng(int(seed)))
        dsets.append({"seed": int(seed), "N": ds.N, "L_max": ds.L_max})
        stars = (max_margin_ov(ds).W, max_margin_kq(ds).W)
        eng = Engine(ds)
        for j, v in enumerate(variants):
            traj = two_stage_ngd(ds, eta0, eta, T, T1, variant=v, track_L=True, W_star=stars,
                                 engine=eng, progress=False)
            c = curves(traj)
            cur[v].append(c)
            rows.append(dict(seed=int(seed), variant=v, **_row(traj, c)))
            prog.tick(k * len(variants) + j + 1, f"seed {seed} {v}")
    prog.close()
    config = {"seeds": [int(s) for s in seeds], "n_tokens": int(n_tokens), "d": int(n_tokens), "T": T, "T1": T1,
              "eta0": eta0, "eta": eta, "variants": list(variants), "init": "zero",
              "T_short": max(1, T // 100)}
    return {"rows": rows, "curves": cur, "config": config, "datasets": dsets}


def summary_table(rows, variants):
    """Median (min .. max) over seeds of each column, one row per variant: ``(header, rows)``.

    Parameters
    ----------
    rows : list of dict
        ``run(...)["rows"]``.
    variants : sequence of str
        The variants to summarise, in table order.

    Returns
    -------
    header : list of str
        ``["variant", column, ...]`` (every column of :data:`COLUMNS` but ``iterations``).
    table : list of lists
        Per variant: its name, then ``(median, min, max)`` over seeds of each column.
    """
    header = ["variant"] + [c for c in COLUMNS if c != "iterations"]
    out = []
    for v in variants:
        rs = [r for r in rows if r["variant"] == v]
        line = [v]
        for c in header[1:]:
            x = np.array([r[c] for r in rs], dtype=float)
            line.append((float(np.median(x)), float(np.min(x)), float(np.max(x))))
        out.append(line)
    return header, out


def _band(Y):
    """Median, min and max over seeds (axis 0), nan where every seed is nan."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)      # all-nan columns give nan, as wanted
        return np.nanmedian(Y, axis=0), np.nanmin(Y, axis=0), np.nanmax(Y, axis=0)


def panels(result):
    """The four panels of ``ablation.png``: ``L``, both cosines and the training accuracy, one curve per variant.

    Parameters
    ----------
    result : dict
        The return value of :func:`run`.

    Returns
    -------
    list of dict
        Panels for :func:`reference.experiments.plotting.panel_figure`: per variant the median
        over seeds with a min-max band; the accuracy in fixed [0, 1] limits.
    """
    cfg, out = result["config"], []
    for key, title, kind in (("loss", "L (Eq. 1)", "logy"),
                             ("cos_kq", r"$\langle \bar W_{kq}, \bar W^*_{kq}\rangle$", "cosine"),
                             ("cos_ov", r"$\langle \bar W_{ov}, \bar W^*_{ov}\rangle$", "cosine"),
                             ("accuracy", "training accuracy", "unit")):
        lines = []
        for v in cfg["variants"]:
            Y = np.array([c[key] for c in result["curves"][v]], dtype=float)
            if kind == "logy":
                Y = np.where(Y > 0, Y, np.nan)       # log axis: an exactly-zero loss is not drawn
            med, lo, hi = _band(Y)
            lines.append({"x": result["curves"][v][0]["g"], "y": med, "lo": lo, "hi": hi, "label": v})
        out.append({"title": title, "xlabel": "global iteration g", "lines": lines, kind: True, "vline": cfg["T"]})
    return out


def write(result, out):
    """Write ``ablation_runs.csv``, ``ablation_summary.csv``, ``ablation.json`` and ``ablation.png``.

    Parameters
    ----------
    result : dict
        The return value of :func:`run`.
    out : str
        Output directory (created if needed).

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
    rows, cfg = result["rows"], result["config"]
    files = {"runs_csv": write_csv(os.path.join(out, "ablation_runs.csv"), ["seed", "variant"] + list(COLUMNS),
                                   [[r["seed"], r["variant"]] + [r[c] for c in COLUMNS] for r in rows])}
    header, summ = summary_table(rows, cfg["variants"])
    flat_header = ["variant"] + [f"{c}_{s}" for c in header[1:] for s in ("median", "min", "max")]
    files["summary_csv"] = write_csv(os.path.join(out, "ablation_summary.csv"), flat_header,
                                     [[ln[0]] + [x for trip in ln[1:] for x in trip] for ln in summ])
    title = (f"Ablation: |V| = d = {cfg['n_tokens']}, T = T1 = {cfg['T']}, seeds {cfg['seeds']} "
             "(median, band = min..max over seeds; dotted: end of stage 1)")
    files["png"] = panel_figure(os.path.join(out, "ablation.png"), panels(result), 2, 2, title=title,
                                panel_size=(5.0, 3.5))
    files["json"] = write_json(os.path.join(out, "ablation.json"),
                               {"experiment": "ablation", "config": cfg, "datasets": result["datasets"],
                                "rows": rows, "summary": {ln[0]: dict(zip(header[1:], ln[1:])) for ln in summ},
                                "files": {k: (os.path.basename(v) if v else None) for k, v in files.items()}})
    return files

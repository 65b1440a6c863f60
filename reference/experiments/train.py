"""Algorithm 1 on the user's own data, with Figure 2's outputs (Section 4.2, Section 7).

The same six panels, CSV, JSON and trajectory files as ``figure2``
(:func:`reference.experiments.figure2.write`), on a dataset read from a
corpus or sample file (:mod:`reference.experiments.user_data`). Defaults are
the paper's recipe at the data's dimension: ``eta0 = 0.2/sqrt(d)``,
``eta = 0.05/sqrt(d)``, ``T = T1 = 900``, zero initialisation (Algorithm 1
exactly).
"""

import math

import numpy as np

from ..errors import ConfigError
from ..training.algorithm import two_stage_ngd
from . import figure2

__all__ = ["TRAIN", "default_steps", "run", "write"]

#: Iterations of the two stages (Section 7's 900 + 900) and the initialisation (Algorithm 1's zero).
TRAIN = {"T": 900, "T1": 900, "init": "zero", "init_norm": 1.0}


def default_steps(d):
    """The paper's step sizes at dimension ``d`` (Section 7): ``(0.2/sqrt(d), 0.05/sqrt(d))``.

    Parameters
    ----------
    d : int >= 1
        Embedding dimension.

    Returns
    -------
    (float, float)
        ``(eta0, eta)``.
    """
    return 0.2 / math.sqrt(d), 0.05 / math.sqrt(d)


def run(ds, *, eta0=None, eta=None, T=TRAIN["T"], T1=TRAIN["T1"], init=TRAIN["init"],
        init_norm=TRAIN["init_norm"], seed=0, progress=None):
    """Algorithm 1 on ``ds`` (Section 4.2): stage 1 on ``L_0``, then stage 2 on ``L`` (Eq. 1).

    Parameters
    ----------
    ds : Dataset
        ``D_0`` with a one-to-one collocation (Assumption 1(i)) and orthonormal embeddings.
    eta0, eta : float > 0, optional
        Steps of the two stages (default :func:`default_steps` of ``ds.vocab.d``).
    T, T1 : int >= 0
        Iterations of the two stages.
    init : {"zero", "random"}
        ``"zero"``: Algorithm 1 exactly; ``"random"``: Gaussian start of Frobenius norm ``init_norm``.
    init_norm : float > 0
        Norm of each random initial matrix (ignored for ``"zero"``).
    seed : int >= 0
        Seeds the random initialisation (recorded in the config either way).
    progress : None or bool
        Progress line on stderr (None: only for runs longer than a few seconds).

    Returns
    -------
    dict
        ``traj``, ``ds``, ``config`` and ``stats`` (:func:`reference.experiments.figure2.dataset_stats`),
        the layout :func:`write` takes.

    Raises
    ------
    ConfigError
        Unknown ``init``, a bad ``seed``, step size or iteration count; a gradient that is exactly
        zero (e.g. stage 2 on data without any ordered pair, where ``W*_kq = 0``).
    AssumptionError
        No one-to-one collocation, or non-orthonormal embeddings.

    Notes
    -----
    Serves Algorithm 1 and the statements it is audited against (docs/paper.md sections 5 and 7).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    if init not in ("random", "zero"):
        raise ConfigError(f"init must be 'random' or 'zero', got {init!r}")
    d0, d1 = default_steps(ds.vocab.d)
    eta0 = d0 if eta0 is None else eta0
    eta = d1 if eta is None else eta
    rng = np.random.default_rng(int(seed))
    init_arg = ("random", init_norm) if init == "random" else "zero"
    traj = two_stage_ngd(ds, eta0, eta, T, T1, init=init_arg, rng=rng, progress=progress)
    config = {"n_tokens": ds.vocab.n_tokens, "d": ds.vocab.d, "eta0": float(eta0), "eta": float(eta),
              "T": int(T), "T1": int(T1), "seed": int(seed), "init": init,
              "init_norm": float(init_norm) if init == "random" else None}
    return {"traj": traj, "ds": ds, "config": config, "stats": figure2.dataset_stats(ds)}


def write(result, out, data=None):
    """Write ``train.csv``, ``train.json``, ``train_trajectory.{npz,json}`` and (with matplotlib) ``train.png``.

    Parameters
    ----------
    result : dict
        The return value of :func:`run`; ``result["report"]`` is set to the JSON report.
    out : str
        Output directory (created if needed).
    data : UserData, optional
        The data's file and assumption report (:mod:`reference.experiments.user_data`): named in
        the figure's title, and written into the JSON report as ``data``.

    Returns
    -------
    dict
        Name -> path of every file written (``png`` is None without matplotlib).

    Raises
    ------
    OSError
        ``out`` cannot be created or written.
    """
    cfg, st = result["config"], result["stats"]
    init = (f"random init, ||W^(0)|| = {cfg['init_norm']:g}" if cfg["init"] == "random"
            else "zero init (Algorithm 1)")
    name = "your data" if data is None else data.name
    extra = None if data is None else {"data": {
        "file": data.name, "kind": data.kind, "assumptions": data.report.to_dict(),
        "not_applicable": {s: list(a) for s, a in data.not_applicable.items()}}}
    title = (f"Algorithm 1 on {name}: |V| = {st['n_tokens']}, d = {st['d']}, N = {st['N']}, "
             f"L_max = {st['L_max']}, eta0 = {cfg['eta0']:.4g}, eta = {cfg['eta']:.4g}, {init}")
    return figure2.write(result, out, stem="train", title=title, extra=extra)

"""The instances of the certified audit: which float64 runs ``verify --certified`` and ``proofs --certified`` certify.

``verify``: Example 1 at both step settings of ``verify`` (the large-step run with
``T1 = CERTIFIED_T1_LARGE``) and the errata's minimal counterexamples; ``proofs``: the runs of
``python -m reference proofs`` except the paper's experiment (the same shortening) and the
errata's counterexamples. ``paper=True`` adds the paper's experiment. Each instance is a float64
run (``record="full"``): the certified run repeats it exactly, from the same binary numbers
(steps, dataset, initialisation), and the float64 audit of it is set beside the certified one.
"""

import numpy as np

from ..errors import ConfigError

__all__ = ["CERTIFIED_T1_LARGE", "PAPER_STEPS", "instances"]

#: Stage-2 steps of the certified large-step run (T = 1000 in full): Corollary 1's condition
#: (T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0) and Lemma 7's (t >= t_0 = 1) hold there; 100 steps
#: need 12800 bits (seconds), the 1500 of the float run 51200 bits (minutes).
CERTIFIED_T1_LARGE = 100
#: The paper's experiment (paper=True): the proof steps of these stages are judged (its statement rows
#: always are). Both stages: about 75 s of CPU and 2.5 GB at 200 bits (the stage-2 arrays of balls,
#: t x N x |V| = 901 x 98 x 20, dominate); (1,) leaves out the stage-2 steps.
PAPER_STEPS = (1, 2)
def _dataset(c):
    from ..data.dataset import Dataset
    from ..structure.generate import example1
    if "corpus" in c:
        return Dataset.from_corpus(c["corpus"])
    if "samples" in c:
        return Dataset.from_samples(c["samples"])
    return example1()


def instances(command, seed=0, paper=False, progress=None):
    """The float64 runs of ``command`` that are certified, with their horizons: name -> run dict.

    Parameters
    ----------
    command : {"verify", "proofs"}
    seed : int >= 0
        For ``proofs`` (its random datasets) and the paper's experiment.
    paper : bool
        Add the paper's experiment.
    progress : None or bool

    Returns
    -------
    dict
        Name -> ``{"ds", "traj" (float64, record="full"), "config", "certify": {"T", "T1"}}``;
        ``certify`` is the horizon of the certified run (shorter than the float run's for the
        large-step run).

    Raises
    ------
    ConfigError
        An unknown command or a bad seed.
    """
    from ..training.algorithm import two_stage_ngd
    from . import proofs, verify
    if command == "verify":
        specs = {"Example 1": dict(verify.VERIFY["example1"]), "Example 1, large steps": dict(verify.LARGE_STEPS)}
        runs = {}
        if paper:
            runs["paper experiment"] = _paper(seed, progress)
    elif command == "proofs":
        specs = {}
        runs = proofs.build_runs(seed, progress)
        if not paper:
            runs.pop("paper experiment")
    else:
        raise ConfigError(f"certified audit: command must be 'verify' or 'proofs', got {command!r}")
    specs.update({k: dict(v) for k, v in verify.COUNTEREXAMPLES.items()})        # the errata's counterexamples
    for name, c in specs.items():
        if name in runs:                              # proofs' own run of that counterexample
            continue
        ds = _dataset(c)
        cfg = {k: c[k] for k in ("eta0", "eta", "T", "T1")}
        runs[name] = {"ds": ds, "traj": two_stage_ngd(ds, record="full", progress=progress, **cfg),
                      "config": dict(cfg, init="zero")}
    for name, r in runs.items():
        c = r["config"]
        T1 = min(c["T1"], CERTIFIED_T1_LARGE) if c["eta"] >= 1e3 and name.startswith("Example 1") else c["T1"]
        r["certify"] = {"T": c["T"], "T1": T1}
    return runs


def _paper(seed, progress):
    from ..training.algorithm import two_stage_ngd
    from . import figure2
    f = figure2.FIGURE2
    ds = figure2.figure2_dataset(rng=np.random.default_rng(int(seed)))
    cfg = {"eta0": f["eta0"], "eta": f["eta"], "T": f["T"], "T1": f["T1"]}
    return {"ds": ds, "traj": two_stage_ngd(ds, record="full", progress=progress, **cfg),
            "config": dict(cfg, init="zero")}


def _init(r):
    tr = r["traj"]
    zero = not np.any(tr.W_ov_init) and not np.any(tr.W_kq_init)
    return "zero" if zero else (tr.W_ov_init, tr.W_kq_init)

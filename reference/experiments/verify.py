"""The library's main job: every statement of the paper audited on the paper's runs.

Runs (each audited by :func:`reference.audit.audit`):

``paper experiment``
    Section 7: a seeded random realizable dataset (:func:`figure2.figure2_dataset`),
    ``abs(V) = d = 20``, ``eta0 = 0.2/sqrt(d)``, ``eta = 0.05/sqrt(d)``,
    ``T = T1 = 900``, zero initialisation (Algorithm 1 exactly).
``Example 1``
    The corpus {SVOP, VOP, OPP, PSV} with the same recipe at ``d = abs(V) = 4``;
    then **Example 2**: the unseen sentences SP, OSP, VP must be predicted
    V, P, O (one row each; measured: the logit of the claimed token minus the
    largest other logit, which must be > 0).
``Example 1, large steps``
    Example 1 with ``eta0 = 100``, ``eta = 1e6``, ``T = 1000``, ``T1 = 1500``: the
    only regime where the conditions of Corollary 1, Lemma 7 and Theorem 2
    (with the proof's constants 384 and 1696) hold within seconds. Theorem 1's
    rows are n/a there (its proof needs ``eta <= ||W*_kq|| / e``).

``counterexample: ...``
    The minimal counterexamples of the known errata (docs/theory.md), so the
    table shows each printed statement violated next to its corrected row:
    Theorem 2 with a huge step (corpus {t1 t0 t1 t0, t0 t1}, ``eta0 = 1000``,
    ``T = 20``, ``eta = 1e6``, ``T1 = 5``; its direction-form correction applies
    from ``t = 2`` and holds) and Proposition 2 (queries whose pairs are not a
    complete bipartite graph; samples ``a c q -> n(a)``, ``b d e f q -> n(b)``).
    Corollary 1's upper bound fails on every run where its condition holds.

Every run is recorded with ``record="full"``, and the proof audit
(:func:`reference.audit.proofs.audit_proofs`: every registered proof step) runs on
it too; ``python -m reference proofs`` adds random-initialisation runs and random
datasets. The exit status of ``python -m reference verify`` is 1 when a deciding
row is violated (known errata do not decide; their corrected rows do) or a proof
step the library asserts fails.
"""

import math

import numpy as np

from ..audit.chains import ProofTable
from ..audit.proofs import audit_proofs
from ..audit.statements import audit
from ..audit.table import AuditTable, scalar_row
from ..errors import ConfigError
from ..model.transformer import logits
from ..theory.proofs import Measurements

__all__ = ["VERIFY", "LARGE_STEPS", "COUNTEREXAMPLES", "run", "run_data", "train_data", "example2_rows", "summary"]

#: Settings of the runs (the paper's recipe; Example 1 at d = |V| = 4).
VERIFY = {"n_tokens": 20, "d": 20, "eta0": 0.2 / math.sqrt(20), "eta": 0.05 / math.sqrt(20),
          "T": 900, "T1": 900, "example1": {"eta0": 0.2 / math.sqrt(4), "eta": 0.05 / math.sqrt(4),
                                            "T": 900, "T1": 900}}
#: The large-step run on Example 1 where Corollary 1's, Lemma 7's and Theorem 2's conditions hold.
LARGE_STEPS = {"eta0": 100.0, "eta": 1e6, "T": 1000, "T1": 1500}
_COUNTER_TOKENS = "a b c d e f q".split()
#: The errata's minimal counterexamples: name -> (samples or corpus, eta0, eta, T, T1).
COUNTEREXAMPLES = {
    "counterexample: Theorem 2": {"corpus": ["t1 t0 t1 t0", "t0 t1"], "eta0": 1000.0, "eta": 1e6,
                                  "T": 20, "T1": 5},
    "counterexample: Proposition 2": {
        "samples": [([x], _COUNTER_TOKENS[(i + 1) % 7]) for i, x in enumerate(_COUNTER_TOKENS)]
        + [("a c q".split(), "b"), ("b d e f q".split(), "c")],
        "eta0": 0.2 / math.sqrt(7), "eta": 0.05 / math.sqrt(7), "T": 100, "T1": 100},
}


def example2_rows(traj, ds, run="Example 2"):
    """Example 2 (Theorem 3): the logit margin of the paper's prediction on SP, OSP, VP (must be > 0).

    The logits ``Tbar(X) = W_ov X phi(X^T W_kq x_L)`` (Section 3) of the trained
    weights, from the literal face (:func:`reference.model.transformer.logits`).

    Parameters
    ----------
    traj : Trajectory
        Algorithm 1 on Example 1.
    ds : Dataset
        Example 1 (its vocabulary names S, V, O, P).
    run : str
        Label of the rows.

    Returns
    -------
    list of AuditRow
        One deciding row per sentence: measured = logit of the claimed token minus the largest other.

    Raises
    ------
    VocabularyError
        ``ds`` lacks one of the tokens S, V, O, P.
    """
    from .example import EXAMPLE2
    rows, vocab = [], ds.vocab
    for text, expected in EXAMPLE2:
        idx = [vocab.index(x) for x in text.split()]
        z = logits(traj.W_ov, traj.W_kq, vocab.embed(idx))
        k = vocab.index(expected)
        margin = float(z[k] - np.max(np.delete(z, k)))
        pred = vocab.tokens[int(np.argmax(z))]
        rows.append(scalar_row(run, "Example 2 (Theorem 3)", f"{text.replace(' ', '')} -> {expected}", ">",
                               f"the trained model predicts {expected} after the unseen {text.replace(' ', '')}",
                               margin, 0.0, True, t=len(traj.stage2["norm"]) - 1,
                               note=f"logit of {expected} minus the largest other logit; predicted {pred}"))
    return rows


def run(seed=0, progress=None):
    """Run the paper's experiment, Example 1 (+ Example 2) and the large-step run; audit each.

    Parameters
    ----------
    seed : int >= 0
        Seeds the random realizable dataset of the paper's experiment.
    progress : None or bool
        Progress lines on stderr (None: only for long runs).

    Returns
    -------
    dict
        ``table`` (AuditTable over all runs), ``runs`` (name -> {"ds", "traj", "config"}),
        ``config``, ``proofs`` (ProofTable: the statement rows and every proof step on every run)
        and ``chains`` (one ChainSummary per statement).

    Raises
    ------
    ConfigError
        A bad seed.
    """
    from ..structure.generate import example1
    from ..training.algorithm import two_stage_ngd
    from . import figure2
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    runs, table = {}, AuditTable()
    rng = np.random.default_rng(int(seed))              # as figure2.run(seed, init="zero"): the same dataset
    ds0 = figure2.figure2_dataset(rng=rng)
    f = figure2.FIGURE2
    traj0 = two_stage_ngd(ds0, f["eta0"], f["eta"], VERIFY["T"], VERIFY["T1"], init="zero", rng=rng, record="full",
                          progress=progress)
    traj0.config["seed"] = int(seed)
    runs["paper experiment"] = {"ds": ds0, "traj": traj0,
                                "config": dict(f, T=VERIFY["T"], T1=VERIFY["T1"], seed=int(seed), init="zero",
                                               init_norm=None)}
    ds1 = example1()
    e = VERIFY["example1"]
    runs["Example 1"] = {"ds": ds1, "traj": two_stage_ngd(ds1, e["eta0"], e["eta"], e["T"], e["T1"], record="full",
                                                          progress=progress),
                         "config": dict(e, init="zero")}
    L = LARGE_STEPS
    runs["Example 1, large steps"] = {
        "ds": ds1, "traj": two_stage_ngd(ds1, L["eta0"], L["eta"], L["T"], L["T1"], record="full", progress=progress),
        "config": dict(L, init="zero")}
    from ..data.dataset import Dataset
    for name, c in COUNTEREXAMPLES.items():
        ds = Dataset.from_corpus(c["corpus"]) if "corpus" in c else Dataset.from_samples(c["samples"])
        cfg = {k: c[k] for k in ("eta0", "eta", "T", "T1")}
        runs[name] = {"ds": ds, "traj": two_stage_ngd(ds, progress=progress, record="full", **cfg),
                      "config": dict(cfg, init="zero")}
    proof_table = ProofTable()
    for name, r in runs.items():
        q = Measurements(r["traj"], r["ds"], run=name)
        table.extend(audit(r["traj"], r["ds"], run=name, q=q))
        if name == "Example 1":
            table.extend(example2_rows(r["traj"], r["ds"]))
        proof_table.extend(audit_proofs(r["traj"], r["ds"], run=name, q=q))
    config = {"seed": int(seed)}
    config.update({name: r["config"] for name, r in runs.items()})
    return {"table": table, "runs": runs, "config": config, "proofs": proof_table, "chains": proof_table.chains()}


def train_data(data, progress=None):
    """Algorithm 1 from zero on the user's data, every iterate recorded: ``{name: {"ds", "traj", "config"}}``.

    The paper's recipe at the data's dimension (:mod:`reference.experiments.train`:
    ``eta0 = 0.2/sqrt(d)``, ``eta = 0.05/sqrt(d)``, ``T = T1 = 900``), with
    ``record="full"``: the proof steps and Lemma 2 read the iterates.

    Parameters
    ----------
    data : UserData
        From :func:`reference.experiments.user_data.from_args`; Algorithm 1 must be able to run
        on it (:meth:`~reference.experiments.user_data.UserData.require_trainable`).
    progress : None or bool

    Returns
    -------
    dict
        One run, named after the data file.

    Raises
    ------
    AssumptionError
        No one-to-one collocation (Assumption 1(i)): Algorithm 1 cannot run.
    ConfigError
        A zero gradient: no sentence has an optimal and a non-optimal position (``W*_kq = 0``).
    """
    from ..training.algorithm import two_stage_ngd
    from .train import default_steps, TRAIN
    data.require_trainable()
    eta0, eta = default_steps(data.ds.vocab.d)
    cfg = {"eta0": eta0, "eta": eta, "T": TRAIN["T"], "T1": TRAIN["T1"]}
    traj = two_stage_ngd(data.ds, record="full", progress=progress, **cfg)
    return {data.name: {"ds": data.ds, "traj": traj, "config": dict(cfg, init="zero", data=data.name,
                                                                     kind=data.kind)}}


def run_data(data, progress=None):
    """The audit of :func:`run` on the user's data: one run (:func:`train_data`), every statement and proof step.

    Parameters
    ----------
    data : UserData
    progress : None or bool

    Returns
    -------
    dict
        As :func:`run`: ``table``, ``runs``, ``config``, ``proofs``, ``chains``.

    Raises
    ------
    AssumptionError, ConfigError
        As :func:`train_data`.
    """
    runs = train_data(data, progress)
    table, proof_table = AuditTable(), ProofTable()
    for name, r in runs.items():
        q = Measurements(r["traj"], r["ds"], run=name)
        table.extend(audit(r["traj"], r["ds"], run=name, q=q))
        proof_table.extend(audit_proofs(r["traj"], r["ds"], run=name, q=q))
    config = {name: r["config"] for name, r in runs.items()}
    return {"table": table, "runs": runs, "config": config, "proofs": proof_table, "chains": proof_table.chains()}


def summary(result):
    """Per run: the constants the statements use and the final values (for the JSON report).

    Parameters
    ----------
    result : dict
        The output of :func:`run`.

    Returns
    -------
    dict
        Run name -> ``{"N", "L_max", "n_tokens", "star_norm_ov", "star_norm_kq", "final": {...}}``.
    """
    out = {}
    for name, r in result["runs"].items():
        tr, ds = r["traj"], r["ds"]
        out[name] = {"N": ds.N, "L_max": ds.L_max, "n_tokens": ds.vocab.n_tokens,
                     "star_norm_ov": tr.star_norm_ov, "star_norm_kq": tr.star_norm_kq,
                     "final": {"loss0": tr.stage1["loss0"][-1], "cos_ov": tr.stage1["cos"][-1],
                               "norm_ov": tr.stage1["norm"][-1], "loss": tr.stage2["loss"][-1],
                               "log_loss": tr.stage2["log_loss"][-1], "cos_kq": tr.stage2["cos"][-1],
                               "norm_kq": tr.stage2["norm"][-1], "phi_plus_min": tr.stage2["phi_plus_min"][-1],
                               "accuracy": tr.stage2["accuracy"][-1]}}
    return out

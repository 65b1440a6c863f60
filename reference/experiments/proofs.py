"""The proof audit: every registered proof step checked on the paper's runs and on random datasets.

Runs (Algorithm 1 with ``record="full"``; each audited by
:func:`reference.audit.proofs.audit_proofs`, which iterates the registry):

``paper experiment``
    Section 7: the seeded random realizable dataset of ``figure2`` (``|V| = d = 20``),
    ``eta0 = 0.2/sqrt(d)``, ``eta = 0.05/sqrt(d)``, ``T = T1 = 900``, zero initialisation.
``Example 1``
    The corpus {SVOP, VOP, OPP, PSV}, ``eta0 = 0.1``, ``eta = 0.025``, 900 + 900, zero init.
``Example 1, large steps``
    ``eta0 = 100``, ``eta = 1e6``, ``T = 1000``, ``T1 = 1500`` (where the conditions of
    Corollary 1, Lemma 7 and Theorem 2 hold, and ``eta0 <= ||W*_ov||/2`` does not).
``Example 1, random init``
    As Example 1 from a random initialisation of norm 1: stage 1 is then not aligned,
    so the second case of Lemma 2's proof (P15-P20) is exercised.
``random prefix-closed k``, ``random samples k``
    ``random_realizable`` (prefix closed) and ``random_realizable_samples`` (not prefix
    closed) with ``|V| = 6``, ``L_max = 5``, 300 + 300 iterations, one from zero and one
    from a random initialisation each.
``counterexample: Proposition 2``
    The sample set of ``verify``'s Proposition 2 counterexample (not prefix closed): its
    non-optimal tokens under one query have different ``W*_kq`` scores, the case P57 excludes
    (docs/proofs.md, "Appendix C.1-C.3"). Zero initialisation, 100 + 300 iterations.
``Example 1, unequal margins``
    Example 1 from a random ``W_ov^(0)`` of norm 1 and ``W_kq^(0) = 0``, with a stage 1 of 3
    steps: the stage-1 margins differ, so the premise of Lemma 4 (EQM) fails while stage 2
    starts from zero (Lemma 5's stated condition).
``Example 1, t >= t_0``
    ``eta0 = 0.1``, ``eta = 0.5``, ``T = 900``, ``T1 = 600``: Lemma 7's ``t >= t_0 = 105`` with
    moderate scores, so every step of its proof (P64-P103) is checked outside the saturated regime.
``two tokens, repeated optimal token``, ``two tokens, unequal frequencies``
    The corpora :data:`CORPORA` (``eta = 0.5`` and ``5``): the smallest runs on which P68 and
    P99, and P103's second line, fail as printed.
``Example 1, huge steps``
    ``eta0 = 100``, ``eta = 1e9``, ``T = 1000``, ``T1 = 300``: where the conditions the corrected proofs of
    Theorems 2 and 3 need (``t eta >= 1728 N L_max^4 ||W*_kq||^6 log^2 t``) hold (docs/proofs.md,
    "Appendix C.5-D"); ``Example 1, t >= t_0`` also checks the proof of Theorem 1.
``Proposition 4 counterexample``
    The samples :data:`PROP4_SAMPLES`, whose query column is the counterexample to the KKT step of
    Proposition 4's proof (P128): under ``q``, ``t1 > t2, t3, t5, t6, c, q`` and ``t4 > c, q`` (not prefix
    closed), 200 + 200 iterations.

Every dataset and initialisation is drawn from ``numpy.random.default_rng(seed)``.
"""

import math

import numpy as np

from ..audit.chains import ProofTable
from ..audit.proofs import audit_proofs
from ..errors import ConfigError
from ..theory.proofs import Measurements, REGISTRY

__all__ = ["PROOFS", "RANDOM", "APPENDIX_C", "LEMMA7", "CORPORA", "THEOREMS", "PROP4_SAMPLES", "build_runs",
           "audit_runs", "run", "run_data", "summary", "decisions", "chain_dict"]

#: The fixed runs: name -> settings (dataset, steps, horizons, initialisation).
PROOFS = {
    "paper experiment": {"dataset": "paper", "eta0": 0.2 / math.sqrt(20), "eta": 0.05 / math.sqrt(20),
                         "T": 900, "T1": 900, "init": "zero"},
    "Example 1": {"dataset": "example1", "eta0": 0.1, "eta": 0.025, "T": 900, "T1": 900, "init": "zero"},
    "Example 1, large steps": {"dataset": "example1", "eta0": 100.0, "eta": 1e6, "T": 1000, "T1": 1500,
                               "init": "zero"},
    "Example 1, random init": {"dataset": "example1", "eta0": 0.1, "eta": 0.025, "T": 900, "T1": 900,
                               "init": "random"},
}
#: Runs of Appendix C.1-C.3 (after the random ones, so the random draws of the runs above do not change).
APPENDIX_C = {
    "counterexample: Proposition 2": {"dataset": "prop2-counterexample", "eta0": 0.2 / math.sqrt(7),
                                      "eta": 0.05 / math.sqrt(7), "T": 100, "T1": 300, "init": "zero"},
    "Example 1, unequal margins": {"dataset": "example1", "eta0": 0.1, "eta": 0.025, "T": 3, "T1": 300,
                                   "init": "random W_ov"},
}
#: The small corpora of the Lemma 7 runs (docs/proofs.md, "Appendix C.4: Lemma 7"): a sentence that repeats
#: its optimal token (P68, P99 fail as printed), and unequal frequencies (P103's second line fails as printed).
CORPORA = {"repeated optimal token": ["a b a b", "b a"],
           "unequal frequencies": ["a b b", "a b", "b a a", "b a a", "b a a", "b a a"]}
#: The runs of Lemma 7's proof (Appendix C.4), after the random ones (their draws unchanged): Example 1 where
#: ``t >= t_0`` with moderate scores, and the two-token corpora :data:`CORPORA`.
LEMMA7 = {
    "Example 1, t >= t_0": {"dataset": "example1", "eta0": 0.1, "eta": 0.5, "T": 900, "T1": 600, "init": "zero"},
    "two tokens, repeated optimal token": {"dataset": "repeated optimal token", "eta0": 0.1, "eta": 0.5, "T": 100,
                                           "T1": 200, "init": "zero"},
    "two tokens, unequal frequencies": {"dataset": "unequal frequencies", "eta0": 0.1, "eta": 5.0, "T": 100,
                                        "T1": 120, "init": "zero"},
}
#: The runs for Appendix C.5-D (Theorems 1-3, Proposition 4) after Lemma 7's (draws unchanged); Theorem 1's proof
#: past ``t_0`` is checked on Lemma 7's ``Example 1, t >= t_0``.
THEOREMS = {
    "Example 1, huge steps": {"dataset": "example1", "eta0": 100.0, "eta": 1e9, "T": 1000, "T1": 300,
                              "init": "zero"},
    "Proposition 4 counterexample": {"dataset": "prop4", "eta0": 0.2 / math.sqrt(8), "eta": 0.05 / math.sqrt(8),
                                     "T": 200, "T1": 200, "init": "zero"},
}
#: The samples of the Proposition 4 counterexample: a cyclic collocation t1 -> t2 -> ... -> t6 -> c -> q -> t1,
#: its one-token samples, and two sentences with query q whose optimal tokens are t1 and t4.
PROP4_TOKENS = ("t1", "t2", "t3", "t4", "t5", "t6", "c", "q")
PROP4_SAMPLES = ([([x], PROP4_TOKENS[(i + 1) % 8]) for i, x in enumerate(PROP4_TOKENS)]
                 + [("t1 t2 t3 t5 t6 c q".split(), "t2"), ("t4 c q".split(), "t5")])
#: The random datasets: |V|, L_max, steps, horizons, the norm of a random initialisation.
RANDOM = {"n_tokens": 6, "L_max": 5, "eta0": 0.2 / math.sqrt(6), "eta": 0.05 / math.sqrt(6), "T": 300,
          "T1": 300, "init_norm": 1.0}


def _dataset(kind, rng):
    from ..structure.generate import example1, random_realizable
    from ..structure.generate_samples import random_realizable_samples
    from .figure2 import figure2_dataset
    if kind == "paper":
        return figure2_dataset(rng=rng)
    if kind == "example1":
        return example1()
    if kind == "prop2-counterexample":
        from ..data.dataset import Dataset
        from .verify import COUNTEREXAMPLES
        return Dataset.from_samples(COUNTEREXAMPLES["counterexample: Proposition 2"]["samples"])
    if kind == "prop4":
        from ..data.dataset import Dataset
        return Dataset.from_samples(PROP4_SAMPLES)
    if kind in CORPORA:
        from ..data.dataset import Dataset
        return Dataset.from_corpus(CORPORA[kind])
    if kind == "prefix-closed":
        return random_realizable(RANDOM["n_tokens"], L_max=RANDOM["L_max"], rng=rng)
    return random_realizable_samples(RANDOM["n_tokens"], L_max=RANDOM["L_max"], rng=rng)


def _has_pair(ds):
    from ..structure.orders import query_orders
    return any(o.pairs for o in query_orders(ds).values())


def build_runs(seed=0, progress=None):
    """Train every run of the proof audit (module docstring) with ``record="full"``.

    Parameters
    ----------
    seed : int >= 0
        Seeds the paper experiment's dataset (as ``figure2 --seed``), then the random
        datasets and initialisations.
    progress : None or bool
        Progress lines on stderr (None: only for long runs).

    Returns
    -------
    dict
        Run name -> ``{"ds", "traj", "config"}``.

    Raises
    ------
    ConfigError
        A bad seed.
    """
    from ..training.algorithm import two_stage_ngd
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ConfigError(f"seed must be an integer >= 0, got {seed!r}")
    rng = np.random.default_rng(int(seed))
    runs = {}
    ds_paper = _dataset("paper", rng)                          # first draw: the figure2 dataset of this seed
    specs = dict(PROOFS)
    for k in range(2):
        for kind, label in (("prefix-closed", "random prefix-closed"), ("samples", "random samples")):
            specs[f"{label} {k}"] = dict(dataset=kind, eta0=RANDOM["eta0"], eta=RANDOM["eta"], T=RANDOM["T"],
                                         T1=RANDOM["T1"], init="zero" if k == 0 else "random")
    specs.update(APPENDIX_C)
    specs.update(LEMMA7)
    specs.update(THEOREMS)
    for name, c in specs.items():
        ds = ds_paper if c["dataset"] == "paper" else _dataset(c["dataset"], rng)
        while not _has_pair(ds):                               # W*_kq = 0: stage 2 undefined; draw again
            ds = _dataset(c["dataset"], rng)
        init = "zero" if c["init"] == "zero" else ("random", RANDOM["init_norm"])
        if c["init"] == "random W_ov":                         # stage 1 from random, stage 2 from zero
            V, d = ds.vocab.n_tokens, ds.vocab.d
            W0 = rng.standard_normal((V, d))
            init = (W0 * (RANDOM["init_norm"] / np.linalg.norm(W0)), np.zeros((d, d)))
        traj = two_stage_ngd(ds, c["eta0"], c["eta"], c["T"], c["T1"], init=init, rng=rng, record="full",
                             progress=progress)
        runs[name] = {"ds": ds, "traj": traj, "config": dict(c, N=ds.N, L_max=ds.L_max, n_tokens=ds.vocab.n_tokens)}
    return runs


def audit_runs(runs, steps=True):
    """The proof audit of every run: one :class:`~reference.audit.chains.ProofTable`.

    Parameters
    ----------
    runs : dict
        Run name -> ``{"ds", "traj", ...}`` (trajectories recorded with ``record="full"``).
    steps : bool
        Judge the proof steps too (False: the statement rows only).

    Returns
    -------
    ProofTable
    """
    table = ProofTable()
    for name, r in runs.items():
        q = Measurements(r["traj"], r["ds"], run=name)
        table.extend(audit_proofs(r["traj"], r["ds"], run=name, q=q, steps=steps))
    return table


def run(seed=0, progress=None):
    """Build the runs and audit every statement and proof step on them.

    Parameters
    ----------
    seed : int >= 0
    progress : None or bool

    Returns
    -------
    dict
        ``table`` (ProofTable), ``chains`` (list of ChainSummary), ``runs``, ``config``.

    Raises
    ------
    ConfigError
        A bad seed.
    """
    runs = build_runs(seed, progress)
    table = audit_runs(runs)
    config = {"seed": int(seed),
              "runs": {k: {a: (list(b) if isinstance(b, tuple) else b) for a, b in r["config"].items()}
                       for k, r in runs.items()}}
    return {"table": table, "chains": table.chains(), "runs": runs, "config": config}


def run_data(data, progress=None):
    """The proof audit of the user's data: Algorithm 1 from zero with the paper's recipe, every step checked.

    Parameters
    ----------
    data : UserData
        From :func:`reference.experiments.user_data.from_args`.
    progress : None or bool

    Returns
    -------
    dict
        As :func:`run`: ``table``, ``chains``, ``runs``, ``config``.

    Raises
    ------
    AssumptionError
        No one-to-one collocation (Assumption 1(i)): Algorithm 1 cannot run.
    ConfigError
        A zero gradient (no ordered pair, ``W*_kq = 0``).
    """
    from .verify import train_data
    runs = train_data(data, progress)
    table = audit_runs(runs)
    config = {"data": data.name, "kind": data.kind, "runs": {k: r["config"] for k, r in runs.items()}}
    return {"table": table, "chains": table.chains(), "runs": runs, "config": config}


def chain_dict(c):
    """A :class:`~reference.audit.chains.ChainSummary` as a dict (for the JSON reports)."""
    h = c.headline
    return {"statement": c.statement, "verdict": c.verdict, "line": c.line(), "runs": c.runs,
            "n_steps": c.n_steps, "statement_verdict": c.statement_verdict, "recorded_failing": c.recorded,
            "recorded_never_failing": c.recorded_never_fail,
            "never_checked": c.never_checked, "informational": c.informational,
            "headline": None if h is None else {
                "key": h.key, "run": h.run, "verdict": h.verdict, "t_first_fail": h.t_first_fail,
                "measured": h.measured_first_fail, "bound": h.bound_first_fail, "sense": h.sense,
                "unstated_needed": list(h.unstated_needed), "why": h.why}}


def decisions(registry=REGISTRY):
    """Every recorded decision on an inconsistency of the paper, as dicts (for the JSON report)."""
    return [{"key": d.key, "items": list(d.items), "steps": list(d.steps), "category": d.category,
             "summary": d.summary, "statement_holds": d.statement_holds, "evidence": list(d.evidence)}
            for d in registry.decisions()]


def summary(result):
    """The JSON report of a proof audit: config, chains, decisions, failures, rows (without series).

    Parameters
    ----------
    result : dict
        The output of :func:`run` (or any dict with ``table``, ``chains`` and ``config``).

    Returns
    -------
    dict
    """
    table = result["table"]
    bad = table.violations()
    return {"config": result["config"], "ok": not bad, "failures": [f"{r.run}: {r.key}" for r in bad],
            "chains": [chain_dict(c) for c in result["chains"]], "decisions": decisions(),
            "rows": table.to_dicts()}

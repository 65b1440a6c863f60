"""Golden cases: exact outputs of the paper's model on fixed inputs, as a versioned JSON-ready dict.

The cases are what :func:`reference.conformance.check` runs another
implementation on (``python -m reference golden --out cases.json`` writes
them). The datasets and runs, and what each is there to catch, are in
:mod:`reference.conformance.golden_data`. For every dataset the file holds the
vocabulary (token names, embeddings ``E``), the sentences of ``D_0`` with next
tokens, counts, ``pi`` and the collocation ``In``, and the certified
max-margin solutions ``W*_ov`` (Eq. 2) and ``W*_kq`` (Eq. 3). Each *case* holds
weights ``(W_ov, W_kq)`` of one dataset at one scale (1, 10, 1e3; random, or
aligned with ``W*`` so that ``L`` and the gradients underflow) and the outputs
there: attention, logits ``Tbar``, ``T``, ``L``, ``log L``, ``L_0``,
``log L_0``, the three gradients (also as a log-norm and a unit direction,
exact when the gradient underflows) and the normalised steps of both stages.
Each *run* holds the iterates of Algorithm 1 from zero.

Every case and run carries its *regime*: "saturated" when some probability
it involves is within :data:`SATURATION` of 1 (so ``1 - p`` by subtraction
keeps too few digits) or a loss or gradient underflows float64; "ordinary"
otherwise. The checker reports the two apart.

Outputs are computed by the training engine in token coordinates
(:mod:`reference.training.engine`: ``B = W_ov E``, ``A = E^T W_kq E``), not by the
literal functions, so that checking the literal face against the file
compares two independent computations. Field by field: ``docs/conformance.md``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import ConfigError, SolverError
from .golden_data import build_dataset, CASE_GRID, DATASETS, RUNS
from .golden_file import FORMAT, jsonable, seal, VERSION
from .report import TOLERANCES

__all__ = ["SCALES", "SATURATION", "golden_cases"]

#: Weight scales of the cases: ordinary, large, and saturated (probabilities round to 0/1).
SCALES = (1.0, 10.0, 1e3)
#: A probability within this of 1 makes a case "saturated": ``1 - p`` by subtraction then keeps at most
#: 16 - 6 = 10 significant digits, which a quantity built from it (``log L``, a direction) can lose
#: against the relative tolerance 1e-9. Above it, a textbook float64 implementation meets every
#: tolerance with a factor 1000 to spare (measured: tests/test_conformance_kit.py).
SATURATION = 1e-6
#: log of the smallest normal float64: a loss or gradient with a smaller log underflows.
LOG_TINY = math.log(np.finfo(np.float64).tiny)
#: Step sizes of the one-step outputs of every case (different, so that swapping them shows).
CASE_ETA0, CASE_ETA = 0.3, 0.7


def _softmax(v):
    z = np.exp(v - v.max())
    return z / z.sum()


def _log1m_max(v):
    """``log(1 - max softmax(v))``, from log-sum-exp (never ``1 - p``); ``-inf`` for one entry."""
    v = np.asarray(v, dtype=np.float64)
    k = int(np.argmax(v))
    rest = np.delete(v, k) - v[k]                                   # all <= 0
    if rest.size == 0:
        return -math.inf
    m = float(rest.max())
    lse_rest = m + math.log(float(np.sum(np.exp(rest - m))))         # log sum_{v != k} e^{v - v_k}
    return float(lse_rest - np.logaddexp(0.0, lse_rest))


def _scaled(log_c, G):
    """``exp(log_c) G``; 0 where it underflows (no subnormal warnings)."""
    return math.exp(log_c) * G if log_c > LOG_TINY else np.zeros_like(G)


def _saturation(ds, B, att, logits):
    """``log(1 - p)`` of the most saturated probability: attention (per distinct token), ``T``, stage 1.

    ``1 - p`` is a sum of the other probabilities (or from log-sum-exp), never a subtraction.
    """
    worst = [_log1m_max(B[:, i]) for i in range(B.shape[1])]             # phi(W_ov x_i), stage 1
    worst += [_log1m_max(t) for t in logits]                              # T(X^(n))
    for s, a in zip(ds.sentences, att):
        w = np.bincount(s, weights=a)[np.unique(s)]                      # weight of each distinct token
        if w.size > 1:
            rest = float(np.sum(np.delete(w, int(np.argmax(w)))))
            worst.append(math.log(rest) if rest > 0 else -math.inf)
    return min(worst)


def _regime(log1mp, *logs):
    """"saturated" if a probability is within :data:`SATURATION` of 1 or a log-value underflows."""
    return "saturated" if log1mp < math.log(SATURATION) or min(logs) < LOG_TINY else "ordinary"


def _expected(eng, W_ov, W_kq, eta0, eta):
    """Every output of one case, from the engine in token coordinates (``B = W_ov E``, ``A = E^T W_kq E``)."""
    ds, E = eng.ds, eng.E
    B, A = eng.to_coords(W_ov, W_kq)
    eA, eB, e0 = eng.stage2(B, A, grad=("A",)), eng.stage2(B, A, grad=("B",)), eng.stage1(B)
    att = eA.att
    attention = [att[n, :s.size] for n, s in enumerate(ds.sentences)]
    logits = [B[:, s] @ a for s, a in zip(ds.sentences, attention)]   # W_ov X phi = B[:, s] phi
    d_ov, d_kq, d_0 = eB.grad_dir["B"] @ E.T, E @ eA.grad_dir["A"] @ E.T, e0.grad_dir @ E.T
    return {"attention": attention, "logits": logits, "T": [_softmax(t) for t in logits],
            "L": eA.loss, "log_L": eA.log_loss, "L_0": e0.loss0, "log_L_0": e0.log_loss0,
            "grad_W_ov_L": _scaled(eB.log_grad_norm, d_ov),
            "grad_W_kq_L": _scaled(eA.log_grad_norm, d_kq),
            "grad_W_ov_L0": _scaled(e0.log_grad_norm, d_0),
            "log_norm_grad_W_ov_L": eB.log_grad_norm, "log_norm_grad_W_kq_L": eA.log_grad_norm,
            "log_norm_grad_W_ov_L0": e0.log_grad_norm,
            "unit_grad_W_ov_L": d_ov, "unit_grad_W_kq_L": d_kq, "unit_grad_W_ov_L0": d_0,
            "W_ov_next": W_ov - eta0 * d_0, "W_kq_next": W_kq - eta * d_kq}, B, att


def _case_about(family, s, regime):
    what = {"random": f"random Gaussian weights times {s:g}",
            "aligned": f"weights aligned with W* (W* + 10% noise) times {s:g}, so predictions are right"}[family]
    catch = {"ordinary": "every output is O(1) or well conditioned: catches wrong formulas",
             "saturated": "probabilities round to 1 or losses and gradients underflow: catches 1 - p by "
                          "subtraction, 0/0 directions, log of an underflowed probability, +eps in a norm"}[regime]
    return f"{what}; {regime} regime: {catch}"


def _run(ds, eng, spec, name):
    """One run of Algorithm 1 from zero: iterates, and the first step of each stage taken saturated."""
    from ..training.algorithm import two_stage_ngd
    run, _, eta0, eta, T, T1, about = spec
    tr = two_stage_ngd(ds, eta0, eta, T, T1, record="full", W_star=False, engine=eng, progress=False)
    Wov, Wkq = tr.W_ov_iterates, tr.W_kq_iterates
    first = [None, None]
    for t in range(T):
        B, A = eng.to_coords(Wov[t], Wkq[0])
        e0 = eng.stage1(B)
        if first[0] is None and _regime(min(_log1m_max(B[:, i]) for i in range(B.shape[1])),
                                        e0.log_grad_norm) == "saturated":
            first[0] = t + 1
    for t in range(T1):
        B, A = eng.to_coords(Wov[T], Wkq[t])
        e = eng.stage2(B, A)
        att = e.att
        logits = [B[:, s] @ att[n, :s.size] for n, s in enumerate(ds.sentences)]
        lp = _saturation(ds, B, [att[n, :s.size] for n, s in enumerate(ds.sentences)], logits)
        if first[1] is None and _regime(lp, e.log_grad_norm, e.log_loss) == "saturated":
            first[1] = t + 1
    regime = "ordinary" if first == [None, None] else "saturated"
    return {"name": f"{name}/{run}", "dataset": name, "about": about, "regime": regime, "eta0": eta0,
            "eta": eta, "T": T, "T1": T1, "saturated_stage1": first[0], "saturated_stage2": first[1],
            "W_ov_iterates": Wov, "W_kq_iterates": Wkq}


def golden_cases(*, rng: np.random.Generator) -> dict[str, Any]:
    """The golden cases: datasets, weights at :data:`SCALES`, runs of Algorithm 1, every exact output.

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the random embeddings, the large dataset and the weights. A generator fresh from
        ``np.random.default_rng(seed)`` records ``seed`` in the file (else ``null``).

    Returns
    -------
    dict
        ``{"format", "version", "paper", "seed", "conventions", "tolerances", "datasets", "runs",
        "cases", "checksum"}``; arrays as (nested) lists of floats. See ``docs/conformance.md``.

    Raises
    ------
    ConfigError
        ``rng`` is not a numpy Generator.
    SolverError
        If a max-margin solution fails its KKT certificate.

    Notes
    -----
    Serves Section 3 (attention, ``Tbar``, ``T``), Eq. (1) and ``L_0`` with their gradients
    (Eq. 5, 6), Algorithm 1 (normalised steps, iterates) and Eq. (2), (3) (``W*``).
    """
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    seed = _seed_of(rng)
    from ..maxmargin.solvers import max_margin_kq, max_margin_ov
    from ..structure.orders import collocation
    from ..training.engine import Engine
    datasets, runs, cases = [], [], []
    for name, (about, catches) in DATASETS.items():
        ds = build_dataset(name, rng)
        eng, V, d = Engine(ds), ds.vocab.n_tokens, ds.vocab.d
        ov, kq = max_margin_ov(ds), max_margin_kq(ds)
        if not (ov.certificate.ok and kq.certificate.ok):
            raise SolverError(f"{name}: max-margin certificate failed: {ov.certificate}, {kq.certificate}")
        datasets.append({
            "name": name, "about": about, "catches": catches, "prefix_closed": _prefix_closed(ds),
            "tokens": list(ds.vocab.tokens), "E": ds.vocab.E, "sentences": [s.tolist() for s in ds.sentences],
            "y": ds.y.tolist(), "counts": ds.counts.tolist(), "pi": ds.pi, "In": collocation(ds).tolist(),
            "W_ov_star": ov.W, "W_kq_star": kq.W})
        runs += [_run(ds, eng, spec, name) for spec in RUNS if spec[1] == name]
        # inputs with 4 decimals: exact floats all the same, and short in the file
        R_ov = np.round(rng.standard_normal((V, d)) / math.sqrt(d), 4)
        R_kq = np.round(rng.standard_normal((d, d)) / math.sqrt(d), 4)
        S_ov, S_kq = np.round(ov.W, 4), np.round(kq.W, 4)
        grid = CASE_GRID.get(name, [(f, s) for f in ("random", "aligned") for s in SCALES])
        for family, s in grid:
            # W* plus 10% noise (aligned): correct predictions, large margins
            M_ov, M_kq = (R_ov, R_kq) if family == "random" else (S_ov + 0.1 * R_ov, S_kq + 0.1 * R_kq)
            W_ov, W_kq = np.round(s * np.round(M_ov, 4), 4), np.round(s * np.round(M_kq, 4), 4)
            ex, B, att = _expected(eng, W_ov, W_kq, CASE_ETA0, CASE_ETA)
            log1mp = _saturation(ds, B, ex["attention"], ex["logits"])
            logs = [ex["log_L"], ex["log_L_0"]] + [ex[k] for k in ex if k.startswith("log_norm")]
            regime = _regime(log1mp, *logs)
            cases.append({"name": f"{name}/{family}/scale={s:g}", "dataset": name, "family": family, "scale": s,
                          "regime": regime, "about": _case_about(family, s, regime), "log_1mp": log1mp,
                          "underflow": bool(min(logs) < LOG_TINY), "W_ov": W_ov, "W_kq": W_kq,
                          "eta0": CASE_ETA0, "eta": CASE_ETA, "expected": ex})
    return seal(jsonable({
        "format": FORMAT, "version": VERSION,
        "paper": "Huang, Liang, Yang, Non-asymptotic Convergence of Training Transformers for Next-token "
                 "Prediction, NeurIPS 2024 (arXiv 2409.17335)",
        "seed": seed,
        "conventions": {
            "indices": "0-based token indices (the paper's I(x) - 1)",
            "E": "d x |V| embeddings as columns; sentence X^(n) = E[:, sentences[n]] (d x L)",
            "W_ov": "|V| x d (rows are vocabulary logits); W_kq: d x d; never transposed",
            "attention": "phi(X^T W_kq x_L), softmax over all L positions, query included",
            "L": "Eq. (1): sum_n pi_n (-log T(X^(n))_{y_n}); L_0 = -sum_x log phi(W_ov x)_{In(x)} (a sum)",
            "gradients": "grad = exp(log_norm_grad_...) * unit_grad_... (exact when grad underflows to 0)",
            "steps": "W_ov_next = W_ov - eta0 unit_grad_W_ov_L0; W_kq_next = W_kq - eta unit_grad_W_kq_L",
            "regime": f"saturated: some probability within {SATURATION:g} of 1, or a loss or gradient "
                      "below the smallest normal float64; ordinary otherwise",
            "floats": "written with repr (round-trip exact); non-finite values as strings 'inf', '-inf', 'nan'"},
        "tolerances": {k: {"atol": a, "rtol": r} for k, (a, r) in TOLERANCES.items()},
        "datasets": datasets, "runs": runs, "cases": cases}))


def _prefix_closed(ds):
    have = {tuple(s.tolist()) for s in ds.sentences}
    return all(tuple(s[:k].tolist()) in have for s in ds.sentences for k in range(1, s.size))


def _seed_of(rng):
    """The integer seed of a generator fresh from ``default_rng(seed)``, else None (nothing drawn yet)."""
    seq = getattr(rng.bit_generator, "seed_seq", None)
    entropy = getattr(seq, "entropy", None)
    if not isinstance(entropy, int) or getattr(seq, "spawn_key", ()) != ():
        return None
    fresh = type(rng.bit_generator)(np.random.SeedSequence(entropy))
    return entropy if fresh.state == rng.bit_generator.state else None

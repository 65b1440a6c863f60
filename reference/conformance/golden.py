"""Golden cases: exact outputs of the paper's model on fixed inputs, as a versioned JSON file.

The cases are what :func:`reference.conformance.check` runs another
implementation on (``python -m reference golden --out cases.json`` writes
them). Each *dataset* holds a vocabulary (token names, embeddings ``E``,
identity or random orthonormal), the sentences of ``D_0`` with next tokens,
counts, ``pi`` and the collocation ``In``, the certified max-margin solutions
``W*_ov`` (Eq. 2) and ``W*_kq`` (Eq. 3), and the first iterates of Algorithm 1
from zero. Each *case* holds weights ``(W_ov, W_kq)`` of one dataset at one
scale (1, 10, 1e3; random, or aligned with ``W*`` so that ``L`` and the
gradients underflow) and the outputs there: attention, logits ``Tbar``,
``T``, ``L``, ``log L``, ``L_0``, ``log L_0``, the three gradients (also as a
log-norm and a unit direction, exact when the gradient underflows) and the
normalised steps of both stages.

Outputs are computed by the training engine in token coordinates
(:mod:`reference.training.engine`: ``B = W_ov E``, ``A = E^T W_kq E``), not by the
literal functions, so that checking the literal face against the file
compares two independent computations. Field by field: ``docs/conformance.md``.

The file format and its schema live in :mod:`reference.conformance.golden_file`, the literal face
as an implementation (:func:`library_impl`) in :mod:`reference.conformance.literal_impl`.
"""

import math

import numpy as np

from ..errors import ConfigError, SolverError
from .golden_file import FORMAT, jsonable, VERSION
from .report import TOLERANCES

__all__ = ["SCALES", "golden_cases"]

#: Weight scales of the cases: ordinary, large, and saturated (probabilities round to 0/1).
SCALES = (1.0, 10.0, 1e3)
#: log of the smallest normal float64: a gradient with a smaller log-norm underflows.
LOG_TINY = math.log(np.finfo(np.float64).tiny)


def _softmax(v):
    z = np.exp(v - v.max())
    return z / z.sum()


def _scaled(log_c, G):
    """``exp(log_c) G``; 0 where it underflows (no subnormal warnings)."""
    return math.exp(log_c) * G if log_c > LOG_TINY else np.zeros_like(G)


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
            "W_ov_next": W_ov - eta0 * d_0, "W_kq_next": W_kq - eta * d_kq}


def _datasets(rng):
    from ..data.vocabulary import Vocabulary
    from ..structure.generate import example1, random_realizable
    ex1 = example1()
    ex1_rot = ex1.with_vocab(Vocabulary.random_orthonormal(ex1.vocab.tokens, 7, rng=rng))
    rnd = random_realizable(5, L_max=4, d=6, rng=rng)
    return [("example1", "Example 1, identity E (d = |V| = 4)", ex1),
            ("example1-orthonormal", "Example 1, random orthonormal E (d = 7 > |V| = 4)", ex1_rot),
            ("random", "random realizable dataset, random orthonormal E (d = 6 > |V| = 5)", rnd)]


def golden_cases(*, rng, eta0=0.5, eta=0.5, T=4, T1=4):
    """The golden cases: datasets, weights at :data:`SCALES` and every exact output (a JSON-ready dict).

    Parameters
    ----------
    rng : numpy.random.Generator
        Draws the random embeddings, the random dataset and the weights.
    eta0, eta : float
        Step sizes of the steps and of Algorithm 1's iterates.
    T, T1 : int
        Number of iterates of each stage of Algorithm 1 recorded.

    Returns
    -------
    dict
        ``{"format", "version", "conventions", "tolerances", "datasets": [...], "cases": [...]}``;
        arrays as (nested) lists of floats. See ``docs/conformance.md`` for every field.

    Raises
    ------
    ConfigError
        A step size that is not a finite number > 0, or ``T``, ``T1`` not integers >= 1.
    SolverError
        If a max-margin solution fails its KKT certificate.

    Notes
    -----
    Serves Section 3 (attention, ``Tbar``, ``T``), Eq. (1) and ``L_0`` with their gradients
    (Eq. 5, 6), Algorithm 1 (normalised steps, first iterates) and Eq. (2), (3) (``W*``).
    """
    for k, v in (("eta0", eta0), ("eta", eta)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise ConfigError(f"{k} must be a finite number > 0, got {v!r}")
    for k, v in (("T", T), ("T1", T1)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ConfigError(f"{k} must be an integer >= 1, got {v!r}")
    from ..maxmargin.solvers import max_margin_kq, max_margin_ov
    from ..structure.orders import collocation
    from ..training.algorithm import two_stage_ngd
    from ..training.engine import Engine
    datasets, cases = [], []
    for name, about, ds in _datasets(rng):
        eng, V, d = Engine(ds), ds.vocab.n_tokens, ds.vocab.d
        ov, kq = max_margin_ov(ds), max_margin_kq(ds)
        if not (ov.certificate.ok and kq.certificate.ok):
            raise SolverError(f"{name}: max-margin certificate failed: {ov.certificate}, {kq.certificate}")
        tr = two_stage_ngd(ds, eta0, eta, T, T1, record="full", W_star=False, engine=eng, progress=False)
        datasets.append({
            "name": name, "about": about, "tokens": list(ds.vocab.tokens), "E": ds.vocab.E,
            "sentences": [s.tolist() for s in ds.sentences], "y": ds.y.tolist(), "counts": ds.counts.tolist(),
            "pi": ds.pi, "In": collocation(ds).tolist(), "W_ov_star": ov.W, "W_kq_star": kq.W,
            "eta0": eta0, "eta": eta, "T": T, "T1": T1,
            "W_ov_iterates": tr.W_ov_iterates, "W_kq_iterates": tr.W_kq_iterates})
        R_ov, R_kq = rng.standard_normal((V, d)) / math.sqrt(d), rng.standard_normal((d, d)) / math.sqrt(d)
        for family in ("random", "aligned"):
            for s in SCALES:
                if family == "random":
                    W_ov, W_kq = s * R_ov, s * R_kq
                else:                              # W* plus 10% noise: correct predictions, large margins
                    W_ov, W_kq = s * (ov.W + 0.1 * R_ov), s * (kq.W + 0.1 * R_kq)
                ex = _expected(eng, W_ov, W_kq, eta0, eta)
                cases.append({"name": f"{name}/{family}/scale={s:g}", "dataset": name, "family": family,
                              "scale": s, "underflow": bool(ex["log_norm_grad_W_kq_L"] < LOG_TINY
                                                            or ex["log_L"] < LOG_TINY),
                              "W_ov": W_ov, "W_kq": W_kq, "eta0": eta0, "eta": eta, "expected": ex})
    return jsonable({
        "format": FORMAT, "version": VERSION,
        "paper": "Huang, Liang, Yang, Non-asymptotic Convergence of Training Transformers for Next-token "
                 "Prediction, NeurIPS 2024 (arXiv 2409.17335)",
        "conventions": {
            "indices": "0-based token indices (the paper's I(x) - 1)",
            "E": "d x |V| embeddings as columns; sentence X^(n) = E[:, sentences[n]] (d x L)",
            "W_ov": "|V| x d (rows are vocabulary logits); W_kq: d x d; never transposed",
            "attention": "phi(X^T W_kq x_L), softmax over all L positions, query included",
            "L": "Eq. (1): sum_n pi_n (-log T(X^(n))_{y_n}); L_0 = -sum_x log phi(W_ov x)_{In(x)} (a sum)",
            "gradients": "grad = exp(log_norm_grad_...) * unit_grad_... (exact when grad underflows to 0)",
            "steps": "W_ov_next = W_ov - eta0 unit_grad_W_ov_L0; W_kq_next = W_kq - eta unit_grad_W_kq_L",
            "floats": "written with repr (round-trip exact); non-finite values as strings 'inf', '-inf', 'nan'"},
        "tolerances": {k: {"atol": a, "rtol": r} for k, (a, r) in TOLERANCES.items()},
        "datasets": datasets, "cases": cases})

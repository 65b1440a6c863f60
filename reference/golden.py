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
(:mod:`reference.engine`: ``B = W_ov E``, ``A = E^T W_kq E``), not by the
literal functions, so that checking the literal face against the file
compares two independent computations. Field by field: ``docs/conformance.md``.

:func:`library_impl` is that literal face in the form the checker expects
(plain callables on arrays, signatures in :mod:`reference.conformance`).
"""

import json
import math
import os
from fractions import Fraction

import numpy as np

from .errors import ConfigError, SolverError, WeightsError

__all__ = ["FORMAT", "VERSION", "SCALES", "golden_cases", "write_cases", "load_cases", "library_impl"]

FORMAT = "reference.golden"
#: Bumped whenever a field changes meaning; :func:`load_cases` refuses other versions.
VERSION = 1
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
    from .generate import example1, random_realizable
    from .vocabulary import Vocabulary
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
    SolverError
        If a max-margin solution fails its KKT certificate.
    """
    from .algorithm import two_stage_ngd
    from .engine import Engine
    from .maxmargin import max_margin_kq, max_margin_ov
    from .structure import collocation
    from .conformance import TOLERANCES
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
    return _jsonable({
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


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return _jsonable(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else repr(float(x))
    return x


def write_cases(path, cases):
    """Write golden cases as strict JSON, floats by ``repr`` (round-trip exact; Section 3 to Algorithm 1 outputs).

    Parameters
    ----------
    path : str or os.PathLike
    cases : dict
        From :func:`golden_cases` (numpy arrays are converted; non-finite floats become strings).

    Raises
    ------
    OSError
        The file cannot be written.
    """
    with open(os.fspath(path), "w", encoding="utf-8") as f:
        json.dump(_jsonable(cases), f, allow_nan=False, separators=(",", ":"))
        f.write("\n")


def load_cases(path):
    """Read a golden-case file written by :func:`write_cases` (or ``python -m reference golden``).

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    dict
        The cases as JSON values (lists, floats, strings); :func:`reference.conformance.check`
        decodes them.

    Raises
    ------
    ConfigError
        Missing file, not JSON, another format, or another :data:`VERSION`.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: no such golden-case file")
    try:
        with open(path, encoding="utf-8") as f:
            cases = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not a JSON file ({e})") from None
    _check_format(cases, path)
    return cases


def _check_format(cases, where):
    if not isinstance(cases, dict) or cases.get("format") != FORMAT:
        raise ConfigError(f"{where}: not a golden-case file (format {FORMAT!r} expected)")
    if cases.get("version") != VERSION:
        raise ConfigError(f"{where}: golden-case format version {cases.get('version')!r}; this library "
                          f"reads version {VERSION} (regenerate with python -m reference golden)")


def _decode(x):
    """A JSON value as float64: nested lists to an array, the strings 'inf', '-inf', 'nan' to floats."""
    if isinstance(x, str):
        return float(x)
    if isinstance(x, list):
        return np.array([_decode(v) for v in x], dtype=np.float64)
    return float(x)


# ---------------------------------------------------------------------- this library's literal face as an impl
# (the form reference.conformance.check expects; see its module docstring for the signatures)
def _counts(pi):
    """Integer counts with ``counts / sum(counts) == pi`` (pi rational with denominator <= 1e9)."""
    fr = [Fraction(float(p)).limit_denominator(10**9) for p in np.asarray(pi, dtype=np.float64)]
    den = math.lcm(*(f.denominator for f in fr))
    return [f.numerator * (den // f.denominator) for f in fr]


def _vocab(E):
    from .vocabulary import Vocabulary
    E = np.asarray(E, dtype=np.float64)
    return Vocabulary([f"t{i}" for i in range(E.shape[1])], E, allow_non_orthonormal=True)


def _indices(X, E):
    """Token indices of the columns of ``X`` (each must be a column of ``E`` exactly)."""
    idx = np.argmax(np.asarray(E).T @ np.asarray(X), axis=0)
    if not np.array_equal(np.asarray(E)[:, idx], X):
        raise WeightsError("a sentence column is not a column of E")
    return idx


def _data(E, Xs, y, pi, In=None):
    """``D_0`` as a Dataset over embeddings ``E`` (plus the one-token samples of ``In`` if missing)."""
    from .data import Dataset
    sents, ys, cs = [_indices(X, E) for X in Xs], list(np.asarray(y, dtype=np.intp)), _counts(pi)
    if In is not None:
        have = {int(s[0]) for s in sents if s.size == 1}
        for i in range(len(In)):
            if i not in have:
                sents, ys, cs = sents + [np.array([i])], ys + [int(In[i])], cs + [1]
    return Dataset(_vocab(E), sents, ys, cs)


def _free(Xs, y, pi, n_tokens):
    """``D_0`` from sentence matrices alone: the distinct columns become the embeddings (padded with 0).

    The loss depends on ``X`` only through its columns and on ``y`` only through rows of ``W_ov``,
    so any token numbering of the columns gives the same ``L``.
    """
    cols = np.concatenate([np.asarray(X, dtype=np.float64) for X in Xs], axis=1)
    uniq = np.unique(cols.T, axis=0)
    if uniq.shape[0] > n_tokens:
        raise WeightsError(f"the sentences use {uniq.shape[0]} distinct columns for |V| = {n_tokens} tokens")
    E = np.zeros((cols.shape[0], n_tokens))
    E[:, :uniq.shape[0]] = uniq.T
    return _data(E, Xs, y, pi)


def _two_stage_literal(E, In, Xs, y, pi, eta0, eta, T, T1):
    """Algorithm 1 written with the literal functions: ``W <- W - eta * unit gradient``."""
    from . import loss as L
    ds0, ds = _data(E, [], [], [], In), _data(E, Xs, y, pi, In)
    V, d = len(In), np.asarray(E).shape[0]
    W_ov, W_kq = [np.zeros((V, d))], [np.zeros((d, d))]
    for _ in range(T):
        W_ov.append(W_ov[-1] - eta0 * L.unit_grad_loss0(W_ov[-1], ds0))
    for _ in range(T1):
        W_kq.append(W_kq[-1] - eta * L.unit_grad_loss(W_ov[-1], W_kq[-1], ds, wrt=("kq",))["kq"])
    return np.array(W_ov), np.array(W_kq)


def library_impl():
    """This library's literal face (:mod:`reference.transformer`, :mod:`reference.loss`) as an impl for ``check``.

    The loss functions build a :class:`reference.data.Dataset` from the arrays (``pi`` back to
    integer counts); Algorithm 1 is a loop over the literal unit gradients; ``W*`` comes from
    :mod:`reference.maxmargin`. The golden outputs come from the engine, so a pass is the
    agreement of two independent computations.

    Returns
    -------
    dict
        One callable per name of :data:`reference.conformance.FUNCTIONS`.
    """
    from . import loss as L
    from . import maxmargin as mm
    from . import transformer as tf

    def ds_of(W_ov, Xs, y, pi):
        return _free(Xs, y, pi, np.asarray(W_ov).shape[0])

    return {
        "attention": tf.attention, "logits": tf.logits, "transformer": tf.transformer,
        "loss": lambda W_ov, W_kq, Xs, y, pi: L.loss(W_ov, W_kq, ds_of(W_ov, Xs, y, pi)),
        "log_loss": lambda W_ov, W_kq, Xs, y, pi: L.log_loss(W_ov, W_kq, ds_of(W_ov, Xs, y, pi)),
        "loss0": lambda W_ov, E, In: L.loss0(W_ov, _data(E, [], [], [], In)),
        "log_loss0": lambda W_ov, E, In: L.log_loss0(W_ov, _data(E, [], [], [], In)),
        "grad_loss": lambda W_ov, W_kq, Xs, y, pi: L.grad_loss(W_ov, W_kq, ds_of(W_ov, Xs, y, pi)),
        "grad_loss0": lambda W_ov, E, In: L.grad_loss0(W_ov, _data(E, [], [], [], In)),
        "unit_grad_loss_ov": lambda W_ov, W_kq, Xs, y, pi: L.unit_grad_loss(
            W_ov, W_kq, ds_of(W_ov, Xs, y, pi), wrt=("ov",))["ov"],
        "unit_grad_loss_kq": lambda W_ov, W_kq, Xs, y, pi: L.unit_grad_loss(
            W_ov, W_kq, ds_of(W_ov, Xs, y, pi), wrt=("kq",))["kq"],
        "unit_grad_loss0": lambda W_ov, E, In: L.unit_grad_loss0(W_ov, _data(E, [], [], [], In)),
        "stage1_step": lambda W_ov, E, In, eta0: W_ov - eta0 * L.unit_grad_loss0(W_ov, _data(E, [], [], [], In)),
        "stage2_step": lambda W_ov, W_kq, Xs, y, pi, eta: W_kq - eta * L.unit_grad_loss(
            W_ov, W_kq, ds_of(W_ov, Xs, y, pi), wrt=("kq",))["kq"],
        "max_margin_ov": lambda E, In: mm.max_margin_ov(_data(E, [], [], [], In)).W,
        "max_margin_kq": lambda Xs, y, E, In: mm.max_margin_kq(_data(E, Xs, y, np.ones(len(y)), In)).W,
        "two_stage_ngd": _two_stage_literal,
    }


"""Conformance kit: golden cases with exact outputs, and a checker for other implementations.

Another implementation of the paper's model (PyTorch, JAX, ...) proves that it
matches the paper by passing :func:`check`. The cases come from
:func:`golden_cases` (or a file written by ``python -m reference golden``):
vocabularies with identity and random orthonormal embeddings ``E``, the
sentences of ``D_0`` (Example 1 and a random realizable dataset), weights at
scales 1, 10 and 1e3 (random, and aligned with ``W*`` so that the loss and the
gradients underflow), with the outputs computed by the training engine
(:mod:`reference.training.engine`, token coordinates; independent of the literal face).

Functions an implementation may provide (0-based token indices; float64 arrays;
``Xs`` is a list of ``d x L_n`` sentence matrices, ``y`` the ``(N,)`` next-token
indices, ``pi`` the ``(N,)`` frequencies, ``E`` the ``d x abs(V)`` embeddings,
``In`` the ``(abs(V),)`` collocation):

========================  ========================================  ===============  ========================
name                      call                                      returns          paper
========================  ========================================  ===============  ========================
``attention``             ``(W_kq, X)``                             ``(L,)``         ``phi(X^T W_kq x_L)``
``logits``                ``(W_ov, W_kq, X)``                       ``(abs(V),)``    ``Tbar(X)``
``transformer``           ``(W_ov, W_kq, X)``                       ``(abs(V),)``    ``T(X)``
``loss``, ``log_loss``    ``(W_ov, W_kq, Xs, y, pi)``               float            Eq. (1), its log
``loss0``, ``log_loss0``  ``(W_ov, E, In)``                         float            ``L_0``, its log
``grad_loss``             ``(W_ov, W_kq, Xs, y, pi)``               pair             ``grad_W_ov L``, Eq. (6)
``grad_loss0``            ``(W_ov, E, In)``                         ``(abs(V), d)``  Eq. (5)
``unit_grad_loss_ov``     ``(W_ov, W_kq, Xs, y, pi)``               ``(abs(V), d)``  ``grad_W_ov L / ||.||``
``unit_grad_loss_kq``     ``(W_ov, W_kq, Xs, y, pi)``               ``(d, d)``       stage-2 direction
``unit_grad_loss0``       ``(W_ov, E, In)``                         ``(abs(V), d)``  stage-1 direction
``stage1_step``           ``(W_ov, E, In, eta0)``                   ``(abs(V), d)``  one step of stage 1
``stage2_step``           ``(W_ov, W_kq, Xs, y, pi, eta)``          ``(d, d)``       one step of stage 2
``max_margin_ov``         ``(E, In)``                               ``(abs(V), d)``  ``W*_ov``, Eq. (2)
``max_margin_kq``         ``(Xs, y, E, In)``                        ``(d, d)``       ``W*_kq``, Eq. (3)
``two_stage_ngd``         ``(E, In, Xs, y, pi, eta0, eta, T, T1)``  pair             Algorithm 1 iterates
========================  ========================================  ===============  ========================

``grad_loss`` returns ``(grad_W_ov L, grad_W_kq L)`` (shapes ``(abs(V), d)``,
``(d, d)``); ``two_stage_ngd`` returns ``(W_ov^(0..T), W_kq^(0..T1))`` of shapes
``(T+1, abs(V), d)`` and ``(T1+1, d, d)``, from zero. :func:`library_impl` is
this library's literal face in that form. See ``docs/conformance.md``.

The kit in modules: :mod:`reference.conformance.golden` (the cases), :mod:`reference.conformance.golden_file`
(the versioned file and its schema), :mod:`reference.conformance.report` (tolerances,
verdicts, the report), :mod:`reference.conformance.literal_impl` (the literal face as an
implementation) and this module (which function is checked on what, and
:func:`check`); every public name is importable from :mod:`reference.conformance`.
"""

import math
import os
from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError
from .golden import golden_cases
from .golden_file import decode, load_cases, PER_SENTENCE, validate_cases
from .report import compare, Entry, Report, TOLERANCES

__all__ = ["FUNCTIONS", "check"]


def _per_sentence(f, c, D, *w):
    return [f(*[c[k] for k in w], X) for X in D["Xs"]]


#: function name -> (level, caller(f, case, data), expected outputs); level "case" runs on every
#: case (weights), "dataset" once per dataset
FUNCTIONS = {
    "attention": ("case", lambda f, c, D: _per_sentence(f, c, D, "W_kq"), ("attention",)),
    "logits": ("case", lambda f, c, D: _per_sentence(f, c, D, "W_ov", "W_kq"), ("logits",)),
    "transformer": ("case", lambda f, c, D: _per_sentence(f, c, D, "W_ov", "W_kq"), ("T",)),
    "loss": ("case", lambda f, c, D: f(c["W_ov"], c["W_kq"], D["Xs"], D["y"], D["pi"]), ("L",)),
    "log_loss": ("case", lambda f, c, D: f(c["W_ov"], c["W_kq"], D["Xs"], D["y"], D["pi"]), ("log_L",)),
    "loss0": ("case", lambda f, c, D: f(c["W_ov"], D["E"], D["In"]), ("L_0",)),
    "log_loss0": ("case", lambda f, c, D: f(c["W_ov"], D["E"], D["In"]), ("log_L_0",)),
    "grad_loss": ("case", lambda f, c, D: f(c["W_ov"], c["W_kq"], D["Xs"], D["y"], D["pi"]),
                  ("grad_W_ov_L", "grad_W_kq_L")),
    "grad_loss0": ("case", lambda f, c, D: f(c["W_ov"], D["E"], D["In"]), ("grad_W_ov_L0",)),
    "unit_grad_loss_ov": ("case", lambda f, c, D: f(c["W_ov"], c["W_kq"], D["Xs"], D["y"], D["pi"]),
                          ("unit_grad_W_ov_L",)),
    "unit_grad_loss_kq": ("case", lambda f, c, D: f(c["W_ov"], c["W_kq"], D["Xs"], D["y"], D["pi"]),
                          ("unit_grad_W_kq_L",)),
    "unit_grad_loss0": ("case", lambda f, c, D: f(c["W_ov"], D["E"], D["In"]), ("unit_grad_W_ov_L0",)),
    "stage1_step": ("case", lambda f, c, D: f(c["W_ov"], D["E"], D["In"], c["eta0"]), ("W_ov_next",)),
    "stage2_step": ("case", lambda f, c, D: f(c["W_ov"], c["W_kq"], D["Xs"], D["y"], D["pi"], c["eta"]),
                    ("W_kq_next",)),
    "max_margin_ov": ("dataset", lambda f, D: f(D["E"], D["In"]), ("W_ov_star",)),
    "max_margin_kq": ("dataset", lambda f, D: f(D["Xs"], D["y"], D["E"], D["In"]), ("W_kq_star",)),
    "two_stage_ngd": ("dataset", lambda f, D: f(D["E"], D["In"], D["Xs"], D["y"], D["pi"], D["eta0"],
                                                D["eta"], D["T"], D["T1"]), ("W_ov_iterates", "W_kq_iterates")),
}


def _resolver(impl):
    if isinstance(impl, Mapping):
        unknown = sorted(set(impl) - set(FUNCTIONS))
        if unknown:
            raise ConfigError(f"impl names unknown function(s) {', '.join(map(repr, unknown))}; "
                              f"known: {', '.join(FUNCTIONS)}")
        get = impl.get
    else:
        def get(name):
            return getattr(impl, name, None)
    out = {}
    for name in FUNCTIONS:
        f = get(name)
        if f is not None and not callable(f):
            raise ConfigError(f"impl provides {name!r} but it is not callable ({type(f).__name__})")
        out[name] = f
    return out


def _fresh(D):
    """Copies of a dataset's arrays for one call: an impl that writes into its inputs changes nothing else."""
    out = dict(D)
    out.update(E=D["E"].copy(), Xs=[X.copy() for X in D["Xs"]], y=D["y"].copy(), pi=D["pi"].copy(),
               In=D["In"].copy())
    return out


def check(impl, cases=None, *, functions=None):
    """Run an implementation's functions on every golden case and compare with the exact outputs.

    Parameters
    ----------
    impl : mapping or object
        Plain callables on NumPy arrays named as in :data:`FUNCTIONS` (module docstring:
        signatures and shapes), as a dict or as attributes of an object (a module).
        Missing functions are reported as skipped.
    cases : dict, str or os.PathLike, optional
        Golden cases (:func:`golden_cases`) or a file of them; default: generated in memory
        with ``rng=np.random.default_rng(0)``.
    functions : iterable of str, optional
        Check only these (the others the implementation provides are listed as not selected).

    Returns
    -------
    Report
        One :class:`Entry` per provided function, output and case (for the functions run once
        per dataset: per dataset), with the maximum absolute and relative errors and the
        tolerance of :data:`TOLERANCES`; every function of :data:`FUNCTIONS` is either
        checked on every case, or listed as skipped or not selected.

    Raises
    ------
    ConfigError
        Unknown function names, a non-callable entry, an unreadable or wrong-version case file,
        a missing field or a value that is not a number (naming the dataset or case).

    Notes
    -----
    Serves Section 3 (the model), Eq. (1), (5), (6) (losses and gradients), Algorithm 1
    (normalised steps and iterates) and Eq. (2), (3) (max-margin solutions). An exception
    raised by ``impl`` is an "error" entry, not an exception of ``check``.
    """
    if cases is None:
        cases = golden_cases(rng=np.random.default_rng(0))
        where = "cases"
    elif isinstance(cases, (str, os.PathLike)):
        where = os.fspath(cases)
        cases = load_cases(cases)
    else:
        where = "cases"
        validate_cases(cases, where)
    fns = _resolver(impl)
    deselected = []
    if functions is not None:
        functions = [functions] if isinstance(functions, str) else list(functions)
        bad = [f for f in functions if f not in FUNCTIONS]
        if bad:
            raise ConfigError(f"unknown function(s) {bad}; known: {', '.join(FUNCTIONS)}")
        deselected = [k for k, v in fns.items() if v is not None and k not in functions]
        fns = {k: (v if k in functions else None) for k, v in fns.items()}
    data, weights, expected = _decoded(cases, where)
    entries, skipped = [], []
    for name, (level, call, outs) in FUNCTIONS.items():
        f = fns[name]
        if f is None:
            if name not in deselected:
                skipped.append(name)
            continue
        if level == "case":
            runs = [(c["name"], data[c["dataset"]], expected["case", c["name"]],
                     lambda D, c=c: call(f, weights[c["name"]], _fresh(D))) for c in cases["cases"]]
        else:
            runs = [(D["name"], data[D["name"]], expected["dataset", D["name"]], lambda D: call(f, _fresh(D)))
                    for D in cases["datasets"]]
        for case_name, D, want, run in runs:
            try:
                got = run(D)
                if len(outs) > 1 and (not isinstance(got, (tuple, list)) or len(got) != len(outs)):
                    raise TypeError(f"expected a pair {tuple(outs)}, got {type(got).__name__}")
            except Exception as e:              # noqa: BLE001 - report whatever the impl raises, as an entry
                for out in outs:
                    a, r = TOLERANCES[out]
                    entries.append(Entry(name, out, case_name, "error", math.inf, math.inf, a, r,
                                         message=f"{type(e).__name__}: {e}"))
                continue
            got = got if len(outs) > 1 else (got,)
            for out, g in zip(outs, got):
                entries.append(compare(name, out, case_name, g, want[out], D["tokens"], D["sentences"]))
    return Report(entries, skipped, deselected)


def _decoded(cases, where):
    """Every array of the (validated) cases as float64, once: (datasets, case weights, expected outputs).

    Raises
    ------
    ConfigError
        A value that is not a number or a ragged matrix, naming the dataset or case and the field.
    """
    outs = {o for _, _, os_ in FUNCTIONS.values() for o in os_}
    data, weights, expected = {}, {}, {}

    def num(x, what, field):
        try:
            return decode(x)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{where}: {what}, field {field!r}: not a number or a matrix of numbers ({e})") \
                from None

    for D in cases["datasets"]:
        what = f"dataset {D['name']!r}"
        E = num(D["E"], what, "E")
        try:
            idx = [np.asarray(s, dtype=np.intp) for s in D["sentences"]]
            Xs = [E[:, s] for s in idx]
            y, In = np.asarray(D["y"], dtype=np.intp), np.asarray(D["In"], dtype=np.intp)
            steps = dict(eta0=float(D["eta0"]), eta=float(D["eta"]), T=int(D["T"]), T1=int(D["T1"]))
        except (TypeError, ValueError, IndexError) as e:
            raise ConfigError(f"{where}: {what}: sentences, y, In, eta0, eta, T or T1 malformed ({e})") from None
        data[D["name"]] = dict(E=E, Xs=Xs, y=y, pi=num(D["pi"], what, "pi"), In=In, **steps,
                               tokens=D["tokens"], sentences=D["sentences"])
        expected["dataset", D["name"]] = {k: num(D[k], what, k)
                                          for k in ("W_ov_star", "W_kq_star", "W_ov_iterates", "W_kq_iterates")}
    for c in cases["cases"]:
        what = f"case {c['name']!r}"
        weights[c["name"]] = {k: num(c[k], what, k) for k in ("W_ov", "W_kq", "eta0", "eta")}
        ex = c["expected"]
        expected["case", c["name"]] = {
            k: [num(w, what, k) for w in ex[k]] if k in PER_SENTENCE else num(ex[k], what, k)
            for k in ex if k in outs}
    return data, weights, expected

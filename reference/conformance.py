"""Conformance kit: golden cases with exact outputs, and a checker for other implementations.

Another implementation of the paper's model (PyTorch, JAX, ...) proves that it
matches the paper by passing :func:`check`. The cases come from
:func:`golden_cases` (or a file written by ``python -m reference golden``):
vocabularies with identity and random orthonormal embeddings ``E``, the
sentences of ``D_0`` (Example 1 and a random realizable dataset), weights at
scales 1, 10 and 1e3 (random, and aligned with ``W*`` so that the loss and the
gradients underflow), with the outputs computed by the training engine
(:mod:`reference.engine`, token coordinates; independent of the literal face).

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
"""

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from .errors import ConfigError
from .golden import (FORMAT, SCALES, VERSION, _check_format, _decode, _jsonable, golden_cases,  # noqa: F401
                     library_impl, load_cases, write_cases)

__all__ = ["FORMAT", "VERSION", "SCALES", "FUNCTIONS", "TOLERANCES", "Entry", "Report", "check", "library_impl",
           "golden_cases", "write_cases", "load_cases"]

#: Forward values (attention, logits, T, losses): a correct float64 implementation errs by
#: ~eps * |logit| <= 1e-12 at the largest scale (logits ~1e3, any summation order); 1e-9
#: relative leaves a factor 1000 and still sees a 0.1% bug by a factor 1e6.
FORWARD_RTOL = 1e-9
#: Absolute floor: a quantity computed as a difference of logits ~1e3 (log-sum-exp minus the
#: correct logit) carries absolute rounding ~1e-12; entries that underflow compare as ~0.
FORWARD_ATOL = 1e-10
#: Gradients, unit directions and steps: same reasoning (entries O(1) times O(scale) weights).
GRAD_RTOL, GRAD_ATOL = 1e-9, 1e-10
#: W* of Eq. (2)/(3): entries are O(1) rationals; an exact (active-set) or tightly converged QP
#: solver reaches 1e-9, a default interior-point solver about 1e-8: 1e-7 accepts both.
STAR_ATOL, STAR_RTOL = 1e-7, 0.0
#: Iterates of Algorithm 1: each step moves exactly eta; T <= 10 steps accumulate ~10x the
#: rounding of one direction, far below 1e-9 relative.
ITERATE_RTOL, ITERATE_ATOL = 1e-9, 1e-10

#: expected output -> (atol, rtol)
TOLERANCES = {
    **{k: (FORWARD_ATOL, FORWARD_RTOL) for k in ("attention", "logits", "T", "L", "log_L", "L_0", "log_L_0")},
    **{k: (GRAD_ATOL, GRAD_RTOL) for k in ("grad_W_ov_L", "grad_W_kq_L", "grad_W_ov_L0", "unit_grad_W_ov_L",
                                            "unit_grad_W_kq_L", "unit_grad_W_ov_L0", "W_ov_next", "W_kq_next")},
    "W_ov_star": (STAR_ATOL, STAR_RTOL), "W_kq_star": (STAR_ATOL, STAR_RTOL),
    "W_ov_iterates": (ITERATE_ATOL, ITERATE_RTOL), "W_kq_iterates": (ITERATE_ATOL, ITERATE_RTOL),
}


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


# ---------------------------------------------------------------------- the checker
#: expected outputs given per sentence (vectors of different lengths)
_PER_SENTENCE = ("attention", "logits", "T")


@dataclass(frozen=True)
class Entry:
    """The verdict on one output of one function on one case.

    ``status`` is "pass" (``max_abs <= atol + rtol * scale`` with ``scale = max|expected|``),
    "fail" (a wrong value, a wrong shape or a NaN/inf where a finite value is expected) or
    "error" (the function raised). ``max_rel = max_abs / scale``; ``where`` names the worst entry.
    The output is one of Section 3 (attention, ``Tbar``, ``T``), Eq. (1)-(3), (5), (6) or
    Algorithm 1 (see :data:`FUNCTIONS`).
    """

    function: str
    output: str
    case: str
    status: str
    max_abs: float
    max_rel: float
    atol: float
    rtol: float
    scale: float = 0.0
    where: str = ""
    message: str = ""

    @property
    def ok(self):
        return self.status == "pass"

    @property
    def ratio(self):
        """``max_abs / (atol + rtol * scale)``: at most 1 exactly when the entry passes on its values."""
        return self.max_abs / (self.atol + self.rtol * self.scale)


class Report:
    """What :func:`check` found: one :class:`Entry` per function, output and case; skipped functions.

    Serves the definitions of Sections 3-5 (model, Eq. 1-3, 5, 6, Algorithm 1) as another
    implementation computes them.

    Attributes
    ----------
    entries : tuple of Entry
    skipped : tuple of str
        Functions of :data:`FUNCTIONS` the implementation does not provide (not checked).
    ok : bool
        True when at least one function was checked and every entry passed.
    """

    def __init__(self, entries, skipped):
        self.entries, self.skipped = tuple(entries), tuple(skipped)

    @property
    def ok(self):
        return bool(self.entries) and all(e.ok for e in self.entries)

    def failures(self):
        """The entries that did not pass."""
        return [e for e in self.entries if not e.ok]

    def functions(self):
        """``{function: (n_passed, n_entries, worst error/tolerance ratio)}`` over the checked functions."""
        out = {}
        for e in self.entries:
            p, n, w = out.get(e.function, (0, 0, 0.0))
            out[e.function] = (p + e.ok, n + 1, max(w, e.ratio))
        return out

    def summary(self, failures=8):
        """A plain-text table: one line per function, then the first ``failures`` failing entries.

        The column "worst err/tol" is the largest ``max_abs / (atol + rtol * scale)``: <= 1 passes.
        """
        lines = [f"{'function':<20} {'passed':>9}  {'worst err/tol':>13}  verdict"]
        for f, (p, n, w) in self.functions().items():
            lines.append(f"{f:<20} {p:>4}/{n:<4}  {w:>13.2e}  {'ok' if p == n else 'FAIL'}")
        if self.skipped:
            lines.append("skipped (not provided): " + ", ".join(self.skipped))
        bad = self.failures()
        for e in bad[:failures]:
            lines.append(f"  {e.status.upper()} {e.function}[{e.output}] on {e.case}: {e.message}")
        if len(bad) > failures:
            lines.append(f"  ... and {len(bad) - failures} more failing entries")
        lines.append("conformance: " + ("PASS" if self.ok else "FAIL") +
                     f" ({sum(e.ok for e in self.entries)}/{len(self.entries)} entries, "
                     f"{len(self.skipped)} functions skipped)")
        return "\n".join(lines)

    __str__ = summary

    def to_dict(self):
        """JSON-ready: ``{"ok", "skipped", "entries": [{field: value}, ...]}``."""
        return _jsonable({"ok": self.ok, "skipped": list(self.skipped),
                          "entries": [asdict(e) for e in self.entries]})


def _where(output, k, tokens, sentences):
    """The worst entry in words: sentence, position or token for per-sentence outputs; else the index."""
    if output in _PER_SENTENCE:
        n, l = int(k[0]), int(k[1])
        text = " ".join(tokens[i] for i in sentences[n])
        return f"sentence {n} {text!r}, " + (f"position {l}" if output == "attention" else f"token {tokens[l]!r}")
    if output.endswith("_iterates"):
        return f"t={int(k[0])}, entry {[int(i) for i in k[1:]]}"
    return f"entry {[int(i) for i in k]}" if len(k) else "value"


def _compare(function, output, case, got, want, tokens, sentences):
    atol, rtol = TOLERANCES[output]
    top = 0.0

    def mk(status, a, r, where="", msg=""):
        return Entry(function, output, case, status, a, r, atol, rtol, top, where, msg)
    per = output in _PER_SENTENCE
    try:
        got = [np.asarray(g) for g in got] if per else np.asarray(got)
    except Exception as e:                      # noqa: BLE001 - anything the impl returns
        return mk("fail", math.inf, math.inf, msg=f"cannot read the result as an array ({e})")
    gs, ws = (got, want) if per else ([got], [want])
    if len(gs) != len(ws):
        return mk("fail", math.inf, math.inf, msg=f"{len(gs)} results for {len(ws)} sentences")
    worst, worst_at = -1.0, None
    for n, (g, w) in enumerate(zip(gs, ws)):
        w = np.asarray(w, dtype=np.float64)
        if g.dtype.kind not in "iuf":
            return mk("fail", math.inf, math.inf, msg=f"returned dtype {g.dtype} (real numbers expected)")
        if g.shape != w.shape:
            at = f" for sentence {n}" if per else ""
            return mk("fail", math.inf, math.inf, msg=f"returned shape {g.shape}{at}, expected {w.shape}")
        g = g.astype(np.float64)
        both = (g == w) | (np.isnan(g) & np.isnan(w))          # equal infinities count as exact
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.where(both, 0.0, np.abs(g - w))
        err = np.where(np.isnan(err), np.inf, err)
        if err.size and err.max() > worst:
            k = np.unravel_index(int(np.argmax(err)), err.shape)
            worst, worst_at = float(err[k]), ((n,) + k if per else k, g[k], w[k])
        finite = w[np.isfinite(w)]
        top = max(top, float(np.max(np.abs(finite))) if finite.size else 0.0)
    if worst_at is None:
        return mk("pass", 0.0, 0.0)
    k, gk, wk = worst_at
    where = _where(output, k, tokens, sentences)
    rel = worst / top if top > 0 else (0.0 if worst == 0 else math.inf)
    if worst <= atol + rtol * top:
        return mk("pass", worst, rel, where)
    return mk("fail", worst, rel, where, f"at {where}: got {float(gk)!r}, expected {float(wk)!r}")


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
        Check only these.

    Returns
    -------
    Report
        One :class:`Entry` per function, output and case (or dataset), with the maximum absolute
        and relative errors and the tolerance of :data:`TOLERANCES`.

    Raises
    ------
    ConfigError
        Unknown function names, a non-callable entry, an unreadable or wrong-version case file.

    Notes
    -----
    Serves Section 3 (the model), Eq. (1), (5), (6) (losses and gradients), Algorithm 1
    (normalised steps and iterates) and Eq. (2), (3) (max-margin solutions). An exception
    raised by ``impl`` is an "error" entry, not an exception of ``check``.
    """
    if cases is None:
        cases = golden_cases(rng=np.random.default_rng(0))
    elif isinstance(cases, (str, os.PathLike)):
        cases = load_cases(cases)
    else:
        _check_format(cases, "cases")
    fns = _resolver(impl)
    if functions is not None:
        functions = list(functions)
        bad = [f for f in functions if f not in FUNCTIONS]
        if bad:
            raise ConfigError(f"unknown function(s) {bad}; known: {', '.join(FUNCTIONS)}")
        fns = {k: (v if k in functions else None) for k, v in fns.items()}
    data = {}
    for D in cases["datasets"]:
        E = _decode(D["E"])
        data[D["name"]] = dict(E=E, Xs=[E[:, np.asarray(s, dtype=np.intp)] for s in D["sentences"]],
                               y=np.asarray(D["y"], dtype=np.intp), pi=_decode(D["pi"]),
                               In=np.asarray(D["In"], dtype=np.intp), eta0=float(D["eta0"]),
                               eta=float(D["eta"]), T=int(D["T"]), T1=int(D["T1"]), raw=D)
    entries, skipped = [], []
    for name, (level, call, outs) in FUNCTIONS.items():
        f = fns[name]
        if f is None:
            skipped.append(name)
            continue
        if level == "case":
            runs = [(c["name"], data[c["dataset"]], c["expected"],
                     lambda D, c=c: call(f, {"W_ov": _decode(c["W_ov"]), "W_kq": _decode(c["W_kq"]),
                                            "eta0": float(c["eta0"]), "eta": float(c["eta"])}, _fresh(D)))
                    for c in cases["cases"]]
        else:
            runs = [(D["name"], data[D["name"]], D, lambda D: call(f, _fresh(D))) for D in cases["datasets"]]
        for case_name, D, expected, run in runs:
            try:
                got = run(D)
                if len(outs) > 1 and (not isinstance(got, (tuple, list)) or len(got) != len(outs)):
                    raise TypeError(f"expected a pair {tuple(outs)}, got {type(got).__name__}")
            except Exception as e:              # noqa: BLE001 - report whatever the impl raises
                for out in outs:
                    a, r = TOLERANCES[out]
                    entries.append(Entry(name, out, case_name, "error", math.inf, math.inf, a, r,
                                         message=f"{type(e).__name__}: {e}"))
                continue
            got = got if len(outs) > 1 else (got,)
            for out, g in zip(outs, got):
                want = expected[out]
                want = [_decode(w) for w in want] if out in _PER_SENTENCE else _decode(want)
                entries.append(_compare(name, out, case_name, g, want, D["raw"]["tokens"],
                                        D["raw"]["sentences"]))
    return Report(entries, skipped)

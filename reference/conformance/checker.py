"""Conformance kit: golden cases with exact outputs, and a checker for other implementations.

Another implementation of the paper's model (PyTorch, JAX, ...) proves that it
matches the paper by passing :func:`check`. The cases come from
:func:`golden_cases` (or a file written by ``python -m reference golden``);
see :mod:`reference.conformance.golden_data` for the datasets and what each is
there to catch.

Functions an implementation may provide (0-based token indices; float64 arrays;
``Xs`` is a list of ``d x L_n`` sentence matrices, ``y`` the ``(N,)`` next-token
indices, ``pi`` the ``(N,)`` frequencies, ``E`` the ``d x abs(V)`` embeddings,
``In`` the ``(abs(V),)`` collocation; the batched forms take ``X`` of shape
``(N, d, L_max)``, sentence ``n`` in its first ``lengths[n]`` columns, the rest
padding):

=======================  ==============================================  ==================  =====================
name                     call                                            returns             paper
=======================  ==============================================  ==================  =====================
``attention``            ``(W_kq, X)``                                   ``(L,)``            ``phi(X^T W_kq x_L)``
``logits``               ``(W_ov, W_kq, X)``                             ``(abs(V),)``       ``Tbar(X)``
``transformer``          ``(W_ov, W_kq, X)``                             ``(abs(V),)``       ``T(X)``
``loss``, ``log_loss``   ``(W_ov, W_kq, Xs, y, pi)``                     float               Eq. (1), its log
``loss0``, ``log_loss0`` ``(W_ov, E, In)``                               float               ``L_0``, its log
``grad_loss``            ``(W_ov, W_kq, Xs, y, pi)``                     pair                ``grad_W_ov L``, Eq. 6
``grad_loss0``           ``(W_ov, E, In)``                               ``(abs(V), d)``     Eq. (5)
``unit_grad_loss_ov``    ``(W_ov, W_kq, Xs, y, pi)``                     ``(abs(V), d)``     ``grad_W_ov L/||.||``
``unit_grad_loss_kq``    ``(W_ov, W_kq, Xs, y, pi)``                     ``(d, d)``          stage-2 direction
``unit_grad_loss0``      ``(W_ov, E, In)``                               ``(abs(V), d)``     stage-1 direction
``stage1_step``          ``(W_ov, E, In, eta0)``                         ``(abs(V), d)``     one step of stage 1
``stage2_step``          ``(W_ov, W_kq, Xs, y, pi, eta)``                ``(d, d)``          one step of stage 2
``max_margin_ov``        ``(E, In)``                                     ``(abs(V), d)``     ``W*_ov``, Eq. (2)
``max_margin_kq``        ``(Xs, y, E, In)``                              ``(d, d)``          ``W*_kq``, Eq. (3)
``two_stage_ngd``        ``(E, In, Xs, y, pi, eta0, eta, T, T1)``        pair                Algorithm 1
``attention_batch``      ``(W_kq, X, lengths)``                          ``(N, L_max)``      batched ``attention``
``logits_batch``         ``(W_ov, W_kq, X, lengths)``                    ``(N, abs(V))``     batched ``logits``
``transformer_batch``    ``(W_ov, W_kq, X, lengths)``                    ``(N, abs(V))``     batched ``transformer``
``loss_batch``           ``(W_ov, W_kq, X, lengths, y, pi)``             float               batched ``loss``
``grad_loss_batch``      ``(W_ov, W_kq, X, lengths, y, pi)``             pair                batched ``grad_loss``
=======================  ==============================================  ==================  =====================

``grad_loss`` returns ``(grad_W_ov L, grad_W_kq L)``; ``two_stage_ngd`` returns
``(W_ov^(0..T), W_kq^(0..T1))`` of shapes ``(T+1, abs(V), d)`` and
``(T1+1, d, d)``, from zero. :func:`library_impl` is this library's literal
face in that form. See ``docs/conformance.md``.
"""

import fnmatch
import functools
import math
import os
import traceback
import warnings
from dataclasses import replace
from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError
from .golden_file import PER_SENTENCE, read_cases_file
from .hints import hint
from .report import compare, Entry, RAW_GRADIENTS, TOLERANCES
from .schema import parse_cases, REGIMES
from .summary import Report

__all__ = ["FUNCTIONS", "check", "default_cases"]

_DATA = ("W_ov", "W_kq", "Xs", "y", "pi")
_BATCH = ("W_ov", "W_kq", "X_pad", "lengths", "y", "pi")
#: function name -> (level, argument names, expected outputs). Level "case" runs on every case
#: (weights), "run" on every run of Algorithm 1, "dataset" once per dataset; an argument "X" means
#: one call per sentence.
FUNCTIONS = {
    "attention": ("case", ("W_kq", "X"), ("attention",)),
    "logits": ("case", ("W_ov", "W_kq", "X"), ("logits",)),
    "transformer": ("case", ("W_ov", "W_kq", "X"), ("T",)),
    "loss": ("case", _DATA, ("L",)),
    "log_loss": ("case", _DATA, ("log_L",)),
    "loss0": ("case", ("W_ov", "E", "In"), ("L_0",)),
    "log_loss0": ("case", ("W_ov", "E", "In"), ("log_L_0",)),
    "grad_loss": ("case", _DATA, ("grad_W_ov_L", "grad_W_kq_L")),
    "grad_loss0": ("case", ("W_ov", "E", "In"), ("grad_W_ov_L0",)),
    "unit_grad_loss_ov": ("case", _DATA, ("unit_grad_W_ov_L",)),
    "unit_grad_loss_kq": ("case", _DATA, ("unit_grad_W_kq_L",)),
    "unit_grad_loss0": ("case", ("W_ov", "E", "In"), ("unit_grad_W_ov_L0",)),
    "stage1_step": ("case", ("W_ov", "E", "In", "eta0"), ("W_ov_next",)),
    "stage2_step": ("case", _DATA + ("eta",), ("W_kq_next",)),
    "max_margin_ov": ("dataset", ("E", "In"), ("W_ov_star",)),
    "max_margin_kq": ("dataset", ("Xs", "y", "E", "In"), ("W_kq_star",)),
    "two_stage_ngd": ("run", ("E", "In", "Xs", "y", "pi", "eta0", "eta", "T", "T1"),
                      ("W_ov_iterates", "W_kq_iterates")),
    "attention_batch": ("case", ("W_kq", "X_pad", "lengths"), ("attention",)),
    "logits_batch": ("case", ("W_ov", "W_kq", "X_pad", "lengths"), ("logits",)),
    "transformer_batch": ("case", ("W_ov", "W_kq", "X_pad", "lengths"), ("T",)),
    "loss_batch": ("case", _BATCH, ("L",)),
    "grad_loss_batch": ("case", _BATCH, ("grad_W_ov_L", "grad_W_kq_L")),
}
#: Padding of the batched X: finite, non-zero and unlike any embedding, so an unmasked position shows.
PAD_VALUE = 0.75


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


@functools.lru_cache(maxsize=1)
def _default_parsed():
    from .golden import golden_cases
    cases = golden_cases(rng=np.random.default_rng(0))
    return cases, parse_cases(cases, "golden cases (seed 0)")


def default_cases():
    """The golden cases generated in memory with seed 0 (what :func:`check` uses by default; cached).

    Returns
    -------
    dict
        As :func:`reference.conformance.golden_cases` returns it (do not modify it in place).
    """
    return _default_parsed()[0]


def _inputs(D, item, pad=PAD_VALUE):
    """Fresh copies of one call's arguments: an impl that writes into its inputs changes nothing else."""
    out = {"E": D["E"].copy(), "Xs": [X.copy() for X in D["Xs"]], "y": D["y"].copy(), "pi": D["pi"].copy(),
           "In": D["In"].copy()}
    if item is not None:
        out.update({k: (item[k].copy() if isinstance(item[k], np.ndarray) else item[k])
                    for k in ("W_ov", "W_kq", "eta0", "eta", "T", "T1") if k in item})
    lengths = np.array([s.size for s in D["sentences"]], dtype=np.intp)
    X = np.full((D["N"], D["d"], D["L_max"]), pad)
    for n, Xn in enumerate(D["Xs"]):
        X[n, :, :Xn.shape[1]] = Xn
    out.update(X_pad=X, lengths=lengths)
    return out


def _call(f, args, inputs, n_outs):
    """Run ``f`` on ``inputs``: one call, or one per sentence when ``args`` has ``X``."""
    if "X" in args:
        return [f(*[X if a == "X" else inputs[a] for a in args]) for X in inputs["Xs"]]
    got = f(*[inputs[a] for a in args])
    if n_outs > 1 and (not isinstance(got, (tuple, list)) or len(got) != n_outs):
        raise TypeError(f"expected a tuple of {n_outs} results, got {type(got).__name__}")
    return got


def _unbatch(output, got, D):
    """A batched per-sentence result ``(N, ...)`` as the list of per-sentence vectors."""
    if output not in PER_SENTENCE:
        return got
    g = np.asarray(got)
    width = D["L_max"] if output == "attention" else D["V"]
    if g.shape != (D["N"], width):
        raise ValueError(f"returned shape {g.shape}, expected {(D['N'], width)}")
    return [g[n, :s.size] if output == "attention" else g[n] for n, s in enumerate(D["sentences"])]


def _column(item, level):
    if level == "dataset":
        return "W*"
    if level == "run":
        return "run " + item["name"].rsplit("/", 1)[-1]
    return f"{item['family']}/{item['scale']:g}"


def _selected(sel, item, level):
    if sel is None:
        return True
    if sel in REGIMES:
        return (item.get("regime", "ordinary") if level != "dataset" else "ordinary") == sel
    name = item["name"] + ("/" if level == "dataset" else "")     # "weighted/*" selects its W* too
    return any(fnmatch.fnmatchcase(item["name"], p) or fnmatch.fnmatchcase(name, p) for p in sel)


def _selector(cases):
    if cases is None or cases == "all":
        return None
    if isinstance(cases, str):
        return cases if cases in REGIMES else (cases,)
    if isinstance(cases, (Mapping, os.PathLike)):
        raise ConfigError("cases= selects cases ('ordinary', 'saturated', 'all' or names such as "
                          "'example1/*'); pass the golden cases or their file as golden=")
    try:
        sel = tuple(cases)
    except TypeError:
        raise ConfigError(f"cases= must be 'ordinary', 'saturated', 'all' or case names, got {cases!r}") from None
    if not all(isinstance(p, str) for p in sel):
        raise ConfigError(f"cases= must be case names or patterns (strings), got {cases!r}")
    return sel


def _probes(f, name, args, outs, D, item, level, want, tol):
    """Re-runs with changed inputs that point at a bug: pi made uniform, W_kq or W_ov transposed."""
    found = []

    def rerun(**change):
        inputs = _inputs(D, item)
        inputs.update(change)
        try:
            return _call(f, args, inputs, len(outs))
        except BaseException as e:              # noqa: BLE001 - a probe that fails tells nothing
            if isinstance(e, KeyboardInterrupt):
                raise
            return None

    def agrees(a, b):
        try:
            a, b = (a, b) if len(outs) > 1 else ((a,), (b,))
            for x, z in zip(a, b):
                if isinstance(z, list):
                    if len(x) != len(z) or any(np.shape(u) != np.shape(v) or np.max(np.abs(np.asarray(u) - v))
                                               > tol for u, v in zip(x, z)):
                        return False
                elif np.shape(x) != np.shape(z) or not np.all(np.abs(np.asarray(x, dtype=np.float64) - z) <= tol):
                    return False
            return True
        except (TypeError, ValueError):
            return False
    if "pi" in args and np.ptp(D["pi"]) > 0:
        base, flat = rerun(), rerun(pi=np.full(D["N"], 1.0 / D["N"]))
        if base is not None and flat is not None and agrees(base, flat):
            found.append("the result does not change when pi changes: pi ignored? Eq. (1) weights "
                         "sentence n by pi_n (its frequency), not by 1/N")
    if level == "case" and "W_kq" in args:
        got = rerun(W_kq=item["W_kq"].T.copy())
        if got is not None and agrees(got, want):
            found.append("the result matches when W_kq is transposed: the score of position l is "
                         "x_l^T W_kq x_L (key on the left, query on the right, Section 3)")
    if level == "case" and "W_kq" in args:
        got = rerun(W_kq=item["W_kq"] * np.sqrt(D["d"]))
        if got is not None and agrees(got, want):
            found.append(f"the result matches when W_kq is multiplied by sqrt(d) = sqrt({D['d']}): scores divided by "
                         "sqrt(d)? The paper's attention has no 1/sqrt(d) scaling (Section 3)")
    if level == "case" and "W_ov" in args and D["V"] == D["d"]:
        got = rerun(W_ov=item["W_ov"].T.copy())
        if got is not None and agrees(got, want):
            found.append("the result matches when W_ov is transposed: W_ov is |V| x d, rows are vocabulary logits")
    if level == "case" and "Xs" in args or "X_pad" in args:
        keep = [n for n, s in enumerate(D["sentences"]) if not _mixed(s)]
        if 0 < len(keep) < D["N"]:
            from .literal_impl import library_impl
            sub = _subset(D, keep)

            def run(g):
                got = _call(g, args, _inputs(sub, item), len(outs))
                return _unbatch(outs[0], got, sub) if name.endswith("_batch") and len(outs) == 1 else got
            mine = run(library_impl()[name])
            try:
                theirs = run(f)
            except BaseException as e:          # noqa: BLE001 - a probe that fails tells nothing
                if isinstance(e, KeyboardInterrupt):
                    raise
                theirs = None
            if theirs is not None and agrees(theirs, mine):
                found.append("the result agrees once the sentences that repeat a token beside other tokens "
                             f"(such as {' '.join(D['tokens'][i] for i in D['sentences'][_first_mixed(D)])!r}) are "
                             "left out: token multiplicities dropped? Each position has its own attention "
                             "weight, so a token at k positions counts k times")
    if "X_pad" in args:
        base, other = rerun(), rerun(X_pad=_inputs(D, item, pad=-2.5)["X_pad"])
        if base is not None and other is not None and not agrees(base, other):
            found.append("the result changes with the values in the padding: positions past lengths[n] "
                         "leak into the output (mask them out of the softmax and the sums)")
    return found


def _mixed(s):
    k = len(set(s.tolist()))
    return 1 < k < s.size


def _first_mixed(D):
    return next(n for n, s in enumerate(D["sentences"]) if _mixed(s))


def _subset(D, keep):
    """The dataset restricted to the sentences ``keep`` (``pi`` renormalised)."""
    sub = dict(D)
    pi = D["pi"][keep]
    sub.update(sentences=[D["sentences"][n] for n in keep], Xs=[D["Xs"][n] for n in keep], y=D["y"][keep],
               counts=D["counts"][keep], pi=pi / pi.sum(), N=len(keep),
               L_max=max(D["sentences"][n].size for n in keep))
    return sub


def _failure(e):
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return f"{type(e).__name__}: {e}", tb


def check(impl, golden=None, *, cases=None, functions=None):
    """Run an implementation's functions on every golden case and compare with the exact outputs.

    Parameters
    ----------
    impl : mapping or object
        Plain callables on NumPy arrays named as in :data:`FUNCTIONS` (module docstring:
        signatures and shapes), as a dict or as attributes of an object (a module).
        Missing functions are reported as skipped.
    golden : dict, str or os.PathLike, optional
        Golden cases (:func:`golden_cases`) or a file of them; default: generated in memory
        with ``rng=np.random.default_rng(0)`` (:func:`default_cases`).
    cases : str or iterable of str, optional
        Which cases to check: ``"ordinary"``, ``"saturated"``, ``"all"`` (default), or names and
        shell patterns of cases, runs and datasets (``"example1/*"``, ``"*/scale=1000"``).
    functions : iterable of str, optional
        Check only these (the others the implementation provides are listed as not selected).

    Returns
    -------
    Report
        One :class:`Entry` per provided function, output and selected case (run, dataset), with
        the errors, the tolerance of :data:`TOLERANCES`, the regime and, for a failure, a hint.

    Raises
    ------
    ConfigError
        Unknown function names, a non-callable entry, a bad selection, an unreadable or
        malformed case file (the field named).

    Notes
    -----
    Serves Section 3 (the model), Eq. (1), (5), (6) (losses and gradients), Algorithm 1
    (normalised steps and iterates) and Eq. (2), (3) (max-margin solutions). Anything the
    implementation raises (``SystemExit`` included; not ``KeyboardInterrupt``) is an "error"
    entry with its traceback, never an exception of ``check``.
    """
    if golden is None:
        raw, parsed = _default_parsed()
        source = "generated in memory (seed 0)"
    else:
        if isinstance(golden, (str, os.PathLike)):
            source = os.fspath(golden)
            raw = read_cases_file(golden)
        elif isinstance(golden, Mapping):
            source, raw = "cases given in memory", golden
        else:
            raise ConfigError(f"golden must be golden cases (a dict) or a file path, got {type(golden).__name__}")
        parsed = parse_cases(raw, source)
    fns = _resolver(impl)
    sel = _selector(cases)
    deselected = []
    if functions is not None:
        functions = [functions] if isinstance(functions, str) else list(functions)
        bad = [f for f in functions if f not in FUNCTIONS]
        if bad:
            raise ConfigError(f"unknown function(s) {bad}; known: {', '.join(FUNCTIONS)}")
        deselected = [k for k, v in fns.items() if v is not None and k not in functions]
        fns = {k: (v if k in functions else None) for k, v in fns.items()}
    data = parsed["datasets"]
    levels = {"case": parsed["cases"], "run": parsed["runs"], "dataset": list(data.values())}
    if sel is not None and not isinstance(sel, str):
        names = [i["name"] for lv in levels.values() for i in lv]
        unmatched = [p for p in sel if not any(fnmatch.fnmatchcase(n, p) or fnmatch.fnmatchcase(n + "/", p)
                                               for n in names)]
        if unmatched:
            raise ConfigError(f"cases= {unmatched[0]!r} matches no case, run or dataset; names look like "
                              f"{parsed['cases'][0]['name']!r}, {names[-1]!r}")
    entries, skipped = [], []
    for name, (level, args, outs) in FUNCTIONS.items():
        f = fns[name]
        if f is None:
            if name not in deselected:
                skipped.append(name)
            continue
        probed = {}
        for item in levels[level]:
            if not _selected(sel, item, level):
                continue
            entries += _check_one(f, name, level, args, outs, data[item["dataset"] if level != "dataset"
                                                                   else item["name"]], item, probed)
    entries = _saturation_notes(entries, {i["name"]: i for lv in levels.values() for i in lv})
    meta = [{k: c[k] for k in ("name", "dataset", "family", "scale", "regime", "about")} for c in parsed["cases"]]
    meta += [{"name": r["name"], "dataset": r["dataset"], "family": "run", "scale": None, "regime": r["regime"],
              "about": r["about"]} for r in parsed["runs"]]
    meta += [{"name": D["name"], "dataset": D["name"], "family": "dataset", "scale": None, "regime": "ordinary",
              "about": D["about"] + "; catches: " + D["catches"]} for D in data.values()]
    golden_info = {"source": source, "seed": parsed["seed"], "checksum": parsed["checksum"],
                   "format": raw["format"], "version": raw["version"],
                   "selection": "all" if sel is None else sel if isinstance(sel, str) else list(sel)}
    return Report(entries, skipped, deselected, golden=golden_info, cases=meta)


def _saturation_notes(entries, items):
    """Lead each saturated failure of an output that passes every ordinary entry with why it is saturated."""
    ok_ord, has_ord = {}, {}
    for e in entries:
        if e.regime == "ordinary":
            key = (e.function, e.output)
            ok_ord[key] = ok_ord.get(key, True) and e.ok
            has_ord[key] = True
    out = []
    for e in entries:
        key = (e.function, e.output)
        if not e.ok and e.regime == "saturated" and has_ord.get(key) and ok_ord[key]:
            it = items.get(e.case, {})
            if "log_1mp" in it:
                why = ("a loss or gradient underflows float64" if it["underflow"] else
                       f"1 - p is {'exactly 0 in float64' if it['log_1mp'] == -math.inf else 'about e^%.0f' % it['log_1mp']}")
            else:
                sat = it.get("saturated", (None, None))
                why = "the run saturates (" + ", ".join(f"stage {k + 1} from t = {t}" for k, t in enumerate(sat)
                                                        if t is not None) + ")"
            note = (f"passes every ordinary case and fails here, where {why}: not saturation-safe (form 1 - p "
                    "from the other probabilities, scale gradients in log space: docs/derivations.md)")
            e = replace(e, hint=note + ("; " + e.hint if e.hint else ""))
        out.append(e)
    return out


def _check_one(f, name, level, args, outs, D, item, probed):
    """The entries of one function on one case, run or dataset (hints for the failing ones)."""
    it = item if level != "dataset" else None
    info = dict(regime=item.get("regime", "ordinary") if level != "dataset" else "ordinary",
                dataset=D["name"], column=_column(item, level))
    want = {o: (item["expected"][o] if level == "case" else item[o]) for o in outs}
    try:
        got = _call(f, args, _inputs(D, it), len(outs))
        got = got if len(outs) > 1 else (got,)
        if name.endswith("_batch"):
            got = tuple(_unbatch(o, g, D) for o, g in zip(outs, got))
    except KeyboardInterrupt:
        raise
    except BaseException as e:              # noqa: BLE001 - whatever the impl raises (sys.exit too) is its failure
        msg, tb = _failure(e)
        out = []
        for o in outs:
            a, r = TOLERANCES[o]
            entry = Entry(name, o, item["name"], "error", np.inf, np.inf, a, r, message=msg, traceback=tb, **info)
            out.append(_with_hint(entry, None, want[o], D, item, level, name, f, args, outs, probed, None))
        return out
    out = []
    for o, g in zip(outs, got):
        scale = None
        if o in RAW_GRADIENTS:
            scale = float(np.exp(item["expected"][RAW_GRADIENTS[o]]))
        out.append(compare(name, o, item["name"], g, want[o], D["tokens"], D["sentences"], scale=scale, **info))
    pair = None
    if len(outs) == 2:
        pair = (out[0].ok, out[1].ok)
    return [_with_hint(e, g, want[e.output], D, item, level, name, f, args, outs, probed, pair) if not e.ok else e
            for e, g in zip(out, got)]


def _with_hint(entry, got, want, D, item, level, name, f, args, outs, probed, pair):
    tol = entry.atol + entry.rtol * entry.scale
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if entry.status != "error" and D["name"] not in probed:
            all_want = tuple(item["expected"][o] if level == "case" else item[o] for o in outs)
            probed[D["name"]] = _probes(f, name, args, outs, D, item, level,
                                        all_want if len(outs) > 1 else all_want[0], tol)
        ctx = {"D": D, "item": item if level != "dataset" else {"expected": {}}, "tol": tol,
               "batched": name.endswith("_batch"), "pair": pair, "probes": probed.get(D["name"], ())}
        try:
            text = hint(entry, got, want, ctx)
        except Exception as e:              # noqa: BLE001 - a hint must never hide the verdict
            text = f"(no hint: {type(e).__name__} while reading the result)"
    return replace(entry, hint=text)

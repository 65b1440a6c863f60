"""The checker: run another implementation on every golden case and report each output, with hints.

Another implementation of the paper's model (PyTorch, JAX, ...) proves that it
matches the paper by passing :func:`check`. The cases come from
:func:`reference.conformance.golden_cases` (or a file written by ``python -m
reference golden``); :mod:`reference.conformance.golden_data` says what each
dataset and run is there to catch, :mod:`reference.conformance.signatures`
lists the functions an implementation may provide with their signatures and
shapes. Every entry carries its regime (ordinary or saturated), and every
failing one a hint (:mod:`reference.conformance.hints`, from the numbers, and
:mod:`reference.conformance.probes`, from re-runs with changed inputs).
:func:`reference.conformance.library_impl` is this library's literal face in
that form. See ``docs/conformance.md``.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import os
import traceback
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import ConfigError
from .golden_file import read_cases_file
from .hints import hint
from .probes import probe
from .report import compare, Entry, RAW_GRADIENTS, TOLERANCES
from .schema import parse_cases, REGIMES
from .signatures import call, FUNCTIONS, inputs, resolve, unbatch
from .summary import Report

__all__ = ["FUNCTIONS", "check", "default_cases"]


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


def _failure(e):
    tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    return f"{type(e).__name__}: {e}", tb


def check(impl: Mapping[str, Any] | object, golden: Mapping[str, Any] | str | os.PathLike[str] | None = None, *,
          cases: str | Iterable[str] | None = None, functions: str | Iterable[str] | None = None) -> Report:
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
    fns = resolve(impl)
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
        probed: dict[Any, Any] = {}
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
        got = call(f, args, inputs(D, it), len(outs))
        got = got if len(outs) > 1 else (got,)
        if name.endswith("_batch"):
            got = tuple(unbatch(o, g, D) for o, g in zip(outs, got))
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
            probed[D["name"]] = probe(f, name, args, outs, D, item, level,
                                        all_want if len(outs) > 1 else all_want[0], tol)
        ctx = {"D": D, "item": item if level != "dataset" else {"expected": {}}, "tol": tol,
               "batched": name.endswith("_batch"), "pair": pair, "probes": probed.get(D["name"], ())}
        try:
            text = hint(entry, got, want, ctx)
        except Exception as e:              # noqa: BLE001 - a hint must never hide the verdict
            text = f"(no hint: {type(e).__name__} while reading the result)"
    return replace(entry, hint=text)

"""The schema of the golden-case file, checked field by field: type, range and shape, the culprit named.

:func:`parse_cases` walks a golden-case dict (as :func:`json.load` returns it)
exactly along the schema of :mod:`reference.conformance.golden_file`, so no
value is used before its type and shape are known: a token index of -1, a
``"version": true``, a negative ``pi`` or ``T``, a ragged matrix or a string
where a number belongs is a :class:`reference.errors.ConfigError` naming the
dataset, run or case and the field, never a traceback and never a failure
blamed on the implementation under test. The checksum is compared last, so a
damaged field is named before the file is called changed.
"""

import math

import numpy as np

from ..errors import ConfigError
from .golden_file import (CASE_FIELDS, checksum, DATASET_FIELDS, EXPECTED_FIELDS, FORMAT, PER_SENTENCE,
                          RUN_FIELDS, TOP_FIELDS, VERSION)

__all__ = ["validate_cases", "parse_cases", "REGIMES", "FAMILIES"]

REGIMES = ("ordinary", "saturated")
FAMILIES = ("random", "aligned")
#: Embeddings must be orthonormal (Assumption 2) to this accuracy: written by repr, they are to ~1e-15.
ORTHONORMAL_TOL = 1e-9
#: pi must equal counts / sum(counts) to this relative accuracy (float64 division, written by repr).
PI_TOL = 1e-12
#: Bounds that keep a malformed file from asking for absurd work (the default file is far inside them).
MAX_TOKENS, MAX_D, MAX_STEPS, MAX_LEN, MAX_COUNT = 10_000, 10_000, 1_000_000, 10_000, 10**15
#: Output fields that may hold the string "-inf" (the log of an exact 0).
MAY_BE_MINUS_INF = ("log_norm_grad_W_ov_L", "log_norm_grad_W_kq_L", "log_norm_grad_W_ov_L0")


class _Where:
    def __init__(self, text):
        self.text = text

    def err(self, msg):
        return ConfigError(f"{self.text}: {msg}")

    def field(self, name):
        return _Where(f"{self.text}, field {name!r}")


def _obj(x, fields, w):
    if not isinstance(x, dict):
        raise w.err(f"is a {_kind(x)}, not an object")
    gone = [k for k in fields if k not in x]
    if gone:
        raise w.err(f"lacks the field(s) {', '.join(gone)}")
    extra = [k for k in x if k not in fields]
    if extra:
        raise w.err(f"has unknown field(s) {', '.join(map(repr, extra[:5]))} (not in format version {VERSION})")


def _kind(x):
    return {dict: "object", list: "list", str: "string", bool: "boolean", type(None): "null"}.get(
        type(x), "number" if isinstance(x, (int, float)) else type(x).__name__)


def _str(x, w, nonempty=False):
    if not isinstance(x, str) or (nonempty and not x):
        raise w.err(f"must be a {'non-empty ' if nonempty else ''}string, got {_kind(x)} {_short(x)}")
    return x


def _short(x):
    r = repr(x)
    return r if len(r) <= 40 else r[:37] + "..."


def _int(x, w, lo, hi=None):
    if isinstance(x, bool) or not isinstance(x, int) or x < lo or (hi is not None and x > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise w.err(f"must be an integer {rng}, got {_kind(x)} {_short(x)}")
    return x


def _num(x, w, lo=None, hi=None, minus_inf=False, strict_lo=False):
    """A finite float (JSON number; ``"-inf"`` only where allowed) within ``[lo, hi]`` (``(lo, hi]``)."""
    if minus_inf and x == "-inf":
        return -math.inf
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise w.err(f"must be a number, got {_kind(x)} {_short(x)}")
    try:
        v = float(x)
    except OverflowError:
        raise w.err(f"the number {str(x)[:20]}... is outside the float64 range") from None
    if not math.isfinite(v):
        raise w.err(f"must be a finite number, got {_short(x)}")
    if lo is not None and (v < lo or (strict_lo and v == lo)):
        raise w.err(f"must be {'>' if strict_lo else '>='} {lo:g}, got {v!r}")
    if hi is not None and v > hi:
        raise w.err(f"must be <= {hi:g}, got {v!r}")
    return v


def _array(x, shape, w, lo=None, hi=None, what="number"):
    """A nested list of exactly ``shape`` holding finite numbers in ``[lo, hi]``, as float64."""
    def walk(v, dims, path):
        if not dims:
            return _num(v, w if not path else _Where(f"{w.text}, entry {path}"), lo, hi)
        if not isinstance(v, list):
            raise w.err(f"{'entry ' + str(path) + ' ' if path else ''}must be a list of {dims[0]} "
                        f"{'lists' if len(dims) > 1 else what + 's'}, got {_kind(v)}")
        if len(v) != dims[0]:
            raise w.err(f"{'entry ' + str(path) + ' ' if path else ''}has {len(v)} entries, expected {dims[0]} "
                        f"(shape {tuple(shape)})")
        return [walk(u, dims[1:], path + [i]) for i, u in enumerate(v)]
    return np.array(walk(x, list(shape), []), dtype=np.float64).reshape(shape)


def _index_list(x, n, V, w, what="token index"):
    if not isinstance(x, list) or (n is not None and len(x) != n):
        raise w.err(f"must be a list of {n if n is not None else 'some'} {what}es, got "
                    f"{_kind(x) if not isinstance(x, list) else str(len(x)) + ' entries'}")
    return np.array([_int(v, _Where(f"{w.text}, entry {i}"), 0, V - 1) for i, v in enumerate(x)], dtype=np.intp)


def _dataset(D, w):
    _obj(D, DATASET_FIELDS, w)
    name = _str(D["name"], w.field("name"), nonempty=True)
    w = _Where(f"{w.text.rsplit(':', 1)[0]}: dataset {name!r}")
    _str(D["about"], w.field("about"))
    _str(D["catches"], w.field("catches"))
    if not isinstance(D["prefix_closed"], bool):
        raise w.field("prefix_closed").err(f"must be true or false, got {_short(D['prefix_closed'])}")
    tok = D["tokens"]
    if not isinstance(tok, list) or not 1 <= len(tok) <= MAX_TOKENS:
        raise w.field("tokens").err(f"must be a list of 1 to {MAX_TOKENS} token names")
    for i, t in enumerate(tok):
        _str(t, _Where(f"{w.text}, field 'tokens', entry {i}"), nonempty=True)
    if len(set(tok)) != len(tok):
        raise w.field("tokens").err("names a token twice")
    V = len(tok)
    E = D["E"]
    d = len(E) if isinstance(E, list) else 0
    if not V <= d <= MAX_D:
        raise w.field("E").err(f"must have d rows with {V} <= d <= {MAX_D} (abs(V) = {V}), got {d}")
    E = _array(E, (d, V), w.field("E"))
    if np.max(np.abs(E.T @ E - np.eye(V))) > ORTHONORMAL_TOL:
        raise w.field("E").err("columns are not orthonormal (Assumption 2)")
    sents = D["sentences"]
    if not isinstance(sents, list) or not sents:
        raise w.field("sentences").err("must be a non-empty list of sentences")
    S = []
    for n, s in enumerate(sents):
        ws = _Where(f"{w.text}, field 'sentences', sentence {n}")
        if not isinstance(s, list) or not 1 <= len(s) <= MAX_LEN:
            raise ws.err(f"must be a list of 1 to {MAX_LEN} token indices")
        S.append(_index_list(s, None, V, ws))
    N = len(S)
    if len({tuple(s) for s in S}) != N:
        raise w.field("sentences").err("holds a sentence twice (they are the distinct sentences of D_0)")
    closed = {tuple(s) for s in S}
    if D["prefix_closed"] != all(tuple(s[:k]) in closed for s in S for k in range(1, len(s))):
        raise w.field("prefix_closed").err(f"says {D['prefix_closed']} but the sentences say otherwise")
    y = _index_list(D["y"], N, V, w.field("y"))
    counts = D["counts"]
    if not isinstance(counts, list) or len(counts) != N:
        raise w.field("counts").err(f"must be a list of {N} counts")
    counts = np.array([_int(c, _Where(f"{w.text}, field 'counts', entry {i}"), 1, MAX_COUNT)
                       for i, c in enumerate(counts)], dtype=np.float64)
    pi = _array(D["pi"], (N,), w.field("pi"), 0.0, 1.0)
    if np.max(np.abs(pi - counts / counts.sum())) > PI_TOL * np.max(pi):
        raise w.field("pi").err("is not counts / sum(counts)")
    In = _index_list(D["In"], V, V, w.field("In"))
    if len(set(In.tolist())) != V:
        raise w.field("In").err("is not a permutation of the tokens (the collocation is one, Section 4.1)")
    return {"name": name, "about": D["about"], "catches": D["catches"], "prefix_closed": D["prefix_closed"],
            "tokens": list(tok), "E": E, "sentences": S, "Xs": [E[:, s] for s in S], "y": y,
            "counts": counts.astype(np.int64), "pi": pi, "In": In, "V": V, "d": d, "N": N,
            "L_max": max(len(s) for s in S),
            "W_ov_star": _array(D["W_ov_star"], (V, d), w.field("W_ov_star")),
            "W_kq_star": _array(D["W_kq_star"], (d, d), w.field("W_kq_star"))}


def _named(x, fields, w, data, seen, kind):
    _obj(x, fields, w)
    name = _str(x["name"], w.field("name"), nonempty=True)
    if name in seen:
        raise w.err(f"two {kind}s are named {name!r}")
    seen.add(name)
    w = _Where(f"{w.text.rsplit(':', 1)[0]}: {kind} {name!r}")
    ds = _str(x["dataset"], w.field("dataset"))
    if ds not in data:
        raise w.err(f"names dataset {ds!r}, which is not in the file")
    if x["regime"] not in REGIMES:
        raise w.field("regime").err(f"must be one of {', '.join(REGIMES)}, got {_short(x['regime'])}")
    return name, w, data[ds]


def _run(R, w, data, seen):
    name, w, D = _named(R, RUN_FIELDS, w, data, seen, "run")
    _str(R["about"], w.field("about"))
    T, T1 = _int(R["T"], w.field("T"), 0, MAX_STEPS), _int(R["T1"], w.field("T1"), 0, MAX_STEPS)
    sat = []
    for k, n in (("saturated_stage1", T), ("saturated_stage2", T1)):
        sat.append(None if R[k] is None else _int(R[k], w.field(k), 1, max(n, 1)))
    if (R["regime"] == "ordinary") != (sat == [None, None]):
        raise w.field("regime").err(f"{R['regime']!r} disagrees with saturated_stage1/2 = {sat}")
    V, d = D["V"], D["d"]
    return {"name": name, "dataset": D["name"], "about": R["about"], "regime": R["regime"],
            "eta0": _num(R["eta0"], w.field("eta0"), 0.0, strict_lo=True),
            "eta": _num(R["eta"], w.field("eta"), 0.0, strict_lo=True), "T": T, "T1": T1,
            "saturated": tuple(sat),
            "W_ov_iterates": _array(R["W_ov_iterates"], (T + 1, V, d), w.field("W_ov_iterates")),
            "W_kq_iterates": _array(R["W_kq_iterates"], (T1 + 1, d, d), w.field("W_kq_iterates"))}


def _case(c, w, data, seen):
    name, w, D = _named(c, CASE_FIELDS, w, data, seen, "case")
    if c["family"] not in FAMILIES:
        raise w.field("family").err(f"must be one of {', '.join(FAMILIES)}, got {_short(c['family'])}")
    _str(c["about"], w.field("about"))
    if not isinstance(c["underflow"], bool):
        raise w.field("underflow").err(f"must be true or false, got {_short(c['underflow'])}")
    V, d, N = D["V"], D["d"], D["N"]
    out = {"name": name, "dataset": D["name"], "family": c["family"], "regime": c["regime"], "about": c["about"],
           "scale": _num(c["scale"], w.field("scale"), 0.0, strict_lo=True),
           "log_1mp": _num(c["log_1mp"], w.field("log_1mp"), hi=0.0, minus_inf=True),
           "underflow": c["underflow"],
           "W_ov": _array(c["W_ov"], (V, d), w.field("W_ov")), "W_kq": _array(c["W_kq"], (d, d), w.field("W_kq")),
           "eta0": _num(c["eta0"], w.field("eta0"), 0.0, strict_lo=True),
           "eta": _num(c["eta"], w.field("eta"), 0.0, strict_lo=True)}
    ex, we = c["expected"], _Where(f"{w.text}, expected")
    _obj(ex, EXPECTED_FIELDS, we)
    got = {}
    for k in PER_SENTENCE:
        v = ex[k]
        if not isinstance(v, list) or len(v) != N:
            raise we.field(k).err(f"has {len(v) if isinstance(v, list) else 'no'} vectors for {N} sentences")
        lo, hi = (0.0, 1.0) if k != "logits" else (None, None)
        got[k] = [_array(u, (len(D["sentences"][n]) if k == "attention" else V,), we.field(f"{k}[{n}]"), lo, hi)
                  for n, u in enumerate(v)]
    for k in ("L", "L_0"):
        got[k] = _num(ex[k], we.field(k), 0.0)
    for k in ("log_L", "log_L_0") + MAY_BE_MINUS_INF:
        got[k] = _num(ex[k], we.field(k), minus_inf=k in MAY_BE_MINUS_INF)
    shapes = {"grad_W_ov_L": (V, d), "grad_W_kq_L": (d, d), "grad_W_ov_L0": (V, d), "unit_grad_W_ov_L": (V, d),
              "unit_grad_W_kq_L": (d, d), "unit_grad_W_ov_L0": (V, d), "W_ov_next": (V, d), "W_kq_next": (d, d)}
    for k, shp in shapes.items():
        got[k] = _array(ex[k], shp, we.field(k))
    out["expected"] = got
    return out


def parse_cases(cases, where="cases"):
    """Check golden cases against the schema and return them decoded (float64 arrays, index arrays).

    Parameters
    ----------
    cases : dict
        Golden cases as JSON values (from :func:`reference.conformance.load_cases` or
        :func:`reference.conformance.golden_cases`).
    where : str
        What to call them in a message (a file name).

    Returns
    -------
    dict
        ``{"seed", "checksum", "datasets": {name: {...}}, "runs": [...], "cases": [...]}`` with every
        array decoded; each dataset also holds its sentence matrices ``Xs``.

    Raises
    ------
    ConfigError
        Another format or version; a missing, unknown or repeated field; a value of the wrong type,
        range or shape (naming the dataset, run or case and the field); a case or run naming a
        dataset that is not in the file; a checksum that does not match the content.
    """
    if not isinstance(cases, dict) or cases.get("format") != FORMAT:
        raise ConfigError(f"{where}: not a golden-case file (format {FORMAT!r} expected)")
    v = cases.get("version")
    if isinstance(v, bool) or not isinstance(v, int) or v != VERSION:
        raise ConfigError(f"{where}: golden-case format version {_short(v)}; this library reads version "
                          f"{VERSION} (regenerate with python -m reference golden --out FILE)")
    w = _Where(where)
    _obj(cases, TOP_FIELDS, w)
    _str(cases["paper"], w.field("paper"))
    seed = cases["seed"]
    if seed is not None:
        _int(seed, w.field("seed"), 0)
    conv = cases["conventions"]
    if not isinstance(conv, dict) or not all(isinstance(x, str) for x in conv.values()):
        raise w.field("conventions").err("must be an object of strings")
    tol = cases["tolerances"]
    if not isinstance(tol, dict):
        raise w.field("tolerances").err("must be an object {output: {atol, rtol}}")
    for k, t in tol.items():
        wt = _Where(f"{where}, field 'tolerances', entry {k!r}")
        _obj(t, ("atol", "rtol"), wt)
        _num(t["atol"], wt.field("atol"), 0.0), _num(t["rtol"], wt.field("rtol"), 0.0)
    data = {}
    for key in ("datasets", "runs", "cases"):
        if not isinstance(cases[key], list) or (key != "runs" and not cases[key]):
            raise w.field(key).err(f"must be a {'non-empty ' if key != 'runs' else ''}list")
    for k, D in enumerate(cases["datasets"]):
        D = _dataset(D, _Where(f"{where}: dataset {k}"))
        if D["name"] in data:
            raise ConfigError(f"{where}: two datasets are named {D['name']!r}")
        data[D["name"]] = D
    seen_r, seen_c = set(), set()
    runs = [_run(R, _Where(f"{where}: run {k}"), data, seen_r) for k, R in enumerate(cases["runs"])]
    out_cases = [_case(c, _Where(f"{where}: case {k}"), data, seen_c) for k, c in enumerate(cases["cases"])]
    _str(cases["checksum"], w.field("checksum"))
    if cases["checksum"] != checksum(cases):
        raise ConfigError(f"{where}: the checksum does not match the content: the file was changed or damaged "
                          "after it was written (regenerate it with python -m reference golden --out FILE)")
    return {"seed": seed, "checksum": cases["checksum"], "datasets": data, "runs": runs, "cases": out_cases}


def validate_cases(cases, where="cases"):
    """Check golden cases against the schema (every field's type, range and shape); see :func:`parse_cases`.

    Raises
    ------
    ConfigError
        As :func:`parse_cases`, naming the field at fault.
    """
    parse_cases(cases, where)

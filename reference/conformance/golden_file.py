"""The golden-case file: a versioned, strict-JSON format with a fixed schema, written and read exactly.

``python -m reference golden --out cases.json`` writes it; other
implementations read it (any JSON reader will do) and
:func:`reference.conformance.check` runs them on it. Every float is written by
``repr`` (round-trip exact); JSON has no NaN or infinity, so the rare
non-finite value is the string ``"inf"``, ``"-inf"`` or ``"nan"``.

The schema is the tuples below, field by field in ``docs/conformance.md``
(``tests/test_conformance.py`` holds the two equal). :func:`load_cases` and
:func:`validate_cases` refuse another format, another :data:`VERSION`, a
missing field or a case whose dataset does not exist, naming the culprit,
rather than failing later inside the checker.
"""

import json
import math
import os

import numpy as np

from ..errors import ConfigError

__all__ = ["FORMAT", "VERSION", "TOP_FIELDS", "DATASET_FIELDS", "CASE_FIELDS", "EXPECTED_FIELDS",
           "PER_SENTENCE", "write_cases", "load_cases", "validate_cases"]

FORMAT = "reference.conformance.golden"
#: Bumped whenever a field changes meaning; :func:`load_cases` refuses other versions.
VERSION = 1
#: Fields of the file itself.
TOP_FIELDS = ("format", "version", "paper", "conventions", "tolerances", "datasets", "cases")
#: Fields of each entry of ``datasets``: ``D_0``, its max-margin solutions, Algorithm 1's first iterates.
DATASET_FIELDS = ("name", "about", "tokens", "E", "sentences", "y", "counts", "pi", "In", "W_ov_star",
                  "W_kq_star", "eta0", "eta", "T", "T1", "W_ov_iterates", "W_kq_iterates")
#: Fields of each entry of ``cases``: weights of one dataset at one scale, and the outputs there.
CASE_FIELDS = ("name", "dataset", "family", "scale", "underflow", "W_ov", "W_kq", "eta0", "eta", "expected")
#: Fields of ``expected``: every output at the case's weights.
EXPECTED_FIELDS = ("attention", "logits", "T", "L", "log_L", "L_0", "log_L_0", "grad_W_ov_L", "grad_W_kq_L",
                   "grad_W_ov_L0", "log_norm_grad_W_ov_L", "log_norm_grad_W_kq_L", "log_norm_grad_W_ov_L0",
                   "unit_grad_W_ov_L", "unit_grad_W_kq_L", "unit_grad_W_ov_L0", "W_ov_next", "W_kq_next")
#: Expected outputs given per sentence (vectors of different lengths, one per sentence of ``D_0``).
PER_SENTENCE = ("attention", "logits", "T")


def jsonable(x):
    """``x`` with arrays as nested lists and non-finite floats as the strings 'inf', '-inf', 'nan'."""
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else repr(float(x))
    return x


def decode(x):
    """A JSON value as float64: nested lists to an array, the strings 'inf', '-inf', 'nan' to floats.

    Raises
    ------
    ValueError
        A string that is not a float, or ragged nested lists (callers name the field).
    """
    if isinstance(x, str):
        return float(x)
    if isinstance(x, list):
        return np.array([decode(v) for v in x], dtype=np.float64)
    return float(x)


def write_cases(path, cases):
    """Write golden cases as strict JSON, floats by ``repr`` (round-trip exact; Section 3 to Algorithm 1 outputs).

    Parameters
    ----------
    path : str or os.PathLike
    cases : dict
        From :func:`reference.conformance.golden.golden_cases` (numpy arrays are converted; non-finite
        floats become strings).

    Raises
    ------
    ConfigError
        ``cases`` is not a valid golden-case dict (:func:`validate_cases`).
    OSError
        The file cannot be written.
    """
    cases = jsonable(cases)
    validate_cases(cases, "cases to write")
    with open(os.fspath(path), "w", encoding="utf-8") as f:
        json.dump(cases, f, allow_nan=False, separators=(",", ":"))
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
        Missing file, not JSON, another format or :data:`VERSION`, a missing field
        (:func:`validate_cases`).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: no such golden-case file")
    try:
        with open(path, encoding="utf-8") as f:
            cases = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not a JSON file ({e})") from None
    validate_cases(cases, path)
    return cases


def _missing(obj, fields, what):
    if not isinstance(obj, dict):
        raise ConfigError(f"{what} is a {type(obj).__name__}, not an object")
    gone = [k for k in fields if k not in obj]
    if gone:
        raise ConfigError(f"{what} lacks the field(s) {', '.join(gone)}")


def validate_cases(cases, where="cases"):
    """Check the format, the version and the schema of golden cases (every field of the tables above).

    Parameters
    ----------
    cases : dict
        Golden cases as JSON values (from :func:`load_cases` or ``golden_cases``).
    where : str
        What to call them in a message (a file name).

    Raises
    ------
    ConfigError
        Another format or version; a missing field (naming the dataset or case); a case
        naming a dataset that is not in the file; two datasets or cases with one name; a
        per-sentence output with another number of vectors than the dataset has sentences.
    """
    if not isinstance(cases, dict) or cases.get("format") != FORMAT:
        raise ConfigError(f"{where}: not a golden-case file (format {FORMAT!r} expected)")
    if cases.get("version") != VERSION:
        raise ConfigError(f"{where}: golden-case format version {cases.get('version')!r}; this library "
                          f"reads version {VERSION} (regenerate with python -m reference golden)")
    _missing(cases, TOP_FIELDS, where)
    n_sent = {}
    for k, D in enumerate(cases["datasets"]):
        _missing(D, DATASET_FIELDS, f"{where}: dataset {k}")
        if D["name"] in n_sent:
            raise ConfigError(f"{where}: two datasets are named {D['name']!r}")
        n_sent[D["name"]] = len(D["sentences"])
    seen = set()
    for k, c in enumerate(cases["cases"]):
        _missing(c, CASE_FIELDS, f"{where}: case {k}")
        name = c["name"]
        if name in seen:
            raise ConfigError(f"{where}: two cases are named {name!r}")
        seen.add(name)
        if c["dataset"] not in n_sent:
            raise ConfigError(f"{where}: case {name!r} names dataset {c['dataset']!r}, which is not in the file")
        _missing(c["expected"], EXPECTED_FIELDS, f"{where}: case {name!r}, expected")
        for out in PER_SENTENCE:
            if len(c["expected"][out]) != n_sent[c["dataset"]]:
                raise ConfigError(f"{where}: case {name!r}: {out} has {len(c['expected'][out])} vectors for "
                                  f"{n_sent[c['dataset']]} sentences")

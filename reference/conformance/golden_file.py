"""The golden-case file: a versioned, strict-JSON format with a fixed schema, written and read exactly.

``python -m reference golden --out cases.json`` writes it; other
implementations read it (any JSON reader will do) and
:func:`reference.conformance.check` runs them on it. Every float is written by
``repr`` (round-trip exact); JSON has no NaN or infinity, so the rare
non-finite value is the string ``"-inf"`` (a log-norm of an exactly zero
gradient, a ``log_1mp`` of a probability that is exactly 1).

The schema is the tuples below, field by field in ``docs/conformance.md``
(the test suite holds the two equal); :mod:`reference.conformance.schema`
checks every field's type, range and shape and names the one at fault, and
:mod:`reference.conformance.golden_io` writes and loads files. The
file ends with a ``checksum`` of its content, so a file changed after it was
written (a flipped digit, a cut-off end) is refused as corrupt rather than
blamed on the implementation under test.
"""

import hashlib
import json
import math
import os

import numpy as np

from ..errors import ConfigError

__all__ = ["FORMAT", "VERSION", "TOP_FIELDS", "DATASET_FIELDS", "RUN_FIELDS", "CASE_FIELDS", "EXPECTED_FIELDS",
           "PER_SENTENCE", "MAX_FILE_BYTES", "checksum", "seal", "read_json", "read_cases_file"]

FORMAT = "reference.conformance.golden"
#: Bumped whenever a field changes meaning; :func:`load_cases` refuses other versions.
VERSION = 2
#: Fields of the file itself.
TOP_FIELDS = ("format", "version", "paper", "seed", "conventions", "tolerances", "datasets", "runs", "cases",
              "checksum")
#: Fields of each entry of ``datasets``: ``D_0`` and its max-margin solutions.
DATASET_FIELDS = ("name", "about", "catches", "prefix_closed", "tokens", "E", "sentences", "y", "counts", "pi",
                  "In", "W_ov_star", "W_kq_star")
#: Fields of each entry of ``runs``: Algorithm 1 from zero on one dataset.
RUN_FIELDS = ("name", "dataset", "about", "regime", "eta0", "eta", "T", "T1", "saturated_stage1",
              "saturated_stage2", "W_ov_iterates", "W_kq_iterates")
#: Fields of each entry of ``cases``: weights of one dataset at one scale, and the outputs there.
CASE_FIELDS = ("name", "dataset", "family", "scale", "regime", "about", "log_1mp", "underflow", "W_ov", "W_kq",
               "eta0", "eta", "expected")
#: Fields of ``expected``: every output at the case's weights.
EXPECTED_FIELDS = ("attention", "logits", "T", "L", "log_L", "L_0", "log_L_0", "grad_W_ov_L", "grad_W_kq_L",
                   "grad_W_ov_L0", "log_norm_grad_W_ov_L", "log_norm_grad_W_kq_L", "log_norm_grad_W_ov_L0",
                   "unit_grad_W_ov_L", "unit_grad_W_kq_L", "unit_grad_W_ov_L0", "W_ov_next", "W_kq_next")
#: Expected outputs given per sentence (vectors of different lengths, one per sentence of ``D_0``).
PER_SENTENCE = ("attention", "logits", "T")
#: Larger files are refused before reading (the default file is well under 1 MB).
MAX_FILE_BYTES = 64 * 2**20


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


def checksum(cases):
    """``"sha256:<hex>"`` of the canonical JSON of ``cases`` without its ``checksum`` field (keys sorted)."""
    body = {k: v for k, v in cases.items() if k != "checksum"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False, ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def seal(cases):
    """``cases`` with its ``checksum`` field (re)computed, last; returns the same dict."""
    cases.pop("checksum", None)
    cases["checksum"] = checksum(cases)
    return cases


class _Refused(Exception):
    pass


def _no_constant(name):
    raise _Refused(f"{name} is not a JSON number (non-finite values are written as strings)")


def _finite_float(text):
    x = float(text)
    if not math.isfinite(x):
        raise _Refused(f"the number {text[:30]} is outside the float64 range")
    return x


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _Refused(f"the field {k!r} is given twice in one object")
        out[k] = v
    return out


def read_json(text, where):
    """Strict JSON: no NaN/Infinity literals, no number outside float64, no repeated field, bounded nesting.

    Raises
    ------
    ConfigError
        Naming ``where`` and what is wrong.
    """
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite_float,
                          object_pairs_hook=_no_duplicates)
    except _Refused as e:
        raise ConfigError(f"{where}: not a golden-case file: {e}") from None
    except RecursionError:
        raise ConfigError(f"{where}: not a golden-case file: nested too deeply to be one") from None
    except ValueError as e:                   # JSONDecodeError, or an integer with too many digits
        raise ConfigError(f"{where}: not a JSON file ({e})") from None


def read_cases_file(path):
    """The JSON value of a golden-case file, read strictly (:func:`read_json`) but not yet validated.

    Raises
    ------
    ConfigError
        Missing or oversized file, not strict JSON.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ConfigError(f"{path}: no such golden-case file")
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise ConfigError(f"{path}: {size} bytes, more than a golden-case file can have ({MAX_FILE_BYTES})")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not a JSON file ({e})") from None
    return read_json(text, path)

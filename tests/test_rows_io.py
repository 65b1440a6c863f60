"""The JSON and CSV text of the audit's row tables (reference/audit/rows_io.py)."""

import csv
import io
import json
import math

import numpy as np
import pytest

from reference.audit.rows_io import emit, rows_csv, rows_json
from reference.errors import ConfigError


def test_json_maps_non_finite_and_numpy_scalars():
    rows = [{"a": math.nan, "b": math.inf, "c": -math.inf, "d": np.float64(0.1), "e": np.int64(3), "f": [1, 2]}]
    back = json.loads(rows_json(rows))
    assert back == [{"a": None, "b": "inf", "c": "-inf", "d": 0.1, "e": 3, "f": [1, 2]}]


def test_csv_floats_round_trip_and_lists_and_counts_join():
    x = 0.1 + 0.2                                       # not 0.3: repr keeps every bit
    text = rows_csv([{"x": x, "runs": ["a", "b"], "cond": {"A1": 3, "ZI": 0}, "name": "P1"}],
                    ["x", "runs", "cond", "name"])
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert float(row["x"]) == x
    assert row["runs"] == "a;b" and row["cond"] == "A1=3;ZI=0" and row["name"] == "P1"


def test_emit_returns_text_or_writes_whole(tmp_path):
    assert emit("abc", None) == "abc"
    p = tmp_path / "t.csv"
    assert emit("x\ny\n", p, newline="") == p and p.read_text() == "x\ny\n"
    link = tmp_path / "link.csv"
    link.symlink_to(p)
    with pytest.raises(ConfigError, match="symbolic link"):
        emit("z", link)
    assert p.read_text() == "x\ny\n"

"""Testing another implementation against this one: golden cases, their file, the checker, hints.

:func:`check` runs an implementation's functions on every golden case and
reports each output against a stated tolerance, the ordinary and the saturated
regime apart, with a hint for every failure; the library's own literal face
(:func:`library_impl`) passes it, as two independent computations agreeing.
:func:`assert_conforms` and :mod:`reference.conformance.pytest_plugin` run it
from a test suite.
"""

from .checker import check, default_cases, FUNCTIONS
from .golden import golden_cases, SATURATION, SCALES
from .golden_data import DATASETS, RUNS
from .golden_file import (
                     CASE_FIELDS,
                     DATASET_FIELDS,
                     EXPECTED_FIELDS,
                     FORMAT,
                     PER_SENTENCE,
                     RUN_FIELDS,
                     seal,
                     TOP_FIELDS,
                     VERSION,
)
from .golden_io import load_cases, write_cases
from .literal_impl import library_impl
from .report import (
                     compare,
                     DIRECTION_ATOL,
                     DIRECTION_RTOL,
                     Entry,
                     FORWARD_ATOL,
                     FORWARD_RTOL,
                     GRAD_ATOL,
                     GRAD_RTOL,
                     ITERATE_ATOL,
                     ITERATE_RTOL,
                     STAR_ATOL,
                     STAR_RTOL,
                     TOLERANCES,
)
from .schema import parse_cases, validate_cases
from .summary import Report

__all__ = ["FORWARD_RTOL", "FORWARD_ATOL", "GRAD_RTOL", "GRAD_ATOL", "DIRECTION_RTOL", "DIRECTION_ATOL",
           "STAR_ATOL", "STAR_RTOL", "ITERATE_RTOL", "ITERATE_ATOL", "TOLERANCES", "Entry", "Report", "compare",
           "FORMAT", "VERSION", "TOP_FIELDS", "DATASET_FIELDS", "RUN_FIELDS", "CASE_FIELDS", "EXPECTED_FIELDS",
           "PER_SENTENCE", "seal", "write_cases", "load_cases", "validate_cases", "parse_cases", "library_impl",
           "SCALES", "SATURATION", "DATASETS", "RUNS", "golden_cases", "default_cases", "FUNCTIONS", "check"]

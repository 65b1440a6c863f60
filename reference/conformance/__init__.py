"""Testing another implementation against this one: golden cases, their file, the checker.

:func:`check` runs an implementation's functions on every golden case and
reports each output against a stated tolerance; the library's own literal face
(:func:`library_impl`) passes it, as two independent computations agreeing.
"""

from .checker import check, FUNCTIONS
from .golden import golden_cases, SCALES
from .golden_file import (
                     CASE_FIELDS,
                     DATASET_FIELDS,
                     EXPECTED_FIELDS,
                     FORMAT,
                     load_cases,
                     PER_SENTENCE,
                     TOP_FIELDS,
                     validate_cases,
                     VERSION,
                     write_cases,
)
from .literal_impl import library_impl
from .report import (
                     compare,
                     Entry,
                     FORWARD_ATOL,
                     FORWARD_RTOL,
                     GRAD_ATOL,
                     GRAD_RTOL,
                     ITERATE_ATOL,
                     ITERATE_RTOL,
                     Report,
                     STAR_ATOL,
                     STAR_RTOL,
                     TOLERANCES,
)

__all__ = ["FORWARD_RTOL", "FORWARD_ATOL", "GRAD_RTOL", "GRAD_ATOL", "STAR_ATOL", "STAR_RTOL",
           "ITERATE_RTOL", "ITERATE_ATOL", "TOLERANCES", "Entry", "Report", "compare", "FORMAT", "VERSION",
           "TOP_FIELDS", "DATASET_FIELDS", "CASE_FIELDS", "EXPECTED_FIELDS", "PER_SENTENCE", "write_cases",
           "load_cases", "validate_cases", "library_impl", "SCALES", "golden_cases", "FUNCTIONS", "check"]

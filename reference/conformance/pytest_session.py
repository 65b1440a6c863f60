"""The test that ``python -m pytest -p reference.conformance.pytest_plugin --conformance-impl SPEC`` collects.

:mod:`reference.conformance.pytest_plugin` parametrizes it over every
(function, case) of the conformance check; each test fails with the entry, its
tolerance, its hint and, if the implementation raised, the traceback.
"""

from .pytest_plugin import run_one

__all__ = ["test_conformance_plugin"]


def test_conformance_plugin(conformance):
    """One function of the implementation on one golden case (Section 3 to Algorithm 1)."""
    run_one(*conformance)

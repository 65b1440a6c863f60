"""Hypothesis profiles: a deterministic default for CI, ``thorough`` for long searches; shared long runs.

Choose with the environment variable ``HYPOTHESIS_PROFILE`` (default ``ci``).
"""

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "thorough", derandomize=False, deadline=None, max_examples=2000, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---------------------------------------------------------------- shared long runs

@pytest.fixture(scope="session")
def verify_result():
    """``verify.run(seed=0)``: every statement and proof step on verify's runs, computed once per session.

    Shared by the tests of ``verify`` and by the documentation's ``python -m reference verify``;
    a test that doctors it must copy it first.
    """
    from reference.experiments import verify
    return verify.run(seed=0)


@pytest.fixture(scope="session")
def proofs_result():
    """``proofs.run(seed=0)``: the proof audit of the ``proofs`` command, computed once per session."""
    from reference.experiments import proofs
    return proofs.run(seed=0)

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

@pytest.fixture(scope="session", autouse=True)
def _pictures_drawn_once():
    """The report's pictures of one set of rows are drawn once per session.

    ``verify`` and ``proofs`` run several times on the shared audits below (commands, documents);
    a picture is a function of its rows, so it is kept by the identity of the row objects (a test
    that doctors rows copies them, and gets new pictures).
    """
    from reference.experiments import audit_sections
    real, memo = audit_sections.statement_figure, {}

    def drawn_once(statement, runs, title=None):
        key = (statement, title, tuple((name, tuple(id(r) for r in rows)) for name, rows in runs))
        if key not in memo:
            memo[key] = (real(statement, runs, title=title), runs)      # keeps the rows alive: ids stay unique
        return memo[key][0]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(audit_sections, "statement_figure", drawn_once)
        yield


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


@pytest.fixture(scope="session")
def verify_report(verify_result, tmp_path_factory):
    """``python -m reference verify --out DIR`` on the shared audit, once per session: ``(DIR, stdout, status)``.

    The report files (report.md, report.html with every picture) are built from ``verify_result``.
    """
    import contextlib
    import io

    from reference.commands.cli import main
    from reference.experiments import verify
    out = tmp_path_factory.mktemp("verify-report")
    buf = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(buf):
        mp.setattr(verify, "run", lambda seed=0, progress=None: verify_result)
        mp.setenv("COLUMNS", "100")
        status = main(["verify", "--out", str(out)])
    return out, buf.getvalue(), status

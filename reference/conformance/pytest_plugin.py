"""The conformance kit as pytest tests: one test per function and case, and :func:`assert_conforms`.

Run it against a file of yours in one command (no test file needed)::

    python -m pytest -p reference.conformance.pytest_plugin --conformance-impl my_impl.py:impl

(``--conformance-golden FILE`` checks against a golden file instead of cases
generated in memory, ``--conformance-cases ordinary`` selects a regime or case
names, ``--conformance-functions loss,grad_loss`` some functions,
``--conformance-saturated xfail`` marks failures in the saturated regime as
expected.) Or, inside a test suite of yours::

    from reference.conformance.pytest_plugin import assert_conforms, conformance_tests
    test_my_impl = conformance_tests("my_impl.py:impl")          # a parametrized test

    def test_everything_at_once():
        assert_conforms(my_impl)

pytest is imported only when a test is built: ``import reference`` does not need it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, TYPE_CHECKING

if TYPE_CHECKING:                                   # (for the annotations; not imported at run time)
    from .summary import Report

__all__ = ["assert_conforms", "conformance_tests", "run_one", "pytest_addoption", "pytest_configure",
           "pytest_generate_tests"]

SATURATED_MODES = ("fail", "xfail", "skip")


def _impl(impl):
    from .loading import load_impl
    return load_impl(impl, "impl") if isinstance(impl, str) else impl


def assert_conforms(impl: Mapping[str, Any] | object | str,
                    golden: Mapping[str, Any] | str | os.PathLike[str] | None = None, *,
                    cases: str | Iterable[str] | None = None, functions: str | Iterable[str] | None = None,
                    failures: int = 8) -> Report:
    """Check ``impl`` (:func:`reference.conformance.check`) and raise ``AssertionError`` with the report if it fails.

    Parameters
    ----------
    impl : mapping, object or str
        The implementation, or a spec ``MODULE[:NAME]`` / ``path/file.py[:NAME]``.
    golden, cases, functions
        As for :func:`reference.conformance.check`.
    failures : int
        Failing entries shown in full in the message.

    Returns
    -------
    Report
        The report, when every checked entry passes.

    Raises
    ------
    AssertionError
        Some entry failed, or nothing was checked; the message is the report's summary.
    """
    from .checker import check
    report = check(_impl(impl), golden, cases=cases, functions=functions)
    if not report.ok:
        raise AssertionError("the implementation does not conform to the paper's definitions:\n"
                             + report.summary(failures=failures))
    return report


class _Lazy:
    """The report of one (impl, golden, selection), computed at the first test that needs it."""

    def __init__(self, impl, golden, cases, functions):
        self.args, self.report = (impl, golden, cases, functions), None

    def entries(self, function, case):
        from .checker import check
        if self.report is None:
            impl, golden, cases, functions = self.args
            self.report = check(impl, golden, cases=cases, functions=functions)
        return [e for e in self.report.entries if e.function == function and e.case == case]


def _params(impl, golden, cases, functions):
    """``[(function, case name)]`` that :func:`reference.conformance.check` will produce, in its order."""
    from .checker import _selected, _selector, default_cases
    from .signatures import FUNCTIONS, resolve
    from .golden_file import read_cases_file
    from .schema import parse_cases
    raw = default_cases() if golden is None else golden if isinstance(golden, dict) else read_cases_file(golden)
    parsed = parse_cases(raw, "golden cases" if golden is None or isinstance(golden, dict) else os.fspath(golden))
    fns, sel = resolve(impl), _selector(cases)
    levels = {"case": parsed["cases"], "run": parsed["runs"], "dataset": list(parsed["datasets"].values())}
    out = []
    for name, (level, _, _) in FUNCTIONS.items():
        if fns[name] is None or (functions is not None and name not in functions):
            continue
        out += [(name, item["name"]) for item in levels[level] if _selected(sel, item, level)]
    return out


def run_one(lazy, function, case, saturated):
    """Fail (or xfail, skip) the current test if an entry of ``function`` on ``case`` failed."""
    import pytest
    entries = lazy.entries(function, case)
    bad = [e for e in entries if not e.ok]
    if not entries:
        pytest.fail(f"{function} on {case}: no entry was produced")
    if not bad:
        return
    lines = []
    for e in bad:
        lines.append(f"{e.status.upper()} {e.function}[{e.output}] on {e.case} ({e.regime} regime): {e.message}")
        lines.append(f"  error {e.max_abs:.3g} (relative {e.max_rel:.3g}), tolerance {e.atol:.0e} + {e.rtol:.0e} "
                     f"x {e.scale:.3g}")
        if e.hint:
            lines.append(f"  hint: {e.hint}")
        if e.traceback:
            lines.append("  the implementation raised:\n" + e.traceback)
    text = "\n".join(lines)
    if all(e.regime == "saturated" for e in bad) and saturated != "fail":
        (pytest.xfail if saturated == "xfail" else pytest.skip)("saturated regime (not saturation-safe):\n" + text)
    pytest.fail(text, pytrace=False)


def conformance_tests(impl, golden=None, *, cases=None, functions=None, saturated="fail"):
    """A pytest test function parametrized over every (function, case) of the conformance check.

    Parameters
    ----------
    impl : mapping, object or str
        The implementation, or a spec ``MODULE[:NAME]`` / ``path/file.py[:NAME]``.
    golden, cases, functions
        As for :func:`reference.conformance.check`.
    saturated : {"fail", "xfail", "skip"}
        What a failure that lies only in the saturated regime does to its test.

    Returns
    -------
    function
        Assign it to a name starting with ``test_`` in a test module; each test's id is
        ``function-case`` and a failing test shows the entry, its tolerance, hint and traceback.
    """
    import pytest
    if saturated not in SATURATED_MODES:
        raise ValueError(f"saturated must be one of {SATURATED_MODES}, got {saturated!r}")
    impl = _impl(impl)
    lazy = _Lazy(impl, golden, cases, functions)
    params = _params(impl, golden, cases, functions)

    @pytest.mark.parametrize("function, case", params, ids=[f"{f}-{c}" for f, c in params])
    def test_conformance(function, case):
        run_one(lazy, function, case, saturated)
    return test_conformance


# ---------------------------------------------------------------- the plugin (python -m pytest -p ...)
def pytest_addoption(parser):
    """Options of the plugin: ``--conformance-impl``, ``--conformance-golden``, ``--conformance-cases``, ...

    Parameters
    ----------
    parser : pytest.Parser
    """
    group = parser.getgroup("reference-conformance", "conformance to the paper (reference.conformance)")
    group.addoption("--conformance-impl", metavar="SPEC",
                    help="check this implementation: MODULE, MODULE:NAME, path/file.py or path/file.py:NAME")
    group.addoption("--conformance-golden", metavar="FILE", help="golden-case file (default: generated, seed 0)")
    group.addoption("--conformance-cases", metavar="SELECTION",
                    help="'ordinary', 'saturated' or comma-separated case names and patterns")
    group.addoption("--conformance-functions", metavar="F1,F2", help="check only these functions")
    group.addoption("--conformance-saturated", choices=SATURATED_MODES, default="fail",
                    help="what a failure only in the saturated regime does (default fail)")


def pytest_configure(config):
    """With ``--conformance-impl``, collect :mod:`reference.conformance.pytest_session` (alone when no path was given).

    Parameters
    ----------
    config : pytest.Config
    """
    if config.getoption("conformance_impl", None):
        here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pytest_session.py")
        given = [a for a in config.args if os.path.abspath(a) != os.path.abspath(str(config.invocation_params.dir))]
        source = getattr(getattr(config, "args_source", None), "name", "ARGS" if given else "")
        config.args[:] = given + [here] if source == "ARGS" else [here]


def pytest_generate_tests(metafunc):
    """Parametrize the test of :mod:`reference.conformance.pytest_session` over the (function, case) pairs.

    Parameters
    ----------
    metafunc : pytest.Metafunc
    """
    if metafunc.function.__name__ != "test_conformance_plugin" or "conformance" not in metafunc.fixturenames:
        return
    opt = metafunc.config.getoption
    impl = _impl(opt("conformance_impl"))
    golden = opt("conformance_golden")
    sel = opt("conformance_cases")
    cases = None if sel is None else sel if sel in ("ordinary", "saturated", "all") else sel.split(",")
    fs = opt("conformance_functions")
    functions = None if fs is None else [f.strip() for f in fs.split(",")]
    params = _params(impl, golden, cases, functions)
    lazy = _Lazy(impl, golden, cases, functions)
    metafunc.parametrize("conformance", [(lazy, f, c, opt("conformance_saturated")) for f, c in params],
                         ids=[f"{f}-{c}" for f, c in params])

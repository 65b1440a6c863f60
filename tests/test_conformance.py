"""The checker: the literal face and a textbook implementation pass, verdicts per regime, the report.

The golden outputs come from the engine (token coordinates); the library's
literal face passing them is the agreement of two independent computations,
and so is a textbook float64 implementation (tests/conformance_impls.py)
passing every ordinary case with a factor 1000 to spare.
"""

import json
import math

import numpy as np
import pytest

from conformance_impls import textbook
from conftest_golden import golden, parsed
from reference import conformance as C
from reference.errors import ConfigError

#: "Passes with three orders of magnitude to spare": the worst error is at most this share of its tolerance.
SPARE = 1e-3


@pytest.fixture(scope="module")
def lib_report():
    return C.check(C.library_impl())


@pytest.fixture(scope="module")
def textbook_report():
    return C.check(textbook())


def _statuses(report, function, output=None):
    return {e.case: e.status for e in report.entries
            if e.function == function and (output is None or e.output == output)}


# ---------------------------------------------------------------- correct implementations pass
def test_library_literal_face_passes(lib_report):
    assert lib_report.ok, lib_report.summary()
    assert lib_report.verdict == "pass" and not lib_report.skipped and not lib_report.deselected
    assert set(lib_report.functions()) == set(C.FUNCTIONS)
    assert "conformance: PASS" in lib_report.summary()


def test_textbook_float64_passes_every_ordinary_case_with_room_to_spare(textbook_report):
    """The definitions in float64, written plainly: every ordinary entry at most 1/1000 of its tolerance."""
    ordinary = [e for e in textbook_report.entries if e.regime == "ordinary"]
    assert ordinary and all(e.ok for e in ordinary)
    worst = max(ordinary, key=lambda e: e.ratio)
    assert worst.ratio <= SPARE, (worst.function, worst.case, worst.ratio)


def test_textbook_reads_not_saturation_safe(textbook_report):
    """It is not built for saturation: the verdict says so, per row and overall, instead of one lumped FAIL."""
    assert textbook_report.verdict == "not saturation-safe"
    assert "correct in the ordinary regime, not saturation-safe" in textbook_report.summary()
    rows = {(r["function"], r["output"]): r for r in textbook_report.rows()}
    assert rows["unit_grad_loss0", "unit_grad_W_ov_L0"]["verdict"] == "not saturation-safe"
    assert rows["attention", "attention"]["verdict"] == "ok"
    nan_dirs = [e for e in textbook_report.failures() if e.function == "unit_grad_loss0" and "NaN" in e.hint]
    assert nan_dirs and all("gradient underflowed to 0 and 0/0 was taken" in e.hint for e in nan_dirs)
    assert all("not saturation-safe" in e.hint for e in textbook_report.failures())
    sel = C.check(textbook(), cases="ordinary", functions=["unit_grad_loss0", "two_stage_ngd"])
    assert sel.ok and {e.regime for e in sel.entries} == {"ordinary"}
    sat = C.check(textbook(), cases="saturated", functions=["unit_grad_loss0"])
    assert {e.regime for e in sat.entries} == {"saturated"} and not sat.ok


def test_every_function_is_checked_on_every_case_with_its_stated_tolerance(lib_report):
    """Nothing dropped: one entry per function, output and case (run, dataset), with TOLERANCES."""
    P = parsed()
    names = {"case": [c["name"] for c in P["cases"]], "run": [r["name"] for r in P["runs"]],
             "dataset": list(P["datasets"])}
    for fn, (level, _, outs) in C.FUNCTIONS.items():
        for out in outs:
            got = [e for e in lib_report.entries if e.function == fn and e.output == out]
            assert [e.case for e in got] == names[level], (fn, out)
            assert all((e.atol, e.rtol) == C.TOLERANCES[out] for e in got)
    n = sum(len(outs) * len(names[level]) for level, _, outs in C.FUNCTIONS.values())
    assert len(lib_report.entries) == n
    assert {k: (v["atol"], v["rtol"]) for k, v in golden()["tolerances"].items()} == C.TOLERANCES
    rows = lib_report.rows()
    assert {(r["function"], r["output"]) for r in rows} == {(f, o) for f, (_, _, os_) in C.FUNCTIONS.items()
                                                            for o in os_}   # a row per output: two for pairs


def test_raw_gradients_are_judged_against_their_exact_norm():
    """A gradient off by 0.1% fails wherever it does not underflow, however small it is."""
    lib = C.library_impl()

    def grad_loss(*a):
        g_ov, g_kq = lib["grad_loss"](*a)
        return 1.001 * g_ov, g_kq

    rep = C.check({"grad_loss": grad_loss})
    assert set(_statuses(rep, "grad_loss", "grad_W_kq_L").values()) == {"pass"}
    st = _statuses(rep, "grad_loss", "grad_W_ov_L")
    for c in parsed()["cases"]:
        underflows = c["expected"]["log_norm_grad_W_ov_L"] < math.log(np.finfo(float).tiny)
        assert st[c["name"]] == ("pass" if underflows else "fail"), c["name"]
    bad = rep.failures()
    assert bad and all("1.001 x the expected value" in e.hint for e in bad)


def test_float32_gradient_fails_even_where_it_is_tiny():
    lib = C.library_impl()

    def grad_loss(*a):
        g_ov, g_kq = lib["grad_loss"](*a)
        return g_ov, g_kq.astype(np.float32).astype(np.float64)

    st = _statuses(C.check({"grad_loss": grad_loss}), "grad_loss", "grad_W_kq_L")
    for c in parsed()["cases"]:
        ln = c["expected"]["log_norm_grad_W_kq_L"]
        if ln > math.log(np.finfo(float).tiny) + 30:            # representable, and not a float32 coincidence
            assert st[c["name"]] == "fail", c["name"]


# ---------------------------------------------------------------- the report
def test_grid_shows_a_pattern_by_dataset_and_scale(textbook_report):
    grid = textbook_report.grid()
    assert set(grid) == set(C.DATASETS)
    for d, row in grid.items():
        for col, (bad, n) in row.items():
            assert n > 0
            if col in ("random/1", "random/10", "aligned/1", "aligned/10", "run short", "W*"):
                assert bad == 0, (d, col)
        assert row["aligned/1000"][0] > 0                        # the saturated column carries the failures
    text = textbook_report.grid_text()
    assert "dataset" in text and "aligned/1000" in text and "run long" in text


def test_failures_and_json(textbook_report):
    summary = textbook_report.summary(failures=2)
    assert summary.count("  FAIL ") == 2 and "more failing entries" in summary
    d = textbook_report.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["verdict"] == "not saturation-safe" and d["golden"]["seed"] == 0
    assert d["golden"]["checksum"] == golden()["checksum"]
    assert {c["name"] for c in d["cases"]} >= {c["name"] for c in golden()["cases"]}
    assert all({"function", "output", "ordinary", "saturated", "verdict"} <= set(r) for r in d["functions"])


def test_iterates_name_the_first_deviating_one():
    lib = C.library_impl()

    def two_stage_ngd(*a):
        W_ov, W_kq = lib["two_stage_ngd"](*a)
        W_kq = W_kq.copy()
        W_kq[3:] *= 1.01                      # right up to t = 2, wrong from t = 3 (worst at the end)
        return W_ov, W_kq

    rep = C.check({"two_stage_ngd": two_stage_ngd}, cases="*/short")
    bad = rep.failures()
    assert bad and all(e.output == "W_kq_iterates" and "first deviates at t=3" in e.message for e in bad)
    assert all("first deviating iterate is t = 3 of stage 2" in e.hint for e in bad)


def test_functions_left_out_are_listed_as_not_selected():
    lib = C.library_impl()
    rep = C.check({"loss": lib["loss"], "loss0": lib["loss0"]}, functions=["loss", "attention"])
    assert set(rep.functions()) == {"loss"}
    assert rep.deselected == ("loss0",)
    assert set(rep.skipped) == set(C.FUNCTIONS) - {"loss", "loss0"}       # attention: selected, not provided
    assert "not selected (functions=...): loss0" in rep.summary()
    empty = C.check({})
    assert not empty.ok and not empty.entries and "nothing was checked" in empty.summary()


def test_case_selection():
    lib = C.library_impl()
    rep = C.check({"loss": lib["loss"], "max_margin_ov": lib["max_margin_ov"]}, cases=["weighted/*"])
    assert {e.dataset for e in rep.entries} == {"weighted"} and rep.ok
    assert {e.case for e in rep.entries if e.function == "max_margin_ov"} == {"weighted"}
    with pytest.raises(ConfigError, match="matches no case"):
        C.check(lib, cases=["nothing/*"])
    with pytest.raises(ConfigError, match="golden="):
        C.check(lib, cases=golden())


# ---------------------------------------------------------------- whatever the implementation does
def test_errors_and_bad_outputs_are_reported_not_raised():
    def boom(*a):
        raise RuntimeError("not implemented yet")

    rep = C.check({"loss": boom, "loss0": lambda *a: float("nan"), "grad_loss": lambda *a: np.zeros(3)})
    assert {e.status for e in rep.entries if e.function == "loss"} == {"error"}
    first = rep.failures()[0]
    assert "RuntimeError: not implemented yet" in first.message and "Traceback" in first.traceback
    assert {e.status for e in rep.entries if e.function == "loss0"} == {"fail"}
    assert {e.status for e in rep.entries if e.function == "grad_loss"} == {"error"}   # not a pair
    d = rep.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["ok"] is False and "attention" in d["skipped"] and d["entries"][0]["traceback"]


def test_sys_exit_in_an_implementation_is_its_failure():
    import sys

    def quits(*a):
        sys.exit(0)

    rep = C.check({"loss": quits}, cases="example1/*")
    assert not rep.ok and {e.status for e in rep.entries} == {"error"}
    assert "SystemExit" in rep.failures()[0].message

    def interrupted(*a):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        C.check({"loss": interrupted})


def test_an_impl_that_writes_into_its_inputs_changes_nothing_else():
    lib = C.library_impl()

    def loss0(W_ov, E, In):
        E *= 2.0                                      # would corrupt every later call if E were shared
        In[:] = 0
        return lib["loss0"](W_ov, E, In)

    rep = C.check({"loss0": loss0, "grad_loss0": lib["grad_loss0"]})
    assert "pass" not in {e.status for e in rep.entries if e.function == "loss0"}
    assert all(e.ok for e in rep.entries if e.function == "grad_loss0")


def test_impl_validation():
    with pytest.raises(ConfigError, match="unknown function"):
        C.check({"atention": lambda W, X: X})
    with pytest.raises(ConfigError, match="not callable"):
        C.check({"attention": 3})
    with pytest.raises(ConfigError, match="unknown function"):
        C.check({}, functions=["nope"])
    rep = C.check(C.library_impl(), functions=["loss"])
    assert set(rep.functions()) == {"loss"} and rep.ok


def test_impl_as_object_with_attributes():
    class Impl:
        attention = staticmethod(C.library_impl()["attention"])
    rep = C.check(Impl())
    assert rep.ok and set(rep.functions()) == {"attention"}

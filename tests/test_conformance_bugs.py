"""Deliberately wrong implementations: each one-bug variant of the textbook implementation is flagged,
with a hint that names its bug (tests/conformance_impls.py holds the variants).

The first four are the bugs that Example 1-like golden data could not see (all
counts 1, ``T = T1``, ``eta0 = eta``, no sentence mixing a repeated token with
another); the datasets and runs of reference/conformance/golden_data.py expose them.
"""

import re

import pytest

from conformance_impls import BUGS, textbook
from reference import conformance as C

#: bug -> the functions it touches (checked alone, to keep the suite fast)
TOUCHES = {
    "pi_ignored": ["loss", "grad_loss"],
    "stages_swapped": ["two_stage_ngd"],
    "etas_swapped": ["two_stage_ngd"],
    "multiplicities_dropped": ["attention", "loss"],
    "no_query": ["attention"],
    "W_kq_transposed": ["attention", "loss"],
    "sum_not_mean": ["loss", "log_loss"],
    "eps_in_norm": ["unit_grad_loss0", "stage1_step"],
    "float32": ["grad_loss", "loss"],
    "naive_log_softmax": ["loss", "loss0"],
    "max_abs_norm": ["unit_grad_loss_kq", "stage2_step"],
    "L0_mean": ["loss0", "grad_loss0"],
    "W_ov_in_stage2": ["two_stage_ngd"],
    "padding_unmasked": ["attention_batch", "loss_batch"],
}
#: Bugs that only show where probabilities round to 0 or 1 (the saturated regime).
SATURATION_ONLY = {"naive_log_softmax"}


def test_every_bug_is_tested():
    assert set(TOUCHES) == set(BUGS)


@pytest.mark.parametrize("bug", list(BUGS))
def test_bug_is_flagged_with_a_hint_that_names_it(bug):
    rep = C.check(textbook(bug), functions=TOUCHES[bug])
    assert not rep.ok
    assert rep.verdict == ("not saturation-safe" if bug in SATURATION_ONLY else "fail")
    named = [e for e in rep.failures() if re.search(BUGS[bug], e.hint, re.I)]
    assert named, f"{bug}: no hint contains {BUGS[bug]!r}; hints: " + " | ".join(
        sorted({e.hint for e in rep.failures()})[:5])
    if bug not in SATURATION_ONLY:
        assert any(e.regime == "ordinary" for e in named)     # named where the bug, not saturation, is the cause


def _failing_datasets(bug, functions):
    rep = C.check(textbook(bug), functions=functions, cases="ordinary")
    return {e.dataset for e in rep.failures()}


def test_the_four_bugs_example1_could_not_see_are_caught_where_the_data_is_there_to_catch_them():
    """pi ignored and dropped multiplicities pass Example 1 (all counts 1, no mixed sentence) and fail elsewhere."""
    pi = _failing_datasets("pi_ignored", ["loss"])
    assert pi and not pi & {"example1", "example1-orthonormal"}
    assert "weighted" in pi and "pi ignored" in C.DATASETS["weighted"][1]
    mult = _failing_datasets("multiplicities_dropped", ["attention"])
    assert mult and not mult & {"example1", "example1-orthonormal"}
    assert "weighted" in mult and "multiplicities" in C.DATASETS["weighted"][1]
    for bug in ("stages_swapped", "etas_swapped"):           # every run has T != T1 and eta0 != eta
        rep = C.check(textbook(bug), functions=["two_stage_ngd"], cases="*/short")
        assert {e.case for e in rep.failures()} == {r["name"] for r in C.default_cases()["runs"]
                                                    if r["name"].endswith("/short")}


def test_a_bug_in_one_function_leaves_the_others_passing():
    """The transposed W_kq breaks the attention and everything after it, never L_0 (which has no W_kq)."""
    rep = C.check(textbook("W_kq_transposed"), functions=["attention", "loss0", "grad_loss0"], cases="ordinary")
    assert all(e.ok for e in rep.entries if e.function in ("loss0", "grad_loss0"))
    assert not all(e.ok for e in rep.entries if e.function == "attention")

"""The public gradient checkers accept right gradients and reject ones wrong by 0.1%."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import seeds

from reference import Dataset
from reference.errors import ReferenceValueError
from reference.model.gradcheck import (
    check_grad_complex_step,
    check_grad_directional,
    check_grad_entrywise,
    COMPLEX_STEP_RTOL,
    DIRECTIONAL_RTOL,
    ENTRYWISE_RTOL,
    GradCheckResult,
    GradientCheckError,
)
from reference.model.loss import grad_loss, loss

#: The deliberate error the checkers must catch : 0.1%.
WRONG_BY = 1e-3


# A smooth, complex-safe test function with a closed-form gradient (two blocks, different shapes).
def f(A, b):
    """``f(A, b) = sum(sin(A) A^2) + log(sum(exp(A @ b)))``."""
    z = A @ b
    m = np.max(z.real)
    return np.sum(np.sin(A) * A ** 2) + m + np.log(np.sum(np.exp(z - m)))


def grad_f(A, b):
    z = A @ b
    p = np.exp(z - z.max())
    p /= p.sum()
    return np.cos(A) * A ** 2 + 2 * A * np.sin(A) + np.outer(p, b), A.T @ p


def _point(seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((5, 3)), rng.standard_normal(3)


def _wrong_entry(g, block):
    """``g`` with its largest-magnitude entry in ``block`` off by 0.1%, and that entry's index."""
    g = [gk.copy() for gk in g]
    idx = np.unravel_index(np.argmax(np.abs(g[block])), g[block].shape)
    g[block][idx] *= 1 + WRONG_BY
    return tuple(g), tuple(int(i) for i in idx)


def _checkers(seed):
    rng = np.random.default_rng(seed)
    return [lambda f_, g_, x_, **kw: check_grad_directional(f_, g_, x_, rng=rng, **kw),
            check_grad_complex_step, check_grad_entrywise]


@given(seeds)
def test_all_checkers_accept_the_right_gradient(seed):
    x = _point(seed)
    for check in _checkers(seed):
        res = check(f, grad_f, x)
        assert isinstance(res, GradCheckResult) and res.ok, res
        assert res.error <= res.tolerance


@given(seeds)
def test_all_checkers_reject_a_gradient_scaled_by_1_001(seed):
    x = _point(seed)
    g = tuple(gk * (1 + WRONG_BY) for gk in grad_f(*x))
    for check in _checkers(seed):
        res = check(f, g, x)
        assert not res.ok, res
        with pytest.raises(GradientCheckError, match="FAILED"):
            check(f, g, x, raise_on_fail=True)


@given(seeds, st.sampled_from([0, 1]))
def test_all_checkers_reject_one_entry_off_by_0_1_percent(seed, block):
    x = _point(seed)
    g, idx = _wrong_entry(grad_f(*x), block)
    for check in _checkers(seed):
        assert not check(f, g, x).ok
    for check in (check_grad_complex_step, check_grad_entrywise):   # and they locate it
        worst = check(f, g, x).details["worst"][0]
        assert worst[:2] == (block, idx)


@settings(max_examples=10)
@given(seeds)
def test_checkers_on_the_library_loss(seed):
    ds = Dataset.from_corpus(["S V O P", "V O P", "O P P", "P S V"])
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((4, 4)), rng.standard_normal((4, 4)))

    def L(a, b):
        return loss(a, b, ds)

    g = grad_loss(*x, ds)
    for check in _checkers(seed):
        assert check(L, g, x).ok
        assert not check(L, (g[0] * (1 + WRONG_BY), g[1] * (1 + WRONG_BY)), x).ok
        assert not check(L, _wrong_entry(g, 1)[0], x).ok


def test_tolerances_are_far_below_the_error_to_catch():
    for tol in (DIRECTIONAL_RTOL, COMPLEX_STEP_RTOL, ENTRYWISE_RTOL):
        assert tol <= 1e-2 * WRONG_BY


def test_single_array_input_and_zero_gradient():
    def sq(x):
        return np.sum(x * x)
    x = np.arange(6.0).reshape(2, 3) - 2.5
    for check in _checkers(0):
        assert check(sq, lambda x: 2 * x, x).ok
    zero = np.zeros((2, 3))                                     # a stationary point
    for check in _checkers(1):
        res = check(sq, lambda x: 2 * x, zero)
        assert res.ok and res.error == 0.0


def test_complex_step_refuses_functions_that_are_not_complex_safe():
    x = np.ones(3)
    with pytest.raises(GradientCheckError, match="not complex-safe"):
        check_grad_complex_step(lambda v: float(np.sum(np.abs(v) ** 2)), 2 * x, x)
    with pytest.raises(GradientCheckError, match="not complex-safe"):
        check_grad_complex_step(lambda v: np.sum(np.asarray(v, dtype=float)), x, x)


def test_malformed_input_raises():
    x = _point(0)
    with pytest.raises(GradientCheckError, match=r"1 block\(s\), x has 2"):
        check_grad_entrywise(f, grad_f(*x)[0], x)
    with pytest.raises(GradientCheckError, match="shape"):
        check_grad_complex_step(f, (np.zeros((3, 5)), np.zeros(3)), x)
    with pytest.raises(GradientCheckError, match="Generator"):
        check_grad_directional(f, grad_f, x, rng=0)
    with pytest.raises(GradientCheckError, match="scalar"):
        check_grad_entrywise(lambda v: v, np.ones(2), np.ones(2))
    assert issubclass(GradientCheckError, ReferenceValueError)

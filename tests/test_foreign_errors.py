"""Bad arguments end in the library's own error naming the argument, never a NumPy or Python one."""

import numpy as np
import pytest

from reference import example1
from reference.errors import ReferenceValueError
from reference.model import loss as L
from reference.model import loss_scaled as LS
from reference.model import transformer as TF
from reference.training.engine import Engine

DS = example1()
V = D = 4
W_OV, W_KQ = np.zeros((V, D)), np.zeros((D, D))
X = DS.X(0)
RAGGED = [[1.0, 2.0], [3.0]]

#: name -> (function, arguments); every argument named in ``weights`` is replaced in turn
FUNCTIONS = {
    "loss": (L.loss, dict(W_ov=W_OV, W_kq=W_KQ, ds=DS)),
    "log_loss": (L.log_loss, dict(W_ov=W_OV, W_kq=W_KQ, ds=DS)),
    "grad_loss": (L.grad_loss, dict(W_ov=W_OV, W_kq=W_KQ, ds=DS)),
    "loss0": (L.loss0, dict(W_ov=W_OV, ds=DS)),
    "log_loss0": (L.log_loss0, dict(W_ov=W_OV, ds=DS)),
    "grad_loss0": (L.grad_loss0, dict(W_ov=W_OV, ds=DS)),
    "grad_loss_scaled": (LS.grad_loss_scaled, dict(W_ov=W_OV, W_kq=W_KQ, ds=DS)),
    "grad_loss0_scaled": (LS.grad_loss0_scaled, dict(W_ov=W_OV, ds=DS)),
    "unit_grad_loss": (LS.unit_grad_loss, dict(W_ov=W_OV, W_kq=W_KQ, ds=DS)),
    "unit_grad_loss0": (LS.unit_grad_loss0, dict(W_ov=W_OV, ds=DS)),
    "scores": (TF.scores, dict(W_kq=W_KQ, X=X)),
    "attention": (TF.attention, dict(W_kq=W_KQ, X=X)),
    "logits": (TF.logits, dict(W_ov=W_OV, W_kq=W_KQ, X=X)),
    "transformer": (TF.transformer, dict(W_ov=W_OV, W_kq=W_KQ, X=X)),
    "predict": (TF.predict, dict(W_ov=W_OV, W_kq=W_KQ, X=X)),
    "to_coords": (Engine(DS).to_coords, dict(W_ov=W_OV, W_kq=W_KQ)),
}
CASES = [(f, arg, bad) for f, (_, kw) in FUNCTIONS.items() for arg in kw if arg != "ds"
         for bad in ("none", "ragged")]


@pytest.mark.parametrize("name, arg, bad", CASES)
def test_none_and_ragged_arguments_are_named(name, arg, bad):
    fn, kw = FUNCTIONS[name]
    kw = dict(kw, **{arg: None if bad == "none" else RAGGED})
    with pytest.raises(ReferenceValueError, match=rf"\b{arg}\b"):
        fn(*kw.values())


def test_the_engine_needs_a_dataset():
    with pytest.raises(ReferenceValueError, match="Dataset, got NoneType"):
        Engine(None)


@pytest.mark.parametrize("v, axis, match", [
    ([1.0, 2.0], 5, "axis = 5"), ([1.0, 2.0], -2, "axis = -2"), ([1.0], 1.5, "axis = 1.5"),
    (RAGGED, 0, r"\bv\b is not an array"), ([-np.inf, -np.inf], 0, "every entry along axis 0 is -inf"),
    ([[0.0, -np.inf], [1.0, -np.inf]], 0, r"at index \(0, 1\)")])
def test_phi_refuses_what_it_cannot_define(v, axis, match):
    with pytest.raises(ReferenceValueError, match=match):
        TF.phi(v, axis=axis)


def test_phi_with_some_minus_infinity_is_still_exact():
    assert TF.phi([0.0, -np.inf]).tolist() == [1.0, 0.0]
    assert TF.phi([[0.0, 1.0], [-np.inf, 1.0]], axis=0).tolist() == [[1.0, 0.5], [0.0, 0.5]]

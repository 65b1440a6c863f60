"""The functions an implementation may provide, their signatures, and how the checker calls them.

Functions an implementation may provide (0-based token indices; float64 arrays;
``Xs`` is a list of ``d x L_n`` sentence matrices, ``y`` the ``(N,)`` next-token
indices, ``pi`` the ``(N,)`` frequencies, ``E`` the ``d x abs(V)`` embeddings,
``In`` the ``(abs(V),)`` collocation; the batched forms take ``X`` of shape
``(N, d, L_max)``, sentence ``n`` in its first ``lengths[n]`` columns, the rest
padding):

=======================  ==============================================  ==================  =====================
name                     call                                            returns             paper
=======================  ==============================================  ==================  =====================
``attention``            ``(W_kq, X)``                                   ``(L,)``            ``phi(X^T W_kq x_L)``
``logits``               ``(W_ov, W_kq, X)``                             ``(abs(V),)``       ``Tbar(X)``
``transformer``          ``(W_ov, W_kq, X)``                             ``(abs(V),)``       ``T(X)``
``loss``, ``log_loss``   ``(W_ov, W_kq, Xs, y, pi)``                     float               Eq. (1), its log
``loss0``, ``log_loss0`` ``(W_ov, E, In)``                               float               ``L_0``, its log
``grad_loss``            ``(W_ov, W_kq, Xs, y, pi)``                     pair                ``grad_W_ov L``, Eq. 6
``grad_loss0``           ``(W_ov, E, In)``                               ``(abs(V), d)``     Eq. (5)
``unit_grad_loss_ov``    ``(W_ov, W_kq, Xs, y, pi)``                     ``(abs(V), d)``     ``grad_W_ov L/||.||``
``unit_grad_loss_kq``    ``(W_ov, W_kq, Xs, y, pi)``                     ``(d, d)``          stage-2 direction
``unit_grad_loss0``      ``(W_ov, E, In)``                               ``(abs(V), d)``     stage-1 direction
``stage1_step``          ``(W_ov, E, In, eta0)``                         ``(abs(V), d)``     one step of stage 1
``stage2_step``          ``(W_ov, W_kq, Xs, y, pi, eta)``                ``(d, d)``          one step of stage 2
``max_margin_ov``        ``(E, In)``                                     ``(abs(V), d)``     ``W*_ov``, Eq. (2)
``max_margin_kq``        ``(Xs, y, E, In)``                              ``(d, d)``          ``W*_kq``, Eq. (3)
``two_stage_ngd``        ``(E, In, Xs, y, pi, eta0, eta, T, T1)``        pair                Algorithm 1
``attention_batch``      ``(W_kq, X, lengths)``                          ``(N, L_max)``      batched ``attention``
``logits_batch``         ``(W_ov, W_kq, X, lengths)``                    ``(N, abs(V))``     batched ``logits``
``transformer_batch``    ``(W_ov, W_kq, X, lengths)``                    ``(N, abs(V))``     batched ``transformer``
``loss_batch``           ``(W_ov, W_kq, X, lengths, y, pi)``             float               batched ``loss``
``grad_loss_batch``      ``(W_ov, W_kq, X, lengths, y, pi)``             pair                batched ``grad_loss``
=======================  ==============================================  ==================  =====================

``grad_loss`` returns ``(grad_W_ov L, grad_W_kq L)``; ``two_stage_ngd`` returns
``(W_ov^(0..T), W_kq^(0..T1))`` of shapes ``(T+1, abs(V), d)`` and
``(T1+1, d, d)``, from zero. :func:`library_impl` is this library's literal
face in that form. See ``docs/conformance.md``.
"""

from collections.abc import Mapping

import numpy as np

from ..errors import ConfigError
from .golden_file import PER_SENTENCE

__all__ = ["FUNCTIONS", "PAD_VALUE", "resolve", "inputs", "call", "unbatch"]

_DATA = ("W_ov", "W_kq", "Xs", "y", "pi")
_BATCH = ("W_ov", "W_kq", "X_pad", "lengths", "y", "pi")
#: function name -> (level, argument names, expected outputs). Level "case" runs on every case
#: (weights), "run" on every run of Algorithm 1, "dataset" once per dataset; an argument "X" means
#: one call per sentence.
FUNCTIONS = {
    "attention": ("case", ("W_kq", "X"), ("attention",)),
    "logits": ("case", ("W_ov", "W_kq", "X"), ("logits",)),
    "transformer": ("case", ("W_ov", "W_kq", "X"), ("T",)),
    "loss": ("case", _DATA, ("L",)),
    "log_loss": ("case", _DATA, ("log_L",)),
    "loss0": ("case", ("W_ov", "E", "In"), ("L_0",)),
    "log_loss0": ("case", ("W_ov", "E", "In"), ("log_L_0",)),
    "grad_loss": ("case", _DATA, ("grad_W_ov_L", "grad_W_kq_L")),
    "grad_loss0": ("case", ("W_ov", "E", "In"), ("grad_W_ov_L0",)),
    "unit_grad_loss_ov": ("case", _DATA, ("unit_grad_W_ov_L",)),
    "unit_grad_loss_kq": ("case", _DATA, ("unit_grad_W_kq_L",)),
    "unit_grad_loss0": ("case", ("W_ov", "E", "In"), ("unit_grad_W_ov_L0",)),
    "stage1_step": ("case", ("W_ov", "E", "In", "eta0"), ("W_ov_next",)),
    "stage2_step": ("case", _DATA + ("eta",), ("W_kq_next",)),
    "max_margin_ov": ("dataset", ("E", "In"), ("W_ov_star",)),
    "max_margin_kq": ("dataset", ("Xs", "y", "E", "In"), ("W_kq_star",)),
    "two_stage_ngd": ("run", ("E", "In", "Xs", "y", "pi", "eta0", "eta", "T", "T1"),
                      ("W_ov_iterates", "W_kq_iterates")),
    "attention_batch": ("case", ("W_kq", "X_pad", "lengths"), ("attention",)),
    "logits_batch": ("case", ("W_ov", "W_kq", "X_pad", "lengths"), ("logits",)),
    "transformer_batch": ("case", ("W_ov", "W_kq", "X_pad", "lengths"), ("T",)),
    "loss_batch": ("case", _BATCH, ("L",)),
    "grad_loss_batch": ("case", _BATCH, ("grad_W_ov_L", "grad_W_kq_L")),
}
#: Padding of the batched X: finite, non-zero and unlike any embedding, so an unmasked position shows.
PAD_VALUE = 0.75


def resolve(impl):
    """``{name: callable or None}`` for every name of :data:`FUNCTIONS` (a dict, or an object's attributes)."""
    if isinstance(impl, Mapping):
        unknown = sorted(set(impl) - set(FUNCTIONS))
        if unknown:
            raise ConfigError(f"impl names unknown function(s) {', '.join(map(repr, unknown))}; "
                              f"known: {', '.join(FUNCTIONS)}")
        get = impl.get
    else:
        def get(name):
            return getattr(impl, name, None)
    out = {}
    for name in FUNCTIONS:
        f = get(name)
        if f is not None and not callable(f):
            raise ConfigError(f"impl provides {name!r} but it is not callable ({type(f).__name__})")
        out[name] = f
    return out


def inputs(D, item, pad=PAD_VALUE):
    """Fresh copies of one call's arguments: an impl that writes into its inputs changes nothing else."""
    out = {"E": D["E"].copy(), "Xs": [X.copy() for X in D["Xs"]], "y": D["y"].copy(), "pi": D["pi"].copy(),
           "In": D["In"].copy()}
    if item is not None:
        out.update({k: (item[k].copy() if isinstance(item[k], np.ndarray) else item[k])
                    for k in ("W_ov", "W_kq", "eta0", "eta", "T", "T1") if k in item})
    lengths = np.array([s.size for s in D["sentences"]], dtype=np.intp)
    X = np.full((D["N"], D["d"], D["L_max"]), pad)
    for n, Xn in enumerate(D["Xs"]):
        X[n, :, :Xn.shape[1]] = Xn
    out.update(X_pad=X, lengths=lengths)
    return out


def call(f, args, inputs, n_outs):
    """Run ``f`` on ``inputs``: one call, or one per sentence when ``args`` has ``X``."""
    if "X" in args:
        return [f(*[X if a == "X" else inputs[a] for a in args]) for X in inputs["Xs"]]
    got = f(*[inputs[a] for a in args])
    if n_outs > 1 and (not isinstance(got, (tuple, list)) or len(got) != n_outs):
        raise TypeError(f"expected a tuple of {n_outs} results, got {type(got).__name__}")
    return got


def unbatch(output, got, D):
    """A batched per-sentence result ``(N, ...)`` as the list of per-sentence vectors."""
    if output not in PER_SENTENCE:
        return got
    g = np.asarray(got)
    width = D["L_max"] if output == "attention" else D["V"]
    if g.shape != (D["N"], width):
        raise ValueError(f"returned shape {g.shape}, expected {(D['N'], width)}")
    return [g[n, :s.size] if output == "attention" else g[n] for n, s in enumerate(D["sentences"])]

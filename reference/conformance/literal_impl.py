"""This library's literal face (:mod:`reference.model.transformer`, :mod:`reference.model.loss`) as an implementation for ``check``.

:func:`reference.conformance.check` calls plain functions on arrays (``Xs``,
``y``, ``pi``, ``E``, ``In``; signatures in :mod:`reference.conformance`). The
literal functions take a :class:`reference.data.Dataset`, so :func:`library_impl`
rebuilds one from the arrays (``pi`` back to integer counts) for every call. The
golden outputs come from the training engine in token coordinates, so this face
passing them is the agreement of two independent computations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from ..data.dataset import Dataset
from ..data.vocabulary import Vocabulary
from ..errors import WeightsError
from ..maxmargin import solvers as mm
from ..model import loss as L
from ..model import loss_scaled as LS
from ..model import transformer as tf

__all__ = ["library_impl"]


def _counts(pi):
    """Integer counts with ``counts / sum(counts) == pi`` (pi rational with denominator <= 1e9)."""
    fr = [Fraction(float(p)).limit_denominator(10**9) for p in np.asarray(pi, dtype=np.float64)]
    den = math.lcm(*(f.denominator for f in fr))
    return [f.numerator * (den // f.denominator) for f in fr]


def _vocab(E):
    E = np.asarray(E, dtype=np.float64)
    return Vocabulary([f"t{i}" for i in range(E.shape[1])], E, allow_non_orthonormal=True)


def _indices(X, E):
    """Token indices of the columns of ``X`` (each must be a column of ``E`` exactly)."""
    idx = np.argmax(np.asarray(E).T @ np.asarray(X), axis=0)
    if not np.array_equal(np.asarray(E)[:, idx], X):
        raise WeightsError("a sentence column is not a column of E")
    return idx


def _data(E, Xs, y, pi, In=None):
    """``D_0`` as a Dataset over embeddings ``E`` (plus the one-token samples of ``In`` if missing)."""
    sents, ys, cs = [_indices(X, E) for X in Xs], list(np.asarray(y, dtype=np.intp)), _counts(pi)
    if In is not None:
        have = {int(s[0]) for s in sents if s.size == 1}
        for i in range(len(In)):
            if i not in have:
                sents, ys, cs = sents + [np.array([i])], ys + [int(In[i])], cs + [1]
    return Dataset(_vocab(E), sents, ys, cs)


def _free(Xs, y, pi, n_tokens):
    """``D_0`` from sentence matrices alone: the distinct columns become the embeddings (padded with 0).

    The loss depends on ``X`` only through its columns and on ``y`` only through rows of ``W_ov``,
    so any token numbering of the columns gives the same ``L``.
    """
    cols = np.concatenate([np.asarray(X, dtype=np.float64) for X in Xs], axis=1)
    uniq = np.unique(cols.T, axis=0)
    if uniq.shape[0] > n_tokens:
        raise WeightsError(f"the sentences use {uniq.shape[0]} distinct columns for |V| = {n_tokens} tokens")
    E = np.zeros((cols.shape[0], n_tokens))
    E[:, :uniq.shape[0]] = uniq.T
    return _data(E, Xs, y, pi)


def _two_stage_literal(E, In, Xs, y, pi, eta0, eta, T, T1):
    """Algorithm 1 written with the literal functions: ``W <- W - eta * unit gradient``."""
    ds0, ds = _data(E, [], [], [], In), _data(E, Xs, y, pi)      # stage 2: D_0 exactly as given
    V, d = len(In), np.asarray(E).shape[0]
    W_ov, W_kq = [np.zeros((V, d))], [np.zeros((d, d))]
    for _ in range(T):
        W_ov.append(W_ov[-1] - eta0 * LS.unit_grad_loss0(W_ov[-1], ds0))
    for _ in range(T1):
        W_kq.append(W_kq[-1] - eta * LS.unit_grad_loss(W_ov[-1], W_kq[-1], ds, wrt=("kq",))["kq"])
    return np.array(W_ov), np.array(W_kq)


def _sentences(X, lengths):
    """The sentence matrices of a padded batch ``(N, d, L_max)`` (padding dropped)."""
    return [np.asarray(X)[n, :, :int(k)] for n, k in enumerate(lengths)]


def _batched(f, L_max=None):
    """A per-sentence function ``f(..., X)`` over a padded batch: rows padded with 0 to ``L_max``."""
    def g(*a):
        *w, X, lengths = a
        rows = [np.asarray(f(*w, Xn)) for Xn in _sentences(X, lengths)]
        if L_max is None:
            return np.array(rows)
        out = np.zeros((len(rows), np.shape(X)[2]))
        for n, r in enumerate(rows):
            out[n, :r.size] = r
        return out
    return g


def library_impl() -> dict[str, Callable[..., Any]]:
    """This library's literal face (:mod:`reference.model.transformer`, :mod:`reference.model.loss`) as an impl for ``check``.

    The loss functions build a :class:`reference.data.Dataset` from the arrays (``pi`` back to
    integer counts); Algorithm 1 is a loop over the literal unit gradients; ``W*`` comes from
    :mod:`reference.maxmargin`. The golden outputs come from the engine, so a pass is the
    agreement of two independent computations.

    Returns
    -------
    dict
        One callable per name of :data:`reference.conformance.FUNCTIONS`, with the signatures
        and shapes of that table (Section 3, Eq. (1)-(3), (5), (6), Algorithm 1).

    Raises
    ------
    WeightsError
        (from the callables) A sentence column that is not a column of ``E``, more distinct
        columns than ``abs(V)``, or weights of the wrong shape.
    """
    def ds_of(W_ov, Xs, y, pi):
        return _free(Xs, y, pi, np.asarray(W_ov).shape[0])

    return {
        "attention": tf.attention, "logits": tf.logits, "transformer": tf.transformer,
        "loss": lambda W_ov, W_kq, Xs, y, pi: L.loss(W_ov, W_kq, ds_of(W_ov, Xs, y, pi)),
        "log_loss": lambda W_ov, W_kq, Xs, y, pi: L.log_loss(W_ov, W_kq, ds_of(W_ov, Xs, y, pi)),
        "loss0": lambda W_ov, E, In: L.loss0(W_ov, _data(E, [], [], [], In)),
        "log_loss0": lambda W_ov, E, In: L.log_loss0(W_ov, _data(E, [], [], [], In)),
        "grad_loss": lambda W_ov, W_kq, Xs, y, pi: L.grad_loss(W_ov, W_kq, ds_of(W_ov, Xs, y, pi)),
        "grad_loss0": lambda W_ov, E, In: L.grad_loss0(W_ov, _data(E, [], [], [], In)),
        "unit_grad_loss_ov": lambda W_ov, W_kq, Xs, y, pi: LS.unit_grad_loss(
            W_ov, W_kq, ds_of(W_ov, Xs, y, pi), wrt=("ov",))["ov"],
        "unit_grad_loss_kq": lambda W_ov, W_kq, Xs, y, pi: LS.unit_grad_loss(
            W_ov, W_kq, ds_of(W_ov, Xs, y, pi), wrt=("kq",))["kq"],
        "unit_grad_loss0": lambda W_ov, E, In: LS.unit_grad_loss0(W_ov, _data(E, [], [], [], In)),
        "stage1_step": lambda W_ov, E, In, eta0: W_ov - eta0 * LS.unit_grad_loss0(W_ov, _data(E, [], [], [], In)),
        "stage2_step": lambda W_ov, W_kq, Xs, y, pi, eta: W_kq - eta * LS.unit_grad_loss(
            W_ov, W_kq, ds_of(W_ov, Xs, y, pi), wrt=("kq",))["kq"],
        "max_margin_ov": lambda E, In: mm.max_margin_ov(_data(E, [], [], [], In)).W,
        "max_margin_kq": lambda Xs, y, E, In: mm.max_margin_kq(_data(E, Xs, y, np.ones(len(y)), In)).W,
        "two_stage_ngd": _two_stage_literal,
        "attention_batch": _batched(tf.attention, L_max=True),
        "logits_batch": _batched(tf.logits),
        "transformer_batch": _batched(tf.transformer),
        "loss_batch": lambda W_ov, W_kq, X, lengths, y, pi: L.loss(W_ov, W_kq, ds_of(W_ov, _sentences(X, lengths),
                                                                                   y, pi)),
        "grad_loss_batch": lambda W_ov, W_kq, X, lengths, y, pi: L.grad_loss(
            W_ov, W_kq, ds_of(W_ov, _sentences(X, lengths), y, pi)),
    }


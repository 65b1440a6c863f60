"""The paper's matrices checked once, at the boundary (Section 3): cast to float64 once, bad input named.

``W_ov`` is ``abs(V) x d`` (rows are vocabulary logits; never accepted
transposed), ``W_kq`` is ``d x d``, a sentence ``X`` is ``d x L`` with
``L >= 1``. Everything is cast once to float64 (complex128 where the complex
step asks for it); a wrong shape, a non-numeric dtype or a NaN or inf entry
raises :class:`reference.errors.WeightsError` naming the matrix and the
entry. Used by :mod:`reference.model.transformer` and :mod:`reference.model.loss`.
:func:`check_positive` and :func:`check_count` check the scalar settings of a run
(step sizes, iteration counts) the same way everywhere.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ConfigError, ReferenceValueError, WeightsError
from .vocabulary import Vocabulary

__all__ = ["check_weights", "check_sentence", "as_array", "check_positive", "check_count"]


def check_positive(name: str, x: Any) -> float:
    """``x`` as a float if it is a finite real number > 0, else :class:`ConfigError` naming ``name``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x <= 0:
        raise ConfigError(f"{name} must be a finite number > 0, got {x!r}")
    return float(x)


def check_count(name: str, x: Any) -> int:
    """``x`` as an int if it is an integer >= 0 (not a bool), else :class:`ConfigError` naming ``name``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Integral) or x < 0:
        raise ConfigError(f"{name} must be an integer >= 0, got {x!r}")
    return int(x)


def as_array(x: ArrayLike, name: str, error: type[ReferenceValueError] = WeightsError) -> NDArray[Any]:
    """``np.asarray(x)``, with a ragged nest of lists (or anything else NumPy cannot turn into one
    array) reported as the library's ``error`` naming the argument."""
    try:
        return np.asarray(x)
    except (ValueError, TypeError, OverflowError) as e:
        why = str(e).split(". ", 1)[0].split("\n", 1)[0]
        raise error(f"{name} is not an array of numbers (NumPy: {why})") from None


def _as_matrix(W, name, shape, allow_complex):
    if W is None:
        raise WeightsError(f"{name} is missing (None)")
    W_in = as_array(W, name)
    kinds = "iufc" if allow_complex else "iuf"
    if W_in.dtype.kind not in kinds:
        what = "a real or complex" if allow_complex else "a real"
        raise WeightsError(f"{name} must be {what} numeric array, got dtype {W_in.dtype}")
    if W_in.shape != shape:
        raise WeightsError(f"{name} must have shape {shape}, got {W_in.shape}")
    W = W_in.astype(np.complex128 if W_in.dtype.kind == "c" else np.float64)
    finite = np.isfinite(W)
    if not finite.all():
        i = tuple(int(k) for k in np.argwhere(~finite)[0])
        raise WeightsError(f"{name} has a non-finite entry: {name}[{i[0]}, {i[1]}] = {W[i].item()}")
    return W


# (overloads for type checkers: two real matrices in, two float64 arrays out; None for the skipped one)
@overload
def check_weights(W_ov: ArrayLike | None, W_kq: ArrayLike | None, vocab_or_d: Vocabulary | int,
                  n_tokens: int | None = None, allow_complex: Literal[False] = False, *,
                  skip: None = None) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
@overload
def check_weights(W_ov: ArrayLike | None, W_kq: ArrayLike | None, vocab_or_d: Vocabulary | int,
                  n_tokens: int | None = None, allow_complex: bool = False, *, skip: None = None
                  ) -> tuple[NDArray[np.float64] | NDArray[np.complex128],
                             NDArray[np.float64] | NDArray[np.complex128]]: ...
@overload
def check_weights(W_ov: ArrayLike | None, W_kq: ArrayLike | None, vocab_or_d: Vocabulary | int,
                  n_tokens: int | None = None, allow_complex: bool = False, *, skip: Literal["W_ov"]
                  ) -> tuple[None, NDArray[np.float64] | NDArray[np.complex128]]: ...
@overload
def check_weights(W_ov: ArrayLike | None, W_kq: ArrayLike | None, vocab_or_d: Vocabulary | int,
                  n_tokens: int | None = None, allow_complex: bool = False, *, skip: Literal["W_kq"]
                  ) -> tuple[NDArray[np.float64] | NDArray[np.complex128], None]: ...
@overload
def check_weights(W_ov: ArrayLike | None, W_kq: ArrayLike | None, vocab_or_d: Vocabulary | int,
                  n_tokens: int | None = None, allow_complex: bool = False, *,
                  skip: Literal["W_ov", "W_kq"] | None = None
                  ) -> tuple[NDArray[np.float64] | NDArray[np.complex128] | None,
                             NDArray[np.float64] | NDArray[np.complex128] | None]: ...
def check_weights(W_ov: ArrayLike | None, W_kq: ArrayLike | None, vocab_or_d: Vocabulary | int,
                  n_tokens: int | None = None, allow_complex: bool = False, *,
                  skip: Literal["W_ov", "W_kq"] | None = None
                  ) -> tuple[NDArray[np.float64] | NDArray[np.complex128] | None,
                             NDArray[np.float64] | NDArray[np.complex128] | None]:
    """Validate and cast the weights once, at the boundary: ``W_ov`` (abs(V) x d), ``W_kq`` (d x d).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    vocab_or_d : Vocabulary or int
        The vocabulary (gives ``d`` and ``abs(V)``), or ``d`` itself.
    n_tokens : int, optional
        ``abs(V)``; required when ``vocab_or_d`` is an int and ``W_ov`` is given.
    allow_complex : bool, default False
        Accept complex weights (for complex-step differentiation).
    skip : {None, "W_ov", "W_kq"}
        The one matrix a caller does not need (it is not checked and comes back as None).

    Returns
    -------
    W_ov, W_kq : float64 (or complex128) arrays (None for the skipped one)
        Integer input is cast to float64; the input is never modified.

    Raises
    ------
    WeightsError
        A matrix that is None (missing) or not an array of numbers (a ragged
        nest of lists); wrong shape (a transposed ``W_ov`` included); dtype
        bool, object, string (or complex unless ``allow_complex``); a NaN or inf
        entry (its position named); ``vocab_or_d`` or ``n_tokens`` not a
        Vocabulary or int.

    Notes
    -----
    Serves Section 3 (the shapes of ``W_ov`` and ``W_kq``), for every function
    of this module and of :mod:`reference.model.loss`.
    """
    if isinstance(vocab_or_d, Vocabulary):
        d, n_tokens = vocab_or_d.d, vocab_or_d.n_tokens
    else:
        d = vocab_or_d
    for name, k in (("d", d), ("n_tokens", n_tokens)):
        if k is not None and (isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1):
            raise WeightsError(f"{name} must be a positive integer (or pass the Vocabulary), got {k!r}")
    if skip not in (None, "W_ov", "W_kq"):
        raise WeightsError(f"skip must be None, 'W_ov' or 'W_kq', got {skip!r}")
    out_ov = out_kq = None
    if skip != "W_ov":
        if n_tokens is None:
            raise WeightsError("check_weights needs abs(V) (n_tokens) to check W_ov")
        out_ov = _as_matrix(W_ov, "W_ov", (int(n_tokens), int(d)), allow_complex)
    if skip != "W_kq":
        out_kq = _as_matrix(W_kq, "W_kq", (int(d), int(d)), allow_complex)
    return out_ov, out_kq


def check_sentence(X: ArrayLike, d: int | None = None) -> NDArray[np.float64]:
    """Validate a sentence matrix ``X = [x_1 .. x_L]`` (Section 3) once, at the boundary.

    Parameters
    ----------
    X : array_like, shape (d, L), L >= 1
        Columns are token embeddings; real and finite.
    d : int, optional
        The embedding dimension ``X`` must have (default: any).

    Returns
    -------
    X : ndarray of float64, shape (d, L)
        Integer input is cast; the input is never modified.

    Raises
    ------
    WeightsError
        Not an array of numbers (a ragged nest of lists), not a matrix, ``d``
        rows expected but not found, no column (an empty
        sentence), a non-real dtype, or a NaN or inf entry (its position named).

    Notes
    -----
    Serves every function of this module (the model of Section 3 is defined
    for ``L >= 1``).
    """
    X_in = as_array(X, "X")
    if X_in.dtype.kind not in "iuf":
        raise WeightsError(f"X must be a real numeric array, got dtype {X_in.dtype}")
    if X_in.ndim != 2 or X_in.shape[1] == 0 or (d is not None and X_in.shape[0] != d):
        want = f"({d}, L)" if d is not None else "(d, L)"
        raise WeightsError(f"X must have shape {want} with L >= 1 (one column per token), got {X_in.shape}")
    X = X_in.astype(np.float64)
    finite = np.isfinite(X)
    if not finite.all():
        i, l = (int(k) for k in np.argwhere(~finite)[0])
        raise WeightsError(f"X has a non-finite entry: X[{i}, {l}] = {X[i, l]} (position {l} of the sentence)")
    return X

"""The arguments every loss of :mod:`reference.model.loss` and :mod:`reference.model.loss_scaled` takes.

:func:`check_arguments` validates the weights against the dataset's vocabulary;
:func:`token_columns` lists the collocation pairs ``(x, In(x), W_ov x)`` that
``L_0`` sums over (Section 4.2).
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..data.dataset import Dataset
from ..data.validate import check_weights
from ..errors import CorpusError
from ..structure.orders import collocation

__all__ = ["check_arguments", "token_columns"]


# (overloads for type checkers: real weights come back float64; W_kq is None when need_kq=False)
@overload
def check_arguments(W_ov: ArrayLike | None, W_kq: ArrayLike | None, ds: Dataset, allow_complex: Literal[False], *,
                    need_kq: Literal[True] = True) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
@overload
def check_arguments(W_ov: ArrayLike | None, W_kq: ArrayLike | None, ds: Dataset, allow_complex: Literal[False], *,
                    need_kq: Literal[False]) -> tuple[NDArray[np.float64], None]: ...
@overload
def check_arguments(W_ov: ArrayLike | None, W_kq: ArrayLike | None, ds: Dataset, allow_complex: bool, *,
                    need_kq: Literal[True] = True) -> tuple[NDArray[np.float64] | NDArray[np.complex128],
                                                            NDArray[np.float64] | NDArray[np.complex128]]: ...
@overload
def check_arguments(W_ov: ArrayLike | None, W_kq: ArrayLike | None, ds: Dataset, allow_complex: bool, *,
                    need_kq: Literal[False]) -> tuple[NDArray[np.float64] | NDArray[np.complex128], None]: ...
def check_arguments(W_ov: ArrayLike | None, W_kq: ArrayLike | None, ds: Dataset, allow_complex: bool, *,
                    need_kq: bool = True) -> tuple[NDArray[np.float64] | NDArray[np.complex128] | None,
                                                   NDArray[np.float64] | NDArray[np.complex128] | None]:
    """``(W_ov, W_kq)`` as validated float64 (or complex) arrays for dataset ``ds``.

    ``need_kq=False`` for the functions of ``W_ov`` alone (``L_0``): then ``W_kq`` is ignored and None.

    Raises
    ------
    CorpusError
        ``ds`` is not a :class:`~reference.data.Dataset`.
    WeightsError
        A weight that is None, not an array of numbers, of the wrong shape or dtype, or not finite.
    """
    if not isinstance(ds, Dataset):
        raise CorpusError(f"ds must be a Dataset, got {type(ds).__name__}")
    return check_weights(W_ov, W_kq, ds.vocab, allow_complex=allow_complex, skip=None if need_kq else "W_kq")


def token_columns(W_ov, ds):
    """``[(x, In(x), W_ov x), ...]`` over the vocabulary: the collocation pairs of ``L_0``."""
    In = collocation(ds)
    E = ds.vocab.E
    return [(E[:, i], int(In[i]), W_ov @ E[:, i]) for i in range(ds.vocab.n_tokens)]

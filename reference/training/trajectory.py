"""The record of a training run: per-iterate metrics of Algorithm 1 and its variants.

A :class:`Trajectory` holds, for every iterate ``t`` of each stage, the
quantities the paper's statements are about (docs/paper.md section 7), and the
final, initial and max-margin weights in paper coordinates. The metric names
are part of the library's contract (``reference.theory`` reads them):

==========================  ===========================================================
``stage1[key][t]``          value at ``W_ov^(t)``, ``t = 0..T``
==========================  ===========================================================
``loss0``, ``log_loss0``    ``L_0`` (a **sum** over the vocabulary, Section 4.2) and its log
``norm``                    ``||W_ov^(t)||``
``cos``                     ``<W_bar_ov^(t), W_bar*_ov>`` (nan where ``W_ov = 0``)
``margin_min/max``          min/max over x, ``v != In(x)`` of ``(e_In(x) - e_v)^T W_ov x``
``wrong_spread``            max over x of the spread of the wrong logits (Lemma 3: 0)
``accuracy0``               fraction of tokens x with ``argmax phi(W_ov x) = n(x)``, the
                            correct logit strictly the largest (a tie counts as wrong: 0 at ``W_ov = 0``)
``log_grad_norm``           ``log ||grad L_0||`` (nan at the last t)
``loss_L`` ...              ``L``, ``log L``, accuracy at ``(W_ov^(t), W_kq^(0))`` (``track_L``)
==========================  ===========================================================

==========================  ===========================================================
``stage2[key][t]``          value at ``W_kq^(t)``, ``t = 0..T1`` (``W_ov = W_ov^(T)``)
==========================  ===========================================================
``loss``, ``log_loss``      ``L`` (Eq. 1, pi-weighted mean) and its log
``norm``, ``cos``           ``||W_kq^(t)||``, ``<W_bar_kq^(t), W_bar*_kq>``
``phi_plus_min``            ``min_n phi_+^(n,t)``
``nonopt_max``              largest attention on a non-optimal position
``opt_att_min``             min over n and optimal l of ``phi_l^(n,t)``
``opt_drop_max``            max over n, optimal l of ``phi_l^(n,0) - phi_l^(n,t)`` (Lemma 5: <= 0)
``phi_plus_decrease_max``   max over n of ``phi_+^(n,t-1) - phi_+^(n,t)`` (nan at t=0; Lemma 5: <= 0)
``opt_minus_nonopt_min``    min over n of (min optimal-position minus max non-optimal attention)
``accuracy``                pi-weighted fraction of sentences with ``argmax T = next token``
                            (ties go to the smallest index, as :func:`reference.model.transformer.predict`)
``ugrad_star``              ``<grad/||grad||, W_bar*_kq>`` (Lemma 6; nan at the last t)
``ugrad_W``, ``ugrad_Wstar`` ``<grad/||grad||, W_kq^(t)>``, ``<grad/||grad||, W*_kq>`` (Lemma 7)
``gap_opt_noncomp``         min over queries of ``(x* - x0)^T W_kq x_q`` (Theorem 3)
``gap_noncomp_nonopt``      min over queries of ``(x0 - x)^T W_kq x_q`` (Theorem 3)
``log_grad_norm``           ``log ||grad_W_kq L||`` (nan at the last t)
==========================  ===========================================================

``grad`` is always ``grad_{W_kq} L`` alone (for the joint variant, its block
of the joint gradient, normalised on its own; there ``stage1["log_grad_norm"]``
is the norm of the ``W_ov`` block of ``grad L``, since ``L_0`` is not trained).
Quantities with nothing to range over (no non-optimal position, no query with
both token types) are nan; so are the ``ugrad_*`` of an iterate whose
``W_kq`` block of the gradient is exactly zero (the joint variant at ``t = 0``
from zero, where ``W_ov = 0``; its ``log_grad_norm`` is then ``-inf``).
The rows are computed by :class:`reference.training.metrics.Metrics`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ConfigError
from .trajectory_file import ARRAYS, load_parts, save_parts

__all__ = ["Trajectory", "STAGE1_KEYS", "STAGE2_KEYS", "STAGE1_L_KEYS"]

STAGE1_KEYS = ("loss0", "log_loss0", "norm", "cos", "margin_min", "margin_max", "wrong_spread",
               "accuracy0", "log_grad_norm")
STAGE1_L_KEYS = ("loss_L", "log_loss_L", "accuracy_L")
STAGE2_KEYS = ("loss", "log_loss", "norm", "cos", "phi_plus_min", "nonopt_max", "opt_att_min",
               "opt_drop_max", "phi_plus_decrease_max", "opt_minus_nonopt_min", "accuracy",
               "ugrad_star", "ugrad_W", "ugrad_Wstar", "gap_opt_noncomp", "gap_noncomp_nonopt",
               "log_grad_norm")


class Trajectory:
    """Per-iterate metrics of one run of :func:`reference.training.algorithm.two_stage_ngd`.

    Attributes
    ----------
    config : dict
        eta0, eta, T, T1, init ("zero", "random" or "given"), init_norm, seed,
        variant, record, N, L_max, n_tokens, d, n_stage1, n_stage2 (the number
        of iterations actually recorded: ``len(stage1[k]) - 1`` etc.).
    stage1, stage2 : dict of str -> float array
        See the module docstring for every key.
    W_ov, W_kq : arrays, shapes (abs(V), d), (d, d)
        Final weights (paper coordinates).
    W_ov_init, W_kq_init : arrays
        Initial weights.
    W_ov_star, W_kq_star : arrays or None
        The certified max-margin solutions of Eq. (2) and Eq. (3).
    star_norm_ov, star_norm_kq : float
        ``||W*_ov||``, ``||W*_kq||`` (nan without them).
    W_ov_iterates, W_kq_iterates : arrays or None
        With ``record="full"``: every iterate, shapes (n_stage1+1, abs(V), d) and (n_stage2+1, d, d).
    """

    config: dict[str, Any]
    stage1: dict[str, NDArray[np.float64]]
    stage2: dict[str, NDArray[np.float64]]
    W_ov: NDArray[np.float64]
    W_kq: NDArray[np.float64]
    W_ov_init: NDArray[np.float64]
    W_kq_init: NDArray[np.float64]
    W_ov_star: NDArray[np.float64] | None
    W_kq_star: NDArray[np.float64] | None
    star_norm_ov: float
    star_norm_kq: float
    W_ov_iterates: NDArray[np.float64] | None
    W_kq_iterates: NDArray[np.float64] | None

    def __init__(self, config: Mapping[str, Any], stage1: Mapping[str, ArrayLike], stage2: Mapping[str, ArrayLike],
                 W_ov: NDArray[np.float64], W_kq: NDArray[np.float64], W_ov_init: NDArray[np.float64],
                 W_kq_init: NDArray[np.float64], W_ov_star: NDArray[np.float64] | None = None,
                 W_kq_star: NDArray[np.float64] | None = None, W_ov_iterates: NDArray[np.float64] | None = None,
                 W_kq_iterates: NDArray[np.float64] | None = None) -> None:
        self.config = dict(config)
        self.stage1 = {k: np.asarray(v, dtype=np.float64) for k, v in stage1.items()}
        self.stage2 = {k: np.asarray(v, dtype=np.float64) for k, v in stage2.items()}
        self.W_ov, self.W_kq = W_ov, W_kq
        self.W_ov_init, self.W_kq_init = W_ov_init, W_kq_init
        self.W_ov_star, self.W_kq_star = W_ov_star, W_kq_star
        self.W_ov_iterates, self.W_kq_iterates = W_ov_iterates, W_kq_iterates
        self.star_norm_ov = float(np.linalg.norm(W_ov_star)) if W_ov_star is not None else np.nan
        self.star_norm_kq = float(np.linalg.norm(W_kq_star)) if W_kq_star is not None else np.nan

    def __repr__(self) -> str:
        c = self.config
        return (f"Trajectory(variant={c.get('variant')!r}, T={c.get('T')}, T1={c.get('T1')}, "
                f"L={self.stage2['loss'][-1]:.3g}, cos_kq={self.stage2['cos'][-1]:.6f})")

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> tuple[str, str]:
        """Write ``NAME.npz`` (every array, bit for bit) and ``NAME.json`` (config, names, content hash).

        Each file is written whole or not at all (temporary file, then one rename), and an
        existing file that is not a saved trajectory is never overwritten
        (:mod:`reference.training.trajectory_file`).

        Parameters
        ----------
        path : str or os.PathLike
            File name without extension (a trailing ``.npz`` or ``.json`` is dropped).

        Returns
        -------
        (str, str)
            The two file names written.

        Raises
        ------
        ConfigError
            ``NAME.npz`` or ``NAME.json`` exists and is not a saved trajectory, or is a symbolic link.
        OSError
            The directory does not exist or is not writable, or the disk is full.
        """
        arrays = {n: getattr(self, n) for n in ARRAYS if getattr(self, n) is not None}
        return save_parts(path, self.config, self.stage1, self.stage2, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Trajectory:
        """Read a trajectory written by :meth:`save` (``path`` with or without extension), every claim checked.

        Parameters
        ----------
        path : str or os.PathLike

        Returns
        -------
        Trajectory
            Equal (``==``, bit for bit) to the one saved.

        Raises
        ------
        ConfigError
            Missing or damaged file, not a trajectory, arrays of the wrong shape, more memory than
            the machine has, or the two files are not a pair (content hash; see
            :func:`reference.training.trajectory_file.load_parts`).
        """
        config, s1, s2, arrays = load_parts(path)
        return cls(config, s1, s2, **{n: arrays.get(n) for n in ARRAYS})

    def __eq__(self, other: object) -> bool:
        """Bit-for-bit equality of every array (nan equal to nan) and of the config."""
        if not isinstance(other, Trajectory) or self.config != other.config:
            return False
        if list(self.stage1) != list(other.stage1) or list(self.stage2) != list(other.stage2):
            return False
        pairs = [(self.stage1[k], other.stage1[k]) for k in self.stage1]
        pairs += [(self.stage2[k], other.stage2[k]) for k in self.stage2]
        pairs += [(getattr(self, n), getattr(other, n)) for n in ARRAYS]
        for a, b in pairs:
            if (a is None) != (b is None):
                return False
            if a is not None and (a.dtype != b.dtype or a.shape != b.shape
                                  or a.tobytes() != b.tobytes()):
                return False
        return True

    __hash__ = None                                     # type: ignore[assignment]

    # ------------------------------------------------------------------ tables
    def table(self, stage: int) -> tuple[list[str], list[list[float]]]:
        """``(header, rows)`` of one stage: column ``t`` then every metric, one row per iterate.

        Parameters
        ----------
        stage : {1, 2}

        Returns
        -------
        header : list of str
            ``["t", key, ...]``.
        rows : list of lists
            One per recorded iterate: ``t`` then the value of every key.

        Raises
        ------
        ConfigError
            ``stage`` is not 1 or 2.
        """
        if stage not in (1, 2) or isinstance(stage, bool):
            raise ConfigError(f"stage must be 1 or 2, got {stage!r}")
        d = self.stage1 if stage == 1 else self.stage2
        keys = list(d)
        n = len(next(iter(d.values())))
        return ["t"] + keys, [[t] + [float(d[k][t]) for k in keys] for t in range(n)]

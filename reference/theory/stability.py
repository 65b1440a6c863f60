"""Claim 3: linear stability of the exactly aligned stage-1 trajectory (docs/claims.md).

With zero initialisation and Assumption 2, stage 1 of Algorithm 1 is exactly
``W_ov^(t) = t eta0 W_bar*_ov`` (docs/theory.md, erratum ``corollary1-upper``):
every margin is ``m_t = t eta0 / ||W*_ov||``. Linearising the normalised step
``W <- W - eta0 g(W)`` around it (token coordinates ``B = W_ov E``; ``b*_x =
e_In(x) - 1/|V|``, column ``x`` of ``B*``; ``kappa = eta0 / ||W*_ov||``) splits
the perturbations into invariant subspaces with per-step factors

====================================  ==============  ====================================
subspace                              dimension       factor at step t
====================================  ==============  ====================================
unequal margins: ``s_x b*_x``,        ``|V| - 1``     ``1 - kappa p_t``
``sum_x s_x = 0``
unequal wrong logits: columns         ``|V|(|V|-2)``  ``1 - kappa / |V|``
orthogonal to ``1`` and ``b*_x``
along the trajectory (``B*``) and     ``1 + |V|``     ``1`` (neutral)
``1`` in each column (softmax shift)
====================================  ==============  ====================================

with ``p_t = 1/(1 + (|V|-1) e^{-m_t})`` the probability of the correct token.
The aligned trajectory is therefore linearly unstable iff ``kappa > 2`` (``p_t -> 1``;
the margins split) and, independently, iff ``kappa > 2 |V|`` (the wrong logits split,
Lemma 3's structure). The engine keeps it anyway because it evaluates every column
with the same arithmetic (:meth:`reference.training.engine.Engine.stage1`).
"""

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..maxmargin.closedforms import W_ov_star_closed_form
from ..structure.orders import collocation
from ..training.engine import Engine

__all__ = ["stage1_growth_factors", "stage1_predicted_log10_growth", "stage1_components",
           "PerturbationGrowth", "stage1_perturbation_growth", "PERTURBATION", "LINEAR_LIMIT"]

#: Size of the perturbation of ``W_ov^(0)`` (Frobenius norm) whose growth is measured.
PERTURBATION = 1e-12
#: A component counts as in the linear regime while its norm is below this (the
#: neglected second-order terms are then ``~ 1e-3`` of the first-order ones).
LINEAR_LIMIT = 1e-3


def _check(eta0, n_tokens, star_norm_ov):
    for k, v in (("eta0", eta0), ("n_tokens", n_tokens), ("star_norm_ov", star_norm_ov)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                or not math.isfinite(v) or v <= 0:
            raise ConfigError(f"{k} must be a finite number > 0, got {v!r}")


def stage1_growth_factors(t, *, eta0, n_tokens, star_norm_ov):
    """Per-step factors of the linearised stage 1 around ``t eta0 W_bar*_ov`` (module table).

    Parameters
    ----------
    t : array_like of int, shape (n,)
        Stage-1 iterates (the step from ``t`` to ``t + 1``).
    eta0 : float
        Stage-1 step.
    n_tokens : int
        ``|V|``.
    star_norm_ov : float
        ``||W*_ov|| = sqrt(|V| - 1)`` (Eq. 2).

    Returns
    -------
    margin : ndarray, shape (n,)
        ``1 - kappa p_t`` on the subspace of unequal margins.
    wrong : ndarray, shape (n,)
        ``1 - kappa / |V|`` on the subspace of unequal wrong logits (constant in ``t``).

    Raises
    ------
    ConfigError
        A step, count or norm that is not a finite number > 0.
    """
    _check(eta0, n_tokens, star_norm_ov)
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    kappa = eta0 / star_norm_ov
    m = t * kappa
    p = 1.0 / (1.0 + (n_tokens - 1) * np.exp(-m))
    return 1.0 - kappa * p, np.full(t.shape, 1.0 - kappa / n_tokens)


def stage1_predicted_log10_growth(T, *, eta0, n_tokens, star_norm_ov):
    """``log10`` of the amplification of a stage-1 perturbation over ``T`` steps: ``(margins, wrong logits)``.

    ``sum_{t < T} log10 |factor_t|`` for each unstable subspace (:func:`stage1_growth_factors`);
    the larger of the two is the growth of the worst perturbation of ``W_ov^(0)``.

    Parameters
    ----------
    T : int >= 0
        Stage-1 iterations.
    eta0 : float
    n_tokens : int
    star_norm_ov : float

    Returns
    -------
    tuple of float
        (unequal margins, unequal wrong logits; the latter 0 for ``|V| = 2``, where that subspace is empty).

    Raises
    ------
    ConfigError
        Bad constants, or ``T`` not an integer >= 0.
    """
    if isinstance(T, bool) or not isinstance(T, (int, np.integer)) or T < 0:
        raise ConfigError(f"T must be an integer >= 0, got {T!r}")
    mg, wr = stage1_growth_factors(np.arange(T), eta0=eta0, n_tokens=n_tokens, star_norm_ov=star_norm_ov)
    with np.errstate(divide="ignore"):
        a = float(np.sum(np.log10(np.abs(mg))))
        b = float(np.sum(np.log10(np.abs(wr)))) if n_tokens > 2 else 0.0
    return a, b


def stage1_components(ds, W_ov):
    """Norms of the parts of ``W_ov`` that leave the aligned trajectory: ``(unequal margins, wrong logits)``.

    In token coordinates ``B = W_ov E``: ``s_x = <b_x, b*_x>/||b*_x||^2`` per column;
    the margin part is ``sum_x (s_x - mean s) b*_x``, the wrong-logit part is what is left of
    each column after removing its multiples of ``1`` and ``b*_x``. Both are 0 exactly on
    ``c W_bar*_ov + (shift per column)``.

    Parameters
    ----------
    ds : Dataset
        With a collocation and orthonormal ``E``.
    W_ov : array, shape (abs(V), d)

    Returns
    -------
    tuple of float
        Frobenius norms of the two parts.

    Raises
    ------
    AssumptionError
        No collocation or non-orthonormal ``E``.
    """
    In, V = collocation(ds), ds.vocab.n_tokens
    B = np.asarray(W_ov, dtype=np.float64) @ ds.vocab.E
    Bc = B - B.mean(axis=0, keepdims=True)                    # remove the softmax shift of each column
    bstar = -np.full((V, V), 1.0 / V)
    bstar[In, np.arange(V)] += 1.0
    s = np.sum(Bc * bstar, axis=0) / ((V - 1) / V)
    margin = float(np.sqrt(np.sum((s - s.mean()) ** 2) * (V - 1) / V))
    wrong = float(np.linalg.norm(Bc - s[None, :] * bstar))
    return margin, wrong


@dataclass(frozen=True)
class PerturbationGrowth:
    """A stage-1 run from ``W_ov^(0) = PERTURBATION * (random unit matrix)`` against the linear prediction.

    Attributes
    ----------
    kappa : float
        ``eta0 / ||W*_ov||`` (unstable margins iff > 2, unstable wrong logits iff > 2|V|).
    predicted_log10 : tuple of float
        :func:`stage1_predicted_log10_growth` over the whole stage 1 (margins, wrong logits).
    margin, wrong : ndarrays, shape (T + 1,)
        :func:`stage1_components` of the perturbed iterates.
    predicted_margin, predicted_wrong : ndarrays, shape (T + 1,)
        The linear prediction from the measured components at ``t = 0``.
    linear_steps : int
        Steps ``t`` (from 0) while both measured components are below :data:`LINEAR_LIMIT`.
    max_rel_error : float
        Largest relative error of the measured against the predicted components over those steps
        (components below ``1e3`` ulps of the weights' scale are left out).
    steps_to_unit : int or None
        First ``t`` where a component reaches 1 (None: never within ``T``).
    final_cos, final_margin_spread : float
        ``<W_bar_ov^(T), W_bar*_ov>`` and max minus min margin of the perturbed run (the
        unperturbed run has 1 and 0).
    """

    kappa: float
    predicted_log10: tuple
    margin: np.ndarray
    wrong: np.ndarray
    predicted_margin: np.ndarray
    predicted_wrong: np.ndarray
    linear_steps: int
    max_rel_error: float
    steps_to_unit: object
    final_cos: float
    final_margin_spread: float

    def summary(self):
        """One line for a report (e.g. ``verify``)."""
        a, b = self.predicted_log10
        unit = "never" if self.steps_to_unit is None else f"at t = {self.steps_to_unit}"
        return (f"stage 1: eta0/||W*_ov|| = {self.kappa:.4g} ({'unstable' if max(a, b) > 0 else 'stable'}); "
                f"a {PERTURBATION:g} perturbation of W_ov^(0) grows by 10^{max(a, b):.1f} (linear prediction; "
                f"measured within {self.max_rel_error:.1e} over {self.linear_steps} steps), reaches 1 {unit}; "
                f"perturbed run: cos {self.final_cos:.6f}, margin spread {self.final_margin_spread:.3g}")


def stage1_perturbation_growth(ds, eta0, T, *, rng, eps=PERTURBATION):
    """Measure how a perturbation of the zero initialisation grows in stage 1, against the linear prediction.

    Runs stage 1 of Algorithm 1 (the engine) from ``W_ov^(0) = eps U``, ``U`` a random matrix
    of unit Frobenius norm in the span of ``E``, and compares the parts that leave the
    aligned trajectory (:func:`stage1_components`) with the products of
    :func:`stage1_growth_factors`. For a run of ``verify``, pass its dataset, ``eta0`` and ``T``.

    Parameters
    ----------
    ds : Dataset
        Assumption 2, a collocation.
    eta0 : float > 0
    T : int >= 0
    rng : numpy.random.Generator
        Draws ``U``.
    eps : float > 0
        Size of the perturbation.

    Returns
    -------
    PerturbationGrowth

    Raises
    ------
    ConfigError
        Bad ``eta0``, ``T``, ``eps`` or ``rng``.
    AssumptionError
        No collocation or non-orthonormal ``E``.
    """
    if not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    _check(eta0, 1, 1.0)
    _check(eps, 1, 1.0)
    V = ds.vocab.n_tokens
    W_star = W_ov_star_closed_form(ds)
    star = float(np.linalg.norm(W_star))
    factors = stage1_growth_factors(np.arange(max(T, 0)), eta0=eta0, n_tokens=V, star_norm_ov=star)
    logs = stage1_predicted_log10_growth(T, eta0=eta0, n_tokens=V, star_norm_ov=star)
    eng = Engine(ds)
    U = rng.standard_normal((V, V))
    B = eps * U / np.linalg.norm(U)
    E = ds.vocab.E
    comps = [stage1_components(ds, B @ E.T)]
    for _ in range(T):
        B = B - eta0 * eng.stage1(B).grad_dir
        comps.append(stage1_components(ds, B @ E.T))
    comps = np.array(comps)
    pred = np.empty_like(comps)
    pred[0] = comps[0]
    with np.errstate(divide="ignore", over="ignore"):        # the prediction may pass 1e308: inf
        pred[1:] = comps[0] * np.exp(np.cumsum(np.log(np.abs(np.column_stack(factors))), axis=0))
    big = np.max(comps, axis=1)
    lin = int(np.argmax(big >= LINEAR_LIMIT)) if np.any(big >= LINEAR_LIMIT) else T + 1
    # rounding floor of a component: ~1e3 ulps of the weights' scale t eta0
    floor = 1e3 * np.finfo(float).eps * np.maximum(1.0, np.arange(T + 1) * eta0)[:, None]
    ok = (comps[:lin] > floor[:lin]) & (pred[:lin] > floor[:lin])
    err = float(np.max(np.abs(comps[:lin] - pred[:lin])[ok] / pred[:lin][ok], initial=0.0))
    unit = np.flatnonzero(big >= 1.0)
    W = B @ E.T
    margins = B[collocation(ds), np.arange(V)][None, :] - B
    off = margins[np.arange(V)[:, None] != collocation(ds)[None, :]]
    return PerturbationGrowth(
        kappa=eta0 / star, predicted_log10=logs, margin=comps[:, 0], wrong=comps[:, 1],
        predicted_margin=pred[:, 0], predicted_wrong=pred[:, 1], linear_steps=lin, max_rel_error=err,
        steps_to_unit=int(unit[0]) if unit.size else None,
        final_cos=float(np.sum(W * W_star) / (np.linalg.norm(W) * star)) if np.any(W) else float("nan"),
        final_margin_spread=float(np.max(off) - np.min(off)) if off.size else 0.0)

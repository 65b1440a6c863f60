"""Algorithm 1 (two-stage normalized gradient descent) and named variants for ablations.

Algorithm 1 (paper Section 4.2; docs/paper.md section 5)::

    init: W_ov = 0 (abs(V) x d), W_kq = 0 (d x d)
    stage 1, t = 0..T-1:   W_ov <- W_ov - eta0 * grad L_0(W_ov) / ||grad L_0(W_ov)||
    stage 2, t = 0..T1-1:  W_kq <- W_kq - eta  * grad_W_kq L(W_ov^(T), W_kq) / ||...||

run in token coordinates (``B = W_ov E``, ``A = E^T W_kq E``, docs/derivations.md \"Two
faces\") with :class:`reference.training.engine.Engine`: ``B <- B - eta0 * e0.grad_dir``
and ``A <- A - eta * e.grad_dir["A"]``. Frobenius norms agree in both
coordinates, so this *is* Algorithm 1; the part of a non-zero initial weight
outside the span of ``E`` never moves (every gradient lies in the span) and is
carried along exactly.

Variants (``variant=``), each **not** the paper's algorithm:

``"joint"``
    One stage of joint normalized GD on ``(W_ov, W_kq)`` from the same
    initialisation, the gradient normalised jointly:
    ``(W_ov, W_kq) <- (W_ov, W_kq) - eta_t (grad_ov, grad_kq) / ||(grad_ov, grad_kq)||``
    for ``T + T1`` iterations with ``eta_t = eta0`` for ``t < T`` and ``eta``
    after (the same step schedule and total distance as Algorithm 1). Its
    ``stage1`` and ``stage2`` dicts are both indexed by the joint iteration
    (length ``T + T1 + 1``); ``stage1`` holds ``L_0`` etc. at ``W_ov^(t)``.
``"plain_gd"``
    Algorithm 1 without normalisation: ``W <- W - eta * grad`` with the same
    ``eta0``, ``eta``, ``T``, ``T1``.
``"short_stage1"``
    Algorithm 1 with stage 1 cut to ``T_short`` iterations (default
    ``max(1, T // 100)``), then ``T1`` iterations of stage 2; the paper's
    Theorem 2 needs ``T`` large.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ..data.dataset import Dataset
from ..data.validate import check_count, check_positive
from ..maxmargin.solvers import MaxMarginSolution
from ..errors import ConfigError, WeightsError
from ..numerics import _norm
from .engine import Engine
from .metrics import Metrics
from .progress import Progress
from .run_size import check_reach, check_run_size
from .trajectory import STAGE1_KEYS, STAGE1_L_KEYS, STAGE2_KEYS, Trajectory

__all__ = ["two_stage_ngd", "VARIANTS"]

#: variant name -> one-line description (every one but "two_stage" is NOT the paper's algorithm)
VARIANTS = {
    "two_stage": "Algorithm 1 of the paper: stage 1 on L_0, then stage 2 on L with W_ov frozen",
    "joint": "NOT the paper's: one stage of joint NGD on (W_ov, W_kq), normalised jointly",
    "plain_gd": "NOT the paper's: Algorithm 1 without gradient normalisation",
    "short_stage1": "NOT the paper's schedule: Algorithm 1 with a short stage 1 (T_short)",
}
RECORDS = ("summary", "full")
#: Largest number of iterates whose metrics are computed together.
_BATCH = 64

# ---------------------------------------------------------------------- validation


def _initial(init, rng, V, d):
    """``(W_ov, W_kq, kind, init_norm)`` from the ``init`` option."""
    if isinstance(init, str):
        if init != "zero":
            raise ConfigError(f"init must be 'zero', ('random', norm) or (W_ov, W_kq), got {init!r}")
        return np.zeros((V, d)), np.zeros((d, d)), "zero", None
    if isinstance(init, dict):
        init = (init.get("W_ov"), init.get("W_kq"))
    if not isinstance(init, (tuple, list)) or len(init) != 2:
        raise ConfigError(f"init must be 'zero', ('random', norm) or (W_ov, W_kq), got {init!r}")
    if isinstance(init[0], str):
        if init[0] != "random":
            raise ConfigError(f"init ({init[0]!r}, ...): only ('random', norm) is known")
        norm = check_positive("the norm of a random init", init[1])
        if not isinstance(rng, np.random.Generator):
            raise ConfigError("init=('random', norm) needs rng=np.random.default_rng(seed)")
        W_ov, W_kq = rng.standard_normal((V, d)), rng.standard_normal((d, d))
        return W_ov * (norm / np.linalg.norm(W_ov)), W_kq * (norm / np.linalg.norm(W_kq)), "random", norm
    out = []
    for name, W, shape in (("W_ov", init[0], (V, d)), ("W_kq", init[1], (d, d))):
        W = np.asarray(W) if W is not None else None
        if W is None or W.dtype.kind not in "iuf" or W.shape != shape:
            raise WeightsError(f"init: {name} must be a real array of shape {shape}, "
                               f"got {None if W is None else (W.dtype, W.shape)}")
        W = W.astype(np.float64)
        if not np.all(np.isfinite(W)):
            raise WeightsError(f"init: {name} has NaN or inf entries")
        out.append(W)
    return out[0], out[1], "given", None


def _stars(ds, W_star):
    """``(W*_ov, W*_kq)`` from the option ``W_star`` (None: solve and certify; False: none)."""
    if W_star is False:
        return None, None
    if W_star is None:
        from ..maxmargin.solvers import max_margin_kq, max_margin_ov
        return max_margin_ov(ds).W, max_margin_kq(ds).W
    try:
        a, b = W_star
    except (TypeError, ValueError):
        raise ConfigError("W_star must be None, False or a pair (W*_ov, W*_kq)") from None
    return tuple(np.asarray(getattr(s, "W", s), dtype=np.float64) for s in (a, b))


def _direction(e, where, what):
    """Check a gradient evaluation: ConfigError if the gradient is exactly zero, else the direction.

    ``log_grad_norm == -inf`` means a zero gradient (the engine may then give 0/0 entries);
    any other non-finite value is a numerical failure, reported, never used.
    """
    if e.log_grad_norm == -np.inf:
        raise ConfigError(f"{where}: {what} is exactly zero; the normalised step is undefined")
    G = e.grad_dir if getattr(e, "grad_pairs", None) is None else {"A": e.grad_pairs}
    if G is not e.grad_dir:                                 # the fast paths' sparse form (index, value)
        if not np.isfinite(e.log_grad_norm) or not np.isfinite(np.add.reduce(e.grad_pairs[1])):
            raise WeightsError(f"{where}: the gradient of {what} is not finite (numerical failure)")
        return G
    # entries of a unit-norm direction are at most 1, so a sum is finite iff every entry is
    if not np.isfinite(e.log_grad_norm) or not all(np.isfinite(np.add.reduce(g, axis=None)) for g in
                                                   (G.values() if isinstance(G, dict) else (G,))):
        raise WeightsError(f"{where}: the gradient of {what} is not finite (numerical failure)")
    return G


# ---------------------------------------------------------------------- the algorithm
def two_stage_ngd(ds: Dataset, eta0: float, eta: float, T: int, T1: int,
                  init: str | tuple[Any, Any] | list[Any] | dict[str, ArrayLike] = "zero",
                  rng: np.random.Generator | None = None, record: str = "summary", variant: str = "two_stage", *,
                  T_short: int | None = None, track_L: bool = False,
                  W_star: Literal[False] | Sequence[ArrayLike | MaxMarginSolution] | None = None,
                  progress: bool | None = None, engine: Engine | None = None) -> Trajectory:
    """Algorithm 1: two-stage normalized gradient descent (Section 4.2), or a named variant.

    ``W_ov^(t+1) = W_ov^(t) - eta0 grad L_0 / ||grad L_0||`` for ``t < T``, then
    ``W_kq^(t+1) = W_kq^(t) - eta grad_W_kq L / ||grad_W_kq L||`` for ``t < T1``
    with ``W_ov = W_ov^(T)`` frozen (Frobenius norms, no ``+eps``, constant steps).

    Parameters
    ----------
    ds : Dataset
        Training set ``D_0``; its embeddings must be orthonormal (Assumption 2).
    eta0, eta : float > 0
        Step sizes of stage 1 and stage 2.
    T, T1 : int >= 0
        Iterations of stage 1 and stage 2.
    init : "zero", ("random", norm) or (W_ov, W_kq)
        ``"zero"`` is the paper's. ``("random", norm)`` draws Gaussian ``W_ov``
        (abs(V) x d) then ``W_kq`` (d x d) from ``rng``, each rescaled to Frobenius
        norm ``norm``. A pair (or dict) of arrays is used as given.
    rng : numpy.random.Generator, optional
        Required by ``init=("random", norm)``; nothing else is random.
    record : {"summary", "full"}
        ``"full"`` also keeps every iterate (``W_ov_iterates``, ``W_kq_iterates``).
    variant : str
        ``"two_stage"`` (Algorithm 1) or one of :data:`VARIANTS` (not the paper's).
    T_short : int, optional
        Stage-1 length of ``"short_stage1"`` (default ``max(1, T // 100)``, at most ``T``).
    track_L : bool
        Also record ``L`` at ``(W_ov^(t), W_kq^(0))`` during stage 1 (keys ``loss_L`` ...).
    W_star : None, False or (W*_ov, W*_kq)
        Reference directions for the cosines: None solves Eq. (2) and Eq. (3)
        with :mod:`reference.maxmargin` (certified); a pair (arrays or solutions)
        is used as given; False records nan cosines.
    progress : None, bool
        Progress line on stderr: None prints only for runs longer than 2 s.
    engine : Engine, optional
        A prebuilt ``Engine(ds)`` to reuse.

    Returns
    -------
    Trajectory
        Metrics of every iterate (``stage1``: length ``T+1``, ``stage2``: length ``T1+1``;
        see :mod:`reference.training.trajectory` for the keys and the joint variant's layout).

    Raises
    ------
    ConfigError
        Invalid setting; records that would not fit in memory (estimated before anything is
        allocated, with a lower bound on the time); steps that could carry the weights past
        :data:`reference.training.run_size.MAX_WEIGHT_NORM` (``||W^(0)|| + eta T``, float64 overflow); or a gradient that is
        exactly zero (the normalised step is undefined; the message names the stage and t).
    WeightsError
        Given initial weights of the wrong shape or not finite.
    AssumptionError
        Non-orthonormal embeddings or no collocation.

    Notes
    -----
    Serves Lemma 1, Proposition 1, Lemma 3, Lemmas 5-7 and Theorems 1-3 (docs/paper.md section 7).
    """
    if not isinstance(ds, Dataset):
        raise ConfigError(f"ds must be a Dataset, got {type(ds).__name__}")
    eta0, eta = check_positive("eta0", eta0), check_positive("eta", eta)
    T, T1 = check_count("T", T), check_count("T1", T1)
    if not isinstance(variant, str) or variant not in VARIANTS:
        raise ConfigError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    if not isinstance(record, str) or record not in RECORDS:
        raise ConfigError(f"record must be one of {RECORDS}, got {record!r}")
    if not (progress is None or isinstance(progress, bool)) or not isinstance(track_L, bool):
        raise ConfigError("progress must be None, True or False and track_L a bool")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise ConfigError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    T_run = T
    if variant == "short_stage1":
        T_run = max(1, T // 100) if T_short is None else check_count("T_short", T_short)
        if T_run > T:
            raise ConfigError(f"T_short = {T_run} must not exceed T = {T}")
    elif T_short is not None:
        raise ConfigError(f"T_short is an option of variant 'short_stage1', not {variant!r}")
    n1, n2 = (T + T1, T + T1) if variant == "joint" else (T_run, T1)
    check_run_size(ds.vocab.n_tokens, ds.vocab.d, n1, n2, track_L=track_L, record=record)
    eng = engine if engine is not None else Engine(ds)
    if eng.ds is not ds:
        raise ConfigError("engine was built for another dataset")
    V, d = ds.vocab.n_tokens, ds.vocab.d
    W_ov0, W_kq0, kind, init_norm = _initial(init, rng, V, d)
    # (plain GD's steps scale with the gradient, so no a-priori bound applies to it)
    n_ov, n_kq = _norm(W_ov0), _norm(W_kq0)                    # no overflow for entries above 1e154
    if variant == "joint":
        check_reach("eta0", eta0, T, n_ov + n_kq)
        check_reach("eta", eta, T1, n_ov + n_kq + eta0 * T)
    elif variant != "plain_gd":
        check_reach("eta0", eta0, T_run, n_ov)
        check_reach("eta", eta, T1, n_kq)
    B, A = eng.to_coords(W_ov0, W_kq0)
    perp_ov, perp_kq = eng.to_weights(B, A)
    perp_ov, perp_kq = W_ov0 - perp_ov, W_kq0 - perp_kq       # parts outside the span of E
    Ws_ov, Ws_kq = _stars(ds, W_star)
    B_star = None if Ws_ov is None else eng.to_coords(Ws_ov, np.zeros((d, d)))[0]
    A_star = None if Ws_kq is None else eng.to_coords(np.zeros((V, d)), Ws_kq)[1]
    met = Metrics(eng, B_star, A_star, _norm(perp_ov), _norm(perp_kq))

    config = {"eta0": eta0, "eta": eta, "T": T, "T1": T1, "init": kind, "init_norm": init_norm,
              "seed": None, "variant": variant, "record": record, "N": ds.N, "L_max": ds.L_max,
              "n_tokens": V, "d": d, "track_L": track_L}
    if variant == "short_stage1":
        config["T_short"] = T_run
    config.update(n_stage1=n1, n_stage2=n2)
    s1 = {k: np.full(n1 + 1, np.nan) for k in STAGE1_KEYS + (STAGE1_L_KEYS if track_L else ())}
    s2 = {k: np.full(n2 + 1, np.nan) for k in STAGE2_KEYS}
    full = record == "full"
    it_ov: Any = np.empty((n1 + 1, V, d)) if full else None     # (Any: indexed only when full)
    it_kq: Any = np.empty((n2 + 1, d, d)) if full else None
    prog = Progress(f"{variant} (|V|={V}, N={ds.N})", n1 + n2 if variant != "joint" else n1,
                    enabled=progress)

    def put(dic, t, row):
        for k, v in row.items():
            dic[k][t] = v

    # the metrics of K iterates are computed together (the same numbers as row by row, see
    # Metrics.stage2_rows): it saves the per-call overhead on small data; on large data, where a
    # row costs far more than the overhead, K drops to 1 (the stacked arrays stay below ~2 MB)
    K = int(max(1, min(_BATCH, 2**18 // (len(eng.g_sent) + V * V + ds.N))))
    batch: list[tuple[Any, ...]] = []

    def flush(dic, rows_of):
        if batch:
            rows = rows_of(*zip(*(b[1:] for b in batch)))
            t0 = batch[0][0]
            for k, v in rows.items():
                dic[k][t0:t0 + len(batch)] = v
            batch.clear()

    if variant == "joint":
        for t in range(n1 + 1):
            last = t == n1
            with np.errstate(invalid="ignore", divide="ignore"):    # 0/0 of a zero gradient: see _direction
                e = eng.stage2(B, A, grad=() if last else ("B", "A"))
            e0 = eng.stage1(B, grad=False)
            gA = None
            if not last:
                _direction(e, f"joint NGD, t={t}", "the gradient of L")
                nA = np.linalg.norm(e.grad_dir["A"])
                gA = e.grad_dir["A"] / nA if nA > 0 else np.full((V, V), np.nan)
            put(s1, t, met.stage1(e0, B))
            if track_L:
                put(s1, t, {"loss_L": e.loss, "log_loss_L": e.log_loss, "accuracy_L": e.accuracy})
            put(s2, t, met.stage2(e, A, gA))
            if not last:                          # stage2's log_grad_norm is that of grad_A alone
                s2["log_grad_norm"][t] = (e.log_grad_norm + np.log(nA)) if nA > 0 else -np.inf
                s1["log_grad_norm"][t] = e.log_grad_norm + np.log(np.linalg.norm(e.grad_dir["B"]))
            if full:
                it_ov[t], it_kq[t] = eng.to_weights(B, A)
                it_ov[t] += perp_ov
                it_kq[t] += perp_kq
            if not last:
                step = eta0 if t < T else eta
                B = B - step * e.grad_dir["B"]
                A = A - step * e.grad_dir["A"]
            prog.tick(t, f"L={e.loss:.3e}")
    else:
        plain = variant == "plain_gd"
        for t in range(n1 + 1):
            last = t == n1
            e0 = eng.stage1(B, grad=not last)
            # kept for the metrics without its abs(V) x abs(V) arrays; B is a new array at every step
            batch.append((t, replace(e0, margins=None, grad_dir=None if e0.grad_dir is None else True), B))
            if len(batch) == K or last:
                flush(s1, met.stage1_rows)
            if track_L:
                e = eng.stage2(B, A, grad=())
                put(s1, t, {"loss_L": e.loss, "log_loss_L": e.log_loss, "accuracy_L": e.accuracy})
            if full:
                it_ov[t] = eng.to_weights(B, A)[0] + perp_ov
            # plain GD takes a zero step at a zero gradient; Algorithm 1's step is then undefined
            if not last and not (plain and e0.log_grad_norm == -np.inf):
                u = _direction(e0, f"stage 1, t={t}", "grad L_0")
                B = B - (eta0 * np.exp(e0.log_grad_norm) if plain else eta0) * u
            prog.tick(t, f"stage 1 L_0={e0.loss0:.3e}")
        frozen = eng.freeze(B)                    # W_ov^(T): checked once for the whole of stage 2
        A = np.array(A, order="C")                # updated in place on the fast paths (a private copy)
        for t in range(n2 + 1):
            last = t == n2
            e = eng.stage2(frozen, A, grad=() if last else ("A",))
            gA = None
            if not last and not (plain and e.log_grad_norm == -np.inf):
                gA = _direction(e, f"stage 2, t={t}", "grad_W_kq L (W_ov^(T) = 0, or no sentence "
                                "depends on attention)")["A"]
            batch.append((t, e, A.copy(), gA))
            if len(batch) == K or last:
                flush(s2, met.stage2_rows)
            if full:
                it_kq[t] = eng.to_weights(B, A)[1] + perp_kq
            if gA is not None:
                step = eta * np.exp(e.log_grad_norm) if plain else eta
                if isinstance(gA, tuple):             # only the (token, query) pairs of the data move
                    A.reshape(-1)[gA[0]] -= step * gA[1]
                else:
                    A = A - step * gA
            prog.tick(n1 + t, f"stage 2 L={e.loss:.3e}")
    prog.close()
    W_ov, W_kq = eng.to_weights(B, A)
    return Trajectory(config, s1, s2, W_ov + perp_ov, W_kq + perp_kq, W_ov0, W_kq0,
                      Ws_ov, Ws_kq, it_ov, it_kq)

"""The losses ``L`` (Eq. 1) and ``L_0`` (Section 4.2) and their gradients, literally.

The executable specification (DESIGN.md, "Two faces"): a Python loop over the
sentences of ``D_0``, each step a line of PAPER.md section 3. Derivations:
``docs/derivations.md``.

=======================  ===========================  ======================================
paper                    code                         meaning
=======================  ===========================  ======================================
``L(theta)``             ``loss(W_ov, W_kq, ds)``     Eq. (1), pi-weighted mean cross-entropy
``L_0(W_ov)``            ``loss0(W_ov, ds)``          sum over the collocation pairs
``grad_{W_kq} L``        ``grad_loss(...)[1]``        Eq. (6)
``grad_{W_ov} L``        ``grad_loss(...)[0]``        ``sum_n pi (T - y)(X phi_att)^T``
``grad_{W_ov} L_0``      ``grad_loss0(W_ov, ds)``     Eq. (5)
``T^(n) - y_n``          ``_residual(Tbar, y)``       ``r_v = p_v``, ``r_y = -sum_{v!=y} p_v``
=======================  ===========================  ======================================

Numerics. Every cross-entropy is ``softplus(u)`` with
``u = logsumexp_{v != y}(Tbar_v - Tbar_y)``; ``1 - p_y`` is never formed by
a subtraction. ``log_loss``/``log_loss0`` stay finite and accurate when the
loss is far below the smallest float64. ``grad_loss_scaled`` and
``grad_loss0_scaled`` return ``(log_c, G)`` with ``gradient = exp(log_c) G`` and
``||G|| = 1``, computed in log space so the direction is exact when the
gradient underflows. ``loss`` and ``loss0`` are complex-safe (complex step).
"""

import numpy as np

from .data import Dataset
from .errors import ConfigError, CorpusError
from .structure import collocation
from .transformer import _logits, check_weights, phi

__all__ = ["loss", "loss0", "log_loss", "log_loss0", "grad_loss", "grad_loss0",
           "grad_loss_scaled", "grad_loss0_scaled", "unit_grad_loss", "unit_grad_loss0",
           "softplus", "log_softplus"]

#: Below this ``u``, ``softplus(u) = e^u (1 - e^u/2 + ...)`` and
#: ``log softplus(u) = u - e^u/2`` is exact to float64 (the next term is e^{2u} < 1e-26).
_LOG_SOFTPLUS_SWITCH = -30.0


# ----------------------------------------------------------------- scalar helpers
def _logsumexp(v):
    """``log sum_i exp(v_i)``, shifted by the max real part (complex-safe); ``-inf`` for empty ``v``."""
    if v.size == 0:
        return -np.inf
    m = np.max(v.real)
    if m == -np.inf:                       # every term is exp(-inf) = 0
        return -np.inf
    return m + np.log(np.sum(np.exp(v - m)))


def softplus(u):
    """``log(1 + exp(u))`` without overflow; complex-safe (for complex step)."""
    if u.real > 0:
        return u + np.log1p(np.exp(-u))
    return np.log1p(np.exp(u))


def log_softplus(u):
    """``log(softplus(u))``, accurate for very negative real ``u``, where softplus underflows."""
    if u == -np.inf:
        return -np.inf
    if u < _LOG_SOFTPLUS_SWITCH:
        return u - 0.5 * np.exp(u)
    return float(np.log(softplus(u)))


def _gap(Tbar, y):
    """``u = logsumexp_{v != y}(Tbar_v - Tbar_y)``, so that ``-log T_y = softplus(u)``, ``1 - T_y = sigmoid(u)``."""
    return _logsumexp(np.delete(Tbar - Tbar[y], y))


def _residual(Tbar, y):
    """``T - e_y`` without cancellation: ``r_v = p_v`` (v != y), ``r_y = -sum_{v != y} p_v``."""
    r = phi(Tbar)
    r[y] = -np.sum(np.delete(r, y))
    return r


def _log_residual(Tbar, y):
    """``(s, r_hat)`` with ``T - e_y = exp(s) r_hat``: ``s = log(1 - p_y)``, ``r_hat_y = -1``.

    ``s = -softplus(-u)`` and ``r_hat_v = p_v / (1 - p_y) = exp(Tbar_v - Tbar_y - u)`` for ``v != y``.
    """
    u = _gap(Tbar, y)
    r_hat = np.zeros_like(Tbar)
    if u == -np.inf:                       # abs(V) = 1: T = e_y exactly
        return -np.inf, r_hat
    others = np.arange(Tbar.size) != y
    r_hat[others] = np.exp(Tbar[others] - Tbar[y] - u)
    r_hat[y] = -1.0
    return -softplus(-u), r_hat


def _check(W_ov, W_kq, ds, allow_complex):
    if not isinstance(ds, Dataset):
        raise CorpusError(f"ds must be a Dataset, got {type(ds).__name__}")
    return check_weights(W_ov, W_kq, ds.vocab, allow_complex=allow_complex)


def _token_columns(W_ov, ds):
    """``[(x, In(x), W_ov x), ...]`` over the vocabulary: the collocation pairs of ``L_0``."""
    In = collocation(ds)
    E = ds.vocab.E
    return [(E[:, i], int(In[i]), W_ov @ E[:, i]) for i in range(ds.vocab.n_tokens)]


def _unit(log_c, G):
    """Renormalise ``exp(log_c) G`` to ``exp(log_c') G'`` with ``||G'|| = 1`` (``-inf``, 0 if G = 0)."""
    nrm = np.sqrt(sum(float(np.sum(g * g)) for g in G))
    if not np.isfinite(log_c) or nrm == 0.0:
        return -np.inf, [np.zeros_like(g) for g in G]
    return log_c + np.log(nrm), [g / nrm for g in G]


# ----------------------------------------------------------------- losses
def loss(W_ov, W_kq, ds):
    """``L(theta) = sum_n pi^(n) (-log T(X^(n))_{In(X^(n))})``, Eq. (1) (complex-safe).

    Parameters
    ----------
    W_ov : array_like, shape (abs(V), d)
    W_kq : array_like, shape (d, d)
    ds : Dataset

    Returns
    -------
    float (complex for complex weights)

    Raises
    ------
    WeightsError
    """
    W_ov, W_kq = _check(W_ov, W_kq, ds, allow_complex=True)
    total = 0.0
    for n, (_, y, pi_n) in enumerate(ds.samples()):
        _, Tbar = _logits(W_ov, W_kq, ds.X(n))
        total = total + pi_n * softplus(_gap(Tbar, y))      # -log T_y = softplus(u)
    return total


def loss0(W_ov, ds):
    """``L_0(W_ov) = -sum_{x in V} log phi(W_ov x)_{In(x)}`` (Section 4.2): a sum, no ``pi`` (complex-safe).

    Raises
    ------
    WeightsError
    AssumptionError
        If ``ds`` has no (injective) collocation: some token lacks a one-token sample.
    """
    W_ov, _ = _check(W_ov, None, ds, allow_complex=True)
    return sum(softplus(_gap(b, y)) for _, y, b in _token_columns(W_ov, ds))


def log_loss(W_ov, W_kq, ds):
    """``log L(theta)`` (Eq. 1), accurate far below the smallest float64.

    ``log L = logsumexp_n(log pi^(n) + log softplus(u_n))``; ``-inf`` only when
    ``L`` is exactly 0 (``abs(V) = 1``).
    """
    W_ov, W_kq = _check(W_ov, W_kq, ds, allow_complex=False)
    terms = [np.log(pi_n) + log_softplus(_gap(_logits(W_ov, W_kq, ds.X(n))[1], y))
             for n, (_, y, pi_n) in enumerate(ds.samples())]
    return float(_logsumexp(np.array(terms)))


def log_loss0(W_ov, ds):
    """``log L_0(W_ov)`` (Section 4.2), accurate far below the smallest float64."""
    W_ov, _ = _check(W_ov, None, ds, allow_complex=False)
    terms = [log_softplus(_gap(b, y)) for _, y, b in _token_columns(W_ov, ds)]
    return float(_logsumexp(np.array(terms)))


# ----------------------------------------------------------------- gradients, term by term
def grad_loss(W_ov, W_kq, ds):
    """``(grad_{W_ov} L, grad_{W_kq} L)``, Eq. (6) and the ``W_ov`` gradient of PAPER.md section 3.

        grad_{W_ov} L = sum_n pi^(n) (T^(n) - y_n) (X^(n) phi_att^(n))^T
        grad_{W_kq} L = sum_n pi^(n) X^(n) (diag(phi_att) - phi_att phi_att^T)
                                  X^(n)^T W_ov^T (T^(n) - y_n) x_L^(n)^T

    Returns
    -------
    grad_W_ov : ndarray, shape (abs(V), d)
    grad_W_kq : ndarray, shape (d, d)

    Raises
    ------
    WeightsError
    """
    W_ov, W_kq = _check(W_ov, W_kq, ds, allow_complex=False)
    grad_W_ov, grad_W_kq = np.zeros_like(W_ov), np.zeros_like(W_kq)
    for n, (_, y, pi_n) in enumerate(ds.samples()):
        X = ds.X(n)
        x_L = X[:, -1]
        phi_att, Tbar = _logits(W_ov, W_kq, X)
        T_minus_y = _residual(Tbar, y)
        grad_W_ov += pi_n * np.outer(T_minus_y, X @ phi_att)
        # Eq. (6) term by term: g = X^T W_ov^T (T - y), and the softmax Jacobian
        # (diag(phi) - phi phi^T) g = phi * (g - <phi, g>). Shifting g by its value at the
        # most attended position changes nothing (sum phi = 1) but keeps g - <phi, g> free
        # of cancellation when phi saturates (docs/derivations.md).
        g = X.T @ W_ov.T @ T_minus_y
        c = g - g[np.argmax(phi_att)]
        dL_ds = phi_att * (c - phi_att @ c)
        grad_W_kq += pi_n * np.outer(X @ dL_ds, x_L)
    return grad_W_ov, grad_W_kq


def grad_loss0(W_ov, ds):
    """``grad_{W_ov} L_0 = sum_x (phi(W_ov x) - e_{In(x)}) x^T``, Eq. (5).

    Returns
    -------
    ndarray, shape (abs(V), d)

    Raises
    ------
    WeightsError, AssumptionError
    """
    W_ov, _ = _check(W_ov, None, ds, allow_complex=False)
    grad = np.zeros_like(W_ov)
    for x, y, b in _token_columns(W_ov, ds):
        grad += np.outer(_residual(b, y), x)
    return grad


# ----------------------------------------------------------------- scaled gradients (saturated regime)
def _log_sum(terms, shape):
    """``(log_c, G)`` with ``sum_k exp(w_k) f_k A_k = exp(log_c) G``, ``||G|| = 1``, from ``(w_k, f_k, A_k)``.

    Each term's log-magnitude ``w_k + log|f_k| + log||A_k||`` is known exactly, so the
    sum is scaled by the largest *non-zero* term (a term that is exactly 0 must not set
    the scale, or everything else underflows against it).
    """
    mags = []
    for w, f, A in terms:
        nrm = np.linalg.norm(A)
        if w > -np.inf and f != 0 and nrm > 0:
            mags.append((w + np.log(abs(f)) + np.log(nrm), np.sign(f), A / nrm))
    if not mags:
        return -np.inf, np.zeros(shape)
    M = max(m for m, _, _ in mags)
    G = sum(sgn * np.exp(m - M) * A for m, sgn, A in mags)
    log_c, (G,) = _unit(M, [G])
    return float(log_c), G


def _scaled_blocks(W_ov, W_kq, ds):
    """``[(log_c_ov, G_ov), (log_c_kq, G_kq)]``, each block renormalised on its own (docs/derivations.md)."""
    ov_terms, kq_terms = [], []
    for n, (_, y, pi_n) in enumerate(ds.samples()):
        X = ds.X(n)
        x_L = X[:, -1]
        s = X.T @ W_kq @ x_L
        log_att = s - _logsumexp(s)                      # finite even where att underflows
        att = np.exp(log_att)
        Tbar = W_ov @ (X @ att)
        s_n, r_hat = _log_residual(Tbar, y)              # T - y = exp(s_n) r_hat
        w_n = np.log(pi_n) + s_n
        ov_terms.append((w_n, 1.0, np.outer(r_hat, X @ att)))
        # g_l = (T - y)^T W_ov x_l = exp(s_n) g_hat_l, g_hat_l = sum_{v != y} p_hat_v (b_vl - b_yl)
        b = W_ov @ X
        g_hat = np.delete(r_hat, y) @ (np.delete(b, y, axis=0) - b[y])
        ref = int(np.argmax(log_att))
        c = g_hat - g_hat[ref]                           # c_ref = 0; g_l - g_bar = c_l - c_bar
        c_bar = att @ c
        # sum_l dL/ds_l x_l = sum_{l != ref} dL/ds_l (x_l - x_ref), since sum_l dL/ds_l = 0
        for l in range(X.shape[1]):
            if l != ref:
                kq_terms.append((w_n + log_att[l], c[l] - c_bar, np.outer(X[:, l] - X[:, ref], x_L)))
    return [_log_sum(ov_terms, W_ov.shape), _log_sum(kq_terms, W_kq.shape)]


def grad_loss_scaled(W_ov, W_kq, ds):
    """``(log_c, G_ov, G_kq)`` with ``(grad_{W_ov} L, grad_{W_kq} L) = exp(log_c) (G_ov, G_kq)``.

    ``||G_ov||^2 + ||G_kq||^2 = 1`` (joint), so ``log_c`` is the log of the
    joint Frobenius norm; computed in log space (docs/derivations.md), exact
    in direction when the gradient underflows (weights scaled by 1e3).
    ``log_c = -inf`` and ``G = 0`` only when the gradient is exactly zero.

    Returns
    -------
    log_c : float
    G_ov : ndarray, shape (abs(V), d)
    G_kq : ndarray, shape (d, d)
    """
    W_ov, W_kq = _check(W_ov, W_kq, ds, allow_complex=False)
    (a, G_ov), (b, G_kq) = _scaled_blocks(W_ov, W_kq, ds)
    if a == -np.inf and b == -np.inf:
        return -np.inf, G_ov, G_kq
    log_c = 0.5 * np.logaddexp(2 * a, 2 * b)
    return float(log_c), G_ov * np.exp(a - log_c), G_kq * np.exp(b - log_c)


def grad_loss0_scaled(W_ov, ds):
    """``(log_c, G)`` with ``grad_{W_ov} L_0 = exp(log_c) G`` and ``||G|| = 1`` (Eq. 5, in log space)."""
    W_ov, _ = _check(W_ov, None, ds, allow_complex=False)
    terms = []
    for x, y, b in _token_columns(W_ov, ds):
        s_x, r_hat = _log_residual(b, y)                 # phi(W_ov x) - e_In(x) = exp(s_x) r_hat
        terms.append((s_x, 1.0, np.outer(r_hat, x)))
    return _log_sum(terms, W_ov.shape)


def unit_grad_loss(W_ov, W_kq, ds, wrt=("kq",)):
    """The unit-Frobenius-norm direction of ``grad L`` w.r.t. the blocks in ``wrt`` (Algorithm 1, stage 2).

    Parameters
    ----------
    wrt : tuple of {"ov", "kq"}
        Blocks to differentiate; the norm is taken over them jointly.

    Returns
    -------
    dict
        ``{"ov": (abs(V), d), "kq": (d, d)}`` for the requested blocks; all
        zeros when the gradient is exactly zero.

    Raises
    ------
    ConfigError
        ``wrt`` empty or naming something other than "ov", "kq".
    WeightsError
    """
    wrt = (wrt,) if isinstance(wrt, str) else tuple(wrt)
    if not wrt or any(w not in ("ov", "kq") for w in wrt) or len(set(wrt)) != len(wrt):
        raise ConfigError(f"wrt must be a non-empty subset of ('ov', 'kq'), got {wrt!r}")
    W_ov, W_kq = _check(W_ov, W_kq, ds, allow_complex=False)
    blocks = dict(zip(("ov", "kq"), _scaled_blocks(W_ov, W_kq, ds)))
    M = max(blocks[w][0] for w in wrt)
    if M == -np.inf:
        return {w: np.zeros_like(blocks[w][1]) for w in wrt}
    _, G = _unit(M, [blocks[w][1] * np.exp(blocks[w][0] - M) for w in wrt])
    return dict(zip(wrt, G))


def unit_grad_loss0(W_ov, ds):
    """``grad L_0 / ||grad L_0||`` (Algorithm 1, stage 1), exact when the gradient underflows."""
    return grad_loss0_scaled(W_ov, ds)[1]

"""What one evaluation of the engine returns: ``L_0`` (stage 1) or ``L`` (stage 2) at given weights.

Records of :class:`reference.training.engine.Engine`; their fields are the quantities
Algorithm 1 and the audit of the paper's statements read at every iterate.
"""

from dataclasses import dataclass

import numpy as np

__all__ = ["Stage1Eval", "Stage2Eval", "PATHS"]


@dataclass
class Stage1Eval:
    """``L_0`` (Section 4.2) at ``W_ov = B E^T``, and its gradient direction.

    Attributes
    ----------
    loss0, log_loss0 : float
        ``L_0 = -sum_x log phi(W_ov x)_{In(x)}`` and its logarithm (accurate when ``L_0`` underflows).
    margins : (|V|, |V|) array
        ``margins[v, i] = (e_{In(x_i)} - e_v)^T W_ov x_i`` (0 at ``v = In(x_i)``).
    accuracy : float
        Fraction of tokens x whose correct logit ``(W_ov x)_{In(x)}`` is *strictly* the largest (a
        tie counts as wrong, so it is 0 at ``W_ov = 0``; the trajectory's ``accuracy0`` is the same).
        Stage 2's ``accuracy`` instead takes ``argmax T`` with ties to the smallest index.
    grad_dir : (|V|, |V|) array or None
        ``grad_B L_0 / ||grad_B L_0||``.
    log_grad_norm : float
        ``log ||grad L_0||`` (``-inf`` when the gradient is exactly zero).
    gap_max, gap_min : (|V|,) arrays
        Largest and smallest wrong-minus-correct logit of every token, ``max_v (-margins[v, i])``
        and ``min_v`` over ``v != In(x_i)`` (``-inf``/``inf`` when ``abs(V) = 1``).
    """

    loss0: float
    log_loss0: float
    margins: np.ndarray
    accuracy: float
    grad_dir: np.ndarray | None = None
    log_grad_norm: float = np.nan
    gap_max: np.ndarray | None = None
    gap_min: np.ndarray | None = None


#: The engine's stage-2 paths (docs/performance.md): two fast ones and the careful fallback.
PATHS = ("structured", "general", "careful")


class Stage2Eval:
    """``L`` (Eq. 1) at ``(W_ov, W_kq)``, attention, predictions and gradient directions.

    Group arrays describe each distinct token of each sentence (``n_groups`` rows).
    ``pred``, ``accuracy``, ``group_att`` and ``group_log_w`` are computed on first access
    when the path that produced the record did not need them for the gradient.

    Attributes
    ----------
    loss, log_loss : float
        Eq. (1), the pi-weighted mean cross-entropy, and its logarithm.
    phi_plus : (N,) array or None
        ``phi_+^(n)``, total attention on optimal positions (None without a collocation).
    pred : (N,) int array
        ``argmax_v T(X^(n))_v`` (ties to the smallest index).
    accuracy : float
        Fraction of the samples of ``D_0`` (pi-weighted sentences) with ``pred == y``,
        computed from the integer counts so that it is exactly 1.0 when every one is right.
    group_att : (n_groups,) array
        Attention weight of *one* position holding the group's token.
    group_log_w : (n_groups,) array
        log of the total attention on the group (all its positions).
    grad_dir : dict
        ``{"A": ..., "B": ...}`` for the requested blocks: the joint unit-norm direction.
    grad_pairs : (flat index array, value array) or None
        The fast paths' ``grad_dir["A"]`` in sparse form: its only non-zero entries are the
        (token, query) pairs of the data, at these flat indices of ``A`` (``grad_dir`` is
        built from it when first read). None on the careful path.
    log_grad_norm : float
        log of the joint Frobenius norm of the requested gradient blocks.
    path : str
        Which evaluation produced the record: ``"structured"`` (Lemma 3 structure of
        ``W_ov``), ``"general"`` or ``"careful"`` (the log-space fallback; see
        docs/performance.md for when it is taken).
    """

    def __init__(self, loss, log_loss, phi_plus, accuracy, group_att, engine=None, *, pred=None,
                 group_log_w=None, grad_dir=None, log_grad_norm=np.nan, path="careful", lazy=None):
        self.loss, self.log_loss, self.phi_plus, self._accuracy = loss, log_loss, phi_plus, accuracy
        self._group_att, self.engine, self.path = group_att, engine, path
        self._pred, self._group_log_w, self._lazy = pred, group_log_w, lazy or {}
        self._grad_dir = {} if grad_dir is None else grad_dir
        self.grad_pairs = None
        self.log_grad_norm = log_grad_norm

    @property
    def grad_dir(self):
        """``{"A": ..., "B": ...}``: the joint unit-norm direction of the requested blocks."""
        if not self._grad_dir and self.grad_pairs is not None:
            V = self.engine.n_tokens
            G = np.zeros(V * V)
            G[self.grad_pairs[0]] = self.grad_pairs[1]
            self._grad_dir = {"A": G.reshape(V, V)}
        return self._grad_dir

    @grad_dir.setter
    def grad_dir(self, value):
        self._grad_dir = value

    def __repr__(self):
        return (f"Stage2Eval(loss={self.loss!r}, log_loss={self.log_loss!r}, accuracy={self.accuracy!r}, "
                f"log_grad_norm={self.log_grad_norm!r}, path={self.path!r})")

    @property
    def accuracy(self):
        """pi-weighted fraction of the samples of ``D_0`` predicted right (from the integer counts)."""
        if self._accuracy is None:
            self._accuracy = self._lazy["accuracy"]()
        return self._accuracy

    @property
    def pred(self):
        """``(N,)`` predictions ``argmax_v T(X^(n))_v`` (ties to the smallest index)."""
        if self._pred is None:
            self._pred = self._lazy["pred"]()
        return self._pred

    @property
    def group_att(self):
        """``(n_groups,)`` attention weight of one position holding the group's token."""
        if self._group_att is None:
            self._group_att = self._lazy["group_att"]()
        return self._group_att

    @property
    def group_log_w(self):
        """``(n_groups,)`` log of the total attention on each group."""
        if self._group_log_w is None:
            self._group_log_w = self._lazy["group_log_w"]()
        return self._group_log_w

    @property
    def att(self):
        """``(N, L_max)`` attention weights ``phi^(n)_l`` (0 on padding)."""
        eng = self.engine
        out = np.zeros(eng.ds.tokens.shape)
        out[eng.ds.mask] = self.group_att[eng.pos_group]
        return out

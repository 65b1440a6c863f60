"""The PyTorch peer of the benchmarks: a plain autograd implementation of one stage-2 step.

The same mathematics as the engine's stage 2 (Eq. 1, Eq. 6, the normalised step of
Algorithm 1), written the way a PyTorch user would: dense padded ``X`` of shape
``(N, L_max, d)``, masked softmax attention, logits ``W_ov X phi``, the
pi-weighted cross-entropy, ``torch.autograd.grad`` and a manual normalised
update. float64, PyTorch's default threads. Used only when torch is importable.

Its OpenMP threads wait passively between calls (``OMP_WAIT_POLICY=PASSIVE``, set before
torch is imported unless already set): spinning threads would otherwise keep a core of
a 2-core machine busy while the engine is timed. PyTorch's own calls are long (~0.1 s),
so the wake-up of its threads costs it nothing measurable.
"""

import math
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np


def available():
    """True if torch can be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def stage2_step(ds, W_ov, eta):
    """``(step, X_bytes)``: a closure doing one normalised stage-2 step from ``W_kq = 0``, and the size of ``X``."""
    import torch
    torch.set_default_dtype(torch.float64)
    E = torch.tensor(ds.vocab.E)                                      # (d, |V|)
    tok = torch.tensor(np.where(ds.mask, ds.tokens, 0))
    X = E.T[tok]                                                      # (N, L_max, d): padded sentences
    mask = torch.tensor(ds.mask)
    xq = E.T[torch.tensor(ds.queries)]                                # (N, d)
    y = torch.tensor(ds.y)
    pi = torch.tensor(ds.pi)
    Wov = torch.tensor(W_ov)
    Wkq = torch.zeros(ds.vocab.d, ds.vocab.d, requires_grad=True)

    def step():
        s = torch.einsum("nld,nd->nl", X, xq @ Wkq.T).masked_fill(~mask, -math.inf)   # x_l^T W_kq x_L
        att = torch.softmax(s, dim=1)
        logits = torch.einsum("nl,nld->nd", att, X) @ Wov.T
        loss = (pi * torch.nn.functional.cross_entropy(logits, y, reduction="none")).sum()
        (g,) = torch.autograd.grad(loss, Wkq)
        with torch.no_grad():
            Wkq.sub_(eta * g / g.norm())

    return step, X.numel() * 8

"""How the checker judges one output: the stated tolerances and the verdict on one entry.

An output of another implementation passes when ``max|got - expected| <= atol +
rtol * scale`` over the whole output (every sentence of a case at once for the
per-sentence outputs), with ``(atol, rtol)`` from :data:`TOLERANCES`. The
scale is ``max|expected|``, except for the raw gradients, whose scale is their
exact Frobenius norm ``exp(log_norm_grad_...)`` stored in the file: a gradient
of norm 1e-25 is judged to 1e-34, not against an absolute floor. Each verdict
is an :class:`Entry`; :class:`reference.conformance.Report` holds them all.
"""

import math
from dataclasses import dataclass

import numpy as np

from .golden_file import PER_SENTENCE

__all__ = ["FORWARD_RTOL", "FORWARD_ATOL", "GRAD_RTOL", "GRAD_ATOL", "DIRECTION_RTOL", "DIRECTION_ATOL",
           "STAR_ATOL", "STAR_RTOL", "ITERATE_RTOL", "ITERATE_ATOL", "TOLERANCES", "RAW_GRADIENTS", "Entry",
           "compare"]

#: Forward values (attention, logits, T, losses): a correct float64 implementation errs by
#: ~eps * |logit| <= 1e-12 at the largest scale (logits ~1e3, any summation order); 1e-9
#: relative leaves a factor 1000 and still sees a 0.1% bug by a factor 1e6.
FORWARD_RTOL = 1e-9
#: Absolute floor: a quantity computed as a difference of logits ~1e3 (log-sum-exp minus the
#: correct logit) carries absolute rounding ~1e-12; entries that underflow compare as ~0.
FORWARD_ATOL = 1e-10
#: Raw gradients, relative to their exact norm: float64 rounding of a sum of O(|V| N) terms is
#: ~1e-14 of the norm; 1e-9 leaves a factor 1e5 and sees a float32 gradient (1e-7) or a 0.1% bug.
GRAD_RTOL = 1e-9
#: The only absolute floor of a raw gradient: the smallest normal float64. Below it a float64
#: result is 0 or subnormal whatever the method (the direction is checked on its own).
GRAD_ATOL = float(np.finfo(np.float64).tiny)
#: Unit directions and normalised steps: O(1) entries (times the weights for a step).
DIRECTION_RTOL, DIRECTION_ATOL = 1e-9, 1e-10
#: W* of Eq. (2)/(3): entries are O(1) rationals; an exact (active-set) or tightly converged QP
#: solver reaches 1e-9, a default interior-point solver about 1e-8: 1e-7 accepts both.
STAR_ATOL, STAR_RTOL = 1e-7, 0.0
#: Iterates of Algorithm 1: each step moves exactly eta; 150 steps accumulate ~150x the
#: rounding of one direction (~1e-16 of ||W||), far below 1e-9 relative.
ITERATE_RTOL, ITERATE_ATOL = 1e-9, 1e-10

#: Raw gradients and the log-norm that gives their scale.
RAW_GRADIENTS = {"grad_W_ov_L": "log_norm_grad_W_ov_L", "grad_W_kq_L": "log_norm_grad_W_kq_L",
                 "grad_W_ov_L0": "log_norm_grad_W_ov_L0"}

#: expected output -> (atol, rtol)
TOLERANCES = {
    **{k: (FORWARD_ATOL, FORWARD_RTOL) for k in ("attention", "logits", "T", "L", "log_L", "L_0", "log_L_0")},
    **{k: (GRAD_ATOL, GRAD_RTOL) for k in RAW_GRADIENTS},
    **{k: (DIRECTION_ATOL, DIRECTION_RTOL) for k in ("unit_grad_W_ov_L", "unit_grad_W_kq_L", "unit_grad_W_ov_L0",
                                                     "W_ov_next", "W_kq_next")},
    "W_ov_star": (STAR_ATOL, STAR_RTOL), "W_kq_star": (STAR_ATOL, STAR_RTOL),
    "W_ov_iterates": (ITERATE_ATOL, ITERATE_RTOL), "W_kq_iterates": (ITERATE_ATOL, ITERATE_RTOL),
}


@dataclass(frozen=True)
class Entry:
    """The verdict on one output of one function on one case, run or dataset.

    ``status`` is "pass" (``max_abs <= atol + rtol * scale``), "fail" (a wrong value, a wrong
    shape or a NaN/inf where a finite value is expected) or "error" (the function raised).
    ``scale`` is ``max|expected|`` (for raw gradients: their exact norm), ``max_rel = max_abs /
    scale``; ``where`` names the worst entry (for iterates: the first one that deviates);
    ``regime`` is "ordinary" or "saturated"; ``hint`` says what the numbers suggest about the
    bug; ``traceback`` is the text of what the function raised. ``dataset`` and ``column``
    (``random/1``, ``aligned/1000``, ``run short``, ``W*``) place the entry in the grid. The output
    is one of Section 3 (attention, ``Tbar``, ``T``), Eq. (1)-(3), (5), (6) or Algorithm 1.
    """

    function: str
    output: str
    case: str
    status: str
    max_abs: float
    max_rel: float
    atol: float
    rtol: float
    scale: float = 0.0
    where: str = ""
    message: str = ""
    regime: str = "ordinary"
    hint: str = ""
    traceback: str = ""
    dataset: str = ""
    column: str = ""

    @property
    def ok(self):
        """True when the entry passed."""
        return self.status == "pass"

    @property
    def ratio(self):
        """``max_abs / (atol + rtol * scale)``: at most 1 exactly when the entry passes on its values."""
        return self.max_abs / (self.atol + self.rtol * self.scale)


def _where(output, k, tokens, sentences):
    """The worst entry in words: sentence, position or token for per-sentence outputs; else the index."""
    if output in PER_SENTENCE:
        n, l = int(k[0]), int(k[1])
        text = " ".join(tokens[i] for i in sentences[n])
        return f"sentence {n} {text!r}, " + (f"position {l}" if output == "attention" else f"token {tokens[l]!r}")
    if output.endswith("_iterates"):
        return f"t={int(k[0])}, entry {[int(i) for i in k[1:]]}"
    return f"entry {[int(i) for i in k]}" if len(k) else "value"


def compare(function, output, case, got, want, tokens, sentences, *, scale=None, **info):
    """The verdict on one output: ``max|got - want| <= atol + rtol * scale`` with :data:`TOLERANCES`.

    Parameters
    ----------
    function, output, case : str
        What is compared (for the entry).
    got : array-like, or a sequence of them for the per-sentence outputs
        What the implementation returned.
    want : ndarray or float, or a list of ``(L_n,)``/``(abs(V),)`` arrays per sentence
        The golden value.
    tokens : list of str
    sentences : list of int arrays
        To name the worst entry in words.
    scale : float, optional
        The scale of the relative tolerance (default ``max|want|`` over finite entries).
    **info
        Further :class:`Entry` fields (``regime``, ``dataset``, ``column``).

    Returns
    -------
    Entry
        "pass" or "fail" (wrong value, dtype, shape, count of sentences, or a NaN/inf where a
        finite value is expected); equal infinities count as exact. For the iterates,
        ``where`` names the first iterate beyond the tolerance.
    """
    atol, rtol = TOLERANCES[output]
    top = 0.0

    def mk(status, a, r, where="", msg=""):
        return Entry(function, output, case, status, a, r, atol, rtol, top if scale is None else scale, where, msg,
                     **info)
    per = output in PER_SENTENCE
    try:
        got = [np.asarray(g) for g in got] if per else np.asarray(got)
    except Exception as e:                      # noqa: BLE001 - anything the impl returns
        return mk("fail", math.inf, math.inf, msg=f"cannot read the result as an array ({type(e).__name__}: {e})")
    gs, ws = (got, want) if per else ([got], [want])
    if len(gs) != len(ws):
        return mk("fail", math.inf, math.inf, msg=f"{len(gs)} results for {len(ws)} sentences")
    errs = []
    for n, (g, w) in enumerate(zip(gs, ws)):
        w = np.asarray(w, dtype=np.float64)
        if g.dtype.kind not in "iuf":
            return mk("fail", math.inf, math.inf, msg=f"returned dtype {g.dtype} (real numbers expected)")
        if g.shape != w.shape:
            at = f" for sentence {n}" if per else ""
            return mk("fail", math.inf, math.inf, msg=f"returned shape {g.shape}{at}, expected {w.shape}")
        g = g.astype(np.float64)
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.where(g == w, 0.0, np.abs(g - w))          # equal infinities count as exact
        errs.append(np.where(np.isnan(err), np.inf, err))
        finite = w[np.isfinite(w)]
        top = max(top, float(np.max(np.abs(finite))) if finite.size else 0.0)
    tol = atol + rtol * (top if scale is None else scale)
    if output.endswith("_iterates"):                # the first iterate beyond the tolerance, not the worst
        bad_t = np.flatnonzero(errs[0].reshape(errs[0].shape[0], -1).max(axis=1, initial=0.0) > tol)
        first = int(bad_t[0]) if bad_t.size else None
    worst, worst_at = -1.0, None
    for n, err in enumerate(errs):
        if err.size and err.max() > worst:
            k = np.unravel_index(int(np.argmax(err)), err.shape)
            if output.endswith("_iterates") and first is not None:
                k = (first,) + np.unravel_index(int(np.argmax(err[first])), err[first].shape)
            g, w = (gs[n], ws[n])
            worst, worst_at = float(err.max()), ((n,) + k if per else k, np.asarray(g)[k], np.asarray(w)[k])
    if worst_at is None:
        return mk("pass", 0.0, 0.0)
    k, gk, wk = worst_at
    where = _where(output, k, tokens, sentences)
    sc = top if scale is None else scale
    rel = worst / sc if sc > 0 else (0.0 if worst == 0 else math.inf)
    if worst <= tol:
        return mk("pass", worst, rel, where)
    lead = "first deviates at " if output.endswith("_iterates") else "at "
    return mk("fail", worst, rel, where, f"{lead}{where}: got {float(gk)!r}, expected {float(wk)!r}")

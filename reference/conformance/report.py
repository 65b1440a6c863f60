"""How the checker judges one output: the stated tolerances, the verdict on one entry, the report.

An output of another implementation passes when ``max|got - expected| <= atol +
rtol * max|expected|`` (over the whole output: every sentence of a case at
once for the per-sentence outputs), with ``(atol, rtol)`` from
:data:`TOLERANCES`. Each verdict is an :class:`Entry`; :class:`Report` holds
them all, with the functions that were not provided or not selected, so that
nothing is silently left out. Used by :func:`reference.conformance.check`.
"""

import math
from dataclasses import asdict, dataclass

import numpy as np

from .golden_file import jsonable, PER_SENTENCE

__all__ = ["FORWARD_RTOL", "FORWARD_ATOL", "GRAD_RTOL", "GRAD_ATOL", "STAR_ATOL", "STAR_RTOL", "ITERATE_RTOL",
           "ITERATE_ATOL", "TOLERANCES", "Entry", "Report", "compare"]

#: Forward values (attention, logits, T, losses): a correct float64 implementation errs by
#: ~eps * |logit| <= 1e-12 at the largest scale (logits ~1e3, any summation order); 1e-9
#: relative leaves a factor 1000 and still sees a 0.1% bug by a factor 1e6.
FORWARD_RTOL = 1e-9
#: Absolute floor: a quantity computed as a difference of logits ~1e3 (log-sum-exp minus the
#: correct logit) carries absolute rounding ~1e-12; entries that underflow compare as ~0.
FORWARD_ATOL = 1e-10
#: Gradients, unit directions and steps: same reasoning (entries O(1) times O(scale) weights).
GRAD_RTOL, GRAD_ATOL = 1e-9, 1e-10
#: W* of Eq. (2)/(3): entries are O(1) rationals; an exact (active-set) or tightly converged QP
#: solver reaches 1e-9, a default interior-point solver about 1e-8: 1e-7 accepts both.
STAR_ATOL, STAR_RTOL = 1e-7, 0.0
#: Iterates of Algorithm 1: each step moves exactly eta; T <= 10 steps accumulate ~10x the
#: rounding of one direction, far below 1e-9 relative.
ITERATE_RTOL, ITERATE_ATOL = 1e-9, 1e-10

#: expected output -> (atol, rtol)
TOLERANCES = {
    **{k: (FORWARD_ATOL, FORWARD_RTOL) for k in ("attention", "logits", "T", "L", "log_L", "L_0", "log_L_0")},
    **{k: (GRAD_ATOL, GRAD_RTOL) for k in ("grad_W_ov_L", "grad_W_kq_L", "grad_W_ov_L0", "unit_grad_W_ov_L",
                                            "unit_grad_W_kq_L", "unit_grad_W_ov_L0", "W_ov_next", "W_kq_next")},
    "W_ov_star": (STAR_ATOL, STAR_RTOL), "W_kq_star": (STAR_ATOL, STAR_RTOL),
    "W_ov_iterates": (ITERATE_ATOL, ITERATE_RTOL), "W_kq_iterates": (ITERATE_ATOL, ITERATE_RTOL),
}


@dataclass(frozen=True)
class Entry:
    """The verdict on one output of one function on one case.

    ``status`` is "pass" (``max_abs <= atol + rtol * scale`` with ``scale = max|expected|``),
    "fail" (a wrong value, a wrong shape or a NaN/inf where a finite value is expected) or
    "error" (the function raised). ``max_rel = max_abs / scale``; ``where`` names the worst entry.
    The output is one of Section 3 (attention, ``Tbar``, ``T``), Eq. (1)-(3), (5), (6) or
    Algorithm 1 (see :data:`reference.conformance.FUNCTIONS`).
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

    @property
    def ok(self):
        """True when the entry passed."""
        return self.status == "pass"

    @property
    def ratio(self):
        """``max_abs / (atol + rtol * scale)``: at most 1 exactly when the entry passes on its values."""
        return self.max_abs / (self.atol + self.rtol * self.scale)


def _tol_text(atol, rtol):
    return f"{atol:.0e} + {rtol:.0e} rel" if rtol else f"{atol:.0e}"


class Report:
    """What :func:`reference.conformance.check` found: one :class:`Entry` per function, output and case.

    Serves the definitions of Sections 3-5 (model, Eq. 1-3, 5, 6, Algorithm 1) as another
    implementation computes them.

    Attributes
    ----------
    entries : tuple of Entry
    skipped : tuple of str
        Functions of :data:`reference.conformance.FUNCTIONS` the implementation does not provide.
    deselected : tuple of str
        Functions it provides that were left out by ``check(..., functions=...)``.
    ok : bool
        True when at least one function was checked and every entry passed.
    """

    def __init__(self, entries, skipped, deselected=()):
        self.entries, self.skipped, self.deselected = tuple(entries), tuple(skipped), tuple(deselected)

    @property
    def ok(self):
        """True when at least one entry exists and every entry passed."""
        return bool(self.entries) and all(e.ok for e in self.entries)

    def failures(self):
        """The entries that did not pass (status "fail" or "error"), in the order checked."""
        return [e for e in self.entries if not e.ok]

    def functions(self):
        """``{function: (n_passed, n_entries, worst error/tolerance ratio)}`` over the checked functions."""
        out = {}
        for e in self.entries:
            p, n, w = out.get(e.function, (0, 0, 0.0))
            out[e.function] = (p + e.ok, n + 1, max(w, e.ratio))
        return out

    def tolerances(self):
        """``{function: "atol + rtol rel"}``: the stated tolerance(s) each checked function was held to."""
        out = {}
        for e in self.entries:
            t = _tol_text(e.atol, e.rtol)
            if t not in out.setdefault(e.function, []):
                out[e.function].append(t)
        return {f: "; ".join(ts) for f, ts in out.items()}

    def summary(self, failures=8):
        """A plain-text table: one line per function with its tolerance, then the first failing entries.

        Parameters
        ----------
        failures : int
            How many failing entries to show in full (the rest are counted).

        Returns
        -------
        str
            The column "worst err/tol" is the largest ``max_abs / (atol + rtol * scale)``: <= 1 passes.
        """
        tol = self.tolerances()
        lines = [f"{'function':<20} {'passed':>9}  {'worst err/tol':>13}  {'tolerance':<18} verdict"]
        for f, (p, n, w) in self.functions().items():
            lines.append(f"{f:<20} {p:>4}/{n:<4}  {w:>13.2e}  {tol[f]:<18} {'ok' if p == n else 'FAIL'}")
        if self.skipped:
            lines.append("skipped (not provided): " + ", ".join(self.skipped))
        if self.deselected:
            lines.append("not selected (functions=...): " + ", ".join(self.deselected))
        if not self.entries:
            lines.append("nothing was checked: the implementation provides none of the selected functions")
        bad = self.failures()
        for e in bad[:failures]:
            lines.append(f"  {e.status.upper()} {e.function}[{e.output}] on {e.case}: {e.message}")
        if len(bad) > failures:
            lines.append(f"  ... and {len(bad) - failures} more failing entries")
        lines.append("conformance: " + ("PASS" if self.ok else "FAIL") +
                     f" ({sum(e.ok for e in self.entries)}/{len(self.entries)} entries, "
                     f"{len(self.skipped)} functions skipped)")
        return "\n".join(lines)

    __str__ = summary

    def to_dict(self):
        """JSON-ready: ``{"ok", "skipped", "deselected", "entries": [{field: value}, ...]}``."""
        return jsonable({"ok": self.ok, "skipped": list(self.skipped), "deselected": list(self.deselected),
                         "entries": [asdict(e) for e in self.entries]})


def _where(output, k, tokens, sentences):
    """The worst entry in words: sentence, position or token for per-sentence outputs; else the index."""
    if output in PER_SENTENCE:
        n, l = int(k[0]), int(k[1])
        text = " ".join(tokens[i] for i in sentences[n])
        return f"sentence {n} {text!r}, " + (f"position {l}" if output == "attention" else f"token {tokens[l]!r}")
    if output.endswith("_iterates"):
        return f"t={int(k[0])}, entry {[int(i) for i in k[1:]]}"
    return f"entry {[int(i) for i in k]}" if len(k) else "value"


def compare(function, output, case, got, want, tokens, sentences):
    """The verdict on one output: ``max|got - want| <= atol + rtol max|want|`` with :data:`TOLERANCES`.

    Parameters
    ----------
    function, output, case : str
        What is compared (for the entry).
    got : array-like, or a sequence of them for the per-sentence outputs
        What the implementation returned.
    want : ndarray or float, or a list of ``(L_n,)``/``(abs(V),)`` arrays per sentence
        The golden value.
    tokens : list of str
    sentences : list of list of int
        To name the worst entry in words.

    Returns
    -------
    Entry
        "pass" or "fail" (wrong value, dtype, shape, count of sentences, or a NaN/inf where a
        finite value is expected); equal infinities and NaN against NaN count as exact.
    """
    atol, rtol = TOLERANCES[output]
    top = 0.0

    def mk(status, a, r, where="", msg=""):
        return Entry(function, output, case, status, a, r, atol, rtol, top, where, msg)
    per = output in PER_SENTENCE
    try:
        got = [np.asarray(g) for g in got] if per else np.asarray(got)
    except Exception as e:                      # noqa: BLE001 - anything the impl returns
        return mk("fail", math.inf, math.inf, msg=f"cannot read the result as an array ({e})")
    gs, ws = (got, want) if per else ([got], [want])
    if len(gs) != len(ws):
        return mk("fail", math.inf, math.inf, msg=f"{len(gs)} results for {len(ws)} sentences")
    worst, worst_at = -1.0, None
    for n, (g, w) in enumerate(zip(gs, ws)):
        w = np.asarray(w, dtype=np.float64)
        if g.dtype.kind not in "iuf":
            return mk("fail", math.inf, math.inf, msg=f"returned dtype {g.dtype} (real numbers expected)")
        if g.shape != w.shape:
            at = f" for sentence {n}" if per else ""
            return mk("fail", math.inf, math.inf, msg=f"returned shape {g.shape}{at}, expected {w.shape}")
        g = g.astype(np.float64)
        both = (g == w) | (np.isnan(g) & np.isnan(w))          # equal infinities count as exact
        with np.errstate(invalid="ignore", over="ignore"):
            err = np.where(both, 0.0, np.abs(g - w))
        err = np.where(np.isnan(err), np.inf, err)
        if err.size and err.max() > worst:
            k = np.unravel_index(int(np.argmax(err)), err.shape)
            worst, worst_at = float(err[k]), ((n,) + k if per else k, g[k], w[k])
        finite = w[np.isfinite(w)]
        top = max(top, float(np.max(np.abs(finite))) if finite.size else 0.0)
    if worst_at is None:
        return mk("pass", 0.0, 0.0)
    k, gk, wk = worst_at
    where = _where(output, k, tokens, sentences)
    rel = worst / top if top > 0 else (0.0 if worst == 0 else math.inf)
    if worst <= atol + rtol * top:
        return mk("pass", worst, rel, where)
    return mk("fail", worst, rel, where, f"at {where}: got {float(gk)!r}, expected {float(wk)!r}")

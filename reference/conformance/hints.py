"""Hints: what the numbers of a failing entry suggest about the bug behind it.

A failing entry says *where* an output is wrong; a hint says what the wrong
values have in common with a known mistake, in the paper's terms: a constant
ratio to the expected value (``N``, ``abs(D_0)``, ``abs(V)``, 2), a transposed
match, a "unit" direction whose norm is not 1, attention that does not sum to
1, NaN where a gradient underflows, the first iterate that deviates and the
length of the steps, which sentences differ (those repeating a token, those
shorter than the padding), and what changes when the checker re-runs the
function with other inputs (``pi`` made uniform, ``W_kq`` transposed). A hint
is a lead, worded as a question where it is one; the verdict does not depend
on it. Used by :func:`reference.conformance.check`.
"""

import math

import numpy as np

__all__ = ["hint"]

#: Two numbers agree as a "constant ratio" or a norm when within this relative distance (far above
#: float64 rounding of the outputs, far below the smallest bug factor a hint names, 1.001).
SAME = 1e-7
#: log of the smallest normal float64.
LOG_TINY = math.log(np.finfo(np.float64).tiny)
UNIT_OUTPUTS = ("unit_grad_W_ov_L", "unit_grad_W_kq_L", "unit_grad_W_ov_L0")
LOG_NORM = {"unit_grad_W_ov_L": "log_norm_grad_W_ov_L", "unit_grad_W_kq_L": "log_norm_grad_W_kq_L",
            "unit_grad_W_ov_L0": "log_norm_grad_W_ov_L0", "grad_W_ov_L": "log_norm_grad_W_ov_L",
            "grad_W_kq_L": "log_norm_grad_W_kq_L", "grad_W_ov_L0": "log_norm_grad_W_ov_L0",
            "W_ov_next": "log_norm_grad_W_ov_L0", "W_kq_next": "log_norm_grad_W_kq_L"}


def _close(a, b, rel=SAME):
    return abs(a - b) <= rel * max(abs(a), abs(b))


def _factors(D):
    """Named constants a wrong reduction multiplies by: ``(value, name, what a ratio of it suggests)``."""
    n_samples = int(np.sum(D["counts"]))
    N = D["N"]
    out = [(N, f"N = {N}", f"a sum (reduction='sum') over the N = {N} distinct sentences where Eq. (1) takes "
            "the pi-weighted mean" + (f" (here |D_0| = N: or over the {N} samples)" if n_samples == N else ""))]
    if n_samples != N:
        out.append((n_samples, f"|D_0| = {n_samples}", "a sum (reduction='sum') over the samples of D_0 where "
                    "Eq. (1) takes the pi-weighted mean"))
    out += [(1 / D["V"], f"1/|V| = 1/{D['V']}", "a mean over the vocabulary where L_0 is a sum over it "
             "(Section 4.2)"),
            (D["V"], f"|V| = {D['V']}", "a sum over the vocabulary where a mean is meant, or a factor |V|"),
            (1 / N, f"1/N = 1/{N}", "a mean over the sentences where a sum is meant"),
            (D["d"], f"d = {D['d']}", "a factor d"), (2.0, "2", "a factor 2"), (0.5, "1/2", "a factor 1/2")]
    return [(v, n, w) for v, n, w in out if v != 1]


def _flat(x):
    return np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in x]) if isinstance(x, list) \
        else np.ravel(np.asarray(x, dtype=np.float64))


def _ratio(output, got, want, D):
    """A constant ratio ``got / want`` (for a log: ``exp(got - want)``), named when it is a known factor."""
    g, w = _flat(got), _flat(want)
    if g.shape != w.shape or not np.all(np.isfinite(g)) or not np.any(w):
        return None
    if output.startswith("log_"):
        diff = g - w
        if not _close(diff.min(), diff.max()) or abs(diff[0]) < 1e-9:
            return None
        r, how = math.exp(float(diff[0])), f"got = expected + {float(diff[0]):.6g}, i.e. the log of"
    else:
        big = np.abs(w) > 1e-3 * np.max(np.abs(w))
        if not np.all(np.isfinite(g / np.where(big, w, 1.0))):
            return None
        r_all = g[big] / w[big]
        r = float(np.median(r_all))
        if not (np.all(np.abs(r_all - r) <= SAME * abs(r)) and np.allclose(g[~big], r * w[~big], rtol=1e-6,
                                                                              atol=1e-12 * np.max(np.abs(w)))):
            return None
        if _close(r, 1.0, 1e-12):
            return None
        how = "got ="
    for v, name, what in _factors(D):
        if _close(r, v, 1e-9):
            return f"{how} {name} x the expected value: {what}?"
    if r < 0 and _close(r, -1.0, 1e-9):
        return "got = -expected: a sign flipped (the gradient of -log p, or W - eta g vs W + eta g)?"
    if g.size < 2:
        return None
    return f"{how} {r:.6g} x the expected value on every entry: a constant factor"


def _transposed(got, want, tol):
    g, w = np.asarray(got), np.asarray(want)
    if g.ndim == 2 and w.ndim == 2 and g.shape == w.shape[::-1] and g.shape != w.shape:
        return f"returned shape {g.shape} is the transpose of {w.shape}: the paper's orientation is W_ov " \
               "|V| x d, W_kq d x d, X d x L"
    if g.shape == w.shape and g.ndim == 2 and g.shape[0] == g.shape[1] and np.all(np.isfinite(g)):
        if np.max(np.abs(g.T - w)) <= tol and np.max(np.abs(g - w)) > tol:
            return "the result is the transpose of the expected one: a matrix transposed (gradients have the " \
                   "shape of their weight, W_kq is d x d with the query on the right: x_l^T W_kq x_L)"
    return None


def _non_finite(entry, got, item, output):
    g = _flat(got) if not isinstance(got, list) or got else np.zeros(0)
    n_nan, n_inf = int(np.sum(np.isnan(g))), int(np.sum(np.isinf(g)))
    if not (n_nan or n_inf):
        return None
    ex = item.get("expected", {})
    ln = ex.get(LOG_NORM.get(output, ""), 0.0)
    if n_nan and output in LOG_NORM and ln < LOG_TINY:
        return (f"{n_nan} NaN entries where the exact gradient has norm exp({ln:.1f}), below the smallest float64:"
                " the gradient underflowed to 0 and 0/0 was taken (scale the gradient in log space, "
                "docs/derivations.md)")
    if n_nan:
        return (f"{n_nan} NaN entries: 0/0 (a gradient that rounded to 0, normalised) or inf - inf (exp "
                "overflowed: a softmax without subtracting the max)?")
    if output in ("L", "L_0") or output.startswith("log_"):
        if np.all(g == -np.inf):
            return "got -inf: the log of a loss that underflowed to 0; compute log L from log-sum-exp"
        return ("got inf: -log of a probability that rounded to 0, i.e. log(softmax(...)); use log-sum-exp "
                "(log_softmax) for the cross-entropy")
    return f"{n_inf} infinite entries: exp overflowed (a softmax without subtracting the max?)"


def _unit_norm(output, got, item, eta_key=None, W=None):
    """The norm of a returned unit direction (or the length of a returned step) when it is not 1 (eta)."""
    g = np.asarray(got, dtype=np.float64)
    if not np.all(np.isfinite(g)):
        return None
    if eta_key is None:
        v, target, what = g, 1.0, "the returned direction has norm"
    else:
        v, target, what = W - g, item[eta_key], "the step W - W_next has length"
    n = float(np.linalg.norm(v))
    if eta_key is not None:
        want_step = W - np.asarray(item["expected"][output], dtype=np.float64)
        if np.allclose(v, -want_step, rtol=1e-6, atol=1e-9 * target):
            return "the step goes the other way (W + eta g): Algorithm 1 descends, W - eta grad / ||grad||"
    if _close(n, target, 1e-9) or g.dtype == np.float32:
        return None
    ln = item["expected"].get(LOG_NORM[output], 0.0)
    other = {"eta0": "eta", "eta": "eta0"}.get(eta_key)
    if other and _close(n, item[other], 1e-9):
        return f"{what} {n:.6g} = {other}, not {eta_key} = {target:g}: eta0 and eta swapped?"
    if _close(float(np.max(np.abs(v))), target, 1e-9):
        return f"{what} {n:.6g}, not {target:g}, and its largest entry is {target:g}: normalised by the " \
               "largest entry (max-abs) instead of the Frobenius norm (Algorithm 1)?"
    if n == 0.0:
        return f"{what} 0: the gradient rounded to 0 (exact norm exp({ln:.1f})); 1 - p by subtraction, or " \
               "an underflow?"
    if n < target and ln > -700:
        eps = math.exp(ln) * (target / n - 1)
        return f"{what} {n:.12g}, not {target:g}: as g / (||g|| + eps) with eps = {eps:.2g} gives; Algorithm 1 " \
               "divides by the Frobenius norm alone (no +eps)"
    return f"{what} {n:.12g}, not {target:g} (Frobenius norm, Algorithm 1)"


def _sums(output, got, D):
    if output not in ("attention", "T") or not isinstance(got, list):
        return None
    bad = []
    for n, g in enumerate(got):
        g = np.asarray(g, dtype=np.float64)
        if g.ndim == 1 and g.size and np.all(np.isfinite(g)) and abs(g.sum() - 1) > 1e-9:
            bad.append((n, float(g.sum())))
    if not bad:
        return None
    n, s = bad[0]
    what = "attention" if output == "attention" else "T"
    tail = " (the softmax runs over all L positions, query included)" if output == "attention" else ""
    return f"{what} of sentence {n} {_text(D, n)!r} sums to {s:.6g}, not 1 ({len(bad)} sentences like it){tail}"


def _query_left_out(output, got, D):
    """Attention that puts weight 0 on the query (last position) of every sentence of two or more tokens."""
    if output != "attention" or not isinstance(got, list):
        return None
    last = [float(np.asarray(g, dtype=np.float64)[-1]) for g, s in zip(got, D["sentences"])
            if s.size > 1 and np.ndim(g) == 1 and np.size(g) == s.size]
    if last and all(v == 0.0 for v in last):
        return "the query (last position) gets weight 0 in every sentence of two or more tokens: left out of the " \
               "softmax? phi runs over all L positions, query included (Section 3)"
    return None


def _text(D, n):
    return " ".join(D["tokens"][i] for i in D["sentences"][n])


def _repeats(s):
    return len(set(s.tolist())) < s.size and len(set(s.tolist())) > 1


def _sentences(output, got, want, D, tol, batched):
    """Which sentences differ, when they share a property: a repeated token, one token, padding."""
    if output not in ("attention", "logits", "T") or not isinstance(got, list) or len(got) != len(want):
        return None
    bad = []
    for n, (g, w) in enumerate(zip(got, want)):
        g = np.asarray(g, dtype=np.float64)
        if g.shape != w.shape or not np.all(np.abs(g - w) <= tol):
            bad.append(n)
    S = D["sentences"]
    good = [n for n in range(len(S)) if n not in bad]
    if not bad or not good:
        return None
    if batched and all(S[n].size < D["L_max"] for n in bad) and any(S[n].size == D["L_max"] for n in good):
        return (f"only sentences shorter than L_max = {D['L_max']} differ (e.g. {_text(D, bad[0])!r}): positions "
                "past lengths[n] not masked, or the query taken from the last padded column instead of "
                "lengths[n] - 1?")
    if all(_repeats(S[n]) for n in bad) and not any(_repeats(S[n]) for n in good):
        return (f"only sentences that repeat a token beside other tokens differ (e.g. {_text(D, bad[0])!r}): "
                "token multiplicities dropped? Each position has its own attention weight, so a token at k "
                "positions counts k times")
    if all(S[n].size > 1 for n in bad) and all(S[n].size == 1 for n in good):
        return "only sentences of two or more tokens differ: the attention (phi over all L positions, query " \
               "included, scores x_l^T W_kq x_L)?"
    return None


def _iterates(output, got, want, item, pair):
    """Swapped lengths or step sizes, the length of the steps, and W_ov moving during stage 2."""
    g, w = np.asarray(got), np.asarray(want)
    stage, eta_key, other_eta = (1, "eta0", "eta") if output == "W_ov_iterates" else (2, "eta", "eta0")
    T_key, other_T = ("T", "T1") if stage == 1 else ("T1", "T")
    if g.ndim == 3 and g.shape[1:] == w.shape[1:] and g.shape[0] != w.shape[0]:
        if g.shape[0] == item[other_T] + 1:
            return f"returned {g.shape[0]} iterates = {other_T} + 1 for stage {stage}, expected {T_key} + 1 = " \
                   f"{w.shape[0]}: T and T1 swapped?"
        return f"returned {g.shape[0]} iterates for stage {stage}, expected {T_key} + 1 = {w.shape[0]} (W^(0) " \
               "included)"
    if g.shape != w.shape or not np.all(np.isfinite(g)) or g.shape[0] < 2:
        return None
    err = np.abs(g - w).reshape(g.shape[0], -1).max(axis=1)
    tol = 1e-10 + 1e-9 * np.max(np.abs(w))
    if np.allclose(g[1], -w[1], rtol=1e-6, atol=tol) and np.any(w[1]):
        return f"W^(1) of stage {stage} is minus the expected one: the steps go uphill (W + eta g); Algorithm 1 " \
               "descends, W - eta grad / ||grad||"
    first = int(np.flatnonzero(err > tol)[0]) if np.any(err > tol) else None
    if first is None:
        return None
    where = f"the first deviating iterate is t = {first} of stage {stage}"
    steps = np.linalg.norm(np.diff(g, axis=0).reshape(g.shape[0] - 1, -1), axis=1)
    if np.allclose(steps, item[other_eta], rtol=1e-9) and not _close(item[eta_key], item[other_eta]):
        return f"{where}; stage-{stage} steps have length {item[other_eta]:g} = {other_eta}, not {eta_key} = " \
               f"{item[eta_key]:g}: eta0 and eta swapped?"
    off = np.flatnonzero(np.abs(steps - item[eta_key]) > 1e-9 * item[eta_key])
    if off.size:
        return f"{where}; step {int(off[0]) + 1} of stage {stage} has length {steps[off[0]]:.12g}, not {eta_key} = " \
               f"{item[eta_key]:g}: normalised steps move exactly {eta_key} (Frobenius norm, no +eps)"
    if stage == 2 and first == 2 and pair is not None and pair[0]:
        return ("stage 1 agrees and W_kq^(1) agrees, but W_kq^(2) does not: the second step sees something the "
                "first changed. Algorithm 1 keeps W_ov = W_ov^(T) frozen during stage 2: is W_ov updated there?")
    sat = item["saturated"][stage - 1]
    if sat is not None:
        return where + (f"; the run is saturated from t = {sat} on" if first >= sat else
                        f", before the run saturates (t = {sat})")
    return where


def _float32(got, want):
    g = _flat(got)
    if g.size == 0 or not np.all(np.isfinite(g)) or np.all(g == 0):
        return None
    w = _flat(want)
    if g.shape != w.shape:
        return None
    if np.array_equal(g.astype(np.float32).astype(np.float64), g):
        rel = np.max(np.abs(g - w)) / max(np.max(np.abs(w)), 1e-300)
        if 1e-9 < rel < 1e-4:
            return f"every returned value is a float32 number and the relative error is {rel:.1e}: computed in " \
                   "float32? (work in float64: the tolerances are 1e-9)"
    return None


def hint(entry, got, want, ctx):
    """A one-line lead on the bug behind a failing entry, or "" when nothing stands out.

    Parameters
    ----------
    entry : Entry
        The failing verdict (status "fail" or "error").
    got, want
        What the implementation returned (None after an error) and the golden value.
    ctx : dict
        ``D`` (the dataset), ``item`` (the case or run), ``tol`` (the absolute tolerance),
        ``batched`` (a padded signature), ``pair`` (for a pair of outputs: whether the other
        passed), ``probes`` (``{name: result}`` of re-runs with changed inputs, see checker).

    Returns
    -------
    str
    """
    D, item, out = ctx["D"], ctx["item"], entry.output
    hints = []
    if entry.status == "error":
        msg = entry.message
        if "Warning" in msg and "encountered in log" in msg:
            hints.append("log(0): -log of a probability that rounded to 0, i.e. log(softmax(...)); use log-sum-exp "
                         "(log_softmax) for the cross-entropy, and log L from log-sum-exp")
        elif "Warning" in msg and "overflow encountered in exp" in msg:
            hints.append("exp overflowed: a softmax without subtracting the max?")
        elif "Warning" in msg and ("invalid value" in msg or "divide" in msg):
            hints.append("a floating-point warning (0/0 or x/0): a gradient that underflowed to 0, normalised? "
                         "(scale the gradient in log space, docs/derivations.md)")
        elif any(w in msg for w in ("shape", "mismatch", "align", "broadcast", "size")):
            hints.append(f"the shapes do not fit (|V| = {D['V']}, d = {D['d']}): a matrix used transposed? "
                         "W_ov is |V| x d, W_kq is d x d, X is d x L (columns are tokens)")
        return "; ".join(hints)
    if "dtype float32" in entry.message or "dtype('float32')" in entry.message:
        hints.append("returned float32: work in float64 (the tolerances are 1e-9)")
    dtypes = {np.asarray(g).dtype for g in (got if isinstance(got, (list, tuple)) else [got])}
    if np.dtype(np.float32) in dtypes:
        return "returned float32: work in float64 (the tolerances are 1e-9)"
    for p in ctx.get("probes", ()):
        hints.append(p)
    if out == "attention" and isinstance(got, list) and "shape" in entry.message:
        for n, g in enumerate(got):
            g, L = np.asarray(g), D["sentences"][n].size
            if g.ndim == 1 and g.size != L:
                k = len(set(D["sentences"][n].tolist()))
                what = ("L - 1 weights: the query position left out? (phi runs over all L positions)"
                        if g.size == L - 1 else "one weight per distinct token: token multiplicities dropped?"
                        if g.size == k else f"{g.size} weights for L = {L} positions")
                hints.append(f"sentence {n} {_text(D, n)!r}: {what}")
                break
    if out.endswith("_iterates"):
        hints.append(_iterates(out, got, want, item, ctx.get("pair")))
    elif isinstance(got, list) or np.asarray(got).shape == np.asarray(want).shape or \
            np.asarray(got).shape == np.asarray(want).shape[::-1]:
        hints.append(_non_finite(entry, got, item, out))
        if out in UNIT_OUTPUTS:
            hints.append(_unit_norm(out, got, item))
        elif out in ("W_ov_next", "W_kq_next"):
            hints.append(_unit_norm(out, got, item, "eta0" if out == "W_ov_next" else "eta",
                                    item["W_ov" if out == "W_ov_next" else "W_kq"]))
        if not isinstance(got, list):
            hints.append(_transposed(got, want, ctx["tol"]))
        hints.append(_query_left_out(out, got, D))
        hints.append(_sums(out, got, D))
        hints.append(_sentences(out, got, want, D, ctx["tol"], ctx.get("batched", False)))
        if not any(hints):
            hints.append(_ratio(out, got, want, D))
        if not any(hints):
            hints.append(_float32(got, want))
    return "; ".join(dict.fromkeys(h for h in hints if h))

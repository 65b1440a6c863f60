"""Re-running a failing function with changed inputs: what changes (or does not) points at the bug.

``pi`` made uniform (a result that does not change ignores ``pi``), ``W_kq``
transposed or multiplied by ``sqrt(d)``, ``W_ov`` transposed, the sentences
that repeat a token beside others left out (compared with this library's
literal face on the same subset), other padding for the batched forms. Used
by :func:`reference.conformance.check` for its hints.
"""

import numpy as np

from .signatures import call, inputs, unbatch

__all__ = ["probe"]


def probe(f, name, args, outs, D, item, level, want, tol):
    """Hints from re-runs of ``f`` with changed inputs: a list of sentences, possibly empty.

    Parameters
    ----------
    f, name, args, outs
        The implementation's function, its name, argument names and outputs (:data:`FUNCTIONS`).
    D, item, level
        The dataset, the case or run, and the level of ``item``.
    want
        The expected output (a tuple for a pair), compared to ``tol``.
    tol : float

    Returns
    -------
    list of str
    """
    found = []

    def rerun(**change):
        args_now = inputs(D, item)
        args_now.update(change)
        try:
            return call(f, args, args_now, len(outs))
        except BaseException as e:              # noqa: BLE001 - a probe that fails tells nothing
            if isinstance(e, KeyboardInterrupt):
                raise
            return None

    def agrees(a, b):
        try:
            a, b = (a, b) if len(outs) > 1 else ((a,), (b,))
            for x, z in zip(a, b):
                if isinstance(z, list):
                    if len(x) != len(z) or any(np.shape(u) != np.shape(v) or np.max(np.abs(np.asarray(u) - v))
                                               > tol for u, v in zip(x, z)):
                        return False
                elif np.shape(x) != np.shape(z) or not np.all(np.abs(np.asarray(x, dtype=np.float64) - z) <= tol):
                    return False
            return True
        except (TypeError, ValueError):
            return False
    if "pi" in args and np.ptp(D["pi"]) > 0:
        base, flat = rerun(), rerun(pi=np.full(D["N"], 1.0 / D["N"]))
        if base is not None and flat is not None and agrees(base, flat):
            found.append("the result does not change when pi changes: pi ignored? Eq. (1) weights "
                         "sentence n by pi_n (its frequency), not by 1/N")
    if level == "case" and "W_kq" in args:
        got = rerun(W_kq=item["W_kq"].T.copy())
        if got is not None and agrees(got, want):
            found.append("the result matches when W_kq is transposed: the score of position l is "
                         "x_l^T W_kq x_L (key on the left, query on the right, Section 3)")
    if level == "case" and "W_kq" in args:
        got = rerun(W_kq=item["W_kq"] * np.sqrt(D["d"]))
        if got is not None and agrees(got, want):
            found.append(f"the result matches when W_kq is multiplied by sqrt(d) = sqrt({D['d']}): scores divided by "
                         "sqrt(d)? The paper's attention has no 1/sqrt(d) scaling (Section 3)")
    if level == "case" and "W_ov" in args and D["V"] == D["d"]:
        got = rerun(W_ov=item["W_ov"].T.copy())
        if got is not None and agrees(got, want):
            found.append("the result matches when W_ov is transposed: W_ov is |V| x d, rows are vocabulary logits")
    if level == "case" and "Xs" in args or "X_pad" in args:
        keep = [n for n, s in enumerate(D["sentences"]) if not _mixed(s)]
        if 0 < len(keep) < D["N"]:
            from .literal_impl import library_impl
            sub = _subset(D, keep)

            def run(g):
                got = call(g, args, inputs(sub, item), len(outs))
                return unbatch(outs[0], got, sub) if name.endswith("_batch") and len(outs) == 1 else got
            mine = run(library_impl()[name])
            try:
                theirs = run(f)
            except BaseException as e:          # noqa: BLE001 - a probe that fails tells nothing
                if isinstance(e, KeyboardInterrupt):
                    raise
                theirs = None
            if theirs is not None and agrees(theirs, mine):
                found.append("the result agrees once the sentences that repeat a token beside other tokens "
                             f"(such as {' '.join(D['tokens'][i] for i in D['sentences'][_first_mixed(D)])!r}) are "
                             "left out: token multiplicities dropped? Each position has its own attention "
                             "weight, so a token at k positions counts k times")
    if "X_pad" in args:
        base, other = rerun(), rerun(X_pad=inputs(D, item, pad=-2.5)["X_pad"])
        if base is not None and other is not None and not agrees(base, other):
            found.append("the result changes with the values in the padding: positions past lengths[n] "
                         "leak into the output (mask them out of the softmax and the sums)")
    return found


def _mixed(s):
    k = len(set(s.tolist()))
    return 1 < k < s.size


def _first_mixed(D):
    return next(n for n, s in enumerate(D["sentences"]) if _mixed(s))


def _subset(D, keep):
    """The dataset restricted to the sentences ``keep`` (``pi`` renormalised)."""
    sub = dict(D)
    pi = D["pi"][keep]
    sub.update(sentences=[D["sentences"][n] for n in keep], Xs=[D["Xs"][n] for n in keep], y=D["y"][keep],
               counts=D["counts"][keep], pi=pi / pi.sum(), N=len(keep),
               L_max=max(D["sentences"][n].size for n in keep))
    return sub
